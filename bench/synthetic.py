"""A registry-sized store for the benchmarks: the model, the curated evidence and N studies
from ``bench/generate.py``, bulk-loaded into a new on-disk store."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pyoxigraph as ox

HERE = Path(__file__).parent

#: N-Triples lines handed to the bulk loader at a time (well under its one-chunk limit)
_LINES_PER_LOAD = 500_000


def build_store(path: Path, studies: int, seed: int = 7) -> tuple[int, float]:
    """Fill a new store at ``path``; returns its triples and the seconds it took."""
    sys.path.insert(0, str(HERE))
    from evidencegraph.evidence import evidence_files
    from evidencegraph.graph.store import OxigraphStore
    from evidencegraph.graph.terms import to_quads
    from evidencegraph.ingest.rdf_files import read_packaged
    from evidencegraph.ontology.namespace import model_files
    from generate import lines  # type: ignore[import-not-found]

    started = time.perf_counter()
    store = ox.Store(str(path))
    store.bulk_extend(to_quads(read_packaged([*model_files(), *evidence_files()])))
    held: list[str] = []
    for line in lines(studies, seed):
        held.append(line)
        if len(held) >= _LINES_PER_LOAD:
            store.bulk_load("\n".join(held) + "\n", format=ox.RdfFormat.N_TRIPLES)
            held = []
    store.bulk_load("\n".join(held) + "\n", format=ox.RdfFormat.N_TRIPLES)
    store.flush()
    triples = len(store)
    del store
    OxigraphStore(path, read_only=True).close()  # the project's store opens it
    return triples, time.perf_counter() - started
