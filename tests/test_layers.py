"""The packages import one way (setup.cfg's import contracts, docs/architecture.md).

Runs the same contracts as `lint-imports` in CI, so the README's test command checks them too;
grimp counts imports inside functions, so a lazy import that dodges a cycle breaks them.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

pytest.importorskip("importlinter", reason="import-linter is in the test and dev extras")

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent


def _kept(config: Path) -> bool:
    """Whether every contract of a config file is kept (what `lint-imports` exits 0 for)."""
    return lint_imports(config_filename=str(config), no_cache=True) == 0


def test_the_packages_import_one_way() -> None:
    assert _kept(ROOT / "setup.cfg"), "`lint-imports` says which import breaks the layers"


def _package(tmp_path: Path, name: str, modules: dict[str, str]) -> Path:
    package = tmp_path / name
    package.mkdir()
    (package / "__init__.py").write_text("")
    for module, text in modules.items():
        (package / f"{module}.py").write_text(textwrap.dedent(text))
    return package


def test_the_contracts_catch_an_import_inside_a_function(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lower layer reaching up from inside a function, and two modules importing each other
    (one side lazily), both break the contracts written like the project's."""
    _package(
        tmp_path,
        "layered",
        {
            "low": """
                def up():
                    from layered import high
                    return high
            """,
            "high": "import layered.low\n",
        },
    )
    _package(
        tmp_path,
        "circular",
        {
            "a": "import circular.b\n",
            "b": """
                def back():
                    import circular.a
                    return circular.a
            """,
        },
    )
    _package(tmp_path, "oneway", {"low": "def f():\n    return 1\n", "high": "import oneway.low\n"})
    monkeypatch.syspath_prepend(str(tmp_path))
    oneway = tmp_path / "oneway.ini"
    oneway.write_text(
        "[importlinter]\nroot_package = oneway\n\n"
        "[importlinter:contract:layers]\nname = layers\ntype = layers\n"
        "layers =\n    oneway.high\n    oneway.low\n"
    )
    assert _kept(oneway)  # the same layers with the import going down are kept
    layers = tmp_path / "layers.ini"
    layers.write_text(
        "[importlinter]\nroot_package = layered\n\n"
        "[importlinter:contract:layers]\nname = layers\ntype = layers\n"
        "layers =\n    layered.high\n    layered.low\n"
    )
    acyclic = tmp_path / "acyclic.ini"
    acyclic.write_text(
        "[importlinter]\nroot_package = circular\n\n"
        "[importlinter:contract:acyclic]\nname = acyclic\ntype = acyclic_siblings\n"
        "ancestors =\n    circular\n"
    )
    assert not _kept(layers)
    assert not _kept(acyclic)
