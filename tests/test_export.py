"""`evidencegraph export`: what is chosen (focus and hops, a query, a class), that provenance
comes along, every format read back by another tool, and every bad input refused cleanly."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pyoxigraph as ox
import pytest
from click.testing import CliRunner, Result
from rdflib import RDF, RDFS, Graph, URIRef
from rdflib.compare import isomorphic

from evidencegraph.cli.main import cli
from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.ontology.namespace import EG, EGID, PREFIXES

KARE = EGID["study/NCT02649231"]
KARE_ARM = EGID["study/NCT02649231/arm/ketamine-therapy"]
KARE_PAPER = EGID["source/doi/10.1176/appi.ajp.2021.21030277"]
KETAMINE = EGID["drug/ketamine"]


@pytest.fixture(scope="module")
def db(built: EvidenceGraph, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A copy of the built curated store, so that the CLI can open it on its own."""
    path = tmp_path_factory.mktemp("export") / "kg.db"
    built.store.close()
    try:
        shutil.copytree(built.store.path, path)  # type: ignore[attr-defined]
    finally:
        built.store.__init__(built.store.path)  # type: ignore[misc]
    yield f"oxigraph:{path}"


def export(db: str, *args: str | Path) -> Result:
    return CliRunner().invoke(cli, ["--store", db, "export", *(str(a) for a in args)])


def turtle(result: Result) -> Graph:
    assert result.exit_code == 0, result.output
    return Graph().parse(data=result.stdout_bytes, format="turtle")


def sparql_graph(built: EvidenceGraph, query: str) -> Graph:
    result = built.query(query)
    assert result.graph is not None
    return result.graph


# --- what is chosen ------------------------------------------------------------------------


def test_one_hop_holds_every_triple_of_the_study_both_ways(built: EvidenceGraph, db: str) -> None:
    exported = turtle(export(db, "--focus", "NCT02649231"))
    expected = sparql_graph(
        built,
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {{ <{KARE}> ?p ?o BIND(<{KARE}> AS ?s) }} "
        f"UNION {{ ?s ?p <{KARE}> BIND(<{KARE}> AS ?o) }} }}",
    )
    assert len(expected) > 20
    missing = [t for t in expected if t not in exported]
    assert not missing, missing[:5]
    # the arms are one hop away: linked, but their own triples are not in a 1-hop export
    assert (KARE, EG.hasArm, KARE_ARM) in exported
    assert (KARE_ARM, EG.armRole, None) not in exported


def test_two_hops_reach_the_arms_own_triples(built: EvidenceGraph, db: str) -> None:
    exported = turtle(export(db, "--focus", "egid:study/NCT02649231", "--hops", "2"))
    arm = sparql_graph(built, f"CONSTRUCT {{ <{KARE_ARM}> ?p ?o }} WHERE {{ <{KARE_ARM}> ?p ?o }}")
    assert len(arm) > 3
    assert all(t in exported for t in arm)


def test_provenance_comes_along(built: EvidenceGraph, db: str) -> None:
    """Every claim about the study, with the source that asserts it, and the study's sources."""
    exported = turtle(export(db, "--focus", str(KARE), "--hops", "0"))
    claims = {
        row["c"]
        for row in built.query(f"SELECT ?c WHERE {{ ?c a <{EG.Claim}> ; ?p <{KARE}> }}").rows
    }
    assert len(claims) >= 5
    for claim in claims:
        source = built.query(f"SELECT ?s WHERE {{ <{claim}> <{EG.assertedBy}> ?s }}").rows[0]["s"]
        assert (claim, EG.quote, None) in exported
        assert (source, RDF.type, None) in exported  # the asserting source, described
    assert (KARE_PAPER, EG.reports, KARE) in exported
    assert (KARE_PAPER, EG.peerReviewed, None) in exported


def test_a_construct_query_exports_what_it_builds(db: str, tmp_path: Path) -> None:
    query = tmp_path / "arms.rq"
    query.write_text(
        f"PREFIX eg: <{EG}>\n"
        "CONSTRUCT { ?study eg:hasArm ?arm } WHERE { ?study eg:hasArm ?arm }"
    )
    exported = turtle(export(db, "--query", query))
    assert (KARE, EG.hasArm, KARE_ARM) in exported


