"""`export --graphs` (issue 17): the statements exported in the source graphs that state them."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner, Result

from evidencegraph.cli.main import cli
from evidencegraph.errors import EXIT_USAGE
from evidencegraph.ontology.source_graphs import CATALOG
from evidencegraph.store.core import OxigraphStore
from test_dump_graphs import ENROLMENT, LOADED, REGISTRY, STUDY, integer, make_flow_store

EG = "https://w3id.org/evidencegraph/ontology#"
CATALOG_GRAPH = ox.NamedNode(CATALOG)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """``build``, ``import ctgov`` of NCT03418623 (enrolment 24), ``load`` of a file stating
    40 for it: the two values in two graphs, the view showing the registry's."""
    return make_flow_store(tmp_path_factory.mktemp("export-graphs"))


def export(db: str, *args: str | Path) -> Result:
    return CliRunner().invoke(cli, ["--store", db, "export", *(str(a) for a in args)])


def read(path: Path, rdf_format: ox.RdfFormat) -> set[ox.Quad]:
    return set(ox.parse(path.read_bytes(), format=rdf_format))


def triples(quads: set[ox.Quad]) -> set[ox.Triple]:
    return {ox.Triple(q.subject, q.predicate, q.object) for q in quads}


def test_each_statement_comes_in_the_graphs_that_state_it(db: str, tmp_path: Path) -> None:
    path = tmp_path / "kare.trig"
    result = export(db, "--focus", "NCT03418623", "--hops", "0", "--graphs", "-o", path)
    assert result.exit_code == 0, result.output
    assert result.stderr.endswith("named graphs\n")
    exported = read(path, ox.RdfFormat.TRIG)
    # both enrolments, each in its source's graph: the view shows only the registry's 24
    assert ox.Quad(STUDY, ENROLMENT, integer(24), REGISTRY) in exported
    assert ox.Quad(STUDY, ENROLMENT, integer(40), LOADED) in exported
    assert ox.Quad(STUDY, ENROLMENT, integer(24)) not in exported  # not in the default graph
    # the catalog describes each graph the export names, and only those
    described = {q.subject for q in exported if q.graph_name == CATALOG_GRAPH}
    named = {q.graph_name for q in exported} - {CATALOG_GRAPH, ox.DefaultGraph()}
    assert described == named and {REGISTRY, LOADED} <= named
    kinds = {
        q.subject: q.object
        for q in exported
        if q.graph_name == CATALOG_GRAPH and q.predicate == ox.NamedNode(EG + "sourceKind")
    }
    assert kinds[REGISTRY] == ox.NamedNode("https://w3id.org/evidencegraph/vocab/RegistryRecord")
    assert kinds[LOADED] == ox.NamedNode("https://w3id.org/evidencegraph/vocab/OtherSource")
    derived = ox.Quad(
        REGISTRY,
        ox.NamedNode("http://www.w3.org/ns/prov#wasDerivedFrom"),
        ox.NamedNode("https://w3id.org/evidencegraph/id/source/ctgov/NCT03418623"),
        CATALOG_GRAPH,
    )
    assert derived in exported


def test_nothing_the_view_export_holds_is_lost_and_nothing_is_made_up(
    db: str, tmp_path: Path
) -> None:
    viewed = export(db, "--focus", "NCT03418623", "--hops", "0", "-o", tmp_path / "view.nq")
    assert viewed.exit_code == 0, viewed.output
    graphs = export(
        db, "--focus", "NCT03418623", "--hops", "0", "--graphs", "-o", tmp_path / "graphs.nq"
    )
    assert graphs.exit_code == 0, graphs.output
    view = read(tmp_path / "view.nq", ox.RdfFormat.N_QUADS)
    kept = read(tmp_path / "graphs.nq", ox.RdfFormat.N_QUADS)
    assert triples(view) <= triples(kept)
    store = OxigraphStore(Path(db.removeprefix("oxigraph:")), read_only=True)
    try:
        for quad in kept:  # every quad written is one the store holds, in that graph
            assert store.contains_quad(quad), quad
        # a statement stays in the default graph only where no source graph states it
        in_graphs = triples({q for q in kept if not isinstance(q.graph_name, ox.DefaultGraph)})
        in_default = triples({q for q in kept if isinstance(q.graph_name, ox.DefaultGraph)})
        assert not in_default & in_graphs
    finally:
        store.close()


def test_trig_and_nquads_hold_the_same_quads_the_same_bytes_each_time(
    db: str, tmp_path: Path
) -> None:
    for name in ("a.trig", "b.trig", "a.nq"):
        result = export(db, "--focus", "NCT03418623", "--graphs", "-o", tmp_path / name)
        assert result.exit_code == 0, result.output
    assert (tmp_path / "a.trig").read_bytes() == (tmp_path / "b.trig").read_bytes()
    assert read(tmp_path / "a.trig", ox.RdfFormat.TRIG) == read(
        tmp_path / "a.nq", ox.RdfFormat.N_QUADS
    )


@pytest.mark.parametrize(
    "args",
    [
        ("--format", "turtle"),
        ("--format", "jsonld"),
        ("-o", "kare.ttl"),
        ("-o", "kare_graphs.tsv"),
        (),  # stdout, Turtle by default
    ],
)
def test_graphs_in_a_format_without_graphs_is_refused(
    db: str, tmp_path: Path, args: tuple[str, ...]
) -> None:
    written = [str(tmp_path / a) if a.endswith((".ttl", ".tsv")) else a for a in args]
    result = export(db, "--focus", "NCT03418623", "--graphs", *written)
    assert result.exit_code == EXIT_USAGE, result.output
    assert "--graphs" in result.output and "--format trig or nq" in result.output
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_statement_no_source_states_stays_in_the_default_graph(db: str, tmp_path: Path) -> None:
    """A CONSTRUCT can build a statement no source graph states: --graphs keeps it, in the
    default graph, beside the statements it found in their graphs."""
    query = tmp_path / "made.rq"
    query.write_text(
        "PREFIX eg: <https://w3id.org/evidencegraph/ontology#>\n"
        "CONSTRUCT { ?study eg:enrolment ?n ; <urn:example:seen> true }\n"
        'WHERE { ?study eg:nctId "NCT03418623" ; eg:enrolment ?n }\n'
    )
    result = export(db, "--query", query, "--graphs", "--format", "nq")
    assert result.exit_code == 0, result.output
    exported = set(ox.parse(result.stdout_bytes, format=ox.RdfFormat.N_QUADS))
    made = ox.Quad(STUDY, ox.NamedNode("urn:example:seen"), ox.Literal(True))
    assert made in exported  # in the default graph
    assert ox.Quad(STUDY, ENROLMENT, integer(24), REGISTRY) in exported
    assert ox.Quad(STUDY, ENROLMENT, integer(40), LOADED) in exported
    assert ox.Quad(STUDY, ENROLMENT, integer(24)) not in exported
