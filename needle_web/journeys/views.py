"""Journeys pages: pathways, referrals, disengagement and typical journeys for the backbone
(every number) and the steering group and funders (protected at their threshold), and one
young person's timeline for the backbone only.

The views choose the audience from the account's role (the backbone may also look at a
page as the steering group sees it, ``?audience=steering_group``) and which page to draw;
the selectors read the core's protected tables.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from needle.errors import NeedleInputError
from needle.journeys.data import COHORTS
from needle.journeys.disengagement import DEFAULT_GAP_DAYS
from needle.journeys.referrals import FUNNEL_BY
from needle.journeys.typical import DEFAULT_COHORT
from needle_web.accounts.permissions import is_backbone, role_required
from needle_web.accounts.roles import BACKBONE_ROLES, Role
from needle_web.audit.actions import AuditAction
from needle_web.audit.services import audit_record
from needle_web.journeys import selectors
from needle_web.journeys.forms import TimelineForm

COLLECTIVE_ROLES = (*BACKBONE_ROLES, Role.STEERING_GROUP, Role.FUNDER)
BACKBONE, STEERING_GROUP = "backbone", "steering_group"
GAP_CHOICES = (30, 60, 90, 180)
# Partners are named to the backbone only on these pages (the steering group sees the
# collective picture), so the breakdowns by partner are the backbone's.
PARTNER_BREAKDOWNS = ("partner", "receiver")


def _audience(request: HttpRequest) -> str:
    """The backbone sees every number unless it asks to see the steering group's view."""
    if is_backbone(request.user) and request.GET.get("audience") != STEERING_GROUP:
        return BACKBONE
    return STEERING_GROUP


def _choice(request: HttpRequest, name: str, allowed: list[str], default: str | None) -> str | None:
    value = request.GET.get(name) or default
    return value if value in allowed else default


def _context(request: HttpRequest, audience: str, **more: object) -> dict[str, object]:
    return {
        "audience": audience,
        "is_backbone": is_backbone(request.user),
        "query": request.GET.urlencode(),
        **more,
    }


@require_GET
@role_required(*COLLECTIVE_ROLES)
def home(request: HttpRequest) -> HttpResponse:
    """What the journeys pages show, and how young people are recognised across partners."""
    return render(request, "journeys/home.html", _context(request, _audience(request)))


@require_GET
@role_required(*COLLECTIVE_ROLES)
def pathways(request: HttpRequest) -> HttpResponse:
    audience = _audience(request)
    page = selectors.pathways_page(audience)
    return render(request, "journeys/pathways.html", _context(request, audience, page=page))


@require_GET
@role_required(*COLLECTIVE_ROLES)
def referrals(request: HttpRequest) -> HttpResponse:
    audience = _audience(request)
    options = [b for b in FUNNEL_BY if audience == BACKBONE or b not in PARTNER_BREAKDOWNS]
    by = _choice(request, "by", options, None)
    page = selectors.funnel_page(audience, by)
    choices = [(b, FUNNEL_BY[b]) for b in options]
    return render(
        request,
        "journeys/referrals.html",
        _context(request, audience, page=page, by=by or "", choices=choices),
    )


@require_GET
@role_required(*COLLECTIVE_ROLES)
def disengagement(request: HttpRequest) -> HttpResponse:
    audience = _audience(request)
    gap = _choice(request, "gap_days", [str(g) for g in GAP_CHOICES], str(DEFAULT_GAP_DAYS))
    page = selectors.disengagement_page(audience, int(gap or DEFAULT_GAP_DAYS))
    return render(
        request,
        "journeys/disengagement.html",
        _context(request, audience, page=page, gap=int(gap or DEFAULT_GAP_DAYS), gaps=GAP_CHOICES),
    )


@require_GET
@role_required(*COLLECTIVE_ROLES)
def typical(request: HttpRequest) -> HttpResponse:
    audience = _audience(request)
    by = _choice(request, "by", list(COHORTS), DEFAULT_COHORT) or DEFAULT_COHORT
    page = selectors.typical_page(audience, by)
    return render(
        request,
        "journeys/typical.html",
        _context(request, audience, page=page, by=by, choices=list(COHORTS.items())),
    )


@require_http_methods(["GET", "POST"])
@role_required(*BACKBONE_ROLES)
def timeline(request: HttpRequest) -> HttpResponse:
    """One young person's timeline. The id is sent by POST, so that it stays out of
    addresses, browser history and server logs; each look is audited."""
    form = TimelineForm(request.POST or None)
    table = None
    if request.method == "POST" and form.is_valid():
        person_id = form.cleaned_data["person_id"]
        try:
            table = selectors.timeline_table(person_id)
        except NeedleInputError as error:
            form.add_error("person_id", str(error))
        else:
            audit_record(
                action=AuditAction.VIEWED_PARTNER_DATA,
                actor=request.user,
                target="journey timeline of one young person",
                request=request,
                details={"person_id": person_id},
            )
    if form.errors:
        # Whatever was typed is not shown again: it may have been a name by mistake.
        form.data = form.data.copy()
        form.data["person_id"] = ""
    return render(
        request, "journeys/timeline.html", _context(request, BACKBONE, form=form, table=table)
    )
