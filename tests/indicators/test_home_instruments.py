"""An initiative's own questionnaire, end to end: defined in HOME/instruments/*.yaml,
accepted (and range-checked) by the validator, scored by the refresh, and used by an
indicator of the initiative's own.

The questionnaire is the five-item "confidence" example of docs/guides/instruments.md:
items answered 1-5, item 2 reverse-scored (counts as 6 - response), summed to 5-25, one
blank item allowed (prorated: sum of the answered items x 5 / 4).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from click.testing import CliRunner
from indicators.pools import ALL, PARTNERS, Q1, Q2, Q3, Data, by_key, submit_all
from submission_builders import PERIOD, clean_rows, one, rules, write_folder, write_workbook

from needle.cli import main
from needle.errors import NeedleInputError
from needle.indicators.instruments import home_instruments, load_instruments
from needle.indicators.refresh import load_results, refresh
from needle.ingest import submit_path
from needle.initiative import open_home
from needle.initiative.config import InitiativeConfig, PartnerConfig, PeriodsConfig
from needle.initiative.home import init_home
from needle.standard import load_standard
from needle.validation import validate_path

CONFIDENCE = """\
instruments:
  confidence:
    title: Confidence (our own questionnaire)
    owner: Example Youth Partnership
    licence: CC BY 4.0
    items: 5
    response: {min: 1, max: 5}
    reverse_scored: [2]
    scales:
      - id: confidence
        title: Confidence
        items: [1, 2, 3, 4, 5]
        method: sum
        missing: {max_missing: 1, method: prorate}
        range: [5, 25]
        direction: up
        bands:
          - {code: low, label: Low confidence, min: 5, max: 12.5}
          - {code: medium, label: Medium confidence, min: 13, max: 18.75}
          - {code: high, label: High confidence, min: 19, max: 25}
        low_band: [low]
        reliable_change:
          sd: 4.0
          reliability: 0.8
          source: "Our 2024 pilot (n = 212): SD 4.0, Cronbach's alpha 0.80"
"""

CONFIDENCE_CHANGE = """\
indicators:
  confidence_change:
    title: Change in confidence
    theme: outcomes
    kind: paired_change
    scale: confidence
    stat: mean_change
    unit: score
    direction: up
    description: Mean change in our confidence score from baseline to exit.
"""


def write_instruments(root: Path, text: str = CONFIDENCE, name: str = "own.yaml") -> Path:
    folder = root / "instruments"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def write_indicator(root: Path) -> None:
    folder = root / "indicators" / "definitions"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "own.yaml").write_text(CONFIDENCE_CHANGE, encoding="utf-8")


def make_home(root: Path, partners: tuple[PartnerConfig, ...], first: str) -> Path:
    config = InitiativeConfig(
        name="Own questionnaire initiative",
        periods=PeriodsConfig(first=first),
        partners=partners,
    )
    init_home(root, config)
    return root


# ---- loading HOME/instruments/*.yaml ----------------------------------------------------


def test_a_home_without_instruments_has_the_builtins(tmp_path):
    assert home_instruments(tmp_path) == load_instruments()


def test_a_home_instrument_joins_the_builtins(tmp_path):
    write_instruments(tmp_path)
    found = home_instruments(tmp_path)
    assert set(found) == {"ons4", "wemwbs", "swemwbs", "confidence"}
    confidence = found["confidence"]
    assert (confidence.items, confidence.response_min, confidence.response_max) == (5, 1, 5)
    assert confidence.reverse_scored == (2,)
    assert found["swemwbs"] == load_instruments()["swemwbs"]


def test_an_empty_file_adds_nothing(tmp_path):
    write_instruments(tmp_path, "")
    assert home_instruments(tmp_path) == load_instruments()


ONS4_MEAN = """\
instruments:
  ons4:
    replaces_builtin: true
    title: ONS4 as one mean score
    items: 4
    response: {min: 0, max: 10}
    scales:
      - id: ons4
        title: Mean of the four answers
        items: [1, 2, 3, 4]
        method: mean
        range: [0, 10]
        direction: up
        reliable_change: {value: 2.0, source: ASSUMPTION for this test}
