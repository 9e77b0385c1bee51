"""Writes of the tracker: emailing a partner a reminder to send a period's data.

Whether a partner needs a reminder is the core's decision (``PartnerStatus.needs_reminder``,
asked by the view); this sends it, records it and audits it, in one transaction.
"""

from __future__ import annotations

from datetime import date

from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from needle_web.accounts.models import User
from needle_web.accounts.roles import Role
from needle_web.audit.actions import AuditAction
from needle_web.audit.services import audit_record
from needle_web.tracker.models import Reminder

__all__ = ["ReminderProblem", "reminder_recipients", "reminder_send"]


class ReminderProblem(Exception):
    """Why no reminder was sent, said for the backbone member who asked."""


def reminder_recipients(partner_code: str) -> list[str]:
    """The addresses a reminder goes to: the partner's active submitter accounts (viewers
    cannot send data, so a reminder would only worry them)."""
    accounts = User.objects.filter(
        role=Role.PARTNER_SUBMITTER, partner_code=partner_code, is_active=True
    ).order_by("email")
    return list(accounts.values_list("email", flat=True))


@transaction.atomic
def reminder_send(
    *,
    sent_by: User,
    partner_code: str,
    partner_name: str,
    period: str,
    due: date,
    late: bool,
    site_url: str,
    request: HttpRequest | None = None,
) -> Reminder:
    """Email each of the partner's submitters (one message each, so no one sees the
    others' addresses) that ``period``'s data is due on ``due`` (or was, when ``late``),
    with the link to send it.

    Raises ReminderProblem, sending nothing, when the partner has no submitter account.
    The email says nothing about any young person; it is sent inside the transaction,
    so a failure to send leaves no record of a reminder nobody received.
    """
    recipients = reminder_recipients(partner_code)
    if not recipients:
        raise ReminderProblem(
            f"No reminder sent: {partner_name} ({partner_code}) has no active partner "
            "submitter account. Invite one from the Accounts page first."
        )
    context = {
        "partner_name": partner_name,
        "period": period,
        "due": due,
        "upload_url": site_url.rstrip("/") + reverse("submissions:new"),
        "late": late,
    }
    body = render_to_string("tracker/email/reminder.txt", context)
    subject = f"Reminder: your data for {period} is {'overdue' if late else 'due'}"
    messages = [EmailMessage(subject, body, None, [address]) for address in recipients]
    get_connection().send_messages(messages)
    reminder = Reminder.objects.create(
        partner_code=partner_code,
        period=period,
        sent_at=timezone.now(),
        sent_by=sent_by,
        recipients=len(recipients),
    )
    audit_record(
        action=AuditAction.REMINDER_SENT,
        actor=sent_by,
        target=f"partner {partner_code}, {period}",
        request=request,
        details={"partner_code": partner_code, "period": period, "recipients": len(recipients)},
    )
    return reminder
