"""The VoID and DCAT description of a dump: statistics taken by SPARQL, files, checksums.

Terms, as published: VoID (http://rdfs.org/ns/void#, the W3C Interest Group Note
"Describing Linked Datasets with the VoID Vocabulary"): void:triples, void:entities,
void:classes, void:properties, void:distinctSubjects, void:distinctObjects,
void:classPartition with void:class, void:propertyPartition with void:property,
void:dataDump, void:sparqlEndpoint. DCAT 3 (http://www.w3.org/ns/dcat#): dcat:Dataset,
dcat:distribution, dcat:Distribution, dcat:downloadURL, dcat:mediaType, dcat:compressFormat,
dcat:byteSize (typed xsd:nonNegativeInteger), dcat:version; and the SPDX terms DCAT 3 takes
for checksums (http://spdx.org/rdf/terms#): spdx:checksum, spdx:Checksum, spdx:algorithm,
spdx:checksumAlgorithm_sha256, spdx:checksumValue (lower-case hex, typed xsd:hexBinary).

The source graphs (decision 0021) are described as VoID subsets of the dataset
(void:subset), one per kind of source, one for the catalog graph and one for the graph of
the values the view does not show (decision 0030): each a void:Dataset
with dcterms:type (the kind's concept in the egv: scheme), void:triples (the statements in
its graphs) and void:documents (VoID's count of the documents a dataset is made of: here
its named graphs, each holding what one source document states). The catalog's subset and
the not-shown graph's are each also an sd:NamedGraph (SPARQL 1.1 Service Description, http://www.w3.org/ns/
sparql-service-description#) named by sd:name. VoID, DCAT and sd: have no property for "the
number of named graphs in a dataset"; sd:GraphCollection would list every graph with
sd:namedGraph, which the catalog graph already does, and would grow void.ttl with the store.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

import pyoxigraph as ox

from evidencegraph.ontology.namespace import EG, PREFIXES, compact
from evidencegraph.ontology.source_graphs import CATALOG, NOT_SHOWN, SourceKind
from evidencegraph.store.core import Store

VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
SPDX = "http://spdx.org/rdf/terms#"
DCTERMS = "http://purl.org/dc/terms/"
XSD = "http://www.w3.org/2001/XMLSchema#"
SD = "http://www.w3.org/ns/sparql-service-description#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
#: The prefixes void.ttl is written with: the project's, and the four it describes itself in.
VOID_PREFIXES: dict[str, str] = {**PREFIXES, "void": VOID, "dcat": DCAT, "spdx": SPDX, "sd": SD}
#: The licence the project's data and ontology are published under (README, evidence.ttl).
LICENCE = "https://opensource.org/licenses/MIT"
#: IANA media types, as DCAT 3 names them.
MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"

_TOTALS = """
SELECT (COUNT(*) AS ?triples) (COUNT(DISTINCT ?s) AS ?subjects)
       (COUNT(DISTINCT ?p) AS ?properties) (COUNT(DISTINCT ?o) AS ?objects)