"""


def test_a_builtin_may_be_replaced_keeping_its_items_and_range(tmp_path):
    write_instruments(tmp_path, ONS4_MEAN)
    found = home_instruments(tmp_path)
    assert [s.id for s in found["ons4"].scales] == ["ons4"]
    standard = load_standard()
    assert standard.with_instruments(found) is standard  # nothing new to validate


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("instruments: [\n", "own.yaml: not valid YAML"),
        ("- confidence\n", "own.yaml: expected a mapping with an `instruments:` section"),
        ("instrument: {}\n", "own.yaml: unknown key instrument"),
        ("instruments:\n  - id: confidence\n", "own.yaml: instruments must be a mapping"),
        ("instruments:\n  Confidence: {}\n", "own.yaml: instruments.Confidence: the id must"),
        ("instruments:\n  confidence: 3\n", "own.yaml: instruments.confidence: must be a mapping"),
        (
            CONFIDENCE.replace("    title: Confidence (", "    id: other\n    title: Confidence ("),
            "own.yaml: instruments.confidence: has id 'other'",
        ),
        (
            CONFIDENCE.replace("items: 5", "items: 20"),
            "own.yaml: instruments.confidence: items is 20",
        ),
        (
            CONFIDENCE.replace("method: sum", "method: total"),
            "own.yaml: instruments.confidence scale confidence: method must be one of",
        ),
        (
            CONFIDENCE.replace("    reverse_scored", "    reversed: [2]\n    reverse_scored"),
            "own.yaml: instruments.confidence: unknown key reversed",
        ),
        (
            CONFIDENCE.replace("  confidence:\n", "  wemwbs:\n", 1).replace(
                "id: confidence", "id: wemwbs"
            ),
            "own.yaml: instruments.wemwbs: is built in",
        ),
        (
            # ons4 replaced with a different item count: partners' files would not match
            ONS4_MEAN.replace("items: 4", "items: 5").replace("[1, 2, 3, 4]", "[1, 2, 3, 4, 5]"),
            "own.yaml: instruments.ons4: a replacement of the built-in ons4 must keep its 4 items",
        ),
    ],
)
def test_mistakes_name_the_file_and_the_key(tmp_path, text, message):
    write_instruments(tmp_path, text)
    with pytest.raises(NeedleInputError) as caught:
        home_instruments(tmp_path)
    assert message in str(caught.value)
    assert str(tmp_path / "instruments" / "own.yaml") in str(caught.value)


def test_an_id_in_two_files_is_an_error(tmp_path):
    write_instruments(tmp_path, CONFIDENCE, "a.yaml")
    write_instruments(tmp_path, CONFIDENCE, "b.yaml")
    with pytest.raises(NeedleInputError, match=r"b\.yaml: instruments\.confidence: already"):
        home_instruments(tmp_path)


def test_a_scale_id_of_a_builtin_is_an_error(tmp_path):
    text = CONFIDENCE.replace("  confidence:\n", "  ons4_anxiety:\n", 1)
    write_instruments(tmp_path, text.replace("id: confidence", "id: ons4_anxiety"))
    with pytest.raises(NeedleInputError) as caught:
        home_instruments(tmp_path)
    assert (
        "own.yaml: instruments.ons4_anxiety: scale id ons4_anxiety is already used by "
        "instrument ons4" in str(caught.value)
    )


# ---- the standard extended with them ----------------------------------------------------


def test_the_extended_standard_knows_the_code_and_the_builtins_are_unchanged(tmp_path):
    write_instruments(tmp_path)
    standard = load_standard()
    before = (dict(standard.instruments), standard.codelists["instrument"])
    extended = standard.with_instruments(home_instruments(tmp_path))
    assert extended is not standard
    assert (dict(standard.instruments), standard.codelists["instrument"]) == before
    assert "confidence" not in load_standard().codelists["instrument"].values
    spec = extended.instruments["confidence"]
    assert (spec.items, spec.min, spec.max) == (5, 1, 5)
    assert spec.owner == "Example Youth Partnership"
    codes = extended.codelists["instrument"]
    assert codes.values == (*standard.codelists["instrument"].values, "confidence")
    assert codes.lookup()["confidence_our_own_questionnaire"] == "confidence"
    for name in ("swemwbs", "wemwbs", "ons4"):
        assert extended.instruments[name] == standard.instruments[name]
    assert extended.version == standard.version
    assert extended.entities is standard.entities


def test_only_builtins_leave_the_standard_as_it_is():
    standard = load_standard()
    assert standard.with_instruments(load_instruments()) is standard


def test_a_title_that_reads_as_another_code_is_refused(tmp_path):
    write_instruments(tmp_path, CONFIDENCE.replace("Confidence (our own questionnaire)", "ONS4"))
    with pytest.raises(NeedleInputError, match="would be read as the instrument code ons4"):
        load_standard().with_instruments(home_instruments(tmp_path))


def _measurement(person: str, day: str, timepoint: str, items: list[Any]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "person_ref": person,
        "instrument": "confidence",
        "administered_on": day,
        "timepoint": timepoint,
    }
    for i in range(1, 15):
        value = items[i - 1] if i <= len(items) else None
        row[f"q{i}"] = "" if value is None else str(value)
    return row


def confidence_rows(exit_items: list[Any]) -> dict[str, list[dict[str, Any]]]:
    """The clean submission plus YP-001's confidence baseline and exit."""
    rows = clean_rows()
    rows["measurements"] += [
        _measurement("YP-001", "2025-01-07", "baseline", [2, 4, 2, 3, 2]),
        _measurement("YP-001", "2025-03-25", "exit", exit_items),
    ]
    return rows


