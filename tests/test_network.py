"""The networkx projection and the ``network`` commands, checked against SPARQL on the curated
evidence: what the projection holds, its round trip to RDF, and every output format."""

from __future__ import annotations

import csv
import io
import json
from collections import deque
from collections.abc import Iterator
from itertools import pairwise

import networkx as nx
import pytest
from click.testing import CliRunner, Result
from rdflib import Literal, URIRef
from rdflib.namespace import RDF

from evidencegraph.cli.main import cli
from evidencegraph.graph import network
from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.graph.network import project, to_rdf
from evidencegraph.ontology.namespace import EGID, PREFIXES, compact
from evidencegraph.ontology.naming import expand
from evidencegraph.store.core import OxigraphStore

KETAMINE = EGID + "drug/ketamine"
KARE = EGID + "study/NCT02649231"
DAYS_ABSTINENT = EGID + "study/NCT02649231/outcome/percent-days-abstinent"
BASE = str(EGID)
#: Where a node's name comes from, first choice first (docs/network.md).
NAME_PROPERTIES = ("rdfs:label", "dcterms:title", "eg:statement", "eg:quote")

LINKS = """
SELECT ?s ?p ?o WHERE {
  ?s ?p ?o .
  FILTER(isIRI(?s) && isIRI(?o) && STRSTARTS(STR(?s), STR(egid:)) && STRSTARTS(STR(?o), STR(egid:)))
}
"""
PREFIX_LINES = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())


# --- fixtures and helpers -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def curated_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A store descriptor for the curated evidence, built once for the CLI tests here."""
    path = tmp_path_factory.mktemp("network") / "kg.db"
    graph = EvidenceGraph(OxigraphStore(path))
    graph.build()
    graph.close()
    yield f"oxigraph:{path}"


