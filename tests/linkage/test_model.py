"""The Fellegi-Sunter model over encodings: blocking, Dice levels, EM without labels."""

from __future__ import annotations

import math

import numpy as np
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


def _cut(label: str) -> float:
    """The lower bound of a level ("Dice >= 0.9"); 0 for the last ("Dice < 0.39")."""
    return float(label.split(">=")[1]) if ">=" in label else 0.0


def test_levels_are_labelled_and_weigh_as_the_model_says():
    frame = _frame()
    model = fs.settings(frame)
    # without the area (its weight depends on how common the LSOA is)
    model["comparisons"] = [c for c in model["comparisons"] if c["output_column_name"] != "area"]
    pairs = fs.score(model, [frame])
    same = pairs.filter(
        (pl.col("unique_id_l").is_in(["YC/A1", "SPORT/S1"]))
        & (pl.col("unique_id_r").is_in(["YC/A1", "SPORT/S1"]))
    )
    labels = fs.level_labels(model)
    # the same name and date of birth, encoded twice: Dice about 0.93, never below 0.88
    assert _cut(labels["bf_name"][same["gamma_bf_name"][0]]) >= 0.88
    assert _cut(labels["bf_dob"][same["gamma_bf_dob"][0]]) >= 0.88
    # the weight is the prior plus each level's log2(m / u)
    prior = model["probability_two_random_records_match"]
    expected = math.log2(prior / (1 - prior))
    for comparison in ("bf_name", "bf_dob", "bf_postcode", "gender"):
        gamma = same[f"gamma_{comparison}"][0]
        if gamma >= 0:
            levels = fs.m_u(model, comparison)
            _, m, u = levels[len(levels) - 1 - gamma]
            expected += math.log2(m / u)
    assert same["match_weight"][0] == pytest.approx(expected)


@pytest.mark.slow
def test_em_estimates_m_and_u_without_labels():
    people = generated(700)
    encoded = encode_people(people, SECRET, key="record_id", seed=3)
    frame = fs.linkage_frame(encoded)
    model = fs.train([frame])
    dob = fs.m_u(model, "bf_dob")
    m_same = sum(m for label, m, _ in dob if _cut(label) >= 0.88)
    u_same = sum(u for label, _, u in dob if _cut(label) >= 0.88)
    assert m_same > 0.9  # every duplicate has the same date of birth
    assert u_same < 0.05  # candidate strangers rarely do
    # estimated, not the starting values
    assert [m for _, m, _ in dob] != [m for m, _ in fs._fine_priors("bf_dob")]
    # a third of second recordings have a family-name typo: the name's top levels hold
    # well under all matches
    name = fs.m_u(model, "bf_name")
    assert sum(m for label, m, _ in name if _cut(label) >= 0.88) < 0.9
    # the prior match probability is close to one duplicate per person
    expected = 700 / (1400 * 1399 / 2)
    assert expected / 2 < model["probability_two_random_records_match"] < expected * 2
    pairs = fs.decide(fs.score(model, [frame]), fs.Thresholds())
    links = pairs.filter(pl.col("decision") == "link")
    right = links.filter(
        pl.col("unique_id_l").str.slice(1) == pl.col("unique_id_r").str.slice(1)
    ).height
    assert right / 700 > 0.95 and right / links.height > 0.98


def test_em_recovers_a_known_mixture():
    # three comparisons of two levels (0 unlike, 1 alike), independent within a class:
    # 2,000 matches alike with probability 0.9, 0.8, 0.85; 18,000 others 0.1, 0.2, 0.05
    rng = np.random.default_rng(1)
    alike_m, alike_u = [0.9, 0.8, 0.85], [0.1, 0.2, 0.05]
    matches = np.column_stack([rng.random(2000) < p for p in alike_m])
    others = np.column_stack([rng.random(18000) < p for p in alike_u])
    pairs = pl.DataFrame(np.vstack([matches, others]).astype(np.int64), schema=["a", "b", "c"])
    counted = pairs.group_by("a", "b", "c").len()
    m, u, share = fs.expectation_maximisation(
        counted.select("a", "b", "c").to_numpy(),
        counted["len"].to_numpy(),
        [np.array([0.4, 0.6])] * 3,
        [np.array([0.6, 0.4])] * 3,
        0.3,
    )
    assert share == pytest.approx(0.1, abs=0.02)
    for c in range(3):
        assert m[c][1] == pytest.approx(alike_m[c], abs=0.04)
        assert u[c][1] == pytest.approx(alike_u[c], abs=0.04)


def test_fit_scores_what_score_scores():
    frame = _frame()
    model, fitted = fs.fit([frame])
    scored = fs.score(model, [frame])
    key = ["unique_id_l", "unique_id_r"]
    assert fitted.sort(key).equals(scored.sort(key))
    assert fitted.height > 0


def test_incremental_scoring_compares_only_pairs_with_a_new_record():
    frame = _frame()
    model = fs.settings(frame)
    everything = fs.score(model, [frame])
    new = frame.filter(pl.col("unique_id").is_in(["SPORT/S1", "SPORT/S2"]))
    existing = frame.filter(~pl.col("unique_id").is_in(["SPORT/S1", "SPORT/S2"]))
    some = fs.score(model, [frame], new=new, existing=existing)
    fresh = pl.col("unique_id_l").is_in(["SPORT/S1", "SPORT/S2"]) | pl.col("unique_id_r").is_in(
        ["SPORT/S1", "SPORT/S2"]
    )
    key = ["unique_id_l", "unique_id_r"]
    assert some.height > 0 and some.filter(~fresh).height == 0
    assert some.sort(key).equals(everything.filter(fresh).sort(key))


def test_thresholds_must_be_ordered():
    with pytest.raises(NeedleInputError, match="review threshold"):
        fs.Thresholds(link=1, review=2)
