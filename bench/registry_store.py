"""A registry-scale store built in minutes: N generated studies, mapped as the import maps
them, written through Oxigraph's bulk loader without the gate (issue 21).

Importing 100,000 calibrated studies through the gate takes over an hour; the query
benchmarks need the store, not the gate's verdicts. This script writes the SAME layout
``evidencegraph build`` + ``evidencegraph import ctgov`` write (decision 0021):

- the model and the curated evidence: ``build`` itself (EvidenceGraph.build, through the gate);
- each study's statements in its own graph (``graph/ctgov/NCT…``), mapped by the importer's
  own functions (``ingest.ctgov.map_study``, ``pipeline.source_record``, the store's
  canonical literals: ``source_view.canonical``);
- the catalog's description of each graph (``source_view.describe``, one import time);
- the view (the default graph): every statement of every graph, and for a single-valued
  property the value of the graph that wins by precedence (``source_graphs.winner``).

The gate is left out: the generator's records pass it (``--check`` shows it: at a few hundred
studies it builds a second store with the real ``build`` and ``import ctgov`` in their own
processes, the import refusing any record that breaks the shapes, and compares the two stores
quad for quad, apart from the catalog's import times; tests/test_registry_store.py runs it).

Run:  nice python bench/registry_store.py --studies 100000 --out /work/stores/reg100k
      python bench/registry_store.py --studies 300 --out /tmp/reg300 --check
Exit status: 0 done (and, with --check, the same quads), 1 the stores differ, 2 usage.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.graph.pipeline import source_record
from evidencegraph.ingest.ctgov import map_study
from evidencegraph.ingest.identifiers import registry_record_iri, study_iri
from evidencegraph.ontology.source_graphs import CATALOG, SourceKind, Standing, winner
from evidencegraph.rdf.terms import OxTerm
from evidencegraph.validation.source_view import (
    GENERATED_AT,
    MODIFIED,
    SOURCE_KIND,
    SourceRecord,
    canonical,
    describe,
)
from evidencegraph.validation.source_view import _single_valued as single_valued
from generate_ctgov import encode, iter_studies, nct_id_of, write_zip  # type: ignore[import-not-found]

_CATALOG = ox.NamedNode(CATALOG)
_DEFAULT = ox.DefaultGraph()
#: Records canonicalised together (one scratch store each time).
CHUNK = 500
_STUDIES, _RECORDS = str(study_iri("")), str(registry_record_iri(""))

Subject = ox.NamedNode | ox.BlankNode
Pair = tuple[Subject, ox.NamedNode]


class View:
    """Which value of a single-valued property the view shows, decided as the records come:
    only what decides is kept (the values given, whether two graphs give it, the best graph's
    value), for the nodes many records share (drugs, conditions, sponsors); every other
    statement goes straight into the view."""

    def __init__(self) -> None:
        self.single = single_valued()
        #: (subject, predicate) -> [values given, graphs giving it, best key, best value]
        self.contest: dict[Pair, list[Any]] = {}
        #: pairs stated of a study's own node by another graph than the study's (decided at
        #: the end from the store, where every graph's value is by then)
        self.foreign: set[Pair] = set()

    def give(self, s: Subject, p: ox.NamedNode, value: OxTerm, key: tuple[Any, ...]) -> None:
        held = self.contest.get((s, p))
        if held is None:
            self.contest[(s, p)] = [{value}, 1, key, value]
            return
        held[0].add(value)
        held[1] += 1
        if key < held[2]:
            held[2], held[3] = key, value

    def resolved(self) -> Iterator[ox.Quad]:
        """The single values the view shows: all a pair's values when one graph states it or
        all graphs agree, else the winning graph's (decision 0021)."""
        for (s, p), (values, graphs, _key, best) in self.contest.items():
            if (s, p) in self.foreign:
                continue  # settle_foreign
            for value in values if len(values) == 1 or graphs == 1 else (best,):
                yield ox.Quad(s, p, value, _DEFAULT)


def studies(n: int, *, dense: bool, seed: int) -> Iterator[SourceRecord]:
    """The source records of n generated studies, canonical, as the import makes them."""
    chunk: list[SourceRecord] = []
    for study in iter_studies(n, seed, dense=dense):
        # through JSON, as the import reads a record
        content = json.loads(encode(study, None))
        chunk.append(source_record(map_study(content, f"{nct_id_of(study)}.json")))
        if len(chunk) == CHUNK:
            canonical(chunk)
            yield from chunk
            chunk = []
    canonical(chunk)
    yield from chunk


def _standings(store: ox.Store, graphs: Iterable[ox.NamedNode]) -> dict[ox.NamedNode, Standing]:
    """What ranks each graph, from the catalog: its kind and version."""
    found = {}
    for graph in graphs:
        kind = next(store.quads_for_pattern(graph, SOURCE_KIND, None, _CATALOG), None)
        version = next(store.quads_for_pattern(graph, MODIFIED, None, _CATALOG), None)
        found[graph] = Standing(
            graph.value,
            SourceKind.of_concept(kind.object.value) if kind else SourceKind.OTHER,
            version.object.value if version else None,
        )
    return found


def existing(store: ox.Store, view: View) -> None:
    """What ``build`` wrote: its graphs' single values join the contest."""
    given = [
        quad
        for p in view.single
        for quad in store.quads_for_pattern(None, p, None, None)
        if isinstance(quad.graph_name, ox.NamedNode) and quad.graph_name != _CATALOG
    ]
    standings = _standings(store, {quad.graph_name for quad in given})  # type: ignore[misc]
    for quad in given:
        key = standings[quad.graph_name].key()  # type: ignore[index]
        view.give(quad.subject, quad.predicate, quad.object, key)  # type: ignore[arg-type]


