"""The gate's first look: shifty (Rust, through pyshifty) says which nodes of a batch break a
shape.

Nearly every batch of an import conforms, and shifty decides that with about half of rudof's
CPU (decision 0015). It judges the batch, its neighbourhood and the model, every node of them,
and names the nodes that break a shape. When none of them is a node of the batch (a focus
node), the gate is done: the others are neighbours the batch only links to, copied in part,
and rudof's results, which the gate reports, are kept to the focus nodes too. Otherwise the
gate asks rudof (decision 0009). So shifty only ever lets through a batch in which no node of
its own breaks a shape, and every violation the gate reports is rudof's.
"""

from __future__ import annotations

import functools
import threading

from evidencegraph.validation.rudof_engine import model_ntriples, shapes_ntriples

_SHIFTY_MISSING = False
try:  # pyshifty is a dependency; without it (a broken wheel) rudof judges every batch
    import shifty
except ImportError:  # pragma: no cover - exercised only where pyshifty does not install
    _SHIFTY_MISSING = True

_LOCK = threading.Lock()


def available() -> bool:
    """Whether shifty can be used on this machine."""
    return not _SHIFTY_MISSING


@functools.cache
def _validator() -> shifty.PreparedValidator:
    """The shapes and the model, parsed and planned once (N-Triples is Turtle, which shifty
    reads). The model goes with the shapes, not with each batch's data: judged in the
    union of the two graphs, it is read once rather than parsed again for every batch
    (a tenth of the first look's CPU on calibrated batches, bench/gate_cost.py)."""
    return shifty.PreparedValidator((shapes_ntriples() + model_ntriples()).encode("utf-8"))


def conforms(data: str) -> bool:
    """Whether N-Triples ``data`` together with the model conforms to the shapes, every node of
    it (:func:`violating_nodes` finds none)."""
    return violating_nodes(data) == frozenset()


def violating_nodes(data: str) -> frozenset[str] | None:
    """The nodes of N-Triples ``data`` together with the model that break a shape, as shifty
    writes them (``<IRI>``, ``_:label``); None where shifty cannot say.

    The data and the model are validated and searched (``graph_mode="union"`` with the
    model in the shapes graph: the shapes' own triples, which no shape targets and no data
    links to, are searched too and change nothing); no inference. Releases the GIL while
    shifty works.

    shifty's algebra path, the one it keeps for conformance: its W3C path walks the shapes
    graph to build a report, which the gate does not need, and took 1.7 times the CPU on
    calibrated batches (``bench/gate_cost.py``). A constraint the algebra cannot evaluate
    raises (``on_unsupported="error"``) rather than being skipped: the batch then goes to
    rudof, so shifty never passes a batch on a constraint it did not look at. A verdict of
    "does not conform" that names no node is not believed either: None.
    """
    payload = data.encode("utf-8")
    try:
        with _LOCK:
            verdict = _validator().validate_algebra(
                payload,
                graph_mode="union",
                infer=False,
                sort_results=False,
                on_unsupported="error",
            )
    except (ValueError, RuntimeError):  # unsupported by the algebra: rudof judges
        return None
    nodes = frozenset(str(violation.focus_node) for violation in verdict.violations)
    if bool(verdict.conforms) != (not nodes):
        return None
    return nodes
