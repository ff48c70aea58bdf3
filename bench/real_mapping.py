"""What the mapping makes of real ClinicalTrials.gov records: triples per study, with and
without a results section, and the time to map them and to import them through the gate.

Run it with the code to measure on the path first, so two trees can be compared on the
same records in one shell:

    python bench/real_mapping.py /work/shared/data/real/ctgov_v2_more
    PYTHONPATH=/path/to/other/src python bench/real_mapping.py /work/shared/data/real/ctgov_v2_more

It prints one JSON object: which evidencegraph it ran, the records, the triples, and the
seconds (best of ``--rounds``) to map and to import.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import time
from pathlib import Path

import evidencegraph
from evidencegraph.errors import MappingError
from evidencegraph.graph.evidence_graph import EvidenceGraph
from evidencegraph.graph.pipeline import Importer
from evidencegraph.ingest.ctgov import map_study
from evidencegraph.ingest.records import Record
from evidencegraph.store.core import OxigraphStore


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directories", nargs="+", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    records = [
        (path, json.loads(path.read_text(encoding="utf-8")))
        for directory in args.directories
        for path in sorted(directory.glob("*.json"))
    ]
    studies = with_results = triples = results_triples = 0
    for path, content in records:
        try:
            mapped = map_study(content, str(path))
        except MappingError:
            continue
        studies += 1
        triples += len(mapped.triples)
        if "resultsSection" in content:
            with_results += 1
            results_triples += len(mapped.triples)
    map_seconds = import_seconds = float("inf")
    for _ in range(args.rounds):
        start = time.perf_counter()
        for path, content in records:
            with contextlib.suppress(MappingError):
                map_study(content, str(path))
        map_seconds = min(map_seconds, time.perf_counter() - start)
        graph = EvidenceGraph(OxigraphStore(None))
        start = time.perf_counter()
        summary = Importer(graph, map_study, on_invalid="skip").run(
            Record(str(path), content) for path, content in records
        )
        import_seconds = min(import_seconds, time.perf_counter() - start)
    print(
        json.dumps(
            {
                "code": str(Path(evidencegraph.__file__).parent),
                "records": len(records),
                "studies mapped": studies,
                "triples": triples,
                "triples per study": round(triples / max(studies, 1), 1),
                "studies with results": with_results,
                "triples per study with results": round(results_triples / max(with_results, 1), 1),
                "map seconds": round(map_seconds, 3),
                "import seconds (gate, memory store)": round(import_seconds, 3),
                "imported": summary.imported,
                "triples added": summary.triples_added,
            }
        )
    )


if __name__ == "__main__":
    main()
