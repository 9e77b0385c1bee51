"""Concrete provisions: each partner's provision specs placed at real Trafford venues.

Why: ``--scale`` must multiply volume the way growth really happens, by running more
clubs in more places rather than by cramming more young people into one room. So a spec
with ``copies=4`` becomes four youth clubs at four real postcodes, and scale 10 makes forty.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from needle.synth.geography import Geography
from needle.synth.journeys import Window
from needle.synth.partners import PARTNERS, Partner, ProvisionSpec


def build_provisions(geo: Geography, window: Window, scale: float) -> pl.DataFrame:
    """One row per concrete provision, with everything sessions and attendance need."""
    rows = []
    for org_idx, org in enumerate(PARTNERS):
        n = 0
        for spec_idx, spec in enumerate(org.provisions):
            copies = max(1, round(spec.copies * scale)) if spec.style != "detached" else 1
            for copy in range(copies):
                n += 1
                rows.append(_row(geo, window, org_idx, org, spec_idx, spec, copy, copies, n))
    df = pl.DataFrame(rows, infer_schema_length=None)
    return df.with_row_index("prov_id").with_columns(pl.col("prov_id").cast(pl.Int64))


def _row(
    geo: Geography,
    window: Window,
    org_idx: int,
    org: Partner,
    spec_idx: int,
    spec: ProvisionSpec,
    copy: int,
    copies: int,
    n: int,
) -> dict:
    hotspots: list[str] = []
    if spec.wards:
        ward = spec.wards[copy % len(spec.wards)]
        # Partners in the same ward use different buildings; more copies, more buildings.
        postcode, lon, lat = geo.ward_venue(ward, k=org_idx + 13 * (copy // len(spec.wards)))
        place = ward if copy < len(spec.wards) else f"{ward} {copy // len(spec.wards) + 1}"
        if spec.style == "detached":
            hotspots = [geo.ward_venue(w, k=k)[0] for w in spec.wards for k in (3, 7)]
    else:
        venue = geo.venues[copy % len(geo.venues)]
        postcode, lon, lat = venue.postcode, venue.lon, venue.lat
        place = venue.name.replace(" Children's Centre", "")
        if copy >= len(geo.venues):
            place = f"{place} {copy // len(geo.venues) + 1}"
    name = f"{spec.name} ({place})" if copies > 1 else spec.name
    start = date.fromisoformat(spec.start_date)
    end = date.fromisoformat(spec.end_date) if spec.end_date else None
    starts, ends = window.starts, window.ends
    first_q = int(np.searchsorted(ends, np.datetime64(start)))
    last_q = (
        len(window) - 1
        if end is None
        else int(np.searchsorted(starts, np.datetime64(end), "right")) - 1
    )
    first_q = max(first_q, org.first_period)
    return {
        "org": org.code,
        "org_idx": org_idx,
        "spec_idx": spec_idx,
        "key": spec.key,
        "provision_ref": org.provision_ref.format(n=n),
        "name": name,
        "description": spec.description,
        "category": spec.category,
        "outcome_areas": ";".join(spec.outcome_areas),
        "min_age": spec.min_age,
        "max_age": spec.max_age,
        "postcode": postcode,
        "lon": lon,
        "lat": lat,
        "delivery_mode": spec.delivery_mode,
        "access": spec.access,
        "cost": spec.cost,
        "capacity": spec.capacity,
        "start_date": start,
        "end_date": end,
        "first_q": first_q,
        "last_q": last_q,
        "style": spec.style,
        "secondary": spec.secondary,
        "share": spec.share,
        "t0": spec.tiers[0],
        "t1": spec.tiers[1],
        "t2": spec.tiers[2],
        "hotspots": hotspots,
    }


def spec_of(row: dict) -> ProvisionSpec:
    return PARTNERS[row["org_idx"]].provisions[row["spec_idx"]]
