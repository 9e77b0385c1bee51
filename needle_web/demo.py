"""Demo accounts: one of each role, so a person trying Needle can see every view of it.

Why a module of its own: these accounts share one published password and their
authenticator keys are printed in a terminal, which is right for a demo on a laptop and
wrong anywhere else. So they are made only here, only on a web database that has no other
accounts, and each is marked in the audit log ("Demo account created") so that
``python -m needle_web demo_code`` can refuse any account the demo did not make.

Making them again is safe: an account already there is kept as it is (with its
authenticator), never duplicated.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from needle_web.accounts.models import User
from needle_web.accounts.roles import Role
from needle_web.accounts.selectors import confirmed_totp_device
from needle_web.accounts.services import account_create
from needle_web.audit.actions import AuditAction
from needle_web.audit.models import AuditEvent
from needle_web.audit.services import audit_record

__all__ = [
    "DEMO_DOMAIN",
    "DEMO_PASSWORD",
    "DemoAccount",
    "DemoRefused",
    "demo_accounts_ensure",
    "demo_code",
    "is_demo_account",
]

# Published in the terminal and the README: good for a demo only.
DEMO_PASSWORD = "needle-demo-passphrase"
DEMO_DOMAIN = "demo.example.org"
DEVICE_NAME = "Demo authenticator"


class DemoRefused(Exception):
    """Why demo accounts cannot be made or used here, said for the person who asked."""


@dataclass(frozen=True)
class DemoAccount:
    """A demo account as the terminal shows it."""

    email: str
    role: str
    partner_code: str
    created: bool  # False when it was already there
    totp_key: str = ""  # base32, in groups of four; backbone accounts only
    otpauth_uri: str = ""

    @property
    def role_label(self) -> str:
        return Role(self.role).label


def _wanted(partners: Sequence[str]) -> list[tuple[str, Role, str]]:
    """(email, role, partner) of each demo account: every role, and a second partner's
    submitter so that a partner can be seen not to see another partner's data."""
    wanted = [
        (f"backbone-admin@{DEMO_DOMAIN}", Role.BACKBONE_ADMIN, ""),
        (f"backbone-analyst@{DEMO_DOMAIN}", Role.BACKBONE_ANALYST, ""),
    ]
    for position, code in enumerate(partners[:2]):
        wanted.append((f"submitter-{code.lower()}@{DEMO_DOMAIN}", Role.PARTNER_SUBMITTER, code))
        if position == 0:
            wanted.append((f"viewer-{code.lower()}@{DEMO_DOMAIN}", Role.PARTNER_VIEWER, code))
    wanted += [
        (f"steering-group@{DEMO_DOMAIN}", Role.STEERING_GROUP, ""),
        (f"funder@{DEMO_DOMAIN}", Role.FUNDER, ""),
    ]
    return wanted


def _target(user: User) -> str:
    return f"account {user.pk} ({user.email})"


def is_demo_account(user: User) -> bool:
    """Whether ``user`` was made by :func:`demo_accounts_ensure` (its audit event says so)."""
    return AuditEvent.objects.filter(
        action=AuditAction.DEMO_ACCOUNT_CREATED, target=_target(user)
    ).exists()


def _manual_key(device: TOTPDevice) -> str:
    key = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def _authenticator(user: User) -> TOTPDevice:
    """The account's confirmed authenticator, made now if it has none: a demo cannot ask a
    person to scan a QR code before they have seen the app."""
    device = confirmed_totp_device(user)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=True)
        audit_record(
            action=AuditAction.TWO_FACTOR_CONFIRMED, target=_target(user), details={"demo": True}
        )
    return device


@transaction.atomic
def demo_accounts_ensure(*, partners: Sequence[str]) -> list[DemoAccount]:
    """The demo accounts, made if missing, for the first two of ``partners`` (codes).

    Refuses (:class:`DemoRefused`) when the web database already has an account the demo
    did not make: a real initiative must never get accounts with a published password.
    """
    demo_ids = set(
        AuditEvent.objects.filter(action=AuditAction.DEMO_ACCOUNT_CREATED).values_list(
            "target", flat=True
        )
    )
    others = [u.email for u in User.objects.all() if _target(u) not in demo_ids]
    if others:
        raise DemoRefused(
            f"This web database already has {len(others)} account(s) of its own, so demo "
            "accounts (with a published password) are not added to it. Serve it without "
            "--demo, or run the demo on the demo's own home (./bin/demo)."
        )
    accounts = []
    for email, role, partner in _wanted(partners):
        user = User.objects.filter(email=email).first()
        created = user is None
        if user is None:
            user = account_create(
                email=email,
                role=role,
                partner_code=partner,
                password=DEMO_PASSWORD,
                full_name=f"Demo {role.label.lower()}",
            )
            audit_record(
                action=AuditAction.DEMO_ACCOUNT_CREATED,
                target=_target(user),
                details={"role": str(role), "partner_code": partner},
            )
        key = uri = ""
        if user.is_backbone:
            device = _authenticator(user)
            key, uri = _manual_key(device), device.config_url
        accounts.append(DemoAccount(email, str(role), partner, created, key, uri))
    return accounts


def demo_code(email: str) -> str:
    """The code a demo account's authenticator shows now, for someone who has not added
    its key to an app. Refuses any account the demo did not make."""
    user = User.objects.filter(email=email.strip().lower()).first()
    if user is None or not is_demo_account(user):
        raise DemoRefused(
            f"{email} is not a demo account: codes are only shown for the accounts "
            "`needle serve --demo` made."
        )
    device = confirmed_totp_device(user)
    if device is None:
        raise DemoRefused(f"{email} has no authenticator: it signs in with its password only.")
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{code:0{device.digits}d}"
