"""Linked-data resources: the triples a dereferenced IRI returns, and its HTML page.

A resource's description is its own triples, the links into it, and the types and names of
every node those triples name. A study brings its record (arms and what they receive,
outcomes, findings, registry links, sources) and the provenance an export brings (the claims
about it and about its findings, with the sources that assert them); a claim brings the source
that asserts it; a source the claims it makes. The page shows the same triples for people,
with each claim set against the evidence: where it comes from, and where it disagrees; and
with the source graphs that state each value, each value with its source where they differ
(``graphs.py``). A source graph has a page of its own: its catalog entry and statements.

What the page holds is worked out here (:class:`_ResourcePage`); how it is written is the
template's (``templates/resource.html``, its terms by ``templates/terms.html``).
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

import pyoxigraph as ox
from markupsafe import Markup
from rdflib import RDFS, SKOS, Literal, URIRef

from evidencegraph.export.select import Selection, model_terms, with_provenance
from evidencegraph.ontology.namespace import compact, expand
from evidencegraph.ontology.naming import NAME_PROPERTIES
from evidencegraph.ontology.source_graphs import CATALOG
from evidencegraph.rdf.model import model_graph
from evidencegraph.rdf.terms import RDF_TYPE, to_oxigraph
from evidencegraph.server.graphs import (
    MANY_GRAPHS,
    Attribution,
    Disagreement,
    SourceGraph,
    StatementCounts,
    attribute,
    catalog_entries,
    count_statements,
)
from evidencegraph.server.per_store import PerStore
from evidencegraph.server.templating import render
from evidencegraph.server.trials import LISTED_LINKS, Listing, chosen_facets, listing, table_of
from evidencegraph.server.urls import LocalPath, ontology_anchor
from evidencegraph.store.core import Store

#: The most links into one resource a description holds (a vocabulary concept such as
#: egv:Phase2 is the object of one triple per study of that phase).
MAX_INCOMING = 1000

#: The most links into a drug, condition or MeSH class its page lists besides its trials (a
#: MeSH class is broader than hundreds of terms; naming each costs the page).
MAX_INCOMING_LISTING = 200

#: The most statements a graph's page lists (its RDF holds them all).
MAX_GRAPH_ROWS = 2000

#: The alternate formats a resource page links to: extension, media type, name.
ALTERNATES = (
    (".ttl", "text/turtle", "Turtle"),
    (".jsonld", "application/ld+json", "JSON-LD"),
    (".nt", "application/n-triples", "N-Triples"),
    (".rdf", "application/rdf+xml", "RDF/XML"),
)

_Subject = ox.NamedNode | ox.BlankNode
_Term = ox.NamedNode | ox.BlankNode | ox.Literal

_NAME_IRIS = tuple(expand(curie) for curie in NAME_PROPERTIES)
_NAMING = [RDF_TYPE, *(ox.NamedNode(iri) for iri in _NAME_IRIS)]
_LABELS = [ox.NamedNode(str(RDFS.label)), ox.NamedNode(str(SKOS.prefLabel))]
_XSD = "http://www.w3.org/2001/XMLSchema#"
#: Links from a study to its parts, whose triples its description holds in full.
_PARTS = ("eg:hasArm", "eg:hasOutcome", "eg:registryLink")
#: How a claim can be about a study directly, as the page says it.
_CLAIM_TIES = (
    ("eg:about", "about this study"),
    ("eg:candidateReferent", "may be about this study (a candidate referent)"),
    ("eg:closestEvidence", "this study is the closest evidence found"),
)
#: Verification statuses in the order the page lists claims: disagreements first.
_STATUS_ORDER = ("Misreported", "Contested", "Unsupported", "AmbiguousReferent", "Unverified")
#: Domains in the order GRADE and RoB 2 list them (downgrading GRADE domains, then upgrading).
_DOMAIN_ORDER = (
    "RiskOfBias",
    "Inconsistency",
    "Indirectness",
    "Imprecision",
    "PublicationBias",
    "LargeEffect",
    "DoseResponseGradient",
    "PlausibleConfounding",
    "RandomisationProcess",
    "DeviationsFromIntendedInterventions",
    "MissingOutcomeData",
    "MeasurementOfTheOutcome",
    "SelectionOfTheReportedResult",
)


#: What a study's summary shows, row by row: the caption and the properties of the study
#: whose values it lists (issue 20 point 1). The summary's own properties are not listed
#: again under "Other properties".
_SUMMARY = (
    ("Phase", ("eg:phase",)),
    ("Status", ("eg:overallStatus",)),
    ("Enrolment", ("eg:enrolment",)),
    ("Design", ("eg:studyDesign",)),
    ("Sponsor", ("eg:sponsor",)),
    ("Collaborators", ("eg:collaborator", "eg:funder")),
    ("Started", ("eg:startDate",)),
    ("Primary completion", ("eg:primaryCompletionDate",)),
    ("Completed", ("eg:completionDate",)),
    ("Registered", ("eg:registrationDate",)),
    ("Registry ids", ("eg:nctId", "eg:eudractNumber", "eg:isrctn", "eg:orgStudyId")),
    ("Eligibility", ("eg:eligibleSex", "eg:ageGroup", "eg:minimumAge", "eg:maximumAge")),
    ("Healthy volunteers", ("eg:healthyVolunteers",)),
)
#: Flags that say whether a date or a count is the actual one or the one planned.
_ACTUAL = {
    "eg:enrolment": "eg:enrolmentActual",
    "eg:startDate": "eg:startDateActual",
    "eg:primaryCompletionDate": "eg:primaryCompletionDateActual",
    "eg:completionDate": "eg:completionDateActual",
}
#: Properties a study's page shows in sections of their own (arms, outcomes, conditions,
#: sources, risk of bias), so not again under "Other properties".
_SHOWN_IN_SECTIONS = (
    "eg:hasArm",
    "eg:hasOutcome",
    "eg:studiesCondition",
    "eg:registryLink",
    "eg:riskOfBias",
    "prov:wasDerivedFrom",
    "dcterms:title",
    *(flag for flag in _ACTUAL.values()),
)
#: Links into a study from what its sections show (findings, claims, sources): not listed
#: again under "Links here".
_SHOWN_INCOMING = (
    "eg:ofStudy",
    "eg:reports",
    "eg:about",
    "eg:candidateReferent",
    "eg:closestEvidence",
    "eg:supportedBy",
    "eg:disputedBy",
)
#: Units that only restate the measure ("odds ratio: 0.8 ratio"): not written after a value.
_UNITLESS = frozenset({"ratio", "1", "unitless", "none", "dimensionless"})


def _p(curie: str) -> str:
    """The IRI of a CURIE (``eg:hasArm``)."""
    return expand(curie)


@functools.cache
def _subclasses(curie: str) -> frozenset[str]:
    """The IRIs of a class of the model and of every class under it."""
    graph, root = model_graph(), URIRef(_p(curie))
    return frozenset(str(c) for c in graph.transitive_subjects(RDFS.subClassOf, root))


@functools.cache
def _rating_changes() -> dict[str, int]:
    """How many levels each GRADE judgement of the model moves the certainty (eg:ratingChange)."""
    graph = model_graph()
    return {
        str(concept): int(change)
        for concept, change in graph.subject_objects(URIRef(_p("eg:ratingChange")))
        if isinstance(change, Literal)
    }


@functools.cache
def _model_labels() -> dict[str, str]:
    """The label of every term of the model (``skos:prefLabel`` or ``rdfs:label``)."""
    labels: dict[str, str] = {}
    graph = model_graph()
    for predicate in (RDFS.label, SKOS.prefLabel):  # a concept's preferred label wins
        for subject, label in sorted(graph.subject_objects(predicate)):
            if isinstance(subject, URIRef) and getattr(label, "language", None) in (None, "en"):
                labels[str(subject)] = str(label)
    return labels


# --- what a dereference returns ------------------------------------------------------------


@dataclass
class _Description:
    """The triples of one resource's description, and whether its incoming links were cut."""

    quads: set[ox.Quad] = field(default_factory=set)
    truncated: bool = False


