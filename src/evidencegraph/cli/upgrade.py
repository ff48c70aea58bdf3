"""``upgrade-keys``: bring a store written by an earlier version up to what the queries rely
on: the name keys (decision 0028) and the marks of the values the view does not show
(decision 0030)."""

from __future__ import annotations

import click

from evidencegraph.cli.context import AppContext, pass_app


@click.command("upgrade-keys")
@pass_app
def upgrade_keys(app: AppContext) -> None:
    """Add the name keys (eg:nameKey) and the marks of the values the view does not show
    (graph/not-shown) to a store written before them.

    The named queries find a drug or condition by the lower-cased form of its name, which
    every import, load and build now writes with the name. In a store written before, a
    query by name finds nothing and says to run this command. Each source graph that names
    a drug or condition without its key is written again with its own statements, kind and
    version, so the keys go into that graph (a later re-import or withdrawal keeps them
    right), validated as any write.

    source-disagreements reads graph/not-shown, which every write now keeps: each single
    value a source graph states that the view does not show. On a store written before, it
    refuses to answer and says to run this command, which writes every such value there
    (and takes out any that should not be) in one transaction. Running it again does
    nothing.
    """
    with (
        app.open_graph() as graph,
        app.progress(f"upgrading {graph.store.descriptor}", unit="steps") as progress,
    ):
        done = graph.upgrade(on_step=progress.at)
        progress.advance()  # the last stage done
        click.echo(
            f"Wrote {done.graphs:,} source graph(s) of {graph.store.descriptor} again with "
            f"their name keys: {done.triples_added:,} triple(s) new to the view; "
            f"{done.marks_added:,} value(s) the view does not show marked, "
            f"{done.marks_removed:,} mark(s) taken out; the store holds "
            f"{len(graph.store):,} triples. The view conforms to the shapes."
        )
