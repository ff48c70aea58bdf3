"""A seeded mutation fuzzer over the real records in tests/data: no input ends in a traceback.

ClinicalTrials.gov: each case is a real API v2 study with one value replaced by a JSON value
of another shape (bench/hostile_import.py's mutator, the one the benchmark counts with), plus
the crafted records of issue 13. PubMed: each case is a real efetch file cut, with markup
dropped or doubled, or text replaced by markup characters. Every case is read, mapped and
encoded as N-Triples the way the import does it; a sample goes through ``import`` on an
on-disk store, where a refused input must exit 3 and leave every quad as it was.
"""

from __future__ import annotations

import copy
import io
import random
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from types import ModuleType

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from evidencegraph.cli.main import cli
from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.ingest import pubmed
from evidencegraph.ingest.mapping import MappingError
from evidencegraph.ingest.records import RecordError
from evidencegraph.store.core import OxigraphStore
from evidencegraph.validation.batch_gate import batch_quads
from support import DATA, bench_module

SEED = 20261206
#: cases read and mapped in process (about 5 ms each)
CTGOV_CASES = 400
PUBMED_CASES = 150
#: of those, cases run through the command line against a store (about 0.1 s each)
CLI_CASES = 16


@pytest.fixture(scope="module")
def hostile() -> ModuleType:
    return bench_module("hostile_import")


