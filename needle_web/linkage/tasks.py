"""The background task: link the pool again and refresh the indicators, so that review
decisions reach the person ids and the counts without waiting for the next submission."""

from __future__ import annotations

from django_tasks import task

__all__ = ["link_and_refresh"]


@task()
def link_and_refresh() -> str:
    """Refresh the indicators of the app's home through the core, which links the pool
    first (``needle.indicators.refresh`` runs ``needle.linkage.link``); returns the run's id."""
    from needle.indicators import refresh_indicators
    from needle_web.linkage.selectors import home

    return refresh_indicators(home()).run_id
