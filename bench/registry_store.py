"""A registry-scale store built without the gate: N generated studies, mapped as the import maps
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
  property the value of the graph that wins by precedence (``source_graphs.winner``);
- the marks of the values the view does not show (``graph/not-shown``, decision 0030): for
  each pair whose graphs gave more than one value, those the view does not show.

The gate is left out: the generator's records pass it (``--check`` shows it: at a few hundred
studies it builds a second store with the real ``build`` and ``import ctgov`` in their own
processes, the import refusing any record that breaks the shapes, and compares the two stores
quad for quad, apart from the catalog's import times; tests/test_registry_store.py runs it).

Worker processes (--workers, 2) generate and map the studies and hand N-Quads to one bulk load
in this process; the single values of nodes many records share (drugs, conditions, sponsors)
are decided once every graph has given its own. Cost on this shared machine (2 cores, load
7 to 13): about 7 ms of CPU a calibrated study to map and 10 ms to load (577 triples a study,
each in its graph and in the view); 10,000 studies took 288 s of wall time.

Run:  nice python bench/registry_store.py --studies 100000 --out reg100k.db
      python bench/registry_store.py --studies 300 --out /tmp/reg300 --check
Exit status: 0 done (and, with --check, the same quads), 1 the stores differ, 2 usage.
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.graph.pipeline import source_record
from evidencegraph.ingest.ctgov import map_study
from evidencegraph.ingest.identifiers import registry_record_iri, study_iri
from evidencegraph.ontology.source_graphs import CATALOG, NOT_SHOWN, SourceKind, Standing, winner
from evidencegraph.validation.source_view import (
    GENERATED_AT,
    MODIFIED,
    SOURCE_KIND,
    canonical,
    describe,
)
from evidencegraph.validation.source_view import _single_valued as single_valued
from generate_ctgov import (  # type: ignore[import-not-found]
    encode,
    generate_study,
    iter_studies,
    nct_id_of,
    study_rng,
    write_zip,
)

_CATALOG = ox.NamedNode(CATALOG)
_NOT_SHOWN = ox.NamedNode(NOT_SHOWN)
_DEFAULT = ox.DefaultGraph()
#: Records canonicalised together (one scratch store each time).
CHUNK = 500
_STUDIES, _RECORDS = str(study_iri("")), str(registry_record_iri(""))


class View:
    """Which value of a single-valued property the view shows, for the nodes many records
    share (drugs, conditions, sponsors), decided as the records come: only what decides is
    kept (the values given, how many graphs give one, the best graph's value). Terms are held
    as N-Triples text, as the worker processes hand them over."""

    def __init__(self) -> None:
        #: (subject, predicate) -> [values given, graphs giving one, best key, best value]
        self.contest: dict[tuple[str, str], list[Any]] = {}
        #: pairs a graph states of another study's own node (decided at the end, from the
        #: store, where every graph's value is by then)
        self.foreign: set[tuple[str, str]] = set()

    def give(self, s: str, p: str, value: str, key: tuple[Any, ...]) -> None:
        held = self.contest.get((s, p))
        if held is None:
            self.contest[(s, p)] = [{value}, 1, key, value]
            return
        held[0].add(value)
        held[1] += 1
        if key < held[2]:
            held[2], held[3] = key, value

    def resolved(self) -> bytes:
        """The single values the view shows, as N-Quads: all a pair's values when one graph
        states it or all graphs agree, else the winning graph's (decision 0021)."""
        lines = []
        for (s, p), (values, graphs, _key, best) in self.contest.items():
            if (s, p) in self.foreign:
                continue  # settle_foreign
            for value in values if len(values) == 1 or graphs == 1 else (best,):
                lines.append(f"{s} {p} {value} .\n")
        return "".join(lines).encode()


#: Set in each worker: the (subject, predicate) pairs build's graphs give a single value of.
_BUILT: frozenset[tuple[str, str]] = frozenset()


def _start_worker(built: frozenset[tuple[str, str]]) -> None:
    global _BUILT
    _BUILT = built


@dataclass
class Chunk:
    """What a worker makes of a run of studies: the N-Quads that go straight in, the single
    values of shared nodes (to be decided once every graph has given its own), the pairs
    stated of another study's own node, and counts."""

    nquads: bytes
    given: list[tuple[str, str, str, tuple[Any, ...]]]
    foreign: list[tuple[str, str]]
    studies: int
    triples: int


def map_chunk(task: tuple[int, int, int, bool, str]) -> Chunk:
    """Generate, map and canonicalise studies [start, stop), as the import does."""
    start, stop, seed, dense, now_text = task
    now = datetime.fromisoformat(now_text)
    records = []
    for index in range(start, stop):
        study = generate_study(index, study_rng(seed, index), dense=dense)
        content = json.loads(encode(study, None))  # through JSON, as the import reads a record
        records.append(source_record(map_study(content, f"{nct_id_of(study)}.json")))
    canonical(records)
    single = single_valued()
    out: list[ox.Quad] = []
    given: list[tuple[str, str, str, tuple[Any, ...]]] = []
    foreign: list[tuple[str, str]] = []
    triples = 0
    for record in records:
        graph = record.graph
        key = Standing(
            graph.value, record.kind, record.version.value if record.version else None
        ).key()
        study_node = str(study_iri(record.label))
        own, source = study_node + "/", record.source
        for statement in record.triples or ():  # (s, p, o) tuples from the mapping, or quads
            s, p, o = statement[0], statement[1], statement[2]
            out.append(ox.Quad(s, p, o, graph))
            if p not in single:
                out.append(ox.Quad(s, p, o, _DEFAULT))
                continue
            iri = s.value
            pair = (str(s), str(p))
            if (iri == study_node or iri.startswith(own) or s == source) and pair not in _BUILT:
                out.append(ox.Quad(s, p, o, _DEFAULT))  # a study's own node: its graph alone
                continue
            if iri.startswith(_STUDIES) or iri.startswith(_RECORDS):
                foreign.append(pair)  # another study's own node
            given.append((pair[0], pair[1], str(o), key))
        out += describe(record, now=now)
        triples += len(record.triples or ())
    data = ox.serialize(out, format=ox.RdfFormat.N_QUADS) or b""
    return Chunk(data, given, foreign, len(records), triples)


class Stream(io.RawIOBase):
    """The workers' N-Quads as one stream, so that one bulk load takes them all."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks, self.pending, self.at = chunks, memoryview(b""), 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while self.at == len(self.pending):
            chunk = next(self.chunks, None)
            if chunk is None:
                return 0
            self.pending, self.at = memoryview(chunk), 0
        size = min(len(buffer), len(self.pending) - self.at)
        buffer[:size] = self.pending[self.at : self.at + size]
        self.at += size
        return size


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


def existing(store: ox.Store, view: View) -> frozenset[tuple[str, str]]:
    """What ``build`` wrote: its graphs' single values join the contest; the pairs."""
    given = [
        quad
        for p in single_valued()
        for quad in store.quads_for_pattern(None, p, None, None)
        if isinstance(quad.graph_name, ox.NamedNode)
        and quad.graph_name not in (_CATALOG, _NOT_SHOWN)
    ]
    standings = _standings(store, {quad.graph_name for quad in given})  # type: ignore[misc]
    for quad in given:
        key = standings[quad.graph_name].key()  # type: ignore[index]
        view.give(str(quad.subject), str(quad.predicate), str(quad.object), key)
    return frozenset(view.contest)


def settle_foreign(store: ox.Store, view: View) -> None:
    """Pairs a graph states of another study's own node: decided from every graph's value,
    now in the store, and the view's value put right."""
    for s_text, p_text in view.foreign:
        s, p = ox.NamedNode(s_text[1:-1]), ox.NamedNode(p_text[1:-1])
        given = [
            (q.graph_name, q.object)
            for q in store.quads_for_pattern(s, p, None, None)
            if isinstance(q.graph_name, ox.NamedNode) and q.graph_name not in (_CATALOG, _NOT_SHOWN)
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


def mark_not_shown(store: ox.Store, view: View) -> int:
    """Mark the values the view does not show (decision 0030), once the view is settled: for
    each pair whose graphs gave more than one value (the only ones where a value can be
    outranked), every graph's value the view lacks; a mark ``build`` wrote that no longer
    holds goes. How many marks were added."""
    added = 0
    for (s_text, p_text), (values, _graphs, _key, _best) in view.contest.items():
        if len(values) < 2:
            continue
        s, p = ox.NamedNode(s_text[1:-1]), ox.NamedNode(p_text[1:-1])
        stated, shown, held = set(), set(), set()
        for quad in store.quads_for_pattern(s, p, None, None):
            where = quad.graph_name
            if where == _DEFAULT:
                shown.add(quad.object)
            elif where == _NOT_SHOWN:
                held.add(quad.object)
            elif where != _CATALOG:
                stated.add(quad.object)
        wanted = stated - shown
        for value in wanted - held:
            store.add(ox.Quad(s, p, value, _NOT_SHOWN))
            added += 1
        for value in held - wanted:
            store.remove(ox.Quad(s, p, value, _NOT_SHOWN))
    return added


def build_store(out: Path, n: int, *, dense: bool, seed: int, workers: int) -> dict[str, float]:
    """Write the store; its figures (CPU seconds of every process, studies, triples)."""
    started = time.perf_counter()
    with EvidenceGraph.open(f"oxigraph:{out}") as graph:
        graph.build()
    store = ox.Store(str(out))
    view = View()
    built = existing(store, view)
    now = datetime.now(timezone.utc).isoformat()
    tasks = [(i, min(n, i + CHUNK), seed, dense, now) for i in range(0, n, CHUNK)]
    counts = {"studies": 0, "triples": 0}

    # at most a few chunks wait in this process: the workers map faster than one bulk loader
    # takes the quads in, and unread chunks would pile up in memory (GBs at 100,000 studies)
    room = threading.Semaphore(2 * workers + 2)

    def handed_out() -> Iterator[tuple[int, int, int, bool, str]]:
        for task in tasks:
            room.acquire()
            yield task

    def nquads(chunks: Iterator[Chunk]) -> Iterator[bytes]:
        for chunk in chunks:
            room.release()
            for s, p, o, key in chunk.given:
                view.give(s, p, o, key)
            view.foreign.update(chunk.foreign)
            counts["studies"] += chunk.studies
            counts["triples"] += chunk.triples
            if counts["studies"] % 10_000 < CHUNK:
                print(
                    f"  {counts['studies']:,} studies, {time.perf_counter() - started:.0f} s",
                    flush=True,
                )
            yield chunk.nquads

    with multiprocessing.Pool(workers, _start_worker, (built,)) as pool:
        store.bulk_load(
            Stream(nquads(pool.imap(map_chunk, handed_out()))), format=ox.RdfFormat.N_QUADS
        )
    store.bulk_load(view.resolved(), format=ox.RdfFormat.N_QUADS)
    settle_foreign(store, view)
    marking = time.perf_counter()
    marks = mark_not_shown(store, view)
    marked_s = time.perf_counter() - marking
    store.flush()
    store.optimize()
    del store
    mine = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "wall_s": time.perf_counter() - started,
        "cpu_s": sum(u.ru_utime + u.ru_stime for u in (mine, children)),
        "studies": counts["studies"],
        "graph_triples": counts["triples"],
        "peak_rss_mib": mine.ru_maxrss / 1024,
        "marks": marks,
        "marks_wall_s": marked_s,
        "load": os.getloadavg()[0],
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
    parser.add_argument("--workers", type=int, default=2, help="processes that map studies")
    parser.add_argument("--check", action="store_true", help="compare with build + import ctgov")
    args = parser.parse_args()
    if args.out.exists() and any(args.out.iterdir()):
        parser.error(f"{args.out} is not empty: give a new directory")
    figures = build_store(
        args.out, args.studies, dense=args.dense, seed=args.seed, workers=args.workers
    )
    print(json.dumps(figures))
    if args.check:
        return check(args.out, args.studies, dense=args.dense, seed=args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
