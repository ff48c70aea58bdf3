"""Linked-data pages on the built curated store: what a dereference returns (``describe``),
the resource pages (``resource_html``) and the ontology page (``ontology_html``)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SKOS

from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.ontology.namespace import EG, EGID, EGV
from evidencegraph.rdf.model import model_graph
from evidencegraph.server import pages
from evidencegraph.server.ontology_page import ontology_html
from evidencegraph.server.pages import describe, html_page, resource_html
from evidencegraph.server.urls import local_path
from evidencegraph.store.core import OxigraphStore

KARE = str(EGID["study/NCT02649231"])
ARM_KETAMINE_THERAPY = str(EGID["study/NCT02649231/arm/ketamine-therapy"])
ARM_SALINE_EDUCATION = str(EGID["study/NCT02649231/arm/saline-education"])
KETAMINE_INFUSION = str(EGID["study/NCT02649231/intervention/ketamine-infusion"])
FINDING_86 = str(EGID["finding/NCT02649231/pda-ketamine-therapy-86-percent"])
CLAIM_86 = str(EGID["claim/000/result-86-abstinence-rate"])
CLAIM_AMBIGUOUS = str(EGID["claim/002/ajp-study-drinking-days-vs-placebo"])
ARTICLE_000 = str(EGID["source/web/000-ketamine-infusion-alcoholism"])
KARE_PAPER = str(EGID["source/doi/10.1176/appi.ajp.2021.21030277"])
UNKNOWN = str(EGID["study/NCT00000000"])


class _Page(HTMLParser):
    """What a page holds: its text, its links, its ids."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.text: list[str] = []
        self.hrefs: list[str] = []
        self.ids: list[str] = []
        self.tags: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name == "href" and value is not None:
                self.hrefs.append(value)
            if name == "id" and value is not None:
                self.ids.append(value)

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    @property
    def plain(self) -> str:
        return " ".join(" ".join(self.text).split())


def _triples(quads: list[ox.Quad]) -> set[tuple[str, str, str]]:
    return {(q.subject.value, q.predicate.value, str(q.object)) for q in quads}  # type: ignore[union-attr]


def _has(quads: list[ox.Quad], subject: str, predicate: str, obj: str | None = None) -> bool:
    return any(
        q.subject.value == subject  # type: ignore[union-attr]
        and q.predicate.value == predicate
        and (obj is None or q.object.value == obj)  # type: ignore[union-attr]
        for q in quads
    )


@pytest.fixture(scope="module")
def kare_page(built: EvidenceGraph) -> _Page:
    page = resource_html(built.store, KARE, local_path)
    assert page is not None
    return _Page(page)


# --- describe ---------------------------------------------------------------------------


def test_describe_of_a_study_holds_its_record(built: EvidenceGraph) -> None:
    quads = describe(built.store, KARE)
    assert _has(quads, KARE, str(EG.hasArm), ARM_KETAMINE_THERAPY)
    assert _has(quads, KARE, "http://purl.org/dc/terms/title")
    # the arms in full: what each receives, with the interventions' own triples
    assert _has(quads, ARM_KETAMINE_THERAPY, str(EG.receives), KETAMINE_INFUSION)
    assert _has(quads, ARM_SALINE_EDUCATION, str(EG.armRole), str(EGV.PlaceboComparatorArm))
    assert _has(quads, KETAMINE_INFUSION, str(EG.drug), str(EGID["drug/ketamine"]))
    # its findings, and the names of what they name
    assert _has(quads, FINDING_86, str(EG.ofStudy), KARE)
    assert _has(quads, FINDING_86, str(EG.value))
    assert _has(quads, str(EGID["drug/ketamine"]), "http://www.w3.org/2000/01/rdf-schema#label")


def test_describe_of_a_study_brings_the_claims_and_their_sources(built: EvidenceGraph) -> None:
    quads = describe(built.store, KARE)
    # a claim about the study, whole, and the source that asserts it, whole
    assert _has(quads, CLAIM_86, str(EG.assertedBy), ARTICLE_000)
    assert _has(quads, CLAIM_86, str(EG.verificationStatus), str(EGV.Misreported))
    assert _has(quads, CLAIM_86, str(EG.disputedBy), FINDING_86)
    assert _has(quads, ARTICLE_000, str(EG.peerReviewed))
    assert _has(quads, ARTICLE_000, str(EG.commercialInterest))
    # a claim that names the study only as one candidate referent
    assert _has(quads, CLAIM_AMBIGUOUS, str(EG.candidateReferent), KARE)
    # the sources of the study itself
    assert _has(quads, KARE_PAPER, str(EG.reports), KARE)
    assert _has(quads, KARE_PAPER, str(EG.doi))
    # the labels of the concepts it uses
    assert _has(quads, str(EGV.Misreported), str(SKOS.prefLabel))


