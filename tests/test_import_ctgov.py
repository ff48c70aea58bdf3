"""Importing ClinicalTrials.gov API v2 records: the mapping, the pipeline and ``import ctgov``.

Expected values are read from the fixture JSON (tests/data/ctgov/, provenance in
tests/data/README.md) or from the packaged vocabulary.csv, never from the importer's output.
"""

from __future__ import annotations

import copy
import csv
import json
import re
import tracemalloc
import zipfile
from collections.abc import Callable, Iterable
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from rdflib import RDF, RDFS, XSD, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV
from rdflib.term import Node

from evidencegraph.cli.importing import ByteSize
from evidencegraph.cli.main import cli
from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.graph.pipeline import Importer, ImportSummary
from evidencegraph.ingest.ctgov import map_study, read_paths
from evidencegraph.ingest.mapping import MappingError
from evidencegraph.ingest.records import Limits, Record, RecordError
from evidencegraph.ontology.namespace import EG, EGID, EGV
from evidencegraph.store.core import OxigraphStore
from support import DATA, study_without_conditions

CTGOV = DATA / "ctgov"
#: The real API v2 records; NCT04780763 is the retired classic format.
GOOD_IDS = ("NCT00763412", "NCT00973089", "NCT03418623", "NCT03630471")
CLASSIC = CTGOV / "NCT04780763.json"
CLASSIC_MESSAGE = "ClinicalTrials.gov classic API format; export API v2 JSON instead"
#: An NCT id no real record has, for the synthetic records below.
SYNTHETIC_ID = "NCT99999901"
EG_PREFIX = f"PREFIX eg: <{EG}>"

ARM_ROLES = {
    "EXPERIMENTAL": EGV.ExperimentalArm,
    "PLACEBO_COMPARATOR": EGV.PlaceboComparatorArm,
    "ACTIVE_COMPARATOR": EGV.ActiveComparatorArm,
    "NO_INTERVENTION": EGV.NoInterventionArm,
    "OTHER": EGV.OtherArm,
}


# --- helpers ------------------------------------------------------------------------


def fixture(nct_id: str) -> dict[str, Any]:
    """A fixture record, freshly parsed (free to mutate)."""
    return json.loads((CTGOV / f"{nct_id}.json").read_text("utf-8"))


def good_files() -> list[Path]:
    return [CTGOV / f"{nct_id}.json" for nct_id in GOOD_IDS]


