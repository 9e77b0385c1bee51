"""The background task: one upload through the core, run by the task backend's worker.

The task carries only the upload's id (a string, as task arguments must be JSON); all it
does is call :func:`needle_web.submissions.services.upload_process`, which is safe to run
again if a worker dies mid-task.
"""

from __future__ import annotations

from django_tasks import task

from needle_web.submissions.services import upload_process

__all__ = ["process_upload"]


@task()
def process_upload(upload_id: str) -> str:
    """Check and pool the upload ``upload_id``; returns the state it ended in."""
    return str(upload_process(upload_id=upload_id).state)
