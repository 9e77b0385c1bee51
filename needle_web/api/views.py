"""The api app's pages: backbone admins manage partners' API tokens; anyone can read the
API's documentation (the schema at ``/api/openapi.json`` is the contract).

Why a docs page of our own rather than the Swagger UI or ReDoc bundled with django-ninja:
both run inline styles and scripts that the Content-Security-Policy refuses, and neither
passes the accessibility checks every page here must pass.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from needle_web.accounts.permissions import role_required
from needle_web.accounts.roles import Role
from needle_web.api import selectors, services
from needle_web.api.endpoints import api
from needle_web.api.forms import TokenForm
from needle_web.api.models import ApiToken

HTTP_METHODS = ("get", "post", "put", "patch", "delete")


@require_GET
def api_root(request: HttpRequest) -> HttpResponse:
    """``/api/`` itself: the documentation."""
    return redirect("api:docs")


def _operations() -> list[dict[str, Any]]:
    """The API's operations as the schema describes them, for the docs page."""
    schema = api.get_openapi_schema()
    operations = []
    for route, methods in schema["paths"].items():
        for method in HTTP_METHODS:
            if method not in methods:
                continue
            operation = methods[method]
            schemes = {name for entry in operation.get("security", []) for name in entry}
            operations.append(
                {
                    "method": method.upper(),
                    "path": route,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "session": "SignedIn" in schemes,
                    "statuses": sorted(operation.get("responses", {})),
                }
            )
    return operations


@require_GET
def docs(request: HttpRequest) -> HttpResponse:
    """What the API offers and how to call it."""
    return render(request, "api/docs.html", {"operations": _operations()})


@require_GET
@role_required(Role.BACKBONE_ADMIN)
def token_list(request: HttpRequest) -> HttpResponse:
    """Each partner's API tokens, with how to make and revoke them."""
    return render(request, "api/token_list.html", {"partners": selectors.tokens_by_partner()})


@never_cache  # the response to a successful POST holds the token: no copy anywhere
@require_http_methods(["GET", "POST"])
@role_required(Role.BACKBONE_ADMIN)
def token_new(request: HttpRequest) -> HttpResponse:
    """Choose a partner and a label; on success, the token, shown this once."""
    partners = selectors.initiative_partners()
    form = TokenForm(request.POST or None, partners=partners)
    if request.method == "POST" and form.is_valid():
        try:
            token, raw = services.api_token_create(
                created_by=request.user,
                partner_code=form.cleaned_data["partner_code"],
                name=form.cleaned_data["name"],
                request=request,
            )
        except ValidationError as problem:
            form.add_error(None, " ".join(problem.messages))
        else:
            context = {"token": token, "raw": raw, "partner": partners.get(token.partner_code)}
            return render(request, "api/token_created.html", context)
    return render(request, "api/token_new.html", {"form": form, "partners": partners})


@require_http_methods(["GET", "POST"])
@role_required(Role.BACKBONE_ADMIN)
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    """Ask to confirm, then stop the token working."""
    token = get_object_or_404(ApiToken, pk=token_id)
    if request.method == "POST" and token.is_active:
        services.api_token_revoke(actor=request.user, token=token, request=request)
        messages.success(request, f"API token {token.prefix}… for {token.partner_code} revoked")
        return redirect("api:tokens")
    return render(request, "api/token_revoke.html", {"token": token})
