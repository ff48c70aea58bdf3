"""The Store seam and the embedded backend: where triples live.

:class:`OxigraphStore` is ``oxigraph:PATH`` (pyoxigraph on disk, the default) and
``memory:`` (in process); :mod:`evidencegraph.store.registry` opens a store by its
descriptor. Every backend keeps triples in the default graph
and adds a batch atomically: all of it or none of it.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import shutil
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol, runtime_checkable

import pyoxigraph as ox
from rdflib import Graph, Variable
from rdflib.term import Node

from evidencegraph.errors import QuerySyntaxError, StoreError, UsageError
from evidencegraph.ontology.namespace import EG
from evidencegraph.ontology.source_graphs import CATALOG
from evidencegraph.rdf.results import QueryResult
from evidencegraph.rdf.terms import (
    RDF_TYPE,
    OxTerm,
    Triple,
    from_quad,
    to_oxigraph,
    to_quads,
    to_rdflib,
)
from evidencegraph.store.solution_order import (
    OrderKey,
    final_order,
    order_rows,
    remember_engine_order,
)

if TYPE_CHECKING:
    from evidencegraph.store.serving_guard import Guard

SOURCE_GRAPH_CLASS = str(EG.SourceGraph)
_CATALOG = ox.NamedNode(CATALOG)
_SOURCE_GRAPH = ox.NamedNode(SOURCE_GRAPH_CLASS)


class Store(ABC):
    """Where triples live. Every backend passes the same contract tests."""

    descriptor: str
    #: Whether every triple is in this process, so that reading them all (:meth:`quads`) costs
    #: index lookups, not requests: callers that read the whole store (the network projection,
    #: whole-store validation) read it that way then, and otherwise by SPARQL or a copy.
    local: bool = False

    @abstractmethod
    def query(self, sparql: str, bindings: Mapping[str, Node] | None = None) -> QueryResult:
        """Run a SPARQL 1.1 query; ``bindings`` pre-bind variables to RDF terms.

        Raises QuerySyntaxError when the query does not parse, and UsageError
        when a bound variable is not in the SELECT projection.
        """

    @abstractmethod
    def add(self, triples: Iterable[Triple]) -> int:
        """Add triples atomically; return how many were not in the store before."""

    @abstractmethod
    def replace(self, removals: Iterable[Triple], additions: Iterable[Triple]) -> int:
        """Remove ``removals`` and add ``additions`` in one atomic step; return the count of
        added triples that were not in the store before."""

    def construct_quads(self, sparql: str) -> Iterator[ox.Quad]:
        """The triples a CONSTRUCT query builds, as pyoxigraph default-graph quads."""
        result = self.query(sparql)
        yield from to_quads(result.graph if result.graph is not None else ())

    def neighbourhood_quads(
        self,
        focus: Sequence[ox.NamedNode],
        linked: Sequence[ox.NamedNode],
        inverse: Iterable[ox.NamedNode],
    ) -> set[ox.Quad]:
        """What a batch touches: every triple of the ``focus`` nodes, incoming links to them
        along the ``inverse`` predicates, and the types of every node those triples and the
        ``linked`` nodes name. Backends may answer without SPARQL; this one asks in chunks."""
        found: set[ox.Quad] = set()
        backwards = _incoming_links_pattern(inverse)
        for chunk in _values_chunks(focus):
            found.update(
                self.construct_quads(
                    "CONSTRUCT { ?s ?p ?o . ?o a ?type } WHERE { VALUES ?s { "
                    + chunk
                    + " } ?s ?p ?o OPTIONAL { ?o a ?type } }"
                )
            )
            if backwards:
                found.update(
                    self.construct_quads(
                        "CONSTRUCT { ?in ?p ?s . ?in a ?type } WHERE { VALUES ?s { "
                        + chunk
                        + " } "
                        + backwards
                        + " OPTIONAL { ?in a ?type } }"
                    )
                )
        for chunk in _values_chunks(linked):
            found.update(
                self.construct_quads(
                    "CONSTRUCT { ?o a ?type } WHERE { VALUES ?o { " + chunk + " } ?o a ?type }"
                )
            )
        return found

    def links(
        self, outgoing: Sequence[ox.NamedNode | ox.BlankNode], incoming: Sequence[ox.NamedNode]
    ) -> set[ox.Quad]:
        """Every triple whose subject is in ``outgoing`` or whose object is in ``incoming``."""
        found: set[ox.Quad] = set()
        for chunk in _values_chunks([n for n in outgoing if isinstance(n, ox.NamedNode)]):
            found.update(
                self.construct_quads(
                    f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?s {{ {chunk} }} ?s ?p ?o }}"
                )
            )
        for chunk in _values_chunks(list(incoming)):
            found.update(
                self.construct_quads(
                    f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?o {{ {chunk} }} ?s ?p ?o }}"
                )
            )
        return found

    def about(
        self, nodes: Sequence[ox.NamedNode | ox.BlankNode], predicates: Sequence[ox.NamedNode]
    ) -> set[ox.Quad]:
        """The triples of ``nodes`` along ``predicates`` (their types and labels, say)."""
        found: set[ox.Quad] = set()
        branches = " UNION ".join(f"{{ ?s {p} ?o BIND({p} AS ?p) }}" for p in predicates)
        for chunk in _values_chunks([n for n in nodes if isinstance(n, ox.NamedNode)]):
            found.update(
                self.construct_quads(
                    f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?s {{ {chunk} }} {branches} }}"
                )
            )
        return found

    @abstractmethod
    def write_quads(self, removals: Sequence[ox.Quad], additions: Sequence[ox.Quad]) -> None:
        """Take ``removals`` out and put ``additions`` in, both or neither. Quads may be in
        the default graph (the view) or in a named graph (a source graph, decision 0021)."""

    def write_nquads(self, removals: Sequence[ox.Quad], nquads: bytes) -> None:
        """:meth:`write_quads` with the additions as N-Quads lines: a large group of judged
        batches, which the import holds as bytes."""
        self.write_quads(removals, list(ox.parse(nquads, format=ox.RdfFormat.N_QUADS)))

    # --- source graphs (decision 0021) ---------------------------------------------

    def values(
        self, pairs: Sequence[tuple[ox.NamedNode | ox.BlankNode, ox.NamedNode]]
    ) -> list[ox.Quad]:
        """Every quad, in any graph (the view and each source graph), whose subject and
        predicate are one of ``pairs``."""
        found: list[ox.Quad] = []
        for rows in pair_rows(pairs):
            found += self._select_quads(
                f"VALUES (?s ?p) {{ {rows} }} {{ ?s ?p ?o }} UNION {{ GRAPH ?g {{ ?s ?p ?o }} }}"
            )
        return found

    def present(self, subjects: Sequence[ox.NamedNode]) -> set[ox.NamedNode]:
        """Those of ``subjects`` the store states anything about, in any graph: a new
        record's nodes are mostly new, and a node that is not here needs no more lookups."""
        found: set[ox.NamedNode] = set()
        for chunk in _values_chunks(list(subjects)):
            for quad in self._select_quads(
                f"VALUES ?s {{ {chunk} }} {{ ?s ?p ?o }} UNION {{ GRAPH ?g {{ ?s ?p ?o }} }}"
            ):
                if isinstance(quad.subject, ox.NamedNode):
                    found.add(quad.subject)
        return found

    def view_values(
        self, pairs: Sequence[tuple[ox.NamedNode | ox.BlankNode, ox.NamedNode]]
    ) -> list[ox.Quad]:
        """The view's triples whose subject and predicate are one of ``pairs``: what
        :meth:`values` gives without asking every source graph (a node thousands of records
        name has thousands of those)."""
        found: list[ox.Quad] = []
        for rows in pair_rows(pairs):
            found += self._select_quads(f"VALUES (?s ?p) {{ {rows} }} ?s ?p ?o")
        return found

    def graph_contents(self, graphs: Sequence[ox.NamedNode]) -> list[ox.Quad]:
        """Every quad of the named ``graphs``."""
        found: list[ox.Quad] = []
        for chunk in _values_chunks(list(graphs)):
            found += self._select_quads(f"VALUES ?g {{ {chunk} }} GRAPH ?g {{ ?s ?p ?o }}")
        return found

    def ask(self, sparql: str) -> bool:
        """The answer of a SPARQL ASK query."""
        return bool(self.query(sparql).boolean)

    def describes_graphs(self) -> bool:
        """Whether the catalog describes any source graph: a store that describes none is
        new, and what is written to it from now on is complete (decision 0030)."""
        return self.ask(f"ASK {{ GRAPH <{CATALOG}> {{ ?g a <{SOURCE_GRAPH_CLASS}> }} }}")

    def named_quads(self) -> Iterator[ox.Quad]:
        """Every quad in a named graph (the source graphs and the catalog)."""
        yield from self._select_quads("GRAPH ?g { ?s ?p ?o }")

    def _select_quads(self, pattern: str) -> list[ox.Quad]:
        """The quads a graph pattern binding ``?s ?p ?o`` (and ``?g``; unbound is the
        default graph) matches."""
        solutions = self.query(f"SELECT ?s ?p ?o ?g WHERE {{ {pattern} }}")
        found = []
        for row in solutions.rows:
            s, p, o = (to_oxigraph(row[name]) for name in ("s", "p", "o"))
            graph = row.get("g")
            name = ox.DefaultGraph() if graph is None else to_oxigraph(graph)
            found.append(ox.Quad(s, p, o, name))  # type: ignore[arg-type]
        return found

    def add_staged(self, staged: OxigraphStore) -> int:
        """Add every quad of a scratch store (view and named graphs), all or none; return
        how many were new to the view."""
        quads = list(staged.native)
        new = sum(
            1
            for quad in quads
            if isinstance(quad.graph_name, ox.DefaultGraph) and not self.contains(from_quad(quad))
        )
        self.write_quads([], quads)
        return new

    def quads(self) -> Iterator[ox.Quad]:
        """Every triple of the view, as a pyoxigraph default-graph quad (the dump,
        whole-store reads); :meth:`named_quads` has the source graphs."""
        return to_quads(self.to_graph())

    @abstractmethod
    def contains(self, triple: Triple) -> bool:
        """Whether the store holds the triple."""

    @abstractmethod
    def __len__(self) -> int:
        """Number of triples in the view (the default graph)."""

    @abstractmethod
    def clear(self) -> None:
        """Remove every triple."""

    @abstractmethod
    def to_graph(self) -> Graph:
        """A copy of the whole store as an rdflib Graph."""

    def close(self) -> None:  # noqa: B027 - optional hook for backends holding resources
        """Release the store's resources (file locks, connections)."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@runtime_checkable
class SparqlService(Protocol):
    """A store that answers the SPARQL 1.1 Protocol itself (what ``serve`` needs of one):
    queries over the dataset a request names, answered lazily so that rows stream out, and
    updates as text. The embedded store is one; a ``sparql:`` store is a server already."""

    def run_query(
        self,
        sparql: str,
        *,
        base_iri: str | None = None,
        default_graph: Sequence[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] | None = None,
        named_graphs: Sequence[ox.NamedNode | ox.BlankNode] | None = None,
        substitutions: Mapping[ox.Variable, OxTerm | ox.Triple] | None = None,
    ) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        """The answer to a query; SyntaxError when it does not parse."""
        ...

    def run_update(self, sparql: str, *, base_iri: str | None = None) -> None:
        """Run an update, all of it or none; SyntaxError when it does not parse."""
        ...


def sparql_service(store: Store, purpose: str) -> SparqlService:
    """``store`` as a :class:`SparqlService` (the server's workers open one that is); a
    TypeError naming ``purpose`` (what it "cannot" do) for one that is not."""
    if not isinstance(store, SparqlService):
        raise TypeError(f"the store {store.descriptor} cannot {purpose}")
    return store


class OxigraphStore(Store):
    """pyoxigraph: on disk when given a path, in memory otherwise."""

    local = True

    #: Whether this process wrote to the store: an on-disk store is then compacted on close.
    _written = False
    #: The lock that keeps `serve` off a store this process writes (store/serving_guard.py).
    _guard: Guard | None = None

    def __init__(self, path: str | os.PathLike[str] | None = None, *, read_only: bool = False):
        self.path = Path(path) if path is not None else None
        self.descriptor = f"oxigraph:{self.path}" if self.path is not None else "memory:"
        #: opened read-only: other processes may open it read-only beside this one
        self.read_only = read_only
        self._store = _open_oxigraph(self.path, read_only=read_only)
        if read_only and self.path is not None and (self.path / _JOURNAL).exists():
            logging.getLogger(__name__).warning(
                "%s: a load was cut off while it wrote, and part of it is in the store; "
                "the next command that writes to it takes that part back out",
                self.descriptor,
            )
        elif not read_only and self._take_back_unfinished_load():
            logging.getLogger(__name__).warning(
                "%s: a load was cut off while it wrote (killed, or the disk filled); "
                "its triples were taken back out, so the store is as it was before it",
                self.descriptor,
            )

    @property
    def native(self) -> ox.Store:
        """The pyoxigraph store itself, for the scratch stores a load stages its files in."""
        return self._store

    def run_query(
        self,
        sparql: str,
        *,
        base_iri: str | None = None,
        default_graph: Sequence[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] | None = None,
        named_graphs: Sequence[ox.NamedNode | ox.BlankNode] | None = None,
        substitutions: Mapping[ox.Variable, OxTerm | ox.Triple] | None = None,
    ) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        """Run a query as the SPARQL 1.1 Protocol asks (its dataset, its base), answering
        pyoxigraph's lazy results so that they stream out: :class:`SparqlService`."""
        return self._store.query(
            sparql,
            base_iri=base_iri,
            default_graph=list(default_graph) if default_graph is not None else None,
            named_graphs=list(named_graphs) if named_graphs is not None else None,
            substitutions=dict(substitutions) if substitutions else None,
        )

    def run_update(self, sparql: str, *, base_iri: str | None = None) -> None:
        """Run a SPARQL update in one transaction: :class:`SparqlService`."""
        self._written = True
        self._store.update(sparql, base_iri=base_iri)

    def query(self, sparql: str, bindings: Mapping[str, Node] | None = None) -> QueryResult:
        substitutions: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {
            ox.Variable(name): to_oxigraph(term) for name, term in (bindings or {}).items()
        }
        try:
            ordering = final_order(sparql)
            if ordering is not None:
                unordered = self._store.query(
                    ordering.unordered, substitutions=substitutions or None
                )
                if not isinstance(unordered, ox.QuerySolutions):
                    return _to_result(unordered)  # a graph or a boolean: no order to keep
                ordered = _ordered_result(unordered, ordering.keys)
                if ordered is not None:
                    return ordered
                remember_engine_order(sparql)
            answer = self._store.query(sparql, substitutions=substitutions or None)
        except SyntaxError as error:
            raise QuerySyntaxError(describe_syntax_error(str(error))) from None
        except RuntimeError as error:
            raise UsageError(f"cannot run the query: {error}") from None
        except OSError as error:
            raise StoreError(f"cannot read the store {self.descriptor}: {error}") from None
        return _to_result(answer)

    def add(self, triples: Iterable[Triple]) -> int:
        quads = list(dict.fromkeys(to_quads(triples)))
        new = sum(1 for quad in quads if quad not in self._store)
        self._written = True
        try:
            self._store.extend(quads)
        except OSError as error:
            raise StoreError(f"cannot write to the store {self.descriptor}: {error}") from None
        return new

    def replace(self, removals: Iterable[Triple], additions: Iterable[Triple]) -> int:
        removed = list(dict.fromkeys(to_quads(removals)))
        quads = list(dict.fromkeys(to_quads(additions)))
        new = sum(1 for quad in quads if quad not in self._store)
        self.write_quads(removed, quads)
        return new

    def quads(self) -> Iterator[ox.Quad]:
        return iter(self._store.quads_for_pattern(None, None, None, ox.DefaultGraph()))

    def values(
        self, pairs: Sequence[tuple[ox.NamedNode | ox.BlankNode, ox.NamedNode]]
    ) -> list[ox.Quad]:
        return self._pair_lookups(pairs, None)

    def present(self, subjects: Sequence[ox.NamedNode]) -> set[ox.NamedNode]:
        lookup = self._store.quads_for_pattern
        return {s for s in subjects if next(lookup(s, None, None, None), None) is not None}

    def view_values(
        self, pairs: Sequence[tuple[ox.NamedNode | ox.BlankNode, ox.NamedNode]]
    ) -> list[ox.Quad]:
        return self._pair_lookups(pairs, ox.DefaultGraph())

    def _pair_lookups(
        self,
        pairs: Sequence[tuple[ox.NamedNode | ox.BlankNode, ox.NamedNode]],
        graph: ox.DefaultGraph | None,
    ) -> list[ox.Quad]:
        """The quads of each (subject, predicate) pair in ``graph`` (None: every graph)."""
        lookup = self._store.quads_for_pattern
        found: list[ox.Quad] = []
        for subject, predicate in pairs:
            found.extend(lookup(subject, predicate, None, graph))
        return found

    def graph_contents(self, graphs: Sequence[ox.NamedNode]) -> list[ox.Quad]:
        lookup = self._store.quads_for_pattern
        found: list[ox.Quad] = []
        for graph in graphs:
            found.extend(lookup(None, None, None, graph))
        return found

    def named_quads(self) -> Iterator[ox.Quad]:
        # graph by graph: the view, most of the store, is never walked
        lookup = self._store.quads_for_pattern
        for graph in list(self._store.named_graphs()):
            yield from lookup(None, None, None, graph)

    def describes_graphs(self) -> bool:
        found = self._store.quads_for_pattern(None, RDF_TYPE, _SOURCE_GRAPH, _CATALOG)
        return next(found, None) is not None

    def contains_quad(self, quad: ox.Quad) -> bool:
        """Whether the store holds a pyoxigraph quad."""
        return quad in self._store

    def dump_ntriples(self) -> bytes:
        """Every triple, as N-Triples."""
        data = self._store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
        assert data is not None
        return data

    def graph_ntriples(self, graph: ox.NamedNode) -> bytes:
        """A named graph's statements, as N-Triples (written in Rust: no term objects)."""
        data = self._store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph)
        assert data is not None
        return data

    def named_graphs(self) -> list[ox.NamedNode]:
        """The names of the graphs that hold statements."""
        return [name for name in self._store.named_graphs() if isinstance(name, ox.NamedNode)]

    def dump_nquads(self) -> bytes:
        """Every quad, the view's and the named graphs', as N-Quads."""
        data = self._store.dump(format=ox.RdfFormat.N_QUADS)
        assert data is not None
        return data

    def has_value(
        self, subject: ox.NamedNode | ox.BlankNode | ox.Triple, predicate: ox.NamedNode
    ) -> bool:
        """Whether the store states any value of ``predicate`` for ``subject``."""
        pattern = self._store.quads_for_pattern(subject, predicate, None, ox.DefaultGraph())
        return next(pattern, None) is not None

    def neighbourhood_quads(
        self,
        focus: Sequence[ox.NamedNode],
        linked: Sequence[ox.NamedNode],
        inverse: Iterable[ox.NamedNode],
    ) -> set[ox.Quad]:
        # index lookups, not SPARQL: most of a new batch's nodes are not in the store yet,
        # and a lookup that finds nothing costs microseconds
        lookup, graph = self._store.quads_for_pattern, ox.DefaultGraph()
        backwards = list(inverse)
        found: set[ox.Quad] = set()
        typed: set[ox.NamedNode | ox.BlankNode] = set(linked)
        for node in focus:
            for quad in lookup(node, None, None, graph):
                found.add(quad)
                if isinstance(quad.object, (ox.NamedNode, ox.BlankNode)):
                    typed.add(quad.object)
            # one probe for any incoming link first: most of a batch's nodes have none
            if backwards and next(lookup(None, None, node, graph), None) is not None:
                for predicate in backwards:
                    for quad in lookup(None, predicate, node, graph):
                        found.add(quad)
                        typed.add(quad.subject)  # type: ignore[arg-type]
        typed.difference_update(focus)  # their types came with everything else they state
        for named in typed:
            found.update(lookup(named, RDF_TYPE, None, graph))
        return found

    def links(
        self, outgoing: Sequence[ox.NamedNode | ox.BlankNode], incoming: Sequence[ox.NamedNode]
    ) -> set[ox.Quad]:
        lookup, graph = self._store.quads_for_pattern, ox.DefaultGraph()
        found: set[ox.Quad] = set()
        for node in outgoing:
            found.update(lookup(node, None, None, graph))
        for node in incoming:
            found.update(lookup(None, None, node, graph))
        return found

    def about(
        self, nodes: Sequence[ox.NamedNode | ox.BlankNode], predicates: Sequence[ox.NamedNode]
    ) -> set[ox.Quad]:
        lookup, graph = self._store.quads_for_pattern, ox.DefaultGraph()
        found: set[ox.Quad] = set()
        for node in nodes:
            for predicate in predicates:
                found.update(lookup(node, predicate, None, graph))
        return found

    def write_quads(self, removals: Sequence[ox.Quad], additions: Sequence[ox.Quad]) -> None:
        self._written = True
        try:
            if removals:
                # one SPARQL update runs in one Oxigraph transaction: both parts or neither
                self._store.update(
                    f"DELETE DATA {{ {_data_block(list(removals))} }} ;\n"
                    f"INSERT DATA {{ {_data_block(list(additions))} }}"
                )
            else:
                self._store.extend(additions)
        except OSError as error:
            raise StoreError(f"cannot write to the store {self.descriptor}: {error}") from None

    def write_nquads(self, removals: Sequence[ox.Quad], nquads: bytes) -> None:
        # With nothing to take out and fewer quads than Oxigraph's bulk loader takes in one
        # chunk, the bulk loader writes them as one RocksDB ingestion of sorted files, which
        # is atomic and costs less than half a transaction's CPU (decision 0010). In memory
        # it is the other way round: a transaction took two thirds of the bulk loader's CPU.
        # Lenient: every caller hands over lines pyoxigraph wrote from its own terms (the
        # gate's prepare, a group staged, a load's new triples), so their IRIs were checked
        # when the terms were made; parsing without checking them again took 7% of the
        # write's CPU on disk, 18% in memory (bench/gate_cost.py).
        self._written = True
        nq = ox.RdfFormat.N_QUADS
        try:
            if removals:
                additions = list(ox.parse(nquads, format=nq, lenient=True))
                self._store.update(
                    f"DELETE DATA {{ {_data_block(list(removals))} }} ;\n"
                    f"INSERT DATA {{ {_data_block(additions)} }}"
                )
            elif self.path is not None and nquads.count(b"\n") < _ONE_BULK_CHUNK:  # a quad a line
                self._store.bulk_load(nquads, format=nq, lenient=True)
            else:
                self._store.load(nquads, format=nq, lenient=True)  # one transaction
        except OSError as error:
            raise StoreError(f"cannot write to the store {self.descriptor}: {error}") from None

    def add_staged(self, staged: OxigraphStore) -> int:
        # One atomic write for what fits one (the bulk loader's single ingestion); a larger
        # batch in steps, each journaled before it is written, so that the next open takes
        # the new triples back out if the steps did not all finish: one transaction of a
        # million triples would take 0.9 GB on its own.
        if len(staged.native) <= WRITE_STEP or self.path is None:
            new = [quad for quad in staged.native if quad not in self._store]
            if new:
                self.write_nquads([], _ntriples(new))
            return sum(1 for quad in new if isinstance(quad.graph_name, ox.DefaultGraph))
        added = 0
        self._written = True
        try:
            with (self.path / _JOURNAL).open("wb") as journal:
                step: list[ox.Quad] = []
                for quad in staged.native:
                    if quad not in self._store:
                        step.append(quad)
                        if len(step) >= WRITE_STEP:
                            added += self._journaled_step(journal, step)
                if step:
                    added += self._journaled_step(journal, step)
        except OSError as error:
            self._take_back_unfinished_load()
            raise StoreError(f"cannot write to the store {self.descriptor}: {error}") from None
        (self.path / _JOURNAL).unlink()
        return added

    def _journaled_step(self, journal: IO[bytes], step: list[ox.Quad]) -> int:
        """Journal the step's triples (on disk before any is written), then write them."""
        data = _ntriples(step)
        journal.write(data)
        journal.flush()
        os.fsync(journal.fileno())
        self._store.bulk_load(data, format=ox.RdfFormat.N_QUADS)
        count = sum(1 for quad in step if isinstance(quad.graph_name, ox.DefaultGraph))
        step.clear()
        return count

    def _take_back_unfinished_load(self) -> bool:
        """Remove the triples a load journaled and did not finish writing (idempotent: a
        kill during it leaves the journal for the next open). True if there was one."""
        if self.path is None or not (self.path / _JOURNAL).exists():
            return False
        journal = self.path / _JOURNAL
        step: list[ox.Quad] = []
        try:
            for quad in ox.parse(path=journal, format=ox.RdfFormat.N_QUADS):
                step.append(quad)
                if len(step) >= WRITE_STEP // 4:
                    self._store.update(f"DELETE DATA {{ {_data_block(step)} }}")
                    step.clear()
        except SyntaxError:
            pass  # a step cut off while it was journaled: it was never written, nothing to undo
        if step:
            self._store.update(f"DELETE DATA {{ {_data_block(step)} }}")
        journal.unlink()
        return True

    def contains(self, triple: Triple) -> bool:
        return next(iter(to_quads([triple]))) in self._store

    def __len__(self) -> int:
        # counted by the engine: 15 times faster than iterating the quads in Python (17 s
        # instead of 4 minutes for the 61.7 M triples of a 100,000-study view)
        answer = self._store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        assert isinstance(answer, ox.QuerySolutions)
        count = next(iter(answer))["n"]
        assert isinstance(count, ox.Literal)
        return int(count.value)

    def clear(self) -> None:
        self._written = True
        self._store.clear()

    def to_graph(self) -> Graph:
        graph = Graph()
        for quad in self._store.quads_for_pattern(None, None, None, ox.DefaultGraph()):
            graph.add(from_quad(quad))
        return graph

    def close(self) -> None:
        # pyoxigraph releases the RocksDB lock when its Store object is freed;
        # an empty in-memory store takes its place so that later calls fail softly.
        try:
            if self._written and self.path is not None:
                self._written = False
                self.compact()
        finally:
            self._store = ox.Store()
            if self._guard is not None:
                self._guard.release()
                self._guard = None

    def compact(self) -> None:
        """Flush what was written to sorted files and compact them (RocksDB's flush and
        compaction), so that the next process to open the store does not replay a
        write-ahead log: opening read-only took 0.35 s after importing 90 real studies and
        4.6 s after 2,000 synthetic ones, against 0.02-0.04 s compacted. Closing a store this
        process wrote does it; it costs about 2% of an import (docs/benchmarks.md).
        """
        try:
            self._store.flush()
            self._store.optimize()
        except OSError as error:
            raise StoreError(
                f"the data is written to {self.descriptor}, but compacting it failed: {error}; "
                "the store is usable as it is (each later command may open it more slowly)"
            ) from None


