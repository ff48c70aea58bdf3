"""EvidenceGraph: the one facade the CLI and users' code call."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import Graph
from rdflib.term import Node

from evidencegraph.errors import NonConformingError
from evidencegraph.ontology.namespace import model_files
from evidencegraph.queries import NamedQuery, get_query
from evidencegraph.rdf.files import (
    RdfInput,
    rdf_inputs,
    read_packaged,
    stage_rdf_files,
)
from evidencegraph.rdf.results import QueryResult
from evidencegraph.rdf.terms import from_quad
from evidencegraph.store.core import OxigraphStore, Store
from evidencegraph.store.registry import open_store
from evidencegraph.validation.batch_gate import gate, judge_staged
from evidencegraph.validation.engines import gate_plan
from evidencegraph.validation.shacl import ValidationReport

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


@dataclass(frozen=True)
class Stats:
    """Size of the store: triples, and instances per class (most first)."""

    triples: int
    classes: list[tuple[str, int]]


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

    def load(self, batch: Graph, *, replace_single_values: bool = False) -> LoadSummary:
        """Validate a batch with the neighbourhood it touches, then commit it whole.

        With ``replace_single_values`` the batch's value of a single-valued
        property replaces the stored one (the newer record wins; decision 0008).
        Raises NonConformingError (with the report) and writes nothing when the
        batch would leave the store violating the shapes.
        """
        started = time.perf_counter()
        gated = gate(self.store, batch, replace_single_values=replace_single_values)
        report = gated.report
        validated = time.perf_counter()
        _refuse_unless_conforms(report)
        added, replaced = gated.write()
        return LoadSummary(
            triples_read=len(batch),
            triples_added=added,
            values_replaced=replaced,
            validate_seconds=validated - started,
            commit_seconds=time.perf_counter() - validated,
        )

    def load_files(
        self, paths: Iterable[Path], syntax: str | None = None, base: str | None = None
    ) -> LoadSummary:
        """Read RDF files as one batch and load it, all or nothing (see :meth:`load_sources`);
        relative IRIs resolve against ``base``, else against each file's location."""
        return self.load_sources(rdf_inputs(paths, syntax, base))

    def load_sources(self, sources: Sequence[RdfInput]) -> LoadSummary:
        """Stream RDF files into a scratch store, judge the batch, then commit it whole.

        The files are parsed by pyoxigraph straight into an in-memory scratch store (no
        rdflib graph: a million triples take about 0.4 GB there, against 4 GB as rdflib
        terms) and judged a chunk of subjects at a time with the whole batch in view
        (:func:`~evidencegraph.validation.batch_gate.judge_staged`); only a conforming batch is
        written (:meth:`~evidencegraph.store.core.Store.add_staged`). A batch with blank
        nodes, or where pyrudof is missing, goes to pyshacl whole, through :meth:`load`.
        Raises InputError (file and line) for a file that cannot be read or is refused,
        NonConformingError with the report, and writes nothing in either case.
        """
        started = time.perf_counter()
        staging = OxigraphStore(None)
        staged = stage_rdf_files(sources, staging.native)
        if gate_plan(blank_nodes=staged.blank_nodes).whole_graph:
            batch = Graph()
            for triple in staging.quads():
                batch.add(from_quad(triple))
            del staging
            return self.load(batch)
        report = judge_staged(self.store, staging, staged.subjects, staged.nodes)
        del staged
        validated = time.perf_counter()
        _refuse_unless_conforms(report)
        read = len(staging)
        added = self.store.add_staged(staging)
        return LoadSummary(
            triples_read=read,
            triples_added=added,
            validate_seconds=validated - started,
            commit_seconds=time.perf_counter() - validated,
        )

    def build(self) -> LoadSummary:
        """Load the model (ontology, concept schemes) and the curated evidence as one batch."""
        from evidencegraph.evidence import evidence_files

        return self.load(
            read_packaged([*model_files(), *evidence_files()]), replace_single_values=True
        )

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
        whether or not the query projects them (NamedQuery.prepare)."""
        named = get_query(name_or_query) if isinstance(name_or_query, str) else name_or_query
        text, bindings = named.prepare(params or {})
        return self.store.query(text, bindings)

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
        return Stats(triples=len(self.store), classes=classes)


def _refuse_unless_conforms(report: ValidationReport) -> None:
    """Raise NonConformingError, with the report, for a batch that breaks the shapes."""
    if not report.conforms:
        raise NonConformingError(
            f"the batch was rejected: {len(report.results)} shape violation(s); "
            "nothing was written. Fix the data and load again.",
            report,
        )
