"""State shared by every command (ctx.obj) and the helpers commands use to open the graph."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from evidencegraph.graph.evidence_graph import EvidenceGraph


@dataclass
class AppContext:
    """Global options: which store, and how much to say."""

    store: str | None
    verbose: int

    def open_graph(self, *, read_only: bool = False) -> EvidenceGraph:
        """Open the store in force; read-only commands refuse a store that does not exist yet."""
        from evidencegraph.graph.evidence_graph import EvidenceGraph

        return EvidenceGraph.open(self.store, read_only=read_only)

    def info(self, message: str) -> None:
        """A progress line on stderr, shown with --verbose."""
        if self.verbose:
            click.echo(message, err=True)


pass_app = click.make_pass_decorator(AppContext)