#: Triples a large load writes in one step (one RocksDB ingestion, about 250 MB at most).
WRITE_STEP = 100_000
#: The new triples of a load being written in steps, in the store's directory until it ends.
_JOURNAL = "evidencegraph-unfinished-load.nt"
#: Oxigraph's bulk loader ingests up to 1,000,000 triples as one chunk, one ingestion.
_ONE_BULK_CHUNK = 1_000_000
#: IRIs per VALUES block when a neighbourhood is fetched with SPARQL.
_CHUNK = 500


def pair_rows(
    pairs: Sequence[tuple[ox.NamedNode | ox.BlankNode, ox.NamedNode]],
) -> Iterator[str]:
    """Rows ``(S P)`` for a ``VALUES (?s ?p)`` block, a chunk at a time; a blank node names
    nothing outside the store that made it, so pairs of one are left out."""
    ground = [(s, p) for s, p in pairs if isinstance(s, ox.NamedNode)]
    for start in range(0, len(ground), _CHUNK):
        yield " ".join(f"({s} {p})" for s, p in ground[start : start + _CHUNK])


def _values_chunks(nodes: Sequence[ox.NamedNode]) -> Iterator[str]:
    """VALUES blocks of IRIs a parser produced (no caller text reaches the query)."""
    for start in range(0, len(nodes), _CHUNK):
        yield " ".join(str(node) for node in nodes[start : start + _CHUNK])


