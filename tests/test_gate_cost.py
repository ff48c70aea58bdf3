"""The judge's first look and the writer, as made cheaper for issue 18 point 8.

That the first look (now with the model in its shapes graph) passes the valid graph and
none of the broken ones is tests/test_shapes.py's mutation suite."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from evidencegraph.store.core import OxigraphStore
from evidencegraph.validation import shifty_engine

pytestmark = pytest.mark.skipif(not shifty_engine.available(), reason="pyshifty not installed")


class _Unsupported:
    """A validator whose algebra meets a constraint it cannot evaluate."""

    def validate_algebra(self, *args: object, **kwargs: object) -> object:
        assert kwargs.get("on_unsupported") == "error"  # never skipped silently
        raise ValueError("unsupported constraint component")


def test_a_constraint_shifty_cannot_evaluate_sends_the_batch_to_rudof(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first look may only pass a batch; where shifty cannot judge it, rudof does."""
    monkeypatch.setattr(shifty_engine, "_validator", lambda: _Unsupported())
    assert shifty_engine.conforms("") is False


def test_a_memory_store_writes_a_group_whole_or_not_at_all() -> None:
    """In memory a group is one transaction: a line that does not parse leaves nothing."""
    store = OxigraphStore(None)
    good = (
        b'<http://a/s> <http://a/p> "x" <http://a/g> .\n<http://a/s> <http://a/p> <http://a/o> .\n'
    )
    with pytest.raises(SyntaxError):
        store.write_nquads([], good + b"<http://a/s> <http://a/p> <http://a/o2 .\n")
    assert len(store.native) == 0
    store.write_nquads([], good)
    assert set(store.native) == set(ox.parse(good, format=ox.RdfFormat.N_QUADS))
