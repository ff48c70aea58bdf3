"""`evidencegraph fetch ctgov` and `fetch pubmed` against a loopback stand-in serving real
recorded answers (tests/fetch_standin.py): pages followed, the query passed as the APIs
expect, failures mid-way and --resume, 429 with Retry-After, garbage answers, PubMed by id
and by what the store's registry records cite. No test reaches the internet."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from evidencegraph.cli.main import cli
from evidencegraph.errors import EXIT_ERROR, EXIT_USAGE
from evidencegraph.store.core import OxigraphStore
from fetch_standin import (
    CTGOV_PATH,
    DATA,
    DROP,
    EFETCH_PATH,
    FETCH,
    TOKEN_3,
    Reply,
    StandIn,
    page_ids,
    serving,
)

GRAPH = "https://w3id.org/evidencegraph/graph/"


@pytest.fixture
def standin(monkeypatch: pytest.MonkeyPatch) -> Iterator[StandIn]:
    # a proxy set in the environment must not carry loopback requests away
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    with serving() as server:
        yield server


def run(tmp_path: Path, *args: str | Path) -> Result:
    """The CLI on the test's store, nothing on the terminal."""
    words = ["--store", f"oxigraph:{tmp_path / 'store.db'}", *map(str, args)]
    return CliRunner().invoke(cli, words)


def fetch(tmp_path: Path, standin: StandIn, source: str, *args: str) -> Result:
    """A fetch from the stand-in: no pause between requests, one quick retry."""
    path = CTGOV_PATH if source == "ctgov" else EFETCH_PATH
    return run(
        tmp_path,
        "fetch",
        source,
        *args,
        "--api-url",
        standin.url + path,
        "--delay",
        "0",
        "--retries",
        "1",
        "--backoff",
        "0.01",
        "--state",
        str(tmp_path / "state.json"),
        "--no-progress",
    )


def graphs(tmp_path: Path, kind: str) -> set[str]:
    """The ids of the store's source graphs of one importer (``ctgov``, ``pubmed``)."""
    store = OxigraphStore(tmp_path / "store.db")
    try:
        rows = store.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }").rows
    finally:
        store.close()
    prefix = f"{GRAPH}{kind}/"
    return {str(row["g"])[len(prefix) :] for row in rows if str(row["g"]).startswith(prefix)}


def ctgov_requests(standin: StandIn) -> list[dict[str, str]]:
    return [r.params for r in standin.requests if r.path == CTGOV_PATH]


def all_ids(standin: StandIn) -> list[str]:
    return [nct for page in standin.pages.values() for nct in page_ids(page)]


# --- ClinicalTrials.gov ------------------------------------------------------------


def test_fetch_follows_every_page_and_imports_each_study(tmp_path: Path, standin: StandIn) -> None:
    saved = tmp_path / "pages"
    result = fetch(tmp_path, standin, "ctgov", "--condition", "Phelan", "--save-pages", str(saved))
    assert result.exit_code == 0, result.output
    asked = ctgov_requests(standin)
    first_token = json.loads(standin.pages[None])["nextPageToken"]
    assert [params.get("pageToken") for params in asked] == [None, first_token, TOKEN_3]
    assert all(params["format"] == "json" and params["query.cond"] == "Phelan" for params in asked)
    assert asked[0]["countTotal"] == "true"
    assert graphs(tmp_path, "ctgov") == set(all_ids(standin))
    assert f"imported:     {len(all_ids(standin))} " in result.output
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["finished"] and state["done"] == 3
    imported = (tmp_path / "state.json.imported").read_text().split()
    assert sorted(imported) == sorted(all_ids(standin))
    # the pages kept are the answers byte for byte: `import ctgov` replays the fetch
    assert sorted(p.name for p in saved.iterdir()) == [f"page-0000{n}.json" for n in (1, 2, 3)]
    assert (saved / "page-00001.json").read_bytes() == standin.pages[None]
    replay = tmp_path / "replay"
    replay.mkdir()
    again = run(replay, "import", "ctgov", saved, "--no-progress")
    assert again.exit_code == 0, again.output
    assert graphs(replay, "ctgov") == graphs(tmp_path, "ctgov")


