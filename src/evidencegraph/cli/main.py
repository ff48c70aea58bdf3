"""The ``evidencegraph`` command group: global options, error handling, exit codes."""

from __future__ import annotations

import importlib
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
from evidencegraph.store.defaults import DEFAULT_DESCRIPTOR, DEFAULT_PATH, STORE_ENV


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


#: Every command: its name -> "module:attribute" under evidencegraph.cli, imported when the
#: command runs (or its help is shown), so that one command never pays for another's libraries.
COMMANDS = {
    "build": "build:build",
    "load": "build:load",
    "import": "importing:import_group",
    "fetch": "fetch:fetch_group",
    "withdraw": "withdraw:withdraw",
    "upgrade-keys": "upgrade:upgrade_keys",
    "validate": "validate:validate",
    "query": "query:query",
    "queries": "query:queries",
    "stats": "stats:stats",
    "network": "network:network",
    "dump": "dump:dump",
    "diff": "dump:diff",
    "export": "export:export",
    "publish": "publish:publish",
    "serve": "serve:serve",
}

#: Global options and whether each takes a value: also accepted after the command.
_GLOBAL_OPTIONS = {"--store": True, "--verbose": False, "--quiet": False}
_GLOBAL_SHORT = {"-v": "--verbose", "-q": "--quiet"}


def hoist_global_options(args: list[str]) -> list[str]:
    """``args`` with the global options written after a command moved before it, so that
    ``evidencegraph stats --store X`` means ``evidencegraph --store X stats``. Nothing after
    ``--`` moves."""
    front: list[str] = []
    rest: list[str] = []
    seen_command = False
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            rest.extend(args[index:])
            break
        name = arg.split("=", 1)[0]
        short = _GLOBAL_SHORT.get(arg[:2]) if len(arg) >= 2 and set(arg[1:]) == {arg[1]} else None
        if not seen_command and not arg.startswith("-"):
            seen_command = True
            rest.append(arg)
        elif not seen_command:
            rest.append(arg)  # before the command: click parses it where it is
            if _GLOBAL_OPTIONS.get(name) and "=" not in arg and index + 1 < len(args):
                index += 1
                rest.append(args[index])
        elif name in _GLOBAL_OPTIONS:
            front.append(arg)
            if _GLOBAL_OPTIONS[name] and "=" not in arg:
                if index + 1 >= len(args):
                    raise click.UsageError(
                        f"{name} needs a value, for example {name} {DEFAULT_DESCRIPTOR}"
                    )
                index += 1
                front.append(args[index])
        elif short is not None:
            front.append(arg)
        else:
            rest.append(arg)
        index += 1
    return front + rest


class EvidenceGraphGroup(click.Group):
    """A group that turns library errors into messages and documented exit codes, imports
    each command when it is used, and takes the global options before or after the command."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, attribute = COMMANDS[cmd_name].split(":")
            command = getattr(importlib.import_module(f"evidencegraph.cli.{module}"), attribute)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_options(args))

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except NonConformingError as error:
            click.echo(error.report.table(), err=True)
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
    f"Where the graph lives: oxigraph:PATH (on disk, the default, {DEFAULT_PATH}), "
    "memory: (in this process only) or sparql:URL (a SPARQL 1.1 server, such as "
    "sparql:http://localhost:7878/query; see docs/sparql-store.md). Also read from "
    f"{STORE_ENV}."
)


@click.group(cls=EvidenceGraphGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--store", metavar="DESCRIPTOR", envvar="EVIDENCEGRAPH_STORE", help=STORE_HELP)
@click.option("-v", "--verbose", count=True, help="Say more on stderr (repeat for more).")
@click.option(
    "-q",
    "--quiet",
    is_flag=True,
    help="No progress on stderr (a bar on a terminal, otherwise a line every few seconds).",
)
@click.version_option(__version__, "--version", prog_name="evidencegraph")
@click.pass_context
def cli(ctx: click.Context, store: str | None, verbose: int, quiet: bool) -> None:
    """A clinical-evidence knowledge graph: studies, arms, interventions, outcomes, findings,
    and the sources that claim them, in RDF with SHACL shapes and SPARQL questions.

    \b
    Exit codes: 0 success; 1 the data does not conform to the shapes;
    2 usage error (bad option, unknown query, bad parameter, SPARQL syntax);
    3 input or store error (unreadable or malformed file, store locked or unwritable).

    \b
    The global options (--store, -v, -q) may also follow the command:
    evidencegraph stats --store oxigraph:./kg.db
    """
    ctx.obj = AppContext(store=store, verbose=verbose, quiet=quiet)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="evidencegraph")
