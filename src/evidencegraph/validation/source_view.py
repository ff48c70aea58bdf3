"""What a write of source records does to the source graphs and to the view (decision 0021).

Each source record's statements live in a named graph of their own; the default graph is the
*view*: every statement of every graph, except that a single-valued property shows only the
value of the graph that comes first by precedence
(:func:`evidencegraph.ontology.source_graphs.winner`). :func:`plan` takes records (a new
version of a graph's statements, or ``None`` to withdraw it) and works out, from what the
store and the batches not yet written hold:

- the graphs' quads to take out and put in (what the old version said and the new one does
  not leaves; the catalog's description of each graph is replaced);
- the view's triples to take out: statements no graph makes any more, and single values a
  graph of higher precedence now outranks;
- the view's triples the records give (what the gate judges), and values that come back
  into view when the graph that outranked them changes or goes;
- the nodes to judge again though the records state nothing about them: subjects that lose
  statements, and nodes that link to a node that loses its type.

Nothing here writes; the gate judges the view as it would stand and commits it all at once.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Protocol

import pyoxigraph as ox

from evidencegraph import __version__
from evidencegraph.ontology.source_graphs import CATALOG, SourceKind, Standing, winner
from evidencegraph.rdf.terms import RDF_TYPE, OxTerm
from evidencegraph.store.core import OxigraphStore
from evidencegraph.validation.judged_under import JUDGED_UNDER, shapes_stamp
from evidencegraph.validation.shacl import single_valued_predicates

_EG = "https://w3id.org/evidencegraph/ontology#"
SOURCE_GRAPH = ox.NamedNode(_EG + "SourceGraph")
SOURCE_KIND = ox.NamedNode(_EG + "sourceKind")
CONTENT_SHA256 = ox.NamedNode(_EG + "contentSha256")
IMPORTED_WITH = ox.NamedNode(_EG + "importedWith")
DERIVED_FROM = ox.NamedNode("http://www.w3.org/ns/prov#wasDerivedFrom")
GENERATED_AT = ox.NamedNode("http://www.w3.org/ns/prov#generatedAtTime")
MODIFIED = ox.NamedNode("http://purl.org/dc/terms/modified")
TRIPLES = ox.NamedNode("http://rdfs.org/ns/void#triples")
#: Every property the catalog states of a graph.
DESCRIPTION = (
    RDF_TYPE,
    SOURCE_KIND,
    DERIVED_FROM,
    MODIFIED,
    GENERATED_AT,
    IMPORTED_WITH,
    CONTENT_SHA256,
    TRIPLES,
    JUDGED_UNDER,
)
_CATALOG = ox.NamedNode(CATALOG)
_DEFAULT = ox.DefaultGraph()
_XSD_DATETIME = ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")
_XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")

Subject = ox.NamedNode | ox.BlankNode
Pair = tuple[Subject, ox.NamedNode]
Statement = tuple[Subject, ox.NamedNode, ox.NamedNode | ox.BlankNode | ox.Literal]


@dataclass
class SourceRecord:
    """One source's statements for its graph; ``triples`` None withdraws the graph."""

    graph: ox.NamedNode
    kind: SourceKind
    triples: list[ox.Quad] | None
    #: the record's own version (its last-update date), typed as the record gives it
    version: ox.Literal | None = None
    #: the node of the source the statements come from (a registry record, an article)
    source: ox.NamedNode | None = None
    #: what people call the record in messages: an NCT number, a PMID, a file name
    label: str = ""


class Reader(Protocol):
    """Where the plan looks: the store, seen through the batches not yet written."""

    def values(self, pairs: Sequence[Pair]) -> list[ox.Quad]: ...

    def view_values(self, pairs: Sequence[Pair]) -> list[ox.Quad]: ...

    def present(self, subjects: Sequence[ox.NamedNode]) -> set[ox.NamedNode]: ...

    def graph_contents(self, graphs: Sequence[ox.NamedNode]) -> list[ox.Quad]: ...


class PendingWrite(Protocol):
    """A judged batch or group not yet in the store (batch_gate.Overlay)."""

    @property
    def written(self) -> OxigraphStore: ...

    @property
    def replaced(self) -> Collection[ox.Quad]: ...


