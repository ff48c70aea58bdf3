"""What the source graphs say (decision 0021): a graph's catalog entry and statements, and
which graphs state what about one node, with the values where they disagree.

The store's default graph is the view, one value per single-valued property; every value
stays in the graph of the source that states it, and the graph ``graph/catalog`` describes
each graph (its kind, the source it holds, the record's own version). Everything here reads
through the Store seam (SPARQL with bound terms, :meth:`Store.values`), so a ``sparql:``
store answers it as the embedded one does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import URIRef
from rdflib.term import Node

from evidencegraph.ontology.namespace import expand
from evidencegraph.ontology.naming import NAME_PROPERTIES
from evidencegraph.ontology.source_graphs import CATALOG, NOT_SHOWN, SourceKind, Standing
from evidencegraph.rdf.terms import to_oxigraph, to_rdflib
from evidencegraph.store.core import Store
from evidencegraph.validation.shacl import single_valued_predicates

_Term = ox.NamedNode | ox.BlankNode | ox.Literal

#: The catalog's name as it is written into a query (a constant, never a caller's text).
_CATALOG = str(ox.NamedNode(CATALOG))
_KIND = expand("eg:sourceKind")
_DERIVED_FROM = expand("prov:wasDerivedFrom")
_MODIFIED = expand("dcterms:modified")
_GENERATED = expand("prov:generatedAtTime")
_TRIPLES = "http://rdfs.org/ns/void#triples"
_NAMES = tuple(ox.NamedNode(expand(curie)) for curie in NAME_PROPERTIES)
#: What a graph's entry (:class:`SourceGraph`) reads of the catalog.
_ENTRY_PREDICATES = (_KIND, _DERIVED_FROM, _MODIFIED, _GENERATED)
#: Graphs a query names at most in one VALUES block.
_CHUNK = 500


@dataclass(frozen=True)
class SourceGraph:
    """One graph as the catalog describes it: its kind (a concept of the source-kind
    scheme), the source it holds and that source's name, the record's own version."""

    iri: str
    kind: str | None = None
    source: ox.NamedNode | None = None
    source_name: str | None = None
    version: str | None = None
    imported: str | None = None

    @property
    def standing(self) -> Standing:
        """Where the graph stands in the view's precedence."""
        kind = SourceKind.of_concept(self.kind) if self.kind else SourceKind.OTHER
        return Standing(self.iri, kind, self.version)

    @property
    def short_name(self) -> str:
        """The graph's name under the graph base: ``ctgov/NCT02649231``."""
        return self.iri.rsplit("/graph/", 1)[-1]


def catalog_entries(store: Store, graphs: Sequence[str]) -> dict[str, SourceGraph]:
    """The catalog's description of each of ``graphs`` (a graph the catalog does not
    describe comes back with its IRI alone), its source's name read from any graph."""
    described = catalog_quads(store, graphs, _ENTRY_PREDICATES)
    by_graph: dict[str, dict[str, list[_Term]]] = defaultdict(lambda: defaultdict(list))
    for quad in described:
        if isinstance(quad.subject, ox.NamedNode):  # always: VALUES binds ?g to IRIs
            by_graph[quad.subject.value][quad.predicate.value].append(quad.object)  # type: ignore[arg-type]

    def first(graph: str, predicate: str) -> _Term | None:
        values = sorted(by_graph[graph].get(predicate, []), key=str)
        return values[0] if values else None

    sources = {
        graph: source
        for graph in graphs
        if isinstance(source := first(graph, _DERIVED_FROM), ox.NamedNode)
    }
    names = source_names(store, sorted(set(sources.values()), key=lambda n: n.value))
    entries = {}
    for graph in graphs:
        kind, version, imported = (
            first(graph, predicate) for predicate in (_KIND, _MODIFIED, _GENERATED)
        )
        source = sources.get(graph)
        entries[graph] = SourceGraph(
            graph,
            kind.value if isinstance(kind, ox.NamedNode) else None,
            source,
            names.get(source) if source is not None else None,
            version.value if isinstance(version, ox.Literal) else None,
            imported.value if isinstance(imported, ox.Literal) else None,
        )
    return entries


