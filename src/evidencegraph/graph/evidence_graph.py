"""EvidenceGraph: the one facade the CLI and users' code call."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox
from rdflib import Graph
from rdflib.term import Node

from evidencegraph._compat import Traversable
from evidencegraph.errors import NonConformingError, UsageError
from evidencegraph.graph.name_key_upgrade import (
    graphs_missing_name_keys,
    in_chunks,
    records_again,
    write_marks,
)
from evidencegraph.ontology.namespace import model_files
from evidencegraph.ontology.source_graphs import (
    CATALOG,
    GRAPH_BASE,
    MODEL_GRAPH,
    NOT_SHOWN,
    NOT_SOURCES,
    SourceKind,
    curated_graph,
    file_graph,
)
from evidencegraph.queries import NamedQuery, get_query
from evidencegraph.queries.name_keys import run_checked
from evidencegraph.rdf.files import RdfInput, StagedFiles, rdf_inputs, stage_rdf_files
from evidencegraph.rdf.results import QueryResult
from evidencegraph.rdf.terms import to_quads
from evidencegraph.store.core import OxigraphStore, Store
from evidencegraph.store.registry import open_store
from evidencegraph.validation.batch_gate import gate_sources, judge_staged
from evidencegraph.validation.shacl import ValidationReport
from evidencegraph.validation.source_view import (
    NOT_SHOWN_STAMP,
    Plan,
    SourceRecord,
    checksum,
    describe,
)

if TYPE_CHECKING:
    import networkx as nx


@dataclass(frozen=True)
class LoadSummary:
    """What a load did: triples read in the batch, and triples new to the store.

    It does not count the store: Oxigraph counts by reading every triple (1.5 s at 6 M).
    """

    triples_read: int
    triples_added: int
    values_replaced: int = 0
    validate_seconds: float = 0.0
    commit_seconds: float = 0.0
    #: what the write did to the source graphs and the view (None for a large staged load)
    plan: Plan | None = field(default=None, repr=False)


@dataclass(frozen=True)
class NameKeyUpgrade:
    """What ``add_name_keys`` did: the source graphs written again, and the view's new
    triples (the keys of names no other graph had keyed); with :meth:`EvidenceGraph.upgrade`,
    the marks of the values the view does not show added and taken out (decision 0030)."""

    graphs: int
    triples_added: int
    marks_added: int = 0
    marks_removed: int = 0


@dataclass(frozen=True)
class Stats:
    """Size of the store: triples, and instances per class (most first)."""

    triples: int
    classes: list[tuple[str, int]]
    #: source graphs per kind (the kind's label), in the order of precedence
    graphs: list[tuple[str, int]] = field(default_factory=list)


#: Triples a load judges and plans in memory at once; a larger load into new graphs is judged
#: in chunks and written in journaled steps.
LOAD_WHOLE = 500_000


class EvidenceGraph:
    """A store with the evidence model: validated loads, queries, validation, statistics."""

    def __init__(self, store: Store):
        self.store = store

    @classmethod
    def open(cls, descriptor: str | None = None, *, read_only: bool = False) -> EvidenceGraph:
        """Open the store a descriptor names (:func:`evidencegraph.store.registry.open_store`)."""
        return cls(open_store(descriptor, read_only=read_only))

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> EvidenceGraph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing ---------------------------------------------------------------

    def load(self, batch: Graph, *, graph: str | None = None) -> LoadSummary:
        """Validate a batch as a source of its own, with the neighbourhood it touches, then
        commit it whole.

        The batch's statements go into the named graph ``graph`` (default: one named by
        the batch's checksum, ``graph/batch/SHA256``, so that the same batch twice is one
        source and a different batch another); the view takes them by precedence
        (decision 0021; a batch is an *other* source). Raises NonConformingError (with the
        report) and writes nothing when the view would violate the shapes.
        """
        triples = list(to_quads(batch))
        name = graph or f"{GRAPH_BASE}batch/{checksum(triples)}"
        record = SourceRecord(ox.NamedNode(name), SourceKind.OTHER, triples, label=name)
        return self.write_sources([record], read=len(batch))

    def write_sources(self, records: Sequence[SourceRecord], *, read: int = 0) -> LoadSummary:
        """Write source records (a new version of each one's graph, or ``triples=None`` to
        withdraw it) through the gate, all or nothing (decision 0021)."""
        started = time.perf_counter()
        gated = gate_sources(self.store, records)
        validated = time.perf_counter()
        _refuse_unless_conforms(
            gated.report, withdrawing=all(record.triples is None for record in records)
        )
        added = gated.write()
        return LoadSummary(
            triples_read=read,
            triples_added=added,
            values_replaced=gated.plan.replaced,
            validate_seconds=validated - started,
            commit_seconds=time.perf_counter() - validated,
            plan=gated.plan,
        )

    def load_files(
        self,
        paths: Iterable[Path],
        syntax: str | None = None,
        base: str | None = None,
        graph: str | None = None,
    ) -> LoadSummary:
        """Read RDF files and load them, all or nothing (see :meth:`load_sources`);
        relative IRIs resolve against ``base``, else against each file's location."""
        return self.load_sources(rdf_inputs(paths, syntax, base), graph=graph)

    def load_sources(self, sources: Sequence[RdfInput], graph: str | None = None) -> LoadSummary:
        """Load RDF files, each a source of its own: its statements go into the named graph
        ``graph/file/NAME`` (or ``graph``, for one file), and the view takes them by
        precedence (decision 0021). Loading a file again replaces its graph exactly.

        Each file is parsed by pyoxigraph straight into an in-memory scratch store (no
        rdflib graph). Up to :data:`LOAD_WHOLE` triples in all, the files are judged and
        written like any source records (:meth:`write_sources`). A larger load into new
        graphs is judged a chunk of subjects at a time with the whole batch in view
        (:func:`~evidencegraph.validation.batch_gate.judge_staged`) and written in
        journaled steps (:meth:`~evidencegraph.store.core.Store.add_staged`); it takes no
        precedence into account, so a value that contradicts one the view shows is a
        violation there.
        Raises InputError (file and line) for a file that cannot be read or is refused,
        UsageError for two files that would share a graph, NonConformingError with the
        report, and writes nothing in any of these cases.
        """
        if graph is not None:
            if len(sources) != 1:
                raise UsageError("--graph names the graph of one file: give one file with it")
            _check_graph_name(graph)
        started = time.perf_counter()
        names: dict[str, RdfInput] = {}
        staged_files: list[tuple[RdfInput, ox.NamedNode, OxigraphStore, StagedFiles]] = []
        for source in sources:
            name = graph or file_graph(source.path.name)
            if name in names:
                raise UsageError(
                    f"{names[name].path} and {source.path} would both be the graph <{name}> "
                    "(a file's graph is named by its file name): load them one at a time "
                    "with --graph, or rename one. Nothing was written."
                )
            names[name] = source
            staging = OxigraphStore(None)
            staged_files.append(
                (source, ox.NamedNode(name), staging, stage_rdf_files([source], staging.native))
            )
        total = sum(len(staging) for _, _, staging, _ in staged_files)
        if total > LOAD_WHOLE:
            return self._load_large(staged_files, total, started)
        records = [
            SourceRecord(name, SourceKind.OTHER, list(staging.quads()), label=str(source.path))
            for source, name, staging, _ in staged_files
        ]
        return self.write_sources(records, read=total)

    def _load_large(
        self,
        staged_files: list[tuple[RdfInput, ox.NamedNode, OxigraphStore, StagedFiles]],
        total: int,
        started: float,
    ) -> LoadSummary:
        """A load past :data:`LOAD_WHOLE` triples into new graphs: judged in chunks, written
        in journaled steps, the view's triples and each file's graph together."""
        if any(self.store.graph_contents([name]) for _, name, _, _ in staged_files):
            raise UsageError(
                f"loading {total:,} triples again into a graph the store holds is more "
                f"than this version replaces at once ({LOAD_WHOLE:,}): withdraw the graph "
                "first (evidencegraph withdraw), then load. Nothing was written."
            )
        staging = OxigraphStore(None)
        subjects: set[ox.NamedNode] = set()
        nodes: set[ox.NamedNode] = set()
        for source, name, part, staged in staged_files:
            quads = list(part.quads())
            record = SourceRecord(name, SourceKind.OTHER, quads, label=str(source))
            staging.native.extend(quads)
            staging.native.extend(ox.Quad(q.subject, q.predicate, q.object, name) for q in quads)
            staging.native.extend(describe(record))
            subjects |= staged.subjects
            nodes |= staged.nodes
        if not self.store.describes_graphs():
            # a new store keeps its marks complete from its first write (decision 0030): this
            # write marks nothing, as a value that contradicts the view is refused here
            staging.native.add(NOT_SHOWN_STAMP)
        report = judge_staged(self.store, staging, subjects, nodes)
        validated = time.perf_counter()
        _refuse_unless_conforms(report)
        added = self.store.add_staged(staging)
        return LoadSummary(
            triples_read=total,
            triples_added=added,
            validate_seconds=validated - started,
            commit_seconds=time.perf_counter() - validated,
        )

    def build(self) -> LoadSummary:
        """Load the model (ontology, concept schemes) and each curated evidence file, each
        into its own source graph (decision 0021), as one write."""
        from evidencegraph.evidence import evidence_files

        model = [quad for packaged in model_files() for quad in _packaged_quads(packaged)]
        records = [SourceRecord(ox.NamedNode(MODEL_GRAPH), SourceKind.MODEL, model, label="model")]
        for packaged in evidence_files():
            name = packaged.name.removesuffix(".ttl")
            records.append(
                SourceRecord(
                    ox.NamedNode(curated_graph(name)),
                    SourceKind.CURATED,
                    _packaged_quads(packaged),
                    label=packaged.name,
                )
            )
        read = sum(len(record.triples or ()) for record in records)
        return self.write_sources(records, read=read)

    def withdraw(self, graphs: Sequence[str]) -> LoadSummary:
        """Take source graphs out: their statements leave the view unless another graph
        states them too, and values they outranked come back; validated like any write,
        refused whole if the view would break the shapes (decision 0021)."""
        records = [
            SourceRecord(ox.NamedNode(graph), SourceKind.OTHER, None, label=graph)
            for graph in graphs
        ]
        return self.write_sources(records)

    def add_name_keys(
        self, *, graphs_per_write: int = 500, on_step: Callable[[str], None] | None = None
    ) -> NameKeyUpgrade:
        """Upgrade a store written before the name keys (decision 0028): every source graph
        that names a drug or condition without its key is written again, as its own new
        version (the same statements, kind, version and source), so the write adds the keys
        into that graph and the catalog's description follows. Each group of
        ``graphs_per_write`` graphs is one write through the gate; running it again finds
        nothing to do. ``on_step`` is told of each step as it starts."""
        if on_step is not None:
            on_step("looking for names without their keys")
        graphs = graphs_missing_name_keys(self.store)
        added = written = 0
        for part in in_chunks(graphs, graphs_per_write):
            if on_step is not None:
                on_step(
                    f"writing graphs {written + 1:,} to {written + len(part):,} of "
                    f"{len(graphs):,} again with their keys"
                )
            added += self.write_sources(records_again(self.store, part)).triples_added
            written += len(part)
        return NameKeyUpgrade(graphs=len(graphs), triples_added=added)

    def upgrade(
        self, *, graphs_per_write: int = 500, on_step: Callable[[str], None] | None = None
    ) -> NameKeyUpgrade:
        """Upgrade a store written before the name keys or before the marks of the values
        the view does not show: the keys first (:meth:`add_name_keys`, whose writes mark only
        what they weigh), then every mark the graphs and the view imply, with the catalog's
        statement that the store keeps them (decision 0030). Running it again does nothing.
        ``on_step`` is told of each step as it starts (at 100,000 studies the whole takes
        minutes)."""
        keyed = self.add_name_keys(graphs_per_write=graphs_per_write, on_step=on_step)
        added, removed = write_marks(self.store, on_step)
        return NameKeyUpgrade(keyed.graphs, keyed.triples_added, added, removed)

    # --- reading ---------------------------------------------------------------

    def validate(self, engine: str = "auto") -> ValidationReport:
        """Validate the whole store against the shapes.

        ``engine`` is ``auto`` (rudof, chunk by chunk, where pyrudof is installed; else
        pyshacl), ``rudof`` or ``pyshacl`` (decision 0012). The two agree on every shape
        test, with one difference on purpose: the rudof route also checks lexical forms
        (``"yes"^^xsd:boolean``, a malformed xsd:gYear), which pyshacl lets through
        (decision 0020).
        Raises UsageError for an engine that cannot run here.
        """
        from evidencegraph.validation.store_validation import validate_store

        return validate_store(self.store, engine)

    def query(self, sparql: str, bindings: Mapping[str, Node] | None = None) -> QueryResult:
        """Run a SPARQL query with variables pre-bound to RDF terms."""
        return self.store.query(sparql, bindings)

    def run(
        self, name_or_query: str | NamedQuery, params: Mapping[str, str] | None = None
    ) -> QueryResult:
        """Run a named query (or a parsed query file), binding ``params`` as RDF terms
        whether or not the query projects them (NamedQuery.prepare).

        Raises StoreNeedsUpgradeError when the answer is empty because the store was written
        before the name keys (decision 0028), or when the query reads the marks of the values
        the view does not show and the store was written before them (decision 0030)."""
        named = get_query(name_or_query) if isinstance(name_or_query, str) else name_or_query
        text, bindings = named.prepare(params or {})
        return run_checked(self.store, text, bindings, named.keyed)

    def to_networkx(self) -> nx.MultiDiGraph:
        """A networkx projection of the instance graph (see evidencegraph.graph.network)."""
        from evidencegraph.graph.network import project

        return project(self.store)

    def stats(self) -> Stats:
        """Triples in the store and instances per class."""
        result = self.store.query(
            "SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class } "
            "GROUP BY ?class ORDER BY DESC(?n) ?class"
        )
        classes = [(str(row["class"]), int(row["n"])) for row in result.rows]  # type: ignore[call-overload]
        counted = self.store.query(
            "SELECT ?kind (COUNT(?g) AS ?n) WHERE { GRAPH <" + CATALOG + "> "
            "{ ?g <https://w3id.org/evidencegraph/ontology#sourceKind> ?kind } } GROUP BY ?kind"
        )
        by_kind = {str(row["kind"]): int(row["n"]) for row in counted.rows}  # type: ignore[call-overload]
        graphs = [
            (kind.name.lower().replace("_", " "), by_kind[kind.concept])
            for kind in SourceKind
            if kind.concept in by_kind
        ]
        return Stats(triples=len(self.store), classes=classes, graphs=graphs)


