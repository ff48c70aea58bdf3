"""MeSH terms from the registry's derived section: ids, tree, drugs, conditions (issue 18)."""

from __future__ import annotations

import pytest
from rdflib import URIRef

from evidencegraph.ingest.mesh import mesh_concept, normalise_mesh_ui

# --- ids: NLM's UI (NLM Technical Bulletin 2013 (391)) ------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("D000003324", "D003324"),  # ClinicalTrials.gov pads the seven-character UIs
        ("D003324", "D003324"),
        (" d000437 ", "D000437"),  # FACTS.md: Alcoholism, MeSH D000437
        ("D000000437", "D000437"),
        ("D000086382", "D000086382"),  # made after 2014: ten characters at NLM too
        ("C000582435", "C582435"),  # pembrolizumab, a supplementary concept record
        ("C000606551", "C000606551"),
    ],
)
def test_mesh_ids_take_nlms_form(given: str, expected: str) -> None:
    assert normalise_mesh_ui(given) == expected
    assert mesh_concept(given) == URIRef("http://id.nlm.nih.gov/mesh/" + expected)


@pytest.mark.parametrize("given", ["", "D12345", "Q000941", "M10797", "DX00437"])
def test_what_is_not_a_mesh_ui(given: str) -> None:
    assert normalise_mesh_ui(given) is None
    with pytest.raises(ValueError, match="not a MeSH descriptor"):
        mesh_concept(given)
