"""Validating a whole store: rudof chunk by chunk, or pyshacl on a copy of the store.

rudof on a whole registry-sized graph at once is not an option: its memory grows faster than
the graph (2 GB for 130,000 triples, 4.8 GB for 312,000). So the store is validated the way
the gate validates a batch (decision 0012): the subjects are taken a chunk at a time, and
each chunk goes to rudof with the neighbourhood it touches
(:meth:`~evidencegraph.store.core.Store.neighbourhood_quads`: every triple of the chunk's
nodes, incoming links along the predicates the shapes follow backwards, the types of every
node those name) and the model. Only results on the chunk's own nodes are kept, so every
node is reported on once, with everything its shapes look at. While rudof judges one chunk
(it releases the GIL), the next is read.
"""

from __future__ import annotations

import collections
import concurrent.futures
import multiprocessing
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import RDF, BNode, Graph, Literal
from rdflib.namespace import SH
from rdflib.term import Node

from evidencegraph.errors import UsageError
from evidencegraph.ontology.namespace import PREFIXES
from evidencegraph.rdf.model import shapes_graph
from evidencegraph.rdf.terms import quiet_rdflib, to_rdflib
from evidencegraph.store.core import OxigraphStore, Store
from evidencegraph.validation import rudof_engine
from evidencegraph.validation.appraisal_reach import reach
from evidencegraph.validation.engines import PYSHACL, StorePlan, store_plan
from evidencegraph.validation.shacl import (
    InversePath,
    ResultPath,
    ValidationReport,
    ValidationResult,
    inverse_path_predicates,
)

#: The engines ``validate`` can be asked for; ``auto`` is rudof where it is installed.
ENGINES = ("auto", "rudof", "pyshacl")

#: Subjects per chunk. rudof's cost per triple barely changes from 250 to 2,000; a chunk
#: of 500 holds about 25,000 triples with its neighbourhood.
CHUNK_SUBJECTS = 500
#: Judge threads: rudof releases the GIL, so two chunks are judged at once while the main
#: thread reads the next.
JUDGES = 2
#: Judge processes, for a store on disk with at least PROCESS_MIN_SUBJECTS subjects to judge
#: (a process costs about a second to start: below that, threads).
PROCESSES = 2
PROCESS_MIN_SUBJECTS = 20 * CHUNK_SUBJECTS


def chosen_engine(engine: str = "auto") -> str:
    """The engine that will validate: ``rudof`` or ``pyshacl``.

    Raises UsageError for an unknown engine, or ``rudof`` where pyrudof is not installed.
    """
    if engine not in ENGINES:
        raise UsageError(f"unknown validation engine {engine!r}: use one of {', '.join(ENGINES)}")
    if engine == "pyshacl" or (engine == "auto" and not rudof_engine.available()):
        return "pyshacl"
    if not rudof_engine.available():
        raise UsageError(
            "pyrudof is not installed, so --engine rudof cannot run: install pyrudof "
            "(pip install 'pyrudof>=0.3.35,<0.4'), or use --engine pyshacl"
        )
    return "rudof"


def validate_store(
    store: Store,
    engine: str = "auto",
    *,
    chunk_subjects: int = CHUNK_SUBJECTS,
    on_progress: Callable[[int, int], None] | None = None,
) -> ValidationReport:
    """Validate everything in ``store`` (plus the model) against the shapes.

    ``engine`` is ``auto`` (rudof where pyrudof is installed, else pyshacl), ``rudof`` or
    ``pyshacl``; both give a SHACL report graph and agree on every shape test, except that
    the rudof route also refuses ill-typed lexical forms pyshacl lets through (decisions
    0012, 0020).
    ``on_progress(subjects judged, subjects in all)`` is called as chunks are judged (rudof
    only: pyshacl judges the store in one call). Raises UsageError for an engine that cannot
    run here.
    """
    return judge_store(store, engine, chunk_subjects=chunk_subjects, on_progress=on_progress).report


