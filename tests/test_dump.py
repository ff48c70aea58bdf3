"""`dump` and `diff`: sorted, byte-stable dumps of the curated graph, void.ttl, and diffs."""

from __future__ import annotations

import gzip
import hashlib
import random
from datetime import date
from pathlib import Path
from urllib.parse import unquote, urlparse

import pyoxigraph as ox
import pytest
from click.testing import CliRunner, Result
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic

from evidencegraph.cli.main import cli
from evidencegraph.errors import EXIT_ERROR, EXIT_USAGE
from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.publish import dump as dump_module
from evidencegraph.publish.dump import (
    DEFAULT_BASE_URL,
    GRAPHS_NAME,
    NTRIPLES_NAME,
    TURTLE_NAME,
    VOID_NAME,
    dump_store,
)
from evidencegraph.publish.sorted_turtle import TurtleWriter, relative_reference, sort_lines
from evidencegraph.store.core import OxigraphStore

VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"
SPDX = "http://spdx.org/rdf/terms#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
EG = "https://w3id.org/evidencegraph/ontology#"
EGID = "https://w3id.org/evidencegraph/id/"
ISSUED = date(2025, 1, 2)
FILES = (TURTLE_NAME, NTRIPLES_NAME, GRAPHS_NAME, VOID_NAME)

#: A few triples with blank nodes (the curated evidence has none), in Turtle.
BLANK_NODES = f"""
@prefix eg: <{EG}> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<{EGID}study/NCT02649231> rdfs:seeAlso [ rdfs:label "first" ; rdfs:seeAlso [ rdfs:label "x" ] ] ,
    [ rdfs:label "second" ] .
[] rdfs:label "an unconnected node" .
"""


def quads_of(store: OxigraphStore) -> list[ox.Quad]:
    return list(store.quads())


def store_with(quads: list[ox.Quad], extra_turtle: str = "") -> OxigraphStore:
    store = OxigraphStore(None)
    store.write_quads([], quads)
    if extra_turtle:
        parsed = ox.parse(extra_turtle.encode(), format=ox.RdfFormat.TURTLE)
        store.write_quads([], [ox.Quad(t.subject, t.predicate, t.object) for t in parsed])
    return store


def dumped(store: OxigraphStore, directory: Path, **options: object) -> dict[str, bytes]:
    dump_store(store, directory, issued=ISSUED, **options)  # type: ignore[arg-type]
    return {name: (directory / name).read_bytes() for name in FILES}


