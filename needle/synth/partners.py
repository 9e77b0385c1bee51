"""The partner organisations of the synthetic initiative and what they run.

Why: a collective impact initiative is a mix of very different partners, and each kind
stresses Needle differently. Open-access clubs produce many light, anonymous-ish contacts;
detached work produces head counts; mentoring and wellbeing services produce
questionnaires and referrals; the council team records names in capitals; one partner
sends DD/MM/YYYY CSVs. All organisations are fictional (names invented for this data
set); their venues are real Trafford postcodes.

The partners themselves are data, in ``partners.yaml``; this module says what each field
means and turns the file into frozen objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

YOUNG_PEOPLE_ALL = (
    "person_ref", "given_name", "family_name", "date_of_birth", "postcode", "gender",
    "ethnicity", "disability", "send", "free_school_meals", "care_experienced",
    "young_carer", "education_employment_status", "first_contact_date", "consent_to_share",
)  # fmt: skip
YOUNG_PEOPLE_MINIMAL = (
    "person_ref", "given_name", "family_name", "date_of_birth", "postcode", "gender",
    "ethnicity", "first_contact_date", "consent_to_share",
)  # fmt: skip

# Organisations outside the initiative that refer young people in, or receive them.
EXTERNAL_IN = ("School pastoral team", "GP practice", "CAMHS", "Children's social care",
               "College student services", "School nurse")  # fmt: skip
EXTERNAL_OUT = ("CAMHS", "Jobcentre Plus", "Children's social care", "Housing options",
                "Trafford College")  # fmt: skip


@dataclass(frozen=True)
class ProvisionSpec:
    """One kind of provision; ``copies`` of it run at different venues (times ``scale``).

    ``style`` is how sessions and attendance arise: "group" (a timetable, young people
    drop in with the engagement ``tiers``), "one_to_one" (each meeting is a session with
    one named attendee), "detached" (street sessions with head counts and a few names) or
    "residential" (each young person comes for one block of consecutive days).
    """

    key: str
    name: str
    description: str
    category: str
    outcome_areas: tuple[str, ...]
    min_age: int
    max_age: int
    style: str = "group"
    when: str = "term"  # term | holiday | all_year
    weekdays: tuple[int, ...] = (1,)
    months: tuple[int, ...] = ()
    start_time: str = "18:30"
    duration: int = 120
    staff: tuple[int, int] = (2, 3)
    volunteers: tuple[int, int] = (0, 2)
    delivery_mode: str = "in_person"
    access: str = "open_access"
    cost: str = "free"
    capacity: int = 40
    copies: float = 1.0
    wards: tuple[str, ...] = ()  # venues, in order of copies; else children's centres
    share: float = 1.0  # how often a new record joins this provision
    tiers: tuple[float, float, float] = (0.35, 0.4, 0.25)  # once, occasional, core
    meetings: float = 6.0  # one_to_one: meetings per quarter
    instruments: tuple[str, ...] = ()
    timepoints: tuple[str, ...] = ("baseline", "exit")
    wellbeing_shift: float = 0.0  # baseline wellbeing of those who come, in SDs
    secondary: bool = False  # joined on top of a main provision (holiday programmes)
    start_date: str = "2019-09-02"
    end_date: str | None = None
    anonymous: float = 0.0  # mean head count not recorded by name


@dataclass(frozen=True)
class Partner:
    code: str
    name: str
    kind: str
    fmt: str  # xlsx | zip | folder
    person_ref: str  # format with {n} and {yy}
    session_ref: str
    referral_ref: str
    provision_ref: str
    provisions: tuple[ProvisionSpec, ...]
    reach: float  # relative number of young people
    duration: float  # mean quarters a young person stays
    date_style: str = "iso"  # CSV dates: iso | uk
    instructions: bool = True
    labels: bool = False  # writes code-list labels (from the template's drop-downs)
    young_people_columns: tuple[str, ...] = YOUNG_PEOPLE_ALL
    omit: dict[str, tuple[str, ...]] = field(default_factory=dict)  # entity -> columns left out
    quality: float = 1.0  # multiplies recording slips
    upper_family: bool = False
    ascii_names: bool = False  # the case system drops accents
    first_period: int = 0  # index of the first quarter it submits
    refers: bool = False
    affinity: dict[str, float] = field(default_factory=dict)  # attribute -> weight multiplier
    entry_rank: int = 5  # lower: more often the first organisation a young person meets
    bom: bool = False
    crlf: bool = False
    milestones: tuple[str, ...] = ()
    requires: str | None = None  # an attribute every young person it works with has


def _tuples(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _provision(raw: dict[str, Any]) -> ProvisionSpec:
    return ProvisionSpec(**{k: _tuples(v) for k, v in raw.items()})


def _partner(raw: dict[str, Any]) -> Partner:
    fields = {k: _tuples(v) for k, v in raw.items() if k != "provisions"}
    columns = raw.get("young_people_columns")
    if columns == "minimal":
        fields["young_people_columns"] = YOUNG_PEOPLE_MINIMAL
    elif isinstance(columns, dict):
        fields["young_people_columns"] = tuple(
            c for c in YOUNG_PEOPLE_ALL if c not in columns["omit"]
        )
    fields["omit"] = {k: tuple(v) for k, v in raw.get("omit", {}).items()}
    fields["provisions"] = tuple(_provision(p) for p in raw["provisions"])
    return Partner(**fields)


@cache
def load_partners() -> tuple[Partner, ...]:
    """The partners defined in ``partners.yaml``, in the order they are listed."""
    text = (resources.files("needle.synth") / "partners.yaml").read_text(encoding="utf-8")
    return tuple(_partner(raw) for raw in yaml.safe_load(text)["partners"])


PARTNERS: tuple[Partner, ...] = load_partners()


def partner(code: str) -> Partner:
    for p in PARTNERS:
        if p.code == code:
            return p
    raise KeyError(code)
