"""The README and the CI script stay in step with each other and with the CLI."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from evidencegraph.cli.main import cli
from evidencegraph.errors import EXIT_ERROR, EXIT_NONCONFORMING, EXIT_OK, EXIT_USAGE

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def shell_blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", text, re.DOTALL)


def test_readme_has_the_two_commands_and_ci_runs_the_test_one() -> None:
    build, tests = (block.strip() for block in shell_blocks(README)[:2])
    assert build == (
        "pip install . && evidencegraph build && evidencegraph query drug-with-psychotherapy"
    )
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert tests in ci_lines


def _command_paths() -> list[tuple[str, ...]]:
    """Every command and subcommand as the words that call it (``("network", "path")``).

    The group imports each command when it is used: ask it for the list, not ``cli.commands``.
    """
    found: list[tuple[str, ...]] = []

    def walk(group: click.Group, ctx: click.Context, prefix: tuple[str, ...]) -> None:
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            assert command is not None, " ".join((*prefix, name))
            found.append((*prefix, name))
            if isinstance(command, click.Group):
                with click.Context(command, parent=ctx, info_name=name) as inner:
                    walk(command, inner, (*prefix, name))

    with click.Context(cli, info_name="evidencegraph") as ctx:
        walk(cli, ctx, ())
    return found


COMMAND_PATHS = _command_paths()
#: The README and every page under docs/: where a command may be documented.
DOCS = README + "".join(
    page.read_text(encoding="utf-8") for page in sorted((ROOT / "docs").glob("*.md"))
)


def test_the_commands_are_listed_whole() -> None:
    names = {path[0] for path in COMMAND_PATHS}
    assert {"build", "load", "import", "query", "serve", "export"} <= names
    assert {("import", "ctgov"), ("import", "pubmed"), ("network", "path")} <= set(COMMAND_PATHS)


@pytest.mark.parametrize("path", COMMAND_PATHS, ids=" ".join)
def test_every_command_and_subcommand_is_documented_and_has_help(path: tuple[str, ...]) -> None:
    words = " ".join(path)
    with click.Context(cli, info_name="evidencegraph") as ctx:
        command: click.Command | None = cli
        for name in path:
            assert isinstance(command, click.Group), words
            command = command.get_command(ctx, name)
        assert command is not None, words
        assert command.help, f"`evidencegraph {words}` has no help text"
    if len(path) == 1:  # a top-level command is in the README's table of commands
        assert f"`{words}" in README, f"README does not document `{words}`"
    documented = re.search(rf"(evidencegraph |`){re.escape(words)}\b", DOCS)
    assert documented, f"neither README.md nor docs/*.md mentions `evidencegraph {words}`"
    result = CliRunner().invoke(cli, [*path, "--help"], prog_name="evidencegraph")
    assert result.exit_code == 0, result.output
    assert "Usage: evidencegraph " + words in result.output


def test_exit_codes_are_documented() -> None:
    table = README[README.index("### Exit codes") :]
    for code in (EXIT_OK, EXIT_NONCONFORMING, EXIT_USAGE, EXIT_ERROR):
        assert f"| {code} |" in table


def test_docs_exist() -> None:
    for name in ("architecture.md", "ontology.md", "benchmarks.md"):
        assert (ROOT / "docs" / name).is_file(), name
    for link in re.findall(
        r"\(decisions/([^)]+)\)", (ROOT / "docs" / "architecture.md").read_text()
    ):
        assert (ROOT / "docs" / "decisions" / link).is_file(), link


def test_the_exit_code_table_names_exports_refusals_where_they_exit() -> None:
    """`export --focus ketamne` exits 2, but the README's table listed export only under 1
    ("nothing matched"): a user reading it expected 1."""
    refused = CliRunner().invoke(cli, ["--store", "memory:", "export", "--focus", "ketamne"])
    assert refused.exit_code == EXIT_USAGE, refused.output
    table = README[README.index("### Exit codes") :]
    row = next(line for line in table.splitlines() if line.startswith(f"| {EXIT_USAGE} |"))
    assert "export" in row and "focus" in row and "--max-triples" in row, row
