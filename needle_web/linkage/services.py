"""Review decisions and linkage runs from the web, each through the core and audited.

A decision goes to :func:`needle.linkage.decide_pair` under the account's email, which the
core keeps for good and honours from the next linkage run. The page offers only pairs in
the review queue, and this service refuses any other pair with a message that says what
to do, so a stale page or a tampered request never reaches the core's files.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest

from needle.errors import NeedleInputError
from needle.linkage import decide_pair
from needle_web.audit.actions import AuditAction
from needle_web.audit.services import audit_record
from needle_web.linkage import selectors

__all__ = ["link_and_refresh_queue", "pair_decide"]

logger = logging.getLogger(__name__)


def pair_decide(
    *, actor: Any, pair: str, decision: str, request: HttpRequest | None = None
) -> dict[str, str]:
    """Confirm or reject a pair of the review queue; raises NeedleInputError for a pair
    that is not in the queue."""
    the_home = selectors.home()
    partners = selectors.in_queue(the_home, pair)
    if partners is None:
        raise NeedleInputError(
            f"Pair {pair} is not waiting for review: the latest linkage run may have "
            "settled it. Choose a pair from the list."
        )
    row = decide_pair(the_home.root, pair, decision, by=actor.email)
    audit_record(
        action=AuditAction.LINKAGE_DECIDED,
        actor=actor,
        target=f"pair {pair}",
        request=request,
        details={"pair": pair, "decision": decision, "partners": sorted(set(partners))},
    )
    return row


def link_and_refresh_queue() -> bool:
    """Queue a linkage run and indicator refresh for the worker; False when it could not
    be queued (the page says so; the next submission's refresh links anyway)."""
    from needle_web.linkage.tasks import link_and_refresh

    try:
        link_and_refresh.enqueue()
    except Exception:
        logger.exception("could not queue a linkage run")
        return False
    return True
