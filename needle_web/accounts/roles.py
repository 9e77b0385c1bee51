"""The roles an account can hold, and which of them belong to a partner organisation.

Why one module: every permission check in later issues asks the same two questions (is
this a backbone role? which partner is this account confined to?), and the answers must not
drift between the model, the services and the views.
"""

from __future__ import annotations

import re

from django.db import models

__all__ = [
    "BACKBONE_ROLES",
    "PARTNER_CODE_PATTERN",
    "PARTNER_ROLES",
    "Role",
    "role_partner_problem",
]


class Role(models.TextChoices):
    """What an account may do. The public has no account and so no role."""

    BACKBONE_ADMIN = "backbone_admin", "Backbone admin"
    BACKBONE_ANALYST = "backbone_analyst", "Backbone analyst"
    PARTNER_SUBMITTER = "partner_submitter", "Partner submitter"
    PARTNER_VIEWER = "partner_viewer", "Partner viewer"
    STEERING_GROUP = "steering_group", "Steering group member"
    FUNDER = "funder", "Funder"


BACKBONE_ROLES = frozenset({Role.BACKBONE_ADMIN, Role.BACKBONE_ANALYST})
PARTNER_ROLES = frozenset({Role.PARTNER_SUBMITTER, Role.PARTNER_VIEWER})

# The partner register's rule for codes (needle.pool.model): 2 to 16 of A-Z 0-9 - _.
PARTNER_CODE_PATTERN = re.compile(r"^[A-Z0-9_-]{2,16}$")


def role_partner_problem(role: str, partner_code: str) -> str | None:
    """Why ``role`` and ``partner_code`` cannot go together, or None when they can.

    A partner role needs exactly one partner; every other role needs none, because the
    backbone, the steering group and funders see the collective picture, never one
    partner's records as that partner.
    """
    if role not in Role.values:
        return "Choose a role from the list"
    if role in PARTNER_ROLES:
        if not partner_code:
            return "Enter the partner organisation's code for a partner role"
        if not PARTNER_CODE_PATTERN.fullmatch(partner_code):
            return (
                "Enter a partner code of 2 to 16 capital letters, digits, hyphens or "
                "underscores, like YC"
            )
        return None
    if partner_code:
        return "Only partner roles belong to a partner organisation: leave the code empty"
    return None
