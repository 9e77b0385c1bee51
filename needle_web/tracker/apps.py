"""The tracker app."""

from django.apps import AppConfig


class TrackerConfig(AppConfig):
    """Backbone tracking of submissions per period and data quality across partners."""

    name = "needle_web.tracker"
    label = "tracker"
