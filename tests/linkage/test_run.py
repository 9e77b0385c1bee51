"""Linkage runs over a pool: links written for the indicators, stable person ids as
submissions arrive, review decisions honoured, withdrawn and erased records dropped,
and nothing identifying in anything linkage writes."""

from __future__ import annotations

import json

import polars as pl
import pytest
from linkage.people import PEOPLE, make_home, person_of, pooled_people, submit

from needle.linkage import decide_pair, link, link_status, review_queue
from needle.linkage.store import linkage_dir, links_path, quality_path

A3, A4 = PEOPLE[2], PEOPLE[3]  # twins
A5 = PEOPLE[4]


@pytest.fixture
def home(tmp_path):
    return make_home(tmp_path / "home")


def test_a_run_writes_the_links_the_indicators_read(home):
    result = link(home)
    links = pl.read_parquet(links_path(home.root))
    # exactly the schema needle.indicators.engine reads: hash(org, person_ref), person_id
    assert links.schema == pl.Schema(
        {"org": pl.String, "person_ref": pl.String, "person_id": pl.String}
    )
    assert links.height == len(PEOPLE) and links.select("org", "person_ref").is_unique().all()
    person = person_of(home.root)
    assert person["YC/A1"] == person["SPORT/S1"]  # across partners
    assert person["YC/A2"] == person["SPORT/S2"]  # with a typo
    assert person["SPORT/S3"] == person["SPORT/S4"]  # within a partner
    assert person["YC/A3"] != person["YC/A4"]  # twins
    assert len(set(person.values())) == result.persons == 7
    report = link_status(home.root)
    assert report["person_ids"] == 7 and report["records"] == 10
    assert report["cluster_sizes"] == {"1": 4, "2": 3}
    assert report["persons_across_partners"] == 2
    assert report["review_backlog"] == 1  # the twins, for a person to look at
    assert report["match_rate"] == pytest.approx(6 / 10)


def test_an_unchanged_pool_keeps_every_id_and_scores_nothing(home):
    link(home)
    before = person_of(home.root)
    again = link(home)
    assert again.mode == "incremental" and again.scored == 0
    assert person_of(home.root) == before


def test_a_new_submission_is_scored_against_the_pool_and_joins_an_existing_person(home):
    link(home)
    before = person_of(home.root)
    with home.open_pool() as pool:
        submit(pool, [("ARTS", "2025-Q2", "R9", *A5[3:])], seed=9)
    result = link(home)
    after = person_of(home.root)
    assert result.mode == "incremental" and result.scored == 1
    assert after["ARTS/R9"] == after["YC/A5"] == before["YC/A5"]
    assert {k: after[k] for k in before} == before  # nobody else renumbered


def test_review_decisions_are_honoured_and_a_merge_keeps_the_oldest_id(home, tmp_path):
    first = make_home(tmp_path / "twins", rows=[A3])
    link(first)
    older = person_of(first.root)["YC/A3"]
    with first.open_pool() as pool:
        submit(pool, [("SPORT", "2025-Q2", "T4", *A4[3:])], seed=5)
    link(first)
    queue = review_queue(first.root)
    assert queue.height == 1
    pair = queue["pair_id"][0]
    assert {queue["person_ref_l"][0], queue["person_ref_r"][0]} == {"A3", "T4"}
    assert queue["name_level"][0].startswith("Dice")
    decide_pair(first.root, pair, "confirmed", by="backbone analyst")
    result = link(first)
    person = person_of(first.root)
    assert person["YC/A3"] == person["SPORT/T4"] == older  # the oldest id is kept
    assert result.report["merges"] == 1 and result.review == 0
    merges = (linkage_dir(first.root) / "merges.jsonl").read_text().splitlines()
    assert json.loads(merges[-1])["kept"] == older
    # changing one's mind: rejected pairs stay apart, even after a full rerun
    decide_pair(first.root, pair, "rejected", by="backbone analyst")
    link(first, full=True)
    person = person_of(first.root)
    assert person["YC/A3"] != person["SPORT/T4"]
    assert person["YC/A3"] == older


def test_rejecting_a_model_link_splits_it(home):
    link(home)
    pairs = pl.read_parquet(linkage_dir(home.root) / "pairs.parquet")
    pair = pairs.filter((pl.col("record_l") == "SPORT/S1") & (pl.col("record_r") == "YC/A1"))
    decide_pair(home.root, pair["pair_id"][0], "rejected", by="analyst")
    link(home)
    person = person_of(home.root)
    assert person["YC/A1"] != person["SPORT/S1"]


def test_withdrawal_and_erasure_drop_records_on_the_next_run(home):
    link(home)
    before = person_of(home.root)
    with home.open_pool() as pool:
        pool.erase("YC", "A2", reason="asked to be forgotten")
    link(home)
    after = person_of(home.root)
    assert "YC/A2" not in after and after["SPORT/S2"] == before["SPORT/S2"]
    with home.open_pool() as pool:
        pool.withdraw("SPORT", "2025-Q1", reason="sent to the wrong initiative")
    result = link(home)
    after = person_of(home.root)
    assert not any(k.startswith("SPORT/") for k in after)
    assert after["YC/A1"] == before["YC/A1"]
    assert result.report["records_removed"] == 4


def test_bad_decisions_get_clear_messages(home):
    from needle.errors import NeedleInputError

    with pytest.raises(NeedleInputError, match="needle link run"):
        review_queue(home.root)
    link(home)
    with pytest.raises(NeedleInputError, match="No scored pair"):
        decide_pair(home.root, "Lnothing", "confirmed", by="me")
    with pytest.raises(NeedleInputError, match="one of confirmed, rejected"):
        decide_pair(home.root, "Lnothing", "maybe", by="me")


def test_nothing_linkage_writes_holds_an_identifier_or_an_encoding(home):
    link(home)
    queue = review_queue(home.root)
    assert not any(c.startswith(("mk_", "bf_")) for c in queue.columns)
    pooled = pooled_people(PEOPLE)
    secrets_ = {str(v) for row in PEOPLE for v in row[3:7]}  # names, dates, postcodes
    secrets_ |= {v for c in pooled.columns if c.startswith("mk_") for v in pooled[c].to_list()}
    secrets_ |= {v.hex() for v in pooled["bf_name"].to_list()}
    files = [*linkage_dir(home.root).iterdir(), links_path(home.root), quality_path(home.root)]
    for path in files:
        if path.suffix == ".parquet":
            frame = pl.read_parquet(path)
            assert not any(c.startswith(("mk_", "bf_")) and c != "bf" for c in frame.columns)
            text = frame.write_csv()
        else:
            text = path.read_text()
        for value in secrets_:
            assert value not in text, f"{path.name} holds an identifier or encoding"
