"""PubMed efetch XML (``PubmedArticleSet``, plain or gzipped) -> RDF triples.

Reading streams one ``PubmedArticle`` at a time (memory stays flat for files
of any size); a truncated or malformed file yields the articles before the
fault and then an error naming the line and column. :func:`map_article` turns
one article element into triples; it needs no store. docs/importing.md has
the field-by-field table.
"""

from __future__ import annotations

import datetime
import gzip
import pyexpat
import re
import xml.etree.ElementTree as ElementTree
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, cast

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
from evidencegraph.ingest.records import MIB, Limits, Record, RecordError, size_text, too_large
from evidencegraph.ingest.sources import RecordSource
from evidencegraph.ontology.source_graphs import SourceKind, record_graph

SUFFIXES = (".xml", ".xml.gz")
#: A PubMed article's XML is a few kB, tens of kB with thousands of authors. Articles are
#: streamed, so the record limit is what bounds memory; it also keeps every text under the
#: 16 MiB that Oxigraph takes in one N-Triples line. A baseline file decompresses to a few
#: hundred MB.
DEFAULT_LIMITS = Limits(record=8 * MIB, member=4096 * MIB)
#: Bytes handed to the XML parser at a time, at most; a record is measured to within one of
#: these, so they are never more than a sixteenth of the record limit.
_CHUNK = 1 << 20
#: expat's refusals of entity expansion ("billion laughs"); older expat lacks the first
_ENTITY_ATTACKS = frozenset(
    code
    for code in (
        pyexpat.errors.codes.get(
            "limit on input amplification factor (from DTD and entities) breached"
        ),
        pyexpat.errors.codes.get("recursive entity reference"),
    )
    if code is not None
)
_UNDEFINED_ENTITY = pyexpat.errors.codes[pyexpat.errors.XML_ERROR_UNDEFINED_ENTITY]
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
#: A MeSH descriptor (D), qualifier (Q) or supplementary concept (C) unique identifier.
_MESH_UI = re.compile(r"[CDQ]\d{6,9}")
_PMCID = re.compile(r"PMC\d+")
#: PubMed's language codes: three letters (ISO 639-2)
_LANGUAGE = re.compile(r"[a-z]{3}")
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}


# --- reading -------------------------------------------------------------------


def read_paths(
    files: Iterable[Path], limits: Limits = DEFAULT_LIMITS
) -> Iterator[Record | RecordError]:
    """Every article element of every file, in order, streamed.

    An article larger than ``limits.record`` bytes, and a file that is (or decompresses to)
    more than ``limits.member`` bytes, is refused once the limit is reached.
    """
    for path in files:
        if path.name.lower().endswith(".gz"):
            with gzip.open(path, "rb") as packed:
                yield from read_stream(cast(IO[bytes], packed), str(path), limits, "decompressed")
        else:
            with path.open("rb") as plain:
                yield from read_stream(plain, str(path), limits)