def test_a_type_exports_every_instance(built: EvidenceGraph, db: str) -> None:
    exported = turtle(export(db, "--type", "eg:Outcome"))
    outcomes = {r["o"] for r in built.query(f"SELECT ?o WHERE {{ ?o a <{EG.Outcome}> }}").rows}
    assert outcomes and all((o, RDF.type, EG.Outcome) in exported for o in outcomes)


# --- how it is written: every format read back ----------------------------------------------


@pytest.mark.parametrize(
    ("name", "rdflib_format"),
    [
        ("kare.ttl", "turtle"),
        ("kare.nt", "nt"),
        ("kare.nq", "nquads"),
        ("kare.trig", "trig"),
        ("kare.jsonld", "json-ld"),
        ("kare.rdf", "xml"),
    ],
)
def test_every_rdf_format_round_trips(
    db: str, tmp_path: Path, name: str, rdflib_format: str
) -> None:
    reference = turtle(export(db, "--focus", "NCT02649231", "--format", "turtle"))
    path = tmp_path / name
    result = export(db, "--focus", "NCT02649231", "-o", path)
    assert result.exit_code == 0, result.output
    if rdflib_format in ("nquads", "trig"):
        from rdflib import Dataset

        dataset = Dataset()
        dataset.parse(path, format=rdflib_format)
        read = Graph()
        for s, p, o, _ in dataset.quads((None, None, None, None)):
            read.add((s, p, o))
    else:
        read = Graph().parse(path, format=rdflib_format)
    assert isomorphic(read, reference)


def test_jsonld_is_compacted_with_the_package_context(db: str) -> None:
    result = export(db, "--focus", "NCT02649231", "--format", "jsonld")
    document = json.loads(result.stdout)
    assert document["@context"]["eg"] == PREFIXES["eg"]
    assert "@graph" in document
    assert '"https://w3id.org/evidencegraph/ontology#hasArm"' not in result.stdout


@pytest.mark.parametrize("fmt", ["jsonld", "turtle", "nt", "trig", "dot", "graphml", "html"])
def test_an_export_is_the_same_bytes_under_any_hash_seed(db: str, fmt: str, tmp_path: Path) -> None:
    """Python's hash seed changes set order from one run to the next; an export must not."""
    outputs = []
    for seed in ("1", "2", "3"):
        target = tmp_path / f"seed{seed}.{fmt}"
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "evidencegraph",
                "--store",
                db,
                "export",
                "--focus",
                "NCT02649231",
                "--hops",
                "1",
                "--format",
                fmt,
                "-o",
                str(target),
            ],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            check=False,
        )
        assert completed.returncode == 0, completed.stderr.decode()
        outputs.append(target.read_bytes())
    assert outputs[0] == outputs[1] == outputs[2]
    assert outputs[0].endswith(b"\n")


def test_kgx_tsv_files_read_back_with_the_csv_module(db: str, tmp_path: Path) -> None:
    result = export(db, "--focus", "NCT02649231", "--format", "csv", "-o", tmp_path / "kare")
    assert result.exit_code == 0, result.output
    with (tmp_path / "kare_nodes.tsv").open(newline="") as handle:
        nodes = list(csv.DictReader(handle, delimiter="\t"))
    with (tmp_path / "kare_edges.tsv").open(newline="") as handle:
        edges = list(csv.DictReader(handle, delimiter="\t"))
    kare = next(n for n in nodes if n["id"] == "egid:study/NCT02649231")
    assert "eg:Trial" in kare["category"].split("|")
    assert kare["name"]
    assert {
        "subject": "egid:study/NCT02649231",
        "predicate": "eg:hasArm",
        "object": "egid:study/NCT02649231/arm/ketamine-therapy",
    }.items() <= next(e for e in edges if e["object"].endswith("arm/ketamine-therapy")).items()
    assert len({e["id"] for e in edges}) == len(edges)


@pytest.mark.parametrize(
    ("suffix", "reader"), [(".graphml", nx.read_graphml), (".gexf", nx.read_gexf)]
)
def test_graphml_and_gexf_read_back_with_networkx(
    db: str, tmp_path: Path, suffix: str, reader: object
) -> None:
    path = tmp_path / f"kare{suffix}"
    result = export(db, "--focus", "NCT02649231", "-o", path)
    assert result.exit_code == 0, result.output
    graph = reader(path)  # type: ignore[operator]
    kare = graph.nodes[str(KARE)]
    assert kare["type"] == "eg:Trial" and kare["label"].startswith("Adjunctive Ketamine")
    assert "NCT02649231" in kare["identifiers"].split()
    assert graph.has_edge(str(KARE), str(KARE_ARM))


