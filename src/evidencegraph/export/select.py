"""What an export holds: the neighbourhood of focus nodes, what a CONSTRUCT or DESCRIBE query
builds, or the instances of a class; and, whatever was chosen, the provenance of every node in it.

Links are followed in both directions, except into the model's own terms (classes and
vocabulary concepts such as ``egv:Phase2``): every study of phase 2 points at that concept,
and following those links back would pull in the registry.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import RDF, Literal, URIRef

from evidencegraph.errors import EXIT_NONCONFORMING, EvidenceGraphError, ParameterError, UsageError
from evidencegraph.ontology.name_keys import name_key
from evidencegraph.ontology.namespace import EG, EGID, compact, expand
from evidencegraph.ontology.naming import IDENTIFIER_PROPERTIES, NAME_PROPERTIES
from evidencegraph.ontology.source_graphs import CATALOG, NOT_SOURCES
from evidencegraph.rdf.model import model_graph
from evidencegraph.rdf.terms import RDF_TYPE
from evidencegraph.store.core import Store

#: The most triples an export gathers unless told otherwise (``--max-triples``).
DEFAULT_MAX_TRIPLES = 200_000

_CLAIM = ox.NamedNode(str(EG.Claim))
_ASSERTED_BY = ox.NamedNode(str(EG.assertedBy))
_REPORTS = ox.NamedNode(str(EG.reports))
_DERIVED_FROM = ox.NamedNode("http://www.w3.org/ns/prov#wasDerivedFrom")
#: every property that can name a node (``naming.NAME_PROPERTIES``)
_NAMES = [ox.NamedNode(expand(curie)) for curie in NAME_PROPERTIES]
#: a node's type, its names and its verification status (what a picture colours a claim by)
_NAMING = [RDF_TYPE, *_NAMES, ox.NamedNode(str(EG.verificationStatus))]
#: What a focus can be named by besides the network commands' identifiers: a study's acronym
#: (``KARE``), matched in any case.
_FOCUS_IDENTIFIERS = (*IDENTIFIER_PROPERTIES, "eg:acronym")


class TooManyTriplesError(UsageError):
    """An export that would hold more triples than allowed."""


class NothingToExportError(EvidenceGraphError):
    """What was asked for exists, but holds no triple: nothing is written (exit 1, as
    ``network path`` exits when two nodes are not connected)."""

    exit_code = EXIT_NONCONFORMING


#: What to do when an export is too large, per way of choosing it.
ADVICE = {
    "focus": "export fewer --hops, or raise --max-triples",
    "type": "narrow it with --param drug=NAME or --param condition=NAME, or raise --max-triples",
    "query": "make the query build fewer triples, or raise --max-triples",
}


@functools.cache
def model_terms() -> frozenset[ox.NamedNode]:
    """The IRIs the model describes: classes, properties and vocabulary concepts."""
    return frozenset(
        ox.NamedNode(str(node)) for node in model_graph().subjects() if isinstance(node, URIRef)
    )


@functools.cache
def model_descriptions() -> dict[str, tuple[list[str], str]]:
    """The classes (CURIEs) and the name of every term of the model, by IRI: what a table
    of nodes says of the concepts and classes an export points at."""
    graph = model_graph()
    names = [URIRef(expand(curie)) for curie in ("skos:prefLabel", *NAME_PROPERTIES)]
    described: dict[str, tuple[list[str], str]] = {}
    for node in {s for s in graph.subjects() if isinstance(s, URIRef)}:
        classes = sorted(compact(str(c)) for c in graph.objects(node, RDF.type))
        found = [
            str(value)
            for name in names
            for value in sorted(graph.objects(node, name), key=str)
            if isinstance(value, Literal) and value.language in (None, "en")
        ]
        described[str(node)] = (classes, found[0] if found else "")
    return described


def resolve(store: Store, text: str) -> ox.NamedNode:
    """The node ``text`` names, as the network commands resolve names: an IRI (bare or in
    ``<>``), a CURIE, an NCT number, another identifier (EudraCT, DOI, PMID, registry id), an
    exact name (label, title, a finding's statement, a claim's quote) or a part of one name.

    Raises UsageError, with close matches, when nothing in the store fits, or naming the nodes
    when several do.
    """
    wanted = text.strip()
    candidates = [expand(wanted), wanted.strip("<>")]
    if wanted.upper().startswith("NCT") and wanted[3:].isdigit():
        candidates.append(f"{EGID}study/{wanted.upper()}")
    for candidate in candidates:
        try:
            node = ox.NamedNode(candidate)
        except ValueError:
            continue  # not an IRI (a label with a colon in it): try the names
        if store.links([node], [node]):
            return node
    for finder in (_identified, _named_exactly, _iri_ending_in, _named_in_part):
        found = finder(store, wanted)
        if len(found) > 1:  # a name shared by a drug or condition and the study-level nodes
            found = _concepts(store, found) or found  # that use it names the concept
        if len(found) == 1:
            return found[0]
        if found:
            shown = ", ".join(compact(node.value) for node in found[:6])
            more = "" if len(found) <= 6 else f" and {len(found) - 6} more"
            raise UsageError(f"{text!r} names {len(found)} nodes ({shown}{more}): give one IRI")
    close = _close_labels(store, wanted)
    hint = f" Close matches: {'; '.join(close)}." if close else ""
    raise UsageError(
        f"nothing in the store is named {text!r}.{hint} "
        "Give an IRI, a CURIE (egid:study/NCT02649231), an NCT number, an acronym or a label."
    )


def _subjects(store: Store, pattern: str, value: str) -> list[ox.NamedNode]:
    """The IRIs ``?s`` that ``pattern`` finds with ``?v`` bound to the literal ``value``."""
    rows = store.query(f"SELECT DISTINCT ?s ?v WHERE {{ {pattern} }}", {"v": Literal(value)}).rows
    found = {str(row["s"]) for row in rows if isinstance(row.get("s"), URIRef)}
    return [ox.NamedNode(iri) for iri in sorted(found)]


def _concepts(store: Store, nodes: list[ox.NamedNode]) -> list[ox.NamedNode]:
    """The drugs and conditions among ``nodes``."""
    kinds = {ox.NamedNode(str(EG.Drug)), ox.NamedNode(str(EG.Condition))}
    typed = {q.subject for q in store.about(nodes, [RDF_TYPE]) if q.object in kinds}
    return [node for node in nodes if node in typed]


def _identified(store: Store, wanted: str) -> list[ox.NamedNode]:
    """The nodes with ``wanted`` as an identifier or acronym, in any case."""
    predicates = " ".join(f"<{expand(curie)}>" for curie in _FOCUS_IDENTIFIERS)
    found: set[ox.NamedNode] = set()
    for value in {wanted, wanted.upper(), wanted.lower()}:
        found.update(_subjects(store, f"VALUES ?p {{ {predicates} }} ?s ?p ?v", value))
    if not found:  # an acronym in mixed case (KeDA) typed in another case
        acronym = f"<{expand('eg:acronym')}>"
        found.update(
            _subjects(store, f"?s {acronym} ?a FILTER(LCASE(STR(?a)) = LCASE(STR(?v)))", wanted)
        )
    return sorted(found, key=lambda node: node.value)


def _iri_ending_in(store: Store, wanted: str) -> list[ox.NamedNode]:
    """The typed nodes whose IRI's last part is ``wanted`` (``dakwar-2019`` names
    ``egid:study/dakwar-2019``), in any case."""
    if not wanted or any(c in wanted for c in "/#<> "):
        return []
    pattern = "?s a ?type FILTER(isIRI(?s) && STRENDS(LCASE(STR(?s)), LCASE(STR(?v))))"
    return [
        node
        for node in _subjects(store, pattern, "/" + wanted)
        if node.value.lower().endswith("/" + wanted.lower())
    ]


def _named_exactly(store: Store, wanted: str) -> list[ox.NamedNode]:
    names = "|".join(f"<{expand(curie)}>" for curie in NAME_PROPERTIES)
    return _subjects(store, f"?s {names} ?name FILTER(LCASE(STR(?name)) = LCASE(STR(?v)))", wanted)


def _named_in_part(store: Store, wanted: str) -> list[ox.NamedNode]:
    names = "|".join(f"<{expand(curie)}>" for curie in (NAME_PROPERTIES[:2]))
    pattern = f"?s {names} ?name FILTER(CONTAINS(LCASE(STR(?name)), LCASE(STR(?v))))"
    return _subjects(store, pattern, wanted) if len(wanted) >= 3 else []


@dataclass
class Selection:
    """The triples chosen, and the nodes they describe in full (those whose own links were all
    taken): the nodes the export is about, whose provenance comes along."""

    quads: set[ox.Quad]
    described: set[ox.NamedNode | ox.BlankNode]


def neighbourhood(
    store: Store, focus: list[ox.NamedNode], hops: int, max_triples: int = DEFAULT_MAX_TRIPLES
) -> Selection:
    """Every triple within ``hops`` links of the focus nodes, in either direction (with no
    hops, the focus nodes' own triples).

    More hops never hold less: the focus nodes' own triples come first whatever they are
    (even a term of the model, whose incoming links are not followed), and each hop adds
    to what the hops before it found.
    """
    if hops < 0:
        raise UsageError(f"--hops must be 0 or more, not {hops}")
    found: set[ox.Quad] = store.links(list(focus), [])
    _check_size(found, max_triples, f"--hops {hops} (the focus nodes' own triples)", "focus")
    described: set[ox.NamedNode | ox.BlankNode] = set(focus)
    seen: set[ox.NamedNode | ox.BlankNode] = set(focus)
    frontier: list[ox.NamedNode | ox.BlankNode] = list(focus)
    terms = model_terms()
    for hop in range(1, hops + 1):
        outgoing = [n for n in frontier if n not in terms or n in focus]
        incoming = [n for n in outgoing if isinstance(n, ox.NamedNode) and n not in terms]
        found.update(store.links(outgoing, incoming))
        described.update(outgoing)
        _check_size(found, max_triples, f"--hops {hops} (after {hop} hop(s))", "focus")
        frontier = list(_nodes(found) - seen)
        seen.update(frontier)
    return Selection(found, described)


def with_provenance(
    store: Store,
    selection: Selection,
    max_triples: int = DEFAULT_MAX_TRIPLES,
    advice: str = "focus",
) -> set[ox.Quad]:
    """The selection and, for every node it describes, where it comes from: the sources it
    derives from and the sources that report it (each described), and the claims about it
    with the sources that assert them."""
    quads = selection.quads
    nodes = selection.described - model_terms()
    incoming = store.links([], [n for n in nodes if isinstance(n, ox.NamedNode)])
    typed = store.about(list(_nodes_in(q.subject for q in incoming)), [RDF_TYPE])
    claims = _nodes_in(q.subject for q in typed if q.object == _CLAIM)
    sources = _nodes_in(q.subject for q in incoming if q.predicate == _REPORTS)
    sources |= _nodes_in(
        q.object for q in quads if q.predicate == _DERIVED_FROM and q.subject in nodes
    )
    kept = set(quads)
    kept |= {q for q in incoming if q.subject in claims or q.subject in sources}
    claim_quads = store.links(list(claims), [])
    kept |= claim_quads
    sources |= _nodes_in(
        q.object for q in claim_quads if q.predicate in (_ASSERTED_BY, _DERIVED_FROM)
    )
    kept |= store.links(list(sources), [])
    _check_size(kept, max_triples, "the export with its provenance", advice)
    return kept


def with_names(store: Store, quads: set[ox.Quad]) -> set[ox.Quad]:
    """``quads`` and the types, names and verification status of every node in them that
    they do not already type and name (the model's own terms aside: their names live in
    the model).

    A node can be the subject of a triple without being described: a finding that points
    at the focus (``eg:ofStudy``) is one, and it is named here like any node at the edge.
    """
    typed = {q.subject for q in quads if q.predicate == RDF_TYPE}
    named = {q.subject for q in quads if q.predicate in _NAMES}
    unnamed = list(_nodes(quads) - (typed & named) - model_terms())
    return quads | store.about(sorted(unnamed, key=str), _NAMING)


def gather(
    store: Store,
    selection: Selection,
    max_triples: int,
    advice: str,
    asked: str,
    on_step: Callable[[str], None] | None = None,
) -> set[ox.Quad]:
    """What an export writes: the selection, its provenance and the names of every node in
    it, never more than ``max_triples`` triples.

    ``advice`` is how the export was chosen (a key of :data:`ADVICE`: ``focus``, ``type``,
    ``query``). Raises NothingToExportError when the selection is empty (``asked`` says what
    was asked for) and TooManyTriplesError past ``max_triples``. ``on_step`` hears which of
    the two gathering steps starts (for progress).
    """
    if not selection.quads:
        raise NothingToExportError(f"{asked} matches nothing in the store: nothing was written")
    step = on_step or (lambda _stage: None)
    step("the claims and sources about it")
    described = with_provenance(store, selection, max_triples, advice)
    step("the names of the nodes it links to")
    quads = with_names(store, described)
    _check_size(quads, max_triples, "the export with its provenance and names", advice)
    return quads


#: The graph that describes every source graph.
_CATALOG = ox.NamedNode(CATALOG)
#: What the catalog states of a source graph (decision 0021): its type, kind, source, the
#: record's own version, when and by what it was imported, its checksum and size.
CATALOG_PREDICATES = [
    RDF_TYPE,
    ox.NamedNode(str(EG.sourceKind)),
    _DERIVED_FROM,
    ox.NamedNode("http://purl.org/dc/terms/modified"),
    ox.NamedNode("http://www.w3.org/ns/prov#generatedAtTime"),
    ox.NamedNode(str(EG.importedWith)),
    ox.NamedNode(str(EG.contentSha256)),
    ox.NamedNode("http://rdfs.org/ns/void#triples"),
]


def in_source_graphs(
    store: Store, quads: set[ox.Quad], max_triples: int, advice: str
) -> set[ox.Quad]:
    """The export with each statement in the named graphs that state it, instead of the view.

    For every subject and property of ``quads``, every value each source graph states comes
    in that graph: where sources disagree on a single-valued property, the value the view
    does not show comes too, attributed. A statement of ``quads`` that no named graph states
    (one a CONSTRUCT query built) stays in the default graph. The catalog's description of
    each graph the export names comes along, in the catalog graph.
    """
    pairs = sorted(
        {
            (q.subject, q.predicate)
            for q in quads
            if isinstance(q.subject, (ox.NamedNode, ox.BlankNode))
        },
        key=str,
    )
    stated = {
        q
        for q in store.values(pairs)
        # neither the catalog nor the marks of the values not shown (decision 0030) is a source
        if isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value not in NOT_SOURCES
    }
    in_a_graph = {ox.Triple(q.subject, q.predicate, q.object) for q in stated}
    kept = stated | {
        q for q in quads if ox.Triple(q.subject, q.predicate, q.object) not in in_a_graph
    }
    graphs = sorted(named_graphs(stated), key=str)
    described = store.values([(g, p) for g in graphs for p in CATALOG_PREDICATES])
    kept |= {q for q in described if q.graph_name == _CATALOG}
    _check_size(kept, max_triples, "the export in its source graphs", advice)
    return kept


def named_graphs(quads: Iterable[ox.Quad]) -> set[ox.NamedNode | ox.BlankNode]:
    """The named graphs ``quads`` are in."""
    return {q.graph_name for q in quads if not isinstance(q.graph_name, ox.DefaultGraph)}


def resolve_class(text: str) -> ox.NamedNode:
    """A class of the model named by CURIE (``eg:Trial``), IRI, or bare name (``Trial``, as
    ``network central --type`` takes it)."""
    iri = expand(text.strip().strip("<>"))
    classes = {
        str(node)
        for node in model_graph().subjects(RDF.type, URIRef("http://www.w3.org/2002/07/owl#Class"))
    }
    if iri in classes:
        return ox.NamedNode(iri)
    if ":" not in text and expand(f"eg:{text.strip()}") in classes:
        return ox.NamedNode(expand(f"eg:{text.strip()}"))
    close = difflib.get_close_matches(text, sorted(compact(c) for c in classes), n=3, cutoff=0.5)
    hint = f" Close matches: {', '.join(close)}." if close else ""
    raise UsageError(f"{text!r} is not a class of the model.{hint} Give a CURIE such as eg:Trial.")


#: The filters of ``--type``, named and matched as the named queries' parameters are: a name
#: or synonym, in any case, found by its key (``eg:nameKey``, decision 0028; ``{key}`` is
#: the key, written as a constant: one index lookup), then its studies.
TYPE_FILTERS = {
    "drug": "?drugNode eg:nameKey {key} . ?study eg:hasArm/eg:receives/eg:drug ?drugNode .",
    "condition": "?conditionNode eg:nameKey {key} . ?study eg:studiesCondition ?conditionNode .",
}
#: From an instance to the study it belongs to (a study is its own).
_TO_STUDY = "(eg:ofStudy|^eg:hasArm|^eg:hasOutcome|eg:reports|eg:about|^eg:receives/^eg:hasArm)?"


def instances(
    store: Store,
    class_iri: ox.NamedNode,
    max_triples: int,
    filters: Mapping[str, str] | None = None,
) -> Selection:
    """Every instance of a class (or of its subclasses), each with its own triples.

    ``filters`` (``drug``, ``condition``) keep the instances whose study involves that drug
    or condition: the study itself, its arms and outcomes, its findings, the sources that
    report it, the claims about it, the interventions its arms receive.
    """
    filters = dict(filters or {})
    unknown = sorted(set(filters) - set(TYPE_FILTERS))
    if unknown:
        raise ParameterError(
            f"--type takes --param {' or '.join(TYPE_FILTERS)}, not {', '.join(unknown)} "
            "(the named queries' filters: a name or synonym, matched case-insensitively)"
        )
    where = ""
    if filters:
        # the names first: their keys find the few studies the rest starts from; each key as
        # pyoxigraph writes a literal (escaped), never the caller's text as is
        where = (
            " ".join(
                TYPE_FILTERS[name].replace("{key}", str(name_key(filters[name])))
                for name in sorted(filters)
            )
            + f" ?study a/rdfs:subClassOf* eg:Study . ?s {_TO_STUDY} ?study ."
        )
    found = set(
        store.construct_quads(
            "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
            "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
            f"PREFIX eg: <{EG}> CONSTRUCT {{ ?s ?p ?o }} "
            f"WHERE {{ ?s a/rdfs:subClassOf* {class_iri} . {where} ?s ?p ?o }} "
            f"LIMIT {max_triples + 1}"  # enough to know the limit is passed, no more
        )
    )
    _check_size(found, max_triples, f"--type {compact(class_iri.value)}", "type")
    return Selection(found, {q.subject for q in found if isinstance(q.subject, ox.NamedNode)})


def built_by_query(quads: set[ox.Quad]) -> Selection:
    """What a query built: it describes the subjects of its triples."""
    return Selection(quads, _nodes_in(q.subject for q in quads))


def _nodes_in(terms: Iterable[object]) -> set[ox.NamedNode | ox.BlankNode]:
    """The IRIs and blank nodes among ``terms``."""
    return {term for term in terms if isinstance(term, (ox.NamedNode, ox.BlankNode))}


def _nodes(quads: set[ox.Quad]) -> set[ox.NamedNode | ox.BlankNode]:
    """The IRIs and blank nodes the quads link."""
    return _nodes_in(q.subject for q in quads) | _nodes_in(q.object for q in quads)


def _check_size(quads: set[ox.Quad], max_triples: int, what: str, advice: str) -> None:
    """Stop past ``max_triples``, with the :data:`ADVICE` for how the export was chosen."""
    if len(quads) > max_triples:
        raise TooManyTriplesError(
            f"{what} gathers {len(quads):,} triples, more than --max-triples {max_triples:,}; "
            f"{ADVICE[advice]}"
        )


def _close_labels(store: Store, wanted: str) -> list[str]:
    """Names like ``wanted``: those sharing the start of its longest word, ranked by
    similarity (a misspelt end still finds them)."""
    words = sorted(wanted.lower().split(), key=len, reverse=True)
    if not words:
        return []
    names = "|".join(f"<{expand(curie)}>" for curie in NAME_PROPERTIES[:2])
    query = (
        f"SELECT DISTINCT ?name ?v WHERE {{ ?s {names} ?name "
        "FILTER(CONTAINS(LCASE(STR(?name)), ?v)) } LIMIT 2000"
    )
    rows = store.query(query, {"v": Literal(words[0][:4])}).rows
    return difflib.get_close_matches(wanted, [str(row["name"]) for row in rows], n=3, cutoff=0.3)
