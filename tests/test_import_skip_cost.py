"""Issue 18 point 6: in skip mode a bad record costs its own batch, not the rest of the import.

Three bad records among 545 real ones turned 6 batches into 201 (every record of a rejected
batch was judged and written alone) and the import took 2.9x as long. The measure here does
not depend on the machine: the gate runs and the batches written, which the summary counts.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from evidencegraph.graph import pipeline
from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.ingest.ctgov import map_study
from evidencegraph.ingest.records import Record
from evidencegraph.store.core import OxigraphStore

BENCH = Path(__file__).parent.parent / "bench"
#: records per batch, and where the three bad ones are: one in each of three batches
BATCH = 30
STUDIES = 90
BAD = (7, 41, 84)


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_ctgov", BENCH / "generate_ctgov.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("generate_ctgov", module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return sys.modules["generate_ctgov"]


def _broken(study: dict[str, Any]) -> dict[str, Any]:
    """The study without a condition: the shapes require one (eg:studiesCondition)."""
    del study["protocolSection"]["conditionsModule"]
    study.pop("derivedSection", None)
    return study


def _records(bad: tuple[int, ...]) -> tuple[list[Record], set[str]]:
    studies = list(generator().iter_studies(STUDIES, seed=7))
    records = [
        Record(f"generated[{i}]", _broken(study) if i in bad else study)
        for i, study in enumerate(studies)
    ]
    ids = {studies[i]["protocolSection"]["identificationModule"]["nctId"] for i in bad}
    return records, ids


def _import(records: list[Record]) -> tuple[pipeline.ImportSummary, int]:
    graph = EvidenceGraph(OxigraphStore(None))
    summary = pipeline.Importer(graph, map_study, batch_size=BATCH, on_invalid="skip").run(records)
    return summary, len(graph.store)


def test_three_bad_records_cost_a_few_gate_runs_not_their_batches() -> None:
    records, bad_ids = _records(BAD)
    summary, size = _import(records)
    assert {r.error.record_id for r in summary.rejected} == bad_ids
    assert summary.imported == STUDIES - len(BAD)
    # the same store as an import of the good records alone
    good, _ = _records(())
    expected, expected_size = _import([r for i, r in enumerate(good) if i not in BAD])
    assert expected.gate_runs == STUDIES // BATCH and expected.batches_committed == 3
    assert size == expected_size
    assert summary.triples_added == expected.triples_added
    # Each bad batch: its run, the batch after it prepared again (it assumed the bad one
    # written), then the records the report names judged apart from the rest: 2 runs and at
    # most 1 more batch written (the rest; the bad record is left out). Judged one by one
    # (the old way) it was 30 runs and 29 batches per bad record.
    batches = STUDIES // BATCH
    assert summary.gate_runs <= batches + len(BAD) + 2 * len(BAD)
    assert summary.batches_committed <= batches
    for rejection in summary.rejected:  # each with its own report, as before
        assert rejection.report is not None and not rejection.report.conforms
        assert "eg:studiesCondition" in str(rejection)


def test_when_the_report_names_no_record_the_batch_is_halved(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where the focus nodes point at no record (or at all of them), halving still finds the
    bad record in about 2 log2(batch) runs."""
    monkeypatch.setattr(pipeline, "_suspects", lambda records, report: [])
    records, bad_ids = _records(BAD[:1])
    summary, _ = _import(records)
    assert {r.error.record_id for r in summary.rejected} == bad_ids
    assert summary.imported == STUDIES - 1
    halvings = math.ceil(math.log2(BATCH))
    assert summary.gate_runs <= STUDIES // BATCH + 1 + 2 * halvings
    assert summary.batches_committed <= STUDIES // BATCH - 1 + halvings