def test_dot_names_nodes_by_label(db: str) -> None:
    result = export(db, "--focus", "NCT02649231", "--format", "dot")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("digraph")
    assert "ketamine + relapse-prevention based therapy" in result.stdout  # an arm's label


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
@pytest.mark.parametrize(("suffix", "magic"), [(".svg", b"<svg"), (".png", b"\x89PNG")])
def test_the_kare_picture_is_drawn(db: str, tmp_path: Path, suffix: str, magic: bytes) -> None:
    path = tmp_path / f"kare{suffix}"
    result = export(db, "--focus", "NCT02649231", "--hops", "2", "-o", path)
    assert result.exit_code == 0, result.output
    data = path.read_bytes()
    assert magic in data[:400]
    assert len(data) > 10_000


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_the_html_page_is_self_contained(db: str, tmp_path: Path) -> None:
    path = tmp_path / "kare.html"
    assert export(db, "--focus", "NCT02649231", "-o", path).exit_code == 0
    page = path.read_text()
    assert "<svg" in page and "<script>" in page
    assert "http://" not in page.split("<svg")[0]  # nothing fetched from elsewhere
    assert "src=" not in page


def test_the_html_page_comes_from_a_template_and_escapes_every_term() -> None:
    """The page was a Python string filled by hand; it is a packaged Jinja2 template with
    autoescaping, and only the SVG Graphviz drew goes in as it is."""
    from evidencegraph.export.picture import html

    hostile = ox.Literal("</td><script>alert(1)</script>{{ rows }}")
    quad = ox.Quad(
        ox.NamedNode("https://w3id.org/evidencegraph/id/x"), ox.NamedNode(RDFS.label), hostile
    )
    page = html([quad], b'<?xml version="1.0"?>\n<svg><g class="node"/></svg>').decode()
    assert "<script>alert(1)" not in page
    assert "&lt;/td&gt;&lt;script&gt;alert(1)&lt;/script&gt;{{ rows }}" in page
    assert '<svg><g class="node"/></svg>' in page and "<?xml" not in page
    assert "1 triples" in page


# --- bad input ----------------------------------------------------------------------------


def test_an_unknown_focus_suggests_close_matches(db: str) -> None:
    result = export(db, "--focus", "ketamne")
    assert result.exit_code == 2
    assert "nothing in the store is named 'ketamne'" in result.output
    assert "Close matches: ketamine" in result.output


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("2015-000222-11", KARE),  # KARE's EudraCT number
        ("ketamine", KETAMINE),  # the drug, not the interventions that share its name
        ("<https://w3id.org/evidencegraph/id/study/NCT02649231>", KARE),
        ("Ketamine + Relapse-Prevention Based Therapy", KARE_ARM),  # a label, any case
    ],
)
def test_a_focus_is_named_as_the_network_commands_name_nodes(
    db: str, name: str, expected: URIRef
) -> None:
    exported = turtle(export(db, "--focus", name, "--hops", "0"))
    assert (expected, RDF.type, None) in exported


def test_a_name_shared_by_several_nodes_lists_them(db: str) -> None:
    result = export(db, "--focus", "alcohol education")  # two arms and an intervention
    assert result.exit_code == 2
    assert "'alcohol education' names 3 nodes" in result.output
    assert "give one IRI" in result.output


def test_negative_hops_are_refused(db: str) -> None:
    result = export(db, "--focus", "NCT02649231", "--hops", "-1")
    assert result.exit_code == 2
    assert "--hops must be 0 or more" in result.output


def test_too_many_triples_stop_with_the_count(db: str, tmp_path: Path) -> None:
    path = tmp_path / "big.ttl"
    result = export(db, "--focus", "NCT02649231", "--hops", "3", "--max-triples", "100", "-o", path)
    assert result.exit_code == 2
    assert "more than --max-triples 100" in result.output
    assert not path.exists()
    assert not list(tmp_path.iterdir())  # not even a temporary file


