"""The import pipeline's gate: batches judged as if the one before were written, blank
nodes, and a store that fails half-way."""

from __future__ import annotations

import gc
import json
import threading
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import RDF, RDFS, BNode, Graph, Literal

from evidencegraph.cli.main import cli
from evidencegraph.errors import NonConformingError, StoreError
from evidencegraph.graph import pipeline
from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.ingest.ctgov import map_study, read_paths
from evidencegraph.ontology.namespace import EG, EGID, EGV
from evidencegraph.rdf.terms import to_oxigraph
from evidencegraph.store.core import OxigraphStore
from evidencegraph.validation import rudof_engine, shifty_engine
from evidencegraph.validation.batch_gate import Overlay, PreparedBatch, batch_quads, judge, prepare
from support import DATA

CTGOV = DATA / "ctgov"


def _quads(triples: list[tuple[object, object, object]]) -> list[ox.Quad]:
    return batch_quads((to_oxigraph(s), to_oxigraph(p), to_oxigraph(o)) for s, p, o in triples)  # type: ignore[arg-type]


def staged(prepared: PreparedBatch) -> Overlay:
    """A prepared batch held unwritten, as the import holds judged batches until their group
    is written."""
    overlay = Overlay()
    overlay.stage(prepared)
    return overlay


def test_a_batch_is_judged_as_if_the_pending_one_were_written() -> None:
    """The conditions' types come only in the pending batch; the study needs them typed."""
    content = json.loads((CTGOV / "NCT03418623.json").read_text())
    triples = map_study(content, "NCT03418623.json").rdflib_triples()
    conditions = {o for s, p, o in triples if p == EG.studiesCondition}
    # a condition's links to the MeSH terms found in it go with the rest, where the terms are
    about_conditions = [t for t in triples if t[0] in conditions and t[1] != EG.meshTerm]
    rest = [t for t in triples if t not in about_conditions]
    store = OxigraphStore(None)

    pending = prepare(store, _quads(about_conditions), replace_single_values=True)
    assert judge(pending).conforms
    alone = judge(prepare(store, _quads(rest), replace_single_values=True))
    assert not alone.conforms
    assert {r.path for r in alone.results} == {"eg:studiesCondition"}
    beside = judge(
        prepare(store, _quads(rest), replace_single_values=True, pending=[staged(pending)])
    )
    assert beside.conforms, beside.table()


def test_values_the_pending_batch_replaces_are_gone_for_the_next() -> None:
    store = OxigraphStore(None)
    risk = to_oxigraph(EG.Risk)  # any IRI will do as a subject here
    node = ox.NamedNode("https://w3id.org/evidencegraph/id/risk/example")
    label = ox.NamedNode(str(RDFS.label))
    typed = ox.Quad(node, ox.NamedNode(str(RDF.type)), risk)  # type: ignore[arg-type]
    store.write_quads([], [typed, ox.Quad(node, label, ox.Literal("old"))])
    pending = prepare(
        store, [typed, ox.Quad(node, label, ox.Literal("newer"))], replace_single_values=True
    )
    assert [q.object for q in pending.replaced] == [ox.Literal("old")]
    following = prepare(
        store,
        [typed, ox.Quad(node, label, ox.Literal("newest"))],
        replace_single_values=True,
        pending=[staged(pending)],
    )
    # judged against "newer" (pending), not "old" (going): one label replaced, none doubled
    assert [q.object for q in following.replaced] == [ox.Literal("newer")]
    assert judge(following).conforms


def test_a_batch_with_blank_nodes_is_judged_by_pyshacl_and_refused(tmp_path: Path) -> None:
    graph = EvidenceGraph(OxigraphStore(None))
    batch = Graph()
    risk = BNode()
    batch.add((risk, RDF.type, EG.Risk))  # a risk needs exactly one rdfs:label
    with pytest.raises(NonConformingError) as caught:
        graph.load(batch)
    assert "rdfs:label" in caught.value.report.table()  # type: ignore[attr-defined]
    assert len(graph.store) == 0
    batch.add((risk, RDFS.label, Literal("nausea")))
    assert graph.load(batch).triples_added == 2


