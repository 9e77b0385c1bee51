"""The dashboards: the backbone's, the steering group's and funders', and the public page.

Each audience has the same pages (a dashboard, one page per indicator, the equity view and
the map with its GeoJSON) over its own protected results from the core; the views choose
the audience and the template, the selectors do the reading. The public pages and their
downloads need no account. The backbone downloads any audience's results; the steering
group and funders download their own collective table; every such download is audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from needle.indicators.export import CONTENT_TYPES, FORMATS, export_bytes
from needle_web.accounts.permissions import role_required
from needle_web.accounts.roles import BACKBONE_ROLES, Role
from needle_web.audit.actions import AuditAction
from needle_web.audit.services import audit_record
from needle_web.dashboards import selectors
from needle_web.dashboards.selectors import BACKBONE, PUBLIC, STEERING_GROUP

COLLECTIVE_ROLES = (*BACKBONE_ROLES, Role.STEERING_GROUP, Role.FUNDER)
NO_OPEN_DATA = "No open data has been published yet.\n"
NO_RESULTS = "There are no results yet: the indicators have not been computed.\n"
NO_MAP = "There is no map: the initiative has no reference data loaded.\n"
# Whose results the backbone can download: (audience, what the file is called on the page).
EXPORT_AUDIENCES = (
    (BACKBONE, "Every result, unprotected"),
    (STEERING_GROUP, "As the steering group and funders see them"),
    (PUBLIC, "As the public sees them"),
)


@dataclass(frozen=True)
class Section:
    """One audience's pages: what they are called and where they link."""

    audience: str
    title: str
    home_url: str
    indicator_url: str
    lead: str
    prefix: str  # of the URL names: backbone_equity, steering_map, public_map_data, ...

    @property
    def equity_url(self) -> str:
        return f"dashboards:{self.prefix}_equity"

    @property
    def map_url(self) -> str:
        return f"dashboards:{self.prefix}_map"

    @property
    def map_data_url(self) -> str:
        return f"dashboards:{self.prefix}_map_data"


SECTIONS = {
    BACKBONE: Section(
        BACKBONE,
        "Indicators dashboard",
        "dashboards:backbone",
        "dashboards:backbone_indicator",
        "Every number, unprotected: for the backbone team only.",
        "backbone",
    ),
    STEERING_GROUP: Section(
        STEERING_GROUP,
        "Collective dashboard",
        "dashboards:steering",
        "dashboards:steering_indicator",
        "The initiative's collective numbers for the steering group and funders, "
        "protected so that no young person can be identified.",
        "steering",
    ),
    PUBLIC: Section(
        PUBLIC,
        "Open data",
        "dashboards:public",
        "dashboards:public_indicator",
        "The initiative's shared numbers, open to everyone: rounded, and with small "
        "numbers hidden so that no young person can be identified.",
        "public",
    ),
}


def _dashboard(request: HttpRequest, audience: str) -> HttpResponse:
    results = selectors.current_results(audience)
    context = {
        "section": SECTIONS[audience],
        "dashboard": (
            selectors.dashboard(results, selectors.population_curves()) if results else None
        ),
        "dashboard_key": selectors.cache_key(results) if results else "",
        "export_audiences": EXPORT_AUDIENCES if audience == BACKBONE else (),
        "export_formats": FORMATS,
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


# ---- equity and the map -------------------------------------------------------------------


def _equity(request: HttpRequest, audience: str) -> HttpResponse:
    results = selectors.current_results(audience)
    period = request.GET.get("period") or None
    context = {
        "section": SECTIONS[audience],
        "has_results": results is not None,
        "equity": selectors.equity(results, period) if results else None,
    }
    return render(request, "dashboards/equity.html", context)


def _map(request: HttpRequest, audience: str) -> HttpResponse:
    results = selectors.current_results(audience)
    data = selectors.map_data(results) if results else None
    context = {
        "section": SECTIONS[audience],
        "has_results": results is not None,
        "map": selectors.map_page(results, data) if results and data else None,
    }
    return render(request, "dashboards/map.html", context)


def _map_data(request: HttpRequest, audience: str) -> HttpResponse:
    results = selectors.current_results(audience)
    if results is None:
        return HttpResponse(NO_RESULTS, status=404, content_type="text/plain; charset=utf-8")
    data = selectors.map_data(results)
    if data is None:
        return HttpResponse(NO_MAP, status=404, content_type="text/plain; charset=utf-8")
    return JsonResponse(data, content_type="application/geo+json")


@require_GET
@role_required(*BACKBONE_ROLES)
def backbone_equity(request: HttpRequest) -> HttpResponse:
    return _equity(request, BACKBONE)


@require_GET
@role_required(*COLLECTIVE_ROLES)
def steering_equity(request: HttpRequest) -> HttpResponse:
    return _equity(request, STEERING_GROUP)


@require_GET
def public_equity(request: HttpRequest) -> HttpResponse:
    return _equity(request, PUBLIC)


@require_GET
@role_required(*BACKBONE_ROLES)
def backbone_map(request: HttpRequest) -> HttpResponse:
    return _map(request, BACKBONE)


@require_GET
@role_required(*COLLECTIVE_ROLES)
def steering_map(request: HttpRequest) -> HttpResponse:
    return _map(request, STEERING_GROUP)


@require_GET
def public_map(request: HttpRequest) -> HttpResponse:
    return _map(request, PUBLIC)


@require_GET
@role_required(*BACKBONE_ROLES)
def backbone_map_data(request: HttpRequest) -> HttpResponse:
    """The map's GeoJSON with every number (for the backbone's map)."""
    return _map_data(request, BACKBONE)


@require_GET
@role_required(*COLLECTIVE_ROLES)
def steering_map_data(request: HttpRequest) -> HttpResponse:
    return _map_data(request, STEERING_GROUP)


@require_GET
def public_map_data(request: HttpRequest) -> HttpResponse:
    """The public map's GeoJSON: only the public's protected numbers."""
    return _map_data(request, PUBLIC)


# ---- downloads ------------------------------------------------------------------------------


def _export(request: HttpRequest, audience: str, fmt: str, *, whole: bool) -> HttpResponse:
    results = selectors.current_results(audience)
    if results is None:
        return HttpResponse(NO_RESULTS, status=404, content_type="text/plain; charset=utf-8")
    table = selectors.export_table(results, whole=whole)
    name = selectors.export_name(results, fmt)
    audit_record(
        action=AuditAction.EXPORTED,
        actor=request.user,
        target=f"indicator results for {audience} ({fmt})",
        request=request,
        details={
            "audience": audience,
            "format": fmt,
            "rows": table.height,
            "run": str(results.run.get("run_id", "")),
        },
    )
    response = HttpResponse(export_bytes(table, fmt), content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
@role_required(*BACKBONE_ROLES)
def backbone_export(request: HttpRequest, audience: str, fmt: str) -> HttpResponse:
    """The current run's results for any audience, as CSV, Excel or Parquet."""
    if audience not in dict(EXPORT_AUDIENCES) or fmt not in FORMATS:
        raise Http404("No such download")
    return _export(request, audience, fmt, whole=True)


@require_GET
@role_required(*COLLECTIVE_ROLES)
def steering_export(request: HttpRequest) -> HttpResponse:
    """The steering group's and funders' collective table as CSV (no per-partner rows)."""
    return _export(request, STEERING_GROUP, "csv", whole=False)