def test_a_construct_with_a_syntax_error(db: str, tmp_path: Path) -> None:
    query = tmp_path / "broken.rq"
    query.write_text("CONSTRUCT { ?s ?p ?o WHERE { ?s ?p ?o }")
    result = export(db, "--query", query)
    assert result.exit_code == 2
    assert "broken.rq" in result.output and "syntax error" in result.output.lower()


def test_a_select_query_is_refused(db: str) -> None:
    result = export(db, "--query", "drug-with-psychotherapy")
    assert result.exit_code == 2
    assert "not a CONSTRUCT or DESCRIBE query" in result.output


def test_an_unknown_format_and_an_unguessable_name(db: str, tmp_path: Path) -> None:
    assert export(db, "--focus", "NCT02649231", "--format", "xlsx").exit_code == 2
    result = export(db, "--focus", "NCT02649231", "-o", tmp_path / "kare.xlsx")
    assert result.exit_code == 2
    assert "cannot tell the format from 'kare.xlsx'" in result.output


def test_an_output_that_cannot_be_written(db: str, tmp_path: Path) -> None:
    result = export(db, "--focus", "NCT02649231", "-o", tmp_path / "no" / "such" / "kare.ttl")
    assert result.exit_code == 3
    assert "cannot write" in result.output


def test_an_unknown_class(db: str) -> None:
    result = export(db, "--type", "eg:Trail")
    assert result.exit_code == 2
    assert "Close matches: eg:Trial" in result.output


def test_nothing_or_two_things_chosen(db: str) -> None:
    assert export(db).exit_code == 2
    assert export(db, "--focus", "NCT02649231", "--type", "eg:Trial").exit_code == 2


def test_the_store_contract_for_links_holds_on_both_paths(built: EvidenceGraph) -> None:
    """Oxigraph's index lookups give what the generic SPARQL lookup gives."""
    from evidencegraph.store.core import OxigraphStore, Store

    store = built.store
    assert isinstance(store, OxigraphStore)
    nodes = [ox.NamedNode(str(KARE)), ox.NamedNode(str(KETAMINE))]
    assert store.links(nodes, nodes) == Store.links(store, nodes, nodes)
    naming = [
        ox.NamedNode(str(RDF.type)),
        ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
    ]
    assert store.about(nodes, naming) == Store.about(store, nodes, naming)
    assert len(store.about(nodes, naming)) >= 3  # KARE's type; ketamine's type and label


def test_one_hop_brings_the_provenance_of_the_nodes_it_describes_and_names_the_rest(
    built: EvidenceGraph, db: str
) -> None:
    """With one hop the study is described in full (its claims come along); its arms are at
    the edge: typed and named, their own triples and claims left for a second hop."""
    exported = turtle(export(db, "--focus", "NCT02649231"))
    claims = {
        row["c"]
        for row in built.query(f"SELECT ?c WHERE {{ ?c a <{EG.Claim}> ; ?p <{KARE}> }}").rows
    }
    assert claims and all((claim, EG.quote, None) in exported for claim in claims)
    arm_label = built.query(f"SELECT ?l WHERE {{ <{KARE_ARM}> <{RDFS.label}> ?l }}").rows[0]["l"]
    assert (KARE_ARM, RDFS.label, arm_label) in exported
    assert (KARE_ARM, RDF.type, EG.Arm) in exported
    assert (KARE_ARM, EG.armRole, None) not in exported


def test_kgx_nodes_hold_every_end_of_every_edge(db: str, tmp_path: Path) -> None:
    assert (
        export(db, "--focus", "NCT02649231", "--format", "csv", "-o", tmp_path / "k").exit_code == 0
    )
    with (tmp_path / "k_nodes.tsv").open(newline="") as handle:
        nodes = {row["id"] for row in csv.DictReader(handle, delimiter="\t")}
    with (tmp_path / "k_edges.tsv").open(newline="") as handle:
        ends = {
            row[end]
            for row in csv.DictReader(handle, delimiter="\t")
            for end in ("subject", "object")
        }
    assert ends <= nodes
    assert "egv:Phase2" in nodes  # a concept the trial points at, untyped in the export


def test_a_png_is_not_written_to_the_terminal(db: str) -> None:
    result = export(db, "--focus", "NCT02649231", "--format", "png")
    assert result.exit_code == 2
    assert "give -o FILE.png" in result.output