def words(text: str) -> str:
    """Lower-case words joined by single spaces: how names are compared."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def slug(text: str) -> str:
    """``2. repaglinide`` -> ``2-repaglinide``: the last segment of a minted IRI."""
    return words(text).replace(" ", "-")


def study(nct_id: str) -> URIRef:
    return EGID[f"study/{nct_id}"]


def registry_record(nct_id: str) -> URIRef:
    return EGID[f"source/ctgov/{nct_id}"]


def arm(nct_id: str, label: str) -> URIRef:
    return EGID[f"study/{nct_id}/ctgov/arm/{slug(label)}"]


def intervention(nct_id: str, name: str) -> URIRef:
    return EGID[f"study/{nct_id}/ctgov/intervention/{slug(name)}"]


def memory_graph() -> EvidenceGraph:
    return EvidenceGraph(OxigraphStore(None))


def import_items(
    graph: EvidenceGraph, items: Iterable[Record | RecordError], **options: Any
) -> ImportSummary:
    return Importer(graph, map_study, **options).run(items)


def records(*contents: dict[str, Any]) -> list[Record]:
    return [Record(f"synthetic-{index}.json", content) for index, content in enumerate(contents)]


def objects(graph: EvidenceGraph, subject: Node, predicate: Node) -> set[Node]:
    result = graph.query("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", {"s": subject, "p": predicate})
    return {row["o"] for row in result.rows}


def one(graph: EvidenceGraph, subject: Node, predicate: Node) -> Node:
    found = objects(graph, subject, predicate)
    assert len(found) == 1, (subject, predicate, found)
    return found.pop()


def has(graph: EvidenceGraph, subject: Node, predicate: Node, obj: Node) -> bool:
    result = graph.query("ASK { ?s ?p ?o }", {"s": subject, "p": predicate, "o": obj})
    return bool(result.boolean)


def mentions(graph: EvidenceGraph, node: URIRef) -> bool:
    """Whether any triple has ``node`` as subject or object."""
    result = graph.query("ASK { { ?n ?p ?o } UNION { ?s ?p ?n } }", {"n": node})
    return bool(result.boolean)


def labels(graph: EvidenceGraph, subject: Node, predicate: Node) -> set[str]:
    """The rdfs:labels of the nodes ``subject`` points to with ``predicate``."""
    return {
        str(label)
        for node in objects(graph, subject, predicate)
        for label in objects(graph, node, RDFS.label)
    }


# --- the CLI ---------------------------------------------------------------------------


def run_import(store: str, *args: str | Path) -> Result:
    return CliRunner().invoke(
        cli,
        ["--store", store, "import", "ctgov", *(str(arg) for arg in args), "--no-progress"],
        catch_exceptions=False,
    )


def triple_count(db: Path) -> int:
    with EvidenceGraph(OxigraphStore(db)) as graph:
        return len(graph.store)


def with_store(db: Path, check: Callable[[EvidenceGraph], None]) -> None:
    with EvidenceGraph(OxigraphStore(db)) as graph:
        check(graph)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """An on-disk store that already holds one imported study, so "unchanged" means something."""
    path = tmp_path / "kg.db"
    result = run_import(f"oxigraph:{path}", CTGOV / "NCT00973089.json")
    assert result.exit_code == 0, result.output
    return path


def store_of(db: Path) -> str:
    return f"oxigraph:{db}"


# --- 1. every real API v2 record ----------------------------------------------------


def test_every_real_api_v2_record_imports_and_conforms() -> None:
    graph = memory_graph()
    summary = import_items(graph, read_paths(good_files()))
    assert summary.stopped is None and summary.rejected == []
    assert summary.records_read == summary.imported == len(GOOD_IDS)
    assert sorted(summary.committed_ids) == sorted(GOOD_IDS)
    for nct_id in GOOD_IDS:
        assert has(graph, study(nct_id), EG.nctId, Literal(nct_id))
        assert has(graph, study(nct_id), PROV.wasDerivedFrom, registry_record(nct_id))
        assert has(graph, registry_record(nct_id), RDF.type, EG.RegistryRecord)
        assert has(graph, registry_record(nct_id), EG.reports, study(nct_id))
        # every fixture is an interventional study, hence an eg:Trial
        assert fixture(nct_id)["protocolSection"]["designModule"]["studyType"] == "INTERVENTIONAL"
        assert has(graph, study(nct_id), RDF.type, EG.Trial)
    report = graph.validate()
    assert report.conforms, report.table()


# --- 2. NCT03418623, field by field ---------------------------------------------------


@pytest.fixture(scope="module")
def nct03418623() -> EvidenceGraph:
    graph = memory_graph()
    summary = import_items(graph, read_paths([CTGOV / "NCT03418623.json"]))
    assert summary.imported == 1, summary.lines()
    return graph


def test_study_phase_status_enrolment_and_start_date(nct03418623: EvidenceGraph) -> None:
    protocol = fixture("NCT03418623")["protocolSection"]
    node = study("NCT03418623")
    assert protocol["designModule"]["phases"] == ["PHASE2"]
    assert one(nct03418623, node, EG.phase) == EGV.Phase2
    assert protocol["statusModule"]["overallStatus"] == "COMPLETED"
    assert one(nct03418623, node, EG.overallStatus) == EGV.Completed
    enrolment = one(nct03418623, node, EG.enrolment)
    assert enrolment == Literal(protocol["designModule"]["enrollmentInfo"]["count"])
    assert int(enrolment) == 24  # type: ignore[call-overload]
    start = one(nct03418623, node, EG.startDate)
    assert start == Literal(protocol["statusModule"]["startDateStruct"]["date"], datatype=XSD.date)
    title = protocol["identificationModule"]["briefTitle"]
    assert one(nct03418623, node, DCTERMS.title) == Literal(title)


def test_study_conditions_resolve_to_the_vocabulary(nct03418623: EvidenceGraph) -> None:
    content = fixture("NCT03418623")
    assert content["protocolSection"]["conditionsModule"]["conditions"] == ["Alcohol Use Disorder"]
    meshes = content["derivedSection"]["conditionBrowseModule"]["meshes"]
    # "Alcohol Use Disorder" and the MeSH term "Alcoholism" (D000000437) are the same condition
    # (vocabulary.csv); "Alcohol Drinking" is not in the vocabulary and gets a node of its own.
    assert {"id": "D000000437", "term": "Alcoholism"} in meshes
    assert [mesh["term"] for mesh in meshes] == ["Alcoholism", "Alcohol Drinking"]
    expected = {EGID["condition/alcohol-use-disorder"], EGID["condition/alcohol-drinking"]}
    assert objects(nct03418623, study("NCT03418623"), EG.studiesCondition) == expected
    aud = EGID["condition/alcohol-use-disorder"]
    assert has(nct03418623, aud, RDF.type, EG.Condition)
    assert one(nct03418623, aud, RDFS.label) == Literal("alcohol use disorder")


def test_arms_roles_and_the_interventions_they_receive(nct03418623: EvidenceGraph) -> None:
    module = fixture("NCT03418623")["protocolSection"]["armsInterventionsModule"]
    received: dict[str, set[URIRef]] = {group["label"]: set() for group in module["armGroups"]}
    for item in module["interventions"]:
        for label in item["armGroupLabels"]:
            received[label].add(intervention("NCT03418623", item["name"]))
    assert objects(nct03418623, study("NCT03418623"), EG.hasArm) == {
        arm("NCT03418623", group["label"]) for group in module["armGroups"]
    }
    for group in module["armGroups"]:
        node = arm("NCT03418623", group["label"])
        assert one(nct03418623, node, RDFS.label) == Literal(group["label"])
        assert one(nct03418623, node, EG.armRole) == ARM_ROLES[group["type"]]
        assert objects(nct03418623, node, EG.receives) == received[group["label"]]


def test_intervention_kinds(nct03418623: EvidenceGraph) -> None:
    module = fixture("NCT03418623")["protocolSection"]["armsInterventionsModule"]
    kinds = {item["name"]: item["type"] for item in module["interventions"]}
    assert kinds == {"GET73": "DRUG", "Placebo": "OTHER"}
    get73 = intervention("NCT03418623", "GET73")
    assert has(nct03418623, get73, RDF.type, EG.DrugIntervention)
    assert one(nct03418623, get73, EG.interventionType) == EGV.DrugTreatment
    # GET73 is not in vocabulary.csv: its drug node is minted from its name
    assert one(nct03418623, get73, EG.drug) == EGID["drug/get73"]
    placebo = intervention("NCT03418623", "Placebo")
    assert has(nct03418623, placebo, RDF.type, EG.Placebo)
    assert one(nct03418623, placebo, EG.interventionType) == EGV.Placebo


def test_sponsor_and_collaborator_labels(nct03418623: EvidenceGraph) -> None:
    module = fixture("NCT03418623")["protocolSection"]["sponsorCollaboratorsModule"]
    node = study("NCT03418623")
    assert labels(nct03418623, node, EG.sponsor) == {module["leadSponsor"]["name"]}
    assert labels(nct03418623, node, EG.collaborator) == {
        c["name"] for c in module["collaborators"]
    }
    for org in objects(nct03418623, node, EG.sponsor) | objects(nct03418623, node, EG.collaborator):
        assert has(nct03418623, org, RDF.type, EG.Organization)


def test_registry_record_dates(nct03418623: EvidenceGraph) -> None:
    status = fixture("NCT03418623")["protocolSection"]["statusModule"]
    record = registry_record("NCT03418623")
    assert one(nct03418623, record, DCTERMS.issued) == Literal(
        status["studyFirstPostDateStruct"]["date"], datatype=XSD.date
    )
    assert one(nct03418623, record, DCTERMS.modified) == Literal(
        status["lastUpdatePostDateStruct"]["date"], datatype=XSD.date
    )


# --- 3. NCT00763412: results ----------------------------------------------------------


@pytest.fixture(scope="module")
def nct00763412() -> EvidenceGraph:
    graph = memory_graph()
    summary = import_items(graph, read_paths([CTGOV / "NCT00763412.json"]))
    assert summary.imported == 1, summary.lines()
    return graph


def arm_labelled(content: dict[str, Any], title: str) -> str | None:
    """The registered arm label a results group title names (compared case-insensitively)."""
    groups = content["protocolSection"]["armsInterventionsModule"]["armGroups"]
    found = [group["label"] for group in groups if words(group["label"]) == words(title)]
    return found[0] if found else None


FINDINGS_OF_OUTCOME = """
PREFIX eg: <https://w3id.org/evidencegraph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?study ?title ?finding ?value ?armLabel WHERE {
  ?finding a eg:Finding ; eg:ofStudy ?study ; eg:outcome ?outcome ; eg:value ?value .
  ?outcome rdfs:label ?title .
  OPTIONAL { ?finding eg:experimentalGroup/rdfs:label ?armLabel }
}
"""


def test_findings_carry_the_measured_values(nct00763412: EvidenceGraph) -> None:
    content = fixture("NCT00763412")
    measures = content["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"]
    bmi = next(measure for measure in measures if measure["title"] == "BMI")
    titles = {group["id"]: group["title"] for group in bmi["groups"]}
    expected = {}
    for measurement in bmi["classes"][0]["categories"][0]["measurements"]:
        label = arm_labelled(content, titles[measurement["groupId"]])
        assert label is not None
        expected[label] = Decimal(measurement["value"])
    assert len(expected) == 2
    rows = nct00763412.query(
        FINDINGS_OF_OUTCOME,
        {"study": study("NCT00763412"), "title": Literal(bmi["title"])},
    ).rows
    found = {str(row["armLabel"]): Decimal(str(row["value"])) for row in rows}
    assert found == expected


def test_every_outcome_measure_has_one_finding_per_measurement(
    nct00763412: EvidenceGraph,
) -> None:
    measures = fixture("NCT00763412")["resultsSection"]["outcomeMeasuresModule"]["outcomeMeasures"]
    assert len(measures) == 9
    for measure in measures:
        values = sorted(
            Decimal(measurement["value"])
            for class_ in measure["classes"]
            for category in class_["categories"]
            for measurement in category["measurements"]
        )
        rows = nct00763412.query(
            FINDINGS_OF_OUTCOME,
            {"study": study("NCT00763412"), "title": Literal(measure["title"])},
        ).rows
        assert sorted(Decimal(str(row["value"])) for row in rows) == values, measure["title"]


def test_findings_are_derived_from_the_registry_record(nct00763412: EvidenceGraph) -> None:
    findings = nct00763412.query(
        f"{EG_PREFIX} SELECT ?study ?finding WHERE {{ ?finding a eg:Finding ; eg:ofStudy ?study }}",
        {"study": study("NCT00763412")},
    ).rows
    assert findings
    for row in findings:
        assert has(nct00763412, row["finding"], PROV.wasDerivedFrom, registry_record("NCT00763412"))


def test_participant_flow_counts_land_on_the_matching_arms(nct00763412: EvidenceGraph) -> None:
    content = fixture("NCT00763412")
    flow = content["resultsSection"]["participantFlowModule"]
    titles = {group["id"]: group["title"] for group in flow["groups"]}
    started = next(m for m in flow["periods"][0]["milestones"] if m["type"] == "STARTED")
    matched = 0
    for achievement in started["achievements"]:
        label = arm_labelled(content, titles[achievement["groupId"]])
        if label is None:
            continue
        matched += 1
        node = arm("NCT00763412", label)
        assert one(nct00763412, node, EG.participants) == Literal(
            int(achievement["numSubjects"]), datatype=XSD.integer
        )
    # "2. Repaglinide" names the arm "2. repaglinide"
    assert matched == 1


def test_participant_flow_group_named_inside_an_arm_label(nct00763412: EvidenceGraph) -> None:
    content = fixture("NCT00763412")
    flow = content["resultsSection"]["participantFlowModule"]
    # the flow calls the arm registered as "1 Placebo" just "Placebo": the only arm whose
    # label contains that title, so it stands for that arm
    assert (flow["groups"][0]["id"], flow["groups"][0]["title"]) == ("FG000", "Placebo")
    assert arm_labelled(content, "Placebo") is None
    started = next(m for m in flow["periods"][0]["milestones"] if m["type"] == "STARTED")
    count = next(a["numSubjects"] for a in started["achievements"] if a["groupId"] == "FG000")
    node = arm("NCT00763412", "1 Placebo")
    assert one(nct00763412, node, EG.participants) == Literal(int(count), datatype=XSD.integer)


# --- 4. NCT03630471: behavioural interventions and references ----------------------------


def therapy_concept(name: str) -> URIRef | None:
    """The vocabulary.csv therapy concept whose name occurs in ``name`` as whole words (longest)."""
    text = resources.files("evidencegraph.ingest").joinpath("vocabulary.csv").read_text("utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    padded = f" {words(name)} "
    best: tuple[int, URIRef] | None = None
    for row in rows:
        candidate = words(row["name"])
        if (
            row["kind"] == "therapy"
            and f" {candidate} " in padded
            and (best is None or len(candidate) > best[0])
        ):
            best = (len(candidate), EGV[row["target"].removeprefix("egv:")])
    return best[1] if best else None


def test_behavioural_interventions_are_classified_by_the_vocabulary() -> None:
    content = fixture("NCT03630471")
    graph = memory_graph()
    import_items(graph, read_paths([CTGOV / "NCT03630471.json"]))
    interventions = content["protocolSection"]["armsInterventionsModule"]["interventions"]
    assert {item["type"] for item in interventions} == {"BEHAVIORAL"}
    classes = set()
    for item in interventions:
        node = intervention("NCT03630471", item["name"])
        concept = therapy_concept(item["name"])
        # the names of this record match egv:Psychotherapy itself or nothing
        assert concept in (EGV.Psychotherapy, None), item["name"]
        expected_class = EG.BehavioralIntervention if concept is None else EG.Psychotherapy
        expected_type = EGV.BehavioralInterventionType if concept is None else concept
        assert has(graph, node, RDF.type, expected_class), item["name"]
        assert one(graph, node, EG.interventionType) == expected_type
        assert one(graph, node, RDFS.label) == Literal(item["name"])
        classes.add(expected_class)
    # "problem-solving intervention" is a therapy name, "Enhanced usual care" is not
    assert classes == {EG.Psychotherapy, EG.BehavioralIntervention}


def test_references_with_pmids_become_article_nodes() -> None:
    content = fixture("NCT03630471")
    graph = memory_graph()
    import_items(graph, read_paths([CTGOV / "NCT03630471.json"]))
    references = content["protocolSection"]["referencesModule"]["references"]
    with_pmid = [reference for reference in references if reference.get("pmid")]
    assert len(references) == 12 and len(with_pmid) == 10
    for reference in with_pmid:
        article = EGID[f"source/pmid/{reference['pmid']}"]
        assert one(graph, article, EG.pmid) == Literal(reference["pmid"])
        if reference["type"] == "DERIVED":
            assert has(graph, article, EG.reports, study("NCT03630471"))
        else:
            assert has(graph, registry_record("NCT03630471"), DCTERMS.references, article)
    result = graph.query(f"{EG_PREFIX} SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE {{ ?a eg:pmid ?p }}")
    assert int(result.rows[0]["n"]) == len(with_pmid)  # type: ignore[call-overload]


# --- 5. NCT00973089: withdrawn --------------------------------------------------------------


def test_withdrawn_study() -> None:
    protocol = fixture("NCT00973089")["protocolSection"]
    assert protocol["statusModule"]["overallStatus"] == "WITHDRAWN"
    graph = memory_graph()
    import_items(graph, read_paths([CTGOV / "NCT00973089.json"]))
    node = study("NCT00973089")
    assert one(graph, node, EG.overallStatus) == EGV.Withdrawn
    assert one(graph, node, EG.enrolment) == Literal(
        protocol["designModule"]["enrollmentInfo"]["count"]
    )
    no_intervention = arm("NCT00973089", "Complete caries removal")
    assert one(graph, no_intervention, EG.armRole) == EGV.NoInterventionArm
    assert objects(graph, no_intervention, EG.receives) == set()
    assert graph.validate().conforms


# --- 6. idempotence ---------------------------------------------------------------------


def test_importing_the_same_files_twice_adds_nothing() -> None:
    graph = memory_graph()
    first = import_items(graph, read_paths(good_files()))
    assert first.triples_added > 0
    size = len(graph.store)
    again = import_items(graph, read_paths(good_files()))
    assert again.imported == len(GOOD_IDS)
    assert again.triples_added == 0
    assert again.values_replaced == 0
    assert len(graph.store) == size


# --- 7. merging with the curated evidence ------------------------------------------------


def kare_record() -> dict[str, Any]:
    """A CONSTRUCTED record, not a real registry export: NCT03418623.json relabelled as KARE.

    nctId NCT02649231, conditions ["Alcohol Use Disorder"], the drug renamed "Ketamine", and a
    BEHAVIORAL "Relapse Prevention Therapy" received by the same experimental arm.
    """
    content = fixture("NCT03418623")
    protocol = content["protocolSection"]
    protocol["identificationModule"]["nctId"] = "NCT02649231"
    protocol["conditionsModule"]["conditions"] = ["Alcohol Use Disorder"]
    module = protocol["armsInterventionsModule"]
    experimental = next(group for group in module["armGroups"] if group["type"] == "EXPERIMENTAL")
    drug = next(item for item in module["interventions"] if item["type"] == "DRUG")
    drug["name"] = "Ketamine"
    experimental["interventionNames"] = ["Drug: Ketamine", "Behavioral: Relapse Prevention Therapy"]
    module["interventions"].append(
        {
            "type": "BEHAVIORAL",
            "name": "Relapse Prevention Therapy",
            "armGroupLabels": [experimental["label"]],
        }
    )
    return content


def test_an_imported_record_merges_with_the_curated_study() -> None:
    kare = study("NCT02649231")
    content = kare_record()
    experimental = next(
        group
        for group in content["protocolSection"]["armsInterventionsModule"]["armGroups"]
        if group["type"] == "EXPERIMENTAL"
    )
    imported_arm = arm("NCT02649231", experimental["label"])
    graph = memory_graph()
    graph.build()
    # curated (studies.ttl): KARE's acronym, EudraCT number and its "ketamine-therapy" arm
    assert has(graph, kare, EG.acronym, Literal("KARE"))

    summary = import_items(graph, records(content))
    assert summary.imported == 1 and summary.stopped is None, summary.lines()

    nodes = graph.query(
        f"{EG_PREFIX} SELECT DISTINCT ?id ?s WHERE {{ ?s eg:nctId ?id }}",
        {"id": Literal("NCT02649231")},
    ).rows
    assert [row["s"] for row in nodes] == [kare]
    assert one(graph, kare, EG.acronym) == Literal("KARE")
    assert has(graph, kare, EG.eudractNumber, Literal("2015-000222-11"))
    assert has(graph, kare, EG.hasArm, EGID["study/NCT02649231/arm/ketamine-therapy"])
    # and what only the imported record says
    assert has(graph, kare, EG.hasArm, imported_arm)
    org_study_id = content["protocolSection"]["identificationModule"]["orgStudyIdInfo"]["id"]
    assert one(graph, kare, EG.orgStudyId) == Literal(org_study_id)
    assert has(graph, kare, PROV.wasDerivedFrom, registry_record("NCT02649231"))
    modified = content["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"]
    assert one(graph, registry_record("NCT02649231"), DCTERMS.modified) == Literal(
        modified, datatype=XSD.date
    )
    ketamine_arms = graph.query(
        f"{EG_PREFIX} SELECT ?drug ?arm WHERE {{ ?arm eg:receives/eg:drug ?drug }}",
        {"drug": EGID["drug/ketamine"]},
    ).rows
    assert imported_arm in {row["arm"] for row in ketamine_arms}
    report = graph.validate()
    assert report.conforms, report.table()

    rows = graph.run("drug-with-psychotherapy", {"drug": "ketamine"}).rows
    kare_arms = {str(row["arm"]) for row in rows if row["trial"] == kare}
    assert experimental["label"] in kare_arms
    assert "ketamine + relapse-prevention based therapy" in kare_arms

    graph.build()
    assert graph.validate().conforms
    assert one(graph, kare, EG.acronym) == Literal("KARE")
    assert has(graph, kare, EG.hasArm, imported_arm)


# --- 8. unknown codes -------------------------------------------------------------------


def test_an_unknown_phase_is_kept_with_a_warning() -> None:
    # synthetic: NCT03418623 with a phase ClinicalTrials.gov does not have
    content = fixture("NCT03418623")
    content["protocolSection"]["designModule"]["phases"] = ["PHASE5"]
    mapped = map_study(content, "phase5.json")
    assert any("designModule.phases" in w and "PHASE5" in w for w in mapped.warnings)
    graph = memory_graph()
    summary = import_items(graph, records(content))
    assert summary.imported == 1
    assert any("PHASE5" in warning for warning in summary.warnings)
    node = study("NCT03418623")
    assert has(graph, node, EG.unmappedValue, Literal("designModule.phases=PHASE5"))
    assert objects(graph, node, EG.phase) == set()
    assert graph.validate().conforms


# --- 9. bad input through the CLI --------------------------------------------------------

BadInput = Callable[[Path], tuple[Path, list[str]]]


def classic_file(tmp_path: Path) -> tuple[Path, list[str]]:
    return CLASSIC, [CLASSIC_MESSAGE, "NCT04780763.json"]


def invalid_json(tmp_path: Path) -> tuple[Path, list[str]]:
    path = tmp_path / "trailing-comma.json"
    # the trailing comma on line 3 is the error: the "}" after it is column 53
    path.write_text(
        '{\n  "protocolSection": {\n    "identificationModule": {"nctId": "NCT03418623",}\n  }\n}\n'
    )
    return path, [f"{path}:3:53", "invalid JSON"]


def truncated_json(tmp_path: Path) -> tuple[Path, list[str]]:
    text = (CTGOV / "NCT03418623.json").read_text("utf-8")
    path = tmp_path / "NCT03418623.json"
    path.write_text(text[: len(text) // 2], "utf-8")
    with pytest.raises(json.JSONDecodeError) as error:
        json.loads(path.read_text("utf-8"))
    return path, [f"{path}:{error.value.lineno}:{error.value.colno}", "invalid JSON"]


def not_a_study(tmp_path: Path) -> tuple[Path, list[str]]:
    path = tmp_path / "hello.json"
    path.write_text(json.dumps({"hello": 1}))
    return path, ["not a ClinicalTrials.gov API v2 study", "protocolSection"]


def without_nct_id(tmp_path: Path) -> tuple[Path, list[str]]:
    content = fixture("NCT03418623")
    del content["protocolSection"]["identificationModule"]["nctId"]
    path = tmp_path / "no-id.json"
    path.write_text(json.dumps(content))
    return path, ["no-id.json", "NCT id"]


def empty_directory(tmp_path: Path) -> tuple[Path, list[str]]:
    path = tmp_path / "empty"
    path.mkdir()
    return path, [str(path), "holds no .json or .zip file"]


def zip_with_readme(tmp_path: Path) -> tuple[Path, list[str]]:
    path = tmp_path / "bulk.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.write(CTGOV / "NCT03418623.json", "NCT03418623.json")
        archive.writestr("readme.txt", "not a study\n")
    return path, [f"{path}:readme.txt", "not a .json file"]


@pytest.mark.parametrize(
    "bad_input",
    [
        classic_file,
        invalid_json,
        truncated_json,
        not_a_study,
        without_nct_id,
        empty_directory,
        zip_with_readme,
    ],
)
def test_bad_input_exits_3_with_a_message_and_leaves_the_store_alone(
    bad_input: BadInput, db: Path, tmp_path: Path
) -> None:
    path, fragments = bad_input(tmp_path)
    before = triple_count(db)
    result = run_import(store_of(db), path)
    assert result.exit_code == 3, result.output
    for fragment in fragments:
        assert fragment in result.stderr
    assert triple_count(db) == before


def test_zip_with_a_non_json_member_in_skip_mode(db: Path, tmp_path: Path) -> None:
    path, _ = zip_with_readme(tmp_path)
    result = run_import(store_of(db), path, "--on-invalid", "skip")
    assert result.exit_code == 0, result.output
    assert "skipped: " in result.stderr and "readme.txt" in result.stderr
    assert re.search(r"^imported:\s+1 ", result.stdout, re.MULTILINE)
    assert re.search(r"^skipped:\s+1$", result.stdout, re.MULTILINE)
    with_store(db, lambda graph: _assert_studies(graph, ["NCT03418623"], present=True))


def _assert_studies(graph: EvidenceGraph, nct_ids: Iterable[str], *, present: bool) -> None:
    for nct_id in nct_ids:
        assert mentions(graph, study(nct_id)) is present, nct_id


def test_skip_mode_with_the_classic_file_in_the_directory(tmp_path: Path) -> None:
    assert sorted(path.name for path in CTGOV.iterdir()) == sorted(
        [*(f"{nct_id}.json" for nct_id in GOOD_IDS), CLASSIC.name]
    )
    db = tmp_path / "kg.db"
    result = run_import(store_of(db), CTGOV, "--on-invalid", "skip")
    assert result.exit_code == 0, result.output
    assert re.search(rf"^imported:\s+{len(GOOD_IDS)} ", result.stdout, re.MULTILINE)
    assert re.search(r"^skipped:\s+1$", result.stdout, re.MULTILINE)
    assert "skipped: " in result.stderr and CLASSIC_MESSAGE in result.stderr
    with_store(db, lambda graph: _assert_studies(graph, GOOD_IDS, present=True))
    with_store(db, lambda graph: _assert_studies(graph, ["NCT04780763"], present=False))


# --- 10. abort semantics -------------------------------------------------------------------


def test_abort_keeps_the_committed_batches_and_stops_at_the_bad_record(tmp_path: Path) -> None:
    first, second, last = "NCT03418623", "NCT03630471", "NCT00763412"
    db = tmp_path / "kg.db"
    files = [CTGOV / f"{first}.json", CTGOV / f"{second}.json", CLASSIC, CTGOV / f"{last}.json"]
    result = run_import(store_of(db), *files, "--batch-size", "1")
    assert result.exit_code == 3, result.output
    lines = result.stdout.splitlines()
    assert "imported:     2 (in 2 batch(es))" in lines
    assert f"committed: 2 record(s), the last {second}." in lines
    assert any(line.startswith("stopped at: ") and str(CLASSIC) in line for line in lines)
    assert CLASSIC_MESSAGE in result.stderr
    with_store(db, lambda graph: _assert_studies(graph, [first, second], present=True))
    with_store(db, lambda graph: _assert_studies(graph, [last], present=False))


def test_a_batch_that_breaks_the_shapes_exits_1_and_writes_nothing_of_it(
    tmp_path: Path,
) -> None:
    broken = tmp_path / f"{SYNTHETIC_ID}.json"
    broken.write_text(json.dumps(study_without_conditions(SYNTHETIC_ID)))
    first, second, last = "NCT03418623", "NCT03630471", "NCT00763412"
    db = tmp_path / "kg.db"
    files = [CTGOV / f"{first}.json", CTGOV / f"{second}.json", broken, CTGOV / f"{last}.json"]
    result = run_import(store_of(db), *files, "--batch-size", "2")
    assert result.exit_code == 1, result.output
    assert "imported:     2 (in 2 batch(es))" not in result.stdout
    assert "imported:     2 (in 1 batch(es))" in result.stdout.splitlines()
    assert f"committed: 2 record(s), the last {second}." in result.stdout
    assert f"not committed: 2 record(s) read and not written, {SYNTHETIC_ID} .. {last}." in (
        result.stdout
    )
    assert f"egid:study/{SYNTHETIC_ID}" in result.stderr
    assert "eg:studiesCondition" in result.stderr
    with_store(db, lambda graph: _assert_studies(graph, [first, second], present=True))
    with_store(db, lambda graph: _assert_studies(graph, [SYNTHETIC_ID, last], present=False))
    with_store(db, lambda graph: _assert_conforms(graph))


def _assert_conforms(graph: EvidenceGraph) -> None:
    report = graph.validate()
    assert report.conforms, report.table()


def test_the_library_reports_the_stop_and_the_committed_ids() -> None:
    graph = memory_graph()
    files = [CTGOV / "NCT03418623.json", CTGOV / "NCT03630471.json", CLASSIC]
    summary = import_items(graph, read_paths([*files, CTGOV / "NCT00973089.json"]), batch_size=1)
    assert summary.committed_ids == ["NCT03418623", "NCT03630471"]
    assert summary.batches_committed == 2
    assert summary.records_read == 3
    assert summary.stopped is not None and summary.stopped.report is None
    assert CLASSIC_MESSAGE in summary.stopped.error.reason
    assert summary.uncommitted_ids == []
    assert "Fix the record, or run again with --on-invalid skip." in summary.lines()


# --- 11. ZIP archives and API pages ------------------------------------------------------


def test_a_zip_of_the_fixtures_imports_them_all(tmp_path: Path) -> None:
    path = tmp_path / "ctg-studies.json.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in good_files():
            archive.write(file, file.name)
    graph = memory_graph()
    summary = import_items(graph, read_paths([path]))
    assert summary.imported == len(GOOD_IDS) and summary.stopped is None
    _assert_studies(graph, GOOD_IDS, present=True)
    assert graph.validate().conforms


def test_an_api_page_imports_every_study(tmp_path: Path) -> None:
    page = {"studies": [fixture(nct_id) for nct_id in GOOD_IDS], "nextPageToken": "x"}
    path = tmp_path / "page.json"
    path.write_text(json.dumps(page))
    items = list(read_paths([path]))
    assert [item.origin for item in items] == [
        f"{path}: studies[{index}]" for index in range(len(GOOD_IDS))
    ]
    graph = memory_graph()
    summary = import_items(graph, items)
    assert summary.imported == len(GOOD_IDS) and summary.stopped is None
    _assert_studies(graph, GOOD_IDS, present=True)


def test_a_zip_through_the_cli(tmp_path: Path) -> None:
    path = tmp_path / "bulk.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for file in good_files():
            archive.write(file, file.name)
    db = tmp_path / "kg.db"
    result = run_import(store_of(db), path)
    assert result.exit_code == 0, result.output
    assert re.search(rf"^imported:\s+{len(GOOD_IDS)} ", result.stdout, re.MULTILINE)
    with_store(db, lambda graph: _assert_studies(graph, GOOD_IDS, present=True))


# --- 12. the mapping is a pure function ---------------------------------------------------


@pytest.mark.parametrize("nct_id", GOOD_IDS)
def test_map_study_is_pure(nct_id: str) -> None:
    content = fixture(nct_id)
    untouched = copy.deepcopy(content)
    first = map_study(content, "a.json")
    second = map_study(content, "a.json")
    assert first.triples == second.triples
    assert first.warnings == second.warnings
    assert first.record_id == second.record_id == nct_id
    assert content == untouched


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (json.loads(CLASSIC.read_text("utf-8")), CLASSIC_MESSAGE),
        ({"hello": 1}, "no protocolSection"),
        ([], "no protocolSection"),
        ({"protocolSection": {"identificationModule": {"nctId": "NCT123"}}}, "'NCT123'"),
    ],
)
def test_map_study_refuses_what_is_not_an_api_v2_study(content: object, fragment: str) -> None:
    with pytest.raises(MappingError, match=re.escape(fragment)):
        map_study(content, "x.json")


# --- names that collide: case, batches, repeats -------------------------------------------------


def test_names_differing_only_in_case_do_not_break_a_record() -> None:
    # synthetic: NCT03418623 whose condition is spelled like its MeSH term, but lower-case
    content = fixture("NCT03418623")
    meshes = content["derivedSection"]["conditionBrowseModule"]["meshes"]
    assert "Alcohol Drinking" in [mesh["term"] for mesh in meshes]
    content["protocolSection"]["conditionsModule"]["conditions"] = ["Alcohol drinking"]
    graph = memory_graph()
    summary = import_items(graph, records(content))
    assert summary.stopped is None, summary.lines()
    assert len(objects(graph, EGID["condition/alcohol-drinking"], RDFS.label)) == 1


def test_the_batch_size_does_not_change_what_imports() -> None:
    # synthetic: NCT03418623, and a copy under another id whose sponsor is spelled "CT"
    original = fixture("NCT03418623")
    variant = fixture("NCT03418623")
    variant["protocolSection"]["identificationModule"]["nctId"] = SYNTHETIC_ID
    sponsor = variant["protocolSection"]["sponsorCollaboratorsModule"]["leadSponsor"]
    assert sponsor["name"] == "Laboratorio Farmaceutico Ct S.r.l."
    sponsor["name"] = "Laboratorio Farmaceutico CT S.r.l."
    one_by_one = import_items(memory_graph(), records(original, variant), batch_size=1)
    assert one_by_one.imported == 2
    together = import_items(memory_graph(), records(original, variant))
    assert together.stopped is None, together.lines()
    assert together.imported == 2


def test_three_interventions_of_one_name_get_three_nodes() -> None:
    # synthetic: NCT03418623 with three interventions called "Placebo", of three types
    content = fixture("NCT03418623")
    module = content["protocolSection"]["armsInterventionsModule"]
    module["interventions"] = [
        {"type": kind, "name": "Placebo", "armGroupLabels": ["Placebo"]}
        for kind in ("DRUG", "OTHER", "DIETARY_SUPPLEMENT")
    ]
    mapped = map_study(content, "placebos.json")
    minted = {
        subject
        for subject, predicate, _ in mapped.rdflib_triples()
        if predicate == EG.interventionType and "/intervention/" in str(subject)
    }
    assert len(minted) == 3


def _with_drug_intervention(name: str) -> dict[str, Any]:
    """NCT03418623 whose GET73 intervention is renamed (a constructed record)."""
    content = fixture("NCT03418623")
    module = content["protocolSection"]["armsInterventionsModule"]
    for intervention in module["interventions"]:
        if intervention["name"] == "GET73":
            intervention["name"] = name
    return content


@pytest.mark.parametrize(
    ("name", "expected_class"),
    [
        ("Ketamine or placebo", EG.DrugIntervention),  # the blinded arm's drug
        ("Naltrexone placebo", EG.Placebo),  # a matching placebo
        ("Placebo for ketamine", EG.Placebo),
        ("Ketamine", EG.DrugIntervention),
    ],
)
def test_placebo_names_and_drug_names(name: str, expected_class: URIRef) -> None:
    triples = set(map_study(_with_drug_intervention(name), "x.json").rdflib_triples())
    node = next(s for s, p, o in triples if p == RDFS.label and str(o) == name)
    assert (node, RDF.type, expected_class) in triples
    if expected_class == EG.DrugIntervention and "etamine" in name:
        assert (node, EG.drug, EGID["drug/ketamine"]) in triples


def test_a_day_that_does_not_exist_is_left_out_and_the_record_imports() -> None:
    content = fixture("NCT03418623")  # constructed: the start date made impossible
    content["protocolSection"]["statusModule"]["startDateStruct"]["date"] = "2018-02-30"
    graph = memory_graph()
    summary = import_items(graph, records(content))
    assert summary.imported == 1
    study = EGID["study/NCT03418623"]
    assert not graph.query(f"ASK {{ <{study}> <{EG.startDate}> ?date }}").boolean
    assert graph.query(f"ASK {{ <{study}> <{EG.completionDate}> ?date }}").boolean


def test_the_progress_bar_goes_to_stderr_only_when_asked(db: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["--store", store_of(db), "import", "ctgov", str(CTGOV / "NCT03418623.json"), "--progress"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    # off a terminal click prints only the bar's label; on one it redraws the bar in place
    assert "importing" in result.stderr
    assert "importing" not in result.stdout
    quiet = run_import(store_of(db), CTGOV / "NCT03418623.json")  # --no-progress
    assert "importing" not in quiet.stderr


# --- 11. hostile input (issue 13): wrong types, crafted JSON and ZIPs, size limits -----------


def _set(content: dict[str, Any], path: str, value: object) -> dict[str, Any]:
    """``content`` with the value at a dotted path (``a.b.0.c``) replaced."""
    *parents, last = path.split(".")
    node: Any = content
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return content


#: (fixture, dotted path, value put there, the field as the message names it, what it says)
WRONG_TYPES = [
    ("NCT00973089", "protocolSection.designModule.phases", [["PHASE2"]],
     "protocolSection.designModule.phases[0]", "holds a list where text is expected"),
    ("NCT00973089", "protocolSection.statusModule", ["COMPLETED"],
     "protocolSection.statusModule", "holds a list where an object or null is expected"),
    ("NCT03418623", "protocolSection.sponsorCollaboratorsModule.collaborators", ["Acme"],
     "protocolSection.sponsorCollaboratorsModule.collaborators[0]",
     "holds text where an object is expected"),
    ("NCT00973089", "protocolSection.identificationModule.briefTitle", 5,
     "protocolSection.identificationModule.briefTitle",
     "holds a number where text or null is expected"),
    ("NCT00973089", "protocolSection.designModule.enrollmentInfo.count", True,
     "protocolSection.designModule.enrollmentInfo.count",
     "holds true (a boolean) where an integer or null is expected"),
    ("NCT00973089", "derivedSection", "none",
     "derivedSection", "holds text where an object or null is expected"),
    ("NCT00763412", "resultsSection.outcomeMeasuresModule.outcomeMeasures.0.classes",
     {"title": "x"}, "resultsSection.outcomeMeasuresModule.outcomeMeasures[0].classes",
     "holds an object where a list or null is expected"),
    ("NCT00763412",
     "resultsSection.participantFlowModule.periods.0.milestones.0.achievements.0.numSubjects",
     [3],
     "resultsSection.participantFlowModule.periods[0].milestones[0].achievements[0].numSubjects",
     "holds a list where text or a number or null is expected"),
]  # fmt: skip


@pytest.mark.parametrize(("nct_id", "path", "value", "field", "says"), WRONG_TYPES)
def test_a_field_of_the_wrong_type_is_a_record_error_naming_the_field(
    nct_id: str, path: str, value: object, field: str, says: str
) -> None:
    content = _set(fixture(nct_id), path, value)
    with pytest.raises(MappingError) as error:
        map_study(content, "x.json")
    assert f"the field {field} {says}" in str(error.value)
    assert error.value.record_id == nct_id


def _bad_phases() -> dict[str, Any]:
    """NCT00973089 with its phases as a list of lists: a traceback before issue 13."""
    return _set(fixture("NCT00973089"), "protocolSection.designModule.phases", [["PHASE2"]])


def test_skip_mode_imports_the_records_around_a_wrong_typed_one(tmp_path: Path) -> None:
    directory = tmp_path / "records"
    directory.mkdir()
    for nct_id in ("NCT00763412", "NCT03418623", "NCT03630471"):
        (directory / f"{nct_id}.json").write_bytes((CTGOV / f"{nct_id}.json").read_bytes())
    bad = directory / "NCT00973089.json"
    bad.write_text(json.dumps(_bad_phases()))
    db = tmp_path / "kg.db"

    aborted = run_import(store_of(db), directory)
    assert aborted.exit_code == 3, aborted.output
    assert f"{bad} (NCT00973089): the field protocolSection.designModule.phases[0]" in (
        aborted.stderr
    )

    result = run_import(store_of(db), directory, "--on-invalid", "skip")
    assert result.exit_code == 0, result.output
    assert re.search(r"^imported:\s+3 ", result.stdout, re.MULTILINE)
    assert re.search(r"^skipped:\s+1$", result.stdout, re.MULTILINE)
    assert f"skipped: {bad} (NCT00973089): the field" in result.stderr
    with_store(db, lambda graph: _assert_studies(graph, ["NCT00973089"], present=False))
    imported = ["NCT00763412", "NCT03418623", "NCT03630471"]
    with_store(db, lambda graph: _assert_studies(graph, imported, present=True))


def _written(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def deep_json(tmp_path: Path) -> tuple[Path, list[str]]:
    text = json.dumps(fixture("NCT00973089"))[:-1] + ', "x": ' + "[" * 5000 + "]" * 5000 + "}"
    return _written(tmp_path, "deep.json", text), ["deep.json", "nested too deeply"]


def long_integer(tmp_path: Path) -> tuple[Path, list[str]]:
    text = json.dumps(_set(fixture("NCT00973089"), "protocolSection.x", "@"))
    path = _written(tmp_path, "long.json", text.replace('"@"', "7" * 5000))
    return path, ["long.json", "a number in the JSON is too long to read"]


def lone_surrogate(tmp_path: Path) -> tuple[Path, list[str]]:
    content = _set(fixture("NCT00973089"), "protocolSection.identificationModule.briefTitle", "@")
    path = _written(tmp_path, "surrogate.json", json.dumps(content).replace("@", "A \\udc80 B"))
    return path, [
        "surrogate.json",
        "protocolSection.identificationModule.briefTitle: a lone UTF-16 surrogate",
    ]


def nul_in_title(tmp_path: Path) -> tuple[Path, list[str]]:
    content = _set(fixture("NCT00973089"), "protocolSection.identificationModule.briefTitle", "@")
    path = _written(tmp_path, "nul.json", json.dumps(content).replace("@", "A \\u0000 B"))
    return path, ["nul.json", "protocolSection.identificationModule.briefTitle: a NUL character"]


def _patched_zip(tmp_path: Path, name: str, patch: Callable[[bytearray, int], None]) -> Path:
    """A ZIP of one stored member (NCT00973089.json), its bytes changed by ``patch``, which
    gets the archive and the offset of the central directory entry."""
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.write(CTGOV / "NCT00973089.json", "NCT00973089.json")
    raw = bytearray(path.read_bytes())
    patch(raw, raw.rfind(b"PK\x01\x02"))
    path.write_bytes(bytes(raw))
    return path


def zip_bad_crc(tmp_path: Path) -> tuple[Path, list[str]]:
    def flip(raw: bytearray, central: int) -> None:
        raw[30 + len("NCT00973089.json") + 200] ^= 0x01  # a byte of the stored JSON

    path = _patched_zip(tmp_path, "crc.zip", flip)
    return path, [f"{path}:NCT00973089.json", "damaged", "Bad CRC-32"]


def zip_encrypted(tmp_path: Path) -> tuple[Path, list[str]]:
    def encrypt(raw: bytearray, central: int) -> None:
        raw[6] |= 1  # the local header's flags, then the central directory's
        raw[central + 8] |= 1

    path = _patched_zip(tmp_path, "locked.zip", encrypt)
    return path, [f"{path}:NCT00973089.json", "encrypted"]


def zip_unknown_method(tmp_path: Path) -> tuple[Path, list[str]]:
    def method(raw: bytearray, central: int) -> None:
        raw[8:10] = (99).to_bytes(2, "little")  # AES, which zipfile cannot read
        raw[central + 10 : central + 12] = (99).to_bytes(2, "little")

    path = _patched_zip(tmp_path, "aes.zip", method)
    return path, [f"{path}:NCT00973089.json", "method 99"]


@pytest.mark.parametrize(
    "bad_input",
    [
        deep_json,
        long_integer,
        lone_surrogate,
        nul_in_title,
        zip_bad_crc,
        zip_encrypted,
        zip_unknown_method,
    ],
)
def test_crafted_json_and_zips_exit_3_naming_the_file_and_leave_the_store_alone(
    bad_input: BadInput, db: Path, tmp_path: Path
) -> None:
    test_bad_input_exits_3_with_a_message_and_leaves_the_store_alone(bad_input, db, tmp_path)


def test_a_study_past_the_record_limit_is_refused_and_the_others_import(tmp_path: Path) -> None:
    limit = 20 * 1024
    large = sorted(p.name for p in good_files() if p.stat().st_size > limit)
    small = sorted(p.stem for p in good_files() if p.stat().st_size <= limit)
    assert large and small  # NCT00763412 and NCT03630471 are over 20 KiB, the others under
    db = tmp_path / "kg.db"
    result = run_import(store_of(db), *good_files(), "--on-invalid", "skip",
                        "--max-record-size", "20KiB")  # fmt: skip
    assert result.exit_code == 0, result.output
    for name in large:
        assert f"{name}: the study record (" in result.stderr
    assert "larger than the limit of 20 KiB" in result.stderr
    assert "--max-record-size SIZE" in result.stderr
    assert re.search(rf"^imported:\s+{len(small)} ", result.stdout, re.MULTILINE)
    with_store(db, lambda graph: _assert_studies(graph, small, present=True))


def test_a_page_refuses_only_its_study_past_the_record_limit(tmp_path: Path) -> None:
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"studies": [fixture("NCT00973089"), fixture("NCT00763412")]}))
    items = list(read_paths([page], Limits(record=20 * 1024, member=1 << 20)))
    assert isinstance(items[0], Record)
    assert isinstance(items[1], RecordError)
    assert items[1].origin == f"{page}: studies[1]"
    assert "--max-record-size" in items[1].reason


def _zip_with_a_large_title(path: Path, title_mib: int) -> Path:
    """A ZIP of one study whose title is ``title_mib`` MiB of one letter: a few kB on disk."""
    head = json.dumps(_set(fixture("NCT00973089"), "protocolSection.x", "@")).split('"@"')
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("NCT00973089.json", "w", force_zip64=True) as member,
    ):
        member.write(head[0].encode() + b'"')
        for _ in range(title_mib):
            member.write(b"A" * (1 << 20))
        member.write(b'"' + head[1].encode())
    return path


def test_a_zip_member_past_the_member_limit_is_refused_and_never_held(
    db: Path, tmp_path: Path
) -> None:
    archive = _zip_with_a_large_title(tmp_path / "bomb.zip", 64)
    assert archive.stat().st_size < 1 << 20  # 64 MiB decompressed
    tracemalloc.start()
    try:
        items = list(read_paths([archive], Limits(record=1 << 20, member=4 << 20)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20  # neither the member nor the title was read whole
    assert [type(item) for item in items] == [RecordError]

    before = triple_count(db)
    result = run_import(store_of(db), archive, "--max-member-size", "4MiB")
    assert result.exit_code == 3, result.output
    assert f"{archive}:NCT00973089.json: the ZIP member (64.0 MiB decompressed" in result.stderr
    assert "--max-member-size SIZE" in result.stderr
    assert triple_count(db) == before


def test_a_plain_file_past_the_member_limit_is_refused(db: Path) -> None:
    path = CTGOV / "NCT00763412.json"  # 42 kB
    result = run_import(store_of(db), path, "--max-member-size", "16KiB")
    assert result.exit_code == 3, result.output
    assert f"{path}: the JSON document is larger than the limit of 16 KiB" in result.stderr


@pytest.mark.parametrize("size", ["lots", "0", "-5MiB", "1.5GiB"])
def test_a_size_option_that_is_no_size_is_a_usage_error(db: Path, size: str) -> None:
    result = run_import(store_of(db), CTGOV / "NCT00973089.json", "--max-record-size", size)
    assert result.exit_code == 2, result.output
    assert "is not a size" in result.stderr


@pytest.mark.parametrize(("size", "expected"), [("1000", 1000), ("64KiB", 65536),
                                                ("8m", 8 << 20), ("2 GiB", 2 << 30)])  # fmt: skip
def test_sizes_are_bytes_or_binary_multiples(size: str, expected: int) -> None:
    assert ByteSize().convert(size, None, None) == expected


def test_a_value_repeated_within_the_record_limit_costs_memory_once() -> None:
    """A record under --max-record-size repeating one condition 50,000 times maps to the
    triples of the record with it once, in memory of the record with it once (5 MB of JSON
    with a million took 3 GB, so a cost a copy would pass 100 MB here)."""
    content = fixture("NCT00973089")
    once = copy.deepcopy(content)
    condition = content["protocolSection"]["conditionsModule"]["conditions"][0]
    once["protocolSection"]["conditionsModule"]["conditions"] = [condition]
    content["protocolSection"]["conditionsModule"]["conditions"] = [condition] * 50_000
    tracemalloc.start()
    try:
        mapped = map_study(content, "repeated.json")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sorted(map(str, mapped.triples)) == sorted(
        map(str, map_study(once, "repeated.json").triples)
    )
    assert peak < 32 << 20


class _Tracked(dict):  # type: ignore[type-arg]
    """A JSON object that notes each key read from it, as a path from the record's top."""

    def __init__(self, data: dict[str, Any], path: tuple[str, ...], seen: set[tuple[str, ...]]):
        super().__init__({key: _tracked(value, (*path, key), seen) for key, value in data.items()})
        self._path, self._seen = path, seen

    def get(self, key: str, default: object = None) -> Any:
        self._seen.add((*self._path, key))
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        self._seen.add((*self._path, key))
        return super().__getitem__(key)


