"""The REST API (django-ninja): send a data file, follow its check, read indicator results.

A partner's systems authenticate with the partner's API token
(``Authorization: Bearer <token>``) and act for that partner only; indicator results can
also be read from a signed-in browser session, by role. Uploads go through the same form
checks and the same service as the browser's "Send your data" page, and the work is queued
for the background worker. The schema at ``/api/openapi.json`` is the contract.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from ninja import File, Form, NinjaAPI, Status, UploadedFile
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import APIKeyCookie, HttpBearer

from needle.errors import NeedleInputError
from needle_web.api import schemas, selectors, services
from needle_web.api.models import ApiToken
from needle_web.audit.actions import AuditAction
from needle_web.audit.services import audit_record
from needle_web.dashboards import selectors as dashboards
from needle_web.submissions import selectors as submissions
from needle_web.submissions import services as submission_services
from needle_web.submissions.forms import UploadForm
from needle_web.submissions.models import Upload

__all__ = ["api"]

TOKEN_HELP = (
    "Send your partner's API token in the Authorization header, as "
    "'Authorization: Bearer needle_...'. A token that was revoked no longer works: ask the "
    "backbone team for a new one."
)
NOT_FOUND = "No such submission for your partner: check the id in the status URL you were given."

api = NinjaAPI(
    title="Needle API",
    version="1",
    description=(
        "Send a partner's data files and read the initiative's indicator results. "
        "Authenticate with the partner's API token: `Authorization: Bearer <token>`."
    ),
    urls_namespace="api",
    docs_url=None,  # /api/docs/ is a page of our own: the bundled viewers break the CSP
)


class PartnerToken(HttpBearer):
    """A partner's API token; the request acts for its partner."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        return services.api_token_use(token=token)


class SignedIn(APIKeyCookie):
    """A signed-in browser session (read-only use: GET requests, so CSRF-safe)."""

    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        return user if user.is_authenticated and user.is_active else None


ERRORS = {401: schemas.Error, 403: schemas.Error, 404: schemas.Error, 422: schemas.Error}


