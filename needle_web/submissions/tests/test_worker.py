"""The real worker: `python -m needle_web db_worker` in its own process picks up an upload
queued in the database and decides it, as it does on a server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from needle.initiative import InitiativeConfig, PartnerConfig, PeriodsConfig, init_home

# Runs in the web app's own process (python -m needle_web shell): make a submitter, send a
# workbook through the service (which queues the task in the database), print the id.
_SEND = """
from django.core.files.uploadedfile import SimpleUploadedFile
from needle_web.accounts.roles import Role
from needle_web.accounts.testing import make_account
from needle_web.submissions import services
account = make_account(Role.PARTNER_SUBMITTER, email="sam@youthclub.example.org", partner_code="YC")
data = open({path!r}, "rb").read()
upload = services.upload_create(account=account, period="2025-Q1",
    file=SimpleUploadedFile("youth-club.xlsx", data))
print("UPLOAD", upload.pk, upload.state)
"""
_STATE = """
import json
from needle_web.submissions.models import Upload
u = Upload.objects.get(pk={upload!r})
print("STATE", json.dumps({{"state": u.state, "submission": u.submission_id}}))
"""


def _web(home: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEEDLE_", "DATABASE_"))}
    env["NEEDLE_HOME"] = str(home)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(
        [sys.executable, "-m", "needle_web", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_the_database_worker_decides_a_queued_upload(tmp_path: Path) -> None:
    from submission_builders import clean_rows, write_workbook

    config = InitiativeConfig(
        name="Worker initiative",
        periods=PeriodsConfig(first="2025-Q1"),
        partners=(PartnerConfig("YC", "Youth Club"),),
    )
    home = init_home(tmp_path / "home", config).home.root
    workbook = write_workbook(tmp_path / "youth-club.xlsx", clean_rows())
    _web(home, "migrate", "--verbosity", "0")

    sent = _web(home, "shell", "-c", _SEND.format(path=str(workbook)))
    upload = sent.split("UPLOAD ", 1)[1].split()[0]
    assert "queued" in sent  # nothing decided it yet: the task waits in the database
    before = json.loads(_web(home, "shell", "-c", _STATE.format(upload=upload)).split("STATE ")[1])
    assert before["state"] == "queued" and not before["submission"]

    _web(home, "db_worker", "--batch", "--no-startup-delay", "--no-reload")

    after = json.loads(_web(home, "shell", "-c", _STATE.format(upload=upload)).split("STATE ")[1])
    assert after["state"] == "accepted", after
    assert after["submission"]
