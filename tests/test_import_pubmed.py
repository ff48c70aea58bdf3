"""The PubMed importer: real efetch XML mapped, validated and merged, and its error paths.

Expected values are read from the XML fixtures with xml.etree (or were checked by reading
the file, where a comment says so), never copied from the importer's own output.
"""

from __future__ import annotations

import gzip
import json
import re
import socket
import tracemalloc
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from rdflib import RDF, Literal, URIRef, namespace
from rdflib.namespace import DCTERMS, RDFS
from rdflib.term import Node

from evidencegraph.cli.main import cli
from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.graph.pipeline import Importer, ImportSummary
from evidencegraph.ingest import ctgov, pubmed
from evidencegraph.ingest.records import Limits, Record, RecordError
from evidencegraph.ontology.namespace import EG, EGID, EGV
from evidencegraph.store.core import OxigraphStore
from support import DATA

PUBMED = DATA / "pubmed"
NEJM = PUBMED / "pubmed-29768149.xml"
FIXTURES = ["biopython_pubmed1.xml", "biopython_pubmed4.xml", "pubmed-29768149.xml"]
MESH = "http://id.nlm.nih.gov/mesh/"
# not XSD itself at module level: pytest probes module names, and XSD warns on unknown ones
DATE, YEAR, INTEGER = namespace.XSD.date, namespace.XSD.gYear, namespace.XSD.integer

# bound variables are projected: Oxigraph substitutes only variables in the projection
VALUES = "SELECT ?subject ?predicate ?value WHERE { ?subject ?predicate ?value }"
REPORTERS = "SELECT ?source ?reports ?study WHERE { ?source ?reports ?study }"


def article(pmid: str) -> URIRef:
    return EGID[f"source/pmid/{pmid}"]


def study(nct: str) -> URIRef:
    return EGID[f"study/{nct}"]


def xml_article(path: Path, pmid: str) -> ElementTree.Element:
    """The fixture's PubmedArticle element with that PMID, read independently of the importer."""
    for element in ElementTree.parse(path).getroot().iter("PubmedArticle"):
        if element.findtext("MedlineCitation/PMID") == pmid:
            return element
    raise AssertionError(f"{path.name} has no article with PMID {pmid}")


def flat(text: str | None) -> str:
    """Whitespace collapsed, as a reader of the XML sees the text."""
    return " ".join((text or "").split())


def import_files(graph: EvidenceGraph, *paths: Path) -> ImportSummary:
    summary = Importer(graph, pubmed.map_article).run(pubmed.read_paths(paths))
    assert summary.stopped is None, summary.stopped
    assert not summary.rejected, summary.rejected
    return summary


def values(graph: EvidenceGraph, subject: URIRef, predicate: URIRef) -> list[Node]:
    result = graph.query(VALUES, {"subject": subject, "predicate": predicate})
    return [row["value"] for row in result.rows]


def value(graph: EvidenceGraph, subject: URIRef, predicate: URIRef) -> Node:
    found = values(graph, subject, predicate)
    assert len(found) == 1, (subject, predicate, found)
    return found[0]


@pytest.fixture
def graph() -> EvidenceGraph:
    return EvidenceGraph(OxigraphStore(None))


# --- mapping, through the library ------------------------------------------------


@pytest.mark.parametrize("name", FIXTURES)
def test_every_fixture_imports_and_conforms(graph: EvidenceGraph, name: str) -> None:
    path = PUBMED / name
    pmids = [
        element.findtext("MedlineCitation/PMID")
        for element in ElementTree.parse(path).getroot().iter("PubmedArticle")
    ]
    summary = import_files(graph, path)
    assert summary.imported == len(pmids) and summary.triples_added > 0
    for pmid in pmids:
        assert EG.JournalArticle in values(graph, article(pmid), RDF.type)
    report = graph.validate()
    assert report.conforms, report.table()


