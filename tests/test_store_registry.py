"""Store backends are registered by name: built in, by an entry point in the
``evidencegraph.stores`` group (as rdflib's plugins are), or at run time."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from evidencegraph.cli.main import cli
from evidencegraph.errors import UsageError
from evidencegraph.store import registry
from evidencegraph.store.core import OxigraphStore, Store
from evidencegraph.store.registry import (
    ENTRY_POINT_GROUP,
    open_store,
    register_store,
    store_schemes,
)


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An installed distribution, as pip leaves one, declaring three store backends: one
    that works, one whose module is missing, and one whose factory gives no Store."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "eg_tagged_store.py").write_text(
        textwrap.dedent(
            '''
            """A third-party backend: the embedded in-memory store under another name."""
            from evidencegraph.store.core import OxigraphStore


            class TaggedStore(OxigraphStore):
                def __init__(self, tag, read_only):
                    super().__init__(None)
                    self.descriptor = f"tagged:{tag}"
                    self.opened_read_only = read_only


            def open_tagged(rest, read_only):
                return TaggedStore(rest, read_only)


            def not_a_store(rest, read_only):
                return {"rest": rest}
            '''
        )
    )
    info = site / "eg_tagged_store-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: eg-tagged-store\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\n"
        "tagged = eg_tagged_store:open_tagged\n"
        "broken = eg_no_such_module:open_it\n"
        "dict = eg_tagged_store:not_a_store\n"
        "memory = eg_tagged_store:not_a_store\n"  # a built-in scheme is not taken over
    )
    monkeypatch.syspath_prepend(str(site))
    return tmp_path


def test_the_built_in_schemes_open_their_stores(tmp_path: Path) -> None:
    assert {"oxigraph", "memory", "sparql"} <= set(store_schemes())
    with open_store("memory:") as store:
        assert isinstance(store, OxigraphStore) and store.descriptor == "memory:"
    with open_store(f"oxigraph:{tmp_path / 'kg.db'}") as store:
        assert store.descriptor == f"oxigraph:{tmp_path / 'kg.db'}"


def test_an_entry_point_registers_a_backend(plugin: Path) -> None:
    assert {"tagged", "broken", "dict"} <= set(store_schemes())
    store = open_store("tagged:one", read_only=True)
    assert type(store).__name__ == "TaggedStore" and isinstance(store, Store)
    assert store.descriptor == "tagged:one" and store.opened_read_only  # type: ignore[attr-defined]
    # the built-in scheme wins over an entry point of the same name
    assert isinstance(open_store("memory:"), OxigraphStore)


def test_the_cli_opens_a_registered_backend(plugin: Path) -> None:
    result = CliRunner().invoke(cli, ["--store", "tagged:two", "stats"])
    assert result.exit_code == 0, result.output
    assert "tagged:two" in result.output


def test_a_backend_that_cannot_load_or_gives_no_store_is_named(plugin: Path) -> None:
    with pytest.raises(UsageError, match=r"'broken' \(entry point eg_no_such_module:open_it"):
        open_store("broken:x")
    with pytest.raises(UsageError, match=r"'dict' gave dict, not a Store"):
        open_store("dict:x")
    result = CliRunner().invoke(cli, ["--store", "broken:x", "stats"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "cannot be loaded" in result.output


def test_register_store_at_run_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_REGISTERED", {})
    opened: list[tuple[str, bool]] = []

    def factory(rest: str, read_only: bool) -> Store:
        opened.append((rest, read_only))
        return OxigraphStore(None)

    register_store("scratch", factory)
    assert "scratch" in store_schemes()
    open_store("scratch:here", read_only=True).close()
    assert opened == [("here", True)]
    with pytest.raises(ValueError, match="built in"):
        register_store("oxigraph", factory)


def test_an_unknown_scheme_lists_the_known_ones() -> None:
    with pytest.raises(
        UsageError, match=r"unknown store descriptor 'nosuch:x': use one of .*memory:"
    ):
        open_store("nosuch:x")
