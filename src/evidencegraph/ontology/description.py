"""The model described once, for every output that documents it: the ontology's header,
its classes and properties, the concept schemes with their concepts in order, each with its
label, definition, example, comments and alignments.

``docs/ontology.md`` (``reference.py``, Markdown) and the server's ontology page
(``server/ontology_page.py``, HTML) both render :func:`describe_model`; what each shows is
chosen by its renderer, what the model says is read here, from the packaged files as they are.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SH, SKOS
from rdflib.term import Node

from evidencegraph._compat import Traversable
from evidencegraph.ontology.namespace import (
    BASE,
    EG,
    compact,
    ontology_file,
    shapes_file,
    vocabulary_files,
)

#: Alignment predicates, in the order they are listed, with their captions.
ALIGNMENTS: tuple[tuple[URIRef, str], ...] = (
    (OWL.equivalentClass, "Equivalent class"),
    (OWL.equivalentProperty, "Equivalent property"),
    (SKOS.exactMatch, "Exact match"),
    (SKOS.closeMatch, "Close match"),
    (SKOS.broadMatch, "Broad match"),
    (SKOS.narrowMatch, "Narrow match"),
    (SKOS.relatedMatch, "Related match"),
    (RDFS.seeAlso, "See also"),
)

#: Property kinds documented in the "Properties" section.
PROPERTY_KINDS: tuple[tuple[URIRef, str], ...] = (
    (OWL.ObjectProperty, "object property"),
    (OWL.DatatypeProperty, "datatype property"),
    (OWL.AnnotationProperty, "annotation property"),
)


# --- reading the graphs -------------------------------------------------------------------


def load_graph(files: Iterable[Traversable]) -> Graph:
    """The Turtle files parsed into one graph."""
    graph = Graph()
    for model_file in files:
        with model_file.open("rb") as handle:
            graph.parse(handle, format="turtle")
    return graph


def text_of(graph: Graph, subject: Node, predicate: URIRef) -> str | None:
    """One literal value, English first, whitespace normalised; None when there is none."""
    values = [o for o in graph.objects(subject, predicate) if isinstance(o, Literal)]
    if not values:
        return None

    def preference(literal: Literal) -> tuple[int, str]:
        language = literal.language
        return (0 if language == "en" else 1 if language is None else 2, str(literal))

    return " ".join(str(min(values, key=preference)).split())


def texts_of(graph: Graph, subject: Node, predicate: URIRef) -> list[str]:
    """Every literal value, whitespace normalised, sorted, each once."""
    return sorted(
        {
            " ".join(str(o).split())
            for o in graph.objects(subject, predicate)
            if isinstance(o, Literal)
        }
    )


def iris_of(graph: Graph, subject: Node, predicate: URIRef) -> list[URIRef]:
    """The IRI values, the project's own first, each group sorted."""
    values = (o for o in graph.objects(subject, predicate) if isinstance(o, URIRef))
    return sorted(values, key=lambda iri: (not is_own(iri), str(iri)))


def integer_of(graph: Graph, subject: Node, predicate: URIRef) -> int | None:
    """An integer value, or None."""
    value = graph.value(subject, predicate)
    return int(str(value)) if isinstance(value, Literal) else None


def list_of(graph: Graph, head: Node) -> list[Node]:
    """The members of an RDF list."""
    return list(Collection(graph, head))


def is_own(node: Node) -> bool:
    """Whether ``node`` is an IRI under the project's base."""
    return isinstance(node, URIRef) and str(node).startswith(BASE)


def label_of(graph: Graph, subject: Node) -> str:
    """``rdfs:label``, else ``skos:prefLabel``, else the CURIE."""
    return (
        text_of(graph, subject, RDFS.label)
        or text_of(graph, subject, SKOS.prefLabel)
        or compact(str(subject))
    )


def _sort_key(label: str, iri: str) -> tuple[str, str]:
    return (label.casefold(), iri)


# --- what is described ----------------------------------------------------------------------


@dataclass(frozen=True)
class Alignment:
    """The terms outside the model one term aligns with along one predicate."""

    predicate: URIRef
    caption: str
    targets: tuple[URIRef, ...]


@dataclass(frozen=True)
class Term:
    """What every documented term has: its IRI, label, definition (None when it has none),
    example, comments and alignments."""

    iri: URIRef
    label: str
    definition: str | None
    example: str | None
    comments: tuple[str, ...]
    alignments: tuple[Alignment, ...]

    @property
    def curie(self) -> str:
        return compact(str(self.iri))