def test_a_label_with_a_colon_is_looked_up_as_a_label(db: str) -> None:
    """``eg:foo bar`` is no IRI; the export says nothing has that name instead of failing."""
    result = export(db, "--focus", "eg:no such / thing")
    assert result.exit_code == 2
    assert "nothing in the store is named 'eg:no such / thing'" in result.output


def test_the_query_parameters_are_bound(db: str, tmp_path: Path) -> None:
    query = tmp_path / "arms-of.rq"
    query.write_text(
        "# name: arms-of\n# param: trial iri -- the trial\n"
        f"PREFIX eg: <{EG}>\n"
        "CONSTRUCT { ?trial eg:hasArm ?arm } WHERE { ?trial eg:hasArm ?arm }"
    )
    exported = turtle(export(db, "--query", query, "--param", f"trial={KARE}"))
    arms = {o for _, p, o in exported.triples((None, EG.hasArm, None))}
    assert KARE_ARM in arms
    assert {s for s, _, _ in exported.triples((None, EG.hasArm, None))} == {KARE}


def test_a_type_is_filtered_by_drug_and_condition_as_the_named_queries_are(
    built: EvidenceGraph, db: str
) -> None:
    exported = turtle(export(db, "--type", "eg:Trial", "--param", "drug=KETAMINE"))
    with_ketamine = {
        row["t"]
        for row in built.query(
            f"SELECT DISTINCT ?t WHERE {{ ?t a <{EG.Trial}> ; <{EG.hasArm}>/<{EG.receives}>/"
            f"<{EG.drug}>/<{RDFS.label}> ?name FILTER(LCASE(STR(?name)) = 'ketamine') }}"
        ).rows
    }
    trials = set(exported.subjects(RDF.type, EG.Trial))
    assert KARE in with_ketamine
    assert trials == with_ketamine
    findings = turtle(
        export(db, "--type", "eg:Finding", "--param", "condition=alcohol use disorder")
    )
    studies = {o for o in findings.objects(None, EG.ofStudy)}
    assert KARE in studies
    aud = EGID["condition/alcohol-use-disorder"]
    for study in studies:
        assert built.query(f"ASK {{ <{study}> <{EG.studiesCondition}> <{aud}> }}").boolean


def test_a_type_filter_the_named_queries_do_not_have_is_refused(db: str) -> None:
    result = export(db, "--type", "eg:Trial", "--param", "phase=2")
    assert result.exit_code == 2
    assert "--type takes --param drug or condition, not phase" in result.output


# --- issue 14: more hops hold more, every node named, hard caps, names, pictures -------------

RDF_TYPE_IRI = str(RDF.type)
NAMES = {str(RDFS.label), "http://purl.org/dc/terms/title", str(EG.statement), str(EG.quote)}
DAKWAR = EGID["study/dakwar-2019"]


def triples_of(result: Result) -> set[ox.Triple]:
    assert result.exit_code == 0, result.output
    return {
        ox.Triple(q.subject, q.predicate, q.object)
        for q in ox.parse(result.stdout_bytes, format=ox.RdfFormat.N_TRIPLES)
    }


@pytest.mark.parametrize(
    "focus",
    [
        "NCT02649231",
        "egid:study/dakwar-2019",
        "ketamine",
        "alcohol use disorder",
        "egid:claim/000/awakn-trial-uk-2021",
        "egv:Phase2",  # a term of the model: its incoming links are not followed
    ],
)
def test_more_hops_never_hold_less(db: str, focus: str) -> None:
    """N+1 hops hold everything N hops hold (``--hops 1`` of KARE held less than ``--hops 0``:
    the findings pointing at the study lost their type and statement)."""
    before: set[ox.Triple] = set()
    for hops in range(4):
        now = triples_of(export(db, "--focus", focus, "--hops", str(hops), "--format", "nt"))
        lost = before - now
        assert not lost, (focus, hops, sorted(map(str, lost))[:3])
        before = now


