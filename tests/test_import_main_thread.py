"""The import's main thread keeps a record's statements as (subject, predicate, object) tuples
and writes them as N-Triples text (issue 18 point 8): what it writes must be what the quads
gave, byte for byte. The records are the real ClinicalTrials.gov records in tests/data/ctgov
and the real-derived newer version in tests/data/ctgov-amended; the expected answers come
from pyoxigraph's own serializer and store, and from the quad path (``write_sources``), not
from the code under test.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pyoxigraph as ox
import pytest

from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.graph.pipeline import Importer, source_record
from evidencegraph.ingest.ctgov import map_study
from evidencegraph.ingest.mapping import EG, KeptNamespace
from evidencegraph.ingest.records import Record
from evidencegraph.ontology import namespace
from evidencegraph.ontology.source_graphs import SourceKind
from evidencegraph.store.core import OxigraphStore
from evidencegraph.validation.batch_gate import Overlay, batch_quads, prepare
from evidencegraph.validation.source_view import (
    CONTENT_SHA256,
    GENERATED_AT,
    Layered,
    SourceRecord,
    canonical,
    checksum,
    describe,
    plan,
    statement_text,
)
from support import DATA

RECORDS = ["NCT03418623", "NCT03630471", "NCT00763412"]
XSD = "http://www.w3.org/2001/XMLSchema#"
NODE = ox.NamedNode("https://example.org/node")
VALUE = ox.NamedNode("https://example.org/value")


def content(nct_id: str, folder: str = "ctgov") -> dict[str, Any]:
    return json.loads((DATA / folder / f"{nct_id}.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_statement_text_is_what_the_serializer_writes() -> None:
    """Every kind of term, with what N-Triples must escape, as the serializer writes it."""
    blank = ox.BlankNode("b0")
    objects = [
        ox.Literal('quote " backslash \\ newline \n tab \t return \r'),
        ox.Literal("control \u0001 \u007f, accents é ü, beyond the BMP \U0001f600"),
        ox.Literal("Kopfschmerz", language="de"),
        ox.Literal("01", datatype=ox.NamedNode(XSD + "integer")),
        ox.Literal("2018-03", datatype=ox.NamedNode(XSD + "gYearMonth")),
        ox.Literal("plain", datatype=ox.NamedNode(XSD + "string")),
        ox.NamedNode("https://example.org/a%20b?c=d#e"),
        blank,
    ]
    statements = [(NODE, VALUE, value) for value in objects] + [(blank, VALUE, NODE)]
    quads = [ox.Quad(s, p, o) for s, p, o in statements]
    written = ox.serialize(quads, format=ox.RdfFormat.N_TRIPLES) or b""
    assert [f"{text} .\n".encode() for text in statement_text(statements)] == (
        written.splitlines(keepends=True)
    )


@pytest.mark.parametrize("nct_id", RECORDS)
def test_a_records_checksum_from_tuples_is_the_one_from_quads(nct_id: str) -> None:
    """eg:contentSha256 of a real record, made from the mapping's tuples, is the checksum of
    the same record as quads (stores already written hold it)."""
    mapped = map_study(content(nct_id), f"{nct_id}.json")
    as_tuples = source_record(mapped)
    as_quads = SourceRecord(as_tuples.graph, as_tuples.kind, batch_quads(mapped.triples))
    canonical([as_tuples, as_quads])
    assert all(isinstance(triple, tuple) for triple in as_tuples.triples or ())
    assert all(isinstance(quad, ox.Quad) for quad in as_quads.triples or ())
    expected = checksum(as_quads.triples or [])  # type: ignore[arg-type]
    stated = {q.object for q in describe(as_tuples) if q.predicate == CONTENT_SHA256}
    assert stated == {ox.Literal(expected)}


def test_canonical_gives_the_stores_forms_to_tuples_and_keeps_quads_quads() -> None:
    integer, boolean = ox.NamedNode(XSD + "integer"), ox.NamedNode(XSD + "boolean")
    given = [
        ox.Literal("01", datatype=integer),
        ox.Literal("1", datatype=integer),  # the same value: one statement is left
        ox.Literal("+7", datatype=integer),
        ox.Literal("1", datatype=boolean),
        ox.Literal(" spaced ", datatype=ox.NamedNode(XSD + "string")),
        ox.Literal("not a number", datatype=integer),
    ]
    store = ox.Store()
    store.extend(ox.Quad(NODE, VALUE, value) for value in given)
    expected = {(q.subject, q.predicate, q.object) for q in store}
    tuples = SourceRecord(NODE, SourceKind.OTHER, [(NODE, VALUE, v) for v in given])
    graph_quads = SourceRecord(
        NODE, SourceKind.OTHER, [ox.Quad(NODE, VALUE, v, NODE) for v in given]
    )
    canonical([tuples, graph_quads])
    assert tuples.triples is not None and set(tuples.triples) == expected  # type: ignore[arg-type]
    assert len(tuples.triples) == len(expected)
    assert graph_quads.triples is not None
    assert {(q.subject, q.predicate, q.object) for q in graph_quads.triples} == expected  # type: ignore[union-attr]
    assert all(
        isinstance(q, ox.Quad) and isinstance(q.graph_name, ox.DefaultGraph)
        for q in graph_quads.triples
    )


def without_time(store: OxigraphStore) -> set[ox.Quad]:
    """The store's quads but the time each graph was written (it names the write)."""
    return {q for q in store.native if q.predicate != GENERATED_AT}


