"""A synthetic evidence graph shaped like the registry, that conforms to the shapes.

N studies, each a randomised trial with three arms, one to three interventions drawn from a
vocabulary of 2,000 drugs and psychotherapies (ketamine and several psychotherapies among
them), one or two conditions out of 1,000, two or three outcomes each with a finding, and the
journal article that reports it; every tenth study has a claim about it in a web article.
About 60 triples per study. (Issue 6 sketched 2 to 4 outcomes and about 50 triples a study;
the earlier benchmark sections were measured on these bytes, and a fourth outcome would add 9
triples a study, not take any away, so the generator stays as it was.)

One study in a hundred has an arm that gets ketamine with a psychotherapy, so the flagship
question has answers at every size; ``--flagship-every K`` makes it one in K (``K=1000`` is
closer to the registry, where under 0.2 % of studies involve ketamine at all). Seeded: the same
N, seed and K give the same bytes.

Written as N-Triples, the fastest thing to load (``Store.bulk_load``). The graph uses the
model's classes and vocabulary, so load it beside the model (``evidencegraph build`` first):
the flagship question follows the vocabulary's hierarchy of psychotherapies.

Run:  python bench/generate.py 100000 /tmp/graph-100k.nt [--seed 7] [--flagship-every 100]
"""

from __future__ import annotations

import argparse
import gzip
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

ID = "https://w3id.org/evidencegraph/id/"
EG = "https://w3id.org/evidencegraph/ontology#"
EGV = "https://w3id.org/evidencegraph/vocab/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
TITLE = "http://purl.org/dc/terms/title"
DERIVED_FROM = "http://www.w3.org/ns/prov#wasDerivedFrom"
XSD = "http://www.w3.org/2001/XMLSchema#"

DRUGS = 1_980
CONDITIONS = 1_000
#: the psychotherapies of the model's vocabulary (egv:), with the names trials give them
THERAPIES = {
    "CognitiveBehaviouralTherapy": "cognitive behavioural therapy",
    "MotivationalEnhancementTherapy": "motivational enhancement therapy",
    "MindfulnessBasedRelapsePrevention": "mindfulness-based relapse prevention",
    "RelapsePrevention": "relapse prevention therapy",
    "Psychotherapy": "psychotherapy",
}
PHASES = ["Phase1", "Phase2", "Phase3", "Phase4", "Phase2Phase3"]
ROLES = ["ExperimentalArm", "ActiveComparatorArm", "PlaceboComparatorArm"]
OUTCOMES = [
    "percentage of days abstinent",
    "relapse to heavy drinking",
    "heavy drinking days",
    "craving score",
    "depression score",
    "quality of life",
    "retention in treatment",
    "adverse events",
]


def iri(path: str) -> str:
    return f"<{ID}{path}>"


def term(namespace: str, local: str) -> str:
    return f"<{namespace}{local}>"


