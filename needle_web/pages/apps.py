"""The pages app."""

from django.apps import AppConfig


class PagesConfig(AppConfig):
    """The home page and ``/healthz``."""

    name = "needle_web.pages"
    label = "pages"