def quads(
    records: Iterable[SourceRecord], view: View, now: datetime, counts: dict[str, int]
) -> Iterator[ox.Quad]:
    """Every quad of the records' graphs, their catalog entries and the view, the contested
    single values last (once every graph has given its own)."""
    single, contest, default = view.single, view.contest, _DEFAULT
    for record in records:
        graph = record.graph
        key = Standing(
            graph.value, record.kind, record.version.value if record.version else None
        ).key()
        study = str(study_iri(record.label))
        own, source = study + "/", record.source
        for s, p, o, _ in record.triples or ():
            yield ox.Quad(s, p, o, graph)
            if p not in single:
                yield ox.Quad(s, p, o, default)
                continue
            iri = s.value
            if (iri == study or iri.startswith(own) or s == source) and (s, p) not in contest:
                yield ox.Quad(s, p, o, default)  # a study's own node: its graph alone says
                continue
            if iri.startswith(_STUDIES) or iri.startswith(_RECORDS):
                view.foreign.add((s, p))  # another study's own node
            view.give(s, p, o, key)
        yield from describe(record, now=now)
        counts["studies"] += 1
        counts["triples"] += len(record.triples or ())
        if counts["studies"] % 10_000 == 0:
            print(
                f"  {counts['studies']:,} studies mapped, {time.process_time():.0f} s CPU",
                flush=True,
            )
    yield from view.resolved()


def settle_foreign(store: ox.Store, view: View) -> None:
    """Pairs a graph states of another study's own node: decided from every graph's value,
    now in the store, and the view's value put right."""
    for s, p in view.foreign:
        given = [
            (q.graph_name, q.object)
            for q in store.quads_for_pattern(s, p, None, None)
            if isinstance(q.graph_name, ox.NamedNode) and q.graph_name != _CATALOG
        ]
        values = {value for _graph, value in given}
        keep = values
        if len(values) > 1 and len({graph for graph, _value in given}) > 1:
            standings = _standings(store, {graph for graph, _value in given})  # type: ignore[misc]
            best = winner(list(standings.values())).graph
            keep = {value for graph, value in given if graph.value == best}
        for quad in list(store.quads_for_pattern(s, p, None, _DEFAULT)):
            if quad.object not in keep:
                store.remove(quad)
        for value in keep:
            store.add(ox.Quad(s, p, value, _DEFAULT))


def build_store(out: Path, n: int, *, dense: bool, seed: int) -> dict[str, float]:
    """Write the store; its figures (CPU seconds, studies, triples in the graphs)."""
    started = time.process_time()
    with EvidenceGraph.open(f"oxigraph:{out}") as graph:
        graph.build()
    store = ox.Store(str(out))
    view = View()
    existing(store, view)
    counts = {"studies": 0, "triples": 0}
    store.bulk_extend(
        quads(studies(n, dense=dense, seed=seed), view, datetime.now(timezone.utc), counts)
    )
    settle_foreign(store, view)
    store.flush()
    store.optimize()
    del store
    return {
        "cpu_s": time.process_time() - started,
        "studies": counts["studies"],
        "graph_triples": counts["triples"],
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def comparable(path: Path) -> set[ox.Quad]:
    """A store's quads apart from the catalog's import times."""
    store = ox.Store.read_only(str(path))
    return {q for q in store if not (q.graph_name == _CATALOG and q.predicate == GENERATED_AT)}


def check(out: Path, n: int, *, dense: bool, seed: int) -> int:
    """Build the same records with the real commands and compare; 0 when the same."""
    with tempfile.TemporaryDirectory(prefix="registry-check-") as work:
        records, real = Path(work) / "studies.zip", Path(work) / "store"
        write_zip(iter_studies(n, seed, dense=dense), records, None)
        cli = [sys.executable, "-m", "evidencegraph", "--store", f"oxigraph:{real}", "-q"]
        for command in (["build"], ["import", "ctgov", str(records), "--on-invalid", "abort"]):
            done = subprocess.run([*cli, *command], capture_output=True, text=True)
            if done.returncode != 0:
                print(f"{' '.join(command[:2])} failed: {done.stderr.strip()}", file=sys.stderr)
                return 1
        ours, theirs = comparable(out), comparable(real)
    only_ours, only_theirs = ours - theirs, theirs - ours
    print(
        f"check: {len(ours):,} quads here, {len(theirs):,} from build + import ctgov; "
        f"{len(only_ours)} only here, {len(only_theirs)} only there"
    )
    for label, extra in (("only here", only_ours), ("only there", only_theirs)):
        for quad in sorted(map(str, extra))[:10]:
            print(f"  {label}: {quad}")
    return 0 if not only_ours and not only_theirs else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--studies", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True, help="a new directory for the store")
    parser.add_argument("--dense", action="store_true", help="the generator's old dense mode")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--check", action="store_true", help="compare with build + import ctgov")
    args = parser.parse_args()
    if args.out.exists() and any(args.out.iterdir()):
        parser.error(f"{args.out} is not empty: give a new directory")
    figures = build_store(args.out, args.studies, dense=args.dense, seed=args.seed)
    print(json.dumps(figures))
    if args.check:
        return check(args.out, args.studies, dense=args.dense, seed=args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
