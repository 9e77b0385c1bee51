"""The backbone's submission tracker and data-quality pages, and a partner's own page.

The tracker and the overview are the backbone's; a partner account may open its own
partner's data-quality page, and another partner's address is "not found" (as for
uploads), so the page does not even confirm which codes exist.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from needle_web.accounts.permissions import can_see_partner, is_backbone, role_required
from needle_web.accounts.roles import BACKBONE_ROLES, PARTNER_ROLES
from needle_web.audit.actions import AuditAction
from needle_web.audit.services import audit_record
from needle_web.tracker import selectors, services
from needle_web.tracker.forms import PeriodForm


def _today() -> date:
    """Today in England (the settings' time zone): what "late" is judged against."""
    return timezone.localdate()


@require_GET
@role_required(*BACKBONE_ROLES)
def submissions(request: HttpRequest) -> HttpResponse:
    """Every partner's status for the current period, or the period chosen."""
    today = _today()
    periods, current, due_days = selectors.periods(today)
    labels = [p.label for p in periods]
    period = current.label
    if "period" in request.GET:
        form = PeriodForm(request.GET, periods=labels)
        if form.is_valid():
            period = form.cleaned_data["period"]
    else:
        form = PeriodForm(initial={"period": period}, periods=labels)
    context = {
        "form": form,
        "tracker": selectors.tracker(period, due_days=due_days, today=today),
        "is_current": period == current.label,
        "today": today,
    }
    return render(request, "tracker/submissions.html", context)


@require_POST
@role_required(*BACKBONE_ROLES)
def remind(request: HttpRequest, period: str, code: str) -> HttpResponse:
    """Email the partner's submitters a reminder, then back to the tracker (PRG)."""
    today = _today()
    periods, _current, due_days = selectors.periods(today)
    if period not in {p.label for p in periods}:
        raise Http404("No such period")
    tracker = selectors.tracker(period, due_days=due_days, today=today)
    row = next((r for r in tracker.rows if r.status.code == code), None)
    if row is None:
        raise Http404("No such partner")
    status = row.status
    if not status.needs_reminder:
        messages.info(
            request,
            f"No reminder sent: {status.name} ({status.code}) is {row.label.lower()} for {period}.",
        )
    else:
        try:
            reminder = services.reminder_send(
                sent_by=request.user,
                partner_code=status.code,
                partner_name=status.name,
                period=period,
                due=status.due,
                late=status.late,
                site_url=f"{request.scheme}://{request.get_host()}",
                request=request,
            )
        except services.ReminderProblem as problem:
            messages.info(request, str(problem))
        else:
            accounts = "account" if reminder.recipients == 1 else "accounts"
            messages.success(
                request,
                f"Reminder emailed to {reminder.recipients} submitter {accounts} at "
                f"{status.name} ({status.code}) for {period}",
            )
    return redirect(f"{reverse('tracker:submissions')}?period={period}")


@require_GET
@role_required(*BACKBONE_ROLES)
def data_quality(request: HttpRequest) -> HttpResponse:
    """Every partner's data quality side by side."""
    partners = selectors.quality_overview()
    audit_record(
        action=AuditAction.VIEWED_PARTNER_DATA,
        actor=request.user,
        target="data quality of every partner",
        request=request,
        details={"page": "data_quality", "partners": len(partners)},
    )
    rows = [(q, selectors.completeness_rows(q)) for q in partners]
    context = {
        "rows": rows,
        "headers": list(selectors.SHORT_LABELS.values()),
        "measures": list(selectors.COMPLETENESS.values()),
    }
    return render(request, "tracker/data_quality.html", context)


@require_GET
@role_required(*BACKBONE_ROLES, *PARTNER_ROLES)
def partner_quality(request: HttpRequest, code: str) -> HttpResponse:
    """One partner's data quality: for the backbone, or that partner's own accounts."""
    if not can_see_partner(request.user, code):
        raise Http404("No such partner")
    try:
        quality = selectors.partner_quality_for(code)
    except selectors.UnknownPartner:
        raise Http404("No such partner") from None
    audit_record(
        action=AuditAction.VIEWED_PARTNER_DATA,
        actor=request.user,
        target=f"data quality of partner {quality.code}",
        request=request,
        details={"page": "partner_quality", "partner_code": quality.code},
    )
    context = {
        "quality": quality,
        "completeness": selectors.completeness_rows(quality),
        "is_backbone": is_backbone(request.user),
    }
    return render(request, "tracker/partner_quality.html", context)
