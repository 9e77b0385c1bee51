"""The initiative's settings pages: the backbone team reads them; only a backbone admin
changes them. Each change goes through the services (the core decides, the audit log
records) and comes back here with a success banner (post, redirect, get)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from needle.initiative.edit import DISCLOSURE_KEYS, SettingsError
from needle_web.accounts.permissions import has_role, role_required
from needle_web.accounts.roles import BACKBONE_ROLES, Role
from needle_web.initiative import selectors, services
from needle_web.initiative.forms import (
    PartnerAddForm,
    PartnerRenameForm,
    ThresholdsForm,
    VisionForm,
    add_refusal,
)

ADMIN = Role.BACKBONE_ADMIN
NEXT_REFRESH = (
    "Published numbers change at the next indicator refresh: after the next submission, "
    "or now with “Refresh the indicators now”."
)


def _is_admin(request: HttpRequest) -> bool:
    return has_role(request.user, ADMIN)


@require_GET
@role_required(*BACKBONE_ROLES)
def overview(request: HttpRequest) -> HttpResponse:
    """What the initiative is and where each of its settings is."""
    home = selectors.home()
    context = {
        "config": home.config,
        "partner_count": sum(p.active for p in selectors.partners(home)),
        "indicator_count": len(selectors.indicator_definitions(home)),
    }
    return render(request, "initiative/overview.html", context)


@require_GET
@role_required(*BACKBONE_ROLES)
def partners(request: HttpRequest) -> HttpResponse:
    """The partner register."""
    home = selectors.home()
    context = {
        "partners": selectors.partners(home),
        "can_change": _is_admin(request),
    }
    return render(request, "initiative/partners.html", context)


@require_http_methods(["GET", "POST"])
@role_required(ADMIN)
def partner_add(request: HttpRequest) -> HttpResponse:
    form = PartnerAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.partner_add(
                actor=request.user,
                code=form.cleaned_data["code"],
                name=form.cleaned_data["name"],
                request=request,
            )
        except SettingsError as refusal:
            add_refusal(form, refusal)
        else:
            code = form.cleaned_data["code"].strip().upper()
            messages.success(request, f"Partner {code} added: it can now send data")
            return redirect("initiative:partners")
    return render(request, "initiative/partner_add.html", {"form": form})


@require_http_methods(["GET", "POST"])
@role_required(ADMIN)
def partner_rename(request: HttpRequest, code: str) -> HttpResponse:
    partner = selectors.partner(selectors.home(), code)
    if partner is None:
        raise Http404("No such partner")
    form = PartnerRenameForm(request.POST or None, initial={"name": partner.name})
    if request.method == "POST" and form.is_valid():
        try:
            services.partner_rename(
                actor=request.user, code=code, name=form.cleaned_data["name"], request=request
            )
        except SettingsError as refusal:
            add_refusal(form, refusal)
        else:
            messages.success(request, f"Partner {code} renamed")
            return redirect("initiative:partners")
    return render(request, "initiative/partner_rename.html", {"form": form, "partner": partner})


@require_GET
@role_required(*BACKBONE_ROLES)
def periods(request: HttpRequest) -> HttpResponse:
    """The reporting calendar."""
    config = selectors.home().config
    context = {"periods": selectors.periods(config, timezone.localdate())}
    return render(request, "initiative/periods.html", context)


@require_GET
@role_required(*BACKBONE_ROLES)
def outcomes(request: HttpRequest) -> HttpResponse:
    """The common agenda and the outcomes framework, each outcome with its indicators."""
    home = selectors.home()
    known = {d.id: d.title for d in selectors.indicator_definitions(home)}
    population = {p.id: p.title for p in home.config.population_indicators}
    framework = [
        (
            outcome,
            [(i, known.get(i) or population.get(i) or i, i in known) for i in outcome.indicators],
        )
        for outcome in home.config.outcomes
    ]
    context = {
        "agenda": home.config.agenda,
        "framework": framework,
        "population": home.config.population_indicators,
        "can_change": _is_admin(request),
    }
    return render(request, "initiative/outcomes.html", context)


@require_http_methods(["GET", "POST"])
@role_required(ADMIN)
def vision(request: HttpRequest) -> HttpResponse:
    current = selectors.home().config.agenda.vision
    form = VisionForm(request.POST or None, initial={"vision": current})
    if request.method == "POST" and form.is_valid():
        try:
            services.vision_change(
                actor=request.user, vision=form.cleaned_data["vision"], request=request
            )
        except SettingsError as refusal:
            add_refusal(form, refusal)
        else:
            messages.success(request, "Shared vision saved")
            return redirect("initiative:outcomes")
    return render(request, "initiative/vision.html", {"form": form})


@require_GET
@role_required(*BACKBONE_ROLES)
def indicators(request: HttpRequest) -> HttpResponse:
    """The indicator registry: what each indicator is, and a link to its numbers."""
    context = {"definitions": selectors.indicator_definitions(selectors.home())}
    return render(request, "initiative/indicators.html", context)


@require_http_methods(["GET", "POST"])
@role_required(*BACKBONE_ROLES)
def thresholds(request: HttpRequest) -> HttpResponse:
    """The disclosure thresholds: shown to the backbone, changed by an admin."""
    home = selectors.home()
    current = {key: getattr(home.config.disclosure, key) for key in DISCLOSURE_KEYS}
    form = None
    if request.method == "POST":
        if not _is_admin(request):
            raise PermissionDenied
        form = ThresholdsForm(request.POST)
        if form.is_valid():
            try:
                services.thresholds_change(
                    actor=request.user, values=form.cleaned_data, request=request
                )
            except SettingsError as refusal:
                add_refusal(form, refusal)
            else:
                messages.success(request, f"Thresholds saved. {NEXT_REFRESH}")
                return redirect("initiative:thresholds")
    elif _is_admin(request):
        form = ThresholdsForm(initial=current)
    published = selectors.published_thresholds(home)
    context = {
        "form": form,
        "current": current,
        "published": published,
        "out_of_date": published is not None
        and any(published.get(k, v) != v for k, v in current.items()),
        "can_change": _is_admin(request),
        "next_refresh": NEXT_REFRESH,
    }
    return render(request, "initiative/thresholds.html", context)


@require_POST
@role_required(ADMIN)
def refresh(request: HttpRequest) -> HttpResponse:
    """Queue an indicator refresh, so that changed thresholds reach the published numbers."""
    if services.indicators_refresh_queue():
        messages.success(
            request,
            "The indicator refresh is queued: the published numbers will follow the "
            "thresholds above in a few minutes",
        )
    else:
        messages.error(request, "The indicator refresh could not be queued: try again later")
    return redirect("initiative:thresholds")
