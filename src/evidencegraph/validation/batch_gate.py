"""The validation gate: the one way a batch gets into the store.

:func:`gate_sources` is the entry point for a write of source records (``load``,
``build``, ``withdraw``; decision 0021): it plans what the write does to the source graphs
and the view (:mod:`~evidencegraph.validation.source_view`), asks
:func:`~evidencegraph.validation.engines.gate_plan` which engines judge the view as it would
stand, and gives the report with the write to make if it conforms. On the rudof route
terms stay pyoxigraph terms, in three steps, split so that an import can validate one
batch while it reads the next and writes earlier ones:

- :func:`prepare` (needs the store): the batch in the store's canonical form,
  the neighbourhood it touches, what leaves the view (the plan's, decision 0021), and the
  data to validate as N-Triples;
- :func:`judge` (needs no store, so it can run on another thread; rudof
  releases the GIL while it validates): the validation report;
- :func:`commit`: the replaced values out and the batch in, in one transaction
  (``load`` and ``build``; the import writes judged batches in groups held in an
  :class:`Overlay`, decision 0010).

rdflib only for the pyshacl route (blank nodes, or pyrudof missing), which the plan
picks and :meth:`~evidencegraph.validation.engines.Pyshacl.check` runs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol, overload

import pyoxigraph as ox
from rdflib import RDF, Graph, URIRef

from evidencegraph.rdf.model import model_graph
from evidencegraph.rdf.terms import RDF_TYPE, OxTerm, OxTriple, from_quad
from evidencegraph.store.core import OxigraphStore, Store
from evidencegraph.validation.appraisal_reach import APPRAISAL_TYPES, FOLLOWED, reach
from evidencegraph.validation.engines import PYSHACL, gate_plan
from evidencegraph.validation.shacl import (
    ValidationReport,
    ValidationResult,
    inverse_path_predicates,
    single_valued_predicates,
)
from evidencegraph.validation.source_view import Layered, Plan, SourceRecord, canonical, plan


@dataclass
class PreparedBatch:
    """A batch ready to be judged and committed."""

    #: the batch in the store's canonical form (an import drops them once the batch is judged)
    quads: Sequence[ox.Quad]
    replaced: list[ox.Quad] = field(default_factory=list)
    new_count: int = 0
    #: what the write puts in, as N-Quads (the view's triples and the source graphs' quads),
    #: and the batch's number of triples: what an import stages and keeps until the batch is
    #: written (bytes, which the garbage collector need not walk)
    nquads: bytes = b""
    size: int = 0
    #: what the judge reads: the batch and its neighbourhood as N-Triples (dropped once judged)
    data: str = ""
    focus: set[str] = field(default_factory=set)
    #: every IRI the batch states something about or links to
    nodes: frozenset[ox.NamedNode] = frozenset()


class Unwritten(Protocol):
    """Triples judged (or being judged) but not yet in the store: a batch, or a group of them."""

    @property
    def written(self) -> OxigraphStore: ...

    @property
    def replaced(self) -> Collection[ox.Quad]: ...

    @property
    def nodes(self) -> Collection[ox.NamedNode]:
        """Every IRI a lookup in ``written`` could find something for (the model's nodes,
        looked up nowhere, may be left out): a node outside it needs no lookup there."""


@dataclass
class Overlay:
    """Judged batches held in memory until they are written together (decision 0010).

    ``written`` holds what the group adds, with values a later batch replaced
    already taken out; ``replaced`` the stored triples the group takes out.
    """

    written: OxigraphStore = field(default_factory=lambda: OxigraphStore(None))
    replaced: set[ox.Quad] = field(default_factory=set)
    #: triples staged, repeats included: what decides when the group is written
    size: int = 0
    nodes: set[ox.NamedNode] = field(default_factory=set)
    #: each batch's N-Quads as staged, while no later batch has taken any of them out
    _staged: list[bytes] | None = field(default_factory=list)

    def stage(self, prepared: PreparedBatch) -> None:
        """Add a batch, as it would be written after the batches staged before it."""
        # lenient: the lines were written by pyoxigraph from its own terms (prepare), so
        # checking each IRI again, most of what parsing them costs, finds nothing
        self.written.native.load(prepared.nquads, format=ox.RdfFormat.N_QUADS, lenient=True)
        staged_before = [q for q in prepared.replaced if self.written.contains_quad(q)]
        if staged_before:
            self.written.write_quads(staged_before, [])
            self._staged = None
        elif self._staged is not None:
            self._staged.append(prepared.nquads)
        # the store may hold the same triple: out with it too (a no-op where it does not)
        self.replaced.update(prepared.replaced)
        self.size += prepared.size
        self.nodes.update(prepared.nodes)

    def nquads(self) -> bytes:
        """What the group adds, as N-Quads (a triple two batches give may come twice)."""
        if self._staged is not None:  # what was staged, as it was: no store to read out
            joined = b"".join(self._staged)
            # held once, not twice, while the group is written (a call again reads the store)
            self._staged = None
            return joined
        return self.written.dump_nquads()


class ParsedLater(Sequence[ox.Quad]):
    """A batch's quads, read from its N-Triples when first asked for.

    A planned batch is made of tuples and written as text; of its quads only the lexical
    check reads any, on the judge's thread, so the main thread builds none (building a quad
    whose object is a literal costs more than planning it)."""

    def __init__(self, ntriples: bytes):
        self._data = ntriples
        self._quads: list[ox.Quad] | None = None

    def _read(self) -> list[ox.Quad]:
        if self._quads is None:
            # lenient: pyoxigraph wrote the lines from its own terms (see Overlay.stage)
            self._quads = list(ox.parse(self._data, format=ox.RdfFormat.N_TRIPLES, lenient=True))
            self._data = b""
        return self._quads

    @overload
    def __getitem__(self, index: int) -> ox.Quad: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[ox.Quad]: ...

    def __getitem__(self, index: int | slice) -> ox.Quad | Sequence[ox.Quad]:
        return self._read()[index]

    def __len__(self) -> int:
        return len(self._read())

    def __iter__(self) -> Iterator[ox.Quad]:
        return iter(self._read())


@functools.cache
def _single_valued() -> frozenset[ox.NamedNode]:
    return frozenset(ox.NamedNode(str(p)) for p in single_valued_predicates())


@functools.cache
def _model_nodes() -> frozenset[ox.NamedNode]:
    """The IRIs the model types: every judgement holds the model, so their types need no lookup."""
    typed = model_graph().subjects(RDF.type)
    return frozenset(ox.NamedNode(str(node)) for node in typed if isinstance(node, URIRef))


@functools.cache
def _inverse() -> frozenset[ox.NamedNode]:
    return frozenset(ox.NamedNode(str(p)) for p in inverse_path_predicates())


def _fetcher(
    store: Store, pending: Sequence[Unwritten], inverse: Collection[ox.NamedNode]
) -> Callable[[list[ox.NamedNode], Sequence[ox.NamedNode]], set[ox.Quad]]:
    """Fetches nodes' triples from the store and from the batches not yet written."""

    def fetch(nodes: list[ox.NamedNode], links: Sequence[ox.NamedNode]) -> set[ox.Quad]:
        backwards = [*inverse, *links]
        found = store.neighbourhood_quads(nodes, [], backwards)
        for earlier in pending:
            found.difference_update(earlier.replaced)
            there = [node for node in nodes if node in earlier.nodes]
            if there:
                found.update(earlier.written.neighbourhood_quads(there, [], backwards))
        return found

    return fetch


