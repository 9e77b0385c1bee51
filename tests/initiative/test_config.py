"""needle.toml: written with comments, read back equal, and every mistake named and fixable."""

from __future__ import annotations

import re
import tomllib
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from needle.errors import NeedleInputError
from needle.initiative import (
    AUDIENCES,
    DisclosureConfig,
    InitiativeConfig,
    LinkageConfig,
    PartnerConfig,
    PeriodsConfig,
    config_to_toml,
    load_config,
    parse_config,
    period_containing,
    trafford_demo_config,
    write_config,
)
from needle.initiative.config import (
    DEFAULT_OUTCOMES,
    AgendaConfig,
    CurvePoint,
    IndicatorsConfig,
    OutcomeConfig,
    PopulationIndicatorConfig,
    parse_population_period,
    population_period_label,
)

EXAMPLE = """
[initiative]
name = "Trafford Youth Collective"
area = ["E08000009"]
[periods]
frequency = "quarter"
first = "2024-Q4"
[disclosure]
public = 10
steering_group = 5
partner = 5
[linkage]
secret_file = "secrets/linkage.key"
[[partners]]
code = "TYC"
name = "Trafford Youth Clubs"
"""

# The sections of the outcomes framework, appended to the example for the mistake tests.
FRAMEWORK = """
[agenda]
vision = "Every young person thrives"
goals = ["More young people take part", "Fewer young people are NEET"]
[indicators]
attendance_threshold = 4
age_min = 11
age_max = 25
population_file = "population_indicators.csv"
[[outcomes]]
code = "participation"
title = "Participation"
indicators = ["reach", "attended_threshold"]
[[outcomes]]
code = "education_employment_training"
title = "Education, employment and training"
description = "In learning or work"
indicators = ["neet_16_17"]
[[population_indicators]]
id = "neet_16_17"
title = "16-17 year olds NEET or not known"
unit = "percent"
direction = "down"
baseline = { period = "2023", value = 4.3 }
target = { period = "2028", value = 3.0 }
source = "DfE"
"""


def _with(**changes: str) -> dict:
    """The example, parsed, with ``table.key`` replaced by a TOML value (or removed: None)."""
    data = tomllib.loads(EXAMPLE + FRAMEWORK)
    for dotted, value in changes.items():
        *path, key = dotted.split(".")
        target = data
        for part in path:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is None:
            del target[key]
        else:
            target[key] = tomllib.loads(f"v = {value}")["v"]
    return data


def test_the_issue_example_reads_as_expected() -> None:
    config = parse_config(tomllib.loads(EXAMPLE))
    assert config == InitiativeConfig(
        name="Trafford Youth Collective",
        area=("E08000009",),
        periods=PeriodsConfig(first="2024-Q4", frequency="quarter"),
        disclosure=DisclosureConfig(public=10, steering_group=5, partner=5),
        linkage=LinkageConfig(secret_file="secrets/linkage.key"),
        partners=(PartnerConfig("TYC", "Trafford Youth Clubs"),),
    )
    assert config.periods.first_period.start == date(2024, 10, 1)
    assert config.disclosure.threshold("steering_group") == 5
    assert config.partner("TYC").name == "Trafford Youth Clubs"


def test_defaults_fill_what_is_left_out() -> None:
    config = parse_config({"initiative": {"name": "X"}, "periods": {"first": "2025-Q1"}})
    assert config.area == ()
    assert config.periods.frequency == "quarter"
    assert config.disclosure == DisclosureConfig(public=10, steering_group=5, partner=5)
    assert config.linkage.secret_file == "secrets/linkage.key"
    assert config.partners == ()


