"""The results section of real ClinicalTrials.gov records: baseline characteristics per group
and the adverse-event details (issue 18).

Every expected number is read from the record's JSON in the test, never from the importer.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from rdflib import RDF, Literal, URIRef
from rdflib.namespace import RDFS
from rdflib.term import Node

from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.graph.pipeline import Importer
from evidencegraph.ingest.ctgov import map_study
from evidencegraph.ingest.mapping import MappingError
from evidencegraph.ingest.records import Record
from evidencegraph.ontology.namespace import EG, EGID, EGV
from evidencegraph.store.core import OxigraphStore
from support import DATA

#: every real record of ../shared/data/real/ctgov_v2_more with a resultsSection, and the
#: one of ctgov_v2 the tests already held
RESULT_FILES = [
    *sorted((DATA / "ctgov-results").glob("NCT*.json")),
    DATA / "ctgov" / "NCT00763412.json",
]

# bound variables are projected: Oxigraph substitutes only variables in the projection
VALUES = "SELECT ?subject ?predicate ?value WHERE { ?subject ?predicate ?value }"
BY_VALUE = "SELECT ?subject ?predicate ?value WHERE { ?subject ?predicate ?value }"
BASELINE_VALUES = """
SELECT ?study ?characteristic ?value WHERE {
  ?study <https://w3id.org/evidencegraph/ontology#hasBaselineCharacteristic> ?characteristic .
  ?value <https://w3id.org/evidencegraph/ontology#characteristic> ?characteristic .
}"""


def load(path: Path) -> dict[str, Any]:
    content: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return content


def study(content: dict[str, Any]) -> URIRef:
    return EGID[f"study/{content['protocolSection']['identificationModule']['nctId']}"]


def values(graph: EvidenceGraph, subject: Node, predicate: URIRef) -> list[Node]:
    rows = graph.query(VALUES, {"subject": subject, "predicate": predicate}).rows
    return [row["value"] for row in rows]


def subjects(graph: EvidenceGraph, predicate: URIRef, value: Node) -> list[Node]:
    rows = graph.query(BY_VALUE, {"predicate": predicate, "value": value}).rows
    return [row["subject"] for row in rows]


def measurements(
    measure: dict[str, Any],
) -> Iterator[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]:
    """(class, category, measurement) of a baseline measure, in the record's order."""
    for class_ in measure.get("classes") or []:
        for category in class_.get("categories") or []:
            for value in category.get("measurements") or []:
                yield class_, category, value


@pytest.fixture(scope="module")
def graph() -> EvidenceGraph:
    """Every real result record imported into one store (the gate judges each)."""
    graph = EvidenceGraph(OxigraphStore(None))
    records = [Record(str(path), load(path)) for path in RESULT_FILES]
    summary = Importer(graph, map_study).run(records)
    assert summary.stopped is None and not summary.rejected, (summary.stopped, summary.rejected)
    assert summary.imported == len(RESULT_FILES)
    return graph


def test_the_store_of_every_real_result_record_conforms(graph: EvidenceGraph) -> None:
    report = graph.validate()
    assert report.conforms, report.table()


@pytest.mark.parametrize("path", RESULT_FILES, ids=lambda path: path.stem)
def test_every_baseline_measure_and_value_is_mapped(graph: EvidenceGraph, path: Path) -> None:
    content = load(path)
    module = content["resultsSection"]["baselineCharacteristicsModule"]
    measures = module["measures"]
    node = study(content)
    characteristics = values(graph, node, EG.hasBaselineCharacteristic)
    assert len(characteristics) == len(measures) > 0
    labels = {str(label) for c in characteristics for label in values(graph, c, RDFS.label)}
    assert labels == {measure["title"].strip() for measure in measures}
    expected = sum(1 for measure in measures for _ in measurements(measure))
    rows = graph.query(BASELINE_VALUES, {"study": node}).rows
    assert len(rows) == expected
    for row in rows:
        assert EG.BaselineValue in values(graph, row["value"], RDF.type)


def _value_node(
    graph: EvidenceGraph, content: dict[str, Any], title: str, group: str, category: str = ""
) -> Node:
    """The baseline value of a characteristic (by title) for a group (by title) and category."""
    node = study(content)
    (characteristic,) = [
        c
        for c in values(graph, node, EG.hasBaselineCharacteristic)
        if values(graph, c, RDFS.label) == [Literal(title)]
    ]
    found = [
        value
        for value in subjects(graph, EG.characteristic, characteristic)
        if values(graph, value, EG.groupTitle) == [Literal(group)]
        and [str(v) for v in values(graph, value, EG.categoryName)]
        == ([category] if category else [])
    ]
    assert len(found) == 1, found
    return found[0]


def numbers(graph: EvidenceGraph, subject: Node, predicate: URIRef) -> list[object]:
    return [
        value.toPython()
        for value in values(graph, subject, predicate)
        if isinstance(value, Literal)
    ]


