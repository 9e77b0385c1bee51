"""The dashboard is shaped and rendered once per run, audience and version of needle.toml,
and a new run or a changed needle.toml shows at once."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from needle.indicators.refresh import indicators_dir
from needle_web.accounts.roles import Role
from needle_web.accounts.testing import make_account, signed_in_client
from needle_web.dashboards.tests.homes import find, find_all, home_with_results, parse, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def home(tmp_path: Path, settings) -> Path:  # type: ignore[no-untyped-def]
    """A home of this test's own: the test changes its run and its needle.toml."""
    root = home_with_results(tmp_path / "home")
    settings.HOME = root
    return root


def _last_updated(client) -> str:  # type: ignore[no-untyped-def]
    page = parse(client.get("/dashboard/").content.decode())
    row = [r for r in find_all(page, "div", "govuk-summary-list__row") if "Last updated" in text(r)]
    return text(find(row[0], "dd"))


def _protection(client) -> str:  # type: ignore[no-untyped-def]
    page = parse(client.get("/steering/").content.decode())
    paragraphs = [text(p) for p in find_all(page, "p", "govuk-body")]
    return next(p for p in paragraphs if "suppressed" in p or "threshold" in p.lower())


def test_a_new_run_shows_at_once(home: Path) -> None:
    client = signed_in_client(make_account(Role.BACKBONE_ADMIN))
    before = _last_updated(client)
    assert _last_updated(client) == before  # served from the cache
    # A refresh writes a new run and switches current.json; copy the run as a new one.
    root = indicators_dir(home)
    old_id = json.loads((root / "current.json").read_text())["run_id"]
    run = json.loads((root / "runs" / old_id / "run.json").read_text())
    run["run_id"], run["refreshed_at"] = "f" * 32, "2031-01-06T07:08:00+00:00"
    shutil.copytree(root / "runs" / old_id, root / "runs" / run["run_id"])
    (root / "runs" / run["run_id"] / "run.json").write_text(json.dumps(run))
    (root / "current.json").write_text(json.dumps({"run_id": run["run_id"]}))
    assert _last_updated(client) == "6 January 2031, 07:08" != before


def test_a_changed_threshold_shows_at_once(home: Path) -> None:
    client = signed_in_client(make_account(Role.STEERING_GROUP))
    before = _protection(client)
    config = home / "needle.toml"
    text_before = config.read_text()
    assert "steering_group = 2" in text_before
    config.write_text(text_before.replace("steering_group = 2", "steering_group = 4"))
    after = _protection(client)
    assert after != before and "4" in after