@pytest.mark.parametrize("hops", ["0", "1", "2"])
def test_every_node_of_the_graph_an_export_writes_is_typed_and_named(db: str, hops: str) -> None:
    triples = triples_of(export(db, "--focus", "NCT02649231", "--hops", hops, "--format", "nt"))
    nodes = {t.subject for t in triples} | {t.object for t in triples}
    ours = {n for n in nodes if isinstance(n, ox.NamedNode) and n.value.startswith(str(EGID))}
    typed = {t.subject for t in triples if t.predicate.value == RDF_TYPE_IRI}
    named = {t.subject for t in triples if t.predicate.value in NAMES}
    assert ours - typed == set()
    assert ours - named == set()
    # the findings of KARE point at it: they come with their type and statement
    finding = ox.NamedNode(f"{EGID}finding/NCT02649231/pda-ketamine-vs-saline")
    assert ox.Triple(finding, ox.NamedNode(RDF_TYPE_IRI), ox.NamedNode(str(EG.Finding))) in triples


def dot_nodes(dot: str) -> dict[str, dict[str, str]]:
    """The node statements of a DOT graph this package writes: IRI -> attributes."""
    import re

    found: dict[str, dict[str, str]] = {}
    for line in dot.splitlines():
        match = re.match(r'  "([^"]+)" \[(.*)\];$', line)
        if match and "->" not in line:
            found[match.group(1)] = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(2)))
    return found


def test_a_picture_names_every_node_and_labels_links_in_words(db: str) -> None:
    result = export(db, "--focus", "NCT02649231", "--hops", "2", "--format", "dot")
    assert result.exit_code == 0, result.output
    nodes = dot_nodes(result.stdout)
    assert len(nodes) > 30
    unnamed = {iri: a["label"] for iri, a in nodes.items() if a["label"].startswith("egid:")}
    assert not unnamed  # no raw CURIE for a name
    assert not [iri for iri in nodes if not iri.startswith(str(EGID))]  # no model terms
    # another study of the condition is shown by its title, not its IRI
    assert nodes[str(DAKWAR)]["label"].startswith("A Single Ketamine Infusion")
    assert f'"{KARE}" -> "{KARE_ARM}" [label="has arm"];' in result.stdout
    assert 'label="eg:' not in result.stdout and 'label="prov:' not in result.stdout


def test_a_picture_colours_claims_by_verification_status_with_a_legend(
    built: EvidenceGraph, db: str
) -> None:
    from evidencegraph.export.picture import status_colour

    result = export(db, "--focus", "NCT02649231", "--format", "dot")
    nodes = dot_nodes(result.stdout)
    rows = built.query(
        f"SELECT ?c ?status WHERE {{ ?c a <{EG.Claim}> ; <{EG.about}> <{KARE}> ; "
        f"<{EG.verificationStatus}> ?status }}"
    ).rows
    statuses = {str(row["status"]) for row in rows}
    assert len(statuses) >= 2  # confirmed and misreported claims (FACTS.md)
    for row in rows:
        assert nodes[str(row["c"])]["fillcolor"] == status_colour(str(row["status"]))
    assert len({status_colour(s) for s in statuses}) == len(statuses)
    legend = next(line for line in result.stdout.splitlines() if line.startswith("  legend "))
    assert "claim: misreported" in legend and "claim: confirmed" in legend
    assert ">trial<" in legend and ">arm<" in legend


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_the_drawn_picture_holds_the_legend_and_the_words(db: str, tmp_path: Path) -> None:
    path = tmp_path / "kare.svg"
    assert export(db, "--focus", "NCT02649231", "-o", path).exit_code == 0
    svg = path.read_text()
    assert "claim: misreported" in svg and "has arm" in svg
    assert "egid:finding" not in svg


@pytest.mark.parametrize(
    ("args", "advice"),
    [
        (("--focus", "NCT02649231", "--hops", "2"), "fewer --hops"),
        (("--type", "eg:Trial"), "--param drug=NAME"),
    ],
)
def test_max_triples_is_a_hard_cap(
    db: str, tmp_path: Path, args: tuple[str, ...], advice: str
) -> None:
    """The names of the nodes at the edge count too: exactly the limit passes, one less does
    not, and the refusal fits how the export was chosen."""
    full = triples_of(export(db, *args, "--format", "nt"))
    at_limit = triples_of(export(db, *args, "--format", "nt", "--max-triples", str(len(full))))
    assert at_limit == full
    path = tmp_path / "over.nt"
    result = export(db, *args, "--max-triples", str(len(full) - 1), "-o", path)
    assert result.exit_code == 2
    assert f"more than --max-triples {len(full) - 1:,}" in result.output
    assert advice in result.output
    assert not list(tmp_path.iterdir())


