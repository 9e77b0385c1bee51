"""A test-only URLconf serving one page built from base.html and the GOV.UK components.

Why: the browser tests check the look on a page that uses every shared template,
independently of the real views. Tests select it with ``@pytest.mark.urls(LOOK_URLS)``.
"""

from __future__ import annotations

from pathlib import Path

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path
from web.look_form import INVALID_DATA, LookForm

TEMPLATE = Path(__file__).parent / "templates" / "look.html"


def look(request: HttpRequest) -> HttpResponse:
    """The test page: a form with errors, or a clean one at ``?valid``.

    The template is read from tests/web/templates and compiled by the project's own
    engine, so it extends the real base.html without adding a test folder to settings.
    """
    form = LookForm() if "valid" in request.GET else LookForm(INVALID_DATA)
    if "message" in request.GET:
        messages.success(request, "Your submission for spring 2026 was received")
    template = engines["django"].from_string(TEMPLATE.read_text(encoding="utf-8"))
    nav_items = [("Home", "/", False), ("Look", request.path, True)]
    return HttpResponse(template.render({"form": form, "nav_items": nav_items}, request))


urlpatterns = [path("look/", look, name="look")]
