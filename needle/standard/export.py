"""Publish the standard in open, machine-readable formats.

Other tools should not need Needle to check a submission: a Frictionless Data Package
(one Table Schema per entity, as Open Referral HSDS publishes its model) serves the CSV
world, and a JSON Schema (draft 2020-12) serves APIs and JSON submissions. Both are
generated from the YAML definition through :mod:`needle.standard.facts`, as is the
reference page, and ``write_exports`` writes them deterministically so the copies committed
under ``docs/reference`` can be checked for staleness.

The schemas describe the canonical form of the data (codes rather than labels, ISO dates,
HH:MM times). Needle's own validator is more forgiving on input: it also accepts labels,
UK dates and Excel cells, and turns them into this form.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from needle.standard.docs import reference_markdown
from needle.standard.facts import CODES_SEPARATOR, ColumnFacts, entity_facts, export_filenames
from needle.standard.model import Entity, Standard

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

#: Frictionless reads times as HH:MM:SS by default; the standard writes HH:MM.
FRICTIONLESS_TIME_FORMAT = "%H:%M"

_JSON_TYPES = {
    "string": "string",
    "integer": "integer",
    "number": "number",
    "date": "string",
    "time": "string",
    "postcode": "string",
    "code": "string",
    "codes": "string",
}


def write_exports(outdir: str | Path, standard: Standard) -> list[Path]:
    """Write the data package, the JSON Schema and the reference page into ``outdir``.

    Returns the paths written, in that order, for the CLI to report.
    """
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    names = export_filenames(standard.version)
    written = []
    for kind, render in EXPORTERS.items():
        path = outdir / names[kind]
        path.write_text(render(standard), encoding="utf-8", newline="\n")
        written.append(path)
    return written


def dumps_json(data: Any) -> str:
    """Stable, readable JSON: definition order kept, UTF-8 kept, one trailing newline."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# --- Frictionless -------------------------------------------------------------------------


def datapackage(standard: Standard) -> dict[str, Any]:
    """The standard as a Frictionless tabular Data Package: one resource per entity."""
    return {
        "profile": "tabular-data-package",
        "name": _slug(standard.name),
        "title": f"{standard.name} {standard.version}",
        "description": (
            "The tables a partner organisation submits to a youth-sector collective impact "
            "initiative for one reporting period. Fields marked needle:personalIdentifier "
            "are used only to link records and derive age and area, and are never stored."
        ),
        "version": standard.version,
        "needle:status": standard.status,
        "resources": [_resource(standard, entity) for entity in standard.entities.values()],
    }


def table_schema(
    standard: Standard, entity: str | Entity, *, foreign_keys: bool = False
) -> dict[str, Any]:
    """The Table Schema of one entity.

    Foreign keys are left out by default: they point at other tables, and Frictionless
    refuses to validate a lone table whose schema names tables it cannot see. The data
    package includes them; each field still names its reference in ``needle:references``.
    """
    if isinstance(entity, str):
        entity = standard.entities[entity]
    facts = entity_facts(standard, entity)
    schema: dict[str, Any] = {
        "fields": [_frictionless_field(f) for f in facts],
        "missingValues": [""],
    }
    if entity.primary_key:
        schema["primaryKey"] = list(entity.primary_key)
    if foreign_keys:
        keys = [_foreign_key(f) for f in facts if f.column.references]
        if keys:
            schema["foreignKeys"] = keys
    return schema


def _resource(standard: Standard, entity: Entity) -> dict[str, Any]:
    return {
        "name": entity.name,
        "path": f"{entity.name}.csv",
        "profile": "tabular-data-resource",
        "title": entity.title,
        "description": entity.description,
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": table_schema(standard, entity, foreign_keys=True),
    }


def _frictionless_field(f: ColumnFacts) -> dict[str, Any]:
    field: dict[str, Any] = {"name": f.name, "type": f.frictionless_type}
    if f.type == "time":
        field["format"] = FRICTIONLESS_TIME_FORMAT
    if f.description:
        field["description"] = f.description
    if f.example is not None:
        field["example"] = f.column.example
    constraints: dict[str, Any] = {"required": f.required}
    if f.type == "code":
        constraints["enum"] = list(f.code_values)
    if f.pattern and f.type != "time":  # time is checked by its format instead
        constraints["pattern"] = f.pattern
    constraints.update(_bounds(f))
    field["constraints"] = constraints
    field.update(_annotations(f))
    return field


