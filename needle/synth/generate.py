"""Build the synthetic initiative in Trafford and write it to a folder.

Why: every later part of Needle (validator golden tests, pseudonymisation, linkage
accuracy, indicators, benchmarks) is built and tested on this data, so it has to be
realistic, identical for the same seed, and quick. ``generate`` runs the stages in order
(people, who knows them, how each partner records them, referrals, activity, outcomes),
cuts the result into quarterly submissions, writes them as partners send them, plants
the messy copies and writes the ground truth apart from the submissions.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from needle.errors import NeedleInputError
from needle.periods import quarters
from needle.standard import CURRENT_VERSION, load_standard
from needle.synth import messy
from needle.synth.activity import generate_activity
from needle.synth.assemble import Submission, World, submissions
from needle.synth.geography import load_geography
from needle.synth.journeys import Window, assign_memberships, assign_records
from needle.synth.outcomes import measurements, milestones
from needle.synth.partners import PARTNERS
from needle.synth.people import make_people
from needle.synth.provisions import build_provisions
from needle.synth.recording import record_identifiers
from needle.synth.referrals import plan_referrals, referral_rows
from needle.synth.seeds import rng_for
from needle.synth.writer import SYNTHETIC_NOTE, suffix_for, write_submission

FIRST_PERIOD = "2024-Q4"
LAST_PERIOD = "2026-Q3"
PEOPLE_AT_SCALE_1 = 4000
INITIATIVE_NAME = "Trafford Together for Young People (synthetic)"

# The bundled Trafford extracts (needle/reference/data/ATTRIBUTION.txt) the generator reads.
ATTRIBUTION = [
    "Postcodes, wards and LSOAs: Trafford Data Lab, from the ONS Postcode Directory. "
    "Contains public sector information licensed under the Open Government Licence v3.0. "
    "Contains OS data © Crown copyright and database right. "
    "Contains Royal Mail data © Royal Mail copyright and database right.",
    "Population by age, sex and ethnic group: ONS Census 2021, via Trafford Data Lab. "
    "Contains public sector information licensed under the Open Government Licence v3.0.",
    "Children's centres: Trafford Data Lab. Open Government Licence v3.0.",
    "LSOA 2011 and 2021 boundaries (to bridge IMD 2019 to LSOA 2021): ONS Open Geography, "
    "via Trafford Data Lab. "
    "Contains OS data © Crown copyright and database right. Open Government Licence v3.0.",
    "Index of Multiple Deprivation 2019: mySociety composite UK IMD, CC BY 4.0, from MHCLG "
    "English Indices of Deprivation 2019 (OGL v3.0).",
]


@dataclass(frozen=True)
class SynthSummary:
    """What ``generate`` wrote, with the counts a benchmark or a reader wants first."""

    outdir: str
    seed: int
    scale: float
    organisations: int
    submissions: int
    messy_submissions: int
    young_people: int  # unique true young people in at least one submission
    records: int  # distinct (organisation, person_ref) records
    young_people_rows: int  # rows of young_people over all clean submissions
    sessions: int
    attendance: int
    measurements: int
    referrals: int
    milestones: int
    seconds: float

    def describe(self) -> str:
        return "\n".join(
            [
                f"Synthetic initiative written to {self.outdir} "
                f"(seed {self.seed}, scale {self.scale:g})",
                f"  organisations      {self.organisations:>10,}",
                f"  submissions        {self.submissions:>10,} clean, "
                f"{self.messy_submissions} messy",
                f"  young people       {self.young_people:>10,} unique (true identities)",
                f"  records            {self.records:>10,} organisation records "
                f"({self.young_people_rows:,} young_people rows)",
                f"  sessions           {self.sessions:>10,}",
                f"  attendance rows    {self.attendance:>10,}",
                f"  measurements       {self.measurements:>10,}",
                f"  referrals          {self.referrals:>10,}",
                f"  milestones         {self.milestones:>10,}",
                f"  took {self.seconds:.1f} s. Synthetic data only: no real person is described.",
            ]
        )


def build_world(seed: int, scale: float) -> tuple[World, Window]:
    """Every stage before cutting into submissions (no files written)."""
    window = Window(quarters(FIRST_PERIOD, LAST_PERIOD))
    geo = load_geography()
    people = make_people(
        rng_for(seed, "people"), max(1, round(PEOPLE_AT_SCALE_1 * scale)), geo, window.periods
    )
    provisions = build_provisions(geo, window, scale)
    records = assign_records(rng_for(seed, "records"), people, window)
    records = record_identifiers(rng_for(seed, "recording"), records, people, window)
    members = assign_memberships(rng_for(seed, "memberships"), records, people, provisions, window)
    records = records.filter(pl.col("rid").is_in(members["rid"].unique().implode()))
    refs, members = plan_referrals(rng_for(seed, "referrals"), records, members, provisions, window)
    sessions, attendance = generate_activity(seed, records, members, provisions, window)
    meas = measurements(
        rng_for(seed, "measurements"), members, records, people, provisions, attendance, window
    )
    miles = milestones(
        rng_for(seed, "milestones"), members, records, provisions, attendance, window
    )
    ref_rows = referral_rows(rng_for(seed, "referral-status"), refs, attendance, members, window)
    world = World(
        people=people, records=records, memberships=members, provisions=provisions,
        sessions=sessions, attendance=attendance, measurements=meas, referrals=ref_rows,
        milestones=miles,
    )  # fmt: skip
    return world, window


def generate(outdir: str | Path, *, seed: int = 2026, scale: float = 1.0) -> SynthSummary:
    """Create the synthetic initiative in ``outdir``: submissions, messy copies, ground truth.

    ``scale`` multiplies the young people and the number of clubs (so sessions and
    attendance); 1.0 gives about 4,000 young people and 12 partners over 8 quarters.
    """
    if not scale > 0:
        raise NeedleInputError(f"--scale must be a positive number, not {scale}.")
    started = time.perf_counter()
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    world, window = build_world(seed, scale)
    subs = submissions(world, window)

    entries = []
    for sub in subs:
        path = write_submission(sub, outdir / "submissions" / sub.org.code / sub.name)
        entries.append(_entry(sub, path, outdir, kind="clean"))

    messy_entries = _write_messy(subs, outdir, seed)
    _write_ground_truth(world, subs, outdir)
    _write_manifest(outdir, seed, scale, window, entries + messy_entries)
    (outdir / "README.txt").write_text(_readme(), encoding="utf-8")

    ref_rows = sum(s.tables.get("referrals", pl.DataFrame()).height for s in subs)
    return SynthSummary(
        outdir=str(outdir),
        seed=seed,
        scale=scale,
        organisations=len({s.org.code for s in subs}),
        submissions=len(subs),
        messy_submissions=len(messy_entries),
        young_people=_true_people(world, subs).height,
        records=_records(subs),
        young_people_rows=sum(s.tables["young_people"].height for s in subs),
        sessions=sum(s.tables["sessions"].height for s in subs),
        attendance=sum(s.tables["attendance"].height for s in subs),
        measurements=sum(
            s.tables["measurements"].height for s in subs if "measurements" in s.tables
        ),
        referrals=ref_rows,
        milestones=sum(s.tables["milestones"].height for s in subs if "milestones" in s.tables),
        seconds=round(time.perf_counter() - started, 2),
    )


def _records(subs: list[Submission]) -> int:
    return len({(s.org.code, ref) for s in subs for ref in s.tables["young_people"]["person_ref"]})


def _entry(sub: Submission, path: Path, outdir: Path, *, kind: str) -> dict:
    return {
        "org": sub.org.code,
        "period": sub.period.label,
        "path": path.relative_to(outdir).as_posix(),
        "format": sub.org.fmt,
        "kind": kind,
    }


def _write_messy(subs: list[Submission], outdir: Path, seed: int) -> list[dict]:
    by_org: dict[str, list[Submission]] = {}
    for sub in subs:
        by_org.setdefault(sub.org.code, []).append(sub)
    out = []
    for i, plan in enumerate(messy.PLANS):
        mine = by_org.get(plan.org, [])
        if not mine:
            continue
        start = (seed + 3 * i) % len(mine)
        order = mine[start:] + mine[:start]
        planting = messy.plant(plan, order, rng_for(seed, "messy", plan.org))
        if planting is None:
            continue
        sub = planting.sub
        base = outdir / "submissions" / sub.org.code / f"{sub.name}_messy"
        path = write_submission(sub, base, planting.tamper)
        expected = base.with_name(base.name + ".expected.json")
        expected.write_text(json.dumps(planting.expected, indent=2) + "\n", encoding="utf-8")
        corrected = base.with_name(sub.name + suffix_for(sub.org.fmt))
        entry = _entry(sub, path, outdir, kind="messy")
        entry["expected"] = expected.relative_to(outdir).as_posix()
        entry["corrected"] = corrected.relative_to(outdir).as_posix()
        out.append(entry)
    return out


def _true_people(world: World, subs: list[Submission]) -> pl.DataFrame:
    seen = pl.concat(
        [
            s.tables["young_people"]
            .select("person_ref")
            .with_columns(pl.lit(s.org.code).alias("org"))
            for s in subs
        ]
    ).unique()
    rec = world.records.join(seen, on=["org", "person_ref"], how="semi")
    return world.people.join(rec.select("pid").unique(), on="pid", how="semi")


def _tp(col: str = "pid") -> pl.Expr:
    return pl.format("TP{}", pl.col(col).cast(pl.String).str.zfill(6)).alias("true_person_id")


def _write_ground_truth(world: World, subs: list[Submission], outdir: Path) -> None:
    folder = outdir / "ground_truth"
    folder.mkdir(parents=True, exist_ok=True)
    rows = pl.concat(
        [
            s.tables["young_people"]
            .select("person_ref")
            .with_columns(pl.lit(s.org.code).alias("org"), pl.lit(s.period.label).alias("period"))
            for s in subs
        ]
    )
    ids = world.records.select("org", "person_ref", "pid", "variations")
    records = rows.join(ids, on=["org", "person_ref"], how="left")
    records.select("org", "period", "person_ref", _tp()).write_csv(folder / "person_records.csv")
    (
        records.select("org", "person_ref", _tp(), "variations").unique(["org", "person_ref"])
        .sort(["org", "person_ref"]).write_csv(folder / "records.csv")
    )  # fmt: skip
    first_seen = (
        records.with_columns(pl.col("period").min().over("pid").alias("first_period"))
        .select("pid", "first_period")
        .unique()
    )
    people = _true_people(world, subs).join(first_seen, on="pid", how="left")
    people.sort("pid").select(
        _tp(), "given_name", "family_name", "sex", "gender", "date_of_birth",
        pl.col("postcode").alias("postcode_first_contact"), pl.col("postcode_now"), "moved_on",
        pl.col("lsoa").alias("lsoa21"), "ward", "imd_decile", "ethnicity", "send",
        "free_school_meals", "care_experienced", "young_carer", "disability", "first_period",
    ).write_csv(folder / "people.csv")  # fmt: skip
    (folder / "README.txt").write_text(
        f"{SYNTHETIC_NOTE}\n\n"
        "Ground truth for evaluating linkage and indicators. Never part of a submission.\n"
        "people.csv          one row per true (synthetic) young person: true identifiers\n"
        "person_records.csv  org, period, person_ref -> true_person_id, for every\n"
        "                    young_people row of every clean submission\n"
        "records.csv         org, person_ref -> true_person_id, with the recording variations\n"
        "                    the organisation introduced (nickname, typo, swapped dob, ...)\n",
        encoding="utf-8",
    )


def _write_manifest(
    outdir: Path, seed: int, scale: float, window: Window, entries: list[dict]
) -> None:
    standard = load_standard()
    manifest = {
        "name": INITIATIVE_NAME,
        "synthetic": True,
        "notice": SYNTHETIC_NOTE,
        "place": {"name": "Trafford", "local_authority": "E08000009"},
        "standard_version": CURRENT_VERSION,
        "seed": seed,
        "scale": scale,
        "periods": [p.label for p in window.periods],
        "partners": [
            {
                "code": p.code, "name": p.name, "kind": p.kind, "format": p.fmt,
                "csv_dates": p.date_style if p.fmt != "xlsx" else None,
                "first_period": window.periods[p.first_period].label,
            }
            for p in PARTNERS
        ],
        "submissions": entries,
        "ground_truth": {
            "people": "ground_truth/people.csv",
            "person_records": "ground_truth/person_records.csv",
            "records": "ground_truth/records.csv",
        },
        "rules": sorted(standard.rules),
        "attribution": ATTRIBUTION,
    }  # fmt: skip
    (outdir / "initiative.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def _readme() -> str:
    return (
        f"{INITIATIVE_NAME}\n\n{SYNTHETIC_NOTE}\n"
        "The organisations are fictional; venues are real Trafford postcodes.\n\n"
        "initiative.json   partners, periods and every submission (clean and messy)\n"
        "submissions/      one file (or folder) per organisation per quarter, as partners\n"
        "                  send them;\n"
        "                  *_messy.* are copies with planted problems, and *_messy.expected.json\n"
        "                  lists what the validator must report\n"
        "ground_truth/     the true people behind the records (never part of a submission)\n\n"
        "Reference data:\n" + "\n".join(f"- {a}" for a in ATTRIBUTION) + "\n"
    )