@pytest.mark.parametrize(
    "config",
    [
        trafford_demo_config(),
        InitiativeConfig(name="Minimal", periods=PeriodsConfig(first="2026", frequency="year")),
        InitiativeConfig(
            name='Quotes " and \\ backslashes, tabs\tand\nnew lines, Łódź, 東京',
            area=("E08000009", "E08000003"),
            periods=PeriodsConfig(first="2025-07", frequency="month"),
            disclosure=DisclosureConfig(public=0, steering_group=3, partner=11),
            linkage=LinkageConfig(secret_file="/srv/secrets/needle.key"),
            partners=(PartnerConfig("A-1", "x"), PartnerConfig("B_2", 'y = "z"')),
        ),
    ],
    ids=["demo", "minimal", "awkward"],
)
def test_round_trip(tmp_path: Path, config: InitiativeConfig) -> None:
    path = write_config(config, tmp_path / "needle.toml")
    assert load_config(path) == config


@given(st.text(min_size=1).filter(str.strip))
def test_any_name_round_trips(name: str) -> None:
    config = InitiativeConfig(name=name, periods=PeriodsConfig(first="2024-Q4"))
    assert parse_config(tomllib.loads(config_to_toml(config))) == config


def test_every_key_is_explained_in_the_written_file() -> None:
    text = config_to_toml(InitiativeConfig(name="X", periods=PeriodsConfig(first="2024-Q1")))
    assert text.count("#") >= 10
    assert "[[partners]]" in text  # an example, commented out, when there are none
    assert parse_config(tomllib.loads(text)).partners == ()


def test_write_refuses_to_replace(tmp_path: Path, config: InitiativeConfig) -> None:
    path = write_config(config, tmp_path / "needle.toml")
    with pytest.raises(NeedleInputError, match=r"will not replace"):
        write_config(config, path)
    write_config(config, path, overwrite=True)


def test_period_labels_are_made_canonical() -> None:
    assert PeriodsConfig(first="2024q4").first == "2024-Q4"


