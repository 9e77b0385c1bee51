"""Reads of the api app: tokens by partner, and the indicator results a caller may read.

The numbers come from the core's protected tables for the caller's audience, read as the
dashboards read them (``needle_web.dashboards.selectors``), or for a partner through the
core's own ``results_for(..., "partner", partner)`` (collective numbers and only its own
per-partner rows). Nothing is computed here: rows are chosen and turned into JSON values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import polars as pl
from django.conf import settings

from needle.errors import NeedleInputError
from needle_web.accounts.permissions import has_role, is_backbone, partner_scope
from needle_web.accounts.roles import Role
from needle_web.api.models import ApiToken
from needle_web.dashboards import selectors as dashboards

__all__ = [
    "PARTNER",
    "PartnerTokens",
    "Reader",
    "indicator_rows",
    "initiative_partners",
    "reader_for",
    "results_for_reader",
    "tokens_by_partner",
]

PARTNER = "partner"
ROW_FIELDS = (
    "period",
    "breakdown",
    "group",
    "value",
    "numerator",
    "denominator",
    "n",
    "lower",
    "upper",
    "status",
)


def initiative_partners() -> dict[str, str]:
    """The initiative's partners (code -> name) from its ``needle.toml``, or none when
    there is no initiative home."""
    import needle

    try:
        home = needle.open_home(settings.HOME)
    except NeedleInputError:
        return {}
    return {p.code: p.name for p in home.config.partners}


@dataclass(frozen=True)
class PartnerTokens:
    """One partner's tokens, for the token list page."""

    code: str
    name: str
    tokens: tuple[ApiToken, ...]


def tokens_by_partner() -> list[PartnerTokens]:
    """Every partner of the initiative with its tokens (live first), then any partner code
    that has tokens but is no longer in the initiative."""
    partners = initiative_partners()
    tokens: dict[str, list[ApiToken]] = {}
    for token in ApiToken.objects.select_related("created_by").order_by(
        "partner_code", "revoked_at", "-created_at"
    ):
        tokens.setdefault(token.partner_code, []).append(token)
    codes = [*partners, *sorted(set(tokens) - set(partners))]
    return [PartnerTokens(c, partners.get(c, c), tuple(tokens.get(c, ()))) for c in codes]


# ---- indicator results ------------------------------------------------------------------


@dataclass(frozen=True)
class Reader:
    """Whose results a caller reads: an audience, and for a partner which one."""

    audience: str
    partner: str | None = None


def reader_for(caller: Any) -> Reader | None:
    """The audience of a partner token or a signed-in account: the backbone's table for
    the backbone, the steering group's for the steering group and funders, the partner
    view for a partner's token or account; None for anyone else."""
    if isinstance(caller, ApiToken):
        return Reader(PARTNER, caller.partner_code)
    if is_backbone(caller):
        return Reader(dashboards.BACKBONE)
    if has_role(caller, Role.STEERING_GROUP, Role.FUNDER):
        return Reader(dashboards.STEERING_GROUP)
    partner = partner_scope(caller)
    if partner:
        return Reader(PARTNER, partner)
    return None


def _partner_results(partner: str) -> dashboards.Results | None:
    import needle
    from needle.indicators.refresh import current_run, registry_for, results_for
    from needle.indicators.summary import DisclosureRules

    try:
        home = needle.open_home(settings.HOME)
        run = current_run(home.root)
        table = results_for(home.root, PARTNER, partner)
    except NeedleInputError:
        return None
    rules = DisclosureRules.for_audience(PARTNER, home.config.disclosure)
    return dashboards.Results(PARTNER, home.config.name, run, registry_for(home), table, rules)


def results_for_reader(reader: Reader) -> dashboards.Results | None:
    """The current results ``reader`` may see, or None before any were computed."""
    if reader.audience == PARTNER:
        assert reader.partner
        return _partner_results(reader.partner)
    return dashboards.current_results(reader.audience)


def _frame(results: dashboards.Results) -> pl.DataFrame:
    """The rows to give: a partner keeps its own per-partner rows (the core's partner view
    holds no other partner's); the other audiences get what their dashboards show."""
    if results.audience == PARTNER:
        from needle.indicators.summary import with_status

        return with_status(results.table)
    return results.frame


def _number(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN
    return value


def indicator_rows(results: dashboards.Results, indicator_id: str) -> list[dict[str, Any]]:
    """The rows of one indicator, hidden numbers empty, ordered by period, breakdown and
    group. Raises ``dashboards.UnknownIndicator`` for one the audience may not see."""
    if indicator_id not in results.registry:
        raise dashboards.UnknownIndicator(indicator_id)
    if not results.visible(results.registry.get(indicator_id)):
        raise dashboards.UnknownIndicator(indicator_id)
    frame = _frame(results).filter(pl.col("indicator") == indicator_id)
    frame = frame.sort("period", "breakdown", "group")
    columns = [c for c in ROW_FIELDS if c in frame.columns]
    return [
        {key: _number(value) for key, value in row.items()}
        for row in frame.select(columns).to_dicts()
    ]
