"""The curated evidence: the seed articles, their claims, the primary studies and findings."""

from __future__ import annotations

from importlib import resources

from evidencegraph._compat import Traversable


def evidence_files() -> list[Traversable]:
    """The curated Turtle files, sorted by name."""
    folder = resources.files("evidencegraph.evidence")
    return sorted((f for f in folder.iterdir() if f.name.endswith(".ttl")), key=lambda f: f.name)
