"""Generate synthetic ClinicalTrials.gov API v2 study records for import benchmarks.

Every study is a JSON object with the key names, nesting, enum values and string-or-number
types of the records the ClinicalTrials.gov API v2 serves (compare the real records in
shared/data/real/ctgov_v2/): a protocolSection (identification, status, sponsors, oversight,
description, conditions, design, arms and interventions, outcomes, eligibility, locations,
references, IPD sharing), a derivedSection (MeSH condition and intervention browse modules),
hasResults, and for a share of the studies a resultsSection shaped like NCT00763412's
(participant flow, baseline characteristics, outcome measures with statistical analyses,
adverse events, point of contact).

Content is varied but seeded: the same N, seed and options give byte-identical output, and
study i is the same whatever N is. By default the studies are drawn like the real records
(issue 18 point 9): their share with results, their optional modules, and the lengths of
their lists (sites, outcomes, references, baseline measures, adverse events) drawn from the
real lengths, which bench/calibrate_ctgov.py computes into bench/data/calibration-ctgov.json;
ketamine is as rare as in the registry (KETAMINE_PER_MILLION). ``--dense`` gives the studies
of before the calibration: every module, short lists, a fifth with results, and one in 25
testing ketamine, often paired with a psychotherapy in the same arm, against placebo or
midazolam, for depression, alcohol use disorder or PTSD. A few per cent test psychotherapies
alone, so queries about them find something.

Identifiers are made never to collide with real ones: NCT ids are ``NCT9`` plus the 7-digit
index. MeSH ids are real only for a short list of descriptors checked against real records
(alcoholism, depression, PTSD, ketamine, ...); every other MeSH id lies in D9xxxxxxxx, which
MeSH does not use. Organisation, company and investigator names are made up, apart from the
NIH institutes and federal agencies.

Run:
    python bench/generate_ctgov.py 20000 /tmp/ctgov --seed 7          # NCT9xxxxxxx.json files
    python bench/generate_ctgov.py 20000 /tmp/ctgov.zip --format zip  # like the bulk download
    python bench/generate_ctgov.py 20000 /tmp/pages --format pages    # page-0001.json, ...

Options: --seed (7), --dense, --results-fraction (the real share; 0.2 with --dense),
--page-size (1000, pages only), --indent (0: compact JSON, as the API sends it; 2
pretty-prints like the files in shared/data/real, at about three times the cost). Exit
status: 0 on success, 1 if the output cannot be written, 2 on a usage error.

As a module (standard library only):
    from generate_ctgov import generate_study, iter_studies
    for study in iter_studies(1000, seed=7): ...
"""

from __future__ import annotations

import argparse
import base64
import functools
import hashlib
import json
import math
import random
import sys
import time
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

Json = dict[str, Any]

#: The tables the generator draws from (names, codes, weights, outcome measures ...), one JSON
#: file per section below: data, read at run time, not code.
DATA = Path(__file__).parent / "data"


def _tuples(value: Any) -> Any:
    """``value`` read from JSON with every array a tuple: the tables are constants."""
    if isinstance(value, list):
        return tuple(_tuples(item) for item in value)
    if isinstance(value, dict):
        return {key: _tuples(item) for key, item in value.items()}
    return value


@functools.cache
def _tables(section: str) -> dict[str, Any]:
    with (DATA / f"ctgov_{section}.json").open(encoding="utf-8") as file:
        tables: dict[str, Any] = _tuples(json.load(file))
    return tables


def _table(section: str, name: str) -> Any:
    """The table ``name`` of ``bench/data/ctgov_{section}.json``."""
    return _tables(section)[name]


T = TypeVar("T")

DEFAULT_SEED = 7
#: the dense mode's share with results (the calibrated mode takes the real records')
DEFAULT_RESULTS_FRACTION = 0.2
DEFAULT_PAGE_SIZE = 1000
DEFAULT_INDENT = 0  # compact, as the API sends it; the pure-Python indenter is ~3x slower
FORMATS = ("files", "zip", "pages")

# Every date is placed relative to this day, so output never depends on the clock.
REFERENCE_DAY = date(2024, 1, 15).toordinal()
VERSION_HOLDER = "2024-01-15"
EARLIEST_DAY = date(2001, 1, 1).toordinal()
DAY_2012 = date(2012, 1, 1).toordinal()
DAY_2017 = date(2017, 1, 18).toordinal()  # the Final Rule: typed dates, FDA flags
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)

SYNTHETIC_MESH_BASE = 900_000_000  # D900000000 and up: a range MeSH does not use

#: The figures the calibrated mode draws from, computed from the real records by
#: bench/calibrate_ctgov.py (issue 18 point 9): never typed in.
CALIBRATION = DATA / "calibration-ctgov.json"
#: Studies in a million that test ketamine (any condition in psychiatry; with a psychotherapy
#: in about half). FACTS.md lists eight ketamine trials for alcohol use disorder in a registry
#: of about 550,000 studies (issue 18), about 15 in a million; the ketamine storyline also
#: covers depression and PTSD, where ketamine is tried more often, so 100 in a million: about
#: 55 ketamine studies in the whole registry, a third of them for alcohol use disorder.
KETAMINE_PER_MILLION = 100


@dataclass(frozen=True)
class Profile:
    """What a study is drawn like: today's dense synthetic studies (``--dense``), or like
    the real records (the default): their share with results, their optional modules, and
    the lengths of their lists, drawn from the lengths the real records have."""

    dense: bool
    results_fraction: float
    #: chance that a study tells the ketamine (and the psychotherapy) storyline
    ketamine: float
    psychotherapy: float
    modules: dict[str, float] = field(default_factory=dict)
    lengths: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def length(self, name: str, rng: random.Random, low: int, high: int) -> int:
        """How many of list ``name``: dense, ``low``..``high``; calibrated, a real length."""
        if self.dense:
            return between(rng, low, high)
        return pick(rng, self.lengths[name])

    def has(self, name: str, rng: random.Random, dense_share: float) -> bool:
        """Whether a study has the optional module ``name``."""
        return rng.random() < (dense_share if self.dense else self.modules[name])


DENSE = Profile(dense=True, results_fraction=0.2, ketamine=0.04, psychotherapy=0.05)


@functools.cache
def calibrated() -> Profile:
    """The profile of the real records, read from bench/data/calibration-ctgov.json."""
    data = json.loads(CALIBRATION.read_text(encoding="utf-8"))
    return Profile(
        dense=False,
        results_fraction=data["results_fraction"],
        ketamine=KETAMINE_PER_MILLION / 1_000_000,
        psychotherapy=DENSE.psychotherapy,
        modules=data["modules"],
        lengths={name: tuple(values) for name, values in data["lengths"].items()},
    )


def reload_calibration() -> None:
    """Read the calibration file again (bench/calibrate_ctgov.py has just written it)."""
    calibrated.cache_clear()


def profile_for(*, dense: bool) -> Profile:
    return DENSE if dense else calibrated()


# --------------------------------------------------------------------------------------------
# Enumerations, as the API v2 spells them
# --------------------------------------------------------------------------------------------

STATUS_WEIGHTS: tuple[tuple[str, int], ...] = _table("enumerations", "STATUS_WEIGHTS")
FINISHED_STATUSES = frozenset({"COMPLETED", "TERMINATED", "WITHDRAWN", "UNKNOWN"})
ACTUAL_ENROLLMENT_STATUSES = frozenset({"COMPLETED", "TERMINATED", "WITHDRAWN"})
STOPPED_STATUSES = frozenset({"TERMINATED", "WITHDRAWN", "SUSPENDED"})
LAST_KNOWN_STATUSES = ("RECRUITING", "ACTIVE_NOT_RECRUITING", "NOT_YET_RECRUITING")
WHY_STOPPED = _table("enumerations", "WHY_STOPPED")
PHASE_CHOICES: tuple[tuple[str, ...], ...] = _table("enumerations", "PHASE_CHOICES")
PHASE_WEIGHTS = (14, 22, 14, 12, 6, 3, 25, 4)
DRUG_PHASE_WEIGHTS = (16, 27, 18, 15, 7, 4, 6, 7)
MASKINGS = ("NONE", "SINGLE", "DOUBLE", "TRIPLE", "QUADRUPLE")
WHO_MASKED = ("PARTICIPANT", "CARE_PROVIDER", "INVESTIGATOR", "OUTCOMES_ASSESSOR")
PURPOSE_WEIGHTS: tuple[tuple[str, int], ...] = _table("enumerations", "PURPOSE_WEIGHTS")
INTERVENTION_MODEL_WEIGHTS: tuple[tuple[str, int], ...] = _table(
    "enumerations", "INTERVENTION_MODEL_WEIGHTS"
)
OBSERVATIONAL_MODELS = ("COHORT", "CASE_CONTROL", "CASE_ONLY", "CROSS_SECTIONAL", "OTHER")
TIME_PERSPECTIVES = ("PROSPECTIVE", "RETROSPECTIVE", "CROSS_SECTIONAL", "OTHER")
INTERVENTION_LABELS = _table("enumerations", "INTERVENTION_LABELS")
KIND_WEIGHTS: tuple[tuple[str, int], ...] = _table("enumerations", "KIND_WEIGHTS")
PHARMACOLOGICAL_KINDS = frozenset({"DRUG", "BIOLOGICAL", "DIETARY_SUPPLEMENT"})

# --------------------------------------------------------------------------------------------
# Places and organisations (about 300)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class Place:
    """A city where studies have sites, with the geoPoint the API reports for it."""

    city: str
    state: str | None
    zip_code: str | None
    country: str
    lat: float
    lon: float


PLACES: tuple[Place, ...] = tuple(Place(**row) for row in _table("places", "PLACES"))


@dataclass(frozen=True, slots=True, eq=False)
class Organisation:
    """A sponsor, collaborator or site; class is the API's agency class."""

    name: str
    org_class: str
    place: Place | None = None
    nih_code: str | None = None


_ENGLISH_PATTERNS = _table("places", "_ENGLISH_PATTERNS")
_LOCAL_PATTERNS: dict[str, tuple[str, ...]] = _table("places", "_LOCAL_PATTERNS")
_NIH_INSTITUTES = _table("places", "_NIH_INSTITUTES")
_FEDERAL_AGENCIES = _table("places", "_FEDERAL_AGENCIES")
_COMPANY_STEMS = _table("places", "_COMPANY_STEMS")
_COMPANY_SUFFIXES = ("Pharmaceuticals", "Therapeutics", "Biosciences")


def _build_organisations() -> tuple[Organisation, ...]:
    """Return the fixed pool of about 300 organisations (same on every run)."""
    pool: list[Organisation] = []
    for place in PLACES:
        patterns = _LOCAL_PATTERNS.get(place.country, _ENGLISH_PATTERNS[:4])
        if place.country == "United States":
            patterns = _ENGLISH_PATTERNS
        pool.extend(Organisation(p.format(city=place.city), "OTHER", place) for p in patterns)
        if place.country == "United States":
            pool.append(Organisation(f"{place.city} VA Medical Center", "FED", place))
        elif place.country not in {"United Kingdom", "Canada", "Australia"}:
            ministry = f"Ministry of Health, {place.country}"
            if all(org.name != ministry for org in pool):
                pool.append(Organisation(ministry, "OTHER_GOV", place))
    pool.extend(Organisation(name, "NIH", PLACES[2], code) for name, code in _NIH_INSTITUTES)
    pool.extend(Organisation(name, "FED", PLACES[2]) for name in _FEDERAL_AGENCIES)
    for i, stem in enumerate(_COMPANY_STEMS):
        for j, suffix in enumerate(_COMPANY_SUFFIXES):
            place = PLACES[(i * 7 + j * 3) % len(PLACES)]
            pool.append(Organisation(f"{stem} {suffix}", "INDUSTRY", place))
    return tuple(pool)


ORGANISATIONS = _build_organisations()
SPONSOR_CLASS_WEIGHTS = {"OTHER": 60, "INDUSTRY": 25, "NIH": 5, "FED": 5, "OTHER_GOV": 5}
ORGANISATIONS_BY_CLASS: dict[str, tuple[Organisation, ...]] = {
    cls: tuple(org for org in ORGANISATIONS if org.org_class == cls)
    for cls in SPONSOR_CLASS_WEIGHTS
}
SITES = tuple(org for org in ORGANISATIONS if org.org_class == "OTHER")

