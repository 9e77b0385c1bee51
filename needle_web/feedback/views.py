"""A partner's own feedback page: "How we are doing".

A partner account sees its own organisation's page at ``/feedback/``, and may open it at
``/feedback/<its code>/``; any other code answers 404, exactly as a code that does not
exist, so the address bar cannot be used to find out which partners there are. The
backbone opens ``/feedback/`` to choose a partner and then sees that partner's page
exactly as its staff do, which is recorded in the audit log. The steering group and
funders see collective numbers only (decision 0008): 403.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from needle_web.accounts.permissions import (
    can_see_partner,
    is_backbone,
    partner_scope,
    role_required,
)
from needle_web.accounts.roles import BACKBONE_ROLES, PARTNER_ROLES
from needle_web.audit.actions import AuditAction
from needle_web.audit.services import audit_record
from needle_web.feedback import selectors

PAGE_ROLES = (*BACKBONE_ROLES, *PARTNER_ROLES)


@require_GET
@role_required(*PAGE_ROLES)
def home(request: HttpRequest) -> HttpResponse:
    """A partner's own page; for the backbone, the list of partners to choose from."""
    code = partner_scope(request.user)
    if code is not None:
        return _page(request, code)
    the_home = selectors.current_home()
    names = selectors.partner_names(the_home) if the_home else {}
    return render(request, "feedback/partners.html", {"partners": sorted(names.items())})


@require_GET
@role_required(*PAGE_ROLES)
def partner(request: HttpRequest, partner_code: str) -> HttpResponse:
    """One partner's page: the backbone's view of any partner, or a partner's own."""
    if not can_see_partner(request.user, partner_code):
        raise Http404("No such partner")
    return _page(request, partner_code)


def _page(request: HttpRequest, code: str) -> HttpResponse:
    the_home = selectors.current_home()
    names = selectors.partner_names(the_home) if the_home else {}
    backbone = is_backbone(request.user)
    if backbone and code not in names:
        raise Http404("No such partner")
    feedback = selectors.feedback(the_home, code) if the_home else None
    if backbone and feedback is not None:
        audit_record(
            action=AuditAction.VIEWED_PARTNER_DATA,
            actor=request.user,
            target=f"feedback of partner {code}",
            request=request,
            details={"partner": code, "page": "feedback"},
        )
    context = {
        "feedback": feedback,
        "partner_code": code,
        "partner_name": names.get(code, code),
        "as_backbone": backbone,
    }
    return render(request, "feedback/feedback.html", context)
