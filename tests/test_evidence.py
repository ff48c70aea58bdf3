"""The curated evidence: quotes are verbatim, facts match FACTS.md, unverified ids stay out."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rdflib import RDF, BNode, Graph, Literal, Namespace, URIRef
from rdflib.term import Node

from evidencegraph.evidence import evidence_files
from evidencegraph.ontology.namespace import EG, EGID, EGV
from evidencegraph.rdf.files import read_packaged
from support import SEEDS

PROV = Namespace("http://www.w3.org/ns/prov#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")


@pytest.fixture(scope="module")
def evidence() -> Graph:
    return read_packaged(evidence_files())


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
        # the shapes let registry results go unrated; every curated finding is rated
        assert evidence.value(finding, EG.evidenceLevel) is not None, finding
        assert evidence.value(finding, EG.direction) is not None, finding
    assert not any(isinstance(term, BNode) for triple in evidence for term in triple)


def arm_doses(evidence: Graph, study: URIRef) -> dict[str, tuple[Decimal | None, int | None]]:
    """Drug name -> (dose per kg, participants of the arm) for the drug arms of a study."""
    doses = {}
    for arm in evidence.objects(study, EG.hasArm):
        for given in evidence.objects(arm, EG.receives):
            drug = evidence.value(given, EG.drug)
            if drug is None:
                continue
            participants = evidence.value(arm, EG.participants)
            dose = evidence.value(given, EG.doseValue)
            doses[str(evidence.value(drug, RDFS.label))] = (
                Decimal(str(dose)) if dose is not None else None,
                int(participants) if participants is not None else None,  # type: ignore[arg-type]
            )
    return doses


def test_dakwar_arms_doses_and_comparator(evidence: Graph) -> None:
    dakwar = EGID["study/dakwar-2019"]
    assert int(evidence.value(dakwar, EG.enrolment)) == 40  # type: ignore[arg-type]
    assert arm_doses(evidence, dakwar) == {
        "ketamine": (Decimal("0.71"), 17),
        "midazolam": (Decimal("0.025"), 23),
    }
    ketamine = EGID["study/dakwar-2019/arm/ketamine"]
    infusion = next(
        i for i in evidence.objects(ketamine, EG.receives) if (i, EG.drug, None) in evidence
    )
    assert Decimal(str(evidence.value(infusion, EG.sessionMinutes))) == 52
    assert int(evidence.value(infusion, EG.sessionCount)) == 1  # type: ignore[arg-type]
    assert evidence.value(EGID["study/dakwar-2019/arm/midazolam"], EG.armRole) == (
        EGV.ActiveComparatorArm
    )


def test_columbia_trial_is_two_by_two_with_120_planned(evidence: Graph) -> None:
    trial = EGID["study/NCT04084860"]
    assert int(evidence.value(trial, EG.enrolment)) == 120  # type: ignore[arg-type]
    arms = list(evidence.objects(trial, EG.hasArm))
    assert len(arms) == 4
    types = {
        arm: {evidence.value(i, EG.interventionType) for i in evidence.objects(arm, EG.receives)}
        for arm in arms
    }
    therapy_arms = [
        arm
        for arm, kinds in types.items()
        if {EGV.MotivationalEnhancementTherapy, EGV.MindfulnessBasedRelapsePrevention} <= kinds
    ]
    management_arms = [arm for arm, kinds in types.items() if EGV.MedicationManagement in kinds]
    assert len(therapy_arms) == 2 and len(management_arms) == 2
    assert evidence.value(trial, EG.overallStatus) in {EGV.Ongoing, EGV.Recruiting}


def test_yoon_case_series(evidence: Graph) -> None:
    yoon = EGID["study/yoon-2019"]
    assert int(evidence.value(yoon, EG.enrolment)) == 5  # type: ignore[arg-type]
    assert EGV.CaseSeries in set(evidence.objects(yoon, EG.studyDesign))
    assert arm_doses(evidence, yoon)["ketamine"][0] == Decimal("0.5")
    ketamine = EGID["study/yoon-2019/intervention/ketamine"]
    assert int(evidence.value(ketamine, EG.sessionCount)) == 4  # type: ignore[arg-type]
    craving = EGID["finding/yoon-2019/less-craving-and-drinking"]
    assert Decimal(str(evidence.value(craving, EG.value))) == 4
    assert int(evidence.value(craving, EG.denominator)) == 5  # type: ignore[arg-type]
    assert evidence.value(craving, EG.evidenceLevel) == EGV.VeryLowCertainty


def test_nsduh_prevalence(evidence: Graph) -> None:
    count = EGID["finding/nsduh-2021/aud-prevalence-count"]
    percent = EGID["finding/nsduh-2021/aud-prevalence-percent"]
    assert Decimal(str(evidence.value(count, EG.value))) == Decimal(29_500_000)
    assert Decimal(str(evidence.value(percent, EG.value))) == Decimal("10.6")
    assert evidence.value(percent, EG.unit) == EGV.Percent


def test_kare_regimen_sponsor_and_funder(evidence: Graph) -> None:
    kare = EGID["study/NCT02649231"]
    infusion = EGID["study/NCT02649231/intervention/ketamine-infusion"]
    therapy = EGID["study/NCT02649231/intervention/relapse-prevention-therapy"]
    assert Decimal(str(evidence.value(infusion, EG.sessionMinutes))) == 40
    assert str(evidence.value(infusion, EG.route)) == "intravenous"
    assert int(evidence.value(therapy, EG.sessionCount)) == 7  # type: ignore[arg-type]
    assert Decimal(str(evidence.value(therapy, EG.sessionMinutes))) == 90
    sponsor = evidence.value(kare, EG.sponsor)
    funder = evidence.value(kare, EG.funder)
    assert str(evidence.value(sponsor, RDFS.label)) == "University College London"
    assert "Medical Research Council" in str(evidence.value(funder, RDFS.label))


def test_registry_copies_are_marked_unverified(evidence: Graph) -> None:
    for nct in (
        "NCT01551329",
        "NCT00588952",
        "NCT02823977",
        "NCT05661669",
        "NCT06090422",
        "NCT07247370",
    ):
        assert evidence.value(EGID[f"study/{nct}"], EG.verificationStatus) == EGV.Unverified, nct
    for study in ("NCT02649231", "dakwar-2019", "NCT04084860", "yoon-2019"):
        assert evidence.value(EGID[f"study/{study}"], EG.verificationStatus) == EGV.Confirmed


def test_attributed_quotation_is_kept_apart_from_the_confirmed_role(evidence: Graph) -> None:
    role = EGID["claim/000/celia-morgan-lead-researcher"]
    quotation = EGID["claim/000/celia-morgan-quotation"]
    assert evidence.value(role, EG.verificationStatus) == EGV.Confirmed
    assert evidence.value(quotation, EG.verificationStatus) == EGV.Unverified
    assert "breakthrough moment" not in str(evidence.value(role, EG.quote))


# --- issue 15: the curated evidence after the outside audit ---------------------------

REGISTRY_COPIES = (
    "NCT01551329",
    "NCT00588952",
    "NCT02823977",
    "NCT05661669",
    "NCT06090422",
    "NCT07247370",
)
KARE_RELAPSE = EGID["finding/NCT02649231/relapse-ketamine-vs-saline"]


def test_unverified_claims_carry_no_support_or_dispute(evidence: Graph) -> None:
    # points 1, 2, 4: the files' own rule, for every claim
    for claim in evidence.subjects(EG.verificationStatus, EGV.Unverified):
        if (claim, RDF.type, EG.Claim) not in evidence:
            continue
        links = set(evidence.objects(claim, EG.supportedBy)) | set(
            evidence.objects(claim, EG.disputedBy)
        )
        assert not links, f"{claim} is unverified yet linked to {links}"


def test_promising_results_and_several_studies_are_unverified(evidence: Graph) -> None:
    promising = EGID["claim/002/addiction-promising-results"]
    assert evidence.value(promising, EG.verificationStatus) == EGV.Unverified
    assert evidence.value(promising, EG.supportedBy) is None
    # the status and its note agree: unverified, and the note says why
    several = EGID["claim/000/several-clinical-studies"]
    assert evidence.value(several, EG.verificationStatus) == EGV.Unverified
    assert str(evidence.value(several, EG.verificationNote)).startswith("Unverified as a whole")


def test_ajp_claim_names_both_candidates_as_partial_support(evidence: Graph) -> None:
    claim = EGID["claim/002/ajp-study-drinking-days-vs-placebo"]
    assert evidence.value(claim, EG.verificationStatus) == EGV.AmbiguousReferent
    assert evidence.value(claim, EG.disputedBy) is None
    supports = set(evidence.objects(claim, EG.supportedBy))
    studies = {evidence.value(finding, EG.ofStudy) for finding in supports}
    assert studies == set(evidence.objects(claim, EG.candidateReferent))
    assert studies == {EGID["study/NCT02649231"], EGID["study/dakwar-2019"]}


def test_null_relapse_result_is_inconclusive_never_support_or_dispute(evidence: Graph) -> None:
    # FACTS.md (a): relapse did not differ (OR 0.80, 95% CI 0.31 to 2.10)
    assert Decimal(str(evidence.value(KARE_RELAPSE, EG.ciLower))) < 1
    assert Decimal(str(evidence.value(KARE_RELAPSE, EG.ciUpper))) > 1
    assert not list(evidence.subjects(EG.supportedBy, KARE_RELAPSE))
    assert not list(evidence.subjects(EG.disputedBy, KARE_RELAPSE))
    assert set(evidence.subjects(EG.inconclusiveEvidence, KARE_RELAPSE)) == {
        EGID["claim/000/temporary-relief-not-lasting-sobriety"],
        EGID["claim/002/reduces-cravings-and-relapse-risk"],
    }
    # and no finding of no significant difference backs or disputes any claim
    for finding in evidence.subjects(EG.direction, EGV.NoSignificantDifference):
        assert not list(evidence.subjects(EG.supportedBy, finding)), finding
        assert not list(evidence.subjects(EG.disputedBy, finding)), finding


def test_registry_copies_are_registry_links_not_nct_ids(evidence: Graph) -> None:
    for nct in REGISTRY_COPIES:
        study = EGID[f"study/{nct}"]
        assert evidence.value(study, EG.nctId) is None, nct
        link = evidence.value(study, EG.registryLink)
        assert str(evidence.value(link, EG.registryId)) == nct
        assert evidence.value(link, EG.linkBasis) == EGV.RegistryCopyLink
        assert evidence.value(link, EG.verificationStatus) == EGV.Unverified
    # an eg:nctId is only ever stated for a study whose record was checked
    for study, _ in evidence.subject_objects(EG.nctId):
        assert evidence.value(study, EG.verificationStatus) == EGV.Confirmed, study


def test_healthy_volunteer_study_does_not_study_aud(evidence: Graph) -> None:
    study = EGID["study/NCT00588952"]
    conditions = set(evidence.objects(study, EG.studiesCondition))
    assert EGID["condition/alcohol-use-disorder"] not in conditions
    assert {str(evidence.value(c, RDFS.label)) for c in conditions} == {"healthy volunteers"}


def test_more_kare_is_a_study_with_no_registry_id(evidence: Graph) -> None:
    # FACTS.md (a): phase III follow-up, n = 280, co-funded by Awakn; no registry id verified
    more_kare = EGID["study/more-kare"]
    assert (more_kare, RDF.type, EG.Trial) in evidence
    assert int(evidence.value(more_kare, EG.enrolment)) == 280  # type: ignore[arg-type]
    assert evidence.value(more_kare, EG.phase) == EGV.Phase3
    assert evidence.value(more_kare, EG.verificationStatus) == EGV.Unverified
    assert evidence.value(more_kare, EG.funder) == EGID["org/awakn-life-sciences"]
    assert evidence.value(more_kare, EG.nctId) is None
    assert evidence.value(more_kare, EG.registryLink) is None
    doses = {
        Decimal(str(evidence.value(i, EG.doseValue)))
        for arm in evidence.objects(more_kare, EG.hasArm)
        for i in evidence.objects(arm, EG.receives)
    }
    assert doses == {Decimal("0.8"), Decimal("0.05")}
    interest = evidence.value(more_kare, EG.commercialInterest)
    assert evidence.value(interest, EG.interestedParty) == EGID["org/awakn-life-sciences"]
    licence = evidence.value(EGID["study/NCT02649231"], EG.commercialInterest)
    assert evidence.value(licence, EG.interestKind) == EGV.Licensing


#: The checkable statements the audit found without a claim (issue 15 point 10), by line.
UNCLAIMED = {
    ("000_3cbc098de68e58e0.txt", 2): [
        "As researchers and clinicians explore its benefits, ketamine infusion therapy has "
        "sparked both enthusiasm and controversy."
    ],
    ("000_3cbc098de68e58e0.txt", 67): [
        "There’s still much we don’t know about how ketamine impacts the brain and body after "
        "prolonged therapy."
    ],
    ("000_3cbc098de68e58e0.txt", 69): [
        "While some view ketamine as a pioneering breakthrough, others worry it’s simply a trend "
        "that glamorizes drug use under a medical label."
    ],
    ("002_40481dbaa88eec7c.txt", 14): [
        "One of the most challenging aspects of addiction is the brain’s rewiring in response to "
        "substance use, leading to cravings and compulsive behavior."
    ],
    ("002_40481dbaa88eec7c.txt", 27): [
        "This approach leverages ketamine’s ability to open new pathways in the brain, allowing "
        "for deeper therapeutic insights and progress."
    ],
    ("002_40481dbaa88eec7c.txt", 28): [
        "These sessions are often accompanied by counseling and support to help patients "
        "integrate their experiences and maintain sobriety.",
        "The outpatient model allows individuals to continue their daily lives while undergoing "
        "treatment, reducing the stigma and disruption often associated with inpatient programs.",
    ],
    ("002_40481dbaa88eec7c.txt", 30): [
        "These plans consider the patient’s history, type of addiction, and co-occurring mental "
        "health conditions, ensuring that the treatment is tailored to their specific needs."
    ],
    ("002_40481dbaa88eec7c.txt", 43): [
        "Ongoing research continues to shed light on the most effective ways to use ketamine, "
        "optimize dosages, and integrate it with other therapies.",
        "As more data becomes available, it is likely that ketamine will become a standard "
        "component of addiction treatment protocols.",
    ],
}


def test_the_ten_unclaimed_statements_have_claims(evidence: Graph) -> None:
    quotes = {str(q) for q in evidence.objects(None, EG.quote)}
    statements = [s for sentences in UNCLAIMED.values() for s in sentences]
    assert len(statements) == 10
    for (name, number), sentences in UNCLAIMED.items():
        line = (SEEDS / name).read_text(encoding="utf-8").splitlines()[number - 1]
        for sentence in sentences:
            assert sentence in line, (name, number)  # the audit's line, as the file has it
            assert sentence in quotes, sentence


def test_compound_quotes_are_split(evidence: Graph) -> None:
    def claims_quoting(text: str) -> set[Node]:
        return {c for c, q in evidence.subject_objects(EG.quote) if text in str(q)}

    # "(UK, 2021)": UK right, Awakn and 2021 wrong, each its own claim and status
    assert not claims_quoting("Awakn Life Sciences Trial (UK")
    statuses = {
        str(evidence.value(claim, EG.quote)): evidence.value(claim, EG.verificationStatus)
        for claim in claims_quoting("Awakn") | claims_quoting("UK") | claims_quoting("2021")
        if evidence.value(claim, EG.assertedBy)
        == EGID["source/web/000-ketamine-infusion-alcoholism"]
    }
    assert statuses == {
        "The Awakn Life Sciences Trial": EGV.Misreported,
        "UK": EGV.Confirmed,
        "2021": EGV.Misreported,
    }
    # the FDA-1970 sentence and the 1960s sentence: date apart from the rest
    assert not claims_quoting("1970 as a general anesthetic, ketamine works")
    assert claims_quoting("FDA in 1970") and claims_quoting("works differently from")
    assert not claims_quoting("1960s, has been used")
    assert claims_quoting("first synthesized in the 1960s")
    assert claims_quoting("used primarily as an anesthetic")


def test_attribution_inside_the_article(evidence: Graph) -> None:
    niaaa = EGID["claim/000/niaaa-29-5-million-aud"]
    assert evidence.value(niaaa, EG.attributedTo) == EGID["org/niaaa"]
    assert (
        evidence.value(niaaa, EG.assertedBy) == EGID["source/web/000-ketamine-infusion-alcoholism"]
    )
    quotation = EGID["claim/000/celia-morgan-quotation"]
    assert evidence.value(quotation, EG.attributedTo) == EGID["person/celia-morgan"]
    # FACTS.md (a): KARE's funder is the MRC; the NIHR item is not a funder's
    assert evidence.value(EGID["study/NCT02649231"], EG.funder) == EGID["org/mrc"]
    texts = " ".join(str(o) for o in evidence.objects() if isinstance(o, Literal))
    assert "funder's news item" not in texts


def test_the_infusion_experience_is_not_a_risk(evidence: Graph) -> None:
    monitored = EGID["claim/000/monitored-experience-effects"]
    assert evidence.value(monitored, EG.namesRisk) is None
    risk_labels = {str(evidence.value(r, RDFS.label)) for r in evidence.subjects(RDF.type, EG.Risk)}
    assert not risk_labels & {"visual distortions", "altered perception of time", "dissociation"}
