"""The values the view does not show, kept in graph/not-shown (decision 0030), and the
``source-disagreements`` query that reads them.

The old text of the query (``bench/data/queries-before/source-disagreements.rq``, which reads
every quad of every named graph, with the one line that keeps graph/not-shown from being taken
for a source) is the reference: the new one must give the same rows.

The records are the curated evidence (KARE enrolled 96 adults, FACTS.md), the real
ClinicalTrials.gov record NCT03418623 (tests/data/ctgov), and the copies of it that
tests/test_source_graphs.py constructs (KARE's registry record: enrolment 24, its own title).
"""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from evidencegraph.cli.main import cli
from evidencegraph.errors import StoreNeedsUpgradeError
from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.graph.name_key_upgrade import (
    graphs_missing_name_keys,
    marks_by_property,
    marks_out_of_step,
)
from evidencegraph.graph.pipeline import Importer
from evidencegraph.ingest.ctgov import map_study
from evidencegraph.ingest.records import Record
from evidencegraph.ontology.source_graphs import NOT_SHOWN, file_graph, record_graph
from evidencegraph.queries import get_query
from evidencegraph.rdf.terms import to_oxigraph
from evidencegraph.server.evaluate import QueryJob
from evidencegraph.store.core import OxigraphStore, Store
from evidencegraph.validation.recorded_verdicts import unshown_single_values
from evidencegraph.validation.source_view import NOT_SHOWN_GRAPH, NOT_SHOWN_STAMP
from support import COLUMNS, DATA, kare_registry_record, make_store, new_answer, old_answer

KARE = "NCT02649231"
RECORD = "NCT03418623"
EG = "https://w3id.org/evidencegraph/ontology#"
STUDY = f"https://w3id.org/evidencegraph/id/study/{KARE}"
ENROLMENT = ox.NamedNode(EG + "enrolment")
TITLE = ox.NamedNode("http://purl.org/dc/terms/title")


def fixture(nct_id: str = RECORD) -> dict[str, Any]:
    return json.loads((DATA / "ctgov" / f"{nct_id}.json").read_text(encoding="utf-8"))


def retitled_by_a_file(tmp_path: Path) -> tuple[EvidenceGraph, str]:
    """A built store with NCT03418623 imported and a loaded file that gives its study another
    title (a value the record, of higher precedence, outranks), and the study's IRI."""
    graph = EvidenceGraph(OxigraphStore(None))
    graph.build()
    run_import(graph, fixture())
    study = f"https://w3id.org/evidencegraph/id/study/{RECORD}"
    other = tmp_path / "retitled.ttl"
    other.write_text(f'<{study}> <{TITLE.value}> "A title from another source" .\n')
    graph.load_files([other])
    return graph, study


def run_import(graph: EvidenceGraph, *contents: dict[str, Any]) -> None:
    items = [Record(f"record-{i}.json", content) for i, content in enumerate(contents)]
    summary = Importer(graph, map_study).run(items)
    assert summary.stopped is None, summary.lines()


def assert_same_answer(store: Store) -> Counter[tuple[str, ...]]:
    new, old = new_answer(store), old_answer(store)
    assert new == old
    assert new_answer(store, STUDY) == old_answer(store, STUDY)
    return new


def marks(graph: EvidenceGraph) -> set[tuple[str, str, str]]:
    return {
        (q.subject.value, q.predicate.value, q.object.value)
        for q in graph.store.graph_contents([NOT_SHOWN_GRAPH])
    }


@pytest.fixture()
def with_kare() -> EvidenceGraph:
    graph = EvidenceGraph(OxigraphStore(None))
    graph.build()
    run_import(graph, kare_registry_record(), fixture())
    return graph


# --- the same rows as the query that read every graph ----------------------------------


