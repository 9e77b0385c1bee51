"""URLs of the web platform: each app brings its own, under its namespace."""

from django.urls import include, path

urlpatterns = [
    path("", include("needle_web.pages.urls")),
    path("", include("needle_web.accounts.urls")),
    path("", include("needle_web.audit.urls")),
    path("submissions/", include("needle_web.submissions.urls")),
    path("", include("needle_web.dashboards.urls")),
    path("backbone/", include("needle_web.tracker.urls")),
    path("feedback/", include("needle_web.feedback.urls")),
    path("initiative/", include("needle_web.initiative.urls")),
    path("api/", include("needle_web.api.urls")),
    path("journeys/", include("needle_web.journeys.urls")),
    path("linkage/", include("needle_web.linkage.urls")),
]
