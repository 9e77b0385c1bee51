"""The site bench/web.py serves with gunicorn: Needle's web app exactly as configured by
``needle_web.settings``, plus one trivial view at ``/bench/trivial/``.

Why a site of its own: the trivial view is the framework floor (every middleware, no page
work) and must not become a URL of the app itself. The settings are Needle's own, read
from the environment as ``needle_web.wsgi`` reads them, with only ``ROOT_URLCONF``
pointing here; so the app measured is the app deployed.

    gunicorn --chdir bench web_site:application
"""

from __future__ import annotations

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

TRIVIAL_PATH = "/bench/trivial/"


def trivial(request: HttpRequest) -> HttpResponse:
    """Two bytes of text: what any Django page costs before it does any work."""
    return HttpResponse(b"ok", content_type="text/plain")


if not settings.configured:
    from needle_web import settings as project_settings

    values = {name: getattr(project_settings, name) for name in dir(project_settings)}
    settings.configure(
        **{name: value for name, value in values.items() if name.isupper()}
        | {"ROOT_URLCONF": __name__}
    )

application = get_wsgi_application()

# Read by Django's URL resolver on the first request, after the apps are ready (including
# needle_web.urls before then would import models too early).
urlpatterns = [
    path(TRIVIAL_PATH.strip("/") + "/", trivial, name="bench_trivial"),
    path("", include("needle_web.urls")),
]