@pytest.fixture(scope="module")
def ctgov_cases(hostile: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The mutated and the crafted records, each in a file of its own."""
    directory = tmp_path_factory.mktemp("fuzz")
    paths = []
    for name, data, _change in hostile.mutated_records(SEED, CTGOV_CASES):
        path = directory / name
        path.write_bytes(data)
        paths.append(path)
    for name, data, _what in hostile.hostile_records():
        path = directory / name
        path.write_bytes(data)
        paths.append(path)
    paths.extend(path for path, _what in hostile.hostile_zips(directory))
    return paths


def test_no_mutated_or_crafted_registry_record_ends_in_a_traceback(
    hostile: ModuleType, ctgov_cases: list[Path]
) -> None:
    outcomes: dict[str, list[str]] = {"mapped": [], "refused": [], "traceback": []}
    for path in ctgov_cases:
        outcome, detail = hostile.classify(path)
        outcomes[outcome].append(f"{path.name}: {detail}")
    assert outcomes["traceback"] == []
    # the fuzzer reaches both ends: records that still map, and records refused
    assert len(outcomes["mapped"]) > CTGOV_CASES // 4
    assert len(outcomes["refused"]) > CTGOV_CASES // 10
    # the crafted ones are all refused, each with its own reason
    crafted = [line for line in outcomes["refused"] if line.startswith("hostile-")]
    assert len(crafted) == 6, outcomes["refused"]


def store_quads(db: Path) -> set[ox.Quad]:
    with EvidenceGraph(OxigraphStore(db)) as graph:
        return set(graph.store.quads())  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An on-disk store holding one imported study, so that "unchanged" means something."""
    path = tmp_path_factory.mktemp("store") / "kg.db"
    result = import_cli(path, "ctgov", DATA / "ctgov" / "NCT00973089.json")
    assert result.exit_code == 0, result.output
    return path


def import_cli(db: Path, command: str, *paths: Path) -> object:
    return CliRunner().invoke(
        cli,
        ["--store", f"oxigraph:{db}", "import", command, "--no-progress", *map(str, paths)],
        catch_exceptions=False,  # a traceback fails the test
    )


def test_through_the_command_line_refused_records_exit_3_and_leave_the_store_alone(
    hostile: ModuleType, ctgov_cases: list[Path], db: Path
) -> None:
    rng = random.Random(SEED)
    crafted = [path for path in ctgov_cases if path.name.startswith("hostile-")]
    sample = rng.sample(ctgov_cases[:CTGOV_CASES], CLI_CASES) + crafted
    seen = set()
    for path in sample:
        outcome, _ = hostile.classify(path)
        before = store_quads(db)
        result = import_cli(db, "ctgov", path)
        code = result.exit_code  # type: ignore[attr-defined]
        output = result.output  # type: ignore[attr-defined]
        if outcome == "refused":
            assert code == 3, (path.name, output)
            assert path.name in result.stderr  # type: ignore[attr-defined]
        else:  # mapped: the gate decides, and a batch it refuses exits 1
            assert code in (0, 1), (path.name, output)
        if code != 0:
            assert store_quads(db) == before, path.name
        seen.add((outcome, code))
    assert ("refused", 3) in seen and ("mapped", 0) in seen


# --- PubMed ---------------------------------------------------------------------------------


#: Texts put into elements and attributes: empty, blank, numbers, ids of the wrong kind, markup
#: characters (escaped by the serialiser), text no PubMed field holds.
PUBMED_TEXTS = ["", " ", "0", "-1", "99999999999999999999", "NCT123", "x" * 300, "<&>", "é\u2028"]


def mutated_pubmed(rng: random.Random, source: bytes) -> bytes:
    """One mutation of an efetch file: in the bytes (cut, a tag dropped or doubled, markup
    characters, an entity), or in the tree (an element dropped, doubled or moved; its text or
    an attribute replaced), serialised again."""
    if rng.random() < 0.4:
        return _mutated_bytes(rng, source)
    root = ElementTree.fromstring(source)
    parents = {child: parent for parent in root.iter() for child in parent}
    element = rng.choice(list(parents))
    parent = parents[element]
    kind = rng.randrange(5)
    if kind == 0:
        parent.remove(element)
    elif kind == 1:
        parent.append(copy.deepcopy(element))
    elif kind == 2:
        element.text = rng.choice(PUBMED_TEXTS)
        for child in list(element)[: rng.randrange(3)]:
            element.remove(child)
    elif kind == 3:
        key = rng.choice([*element.attrib, "EIdType", "IdType", "UI", "Source", "Label"])
        element.set(key, rng.choice([*PUBMED_TEXTS, "doi", "ORCID"]))
    else:  # moved under another element
        parent.remove(element)
        rng.choice(list(root.iter())).append(element)
    return ElementTree.tostring(root, encoding="utf-8")


def _mutated_bytes(rng: random.Random, source: bytes) -> bytes:
    kind = rng.randrange(5)
    if kind == 0:  # cut anywhere
        return source[: rng.randrange(len(source))]
    tags = [i for i in range(len(source)) if source[i : i + 1] == b"<"]
    at = rng.choice(tags)
    end = source.find(b">", at) + 1
    if kind == 1:  # a tag dropped
        return source[:at] + source[end:]
    if kind == 2:  # a tag doubled
        return source[:end] + source[at:end] + source[end:]
    if kind == 3:  # markup characters and an undefined entity in text
        junk = rng.choice([b"&", b"<", b"&nbsp;", b"]]>", b"&#0;", b"&#xD800;", b"\xff\xfe"])
        return source[:end] + junk + source[end:]
    # an internal entity, used in a title (the real files' DOCTYPE gives way to this one)
    start = source.find(b"<PubmedArticleSet")
    declaration = b'<!DOCTYPE PubmedArticleSet [<!ENTITY e "' + b"x" * 50 + b'">]>'
    return declaration + source[start:].replace(b"</Title>", b"&e;</Title>", 1)


def classify_pubmed(data: bytes) -> str:
    """Read, map and encode every article: 'mapped' or 'refused' (anything else raises)."""
    refused = False
    for item in pubmed.read_stream(io.BytesIO(data), "fuzz.xml"):
        if isinstance(item, RecordError):
            assert item.origin.startswith("fuzz.xml"), item
            refused = True
            continue
        try:
            mapped = pubmed.map_article(item.content, item.origin)
        except MappingError:
            refused = True
            continue
        ox.serialize(batch_quads(mapped.triples), format=ox.RdfFormat.N_QUADS)
    return "refused" if refused else "mapped"


def test_no_mutated_pubmed_file_ends_in_a_traceback(db: Path, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    sources = [path.read_bytes() for path in sorted((DATA / "pubmed").glob("*.xml"))]
    outcomes = {"mapped": 0, "refused": 0}
    refused_files = []
    for number in range(PUBMED_CASES):
        data = mutated_pubmed(rng, rng.choice(sources))
        outcome = classify_pubmed(data)  # raises on a traceback
        outcomes[outcome] += 1
        if outcome == "refused" and len(refused_files) < 4:
            path = tmp_path / f"case-{number}.xml"
            path.write_bytes(data)
            refused_files.append(path)
    assert outcomes["mapped"] > 0 and outcomes["refused"] > 0, outcomes
    for path in refused_files:
        before = store_quads(db)
        result = import_cli(db, "pubmed", path)
        assert result.exit_code == 3, result.output  # type: ignore[attr-defined]
        assert store_quads(db) == before


def test_the_real_pubmed_files_still_read_whole() -> None:
    """The fuzzer's sources, unmutated, give every article (counted by ElementTree)."""
    for path in sorted((DATA / "pubmed").glob("*.xml")):
        expected = len(ElementTree.parse(path).getroot().findall("PubmedArticle"))
        assert classify_pubmed(path.read_bytes()) == "mapped"
        read = [item for item in pubmed.read_paths([path]) if not isinstance(item, RecordError)]
        assert len(read) == expected