def test_rct_article_fields(graph: EvidenceGraph) -> None:
    xml = xml_article(NEJM, "29768149")
    source = xml.find("MedlineCitation/Article")
    assert source is not None
    import_files(graph, NEJM)
    node = article("29768149")

    (accession,) = [flat(a.text) for a in source.iter("AccessionNumber")]
    assert accession == "NCT02149199"
    assert values(graph, node, EG.reports) == [study(accession)]
    types = [flat(t.text) for t in source.iter("PublicationType")]
    assert "Randomized Controlled Trial" in types
    assert {str(t) for t in values(graph, node, EG.publicationType)} == set(types)
    # the article describes no study (issue 18, bug 5): tests/test_import_pubmed_fields.py
    assert values(graph, study(accession), EG.studyDesign) == []

    doi = flat(source.findtext("ELocationID[@EIdType='doi']"))
    assert doi == "10.1056/NEJMoa1715274"
    assert value(graph, node, EG.doi) == Literal("10.1056/nejmoa1715274")
    assert value(graph, node, EG.journal) == Literal(flat(source.findtext("Journal/Title")))
    date = source.find("Journal/JournalIssue/PubDate")
    assert date is not None
    assert [date.findtext(part) for part in ("Year", "Month", "Day")] == ["2018", "05", "17"]
    assert value(graph, node, DCTERMS.issued) == Literal("2018-05-17", datatype=DATE)

    labels = [part.get("Label") for part in source.iter("AbstractText")]
    assert labels == ["BACKGROUND", "METHODS", "RESULTS", "CONCLUSIONS"]
    abstract = str(value(graph, node, DCTERMS.abstract))
    starts = [abstract.find(f"{label}: ") for label in labels]
    assert starts[0] == 0 and starts == sorted(starts)
    assert [section.split(": ", 1)[0] for section in abstract.split("\n\n")] == labels

    authors = source.findall("AuthorList/Author")
    assert len(values(graph, node, DCTERMS.creator)) == len(authors)
    first_xml = authors[0]
    first = URIRef(f"{node}/author/1")
    assert first in values(graph, node, DCTERMS.creator)
    assert value(graph, first, RDF.type) == EG.Person
    name = f"{flat(first_xml.findtext('ForeName'))} {flat(first_xml.findtext('LastName'))}"
    assert value(graph, first, RDFS.label) == Literal(name)
    assert value(graph, first, EG.authorPosition) == Literal(1, datatype=INTEGER)
    affiliation = str(value(graph, first, EG.affiliationText))
    assert affiliation.startswith(flat(first_xml.findtext("AffiliationInfo/Affiliation"))[:60])


def test_inline_markup_in_the_title_is_flattened(graph: EvidenceGraph) -> None:
    path = PUBMED / "biopython_pubmed4.xml"
    title_xml = xml_article(path, "27797938").find("MedlineCitation/Article/ArticleTitle")
    assert title_xml is not None
    (italic,) = [flat(element.text) for element in title_xml.iter("i")]
    import_files(graph, path)
    title = str(value(graph, article("27797938"), DCTERMS.title))
    assert "<i>" not in title and "<" not in title
    assert f"the {italic} gene region" in title
    # checked by reading line 31 of the fixture
    assert title == (
        "Leucocyte telomere length, genetic variants at the TERT gene region "
        "and risk of pancreatic cancer."
    )
    assert value(graph, article("27797938"), RDFS.label) == Literal(title)


def test_season_date_is_a_year_and_mesh_headings_are_subjects(graph: EvidenceGraph) -> None:
    path = PUBMED / "biopython_pubmed1.xml"
    citation = xml_article(path, "12091962").find("MedlineCitation")
    assert citation is not None
    date = citation.find("Article/Journal/JournalIssue/PubDate")
    assert date is not None
    assert date.findtext("Year") == "1990" and date.findtext("Season") == "Spring"
    assert date.find("Month") is None
    headings = {
        MESH + str(name.get("UI"))
        for name in citation.findall("MeshHeadingList/MeshHeading/DescriptorName")
    }
    import_files(graph, path)
    node = article("12091962")
    assert value(graph, node, DCTERMS.issued) == Literal("1990", datatype=YEAR)
    subjects = {str(term) for term in values(graph, node, DCTERMS.subject)}
    assert len(subjects) == len(headings) and subjects == headings