def test_a_median_with_its_range_and_denominator_for_the_total_group(graph: EvidenceGraph) -> None:
    content = load(DATA / "ctgov" / "NCT00763412.json")
    module = content["resultsSection"]["baselineCharacteristicsModule"]
    total = module["groups"][-1]
    assert total["title"] == "Total"
    (measure,) = [m for m in module["measures"] if m["title"] == "Age, Continuous"]
    assert measure["paramType"] == "MEDIAN" and measure["dispersionType"] == "FULL_RANGE"
    ((_, _, expected),) = [
        item for item in measurements(measure) if item[2]["groupId"] == total["id"]
    ]
    (denominator,) = [
        int(count["value"])
        for denom in module["denoms"]
        for count in denom["counts"]
        if count["groupId"] == total["id"]
    ]
    node = _value_node(graph, content, "Age, Continuous", "Total")
    assert numbers(graph, node, EG.reportedValue) == [Decimal(expected["value"])]
    assert numbers(graph, node, EG.lowerLimit) == [Decimal(expected["lowerLimit"])]
    assert numbers(graph, node, EG.upperLimit) == [Decimal(expected["upperLimit"])]
    assert numbers(graph, node, EG.analysedCount) == [denominator]
    assert numbers(graph, node, EG.allParticipants) == [True]
    (characteristic,) = values(graph, node, EG.characteristic)
    assert [str(v) for v in values(graph, characteristic, EG.dispersionType)] == ["FULL_RANGE"]
    assert [str(v) for v in values(graph, characteristic, EG.unitOfMeasure)] == [
        measure["unitOfMeasure"]
    ]
    assert values(graph, characteristic, EG.parameterType) == [URIRef(EGV.GroupMedian)]


def test_counts_per_category_and_class_titles(graph: EvidenceGraph) -> None:
    content = load(DATA / "ctgov" / "NCT00763412.json")
    module = content["resultsSection"]["baselineCharacteristicsModule"]
    first = module["groups"][0]
    (measure,) = [m for m in module["measures"] if m["title"] == "Sex: Female, Male"]
    for _, category, value in measurements(measure):
        if value["groupId"] != first["id"]:
            continue
        node = _value_node(graph, content, measure["title"], first["title"], category["title"])
        assert numbers(graph, node, EG.reportedValue) == [Decimal(value["value"])]
        assert numbers(graph, node, EG.allParticipants) == []
    (region,) = [m for m in module["measures"] if m["title"] == "Region of Enrollment"]
    class_titles = {class_["title"] for class_, _, _ in measurements(region)}
    (characteristic,) = [
        c
        for c in values(graph, study(content), EG.hasBaselineCharacteristic)
        if values(graph, c, RDFS.label) == [Literal("Region of Enrollment")]
    ]
    found = {
        str(name)
        for value in subjects(graph, EG.characteristic, characteristic)
        for name in values(graph, value, EG.className)
    }
    assert found == class_titles


@pytest.mark.parametrize("path", RESULT_FILES, ids=lambda path: path.stem)
def test_baseline_groups_are_linked_to_the_arms_their_titles_name(
    graph: EvidenceGraph, path: Path
) -> None:
    """A group whose title is an arm's label (ignoring case) is that arm; the others are
    linked to no arm, and the total group stands for all participants."""
    content = load(path)
    module = content["resultsSection"]["baselineCharacteristicsModule"]
    arms = {
        arm["label"].strip().lower()
        for arm in content["protocolSection"]["armsInterventionsModule"].get("armGroups", [])
    }
    titles = {group["id"]: group["title"] for group in module["groups"]}
    exact = sum(
        1
        for measure in module["measures"]
        for _, _, value in measurements(measure)
        if titles[value["groupId"]].strip().lower() in arms
    )
    rows = graph.query(BASELINE_VALUES, {"study": study(content)}).rows
    linked = [row["value"] for row in rows if values(graph, row["value"], EG.forArm)]
    assert len(linked) >= exact
    for node in linked:
        (arm,) = values(graph, node, EG.forArm)
        assert values(graph, study(content), EG.hasArm).count(arm) == 1
    overall = [row["value"] for row in rows if numbers(graph, row["value"], EG.allParticipants)]
    total_ids = {module["groups"][-1]["id"]} if len(module["groups"]) > 1 else set(titles)
    if len(module["groups"]) > 1:
        assert module["groups"][-1]["title"].lower().startswith("total")
    expected = sum(
        1
        for measure in module["measures"]
        for _, _, value in measurements(measure)
        if value["groupId"] in total_ids
    )
    assert len(overall) == expected


# --- adverse events ------------------------------------------------------------------


