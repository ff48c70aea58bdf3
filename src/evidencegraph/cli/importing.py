"""``import NAME``: records of a registered source (ctgov, pubmed, ...) into the graph.

The subcommands come from the source registry (``evidencegraph.ingest.sources``); this module
only turns options into limits and runs the pipeline.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import click

from evidencegraph.cli.context import AppContext, pass_app
from evidencegraph.errors import UsageError
from evidencegraph.ingest.records import Limits, size_text
from evidencegraph.ingest.sources import Source, get_source, source_names

if TYPE_CHECKING:
    from evidencegraph.graph.pipeline import ImportSummary

#: What --on-invalid takes (the pipeline's OnInvalid, named here without importing it).
OnInvalid = Literal["abort", "skip"]

#: Warnings shown one by one before the rest are only counted (all with -v).
_SHOWN_WARNINGS = 20
#: Units a size option takes; binary multiples whichever way they are written.
_SIZE_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


class ByteSize(click.ParamType):  # type: ignore[type-arg]
    """A size in bytes: ``1000000``, ``64KiB``, ``32MiB``, ``2GiB`` (``K``/``M``/``G`` with or
    without ``iB`` or ``B``, any case; all binary multiples)."""

    name = "size"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> int:
        if isinstance(value, int):
            return value
        text = str(value).strip().lower().replace(" ", "").removesuffix("ib").removesuffix("b")
        number, unit = (text[:-1], text[-1]) if text[-1:] in "kmg" and text else (text, "")
        if not number.isdigit() or int(number) < 1:
            self.fail(f"{value!r} is not a size: write bytes, or a number with KiB, MiB or GiB.")
        return int(number) * _SIZE_UNITS[unit]


def _options(function: Callable[..., None], source: Source) -> Callable[..., None]:
    """The options every import takes; the limits' defaults are the source's own."""
    limits = source.default_limits
    function = click.option(
        "--batch-size",
        type=click.IntRange(min=1),
        default=100,
        show_default=True,
        help="Records validated and committed together.",
    )(function)
    function = click.option(
        "--on-invalid",
        type=click.Choice(["abort", "skip"]),
        default="abort",
        show_default=True,
        help="abort: stop at the first bad record, committing nothing past the last good "
        "batch. skip: report each bad record with its id and reason, import the rest.",
    )(function)
    function = click.option(
        "--max-record-size",
        type=ByteSize(),
        default=None,
        help=f"Refuse a record larger than this. Default: {size_text(limits.record)}.",
    )(function)
    function = click.option(
        "--max-member-size",
        type=ByteSize(),
        default=None,
        help="Refuse a file or ZIP member larger than this, decompressed (read no further). "
        f"Default: {size_text(limits.member)}.",
    )(function)
    function = click.option(
        "--progress/--no-progress",
        default=None,
        help="Show a progress bar, or no progress at all (default: a bar when stderr is a "
        "terminal, else a line every few seconds; the global --quiet silences both).",
    )(function)
    return click.argument(
        "paths", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True)
    )(function)


def source_command(source: Source) -> click.Command:
    """``import NAME``: the subcommand that imports with ``source``."""

    @pass_app
    def command(
        app: AppContext,
        paths: tuple[Path, ...],
        batch_size: int,
        on_invalid: OnInvalid,
        progress: bool | None,
        max_record_size: int | None,
        max_member_size: int | None,
    ) -> None:
        limits = _limits(source.default_limits, max_record_size, max_member_size)
        _run(app, source, paths, batch_size, on_invalid, progress, limits)

    return click.command(name=source.name, help=source.description)(_options(command, source))


class SourceGroup(click.Group):
    """A group with one subcommand per registered source (ingest/sources.py), each built
    when it is asked for, so that naming the sources imports none of them."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *source_names()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in source_names():
            self.add_command(source_command(get_source(cmd_name)), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The subcommands and their summaries; a source that cannot be loaded is listed
        with the reason, so that one broken package leaves the others usable."""
        rows: list[tuple[str, str]] = []
        width = (
            formatter.width - 6 - max((len(name) for name in self.list_commands(ctx)), default=0)
        )
        for name in self.list_commands(ctx):
            try:
                command = self.get_command(ctx, name)
            except UsageError as error:
                rows.append((name, f"(cannot be used: {error})"))
                continue
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(width)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(name="import", cls=SourceGroup)
def import_group() -> None:
    """Import ClinicalTrials.gov or PubMed records, validated batch by batch."""


def _limits(default: Limits, record: int | None, member: int | None) -> Limits:
    return Limits(
        record=default.record if record is None else record,
        member=default.member if member is None else member,
    )


def _run(
    app: AppContext,
    source: Source,
    paths: tuple[Path, ...],
    batch_size: int,
    on_invalid: OnInvalid,
    progress: bool | None,
    limits: Limits,
) -> None:
    """Read ``paths`` with ``source`` and import what it maps each record to, refusing
    records and files past ``limits``."""
    from evidencegraph.errors import InputError, NonConformingError
    from evidencegraph.graph.pipeline import Importer
    from evidencegraph.ingest.records import expand_paths

    files = expand_paths(paths, source.suffixes)
    items = source.read(files, limits)

    with app.open_graph() as graph:
        importer = Importer(graph, source.map, batch_size=batch_size, on_invalid=on_invalid)
        progress_shown = app.progress("importing", unit="records", bar=progress)
        try:
            if progress_shown.mode != "off":
                progress_shown.total = source.count_records(files, limits)
            with progress_shown:
                importer.on_progress = progress_shown.advance
                importer.run(items)
        finally:  # also when the store or the engine fails: say what was written
            _report(app, importer.summary)
        summary = importer.summary
    if summary.stopped is not None:
        if summary.stopped.report is not None:
            raise NonConformingError(
                f"import stopped: {summary.stopped.error.origin} breaks the shapes.",
                summary.stopped.report,
            )
        raise InputError(f"import stopped: {summary.stopped}")
    if summary.imported == 0 and summary.rejected:
        raise InputError("nothing could be imported: every record was rejected (see above).")


def _report(app: AppContext, summary: ImportSummary) -> None:
    shown = summary.warnings if app.verbose else summary.warnings[:_SHOWN_WARNINGS]
    for warning in shown:
        click.echo(f"warning: {warning}", err=True)
    if len(shown) < len(summary.warnings):
        click.echo(
            f"warning: {len(summary.warnings) - len(shown)} more warning(s); -v shows all.",
            err=True,
        )
    for rejection in summary.rejected:
        click.echo(f"skipped: {rejection}", err=True)
    for line in summary.lines():
        click.echo(line)
    for older in summary.older:
        click.echo(f"older than the version held, left alone: {older}", err=True)
    if app.verbose:  # what withdraw takes to roll the import back, graph by graph
        for graph in summary.graphs:
            click.echo(f"graph written: {graph}", err=True)