def batch_quads(triples: Iterable[OxTriple]) -> list[ox.Quad]:
    """Quads of a batch; for a single-valued property the last value given wins.

    Repeats are left in: :func:`prepare` drops them on its way through the store.
    """
    single = _single_valued()
    last: dict[tuple[ox.NamedNode | ox.BlankNode, ox.NamedNode], OxTerm] = {}
    quads: list[ox.Quad] = []
    quad = ox.Quad
    for subject, predicate, obj in triples:
        if predicate in single:
            last[(subject, predicate)] = obj
        else:
            quads.append(quad(subject, predicate, obj))
    quads.extend(quad(subject, predicate, obj) for (subject, predicate), obj in last.items())
    return quads


def batch_statements(triples: Iterable[OxTriple]) -> list[OxTriple]:
    """:func:`batch_quads` as ``(subject, predicate, object)`` tuples, with no repeats."""
    single = _single_valued()
    last: dict[tuple[ox.NamedNode | ox.BlankNode, ox.NamedNode], OxTerm] = {}
    kept: dict[OxTriple, None] = {}
    for triple in triples:
        if triple[1] in single:
            last[(triple[0], triple[1])] = triple[2]
        else:
            kept[triple] = None
    kept.update(((subject, predicate, obj), None) for (subject, predicate), obj in last.items())
    return list(kept)