def test_describe_is_sorted_and_has_no_duplicates(built: EvidenceGraph) -> None:
    quads = describe(built.store, KARE)
    assert len(quads) == len(set(quads))
    assert quads == sorted(quads, key=lambda q: (str(q.subject), q.predicate.value, str(q.object)))


def test_describe_of_a_claim_brings_its_source(built: EvidenceGraph) -> None:
    quads = describe(built.store, CLAIM_86)
    assert _has(quads, CLAIM_86, str(EG.quote))
    assert _has(quads, ARTICLE_000, str(EG.peerReviewed))
    assert _has(quads, FINDING_86, str(EG.statement))  # the finding that disputes it, named


def test_describe_of_a_source_brings_its_claims(built: EvidenceGraph) -> None:
    quads = describe(built.store, ARTICLE_000)
    assert _has(quads, CLAIM_86, str(EG.verificationStatus), str(EGV.Misreported))
    assert _has(quads, CLAIM_86, str(EG.quote))


def test_describe_of_an_unknown_iri_is_empty(built: EvidenceGraph) -> None:
    assert describe(built.store, UNKNOWN) == []
    assert describe(built.store, "not an IRI") == []
    assert resource_html(built.store, UNKNOWN, local_path) is None
    assert resource_html(built.store, "not an IRI", local_path) is None


def test_describe_reads_back_as_rdf(built: EvidenceGraph) -> None:
    quads = describe(built.store, KARE)
    data = ox.serialize(
        [ox.Triple(q.subject, q.predicate, q.object) for q in quads], format=ox.RdfFormat.TURTLE
    )
    assert data is not None
    graph = Graph().parse(data=data, format="turtle")
    assert len(graph) == len(quads)
    assert (URIRef(KARE), EG.acronym, Literal("KARE")) in graph


def test_incoming_links_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    store = OxigraphStore(None)
    concept = str(EGV.Completed)
    store.add((URIRef(f"{EGID}study/s{n}"), EG.overallStatus, URIRef(concept)) for n in range(5))
    monkeypatch.setattr(pages, "MAX_INCOMING", 3)
    quads = describe(store, concept)
    assert sum(1 for q in quads if q.object.value == concept) == 3  # type: ignore[union-attr]
    page = resource_html(store, concept, local_path)
    assert page is not None and "The first 3 links are shown" in page


def test_a_model_term_is_described_from_the_model_when_the_store_lacks_it() -> None:
    store = OxigraphStore(None)
    quads = describe(store, str(EGV.Completed))
    assert _has(quads, str(EGV.Completed), str(SKOS.prefLabel))
    page = resource_html(store, str(EGV.Completed), local_path)
    assert page is not None and "<h1>completed</h1>" in page


# --- the study page ---------------------------------------------------------------------


def test_study_page_shows_arms_and_what_they_receive(kare_page: _Page) -> None:
    text = kare_page.plain
    for arm in (
        "ketamine + relapse-prevention based therapy",
        "ketamine + alcohol education",
        "saline placebo + relapse-prevention based therapy",
        "saline placebo + alcohol education",
    ):
        assert arm in text
    assert "ketamine 0.8 mg/kg IV over 40 minutes, three weekly infusions" in text
    assert "saline placebo, three weekly IV infusions" in text
    assert "placebo comparator" in text and "experimental" in text
    assert "/id/study/NCT02649231/arm/ketamine-therapy" in kare_page.hrefs
    assert "/id/drug/ketamine" in kare_page.hrefs
    assert "alcohol use disorder" in text  # its condition


def test_study_page_shows_outcomes_and_findings_with_their_numbers(kare_page: _Page) -> None:
    text = kare_page.plain
    assert "percentage of days abstinent" in text
    assert "Ketamine increased the percentage of days abstinent by 10.1 percentage points" in text
    assert "mean difference: 10.1 percentage point; 95% CI 1.1 to 19" in text
    # issue 20: the unit "ratio" restated the measure; FACTS.md (a) writes 0.80 (0.31 to 2.10)
    assert "odds ratio: 0.80; 95% CI 0.31 to 2.10" in text
    assert "moderate certainty" in text