def test_a_store_that_fails_half_way_says_what_was_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = []
    real = OxigraphStore.write_nquads

    def fail_on_the_second_group(self, removals, ntriples):  # type: ignore[no-untyped-def]
        if written:
            raise StoreError("cannot write to the store: disk full")
        written.append(ntriples.count(b"\n"))  # one line a triple
        real(self, removals, ntriples)

    monkeypatch.setattr(OxigraphStore, "write_nquads", fail_on_the_second_group)
    monkeypatch.setattr(pipeline, "GROUP_TRIPLES", 1)  # each batch written on its own
    store = tmp_path / "store.db"
    result = CliRunner().invoke(
        cli,
        [
            "--store",
            f"oxigraph:{store}",
            "import",
            "ctgov",
            str(CTGOV / "NCT03418623.json"),
            str(CTGOV / "NCT03630471.json"),
            "--batch-size",
            "1",
            "--no-progress",
        ],
    )
    assert result.exit_code == 3, result.output
    assert "disk full" in result.output
    assert "committed: 1 record(s), the last NCT03418623." in result.stdout
    assert "adds no duplicates" in result.stdout
    monkeypatch.undo()
    with EvidenceGraph(OxigraphStore(store)) as graph:
        assert graph.query("ASK { ?s ?p ?o FILTER(CONTAINS(STR(?s), 'NCT03418623')) }").boolean
        assert not graph.query("ASK { ?s ?p ?o FILTER(CONTAINS(STR(?s), 'NCT03630471')) }").boolean


def test_the_command_line_default_batch_size_is_the_library_one() -> None:
    from evidencegraph.cli.importing import source_command
    from evidencegraph.graph.pipeline import DEFAULT_BATCH_SIZE
    from evidencegraph.ingest.sources import get_source

    for command in (source_command(get_source("ctgov")), source_command(get_source("pubmed"))):
        option = next(p for p in command.params if p.name == "batch_size")
        assert option.default == DEFAULT_BATCH_SIZE