def test_the_marks_give_the_rows_the_old_query_gave(with_kare: EvidenceGraph) -> None:
    rows = assert_same_answer(with_kare.store)
    assert (STUDY, ENROLMENT.value, "24") in marks(with_kare)  # FACTS.md: 96 shown
    enrolment = [row for row in rows if row[1] == f"<{ENROLMENT.value}>"]
    assert len(enrolment) == 1 and '"24"' in enrolment[0][4] and '"96"' in enrolment[0][2]
    assert len(rows) >= 2  # the enrolment and the title, at least


def test_a_reimport_that_changes_a_value_moves_its_mark(with_kare: EvidenceGraph) -> None:
    run_import(with_kare, kare_registry_record(30, updated="2030-01-01"))
    assert (STUDY, ENROLMENT.value, "30") in marks(with_kare)
    assert (STUDY, ENROLMENT.value, "24") not in marks(with_kare)
    assert_same_answer(with_kare.store)
    # the same value again, as a newer version: still outranked, still marked
    run_import(with_kare, kare_registry_record(30, updated="2031-01-01"))
    assert (STUDY, ENROLMENT.value, "30") in marks(with_kare)
    assert_same_answer(with_kare.store)


def test_a_withdrawal_brings_an_outranked_value_back_and_its_mark_goes(tmp_path: Path) -> None:
    graph, study = retitled_by_a_file(tmp_path)
    assert (study, TITLE.value, "A title from another source") in marks(graph)
    assert_same_answer(graph.store)
    graph.withdraw([record_graph("ctgov", RECORD)])
    assert not any(subject == study for subject, _p, _o in marks(graph))
    assert_same_answer(graph.store)
    # the curated source's values come back into view, with no mark, when KARE's registry
    # record that they outrank goes
    run_import(graph, kare_registry_record())
    assert (STUDY, ENROLMENT.value, "24") in marks(graph)
    graph.withdraw([record_graph("ctgov", KARE)])
    assert not any(subject == STUDY for subject, _p, _o in marks(graph))
    assert_same_answer(graph.store)


def test_pairs_a_write_does_not_weigh_keep_their_marks(tmp_path: Path) -> None:
    """A re-import that gives the title the view shows (the record's own, which outranks a
    loaded file's) leaves that pair unweighed (agreed): the file's title stays marked. The
    file's withdrawal drops its title, which weighs the pair: the mark goes."""
    graph, study = retitled_by_a_file(tmp_path)
    marked = (study, TITLE.value, "A title from another source")
    newer = copy.deepcopy(fixture())
    newer["protocolSection"]["designModule"]["enrollmentInfo"]["count"] = 21
    newer["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"] = "2030-01-01"
    run_import(graph, newer)
    assert marked in marks(graph)
    assert_same_answer(graph.store)
    graph.withdraw([file_graph("retitled.ttl")])
    assert marked not in marks(graph)
    assert not any(subject == study for subject, _p, _o in marks(graph))
    assert_same_answer(graph.store)


def test_a_store_without_disagreements_is_not_taken_for_an_old_one() -> None:
    graph = EvidenceGraph(OxigraphStore(None))
    run_import(graph, fixture())
    assert marks(graph) == set()
    assert graph.run("source-disagreements").rows == []  # no error: the store is stamped
    assert NOT_SHOWN_STAMP in set(graph.store.named_quads())


@pytest.mark.parametrize("kind", ["sparql", "sparql-graph"])
def test_a_sparql_store_keeps_the_marks_as_oxigraph_does(kind: str, tmp_path: Path) -> None:
    """The same writes through a SPARQL server (the view in its default graph, or in a named
    graph of its own): the same marks, and the query's rows those of the old text."""
    local = EvidenceGraph(OxigraphStore(None))
    remote = EvidenceGraph(make_store(kind, tmp_path))
    try:
        for graph in (local, remote):
            graph.build()
            run_import(graph, kare_registry_record(), fixture())
        assert marks(remote) == marks(local) and marks(local)
        assert answer_of(remote) == answer_of(local) == old_answer(local.store)
    finally:
        remote.close()


