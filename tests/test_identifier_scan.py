"""No raw identifier is ever written: ingest the whole synthetic initiative, then look.

Every name, date of birth and postcode from every submission is searched for in every file
Needle wrote (Parquet cells, the SQLite database, reports, configuration) and, on
PostgreSQL, in every row of every table. Searching works on tokens (words, postcode-shaped
and date-shaped strings), so a short name inside an unrelated word is not a false alarm
and a real leak in any text or binary file is found.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa

from needle.demo import submit_initiative
from needle.synth import generate
from needle.validation import load_submission

WORD = re.compile(rb"[a-z][a-z'\-]+")
POSTCODE = re.compile(rb"\b([a-z]{1,2}[0-9][a-z0-9]?) ?([0-9][a-z]{2})\b")
DATE = re.compile(rb"\b(\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4})\b")


@pytest.fixture(scope="module")
def initiative(tmp_path_factory):
    out = tmp_path_factory.mktemp("initiative")
    generate(out, seed=7)
    return out


@pytest.fixture(scope="module")
def identifiers(initiative):
    """Every raw identifier in every clean submission, in the forms a leak would take."""
    manifest = json.loads((initiative / "initiative.json").read_text())
    names, families, postcodes, births = set(), set(), set(), set()
    for entry in manifest["submissions"]:
        if entry["kind"] != "clean":
            continue
        people = load_submission(initiative / entry["path"]).tables["young_people"]
        for given, family in people.select("given_name", "family_name").iter_rows():
            if given and family:
                names.add(f"{given} {family}".lower())
            if family and len(family) >= 6:  # short surnames are also common words
                families.add(family.lower())
        postcodes |= {p.replace(" ", "").lower() for p in people["postcode"].drop_nulls()}
        for born in people["date_of_birth"].drop_nulls():
            births |= {born.isoformat(), born.strftime("%d/%m/%Y")}
    assert len(names) > 1000 and len(postcodes) > 500 and len(births) > 1000
    return {"names": names, "families": families, "postcodes": postcodes, "births": births}


def leaks_in_text(blob: bytes, ids: dict[str, set[str]]) -> set[str]:
    """Identifiers found in a file's bytes (text, JSON, SQLite pages, logs)."""
    text = blob.lower()
    words = [w.decode() for w in WORD.findall(text)]
    # Names can be several words ("Al Sayed", "Mary Ann Smith"): look at runs of 1 to 4.
    runs = {" ".join(words[i : i + n]) for n in range(1, 5) for i in range(len(words) - n + 1)}
    found = runs & (ids["families"] | ids["names"])
    found |= {(a + b).decode() for a, b in POSTCODE.findall(text)} & ids["postcodes"]
    found |= {d.decode() for d in DATE.findall(text)} & ids["births"]
    return found


def leaks_in_parquet(path: Path, ids: dict[str, set[str]]) -> set[str]:
    frame = pl.read_parquet(path)
    everything = ids["names"] | ids["families"] | ids["postcodes"] | ids["births"]
    found = set()
    for column in frame.select(pl.col(pl.String)).columns:
        values = {v.lower().replace(" ", "") for v in frame[column].drop_nulls().unique()}
        found |= values & {v.replace(" ", "") for v in everything}
    for column in frame.select(pl.col(pl.Date)).columns:
        found |= {d.isoformat() for d in frame[column].drop_nulls()} & ids["births"]
    return found


@pytest.mark.slow
def test_no_identifier_is_written_anywhere(
    initiative, identifiers, tmp_path, database_url, monkeypatch
):
    monkeypatch.setenv("DATABASE_URL", database_url)
    results, _ = submit_initiative(
        initiative, tmp_path / "home", tmp_path / "reports", echo=lambda _: None
    )
    assert sum(r.state == "accepted" for r in results) > 80

    # The reference store is the public postcode directory of the area (every postcode in
    # Trafford, from the ONS): it holds no submission data, so it is the one place
    # postcodes are expected.
    reference = tmp_path / "home" / "reference"
    written = [
        p for p in (tmp_path / "home").rglob("*") if p.is_file() and reference not in p.parents
    ]
    written += [p for p in (tmp_path / "reports").rglob("*") if p.is_file()]
    assert any(p.suffix == ".parquet" for p in written)
    leaks = {}
    for path in written:
        if path.suffix == ".parquet":
            found = leaks_in_parquet(path, identifiers)
        else:
            found = leaks_in_text(path.read_bytes(), identifiers)
        if found:
            leaks[str(path.relative_to(tmp_path))] = len(found)
    if database_url.startswith("postgresql"):
        engine = sa.create_engine(database_url)
        with engine.connect() as conn:
            for table in sa.inspect(conn).get_table_names():
                rows = conn.execute(sa.text(f'SELECT row_to_json(t)::text FROM "{table}" t'))
                found = leaks_in_text("\n".join(r[0] for r in rows).encode(), identifiers)
                if found:
                    leaks[f"postgresql table {table}"] = len(found)
        engine.dispose()
    assert not leaks, f"identifiers found (counts only): {leaks}"


def test_the_scan_finds_a_planted_leak(identifiers, tmp_path):
    """The scan itself must be able to fail."""
    several_words = sorted(n for n in identifiers["names"] if n.count(" ") >= 2)
    planted = [min(identifiers["names"]), *several_words[:1]]
    postcode = min(identifiers["postcodes"])
    birth = min(identifiers["births"])
    for name in planted:
        blob = f'{{"x": "{name.title()}", "y": "{postcode.upper()}", "z": "{birth}"}}'.encode()
        assert {name, postcode, birth} <= leaks_in_text(blob, identifiers)
    pl.DataFrame({"a": [postcode.upper()]}).write_parquet(tmp_path / "leak.parquet")
    assert leaks_in_parquet(tmp_path / "leak.parquet", identifiers)
