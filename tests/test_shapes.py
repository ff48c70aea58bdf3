"""SHACL shape tests: a valid fixture conforms, and each mutation breaks exactly one constraint."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, SKOS, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from evidencegraph.ontology.namespace import EG, EGID, EGV, PREFIXES, compact, ontology_file
from evidencegraph.rdf.model import model_graph, shapes_graph
from evidencegraph.rdf.terms import to_quads
from evidencegraph.validation import engines, rudof_engine, shifty_engine
from evidencegraph.validation.shacl import ValidationReport, ValidationResult, validate_graph

VALID = Path(__file__).parent / "data" / "shapes" / "valid_minimal.ttl"
TEST = Namespace(EGID + "test/")
EGSH = "https://w3id.org/evidencegraph/shapes#"
TURTLE_PREFIXES = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in PREFIXES.items()) + (
    f"@prefix test: <{TEST}> .\n"
)


@functools.cache
def _valid_triples() -> frozenset[tuple[Node, Node, Node]]:
    graph = Graph()
    graph.parse(VALID, format="turtle")
    return frozenset(graph)


def valid_graph() -> Graph:
    """A fresh copy of the valid fixture, free to mutate."""
    graph = Graph()
    for triple in _valid_triples():
        graph.add(triple)
    return graph


def turtle(snippet: str) -> Graph:
    """Triples written in Turtle, with the project's prefixes and ``test:`` for egid:test/."""
    graph = Graph()
    graph.parse(data=TURTLE_PREFIXES + snippet, format="turtle")
    return graph


def sh(component: str) -> str:
    """The CURIE of a SHACL constraint component, from its short name ("Pattern")."""
    return f"sh:{component}ConstraintComponent"


def show_path(shapes: Graph, path: Node) -> str:
    """A shape's sh:path as validate_graph shows it: a CURIE, or ^CURIE for an inverse path."""
    if isinstance(path, BNode):
        return "^" + compact(str(shapes.value(path, SH.inversePath)))
    return compact(str(path))


# --- the valid fixture -----------------------------------------------------------


def test_valid_minimal_conforms() -> None:
    report = validate_graph(valid_graph())
    assert report.conforms is True, report.table()
    assert report.results == []


def test_valid_minimal_has_no_blank_nodes_and_only_test_iris() -> None:
    graph = valid_graph()
    assert not [term for triple in graph for term in triple if isinstance(term, BNode)]
    assert all(str(subject).startswith(str(TEST)) for subject in graph.subjects())


def _is_instance(graph: Graph, node: Node, cls: URIRef) -> bool:
    """SHACL instance: rdf:type of ``cls`` or of a subclass (rdfs:subClassOf* in ``graph``)."""
    return any(
        (node, RDF.type, sub) in graph for sub in graph.transitive_subjects(RDFS.subClassOf, cls)
    )


def test_valid_minimal_has_an_instance_of_every_targeted_class() -> None:
    data = valid_graph()
    combined = data + model_graph()
    targets = {t for t in shapes_graph().objects(None, SH.targetClass) if str(t).startswith(EG)}
    missing = sorted(
        compact(str(cls))
        for cls in targets
        if not any(_is_instance(combined, node, cls) for node in set(data.subjects()))
    )
    assert missing == []
    # every class named in the brief has a direct instance, not only a subclass instance
    direct = {o for o in data.objects(None, RDF.type)}
    assert {EG.Study, EG.Trial, EG.Intervention, EG.Person, EG.Organization} <= direct


def test_valid_minimal_has_one_claim_per_verification_status() -> None:
    data = valid_graph()
    statuses = set(model_graph().subjects(SKOS.inScheme, EGV.VerificationStatusScheme))
    claimed = {
        data.value(claim, EG.verificationStatus) for claim in data.subjects(RDF.type, EG.Claim)
    }
    assert len(statuses) == 6
    assert claimed == statuses


# --- the mutations -----------------------------------------------------------------


@dataclass(frozen=True)
class Mutation:
    """One broken constraint: what to take out and put in, and the result it must raise.

    ``focus`` is a node under egid:test/; ``path`` is the result path as validate_graph
    shows it ("" for a node-level sh:or / sh:not); ``constraint`` is the short name of
    the constraint component ("MinCount"); ``shape`` is the node shape the constraint
    belongs to. ``remove`` and ``add`` are Turtle triples (prefix ``test:``).
    """

    shape: str
    what: str
    focus: str
    path: str
    constraint: str
    remove: str = ""
    add: str = ""

    @property
    def id(self) -> str:
        return f"{self.shape}-{self.constraint}-{self.what}"


M = Mutation

