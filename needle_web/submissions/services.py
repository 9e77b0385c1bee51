"""Writes of the submissions app: receive a file, try again, and the worker's processing.

The web layer decides nothing about the data: ``upload_process`` hands the file to the
core's ``needle.submit_path`` (validate, pseudonymise, pool, in one atomic ingest) exactly
as ``needle submit`` does, and records what the core answered.

Why running twice is safe: the core's ingest is atomic and recognises an identical
re-send, so if a worker dies anywhere in ``upload_process`` the upload stays
"processing" and running the task again ends with the one submission the first run may
already have pooled, never a second. Only a final state (accepted, rejected) stops a
re-run; the raw file is deleted after it is recorded, since it holds personal
identifiers the pool never keeps.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import traceback
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from needle_web.accounts.permissions import has_role, partner_scope
from needle_web.accounts.roles import Role
from needle_web.audit.actions import AuditAction
from needle_web.audit.services import audit_record
from needle_web.submissions.models import Upload

__all__ = [
    "ALLOWED_SUFFIXES",
    "FAILED_MESSAGE",
    "STALLED_AFTER",
    "UploadProblem",
    "can_retry",
    "max_upload_bytes",
    "stored_name_for",
    "upload_create",
    "upload_folder",
    "upload_process",
    "upload_retry",
]

logger = logging.getLogger(__name__)

ALLOWED_SUFFIXES = (".xlsx", ".zip", ".csv")
DEFAULT_MAX_UPLOAD_BYTES = 100 * 1024 * 1024
# A worker that has not finished an upload in this time has died: the partner may send it
# to be checked again (the core recognises a submission it already pooled).
STALLED_AFTER = timedelta(minutes=30)
FAILED_MESSAGE = (
    "Something went wrong on our side while checking your file. Nothing was added to the "
    "shared data. Try again; if it happens again, contact the backbone team."
)


class UploadProblem(Exception):
    """Why an upload cannot be made or retried, said for the person who asked."""


def max_upload_bytes() -> int:
    """The largest file accepted (``SUBMISSIONS_MAX_UPLOAD_BYTES``, default 100 MB)."""
    return int(getattr(settings, "SUBMISSIONS_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES))


def upload_folder(upload: Upload) -> Path:
    """Where the upload's file waits: ``HOME/uploads/<id>/``, outside the web root."""
    return Path(settings.HOME) / "uploads" / str(upload.pk)


def stored_name_for(original: str) -> str:
    """A safe file name to store ``original`` under: no folders, only letters, digits,
    ``-`` and ``_``, and the suffix the core reads by. The stem is kept (made safe) because
    the core names a single CSV's entity after it (``attendance.csv``) and quotes the file
    name in its report."""
    name = PurePosixPath(original.replace("\\", "/")).name
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise UploadProblem("The file must be an Excel workbook (.xlsx), a .zip or a .csv file")
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", PurePosixPath(name).stem).strip("_")[:60]
    return (stem or "submission") + suffix


def _enqueue(upload_id: uuid.UUID) -> None:
    from needle_web.submissions.tasks import process_upload

    try:
        process_upload.enqueue(str(upload_id))
    except Exception:  # the upload stays queued: the partner sees it and can try again
        logger.error("could not queue upload %s:\n%s", upload_id, _frames())


def _private_folder(folder: Path) -> None:
    folder.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.mkdir(mode=0o700)


def _save(file: UploadedFile, target: Path) -> None:
    temporary = target.with_name(target.name + ".part")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        for chunk in file.chunks():
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, target)


def _target(upload: Upload) -> str:
    return f"partner {upload.partner_code}, {upload.period}"


def upload_create(
    *,
    account: Any,
    period: str,
    file: UploadedFile,
    request: HttpRequest | None = None,
) -> Upload:
    """Keep ``file`` for ``period`` from ``account``'s partner, and queue it for checking.

    The partner is the account's, never one the request names. The file is written
    (private, outside the web root) before the transaction commits and removed if it does
    not; the task is queued once the upload row is committed, so the worker finds it.
    """
    if not has_role(account, Role.PARTNER_SUBMITTER):
        raise PermissionDenied("only partner submitters send data")
    partner = partner_scope(account)
    if not partner:
        raise PermissionDenied("a partner submitter without a partner")
    if file.size > max_upload_bytes():
        raise UploadProblem(f"The file must be smaller than {max_upload_bytes() // 2**20} MB")
    if not file.size:
        raise UploadProblem("The selected file is empty")
    stored = stored_name_for(file.name or "")
    folder: Path | None = None
    try:
        with transaction.atomic():
            upload = Upload.objects.create(
                account=account,
                partner_code=partner,
                period=period,
                original_name=(file.name or stored)[:255],
                stored_name=stored,
                size=file.size,
            )
            folder = upload_folder(upload)
            _private_folder(folder)
            _save(file, folder / stored)
            audit_record(
                action=AuditAction.SUBMISSION_UPLOADED,
                actor=account,
                target=_target(upload),
                request=request,
                details={"upload": str(upload.pk), "period": period, "bytes": file.size},
            )
            transaction.on_commit(lambda: _enqueue(upload.pk))
    except BaseException:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    return upload


