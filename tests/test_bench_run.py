"""The benchmark's baseline is measured fairly: rdflib's Graph behind the Store seam
(``bench/common.py``) gives the export and the gate what the embedded store gives them."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from evidencegraph.export import select
from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.rdf.files import read_rdf_files
from evidencegraph.validation.shacl import check_batch
from support import DATA, bench_module


@pytest.fixture(scope="module")
def baseline(built: EvidenceGraph) -> object:
    return bench_module("common").RdflibStore(built.store.to_graph())


def test_the_rdflib_store_exports_what_the_embedded_store_exports(
    built: EvidenceGraph, baseline: object
) -> None:
    focus = [ox.NamedNode("https://w3id.org/evidencegraph/id/study/NCT02649231")]
    exports = []
    for store in (built.store, baseline):
        chosen = select.neighbourhood(store, focus, 2)  # type: ignore[arg-type]
        exports.append(select.with_names(store, select.with_provenance(store, chosen)))  # type: ignore[arg-type]
    assert exports[0] == exports[1]
    assert len(exports[0]) > 50


def test_the_rdflib_store_gives_the_gate_the_same_neighbourhood_and_verdict(
    built: EvidenceGraph, baseline: object
) -> None:
    batch = read_rdf_files([DATA / "broken" / "finding-without-source.ttl"])
    on_disk = check_batch(built.store, batch)
    in_rdflib = check_batch(baseline, batch)  # type: ignore[arg-type]
    assert in_rdflib.report.results == on_disk.report.results
    assert not on_disk.report.conforms


def test_a_report_section_replaces_its_own_and_leaves_the_rest(tmp_path: Path) -> None:
    common = bench_module("common")
    page = tmp_path / "benchmarks.md"
    page.write_text("# Benchmarks\n\nbefore\n\n<!-- a:begin -->\nold\n<!-- a:end -->\n\nafter\n")
    common.replace_section(
        page, "<!-- a:begin -->", "<!-- a:end -->", "<!-- a:begin -->\nnew\n<!-- a:end -->"
    )
    common.replace_section(
        page, "<!-- b:begin -->", "<!-- b:end -->", "<!-- b:begin -->\nb\n<!-- b:end -->"
    )
    assert page.read_text() == (
        "# Benchmarks\n\nbefore\n\n<!-- a:begin -->\nnew\n<!-- a:end -->\n\nafter\n\n"
        "<!-- b:begin -->\nb\n<!-- b:end -->\n"
    )