def test_the_type_refusal_does_not_talk_about_hops(db: str) -> None:
    result = export(db, "--type", "eg:Trial", "--max-triples", "10")
    assert result.exit_code == 2
    assert "hops" not in result.output
    assert "--type eg:Trial" in result.output


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("KARE", KARE),  # the study's acronym
        ("kare", KARE),
        ("KEDA", EGID["study/NCT06090422"]),  # an acronym in mixed case (KeDA)
        ("dakwar-2019", DAKWAR),  # the last part of its IRI
    ],
)
def test_a_focus_is_named_by_acronym_or_the_end_of_its_iri(
    db: str, name: str, expected: URIRef
) -> None:
    exported = turtle(export(db, "--focus", name, "--hops", "0"))
    assert (expected, RDF.type, EG.Trial) in exported
    assert (expected, EG.hasArm, None) in exported  # described, not just named


def test_an_export_that_matches_nothing_says_so_and_writes_nothing(db: str, tmp_path: Path) -> None:
    path = tmp_path / "none.ttl"
    result = export(db, "--type", "eg:Trial", "--param", "drug=no such drug", "-o", path)
    assert result.exit_code == 1
    assert "matches nothing" in result.output and "nothing was written" in result.output
    assert not list(tmp_path.iterdir())
    query = tmp_path / "empty.rq"
    query.write_text(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o ; a <{EG}NoSuchClass> }}")
    result = export(db, "--query", query, "-o", tmp_path / "none.nt")
    assert result.exit_code == 1
    assert "matches nothing" in result.output
    assert not (tmp_path / "none.nt").exists()


def test_kgx_names_the_model_terms_it_points_at(db: str, tmp_path: Path) -> None:
    assert export(db, "--focus", "NCT02649231", "-o", tmp_path / "k.tsv").exit_code == 0
    with (tmp_path / "k_nodes.tsv").open(newline="") as handle:
        nodes = {row["id"]: row for row in csv.DictReader(handle, delimiter="\t")}
    phase = nodes["egv:Phase2"]
    assert phase["category"] == "skos:Concept" and phase["name"]
    ours = [row for node, row in nodes.items() if node.startswith("egid:")]
    assert ours and all(row["category"] and row["name"] for row in ours)


def test_type_takes_a_bare_class_name_as_network_central_does() -> None:
    """`network central --type Trial` works, and the README shows it; `export --type Trial`
    was refused ("'Trial' is not a class of the model ... Give a CURIE such as eg:Trial")."""
    from evidencegraph.export.select import resolve_class

    assert resolve_class("Trial") == resolve_class("eg:Trial") == ox.NamedNode(str(EG.Trial))
    assert resolve_class("Finding") == ox.NamedNode(str(EG.Finding))
    refused = CliRunner().invoke(cli, ["--store", "memory:", "export", "--type", "Trail"])
    assert refused.exit_code == 2 and "Close matches" in refused.output


def test_kgx_writes_every_node_typed_and_named_and_outside_iris_as_xrefs(
    db: str, tmp_path: Path
) -> None:
    """A MeSH term a condition is mapped to was a node with no category and no name; KGX
    carries such identifiers as the ``xref`` of the node that names them."""
    result = export(db, "--focus", "alcohol use disorder", "--hops", "0", "-o", tmp_path / "c.tsv")
    assert result.exit_code == 0, result.output
    with (tmp_path / "c_nodes.tsv").open(newline="") as handle:
        nodes = {row["id"]: row for row in csv.DictReader(handle, delimiter="\t")}
    assert all(row["category"] and row["name"] for row in nodes.values()), [
        node for node, row in nodes.items() if not (row["category"] and row["name"])
    ]
    # concepts.ttl maps alcohol use disorder to MeSH D000437 (Alcoholism)
    mesh = "http://id.nlm.nih.gov/mesh/D000437"
    assert mesh not in nodes
    assert mesh in nodes["egid:condition/alcohol-use-disorder"]["xref"].split("|")
    with (tmp_path / "c_edges.tsv").open(newline="") as handle:
        assert all(row["object"] != mesh for row in csv.DictReader(handle, delimiter="\t"))
