"""The importers' vocabulary: therapy names, placebo names, drug and condition synonyms.

The vocabulary is data (``vocabulary.csv`` in this package, documented in
docs/importing.md). Names are compared after :func:`normalise_name`, as whole
words; when several names match, the longest wins, so "mindfulness-based
relapse prevention" is not taken for plain "relapse prevention".
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources

from rdflib import URIRef

from evidencegraph.ingest.mesh import normalise_mesh_ui
from evidencegraph.ontology.namespace import PREFIXES

KINDS = ("therapy", "placebo", "drug", "condition", "generic")


@dataclass(frozen=True)
class Entry:
    """A node or concept of the vocabulary: its IRI and, for drugs and conditions, its label."""

    iri: URIRef
    label: str
    mesh_id: str = ""


@dataclass
class Vocabulary:
    """Names to entries, per kind, and MeSH ids to drug and condition entries."""

    names: dict[str, dict[str, Entry]] = field(default_factory=dict)
    mesh: dict[str, Entry] = field(default_factory=dict)

    def exact(self, kind: str, text: str) -> Entry | None:
        """The entry whose name is exactly ``text`` (after normalisation)."""
        return self.names[kind].get(normalise_name(text))

    def longest_match(self, kind: str, texts: Iterable[str]) -> Entry | None:
        """The entry whose name occurs, as whole words, in one of ``texts``; longest wins."""
        best: tuple[int, Entry] | None = None
        for text in texts:
            padded = f" {normalise_name(text)} "
            for name, entry in self.names[kind].items():
                if (best is None or len(name) > best[0]) and f" {name} " in padded:
                    best = (len(name), entry)
        return best[1] if best else None

    def by_mesh(self, mesh_id: str) -> Entry | None:
        """The drug or condition a MeSH descriptor id identifies, in either of its forms."""
        key = normalise_mesh_ui(mesh_id)
        return self.mesh.get(key) if key else None


def normalise_name(text: str) -> str:
    """Lower-case, punctuation to spaces, single spaces: ``Mindfulness-Based RP`` -> ``...``."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def _expand(curie: str) -> URIRef:
    prefix, _, local = curie.partition(":")
    if prefix not in PREFIXES or not local:
        raise ValueError(f"vocabulary.csv: {curie!r} is not a CURIE with a known prefix")
    return URIRef(PREFIXES[prefix] + local)


@functools.cache
def vocabulary() -> Vocabulary:
    """The packaged vocabulary, read once."""
    text = resources.files("evidencegraph.ingest").joinpath("vocabulary.csv").read_text("utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    parsed: list[tuple[str, URIRef, str, str]] = []
    mesh_of: dict[URIRef, str] = {}
    for line_number, row in enumerate(rows, start=2):
        kind = row["kind"]
        if kind not in KINDS:
            raise ValueError(f"vocabulary.csv row {line_number}: unknown kind {kind!r}")
        iri = _expand(row["target"])
        parsed.append((kind, iri, row["label"] or "", row["name"]))
        if row["mesh"]:
            mesh_id = normalise_mesh_ui(row["mesh"])
            if mesh_id is None:
                raise ValueError(
                    f"vocabulary.csv row {line_number}: {row['mesh']!r} is not a MeSH UI"
                )
            mesh_of[iri] = mesh_id
    result = Vocabulary(names={kind: {} for kind in KINDS})
    for kind, iri, label, name in parsed:
        entry = Entry(iri, label, mesh_of.get(iri, ""))
        result.names[kind][normalise_name(name)] = entry
        if entry.mesh_id:
            result.mesh[entry.mesh_id] = entry
    return result
