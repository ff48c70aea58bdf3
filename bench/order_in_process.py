"""Named queries with their final ORDER BY sorted in this process against sorted by Oxigraph
(decision 0032), on one store, in one process.

For each named query whose text ends with ``ORDER BY``: the package's path
(``OxigraphStore.query``: the text run without the clause, the rows sorted in Python) and the
engine's sort (the same text with a ``LIMIT`` after the ``ORDER BY``, which keeps the sort in
Oxigraph), each run once to warm the store, then alternately ``--repeat`` times: CPU ms of this
process, median. Both give rdflib rows; the bench checks that both give the same rows and the
same keys in the same order (rows whose keys are equal may differ in order).

With ``--worker`` the package's path is a server worker's instead (``QueryJob.run``: the answer
written as SPARQL TSV, its lines sorted, then written as SPARQL JSON), the engine's the same job
on the text with the ``LIMIT``; both give the JSON bytes a client gets.

Run:  nice python bench/order_in_process.py --store STORE --repeat 21 [--queries NAME ...]
      [--worker] [--label TEXT] [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from rdflib.term import Node

from common import machine, replace_section, run_id, versions  # type: ignore[import-not-found]
from evidencegraph.queries import library
from evidencegraph.rdf.results import QueryResult
from evidencegraph.rdf.terms import to_oxigraph
from evidencegraph.server.evaluate import QueryJob
from evidencegraph.store.core import OxigraphStore
from evidencegraph.store.solution_order import split_final_order

BEGIN, END = "<!-- order-in-process:begin -->", "<!-- order-in-process:end -->"
WORKER_BEGIN, WORKER_END = "<!-- order-in-worker:begin -->", "<!-- order-in-worker:end -->"
ENGINE_SORTS = "\nLIMIT 1000000000"


def same_answer(ours: QueryResult, engines: QueryResult, keys: list[str]) -> bool:
    def rows(result: QueryResult) -> Counter[tuple[tuple[str, object], ...]]:
        return Counter(tuple(sorted(row.items())) for row in result.rows)

    def key_sequence(result: QueryResult) -> list[tuple[object, ...]]:
        return [tuple(row.get(key) for key in keys) for row in result.rows]

    return rows(ours) == rows(engines) and key_sequence(ours) == key_sequence(engines)


def same_json(ours: bytes, engines: bytes, keys: list[str]) -> bool:
    """:func:`same_answer` for two SPARQL JSON answers."""

    def bindings(body: bytes) -> list[dict[str, dict[str, str]]]:
        return list(json.loads(body)["results"]["bindings"])

    def row(binding: dict[str, dict[str, str]]) -> str:
        return json.dumps(binding, sort_keys=True)

    def key_sequence(body: bytes) -> list[list[str]]:
        return [[row(b.get(key, {})) for key in keys] for b in bindings(body)]

    same_rows = Counter(map(row, bindings(ours))) == Counter(map(row, bindings(engines)))
    return same_rows and key_sequence(ours) == key_sequence(engines)


class Runner:
    """One named query run both ways: ``here()`` the package's path, ``there()`` the engine's;
    each returns something ``same`` compares and ``rows`` counts."""

    def __init__(
        self,
        store: OxigraphStore,
        text: str,
        bound: Mapping[str, Node],
        keys: list[str],
        worker: bool,
    ):
        self.keys = keys
        if worker:
            substitutions = tuple((name, to_oxigraph(term)) for name, term in bound.items())
            self.here = lambda: QueryJob(text, substitutions, "json", None, 0).run(store).body
            self.there = lambda: (
                QueryJob(text + ENGINE_SORTS, substitutions, "json", None, 0).run(store).body
            )
        else:
            self.here = lambda: store.query(text, bound)
            self.there = lambda: store.query(text + ENGINE_SORTS, bound)
        self.worker = worker

    def same(self, ours: object, engines: object) -> bool:
        if self.worker:
            return same_json(ours, engines, self.keys)  # type: ignore[arg-type]
        return same_answer(ours, engines, self.keys)  # type: ignore[arg-type]

    def rows(self, answer: object) -> int:
        if self.worker:
            return len(json.loads(answer)["results"]["bindings"])  # type: ignore[arg-type]
        return len(answer.rows)  # type: ignore[attr-defined]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--store", type=Path, required=True, help="an Oxigraph store directory")
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--queries", nargs="*", help="named queries (default: every one)")
    parser.add_argument("--label", default="", help="what the store holds, for the report")
    parser.add_argument(
        "--worker", action="store_true", help="a server worker's path (QueryJob), SPARQL JSON"
    )
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
        runner = Runner(store, text, bound, keys, args.worker)
        ours, engines = runner.here(), runner.there()
        same = runner.same(ours, engines)
        failed |= not same
        here: list[float] = []
        there: list[float] = []
        for _ in range(args.repeat):
            started = time.process_time()
            runner.here()
            here.append(1000 * (time.process_time() - started))
            started = time.process_time()
            runner.there()
            there.append(1000 * (time.process_time() - started))
        rows = runner.rows(ours)
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
            f"--repeat {args.repeat}{' --worker' if args.worker else ''}`. Store: "
            f"{args.label or args.store.name}, opened read-only.",
            "",
            f"Machine: {machine()}, shared; CPU ms of the process, median of {args.repeat} runs "
            f"of each, alternating, after a warm-up. Packages: {versions(['pyoxigraph'])}. "
            "Engine: the text with a LIMIT after its ORDER BY, so Oxigraph sorts; here: the "
            + (
                "server worker's path (`QueryJob.run`, SPARQL JSON), the TSV lines sorted in "
                "Python (decision 0032). "
                if args.worker
                else "package's path, the rows sorted in Python (decision 0032). "
            )
            + "Same: the same rows, and the same keys in the same order.",
            "",
            "| query | rows | ORDER BY | engine sorts | sorted here | ratio | µs a row (here) "
            "| same | load |",
            "|---|---:|---|---:|---:|---:|---:|---|---:|",
            *lines,
            END,
        ]
    )
    if args.worker:
        section = section.replace(BEGIN, WORKER_BEGIN).replace(END, WORKER_END)
    if args.write:
        replace_section(
            args.write, *((WORKER_BEGIN, WORKER_END) if args.worker else (BEGIN, END)), section
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
