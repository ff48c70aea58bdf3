"""What one more value a row costs Oxigraph: the floor under a large answer (issue 21 goal 2).

Four listings over every trial of a store, each one pattern longer than the last (the trials;
their titles; their arms; the arms' labels), each a for-loop join from the rows before it, as
the named queries' details are. Each is run once to warm the store, then ``--repeat`` times:
CPU ms of this process, median, with every row read from pyoxigraph (no rdflib terms). The
difference between two listings, over the rows of the longer, is what one looked-up value a
row costs.

Run:  nice python bench/value_cost.py --store STORE --repeat 9
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import pyoxigraph as ox

PREFIXES = """PREFIX eg: <https://w3id.org/evidencegraph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""
LISTINGS = [
    ("the trials", "SELECT ?t WHERE { ?t a eg:Trial }"),
    ("+ each title", "SELECT ?t ?x WHERE { ?t a eg:Trial . ?t dcterms:title ?x }"),
    (
        "+ each arm",
        "SELECT ?t ?x ?a WHERE { ?t a eg:Trial . ?t dcterms:title ?x . ?t eg:hasArm ?a }",
    ),
    (
        "+ each arm's label",
        "SELECT ?t ?x ?a ?l WHERE { ?t a eg:Trial . ?t dcterms:title ?x . ?t eg:hasArm ?a . "
        "?a rdfs:label ?l }",
    ),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--store", type=Path, required=True, help="an Oxigraph store directory")
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    store = ox.Store.read_only(str(args.store))
    print("| listing | rows | CPU ms | µs a row | added µs a row | load |")
    print("|---|---:|---:|---:|---:|---:|")
    before = 0.0
    for label, text in LISTINGS:
        query = PREFIXES + text
        rows = len(list(store.query(query)))
        times = []
        for _ in range(args.repeat):
            started = time.process_time()
            for solution in store.query(query):
                list(solution)
            times.append(1000 * (time.process_time() - started))
        took = statistics.median(times)
        added = f"{1000 * (took - before) / rows:.1f}" if before else "-"
        print(
            f"| {label} | {rows:,} | {took:,.1f} | {1000 * took / rows:.1f} | {added} | "
            f"{os.getloadavg()[0]:.1f} |",
            flush=True,
        )
        before = took
    return 0


if __name__ == "__main__":
    sys.exit(main())
