"""Name keys for a store written before them (decision 0028): the source graphs whose names
lack their keys, each written again as its own new version, through the gate.

A graph is written again with what it holds: the write adds the keys its names call for
(``source_view.canonical``), so they land in the name's own graph, and the catalog's
description (checksum, triple count) follows, as for any write of a source record.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pyoxigraph as ox

from evidencegraph.ontology.source_graphs import CATALOG, SourceKind
from evidencegraph.store.core import Store
from evidencegraph.validation.source_view import (
    DERIVED_FROM,
    MODIFIED,
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
  FILTER NOT EXISTS {
    GRAPH ?graph { ?node eg:nameKey ?key }
    FILTER(STR(?key) = LCASE(STR(?name)))
  }
}
"""


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
