"""The linkage app."""

from django.apps import AppConfig


class LinkageConfig(AppConfig):
    """The backbone's view of linkage: the quality report and the review queue."""

    name = "needle_web.linkage"
    label = "linkage"
