"""The initiative app."""

from django.apps import AppConfig


class InitiativeConfig(AppConfig):
    """The initiative's settings: partners, periods, outcomes framework, indicators, thresholds."""

    name = "needle_web.initiative"
    label = "initiative"
