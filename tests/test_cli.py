"""Every command and its error paths, through click's CliRunner (and once as a real process)."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from evidencegraph import __version__
from evidencegraph.cli.main import cli
from support import BROKEN, DATA


@pytest.fixture
def store_path(tmp_path: Path) -> str:
    return f"oxigraph:{tmp_path / 'kg.db'}"


def run(*args: str, store: str | None = None) -> Result:
    prefix = ["--store", store] if store else []
    return CliRunner().invoke(cli, [*prefix, *args], catch_exceptions=False)


@pytest.fixture
def built_store(store_path: str) -> str:
    result = run("build", store=store_path)
    assert result.exit_code == 0, result.output
    return store_path


def dump(store: str) -> list[str]:
    result = run(
        "query", "--sparql", "SELECT ?s ?p ?o WHERE { ?s ?p ?o }", "--format", "tsv", store=store
    )
    assert result.exit_code == 0, result.output
    return sorted(result.output.splitlines())


# --- build, load ------------------------------------------------------------------


def test_build_reports_and_conforms(store_path: str) -> None:
    first = run("build", store=store_path)
    assert first.exit_code == 0
    assert "conforms to the shapes" in first.output
    again = run("build", store=store_path)
    assert again.exit_code == 0 and ", 0 new;" in again.output


def test_load_a_valid_file(built_store: str) -> None:
    result = run("load", str(DATA / "valid-extra-risk.nt"), store=built_store)
    assert result.exit_code == 0, result.output
    assert "2 triples read, 2 new" in result.output


def test_load_malformed_turtle_names_file_and_line(built_store: str) -> None:
    before = dump(built_store)
    result = run("load", str(BROKEN / "unterminated-string.ttl"), store=built_store)
    assert result.exit_code == 3
    assert "unterminated-string.ttl:4:" in result.output
    assert dump(built_store) == before


def test_load_nonconforming_batch_prints_report_and_writes_nothing(built_store: str) -> None:
    before = dump(built_store)
    result = run("load", str(BROKEN / "finding-without-source.ttl"), store=built_store)
    assert result.exit_code == 1
    assert "egid:test/finding/unsourced" in result.output
    assert "prov:wasDerivedFrom" in result.output and "eg:ciLower" in result.output
    assert "nothing was written" in result.output
    assert dump(built_store) == before


def test_load_unknown_format(built_store: str, tmp_path: Path) -> None:
    odd = tmp_path / "data.csv"
    odd.write_text("a,b\n")
    result = run("load", str(odd), store=built_store)
    assert result.exit_code == 2
    assert "cannot tell the RDF format" in result.output and "--format" in result.output
    result = run("load", "--format", "yaml", str(odd), store=built_store)
    assert result.exit_code == 2


def test_load_missing_file(built_store: str, tmp_path: Path) -> None:
    result = run("load", str(tmp_path / "nope.ttl"), store=built_store)
    assert result.exit_code == 3 and "cannot read the file" in result.output


def test_unwritable_store_path(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = run("build", store=f"oxigraph:{blocker / 'kg.db'}")
    assert result.exit_code == 3 and "cannot open the store" in result.output


def test_store_locked_by_another_process(built_store: str) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from evidencegraph.store.registry import open_store; "
            f"s = open_store({built_store!r}); print('open', flush=True); sys.stdin.readline()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        result = run("build", store=built_store)
        assert result.exit_code == 3 and "in use by another process" in result.output
    finally:
        holder.communicate("\n", timeout=30)


def test_unknown_store_scheme() -> None:
    result = run("stats", store="postgres://x")
    assert result.exit_code == 2 and "unknown store descriptor" in result.output


def test_read_commands_on_a_store_that_does_not_exist(store_path: str) -> None:
    result = run("query", "drug-with-psychotherapy", store=store_path)
    assert result.exit_code == 3 and "run `evidencegraph build`" in result.output


# --- validate ------------------------------------------------------------------------


def test_validate_store_conforms(built_store: str) -> None:
    result = run("validate", store=built_store)
    assert result.exit_code == 0 and "Conforms" in result.output


def test_validate_file_that_does_not_conform(built_store: str) -> None:
    result = run(
        "validate", "--with-store", str(BROKEN / "finding-without-source.ttl"), store=built_store
    )
    assert result.exit_code == 1
    assert "sh:LessThanOrEqualsConstraintComponent" in result.output
    report = run(
        "validate",
        "--with-store",
        "--format",
        "turtle",
        str(BROKEN / "finding-without-source.ttl"),
        store=built_store,
    )
    assert report.exit_code == 1
    assert "sh:ValidationReport" in report.output and "sh:conforms false" in report.output


def test_validate_malformed_file() -> None:
    result = run("validate", str(BROKEN / "unterminated-string.ttl"))
    assert result.exit_code == 3 and "unterminated-string.ttl:4:" in result.output


# --- query, queries ------------------------------------------------------------------------


def test_flagship_query_table(built_store: str) -> None:
    result = run("query", "drug-with-psychotherapy", store=built_store)
    assert result.exit_code == 0
    assert "egid:study/NCT02649231" in result.output
    assert "egid:study/dakwar-2019" in result.output
    assert "egid:study/NCT04084860" in result.output
    assert "yoon" not in result.output
    assert "(3 rows)" in result.output


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_flagship_query_in_sparql_results_formats(built_store: str, fmt: str) -> None:
    result = run("query", "drug-with-psychotherapy", "--format", fmt, store=built_store)
    assert result.exit_code == 0
    if fmt == "json":
        payload = json.loads(result.output)
        trials = {b["trial"]["value"] for b in payload["results"]["bindings"]}
        assert "https://w3id.org/evidencegraph/id/study/NCT02649231" in trials and len(trials) == 3
    else:
        assert result.output.count("https://w3id.org/evidencegraph/id/study/") >= 3


def test_query_with_param_and_file_and_sparql_text(built_store: str, tmp_path: Path) -> None:
    midazolam = run(
        "query",
        "drug-with-psychotherapy",
        "--param",
        "drug=midazolam",
        "--format",
        "csv",
        store=built_store,
    )
    assert midazolam.exit_code == 0 and "NCT02649231" not in midazolam.output
    query_file = tmp_path / "count.rq"
    query_file.write_text(
        "# title: count studies\n# param: cls iri eg:Study -- the class\n"
        "SELECT ?cls (COUNT(?s) AS ?n) WHERE { ?s a ?cls } GROUP BY ?cls\n"
    )
    from_file = run(
        "query", str(query_file), "--param", "cls=eg:Trial", "--format", "csv", store=built_store
    )
    assert from_file.exit_code == 0 and "ontology#Trial" in from_file.output
    text = run(
        "query",
        "--sparql",
        "ASK { ?s a <https://w3id.org/evidencegraph/ontology#Claim> }",
        store=built_store,
    )
    assert text.exit_code == 0 and text.output.strip() == "yes"
    construct = run(
        "query",
        "--sparql",
        "CONSTRUCT { ?s a ?t } WHERE { ?s a ?t } LIMIT 1",
        "--format",
        "nt",
        store=built_store,
    )
    assert construct.exit_code == 0 and construct.output.strip().endswith(" .")


def test_unknown_query_suggests_close_matches(built_store: str) -> None:
    result = run("query", "drug-with-psychoterapy", store=built_store)
    assert result.exit_code == 2
    assert "Did you mean 'drug-with-psychotherapy'" in result.output


def test_sparql_syntax_error_names_line_and_column(built_store: str) -> None:
    result = run("query", "--sparql", "SELECT ?s\nWHERE { ?s ?p }", store=built_store)
    assert result.exit_code == 2 and "line 2 column" in result.output


def test_undeclared_param(built_store: str) -> None:
    result = run("query", "drug-with-psychotherapy", "--param", "phase=x", store=built_store)
    assert result.exit_code == 2
    assert "declares no parameter 'phase'" in result.output and "drug" in result.output


def test_param_not_name_equals_value(built_store: str) -> None:
    result = run("query", "drug-with-psychotherapy", "--param", "ketamine", store=built_store)
    assert result.exit_code == 2 and "NAME=VALUE" in result.output


def test_param_value_that_is_not_a_valid_iri(built_store: str, tmp_path: Path) -> None:
    query_file = tmp_path / "q.rq"
    query_file.write_text("# param: s iri -- a study\nSELECT ?s ?p WHERE { ?s ?p ?o }\n")
    result = run("query", str(query_file), "--param", "s=not an iri", store=built_store)
    assert result.exit_code == 2 and "not a valid IRI" in result.output
    missing = run("query", str(query_file), store=built_store)
    assert missing.exit_code == 2 and "needs --param s=VALUE" in missing.output


def test_queries_lists_the_library() -> None:
    result = run("queries")
    assert result.exit_code == 0
    assert "drug-with-psychotherapy" in result.output and "--param drug=<literal>" in result.output
    listed = json.loads(run("queries", "--format", "json").output)
    # the ten competency questions, two on the source graphs, one on the appraisal (issue 19)
    assert len(listed) == 13


# --- stats, network, globals ----------------------------------------------------------------------


def test_stats(built_store: str) -> None:
    result = run("stats", "--format", "json", store=built_store)
    payload = json.loads(result.output)
    assert payload["triples"] > 0
    assert payload["classes"]["https://w3id.org/evidencegraph/ontology#Claim"] >= 20
    # the build's graphs: the model, and one per curated file (evidence/*.ttl)
    curated = [
        f for f in resources.files("evidencegraph.evidence").iterdir() if f.name.endswith(".ttl")
    ]
    assert payload["sourceGraphs"] == {"model": 1, "curated": len(curated)}
    table = run("stats", store=built_store)
    assert "eg:Claim" in table.output
    assert f"source graphs: 1 model, {len(curated)} curated" in table.output


def test_network_path_and_central(built_store: str) -> None:
    result = run("network", "path", "ketamine", "percentage of days abstinent", store=built_store)
    assert result.exit_code == 0 and "path 1" in result.output
    unknown = run("network", "path", "ketamine", "no such thing at all", store=built_store)
    assert unknown.exit_code == 2 and "no node is named" in unknown.output
    central = run(
        "network",
        "central",
        "--measure",
        "pagerank",
        "--top",
        "3",
        "--type",
        "Trial",
        store=built_store,
    )
    assert central.exit_code == 0 and len(central.output.splitlines()) == 3


def test_version_and_help() -> None:
    assert run("--version").output.strip().endswith(__version__)
    for command in ["build", "load", "validate", "query", "queries", "stats", "network"]:
        assert run(command, "--help").exit_code == 0


def test_environment_variable_names_the_store(
    built_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVIDENCEGRAPH_STORE", built_store)
    result = CliRunner().invoke(cli, ["stats", "--format", "json"])
    assert json.loads(result.output)["triples"] > 0


def test_python_dash_m_runs_the_cli(built_store: str) -> None:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "evidencegraph",
            "--store",
            built_store,
            "query",
            "drug-with-psychotherapy",
            "--format",
            "csv",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "NCT02649231" in completed.stdout


def test_network_path_between_unconnected_nodes_exits_1(built_store: str) -> None:
    assert run("load", str(DATA / "valid-extra-risk.nt"), store=built_store).exit_code == 0
    result = run("network", "path", "ketamine", "egid:risk/test-only-risk", store=built_store)
    assert result.exit_code == 1 and "are not connected" in result.output


def test_verbose_says_what_it_does(store_path: str) -> None:
    result = CliRunner().invoke(cli, ["--store", store_path, "-v", "build"])
    assert result.exit_code == 0 and "validating the curated evidence" in result.output


def test_ill_typed_literal_is_reported_without_tracebacks(built_store: str) -> None:
    before = dump(built_store)
    result = run("load", str(BROKEN / "ill-typed-enrolment.ttl"), store=built_store)
    # refused as it is read (issue 13 point 13), with the file and line, before any shape
    assert result.exit_code == 3
    assert "Traceback" not in result.output
    assert "ill-typed-enrolment.ttl:6:" in result.output
    assert "'many' is not a valid xsd:integer" in result.output
    assert "ontology#enrolment" in result.output
    assert dump(built_store) == before


def test_term_param_with_an_invalid_datatype_iri(built_store: str) -> None:
    query = "# param: v term -- a value\nSELECT ?v ?s WHERE { ?s ?p ?v } LIMIT 2"
    result = run("query", "--sparql", query, "--param", 'v="x"^^<bad iri>', store=built_store)
    assert result.exit_code == 2
    assert "not a valid RDF term" in result.output and "Traceback" not in result.output


def test_literal_param_given_an_iri(built_store: str) -> None:
    result = run(
        "query",
        "drug-with-psychotherapy",
        "--param",
        "drug=<https://example.org/x>",
        store=built_store,
    )
    assert result.exit_code == 2 and "takes a literal" in result.output


def test_undeclared_prefix_is_named_as_such(built_store: str) -> None:
    result = run("query", "--sparql", "SELECT * WHERE { ?s undeclared:p ?o }", store=built_store)
    assert result.exit_code == 2
    assert "prefix the query does not declare" in result.output


def test_syntax_error_in_a_query_file_names_the_file(built_store: str, tmp_path: Path) -> None:
    query_file = tmp_path / "broken.rq"
    query_file.write_text("# title: broken\nSELECT ?s\nWHERE { ?s ?p }")
    result = run("query", str(query_file), store=built_store)
    assert result.exit_code == 2
    assert f"{query_file}: SPARQL syntax error at line 3 column" in result.output


def test_network_path_with_claims(built_store: str) -> None:
    plain = run("network", "path", "ketamine", "naltrexone", "--format", "json", store=built_store)
    steps = json.loads(plain.output)[0]
    # without claims, ketamine meets naltrexone in Yoon et al.'s arm, which receives both
    assert [s["predicate"] for s in steps] == ["eg:drug", "eg:receives", "eg:receives", "eg:drug"]
    with_claims = run(
        "network",
        "path",
        "ketamine",
        "naltrexone",
        "--with-claims",
        "--format",
        "json",
        store=built_store,
    )
    assert any("eg:namesTreatment" in s["predicate"] for s in json.loads(with_claims.output)[0])


def test_option_choices_match_the_library() -> None:
    # cli/options.py repeats these names so that --help need not import rdflib
    from evidencegraph.cli import options
    from evidencegraph.rdf import results
    from evidencegraph.rdf.files import RDF_SYNTAXES

    assert options.RESULT_FORMATS == results.RESULT_FORMATS
    assert set(options.RDF_INPUT_FORMATS) == set(RDF_SYNTAXES)


def test_a_drug_or_condition_that_names_nothing_is_said_with_close_matches(
    built_store: str,
) -> None:
    """A misspelt name answered zero rows with exit 0 and no word of why."""
    misspelt = run("query", "drug-with-psychotherapy", "--param", "drug=ketamne", store=built_store)
    assert misspelt.exit_code == 0
    assert "no drug in the store is named 'ketamne'" in misspelt.stderr
    assert "Close matches: ketamine" in misspelt.stderr
    plural = run(
        "query",
        "drug-with-psychotherapy",
        "--param",
        "condition=Substance Use Disorders",
        store=built_store,
    )
    assert "Close matches: substance use disorder" in plural.stderr
    # a name the store has (in another case) that no such trial studies: no rows, no note
    known = run(
        "query",
        "drug-with-psychotherapy",
        "--param",
        "condition=Healthy Volunteers",
        "--format",
        "csv",
        store=built_store,
    )
    assert known.exit_code == 0 and known.stdout.count("\n") == 1, known.stdout
    assert "Note:" not in known.stderr
