"""`load` of hostile and malformed files (issue 13, points 10, 11 and 13): each is refused
with the file and line, exit 3, and the store is left exactly as it was."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner, Result

from evidencegraph.cli.main import cli

EG = "https://w3id.org/evidencegraph/ontology#"
XSD = "http://www.w3.org/2001/XMLSchema#"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("built") / "kg.db"
    result = CliRunner().invoke(cli, ["--store", f"oxigraph:{path}", "build"])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def store(built: Path, tmp_path: Path) -> Path:
    """A copy of the built store, for one test to write to."""
    copy = tmp_path / "kg.db"
    shutil.copytree(built, copy)
    return copy


def load(store: Path, *files: Path) -> Result:
    return CliRunner().invoke(cli, ["--store", f"oxigraph:{store}", "load", *map(str, files)])


def contents(store: Path) -> list[str]:
    """Every triple of the store, as sorted N-Triples lines."""
    data = ox.Store.read_only(str(store)).dump(format=ox.RdfFormat.N_QUADS)
    assert data is not None
    return sorted(data.decode("utf-8").splitlines())


# --- point 10: entity expansion ---------------------------------------------------------


def laughs(levels: int) -> str:
    """The "billion laughs" document: each entity ten of the one before."""
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, levels + 1)
    ]
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n'
        + "\n".join(entities)
        + "\n]>\n"
        + '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        + ' xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">\n'
        + '<rdf:Description rdf:about="https://example.org/laughing">\n'
        + f"<rdfs:label>&lol{levels};</rdfs:label>\n</rdf:Description>\n</rdf:RDF>\n"
    )


def test_rdfxml_entity_expansion_is_refused(store: Path, tmp_path: Path) -> None:
    before = contents(store)
    attack = tmp_path / "laughs.rdf"
    attack.write_text(laughs(7))  # 600 bytes that expand to a 30 MB label
    assert attack.stat().st_size < 1_000
    result = load(store, attack)
    assert result.exit_code == 3, result.output
    assert f"{attack}:" in result.output and "entity" in result.output
    assert "<!ENTITY" in result.output and "nothing was written" in result.output
    assert "Traceback" not in result.output
    assert contents(store) == before


def test_rdfxml_with_a_modest_entity_still_loads(store: Path, tmp_path: Path) -> None:
    """The guard refuses expansion, not entities: one short entity is ordinary XML."""
    plain = tmp_path / "entity.rdf"
    plain.write_text(laughs(1))
    result = load(store, plain)
    assert result.exit_code == 0, result.output
    assert '"' + "lol" * 10 + '"' in "".join(contents(store))


# --- point 11: nesting the parser does not survive ----------------------------------------


def test_deep_jsonld_is_refused_without_crashing(store: Path, tmp_path: Path) -> None:
    """5,000 nested objects killed the process with SIGSEGV inside pyoxigraph's parser:
    run as a real process, so that a crash shows as the signal it is."""
    before = contents(store)
    deep = tmp_path / "deep.jsonld"
    deep.write_text(
        '{"@id": "https://example.org/a",\n'
        + '"https://example.org/p": {\n' * 5_000
        + '"@value": "x"'
        + "}" * 5_001
    )
    done = subprocess.run(
        [sys.executable, "-m", "evidencegraph", "--store", f"oxigraph:{store}", "load", str(deep)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 3, (done.returncode, done.stderr[-500:])
    # the 501st level opens on line 501
    assert f"{deep}:501: JSON nested more than 500 levels" in done.stderr
    assert "Traceback" not in done.stderr
    assert contents(store) == before


def test_deep_rdfxml_is_refused_with_its_line(store: Path, tmp_path: Path) -> None:
    """pyoxigraph's RDF/XML parser takes quadratic time in nesting (100,000 levels: 155 s)."""
    before = contents(store)
    deep = tmp_path / "deep.rdf"
    levels = 2_000
    deep.write_text(
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns:e="https://example.org/">\n<rdf:Description rdf:about="https://example.org/a">\n'
        + "<e:p><rdf:Description>\n" * levels
        + "<e:p>x</e:p>"
        + "</rdf:Description></e:p>" * levels
        + "\n</rdf:Description></rdf:RDF>\n"
    )
    result = load(store, deep)
    assert result.exit_code == 3, result.output
    # lines 1 and 2 open levels 1 and 2, line k levels 2k-3 and 2k-2: level 1,001 is on 502
    assert f"{deep}:502: XML elements nested more than 1000 levels deep" in result.output
    assert contents(store) == before


