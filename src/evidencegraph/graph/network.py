"""A networkx projection of the instance graph, for paths and centrality (competency question 10).

Nodes are the graph's own resources (IRIs under the ``id/`` base) with their
type and label; edges are the links between them, with the predicate. Concept
schemes and ontology terms are left out: they are hubs that would join every
study to every other and drown the paths that matter.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from itertools import islice, pairwise
from typing import Any

import networkx as nx

from evidencegraph.errors import UsageError
from evidencegraph.graph.store import Store
from evidencegraph.ontology.namespace import EGID, PREFIXES, compact

MEASURES = ("degree", "betweenness", "pagerank")
_CONCEPT_TYPES = ("eg:Drug", "eg:Condition")

_NODES = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX eg: <https://w3id.org/evidencegraph/ontology#>
SELECT ?node ?base (SAMPLE(?t) AS ?type) (SAMPLE(?l) AS ?label) (SAMPLE(?n) AS ?nct) WHERE {
  ?node a ?t .
  FILTER(isIRI(?node) && STRSTARTS(STR(?node), STR(?base)) && STRSTARTS(STR(?t), STR(eg:)))
  OPTIONAL { ?node rdfs:label|dcterms:title|eg:statement|eg:quote ?l }
  OPTIONAL { ?node eg:nctId ?n }
} GROUP BY ?node ?base
"""

_EDGES = """
SELECT ?s ?p ?o ?base WHERE {
  ?s ?p ?o .
  FILTER(isIRI(?o) && STRSTARTS(STR(?s), STR(?base)) && STRSTARTS(STR(?o), STR(?base)))
}
"""


@dataclass(frozen=True)
class Step:
    """One link of a path: from a node, over a predicate (forward or backward), to a node."""

    source: str
    predicate: str
    forward: bool
    target: str


def project(store: Store) -> nx.MultiDiGraph:
    """Project the instance graph into a networkx MultiDiGraph (attributes are strings)."""
    from rdflib import URIRef

    base = {"base": URIRef(str(EGID))}
    graph: nx.MultiDiGraph = nx.MultiDiGraph()
    for row in store.query(_NODES, base).rows:
        node = str(row["node"])
        graph.add_node(
            node,
            type=compact(str(row.get("type", ""))),
            label=str(row.get("label", "")) or compact(node),
            nct=str(row.get("nct", "")),
        )
    for row in store.query(_EDGES, base).rows:
        subject, obj = str(row["s"]), str(row["o"])
        for node in (subject, obj):
            if node not in graph:
                graph.add_node(node, type="", label=compact(node), nct="")
        predicate = compact(str(row["p"]))
        graph.add_edge(subject, obj, key=predicate, predicate=predicate)
    return graph


def resolve(graph: nx.MultiDiGraph, text: str) -> str:
    """The node ``text`` names: an IRI, a CURIE, an NCT number, or a label.

    Labels match exactly first, then as a unique substring.

    Raises UsageError naming close matches when nothing, or more than one node, fits.
    """
    wanted = text.strip()
    prefix, colon, local = wanted.partition(":")
    candidates = [wanted, PREFIXES[prefix] + local] if colon and prefix in PREFIXES else [wanted]
    for candidate in candidates:
        if candidate in graph:
            return str(candidate)
    lowered = wanted.lower()
    exact = [
        n
        for n, data in graph.nodes(data=True)
        if data["label"].lower() == lowered or data["nct"].lower() == lowered
    ]
    if len(exact) == 1:
        return str(exact[0])
    # a label shared by a drug or condition and study-level nodes names the concept
    concepts = [n for n in exact if graph.nodes[n]["type"] in _CONCEPT_TYPES]
    if len(concepts) == 1:
        return str(concepts[0])
    partial = exact or [n for n, data in graph.nodes(data=True) if lowered in data["label"].lower()]
    if len(partial) == 1:
        return str(partial[0])
    if partial:
        listed = "; ".join(f"{graph.nodes[n]['label']} ({compact(n)})" for n in sorted(partial)[:8])
        raise UsageError(f"{text!r} names {len(partial)} nodes: {listed}. Give the IRI or a CURIE.")
    labels = {data["label"]: n for n, data in graph.nodes(data=True)}
    close = difflib.get_close_matches(wanted, list(labels), n=3, cutoff=0.4)
    hint = f" Close matches: {'; '.join(close)}." if close else ""
    raise UsageError(
        f"no node is named {text!r}.{hint} Give an IRI, a CURIE, an NCT number or a label."
    )


def without_claims(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """The projection without claim nodes: paths then run through studies, arms and findings.

    Claims link a drug to findings in two hops (claim about the drug, disputed by a finding),
    which would hide the trial structure that connects them.
    """
    kept = [node for node, data in graph.nodes(data=True) if data["type"] != "eg:Claim"]
    return graph.subgraph(kept)


def shortest_paths(
    graph: nx.MultiDiGraph, start: str, end: str, limit: int = 5
) -> list[list[Step]]:
    """Up to ``limit`` shortest paths between two nodes, following links in either direction."""
    undirected = graph.to_undirected(as_view=True)
    try:
        # networkx yields paths in hash order; sort a generous sample so output is stable
        node_paths = sorted(islice(nx.all_shortest_paths(undirected, start, end), limit * 20))
    except nx.NetworkXNoPath:
        return []
    return [_steps(graph, path) for path in node_paths[:limit]]


def _steps(graph: nx.MultiDiGraph, nodes: list[str]) -> list[Step]:
    steps = []
    for here, there in pairwise(nodes):
        if graph.has_edge(here, there):
            predicate = sorted(graph[here][there])[0]
            steps.append(Step(here, predicate, True, there))
        else:
            predicate = sorted(graph[there][here])[0]
            steps.append(Step(here, predicate, False, there))
    return steps


def centrality(
    graph: nx.MultiDiGraph, measure: str = "degree", top: int = 10, node_type: str | None = None
) -> list[tuple[str, float]]:
    """The ``top`` nodes by ``measure`` (degree, betweenness or pagerank), optionally by type."""
    if measure not in MEASURES:
        raise UsageError(f"unknown measure {measure!r}: use one of {', '.join(MEASURES)}")
    simple = nx.Graph(graph.to_undirected(as_view=True))
    scores: dict[Any, float]
    if measure == "degree":
        scores = nx.degree_centrality(simple)
    elif measure == "betweenness":
        scores = nx.betweenness_centrality(simple)
    else:
        scores = nx.pagerank(simple)
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    if node_type:
        wanted = node_type if ":" in node_type else f"eg:{node_type}"
        ranked = [(n, s) for n, s in ranked if graph.nodes[n]["type"] == wanted]
    return ranked[:top]
