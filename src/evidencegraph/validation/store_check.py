"""``validate`` of a whole store: the recorded verdicts checked, and the rest judged.

By default (decision 0024) the catalog's recorded verdicts stand for what the gate judged
under this version's shapes, once the store's integrity is checked
(:func:`~evidencegraph.validation.recorded_verdicts.coverage`); the full engine judges the
rest. ``full`` judges every node, as before. Either way the account says how many of the
view's triples were judged now and how many a recorded verdict covers, under which shapes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from evidencegraph.errors import UPGRADE_COMMAND, StoreError
from evidencegraph.ontology.source_graphs import CATALOG, NOT_SHOWN
from evidencegraph.store.core import OxigraphStore, Store
from evidencegraph.validation.recorded_verdicts import NEVER, Coverage, coverage
from evidencegraph.validation.shacl import ValidationReport
from evidencegraph.validation.store_validation import chosen_engine, judge_store

_VIEW_SIZE = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


@dataclass
class StoreCheck:
    """``validate``'s verdict on a store, and what it rests on."""

    report: ValidationReport
    engine: str
    #: the view's triples; those judged now
    view_triples: int
    judged_triples: int
    #: what the recorded verdicts cover (None: every node was judged, recorded or not)
    coverage: Coverage | None
    #: why every node was judged, when it was
    why_full: str = ""

    @property
    def marks_wrong(self) -> bool:
        """Whether graph/not-shown is out of step with the graphs and the view (decision
        0030): ``validate`` fails then, whatever the shapes say."""
        return self.coverage is not None and self.coverage.marks_wrong

    def account(self) -> str:
        """What was judged now and what recorded verdicts cover, for people (a few lines)."""
        judged = f"Judged now: {self.judged_triples:,} of the view's {self.view_triples:,} "
        judged += f"triples ({self.engine})"
        found = self.coverage
        marks = marks_account(found) if found is not None else ""
        if found is None or found.everything or self.why_full:
            return f"{judged}, every node: {self.why_full}.\n" + (marks + "\n" if marks else "")
        covered = self.view_triples - self.judged_triples
        lines = [
            f"{judged}; covered by recorded verdicts: {covered:,} triples, in "
            f"{found.current:,} of {found.graphs:,} source graphs judged by the gate under "
            f"these shapes (sha256 {found.shapes[:12]}...)."
        ]
        again = [
            f"{count:,} judged under "
            + (
                "no recorded shapes"
                if shapes == NEVER
                else f"other shapes (sha256 {shapes[:12]}...)"
            )
            for shapes, count in sorted(found.other_shapes.items())
        ]
        if found.tampered:
            names = ", ".join(graph.value for graph in found.tampered[:5])
            more = f" and {len(found.tampered) - 5:,} more" if len(found.tampered) > 5 else ""
            again.append(
                f"{len(found.tampered):,} whose statements no longer have the checksum the "
                f"catalog records: {names}{more}"
            )
        if again:
            lines.append("Graphs judged again: " + "; ".join(again) + ".")
        behind = [
            (found.unstated, "view triple(s) no catalogued graph states"),
            (found.not_shown, "graph statement(s) missing from the view"),
            (
                found.wrong_choice,
                "single-valued pair(s) not showing the value precedence picks "
                "(another graph's, none, or two)",
            ),
            (len(found.uncatalogued), f"named graph(s) {CATALOG} does not describe"),
        ]
        written = [f"{count:,} {what}" for count, what in behind if count]
        if written:
            lines.append(
                "Written behind the gate's back, judged with their nodes: "
                + "; ".join(written)
                + "."
            )
        lines.append(f"Nodes judged: {len(found.focus):,}.")
        if marks:
            lines.append(marks)
        return "\n".join(lines) + "\n"


def marks_account(found: Coverage) -> str:
    """What is wrong with the marks of the values the view does not show (decision 0030),
    for people; "" when nothing is."""
    missing, extra = len(found.marks_missing), len(found.marks_extra)
    if not found.marks_kept:
        return (
            f"The catalog does not say that the store keeps the marks of the values the view "
            f"does not show ({NOT_SHOWN}; {missing:,} missing): it was written before them, "
            f"and source-disagreements refuses to answer. Run `{UPGRADE_COMMAND}` on it."
        )
    if not missing and not extra:
        return ""
    example = (found.marks_missing or found.marks_extra)[0]
    return (
        f"The marks of the values the view does not show ({NOT_SHOWN}) are out of step with "
        f"the source graphs and the view: {missing:,} missing, {extra:,} that should not be "
        f"there (e.g. {example.subject} {example.predicate} {example.object}), so "
        f"source-disagreements answers wrongly. They were written behind the gate's back: "
        f"run `{UPGRADE_COMMAND}` to write them again."
    )


def check_store(
    store: Store,
    engine: str = "auto",
    *,
    full: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> StoreCheck:
    """Validate ``store``: with ``full``, every node; otherwise what no recorded verdict
    covers (decision 0024).

    Raises UsageError for an engine that cannot run here, StoreError for a corrupt catalog.
    """
    name = chosen_engine(engine)
    why = ""
    found: Coverage | None = None
    if isinstance(store, OxigraphStore):
        # read with --full too: the marks of the values the view does not show (decision
        # 0030) fail validate whatever the shapes say, and --full judges more, never less;
        # but --full is also the way past a catalog too corrupt to read
        try:
            found = coverage(store)
            why = found.everything
        except StoreError:
            if not full:
                raise
            why = (
                "--full (the catalog is corrupt, so the marks of the values the view does not "
                "show were not checked)"
            )
    else:
        why = "a SPARQL store's named graphs are not read, so nothing recorded is checked"
    if full and found is not None:
        why = "--full"
    if found is None or found.everything or full:
        judged = judge_store(store, name, on_progress=on_progress)
        return StoreCheck(judged.report, name, judged.triples, judged.triples, found, why)
    assert isinstance(store, OxigraphStore)
    view_triples = _view_size(store)
    # progress counts the view's subjects: those recorded verdicts cover are done at once
    covered = max(found.subjects - len(found.focus), 0)
    if on_progress is not None:
        on_progress(covered, max(found.subjects, covered))
    if not found.focus:
        return StoreCheck(ValidationReport(conforms=True, results=[]), name, view_triples, 0, found)

    def judging(done: int, total: int) -> None:
        if on_progress is not None:
            on_progress(covered + done, max(found.subjects, covered + total))

    judged = judge_store(store, name, found.focus, on_progress=judging)
    return StoreCheck(judged.report, name, view_triples, judged.triples, found)


def _view_size(store: OxigraphStore) -> int:
    for solution in store.run_query(_VIEW_SIZE):  # type: ignore[union-attr]
        return int(solution["n"].value)
    return 0
