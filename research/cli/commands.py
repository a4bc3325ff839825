"""The ``eventstudy`` command: a thin typer layer over the API (no maths here).

User errors (:class:`research.errors.EventStudyError`) print one sentence on
stderr and exit with status 2.  Heavy libraries are imported inside the
commands, so ``eventstudy --help`` starts quickly.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from research.cli.analyses import bench, correlate
from research.cli.common import (
    default_level,
    emit,
    export_tables,
    split_ids,
    study_requests,
    study_tables,
    window_option,
)
from research.cli.data import data_app
from research.cli.options import (
    BenchmarkOpt,
    CatalogueOpt,
    DateOpt,
    EstimationOpt,
    EventOpt,
    ExportFormat,
    ExportFormatOpt,
    Format,
    GroupOpt,
    MarketOpt,
    Measure,
    MeasureOpt,
    MinObsOpt,
    MixedOpt,
    ModelOpt,
    OtherEvents,
    OutputOpt,
    PairsOpt,
    Returns,
    Tests,
    ThinTrading,
    ThinTradingOpt,
    TickersOpt,
    WindowOpt,
)


def _plain_metavars() -> None:
    """Show plain metavars in help: words (TEXT, INTEGER, PATH) instead of the Python
    type names (``<str>``, ``<int>``, ``<path>``) that the click inside typer 0.26-0.28
    shows for a parameter whose type offers no metavar of its own.
    """
    try:
        from typer._click import types
    except ImportError:  # a typer on the click package, whose metavars are words already
        return
    words = {
        "str": "TEXT",
        "int": "INTEGER",
        "int range": "INTEGER",
        "float": "NUMBER",
        "float range": "NUMBER",
        "path": "PATH",
    }
    original = types.ParamType.get_metavar

    def plain(self, param, ctx):
        shown = original(self, param, ctx)
        return words.get(self.name) if shown is None else shown

    types.ParamType.get_metavar = plain


_plain_metavars()

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Event studies of market reactions: abnormal returns, their tests and event regressions.",
)
app.add_typer(data_app, name="data")


def _version(value: bool) -> None:
    """``eventstudy --version``: the distribution's name and version."""
    if value:
        from research import __version__
        from research.config import DISTRIBUTION

        typer.echo(f"{DISTRIBUTION} {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    quiet: Annotated[
        bool, typer.Option("--quiet", help="No progress bars on standard error.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, help="Print the version and exit.", callback=_version
        ),
    ] = False,
) -> None:
    """Event studies of market reactions: abnormal returns, their tests and event regressions.

    Example: eventstudy run   (the headline study of the case in research/cases/hk2023.py:
    property groups and the HSI around the Blinken visit and the loan-prime-rate cut).
    """
    from research import progress

    progress.QUIET = quiet


# ------------------------------------------------------------------------------------------
@app.command()
def events(
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.table,
    market: Annotated[
        str, typer.Option(help="Exchange whose sessions day 0 is taken from.")
    ] = "HKEX",
    catalogue: CatalogueOpt = None,
    output: OutputOpt = None,
) -> None:
    """List the event catalogue with each event's title, day-0 session and the rule applied.

    Example: eventstudy events --market NYSE   (each event's first New York session).

    Day 0 is the first session that could react: the same day if the event came before the
    close, else the next session; a date without a time is taken as 09:00 in its own time
    zone (a New York date reaches Hong Kong on its next session).
    """
    import pandas as pd

    from research.data.events import align_events, load_catalogue
    from research.data.markets import get_market

    mkt = get_market(market)
    cat = load_catalogue(catalogue)
    table = align_events(cat, mkt)  # the calendar's sessions, whatever prices are stored
    info = pd.DataFrame(
        [(e.id, e.category, e.time_precision, e.title) for e in cat],
        columns=["event", "category", "precision", "title"],
    )
    table = table.merge(info, on="event")
    table["session"] = table["session"].dt.strftime("%Y-%m-%d")
    cols = ["event", "timestamp", "session", "category", "precision", "rule", "title"]
    if fmt is Format.json:
        emit(table[cols].to_json(orient="records", indent=1), output)
    elif fmt is Format.csv:
        from research.output.export import to_csv

        emit(to_csv(table[cols]), output)
    else:
        from research.output.report import table as render

        source = f"sessions: the {mkt.calendar} calendar less the recorded closures"
        # the id whole (the key); the title and the rule (which says the time) wrap
        emit(
            render(
                table[["event", "session", "title", "rule"]],
                f"Event catalogue on {mkt.code} ({source})",
                keys=1,
                narrowest=16,
            ),
            output,
        )


