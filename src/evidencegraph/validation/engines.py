"""The validation seam: what the gate asks of an engine, and the engines that remain.

An :class:`Engine` judges a batch given as N-Triples (the batch, the neighbourhood it
touches) and as the batch's own quads, and reports the violations on the batch's focus nodes
as a :class:`~evidencegraph.validation.shacl.ValidationReport` whose results hold RDF terms.
A :class:`FirstLook` only says whether all of the data conforms; it can pass a batch, never
report one. Which engines remain, and why, is decision 0020.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.term import Node

from evidencegraph.rdf.terms import from_quad
from evidencegraph.store.core import Store
from evidencegraph.validation import rudof_engine, shifty_engine
from evidencegraph.validation.shacl import BatchCheck, ValidationReport, check_batch, validate_graph


@runtime_checkable
class Engine(Protocol):
    """A SHACL engine (or a check) whose results are a verdict."""

    @property
    def name(self) -> str:
        """How ``validate --engine`` and the decision records name it."""
        ...

    def available(self) -> bool:
        """Whether it can run on this machine (its wheel installed)."""
        ...

    def judge(self, data: str, quads: Sequence[ox.Quad], focus: set[str]) -> ValidationReport:
        """The violations on ``focus`` (IRIs) in N-Triples ``data`` plus the model; ``quads``
        are the batch's own triples (``data`` holds them too)."""
        ...


@runtime_checkable
class FirstLook(Protocol):
    """An engine asked only whether all of the data conforms (decision 0015)."""

    @property
    def name(self) -> str:
        """Its name."""
        ...

    def available(self) -> bool:
        """Whether it can run on this machine."""
        ...

    def passes(self, data: str, focus: set[str] | None = None) -> bool:
        """Whether N-Triples ``data`` plus the model conforms: every node of it, or with
        ``focus`` (IRIs) every one of these nodes, all others being neighbours copied in part
        whose breaks the verdict does not report either."""
        ...


@dataclass(frozen=True)
class LexicalCheck:
    """Lexical forms of dates, years and booleans, which rudof does not check."""

    name: str = "lexical"

    def available(self) -> bool:
        return True

    def judge(self, data: str, quads: Sequence[ox.Quad], focus: set[str]) -> ValidationReport:
        results = rudof_engine.ill_typed(quads)
        return ValidationReport(conforms=not results, results=results)


@dataclass(frozen=True)
class Rudof:
    """rudof through pyrudof: the gate's verdict (decision 0009)."""

    name: str = "rudof"

    def available(self) -> bool:
        return rudof_engine.available()

    def judge(self, data: str, quads: Sequence[ox.Quad], focus: set[str]) -> ValidationReport:
        results = rudof_engine.validate_ntriples(data, focus)
        return ValidationReport(conforms=not results, results=results)


@dataclass(frozen=True)
class RudofChunks:
    """rudof judging a store a chunk of subjects at a time (decision 0012): a session of its
    own on each thread that asks, kept for every chunk that thread judges; each result
    names the shape that raised it, for the report graph."""

    name: str = "rudof"
    _sessions: threading.local = field(default_factory=threading.local, compare=False)

    def available(self) -> bool:
        return rudof_engine.available()

    def judge(self, data: str, quads: Sequence[ox.Quad], focus: set[str]) -> ValidationReport:
        """``focus`` names blank nodes as ``_:label``. Releases the GIL: call it from a thread."""
        session = getattr(self._sessions, "session", None)
        if session is None:
            session = self._sessions.session = rudof_engine.ChunkSession()
        results = session.validate(data, focus)
        return ValidationReport(conforms=not results, results=results)