def _incoming_links_pattern(predicates: Iterable[ox.NamedNode]) -> str:
    """``?in P ?s`` per predicate as UNION branches binding ``?p``: with the predicates in a
    VALUES block, Oxigraph scans every triple of them (seconds on a registry-sized store)."""
    terms = sorted(str(predicate) for predicate in predicates)
    return " UNION ".join(f"{{ ?in {term} ?s BIND({term} AS ?p) }}" for term in terms)


def _ntriples(quads: Sequence[ox.Quad]) -> bytes:
    """Quads as N-Quads (N-Triples lines for those in the default graph)."""
    data = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
    assert data is not None
    return data


def _data_block(quads: list[ox.Quad]) -> str:
    """Quads for a DELETE DATA or INSERT DATA block: default-graph triples in N-Triples
    syntax, those of a named graph in a ``GRAPH <g> { }`` block each."""
    graphs: dict[ox.NamedNode | ox.BlankNode, list[str]] = {}
    lines: list[str] = []
    for q in quads:
        line = f"{q.subject} {q.predicate} {q.object} .\n"
        if isinstance(q.graph_name, ox.DefaultGraph):
            lines.append(line)
        else:
            graphs.setdefault(q.graph_name, []).append(line)
    for graph, triples in graphs.items():
        lines.append(f"GRAPH {graph} {{\n{''.join(triples)}}}\n")
    return "".join(lines)


