"""The curated evidence: quotes are verbatim, facts match FACTS.md, unverified ids stay out."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rdflib import RDF, BNode, Graph, Literal, Namespace, URIRef

from evidencegraph.evidence import evidence_files
from evidencegraph.ontology.namespace import EG, EGID, EGV
from support import SEEDS

PROV = Namespace("http://www.w3.org/ns/prov#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")


@pytest.fixture(scope="module")
def evidence() -> Graph:
    graph = Graph()
    for packaged in evidence_files():
        with packaged.open("rb") as handle:
            graph.parse(handle, format="turtle")
    return graph


def seed_text(graph: Graph, source: URIRef) -> str:
    local_copy = graph.value(source, EG.localCopy)
    assert local_copy is not None, f"{source} has no eg:localCopy"
    return (SEEDS / str(local_copy)).read_text(encoding="utf-8")


def test_every_claim_quote_is_verbatim_in_its_source(evidence: Graph) -> None:
    claims = list(evidence.subjects(RDF.type, EG.Claim))
    assert len(claims) >= 40
    for claim in claims:
        source = evidence.value(claim, EG.assertedBy)
        assert isinstance(source, URIRef)
        quote = str(evidence.value(claim, EG.quote))
        assert quote in seed_text(evidence, source), f"{claim}: quote not found verbatim"


def test_both_articles_have_claims_and_are_not_peer_reviewed(evidence: Graph) -> None:
    for source in evidence.subjects(RDF.type, EG.WebArticle):
        assert evidence.value(source, EG.peerReviewed) == Literal(False)
        assert len(list(evidence.subjects(EG.assertedBy, source))) >= 10


def test_brand_mention_and_author_are_recorded(evidence: Graph) -> None:
    article_000 = EGID["source/web/000-ketamine-infusion-alcoholism"]
    interest = evidence.value(article_000, EG.commercialInterest)
    assert evidence.value(interest, EG.interestKind) == EGV.BrandMention
    assert "brought to you by GJDSG" in str(evidence.value(interest, EG.quote))
    assert str(evidence.value(interest, EG.quote)) in seed_text(evidence, article_000)
    article_002 = EGID["source/web/002-breaking-free"]
    author = evidence.value(article_002, DCTERMS.creator)
    assert str(evidence.value(author, RDFS.label)) == "Paige"
    assert evidence.value(author, EG.clinicalExpertise) == Literal(False)
    assert "excellent chef" in str(evidence.value(author, EG.authorBiography))


def test_kare_trial_as_facts_md_gives_it(evidence: Graph) -> None:
    kare = EGID["study/NCT02649231"]
    assert str(evidence.value(kare, EG.eudractNumber)) == "2015-000222-11"
    assert int(evidence.value(kare, EG.enrolment)) == 96  # type: ignore[arg-type]
    assert evidence.value(kare, EG.phase) == EGV.Phase2
    assert {EGV.Randomised, EGV.DoubleBlind, EGV.Factorial} <= set(
        evidence.objects(kare, EG.studyDesign)
    )
    sizes = sorted(
        int(evidence.value(arm, EG.participants)) for arm in evidence.objects(kare, EG.hasArm)
    )  # type: ignore[arg-type]
    assert sizes == [23, 24, 24, 25]
    drugs = [
        i
        for arm in evidence.objects(kare, EG.hasArm)
        for i in evidence.objects(arm, EG.receives)
        if (i, RDF.type, EG.DrugIntervention) in evidence
    ]
    assert {Decimal(str(evidence.value(i, EG.doseValue))) for i in drugs} == {Decimal("0.8")}
    assert {int(evidence.value(i, EG.sessionCount)) for i in drugs} == {3}  # type: ignore[arg-type]


def test_the_86_percent_claim_is_disputed_by_days_abstinent(evidence: Graph) -> None:
    claim = EGID["claim/000/result-86-abstinence-rate"]
    assert evidence.value(claim, EG.verificationStatus) == EGV.Misreported
    finding = evidence.value(claim, EG.disputedBy)
    assert Decimal(str(evidence.value(finding, EG.value))) == Decimal(86)
    assert evidence.value(finding, EG.unit) == EGV.Percent
    assert "days" in str(evidence.value(finding, EG.statement)).lower()


def test_dakwar_registry_link_is_inferred_and_unverified(evidence: Graph) -> None:
    dakwar = EGID["study/dakwar-2019"]
    assert evidence.value(dakwar, EG.nctId) is None
    link = evidence.value(dakwar, EG.registryLink)
    assert str(evidence.value(link, EG.registryId)) == "NCT02539511"
    assert evidence.value(link, EG.linkBasis) == EGV.InferredLink
    assert evidence.value(link, EG.verificationStatus) == EGV.Unverified
    # the inferred id is never stated as a fact anywhere
    assert (None, EG.nctId, Literal("NCT02539511")) not in evidence


def test_unverified_identifiers_stay_out(evidence: Graph) -> None:
    dakwar_paper = EGID["source/doi/10.1176/appi.ajp.2019.19070684"]
    assert evidence.value(dakwar_paper, EG.pmid) is None  # PMID unverified in FACTS.md
    assert (None, EG.nctId, Literal("NCT06349083")) not in evidence  # NYU psilocybin, not ketamine


def test_unsupported_claims_point_to_the_closest_real_study(evidence: Graph) -> None:
    yale = EGID["claim/000/yale-2019-study"]
    nyu = EGID["claim/000/nyu-langone-ongoing-trial"]
    assert evidence.value(yale, EG.verificationStatus) == EGV.Unsupported
    assert evidence.value(yale, EG.closestEvidence) == EGID["study/yoon-2019"]
    assert evidence.value(nyu, EG.verificationStatus) == EGV.Unsupported
    assert evidence.value(nyu, EG.closestEvidence) == EGID["study/NCT04084860"]


def test_every_finding_derives_from_a_source_and_there_are_no_blank_nodes(evidence: Graph) -> None:
    for finding in evidence.subjects(RDF.type, EG.Finding):
        assert list(evidence.objects(finding, PROV.wasDerivedFrom))
    assert not any(isinstance(term, BNode) for triple in evidence for term in triple)
