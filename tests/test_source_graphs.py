"""Source graphs (issue 17, decision 0021): every statement in the graph of the source that
states it; the view (the default graph) one value per single-valued property by precedence.

The records are the real ClinicalTrials.gov record NCT03418623 (tests/data/ctgov) and
versions of it changed in the ways a registry record changes (each test says how), and
the curated evidence. The expected values come from the fixtures and FACTS.md (KARE
enrolled 96 adults).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from evidencegraph.cli.main import cli
from evidencegraph.errors import NonConformingError
from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.graph.pipeline import Importer, ImportSummary
from evidencegraph.ingest.ctgov import map_study
from evidencegraph.ingest.records import Record
from evidencegraph.ontology.name_keys import name_key_statements
from evidencegraph.ontology.source_graphs import CATALOG, SourceKind, curated_graph, record_graph
from evidencegraph.store.core import OxigraphStore
from evidencegraph.validation.source_view import NOT_SHOWN_GRAPH
from support import DATA, kare_registry_record

RECORD = "NCT03418623"
GRAPH = ox.NamedNode(record_graph("ctgov", RECORD))
KARE = "NCT02649231"
EG = "https://w3id.org/evidencegraph/ontology#"
EGID = "https://w3id.org/evidencegraph/id/"
TITLE = ox.NamedNode("http://purl.org/dc/terms/title")
ENROLMENT = ox.NamedNode(EG + "enrolment")


def fixture(nct_id: str = RECORD) -> dict[str, Any]:
    import json

    return json.loads((DATA / "ctgov" / f"{nct_id}.json").read_text(encoding="utf-8"))


def newer_version() -> dict[str, Any]:
    """NCT03418623 as a later update might read: the placebo arm and the placebo
    intervention gone, one outcome and the collaborator gone, enrolment 24 -> 20, and the
    last-update date moved on. CONSTRUCTED from the real record, for this test."""
    content = copy.deepcopy(fixture())
    protocol = content["protocolSection"]
    module = protocol["armsInterventionsModule"]
    module["armGroups"] = [g for g in module["armGroups"] if g["label"] != "Placebo"]
    module["interventions"] = [i for i in module["interventions"] if i["name"] != "Placebo"]
    outcomes = protocol["outcomesModule"]
    outcomes["secondaryOutcomes"] = outcomes.get("secondaryOutcomes", [])[:0]
    protocol["sponsorCollaboratorsModule"].pop("collaborators")
    protocol["designModule"]["enrollmentInfo"]["count"] = 20
    protocol["statusModule"]["lastUpdatePostDateStruct"]["date"] = "2021-03-01"
    return content


def run_import(graph: EvidenceGraph, *contents: dict[str, Any], **options: Any) -> ImportSummary:
    items = [Record(f"version-{i}.json", content) for i, content in enumerate(contents)]
    summary = Importer(graph, map_study, **options).run(items)
    assert summary.stopped is None, summary.lines()
    return summary


def view(graph: EvidenceGraph) -> set[ox.Quad]:
    return set(graph.store.quads())


def graph_quads(graph: EvidenceGraph, name: ox.NamedNode) -> set[ox.Quad]:
    return set(graph.store.graph_contents([name]))


def iris(quads: Iterable[ox.Quad | tuple[Any, Any, Any]]) -> set[ox.NamedNode]:
    found: set[ox.NamedNode] = set()
    for quad in quads:
        if isinstance(quad, ox.Quad):
            subject, obj = quad.subject, quad.object
        else:
            subject, obj = quad[0], quad[2]
        found.update(term for term in (subject, obj) if isinstance(term, ox.NamedNode))
    return found


def mapped(content: dict[str, Any]) -> set[ox.Quad]:
    """The record's statements in the store's canonical form, with the keys of its names
    (decision 0027)."""
    scratch = ox.Store()
    scratch.extend(ox.Quad(s, p, o) for s, p, o in map_study(content, "x.json").triples)
    stated = [(q.subject, q.predicate, q.object) for q in scratch]
    scratch.extend(ox.Quad(s, p, o) for s, p, o in name_key_statements(stated))
    return {ox.Quad(q.subject, q.predicate, q.object) for q in scratch}


def values_of(graph: EvidenceGraph, subject: str, predicate: ox.NamedNode) -> set[str]:
    node = ox.NamedNode(subject)
    found = graph.store.quads()
    return {q.object.value for q in found if q.subject == node and q.predicate == predicate}


# --- a record and its newer version ------------------------------------------------------


def test_a_newer_version_replaces_the_record_graph_exactly() -> None:
    graph = EvidenceGraph(OxigraphStore(None))
    old, new = fixture(), newer_version()
    run_import(graph, old)
    study = EGID + f"study/{RECORD}"
    assert values_of(graph, study, ENROLMENT) == {"24"}

    summary = run_import(graph, new)

    assert summary.graphs_replaced == 1 and summary.graphs_new == 0
    in_graph = {ox.Quad(q.subject, q.predicate, q.object) for q in graph_quads(graph, GRAPH)}
    assert in_graph == mapped(new)
    # what only the old version named (the placebo arm and intervention, the outcome, the
    # collaborator) is nowhere: not in the view, not in any graph
    gone = iris(mapped(old)) - iris(mapped(new))
    assert len(gone) >= 4, gone
    everything = view(graph) | set(graph.store.named_quads())
    assert not gone & iris(everything)
    assert view(graph) == mapped(new)
    assert values_of(graph, study, ENROLMENT) == {"20"}
    assert graph.validate().conforms


def test_the_same_record_twice_changes_nothing() -> None:
    graph = EvidenceGraph(OxigraphStore(None))
    run_import(graph, fixture())
    before = view(graph), set(graph.store.named_quads())
    summary = run_import(graph, fixture())
    assert summary.unchanged == 1 and summary.graphs_replaced == 0
    assert summary.triples_added == 0 and summary.values_replaced == 0
    assert (view(graph), set(graph.store.named_quads())) == before


def test_an_older_version_never_replaces_a_newer_one() -> None:
    graph = EvidenceGraph(OxigraphStore(None))
    run_import(graph, newer_version())
    before = view(graph), set(graph.store.named_quads())
    summary = run_import(graph, fixture())
    assert summary.older and "2021-03-01" in summary.older[0] and "2020-10-08" in summary.older[0]
    assert (view(graph), set(graph.store.named_quads())) == before


def test_two_versions_in_one_import_leave_the_newer_whatever_the_order() -> None:
    for order in ((fixture(), newer_version()), (newer_version(), fixture())):
        graph = EvidenceGraph(OxigraphStore(None))
        run_import(graph, *order, batch_size=1)
        assert view(graph) == mapped(newer_version())


# --- precedence: the curated evidence and the registry's copy of KARE --------------------


@pytest.fixture(scope="module")
def with_kare(tmp_path_factory: pytest.TempPathFactory) -> EvidenceGraph:
    graph = EvidenceGraph(OxigraphStore(None))
    graph.build()
    run_import(graph, kare_registry_record())
    return graph


def test_the_registry_copy_leaves_the_curated_title_and_enrolment_in_the_view(
    with_kare: EvidenceGraph,
) -> None:
    study = EGID + f"study/{KARE}"
    assert values_of(with_kare, study, ENROLMENT) == {"96"}  # FACTS.md: 96 adults
    titles = values_of(with_kare, study, TITLE)
    assert len(titles) == 1 and titles != {"Ketamine for Reduction of Alcoholic Relapse"}
    # both values stay, each in its source's graph
    node = ox.NamedNode(study)
    registry = ox.NamedNode(record_graph("ctgov", KARE))
    curated = ox.NamedNode(curated_graph("studies"))
    stated = {
        (q.graph_name, q.predicate, q.object.value)
        for q in with_kare.store.values([(node, ENROLMENT), (node, TITLE)])
        if not isinstance(q.graph_name, ox.DefaultGraph)
    }
    assert (registry, ENROLMENT, "24") in stated
    assert (curated, ENROLMENT, "96") in stated
    assert (registry, TITLE, "Ketamine for Reduction of Alcoholic Relapse") in stated
    assert with_kare.validate().conforms


def test_the_disagreement_query_names_each_value_and_its_source(with_kare: EvidenceGraph) -> None:
    rows = with_kare.run("source-disagreements", {"about": EGID + f"study/{KARE}"}).rows
    enrolment = [row for row in rows if str(row["property"]) == EG + "enrolment"]
    assert len(enrolment) == 1
    row = enrolment[0]
    assert (str(row["shown"]), str(row["notShown"])) == ("96", "24")
    assert str(row["statedIn"]) == record_graph("ctgov", KARE)
    assert str(row["shownIn"]) == curated_graph("studies")
    assert KARE in str(row["statedBy"])  # the registry record's own label


def test_withdrawing_the_registry_record_leaves_exactly_what_was_there_before() -> None:
    graph = EvidenceGraph(OxigraphStore(None))
    graph.build()
    before = view(graph), set(graph.store.named_quads())
    run_import(graph, kare_registry_record())
    assert view(graph) != before[0]
    summary = graph.withdraw([record_graph("ctgov", KARE)])
    assert summary.plan is not None
    assert summary.plan.graphs == [ox.NamedNode(record_graph("ctgov", KARE))]
    assert (view(graph), set(graph.store.named_quads())) == before


def test_a_withdrawal_that_breaks_the_shapes_is_refused_whole() -> None:
    graph = EvidenceGraph(OxigraphStore(None))
    graph.build()
    before = view(graph), set(graph.store.named_quads())
    with pytest.raises(NonConformingError) as refused:
        graph.withdraw([curated_graph("studies")])  # the claims point at these studies
    assert "nothing was withdrawn" in str(refused.value)
    assert (view(graph), set(graph.store.named_quads())) == before


def test_a_value_an_outranked_source_gave_comes_back_when_the_winner_goes(tmp_path: Path) -> None:
    graph = EvidenceGraph(OxigraphStore(None))
    run_import(graph, fixture())
    study = EGID + f"study/{RECORD}"
    registry_title = values_of(graph, study, TITLE)
    other = tmp_path / "retitled.ttl"
    other.write_text(f'<{study}> <{TITLE.value}> "A title from another source" .\n')
    graph.load_files([other])
    assert values_of(graph, study, TITLE) == registry_title  # a registry record outranks a file
    summary = graph.withdraw([record_graph("ctgov", RECORD)])
    assert summary.triples_added == 1
    assert values_of(graph, study, TITLE) == {"A title from another source"}


def test_a_statement_two_sources_make_stays_when_one_is_withdrawn(tmp_path: Path) -> None:
    graph = EvidenceGraph(OxigraphStore(None))
    run_import(graph, fixture())
    shared = next(iter(q for q in view(graph) if q.predicate.value.endswith("#nctId")))
    copy_file = tmp_path / "copy.nt"
    copy_file.write_text(f"{shared.subject} {shared.predicate} {shared.object} .\n")
    graph.load_files([copy_file])
    graph.withdraw([record_graph("ctgov", RECORD)])
    assert view(graph) == {shared}


def test_loading_a_file_again_replaces_its_graph(tmp_path: Path) -> None:
    graph = EvidenceGraph(OxigraphStore(None))
    run_import(graph, fixture())
    study = EGID + f"study/{RECORD}"
    keyword = ox.NamedNode(EG + "keyword")
    # the record's own keywords (issue 18 maps them) stay beside the file's
    from_record = values_of(graph, study, keyword)
    notes = tmp_path / "notes.ttl"
    notes.write_text(f'<{study}> <{EG}keyword> "first" , "second" .\n')
    graph.load_files([notes])
    notes.write_text(f'<{study}> <{EG}keyword> "second" .\n')
    graph.load_files([notes])
    assert values_of(graph, study, keyword) == {"second"} | from_record


# --- the catalog -------------------------------------------------------------------------


def test_the_catalog_describes_each_graph(with_kare: EvidenceGraph) -> None:
    registry = ox.NamedNode(record_graph("ctgov", KARE))
    described = {
        q.predicate.value: q.object
        for q in with_kare.store.graph_contents([ox.NamedNode(CATALOG)])
        if q.subject == registry
    }
    modified = kare_registry_record()["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]
    assert described["http://purl.org/dc/terms/modified"].value == modified["date"]
    assert described[EG + "sourceKind"].value.endswith("RegistryRecord")
    source = described["http://www.w3.org/ns/prov#wasDerivedFrom"]
    assert source.value == EGID + f"source/ctgov/{KARE}"
    assert described[EG + "importedWith"].value.startswith("evidencegraph ")
    assert len(described[EG + "contentSha256"].value) == 64
    triples = len(with_kare.store.graph_contents([registry]))
    assert int(described["http://rdfs.org/ns/void#triples"].value) == triples


# --- the command line --------------------------------------------------------------------


def test_withdraw_on_the_command_line(tmp_path: Path) -> None:
    store = f"oxigraph:{tmp_path / 'kg.db'}"
    runner = CliRunner()
    assert runner.invoke(cli, ["--store", store, "build"]).exit_code == 0
    record = tmp_path / f"{RECORD}.json"
    record.write_bytes((DATA / "ctgov" / f"{RECORD}.json").read_bytes())
    imported = runner.invoke(cli, ["--store", store, "-v", "import", "ctgov", str(record)])
    assert imported.exit_code == 0, imported.output
    assert f"graph written: {GRAPH.value}" in imported.output
    rollback = next(
        line for line in imported.output.splitlines() if "take this import back" in line
    )
    assert rollback.split("withdraw ")[1].startswith(str(datetime.now(timezone.utc).year))
    unknown = runner.invoke(cli, ["--store", store, "withdraw", "NCT00000000"])
    assert unknown.exit_code == 2 and "no source graph" in unknown.output
    refused = runner.invoke(cli, ["--store", store, "withdraw", "studies"])
    assert refused.exit_code == 1 and "nothing was withdrawn" in refused.output
    stamp = rollback.split("withdraw ")[1]
    rolled_back = runner.invoke(cli, ["--store", store, "withdraw", stamp])
    assert rolled_back.exit_code == 0, rolled_back.output
    assert "Withdrew 1 source graph(s)" in rolled_back.output
    again = runner.invoke(cli, ["--store", store, "import", "ctgov", str(record)])
    assert "source graphs: 1 new" in again.output
    done = runner.invoke(cli, ["--store", store, "withdraw", RECORD.lower()])
    assert done.exit_code == 0, done.output
    assert "Withdrew 1 source graph(s)" in done.output
    listed = runner.invoke(cli, ["--store", store, "query", "source-graphs"])
    assert RECORD not in listed.output and "curated/studies" in listed.output


# --- a PubMed article's version is its DateRevised ---------------------------------------


def test_a_pubmed_article_revised_earlier_is_left_alone_and_one_revised_later_replaces(
    tmp_path: Path,
) -> None:
    """pubmed-29768149.xml (DateRevised 2022-04-10), and copies of it CONSTRUCTED for this
    test with another title, revised in 2021 (older) and in 2023 (newer)."""
    from evidencegraph.ingest import pubmed

    original = (DATA / "pubmed" / "pubmed-29768149.xml").read_text(encoding="utf-8")
    assert "<Year>2022</Year>" in original.split("<DateRevised>")[1].split("</DateRevised>")[0]

    def revised(year: str, title: str) -> Path:
        head, rest = original.split("<DateRevised>", 1)
        revised_part, tail = rest.split("</DateRevised>", 1)
        text = head + "<DateRevised>" + revised_part.replace("2022", year) + "</DateRevised>" + tail
        start = text.index("<ArticleTitle>") + len("<ArticleTitle>")
        text = text[:start] + title + text[text.index("</ArticleTitle>") :]
        path = tmp_path / f"revised-{year}.xml"
        path.write_text(text, encoding="utf-8")
        return path

    graph = EvidenceGraph(OxigraphStore(None))
    first = Importer(graph, pubmed.map_article).run(
        pubmed.read_paths([DATA / "pubmed" / "pubmed-29768149.xml"])
    )
    assert first.graphs_new == 1
    article = EGID + "source/pmid/29768149"
    title = values_of(graph, article, TITLE)
    older = Importer(graph, pubmed.map_article).run(pubmed.read_paths([revised("2021", "Older")]))
    assert older.older and values_of(graph, article, TITLE) == title
    newer = Importer(graph, pubmed.map_article).run(pubmed.read_paths([revised("2023", "Newer")]))
    assert newer.graphs_replaced == 1 and values_of(graph, article, TITLE) == {"Newer"}


# --- the view against its definition, over random writes and withdrawals ------------------

SINGLE = [TITLE, ENROLMENT]  # sh:maxCount 1 in the shapes
MULTI = [ox.NamedNode(EG + "keyword"), ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")]
KINDS = [SourceKind.CURATED, SourceKind.JOURNAL_ARTICLE, SourceKind.REGISTRY, SourceKind.OTHER]


def expected_view(
    held: dict[ox.NamedNode, tuple[SourceKind, str | None, set[ox.Quad]]],
) -> set[ox.Quad]:
    """The view by its definition (decision 0021): every statement of every graph, and of a
    single-valued property only the values of the graph first by kind, then newer version,
    then name."""
    view: set[ox.Quad] = set()
    by_pair: dict[tuple[object, object], list[tuple[tuple[int, str, str], ox.Quad]]] = {}
    for graph, (kind, version, quads) in held.items():
        for quad in quads:
            if quad.predicate in SINGLE:
                # newest first: invert the version's characters so that min() takes it
                newest = "".join(chr(0x10FFFF - ord(c)) for c in version or "")
                key = (kind.rank, newest if version else "\U0010ffff", graph.value)
                by_pair.setdefault((quad.subject, quad.predicate), []).append((key, quad))
            else:
                view.add(quad)
    for candidates in by_pair.values():
        best = min(key for key, _ in candidates)
        view.update(quad for key, quad in candidates if key == best)
    return view


def expected_marks(
    held: dict[ox.NamedNode, tuple[SourceKind, str | None, set[ox.Quad]]], view: set[ox.Quad]
) -> set[ox.Quad]:
    """graph/not-shown by its definition (decision 0030): every single value a graph states
    that the view does not show."""
    return {
        ox.Quad(quad.subject, quad.predicate, quad.object, NOT_SHOWN_GRAPH)
        for _kind, _version, quads in held.values()
        for quad in quads
        if quad.predicate in SINGLE
        and ox.Quad(quad.subject, quad.predicate, quad.object) not in view
    }


def marks(graph: EvidenceGraph) -> set[ox.Quad]:
    return graph_quads(graph, NOT_SHOWN_GRAPH)


@pytest.mark.parametrize("seed", range(6))
def test_the_view_is_its_definition_after_any_writes_and_withdrawals(seed: int) -> None:
    import random

    from evidencegraph.validation.source_view import SourceRecord

    chance = random.Random(seed)
    subjects = [ox.NamedNode(f"https://example.org/node/{i}") for i in range(3)]
    graphs = [ox.NamedNode(f"https://example.org/graph/{i}") for i in range(4)]
    kinds = {graph: chance.choice(KINDS) for graph in graphs}
    held: dict[ox.NamedNode, tuple[SourceKind, str | None, set[ox.Quad]]] = {}
    graph = EvidenceGraph(OxigraphStore(None))
    for _step in range(25):
        chosen = chance.sample(graphs, chance.randint(1, 2))
        records = []
        for name in chosen:
            if name in held and chance.random() < 0.25:
                records.append(SourceRecord(name, kinds[name], None))
                continue
            quads = {
                ox.Quad(
                    chance.choice(subjects),
                    predicate := chance.choice(SINGLE + MULTI),
                    ox.Literal(chance.choice("abc"))
                    if predicate != ENROLMENT
                    else ox.Literal(str(chance.randint(1, 3)), datatype=_INTEGER),
                )
                for _ in range(chance.randint(0, 5))
            }
            # one value per single-valued property within a graph, as an import gives it
            seen: set[tuple[object, object]] = set()
            quads = {
                q
                for q in sorted(quads, key=str)
                if q.predicate not in SINGLE
                or ((q.subject, q.predicate) not in seen and not seen.add((q.subject, q.predicate)))
            }
            version = chance.choice([None, "2020-01-01", "2021-06-01", "2022-03-01"])
            records.append(
                SourceRecord(
                    name,
                    kinds[name],
                    list(quads),
                    ox.Literal(version, datatype=_DATE) if version else None,
                )
            )
        graph.write_sources(records)
        for record in records:
            before = held.get(record.graph)
            if record.triples is None:
                held.pop(record.graph, None)
            elif (
                before is not None
                and record.version is not None
                and before[1] is not None
                and record.version.value < before[1]
            ):
                continue  # an older version is left alone
            else:
                version = record.version.value if record.version else None
                held[record.graph] = (record.kind, version, set(record.triples))
        assert view(graph) == expected_view(held), f"step {_step}"
        # the marks too: every write weighs some pairs and leaves the others' marks alone
        assert marks(graph) == expected_marks(held, view(graph)), f"step {_step}"
        for name in graphs:
            stated = {ox.Quad(q.subject, q.predicate, q.object) for q in graph_quads(graph, name)}
            assert stated == (held[name][2] if name in held else set())


@pytest.mark.parametrize("seed", range(4))
def test_one_import_of_many_versions_ends_with_the_view_of_its_definition(seed: int) -> None:
    """The same through the import pipeline, where each batch is planned while the batches
    before it are judged and not yet written (decision 0010): one record a batch."""
    import random

    from evidencegraph.ingest.mapping import Mapped

    chance = random.Random(100 + seed)
    subjects = [ox.NamedNode(f"https://example.org/node/{i}") for i in range(3)]
    graphs = [f"https://example.org/graph/{i}" for i in range(3)]
    kinds = {name: chance.choice(KINDS) for name in graphs}
    items = []
    for number in range(20):
        name = chance.choice(graphs)
        pairs = {(chance.choice(subjects), chance.choice(SINGLE + MULTI)) for _ in range(4)}
        triples = [
            (subject, predicate, ox.Literal(chance.choice("abc")))
            if predicate != ENROLMENT
            else (subject, predicate, ox.Literal(str(chance.randint(1, 3)), datatype=_INTEGER))
            for subject, predicate in sorted(pairs, key=str)
        ]
        version = chance.choice(["", "2020-01-01", "2021-06-01", "2022-03-01"])
        items.append(Record(f"record-{number}", (name, triples, version)))

    def mapper(content: object, origin: str) -> Mapped:
        name, triples, version = content  # type: ignore[misc]
        return Mapped(origin, origin, list(triples), graph=name, kind=kinds[name], version=version)

    graph = EvidenceGraph(OxigraphStore(None))
    summary = Importer(graph, mapper, batch_size=1).run(items)
    assert summary.stopped is None and summary.batches_committed == 20, summary.lines()
    held: dict[ox.NamedNode, tuple[SourceKind, str | None, set[ox.Quad]]] = {}
    for item in items:
        name, triples, version = item.content  # type: ignore[misc]
        node = ox.NamedNode(name)
        before = held.get(node)
        if before is not None and version and before[1] and version < before[1]:
            continue
        held[node] = (kinds[name], version or None, {ox.Quad(*t) for t in triples})
    assert view(graph) == expected_view(held)
    assert marks(graph) == expected_marks(held, view(graph))


_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
_DATE = ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")
