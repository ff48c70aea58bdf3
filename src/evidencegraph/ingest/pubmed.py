"""PubMed efetch XML (``PubmedArticleSet``, plain or gzipped) -> RDF triples.

Reading streams one ``PubmedArticle`` at a time (memory stays flat for files
of any size); a truncated or malformed file yields the articles before the
fault and then an error naming the line and column. :func:`map_article` turns
one article element into triples; it needs no store. docs/importing.md has
the field-by-field table.
"""

from __future__ import annotations

import gzip
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, cast

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from evidencegraph.ingest.identifiers import (
    article_iri,
    normalise_doi,
    normalise_nct,
    normalise_pmid,
    study_iri,
)
from evidencegraph.ingest.mapping import (
    DCTERMS,
    EG,
    EGV,
    RDF,
    RDFS,
    XSD_YEAR,
    XSD_YEAR_MONTH,
    Mapped,
    MappingError,
    TripleSink,
    date_literal,
)
from evidencegraph.ingest.records import Record, RecordError

SUFFIXES = (".xml", ".xml.gz")
#: Counted in the inputs to size the progress bar: once per record.
RECORD_MARKER = b"<PubmedArticle>"
MESH = "http://id.nlm.nih.gov/mesh/"
#: Publication types of items that are not peer-reviewed research articles.
NOT_PEER_REVIEWED = frozenset(
    {
        "Comment",
        "Editorial",
        "Letter",
        "News",
        "Newspaper Article",
        "Preprint",
        "Interview",
        "Biography",
        "Portrait",
        "Published Erratum",
        "Retraction Notice",
        "Expression of Concern",
    }
)
#: Publication types that are design hints for the study the article reports.
DESIGN_HINTS = {
    "Randomized Controlled Trial": EGV.Randomised,
    "Observational Study": EGV.Observational,
}
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}


# --- reading -------------------------------------------------------------------


def read_paths(files: Iterable[Path]) -> Iterator[Record | RecordError]:
    """Every article element of every file, in order, streamed."""
    for path in files:
        if path.name.lower().endswith(".gz"):
            with gzip.open(path, "rb") as packed:
                yield from read_stream(cast(IO[bytes], packed), str(path))
        else:
            with path.open("rb") as plain:
                yield from read_stream(plain, str(path))


def read_stream(stream: IO[bytes], origin: str) -> Iterator[Record | RecordError]:
    """The ``PubmedArticle`` elements of one XML stream, each cleared once mapped."""
    count = 0
    root: ElementTree.Element | None = None
    try:
        for event, element in ElementTree.iterparse(stream, events=("start", "end")):
            if event == "start":
                if root is None:
                    root = element
                    if element.tag not in ("PubmedArticleSet", "PubmedBookArticleSet"):
                        yield RecordError(
                            origin,
                            f"not PubMed efetch XML: the root element is <{element.tag}>, "
                            "not <PubmedArticleSet>. Fetch with efetch.fcgi?db=pubmed&retmode=xml.",
                        )
                        return
                continue
            if element.tag in ("PubmedArticle", "PubmedBookArticle"):
                count += 1
                yield Record(f"{origin}: article {count}", element)
                # detach the article so memory stays flat; whoever holds it keeps it whole
                if root is not None and element in root:
                    root.remove(element)
    except ElementTree.ParseError as error:
        line, column = error.position
        read = (
            "no article of this file could be read"
            if count == 0
            else f"the {count} complete article(s) before this point were read"
        )
        yield RecordError(
            f"{origin}:{line}:{column + 1}",
            f"truncated or malformed XML ({error.msg if hasattr(error, 'msg') else error}): "
            f"{read}. Download the file again.",
        )
    except (OSError, EOFError) as error:
        yield RecordError(origin, f"cannot read the file ({error}); is it a complete .gz file?")


# --- mapping -------------------------------------------------------------------


def _text(element: ElementTree.Element | None) -> str:
    """The element's text with inline markup (<i>, <sub> ...) flattened, spaces normalised."""
    if element is None:
        return ""
    return " ".join("".join(element.itertext()).split())


def map_article(content: object, origin: str) -> Mapped:
    """One ``PubmedArticle`` element as triples. Raises MappingError without a PMID."""
    if not isinstance(content, ElementTree.Element):
        raise MappingError("not a PubMed article element.")
    if content.tag == "PubmedBookArticle":
        raise MappingError("a PubMed book record, not a journal article; it is not imported.")
    citation = content.find("MedlineCitation")
    pmid = normalise_pmid(_text(citation.find("PMID") if citation is not None else None))
    if citation is None or pmid is None:
        raise MappingError("the article has no PMID; every imported article needs one.")
    article = citation.find("Article")
    if article is None:
        raise MappingError(f"PMID {pmid} has no <Article> element.")
    return _ArticleMapper(pmid, content, citation, article, origin).map()