FIRST_NAMES = _table("places", "FIRST_NAMES")
LAST_NAMES = _table("places", "LAST_NAMES")
DEGREES = ("MD", "PhD", "MD, PhD", "MD, MPH", "PharmD", "PsyD", "DO")
INVESTIGATOR_TITLES = _table("places", "INVESTIGATOR_TITLES")

# --------------------------------------------------------------------------------------------
# Conditions (about 1,000) with MeSH categories
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class Category:
    """A MeSH tree region: the ancestors and browse branches its conditions share."""

    ancestors: tuple[tuple[str, str], ...]
    branches: tuple[tuple[str, str], ...]


CATEGORIES: dict[str, Category] = {
    key: Category(**row) for key, row in _table("conditions", "CATEGORIES").items()
}


@dataclass(frozen=True, slots=True, eq=False)
class Condition:
    """A condition name as registered, with the MeSH descriptor the API maps it to."""

    name: str
    category: str
    mesh_id: str | None
    mesh_term: str | None


# (name, category, real MeSH id or "" for a synthetic one, MeSH term or None for no MeSH)
_BASE_CONDITIONS: tuple[tuple[str, str, str, str | None], ...] = _table(
    "conditions", "_BASE_CONDITIONS"
)
_CONDITION_VARIANTS = _table("conditions", "_CONDITION_VARIANTS")
VARIANTS_PER_CONDITION = 11
HEALTHY_VOLUNTEERS = "Healthy Volunteers"
FOCUS_CONDITION_NAMES = _table("conditions", "FOCUS_CONDITION_NAMES")


def _base_conditions() -> tuple[Condition, ...]:
    """Return the base conditions, giving each unchecked MeSH descriptor a synthetic id."""
    synthetic_ids: dict[str, str] = {}
    conditions = []
    for name, category, mesh_id, mesh_term in _BASE_CONDITIONS:
        if mesh_term is not None and not mesh_id:
            default = f"D{SYNTHETIC_MESH_BASE + len(synthetic_ids) + 1:09d}"
            mesh_id = synthetic_ids.setdefault(mesh_term, default)
        conditions.append(Condition(name, category, mesh_id or None, mesh_term))
    return tuple(conditions)


def _build_conditions(bases: Sequence[Condition]) -> tuple[Condition, ...]:
    """Return about 1,000 condition names: each base plus qualified variants of it."""
    picker = random.Random(20240115)
    pool = list(bases)
    for base in bases:
        if base.mesh_term is None:
            continue
        for pattern in picker.sample(_CONDITION_VARIANTS, VARIANTS_PER_CONDITION):
            pool.append(
                Condition(pattern.format(base.name), base.category, base.mesh_id, base.mesh_term)
            )
    return tuple(pool)


BASE_CONDITIONS = _base_conditions()
CONDITIONS = _build_conditions(BASE_CONDITIONS)
CONDITION_BY_NAME = {condition.name: condition for condition in BASE_CONDITIONS}
FOCUS_CONDITIONS = tuple(CONDITION_BY_NAME[name] for name in FOCUS_CONDITION_NAMES)

# --------------------------------------------------------------------------------------------
# Interventions (about 2,000)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class DrugClass:
    """A pharmacological class: the interventionBrowseModule ancestor and branch."""

    mesh_id: str
    term: str
    branch: tuple[str, str]


@dataclass(frozen=True, slots=True, eq=False)
class InterventionSpec:
    """A pool entry; kinds lists the intervention types registrants use for it."""

    name: str
    kinds: tuple[str, ...]
    other_names: tuple[str, ...] = ()
    mesh_id: str | None = None
    mesh_term: str | None = None
    drug_class: str | None = None


DRUG_CLASSES: dict[str, DrugClass] = {
    key: DrugClass(**row) for key, row in _table("interventions", "DRUG_CLASSES").items()
}
PHYSIOLOGICAL_EFFECTS = ("D000045505", "Physiological Effects of Drugs")
ALL_DRUGS_BRANCH = ("All", "All Drugs and Chemicals")

# Generic drug names by class; "B:" marks a biological.
_REAL_DRUGS: dict[str, tuple[str, ...]] = _table("interventions", "_REAL_DRUGS")
_REAL_MESH = {"Repaglinide": ("C000072379", "Repaglinide")}

KETAMINE_SPECS = tuple(InterventionSpec(**row) for row in _table("interventions", "KETAMINE_SPECS"))
PLACEBO = InterventionSpec("Placebo", ("DRUG", "OTHER"), ("Placebo comparator",))
SALINE_PLACEBO = InterventionSpec("Saline Placebo", ("DRUG", "OTHER"), ("0.9% sodium chloride",))
MIDAZOLAM = InterventionSpec(
    "Midazolam", ("DRUG",), ("Versed",), None, None, "Central Nervous System Depressants"
)

# Psychotherapies are registered as BEHAVIORAL, or now and then as OTHER.
_PSYCHOTHERAPIES: tuple[tuple[str, tuple[str, ...]], ...] = _table(
    "interventions", "_PSYCHOTHERAPIES"
)
PSYCHOTHERAPIES = tuple(
    InterventionSpec(name, ("BEHAVIORAL", "OTHER"), other) for name, other in _PSYCHOTHERAPIES
)
# The therapies the benchmarks look for first get drawn most often.
FEATURED_PSYCHOTHERAPIES = PSYCHOTHERAPIES[:7]

_OTHER_BEHAVIORAL = _table("interventions", "_OTHER_BEHAVIORAL")
_COMPARATOR_OTHERS = _table("interventions", "_COMPARATOR_OTHERS")
_DEVICES = _table("interventions", "_DEVICES")
_DEVICE_BRANDS = ("Vireo", "Altus", "Cerebra", "Lumina", "Pulsar")
_PROCEDURES = _table("interventions", "_PROCEDURES")
_SUPPLEMENTS = _table("interventions", "_SUPPLEMENTS")
_VACCINE_TARGETS = _table("interventions", "_VACCINE_TARGETS")
# Made-up INN-like names: prefix + link + stem. The stem says the class, as real INNs do.
_INN_PREFIXES = _table("interventions", "_INN_PREFIXES")
_INN_LINKS = ("a", "e", "i", "o", "u", "")
_INN_STEMS: tuple[tuple[str, str, str], ...] = _table("interventions", "_INN_STEMS")
INNS_PER_STEM = 48
CODE_NAMES = 380


def _real_drug_specs() -> list[InterventionSpec]:
    specs = []
    for drug_class, names in _REAL_DRUGS.items():
        for raw in names:
            kind = "BIOLOGICAL" if raw.startswith("B:") else "DRUG"
            name = raw.removeprefix("B:")
            mesh_id, mesh_term = _REAL_MESH.get(name, (None, name))
            specs.append(InterventionSpec(name, (kind,), (), mesh_id, mesh_term, drug_class))
    specs.append(
        InterventionSpec(
            "Repaglinide",
            ("DRUG",),
            ("Prandin",),
            *_REAL_MESH["Repaglinide"],
            "Hypoglycemic Agents",
        )
    )
    return specs


def _invented_drug_specs(picker: random.Random) -> list[InterventionSpec]:
    specs = []
    for stem, kind, drug_class in _INN_STEMS:
        names = {
            (prefix + link + stem).capitalize()
            for prefix in _INN_PREFIXES
            for link in _INN_LINKS
            if not (prefix[-1] in "aeiou" and link)
        }
        for name in picker.sample(sorted(names), INNS_PER_STEM):
            specs.append(InterventionSpec(name, (kind,), (), None, name, drug_class))
    codes: set[str] = set()
    letters = "ABCDEFGHJKLMNPRSTVWXYZ"
    while len(codes) < CODE_NAMES:
        prefix = "".join(picker.choice(letters) for _ in range(picker.choice((2, 3, 3))))
        codes.add(
            f"{prefix}-{picker.randint(10, 9999)}"
            if picker.random() < 0.8
            else f"{prefix}{picker.randint(10, 999)}"
        )
    for code in sorted(codes):
        kind = "BIOLOGICAL" if picker.random() < 0.2 else "DRUG"
        specs.append(
            InterventionSpec(code, (kind,), (), None, None, picker.choice(tuple(DRUG_CLASSES)))
        )
    return specs


def _other_specs() -> list[InterventionSpec]:
    specs = [InterventionSpec(name, ("BEHAVIORAL",)) for name in _OTHER_BEHAVIORAL]
    specs += [InterventionSpec(name, ("OTHER",)) for name in _COMPARATOR_OTHERS]
    specs += [InterventionSpec(name, ("DEVICE",)) for name in _DEVICES]
    specs += [
        InterventionSpec(f"{brand} {device}", ("DEVICE",), (device,))
        for i, device in enumerate(_DEVICES)
        for brand in _DEVICE_BRANDS[i % 3 : i % 3 + 3]
    ]
    specs += [InterventionSpec(name, ("PROCEDURE",)) for name in _PROCEDURES]
    specs += [
        InterventionSpec(name, ("DIETARY_SUPPLEMENT",), (), None, name, "Micronutrients")
        for name in _SUPPLEMENTS
    ]
    specs += [
        InterventionSpec(
            f"{target} Vaccine",
            ("BIOLOGICAL",),
            (),
            None,
            f"{target} Vaccines",
            "Anti-Infective Agents",
        )
        for target in _VACCINE_TARGETS
    ]
    return specs


def _assign_synthetic_mesh(specs: Sequence[InterventionSpec]) -> tuple[InterventionSpec, ...]:
    """Give drug-like entries with a MeSH term but no id a stable synthetic id."""
    result = []
    for number, spec in enumerate(specs, start=1):
        if spec.mesh_term is not None and spec.mesh_id is None:
            spec = InterventionSpec(
                spec.name,
                spec.kinds,
                spec.other_names,
                f"D{SYNTHETIC_MESH_BASE + 100000 + number:09d}",
                spec.mesh_term,
                spec.drug_class,
            )
        result.append(spec)
    return tuple(result)


def _build_interventions() -> tuple[InterventionSpec, ...]:
    """Return the fixed pool of about 2,000 interventions (same on every run)."""
    picker = random.Random(7_2024)
    specs = _real_drug_specs() + _invented_drug_specs(picker) + _other_specs()
    specs += list(PSYCHOTHERAPIES) + list(KETAMINE_SPECS) + [PLACEBO, MIDAZOLAM]
    unique = {spec.name: spec for spec in specs}
    return _assign_synthetic_mesh(list(unique.values()))


INTERVENTIONS = _build_interventions()
INTERVENTIONS_BY_KIND: dict[str, tuple[InterventionSpec, ...]] = {
    kind: tuple(
        spec
        for spec in INTERVENTIONS
        if spec.kinds[0] == kind
        and spec.name not in {"Placebo", "Ketamine", "Ketamine Hydrochloride"}
    )
    for kind, _ in KIND_WEIGHTS
}
DRUGS_BY_CLASS: dict[str, tuple[InterventionSpec, ...]] = {
    cls: tuple(spec for spec in INTERVENTIONS_BY_KIND["DRUG"] if spec.drug_class == cls)
    for cls in DRUG_CLASSES
}
CLASSES_FOR_CATEGORY: dict[str, tuple[str, ...]] = _table("interventions", "CLASSES_FOR_CATEGORY")
ADDICTION_DRUGS = tuple(
    spec
    for spec in DRUGS_BY_CLASS["Alcohol Deterrents"]
    if spec.name in {"Naltrexone", "Acamprosate", "Topiramate", "Buprenorphine", "Prazosin"}
)

# --------------------------------------------------------------------------------------------
# Outcomes and adverse events
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class OutcomeTemplate:
    """An outcome measure; kind says how results are reported (score, count, rate, time)."""

    measure: str
    description: str
    unit: str
    kind: str
    center: float
    scale: float
    areas: tuple[str, ...] = ()  # condition categories it suits; empty means any


