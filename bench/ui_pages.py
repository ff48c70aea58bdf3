"""What the query page, /queries and the VoID page cost the server (issue 20, points 4 and 5).

CPU time (``time.process_time``) in this process, as the server spends it per request:

- ``/`` (the query page): rendered once per process, then served as bytes; its first render.
- ``/queries`` as HTML: rendered on each request; beside it, as the baseline in the same run,
  the JSON list a client gets (what the route wrote before for both).
- ``/.well-known/void`` as HTML, from the description of the store (``--store``, opened
  read-only; default: the curated evidence built into a temporary store): the page made from
  the description's triples, against the baseline of writing the same triples as Turtle (what
  a browser got before). The page is made once per description and then kept, so every later
  request costs a lookup. Also the counting itself (``DescriptionJob``: SPARQL over the whole
  store, once per server start or update), timed once.

The median of ``--runs`` calls each (after one to warm up). The load average is printed with
the figures: the machine is shared.

    python bench/ui_pages.py [--store PATH] [--runs 30] [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from common import machine, replace_section, run_id, versions  # noqa: E402

BEGIN, END = "<!-- ui-pages:begin -->", "<!-- ui-pages:end -->"
CLI = [sys.executable, "-m", "evidencegraph"]


def median_cpu_ms(work: Callable[[], object], runs: int) -> float:
    """The median CPU milliseconds of ``runs`` calls of ``work`` (after one to warm up)."""
    work()
    times = []
    for _ in range(runs):
        start = time.process_time()
        work()
        times.append((time.process_time() - start) * 1000)
    return statistics.median(times)


def measure(store_path: Path, runs: int) -> list[tuple[str, float, float | None]]:
    """(what, CPU ms, baseline CPU ms or None) for each page."""
    import pyoxigraph as ox

    from evidencegraph import __version__
    from evidencegraph.publish.void import VOID_PREFIXES
    from evidencegraph.queries import library
    from evidencegraph.server.app import _claim_statuses
    from evidencegraph.server.evaluate import DescriptionJob, graph_bytes
    from evidencegraph.server.templating import render
    from evidencegraph.server.void_page import void_html
    from evidencegraph.store.core import OxigraphStore

    rows: list[tuple[str, float, float | None]] = []
    start = time.process_time()
    render("index.html", statuses=_claim_statuses())
    rows.append(("`/` (query page), first render (then kept as bytes)", _ms(start), None))

    named = list(library().values())
    formats = (("csv", "CSV"), ("tsv", "TSV"), ("json", "SPARQL JSON"), ("xml", "SPARQL XML"))
    rows.append(
        (
            "`/queries` as HTML, each request (baseline: the JSON list)",
            median_cpu_ms(lambda: render("queries.html", queries=named, formats=formats), runs),
            median_cpu_ms(
                lambda: json.dumps([q.describe(with_text=True) for q in named], indent=2), runs
            ),
        )
    )

    store = OxigraphStore(store_path, read_only=True)
    base = "http://127.0.0.1:7879/"
    job = DescriptionJob(base + ".well-known/", base + "sparql", __version__)
    start = time.process_time()
    described = job.run(store).body
    rows.append(("VoID: counting the store (`DescriptionJob`), once per start or update",
                 _ms(start), None))  # fmt: skip

    def page() -> object:
        triples = ox.parse(described, format=ox.RdfFormat.N_TRIPLES)
        return void_html(triples, base + ".well-known/void.ttl#dataset", "/.well-known/void.ttl")

    def turtle() -> object:
        triples = ox.parse(described, format=ox.RdfFormat.N_TRIPLES)
        return graph_bytes(triples, "turtle", VOID_PREFIXES)

    rows.append(
        (
            "`/.well-known/void` as HTML, first request after counting (then kept; "
            "baseline: the same description as Turtle)",
            median_cpu_ms(page, runs),
            median_cpu_ms(turtle, runs),
        )
    )
    # The page grows with the classes and properties the store uses, not with its studies:
    # the largest any store of this model gives has a partition for every class and property
    # the model defines (and a few of other vocabularies, as rdfs:label).
    largest = _largest_description(base)
    rows.append(
        (
            f"`/.well-known/void` as HTML for the largest description of this model "
            f"({len(largest[0]):,} classes, {len(largest[1]):,} properties; baseline: as Turtle)",
            median_cpu_ms(lambda: _void_page(largest[2], base), runs),
            median_cpu_ms(
                lambda: graph_bytes(
                    ox.parse(largest[2], format=ox.RdfFormat.N_TRIPLES), "turtle", VOID_PREFIXES
                ),
                runs,
            ),
        )
    )
    return rows


def _void_page(described: bytes, base: str) -> object:
    import pyoxigraph as ox

    from evidencegraph.server.void_page import void_html

    triples = ox.parse(described, format=ox.RdfFormat.N_TRIPLES)
    return void_html(triples, base + ".well-known/void.ttl#dataset", "/.well-known/void.ttl")


def _largest_description(base: str) -> tuple[list[str], list[str], bytes]:
    """A VoID description with a partition for every class and property of the model, and
    for the classes and properties of other vocabularies a store of it uses (rdfs:label,
    skos:Concept, ...)."""
    from datetime import date

    from evidencegraph.ontology.description import describe_model
    from evidencegraph.publish.void import DatasetStatistics, void_lines

    model = describe_model()
    rdfs, skos, owl = (
        "http://www.w3.org/2000/01/rdf-schema#",
        "http://www.w3.org/2004/02/skos/core#",
        "http://www.w3.org/2002/07/owl#",
    )
    dcterms, prov = "http://purl.org/dc/terms/", "http://www.w3.org/ns/prov#"
    classes = [str(c.iri) for c in model.classes] + [
        skos + "Concept", skos + "ConceptScheme", owl + "Class", owl + "ObjectProperty",
        owl + "DatatypeProperty", owl + "Ontology",
    ]  # fmt: skip
    properties = [str(p.iri) for p in model.properties] + [
        rdfs + "label", rdfs + "comment", dcterms + "title", dcterms + "identifier",
        dcterms + "source", prov + "wasDerivedFrom", skos + "prefLabel", skos + "altLabel",
        skos + "broader", owl + "sameAs",
    ]  # fmt: skip
    statistics = DatasetStatistics(
        triples=55_000_000,
        entities=5_000_000,
        distinct_subjects=5_000_000,
        distinct_objects=20_000_000,
        properties=len(properties),
        class_partitions=tuple((iri, 100_000 + n) for n, iri in enumerate(classes)),
        property_partitions=tuple((iri, 1_000_000 + n) for n, iri in enumerate(properties)),
    )
    lines = void_lines(
        statistics,
        [],
        location=base + ".well-known/",
        version="0",
        issued=date.today(),
        sparql_endpoint=base + "sparql",
    )
    return classes, properties, b"".join(lines)


def _ms(start: float) -> float:
    return (time.process_time() - start) * 1000


def _triples(store_path: Path) -> int:
    from evidencegraph.store.core import OxigraphStore

    store = OxigraphStore(store_path, read_only=True)
    return int(store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows[0]["n"])  # type: ignore[call-overload]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, help="an on-disk store, opened read-only")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--write", type=Path, help="put the section into this Markdown file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store_path = args.store
        if store_path is None:
            store_path = Path(folder) / "store"
            subprocess.run([*CLI, "-q", "--store", f"oxigraph:{store_path}", "build"], check=True)
        load = os.getloadavg()[0]
        rows = measure(store_path, args.runs)
        load_after = os.getloadavg()[0]
        size = _triples(store_path)
    command = (
        "python bench/ui_pages.py"
        + (f" --store {args.store}" if args.store else "")
        + f" --runs {args.runs}"
    )
    lines = [
        BEGIN,
        "### The query page, /queries and the VoID page (issue 20, points 4 and 5)",
        "",
        f"`{command}`: CPU milliseconds per request in the server's process (median of "
        f"{args.runs}); the store holds {size:,} triples. Load average {load:.1f} before, "
        f"{load_after:.1f} after (2 cores, shared).",
        "",
        "| page | CPU ms | baseline CPU ms | ratio |",
        "|---|---|---|---|",
    ]
    for what, cost, baseline in rows:
        ratio = f"{cost / baseline:.1f}" if baseline else "—"
        shown = f"{baseline:.2f}" if baseline is not None else "—"
        lines.append(f"| {what} | {cost:.2f} | {shown} | {ratio} |")
    lines += [
        "",
        "`/` and `/queries` read nothing from the store, so their cost is the same at any "
        "size; the VoID page grows with the classes and properties a store uses, not with its "
        "studies, and the last row bounds it for any store of this model. Each is under "
        "300 ms with room to spare. The counting (`DescriptionJob`) scans the whole store once "
        "per server start or update, in a worker, with its own time limit of 600 s.",
        "",
        f"Run {run_id()} on {machine()}; {versions(['pyoxigraph', 'Jinja2'])}.",
        END,
    ]
    section = "\n".join(lines)
    print(section)
    if args.write:
        replace_section(args.write, BEGIN, END, section)


if __name__ == "__main__":
    main()
