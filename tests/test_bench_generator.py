"""The synthetic graph of `bench/generate.py` conforms to the shapes, is the same for the same
seed, and answers the flagship question: the benchmarks measure data the gate would accept."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pyoxigraph as ox
from rdflib import Graph

from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.rdf.model import model_graph
from evidencegraph.store.core import OxigraphStore
from evidencegraph.validation.shacl import validate_graph

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


def ctgov_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_ctgov", BENCH / "generate_ctgov.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # its dataclasses look their module up by name while the module runs
    sys.modules.setdefault("generate_ctgov", module)
    spec.loader.exec_module(module)
    return sys.modules["generate_ctgov"]


def test_the_generated_registry_studies_import_and_conform() -> None:
    from evidencegraph.graph.pipeline import Importer
    from evidencegraph.ingest.records import Record
    from evidencegraph.ingest.sources import get_source

    # half of them with a results section, and some with ketamine and a psychotherapy in one
    # arm (the flagship question's answer): the generator's rarer branches are in the sample
    module = ctgov_generator()
    studies = list(module.iter_studies(24, seed=7, results_fraction=0.5))
    assert sum("resultsSection" in study for study in studies) >= 6
    therapies = {spec.name for spec in module.PSYCHOTHERAPIES}

    def ketamine_with_therapy(study: dict[str, Any]) -> bool:
        arms = study["protocolSection"]["armsInterventionsModule"]["armGroups"]
        for arm in arms:
            names = [n.split(": ", 1)[1] for n in arm.get("interventionNames", [])]
            if "Ketamine" in names and therapies & set(names):
                return True
        return False

    flagship = {
        study["protocolSection"]["identificationModule"]["nctId"]
        for study in studies
        if ketamine_with_therapy(study)
    }
    assert flagship
    records = [Record(f"generated[{i}]", study) for i, study in enumerate(studies)]
    with EvidenceGraph.open("memory:") as graph:
        graph.build()
        summary = Importer(graph, get_source("ctgov").map, batch_size=8).run(records)
        assert summary.stopped is None, str(summary.stopped)
        assert summary.rejected == []
        assert summary.imported == 24
        report = graph.validate()
        assert report.conforms, report.table()
        rows = graph.run("drug-with-psychotherapy").rows
        answers = {str(row["trial"]).rsplit("/", 1)[-1] for row in rows}
        assert {nct for nct in answers if nct.startswith("NCT9")} == flagship


def test_the_generators_tables_are_data_files() -> None:
    """Long tables of names and values live in bench/data/*.json, read at run time; the
    generator's code holds no table of more than a few literal values."""
    import ast
    import json

    source = (BENCH / "generate_ctgov.py").read_text(encoding="utf-8")
    tables_in_code = []
    for node in ast.parse(source).body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            values = [n for n in ast.walk(node.value) if isinstance(n, ast.Constant)]
            if len(values) > 12:  # e.g. the five maskings, or a study status's weights
                tables_in_code.append((node.lineno, len(values)))
    assert tables_in_code == []
    module = ctgov_generator()
    files = sorted((BENCH / "data").glob("ctgov_*.json"))
    assert files
    for file in files:
        for name, table in json.loads(file.read_text(encoding="utf-8")).items():
            assert table, f"{file.name}: {name} is empty"
            assert hasattr(module, name), f"{file.name}: {name} is not a table the generator has"