# Each row: measure, description, unit, result kind (score, count, rate, time), centre, scale and
# the condition categories it suits (none: any).
DEPRESSION_OUTCOMES = tuple(
    OutcomeTemplate(**row) for row in _table("outcomes", "DEPRESSION_OUTCOMES")
)
ALCOHOL_OUTCOMES = tuple(OutcomeTemplate(**row) for row in _table("outcomes", "ALCOHOL_OUTCOMES"))
SUBSTANCE_OUTCOMES = tuple(
    OutcomeTemplate(**row) for row in _table("outcomes", "SUBSTANCE_OUTCOMES")
)
PTSD_OUTCOMES = tuple(OutcomeTemplate(**row) for row in _table("outcomes", "PTSD_OUTCOMES"))
GENERIC_OUTCOMES = tuple(OutcomeTemplate(**row) for row in _table("outcomes", "GENERIC_OUTCOMES"))
# Measures where a smaller number is the better result (change scores, centre < 0, are too).
LOWER_IS_BETTER = frozenset(_table("outcomes", "LOWER_IS_BETTER"))
THEME_OUTCOMES = {
    "mental": DEPRESSION_OUTCOMES,
    "alcohol": ALCOHOL_OUTCOMES,
    "substance": SUBSTANCE_OUTCOMES,
}
PTSD_MESH_TERM = "Stress Disorders, Post-Traumatic"
TIME_FRAMES = _table("outcomes", "TIME_FRAMES")

ADVERSE_EVENT_TERMS = _table("outcomes", "ADVERSE_EVENT_TERMS")
SERIOUS_EVENT_TERMS = _table("outcomes", "SERIOUS_EVENT_TERMS")
ADVERSE_EVENT_TIME_FRAMES = _table("outcomes", "ADVERSE_EVENT_TIME_FRAMES")
CONTINUOUS_DISPERSIONS = _table("outcomes", "CONTINUOUS_DISPERSIONS")
SPREAD_DISPERSIONS = frozenset({"Standard Deviation", "Standard Error"})
ANALYSIS_METHODS = _table("outcomes", "ANALYSIS_METHODS")
ANALYSIS_PARAMS = _table("outcomes", "ANALYSIS_PARAMS")
ORG_ID_PREFIXES = ("STU", "IRB", "PRO", "CT", "HUM")
NON_INFERIORITY_TYPES = ("SUPERIORITY", "SUPERIORITY", "SUPERIORITY_OR_OTHER", "NON_INFERIORITY")
CITATION_JOURNALS = _table("outcomes", "CITATION_JOURNALS")

# --------------------------------------------------------------------------------------------
# The plan of one study, drawn before any JSON is built
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class StudyIntervention:
    """An intervention as registered in one study, with the arms that use it."""

    spec: InterventionSpec
    kind: str
    description: str
    arm_labels: list[str] = field(default_factory=list)

    @property
    def reference(self) -> str:
        """Return the armGroups interventionNames form, e.g. ``Drug: Ketamine``."""
        return f"{INTERVENTION_LABELS[self.kind]}: {self.spec.name}"


@dataclass(slots=True)
class Arm:
    """An arm group; arm_type is None in observational studies."""

    label: str
    arm_type: str | None
    description: str
    interventions: list[StudyIntervention]


@dataclass(slots=True)
class Outcome:
    """A registered outcome, and the template its results are drawn from."""

    template: OutcomeTemplate
    measure: str
    time_frame: str
    primary: bool


@dataclass(slots=True)
class Timeline:
    """Day ordinals of the dates a record carries."""

    submit: int
    submit_qc: int
    first_post: int
    start: int
    primary_completion: int
    completion: int
    last_update: int
    last_post: int
    results: tuple[int, int, int] | None


@dataclass(slots=True)
class StudyPlan:
    """Everything drawn for one study; the module builders only render it."""

    nct_id: str
    theme: str
    observational: bool
    status: str
    has_results: bool
    conditions: list[Condition]
    arms: list[Arm]
    interventions: list[StudyIntervention]
    sponsor: Organisation
    collaborators: list[Organisation]
    investigator: str
    timeline: Timeline
    enrollment: int
    group_sizes: list[int]
    outcomes: list[Outcome]
    profile: Profile


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def pick(rng: random.Random, items: Sequence[T]) -> T:
    """Return a uniformly chosen item (one C call, several times faster than rng.choice)."""
    return items[int(rng.random() * len(items))]


def between(rng: random.Random, low: int, high: int) -> int:
    """Return an integer in low..high inclusive, like rng.randint but faster."""
    return low + int(rng.random() * (high - low + 1))


def weighted(rng: random.Random, table: Sequence[tuple[str, int]]) -> str:
    """Pick a name from (name, weight) pairs."""
    total = sum(weight for _, weight in table)
    point = rng.random() * total
    for name, weight in table:
        point -= weight
        if point < 0:
            return name
    return table[-1][0]


def day_iso(day: int) -> str:
    """Return a day ordinal as YYYY-MM-DD."""
    return date.fromordinal(day).isoformat()


def date_struct(day: int, rng: random.Random, *, estimated: bool = False) -> Json:
    """Return a {date, type} struct; older dates often carry the month only and no type."""
    text = day_iso(day)
    if day < DAY_2017 and rng.random() < 0.6:
        text = text[:7]
    if len(text) == 7 and day < DAY_2012 and not estimated and rng.random() < 0.7:
        return {"date": text}
    return {"date": text, "type": "ESTIMATED" if estimated or day > REFERENCE_DAY else "ACTUAL"}


def post_struct(day: int) -> Json:
    """Return a posting-date struct; the API marks postings before 2017 as ESTIMATED."""
    return {"date": day_iso(day), "type": "ACTUAL" if day >= DAY_2017 else "ESTIMATED"}


def person_name(rng: random.Random) -> str:
    """Return a made-up investigator name."""
    initial = chr(ord("A") + between(rng, 0, 25))
    return f"{pick(rng, FIRST_NAMES)} {initial} {pick(rng, LAST_NAMES)}"


def fmt_number(value: float, decimals: int) -> str:
    """Format a result value as the API does: a decimal string."""
    return f"{value:.{decimals}f}"


def p_value_text(p: float, rng: random.Random) -> str:
    """Format a p-value string, using the '<0.001' form registrants use."""
    if p < 0.001:
        return "<0.001" if rng.random() < 0.8 else "<0.0001"
    return f"{p:.3f}" if rng.random() < 0.7 else f"{p:.2f}"


def two_sided_p(z: float) -> float:
    """Return the two-sided normal p-value of a z statistic."""
    return math.erfc(abs(z) / math.sqrt(2.0))


@functools.cache
def leaf_id(term: str) -> str:
    """Return a stable browse-leaf id (M + digits) for a MeSH term."""
    return f"M{zlib.crc32(term.encode()) % 90000 + 1000}"


