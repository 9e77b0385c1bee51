"""The backbone's linkage pages: the quality report of the last run and the review queue.

Both backbone roles may decide pairs: reviewing uncertain pairs is analysis work, and
each decision is recorded under the account and in the audit log. Starting a run is the
admin's, as for the indicator refresh, because it republishes the numbers. Steering
group members, funders and partners never see these pages: they are about records.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from needle.errors import NeedleInputError
from needle_web.accounts.permissions import has_role, role_required
from needle_web.accounts.roles import BACKBONE_ROLES, Role
from needle_web.linkage import selectors, services
from needle_web.linkage.forms import DecisionForm

NEXT_RUN = (
    "Decisions apply from the next linkage run, which every indicator refresh starts "
    "(after the next submission, or when a backbone admin presses “Link and refresh now” "
    "on the linkage page)."
)


@require_GET
@role_required(*BACKBONE_ROLES)
def quality(request: HttpRequest) -> HttpResponse:
    """The last run's quality report."""
    the_home = selectors.home()
    context = {
        "quality": selectors.quality(the_home.root),
        "can_run": has_role(request.user, Role.BACKBONE_ADMIN),
    }
    return render(request, "linkage/quality.html", context)


def _review_page(request: HttpRequest, form: DecisionForm | None = None) -> HttpResponse:
    found = selectors.review_pairs(selectors.home())
    pairs, total = found if found is not None else ([], 0)
    context = {
        "linked": found is not None,
        "pairs": pairs,
        "total": total,
        "waiting": total - sum(p.decided is not None for p in pairs),
        "form": form,
        "next_run": NEXT_RUN,
    }
    return render(request, "linkage/review.html", context)


@require_GET
@role_required(*BACKBONE_ROLES)
def review(request: HttpRequest) -> HttpResponse:
    """Pairs the model is unsure about, most likely matches first."""
    return _review_page(request)


@require_POST
@role_required(*BACKBONE_ROLES)
def decide(request: HttpRequest) -> HttpResponse:
    """Confirm or reject one pair, then back to the queue (post, redirect, get)."""
    form = DecisionForm(request.POST)
    if form.is_valid():
        pair, decision = form.cleaned_data["pair"], form.cleaned_data["decision"]
        try:
            services.pair_decide(actor=request.user, pair=pair, decision=decision, request=request)
        except NeedleInputError as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, f"Pair {pair} {decision}. {NEXT_RUN}")
            return redirect("linkage:review")
    return _review_page(request, form)


@require_POST
@role_required(Role.BACKBONE_ADMIN)
def run(request: HttpRequest) -> HttpResponse:
    """Queue a linkage run and indicator refresh."""
    if services.link_and_refresh_queue():
        messages.success(
            request,
            "Linkage and the indicator refresh are queued: this report and the published "
            "numbers will follow in a few minutes",
        )
    else:
        messages.error(request, "The linkage run could not be queued: try again later")
    return redirect("linkage:quality")
