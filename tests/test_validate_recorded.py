"""``validate`` of a whole store trusts the gate's recorded verdicts, and checks them
(issue 18 point 8, decision 0024).

Each test starts from the curated evidence built through the gate, then writes to the store
behind the gate's back with pyoxigraph, as a SPARQL Update or a writable server would: a view
triple no graph states, a graph whose statements changed, a graph judged under other shapes,
a corrupt catalog. KARE (NCT02649231, FACTS.md: 96 adults enrolled) is the study tampered with.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner, Result

from evidencegraph.cli.main import cli
from evidencegraph.ontology.source_graphs import CATALOG
from evidencegraph.store.core import OxigraphStore
from evidencegraph.validation.judged_under import JUDGED_UNDER, SHAPES_BASE, shapes_checksum
from server_support import build_curated_store

EG = "https://w3id.org/evidencegraph/ontology#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
KARE = ox.NamedNode("https://w3id.org/evidencegraph/id/study/NCT02649231")
TITLE = ox.NamedNode("http://purl.org/dc/terms/title")
ENROLMENT = ox.NamedNode(EG + "enrolment")
CONTENT_SHA256 = ox.NamedNode(EG + "contentSha256")
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
_CATALOG = ox.NamedNode(CATALOG)


@pytest.fixture(scope="module")
def built_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_curated_store(tmp_path_factory.mktemp("recorded") / "kg.db")


@pytest.fixture
def store_path(built_once: Path, tmp_path: Path) -> Path:
    """A copy of the built store, for a test to tamper with."""
    path = tmp_path / "kg.db"
    shutil.copytree(built_once, path)
    return path


def tamper(path: Path, change: Callable[[ox.Store], None]) -> None:
    """Write to the store with pyoxigraph directly: past the gate."""
    native = ox.Store(str(path))
    change(native)
    native.flush()
    del native


def validate(path: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--store", f"oxigraph:{path}", "-q", "validate", *args])


def view_size(path: Path) -> int:
    native = ox.Store.read_only(str(path))
    return sum(1 for _ in native.quads_for_pattern(None, None, None, ox.DefaultGraph()))


def graphs_stating(native: ox.Store, subject: ox.NamedNode, predicate: ox.NamedNode) -> set:
    return {
        quad.graph_name
        for quad in native.quads_for_pattern(subject, predicate, None, None)
        if isinstance(quad.graph_name, ox.NamedNode)
    }


def catalogued(native: ox.Store) -> set[ox.NamedNode]:
    return {
        quad.subject  # type: ignore[misc]
        for quad in native.quads_for_pattern(None, CONTENT_SHA256, None, _CATALOG)
    }


def drop_kares_title(native: ox.Store, *, record_checksum: bool, stamp: str | None) -> None:
    """Take KARE's title out of its graph and of the view (a consistent write past the gate,
    breaking sh:minCount 1); optionally record the graph's new checksum and a stamp."""
    (graph,) = graphs_stating(native, KARE, TITLE)
    for quad in list(native.quads_for_pattern(KARE, TITLE, None, None)):
        native.remove(quad)
    if record_checksum:
        data = native.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=graph) or b""
        digest = hashlib.sha256(b"".join(sorted(data.splitlines(keepends=True)))).hexdigest()
        for quad in list(native.quads_for_pattern(graph, CONTENT_SHA256, None, _CATALOG)):
            native.remove(quad)
        native.add(ox.Quad(graph, CONTENT_SHA256, ox.Literal(digest), _CATALOG))
    if stamp is not None:
        for quad in list(native.quads_for_pattern(graph, JUDGED_UNDER, None, _CATALOG)):
            native.remove(quad)
        native.add(ox.Quad(graph, JUDGED_UNDER, ox.NamedNode(SHAPES_BASE + stamp), _CATALOG))


def test_the_gate_stamps_every_graph_with_the_shapes_it_judged_under(store_path: Path) -> None:
    native = ox.Store.read_only(str(store_path))
    graphs = catalogued(native)
    stamps = {
        quad.subject: quad.object
        for quad in native.quads_for_pattern(None, JUDGED_UNDER, None, _CATALOG)
    }
    assert graphs and set(stamps) == graphs
    assert set(stamps.values()) == {ox.NamedNode(SHAPES_BASE + shapes_checksum())}