def catalog_quads(
    store: Store, graphs: Sequence[str], predicates: Sequence[str] = ()
) -> list[ox.Quad]:
    """What the catalog states about each of ``graphs``, as quads in the catalog graph;
    ``predicates``: those statements alone (a page needs four of a record's dozens)."""
    found: list[ox.Quad] = []
    catalog = ox.NamedNode(CATALOG)
    only = ""
    if predicates:  # (a VALUES block of them made Oxigraph read the catalog once a value)
        only = f"FILTER(?p IN ({', '.join(str(ox.NamedNode(p)) for p in predicates)})) "
    for start in range(0, len(graphs), _CHUNK):
        # each IRI written by pyoxigraph once it accepted it as one: no text of a caller's
        # can become syntax
        chunk = " ".join(str(ox.NamedNode(g)) for g in graphs[start : start + _CHUNK])
        rows = store.query(
            f"SELECT ?g ?p ?o WHERE {{ VALUES ?g {{ {chunk} }} "
            f"GRAPH {_CATALOG} {{ ?g ?p ?o }} {only}}}"
        ).rows
        for row in rows:
            subject, predicate, value = (to_oxigraph(row[name]) for name in ("g", "p", "o"))
            found.append(ox.Quad(subject, predicate, value, catalog))  # type: ignore[arg-type]
    return sorted(found, key=lambda q: (str(q.subject), q.predicate.value, str(q.object)))


def source_names(store: Store, sources: Sequence[ox.NamedNode]) -> dict[ox.NamedNode, str]:
    """What each source is called: its name in the view (what every page calls it), else as
    stated in any graph; its label, else its title..., an English or untagged one first, then
    the least in code-point order, so that the name never depends on the order the store
    answers in."""
    names = _names(store.about(sources, _NAMES))
    unnamed = [source for source in sources if source not in names]
    if unnamed:
        names.update(_names(store.values([(s, name) for s in unnamed for name in _NAMES])))
    return names


def _names(quads: Iterable[ox.Quad]) -> dict[ox.NamedNode, str]:
    held: dict[ox.NamedNode, dict[str, list[ox.Literal]]] = defaultdict(lambda: defaultdict(list))
    for quad in quads:
        if isinstance(quad.object, ox.Literal) and isinstance(quad.subject, ox.NamedNode):
            held[quad.subject][quad.predicate.value].append(quad.object)
    names: dict[ox.NamedNode, str] = {}
    for source, by_predicate in held.items():
        for predicate in _NAMES:
            literals = by_predicate.get(predicate.value, [])
            english = [n for n in literals if n.language in (None, "en")]
            if literals:
                names[source] = min(n.value for n in english or literals)
                break
    return names


def graph_size(store: Store, graph: str) -> int:
    """How many statements the graph ``graph`` holds (0 for one the store does not have)."""
    rows = store.query(
        # a bound variable must be projected; grouped by it, a graph not there has no row
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
        {"g": URIRef(graph)},
    ).rows
    return int(str(rows[0]["n"])) if rows else 0


def graph_statements(store: Store, graph: str) -> list[ox.Quad]:
    """Every statement of the graph ``graph``, sorted."""
    quads = store.graph_contents([ox.NamedNode(graph)])
    return sorted(quads, key=lambda q: (str(q.subject), q.predicate.value, str(q.object)))


# --- who states what about a node ----------------------------------------------------------


#: The most source graphs a page lists as sources of a node (a condition or a drug is stated
#: by every record that names it: thousands in a registry-sized store).
MAX_LISTED_GRAPHS = 50
#: The most graphs named beside one of the values sources disagree on.
MAX_VALUE_GRAPHS = 10


@dataclass(frozen=True)
class StatedValue:
    """One value of a property, graphs that state it (best standing first; at most
    :data:`MAX_VALUE_GRAPHS`), how many graphs state it in all, and whether the view shows
    it."""

    value: _Term
    graphs: list[SourceGraph]
    count: int
    shown: bool


@dataclass(frozen=True)
class Disagreement:
    """A single-valued property the source graphs give different values: the value the view
    shows first, then the others by the standing of their best graph."""

    predicate: str
    values: list[StatedValue]


@dataclass
class Attribution:
    """The source graphs that state anything about a node (best standing first; at most
    :data:`MAX_LISTED_GRAPHS` of :attr:`total` are listed), which of the listed ones state
    each of its statements and how many graphs do in all, and where they disagree."""

    graphs: list[SourceGraph] = field(default_factory=list)
    total: int = 0
    stated_by: dict[tuple[str, _Term], list[SourceGraph]] = field(default_factory=dict)
    counts: dict[tuple[str, _Term], int] = field(default_factory=dict)
    disagreements: list[Disagreement] = field(default_factory=list)

    def number(self, graph: SourceGraph) -> int:
        """The graph's place in :attr:`graphs`, from 1 (how the page refers to it)."""
        return self.graphs.index(graph) + 1