@dataclass
class Layered:
    """The store as it will be once ``pending`` (oldest first) are written."""

    store: Reader
    pending: Sequence[PendingWrite] = ()

    def values(self, pairs: Sequence[Pair]) -> list[ox.Quad]:
        return self._through(self.store.values(pairs), lambda written: written.values(pairs))

    def present(self, subjects: Sequence[ox.NamedNode]) -> set[ox.NamedNode]:
        found = self.store.present(subjects)
        for earlier in self.pending:  # what an earlier batch takes out may leave one empty:
            found |= earlier.written.present(subjects)  # a lookup too many, never too few
        return found

    def view_values(self, pairs: Sequence[Pair]) -> list[ox.Quad]:
        return self._through(
            self.store.view_values(pairs), lambda written: written.view_values(pairs)
        )

    def graph_contents(self, graphs: Sequence[ox.NamedNode]) -> list[ox.Quad]:
        return self._through(
            self.store.graph_contents(graphs), lambda written: written.graph_contents(graphs)
        )

    def _through(self, found: list[ox.Quad], lookup: object) -> list[ox.Quad]:
        if not self.pending:
            return found
        seen = dict.fromkeys(found)
        for earlier in self.pending:
            # what an earlier batch takes out is gone (a set: a lookup per quad found, not a
            # pass over everything a group replaces)
            gone = earlier.replaced
            seen = {quad: None for quad in seen if quad not in gone}
            seen.update(dict.fromkeys(lookup(earlier.written)))  # type: ignore[operator]
        return list(seen)


@dataclass
class Plan:
    """What a write of source records changes; see the module docstring."""

    #: view triples the records give or bring back: what the gate judges
    view: list[ox.Quad] = field(default_factory=list)
    #: view triples to take out
    view_removals: list[ox.Quad] = field(default_factory=list)
    #: quads of the source graphs and the catalog to take out and to put in
    graph_removals: list[ox.Quad] = field(default_factory=list)
    graph_additions: list[ox.Quad] = field(default_factory=list)
    #: nodes judged again though the view triples do not state anything about them
    focus: set[ox.NamedNode] = field(default_factory=set)
    #: the graphs written (replaced, new or withdrawn)
    graphs: list[ox.NamedNode] = field(default_factory=list)
    #: records left alone: the same statements as the graph holds, or an older version
    unchanged: list[SourceRecord] = field(default_factory=list)
    older: list[tuple[SourceRecord, str]] = field(default_factory=list)
    #: graphs asked to be withdrawn that the store does not hold
    unknown: list[SourceRecord] = field(default_factory=list)
    #: values a record gives that the view does not show: (the quad, the graph shown instead)
    outranked: list[tuple[ox.Quad, ox.NamedNode]] = field(default_factory=list)
    #: view values a record's value takes the place of
    replaced: int = 0
    #: graphs replaced by a new version (not new, not withdrawn)
    replaced_graphs: list[ox.NamedNode] = field(default_factory=list)

    @property
    def removals(self) -> list[ox.Quad]:
        return self.view_removals + self.graph_removals


@functools.cache
def _single_valued() -> frozenset[ox.NamedNode]:
    return frozenset(ox.NamedNode(str(p)) for p in single_valued_predicates())


def checksum(triples: Iterable[ox.Quad]) -> str:
    """SHA-256 of statements as sorted N-Triples lines (the same statements, the same sum)."""
    data = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
    lines = sorted(data.splitlines(keepends=True))
    return hashlib.sha256(b"".join(lines)).hexdigest()


def canonical(records: Sequence[SourceRecord]) -> None:
    """Put each record's literals in the store's canonical form (decision 0005), in place,
    and drop repeats, so that they compare equal to what the store holds. Only typed
    literals other than strings can change (``"01"^^xsd:integer`` is stored as ``"1"``):
    those go through one scratch store, each record's in a graph of its own."""
    scratch = ox.Store()
    plain = ox.DefaultGraph()
    for number, record in enumerate(records):
        if record.triples is None:
            continue
        name = ox.NamedNode(f"urn:x-record:{number}")
        kept: dict[ox.Quad, None] = {}
        typed = []
        for quad in record.triples:
            value = quad.object
            if isinstance(value, ox.Literal) and value.datatype not in _AS_WRITTEN:
                typed.append(ox.Quad(quad.subject, quad.predicate, value, name))
            elif isinstance(quad.graph_name, ox.DefaultGraph):
                kept[quad] = None
            else:
                kept[ox.Quad(quad.subject, quad.predicate, value, plain)] = None
        if typed:
            scratch.extend(typed)
            for quad in scratch.quads_for_pattern(None, None, None, name):
                kept[ox.Quad(quad.subject, quad.predicate, quad.object)] = None
        record.triples = list(kept)