# ------------------------------------------------------------------------------------------
@app.command()
def run(
    event: EventOpt = None,
    date: DateOpt = None,
    pairs: PairsOpt = None,
    tickers: TickersOpt = None,
    group: Annotated[
        list[str] | None,
        typer.Option(
            "--group",
            help="Group from data/universe.csv (repeatable; 'property' = all property groups).",
        ),
    ] = None,
    benchmark: BenchmarkOpt = None,
    model: ModelOpt = None,
    window: WindowOpt = "-1,1",
    estimation: EstimationOpt = "-250,-11",
    car_window: Annotated[
        list[str] | None,
        typer.Option(
            "--car-window",
            metavar="A,B",
            help="CAR window inside the event window, e.g. 0,1 (repeatable).",
        ),
    ] = None,
    returns: Annotated[
        Returns, typer.Option("--returns", help="Simple or log returns.")
    ] = Returns.simple,
    market: MarketOpt = None,
    mixed_markets: MixedOpt = False,
    min_obs: MinObsOpt = None,
    other_events: Annotated[
        OtherEvents,
        typer.Option(
            help="'mask' keeps other events' windows out of estimation; 'keep' leaves them in."
        ),
    ] = OtherEvents.mask,
    measure: MeasureOpt = Measure.returns,
    thin_trading: ThinTradingOpt = ThinTrading.exclude,
    tests: Annotated[
        Tests, typer.Option(help="Tests shown in the table (JSON and CSV carry all).")
    ] = Tests.headline,
    bootstrap: Annotated[
        int,
        typer.Option(
            min=0,
            help="Firm bootstrap replications for the CAAR interval of scattered-date cohorts "
            "(default 0: the interval that inverts kp_cross_sectional_t).",
        ),
    ] = 0,
    catalogue: CatalogueOpt = None,
    fmt: ExportFormatOpt = ExportFormat.table,
    level: Annotated[
        str | None,
        typer.Option(
            help="The raw table to write: security (per stock and event day; the default of "
            "csv and parquet), day (per cohort and event day: AAR, CAAR, tests, band), window "
            "(per cohort and CAR window: CAAR, BHAR, interval, tests) or estimation; a "
            "volatility study adds volatility (its default), variance_ratios and garch. Without "
            "it latex, markdown and html hold the compact tables with their notes."
        ),
    ] = None,
    output: OutputOpt = None,
) -> None:
    """Run an event study (with no events and no securities: the headline study).

    The headline study takes its events and groups from the case study and every other
    option as given.

    Example: eventstudy run --event lpr-cut --group mainland-developer --window -1,1
    (windows are two relative days, or two dates: --window 2024-03-18,2024-03-20).
    """
    import json

    from research.analyses.analysis import run_study
    from research.stats.inference import TEST_NAMES

    requests = study_requests(
        event,
        date,
        tickers,
        group,
        benchmark,
        model,
        window,
        estimation,
        market,
        catalogue,
        car_windows=tuple(window_option(c, "CAR window") for c in car_window or ()),
        returns=returns.value,
        mixed_markets=mixed_markets,
        min_obs=min_obs,
        other_events=other_events.value,
        bootstrap=bootstrap,
        pairs=pairs,
        thin_trading=thin_trading.value,
        measure=measure.value,
    )
    results = [run_study(r) for r in requests]
    if fmt is ExportFormat.table:
        shown = TEST_NAMES if tests is Tests.all else None
        texts, seen = [], None
        for r in results:  # a second study on the same events need not repeat their day 0
            same = r.alignment is not None and seen is not None and r.alignment.equals(seen)
            texts.append(str(r.summary(shown, alignment=not same)))
            seen = r.alignment
        emit("\n\n".join(texts), output)
        return
    if fmt.value in ("latex", "markdown", "html") and level is None:
        from research.output.paper import render_summaries

        shown = TEST_NAMES if tests is Tests.all else None
        summaries = [r.summary(shown) for r in results]
        emit(render_summaries(summaries, fmt.value, "Event study"), output)
        return
    docs = [r.to_dict() for r in results]
    payload = docs[0] if len(docs) == 1 else {"studies": docs}
    text = json.dumps(payload, indent=1, allow_nan=False, default=str)
    from research.output.report import export_context

    settings, notes = export_context(
        results, requests, TEST_NAMES if tests is Tests.all else None, tests.value, sys.argv[1:]
    )
    export_tables(
        study_tables(results),
        fmt,
        level or default_level(results),
        text,
        output,
        "Event study",
        settings=settings,
        notes=notes,
    )


