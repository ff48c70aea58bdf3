"""The same generated studies in DuckDB, with an AACT-like schema, against the named queries
(issue 21 goal 0): the same answer sets, and the CPU ms of each, in one run.

The studies are those bench/registry_store.py writes for the same --studies, --seed and
--dense (give its store with --store). For DuckDB they are generated again and put in the
tables a ClinicalTrials.gov user has in AACT: studies, design_groups, interventions,
design_group_interventions, conditions, browse tables, and the names of each drug and
condition (AACT's intervention_other_names and MeSH terms). What the graph decides at import
time the tables get at load time the same way, from the importer's own mapping
(ingest/ctgov.map_study): which drug an intervention gives, which intervention is a
psychotherapy (the intervention-type scheme: egv:Psychotherapy and every narrower type), which
arm receives which intervention, which condition a study names. The queries then differ only in
the engine.

Answers compared: drug-with-psychotherapy (condition any): the (NCT id, arm) pairs, from SQL
that gives those two columns only; then every column the named query gives that AACT holds
(title, therapies, registry ids, comparator arms, the arms that isolate the therapy, the
source), from SQL that gives them all, each list compared as a set; ongoing-trials: the NCT
ids. Only the generated studies count on our side (the curated trials are not
in DuckDB). DuckDB runs on a file database, one connection, each query warmed once then the
median of --repeat runs of this process's CPU time (DuckDB's threads included), like ours.

Run:  nice python bench/registry_store.py --studies 20000 --dense --out /tmp/dense20k
      nice python bench/duckdb_compare.py --studies 20000 --dense --store /tmp/dense20k \
          --write docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from common import machine, replace_section, run_id, versions  # type: ignore[import-not-found]
from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.ingest.ctgov import _psychotherapy_concepts, map_study
from evidencegraph.ontology.namespace import EG
from generate_ctgov import encode, iter_studies  # type: ignore[import-not-found]

BEGIN, END = "<!-- duckdb-compare:begin -->", "<!-- duckdb-compare:end -->"
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
_ALT = "http://www.w3.org/2004/02/skos/core#altLabel"
_TITLE = "http://purl.org/dc/terms/title"

SCHEMA = """
CREATE TABLE studies (nct_id VARCHAR PRIMARY KEY, title VARCHAR, overall_status VARCHAR,
                      enrollment INTEGER);
CREATE TABLE design_groups (id VARCHAR PRIMARY KEY, nct_id VARCHAR, title VARCHAR);
CREATE TABLE interventions (id VARCHAR PRIMARY KEY, nct_id VARCHAR, name VARCHAR,
                            drug_id VARCHAR, is_psychotherapy BOOLEAN);