class _ArticleMapper:
    def __init__(
        self,
        pmid: str,
        root: ElementTree.Element,
        citation: ElementTree.Element,
        article: ElementTree.Element,
        origin: str,
    ):
        self.pmid = pmid
        self.root = root
        self.citation = citation
        self.article = article
        self.out = TripleSink(origin, f"PMID {pmid}")
        self.node = article_iri(pmid, None)

    def map(self) -> Mapped:
        out, node, article = self.out, self.node, self.article
        title = _text(article.find("ArticleTitle")) or _text(article.find("VernacularTitle"))
        out.add(node, RDF.type, EG.JournalArticle)
        out.add(node, EG.sourceType, EGV.JournalArticleSource)
        out.text(node, RDFS.label, title or f"PubMed article {self.pmid}")
        out.text(node, DCTERMS.title, title)
        out.text(node, EG.pmid, self.pmid)
        out.text(node, EG.doi, self._doi())
        out.text(node, EG.journal, _text(article.find("Journal/Title")) or "(journal not given)")
        out.add_optional(
            node, DCTERMS.issued, _pub_date(article.find("Journal/JournalIssue/PubDate"))
        )
        types = [_text(t) for t in article.findall("PublicationTypeList/PublicationType")]
        for kind in types:
            out.text(node, EG.publicationType, kind)
        out.add(node, EG.peerReviewed, Literal(not NOT_PEER_REVIEWED.intersection(types)))
        out.text(node, DCTERMS.abstract, self._abstract())
        out.add(
            node,
            EG.url,
            Literal(f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/", datatype=XSD.anyURI),
        )
        self._authors()
        self._mesh()
        self._trials(types)
        return out.mapped()

    def _doi(self) -> str | None:
        for location in self.article.findall("ELocationID"):
            if location.get("EIdType") == "doi":
                return normalise_doi(_text(location))
        for identifier in self.root.findall("PubmedData/ArticleIdList/ArticleId"):
            if identifier.get("IdType") == "doi":
                return normalise_doi(_text(identifier))
        return None

    def _abstract(self) -> str:
        sections = []
        for part in self.article.findall("Abstract/AbstractText"):
            text = _text(part)
            label = part.get("Label")
            sections.append(f"{label}: {text}" if label else text)
        return "\n\n".join(section for section in sections if section)

    def _authors(self) -> None:
        out = self.out
        for position, author in enumerate(self.article.findall("AuthorList/Author"), start=1):
            collective = _text(author.find("CollectiveName"))
            name = collective or " ".join(
                part
                for part in (_text(author.find("ForeName")), _text(author.find("LastName")))
                if part
            )
            if not name:
                continue
            person = URIRef(f"{self.node}/author/{position}")
            out.add(self.node, DCTERMS.creator, person)
            out.add(person, RDF.type, EG.Organization if collective else EG.Person)
            out.text(person, RDFS.label, name)
            if collective:
                continue
            out.add(person, EG.authorPosition, Literal(position, datatype=XSD.integer))
            for affiliation in author.findall("AffiliationInfo/Affiliation"):
                out.text(person, EG.affiliationText, _text(affiliation))
            for identifier in author.findall("Identifier"):
                if identifier.get("Source") == "ORCID":
                    out.text(person, EG.orcid, _orcid(_text(identifier)))

    def _mesh(self) -> None:
        for heading in self.citation.findall("MeshHeadingList/MeshHeading/DescriptorName"):
            descriptor = heading.get("UI")
            if descriptor:
                subject = URIRef(MESH + descriptor)
                self.out.add(self.node, DCTERMS.subject, subject)
                self.out.text(subject, RDFS.label, _text(heading))

    def _trials(self, types: list[str]) -> None:
        for bank in self.article.findall("DataBankList/DataBank"):
            if _text(bank.find("DataBankName")) != "ClinicalTrials.gov":
                continue
            for accession in bank.findall("AccessionNumberList/AccessionNumber"):
                nct = normalise_nct(_text(accession))
                if nct is None:
                    self.out.warn(f"DataBankList: {_text(accession)!r} is not an NCT number")
                    continue
                study = study_iri(nct)
                self.out.add(self.node, EG.reports, study)
                for kind in types:
                    if kind in DESIGN_HINTS:
                        self.out.add(study, EG.studyDesign, DESIGN_HINTS[kind])


def _orcid(text: str) -> str:
    """``https://orcid.org/0000-0002-1825-0097`` or ``0000000218250097`` -> the hyphenated iD."""
    compact = text.rsplit("/", 1)[-1].replace("-", "").strip().upper()
    if len(compact) == 16:
        return "-".join(compact[i : i + 4] for i in range(0, 16, 4))
    return compact


def _pub_date(element: ElementTree.Element | None) -> ox.Literal | None:
    """PubDate as xsd:date, xsd:gYearMonth or xsd:gYear, to the precision given."""
    if element is None:
        return None
    year = _text(element.find("Year")) or _text(element.find("MedlineDate"))[:4]
    if not (len(year) == 4 and year.isdigit()):
        return None
    month_text = _text(element.find("Month")).lower()[:3]
    month = _MONTHS.get(month_text) or (int(month_text) if month_text.isdigit() else None)
    if month is None or not 1 <= month <= 12:
        return ox.Literal(year, datatype=XSD_YEAR)
    day_text = _text(element.find("Day"))
    day = date_literal(f"{year}-{month:02d}-{int(day_text):02d}") if day_text.isdigit() else None
    # a day that does not exist (30 February) leaves the month
    return day or ox.Literal(f"{year}-{month:02d}", datatype=XSD_YEAR_MONTH)
