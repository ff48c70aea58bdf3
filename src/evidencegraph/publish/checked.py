"""What the graph has checked: the claims with a verdict, and everything their verdicts rest on.

The three publications (ClaimReview, FHIR, nanopublications) are written from one
:class:`CheckedEvidence`: the checked claims (every verification status but
``egv:Unverified``), read from a store's view together with the nodes they lead to (their
sources, the findings, studies and sources their verdicts cite, the findings' studies, arms,
outcomes and certainty assessments, the reviewing organisation), a few links deep. The model's
concepts (labels, codes, alignments) come from the packaged model, not the store.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.term import Node

from evidencegraph.errors import StoreError, UsageError
from evidencegraph.ontology.namespace import EG, EGID, EGV
from evidencegraph.rdf.model import model_graph
from evidencegraph.rdf.terms import from_quad
from evidencegraph.store.core import Store

DCTERMS = Namespace("http://purl.org/dc/terms/")
PROV = Namespace("http://www.w3.org/ns/prov#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")

#: How many links from a claim the reader follows: claim -> finding -> certainty ->
#: domain judgement, or claim -> finding -> arm -> intervention.
DEPTH = 4

#: The links from a claim to the evidence its verdict rests on, and what each says of it.
EVIDENCE_LINKS: tuple[tuple[URIRef, str], ...] = (
    (EG.supportedBy, "supports"),
    (EG.disputedBy, "disputes"),
    (EG.inconclusiveEvidence, "is inconclusive about"),
    (EG.closestEvidence, "is the closest evidence found for"),
    (EG.candidateReferent, "is a candidate referent of"),
)

_CHECKED_CLAIMS = """
PREFIX eg: <https://w3id.org/evidencegraph/ontology#>
SELECT DISTINCT ?claim WHERE {
  ?claim a eg:Claim ; eg:verificationStatus ?status .
  FILTER (?status != <https://w3id.org/evidencegraph/vocab/Unverified>)
}
"""


class NothingCheckedError(StoreError):
    """The store holds no checked claim: nothing to publish (exit 3)."""


class NotCheckedError(UsageError):
    """A claim asked for is not a checked claim of the store (exit 2)."""


@dataclass(frozen=True)
class CheckedEvidence:
    """The checked claims of a store (sorted by IRI) and the triples about them and what their
    verdicts rest on; ``model`` is the packaged ontology and concept schemes."""

    claims: tuple[URIRef, ...]
    graph: Graph
    model: Graph
    #: Findings to publish whether or not a checked claim rests on them (``publish fhir``
    #: of a whole store: an Evidence per finding), sorted by IRI.
    findings: tuple[URIRef, ...] = ()

    def value(self, subject: Node, predicate: URIRef) -> Node | None:
        """One value of ``predicate`` on ``subject`` (the smallest, so the choice is stable)."""
        values = sorted(self.graph.objects(subject, predicate), key=str)
        return values[0] if values else None

    def values(self, subject: Node, predicate: URIRef) -> list[Node]:
        """Every value of ``predicate`` on ``subject``, sorted by their text."""
        return sorted(self.graph.objects(subject, predicate), key=str)

    def text(self, subject: Node, predicate: URIRef) -> str | None:
        """The lexical form of one value of ``predicate`` on ``subject``, or None."""
        found = self.value(subject, predicate)
        return str(found) if found is not None else None

    def types(self, subject: Node) -> set[Node]:
        """The classes of ``subject``."""
        return set(self.graph.objects(subject, RDF.type))

    def name(self, node: Node) -> str:
        """What a person reads as the node's name: its title, label or statement; for a
        concept its preferred label; else its IRI."""
        for graph, predicates in (
            (self.graph, (DCTERMS.title, RDFS.label, EG.statement, EG.name)),
            (self.model, (SKOS.prefLabel, RDFS.label)),
        ):
            for predicate in predicates:
                found = sorted(graph.objects(node, predicate), key=str)
                if found:
                    return str(found[0])
        return str(node)

    def concept(self, concept: Node, predicate: URIRef) -> str | None:
        """A value of ``predicate`` (skos:notation, say) on a concept of the packaged model."""
        found = sorted(self.model.objects(concept, predicate), key=str)
        return str(found[0]) if found else None

    def status(self, claim: URIRef) -> URIRef:
        """The claim's verification status."""
        return URIRef(str(self.value(claim, EG.verificationStatus)))

    def evidence(self, claim: URIRef) -> Iterator[tuple[URIRef, str, URIRef]]:
        """What the claim's verdict rests on: (evidence node, what it says of the claim,
        the linking property), in the order of :data:`EVIDENCE_LINKS`, each sorted."""
        for predicate, role in EVIDENCE_LINKS:
            for node in self.values(claim, predicate):
                if isinstance(node, URIRef):
                    yield node, role, predicate

    def is_finding(self, node: Node) -> bool:
        return EG.Finding in self.types(node)

    def is_study(self, node: Node) -> bool:
        return bool(self.types(node) & {EG.Study, EG.Trial})

    def primary_sources(self, node: URIRef) -> list[URIRef]:
        """The sources a finding or a study was taken from; a source is its own."""
        if self.is_finding(node) or self.is_study(node):
            return [s for s in self.values(node, PROV.wasDerivedFrom) if isinstance(s, URIRef)]
        return [node]

    def verified(self, claim: URIRef) -> tuple[URIRef | None, Literal | None]:
        """Who checked the claim and when (eg:verifiedBy, eg:verifiedOn), where recorded."""
        by = self.value(claim, EG.verifiedBy)
        on = self.value(claim, EG.verifiedOn)
        return (
            by if isinstance(by, URIRef) else None,
            on if isinstance(on, Literal) else None,
        )


_FINDINGS = """
PREFIX eg: <https://w3id.org/evidencegraph/ontology#>
SELECT DISTINCT ?finding WHERE { ?finding a eg:Finding }
"""


def all_findings(store: Store) -> list[URIRef]:
    """The IRIs of the store's findings, sorted."""
    result = store.query(_FINDINGS)
    return sorted(URIRef(str(node)) for node in result.column("finding") if node is not None)


def checked_claims(store: Store) -> list[URIRef]:
    """The IRIs of the store's checked claims, sorted."""
    result = store.query(_CHECKED_CLAIMS)
    return sorted(URIRef(str(node)) for node in result.column("claim") if node is not None)


def read_checked(
    store: Store, only: Sequence[URIRef] | None = None, *, every_finding: bool = False
) -> CheckedEvidence:
    """The checked claims of ``store`` (or those of ``only`` that are checked) and the
    triples their publications are made of.

    ``every_finding`` reads every finding of the store as well, whether or not a checked claim
    rests on it. Raises NothingCheckedError when there is no checked claim to publish,
    NotCheckedError when a claim of ``only`` is not one.
    """
    claims = checked_claims(store)
    if only is not None:
        wanted = set(only)
        claims = [claim for claim in claims if claim in wanted]
        missing = sorted(wanted - set(claims))
        if missing:
            raise NotCheckedError(
                f"{', '.join(missing)} is not a checked claim in {store.descriptor} "
                "(a claim with a verification status other than egv:Unverified)"
            )
    if not claims:
        raise NothingCheckedError(
            f"the store {store.descriptor} holds no checked claim (a claim with a "
            "verification status other than egv:Unverified), so there is nothing to publish. "
            "Run `evidencegraph build` to load the curated evidence, or load claims that "
            "carry eg:verificationStatus."
        )
    findings = all_findings(store) if every_finding else []
    graph = neighbourhood(store, [*claims, *findings])
    return CheckedEvidence(tuple(claims), graph, model_graph(), tuple(findings))


def neighbourhood(store: Store, focus: Sequence[URIRef], depth: int = DEPTH) -> Graph:
    """Every view triple of ``focus`` and of the instance nodes (IRIs under the project's
    ``id/`` namespace) they lead to, up to ``depth`` links away."""
    graph = Graph()
    seen: set[str] = set()
    frontier = [str(node) for node in focus]
    for _ in range(depth + 1):
        todo = [iri for iri in frontier if iri not in seen]
        if not todo:
            break
        seen.update(todo)
        found = store.links([ox.NamedNode(iri) for iri in todo], [])
        frontier = []
        for quad in found:
            triple = from_quad(quad)
            graph.add(triple)
            target = triple[2]
            if isinstance(target, URIRef) and str(target).startswith(str(EGID)):
                frontier.append(str(target))
    return graph


def is_concept(node: Node) -> bool:
    """Whether ``node`` is one of the project's concepts (egv:)."""
    return isinstance(node, URIRef) and str(node).startswith(str(EGV))
