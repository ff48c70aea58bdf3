"""``withdraw``: take sources out of the store, with what they alone state (decision 0021)."""

from __future__ import annotations

import click

from evidencegraph.cli.context import AppContext, pass_app


@click.command()
@click.argument("sources", nargs=-1, required=True)
@pass_app
def withdraw(app: AppContext, sources: tuple[str, ...]) -> None:
    """Withdraw SOURCES: each one's statements leave the store, except what another source
    also states; values they outranked come back into the view.

    A SOURCE is a source graph's IRI, a source's IRI or CURIE (egid:source/ctgov/NCT02649231),
    an NCT number, a PMID, a curated or loaded file's name, or the time an import ran (its
    summary prints it: withdrawing it rolls that import back). The store is validated as
    for any write: a withdrawal that would break the shapes (a claim left pointing at a study
    that is gone) is refused whole (exit 1), and nothing changes.
    """
    from evidencegraph.graph.source_names import resolve

    with app.open_graph() as graph:
        graphs = resolve(graph.store, list(sources))
        for name in graphs:
            app.info(f"withdrawing {name}")
        summary = graph.withdraw(graphs)
        plan = summary.plan
        assert plan is not None
        click.echo(
            f"Withdrew {len(plan.graphs)} source graph(s) from {graph.store.descriptor}: "
            f"{len(plan.view_removals):,} triple(s) left the view, "
            f"{summary.triples_added:,} came back (values the withdrawn sources outranked); "
            f"the store holds {len(graph.store):,} triples. The view conforms to the shapes."
        )
