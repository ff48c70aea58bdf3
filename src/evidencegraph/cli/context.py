"""State shared by every command (ctx.obj) and the helpers commands use to open the graph."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from evidencegraph.cli.progress import Progress
    from evidencegraph.graph.evidence_graph import EvidenceGraph
    from evidencegraph.store.core import Store


@dataclass
class AppContext:
    """Global options: which store, and how much to say."""

    store: str | None
    verbose: int
    quiet: bool = False

    def open_graph(self, *, read_only: bool = False) -> EvidenceGraph:
        """Open the store in force; read-only commands refuse a store that does not exist yet."""
        from evidencegraph.graph.evidence_graph import EvidenceGraph

        return EvidenceGraph.open(self.store, read_only=read_only)

    def open_store(self, *, read_only: bool = False) -> Store:
        """The store in force without the EvidenceGraph facade, whose validation engines
        a command that only reads need not import (a query starts sooner)."""
        from evidencegraph.store.registry import open_store

        return open_store(self.store, read_only=read_only)

    def progress(
        self, label: str, total: int | None = None, *, unit: str = "items", bar: bool | None = None
    ) -> Progress:
        """A job's progress on stderr: a bar on a terminal, a line every few seconds
        elsewhere, nothing with --quiet. ``bar`` True or False forces the bar or no
        progress at all (an import's --progress/--no-progress)."""
        from evidencegraph.cli.progress import Progress, progress_mode

        mode = progress_mode(self.quiet)
        if bar is not None and not self.quiet:
            mode = "bar" if bar else "off"
        return Progress(label, total, unit=unit, mode=mode)

    def info(self, message: str) -> None:
        """A progress line on stderr, shown with --verbose."""
        if self.verbose:
            click.echo(message, err=True)


pass_app = click.make_pass_decorator(AppContext)
