"""The submission journey on a real initiative home: the worker's task through the core,
the pages around it, and who may see what."""

from __future__ import annotations

import json
import logging
import stat
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from submission_builders import SECRET_FAMILY, SECRET_NAME, clean_rows, write_workbook

import needle
from needle.initiative import Home, InitiativeConfig, PeriodsConfig
from needle_web.accounts.roles import Role
from needle_web.accounts.testing import https_client, make_account, signed_in_client
from needle_web.audit.models import AuditEvent
from needle_web.submissions import selectors, services
from needle_web.submissions.models import Upload
from needle_web.submissions.tasks import process_upload

pytestmark = pytest.mark.django_db

PERIOD = "2025-Q1"


def _workbook(tmp_path: Path, name: str = "youth-club.xlsx", rows: Any = None) -> bytes:
    return write_workbook(tmp_path / name, rows or clean_rows()).read_bytes()


def _messy_rows() -> Any:
    """Two errors, one in a row holding distinctive personal identifiers."""
    rows = clean_rows()
    rows["young_people"][1].update(
        given_name=SECRET_NAME, family_name=SECRET_FAMILY, gender="Femail"
    )
    rows["attendance"][3]["session_ref"] = "S-999"
    return rows


def _upload(account: Any, content: bytes, name: str = "youth-club.xlsx") -> Upload:
    return services.upload_create(
        account=account, period=PERIOD, file=SimpleUploadedFile(name, content)
    )


def _pool_versions(home: Home, org: str = "YC") -> list[Any]:
    pool = home.open_pool()
    try:
        return list(pool.submissions(org=org, period=PERIOD))
    finally:
        pool.close()


@pytest.fixture
def submitter(db: None) -> Any:
    return make_account(Role.PARTNER_SUBMITTER, email="sam@yc.example.org", partner_code="YC")


# ---- the task, run directly ---------------------------------------------------------------


def test_a_valid_workbook_is_accepted_pooled_and_its_file_removed(home, submitter, tmp_path):
    upload = _upload(submitter, _workbook(tmp_path))
    stored = services.upload_folder(upload) / upload.stored_name
    assert stored.is_file() and upload.state == Upload.State.QUEUED
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stat.S_IMODE(stored.parent.stat().st_mode) == 0o700
    assert stored.parent.parent == home.root / "uploads"

    assert process_upload.call(str(upload.pk)) == "accepted"

    upload.refresh_from_db()
    assert upload.state == Upload.State.ACCEPTED and upload.attempts == 1
    [version] = _pool_versions(home)
    assert (upload.submission_id, upload.version) == (version.id, 1)
    assert version.state == "accepted" and version.rows["attendance"] == 5
    assert upload.report["valid"] and upload.report["source"] == "youth-club.xlsx"
    assert not stored.parent.exists()  # the raw file (names, dates of birth) is gone
    assert (home.root / "indicators").exists()  # refreshed, as `needle submit` does


def test_a_messy_workbook_is_rejected_with_located_problems(home, submitter, tmp_path):
    upload = _upload(submitter, _workbook(tmp_path, rows=_messy_rows()))
    process_upload.call(str(upload.pk))
    upload.refresh_from_db()
    assert upload.state == Upload.State.REJECTED
    assert [v.state for v in _pool_versions(home)] == ["invalid"]
    located = {(p["source"], p["row"], p["column"]) for p in upload.report["problems"]}
    assert located == {("young_people", 3, "gender"), ("attendance", 5, "session_ref")}
    stored = json.dumps(upload.report)
    assert SECRET_NAME not in stored and SECRET_FAMILY not in stored


