"""A networkx projection of the instance graph: paths, centrality, components, neighbourhoods.

The projection (:func:`project`) is a ``networkx.MultiDiGraph``. It holds, and
:func:`to_rdf` gives back exactly:

- **nodes**: every IRI under the data base (``id/``) that has an ``rdf:type`` or takes part
  in a link to another such IRI;
- **links**: every triple whose subject and object are both such IRIs, as one edge keyed by
  its predicate (a CURIE), so two predicates between the same nodes are two edges;
- **types**: every ``rdf:type`` of a node that is an IRI (attribute ``types``);
- **one name per node**: the first of ``rdfs:label``, ``dcterms:title``, ``eg:statement``,
  ``eg:quote`` the node has (the least value when it has several), if it is a plain or
  language-tagged string (attributes ``label``, ``label_property``, ``label_language``).

It leaves out every other literal (values, dates, quotes beyond the name), every link to a
concept or an ontology term (concept schemes are hubs that would join every study to every
other and drown the paths that matter), and blank nodes.

Every edge also carries ``sources``: the sources the statement comes from, as the graph
records it (see :func:`statement_sources`). That attribute is derived from links the
projection holds (``prov:wasDerivedFrom``, ``eg:assertedBy``, ...), so it adds nothing to
convert back.

All attributes are strings (lists are space-separated CURIEs), so the projection writes to
GraphML as it is.
"""

from __future__ import annotations

import difflib
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from itertools import pairwise
from typing import Any

import networkx as nx
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from evidencegraph.errors import UsageError
from evidencegraph.ontology.namespace import EGID, PREFIXES, compact
from evidencegraph.ontology.naming import (
    EVIDENCE_LINKS,
    IDENTIFIER_PROPERTIES,
    NAME_PROPERTIES,
    PART_OF_LINKS,
    class_curie,
    class_hierarchy,
    expand,
    predicate_label,
)
from evidencegraph.store.core import Store

MEASURES = ("degree", "betweenness", "pagerank")
_CONCEPT_TYPES = ("eg:Drug", "eg:Condition")

_TYPES = """
SELECT ?node ?type ?base WHERE {
  ?node a ?type .
  FILTER(isIRI(?node) && isIRI(?type) && STRSTARTS(STR(?node), STR(?base)))
}
"""