# fmt: off
MUTATIONS: list[Mutation] = [
    # ===== StudyShape ==================================================================
    M("StudyShape", "title-missing", "study-1", "dcterms:title", "MinCount",
      remove="test:study-1 dcterms:title 'Test observational study' ."),
    M("StudyShape", "title-twice", "study-1", "dcterms:title", "MaxCount",
      add="test:study-1 dcterms:title 'Another title' ."),
    M("StudyShape", "title-langString", "study-1", "dcterms:title", "Datatype",
      remove="test:study-1 dcterms:title 'Test observational study' .",
      add="test:study-1 dcterms:title 'Test observational study'@en ."),
    M("StudyShape", "nctId-NCT123", "trial-1", "eg:nctId", "Pattern",
      remove="test:trial-1 eg:nctId 'NCT00000001' .",
      add="test:trial-1 eg:nctId 'NCT123' ."),
    M("StudyShape", "nctId-twice", "trial-1", "eg:nctId", "MaxCount",
      add="test:trial-1 eg:nctId 'NCT00000003' ."),
    M("StudyShape", "eudract-short-middle", "trial-1", "eg:eudractNumber", "Pattern",
      remove="test:trial-1 eg:eudractNumber '2015-000001-11' .",
      add="test:trial-1 eg:eudractNumber '2015-00001-11' ."),
    M("StudyShape", "isrctn-four-digits", "trial-1", "eg:isrctn", "Pattern",
      remove="test:trial-1 eg:isrctn 'ISRCTN00000001' .",
      add="test:trial-1 eg:isrctn 'ISRCTN0001' ."),
    M("StudyShape", "acronym-twice", "trial-1", "eg:acronym", "MaxCount",
      add="test:trial-1 eg:acronym 'TEST2' ."),
    M("StudyShape", "enrolment-minus-1", "trial-1", "eg:enrolment", "MinInclusive",
      remove="test:trial-1 eg:enrolment 96 .",
      add="test:trial-1 eg:enrolment -1 ."),
    M("StudyShape", "enrolment-string", "trial-1", "eg:enrolment", "Datatype",
      remove="test:trial-1 eg:enrolment 96 .",
      add="test:trial-1 eg:enrolment '96' ."),
    M("StudyShape", "studyDesign-outside-scheme", "study-1", "eg:studyDesign", "In",
      remove="test:study-1 eg:studyDesign egv:Observational .",
      add="test:study-1 eg:studyDesign egv:Phase2 ."),
    M("StudyShape", "phase-outside-scheme", "trial-1", "eg:phase", "In",
      remove="test:trial-1 eg:phase egv:Phase2 .",
      add="test:trial-1 eg:phase egv:Randomised ."),
    M("StudyShape", "phase-twice", "trial-1", "eg:phase", "MaxCount",
      add="test:trial-1 eg:phase egv:Phase3 ."),
    M("StudyShape", "overallStatus-outside-scheme", "trial-1", "eg:overallStatus", "In",
      remove="test:trial-1 eg:overallStatus egv:Completed .",
      add="test:trial-1 eg:overallStatus egv:Confirmed ."),
    M("StudyShape", "verificationStatus-outside", "trial-1", "eg:verificationStatus", "In",
      add="test:trial-1 eg:verificationStatus egv:Misreported ."),
    M("StudyShape", "verificationStatus-twice", "trial-1", "eg:verificationStatus", "MaxCount",
      add="test:trial-1 eg:verificationStatus egv:Confirmed , egv:Unverified ."),
    M("StudyShape", "no-condition", "study-1", "eg:studiesCondition", "MinCount",
      remove="test:study-1 eg:studiesCondition test:condition-1 ."),
    M("StudyShape", "condition-is-a-drug", "study-1", "eg:studiesCondition", "Class",
      remove="test:study-1 eg:studiesCondition test:condition-1 .",
      add="test:study-1 eg:studiesCondition test:drug-1 ."),
    M("StudyShape", "hasArm-an-intervention", "trial-1", "eg:hasArm", "Class",
      add="test:trial-1 eg:hasArm test:placebo-1 ."),
    M("StudyShape", "hasOutcome-a-finding", "trial-1", "eg:hasOutcome", "Class",
      add="test:trial-1 eg:hasOutcome test:finding-2 ."),
    M("StudyShape", "sponsor-a-risk", "trial-1", "eg:sponsor", "Class",
      remove="test:trial-1 eg:sponsor test:org-1 .",
      add="test:trial-1 eg:sponsor test:risk-1 ."),
    M("StudyShape", "funder-a-condition", "trial-1", "eg:funder", "Class",
      remove="test:trial-1 eg:funder test:org-1 .",
      add="test:trial-1 eg:funder test:condition-1 ."),
    M("StudyShape", "investigator-an-organization", "trial-1", "eg:investigator", "Class",
      remove="test:trial-1 eg:investigator test:person-1 .",
      add="test:trial-1 eg:investigator test:org-1 ."),
    M("StudyShape", "site-a-person", "trial-1", "eg:site", "Class",
      remove="test:trial-1 eg:site test:org-1 .",
      add="test:trial-1 eg:site test:person-1 ."),
    M("StudyShape", "registryLink-a-drug", "trial-1", "eg:registryLink", "Class",
      remove="test:trial-1 eg:registryLink test:registry-link-1 .",
      add="test:trial-1 eg:registryLink test:drug-1 ."),
    M("StudyShape", "commercialInterest-an-organization", "trial-1", "eg:commercialInterest",
      "Class",
      remove="test:trial-1 eg:commercialInterest test:commercial-interest-1 .",
      add="test:trial-1 eg:commercialInterest test:org-2 ."),
    M("StudyShape", "registrationDate-string", "trial-1", "eg:registrationDate", "Datatype",
      remove="test:trial-1 eg:registrationDate '2016-01-05'^^xsd:date .",
      add="test:trial-1 eg:registrationDate '2016-01-05' ."),
    M("StudyShape", "startDate-string", "trial-1", "eg:startDate", "Or",
      remove="test:trial-1 eg:startDate '2016'^^xsd:gYear .",
      add="test:trial-1 eg:startDate '2016-01' ."),
    M("StudyShape", "completionDate-words", "trial-1", "eg:completionDate", "Or",
      remove="test:trial-1 eg:completionDate '2020-02'^^xsd:gYearMonth .",
      add="test:trial-1 eg:completionDate 'February 2020' ."),
    M("StudyShape", "primaryCompletionDate-words", "trial-1", "eg:primaryCompletionDate", "Or",
      add="test:trial-1 eg:primaryCompletionDate 'next spring' ."),
    M("StudyShape", "officialTitle-twice", "trial-1", "eg:officialTitle", "MaxCount",
      add="test:trial-1 eg:officialTitle 'One' , 'Two' ."),
    M("StudyShape", "orgStudyId-twice", "trial-1", "eg:orgStudyId", "MaxCount",
      add="test:trial-1 eg:orgStudyId 'A-1' , 'A-2' ."),
    M("StudyShape", "secondaryId-integer", "trial-1", "eg:secondaryId", "Datatype",
      add="test:trial-1 eg:secondaryId 12345 ."),
    M("StudyShape", "enrolmentActual-yes", "trial-1", "eg:enrolmentActual", "Datatype",
      add="test:trial-1 eg:enrolmentActual 'yes' ."),
    M("StudyShape", "collaborator-a-drug", "trial-1", "eg:collaborator", "Class",
      add="test:trial-1 eg:collaborator test:drug-1 ."),
    M("StudyShape", "no-source", "study-1", "prov:wasDerivedFrom", "MinCount",
      remove="test:study-1 prov:wasDerivedFrom test:report-1 ."),
    M("StudyShape", "derived-from-a-person", "study-1", "prov:wasDerivedFrom", "Class",
      remove="test:study-1 prov:wasDerivedFrom test:report-1 .",
      add="test:study-1 prov:wasDerivedFrom test:person-1 ."),
    # ===== TrialShape: the arms move to the observational study, so none is orphaned ====
    M("TrialShape", "no-arms", "trial-1", "eg:hasArm", "MinCount",
      remove="test:trial-1 eg:hasArm test:arm-1 , test:arm-2 .",
      add="test:study-1 eg:hasArm test:arm-1 , test:arm-2 ."),
    # ===== ArmShape ====================================================================
    M("ArmShape", "label-missing", "arm-1", "rdfs:label", "MinCount",
      remove="test:arm-1 rdfs:label 'drug + therapy' ."),
    M("ArmShape", "armRole-outside-scheme", "arm-1", "eg:armRole", "In",
      remove="test:arm-1 eg:armRole egv:ExperimentalArm .",
      add="test:arm-1 eg:armRole egv:Placebo ."),
    M("ArmShape", "armRole-missing", "arm-2", "eg:armRole", "MinCount",
      remove="test:arm-2 eg:armRole egv:PlaceboComparatorArm ."),
    M("ArmReceivesShape", "receives-nothing", "arm-2", "", "Or",
      remove="test:arm-2 eg:receives test:placebo-1 , test:behavioral-1 , test:intervention-1 ."),
    M("ArmShape", "participantsCompleted-minus-1", "arm-1", "eg:participantsCompleted",
      "MinInclusive", add="test:arm-1 eg:participantsCompleted -1 ."),
    M("ArmShape", "receives-a-drug", "arm-1", "eg:receives", "Class",
      add="test:arm-1 eg:receives test:drug-1 ."),
    M("ArmShape", "participants-minus-1", "arm-1", "eg:participants", "MinInclusive",
      remove="test:arm-1 eg:participants 48 .",
      add="test:arm-1 eg:participants -1 ."),
    M("ArmShape", "participants-decimal", "arm-1", "eg:participants", "Datatype",
      remove="test:arm-1 eg:participants 48 .",
      add="test:arm-1 eg:participants 48.0 ."),
    M("ArmShape", "in-no-study", "arm-2", "^eg:hasArm", "MinCount",
      remove="test:trial-1 eg:hasArm test:arm-2 ."),
    M("ArmShape", "in-two-studies", "arm-1", "^eg:hasArm", "MaxCount",
      add="test:study-1 eg:hasArm test:arm-1 ."),
    # ===== InterventionShape ===========================================================
    M("InterventionShape", "label-missing", "intervention-1", "rdfs:label", "MinCount",
      remove="test:intervention-1 rdfs:label 'usual care' ."),
    M("InterventionShape", "type-missing", "intervention-1", "eg:interventionType", "MinCount",
      remove="test:intervention-1 eg:interventionType egv:CareModel ."),
    M("InterventionShape", "type-outside-scheme", "intervention-1", "eg:interventionType", "In",
      remove="test:intervention-1 eg:interventionType egv:CareModel .",
      add="test:intervention-1 eg:interventionType egv:Randomised ."),
    M("InterventionShape", "sessionCount-minus-1", "psychotherapy-1", "eg:sessionCount",
      "MinInclusive",
      remove="test:psychotherapy-1 eg:sessionCount 7 .",
      add="test:psychotherapy-1 eg:sessionCount -1 ."),
    M("InterventionShape", "sessionMinutes-string", "psychotherapy-1", "eg:sessionMinutes",
      "Datatype",
      remove="test:psychotherapy-1 eg:sessionMinutes 90.0 .",
      add="test:psychotherapy-1 eg:sessionMinutes 'ninety' ."),
    M("InterventionShape", "route-twice", "drug-intervention-1", "eg:route", "MaxCount",
      add="test:drug-intervention-1 eg:route 'oral' ."),
    M("InterventionShape", "schedule-integer", "drug-intervention-1", "eg:schedule", "Datatype",
      remove="test:drug-intervention-1 eg:schedule 'weekly' .",
      add="test:drug-intervention-1 eg:schedule 7 ."),
    # ===== DrugInterventionShape =======================================================
    M("DrugInterventionShape", "drug-missing", "drug-intervention-1", "eg:drug", "MinCount",
      remove="test:drug-intervention-1 eg:drug test:drug-1 ."),
    M("DrugInterventionShape", "drug-a-condition", "drug-intervention-1", "eg:drug", "Class",
      remove="test:drug-intervention-1 eg:drug test:drug-1 .",
      add="test:drug-intervention-1 eg:drug test:condition-1 ."),
    M("DrugInterventionShape", "two-drugs", "drug-intervention-1", "eg:drug", "MaxCount",
      add="test:drug-intervention-1 eg:drug test:drug-2 . "
          "test:drug-2 a eg:Drug ; rdfs:label 'second drug' ; eg:nameKey 'second drug' ."),
    M("DrugInterventionShape", "type-placebo", "drug-intervention-1", "eg:interventionType",
      "HasValue",
      remove="test:drug-intervention-1 eg:interventionType egv:DrugTreatment .",
      add="test:drug-intervention-1 eg:interventionType egv:Placebo ."),
    M("DrugInterventionShape", "dose-minus-0.5", "drug-intervention-1", "eg:doseValue",
      "MinInclusive",
      remove="test:drug-intervention-1 eg:doseValue 0.8 .",
      add="test:drug-intervention-1 eg:doseValue -0.5 ."),
    M("DrugInterventionShape", "doseUnit-an-iri", "drug-intervention-1", "eg:doseUnit",
      "Datatype",
      remove="test:drug-intervention-1 eg:doseUnit 'mg/kg' .",
      add="test:drug-intervention-1 eg:doseUnit egv:Percent ."),
    M("DrugInterventionShape", "dose-without-unit", "drug-intervention-1", "", "Or",
      remove="test:drug-intervention-1 eg:doseUnit 'mg/kg' ."),
    # ===== PsychotherapyShape / BehavioralInterventionShape / PlaceboShape =============
    M("PsychotherapyShape", "typed-DrugTreatment", "psychotherapy-1", "eg:interventionType",
      "In",
      remove="test:psychotherapy-1 eg:interventionType egv:RelapsePrevention .",
      add="test:psychotherapy-1 eg:interventionType egv:DrugTreatment ."),
    M("BehavioralInterventionShape", "typed-RelapsePrevention", "behavioral-1",
      "eg:interventionType", "In",
      remove="test:behavioral-1 eg:interventionType egv:HealthEducation .",
      add="test:behavioral-1 eg:interventionType egv:RelapsePrevention ."),
    M("PlaceboShape", "typed-DrugTreatment", "placebo-1", "eg:interventionType", "HasValue",
      remove="test:placebo-1 eg:interventionType egv:Placebo .",
      add="test:placebo-1 eg:interventionType egv:DrugTreatment ."),
    # ===== DrugShape ===================================================================
    M("DrugShape", "label-missing", "drug-1", "rdfs:label", "MinCount",
      remove="test:drug-1 rdfs:label 'testamine' ."),
    M("DrugShape", "altLabel-langString", "drug-1", "skos:altLabel", "Datatype",
      remove="test:drug-1 skos:altLabel 'Testalar' .",
      add="test:drug-1 skos:altLabel 'Testalar'@en ."),
    M("DrugShape", "meshId-five-digits", "drug-1", "eg:meshId", "Pattern",
      remove="test:drug-1 eg:meshId 'D000001' .",
      add="test:drug-1 eg:meshId 'D12345' ."),
    M("DrugShape", "chebiId-no-colon", "drug-1", "eg:chebiId", "Pattern",
      remove="test:drug-1 eg:chebiId 'CHEBI:1' .",
      add="test:drug-1 eg:chebiId 'CHEBI6121' ."),
    M("DrugShape", "drugbankId-four-digits", "drug-1", "eg:drugbankId", "Pattern",
      remove="test:drug-1 eg:drugbankId 'DB00001' .",
      add="test:drug-1 eg:drugbankId 'DB1221' ."),
    M("DrugShape", "exactMatch-literal", "drug-1", "skos:exactMatch", "NodeKind",
      add="test:drug-1 skos:exactMatch 'D000001' ."),
    # ===== ConditionShape ==============================================================
    M("ConditionShape", "label-twice", "condition-1", "rdfs:label", "MaxCount",
      add="test:condition-1 rdfs:label 'another label' ."),
    M("ConditionShape", "meshId-seven-digits", "condition-1", "eg:meshId", "Pattern",
      remove="test:condition-1 eg:meshId 'D000000001' .",
      add="test:condition-1 eg:meshId 'D0000001' ."),
    M("ConditionShape", "exactMatch-literal", "condition-1", "skos:exactMatch", "NodeKind",
      add="test:condition-1 skos:exactMatch 'D000000001' ."),
    # ===== NameKeyShape (decision 0027) ================================================
    M("NameKeyShape", "nameKey-langString", "drug-1", "eg:nameKey", "Datatype",
      remove="test:drug-1 eg:nameKey 'testalar' .",
      add="test:drug-1 eg:nameKey 'testalar'@en ."),
    M("NameKeyShape", "key-in-upper-case", "drug-1", "", "SPARQL",
      remove="test:drug-1 eg:nameKey 'testalar' .",
      add="test:drug-1 eg:nameKey 'Testalar' ."),
    # ===== OutcomeShape ================================================================
    M("OutcomeShape", "label-missing", "outcome-1", "rdfs:label", "MinCount",
      remove="test:outcome-1 rdfs:label 'percentage of days abstinent' ."),
    M("OutcomeShape", "timeFrame-twice", "outcome-1", "eg:timeFrame", "MaxCount",
      add="test:outcome-1 eg:timeFrame '12 months' ."),
    M("OutcomeShape", "isPrimaryOutcome-yes", "outcome-1", "eg:isPrimaryOutcome", "Datatype",
      remove="test:outcome-1 eg:isPrimaryOutcome true .",
      add="test:outcome-1 eg:isPrimaryOutcome 'yes' ."),
    M("OutcomeShape", "in-no-study", "outcome-1", "^eg:hasOutcome", "MinCount",
      remove="test:trial-1 eg:hasOutcome test:outcome-1 ."),
    # ===== FindingShape ================================================================
    M("FindingShape", "statement-missing", "finding-1", "eg:statement", "MinCount",
      remove="test:finding-1 eg:statement "
             "'The drug arm had 10.1 points more days abstinent than placebo.' ."),
    M("FindingShape", "ofStudy-an-organization", "finding-1", "eg:ofStudy", "Class",
      remove="test:finding-1 eg:ofStudy test:trial-1 .",
      add="test:finding-1 eg:ofStudy test:org-1 ."),
    M("FindingShape", "ofStudy-twice", "finding-1", "eg:ofStudy", "MaxCount",
      add="test:finding-1 eg:ofStudy test:study-1 ."),
    M("FindingShape", "outcome-missing", "finding-1", "eg:outcome", "MinCount",
      remove="test:finding-1 eg:outcome test:outcome-1 ."),
    M("FindingShape", "outcome-a-study", "finding-2", "eg:outcome", "Class",
      remove="test:finding-2 eg:outcome test:outcome-1 .",
      add="test:finding-2 eg:outcome test:study-1 ."),
    M("FindingShape", "experimentalGroup-an-intervention", "finding-1",
      "eg:experimentalGroup", "Class",
      add="test:finding-1 eg:experimentalGroup test:placebo-1 ."),
    M("FindingShape", "comparatorGroup-a-study", "finding-1", "eg:comparatorGroup", "Class",
      remove="test:finding-1 eg:comparatorGroup test:arm-2 .",
      add="test:finding-1 eg:comparatorGroup test:study-1 ."),
    M("FindingShape", "comparatorDescription-twice", "finding-1", "eg:comparatorDescription",
      "MaxCount",
      add="test:finding-1 eg:comparatorDescription 'saline' ."),
    M("FindingShape", "effectMeasure-outside-scheme", "finding-1", "eg:effectMeasure", "In",
      remove="test:finding-1 eg:effectMeasure egv:MeanDifference .",
      add="test:finding-1 eg:effectMeasure egv:Percent ."),
    M("FindingShape", "effectMeasure-missing", "finding-2", "eg:effectMeasure", "MinCount",
      remove="test:finding-2 eg:effectMeasure egv:GroupMean ."),
    M("FindingShape", "value-string", "finding-1", "eg:value", "Datatype",
      remove="test:finding-1 eg:value 10.1 .",
      add="test:finding-1 eg:value '10.1' ."),
    M("FindingShape", "unit-outside-scheme", "finding-1", "eg:unit", "In",
      remove="test:finding-1 eg:unit egv:PercentagePoint .",
      add="test:finding-1 eg:unit egv:OddsRatio ."),
    M("FindingShape", "denominator-minus-1", "finding-1", "eg:denominator", "MinInclusive",
      remove="test:finding-1 eg:denominator 96 .",
      add="test:finding-1 eg:denominator -1 ."),
    M("FindingShape", "ciLower-above-ciUpper", "finding-1", "eg:ciLower", "LessThanOrEquals",
      remove="test:finding-1 eg:ciLower 1.1 .",
      add="test:finding-1 eg:ciLower 20.0 ."),
    M("FindingShape", "ciLower-twice", "finding-1", "eg:ciLower", "MaxCount",
      add="test:finding-1 eg:ciLower 1.0 ."),
    M("FindingShape", "ciUpper-integer", "finding-1", "eg:ciUpper", "Datatype",
      remove="test:finding-1 eg:ciUpper 19.0 .",
      add="test:finding-1 eg:ciUpper 19 ."),
    M("FindingShape", "confidenceLevel-1.0", "finding-1", "eg:confidenceLevel", "MaxExclusive",
      remove="test:finding-1 eg:confidenceLevel 0.95 .",
      add="test:finding-1 eg:confidenceLevel 1.0 ."),
    M("FindingShape", "confidenceLevel-0.0", "finding-1", "eg:confidenceLevel", "MinExclusive",
      remove="test:finding-1 eg:confidenceLevel 0.95 .",
      add="test:finding-1 eg:confidenceLevel 0.0 ."),
    M("FindingShape", "pValue-1.5", "finding-1", "eg:pValue", "MaxInclusive",
      remove="test:finding-1 eg:pValue 0.03 .",
      add="test:finding-1 eg:pValue 1.5 ."),
    M("FindingShape", "pValue-negative", "finding-1", "eg:pValue", "MinInclusive",
      remove="test:finding-1 eg:pValue 0.03 .",
      add="test:finding-1 eg:pValue -0.01 ."),
    M("FindingShape", "direction-outside-scheme", "finding-1", "eg:direction", "In",
      remove="test:finding-1 eg:direction egv:FavoursIntervention .",
      add="test:finding-1 eg:direction egv:Confirmed ."),
    M("FindingShape", "direction-twice", "finding-2", "eg:direction", "MaxCount",
      add="test:finding-2 eg:direction egv:FavoursComparator ."),
    M("FindingShape", "spread-minus-1", "finding-1", "eg:spread", "MinInclusive",
      add="test:finding-1 eg:spread -1.0 ."),
    M("FindingShape", "spreadType-twice", "finding-1", "eg:spreadType", "MaxCount",
      add="test:finding-1 eg:spreadType 'STANDARD_DEVIATION' , 'STANDARD_ERROR' ."),
    M("FindingShape", "unitLabel-twice", "finding-1", "eg:unitLabel", "MaxCount",
      add="test:finding-1 eg:unitLabel 'days' , 'percent' ."),
    M("FindingShape", "adverseEvent-a-drug", "finding-1", "eg:adverseEvent", "Class",
      add="test:finding-1 eg:adverseEvent test:drug-1 ."),
    M("FindingShape", "timeFrame-twice", "finding-1", "eg:timeFrame", "MaxCount",
      add="test:finding-1 eg:timeFrame '12 months' ."),
    M("FindingShape", "evidenceLevel-outside-scheme", "finding-1", "eg:evidenceLevel", "In",
      remove="test:finding-1 eg:evidenceLevel egv:ModerateCertainty .",
      add="test:finding-1 eg:evidenceLevel egv:Phase3 ."),
    M("FindingShape", "evidenceLevel-twice", "finding-2", "eg:evidenceLevel", "MaxCount",
      add="test:finding-2 eg:evidenceLevel egv:HighCertainty ."),
    M("FindingShape", "no-source", "finding-1", "prov:wasDerivedFrom", "MinCount",
      remove="test:finding-1 prov:wasDerivedFrom test:article-1 ."),
    M("FindingShape", "derived-from-a-person", "finding-2", "prov:wasDerivedFrom", "Class",
      remove="test:finding-2 prov:wasDerivedFrom test:press-release-1 .",
      add="test:finding-2 prov:wasDerivedFrom test:person-1 ."),
    # ===== FindingValueUnitShape / FindingPercentRangeShape / FindingIntervalShape =====
    M("FindingValueUnitShape", "value-without-unit", "finding-1", "", "Or",
      remove="test:finding-1 eg:unit egv:PercentagePoint ."),
    M("FindingPercentRangeShape", "percent-101", "finding-2", "", "Or",
      remove="test:finding-2 eg:value 86.0 .",
      add="test:finding-2 eg:value 101.0 ."),
    M("FindingPercentRangeShape", "percent-minus-1", "finding-2", "", "Or",
      remove="test:finding-2 eg:value 86.0 .",
      add="test:finding-2 eg:value -1.0 ."),
    M("FindingIntervalShape", "ciLower-without-ciUpper", "finding-1", "", "Or",
      remove="test:finding-1 eg:ciUpper 19.0 ."),
    M("FindingIntervalShape", "ciUpper-without-ciLower", "finding-1", "", "Or",
      remove="test:finding-1 eg:ciLower 1.1 ."),
    M("FindingIntervalShape", "interval-without-confidenceLevel", "finding-1", "", "Or",
      remove="test:finding-1 eg:confidenceLevel 0.95 ."),
    # ===== SourceShape =================================================================
    M("SourceShape", "publicationType-integer", "article-1", "eg:publicationType", "Datatype",
      add="test:article-1 eg:publicationType 7 ."),
    M("SourceShape", "abstract-twice", "article-1", "dcterms:abstract", "MaxCount",
      add="test:article-1 dcterms:abstract 'One.' , 'Two.' ."),
    M("SourceShape", "label-missing", "report-1", "rdfs:label", "MinCount",
      remove="test:report-1 rdfs:label 'Test national survey 2021' ."),
    M("SourceShape", "title-twice", "article-1", "dcterms:title", "MaxCount",
      add="test:article-1 dcterms:title 'Another title' ."),
    M("SourceShape", "peerReviewed-no", "web-article-1", "eg:peerReviewed", "Datatype",
      remove="test:web-article-1 eg:peerReviewed false .",
      add="test:web-article-1 eg:peerReviewed 'no' ."),
    M("SourceShape", "peerReviewed-missing", "report-1", "eg:peerReviewed", "MinCount",
      remove="test:report-1 eg:peerReviewed false ."),
    M("SourceShape", "sourceType-outside-scheme", "press-release-1", "eg:sourceType", "In",
      remove="test:press-release-1 eg:sourceType egv:PressReleaseSource .",
      add="test:press-release-1 eg:sourceType egv:Randomised ."),
    M("SourceShape", "sourceType-missing", "report-1", "eg:sourceType", "MinCount",
      remove="test:report-1 eg:sourceType egv:ReportSource ."),
    M("SourceShape", "doi-without-10", "article-1", "eg:doi", "Pattern",
      remove="test:article-1 eg:doi '10.1234/test.2022.001' .",
      add="test:article-1 eg:doi '1234/test.2022.001' ."),
    M("SourceShape", "doi-with-resolver", "article-1", "eg:doi", "Pattern",
      remove="test:article-1 eg:doi '10.1234/test.2022.001' .",
      add="test:article-1 eg:doi 'https://doi.org/10.1234/test.2022.001' ."),
    M("SourceShape", "pmid-with-letters", "article-1", "eg:pmid", "Pattern",
      remove="test:article-1 eg:pmid '12345678' .",
      add="test:article-1 eg:pmid 'PMID1234' ."),
    M("SourceShape", "url-string", "registry-record-1", "eg:url", "Datatype",
      remove="test:registry-record-1 eg:url "
             "'https://clinicaltrials.gov/study/NCT00000001'^^xsd:anyURI .",
      add="test:registry-record-1 eg:url 'https://clinicaltrials.gov/study/NCT00000001' ."),
    M("SourceShape", "issued-string", "press-release-1", "dcterms:issued", "Or",
      remove="test:press-release-1 dcterms:issued '2024-08'^^xsd:gYearMonth .",
      add="test:press-release-1 dcterms:issued 'August 2024' ."),
    M("SourceShape", "creator-a-risk", "article-1", "dcterms:creator", "Class",
      remove="test:article-1 dcterms:creator test:person-1 .",
      add="test:article-1 dcterms:creator test:risk-1 ."),
    M("SourceShape", "publisher-a-drug", "report-1", "dcterms:publisher", "Class",
      remove="test:report-1 dcterms:publisher test:org-1 .",
      add="test:report-1 dcterms:publisher test:drug-1 ."),
    M("SourceShape", "commercialInterest-an-organization", "web-article-1",
      "eg:commercialInterest", "Class",
      remove="test:web-article-1 eg:commercialInterest test:commercial-interest-1 .",
      add="test:web-article-1 eg:commercialInterest test:org-2 ."),
    M("SourceShape", "reports-a-finding", "article-1", "eg:reports", "Or",
      remove="test:article-1 eg:reports test:trial-1 .",
      add="test:article-1 eg:reports test:finding-1 ."),
    # ===== Source subclasses ===========================================================
    M("JournalArticleShape", "sourceType-web", "article-1", "eg:sourceType", "HasValue",
      remove="test:article-1 eg:sourceType egv:JournalArticleSource .",
      add="test:article-1 eg:sourceType egv:WebArticleSource ."),
    M("JournalArticleShape", "journal-missing", "article-1", "eg:journal", "MinCount",
      remove="test:article-1 eg:journal 'Journal of Tests' ."),
    M("RegistryRecordShape", "sourceType-report", "registry-record-1", "eg:sourceType",
      "HasValue",
      remove="test:registry-record-1 eg:sourceType egv:RegistryRecordSource .",
      add="test:registry-record-1 eg:sourceType egv:ReportSource ."),
    M("RegistryRecordShape", "reports-nothing", "registry-record-1", "eg:reports", "MinCount",
      remove="test:registry-record-1 eg:reports test:trial-1 ."),
    M("PressReleaseShape", "sourceType-web", "press-release-1", "eg:sourceType", "HasValue",
      remove="test:press-release-1 eg:sourceType egv:PressReleaseSource .",
      add="test:press-release-1 eg:sourceType egv:WebArticleSource ."),
    M("WebArticleShape", "sourceType-press", "web-article-1", "eg:sourceType", "HasValue",
      remove="test:web-article-1 eg:sourceType egv:WebArticleSource .",
      add="test:web-article-1 eg:sourceType egv:PressReleaseSource ."),
    M("ReportShape", "sourceType-journal", "report-1", "eg:sourceType", "HasValue",
      remove="test:report-1 eg:sourceType egv:ReportSource .",
      add="test:report-1 eg:sourceType egv:JournalArticleSource ."),
    # ===== ClaimShape ==================================================================
    M("ClaimShape", "two-asserting-sources", "claim-unverified", "eg:assertedBy", "MaxCount",
      add="test:claim-unverified eg:assertedBy test:article-1 ."),
    M("ClaimShape", "asserted-by-a-person", "claim-unverified", "eg:assertedBy", "Class",
      remove="test:claim-unverified eg:assertedBy test:web-article-1 .",
      add="test:claim-unverified eg:assertedBy test:person-1 ."),
    M("ClaimShape", "asserted-by-nobody", "claim-unsupported", "eg:assertedBy", "MinCount",
      remove="test:claim-unsupported eg:assertedBy test:web-article-1 ."),
    M("ClaimShape", "quote-missing", "claim-unsupported", "eg:quote", "MinCount",
      remove="test:claim-unsupported eg:quote 'A 2019 study proved it.' ."),
    M("ClaimShape", "quote-empty", "claim-unsupported", "eg:quote", "MinLength",
      remove="test:claim-unsupported eg:quote 'A 2019 study proved it.' .",
      add="test:claim-unsupported eg:quote '' ."),
    M("ClaimShape", "quote-twice", "claim-unsupported", "eg:quote", "MaxCount",
      add="test:claim-unsupported eg:quote 'Another quote.' ."),
    M("ClaimShape", "claimKind-outside-scheme", "claim-unverified", "eg:claimKind", "In",
      remove="test:claim-unverified eg:claimKind egv:RiskClaim .",
      add="test:claim-unverified eg:claimKind egv:Confirmed ."),
    M("ClaimShape", "status-outside-scheme", "claim-unverified", "eg:verificationStatus", "In",
      remove="test:claim-unverified eg:verificationStatus egv:Unverified .",
      add="test:claim-unverified eg:verificationStatus egv:Completed ."),
    M("ClaimShape", "status-missing", "claim-unsupported", "eg:verificationStatus",
      "MinCount",
      remove="test:claim-unsupported eg:verificationStatus egv:Unsupported ."),
    M("ClaimShape", "supportedBy-a-person", "claim-unsupported", "eg:supportedBy", "Or",
      add="test:claim-unsupported eg:supportedBy test:person-1 ."),
    M("ClaimShape", "disputedBy-a-risk", "claim-unsupported", "eg:disputedBy", "Or",
      add="test:claim-unsupported eg:disputedBy test:risk-1 ."),
    M("ClaimShape", "inconclusiveEvidence-a-risk", "claim-unsupported",
      "eg:inconclusiveEvidence", "Or",
      add="test:claim-unsupported eg:inconclusiveEvidence test:risk-1 ."),
    M("ClaimShape", "attributedTo-a-risk", "claim-unverified", "eg:attributedTo", "Class",
      remove="test:claim-unverified eg:attributedTo test:person-1 .",
      add="test:claim-unverified eg:attributedTo test:risk-1 ."),
    M("ClaimShape", "about-a-literal", "claim-confirmed", "eg:about", "NodeKind",
      remove="test:claim-confirmed eg:about test:trial-1 .",
      add="test:claim-confirmed eg:about 'the test trial' ."),
    M("ClaimShape", "candidateReferent-an-organization", "claim-ambiguous",
      "eg:candidateReferent", "Class",
      add="test:claim-ambiguous eg:candidateReferent test:org-1 ."),
    M("ClaimShape", "closestEvidence-a-drug", "claim-unsupported", "eg:closestEvidence",
      "Class",
      remove="test:claim-unsupported eg:closestEvidence test:study-1 .",
      add="test:claim-unsupported eg:closestEvidence test:drug-1 ."),
    M("ClaimShape", "namesTreatment-a-literal", "claim-unverified", "eg:namesTreatment",
      "NodeKind",
      add="test:claim-unverified eg:namesTreatment 'testamine' ."),
    M("ClaimShape", "namesTreatment-a-risk", "claim-unverified", "eg:namesTreatment", "Or",
      add="test:claim-unverified eg:namesTreatment test:risk-1 ."),
    M("ClaimShape", "namesRisk-a-drug", "claim-unverified", "eg:namesRisk", "Class",
      remove="test:claim-unverified eg:namesRisk test:risk-1 .",
      add="test:claim-unverified eg:namesRisk test:drug-1 ."),
    M("ClaimShape", "statedValue-string", "claim-confirmed", "eg:statedValue", "Datatype",
      remove="test:claim-confirmed eg:statedValue 96.0 .",
      add="test:claim-confirmed eg:statedValue '96' ."),
    M("ClaimShape", "statedUnit-outside-scheme", "claim-confirmed", "eg:statedUnit", "In",
      remove="test:claim-confirmed eg:statedUnit egv:Participants .",
      add="test:claim-confirmed eg:statedUnit egv:Randomised ."),
    M("ClaimShape", "verificationNote-twice", "claim-confirmed", "eg:verificationNote",
      "MaxCount",
      add="test:claim-confirmed eg:verificationNote 'A second note.' ."),
    # ===== claim rules =================================================================
    M("ClaimPercentRangeShape", "percent-101", "claim-misreported", "", "Or",
      remove="test:claim-misreported eg:statedValue 86.0 .",
      add="test:claim-misreported eg:statedValue 101.0 ."),
    M("ClaimPercentRangeShape", "percent-minus-1", "claim-misreported", "", "Or",
      remove="test:claim-misreported eg:statedValue 86.0 .",
      add="test:claim-misreported eg:statedValue -1.0 ."),
    M("ConfirmedClaimShape", "without-supportedBy", "claim-confirmed", "", "Or",
      remove="test:claim-confirmed eg:supportedBy test:finding-1 ."),
    M("MisreportedClaimShape", "without-disputedBy", "claim-misreported", "", "Or",
      remove="test:claim-misreported eg:disputedBy test:finding-2 ."),
    M("ContestedClaimShape", "only-supported", "claim-contested", "", "Or",
      remove="test:claim-contested eg:disputedBy test:report-1 ."),
    M("ContestedClaimShape", "only-disputed", "claim-contested", "", "Or",
      remove="test:claim-contested eg:supportedBy test:article-1 ."),
    # decision 0016: inconclusive evidence can stand against support, not in its place
    M("ContestedClaimShape", "only-inconclusive", "claim-contested", "", "Or",
      remove="test:claim-contested eg:supportedBy test:article-1 . "
             "test:claim-contested eg:disputedBy test:report-1 .",
      add="test:claim-contested eg:inconclusiveEvidence test:report-1 ."),
    M("AmbiguousClaimShape", "one-candidate", "claim-ambiguous", "", "Or",
      remove="test:claim-ambiguous eg:candidateReferent test:study-1 ."),
    # ===== agents, interests, links, risks, concepts ====================================
    M("AgentShape", "person-label-missing", "person-1", "rdfs:label", "MinCount",
      remove="test:person-1 rdfs:label 'Test Investigator' ."),
    M("AgentShape", "organization-label-twice", "org-1", "rdfs:label", "MaxCount",
      add="test:org-1 rdfs:label 'Another name' ."),
    M("AgentShape", "organization-label-langString", "org-2", "rdfs:label", "Datatype",
      remove="test:org-2 rdfs:label 'Test Brand' .",
      add="test:org-2 rdfs:label 'Test Brand'@en ."),
    M("PersonShape", "authorBiography-twice", "person-1", "eg:authorBiography", "MaxCount",
      add="test:person-1 eg:authorBiography 'Another biography.' ."),
    M("PersonShape", "clinicalExpertise-yes", "person-1", "eg:clinicalExpertise", "Datatype",
      remove="test:person-1 eg:clinicalExpertise true .",
      add="test:person-1 eg:clinicalExpertise 'yes' ."),
    M("PersonShape", "affiliationText-integer", "person-1", "eg:affiliationText", "Datatype",
      add="test:person-1 eg:affiliationText 42 ."),
    M("PersonShape", "orcid-short", "person-1", "eg:orcid", "Pattern",
      add="test:person-1 eg:orcid '0000-0002-1825' ."),
    M("PersonShape", "authorPosition-0", "person-1", "eg:authorPosition", "MinInclusive",
      add="test:person-1 eg:authorPosition 0 ."),
    M("PersonShape", "affiliation-a-risk", "person-1", "eg:affiliation", "Class",
      remove="test:person-1 eg:affiliation test:org-1 .",
      add="test:person-1 eg:affiliation test:risk-1 ."),
    M("OrganizationShape", "also-a-person", "org-2", "", "Not",
      add="test:org-2 a eg:Person ."),
    M("CommercialInterestShape", "interestedParty-missing", "commercial-interest-1",
      "eg:interestedParty", "MinCount",
      remove="test:commercial-interest-1 eg:interestedParty test:org-2 ."),
    M("CommercialInterestShape", "interestedParty-a-risk", "commercial-interest-1",
      "eg:interestedParty", "Class",
      remove="test:commercial-interest-1 eg:interestedParty test:org-2 .",
      add="test:commercial-interest-1 eg:interestedParty test:risk-1 ."),
    M("CommercialInterestShape", "interestKind-outside-scheme", "commercial-interest-1",
      "eg:interestKind", "In",
      remove="test:commercial-interest-1 eg:interestKind egv:BrandMention .",
      add="test:commercial-interest-1 eg:interestKind egv:Confirmed ."),
    M("CommercialInterestShape", "quote-twice", "commercial-interest-1", "eg:quote",
      "MaxCount",
      add="test:commercial-interest-1 eg:quote 'Another quote.' ."),
    M("RegistryLinkShape", "registryId-seven-digits", "registry-link-1", "eg:registryId",
      "Pattern",
      remove="test:registry-link-1 eg:registryId 'NCT00000002' .",
      add="test:registry-link-1 eg:registryId 'NCT0000002' ."),
    M("RegistryLinkShape", "registryId-missing", "registry-link-1", "eg:registryId",
      "MinCount",
      remove="test:registry-link-1 eg:registryId 'NCT00000002' ."),
    M("RegistryLinkShape", "linkBasis-outside-scheme", "registry-link-1", "eg:linkBasis", "In",
      remove="test:registry-link-1 eg:linkBasis egv:InferredLink .",
      add="test:registry-link-1 eg:linkBasis egv:Confirmed ."),
    M("RegistryLinkShape", "status-misreported", "registry-link-1", "eg:verificationStatus",
      "In",
      remove="test:registry-link-1 eg:verificationStatus egv:Unverified .",
      add="test:registry-link-1 eg:verificationStatus egv:Misreported ."),
    M("RiskShape", "label-missing", "risk-1", "rdfs:label", "MinCount",
      remove="test:risk-1 rdfs:label 'nausea' ."),
    M("ConceptShape", "prefLabel-missing", "concept-1", "skos:prefLabel", "MinCount",
      add="test:concept-1 a skos:Concept ; skos:inScheme egv:UnitScheme ."),
    M("ConceptShape", "inScheme-not-a-scheme", "concept-1", "skos:inScheme", "Class",
      add="test:concept-1 a skos:Concept ; skos:prefLabel 'x'@en ; skos:inScheme test:risk-1 ."),
    # ---- proto: the protocol sections of registry records (issue 18) ----
    M("StudyProtocolShape", "eligibilityCriteria-twice", "trial-1",
      "eg:eligibilityCriteria", "MaxCount",
      add="test:trial-1 eg:eligibilityCriteria 'Exclusion Criteria: none.' ."),
    M("StudyProtocolShape", "eligibleSex-outside-scheme", "trial-1", "eg:eligibleSex", "In",
      remove="test:trial-1 eg:eligibleSex egv:FemaleOnly .",
      add="test:trial-1 eg:eligibleSex egv:Adult ."),
    M("StudyProtocolShape", "healthyVolunteers-text", "trial-1", "eg:healthyVolunteers", "Datatype",
      remove="test:trial-1 eg:healthyVolunteers false .",
      add="test:trial-1 eg:healthyVolunteers 'no' ."),
    M("StudyProtocolShape", "minimumAge-twice", "trial-1", "eg:minimumAge", "MaxCount",
      add="test:trial-1 eg:minimumAge '17 Years' ."),
    M("StudyProtocolShape", "maximumAge-number", "trial-1", "eg:maximumAge", "Datatype",
      remove="test:trial-1 eg:maximumAge '6 Months' .",
      add="test:trial-1 eg:maximumAge 65 ."),
    M("StudyProtocolShape", "minimumAgeYears-negative", "trial-1",
      "eg:minimumAgeYears", "MinInclusive",
      remove="test:trial-1 eg:minimumAgeYears 18.0 .",
      add="test:trial-1 eg:minimumAgeYears -1.0 ."),
    M("StudyProtocolShape", "maximumAgeYears-text", "trial-1", "eg:maximumAgeYears", "Datatype",
      remove="test:trial-1 eg:maximumAgeYears 0.5 .",
      add="test:trial-1 eg:maximumAgeYears '6 Months' ."),
    M("StudyProtocolShape", "ageGroup-outside-scheme", "trial-1", "eg:ageGroup", "In",
      add="test:trial-1 eg:ageGroup egv:FemaleOnly ."),
    M("StudyProtocolShape", "location-not-a-site", "trial-1", "eg:location", "Class",
      add="test:trial-1 eg:location test:org-1 ."),
    M("StudyProtocolShape", "overallOfficial-not-a-person", "trial-1",
      "eg:overallOfficial", "Class",
      add="test:trial-1 eg:overallOfficial test:org-1 ."),
    M("StudyProtocolShape", "responsibleParty-twice", "trial-1", "eg:responsibleParty", "MaxCount",
      add="test:trial-1 eg:responsibleParty test:person-1 ."),
    M("StudyProtocolShape", "responsiblePartyType-outside-scheme", "trial-1",
      "eg:responsiblePartyType", "In",
      remove="test:trial-1 eg:responsiblePartyType egv:SponsorResponsible .",
      add="test:trial-1 eg:responsiblePartyType egv:PrincipalInvestigator ."),
    M("StudyProtocolShape", "primaryPurpose-outside-scheme", "trial-1", "eg:primaryPurpose", "In",
      remove="test:trial-1 eg:primaryPurpose egv:TreatmentPurpose .",
      add="test:trial-1 eg:primaryPurpose egv:Randomised ."),
    M("StudyProtocolShape", "maskedRole-outside-scheme", "trial-1", "eg:maskedRole", "In",
      add="test:trial-1 eg:maskedRole egv:DoubleBlind ."),
    M("StudyProtocolShape", "observationalModel-outside-scheme", "study-1",
      "eg:observationalModel", "In",
      remove="test:study-1 eg:observationalModel egv:CohortModel .",
      add="test:study-1 eg:observationalModel egv:Prospective ."),
    M("StudyProtocolShape", "timePerspective-twice", "study-1", "eg:timePerspective", "MaxCount",
      add="test:study-1 eg:timePerspective egv:Retrospective ."),
    M("StudyProtocolShape", "startDateActual-text", "trial-1", "eg:startDateActual", "Datatype",
      remove="test:trial-1 eg:startDateActual true .",
      add="test:trial-1 eg:startDateActual 'ACTUAL' ."),
    M("StudyProtocolShape", "primaryCompletionDateActual-twice", "trial-1",
      "eg:primaryCompletionDateActual", "MaxCount",
      add="test:trial-1 eg:primaryCompletionDateActual false ."),
    M("StudyProtocolShape", "completionDateActual-text", "trial-1",
      "eg:completionDateActual", "Datatype",
      remove="test:trial-1 eg:completionDateActual false .",
      add="test:trial-1 eg:completionDateActual 'ESTIMATED' ."),
    M("StudyProtocolShape", "whyStopped-twice", "trial-1", "eg:whyStopped", "MaxCount",
      add="test:trial-1 eg:whyStopped 'Sponsor decision.' ."),
    M("StudyProtocolShape", "lastKnownStatus-outside-scheme", "trial-1", "eg:lastKnownStatus", "In",
      remove="test:trial-1 eg:lastKnownStatus egv:Recruiting .",
      add="test:trial-1 eg:lastKnownStatus egv:Phase2 ."),
    M("StudyProtocolShape", "statusVerifiedDate-text", "trial-1", "eg:statusVerifiedDate", "Or",
      remove="test:trial-1 eg:statusVerifiedDate '2020-02'^^xsd:gYearMonth .",
      add="test:trial-1 eg:statusVerifiedDate 'February 2020' ."),
    M("StudyProtocolShape", "detailedDescription-twice", "trial-1",
      "eg:detailedDescription", "MaxCount",
      add="test:trial-1 eg:detailedDescription 'Another.' ."),
    M("StudyProtocolShape", "keyword-number", "trial-1", "eg:keyword", "Datatype",
      add="test:trial-1 eg:keyword 7 ."),
    M("StudyProtocolShape", "fdaRegulatedDrug-text", "trial-1", "eg:fdaRegulatedDrug", "Datatype",
      remove="test:trial-1 eg:fdaRegulatedDrug true .",
      add="test:trial-1 eg:fdaRegulatedDrug 'yes' ."),
    M("StudyProtocolShape", "fdaRegulatedDevice-twice", "trial-1",
      "eg:fdaRegulatedDevice", "MaxCount",
      add="test:trial-1 eg:fdaRegulatedDevice true ."),
    M("StudyProtocolShape", "dataMonitoringCommittee-text", "trial-1",
      "eg:dataMonitoringCommittee", "Datatype",
      remove="test:trial-1 eg:dataMonitoringCommittee true .",
      add="test:trial-1 eg:dataMonitoringCommittee 'yes' ."),
    M("StudyProtocolShape", "nctIdAlias-seven-digits", "trial-1", "eg:nctIdAlias", "Pattern",
      remove="test:trial-1 eg:nctIdAlias 'NCT00000009' .",
      add="test:trial-1 eg:nctIdAlias 'NCT0000009' ."),
    M("StudyProtocolShape", "studiesIntervention-not-an-intervention", "trial-1",
      "eg:studiesIntervention", "Class",
      add="test:trial-1 eg:studiesIntervention test:org-1 ."),
    M("StudySiteShape", "label-missing", "site-1", "rdfs:label", "MinCount",
      remove="test:site-1 rdfs:label 'Test Hospital' ."),
    M("StudySiteShape", "facility-twice", "site-1", "eg:facility", "MaxCount",
      add="test:site-1 eg:facility 'Other Hospital' ."),
    M("StudySiteShape", "city-number", "site-1", "eg:city", "Datatype",
      remove="test:site-1 eg:city 'La Jolla' .",
      add="test:site-1 eg:city 1 ."),
    M("StudySiteShape", "state-twice", "site-1", "eg:state", "MaxCount",
      add="test:site-1 eg:state 'CA' ."),
    M("StudySiteShape", "postalCode-number", "site-1", "eg:postalCode", "Datatype",
      remove="test:site-1 eg:postalCode '92093' .",
      add="test:site-1 eg:postalCode 92093 ."),
    M("StudySiteShape", "country-twice", "site-1", "eg:country", "MaxCount",
      add="test:site-1 eg:country 'USA' ."),
    M("StudySiteShape", "siteStatus-outside-scheme", "site-1", "eg:siteStatus", "In",
      remove="test:site-1 eg:siteStatus egv:Recruiting .",
      add="test:site-1 eg:siteStatus egv:Adult ."),
    M("StudySiteShape", "latitude-off-the-globe", "site-1", "eg:latitude", "MaxInclusive",
      remove="test:site-1 eg:latitude 32.84727 .",
      add="test:site-1 eg:latitude 132.84727 ."),
    M("StudySiteShape", "longitude-off-the-globe", "site-1", "eg:longitude", "MinInclusive",
      remove="test:site-1 eg:longitude -117.2742 .",
      add="test:site-1 eg:longitude -217.2742 ."),
    M("OfficialShape", "officialRole-outside-scheme", "person-1", "eg:officialRole", "In",
      remove="test:person-1 eg:officialRole egv:PrincipalInvestigator .",
      add="test:person-1 eg:officialRole egv:PrincipalInvestigatorResponsible ."),
    M("OfficialShape", "positionTitle-twice", "person-1", "eg:positionTitle", "MaxCount",
      add="test:person-1 eg:positionTitle 'Dean' ."),
    M("AgencyClassShape", "agencyClass-outside-scheme", "org-1", "eg:agencyClass", "In",
      add="test:org-1 eg:agencyClass egv:Adult ."),
    M("RegistryRecordLinksShape", "backgroundReference-literal", "registry-record-1",
      "eg:backgroundReference", "NodeKind",
      add="test:registry-record-1 eg:backgroundReference 'PMID 1' ."),
    M("RegistryRecordLinksShape", "resultReference-literal", "registry-record-1",
      "eg:resultReference", "NodeKind",
      add="test:registry-record-1 eg:resultReference 'PMID 1' ."),
    M("RegistryRecordLinksShape", "derivedReference-literal", "registry-record-1",
      "eg:derivedReference", "NodeKind",
      add="test:registry-record-1 eg:derivedReference 'PMID 1' ."),
    M("RegistryRecordLinksShape", "seeAlsoLink-not-a-link", "registry-record-1",
      "eg:seeAlsoLink", "Class",
      add="test:registry-record-1 eg:seeAlsoLink test:org-1 ."),
    M("WebLinkShape", "label-twice", "web-link-1", "rdfs:label", "MaxCount",
      add="test:web-link-1 rdfs:label 'Another page' ."),
    M("WebLinkShape", "linkUrl-text", "web-link-1", "eg:linkUrl", "Datatype",
      remove="test:web-link-1 eg:linkUrl 'https://example.org/test'^^xsd:anyURI .",
      add="test:web-link-1 eg:linkUrl 'https://example.org/test' ."),
    # ---- mesh: MeSH terms (issue 18) ----
    M("MeshTermShape", "label-twice", "mesh-1", "rdfs:label", "MaxCount",
      add="test:mesh-1 rdfs:label 'ALCOHOLISM' ."),
    M("MeshTermShape", "notation-padded-wrongly", "mesh-1", "skos:notation", "Pattern",
      remove="test:mesh-1 skos:notation 'D000437' .", add="test:mesh-1 skos:notation 'D0437' ."),
    M("MeshTermShape", "broaderTransitive-not-mesh", "mesh-1", "skos:broaderTransitive",
      "Class", add="test:mesh-1 skos:broaderTransitive test:risk-1 ."),
    M("StudyMeshShape", "conditionMesh-not-mesh", "study-1", "eg:conditionMesh", "Class",
      add="test:study-1 eg:conditionMesh test:risk-1 ."),
    M("StudyMeshShape", "conditionMeshAncestor-not-mesh", "study-1",
      "eg:conditionMeshAncestor", "Class",
      add="test:study-1 eg:conditionMeshAncestor test:risk-1 ."),
    M("StudyMeshShape", "interventionMesh-not-mesh", "study-1", "eg:interventionMesh", "Class",
      add="test:study-1 eg:interventionMesh test:risk-1 ."),
    M("StudyMeshShape", "interventionMeshAncestor-not-mesh", "study-1",
      "eg:interventionMeshAncestor", "Class",
      add="test:study-1 eg:interventionMeshAncestor test:risk-1 ."),
    M("ConditionMeshShape", "meshTerm-not-mesh", "condition-1", "eg:meshTerm", "Class",
      add="test:condition-1 eg:meshTerm test:risk-1 ."),
    # ===== results (issue 18): baseline, adverse-event details, PubMed fields ==========
    M("BaselineCharacteristicShape", "label-missing", "baseline-1", "rdfs:label", "MinCount",
      remove="test:baseline-1 rdfs:label 'Age, Continuous' ."),
    M("BaselineCharacteristicShape", "parameterType-outside-scheme", "baseline-1",
      "eg:parameterType", "In",
      remove="test:baseline-1 eg:parameterType egv:GroupMedian .",
      add="test:baseline-1 eg:parameterType egv:Confirmed ."),
    M("BaselineCharacteristicShape", "dispersionType-twice", "baseline-1", "eg:dispersionType",
      "MaxCount", add="test:baseline-1 eg:dispersionType 'STANDARD_DEVIATION' ."),
    M("BaselineCharacteristicShape", "unitOfMeasure-integer", "baseline-1",
      "eg:unitOfMeasure", "Datatype",
      remove="test:baseline-1 eg:unitOfMeasure 'years' .",
      add="test:baseline-1 eg:unitOfMeasure 12 ."),
    M("BaselineCharacteristicShape", "of-no-study", "baseline-1",
      "^eg:hasBaselineCharacteristic", "MinCount",
      remove="test:trial-1 eg:hasBaselineCharacteristic test:baseline-1 ."),
    M("BaselineValueShape", "characteristic-missing", "baseline-value-1", "eg:characteristic",
      "MinCount", remove="test:baseline-value-1 eg:characteristic test:baseline-1 ."),
    M("BaselineValueShape", "groupTitle-missing", "baseline-value-1", "eg:groupTitle",
      "MinCount", remove="test:baseline-value-1 eg:groupTitle 'drug + therapy' ."),
    M("BaselineValueShape", "forArm-a-risk", "baseline-value-1", "eg:forArm", "Class",
      remove="test:baseline-value-1 eg:forArm test:arm-1 .",
      add="test:baseline-value-1 eg:forArm test:risk-1 ."),
    M("BaselineValueShape", "allParticipants-no", "baseline-value-1", "eg:allParticipants",
      "Datatype",
      remove="test:baseline-value-1 eg:allParticipants false .",
      add="test:baseline-value-1 eg:allParticipants 'no' ."),
    M("BaselineValueShape", "className-twice", "baseline-value-1", "eg:className", "MaxCount",
      add="test:baseline-value-1 eg:className 'Children' ."),
    M("BaselineValueShape", "categoryName-integer", "baseline-value-1", "eg:categoryName",
      "Datatype",
      remove="test:baseline-value-1 eg:categoryName 'All' .",
      add="test:baseline-value-1 eg:categoryName 7 ."),
    M("BaselineValueShape", "reportedValue-string", "baseline-value-1", "eg:reportedValue",
      "Datatype",
      remove="test:baseline-value-1 eg:reportedValue 41.0 .",
      add="test:baseline-value-1 eg:reportedValue '41' ."),
    M("BaselineValueShape", "dispersionValue-negative", "baseline-value-1",
      "eg:dispersionValue", "MinInclusive",
      remove="test:baseline-value-1 eg:dispersionValue 9.5 .",
      add="test:baseline-value-1 eg:dispersionValue -9.5 ."),
    M("BaselineValueShape", "lowerLimit-string", "baseline-value-1", "eg:lowerLimit",
      "Datatype",
      remove="test:baseline-value-1 eg:lowerLimit 19.0 .",
      add="test:baseline-value-1 eg:lowerLimit '19' ."),
    M("BaselineValueShape", "upperLimit-twice", "baseline-value-1", "eg:upperLimit",
      "MaxCount", add="test:baseline-value-1 eg:upperLimit 65.0 ."),
    M("BaselineValueShape", "analysedCount-negative", "baseline-value-1", "eg:analysedCount",
      "MinInclusive",
      remove="test:baseline-value-1 eg:analysedCount 48 .",
      add="test:baseline-value-1 eg:analysedCount -1 ."),
    M("BaselineValueShape", "label-twice", "baseline-value-1", "rdfs:label", "MaxCount",
      add="test:baseline-value-1 rdfs:label 'Another label' ."),
    M("AdverseEventDetailShape", "organSystem-twice", "finding-3", "eg:organSystem",
      "MaxCount", add="test:finding-3 eg:organSystem 'Nervous system disorders' ."),
    M("AdverseEventDetailShape", "sourceVocabulary-integer", "finding-3",
      "eg:sourceVocabulary", "Datatype",
      remove="test:finding-3 eg:sourceVocabulary 'MedDRA 26.0' .",
      add="test:finding-3 eg:sourceVocabulary 26 ."),
    M("AdverseEventDetailShape", "systematicAssessment-yes", "finding-3",
      "eg:systematicAssessment", "Datatype",
      remove="test:finding-3 eg:systematicAssessment true .",
      add="test:finding-3 eg:systematicAssessment 'yes' ."),
    M("FrequencyThresholdShape", "frequencyThreshold-over-100", "outcome-2",
      "eg:frequencyThreshold", "MaxInclusive",
      remove="test:outcome-2 eg:frequencyThreshold 5.0 .",
      add="test:outcome-2 eg:frequencyThreshold 150.0 ."),
    M("ArticleIndexingShape", "meshHeading-a-risk", "article-1", "eg:meshHeading", "Class",
      add="test:article-1 eg:meshHeading test:risk-1 ."),
    M("ArticleIndexingShape", "chemical-a-literal", "article-1", "eg:chemical", "NodeKind",
      add="test:article-1 eg:chemical 'trametinib' ."),
    M("ArticleIndexingShape", "fundedBy-a-risk", "article-1", "eg:fundedBy", "Class",
      add="test:article-1 eg:fundedBy test:risk-1 ."),
    M("ArticleIndexingShape", "keyword-integer", "article-1", "eg:keyword", "Datatype",
      add="test:article-1 eg:keyword 42 ."),
    M("ArticleIndexingShape", "pmcid-digits-only", "article-1", "eg:pmcid", "Pattern",
      remove="test:article-1 eg:pmcid 'PMC1234567' .",
      add="test:article-1 eg:pmcid '1234567' ."),
    M("ArticleIndexingShape", "language-a-name", "article-1", "eg:language", "Pattern",
      add="test:article-1 eg:language 'English' ."),
    M("ArticleIndexingShape", "volume-twice", "article-1", "eg:volume", "MaxCount",
      add="test:article-1 eg:volume '13' ."),
    M("ArticleIndexingShape", "issue-integer", "article-1", "eg:issue", "Datatype",
      remove="test:article-1 eg:issue '3' .",
      add="test:article-1 eg:issue 3 ."),
    M("ArticleIndexingShape", "pages-twice", "article-1", "eg:pages", "MaxCount",
      add="test:article-1 eg:pages '101' ."),
    M("MeshHeadingShape", "meshDescriptor-missing", "mesh-heading-1", "eg:meshDescriptor",
      "MinCount", remove="test:mesh-heading-1 eg:meshDescriptor test:mesh-descriptor-1 ."),
    M("MeshHeadingShape", "meshQualifier-a-literal", "mesh-heading-2", "eg:meshQualifier",
      "NodeKind",
      remove="test:mesh-heading-2 eg:meshQualifier test:mesh-qualifier-1 .",
      add="test:mesh-heading-2 eg:meshQualifier 'drug therapy' ."),
    M("MeshHeadingShape", "majorTopic-missing", "mesh-heading-1", "eg:majorTopic", "MinCount",
      remove="test:mesh-heading-1 eg:majorTopic false ."),
    M("GrantShape", "fundingAgency-missing", "grant-1", "eg:fundingAgency", "MinCount",
      remove="test:grant-1 eg:fundingAgency 'Test Institute' ."),
    M("GrantShape", "grantId-twice", "grant-1", "eg:grantId", "MaxCount",
      add="test:grant-1 eg:grantId 'R01 TEST000002' ."),
    M("GrantShape", "grantCountry-integer", "grant-1", "eg:grantCountry", "Datatype",
      remove="test:grant-1 eg:grantCountry 'United States' .",
      add="test:grant-1 eg:grantCountry 1 ."),
    # ---- grade: who checked a claim, GRADE certainty by domain, RoB 2 (issue 19) ----
    M("CheckedClaimShape", "verifiedOn-missing", "claim-confirmed", "", "Or",
      remove="test:claim-confirmed eg:verifiedOn '2026-11-21'^^xsd:date ."),
    M("CheckedClaimShape", "verifiedBy-missing", "claim-contested", "", "Or",
      remove="test:claim-contested eg:verifiedBy test:org-1 ."),
    M("ClaimVerifierShape", "verifiedBy-twice", "claim-misreported", "eg:verifiedBy", "MaxCount",
      add="test:claim-misreported eg:verifiedBy test:org-2 ."),
    M("ClaimVerifierShape", "verifiedBy-a-risk", "claim-misreported", "eg:verifiedBy", "Class",
      remove="test:claim-misreported eg:verifiedBy test:org-1 .",
      add="test:claim-misreported eg:verifiedBy test:risk-1 ."),
    M("ClaimVerifierShape", "verifiedOn-a-string", "claim-misreported", "eg:verifiedOn",
      "Datatype",
      remove="test:claim-misreported eg:verifiedOn '2026-11-21'^^xsd:date .",
      add="test:claim-misreported eg:verifiedOn '21 November 2026' ."),
    M("FindingCertaintyShape", "certainty-a-risk", "finding-1", "eg:certainty", "Class",
      add="test:finding-1 eg:certainty test:risk-1 ."),
    M("StudyRiskOfBiasShape", "riskOfBias-a-risk", "trial-1", "eg:riskOfBias", "Class",
      add="test:trial-1 eg:riskOfBias test:risk-1 ."),
    M("AssessmentShape", "attribution-missing", "certainty-1", "prov:wasAttributedTo", "MinCount",
      remove="test:certainty-1 prov:wasAttributedTo test:org-1 ."),
    M("AssessmentShape", "date-a-year", "rob-1", "dcterms:date", "Datatype",
      remove="test:rob-1 dcterms:date '2026-12-07'^^xsd:date .",
      add="test:rob-1 dcterms:date '2026'^^xsd:gYear ."),
    M("AssessmentShape", "rationale-missing", "rob-1", "eg:rationale", "MinCount",
      remove="test:rob-1 eg:rationale 'Some concerns in one domain, low in the others.' ."),
    M("AssessmentShape", "domainJudgement-a-risk", "certainty-1", "eg:domainJudgement", "Class",
      add="test:certainty-1 eg:domainJudgement test:risk-1 ."),
    M("AssessmentShape", "domain-judged-twice", "certainty-1", "", "SPARQL",
      add="test:certainty-1 eg:domainJudgement test:certainty-1-imprecision-again . "
          "test:certainty-1-imprecision-again a eg:DomainJudgement ; eg:domain egv:Imprecision ; "
          "eg:judgement egv:NoConcern ; eg:rationale 'Again.' ."),
    M("CertaintyAssessmentShape", "evidenceLevel-missing", "certainty-1", "eg:evidenceLevel",
      "MinCount",
      remove="test:certainty-1 eg:evidenceLevel egv:ModerateCertainty ."),
    M("CertaintyAssessmentShape", "four-domains", "certainty-1", "eg:domainJudgement",
      "MinCount",
      remove="test:certainty-1 eg:domainJudgement test:certainty-1-publication-bias , "
             "test:certainty-1-large-effect ."),
    M("CertaintyAssessmentShape", "level-differs-from-finding", "certainty-1", "", "SPARQL",
      remove="test:certainty-1 eg:evidenceLevel egv:ModerateCertainty . "
             "test:certainty-1-imprecision eg:judgement egv:SeriousConcern .",
      add="test:certainty-1 eg:evidenceLevel egv:HighCertainty . "
          "test:certainty-1-imprecision eg:judgement egv:NoConcern ."),
    M("CertaintyAssessmentShape", "arithmetic-broken", "certainty-1", "", "SPARQL",
      remove="test:certainty-1-imprecision eg:judgement egv:SeriousConcern .",
      add="test:certainty-1-imprecision eg:judgement egv:VerySeriousConcern ."),
    M("CertaintyAssessmentShape", "publication-bias-not-judged", "certainty-1", "", "SPARQL",
      remove="test:certainty-1-publication-bias eg:domain egv:PublicationBias . "
             "test:certainty-1-publication-bias eg:judgement egv:NoConcern .",
      add="test:certainty-1-publication-bias eg:domain egv:DoseResponseGradient . "
          "test:certainty-1-publication-bias eg:judgement egv:NoUpgrade ."),
    M("CertaintyAssessmentShape", "rob2-domain-in-grade", "certainty-1", "", "SPARQL",
      remove="test:certainty-1-large-effect eg:domain egv:LargeEffect . "
             "test:certainty-1-large-effect eg:judgement egv:NoUpgrade .",
      add="test:certainty-1-large-effect eg:domain egv:MissingOutcomeData . "
          "test:certainty-1-large-effect eg:judgement egv:LowRisk ."),
    M("DomainJudgementShape", "domain-missing", "rob-1-missing", "eg:domain", "MinCount",
      remove="test:rob-1-missing eg:domain egv:MissingOutcomeData ."),
    M("DomainJudgementShape", "judgement-twice", "certainty-1-inconsistency", "eg:judgement",
      "MaxCount",
      add="test:certainty-1-inconsistency eg:judgement egv:NoUpgrade ."),
    M("DomainJudgementShape", "rationale-empty", "certainty-1-indirectness", "eg:rationale",
      "MinLength",
      remove="test:certainty-1-indirectness eg:rationale 'Direct.' .",
      add="test:certainty-1-indirectness eg:rationale '' ."),
    M("DomainJudgementShape", "grade-domain-rob-judgement", "certainty-1-risk-of-bias", "", "Or",
      remove="test:certainty-1-risk-of-bias eg:judgement egv:NoConcern .",
      add="test:certainty-1-risk-of-bias eg:judgement egv:LowRisk ."),
    M("RiskOfBiasAssessmentShape", "overall-a-grade-level", "rob-1", "eg:overallJudgement", "In",
      remove="test:rob-1 eg:overallJudgement egv:SomeConcerns .",
      add="test:rob-1 eg:overallJudgement egv:SeriousConcern ."),
    M("RiskOfBiasAssessmentShape", "override-rationale-twice", "rob-1", "eg:overrideRationale",
      "MaxCount",
      remove="test:rob-1 eg:overallJudgement egv:SomeConcerns .",
      add="test:rob-1 eg:overallJudgement egv:HighRisk ; eg:overrideRationale 'One.' , 'Two.' ."),
    M("RiskOfBiasAssessmentShape", "four-domains", "rob-1", "eg:domainJudgement", "MinCount",
      remove="test:rob-1 eg:domainJudgement test:rob-1-selection ."),
    M("RiskOfBiasAssessmentShape", "grade-domain-in-rob2", "rob-1", "", "SPARQL",
      remove="test:rob-1-selection eg:domain egv:SelectionOfTheReportedResult . "
             "test:rob-1-selection eg:judgement egv:LowRisk .",
      add="test:rob-1-selection eg:domain egv:Imprecision . "
          "test:rob-1-selection eg:judgement egv:NoConcern ."),
    M("RiskOfBiasAssessmentShape", "overall-below-worst-domain", "rob-1", "", "SPARQL",
      remove="test:rob-1 eg:overallJudgement egv:SomeConcerns .",
      add="test:rob-1 eg:overallJudgement egv:LowRisk ."),
    M("RiskOfBiasAssessmentShape", "override-without-rationale", "rob-1", "", "SPARQL",
      remove="test:rob-1 eg:overallJudgement egv:SomeConcerns .",
      add="test:rob-1 eg:overallJudgement egv:HighRisk ."),
    M("RiskOfBiasAssessmentShape", "override-rationale-when-rule-holds", "rob-1", "", "SPARQL",
      add="test:rob-1 eg:overrideRationale 'Judged more severe.' ."),
]
# fmt: on