WHERE { ?s ?p ?o }
"""
_ENTITIES = "SELECT (COUNT(DISTINCT ?s) AS ?entities) WHERE { ?s ?p ?o FILTER(isIRI(?s)) }"
_CLASSES = """
SELECT ?class (COUNT(DISTINCT ?s) AS ?entities)
WHERE { ?s a ?class } GROUP BY ?class
"""
_PROPERTIES = "SELECT ?property (COUNT(*) AS ?triples) WHERE { ?s ?property ?o } GROUP BY ?property"


@dataclass(frozen=True)
class DatasetStatistics:
    """What VoID counts in a dataset. Entities are the distinct IRIs in subject position."""

    triples: int
    entities: int
    distinct_subjects: int
    distinct_objects: int
    properties: int
    #: (class IRI, distinct instances), sorted by IRI
    class_partitions: tuple[tuple[str, int], ...]
    #: (property IRI, triples), sorted by IRI
    property_partitions: tuple[tuple[str, int], ...]

    @property
    def classes(self) -> int:
        """Distinct objects of rdf:type."""
        return len(self.class_partitions)


@dataclass(frozen=True)
class DumpFile:
    """One file of a dump, as its DCAT distribution describes it."""

    name: str
    media_type: str
    compress_format: str | None
    byte_size: int
    sha256: str


#: The title of each kind's subset in void.ttl.
KIND_TITLES = {
    SourceKind.MODEL: "the model: ontology and concept schemes",
    SourceKind.CURATED: "curated evidence",
    SourceKind.JOURNAL_ARTICLE: "journal article records",
    SourceKind.REGISTRY: "registry records",
    SourceKind.OTHER: "other sources",
}
_SOURCE_KIND = ox.NamedNode(str(EG.sourceKind))
_CATALOG = ox.NamedNode(CATALOG)
_NOT_SHOWN = ox.NamedNode(NOT_SHOWN)


@dataclass
class GraphCensus:
    """The statements of each named graph, and the kind the catalog gives each graph, counted
    as the named quads stream past (:meth:`take`): one pass serves the graphs file and VoID."""

    #: graph name -> quads in it
    quads: Counter[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] = field(default_factory=Counter)
    #: graph name -> the concept IRI of its kind, as the catalog states it
    kinds: dict[ox.NamedNode | ox.BlankNode | ox.Triple, str] = field(default_factory=dict)

    def take(self, quads: Iterable[ox.Quad]) -> Iterator[ox.Quad]:
        """Pass ``quads`` through, counting them."""
        counted = self.quads
        for quad in quads:
            counted[quad.graph_name] += 1
            kind = quad.object
            if (
                quad.predicate == _SOURCE_KIND
                and quad.graph_name == _CATALOG
                and isinstance(kind, ox.NamedNode)
            ):
                self.kinds[quad.subject] = kind.value
            yield quad

    def subsets(self) -> tuple[GraphSubset, ...]:
        """One subset per kind of source, in order of precedence, then the catalog's and the
        not-shown graph's. A graph the catalog does not describe counts under OTHER."""
        graphs: Counter[SourceKind] = Counter()
        triples: Counter[SourceKind] = Counter()
        for name, count in self.quads.items():
            if name in (_CATALOG, _NOT_SHOWN):
                continue
            kind = SourceKind.of_concept(self.kinds.get(name, ""))  # type: ignore[arg-type]
            graphs[kind] += 1
            triples[kind] += count
        described = tuple(
            GraphSubset(kind.value, KIND_TITLES[kind], kind.concept, graphs[kind], triples[kind])
            for kind in SourceKind
        )
        catalog = self.quads.get(_CATALOG, 0)
        marks = self.quads.get(_NOT_SHOWN, 0)
        return (
            *described,
            GraphSubset(
                "catalog", "the catalog of source graphs", None, 1 if catalog else 0, catalog
            ),
            GraphSubset(
                "not-shown",
                "the values the view does not show",
                None,
                1 if marks else 0,
                marks,
                NOT_SHOWN,
            ),
        )


@dataclass(frozen=True)
class GraphSubset:
    """The named graphs of one kind of source (or the catalog graph, or the not-shown
    graph), as a VoID subset."""

    #: the last part of the subset's IRI (``RegistryRecord``, ``catalog``, ``not-shown``)
    slug: str
    title: str
    #: the kind's concept (``egv:RegistryRecord``); None for a graph of its own
    concept: str | None
    graphs: int
    triples: int
    #: the graph's name, for a subset of one graph that is no source
    name: str = CATALOG


def dataset_statistics(store: Store) -> DatasetStatistics:
    """Count, with SPARQL on ``store``, everything the VoID description states."""
    totals = store.query(_TOTALS).rows[0]
    entities = store.query(_ENTITIES).rows[0]
    classes = sorted(
        (str(row["class"]), int(row["entities"]))  # type: ignore[call-overload]
        for row in store.query(_CLASSES).rows
    )
    properties = sorted(
        (str(row["property"]), int(row["triples"]))  # type: ignore[call-overload]
        for row in store.query(_PROPERTIES).rows
    )
    return DatasetStatistics(
        triples=int(totals["triples"]),  # type: ignore[call-overload]
        entities=int(entities["entities"]),  # type: ignore[call-overload]
        distinct_subjects=int(totals["subjects"]),  # type: ignore[call-overload]
        distinct_objects=int(totals["objects"]),  # type: ignore[call-overload]
        properties=int(totals["properties"]),  # type: ignore[call-overload]
        class_partitions=tuple(classes),
        property_partitions=tuple(properties),
    )