@pytest.mark.parametrize(
    ("changes", "key", "fix"),
    [
        ({"initiative.name": None}, "initiative.name", 'add name = "'),
        ({"initiative.name": '"  "'}, "initiative.name", "give the initiative's name"),
        ({"initiative.name": "3"}, "initiative.name", "must be text in quotes"),
        ({"initiative.area": '"E08000009"'}, "initiative.area", 'area = ["E08000009"]'),
        ({"initiative.area": '["Trafford"]'}, "initiative.area[0]", "E08000009 for Trafford"),
        ({"initiative.area": '["E08000009", "E08000009"]'}, "initiative.area", "once"),
        ({"initiative.title": '"x"'}, "initiative.title", "known keys: name, area"),
        ({"periods.first": None}, "periods.first", 'add first = "2024-Q4"'),
        ({"periods.first": '"2024-Q5"'}, "periods.first", "a quarter such as 2026-Q3"),
        ({"periods.first": '"2024-10"'}, "periods.first", "is a month but"),
        ({"periods.first": "2024"}, "periods.first", "must be text in quotes"),
        ({"periods.frequency": '"weekly"'}, "periods.frequency", "quarter, month, year"),
        ({"periods.frequncy": '"month"'}, "periods.frequncy", "did you mean 'frequency'"),
        ({"disclosure.public": "-1"}, "disclosure.public", "0 or more"),
        ({"disclosure.partner": '"5"'}, "disclosure.partner", "whole number such as 5"),
        ({"disclosure.partner": "2.5"}, "disclosure.partner", "whole number"),
        ({"disclosure.partner": "true"}, "disclosure.partner", "not true/false"),
        ({"disclosure.funders": "5"}, "disclosure.funders", "known keys: public"),
        ({"linkage.secret_file": '""'}, "linkage.secret_file", "secrets/linkage.key"),
        ({"partners.0.code": '"tyc"'}, "partners[0].code", "'TYC' would do"),
        ({"partners.0.code": '"T/C"'}, "partners[0].code", "2 to 16 upper case"),
        ({"partners.0.name": None}, "partners[0].name", "needs a code and a name"),
        ({"partners.0.name": '""'}, "partners[0].name", "give its full name"),
        ({"partners.0.name": '"' + "x" * 201 + '"'}, "partners[0].name", "200 at most"),
        ({"partner": '"TYC"'}, "partner", "did you mean 'partners'"),
        ({"partners": '"TYC"'}, "partners", "[[partners]] tables"),
        ({"periods": '"quarter"'}, "periods", "must be a table ([periods])"),
        # the common agenda
        ({"agenda.vision": "3"}, "agenda.vision", "must be text in quotes"),
        ({"agenda.goals": '"Thrive"'}, "agenda.goals", "must be a list in square brackets"),
        ({"agenda.goals": '["a", "a"]'}, "agenda.goals[1]", "list each goal once"),
        ({"agenda.goals": '["  "]'}, "agenda.goals[0]", "is empty; give a goal"),
        ({"agenda.goals": "[3]"}, "agenda.goals[0]", "must be text in quotes"),
        ({"agenda.mission": '"x"'}, "agenda.mission", "did you mean 'vision'"),
        ({"agenda": '"x"'}, "agenda", "must be a table ([agenda])"),
        # the outcomes framework
        ({"outcomes.0.code": '"Participation"'}, "outcomes[0].code", "'participation' would"),
        ({"outcomes.0.code": None}, "outcomes[0].code", "needs a code and a title"),
        ({"outcomes.0.title": '""'}, "outcomes[0].title", "is empty"),
        ({"outcomes.0.indicators": '["Reach"]'}, "outcomes[0].indicators[0]", "'reach' would"),
        ({"outcomes.0.indicators": '["a__b"]'}, "outcomes[0].indicators[0]", "lower_snake_case"),
        ({"outcomes.0.indicators": '"reach"'}, "outcomes[0].indicators", "a list in square"),
        ({"outcomes.0.indicators": '["reach", "reach"]'}, "outcomes[0].indicators[1]", "twice"),
        ({"outcomes.0.indicator": "[]"}, "outcomes[0].indicator", "did you mean 'indicators'"),
        ({"outcomes.1.code": '"participation"'}, "outcomes[1].code", "used by outcomes[0]"),
        ({"outcomes": "[]"}, "outcomes", "leave them all out"),
        ({"outcomes": '"participation"'}, "outcomes", "[[outcomes]] tables"),
        ({"outcome": "[]"}, "outcome", "did you mean 'outcomes'"),
        # disclosure
        ({"disclosure.backbone": "-1"}, "disclosure.backbone", "0 or more"),
        ({"disclosure.public_rounding": "-5"}, "disclosure.public_rounding", "0 for no round"),
        ({"disclosure.public_rounding": "2.5"}, "disclosure.public_rounding", "whole number"),
        ({"disclosure.min_peers": "2"}, "disclosure.min_peers", "give 3 or more"),
        ({"disclosure.min_peers": '"5"'}, "disclosure.min_peers", "whole number such as 5"),
        ({"disclosure.min_peer": "5"}, "disclosure.min_peer", "did you mean 'min_peers'"),
        # indicators
        ({"indicators.attendance_threshold": "0"}, "indicators.attendance_threshold", "1 or"),
        ({"indicators.attendance_threshold": "true"}, "indicators.attendance_threshold", "no"),
        ({"indicators.age_min": "31"}, "indicators.age_min", "from 0 to 30"),
        ({"indicators.age_min": "-1"}, "indicators.age_min", "give 0 or more"),
        ({"indicators.age_max": "10"}, "indicators.age_max", "younger than indicators.age_min"),
        ({"indicators.population_file": '""'}, "indicators.population_file", "is empty"),
        ({"indicators.population_file": "3"}, "indicators.population_file", "text in quotes"),
        ({"indicators.age_mx": "25"}, "indicators.age_mx", "did you mean 'age_max'"),
        # population indicators
        ({"population_indicators.0.id": '"NEET 16-17"'}, "population_indicators[0].id", "'neet"),
        (
            {"population_indicators.0.unit": '"percentage"'},
            "population_indicators[0].unit",
            "'percent'",
        ),
        ({"population_indicators.0.unit": None}, "population_indicators[0].unit", "a unit and a"),
        (
            {"population_indicators.0.direction": '"lower"'},
            "population_indicators[0].direction",
            "down: lower is better",
        ),
        ({"population_indicators.0.title": '" "'}, "population_indicators[0].title", "is empty"),
        ({"population_indicators.0.source": "1"}, "population_indicators[0].source", "in quotes"),
        ({"population_indicators.0.targt": "1"}, "population_indicators[0].targt", "'target'"),
        (
            {"population_indicators.0.baseline": '"2023"'},
            "population_indicators[0].baseline",
            "must be a table: baseline = {",
        ),
        (
            {"population_indicators.0.baseline": None},
            "population_indicators[0].baseline",
            "a target needs a baseline",
        ),
        (
            {"population_indicators.0.baseline.period": '"2023-Q5"'},
            "population_indicators[0].baseline.period",
            "is not a period. Use a year",
        ),
        (
            {"population_indicators.0.baseline.period": "2023"},
            "population_indicators[0].baseline.period",
            "must be text in quotes",
        ),
        (
            {"population_indicators.0.baseline.value": '"4.3"'},
            "population_indicators[0].baseline.value",
            "must be a number",
        ),
        (
            {"population_indicators.0.baseline.value": "nan"},
            "population_indicators[0].baseline.value",
            "finite",
        ),
        (
            {"population_indicators.0.baseline.value": None},
            "population_indicators[0].baseline.value",
            "needs a period and a value",
        ),
        (
            {"population_indicators.0.baseline.when": '"x"'},
            "population_indicators[0].baseline.when",
            "known keys: period, value",
        ),
        (
            {"population_indicators.0.target.value": "140.0"},
            "population_indicators[0].target.value",
            "not a possible percent value",
        ),
        (
            {"population_indicators.0.target.period": '"2022"'},
            "population_indicators[0].target.period",
            "not after the baseline",
        ),
        (
            {"population_indicators.0.target.period": '"2027/28"'},
            "population_indicators[0].target.period",
            "is an academic (or financial) year but the baseline 2023 is a year",
        ),
        (
            {"population_indicators": '"neet"'},
            "population_indicators",
            "[[population_indicators]] tables",
        ),
    ],
)
def test_each_mistake_names_the_key_and_the_fix(changes: dict, key: str, fix: str) -> None:
    with pytest.raises(NeedleInputError) as caught:
        parse_config(_with(**changes))
    message = str(caught.value)
    assert message.startswith(f"{key}: "), message
    assert fix in message, message


