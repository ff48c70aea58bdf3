"""The protocol sections of ClinicalTrials.gov records users query (issue 18), and bugs 1 and 2.

Real records from tests/data/ctgov-protocol/ (provenance in tests/data/README.md) and
tests/data/ctgov/. Expected values are read by eye from the fixture JSON and written out here,
never taken from the importer's output.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from rdflib import RDF, RDFS, XSD, Literal, URIRef

from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.ingest.ctgov import map_study, read_paths
from evidencegraph.ingest.ctgov_protocol import age_in_years, registry_codes
from evidencegraph.ingest.mapping import MappingError
from evidencegraph.ontology.namespace import EG, EGID, EGV
from support import DATA
from test_import_ctgov import (
    _set,
    _shape,
    _shape_paths,
    _tracked,
    has,
    import_items,
    memory_graph,
    objects,
    one,
    registry_record,
    study,
)

PROTOCOL = DATA / "ctgov-protocol"
#: Whole records (the others in the directory are partial by their source: NCT02576665 is
#: fields-filtered, NCT00465595 an identification module only).
WHOLE = ("NCT00184067", "NCT02663973", "NCT03281889", "NCT03475563", "NCT05803083", "NCT05819710")
EG_PREFIXES = f"PREFIX eg: <{EG}>\nPREFIX egv: <{EGV}>\nPREFIX rdfs: <{RDFS}>\n"


def record(nct_id: str) -> dict[str, Any]:
    path = PROTOCOL / f"{nct_id}.json"
    if not path.exists():
        path = DATA / "ctgov" / f"{nct_id}.json"
    content: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return content


def files(*nct_ids: str) -> list[Path]:
    return [PROTOCOL / f"{nct_id}.json" for nct_id in nct_ids]


def node(nct_id: str, *parts: str) -> URIRef:
    return EGID[f"study/{nct_id}/ctgov/{'/'.join(parts)}"]


@pytest.fixture(scope="module")
def imported() -> EvidenceGraph:
    """The whole real records of the directory, NCT02576665 and NCT03418623, imported."""
    graph = memory_graph()
    paths = [*files(*WHOLE, "NCT02576665"), DATA / "ctgov" / "NCT03418623.json"]
    summary = import_items(graph, read_paths(paths))
    assert summary.stopped is None and summary.rejected == [], summary.lines()
    assert summary.imported == len(paths)
    return graph


def test_the_records_import_and_the_store_conforms(imported: EvidenceGraph) -> None:
    report = imported.validate()
    assert report.conforms, report.table()


# --- eligibility --------------------------------------------------------------------


def test_eligibility(imported: EvidenceGraph) -> None:
    trial = study("NCT03281889")
    criteria = str(one(imported, trial, EG.eligibilityCriteria))
    assert criteria.startswith("Inclusion Criteria:\n\n* Age ≥ 3 years and ≤ 18 years")
    assert one(imported, trial, EG.eligibleSex) == EGV.AllSexes
    assert one(imported, trial, EG.healthyVolunteers) == Literal(False)
    assert one(imported, trial, EG.minimumAge) == Literal("3 Years")
    assert one(imported, trial, EG.maximumAge) == Literal("18 Years")
    assert one(imported, trial, EG.minimumAgeYears).toPython() == Decimal(3)
    assert one(imported, trial, EG.maximumAgeYears).toPython() == Decimal(18)
    assert one(imported, trial, EG.maximumAgeYears).datatype == XSD.decimal
    assert objects(imported, trial, EG.ageGroup) == {EGV.Child, EGV.Adult}
    # no maximum age in NCT03475563: none is made up
    assert objects(imported, study("NCT03475563"), EG.maximumAgeYears) == set()
    assert objects(imported, study("NCT03475563"), EG.ageGroup) == {EGV.Adult, EGV.OlderAdult}


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("18 Years", Decimal(18)),
        ("100 Years", Decimal(100)),
        ("1 Year", Decimal(1)),
        ("6 Months", Decimal("0.5")),
        ("2 Weeks", Decimal("0.0383")),  # 14 / 365.25 = 0.03833
        ("28 Days", Decimal("0.0767")),  # 28 / 365.25 = 0.07666
        ("0 Days", Decimal(0)),
        ("N/A", None),
        ("18 Fortnights", None),
        ("", None),
    ],
)
def test_ages_in_years(text: str, years: Decimal | None) -> None:
    assert age_in_years(text) == years


def test_an_age_that_is_no_age_is_kept_as_text_with_a_warning() -> None:
    content = _set(record("NCT03281889"), "protocolSection.eligibilityModule.minimumAge", "N/A")
    mapped = map_study(content, "x.json")
    triples = set(mapped.rdflib_triples())
    assert (study("NCT03281889"), EG.minimumAge, Literal("N/A")) in triples
    assert not [t for t in triples if t[1] == EG.minimumAgeYears]
    assert any("'N/A' is no age" in warning for warning in mapped.warnings)


def test_an_unknown_code_is_kept_with_a_warning() -> None:
    content = _set(record("NCT03281889"), "protocolSection.eligibilityModule.sex", "BOTH")
    mapped = map_study(content, "x.json")
    triples = set(mapped.rdflib_triples())
    assert (study("NCT03281889"), EG.unmappedValue, Literal("eligibilityModule.sex=BOTH")) in (
        triples
    )
    assert not [t for t in triples if t[1] == EG.eligibleSex]


# --- sites and officials --------------------------------------------------------------


def test_sites(imported: EvidenceGraph) -> None:
    trial = study("NCT03281889")
    sites = objects(imported, trial, EG.location)
    assert sites == {node("NCT03281889", "site", "1"), node("NCT03281889", "site", "2")}
    first = node("NCT03281889", "site", "1")
    assert has(imported, first, RDF.type, EG.StudySite)
    assert one(imported, first, RDFS.label) == Literal("Massachusetts General Hospital")
    assert one(imported, first, EG.facility) == Literal("Massachusetts General Hospital")
    assert one(imported, first, EG.city) == Literal("Boston")
    assert one(imported, first, EG.state) == Literal("Massachusetts")
    assert one(imported, first, EG.postalCode) == Literal("02214")
    assert one(imported, first, EG.country) == Literal("United States")
    assert one(imported, first, EG.siteStatus) == EGV.Recruiting
    assert one(imported, first, EG.latitude).toPython() == Decimal("42.35843")
    assert one(imported, first, EG.longitude).toPython() == Decimal("-71.05977")
    # a site without a status in the record (NCT02663973's 24 Brazilian sites) has none
    assert len(objects(imported, study("NCT02663973"), EG.location)) == 24
    assert objects(imported, node("NCT02663973", "site", "1"), EG.siteStatus) == set()


def test_officials_are_people_of_their_record(imported: EvidenceGraph) -> None:
    trial = study("NCT03281889")
    official = one(imported, trial, EG.overallOfficial)
    # named under the study: the same name in another record is another node
    assert official == node("NCT03281889", "official", "1")
    assert has(imported, official, RDF.type, EG.Person)
    assert one(imported, official, RDFS.label) == Literal("Shannon MacDonald, MD")
    assert one(imported, official, EG.affiliationText) == Literal("Massachusetts General Hospital")
    assert one(imported, official, EG.officialRole) == EGV.PrincipalInvestigator
    assert has(imported, trial, EG.investigator, official)


# --- sponsors and the responsible party ---------------------------------------------------


def test_sponsor_and_collaborator_classes(imported: EvidenceGraph) -> None:
    assert one(imported, EGID["org/massachusetts-general-hospital"], EG.agencyClass) == (
        EGV.OtherAgency
    )
    assert one(imported, EGID["org/national-cancer-institute-nci"], EG.agencyClass) == (
        EGV.NihAgency
    )
    assert one(imported, EGID["org/latis-s-r-l"], EG.agencyClass) == EGV.IndustryAgency


def test_responsible_party_an_investigator(imported: EvidenceGraph) -> None:
    # NCT03281889: responsibleParty PRINCIPAL_INVESTIGATOR "Shannon MacDonald, MD", also its
    # overall official
    trial = study("NCT03281889")
    assert one(imported, trial, EG.responsiblePartyType) == EGV.PrincipalInvestigatorResponsible
    party = one(imported, trial, EG.responsibleParty)
    # the record's official of the same name: one person of this record, not two
    assert party == node("NCT03281889", "official", "1")
    assert one(imported, party, RDFS.label) == Literal("Shannon MacDonald, MD")
    assert one(imported, party, EG.positionTitle) == Literal("Principal Investigator")
    assert one(imported, party, EG.affiliationText) == Literal("Massachusetts General Hospital")


def test_responsible_party_the_sponsor(imported: EvidenceGraph) -> None:
    trial = study("NCT03418623")
    assert one(imported, trial, EG.responsiblePartyType) == EGV.SponsorResponsible
    lead = one(imported, trial, EG.sponsor)
    assert one(imported, trial, EG.responsibleParty) == lead
    assert one(imported, lead, RDFS.label) == Literal("Laboratorio Farmaceutico Ct S.r.l.")


# --- design, status, description, oversight --------------------------------------------------


def test_purpose_and_who_is_masked(imported: EvidenceGraph) -> None:
    trial = study("NCT03418623")
    assert one(imported, trial, EG.primaryPurpose) == EGV.BasicSciencePurpose
    assert objects(imported, trial, EG.maskedRole) == {
        EGV.MaskedParticipant,
        EGV.MaskedCareProvider,
        EGV.MaskedInvestigator,
        EGV.MaskedOutcomesAssessor,
    }


def test_observational_model_and_time_perspective(imported: EvidenceGraph) -> None:
    observational = study("NCT03475563")
    assert one(imported, observational, EG.observationalModel) == EGV.CaseOnlyModel
    assert one(imported, observational, EG.timePerspective) == EGV.Prospective


def test_dates_actual_or_estimated_and_why_stopped(imported: EvidenceGraph) -> None:
    recruiting = study("NCT03281889")
    assert one(imported, recruiting, EG.startDateActual) == Literal(True)
    assert one(imported, recruiting, EG.primaryCompletionDateActual) == Literal(False)
    assert one(imported, recruiting, EG.completionDateActual) == Literal(False)
    assert one(imported, recruiting, EG.statusVerifiedDate) == Literal(
        "2021-01", datatype=XSD.gYearMonth
    )
    unknown = study("NCT03475563")
    assert one(imported, unknown, EG.overallStatus) == EGV.UnknownStatus
    assert one(imported, unknown, EG.lastKnownStatus) == EGV.Recruiting
    stopped = study("NCT00184067")
    assert one(imported, stopped, EG.whyStopped) == Literal("Primary PI left institution")
    # a start date without a type (NCT00184067's "2004-05") says nothing of being actual
    assert objects(imported, stopped, EG.startDateActual) == set()
    assert one(imported, stopped, EG.completionDateActual) == Literal(True)


def test_detailed_description_and_keywords(imported: EvidenceGraph) -> None:
    observational = study("NCT03475563")
    description = str(one(imported, observational, EG.detailedDescription))
    assert description.startswith("The BIOSS Lim C pharmacoactive Stent has characteristics of")
    assert {str(k) for k in objects(imported, observational, EG.keyword)} == {
        "Drug-eluting stent",
        "Dedicated bifurcation stent",
        "Cobalt-chromium",
        "Sirolimus-eluting stent",
    }


def test_oversight(imported: EvidenceGraph) -> None:
    trial = study("NCT03281889")
    assert one(imported, trial, EG.dataMonitoringCommittee) == Literal(True)
    assert one(imported, trial, EG.fdaRegulatedDrug) == Literal(False)
    assert one(imported, trial, EG.fdaRegulatedDevice) == Literal(True)
    # NCT03475563 states only the committee: no FDA flag is made up
    assert objects(imported, study("NCT03475563"), EG.fdaRegulatedDrug) == set()


# --- references, links, aliases ---------------------------------------------------------------


def test_reference_types(imported: EvidenceGraph) -> None:
    results = objects(imported, registry_record("NCT03475563"), EG.resultReference)
    assert results == {EGID[f"source/pmid/{p}"] for p in ("25828372", "25689548", "26465375")}
    assert objects(imported, registry_record("NCT03418623"), EG.backgroundReference) == {
        EGID["source/pmid/23032071"]
    }
    brazil = registry_record("NCT02663973")
    assert objects(imported, brazil, EG.derivedReference) == {EGID["source/pmid/31730380"]}
    # 14 background references, one without a PMID or DOI (kept by no node)
    assert len(objects(imported, brazil, EG.backgroundReference)) == 13


def test_see_also_links(imported: EvidenceGraph) -> None:
    links = objects(imported, registry_record("NCT02663973"), EG.seeAlsoLink)
    assert len(links) == 2
    first = node("NCT02663973", "link", "1")
    assert first in links
    assert has(imported, first, RDF.type, EG.WebLink)
    assert one(imported, first, RDFS.label) == Literal(
        "World Health Organization. GLOBOCAN 2012: cancer incidence and mortality worldwide. "
        "Accessed in Jan 8 2015."
    )
    assert one(imported, first, EG.linkUrl) == Literal(
        "http://globocan.iarc.fr/Pages/fact_sheets_population.aspx", datatype=XSD.anyURI
    )


def test_nct_id_aliases() -> None:
    # NCT00465595 holds an identification module only: mapped, not imported
    triples = set(map_study(record("NCT00465595"), "NCT00465595.json").rdflib_triples())
    assert (study("NCT00465595"), EG.nctIdAlias, Literal("NCT00850967")) in triples


# --- bug 1: two interventions of one name ---------------------------------------------------


def test_two_interventions_of_one_name_each_reach_only_their_own_arm(
    imported: EvidenceGraph,
) -> None:
    # NCT05819710: "TS-142" twice, one listing the arm "5 mg of TS-142", the other
    # "10 mg of TS-142"; both arms' interventionNames say "Drug: TS-142"
    low, high = (
        node("NCT05819710", "arm", "5-mg-of-ts-142"),
        node("NCT05819710", "arm", "10-mg-of-ts-142"),
    )
    first, second = (
        node("NCT05819710", "intervention", "ts-142"),
        node("NCT05819710", "intervention", "ts-142-2"),
    )
    assert objects(imported, low, EG.receives) == {first}
    assert objects(imported, high, EG.receives) == {second}
    zopiclone = node("NCT05819710", "arm", "7-5-mg-of-zopiclone")
    assert objects(imported, zopiclone, EG.receives) == {
        node("NCT05819710", "intervention", "zopiclone")
    }


def test_an_arm_naming_one_of_two_unassigned_interventions_gets_neither() -> None:
    # NCT05819710 with the two TS-142 interventions listing no arm (a constructed record):
    # the arms' "Drug: TS-142" cannot say which is meant
    content = record("NCT05819710")
    for intervention in content["protocolSection"]["armsInterventionsModule"]["interventions"]:
        if intervention["name"] == "TS-142":
            intervention["armGroupLabels"] = []
    mapped = map_study(content, "x.json")
    receives = {(s, o) for s, p, o in mapped.rdflib_triples() if p == EG.receives}
    assert not [pair for pair in receives if "ts-142" in str(pair[1])]
    assert any("none lists the arm" in warning for warning in mapped.warnings)


# --- bug 2: a record without arm groups -------------------------------------------------------


def test_interventions_of_a_record_without_arm_groups_belong_to_the_study(
    imported: EvidenceGraph,
) -> None:
    # NCT02576665 lists "Toca 511" and "Toca FC" and no arm group
    assert "armGroups" not in record("NCT02576665")["protocolSection"]["armsInterventionsModule"]
    toca = study("NCT02576665")
    assert objects(imported, toca, EG.studiesIntervention) == {
        node("NCT02576665", "intervention", "toca-511"),
        node("NCT02576665", "intervention", "toca-fc"),
    }
    assert objects(imported, toca, EG.hasArm) == set()
    # with arms, the study links every intervention too
    assert len(objects(imported, study("NCT05819710"), EG.studiesIntervention)) == 4


# --- what a user asks ---------------------------------------------------------------------------


def test_recruiting_sites_in_a_country(imported: EvidenceGraph) -> None:
    query = EG_PREFIXES + (
        "SELECT ?facility ?country WHERE { ?study eg:location ?site . ?site eg:country ?country ;"
        " eg:siteStatus egv:Recruiting ; eg:facility ?facility }"
    )
    spain = imported.query(query, {"country": Literal("Spain")})
    # NCT03475563's three Spanish sites, each RECRUITING in the record
    assert {str(row["facility"]) for row in spain.rows} == {
        "Hospital Universitari Parc Taulí",
        "Hospital Universitari Vall d'Hebron",
        "Hospital Universitario de León",
    }
    # NCT02663973's 24 Brazilian sites carry no status: none is recruiting
    assert imported.query(query, {"country": Literal("Brazil")}).rows == []


def test_trials_of_women_only(imported: EvidenceGraph) -> None:
    result = imported.query(
        EG_PREFIXES + "SELECT ?id WHERE { ?study eg:eligibleSex egv:FemaleOnly ; eg:nctId ?id }"
    )
    assert {str(row["id"]) for row in result.rows} == {"NCT02663973", "NCT05803083"}


def test_studies_with_an_actual_completion_date(imported: EvidenceGraph) -> None:
    result = imported.query(
        EG_PREFIXES + "SELECT ?id WHERE { ?study eg:completionDateActual true ; eg:nctId ?id }"
    )
    actual = {
        nct_id
        for nct_id in (*WHOLE, "NCT02576665", "NCT03418623")
        if (
            record(nct_id)["protocolSection"]["statusModule"].get("completionDateStruct") or {}
        ).get("type")
        == "ACTUAL"
    }
    assert "NCT03418623" in actual and "NCT03281889" not in actual
    assert {str(row["id"]) for row in result.rows} == actual


def test_industry_sponsored_studies_for_adults_up_to_40(imported: EvidenceGraph) -> None:
    result = imported.query(
        EG_PREFIXES + "SELECT ?id WHERE { ?study eg:sponsor ?s ; eg:nctId ?id ;"
        " eg:maximumAgeYears ?max . ?s eg:agencyClass egv:IndustryAgency FILTER(?max <= 40) }"
    )
    assert {str(row["id"]) for row in result.rows} == {"NCT03418623"}


# --- the shape check before mapping ---------------------------------------------------------------

#: (fixture, dotted path, value, the field as the message names it, what it says)
WRONG_TYPES = [
    ("NCT03281889", "protocolSection.eligibilityModule.healthyVolunteers", "no",
     "protocolSection.eligibilityModule.healthyVolunteers",
     "holds text where true or false or null is expected"),
    ("NCT03281889", "protocolSection.eligibilityModule.stdAges", "ADULT",
     "protocolSection.eligibilityModule.stdAges", "holds text where a list or null is expected"),
    ("NCT03281889", "protocolSection.contactsLocationsModule.locations.0.geoPoint.lat", "42.3",
     "protocolSection.contactsLocationsModule.locations[0].geoPoint.lat",
     "holds text where a number or null is expected"),
    ("NCT03281889", "protocolSection.contactsLocationsModule.overallOfficials.0.role", ["PI"],
     "protocolSection.contactsLocationsModule.overallOfficials[0].role",
     "holds a list where text or null is expected"),
    ("NCT03281889", "protocolSection.sponsorCollaboratorsModule.collaborators.0.class", 3,
     "protocolSection.sponsorCollaboratorsModule.collaborators[0].class",
     "holds a number where text or null is expected"),
    ("NCT03281889", "protocolSection.sponsorCollaboratorsModule.responsibleParty", "SPONSOR",
     "protocolSection.sponsorCollaboratorsModule.responsibleParty",
     "holds text where an object or null is expected"),
    ("NCT03418623", "protocolSection.designModule.designInfo.maskingInfo.whoMasked.0", {},
     "protocolSection.designModule.designInfo.maskingInfo.whoMasked[0]",
     "holds an object where text or null is expected"),
    ("NCT03475563", "protocolSection.designModule.designInfo.timePerspective", True,
     "protocolSection.designModule.designInfo.timePerspective",
     "holds true (a boolean) where text or null is expected"),
    ("NCT03281889", "protocolSection.statusModule.startDateStruct.type", 1,
     "protocolSection.statusModule.startDateStruct.type",
     "holds a number where text or null is expected"),
    ("NCT03475563", "protocolSection.statusModule.lastKnownStatus", ["RECRUITING"],
     "protocolSection.statusModule.lastKnownStatus", "holds a list where text or null is expected"),
    ("NCT03475563", "protocolSection.conditionsModule.keywords.0", ["stent"],
     "protocolSection.conditionsModule.keywords[0]", "holds a list where text or null is expected"),
    ("NCT03281889", "protocolSection.oversightModule.oversightHasDmc", "Yes",
     "protocolSection.oversightModule.oversightHasDmc",
     "holds text where true or false or null is expected"),
    ("NCT02663973", "protocolSection.referencesModule.seeAlsoLinks.0", "http://x.org",
     "protocolSection.referencesModule.seeAlsoLinks[0]", "holds text where an object is expected"),
    ("NCT00465595", "protocolSection.identificationModule.nctIdAliases", "NCT00850967",
     "protocolSection.identificationModule.nctIdAliases",
     "holds text where a list or null is expected"),
]  # fmt: skip


@pytest.mark.parametrize(("nct_id", "path", "value", "field", "says"), WRONG_TYPES)
def test_a_protocol_field_of_the_wrong_type_is_refused_naming_it(
    nct_id: str, path: str, value: object, field: str, says: str
) -> None:
    content = _set(record(nct_id), path, value)
    with pytest.raises(MappingError) as error:
        map_study(content, "x.json")
    assert f"the field {field} {says}" in str(error.value)
    assert error.value.record_id == nct_id


def test_the_shape_lists_every_protocol_field_the_mapping_reads() -> None:
    """Mapping these records reads no field ctgov_shape.json does not give a type."""
    shape = _shape()
    listed = _shape_paths(shape, shape["definitions"])
    seen: set[tuple[str, ...]] = set()
    for nct_id in (*WHOLE, "NCT02576665", "NCT00465595"):
        map_study(_tracked(record(nct_id), (), seen), f"{nct_id}.json")
    assert ("protocolSection", "contactsLocationsModule", "locations", "[]", "geoPoint") in seen
    assert ("protocolSection", "referencesModule", "seeAlsoLinks", "[]", "url") in seen
    assert sorted(seen - listed) == []


#: The API v2 enumerations each scheme must cover (ClinicalTrials.gov's data structure:
#: AgencyClass, OfficialRole, ResponsiblePartyType, PrimaryPurpose, WhoMasked,
#: ObservationalModel, TimePerspective, Sex, StandardAge), written out from the issue's brief.
REGISTRY_CODES = {
    "AgencyClassScheme": {
        "INDUSTRY", "NIH", "FED", "OTHER_GOV", "INDIV", "NETWORK", "OTHER", "AMBIG", "UNKNOWN",
    },
    "OfficialRoleScheme": {
        "STUDY_CHAIR", "STUDY_DIRECTOR", "PRINCIPAL_INVESTIGATOR", "SUB_INVESTIGATOR",
    },
    "ResponsiblePartyTypeScheme": {"SPONSOR", "PRINCIPAL_INVESTIGATOR", "SPONSOR_INVESTIGATOR"},
    "PrimaryPurposeScheme": {
        "TREATMENT", "PREVENTION", "DIAGNOSTIC", "ECT", "SUPPORTIVE_CARE", "SCREENING",
        "HEALTH_SERVICES_RESEARCH", "BASIC_SCIENCE", "DEVICE_FEASIBILITY", "OTHER",
    },
    "MaskedRoleScheme": {"PARTICIPANT", "CARE_PROVIDER", "INVESTIGATOR", "OUTCOMES_ASSESSOR"},
    "ObservationalModelScheme": {
        "COHORT", "CASE_CONTROL", "CASE_ONLY", "CASE_CROSSOVER", "ECOLOGIC_OR_COMMUNITY",
        "FAMILY_BASED", "DEFINED_POPULATION", "NATURAL_HISTORY", "OTHER",
    },
    "TimePerspectiveScheme": {"PROSPECTIVE", "RETROSPECTIVE", "CROSS_SECTIONAL", "OTHER"},
    "SexScheme": {"ALL", "FEMALE", "MALE"},
    "AgeGroupScheme": {"CHILD", "ADULT", "OLDER_ADULT"},
}  # fmt: skip


@pytest.mark.parametrize("scheme", sorted(REGISTRY_CODES))
def test_each_scheme_maps_every_code_of_its_enumeration_once(scheme: str) -> None:
    codes = registry_codes(scheme)
    assert set(codes) == REGISTRY_CODES[scheme]
    assert len(set(codes.values())) == len(codes)  # no two codes share a concept