@dataclass
class Judged:
    """A verdict on a store, or on some of its nodes, and how much it judged."""

    report: ValidationReport
    #: the view's triples about the nodes judged (every triple, judging the whole store)
    triples: int


def judge_store(
    store: Store,
    engine: str = "auto",
    nodes: Collection[ox.NamedNode | ox.BlankNode] | None = None,
    *,
    chunk_subjects: int = CHUNK_SUBJECTS,
    on_progress: Callable[[int, int], None] | None = None,
) -> Judged:
    """Judge ``nodes`` of ``store`` (default: every subject) with what their shapes look at,
    as :func:`validate_store` judges every node. pyshacl judges the whole store whatever
    ``nodes`` are (it has no chunks). Raises UsageError for an engine that cannot run here."""
    plan = store_plan(chosen_engine(engine))
    if plan.whole_graph:
        whole = store.to_graph()
        return Judged(PYSHACL.whole(whole), len(whole))
    if not store.local:
        # a remote store is read once into memory: its neighbourhoods are index lookups then
        copy = OxigraphStore(None)
        copy.write_quads([], list(store.construct_quads("CONSTRUCT WHERE { ?s ?p ?o }")))
        store = copy
    subjects = _subjects(store) if nodes is None else sorted(nodes, key=str)
    # judge processes open the store read-only beside this process: only where this one
    # does not write to it (what a writer has not flushed, they would not see)
    path = store.path if isinstance(store, OxigraphStore) and store.read_only else None
    if path is not None and len(subjects) >= PROCESS_MIN_SUBJECTS:
        return _by_processes(str(path), plan, subjects, chunk_subjects, on_progress)
    return _by_chunks(store, plan, subjects, chunk_subjects, on_progress)


def _chunk_data(
    store: Store, chunk: list[ox.NamedNode | ox.BlankNode], inverse: list[ox.NamedNode]
) -> tuple[str, list[ox.Quad], set[str]]:
    """A chunk as the engines judge it: N-Quads of its nodes with their neighbourhood, the
    chunk's own quads, and its nodes as rudof names them."""
    # Oxigraph's lookups take blank nodes as well as IRIs
    quads = store.neighbourhood_quads(chunk, [], inverse)  # type: ignore[arg-type]
    members = set(chunk)
    # an appraisal whole (issue 19): its finding, judgements and study design
    quads |= reach(
        lambda nodes, links: store.neighbourhood_quads(nodes, [], [*inverse, *links]),
        quads,
        members,
    )
    own = [q for q in quads if q.subject in members]
    serialized = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
    assert serialized is not None
    return serialized.decode("utf-8"), own, {_label(node) for node in chunk}


#: What a judge process holds: the store opened read-only, and the plan (a rudof session of
#: its own, the shapes read once).
_WORKER: dict[str, object] = {}


def _start_judge(path: str, engine: str) -> None:
    _WORKER["store"] = OxigraphStore(path, read_only=True)
    _WORKER["plan"] = store_plan(engine)
    _WORKER["inverse"] = [ox.NamedNode(str(p)) for p in sorted(inverse_path_predicates())]


def _judge_labels(
    labels: list[str],
) -> tuple[list[ValidationResult], list[ValidationResult], int]:
    """In a judge process: a chunk named by its nodes' labels; the verdict's results, the
    checks' results, and the chunk's own triples."""
    store, plan = _WORKER["store"], _WORKER["plan"]
    assert isinstance(store, OxigraphStore) and isinstance(plan, StorePlan)
    chunk = [_node(label) for label in labels]
    data, own, focus = _chunk_data(store, chunk, _WORKER["inverse"])  # type: ignore[arg-type]
    checked = [result for check in plan.checks for result in check.judge(data, own, focus).results]
    return plan.verdict.judge(data, own, focus).results, checked, len(own)


def _node(label: str) -> ox.NamedNode | ox.BlankNode:
    return ox.BlankNode(label[2:]) if label.startswith("_:") else ox.NamedNode(label)