#: The source kinds' precedence, as a VALUES table for a query (constants of the model).
_RANKS = " ".join(f"({ox.NamedNode(kind.concept)} {kind.rank})" for kind in SourceKind)
_KIND_TERM = str(ox.NamedNode(_KIND))
_MODIFIED_TERM = str(ox.NamedNode(_MODIFIED))
_NOT_SHOWN = str(ox.NamedNode(NOT_SHOWN))
#: A node's statements in any graph but the catalog (which describes graphs) and the marks of
#: the values the view does not show (decision 0030): neither is a source.
_IN_SOURCES = f"GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != {_CATALOG} && ?g != {_NOT_SHOWN})"

_Pair = tuple[str, _Term]


def _first_graphs(store: Store, bound: dict[str, Node], variables: str, most: int) -> list[str]:
    """The first ``most`` source graphs that state ``?s ?p ?o`` with ``bound`` bound (which
    ``variables`` project), in the view's precedence (source_graphs.Standing: kind, then the
    newer version, then the name), read from the catalog by the query itself."""
    rows = store.query(
        f"SELECT {variables} ?g WHERE {{ {{ SELECT DISTINCT {variables} ?g WHERE {{ "
        f"{_IN_SOURCES} }} }} OPTIONAL {{ GRAPH {_CATALOG} {{ ?g {_KIND_TERM} ?kind }} "
        f"VALUES (?kind ?rank) {{ {_RANKS} }} }} "
        f"OPTIONAL {{ GRAPH {_CATALOG} {{ ?g {_MODIFIED_TERM} ?version }} }} }} "
        f"ORDER BY (COALESCE(?rank, {len(SourceKind)})) DESC(STR(?version)) ?g LIMIT {most}",
        bound,
    ).rows
    # a graph the catalog gave two versions would come twice
    return list(dict.fromkeys(str(row["g"]) for row in rows))


#: Graphs stating one statement past which the first graphs are taken kind by kind, in any
#: order within a kind, rather than sorted by version (issue 20: a MeSH class is labelled by
#: 60,000 registry records, and sorting them all took seconds).
MANY_GRAPHS = 1000


def _first_graphs_by_kind(store: Store, bound: dict[str, Node], most: int) -> list[str]:
    """The first ``most`` source graphs that state ``?s ?p ?o`` about ``bound``'s subject,
    kind by kind in the view's precedence (graphs of no known kind last), each kind's in the
    order the store finds them: every query stops at ``most`` rows."""
    found: list[str] = []
    for kind in SourceKind:
        rows = store.query(
            f"SELECT DISTINCT ?s ?g WHERE {{ {_IN_SOURCES} GRAPH {_CATALOG} {{ ?g "
            f"{_KIND_TERM} {ox.NamedNode(kind.concept)} }} }} LIMIT {most - len(found)}",
            bound,
        ).rows
        found.extend(str(row["g"]) for row in rows)
        if len(found) >= most:
            return found[:most]
    return found


@dataclass(frozen=True)
class StatementCounts:
    """A node's statements in the source graphs with how many graphs state each, and how
    many graphs state anything of it: what :func:`attribute` reads of every graph, kept by a
    worker for the nodes the most graphs state (:func:`count_statements`)."""

    counts: dict[_Pair, int]
    total: int


def count_statements(store: Store, node: ox.NamedNode) -> StatementCounts:
    """``node``'s :class:`StatementCounts`: two queries over every graph that states
    something of it (a MeSH class that 60,000 records label: most of its page's time)."""
    subject: dict[str, Node] = {"s": URIRef(node.value)}
    counts = _counts(store, subject)
    return StatementCounts(counts, _total(store, subject) if counts else 0)


