"""``fetch ctgov`` and ``fetch pubmed``: records from the registries' APIs into the graph,
through the same gate as ``import``; resumable with ``--resume``."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import click

from evidencegraph.cli.context import AppContext, pass_app
from evidencegraph.errors import InputError, NonConformingError, StoreError, UsageError

if TYPE_CHECKING:
    from evidencegraph.cli.progress import Progress
    from evidencegraph.graph.evidence_graph import EvidenceGraph
    from evidencegraph.graph.fetching import Answer, FetchRun, FetchState
    from evidencegraph.graph.pipeline import ImportSummary, Mapper
    from evidencegraph.ingest.fetch_http import PoliteClient

OnInvalid = Literal["abort", "skip"]
#: Warnings shown one by one before the rest are only counted (all with -v).
_SHOWN_WARNINGS = 20


def _common(default_delay: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """The options every fetch takes."""

    def decorate(function: Callable[..., None]) -> Callable[..., None]:
        options = [
            click.option("--api-url", metavar="URL", help="Ask this server instead."),
            click.option(
                "--delay",
                metavar="SECONDS",
                type=click.FloatRange(min=0),
                default=None,
                help=f"Seconds between two requests. Default: {default_delay}.",
            ),
            click.option(
                "--retries",
                metavar="N",
                type=click.IntRange(min=0),
                default=5,
                show_default=True,
                help="Times a request is tried again after a dropped connection, a timeout, "
                "HTTP 429 or 5xx.",
            ),
            click.option(
                "--backoff",
                metavar="SECONDS",
                type=click.FloatRange(min=0),
                default=2.0,
                show_default=True,
                help="Seconds before the first retry, doubled at each (a Retry-After header "
                "is honoured instead).",
            ),
            click.option(
                "--timeout",
                metavar="SECONDS",
                type=click.FloatRange(min=0.1),
                default=60.0,
                show_default=True,
                help="Seconds to wait for the server to connect, and for each read.",
            ),
            click.option(
                "--state",
                "state_path",
                type=click.Path(path_type=Path, dir_okay=False),
                default=None,
                help="The state file: what the fetch asks for, where it got to, what it "
                "imported. Default: evidencegraph-fetch-SOURCE.json here.",
            ),
            click.option(
                "--resume",
                is_flag=True,
                help="Go on with the fetch the state file describes, from the first answer "
                "not done (its query is the state's).",
            ),
            click.option(
                "--save-pages",
                "save_to",
                type=click.Path(path_type=Path, file_okay=False),
                default=None,
                help="Also keep each answer, as the server sent it, in this directory "
                "(replay with `evidencegraph import`).",
            ),
            click.option(
                "--batch-size",
                metavar="N",
                type=click.IntRange(min=1),
                default=100,
                show_default=True,
                help="Records validated and committed together.",
            ),
            click.option(
                "--on-invalid",
                type=click.Choice(["abort", "skip"]),
                default="abort",
                show_default=True,
                help="abort: stop at the first bad record (the state points at its answer). "
                "skip: report each bad record with its id and reason, import the rest.",
            ),
            click.option(
                "--progress/--no-progress",
                default=None,
                help="Show a progress bar, or no progress at all (as `import`).",
            ),
        ]
        for option in reversed(options):
            function = option(function)
        return function

    return decorate


@click.group(name="fetch")
def fetch_group() -> None:
    """Fetch records from the ClinicalTrials.gov and PubMed APIs into the graph, validated
    batch by batch as `import` validates files; a failed fetch goes on with --resume."""


@fetch_group.command(name="ctgov")
@click.option("--term", default="", help="Search terms (the API's query.term).")
@click.option("--condition", default="", help="A condition or disease (query.cond).")
@click.option("--intervention", default="", help="An intervention or treatment (query.intr).")
@click.option(
    "--id",
    "ids",
    multiple=True,
    metavar="NCT",
    help="An NCT number (repeat, or separate with commas): only these studies (filter.ids).",
)
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    metavar="DATE",
    default=None,
    help="Only studies whose last update was posted on or after DATE (YYYY-MM-DD); their "
    "graphs replace the versions held.",
)
@click.option(
    "--all", "everything", is_flag=True, help="Ask for every study of the registry (no query)."
)
@click.option(
    "--page-size",
    metavar="N",
    type=click.IntRange(1, 1000),
    default=100,
    show_default=True,
    help="Studies per page (the API's largest is 1,000).",
)
@click.option(
    "--max-pages",
    metavar="N",
    type=click.IntRange(min=1),
    default=None,
    help="Stop after this many pages (--resume goes on from the next).",
)
@_common("1.2 (the API asks for at most 50 requests a minute)")
@pass_app
def fetch_ctgov(app: AppContext, /, **options: Any) -> None:
    """Fetch studies from the ClinicalTrials.gov API v2, page after page.

    \b
    Examples:
      evidencegraph fetch ctgov --condition "alcohol use disorder" --intervention ketamine
      evidencegraph fetch ctgov --id NCT03418623 --id NCT03630471
      evidencegraph fetch ctgov --condition alcoholism --since 2026-11-01
      evidencegraph fetch ctgov --resume
    """
    from evidencegraph.graph.fetching import Answer
    from evidencegraph.ingest import ctgov, fetch_ctgov
    from evidencegraph.ingest.identifiers import normalise_nct

    since = options["since"]
    ids: list[str] = []
    for text in options["ids"]:
        for word in text.replace(",", " ").split():
            nct = normalise_nct(word)
            if nct is None:
                raise UsageError(f"--id {word!r} is not an NCT number (NCT and 8 digits).")
            ids.append(nct)
    query = fetch_ctgov.CtgovQuery(
        term=options["term"],
        condition=options["condition"],
        intervention=options["intervention"],
        ids=tuple(dict.fromkeys(ids)),
        since=since.date().isoformat() if since else "",
        page_size=options["page_size"],
    )
    asked = query.term or query.condition or query.intervention or query.ids or query.since
    state = _state(options, "ctgov", query.as_state(), bool(asked) or options["everything"])
    if options["resume"]:
        try:
            query = fetch_ctgov.CtgovQuery.from_state(state.query)
        except ValueError as error:
            raise InputError(f"{state.path}: {error}") from None
    elif not asked and not options["everything"]:
        raise UsageError(
            "say what to fetch: --term, --condition, --intervention, --id or --since "
            "(or --all for the whole registry, about half a million studies)."
        )
    api_url = options["api_url"] or fetch_ctgov.API_URL
    client = _client(app, options, fetch_ctgov.POLITE_DELAY)
    max_pages = options["max_pages"]

    def answers() -> Iterator[Answer]:
        token = state.resume if isinstance(state.resume, str) else None
        pages = fetch_ctgov.fetch_pages(
            client,
            query,
            api_url=api_url,
            token=token,
            number=state.done + 1,
            limits=ctgov.DEFAULT_LIMITS,
        )
        for count, page in enumerate(pages, start=1):
            if page.total is not None and progress_shown.mode != "off":
                progress_shown.total = page.total
            last = page.next_token is None
            yield Answer(page.number, page.records, page.raw, page.next_token, last)
            if max_pages is not None and count >= max_pages:
                return  # not finished: --resume goes on from the next page

    with app.open_graph() as graph:
        progress_shown = app.progress("fetching", unit="records", bar=options["progress"])
        run = _run(graph, ctgov.SOURCE.map, state, options, "page", ".json")
        _go(app, run, answers(), progress_shown, "page", fresh=not options["resume"])


@fetch_group.command(name="pubmed")
@click.argument("pmids", nargs=-1)
@click.option(
    "--ids-file",
    type=click.File("r", encoding="utf-8"),
    metavar="FILE",
    default=None,
    help="A file of PMIDs (any spacing or commas; # starts a comment); - reads stdin.",
)
@click.option(
    "--cited-by-store",
    is_flag=True,
    help="The PMIDs the store's registry records cite that no PubMed record in it holds.",
)
@click.option(
    "--api-key",
    envvar="NCBI_API_KEY",
    metavar="KEY",
    default="",
    help="An NCBI API key (also read from NCBI_API_KEY): 10 requests a second, not 3.",
)
@click.option(
    "--per-request",
    metavar="N",
    type=click.IntRange(1, 200),
    default=200,
    show_default=True,
    help="PMIDs asked for in one request (POSTed when there are more than 20).",
)
@_common("1/3 s, or 1/10 s with an API key (NCBI's limits)")
@pass_app
def fetch_pubmed(app: AppContext, /, pmids: tuple[str, ...], **options: Any) -> None:
    """Fetch PubMed articles by PMID with E-utilities efetch.

    \b
    Examples:
      evidencegraph fetch pubmed 29768149 22663011
      evidencegraph fetch pubmed --ids-file pmids.txt
      evidencegraph fetch pubmed --cited-by-store
    """
    from evidencegraph.graph.fetching import Answer, cited_pmids
    from evidencegraph.ingest import fetch_pubmed as efetch
    from evidencegraph.ingest import pubmed

    texts = list(pmids)
    if options["ids_file"] is not None:
        texts += options["ids_file"].read().splitlines()
    try:
        ids = efetch.parse_ids(texts)
    except ValueError as error:
        raise UsageError(f"{error}.") from None
    api_key = options["api_key"]
    delay = efetch.DELAY_WITH_KEY if api_key else efetch.DELAY_WITHOUT_KEY
    api_url = options["api_url"] or efetch.API_URL

    with app.open_graph() as graph:
        if options["cited_by_store"] and not options["resume"]:
            ids = list(dict.fromkeys([*ids, *cited_pmids(graph)]))
            app.info(f"PMIDs cited by the store's registry records and not held: {len(ids)}")
        # the ids themselves go to the state's .asked file once (a store's citations can be
        # a million): the state, saved after every answer, keeps their number
        asked = {"ids": len(ids), "per_request": options["per_request"]}
        state = _state(options, "pubmed", asked, bool(ids) or options["cited_by_store"])
        if options["resume"]:
            ids = state.asked_ids()
            per_request = int(state.query.get("per_request", efetch.MAX_IDS))
        elif not ids and not options["cited_by_store"]:
            raise UsageError("say what to fetch: PMIDs, --ids-file FILE or --cited-by-store.")
        else:
            per_request = options["per_request"]
        id_batches = efetch.batches(ids, per_request)
        if not id_batches:
            click.echo("nothing to fetch: every PMID the registry records cite is held.")
            state.finished = True
            state.start(ids)
            return
        client = _client(app, options, delay)
        first = int(state.resume) if isinstance(state.resume, int) else 1

        def answers() -> Iterator[Answer]:
            for batch in efetch.fetch_batches(
                client,
                id_batches,
                api_url=api_url,
                api_key=api_key,
                first=first,
                limits=pubmed.DEFAULT_LIMITS,
            ):
                if batch.missing:
                    click.echo(
                        f"warning: PubMed has no article for {len(batch.missing)} PMID(s) of "
                        f"request {batch.number}: {' '.join(batch.missing[:20])}"
                        + (" ..." if len(batch.missing) > 20 else ""),
                        err=True,
                    )
                last = batch.number == len(id_batches)
                yield Answer(batch.number, batch.records, batch.raw, batch.number + 1, last)

        progress_shown = app.progress("fetching", unit="records", bar=options["progress"])
        if progress_shown.mode != "off":
            progress_shown.total = len(ids[(first - 1) * per_request :])
        run = _run(graph, pubmed.SOURCE.map, state, options, "efetch", ".xml")
        _go(app, run, answers(), progress_shown, "request", fresh=not options["resume"], asked=ids)


def _state(options: dict[str, Any], source: str, query: dict[str, Any], asked: bool) -> FetchState:
    """The state to run with: the one kept (``--resume``) or a new one for ``query``."""
    from evidencegraph.graph.fetching import FetchState

    path = options["state_path"] or Path(f"evidencegraph-fetch-{source}.json")
    if not options["resume"]:
        if path.is_file():
            try:
                earlier = FetchState.load(path)
            except InputError:
                earlier = None
            if earlier is not None and not earlier.finished:
                click.echo(
                    f"note: {path} held an unfinished fetch ({earlier.done} answer(s) "
                    "imported); this fetch starts afresh and its state replaces that one "
                    "(--resume would have gone on with it).",
                    err=True,
                )
        return FetchState(path, source, query)
    if asked:
        raise UsageError(
            "--resume goes on with the query the state file holds: give no query with it "
            f"(the state file is {path})."
        )
    state = FetchState.load(path)
    if state.source != source:
        raise UsageError(f"{path} is the state of a fetch from {state.source}, not {source}.")
    if state.finished:
        raise UsageError(
            f"{path}: that fetch is finished ({state.done} answer(s), {state.imported} "
            "record(s) imported); nothing to resume. Run a new fetch without --resume."
        )
    return state


def _client(app: AppContext, options: dict[str, Any], default_delay: float) -> PoliteClient:
    from evidencegraph.ingest.fetch_http import PoliteClient

    delay = options["delay"]
    return PoliteClient(
        delay=default_delay if delay is None else delay,
        retries=options["retries"],
        backoff=options["backoff"],
        timeout=options["timeout"],
        on_wait=lambda line: click.echo(f"waiting: {line}", err=True),
    )


def _run(
    graph: EvidenceGraph,
    mapper: Mapper,
    state: FetchState,
    options: dict[str, Any],
    prefix: str,
    suffix: str,
) -> FetchRun:
    from evidencegraph.graph.fetching import FetchRun

    return FetchRun(
        graph,
        mapper,
        state,
        batch_size=options["batch_size"],
        on_invalid=options["on_invalid"],
        save_to=options["save_to"],
        save_prefix=prefix,
        save_suffix=suffix,
    )


def _go(
    app: AppContext,
    run: FetchRun,
    answers: Iterator[Answer],
    progress_shown: Progress,
    unit: str,
    *,
    fresh: bool,
    asked: Sequence[str] = (),
) -> None:
    """Run the fetch, report what it did, and say how to go on when it stopped. ``fresh``:
    a new fetch (not --resume), whose state starts with ``asked`` (the ids it asks for)."""
    state = run.state
    if fresh:
        state.start(asked)
    resume = f"evidencegraph fetch {state.source} --resume" + (
        f" --state {state.path}"
        if state.path != Path(f"evidencegraph-fetch-{state.source}.json")
        else ""
    )

    def answered(answer: Answer, written: int) -> None:
        app.info(f"{unit} {answer.number} done: {written} record(s) written")

    run.on_answer = answered
    done_before = state.done
    try:
        with progress_shown:
            run.on_progress = progress_shown.advance
            run.run(answers)
    except (InputError, StoreError) as error:
        if state.done > done_before or run.summary.records_read or run.summary.unreadable:
            _report(app, run.summary)
        kind = StoreError if isinstance(error, StoreError) else InputError
        raise kind(
            f"{error}\nThe fetch stopped at {unit} {state.done + 1}; {state.done} {unit}(s) "
            f"before it are imported ({state.imported} record(s)). To go on from there once "
            f"the cause is gone: {resume}"
        ) from None
    except BaseException:
        _report(app, run.summary)
        raise
    _report(app, run.summary)
    summary = run.summary
    click.echo(
        f"{unit}s imported: {state.done - done_before} by this run, {state.done} by the "
        f"fetch ({'finished' if state.finished else 'not finished: --resume goes on'}); "
        f"state: {state.path}"
    )
    if summary.stopped is not None:
        # a record the server sends cannot be fixed here: going on means leaving it out
        tail = (
            f"\nTo go on from {unit} {state.done + 1}, leaving out the records that cannot be "
            f"imported (each is listed): {resume} --on-invalid skip"
        )
        if summary.stopped.report is not None:
            raise NonConformingError(
                f"fetch stopped: {summary.stopped.error.origin} breaks the shapes.{tail}",
                summary.stopped.report,
            )
        raise InputError(f"fetch stopped: {summary.stopped}{tail}")


def _report(app: AppContext, summary: ImportSummary) -> None:
    shown = summary.warnings if app.verbose else summary.warnings[:_SHOWN_WARNINGS]
    for warning in shown:
        click.echo(f"warning: {warning}", err=True)
    if len(shown) < len(summary.warnings):
        hidden = len(summary.warnings) - len(shown)
        click.echo(f"warning: {hidden} more warning(s); -v shows all.", err=True)
    for rejection in summary.rejected:
        click.echo(f"skipped: {rejection}", err=True)
    for line in summary.lines():
        click.echo(line)
    for older in summary.older:
        click.echo(f"older than the version held, left alone: {older}", err=True)
