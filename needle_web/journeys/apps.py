"""The journeys app."""

from django.apps import AppConfig


class JourneysConfig(AppConfig):
    """Journeys across services: pathways, referral funnels, disengagement and typical
    journeys for the backbone and the steering group, and one young person's timeline for
    the backbone only. Read-only views of the core's protected tables."""

    name = "needle_web.journeys"
    label = "journeys"
