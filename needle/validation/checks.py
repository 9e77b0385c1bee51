"""Check one entity's table: parse its columns, evaluate every rule, find repeats.

All of an entity's rule expressions (``needle.validation.rules``) are evaluated in one
``select``, which Polars runs in parallel, and summed; only rules that fail are revisited,
to pull out the first rows for the report. The parsed columns become the typed table that
later stages (pseudonymisation, pooling) build on.
"""

from __future__ import annotations

import operator
from functools import reduce
from typing import Any

import polars as pl

from needle.standard.model import Entity, Standard
from needle.validation.emit import Reporter, quote
from needle.validation.raw import ROW, RawTable
from needle.validation.rules import (
    Context,
    Finding,
    Message,
    entity_findings,
    instrument_columns,
    problem,
    raw,
)
from needle.validation.values import Parsed, dtype_for, parser_for


def check_table(table: RawTable, ctx: Context, out: Reporter) -> pl.DataFrame:
    """Check one entity's table and return it typed (see ``typed_table``)."""
    entity = ctx.entity
    where = {"entity": entity.name, "source": table.source}
    _report_formulas(table, ctx, out)
    if not ctx.columns.usable:
        return empty_typed(entity, ctx.standard)
    work = _work_frame(table, ctx)
    if helpers := instrument_columns(ctx):
        work = work.with_columns(helpers)
    findings = entity_findings(table, ctx)
    evaluate(work, findings, out, **where)
    _duplicates(work, ctx, out, **where)
    return typed_table(_null_spoiled(work, findings, out), ctx)


def evaluate(
    work: pl.DataFrame, findings: list[Finding], out: Reporter, *, entity: str, source: str
) -> None:
    """Count every finding in one pass, then list the first rows of those that fail."""
    if not findings or not work.height:
        return
    flags = work.select(f.mask.fill_null(False).alias(str(i)) for i, f in enumerate(findings))
    totals = flags.sum().row(0)
    for i, (finding, total) in enumerate(zip(findings, totals, strict=True)):
        if not total:
            continue
        room = out.report.room(out.severity(finding.rule), finding.rule)
        first = flags.get_column(str(i)).arg_true().head(room)
        failures = work.select(ROW, *finding.fields)[first]
        out.add_rows(
            finding.rule,
            failures,
            int(total),
            finding.message,
            entity=entity,
            source=source,
            column=finding.column,
        )


def _null_spoiled(work: pl.DataFrame, findings: list[Finding], out: Reporter) -> pl.DataFrame:
    """Null every cell an error-severity rule rejected, as unreadable cells already are."""
    bad: dict[str, pl.Expr] = {}
    for finding in findings:
        if out.severity(finding.rule) != "error":
            continue
        for name in finding.spoiled():
            if name in work.columns:
                mask = finding.mask.fill_null(False)
                bad[name] = bad[name] | mask if name in bad else mask
    if not bad:
        return work
    return work.with_columns(
        pl.when(mask).then(None).otherwise(pl.col(name)).alias(name) for name, mask in bad.items()
    )


def _work_frame(table: RawTable, ctx: Context) -> pl.DataFrame:
    """``_row``, then for each column present: text (``~c``), typed value (``c``) and the
    rule id of a cell that could not be read (``!c``)."""
    names = list(ctx.columns.positions)

    def parse(name: str) -> Parsed:
        text = table.data.get_column(ctx.columns.positions[name]).alias(name)
        return parser_for(ctx.entity.columns[name], ctx.standard)(text)

    parsed_columns = [parse(name) for name in names]
    series: list[pl.Series] = [table.data.get_column(ROW)]
    for name, parsed in zip(names, parsed_columns, strict=True):
        series += [
            table.data.get_column(ctx.columns.positions[name]).alias(raw(name)),
            parsed.values.alias(name),
        ]
        if parsed.problems is not None:
            series.append(parsed.problems.alias(problem(name)))
    return pl.DataFrame(series)


