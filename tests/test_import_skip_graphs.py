"""An import in skip mode writes each good record of a rejected batch into its own source
graph, as it writes a good batch (found by the fetch tests: those records reached the view
but not their graphs, so the catalog did not list them and withdraw could not take them out)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from evidencegraph.cli.main import cli
from evidencegraph.store.core import OxigraphStore

FETCH = Path(__file__).parent / "data" / "fetch"
GRAPH = "https://w3id.org/evidencegraph/graph/ctgov/"


def test_good_records_of_a_rejected_batch_get_their_graphs(tmp_path: Path) -> None:
    bad = json.loads((FETCH / "NCT00465595.json").read_text())  # breaks the shapes
    good = [json.loads(path.read_text()) for path in sorted((FETCH / "phelan_next").glob("*.json"))]
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"studies": [bad, *good]}))
    db = tmp_path / "store.db"
    result = CliRunner().invoke(
        cli, ["--store", f"oxigraph:{db}", "import", "ctgov", str(page), "--on-invalid", "skip"]
    )
    assert result.exit_code == 0, result.output
    assert "(NCT00465595)" in result.output
    store = OxigraphStore(db)
    try:
        rows = store.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }").rows
        listed = store.query(
            "SELECT ?g WHERE { GRAPH <https://w3id.org/evidencegraph/graph/catalog> "
            "{ ?g a <https://w3id.org/evidencegraph/ontology#SourceGraph> } }"
        ).rows
    finally:
        store.close()
    wanted = {GRAPH + study["protocolSection"]["identificationModule"]["nctId"] for study in good}
    assert {str(row["g"]) for row in rows} >= wanted
    assert {str(row["g"]) for row in listed} == wanted
