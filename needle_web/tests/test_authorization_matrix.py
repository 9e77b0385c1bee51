"""The authorization matrix: every URL x every kind of visitor x own/other partner.

The URL configuration is walked for every named pattern, and ``RULES`` must say, for each,
what every kind of visitor gets: the page (200), sign in first (302 to the sign-in page),
"not for you" (403) or "not found" (404, for another partner's records, so that their
existence is not confirmed). A named URL without a rule fails
``test_every_named_url_has_a_rule``, so a new page cannot be forgotten.

The expectations are written here by hand, independently of the views' decorators: a view
that forgets its ``role_required`` fails the matrix. Pages that hold one partner's records
are visited by an account of that partner ("own") and of another partner ("other"); the
other partner must get 404 and, on every page it may see, no trace of the first
partner's upload.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from needle_web.accounts.models import Invitation, User
from needle_web.accounts.roles import Role
from needle_web.accounts.testing import https_client, make_account, signed_in_client
from needle_web.dashboards.tests.homes import home_with_results
from needle_web.submissions.models import Upload

OWN, OTHER = "YC", "SPORT"
OWN_MARKER = "own-partner-upload-7f3a.xlsx"  # the own partner's upload's file name

# Every kind of visitor: a role and, for partner roles, whose partner.
VISITORS: dict[str, tuple[str, str] | None] = {
    "anonymous": None,
    "backbone_admin": (Role.BACKBONE_ADMIN, ""),
    "backbone_analyst": (Role.BACKBONE_ANALYST, ""),
    "own_submitter": (Role.PARTNER_SUBMITTER, OWN),
    "own_viewer": (Role.PARTNER_VIEWER, OWN),
    "other_submitter": (Role.PARTNER_SUBMITTER, OTHER),
    "other_viewer": (Role.PARTNER_VIEWER, OTHER),
    "steering_group": (Role.STEERING_GROUP, ""),
    "funder": (Role.FUNDER, ""),
}
SIGNED_IN = frozenset(VISITORS) - {"anonymous"}
BACKBONE = frozenset({"backbone_admin", "backbone_analyst"})
ADMIN = frozenset({"backbone_admin"})
OWN_PARTNER = frozenset({"own_submitter", "own_viewer"})
OTHER_PARTNER = frozenset({"other_submitter", "other_viewer"})
PARTNERS = OWN_PARTNER | OTHER_PARTNER
SUBMITTERS = frozenset({"own_submitter", "other_submitter"})
COLLECTIVE = BACKBONE | {"steering_group", "funder"}
EVERYONE = frozenset(VISITORS)
LOGIN = "login"  # 302 to the sign-in page


@dataclass(frozen=True)
class World:
    """The objects a URL's arguments point at."""

    upload: Upload
    invitation: Invitation
    account: User


@dataclass(frozen=True)
class Rule:
    """What a request (GET, or POST for actions) to one URL gives each visitor.

    ``allowed`` get ``ok`` (200 unless told); ``hidden`` get 404; anonymous visitors get
    ``anonymous`` (sign in first, unless the page is public); everyone else 403.
    Actions that only answer POST are sent an empty POST: an allowed visitor's is
    refused or done (``ok``), and nobody else's may get that far.
    """

    allowed: frozenset[str]
    kwargs: Callable[[World], dict[str, Any]] = lambda world: {}
    hidden: frozenset[str] = frozenset()
    ok: int = 200
    anonymous: int | str = LOGIN
    overrides: dict[str, int | str] = field(default_factory=dict)
    method: str = "get"

    def expected(self, visitor: str) -> int | str:
        if visitor in self.overrides:
            return self.overrides[visitor]
        if visitor in self.allowed:
            return self.ok
        if visitor == "anonymous":
            return self.anonymous
        if visitor in self.hidden:
            return 404
        return 403


def public(ok: int = 200, **overrides: int | str) -> Rule:
    return Rule(EVERYONE, ok=ok, anonymous=ok, overrides=overrides)


def _upload(world: World) -> dict[str, Any]:
    return {"upload_id": world.upload.pk}


