"""A registry-sized store for the benchmarks: the model, the curated evidence and N studies
from ``bench/generate.py``, bulk-loaded into a new on-disk store (or written as one N-Triples
file, for loaders to be timed on)."""

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
    from evidencegraph.ontology.namespace import model_files
    from evidencegraph.rdf.files import read_packaged
    from evidencegraph.rdf.terms import to_quads
    from evidencegraph.store.core import OxigraphStore
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


def write_ntriples(path: Path, studies: int, seed: int = 7, flagship_every: int = 100) -> int:
    """The same triples as :func:`build_store` puts in a store, as one N-Triples file (the
    model and the curated evidence first); returns the lines written."""
    sys.path.insert(0, str(HERE))
    from evidencegraph.evidence import evidence_files
    from evidencegraph.ontology.namespace import model_files
    from evidencegraph.rdf.files import read_packaged
    from evidencegraph.rdf.terms import to_quads
    from generate import lines  # type: ignore[import-not-found]

    packaged = read_packaged([*model_files(), *evidence_files()])
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        data = ox.serialize(
            (ox.Triple(q.subject, q.predicate, q.object) for q in to_quads(packaged)),
            format=ox.RdfFormat.N_TRIPLES,
        )
        assert data is not None
        handle.write(data.decode("utf-8"))
        count += len(packaged)
        for line in lines(studies, seed, flagship_every):
            handle.write(line + "\n")
            count += 1
    return count