def test_the_query_goes_to_the_api_as_its_parameters(tmp_path: Path, standin: StandIn) -> None:
    standin.pages = {None: standin.pages[TOKEN_3]}  # one page, the last
    result = fetch(
        tmp_path,
        standin,
        "ctgov",
        "--term",
        "alcohol",
        "--intervention",
        "GET73",
        "--id",
        "NCT03418623,nct03630471",
        "--since",
        "2019-06-01",
        "--page-size",
        "2",
    )
    assert result.exit_code == 0, result.output
    (params,) = ctgov_requests(standin)
    assert params["query.term"] == "alcohol"
    assert params["query.intr"] == "GET73"
    assert params["filter.ids"] == "NCT03418623,NCT03630471"
    assert params["filter.advanced"] == "AREA[LastUpdatePostDate]RANGE[2019-06-01,MAX]"
    assert params["pageSize"] == "2"


def test_a_fetch_since_a_date_replaces_the_changed_records_graph(
    tmp_path: Path, standin: StandIn
) -> None:
    original = json.loads((DATA / "ctgov" / "NCT03630471.json").read_text())
    amended = json.loads((DATA / "ctgov-amended" / "NCT03630471.json").read_text())
    standin.pages = {None: json.dumps({"studies": [original]}).encode()}
    assert fetch(tmp_path, standin, "ctgov", "--id", "NCT03630471").exit_code == 0
    standin.pages = {None: json.dumps({"studies": [amended]}).encode()}
    result = fetch(tmp_path, standin, "ctgov", "--since", "2019-06-01")
    assert result.exit_code == 0, result.output
    assert "source graphs: 0 new, 1 replaced by a newer version" in result.output
    store = OxigraphStore(tmp_path / "store.db")
    try:
        ask = store.query(
            "ASK { GRAPH <" + GRAPH + "ctgov/NCT03630471> { ?s ?p 'Enhanced usual care' } }"
        )
        count = store.query(
            "SELECT ?n WHERE { GRAPH <" + GRAPH + "ctgov/NCT03630471> "
            "{ ?s <https://w3id.org/evidencegraph/ontology#enrolment> ?n } }"
        )
    finally:
        store.close()
    # the amended record (tests/data/README.md) dropped that intervention, enrolled 247
    assert ask.boolean is False
    assert [int(str(row["n"])) for row in count.rows] == [247]


def test_a_server_error_is_asked_again_and_the_fetch_goes_on(
    tmp_path: Path, standin: StandIn
) -> None:
    second = json.loads(standin.pages[None])["nextPageToken"]
    standin.fail[second] = [Reply(500, b'{"message": "Internal error, try later"}')]
    result = fetch(tmp_path, standin, "ctgov", "--condition", "Phelan")
    assert result.exit_code == 0, result.output
    assert "HTTP 500" in result.output and "Internal error, try later" in result.output
    tokens = [params.get("pageToken") for params in ctgov_requests(standin)]
    assert tokens == [None, second, second, TOKEN_3]
    assert graphs(tmp_path, "ctgov") == set(all_ids(standin))


