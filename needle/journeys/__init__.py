"""Journeys: what happens to young people across the initiative's services.

For each linked young person a timeline across partners and provisions (the backbone
only), and aggregate views, each a tidy count table with its margins that disclosure
control protects for an audience: pathways between provision categories (a Sankey),
referral funnels and the wait from referral to first attendance, where young people stop
engaging, and the typical journey of a cohort. See docs/guides/journeys.md.
"""

from needle.journeys.data import COHORTS, JourneyData, open_journeys
from needle.journeys.disclosure import protected
from needle.journeys.disengagement import DEFAULT_GAP_DAYS, disengagement
from needle.journeys.pathways import DEFAULT_STEPS, pathways, sequences
from needle.journeys.referrals import funnel, referral_outcomes, referral_waits
from needle.journeys.tables import ALL, COUNT
from needle.journeys.timeline import timeline
from needle.journeys.typical import journey_counts, typical_journeys

__all__ = [
    "ALL",
    "COHORTS",
    "COUNT",
    "DEFAULT_GAP_DAYS",
    "DEFAULT_STEPS",
    "JourneyData",
    "disengagement",
    "funnel",
    "journey_counts",
    "open_journeys",
    "pathways",
    "protected",
    "referral_outcomes",
    "referral_waits",
    "sequences",
    "timeline",
    "typical_journeys",
]
