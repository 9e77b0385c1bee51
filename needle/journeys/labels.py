"""Readable names for the codes journey tables hold (provision categories, outcomes...),
from the standard's code lists, for pages and charts."""

from __future__ import annotations

from functools import cache

from needle.indicators.summary import group_label
from needle.journeys.disengagement import ATTENDING, STOPPED
from needle.journeys.pathways import END, MORE
from needle.journeys.tables import ALL

__all__ = ["label"]

_OWN = {
    ALL: "All",
    END: "No further category",
    MORE: "More categories",
    STOPPED: "Stopped",
    ATTENDING: "Still attending",
    "unknown": "Not known",
    "first_attended": "First attended",
    "last_attended": "Last attended",
    "referral_made": "Referral made",
    "questionnaire": "Questionnaire",
    "milestone": "Milestone",
}


@cache
def _codes() -> dict[str, str]:
    from needle.standard import load_standard

    names: dict[str, str] = {}
    for listed in ("provision_category", "referral_status", "milestone", "instrument"):
        for code in load_standard().codelists[listed].codes:
            names.setdefault(code.code, code.label)
    return names


def label(code: str | None, column: str = "") -> str:
    """The name of ``code`` (a value of ``column``) for readers."""
    if code is None:
        return ""
    if code in _OWN:
        return _OWN[code]
    if code.startswith("referral_"):
        return "Referral " + _codes().get(code.removeprefix("referral_"), code).lower()
    if code in _codes() and column not in ("partner", "receiver", "ward", "local_authority"):
        return _codes()[code]
    return group_label(column, code)
