"""MeSH identifiers: one form per record, and the node NLM names it by.

NLM's MeSH unique identifiers (UIs) were seven characters (``D003324``) until 2014, when new
ones became ten (``D000086382``). NLM kept every UI made before the change as it was and
continued the numbering ("If D009710 is the last descriptor UI ..., then the next descriptor
UI would be D000009711": NLM Technical Bulletin 2013 Mar-Apr (391), "MeSH Unique Identifiers:
Length Expanding to Ten Characters"). So the number alone identifies a record, and
ClinicalTrials.gov's padded ``D000003324`` is NLM's ``D003324``. The canonical form here is
NLM's own UI, the one PubMed's XML and NLM's MeSH RDF (``http://id.nlm.nih.gov/mesh/D003324``)
use, so an article's heading and a registry record's term meet on one node.

Where the seven characters end: descriptors below D067000 (the last seven-character ones
are in the D066xxx range; D000067716, Point-of-Care Testing, 2016 MeSH, has ten);
supplementary concept records (SCRs, ``C...``: most drugs the registry names, e.g.
pembrolizumab C582435) below C590000 (C582435 has seven, remdesivir C000606551 ten). A record
whose number lies near a boundary gets one node whichever form NLM gives it, since every
source goes through :func:`normalise_mesh_ui`; only its link to NLM's page could be off.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from rdflib import Namespace, URIRef

from evidencegraph.ingest.mapping import EG, RDF, RDFS, SKOS, TripleSink

#: NLM's MeSH RDF namespace: descriptors, SCRs and qualifiers by their UI.
MESH = Namespace("http://id.nlm.nih.gov/mesh/")

_UI = re.compile(r"^([CD])(\d{6}|\d{9})$")
#: The first number NLM wrote in ten characters, per kind of record (see the module's note).
_FIRST_TEN_CHARACTER = {"D": 67000, "C": 590000}


def normalise_mesh_ui(value: str) -> str | None:
    """A MeSH descriptor (``D``) or supplementary concept (``C``) UI in NLM's form, or None.

    ``D000003324`` and ``d003324`` -> ``D003324``; ``D000086382`` stays as it is.
    """
    match = _UI.match(value.strip().upper())
    if match is None:
        return None
    kind, digits = match.groups()
    number = int(digits)
    if number < _FIRST_TEN_CHARACTER[kind]:
        return f"{kind}{number:06d}"
    return f"{kind}{number:09d}"


def is_descriptor(ui: str) -> bool:
    """Whether a normalised UI names a descriptor (a heading of the tree), not an SCR."""
    return ui.startswith("D")


def mesh_concept(ui: str) -> URIRef:
    """NLM's IRI of a MeSH record, from its UI in either length.

    Raises ValueError when ``ui`` is not a descriptor or SCR UI; :func:`normalise_mesh_ui`
    is the lenient check.
    """
    normalised = normalise_mesh_ui(ui)
    if normalised is None:
        raise ValueError(
            f"{ui!r} is not a MeSH descriptor or supplementary concept UI "
            "(D or C and 6 or 9 digits, e.g. D003324 or D000086382)"
        )
    return MESH[normalised]


# --- the registry's derived section ---------------------------------------------------


@dataclass(frozen=True)
class MeshTerm:
    """A MeSH record a registry record names: NLM's UI and the term the record gives it."""

    ui: str
    term: str

    @property
    def iri(self) -> URIRef:
        """NLM's IRI of the record."""
        return MESH[self.ui]


