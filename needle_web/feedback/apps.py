"""The feedback app."""

from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    """A partner's own measures over time beside anonymous peer benchmarks."""

    name = "needle_web.feedback"
    label = "feedback"
