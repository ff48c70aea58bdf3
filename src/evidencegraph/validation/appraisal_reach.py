"""What the appraisal rules (issue 19) read beyond the nodes being judged.

The SHACL-SPARQL constraints on a GRADE certainty assessment read its finding (the link into
it, ``eg:certainty``), its domain judgements and the design of the finding's study; those on a
RoB 2 assessment read its judgements. A judge that copies out only the focus nodes' own
triples, and the types of what they link to, would see a partial appraisal: an assessment
without its finding passes unchecked, a sum without the study design starts from the wrong
level. :func:`reach` follows those links, both ways, from the nodes already copied, and
returns the triples of every node it reaches, so the gate (a batch) and ``validate`` (a chunk
of a store) judge an appraisal whole. Data without appraisals costs a scan and no lookup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import pyoxigraph as ox

from evidencegraph.ontology.namespace import EG
from evidencegraph.rdf.terms import RDF_TYPE

#: Links between a finding or study, its assessment and the assessment's judgements, followed
#: both ways.
LINKS: tuple[ox.NamedNode, ...] = tuple(
    ox.NamedNode(str(EG[name])) for name in ("certainty", "riskOfBias", "domainJudgement")
)
_CERTAINTY = ox.NamedNode(str(EG.certainty))
#: Followed forwards from a finding that has a certainty: the study whose design it starts from.
_OF_STUDY = ox.NamedNode(str(EG.ofStudy))
#: Nodes whose incoming appraisal links are fetched: an assessment's finding or study, a
#: judgement's assessment.
_APPRAISAL_TYPES = frozenset(
    ox.NamedNode(str(EG[name]))
    for name in ("CertaintyAssessment", "RiskOfBiasAssessment", "DomainJudgement")
)
#: The predicates the rounds follow.
_FOLLOWED = frozenset((*LINKS, _OF_STUDY))
#: judgement -> assessment -> finding -> study: three steps reach everything a rule reads
ROUNDS = 3

#: Fetches every triple of the nodes, the links into them along the predicates, and the types
#: of the nodes those triples name (a store's ``neighbourhood_quads`` with no linked nodes).
Fetch = Callable[[list[ox.NamedNode], Sequence[ox.NamedNode]], set[ox.Quad]]


def reach(fetch: Fetch, quads: Iterable[ox.Quad], described: Iterable[object]) -> set[ox.Quad]:
    """The triples of the appraisal nodes the ``quads`` lead to, beyond the ``described`` nodes
    (whose own triples ``quads`` hold already); an empty set when they hold no appraisal."""
    pool = _read(quads)
    done: set[object] = set(described)
    probed: set[object] = set()
    found: set[ox.Quad] = set()
    for _ in range(ROUNDS):
        rated = {q.subject for q in pool if q.predicate == _CERTAINTY}
        wanted: set[ox.NamedNode] = set()
        for quad in pool:
            if quad.predicate in LINKS:
                for node in (quad.subject, quad.object):
                    if isinstance(node, ox.NamedNode) and node not in done:
                        wanted.add(node)
            elif (
                quad.predicate == _OF_STUDY
                and quad.subject in rated
                and isinstance(quad.object, ox.NamedNode)
                and quad.object not in done
            ):
                wanted.add(quad.object)
        backwards = {
            q.subject
            for q in pool
            if q.predicate == RDF_TYPE and q.object in _APPRAISAL_TYPES and q.subject not in probed
        }
        nodes = sorted(
            {n for n in wanted | backwards if isinstance(n, ox.NamedNode)}, key=lambda n: n.value
        )
        if not nodes:
            break
        fetched = fetch(nodes, LINKS)
        done.update(nodes)
        probed.update(nodes)
        found |= fetched
        pool |= _read(fetched)
    return found


def _read(quads: Iterable[ox.Quad]) -> set[ox.Quad]:
    """The quads the rounds of :func:`reach` look at: the appraisal links, a finding's study,
    and the types that make a node an assessment or a judgement. One pass over a batch, so the
    rounds scan a handful of quads, not the whole batch each time."""
    kept: set[ox.Quad] = set()
    for quad in quads:
        predicate = quad.predicate
        if predicate in _FOLLOWED or (predicate == RDF_TYPE and quad.object in _APPRAISAL_TYPES):
            kept.add(quad)
    return kept


# ---- imp: for a caller that holds a batch as (subject, predicate, object) tuples ----
#: What :func:`reach` reads of a batch: triples along these predicates, and types that are
#: one of ``APPRAISAL_TYPES``. A caller that has tuples passes only those as quads.
FOLLOWED = _FOLLOWED
APPRAISAL_TYPES = _APPRAISAL_TYPES
