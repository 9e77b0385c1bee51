"""The audit log page, for backbone admins."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from needle_web.accounts.permissions import role_required
from needle_web.accounts.roles import Role
from needle_web.audit.actions import AuditAction
from needle_web.audit.selectors import audit_event_list

PAGE_SIZE = 50


@role_required(Role.BACKBONE_ADMIN)
def event_list(request: HttpRequest) -> HttpResponse:
    """Events newest first, fifty a page, optionally of one action."""
    action = request.GET.get("action", "")
    if action not in AuditAction.values:
        action = ""
    page = Paginator(audit_event_list(action=action or None), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {"page": page, "action": action, "actions": AuditAction.choices}
    return render(request, "audit/event_list.html", context)
