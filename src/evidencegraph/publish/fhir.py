"""A FHIR R5 Bundle of what the graph has checked: a Citation per source, an Evidence per
finding, an ArtifactAssessment per checked claim, an Organization per curator.

Resources and elements as FHIR R5 (5.0.0) defines them: Bundle (type ``collection``, each
entry with a ``urn:uuid:`` fullUrl made from the node's IRI, so the same graph gives the
same Bundle); Citation.citedArtifact (identifier, title, webLocation, classification,
publicationForm); Evidence (variableDefinition with variableRole from
http://terminology.hl7.org/CodeSystem/variable-role, statistic with statisticType from
http://terminology.hl7.org/CodeSystem/statistic-type, quantity, sampleSize, and
attributeEstimate for the confidence interval (C53324) from
http://terminology.hl7.org/CodeSystem/attribute-estimate-type; certainty with type and
rating from http://terminology.hl7.org/CodeSystem/certainty-type and certainty-rating, and a
subcomponent per GRADE domain); ArtifactAssessment (artifactReference, title, date, content
with informationType, classifier, summary, author and relatedArtifact).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from rdflib import Literal, URIRef
from rdflib.term import Node

from evidencegraph.ontology.namespace import EG, EGV
from evidencegraph.publish.checked import DCTERMS, PROV, SKOS, CheckedEvidence, is_concept

STATISTIC_TYPE = "http://terminology.hl7.org/CodeSystem/statistic-type"
ATTRIBUTE_ESTIMATE_TYPE = "http://terminology.hl7.org/CodeSystem/attribute-estimate-type"
VARIABLE_ROLE = "http://terminology.hl7.org/CodeSystem/variable-role"
CERTAINTY_TYPE = "http://terminology.hl7.org/CodeSystem/certainty-type"
CERTAINTY_RATING = "http://terminology.hl7.org/CodeSystem/certainty-rating"
#: Where an identifier's value is a DOI, a PMID, an NCT number, or one of the graph's IRIs.
DOI_SYSTEM = "https://doi.org"
PMID_SYSTEM = "https://pubmed.ncbi.nlm.nih.gov"
IRI_SYSTEM = "urn:ietf:rfc:3986"

#: Effect measures -> statistic-type (code, display), as the code system lists them.
STATISTIC_TYPES: dict[URIRef, tuple[str, str]] = {
    EGV.MeanDifference: ("0000457", "Mean Difference"),
    EGV.OddsRatio: ("C16932", "Odds Ratio"),
    EGV.RiskRatio: ("C93152", "Relative Risk"),
    EGV.HazardRatio: ("C93150", "Hazard Ratio"),
    EGV.RiskDifference: ("0000424", "Risk Difference"),
    EGV.GroupMean: ("C53319", "Mean"),
    EGV.GroupMedian: ("C28007", "Median"),
    EGV.Count: ("C25463", "Count"),
    EGV.Prevalence: ("C17010", "Prevalence"),
    EGV.Qualitative: ("descriptive", "Descriptive"),
}
#: GRADE domains -> certainty-type codes, for a store whose concepts carry no skos:notation.
CERTAINTY_TYPES: dict[URIRef, str] = {
    EGV.RiskOfBias: "RiskOfBias",
    EGV.Inconsistency: "Inconsistency",
    EGV.Indirectness: "Indirectness",
    EGV.Imprecision: "Imprecision",
    EGV.PublicationBias: "PublicationBias",
    EGV.LargeEffect: "LargeEffect",
    EGV.DoseResponseGradient: "DoseResponseGradient",
    EGV.PlausibleConfounding: "PlausibleConfounding",
}
#: Judgements and levels -> certainty-rating codes (same fallback).
CERTAINTY_RATINGS: dict[URIRef, str] = {
    EGV.HighCertainty: "high",
    EGV.ModerateCertainty: "moderate",
    EGV.LowCertainty: "low",
    EGV.VeryLowCertainty: "very-low",
    EGV.NoConcern: "no-concern",
    EGV.SeriousConcern: "serious-concern",
    EGV.VerySeriousConcern: "very-serious-concern",
    EGV.NoUpgrade: "no-change",
    EGV.UpgradeOne: "upcode1",
    EGV.UpgradeTwo: "upcode2",
}


def full_url(iri: Node) -> str:
    """The Bundle entry's fullUrl for a node: a name-based UUID of its IRI."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, str(iri))}"


