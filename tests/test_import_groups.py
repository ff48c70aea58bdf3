"""Judged batches are written in groups (decision 0010): however the batches fall into groups,
the store ends up the same; a bad batch in the middle of a group is never written, the good
batches around it are; and a later record of a study replaces its single values within a group
and across groups."""

from __future__ import annotations

import copy
import json
from typing import Any

import pyoxigraph as ox
import pytest
from rdflib import URIRef

from evidencegraph.errors import StoreError
from evidencegraph.graph import pipeline
from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.graph.pipeline import Importer, ImportSummary
from evidencegraph.ingest.ctgov import map_study
from evidencegraph.ingest.records import Record
from evidencegraph.ontology.namespace import EG, EGID
from evidencegraph.store.core import OxigraphStore
from evidencegraph.validation.batch_gate import PreparedBatch
from evidencegraph.validation.shacl import ValidationReport
from support import DATA, study_without_conditions

CTGOV = DATA / "ctgov"
GOOD_IDS = ["NCT03418623", "NCT03630471", "NCT00763412", "NCT00973089"]
#: A constructed record: NCT00973089 under another id, with its conditions taken out.
BROKEN_ID = "NCT99999902"
#: group sizes in triples: every batch a group of its own, and all batches in one group
ONE_BATCH_EACH, ALL_IN_ONE = 1, 10**9


def content(nct_id: str) -> dict[str, Any]:
    return json.loads((CTGOV / f"{nct_id}.json").read_text("utf-8"))


def as_records(contents: list[dict[str, Any]]) -> list[Record]:
    return [Record(f"record-{index}.json", item) for index, item in enumerate(contents)]


def run(contents: list[dict[str, Any]], **options: Any) -> tuple[EvidenceGraph, ImportSummary]:
    graph = EvidenceGraph(OxigraphStore(None))
    summary = Importer(graph, map_study, **options).run(as_records(contents))
    return graph, summary


def quads(graph: EvidenceGraph) -> set[ox.Quad]:
    store = graph.store
    assert isinstance(store, OxigraphStore)
    return set(store.quads())


def mentions(graph: EvidenceGraph, nct_id: str) -> bool:
    node = EGID[f"study/{nct_id}"]
    return bool(graph.query("ASK { ?n ?p ?o }", {"n": node}).boolean)


@pytest.mark.parametrize(
    ("batch_size", "group_triples"),
    [(1, ONE_BATCH_EACH), (1, ALL_IN_ONE), (2, ONE_BATCH_EACH), (3, 5_000)],
)
def test_the_grouping_does_not_change_what_is_written(batch_size: int, group_triples: int) -> None:
    records = [content(nct_id) for nct_id in GOOD_IDS]
    reference, expected = run(records)  # one batch, one group
    graph, summary = run(records, batch_size=batch_size, group_triples=group_triples)
    assert summary.stopped is None, summary.lines()
    assert quads(graph) == quads(reference)
    assert summary.committed_ids == expected.committed_ids == GOOD_IDS
    assert summary.triples_added == expected.triples_added == len(graph.store)
    assert summary.batches_committed == -(-len(GOOD_IDS) // batch_size)


@pytest.mark.parametrize("group_triples", [ONE_BATCH_EACH, ALL_IN_ONE])
def test_skip_writes_the_good_records_around_a_bad_one(group_triples: int) -> None:
    first, second, third, fourth = (content(nct_id) for nct_id in GOOD_IDS)
    graph, summary = run(
        [first, second, study_without_conditions(BROKEN_ID), third, fourth],
        batch_size=1,
        on_invalid="skip",
        group_triples=group_triples,
    )
    assert [rejection.error.record_id for rejection in summary.rejected] == [BROKEN_ID]
    assert "breaks the shapes" in str(summary.rejected[0])
    assert summary.committed_ids == GOOD_IDS  # the record prepared after the bad one, again
    reference, _ = run([first, second, third, fourth])
    assert quads(graph) == quads(reference)
    assert summary.triples_added == len(graph.store)
    assert not mentions(graph, BROKEN_ID)


@pytest.mark.parametrize("group_triples", [ONE_BATCH_EACH, ALL_IN_ONE])
def test_abort_writes_every_good_batch_before_the_bad_one_and_nothing_after(
    group_triples: int,
) -> None:
    first, second, third, _ = (content(nct_id) for nct_id in GOOD_IDS)
    graph, summary = run(
        [first, second, study_without_conditions(BROKEN_ID), third],
        batch_size=1,
        group_triples=group_triples,
    )
    assert summary.stopped is not None and "breaks the shapes" in str(summary.stopped)
    assert summary.committed_ids == GOOD_IDS[:2]
    assert summary.uncommitted_ids[0] == BROKEN_ID
    assert GOOD_IDS[2] not in summary.committed_ids
    reference, _ = run([first, second])
    assert quads(graph) == quads(reference)
    assert not mentions(graph, BROKEN_ID) and not mentions(graph, GOOD_IDS[2])


def status_of(record: dict[str, Any]) -> URIRef:
    """The overall status the mapping gives a record on its own."""
    triples = map_study(record, "x.json").rdflib_triples()
    found = {o for _, p, o in triples if p == EG.overallStatus}
    assert len(found) == 1
    return URIRef(str(found.pop()))


@pytest.mark.parametrize("group_triples", [ONE_BATCH_EACH, ALL_IN_ONE])
def test_a_later_record_of_a_study_replaces_its_single_values(group_triples: int) -> None:
    earlier = content("NCT03418623")
    later = copy.deepcopy(earlier)  # constructed: the trial terminated since
    later["protocolSection"]["statusModule"]["overallStatus"] = "TERMINATED"
    assert status_of(later) != status_of(earlier)
    graph, summary = run(
        [earlier, content("NCT03630471"), later], batch_size=1, group_triples=group_triples
    )
    assert summary.stopped is None, summary.lines()
    study = EGID["study/NCT03418623"]
    statuses = graph.query(
        "SELECT ?s ?p ?o WHERE { ?s ?p ?o }", {"s": study, "p": EG.overallStatus}
    )
    assert {row["o"] for row in statuses.rows} == {status_of(later)}
    assert summary.values_replaced >= 1
    # the same as importing the later record over a store that holds the others
    reference, _ = run([earlier, content("NCT03630471")])
    Importer(reference, map_study).run(as_records([later]))
    assert quads(graph) == quads(reference)
    assert graph.validate().conforms


@pytest.mark.parametrize("group_triples", [ONE_BATCH_EACH, ALL_IN_ONE])
def test_an_engine_failure_still_writes_what_was_judged_good(
    group_triples: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_judge = pipeline.judge
    failing = GOOD_IDS[2]

    def judge_or_fail(prepared: PreparedBatch) -> ValidationReport:
        if f"study/{failing}>" in prepared.data:
            raise RuntimeError("the engine ran out of memory")
        return real_judge(prepared)

    monkeypatch.setattr(pipeline, "judge", judge_or_fail)
    graph = EvidenceGraph(OxigraphStore(None))
    importer = Importer(graph, map_study, batch_size=1, group_triples=group_triples)
    with pytest.raises(StoreError, match="the SHACL engine failed on the batch starting at"):
        importer.run(as_records([content(nct_id) for nct_id in GOOD_IDS]))
    assert importer.summary.committed_ids == GOOD_IDS[:2]
    monkeypatch.undo()
    reference, _ = run([content(nct_id) for nct_id in GOOD_IDS[:2]])
    assert quads(graph) == quads(reference)
