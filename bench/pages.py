"""What the source graphs cost a resource page (issue 17, points 3 and 6 for the server).

A store is built (`evidencegraph build`) and N synthetic ClinicalTrials.gov records imported
(bench/generate_ctgov.py, seed 7), each into its own graph. Then, in this process, each page
is rendered as a worker renders it (``pages.resource_html``), as shipped and, as the baseline
in the same run, with the source graphs left out (``attribute`` answering nothing, as the page
was before issue 17); the median of ``--runs`` renders each. The pages: KARE's (curated, no
registry record here), an imported study's, and the node the most graphs state something of
(a condition every record names: the bounded listing's worst case). Also the dereference of
one record's graph as HTML and as TriG (``GraphJob``).

    python bench/pages.py [--studies 2000] [--runs 15] [--write docs/benchmarks.md]

Issue 20 (the study's summary, a drug's, condition's and MeSH class's trials, search) on a
store already built, opened read-only (``registry``: each page's and search's CPU time, the
worker's index and table built once, against the ways without them in the same run):

    nice python bench/pages.py --registry STORE --runs 15 [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import heapq
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from common import machine, replace_section, run_id, versions  # noqa: E402

BEGIN, END = "<!-- server-pages:begin -->", "<!-- server-pages:end -->"
CLI = [sys.executable, "-m", "evidencegraph"]
KARE = "https://w3id.org/evidencegraph/id/study/NCT02649231"


def median_ms(render: Callable[[], object], runs: int) -> float:
    """The median wall milliseconds of ``runs`` calls of ``render`` (after one to warm up)."""
    render()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        render()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def paired_ms(
    first: Callable[[], object], second: Callable[[], object], runs: int
) -> tuple[float, float]:
    """The median wall milliseconds of ``first`` and of ``second``, run by turns (after one
    of each to warm up), so that a busy moment of the machine weighs on both alike."""
    first(), second()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for render, kept in ((first, times[0]), (second, times[1])):
            start = time.perf_counter()
            render()
            kept.append((time.perf_counter() - start) * 1000)
    return statistics.median(times[0]), statistics.median(times[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--studies", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--write", type=Path, help="put the section into this Markdown file")
    args = parser.parse_args()

    from evidencegraph.server import graphs, pages
    from evidencegraph.server.evaluate import GraphJob
    from evidencegraph.server.urls import local_path
    from evidencegraph.store.core import OxigraphStore

    with tempfile.TemporaryDirectory() as folder:
        records, db = Path(folder) / "ctgov", Path(folder) / "store.db"
        subprocess.run(
            [sys.executable, str(HERE / "generate_ctgov.py"), str(args.studies), str(records)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        for command in (["build"], ["import", "ctgov", str(records)]):
            subprocess.run(
                [*CLI, "-q", "--store", f"oxigraph:{db}", *command],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        store = OxigraphStore(db, read_only=True)
        rows = store.query(
            "SELECT ?s (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
            "FILTER(STRSTARTS(STR(?g), 'https://w3id.org/evidencegraph/graph/ctgov/')) } "
            "GROUP BY ?s ORDER BY DESC(?n) ?s LIMIT 1"
        ).rows
        busiest, stated_in = str(rows[0]["s"]), int(str(rows[0]["n"]))
        first = store.query(
            "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
            "FILTER(STRSTARTS(STR(?g), 'https://w3id.org/evidencegraph/graph/ctgov/')) } "
            "ORDER BY ?g LIMIT 1"
        ).rows
        record = str(first[0]["g"])
        study = "https://w3id.org/evidencegraph/id/study/" + record.rsplit("/", 1)[-1]

        shipped = pages.attribute
        results = []
        for name, iri in (
            ("KARE (curated)", KARE),
            ("an imported study", study),
            (f"the node the most graphs state ({stated_in:,} graphs)", busiest),
        ):

            def render(iri: str = iri) -> object:
                page = pages.resource_html(store, iri, local_path)
                assert page is not None, iri
                return page

            def baseline(iri: str = iri) -> object:
                pages.attribute = lambda store, node, view: graphs.Attribution()  # type: ignore[assignment]
                try:
                    return render(iri)
                finally:
                    pages.attribute = shipped

            without, with_graphs = paired_ms(baseline, render, args.runs)
            results.append((name, without, with_graphs))
        dereference = [
            (fmt, median_ms(lambda fmt=fmt: GraphJob(record, fmt, 100_000).run(store), args.runs))
            for fmt in ("html", "trig")
        ]
        store.close()

    lines = [
        BEGIN,
        "## Resource pages with the source graphs (issue 17)",
        "",
        f"Command: `python bench/pages.py --studies {args.studies} --runs {args.runs} "
        "--write docs/benchmarks.md`",
        "",
        f"Run {run_id()} on {machine()}; {versions(['pyoxigraph', 'Jinja2'])}.",
        "",
        f"The curated evidence and {args.studies:,} synthetic registry records "
        "(bench/generate_ctgov.py, seed 7) imported, one graph each. A page is rendered in this "
        "process as a worker renders it (`pages.resource_html`), the median of "
        f"{args.runs} renders of each, the two taken by turns. The baseline, in the same run, "
        "is the same page with the source graphs left out (`attribute` answering nothing: "
        "the page before issue 17).",
        "",
        "| page | without the source graphs | with them | ratio |",
        "|---|---:|---:|---:|",
        *(
            f"| {name} | {without:.1f} ms | {with_graphs:.1f} ms | {with_graphs / without:.2f}× |"
            for name, without, with_graphs in results
        ),
        "",
        "A registry record's graph dereferenced (`GraphJob`, in the worker): "
        + ", ".join(f"{fmt} {ms:.1f} ms" for fmt, ms in dereference)
        + ".",
        END,
    ]
    section = "\n".join(lines)
    print(section)
    if args.write:
        replace_section(args.write, BEGIN, END, section)


# --- issue 20: the pages and the search at registry scale ------------------------------------

REGISTRY_BEGIN, REGISTRY_END = "<!-- registry-pages:begin -->", "<!-- registry-pages:end -->"
EG = "https://w3id.org/evidencegraph/ontology#"
#: Searches as people type them: an acronym, prefixes, a drug, a condition with a synonym,
#: identifiers (an NCT number of the generated records, KARE's PMID and DOI prefix)
SEARCHES = ("KARE", "ke", "ketamine", "alcohol use", "alcoholism", "NCT9000001", "35012326")


def cpu_ms(call: Callable[[], object], runs: int) -> tuple[float, float]:
    """The median CPU and wall milliseconds of ``runs`` calls (after one to warm up): CPU
    time is this process's alone, whatever else the shared machine runs."""
    call()
    cpu, wall = [], []
    for _ in range(runs):
        started, clock = time.process_time(), time.perf_counter()
        call()
        cpu.append((time.process_time() - started) * 1000)
        wall.append((time.perf_counter() - clock) * 1000)
    return statistics.median(cpu), statistics.median(wall)