def test_each_event_keeps_organ_system_vocabulary_and_assessment(graph: EvidenceGraph) -> None:
    content = load(DATA / "ctgov-results" / "NCT04431453.json")
    module = content["resultsSection"]["adverseEventsModule"]
    node = study(content)
    for kind in ("seriousEvents", "otherEvents"):
        for event in module[kind]:
            (risk,) = [r for r in subjects(graph, RDFS.label, Literal(event["term"].strip()))]
            findings = [
                f
                for f in subjects(graph, EG.adverseEvent, risk)
                if values(graph, f, EG.ofStudy) == [node]
            ]
            assert findings
            for finding in findings:
                systems = {str(v) for v in values(graph, finding, EG.organSystem)}
                vocabularies = {str(v) for v in values(graph, finding, EG.sourceVocabulary)}
                assert len(systems) == 1 and len(vocabularies) == 1
            expected_systems = {
                e["organSystem"] for e in module[kind] if e["term"].strip() == event["term"].strip()
            }
            assert systems <= expected_systems
            assert vocabularies <= {
                e["sourceVocabulary"]
                for e in module[kind]
                if e["term"].strip() == event["term"].strip()
            }
    every = graph.query(
        "SELECT ?f ?p ?of ?study ?risk WHERE { ?f ?p ?risk ; ?of ?study }",
        {"p": EG.adverseEvent, "of": EG.ofStudy, "study": node},
    ).rows
    affected = [
        stats
        for kind in ("seriousEvents", "otherEvents")
        for event in module[kind]
        for stats in event["stats"]
        if "numAffected" in stats
    ]
    assert len({row["f"] for row in every}) == len(affected)
    # the record's assessment types, as booleans
    assessed = {e["assessmentType"] for e in module["seriousEvents"] + module["otherEvents"]}
    found = {
        row["value"].toPython()
        for row in graph.query(
            "SELECT ?f ?of ?study ?p ?value WHERE { ?f ?of ?study ; ?p ?value }",
            {"of": EG.ofStudy, "study": node, "p": EG.systematicAssessment},
        ).rows
    }
    assert found == {a == "SYSTEMATIC_ASSESSMENT" for a in assessed}


@pytest.mark.parametrize("path", RESULT_FILES, ids=lambda path: path.stem)
def test_deaths_and_totals_per_group(graph: EvidenceGraph, path: Path) -> None:
    content = load(path)
    module = content["resultsSection"]["adverseEventsModule"]
    node = study(content)
    outcomes = {
        str(label): outcome
        for outcome in values(graph, node, EG.hasOutcome)
        for label in values(graph, outcome, RDFS.label)
    }
    deaths = outcomes["Deaths (all causes)"]
    assert [str(v) for v in values(graph, deaths, EG.timeFrame)] == [module["timeFrame"].strip()]
    for kind, title in (
        ("deaths", "Deaths (all causes)"),
        ("serious", "Serious adverse events"),
        ("other", "Other adverse events"),
    ):
        findings = subjects(graph, EG.outcome, outcomes[title])
        totals = {
            str(statement): f
            for f in findings
            for statement in values(graph, f, EG.statement)
            if str(statement).startswith("Participants who")
        }
        assert len(totals) == len(module["eventGroups"])
        for group in module["eventGroups"]:
            (finding,) = [f for s, f in totals.items() if f", {group['title'].strip()}: " in s]
            assert numbers(graph, finding, EG.value) == [Decimal(group[f"{kind}NumAffected"])]
            assert numbers(graph, finding, EG.denominator) == [group[f"{kind}NumAtRisk"]]
    threshold = Decimal(str(module["frequencyThreshold"]))
    assert numbers(graph, outcomes["Other adverse events"], EG.frequencyThreshold) == [threshold]


# --- the shape check ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "wrong"),
    [
        (("baselineCharacteristicsModule", "measures", 0, "classes"), "Age"),
        (("baselineCharacteristicsModule", "measures", 0, "title"), ["Age"]),
        (("baselineCharacteristicsModule", "denoms", 0, "counts", 0, "value"), {"n": 8}),
        (
            (
                "baselineCharacteristicsModule",
                "measures",
                1,
                "classes",
                0,
                "categories",
                0,
                "measurements",
                0,
                "lowerLimit",
            ),
            [12],
        ),
        (("adverseEventsModule", "eventGroups", 0, "deathsNumAffected"), {"n": 0}),
        (("adverseEventsModule", "frequencyThreshold"), [5]),
    ],
    ids=lambda value: (
        "/".join(map(str, value)) if isinstance(value, tuple) else type(value).__name__
    ),
)
def test_a_field_of_the_wrong_json_type_is_refused_naming_it(
    where: tuple[Any, ...], wrong: object
) -> None:
    content = copy.deepcopy(load(DATA / "ctgov" / "NCT00763412.json"))
    parent: Any = content["resultsSection"]
    for key in where[:-1]:
        parent = parent[key]
    parent[where[-1]] = wrong
    with pytest.raises(MappingError) as refused:
        map_study(content, "x.json")
    message = str(refused.value)
    assert str(where[-1]) in message and "API v2 study" in message


def test_organ_system_of_the_wrong_type_is_refused() -> None:
    content = copy.deepcopy(load(DATA / "ctgov-results" / "NCT02552212.json"))
    content["resultsSection"]["adverseEventsModule"]["seriousEvents"][0]["organSystem"] = 3
    with pytest.raises(MappingError, match="organSystem"):
        map_study(content, "x.json")