def test_duplicate_partner_codes() -> None:
    data = _with()
    data["partners"].append({"code": "TYC", "name": "Another"})
    with pytest.raises(NeedleInputError, match=r"partners\[1\]\.code: TYC is already used"):
        parse_config(data)


def test_a_config_built_in_python_is_checked_too() -> None:
    with pytest.raises(NeedleInputError, match=r"disclosure.public: -3 is negative"):
        DisclosureConfig(public=-3)
    with pytest.raises(NeedleInputError, match=r"periods.first"):
        PeriodsConfig(first="2024", frequency="quarter")
    with pytest.raises(NeedleInputError, match=r"partners"):
        PartnerConfig("x", "y")


def test_load_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "needle.toml"
    path.write_text(EXAMPLE.replace('"2024-Q4"', '"2024-Q9"'), encoding="utf-8")
    with pytest.raises(NeedleInputError, match=rf"^{re.escape(str(path))}: periods\.first: "):
        load_config(path)


def test_load_invalid_toml(tmp_path: Path) -> None:
    path = tmp_path / "needle.toml"
    path.write_text("[initiative]\nname = Trafford\n", encoding="utf-8")
    with pytest.raises(NeedleInputError, match=r"not valid TOML.*line 2"):
        load_config(path)


def test_load_not_utf8_and_missing(tmp_path: Path) -> None:
    path = tmp_path / "needle.toml"
    path.write_bytes(b'[initiative]\nname = "Caf\xe9"\n')
    with pytest.raises(NeedleInputError, match=r"not UTF-8"):
        load_config(path)
    with pytest.raises(NeedleInputError, match=r"not found"):
        load_config(tmp_path / "absent.toml")