def describe(store: Store, iri: str) -> list[ox.Quad]:
    """The triples a dereference of ``iri`` returns, sorted; an empty list when the store
    knows nothing of it (the server answers 404).

    They are the resource's own triples, the links into it (at most :data:`MAX_INCOMING`) and
    the types and names of the nodes they name; for a study also its arms and what they
    receive, its outcomes, findings, registry links and sources, with the claims about them
    and the sources that assert those; for a claim its source; for a source its claims.
    """
    quads = _gather(store, iri).quads
    return sorted(quads, key=lambda q: (str(q.subject), q.predicate.value, str(q.object)))


def _gather(store: Store, iri: str, *, for_page: bool = False) -> _Description:
    """``for_page``: for the HTML page, which lists a drug's, a condition's or a MeSH
    class's trials itself (trials.py): their links into the node are not read."""
    try:
        node = ox.NamedNode(iri)
    except ValueError:
        return _Description()
    own = store.links([node], [])
    if not own and node in model_terms():
        own = _model_quads(node)
    listed = for_page and _listing_kind(own) is not None
    incoming, truncated = _incoming(store, node, skip_listed=listed)
    if not own and not incoming:
        return _Description()
    quads = own | incoming
    full: set[_Subject] = {node}
    kinds = {
        o.value for q in own if q.predicate == RDF_TYPE and isinstance(o := q.object, ox.NamedNode)
    }
    if kinds & _subclasses("eg:Study"):
        record = _study_record(store, node, quads)
        quads = with_provenance(store, record)
        full |= record.described
        full |= _subjects(quads, "eg:assertedBy")
    elif _p("eg:Finding") in kinds:
        appraisal, assessed = _appraisal(store, _objects(own, "eg:certainty"))
        quads |= appraisal
        full |= assessed
    elif _p("eg:Claim") in kinds:
        sources = _objects(own, "eg:assertedBy")
        quads |= store.links(sources, [])
        full |= set(sources)
    elif kinds & _subclasses("eg:Source"):
        claims = _subjects(incoming, "eg:assertedBy")
        quads |= store.links(sorted(claims, key=str), [])
        full |= claims
    return _Description(_with_names(store, quads, full), truncated)


def _incoming(
    store: Store, node: ox.NamedNode, *, skip_listed: bool = False
) -> tuple[set[ox.Quad], bool]:
    """The links into ``node``, at most :data:`MAX_INCOMING`, and whether there were more;
    ``skip_listed``: not the links a listing of trials shows (:data:`trials.LISTED_LINKS`)."""
    # the predicates are the package's constants, written by pyoxigraph
    unlisted = (
        f"FILTER(?p NOT IN ({', '.join(str(ox.NamedNode(p)) for p in sorted(LISTED_LINKS))}))"
        if skip_listed
        else ""
    )
    most = MAX_INCOMING_LISTING if skip_listed else MAX_INCOMING
    rows = store.query(
        f"SELECT ?s ?p ?o WHERE {{ ?s ?p ?o {unlisted} }} LIMIT {most + 1}",
        {"o": URIRef(node.value)},
    ).rows
    quads = sorted(
        {ox.Quad(to_oxigraph(row["s"]), to_oxigraph(row["p"]), node) for row in rows},  # type: ignore[arg-type]
        key=str,
    )
    return set(quads[:most]), len(quads) > most


