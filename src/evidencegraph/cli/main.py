"""The ``evidencegraph`` command group: global options, error handling, exit codes."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from evidencegraph import __version__
from evidencegraph.cli.context import AppContext
from evidencegraph.errors import (
    EXIT_ERROR,
    EXIT_NONCONFORMING,
    EXIT_USAGE,
    EvidenceGraphError,
    NonConformingError,
)


class _NonConforming(click.ClickException):
    exit_code = EXIT_NONCONFORMING


class _Usage(click.ClickException):
    exit_code = EXIT_USAGE


class _Failure(click.ClickException):
    exit_code = EXIT_ERROR


_BY_EXIT_CODE: dict[int, type[click.ClickException]] = {
    EXIT_NONCONFORMING: _NonConforming,
    EXIT_USAGE: _Usage,
    EXIT_ERROR: _Failure,
}


def _ExitError(message: str, exit_code: int) -> click.ClickException:  # noqa: N802
    """A library error shown to the user with its documented exit code."""
    return _BY_EXIT_CODE.get(exit_code, _Failure)(message)


class EvidenceGraphGroup(click.Group):
    """A group that turns library errors into messages and documented exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except NonConformingError as error:
            click.echo(error.report.table(), err=True)  # type: ignore[attr-defined]
            raise _ExitError(str(error), error.exit_code) from None
        except EvidenceGraphError as error:
            raise _ExitError(str(error), error.exit_code) from None
        except BrokenPipeError:
            # the reader (e.g. `| head`) went away: stop quietly, as Unix tools do
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except (OSError, MemoryError) as error:
            raise _ExitError(f"unexpected error: {error}", EXIT_ERROR) from None


STORE_HELP = (
    "Where the graph lives: oxigraph:PATH (on disk, the default, ./evidencegraph.db), "
    "memory: (in this process only) or sparql:URL (a SPARQL 1.1 server, such as "
    "sparql:http://localhost:7878/query; see docs/sparql-store.md). Also read from "
    "EVIDENCEGRAPH_STORE."
)


@click.group(cls=EvidenceGraphGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--store", metavar="DESCRIPTOR", envvar="EVIDENCEGRAPH_STORE", help=STORE_HELP)
@click.option("-v", "--verbose", count=True, help="Say more on stderr (repeat for more).")
@click.version_option(__version__, "--version", prog_name="evidencegraph")
@click.pass_context
def cli(ctx: click.Context, store: str | None, verbose: int) -> None:
    """A clinical-evidence knowledge graph: studies, arms, interventions, outcomes, findings,
    and the sources that claim them, in RDF with SHACL shapes and SPARQL questions.

    \b
    Exit codes: 0 success; 1 the data does not conform to the shapes;
    2 usage error (bad option, unknown query, bad parameter, SPARQL syntax);
    3 input or store error (unreadable or malformed file, store locked or unwritable).
    """
    ctx.obj = AppContext(store=store, verbose=verbose)


def _register() -> None:
    from evidencegraph.cli import build, export, importing, network, query, serve, stats, validate
    from evidencegraph.cli import dump as dumping

    cli.add_command(build.build)
    cli.add_command(build.load)
    cli.add_command(importing.import_group)
    cli.add_command(validate.validate)
    cli.add_command(query.query)
    cli.add_command(query.queries)
    cli.add_command(stats.stats)
    cli.add_command(network.network)
    cli.add_command(dumping.dump)
    cli.add_command(dumping.diff)
    cli.add_command(export.export)
    cli.add_command(serve.serve)


_register()


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="evidencegraph")