def test_period_containing() -> None:
    day = date(2026, 5, 17)
    assert period_containing("quarter", day).label == "2026-Q2"
    assert period_containing("month", day).label == "2026-05"
    assert period_containing("year", day).label == "2026"
    with pytest.raises(NeedleInputError, match=r"periods.frequency"):
        period_containing("week", day)


def test_the_demo_matches_the_synthetic_initiative() -> None:
    from needle.synth.generate import FIRST_PERIOD
    from needle.synth.partners import load_partners

    demo = trafford_demo_config()
    assert demo.periods.first == FIRST_PERIOD
    assert [p.code for p in demo.partners] == [p.code for p in load_partners()]


def test_partner_codes_follow_the_pool_register_rule() -> None:
    model = pytest.importorskip("needle.pool.model")
    for code in ("TYC", "EARLYHELP", "A-1", "B_2", "X" * 16):
        assert model.normalise_code(code) == PartnerConfig(code, "n").code
    for code in ("T", "X" * 17, "T.C", "T C"):
        with pytest.raises(NeedleInputError):
            model.normalise_code(code)
        with pytest.raises(NeedleInputError):
            PartnerConfig(code, "n")


# ---- the outcomes framework: agenda, outcomes, indicators, population indicators ------


def _framework_config(**changes) -> InitiativeConfig:
    parts = {
        "name": "Framework",
        "periods": PeriodsConfig(first="2025-Q1"),
        "agenda": AgendaConfig('A "vision"\nover two lines', ("Goal one", "Goal \\ two")),
        "outcomes": (
            OutcomeConfig("belonging", "Belonging"),
            OutcomeConfig("skills", "Skills", "What we mean", ("skills_gained", "reach")),
        ),
        "indicators": IndicatorsConfig(
            attendance_threshold=6, age_min=0, age_max=30, population_file="/data/pop.csv"
        ),
        "disclosure": DisclosureConfig(backbone=2, public_rounding=0, min_peers=3),
        "population_indicators": (
            PopulationIndicatorConfig("net_migration", "Net migration", "number", "up"),
            PopulationIndicatorConfig(
                "calls",
                "Calls",
                "count",
                "down",
                description="Quarterly",
                baseline=CurvePoint("2024q1", 12),
                target=CurvePoint("2026-Q4", 0.5),
                source="Police",
            ),
        ),
    }
    parts.update(changes)
    return InitiativeConfig(**parts)


def test_the_framework_round_trips(tmp_path: Path) -> None:
    config = _framework_config()
    assert config.population_indicator("calls").baseline == CurvePoint("2024-Q1", 12.0)
    path = write_config(config, tmp_path / "needle.toml")
    assert load_config(path) == config


def test_the_demo_round_trips_through_toml() -> None:
    demo = trafford_demo_config()
    assert parse_config(tomllib.loads(config_to_toml(demo))) == demo


def test_the_framework_example_reads_as_expected() -> None:
    config = parse_config(_with(**{"disclosure.backbone": "1", "disclosure.min_peers": "4"}))
    assert config.agenda == AgendaConfig(
        "Every young person thrives",
        ("More young people take part", "Fewer young people are NEET"),
    )
    assert config.outcomes == (
        OutcomeConfig("participation", "Participation", "", ("reach", "attended_threshold")),
        OutcomeConfig(
            "education_employment_training",
            "Education, employment and training",
            "In learning or work",
            ("neet_16_17",),
        ),
    )
    assert config.outcome("participation").indicators == ("reach", "attended_threshold")
    assert config.indicators == IndicatorsConfig()
    neet = config.population_indicator("neet_16_17")
    assert (neet.unit, neet.direction, neet.source) == ("percent", "down", "DfE")
    assert neet.baseline == CurvePoint("2023", 4.3)
    assert neet.target == CurvePoint("2028", 3.0)
    assert neet.period_kind == "year"
    assert config.disclosure.threshold("backbone") == 1
    assert config.disclosure.min_peers == 4
    with pytest.raises(KeyError):
        config.outcome("safety")
    with pytest.raises(KeyError):
        config.population_indicator("school_absence")