@dataclass(frozen=True)
class ClassTerm(Term):
    """A class: its superclasses, and the model's own subclasses and properties that name it
    as domain or range."""

    superclasses: tuple[URIRef, ...]
    subclasses: tuple[URIRef, ...]
    domain_of: tuple[URIRef, ...]
    range_of: tuple[URIRef, ...]


@dataclass(frozen=True)
class PropertyTerm(Term):
    """A property: its kind (``object property``), domain, range, and where it sits among
    the model's own properties."""

    kind: str
    domain: tuple[URIRef, ...]
    range: tuple[URIRef, ...]
    parents: tuple[URIRef, ...]
    children: tuple[URIRef, ...]


@dataclass(frozen=True)
class Concept(Term):
    """A concept in its scheme: how deep under its broader concepts it sits, its other
    labels, notations and rank."""

    depth: int
    alternative_labels: tuple[str, ...]
    broader: tuple[URIRef, ...]
    notations: tuple[str, ...]
    rank: int | None


@dataclass(frozen=True)
class Scheme(Term):
    """A concept scheme: its concepts depth first (broader before narrower, ranked ones in
    descending ``eg:rank``), and the shape paths whose ``sh:in`` lists one of them."""

    concepts: tuple[Concept, ...]
    allowed_paths: tuple[Node, ...]


@dataclass(frozen=True)
class OntologyHeader:
    """The ``owl:Ontology`` resource: title, description, version and licence."""

    iri: URIRef
    title: str
    description: str | None
    version_iris: tuple[URIRef, ...]
    versions: tuple[str, ...]
    licences: tuple[URIRef, ...]


@dataclass(frozen=True)
class ModelDescription:
    """The model as its documentation shows it. :attr:`documented` holds the IRI of every
    term with an entry (classes, properties, schemes, concepts); the three graphs are the
    packaged files, for a renderer that shows more of them (the shapes in docs/ontology.md)."""

    ontologies: tuple[OntologyHeader, ...]
    classes: tuple[ClassTerm, ...]
    properties: tuple[PropertyTerm, ...]
    schemes: tuple[Scheme, ...]
    documented: frozenset[str]
    ontology: Graph
    vocab: Graph
    shapes: Graph


@functools.cache
def describe_model() -> ModelDescription:
    """The packaged model described, read once per process."""
    return describe_graphs(
        load_graph([ontology_file()]), load_graph(vocabulary_files()), load_graph([shapes_file()])
    )


def describe_graphs(ontology: Graph, vocab: Graph, shapes: Graph) -> ModelDescription:
    """A model given as its three graphs (the OWL ontology, the SKOS concept schemes, the
    SHACL shapes) described."""
    return _Reader(ontology, vocab, shapes).describe()