@app.command()
def regress(
    event: EventOpt = None,
    date: DateOpt = None,
    tickers: TickersOpt = None,
    group: Annotated[
        list[str] | None,
        typer.Option("--group", help="Regress the group's equal-weighted portfolio (repeatable)."),
    ] = None,
    benchmark: BenchmarkOpt = None,
    window: WindowOpt = "-1,1",
    estimation: EstimationOpt = "-250,-11",
    hac: Annotated[
        bool,
        typer.Option(
            "--hac",
            help="Event-day s.e. from the prediction-error decomposition with Newey-West "
            "autocovariances and benchmark covariance (a sandwich is degenerate for a one-day "
            "dummy); benchmark terms Newey-West.",
        ),
    ] = False,
    maxlags: Annotated[int | None, typer.Option(help="HAC lags (default Newey-West 1994).")] = None,
    long_short: Annotated[
        str | None,
        typer.Option(
            "--long-short",
            help="Long-short portfolio of two groups, e.g. mainland-developer,hk-developer.",
        ),
    ] = None,
    panel: Annotated[
        bool, typer.Option("--panel", help="Stacked panel with event-day x group terms.")
    ] = False,
    base: Annotated[
        str | None, typer.Option(help="Base group of the panel (default: the last group).")
    ] = None,
    placebo: Annotated[int, typer.Option(help="Random placebo dates per event (0: none).")] = 1000,
    returns: Annotated[Returns, typer.Option("--returns")] = Returns.simple,
    market: MarketOpt = None,
    mixed_markets: MixedOpt = False,
    min_obs: MinObsOpt = None,
    catalogue: CatalogueOpt = None,
    fmt: ExportFormatOpt = ExportFormat.table,
    level: Annotated[
        str | None,
        typer.Option(
            help="The raw table to write: coefficients (the default of csv and parquet), "
            "windows, wald, placebo or panel. Without it, latex, markdown and html give the "
            "tables of the terminal with their notes."
        ),
    ] = None,
    output: OutputOpt = None,
) -> None:
    """Dummy-variable event regressions, placebo inference and the group panel.

    Example: eventstudy regress --event lpr-cut --group mainland-developer --group
    hk-developer --long-short mainland-developer,hk-developer --panel --window 0,0 --hac
    """
    import json

    from research.analyses.regressions import run_regressions
    from research.analyses.requests import RegressionRequest
    from research.cases.hk2023 import HEADLINE_EVENTS
    from research.errors import EventStudyError

    pair = None
    if long_short:
        parts = split_ids([long_short])
        if len(parts) != 2:
            raise EventStudyError("--long-short takes two groups separated by a comma.")
        pair = (parts[0], parts[1])
    request = RegressionRequest(
        events=split_ids(event) if (event or date) else HEADLINE_EVENTS,
        dates=tuple(date or ()),
        tickers=split_ids(tickers),
        groups=split_ids(group),
        benchmarks=split_ids(benchmark) if benchmark else None,
        window=window_option(window, "event window"),
        estimation=window_option(estimation, "estimation window"),
        cov_type="hac" if hac else "classical",
        maxlags=maxlags,
        long_short=pair,
        panel=panel,
        base_group=base,
        placebo_draws=placebo,
        returns=returns.value,
        market=market,
        mixed_markets=mixed_markets,
        min_obs=min_obs,
        catalogue=str(catalogue) if catalogue else None,
    )
    report = run_regressions(request)
    if fmt is ExportFormat.table:
        emit(report.summary(), output)
        return
    if fmt.value in ("latex", "markdown", "html") and level is None:
        from research.output.paper import render_summaries

        emit(render_summaries([report.paper_summary()], fmt.value, "Event regressions"), output)
        return
    text = json.dumps(report.to_dict(), indent=1, allow_nan=False, default=str)
    import shlex
    from dataclasses import asdict

    from research import __version__

    al = report.alignment
    used = list(dict.fromkeys(al["market"])) if "market" in al else []
    settings = {
        **asdict(request),
        "benchmarks": "the market's index" if request.benchmarks is None else request.benchmarks,
        "market": ", ".join(map(str, used)) or request.market,
        "command": shlex.join(["eventstudy", *sys.argv[1:]]),
        "version": __version__,
    }
    export_tables(
        report.tables(),
        fmt,
        level or "coefficients",
        text,
        output,
        "Event regressions",
        settings=settings,
        notes=list(report.notes),
    )