def test_a_fetch_that_fails_mid_way_resumes_where_it_stopped(
    tmp_path: Path, standin: StandIn
) -> None:
    """A dropped connection past the retries ends the fetch (exit 3) with page 1 imported;
    --resume asks for page 2 on and imports nothing of page 1 again."""
    second = json.loads(standin.pages[None])["nextPageToken"]
    standin.fail[second] = [DROP, DROP]  # the first try and the one retry
    failed = fetch(tmp_path, standin, "ctgov", "--condition", "Phelan")
    assert failed.exit_code == EXIT_ERROR, failed.output
    assert "connection failed or was dropped" in failed.output
    assert "fetch ctgov --resume" in failed.output
    assert "Traceback" not in failed.output
    first_page = set(page_ids(standin.pages[None]))
    assert graphs(tmp_path, "ctgov") == first_page
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["resume"] == second and state["done"] == 1 and not state["finished"]

    standin.requests.clear()
    resumed = fetch(tmp_path, standin, "ctgov", "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert [params.get("pageToken") for params in ctgov_requests(standin)] == [second, TOKEN_3]
    later = set(page_ids(standin.pages[second])) | set(page_ids(standin.pages[TOKEN_3]))
    assert f"imported:     {len(later)} " in resumed.output
    assert graphs(tmp_path, "ctgov") == first_page | later
    imported = (tmp_path / "state.json.imported").read_text().split()
    assert sorted(imported) == sorted(first_page | later)  # each once
    # a finished fetch has nothing to resume
    again = fetch(tmp_path, standin, "ctgov", "--resume")
    assert again.exit_code == EXIT_USAGE and "finished" in again.output


def test_429_waits_what_retry_after_asks(tmp_path: Path, standin: StandIn) -> None:
    standin.pages = {None: standin.pages[TOKEN_3]}
    standin.fail[None] = [Reply(429, b"Too Many Requests", {"Retry-After": "1"})]
    result = fetch(tmp_path, standin, "ctgov", "--term", "alcohol")
    assert result.exit_code == 0, result.output
    first, second = standin.requests
    assert second.at - first.at >= 0.95  # --backoff is 0.01 s: the wait is the server's
    assert "HTTP 429" in result.output


@pytest.mark.parametrize(
    ("reply", "said"),
    [
        (Reply(200, b"<html><body>Service maintenance</body></html>"), "not JSON"),
        (Reply(200, b'{"studies": [{"protocolSection": '), "invalid JSON"),
        (Reply(200, b'{"studies": "none", "totalCount": 0}'), "not a page of studies"),
        (Reply(200, b'[{"protocolSection": {}}]'), "not a page of studies"),
        (Reply(400, b"query.cond: unknown field AREA[Foo]"), "unknown field AREA[Foo]"),
    ],
    ids=["html", "cut-short", "no-studies-list", "json-array", "http-400"],
)
def test_an_answer_that_is_no_api_page_stops_with_a_message(
    tmp_path: Path, standin: StandIn, reply: Reply, said: str
) -> None:
    standin.fail[None] = [reply]
    result = fetch(tmp_path, standin, "ctgov", "--term", "alcohol")
    assert result.exit_code == EXIT_ERROR, result.output
    assert said in result.output and "page 1" in result.output
    assert "Traceback" not in result.output
    assert len(standin.requests) == 1  # a 4xx or a garbage answer is not asked again
    assert graphs(tmp_path, "ctgov") == set()


def test_fetch_ctgov_refuses_no_query_and_bad_ids(tmp_path: Path, standin: StandIn) -> None:
    bare = fetch(tmp_path, standin, "ctgov")
    assert bare.exit_code == EXIT_USAGE and "--all" in bare.output
    bad = fetch(tmp_path, standin, "ctgov", "--id", "NCT123")
    assert bad.exit_code == EXIT_USAGE and "'NCT123' is not an NCT number" in bad.output
    assert standin.requests == []


# --- PubMed ------------------------------------------------------------------------


def pmids_of(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return [
        re.search(r"<PMID[^>]*>(\d+)</PMID>", article).group(1)  # type: ignore[union-attr]
        for article in re.findall(r"<PubmedArticle>.*?</PubmedArticle>", text, re.DOTALL)
    ]


def test_fetch_pubmed_by_ids_from_arguments_and_a_file(tmp_path: Path, standin: StandIn) -> None:
    wanted = pmids_of(FETCH / "ncbiutils_pubmed.xml")
    listed = tmp_path / "pmids.txt"
    listed.write_text("# from the test\n" + "\n".join(wanted[2:]) + "\n")
    result = fetch(
        tmp_path,
        standin,
        "pubmed",
        *wanted[:2],
        "--ids-file",
        str(listed),
        "--per-request",
        "3",
        "--api-key",
        "KEY123",
    )
    assert result.exit_code == 0, result.output
    asked = [r for r in standin.requests if r.path == EFETCH_PATH]
    assert [r.params["id"].split(",") for r in asked] == [wanted[:3], wanted[3:]]
    assert all(r.params["db"] == "pubmed" and r.params["retmode"] == "xml" for r in asked)
    assert all(r.params["api_key"] == "KEY123" for r in asked)
    assert graphs(tmp_path, "pubmed") == set(wanted)


def test_a_long_id_list_is_posted_and_unknown_ids_are_named(
    tmp_path: Path, standin: StandIn
) -> None:
    known = pmids_of(FETCH / "ncbiutils_pubmed.xml")
    unknown = [str(n) for n in range(1, 21)]  # PMIDs of no article the stand-in holds
    result = fetch(tmp_path, standin, "pubmed", *known, *unknown)
    assert result.exit_code == 0, result.output
    (asked,) = standin.requests
    assert asked.method == "POST" and asked.params["id"].split(",") == known + unknown
    assert graphs(tmp_path, "pubmed") == set(known)
    assert "PubMed has no article for 20 PMID(s)" in result.output


def test_cited_by_store_asks_for_what_registry_records_cite_and_the_store_lacks(
    tmp_path: Path, standin: StandIn
) -> None:
    """A registry record citing three PMIDs, one of them held already: efetch is asked for
    the other two, and the one PubMed has is imported."""
    held = pmids_of(FETCH / "ncbiutils_pubmed.xml")[0]
    served = pmids_of(FETCH / "biomcp_efetch_citation_22663011.xml")[0]
    study = json.loads((DATA / "ctgov" / "NCT03418623.json").read_text())
    references = study["protocolSection"]["referencesModule"]["references"]
    cited = [reference["pmid"] for reference in references]
    references += [{"pmid": held, "type": "BACKGROUND"}, {"pmid": served, "type": "RESULT"}]
    record = tmp_path / "NCT03418623.json"
    record.write_text(json.dumps(study))
    empty = fetch(tmp_path, standin, "pubmed", "--cited-by-store")
    assert empty.exit_code == 0 and "nothing to fetch" in empty.output
    assert standin.requests == []
    assert run(tmp_path, "import", "ctgov", record, "--no-progress").exit_code == 0
    loaded = run(tmp_path, "import", "pubmed", FETCH / "ncbiutils_pubmed.xml", "--no-progress")
    assert loaded.exit_code == 0, loaded.output

    result = fetch(tmp_path, standin, "pubmed", "--cited-by-store")
    assert result.exit_code == 0, result.output
    (asked,) = standin.requests
    assert sorted(asked.params["id"].split(",")) == sorted([*cited, served])
    assert served in graphs(tmp_path, "pubmed")
    assert f"PubMed has no article for {len(cited)} PMID(s)" in result.output

    standin.requests.clear()
    again = fetch(tmp_path, standin, "pubmed", "--cited-by-store")
    assert again.exit_code == 0, again.output
    (asked,) = standin.requests  # the one PubMed does not have is asked for again
    assert asked.params["id"].split(",") == cited


def test_a_broken_efetch_answer_is_refused_whole_and_resumed(
    tmp_path: Path, standin: StandIn
) -> None:
    wanted = pmids_of(FETCH / "ncbiutils_pubmed.xml")
    whole = standin.articles
    cut = b'<?xml version="1.0" ?>\n<PubmedArticleSet>\n' + whole[wanted[2]][:400]
    standin.fail[2] = [Reply(200, cut)]
    failed = fetch(tmp_path, standin, "pubmed", *wanted, "--per-request", "2")
    assert failed.exit_code == EXIT_ERROR, failed.output
    assert "malformed XML" in failed.output and "request 2" in failed.output
    assert graphs(tmp_path, "pubmed") == set(wanted[:2])
    # the ids asked for are kept once, beside the state, which holds their number
    assert (tmp_path / "state.json.asked").read_text().split() == wanted
    assert json.loads((tmp_path / "state.json").read_text())["query"]["ids"] == len(wanted)
    standin.requests.clear()
    resumed = fetch(tmp_path, standin, "pubmed", "--resume")
    assert resumed.exit_code == 0, resumed.output
    assert [r.params["id"].split(",") for r in standin.requests] == [wanted[2:4], wanted[4:]]
    assert graphs(tmp_path, "pubmed") == set(wanted)


def test_efetch_error_documents_and_non_xml_are_refused(tmp_path: Path, standin: StandIn) -> None:
    standin.fail[1] = [
        Reply(200, b"<eFetchResult><ERROR>Empty id list - nothing todo</ERROR></eFetchResult>")
    ]
    refused = fetch(tmp_path, standin, "pubmed", "29768149")
    assert refused.exit_code == EXIT_ERROR
    assert "E-utilities refused the request: Empty id list - nothing todo" in refused.output
    standin.fail[2] = [Reply(200, b'{"error": "API rate limit exceeded"}')]
    garbage = fetch(tmp_path, standin, "pubmed", "29768149")
    assert garbage.exit_code == EXIT_ERROR and "not XML" in garbage.output
    assert graphs(tmp_path, "pubmed") == set()


def test_max_pages_stops_early_and_resume_goes_on(tmp_path: Path, standin: StandIn) -> None:
    first = fetch(tmp_path, standin, "ctgov", "--condition", "Phelan", "--max-pages", "1")
    assert first.exit_code == 0, first.output
    assert "not finished: --resume goes on" in first.output
    assert graphs(tmp_path, "ctgov") == set(page_ids(standin.pages[None]))
    rest = fetch(tmp_path, standin, "ctgov", "--resume", "--max-pages", "1")
    assert rest.exit_code == 0, rest.output
    second = json.loads(standin.pages[None])["nextPageToken"]
    assert [params.get("pageToken") for params in ctgov_requests(standin)] == [None, second]
    # a new fetch says it replaces the unfinished one's state
    afresh = fetch(tmp_path, standin, "ctgov", "--condition", "Phelan")
    assert afresh.exit_code == 0, afresh.output
    assert "held an unfinished fetch (2 answer(s) imported)" in afresh.output
    fetched_before = len(page_ids(standin.pages[None])) + len(page_ids(standin.pages[second]))
    new = len(page_ids(standin.pages[TOKEN_3]))
    assert (
        f"source graphs: {new} new, 0 replaced by a newer version, {fetched_before} unchanged"
        in afresh.output
    )


def test_a_record_the_gate_refuses_stops_the_fetch_at_its_page_as_import_would(
    tmp_path: Path, standin: StandIn
) -> None:
    """A real partial record (no conditions, no design) first on page 2: in abort mode the
    fetch stops there with page 1 imported and nothing of page 2 (its batch is refused
    whole); resumed with --on-invalid skip, it is reported and the rest imported."""
    second = json.loads(standin.pages[None])["nextPageToken"]
    page = json.loads(standin.pages[second])
    bad = json.loads((FETCH / "NCT00465595.json").read_text())
    page["studies"].insert(0, bad)
    standin.pages[second] = json.dumps(page).encode()
    # batches of 5: page 1 is a batch of its own, the bad record's batch is page 2's first
    stopped = fetch(tmp_path, standin, "ctgov", "--condition", "Phelan", "--batch-size", "5")
    assert stopped.exit_code != 0, stopped.output
    assert "fetch stopped" in stopped.output and "NCT00465595" in stopped.output
    assert "fetch ctgov --resume --state" in stopped.output
    assert stopped.output.rstrip().endswith("--on-invalid skip")
    assert "Traceback" not in stopped.output
    assert graphs(tmp_path, "ctgov") == set(page_ids(standin.pages[None]))
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["done"] == 1 and state["resume"] == second

    resumed = fetch(tmp_path, standin, "ctgov", "--resume", "--on-invalid", "skip")
    assert resumed.exit_code == 0, resumed.output
    assert "skipped: " in resumed.output and "(NCT00465595)" in resumed.output
    assert graphs(tmp_path, "ctgov") == set(all_ids(standin)) - {"NCT00465595"}
    # the record left out does not hold its page back: every page is done
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["finished"] and state["done"] == 3
    assert state["imported"] == len(all_ids(standin)) - 1


def test_a_fetch_stopped_early_exits_without_waiting_for_the_request_under_way() -> None:
    """The next answer is asked for on a thread while one is imported; when the fetch stops
    (a bad record, Ctrl-C) the process ends at once, not after that request (or a wait of
    up to five minutes that a server asked for)."""
    script = (
        "import time\n"
        "from evidencegraph.graph.fetching import Answer, one_ahead\n"
        "def answers():\n"
        "    yield Answer(1, [], b'', None, False)\n"
        "    time.sleep(60)  # the next request, under way\n"
        "    yield Answer(2, [], b'', None, True)\n"
        "ahead = one_ahead(answers())\n"
        "print(next(ahead).number)\n"
    )
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=50
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"
    assert time.monotonic() - started < 30