def test_study_page_shows_the_claims_their_sources_and_how_they_stand(kare_page: _Page) -> None:
    text = kare_page.plain
    assert "Claims about this study" in text
    assert "Result: 86% abstinence rate over 6 months" in text
    assert "Seed article 000" in text  # the source that makes it
    assert "not peer reviewed" in text
    assert "commercial interest" in text
    assert "misreported" in text and "confirmed" in text and "ambiguous referent" in text
    # where the claim disagrees with the evidence: the finding that disputes it, linked
    assert "Disputed by" in text
    assert "/id/finding/NCT02649231/pda-ketamine-therapy-86-percent" in kare_page.hrefs
    # disagreements come first
    assert text.index("misreported") < text.index("Participants: 96 individuals")
    # a claim that only names the study as a candidate referent says so
    assert "may be about this study (a candidate referent)" in text
    # the claims its evidence bears on without naming the study
    assert "Ketamine therapy may provide temporary relief, but not lasting sobriety." in text


def test_study_page_lists_its_sources_and_alternate_formats(kare_page: _Page) -> None:
    text = kare_page.plain
    assert "Grabski et al. 2022, American Journal of Psychiatry (KARE trial results)" in text
    assert "DOI 10.1176/appi.ajp.2021.21030277" in text
    assert "NIHR news item on the KARE results (August 2024)" in text
    for extension in (".ttl", ".jsonld", ".nt"):
        assert f"/id/study/NCT02649231{extension}" in kare_page.hrefs


def test_study_page_links_only_to_local_paths_and_web_addresses(kare_page: _Page) -> None:
    for href in kare_page.hrefs:
        assert href.startswith(("/", "#", "http://", "https://")) or href == "data:,", href
    assert "/ontology#Trial" in kare_page.hrefs  # its type, in the ontology's page
    # an outside property (the title is the page's heading, issue 20)
    assert "http://www.w3.org/2000/01/rdf-schema#comment" in kare_page.hrefs


def test_claim_page_says_where_the_claim_comes_from(built: EvidenceGraph) -> None:
    page = resource_html(built.store, CLAIM_86, local_path)
    assert page is not None
    text = _Page(page).plain
    assert "Where this claim comes from" in text
    assert "Seed article 000" in text and "misreported" in text
    assert "86% of days abstinent in that arm" in text  # the finding that disputes it


def test_source_page_lists_the_claims_it_makes(built: EvidenceGraph) -> None:
    page = resource_html(built.store, ARTICLE_000, local_path)
    assert page is not None
    text = _Page(page).plain
    assert "Claims this source makes" in text
    assert re.search(r"\d+ claims from 1 source: \d+ misreported", text)
    assert "Result: 86% abstinence rate over 6 months" in text


def test_concept_page_lists_what_uses_it(built: EvidenceGraph) -> None:
    page = resource_html(built.store, str(EGV.Misreported), local_path)
    assert page is not None
    parsed = _Page(page)
    assert "<h1>misreported</h1>" in page
    assert "/id/claim/000/result-86-abstinence-rate" in parsed.hrefs
    assert "/vocab/Misreported.ttl" in parsed.hrefs


# --- escaping ---------------------------------------------------------------------------


def test_hostile_text_is_escaped() -> None:
    store = OxigraphStore(None)
    node = URIRef(f"{EGID}study/evil")
    arm = URIRef(f"{EGID}study/evil/arm/x'onmouseover=alert(4)&y")
    store.add(
        [
            (node, URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), EG.Trial),
            (node, URIRef("http://purl.org/dc/terms/title"), Literal("<script>alert(1)</script>")),
            (node, EG.acronym, Literal('"><img src=x onerror=alert(2)>')),
            (node, EG.sponsor, URIRef("javascript:alert(3)")),
            (node, EG.hasArm, arm),
            (arm, URIRef(str(EG) + "x"), Literal("&amp;")),
        ]
    )
    page = resource_html(store, str(node), local_path)
    assert page is not None
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img" not in page
    assert "'onmouseover" not in page and "&#x27;onmouseover=alert(4)&amp;y" in page
    parsed = _Page(page)
    assert not any(href.startswith("javascript:") for href in parsed.hrefs)
    assert set(parsed.tags) <= {
        "html", "head", "meta", "title", "link", "body", "header", "a", "nav", "main", "h1",
        "h2", "h3", "p", "code", "section", "table", "tr", "th", "td", "ul", "li", "span",
        "br", "ol", "div", "blockquote",
        "form", "input", "script",  # the search box on every page (issue 20), its script
    }  # fmt: skip
    assert page.count("<script") == 1 and '<script src="/static/search.js" defer>' in page


