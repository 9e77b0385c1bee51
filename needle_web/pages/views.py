"""The home page and the health check."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Who is signed in and as what; for visitors, the way to sign in."""
    return render(request, "pages/home.html")


@require_GET
def accessibility(request: HttpRequest) -> HttpResponse:
    """The accessibility statement every page's footer links to."""
    return render(request, "pages/accessibility.html")


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """``ok`` when the app can reach its database; 503 otherwise, for a load balancer or
    a service manager to act on. Says nothing else about the system."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database failure means "not healthy", whatever its type
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")
