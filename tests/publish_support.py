"""What the publish tests share: the checked claims as the curated files state them, read
with rdflib straight from the package data (not through the store the publishers read)."""

from __future__ import annotations

import functools
from importlib import resources

from rdflib import Graph, Namespace, URIRef

EG = Namespace("https://w3id.org/evidencegraph/ontology#")
EGV = Namespace("https://w3id.org/evidencegraph/vocab/")
EGID = Namespace("https://w3id.org/evidencegraph/id/")


@functools.cache
def curated() -> Graph:
    """Every curated evidence file, parsed by rdflib."""
    graph = Graph()
    folder = resources.files("evidencegraph.evidence")
    for item in sorted(folder.iterdir(), key=lambda f: f.name):
        if item.name.endswith(".ttl"):
            graph.parse(data=item.read_text(encoding="utf-8"), format="turtle")
    return graph


def checked_claims() -> dict[URIRef, URIRef]:
    """Each claim of the curated claims files whose status is not egv:Unverified -> status."""
    graph = curated()
    found: dict[URIRef, URIRef] = {}
    for claim in graph.subjects(predicate=None, object=EG.Claim):
        status = graph.value(claim, EG.verificationStatus)
        if status is not None and status != EGV.Unverified:
            found[URIRef(str(claim))] = URIRef(str(status))
    return found
