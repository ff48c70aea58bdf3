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
  statements, and nodes that link to a node that loses its type;
- the marks of the values the view does not show (decision 0030): the graph
  ``graph/not-shown`` holds ``s p o`` for every value ``o`` some graph states of a
  single-valued ``p`` of ``s`` that the view does not show. Every pair weighed here gets the
  marks its weighing implies; a pair not weighed keeps the ones it has, which are still
  right (see :func:`plan`).

Nothing here writes; the gate judges the view as it would stand and commits it all at once.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Protocol, TypeGuard, cast

import pyoxigraph as ox

from evidencegraph import __version__
from evidencegraph.ontology.name_keys import name_key_statements
from evidencegraph.ontology.source_graphs import (
    CATALOG,
    NOT_SHOWN,
    SourceKind,
    Standing,
    winner,
)
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
#: The graph of the values the view does not show, and what the catalog says of it in a
#: store that keeps it complete (decision 0030).
NOT_SHOWN_GRAPH = ox.NamedNode(NOT_SHOWN)
NOT_SHOWN_STAMP = ox.Quad(NOT_SHOWN_GRAPH, RDF_TYPE, ox.NamedNode(_EG + "NotShownGraph"), _CATALOG)
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
    #: quads (their graph is not read) or ``(subject, predicate, object)`` tuples, which is
    #: what an import's mapping makes: building a quad whose object is a literal costs more
    #: than everything the plan does with it. :func:`canonical` leaves tuples.
    triples: list[ox.Quad] | list[Statement] | None
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

    def describes_graphs(self) -> bool: ...


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

    def describes_graphs(self) -> bool:
        # what an earlier batch takes out may leave none: a store seen as old, never as new
        return self.store.describes_graphs() or any(
            earlier.written.describes_graphs() for earlier in self.pending
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

    #: view triples the records give or bring back: what the gate judges, as tuples and as
    #: N-Triples text without the final `` .`` (one each, in the same order)
    view_statements: list[Statement] = field(default_factory=list)
    view_texts: list[str] = field(default_factory=list)
    #: view triples to take out
    view_removals: list[ox.Quad] = field(default_factory=list)
    #: quads of the source graphs and the catalog to take out
    graph_removals: list[ox.Quad] = field(default_factory=list)
    #: what the source graphs gain, as N-Quads lines, and the catalog's new descriptions
    graph_lines: list[str] = field(default_factory=list)
    catalog_additions: list[ox.Quad] = field(default_factory=list)
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
    #: quads of the not-shown graph to put in and take out (decision 0030), and the
    #: catalog's statement that the store keeps that graph, for a new store
    marks_added: list[ox.Quad] = field(default_factory=list)
    marks_removed: list[ox.Quad] = field(default_factory=list)

    @property
    def view(self) -> list[ox.Quad]:
        """The view triples as quads (built on each call: the import uses the tuples)."""
        return [ox.Quad(s, p, o) for s, p, o in self.view_statements]

    @property
    def graph_additions(self) -> list[ox.Quad]:
        """Quads of the source graphs and the catalog to put in (built on each call)."""
        lines = "".join(self.graph_lines).encode("utf-8")
        return [
            *ox.parse(lines, format=ox.RdfFormat.N_QUADS),
            *self.catalog_additions,
            *self.marks_added,
        ]

    def graph_nquads(self) -> bytes:
        """What the source graphs, the catalog and the not-shown graph gain, as N-Quads."""
        derived = [*self.catalog_additions, *self.marks_added]
        catalog = ox.serialize(derived, format=ox.RdfFormat.N_QUADS) or b""
        return "".join(self.graph_lines).encode("utf-8") + catalog

    def forget_statements(self) -> None:
        """Drop the lists of triples once the write is judged: only the counts are wanted."""
        self.view_statements, self.view_texts, self.view_removals = [], [], []
        self.graph_removals, self.graph_lines, self.catalog_additions = [], [], []
        self.marks_added, self.marks_removed = [], []

    @property
    def removals(self) -> list[ox.Quad]:
        """Every quad the write takes out: the view's, the graphs' and the marks'."""
        return self.view_removals + self.graph_removals + self.marks_removed


@functools.cache
def _single_valued() -> frozenset[ox.NamedNode]:
    return frozenset(ox.NamedNode(str(p)) for p in single_valued_predicates())


def marks_kept(reader: Reader) -> bool:
    """Whether the store keeps the marks of the values the view does not show complete
    (decision 0030): the catalog says so, or the store is new (it describes no graph yet,
    and every write from the first one marks what it weighs)."""
    stamps = reader.values([(NOT_SHOWN_GRAPH, RDF_TYPE)])
    return NOT_SHOWN_STAMP in stamps or not reader.describes_graphs()


def checksum(triples: Iterable[ox.Quad]) -> str:
    """SHA-256 of statements as sorted N-Triples lines (the same statements, the same sum)."""
    return ntriples_checksum(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"")


def ntriples_checksum(ntriples: bytes) -> str:
    """:func:`checksum` of statements already written as N-Triples (a graph's, as the store
    dumps it)."""
    return hashlib.sha256(b"".join(sorted(ntriples.splitlines(keepends=True)))).hexdigest()


def statement_text(statements: Iterable[Statement]) -> list[str]:
    """Each statement as N-Triples without the final `` .``: a term's ``str`` is its
    N-Triples form, the serializer's own (tests/test_import_main_thread.py holds them to
    it), and this needs no quad built."""
    named = ox.NamedNode
    # an IRI is written as it is, between angle brackets (pyoxigraph checked it when the
    # node was made): ``.value`` costs a third of ``str`` on a node
    return [
        f"<{s.value}> <{p.value}> {o}" if type(s) is named else f"{s} <{p.value}> {o}"
        for s, p, o in statements
    ]


def text_checksum(texts: Iterable[str]) -> str:
    """:func:`checksum` of statements given as :func:`statement_text` (code point order is
    the order of their UTF-8 bytes)."""
    lines = sorted(text + " .\n" for text in texts)
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def statements(record: SourceRecord) -> list[Statement]:
    """A record's statements as tuples (none for a withdrawal)."""
    triples = record.triples or []
    if _are_quads(triples):
        return [_statement(quad) for quad in triples]
    return triples  # type: ignore[return-value]


def canonical(records: Sequence[SourceRecord]) -> None:
    """Put each record's literals in the store's canonical form (decision 0005), in place
    (quads stay quads, in the default graph; tuples stay tuples), and drop repeats, so that
    they compare equal to what the store holds. Only typed literals other than strings can
    change (``"01"^^xsd:integer`` is stored as ``"1"``): those the import has not met before go
    through one scratch store, and their forms are kept for the records that follow (the
    same dates and counts come back in record after record).

    Each record also gets the name keys its names call for (decision 0028), here because
    every write of source records passes this way: the import, ``load``, ``build``, the
    benchmarks' registry store."""
    for record in records:
        if record.triples:
            _add_name_keys(record)
    # this write's forms, apart from the kept ones: another thread's write may empty those
    forms: dict[ox.Literal, ox.Literal] = {}
    unseen: dict[ox.Literal, None] = {}
    kept_forms = _CANONICAL_FORMS
    for record in records:
        for _s, _p, value in statements(record):
            if isinstance(value, ox.Literal) and value not in forms:
                form = kept_forms.get(value)
                if form is not None:
                    forms[value] = form
                elif value.datatype not in _AS_WRITTEN:
                    unseen[value] = None
    if unseen:
        found = _canonical_forms(list(unseen))
        forms.update(found)
        if len(kept_forms) + len(found) > _CANONICAL_FORMS_KEPT:
            kept_forms.clear()  # a bound on memory; the forms are found again as needed
        kept_forms.update(found)
    for record in records:
        if not record.triples:
            continue
        if _are_quads(record.triples):  # quads stay quads, in the default graph
            record.triples = _canonical_quads(record.triples, forms)
            continue
        kept: dict[Statement, None] = {}
        for s, p, o in statements(record):
            if isinstance(o, ox.Literal):
                o = forms.get(o, o)
            kept[(s, p, o)] = None
        record.triples = list(kept)


def _add_name_keys(record: SourceRecord) -> None:
    """Add to a record the key statements of its names, as quads or tuples as it holds them
    (repeats of keys it states already are dropped with the other repeats)."""
    triples = record.triples or []
    keys: list[Statement] = list(name_key_statements(statements(record)))
    if not keys:
        return
    if _are_quads(triples):
        record.triples = [*triples, *(ox.Quad(s, p, o) for s, p, o in keys)]
    else:
        record.triples = [*cast("list[Statement]", triples), *keys]


def _are_quads(triples: list[ox.Quad] | list[Statement]) -> TypeGuard[list[ox.Quad]]:
    return bool(triples) and isinstance(triples[0], ox.Quad)


def _canonical_quads(quads: list[ox.Quad], forms: dict[ox.Literal, ox.Literal]) -> list[ox.Quad]:
    """Quads in the default graph with their literals in the forms found, without repeats."""
    kept: dict[ox.Quad, None] = {}
    for quad in quads:
        value = quad.object
        form = forms.get(value, value) if isinstance(value, ox.Literal) else value
        if form == value and isinstance(quad.graph_name, ox.DefaultGraph):
            kept[quad] = None
        else:
            kept[ox.Quad(quad.subject, quad.predicate, form)] = None
    return list(kept)


#: Typed literals and the form the store keeps them in, met by :func:`canonical` so far.
_CANONICAL_FORMS: dict[ox.Literal, ox.Literal] = {}
_CANONICAL_FORMS_KEPT = 100_000


def _canonical_forms(literals: Sequence[ox.Literal]) -> dict[ox.Literal, ox.Literal]:
    """Each literal and the form the store keeps it in: each goes into a scratch store as the
    object of a triple of its own and is read back."""
    scratch = ox.Store()
    value = ox.NamedNode("urn:x-value")
    scratch.extend(
        ox.Quad(ox.NamedNode(f"urn:x-literal:{number}"), value, literal)
        for number, literal in enumerate(literals)
    )
    forms: dict[ox.Literal, ox.Literal] = {}
    for quad in scratch.quads_for_pattern(None, value, None, None):
        subject, form = quad.subject, quad.object
        assert isinstance(subject, ox.NamedNode) and isinstance(form, ox.Literal)
        number = int(subject.value.rpartition(":")[2])
        forms[literals[number]] = form
    return forms


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
    texts: dict[ox.NamedNode, list[str]] = {}
    for record in records:
        held = described.get(record.graph, {})
        if record.triples is None:
            if not held:
                result.unknown.append(record)
                continue
        elif held:
            texts[record.graph] = statement_text(statements(record))
            stored_version = held.get(MODIFIED)
            same = held.get(CONTENT_SHA256) == ox.Literal(text_checksum(texts[record.graph]))
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
    new_lists = {graph: statements(record) for graph, record in changed.items()}
    for graph, stated_now in new_lists.items():
        if graph not in texts:
            texts[graph] = statement_text(stated_now)
    # what a graph no longer states (only a graph the store holds has anything to lose)
    removed: dict[ox.NamedNode, list[Statement]] = {}
    for graph, held_statements in old.items():
        if held_statements:
            now_stated = set(new_lists[graph])
            removed[graph] = [st for st in held_statements if st not in now_stated]
    removed_all = {st for gone in removed.values() for st in gone}
    dropped: dict[Pair, None] = {(s, p): None for s, p, _o in removed_all}
    single = _single_valued()
    # Each statement once through here. Most of a new record's single values are about
    # nodes nobody else states anything of (its own sites, outcomes, arms) and that only
    # its graph gives: those go into the view as they are, and only the others (a drug, a
    # condition, a sponsor other records name; values a graph no longer gives) are looked up
    # and weighed below. Pairs are keyed by (subject, predicate).
    owner: dict[Pair, ox.NamedNode] = {}
    contested: set[Pair] = set()
    singles: list[tuple[ox.NamedNode, Statement, str]] = []
    multis: list[tuple[ox.NamedNode, Statement, str]] = []
    for graph, stated_now in new_lists.items():
        for statement, text in zip(stated_now, texts[graph], strict=True):
            if statement[1] in single:
                pair = (statement[0], statement[1])
                if owner.setdefault(pair, graph) != graph:
                    contested.add(pair)
                singles.append((graph, statement, text))
            else:
                multis.append((graph, statement, text))
    subjects = list({s for s, _p in (*dropped, *owner) if isinstance(s, ox.NamedNode)})
    present = reader.present(subjects) if subjects else set()

    # the view: each statement and its N-Triples text (None: made at the end); the values
    # that need no weighing are each given by one graph alone, so they repeat nothing and
    # are kept apart from the statements that may repeat (hashing a statement is not cheap)
    view: dict[Statement, str | None] = {}
    alone: list[tuple[Statement, str]] = []
    pairs: dict[Pair, None] = dict(dropped)
    kept_singles: list[tuple[ox.NamedNode, Statement, str]] = []
    named = ox.NamedNode
    for graph, statement, text in singles:
        subject = statement[0]
        # weighed: a pair of a node the store or an unwritten batch states something of,
        # that another record gives too, or that a graph no longer gives
        if (
            type(subject) is not named
            or subject in present
            or (contested and (subject, statement[1]) in contested)
            or (dropped and (subject, statement[1]) in dropped)
        ):
            pairs[(subject, statement[1])] = None
            kept_singles.append((graph, statement, text))
        else:
            alone.append((statement, text))
    # A single value that the records give alike and the view already shows stays whatever
    # the precedence (the one shown beats or equals every other graph's, and a graph that
    # gives it again cannot change that), so the graphs stating it need not be read: for a
    # node thousands of records name (a drug, a condition, a sponsor) that is thousands of
    # quads a record, and the import slowed as the store grew.
    # a node neither the store nor an unwritten batch states anything about has nothing to
    # look up: its pairs keep what the records give
    absent = {(s, p) for s, p in pairs if isinstance(s, ox.NamedNode) and s not in present}
    given: dict[Pair, set[OxTerm]] = {}
    for _graph, (s, p, o), _text in kept_singles:
        if (s, p) not in dropped and (s, p) not in absent:
            given.setdefault((s, p), set()).add(o)
    agreed: list[Statement] = []
    if given:
        in_view: dict[Pair, set[OxTerm]] = {}
        for quad in reader.view_values(list(given)):
            s, p, o = _statement(quad)
            in_view.setdefault((s, p), set()).add(o)
        for pair, values in given.items():
            if len(values) == 1 and in_view.get(pair) == values:
                del pairs[pair]
                agreed.append((pair[0], pair[1], next(iter(values))))
    # what every graph and the view hold of those pairs once the records are written
    stated: dict[Pair, dict[ox.NamedNode, set[OxTerm]]] = {pair: {} for pair in pairs}
    shown: dict[Pair, set[OxTerm]] = {pair: set() for pair in pairs}
    marked: dict[Pair, set[OxTerm]] = {}
    for quad in reader.values([pair for pair in pairs if pair not in absent]):
        s, p, o = _statement(quad)
        where = quad.graph_name
        if isinstance(where, ox.DefaultGraph):
            shown[(s, p)].add(o)
        elif where == NOT_SHOWN_GRAPH:
            marked.setdefault((s, p), set()).add(o)
        elif isinstance(where, ox.NamedNode) and where != _CATALOG and where not in changed:
            stated[(s, p)].setdefault(where, set()).add(o)
    # the records' statements of those pairs: single values weighed, and (where a graph
    # loses statements) any value of a pair it loses one of
    stated_by_records: set[Statement] = set()
    for graph, statement, _text in (*kept_singles, *(multis if dropped else ())):
        s, p, o = statement
        if (s, p) in stated:
            stated[(s, p)].setdefault(graph, set()).add(o)
            stated_by_records.add(statement)
    standings = _standings(reader, stated, changed, described, known_standings)

    for statement in agreed:
        view[statement] = None
    # The marks (decision 0030): every weighed pair gets those its weighing implies. A pair
    # not weighed keeps its own, and they stay right: one given by a record alone is of a
    # node nothing else states (one graph, nothing outranked), and one the records agree
    # with the view on keeps the value shown, while a value a graph stops giving puts its
    # pair in ``dropped``, which is weighed.
    for (s, p), by_graph in stated.items():
        not_shown: set[OxTerm] = set()
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
            not_shown = values_stated - keep
        else:
            keep = set().union(*by_graph.values()) if by_graph else set()
            gone = {o for o in shown[(s, p)] if o not in keep and (s, p, o) in removed_all}
        result.view_removals += [ox.Quad(s, p, o) for o in gone]
        held_marks = marked.get((s, p), set())
        if not_shown != held_marks:
            result.marks_added += [
                ox.Quad(s, p, o, NOT_SHOWN_GRAPH) for o in not_shown - held_marks
            ]
            result.marks_removed += [
                ox.Quad(s, p, o, NOT_SHOWN_GRAPH) for o in held_marks - not_shown
            ]
        for o in keep:
            if o not in shown[(s, p)] or (s, p, o) in stated_by_records:
                view.setdefault((s, p, o), None)
    for _graph, statement, text in multis:
        view[statement] = text
    missing = [statement for statement, text in view.items() if text is None]
    made = dict(zip(missing, statement_text(missing), strict=True))
    result.view_statements = [statement for statement, _text in alone] + list(view)
    result.view_texts = [text for _given, text in alone] + [
        text or made[statement] for statement, text in view.items()
    ]

    for graph, record in changed.items():
        result.graph_removals += [ox.Quad(s, p, o, graph) for s, p, o in removed.get(graph, ())]
        name = f" {graph} .\n"
        held_statements = old[graph]
        if held_statements:
            result.graph_lines += [
                text + name
                for statement, text in zip(new_lists[graph], texts[graph], strict=True)
                if statement not in held_statements
            ]
        else:  # a new graph: all of it
            result.graph_lines += [text + name for text in texts[graph]]
        held = described.get(graph, {})
        description = (
            describe(record, now=now, texts=texts[graph]) if record.triples is not None else []
        )
        # what the new description repeats stays: a quad both taken out and put in by one
        # write would be lost where writes are staged (the import's groups, decision 0010)
        result.graph_removals += [
            quad
            for predicate, value in held.items()
            if (quad := ox.Quad(graph, predicate, value, _CATALOG)) not in description
        ]
        result.catalog_additions += description
    if not reader.describes_graphs():
        # a new store: its marks are complete from its first write (an old store's are
        # not, until ``upgrade-keys`` writes them and this statement)
        result.marks_added.append(NOT_SHOWN_STAMP)
    result.focus = _to_judge(result.view_removals)
    return result


def describe(
    record: SourceRecord, *, now: datetime | None = None, texts: Sequence[str] | None = None
) -> list[ox.Quad]:
    """The catalog's description of a record's graph (``texts``: its statements as
    :func:`statement_text`, when the caller has them)."""
    assert record.triples is not None
    if texts is None:
        texts = statement_text(statements(record))
    graph = record.graph
    stamp = (now or datetime.now(timezone.utc)).isoformat()
    description: list[tuple[ox.NamedNode, ox.NamedNode | ox.Literal]] = [
        (RDF_TYPE, SOURCE_GRAPH),
        (SOURCE_KIND, ox.NamedNode(record.kind.concept)),
        (GENERATED_AT, ox.Literal(stamp, datatype=_XSD_DATETIME)),
        (IMPORTED_WITH, ox.Literal(f"evidencegraph {__version__}")),
        (CONTENT_SHA256, ox.Literal(text_checksum(texts))),
        (TRIPLES, ox.Literal(str(len(record.triples)), datatype=_XSD_INTEGER)),
        # the gate judges every write it describes (decision 0024): validate relies on it
        (JUDGED_UNDER, shapes_stamp()),
    ]
    if record.source is not None:
        description.append((DERIVED_FROM, record.source))
    if record.version is not None:
        description.append((MODIFIED, record.version))
    return [ox.Quad(graph, predicate, value, _CATALOG) for predicate, value in description]


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


def _to_judge(removals: Sequence[ox.Quad]) -> set[ox.NamedNode]:
    """Nodes that lose statements from the view: judged again with what they keep."""
    return {q.subject for q in removals if isinstance(q.subject, ox.NamedNode)}
