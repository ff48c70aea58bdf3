"""Name keys for a store written before them (decision 0028): the source graphs whose names
lack their keys, each written again as its own new version, through the gate. And the marks
of the values the view does not show for a store written before them (decision 0030).

A graph is written again with what it holds: the write adds the keys its names call for
(``source_view.canonical``), so they land in the name's own graph, and the catalog's
description (checksum, triple count) follows, as for any write of a source record.

The marks are derived from the graphs and the view, as a write derives them: every single
value a catalogued graph states that the view does not show. They are written in one
transaction with the catalog's statement that the store keeps them, after the keys (whose
writes mark only the pairs they weigh).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import pyoxigraph as ox

from evidencegraph.ontology.source_graphs import CATALOG, SourceKind
from evidencegraph.rdf.terms import RDF_TYPE, to_oxigraph
from evidencegraph.store.core import OxigraphStore, Store
from evidencegraph.validation.recorded_verdicts import unshown_single_values
from evidencegraph.validation.shacl import single_valued_predicates
from evidencegraph.validation.source_view import (
    DERIVED_FROM,
    MODIFIED,
    NOT_SHOWN_GRAPH,
    NOT_SHOWN_STAMP,
    SOURCE_KIND,
    SourceRecord,
)

#: Source graphs that name a drug or condition (as the view types it) without stating the
#: name's key in the same graph.
_GRAPHS_MISSING_KEYS = """
PREFIX eg: <https://w3id.org/evidencegraph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT DISTINCT ?graph WHERE {
  VALUES ?class { eg:Drug eg:Condition }
  ?node a ?class .
  GRAPH ?graph { ?node rdfs:label|skos:altLabel ?name }
  # a name the view does not show is marked there (decision 0030): no source, no keys
  FILTER(?graph != <https://w3id.org/evidencegraph/graph/not-shown>)
  FILTER NOT EXISTS {
    GRAPH ?graph { ?node eg:nameKey ?key }
    FILTER(STR(?key) = LCASE(STR(?name)))
  }
}
"""


#: A property's values in catalogued graphs that the view does not show (asked for each
#: single-valued property: a bound predicate is one index range, not every quad).
_UNSHOWN_VALUES = """
PREFIX eg: <https://w3id.org/evidencegraph/ontology#>
SELECT ?s ?p ?o WHERE {
  GRAPH <https://w3id.org/evidencegraph/graph/catalog> { ?g a eg:SourceGraph }
  GRAPH ?g { ?s ?p ?o }
  FILTER NOT EXISTS { ?s ?p ?o }
}
"""


def marks_out_of_step(
    store: Store, on_step: Callable[[str], None] | None = None
) -> tuple[list[ox.Quad], list[ox.Quad]]:
    """The marks graph/not-shown lacks and those it holds that the graphs and the view do
    not imply: (to add, to take out), each sorted. Reads every quad of the source graphs
    once: on the embedded store in one pass (:func:`unshown_single_values`, which validate
    checks the marks with), on a SPARQL server a single-valued property at a time.
    ``on_step`` is told of each step as it starts."""
    if isinstance(store, OxigraphStore):
        if on_step is not None:
            on_step("values the view does not show: every source graph read once")
        unshown = unshown_single_values(store)
    else:
        unshown = marks_by_property(store, on_step)
    wanted = {ox.Quad(q.subject, q.predicate, q.object, NOT_SHOWN_GRAPH) for q in unshown}
    held = set(store.graph_contents([NOT_SHOWN_GRAPH]))
    return sorted(wanted - held, key=str), sorted(held - wanted, key=str)


def marks_by_property(store: Store, on_step: Callable[[str], None] | None = None) -> set[ox.Quad]:
    """The single values the source graphs state and the view does not show, as default-graph
    quads, read one single-valued property at a time (a bound predicate is one index range
    on any SPARQL server)."""
    unshown: set[ox.Quad] = set()
    predicates = sorted(single_valued_predicates())
    for number, predicate in enumerate(predicates, 1):
        if on_step is not None:
            on_step(f"values the view does not show: property {number} of {len(predicates)}")
        p = ox.NamedNode(str(predicate))
        for row in store.query(_UNSHOWN_VALUES, {"p": predicate}).rows:
            s, o = to_oxigraph(row["s"]), to_oxigraph(row["o"])
            unshown.add(ox.Quad(s, p, o))  # type: ignore[arg-type]
    return unshown


def write_marks(store: Store, on_step: Callable[[str], None] | None = None) -> tuple[int, int]:
    """Bring graph/not-shown in step with the graphs and the view, and say in the catalog
    that the store keeps it (decision 0030); one transaction. The marks added and taken out.
    """
    additions, removals = marks_out_of_step(store, on_step)
    stamped = NOT_SHOWN_STAMP in store.values([(NOT_SHOWN_GRAPH, RDF_TYPE)])
    stamp = [] if stamped else [NOT_SHOWN_STAMP]
    if additions or removals or stamp:
        if on_step is not None:
            on_step(f"writing {len(additions):,} mark(s), taking out {len(removals):,}")
        store.write_quads(removals, [*additions, *stamp])
    return len(additions), len(removals)


def graphs_missing_name_keys(store: Store) -> list[ox.NamedNode]:
    """The source graphs holding a drug's or condition's name without its key, sorted."""
    rows = store.query(_GRAPHS_MISSING_KEYS).rows
    return sorted((ox.NamedNode(str(row["graph"])) for row in rows), key=lambda g: g.value)


def records_again(store: Store, graphs: Sequence[ox.NamedNode]) -> list[SourceRecord]:
    """Each graph as a source record of what it holds, with the kind, version and source
    the catalog gives it: written, it is the same record with its keys."""
    contents: dict[ox.NamedNode, list[ox.Quad]] = {graph: [] for graph in graphs}
    for quad in store.graph_contents(list(graphs)):
        if isinstance(quad.graph_name, ox.NamedNode) and quad.graph_name in contents:
            contents[quad.graph_name].append(ox.Quad(quad.subject, quad.predicate, quad.object))
    catalog = ox.NamedNode(CATALOG)
    pairs = [(graph, p) for graph in graphs for p in (SOURCE_KIND, MODIFIED, DERIVED_FROM)]
    described: dict[ox.NamedNode, dict[ox.NamedNode, ox.NamedNode | ox.Literal]] = {}
    for quad in store.values(pairs):
        value = quad.object
        if (
            quad.graph_name == catalog
            and isinstance(quad.subject, ox.NamedNode)
            and isinstance(value, (ox.NamedNode, ox.Literal))
        ):
            described.setdefault(quad.subject, {})[quad.predicate] = value
    records = []
    for graph in graphs:
        held = described.get(graph, {})
        kind, version, source = held.get(SOURCE_KIND), held.get(MODIFIED), held.get(DERIVED_FROM)
        records.append(
            SourceRecord(
                graph,
                SourceKind.of_concept(kind.value) if kind is not None else SourceKind.OTHER,
                contents[graph],
                version if isinstance(version, ox.Literal) else None,
                source if isinstance(source, ox.NamedNode) else None,
                label=graph.value,
            )
        )
    return records


def in_chunks(graphs: Sequence[ox.NamedNode], size: int) -> Iterator[Sequence[ox.NamedNode]]:
    """The graphs, ``size`` at a time: one write each, so that memory stays bounded."""
    for start in range(0, len(graphs), size):
        yield graphs[start : start + size]
