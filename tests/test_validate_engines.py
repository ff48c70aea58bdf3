"""Validating a whole store: rudof (chunk by chunk) and pyshacl report the same violations, and
``validate`` uses the engine chosen for it (decision 0012)."""

from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import SH

from evidencegraph.cli.main import cli
from evidencegraph.errors import UsageError
from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.rdf.model import model_graph
from evidencegraph.rdf.terms import to_quads
from evidencegraph.store.core import OxigraphStore, Store
from evidencegraph.validation import engines, rudof_engine, store_validation
from evidencegraph.validation.shacl import ValidationReport
from evidencegraph.validation.store_validation import validate_store
from support import BROKEN
from test_shapes import MUTATIONS, Mutation, mutated

BENCH = Path(__file__).parent.parent / "bench"
ID = "https://w3id.org/evidencegraph/id/"
EG = "https://w3id.org/evidencegraph/ontology#"
XSD = "http://www.w3.org/2001/XMLSchema#"

needs_rudof = pytest.mark.skipif(not rudof_engine.available(), reason="pyrudof is not installed")


def assert_same(by_pyshacl: ValidationReport, by_rudof: ValidationReport) -> None:
    """Same results (focus node, path, constraint, message, severity, value) and the same
    SHACL report graph (source shapes included): the only difference is the engine's speed."""
    assert by_rudof.results == by_pyshacl.results
    assert by_rudof.conforms == by_pyshacl.conforms
    assert isomorphic(_report_only(by_rudof.graph), _report_only(by_pyshacl.graph))


def _report_only(graph: Graph) -> Graph:
    """The report without the data it copies to say what a blank node is (pyshacl copies it
    once per mention, rudof's report once: the same statements either way)."""
    kept = Graph()
    for triple in graph:
        if str(triple[1]).startswith(str(SH)) or triple[2] in (
            SH.ValidationReport,
            SH.ValidationResult,
        ):
            kept.add(triple)
    return kept


@pytest.fixture
def broken_store(tmp_path: Path) -> OxigraphStore:
    """The curated evidence, then real broken inputs written past the gate: a finding with no
    source and its interval upside down, an ill-typed enrolment, and an arm as blank nodes."""
    path = tmp_path / "broken.db"
    EvidenceGraph(OxigraphStore(path)).build()
    native = ox.Store(str(path))
    for name in ("finding-without-source.ttl", "ill-typed-enrolment.ttl"):
        native.load(path=str(BROKEN / name), format=ox.RdfFormat.TURTLE)
    native.load(
        f"@prefix eg: <{EG}> . [] a eg:Arm ; eg:armRole [ a eg:Thing ] .",
        format=ox.RdfFormat.TURTLE,
    )
    native.flush()
    del native
    return OxigraphStore(path)


@needs_rudof
def test_both_engines_report_the_same_violations_on_real_broken_data(
    broken_store: OxigraphStore,
) -> None:
    by_pyshacl = validate_store(broken_store, "pyshacl")
    by_rudof = validate_store(broken_store, "rudof")
    assert_same(by_pyshacl, by_rudof)
    constraints = Counter(result.constraint for result in by_rudof.results)
    assert constraints["sh:LessThanOrEqualsConstraintComponent"] == 1  # the upside-down interval
    assert constraints["sh:DatatypeConstraintComponent"] == 1  # "many"^^xsd:integer
    assert any(result.focus_node.startswith("_:") for result in by_rudof.results)


def _one_mutation_per_constraint() -> list[object]:
    first: dict[str, object] = {}
    for mutation in MUTATIONS:
        first.setdefault(mutation.constraint, mutation)
    return [pytest.param(m, id=m.id) for m in first.values()]  # type: ignore[attr-defined]