def answer_of(graph: EvidenceGraph) -> Counter[tuple[str, ...]]:
    """source-disagreements' rows as the named query runs (with the marks check)."""
    result = graph.run("source-disagreements")
    return Counter(
        tuple(row[name].n3() if row.get(name) is not None else "" for name in COLUMNS)
        for row in result.rows
    )


# --- a store written before the marks ----------------------------------------------------


def written_before_the_marks(graph: EvidenceGraph) -> None:
    """Take out what a store written before the marks lacks: the graph and the stamp."""
    store = graph.store
    assert isinstance(store, OxigraphStore)
    store.write_quads([*store.graph_contents([NOT_SHOWN_GRAPH]), NOT_SHOWN_STAMP], [])


def test_an_old_store_refuses_the_query_until_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    graph = EvidenceGraph(OxigraphStore(path))
    graph.build()
    run_import(graph, kare_registry_record(), fixture())
    other = tmp_path / "retitled.ttl"  # a title NCT03418623's registry record outranks
    study = f"https://w3id.org/evidencegraph/id/study/{RECORD}"
    other.write_text(f'<{study}> <{TITLE.value}> "A title from another source" .\n')
    graph.load_files([other])
    expected = new_answer(graph.store)
    written_before_the_marks(graph)
    # a later write marks only the pairs it weighs: the answer would be partial, not empty
    run_import(graph, kare_registry_record(25, updated="2030-01-01"))
    partial = new_answer(graph.store)
    assert partial and len(partial) < len(expected)
    with pytest.raises(StoreNeedsUpgradeError, match="upgrade-keys"):
        graph.run("source-disagreements")
    query = get_query("source-disagreements")
    text, bound = query.prepare({})
    job = QueryJob(text, tuple((k, to_oxigraph(v)) for k, v in bound.items()), "json", None, 0)
    answer_503 = job.run(graph.store)
    assert answer_503.status == 503 and b"upgrade-keys" in answer_503.body
    graph.close()

    store = f"oxigraph:{path}"
    runner = CliRunner()
    refused = runner.invoke(cli, ["--store", store, "query", "source-disagreements"])
    assert refused.exit_code == 3, refused.output
    assert NOT_SHOWN in refused.output and "upgrade-keys" in refused.output
    validated = runner.invoke(cli, ["--store", store, "validate"])
    assert "written before them" in validated.output

    # a step at a time on stderr (a line each with no interval): at 100,000 studies the
    # upgrade takes many minutes, which must not pass in silence
    upgraded = runner.invoke(
        cli, ["--store", store, "upgrade-keys"], env={"EVIDENCEGRAPH_PROGRESS_SECONDS": "0"}
    )
    assert upgraded.exit_code == 0, upgraded.output
    assert "value(s) the view does not show marked" in upgraded.output
    assert "looking for names without their keys" in upgraded.stderr
    assert "values the view does not show: every source graph read once" in upgraded.stderr
    assert re.search(r"writing [1-9][0-9,]* mark\(s\), taking out 0", upgraded.stderr)
    again = runner.invoke(cli, ["--store", store, "upgrade-keys"])
    assert "0 value(s) the view does not show marked, 0 mark(s) taken out" in again.output

    graph = EvidenceGraph(OxigraphStore(path))
    now = assert_same_answer(graph.store)
    assert (STUDY, ENROLMENT.value, "25") in marks(graph)
    assert len(now) == len(expected)  # the same disagreements, one of them with 25 now
    assert any('"25"' in row[4] for row in now) and not any('"24"' in row[4] for row in now)
    answer_200 = job.run(graph.store)
    assert answer_200.status == 200
    graph.close()
    checked = runner.invoke(cli, ["--store", store, "validate"])
    assert checked.exit_code == 0, checked.output


