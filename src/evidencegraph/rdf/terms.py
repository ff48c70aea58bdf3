"""Conversion between rdflib terms and pyoxigraph terms."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

OxTerm = ox.NamedNode | ox.BlankNode | ox.Literal
Triple = tuple[Node, Node, Node]
#: rdf:type, as pyoxigraph writes it.
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
#: A triple of pyoxigraph terms: subject, predicate, object.
OxTriple = tuple[ox.NamedNode | ox.BlankNode, ox.NamedNode, OxTerm]


def to_oxigraph(term: Node) -> OxTerm:
    """Convert an rdflib IRI, blank node or literal to its pyoxigraph twin."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"cannot store an RDF term of type {type(term).__name__}: {term!r}")


def to_rdflib(term: object) -> Node:
    """Convert a pyoxigraph IRI, blank node or literal to its rdflib twin."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == _XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    raise TypeError(f"unsupported pyoxigraph term: {term!r}")


def from_quad(quad: ox.Quad | ox.Triple) -> Triple:
    """The rdflib triple of a pyoxigraph quad or triple (its graph name is dropped)."""
    return (to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object))


def to_quads(triples: Iterable[Triple]) -> Iterator[ox.Quad]:
    """Default-graph quads for rdflib triples."""
    for subject, predicate, obj in triples:
        yield ox.Quad(to_oxigraph(subject), to_oxigraph(predicate), to_oxigraph(obj))  # type: ignore[arg-type]


def canonical(graph: Graph) -> Graph:
    """``graph`` with every literal in the lexical form the store keeps.

    Oxigraph stores numbers and other typed literals by value, so ``96.0`` and
    ``96`` (xsd:decimal) are one term once stored. Validating a batch beside
    what the store already holds needs the batch in that same form, or the two
    spellings count as two values.
    """
    scratch = ox.Store()
    scratch.extend(to_quads(graph))
    result = Graph()
    for quad in scratch:
        result.add(from_quad(quad))
    return result


@contextlib.contextmanager
def quiet_rdflib() -> Iterator[None]:
    """Silence rdflib's term warnings (ill-typed literals, odd IRIs) for the duration.

    rdflib logs a traceback for every literal it cannot convert to a Python
    value; the shapes report such literals properly, so the log only adds noise.
    """
    logger = logging.getLogger("rdflib.term")
    previous = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(previous)