def test_the_validator_accepts_the_code_only_with_the_home(tmp_path):
    write_instruments(tmp_path)
    path = write_folder(tmp_path / "sub", confidence_rows([4, 1, 4, 4, None]))
    extended = load_standard().with_instruments(home_instruments(tmp_path))
    assert validate_path(path, period=PERIOD, standard=extended).valid
    plain = validate_path(path, period=PERIOD)
    assert not plain.valid
    assert "code_unknown" in rules(plain)


@pytest.mark.parametrize(
    ("items", "column", "message"),
    [
        ([4, 1, 6, 4, 4], "q3", "q3 is 6; confidence responses run from 1 to 5."),
        ([4, 0, 4, 4, 4], "q2", "q2 is 0; confidence responses run from 1 to 5."),
        ([4, 1, 4, 4, 4, 3], "q6", "q6 should be blank: confidence has 5 items."),
    ],
)
def test_out_of_range_responses_are_rejected_as_for_a_builtin(tmp_path, items, column, message):
    write_instruments(tmp_path)
    path = write_workbook(tmp_path / "sub.xlsx", confidence_rows(items), version="1.0")
    extended = load_standard().with_instruments(home_instruments(tmp_path))
    report = validate_path(path, period=PERIOD, standard=extended)
    problem = one(report, "instrument_items")
    assert (problem.entity, problem.row, problem.column) == ("measurements", 6, column)
    assert problem.message == message


# ---- submitting into a home, then refreshing ----------------------------------------------


@pytest.fixture
def home(tmp_path):
    root = make_home(tmp_path / "home", (PartnerConfig("YC", "Youth Club"),), first="2024-Q4")
    write_instruments(root)
    write_indicator(root)
    return open_home(root)


def _submit(home, path):
    with home.open_pool() as pool:
        return submit_path(
            pool,
            path,
            org="YC",
            period=PERIOD,
            secret=home.linkage_secret(),
            reference=home.open_reference(),
            instruments=home_instruments(home.root),
        )


def test_submit_path_pools_a_custom_instrument_and_refresh_scores_it(home, tmp_path):
    result = _submit(home, write_folder(tmp_path / "sub", confidence_rows([4, 1, 4, 4, None])))
    assert result.submission.state == "accepted", result.report
    with home.open_pool() as pool:
        measured = pool.read("measurements").collect()
    assert measured.filter(pl.col("instrument") == "confidence").height == 2
    refresh(home)
    # baseline: 2 + (6 - 4) + 2 + 3 + 2 = 11; exit: q5 blank, so (4 + (6 - 1) + 4 + 4) x 5 / 4
    # = 21.25; change 10.25
    change = by_key(load_results(home.root), "confidence_change")
    assert change[(ALL, "", "")] == pytest.approx(10.25)
    assert change[("2025-Q1", "", "")] == pytest.approx(10.25)


def test_submit_path_rejects_an_out_of_range_custom_response(home, tmp_path):
    result = _submit(home, write_folder(tmp_path / "sub", confidence_rows([4, 1, 9, 4, 4])))
    assert result.submission.state == "invalid"
    assert result.report["summary"]["by_rule"]["instrument_items"]["count"] == 1


def test_submit_path_without_the_home_instruments_rejects_the_code(home, tmp_path):
    with home.open_pool() as pool:
        result = submit_path(
            pool,
            write_folder(tmp_path / "sub", confidence_rows([4, 1, 4, 4, 4])),
            org="YC",
            period=PERIOD,
            secret=home.linkage_secret(),
            reference=home.open_reference(),
        )
    assert result.submission.state == "invalid"
    assert "code_unknown" in result.report["summary"]["by_rule"]


def test_needle_validate_and_submit_use_the_home(home, tmp_path):
    path = write_folder(tmp_path / "sub", confidence_rows([4, 1, 4, 4, 4]))
    runner = CliRunner()
    plain = runner.invoke(main, ["validate", str(path), "--period", PERIOD.label])
    assert plain.exit_code == 1, plain.output
    with_home = ["validate", str(path), "--period", PERIOD.label, "--home", str(home.root)]
    valid = runner.invoke(main, with_home)
    assert valid.exit_code == 0, valid.output
    bad = write_folder(tmp_path / "bad", confidence_rows([4, 1, 4, 4, 7]))
    invalid = runner.invoke(main, ["validate", str(bad), "--home", str(home.root)])
    assert invalid.exit_code == 1
    assert "q5 is 7; confidence responses run from 1 to 5." in invalid.output
    submit = ["submit", str(path), "--org", "YC", "--period", PERIOD.label]
    submitted = runner.invoke(main, [*submit, "--home", str(home.root)])
    assert submitted.exit_code == 0, submitted.output
    assert "Accepted as version 1" in submitted.output
    # baseline 11, exit 4 + 5 + 4 + 4 + 4 = 21: change 10
    change = by_key(load_results(home.root), "confidence_change")
    assert change[(ALL, "", "")] == pytest.approx(10)


