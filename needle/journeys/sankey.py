"""A Sankey diagram of pathways as static SVG, drawn on the server.

Why by hand: Vega-Lite has no Sankey mark, and a page under a strict Content-Security-
Policy should not need a script to draw one. The diagram is one image to a screen reader
(``role="img"`` with a label); the numbers are in the table beside it on every page.

Columns are steps: the categories young people started in, then where they went next.
A node's height is its young people; a band's width is a flow between two categories.
Only published numbers are drawn: a suppressed flow or node is left out, so the picture
never shows more than the table.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

import polars as pl

from needle.indicators.html import MUTED, PALETTE, TEXT
from needle.journeys.pathways import END, MORE
from needle.journeys.tables import ALL, COUNT

__all__ = ["sankey_svg"]

WIDTH, HEIGHT = 900, 420
NODE_WIDTH, GAP, TOP = 14, 14, 24
COLOURS = (PALETTE["blue"], PALETTE["orange"], PALETTE["green"], PALETTE["vermillion"],
           PALETTE["purple"], PALETTE["sky"])  # fmt: skip


def _nodes(flows: pl.DataFrame) -> dict[int, list[tuple[str, int]]]:
    """Per column (step 1, 2, ...): (category, young people) published, largest first.
    Step k's nodes are its sources; the column after the last step holds the arrivals."""
    published = flows.filter(pl.col(COUNT).is_not_null() & (pl.col(COUNT) > 0))
    columns: dict[int, list[tuple[str, int]]] = {}
    there = published.filter((pl.col("target") == ALL) & (pl.col("source") != ALL))
    for step, source, count in there.select("step", "source", COUNT).iter_rows():
        columns.setdefault(step, []).append((source, count))
    last = int(flows["step"].max() or 0)
    arrivals = published.filter(
        (pl.col("step") == last)
        & (pl.col("source") == ALL)
        & ~pl.col("target").is_in([ALL, END, MORE])
    )
    for target, count in arrivals.select("target", COUNT).iter_rows():
        columns.setdefault(last + 1, []).append((target, count))
    return {k: sorted(v, key=lambda n: (-n[1], n[0])) for k, v in sorted(columns.items())}


def sankey_svg(flows: pl.DataFrame, title: str, name: Callable[[str], str] = str) -> str | None:
    """The pathways table ``flows`` (protected or not) as inline SVG announced as
    ``title``; ``name`` turns a category code into its label. None when nothing
    published is left to draw."""
    columns = _nodes(flows)
    if not columns:
        return None
    steps = sorted(columns)
    biggest = max(sum(c for _, c in columns[s]) + GAP * (len(columns[s]) - 1) for s in steps)
    scale = (HEIGHT - TOP - 10) / biggest if biggest else 1.0
    span = (WIDTH - 200 - NODE_WIDTH) / max(len(steps) - 1, 1)
    colour = {cat: COLOURS[i % len(COLOURS)] for i, cat in enumerate(sorted(
        {cat for s in steps for cat, _ in columns[s]}))}  # fmt: skip
    place: dict[tuple[int, str], tuple[float, float, float]] = {}  # x, top, height
    parts: list[str] = []
    for i, step in enumerate(steps):
        x = 10 + i * span
        y = float(TOP)
        heading = "Started in" if i == 0 else f"Next ({i + 1})"
        parts.append(f'<text x="{x:.1f}" y="14" font-size="12" fill="{MUTED}">{heading}</text>')
        for category, count in columns[step]:
            h = max(count * scale, 1.0)
            place[(step, category)] = (x, y, h)
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{NODE_WIDTH}" height="{h:.1f}" '
                f'fill="{colour[category]}"/>'
                f'<text x="{x + NODE_WIDTH + 4:.1f}" y="{y + min(h / 2, 12) + 4:.1f}" '
                f'font-size="12" fill="{TEXT}">{escape(name(category))} ({count:,})</text>'
            )
            y += h + GAP
    bands: list[str] = []
    out_used: dict[tuple[int, str], float] = {}
    in_used: dict[tuple[int, str], float] = {}
    real = flows.filter(
        pl.col(COUNT).is_not_null()
        & (pl.col(COUNT) > 0)
        & ~pl.col("source").is_in([ALL])
        & ~pl.col("target").is_in([ALL, END, MORE])
    ).sort(["step", COUNT], descending=[False, True])
    for step, source, target, count in real.select("step", "source", "target", COUNT).iter_rows():
        start, end = place.get((step, source)), place.get((step + 1, target))
        if start is None or end is None:
            continue
        w = count * scale
        y0 = start[1] + out_used.get((step, source), 0.0)
        y1 = end[1] + in_used.get((step + 1, target), 0.0)
        out_used[(step, source)] = out_used.get((step, source), 0.0) + w
        in_used[(step + 1, target)] = in_used.get((step + 1, target), 0.0) + w
        x0, x1 = start[0] + NODE_WIDTH, end[0]
        mid = (x0 + x1) / 2
        bands.append(
            f'<path d="M{x0:.1f},{y0:.1f} C{mid:.1f},{y0:.1f} {mid:.1f},{y1:.1f} {x1:.1f},{y1:.1f} '
            f"L{x1:.1f},{y1 + w:.1f} C{mid:.1f},{y1 + w:.1f} {mid:.1f},{y0 + w:.1f} "
            f'{x0:.1f},{y0 + w:.1f} Z" fill="{colour[source]}" fill-opacity="0.35"/>'
        )
    return (
        f'<svg role="img" aria-label="{escape(title)}" focusable="false" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}">'
        + "".join(bands)
        + "".join(parts)
        + "</svg>"
    )
