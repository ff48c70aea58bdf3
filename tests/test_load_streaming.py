"""`load` streams files into a scratch store, judges them a chunk of subjects at a time, and
writes a large batch in steps under a journal (issue 13, point 12): still all or nothing."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from evidencegraph.errors import NonConformingError
from evidencegraph.graph import evidence_graph
from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.ontology.source_graphs import file_graph
from evidencegraph.store import core as store_module
from evidencegraph.store.core import OxigraphStore
from evidencegraph.validation import batch_gate
from evidencegraph.validation.source_view import NOT_SHOWN_STAMP

VALID = Path(__file__).parent / "data" / "shapes" / "valid_minimal.ttl"
TEST = "https://w3id.org/evidencegraph/id/test/"
PROV_DERIVED = "http://www.w3.org/ns/prov#wasDerivedFrom"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("built") / "kg.db"
    with EvidenceGraph(OxigraphStore(path)) as graph:
        graph.build()
    return path


@pytest.fixture
def store(built: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "kg.db"
    shutil.copytree(built, copy)
    return copy


def contents(path: Path) -> set[ox.Quad]:
    return set(ox.Store.read_only(str(path)))


def without_sources(tmp_path: Path) -> Path:
    """The valid fixture with every prov:wasDerivedFrom of one finding taken out."""
    graph = ox.Store()
    graph.load(path=VALID, format=ox.RdfFormat.TURTLE)
    finding = next(
        q.subject
        for q in graph.quads_for_pattern(None, ox.NamedNode(PROV_DERIVED), None)
        if "finding" in q.subject.value
    )
    for quad in list(graph.quads_for_pattern(finding, ox.NamedNode(PROV_DERIVED), None)):
        graph.remove(quad)
    broken = tmp_path / "broken.nt"
    broken.write_bytes(graph.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()))
    return broken


def test_a_batch_judged_in_chunks_of_three_triples_conforms_as_a_whole(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nodes a chunk links to are typed in other chunks: each chunk sees the whole batch."""
    monkeypatch.setattr(batch_gate, "JUDGE_CHUNK", 3)
    monkeypatch.setattr(evidence_graph, "LOAD_WHOLE", 10)  # the chunked road
    with EvidenceGraph(OxigraphStore(store)) as graph:
        summary = graph.load_files([VALID])
    assert summary.triples_read > 100 and summary.triples_added == summary.triples_read


def test_chunked_judgement_reports_what_the_whole_batch_does(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = without_sources(tmp_path)
    monkeypatch.setattr(evidence_graph, "LOAD_WHOLE", 10)  # the chunked road
    reports = []
    for chunk in (3, 1_000_000):
        monkeypatch.setattr(batch_gate, "JUDGE_CHUNK", chunk)
        copy = tmp_path / f"kg-{chunk}.db"
        shutil.copytree(built, copy)
        before = contents(copy)
        with EvidenceGraph(OxigraphStore(copy)) as graph, pytest.raises(NonConformingError) as e:
            graph.load_files([broken])
        assert contents(copy) == before
        reports.append(e.value.report.results)  # type: ignore[attr-defined]
    assert reports[0] == reports[1]
    assert any(r.path == "prov:wasDerivedFrom" for r in reports[0])


def test_a_batch_larger_than_one_write_is_written_whole_in_steps(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "WRITE_STEP", 7)
    monkeypatch.setattr(evidence_graph, "LOAD_WHOLE", 10)  # the journaled road
    before = contents(store)
    expected = ox.Store()
    expected.load(path=VALID, format=ox.RdfFormat.TURTLE)
    with EvidenceGraph(OxigraphStore(store)) as graph:
        summary = graph.load_files([VALID])
    after = contents(store)
    view = {q for q in after - before if isinstance(q.graph_name, ox.DefaultGraph)}
    assert summary.triples_added == len(view) > 7 * 10
    assert set(expected) <= after
    # the file's own graph holds the same triples (decision 0021)
    in_graph = {
        ox.Quad(q.subject, q.predicate, q.object)
        for q in after
        if q.graph_name == ox.NamedNode(file_graph(VALID.name))
    }
    assert in_graph == set(expected)
    assert not (store / store_module._JOURNAL).exists()


def test_a_large_first_load_leaves_a_store_that_keeps_its_marks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new store's first write by the journaled road says it keeps the marks of the values
    the view does not show (decision 0030): it has none, and is no store written before them."""
    monkeypatch.setattr(evidence_graph, "LOAD_WHOLE", 10)
    with EvidenceGraph(OxigraphStore(tmp_path / "new.db")) as graph:
        graph.load_files([VALID])
        assert NOT_SHOWN_STAMP in set(graph.store.named_quads())
        assert graph.run("source-disagreements").rows == []  # no StoreNeedsUpgradeError


def test_a_load_cut_off_between_steps_is_taken_back_at_the_next_open(
    store: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """What a kill between two steps leaves: the journal of the load's new triples, and the
    first steps of them written. The next writable open takes them back out."""
    before = contents(store)
    batch = ox.Store()
    batch.load(path=VALID, format=ox.RdfFormat.TURTLE)
    stored = next(iter(before))  # a triple the store held before: not journaled
    new = [q for q in batch if q not in before]
    journal = ox.serialize(new, format=ox.RdfFormat.N_QUADS)
    assert journal is not None
    # the last line cut short: a kill while the next step was being journaled
    (store / store_module._JOURNAL).write_bytes(journal + b"<https://example.org/cut> <htt")
    half = ox.Store(str(store))
    half.bulk_load(
        ox.serialize(new[: len(new) // 2], format=ox.RdfFormat.N_QUADS),
        format=ox.RdfFormat.N_TRIPLES,
    )
    assert len(half) > len(before)
    del half
    with OxigraphStore(store) as reopened:
        assert reopened.contains_quad(stored)
    assert "a load was cut off while it wrote" in caplog.text
    assert contents(store) == before
    assert not (store / store_module._JOURNAL).exists()


def test_a_load_killed_between_steps_leaves_the_store_as_it_was(store: Path) -> None:
    """A real SIGKILL after the second of the load's steps, then the next commands."""
    before = contents(store)
    child = f"""
import os, signal
from pathlib import Path
from evidencegraph.store import core as s
from evidencegraph.graph.evidence_graph import EvidenceGraph
s.WRITE_STEP = 20
import evidencegraph.graph.evidence_graph as g
g.LOAD_WHOLE = 10
write_step = s.OxigraphStore._journaled_step
written = []
def killed_after_two(self, journal, quads):
    written.append(write_step(self, journal, quads))
    if len(written) == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    return written[-1]
s.OxigraphStore._journaled_step = killed_after_two
EvidenceGraph(s.OxigraphStore({str(store)!r})).load_files([Path({str(VALID)!r})])
"""
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, check=False)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert (store / store_module._JOURNAL).exists()
    assert len(contents(store)) == len(before) + 40  # two steps of 20 got in
    reader = subprocess.run(
        [sys.executable, "-m", "evidencegraph", "--store", f"oxigraph:{store}", "stats"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert reader.returncode == 0 and "a load was cut off while it wrote" in reader.stderr
    OxigraphStore(store).close()  # the next writable open takes the two steps back out
    assert contents(store) == before