def prepare(
    store: Store,
    quads: Sequence[ox.Quad],
    *,
    replace_single_values: bool,
    pending: Sequence[Unwritten] = (),
    view_plan: Plan | None = None,
) -> PreparedBatch:
    """Canonicalise the batch, fetch what it touches, and write the data to validate.

    With ``view_plan``, the batch is the plan's view (``quads``, if given, must be it: it is
    not read).

    ``pending`` are batches (or groups of them) not yet written, oldest first:
    the new batch is prepared as if they were written (their triples in, the
    values they replace out), so that it can be judged while they are judged
    or written. A pending batch later found bad voids this one.

    With ``view_plan`` (source records, decision 0021) ``quads`` are the plan's view
    triples, and the plan says what leaves the view and the graphs, what the graphs and
    the catalog gain, and which more nodes to judge.
    """
    written = OxigraphStore(None)
    inverse = _inverse()
    focus: set[ox.NamedNode] = set()
    linked: set[ox.NamedNode] = set()
    batch: Sequence[ox.Quad] = ()
    #: what the appraisal rules start from: the whole batch, or what reach reads of it
    appraisal: Sequence[ox.Quad] = ()
    if view_plan is None:
        written.write_quads([], quads)  # the store's canonical literal forms (decision 0005)
        batch = list(written.quads())
        for quad in batch:
            subject, obj = quad.subject, quad.object
            if isinstance(subject, ox.NamedNode):
                focus.add(subject)
            if isinstance(obj, ox.NamedNode):
                linked.add(obj)
                if quad.predicate in inverse:
                    focus.add(obj)
        appraisal = batch
    else:  # the plan's view triples, canonical already (source_view.canonical)
        read = []
        for subject, predicate, obj in view_plan.view_statements:
            if isinstance(subject, ox.NamedNode):
                focus.add(subject)
            if isinstance(obj, ox.NamedNode):
                linked.add(obj)
                if predicate in inverse:
                    focus.add(obj)
            if predicate in FOLLOWED or (predicate == RDF_TYPE and obj in APPRAISAL_TYPES):
                read.append(ox.Quad(subject, predicate, obj))
        appraisal = read
    if view_plan is not None:
        focus.update(also_judged(store, view_plan))
    linked.difference_update(_model_nodes())  # typed in the model, which every judgement holds
    focus_nodes, linked_nodes = list(focus), list(linked)
    found = store.neighbourhood_quads(focus_nodes, linked_nodes, inverse)
    # what the appraisal rules read beyond the focus nodes (issue 19), here or pending
    found.update(reach(_fetcher(store, pending, inverse), [*appraisal, *found], focus))
    if pending:
        for earlier in pending:  # a store read while one is written finds it here too
            found.difference_update(earlier.replaced)
            there = earlier.nodes  # most of a batch's nodes are new: no lookup for them
            found.update(
                earlier.written.neighbourhood_quads(
                    [node for node in focus_nodes if node in there],
                    [node for node in linked_nodes if node in there],
                    inverse,
                )
            )
        # a node reached on one side may be typed only on another
        reached: set[ox.NamedNode] = set()
        for quad in found:
            if isinstance(quad.subject, ox.NamedNode):
                reached.add(quad.subject)
            if isinstance(quad.object, ox.NamedNode):
                reached.add(quad.object)
        reached.difference_update(_model_nodes())
        found.update(store.neighbourhood_quads([], list(reached), ()))
        for earlier in pending:
            there = earlier.nodes
            found.update(
                earlier.written.neighbourhood_quads([], [n for n in reached if n in there], ())
            )
    replaced: list[ox.Quad] = []
    if view_plan is not None:
        replaced = list(view_plan.view_removals)
        found.difference_update(replaced)
    elif replace_single_values:
        # a stored value of a single-valued property the batch gives another value for
        single = _single_valued()
        replaced = [
            q
            for q in found
            if q.predicate in single
            and written.has_value(q.subject, q.predicate)
            and not written.contains_quad(q)
        ]
        found.difference_update(replaced)
    # what the batch states that the store (or a pending batch) already holds is in ``found``
    around_bytes = ox.serialize(found, format=ox.RdfFormat.N_QUADS)
    assert around_bytes is not None
    around = around_bytes.decode("utf-8")
    if view_plan is None:
        new_count = len(batch) - sum(1 for quad in found if written.contains_quad(quad))
        # default-graph quads in N-Quads are N-Triples lines; no Triple objects to build
        own_bytes = ox.serialize(batch, format=ox.RdfFormat.N_QUADS)
        assert own_bytes is not None
        own = own_bytes.decode("utf-8")
        written_too, size = own_bytes, len(batch)
    else:
        lines = [text + " .\n" for text in view_plan.view_texts]
        given = set(lines)
        held = sum(1 for line in around.splitlines(keepends=True) if line in given)
        new_count = len(given) - held
        own = "".join(lines)
        own_bytes = own.encode("utf-8")
        batch = ParsedLater(own_bytes)
        replaced += view_plan.graph_removals + view_plan.marks_removed
        written_too, size = own_bytes + view_plan.graph_nquads(), len(lines)
    return PreparedBatch(
        quads=batch,
        replaced=replaced,
        new_count=new_count,
        nquads=written_too,
        size=size,
        data=own + around,
        focus={node.value for node in focus},
        nodes=frozenset(focus | linked),
    )