def void_lines(
    statistics: DatasetStatistics,
    files: Sequence[DumpFile],
    *,
    location: str,
    version: str,
    issued: date,
    sparql_endpoint: str | None = None,
    subsets: Sequence[GraphSubset] = (),
    graphs_file: str | None = None,
) -> list[bytes]:
    """The VoID + DCAT description as N-Triples lines (unsorted).

    ``location`` is the IRI of the folder holding the files (it ends in ``/``); the dataset
    is ``<location>void.ttl#dataset`` and each file ``<location>NAME``. Each of ``subsets``
    is ``<location>void.ttl#graphs/SLUG``, whose data dump is ``graphs_file``.
    """
    document = location + "void.ttl"
    dataset = ox.NamedNode(document + "#dataset")
    lines: list[bytes] = []

    def state(subject: ox.NamedNode, predicate: str, value: ox.NamedNode | ox.Literal) -> None:
        lines.append(f"{subject} <{predicate}> {value} .\n".encode())

    def count(value: int) -> ox.Literal:
        return ox.Literal(str(value), datatype=ox.NamedNode(XSD + "integer"))

    state(dataset, RDF_TYPE, ox.NamedNode(VOID + "Dataset"))
    state(dataset, RDF_TYPE, ox.NamedNode(DCAT + "Dataset"))
    state(dataset, DCTERMS + "title", ox.Literal("evidencegraph", language="en"))
    state(
        dataset,
        DCTERMS + "description",
        ox.Literal(
            "A clinical-evidence knowledge graph: studies, arms, interventions, outcomes, "
            "findings, and the sources that claim them, with the ontology and concept schemes "
            "that describe them.",
            language="en",
        ),
    )
    state(dataset, DCTERMS + "license", ox.NamedNode(LICENCE))
    state(dataset, DCAT + "version", ox.Literal(version))
    state(dataset, DCTERMS + "issued", ox.Literal(issued.isoformat(), datatype=_xsd("date")))
    state(dataset, VOID + "triples", count(statistics.triples))
    state(dataset, VOID + "entities", count(statistics.entities))
    state(dataset, VOID + "classes", count(statistics.classes))
    state(dataset, VOID + "properties", count(statistics.properties))
    state(dataset, VOID + "distinctSubjects", count(statistics.distinct_subjects))
    state(dataset, VOID + "distinctObjects", count(statistics.distinct_objects))
    if sparql_endpoint is not None:
        state(dataset, VOID + "sparqlEndpoint", ox.NamedNode(sparql_endpoint))
    for class_iri, entities in statistics.class_partitions:
        partition = ox.NamedNode(f"{document}#partition/class/{_slug(class_iri)}")
        state(dataset, VOID + "classPartition", partition)
        state(partition, VOID + "class", ox.NamedNode(class_iri))
        state(partition, VOID + "entities", count(entities))
    for property_iri, triples in statistics.property_partitions:
        partition = ox.NamedNode(f"{document}#partition/property/{_slug(property_iri)}")
        state(dataset, VOID + "propertyPartition", partition)
        state(partition, VOID + "property", ox.NamedNode(property_iri))
        state(partition, VOID + "triples", count(triples))
    for subset in subsets:
        part = ox.NamedNode(f"{document}#graphs/{subset.slug}")
        state(dataset, VOID + "subset", part)
        state(part, RDF_TYPE, ox.NamedNode(VOID + "Dataset"))
        state(part, DCTERMS + "title", ox.Literal(subset.title, language="en"))
        if subset.concept is not None:
            state(part, DCTERMS + "type", ox.NamedNode(subset.concept))
        else:
            state(part, RDF_TYPE, ox.NamedNode(SD + "NamedGraph"))
            state(part, SD + "name", ox.NamedNode(subset.name))
        state(part, VOID + "triples", count(subset.triples))
        state(part, VOID + "documents", count(subset.graphs))
        if graphs_file is not None:
            state(part, VOID + "dataDump", ox.NamedNode(location + graphs_file))
    for dump in files:
        download = ox.NamedNode(location + dump.name)
        distribution = ox.NamedNode(f"{document}#{dump.name}")
        checksum = ox.NamedNode(f"{document}#{dump.name}-sha256")
        state(dataset, VOID + "dataDump", download)
        state(dataset, DCAT + "distribution", distribution)
        state(distribution, RDF_TYPE, ox.NamedNode(DCAT + "Distribution"))
        state(distribution, DCAT + "downloadURL", download)
        state(distribution, DCAT + "mediaType", ox.NamedNode(MEDIA_TYPES + dump.media_type))
        if dump.compress_format is not None:
            state(
                distribution,
                DCAT + "compressFormat",
                ox.NamedNode(MEDIA_TYPES + dump.compress_format),
            )
        state(
            distribution,
            DCAT + "byteSize",
            ox.Literal(str(dump.byte_size), datatype=_xsd("nonNegativeInteger")),
        )
        state(distribution, SPDX + "checksum", checksum)
        state(checksum, RDF_TYPE, ox.NamedNode(SPDX + "Checksum"))
        state(checksum, SPDX + "algorithm", ox.NamedNode(SPDX + "checksumAlgorithm_sha256"))
        state(checksum, SPDX + "checksumValue", ox.Literal(dump.sha256, datatype=_xsd("hexBinary")))
    return lines


def _xsd(name: str) -> ox.NamedNode:
    return ox.NamedNode(XSD + name)


def _slug(iri: str) -> str:
    """A readable, unique fragment part for a partition: the CURIE, or the IRI, with ``#``
    (not allowed inside a fragment) percent-encoded."""
    return compact(iri).replace("%", "%25").replace("#", "%23")