CREATE TABLE design_group_interventions (design_group_id VARCHAR, intervention_id VARCHAR);
CREATE TABLE drug_names (drug_id VARCHAR, name VARCHAR);
CREATE TABLE conditions (nct_id VARCHAR, condition_id VARCHAR);
CREATE TABLE condition_names (condition_id VARCHAR, name VARCHAR);
CREATE TABLE id_information (nct_id VARCHAR, id_value VARCHAR);
"""

#: drug-with-psychotherapy, condition any: arms that receive the drug and a psychotherapy.
FLAGSHIP = """
SELECT DISTINCT s.nct_id, g.title
FROM drug_names dn
JOIN interventions d ON d.drug_id = dn.drug_id
JOIN design_group_interventions gd ON gd.intervention_id = d.id
JOIN design_group_interventions gt ON gt.design_group_id = gd.design_group_id
JOIN interventions t ON t.id = gt.intervention_id AND t.is_psychotherapy
JOIN design_groups g ON g.id = gd.design_group_id
JOIN studies s ON s.nct_id = g.nct_id
WHERE lower(dn.name) = lower(?)
"""

#: drug-with-psychotherapy, condition any, every column the named query gives that AACT holds:
#: the title, the arm, its psychotherapies, the study's registry ids (AACT's id_information),
#: the other arms, those that get the same drug intervention without the therapy, and the
#: record as the source (the generated studies have no other). Each list sorted.
FLAGSHIP_ROWS = """
WITH drug_arms AS (
  SELECT DISTINCT gd.design_group_id AS arm_id, d.id AS drug_intervention
  FROM drug_names dn
  JOIN interventions d ON d.drug_id = dn.drug_id
  JOIN design_group_interventions gd ON gd.intervention_id = d.id
  WHERE lower(dn.name) = lower(?)
),
paired AS (
  SELECT a.arm_id, a.drug_intervention, t.id AS therapy_id, t.name AS therapy
  FROM drug_arms a
  JOIN design_group_interventions gt ON gt.design_group_id = a.arm_id
  JOIN interventions t ON t.id = gt.intervention_id AND t.is_psychotherapy
)
SELECT s.nct_id, g.title AS arm, s.title,
  (SELECT string_agg(DISTINCT p.therapy, '; ' ORDER BY p.therapy)
     FROM paired p WHERE p.arm_id = g.id) AS therapy,
  (SELECT string_agg(DISTINCT i.id_value, '; ' ORDER BY i.id_value)
     FROM id_information i WHERE i.nct_id = s.nct_id) AS registry_ids,
  (SELECT string_agg(DISTINCT o.title, '; ' ORDER BY o.title)
     FROM design_groups o WHERE o.nct_id = s.nct_id AND o.id <> g.id) AS comparator,
  (SELECT string_agg(DISTINCT o.title, '; ' ORDER BY o.title)
     FROM design_groups o
     WHERE o.nct_id = s.nct_id AND o.id <> g.id AND EXISTS (
       SELECT 1 FROM paired p
       JOIN design_group_interventions x
         ON x.design_group_id = o.id AND x.intervention_id = p.drug_intervention
       WHERE p.arm_id = g.id AND NOT EXISTS (
         SELECT 1 FROM design_group_interventions y
         WHERE y.design_group_id = o.id AND y.intervention_id = p.therapy_id))
  ) AS therapy_comparator,
  'ClinicalTrials.gov record ' || s.nct_id AS sources
FROM (SELECT DISTINCT arm_id FROM paired) a
JOIN design_groups g ON g.id = a.arm_id
JOIN studies s ON s.nct_id = g.nct_id
ORDER BY s.title, g.title
"""

#: ongoing-trials: studies of the condition with an arm that receives the drug, ongoing.
ONGOING_TRIALS = """
SELECT DISTINCT s.nct_id
FROM drug_names dn
JOIN interventions d ON d.drug_id = dn.drug_id
JOIN design_group_interventions gd ON gd.intervention_id = d.id
JOIN design_groups g ON g.id = gd.design_group_id
JOIN studies s ON s.nct_id = g.nct_id
JOIN conditions c ON c.nct_id = s.nct_id
JOIN condition_names cn ON cn.condition_id = c.condition_id
WHERE lower(dn.name) = lower(?) AND lower(cn.name) = lower(?)
  AND s.overall_status IN ('RECRUITING', 'NOT_YET_RECRUITING', 'ACTIVE_NOT_RECRUITING',
                           'ENROLLING_BY_INVITATION', 'SUSPENDED')