@app.command()
def report(
    out: Annotated[Path, typer.Option("--out", help="The HTML file to write.")],
    event: EventOpt = None,
    date: DateOpt = None,
    pairs: PairsOpt = None,
    tickers: TickersOpt = None,
    group: GroupOpt = None,
    benchmark: BenchmarkOpt = None,
    model: ModelOpt = None,
    window: WindowOpt = "-1,1",
    estimation: EstimationOpt = "-250,-11",
    market: MarketOpt = None,
    measure: MeasureOpt = Measure.returns,
    thin_trading: ThinTradingOpt = ThinTrading.exclude,
    title: Annotated[str, typer.Option(help="The page's title.")] = "Event study report",
) -> None:
    """Write a study as one self-contained HTML page (no network needed to open it).

    The page holds the findings, the alignment, the CAAR figures with their bands, each
    stock's abnormal returns, the estimation and the notes.

    Example: eventstudy report --event lpr-cut --group mainland-developer --out report.html
    (with no events and no securities: the headline study).
    """
    from research.analyses.analysis import run_study
    from research.output.export import write_output
    from research.output.html_report import report_page

    requests = study_requests(
        event,
        date,
        tickers,
        group,
        benchmark,
        model,
        window,
        estimation,
        market,
        None,
        pairs=pairs,
        thin_trading=thin_trading.value,
        measure=measure.value,
    )
    results = [run_study(r) for r in requests]
    write_output(report_page(results, title), out)
    typer.echo(f"wrote {out}", err=True)


@app.command()
def plot(
    out: Annotated[Path, typer.Option("--out", help="The figure to write: .png, .svg or .pdf.")],
    event: EventOpt = None,
    date: DateOpt = None,
    pairs: PairsOpt = None,
    tickers: TickersOpt = None,
    group: GroupOpt = None,
    benchmark: BenchmarkOpt = None,
    model: ModelOpt = None,
    window: WindowOpt = "-1,1",
    estimation: EstimationOpt = "-250,-11",
    market: MarketOpt = None,
    measure: MeasureOpt = Measure.returns,
    thin_trading: ThinTradingOpt = ThinTrading.exclude,
) -> None:
    """Draw a study's CAAR paths with their 95% bands, one line per cohort.

    Example: eventstudy plot --pairs my_events.csv --benchmark ^HSI --window -5,5 --out caar.png
    """
    from research.analyses.analysis import run_study
    from research.errors import EventStudyError

    if out.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise EventStudyError(f"--out {out} must end in .png, .svg or .pdf.")
    requests = study_requests(
        event,
        date,
        tickers,
        group,
        benchmark,
        model,
        window,
        estimation,
        market,
        None,
        pairs=pairs,
        thin_trading=thin_trading.value,
        measure=measure.value,
    )
    if len(requests) != 1:
        raise EventStudyError("Name the study to plot: --event, --date or --pairs.")
    fig = run_study(requests[0]).plot()
    fig.savefig(out, dpi=200, bbox_inches="tight")
    typer.echo(f"wrote {out}", err=True)


@app.command()
def figures(
    out: Annotated[Path, typer.Option(help="Folder to write the figures to.")] = Path(
        "docs/figures"
    ),
    only: Annotated[
        list[str] | None, typer.Option("--only", help="Just these figures (repeatable).")
    ] = None,
) -> None:
    """Regenerate every figure of docs/figures from the stored prices (PNG 300 dpi + SVG).

    Example: eventstudy figures --out /tmp/figures --only caar_visit_and_cut
    """
    from research.cases.hk2023 import FIGURE_NAMES, build_all
    from research.errors import EventStudyError

    unknown = [n for n in only or [] if n not in FIGURE_NAMES]
    if unknown:
        raise EventStudyError(
            f"Unknown figure {unknown[0]!r}: use one of {', '.join(FIGURE_NAMES)}."
        )
    skipped: list[str] = []
    for path in build_all(out, only=list(only) if only else None, skipped=skipped):
        typer.echo(str(path))
    for line in skipped:
        typer.echo(line, err=True)


app.command()(correlate)
app.command()(bench)


def main() -> None:
    """Console entry point: user errors print one sentence and exit 2; usage errors exit 2."""
    from research.errors import EventStudyError

    try:
        app()  # standalone: typer reports usage errors itself and exits 2
    except EventStudyError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