#: The kinds of node whose page lists their trials (trials.py), by the class that makes them so.
_LISTING_KINDS = (("drug", "eg:Drug"), ("condition", "eg:Condition"), ("class", "eg:MeshTerm"))


def _listing_kind(own: Iterable[ox.Quad]) -> str | None:
    """Which trials listing a node's page has (``drug``, ``condition``, ``class``), by its
    types; None for a node of another kind."""
    kinds = {
        o.value for q in own if q.predicate == RDF_TYPE and isinstance(o := q.object, ox.NamedNode)
    }
    if kinds & (_subclasses("eg:Study") | _subclasses("eg:Source")):
        return None
    return next((kind for kind, curie in _LISTING_KINDS if _p(curie) in kinds), None)


def _model_quads(node: ox.NamedNode) -> set[ox.Quad]:
    """A model term's triples from the packaged model, for a store that does not hold them."""
    pairs = model_graph().predicate_objects(URIRef(node.value))
    return {ox.Quad(node, ox.NamedNode(str(p)), to_oxigraph(o)) for p, o in pairs}


def _is_node(term: object) -> bool:
    return isinstance(term, (ox.NamedNode, ox.BlankNode))


def _subjects(quads: Iterable[ox.Quad], curie: str) -> set[_Subject]:
    """The subjects of the quads along one predicate (RDF-star triples left out)."""
    predicate = _p(curie)
    found = (q.subject for q in quads if q.predicate.value == predicate)
    return {s for s in found if isinstance(s, (ox.NamedNode, ox.BlankNode))}


def _objects(quads: Iterable[ox.Quad], *curies: str) -> list[ox.NamedNode]:
    """The IRIs the quads link to along the given predicates, sorted."""
    wanted = {_p(curie) for curie in curies}
    found = {q.object for q in quads if q.predicate.value in wanted}
    return sorted((n for n in found if isinstance(n, ox.NamedNode)), key=lambda n: n.value)


def _study_record(store: Store, study: ox.NamedNode, quads: set[ox.Quad]) -> Selection:
    """A study's triples with those of its parts: arms and what they receive, outcomes,
    registry links, findings, and the sources it or its findings derive from or that report
    it; all of them described, so that their provenance comes along."""
    own = [q for q in quads if q.subject == study]
    parts = _objects(own, *_PARTS)
    findings = sorted(_subjects(quads, "eg:ofStudy"), key=str)
    found = quads | store.links([*parts, *findings], [])
    interventions = _objects(found, "eg:receives")
    found |= store.links(interventions, [])
    sources: set[_Subject] = _subjects(quads, "eg:reports")
    sources.update(_objects(own, "prov:wasDerivedFrom"))
    sources.update(_objects((q for q in found if q.subject in findings), "prov:wasDerivedFrom"))
    ordered = sorted(sources, key=str)
    found |= store.links(ordered, [])
    appraisal, assessed = _appraisal(store, _objects(own, "eg:riskOfBias"))
    found |= appraisal
    return Selection(found, {study, *parts, *findings, *interventions, *ordered, *assessed})


def _appraisal(
    store: Store, assessments: Sequence[ox.NamedNode]
) -> tuple[set[ox.Quad], set[_Subject]]:
    """The triples of assessments (a finding's GRADE certainty, a study's RoB 2) and of their
    domain judgements, and the nodes they describe in full."""
    found = store.links(assessments, [])
    held = set(assessments)
    judged = _objects((q for q in found if q.subject in held), "eg:domainJudgement")
    return found | store.links(judged, []), {*assessments, *judged}


def _with_names(store: Store, quads: set[ox.Quad], full: set[_Subject]) -> set[ox.Quad]:
    """``quads`` with the types and names of the nodes they name without describing them in
    full, and the labels of the model's terms (vocabulary concepts, classes) among their
    objects."""
    terms = model_terms()
    named: set[_Subject] = set()
    concepts: set[ox.NamedNode] = set()
    for q in quads:
        if _is_node(q.subject):
            named.add(q.subject)  # type: ignore[arg-type]
        if isinstance(q.object, ox.NamedNode) and q.object in terms:
            concepts.add(q.object)
        elif isinstance(q.object, (ox.NamedNode, ox.BlankNode)) and q.predicate != RDF_TYPE:
            named.add(q.object)
    nodes = sorted(named - full - terms, key=str)
    found = quads | store.about(nodes, _NAMING)
    return found | store.about(sorted(concepts, key=lambda n: n.value), _LABELS)


# --- the page ------------------------------------------------------------------------------


def html_page(title: str, body: str, head: str = "") -> str:
    """A whole page of the server's: ``title`` is escaped here; ``body`` and ``head`` are
    HTML the caller has escaped."""
    return render("page.html", title=title, body=Markup(body), head=Markup(head))