def test_framework_defaults() -> None:
    config = parse_config({"initiative": {"name": "X"}, "periods": {"first": "2025-Q1"}})
    assert config.agenda == AgendaConfig(vision="", goals=())
    assert config.outcomes == DEFAULT_OUTCOMES
    assert config.indicators == IndicatorsConfig(
        attendance_threshold=4, age_min=11, age_max=25, population_file="population_indicators.csv"
    )
    assert config.population_indicators == ()
    d = config.disclosure
    assert (d.backbone, d.public_rounding, d.min_peers) == (0, 5, 5)
    assert d.threshold("backbone") == 0
    assert [d.threshold(a) for a in AUDIENCES] == [10, 5, 5, 0]
    with pytest.raises(ValueError, match="funders"):
        d.threshold("funders")


def test_config_audiences_are_the_result_audiences() -> None:
    from needle.indicators.schema import AUDIENCES as RESULT_AUDIENCES

    assert set(AUDIENCES) == set(RESULT_AUDIENCES)


def test_default_outcomes_are_the_standards_outcome_areas() -> None:
    from needle.standard import load_standard

    codelist = load_standard().codelists["outcome_area"]
    assert [(o.code, o.title) for o in DEFAULT_OUTCOMES] == [
        (c.code, c.label) for c in codelist.codes
    ]
    assert {o.code: o.indicators for o in DEFAULT_OUTCOMES} == {
        "social_emotional": ("outcome_improvement",),
        "wellbeing": ("wellbeing_change", "wellbeing_reliable_improvement"),
        "education_employment_training": ("eet_milestones", "neet_16_17"),
        "safety": ("first_time_entrants",),
        "participation": ("reach", "reach_population_rate", "attended_threshold", "retention"),
    }


def test_the_demo_framework_is_marked_illustrative() -> None:
    demo = trafford_demo_config()
    assert demo.agenda.vision and len(demo.agenda.goals) >= 3
    assert [p.id for p in demo.population_indicators] == [
        "neet_16_17",
        "school_absence",
        "first_time_entrants",
    ]
    for indicator in demo.population_indicators:
        assert "Illustrative" in indicator.description, indicator.id
        assert indicator.baseline is not None and indicator.target is not None
        assert indicator.direction == "down"
    evidenced = {i for o in demo.outcomes for i in o.indicators}
    assert {p.id for p in demo.population_indicators} <= evidenced
    assert [o.code for o in demo.outcomes] == [o.code for o in DEFAULT_OUTCOMES]


def test_every_new_key_is_written_with_a_comment() -> None:
    text = config_to_toml(trafford_demo_config())
    lines = text.splitlines()
    for key in (
        "vision",
        "goals",
        "backbone",
        "public_rounding",
        "min_peers",
        "attendance_threshold",
        "age_min",
        "population_file",
    ):
        at = next(i for i, line in enumerate(lines) if line.startswith(f"{key} = "))
        above = lines[at - 1]
        assert above.startswith("#") or lines[at - 2].startswith("#"), key
    for header in ("[[outcomes]]", "[[population_indicators]]"):
        at = lines.index(header)
        assert lines[at - 1].startswith("#"), header  # the keys are explained above
    comments = "\n".join(line for line in lines if line.startswith("#"))
    for key in ("code", "title", "description", "indicators", "unit", "direction", "source"):
        assert f"{key}:" in comments or f"{key} " in comments, key
    empty = config_to_toml(InitiativeConfig(name="X", periods=PeriodsConfig(first="2024-Q1")))
    assert "# [[population_indicators]]" in empty  # an example, commented out
    assert "goals = []" in empty


def test_duplicate_population_indicators() -> None:
    data = _with()
    data["population_indicators"].append(dict(data["population_indicators"][0]))
    with pytest.raises(
        NeedleInputError,
        match=r"^population_indicators\[1\]\.id: neet_16_17 is already used by "
        r"population_indicators\[0\]",
    ):
        parse_config(data)