def mutated(mutation: Mutation) -> Graph:
    """The valid graph with the mutation applied; every removed triple must be there."""
    graph = valid_graph()
    for triple in turtle(mutation.remove):
        assert triple in graph, f"{mutation.id}: {triple} is not in the valid graph"
        graph.remove(triple)
    for triple in turtle(mutation.add):
        assert triple not in graph, f"{mutation.id}: {triple} is already in the valid graph"
        graph.add(triple)
    return graph


def _shapes_of(shape: str) -> set[Node]:
    """The node shape and its property shapes: what may be a result's sh:sourceShape."""
    node_shape = URIRef(EGSH + shape)
    return {node_shape, *shapes_graph().objects(node_shape, SH.property)}


def _raised_by(report: ValidationReport, mutation: Mutation, focus: URIRef) -> bool:
    """Whether some result on ``focus`` for the constraint came from the expected shape."""
    component = URIRef(str(SH) + f"{mutation.constraint}ConstraintComponent")
    allowed = _shapes_of(mutation.shape)
    return any(
        report.graph.value(result, SH.sourceShape) in allowed
        for result in report.graph.subjects(SH.focusNode, focus)
        if (result, SH.sourceConstraintComponent, component) in report.graph
    )


@functools.cache
def pyshacl_report(mutation: Mutation) -> ValidationReport:
    """pyshacl's report on the mutated graph, worked out once for the tests that read it."""
    return validate_graph(mutated(mutation))


