"""Changes to the initiative's settings, each through the core and each audited.

The core (:mod:`needle.initiative.edit`) decides whether a change is allowed and writes it;
these services only name who made it and record it, with the values before and after (the
settings hold no personal data: thresholds, partner organisations' names, the vision).
A refused change raises the core's :class:`~needle.initiative.edit.SettingsError` and
records nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest

from needle.initiative import edit
from needle.initiative.config import InitiativeConfig
from needle_web.audit.actions import AuditAction
from needle_web.audit.services import audit_record
from needle_web.initiative import selectors

__all__ = [
    "indicators_refresh_queue",
    "partner_add",
    "partner_rename",
    "thresholds_change",
    "vision_change",
]

logger = logging.getLogger(__name__)


def _record(actor: Any, request: HttpRequest | None, target: str, details: dict) -> None:
    audit_record(
        action=AuditAction.SETTINGS_CHANGED,
        actor=actor,
        target=target,
        request=request,
        details=details,
    )


def thresholds_change(
    *, actor: Any, values: dict[str, int], request: HttpRequest | None = None
) -> InitiativeConfig:
    """Set the disclosure thresholds; audited only when something changed."""
    home = selectors.home()
    old = home.config.disclosure
    config = edit.set_disclosure(home.config_path, values)
    before = {key: getattr(old, key) for key in values}
    after = {key: getattr(config.disclosure, key) for key in values}
    if before != after:
        changed = [key for key in values if before[key] != after[key]]
        _record(
            actor,
            request,
            "disclosure thresholds",
            {
                "setting": "disclosure",
                "before": {k: before[k] for k in changed},
                "after": {k: after[k] for k in changed},
            },
        )
    return config


def vision_change(
    *, actor: Any, vision: str, request: HttpRequest | None = None
) -> InitiativeConfig:
    """Set the common agenda's shared vision."""
    home = selectors.home()
    before = home.config.agenda.vision
    config = edit.set_vision(home.config_path, vision)
    if config.agenda.vision != before:
        _record(
            actor,
            request,
            "common agenda",
            {"setting": "agenda.vision", "before": before, "after": config.agenda.vision},
        )
    return config


def partner_add(
    *, actor: Any, code: str, name: str, request: HttpRequest | None = None
) -> InitiativeConfig:
    """Register a partner (and list it in needle.toml)."""
    home = selectors.home()
    config = edit.add_partner(home, code, name)
    added = code.strip().upper()
    _record(
        actor,
        request,
        f"partner {added}",
        {"setting": "partner added", "code": added, "before": None, "after": name.strip()},
    )
    return config


def partner_rename(
    *, actor: Any, code: str, name: str, request: HttpRequest | None = None
) -> InitiativeConfig:
    """Give a partner a new name (its code stays)."""
    home = selectors.home()
    current = selectors.partner(home, code)
    before = current.name if current else None
    config = edit.rename_partner(home, code, name)
    if before != name.strip():
        _record(
            actor,
            request,
            f"partner {code}",
            {"setting": "partner renamed", "code": code, "before": before, "after": name.strip()},
        )
    return config


def indicators_refresh_queue() -> bool:
    """Queue a refresh of the indicators for the worker; False when it could not be queued
    (the page says so, and the next refresh after a submission still happens)."""
    from needle_web.initiative.tasks import refresh_indicators

    try:
        refresh_indicators.enqueue()
    except Exception:
        logger.exception("could not queue an indicator refresh")
        return False
    return True