def resource_id(iri: Node) -> str:
    """The resource's logical id: the UUID of its fullUrl (FHIR ids are at most 64 chars)."""
    return full_url(iri).removeprefix("urn:uuid:")


def fhir_bundle(evidence: CheckedEvidence) -> dict[str, Any]:
    """The Bundle (type collection) of every checked claim and what its verdict rests on, and of
    the other findings ``evidence`` was read with (``read_checked(every_finding=True)``)."""
    sources: dict[URIRef, None] = {}
    findings: dict[URIRef, None] = {}
    agents: dict[URIRef, None] = {}
    for claim in evidence.claims:
        for source in evidence.values(claim, EG.assertedBy):
            if isinstance(source, URIRef):
                sources[source] = None
        for node, _, _ in evidence.evidence(claim):
            if evidence.is_finding(node):
                findings[node] = None
            for source in evidence.primary_sources(node):
                sources[source] = None
        by, _ = evidence.verified(claim)
        if by is not None:
            agents[by] = None
    for finding in evidence.findings:
        findings[finding] = None
        for source in evidence.primary_sources(finding):
            sources[source] = None
    for finding in findings:
        assessment = evidence.value(finding, EG.certainty)
        if assessment is not None:
            rater = evidence.value(assessment, PROV.wasAttributedTo)
            if isinstance(rater, URIRef):
                agents[rater] = None
    entries = (
        [_entry(agent, _organization(evidence, agent)) for agent in agents]
        + [_entry(source, _citation(evidence, source)) for source in sources]
        + [_entry(finding, _evidence(evidence, finding)) for finding in findings]
        + [_entry(claim, _assessment(evidence, claim)) for claim in evidence.claims]
    )
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def finding_bundle(evidence: CheckedEvidence, finding: URIRef) -> dict[str, Any]:
    """A Bundle (type collection) of one finding's Evidence, the Citations of its sources and
    the Organization that rated its certainty: what a finding's IRI answers in FHIR."""
    entries = []
    assessment = evidence.value(finding, EG.certainty)
    rater = evidence.value(assessment, PROV.wasAttributedTo) if assessment is not None else None
    if isinstance(rater, URIRef):
        entries.append(_entry(rater, _organization(evidence, rater)))
    for source in evidence.primary_sources(finding):
        entries.append(_entry(source, _citation(evidence, source)))
    entries.append(_entry(finding, _evidence(evidence, finding)))
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def fhir_json(bundle: dict[str, Any]) -> str:
    """The Bundle as indented JSON ending in a newline (application/fhir+json)."""
    return json.dumps(bundle, indent=2, ensure_ascii=False, default=_number) + "\n"


def _number(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value) if value != value.to_integral_value() else int(value)
    raise TypeError(f"not JSON: {value!r}")


def _entry(iri: URIRef, resource: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": full_url(iri), "resource": resource}


def _reference(iri: Node, display: str) -> dict[str, str]:
    return {"reference": full_url(iri), "display": display}


def _iri_identifier(iri: Node) -> dict[str, str]:
    return {"system": IRI_SYSTEM, "value": str(iri)}


def _concept(evidence: CheckedEvidence, concept: Node) -> dict[str, Any]:
    """A project concept as a CodeableConcept: its scheme as system, its name as code."""
    scheme = evidence.concept(concept, SKOS.inScheme) or str(EGV)
    return {
        "coding": [
            {
                "system": scheme,
                "code": str(concept).removeprefix(str(EGV)),
                "display": evidence.name(concept),
            }
        ],
        "text": evidence.name(concept),
    }


def _coded(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding]}


def _organization(evidence: CheckedEvidence, agent: URIRef) -> dict[str, Any]:
    return {
        "resourceType": "Organization",
        "id": resource_id(agent),
        "identifier": [_iri_identifier(agent)],
        "name": evidence.name(agent),
    }