def text(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def typed(value: object, datatype: str) -> str:
    return f'"{value}"^^<{XSD}{datatype}>'


def drug(number: int) -> str:
    return iri("drug/ketamine" if number == 0 else f"drug/synthetic-{number:04d}")


def condition(number: int) -> str:
    return iri(
        "condition/alcohol-use-disorder" if number == 0 else f"condition/synthetic-{number:04d}"
    )


def vocabulary() -> Iterator[str]:
    """The drugs and conditions every study draws from."""
    for number in range(DRUGS):
        name = "ketamine" if number == 0 else f"synthetic drug {number:04d}"
        yield f"{drug(number)} <{RDF_TYPE}> {term(EG, 'Drug')} ."
        yield f"{drug(number)} <{RDFS_LABEL}> {text(name)} ."
        # the name's key, as every write of source records adds it (decision 0028)
        yield f"{drug(number)} {term(EG, 'nameKey')} {text(name.lower())} ."
    for number in range(CONDITIONS):
        name = "alcohol use disorder" if number == 0 else f"synthetic condition {number:04d}"
        yield f"{condition(number)} <{RDF_TYPE}> {term(EG, 'Condition')} ."
        yield f"{condition(number)} <{RDFS_LABEL}> {text(name)} ."
        yield f"{condition(number)} {term(EG, 'nameKey')} {text(name.lower())} ."


#: One study in this many gets ketamine with a psychotherapy in its first arm.
FLAGSHIP_EVERY = 100


def study(number: int, rng: random.Random, flagship_every: int = FLAGSHIP_EVERY) -> Iterator[str]:
    """One study's triples."""
    nct = f"NCT9{number:07d}"
    node = iri(f"study/{nct}")
    source = iri(f"source/synthetic/{nct}")
    flagship = number % flagship_every == 0
    yield f"{node} <{RDF_TYPE}> {term(EG, 'Trial')} ."
    yield f"{node} <{TITLE}> {text(f'Synthetic trial {nct}')} ."
    yield f"{node} {term(EG, 'nctId')} {text(nct)} ."
    yield f"{node} {term(EG, 'phase')} {term(EGV, rng.choice(PHASES))} ."
    yield f"{node} {term(EG, 'overallStatus')} {term(EGV, 'Completed')} ."
    yield f"{node} {term(EG, 'enrolment')} {typed(rng.randint(20, 2000), 'integer')} ."
    yield f"{node} <{DERIVED_FROM}> {source} ."
    conditions = {0} if flagship else set()
    while len(conditions) < rng.randint(1, 2):
        conditions.add(rng.randrange(CONDITIONS))
    for studied in sorted(conditions):
        yield f"{node} {term(EG, 'studiesCondition')} {condition(studied)} ."
    interventions = list(_interventions(nct, rng, flagship))
    for _, described in interventions:
        yield from described
    arms = []
    for index, role in enumerate(ROLES):
        arm = iri(f"study/{nct}/arm/{index + 1}")
        arms.append(arm)
        yield f"{node} {term(EG, 'hasArm')} {arm} ."
        yield f"{arm} <{RDF_TYPE}> {term(EG, 'Arm')} ."
        yield f"{arm} <{RDFS_LABEL}> {text(f'arm {index + 1}')} ."
        yield f"{arm} {term(EG, 'armRole')} {term(EGV, role)} ."
        received = (
            interventions
            if (flagship and index == 0)
            else [interventions[index % len(interventions)]]
        )
        for path, _ in received:
            yield f"{arm} {term(EG, 'receives')} {path} ."
    for index, name in enumerate(rng.sample(OUTCOMES, rng.randint(2, 3))):
        outcome = iri(f"study/{nct}/outcome/{index + 1}")
        finding = iri(f"finding/{nct}/{index + 1}")
        yield f"{node} {term(EG, 'hasOutcome')} {outcome} ."
        yield f"{outcome} <{RDF_TYPE}> {term(EG, 'Outcome')} ."
        yield f"{outcome} <{RDFS_LABEL}> {text(name)} ."
        yield f"{finding} <{RDF_TYPE}> {term(EG, 'Finding')} ."
        yield f"{finding} {term(EG, 'statement')} {text(f'{name}: arm 1 against arm 3')} ."
        yield f"{finding} {term(EG, 'ofStudy')} {node} ."
        yield f"{finding} {term(EG, 'outcome')} {outcome} ."
        yield f"{finding} {term(EG, 'effectMeasure')} {term(EGV, 'MeanDifference')} ."
        yield f"{finding} <{DERIVED_FROM}> {source} ."
    yield f"{source} <{RDF_TYPE}> {term(EG, 'JournalArticle')} ."
    yield f"{source} <{RDFS_LABEL}> {text(f'Results of {nct}')} ."
    yield f"{source} {term(EG, 'journal')} {text('Journal of Synthetic Trials')} ."
    yield f"{source} {term(EG, 'peerReviewed')} {typed('true', 'boolean')} ."
    yield f"{source} {term(EG, 'sourceType')} {term(EGV, 'JournalArticleSource')} ."
    yield f"{source} {term(EG, 'reports')} {node} ."
    if number % 10 == 0:
        yield from _claim(nct, node)


def _interventions(nct: str, rng: random.Random, flagship: bool) -> Iterator[tuple[str, list[str]]]:
    count = 2 if flagship else rng.randint(1, 3)
    for index in range(count):
        path = iri(f"study/{nct}/intervention/{index + 1}")
        therapy = (index == 1) if flagship else rng.random() < 0.2
        if therapy:
            concept = rng.choice(sorted(THERAPIES))
            yield (
                path,
                [
                    f"{path} <{RDF_TYPE}> {term(EG, 'Psychotherapy')} .",
                    f"{path} <{RDFS_LABEL}> {text(THERAPIES[concept])} .",
                    f"{path} {term(EG, 'interventionType')} {term(EGV, concept)} .",
                ],
            )
        else:
            number = 0 if flagship else rng.randrange(DRUGS)
            yield (
                path,
                [
                    f"{path} <{RDF_TYPE}> {term(EG, 'DrugIntervention')} .",
                    f"{path} <{RDFS_LABEL}> {text(f'drug intervention {index + 1}')} .",
                    f"{path} {term(EG, 'interventionType')} {term(EGV, 'DrugTreatment')} .",
                    f"{path} {term(EG, 'drug')} {drug(number)} .",
                ],
            )


def _claim(nct: str, study_node: str) -> Iterator[str]:
    claim = iri(f"claim/synthetic/{nct}")
    article = iri(f"source/web/synthetic-{nct}")
    yield f"{claim} <{RDF_TYPE}> {term(EG, 'Claim')} ."
    yield f"{claim} {term(EG, 'assertedBy')} {article} ."
    yield f"{claim} {term(EG, 'quote')} {text(f'{nct} showed a large benefit.')} ."
    yield f"{claim} {term(EG, 'claimKind')} {term(EGV, 'StudyClaim')} ."
    yield f"{claim} {term(EG, 'verificationStatus')} {term(EGV, 'Unverified')} ."
    yield f"{claim} {term(EG, 'about')} {study_node} ."
    yield f"{article} <{RDF_TYPE}> {term(EG, 'WebArticle')} ."
    yield f"{article} <{RDFS_LABEL}> {text(f'A web article about {nct}')} ."
    yield f"{article} {term(EG, 'peerReviewed')} {typed('false', 'boolean')} ."
    yield f"{article} {term(EG, 'sourceType')} {term(EGV, 'WebArticleSource')} ."


def lines(studies: int, seed: int, flagship_every: int = FLAGSHIP_EVERY) -> Iterator[str]:
    """Every triple of the graph, as N-Triples lines without their newline."""
    rng = random.Random(seed)
    yield from vocabulary()
    for number in range(studies):
        yield from study(number, rng, flagship_every)


def write(studies: int, seed: int, output: IO[str], flagship_every: int = FLAGSHIP_EVERY) -> int:
    count = 0
    for line in lines(studies, seed, flagship_every):
        output.write(line + "\n")
        count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("studies", type=int)
    parser.add_argument("output", type=Path, help="an .nt file (.nt.gz to compress), or -")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--flagship-every",
        type=int,
        default=FLAGSHIP_EVERY,
        help="one study in this many gets ketamine with a psychotherapy (default 100)",
    )
    args = parser.parse_args()
    every = args.flagship_every
    if str(args.output) == "-":
        count = write(args.studies, args.seed, sys.stdout, every)
    elif args.output.suffix == ".gz":
        with gzip.open(args.output, "wt", encoding="utf-8", compresslevel=1) as handle:
            count = write(args.studies, args.seed, handle, every)
    else:
        with args.output.open("w", encoding="utf-8") as handle:
            count = write(args.studies, args.seed, handle, every)
    print(f"wrote {count:,} triples for {args.studies:,} studies to {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