# Signed-in visitors opening the sign-in and password pages are served them as well.
RULES: dict[str, Rule] = {
    # pages
    "pages:home": public(),
    "pages:healthz": public(),
    "pages:accessibility": public(),
    # accounts: the sign-in and password pages are open to all
    "accounts:login": public(**dict.fromkeys(SIGNED_IN, 302)),  # signed in: home
    "accounts:logout": public(ok=405),  # sign out is a POST
    "accounts:password_reset": public(),
    "accounts:password_reset_done": public(),
    "accounts:password_reset_confirm": Rule(
        EVERYONE, lambda w: {"uidb64": "MQ", "token": "set-password"}, anonymous=200
    ),
    "accounts:password_reset_complete": public(),
    "accounts:invitation_accept": public(ok=410),  # no invitation opened first: gone
    "accounts:invitation_open": Rule(  # stores the token, then the form
        EVERYONE, lambda w: {"token": "not-a-real-token"}, ok=302, anonymous=302
    ),
    "accounts:two_factor_setup": Rule(SIGNED_IN),
    "accounts:two_factor_verify": Rule(SIGNED_IN, ok=302),  # nothing to verify: away
    "accounts:account_list": Rule(ADMIN),
    "accounts:invitation_new": Rule(ADMIN),
    "accounts:invitation_revoke": Rule(
        ADMIN, kwargs=lambda w: {"invitation_id": w.invitation.pk}, ok=302, method="post"
    ),
    "accounts:account_deactivate": Rule(ADMIN, kwargs=lambda w: {"account_id": w.account.pk}),
    # audit
    "audit:event_list": Rule(ADMIN),
    # submissions: one partner's records; another partner's are "not found"
    "submissions:list": Rule(BACKBONE | PARTNERS),
    "submissions:new": Rule(SUBMITTERS),
    "submissions:template": Rule(BACKBONE | PARTNERS),
    "submissions:detail": Rule(BACKBONE | OWN_PARTNER, _upload, hidden=OTHER_PARTNER),
    "submissions:status": Rule(BACKBONE | OWN_PARTNER, _upload, hidden=OTHER_PARTNER),
    "submissions:retry": Rule(
        {"own_submitter"}, _upload, hidden={"other_submitter"}, ok=302, method="post"
    ),
    # initiative settings: the backbone reads, the admin changes
    "initiative:overview": Rule(BACKBONE),
    "initiative:partners": Rule(BACKBONE),
    "initiative:partner_add": Rule(ADMIN),
    "initiative:partner_rename": Rule(ADMIN, lambda w: {"code": OWN}),
    "initiative:periods": Rule(BACKBONE),
    "initiative:outcomes": Rule(BACKBONE),
    "initiative:vision": Rule(ADMIN),
    "initiative:indicators": Rule(BACKBONE),
    "initiative:thresholds": Rule(BACKBONE),
    "initiative:refresh": Rule(ADMIN, ok=302, method="post"),
    # the backbone's tracker and data quality; a partner may read its own data quality
    "tracker:submissions": Rule(BACKBONE),
    "tracker:remind": Rule(
        BACKBONE, lambda w: {"period": "2025-Q1", "code": OWN}, ok=302, method="post"
    ),
    "tracker:data_quality": Rule(BACKBONE),
    "tracker:partner_quality": Rule(
        BACKBONE | OWN_PARTNER, lambda w: {"code": OWN}, hidden=OTHER_PARTNER
    ),
    # the partner's feedback page: the backbone may open any partner's, a partner its own
    "feedback:home": Rule(BACKBONE | PARTNERS),
    "feedback:partner": Rule(
        BACKBONE | OWN_PARTNER, lambda w: {"partner_code": OWN}, hidden=OTHER_PARTNER
    ),
    # the API: submissions only with a partner's API token (a browser session is not
    # enough: 401), indicator results with a token or by role; tokens managed by the admin
    "api:api-root": public(ok=302),
    "api:docs": public(),
    "api:openapi-json": public(),
    "api:tokens": Rule(ADMIN),
    "api:token_new": Rule(ADMIN),
    "api:token_revoke": Rule(ADMIN, lambda w: {"token_id": 1}, ok=404),  # no such token
    "api:submissions": Rule(frozenset(), anonymous=401, overrides=dict.fromkeys(SIGNED_IN, 401)),
    "api:submission": Rule(
        frozenset(), _upload, anonymous=401, overrides=dict.fromkeys(SIGNED_IN, 401)
    ),
    "api:indicators": Rule(SIGNED_IN, anonymous=401),
    "api:indicator": Rule(SIGNED_IN, lambda w: {"indicator_id": "reach"}, anonymous=401),
    # dashboards
    "dashboards:backbone": Rule(BACKBONE),
    "dashboards:backbone_indicator": Rule(BACKBONE, lambda w: {"indicator_id": "reach"}),
    "dashboards:steering": Rule(COLLECTIVE),
    "dashboards:steering_indicator": Rule(COLLECTIVE, lambda w: {"indicator_id": "reach"}),
    "dashboards:backbone_equity": Rule(BACKBONE),
    "dashboards:backbone_map": Rule(BACKBONE),
    # The matrix's home has no reference data, so the map's data is "not found" (404) for
    # those who may see it, and refused as usual to everyone else.
    "dashboards:backbone_map_data": Rule(BACKBONE, ok=404),
    "dashboards:backbone_export": Rule(BACKBONE, lambda w: {"audience": "backbone", "fmt": "xlsx"}),
    "dashboards:steering_equity": Rule(COLLECTIVE),
    "dashboards:steering_map": Rule(COLLECTIVE),
    "dashboards:steering_map_data": Rule(COLLECTIVE, ok=404),
    "dashboards:steering_export": Rule(COLLECTIVE),
    "dashboards:public": public(),
    "dashboards:public_equity": public(),
    "dashboards:public_map": public(),
    "dashboards:public_map_data": public(ok=404),
    "dashboards:public_indicator": Rule(
        EVERYONE, lambda w: {"indicator_id": "reach"}, anonymous=200
    ),
    "dashboards:public_csv": public(),
    "dashboards:public_datapackage": public(),
    # journeys: collective pages for the backbone, steering group and funders; one young
    # person's timeline for the backbone only
    "journeys:home": Rule(COLLECTIVE),
    "journeys:pathways": Rule(COLLECTIVE),
    "journeys:referrals": Rule(COLLECTIVE),
    "journeys:disengagement": Rule(COLLECTIVE),
    "journeys:typical": Rule(COLLECTIVE),
    "journeys:timeline": Rule(BACKBONE),
    # linkage: the backbone's quality report and review queue; both backbone roles decide
    # pairs (reviewing is analysis work), only the admin starts a run (it republishes). The
    # matrix's home has never been linked: an empty decision is refused on the page (200).
    "linkage:quality": Rule(BACKBONE),
    "linkage:review": Rule(BACKBONE),
    "linkage:decide": Rule(BACKBONE, method="post"),
    "linkage:run": Rule(ADMIN, ok=302, method="post"),
}