def read_stream(
    stream: IO[bytes], origin: str, limits: Limits = DEFAULT_LIMITS, how: str = ""
) -> Iterator[Record | RecordError]:
    """The ``PubmedArticle`` elements of one XML stream, each detached once read.

    The stream is fed to the parser a chunk at a time, so no more than ``limits.record``
    bytes (and one chunk) of one article are ever held; ``how`` says how the stream was
    read, for messages ("decompressed").
    """
    parser: ElementTree.XMLPullParser[ElementTree.Element] = ElementTree.XMLPullParser(
        events=("start", "end")
    )
    state = _Reading(origin)
    total = 0
    try:
        step = min(_CHUNK, max(limits.record // 16, 256))
        while chunk := stream.read(step):
            total += len(chunk)
            state.pending += len(chunk)
            parser.feed(chunk)
            yield from state.take(parser.read_events())
            if state.done:
                return
            if total > limits.member:
                what = f"the file{', ' + how + ',' if how else ''}"
                yield RecordError(
                    origin,
                    too_large(
                        f"{what} after {state.count} article(s)", limits.member, "--max-member-size"
                    ),
                )
                return
            if state.pending > limits.record:
                yield RecordError(
                    f"{origin}: article {state.count + 1}",
                    too_large(
                        f"the article (more than {size_text(limits.record)} of XML since "
                        f"{'article ' + str(state.count) if state.count else 'the start'})",
                        limits.record,
                        "--max-record-size",
                    ),
                )
                return
        parser.close()
        yield from state.take(parser.read_events())
    except ElementTree.ParseError as error:
        yield _parse_error(error, origin, state.count)
    except (OSError, EOFError, zlib.error) as error:
        yield RecordError(origin, f"cannot read the file ({error}); is it a complete .gz file?")


class _Reading:
    """Where the reading of one stream is: the root, the articles read, bytes since the last."""

    def __init__(self, origin: str):
        self.origin = origin
        self.root: ElementTree.Element | None = None
        self.count = 0
        #: bytes fed since the last article ended (to within a chunk)
        self.pending = 0
        self.done = False

    def take(self, events: Iterable[Any]) -> Iterator[Record | RecordError]:
        for event, element in events:
            assert isinstance(element, ElementTree.Element)
            if event == "start":
                if self.root is None:
                    self.root = element
                    if element.tag not in ("PubmedArticleSet", "PubmedBookArticleSet"):
                        self.done = True
                        yield RecordError(
                            self.origin,
                            f"not PubMed efetch XML: the root element is <{element.tag}>, "
                            "not <PubmedArticleSet>. Fetch with efetch.fcgi?db=pubmed&retmode=xml.",
                        )
                        return
                continue
            if element is self.root:
                continue
            if element.tag in ("PubmedArticle", "PubmedBookArticle"):
                self.count += 1
                self.pending = 0
                yield Record(f"{self.origin}: article {self.count}", element)
            if self.root is not None and element in self.root:
                # detach each child of the root once read (articles, and whatever else is
                # there), so memory stays flat; whoever holds an article keeps it whole
                self.root.remove(element)


def _parse_error(error: ElementTree.ParseError, origin: str, count: int) -> RecordError:
    line, column = error.position
    where = f"{origin}:{line}:{column + 1}"
    message = error.msg if hasattr(error, "msg") else str(error)
    read = (
        "no article of this file could be read"
        if count == 0
        else f"the {count} complete article(s) before this point were read"
    )
    if error.code in _ENTITY_ATTACKS:
        return RecordError(
            where,
            f"the XML declares entities that expand far beyond the file ({message}): an "
            "entity-expansion ('billion laughs') attack, refused. PubMed's own files declare no "
            f"entities, so this one was made or altered elsewhere: it is not a download fault. "
            f"{read[0].upper()}{read[1:]}. Find out where the file came from before "
            "importing anything from it.",
        )
    if error.code == _UNDEFINED_ENTITY:
        # an external entity (file:///etc/passwd, a URL) is never read, so it is undefined
        # here: a download does not add entity references, a person or a program did
        return RecordError(
            where,
            f"the XML refers to an entity it does not define ({message}): an external "
            "entity (a file or URL, which this importer never reads) or an HTML one such as "
            f"&nbsp;. PubMed's own files use neither, so this one was made or altered "
            f"elsewhere: it is not a download fault. {read[0].upper()}{read[1:]}. Find out "
            "where the file came from before importing anything from it.",
        )
    return RecordError(
        where,
        f"truncated or malformed XML ({message}): {read}. Download the file again.",
    )


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
        self.node = article_iri(pmid, None)
        self.out = TripleSink(
            origin,
            f"PMID {pmid}",
            graph=record_graph("pubmed", pmid),
            source=str(self.node),
            kind=SourceKind.JOURNAL_ARTICLE,
            version=_revised(citation),
        )

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
        self._details()
        self._trials()
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
        """Each MeSH heading: its descriptor as dcterms:subject, and a heading node for the
        descriptor and one for each of its qualifiers, each saying whether it is a major topic
        (PubMed marks the descriptor, or one descriptor-qualifier pair, as major)."""
        out = self.out
        for heading in self.citation.findall("MeshHeadingList/MeshHeading"):
            name = heading.find("DescriptorName")
            descriptor = name.get("UI", "") if name is not None else ""
            if name is None or not _MESH_UI.fullmatch(descriptor):
                continue
            subject = URIRef(MESH + descriptor)
            label = _text(name)
            out.add(self.node, DCTERMS.subject, subject)
            out.text(subject, RDFS.label, label)
            self._heading(descriptor, label, name.get("MajorTopicYN"), None)
            for qualifier in heading.findall("QualifierName"):
                self._heading(descriptor, label, qualifier.get("MajorTopicYN"), qualifier)

    def _heading(
        self,
        descriptor: str,
        label: str,
        major: str | None,
        qualifier: ElementTree.Element | None,
    ) -> None:
        out = self.out
        code = qualifier.get("UI", "") if qualifier is not None else ""
        if qualifier is not None and not _MESH_UI.fullmatch(code):
            return
        node = URIRef(f"{self.node}/mesh/{descriptor}{'-' + code if code else ''}")
        out.add(self.node, EG.meshHeading, node)
        out.add(node, RDF.type, EG.MeshHeading)
        out.add(node, EG.meshDescriptor, URIRef(MESH + descriptor))
        out.add(node, EG.majorTopic, Literal(major == "Y"))
        if qualifier is None:
            out.text(node, RDFS.label, label)
            return
        qualifier_label = _text(qualifier)
        out.add(node, EG.meshQualifier, URIRef(MESH + code))
        out.text(URIRef(MESH + code), RDFS.label, qualifier_label)
        out.text(node, RDFS.label, f"{label} / {qualifier_label}")

    def _trials(self) -> None:
        """The ClinicalTrials.gov studies the article reports (its DataBankList).

        Only the link is written, never facts about the study (bug 5 of issue 18): this
        mapping cannot know whether the store holds the study, and a study the registry has
        not described would be an untyped node holding only what the article hints. The link
        alone is a study not imported yet, which the shapes allow; the registry record, when
        imported, describes the study (its design included), and the article keeps its
        publication types (eg:publicationType) for a query that wants them.
        """
        for bank in self.article.findall("DataBankList/DataBank"):
            if _text(bank.find("DataBankName")) != "ClinicalTrials.gov":
                continue
            for accession in bank.findall("AccessionNumberList/AccessionNumber"):
                nct = normalise_nct(_text(accession))
                if nct is None:
                    self.out.warn(f"DataBankList: {_text(accession)!r} is not an NCT number")
                    continue
                self.out.add(self.node, EG.reports, study_iri(nct))

    def _details(self) -> None:
        """Keywords, chemicals, grants, PMC id, languages, volume, issue and pages."""
        out, node = self.out, self.node
        for keyword in self.citation.findall("KeywordList/Keyword"):
            out.text(node, EG.keyword, _text(keyword))
        for chemical in self.citation.findall("ChemicalList/Chemical"):
            name = chemical.find("NameOfSubstance")
            identifier = name.get("UI", "") if name is not None else ""
            if not _MESH_UI.fullmatch(identifier):
                continue
            substance = URIRef(MESH + identifier)
            out.add(node, EG.chemical, substance)
            out.text(substance, RDFS.label, _text(name))
            number = _text(chemical.find("RegistryNumber"))
            if number and number != "0":  # PubMed's 0: the substance has no registry number
                out.text(substance, EG.registryNumber, number)
        for position, grant in enumerate(self.article.findall("GrantList/Grant"), start=1):
            agency = _text(grant.find("Agency"))
            if not agency:
                out.warn(f"GrantList: grant {position} names no agency; left out")
                continue
            funding = URIRef(f"{node}/grant/{position}")
            identifier = _text(grant.find("GrantID"))
            out.add(node, EG.fundedBy, funding)
            out.add(funding, RDF.type, EG.Grant)
            out.text(funding, RDFS.label, f"{identifier} ({agency})" if identifier else agency)
            out.text(funding, EG.fundingAgency, agency)
            out.text(funding, EG.grantId, identifier)
            out.text(funding, EG.grantCountry, _text(grant.find("Country")))
        for article_id in self.root.findall("PubmedData/ArticleIdList/ArticleId"):
            pmcid = _text(article_id).upper()
            if article_id.get("IdType") == "pmc" and _PMCID.fullmatch(pmcid):
                out.text(node, EG.pmcid, pmcid)
                break
        for language in self.article.findall("Language"):
            code = _text(language).lower()
            if _LANGUAGE.fullmatch(code):
                out.text(node, EG.language, code)
        issue = self.article.find("Journal/JournalIssue")
        if issue is not None:
            out.text(node, EG.volume, _text(issue.find("Volume")))
            out.text(node, EG.issue, _text(issue.find("Issue")))
        out.text(node, EG.pages, self._pages())

    def _pages(self) -> str:
        pagination = self.article.find("Pagination")
        if pagination is None:
            return ""
        pages = _text(pagination.find("MedlinePgn"))
        if pages:
            return pages
        first, last = _text(pagination.find("StartPage")), _text(pagination.find("EndPage"))
        return f"{first}-{last}" if first and last else first


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


#: The registry's source: ``evidencegraph import pubmed``.
SOURCE = RecordSource(
    name="pubmed",
    description="""Import PubMed efetch XML (PubmedArticleSet), plain or gzipped.

    An article's ClinicalTrials.gov ids (DataBankList) link it to the studies it reports.
    """,
    suffixes=SUFFIXES,
    default_limits=DEFAULT_LIMITS,
    record_marker=RECORD_MARKER,
    reader=read_paths,
    mapper=map_article,
)


def _revised(citation: ElementTree.Element) -> str:
    """The date PubMed last revised the citation (DateRevised), as an ISO date, or ""."""
    revised = citation.find("DateRevised")
    if revised is None:
        return ""
    parts = [_text(revised.find(name)) for name in ("Year", "Month", "Day")]
    if not all(part and part.isdigit() for part in parts):
        return ""
    year, month, day = (int(part) for part in parts)
    try:
        return datetime.date(year, month, day).isoformat()
    except ValueError:
        return ""