def split_evenly(total: int, parts: int, rng: random.Random) -> list[int]:
    """Split a participant count into roughly equal group sizes."""
    sizes = [total // parts] * parts
    for i in range(total - sum(sizes)):
        sizes[i % parts] += 1
    if parts > 1 and total > 10:
        shift = between(rng, 0, max(1, total // (parts * 10)))
        sizes[0] += shift
        sizes[-1] = max(1, sizes[-1] - shift)
    return sizes


# --------------------------------------------------------------------------------------------
# Drawing a plan
# --------------------------------------------------------------------------------------------


def choose_theme(rng: random.Random, profile: Profile) -> str:
    """Pick the study's storyline: ketamine, psychotherapy or anything else."""
    point = rng.random()
    if point < profile.ketamine:
        return "ketamine"
    if point < profile.ketamine + profile.psychotherapy:
        return "psychotherapy"
    return "generic"


def choose_conditions(theme: str, rng: random.Random) -> list[Condition]:
    """Pick 1-2 distinct conditions; ketamine and therapy studies stay in psychiatry."""
    count = 1 if rng.random() < 0.6 else 2
    chosen: list[Condition] = []
    while len(chosen) < count:
        focused = theme != "generic" or rng.random() < 0.05
        condition = pick(rng, FOCUS_CONDITIONS if focused else CONDITIONS)
        if condition not in chosen:
            chosen.append(condition)
    return chosen


def choose_intervention(category: str, rng: random.Random) -> InterventionSpec:
    """Pick an active intervention, preferring drug classes that fit the condition."""
    kind = weighted(rng, KIND_WEIGHTS)
    classes = CLASSES_FOR_CATEGORY.get(category)
    if kind == "DRUG" and classes and rng.random() < 0.6:
        return pick(rng, DRUGS_BY_CLASS[pick(rng, classes)])
    if kind == "BEHAVIORAL" and category in {"mental", "alcohol", "substance"}:
        return pick(rng, PSYCHOTHERAPIES)
    return pick(rng, INTERVENTIONS_BY_KIND[kind])


ORAL_PLACEBO_TEXTS = _table("texts", "ORAL_PLACEBO_TEXTS")
INFUSION_PLACEBO_TEXT = "Intravenous 0.9% saline infused over 40 minutes."
DRUG_ROUTES = _table("texts", "DRUG_ROUTES")
NO_INTERVENTION_TEXTS = _table("texts", "NO_INTERVENTION_TEXTS")
THERAPY_PROVIDERS = ("a licensed therapist", "a trained counsellor", "a clinical psychologist")


def describe_drug(name: str, rng: random.Random) -> str:
    """Return a dose, route and duration for a drug or biological."""
    dose = pick(rng, (5, 10, 20, 25, 50, 100, 150, 200, 300, 400))
    weeks = pick(rng, (4, 8, 12, 24, 52))
    return f"{name} {dose} mg {pick(rng, DRUG_ROUTES)} for {weeks} weeks."


def describe_ketamine(name: str, rng: random.Random) -> str:
    """Return an infusion schedule, as ketamine trials register it."""
    dose = pick(rng, ("0.5 mg/kg", "0.71 mg/kg", "0.8 mg/kg", "1.0 mg/kg"))
    infusions = between(rng, 1, 6)
    return f"{name} {dose} administered intravenously over 40 minutes, {infusions} infusions."


def describe_therapy(name: str, rng: random.Random) -> str:
    """Return a session schedule for a psychotherapy."""
    sessions, minutes = between(rng, 4, 16), pick(rng, (45, 50, 60, 90))
    provider = pick(rng, THERAPY_PROVIDERS)
    return f"{sessions} weekly {minutes}-minute sessions of {name} delivered by {provider}."


def describe_intervention(spec: InterventionSpec, kind: str, rng: random.Random) -> str:
    """Return a short registry-style description of an intervention."""
    name = spec.name
    if spec in KETAMINE_SPECS:
        return describe_ketamine(name, rng)
    if spec in PSYCHOTHERAPIES:
        return describe_therapy(name, rng)
    if kind in {"DRUG", "BIOLOGICAL"}:
        return describe_drug(name, rng)
    if kind == "DEVICE":
        minutes, sessions = pick(rng, (20, 30, 45)), between(rng, 2, 5)
        return f"{name} used for {minutes} minutes per session, {sessions} sessions per week."
    if kind == "DIETARY_SUPPLEMENT":
        return f"{name} taken daily with food for {pick(rng, (8, 12, 24))} weeks."
    if kind == "PROCEDURE":
        return f"{name} performed according to the standard institutional protocol."
    return f"{name} as described in the study protocol."


def choose_kind(spec: InterventionSpec, rng: random.Random) -> str:
    """Return the entry's usual type, or now and then one of its alternatives."""
    if len(spec.kinds) == 1 or rng.random() < 0.7:
        return spec.kinds[0]
    return pick(rng, spec.kinds[1:])


def make_intervention(spec: InterventionSpec, rng: random.Random) -> StudyIntervention:
    """Register a pool entry in a study, with its type and description."""
    kind = choose_kind(spec, rng)
    return StudyIntervention(spec, kind, describe_intervention(spec, kind, rng))


def make_placebo(rng: random.Random, *, infusion: bool) -> StudyIntervention:
    """Return a placebo, typed DRUG or OTHER, matching the active arm's route."""
    spec = SALINE_PLACEBO if infusion and rng.random() < 0.3 else PLACEBO
    text = INFUSION_PLACEBO_TEXT if infusion else pick(rng, ORAL_PLACEBO_TEXTS)
    return StudyIntervention(spec, choose_kind(spec, rng), text)


def arm(
    label: str, arm_type: str | None, interventions: list[StudyIntervention], rng: random.Random
) -> Arm:
    """Return an arm whose description joins its interventions' descriptions."""
    if interventions:
        description = " ".join(item.description for item in interventions)
    else:
        description = pick(rng, NO_INTERVENTION_TEXTS)
    return Arm(label, arm_type, description, interventions)


def placebo_arm(
    shared: StudyIntervention | None, rng: random.Random, *, infusion: bool = False
) -> Arm:
    """Return a placebo arm, adding the shared therapy when the experimental arm has one."""
    placebo = make_placebo(rng, infusion=infusion)
    if shared is None:
        return arm(placebo.spec.name, "PLACEBO_COMPARATOR", [placebo], rng)
    label = f"{placebo.spec.name} + {shared.spec.name}"
    return arm(label, "PLACEBO_COMPARATOR", [placebo, shared], rng)


def ketamine_control_arm(therapy: StudyIntervention | None, rng: random.Random) -> Arm:
    """Return saline placebo or midazolam (an active placebo), with the therapy if any."""
    if rng.random() < 0.65:
        return placebo_arm(therapy, rng, infusion=True)
    midazolam = make_intervention(MIDAZOLAM, rng)
    if therapy is None:
        return arm("Midazolam", "ACTIVE_COMPARATOR", [midazolam], rng)
    label = f"Midazolam + {therapy.spec.name}"
    return arm(label, "ACTIVE_COMPARATOR", [midazolam, therapy], rng)


def ketamine_arms(rng: random.Random) -> list[Arm]:
    """Ketamine, often paired with a psychotherapy in the same arm, against a control."""
    ketamine = make_intervention(pick(rng, KETAMINE_SPECS), rng)
    therapy = None
    if rng.random() < 0.55:
        therapy = make_intervention(pick(rng, FEATURED_PSYCHOTHERAPIES), rng)
    if therapy is None:
        label = pick(rng, ("Ketamine", "Ketamine Infusion"))
        arms = [arm(label, "EXPERIMENTAL", [ketamine], rng)]
    else:
        label = f"Ketamine + {therapy.spec.name}"
        arms = [arm(label, "EXPERIMENTAL", [ketamine, therapy], rng)]
    arms.append(ketamine_control_arm(therapy, rng))
    if rng.random() < 0.35:
        if therapy is None:
            arms.append(arm("Treatment as Usual", "NO_INTERVENTION", [], rng))
        else:
            arms.append(arm(f"{therapy.spec.name} Alone", "ACTIVE_COMPARATOR", [therapy], rng))
    return arms


def psychotherapy_arms(rng: random.Random) -> list[Arm]:
    """A psychotherapy against usual care or another therapy, sometimes with a drug arm."""
    first, second = rng.sample(
        FEATURED_PSYCHOTHERAPIES if rng.random() < 0.7 else PSYCHOTHERAPIES, 2
    )
    therapy = make_intervention(first, rng)
    arms = [arm(therapy.spec.name, "EXPERIMENTAL", [therapy], rng)]
    if rng.random() < 0.5:
        control = make_intervention(second, rng)
        arms.append(arm(control.spec.name, "ACTIVE_COMPARATOR", [control], rng))
    else:
        usual = make_intervention(INTERVENTIONS_BY_KIND["OTHER"][between(rng, 0, 2)], rng)
        arms.append(arm(usual.spec.name, "ACTIVE_COMPARATOR", [usual], rng))
    if rng.random() < 0.3:
        drug = make_intervention(pick(rng, ADDICTION_DRUGS), rng)
        arms.append(
            arm(f"{therapy.spec.name} + {drug.spec.name}", "EXPERIMENTAL", [therapy, drug], rng)
        )
    elif rng.random() < 0.3:
        arms.append(arm("Waitlist Control", "NO_INTERVENTION", [], rng))
    return arms


def generic_arms(category: str, rng: random.Random) -> list[Arm]:
    """Any intervention under one of the common interventional designs."""
    first = make_intervention(choose_intervention(category, rng), rng)
    design = rng.random()
    if design < 0.15:
        items = [first]
        if rng.random() < 0.3:
            second = make_intervention(choose_intervention(category, rng), rng)
            if second.spec.name != first.spec.name:
                items.append(second)
        return [arm(" + ".join(item.spec.name for item in items), "EXPERIMENTAL", items, rng)]
    if design < 0.5:
        arms = [arm(first.spec.name, "EXPERIMENTAL", [first], rng), placebo_arm(None, rng)]
        if rng.random() < 0.45:
            arms.insert(1, arm(f"{first.spec.name} High Dose", "EXPERIMENTAL", [first], rng))
            arms[0].label = f"{first.spec.name} Low Dose"
        return arms
    other = make_intervention(choose_intervention(category, rng), rng)
    if other.spec.name == first.spec.name:
        other = make_intervention(INTERVENTIONS_BY_KIND["OTHER"][0], rng)
    if design < 0.85:
        arms = [
            arm(first.spec.name, "EXPERIMENTAL", [first], rng),
            arm(other.spec.name, "ACTIVE_COMPARATOR", [other], rng),
        ]
        if rng.random() < 0.55:
            arms.append(
                arm(f"{first.spec.name} + {other.spec.name}", "EXPERIMENTAL", [first, other], rng)
            )
        return arms
    return [
        arm(first.spec.name, "EXPERIMENTAL", [first], rng),
        arm("Control", "NO_INTERVENTION", [], rng),
    ]


def observational_arms(conditions: list[Condition], rng: random.Random) -> list[Arm]:
    """Cohorts without arm types, as observational records have them."""
    condition = conditions[0].name
    exposure = make_intervention(choose_intervention(conditions[0].category, rng), rng)
    routine = f"Participants with {condition} receiving {exposure.spec.name} in routine care."
    arms = [Arm(f"{condition} Cohort", None, routine, [exposure])]
    if rng.random() < 0.6:
        matched = "Age- and sex-matched participants without the condition."
        arms.append(Arm("Healthy Controls", None, matched, []))
    return arms


def collect_interventions(arms: list[Arm]) -> list[StudyIntervention]:
    """Return each intervention once, in first-use order, with its arm labels filled in."""
    seen: dict[str, StudyIntervention] = {}
    for group in arms:
        for item in group.interventions:
            seen.setdefault(item.spec.name, item)
            if group.label not in item.arm_labels:
                item.arm_labels.append(group.label)
    return list(seen.values())


def dedupe_labels(arms: list[Arm]) -> None:
    """Make arm labels unique within a study, as the registry requires."""
    used: set[str] = set()
    for group in arms:
        label, number = group.label, 2
        while label in used:
            label, number = f"{group.label} ({number})", number + 1
        group.label = label
        used.add(label)


def choose_status(has_results: bool, rng: random.Random) -> str:
    """Pick overallStatus; studies with results are completed or terminated."""
    if has_results:
        return "COMPLETED" if rng.random() < 0.85 else "TERMINATED"
    return weighted(rng, STATUS_WEIGHTS)


def plan_timeline(status: str, has_results: bool, rng: random.Random) -> Timeline:
    """Draw the study's dates so that they agree with its status."""
    duration = between(rng, 150, 1800)
    if status in FINISHED_STATUSES:
        latest = REFERENCE_DAY - (480 if has_results else 45)
        completion = between(rng, EARLIEST_DAY + duration, latest)
        start = completion - duration
    elif status == "NOT_YET_RECRUITING":
        start = REFERENCE_DAY + between(rng, 20, 300)
        completion = start + duration
    else:
        start = REFERENCE_DAY - between(rng, 30, 1500)
        completion = max(start + duration, REFERENCE_DAY + between(rng, 30, 900))
    submit = min(start + between(rng, -200, 90), REFERENCE_DAY - between(rng, 3, 60))
    submit_qc = submit + between(rng, 0, 25)
    first_post = submit_qc + between(rng, 1, 4)
    primary_completion = max(start + 30, completion - pick(rng, (0, 0, 30, 90, 180)))
    results = None
    floor = first_post
    if has_results:
        results_submit = completion + between(rng, 200, 400)
        results_qc = results_submit + between(rng, 0, 50)
        results = (results_submit, results_qc, results_qc + between(rng, 1, 4))
        floor = results[2]
    elif status in FINISHED_STATUSES:
        floor = max(floor, completion)
    last_update = min(REFERENCE_DAY - 2, floor + between(rng, 0, 400))
    last_update = max(last_update, floor)
    return Timeline(
        submit,
        submit_qc,
        first_post,
        start,
        primary_completion,
        completion,
        last_update,
        last_update + between(rng, 1, 3),
        results,
    )


@functools.cache
def outcome_pool(condition: Condition) -> tuple[OutcomeTemplate, ...]:
    """Return the outcomes that suit a condition, its own field's weighted threefold."""
    specific: tuple[OutcomeTemplate, ...] = THEME_OUTCOMES.get(condition.category, ())
    if condition.mesh_term == PTSD_MESH_TERM:
        specific = PTSD_OUTCOMES
    fitting = [t for t in GENERIC_OUTCOMES if not t.areas or condition.category in t.areas]
    return tuple(specific) * 3 + tuple(fitting)


def choose_outcomes(
    conditions: list[Condition], rng: random.Random, profile: Profile
) -> list[Outcome]:
    """Pick primary and secondary outcomes suiting the condition (dense: 1-2 and 1-3), all
    different; past the condition's pool of measures, measures come again at other times."""
    pool = outcome_pool(conditions[0])
    primary_count = max(1, profile.length("primary_outcomes", rng, 1, 2))
    secondary_count = profile.length("secondary_outcomes", rng, 1, 3)
    wanted = primary_count + secondary_count
    templates: list[OutcomeTemplate] = []
    distinct = len({id(template) for template in pool})
    while len(templates) < min(wanted, distinct):
        template = pick(rng, pool)
        if all(chosen is not template for chosen in templates):
            templates.append(template)
    while len(templates) < wanted:  # the real lists are longer than the pools
        templates.append(pick(rng, pool))
    outcomes = []
    for position, template in enumerate(templates):
        measure = template.measure.replace("{condition}", conditions[0].name)
        time_frame = pick(rng, TIME_FRAMES)
        if position >= distinct:
            measure = f"{measure} ({position + 1})"
        outcomes.append(Outcome(template, measure, time_frame, position < primary_count))
    return outcomes


def choose_sponsors(rng: random.Random) -> tuple[Organisation, list[Organisation]]:
    """Pick the lead sponsor and 0-2 distinct collaborators."""
    sponsor_class = weighted(rng, tuple(SPONSOR_CLASS_WEIGHTS.items()))
    sponsor = pick(rng, ORGANISATIONS_BY_CLASS[sponsor_class])
    collaborators: list[Organisation] = []
    for _ in range(pick(rng, (0, 0, 1, 1, 2))):
        candidate = pick(rng, ORGANISATIONS)
        if candidate != sponsor and candidate not in collaborators:
            collaborators.append(candidate)
    return sponsor, collaborators


def plan_enrollment(
    status: str, has_results: bool, arm_count: int, rng: random.Random
) -> tuple[int, list[int]]:
    """Return the enrollment count and, for studies with results, the size of each group."""
    if status == "WITHDRAWN":
        return 0, []
    per_arm = int(rng.lognormvariate(3.6, 0.9)) + 4
    enrollment = min(per_arm * arm_count, 20000)
    if not has_results:
        return enrollment, []
    sizes = split_evenly(enrollment, arm_count, rng)
    return sum(sizes), sizes


def plan_study(
    index: int, rng: random.Random, results_fraction: float, profile: Profile = DENSE
) -> StudyPlan:
    """Draw everything one study needs, in a fixed order so output is reproducible."""
    has_results = rng.random() < results_fraction
    theme = choose_theme(rng, profile)
    conditions = choose_conditions(theme, rng)
    observational = theme == "generic" and rng.random() < 0.15
    if theme == "ketamine":
        arms = ketamine_arms(rng)
    elif theme == "psychotherapy":
        arms = psychotherapy_arms(rng)
    elif observational:
        arms = observational_arms(conditions, rng)
    else:
        arms = generic_arms(conditions[0].category, rng)
    dedupe_labels(arms)
    interventions = collect_interventions(arms)
    status = choose_status(has_results, rng)
    sponsor, collaborators = choose_sponsors(rng)
    enrollment, group_sizes = plan_enrollment(status, has_results, len(arms), rng)
    return StudyPlan(
        nct_id=f"NCT9{index:07d}",
        theme=theme,
        observational=observational,
        status=status,
        has_results=has_results,
        conditions=conditions,
        arms=arms,
        interventions=interventions,
        sponsor=sponsor,
        collaborators=collaborators,
        investigator=person_name(rng),
        timeline=plan_timeline(status, has_results, rng),
        enrollment=enrollment,
        group_sizes=group_sizes,
        outcomes=choose_outcomes(conditions, rng, profile),
        profile=profile,
    )


# --------------------------------------------------------------------------------------------
# protocolSection
# --------------------------------------------------------------------------------------------


def main_intervention_name(plan: StudyPlan) -> str:
    """Return the name titles lead with: the first experimental intervention."""
    for item in plan.interventions:
        if item.spec is not PLACEBO and item.spec is not SALINE_PLACEBO:
            return item.spec.name
    return plan.arms[0].label


def phase_text(phases: list[str]) -> str:
    """Return phases as titles write them, e.g. 'Phase 1/Phase 2'; '' for NA."""
    names = {"EARLY_PHASE1": "Early Phase 1", "NA": ""}
    return "/".join(names.get(p, p.replace("PHASE", "Phase ")) for p in phases if p != "NA")


def official_title(plan: StudyPlan, phases: list[str], masking: str) -> str:
    """Return an officialTitle naming phase, design, blinding and control."""
    drug, condition = main_intervention_name(plan), plan.conditions[0].name
    if plan.observational:
        return f"An Observational Cohort Study of {drug} in Patients With {condition}"
    parts = [phase_text(phases), "Randomized" if len(plan.arms) > 1 else "Single-Arm"]
    parts.append({"NONE": "Open-Label", "SINGLE": "Single-Blind"}.get(masking, "Double-Blind"))
    if any(group.arm_type == "PLACEBO_COMPARATOR" for group in plan.arms):
        parts.append("Placebo-Controlled")
    design = ", ".join(part for part in parts if part)
    return f"A {design} Trial of {drug} in {condition}"


def brief_title(plan: StudyPlan, rng: random.Random) -> str:
    """Return a briefTitle."""
    drug, condition = main_intervention_name(plan), plan.conditions[0].name
    if plan.observational:
        return f"{pick(rng, ('Outcomes of', 'Registry of', 'Biomarkers in'))} {condition}"
    patterns = (
        "{drug} for {condition}",
        "Efficacy and Safety of {drug} in Patients With {condition}",
        "A Study of {drug} in Adults With {condition}",
        "Pilot Study of {drug} in {condition}",
    )
    return pick(rng, patterns).format(drug=drug, condition=condition)


def eudract_number(rng: random.Random) -> str:
    """Return a EudraCT number, YYYY-NNNNNN-CC."""
    return f"{between(rng, 2004, 2022)}-{between(rng, 0, 999999):06d}-{between(rng, 10, 99)}"


def nih_grant(institute: Organisation, rng: random.Random) -> str:
    """Return an NIH grant number such as R01AA012345."""
    activity = pick(rng, ("R01", "R21", "U01", "K23", "P60"))
    return f"{activity}{institute.nih_code}{between(rng, 0, 999999):06d}"


def secondary_ids(plan: StudyPlan, rng: random.Random) -> list[Json]:
    """Return secondaryIdInfos: EudraCT numbers, NIH grants or other registry ids."""
    infos: list[Json] = []
    if rng.random() < 0.12:
        infos.append({"id": eudract_number(rng), "type": "EUDRACT_NUMBER"})
    institute = next((org for org in [plan.sponsor, *plan.collaborators] if org.nih_code), None)
    if institute is not None and rng.random() < 0.8:
        grant = nih_grant(institute, rng)
        link = f"https://reporter.nih.gov/quickSearch/{grant}"
        infos.append({"id": grant, "type": "NIH", "link": link})
    if rng.random() < 0.15:
        other_id = f"{between(rng, 1, 99)}-{between(rng, 1000, 99999)}"
        infos.append({"id": other_id, "type": "OTHER", "domain": "Institutional Review Board"})
    return infos


def acronym(title: str) -> str:
    """Return an acronym from a title's capitalised words."""
    return "".join(word[0] for word in title.split() if word[0].isupper())[:8] or "STUDY"


def identification_module(
    plan: StudyPlan, phases: list[str], masking: str, rng: random.Random
) -> Json:
    """Return identificationModule."""
    brief = brief_title(plan, rng)
    year = date.fromordinal(plan.timeline.submit).year
    org_study_id = f"{pick(rng, ORG_ID_PREFIXES)}-{year}-{between(rng, 1, 9999):04d}"
    module: Json = {"nctId": plan.nct_id, "orgStudyIdInfo": {"id": org_study_id}}
    infos = secondary_ids(plan, rng)
    if infos:
        module["secondaryIdInfos"] = infos
    module["organization"] = {"fullName": plan.sponsor.name, "class": plan.sponsor.org_class}
    module["briefTitle"] = brief
    module["officialTitle"] = official_title(plan, phases, masking)
    if rng.random() < 0.25:
        module["acronym"] = acronym(brief)
    return module


def status_module(plan: StudyPlan, rng: random.Random) -> Json:
    """Return statusModule, with dates that agree with the status."""
    timeline, status = plan.timeline, plan.status
    module: Json = {
        "statusVerifiedDate": day_iso(timeline.last_update)[:7],
        "overallStatus": status,
    }
    if status == "UNKNOWN":
        module["lastKnownStatus"] = pick(rng, LAST_KNOWN_STATUSES)
    if status in STOPPED_STATUSES:
        module["whyStopped"] = pick(rng, WHY_STOPPED)
    module["expandedAccessInfo"] = {"hasExpandedAccess": False}
    # Unfinished studies, and UNKNOWN ones whose last word was a plan, give estimated ends.
    estimated = status not in FINISHED_STATUSES or status == "UNKNOWN"
    module["startDateStruct"] = date_struct(
        timeline.start, rng, estimated=status == "NOT_YET_RECRUITING"
    )
    module["primaryCompletionDateStruct"] = date_struct(
        timeline.primary_completion, rng, estimated=estimated
    )
    module["completionDateStruct"] = date_struct(timeline.completion, rng, estimated=estimated)
    module["studyFirstSubmitDate"] = day_iso(timeline.submit)
    module["studyFirstSubmitQcDate"] = day_iso(timeline.submit_qc)
    module["studyFirstPostDateStruct"] = post_struct(timeline.first_post)
    if timeline.results is not None:
        submitted, qc, posted = timeline.results
        module["resultsFirstSubmitDate"] = day_iso(submitted)
        module["resultsFirstSubmitQcDate"] = day_iso(qc)
        module["resultsFirstPostDateStruct"] = post_struct(posted)
    module["lastUpdateSubmitDate"] = day_iso(timeline.last_update)
    module["lastUpdatePostDateStruct"] = post_struct(timeline.last_post)
    return module


def sponsor_module(plan: StudyPlan, rng: random.Random) -> Json:
    """Return sponsorCollaboratorsModule."""
    if plan.sponsor.org_class == "OTHER" and rng.random() < 0.5:
        party: Json = {
            "type": "PRINCIPAL_INVESTIGATOR",
            "investigatorFullName": plan.investigator,
            "investigatorTitle": pick(rng, INVESTIGATOR_TITLES),
            "investigatorAffiliation": plan.sponsor.name,
        }
    else:
        party = {"type": "SPONSOR"}
    module: Json = {
        "responsibleParty": party,
        "leadSponsor": {"name": plan.sponsor.name, "class": plan.sponsor.org_class},
    }
    if plan.collaborators:
        module["collaborators"] = [
            {"name": org.name, "class": org.org_class} for org in plan.collaborators
        ]
    return module


def oversight_module(plan: StudyPlan, rng: random.Random) -> Json:
    """Return oversightModule; the FDA flags exist only for records since 2017."""
    module: Json = {"oversightHasDmc": rng.random() < 0.4}
    if plan.timeline.submit >= DAY_2017:
        kinds = {item.kind for item in plan.interventions}
        module["isFdaRegulatedDrug"] = bool(kinds & {"DRUG", "BIOLOGICAL"}) and rng.random() < 0.7
        module["isFdaRegulatedDevice"] = "DEVICE" in kinds and rng.random() < 0.7
    return module


def description_module(plan: StudyPlan, rng: random.Random) -> Json:
    """Return descriptionModule."""
    drug, condition = main_intervention_name(plan), plan.conditions[0].name
    summary = (
        f"The purpose of this study is to determine whether {drug} is effective and safe "
        f"in people with {condition}."
    )
    module: Json = {"briefSummary": summary}
    if rng.random() < 0.6:
        arms_text = "; ".join(f"{group.label}: {group.description}" for group in plan.arms)
        module["detailedDescription"] = (
            f"Participants with {condition} will be enrolled at {plan.sponsor.name}.\n\n"
            f"Study arms: {arms_text}\n\nOutcomes are assessed by raters blind to allocation."
        )
    return module


def conditions_module(plan: StudyPlan, rng: random.Random) -> Json:
    """Return conditionsModule: 1-2 conditions and a few keywords."""
    module: Json = {"conditions": [condition.name for condition in plan.conditions]}
    if rng.random() < 0.7:
        keywords = [main_intervention_name(plan)] + [
            c.mesh_term for c in plan.conditions if c.mesh_term
        ]
        module["keywords"] = list(dict.fromkeys(keywords))
    return module


def design_info(plan: StudyPlan, masking: str, rng: random.Random) -> Json:
    """Return designModule.designInfo for an interventional study."""
    single = len(plan.arms) == 1
    if single:
        allocation, model = "NA", "SINGLE_GROUP"
    else:
        allocation = "RANDOMIZED" if rng.random() < 0.88 else "NON_RANDOMIZED"
        model = weighted(rng, INTERVENTION_MODEL_WEIGHTS)
    info: Json = {"allocation": allocation, "interventionModel": model}
    if rng.random() < 0.3:
        info["interventionModelDescription"] = (
            f"{len(plan.arms)}-arm {model.lower().replace('_', ' ')} design."
        )
    info["primaryPurpose"] = weighted(rng, PURPOSE_WEIGHTS)
    masking_info: Json = {"masking": masking}
    if masking != "NONE":
        masking_info["whoMasked"] = list(WHO_MASKED[: MASKINGS.index(masking)])
    info["maskingInfo"] = masking_info
    return info


def choose_phases(plan: StudyPlan, rng: random.Random) -> list[str]:
    """Pick phases; studies of behaviours, devices or procedures only are phase NA."""
    kinds = {item.kind for item in plan.interventions}
    if not kinds & PHARMACOLOGICAL_KINDS:
        return ["NA"]
    choice = rng.choices(
        PHASE_CHOICES, weights=DRUG_PHASE_WEIGHTS if plan.theme != "generic" else PHASE_WEIGHTS
    )[0]
    return list(choice)


def choose_masking(plan: StudyPlan, rng: random.Random) -> str:
    """Pick masking; placebo-controlled studies are blinded, single-arm ones are not."""
    if len(plan.arms) == 1:
        return "NONE"
    if any(group.arm_type == "PLACEBO_COMPARATOR" for group in plan.arms):
        return pick(rng, ("DOUBLE", "TRIPLE", "QUADRUPLE", "QUADRUPLE"))
    return pick(rng, MASKINGS)


def design_module(plan: StudyPlan, phases: list[str], masking: str, rng: random.Random) -> Json:
    """Return designModule (observational studies have no phases and other designInfo)."""
    actual = plan.status in ACTUAL_ENROLLMENT_STATUSES
    enrollment = {"count": plan.enrollment, "type": "ACTUAL" if actual else "ESTIMATED"}
    if plan.observational:
        return {
            "studyType": "OBSERVATIONAL",
            "patientRegistry": rng.random() < 0.2,
            "designInfo": {
                "observationalModel": pick(rng, OBSERVATIONAL_MODELS),
                "timePerspective": pick(rng, TIME_PERSPECTIVES),
            },
            "enrollmentInfo": enrollment,
        }
    return {
        "studyType": "INTERVENTIONAL",
        "phases": phases,
        "designInfo": design_info(plan, masking, rng),
        "enrollmentInfo": enrollment,
    }


def arms_module(plan: StudyPlan) -> Json:
    """Return armsInterventionsModule; labels and names agree in both directions."""
    groups = []
    for group in plan.arms:
        entry: Json = {"label": group.label}
        if group.arm_type is not None:
            entry["type"] = group.arm_type
        entry["description"] = group.description
        if group.interventions:
            entry["interventionNames"] = [item.reference for item in group.interventions]
        groups.append(entry)
    interventions = []
    for item in plan.interventions:
        entry = {"type": item.kind, "name": item.spec.name, "description": item.description}
        entry["armGroupLabels"] = list(item.arm_labels)
        if item.spec.other_names:
            entry["otherNames"] = list(item.spec.other_names)
        interventions.append(entry)
    return {"armGroups": groups, "interventions": interventions}


def outcomes_module(plan: StudyPlan) -> Json:
    """Return outcomesModule."""
    module: Json = {}
    for key, primary in (("primaryOutcomes", True), ("secondaryOutcomes", False)):
        entries = [
            {"measure": o.measure, "description": o.template.description, "timeFrame": o.time_frame}
            for o in plan.outcomes
            if o.primary is primary
        ]
        if entries:
            module[key] = entries
    return module


def std_ages(minimum: int, maximum: int | None) -> list[str]:
    """Return the stdAges the API derives from an age range."""
    upper = 200 if maximum is None else maximum
    ages = []
    if minimum < 18:
        ages.append("CHILD")
    if minimum <= 64 and upper >= 18:
        ages.append("ADULT")
    if upper >= 65:
        ages.append("OLDER_ADULT")
    return ages


def eligibility_module(plan: StudyPlan, rng: random.Random) -> Json:
    """Return eligibilityModule."""
    condition = plan.conditions[0].name
    minimum = pick(rng, (12, 18, 18, 18, 21, 40, 65))
    maximum = pick(rng, (None, None, 65, 75, 24, 80)) if minimum < 65 else None
    if maximum is not None and maximum <= minimum:
        maximum = None
    healthy = condition == HEALTHY_VOLUNTEERS
    diagnosis = "No significant medical illness" if healthy else f"Diagnosis of {condition}"
    criteria = (
        f"Inclusion Criteria:\n\n* {diagnosis}\n* Age {minimum} years or older\n"
        "* Able to provide written informed consent\n\nExclusion Criteria:\n\n"
        "* Pregnancy or breastfeeding\n* Unstable medical illness\n* Participation in another trial"
    )
    module: Json = {
        "eligibilityCriteria": criteria,
        "healthyVolunteers": healthy or rng.random() < 0.05,
        "sex": pick(rng, ("ALL", "ALL", "ALL", "ALL", "FEMALE", "MALE")),
        "minimumAge": f"{minimum} Years",
    }
    if maximum is not None:
        module["maximumAge"] = f"{maximum} Years"
    module["stdAges"] = std_ages(minimum, maximum)
    if plan.observational:
        module["studyPopulation"] = f"Adults with {condition} treated at participating centres."
        module["samplingMethod"] = pick(rng, ("NON_PROBABILITY_SAMPLE", "PROBABILITY_SAMPLE"))
    return module


def location(site: Organisation) -> Json:
    """Return a locations entry for a site."""
    place = site.place or PLACES[0]
    entry: Json = {"facility": site.name, "city": place.city}
    if place.state:
        entry["state"] = place.state
    if place.zip_code:
        entry["zip"] = place.zip_code
    entry["country"] = place.country
    entry["geoPoint"] = {"lat": place.lat, "lon": place.lon}
    return entry


def contacts_module(plan: StudyPlan, rng: random.Random) -> Json:
    """Return contactsLocationsModule: the overall official and 1-3 sites."""
    degree = pick(rng, DEGREES)
    affiliation = plan.sponsor.name if plan.sponsor.org_class == "OTHER" else pick(rng, SITES).name
    official = {
        "name": f"{plan.investigator}, {degree}",
        "affiliation": affiliation,
        "role": pick(
            rng,
            ("PRINCIPAL_INVESTIGATOR", "PRINCIPAL_INVESTIGATOR", "STUDY_CHAIR", "STUDY_DIRECTOR"),
        ),
    }
    sites = [plan.sponsor] if plan.sponsor.org_class == "OTHER" else []
    wanted = plan.profile.length("locations", rng, 1, 3)
    while len(sites) < min(wanted, len(SITES)):
        site = pick(rng, SITES)
        if site not in sites:
            sites.append(site)
    locations = [location(site) for site in sites]
    for number in range(len(sites), wanted):  # a study with more sites than the table holds
        extra = location(pick(rng, SITES))
        extra["facility"] = f"{extra['facility']}, site {number + 1}"
        locations.append(extra)
    return {"overallOfficials": [official], "locations": locations}


def citation(plan: StudyPlan, rng: random.Random) -> str:
    """Return a citation in the NLM style the registry uses."""
    authors = ", ".join(
        f"{pick(rng, LAST_NAMES)} {chr(65 + between(rng, 0, 25))}"
        for _ in range(between(rng, 1, 4))
    )
    topic = f"{main_intervention_name(plan)} in {plan.conditions[0].name}: a clinical study"
    first, last = between(rng, 1, 900), between(rng, 5, 15)
    volume = f"{between(rng, 1, 400)}({between(rng, 1, 12)}):{first}-{first + last}"
    journal, year = pick(rng, CITATION_JOURNALS), between(rng, 1995, 2023)
    return f"{authors}. {topic}. {journal}. {year};{volume}."


def references_module(plan: StudyPlan, rng: random.Random) -> Json:
    """Return referencesModule with 1-4 citations (pmid is a string of digits)."""
    references = []
    for _ in range(plan.profile.length("references", rng, 1, 4)):
        if plan.has_results and rng.random() < 0.4:
            kind = "RESULT"
        else:
            kind = pick(rng, ("BACKGROUND", "BACKGROUND", "DERIVED"))
        pmid = str(between(rng, 1_000_000, 38_000_000))
        references.append({"pmid": pmid, "type": kind, "citation": citation(plan, rng)})
    return {"references": references}


def ipd_module(rng: random.Random) -> Json:
    """Return ipdSharingStatementModule."""
    sharing = pick(rng, ("NO", "NO", "UNDECIDED", "YES"))
    module: Json = {"ipdSharing": sharing}
    if sharing != "NO" or rng.random() < 0.3:
        module["description"] = (
            "De-identified participant data will be shared on reasonable request."
        )
    if sharing == "YES":
        module["infoTypes"] = ["STUDY_PROTOCOL", "SAP"]
        module["timeFrame"] = "12 months after publication of the primary results."
        module["accessCriteria"] = "Researchers with an approved proposal."
    return module


def protocol_section(plan: StudyPlan, rng: random.Random) -> Json:
    """Return protocolSection, modules in the order the API uses."""
    phases = choose_phases(plan, rng)
    masking = choose_masking(plan, rng)
    section: Json = {
        "identificationModule": identification_module(plan, phases, masking, rng),
        "statusModule": status_module(plan, rng),
        "sponsorCollaboratorsModule": sponsor_module(plan, rng),
        "oversightModule": oversight_module(plan, rng),
        "descriptionModule": description_module(plan, rng),
        "conditionsModule": conditions_module(plan, rng),
        "designModule": design_module(plan, phases, masking, rng),
        "armsInterventionsModule": arms_module(plan),
        "outcomesModule": outcomes_module(plan),
        "eligibilityModule": eligibility_module(plan, rng),
        "contactsLocationsModule": contacts_module(plan, rng),
    }
    if plan.profile.has("references", rng, 0.4):
        section["referencesModule"] = references_module(plan, rng)
    if plan.profile.has("ipd_sharing", rng, 0.5):
        section["ipdSharingStatementModule"] = ipd_module(rng)
    return section


# --------------------------------------------------------------------------------------------
# resultsSection
# --------------------------------------------------------------------------------------------


def completers(plan: StudyPlan, rng: random.Random) -> list[int]:
    """Return how many started participants of each group completed."""
    return [size - int(size * rng.uniform(0.0, 0.3)) for size in plan.group_sizes]


def result_groups(plan: StudyPlan, prefix: str) -> list[Json]:
    """Return groups with ids like FG000 whose titles are the arm labels."""
    return [
        {"id": f"{prefix}{i:03d}", "title": group.label, "description": group.description}
        for i, group in enumerate(plan.arms)
    ]


def achievements(prefix: str, counts: Sequence[int]) -> list[Json]:
    """Return participant-flow achievements; numSubjects is a string, as in the API."""
    return [{"groupId": f"{prefix}{i:03d}", "numSubjects": str(n)} for i, n in enumerate(counts)]


def participant_flow_module(plan: StudyPlan, completed: list[int]) -> Json:
    """Return participantFlowModule with STARTED, COMPLETED and NOT COMPLETED milestones."""
    not_completed = [
        started - done for started, done in zip(plan.group_sizes, completed, strict=True)
    ]
    milestones = [
        {"type": "STARTED", "achievements": achievements("FG", plan.group_sizes)},
        {"type": "COMPLETED", "achievements": achievements("FG", completed)},
        {"type": "NOT COMPLETED", "achievements": achievements("FG", not_completed)},
    ]
    return {
        "groups": result_groups(plan, "FG"),
        "periods": [{"title": "Overall Study", "milestones": milestones}],
    }


def age_measure(ids: list[str], arm_sizes: list[int], rng: random.Random) -> Json:
    """Return 'Age, Continuous' (mean, SD); a trailing Total group gets the weighted mean."""
    ages = [rng.uniform(25, 60) for _ in arm_sizes]
    if len(ids) > len(ages):
        weighted_sum = sum(age * n for age, n in zip(ages, arm_sizes, strict=True))
        ages.append(weighted_sum / max(sum(arm_sizes), 1))
    rows = [
        {"groupId": gid, "value": fmt_number(age, 1), "spread": fmt_number(rng.uniform(6, 14), 1)}
        for gid, age in zip(ids, ages, strict=True)
    ]
    return {
        "title": "Age, Continuous",
        "paramType": "MEAN",
        "dispersionType": "STANDARD_DEVIATION",
        "unitOfMeasure": "years",
        "classes": [{"categories": [{"measurements": rows}]}],
    }


def sex_measure(ids: list[str], sizes: list[int], females: list[int]) -> Json:
    """Return 'Sex: Female, Male' as participant counts."""
    female_rows = [{"groupId": g, "value": str(f)} for g, f in zip(ids, females, strict=True)]
    male_rows = [
        {"groupId": g, "value": str(n - f)} for g, n, f in zip(ids, sizes, females, strict=True)
    ]
    categories = [
        {"title": "Female", "measurements": female_rows},
        {"title": "Male", "measurements": male_rows},
    ]
    return {
        "title": "Sex: Female, Male",
        "paramType": "COUNT_OF_PARTICIPANTS",
        "unitOfMeasure": "Participants",
        "classes": [{"categories": categories}],
    }


def baseline_module(plan: StudyPlan, rng: random.Random) -> Json:
    """Return baselineCharacteristicsModule: age and sex by group, plus a Total group."""
    groups = result_groups(plan, "BG")
    sizes = list(plan.group_sizes)
    females = [int(n * rng.uniform(0.3, 0.7)) for n in sizes]
    if len(sizes) > 1:
        total = {"id": f"BG{len(sizes):03d}", "title": "Total"}
        groups.append({**total, "description": "Total of all reporting groups"})
        sizes.append(sum(sizes))
        females.append(sum(females))
    ids = [group["id"] for group in groups]
    counts = [{"groupId": g, "value": str(n)} for g, n in zip(ids, sizes, strict=True)]
    measures = [age_measure(ids, plan.group_sizes, rng), sex_measure(ids, sizes, females)]
    if not plan.profile.dense:  # the real records report more: each a continuous measure
        wanted = plan.profile.length("baseline_measures", rng, 2, 2)
        for outcome in plan.outcomes[: max(0, wanted - len(measures))]:
            extra = age_measure(ids, plan.group_sizes, rng)
            extra["title"] = f"Baseline {outcome.measure}"
            extra["unitOfMeasure"] = outcome.template.unit
            measures.append(extra)
    return {
        "populationDescription": "All randomized participants.",
        "groups": groups,
        "denoms": [{"units": "Participants", "counts": counts}],
        "measures": measures,
    }


def group_effects(plan: StudyPlan, template: OutcomeTemplate, rng: random.Random) -> list[float]:
    """Return each group's shift from the template's centre, in the template's units.

    Active arms move in the direction of benefit (down for change scores, up otherwise);
    placebo, comparator and no-intervention arms stay near the centre.
    """
    lower_is_better = template.center < 0 or template.measure in LOWER_IS_BETTER
    direction = -1.0 if lower_is_better else 1.0
    effects = []
    for group in plan.arms:
        active = group.arm_type in {"EXPERIMENTAL", None} and bool(group.interventions)
        size = rng.gauss(0.45, 0.3) if active else rng.gauss(0.0, 0.1)
        effects.append(direction * size * template.scale)
    return effects


def limits_half_width(dispersion: str, sd: float, n: int) -> float:
    """Return the half width of a CI, inter-quartile range or full range."""
    if dispersion == "95% Confidence Interval":
        return 1.96 * sd / math.sqrt(max(n, 1))
    if dispersion == "Inter-Quartile Range":
        return 0.67 * sd
    return 2.2 * sd


def continuous_measurements(
    template: OutcomeTemplate,
    dispersion: str,
    values: list[float],
    denoms: list[int],
    rng: random.Random,
) -> list[Json]:
    """Return measurements with spread, or lowerLimit and upperLimit, as strings."""
    decimals = 2 if abs(template.center) < 10 else 1
    rows = []
    for i, (value, n) in enumerate(zip(values, denoms, strict=True)):
        sd = abs(template.scale) * rng.uniform(0.8, 1.2)
        row: Json = {"groupId": f"OG{i:03d}", "value": fmt_number(value, decimals)}
        if dispersion in SPREAD_DISPERSIONS:
            spread = sd if dispersion == "Standard Deviation" else sd / math.sqrt(max(n, 1))
            row["spread"] = fmt_number(spread, decimals)
        else:
            half = limits_half_width(dispersion, sd, n)
            row["lowerLimit"] = fmt_number(value - half * rng.uniform(0.8, 1.0), decimals)
            row["upperLimit"] = fmt_number(value + half * rng.uniform(0.8, 1.0), decimals)
        rows.append(row)
    return rows


@dataclass(slots=True)
class Measured:
    """One outcome's reported numbers: API fields plus the raw values for analyses."""

    param_type: str
    dispersion: str | None
    rows: list[Json]
    values: list[float]  # proportions for count and rate outcomes


def measure_outcome(
    template: OutcomeTemplate, plan: StudyPlan, denoms: list[int], rng: random.Random
) -> Measured:
    """Draw the per-group numbers of one outcome, by the template's kind."""
    effects = group_effects(plan, template, rng)
    if template.kind == "count":
        shares = [min(max(template.center + e, 0.0), 1.0) for e in effects]
        counts = [round(n * share) for n, share in zip(denoms, shares, strict=True)]
        rows = [{"groupId": f"OG{i:03d}", "value": str(c)} for i, c in enumerate(counts)]
        proportions = [c / max(n, 1) for c, n in zip(counts, denoms, strict=True)]
        return Measured("COUNT_OF_PARTICIPANTS", None, rows, proportions)
    if template.kind == "rate":
        values = [min(max(template.center + e, 0.0), 100.0) for e in effects]
        rows = [{"groupId": f"OG{i:03d}", "value": fmt_number(v, 1)} for i, v in enumerate(values)]
        return Measured("NUMBER", None, rows, [v / 100 for v in values])
    if template.kind == "time":
        values = [max(template.center + e, 0.5) for e in effects]
        dispersion = "95% Confidence Interval"
        rows = continuous_measurements(template, dispersion, values, denoms, rng)
        return Measured("MEDIAN", dispersion, rows, values)
    param = pick(rng, ("MEAN", "MEAN", "MEAN", "LEAST_SQUARES_MEAN", "MEDIAN"))
    dispersion = pick(rng, CONTINUOUS_DISPERSIONS[param])
    values = [template.center + e for e in effects]
    rows = continuous_measurements(template, dispersion, values, denoms, rng)
    return Measured(param, dispersion, rows, values)


# paramType, estimate, CI lower, CI upper, z statistic
Estimate = tuple[str, float, float, float, float]


def difference_estimate(
    template: OutcomeTemplate, values: list[float], denoms: list[int], rng: random.Random
) -> Estimate:
    """Return a mean difference between the first two groups, with its 95% CI."""
    n1, n2 = max(denoms[0], 1), max(denoms[1], 1)
    estimate = values[0] - values[1]
    se = abs(template.scale) * math.sqrt(1 / n1 + 1 / n2)
    param = pick(rng, ANALYSIS_PARAMS["score"])
    return param, estimate, estimate - 1.96 * se, estimate + 1.96 * se, estimate / se


def proportion_estimate(
    kind: str, values: list[float], denoms: list[int], rng: random.Random
) -> Estimate:
    """Return an odds ratio, risk ratio or risk difference between the first two groups."""
    n1, n2 = max(denoms[0], 1), max(denoms[1], 1)
    p1, p2 = (min(max(v, 0.02), 0.98) for v in values[:2])
    se = math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    z = (p1 - p2) / se
    param = pick(rng, ANALYSIS_PARAMS[kind])
    if param == "Odds Ratio (OR)":
        estimate = (p1 / (1 - p1)) / (p2 / (1 - p2))
        log_se = math.sqrt(1 / (n1 * p1 * (1 - p1)) + 1 / (n2 * p2 * (1 - p2)))
    elif param == "Risk Ratio (RR)":
        estimate = p1 / p2
        log_se = math.sqrt((1 - p1) / (n1 * p1) + (1 - p2) / (n2 * p2))
    else:
        estimate = (p1 - p2) * 100
        return param, estimate, estimate - 196 * se, estimate + 196 * se, z
    width = math.exp(1.96 * log_se)
    return param, estimate, estimate / width, estimate * width, z


def hazard_estimate(values: list[float], denoms: list[int]) -> Estimate:
    """Return a hazard ratio of the first group against the second, from median times."""
    ratio = min(max(values[1] / max(values[0], 0.1), 0.2), 3.0)
    log_se = 2.0 / math.sqrt(max(denoms[0] + denoms[1], 4))
    width = math.exp(1.96 * log_se)
    return "Hazard Ratio (HR)", ratio, ratio / width, ratio * width, math.log(ratio) / log_se


def analysis(
    template: OutcomeTemplate, values: list[float], denoms: list[int], rng: random.Random
) -> Json:
    """Return a statistical analysis of group OG000 against OG001 (all numbers as strings)."""
    if template.kind in {"count", "rate"}:
        estimate = proportion_estimate(template.kind, values, denoms, rng)
    elif template.kind == "time":
        estimate = hazard_estimate(values, denoms)
    else:
        estimate = difference_estimate(template, values, denoms, rng)
    param, value, lower, upper, z = estimate
    return {
        "groupIds": ["OG000", "OG001"],
        "nonInferiorityType": pick(rng, NON_INFERIORITY_TYPES),
        "pValue": p_value_text(two_sided_p(z), rng),
        "statisticalMethod": pick(rng, ANALYSIS_METHODS[template.kind]),
        "paramType": param,
        "paramValue": fmt_number(value, 2),
        "ciPctValue": "95",
        "ciNumSides": "TWO_SIDED",
        "ciLowerLimit": fmt_number(lower, 2),
        "ciUpperLimit": fmt_number(upper, 2),
    }


def outcome_measure(
    outcome: Outcome, plan: StudyPlan, denoms: list[int], rng: random.Random
) -> Json:
    """Return one outcomeMeasures entry; its title is the registered outcome's measure."""
    measured = measure_outcome(outcome.template, plan, denoms, rng)
    measure: Json = {
        "type": "PRIMARY" if outcome.primary else "SECONDARY",
        "title": outcome.measure,
        "description": outcome.template.description,
        "reportingStatus": "POSTED",
        "paramType": measured.param_type,
    }
    if measured.dispersion is not None:
        measure["dispersionType"] = measured.dispersion
    measure["unitOfMeasure"] = outcome.template.unit
    measure["timeFrame"] = outcome.time_frame
    measure["groups"] = result_groups(plan, "OG")
    counts = [{"groupId": f"OG{i:03d}", "value": str(n)} for i, n in enumerate(denoms)]
    measure["denoms"] = [{"units": "Participants", "counts": counts}]
    measure["classes"] = [{"categories": [{"measurements": measured.rows}]}]
    if len(plan.arms) >= 2 and rng.random() < 0.55:
        measure["analyses"] = [analysis(outcome.template, measured.values, denoms, rng)]
    return measure


def event_stats(sizes: list[int], rate: float, rng: random.Random) -> list[Json]:
    """Return per-group stats (integers) in which at least one participant is affected."""
    affected = [min(n, int(n * rng.uniform(0, rate))) for n in sizes]
    if not any(affected):
        hit = between(rng, 0, len(sizes) - 1)
        affected[hit] = min(1, sizes[hit])
    return [
        {
            "groupId": f"EG{i:03d}",
            "numEvents": count + between(rng, 0, count),
            "numAffected": count,
            "numAtRisk": at_risk,
        }
        for i, (count, at_risk) in enumerate(zip(affected, sizes, strict=True))
    ]


def event_entries(
    terms: Sequence[tuple[str, str]], sizes: list[int], rate: float, rng: random.Random
) -> list[Json]:
    """Return seriousEvents or otherEvents entries: MedDRA term, organ system and stats."""
    events = []
    for term, organ_system in terms:
        assessment = "SYSTEMATIC_ASSESSMENT" if rng.random() < 0.7 else "NON_SYSTEMATIC_ASSESSMENT"
        events.append(
            {
                "term": term,
                "organSystem": organ_system,
                "sourceVocabulary": "MedDRA (26.0)",
                "assessmentType": assessment,
                "stats": event_stats(sizes, rate, rng),
            }
        )
    return events


def affected_counts(events: list[Json], group: int) -> list[int]:
    """Return one group's numAffected for each event."""
    return [event["stats"][group]["numAffected"] for event in events]


def event_group(
    index: int, group: Arm, at_risk: int, serious: list[Json], other: list[Json], rng: random.Random
) -> Json:
    """Return one eventGroups entry; its totals agree with the per-event stats."""
    # A participant may have several events: serious totals add up, other totals take the most.
    serious_affected = min(at_risk, sum(affected_counts(serious, index)))
    other_affected = min(at_risk, max(affected_counts(other, index), default=0))
    return {
        "id": f"EG{index:03d}",
        "title": group.label,
        "description": group.description,
        "deathsNumAffected": min(serious_affected, pick(rng, (0, 0, 0, 1))),
        "deathsNumAtRisk": at_risk,
        "seriousNumAffected": serious_affected,
        "seriousNumAtRisk": at_risk,
        "otherNumAffected": other_affected,
        "otherNumAtRisk": at_risk,
    }


def adverse_events_module(plan: StudyPlan, rng: random.Random) -> Json:
    """Return adverseEventsModule; empty seriousEvents / otherEvents are left out, as in the API."""
    sizes = plan.group_sizes
    profile = plan.profile
    # dense: as many as before; calibrated: as many as the real records list, up to the
    # tables' terms (each count drawn just before its events, as before the calibration)
    if profile.dense:
        serious_count = pick(rng, (0, 0, 1, 2, 3))
    else:
        serious_count = min(len(SERIOUS_EVENT_TERMS), profile.length("serious_events", rng, 0, 0))
    serious = event_entries(rng.sample(SERIOUS_EVENT_TERMS, serious_count), sizes, 0.06, rng)
    other_count = min(len(ADVERSE_EVENT_TERMS), profile.length("other_events", rng, 0, 6))
    other = event_entries(rng.sample(ADVERSE_EVENT_TERMS, other_count), sizes, 0.3, rng)
    module: Json = {
        "frequencyThreshold": pick(rng, ("0", "5", "5", "2")),
        "timeFrame": pick(rng, ADVERSE_EVENT_TIME_FRAMES),
        "description": "Adverse events were collected at every visit by open-ended questioning.",
        "eventGroups": [
            event_group(i, group, at_risk, serious, other, rng)
            for i, (group, at_risk) in enumerate(zip(plan.arms, sizes, strict=True))
        ],
    }
    if serious:
        module["seriousEvents"] = serious
    if other:
        module["otherEvents"] = other
    return module


def more_info_module(plan: StudyPlan, rng: random.Random) -> Json:
    """Return moreInfoModule with the point of contact."""
    module: Json = {}
    if rng.random() < 0.4:
        module["limitationsAndCaveats"] = {
            "description": "The small sample size limits the precision of the estimates."
        }
    module["certainAgreement"] = {
        "piSponsorEmployee": plan.sponsor.org_class == "INDUSTRY",
        "restrictiveAgreement": rng.random() < 0.2,
    }
    user = plan.investigator.split()[-1].lower().encode("ascii", "ignore").decode() or "contact"
    module["pointOfContact"] = {
        "title": plan.investigator,
        "organization": plan.sponsor.name,
        "email": f"{user}@example.org",
        "phone": f"{between(rng, 200, 999)}-{between(rng, 200, 999)}-{between(rng, 1000, 9999)}",
    }
    return module


def results_section(plan: StudyPlan, rng: random.Random) -> Json:
    """Return resultsSection, shaped like NCT00763412's."""
    completed = completers(plan, rng)
    section: Json = {"participantFlowModule": participant_flow_module(plan, completed)}
    if rng.random() < 0.75:
        section["baselineCharacteristicsModule"] = baseline_module(plan, rng)
    section["outcomeMeasuresModule"] = {
        "outcomeMeasures": [outcome_measure(o, plan, completed, rng) for o in plan.outcomes]
    }
    section["adverseEventsModule"] = adverse_events_module(plan, rng)
    section["moreInfoModule"] = more_info_module(plan, rng)
    return section


# --------------------------------------------------------------------------------------------
# derivedSection
# --------------------------------------------------------------------------------------------


def condition_browse_module(plan: StudyPlan) -> Json | None:
    """Return conditionBrowseModule from the conditions' MeSH terms, or None if none map."""
    meshes: dict[str, str] = {}
    found: dict[str, str] = {}
    ancestors: dict[str, str] = {}
    branches: dict[str, str] = {}
    for condition in plan.conditions:
        if condition.mesh_id is None or condition.mesh_term is None:
            continue
        meshes.setdefault(condition.mesh_id, condition.mesh_term)
        found.setdefault(condition.mesh_term, condition.name)
        category = CATEGORIES[condition.category]
        ancestors.update((aid, term) for aid, term in category.ancestors if aid not in meshes)
        branches.update(category.branches)
    if not meshes:
        return None
    branches["All"] = "All Conditions"
    leaves = [
        {"id": leaf_id(term), "name": term, "asFound": found[term], "relevance": "HIGH"}
        for term in meshes.values()
    ]
    leaves += [
        {"id": leaf_id(term), "name": term, "relevance": "LOW"} for term in ancestors.values()
    ]
    return {
        "meshes": [{"id": mid, "term": term} for mid, term in meshes.items()],
        "ancestors": [{"id": aid, "term": term} for aid, term in ancestors.items()],
        "browseLeaves": leaves,
        "browseBranches": [{"abbrev": abbrev, "name": name} for abbrev, name in branches.items()],
    }


def intervention_browse_module(plan: StudyPlan) -> Json | None:
    """Return interventionBrowseModule for drug-like interventions, or None if there are none."""
    meshes: dict[str, str] = {}
    found: dict[str, str] = {}
    ancestors: dict[str, str] = {}
    branches: dict[str, str] = {}
    for item in plan.interventions:
        spec = item.spec
        if item.kind not in PHARMACOLOGICAL_KINDS or spec.mesh_id is None or spec.mesh_term is None:
            continue
        meshes.setdefault(spec.mesh_id, spec.mesh_term)
        found.setdefault(spec.mesh_term, spec.name)
        drug_class = DRUG_CLASSES.get(spec.drug_class or "")
        if drug_class is not None:
            ancestors[drug_class.mesh_id] = drug_class.term
            branches[drug_class.branch[0]] = drug_class.branch[1]
    if not meshes:
        return None
    ancestors[PHYSIOLOGICAL_EFFECTS[0]] = PHYSIOLOGICAL_EFFECTS[1]
    branches[ALL_DRUGS_BRANCH[0]] = ALL_DRUGS_BRANCH[1]
    leaves = [
        {"id": leaf_id(term), "name": term, "asFound": found[term], "relevance": "HIGH"}
        for term in meshes.values()
    ]
    leaves += [
        {"id": leaf_id(term), "name": term, "relevance": "LOW"} for term in ancestors.values()
    ]
    return {
        "meshes": [{"id": mid, "term": term} for mid, term in meshes.items()],
        "ancestors": [{"id": aid, "term": term} for aid, term in ancestors.items()],
        "browseLeaves": leaves,
        "browseBranches": [{"abbrev": abbrev, "name": name} for abbrev, name in branches.items()],
    }


def derived_section(plan: StudyPlan) -> Json:
    """Return derivedSection: version stamp and MeSH browse modules."""
    section: Json = {
        "miscInfoModule": {
            "versionHolder": VERSION_HOLDER,
            "modelPredictions": {"bmiLimits": {"minBmi": 0, "maxBmi": 101}},
        }
    }
    conditions = condition_browse_module(plan)
    if conditions is not None:
        section["conditionBrowseModule"] = conditions
    interventions = intervention_browse_module(plan)
    if interventions is not None:
        section["interventionBrowseModule"] = interventions
    return section


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def generate_study(
    index: int,
    rng: random.Random,
    *,
    results_fraction: float | None = None,
    dense: bool = False,
) -> Json:
    """Return one synthetic API v2 study record with NCT id ``NCT9`` + the 7-digit index.

    All randomness comes from ``rng``; pass a fresh ``random.Random`` seeded per study for
    output that does not depend on the order of generation (as ``iter_studies`` does).
    ``results_fraction`` is the chance (0-1) that the study has a resultsSection (by default
    the real records' share, or 0.2 with ``dense``). ``dense`` draws the study as the
    generator did before it was calibrated: every module, short lists, more ketamine.
    Raises ValueError for an index outside 0..9,999,999.
    """
    if not 0 <= index <= 9_999_999:
        raise ValueError(f"index {index} is outside 0..9999999: NCT ids have 8 digits")
    profile = profile_for(dense=dense)
    fraction = profile.results_fraction if results_fraction is None else results_fraction
    plan = plan_study(index, rng, fraction, profile)
    study: Json = {"protocolSection": protocol_section(plan, rng)}
    if plan.has_results:
        study["resultsSection"] = results_section(plan, rng)
    study["derivedSection"] = derived_section(plan)
    study["hasResults"] = plan.has_results
    return study


def study_rng(seed: int, index: int) -> random.Random:
    """Return the generator for one study, so study i is the same whatever N is."""
    return random.Random(f"ctgov:{seed}:{index}")


def iter_studies(
    n: int,
    seed: int = DEFAULT_SEED,
    *,
    results_fraction: float | None = None,
    dense: bool = False,
) -> Iterator[Json]:
    """Yield n studies, indexes 0..n-1; the same seed, fraction and mode give the same
    studies."""
    for index in range(n):
        yield generate_study(
            index, study_rng(seed, index), results_fraction=results_fraction, dense=dense
        )


def nct_id_of(study: Json) -> str:
    """Return a study's NCT id."""
    return str(study["protocolSection"]["identificationModule"]["nctId"])


def encode(document: Any, indent: int | None) -> bytes:
    """Serialise as UTF-8 JSON; keys keep the API's order, non-ASCII stays as is."""
    separators = (",", ":") if indent is None else (",", ": ")
    text = json.dumps(document, ensure_ascii=False, indent=indent, separators=separators)
    return text.encode("utf-8")


def write_files(studies: Iterator[Json], out: Path, indent: int | None) -> int:
    """Write one NCTxxxxxxxx.json per study into directory out; return the count."""
    out.mkdir(parents=True, exist_ok=True)
    count = 0
    for study in studies:
        (out / f"{nct_id_of(study)}.json").write_bytes(encode(study, indent))
        count += 1
    return count


def write_zip(studies: Iterator[Json], out: Path, indent: int | None) -> int:
    """Stream one NCTxxxxxxxx.json member per study into zip file out; return the count.

    Members carry a fixed timestamp so the same input gives a byte-identical archive.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for study in studies:
            info = zipfile.ZipInfo(f"{nct_id_of(study)}.json", date_time=ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with archive.open(info, "w") as member:
                member.write(encode(study, indent))
            count += 1
    return count


def page_token(seed: int, page: int) -> str:
    """Return an opaque, reproducible nextPageToken for the page after ``page``."""
    digest = hashlib.sha256(f"ctgov-page:{seed}:{page}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")[:14]


def write_pages(
    studies: Iterator[Json], out: Path, indent: int | None, page_size: int, total: int, seed: int
) -> int:
    """Write API pages page-0001.json, ... into directory out; return the study count.

    Every page but the last carries nextPageToken, as the /studies endpoint does.
    """
    out.mkdir(parents=True, exist_ok=True)
    pages = max(1, math.ceil(total / page_size))
    count = 0
    for page in range(1, pages + 1):
        batch = [study for _, study in zip(range(page_size), studies, strict=False)]
        document: Json = {"studies": batch}
        if page < pages:
            document["nextPageToken"] = page_token(seed, page)
        (out / f"page-{page:04d}.json").write_bytes(encode(document, indent))
        count += len(batch)
    return count


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def fraction(text: str) -> float:
    """argparse type: a float between 0 and 1."""
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1")
    return value


def positive(text: str) -> int:
    """argparse type: an integer of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive integer")
    return value


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse the command line; argparse exits with status 2 on a usage error."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("n", type=positive, help="number of studies (at most 10,000,000)")
    parser.add_argument("out", type=Path, help="output directory, or .zip file for --format zip")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default 7)")
    parser.add_argument("--format", choices=FORMATS, default="files", help="files, zip or pages")
    parser.add_argument(
        "--results-fraction",
        type=fraction,
        default=None,
        help="share of studies with a resultsSection (default: the real records' share; "
        "0.2 with --dense)",
    )
    parser.add_argument(
        "--dense",
        action="store_true",
        help="studies as before the calibration: every module, short lists, 4%% ketamine",
    )
    parser.add_argument(
        "--page-size",
        type=positive,
        default=DEFAULT_PAGE_SIZE,
        help="studies per page for --format pages (default 1000)",
    )
    parser.add_argument(
        "--indent",
        type=int,
        default=DEFAULT_INDENT,
        help="JSON indent; 0 writes compact JSON (default 0)",
    )
    args = parser.parse_args(argv)
    if args.n > 10_000_000:
        parser.error("n is at most 10,000,000: NCT9 + 7 digits")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Generate the studies the command line asks for; return the exit status."""
    args = parse_args(argv)
    indent = args.indent if args.indent > 0 else None
    studies = iter_studies(
        args.n, args.seed, results_fraction=args.results_fraction, dense=args.dense
    )
    started = time.perf_counter()
    try:
        if args.format == "zip":
            count = write_zip(studies, args.out, indent)
        elif args.format == "pages":
            count = write_pages(studies, args.out, indent, args.page_size, args.n, args.seed)
        else:
            count = write_files(studies, args.out, indent)
    except OSError as error:
        print(f"error: cannot write {args.out}: {error}; choose another OUT", file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - started
    print(
        f"wrote {count} studies ({args.format}) to {args.out} in {elapsed:.2f} s", file=sys.stderr
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
