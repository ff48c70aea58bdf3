"""SHACL validation with pyshacl: the report type, whole-graph validation, the pyshacl gate.

pyshacl runs on an rdflib Graph, never on an Oxigraph-backed graph: for a
batch, the gate copies the batch and the neighbourhood it touches out of the
store and validates that, so a load never re-validates the whole store. The
faster rudof gate (decision 0009) is :mod:`evidencegraph.validation.batch_gate`.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox
from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.namespace import SH
from rdflib.query import Result
from rdflib.term import Identifier, Node

from evidencegraph.ontology.namespace import PREFIXES, compact
from evidencegraph.rdf.model import model_graph, shapes_graph
from evidencegraph.rdf.terms import canonical, from_quad, quiet_rdflib, to_quads
from evidencegraph.store.core import Store
from evidencegraph.validation.appraisal_reach import reach

if TYPE_CHECKING:  # rdflib's SPARQL engine is imported only where a query is prepared
    from rdflib.plugins.sparql.sparql import Query


@dataclass(frozen=True)
class InversePath:
    """The property path ``^predicate``: the predicate followed backwards."""

    predicate: URIRef


#: A result's property path: a predicate, or a predicate followed backwards.
ResultPath = URIRef | InversePath


@dataclass(frozen=True)
class ValidationResult:
    """One violation, as RDF terms: which node, which property path, which constraint, how
    severe, and the offending value; ``message`` says what to do. Every engine gives its
    results in this form; the string properties (:attr:`focus_node`, :attr:`path`, ...) are
    their display, with CURIEs, and nothing parses a display back into terms."""

    focus: Node | None
    path_term: ResultPath | None
    constraint_term: URIRef | None
    message: str
    severity_term: URIRef = SH.Violation
    value_term: Node | None = None
    #: the shape that raised it, where the engine names it (rudof's chunks, for the report
    #: graph of a whole store); not part of what the result is, so not compared
    source_shape: Node | None = field(default=None, compare=False, repr=False)

    @property
    def focus_node(self) -> str:
        """The focus node as people read it (a CURIE, ``<IRI>`` or ``_:label``)."""
        return show(self.focus)

    @property
    def path(self) -> str:
        """The property path as people read it: a CURIE, or ``^CURIE`` for an inverse path."""
        if isinstance(self.path_term, InversePath):
            return f"^{show(self.path_term.predicate)}"
        return show(self.path_term)

    @property
    def constraint(self) -> str:
        """The constraint component, as a CURIE."""
        return show(self.constraint_term)

    @property
    def severity(self) -> str:
        """``Violation``, ``Warning`` or ``Info``."""
        return show(self.severity_term).removeprefix("sh:")

    @property
    def value(self) -> str:
        """The offending value in N-Triples form (a literal as rdflib's ``n3()`` writes it)."""
        return show(self.value_term)

    def shown(self) -> tuple[str, str, str, str, str, str]:
        """The result as people read it: focus node, path, constraint, message, severity,
        value."""
        return (
            self.focus_node,
            self.path,
            self.constraint,
            self.message,
            self.severity,
            self.value,
        )

    def sort_key(self) -> tuple[str, str, str, str, str]:
        """The order reports list results in: by focus node, path, constraint, message, value."""
        return (self.focus_node, self.path, self.constraint, self.message, self.value)


def exact(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> Node:
    """The rdflib twin of a pyoxigraph term, a literal's lexical form kept as written (rdflib
    would write ``"01"^^xsd:integer`` as ``"1"``, and a report must show what was stated)."""
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == _XSD_STRING:
            return Literal(term.value)
        with quiet_rdflib(), warnings.catch_warnings():  # ill-typed: reported, not logged
            warnings.simplefilter("ignore")
            return Literal(term.value, datatype=URIRef(datatype), normalize=False)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    return URIRef(term.value)


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


@dataclass
class ValidationReport:
    """Whether the data conforms, with every result; ``graph`` is the SHACL report graph."""

    conforms: bool
    results: list[ValidationResult] = field(default_factory=list)
    graph: Graph = field(default_factory=Graph)

    def table(self) -> str:
        """The results as a readable table, one violation per line block."""
        if self.conforms:
            return "Conforms: no violations.\n"
        lines = [f"Does not conform: {len(self.results)} violation(s).", ""]
        for number, result in enumerate(self.results, start=1):
            lines.append(f"{number}. {result.severity} on {result.focus_node}")
            if result.path:
                lines.append(f"   path:       {result.path}")
            if result.value:
                lines.append(f"   value:      {result.value}")
            lines.append(f"   constraint: {result.constraint}")
            lines.append(f"   message:    {result.message}")
        return "\n".join(lines) + "\n"


@functools.cache
def inverse_path_predicates() -> frozenset[URIRef]:
    """Predicates the shapes follow backwards; the gate fetches incoming links for them."""
    return frozenset(
        obj for obj in shapes_graph().objects(None, SH.inversePath) if isinstance(obj, URIRef)
    )


class PreparingGraph(Graph):
    """An rdflib graph that parses each SPARQL text once, however often it is asked.

    pyshacl runs a SHACL-SPARQL constraint (the appraisal rules, decision 0022) once for every
    focus node, as the same text with ``$this`` bound by ``initBindings``, and rdflib parses a
    text anew on every call: 2,980 parses of 17 ms took 52 of the 62 s that pyshacl spent on
    120 generated studies. Here each (text, namespaces, base) is parsed and translated once
    per process, by rdflib's own ``prepareQuery`` (:func:`_prepared`), and the prepared query
    is evaluated with the bindings of each call, the way rdflib means prepared queries to be
    used: a prepared query holds no graph, so one serves every graph.
    """

    def query(  # type: ignore[override]
        self,
        query_object: str | Query,
        processor: str = "sparql",
        result: str = "sparql",
        initNs: Mapping[str, Any] | None = None,  # noqa: N803 (rdflib's name)
        initBindings: Mapping[str, Identifier] | None = None,  # noqa: N803
        use_store_provided: bool = True,
        **kwargs: Any,
    ) -> Result:
        if isinstance(query_object, str) and processor == "sparql":
            namespaces = dict(initNs or self.namespaces())
            query_object = _prepared(
                query_object,
                tuple(sorted((prefix, str(iri)) for prefix, iri in namespaces.items())),
                kwargs.get("base"),
            )
        return super().query(
            query_object, processor, result, initNs, initBindings, use_store_provided, **kwargs
        )


@functools.lru_cache(maxsize=256)
def _prepared(text: str, namespaces: tuple[tuple[str, str], ...], base: str | None) -> Query:
    """``text`` parsed and translated, with these prefixes and base: a syntax error raises and
    is not kept."""
    return prepare_query(text, initNs=dict(namespaces), base=base)


def prepare_query(text: str, **kwargs: Any) -> Query:
    """rdflib's ``prepareQuery``, imported when first needed (it brings in rdflib's whole
    SPARQL engine, which ``--help`` and ``query`` never use)."""
    from rdflib.plugins.sparql import processor

    return processor.prepareQuery(text, **kwargs)


def validate_graph(data: Graph, focus: set[Node] | None = None) -> ValidationReport:
    """Validate ``data`` (plus the model) against the shapes.

    With ``focus``, only results whose focus node is in it are kept: the gate
    uses this so that partially copied neighbours do not report on themselves.
    """
    combined = PreparingGraph()
    for triple in data:
        combined.add(triple)
    for triple in model_graph():
        combined.add(triple)
    return _report_from_graph(pyshacl_report_graph(combined), focus)


def pyshacl_report_graph(graph: Graph) -> Graph:
    """pyshacl's report graph for ``graph`` (which holds the model) against the shapes: no
    inference, and ``graph`` itself is what it reads (a :class:`PreparingGraph` here)."""
    import pyshacl  # imported here: pyshacl is slow to import and not every command needs it

    with quiet_rdflib():
        _, report_graph, _ = pyshacl.validate(
            graph,
            shacl_graph=shapes_graph(),
            inference="none",
            advanced=False,
            meta_shacl=False,
            allow_warnings=False,
            inplace=True,
        )
    assert isinstance(report_graph, Graph)
    return report_graph


def _report_from_graph(report_graph: Graph, focus: set[Node] | None) -> ValidationReport:
    kept = Graph()
    results: list[ValidationResult] = []
    for node in report_graph.subjects(RDF.type, SH.ValidationResult):
        focus_node = report_graph.value(node, SH.focusNode)
        if focus is not None and focus_node not in focus:
            continue
        constraint = report_graph.value(node, SH.sourceConstraintComponent)
        severity = report_graph.value(node, SH.resultSeverity)
        results.append(
            ValidationResult(
                focus=focus_node,
                path_term=result_path(report_graph, report_graph.value(node, SH.resultPath)),
                constraint_term=constraint if isinstance(constraint, URIRef) else None,
                message=str(report_graph.value(node, SH.resultMessage) or ""),
                severity_term=severity if isinstance(severity, URIRef) else SH.Violation,
                value_term=report_graph.value(node, SH.value),
            )
        )
        _copy_result(report_graph, node, kept)
    results.sort(key=ValidationResult.sort_key)
    report = BNode()
    kept.add((report, RDF.type, SH.ValidationReport))
    kept.add((report, SH.conforms, Literal(not results)))
    for result_node in kept.subjects(RDF.type, SH.ValidationResult):
        kept.add((report, SH.result, result_node))
    for prefix, namespace in PREFIXES.items():
        kept.bind(prefix, namespace)
    return ValidationReport(conforms=not results, results=results, graph=kept)


def _copy_result(source: Graph, node: Node, target: Graph) -> None:
    pending = [node]
    seen: set[Node] = set()
    while pending:
        subject = pending.pop()
        if subject in seen:
            continue
        seen.add(subject)
        for predicate, obj in source.predicate_objects(subject):
            # the shape that raised the result may be a blank node of the shapes
            # graph; copy its id only, not the whole shape
            target.add((subject, predicate, obj))
            if isinstance(obj, BNode) and predicate != SH.sourceShape:
                pending.append(obj)


def show(term: Node | None) -> str:
    """A term as reports show it: a CURIE (else ``<IRI>``), a literal in N-Triples form,
    ``_:label``; empty for none."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        shown = compact(str(term))
        return shown if shown != str(term) else f"<{term}>"
    if isinstance(term, Literal):
        return term.n3()
    return f"_:{term}"


def result_path(graph: Graph, path: Node | None) -> ResultPath | None:
    """The property path a SHACL graph gives as ``path``: a predicate or its inverse."""
    if isinstance(path, BNode):
        inverse = graph.value(path, SH.inversePath)
        if isinstance(inverse, URIRef):
            return InversePath(inverse)
    return path if isinstance(path, URIRef) else None


def show_path(graph: Graph, path: Node | None) -> str:
    """A property path as reports show it: a CURIE, or ^CURIE for an inverse path."""
    if isinstance(path, BNode):
        inverse = graph.value(path, SH.inversePath)
        if inverse is not None:
            return f"^{show(inverse)}"
    return show(path)


# --- the gate (pyshacl) ----------------------------------------------------------------


def neighbourhood(store: Store, batch: Graph, also: Iterable[Node] = ()) -> tuple[Graph, set[Node]]:
    """What the batch touches in the store, and the focus nodes to report on.

    The focus nodes are the batch's subjects and the objects it links to with
    a predicate the shapes follow backwards. From the store come every triple
    of a focus node, the types of every node the batch or those triples link
    to, and the incoming links the shapes follow backwards
    (:meth:`~evidencegraph.store.core.Store.neighbourhood_quads`).
    """
    inverse = inverse_path_predicates()
    focus: set[Node] = set(batch.subjects())
    focus.update(o for _, p, o in batch if p in inverse and isinstance(o, URIRef))
    focus.update(also)
    described = sorted(ox.NamedNode(str(node)) for node in focus if isinstance(node, URIRef))
    linked = sorted({ox.NamedNode(str(o)) for o in batch.objects() if isinstance(o, URIRef)})
    found = Graph()
    backwards = [ox.NamedNode(str(p)) for p in inverse]
    quads = store.neighbourhood_quads(described, linked, backwards)
    quads |= reach(
        lambda nodes, links: store.neighbourhood_quads(nodes, [], [*backwards, *links]),
        [*to_quads(batch), *quads],
        described,
    )
    for quad in quads:
        found.add(from_quad(quad))
    return found, focus


@functools.cache
def single_valued_predicates() -> frozenset[URIRef]:
    """Predicates the shapes allow at most once on a node (``sh:maxCount 1``)."""
    shapes = shapes_graph()
    return frozenset(
        path
        for shape in shapes.subjects(SH.maxCount, Literal(1))
        if isinstance(path := shapes.value(shape, SH.path), URIRef)
    )


@dataclass
class BatchCheck:
    """The gate's verdict on a batch: the report, the batch as it will be written, and the
    stored values it replaces."""

    report: ValidationReport
    batch: Graph
    replaced: list[tuple[Node, Node, Node]] = field(default_factory=list)


def check_batch(
    store: Store,
    batch: Graph,
    *,
    replace_single_values: bool = False,
    removals: Iterable[tuple[Node, Node, Node]] = (),
    also: Iterable[Node] = (),
) -> BatchCheck:
    """Validate a batch with pyshacl as it would stand once written to the store.

    With ``replace_single_values``, a value the batch gives for a single-valued
    property (``sh:maxCount 1``) of a node replaces the value the store holds
    for it: the newer record wins (decision 0008). Without it, two values are
    a violation like any other. ``removals`` are stored triples the write takes out
    (decision 0021: what leaves the view), ``also`` more nodes to report on. (Not a
    gate of its own: the pyshacl engine's
    :meth:`~evidencegraph.validation.engines.Pyshacl.check`, which
    :func:`evidencegraph.validation.batch_gate.gate_sources` asks where its plan says so, for a
    batch with blank nodes or where pyrudof is missing; its report carries the full
    SHACL report graph.)
    """
    batch = canonical(batch)
    found, focus = neighbourhood(store, batch, also)
    replaced: list[tuple[Node, Node, Node]] = [t for t in removals if t in found]
    for triple in replaced:
        found.remove(triple)
    if replace_single_values:
        single = single_valued_predicates()
        given = {(s, p) for s, p, _ in batch if p in single}
        replaced = [
            triple for triple in found if (triple[0], triple[1]) in given and triple not in batch
        ]
        for triple in replaced:
            found.remove(triple)
    found += batch
    return BatchCheck(validate_graph(found, focus=focus), batch, replaced)
