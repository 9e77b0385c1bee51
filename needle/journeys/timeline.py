"""One linked young person's timeline across partners: for the backbone only.

Why months: the backbone needs the order of what happened and roughly when (first came
to the youth club in March, referred to mentoring in May, started in June), not the day,
and a day of birth-like precision makes a timeline easier to recognise. Attendance is
summarised per partner and provision (first and last month, and how many sessions), not
listed session by session.

A timeline is about one young person, so it is never shown to anyone but the backbone:
there is no protected version, and callers must not offer one to another audience.
"""

from __future__ import annotations

import polars as pl

from needle.errors import NeedleInputError
from needle.journeys.data import JourneyData

__all__ = ["EVENT_ORDER", "timeline"]

# The order of events within one month.
EVENT_ORDER = (
    "first_attended",
    "referral_made",
    "referral_accepted",
    "referral_started",
    "referral_declined",
    "referral_closed",
    "questionnaire",
    "last_attended",
    "referral_completed",
    "milestone",
)
_MONTH = "strftime({}, '%Y-%m')"


def timeline(data: JourneyData, person_id: str) -> pl.DataFrame:
    """month (YYYY-MM), event, partner, provision, category, detail, sessions: what
    happened to ``person_id``, in order. Unknown ids are an input error that does not
    repeat the id (it could be anything typed into a form)."""
    person_id = (person_id or "").strip()
    found = data.scalar("SELECT COUNT(*) FROM ids WHERE person_id = ?", [person_id])
    if not found:
        raise NeedleInputError(
            "No young person has that id in the pool. Person ids come from linkage "
            "of the pooled records; a record linkage has not placed is PARTNER:reference."
        )
    order = " ".join(f"WHEN '{e}' THEN {i}" for i, e in enumerate(EVENT_ORDER))
    m = _MONTH.format
    events = f"""
        SELECT {m("MIN(session_date)")} AS month, 'first_attended' AS event, org AS partner,
            provision_ref AS provision, category, NULL AS detail,
            CAST(COUNT(*) AS BIGINT) AS sessions
        FROM visits WHERE person_id = $1 GROUP BY org, provision_ref, category
        UNION ALL
        SELECT {m("MAX(session_date)")}, 'last_attended', org, provision_ref, category, NULL,
            CAST(COUNT(*) AS BIGINT)
        FROM visits WHERE person_id = $1 GROUP BY org, provision_ref, category
        UNION ALL
        SELECT {m("referred_on")}, 'referral_made', org, provision_ref, NULL,
            CASE WHEN direction = 'out' THEN 'to ' ELSE 'from ' END || partner_org, NULL
        FROM referrals WHERE person_id = $1
        UNION ALL
        SELECT {m("COALESCE(status_date, referred_on)")}, 'referral_' || status, org,
            provision_ref, NULL,
            CASE WHEN direction = 'out' THEN 'to ' ELSE 'from ' END || partner_org, NULL
        FROM referrals WHERE person_id = $1 AND status IS NOT NULL AND status <> 'made'
        UNION ALL
        SELECT {m("achieved_on")}, 'milestone', org, NULL, NULL, milestone, NULL
        FROM milestones WHERE person_id = $1
        UNION ALL
        SELECT {m("administered_on")}, 'questionnaire', org, NULL, NULL,
            instrument || ' (' || timepoint || ')', NULL
        FROM questionnaires WHERE person_id = $1"""
    return data.query(
        f"""SELECT month, event, partner, provision, category, detail, sessions
        FROM ({events}) e
        ORDER BY month, CASE event {order} ELSE 99 END, partner, provision, detail""",
        [person_id],
    )