def _tracked(value: object, path: tuple[str, ...], seen: set[tuple[str, ...]]) -> object:
    if isinstance(value, dict):
        return _Tracked(value, path, seen)
    if isinstance(value, list):
        return [_tracked(item, (*path, "[]"), seen) for item in value]
    return value


def _shape_paths(
    node: dict[str, Any], definitions: dict[str, Any], path: tuple[str, ...] = ()
) -> set[tuple[str, ...]]:
    if "$ref" in node:
        node = definitions[node["$ref"].removeprefix("#/definitions/")]
    paths = {path}
    for key, sub in node.get("properties", {}).items():
        paths |= _shape_paths(sub, definitions, (*path, key))
    if "items" in node:
        paths |= _shape_paths(node["items"], definitions, (*path, "[]"))
    return paths


def _with_adverse_events() -> dict[str, Any]:
    """NCT00763412 with a serious adverse event added (no fixture reports one), shaped as the
    API v2 reports them."""
    content = fixture("NCT00763412")
    events = content["resultsSection"]["adverseEventsModule"]
    group = events["eventGroups"][0]["id"]
    events["seriousEvents"] = [
        {"term": "Hypoglycaemia", "stats": [{"groupId": group, "numAffected": 1, "numAtRisk": 9}]}
    ]
    return content


