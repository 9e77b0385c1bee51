"""Shared fixtures: the shipped standard, its raw YAML, and a tiny submission built from the
definition's own examples (so the examples are checked against the generated schemas)."""

from __future__ import annotations

import copy
from importlib import resources
from typing import Any

import pytest
import yaml

from needle.standard import Standard, load_standard
from needle.standard.model import CURRENT_VERSION, parse_standard


@pytest.fixture(scope="session")
def standard() -> Standard:
    return load_standard()


@pytest.fixture(scope="session")
def _raw_yaml() -> dict[str, Any]:
    text = (
        resources.files("needle.standard") / "definitions" / f"{CURRENT_VERSION}.yaml"
    ).read_text(encoding="utf-8")
    return yaml.safe_load(text)


@pytest.fixture
def raw_definition(_raw_yaml: dict[str, Any]) -> dict[str, Any]:
    """A private copy of the current definition's YAML, to break or extend in a test."""
    return copy.deepcopy(_raw_yaml)


@pytest.fixture
def deprecated_standard(raw_definition: dict[str, Any]) -> Standard:
    """The current standard plus one deprecated column, for generators that treat those
    differently (templates leave them out; schemas and docs mark them)."""
    raw_definition["entities"]["attendance"]["columns"]["attendee_ref"] = {
        "type": "string",
        "description": "Old name of person_ref.",
        "deprecated": {"since": "1.0", "use": "person_ref", "message": "Renamed."},
    }
    return parse_standard(raw_definition)


@pytest.fixture(scope="session")
def examples(standard: Standard) -> dict[str, list[dict[str, str]]]:
    """One row per entity made of each column's example value ("" where it has none).

    The examples are written to agree with each other (the attendance example refers to
    the sessions example, and so on), so together they are a valid tiny submission.
    """
    return {
        name: [{column.name: column.example for column in entity.columns.values()}]
        for name, entity in standard.entities.items()
    }
