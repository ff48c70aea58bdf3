"""Identifier normalisation and IRI minting: one node per real thing.

Studies are minted from their NCT number, articles from their PMID (or DOI
when there is no PMID), registry records from the NCT number they register.
Concepts that several records share (drugs, conditions, organisations, risks)
are minted from a slug of their normalised name, the way the curated
evidence names them, so imported and curated nodes meet.
"""

from __future__ import annotations

import re
import unicodedata

from rdflib import URIRef

from evidencegraph.ontology.namespace import EGID

_NCT = re.compile(r"^NCT\d{8}$")
_EUDRACT = re.compile(r"^\d{4}-\d{6}-\d{2}$")
_ISRCTN = re.compile(r"^ISRCTN\d{8}$")
_PMID = re.compile(r"^[1-9]\d{0,8}$")
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_DOI_PREFIXES = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:")


def normalise_nct(value: str) -> str | None:
    """``nct 02649231`` or ``NCT02649231`` -> ``NCT02649231``; None when it is not one."""
    compact = re.sub(r"\s+", "", value).upper()
    return compact if _NCT.match(compact) else None


def normalise_eudract(value: str) -> str | None:
    """A EudraCT number (``2015-000222-11``), or None; a trailing country code is dropped."""
    candidate = value.strip()[:14]
    return candidate if _EUDRACT.match(candidate) else None


def normalise_isrctn(value: str) -> str | None:
    """``ISRCTN 12345678`` -> ``ISRCTN12345678``; None when it is not one."""
    compact = re.sub(r"\s+", "", value).upper()
    return compact if _ISRCTN.match(compact) else None


def normalise_pmid(value: str) -> str | None:
    """A PubMed id without leading zeros or spaces, or None."""
    digits = value.strip().lstrip("0")
    return digits if _PMID.match(digits) else None


def normalise_doi(value: str) -> str | None:
    """A DOI without resolver prefix, lower-cased (DOIs are case-insensitive), or None."""
    candidate = value.strip()
    for prefix in _DOI_PREFIXES:
        if candidate.lower().startswith(prefix):
            candidate = candidate[len(prefix) :]
    candidate = candidate.lower()
    return candidate if _DOI.match(candidate) else None


def slug(text: str) -> str:
    """A lower-case, hyphenated ASCII name: ``Alcohol Use Disorder`` -> ``alcohol-use-disorder``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return "-".join(words)[:120] or "unnamed"


def study_iri(nct_id: str) -> URIRef:
    """The study registered as ``nct_id``."""
    return EGID[f"study/{nct_id}"]


def registry_record_iri(nct_id: str) -> URIRef:
    """The ClinicalTrials.gov record of ``nct_id``."""
    return EGID[f"source/ctgov/{nct_id}"]


def article_iri(pmid: str | None, doi: str | None) -> URIRef:
    """An article, by PMID when it has one, else by DOI."""
    if pmid:
        return EGID[f"source/pmid/{pmid}"]
    if doi:
        return EGID[f"source/doi/{doi}"]
    raise ValueError("an article needs a PMID or a DOI")


def concept_iri(kind: str, name: str) -> URIRef:
    """A shared concept (``drug``, ``condition``, ``org``, ``risk``) by the slug of its name."""
    return EGID[f"{kind}/{slug(name)}"]
