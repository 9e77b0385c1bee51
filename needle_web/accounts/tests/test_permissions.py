"""The permission helpers later pages build on."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.views import View

from needle_web.accounts.permissions import (
    RoleRequiredMixin,
    can_see_partner,
    has_role,
    is_backbone,
    partner_scope,
    role_required,
)
from needle_web.accounts.roles import Role
from needle_web.accounts.testing import make_account

pytestmark = pytest.mark.django_db


@role_required(Role.PARTNER_SUBMITTER, Role.BACKBONE_ADMIN)
def _upload(request: HttpRequest) -> HttpResponse:
    return HttpResponse("uploaded")


class _Upload(RoleRequiredMixin, View):
    required_roles = (Role.PARTNER_SUBMITTER,)

    def get(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse("uploaded")


def _request(user: object) -> HttpRequest:
    request = RequestFactory().get("/upload/?period=2026-Q3")
    request.user = user  # type: ignore[assignment]
    return request


@pytest.mark.parametrize("view", [_upload, _Upload.as_view()])
def test_role_required(view) -> None:  # type: ignore[no-untyped-def]
    anonymous = view(_request(AnonymousUser()))
    assert anonymous.status_code == 302
    assert anonymous.url == "/sign-in/?next=/upload/%3Fperiod%3D2026-Q3"
    assert view(_request(make_account(Role.PARTNER_SUBMITTER))).content == b"uploaded"
    with pytest.raises(PermissionDenied):
        view(_request(make_account(Role.PARTNER_VIEWER)))
    with pytest.raises(PermissionDenied):
        view(_request(make_account(Role.PARTNER_SUBMITTER, is_active=False)))


def test_role_required_needs_a_role() -> None:
    with pytest.raises(TypeError):
        role_required()


def test_partner_scope_and_visibility() -> None:
    submitter = make_account(Role.PARTNER_SUBMITTER, partner_code="YC")
    viewer = make_account(Role.PARTNER_VIEWER, partner_code="SPORT")
    analyst = make_account(Role.BACKBONE_ANALYST)
    steering = make_account(Role.STEERING_GROUP)
    funder = make_account(Role.FUNDER)

    assert partner_scope(submitter) == "YC" and partner_scope(viewer) == "SPORT"
    assert (
        partner_scope(analyst) is partner_scope(steering) is partner_scope(AnonymousUser()) is None
    )
    assert can_see_partner(submitter, "YC") and not can_see_partner(submitter, "SPORT")
    assert can_see_partner(analyst, "YC") and can_see_partner(analyst, "SPORT")
    assert not can_see_partner(steering, "YC") and not can_see_partner(funder, "YC")
    assert not can_see_partner(AnonymousUser(), "YC")
    assert is_backbone(analyst) and not is_backbone(submitter)
    assert has_role(funder, Role.FUNDER, "steering_group") and not has_role(
        funder, Role.BACKBONE_ADMIN
    )

    submitter.is_active = False
    assert partner_scope(submitter) is None and not can_see_partner(submitter, "YC")