@pytest.fixture(scope="module")
def curated_dump(built: EvidenceGraph, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("dump")
    assert isinstance(built.store, OxigraphStore)
    dump_store(built.store, directory, issued=ISSUED)
    return directory


def ntriples_graph(path: Path) -> Graph:
    return Graph().parse(data=gzip.decompress(path.read_bytes()).decode(), format="nt")


def void_graph(directory: Path) -> Graph:
    return Graph().parse(directory / VOID_NAME, format="turtle")


# --- byte stability -----------------------------------------------------------------


def test_the_same_triples_loaded_in_two_orders_dump_to_the_same_bytes(
    built: EvidenceGraph, tmp_path: Path
) -> None:
    assert isinstance(built.store, OxigraphStore)
    quads = quads_of(built.store)
    shuffled = quads[:]
    random.Random(4).shuffle(shuffled)
    assert shuffled != quads
    first = store_with(quads, BLANK_NODES)
    second = store_with(shuffled[::-1], BLANK_NODES)
    # the two stores gave the blank nodes different identifiers: their raw dumps differ
    assert first.dump_ntriples() != second.dump_ntriples()
    one, two = dumped(first, tmp_path / "one"), dumped(second, tmp_path / "two")
    for name in FILES:
        assert one[name] == two[name], name
    turtle = one[TURTLE_NAME].decode()
    assert "_:c14n" in turtle  # the blank nodes were labelled canonically


def test_lines_are_sorted_whatever_their_order_and_runs_spill_to_disk(tmp_path: Path) -> None:
    lines = [
        f"<http://example.org/{n % 97}> <http://p/{n % 7}> {n} .\n".encode() for n in range(5000)
    ]
    expected = sorted(set(lines))
    random.Random(1).shuffle(lines)
    assert list(sort_lines(lines + lines[:100], tmp_path)) == expected
    # a tiny budget: many runs on disk, merged, and removed afterwards
    assert list(sort_lines(lines, tmp_path, budget=10_000)) == expected
    assert list(tmp_path.iterdir()) == []


def test_gzip_header_has_no_name_and_no_time(curated_dump: Path) -> None:
    header = (curated_dump / NTRIPLES_NAME).read_bytes()[:10]
    assert header[:3] == b"\x1f\x8b\x08"
    assert header[3] & 0x08 == 0  # no FNAME field
    assert header[4:8] == b"\0\0\0\0"  # MTIME 0


def test_turtle_is_sorted_with_rdf_type_first(curated_dump: Path) -> None:
    text = (curated_dump / TURTLE_NAME).read_text("utf-8")
    blocks = text.split("\n\n")[1:]
    subjects = [block.split(" ", 1)[0] for block in blocks]
    assert len(subjects) == len(set(subjects))  # one block per subject
    kare = next(b for b in blocks if b.startswith("<study/NCT02649231> "))
    assert kare.startswith("<study/NCT02649231> a eg:Trial ;\n")
    verbs = [line.split(" ", 1)[0] for line in kare.splitlines()[1:]]
    assert verbs == sorted(
        verbs,
        key=lambda v: (
            v.replace("dcterms:", "http://purl.org/dc/terms/")
            .replace("rdfs:", "http://www.w3.org/2000/01/rdf-schema#")
            .replace("eg:", EG)
        ),
    )


# --- round trips ----------------------------------------------------------------------


def test_a_dump_reloads_into_a_fresh_store_isomorphic_to_the_original(
    built: EvidenceGraph, curated_dump: Path
) -> None:
    original = built.store.to_graph()
    for name, rdf_format in ((TURTLE_NAME, ox.RdfFormat.TURTLE), (NTRIPLES_NAME, None)):
        data = (curated_dump / name).read_bytes()
        if rdf_format is None:
            data, rdf_format = gzip.decompress(data), ox.RdfFormat.N_TRIPLES
        fresh = OxigraphStore(None)
        fresh.write_quads(
            [],
            [ox.Quad(t.subject, t.predicate, t.object) for t in ox.parse(data, format=rdf_format)],
        )
        assert len(fresh) == len(built.store)
        assert isomorphic(fresh.to_graph(), original), name


def test_turtle_parses_in_rdflib_to_the_triples_of_the_ntriples(
    built: EvidenceGraph, curated_dump: Path
) -> None:
    turtle = Graph().parse(curated_dump / TURTLE_NAME, format="turtle")
    ntriples = ntriples_graph(curated_dump / NTRIPLES_NAME)
    assert len(turtle) == len(ntriples) == len(built.store)
    assert set(turtle) == set(ntriples)


def test_turtle_with_blank_nodes_parses_in_rdflib(built: EvidenceGraph, tmp_path: Path) -> None:
    assert isinstance(built.store, OxigraphStore)
    store = store_with(quads_of(built.store), BLANK_NODES)
    dumped(store, tmp_path)
    turtle = Graph().parse(tmp_path / TURTLE_NAME, format="turtle")
    assert isomorphic(turtle, store.to_graph())
    assert isomorphic(ntriples_graph(tmp_path / NTRIPLES_NAME), store.to_graph())


def test_iris_are_written_relative_only_where_they_resolve_back() -> None:
    base = EGID
    assert relative_reference(EGID + "study/NCT02649231", base) == "study/NCT02649231"
    for awkward in ("/x", "?q", "#f", "a:b/c", "a/../b", "./a", ""):
        assert relative_reference(EGID + awkward, base) is None, awkward
    assert relative_reference("https://example.org/x", base) is None


def test_literals_keep_their_datatypes_and_lexical_forms(tmp_path: Path) -> None:
    xsd = "http://www.w3.org/2001/XMLSchema#"
    objects = [
        '"96"^^<' + xsd + "integer>",
        '"096"^^<' + xsd + "integer>",
        '"1.50"^^<' + xsd + "decimal>",
        '"1."^^<' + xsd + "decimal>",
        '"1e3"^^<' + xsd + "double>",
        '"true"^^<' + xsd + "boolean>",
        '"2016"^^<' + xsd + "gYear>",
        '"a \\"quoted\\" line\\nand another"',
        '"Ketamin"@de',
        '"x"^^<http://example.org/dt>',
    ]
    lines = [f"<{EGID}s> <{EG}p> {o} .\n".encode() for o in objects]
    with (tmp_path / "t.ttl").open("wb") as out:
        TurtleWriter(out, {"eg": EG, "xsd": xsd}, EGID).write(sort_lines(lines, tmp_path))
    expected = {t for t in ox.parse(b"".join(lines), format=ox.RdfFormat.N_TRIPLES)}
    written = (tmp_path / "t.ttl").read_bytes()
    assert set(ox.parse(written, format=ox.RdfFormat.TURTLE)) == expected
    assert b" 96 ," in written or b" 96 ;" in written or b" 96 .\n" in written


# --- void.ttl ----------------------------------------------------------------------------


def sparql_count(graph: Graph, query: str) -> int:
    return int(next(iter(graph.query(query)))[0])  # type: ignore[index]


def test_void_counts_equal_counts_taken_by_sparql(built: EvidenceGraph, curated_dump: Path) -> None:
    # rdflib's SPARQL engine on a copy of the graph: not the engine the dump asked
    graph = built.store.to_graph()
    void = void_graph(curated_dump)
    dataset = next(void.subjects(URIRef(RDF_TYPE), URIRef(VOID + "Dataset")))

    def stated(predicate: str, subject: object = dataset) -> int:
        return int(void.value(subject, URIRef(VOID + predicate)))  # type: ignore[arg-type]

    assert stated("triples") == sparql_count(graph, "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")
    assert stated("entities") == sparql_count(
        graph, "SELECT (COUNT(DISTINCT ?s) AS ?n) { ?s ?p ?o FILTER isIRI(?s) }"
    )
    assert stated("distinctSubjects") == sparql_count(
        graph, "SELECT (COUNT(DISTINCT ?s) AS ?n) { ?s ?p ?o }"
    )
    assert stated("distinctObjects") == sparql_count(
        graph, "SELECT (COUNT(DISTINCT ?o) AS ?n) { ?s ?p ?o }"
    )
    assert stated("properties") == sparql_count(
        graph, "SELECT (COUNT(DISTINCT ?p) AS ?n) { ?s ?p ?o }"
    )
    assert stated("classes") == sparql_count(graph, "SELECT (COUNT(DISTINCT ?c) AS ?n) { ?s a ?c }")
    classes = {
        str(row[0]): int(row[1])  # type: ignore[index]
        for row in graph.query("SELECT ?c (COUNT(DISTINCT ?s) AS ?n) { ?s a ?c } GROUP BY ?c")
    }
    stated_classes = {
        str(void.value(p, URIRef(VOID + "class"))): stated("entities", p)
        for p in void.objects(dataset, URIRef(VOID + "classPartition"))
    }
    assert stated_classes == classes
    properties = {
        str(row[0]): int(row[1])  # type: ignore[index]
        for row in graph.query("SELECT ?p (COUNT(*) AS ?n) { ?s ?p ?o } GROUP BY ?p")
    }
    stated_properties = {
        str(void.value(p, URIRef(VOID + "property"))): stated("triples", p)
        for p in void.objects(dataset, URIRef(VOID + "propertyPartition"))
    }
    assert stated_properties == properties
    assert stated_classes[EG + "Trial"] >= 1


def test_void_checksums_and_sizes_match_the_files(curated_dump: Path) -> None:
    void = void_graph(curated_dump)
    dataset = next(void.subjects(URIRef(RDF_TYPE), URIRef(DCAT + "Dataset")))
    dumps = set(void.objects(dataset, URIRef(VOID + "dataDump")))
    distributions = list(void.objects(dataset, URIRef(DCAT + "distribution")))
    assert len(distributions) == 3
    seen = set()
    for distribution in distributions:
        url = void.value(distribution, URIRef(DCAT + "downloadURL"))
        assert url in dumps
        # named under the default folder the dump is published in, the file's own name last
        assert str(url).startswith(DEFAULT_BASE_URL)
        path = curated_dump / unquote(urlparse(str(url)).path).rsplit("/", 1)[-1]
        checksum = void.value(distribution, URIRef(SPDX + "checksum"))
        assert void.value(checksum, URIRef(SPDX + "algorithm")) == URIRef(
            SPDX + "checksumAlgorithm_sha256"
        )
        value = void.value(checksum, URIRef(SPDX + "checksumValue"))
        assert isinstance(value, Literal)
        assert str(value).lower() == hashlib.sha256(path.read_bytes()).hexdigest()
        size = void.value(distribution, URIRef(DCAT + "byteSize"))
        assert int(size) == path.stat().st_size  # type: ignore[arg-type]
        seen.add(path.name)
    assert seen == {TURTLE_NAME, NTRIPLES_NAME, GRAPHS_NAME}


def test_void_states_licence_version_issued_and_endpoint(
    built: EvidenceGraph, tmp_path: Path
) -> None:
    from evidencegraph import __version__

    assert isinstance(built.store, OxigraphStore)
    plain = dumped(built.store, tmp_path / "plain")[VOID_NAME].decode()
    assert "void:sparqlEndpoint" not in plain
    assert plain.startswith(f"@base <{DEFAULT_BASE_URL}> .\n") and "invalid" not in plain
    with_endpoint = dumped(
        built.store,
        tmp_path / "published",
        sparql_endpoint="https://example.org/sparql",
        base_url="https://example.org/dumps/2025-01-02",
    )[VOID_NAME]
    void = Graph().parse(data=with_endpoint.decode(), format="turtle")
    dataset = URIRef("https://example.org/dumps/2025-01-02/void.ttl#dataset")
    assert void.value(dataset, URIRef(VOID + "sparqlEndpoint")) == URIRef(
        "https://example.org/sparql"
    )
    assert set(void.objects(dataset, URIRef(VOID + "dataDump"))) == {
        URIRef("https://example.org/dumps/2025-01-02/" + TURTLE_NAME),
        URIRef("https://example.org/dumps/2025-01-02/" + NTRIPLES_NAME),
        URIRef("https://example.org/dumps/2025-01-02/" + GRAPHS_NAME),
    }
    assert str(void.value(dataset, URIRef(DCAT + "version"))) == __version__
    assert str(void.value(dataset, URIRef("http://purl.org/dc/terms/issued"))) == "2025-01-02"
    assert void.value(dataset, URIRef("http://purl.org/dc/terms/license")) is not None


# --- bad input for dump -------------------------------------------------------------------


def test_dump_into_a_path_that_cannot_be_a_directory(built: EvidenceGraph, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = CliRunner().invoke(cli, ["--store", "memory:", "dump", str(blocker / "dump")])
    assert result.exit_code == EXIT_ERROR
    assert "cannot write the dump to" in result.output and "a-file" in result.output
    assert blocker.read_text() == "not a directory"


def test_a_failing_dump_leaves_the_previous_files_untouched(
    built: EvidenceGraph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert isinstance(built.store, OxigraphStore)
    before = dumped(built.store, tmp_path)

    def fail(store: object) -> object:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(dump_module, "dataset_statistics", fail)
    extra = store_with(quads_of(built.store), BLANK_NODES)
    with pytest.raises(dump_module.OutputError, match="No space left on device"):
        dump_store(extra, tmp_path, issued=ISSUED)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(FILES)  # no scratch left
    assert {name: (tmp_path / name).read_bytes() for name in FILES} == before


def test_a_directory_in_the_way_of_one_file_replaces_none_of_them(
    built: EvidenceGraph, tmp_path: Path
) -> None:
    assert isinstance(built.store, OxigraphStore)
    before = dumped(built.store, tmp_path)
    (tmp_path / VOID_NAME).unlink()
    (tmp_path / VOID_NAME).mkdir()  # void.ttl cannot be renamed over this
    extra = store_with(quads_of(built.store), BLANK_NODES)
    with pytest.raises(dump_module.OutputError, match="is a directory; nothing was replaced"):
        dump_store(extra, tmp_path, issued=ISSUED)
    for name in (TURTLE_NAME, NTRIPLES_NAME, GRAPHS_NAME):
        assert (tmp_path / name).read_bytes() == before[name]


def test_sparql_endpoint_must_be_an_absolute_url(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--store", "memory:", "dump", str(tmp_path), "--sparql-endpoint", "not a url"]
    )
    assert result.exit_code == EXIT_USAGE
    assert "not an absolute URL" in result.output
    assert list(tmp_path.iterdir()) == []


# --- diff ---------------------------------------------------------------------------------


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def ntriple(s: str, p: str, o: str) -> str:
    return f"{s} {p} {o} ."


def test_diff_of_a_dump_with_itself_is_empty(curated_dump: Path) -> None:
    for name in (NTRIPLES_NAME, TURTLE_NAME):
        result = run("diff", str(curated_dump / name), str(curated_dump / name))
        assert result.exit_code == 0, result.output
        assert result.output == ""
    across = run("diff", str(curated_dump / NTRIPLES_NAME), str(curated_dump / TURTLE_NAME))
    assert across.exit_code == 0 and across.output == ""


@pytest.fixture(scope="module")
def changed_dump(built: EvidenceGraph, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The curated graph with two known triples taken out and two put in, dumped."""
    assert isinstance(built.store, OxigraphStore)
    store = store_with(quads_of(built.store))
    store.write_quads(list(REMOVED), list(ADDED))
    directory = tmp_path_factory.mktemp("changed")
    dump_store(store, directory, issued=ISSUED)
    return directory


KARE = ox.NamedNode(EGID + "study/NCT02649231")
REMOVED = (
    ox.Quad(KARE, ox.NamedNode(EG + "acronym"), ox.Literal("KARE")),
    ox.Quad(KARE, ox.NamedNode(EG + "eudractNumber"), ox.Literal("2015-000222-11")),
)
ADDED = (
    ox.Quad(KARE, ox.NamedNode(EG + "acronym"), ox.Literal("KARE-1")),
    ox.Quad(
        ox.NamedNode(EGID + "drug/ketamine"),
        ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment"),
        ox.Literal("an NMDA receptor antagonist", language="en"),
    ),
)


def test_diff_shows_exactly_the_triples_added_and_removed(
    curated_dump: Path, changed_dump: Path
) -> None:
    for name in (NTRIPLES_NAME, TURTLE_NAME):
        result = run("diff", str(curated_dump / name), str(changed_dump / name))
        assert result.exit_code == 0, result.output
        lines = result.output.splitlines()
        expected = {f"- {q.subject} {q.predicate} {q.object} ." for q in REMOVED} | {
            f"+ {q.subject} {q.predicate} {q.object} ." for q in ADDED
        }
        assert set(lines) == expected
        assert lines == sorted(lines, key=lambda line: line[2:])


def test_diff_summary_counts_per_class(curated_dump: Path, changed_dump: Path) -> None:
    result = run(
        "diff", "--summary", str(curated_dump / NTRIPLES_NAME), str(changed_dump / NTRIPLES_NAME)
    )
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split()[1:] for line in result.output.splitlines()[1:]}
    assert rows == {"eg:Drug": ["1", "0"], "eg:Trial": ["1", "2"]}


def test_diff_on_a_file_that_is_not_rdf(curated_dump: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.nt"
    broken.write_text('<http://example.org/a> <http://example.org/b> "c" .\nthis is not RDF\n')
    result = CliRunner().invoke(cli, ["diff", str(curated_dump / NTRIPLES_NAME), str(broken)])
    assert result.exit_code == EXIT_ERROR
    assert f"{broken}:2:" in result.output
    assert "evidencegraph dump" in result.output  # what to do
    assert "+ " not in result.output and "- " not in result.output  # no partial output


def test_diff_on_a_missing_file_or_a_broken_gzip(curated_dump: Path, tmp_path: Path) -> None:
    missing = tmp_path / "missing.nt"
    result = CliRunner().invoke(cli, ["diff", str(missing), str(curated_dump / NTRIPLES_NAME)])
    assert result.exit_code == EXIT_ERROR
    assert str(missing) in result.output and "cannot read" in result.output
    truncated = tmp_path / "truncated.nt.gz"
    truncated.write_bytes((curated_dump / NTRIPLES_NAME).read_bytes()[:500])
    result = CliRunner().invoke(cli, ["diff", str(truncated), str(curated_dump / NTRIPLES_NAME)])
    assert result.exit_code == EXIT_ERROR
    assert str(truncated) in result.output
    assert "Traceback" not in result.output


def test_dump_and_diff_through_the_cli(tmp_path: Path) -> None:
    store = f"oxigraph:{tmp_path / 'kg.db'}"
    assert run("--store", store, "build").exit_code == 0
    result = run("--store", store, "dump", str(tmp_path / "out"), "--issued", "2025-01-02")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Dumped ")
    for name in FILES:
        digest = hashlib.sha256((tmp_path / "out" / name).read_bytes()).hexdigest()
        assert f"{name}  " in result.output and digest in result.output
    again = run("--store", store, "dump", str(tmp_path / "again"), "--issued", "2025-01-02")
    assert again.exit_code == 0
    for name in FILES:
        assert (tmp_path / "out" / name).read_bytes() == (tmp_path / "again" / name).read_bytes()


# --- issue 14: every file of a dump reads alone; relative IRIs resolve against the file ------


def cli_run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_every_file_of_a_dump_reads_with_plain_pyoxigraph_and_every_command(
    built: EvidenceGraph, curated_dump: Path, tmp_path: Path
) -> None:
    """void.ttl was written with relative IRIs and no @base: pyoxigraph, load, validate and
    diff all refused it ("No scheme found in an absolute IRI")."""
    assert isinstance(built.store, OxigraphStore)
    curated = {ox.Triple(q.subject, q.predicate, q.object) for q in built.store.quads()}
    plain = tmp_path / "evidencegraph.nt"
    plain.write_bytes(gzip.decompress((curated_dump / NTRIPLES_NAME).read_bytes()))
    for path, syntax in (
        (curated_dump / TURTLE_NAME, ox.RdfFormat.TURTLE),
        (plain, ox.RdfFormat.N_TRIPLES),
        (curated_dump / VOID_NAME, ox.RdfFormat.TURTLE),
    ):
        triples = {  # read with no base IRI given
            ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(path=path, format=syntax)
        }
        assert all(
            "://" in term.value
            for t in triples
            for term in (t.subject, t.predicate, t.object)
            if isinstance(term, ox.NamedNode)
        )
        if path.name != VOID_NAME:
            assert triples == curated
        for command in (
            ("--store", f"oxigraph:{tmp_path / ('db-' + path.name)}", "load", path),
            ("validate", path),
            ("diff", path, path),
        ):
            result = cli_run(*command)
            assert result.exit_code == 0, (command, result.output)
    # the .gz file diff reads as it is: it equals the Turtle
    result = cli_run("diff", curated_dump / NTRIPLES_NAME, curated_dump / TURTLE_NAME)
    assert result.exit_code == 0 and result.output == ""
    void = Graph().parse(curated_dump / VOID_NAME, format="turtle")
    dataset = URIRef(DEFAULT_BASE_URL + "void.ttl#dataset")
    assert (dataset, URIRef(RDF_TYPE), URIRef(VOID + "Dataset")) in void


RELATIVE = f"""@prefix eg: <{EG}> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<risk/relative-risk> a eg:Risk ; rdfs:label "a risk named by a relative IRI" .
"""


def test_a_file_with_relative_iris_loads_against_its_location_or_the_base(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    data = folder / "relative.ttl"
    data.write_text(RELATIVE)
    here = ox.NamedNode(folder.resolve().as_uri() + "/risk/relative-risk")
    chosen = ox.NamedNode(EGID + "risk/relative-risk")
    for args, expected in (((), here), (("--base", EGID), chosen)):
        db = tmp_path / f"kg-{len(args)}.db"
        result = cli_run("--store", f"oxigraph:{db}", "load", *args, data)
        assert result.exit_code == 0, result.output
        store = OxigraphStore(db)
        try:
            subjects = {q.subject for q in store.quads()}
        finally:
            store.close()
        assert subjects == {expected}
    result = cli_run("validate", "--base", EGID, data)
    assert result.exit_code == 0, result.output
    assert cli_run("validate", data).exit_code == 0


def test_a_base_that_is_not_an_absolute_iri_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "relative.ttl"
    data.write_text(RELATIVE)
    db = tmp_path / "kg.db"
    result = cli_run("--store", f"oxigraph:{db}", "load", "--base", "risk/", data)
    assert result.exit_code == EXIT_USAGE
    assert "not an absolute URL" in result.output
    result = cli_run("--store", f"oxigraph:{db}", "validate", "--base", EGID)
    assert result.exit_code == EXIT_USAGE
    assert "--base is for FILES" in result.output


def test_load_and_validate_of_the_gzipped_dump_say_to_unpack_it(
    curated_dump: Path, tmp_path: Path
) -> None:
    """`load dump/evidencegraph.nt.gz` said "cannot tell the RDF format from the extension
    '.gz'", and with --format nt a parser error at 1:1: neither says the file is compressed
    and what to do. load and validate read RDF uncompressed (docs/dump.md)."""
    gzipped = curated_dump / NTRIPLES_NAME
    store = tmp_path / "kg.db"
    for command in (
        ("--store", f"oxigraph:{store}", "load", gzipped),
        ("--store", f"oxigraph:{store}", "load", "--format", "nt", gzipped),
        ("validate", gzipped),
        ("validate", "--format", "nt", gzipped),
    ):
        result = cli_run(*command)
        assert result.exit_code == EXIT_USAGE, (command, result.output)
        assert "gzip" in result.output and f"gunzip -k {gzipped}" in result.output, result.output
        assert "Traceback" not in result.output
    assert not store.exists() or len(OxigraphStore(store, read_only=True)) == 0
