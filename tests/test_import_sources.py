"""Importers are sources in a registry: the built-in ones, one from another package's entry
point, one registered at run time; the CLI's import group is built from the registry; the
importers' errors are in the error hierarchy; the mappings use the ontology's one term model."""

from __future__ import annotations

import pickle
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from evidencegraph.cli.main import cli
from evidencegraph.errors import (
    EXIT_ERROR,
    EXIT_USAGE,
    EvidenceGraphError,
    InputError,
    MappingError,
    RecordError,
    UsageError,
)
from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.ingest import ctgov, pubmed, sources
from evidencegraph.ingest.sources import ENTRY_POINT_GROUP, Source, get_source, source_names
from evidencegraph.store.core import OxigraphStore

DATA = Path(__file__).parent / "data"
STUDY = DATA / "ctgov" / "NCT03418623.json"


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(arg) for arg in args])


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An installed distribution, as pip leaves one, whose entry points declare two sources:
    one that reads registry studies saved as ``*.trial`` files, and one that cannot load."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "eg_trial_files.py").write_text(
        textwrap.dedent(
            '''
            """A third-party source: ClinicalTrials.gov studies saved as .trial files."""
            from evidencegraph.ingest import ctgov
            from evidencegraph.ingest.records import Limits, read_json
            from evidencegraph.ingest.sources import RecordSource


            def read(files, limits):
                for path in files:
                    with path.open("rb") as stream:
                        yield read_json(stream, str(path), limits.member)


            SOURCE = RecordSource(
                name="trial-files",
                description="Import studies saved as .trial files.\\n\\nPATHS are the files.",
                suffixes=(".trial",),
                default_limits=Limits(record=512 * 1024, member=512 * 1024),
                record_marker=b'"protocolSection"',
                reader=read,
                mapper=ctgov.map_study,
            )
            '''
        )
    )
    info = site / "eg_trial_files-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: eg-trial-files\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\n"
        "trial-files = eg_trial_files:SOURCE\n"
        "broken = eg_no_such_module:SOURCE\n"
        "ctgov = eg_trial_files:SOURCE\n"  # a built-in name is not taken over
    )
    monkeypatch.syspath_prepend(str(site))
    return tmp_path


def test_the_built_in_sources_are_registered_and_are_sources() -> None:
    assert {"ctgov", "pubmed"} <= set(source_names())
    assert get_source("ctgov") is ctgov.SOURCE and get_source("pubmed") is pubmed.SOURCE
    for name in ("ctgov", "pubmed"):
        source = get_source(name)
        assert isinstance(source, Source)
        assert source.name == name
    assert ctgov.SOURCE.suffixes == (".json", ".zip")
    assert pubmed.SOURCE.suffixes == (".xml", ".xml.gz")


def test_a_source_counts_reads_and_maps_records() -> None:
    source = get_source("ctgov")
    files = [STUDY, DATA / "ctgov" / "NCT03630471.json"]
    assert source.count_records(files, source.default_limits) == 2
    records = list(source.read(files, source.default_limits))
    assert [type(r).__name__ for r in records] == ["Record", "Record"]
    mapped = source.map(records[0].content, records[0].origin)  # type: ignore[union-attr]
    assert mapped.record_id == "NCT03418623" and mapped.triples


def test_an_unknown_source_is_a_usage_error_that_lists_the_sources() -> None:
    with pytest.raises(UsageError, match="no importer is called 'euctr'") as caught:
        get_source("euctr")
    assert "ctgov, pubmed" in str(caught.value)
    assert caught.value.exit_code == EXIT_USAGE


def test_a_source_registered_at_run_time_becomes_a_subcommand(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sources, "_REGISTERED", {})
    renamed = sources.RecordSource(
        name="registry-copy",
        description="Import registry studies (a copy of ctgov under another name).",
        suffixes=(".json",),
        default_limits=ctgov.DEFAULT_LIMITS,
        record_marker=ctgov.RECORD_MARKER,
        reader=ctgov.read_paths,
        mapper=ctgov.map_study,
    )
    sources.register(renamed)
    assert "registry-copy" in source_names()
    help_text = invoke("import", "--help").output
    assert "registry-copy" in help_text and "a copy of ctgov" in help_text
    db = tmp_path / "kg.db"
    result = invoke("--store", f"oxigraph:{db}", "import", "registry-copy", STUDY, "--no-progress")
    assert result.exit_code == 0, result.output
    assert "imported:     1" in result.output


