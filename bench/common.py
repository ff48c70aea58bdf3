"""What the benchmark scripts share: peak memory, percentiles, the machine and the package
versions, the run's name, report sections between markers, and rdflib's Graph as a Store."""

from __future__ import annotations

import datetime
import os
import platform
import resource
import subprocess
from collections.abc import Iterable, Iterator, Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pyoxigraph as ox
from pyparsing import ParseException
from rdflib import Graph, Variable
from rdflib.term import Node

from evidencegraph.errors import QuerySyntaxError
from evidencegraph.ontology.source_graphs import CATALOG
from evidencegraph.rdf.results import QueryResult
from evidencegraph.rdf.terms import RDF_TYPE, Triple, from_quad, to_oxigraph, to_rdflib
from evidencegraph.store.core import Store, describe_syntax_error
from evidencegraph.validation.source_view import SOURCE_GRAPH

ROOT = Path(__file__).parent.parent


def peak_rss_mib() -> float:
    """This process's peak resident set since it started (or since :func:`reset_peak_rss`).
    Not ru_maxrss: Linux keeps that across fork and exec, so a child would report the
    parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mib() -> float:
    """This process's resident set now."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def reset_peak_rss() -> None:
    """Start :func:`peak_rss_mib` afresh from the current resident set (Linux 4.0 and later:
    writing 5 to clear_refs resets the peak), so one process can measure several steps."""
    Path("/proc/self/clear_refs").write_text("5")