#: Datatypes whose lexical form the store keeps as written.
_AS_WRITTEN = frozenset(
    ox.NamedNode(iri)
    for iri in (
        "http://www.w3.org/2001/XMLSchema#string",
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString",
    )
)


def plan(
    reader: Reader,
    records: Sequence[SourceRecord],
    *,
    now: datetime | None = None,
    standings: dict[ox.NamedNode, Standing] | None = None,
) -> Plan:
    """What writing ``records`` (in canonical form: :func:`canonical`) changes.

    ``standings`` keeps the kind and version of graphs read from the catalog, for the next
    plan of the same write (an import's batches); it must be emptied when a write it saw
    planned is not made."""
    known_standings = {} if standings is None else standings
    result = Plan()
    records = _latest_per_graph(records)
    described = _descriptions(reader, [r.graph for r in records])
    todo: list[SourceRecord] = []
    for record in records:
        held = described.get(record.graph, {})
        if record.triples is None:
            if not held:
                result.unknown.append(record)
                continue
        elif held:
            stored_version = held.get(MODIFIED)
            same = held.get(CONTENT_SHA256) == ox.Literal(checksum(record.triples))
            if same and stored_version == record.version:
                result.unchanged.append(record)
                continue
            if isinstance(stored_version, ox.Literal) and _older(record.version, stored_version):
                result.older.append((record, stored_version.value))
                continue
            result.replaced_graphs.append(record.graph)
        todo.append(record)
    if not todo:
        return result
    result.graphs = [record.graph for record in todo]
    changed = {record.graph: record for record in todo}
    old: dict[ox.NamedNode, set[Statement]] = {graph: set() for graph in changed}
    for quad in reader.graph_contents(list(changed)):
        old[quad.graph_name].add(_statement(quad))  # type: ignore[index]
    new: dict[ox.NamedNode, set[Statement]] = {
        graph: {_statement(q) for q in record.triples or ()} for graph, record in changed.items()
    }
    single = _single_valued()
    pairs: dict[Pair, None] = {}
    for graph in changed:
        for s, p, _o in old[graph] - new[graph]:
            pairs[(s, p)] = None
        for s, p, _o in new[graph]:
            if p in single:
                pairs[(s, p)] = None
    # A single value that the records give alike and the view already shows stays whatever
    # the precedence (the one shown beats or equals every other graph's, and a graph that
    # gives it again cannot change that), so the graphs stating it need not be read: for a
    # node thousands of records name (a drug, a condition, a sponsor) that is thousands of
    # quads a record, and the import slowed as the store grew.
    # a node neither the store nor an unwritten batch states anything about (most of a new
    # record's) has nothing to look up: its pairs keep what the records give
    subjects = list({s for s, _p in pairs if isinstance(s, ox.NamedNode)})
    present = reader.present(subjects) if subjects else set()
    absent = {(s, p) for s, p in pairs if isinstance(s, ox.NamedNode) and s not in present}
    dropped = {(s, p) for graph in changed for s, p, _o in old[graph] - new[graph]}
    given: dict[Pair, set[OxTerm]] = {}
    for graph in changed:
        for s, p, o in new[graph]:
            if p in single and (s, p) not in dropped and (s, p) not in absent:
                given.setdefault((s, p), set()).add(o)
    agreed: list[ox.Quad] = []
    if given:
        in_view: dict[Pair, set[OxTerm]] = {}
        for quad in reader.view_values(list(given)):
            s, p, o = _statement(quad)
            in_view.setdefault((s, p), set()).add(o)
        for pair, values in given.items():
            if len(values) == 1 and in_view.get(pair) == values:
                del pairs[pair]
                agreed.append(ox.Quad(pair[0], pair[1], next(iter(values))))
    # what every graph and the view hold of those pairs once the records are written
    stated: dict[Pair, dict[ox.NamedNode, set[OxTerm]]] = {pair: {} for pair in pairs}
    shown: dict[Pair, set[OxTerm]] = {pair: set() for pair in pairs}
    for quad in reader.values([pair for pair in pairs if pair not in absent]):
        s, p, o = _statement(quad)
        where = quad.graph_name
        if isinstance(where, ox.DefaultGraph):
            shown[(s, p)].add(o)
        elif isinstance(where, ox.NamedNode) and where != _CATALOG and where not in changed:
            stated[(s, p)].setdefault(where, set()).add(o)
    for graph in changed:
        for s, p, o in new[graph]:
            if (s, p) in stated:
                stated[(s, p)].setdefault(graph, set()).add(o)
    standings = _standings(reader, stated, changed, described, known_standings)

    stated_by_records: set[Statement] = set().union(*new.values())
    view: dict[ox.Quad, None] = dict.fromkeys(agreed)
    for (s, p), by_graph in stated.items():
        if p in single:
            values_stated = set().union(*by_graph.values())
            if len(by_graph) == 1 or len(values_stated) == 1:  # nothing to choose between
                keep = values_stated
            elif by_graph:
                best = winner([standings[graph] for graph in by_graph]).graph
                keep = by_graph[ox.NamedNode(best)]
                for graph, values in by_graph.items():
                    if graph in changed and graph.value != best:
                        result.outranked += [
                            (ox.Quad(s, p, o), ox.NamedNode(best)) for o in values - keep
                        ]
            else:
                keep = set()
            gone = shown[(s, p)] - keep
            if gone and keep:
                result.replaced += len(gone)
        else:
            keep = set().union(*by_graph.values()) if by_graph else set()
            gone = {o for o in shown[(s, p)] if o not in keep and _dropped(old, new, s, p, o)}
        result.view_removals += [ox.Quad(s, p, o) for o in gone]
        for o in keep:
            if o not in shown[(s, p)] or (s, p, o) in stated_by_records:
                view[ox.Quad(s, p, o)] = None
    for graph in changed:
        for s, p, o in new[graph]:
            if p not in single:
                view[ox.Quad(s, p, o)] = None
    result.view = list(view)

    for graph, record in changed.items():
        result.graph_removals += [ox.Quad(s, p, o, graph) for s, p, o in old[graph] - new[graph]]
        result.graph_additions += [ox.Quad(s, p, o, graph) for s, p, o in new[graph] - old[graph]]
        held = described.get(graph, {})
        description = describe(record, now=now) if record.triples is not None else []
        # what the new description repeats stays: a quad both taken out and put in by one
        # write would be lost where writes are staged (the import's groups, decision 0010)
        result.graph_removals += [
            quad
            for predicate, value in held.items()
            if (quad := ox.Quad(graph, predicate, value, _CATALOG)) not in description
        ]
        result.graph_additions += description
    result.focus = _to_judge(result.view_removals)
    return result


