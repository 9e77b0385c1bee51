"""Reports never repeat a personal identifier, however wrong the cell holding it is."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from submission_builders import (
    PERIOD,
    SECRET_FAMILY,
    SECRET_NAME,
    SECRET_POSTCODE,
    TODAY,
    clean_rows,
    rules,
    write_folder,
    write_workbook,
)

from needle.validation import validate_path

BAD_BIRTH_DATES = ["31/31/1987", "2031-07-19", "07/19/2011", "19/07/11", "1951-07-19", "4 Julyish"]


def _outputs(report) -> str:
    return report.to_json() + report.render_text(first=10_000)


def _plant(rows, index: int, dob: str) -> None:
    person = rows["young_people"][index]
    person.update(
        given_name=SECRET_NAME,
        family_name=SECRET_FAMILY,
        postcode=SECRET_POSTCODE,
        date_of_birth=dob,
    )


def test_bad_identifier_cells_are_reported_without_their_values(tmp_path):
    rows = clean_rows()
    for index, dob in enumerate(BAD_BIRTH_DATES[:4]):
        _plant(rows, index, dob)
    rows["young_people"].append({**rows["young_people"][0], "person_ref": "YP-005"})
    rows["young_people"][-1]["date_of_birth"] = BAD_BIRTH_DATES[4]
    rows["young_people"].append({**rows["young_people"][0], "person_ref": "YP-006"})
    rows["young_people"][-1]["date_of_birth"] = BAD_BIRTH_DATES[5]
    for fmt, path in (
        ("csv", write_folder(tmp_path / "s", rows)),
        ("xlsx", write_workbook(tmp_path / "s.xlsx", rows)),
    ):
        report = validate_path(path, period=PERIOD, today=TODAY)
        found = rules(report)
        assert {"type_date", "dob_future", "date_ambiguous", "dob_implausible"} <= found, fmt
        assert "postcode_format" in found
        text = _outputs(report)
        for secret in (SECRET_NAME, SECRET_FAMILY, SECRET_POSTCODE, "ZZ9", *BAD_BIRTH_DATES):
            assert secret not in text, (fmt, secret)
        assert "1951" not in text and "2031" not in text and "Julyish" not in text


def test_messages_say_what_is_wrong_in_words(tmp_path):
    rows = clean_rows()
    _plant(rows, 0, "2031-07-19")
    report = validate_path(write_folder(tmp_path / "s", rows), period=PERIOD, today=TODAY)
    messages = {p.rule: p.message for p in report.problems}
    assert messages["dob_future"] == "The date of birth is in the future."
    assert messages["postcode_format"] == "The postcode is not a full UK postcode."


_marker = st.text(string.ascii_letters + string.digits, min_size=8, max_size=12).map(
    lambda s: "Qx" + s
)
_junk = st.text(min_size=1, max_size=12).filter(lambda s: s.strip() and "," not in s)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=_marker,
    postcode=_marker,
    dob=st.one_of(_marker, st.sampled_from(BAD_BIRTH_DATES)),
    noise=_junk,
)
def test_any_identifier_value_stays_out_of_the_report(tmp_path_factory, name, postcode, dob, noise):
    rows = clean_rows()
    person = rows["young_people"][1]
    person.update(given_name=name, family_name=name[::-1], postcode=postcode, date_of_birth=dob)
    rows["young_people"][2]["postcode"] = postcode + noise
    folder = write_folder(tmp_path_factory.mktemp("s"), rows)
    text = _outputs(validate_path(folder, period=PERIOD, today=TODAY))
    for secret in (name, name[::-1], postcode, dob):
        assert secret not in text
