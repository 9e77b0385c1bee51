"""The Fellegi-Sunter model over encodings: blocking, Dice levels, EM without labels."""

from __future__ import annotations

import polars as pl
import pytest
from linkage.people import PEOPLE, SECRET, generated, pooled_people

from needle.errors import NeedleInputError
from needle.linkage import model as fs
from needle.pseudonymise import encode_people


def _frame(rows=PEOPLE) -> pl.DataFrame:
    people = pooled_people(rows).with_columns(
        pl.concat_str("org", "person_ref", separator="/").alias("record_id")
    )
    return fs.linkage_frame(people)


def test_linkage_frame_unpacks_filters_into_words_and_counts():
    frame = _frame()
    assert frame.height == len(PEOPLE)
    assert {"bf_name_w0", "bf_name_w15", "bf_dob_w7", "bf_postcode_n"} <= set(frame.columns)
    assert "bf_name" not in frame.columns  # the packed filters themselves are not needed
    assert frame["bf_name_n"].min() > 100  # ~26% of 1,024 bits set
    assert any(c.startswith("lsh_dp") for c in frame.columns)


def test_mixed_schemes_are_refused_without_naming_anyone():
    people = pooled_people(PEOPLE).with_columns(
        pl.concat_str("org", "person_ref", separator="/").alias("record_id"),
        pl.when(pl.col("org") == "YC")
        .then(pl.lit("needle-bf-1"))
        .otherwise(pl.lit("other"))
        .alias("scheme"),
    )
    with pytest.raises(NeedleInputError, match="2 schemes") as error:
        fs.linkage_frame(people)
    assert "Tamsin" not in str(error.value)


def test_duplicates_link_and_twins_do_not():
    frame = _frame()
    model = fs.settings(frame)
    pairs = fs.decide(fs.score(model, [frame]))
    decision = {
        frozenset((a, b)): d
        for a, b, d in pairs.select("unique_id_l", "unique_id_r", "decision").iter_rows()
    }
    assert decision[frozenset(("YC/A1", "SPORT/S1"))] == "link"  # across partners
    assert decision[frozenset(("YC/A2", "SPORT/S2"))] == "link"  # family-name typo
    assert decision[frozenset(("SPORT/S3", "SPORT/S4"))] == "link"  # within a partner
    # twins: everything alike but the given name; at most a question for a reviewer
    assert decision.get(frozenset(("YC/A3", "YC/A4")), "non-link") != "link"
    linked = {pair for pair, d in decision.items() if d == "link"}
    assert len(linked) == 3


def test_levels_are_read_back_from_the_weights():
    frame = _frame()
    model = fs.settings(frame)
    pairs = fs.score(model, [frame])
    same = pairs.filter(
        (pl.col("unique_id_l").is_in(["YC/A1", "SPORT/S1"]))
        & (pl.col("unique_id_r").is_in(["YC/A1", "SPORT/S1"]))
    )
    labels = fs.level_labels(model)
    assert labels["bf_name"][same["gamma_bf_name"][0]] == "Dice >= 0.88"
    assert labels["bf_dob"][same["gamma_bf_dob"][0]] == "Dice >= 0.88"


@pytest.mark.slow
def test_em_estimates_m_and_u_without_labels():
    people = generated(700)
    encoded = encode_people(people, SECRET, key="record_id", seed=3)
    frame = fs.linkage_frame(encoded)
    model = fs.train([frame])
    (label, m_exact, u_exact), *_ = fs.m_u(model, "bf_dob")
    assert label == "Dice >= 0.88"
    assert m_exact > 0.9  # every duplicate has the same date of birth
    assert u_exact < 0.01  # strangers rarely do
    assert m_exact != fs.PRIORS["bf_dob"][0][0]  # estimated, not the starting value
    # a third of second recordings have a family-name typo: the name's top level holds
    # well under all matches
    assert fs.m_u(model, "bf_name")[0][1] < 0.9
    # the prior match probability is close to one duplicate per person
    expected = 700 / (1400 * 1399 / 2)
    assert expected / 2 < model["probability_two_random_records_match"] < expected * 2
    pairs = fs.decide(fs.score(model, [frame]), fs.Thresholds())
    links = pairs.filter(pl.col("decision") == "link")
    right = links.filter(
        pl.col("unique_id_l").str.slice(1) == pl.col("unique_id_r").str.slice(1)
    ).height
    assert right / 700 > 0.95 and right / links.height > 0.98


def test_refine_prior_finds_the_share_of_matches():
    # 10 pairs certain matches (weight 30), 990 certainly not (-30), among 1e6 pairs
    weights = pl.Series([30.0] * 10 + [-30.0] * 990).to_numpy()
    assert fs.refine_prior(weights, 0.5, 1e6) == pytest.approx(1e-5, rel=1e-3)


def test_thresholds_must_be_ordered():
    with pytest.raises(NeedleInputError, match="review threshold"):
        fs.Thresholds(link=1, review=2)
