"""What the catalog's recorded verdicts cover in a store, and what ``validate`` judges again.

Every write of source records goes through the gate, which judges the view where the write
touches it and stamps each graph it writes with the shapes it judged under
(:mod:`~evidencegraph.validation.judged_under`). A store written only that way, under the
shapes of this version, conforms by construction; what ``validate`` must still find
(decision 0024) is everything that did not come that way:

- graphs judged under other shapes, or never (written by an older version): their
  statements are judged again;
- graphs whose statements no longer have the checksum the catalog records (written to behind
  the gate's back): judged again, and named;
- the view against the graphs: a view triple no catalogued graph states, a statement a graph
  makes that the view does not show (a multi-valued one; a single value the view shows no
  value for), a single value other than the one precedence picks, or two values where the
  shapes allow one. Each is a write to the view that did not come through the gate: its
  subject is judged, with the nodes the gate would judge with it (the object of a link the
  shapes follow backwards; the nodes that link to one whose type went);
- the marks of the values the view does not show (decision 0030) against the graphs and the
  view: the graph ``graph/not-shown`` must hold exactly the single values catalogued graphs
  state and the view does not show. They are not judged (no shape reads them), but a wrong
  one makes ``source-disagreements`` wrong: ``validate`` says so and fails.

The integrity checks read the whole store once, in Rust (SPARQL over the indexes, each
graph's N-Triples for its checksum), and cost a fraction of judging it.
"""

from __future__ import annotations

import collections
import concurrent.futures
from dataclasses import dataclass, field

import pyoxigraph as ox

from evidencegraph.errors import StoreError
from evidencegraph.ontology.source_graphs import (
    CATALOG,
    NOT_SOURCES,
    SourceKind,
    Standing,
    winner,
)
from evidencegraph.rdf.terms import RDF_TYPE
from evidencegraph.store.core import OxigraphStore
from evidencegraph.validation.judged_under import JUDGED_UNDER, checksum_of, shapes_checksum
from evidencegraph.validation.shacl import inverse_path_predicates, single_valued_predicates
from evidencegraph.validation.source_view import (
    CONTENT_SHA256,
    MODIFIED,
    NOT_SHOWN_GRAPH,
    NOT_SHOWN_STAMP,
    SOURCE_GRAPH,
    SOURCE_KIND,
    ntriples_checksum,
)

Subject = ox.NamedNode | ox.BlankNode
#: What stands for "never judged" among the shapes graphs were judged under.
NEVER = "never"

_CATALOG = ox.NamedNode(CATALOG)
_NOT_SOURCES = frozenset(ox.NamedNode(graph) for graph in NOT_SOURCES)
_CATALOG_VARIABLES = {ox.Variable("catalog"): _CATALOG, ox.Variable("source"): SOURCE_GRAPH}

#: View triples that no named graph states (the catalog's and uncatalogued graphs' statements
#: are looked at apart: asking for a catalogued graph here costs a join on every triple).
_UNSTATED = """
SELECT ?s ?p ?o WHERE { ?s ?p ?o FILTER NOT EXISTS { GRAPH ?g { ?s ?p ?o } } }"""
#: A graph's statements that the view holds too.
_ALSO_IN_VIEW = """
SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } ?s ?p ?o }"""
#: Statements of catalogued graphs that the view does not hold.
_NOT_SHOWN = """
SELECT ?g ?s ?p ?o ?catalog ?source WHERE {
  GRAPH ?catalog { ?g a ?source }
  GRAPH ?g { ?s ?p ?o }
  FILTER NOT EXISTS { ?s ?p ?o }
}"""
#: A property's view triples, and the nodes they are about (asked for each single-valued one).
_COUNTS = """
SELECT ?p (COUNT(*) AS ?n) (COUNT(DISTINCT ?s) AS ?d) WHERE { ?s ?p ?o } GROUP BY ?p"""
#: The view's subjects.
_SUBJECTS = "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }"
#: Nodes with two view values of a property (asked where the counts differ).
_TWO_VALUES = """
SELECT DISTINCT ?s ?p WHERE { ?s ?p ?a . ?s ?p ?b FILTER(?a != ?b) }"""