def describe_syntax_error(detail: str) -> str:
    """A SPARQL parser message rewritten to name line and column, and what to do."""
    match = re.search(r"error at (\d+):(\d+): (.*)", detail, re.DOTALL)
    if match:
        line, column, what = match.groups()
        if "Prefix not found" in what:
            what = "a prefixed name uses a prefix the query does not declare (add PREFIX p: <...>)"
        detail = f"line {line} column {column}: {what.strip()}"
    return f"SPARQL syntax error at {detail}. Fix the query and run it again."


def _open_oxigraph(path: Path | None, *, read_only: bool) -> ox.Store:
    if path is None:
        return ox.Store()
    if read_only and not path.exists():
        raise StoreError(
            f"there is no store at {path}: run `evidencegraph build` (or `load`) first, "
            "or name another store with --store"
        )
    try:
        if read_only:
            return ox.Store.read_only(str(path))
        if not path.exists() or (path.is_dir() and not any(path.iterdir())):
            _create_oxigraph(path)
        store = ox.Store(str(path))
    except (OSError, RuntimeError) as error:  # RocksDB's "Invalid argument" is a RuntimeError
        raise _open_error(path, error, read_only=read_only) from None
    # the lock is ours: no other process is bulk loading into it
    _remove_orphan_bulk_files(path)
    return store