def resource_html(
    store: Store, iri: str, local_path: LocalPath, arguments: Sequence[tuple[str, str]] = ()
) -> str | None:
    """The HTML page of ``iri``, or None when the store knows nothing of it (404).

    ``local_path`` maps an IRI under the project's base to the path that serves it; links to
    other IRIs go to the IRI itself (http and https only). Every text is escaped.
    ``arguments`` are the request's parameters: a drug's, condition's or MeSH class's page
    takes its facet choices and page number from them (trials.py).
    """
    description = _gather(store, iri, for_page=True)
    if not description.quads:
        return None
    node = ox.NamedNode(iri)
    own = [q for q in description.quads if q.subject == node]
    kind = _listing_kind(own)
    counted = None
    if kind is not None:  # a drug, condition or class thousands of records may state
        kept = COUNTED.ready(store)
        counted = kept.get(iri) if kept is not None else None
    attribution = attribute(store, node, description.quads, counted)
    # the summary says of what class each sponsor is (industry, NIH, ...)
    organisations = _objects(own, "eg:sponsor", "eg:collaborator", "eg:funder")
    classes = store.about(organisations, [ox.NamedNode(_p("eg:agencyClass"))])
    page = _ResourcePage(_Facts(description.quads | classes), node, local_path, attribution)
    if kind is not None:
        chosen, number = chosen_facets(arguments)
        page.trials = listing(store, node, kind, chosen, number)
        page.max_incoming = MAX_INCOMING_LISTING
    return render("resource.html", page=page, truncated=description.truncated)


def _count_busiest(store: Store) -> dict[str, StatementCounts]:
    """What the source graphs state of each drug, condition and MeSH term that more than
    :data:`graphs.MANY_GRAPHS` studies link to, counted (their pages' costliest part: a MeSH
    class that 60,000 records label took 170 ms a page at 100,000 studies)."""
    busiest = table_of(store).busiest(MANY_GRAPHS)
    return {node: count_statements(store, ox.NamedNode(node)) for node in busiest}


#: This worker's counts of the busiest nodes (:func:`_count_busiest`) of the store it holds:
#: counted at its start, in the background, after the study table (``workers``), and again
#: after an update; a page of any other node counts its own.
COUNTED: PerStore[dict[str, StatementCounts]] = PerStore(_count_busiest)


def graph_html(
    store: Store,
    iri: str,
    described: Sequence[ox.Quad],
    statements: Sequence[ox.Quad],
    local_path: LocalPath,
) -> str:
    """The HTML page of the source graph ``iri``: what the catalog says of it (``described``)
    and its ``statements`` (the first :data:`MAX_GRAPH_ROWS`), every node named."""
    shown = list(statements[:MAX_GRAPH_ROWS])
    quads = _with_names(store, {*described, *shown}, {ox.NamedNode(iri)})
    entry = catalog_entries(store, [iri])[iri]
    page = _GraphPage(_Facts(quads), ox.NamedNode(iri), local_path, entry, shown, len(statements))
    return render("graph.html", page=page)


class _Facts:
    """The triples of a description, looked up by subject and by object."""

    def __init__(self, quads: Iterable[ox.Quad]) -> None:
        self._out: dict[_Term, dict[str, list[_Term]]] = defaultdict(lambda: defaultdict(list))
        self._in: dict[_Term, list[tuple[_Term, str]]] = defaultdict(list)
        for q in quads:
            self._out[q.subject][q.predicate.value].append(q.object)  # type: ignore[index,arg-type]
            self._in[q.object].append((q.subject, q.predicate.value))  # type: ignore[index,arg-type]

    def properties(self, subject: _Term) -> dict[str, list[_Term]]:
        """Every predicate of ``subject`` with its objects, by the predicates' labels."""
        held = self._out.get(subject, {})
        ordered = sorted(held, key=lambda p: ((_model_labels().get(p) or compact(p)).casefold(), p))
        return {p: self._sorted(held[p]) for p in ordered}

    def objects(self, subject: _Term, curie: str) -> list[_Term]:
        return self._sorted(self._out.get(subject, {}).get(_p(curie), []))

    def first(self, subject: _Term, curie: str) -> _Term | None:
        found = self.objects(subject, curie)
        return found[0] if found else None

    def subjects(self, curie: str, obj: _Term) -> list[_Term]:
        predicate = _p(curie)
        return self._sorted(s for s, p in self._in.get(obj, []) if p == predicate)

    def incoming(self, obj: _Term) -> list[tuple[_Term, str]]:
        return sorted(self._in.get(obj, []), key=lambda pair: (pair[1], self.name(pair[0])))

    def types(self, subject: _Term) -> set[str]:
        return {t.value for t in self._out.get(subject, {}).get(RDF_TYPE.value, [])}

    def name(self, term: _Term) -> str:
        """What a person calls ``term``: its label, title, statement or quote, the model's
        label of a term of the model, or its CURIE."""
        if isinstance(term, ox.Literal):
            return term.value
        if isinstance(term, ox.BlankNode):
            return f"_:{term.value}"
        held = self._out.get(term, {})
        for predicate in _NAME_IRIS:
            names = [n for n in held.get(predicate, []) if isinstance(n, ox.Literal)]
            english = [n for n in names if n.language in (None, "en")]
            if names:
                return min(n.value for n in english or names)
        return _model_labels().get(term.value) or compact(term.value)

    def _sorted(self, terms: Iterable[_Term]) -> list[_Term]:
        return sorted(set(terms), key=lambda t: (self.name(t), str(t)))


