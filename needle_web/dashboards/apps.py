"""The dashboards app."""

from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    """The indicator dashboards (backbone, steering group and funders) and the public
    open-data page: read-only views of the core's protected results."""

    name = "needle_web.dashboards"
    label = "dashboards"
