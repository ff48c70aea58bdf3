"""MeSH terms from the registry's derived section: ids, tree, drugs, conditions (issue 18)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from rdflib import RDF, RDFS, SKOS, Literal, Namespace, URIRef
from rdflib.term import Node

from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.graph.pipeline import Importer
from evidencegraph.ingest.ctgov import map_study
from evidencegraph.ingest.mapping import MappingError
from evidencegraph.ingest.mesh import mesh_concept, normalise_mesh_ui
from evidencegraph.ingest.records import Record
from evidencegraph.ontology.namespace import EG, EGID, EGV
from evidencegraph.store.core import OxigraphStore
from support import DATA

# --- ids: NLM's UI (NLM Technical Bulletin 2013 (391)) ------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("D000003324", "D003324"),  # ClinicalTrials.gov pads the seven-character UIs
        ("D003324", "D003324"),
        (" d000437 ", "D000437"),  # FACTS.md: Alcoholism, MeSH D000437
        ("D000000437", "D000437"),
        ("D000086382", "D000086382"),  # made after 2014: ten characters at NLM too
        ("C000582435", "C582435"),  # pembrolizumab, a supplementary concept record
        ("C000606551", "C000606551"),
    ],
)
def test_mesh_ids_take_nlms_form(given: str, expected: str) -> None:
    assert normalise_mesh_ui(given) == expected
    assert mesh_concept(given) == URIRef("http://id.nlm.nih.gov/mesh/" + expected)


@pytest.mark.parametrize("given", ["", "D12345", "Q000941", "M10797", "DX00437"])
def test_what_is_not_a_mesh_ui(given: str) -> None:
    assert normalise_mesh_ui(given) is None
    with pytest.raises(ValueError, match="not a MeSH descriptor"):
        mesh_concept(given)


# --- the registry's MeSH terms on real records -------------------------------------------

CTGOV = DATA / "ctgov"
#: The records of this file (the ones of test_import_ctgov.py are in CTGOV).
MESH_RECORDS = DATA / "ctgov-mesh"
MESH = Namespace("http://id.nlm.nih.gov/mesh/")
PREFIXES_SPARQL = (
    f"PREFIX eg: <{EG}>\nPREFIX skos: <{SKOS}>\nPREFIX rdfs: <{RDFS}>\nPREFIX mesh: <{MESH}>\n"
)
#: What the query example of docs/queries.md asks: every trial of a drug under a MeSH class.
TRIALS_UNDER_CLASS = (
    PREFIXES_SPARQL
    + """SELECT DISTINCT ?class ?trial WHERE {
  ?trial eg:interventionMesh|eg:interventionMeshAncestor ?class .
}"""
)
DRUGS_UNDER_CLASS = (
    PREFIXES_SPARQL
    + """SELECT DISTINCT ?class ?trial ?drug WHERE {
  ?term skos:broaderTransitive? ?class .
  ?drug a eg:Drug ; skos:exactMatch ?term .
  ?trial eg:hasArm/eg:receives/eg:drug ?drug .
}"""
)


def fixture(nct_id: str) -> dict[str, Any]:
    """A real record (tests/data/ctgov-mesh/, provenance in tests/data/README.md), free to
    mutate."""
    content: dict[str, Any] = json.loads((MESH_RECORDS / f"{nct_id}.json").read_text("utf-8"))
    return content


def imported(*contents: dict[str, Any]) -> EvidenceGraph:
    graph = EvidenceGraph(OxigraphStore(None))
    items = [
        Record(f"{c['protocolSection']['identificationModule']['nctId']}.json", c) for c in contents
    ]
    summary = Importer(graph, map_study).run(items)
    assert summary.imported == len(contents), summary.lines()
    return graph


def objects(graph: EvidenceGraph, subject: Node, predicate: Node) -> set[Node]:
    result = graph.query("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", {"s": subject, "p": predicate})
    return {row["o"] for row in result.rows}


def study(nct_id: str) -> URIRef:
    return EGID[f"study/{nct_id}"]


def intervention(nct_id: str, name: str) -> URIRef:
    return EGID[f"study/{nct_id}/ctgov/intervention/{name}"]


def view(graph: EvidenceGraph) -> set[tuple[Node, Node, Node]]:
    """The default graph (the view), every triple."""
    rows = graph.query("SELECT ?s ?p ?o WHERE { ?s ?p ?o }").rows
    return {(row["s"], row["p"], row["o"]) for row in rows}


# -- bug 3: one node per descriptor, whatever the id's form and the records' order


def test_a_descriptor_in_both_id_forms_is_one_node_with_nlms_id() -> None:
    # Neuroendocrine Tumors: D018358 in NCT00184067 (an ancestor of Melanoma), D000018358 in
    # NCT05844332 (its condition term)
    graph = imported(fixture("NCT00184067"), fixture("NCT05844332"))
    tumours = MESH["D018358"]
    assert tumours in objects(graph, study("NCT00184067"), EG.conditionMeshAncestor)
    assert tumours in objects(graph, study("NCT05844332"), EG.conditionMesh)
    assert objects(graph, tumours, SKOS.notation) == {Literal("D018358")}
    assert objects(graph, tumours, RDFS.label) == {Literal("Neuroendocrine Tumors")}
    assert not objects(graph, MESH["D000018358"], RDFS.label)
    condition = EGID["condition/neuroendocrine-tumors"]
    assert objects(graph, condition, EG.meshId) == {Literal("D018358")}
    assert objects(graph, condition, SKOS.exactMatch) == {tumours}


def _shouting(content: dict[str, Any]) -> dict[str, Any]:
    """The record with its MeSH terms in capitals (a constructed variant: the registry's
    labels differ in case from record to record)."""
    derived = content["derivedSection"]
    for module in ("conditionBrowseModule", "interventionBrowseModule"):
        for key in ("meshes", "ancestors"):
            for entry in derived.get(module, {}).get(key, []):
                entry["term"] = entry["term"].upper()
    return content


def test_the_view_does_not_depend_on_the_order_records_come_in() -> None:
    older = _shouting(fixture("NCT00184067"))  # last updated 2014-05-21: labels in capitals
    newer = fixture("NCT05844332")  # 2023-06-13
    forward = imported(copy.deepcopy(older), copy.deepcopy(newer))
    backward = imported(copy.deepcopy(newer), copy.deepcopy(older))
    assert view(forward) == view(backward)
    # the newer record's label is the one the view shows (decision 0021's precedence)
    assert objects(forward, MESH["D018358"], RDFS.label) == {Literal("Neuroendocrine Tumors")}
    # a term only the older record gives keeps its label
    assert objects(forward, MESH["D008545"], RDFS.label) == {Literal("MELANOMA")}


def test_importing_the_same_records_again_changes_nothing() -> None:
    contents = [fixture("NCT00184067"), fixture("NCT05844332"), fixture("NCT05879653")]
    graph = imported(*copy.deepcopy(contents))
    before = view(graph)
    items = [Record(f"again-{i}.json", c) for i, c in enumerate(contents)]
    again = Importer(graph, map_study).run(items)
    assert again.unchanged == 3 and again.triples_added == 0, again.lines()
    assert view(graph) == before


# -- the tree: terms, ancestors, and ancestry only where the record says whose it is


def test_one_intervention_term_gets_the_ancestors_listed() -> None:
    content = fixture("NCT05879653")
    module = content["derivedSection"]["interventionBrowseModule"]
    assert [m["id"] for m in module["meshes"]] == ["C000582435"]  # Pembrolizumab
    ancestors = {mesh_concept(a["id"]) for a in module["ancestors"]}
    graph = imported(content)
    pembrolizumab = MESH["C582435"]
    assert objects(graph, study("NCT05879653"), EG.interventionMesh) == {pembrolizumab}
    assert objects(graph, study("NCT05879653"), EG.interventionMeshAncestor) == ancestors
    assert objects(graph, pembrolizumab, SKOS.broaderTransitive) == ancestors
    assert not objects(graph, pembrolizumab, SKOS.broader)
    for ancestor in ancestors:
        assert (ancestor, RDF.type, EG.MeshTerm) in view(graph)


def test_several_terms_share_the_ancestors_on_the_study_only() -> None:
    # irinotecan and tislelizumab: the list of ancestors is the two terms' union
    content = fixture("NCT05838768")
    module = content["derivedSection"]["interventionBrowseModule"]
    graph = imported(content)
    terms = {mesh_concept(m["id"]) for m in module["meshes"]}
    assert objects(graph, study("NCT05838768"), EG.interventionMesh) == terms
    assert objects(graph, study("NCT05838768"), EG.interventionMeshAncestor) == {
        mesh_concept(a["id"]) for a in module["ancestors"]
    }
    for term in terms:
        assert not objects(graph, term, SKOS.broaderTransitive)


def test_every_trial_of_a_drug_under_a_mesh_class() -> None:
    graph = imported(
        fixture("NCT05879653"),
        fixture("NCT05907980"),
        fixture("NCT05838768"),
        fixture("NCT00184067"),
    )
    immunological = MESH["D000074322"]  # Antineoplastic Agents, Immunological
    rows = graph.query(TRIALS_UNDER_CLASS, {"class": immunological}).rows
    assert {row["trial"] for row in rows} == {
        study("NCT05879653"),
        study("NCT05907980"),
        study("NCT05838768"),
    }
    # which drug: where a record names one term, its ancestry is known
    rows = graph.query(DRUGS_UNDER_CLASS, {"class": immunological}).rows
    assert {(row["trial"], row["drug"]) for row in rows} == {
        (study("NCT05879653"), EGID["drug/pembrolizumab"]),
        (study("NCT05907980"), EGID["drug/atezolizumab"]),
    }


def test_every_study_of_a_condition_under_a_mesh_branch() -> None:
    graph = imported(fixture("NCT00184067"), fixture("NCT05844332"), fixture("NCT05879653"))
    query = PREFIXES_SPARQL + (
        "SELECT DISTINCT ?branch ?study WHERE {"
        " ?study eg:conditionMesh|eg:conditionMeshAncestor ?branch }"
    )
    # Neoplasms by Histologic Type: D009370 in NCT00184067, D000009370 in NCT05844332; not
    # listed for NCT05879653 (bladder neoplasms, under Neoplasms by Site)
    rows = graph.query(query, {"branch": MESH["D009370"]}).rows
    assert {row["study"] for row in rows} == {study("NCT00184067"), study("NCT05844332")}
    rows = graph.query(query, {"branch": MESH["D009369"]}).rows  # Neoplasms
    assert {row["study"] for row in rows} == {
        study("NCT00184067"),
        study("NCT05844332"),
        study("NCT05879653"),
    }


# -- bug 4: which interventions give a drug, and which drug


def test_a_drug_named_by_a_code_gets_the_mesh_term_its_other_name_is() -> None:
    # MK-3475, other name Pembrolizumab; the registry's intervention term C000582435
    graph = imported(fixture("NCT05879653"))
    node = intervention("NCT05879653", "mk-3475")
    assert objects(graph, node, RDF.type) == {EG.DrugIntervention}
    drug = EGID["drug/pembrolizumab"]
    assert objects(graph, node, EG.drug) == {drug}
    assert objects(graph, drug, RDFS.label) == {Literal("Pembrolizumab")}
    assert objects(graph, drug, SKOS.exactMatch) == {MESH["C582435"]}
    assert not objects(graph, drug, EG.meshId)  # an SCR, not a descriptor
    # ASG-22CE (enfortumab vedotin) has no MeSH term in the record: a drug by its name
    assert objects(graph, intervention("NCT05879653", "asg-22ce"), EG.drug) == {
        EGID["drug/asg-22ce"]
    }


def test_a_biological_intervention_gives_its_drug() -> None:
    content = fixture("NCT05838768")
    kinds = {
        i["name"]: i["type"]
        for i in content["protocolSection"]["armsInterventionsModule"]["interventions"]
    }
    assert kinds == {"HRO761": "DRUG", "tislelizumab": "BIOLOGICAL", "irinotecan": "DRUG"}
    graph = imported(content)
    node = intervention("NCT05838768", "tislelizumab")
    assert objects(graph, node, RDF.type) == {EG.DrugIntervention}
    assert objects(graph, node, EG.interventionType) == {EGV.DrugTreatment}
    assert objects(graph, node, EG.drug) == {EGID["drug/tislelizumab"]}
    assert objects(graph, EGID["drug/tislelizumab"], SKOS.exactMatch) == {MESH["C000707970"]}
    irinotecan = objects(graph, intervention("NCT05838768", "irinotecan"), EG.drug)
    assert irinotecan == {EGID["drug/irinotecan"]}
    assert objects(graph, EGID["drug/irinotecan"], EG.meshId) == {Literal("D000077146")}


def _renamed(nct_id: str, old: str, new: str) -> dict[str, Any]:
    """A real record with one intervention renamed (a constructed variant)."""
    content = fixture(nct_id)
    for item in content["protocolSection"]["armsInterventionsModule"]["interventions"]:
        if item["name"] == old:
            item["name"] = new
    return content


@pytest.mark.parametrize("name", ["Conventional medicine", "Standard of care", "Usual care"])
def test_generic_care_is_no_drug(name: str) -> None:
    # NCT05838768's DRUG HRO761 renamed: no MeSH term of the record's is in the name
    graph = imported(_renamed("NCT05838768", "HRO761", name))
    node = intervention("NCT05838768", name.lower().replace(" ", "-"))
    assert objects(graph, node, RDF.type) == {EG.Intervention}
    assert objects(graph, node, EG.interventionType) == {EGV.DrugTreatment}
    assert not objects(graph, node, EG.drug)
    assert not objects(graph, EGID[f"drug/{name.lower().replace(' ', '-')}"], RDF.type)


def test_generic_words_with_a_mesh_term_in_them_name_that_drug() -> None:
    graph = imported(_renamed("NCT05838768", "irinotecan", "Standard of care irinotecan"))
    node = intervention("NCT05838768", "standard-of-care-irinotecan")
    assert objects(graph, node, EG.drug) == {EGID["drug/irinotecan"]}


# -- bug 4: free-text conditions and the MeSH terms the registry found in them


def test_a_free_text_condition_links_to_the_mesh_terms_found_in_it() -> None:
    content = fixture("NCT05809934")
    assert content["protocolSection"]["conditionsModule"]["conditions"] == [
        "Nonalcoholic Steatohepatitis"
    ]
    # the browse leaves: Non-alcoholic Fatty Liver Disease found as "Nonalcoholic
    # Steatohepatitis", Fatty Liver as "Steatohepatitis", Fibrosis as "Fibrosis" (in the
    # keywords, not in this condition)
    graph = imported(content)
    nash = EGID["condition/nonalcoholic-steatohepatitis"]
    assert objects(graph, nash, EG.meshTerm) == {MESH["D065626"], MESH["D005234"]}
    meshes = content["derivedSection"]["conditionBrowseModule"]["meshes"]
    studied = objects(graph, study("NCT05809934"), EG.studiesCondition)
    for mesh in meshes:
        node = EGID[f"condition/{mesh['term'].lower().replace(' ', '-')}"]
        assert node in studied
        assert objects(graph, node, SKOS.exactMatch) == {mesh_concept(mesh["id"])}
    assert nash in studied


def test_the_curated_condition_meets_its_mesh_term() -> None:
    # NCT03418623: "Alcohol Use Disorder"; the registry's Alcoholism (D000437, FACTS.md) is the
    # vocabulary's alcohol use disorder, found in that text
    graph = imported(json.loads((CTGOV / "NCT03418623.json").read_text("utf-8")))
    aud = EGID["condition/alcohol-use-disorder"]
    assert objects(graph, aud, EG.meshId) == {Literal("D000437")}
    assert MESH["D000437"] in objects(graph, aud, SKOS.exactMatch)
    assert MESH["D000437"] in objects(graph, aud, EG.meshTerm)


def test_a_browse_module_of_the_wrong_json_type_is_refused_with_its_field() -> None:
    content = fixture("NCT05879653")
    content["derivedSection"]["interventionBrowseModule"]["ancestors"] = "Antineoplastic Agents"
    with pytest.raises(MappingError, match=r"interventionBrowseModule\.ancestors"):
        map_study(content, "NCT05879653.json")
    content = fixture("NCT05809934")
    content["derivedSection"]["conditionBrowseModule"]["browseLeaves"][0]["asFound"] = 3
    with pytest.raises(MappingError, match=r"browseLeaves.*asFound"):
        map_study(content, "NCT05809934.json")


@pytest.mark.parametrize("name", ["Vehicle", "Sham"])
def test_a_vehicle_or_sham_typed_drug_is_a_placebo(name: str) -> None:
    # real registry records type them DRUG (NCT03064438 "Vehicle", NCT05850520 "Sham"); here
    # NCT05838768's HRO761 renamed
    graph = imported(_renamed("NCT05838768", "HRO761", name))
    node = intervention("NCT05838768", name.lower())
    assert objects(graph, node, RDF.type) == {EG.Placebo}
    assert not objects(graph, node, EG.drug)
