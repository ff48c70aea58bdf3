"""Calibrate bench/generate_ctgov.py on the real ClinicalTrials.gov records (issue 18 point 9).

Reads the real API v2 records of shared/data/real (ctgov_v2 and ctgov_v2_more) and keeps the
whole ones: those with a derivedSection, which every record of the API and of its bulk
download carries (the others are partial on purpose: an identification module only, or
fields-filtered search results). From them it computes:

- the share of studies with a resultsSection, and with each optional module;
- for each list the generator draws a length for (sites, primary and secondary outcomes,
  references, keywords; and in studies with results: baseline measures, serious and other
  adverse events), the length in every whole record: the generator draws from these lists,
  so its distribution is the real one, long tails included (one study has 315 sites).

``--write-data`` writes them to bench/data/calibration-ctgov.json, which the generator reads
(unless ``--dense``). ``--write`` puts the table of real against generated figures, and
the triples per study both give through the importer, in docs/scaling.md.

Run:  python bench/calibrate_ctgov.py --write-data --write docs/scaling.md
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import generate_ctgov  # type: ignore[import-not-found]
from common import replace_section, run_id  # type: ignore[import-not-found]

HERE = Path(__file__).parent
REAL = Path("/work/shared/data/real")
DIRECTORIES = ("ctgov_v2", "ctgov_v2_more")
DATA = HERE / "data" / "calibration-ctgov.json"
BEGIN, END = "<!-- calibration:begin -->", "<!-- calibration:end -->"
Json = dict[str, Any]

#: each list whose length the generator draws: (name, path in the record, results only)
LISTS: tuple[tuple[str, tuple[str, ...], bool], ...] = (
    ("locations", ("protocolSection", "contactsLocationsModule", "locations"), False),
    ("primary_outcomes", ("protocolSection", "outcomesModule", "primaryOutcomes"), False),
    ("secondary_outcomes", ("protocolSection", "outcomesModule", "secondaryOutcomes"), False),
    ("references", ("protocolSection", "referencesModule", "references"), False),
    ("keywords", ("protocolSection", "conditionsModule", "keywords"), False),
    ("conditions", ("protocolSection", "conditionsModule", "conditions"), False),
    ("arm_groups", ("protocolSection", "armsInterventionsModule", "armGroups"), False),
    ("interventions", ("protocolSection", "armsInterventionsModule", "interventions"), False),
    ("condition_ancestors", ("derivedSection", "conditionBrowseModule", "ancestors"), False),
    ("baseline_measures", ("resultsSection", "baselineCharacteristicsModule", "measures"), True),
    ("outcome_measures", ("resultsSection", "outcomeMeasuresModule", "outcomeMeasures"), True),
    ("serious_events", ("resultsSection", "adverseEventsModule", "seriousEvents"), True),
    ("other_events", ("resultsSection", "adverseEventsModule", "otherEvents"), True),
)
#: the lists the generator draws from the real lengths (the others it draws itself: shown
#: for comparison)
DRAWN = (
    "locations",
    "primary_outcomes",
    "secondary_outcomes",
    "references",
    "baseline_measures",
    "serious_events",
    "other_events",
)
#: modules whose presence the generator draws with the real share
MODULES = (
    ("references", ("protocolSection", "referencesModule")),
    ("ipd_sharing", ("protocolSection", "ipdSharingStatementModule")),
)


def whole_records() -> list[Json]:
    """The real records that are whole: a protocolSection and a derivedSection."""
    files = sorted(f for d in DIRECTORIES for f in (REAL / d).glob("NCT*.json"))
    records = [json.loads(f.read_text(encoding="utf-8")) for f in files]
    return [r for r in records if "protocolSection" in r and "derivedSection" in r]


def at(record: Json, path: Sequence[str]) -> Any:
    value: Any = record
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def lengths(records: list[Json], path: Sequence[str]) -> list[int]:
    return [
        len(value) if isinstance(value, list) else 0 for value in (at(r, path) for r in records)
    ]


def figures(records: list[Json]) -> Json:
    """What the generator is calibrated on, and what the table shows, for a set of records."""
    with_results = [r for r in records if "resultsSection" in r]
    out: Json = {
        "studies": len(records),
        "results_fraction": len(with_results) / len(records),
        "modules": {
            name: sum(at(r, path) is not None for r in records) / len(records)
            for name, path in MODULES
        },
        "lengths": {
            name: lengths(with_results if results_only else records, path)
            for name, path, results_only in LISTS
        },
        "json_bytes": [len(json.dumps(r, separators=(",", ":"))) for r in records],
    }
    # a reference list is drawn only where the module is there
    out["lengths"]["references"] = [n for n in out["lengths"]["references"] if n]
    return out


def triples_per_study(records: list[Json]) -> list[int]:
    """Triples the importer maps from each record (the view and the record's graph)."""
    from evidencegraph.ingest.ctgov import map_study

    return [len(map_study(r, f"record[{i}]").triples) for i, r in enumerate(records)]


def summary(values: list[int]) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    return (
        f"{statistics.mean(values):.1f} / {statistics.median(values):g} / "
        f"{ordered[int(0.9 * (len(ordered) - 1))]} / {ordered[-1]}"
    )


def table(real: Json, generated: Json, real_triples: list[int], gen_triples: list[int]) -> str:
    rows = [
        "| figure | real (whole records) | generated (calibrated) | generator draws it from |",
        "|---|---:|---:|---|",
        f"| studies | {real['studies']} | {generated['studies']} | |",
        f"| share with results | {real['results_fraction']:.3f} "
        f"| {generated['results_fraction']:.3f} | the real share |",
    ]
    for name, _ in MODULES:
        rows.append(
            f"| share with {name} | {real['modules'][name]:.2f} "
            f"| {generated['modules'][name]:.2f} | the real share |"
        )
    rows.append(
        f"| triples per study (mean / median / p90 / max) | {summary(real_triples)} "
        f"| {summary(gen_triples)} | the sum of what follows |"
    )
    rows.append(
        f"| JSON bytes per study (mean / median / p90 / max) | {summary(real['json_bytes'])} "
        f"| {summary(generated['json_bytes'])} | |"
    )
    for name, _, results_only in LISTS:
        where = " (studies with results)" if results_only else ""
        how = "the real lengths" if name in DRAWN else "its own tables (not calibrated)"
        rows.append(
            f"| {name.replace('_', ' ')}{where}: mean / median / p90 / max "
            f"| {summary(real['lengths'][name])} | {summary(generated['lengths'][name])} | {how} |"
        )
    return "\n".join(rows)


def calibration_data(real: Json) -> Json:
    """What the generator reads: shares and the real lengths it draws from."""
    return {
        "_source": (
            "computed by bench/calibrate_ctgov.py from the whole real API v2 records of "
            "shared/data/real (ctgov_v2, ctgov_v2_more); do not edit by hand"
        ),
        "studies": real["studies"],
        "results_fraction": round(real["results_fraction"], 4),
        "modules": {name: round(share, 4) for name, share in real["modules"].items()},
        "lengths": {name: real["lengths"][name] for name in DRAWN},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--studies", type=int, default=2000, help="generated studies compared")
    parser.add_argument("--write-data", action="store_true", help=f"write {DATA.name}")
    parser.add_argument("--write", type=Path, help="write the table into this Markdown file")
    args = parser.parse_args()
    records = whole_records()
    real = figures(records)
    if args.write_data:
        DATA.write_text(json.dumps(calibration_data(real), indent=1) + "\n", encoding="utf-8")
        generate_ctgov.reload_calibration()
    generated_records = list(generate_ctgov.iter_studies(args.studies, seed=7))
    generated = figures(generated_records)
    count: Callable[[list[Json]], list[int]] = triples_per_study
    text = table(real, generated, count(records), count(generated_records))
    print(text)
    if args.write:
        section = "\n".join(
            [
                BEGIN,
                f"Run `{run_id()}`. Command: `python bench/calibrate_ctgov.py --write-data "
                f"--studies {args.studies} --write {args.write}`.",
                "",
                text,
                END,
            ]
        )
        replace_section(args.write, BEGIN, END, section)


if __name__ == "__main__":
    main()