def _check_graph_name(graph: str) -> None:
    """Refuse a graph name that is not an absolute IRI, or is the catalog's."""
    try:
        ox.NamedNode(graph)
    except ValueError as error:
        raise UsageError(
            f"--graph {graph!r} is not an IRI ({error}); nothing was written"
        ) from None
    if graph in NOT_SOURCES or ":" not in graph:
        raise UsageError(
            f"--graph {graph!r}: give an absolute IRI other than the catalog's and "
            f"{NOT_SHOWN}'s (the store derives both); nothing was written"
        )


def _packaged_quads(packaged: Traversable) -> list[ox.Quad]:
    """The triples of a packaged Turtle file (the model, the curated evidence)."""
    with packaged.open("rb") as handle:
        return list(ox.parse(handle, format=ox.RdfFormat.TURTLE))


def _refuse_unless_conforms(report: ValidationReport, *, withdrawing: bool = False) -> None:
    """Raise NonConformingError, with the report, for a write that breaks the shapes."""
    if report.conforms:
        return
    if withdrawing:
        raise NonConformingError(
            f"the withdrawal was refused: without those sources the view would break the "
            f"shapes ({len(report.results)} violation(s), above: what links to statements "
            "only they make); nothing was withdrawn. Withdraw what depends on them too, or "
            "keep them.",
            report,
        )
    raise NonConformingError(
        f"the batch was rejected: {len(report.results)} shape violation(s); "
        "nothing was written. Fix the data and load again.",
        report,
    )
