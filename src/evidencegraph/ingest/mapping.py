"""What every importer's mapping shares: the triple sink, its result, and literal helpers."""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pyoxigraph as ox
from rdflib import XSD, Literal, Namespace, URIRef
from rdflib.term import Node

from evidencegraph.errors import MappingError as MappingError  # where the mappings took it from
from evidencegraph.ontology import namespace as _namespace
from evidencegraph.ontology.namespace import PREFIXES
from evidencegraph.ontology.source_graphs import SourceKind
from evidencegraph.rdf.terms import OxTerm, OxTriple, Triple, from_quad, to_oxigraph


class KeptNamespace(Namespace):
    """A namespace that builds each of its terms once (``EG.enrolment`` the first time it is
    asked for, then kept on the namespace): a mapping names the same few hundred terms in
    every record, and rdflib checks each IRI it builds, a sixth of mapping a study."""

    def __getattr__(self, name: str) -> URIRef:
        term = super().__getattr__(name)
        self.__dict__[name] = term  # found before __getattr__ is asked next time
        return term


#: The namespaces the mappings write, all from the ontology's namespace module.
DCTERMS = KeptNamespace(PREFIXES["dcterms"])
RDF = KeptNamespace(PREFIXES["rdf"])
RDFS = KeptNamespace(PREFIXES["rdfs"])
SKOS = KeptNamespace(PREFIXES["skos"])
PROV = KeptNamespace(PREFIXES["prov"])
EG = KeptNamespace(str(_namespace.EG))
EGV = KeptNamespace(str(_namespace.EGV))


@dataclass
class Mapped:
    """One record as triples (pyoxigraph terms, as the store takes them), its id and warnings."""

    record_id: str
    origin: str
    triples: list[OxTriple]
    warnings: list[str] = field(default_factory=list)
    #: the record's source graph (decision 0021), the node of the record it comes from, and
    #: the kind of source; an importer that leaves the graph empty gets one named by its id
    graph: str = ""
    source: str = ""
    kind: SourceKind = SourceKind.OTHER
    #: the record's own version, an ISO date (PubMed's DateRevised), when the record does not
    #: state it as its source node's dcterms:modified (ClinicalTrials.gov's last update)
    version: str = ""

    def rdflib_triples(self) -> list[Triple]:
        """The triples as rdflib terms."""
        return [from_quad(ox.Triple(*triple)) for triple in self.triples]


#: IRIs a sink keeps the pyoxigraph node of (a study names a few hundred).
_NODES_KEPT = 2048


