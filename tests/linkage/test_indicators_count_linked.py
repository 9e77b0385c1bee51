"""The indicators count linked young people once linkage runs, with no change to any
indicator definition: the hand-made pool of the indicator tests, with encodings added,
where SPORT's B1 is the same young person as the youth club's A2."""

from __future__ import annotations

import hashlib
from datetime import date

import polars as pl
import pytest
from click.testing import CliRunner
from indicators.pools import ALL, PARTNERS, Data
from linkage.people import SECRET

from needle.cli import main
from needle.indicators.refresh import load_results
from needle.initiative import init_home, open_home
from needle.initiative.config import InitiativeConfig, PartnerConfig, PeriodsConfig
from needle.pseudonymise import encode_people

_FAMILIES = ["Orvelle", "Quillet", "Marchetti", "Pelletrow", "Wrenfold", "Dorrowby", "Tansley"]
_GIVENS = ["Tamsin", "Brannoc", "Elowen", "Joren", "Ilsabet", "Caspian", "Merrit"]


def identity(org: str, ref: str) -> tuple[str, str, date, str]:
    """An invented identity per partner's young person; SPORT B1 is YC A2."""
    if (org, ref) == ("SPORT", "B1"):
        org, ref = "YC", "A2"
    n = int(hashlib.sha256(f"{org}/{ref}".encode()).hexdigest(), 16)
    return (
        _GIVENS[n % 7] + ref.lower(),
        _FAMILIES[(n // 7) % 7],
        date(2006 + n % 8, 1 + n % 12, 1 + n % 27),
        f"M{10 + n % 30} {n % 9}AB",
    )


def with_encodings(org: str, table: pl.DataFrame) -> pl.DataFrame:
    people = pl.DataFrame(
        [(ref, *identity(org, ref)) for ref in table["person_ref"].to_list()],
        schema=["person_ref", "given_name", "family_name", "date_of_birth", "postcode"],
        orient="row",
    )
    encoded = encode_people(people, SECRET, seed=len(org))
    return table.join(encoded, on="person_ref", how="left", maintain_order="left")


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    root = tmp_path_factory.mktemp("linked") / "home"
    config = InitiativeConfig(
        name="Hand-made initiative",
        periods=PeriodsConfig(first="2025-Q1"),
        partners=tuple(PartnerConfig(code, name) for code, name in PARTNERS.items()),
    )
    init_home(root, config)
    data = Data.original()
    with open_home(root).open_pool() as pool:
        for org, period in data.submissions():
            tables = data.tables(org, period)
            tables["young_people"] = with_encodings(org, tables["young_people"])
            pool.receive(
                org=org,
                period=period,
                standard_version="1.0",
                content_sha256=hashlib.sha256(f"{org}/{period}".encode()).hexdigest(),
                tables=tables,
                report={"valid": True},
                source_name=f"{org}-{period}.xlsx",
            )
    return root


def reach(root) -> int:
    results = load_results(root)
    row = results.filter(
        (pl.col("indicator") == "reach") & (pl.col("period") == ALL) & (pl.col("breakdown") == "")
    )
    return int(row["value"][0])


def test_every_refresh_links_first_and_reach_counts_the_linked_person_once(home):
    result = CliRunner().invoke(main, ["indicators", "refresh", "--home", str(home)])
    assert result.exit_code == 0, result.output
    links = pl.read_parquet(home / "indicators" / "person_links.parquet")
    person = {f"{o}/{r}": p for o, r, p in links.iter_rows()}
    assert person["SPORT/B1"] == person["YC/A2"]
    assert len(set(person.values())) == 12
    assert reach(home) == 12  # 13 partner references, 12 young people

    # without links the same definitions count every partner's reference
    (home / "indicators" / "person_links.parquet").unlink()
    from needle.indicators.lookups import population_frame
    from needle.indicators.refresh import indicators_dir, refresh_files, registry_for

    the_home = open_home(home)
    with the_home.open_pool() as pool:
        files = pool.files()
    refresh_files(
        indicators_dir(home),
        files,
        config=the_home.config,
        population=population_frame(the_home.open_reference()),
        registry=registry_for(the_home),
    )
    assert reach(home) == 13


def test_link_commands(home):
    runner = CliRunner()
    ran = runner.invoke(main, ["link", "run", "--home", str(home)])
    assert ran.exit_code == 0, ran.output
    assert "into 12 young people" in ran.output
    status = runner.invoke(main, ["link", "status", "--home", str(home)])
    assert status.exit_code == 0 and "Young people (person ids): 12" in status.output
    listed = runner.invoke(main, ["link", "review", "list", "--home", str(home)])
    assert listed.exit_code == 0
    bad = runner.invoke(main, ["link", "review", "confirm", "Lnope", "--home", str(home)])
    assert bad.exit_code != 0 and "No scored pair" in bad.output
    assert "Traceback" not in bad.output