def _citation(evidence: CheckedEvidence, source: URIRef) -> dict[str, Any]:
    title = evidence.name(source)
    artifact: dict[str, Any] = {"identifier": [_iri_identifier(source)]}
    doi = evidence.text(source, EG.doi)
    pmid = evidence.text(source, EG.pmid)
    if doi:
        artifact["identifier"].append({"system": DOI_SYSTEM, "value": doi})
    if pmid:
        artifact["identifier"].append({"system": PMID_SYSTEM, "value": pmid})
    artifact["title"] = [{"text": title}]
    urls = [u for u in (evidence.text(source, EG.url), f"{DOI_SYSTEM}/{doi}" if doi else None) if u]
    if urls:
        artifact["webLocation"] = [{"url": url} for url in urls]
    kind = evidence.value(source, EG.sourceType)
    if kind is not None:
        artifact["classification"] = [
            {"type": {"text": "source type"}, "classifier": [_concept(evidence, kind)]}
        ]
    journal = evidence.text(source, EG.journal)
    issued = evidence.text(source, DCTERMS.issued)
    if journal or issued:
        form: dict[str, Any] = {}
        if journal:
            form["publishedIn"] = {"title": journal}
        if issued:
            form["articleDate"] = issued
        artifact["publicationForm"] = [form]
    return {
        "resourceType": "Citation",
        "id": resource_id(source),
        "url": str(source),
        "identifier": [_iri_identifier(source)],
        "status": "active",
        "title": title,
        "citedArtifact": artifact,
    }


def _evidence(evidence: CheckedEvidence, finding: URIRef) -> dict[str, Any]:
    study = evidence.value(finding, EG.ofStudy)
    resource: dict[str, Any] = {
        "resourceType": "Evidence",
        "id": resource_id(finding),
        "url": str(finding),
        "identifier": [_iri_identifier(finding)],
        "status": "active",
        "description": evidence.text(finding, EG.statement) or "",
        "variableDefinition": list(_variables(evidence, finding, study)),
        "statistic": [_statistic(evidence, finding, study)],
    }
    if study is not None:
        resource["title"] = evidence.name(study)
        resource["studyDesign"] = [
            _concept(evidence, design) for design in evidence.values(study, EG.studyDesign)
        ]
        if not resource["studyDesign"]:
            del resource["studyDesign"]
    sources = evidence.primary_sources(finding)
    if sources:
        resource["relatedArtifact"] = [
            {
                "type": "derived-from",
                "display": evidence.name(source),
                "resourceReference": _reference(source, evidence.name(source)),
            }
            for source in sources
        ]
    certainty = _certainty(evidence, finding)
    if certainty:
        resource["certainty"] = certainty
    return resource


def _variables(
    evidence: CheckedEvidence, finding: URIRef, study: Node | None
) -> Iterator[dict[str, Any]]:
    if study is not None:
        conditions = [evidence.name(c) for c in evidence.values(study, EG.studiesCondition)]
        if conditions:
            yield {
                "description": "people with " + ", ".join(conditions),
                "variableRole": _coded(VARIABLE_ROLE, "population", "population"),
            }
    experimental = [evidence.name(a) for a in evidence.values(finding, EG.experimentalGroup)]
    if experimental:
        yield {
            "description": "; ".join(experimental),
            "variableRole": _coded(VARIABLE_ROLE, "exposure", "exposure"),
        }
    comparator = evidence.text(finding, EG.comparatorDescription) or "; ".join(
        evidence.name(a) for a in evidence.values(finding, EG.comparatorGroup)
    )
    if comparator:
        yield {
            "description": comparator,
            "variableRole": _coded(VARIABLE_ROLE, "referenceExposure", "reference exposure"),
        }
    outcome = evidence.value(finding, EG.outcome)
    if outcome is not None:
        frame = evidence.text(finding, EG.timeFrame) or evidence.text(outcome, EG.timeFrame)
        yield {
            "description": evidence.name(outcome) + (f" ({frame})" if frame else ""),
            "variableRole": _coded(VARIABLE_ROLE, "measuredVariable", "measured variable"),
        }


def _decimal(node: Node | None) -> Decimal | None:
    return Decimal(str(node)) if isinstance(node, Literal) else None


