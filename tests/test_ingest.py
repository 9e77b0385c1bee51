"""A partner's file to the pool, on SQLite and PostgreSQL: validate, pseudonymise, pool."""

from __future__ import annotations

import zipfile

import polars as pl
import pytest
from click.testing import CliRunner
from submission_builders import PERIOD, clean_rows, write_folder

from needle.cli import main
from needle.errors import NeedleInputError
from needle.ingest import prepare_path, submit_path
from needle.initiative import (
    InitiativeConfig,
    PartnerConfig,
    PeriodsConfig,
    init_home,
    open_home,
)

PARTNERS = (PartnerConfig("YC", "Youth Club"), PartnerConfig("SPORT", "Sport for All"))


@pytest.fixture
def home(tmp_path, database_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database_url)
    config = InitiativeConfig(
        name="Test initiative",
        periods=PeriodsConfig(first="2024-Q4", frequency="quarter"),
        partners=PARTNERS,
    )
    init_home(tmp_path / "home", config)
    return open_home(tmp_path / "home")


@pytest.fixture
def pool(home):
    opened = home.open_pool()
    yield opened
    opened.close()


def _submit(home, pool, path, org="YC"):
    return submit_path(
        pool,
        path,
        org=org,
        period=PERIOD,
        secret=home.linkage_secret(),
        reference=home.open_reference(),
    )


def test_valid_submission_is_pooled_without_identifiers(home, pool, tmp_path):
    rows = clean_rows()
    result = _submit(home, pool, write_folder(tmp_path / "s1", rows))
    assert result.created and result.submission.state == "accepted"
    assert result.submission.version == 1
    people = pool.read("young_people").collect()
    assert people.height == len(rows["young_people"])
    assert not {"given_name", "family_name", "date_of_birth", "postcode"} & set(people.columns)
    assert set(people["submission_id"]) == {result.submission.id}
    assert pool.read("attendance").collect().height == len(rows["attendance"])


def test_identical_resend_creates_nothing_and_a_change_supersedes(home, pool, tmp_path):
    rows = clean_rows()
    first = _submit(home, pool, write_folder(tmp_path / "s1", rows)).submission
    again = _submit(home, pool, write_folder(tmp_path / "s2", rows))
    assert not again.created and again.submission.id == first.id
    rows["attendance"].pop()
    second = _submit(home, pool, write_folder(tmp_path / "s3", rows)).submission
    assert second.version == 2
    states = {s.version: s.state for s in pool.submissions(org="YC", period=PERIOD.label)}
    assert states == {1: "superseded", 2: "accepted"}
    assert pool.read("attendance").collect().height == len(rows["attendance"])


def test_invalid_submission_keeps_its_report_and_pools_nothing(home, pool, tmp_path):
    rows = clean_rows()
    rows["sessions"][0]["duration_minutes"] = "0"
    result = _submit(home, pool, write_folder(tmp_path / "bad", rows))
    assert result.submission.state == "invalid"
    assert result.report["summary"]["by_rule"]["range"]["count"] == 1
    assert pool.read("sessions").collect().height == 0


def test_unknown_partner_is_a_clean_error(home, pool, tmp_path):
    with pytest.raises(NeedleInputError, match="NOPE"):
        _submit(home, pool, write_folder(tmp_path / "s", clean_rows()), org="NOPE")


def test_a_prepared_package_holds_no_identifiers_and_pools_like_the_raw_file(
    home, pool, tmp_path
):
    rows = clean_rows()
    folder = write_folder(tmp_path / "s", rows)
    prepared = prepare_path(
        folder,
        tmp_path / "s.needle.zip",
        period=PERIOD,
        secret=home.linkage_secret(),
        reference=home.open_reference(),
        org="YC",
    )
    assert prepared.report.valid and prepared.package is not None
    with zipfile.ZipFile(prepared.package) as archive:
        blob = b"".join(archive.read(n) for n in archive.namelist())
    for person in rows["young_people"]:
        assert person["family_name"].encode() not in blob
    result = _submit(home, pool, prepared.package)
    assert result.submission.state == "accepted"
    assert result.submission.pseudonymised_by == "partner"
    # The raw file it came from is recognised as the same submission.
    assert not _submit(home, pool, folder).created
    people = pool.read("young_people").collect()
    assert people.filter(pl.col("consent_to_share") == "yes")["mk_exact"].null_count() == 0


def test_cli_init_submit_and_list(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    runner = CliRunner()
    home = tmp_path / "home"
    result = runner.invoke(main, ["init", str(home), "--name", "T", "--partner", "YC=Youth Club"])
    assert result.exit_code == 0, result.output
    folder = write_folder(tmp_path / "s", clean_rows())
    args = ["submit", str(folder), "--org", "yc", "--period", PERIOD.label, "--home", str(home)]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "Accepted as version 1 of YC 2025-Q1" in result.output
    result = runner.invoke(main, args)
    assert "Already received" in result.output
    bad = runner.invoke(main, [*args[:4], "--period", "2025-Q7", "--home", str(home)])
    assert bad.exit_code == 2 and "not a reporting period" in bad.output
    assert "Traceback" not in bad.output


def test_cli_prepare_writes_a_package_or_reports_problems(tmp_path, monkeypatch):
    monkeypatch.setenv("NEEDLE_LINKAGE_SECRET", "ab" * 32)
    runner = CliRunner()
    folder = write_folder(tmp_path / "s", clean_rows())
    out = tmp_path / "ours.needle.zip"
    result = runner.invoke(main, ["prepare", str(folder), "--period", PERIOD.label, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.exists() and "no names, dates of birth or postcodes" in result.output
    rows = clean_rows()
    rows["sessions"][0]["duration_minutes"] = "0"
    bad = write_folder(tmp_path / "bad", rows)
    result = runner.invoke(main, ["prepare", str(bad), "--period", PERIOD.label])
    assert result.exit_code == 1 and "range" in result.output
    assert not (tmp_path / "bad.needle.zip").exists()