def test_a_clean_store_conforms_on_the_recorded_verdicts(store_path: Path) -> None:
    result = validate(store_path)
    assert result.exit_code == 0, result.output
    assert result.stdout == "Conforms: no violations.\n"
    view = view_size(store_path)
    graphs = len(catalogued(ox.Store.read_only(str(store_path))))
    assert f"Judged now: 0 of the view's {view:,} triples" in result.stderr
    assert f"covered by recorded verdicts: {view:,} triples" in result.stderr
    assert f"in {graphs} of {graphs} source graphs" in result.stderr
    assert f"sha256 {shapes_checksum()[:12]}" in result.stderr


def test_full_judges_every_triple(store_path: Path) -> None:
    result = validate(store_path, "--full")
    assert result.exit_code == 0, result.output
    view = view_size(store_path)
    assert f"Judged now: {view:,} of the view's {view:,} triples" in result.stderr
    assert "every node: --full" in result.stderr


def test_a_view_triple_written_behind_the_gate_is_judged(store_path: Path) -> None:
    """A second, negative enrolment for KARE in the view only: no graph states it."""
    bad = ox.Quad(KARE, ENROLMENT, ox.Literal("-5", datatype=XSD_INTEGER))
    tamper(store_path, lambda native: native.add(bad))
    result = validate(store_path)
    assert result.exit_code == 1, result.output
    assert "1 view triple(s) no catalogued graph states" in result.stderr
    assert result.stdout.startswith("Does not conform: 2 violation(s).")
    assert (
        result.stdout.count("Violation on egid:study/NCT02649231\n   path:       eg:enrolment") == 2
    )
    assert "sh:MaxCountConstraintComponent" in result.stdout
    assert "sh:MinInclusiveConstraintComponent" in result.stdout
    assert validate(store_path, "--full").stdout == result.stdout


def test_a_tampered_graph_is_named_and_judged(store_path: Path) -> None:
    """KARE's title gone from its graph and the view alike: the view matches the graphs, but
    the graph's statements no longer have their recorded checksum."""
    tamper(store_path, lambda n: drop_kares_title(n, record_checksum=False, stamp=None))
    (graph,) = graphs_stating(ox.Store.read_only(str(store_path)), KARE, ox.NamedNode(EG + "nctId"))
    result = validate(store_path)
    assert result.exit_code == 1, result.output
    assert "whose statements no longer have the checksum the catalog records" in result.stderr
    assert graph.value in result.stderr
    assert "Violation on egid:study/NCT02649231\n   path:       dcterms:title" in result.stdout
    assert "sh:MinCountConstraintComponent" in result.stdout
    assert validate(store_path, "--full").stdout == result.stdout


def test_a_graph_judged_under_other_shapes_is_judged_again(store_path: Path) -> None:
    """The same change with its checksum recorded, under an older shapes checksum."""
    older = "0" * 64
    tamper(store_path, lambda n: drop_kares_title(n, record_checksum=True, stamp=older))
    result = validate(store_path)
    assert result.exit_code == 1, result.output
    assert "1 judged under other shapes (sha256 000000000000...)" in result.stderr
    assert "Violation on egid:study/NCT02649231\n   path:       dcterms:title" in result.stdout
    assert "Judged now: 0 " not in result.stderr


def test_a_recorded_verdict_under_these_shapes_stands_and_full_overrides_it(
    store_path: Path,
) -> None:
    """The contract of decision 0024: a graph whose statements, checksum and stamp were all
    rewritten past the gate passes on its record; --full judges it."""
    tamper(
        store_path,
        lambda n: drop_kares_title(n, record_checksum=True, stamp=shapes_checksum()),
    )
    assert validate(store_path).exit_code == 0
    full = validate(store_path, "--full")
    assert full.exit_code == 1, full.output
    assert "Violation on egid:study/NCT02649231\n   path:       dcterms:title" in full.stdout


def test_a_store_without_recorded_verdicts_is_judged_whole(store_path: Path) -> None:
    def forget(native: ox.Store) -> None:
        for quad in list(native.quads_for_pattern(None, JUDGED_UNDER, None, _CATALOG)):
            native.remove(quad)

    tamper(store_path, forget)
    result = validate(store_path)
    assert result.exit_code == 0, result.output
    view = view_size(store_path)
    assert f"Judged now: {view:,} of the view's {view:,} triples" in result.stderr
    assert "the catalog records no verdict" in result.stderr