@pytest.mark.parametrize("mutation", [pytest.param(m, id=m.id) for m in MUTATIONS])
def test_mutation_breaks_exactly_that_constraint(mutation: Mutation) -> None:
    report = pyshacl_report(mutation)
    focus = f"egid:test/{mutation.focus}"

    assert report.conforms is False
    expected: list[ValidationResult] = [
        result
        for result in report.results
        if result.focus_node == focus
        and result.path == mutation.path
        and result.constraint == sh(mutation.constraint)
    ]
    assert expected, f"no {sh(mutation.constraint)} on {focus} {mutation.path}\n{report.table()}"
    assert all(result.message for result in expected)
    assert all(result.severity == "Violation" for result in expected)
    assert _raised_by(report, mutation, TEST[mutation.focus]), report.table()
    # no collateral noise: every violation is on the node the mutation touched
    assert {result.focus_node for result in report.results} == {focus}, report.table()


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.id)
def test_the_gate_engine_reports_the_same_violations(mutation: Mutation) -> None:
    """rudof, which the gate uses, finds exactly what pyshacl finds, message included."""
    graph = mutated(mutation)
    by_pyshacl = pyshacl_report(mutation)
    rows = rudof_engine.ill_typed(to_quads(graph)) + rudof_engine.validate_ntriples(
        rudof_engine.ntriples(graph), None
    )
    by_rudof = {row.shown()[:4] for row in rows}
    assert by_rudof == {(r.focus_node, r.path, r.constraint, r.message) for r in by_pyshacl.results}


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.id)
def test_the_gates_first_look_never_passes_a_broken_graph(mutation: Mutation) -> None:
    """shifty's first look (decision 0015) lets a batch through without asking rudof: it must
    never pass one pyshacl finds a violation in (lexical forms are the gate's own check), nor,
    asked about the batch's own nodes, one where one of them breaks a shape."""
    graph = mutated(mutation)
    if rudof_engine.ill_typed(to_quads(graph)):
        return
    data = rudof_engine.ntriples(graph)
    assert not shifty_engine.conforms(data)
    # nor with the batch's own nodes named: the mutated node is one (decision 0015, amended)
    assert not engines.SHIFTY.passes(data, {str(TEST[mutation.focus])})