def named_urls(resolver: URLResolver | None = None, namespace: str = "") -> Iterator[str]:
    """Every named URL pattern as ``namespace:name``, through every include."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from named_urls(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}"


def test_every_named_url_has_a_rule() -> None:
    missing = sorted(set(named_urls()) - set(RULES))
    assert not missing, f"add a rule to RULES in {Path(__file__).name} for: {missing}"


def test_every_rule_is_for_a_url() -> None:
    assert not sorted(set(RULES) - set(named_urls()))


@pytest.fixture(scope="module")
def results_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return home_with_results(tmp_path_factory.mktemp("matrix") / "home")


@pytest.fixture
def world(db: None, results_home: Path, settings: Any) -> World:
    settings.HOME = results_home
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    submitter = make_account(Role.PARTNER_SUBMITTER, email="owner@yc.example.org")
    upload = Upload.objects.create(
        account=submitter,
        partner_code=OWN,
        period="2025-Q1",
        original_name=OWN_MARKER,
        stored_name="stored.xlsx",
        size=10,
        state=Upload.State.REJECTED,
        report={"problems": [], "summary": {}},
    )
    admin = make_account(Role.BACKBONE_ADMIN, email="inviter@backbone.example.org")
    invitation = Invitation.objects.create(
        email="invitee@example.org",
        role=Role.PARTNER_VIEWER,
        partner_code=OWN,
        invited_by=admin,
        token_hash="0" * 64,
        expires_at="2999-01-01T00:00:00Z",
    )
    return World(upload=upload, invitation=invitation, account=submitter)


def _client(visitor: str) -> Client:
    spec = VISITORS[visitor]
    if spec is None:
        return https_client()
    role, partner = spec
    return signed_in_client(
        make_account(role, email=f"{visitor}@example.org", partner_code=partner)
    )


@pytest.mark.parametrize("visitor", sorted(VISITORS))
def test_matrix(visitor: str, world: World) -> None:
    client = _client(visitor)
    wrong = []
    for name, rule in sorted(RULES.items()):
        url = reverse(name, kwargs=rule.kwargs(world))
        response = getattr(client, rule.method)(url)
        expected = rule.expected(visitor)
        got: int | str = response.status_code
        if expected == LOGIN and got == 302 and reverse("accounts:login") in response["Location"]:
            got = LOGIN
        if got != expected:
            wrong.append(f"{name} ({url}): expected {expected}, got {got}")
        if visitor in OTHER_PARTNER | {"steering_group", "funder", "anonymous"}:
            body = response.content.decode(errors="replace")
            assert OWN_MARKER not in body and str(world.upload.pk) not in body, (
                f"{name} shows the {OWN} partner's upload to {visitor}"
            )
    assert not wrong, f"{visitor}:\n" + "\n".join(wrong)