@pytest.mark.parametrize("name", FIXTURES)
def test_importing_the_same_file_twice_adds_nothing(graph: EvidenceGraph, name: str) -> None:
    import_files(graph, PUBMED / name)
    size = len(graph.store)
    again = import_files(graph, PUBMED / name)
    assert again.triples_added == 0 and again.values_replaced == 0
    assert len(graph.store) == size


def test_article_and_registry_record_report_the_same_study(graph: EvidenceGraph) -> None:
    import_files(graph, NEJM)
    # constructed for this test: a real registry record (GET73, NCT03418623) renumbered as
    # the trial the NEJM article reports, so that the two records meet on one study node
    record = json.loads((DATA / "ctgov" / "NCT03418623.json").read_text(encoding="utf-8"))
    record["protocolSection"]["identificationModule"]["nctId"] = "NCT02149199"
    summary = Importer(graph, ctgov.map_study).run([Record("constructed NCT02149199", record)])
    assert summary.imported == 1 and summary.stopped is None, summary.stopped

    trial = study("NCT02149199")
    reporters = graph.query(REPORTERS, {"reports": EG.reports, "study": trial}).column("source")
    assert set(reporters) == {article("29768149"), EGID["source/ctgov/NCT02149199"]}
    assert value(graph, trial, EG.nctId) == Literal("NCT02149199")
    assert EGV.Randomised in values(graph, trial, EG.studyDesign)
    report = graph.validate()
    assert report.conforms, report.table()


# --- bad input, through the command line ------------------------------------------


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """An on-disk store already holding one article, so that "unchanged" means something."""
    path = tmp_path / "kg.db"
    result = import_pubmed(path, str(PUBMED / "biopython_pubmed4.xml"))
    assert result.exit_code == 0, result.output
    return path


def import_pubmed(store: Path, *args: str) -> Result:
    return CliRunner().invoke(
        cli,
        ["--store", f"oxigraph:{store}", "import", "pubmed", "--no-progress", *args],
        catch_exceptions=False,
    )


def triple_count(store: Path) -> int:
    graph = EvidenceGraph(OxigraphStore(store))
    try:
        return len(graph.store)
    finally:
        graph.close()


def holds_article(store: Path, pmid: str) -> bool:
    graph = EvidenceGraph(OxigraphStore(store))
    try:
        return bool(graph.query("ASK { ?a ?p ?o }", {"a": article(pmid)}).boolean)
    finally:
        graph.close()


def assert_refused(store: Path, path: Path, *fragments: str, options: tuple[str, ...] = ()) -> str:
    before = triple_count(store)
    result = import_pubmed(store, *options, str(path))
    assert result.exit_code == 3, result.output
    for fragment in fragments:
        assert fragment in result.output, (fragment, result.output)
    assert triple_count(store) == before
    return result.output