def judge(prepared: PreparedBatch, *, first_look: bool = True) -> ValidationReport:
    """The validation report of a prepared batch, by the engines of :func:`gate_plan`: the
    lexical check, then shifty's first look (decision 0015; unless ``first_look`` is False),
    then rudof; pyshacl where pyrudof is missing.

    A batch the checks pass and the first look passes conforms, and rudof is not asked. The
    first look passes a batch in which no focus node breaks a shape: its neighbours are copied
    in part (their types, not every value their shapes ask for), so a neighbour may break one
    in the data judged, and the verdict does not report those either (it is kept to the focus
    nodes). Where the first look cannot say, or a node of the batch breaks a shape, the verdict
    decides.
    """
    plan = gate_plan()
    results: list[ValidationResult] = []
    for check in plan.checks:
        results += check.judge(prepared.data, prepared.quads, prepared.focus).results
    if (
        not results
        and first_look
        and plan.first_look is not None
        and plan.first_look.passes(prepared.data, prepared.focus)
    ):
        return ValidationReport(conforms=True, results=[])
    verdict = plan.verdict.judge(prepared.data, prepared.quads, prepared.focus)
    if not results:
        return verdict
    results += verdict.results
    results.sort(key=ValidationResult.sort_key)
    return ValidationReport(conforms=False, results=results)


#: Triples of a staged batch judged at once: the subjects they belong to, their
#: neighbourhood and rudof's model of them stay small (tens of MB) at this size.
JUDGE_CHUNK = 2_000


@dataclass
class _Staged:
    """A whole batch staged in a scratch store, seen by :func:`prepare` as a pending write."""

    written: OxigraphStore
    nodes: Collection[ox.NamedNode]
    replaced: tuple[ox.Quad, ...] = ()