def test_the_gates_first_look_passes_the_valid_graph() -> None:
    assert shifty_engine.conforms(rudof_engine.ntriples(valid_graph()))


def test_the_gate_engine_refuses_ill_typed_dates_and_booleans() -> None:
    import pyoxigraph as ox

    def quad(subject: str, predicate: str, text: str, datatype: str) -> ox.Quad:
        return ox.Quad(
            ox.NamedNode(TEST[subject]),
            ox.NamedNode(EG[predicate]),
            ox.Literal(text, datatype=ox.NamedNode(f"http://www.w3.org/2001/XMLSchema#{datatype}")),
        )

    # built as pyoxigraph terms: rdflib would rewrite 'yes' to 'false' on parsing
    rows = rudof_engine.ill_typed(
        [
            quad("trial-1", "registrationDate", "2016-13-45", "date"),
            quad("trial-1", "registrationDate", "2016-02-30", "date"),
            quad("trial-1", "startDate", "20x6", "gYear"),
            quad("person-1", "clinicalExpertise", "yes", "boolean"),
            quad("trial-1", "completionDate", "2016-02-29", "date"),
            quad("person-1", "clinicalExpertise", "true", "boolean"),
        ]
    )
    assert [(row.focus_node, row.path, row.value) for row in rows] == [
        (
            "egid:test/trial-1",
            "eg:registrationDate",
            '"2016-13-45"^^<http://www.w3.org/2001/XMLSchema#date>',
        ),
        (
            "egid:test/trial-1",
            "eg:registrationDate",
            '"2016-02-30"^^<http://www.w3.org/2001/XMLSchema#date>',
        ),
        ("egid:test/trial-1", "eg:startDate", '"20x6"^^<http://www.w3.org/2001/XMLSchema#gYear>'),
        (
            "egid:test/person-1",
            "eg:clinicalExpertise",
            '"yes"^^<http://www.w3.org/2001/XMLSchema#boolean>',
        ),
    ]


