"""Named queries with their final ORDER BY sorted in this process against sorted by Oxigraph
(decision 0032), on one store, in one process.

For each named query whose text ends with ``ORDER BY``: the package's path
(``OxigraphStore.query``: the text run without the clause, the rows sorted in Python) and the
engine's sort (the same text with a ``LIMIT`` after the ``ORDER BY``, which keeps the sort in
Oxigraph), each run once to warm the store, then alternately ``--repeat`` times: CPU ms of this
process, median. Both give rdflib rows; the bench checks that both give the same rows and the
same keys in the same order (rows whose keys are equal may differ in order).

Run:  nice python bench/order_in_process.py --store STORE --repeat 21 [--queries NAME ...]
      [--label TEXT] [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from common import machine, replace_section, run_id, versions  # type: ignore[import-not-found]
from evidencegraph.queries import library
from evidencegraph.rdf.results import QueryResult
from evidencegraph.store.core import OxigraphStore
from evidencegraph.store.solution_order import split_final_order

BEGIN, END = "<!-- order-in-process:begin -->", "<!-- order-in-process:end -->"
ENGINE_SORTS = "\nLIMIT 1000000000"


def same_answer(ours: QueryResult, engines: QueryResult, keys: list[str]) -> bool:
    def rows(result: QueryResult) -> Counter[tuple[tuple[str, object], ...]]:
        return Counter(tuple(sorted(row.items())) for row in result.rows)

    def key_sequence(result: QueryResult) -> list[tuple[object, ...]]:
        return [tuple(row.get(key) for key in keys) for row in result.rows]

    return rows(ours) == rows(engines) and key_sequence(ours) == key_sequence(engines)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--store", type=Path, required=True, help="an Oxigraph store directory")
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--queries", nargs="*", help="named queries (default: every one)")
    parser.add_argument("--label", default="", help="what the store holds, for the report")
    parser.add_argument("--write", type=Path, help="put the table in this Markdown file")
    args = parser.parse_args()
    store = OxigraphStore(args.store, read_only=True)
    lines = []
    failed = False
    for name, query in sorted(library().items()):
        if args.queries and name not in args.queries:
            continue
        text, bound = query.prepare({})
        final_order = split_final_order(text)
        if final_order is None:
            continue
        keys = [key.variable for key in final_order.keys]
        ours, engines = store.query(text, bound), store.query(text + ENGINE_SORTS, bound)
        same = same_answer(ours, engines, keys)
        failed |= not same
        here: list[float] = []
        there: list[float] = []
        for _ in range(args.repeat):
            started = time.process_time()
            store.query(text, bound)
            here.append(1000 * (time.process_time() - started))
            started = time.process_time()
            store.query(text + ENGINE_SORTS, bound)
            there.append(1000 * (time.process_time() - started))
        rows = len(ours.rows)
        mine, theirs = statistics.median(here), statistics.median(there)
        line = (
            f"| {name} | {rows:,} | {', '.join(keys)} | {theirs:,.1f} ms | {mine:,.1f} ms | "
            f"{theirs / mine:.2f}x | {1000 * mine / rows if rows else 0:,.0f} | "
            f"{'yes' if same else '**no**'} | {os.getloadavg()[0]:.1f} |"
        )
        print(line, flush=True)
        lines.append(line)
    store.close()
    section = "\n".join(
        [
            BEGIN,
            f"Run `{run_id()}`. Command: `nice python bench/order_in_process.py --store STORE "
            f"--repeat {args.repeat}`. Store: {args.label or args.store.name}, opened read-only.",
            "",
            f"Machine: {machine()}, shared; CPU ms of the process, median of {args.repeat} runs "
            f"of each, alternating, after a warm-up. Packages: {versions(['pyoxigraph'])}. "
            "Engine: the text with a LIMIT after its ORDER BY, so Oxigraph sorts; here: the "
            "package's path, the rows sorted in Python (decision 0032). Same: the same rows, "
            "and the same keys in the same order.",
            "",
            "| query | rows | ORDER BY | engine sorts | sorted here | ratio | µs a row (here) "
            "| same | load |",
            "|---|---:|---|---:|---:|---:|---:|---|---:|",
            *lines,
            END,
        ]
    )
    if args.write:
        replace_section(args.write, BEGIN, END, section)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