def _statistic(evidence: CheckedEvidence, finding: URIRef, study: Node | None) -> dict[str, Any]:
    statistic: dict[str, Any] = {"description": evidence.text(finding, EG.statement) or ""}
    measure = evidence.value(finding, EG.effectMeasure)
    if measure is not None:
        coded = STATISTIC_TYPES.get(URIRef(str(measure)))
        statistic["statisticType"] = (
            {**_coded(STATISTIC_TYPE, *coded), "text": evidence.name(measure)}
            if coded
            else {"text": evidence.name(measure)}
        )
    value = _decimal(evidence.value(finding, EG.value))
    if value is not None:
        quantity: dict[str, Any] = {"value": value}
        unit = evidence.value(finding, EG.unit)
        if unit is not None:
            quantity["unit"] = evidence.name(unit)
        statistic["quantity"] = quantity
    participants = _participants(evidence, finding, study)
    if participants is not None:
        statistic["sampleSize"] = {"numberOfParticipants": participants}
    estimates = []
    low = _decimal(evidence.value(finding, EG.ciLower))
    high = _decimal(evidence.value(finding, EG.ciUpper))
    if low is not None and high is not None:
        level = _decimal(evidence.value(finding, EG.confidenceLevel))
        estimate: dict[str, Any] = {
            "type": _coded(ATTRIBUTE_ESTIMATE_TYPE, "C53324", "Confidence interval"),
            "range": {"low": {"value": low}, "high": {"value": high}},
        }
        if level is not None:
            estimate["level"] = level
            estimate["description"] = f"{level * 100:g}% confidence interval"
        estimates.append(estimate)
    p_value = _decimal(evidence.value(finding, EG.pValue))
    if p_value is not None:
        estimates.append(
            {
                "type": _coded(ATTRIBUTE_ESTIMATE_TYPE, "C44185", "P-value"),
                "quantity": {"value": p_value},
            }
        )
    if estimates:
        statistic["attributeEstimate"] = estimates
    return statistic


def _participants(evidence: CheckedEvidence, finding: URIRef, study: Node | None) -> int | None:
    """Participants in the compared groups where their arms say so, else the study's
    enrolment."""
    arms = evidence.values(finding, EG.experimentalGroup) + evidence.values(
        finding, EG.comparatorGroup
    )
    counts = [evidence.value(arm, EG.participants) for arm in arms]
    if arms and all(isinstance(c, Literal) for c in counts):
        return sum(int(str(c)) for c in counts)
    denominator = evidence.value(finding, EG.denominator)
    if isinstance(denominator, Literal):
        return int(str(denominator))
    enrolment = evidence.value(study, EG.enrolment) if study is not None else None
    return int(str(enrolment)) if isinstance(enrolment, Literal) else None


def _rating_code(evidence: CheckedEvidence, concept: Node) -> dict[str, Any]:
    code = evidence.concept(concept, SKOS.notation) or CERTAINTY_RATINGS.get(URIRef(str(concept)))
    if code is None:
        return _concept(evidence, concept)
    return {**_coded(CERTAINTY_RATING, code), "text": evidence.name(concept)}


def _type_code(evidence: CheckedEvidence, concept: Node) -> dict[str, Any]:
    code = CERTAINTY_TYPES.get(URIRef(str(concept))) or evidence.concept(concept, SKOS.notation)
    if code is None:
        return _concept(evidence, concept)
    return {**_coded(CERTAINTY_TYPE, code), "text": evidence.name(concept)}


def _certainty(evidence: CheckedEvidence, finding: URIRef) -> list[dict[str, Any]]:
    """The finding's overall certainty, with a subcomponent per GRADE domain judged."""
    assessment = evidence.value(finding, EG.certainty)
    level = evidence.value(finding, EG.evidenceLevel)
    if assessment is not None:
        level = evidence.value(assessment, EG.evidenceLevel) or level
    if level is None or not is_concept(level):
        return []
    overall: dict[str, Any] = {
        "type": _coded(CERTAINTY_TYPE, "Overall", "Overall certainty"),
        "rating": _rating_code(evidence, level),
    }
    if assessment is None:
        return [overall]
    rationale = evidence.text(assessment, EG.rationale)
    if rationale:
        overall["description"] = rationale
    rater = evidence.value(assessment, PROV.wasAttributedTo)
    if rater is not None:
        overall["rater"] = evidence.name(rater)
    subcomponents = []
    # GRADE's order: the five domains that rate down, then the three that rate up
    rank = {domain: index for index, domain in enumerate(CERTAINTY_TYPES)}
    judgements = sorted(
        evidence.values(assessment, EG.domainJudgement),
        key=lambda j: (rank.get(URIRef(str(evidence.value(j, EG.domain))), len(rank)), str(j)),
    )
    for judgement in judgements:
        part = _judgement(evidence, judgement, _type_code, _rating_code)
        if part is None:
            continue
        if URIRef(str(evidence.value(judgement, EG.domain))) == EGV.RiskOfBias:
            risk_of_bias = _risk_of_bias(evidence, evidence.value(finding, EG.ofStudy))
            if risk_of_bias is not None:
                part["subcomponent"] = [risk_of_bias]
        subcomponents.append(part)
    if subcomponents:
        overall["subcomponent"] = subcomponents
    return [overall]


