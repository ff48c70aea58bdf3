"""`publish nanopub`: nanopublications in TriG, read by two independent parsers (pyoxigraph,
rdflib), their trusty URIs recomputed and signatures checked by the nanopub library's own
verifiers, and a tampered copy refused."""

from __future__ import annotations

import base64
import hashlib
import warnings
from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from rdflib import ConjunctiveGraph, Dataset, Literal, Namespace, URIRef

from evidencegraph.cli.main import cli
from evidencegraph.graph.evidence_graph import EvidenceGraph
from publish_support import EG, checked_claims, curated

pytest.importorskip("nanopub")
from nanopub.sign_utils import verify_trusty
from nanopub.utils import MalformedNanopubError, extract_np_metadata

NP = Namespace("http://www.nanopub.org/nschema#")
NPX = Namespace("http://purl.org/nanopub/x/")
PROV = Namespace("http://www.w3.org/ns/prov#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
CREATED = "2026-12-07T10:00:00"
DATA = Path(__file__).parent / "data"


def _publish(built: EvidenceGraph, out: Path, *extra: str) -> Path:
    result = CliRunner().invoke(
        cli,
        [
            "--store",
            built.store.descriptor,
            "publish",
            "nanopub",
            str(out),
            "--created",
            CREATED,
            *extra,
        ],
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def trig(built: EvidenceGraph, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _publish(built, tmp_path_factory.mktemp("nanopub") / "nanopubs.trig")


def _nanopub_graph() -> ConjunctiveGraph:
    graph = ConjunctiveGraph()
    graph.bind("npx", "http://purl.org/nanopub/x/")  # the library's queries use the prefix
    return graph


def split(path: Path) -> dict[str, ConjunctiveGraph]:
    """Each nanopublication of a TriG file (read by rdflib) as a graph of its own quads."""
    dataset = Dataset()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        dataset.parse(path, format="trig")
        heads = {
            str(np_uri): str(graph.identifier)
            for graph in dataset.graphs()
            for np_uri in graph.subjects(NP.hasAssertion, None)
        }
        parts: dict[str, ConjunctiveGraph] = defaultdict(_nanopub_graph)
        for s, p, o, g in dataset.quads((None, None, None, None)):
            name = str(g.identifier if hasattr(g, "identifier") else g)
            owner = next(uri for uri in heads if name.startswith(uri))
            parts[owner].get_context(URIRef(name)).add((s, p, o))
    return dict(parts)


def test_both_parsers_read_the_same_quads(trig: Path) -> None:
    oxigraph = {str(q) for q in ox.parse(path=str(trig), format=ox.RdfFormat.TRIG)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        dataset = Dataset()
        dataset.parse(trig, format="trig")
        rdflib_count = sum(1 for _ in dataset.quads((None, None, None, None)))
    assert len(oxigraph) == rdflib_count > 0


def test_one_nanopub_of_four_graphs_per_checked_claim(trig: Path) -> None:
    nanopubs = split(trig)
    assert len(nanopubs) == len(checked_claims())
    introduced = set()
    for uri, graph in nanopubs.items():
        meta = extract_np_metadata(graph)
        assert str(meta.np_uri) == uri
        names = {str(c.identifier) for c in graph.contexts() if len(c)}
        assert names == {
            str(meta.head),
            str(meta.assertion),
            str(meta.provenance),
            str(meta.pubinfo),
        }
        pubinfo = graph.get_context(meta.pubinfo)
        introduced.update(
            pubinfo.objects(URIRef(uri), URIRef("http://purl.org/nanopub/x/introduces"))
        )
        assert pubinfo.value(URIRef(uri), DCTERMS.license) is not None
        assert str(pubinfo.value(URIRef(uri), DCTERMS.created)).startswith(CREATED)
    assert introduced == set(checked_claims())


def test_assertion_carries_the_verdict_and_provenance_the_check(trig: Path) -> None:
    statuses = checked_claims()
    graph = curated()
    for graph_of_np in split(trig).values():
        meta = extract_np_metadata(graph_of_np)
        assertion = graph_of_np.get_context(meta.assertion)
        claim, status = next(iter(assertion.subject_objects(EG.verificationStatus)))
        assert statuses[claim] == status
        provenance = graph_of_np.get_context(meta.provenance)
        assert graph.value(claim, EG.verifiedBy) is not None, f"{claim} has no eg:verifiedBy"
        assert provenance.value(meta.assertion, PROV.wasAttributedTo) == graph.value(
            claim, EG.verifiedBy
        )
        assert provenance.value(meta.assertion, DCTERMS.date) == graph.value(claim, EG.verifiedOn)
        evidence = set(provenance.objects(meta.assertion, PROV.wasDerivedFrom))
        cited = {
            o
            for p in (
                EG.supportedBy,
                EG.disputedBy,
                EG.inconclusiveEvidence,
                EG.closestEvidence,
                EG.candidateReferent,
            )
            for o in graph.objects(claim, p)
        }
        assert evidence == cited


def test_trusty_uris_recompute_and_a_tampered_copy_fails(trig: Path) -> None:
    nanopubs = split(trig)
    for uri, graph in nanopubs.items():
        assert uri.rsplit("/", 1)[-1].startswith("RA")
        assert verify_trusty(graph, uri, Namespace(uri + "#"))
    uri, graph = next(iter(nanopubs.items()))
    meta = extract_np_metadata(graph)
    assertion = graph.get_context(meta.assertion)
    claim, quote = next(iter(assertion.subject_objects(EG.quote)))
    assertion.remove((claim, EG.quote, quote))
    assertion.add((claim, EG.quote, Literal(str(quote) + " (edited)")))
    with pytest.raises(MalformedNanopubError):
        verify_trusty(graph, uri, Namespace(uri + "#"))


def ra_code(quads: list[ox.Quad], code: str) -> str:
    """The RA artefact code of a nanopublication's quads, written here from the Trusty URI
    specification (Kuhn and Dumontier, "Trusty URIs", ESWC 2014; module RA), not from the
    nanopub library: ``code`` in every IRI is replaced by a space; the quads are sorted by
    graph, subject, predicate (IRIs as UTF-8), then object (IRIs before literals; literals by
    value, then datatype, a language-tagged one first, then language); each becomes four
    lines (a literal ``^DATATYPE VALUE`` or ``@lang VALUE``, backslash and newline escaped),
    repeats dropped; SHA-256, base64url without padding, after "RA"."""

    def iri(term: ox.NamedNode | ox.BlankNode | ox.DefaultGraph) -> str:
        assert isinstance(term, ox.NamedNode), f"no blank nodes here: {term}"
        return term.value.replace(code, " ")

    def obj(term: object) -> tuple[tuple[object, ...], str]:
        if isinstance(term, ox.Literal):
            text = term.value.replace("\\", "\\\\").replace("\n", "\\n")
            if term.language:
                key = (1, term.value.encode(), (0, ""), term.language.lower())
                return key, f"@{term.language.lower()} {text}"
            datatype = term.datatype.value
            return (1, term.value.encode(), (1, datatype), ""), f"^{datatype} {text}"
        assert isinstance(term, ox.NamedNode)
        return (0, iri(term).encode()), iri(term)

    rows = []
    for quad in quads:
        key, written = obj(quad.object)
        graph, subject, predicate = iri(quad.graph_name), iri(quad.subject), iri(quad.predicate)
        rows.append(
            (
                (graph.encode(), subject.encode(), predicate.encode(), key),
                f"{graph}\n{subject}\n{predicate}\n{written}\n",
            )
        )
    text = "".join(dict.fromkeys(line for _, line in sorted(rows, key=lambda r: r[0])))
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "RA" + base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


@pytest.mark.parametrize(
    "name",
    [
        "nanopub1.RAC__rNHIdWuEBi0QWf7FaCcNzfbUyXfz98ds_b8Ho3D8.trig",
        "nanopub4.RApGXO0xBvQ3ZyptvYYo9JJKIE0NhYpVWcWUi8arl_Cjc.trig",
    ],
)
def test_the_ra_check_agrees_with_the_trusty_uri_test_suite(name: str) -> None:
    """The check above reproduces the reference implementation's codes (tests/data/README.md)."""
    code = name.split(".")[1]
    quads = list(ox.parse(path=str(DATA / "trustyuri" / name), format=ox.RdfFormat.TRIG))
    assert ra_code(quads, code) == code
    quads[0] = ox.Quad(quads[0].subject, quads[0].predicate, ox.Literal("x"), quads[0].graph_name)
    assert ra_code(quads, code) != code


def test_our_trusty_uris_follow_the_specification(trig: Path) -> None:
    """Every nanopublication's code, recomputed by the independent check."""
    quads = list(ox.parse(path=str(trig), format=ox.RdfFormat.TRIG))
    by_uri: dict[str, list[ox.Quad]] = defaultdict(list)
    for quad in quads:
        name = quad.graph_name.value  # type: ignore[union-attr]
        by_uri[name.split("#", 1)[0]].append(quad)
    assert len(by_uri) == len(checked_claims())
    for uri, own in by_uri.items():
        code = uri.rsplit("/", 1)[-1]
        assert ra_code(own, code) == code, uri


def test_the_same_graph_and_time_give_the_same_uris(
    built: EvidenceGraph, trig: Path, tmp_path: Path
) -> None:
    again = _publish(built, tmp_path / "again.trig")
    assert again.read_bytes() == trig.read_bytes()


def check_signature(graph: ConjunctiveGraph, uri: str) -> None:
    """Verify a nanopublication's RSA signature as the nanopub signing scheme defines it: the
    quads without the npx:hasSignature statement, normalised as for the trusty URI (with the
    artefact code blanked), SHA-256, PKCS#1 v1.5. Raises ValueError when it does not hold.

    Done here rather than by nanopub 2.0.1's verify_signature, which calls pycryptodome's
    legacy PKCS1_v1_5 verifier and ignores the False it returns for a bad signature (so it
    accepts any), and normalises the signature statement too."""
    from Crypto.Hash import SHA256
    from Crypto.PublicKey import RSA
    from Crypto.Signature import pkcs1_15
    from nanopub.trustyuri.rdf import RdfHasher, RdfUtils

    meta = extract_np_metadata(graph)
    assert meta.signature and meta.public_key and str(meta.algorithm) == "RSA"
    quads = [q for q in RdfUtils.get_quads(graph) if q[2] != NPX.hasSignature]
    normalised = RdfHasher.normalize_quads(quads, baseuri=uri + "#", hashstr=" ")
    key = RSA.import_key(base64.b64decode(str(meta.public_key)))
    pkcs1_15.new(key).verify(SHA256.new(normalised.encode()), base64.b64decode(str(meta.signature)))


def test_signed_with_a_local_key(built: EvidenceGraph, tmp_path: Path) -> None:
    from Crypto.PublicKey import RSA

    key = tmp_path / "key.pem"
    key.write_bytes(RSA.generate(2048).export_key())
    signed = split(_publish(built, tmp_path / "signed.trig", "--sign-key", str(key)))
    assert len(signed) == len(checked_claims())
    for uri, graph in signed.items():
        check_signature(graph, uri)
        assert verify_trusty(graph, uri, Namespace(uri + "#"))
    uri, graph = next(iter(signed.items()))
    meta = extract_np_metadata(graph)
    assertion = graph.get_context(meta.assertion)
    claim, status = next(iter(assertion.subject_objects(EG.verificationStatus)))
    assertion.remove((claim, EG.verificationStatus, status))
    assertion.add((claim, EG.verificationStatus, URIRef(str(status) + "X")))
    with pytest.raises(ValueError):
        check_signature(graph, uri)
    with pytest.raises(MalformedNanopubError):
        verify_trusty(graph, uri, Namespace(uri + "#"))
