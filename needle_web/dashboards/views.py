"""The dashboards: the backbone's, the steering group's and funders', and the public page.

Each audience has the same two pages (a dashboard and one page per indicator) over its own
protected results from the core; the views choose the audience and the template, the
selectors do the reading. The public page and its downloads need no account.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from needle_web.accounts.permissions import role_required
from needle_web.accounts.roles import BACKBONE_ROLES, Role
from needle_web.audit.actions import AuditAction
from needle_web.audit.services import audit_record
from needle_web.dashboards import selectors
from needle_web.dashboards.selectors import BACKBONE, PUBLIC, STEERING_GROUP

COLLECTIVE_ROLES = (*BACKBONE_ROLES, Role.STEERING_GROUP, Role.FUNDER)
NO_OPEN_DATA = "No open data has been published yet.\n"


@dataclass(frozen=True)
class Section:
    """One audience's pages: what they are called and where they link."""

    audience: str
    title: str
    home_url: str
    indicator_url: str
    lead: str


SECTIONS = {
    BACKBONE: Section(
        BACKBONE,
        "Indicators dashboard",
        "dashboards:backbone",
        "dashboards:backbone_indicator",
        "Every number, unprotected: for the backbone team only.",
    ),
    STEERING_GROUP: Section(
        STEERING_GROUP,
        "Collective dashboard",
        "dashboards:steering",
        "dashboards:steering_indicator",
        "The initiative's collective numbers for the steering group and funders, "
        "protected so that no young person can be identified.",
    ),
    PUBLIC: Section(
        PUBLIC,
        "Open data",
        "dashboards:public",
        "dashboards:public_indicator",
        "The initiative's shared numbers, open to everyone: rounded, and with small "
        "numbers hidden so that no young person can be identified.",
    ),
}


def _dashboard(request: HttpRequest, audience: str) -> HttpResponse:
    results = selectors.current_results(audience)
    context = {
        "section": SECTIONS[audience],
        "dashboard": selectors.dashboard(results) if results else None,
    }
    return render(request, "dashboards/dashboard.html", context)


def _indicator(request: HttpRequest, audience: str, indicator_id: str) -> HttpResponse:
    results = selectors.current_results(audience)
    page = None
    if results is not None:
        try:
            page = selectors.indicator_page(results, indicator_id)
        except selectors.UnknownIndicator:
            raise Http404("No such indicator") from None
        if page.shows_partners:
            audit_record(
                action=AuditAction.VIEWED_PARTNER_DATA,
                actor=request.user,
                target=f"indicator {indicator_id} by partner",
                request=request,
                details={"indicator": indicator_id, "audience": audience},
            )
    context = {"section": SECTIONS[audience], "page": page, "indicator_id": indicator_id}
    return render(request, "dashboards/indicator.html", context)


@require_GET
@role_required(*BACKBONE_ROLES)
def backbone(request: HttpRequest) -> HttpResponse:
    """The backbone's dashboard: every number of the current run."""
    return _dashboard(request, BACKBONE)


@require_GET
@role_required(*BACKBONE_ROLES)
def backbone_indicator(request: HttpRequest, indicator_id: str) -> HttpResponse:
    return _indicator(request, BACKBONE, indicator_id)


@require_GET
@role_required(*COLLECTIVE_ROLES)
def steering(request: HttpRequest) -> HttpResponse:
    """The steering group's and funders' dashboard (the backbone may look at it too)."""
    return _dashboard(request, STEERING_GROUP)


@require_GET
@role_required(*COLLECTIVE_ROLES)
def steering_indicator(request: HttpRequest, indicator_id: str) -> HttpResponse:
    return _indicator(request, STEERING_GROUP, indicator_id)


@require_GET
def public(request: HttpRequest) -> HttpResponse:
    """The public page: no account needed."""
    return _dashboard(request, PUBLIC)


@require_GET
def public_indicator(request: HttpRequest, indicator_id: str) -> HttpResponse:
    return _indicator(request, PUBLIC, indicator_id)


def _open_data(response: HttpResponse) -> HttpResponse:
    # Open data: any site or notebook may fetch it (no cookies are sent or needed).
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def public_csv(request: HttpRequest) -> HttpResponse:
    """The public results table as CSV (not audited: it is open data, and logging who
    reads it would only collect the addresses of the public)."""
    results = selectors.current_results(PUBLIC)
    if results is None:
        return HttpResponse(NO_OPEN_DATA, status=404, content_type="text/plain; charset=utf-8")
    response = HttpResponse(
        selectors.open_data_csv(results), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{selectors.CSV_NAME}"'
    return _open_data(response)


@require_GET
def public_datapackage(request: HttpRequest) -> HttpResponse:
    """The Frictionless Data Package describing the CSV beside it."""
    results = selectors.current_results(PUBLIC)
    if results is None:
        return HttpResponse(NO_OPEN_DATA, status=404, content_type="text/plain; charset=utf-8")
    package = selectors.data_package(results)
    return _open_data(JsonResponse(package, json_dumps_params={"indent": 2}))