def describe(record: SourceRecord, *, now: datetime | None = None) -> list[ox.Quad]:
    """The catalog's description of a record's graph."""
    assert record.triples is not None
    graph = record.graph
    stamp = (now or datetime.now(timezone.utc)).isoformat()
    statements: list[tuple[ox.NamedNode, ox.NamedNode | ox.Literal]] = [
        (RDF_TYPE, SOURCE_GRAPH),
        (SOURCE_KIND, ox.NamedNode(record.kind.concept)),
        (GENERATED_AT, ox.Literal(stamp, datatype=_XSD_DATETIME)),
        (IMPORTED_WITH, ox.Literal(f"evidencegraph {__version__}")),
        (CONTENT_SHA256, ox.Literal(checksum(record.triples))),
        (TRIPLES, ox.Literal(str(len(record.triples)), datatype=_XSD_INTEGER)),
        # the gate judges every write it describes (decision 0024): validate relies on it
        (JUDGED_UNDER, shapes_stamp()),
    ]
    if record.source is not None:
        statements.append((DERIVED_FROM, record.source))
    if record.version is not None:
        statements.append((MODIFIED, record.version))
    return [ox.Quad(graph, predicate, value, _CATALOG) for predicate, value in statements]


def _latest_per_graph(records: Sequence[SourceRecord]) -> list[SourceRecord]:
    """One record per graph: of two versions in one write, the newer (else the later)."""
    chosen: dict[ox.NamedNode, SourceRecord] = {}
    for record in records:
        earlier = chosen.get(record.graph)
        if earlier is None or not _older(record.version, earlier.version):
            chosen[record.graph] = record
    return list(chosen.values())