def test_a_corrupt_catalog_is_an_error(store_path: Path) -> None:
    def second_checksum(native: ox.Store) -> None:
        graph = sorted(catalogued(native), key=str)[0]
        native.add(ox.Quad(graph, CONTENT_SHA256, ox.Literal("not a checksum"), _CATALOG))

    tamper(store_path, second_checksum)
    result = validate(store_path)
    assert result.exit_code == 3, result.output
    assert "the catalog" in result.output and "is corrupt" in result.output
    assert "2 eg:contentSha256 value(s)" in result.output
    assert "--full" in result.output
    assert "Traceback" not in result.output
    full = validate(store_path, "--full")
    assert full.exit_code == 0
    assert "the catalog is corrupt, so the marks" in full.stderr


def test_a_store_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    result = validate(tmp_path / "nowhere.db")
    assert result.exit_code == 3, result.output
    assert "there is no store at" in result.output
    assert not (tmp_path / "nowhere.db").exists()


def test_judge_processes_find_what_judge_threads_find(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """validate --full on a store on disk reads and judges chunks in two processes; the
    report is the threads' report (a negative enrolment written past the gate)."""
    from evidencegraph.validation import store_validation

    bad = ox.Quad(KARE, ENROLMENT, ox.Literal("-5", datatype=XSD_INTEGER))
    tamper(store_path, lambda native: native.add(bad))
    store = OxigraphStore(store_path, read_only=True)
    by_threads = store_validation.judge_store(store, "rudof", chunk_subjects=100)
    used: list[str] = []
    by_processes_real = store_validation._by_processes

    def by_processes(*args: object, **kwargs: object) -> store_validation.Judged:
        used.append("processes")
        return by_processes_real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store_validation, "_by_processes", by_processes)
    monkeypatch.setattr(store_validation, "PROCESS_MIN_SUBJECTS", 1)
    by_processes_judged = store_validation.judge_store(store, "rudof", chunk_subjects=100)
    store.close()
    assert used == ["processes"]
    assert by_processes_judged.triples == by_threads.triples == view_size(store_path)

    def seen(judged: store_validation.Judged) -> list[tuple[str, str | None, str]]:
        return [(r.focus_node, r.path, r.constraint) for r in judged.report.results]

    assert seen(by_processes_judged) == seen(by_threads)
    assert ("egid:study/NCT02649231", "eg:enrolment", "sh:MaxCountConstraintComponent") in seen(
        by_threads
    )


def test_a_type_taken_from_the_view_judges_the_nodes_that_link_to_it(store_path: Path) -> None:
    """KARE's rdf:type eg:Trial gone from the view only (its graph still states it): the
    findings and the claim that point to it as an eg:Study are judged, and broken."""
    trial = ox.Quad(KARE, ox.NamedNode(RDF + "type"), ox.NamedNode(EG + "Trial"))
    tamper(store_path, lambda native: native.remove(trial))
    result = validate(store_path)
    assert result.exit_code == 1, result.output
    assert "1 graph statement(s) missing from the view" in result.stderr
    assert "Violation on egid:finding/NCT02649231/pda-ketamine-vs-saline\n" in result.stdout
    assert "Violation on egid:claim/002/ajp-study-drinking-days-vs-placebo\n" in result.stdout
    assert result.stdout.count("sh:ClassConstraintComponent") == 6
    # the recorded verdicts and the checks find what judging every node finds
    assert validate(store_path, "--full").stdout == result.stdout


def test_after_a_change_of_shapes_most_graphs_mean_judging_everything(store_path: Path) -> None:
    older = ox.NamedNode(SHAPES_BASE + "1" * 64)

    def restamp(native: ox.Store) -> None:
        for quad in list(native.quads_for_pattern(None, JUDGED_UNDER, None, _CATALOG)):
            native.remove(quad)
            native.add(ox.Quad(quad.subject, JUDGED_UNDER, older, _CATALOG))

    tamper(store_path, restamp)
    graphs = len(catalogued(ox.Store.read_only(str(store_path))))
    result = validate(store_path)
    assert result.exit_code == 0, result.output
    view = view_size(store_path)
    assert f"Judged now: {view:,} of the view's {view:,} triples" in result.stderr
    assert f"{graphs} of {graphs} graphs were judged under other shapes" in result.stderr
