"""The partner's submission journey: send a file, follow its check, read its report.

Partner submitters send; partner viewers and the backbone read. A partner account sees
only its own partner's uploads (another partner's address is "not found", not
"forbidden", so it does not even confirm the upload exists); the backbone sees all.
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from needle_web.accounts.permissions import has_role, is_backbone, partner_scope, role_required
from needle_web.accounts.roles import Role
from needle_web.audit.actions import AuditAction
from needle_web.audit.services import audit_record
from needle_web.submissions import selectors, services
from needle_web.submissions.forms import UploadForm
from needle_web.submissions.models import Upload

READERS = (
    Role.PARTNER_SUBMITTER,
    Role.PARTNER_VIEWER,
    Role.BACKBONE_ADMIN,
    Role.BACKBONE_ANALYST,
)
TAG_CLASSES = {
    Upload.State.QUEUED: "govuk-tag--grey",
    Upload.State.PROCESSING: "govuk-tag--blue",
    Upload.State.ACCEPTED: "govuk-tag--green",
    Upload.State.REJECTED: "govuk-tag--red",
    Upload.State.FAILED: "govuk-tag--yellow",
}


def _home():  # type: ignore[no-untyped-def]
    import needle

    return needle.open_home(settings.HOME)


def _visible_upload(request: HttpRequest, upload_id: uuid.UUID) -> Upload:
    return get_object_or_404(selectors.uploads_visible_to(request.user), pk=upload_id)


@require_GET
@role_required(*READERS)
def upload_list(request: HttpRequest) -> HttpResponse:
    """The uploads the account may see, by period, newest first."""
    uploads = selectors.uploads_visible_to(request.user).order_by("-period", "-created_at")
    context = {
        "uploads": uploads,
        "tag_classes": TAG_CLASSES,
        "show_partner": is_backbone(request.user),
        "can_send": has_role(request.user, Role.PARTNER_SUBMITTER),
        "partner": partner_scope(request.user),
    }
    return render(request, "submissions/upload_list.html", context)


@require_http_methods(["GET", "POST"])
@role_required(Role.PARTNER_SUBMITTER)
def upload_new(request: HttpRequest) -> HttpResponse:
    """Choose a period and a file; on success, the upload's status page."""
    periods = selectors.period_choices(_home().config, timezone.localdate())
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES, periods=periods)
        if form.is_valid():
            try:
                upload = services.upload_create(
                    account=request.user,
                    period=form.cleaned_data["period"],
                    file=form.cleaned_data["file"],
                    request=request,
                )
            except services.UploadProblem as problem:
                form.add_error("file", str(problem))
            else:
                return redirect("submissions:detail", upload_id=upload.pk)
    else:
        form = UploadForm(periods=periods)
    return render(request, "submissions/upload_new.html", {"form": form})


@require_GET
@role_required(*READERS)
def template_download(request: HttpRequest) -> HttpResponse:
    """The blank workbook, as ``needle template`` writes it, with the initiative's own
    questionnaires when it has any (the ones its partners' files are checked against)."""
    from needle.indicators.instruments import home_instruments
    from needle.ingest import standard_with
    from needle.standard import load_standard
    from needle.standard.templates import write_template

    home = _home()
    standard = standard_with(home_instruments(home.root)) or load_standard()
    name = f"needle-template-{standard.version}.xlsx"
    with tempfile.TemporaryDirectory() as folder:
        content = write_template(Path(folder) / name, fmt="xlsx", standard=standard).read_bytes()
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_GET
@role_required(*READERS)
def upload_detail(request: HttpRequest, upload_id: uuid.UUID) -> HttpResponse:
    """An upload's state; its report once checked; a way to try again after a failure."""
    upload = _visible_upload(request, upload_id)
    if is_backbone(request.user):
        audit_record(
            action=AuditAction.VIEWED_PARTNER_DATA,
            actor=request.user,
            target=f"partner {upload.partner_code}, {upload.period}",
            request=request,
            details={"upload": str(upload.pk), "page": "submission report"},
        )
    context = {
        "upload": upload,
        "report": selectors.report_view(upload),
        "tag_class": TAG_CLASSES[upload.state],
        "can_retry": has_role(request.user, Role.PARTNER_SUBMITTER) and services.can_retry(upload),
        "can_send": has_role(request.user, Role.PARTNER_SUBMITTER),
    }
    return render(request, "submissions/upload_detail.html", context)


@never_cache
@require_GET
@role_required(*READERS)
def upload_status_json(request: HttpRequest, upload_id: uuid.UUID) -> JsonResponse:
    """The upload's state, for the status page's script to poll."""
    return JsonResponse(selectors.upload_status(_visible_upload(request, upload_id)))


@require_POST
@role_required(Role.PARTNER_SUBMITTER)
def upload_retry(request: HttpRequest, upload_id: uuid.UUID) -> HttpResponse:
    """Send a failed (or stalled) upload to be checked again."""
    upload = _visible_upload(request, upload_id)
    try:
        services.upload_retry(account=request.user, upload=upload, request=request)
    except services.UploadProblem:
        pass  # already queued, being checked or decided: the page shows where it stands
    else:
        messages.success(request, "Your file has been sent to be checked again")
    return redirect("submissions:detail", upload_id=upload.pk)