def attribute(
    store: Store,
    node: ox.NamedNode,
    view: Iterable[ox.Quad],
    counted: StatementCounts | None = None,
) -> Attribution:
    """Which source graphs state what about ``node`` (its statements as subject), and the
    single-valued properties they give different values; ``view`` holds the node's
    statements in the default graph, which say what the view shows; ``counted``: the
    node's :func:`count_statements` of this state of the store, if kept (else counted now).

    A bounded number of queries whatever the store's size: the statements with how many
    graphs state each, the first graphs in precedence, what those state, and the first
    graphs of each value sources disagree on.
    """
    subject: dict[str, Node] = {"s": URIRef(node.value)}  # bound, so projected below
    counts = counted.counts if counted is not None else _counts(store, subject)
    if not counts:
        return Attribution()
    if max(counts.values()) > MANY_GRAPHS:
        first = _first_graphs_by_kind(store, subject, MAX_LISTED_GRAPHS + 1)
    else:
        first = _first_graphs(store, subject, "?s", MAX_LISTED_GRAPHS + 1)
    listed = first[:MAX_LISTED_GRAPHS]
    total = len(listed)
    if len(first) > len(listed):
        total = counted.total if counted is not None else _total(store, subject)
    stated = _stated_in(store, subject, listed)
    disagreeing = _disagreeing(counts)
    of_value: dict[_Pair, list[str]] = {}
    for pair in (pair for pairs in disagreeing.values() for pair in pairs):
        of_value[pair] = sorted(stated[pair])
        if counts[pair] > len(of_value[pair]):  # stated by graphs beyond the listed ones
            bound = {**subject, "p": URIRef(pair[0]), "o": to_rdflib(pair[1])}
            of_value[pair] = _first_graphs(store, bound, "?s ?p ?o", MAX_VALUE_GRAPHS)

    entries = catalog_entries(
        store, sorted({*listed, *(g for gs in of_value.values() for g in gs)})
    )

    def ranked(graphs: Iterable[str]) -> list[SourceGraph]:
        return sorted((entries[g] for g in graphs), key=lambda e: e.standing.key())

    shown = {(q.predicate.value, q.object) for q in view if q.subject == node}
    disagreements = []
    for predicate, pairs in sorted(disagreeing.items()):
        found = [
            StatedValue(pair[1], ranked(of_value[pair]), counts[pair], pair in shown)
            for pair in pairs
        ]
        # the view's value first, then by the standing of the best graph stating each
        found.sort(key=lambda v: (not v.shown, v.graphs[0].standing.key(), str(v.value)))
        disagreements.append(Disagreement(predicate, found))
    stated_by = {pair: ranked(graphs) for pair, graphs in stated.items()}
    return Attribution(ranked(listed), total, stated_by, counts, disagreements)


def _counts(store: Store, subject: dict[str, Node]) -> dict[_Pair, int]:
    """Each statement (predicate, object) of the subject in a source graph, with how many
    source graphs state it."""
    rows = store.query(
        f"SELECT ?s ?p ?o (COUNT(DISTINCT ?g) AS ?n) WHERE {{ {_IN_SOURCES} }} GROUP BY ?s ?p ?o",
        subject,
    ).rows
    return {(str(row["p"]), to_oxigraph(row["o"])): int(str(row["n"])) for row in rows}


def _total(store: Store, subject: dict[str, Node]) -> int:
    """How many source graphs state anything of the subject."""
    rows = store.query(
        f"SELECT ?s (COUNT(DISTINCT ?g) AS ?n) WHERE {{ {_IN_SOURCES} }} GROUP BY ?s",
        subject,
    ).rows
    return int(str(rows[0]["n"])) if rows else 0


def _stated_in(
    store: Store, subject: dict[str, Node], graphs: Sequence[str]
) -> dict[_Pair, set[str]]:
    """Which of ``graphs`` state each statement of the subject."""
    stated: dict[_Pair, set[str]] = defaultdict(set)
    chunk = " ".join(str(ox.NamedNode(g)) for g in graphs)
    rows = store.query(
        f"SELECT ?s ?p ?o ?g WHERE {{ VALUES ?g {{ {chunk} }} GRAPH ?g {{ ?s ?p ?o }} }}",
        subject,
    ).rows
    for row in rows:
        stated[(str(row["p"]), to_oxigraph(row["o"]))].add(str(row["g"]))
    return stated


def _disagreeing(counts: dict[_Pair, int]) -> dict[str, list[_Pair]]:
    """The single-valued properties (sh:maxCount 1 in the shapes) that source graphs give
    more than one value, with those values."""
    single = {str(p) for p in single_valued_predicates()}
    values_of: dict[str, list[_Pair]] = defaultdict(list)
    for pair in counts:
        if pair[0] in single:
            values_of[pair[0]].append(pair)
    return {p: pairs for p, pairs in values_of.items() if len(pairs) > 1}
