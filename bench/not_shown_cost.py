"""Where source-disagreements' time goes (decision 0030): the named query as the CLI runs it,
the engine alone, and the engine without the ORDER BY.

On a store opened read-only (bench/registry_store.py builds one, with the marks), each is run
once to warm the store, then ``--repeat`` times: CPU ms of this process, minimum and median.
"The named query" is ``EvidenceGraph.run``: the marks check, Oxigraph's evaluation and the rows
made into rdflib terms (what query_scale.py measures). "The engine" is pyoxigraph's
evaluation of the same text with every row read, no conversion.

Run:  nice python bench/not_shown_cost.py --store STORE --repeat 15
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.queries import get_query
from evidencegraph.store.core import OxigraphStore

#: Where the query's ORDER BY starts (its comment says why it costs what it does).
ORDER_BY = "\nORDER BY"


def timed(run: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Minimum and median CPU ms of ``repeat`` runs after a warm-up."""
    run()
    times = []
    for _ in range(repeat):
        started = time.process_time()
        run()
        times.append(1000 * (time.process_time() - started))
    return round(min(times), 1), round(statistics.median(times), 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--store", type=Path, required=True, help="an Oxigraph store directory")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    graph = EvidenceGraph(OxigraphStore(args.store, read_only=True))
    query = get_query("source-disagreements")
    text, _bindings = query.prepare({})
    unordered = text[: text.index(ORDER_BY)]
    native = graph.store.native  # type: ignore[attr-defined]
    about = {ox.Variable("about"): ox.Literal("any")}
    figures = {
        "rows": len(graph.run(query).rows),
        "named_query_ms": timed(lambda: graph.run(query), args.repeat),
        "engine_ms": timed(lambda: list(native.query(text, substitutions=about)), args.repeat),
        "engine_unordered_ms": timed(
            lambda: list(native.query(unordered, substitutions=about)), args.repeat
        ),
        "load": round(os.getloadavg()[0], 1),
    }
    print(json.dumps(figures))
    graph.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
