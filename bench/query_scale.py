"""Every named query at registry scale, before and after (issue 21): CPU ms and rows.

On a store opened read-only (bench/registry_store.py builds one), each named query with its
default parameters runs in two versions in the same process: the texts as they were before
issue 21 (bench/data/queries-before/*.rq, copied from the package at the start of the work)
and the package's texts now. Each is run once to warm the store, then ``--repeat`` times; the
figure is the median CPU time of this process (time.process_time: the machine is shared, CPU
seconds are the steadier figure) with the load average. The rows of the two versions are
compared as multisets (goal 3: the answers exactly the same); a difference is reported and the
exit status is 1.

Run:  nice python bench/query_scale.py --store reg100k.db --write docs/benchmarks.md
      (``--before DIR``: compare with the texts in DIR instead, such as another commit's
      ``src/evidencegraph/queries`` exported with ``git archive``)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from common import machine, replace_section, run_id, versions  # type: ignore[import-not-found]
from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.queries import NamedQuery, library, parse_query

HERE = Path(__file__).parent
BEFORE = HERE / "data" / "queries-before"
BEGIN, END = "<!-- query-scale:begin -->", "<!-- query-scale:end -->"

Row = tuple[tuple[str, str], ...]

#: --names-as-nodes: the name lookups of the default parameters, replaced by the nodes they
#: find (what the queries would cost if a name were one index lookup; decision 0025)
_DRUG_LOOKUP = re.compile(r"\{\s*SELECT \?drug \?drugConcept WHERE \{.*?\}\s*\}", re.S)
_CONDITION_LOOKUP = re.compile(r"\{\s*SELECT \?condition \?conditionNode WHERE \{.*?\}\s*\}", re.S)
_ID = "https://w3id.org/evidencegraph/id/"
_DRUG_NODE = "{ VALUES ?drugConcept { <" + _ID + "drug/ketamine> } }"
_CONDITION_NODE = "{ VALUES ?conditionNode { <" + _ID + "condition/alcohol-use-disorder> } }"


def names_as_nodes(query: NamedQuery) -> NamedQuery | None:
    """The query with its name lookups replaced by the default names' nodes; None if it has
    none."""
    text = _DRUG_LOOKUP.sub(_DRUG_NODE, query.text)
    text = _CONDITION_LOOKUP.sub(_CONDITION_NODE, text)
    return None if text == query.text else parse_query(text, query.name)


def timed(graph: EvidenceGraph, query: NamedQuery, repeat: int) -> tuple[float, list[Row]]:
    """Median CPU ms of ``repeat`` runs after a warm-up, and the rows."""
    rows = answer(graph, query)
    times = []
    for _ in range(repeat):
        started = time.process_time()
        answer(graph, query)
        times.append(1000 * (time.process_time() - started))
    return statistics.median(times), rows


def answer(graph: EvidenceGraph, query: NamedQuery) -> list[Row]:
    """The rows, every value as N-Triples-like text (so rows compare whatever the terms)."""
    result = graph.run(query)
    return [
        tuple(sorted((str(name), repr(value)) for name, value in row.items() if value is not None))
        for row in result.rows
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--store", type=Path, required=True, help="an Oxigraph store directory")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--queries", nargs="*", help="only these (default: every named query)")
    parser.add_argument("--no-before", action="store_true", help="only the package's texts")
    parser.add_argument(
        "--before",
        type=Path,
        default=BEFORE,
        help="the folder of the texts to compare with (default: bench/data/queries-before; "
        "a git archive's src/evidencegraph/queries for the texts of another commit)",
    )
    parser.add_argument(
        "--names-as-nodes",
        action="store_true",
        help="also time each query with its name lookups replaced by the nodes they find",
    )
    parser.add_argument("--label", default="", help="what the store holds, for the report")
    parser.add_argument("--write", type=Path, help="docs/benchmarks.md: replace our section")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    parser.add_argument(
        "--merge", type=Path, help="an earlier run's --json: its other queries' rows are kept"
    )
    args = parser.parse_args()
    now = library()
    names = args.queries or sorted(now)
    figures: list[dict[str, object]] = []
    differ = 0
    with EvidenceGraph.open(f"oxigraph:{args.store}", read_only=True) as graph:
        triples = len(graph.store)
        # Every package text first, then every text from before: a text from before that reads
        # the whole store leaves the caches cold for whatever runs next, which made the
        # package's column noisier than the texts' difference when the two alternated.
        answers: dict[str, list[Row]] = {}
        for name in names:
            entry: dict[str, object] = {"query": name}
            entry["after_ms"], answers[name] = timed(graph, now[name], args.repeat)
            entry["rows"] = len(answers[name])
            shortcut = names_as_nodes(now[name]) if args.names_as_nodes else None
            if shortcut is not None:
                entry["names_as_nodes_ms"], short_rows = timed(graph, shortcut, args.repeat)
                entry["names_as_nodes_same"] = Counter(short_rows) == Counter(answers[name])
            entry["load"] = f"{os.getloadavg()[0]:.1f}"
            figures.append(entry)
        for entry in figures:
            name = str(entry["query"])
            before_file = args.before / f"{name}.rq"
            if not args.no_before and before_file.exists():
                old = parse_query(before_file.read_text(encoding="utf-8"), name)
                entry["before_ms"], old_rows = timed(graph, old, args.repeat)
                entry["same"] = Counter(old_rows) == Counter(answers[name])
                differ += not entry["same"]
            print(json.dumps(entry), flush=True)
    if args.merge:  # the earlier run's figures, with the queries run now in their place
        run_now = {f["query"]: f for f in figures}
        earlier = json.loads(args.merge.read_text(encoding="utf-8"))
        figures = [run_now.pop(f["query"], f) for f in earlier] + list(run_now.values())
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    if args.write:
        replace_section(args.write, BEGIN, END, section(figures, args, triples))
    return 1 if differ else 0


def section(figures: list[dict[str, object]], args: argparse.Namespace, triples: int) -> str:
    lines = [
        BEGIN,
        f"Run `{run_id()}`. Command: `nice python bench/query_scale.py --store {args.store}"
        + (f" --label '{args.label}'" if args.label else "")
        + f" --write {args.write}`. Store: {args.label or args.store}, {triples:,} triples in the"
        " view, opened read-only.",
        "",
        f"Machine: {machine()}, shared; CPU ms of the process (median of {args.repeat} after a"
        " warm-up run), with the load average (1 min) when the query was done. Packages: "
        f"{versions(['pyoxigraph'])}. Before: the texts of bench/data/queries-before/ (as they"
        " were before issue 21); after: the package's. Same: the two answers are the same rows"
        " (as multisets). Names as nodes (with --names-as-nodes): the query with its drug and"
        " condition name lookups replaced by the nodes they find (decision 0025's name keys"
        " would make a lookup about that cheap).",
        "",
        "| query | rows | before | after | before / after | µs a row (after) | same "
        "| names as nodes | load |",
        "|---|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for f in figures:
        before, after, rows = f.get("before_ms"), float(f["after_ms"]), int(f["rows"])  # type: ignore[arg-type]
        ratio = f"{float(before) / after:.0f}x" if before is not None and after else "-"  # type: ignore[arg-type]
        lines.append(
            f"| {f['query']} | {rows:,} | "
            + (f"{float(before):,.1f} ms" if before is not None else "-")  # type: ignore[arg-type]
            + f" | {after:,.1f} ms | {ratio} | "
            + (f"{1000 * after / rows:,.0f}" if rows > 100 else "-")
            + f" | {'yes' if f.get('same', True) else 'NO'} | "
            + (f"{float(f['names_as_nodes_ms']):,.1f} ms" if "names_as_nodes_ms" in f else "-")  # type: ignore[arg-type]
            + f" | {f['load']} |"
        )
    lines.append(END)
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
