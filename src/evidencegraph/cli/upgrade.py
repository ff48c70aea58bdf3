"""``upgrade-keys``: add the name keys a store written before them lacks (decision 0028)."""

from __future__ import annotations

import click

from evidencegraph.cli.context import AppContext, pass_app


@click.command("upgrade-keys")
@pass_app
def upgrade_keys(app: AppContext) -> None:
    """Add the name keys (eg:nameKey) to a store written before them.

    The named queries find a drug or condition by the lower-cased form of its name, which
    every import, load and build now writes with the name. In a store written before, a
    query by name finds nothing and says to run this command. Each source graph that names
    a drug or condition without its key is written again with its own statements, kind and
    version, so the keys go into that graph (a later re-import or withdrawal keeps them
    right), validated as any write. Running it again does nothing.
    """
    with app.open_graph() as graph:
        app.info(f"looking for names without keys in {graph.store.descriptor}")
        done = graph.add_name_keys()
        click.echo(
            f"Wrote {done.graphs:,} source graph(s) of {graph.store.descriptor} again with "
            f"their name keys: {done.triples_added:,} triple(s) new to the view; the store "
            f"holds {len(graph.store):,} triples. The view conforms to the shapes."
        )