@pytest.mark.parametrize("crash_in", ["submit_path", "refresh_indicators"])
def test_a_worker_that_dies_mid_task_ends_accepted_once(
    home, submitter, tmp_path, monkeypatch, crash_in
):
    """The worker dies before the pool committed, or after it (before the indicators):
    the upload stays "processing", and running the task again ends with one version."""

    class WorkerDied(BaseException):  # not an Exception: nothing in the task catches it
        pass

    real = getattr(needle, crash_in)

    def crash(*args: Any, **kwargs: Any) -> Any:
        if crash_in == "refresh_indicators":
            real(*args, **kwargs)  # got as far as it could, then died
        raise WorkerDied

    upload = _upload(submitter, _workbook(tmp_path))
    monkeypatch.setattr(needle, crash_in, crash)
    with pytest.raises(WorkerDied):
        process_upload.call(str(upload.pk))
    upload.refresh_from_db()
    assert upload.state == Upload.State.PROCESSING
    assert len(_pool_versions(home)) == (1 if crash_in == "refresh_indicators" else 0)

    monkeypatch.setattr(needle, crash_in, real)
    assert process_upload.call(str(upload.pk)) == "accepted"
    upload.refresh_from_db()
    [version] = _pool_versions(home)
    assert upload.state == Upload.State.ACCEPTED and upload.attempts == 2
    assert (upload.submission_id, version.version, version.state) == (version.id, 1, "accepted")
    assert process_upload.call(str(upload.pk)) == "accepted"  # a duplicate task: nothing
    assert len(_pool_versions(home)) == 1 and Upload.objects.get().attempts == 2


def test_a_failure_is_generic_on_the_page_and_logged_without_data(
    home, submitter, tmp_path, monkeypatch, caplog
):
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(f"could not parse {SECRET_NAME} {SECRET_FAMILY}")

    upload = _upload(submitter, _workbook(tmp_path))
    monkeypatch.setattr(needle, "submit_path", broken)
    with caplog.at_level(logging.INFO):
        assert process_upload.call(str(upload.pk)) == "failed"
    upload.refresh_from_db()
    assert upload.failure == services.FAILED_MESSAGE
    assert "RuntimeError" in caplog.text and str(upload.pk) in caplog.text
    assert SECRET_NAME not in caplog.text and SECRET_FAMILY not in caplog.text
    assert (services.upload_folder(upload) / upload.stored_name).exists()  # kept to retry
    assert services.can_retry(upload)


def test_an_unregistered_partner_fails_with_the_cores_message(home, db, tmp_path):
    stranger = make_account(Role.PARTNER_SUBMITTER, email="x@new.example.org", partner_code="NEW")
    upload = _upload(stranger, _workbook(tmp_path))
    process_upload.call(str(upload.pk))
    upload.refresh_from_db()
    assert upload.state == Upload.State.FAILED
    assert "NEW" in upload.failure and "Nothing was added" in upload.failure


def test_an_identical_file_sent_again_is_the_same_submission(home, submitter, tmp_path):
    content = _workbook(tmp_path)
    first, second = _upload(submitter, content), _upload(submitter, content)
    for upload in (first, second):
        process_upload.call(str(upload.pk))
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == second.state == Upload.State.ACCEPTED
    assert first.submission_id == second.submission_id and len(_pool_versions(home)) == 1


def test_the_stored_name_is_safe_and_the_original_only_a_label(home, submitter, tmp_path):
    upload = _upload(submitter, _workbook(tmp_path), name="..\\../Sam's data (final).XLSX")
    assert upload.original_name == "Sam's data (final).XLSX"  # Django drops the folders
    assert upload.stored_name == "Sam_s_data_final.xlsx"
    assert (home.root / "uploads" / str(upload.pk) / "Sam_s_data_final.xlsx").is_file()
    assert services.stored_name_for("attendance.csv") == "attendance.csv"
    assert services.stored_name_for("..\\..\\/etc/passwd.zip") == "passwd.zip"
    assert services.stored_name_for("ü.csv") == "submission.csv"
    for refused in ("data.xls", ".zip", "notes.txt"):
        with pytest.raises(services.UploadProblem):
            services.stored_name_for(refused)


# ---- the pages, with the backend running the task at once ----------------------------------


def _send(client: Any, content: bytes, name: str = "youth-club.xlsx", period: str = PERIOD) -> Any:
    return client.post(
        reverse("submissions:new"),
        {"period": period, "file": SimpleUploadedFile(name, content)},
    )