@needs_rudof
@pytest.mark.parametrize("mutation", _one_mutation_per_constraint())
def test_both_engines_report_the_same_violations_on_each_kind_of_constraint(
    mutation: object,
) -> None:
    store = OxigraphStore(None)
    store.write_quads([], list(to_quads(mutated(mutation))))  # type: ignore[arg-type]
    by_pyshacl, by_rudof = validate_store(store, "pyshacl"), validate_store(store, "rudof")
    if mutation.constraint == "SPARQL":  # type: ignore[attr-defined]
        # issue 19's SPARQL rules: the same results, but pyshacl's report graph also names
        # the sh:sparql node (sh:sourceConstraint, its query and message); rudof's does not
        assert by_rudof.results == by_pyshacl.results and not by_rudof.conforms
        return
    assert_same(by_pyshacl, by_rudof)


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("generate", BENCH / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _study(number: int) -> str:
    return f"<{ID}study/NCT9{number:07d}>"


@needs_rudof
def test_both_engines_agree_on_a_synthetic_store_with_deliberate_violations(
    tmp_path: Path,
) -> None:
    lines = list(_generator().lines(60, 7))
    broken = {
        # an arm without its label, a study with two enrolments, a malformed NCT number
        f"<{ID}study/NCT90000003/arm/2> <http://www.w3.org/2000/01/rdf-schema#label> "
        '"arm 2" .': None,
        f"{_study(7)} <{EG}nctId> " + '"NCT90000007" .': f"{_study(7)} <{EG}nctId> " + '"NCT7" .',
        # an arm no study has (^eg:hasArm), a finding about a drug instead of an outcome
        f"{_study(11)} <{EG}hasArm> <{ID}study/NCT90000011/arm/3> .": None,
        f"<{ID}finding/NCT90000013/1> <{EG}outcome> <{ID}study/NCT90000013/outcome/1> .": (
            f"<{ID}finding/NCT90000013/1> <{EG}outcome> <{ID}drug/ketamine> ."
        ),
    }
    assert all(line in lines for line in broken)
    kept = [broken.get(line, line) for line in lines]
    kept = [line for line in kept if line is not None]
    kept.append(f"{_study(5)} <{EG}enrolment> " + f'"many"^^<{XSD}integer> .')
    store_path = tmp_path / "synthetic.db"
    native = ox.Store(str(store_path))
    native.bulk_load("\n".join(kept) + "\n", format=ox.RdfFormat.N_TRIPLES)
    native.bulk_extend(to_quads(model_graph()))
    native.flush()
    del native
    store = OxigraphStore(store_path)

    by_pyshacl = validate_store(store, "pyshacl")
    # small chunks: a study, its arms and its findings fall in different chunks
    by_rudof = validate_store(store, "rudof", chunk_subjects=40)
    assert_same(by_pyshacl, by_rudof)
    assert {(r.focus_node, r.path, r.constraint) for r in by_rudof.results} >= {
        ("egid:study/NCT90000003/arm/2", "rdfs:label", "sh:MinCountConstraintComponent"),
        ("egid:study/NCT90000005", "eg:enrolment", "sh:MaxCountConstraintComponent"),
        ("egid:study/NCT90000005", "eg:enrolment", "sh:DatatypeConstraintComponent"),
        ("egid:study/NCT90000007", "eg:nctId", "sh:PatternConstraintComponent"),
        ("egid:study/NCT90000011/arm/3", "^eg:hasArm", "sh:MinCountConstraintComponent"),
        ("egid:finding/NCT90000013/1", "eg:outcome", "sh:ClassConstraintComponent"),
    }


@needs_rudof
@pytest.mark.filterwarnings("ignore:Parsing weird boolean")
def test_rudof_is_stricter_than_pyshacl_on_ill_typed_booleans_and_years() -> None:
    """The one known difference, on purpose: rudof's path checks lexical forms as the gate does
    (``rudof_engine.ill_typed``); rdflib reads "yes" as a boolean and does not check gYear, so
    pyshacl lets both through. Both refuse an impossible date."""
    store = OxigraphStore(None)
    store.write_quads([], list(to_quads(mutated(MUTATIONS[0]))))

    def literal(subject: str, predicate: str, text: str, datatype: str) -> ox.Quad:
        return ox.Quad(
            ox.NamedNode(f"{ID}test/{subject}"),
            ox.NamedNode(EG + predicate),
            ox.Literal(text, datatype=ox.NamedNode(XSD + datatype)),
        )

    store.write_quads(
        [],
        [
            literal("trial-1", "registrationDate", "2016-13-45", "date"),
            literal("trial-2", "startDate", "20x6", "gYear"),
            literal("source-1", "peerReviewed", "yes", "boolean"),
        ],
    )
    by_pyshacl = {
        (r.focus_node, r.path, r.constraint) for r in validate_store(store, "pyshacl").results
    }
    by_rudof = {
        (r.focus_node, r.path, r.constraint) for r in validate_store(store, "rudof").results
    }
    datatype = "sh:DatatypeConstraintComponent"
    assert ("egid:test/trial-1", "eg:registrationDate", datatype) in by_pyshacl & by_rudof
    assert by_rudof - by_pyshacl == {
        ("egid:test/trial-2", "eg:startDate", datatype),
        ("egid:test/source-1", "eg:peerReviewed", datatype),
    }
    assert by_pyshacl <= by_rudof


# --- which engine validate uses ------------------------------------------------------------


@pytest.fixture
def engines_used(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records which engine each validation ran with (both still run for real): the verdict
    of the plan it asked the engine protocol for (validation/engines.py)."""
    used: list[str] = []
    real_plan = store_validation.store_plan

    def plan(engine: str) -> engines.StorePlan:
        chosen = real_plan(engine)
        used.append(chosen.verdict.name)
        return chosen

    monkeypatch.setattr(store_validation, "store_plan", plan)
    return used


@needs_rudof
def test_validate_uses_rudof_where_it_is_installed(
    built: EvidenceGraph, engines_used: list[str]
) -> None:
    assert built.validate().conforms
    assert built.validate("pyshacl").conforms
    assert built.validate("rudof").conforms
    assert engines_used == ["rudof", "pyshacl", "rudof"]


def test_validate_falls_back_to_pyshacl_without_rudof(
    built: EvidenceGraph, engines_used: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rudof_engine, "available", lambda: False)
    assert built.validate().conforms
    assert engines_used == ["pyshacl"]
    with pytest.raises(UsageError, match="pyrudof is not installed"):
        built.validate("rudof")
    with pytest.raises(UsageError, match="unknown validation engine"):
        built.validate("jena")


@needs_rudof
def test_the_validate_command_uses_the_engine_asked_for(
    broken_store: OxigraphStore, engines_used: list[str]
) -> None:
    store = f"oxigraph:{broken_store.path}"
    broken_store.close()
    outputs = []
    for engine in ("auto", "pyshacl"):
        result = CliRunner().invoke(cli, ["--store", store, "validate", "--engine", engine])
        assert result.exit_code == 1, result.output
        outputs.append(result.stdout)  # stderr says which engine judged how much
    assert engines_used == ["rudof", "pyshacl"]
    assert outputs[0] == outputs[1]
    assert "Does not conform: 9 violation(s)." in outputs[0]


@needs_rudof
def test_both_engines_agree_on_every_backend(store: Store) -> None:
    """A remote store is read into memory once and validated the same way."""
    graph = mutated(MUTATIONS[0])
    store.add(graph)
    by_rudof = validate_store(store, "rudof")
    assert_same(validate_store(store, "pyshacl"), by_rudof)
    assert {r.focus_node for r in by_rudof.results} == {f"egid:test/{MUTATIONS[0].focus}"}


def test_the_engine_is_for_the_whole_store_not_for_files() -> None:
    result = CliRunner().invoke(
        cli, ["validate", "--engine", "rudof", str(BROKEN / "ill-typed-enrolment.ttl")]
    )
    assert result.exit_code == 2
    assert "--engine chooses the engine for the whole store" in result.output


@needs_rudof
@pytest.mark.parametrize("engine", ["pyshacl", "rudof"])
def test_results_hold_the_terms_the_report_graph_holds(
    broken_store: OxigraphStore, engine: str
) -> None:
    """A result is RDF terms, the same the SHACL report graph holds; the CURIEs are only their
    display (the rudof report graph was built by reading the displayed CURIEs back)."""
    report = validate_store(broken_store, engine)
    assert report.results
    in_graph = {
        (
            report.graph.value(node, SH.focusNode),
            report.graph.value(node, SH.sourceConstraintComponent),
            report.graph.value(node, SH.value),
        )
        for node in report.graph.subjects(RDF.type, SH.ValidationResult)
    }
    assert {(r.focus, r.constraint_term, r.value_term) for r in report.results} == in_graph
    enrolment = next(r for r in report.results if r.path_term == URIRef(EG + "enrolment"))
    assert isinstance(enrolment.focus, URIRef) and str(enrolment.focus).startswith(ID)
    assert enrolment.focus_node == "egid:" + str(enrolment.focus).removeprefix(ID)
    assert enrolment.path == "eg:enrolment"
    assert isinstance(enrolment.value_term, Literal)
    assert enrolment.value == enrolment.value_term.n3()
    assert enrolment.shown()[:3] == (enrolment.focus_node, "eg:enrolment", enrolment.constraint)


@needs_rudof
@pytest.mark.parametrize("mutation", MUTATIONS[::12], ids=lambda m: m.id)
def test_the_engines_behind_the_seam_agree(mutation: Mutation) -> None:
    """The gate asks its engines through one protocol (validation/engines.py); rudof with the
    lexical check finds what pyshacl finds on a broken batch, and the first look passes none."""
    graph = mutated(mutation)
    data, quads = rudof_engine.ntriples(graph), list(to_quads(graph))
    focus = {str(node) for node in graph.subjects() if isinstance(node, URIRef)}
    plan = engines.gate_plan()
    assert [engine.name for engine in (*plan.checks, plan.verdict)] == ["lexical", "rudof"]
    assert all(isinstance(engine, engines.Engine) for engine in (*plan.checks, plan.verdict))
    assert isinstance(plan.first_look, engines.FirstLook)

    def on_iris(report: ValidationReport) -> set[tuple[str, ...]]:
        return {r.shown()[:4] for r in report.results if isinstance(r.focus, URIRef)}

    by_pyshacl = engines.PYSHACL.judge(data, quads, focus)
    by_rudof = set().union(
        *(on_iris(engine.judge(data, quads, focus)) for engine in (*plan.checks, plan.verdict))
    )
    assert by_pyshacl.results and by_rudof == on_iris(by_pyshacl)
    assert not plan.first_look.passes(data)


@needs_rudof
def test_whole_store_validation_asks_its_engines_through_the_protocol(
    broken_store: OxigraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``validate`` of a store runs the plan ``engines.store_plan`` gives: the lexical check
    and rudof, through the Engine protocol, on every chunk of subjects once; or pyshacl on
    the store whole. Either way the report is the one pyshacl gives."""
    plan = engines.store_plan("rudof")
    assert [engine.name for engine in (*plan.checks, plan.verdict)] == ["lexical", "rudof"]
    assert all(isinstance(engine, engines.Engine) for engine in (*plan.checks, plan.verdict))
    assert engines.store_plan("pyshacl").verdict is engines.PYSHACL
    judged: list[int] = []
    real = engines.RudofChunks.judge

    def judge(
        self: engines.RudofChunks, data: str, quads: list[ox.Quad], focus: set[str]
    ) -> ValidationReport:
        judged.append(len(focus))
        return real(self, data, quads, focus)

    monkeypatch.setattr(engines.RudofChunks, "judge", judge)
    by_rudof = validate_store(broken_store, "rudof", chunk_subjects=40)
    subjects = {q.subject for q in broken_store.quads() if not isinstance(q.subject, ox.Triple)}
    assert sum(judged) == len(subjects) and max(judged) == 40 and len(judged) > 1
    assert_same(validate_store(broken_store, "pyshacl"), by_rudof)