def test_mutation_ids_are_unique() -> None:
    ids = [m.id for m in MUTATIONS]
    assert len(ids) == len(set(ids))


def test_every_constraint_of_the_shapes_has_a_mutation() -> None:
    """Each property shape (by node shape and path) and each node-level rule is exercised."""
    shapes = shapes_graph()
    required: set[tuple[str, str]] = set()
    for node_shape in shapes.subjects(RDF.type, SH.NodeShape):
        name = str(node_shape).removeprefix(EGSH)
        for prop in shapes.objects(node_shape, SH.property):
            required.add((name, show_path(shapes, shapes.value(prop, SH.path))))
        for rule in (SH["or"], SH["not"], SH["and"], SH.xone, SH.sparql):
            if (node_shape, rule, None) in shapes:
                required.add((name, ""))
    covered = {(m.shape, m.path) for m in MUTATIONS}
    assert sorted(required - covered) == []
    assert sorted(covered - required) == []


# --- the shapes file itself ----------------------------------------------------------


def test_every_shape_has_a_message() -> None:
    shapes = shapes_graph()
    node_shapes = set(shapes.subjects(RDF.type, SH.NodeShape))
    property_shapes = set(shapes.objects(None, SH.property))
    assert len(node_shapes) >= 25
    assert property_shapes
    missing = [
        compact(str(shape))
        if isinstance(shape, URIRef)
        else show_path(shapes, shapes.value(shape, SH.path))
        for shape in node_shapes | property_shapes
        if not str(shapes.value(shape, SH.message) or "").strip()
    ]
    assert missing == []