def judge_staged(
    store: Store,
    staged: OxigraphStore,
    subjects: Iterable[ox.NamedNode],
    nodes: Collection[ox.NamedNode],
    *,
    chunk_triples: int | None = None,
) -> ValidationReport:
    """The report on a batch staged whole in ``staged``, judged a chunk of subjects at a time.

    Each chunk is prepared with the staged batch as a pending write, so its neighbourhood
    is what it would be with the whole batch in the store; only the chunk's own data and
    neighbourhood are in memory at once (``load`` of a file of millions of triples).
    ``subjects`` are the batch's subjects, ``nodes`` every IRI it names.
    """
    size = chunk_triples or JUDGE_CHUNK
    pending = [_Staged(staged, nodes)]
    lookup, graph = staged.native.quads_for_pattern, ox.DefaultGraph()
    results: set[ValidationResult] = set()
    chunk: list[ox.Quad] = []

    def judge_chunk() -> None:
        prepared = prepare(store, chunk, replace_single_values=False, pending=pending)
        # no first look: shifty judges every node of the data, and a chunk's data holds
        # nodes of other chunks in part (their types, their links to the chunk), so it
        # never passes one, and looking cost three times rudof's own time
        results.update(judge(prepared, first_look=False).results)
        chunk.clear()

    for subject in subjects:
        chunk.extend(lookup(subject, None, None, graph))
        if len(chunk) >= size:
            judge_chunk()
    if chunk:
        judge_chunk()
    ordered = sorted(
        results, key=lambda r: (r.focus_node, r.path, r.constraint, r.message, r.value)
    )
    return ValidationReport(conforms=not ordered, results=ordered)


def commit(store: Store, prepared: PreparedBatch) -> int:
    """Write a judged batch: replaced values out, the batch in, one transaction; with its
    source graphs and their description when it was prepared from a plan (``nquads`` holds
    them, ``quads`` only the view's triples)."""
    store.write_nquads(prepared.replaced, prepared.nquads)
    return prepared.new_count


def also_judged(store: Store, view_plan: Plan) -> set[ox.NamedNode]:
    """Nodes a write judges though it states nothing of them: those that lose statements
    from the view, and those that link to a node that loses its type (a class constraint
    on the link may break)."""
    nodes = set(view_plan.focus)
    untyped = [q.subject for q in view_plan.view_removals if q.predicate == RDF_TYPE]
    if untyped:
        gone = set(view_plan.view_removals)
        nodes.update(
            q.subject
            for q in store.links([], untyped)  # type: ignore[arg-type]
            if isinstance(q.subject, ox.NamedNode) and q not in gone
        )
    return nodes


@dataclass
class GatedSources:
    """The gate's verdict on a write of source records, what the write changes, and the
    write itself (the view's triples new to it), to call if the report conforms."""

    report: ValidationReport
    plan: Plan
    write: Callable[[], int]


def gate_sources(store: Store, records: Sequence[SourceRecord]) -> GatedSources:
    """Judge what writing source records (new versions of their graphs, or ``None`` to
    withdraw them) leaves in the view, by the engines of :func:`gate_plan`. Nothing is
    written until the caller calls ``write``; it writes the view and the graphs in one
    transaction (decision 0021)."""
    canonical(records)
    view_plan = plan(Layered(store), records)
    if not view_plan.graphs:
        return GatedSources(ValidationReport(conforms=True, results=[]), view_plan, lambda: 0)
    blank = any(
        isinstance(term, ox.BlankNode)
        for statement in view_plan.view_statements
        for term in (statement[0], statement[2])
    )
    if gate_plan(blank_nodes=blank).whole_graph:
        batch = Graph()
        for quad in view_plan.view:
            batch.add(from_quad(quad))
        check = PYSHACL.check(
            store,
            batch,
            removals=[from_quad(q) for q in view_plan.view_removals],
            also=[URIRef(node.value) for node in also_judged(store, view_plan)],
        )

        def write_whole() -> int:
            view = view_plan.view
            new = sum(1 for q in view if not store.contains(from_quad(q)))
            store.write_quads(view_plan.removals, view + view_plan.graph_additions)
            return new

        return GatedSources(check.report, view_plan, write_whole)
    prepared = prepare(store, (), replace_single_values=False, view_plan=view_plan)

    def write() -> int:
        store.write_nquads(prepared.replaced, prepared.nquads)
        return prepared.new_count

    return GatedSources(judge(prepared), view_plan, write)