def _foreign_key(f: ColumnFacts) -> dict[str, Any]:
    target_entity, target_column = f.column.references or ("", "")
    return {
        "fields": [f.name],
        "reference": {"resource": target_entity, "fields": [target_column]},
    }


# --- JSON Schema --------------------------------------------------------------------------


def json_schema(standard: Standard) -> dict[str, Any]:
    """A submission as JSON: an object with one array of row objects per entity.

    Every entity is optional, as a sheet is in the template, and rows may carry an
    initiative's own extra columns. Uniqueness of primary keys and references between
    entities cannot be said in JSON Schema; they are recorded as ``needle:`` annotations.
    """
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "title": f"{standard.name} {standard.version}: a submission",
        "description": (
            "One partner organisation's submission for one reporting period, one array of "
            "rows per entity. Optional values may be left out or null."
        ),
        "type": "object",
        "properties": {
            name: {
                "title": entity.title,
                "type": "array",
                "items": {"$ref": f"#/$defs/{name}"},
            }
            for name, entity in standard.entities.items()
        },
        "$defs": {
            name: _row_schema(standard, entity) for name, entity in standard.entities.items()
        },
    }


def _row_schema(standard: Standard, entity: Entity) -> dict[str, Any]:
    facts = entity_facts(standard, entity)
    row: dict[str, Any] = {
        "title": entity.title,
        "description": entity.description,
        "type": "object",
        "properties": {f.name: _json_property(f) for f in facts},
    }
    if entity.required_columns:
        row["required"] = list(entity.required_columns)
    if entity.primary_key:
        row["needle:primaryKey"] = list(entity.primary_key)
    return row


def _json_property(f: ColumnFacts) -> dict[str, Any]:
    json_type = _JSON_TYPES[f.type]
    prop: dict[str, Any] = {"type": json_type if f.required else [json_type, "null"]}
    if f.description:
        prop["description"] = f.description
    if f.type == "date":
        prop["format"] = "date"
    if f.type == "code":
        prop["enum"] = [*f.code_values, *([] if f.required else [None])]
    elif f.pattern:  # RFC 3339 "time" needs seconds and an offset, so HH:MM is a pattern
        prop["pattern"] = f.pattern
    elif f.required and json_type == "string":
        prop["minLength"] = 1
    prop.update(_bounds(f))
    if f.example is not None:
        prop["examples"] = [f.example]
    if f.column.deprecated:
        prop["deprecated"] = True
    prop.update(_annotations(f))
    return prop


# --- shared by both -----------------------------------------------------------------------


def _bounds(f: ColumnFacts) -> dict[str, int | float]:
    """``minimum``/``maximum``: the same keywords in Table Schema and JSON Schema."""
    bounds: dict[str, int | float] = {}
    if f.minimum is not None:
        bounds["minimum"] = f.minimum
    if f.maximum is not None:
        bounds["maximum"] = f.maximum
    return bounds


def _annotations(f: ColumnFacts) -> dict[str, Any]:
    """Needle's own properties, which both schema languages allow as extensions."""
    notes: dict[str, Any] = {"needle:type": f.type, "needle:personalIdentifier": f.pi}
    if f.codelist:
        notes["needle:codelist"] = f.codelist
        notes["needle:labels"] = {c.code: c.label for c in f.codes}
        groups = {c.code: c.group for c in f.codes if c.group}
        if groups:
            notes["needle:groups"] = groups
    if f.type == "codes":
        notes["needle:separator"] = CODES_SEPARATOR
    if f.reference:
        notes["needle:references"] = f.reference
    if f.column.deprecated:
        dep = f.column.deprecated
        notes["needle:deprecated"] = {
            k: v for k, v in (("since", dep.since), ("use", dep.use), ("message", dep.message)) if v
        }
    return notes


def _slug(text: str) -> str:
    """A Frictionless name: lower case, digits and hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


#: Every artefact ``needle standard export`` writes, by kind (file names come from
#: ``export_filenames``). The built-ins are listed the way an extension would add one.
EXPORTERS: dict[str, Callable[[Standard], str]] = {
    "datapackage": lambda standard: dumps_json(datapackage(standard)),
    "json_schema": lambda standard: dumps_json(json_schema(standard)),
    "reference": reference_markdown,
}
