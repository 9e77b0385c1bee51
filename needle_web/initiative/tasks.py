"""The background task: refresh the initiative's indicators, so that published numbers
follow changed thresholds without waiting for the next submission."""

from __future__ import annotations

from django_tasks import task

__all__ = ["refresh_indicators"]


@task()
def refresh_indicators() -> str:
    """Refresh the indicators of the app's home through the core; returns the run's id."""
    from needle.indicators import refresh_indicators as refresh
    from needle_web.initiative.selectors import home

    return refresh(home()).run_id