@dataclass(frozen=True)
class BrowseModule:
    """One of ClinicalTrials.gov's ``conditionBrowseModule`` / ``interventionBrowseModule``.

    ``terms`` are the MeSH terms the registry's indexer gave the study (``meshes``);
    ``ancestors`` the broader headings it lists for them all, flat (no parent links, and
    not per term); ``found`` the phrases it found each term by, from the browse leaves'
    ``asFound`` (keyed by the term's normalised name, as leaves carry no MeSH UI).
    """

    terms: tuple[MeshTerm, ...] = ()
    ancestors: tuple[MeshTerm, ...] = ()
    found: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def found_in(self, text: str) -> list[MeshTerm]:
        """The terms the indexer found in ``text`` (one of the study's condition names).

        A term is found in the text when one of its ``asFound`` phrases, or the term itself,
        occurs in it as whole words (after :func:`normalise_words`).
        """
        padded = f" {normalise_words(text)} "
        hits = []
        for term in self.terms:
            phrases = (term.term, *self.found.get(normalise_words(term.term), ()))
            if any(f" {normalise_words(p)} " in padded for p in phrases if normalise_words(p)):
                hits.append(term)
        return hits

    def naming(self, names: Sequence[str]) -> MeshTerm | None:
        """The term one of ``names`` (an intervention's name and other names) contains as
        whole words: the longest, then the one named first (a drug intervention names one drug).

        Leaves' ``asFound`` is not used here: for interventions the registry's phrases are
        often unrelated words ("Months", "Vaccination" for pembrolizumab).
        """
        best: tuple[int, int, MeshTerm] | None = None
        for name in names:
            padded = f" {normalise_words(name)} "
            for term in self.terms:
                words = normalise_words(term.term)
                at = padded.find(f" {words} ") if words else -1
                if at >= 0 and (best is None or (-len(words), at) < best[:2]):
                    best = (-len(words), at, term)
            if best is not None:
                return best[2]
        return None


def normalise_words(text: str) -> str:
    """Lower-case words of letters and digits: ``Caries,Dental`` -> ``caries dental``."""
    return " ".join(re.findall(r"[^\W_]+", text.lower()))


def browse_module(module: object) -> BrowseModule:
    """A browse module as the record gives it; entries without a valid UI or a term are left
    out (a record's shape is checked before mapping, so the fields are of the right type)."""
    if not isinstance(module, dict):
        return BrowseModule()
    found: dict[str, list[str]] = {}
    for leaf in module.get("browseLeaves") or ():
        name, phrase = leaf.get("name"), leaf.get("asFound")
        if isinstance(name, str) and isinstance(phrase, str) and phrase.strip():
            found.setdefault(normalise_words(name), []).append(phrase.strip())
    return BrowseModule(
        terms=_terms(module.get("meshes")),
        ancestors=_terms(module.get("ancestors")),
        found={name: tuple(phrases) for name, phrases in found.items()},
    )


def _terms(entries: object) -> tuple[MeshTerm, ...]:
    terms: dict[str, MeshTerm] = {}
    for entry in entries if isinstance(entries, list) else ():
        ui = normalise_mesh_ui(str(entry.get("id") or ""))
        term = str(entry.get("term") or "").strip()
        if ui and term:
            terms.setdefault(ui, MeshTerm(ui, term))
    return tuple(terms.values())


def write_browse_module(
    out: TripleSink,
    study: URIRef,
    module: BrowseModule,
    term_property: URIRef,
    ancestor_property: URIRef,
) -> None:
    """The study's MeSH terms and their ancestors, as the registry lists them.

    Each term and ancestor is a node of its own, NLM's IRI, typed ``eg:MeshTerm`` with its
    label and UI (``skos:notation``). The study links to each term (``term_property``) and
    each ancestor (``ancestor_property``). A term gets ``skos:broaderTransitive`` to each
    ancestor only when the module lists that one term: the list is then exactly its
    ancestors; with several terms it is their union, and which ancestor is whose is not
    said. No ``skos:broader`` (parent) is stated: the registry gives no parent links.
    """
    for term in (*module.terms, *module.ancestors):
        out.add(term.iri, RDF.type, EG.MeshTerm)
        out.text(term.iri, RDFS.label, term.term)
        out.text(term.iri, SKOS.notation, term.ui)
    for term in module.terms:
        out.add(study, term_property, term.iri)
    for ancestor in module.ancestors:
        out.add(study, ancestor_property, ancestor.iri)
        if len(module.terms) == 1 and ancestor != module.terms[0]:
            out.add(module.terms[0].iri, SKOS.broaderTransitive, ancestor.iri)
