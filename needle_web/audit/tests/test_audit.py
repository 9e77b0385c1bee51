"""The audit log: append-only, free of young people's identifiers, readable by admins."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from needle_web.accounts.roles import Role
from needle_web.accounts.testing import make_account
from needle_web.audit.actions import AuditAction
from needle_web.audit.models import AuditEvent
from needle_web.audit.selectors import audit_event_list
from needle_web.audit.services import audit_record

pytestmark = pytest.mark.django_db


def test_audit_record_for_other_apps() -> None:
    analyst = make_account(Role.BACKBONE_ANALYST, email="ana@example.org")
    request = RequestFactory().get("/partners/YC/", REMOTE_ADDR="192.0.2.10")
    event = audit_record(
        action="viewed_partner_data",
        actor=analyst,
        target="partner YC, 2026-Q3 validation report",
        request=request,
        details={"period": "2026-Q3", "rows": 412},
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.action, stored.actor_account_id, stored.actor_email) == (
        "viewed_partner_data",
        analyst.pk,
        "ana@example.org",
    )
    assert stored.ip_address == "192.0.2.10" and stored.details == {
        "period": "2026-Q3",
        "rows": 412,
    }
    assert stored.action_label == "Viewed partner data"
    anonymous = audit_record(action=AuditAction.EXPORTED, target="public CSV")
    assert anonymous.actor_account_id is None and anonymous.actor_email == ""


def test_unknown_actions_and_identifiers_are_refused() -> None:
    with pytest.raises(ValueError):
        audit_record(action="looked_around")
    with pytest.raises(ValueError, match="personal identifiers"):
        audit_record(action=AuditAction.EXPORTED, details={"postcode": "M32 0AA"})
    with pytest.raises(ValueError, match="personal identifiers"):
        audit_record(action=AuditAction.EXPORTED, details={"filter": {"Date_Of_Birth": "x"}})
    assert not AuditEvent.objects.exists()


def test_events_are_never_changed_or_deleted() -> None:
    event = audit_record(action=AuditAction.EXPORTED, target="x")
    event.target = "y"
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()
    assert AuditEvent.objects.get().target == "x"


def test_selector_filters_by_action() -> None:
    audit_record(action=AuditAction.EXPORTED)
    audit_record(action=AuditAction.SIGNED_OUT)
    assert [e.action for e in audit_event_list(action="exported")] == ["exported"]
    assert audit_event_list().count() == 2
    assert not audit_event_list(action="nonsense").exists()


def test_the_audit_page_lists_filters_and_pages(admin_client: Client) -> None:
    for i in range(60):
        audit_record(action=AuditAction.EXPORTED, target=f"export {i}")
    audit_record(action=AuditAction.VIEWED_PARTNER_DATA, target="partner YC")
    url = reverse("audit:event_list")

    first = admin_client.get(url)
    body = first.content.decode()
    assert first.status_code == 200 and "partner YC" in body  # newest first
    assert len(first.context["page"].object_list) == 50 and "Page 1 of 2" in body

    second = admin_client.get(url, {"page": 2}).content.decode()
    assert "export 0" in second and "partner YC" not in second

    only = admin_client.get(url, {"action": "viewed_partner_data"})
    assert only.context["page"].paginator.count == 1
    assert admin_client.get(url, {"action": "bogus"}).context["action"] == ""