def test_html_page_escapes_its_title() -> None:
    page = html_page("<b>x</b>", "<p>body</p>")
    assert "<title>&lt;b&gt;x&lt;/b&gt; · evidencegraph</title>" in page
    assert '<link rel="stylesheet" href="/static/style.css">' in page


# --- the ontology page ------------------------------------------------------------------


@pytest.fixture(scope="module")
def ontology_page() -> _Page:
    return _Page(ontology_html(local_path))


def test_ontology_page_has_an_anchor_for_every_term(ontology_page: _Page) -> None:
    ids = set(ontology_page.ids)
    assert len(ids) == len(ontology_page.ids), "an id is used twice"
    for term in ("Study", "Trial", "Claim", "hasArm", "verificationStatus", "assertedBy"):
        assert term in ids
    graph = model_graph()
    concepts = {str(c) for c in graph.subjects(SKOS.inScheme, None)}
    assert concepts
    for concept in concepts:
        assert "egv-" + concept.removeprefix(str(EGV)) in ids, concept
    assert "egv-VerificationStatusScheme" in ids
    # a class and a concept share a local name (eg:Placebo, egv:Placebo): two anchors
    assert {"Placebo", "egv-Placebo"} <= ids


def test_ontology_page_documents_classes_properties_and_concepts(ontology_page: _Page) -> None:
    text = ontology_page.plain
    assert "An interventional study" in text  # eg:Trial's definition
    assert "#Study" in ontology_page.hrefs  # Trial's superclass, on the page
    assert "#Arm" in ontology_page.hrefs  # eg:hasArm's range
    assert "A primary source exists for what the claim is about" in text  # egv:Misreported
    assert "/vocab/Misreported" in ontology_page.hrefs  # the concept's own page
    assert "/ontology.ttl" in ontology_page.hrefs


def test_study_page_shows_an_inferred_registry_link_with_its_status(built: EvidenceGraph) -> None:
    page = resource_html(built.store, str(EGID["study/dakwar-2019"]), local_path)
    assert page is not None
    text = _Page(page).plain
    assert "Registry link: NCT02539511 (inferred) unverified" in text
    assert "midazolam 0.025 mg/kg, one IV infusion (active placebo)" in text


# --- templates and the one model renderer -----------------------------------------------


def test_every_page_is_rendered_from_a_packaged_template_with_autoescaping() -> None:
    from evidencegraph.server.templating import environment, render

    env = environment()
    assert env.autoescape is True
    names = set(env.list_templates())
    assert {"base.html", "resource.html", "ontology.html", "index.html", "queries.html"} <= names
    for name in names:  # each one compiles
        env.get_template(name)
    # a value is escaped unless it is markup, as html.escape does it (quotes too)
    page = render("queries.html", queries=[])
    assert "<title>Named queries · evidencegraph</title>" in page
    hostile = env.from_string('<a title="{{ x }}">{{ x }}</a>').render(x="\"'><script>")
    assert hostile == '<a title="&quot;&#x27;&gt;&lt;script&gt;">&quot;&#x27;&gt;&lt;script&gt;</a>'
    # and the templates ship with the package: setup.cfg names them as package data
    setup = (Path(__file__).parent.parent / "setup.cfg").read_text(encoding="utf-8")
    assert "server/templates/*.html" in setup and "jinja2" in setup.lower()


def test_the_ontology_page_and_the_reference_render_one_description() -> None:
    from evidencegraph.ontology.description import describe_model
    from evidencegraph.ontology.reference import render_reference

    model = describe_model()
    page = ontology_html(local_path)
    parsed = _Page(page)
    markdown = render_reference()
    terms = [*model.classes, *model.properties, *model.schemes]
    assert len(model.classes) > 10 and len(model.properties) > 10 and model.schemes
    for term in terms:
        anchor = str(term.iri).removeprefix(str(EG)).replace(str(EGV), "egv-")
        assert anchor in parsed.ids, term.iri
        assert f'<a id="{term.curie.replace(":", "-")}"></a>' in markdown, term.iri
        assert term.label in parsed.plain and term.curie in markdown
        for alignment in term.alignments:  # the alignments in both outputs
            for target in alignment.targets:
                assert str(target) in page, (term.iri, target)
        for comment in term.comments:  # comments on the page
            assert " ".join(comment.split()) in parsed.plain
    for scheme in model.schemes:
        for concept in scheme.concepts:
            assert "egv-" + str(concept.iri).removeprefix(str(EGV)) in parsed.ids
            assert concept.curie in markdown


