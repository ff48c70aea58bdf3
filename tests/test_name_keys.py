"""Name keys (decision 0027): the lower-cased names of drugs and conditions, written with the
names into their own source graph, by which the named queries find a name in any case.

The records are the curated evidence (ketamine, alcohol use disorder and its synonym "AUD",
FACTS.md) and the real ClinicalTrials.gov record NCT03418623 (tests/data/ctgov), which gives
the investigational drug GET73 and no other record does.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from evidencegraph.cli.main import cli
from evidencegraph.errors import InputError, NonConformingError, StoreNeedsUpgradeError
from evidencegraph.export.select import instances
from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.graph.name_key_upgrade import graphs_missing_name_keys
from evidencegraph.graph.pipeline import Importer
from evidencegraph.ingest.ctgov import map_study
from evidencegraph.ingest.records import Record
from evidencegraph.ontology.name_keys import NAME_KEY, name_key, name_key_statements
from evidencegraph.ontology.source_graphs import curated_graph, record_graph
from evidencegraph.queries import get_query, parse_query
from evidencegraph.rdf.terms import to_oxigraph
from evidencegraph.server.evaluate import QueryJob
from evidencegraph.store.core import OxigraphStore
from evidencegraph.validation import source_view
from support import DATA, rows

EG = "https://w3id.org/evidencegraph/ontology#"
GET73 = ox.NamedNode("https://w3id.org/evidencegraph/id/drug/get73")
KETAMINE = ox.NamedNode("https://w3id.org/evidencegraph/id/drug/ketamine")
RECORD = "NCT03418623"
RECORD_GRAPH = ox.NamedNode(record_graph("ctgov", RECORD))
CONCEPTS = ox.NamedNode(curated_graph("concepts"))


def keys_of(graph: EvidenceGraph, node: ox.NamedNode) -> dict[str, set[str]]:
    """Each key of ``node`` and the graphs that state it (the view as ``""``)."""
    found: dict[str, set[str]] = {}
    for quad in graph.store.values([(node, NAME_KEY)]):
        where = "" if isinstance(quad.graph_name, ox.DefaultGraph) else quad.graph_name.value
        found.setdefault(quad.object.value, set()).add(where)
    return found


def import_record(graph: EvidenceGraph) -> None:
    content = json.loads((DATA / "ctgov" / f"{RECORD}.json").read_text(encoding="utf-8"))
    summary = Importer(graph, map_study).run([Record(f"{RECORD}.json", content)])
    assert summary.stopped is None, summary.lines()


# --- the key --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["Ketamin-Hydrochlorid", "ÉTUDE", "ΟΔΟΣ", "İstanbul", "ǅemal", "ẞtraße", "ＡＵＤ"]
)
def test_the_key_is_what_oxigraph_lowercasing_gives(name: str) -> None:
    answer = ox.Store().query(f"SELECT (LCASE({ox.Literal(name)}) AS ?key) WHERE {{}}")
    assert name_key(name) == next(iter(answer))["key"]  # type: ignore[index]


def test_only_names_of_drugs_conditions_and_untyped_own_nodes_are_keyed() -> None:
    drug, arm = ox.NamedNode("urn:x:drug"), ox.NamedNode("urn:x:arm")
    other = ox.NamedNode("https://w3id.org/evidencegraph/id/drug/esketamine")
    mesh = ox.NamedNode("http://id.nlm.nih.gov/mesh/D007649")
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    alt = ox.NamedNode("http://www.w3.org/2004/02/skos/core#altLabel")
    kind = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    statements = [
        (drug, kind, ox.NamedNode(EG + "Drug")),
        (drug, label, ox.Literal("Ketamine")),
        (drug, alt, ox.Literal("KETAMINE")),  # the same key once
        (drug, alt, ox.Literal("Ketalar")),
        (arm, kind, ox.NamedNode(EG + "Arm")),
        (arm, label, ox.Literal("Ketamine arm")),
        (other, alt, ox.Literal("Esketamine")),  # the project's node, typed by another source
        (mesh, label, ox.Literal("Ketamine")),  # a MeSH descriptor, as PubMed indexes with
    ]
    assert sorted((s.value, o.value) for s, _, o in name_key_statements(statements)) == [
        ("https://w3id.org/evidencegraph/id/drug/esketamine", "esketamine"),
        ("urn:x:drug", "ketalar"),
        ("urn:x:drug", "ketamine"),
    ]


# --- the build, the queries, the export --------------------------------------------------


def test_the_build_keys_each_name_in_its_own_graph(built: EvidenceGraph) -> None:
    assert keys_of(built, KETAMINE) == {"ketamine": {"", CONCEPTS.value}}
    aud = ox.NamedNode("https://w3id.org/evidencegraph/id/condition/alcohol-use-disorder")
    assert set(keys_of(built, aud)) == {
        "alcohol use disorder",
        "alcoholism",
        "aud",
        "alcohol dependence",
    }
    assert graphs_missing_name_keys(built.store) == []


def test_a_name_in_another_case_finds_the_drug_and_the_condition(built: EvidenceGraph) -> None:
    as_given = rows(built, "ongoing-trials", drug="ketamine", condition="alcohol use disorder")
    shouted = rows(built, "ongoing-trials", drug="KETAMINE", condition="Aud")
    assert as_given  # FACTS.md: ongoing ketamine trials for AUD (MORE-KARE among them)
    strip = [{k: v for k, v in row.items() if k not in ("drug", "condition")} for row in shouted]
    assert strip == [
        {k: v for k, v in row.items() if k not in ("drug", "condition")} for row in as_given
    ]
    assert rows(built, "drug-with-psychotherapy", drug="Ketamine", condition="AUD")


def test_an_export_by_type_finds_the_drug_by_a_name_in_another_case(
    built: EvidenceGraph,
) -> None:
    cls = ox.NamedNode(EG + "Trial")
    lower = instances(built.store, cls, 100_000, {"drug": "ketamine"}).described
    upper = instances(built.store, cls, 100_000, {"drug": "KeTaMiNe"}).described
    assert lower and lower == upper
    # a name is written as an escaped literal, never as query text
    assert not instances(built.store, cls, 100_000, {"drug": 'x" } ?s ?p ?o {'}).described


def test_the_shapes_refuse_a_key_in_upper_case(tmp_path: Path) -> None:
    graph = EvidenceGraph(OxigraphStore())
    graph.build()
    wrong = tmp_path / "wrong-key.ttl"
    wrong.write_text(f'<{KETAMINE.value}> <{NAME_KEY.value}> "Ketamine" .\n', encoding="utf-8")
    with pytest.raises(NonConformingError) as refused:
        graph.load_files([wrong])
    assert "not in lower case" in str(refused.value.report.table())
    assert set(keys_of(graph, KETAMINE)) == {"ketamine"}


# --- a record's keys follow the record -------------------------------------------------


def test_a_key_follows_a_withdrawn_and_re_imported_record() -> None:
    graph = EvidenceGraph(OxigraphStore())
    graph.build()
    assert rows(graph, "intervention-outcome-links", drug="get73") == []
    import_record(graph)
    assert keys_of(graph, GET73) == {"get73": {"", RECORD_GRAPH.value}}
    found = rows(graph, "intervention-outcome-links", drug="Get73")
    assert found and {row["intervention"] for row in found} == {"GET73"}
    graph.withdraw([RECORD_GRAPH.value])
    assert keys_of(graph, GET73) == {}
    assert rows(graph, "intervention-outcome-links", drug="GET73") == []  # and no error
    import_record(graph)
    assert keys_of(graph, GET73) == {"get73": {"", RECORD_GRAPH.value}}
    assert rows(graph, "intervention-outcome-links", drug="Get73") == found


# --- a store written before the keys -------------------------------------------------


def test_a_query_on_a_store_without_keys_says_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.db"
    graph = EvidenceGraph(OxigraphStore(path))
    graph.build()
    import_record(graph)
    expected = rows(graph, "ongoing-trials", drug="ketamine", condition="AUD")
    graph.close()
    # the same store as the writes before the keys made it: every write again, none keyed
    path = tmp_path / "written-before-keys.db"
    graph = EvidenceGraph(OxigraphStore(path))
    with monkeypatch.context() as before_keys:
        before_keys.setattr(source_view, "_add_name_keys", lambda record: None)
        graph.build()
        import_record(graph)
    assert len(graphs_missing_name_keys(graph.store)) == 2  # the concepts and the record
    with pytest.raises(StoreNeedsUpgradeError, match="upgrade-keys"):
        graph.run("ongoing-trials", {"drug": "ketamine", "condition": "AUD"})
    # the server's answer to /queries/ongoing-trials, as a worker computes it
    query = get_query("ongoing-trials")
    text, bound = query.prepare({"condition": "AUD"})
    job = QueryJob(
        text, tuple((k, to_oxigraph(v)) for k, v in bound.items()), "json", None, 0,
        keyed=query.keyed,
    )  # fmt: skip
    answer = job.run(graph.store)
    assert answer.status == 503 and b"upgrade-keys" in answer.body
    # a name no drug has is only an empty answer, as before
    assert rows(graph, "risks", drug="no such drug") == []
    graph.close()

    store = f"oxigraph:{path}"
    runner = CliRunner()
    refused = runner.invoke(cli, ["--store", store, "query", "risks", "--param", "drug=KETAMINE"])
    assert refused.exit_code == 3, refused.output
    assert "without its name key" in refused.output and "upgrade-keys" in refused.output

    upgraded = runner.invoke(cli, ["--store", store, "upgrade-keys"])
    assert upgraded.exit_code == 0, upgraded.output
    assert "source graph(s)" in upgraded.output
    again = runner.invoke(cli, ["--store", store, "upgrade-keys"])
    assert again.output.startswith("Wrote 0 source graph(s)")

    graph = EvidenceGraph(OxigraphStore(path))
    assert rows(graph, "ongoing-trials", drug="ketamine", condition="AUD") == expected
    assert keys_of(graph, GET73) == {"get73": {"", RECORD_GRAPH.value}}
    assert keys_of(graph, KETAMINE) == {"ketamine": {"", CONCEPTS.value}}
    answer = job.run(graph.store)
    assert answer.status == 200 and json.loads(answer.body)["results"]["bindings"]
    graph.close()
    # each graph's description in the catalog follows its new content
    checked = runner.invoke(cli, ["--store", store, "validate"])
    assert checked.exit_code == 0, checked.output


# --- the query texts as a client sends them ------------------------------------------


def test_the_text_as_written_answers_the_same_with_the_name_alone(built: EvidenceGraph) -> None:
    """A client that sends a query's text with ?drug and ?condition bound, not the keys
    (which `# key:` writes in), gets the same rows; with nothing bound, none."""
    from rdflib import Literal

    query = get_query("ongoing-trials")
    names = {"drug": Literal("KETAMINE"), "condition": Literal("Alcohol Use Disorder")}
    as_written = built.store.query(query.text, names).rows
    assert as_written
    assert sorted(map(str, as_written)) == sorted(
        map(str, built.run(query, {k: str(v) for k, v in names.items()}).rows)
    )
    assert built.store.query(query.text).rows == []


def test_a_key_line_names_a_literal_parameter() -> None:
    with pytest.raises(InputError, match="'# key: drug' names no literal parameter"):
        parse_query("# param: n integer 1 -- a number\n# key: drug\nSELECT * {}", "q", "q.rq")