def _older(version: ox.Literal | None, than: ox.Literal | None) -> bool:
    """Whether a record's version is before the one held (unknown versions are not)."""
    return version is not None and than is not None and version.value < than.value


def _descriptions(
    reader: Reader,
    graphs: Sequence[ox.NamedNode],
    predicates: Sequence[ox.NamedNode] = DESCRIPTION,
) -> dict[ox.NamedNode, dict[ox.NamedNode, ox.NamedNode | ox.Literal]]:
    """What the catalog holds of each graph along ``predicates``, property by property
    (one value each)."""
    pairs = [(graph, predicate) for graph in graphs for predicate in predicates]
    found: dict[ox.NamedNode, dict[ox.NamedNode, ox.NamedNode | ox.Literal]] = {}
    for quad in reader.values(pairs):
        if quad.graph_name == _CATALOG and isinstance(quad.subject, ox.NamedNode):
            value = quad.object
            if isinstance(value, (ox.NamedNode, ox.Literal)):
                found.setdefault(quad.subject, {})[quad.predicate] = value
    return found


def _standings(
    reader: Reader,
    stated: dict[Pair, dict[ox.NamedNode, set[OxTerm]]],
    changed: dict[ox.NamedNode, SourceRecord],
    described: dict[ox.NamedNode, dict[ox.NamedNode, ox.NamedNode | ox.Literal]],
    known: dict[ox.NamedNode, Standing],
) -> dict[ox.NamedNode, Standing]:
    """Kind and version of every graph that competes for a single value with another.

    ``known`` holds standings read before (an import keeps it from batch to batch: a graph
    that thousands of records compete with is read once); the graphs written here leave it.
    """
    single = _single_valued()
    competing: set[ox.NamedNode] = set()
    for (_s, p), by_graph in stated.items():
        if p in single and len(by_graph) > 1 and len(set().union(*by_graph.values())) > 1:
            competing.update(by_graph)
    for graph in changed:
        known.pop(graph, None)
    unread = [
        graph
        for graph in competing
        if graph not in changed and graph not in described and graph not in known
    ]
    held_by_graph = dict(described)
    if unread:  # what ranks a graph: its kind and version
        held_by_graph.update(_descriptions(reader, unread, (SOURCE_KIND, MODIFIED)))
    standings: dict[ox.NamedNode, Standing] = {}
    for graph in competing:
        record = changed.get(graph)
        if record is not None:
            standings[graph] = Standing(
                graph.value, record.kind, record.version.value if record.version else None
            )
            continue
        if graph in known:
            standings[graph] = known[graph]
            continue
        held = held_by_graph.get(graph, {})
        kind = held.get(SOURCE_KIND)
        version = held.get(MODIFIED)
        standings[graph] = known[graph] = Standing(
            graph.value,
            SourceKind.of_concept(kind.value) if kind is not None else SourceKind.OTHER,
            version.value if version is not None else None,
        )
    return standings


def _statement(quad: ox.Quad) -> Statement:
    """A quad's triple, as the plan compares them (RDF-star triples are not written here)."""
    return quad.subject, quad.predicate, quad.object  # type: ignore[return-value]


def _dropped(
    old: dict[ox.NamedNode, set[Statement]],
    new: dict[ox.NamedNode, set[Statement]],
    s: Subject,
    p: ox.NamedNode,
    o: OxTerm,
) -> bool:
    """Whether one of the changed graphs stated the triple and no longer does."""
    return any((s, p, o) in old[graph] and (s, p, o) not in new[graph] for graph in old)


def _to_judge(removals: Sequence[ox.Quad]) -> set[ox.NamedNode]:
    """Nodes that lose statements from the view: judged again with what they keep."""
    return {q.subject for q in removals if isinstance(q.subject, ox.NamedNode)}