def _by_processes(
    path: str,
    plan: StorePlan,
    subjects: list[ox.NamedNode | ox.BlankNode],
    chunk_subjects: int,
    on_progress: Callable[[int, int], None] | None = None,
) -> Judged:
    """Each chunk read and judged in a judge process of its own (``PROCESSES``, each with
    the store open read-only): reading a chunk's neighbourhood and writing it out hold the
    GIL, so threads leave the second core idle half the time."""
    found: list[ValidationResult] = []
    checked: list[ValidationResult] = []
    triples = judged = 0
    context = multiprocessing.get_context("spawn")  # no fork of a process holding RocksDB
    with concurrent.futures.ProcessPoolExecutor(
        max_workers=PROCESSES,
        mp_context=context,
        initializer=_start_judge,
        initargs=(path, plan.verdict.name),
    ) as pool:
        pending: collections.deque[
            tuple[
                int,
                concurrent.futures.Future[
                    tuple[list[ValidationResult], list[ValidationResult], int]
                ],
            ]
        ] = collections.deque()

        def collect() -> None:
            nonlocal triples, judged
            size, future = pending.popleft()
            by_verdict, by_checks, own = future.result()
            found.extend(by_verdict)
            checked.extend(by_checks)
            triples += own
            judged += size
            if on_progress is not None:
                on_progress(judged, len(subjects))

        for chunk in _chunks(subjects, chunk_subjects):
            if len(pending) >= 2 * PROCESSES:  # a chunk waiting per process: memory stays flat
                collect()
            labels = [_label(node) for node in chunk]
            pending.append((len(chunk), pool.submit(_judge_labels, labels)))
        while pending:
            collect()
    store = OxigraphStore(path, read_only=True)
    try:
        return _judged(store, found, checked, triples)
    finally:
        store.close()


def _by_chunks(
    store: Store,
    plan: StorePlan,
    subjects: list[ox.NamedNode | ox.BlankNode],
    chunk_subjects: int,
    on_progress: Callable[[int, int], None] | None = None,
) -> Judged:
    """The plan's checks on each chunk's own triples (here), its verdict on the chunk with
    its neighbourhood (on a judge thread)."""
    inverse = [ox.NamedNode(str(p)) for p in sorted(inverse_path_predicates())]
    found: list[ValidationResult] = []
    checked: list[ValidationResult] = []
    triples = 0
    sizes: collections.deque[int] = collections.deque()
    judged = 0

    def collect(future: concurrent.futures.Future[ValidationReport]) -> None:
        nonlocal judged
        found.extend(future.result().results)
        judged += sizes.popleft()
        if on_progress is not None:
            on_progress(judged, len(subjects))

    with concurrent.futures.ThreadPoolExecutor(max_workers=JUDGES) as pool:
        pending: collections.deque[concurrent.futures.Future[ValidationReport]]
        pending = collections.deque()
        for chunk in _chunks(subjects, chunk_subjects):
            data, own, focus = _chunk_data(store, chunk, inverse)
            triples += len(own)
            for check in plan.checks:
                checked.extend(check.judge(data, own, focus).results)
            if len(pending) >= JUDGES:  # at most one chunk waiting per judge: memory stays flat
                collect(pending.popleft())
            sizes.append(len(chunk))
            pending.append(pool.submit(plan.verdict.judge, data, own, focus))
        while pending:
            collect(pending.popleft())
    return _judged(store, found, checked, triples)


def _judged(
    store: Store, found: list[ValidationResult], checked: list[ValidationResult], triples: int
) -> Judged:
    """The report of every chunk's results (each subject is in one chunk only, so no result
    comes twice)."""
    results = sorted(found + checked, key=ValidationResult.sort_key)
    with quiet_rdflib():  # an ill-typed value is reported, not logged
        graph = _report_graph(found, checked)
        _describe_blank_nodes(graph, store)
    return Judged(ValidationReport(conforms=not results, results=results, graph=graph), triples)