def p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def replace_section(path: Path, begin: str, end: str, section: str) -> None:
    """Put ``section`` (which starts with ``begin`` and ends with ``end``) in place of the one
    between the same markers in ``path``, or at its end; the rest of the file stays."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if begin in text and end in text:
        text = text[: text.index(begin)] + section + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")


def print_and_write(section: str, path: Path | None, begin: str, end: str) -> None:
    """Print a report ``section`` and, given a ``path``, put it there (:func:`replace_section`)."""
    print(section)
    if path is not None:
        replace_section(path, begin, end, section)


def versions(names: Iterable[str]) -> str:
    """``name version`` for each installed distribution, ``name missing`` for the others."""
    found = []
    for name in names:
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} missing")
    return ", ".join(found)


def machine() -> str:
    """CPU model and cores, memory, operating system and Python."""
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        total_kib = int(meminfo.read_text().split("MemTotal:")[1].split()[0])
        memory = f", {total_kib / 1024**2:.1f} GiB RAM"
    return (
        f"{model}, {os.cpu_count()} cores{memory}; {platform.system()} {platform.release()}, "
        f"{platform.machine()}; Python {platform.python_version()}"
    )


def run_id() -> str:
    """The run's name: UTC start time and the commit of the code measured (``+changes`` when
    the work tree differs from it)."""
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return f"{started}-nogit"
    return f"{started}-{commit}{'+changes' if dirty else ''}"


class RdflibStore(Store):
    """rdflib's in-memory Graph behind the Store seam, for the baselines: SPARQL by rdflib's
    engine, the lookups the gate and the export make by ``Graph.triples`` (its indexes)."""

    descriptor = "rdflib:memory"

    def __init__(self, graph: Graph | None = None) -> None:
        self.graph = graph if graph is not None else Graph()
        #: the source graphs (decision 0021), by name: looked up, not queried (SPARQL here
        #: sees the view, which is all the baselines ask of it)
        self.named: dict[ox.NamedNode, set[ox.Quad]] = {}

    def query(self, sparql: str, bindings: Mapping[str, Node] | None = None) -> QueryResult:
        initial = {Variable(name): term for name, term in (bindings or {}).items()}
        try:
            result = self.graph.query(sparql, initBindings=initial)
        except ParseException as error:
            raise QuerySyntaxError(_syntax_error(sparql, error)) from None
        if result.type == "ASK":
            return QueryResult.from_boolean(bool(result.askAnswer))
        if result.type == "SELECT":
            names = list(result.vars or [])
            rows = [
                {str(name): row[name] for name in names if row[name] is not None}
                for row in result  # type: ignore[union-attr]
            ]
            return QueryResult.from_rows(names, rows)  # type: ignore[arg-type]
        built = Graph()
        for triple in result:
            built.add(triple)  # type: ignore[arg-type]
        return QueryResult.from_graph(built)

    def add(self, triples: Iterable[Triple]) -> int:
        batch = _checked(triples)  # all or none, as the contract asks
        before = len(self.graph)
        for triple in batch:
            self.graph.add(triple)
        return len(self.graph) - before

    def replace(self, removals: Iterable[Triple], additions: Iterable[Triple]) -> int:
        batch = _checked(additions)  # before anything is taken out: all or none
        for triple in removals:
            self.graph.remove(triple)
        return self.add(batch)

    def _quads(self, pattern: tuple[Node | None, Node | None, Node | None]) -> Iterator[ox.Quad]:
        for triple in self.graph.triples(pattern):
            yield ox.Quad(*(to_oxigraph(term) for term in triple))  # type: ignore[misc]

    def neighbourhood_quads(
        self,
        focus: Sequence[ox.NamedNode],
        linked: Sequence[ox.NamedNode],
        inverse: Iterable[ox.NamedNode],
    ) -> set[ox.Quad]:
        backwards = [to_rdflib(p) for p in inverse]
        found: set[ox.Quad] = set()
        typed: set[Node] = {to_rdflib(node) for node in linked}
        for node in focus:
            term = to_rdflib(node)
            for quad in self._quads((term, None, None)):
                found.add(quad)
                typed.add(to_rdflib(quad.object))
            for predicate in backwards:
                for quad in self._quads((None, predicate, term)):
                    found.add(quad)
                    typed.add(to_rdflib(quad.subject))
        rdf_type = to_rdflib(RDF_TYPE)
        for node in typed:
            found.update(self._quads((node, rdf_type, None)))
        return found

    def links(
        self, outgoing: Sequence[ox.NamedNode | ox.BlankNode], incoming: Sequence[ox.NamedNode]
    ) -> set[ox.Quad]:
        found: set[ox.Quad] = set()
        for node in outgoing:
            found.update(self._quads((to_rdflib(node), None, None)))
        for node in incoming:
            found.update(self._quads((None, None, to_rdflib(node))))
        return found

    def about(
        self, nodes: Sequence[ox.NamedNode | ox.BlankNode], predicates: Sequence[ox.NamedNode]
    ) -> set[ox.Quad]:
        found: set[ox.Quad] = set()
        for node in nodes:
            for predicate in predicates:
                found.update(self._quads((to_rdflib(node), to_rdflib(predicate), None)))
        return found

    def write_quads(self, removals: Sequence[ox.Quad], additions: Sequence[ox.Quad]) -> None:
        def in_view(quad: ox.Quad) -> bool:
            return isinstance(quad.graph_name, ox.DefaultGraph)

        self.replace(
            [from_quad(q) for q in removals if in_view(q)],
            [from_quad(q) for q in additions if in_view(q)],
        )
        for quad in removals:
            if not in_view(quad):
                self.named.get(quad.graph_name, set()).discard(quad)  # type: ignore[arg-type]
        for quad in additions:
            if not in_view(quad):
                self.named.setdefault(quad.graph_name, set()).add(quad)  # type: ignore[arg-type]

    def values(
        self, pairs: Sequence[tuple[ox.NamedNode | ox.BlankNode, ox.NamedNode]]
    ) -> list[ox.Quad]:
        wanted = set(pairs)
        found = [
            quad
            for subject, predicate in wanted
            for quad in self._quads((to_rdflib(subject), to_rdflib(predicate), None))
        ]
        for quads in self.named.values():
            found += [q for q in quads if (q.subject, q.predicate) in wanted]
        return found

    def graph_contents(self, graphs: Sequence[ox.NamedNode]) -> list[ox.Quad]:
        return [quad for graph in graphs for quad in self.named.get(graph, ())]

    def present(self, subjects: Sequence[ox.NamedNode]) -> set[ox.NamedNode]:
        named = {q.subject for quads in self.named.values() for q in quads}
        return {
            s
            for s in subjects
            if s in named or next(self._quads((to_rdflib(s), None, None)), None) is not None
        }

    def named_quads(self) -> Iterator[ox.Quad]:
        for quads in self.named.values():
            yield from quads

    def describes_graphs(self) -> bool:
        catalog = self.named.get(ox.NamedNode(CATALOG), set())
        return any(q.predicate == RDF_TYPE and q.object == SOURCE_GRAPH for q in catalog)

    def contains(self, triple: Triple) -> bool:
        return triple in self.graph

    def __len__(self) -> int:
        return len(self.graph)

    def clear(self) -> None:
        self.graph.remove((None, None, None))
        self.named.clear()

    def to_graph(self) -> Graph:
        return self.graph


def _checked(triples: Iterable[Triple]) -> list[Triple]:
    """The triples, once each term is known to be an RDF term (TypeError otherwise)."""
    batch = list(triples)
    for triple in batch:
        for term in triple:
            if not isinstance(term, Node):
                raise TypeError(f"cannot store an RDF term of type {type(term).__name__}")
    return batch


def _syntax_error(sparql: str, error: ParseException) -> str:
    """The message the embedded store gives for the query (line and column by the SPARQL 1.1
    grammar), else where rdflib's parser stopped."""
    try:
        ox.Store().query(sparql)
    except SyntaxError as oxigraph:
        return describe_syntax_error(str(oxigraph))
    return describe_syntax_error(f"error at {error.lineno}:{error.col}: {error.msg}")


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of ``pid`` and every process under it, with their reaped children."""
    ticks = os.sysconf("SC_CLK_TCK")
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        total += sum(int(value) for value in fields[11:15]) / ticks  # utime stime cutime cstime
        pending.extend(int(child) for child in children)
    return total