_NAMES = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX eg: <https://w3id.org/evidencegraph/ontology#>
SELECT ?node ?property ?name ?base WHERE {
  VALUES ?property { rdfs:label dcterms:title eg:statement eg:quote }
  ?node ?property ?name .
  FILTER(isIRI(?node) && STRSTARTS(STR(?node), STR(?base)) && isLiteral(?name)
         && (LANG(?name) != "" || DATATYPE(?name) = xsd:string))
}
"""

_IDENTIFIERS = """
PREFIX eg: <https://w3id.org/evidencegraph/ontology#>
SELECT ?node ?value ?base WHERE {
  VALUES ?property { eg:nctId eg:eudractNumber eg:doi eg:pmid eg:registryId }
  ?node ?property ?value .
  FILTER(isIRI(?node) && STRSTARTS(STR(?node), STR(?base)) && isLiteral(?value))
}
"""

_EDGES = """
SELECT ?s ?p ?o ?base WHERE {
  ?s ?p ?o .
  FILTER(isIRI(?s) && isIRI(?o) && STRSTARTS(STR(?s), STR(?base)) && STRSTARTS(STR(?o), STR(?base)))
}
"""


@dataclass(frozen=True)
class Step:
    """One link of a path: from a node, over a predicate (forward or backward), to a node."""

    source: str
    predicate: str
    forward: bool
    target: str


def has_type(graph: nx.MultiDiGraph, node: str, cls: str) -> bool:
    """Whether ``node`` is an instance of the class ``cls`` (a CURIE) or of a subclass of it."""
    hierarchy = class_hierarchy()
    return any(cls in hierarchy.get(t, {t}) for t in graph.nodes[node]["types"].split())


# --- the projection -----------------------------------------------------------------------------


def project(store: Store) -> nx.MultiDiGraph:
    """Project the instance graph into a networkx MultiDiGraph (see the module docstring).

    Node attributes: ``type`` (one type for display, an ``eg:`` class when there is one),
    ``types``, ``label`` (the name, or the CURIE when there is none), ``label_property``
    (empty when there is no name), ``label_language`` and ``identifiers``. Edge attributes:
    ``predicate`` (a CURIE, also the edge key), ``label`` (the predicate's label) and
    ``sources``.
    """
    read = _read_by_scan(store) if store.local else _read_by_sparql(store)
    curie = cache(compact)
    types: dict[str, set[str]] = {}
    for node, cls in read.types:
        types.setdefault(node, set()).add(curie(cls))
    links = sorted({(s, curie(p), o) for s, p, o in read.links})
    nodes = set(types)
    for subject, _, obj in links:
        nodes.add(subject)
        nodes.add(obj)
    names: dict[str, tuple[int, str, str, str]] = {}
    for node, name_property, value, language in read.names:
        if node not in nodes:
            continue
        ranked = (NAME_PROPERTIES.index(curie(name_property)), value)
        if node not in names or ranked < names[node][:2]:
            names[node] = (*ranked, NAME_PROPERTIES[ranked[0]], language)
    identifiers: dict[str, set[str]] = {}
    for node, value in read.identifiers:
        identifiers.setdefault(node, set()).add(value)

    graph: nx.MultiDiGraph = nx.MultiDiGraph()
    for node in sorted(nodes):
        held = sorted(types.get(node, ()))
        shown = [t for t in held if t.startswith("eg:")] or held
        _, name, name_property, language = names.get(node, (0, compact(node), "", ""))
        graph.add_node(
            node,
            type=shown[0] if shown else "",
            types=" ".join(held),
            label=name,
            label_property=name_property,
            label_language=language,
            identifiers=" ".join(sorted(identifiers.get(node, ()))),
        )
    for subject, predicate, obj in links:
        graph.add_edge(
            subject,
            obj,
            key=predicate,
            predicate=predicate,
            label=predicate_label(predicate),
            sources="",
        )
    _attribute_sources(graph)
    return graph


@dataclass
class _Read:
    """What the projection is made of, as read from a store: IRIs and strings."""

    types: list[tuple[str, str]] = field(default_factory=list)  # node, class IRI
    links: list[tuple[str, str, str]] = field(default_factory=list)  # subject, predicate, object
    names: list[tuple[str, str, str, str]] = field(default_factory=list)  # node, property, …
    identifiers: list[tuple[str, str]] = field(default_factory=list)  # node, value


def _read_by_sparql(store: Store) -> _Read:
    """Read with four SPARQL queries: works on every backend."""
    base = {"base": URIRef(str(EGID))}
    read = _Read()
    read.types = [(str(r["node"]), str(r["type"])) for r in store.query(_TYPES, base).rows]
    read.links = [(str(r["s"]), str(r["p"]), str(r["o"])) for r in store.query(_EDGES, base).rows]
    for row in store.query(_NAMES, base).rows:
        name = row["name"]
        assert isinstance(name, Literal)
        read.names.append((str(row["node"]), str(row["property"]), str(name), name.language or ""))
    read.identifiers = [
        (str(r["node"]), str(r["value"])) for r in store.query(_IDENTIFIERS, base).rows
    ]
    return read


def _read_by_scan(store: Store) -> _Read:
    """Read the same in one pass over the store's triples as pyoxigraph terms: most of the
    SPARQL route's time is spent turning each answer into rdflib terms."""
    import pyoxigraph as ox

    base, rdf_type, string = str(EGID), str(RDF.type), PREFIXES["xsd"] + "string"
    names = {expand(p) for p in NAME_PROPERTIES}
    identifiers = {expand(p) for p in IDENTIFIER_PROPERTIES}
    read = _Read()
    named, literal = ox.NamedNode, ox.Literal
    for quad in store.quads():
        subject, obj = quad.subject, quad.object
        if type(subject) is not named or not subject.value.startswith(base):
            continue
        predicate = quad.predicate.value
        if type(obj) is named:
            if predicate == rdf_type:
                read.types.append((subject.value, obj.value))
            if obj.value.startswith(base):
                read.links.append((subject.value, predicate, obj.value))
        elif type(obj) is literal:
            if predicate in names and (obj.language or obj.datatype.value == string):
                read.names.append((subject.value, predicate, obj.value, obj.language or ""))
            elif predicate in identifiers:
                read.identifiers.append((subject.value, obj.value))
    return read


def statement_sources(graph: nx.MultiDiGraph, node: str) -> list[str]:
    """The sources the graph says a node's statements come from, as IRIs, sorted.

    In order: what the node ``prov:wasDerivedFrom`` (studies, findings); else the source a
    claim is ``eg:assertedBy``; else the node itself when it is a source (what it reports,
    who wrote it); else the sources of the whole it is part of (an arm or outcome of a study,
    an intervention an arm receives: :data:`PART_OF_LINKS`); else none (drugs, conditions,
    people and organisations are named by many sources, and the graph does not say which).
    """
    return sorted(_sources_of(graph, node, frozenset()))


def _sources_of(graph: nx.MultiDiGraph, node: str, seen: frozenset[str]) -> set[str]:
    out = graph.succ[node]
    for predicate in ("prov:wasDerivedFrom", "eg:assertedBy"):
        found = {target for target, keys in out.items() if predicate in keys}
        if found:
            return found
    if has_type(graph, node, "eg:Source"):
        return {node}
    wholes = {
        whole
        for whole, keys in graph.pred[node].items()
        if whole not in seen and any(k in PART_OF_LINKS for k in keys)
    }
    found = set()
    for whole in wholes:
        found |= _sources_of(graph, whole, seen | {node})
    return found


def _attribute_sources(graph: nx.MultiDiGraph) -> None:
    """Set ``sources`` on every edge: the subject's sources, except for the links a curator
    drew from a claim to its evidence, which rest on the evidence's sources."""
    memo: dict[str, str] = {}

    def sources(node: str) -> str:
        if node not in memo:
            memo[node] = " ".join(compact(s) for s in statement_sources(graph, node))
        return memo[node]

    for subject, obj, predicate, data in graph.edges(keys=True, data=True):
        data["sources"] = sources(obj if predicate in EVIDENCE_LINKS else subject)


def to_rdf(graph: nx.MultiDiGraph) -> Graph:
    """The triples a projection holds: its links, its nodes' types and their names.

    Works on any subgraph of a projection too (what ``--format graphml`` writes, read back).
    """
    rdf = Graph()
    for node, data in graph.nodes(data=True):
        subject = URIRef(node)
        for cls in data.get("types", "").split():
            rdf.add((subject, RDF.type, URIRef(expand(cls))))
        if data.get("label_property"):
            # a plain string is Literal(value), as evidencegraph.rdf.terms converts it
            name = Literal(data["label"], lang=data.get("label_language") or None)
            rdf.add((subject, URIRef(expand(data["label_property"])), name))
    for subject, obj, predicate in graph.edges(keys=True):
        rdf.add((URIRef(subject), URIRef(expand(predicate)), URIRef(obj)))
    return rdf


# --- naming nodes --------------------------------------------------------------------------------


def resolve(graph: nx.MultiDiGraph, text: str) -> str:
    """The node ``text`` names: an IRI, a CURIE, an identifier (NCT, EudraCT, DOI, PMID), or a
    label. Labels match exactly first (ignoring case), then as a unique substring.

    Raises UsageError naming close matches when nothing, or more than one node, fits.
    """
    wanted = text.strip().strip("<>")
    for candidate in (wanted, expand(wanted)):
        if candidate in graph:
            return candidate
    lowered = wanted.lower()
    exact = _name_index(graph).get(lowered, [])
    if len(exact) == 1:
        return exact[0]
    # a label shared by a drug or condition and study-level nodes names the concept
    concepts = [n for n in exact if graph.nodes[n]["type"] in _CONCEPT_TYPES]
    if len(concepts) == 1:
        return concepts[0]
    partial = exact or [n for n, data in graph.nodes(data=True) if lowered in data["label"].lower()]
    if len(partial) == 1:
        return str(partial[0])
    if partial:
        listed = "; ".join(f"{graph.nodes[n]['label']} ({compact(n)})" for n in sorted(partial)[:8])
        raise UsageError(f"{text!r} names {len(partial)} nodes: {listed}. Give the IRI or a CURIE.")
    raise UsageError(
        f"no node is named {text!r}.{_close_matches(graph, wanted)} "
        "Give an IRI, a CURIE, a registry id (e.g. NCT02649231) or a label."
    )


#: Name -> nodes, per projection (or view of one), built on the first lookup.
_NAME_INDEXES: weakref.WeakKeyDictionary[nx.MultiDiGraph, dict[str, list[str]]] = (
    weakref.WeakKeyDictionary()
)


def _name_index(graph: nx.MultiDiGraph) -> dict[str, list[str]]:
    """Every node under its label and its identifiers, lower-cased, nodes sorted."""
    index = _NAME_INDEXES.get(graph)
    if index is None:
        index = {}
        for node, data in graph.nodes(data=True):
            names = {data["label"].lower(), *data["identifiers"].lower().split()}
            for name in names:
                index.setdefault(name, []).append(node)
        for nodes in index.values():
            nodes.sort()
        _NAME_INDEXES[graph] = index
    return index


def _close_matches(graph: nx.MultiDiGraph, wanted: str) -> str:
    """``Close matches: ...`` for an unknown name, from labels, CURIEs and identifiers."""
    names: dict[str, str] = {}
    for node, data in graph.nodes(data=True):
        for name in (data["label"], compact(node), *data["identifiers"].split()):
            names.setdefault(
                name.lower(), f"{name} ({compact(node)})" if name != compact(node) else name
            )
    close = difflib.get_close_matches(wanted.lower(), list(names), n=3, cutoff=0.6)
    return f" Close matches: {'; '.join(names[c] for c in close)}." if close else ""


# --- analyses ------------------------------------------------------------------------------------


def without_claims(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """The projection without claim nodes: paths then run through studies, arms and findings.

    Claims link a drug to findings in two hops (claim about the drug, disputed by a finding),
    which would hide the trial structure that connects them.
    """
    kept = [node for node in graph if not has_type(graph, node, "eg:Claim")]
    return graph.subgraph(kept)


def shortest_paths(
    graph: nx.MultiDiGraph, start: str, end: str, limit: int = 5
) -> list[list[Step]]:
    """Up to ``limit`` shortest paths between two nodes, following links in either direction.

    Paths come in the order of their nodes' IRIs (the first ``limit`` of all shortest paths,
    sorted), so the same graph gives the same paths.
    """
    following = _shortest_path_dag(graph, start, end)
    paths: list[list[Step]] = []
    if following is None:
        return paths
    # depth first, nearest IRI first: paths come out sorted, and we stop at ``limit``
    stack: list[list[str]] = [[start]]
    while stack and len(paths) < limit:
        nodes = stack.pop()
        if nodes[-1] == end:
            paths.append(_steps(graph, nodes))
            continue
        stack.extend([*nodes, there] for there in sorted(following[nodes[-1]], reverse=True))
    return paths


def _neighbours(graph: nx.MultiDiGraph, node: str) -> set[str]:
    return set(graph.succ[node]) | set(graph.pred[node])


def _shortest_path_dag(graph: nx.MultiDiGraph, start: str, end: str) -> dict[str, set[str]] | None:
    """For every node on a shortest path from ``start`` to ``end``, the nodes that follow it
    on one; None when the two are not connected.

    A breadth-first search from both ends, a whole layer at a time, the smaller side first:
    it meets in the middle and so looks at two small balls instead of one large one (a hub
    such as a common condition joins thousands of studies).
    """
    if start == end:
        return {start: set()}
    # for each side, every node reached and the nodes it was reached from (toward its end)
    before: dict[str, set[str]] = {start: set()}
    after: dict[str, set[str]] = {end: set()}
    ahead, behind = [start], [end]
    while ahead and behind:
        forwards = len(ahead) <= len(behind)
        layer, reached, other = (ahead, before, after) if forwards else (behind, after, before)
        found: dict[str, set[str]] = {}
        for here in layer:
            for there in _neighbours(graph, here):
                if there not in reached:
                    found.setdefault(there, set()).add(here)
        reached.update(found)
        meeting = [node for node in found if node in other]
        if forwards:
            ahead = list(found)
        else:
            behind = list(found)
        if meeting:
            return _join(before, after, meeting, start, end)
    return None


def _join(
    before: dict[str, set[str]],
    after: dict[str, set[str]],
    meeting: list[str],
    start: str,
    end: str,
) -> dict[str, set[str]]:
    """The shortest-path DAG from the two searches' parents and the nodes where they met."""
    following: dict[str, set[str]] = {end: set()}
    todo = list(meeting)
    while todo:  # from the meeting nodes back to start: reverse the forward parents
        node = todo.pop()
        for parent in before[node]:
            if parent not in following:
                todo.append(parent)
            following.setdefault(parent, set()).add(node)
    todo = list(meeting)
    seen = set(meeting)
    while todo:  # from the meeting nodes on to end: the backward parents lead there
        node = todo.pop()
        following.setdefault(node, set()).update(after[node])
        for child in after[node]:
            if child not in seen:
                seen.add(child)
                todo.append(child)
    following.setdefault(start, set())
    return following


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


def subgraph(
    graph: nx.MultiDiGraph,
    nodes: Iterable[str],
    edges: Iterable[tuple[str, str, str]] | None = None,
) -> nx.MultiDiGraph:
    """A copy of part of a projection: ``nodes`` and the links among them (or only ``edges``),
    in IRI order, so that what is written from it comes out the same every time."""
    part: nx.MultiDiGraph = nx.MultiDiGraph()
    kept = sorted(set(nodes))
    part.add_nodes_from((node, dict(graph.nodes[node])) for node in kept)
    if edges is None:
        edges = (e for e in graph.out_edges(kept, keys=True) if e[1] in part)
    for subject, obj, key in sorted(edges):
        part.add_edge(subject, obj, key=key, **graph.edges[subject, obj, key])
    return part


def path_subgraph(graph: nx.MultiDiGraph, paths: Iterable[list[Step]]) -> nx.MultiDiGraph:
    """The nodes and the very edges of ``paths``, as a projection of their own."""
    edges = {
        (s.source, s.target, s.predicate) if s.forward else (s.target, s.source, s.predicate)
        for steps in paths
        for s in steps
    }
    return subgraph(graph, (n for e in edges for n in e[:2]), edges)


def centrality(
    graph: nx.MultiDiGraph, measure: str = "degree", top: int = 10, node_type: str | None = None
) -> list[tuple[str, float]]:
    """The ``top`` nodes by ``measure`` (degree, betweenness or pagerank), optionally only
    instances of ``node_type`` (a class name or CURIE; subclasses count). Links count in
    either direction, and two predicates between the same nodes count once.

    Raises UsageError for an unknown measure or class.
    """
    if measure not in MEASURES:
        raise UsageError(f"unknown measure {measure!r}: use one of {', '.join(MEASURES)}")
    wanted = class_curie(node_type) if node_type else None
    simple = nx.Graph(graph.to_undirected(as_view=True))
    scores: dict[Any, float]
    if measure == "degree":
        scores = nx.degree_centrality(simple)
    elif measure == "betweenness":
        scores = nx.betweenness_centrality(simple)
    else:
        scores = nx.pagerank(simple)
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    if wanted:
        ranked = [(n, s) for n, s in ranked if has_type(graph, n, wanted)]
    return ranked[:top]


def components(graph: nx.MultiDiGraph) -> list[list[str]]:
    """The connected components (links in either direction), largest first, each sorted;
    components of the same size come in the order of their first node."""
    found = [sorted(c) for c in nx.weakly_connected_components(graph)]
    return sorted(found, key=lambda members: (-len(members), members[0]))


def neighbourhood(graph: nx.MultiDiGraph, node: str, hops: int = 1) -> dict[str, int]:
    """Every node within ``hops`` links of ``node`` (either direction), with its distance.

    Raises UsageError for a negative ``hops``.
    """
    if hops < 0:
        raise UsageError(f"--hops must be 0 or more, not {hops}")
    lengths = nx.single_source_shortest_path_length(
        graph.to_undirected(as_view=True), node, cutoff=hops
    )
    return {n: int(d) for n, d in lengths.items()}


def graphml_lines(graph: nx.MultiDiGraph) -> Iterator[str]:
    """A projection (or a part of one) as GraphML, line by line."""
    yield from nx.generate_graphml(graph, prettyprint=True)