def _label(node: ox.NamedNode | ox.BlankNode) -> str:
    """A node as rudof names a focus node: the IRI, or ``_:label``."""
    return node.value if isinstance(node, ox.NamedNode) else f"_:{node.value}"


def _subjects(store: Store) -> list[ox.NamedNode | ox.BlankNode]:
    """Every subject once, in IRI order: a study's arms, interventions and outcomes have IRIs
    under the study's, so most links then stay inside a chunk (about a third less work for
    rudof than in Oxigraph's own order, where a chunk reaches out for most of its links)."""
    subjects = {quad.subject for quad in store.quads()}
    return sorted((s for s in subjects if not isinstance(s, ox.Triple)), key=str)


def _chunks(
    subjects: Iterable[ox.NamedNode | ox.BlankNode], size: int
) -> Iterator[list[ox.NamedNode | ox.BlankNode]]:
    chunk: list[ox.NamedNode | ox.BlankNode] = []
    for subject in subjects:
        chunk.append(subject)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _report_graph(found: list[ValidationResult], checked: list[ValidationResult]) -> Graph:
    """The SHACL validation report, as pyshacl's validate gives it (see validation/shacl.py),
    written from the results' terms: ``found`` by the verdict, which names each result's
    source shape, and ``checked`` by the lexical check, whose shape is found here."""
    graph = Graph()
    shapes = shapes_graph()
    report = BNode()
    graph.add((report, RDF.type, SH.ValidationReport))
    graph.add((report, SH.conforms, Literal(not found and not checked)))
    for result in found:
        message = None
        if result.source_shape is not None:
            message = shapes.value(result.source_shape, SH.message)
        _add_result(graph, report, result, result.source_shape, message)
    for ill_typed in checked:
        # the property shape whose message the result quotes
        source = next(
            (
                shape
                for shape in shapes.subjects(SH.path, _predicate(ill_typed.path_term))
                if ill_typed.message.startswith(str(shapes.value(shape, SH.message) or "\0"))
            ),
            None,
        )
        _add_result(graph, report, ill_typed, source, None)
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    return graph


def _add_result(
    graph: Graph, report: Node, found: ValidationResult, source: Node | None, message: Node | None
) -> None:
    """One sh:ValidationResult of the report graph."""
    result = BNode()
    graph.add((report, SH.result, result))
    graph.add((result, RDF.type, SH.ValidationResult))
    graph.add((result, SH.resultSeverity, found.severity_term))
    for predicate, term in (
        (SH.focusNode, found.focus),
        (SH.sourceConstraintComponent, found.constraint_term),
        (SH.value, found.value_term),
        (SH.sourceShape, source),
    ):
        if term is not None:
            graph.add((result, predicate, term))
    if isinstance(found.path_term, InversePath):
        inverse = BNode()
        graph.add((result, SH.resultPath, inverse))
        graph.add((inverse, SH.inversePath, found.path_term.predicate))
    elif found.path_term is not None:
        graph.add((result, SH.resultPath, found.path_term))
    graph.add((result, SH.resultMessage, message or Literal(found.message)))


def _describe_blank_nodes(graph: Graph, store: Store) -> None:
    """Copy in what the store says about a blank node a result names (and the blank nodes
    that says something about), as pyshacl's report does: the label alone names nothing."""
    pending = [
        node
        for predicate in (SH.focusNode, SH.value)
        for node in graph.objects(None, predicate)
        if isinstance(node, BNode)
    ]
    seen: set[Node] = set()
    while pending:
        node = pending.pop()
        if node in seen:
            continue
        seen.add(node)
        for quad in store.links([ox.BlankNode(str(node))], []):
            triple = (to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object))
            graph.add(triple)
            if isinstance(triple[2], BNode):
                pending.append(triple[2])


def _predicate(path: ResultPath | None) -> Node | None:
    """The predicate a result path follows, either way."""
    return path.predicate if isinstance(path, InversePath) else path
