"""The README and the CI script stay in step with each other and with the CLI."""

from __future__ import annotations

import re
from pathlib import Path

import click
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


def test_every_command_is_documented_and_has_help() -> None:
    # the group imports each command when it is used: ask it for the list, not cli.commands
    with click.Context(cli) as ctx:
        names = cli.list_commands(ctx)
        assert {"build", "load", "import", "query", "serve", "export"} <= set(names)
        for name in names:
            command = cli.get_command(ctx, name)
            assert command is not None, name
            assert f"`{name}" in README, f"README does not document `{name}`"
            assert command.help, name
            assert CliRunner().invoke(cli, [name, "--help"]).exit_code == 0


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