def test_truncated_xml_names_file_line_and_column(store_path: Path, tmp_path: Path) -> None:
    raw = NEJM.read_bytes()
    cut = raw[: len(raw) // 2]
    truncated = tmp_path / "truncated.xml"
    truncated.write_bytes(cut)
    output = assert_refused(store_path, truncated, "truncated or malformed")
    # expat stops at the end of the input: the last line, the bytes after its newline
    line, column = cut.count(b"\n") + 1, len(cut) - cut.rfind(b"\n")  # 1-based: just past the end
    assert f"{truncated}:{line}:{column}:" in output


def test_article_without_pmid(store_path: Path, tmp_path: Path) -> None:
    path = PUBMED / "biopython_pubmed1.xml"
    first, second = [
        element.findtext("MedlineCitation/PMID")
        for element in ElementTree.parse(path).getroot().iter("PubmedArticle")
    ]
    text, removed = re.subn(rf"<PMID[^>]*>{first}</PMID>", "", path.read_text(encoding="utf-8"))
    assert removed == 1
    edited = tmp_path / "no-pmid.xml"
    edited.write_text(text, encoding="utf-8")

    assert_refused(store_path, edited, "no PMID", "article 1")
    assert not holds_article(store_path, str(second))

    result = import_pubmed(store_path, "--on-invalid", "skip", str(edited))
    assert result.exit_code == 0, result.output
    assert "skipped:" in result.output and "no PMID" in result.output
    assert holds_article(store_path, str(second))
    assert not holds_article(store_path, str(first))


def test_root_element_that_is_not_a_pubmed_article_set(store_path: Path, tmp_path: Path) -> None:
    page = tmp_path / "page.xml"
    page.write_text("<html/>", encoding="utf-8")
    assert_refused(store_path, page, "not PubMed efetch XML", "<html>", "PubmedArticleSet")
    assert_refused(store_path, page, "nothing could be imported", options=("--on-invalid", "skip"))


def test_gzipped_xml_imports(store_path: Path, tmp_path: Path) -> None:
    packed = tmp_path / "pubmed-29768149.xml.gz"
    packed.write_bytes(gzip.compress(NEJM.read_bytes()))
    before = triple_count(store_path)
    result = import_pubmed(store_path, str(packed))
    assert result.exit_code == 0, result.output
    assert holds_article(store_path, "29768149")
    assert triple_count(store_path) > before


def test_gz_file_that_is_not_gzip(store_path: Path, tmp_path: Path) -> None:
    fake = tmp_path / "x.xml.gz"
    fake.write_bytes(b"<PubmedArticleSet></PubmedArticleSet>\n")
    assert_refused(store_path, fake, f"{fake}:", "cannot read the file", ".gz")


def test_empty_directory(store_path: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_refused(store_path, empty, f"{empty}:", "holds no .xml or .xml.gz file")


# --- hostile input (issue 13): entity expansion, size limits ---------------------------------


def billion_laughs(levels: int = 9) -> bytes:
    """An efetch-shaped file whose title expands ten-fold per entity level (10**9 "ha")."""
    entities = '<!ENTITY a0 "ha">' + "".join(
        f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, levels + 1)
    )
    return (
        f'<?xml version="1.0"?><!DOCTYPE PubmedArticleSet [{entities}]><PubmedArticleSet>'
        "<PubmedArticle><MedlineCitation><PMID>1</PMID><Article><Journal><Title>J</Title>"
        f"</Journal><ArticleTitle>&a{levels};</ArticleTitle></Article></MedlineCitation>"
        "</PubmedArticle></PubmedArticleSet>"
    ).encode()


def test_entity_expansion_is_refused_as_an_attack_not_a_bad_download(
    store_path: Path, tmp_path: Path
) -> None:
    path = tmp_path / "laughs.xml"
    path.write_bytes(billion_laughs())
    output = assert_refused(store_path, path, f"{path}:1:", "entity-expansion", "billion laughs")
    assert "not a download fault" in output
    assert "Download the file again" not in output


def test_external_entities_are_never_read_nor_fetched(store_path: Path, tmp_path: Path) -> None:
    """XXE: an entity naming a local file is refused as made elsewhere (the file's text
    never read, not a download fault); a parameter entity or an external DTD naming a URL
    is not fetched (a listener on 127.0.0.1 sees nobody)."""
    secret = tmp_path / "secret.txt"
    secret.write_text("a secret line", encoding="utf-8")
    body = NEJM.read_text(encoding="utf-8").split("?>", 1)[-1].split("<PubmedArticleSet", 1)[1]
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.2)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/x.dtd"
        xxe = tmp_path / "xxe.xml"
        xxe.write_text(
            f'<!DOCTYPE PubmedArticleSet [<!ENTITY x SYSTEM "{secret.as_uri()}">]>\n'
            + "<PubmedArticleSet"
            + body.replace("</ArticleTitle>", "&x;</ArticleTitle>", 1),
            encoding="utf-8",
        )
        output = assert_refused(store_path, xxe, f"{xxe}:", "external entity", "never reads")
        assert "not a download fault" in output and "Download the file again" not in output
        for doctype in (f'[<!ENTITY % p SYSTEM "{url}"> %p;]', f'SYSTEM "{url}"'):
            fetching = tmp_path / "dtd.xml"
            fetching.write_text(
                f"<!DOCTYPE PubmedArticleSet {doctype}>\n<PubmedArticleSet" + body,
                encoding="utf-8",
            )
            result = import_pubmed(store_path, str(fetching))
            assert result.exit_code == 0, result.output
        with pytest.raises(TimeoutError):
            listener.accept()


