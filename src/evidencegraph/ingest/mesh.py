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

from rdflib import Namespace, URIRef

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