@dataclass(frozen=True)
class Pyshacl:
    """pyshacl on an rdflib graph: the reference, and the fallback where rudof is missing
    (it checks lexical forms itself, through rdflib)."""

    name: str = "pyshacl"

    def available(self) -> bool:
        return True

    def judge(self, data: str, quads: Sequence[ox.Quad], focus: set[str]) -> ValidationReport:
        graph = Graph()
        for quad in ox.parse(data, format=ox.RdfFormat.N_TRIPLES):
            graph.add(from_quad(quad))
        return validate_graph(graph, focus={URIRef(iri) for iri in focus})

    def check(
        self,
        store: Store,
        batch: Graph,
        *,
        replace_single_values: bool = False,
        removals: Iterable[tuple[Node, Node, Node]] = (),
        also: Iterable[Node] = (),
    ) -> BatchCheck:
        """The batch judged whole as an rdflib graph with its neighbourhood in ``store``:
        blank nodes keep their labels, and the report carries the SHACL report graph."""
        return check_batch(
            store, batch, replace_single_values=replace_single_values, removals=removals, also=also
        )

    def whole(self, graph: Graph) -> ValidationReport:
        """Every node of ``graph`` plus the model, with the full SHACL report graph."""
        return validate_graph(graph)


@dataclass(frozen=True)
class Shifty:
    """shifty through pyshifty: the gate's first look (decision 0015)."""

    name: str = "shifty"

    def available(self) -> bool:
        return shifty_engine.available()

    def passes(self, data: str, focus: set[str] | None = None) -> bool:
        nodes = shifty_engine.violating_nodes(data)
        if nodes is None:
            return False
        if focus is None:
            return not nodes
        # only a break on an IRI plainly not the batch's is a neighbour's; one on a node of
        # the batch, a blank node, a literal, or an IRI written with escapes or other than
        # ASCII (whose text might not be the focus's spelling of it): the verdict decides
        return all(_neighbour(node, focus) for node in nodes)


def _neighbour(node: str, focus: set[str]) -> bool:
    """Whether shifty's ``node`` (``<IRI>``) is an IRI, written plainly, that ``focus`` lacks."""
    iri = node[1:-1]
    return (
        node.startswith("<")
        and node.endswith(">")
        and iri.isascii()
        and "\\" not in iri
        and iri not in focus
    )


LEXICAL, RUDOF, PYSHACL, SHIFTY = LexicalCheck(), Rudof(), Pyshacl(), Shifty()


@dataclass(frozen=True)
class GatePlan:
    """What the gate asks, in order: cheap checks, a first look, then the verdict."""

    checks: tuple[Engine, ...]
    first_look: FirstLook | None
    verdict: Engine

    @property
    def whole_graph(self) -> bool:
        """Whether the verdict is pyshacl's, on the batch whole as an rdflib graph
        (:meth:`Pyshacl.check`), rather than on prepared N-Triples."""
        return isinstance(self.verdict, Pyshacl)


def gate_plan(*, blank_nodes: bool = False) -> GatePlan:
    """rudof with the lexical check and shifty's first look where they install; pyshacl,
    which checks lexical forms itself, where pyrudof does not, and for a batch with
    ``blank_nodes`` (rudof relabels them, so its results could not name them)."""
    if blank_nodes or not RUDOF.available():
        return GatePlan(checks=(), first_look=None, verdict=PYSHACL)
    return GatePlan(
        checks=(LEXICAL,),
        first_look=SHIFTY if SHIFTY.available() else None,
        verdict=RUDOF,
    )


@dataclass(frozen=True)
class StorePlan:
    """What ``validate`` of a whole store asks of each chunk of subjects: ``checks`` on the
    chunk's own triples, then the ``verdict`` on it with its neighbourhood; or, where the
    verdict is pyshacl's, pyshacl on the whole store at once (:meth:`Pyshacl.whole`)."""

    checks: tuple[Engine, ...]
    verdict: Engine

    @property
    def whole_graph(self) -> bool:
        """Whether the store is judged whole, as one rdflib graph, by pyshacl."""
        return isinstance(self.verdict, Pyshacl)


def store_plan(engine: str) -> StorePlan:
    """The plan for ``engine``, ``rudof`` or ``pyshacl`` (as chosen by ``validate``): rudof
    a chunk at a time with the lexical check beside it, as the gate judges a batch."""
    if engine == PYSHACL.name:
        return StorePlan(checks=(), verdict=PYSHACL)
    return StorePlan(checks=(LEXICAL,), verdict=RudofChunks())