def test_what_is_registered_must_be_a_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources, "_REGISTERED", {})
    sources.register("json:dumps", name="not-a-source")
    with pytest.raises(UsageError, match=r"'not-a-source' .* is not a source"):
        get_source("not-a-source")


def test_a_source_from_another_packages_entry_point_imports(plugin: Path) -> None:
    assert {"trial-files", "broken"} <= set(source_names())
    assert get_source("ctgov") is ctgov.SOURCE  # the built-in name kept its source
    listed = invoke("import", "--help")
    assert listed.exit_code == 0 and "trial-files" in listed.output
    # a directory is searched for the source's own suffixes
    folder = plugin / "in"
    folder.mkdir()
    shutil.copy(STUDY, folder / "study.trial")
    shutil.copy(STUDY, folder / "ignored.json")
    shown = invoke("import", "trial-files", "--help")
    assert "Import studies saved as .trial files." in shown.output
    assert "Default: 512 KiB" in shown.output  # the source's limits are the options' defaults
    db = plugin / "kg.db"
    result = invoke("--store", f"oxigraph:{db}", "import", "trial-files", folder, "--no-progress")
    assert result.exit_code == 0, result.output
    assert "records read: 1" in result.output and "imported:     1" in result.output
    with EvidenceGraph(OxigraphStore(db)) as graph:
        ask = "ASK { <https://w3id.org/evidencegraph/id/study/NCT03418623> ?p ?o }"
        assert graph.query(ask).boolean


def test_a_source_that_does_not_load_says_so(plugin: Path) -> None:
    result = invoke("import", "broken", STUDY)
    assert result.exit_code == EXIT_USAGE, result.output
    assert "the importer 'broken' (eg_no_such_module:SOURCE) cannot be loaded" in result.output
    assert "Traceback" not in result.output


def test_the_importers_errors_are_input_errors_with_their_messages() -> None:
    mapping_error = MappingError("the study has no NCT id; every imported study needs one.", "x")
    assert isinstance(mapping_error, InputError) and isinstance(mapping_error, EvidenceGraphError)
    assert mapping_error.exit_code == EXIT_ERROR and mapping_error.record_id == "x"
    assert str(mapping_error) == "the study has no NCT id; every imported study needs one."
    error = RecordError("a.zip:b.json", "not UTF-8 text", "NCT1")
    assert isinstance(error, InputError) and error.exit_code == EXIT_ERROR
    assert str(error) == "a.zip:b.json (NCT1): not UTF-8 text"
    assert str(RecordError("f.json", "empty")) == "f.json: empty"
    # still a value: equal when it says the same, usable as a key, and it survives pickling
    assert error == RecordError("a.zip:b.json", "not UTF-8 text", "NCT1") != RecordError("a", "b")
    assert len({error, RecordError("a.zip:b.json", "not UTF-8 text", "NCT1")}) == 1
    assert pickle.loads(pickle.dumps(error)) == error
    # where the readers and the mappings took them from
    from evidencegraph.ingest import mapping, records

    assert records.RecordError is RecordError and mapping.MappingError is MappingError


def test_the_mapper_takes_the_model_from_the_ontology_package() -> None:
    """ctgov maps psychotherapies by the packaged concept scheme, without the validation
    module (the model belongs to the ontology package), and ingest has one term model."""
    code = (
        "import sys\n"
        "from evidencegraph.ingest import ctgov, mapping\n"
        "concepts = ctgov._psychotherapy_concepts()\n"
        "print(sorted(str(c).rsplit('/', 1)[-1] for c in concepts))\n"
        "print('evidencegraph.validation.shacl' in sys.modules, hasattr(mapping, 'Terms'))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert "CognitiveBehaviouralTherapy" in out[0] and "MotivationalInterviewing" in out[0]
    assert "Psychotherapy" in out[0]
    assert out[1] == "False False"
