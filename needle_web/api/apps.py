"""The api app."""

from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The REST API under /api/ (django-ninja, OpenAPI), with per-partner tokens."""

    name = "needle_web.api"
    label = "api"
