"""The VoID description of the store as a page for people (``/.well-known/void`` in a browser).

The page is read from the description's own triples (what ``publish/void.py`` wrote and
clients get as Turtle), so it cannot say anything the RDF does not: the dataset's title,
licence and version, its counts, the SPARQL endpoint, the entities of each class and the
triples of each property (each linked to its entry on the ontology page or its own page), the
subsets and dump files when the description has them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from evidencegraph.ontology.namespace import compact
from evidencegraph.publish.void import DCAT, DCTERMS, VOID
from evidencegraph.server.templating import render
from evidencegraph.server.urls import local_path

#: The dataset's counts, in the order the page lists them: (VoID property, caption).
_COUNTS = (
    ("triples", "triples"),
    ("entities", "entities (distinct IRIs as subjects)"),
    ("classes", "classes"),
    ("properties", "properties"),
    ("distinctSubjects", "distinct subjects"),
    ("distinctObjects", "distinct objects"),
)


@dataclass(frozen=True)
class Term:
    """An IRI as the page shows it: its CURIE (or the IRI), and where it links."""

    iri: str
    shown: str
    href: str | None

    @classmethod
    def of(cls, iri: str) -> Term:
        """The IRI shown as a CURIE, linked to its page on this server (the ontology's entry
        for a class or property) or, for an IRI elsewhere, to itself."""
        return cls(iri, compact(iri), local_path(iri) or iri)


@dataclass(frozen=True)
class Partition:
    """A class partition (its entities) or a property partition (its triples)."""

    term: Term
    count: int


@dataclass(frozen=True)
class Subset:
    """A subset of the dataset (the source graphs of one kind): title, triples, graphs."""

    title: str
    kind: Term | None
    triples: int | None
    documents: int | None


@dataclass(frozen=True)
class Download:
    """A dump file (a DCAT distribution): its URL, media type and size."""

    url: str
    media_type: str
    byte_size: int | None


@dataclass(frozen=True)
class VoidPage:
    """What the page shows of one void:Dataset."""

    dataset: str
    title: str
    description: str
    licence: str | None
    version: str | None
    issued: str | None
    endpoint: str | None
    counts: tuple[tuple[str, int], ...]
    classes: tuple[Partition, ...]
    properties: tuple[Partition, ...]
    subsets: tuple[Subset, ...]
    downloads: tuple[Download, ...]
    turtle: str


class _Description:
    """The triples of a description, by subject and property."""

    def __init__(self, triples: Iterable[ox.Triple]) -> None:
        self._values: dict[tuple[str, str], list[ox.NamedNode | ox.Literal | ox.BlankNode]] = {}
        for triple in triples:
            subject = triple.subject
            if isinstance(subject, (ox.NamedNode, ox.BlankNode)) and not isinstance(
                triple.object, ox.Triple
            ):
                key = (str(subject), triple.predicate.value)
                self._values.setdefault(key, []).append(triple.object)

    def all(self, subject: str, predicate: str) -> list[ox.NamedNode | ox.Literal | ox.BlankNode]:
        return self._values.get((subject, predicate), [])

    def text(self, subject: str, predicate: str) -> str | None:
        values = self.all(subject, predicate)
        return values[0].value if values else None

    def number(self, subject: str, predicate: str) -> int | None:
        value = self.text(subject, predicate)
        try:
            return int(value) if value is not None else None
        except ValueError:
            return None

    def nodes(self, subject: str, predicate: str) -> list[str]:
        return [str(v) for v in self.all(subject, predicate) if not isinstance(v, ox.Literal)]


def void_page(triples: Iterable[ox.Triple], dataset: str, turtle: str) -> VoidPage:
    """What the page shows of the void:Dataset ``dataset`` (its IRI) in ``triples``; ``turtle``
    is where the same description is read as Turtle."""
    described = _Description(triples)
    node = f"<{dataset}>"

    def partitions(link: str, member: str, counted: str) -> tuple[Partition, ...]:
        found = []
        for partition in described.nodes(node, VOID + link):
            members = described.all(partition, VOID + member)
            if members and isinstance(members[0], ox.NamedNode):
                count = described.number(partition, VOID + counted) or 0
                found.append(Partition(Term.of(members[0].value), count))
        return tuple(sorted(found, key=lambda p: (-p.count, p.term.shown)))

    subsets = []
    for subset in described.nodes(node, VOID + "subset"):
        kinds = described.nodes(subset, DCTERMS + "type")
        subsets.append(
            Subset(
                described.text(subset, DCTERMS + "title") or subset.strip("<>"),
                Term.of(kinds[0].strip("<>")) if kinds else None,
                described.number(subset, VOID + "triples"),
                described.number(subset, VOID + "documents"),
            )
        )
    downloads = []
    for distribution in described.nodes(node, DCAT + "distribution"):
        url = described.nodes(distribution, DCAT + "downloadURL")
        media = described.nodes(distribution, DCAT + "mediaType")
        if url:
            downloads.append(
                Download(
                    url[0].strip("<>"),
                    media[0].strip("<>").rsplit("/media-types/", 1)[-1] if media else "",
                    described.number(distribution, DCAT + "byteSize"),
                )
            )
    counts = tuple(
        (caption, value)
        for name, caption in _COUNTS
        if (value := described.number(node, VOID + name)) is not None
    )
    licences = described.nodes(node, DCTERMS + "license")
    endpoints = described.nodes(node, VOID + "sparqlEndpoint")
    return VoidPage(
        dataset=dataset,
        title=described.text(node, DCTERMS + "title") or "the dataset",
        description=described.text(node, DCTERMS + "description") or "",
        licence=licences[0].strip("<>") if licences else None,
        version=described.text(node, DCAT + "version"),
        issued=described.text(node, DCTERMS + "issued"),
        endpoint=endpoints[0].strip("<>") if endpoints else None,
        counts=counts,
        classes=partitions("classPartition", "class", "entities"),
        properties=partitions("propertyPartition", "property", "triples"),
        subsets=tuple(subsets),
        downloads=tuple(downloads),
        turtle=turtle,
    )


def void_html(triples: Iterable[ox.Triple], dataset: str, turtle: str) -> str:
    """The page of the void:Dataset ``dataset`` described by ``triples`` (``void.html``)."""
    return render("void.html", page=void_page(triples, dataset, turtle))