def can_retry(upload: Upload) -> bool:
    """Whether the upload may be sent to be checked again: it failed, or a worker took it
    and has not finished for longer than :data:`STALLED_AFTER`."""
    if upload.state == Upload.State.FAILED:
        return True
    started = upload.started_at or upload.created_at
    return upload.is_waiting and started < timezone.now() - STALLED_AFTER


@transaction.atomic
def upload_retry(*, account: Any, upload: Upload, request: HttpRequest | None = None) -> Upload:
    """Queue ``upload`` again (see :func:`can_retry`) for a submitter of its partner."""
    if not has_role(account, Role.PARTNER_SUBMITTER) or partner_scope(account) != (
        upload.partner_code
    ):
        raise PermissionDenied("only the partner's submitters retry its uploads")
    upload = Upload.objects.select_for_update().get(pk=upload.pk)
    if not can_retry(upload):
        raise UploadProblem("This file is already being checked or has been checked")
    upload.state = Upload.State.QUEUED
    upload.failure = ""
    upload.save(update_fields=["state", "failure"])
    audit_record(
        action=AuditAction.SUBMISSION_RETRIED,
        actor=account,
        target=_target(upload),
        request=request,
        details={"upload": str(upload.pk), "period": upload.period},
    )
    transaction.on_commit(lambda: _enqueue(upload.pk))
    return upload


# ---- the worker's side -------------------------------------------------------------------


@dataclass(frozen=True)
class _Outcome:
    state: str
    submission_id: str
    version: int
    report: dict[str, Any]
    notes: tuple[str, ...]


def _frames() -> str:
    """The current exception's type and stack, without its message: a message from deep
    in a reader could quote a cell, and a cell could be a young person's name."""
    import sys

    kind, _, tb = sys.exc_info()
    name = kind.__name__ if kind else "unknown error"
    return "".join(traceback.format_tb(tb)) + name


def _submit(upload: Upload, path: Path) -> _Outcome:
    """The core's ingest of one file, as ``needle submit`` runs it, then the indicators."""
    import needle
    from needle.indicators.instruments import home_instruments

    home = needle.open_home(settings.HOME)
    pool = home.open_pool()
    try:
        result = needle.submit_path(
            pool,
            path,
            org=upload.partner_code,
            period=needle.parse_period(upload.period),
            secret=home.linkage_secret(),
            reference=home.open_reference(),
            instruments=home_instruments(home.root),
        )
    finally:
        pool.close()
    submission = result.submission
    accepted = submission.state != "invalid"
    if accepted:
        # Every time, not only when the core created a version: a worker that died between
        # pooling and refreshing leaves the indicators behind, and the re-run finds the
        # submission already pooled. A refresh with nothing new to read is quick.
        try:
            needle.refresh_indicators(home)
        except Exception:  # the data is pooled; the next refresh will catch up
            logger.error("indicators not refreshed after upload %s:\n%s", upload.pk, _frames())
    return _Outcome(
        state=Upload.State.ACCEPTED if accepted else Upload.State.REJECTED,
        submission_id=submission.id,
        version=submission.version,
        # The report's own "source" is the stored path on the server: show the partner's
        # label instead.
        report={**result.report, "source": upload.original_name},
        notes=tuple(result.notes),
    )


def _record_failure(upload_id: uuid.UUID, message: str) -> Upload:
    with transaction.atomic():
        upload = Upload.objects.select_for_update().get(pk=upload_id)
        upload.state = Upload.State.FAILED
        upload.failure = message[:500]
        upload.finished_at = timezone.now()
        upload.save(update_fields=["state", "failure", "finished_at"])
    return upload


def upload_process(*, upload_id: uuid.UUID | str) -> Upload:
    """Check and pool one upload (the task's work); safe to run again at any point."""
    from needle.errors import NeedleInputError

    with transaction.atomic():
        upload = Upload.objects.select_for_update().get(pk=upload_id)
        if upload.state in Upload.FINAL_STATES:
            return upload  # already decided: a duplicate task does nothing
        upload.state = Upload.State.PROCESSING
        upload.attempts += 1
        upload.started_at = timezone.now()
        upload.failure = ""
        upload.save(update_fields=["state", "attempts", "started_at", "failure"])
    try:
        outcome = _submit(upload, upload_folder(upload) / upload.stored_name)
    except NeedleInputError as exc:
        # The core's messages for people (an unregistered partner, a missing file) name no
        # young person; they say what to fix.
        logger.warning("upload %s could not be submitted: %s", upload.pk, exc)
        return _record_failure(upload.pk, f"{exc} Nothing was added to the shared data.")
    except Exception:
        logger.error("upload %s failed:\n%s", upload.pk, _frames())
        return _record_failure(upload.pk, FAILED_MESSAGE)
    with transaction.atomic():
        upload = Upload.objects.select_for_update().get(pk=upload.pk)
        upload.state = outcome.state
        upload.submission_id = outcome.submission_id
        upload.version = outcome.version
        upload.report = outcome.report
        upload.notes = list(outcome.notes)
        upload.finished_at = timezone.now()
        upload.save()
    # Decided and recorded: the raw file (names, dates of birth, postcodes) goes.
    shutil.rmtree(upload_folder(upload), ignore_errors=True)
    return upload
