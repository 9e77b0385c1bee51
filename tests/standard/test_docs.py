"""The generated reference page says everything the definition says, in readable tables."""

from __future__ import annotations

import re

import pytest

from needle.standard import Standard, load_standard
from needle.standard.docs import reference_markdown
from needle.standard.facts import export_filenames


@pytest.fixture(scope="module")
def page() -> str:
    return reference_markdown(load_standard())


def _section(page: str, heading: str) -> str:
    """The text under ``heading`` up to the next heading of the same or a higher level."""
    level = heading.split(" ", 1)[0]
    start = page.index(f"\n{heading}\n")
    end = re.compile(rf"\n#{{1,{len(level)}}} ").search(page, start + 1)
    return page[start : end.start() if end else len(page)]


def _table_rows(text: str) -> list[list[str]]:
    """Cells of every Markdown table row in ``text`` (header and rule lines included)."""
    rows = []
    for line in text.splitlines():
        if line.startswith("| "):
            cells = re.split(r"(?<!\\) \| ", line[2:-2])
            rows.append([c.strip() for c in cells])
    return rows


def test_page_opens_with_the_title_and_a_why(page: str, standard: Standard):
    assert page.startswith(f"# {standard.name} {standard.version}\n")
    headings = re.findall(r"^## (.+)$", page, flags=re.M)
    assert headings[0] == "Why?"
    assert headings[1] == "How to read this page"
    for expected in ("Entities", "Code lists", "Instruments", "Validation rules",
                     "Versioning and deprecation", "Credits"):
        assert expected in headings
    assert page.endswith("\n") and not page.endswith("\n\n")


def test_page_links_the_machine_readable_copies(page: str, standard: Standard):
    names = export_filenames(standard.version)
    assert f"]({names['datapackage']})" in page
    assert f"]({names['json_schema']})" in page


def test_tables_are_well_formed(page: str):
    for block in re.split(r"\n\n", page):
        rows = _table_rows(block)
        if rows:
            assert rows[1] == ["---"] * len(rows[0]), rows[0]
            assert {len(row) for row in rows} == {len(rows[0])}, rows[0]


@pytest.mark.parametrize("entity", list(load_standard().entities))
def test_each_entity_has_a_table_of_its_columns(page: str, standard: Standard, entity: str):
    rows = _table_rows(_section(page, f"### {entity}"))
    header, body = rows[0], rows[2:]
    assert header == [
        "column",
        "type",
        "required",
        "PI",
        "description",
        "allowed values or range",
        "references",
    ]
    columns = standard.entities[entity].columns
    assert [row[0] for row in body] == [f"`{name}`" for name in columns]
    for row in body:
        column = columns[row[0].strip("`")]
        assert row[1] == column.type
        assert (row[2] == "yes") == column.required
        assert (row[3] == "PI") == column.pi
        if column.references:
            assert ".".join(column.references) in row[6]
        if column.min is not None and column.max is not None:
            assert f"{column.min} to {column.max}" in row[5]
        if column.codelist:
            assert f"#code-list-{column.codelist}" in row[5]


def test_code_lists_show_every_code_and_label(page: str, standard: Standard):
    for name, codelist in standard.codelists.items():
        rows = _table_rows(_section(page, f"### Code list: {name}"))
        assert [(row[0], row[1]) for row in rows[2:]] == [
            (f"`{c.code}`", c.label) for c in codelist.codes
        ]


def test_ethnicity_credits_the_ons_2021_classification(page: str):
    assert "ONS 2021 ethnic group classification" in page
    assert "Census 2021" in _section(page, "## Credits")


def test_instruments_give_counts_and_ranges_but_no_wording(page: str, standard: Standard):
    section = _section(page, "## Instruments")
    assert "© University of Warwick" in section
    assert "does not ship the wording" in section
    rows = _table_rows(section)[2:]
    assert [
        (row[0], row[2], row[4]) for row in rows
    ] == [
        (f"`{i.name}`", str(i.items), f"{i.min} to {i.max}") for i in standard.instruments.values()
    ]


def test_validation_rules_table(page: str, standard: Standard):
    rows = _table_rows(_section(page, "## Validation rules"))
    assert rows[0] == ["id", "severity", "title", "hint"]
    assert [row[0] for row in rows[2:]] == [f"`{rule}`" for rule in standard.rules]
    for row in rows[2:]:
        rule = standard.rules[row[0].strip("`")]
        assert (row[1], row[2]) == (rule.severity, rule.title)


def test_versioning_and_deprecation(page: str, deprecated_standard: Standard):
    section = _section(page, "## Versioning and deprecation")
    assert "MAJOR.MINOR" in section
    assert "Nothing is deprecated in version 1.0." in section
    deprecated = reference_markdown(deprecated_standard)
    assert "`attendance.attendee_ref` (Deprecated since 1.0: use person_ref instead." in deprecated
    assert "**Deprecated since 1.0: use person_ref instead. Renamed.** Old name" in deprecated
