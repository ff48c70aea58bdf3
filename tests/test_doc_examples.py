"""Every console example in the README and docs/ is run, and its output compared with the page.

A fenced block whose first line starts with ``$ `` is a console session: each ``$ COMMAND`` line
is run with bash in a scratch folder (one per page, in page order, so a page's examples build on
each other), and the lines after it, up to the next command, are what it must print (stdout and
stderr together). In the expected lines:

- a line ``...`` stands for any number of lines (none included);
- a line ending in ``...`` matches any line that starts with the rest, and ``...`` inside a
  line stands for any text (``a,...,d`` matches ``a,b,c,d``), so a wide row can be cut;
- durations (``0.17 s``) match any duration.

``$ cat FILE`` of a file that does not exist yet writes the shown lines to it (so a page can
show an input file and then use it), and ``$ echo $?`` prints the previous command's exit code.
An HTML comment just before a block steers it: ``<!-- doc-test: setup COMMANDS -->`` runs
COMMANDS first (unseen by the reader), ``<!-- doc-test: skip REASON -->`` leaves the block
unrun, with the reason on the page for anyone who reads the source, and
``<!-- doc-test: needs PROGRAM -->`` runs it only where PROGRAM (such as Graphviz's ``dot``) is
installed.

The picture of docs/export.md, ``docs/images/kare-1-hop.svg``, is checked against a fresh
export: the same nodes (names, labels, colours) and the same arrows (ends and labels), not
the same bytes, since Graphviz lays a graph out differently from one version to the next.

The scratch folder holds ``tests`` (a link to this repository's tests, for ``tests/data/...``)
and an empty ``docs/images``; the store is the default ``./evidencegraph.db`` there unless a
command names another.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

DIRECTIVE = re.compile(r"^<!--\s*doc-test:\s*(setup|skip|needs)\s+(.*?)\s*-->$")
DURATION = re.compile(r"\b\d+(?:\.\d+)?\s?(?:s|ms)\b")
COMMAND_TIMEOUT_SECONDS = 120


@dataclass
class Step:
    """One ``$ COMMAND`` line of a block and the lines shown after it."""

    command: str
    expected: list[str] = field(default_factory=list)


@dataclass
class Block:
    """One console block of a page: where it starts, its hidden setup, its steps."""

    page: Path
    line: int
    setup: str | None
    skip: str | None
    needs: str | None
    steps: list[Step]

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def console_blocks(page: Path) -> list[Block]:
    """The console blocks of one Markdown page, in order."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        if not lines[index].startswith("```"):
            index += 1
            continue
        end = index + 1
        while end < len(lines) and not lines[end].startswith("```"):
            end += 1
        body = lines[index + 1 : end]
        if body and body[0].startswith("$ "):
            setup = skip = needs = None
            directive = DIRECTIVE.match(lines[index - 1].strip()) if index else None
            if directive and directive.group(1) == "setup":
                setup = directive.group(2)
            elif directive and directive.group(1) == "needs":
                needs = directive.group(2)
            elif directive:
                skip = directive.group(2)
            steps: list[Step] = []
            for text in body:
                if text.startswith("$ "):
                    steps.append(Step(text[2:]))
                else:
                    steps[-1].expected.append(text)
            blocks.append(Block(page, index + 1, setup, skip, needs, steps))
        index = end + 1
    return blocks


def _normalise(text: str) -> str:
    return DURATION.sub("<duration>", text.rstrip())


def _line_matches(expected: str, actual: str) -> bool:
    expected, actual = _normalise(expected), _normalise(actual)
    if "..." not in expected:
        return expected == actual
    pattern = ".*".join(re.escape(part) for part in expected.split("..."))
    return re.fullmatch(pattern, actual, flags=re.DOTALL) is not None


def output_matches(expected: list[str], actual: list[str]) -> bool:
    """Whether ``actual`` fits ``expected``, with ``...`` lines matching any run of lines."""
    if not expected:
        return not actual
    head, rest = expected[0], expected[1:]
    if head.strip() == "...":
        return any(output_matches(rest, actual[start:]) for start in range(len(actual) + 1))
    return bool(actual) and _line_matches(head, actual[0]) and output_matches(rest, actual[1:])