def test_every_class_of_the_ontology_is_targeted() -> None:
    ontology = Graph()
    with ontology_file().open("rb") as handle:
        ontology.parse(handle, format="turtle")
    classes = {
        cls
        for cls in ontology.subjects(RDF.type, OWL.Class)
        if isinstance(cls, URIRef) and str(cls).startswith(str(EG))
    }
    targets = set(shapes_graph().objects(None, SH.targetClass))
    # the shapes judge the view; a source graph's description lives in the catalog graph,
    # which only the writes make (tests/test_source_graphs.py checks it), as is the
    # not-shown graph's type (decision 0030)
    not_in_the_view = {EG.SourceGraph, EG.NotShownGraph}
    assert len(classes) >= 20
    assert sorted(compact(str(cls)) for cls in classes - targets - not_in_the_view) == []


def test_pattern_result_shows_the_offending_value() -> None:
    """A pattern violation shows the offending value, so the report points at the bad data."""
    mutation = next(m for m in MUTATIONS if m.id == "StudyShape-Pattern-nctId-NCT123")
    report = validate_graph(mutated(mutation))
    (result,) = report.results
    assert result.value == Literal("NCT123").n3()


def test_a_no_intervention_arm_may_receive_nothing() -> None:
    graph = valid_graph()
    graph -= turtle(
        "test:arm-2 eg:receives test:placebo-1 , test:behavioral-1 , test:intervention-1 ."
    )
    graph -= turtle("test:arm-2 eg:armRole egv:PlaceboComparatorArm .")
    graph += turtle("test:arm-2 eg:armRole egv:NoInterventionArm .")
    report = validate_graph(graph)
    assert report.conforms, report.table()


