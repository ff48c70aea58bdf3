"""PubMed fields added in issue 18 (MeSH qualifiers and major topics, keywords, chemicals,
grants, PMC id, languages, volume, issue, pages) and bug 5 (an article's trial that the
store does not hold).

Expected values are read from the efetch XML with xml.etree, never from the importer.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from collections import Counter
from pathlib import Path

import pytest
from rdflib import RDF, Literal, URIRef
from rdflib.term import Node

from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.graph.pipeline import Importer
from evidencegraph.ingest import ctgov, pubmed
from evidencegraph.ingest.records import Record
from evidencegraph.ontology.namespace import EG, EGID
from evidencegraph.store.core import OxigraphStore
from support import DATA

FIELDS = DATA / "pubmed-fields"
FILES = [
    FIELDS / "biomcp_efetch_citation_22663011.xml",
    FIELDS / "ncbiutils_pubmed.xml",
    DATA / "pubmed" / "biopython_pubmed4.xml",
]
METRIC = FIELDS / "biomcp_efetch_citation_22663011.xml"
MESH = "http://id.nlm.nih.gov/mesh/"
# bound variables are projected: Oxigraph substitutes only variables in the projection
VALUES = "SELECT ?subject ?predicate ?value WHERE { ?subject ?predicate ?value }"
HEADINGS = """
PREFIX eg: <https://w3id.org/evidencegraph/ontology#>
SELECT ?article ?descriptor ?qualifier ?major WHERE {
  ?article eg:meshHeading ?heading .
  ?heading eg:meshDescriptor ?descriptor ; eg:majorTopic ?major .
  OPTIONAL { ?heading eg:meshQualifier ?qualifier }
}"""
GRANTS = """
PREFIX eg: <https://w3id.org/evidencegraph/ontology#>
SELECT ?article ?agency ?id ?country WHERE {
  ?article eg:fundedBy ?grant . ?grant a eg:Grant ; eg:fundingAgency ?agency .
  OPTIONAL { ?grant eg:grantId ?id } OPTIONAL { ?grant eg:grantCountry ?country }
}"""


def articles(path: Path) -> list[ElementTree.Element]:
    return list(ElementTree.parse(path).getroot().iter("PubmedArticle"))


def flat(text: str | None) -> str:
    return " ".join((text or "").split())


def node(element: ElementTree.Element) -> URIRef:
    return EGID[f"source/pmid/{element.findtext('MedlineCitation/PMID')}"]


def values(graph: EvidenceGraph, subject: Node, predicate: URIRef) -> list[Node]:
    rows = graph.query(VALUES, {"subject": subject, "predicate": predicate}).rows
    return [row["value"] for row in rows]


def strings(graph: EvidenceGraph, subject: Node, predicate: URIRef) -> set[str]:
    return {str(value) for value in values(graph, subject, predicate)}


@pytest.fixture(scope="module")
def graph() -> EvidenceGraph:
    graph = EvidenceGraph(OxigraphStore(None))
    summary = Importer(graph, pubmed.map_article).run(pubmed.read_paths(FILES))
    assert summary.stopped is None and not summary.rejected, summary.rejected
    return graph


def test_the_articles_with_their_new_fields_conform(graph: EvidenceGraph) -> None:
    report = graph.validate()
    assert report.conforms, report.table()


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_mesh_headings_keep_qualifiers_and_major_topics(graph: EvidenceGraph, path: Path) -> None:
    for element in articles(path):
        expected = set()
        for heading in element.iter("MeshHeading"):
            name = heading.find("DescriptorName")
            assert name is not None
            descriptor = URIRef(MESH + name.get("UI", ""))
            expected.add((descriptor, None, name.get("MajorTopicYN") == "Y"))
            for qualifier in heading.findall("QualifierName"):
                pair = (
                    URIRef(MESH + qualifier.get("UI", "")),
                    qualifier.get("MajorTopicYN") == "Y",
                )
                expected.add((descriptor, *pair))
        rows = graph.query(HEADINGS, {"article": node(element)}).rows
        found = {(row["descriptor"], row.get("qualifier"), row["major"].toPython()) for row in rows}
        assert found == expected
        assert len(rows) == len(expected)


def test_a_qualifier_is_named_and_the_major_pair_is_the_one_pubmed_marks(
    graph: EvidenceGraph,
) -> None:
    (element,) = articles(METRIC)
    (melanoma,) = [
        h for h in element.iter("MeshHeading") if h.findtext("DescriptorName") == "Melanoma"
    ]
    marked = {q.get("UI"): q.get("MajorTopicYN") for q in melanoma.findall("QualifierName")}
    assert marked["Q000188"] == "Y" and marked["Q000235"] == "N"  # drug therapy; genetics
    rows = graph.query(HEADINGS, {"article": node(element)}).rows
    majors = {
        str(row["qualifier"]).removeprefix(MESH)
        for row in rows
        if row["descriptor"] == URIRef(MESH + "D008545")
        and row["major"].toPython()
        and "qualifier" in row
    }
    assert majors == {"Q000188"}
    assert strings(
        graph, URIRef(MESH + "Q000188"), URIRef("http://www.w3.org/2000/01/rdf-schema#label")
    ) == {"drug therapy"}


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_keywords_chemicals_and_bibliographic_fields(graph: EvidenceGraph, path: Path) -> None:
    for element in articles(path):
        article = node(element)
        citation = element.find("MedlineCitation")
        assert citation is not None
        keywords = {flat(k.text) for k in citation.iter("Keyword")}
        assert strings(graph, article, EG.keyword) == keywords
        chemicals = {
            URIRef(MESH + c.find("NameOfSubstance").get("UI", ""))  # type: ignore[union-attr]
            for c in citation.iter("Chemical")
        }
        assert set(values(graph, article, EG.chemical)) == chemicals
        for chemical in citation.iter("Chemical"):
            number = flat(chemical.findtext("RegistryNumber"))
            substance = URIRef(MESH + chemical.find("NameOfSubstance").get("UI", ""))  # type: ignore[union-attr]
            assert strings(graph, substance, EG.registryNumber) == (
                {number} if number != "0" else set()
            )
        journal = citation.find("Article/Journal/JournalIssue")
        assert journal is not None
        for tag, predicate in (("Volume", EG.volume), ("Issue", EG.issue)):
            text = flat(journal.findtext(tag))
            assert strings(graph, article, predicate) == ({text} if text else set())
        pages = flat(citation.findtext("Article/Pagination/MedlinePgn"))
        assert strings(graph, article, EG.pages) == ({pages} if pages else set())
        languages = {flat(lang.text) for lang in citation.iter("Language")}
        assert strings(graph, article, EG.language) == languages
        pmc = [flat(a.text) for a in element.iter("ArticleId") if a.get("IdType") == "pmc"]
        assert strings(graph, article, EG.pmcid) == set(pmc[:1])


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_grants_with_agency_id_and_country(graph: EvidenceGraph, path: Path) -> None:
    for element in articles(path):
        expected = Counter(
            (
                flat(g.findtext("Agency")),
                flat(g.findtext("GrantID")) or None,
                flat(g.findtext("Country")) or None,
            )
            for g in element.iter("Grant")
        )
        rows = graph.query(GRANTS, {"article": node(element)}).rows
        found = Counter(
            (
                str(row["agency"]),
                str(row["id"]) if row.get("id") is not None else None,
                str(row["country"]) if row.get("country") is not None else None,
            )
            for row in rows
        )
        assert found == expected


def test_the_fixtures_exercise_every_new_field(graph: EvidenceGraph) -> None:
    """So that the tests above cannot pass on empty sets."""
    every = [element for path in FILES for element in articles(path)]
    for predicate in (
        EG.keyword,
        EG.chemical,
        EG.fundedBy,
        EG.pmcid,
        EG.volume,
        EG.issue,
        EG.pages,
    ):
        assert any(values(graph, node(element), predicate) for element in every), predicate
    assert any(
        q.get("MajorTopicYN") == "Y" for element in every for q in element.iter("QualifierName")
    )


# --- bug 5: the trial an article reports is not in the store -----------------------------


def test_an_rcts_trial_missing_from_the_store_gets_no_facts_only_the_link() -> None:
    """Before: the study node held eg:studyDesign and nothing else (no type, no id). Now the
    article links to the study's IRI and states nothing about the study itself."""
    graph = EvidenceGraph(OxigraphStore(None))
    (element,) = articles(METRIC)
    types = {flat(t.text) for t in element.iter("PublicationType")}
    (accession,) = [flat(a.text) for a in element.iter("AccessionNumber")]
    assert "Randomized Controlled Trial" in types and accession == "NCT01245062"
    summary = Importer(graph, pubmed.map_article).run(pubmed.read_paths([METRIC]))
    assert summary.imported == 1 and not summary.rejected
    trial = EGID[f"study/{accession}"]
    assert values(graph, node(element), EG.reports) == [trial]
    described = graph.query("ASK { ?study ?p ?o }", {"study": trial})
    assert described.boolean is False
    assert "Randomized Controlled Trial" in strings(graph, node(element), EG.publicationType)
    report = graph.validate()
    assert report.conforms, report.table()

    # the registry record, when it comes, describes the study and the two meet on it;
    # constructed: a real record (NCT03418623, randomised) renumbered as the article's trial
    record = json.loads((DATA / "ctgov" / "NCT03418623.json").read_text(encoding="utf-8"))
    assert record["protocolSection"]["designModule"]["designInfo"]["allocation"] == "RANDOMIZED"
    record["protocolSection"]["identificationModule"]["nctId"] = accession
    summary = Importer(graph, ctgov.map_study).run([Record("constructed", record)])
    assert summary.imported == 1 and not summary.rejected
    assert EG.Trial in values(graph, trial, RDF.type)
    assert values(graph, trial, EG.nctId) == [Literal(accession)]
    assert URIRef("https://w3id.org/evidencegraph/vocab/Randomised") in values(
        graph, trial, EG.studyDesign
    )
    report = graph.validate()
    assert report.conforms, report.table()