@dataclass
class Coverage:
    """What recorded verdicts cover in a store, and the nodes left to judge."""

    #: the shapes checksum of this version
    shapes: str
    #: catalogued source graphs, and those judged under this version's shapes, intact
    graphs: int = 0
    current: int = 0
    #: graphs judged under other shapes (checksum, or NEVER) -> how many
    other_shapes: dict[str, int] = field(default_factory=dict)
    #: graphs whose statements differ from their recorded checksum
    tampered: list[ox.NamedNode] = field(default_factory=list)
    #: named graphs the catalog does not describe (their statements cover nothing)
    uncatalogued: list[ox.NamedNode] = field(default_factory=list)
    #: view triples no catalogued graph states
    unstated: int = 0
    #: graph statements the view should show and does not
    not_shown: int = 0
    #: (subject, predicate) pairs whose single value is not the one precedence picks
    wrong_choice: int = 0
    #: whether the store keeps the marks of the values the view does not show (a store
    #: written before them does not), and those missing from graph/not-shown or there
    #: though the graphs and the view do not imply them (decision 0030)
    marks_kept: bool = True
    marks_missing: list[ox.Quad] = field(default_factory=list)
    marks_extra: list[ox.Quad] = field(default_factory=list)
    #: nodes to judge again
    focus: set[Subject] = field(default_factory=set)
    #: why every node is judged, when nothing recorded helps ("" otherwise)
    everything: str = ""
    #: the graphs judged again
    stale: list[ox.NamedNode] = field(default_factory=list)
    #: the view's subjects (what progress counts)
    subjects: int = 0

    @property
    def marks_wrong(self) -> bool:
        """Whether a store that keeps the marks holds other marks than it should."""
        return self.marks_kept and bool(self.marks_missing or self.marks_extra)

    @property
    def judged_again(self) -> int:
        """Graphs whose statements are judged again."""
        return sum(self.other_shapes.values()) + len(self.tampered)