def test_an_import_writes_what_the_quad_path_writes() -> None:
    """Real records, then a newer version of one: the import (tuples, text, staged groups)
    and ``write_sources`` (quads, the gate's whole write) leave the same store."""
    first = [content(nct_id) for nct_id in RECORDS]
    newer = [content("NCT03630471", "ctgov-amended")]
    imported = EvidenceGraph(OxigraphStore(None))
    written = EvidenceGraph(OxigraphStore(None))
    for contents in (first, newer):
        summary = Importer(imported, map_study, batch_size=2).run(
            [Record(f"{i}.json", c) for i, c in enumerate(contents)]
        )
        assert summary.stopped is None and not summary.rejected, summary.lines()
        records = []
        for i, c in enumerate(contents):
            record = source_record(map_study(c, f"{i}.json"))
            triples = record.triples or []
            record.triples = [ox.Quad(s, p, o) for s, p, o in triples]  # type: ignore[misc]
            records.append(record)
        written.write_sources(records)
        assert without_time(imported.store) == without_time(written.store)  # type: ignore[arg-type]
    assert summary.graphs_replaced == 1


def test_a_planned_batch_gives_the_judge_the_views_quads() -> None:
    """The judge's quads of a planned batch (read from its text when asked) are the plan's
    view, and what is staged and written holds the view and the record's graph."""
    store = OxigraphStore(None)
    record = source_record(map_study(content(RECORDS[0]), "x.json"))
    canonical([record])
    view_plan = plan(Layered(store), [record], now=datetime(2026, 12, 7, tzinfo=timezone.utc))
    prepared = prepare(store, (), replace_single_values=False, view_plan=view_plan)
    assert set(prepared.quads) == set(view_plan.view)
    assert len(prepared.quads) == len(view_plan.view_statements) == prepared.new_count
    staged = Overlay()
    staged.stage(prepared)
    held = set(ox.parse(staged.nquads(), format=ox.RdfFormat.N_QUADS))
    in_graph = {q for q in held if q.graph_name == record.graph}
    assert {ox.Quad(q.subject, q.predicate, q.object) for q in in_graph} == set(view_plan.view)
    assert set(view_plan.view) <= held


def test_a_group_a_later_batch_takes_a_value_from_is_written_without_it() -> None:
    """Staged bytes are what a group writes only while no batch has taken out what an earlier
    one staged; then the group is read out of its store, without the value replaced."""
    old, new = ox.Literal("old"), ox.Literal("new")
    store = OxigraphStore(None)
    first = prepare(store, [ox.Quad(NODE, VALUE, old)], replace_single_values=False)
    group = Overlay()
    group.stage(first)
    second = prepare(store, [ox.Quad(NODE, VALUE, new)], replace_single_values=False)
    second.replaced = [ox.Quad(NODE, VALUE, old)]
    group.stage(second)
    assert set(ox.parse(group.nquads(), format=ox.RdfFormat.N_QUADS)) == {ox.Quad(NODE, VALUE, new)}
    untouched = Overlay()
    untouched.stage(first)
    untouched.stage(prepare(store, [ox.Quad(VALUE, VALUE, new)], replace_single_values=False))
    assert set(ox.parse(untouched.nquads(), format=ox.RdfFormat.N_QUADS)) == {
        ox.Quad(NODE, VALUE, old),
        ox.Quad(VALUE, VALUE, new),
    }


def test_a_kept_namespace_builds_each_term_once_and_the_same_term() -> None:
    assert isinstance(EG, KeptNamespace)
    assert EG.enrolment is EG.enrolment
    built = namespace.EG.enrolment
    assert EG.enrolment == built and type(EG.enrolment) is type(built)
    assert EG["enrolment"] == EG.enrolment


def test_a_decimal_literal_is_written_as_rdflib_writes_it() -> None:
    """Coordinates are made as pyoxigraph literals directly; rdflib's lexical form stays."""
    from decimal import Decimal

    from rdflib import XSD
    from rdflib import Literal as RdflibLiteral

    from evidencegraph.ingest.mapping import decimal_literal
    from evidencegraph.rdf.terms import to_oxigraph

    for text in ["1.50", "-0.0", "1E+2", "1e-7", "-90", "45.000", "0", "179.9999999"]:
        value = Decimal(text)
        assert decimal_literal(value) == to_oxigraph(RdflibLiteral(value, datatype=XSD.decimal))