class TripleSink:
    """Collects the triples of one record; empty values are skipped, unknown codes kept.

    Mappings hand it rdflib terms; it keeps pyoxigraph terms, which is what the
    store and the gate take (plain strings, the bulk of a record, never become
    rdflib literals at all).
    """

    def __init__(
        self,
        origin: str,
        record_id: str,
        *,
        graph: str = "",
        source: str = "",
        kind: SourceKind = SourceKind.OTHER,
        version: str = "",
    ):
        self.origin = origin
        self.record_id = record_id
        self.graph, self.source, self.kind, self.version = graph, source, kind, version
        # a dict as an ordered set: a record repeating one value a million times (a list of
        # one condition, 5 MB) held 4 million equal triples, 3 GB; it holds each once
        self._triples: dict[OxTriple, None] = {}
        self.warnings: list[str] = []
        # each IRI object handed in, by id, with its pyoxigraph node: a record hands the same
        # subjects and predicates (kept terms, see KeptNamespace) over and over, and hashing
        # an rdflib term costs more than building the node; the term is held, so its id is
        # not reused while the sink lives
        self._nodes: dict[int, tuple[URIRef, ox.NamedNode]] = {}

    def _node(self, iri: URIRef) -> ox.NamedNode:
        known = self._nodes.get(id(iri))
        if known is not None and known[0] is iri:
            return known[1]
        node = ox.NamedNode(iri)
        if len(self._nodes) >= _NODES_KEPT:  # a record naming ever new nodes holds few
            self._nodes.clear()
        self._nodes[id(iri)] = (iri, node)
        return node

    def add(self, subject: URIRef, predicate: URIRef, obj: Node | OxTerm) -> None:
        kind = type(obj)
        if kind is ox.Literal or kind is ox.NamedNode:  # most objects: no isinstance to ask
            value: OxTerm = obj  # type: ignore[assignment]
        elif isinstance(obj, URIRef):
            value = self._node(obj)
        else:
            value = to_oxigraph(obj)  # type: ignore[arg-type]
        nodes = self._nodes
        known = nodes.get(id(subject))
        node = known[1] if known is not None and known[0] is subject else self._node(subject)
        known = nodes.get(id(predicate))
        link = known[1] if known is not None and known[0] is predicate else self._node(predicate)
        self._triples[(node, link, value)] = None

    def add_optional(self, subject: URIRef, predicate: URIRef, obj: Node | OxTerm | None) -> None:
        if obj is not None:
            self.add(subject, predicate, obj)

    def text(self, subject: URIRef, predicate: URIRef, value: object) -> None:
        """A plain string literal, trimmed; nothing when the value is missing or blank."""
        if value is None:
            return
        text = str(value).strip()
        if text:
            self.add(subject, predicate, ox.Literal(text))

    def code(
        self,
        subject: URIRef,
        predicate: URIRef,
        field_name: str,
        value: Any,
        table: Mapping[Any, URIRef | None],
    ) -> None:
        """A coded value through its table; an unknown code is kept verbatim, with a warning."""
        if value in table:
            concept = table[value]
            if concept is not None:
                self.add(subject, predicate, concept)
        else:
            self.unmapped(subject, field_name, value)

    def unmapped(self, subject: URIRef, field_name: str, value: Any) -> None:
        shown = "+".join(value) if isinstance(value, tuple) else str(value)
        self.add(subject, EG.unmappedValue, Literal(f"{field_name}={shown}"))
        self.warn(f"unknown {field_name} {shown!r}: kept as eg:unmappedValue")

    def warn(self, message: str) -> None:
        self.warnings.append(f"{self.origin} ({self.record_id}): {message}")

    def mapped(self) -> Mapped:
        return Mapped(
            self.record_id,
            self.origin,
            list(self._triples),
            self.warnings,
            graph=self.graph,
            source=self.source,
            kind=self.kind,
            version=self.version,
        )


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_YEAR_MONTH = re.compile(r"^\d{4}-\d{2}$")
_YEAR = re.compile(r"^\d{4}$")


XSD_DECIMAL = ox.NamedNode(str(XSD.decimal))


def decimal_literal(value: Decimal) -> ox.Literal:
    """An xsd:decimal, written as rdflib's ``Literal(value, datatype=XSD.decimal)`` writes it
    (``f"{value:f}"``), without building that (a study's sites give two each)."""
    return ox.Literal(f"{value:f}", datatype=XSD_DECIMAL)


#: The datatypes of dates, as pyoxigraph IRIs.
XSD_DATE = ox.NamedNode(str(XSD.date))
XSD_YEAR_MONTH = ox.NamedNode(str(XSD.gYearMonth))
XSD_YEAR = ox.NamedNode(str(XSD.gYear))


def date_literal(value: object) -> ox.Literal | None:
    """``2018-03-08`` -> xsd:date, ``2018-03`` -> xsd:gYearMonth, ``2018`` -> xsd:gYear."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if _DATE.match(text):
        try:
            datetime.date.fromisoformat(text)
        except ValueError:
            return None  # no such day (2016-02-30): left out rather than refused at the gate
        return ox.Literal(text, datatype=XSD_DATE)
    if _YEAR_MONTH.match(text):
        return ox.Literal(text, datatype=XSD_YEAR_MONTH)
    if _YEAR.match(text):
        return ox.Literal(text, datatype=XSD_YEAR)
    return None