def test_the_marks_read_by_property_are_the_marks_read_in_one_pass(tmp_path: Path) -> None:
    """upgrade-keys reads the marks a property at a time on a SPARQL server and in one pass
    on the embedded store (validate's); both must find what the writes marked."""
    graph = EvidenceGraph(OxigraphStore(tmp_path / "kg.db"))
    graph.build()
    run_import(graph, kare_registry_record(), fixture())
    other = tmp_path / "retitled.ttl"
    study = f"https://w3id.org/evidencegraph/id/study/{RECORD}"
    other.write_text(f'<{study}> <{TITLE.value}> "A title from another source" .\n')
    graph.load_files([other])
    store = graph.store
    assert isinstance(store, OxigraphStore)
    held = {
        ox.Quad(q.subject, q.predicate, q.object) for q in store.graph_contents([NOT_SHOWN_GRAPH])
    }
    by_property = marks_by_property(store)
    assert by_property == unshown_single_values(store) == held
    assert (ox.NamedNode(STUDY), ENROLMENT, ox.Literal("24", datatype=_INTEGER)) in {
        (q.subject, q.predicate, q.object) for q in by_property
    }
    assert marks_out_of_step(store) == ([], [])
    graph.close()


# --- validate ------------------------------------------------------------------------------


def test_validate_catches_a_mark_taken_out_or_put_in_by_hand(tmp_path: Path) -> None:
    path = tmp_path / "kg.db"
    graph = EvidenceGraph(OxigraphStore(path))
    graph.build()
    run_import(graph, kare_registry_record())
    mark = ox.Quad(
        ox.NamedNode(STUDY), ENROLMENT, ox.Literal("24", datatype=_INTEGER), NOT_SHOWN_GRAPH
    )
    assert mark in set(graph.store.graph_contents([NOT_SHOWN_GRAPH]))
    graph.close()
    store = f"oxigraph:{path}"
    runner = CliRunner()
    fine = runner.invoke(cli, ["--store", store, "validate"])
    assert fine.exit_code == 0, fine.output

    written = OxigraphStore(path)
    written.write_quads([mark], [])
    written.close()
    caught = runner.invoke(cli, ["--store", store, "validate"])
    assert caught.exit_code == 1, caught.output
    assert "1 missing, 0 that should not be there" in caught.output
    assert "upgrade-keys" in caught.output
    # --full judges every node and still reads the marks
    caught = runner.invoke(cli, ["--store", store, "validate", "--full"])
    assert caught.exit_code == 1, caught.output
    assert "every node: --full" in caught.output
    assert "1 missing, 0 that should not be there" in caught.output

    wrong = ox.Quad(
        ox.NamedNode(STUDY), ENROLMENT, ox.Literal("96", datatype=_INTEGER), NOT_SHOWN_GRAPH
    )
    written = OxigraphStore(path)
    written.write_quads([], [mark, wrong])  # the mark back, and one of the value shown
    written.close()
    caught = runner.invoke(cli, ["--store", store, "validate"])
    assert caught.exit_code == 1 and "0 missing, 1 that should not be there" in caught.output

    repaired = runner.invoke(cli, ["--store", store, "upgrade-keys"])
    assert "0 value(s) the view does not show marked, 1 mark(s) taken out" in repaired.output
    assert runner.invoke(cli, ["--store", store, "validate"]).exit_code == 0
    assert runner.invoke(cli, ["--store", store, "validate", "--full"]).exit_code == 0


_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")


def test_a_name_not_shown_is_no_source_graph_without_keys(tmp_path: Path) -> None:
    """A condition's label that the curated one outranks is marked in graph/not-shown, which
    states no key: the name-key upgrade must not take that graph for a source to write again."""
    graph = EvidenceGraph(OxigraphStore(None))
    graph.build()
    condition = "https://w3id.org/evidencegraph/id/condition/alcohol-use-disorder"
    other = tmp_path / "relabelled.ttl"
    label = "http://www.w3.org/2000/01/rdf-schema#label"
    other.write_text(f'<{condition}> <{label}> "Alcohol dependence (another label)" .\n')
    graph.load_files([other])
    assert (condition, label, "Alcohol dependence (another label)") in marks(graph)
    assert graphs_missing_name_keys(graph.store) == []
    assert graph.upgrade().graphs == 0