"""


def tables(n: int, *, dense: bool, seed: int) -> dict[str, list[tuple[Any, ...]]]:
    """The AACT-like rows of n generated studies, classified by the importer's mapping."""
    rows: dict[str, list[tuple[Any, ...]]] = {
        name: []
        for name in (
            "studies",
            "design_groups",
            "interventions",
            "design_group_interventions",
            "drug_names",
            "conditions",
            "condition_names",
            "id_information",
        )
    }
    psychotherapy = {str(c) for c in _psychotherapy_concepts()}
    names_seen: set[tuple[str, str, str]] = set()
    for study in iter_studies(n, seed, dense=dense):
        content = json.loads(encode(study, None))
        protocol = content["protocolSection"]
        nct = protocol["identificationModule"]["nctId"]
        mapped = map_study(content, nct)
        about: dict[str, dict[str, list[str]]] = {}
        for s, p, o in mapped.triples:
            about.setdefault(s.value, {}).setdefault(p.value, []).append(o.value)
        study_node = next(
            s
            for s, props in about.items()
            if str(EG.Study) in props.get(_RDF_TYPE, ())
            or str(EG.Trial) in props.get(_RDF_TYPE, ())
        )
        props = about[study_node]
        for identifier in (EG.nctId, EG.eudractNumber, EG.isrctn):
            rows["id_information"] += [(nct, value) for value in props.get(str(identifier), ())]
        enrolment = (protocol.get("designModule") or {}).get("enrollmentInfo", {}).get("count")
        rows["studies"].append(
            (
                nct,
                (props.get(_TITLE) or [None])[0],
                (protocol.get("statusModule") or {}).get("overallStatus"),
                enrolment,
            )
        )
        for arm in props.get(str(EG.hasArm), ()):
            rows["design_groups"].append((arm, nct, (about[arm].get(_LABEL) or [""])[0]))
            for given in about[arm].get(str(EG.receives), ()):
                rows["design_group_interventions"].append((arm, given))
        for node in props.get(str(EG.studiesIntervention), ()):
            its = about.get(node, {})
            drug = (its.get(str(EG.drug)) or [None])[0]
            kinds = its.get(str(EG.interventionType), ())
            rows["interventions"].append(
                (
                    node,
                    nct,
                    (its.get(_LABEL) or [""])[0],
                    drug,
                    any(kind in psychotherapy for kind in kinds),
                )
            )
            if drug is not None:
                for name in about.get(drug, {}).get(_LABEL, []) + about.get(drug, {}).get(_ALT, []):
                    if ("drug", drug, name) not in names_seen:
                        names_seen.add(("drug", drug, name))
                        rows["drug_names"].append((drug, name))
        for condition in props.get(str(EG.studiesCondition), ()):
            rows["conditions"].append((nct, condition))
            names = about.get(condition, {})
            for name in names.get(_LABEL, []) + names.get(_ALT, []):
                if ("condition", condition, name) not in names_seen:
                    names_seen.add(("condition", condition, name))
                    rows["condition_names"].append((condition, name))
    return rows


#: the parameters every query is asked with (the named queries' defaults)
DRUG, CONDITION = "ketamine", "alcohol use disorder"
_FLAGSHIP_KEYS = ("drug-with-psychotherapy", FLAGSHIP, [DRUG], ("trial", "arm"))
#: the flagship's columns, in FLAGSHIP_ROWS' order
_FLAGSHIP_ROW_KEYS = (
    "drug-with-psychotherapy",
    FLAGSHIP_ROWS,
    [DRUG],
    (
        "trial",
        "arm",
        "title",
        "therapy",
        "registryIds",
        "comparator",
        "therapyComparator",
        "sources",
    ),
)
#: the columns whose value is a list ("a; b"): compared as sets (the named query's
#: GROUP_CONCAT has no order, SQL's string_agg is sorted)
_LISTS = {"therapy", "registryIds", "comparator", "therapyComparator", "sources"}


def _comparable(column: str, value: object) -> object:
    """A value of either side in a form both give alike: the trial by its NCT id, a list as
    the set of its items, an absent list as empty."""
    text = "" if value is None else str(value)
    if column == "trial":
        return text.rsplit("/", 1)[-1]
    if column in _LISTS:
        return frozenset(item for item in text.split("; ") if item)
    return text


