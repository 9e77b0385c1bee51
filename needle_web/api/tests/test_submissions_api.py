"""Sending files through the API: the same checks and service as the browser's "Send your
data" page, the same validation report, and only the token's own partner's uploads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from submission_builders import SECRET_FAMILY, SECRET_NAME, clean_rows, write_workbook

from needle_web.accounts.roles import Role
from needle_web.accounts.testing import https_client, make_account, signed_in_client
from needle_web.audit.models import AuditEvent
from needle_web.submissions import selectors
from needle_web.submissions.models import Upload

pytestmark = pytest.mark.django_db

PERIOD = "2025-Q1"


def _messy_workbook(tmp_path: Path) -> bytes:
    """Two errors, one in a row holding distinctive personal identifiers."""
    rows = clean_rows()
    rows["young_people"][1].update(
        given_name=SECRET_NAME, family_name=SECRET_FAMILY, gender="Femail"
    )
    rows["attendance"][3]["session_ref"] = "S-999"
    return write_workbook(tmp_path / "messy.xlsx", rows).read_bytes()


def _clean_workbook(tmp_path: Path) -> bytes:
    return write_workbook(tmp_path / "clean.xlsx", clean_rows()).read_bytes()


def _send(token: str, content: bytes, name: str = "youth-club.xlsx", **fields: Any) -> Any:
    data = {"period": PERIOD, "file": SimpleUploadedFile(name, content), **fields}
    return https_client().post(
        reverse("api:submissions"), data, HTTP_AUTHORIZATION=f"Bearer {token}"
    )


def _get(token: str, url: str) -> Any:
    return https_client().get(url, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_a_valid_file_is_queued_then_accepted(
    home, token_for, tmp_path, django_capture_on_commit_callbacks
):
    token = token_for("YC")
    with django_capture_on_commit_callbacks(execute=True):
        response = _send(token, _clean_workbook(tmp_path))
    assert response.status_code == 202
    body = response.json()
    upload = Upload.objects.get()
    assert (body["id"], body["state"]) == (str(upload.pk), "queued")
    assert body["status_url"] == reverse("api:submission", args=[upload.pk])
    assert (upload.partner_code, upload.period) == ("YC", PERIOD)
    assert upload.account.partner_code == "YC" and not upload.account.has_usable_password()

    status = _get(token, body["status_url"]).json()
    assert (status["state"], status["waiting"], status["version"]) == ("accepted", False, 1)
    assert status["problems"] == [] and status["rows"]["young_people"] > 0
    assert AuditEvent.objects.filter(action="submission_uploaded").count() == 1


def test_a_messy_file_gives_the_same_problems_as_in_the_browser(
    home, token_for, tmp_path, django_capture_on_commit_callbacks
):
    content = _messy_workbook(tmp_path)
    submitter = make_account(Role.PARTNER_SUBMITTER, email="sam@yc.example.org")
    with django_capture_on_commit_callbacks(execute=True):
        signed_in_client(submitter).post(
            reverse("submissions:new"),
            {"period": PERIOD, "file": SimpleUploadedFile("youth-club.xlsx", content)},
        )
        response = _send(token_for("YC"), content)
    browser_upload = Upload.objects.get(account=submitter)
    report = selectors.report_view(browser_upload)
    assert report is not None and report.error_count == 2

    detail = _get(token_for("YC"), response.json()["status_url"])
    body = detail.json()
    assert (body["state"], body["error_count"]) == ("rejected", report.error_count)
    in_browser = {
        (p.severity, p.where, p.row, p.column, p.message, p.hint)
        for p in report.errors + report.warnings
    }
    through_api = {
        (p["severity"], p["source"], p["row"], p["column"] or "", p["message"], p["hint"])
        for p in body["problems"]
    }
    assert through_api == in_browser
    assert all(p["rule"] for p in body["problems"])
    assert SECRET_NAME not in detail.content.decode()
    assert SECRET_FAMILY not in detail.content.decode()


@pytest.mark.parametrize(
    ("name", "fields", "field", "words"),
    [
        ("data.xls", {}, "file", "must be an Excel workbook (.xlsx)"),
        ("attendance.csv", {"period": "2024-Q4"}, "period", "Choose a reporting period"),
        ("attendance.csv", {"period": ""}, "period", "Choose the reporting period"),
    ],
)
def test_the_browser_forms_checks_refuse_with_a_clear_detail(
    home, token_for, name, fields, field, words
):
    response = _send(token_for("YC"), b"x", name=name, **fields)
    assert response.status_code == 422
    body = response.json()
    assert words in body["detail"]
    assert field in {e["field"] for e in body["errors"]}
    assert not Upload.objects.exists()


def test_a_missing_file_is_a_json_error_not_a_traceback(home, token_for):
    response = https_client().post(
        reverse("api:submissions"),
        {"period": PERIOD},
        HTTP_AUTHORIZATION=f"Bearer {token_for('YC')}",
    )
    assert response.status_code == 422
    body = response.json()
    assert isinstance(body["detail"], str) and "file" in body["detail"]


def test_only_the_tokens_partner_uploads_are_listed_or_found(
    home, token_for, tmp_path, django_capture_on_commit_callbacks
):
    yc, sport = token_for("YC"), token_for("SPORT")
    with django_capture_on_commit_callbacks(execute=True):
        mine = _send(yc, _clean_workbook(tmp_path)).json()
        theirs = _send(sport, _messy_workbook(tmp_path)).json()
    listed = _get(yc, reverse("api:submissions")).json()
    assert [u["id"] for u in listed] == [mine["id"]]
    assert listed[0]["status_url"] == mine["status_url"]

    other = _get(yc, theirs["status_url"])
    assert other.status_code == 404 and "No such submission" in other.json()["detail"]
    assert _get(sport, theirs["status_url"]).status_code == 200
    assert Upload.objects.get(pk=theirs["id"]).partner_code == "SPORT"


def test_a_deactivated_api_account_stops_uploads(home, token_for, tmp_path):
    from needle_web.api.services import api_account_for

    account = api_account_for("YC")
    account.is_active = False
    account.save()
    response = _send(token_for("YC"), _clean_workbook(tmp_path))
    assert response.status_code == 403
    assert "deactivated" in response.json()["detail"]
    json.dumps(response.json())  # plain JSON


def test_a_signed_in_session_cannot_send(home, tmp_path):
    client = signed_in_client(make_account(Role.PARTNER_SUBMITTER))
    response = client.post(
        reverse("api:submissions"),
        {"period": PERIOD, "file": SimpleUploadedFile("a.csv", b"x")},
    )
    assert response.status_code == 401
    assert not Upload.objects.exists()