def test_a_framework_built_in_python_is_checked_too() -> None:
    with pytest.raises(NeedleInputError, match=r"^outcomes\[\]\.code: 'Safety' is not an id"):
        OutcomeConfig("Safety", "Safety")
    with pytest.raises(NeedleInputError, match=r"^outcomes: is empty"):
        _framework_config(outcomes=())
    with pytest.raises(
        NeedleInputError, match=r"^outcomes\[1\]: must be an outcome \(OutcomeConfig\)"
    ):
        _framework_config(outcomes=(DEFAULT_OUTCOMES[0], "wellbeing"))
    with pytest.raises(NeedleInputError, match=r"^outcomes: must be a list"):
        _framework_config(outcomes="wellbeing")
    with pytest.raises(NeedleInputError, match=r"^disclosure.min_peers: 1 is too small"):
        DisclosureConfig(min_peers=1)
    with pytest.raises(NeedleInputError, match=r"^agenda.goals: must be a list"):
        AgendaConfig(goals="Thrive")
    with pytest.raises(NeedleInputError, match=r"^indicators.age_max: 9 is younger"):
        IndicatorsConfig(age_min=11, age_max=9)
    with pytest.raises(NeedleInputError, match=r"^point.period: '2023-Q9' is not a period"):
        CurvePoint("2023-Q9", 1)
    with pytest.raises(NeedleInputError, match=r"^population_indicators\[\]\.baseline: must"):
        PopulationIndicatorConfig("x", "X", "count", "up", baseline=("2023", 1))
    with pytest.raises(NeedleInputError, match=r"^agenda: must be a AgendaConfig"):
        _framework_config(agenda="Thrive")
    # a list is accepted where a tuple is meant, and kept as a tuple
    config = _framework_config(outcomes=[OutcomeConfig("a", "A", "", ["reach"])])
    assert config.outcomes == (OutcomeConfig("a", "A", "", ("reach",)),)


@pytest.mark.parametrize(
    ("text", "label", "time", "kind"),
    [
        ("2023", "2023", 2023.0, "year"),
        (" 2023 ", "2023", 2023.0, "year"),
        ("2022/23", "2022/23", 2022 + 8 / 12, "academic_year"),
        ("2022-23", "2022/23", 2022 + 8 / 12, "academic_year"),
        ("2022/2023", "2022/23", 2022 + 8 / 12, "academic_year"),
        ("202223", "2022/23", 2022 + 8 / 12, "academic_year"),
        ("2099/00", "2099/00", 2099 + 8 / 12, "academic_year"),
        ("2024-Q1", "2024-Q1", 2024.0, "quarter"),
        ("2024q3", "2024-Q3", 2024.5, "quarter"),
        ("2024 Q4", "2024-Q4", 2024.75, "quarter"),
    ],
)
def test_population_periods(text: str, label: str, time: float, kind: str) -> None:
    period = parse_population_period(text)
    assert (period.label, period.kind) == (label, kind)
    assert period.time == pytest.approx(time)
    assert population_period_label(period.kind, period.ordinal) == label
    following = population_period_label(period.kind, period.ordinal + 1)
    assert parse_population_period(following).time > period.time


@pytest.mark.parametrize(
    ("text", "fix"),
    [
        ("2022/24", "as in 2022/23"),
        ("2024-10", "not by month"),
        ("2024-Q5", "is not a period"),
        ("23", "is not a period"),
        ("1850", "between 1900 and 2100"),
        ("", "is not a period"),
    ],
)
def test_bad_population_periods(text: str, fix: str) -> None:
    with pytest.raises(NeedleInputError, match=re.escape(fix)):
        parse_population_period(text)


def test_default_performance_measures_are_in_the_indicator_registry() -> None:
    definitions = pytest.importorskip("needle.indicators.definitions")
    registry = definitions.load_registry()
    population = {"neet_16_17", "first_time_entrants"}  # [[population_indicators]], not here
    wanted = {i for o in DEFAULT_OUTCOMES for i in o.indicators} - population
    assert sorted(i for i in wanted if i not in registry) == []