def test_json_nesting_count_skips_strings_and_reads_across_buffers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Brackets inside strings do not count, and a string or an escaped quote cut by the
    end of a read buffer is read on into the next one."""
    from evidencegraph.rdf import files as rdf_files
    from evidencegraph.rdf.files import RdfInput, check_parsable

    monkeypatch.setattr(rdf_files, "_READ_SIZE", 7)
    shallow = tmp_path / "shallow.jsonld"
    text = '{"@id": "https://example.org/a", "https://example.org/p": "' + '{[\\"' * 400 + '"}'
    shallow.write_text(text)
    check_parsable(RdfInput(shallow, ox.RdfFormat.JSON_LD))  # nothing raised
    deep = tmp_path / "deep.jsonld"
    deep.write_text('"[[\\"{{"\n' * 3 + "[\n" * 501 + "]" * 501)
    with pytest.raises(Exception, match=r"deep.jsonld:504: JSON nested more than 500"):
        check_parsable(RdfInput(deep, ox.RdfFormat.JSON_LD))


# --- point 13: ill-typed literals and NUL characters --------------------------------------


X = "<https://example.org/x>"
LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (f'{X} <urn:n> "12abc"^^<{XSD}integer> .', "'12abc' is not a valid xsd:int"),
        (f'{X} <urn:f> "maybe"^^<{XSD}boolean> .', "'maybe' is not a valid xsd:bool"),
        (f'{X} <urn:d> "2020-02-31x"^^<{XSD}date> .', "is not a valid xsd:date"),
        (f'{X} <urn:d> "2021-02-29"^^<{XSD}date> .', "'2021-02-29' is not a valid xsd:date"),
        (f'{X} {LABEL} "a\\u0000b" .', "NUL character"),
    ],
)  # fmt: skip
def test_bad_literal_on_an_untargeted_subject_is_refused_with_its_line(
    store: Path, tmp_path: Path, line: str, problem: str
) -> None:
    before = contents(store)
    data = tmp_path / "bad.nt"
    good = '<https://example.org/x> <http://www.w3.org/2000/01/rdf-schema#label> "fine" .\n'
    data.write_text(good * 2 + line + "\n" + good)
    result = load(store, data)
    assert result.exit_code == 3, result.output
    assert f"{data}:3: the literal" in result.output
    assert problem in result.output
    assert "https://example.org/x" in result.output
    assert contents(store) == before


def test_nul_in_a_jsonld_label_is_refused_with_its_line(store: Path, tmp_path: Path) -> None:
    before = contents(store)
    data = tmp_path / "bad.jsonld"
    data.write_text(
        '{\n"@id": "https://example.org/x",\n'
        '"http://www.w3.org/2000/01/rdf-schema#label": "nul\\u0000here"\n}\n'
    )
    result = load(store, data)
    assert result.exit_code == 3, result.output
    assert f"{data}:3: the literal holds a NUL character" in result.output
    assert contents(store) == before


def test_valid_typed_literals_load(store: Path, tmp_path: Path) -> None:
    data = tmp_path / "fine.ttl"
    data.write_text(
        f"@prefix xsd: <{XSD}> .\n<https://example.org/x> <https://example.org/p> "
        '"-12"^^xsd:integer, "1.5"^^xsd:decimal, "1e3"^^xsd:double, "true"^^xsd:boolean, '
        '"2020-02-29"^^xsd:date, "2020-02-29T10:00:00Z"^^xsd:dateTime, "2020"^^xsd:gYear, 42 .\n'
    )
    result = load(store, data)
    assert result.exit_code == 0, result.output
    assert "8 triples read, 8 new" in result.output


def test_a_literal_longer_than_the_parser_reads_is_an_input_error(
    store: Path, tmp_path: Path
) -> None:
    """Oxigraph reads no token past 16 MiB and says so with a MemoryError: that is the
    file's fault, named as such (it was "unexpected error: Reached the buffer maximal
    size"), and nothing is written."""
    before = contents(store)
    data = tmp_path / "long.nt"
    with data.open("w", encoding="utf-8") as out:
        out.write('<https://example.org/x> <http://www.w3.org/2000/01/rdf-schema#label> "')
        out.write("x" * (17 << 20))
        out.write('" .\n')
    result = load(store, data)
    assert result.exit_code == 3, result.output
    assert f"{data}: one term of this file" in result.output
    assert "unexpected error" not in result.output and "nothing was written" in result.output
    assert contents(store) == before


def test_a_remote_jsonld_context_is_not_fetched(store: Path, tmp_path: Path) -> None:
    before = contents(store)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.2)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/context.jsonld"
        data = tmp_path / "remote.jsonld"
        for context in (f'"{url}"', f'["{url}", {{"ex": "https://example.org/"}}]'):
            data.write_text(
                f'{{"@context": {context}, "@id": "https://example.org/x", "ex:p": "v"}}'
            )
            result = load(store, data)
            assert result.exit_code == 3, result.output
            assert "remote @context" in result.output and "never fetches" in result.output
        with pytest.raises(TimeoutError):
            listener.accept()
    assert contents(store) == before


def test_rdfxml_external_entities_are_refused_unread(store: Path, tmp_path: Path) -> None:
    """XXE: a general or parameter entity naming a file or URL is refused as such (the
    message was Oxigraph's '<!ENTITY values should be enclosed in double quotes')."""
    before = contents(store)
    secret = tmp_path / "secret.txt"
    secret.write_text("a secret line", encoding="utf-8")
    data = tmp_path / "xxe.rdf"
    for declaration, use in (
        (f'<!ENTITY x SYSTEM "{secret.as_uri()}">', "&x;"),
        ('<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;', "text"),
    ):
        data.write_text(
            f"<?xml version='1.0'?>\n<!DOCTYPE rdf:RDF [{declaration}]>\n"
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns:ex="https://example.org/">\n<rdf:Description rdf:about="https://example.org/x">'
            f"<ex:p>{use}</ex:p></rdf:Description>\n</rdf:RDF>\n"
        )
        result = load(store, data)
        assert result.exit_code == 3, result.output
        assert f"{data}:2: the XML declares an external entity" in result.output
        assert "secret line" not in result.output
    assert contents(store) == before
