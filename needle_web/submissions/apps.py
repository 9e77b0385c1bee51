"""The submissions app."""

from django.apps import AppConfig


class SubmissionsConfig(AppConfig):
    """Partners' uploads, processed in the background by ``tasks.process_upload``."""

    name = "needle_web.submissions"
    label = "submissions"
    verbose_name = "Submissions"