def typed_table(work: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """The entity's columns in the standard's order, typed, with ``_row`` first.

    Columns absent from the file are null, so later stages can rely on the schema; cells
    that broke a rule are null too (their rows stay: the pool only takes valid submissions).
    """
    exprs = [pl.col(ROW)]
    for name, spec in ctx.entity.columns.items():
        if spec.deprecated and spec.deprecated.use in ctx.entity.columns:
            continue
        dtype = dtype_for(spec)
        if name in ctx.columns.positions:
            exprs.append(pl.col(name).cast(dtype))
        else:
            exprs.append(pl.lit(None, dtype=dtype).alias(name))
    return work.select(exprs)


def empty_typed(entity: Entity, standard: Standard) -> pl.DataFrame:
    schema: dict[str, pl.DataType] = {ROW: pl.Int64()}
    for name, spec in entity.columns.items():
        if not (spec.deprecated and spec.deprecated.use in entity.columns):
            schema[name] = dtype_for(spec)
    return pl.DataFrame(schema=schema)


def _report_formulas(table: RawTable, ctx: Context, out: Reporter) -> None:
    for row, index in table.formulas:
        name = ctx.columns.name_at(index)
        if name is None:
            header = table.headers[index] if index < len(table.headers) else None
            name = header or None
        out.add(
            "cell_formula",
            "This cell holds a formula, not a value.",
            entity=ctx.entity.name,
            source=table.source,
            row=row,
            column=name,
        )


def _duplicates(work: pl.DataFrame, ctx: Context, out: Reporter, **where: str) -> None:
    """Repeated identifiers, and repeated whole rows where the entity forbids them.

    Every row after the first occurrence is reported, naming the first, so the partner
    can see which two to compare.
    """
    entity, present = ctx.entity, ctx.columns.positions
    if entity.primary_key and all(k in present for k in entity.primary_key):
        keys = [raw(k) for k in entity.primary_key]
        shown = not any(entity.columns[k].pi for k in entity.primary_key)

        def key_message(v: dict[str, Any]) -> str:
            if not shown:
                return f"The identifier is already used in row {v['first']}."
            parts = [f"{k} {quote(v[raw(k)])}" for k in entity.primary_key]
            if len(parts) == 1:
                return f"{parts[0]} is already used in row {v['first']}."
            return f"{' with '.join(parts)} already appears in row {v['first']}."

        complete = pl.all_horizontal(pl.col(keys).is_not_null())
        _report_repeats(
            work,
            keys,
            complete,
            "duplicate_key",
            ", ".join(entity.primary_key),
            key_message,
            out,
            where,
        )
    if entity.has_check("duplicate_row") and present:
        cols = [raw(name) for name in present]
        _report_repeats(
            work,
            cols,
            pl.lit(True),
            "duplicate_row",
            None,
            lambda v: f"This row repeats row {v['first']}.",
            out,
            where,
        )


def _report_repeats(
    work: pl.DataFrame,
    keys: list[str],
    complete: pl.Expr,
    rule: str,
    column: str | None,
    message: Message,
    out: Reporter,
    where: dict[str, str],
) -> None:
    identity = pl.col(keys[0]) if len(keys) == 1 else pl.struct(keys)
    frame = work.select(ROW, *keys)
    # Fast path: distinct 64-bit hashes prove distinct keys; only a repeat (or a hash
    # collision) needs the exact, slower comparison.
    hashed = reduce(operator.xor, [pl.col(k).hash(seed=i) for i, k in enumerate(keys)])
    hashes = frame.select(hashed.filter(complete)).to_series()
    if hashes.n_unique() == hashes.len():
        return
    repeated = frame.filter(complete & ~identity.is_first_distinct())
    if not repeated.height:
        return
    room = out.report.room(out.severity(rule), rule)
    listed = repeated.head(room)
    firsts = (
        frame.join(listed.select(keys).unique(), on=keys, how="semi", nulls_equal=True)
        .group_by(keys)
        .agg(first=pl.col(ROW).min())
    )
    listed = listed.join(firsts, on=keys, how="left", nulls_equal=True).sort(ROW)
    out.add_rows(rule, listed, repeated.height, message, column=column, **where)
