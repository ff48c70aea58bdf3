"""The floor under the import (issue 18 point 8): what mapping the records and writing the
store's layout cost, with no gate at all, against the CPU budget of the goal.

The goal is 150 real-sized studies a second on this machine's two cores: at most 13.3 ms of
CPU a study for everything (reading, mapping, judging, writing, RocksDB's own threads). This
script measures the two costs no gate can take away, in one process, on N calibrated studies
(bench/generate_ctgov.py, seed 7, generated before any timing):

- **map**: each record read from its JSON text and mapped as the import maps it
  (``map_study``, ``source_record``, ``canonical``), CPU of this process;
- **write**: the quads the import writes (decision 0021: each statement in its record's graph
  and in the view, the catalog's description of each graph), handed as N-Quads to Oxigraph's
  bulk loader into an empty on-disk store, then flushed: CPU of every thread of the process
  (the loader's and RocksDB's included), taken from ``getrusage``;
- the same write of the **view alone** (each statement once, in the default graph), into
  another empty store: what the layout's second copy costs.

The view here is every statement of every graph (the calibrated generator's studies name
shared drugs and conditions; their single values are decided by precedence in the import,
which changes a few hundred triples, not the cost).

Run:  nice python bench/storage_floor.py --studies 20000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).parent))

from evidencegraph.graph.pipeline import source_record
from evidencegraph.ingest.ctgov import map_study
from evidencegraph.validation.source_view import canonical, describe
from generate_ctgov import encode, generate_study, study_rng  # type: ignore[import-not-found]

#: Records canonicalised together, as the import's batches are.
BATCH = 100
#: 150 studies a second on two cores.
BUDGET_MS = 2 * 1000 / 150


def cpu_all_threads() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(studies: int, folder: Path) -> dict[str, float]:
    """Map the studies (timed), write their quads to two N-Quads files, load each into an
    empty store (timed); the files, not Python objects, hold the quads in between."""
    texts = [encode(generate_study(i, study_rng(7, i), dense=False), None) for i in range(studies)]
    now = datetime.now(timezone.utc)
    both_path, view_path = folder / "graphs-and-view.nq", folder / "view.nq"
    mapped, view_triples, written_quads = 0.0, 0, 0
    with both_path.open("wb") as both, view_path.open("wb") as alone:
        for start in range(0, studies, BATCH):
            started = time.process_time()
            records = [
                source_record(map_study(json.loads(text), f"study-{start + i}.json"))
                for i, text in enumerate(texts[start : start + BATCH])
            ]
            canonical(records)
            mapped += time.process_time() - started
            graphs: list[ox.Quad] = []
            view: list[ox.Quad] = []
            for record in records:
                for s, p, o in record.triples or ():
                    graphs.append(ox.Quad(s, p, o, record.graph))
                    view.append(ox.Quad(s, p, o, ox.DefaultGraph()))
                graphs += describe(record, now=now)
            view_text = ox.serialize(view, format=ox.RdfFormat.N_QUADS) or b""
            both.write(ox.serialize(graphs, format=ox.RdfFormat.N_QUADS) or b"")
            both.write(view_text)
            alone.write(view_text)
            view_triples += len(view)
            written_quads += len(graphs) + len(view)
    del texts
    figures: dict[str, float] = {
        "studies": studies,
        "view_triples": view_triples,
        "written_quads": written_quads,
    }
    for label, path in (("write", both_path), ("view_alone", view_path)):
        store = ox.Store(str(folder / f"store-{label}"))
        cpu, wall = cpu_all_threads(), time.perf_counter()
        store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
        store.flush()
        figures[f"{label}_ms"] = 1000 * (cpu_all_threads() - cpu) / studies
        figures[f"{label}_wall_s"] = time.perf_counter() - wall
        del store
    figures["map_ms"] = 1000 * mapped / studies
    figures["load"] = os.getloadavg()[0]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--studies", type=int, default=20_000)
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(
        prefix="floor-", dir=args.work, ignore_cleanup_errors=True
    ) as folder:
        f = measure(args.studies, Path(folder))
    floor = f["map_ms"] + f["write_ms"]
    print(json.dumps(f))
    print(
        f"{f['studies']:,} calibrated studies, {f['view_triples'] / f['studies']:.0f} triples each"
    )
    print("| cost | CPU ms a study |\n|---|---:|")
    print(f"| map (read the JSON, map, canonical forms) | {f['map_ms']:.2f} |")
    print(f"| write graphs + view (bulk load, flush) | {f['write_ms']:.2f} |")
    print(f"| write the view alone | {f['view_alone_ms']:.2f} |")
    print(f"| floor: map + write, no gate | {floor:.2f} |")
    print(f"| budget of 150 studies/s on 2 cores | {BUDGET_MS:.2f} |")
    print(f"bound with no gate: {2000 / floor:.0f} studies/s; load average {f['load']:.1f}")


if __name__ == "__main__":
    main()