def coverage(store: OxigraphStore) -> Coverage:
    """What the catalog's recorded verdicts cover in ``store``, and which nodes to judge.

    Raises StoreError when the catalog is corrupt (a graph without one well-formed checksum,
    a stamp that names no shapes): judge the store with ``--full`` then.
    """
    found = Coverage(shapes=shapes_checksum())
    catalog = _read_catalog(store)
    found.graphs = len(catalog)
    if not any(entry.judged_under for entry in catalog.values()):
        found.everything = "the catalog records no verdict (a store written by an older version)"
        found.other_shapes = {NEVER: len(catalog)} if catalog else {}
        return found
    inverse = frozenset(ox.NamedNode(str(p)) for p in inverse_path_predicates())
    single = _single_valued()
    found.uncatalogued = sorted(
        (g for g in store.named_graphs() if g not in _NOT_SOURCES and g not in catalog),
        key=str,
    )
    # Each check is one pass over the indexes in Rust, which lets the GIL go, so two threads
    # keep both cores busy. The longest first (the view looked up in the graphs, then the
    # graphs in the view), the checksums in two halves, the counts last: the threads end
    # about together.
    entries = list(catalog.items())
    halves = [entries[: len(entries) // 2], entries[len(entries) // 2 :]]
    with concurrent.futures.ThreadPoolExecutor(max_workers=CHECKERS) as pool:
        unstated_view = pool.submit(_unstated, store, catalog, found.uncatalogued)
        shown = pool.submit(_not_shown, store, single)
        sums = [pool.submit(_check_sums, store, half, found.shapes) for half in halves]
        doubled = pool.submit(_two_values, store, single)
        subjects = pool.submit(_count, store, _SUBJECTS)
        unstated = unstated_view.result()
        not_shown, contested, unshown_singles = shown.result()
        for part in (future.result() for future in sums):
            found.current += part.current
            found.tampered += part.tampered
            for key, count in part.other_shapes.items():
                found.other_shapes[key] = found.other_shapes.get(key, 0) + count
            found.stale += part.stale
        wrong = doubled.result()
        found.subjects = subjects.result()
    _check_marks(store, unshown_singles, found)
    if len(found.stale) * 2 > len(catalog):
        # most graphs to judge again (the shapes changed): the focus would be most nodes, and
        # judging them all costs no more than finding them
        found.everything = (
            f"{len(found.stale):,} of {len(catalog):,} graphs were judged under other shapes, "
            "or never, or changed since"
        )
        return found
    stale = store.graph_contents(found.stale)
    batch: list[ox.Quad] = stale + unstated + not_shown  # judged again, as a gate batch
    found.unstated, found.not_shown = len(unstated), len(not_shown)
    # nodes whose type left the view behind the gate's back
    untyped: set[Subject] = {q.subject for q in not_shown if q.predicate == RDF_TYPE}  # type: ignore[misc]
    wrong |= _wrong_choices(store, catalog, contested)
    found.wrong_choice = len(wrong)
    found.focus = _to_judge(store, batch, wrong, untyped, inverse)
    return found


def _stated_only_outside(
    store: OxigraphStore, catalog: dict[ox.NamedNode, _Entry], graphs: list[ox.NamedNode]
) -> list[ox.Quad]:
    """View triples that ``graphs`` (the catalog, graphs it does not describe) state and no
    catalogued graph does: such a graph covers nothing."""
    found: list[ox.Quad] = []
    for graph in graphs:
        for solution in store.run_query(  # type: ignore[union-attr]
            _ALSO_IN_VIEW, substitutions={ox.Variable("g"): graph}
        ):
            subject, predicate, value = solution["s"], solution["p"], solution["o"]
            stating = {
                quad.graph_name
                for quad in store.values([(subject, predicate)])
                if quad.object == value
            }
            if not any(name in catalog for name in stating):
                found.append(ox.Quad(subject, predicate, value))
    return found


#: Threads for the integrity checks: one a core.
CHECKERS = 2


def _check_sums(
    store: OxigraphStore, catalog: list[tuple[ox.NamedNode, _Entry]], shapes: str
) -> Coverage:
    """Each graph's checksum and stamp: counted in a Coverage of their own (the threads
    each fill one), whose ``focus`` stays empty; the graphs to judge again in ``stale``."""
    found = Coverage(shapes=shapes)
    for graph, entry in catalog:
        intact = ntriples_checksum(store.graph_ntriples(graph)) == entry.content
        if intact and entry.judged_under == shapes:
            found.current += 1
            continue
        if not intact:
            found.tampered.append(graph)
        else:
            key = entry.judged_under or NEVER
            found.other_shapes[key] = found.other_shapes.get(key, 0) + 1
        found.stale.append(graph)
    return found


def _count(store: OxigraphStore, query: str) -> int:
    """The ``?n`` a counting query answers."""
    for solution in store.run_query(query):  # type: ignore[union-attr]
        return int(solution["n"].value)
    return 0


def _unstated(
    store: OxigraphStore, catalog: dict[ox.NamedNode, _Entry], others: list[ox.NamedNode]
) -> list[ox.Quad]:
    """View triples no catalogued graph states."""
    unstated = [
        ox.Quad(solution["s"], solution["p"], solution["o"])
        for solution in store.run_query(_UNSTATED)  # type: ignore[union-attr]
    ]
    return unstated + _stated_only_outside(store, catalog, [_CATALOG, *others])


def _not_shown(
    store: OxigraphStore, single: frozenset[ox.NamedNode]
) -> tuple[list[ox.Quad], set[tuple[Subject, ox.NamedNode]], set[ox.Quad]]:
    """Statements of catalogued graphs the view lacks: the multi-valued ones, the
    single-valued pairs to look at (the view shows another graph's value, or none), and the
    single values themselves (what graph/not-shown should hold)."""
    missing: list[ox.Quad] = []
    contested: set[tuple[Subject, ox.NamedNode]] = set()
    unshown: set[ox.Quad] = set()
    for solution in store.run_query(_NOT_SHOWN, substitutions=_CATALOG_VARIABLES):  # type: ignore[union-attr]
        quad = ox.Quad(solution["s"], solution["p"], solution["o"])
        if quad.predicate in single:
            contested.add((quad.subject, quad.predicate))  # type: ignore[arg-type]
            unshown.add(quad)
        else:
            missing.append(quad)
    return missing, contested, unshown


def unshown_single_values(store: OxigraphStore) -> set[ox.Quad]:
    """Each single value a catalogued graph states that the view does not show, as a
    default-graph quad: what graph/not-shown should hold (decision 0030). One pass over the
    source graphs, the one :func:`coverage` makes."""
    return _not_shown(store, _single_valued())[2]


def _single_valued() -> frozenset[ox.NamedNode]:
    """The properties the shapes allow one value of, as pyoxigraph terms."""
    return frozenset(ox.NamedNode(str(p)) for p in single_valued_predicates())


def _check_marks(store: OxigraphStore, unshown: set[ox.Quad], found: Coverage) -> None:
    """Compare graph/not-shown with the single values the graphs state and the view does not
    show (``unshown``, as default-graph quads)."""
    held = {
        ox.Quad(quad.subject, quad.predicate, quad.object)
        for quad in store.graph_contents([NOT_SHOWN_GRAPH])
    }
    found.marks_kept = store.contains_quad(NOT_SHOWN_STAMP)
    found.marks_missing = sorted(unshown - held, key=str)
    found.marks_extra = sorted(held - unshown, key=str)


def _two_values(
    store: OxigraphStore, single: frozenset[ox.NamedNode]
) -> set[tuple[Subject, ox.NamedNode]]:
    """Pairs the view gives two values of a single-valued property: counted first (no
    term leaves Rust), looked for only where the counts differ."""
    found: set[tuple[Subject, ox.NamedNode]] = set()
    for predicate in single:
        binding = {ox.Variable("p"): predicate}
        counts = list(store.run_query(_COUNTS, substitutions=binding))  # type: ignore[arg-type]
        if not counts or counts[0]["n"] == counts[0]["d"]:
            continue
        found |= {
            (solution["s"], predicate)
            for solution in store.run_query(_TWO_VALUES, substitutions=binding)  # type: ignore[union-attr]
        }
    return found


@dataclass
class _Entry:
    content: str
    judged_under: str | None
    standing: Standing


def _read_catalog(store: OxigraphStore) -> dict[ox.NamedNode, _Entry]:
    """Each catalogued graph's checksum, stamp and standing; StoreError when corrupt."""
    described: dict[ox.NamedNode, dict[ox.NamedNode, list[ox.NamedNode | ox.Literal]]]
    described = collections.defaultdict(lambda: collections.defaultdict(list))
    for quad in store.graph_contents([_CATALOG]):
        if isinstance(quad.subject, ox.NamedNode) and not isinstance(quad.object, ox.BlankNode):
            described[quad.subject][quad.predicate].append(quad.object)  # type: ignore[arg-type]
    catalog: dict[ox.NamedNode, _Entry] = {}
    for graph, held in described.items():
        if SOURCE_GRAPH not in held.get(RDF_TYPE, []):
            continue
        sums = held.get(CONTENT_SHA256, [])
        if len(sums) != 1 or not _is_checksum(sums[0]):
            raise _corrupt(graph, f"{len(sums)} eg:contentSha256 value(s), not one checksum")
        stamps = held.get(JUDGED_UNDER, [])
        judged_under = checksum_of(stamps[0]) if len(stamps) == 1 else None
        if len(stamps) > 1 or (stamps and judged_under is None):
            raise _corrupt(
                graph, f"dcterms:conformsTo {', '.join(str(s) for s in stamps)}: not one shapes IRI"
            )
        kinds, versions = held.get(SOURCE_KIND, []), held.get(MODIFIED, [])
        catalog[graph] = _Entry(
            content=sums[0].value,
            judged_under=judged_under,
            standing=Standing(
                graph.value,
                SourceKind.of_concept(kinds[0].value) if kinds else SourceKind.OTHER,
                versions[0].value if versions else None,
            ),
        )
    return catalog


def _is_checksum(value: ox.NamedNode | ox.Literal) -> bool:
    text = value.value
    return (
        isinstance(value, ox.Literal)
        and len(text) == 64
        and all(c in "0123456789abcdef" for c in text)
    )


def _corrupt(graph: ox.NamedNode, what: str) -> StoreError:
    return StoreError(
        f"the catalog ({CATALOG}) is corrupt: {graph.value} has {what}. validate cannot tell "
        "what the gate judged: run `evidencegraph validate --full` to judge every triple, "
        "and write the graph again (import or load it) to describe it anew"
    )


def _wrong_choices(
    store: OxigraphStore,
    catalog: dict[ox.NamedNode, _Entry],
    contested: set[tuple[Subject, ox.NamedNode]],
) -> set[tuple[Subject, ox.NamedNode]]:
    """Single-valued pairs whose view value is not the value of the graph precedence picks
    (graphs disagree there, or the view lost the value)."""
    wrong: set[tuple[Subject, ox.NamedNode]] = set()
    for pair in contested:
        by_graph: dict[ox.NamedNode, set[object]] = {}
        shown: set[object] = set()
        for quad in store.values([pair]):
            where = quad.graph_name
            if isinstance(where, ox.DefaultGraph):
                shown.add(quad.object)
            elif isinstance(where, ox.NamedNode) and where in catalog:
                by_graph.setdefault(where, set()).add(quad.object)
        if not by_graph:
            continue
        best = winner([catalog[graph].standing for graph in by_graph]).graph
        if shown != by_graph[ox.NamedNode(best)]:
            wrong.add(pair)
    return wrong


def _to_judge(
    store: OxigraphStore,
    batch: list[ox.Quad],
    wrong: set[tuple[Subject, ox.NamedNode]],
    untyped: set[Subject],
    inverse: frozenset[ox.NamedNode],
) -> set[Subject]:
    """The nodes the gate would judge for ``batch`` (batch_gate.prepare): each subject, the
    object of a link the shapes follow backwards, and the nodes that link to one that lost
    its type (a class constraint on the link may break)."""
    focus: set[Subject] = {subject for subject, _ in wrong}
    for quad in batch:
        if not isinstance(quad.subject, ox.Triple):
            focus.add(quad.subject)
        if quad.predicate in inverse and isinstance(quad.object, (ox.NamedNode, ox.BlankNode)):
            focus.add(quad.object)
    if untyped:
        focus.update(
            quad.subject
            for quad in store.links([], list(untyped))  # type: ignore[arg-type]
            if not isinstance(quad.subject, ox.Triple)
        )
    return focus