def _shape() -> dict[str, Any]:
    text = resources.files("evidencegraph.ingest").joinpath("ctgov_shape.json").read_text()
    shape: dict[str, Any] = json.loads(text)
    return shape


#: A value of every JSON type, and nested lists and objects
EVERY_TYPE: list[object] = [None, True, 7, 2.5, "x", [], ["x"], [["x"]], {}, {"id": ["x"]}]


def test_every_listed_field_given_every_json_type_is_mapped_or_refused() -> None:
    """Each field ctgov_shape.json lists, in a real record, replaced by a value of each JSON
    type: the record is mapped or refused with a MappingError, never anything else."""
    shape = _shape()
    outcomes = {"mapped": 0, "refused": 0}
    for path in sorted(_shape_paths(shape, shape["definitions"]) - {()}):
        for value in EVERY_TYPE:
            content = _with_adverse_events()
            parent: Any = content
            for key in path[:-1]:
                parent = parent[0] if key == "[]" else parent.get(key)
                if not parent:
                    break
            else:
                if path[-1] == "[]":
                    parent[0] = value
                else:
                    parent[path[-1]] = value
                try:
                    map_study(content, "x.json")
                    outcomes["mapped"] += 1
                except MappingError:
                    outcomes["refused"] += 1
    assert outcomes["mapped"] > 100 and outcomes["refused"] > 300, outcomes


def test_the_shape_lists_every_field_the_mapping_reads() -> None:
    """What makes the shape check enough: mapping the real records (with results, without)
    reads no field that ctgov_shape.json does not give a type, so no field reaches the
    mapping with a type it was not written for."""
    shape = _shape()
    listed = _shape_paths(shape, shape["definitions"])
    with_events = _with_adverse_events()
    seen: set[tuple[str, ...]] = set()
    for nct_id in GOOD_IDS:
        map_study(_tracked(fixture(nct_id), (), seen), f"{nct_id}.json")
    map_study(_tracked(with_events, (), seen), "with-events.json")
    assert len(seen) > 60  # the fixtures reach the mapping's every part
    assert ("resultsSection", "adverseEventsModule", "seriousEvents", "[]", "stats") in seen
    assert sorted(seen - listed) == []
