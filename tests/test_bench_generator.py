"""The synthetic graph of `bench/generate.py` conforms to the shapes, is the same for the same
seed, and answers the flagship question: the benchmarks measure data the gate would accept."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pyoxigraph as ox
from rdflib import Graph

from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.graph.store import OxigraphStore
from evidencegraph.graph.validation import model_graph, validate_graph

BENCH = Path(__file__).parent.parent / "bench"


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate", BENCH / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_synthetic_graph_conforms_to_the_shapes() -> None:
    text = "\n".join(generator().lines(120, 7)) + "\n"
    graph = Graph().parse(data=text, format="nt")
    report = validate_graph(graph)
    assert report.conforms, report.table()


def test_the_same_seed_gives_the_same_triples_and_another_seed_others() -> None:
    module = generator()
    assert list(module.lines(30, 7)) == list(module.lines(30, 7))
    assert list(module.lines(30, 7)) != list(module.lines(30, 8))


def test_the_flagship_question_has_answers() -> None:
    text = "\n".join(generator().lines(300, 7)) + "\n"
    store = OxigraphStore(None)
    store.add(model_graph())  # the vocabulary's hierarchy: CBT is a psychotherapy
    store.write_quads([], list(ox.parse(text.encode(), format=ox.RdfFormat.N_QUADS)))
    rows = EvidenceGraph(store).run("drug-with-psychotherapy").rows
    # one study in a hundred gets ketamine with a psychotherapy in its first arm
    assert {str(row["trial"]).rsplit("/", 1)[-1] for row in rows} == {
        "NCT90000000",
        "NCT90000100",
        "NCT90000200",
    }
    assert {str(row["drug"]).rsplit("/", 1)[-1] for row in rows} == {"ketamine"}


def test_flagship_every_plants_the_combination_in_one_study_in_k() -> None:
    module = generator()
    # the default is one in 100, and asking for it changes nothing
    assert list(module.lines(120, 7)) == list(module.lines(120, 7, 100))
    text = "\n".join(module.lines(300, 7, 1000)) + "\n"
    store = OxigraphStore(None)
    store.add(model_graph())
    store.write_quads([], list(ox.parse(text.encode(), format=ox.RdfFormat.N_QUADS)))
    rows = EvidenceGraph(store).run("drug-with-psychotherapy").rows
    assert {str(row["trial"]).rsplit("/", 1)[-1] for row in rows} == {"NCT90000000"}