class _Reader:
    def __init__(self, ontology: Graph, vocab: Graph, shapes: Graph) -> None:
        self.ontology = ontology
        self.vocab = vocab
        self.shapes = shapes
        self.allowed = self.allowed_by()

    def term_fields(self, graph: Graph, subject: URIRef) -> dict[str, object]:
        return {
            "iri": subject,
            "label": label_of(graph, subject),
            "definition": text_of(graph, subject, SKOS.definition),
            "example": text_of(graph, subject, SKOS.example),
            "comments": tuple(texts_of(graph, subject, RDFS.comment)),
            "alignments": tuple(
                Alignment(predicate, caption, tuple(targets))
                for predicate, caption in ALIGNMENTS
                if (targets := iris_of(graph, subject, predicate))
            ),
        }

    def own_subjects(self, predicate: URIRef, obj: Node) -> tuple[URIRef, ...]:
        found = (s for s in self.ontology.subjects(predicate, obj) if is_own(s))
        return tuple(sorted(found, key=str))  # type: ignore[arg-type]

    def describe(self) -> ModelDescription:
        graph = self.ontology
        class_iris = sorted(
            (c for c in graph.subjects(RDF.type, OWL.Class) if is_own(c)),
            key=lambda c: _sort_key(label_of(graph, c), str(c)),
        )
        classes = tuple(
            ClassTerm(
                **self.term_fields(graph, c),  # type: ignore[arg-type]
                superclasses=tuple(iris_of(graph, c, RDFS.subClassOf)),
                subclasses=self.own_subjects(RDFS.subClassOf, c),
                domain_of=self.own_subjects(RDFS.domain, c),
                range_of=self.own_subjects(RDFS.range, c),
            )
            for c in class_iris
            if isinstance(c, URIRef)
        )
        kinds: dict[URIRef, str] = {}
        for kind, caption in PROPERTY_KINDS:
            for prop in graph.subjects(RDF.type, kind):
                if isinstance(prop, URIRef) and is_own(prop) and prop not in kinds:
                    kinds[prop] = caption
        properties = tuple(
            PropertyTerm(
                **self.term_fields(graph, p),  # type: ignore[arg-type]
                kind=kinds[p],
                domain=tuple(iris_of(graph, p, RDFS.domain)),
                range=tuple(iris_of(graph, p, RDFS.range)),
                parents=tuple(iris_of(graph, p, RDFS.subPropertyOf)),
                children=self.own_subjects(RDFS.subPropertyOf, p),
            )
            for p in sorted(kinds, key=lambda p: _sort_key(label_of(graph, p), str(p)))
        )
        scheme_iris = sorted(
            (s for s in set(self.vocab.subjects(RDF.type, SKOS.ConceptScheme))),
            key=lambda s: _sort_key(label_of(self.vocab, s), str(s)),
        )
        schemes = tuple(self.scheme(s) for s in scheme_iris if isinstance(s, URIRef))
        concepts = set(self.vocab.subjects(RDF.type, SKOS.Concept))
        documented = frozenset(
            str(term)
            for term in [
                *(c.iri for c in classes),
                *(p.iri for p in properties),
                *(s.iri for s in schemes),
                *concepts,
            ]
        )
        return ModelDescription(
            ontologies=self.headers(),
            classes=classes,
            properties=properties,
            schemes=schemes,
            documented=documented,
            ontology=self.ontology,
            vocab=self.vocab,
            shapes=self.shapes,
        )

    def headers(self) -> tuple[OntologyHeader, ...]:
        graph = self.ontology
        return tuple(
            OntologyHeader(
                iri=ontology,
                title=text_of(graph, ontology, DCTERMS.title) or label_of(graph, ontology),
                description=text_of(graph, ontology, DCTERMS.description),
                version_iris=tuple(iris_of(graph, ontology, OWL.versionIRI)),
                versions=tuple(texts_of(graph, ontology, OWL.versionInfo)),
                licences=tuple(iris_of(graph, ontology, DCTERMS.license)),
            )
            for ontology in sorted(graph.subjects(RDF.type, OWL.Ontology), key=str)
            if isinstance(ontology, URIRef)
        )

    def scheme(self, scheme: URIRef) -> Scheme:
        vocab = self.vocab
        concepts = tuple(
            Concept(
                **self.term_fields(vocab, concept),  # type: ignore[arg-type]
                depth=depth,
                alternative_labels=tuple(texts_of(vocab, concept, SKOS.altLabel)),
                broader=tuple(iris_of(vocab, concept, SKOS.broader)),
                notations=tuple(texts_of(vocab, concept, SKOS.notation)),
                rank=integer_of(vocab, concept, EG.rank),
            )
            for concept, depth in self.concept_order(scheme)
            if isinstance(concept, URIRef)
        )
        paths = {path for concept in concepts for path in self.allowed.get(concept.iri, set())}
        return Scheme(
            **self.term_fields(vocab, scheme),  # type: ignore[arg-type]
            concepts=concepts,
            allowed_paths=tuple(sorted(paths, key=str)),
        )

    def concept_order(self, scheme: Node) -> list[tuple[Node, int]]:
        """The scheme's concepts depth first (broader before narrower), with their depth."""
        vocab = self.vocab
        members = set(vocab.subjects(SKOS.inScheme, scheme)) | set(
            vocab.subjects(SKOS.topConceptOf, scheme)
        )

        def key(concept: Node) -> tuple[bool, int, str, str]:
            rank = integer_of(vocab, concept, EG.rank)
            label = label_of(vocab, concept)
            return (rank is None, -(rank or 0), label.casefold(), str(concept))

        def parents(concept: Node) -> set[Node]:
            broader = set(vocab.objects(concept, SKOS.broader))
            broader |= set(vocab.subjects(SKOS.narrower, concept))
            return broader & members

        order: list[tuple[Node, int]] = []
        seen: set[Node] = set()

        def visit(concept: Node, depth: int) -> None:
            if concept in seen:
                return
            seen.add(concept)
            order.append((concept, depth))
            for child in sorted((m for m in members if concept in parents(m)), key=key):
                visit(child, depth + 1)

        for top in sorted((m for m in members if not parents(m)), key=key):
            visit(top, 0)
        for rest in sorted(members - seen, key=key):
            visit(rest, 0)
        return order

    def allowed_by(self) -> dict[Node, set[Node]]:
        """For each concept, the shape paths whose ``sh:in`` lists it."""
        allowed: dict[Node, set[Node]] = {}
        for shape, members in self.shapes.subject_objects(SH["in"]):
            path = self.shapes.value(shape, SH.path)
            if path is None:
                continue
            for concept in list_of(self.shapes, members):
                allowed.setdefault(concept, set()).add(path)
        return allowed