def _judgement(
    evidence: CheckedEvidence,
    judgement: Node,
    type_of: Callable[[CheckedEvidence, Node], dict[str, Any]],
    rating_of: Callable[[CheckedEvidence, Node], dict[str, Any]],
) -> dict[str, Any] | None:
    """One domain's judgement as a certainty subcomponent: its domain as ``type``, the
    judgement as ``rating``, the rationale as ``description``; None when one is missing."""
    domain = evidence.value(judgement, EG.domain)
    rating = evidence.value(judgement, EG.judgement)
    if domain is None or rating is None:
        return None
    part: dict[str, Any] = {
        "type": type_of(evidence, domain),
        "rating": rating_of(evidence, rating),
    }
    why = evidence.text(judgement, EG.rationale)
    if why:
        part["description"] = why
    return part


def _risk_of_bias(evidence: CheckedEvidence, study: Node | None) -> dict[str, Any] | None:
    """The trial's RoB 2 assessment, as a subcomponent of GRADE's risk-of-bias domain: its
    overall judgement, and a subcomponent per RoB 2 domain. RoB 2's domains and judgements have
    no FHIR code, so they are coded from the project's schemes (egv:Rob2DomainScheme,
    egv:RobJudgementScheme)."""
    assessment = evidence.value(study, EG.riskOfBias) if study is not None else None
    overall = evidence.value(assessment, EG.overallJudgement) if assessment is not None else None
    if assessment is None or overall is None:
        return None
    part: dict[str, Any] = {
        "type": {**_concept(evidence, EGV.RiskOfBias), "text": "RoB 2 (the trial's risk of bias)"},
        "rating": _concept(evidence, overall),
    }
    notes = [
        evidence.text(assessment, EG.rationale),
        evidence.text(assessment, EG.overrideRationale),
    ]
    if any(notes):
        part["description"] = " ".join(note for note in notes if note)
    rater = evidence.value(assessment, PROV.wasAttributedTo)
    if rater is not None:
        part["rater"] = evidence.name(rater)
    judgements = sorted(evidence.values(assessment, EG.domainJudgement), key=str)
    domains = [
        domain_part
        for judgement in judgements
        if (domain_part := _judgement(evidence, judgement, _concept, _concept)) is not None
    ]
    if domains:
        part["subcomponent"] = domains
    return part


def _assessment(evidence: CheckedEvidence, claim: URIRef) -> dict[str, Any]:
    """The verdict on a claim, about the source that made it, citing the evidence."""
    sources = [s for s in evidence.values(claim, EG.assertedBy) if isinstance(s, URIRef)]
    status = evidence.status(claim)
    content: dict[str, Any] = {
        "informationType": "classifier",
        "type": {"text": "verification status"},
        "classifier": [_concept(evidence, status)],
        "summary": evidence.text(claim, EG.verificationNote) or evidence.name(status),
    }
    by, on = evidence.verified(claim)
    if by is not None:
        content["author"] = _reference(by, evidence.name(by))
    related = []
    for node, role, _ in evidence.evidence(claim):
        target = node if evidence.is_finding(node) else None
        for source in [] if target is not None else evidence.primary_sources(node):
            related.append(
                {
                    "type": "justification",
                    "label": role,
                    "display": f"{role} the claim: {evidence.name(source)}",
                    "resourceReference": _reference(source, evidence.name(source)),
                }
            )
        if target is not None:
            related.append(
                {
                    "type": "justification",
                    "label": role,
                    "display": f"{role} the claim: {evidence.text(node, EG.statement)}",
                    "resourceReference": _reference(node, evidence.name(node)),
                }
            )
    if related:
        content["relatedArtifact"] = related
    resource: dict[str, Any] = {
        "resourceType": "ArtifactAssessment",
        "id": resource_id(claim),
        "identifier": [_iri_identifier(claim)],
        "title": evidence.text(claim, EG.quote) or str(claim),
        "content": [content],
    }
    if sources:
        resource["artifactReference"] = _reference(sources[0], evidence.name(sources[0]))
    else:  # a claim with no source (SHACL requires one): the claim itself is assessed
        resource["artifactUri"] = str(claim)
    if on is not None:
        resource["date"] = str(on)
    return resource