def _create_oxigraph(path: Path) -> None:
    """Make a new store in a scratch directory beside ``path`` and rename it into place, so
    that a process killed while RocksDB lays out its files leaves no half-made store."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for leftover in path.parent.glob(f".{path.name}.creating-*"):
        pid = leftover.name.rsplit("-", 1)[-1]
        if not (pid.isdigit() and _alive(int(pid))):
            shutil.rmtree(leftover, ignore_errors=True)
    if path.is_dir():
        path.rmdir()  # an empty directory someone made for the store: the rename replaces it
    scratch = path.parent / f".{path.name}.creating-{os.getpid()}"
    shutil.rmtree(scratch, ignore_errors=True)
    try:
        made = ox.Store(str(scratch))
    except OSError:
        shutil.rmtree(scratch, ignore_errors=True)  # a full disk, say: leave nothing behind
        raise
    del made  # pyoxigraph closes the store (and releases its lock) when the object goes
    try:
        scratch.rename(path)
    except OSError:
        shutil.rmtree(scratch, ignore_errors=True)
        if not path.exists():  # another process made it first: open theirs
            raise


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_orphan_bulk_files(path: Path) -> None:
    """Oxigraph's bulk loader writes ``bulk-*.sst`` files and ingests them; a process killed
    between the two leaves them behind, unused, holding disk space."""
    for orphan in path.glob("bulk-*.sst"):
        with contextlib.suppress(OSError):
            orphan.unlink()


def _open_error(path: Path, error: OSError | RuntimeError, *, read_only: bool) -> StoreError:
    """What went wrong opening the store at ``path``, and what to do about it."""
    text = str(error)
    if "lock" in text.lower():
        return StoreError(
            f"the store {path} is in use by another process (its lock file is held); "
            "stop that process, or choose another store with --store oxigraph:PATH"
        )
    if getattr(error, "errno", None) == errno.ENOSPC or "no space left" in text.lower():
        return StoreError(
            f"cannot open the store at {path}: the disk is full (no space left on the "
            "device). Free some space on it (or choose a store on another disk with "
            "--store oxigraph:PATH) and run the command again; the store is unchanged."
        )
    if read_only and _half_made(path, text):
        return StoreError(
            f"the store at {path} was left half-made (its creation was interrupted before "
            "it held anything). Run a command that writes to it (`evidencegraph build` or "
            "`load`), which finishes making it, or remove the directory."
        )
    return StoreError(
        f"cannot open the store at {path}: {getattr(error, 'strerror', None) or text}; "
        "choose a writable directory with --store oxigraph:PATH"
    )


def _half_made(path: Path, message: str) -> bool:
    """Whether a store that fails to open was cut off while RocksDB created it: some of
    its column families missing, or its CURRENT file not yet written."""
    if "Column family not found" in message:
        return True
    return path.is_dir() and not (path / "CURRENT").exists()


def _to_result(answer: object) -> QueryResult:
    if isinstance(answer, ox.QueryBoolean):
        return QueryResult.from_boolean(bool(answer))
    if isinstance(answer, ox.QuerySolutions):
        names = [variable.value for variable in answer.variables]
        return QueryResult.from_rows([Variable(name) for name in names], _rows(names, answer))
    graph = Graph()
    for triple in answer:  # type: ignore[attr-defined]
        graph.add(from_quad(triple))
    return QueryResult.from_graph(graph)


def _ordered_result(solutions: ox.QuerySolutions, keys: Sequence[OrderKey]) -> QueryResult | None:
    """The solutions sorted here by the query's final ``ORDER BY`` (decision 0032), or ``None``
    where the engine must sort them: a key it does not answer (known before any row is read),
    or a value whose order the engine defines."""
    names = [variable.value for variable in solutions.variables]
    if any(key.variable not in names for key in keys):
        return None
    ordered = order_rows(names, [list(solution) for solution in solutions], keys)
    if ordered is None:
        return None
    return QueryResult.from_rows([Variable(name) for name in names], _rows(names, ordered))


def _rows(
    names: Sequence[str], solutions: Iterable[ox.QuerySolution] | Iterable[list[OxTerm | None]]
) -> list[dict[str, Node]]:
    """Each solution as rdflib terms, each distinct term made once per answer.

    Making an rdflib term costs 1 to 7 µs (a typed literal parses its value), more than
    Oxigraph takes to find it; answers repeat most of their terms (a study's title on each of
    its arms, the same date on thousands of graphs), and rdflib terms are immutable, so one
    instance serves every row that holds it (issue 21: 331 to 108 ms for the 5,007 rows of
    source-graphs at 5,000 studies)."""
    made: dict[OxTerm, Node] = {}
    rows = []
    for solution in solutions:
        row: dict[str, Node] = {}
        for name, term in zip(names, solution, strict=True):
            if term is None:
                continue
            node = made.get(term)
            if node is None:
                node = made[term] = to_rdflib(term)
            row[name] = node
        rows.append(row)
    return rows