def _local_name(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _same_places(terms: Sequence[_Term | None]) -> list[str]:
    """Numbers written to the places of the most precise of them (an estimate 10.1 with its
    interval 1.1 to 19 as 10.1, 1.1, 19.0: the store writes a decimal's shortest form, and
    the paper's 19.0 comes back as 19); a term that is not a decimal number as it is."""
    numbers: list[Decimal | None] = []
    for term in terms:
        number = None
        if isinstance(term, ox.Literal) and term.datatype.value == _XSD + "decimal":
            try:
                number = Decimal(term.value)
            except InvalidOperation:
                number = None
        numbers.append(number if number is not None and number.is_finite() else None)
    places = max(
        (-n.as_tuple().exponent for n in numbers if n is not None),  # type: ignore[operator]
        default=0,
    )
    quantum = Decimal(1).scaleb(-max(places, 0))
    return [
        f"{n.quantize(quantum)}" if n is not None else "" if t is None else t.value
        for n, t in zip(numbers, terms, strict=True)
    ]


def _percent(level: _Term | None) -> str:
    """A confidence level (0.95) as a percentage and a space ("95% "), or nothing."""
    try:
        return f"{float(level.value) * 100:g}% " if isinstance(level, ox.Literal) else ""
    except ValueError:
        return ""


def _domain_rank(domain: _Term | None) -> tuple[int, str]:
    """Where a domain judgement is listed: in GRADE's or RoB 2's order, others last."""
    name = _local_name(domain.value) if isinstance(domain, ox.NamedNode) else ""
    order = _DOMAIN_ORDER.index(name) if name in _DOMAIN_ORDER else len(_DOMAIN_ORDER)
    return order, str(domain)


def _status_rank(status: _Term | None) -> int:
    """Where a claim with this verification status is listed: disagreements first."""
    name = _local_name(status.value) if isinstance(status, ox.NamedNode) else ""
    return _STATUS_ORDER.index(name) if name in _STATUS_ORDER else len(_STATUS_ORDER)


@dataclass(frozen=True)
class _Rated:
    """A finding's rating along one predicate (direction, level of evidence)."""

    label: str
    values: list[_Term]


@dataclass(frozen=True)
class _Result:
    """A finding's numbers as one line of text, then its ratings."""

    numbers: str | None
    rated: list[_Rated]


@dataclass(frozen=True)
class _Judged:
    """One domain judgement of an assessment: the domain, the judgement, how many levels it
    moves a GRADE rating ("-1", "+1"; empty for RoB 2) and its rationale."""

    domain: _Term | None
    judgement: _Term | None
    change: str
    rationale: _Term | None


@dataclass(frozen=True)
class _Assessment:
    """A GRADE certainty or RoB 2 assessment as its page section shows it: the overall level or
    judgement, why, who made it and when, an override's rationale, and each domain."""

    node: _Term
    overall: _Term | None
    rationale: _Term | None
    override: _Term | None
    by: list[_Term]
    dates: list[_Term]
    judgements: list[_Judged]


@dataclass(frozen=True)
class _Identifier:
    """One identifier of a source: a text (``DOI 10.…``) or a term (its URL)."""

    text: str | None = None
    term: _Term | None = None


@dataclass(frozen=True)
class _SummaryValue:
    """One value of a study's summary: the property, the value, and what is said beside it
    (``actual``, ``planned``, an organisation's class)."""

    predicate: str
    value: _Term
    qualifier: str = ""


@dataclass(frozen=True)
class _SummaryRow:
    """One row of a study's summary: its caption, values, and the disagreements of sources
    over its properties."""

    caption: str
    values: list[_SummaryValue]
    disagreements: list[Disagreement]


@dataclass(frozen=True)
class _Shown:
    """How the page shows one term (see ``terms.html``): its kind (``iri``, ``bnode``, or a
    literal as ``lang``, ``url``, ``text``, ``typed``), its text (an IRI's name, a blank
    node's id, a literal's value), and for an IRI where a link goes and its title (the IRI;
    for a typed literal, the datatype's CURIE)."""

    kind: str
    text: str
    href: str | None = None
    external: bool = False
    title: str = ""
    language: str = ""


class _ResourcePage:
    """The page of one resource, as the template ``resource.html`` asks for it: what it is,
    its kind's sections, its triples. The methods hand out terms and texts; the template
    writes them as HTML."""

    def __init__(
        self,
        facts: _Facts,
        node: ox.NamedNode,
        local_path: LocalPath,
        attribution: Attribution | None = None,
    ) -> None:
        self.facts = facts
        self.node = node
        self.local_path = local_path
        self.max_incoming = MAX_INCOMING
        self.attribution = attribution or Attribution()
        self._shown: dict[_Term, _Shown] = {}
        #: a drug's, condition's or MeSH class's trials (trials.py), when the page lists them
        self.trials: Listing | None = None

    # -- source graphs

    def stated_by(self, predicate: str, value: _Term) -> list[tuple[int, SourceGraph]]:
        """The source graphs that state ``predicate`` ``value`` of the page's node, each with
        its number in the page's list of sources."""
        graphs = self.attribution.stated_by.get((predicate, value), [])
        return [(self.attribution.number(graph), graph) for graph in graphs]

    def unlisted(self, predicate: str, value: _Term) -> int:
        """How many graphs beyond the listed ones state ``predicate`` ``value``."""
        listed = len(self.attribution.stated_by.get((predicate, value), []))
        return self.attribution.counts.get((predicate, value), listed) - listed

    @staticmethod
    def kind_label(graph: SourceGraph) -> str:
        """What kind of source the graph holds, as the source-kind scheme names it."""
        return (_model_labels().get(graph.kind) if graph.kind else None) or "source"

    # -- terms

    def href(self, iri: str) -> str | None:
        """Where a link to ``iri`` goes: its local path, the IRI itself (http and https
        only), or None."""
        local = self.local_path(iri)
        if local is not None:
            return local
        return iri if iri.startswith(("http://", "https://")) else None

    def shown(self, term: _Term) -> _Shown:
        """How the page shows ``term``, worked out once per page (a page names the same
        arms, concepts and sources many times)."""
        found = self._shown.get(term)
        if found is None:
            found = self._shown[term] = self._show(term)
        return found

    def _show(self, term: _Term) -> _Shown:
        kind = self.kind_of(term)
        if isinstance(term, ox.NamedNode):
            iri = term.value
            external = not self.local_path(iri)
            return _Shown(kind, self.facts.name(term), self.href(iri), external, iri)
        if isinstance(term, ox.Literal):
            return _Shown(
                kind, term.value, None, False, compact(term.datatype.value), term.language or ""
            )
        return _Shown(kind, term.value)

    @staticmethod
    def kind_of(term: _Term | None) -> str:
        """How the page shows a term: ``iri``, ``bnode``, or a literal as ``lang`` (with its
        language), ``url`` (an xsd:anyURI on the web), ``text`` (a string) or ``typed``."""
        if isinstance(term, ox.NamedNode):
            return "iri"
        if isinstance(term, ox.BlankNode):
            return "bnode"
        if not isinstance(term, ox.Literal):
            return "none"
        if term.language:
            return "lang"
        datatype = term.datatype.value
        if datatype == _XSD + "anyURI" and term.value.startswith(("http://", "https://")):
            return "url"
        return "text" if datatype == _XSD + "string" else "typed"

    @staticmethod
    def curie(iri: str) -> str:
        return compact(iri)

    @staticmethod
    def named(iri: str) -> ox.NamedNode:
        return ox.NamedNode(iri)

    def name(self, term: _Term) -> str:
        return self.facts.name(term)

    @staticmethod
    def predicate_label(iri: str) -> str:
        """A predicate's label in the model, or its CURIE."""
        return _model_labels().get(iri) or compact(iri)

    @staticmethod
    def status_class(status: _Term | None) -> str:
        """The CSS class of a verification status (``status-misreported``)."""
        if not isinstance(status, ox.NamedNode):
            return "status-none"
        return "status-" + "".join(c for c in _local_name(status.value).lower() if c.isalnum())

    def objects(self, subject: _Term, curie: str) -> list[_Term]:
        return self.facts.objects(subject, curie)

    def first(self, subject: _Term, curie: str) -> _Term | None:
        return self.facts.first(subject, curie)

    def subjects(self, curie: str, obj: _Term) -> list[_Term]:
        return self.facts.subjects(curie, obj)

    # -- what every page has

    def kind(self) -> str:
        """Which sections the page has: ``study``, ``finding``, ``claim``, ``source`` or
        ``other``."""
        kinds = self.facts.types(self.node)
        if kinds & _subclasses("eg:Study"):
            return "study"
        if _p("eg:Finding") in kinds:
            return "finding"
        if _p("eg:Claim") in kinds:
            return "claim"
        if kinds & _subclasses("eg:Source"):
            return "source"
        own = [ox.Quad(self.node, RDF_TYPE, ox.NamedNode(kind)) for kind in kinds]
        return _listing_kind(own) or "other"

    def assessment(self, curie: str) -> _Assessment | None:
        """The page's node's assessment along ``curie`` (``eg:certainty`` of a finding,
        ``eg:riskOfBias`` of a study), its domains in GRADE's or RoB 2's order; or None."""
        node = self.facts.first(self.node, curie)
        if node is None:
            return None
        facts, changes = self.facts, _rating_changes()
        judged = []
        for judgement_node in facts.objects(node, "eg:domainJudgement"):
            domain = facts.first(judgement_node, "eg:domain")
            judgement = facts.first(judgement_node, "eg:judgement")
            change = changes.get(judgement.value) if isinstance(judgement, ox.NamedNode) else None
            judged.append(
                _Judged(
                    domain,
                    judgement,
                    "" if change is None else f"{change:+d}" if change else "0",
                    facts.first(judgement_node, "eg:rationale"),
                )
            )
        judged.sort(key=lambda row: _domain_rank(row.domain))
        overall = facts.first(node, "eg:evidenceLevel") or facts.first(node, "eg:overallJudgement")
        return _Assessment(
            node=node,
            overall=overall,
            rationale=facts.first(node, "eg:rationale"),
            override=facts.first(node, "eg:overrideRationale"),
            by=facts.objects(node, "prov:wasAttributedTo"),
            dates=facts.objects(node, "dcterms:date"),
            judgements=judged,
        )

    # -- a drug's, a condition's, a MeSH class's trials

    def facet_href(self, name: str, value: str | None) -> str:
        """The page's address with facet ``name`` set to ``value`` (None: cleared), from
        the first page."""
        chosen = dict(self.trials.chosen) if self.trials else {}
        if value is None:
            chosen.pop(name, None)
        else:
            chosen[name] = value
        return "?" + urlencode(sorted(chosen.items())) + "#trials"

    def page_href(self, number: int) -> str:
        """The page's address at page ``number`` of its trials, with the same facets."""
        chosen = sorted(self.trials.chosen.items()) if self.trials else []
        return "?" + urlencode([*chosen, ("page", str(number))]) + "#trials"

    def facet_label(self, name: str, value: str) -> str:
        """How a facet's value reads: a concept's label, "yes"/"no", a year."""
        if name in ("phase", "status", "design"):
            return _model_labels().get(value) or compact(value)
        return value

    def formats(self) -> list[tuple[str, str, str]]:
        """(path, media type, name) of each alternate format of the page's resource."""
        path = self.local_path(self.node.value)
        if path is None or "#" in path:
            return []
        return [(path + extension, media, name) for extension, media, name in ALTERNATES]

    def ontology_anchor(self) -> str | None:
        """The anchor of the page's resource on the ontology page, when it is a term of
        the model."""
        iri = self.node.value
        return ontology_anchor(iri) if self.node in model_terms() else None

    def properties(self) -> list[tuple[str, list[_Term]]]:
        """Every predicate of the resource but its types, with its objects."""
        found = self.facts.properties(self.node).items()
        return [(p, objects) for p, objects in found if p != RDF_TYPE.value]

    def incoming(self) -> list[tuple[_Term, str]]:
        return self.facts.incoming(self.node)

    @staticmethod
    def listing_kinds() -> tuple[str, ...]:
        """The kinds of page that list their trials."""
        return tuple(kind for kind, _ in _LISTING_KINDS)

    # -- a study

    def summary(self) -> list[_SummaryRow]:
        """The study's key facts (:data:`_SUMMARY`), each value with whether it is actual or
        planned and the sponsor's class; for a fact where sources disagree, every value with
        the graphs that state it."""
        facts = self.facts
        differ = {d.predicate: d for d in self.attribution.disagreements}
        rows = []
        for caption, curies in _SUMMARY:
            values: list[_SummaryValue] = []
            disagreements = []
            for curie in curies:
                predicate = _p(curie)
                if predicate in differ:
                    disagreements.append(differ[predicate])
                for value in facts.objects(self.node, curie):
                    values.append(_SummaryValue(predicate, value, self._qualifier(curie, value)))
            if values:
                rows.append(_SummaryRow(caption, values, disagreements))
        return rows

    def _qualifier(self, curie: str, value: _Term) -> str:
        """What a summary value needs beside it: actual or planned, an organisation's class,
        an age group's label."""
        flag = _ACTUAL.get(curie)
        if flag is not None:
            actual = self.facts.first(self.node, flag)
            if isinstance(actual, ox.Literal):
                return "actual" if actual.value in ("true", "1") else "planned"
            return ""
        if curie in ("eg:sponsor", "eg:collaborator", "eg:funder"):
            classes = [self.facts.name(c) for c in self.facts.objects(value, "eg:agencyClass")]
            return ", ".join(classes)
        return ""

    def other_disagreements(self) -> list[Disagreement]:
        """Where sources disagree, but on a study's facts its summary shows with every
        source's value already."""
        if self.kind() != "study":
            return self.attribution.disagreements
        shown = {_p(curie) for _, curies in _SUMMARY for curie in curies}
        return [d for d in self.attribution.disagreements if d.predicate not in shown]

    def summary_predicates(self) -> frozenset[str]:
        """The properties the summary and the study's sections show."""
        shown = {_p(curie) for _, curies in _SUMMARY for curie in curies}
        return frozenset(shown | {_p(curie) for curie in _SHOWN_IN_SECTIONS})

    def other_properties(self) -> list[tuple[str, list[_Term]]]:
        """The properties of a study the summary and its sections do not show."""
        shown = self.summary_predicates()
        return [(p, objects) for p, objects in self.properties() if p not in shown]

    def other_incoming(self) -> list[tuple[_Term, str]]:
        """Links into a study other than from the findings, claims and sources its sections
        show."""
        shown = {_p(curie) for curie in _SHOWN_INCOMING}
        return [(s, p) for s, p in self.incoming() if p not in shown]

    def registry_links(self) -> list[tuple[_Term, str, _Term | None, _Term | None]]:
        """Each registry link: the link, what it shows, its basis and its status."""
        found = []
        for link in self.facts.objects(self.node, "eg:registryLink"):
            registry_id = self.facts.first(link, "eg:registryId")
            shown = self.facts.name(registry_id if registry_id is not None else link)
            basis = self.facts.first(link, "eg:linkBasis")
            found.append((link, shown, basis, self.facts.first(link, "eg:verificationStatus")))
        return found

    @staticmethod
    def primary(value: _Term | None) -> str:
        if not isinstance(value, ox.Literal):
            return "—"
        return "primary" if value.value in ("true", "1") else "secondary"

    def result(self, finding: _Term) -> _Result:
        """A finding's numbers (measure, value and unit, confidence interval, p-value,
        spread), then its direction and level of evidence."""
        facts = self.facts
        name = self.plain
        parts = []
        measure = facts.first(finding, "eg:effectMeasure")
        value = facts.first(finding, "eg:value")
        unit = facts.first(finding, "eg:unitLabel") or facts.first(finding, "eg:unit")
        if unit is not None and name(unit).strip().casefold() in _UNITLESS:
            unit = None  # "odds ratio: 0.8 ratio" says "ratio" twice
        lower, upper = facts.first(finding, "eg:ciLower"), facts.first(finding, "eg:ciUpper")
        # an estimate and its interval to one precision: the store keeps 19.0 as 19
        numbers = _same_places([value, lower, upper])
        if value is not None:
            shown = numbers[0] + (f" {name(unit)}" if unit is not None else "")
            parts.append(f"{name(measure)}: {shown}" if measure is not None else shown)
        elif measure is not None:
            parts.append(name(measure))
        if lower is not None and upper is not None:
            percent = _percent(facts.first(finding, "eg:confidenceLevel"))
            parts.append(f"{percent}CI {numbers[1]} to {numbers[2]}")
        for curie, caption in (("eg:pValue", "p = "), ("eg:denominator", "of ")):
            found = facts.first(finding, curie)
            if found is not None:
                parts.append(caption + name(found))
        spread = facts.first(finding, "eg:spread")
        if spread is not None:
            spread_type = facts.first(finding, "eg:spreadType")
            parts.append(f"{name(spread_type) if spread_type else 'spread'} {name(spread)}")
        rated = [
            _Rated(_model_labels().get(_p(curie)) or curie, values)
            for curie in ("eg:direction", "eg:evidenceLevel")
            if (values := facts.objects(finding, curie))
        ]
        return _Result("; ".join(parts) if parts else None, rated)

    def plain(self, term: _Term | None) -> str:
        """A term's name, or a dash."""
        return "—" if term is None else self.facts.name(term)

    def claims_about(self) -> tuple[list[_Term], dict[_Term, list[str]], list[_Term]]:
        """The claims about the study (in order, with how each is tied to it), and the other
        claims its findings or sources bear on, in order."""
        facts = self.facts
        direct: dict[_Term, list[str]] = {}
        for curie, words in _CLAIM_TIES:
            for claim in facts.subjects(curie, self.node):
                if _p("eg:Claim") in facts.types(claim):
                    direct.setdefault(claim, []).append(words)
        evidence = {
            *facts.subjects("eg:ofStudy", self.node),
            *facts.subjects("eg:reports", self.node),
            *facts.objects(self.node, "prov:wasDerivedFrom"),
        }
        bearing = {
            claim
            for item in evidence
            for curie in ("eg:supportedBy", "eg:disputedBy")
            for claim in facts.subjects(curie, item)
            if claim not in direct
        }
        return (
            sorted(direct, key=self.claim_order),
            direct,
            sorted(bearing, key=self.claim_order),
        )

    def sorted_claims(self, claims: Iterable[_Term]) -> list[_Term]:
        """Claims in the order the page lists them: disagreements first, then by name."""
        return sorted(claims, key=self.claim_order)

    def claim_order(self, claim: _Term) -> tuple[int, str]:
        return _status_rank(self.facts.first(claim, "eg:verificationStatus")), self.facts.name(
            claim
        )

    def claim_summary(self, claims: Sequence[_Term]) -> tuple[str, list[tuple[_Term | None, int]]]:
        """How many claims from how many sources (``3 claims from 1 source``), and how many
        of them stand each way, disagreements first."""
        facts = self.facts
        sources = {s for claim in claims for s in facts.objects(claim, "eg:assertedBy")}
        statuses = Counter(facts.first(claim, "eg:verificationStatus") for claim in claims)
        counted = sorted(statuses.items(), key=lambda item: _status_rank(item[0]))
        return f"{_count(len(claims), 'claim')} from {_count(len(sources), 'source')}", counted

    @staticmethod
    def peer_review(reviewed: _Term | None) -> str | None:
        if not isinstance(reviewed, ox.Literal):
            return None
        return "peer reviewed" if reviewed.value in ("true", "1") else "not peer reviewed"

    def sources(self) -> list[tuple[_Term, list[_Identifier], str]]:
        """The study's sources by name: each with its identifiers and its roles."""
        facts = self.facts
        roles: dict[_Term, list[str]] = defaultdict(list)
        for source in facts.subjects("eg:reports", self.node):
            roles[source].append("reports this study")
        for source in facts.objects(self.node, "prov:wasDerivedFrom"):
            roles[source].append("the study record draws on it")
        for finding in facts.subjects("eg:ofStudy", self.node):
            for source in facts.objects(finding, "prov:wasDerivedFrom"):
                if "findings derive from it" not in roles[source]:
                    roles[source].append("findings derive from it")
        rows = []
        for source in sorted(roles, key=lambda s: facts.name(s)):
            identifiers = [
                *(_Identifier(f"DOI {self.plain(v)}") for v in facts.objects(source, "eg:doi")),
                *(_Identifier(f"PMID {self.plain(v)}") for v in facts.objects(source, "eg:pmid")),
                *(_Identifier(term=v) for v in facts.objects(source, "eg:url")),
            ]
            rows.append((source, identifiers, "; ".join(roles[source])))
        return rows


class _GraphPage(_ResourcePage):
    """The page of one source graph (``graph.html``): the catalog's description of it and its
    statements."""

    def __init__(
        self,
        facts: _Facts,
        node: ox.NamedNode,
        local_path: LocalPath,
        entry: SourceGraph,
        statements: list[ox.Quad],
        total: int,
    ) -> None:
        super().__init__(facts, node, local_path)
        self.entry = entry
        self.statements = statements
        self.total = total

    def is_catalog(self) -> bool:
        """Whether the page's graph is the catalog."""
        return self.node.value == CATALOG

    def title(self) -> str:
        """The graph's source by name, else the graph's own name."""
        return self.entry.source_name or self.entry.short_name

    def formats(self) -> list[tuple[str, str, str]]:
        path = self.local_path(self.node.value)
        if path is None:
            return []
        return [(path + extension, media, name) for extension, media, name in GRAPH_ALTERNATES]

    def rows(self) -> list[tuple[_Term, str, _Term]]:
        """The statements shown, as (subject, predicate, object)."""
        return [(q.subject, q.predicate.value, q.object) for q in self.statements]  # type: ignore[misc]


#: The formats a graph's page links to: extension, media type, name.
GRAPH_ALTERNATES = (
    (".trig", "application/trig", "TriG"),
    (".nq", "application/n-quads", "N-Quads"),
    (".ttl", "text/turtle", "Turtle"),
    (".nt", "application/n-triples", "N-Triples"),
)