def test_a_value_with_the_unit_in_the_sources_words_conforms() -> None:
    graph = valid_graph()
    graph -= turtle("test:finding-1 eg:unit egv:PercentagePoint .")
    graph += turtle("test:finding-1 eg:unitLabel 'percentage points of days abstinent' .")
    report = validate_graph(graph)
    assert report.conforms, report.table()


def test_a_source_may_report_a_study_not_imported_yet() -> None:
    graph = valid_graph()
    graph += turtle("test:article-1 eg:reports test:study-not-here .")
    report = validate_graph(graph)
    assert report.conforms, report.table()


def test_pyshacl_parses_each_sparql_rule_once_and_answers_as_rdflib_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The graph pyshacl runs on prepares each SPARQL text once: the appraisal rules run once
    for every focus node, as one text with ``$this`` bound, and rdflib would parse it anew
    each time. Every answer is the one a plain rdflib graph gives, binding by binding."""
    from rdflib.plugins.sparql import prepareQuery

    from evidencegraph.validation import shacl

    parsed: list[str] = []

    def counting(text: str, **kwargs: object) -> object:
        parsed.append(text)
        return prepareQuery(text, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(shacl, "prepare_query", counting)
    shacl._prepared.cache_clear()
    plain, preparing = Graph(), shacl.PreparingGraph()
    for triple in _valid_triples():
        plain.add(triple)
        preparing.add(triple)
    for graph in (plain, preparing):
        graph.bind("eg", EG)
    text = "SELECT ?label WHERE { $this rdfs:label ?label }"
    subjects = sorted(set(plain.subjects(RDFS.label, None)))
    assert len(subjects) > 5
    for subject in subjects:
        expected = {row[0] for row in plain.query(text, initBindings={"this": subject})}
        got = {row[0] for row in preparing.query(text, initBindings={"this": subject})}
        assert got == expected and got
    assert parsed == [text]  # once, for every subject
    # a prefix the graph binds is resolved as rdflib resolves it; another binding of it is
    # another text to rdflib, so it is prepared again
    typed = "SELECT ?s WHERE { ?s a eg:Study }"
    assert {r[0] for r in preparing.query(typed)} == {r[0] for r in plain.query(typed)} != set()
    preparing.bind("eg", URIRef("http://example.org/other#"), replace=True)
    assert list(preparing.query(typed)) == []
    assert parsed == [text, typed, typed]
    # a syntax error is rdflib's, and is not kept
    for _ in range(2):
        with pytest.raises(Exception, match="Expected"):
            preparing.query("SELECT ?s WHERE { ?s ?p }")