class Console:
    """A scratch folder where a page's commands run one after another."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        (folder / "tests").symlink_to(ROOT / "tests")
        (folder / "docs" / "images").mkdir(parents=True)
        bin_dir = str(Path(sys.executable).parent)
        self.env = {
            **os.environ,
            "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
            "COLUMNS": "100",
        }
        self.env.pop("EVIDENCEGRAPH_STORE", None)
        self.last_exit = 0

    def run(self, command: str) -> list[str]:
        if command.strip() == "echo $?":
            return [str(self.last_exit)]
        completed = subprocess.run(
            ["bash", "-c", command + " 2>&1"],
            cwd=self.folder,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            timeout=COMMAND_TIMEOUT_SECONDS,
            check=False,
        )
        self.last_exit = completed.returncode
        return completed.stdout.decode("utf-8", errors="replace").splitlines()

    def write_shown_file(self, step: Step) -> bool:
        """Write a file that ``cat FILE`` shows but that does not exist yet; True if done."""
        words = step.command.split()
        if len(words) != 2 or words[0] != "cat" or (self.folder / words[1]).exists():
            return False
        target = self.folder / words[1]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n".join(step.expected) + "\n", encoding="utf-8")
        self.last_exit = 0
        return True


def _pages_with_examples() -> list[Path]:
    return [page for page in PAGES if console_blocks(page)]


@pytest.mark.parametrize("page", _pages_with_examples(), ids=lambda page: page.name)
def test_console_examples_print_what_the_page_shows(page: Path, tmp_path: Path) -> None:
    console = Console(tmp_path)
    failures: list[str] = []
    for block in console_blocks(page):
        if block.skip or (block.needs and shutil.which(block.needs) is None):
            continue
        if block.setup:
            setup_output = console.run(block.setup)
            assert console.last_exit == 0, f"{block.where}: the hidden setup failed:\n" + "\n".join(
                setup_output
            )
        for step in block.steps:
            if console.write_shown_file(step):
                continue
            actual = console.run(step.command)
            if not output_matches(step.expected, actual):
                failures.append(
                    f"{block.where}: $ {step.command}\n--- the page shows:\n"
                    + "\n".join(step.expected)
                    + "\n--- the command printed:\n"
                    + "\n".join(actual)
                )
    assert not failures, "\n\n".join(failures)


def test_every_example_block_is_run_or_says_why_not() -> None:
    for page in PAGES:
        for block in console_blocks(page):
            assert block.skip is None or block.skip.strip(), f"{block.where}: skip needs a reason"


@pytest.mark.parametrize(
    ("expected", "actual", "fits"),
    [
        (["a", "...", "d"], ["a", "b", "c", "d"], True),
        (["a", "...", "d"], ["a", "d"], True),
        (["a", "...", "d"], ["a", "b"], False),
        (["time: 0.17 s; read"], ["time: 12.5 s; read"], True),
        (["Error: the batch..."], ["Error: the batch was rejected"], True),
        (["Error: the batch..."], ["Error: a batch"], False),
        (["a,...,d"], ["a,b,c,d"], True),
        (["a,...,d"], ["a,b,c,e"], False),
        (["see NCT...)."], ["see NCT...)."], True),
        (["one"], ["one", "two"], False),
        ([], [], True),
    ],
)
def test_the_matching_rules(expected: list[str], actual: list[str], fits: bool) -> None:
    assert output_matches(expected, actual) is fits


SVG = "{http://www.w3.org/2000/svg}"
PICTURE = ROOT / "docs" / "images" / "kare-1-hop.svg"
PICTURE_COMMAND = "evidencegraph export --focus NCT02649231 --hops 1 -o"


def drawn(svg: Path) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """The nodes (name, fill, text lines) and arrows (ends, label) a Graphviz SVG draws, sorted."""
    nodes: list[tuple[str, ...]] = []
    arrows: list[tuple[str, ...]] = []
    for group in ET.parse(svg).getroot().iter(f"{SVG}g"):
        kind = group.get("class")
        if kind not in ("node", "edge"):
            continue
        title = group.findtext(f"{SVG}title", default="")
        texts = tuple(text.text or "" for text in group.iter(f"{SVG}text"))
        if kind == "node":
            fills = [
                shape.get("fill", "")
                for shape in group.iter()
                if shape.tag in (f"{SVG}path", f"{SVG}polygon", f"{SVG}ellipse")
            ]
            nodes.append((title, fills[0] if fills else "", *texts))
        else:
            arrows.append((title, *texts))
    return sorted(nodes), sorted(arrows)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_the_pictured_export_is_what_export_draws_now(tmp_path: Path) -> None:
    console = Console(tmp_path)
    output = console.run(f"evidencegraph -q build && {PICTURE_COMMAND} fresh.svg")
    assert console.last_exit == 0, "\n".join(output)
    page_nodes, page_arrows = drawn(PICTURE)
    fresh_nodes, fresh_arrows = drawn(tmp_path / "fresh.svg")
    assert fresh_nodes, "the fresh export draws no node"
    where = PICTURE.relative_to(ROOT)
    stale = f"{where} is stale: redraw it with `{PICTURE_COMMAND} {where}`"
    assert page_nodes == fresh_nodes, stale
    assert page_arrows == fresh_arrows, stale