def run(store: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--store", store, "network", *args], catch_exceptions=False)


def select(graph: EvidenceGraph, sparql: str) -> list[dict[str, object]]:
    return [dict(row) for row in graph.query(PREFIX_LINES + sparql).rows]


def links(graph: EvidenceGraph) -> set[tuple[str, str, str]]:
    """Every link between two data IRIs, by SPARQL."""
    return {(str(r["s"]), str(r["p"]), str(r["o"])) for r in select(graph, LINKS)}


def typed_nodes(graph: EvidenceGraph) -> set[str]:
    rows = select(
        graph, "SELECT DISTINCT ?s WHERE { ?s a ?t FILTER(STRSTARTS(STR(?s), STR(egid:))) }"
    )
    return {str(r["s"]) for r in rows}


def adjacency(graph: EvidenceGraph, *, skip_claims: bool = False) -> dict[str, set[str]]:
    """Undirected neighbours of every node, from SPARQL rows, not from networkx."""
    claims = (
        {str(r["c"]) for r in select(graph, "SELECT ?c WHERE { ?c a eg:Claim }")}
        if skip_claims
        else set()
    )
    around: dict[str, set[str]] = {node: set() for node in typed_nodes(graph) - claims}
    for subject, _, obj in links(graph):
        if subject in claims or obj in claims:
            continue
        around.setdefault(subject, set()).add(obj)
        around.setdefault(obj, set()).add(subject)
    return around


def distances(around: dict[str, set[str]], start: str) -> dict[str, int]:
    """Breadth-first distances: the test's own walk, to hold the commands to."""
    found, queue = {start: 0}, deque([start])
    while queue:
        here = queue.popleft()
        for there in around[here]:
            if there not in found:
                found[there] = found[here] + 1
                queue.append(there)
    return found


def ontology_label(graph: EvidenceGraph, predicate: str) -> str | None:
    rows = select(graph, f"SELECT ?l WHERE {{ <{expand(predicate)}> rdfs:label ?l }}")
    return str(rows[0]["l"]) if rows else None


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def read_graphml(text: str) -> nx.MultiDiGraph:
    return nx.parse_graphml(text, force_multigraph=True)


# --- the projection -----------------------------------------------------------------------------


def test_projection_holds_every_data_node_and_link(built: EvidenceGraph) -> None:
    projection = project(built.store)
    expected_links = links(built)
    held = {(s, expand(k), o) for s, o, k in projection.edges(keys=True)}
    assert held == expected_links
    endpoints = {s for s, _, _ in expected_links} | {o for _, _, o in expected_links}
    assert set(projection.nodes) == typed_nodes(built) | endpoints
    # concepts and ontology terms are not nodes
    assert not [n for n in projection if not n.startswith(BASE)]


def test_projection_converts_back_to_exactly_the_triples_it_holds(built: EvidenceGraph) -> None:
    expected = {(URIRef(s), URIRef(p), URIRef(o)) for s, p, o in links(built)}
    nodes = set(project(built.store).nodes)
    for row in select(
        built, "SELECT ?s ?t WHERE { ?s a ?t FILTER(STRSTARTS(STR(?s), STR(egid:))) }"
    ):
        expected.add((URIRef(str(row["s"])), RDF.type, URIRef(str(row["t"]))))
    # the name: the first name property a node has, its least value when it has several
    names: dict[str, tuple[int, str, Literal]] = {}
    values = " ".join(NAME_PROPERTIES)
    rows = select(built, f"SELECT ?s ?p ?v WHERE {{ VALUES ?p {{ {values} }} ?s ?p ?v }}")
    for row in rows:
        node, value = str(row["s"]), row["v"]
        assert isinstance(value, Literal)
        if node not in nodes:
            continue
        rank = (NAME_PROPERTIES.index(compact(str(row["p"]))), str(value), value)
        if node not in names or rank[:2] < names[node][:2]:
            names[node] = rank
    for node, (rank, _, value) in names.items():
        expected.add((URIRef(node), URIRef(expand(NAME_PROPERTIES[rank])), value))

    back = set(to_rdf(project(built.store)))
    assert back == expected
    assert all(built.store.contains(triple) for triple in back)
    # literals other than names are left out
    assert not [t for t in back if isinstance(t[2], Literal) and str(t[1]).endswith("#value")]


def test_both_ways_of_reading_the_store_read_the_same(built: EvidenceGraph) -> None:
    # the embedded store is read in one pass over its triples; other backends by SPARQL
    assert isinstance(built.store, OxigraphStore)
    scanned, asked = network._read_by_scan(built.store), network._read_by_sparql(built.store)
    for part in ("types", "links", "names", "identifiers"):
        assert sorted(getattr(scanned, part)) == sorted(getattr(asked, part)), part
    assert scanned.links and scanned.names and scanned.identifiers


def test_graphml_of_the_whole_projection_converts_back_alike(built: EvidenceGraph) -> None:
    projection = project(built.store)
    text = "\n".join(nx.generate_graphml(projection))
    assert set(to_rdf(read_graphml(text))) == set(to_rdf(projection))


def test_edges_carry_the_sources_the_graph_records(built: EvidenceGraph) -> None:
    projection = project(built.store)

    def sources_of(sparql: str) -> set[str]:
        return {compact(str(r["src"])) for r in select(built, sparql)}

    def edge_sources(subject: str, predicate: str, obj: str) -> set[str]:
        return set(projection.edges[subject, obj, predicate]["sources"].split())

    finding = EGID + "finding/NCT02649231/pda-ketamine-vs-saline"
    derived = sources_of(f"SELECT ?src WHERE {{ <{finding}> prov:wasDerivedFrom ?src }}")
    assert derived and edge_sources(finding, "eg:outcome", DAYS_ABSTINENT) == derived

    row = select(built, "SELECT ?c ?about ?src WHERE { ?c eg:about ?about ; eg:assertedBy ?src }")[
        0
    ]
    claim, about = str(row["c"]), str(row["about"])
    assert edge_sources(claim, "eg:about", about) == {compact(str(row["src"]))}

    # an arm's statements come from its study's sources
    arm = EGID + "study/NCT02649231/arm/ketamine-therapy"
    intervention = EGID + "study/NCT02649231/intervention/ketamine-infusion"
    study_sources = sources_of(
        f"SELECT ?src WHERE {{ ?study eg:hasArm <{arm}> ; prov:wasDerivedFrom ?src }}"
    )
    assert len(study_sources) > 1
    assert edge_sources(arm, "eg:receives", intervention) == study_sources

    # a curator's link from a claim to a finding rests on the finding's sources
    row = select(
        built,
        "SELECT ?c ?f ?src WHERE { ?c eg:supportedBy ?f . "
        "?f a eg:Finding ; prov:wasDerivedFrom ?src }",
    )[0]
    assert edge_sources(str(row["c"]), "eg:supportedBy", str(row["f"])) == {
        compact(str(row["src"]))
    }


# --- network path -------------------------------------------------------------------------------


def test_path_from_ketamine_to_days_abstinent(built: EvidenceGraph, curated_store: str) -> None:
    result = run(
        curated_store,
        "path",
        "ketamine",
        "percentage of days abstinent",
        "--limit",
        "100",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    paths = json.loads(result.output)
    assert paths
    # as short as the data allows: the test's own walk over SPARQL links, claims set aside
    shortest = distances(adjacency(built, skip_claims=True), KETAMINE)[DAYS_ABSTINENT]
    assert {len(steps) for steps in paths} == {shortest}
    stored = links(built)
    for steps in paths:
        assert steps[0]["from"] == KETAMINE and steps[-1]["to"] == DAYS_ABSTINENT
        for here, there in pairwise(steps):
            assert here["to"] == there["from"]
        for step in steps:
            ends = (step["from"], step["to"]) if step["forward"] else (step["to"], step["from"])
            assert (ends[0], expand(step["predicate"]), ends[1]) in stored
            assert step["predicate_label"] == ontology_label(built, step["predicate"])
    # KARE: the ketamine infusion, received by the ketamine + therapy arm, which a finding on
    # days abstinent compares (studies.ttl)
    kare = [
        KETAMINE,
        EGID + "study/NCT02649231/intervention/ketamine-infusion",
        EGID + "study/NCT02649231/arm/ketamine-therapy",
        EGID + "finding/NCT02649231/pda-ketamine-vs-saline",
        DAYS_ABSTINENT,
    ]
    assert kare in [[steps[0]["from"], *(s["to"] for s in steps)] for steps in paths]


def test_path_table_shows_predicate_labels_not_iris(curated_store: str) -> None:
    result = run(curated_store, "path", "egid:drug/ketamine", DAYS_ABSTINENT)
    assert result.exit_code == 0, result.output
    assert "<--drug--" in result.output and "<--receives--" in result.output
    assert "--eg:" not in result.output and "<--http" not in result.output


def test_path_csv_and_graphml_read_back(curated_store: str) -> None:
    table = read_csv(
        run(curated_store, "path", "ketamine", DAYS_ABSTINENT, "--format", "csv").output
    )
    assert {row["path"] for row in table} == {"1", "2", "3", "4", "5"}
    assert all(row["predicate_label"] and row["predicate"].startswith("eg:") for row in table)
    assert {row["from"] for row in table if row["step"] == "1"} == {KETAMINE}

    graphml = run(curated_store, "path", "ketamine", DAYS_ABSTINENT, "--format", "graphml")
    picture = read_graphml(graphml.output)
    assert nx.has_path(picture.to_undirected(), KETAMINE, DAYS_ABSTINENT)
    steps = {
        (r["from"], r["to"]) if r["forward"] == "True" else (r["to"], r["from"]) for r in table
    }
    assert {(s, o) for s, o in picture.edges()} == steps
    assert all(data["label"] and data["predicate"] for _, _, data in picture.edges(data=True))


# --- network central ----------------------------------------------------------------------------


def test_central_by_degree_matches_a_count_of_neighbours(
    built: EvidenceGraph, curated_store: str
) -> None:
    result = run(curated_store, "central", "--top", "3", "--format", "json")
    ranked = json.loads(result.output)
    assert len(ranked) == 3 and [r["rank"] for r in ranked] == [1, 2, 3]
    around = adjacency(built)
    most = max(len(n) for n in around.values())
    assert len(around[ranked[0]["node"]]) == most
    assert ranked[0]["degree"] == pytest.approx(most / (len(around) - 1))


def test_central_filters_by_class_and_its_subclasses(
    built: EvidenceGraph, curated_store: str
) -> None:
    studies = {
        str(r["s"]) for r in select(built, "SELECT ?s WHERE { ?s a/rdfs:subClassOf* eg:Study }")
    }
    result = run(
        curated_store,
        "central",
        "--type",
        "Study",
        "--top",
        "100",
        "--measure",
        "pagerank",
        "--format",
        "csv",
    )
    rows = read_csv(result.output)
    assert {row["node"] for row in rows} == studies
    assert {row["type"] for row in rows} == {"eg:Study", "eg:Trial"}
    scores = [float(row["pagerank"]) for row in rows]
    assert scores == sorted(scores, reverse=True)

    graphml = read_graphml(
        run(
            curated_store, "central", "--type", "eg:Trial", "--top", "4", "--format", "graphml"
        ).output
    )
    assert graphml.number_of_nodes() == 4
    assert sorted(int(d["rank"]) for _, d in graphml.nodes(data=True)) == [1, 2, 3, 4]


# --- network components -------------------------------------------------------------------------


def test_components_are_those_of_the_data(built: EvidenceGraph, curated_store: str) -> None:
    around = adjacency(built)
    expected: list[set[str]] = []
    left = set(around)
    while left:
        reached = set(distances(around, next(iter(left))))
        expected.append(reached)
        left -= reached
    report = json.loads(run(curated_store, "components", "--top", "100", "--format", "json").output)
    assert report["components"] == len(expected)
    assert report["nodes"] == len(around)
    sizes = sorted((len(c) for c in expected), reverse=True)
    assert [c["size"] for c in report["listed"]] == sizes
    for listed in report["listed"]:
        members = {m["node"] for m in listed["members"]}
        assert listed["sampled"] == (listed["size"] > 10)
        whole = next(c for c in expected if members <= c)
        assert len(whole) == listed["size"]
        if not listed["sampled"]:
            assert members == whole

    rows = read_csv(run(curated_store, "components", "--members", "3", "--format", "csv").output)
    assert len([r for r in rows if r["component"] == "1"]) == 3
    graphml = read_graphml(
        run(curated_store, "components", "--top", "1", "--format", "graphml").output
    )
    assert graphml.number_of_nodes() == sizes[0]
    assert {d["component"] for _, d in graphml.nodes(data=True)} == {1}

    table = run(curated_store, "components").output
    assert table.startswith(f"{len(expected)} components, {len(around)} nodes")


# --- network neighbours -------------------------------------------------------------------------


@pytest.mark.parametrize("hops", [0, 1, 2])
def test_neighbours_are_those_of_the_data(
    built: EvidenceGraph, curated_store: str, hops: int
) -> None:
    expected = {n: d for n, d in distances(adjacency(built), KARE).items() if d <= hops}
    result = run(
        curated_store, "neighbours", "NCT02649231", "--hops", str(hops), "--format", "json"
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["centre"] == KARE and report["hops"] == hops
    assert {row["node"]: row["distance"] for row in report["nodes"]} == expected
    stored = links(built)
    for row in report["nodes"][1:]:
        ends = (
            (row["via_node"], row["node"]) if row["via_forward"] else (row["node"], row["via_node"])
        )
        assert (ends[0], expand(row["via_predicate"]), ends[1]) in stored


def test_neighbours_csv_and_graphml_read_back(built: EvidenceGraph, curated_store: str) -> None:
    rows = read_csv(run(curated_store, "neighbours", KARE, "--format", "csv").output)
    one_hop = {
        str(r["n"])
        for r in select(
            built,
            f"""
        SELECT DISTINCT ?n WHERE {{
          {{ <{KARE}> ?p ?n }} UNION {{ ?n ?p <{KARE}> }}
          FILTER(isIRI(?n) && STRSTARTS(STR(?n), STR(egid:)))
        }}""",
        )
    }
    assert {r["node"] for r in rows} == one_hop | {KARE}
    graphml = read_graphml(
        run(curated_store, "neighbours", "egid:study/NCT02649231", "--format", "graphml").output
    )
    assert set(graphml.nodes) == one_hop | {KARE}
    among = {(s, p, o) for s, p, o in links(built) if {s, o} <= set(graphml.nodes)}
    assert graphml.number_of_edges() == len(among)
    assert graphml.nodes[KARE]["distance"] == 0


def test_neighbours_table(curated_store: str) -> None:
    result = run(curated_store, "neighbours", "ketamine")
    assert result.exit_code == 0
    first, *lines = result.output.splitlines()
    assert first.startswith("ketamine  [egid:drug/ketamine]: ")
    assert any("<--drug--" in line for line in lines)


# --- naming nodes and bad input ----------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [KARE, f"<{KARE}>", "egid:study/NCT02649231", "NCT02649231", "nct02649231", "2015-000222-11"],
)
def test_a_node_is_named_by_iri_curie_or_registry_id(curated_store: str, name: str) -> None:
    report = json.loads(
        run(curated_store, "neighbours", name, "--hops", "0", "--format", "json").output
    )
    assert report["centre"] == KARE


@pytest.mark.parametrize(
    "args",
    [
        ["neighbours", "NCT02649213"],
        ["path", "ketamine", "NCT02649213"],
        ["path", "NCT02649213", "ketamine"],
    ],
)
def test_an_unknown_id_exits_2_with_close_matches(curated_store: str, args: list[str]) -> None:
    result = run(curated_store, *args)
    assert result.exit_code == 2
    assert "no node is named 'NCT02649213'" in result.output
    assert "Close matches: NCT02649231 (egid:study/NCT02649231)" in result.output
    assert "Traceback" not in result.output


def test_negative_hops_is_a_usage_error(curated_store: str) -> None:
    result = run(curated_store, "neighbours", "ketamine", "--hops", "-1")
    assert result.exit_code == 2 and "--hops" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["path", "ketamine", "relapse"],
        ["central"],
        ["components"],
        ["neighbours", "ketamine"],
    ],
)
def test_an_unknown_format_is_a_usage_error(curated_store: str, args: list[str]) -> None:
    result = run(curated_store, *args, "--format", "gexf")
    assert result.exit_code == 2 and "'gexf' is not one of" in result.output


def test_an_unknown_class_exits_2_with_close_matches(curated_store: str) -> None:
    result = run(curated_store, "central", "--type", "Findng")
    assert result.exit_code == 2 and "Close matches: eg:Finding" in result.output