def cpu_ms(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    answer = run()
    times = []
    for _ in range(repeat):
        started = time.process_time()
        run()
        times.append(1000 * (time.process_time() - started))
    return statistics.median(times), answer


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--studies", type=int, required=True)
    parser.add_argument("--dense", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--store", type=Path, required=True, help="registry_store.py's store")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--write", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="duckdb-") as work:
        database = Path(work) / "aact.duckdb"
        started = time.process_time()
        rows = tables(args.studies, dense=args.dense, seed=args.seed)
        connection = duckdb.connect(str(database))
        connection.execute(SCHEMA)
        for name, values in rows.items():
            if values:
                marks = ", ".join("?" * len(values[0]))
                # the table names are this module's own constants, the values parameters
                insert = f"INSERT INTO {name} VALUES ({marks})"  # noqa: S608
                connection.executemany(insert, values)
        connection.execute("CHECKPOINT")
        load_s = time.process_time() - started
        duck_mb = database.stat().st_size / 2**20
        figures: list[dict[str, Any]] = []
        with EvidenceGraph.open(f"oxigraph:{args.store}", read_only=True) as graph:
            for label, name, sql, params, key in (
                ("drug-with-psychotherapy", *_FLAGSHIP_KEYS),
                ("drug-with-psychotherapy, every column", *_FLAGSHIP_ROW_KEYS),
                ("ongoing-trials", "ongoing-trials", ONGOING_TRIALS, [DRUG, CONDITION], ("trial",)),
            ):
                duck_ms, duck_rows = cpu_ms(
                    lambda sql=sql, params=params: connection.execute(sql, params).fetchall(),
                    args.repeat,
                )
                ours_ms, result = cpu_ms(lambda name=name: graph.run(name).rows, args.repeat)
                ours = {
                    tuple(_comparable(k, row.get(k)) for k in key)
                    for row in result
                    if "/study/NCT9" in str(row["trial"])
                }
                theirs = {
                    tuple(_comparable(k, v) for k, v in zip(key, r, strict=True)) for r in duck_rows
                }
                entry = {
                    "query": label,
                    "rows": len(result),
                    "answers": len(ours),
                    "same": ours == theirs,
                    "ours_ms": ours_ms,
                    "duckdb_ms": duck_ms,
                    "load": f"{os.getloadavg()[0]:.1f}",
                }
                if ours != theirs:
                    entry["only_ours"] = sorted(ours - theirs)[:5]
                    entry["only_duckdb"] = sorted(theirs - ours)[:5]
                figures.append(entry)
                # a list column's value is a frozenset: printed sorted
                print(json.dumps(entry, default=sorted), flush=True)
        connection.close()
    store_mb = sum(f.stat().st_size for f in args.store.rglob("*") if f.is_file()) / 2**20
    if args.write:
        replace_section(args.write, BEGIN, END, section(figures, args, load_s, duck_mb, store_mb))
    return 0 if all(f["same"] for f in figures) else 1


def section(
    figures: list[dict[str, Any]],
    args: argparse.Namespace,
    load_s: float,
    duck_mb: float,
    store_mb: float,
) -> str:
    mode = " --dense" if args.dense else ""
    lines = [
        BEGIN,
        f"Run `{run_id()}`. Commands: `nice python bench/registry_store.py --studies "
        f"{args.studies}{mode} --out STORE`, then `nice python bench/duckdb_compare.py --studies "
        f"{args.studies}{mode} --store STORE --write {args.write}`.",
        "",
        f"Machine: {machine()}, shared (load average with each row). Packages: "
        f"{versions(['pyoxigraph', 'duckdb'])}. CPU ms of this process, median of "
        f"{args.repeat} after a warm-up; DuckDB on a file database ({duck_mb:,.0f} MiB, loaded "
        f"in {load_s:,.0f} s of CPU with the mapping), evidencegraph on the store "
        f"({store_mb:,.0f} MiB). Same: the answer sets agree (drug-with-psychotherapy: NCT id "
        "and arm, the SQL giving those two columns alone; drug-with-psychotherapy, every "
        "column: the rows the named query gives, each column compared, a list as the set of its "
        "items; ongoing-trials: NCT id; generated studies only). The named query gives every "
        "column each time: the first row's SQL does less than it.",
        "",
        "| query | rows (ours) | evidencegraph | DuckDB | DuckDB / ours | same | load |",
        "|---|---:|---:|---:|---:|---|---:|",
    ]
    for f in figures:
        lines.append(
            f"| {f['query']} | {f['rows']:,} | {f['ours_ms']:,.1f} ms | {f['duckdb_ms']:,.1f} ms "
            f"| {f['duckdb_ms'] / f['ours_ms']:.2f} | {'yes' if f['same'] else 'NO'} "
            f"| {f['load']} |"
        )
    lines.append(END)
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