def large_title_gz(path: Path, title_mib: int) -> Path:
    """The NEJM fixture, gzipped, with its title grown to ``title_mib`` MiB of one letter."""
    head, tail = NEJM.read_bytes().split(b"</ArticleTitle>", 1)
    with gzip.open(path, "wb") as packed:
        packed.write(head)
        for _ in range(title_mib):
            packed.write(b"A" * (1 << 20))
        packed.write(b"</ArticleTitle>" + tail)
    return path


def test_an_article_past_the_record_limit_is_refused_with_bounded_memory(
    store_path: Path, tmp_path: Path
) -> None:
    packed = large_title_gz(tmp_path / "bomb.xml.gz", 48)
    assert packed.stat().st_size < 1 << 20
    tracemalloc.start()
    try:
        items = list(pubmed.read_paths([packed], Limits(record=1 << 20, member=1 << 30)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20  # neither the file nor the title was read whole
    assert len(items) == 1 and isinstance(items[0], RecordError)

    assert_refused(
        store_path,
        packed,
        f"{packed}: article 1: the article (more than 1 MiB of XML since the start)",
        "--max-record-size SIZE",
        options=("--max-record-size", "1MiB"),
    )


def test_a_gz_file_past_the_member_limit_is_refused(store_path: Path, tmp_path: Path) -> None:
    packed = large_title_gz(tmp_path / "bomb.xml.gz", 3)
    assert_refused(
        store_path,
        packed,
        f"{packed}: the file, decompressed, after 0 article(s) is larger than the limit of 2 MiB",
        "--max-member-size SIZE",
        options=("--max-member-size", "2MiB", "--max-record-size", "64MiB"),
    )


def test_the_default_record_limit_takes_real_articles_and_refuses_a_16_mib_title(
    tmp_path: Path,
) -> None:
    assert pubmed.DEFAULT_LIMITS.record >= 100 * NEJM.stat().st_size
    packed = large_title_gz(tmp_path / "bomb.xml.gz", 16)  # past the 8 MiB default
    items = list(pubmed.read_paths([packed]))
    assert len(items) == 1 and isinstance(items[0], RecordError)
    assert "larger than the limit of 8 MiB" in items[0].reason


def test_the_record_limit_holds_for_articles_smaller_than_a_read_chunk() -> None:
    """Articles of a few kB, read in chunks of a sixteenth of the limit, are measured too."""
    files = sorted(PUBMED.glob("*.xml"))
    sizes = [
        len(ElementTree.tostring(element))
        for path in files
        for element in ElementTree.parse(path).getroot().iter("PubmedArticle")
    ]
    small = Limits(record=min(sizes) // 2, member=1 << 30)
    refused = list(pubmed.read_paths(files, small))
    assert [type(item) for item in refused] == [RecordError] * len(files)  # one a file
    assert all(item.origin.endswith(": article 1") for item in refused)
    ample = Limits(record=2 * max(sizes), member=1 << 30)
    assert [type(item) for item in pubmed.read_paths(files, ample)] == [Record] * len(sizes)
