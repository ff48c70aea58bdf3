"""``import ctgov`` and ``import pubmed``: registry and bibliographic records into the graph."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import click

from evidencegraph.cli.context import AppContext, pass_app
from evidencegraph.ingest.records import Limits

if TYPE_CHECKING:
    from evidencegraph.ingest.pipeline import ImportSummary, Mapper

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


def _options(function: Callable[..., None]) -> Callable[..., None]:
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
        help="Refuse a record larger than this (ctgov: a study's JSON; pubmed: an article's "
        "XML). Default: 8 MiB.",
    )(function)
    function = click.option(
        "--max-member-size",
        type=ByteSize(),
        default=None,
        help="Refuse a file or ZIP member larger than this, decompressed (read no further). "
        "Default: 256 MiB for ctgov, 4 GiB for pubmed (.xml.gz decompressed).",
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


@click.group(name="import")
def import_group() -> None:
    """Import ClinicalTrials.gov or PubMed records, validated batch by batch."""


@import_group.command()
@_options
@pass_app
def ctgov(
    app: AppContext,
    paths: tuple[Path, ...],
    batch_size: int,
    on_invalid: str,
    progress: bool | None,
    max_record_size: int | None,
    max_member_size: int | None,
) -> None:
    """Import ClinicalTrials.gov API v2 study JSON.

    PATHS are study files, API pages ({"studies": [...]}), directories of them,
    or the bulk-download ZIP of one JSON file per study (read without unpacking).
    """
    from evidencegraph.ingest import ctgov as reader

    limits = _limits(reader.DEFAULT_LIMITS, max_record_size, max_member_size)
    _run(app, reader, reader.map_study, paths, batch_size, on_invalid, progress, limits)


@import_group.command()
@_options
@pass_app
def pubmed(
    app: AppContext,
    paths: tuple[Path, ...],
    batch_size: int,
    on_invalid: str,
    progress: bool | None,
    max_record_size: int | None,
    max_member_size: int | None,
) -> None:
    """Import PubMed efetch XML (PubmedArticleSet), plain or gzipped.

    An article's ClinicalTrials.gov ids (DataBankList) link it to the studies it reports.
    """
    from evidencegraph.ingest import pubmed as reader

    limits = _limits(reader.DEFAULT_LIMITS, max_record_size, max_member_size)
    _run(app, reader, reader.map_article, paths, batch_size, on_invalid, progress, limits)


def _limits(default: Limits, record: int | None, member: int | None) -> Limits:
    return Limits(
        record=default.record if record is None else record,
        member=default.member if member is None else member,
    )


def _run(
    app: AppContext,
    reader: ModuleType,
    mapper: Mapper,
    paths: tuple[Path, ...],
    batch_size: int,
    on_invalid: str,
    progress: bool | None,
    limits: Limits,
) -> None:
    """Read ``paths`` with a reader module (``SUFFIXES``, ``RECORD_MARKER``, ``read_paths``)
    and import what ``mapper`` makes of each record, refusing records and files past
    ``limits``."""
    from evidencegraph.errors import InputError, NonConformingError
    from evidencegraph.ingest.pipeline import Importer
    from evidencegraph.ingest.records import count_records, expand_paths

    files = expand_paths(paths, reader.SUFFIXES)
    items = reader.read_paths(files, limits)

    with app.open_graph() as graph:
        importer = Importer(
            graph,
            mapper,
            batch_size=batch_size,
            on_invalid=on_invalid,  # type: ignore[arg-type]
        )
        progress_shown = app.progress("importing", unit="records", bar=progress)
        try:
            if progress_shown.mode != "off":
                progress_shown.total = count_records(files, reader.RECORD_MARKER, limits.member)
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