def test_needle_validate_with_a_broken_home_instrument_is_a_clean_error(home, tmp_path):
    write_instruments(home.root, "instruments:\n  oops: {title: Oops}\n", "broken.yaml")
    path = write_folder(tmp_path / "sub", confidence_rows([4, 1, 4, 4, 4]))
    result = CliRunner().invoke(main, ["validate", str(path), "--home", str(home.root)])
    assert result.exit_code == 2
    assert "broken.yaml: instruments.oops: missing key" in result.output
    assert "Traceback" not in result.output


# ---- an indicator over a custom scale, on a hand-made pool ----------------------------------

# (org, period, person_ref, instrument, administered_on, timepoint, responses), added to the
# hand-made pool of tests/indicators/pools.py. Item 2 counts as 6 - response.
CONFIDENCE_MEASUREMENTS = [
    # YC A1: baseline 2 + (6-4) + 2 + 3 + 2 = 11, exit in Q3 4 + (6-1) + 4 + 4 + 3 = 20: +9
    ("YC", Q1, "A1", "confidence", "2025-01-10", "baseline", [2, 4, 2, 3, 2]),
    ("YC", Q3, "A1", "confidence", "2025-07-11", "exit", [4, 1, 4, 4, 3]),
    # YC A2: a baseline only, no pair
    ("YC", Q1, "A2", "confidence", "2025-01-10", "baseline", [3, 3, 3, 3, 3]),
    # SPORT B1: baseline 3 + 3 + 3 + 3 + 3 = 15; exit in Q2 with q3 blank: (4 + 4 + 4 + 4)
    # x 5 / 4 = 20: +5
    ("SPORT", Q1, "B1", "confidence", "2025-01-06", "baseline", [3, 3, 3, 3, 3]),
    ("SPORT", Q2, "B1", "confidence", "2025-04-28", "exit", [4, 2, None, 4, 4]),
    # SPORT B3: two blanks at baseline, so no score and no pair
    ("SPORT", Q2, "B3", "confidence", "2025-04-07", "baseline", [3, None, None, 3, 3]),
    ("SPORT", Q3, "B3", "confidence", "2025-07-14", "exit", [3, 3, 3, 3, 3]),
    # ARTS C1: baseline 5 + (6-1) + 5 + 5 + 5 = 25, exit 4 + (6-2) + 4 + 4 + 4 = 20: -5
    ("ARTS", Q2, "C1", "confidence", "2025-05-05", "baseline", [5, 1, 5, 5, 5]),
    ("ARTS", Q2, "C1", "confidence", "2025-05-12", "exit", [4, 2, 4, 4, 4]),
]


def test_a_custom_scale_paired_change_is_an_indicator(tmp_path):
    root = make_home(
        tmp_path / "home",
        tuple(PartnerConfig(code, name) for code, name in PARTNERS.items()),
        first="2025-Q1",
    )
    write_instruments(root)
    write_indicator(root)
    data = Data.original()
    data.measurements += [
        (*m[:4], date.fromisoformat(m[4]), m[5], m[6]) for m in CONFIDENCE_MEASUREMENTS
    ]
    the_home = open_home(root)
    with the_home.open_pool() as pool:
        submit_all(pool, data)
    refresh(the_home)
    results = load_results(root)
    change = by_key(results, "confidence_change")
    n = by_key(results, "confidence_change", "n")
    # pairs (by the exit's period): A1 +9 (Q3), B1 +5 (Q2), C1 -5 (Q2)
    assert change[(ALL, "", "")] == pytest.approx((9 + 5 - 5) / 3)
    assert n[(ALL, "", "")] == 3
    assert change[(Q2, "", "")] == pytest.approx(0.0)
    assert n[(Q2, "", "")] == 2
    assert change[(Q3, "", "")] == pytest.approx(9.0)
    assert (Q1, "", "") not in change  # no exits in Q1
    assert change[(ALL, "partner", "YC")] == pytest.approx(9.0)
    # the built-in scales are scored as before beside it
    assert "wellbeing_change" in set(results["indicator"])
    # without the home's instruments the same measurements are not scored: no pairs
    (root / "instruments" / "own.yaml").unlink()
    refresh(open_home(root))
    again = load_results(root).filter(pl.col("indicator") == "confidence_change")
    assert again.filter(pl.col("n").fill_null(0) > 0).height == 0