def test_sending_a_valid_file_shows_it_accepted(
    home, submitter, tmp_path, django_capture_on_commit_callbacks
):
    client = signed_in_client(submitter)
    page = client.get(reverse("submissions:new"))
    assert page.status_code == 200
    periods = page.context["form"].fields["period"].choices
    assert periods[1][0] == selectors.period_choices(home.config, timezone.localdate())[0]
    assert (PERIOD, PERIOD) in periods
    with django_capture_on_commit_callbacks(execute=True):
        response = _send(client, _workbook(tmp_path))
    upload = Upload.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("submissions:detail", args=[upload.pk])
    assert (upload.partner_code, upload.account, upload.state) == ("YC", submitter, "accepted")
    page = client.get(response["Location"]).content.decode()
    assert "Accepted" in page and "as version 1 for 2025-Q1" in page
    assert "data-upload-status-url" not in page  # nothing left to wait for
    status = client.get(reverse("submissions:status", args=[upload.pk])).json()
    assert status == {"state": "accepted", "label": "Accepted", "waiting": False}
    event = AuditEvent.objects.get(action="submission_uploaded")
    assert event.target == "partner YC, 2025-Q1" and event.details["upload"] == str(upload.pk)


def test_a_rejected_file_lists_each_problem_linked_to_its_row(
    home, submitter, tmp_path, django_capture_on_commit_callbacks
):
    client = signed_in_client(submitter)
    with django_capture_on_commit_callbacks(execute=True):
        response = _send(client, _workbook(tmp_path, rows=_messy_rows()))
    page = client.get(response["Location"]).content.decode()
    assert "<title>Error: Data for 2025-Q1" in page
    assert 'class="govuk-error-summary"' in page
    report = selectors.report_view(Upload.objects.get())
    assert report is not None and len(report.errors) == 2
    for problem in report.errors:
        assert f'<a href="#{problem.anchor}">' in page  # the summary links ...
        assert f'id="{problem.anchor}"' in page  # ... to the problem's row in the table
    assert "young_people, row 3, column gender: &#x27;Femail&#x27; is not a gender code" in page
    assert "attendance, row 5, column session_ref" in page
    assert "Use one of the codes or labels" in page  # how to fix it
    assert SECRET_NAME not in page and SECRET_FAMILY not in page


def test_the_form_refuses_what_the_core_could_not_read(home, submitter, settings):
    client = signed_in_client(submitter)
    empty = client.post(reverse("submissions:new"), {})
    assert set(empty.context["form"].errors) == {"period", "file"}
    wrong = _send(client, b"old excel", name="data.xls")
    assert "must be an Excel workbook (.xlsx)" in wrong.content.decode()
    settings.SUBMISSIONS_MAX_UPLOAD_BYTES = 10
    big = _send(client, b"x" * 11, name="attendance.csv")
    assert "smaller than" in big.content.decode()
    old = _send(client, b"x", name="attendance.csv", period="2024-Q4")  # before the first
    assert "period" in old.context["form"].errors
    assert not Upload.objects.exists() and not (home.root / "uploads").exists()


def test_a_waiting_upload_polls_and_has_a_refresh_link(home, submitter, tmp_path):
    upload = _upload(submitter, _workbook(tmp_path))  # queued: no worker ran
    client = signed_in_client(submitter)
    page = client.get(reverse("submissions:detail", args=[upload.pk])).content.decode()
    status_url = reverse("submissions:status", args=[upload.pk])
    assert f'data-upload-status-url="{status_url}"' in page
    assert "needle_web/submissions.js" in page and "Refresh this page" in page
    assert client.get(status_url).json()["waiting"] is True


def test_a_failed_upload_can_be_tried_again(
    home, submitter, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    upload = _upload(submitter, _workbook(tmp_path))
    real = needle.submit_path
    monkeypatch.setattr(needle, "submit_path", lambda *a, **k: 1 / 0)
    process_upload.call(str(upload.pk))
    monkeypatch.setattr(needle, "submit_path", real)
    client = signed_in_client(submitter)
    page = client.get(reverse("submissions:detail", args=[upload.pk])).content.decode()
    assert "Something went wrong on our side" in page and "Try again" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("submissions:retry", args=[upload.pk]))
    assert response.status_code == 302
    upload.refresh_from_db()
    assert upload.state == Upload.State.ACCEPTED and upload.attempts == 2
    again = client.post(reverse("submissions:retry", args=[upload.pk]))  # nothing to retry
    assert again.status_code == 302 and Upload.objects.get().attempts == 2