def _busiest(store: object, predicate: str) -> tuple[str | None, int]:
    """The object of ``predicate`` the most studies link to, and how many do (None, 0 when
    the store has no such link: a store imported before the MeSH tree was)."""
    rows = store.query(  # type: ignore[attr-defined]
        f"SELECT ?o (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s <{predicate}> ?o }} "
        "GROUP BY ?o ORDER BY DESC(?n) ?o LIMIT 1"
    ).rows
    if not rows:
        return None, 0
    return str(rows[0]["o"]), int(str(rows[0]["n"]))


def registry(path: Path, runs: int, write: Path | None, label: str = "") -> None:
    """Issue 20's pages and search on an existing store, opened read-only: each page's CPU
    time as a worker renders it, the search against a SPARQL scan of the names (the way
    without an index), and a listing against reading its studies' facts per listing."""
    import os
    import resource as rusage

    import pyoxigraph as ox

    from evidencegraph.server import graphs, pages, search, trials
    from evidencegraph.server.pages import resource_html
    from evidencegraph.server.urls import local_path
    from evidencegraph.store.core import OxigraphStore

    store = OxigraphStore(path, read_only=True)
    studies = int(
        str(store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s a <{EG}Trial> }}").rows[0]["n"])
    )
    load = os.getloadavg()
    rss_before = rusage.getrusage(rusage.RUSAGE_SELF).ru_maxrss / 1024
    started = time.process_time()
    index = search.index_of(store)
    index_s = time.process_time() - started
    rss_index = rusage.getrusage(rusage.RUSAGE_SELF).ru_maxrss / 1024
    started = time.process_time()
    table = trials.table_of(store)
    table_s = time.process_time() - started
    rss_table = rusage.getrusage(rusage.RUSAGE_SELF).ru_maxrss / 1024
    started = time.process_time()
    counted = pages.COUNTED.of(store)
    counted_s = time.process_time() - started
    # what the two hold in Python objects (RSS counts the store's caches too): built again,
    # traced
    import tracemalloc

    tracemalloc.start()
    held = [search.SearchIndex.build(store)]
    index_mib = tracemalloc.get_traced_memory()[0] / 2**20
    held.append(trials.StudyTable.build(store))  # type: ignore[arg-type]
    table_mib = tracemalloc.get_traced_memory()[0] / 2**20 - index_mib
    tracemalloc.stop()
    del held

    searched = []
    for text in SEARCHES:
        cpu, wall = cpu_ms(lambda text=text: index.search(text), runs)
        hits = index.search(text)
        searched.append((text, cpu, wall, hits[0].name[:50] if hits else "—"))
    # the way without an index, while a worker builds it: the nodes that may match read by
    # SPARQL (search.SearchJob)
    unindexed = [
        (
            text,
            *cpu_ms(
                lambda text=text: search.SearchIndex.build_for(store, text).search(text),
                max(3, runs // 3),
            ),
        )
        for text in ("KARE", "alcohol use")
    ]

    condition, in_condition = _busiest(store, EG + "studiesCondition")
    drug = store.query(
        f"SELECT ?d (COUNT(DISTINCT ?s) AS ?n) WHERE {{ "
        f"?s <{EG}hasArm>/<{EG}receives>/<{EG}drug> ?d }} GROUP BY ?d ORDER BY DESC(?n) ?d LIMIT 1"
    ).rows
    drug_iri = str(drug[0]["d"])
    mesh, in_mesh = _busiest(store, EG + "interventionMeshAncestor")
    if mesh is None:
        mesh, in_mesh = _busiest(store, EG + "conditionMesh")
    study = str(
        store.query(
            f"SELECT ?s WHERE {{ ?s <{EG}nctId> ?id FILTER(STRSTARTS(?id, 'NCT9')) }} "
            "ORDER BY ?s LIMIT 1"
        ).rows[0]["s"]
    )
    kare = KARE if store.query(f"SELECT ?p WHERE {{ <{KARE}> ?p ?o }} LIMIT 1").rows else None
    rendered = []
    for name, iri, arguments in (
        ("KARE's study page (curated)", kare, ()),
        ("an imported study's page", study, ()),
        (f"the condition most studies name ({in_condition:,} studies)", condition, ()),
        ("its page 3, phase facet chosen", condition, ("phase",)),
        ("the drug most arms receive", drug_iri, ()),
        (f"the MeSH term most studies fall under ({in_mesh:,} studies)", mesh, ()),
    ):
        if iri is None:
            continue
        given: tuple[tuple[str, str], ...] = ()
        if arguments:
            phase = next(
                t.phase for t in trials._trials(store, ox.NamedNode(iri), "condition") if t.phase
            )
            given = (("page", "3"), ("phase", phase))

        def render(iri: str = iri, given: tuple[tuple[str, str], ...] = given) -> object:
            page = resource_html(store, iri, local_path, given)
            assert page is not None, iri
            return page

        cpu, wall = cpu_ms(render, runs)
        rendered.append((name, cpu, wall))

    # a listing's rows: from the worker's table, and read by SPARQL for the listing alone
    # (what a listing does while the worker builds its table); the listing's facets counted;
    # what the graphs state of the term counted (kept by the worker for the busiest nodes)
    # the facets of a listing the size of the 100k store's largest MeSH class, whatever this
    # store's size: its trials repeated, by codes (shipped) and trial by trial (before)
    big = _repeated_table(table, SCALED_LISTING)
    numbers = big.numbers("every", "condition")
    scaled_cpu, _ = cpu_ms(lambda: big.listing(numbers, {}), runs)
    every = big.members("every", "condition")
    one_by_one_cpu, _ = cpu_ms(lambda: _listing_trial_by_trial(every, {}), max(3, runs // 3))
    members_cpu = per_listing_cpu = listing_cpu = counting_cpu = 0.0
    if mesh is not None:
        node = ox.NamedNode(mesh)
        members_cpu, _ = cpu_ms(lambda: trials._trials(store, node, "class"), runs)

        def by_sparql() -> object:
            alone = trials.StudyTable.build(store, only=(node, "class"))
            return alone.listing(alone.numbers(mesh, "class"), {})

        per_listing_cpu, _ = cpu_ms(by_sparql, max(3, runs // 5))
        listing_cpu, _ = cpu_ms(lambda: trials.listing(store, node, "class", {}), runs)
        counting_cpu, _ = cpu_ms(lambda: graphs.count_statements(store, node), max(3, runs // 3))
    store.close()

    begin, end = REGISTRY_BEGIN, REGISTRY_END
    if label:  # a section of its own per store measured
        begin = begin.replace(":begin", f"-{label}:begin")
        end = end.replace(":end", f"-{label}:end")
    lines = [
        begin,
        f"## Pages and search at registry scale (issue 20){f': {label}' if label else ''}",
        "",
        f"Command: `nice python bench/pages.py --registry {path} --runs {runs} "
        f"{f'--label {label} ' if label else ''}--write docs/benchmarks.md`",
        "",
        f"Run {run_id()} on {machine()}; {versions(['pyoxigraph', 'Jinja2'])}; load average "
        f"at the start {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f} (2 cores shared).",
        "",
        f"The store: {studies:,} trials. Times are CPU milliseconds of this process (the "
        f"median of {runs}; wall time beside it), a page rendered as a worker renders it "
        "(`pages.resource_html`), a search as a worker answers it (`SearchIndex.search`).",
        "",
        f"Built once per worker, in the background when it starts: the search index of "
        f"{len(index):,} named nodes in {index_s:.1f} s CPU, holding {index_mib:.0f} MiB of "
        f"Python objects; the study table of {len(table):,} studies in {table_s:.1f} s CPU, "
        f"{table_mib:.0f} MiB (the process's peak RSS {rss_before:.0f} MiB before, "
        f"{rss_index:.0f} after the index, {rss_table:.0f} after the table, the store's "
        f"caches included); what the graphs state of the {len(counted):,} nodes more than "
        f"{graphs.MANY_GRAPHS:,} studies link to, counted in {counted_s * 1000:,.0f} ms CPU.",
        "",
        "| search | CPU | wall | first hit |",
        "|---|---:|---:|---|",
        *(
            f"| `{text}` | {cpu:.2f} ms | {wall:.2f} ms | {hit} |"
            for text, cpu, wall, hit in searched
        ),
        "",
        "Before a worker's index is built, a search reads the nodes that may match by "
        "SPARQL (`SearchIndex.build_for`): "
        + ", ".join(
            f"`{text}` {cpu:.0f} ms CPU ({wall:.0f} ms wall)" for text, cpu, wall in unindexed
        )
        + ".",
        "",
        "| page | CPU | wall |",
        "|---|---:|---:|",
        *(f"| {name} | {cpu:.0f} ms | {wall:.0f} ms |" for name, cpu, wall in rendered),
        "",
        (
            f"The MeSH term's {in_mesh:,} studies with their facts: {members_cpu:.1f} ms CPU "
            f"from the worker's table; its listing, the facets counted and the page cut, "
            f"{listing_cpu:.1f} ms; read by SPARQL for the one listing (before the worker's "
            f"table is built) {per_listing_cpu:.0f} ms. What the graphs state of the term, "
            f"counted per page where the worker has not counted it: {counting_cpu:.0f} ms."
            if mesh is not None
            else "The store has no MeSH terms (imported before the MeSH tree was mapped)."
        ),
        "",
        f"A listing of {SCALED_LISTING:,} trials (this store's trials repeated under new IRIs: "
        "the size of the 100k store's largest MeSH class), no facet chosen: the facets counted "
        f"and the page cut by the table's codes in {scaled_cpu:.1f} ms CPU, trial by trial (as "
        f"before decision 0027) in {one_by_one_cpu:.1f} ms.",
        end,
    ]
    section = "\n".join(lines)
    print(section)
    if write:
        replace_section(write, begin, end, section)


#: Trials of the listing measured at the 100k store's largest MeSH class's size.
SCALED_LISTING = 61_901


def _repeated_table(table: object, size: int) -> object:
    """A StudyTable of ``size`` trials, ``table``'s repeated under new IRIs, all of them
    the trials of one condition, ``every``."""
    import dataclasses
    from array import array

    from evidencegraph.server import trials

    held = table.every_trial()  # type: ignore[attr-defined]
    copies = [
        dataclasses.replace(trial, iri=f"{trial.iri}/{round_}")
        for round_ in range(size // max(len(held), 1) + 1)
        for trial in held
    ][:size]
    copies.sort(key=trials._newest_first, reverse=True)
    links = {name: {} for name in trials._LINKS}
    links["condition"] = {"every": array("i", range(len(copies)))}
    return trials.StudyTable(copies, links, {})


def _listing_trial_by_trial(members: list, chosen: dict[str, str]) -> object:
    """A listing's facets and page worked out trial by trial, as before the codes: each
    trial's values of each facet worked out once (as the table did), then counted."""
    from collections import Counter
    from itertools import chain

    from evidencegraph.server import trials

    names = [name for name, _ in trials.FACETS]
    if id(members) not in _BY_FACET:
        _BY_FACET[id(members)] = [tuple(t.facet_values(name) for name in names) for t in members]
    by_facet = _BY_FACET[id(members)]

    # as the listing did: which trials each choice keeps, once; no choice keeps them all
    kept = {
        name: [value in values[names.index(name)] for values in by_facet]
        for name, value in chosen.items()
    }

    def others(but: str | None) -> list[int]:
        masks = [mask for name, mask in kept.items() if name != but]
        if not masks:
            return list(range(len(by_facet)))
        return [
            index for index, *keep in zip(range(len(by_facet)), *masks, strict=True) if all(keep)
        ]

    facets = []
    for place, name in enumerate(names):
        counts = Counter(chain.from_iterable(by_facet[index][place] for index in others(name)))
        facets.append(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
    matching = [members[index] for index in others(None)]
    return facets, heapq.nlargest(trials.PAGE_SIZE, matching, key=trials._newest_first)


#: each listing's trials' facet values, worked out once (the table did so when it was built)
_BY_FACET: dict[int, list[tuple[tuple[str, ...], ...]]] = {}


if __name__ == "__main__":
    if "--registry" in sys.argv:
        registry_parser = argparse.ArgumentParser(description="issue 20's pages and search")
        registry_parser.add_argument("--registry", type=Path, required=True)
        registry_parser.add_argument("--runs", type=int, default=15)
        registry_parser.add_argument("--write", type=Path)
        registry_parser.add_argument("--label", default="", help="a section of its own")
        given = registry_parser.parse_args()
        registry(given.registry, given.runs, given.write, given.label)
    else:
        main()
