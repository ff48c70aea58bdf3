"""pyshacl with each SPARQL rule parsed once, against pyshacl as it comes (rdflib's Graph).

pyshacl runs a SHACL-SPARQL constraint (the appraisal rules of decision 0022) once for every
focus node, and rdflib parses the rule's text anew each time. ``validation.shacl.PreparingGraph``
prepares each text once. Both ways validate the same synthetic graph (``bench/generate.py``,
N studies, with the model, as ``validate_graph`` builds it) in this process, by turns, each
prepared run starting with nothing prepared (as a fresh ``validate`` does); CPU seconds of
this process, median of the rounds. Violations are planted so that both ways have something
to find: drugs whose name key is not lower case (a SPARQL rule) and arms without their label
(SHACL Core). The results of both ways must be the same, and hold the planted ones.

Run:  python bench/pyshacl_prepared.py --studies 120 --rounds 3 [--write docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path

from rdflib import Graph

from common import machine, print_and_write, run_id, versions  # type: ignore[import-not-found]
from evidencegraph.rdf.model import model_graph
from evidencegraph.validation import shacl

BENCH = Path(__file__).parent
ID = "https://w3id.org/evidencegraph/id/"
EG = "https://w3id.org/evidencegraph/ontology#"
LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
#: every this many studies, an arm loses its label; and this many drugs with a key in capitals
PLANT_EVERY, PLANTED_DRUGS = 40, 3
BEGIN, END = "<!-- pyshacl-prepared:begin -->", "<!-- pyshacl-prepared:end -->"


def _planted(text: str) -> tuple[str, int]:
    """The generated graph with violations planted, and how many were planted."""
    kept, planted = [], 0
    for line in text.splitlines():
        if line.startswith(f"<{ID}study/NCT9") and f"/arm/2> {LABEL}" in line:
            number = int(line[len(f"<{ID}study/NCT9") :][:7])
            if number % PLANT_EVERY == 0:
                planted += 1
                continue
        kept.append(line)
    for number in range(PLANTED_DRUGS):
        drug = f"<{ID}drug/planted-{number}>"
        kept.append(f"{drug} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{EG}Drug> .")
        kept.append(f'{drug} {LABEL} "Planted {number}" .')
        kept.append(f'{drug} <{EG}nameKey> "Planted {number}" .')
        planted += 1
    return "\n".join(kept) + "\n", planted


def _graph(kind: type[Graph], text: str) -> Graph:
    graph = kind()
    graph.parse(data=text, format="nt")
    for triple in model_graph():
        graph.add(triple)
    return graph


def _validate(graph: Graph) -> tuple[float, list[tuple[str, str, str]]]:
    started = time.process_time()
    report_graph = shacl.pyshacl_report_graph(graph)
    seconds = time.process_time() - started
    report = shacl._report_from_graph(report_graph, None)
    return seconds, sorted((r.focus_node, r.path, r.constraint) for r in report.results)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--studies", type=int, default=120)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--write", type=Path, help="replace this file's section")
    args = parser.parse_args()
    spec = importlib.util.spec_from_file_location("generate", BENCH / "generate.py")
    assert spec is not None and spec.loader is not None
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    text, planted = _planted("\n".join(generate.lines(args.studies, 7)) + "\n")
    plain_times, prepared_times = [], []
    same = True
    for round_number in range(args.rounds):
        plain_seconds, plain_results = _validate(_graph(Graph, text))
        shacl._prepared.cache_clear()
        prepared_seconds, prepared_results = _validate(_graph(shacl.PreparingGraph, text))
        same = same and plain_results == prepared_results and len(plain_results) >= planted
        plain_times.append(plain_seconds)
        prepared_times.append(prepared_seconds)
        print(
            f"round {round_number + 1}: rdflib's Graph {plain_seconds:.1f} s, "
            f"PreparingGraph {prepared_seconds:.1f} s, {len(plain_results)} results",
            file=sys.stderr,
        )
    plain, prepared = statistics.median(plain_times), statistics.median(prepared_times)
    triples = len(_graph(Graph, text))
    section = "\n".join(
        [
            BEGIN,
            "## pyshacl: each SPARQL rule parsed once (validation.shacl.PreparingGraph)",
            "",
            f"Run `{run_id()}`. Command: `python bench/pyshacl_prepared.py --studies "
            f"{args.studies} --rounds {args.rounds} --write docs/benchmarks.md`.",
            "",
            f"Machine: {machine()}. Packages: {versions(['pyshacl', 'rdflib'])}.",
            "",
            f"{args.studies} synthetic studies (bench/generate.py, seed 7) with the model: "
            f"{triples:,} triples, with {planted} violations planted ({PLANTED_DRUGS} drugs "
            "whose name key is not lower case, a SPARQL rule; arms without their label), "
            "validated by pyshacl against the packaged shapes in this process, the two ways "
            "by turns, each prepared run starting with nothing prepared. CPU seconds, median "
            f"of the rounds (every round in brackets); {len(plain_results)} results each way.",
            "",
            "| graph pyshacl runs on | CPU s | ratio | same results |",
            "|---|---:|---:|---|",
            f"| rdflib's Graph (each rule's text parsed for every focus node) | {plain:.1f} "
            f"({', '.join(f'{t:.1f}' for t in plain_times)}) | 1.00× | |",
            f"| PreparingGraph (each text parsed once) | {prepared:.1f} "
            f"({', '.join(f'{t:.1f}' for t in prepared_times)}) | {plain / prepared:.1f}× "
            f"faster | {'yes' if same else 'NO'} |",
            END,
        ]
    )
    print_and_write(section, args.write, BEGIN, END)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