def test_a_stalled_upload_can_be_tried_again(home, submitter, tmp_path):
    upload = _upload(submitter, _workbook(tmp_path))
    assert not services.can_retry(upload)
    Upload.objects.filter(pk=upload.pk).update(
        state=Upload.State.PROCESSING, started_at=timezone.now() - timedelta(hours=1)
    )
    upload.refresh_from_db()
    assert services.can_retry(upload)


# ---- who sees what -------------------------------------------------------------------------


def test_another_partners_upload_is_not_found(home, submitter, tmp_path):
    upload = _upload(submitter, _workbook(tmp_path))
    other = make_account(
        Role.PARTNER_SUBMITTER, email="pat@sport.example.org", partner_code="SPORT"
    )
    client = signed_in_client(other)
    for name in ("submissions:detail", "submissions:status"):
        assert client.get(reverse(name, args=[upload.pk])).status_code == 404
    assert client.post(reverse("submissions:retry", args=[upload.pk])).status_code == 404
    listing = client.get(reverse("submissions:list"))
    assert list(listing.context["uploads"]) == []


def test_a_partner_viewer_sees_history_but_cannot_send(home, submitter, tmp_path):
    upload = _upload(submitter, _workbook(tmp_path))
    viewer = signed_in_client(
        make_account(Role.PARTNER_VIEWER, email="val@yc.example.org", partner_code="YC")
    )
    assert viewer.get(reverse("submissions:new")).status_code == 403
    assert _send(viewer, _workbook(tmp_path, name="again.xlsx")).status_code == 403
    assert viewer.post(reverse("submissions:retry", args=[upload.pk])).status_code == 403
    assert Upload.objects.count() == 1
    listing = viewer.get(reverse("submissions:list"))
    assert list(listing.context["uploads"]) == [upload]
    assert "Send your data" not in listing.content.decode()
    # ... and finds its own data-quality page from there
    assert reverse("tracker:partner_quality", args=["YC"]) in listing.content.decode()
    assert viewer.get(reverse("submissions:detail", args=[upload.pk])).status_code == 200


def test_the_backbone_sees_every_partners_uploads_with_a_partner_column(
    home, submitter, admin_client, tmp_path
):
    mine = _upload(submitter, _workbook(tmp_path))
    other = make_account(
        Role.PARTNER_SUBMITTER, email="pat@sport.example.org", partner_code="SPORT"
    )
    theirs = _upload(other, _workbook(tmp_path, name="sport.xlsx"))
    listing = admin_client.get(reverse("submissions:list"))
    assert set(listing.context["uploads"]) == {mine, theirs}
    page = listing.content.decode()
    assert ">Partner</th>" in page and ">SPORT</td>" in page and ">YC</td>" in page
    assert admin_client.get(reverse("submissions:detail", args=[theirs.pk])).status_code == 200
    assert AuditEvent.objects.filter(action="viewed_partner_data").count() == 1
    assert admin_client.get(reverse("submissions:new")).status_code == 403


def test_roles_without_partner_data_are_refused(home, db):
    for role in (Role.STEERING_GROUP, Role.FUNDER):
        client = signed_in_client(make_account(role, email=f"{role}@example.org"))
        assert client.get(reverse("submissions:list")).status_code == 403
    visitor = https_client().get(reverse("submissions:list"))
    assert visitor.status_code == 302 and reverse("accounts:login") in visitor["Location"]


def test_the_blank_template_downloads(home, submitter):
    response = signed_in_client(submitter).get(reverse("submissions:template"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="needle-template-')
    assert response.content[:2] == b"PK"  # an xlsx is a zip


def test_periods_run_from_the_first_to_today_newest_first() -> None:
    quarterly = InitiativeConfig(name="Q", periods=PeriodsConfig(first="2025-Q3"))
    assert selectors.period_choices(quarterly, date(2026, 2, 1)) == [
        "2026-Q1",
        "2025-Q4",
        "2025-Q3",
    ]
    monthly = InitiativeConfig(name="M", periods=PeriodsConfig(first="2025-11", frequency="month"))
    assert selectors.period_choices(monthly, date(2026, 1, 31)) == ["2026-01", "2025-12", "2025-11"]
    assert selectors.period_choices(quarterly, date(2025, 6, 30)) == []