def test_the_progress_bar_is_sized_in_records(tmp_path: Path) -> None:
    from evidencegraph.ingest.records import _count, count_records

    studies = [
        json.loads((CTGOV / f"{n}.json").read_text()) for n in ("NCT03418623", "NCT03630471")
    ]
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"studies": studies, "nextPageToken": "x"}))
    single = CTGOV / "NCT00763412.json"
    assert count_records([page, single], b'"protocolSection"') == 3
    pubmed = DATA / "pubmed" / "biopython_pubmed1.xml"
    assert count_records([pubmed], b"<PubmedArticle>") == 2
    # a marker cut by the boundary between two reads is counted once
    import io

    class Chunked(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            return super().read(3)

    assert _count(Chunked(b"xx<Pub><Pub>y<Pub>"), b"<Pub>") == 3


def test_garbage_is_collected_by_the_import_itself_and_the_collector_restored_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The import turns automatic collection off and collects every so many records itself,
    and leaves the process as it found it, also when a write fails."""
    seen: list[tuple[bool, int]] = []
    collected: list[int] = []
    real_write, real_collect = OxigraphStore.write_nquads, gc.collect

    def watch(self, removals, ntriples):  # type: ignore[no-untyped-def]
        seen.append((gc.isenabled(), gc.get_freeze_count()))
        if len(seen) > 1:
            raise StoreError("cannot write to the store: disk full")
        real_write(self, removals, ntriples)

    def counted(generation: int = 2) -> int:
        collected.append(generation)
        return real_collect(generation)

    monkeypatch.setattr(OxigraphStore, "write_nquads", watch)
    monkeypatch.setattr(gc, "collect", counted)
    monkeypatch.setattr(pipeline, "GROUP_TRIPLES", 1)
    monkeypatch.setattr(pipeline, "_COLLECT_EVERY_RECORDS", 1)
    files = [CTGOV / "NCT03418623.json", CTGOV / "NCT03630471.json"]
    graph = EvidenceGraph(OxigraphStore(tmp_path / "store.db"))
    assert gc.isenabled()
    with pytest.raises(StoreError, match="disk full"):
        pipeline.Importer(graph, map_study, batch_size=1).run(read_paths(files))
    graph.close()
    assert seen and not seen[0][0]  # no automatic collection while the import ran
    assert seen[0][1] > 0  # what was alive before the import is set aside
    assert collected  # the import collected itself
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


@pytest.mark.parametrize("with_shifty", [True, False], ids=["shifty-first", "rudof-only"])
def test_rudof_is_asked_only_when_the_first_look_does_not_pass(
    with_shifty: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch shifty passes is not shown to rudof; one it does not pass is, and rudof's
    results, kept to the batch's nodes, are the verdict (decision 0015). Without shifty,
    rudof judges every batch."""
    asked: list[int] = []
    real = rudof_engine.validate_ntriples

    def counted(data: str, focus: set[str] | None) -> list[tuple[str, str, str, str, str, str]]:
        asked.append(1)
        return real(data, focus)

    monkeypatch.setattr(rudof_engine, "validate_ntriples", counted)
    monkeypatch.setattr(shifty_engine, "available", lambda: with_shifty)
    content = json.loads((CTGOV / "NCT03418623.json").read_text())
    triples = map_study(content, "NCT03418623.json").rdflib_triples()
    store = OxigraphStore(None)

    assert judge(prepare(store, _quads(triples), replace_single_values=True)).conforms
    assert len(asked) == (0 if with_shifty else 1)

    # the conditions untyped: the study breaks eg:studiesCondition's sh:class
    conditions = {o for s, p, o in triples if p == EG.studiesCondition}
    broken = [t for t in triples if not (t[0] in conditions and t[1] == RDF.type)]
    report = judge(prepare(store, _quads(broken), replace_single_values=True))
    assert not report.conforms
    assert {r.path for r in report.results} == {"eg:studiesCondition"}
    assert len(asked) == (1 if with_shifty else 2)

    # only a neighbour the batch links to is incomplete (the study, typed and nothing else):
    # shifty finds the neighbour broken and no node of the batch, and passes it (decision
    # 0015, amended); rudof, where it judges, reports nothing on the batch either
    study = next(s for s, p, o in triples if p == RDF.type and o == EG.Trial)
    record = next(s for s, p, o in triples if p == RDF.type and o == EG.RegistryRecord)
    claim = EGID["test/claim/1"]
    neighbours = OxigraphStore(None)
    neighbours.write_quads([], _quads([(study, RDF.type, EG.Trial), (record, RDF.type, EG.Source)]))
    claim_batch = [
        (claim, RDF.type, EG.Claim),
        (claim, EG.assertedBy, record),
        (claim, EG.quote, Literal("A claim about the trial")),
        (claim, EG.claimKind, EGV.HistoryClaim),
        (claim, EG.verificationStatus, EGV.Unverified),
        (claim, EG.about, study),
    ]
    asked.clear()
    prepared = prepare(neighbours, _quads(claim_batch), replace_single_values=True)
    assert judge(prepared).conforms
    assert len(asked) == (0 if with_shifty else 1)
    if with_shifty:  # passed on its own nodes, not whole
        assert shifty_engine.violating_nodes(prepared.data) == {f"<{study}>", f"<{record}>"}


def test_a_mapping_that_fails_unforeseen_is_a_record_error_and_skip_mode_goes_on() -> None:
    """The net under the mappings: an exception no refusal foresaw (here a mapping made to
    fail on one record) ends neither the import nor in a traceback."""
    files = sorted(CTGOV.glob("NCT0*.json"))[:3]

    def failing_on_the_second(content: object, origin: str) -> pipeline.Mapped:
        if origin == str(files[1]):
            raise TypeError("unhashable type: 'list'")
        return map_study(content, origin)

    graph = EvidenceGraph(OxigraphStore(None))
    summary = pipeline.Importer(graph, failing_on_the_second, on_invalid="skip").run(
        read_paths(files)
    )
    assert summary.imported == 2
    assert [str(rejection.error.origin) for rejection in summary.rejected] == [str(files[1])]
    reason = summary.rejected[0].error.reason
    assert "TypeError: unhashable type: 'list'" in reason and "a bug in evidencegraph" in reason


def test_progress_counts_records_judged_not_records_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 14 point 9: progress said "85 of 85 records (100%)" for 6 of an import's 7
    seconds (real records, skip mode: every record was read at once, then a batch holding
    one record without a condition was judged record by record). A record is done when the
    gate has judged it (then it is written, or left out), so the count never runs ahead of
    the records the gate has judged."""
    files = [CTGOV / f"{n}.json" for n in ("NCT00763412", "NCT00973089", "NCT03418623")]
    no_condition = json.loads(files[1].read_text())
    del no_condition["protocolSection"]["conditionsModule"]  # no condition: breaks the shapes
    no_condition.pop("derivedSection", None)
    broken = tmp_path / "NCT00973089.json"
    broken.write_text(json.dumps(no_condition))
    files[1] = broken

    judged = [0]  # records the gate has given a verdict on, a batch's and then one by one
    batch_verdict, record_verdict = pipeline.Importer._verdict, pipeline.judge

    def counted_batch(self: pipeline.Importer, batch: pipeline._Batch) -> object:
        report = batch_verdict(self, batch)
        judged[0] += len(batch.mapped)
        return report

    def counted_record(prepared: PreparedBatch) -> object:
        report = record_verdict(prepared)
        if threading.current_thread() is threading.main_thread():  # not a batch's, one record's
            judged[0] += 1
        return report

    monkeypatch.setattr(pipeline.Importer, "_verdict", counted_batch)
    monkeypatch.setattr(pipeline, "judge", counted_record)
    graph = EvidenceGraph(OxigraphStore(None))
    importer = pipeline.Importer(graph, map_study, on_invalid="skip")
    shown: list[tuple[int, int]] = []  # (records reported done, records judged) at each report

    def report(done: int) -> None:
        shown.append(((shown[-1][0] if shown else 0) + done, judged[0]))

    importer.on_progress = report
    summary = importer.run(read_paths(files))
    assert summary.imported == 2 and len(summary.rejected) == 1
    assert shown and shown[-1][0] == 3
    assert all(reported <= gated for reported, gated in shown), shown