def test_no_module_imports_a_private_name_from_another_package() -> None:
    import ast

    src = Path(__file__).parent.parent / "src" / "evidencegraph"
    found = []
    for path in sorted(src.rglob("*.py")):
        package = ".".join(("evidencegraph", *path.relative_to(src).parent.parts))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom) or not node.module:
                continue
            if not node.module.startswith("evidencegraph"):
                continue
            target = node.module.rsplit(".", 1)[0] if node.module != "evidencegraph" else ""
            same = node.module == package or target == package
            for alias in node.names:
                if alias.name.startswith("_") and not same and node.module != "evidencegraph":
                    found.append(f"{path.relative_to(src)}: from {node.module} import {alias.name}")
    assert not found, found


TINY_MODEL = """
@prefix eg: <https://w3id.org/evidencegraph/ontology#> .
@prefix egv: <https://w3id.org/evidencegraph/vocab/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
<https://w3id.org/evidencegraph/ontology> a owl:Ontology ; dcterms:title "Tiny <b>model</b>" .
eg:Thing a owl:Class ; rdfs:label "thing <script>alert(1)</script>" ;
    skos:definition "A | B * c" ; rdfs:comment "a note about 'things'" ;
    skos:closeMatch <https://example.org/Thing> .
eg:Part a owl:Class ; rdfs:subClassOf eg:Thing .
eg:hasPart a owl:ObjectProperty ; rdfs:label "has part" ; rdfs:domain eg:Thing ;
    rdfs:range eg:Part .
"""
TINY_VOCAB = """
@prefix eg: <https://w3id.org/evidencegraph/ontology#> .
@prefix egv: <https://w3id.org/evidencegraph/vocab/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
egv:S a skos:ConceptScheme ; skos:prefLabel "scheme" .
egv:A a skos:Concept ; skos:inScheme egv:S ; skos:prefLabel "a" ; eg:rank 2 .
egv:B a skos:Concept ; skos:inScheme egv:S ; skos:prefLabel "b \\"quoted\\"" ;
    skos:broader egv:A ; skos:notation "B1" .
"""
TINY_SHAPES = """
@prefix eg: <https://w3id.org/evidencegraph/ontology#> .
@prefix egv: <https://w3id.org/evidencegraph/vocab/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
eg:ThingShape a sh:NodeShape ; sh:targetClass eg:Thing ;
    sh:property [ sh:path eg:kind ; sh:in ( egv:A egv:B ) ] .
"""


def test_one_description_of_any_model_renders_as_the_page_and_as_markdown() -> None:
    """Whatever the model files hold (here a tiny one with markup in its texts, a class with
    no label or definition, a narrower concept), both outputs come from one description."""
    from evidencegraph.ontology.description import describe_graphs
    from evidencegraph.ontology.reference import render_markdown
    from evidencegraph.server.ontology_page import render_model

    model = describe_graphs(
        Graph().parse(data=TINY_MODEL, format="turtle"),
        Graph().parse(data=TINY_VOCAB, format="turtle"),
        Graph().parse(data=TINY_SHAPES, format="turtle"),
    )
    assert [str(c.iri) for c in model.classes] == [str(EG.Part), str(EG.Thing)]  # by label
    (scheme,) = model.schemes
    assert [(str(c.iri), c.depth) for c in scheme.concepts] == [(str(EGV.A), 0), (str(EGV.B), 1)]

    page = render_model(model, local_path)
    parsed = _Page(page)
    assert "<script>" not in page and "<b>" not in page
    assert "thing &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<h1>Tiny &lt;b&gt;model&lt;/b&gt;</h1>" in page
    assert {"Thing", "Part", "hasPart", "egv-S", "egv-A", "egv-B"} <= set(parsed.ids)
    assert "(no definition)" in parsed.plain and "a note about 'things'" in parsed.plain
    assert "https://example.org/Thing" in parsed.hrefs and "/vocab/B" in parsed.hrefs
    assert 'style="padding-left: 1.8em"' in page  # egv:B under egv:A
    assert "rank 2" in parsed.plain and "notation B1" in parsed.plain
    assert "b &quot;quoted&quot;" in page
    assert "Values of eg:kind" in parsed.plain  # the scheme, by the shape that allows it

    markdown = render_markdown(model)
    assert "thing \\<script\\>alert(1)\\</script\\>" in markdown
    assert "A | B \\* c" in markdown
    assert '<a id="eg-Part"></a>' in markdown and '<a id="egv-B"></a>' in markdown
    assert "- **Close match:** <https://example.org/Thing>" in markdown
    assert "- **Allowed values of:** [`eg:kind`]" not in markdown  # eg:kind is not documented
    assert "- **Allowed values of:** `eg:kind`" in markdown
    assert "#### Shape `ThingShape`" in markdown