# ---- errors: always JSON with a `detail` a person can act on -----------------------------


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
    response = api.create_response(request, {"detail": TOKEN_HELP, "errors": []}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="needle"'
    return response


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = []
    for error in exc.errors:
        place = [str(part) for part in error.get("loc", ()) if part not in {"body", "form"}]
        field = place[-1] if place else "request"
        errors.append({"field": field, "message": str(error.get("msg", "is not valid"))})
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "Invalid request"
    return api.create_response(request, {"detail": detail, "errors": errors}, status=422)


def _refused(status: int, detail: str, errors: list[dict[str, str]] | None = None) -> Status:
    return Status(status, {"detail": detail, "errors": errors or []})


# ---- submissions ---------------------------------------------------------------------------


def _status_url(upload: Upload) -> str:
    return reverse("api:submission", kwargs={"upload_id": upload.pk})


def _summary(upload: Upload) -> dict[str, Any]:
    return {
        "id": upload.pk,
        "period": upload.period,
        "file_name": upload.original_name,
        "state": upload.state,
        "state_label": upload.state_label,
        "waiting": upload.is_waiting,
        "version": upload.version,
        "created_at": upload.created_at,
        "finished_at": upload.finished_at,
        "status_url": _status_url(upload),
    }


def _problems(upload: Upload) -> list[dict[str, Any]]:
    report = upload.report or {}
    return [
        {
            "severity": p.get("severity", "error"),
            "rule": p.get("rule", ""),
            "source": p.get("source") or p.get("entity") or upload.original_name,
            "row": p.get("row"),
            "column": p.get("column"),
            "message": p.get("message", ""),
            "hint": p.get("hint", ""),
        }
        for p in report.get("problems", [])
    ]


@api.get(
    "/submissions/",
    response={200: list[schemas.UploadSummary], **ERRORS},
    auth=PartnerToken(),
    url_name="submissions",
    operation_id="submission_list",
    summary="List your partner's submissions",
    tags=["submissions"],
)
def submission_list(request: HttpRequest) -> Any:
    """Every file sent for the token's partner (by any route), newest first."""
    uploads = Upload.objects.filter(partner_code=request.auth.partner_code)
    return [_summary(upload) for upload in uploads.order_by("-created_at")]


@api.post(
    "/submissions/",
    response={202: schemas.UploadAccepted, **ERRORS, 503: schemas.Error},
    auth=PartnerToken(),
    url_name="submissions",
    operation_id="submission_create",
    summary="Send a data file",
    tags=["submissions"],
)
def submission_create(
    request: HttpRequest,
    period: Form[str],
    file: File[UploadedFile],
) -> Any:
    """Send one file (.xlsx like the template, a .zip of CSV files, or one CSV named after
    its sheet) for one reporting period. It is checked in the background: follow
    `status_url` until `waiting` is false."""
    import needle

    try:
        home = needle.open_home(settings.HOME)
    except NeedleInputError:
        return _refused(503, "The initiative is not set up yet: contact the backbone team.")
    periods = submissions.period_choices(home.config, timezone.localdate())
    form = UploadForm({"period": period}, {"file": file}, periods=periods)
    if not form.is_valid():
        errors = [
            {"field": field, "message": str(message)}
            for field, messages in form.errors.items()
            for message in messages
        ]
        if "period" in form.errors and periods:
            errors.append({"field": "period", "message": f"One of: {', '.join(periods)}"})
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return _refused(422, detail, errors)
    account = services.api_account_for(request.auth.partner_code)
    try:
        upload = submission_services.upload_create(
            account=account,
            period=form.cleaned_data["period"],
            file=form.cleaned_data["file"],
            request=request,
        )
    except submission_services.UploadProblem as problem:
        return _refused(422, f"file: {problem}", [{"field": "file", "message": str(problem)}])
    except PermissionDenied:
        return _refused(
            403,
            f"Sending files through the API is switched off for {request.auth.partner_code}: "
            f"its API account ({account.email}) is deactivated. Ask the backbone team.",
        )
    return Status(202, {"id": upload.pk, "state": upload.state, "status_url": _status_url(upload)})


@api.get(
    "/submissions/{upload_id}/",
    response={200: schemas.UploadDetail, **ERRORS},
    auth=PartnerToken(),
    url_name="submission",
    operation_id="submission_detail",
    summary="A submission's state and validation problems",
    tags=["submissions"],
)
def submission_detail(request: HttpRequest, upload_id: uuid.UUID) -> Any:
    """The file's state and, once checked, what was found: each problem's rule, place,
    message and how to fix it (never a value from the file)."""
    upload = Upload.objects.filter(partner_code=request.auth.partner_code, pk=upload_id).first()
    if upload is None:
        return _refused(404, NOT_FOUND)
    summary = (upload.report or {}).get("summary", {})
    problems = _problems(upload)
    return {
        **_summary(upload),
        "failure": upload.failure,
        "error_count": int(summary.get("errors", 0)),
        "warning_count": int(summary.get("warnings", 0)),
        "rows": {k: int(v) for k, v in summary.get("rows", {}).items()},
        "problems": problems,
    }


# ---- indicators ----------------------------------------------------------------------------


def _reader(request: HttpRequest) -> selectors.Reader:
    reader = selectors.reader_for(request.auth)
    if reader is None:
        raise HttpError(403, "Your role does not give access to indicator results.")
    return reader


def _indicator(definition: Any) -> dict[str, Any]:
    return {
        "id": definition.id,
        "title": definition.title,
        "description": definition.description,
        "theme": definition.theme,
        "unit": definition.unit,
        "direction": definition.direction,
        "url": reverse("api:indicator", kwargs={"indicator_id": definition.id}),
    }


@api.get(
    "/indicators/",
    response={200: schemas.IndicatorList, **ERRORS},
    auth=[PartnerToken(), SignedIn()],
    url_name="indicators",
    operation_id="indicator_list",
    summary="The indicators you may read",
    tags=["indicators"],
)
def indicator_list(request: HttpRequest) -> Any:
    """The indicators of the current results for your audience (a partner token: the
    partner view; a signed-in account: by role), with when they were computed. Empty
    before the indicators were first computed."""
    reader = _reader(request)
    results = selectors.results_for_reader(reader)
    listing: dict[str, Any] = {
        "audience": reader.audience,
        "partner": reader.partner,
        "initiative": None,
        "refreshed_at": None,
        "periods": [],
        "disclosure": None,
        "indicators": [],
    }
    if results is None:
        return listing
    present = set(results.table["indicator"].unique().to_list())
    provenance = results.provenance
    return listing | {
        "initiative": results.initiative,
        "refreshed_at": provenance.refreshed_at.isoformat() if provenance.refreshed_at else None,
        "periods": list(provenance.periods),
        "disclosure": results.rules.describe(),
        "indicators": [
            _indicator(d) for d in results.registry if d.id in present and results.visible(d)
        ],
    }


@api.get(
    "/indicators/{indicator_id}/",
    response={200: schemas.IndicatorDetail, **ERRORS},
    auth=[PartnerToken(), SignedIn()],
    url_name="indicator",
    operation_id="indicator_detail",
    summary="One indicator's results",
    tags=["indicators"],
)
def indicator_detail(request: HttpRequest, indicator_id: str) -> Any:
    """Every result row of one indicator your audience may see: by period, overall and by
    each breakdown. A hidden number has an empty value and a status saying why."""
    reader = _reader(request)
    results = selectors.results_for_reader(reader)
    if results is None:
        return _refused(404, "No indicator results have been computed yet.")
    try:
        rows = selectors.indicator_rows(results, indicator_id)
    except dashboards.UnknownIndicator:
        return _refused(404, f"No indicator {indicator_id!r} for you: see /api/indicators/.")
    if reader.audience == dashboards.BACKBONE and any(r["breakdown"] == "partner" for r in rows):
        audit_record(
            action=AuditAction.VIEWED_PARTNER_DATA,
            actor=request.auth,
            target=f"indicator {indicator_id} by partner",
            request=request,
            details={"indicator": indicator_id, "audience": reader.audience, "via": "api"},
        )
    return {
        **_indicator(results.registry.get(indicator_id)),
        "audience": reader.audience,
        "partner": reader.partner,
        "disclosure": results.rules.describe(),
        "results": rows,
    }
