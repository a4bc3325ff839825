"""The ``eventstudy`` command: a thin typer layer over the API (no maths here).

User errors (:class:`research.errors.EventStudyError`) print one sentence on
stderr and exit with status 2.  Heavy libraries are imported inside the
commands, so ``eventstudy --help`` starts quickly.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer


def _plain_metavars() -> None:
    """Show plain metavars in help: none on flags (this typer shows ``<bool>`` on every
    flag, ``--help`` included) and words instead of Python types (``<list[str]>``)."""
    try:
        from typer import core

        classes = (core.TyperOption, core.TyperArgument)
        originals = [cls.display_type_rich for cls in classes]
    except (ImportError, AttributeError):  # another typer: its own display is fine
        return
    words = {
        "<str>": "TEXT",
        "<list[str]>": "TEXT",
        "<int>": "INTEGER",
        "<path>": "PATH",
        "<list[path]>": "PATH",
    }

    def plain(original):
        def display(self, ctx):
            if getattr(self, "is_flag", False):
                return ""
            shown = original(self, ctx)
            if not shown:
                return shown
            base = str(shown).removesuffix("...")
            return words.get(base, base) + ("..." if str(shown).endswith("...") else "")

        return display

    for cls, original in zip(classes, originals, strict=True):
        cls.display_type_rich = plain(original)


_plain_metavars()

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Event studies of market reactions: abnormal returns, their tests and event regressions.",
)
data_app = typer.Typer(no_args_is_help=True, help="Import, fetch and list stored prices.")
app.add_typer(data_app, name="data")


@app.callback()
def _options(
    quiet: Annotated[
        bool, typer.Option("--quiet", help="No progress bars on standard error.")
    ] = False,
) -> None:
    """Event studies of market reactions: abnormal returns, their tests and event regressions.

    Example: eventstudy run   (the headline study: property groups and the HSI around the
    Blinken visit and the loan-prime-rate cut of June 2023).
    """
    from research import progress

    progress.QUIET = quiet


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


class ExportFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    markdown = "markdown"
    latex = "latex"
    html = "html"
    xlsx = "xlsx"
    parquet = "parquet"


FORMAT_HELP = (
    "table (the terminal), csv and parquet (one table: --level), json, markdown, latex, "
    "html, xlsx (every table; xlsx and parquet need --output and the export extra)."
)


# Options several commands share, declared once.
DATE_HELP = (
    "Ad-hoc event: YYYY-MM-DD, YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM+08:00, then optionally "
    "the zone where it happened, e.g. '2023-02-03 America/New_York'. A time without an offset "
    "is the exchange's; a date alone is taken as 09:00 where it happened."
)
EventOpt = Annotated[
    list[str] | None,
    typer.Option("--event", metavar="ID", help="Catalogue event id (repeatable)."),
]
DateOpt = Annotated[list[str] | None, typer.Option("--date", metavar="DATE", help=DATE_HELP)]
TickersOpt = Annotated[
    list[str] | None,
    typer.Option("--tickers", metavar="T1,T2", help="Tickers, comma-separated."),
]
BenchmarkOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--benchmark",
        metavar="TICKER",
        help="Benchmark ticker, repeatable for multi-index (default: the market's index, "
        "^HSI for HKEX, ^GSPC for NYSE).",
    ),
]
WindowOpt = Annotated[
    str,
    typer.Option(
        metavar="A,B",
        help="Event window: two relative days (-1,1) or two dates (2023-06-19,2023-06-21).",
    ),
]
EstimationOpt = Annotated[
    str,
    typer.Option(
        metavar="A,B",
        help="Estimation window: two relative days (-250,-11) or two dates "
        "(2022-06-01,2023-05-31); it must end before the event window.",
    ),
]
MarketOpt = Annotated[
    str | None,
    typer.Option(help="Exchange whose sessions the study uses (default: the tickers' own)."),
]
MixedOpt = Annotated[
    bool,
    typer.Option(
        "--mixed-markets", help="Align securities of other exchanges on --market's sessions."
    ),
]
CatalogueOpt = Annotated[
    Path | None,
    typer.Option(metavar="FILE", help="An event catalogue CSV (default: data/events.csv)."),
]
ExportFormatOpt = Annotated[ExportFormat, typer.Option("--format", help=FORMAT_HELP)]
OutputOpt = Annotated[Path | None, typer.Option(metavar="FILE", help="Write to this file instead.")]


class Returns(StrEnum):
    simple = "simple"
    log = "log"


class ModelName(StrEnum):
    constant_mean = "constant-mean"
    market_adjusted = "market-adjusted"
    market = "market"
    multi_index = "multi-index"
    dimson = "dimson"


class Tests(StrEnum):
    headline = "headline"
    all = "all"


class OtherEvents(StrEnum):
    mask = "mask"
    keep = "keep"


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text)
        return
    from research.export import write_output

    write_output(text, output)
    typer.echo(f"wrote {output}", err=True)


def _export(
    tables: dict,
    fmt: ExportFormat,
    level: str,
    json_text: str | None,
    output: Path | None,
    title: str,
) -> None:
    """Write the tables of a command in a data format (not ``table``)."""
    from research.errors import EventStudyError
    from research.export import BINARY_FORMATS, render, write_output

    if fmt.value in BINARY_FORMATS and output is None:
        raise EventStudyError(f"--format {fmt.value} writes a file: give --output FILE.")
    data = render(tables, fmt.value, level, json_text, title)
    if output is None:
        typer.echo(data, nl=not str(data).endswith("\n"))
        return
    write_output(data, output)
    typer.echo(f"wrote {output}", err=True)


def _split(values: list[str] | None) -> tuple[str, ...]:
    out: list[str] = []
    for v in values or []:
        out += [x.strip() for x in v.split(",") if x.strip()]
    return tuple(out)


def _window(text: str, what: str) -> tuple:
    from research.requests import parse_window

    return parse_window(text, what)


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

    from research.events import align_events, load_catalogue
    from research.markets import get_market
    from research.sample import choose_store
    from research.store import PriceStore

    mkt = get_market(market)
    cat = load_catalogue(catalogue)
    store, _ = choose_store(PriceStore(), [mkt.reference])
    days = None
    if mkt.reference in store:
        days = store.load(mkt.reference).index
    table = align_events(cat, mkt, days)
    info = pd.DataFrame(
        [(e.id, e.category, e.time_precision, e.title) for e in cat],
        columns=["event", "category", "precision", "title"],
    )
    table = table.merge(info, on="event")
    table["session"] = table["session"].dt.strftime("%Y-%m-%d")
    cols = ["event", "timestamp", "session", "category", "precision", "rule", "title"]
    if fmt is Format.json:
        _emit(table[cols].to_json(orient="records", indent=1), output)
    elif fmt is Format.csv:
        from research.export import to_csv

        _emit(to_csv(table[cols]), output)
    else:
        from research.report import table as render

        source = f"sessions: {mkt.calendar} calendar" + (
            f" and {mkt.reference} trading days"
            if days is not None
            else f" only ({mkt.reference} not stored; known closures applied)"
        )
        _emit(
            render(
                table[["event", "title", "timestamp", "session", "rule"]],
                f"Event catalogue on {mkt.code} ({source})",
            ),
            output,
        )


# ------------------------------------------------------------------------------------------
@data_app.command("import")
def data_import(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(metavar="PATH", help="CSV files or folders of CSV files."),
    ] = None,
    sample: Annotated[
        bool,
        typer.Option(
            "--sample", help="Import the embedded sample of the Hong Kong 2023 case instead."
        ),
    ] = False,
) -> None:
    """Import Yahoo-style CSV files (the ticker is the file name) into the store.

    Example: eventstudy data import ../shared/data/market   (or: eventstudy data import
    --sample, the prices shipped with the package).
    """
    from research import quality
    from research.errors import EventStudyError, MalformedFileError
    from research.prices import read_price_csv
    from research.store import PriceStore

    if sample or not paths:
        if paths or not sample:
            raise EventStudyError("Give CSV files or folders to import, or --sample (not both).")
        from research.sample import SampleStore, manifest

        store, embedded = PriceStore(), SampleStore()
        first, last = manifest()["span"]
        for ticker in embedded.tickers():
            item = embedded.parsed(ticker)
            item.notes.extend(quality.import_notes(item.frame, ticker))
            info = store.save(item, source=f"embedded sample {first}..{last}")
            typer.echo(f"{info.ticker:<10} {info.rows:>6} rows {info.first}..{info.last}")
        typer.echo(f"imported the embedded sample into {store.root}", err=True)
        return
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files += sorted(f for f in p.iterdir() if f.suffix.lower() == ".csv")
        elif p.exists():
            files.append(p)
        else:
            raise MalformedFileError(f"{p} does not exist.")
    if not files:
        raise EventStudyError(f"No CSV files in {', '.join(map(str, paths))}.")
    from research.progress import steps

    # every file validated before anything is written
    parsed = [read_price_csv(f) for f in steps(files, "reading")]
    for item in parsed:
        item.notes.extend(quality.import_notes(item.frame, item.ticker))
    store = PriceStore()
    from research.report import bullets

    for f, item in zip(files, parsed, strict=True):
        info = store.save(item, source=str(f.resolve()))
        line = f"{info.ticker:<10} {info.rows:>6} rows {info.first}..{info.last}"
        typer.echo(bullets(line, list(info.notes)) if info.notes else line)
    typer.echo(f"imported {len(parsed)} file(s) into {store.root}", err=True)


@data_app.command("fetch")
def data_fetch(
    tickers: Annotated[
        list[str] | None, typer.Argument(metavar="TICKER", help="Yahoo tickers.")
    ] = None,
    group: Annotated[
        list[str] | None,
        typer.Option("--group", help="Every ticker of a group of data/universe.csv (repeatable)."),
    ] = None,
    everything: Annotated[
        bool, typer.Option("--all", help="Every ticker of data/universe.csv.")
    ] = False,
    start: Annotated[
        str, typer.Option(help="First date, YYYY-MM-DD (default: the case study's span).")
    ] = "2021-06-01",
    end: Annotated[
        str, typer.Option(help="End date, YYYY-MM-DD (exclusive, as in yfinance).")
    ] = "2024-01-01",
    retries: Annotated[int, typer.Option(help="Attempts per ticker.")] = 3,
) -> None:
    """Download daily prices with yfinance (adjusted), with a progress bar.

    Example: eventstudy data fetch --all   (the universe over the case study's span), or
    eventstudy data fetch 0016.HK ^HSI --start 2022-01-01 --end 2024-01-01.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from research import yahoo
    from research.errors import DownloadError, EventStudyError
    from research.events import parse_timestamp
    from research.progress import shown as progress_shown
    from research.store import PriceStore
    from research.universe import group_tickers, load_universe

    chosen = list(tickers or [])
    if everything:
        chosen += list(load_universe().index)
    for g in group or []:
        chosen += group_tickers(g)
    tickers = list(dict.fromkeys(chosen))
    if not tickers:
        raise EventStudyError("Give tickers to fetch, --group NAME or --all.")

    parse_timestamp(start, "UTC")
    parse_timestamp(end, "UTC")
    store = PriceStore()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=False,
        disable=not progress_shown(),
    ) as progress:
        task = progress.add_task("downloading", total=len(tickers))

        def tick(ticker: str, status: str) -> None:
            progress.update(task, advance=1, description=f"{ticker} {status}")

        done, failed = yahoo.fetch(list(tickers), start, end, retries, on_progress=tick)
    for ticker, parsed in done.items():
        info = store.merge_save(parsed, source=f"yfinance {start}..{end} (end exclusive)")
        typer.echo(f"{ticker:<10} {info.rows:>6} rows {info.first}..{info.last}")
    for ticker, message in failed.items():
        typer.echo(f"{ticker}: {message}", err=True)
    if failed:
        raise DownloadError(
            f"{len(failed)} of {len(tickers)} download(s) failed; "
            "what was stored before is unchanged."
        )


@data_app.command("list")
def data_list(
    fmt: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """List the stored tickers with their name, group, dates, rows and adjustment.

    Example: eventstudy data list --format csv
    """
    import pandas as pd

    from research.store import PriceStore

    store = PriceStore()
    rows = [store.info(t) for t in store.tickers()]
    if not rows:
        typer.echo(f"The store {store.root} is empty; run `eventstudy data import PATH`.", err=True)
        return
    frame = pd.DataFrame([r.as_dict() for r in rows])[
        ["ticker", "first", "last", "rows", "adjusted", "retrieved_at", "source"]
    ]
    from research.universe import load_universe

    universe = load_universe()
    frame.insert(1, "name", frame["ticker"].map(universe["name"]).fillna(""))
    frame.insert(2, "group", frame["ticker"].map(universe["group"]).fillna(""))
    if fmt is Format.json:
        typer.echo(frame.to_json(orient="records", indent=1))
    elif fmt is Format.csv:
        from research.export import to_csv

        typer.echo(to_csv(frame), nl=False)
    else:
        from research.report import table

        shown = frame.drop(columns=["source", "retrieved_at"])  # in csv and json
        typer.echo(table(shown, f"Stored prices in {store.root}"))


# ------------------------------------------------------------------------------------------
@app.command()
def run(
    event: EventOpt = None,
    date: DateOpt = None,
    tickers: TickersOpt = None,
    group: Annotated[
        list[str] | None,
        typer.Option(
            "--group",
            help="Group from data/universe.csv (repeatable; 'property' = all property groups).",
        ),
    ] = None,
    benchmark: BenchmarkOpt = None,
    model: Annotated[ModelName, typer.Option(help="Normal-return model.")] = ModelName.market,
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
    min_obs: Annotated[
        int | None,
        typer.Option(help="Fewest usable estimation days (default: half the estimation window)."),
    ] = None,
    other_events: Annotated[
        OtherEvents,
        typer.Option(
            help="'mask' keeps other events' windows out of estimation; 'keep' leaves them in."
        ),
    ] = OtherEvents.mask,
    tests: Annotated[
        Tests, typer.Option(help="Tests shown in the table (JSON and CSV carry all).")
    ] = Tests.headline,
    bootstrap: Annotated[
        int, typer.Option(min=0, help="Bootstrap replications for CAAR intervals.")
    ] = 1000,
    catalogue: CatalogueOpt = None,
    fmt: ExportFormatOpt = ExportFormat.table,
    level: Annotated[
        str,
        typer.Option(
            help="The table csv and parquet hold: security (per stock and event day), day "
            "(per cohort and event day: AAR, CAAR, tests, band) or window (per cohort and CAR "
            "window: CAAR, BHAR, interval, tests)."
        ),
    ] = "security",
    output: OutputOpt = None,
) -> None:
    """Run an event study. With no events and no securities: the headline study.

    Example: eventstudy run --event lpr-cut --group mainland-developer --window -1,1
    (windows are two relative days, or two dates: --window 2023-06-19,2023-06-21).
    """
    import json

    from research.analysis import run_study
    from research.inference import TEST_NAMES

    requests = _study_requests(
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
        car_windows=tuple(_window(c, "CAR window") for c in car_window or ()),
        returns=returns.value,
        mixed_markets=mixed_markets,
        min_obs=min_obs,
        other_events=other_events.value,
        bootstrap=bootstrap,
    )
    results = [run_study(r) for r in requests]
    if fmt is ExportFormat.table:
        shown = TEST_NAMES if tests is Tests.all else None
        _emit("\n\n".join(str(r.summary(shown)) for r in results), output)
        return
    docs = [r.to_dict() for r in results]
    payload = docs[0] if len(docs) == 1 else {"studies": docs}
    text = json.dumps(payload, indent=1, allow_nan=False, default=str)
    _export(study_tables(results), fmt, level, text, output, "Event study")


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
    catalogue: CatalogueOpt = None,
    fmt: ExportFormatOpt = ExportFormat.table,
    level: Annotated[
        str,
        typer.Option(
            help="The table csv and parquet hold: coefficients, windows, wald, placebo or panel."
        ),
    ] = "coefficients",
    output: OutputOpt = None,
) -> None:
    """Dummy-variable event regressions, placebo inference and the group panel.

    Example: eventstudy regress --event lpr-cut --group mainland-developer --group
    hk-developer --long-short mainland-developer,hk-developer --panel --window 0,0 --hac
    """
    import json

    from research.analysis import run_regressions
    from research.errors import EventStudyError
    from research.hk2023 import HEADLINE_EVENTS
    from research.requests import RegressionRequest

    pair = None
    if long_short:
        parts = _split([long_short])
        if len(parts) != 2:
            raise EventStudyError("--long-short takes two groups separated by a comma.")
        pair = (parts[0], parts[1])
    request = RegressionRequest(
        events=_split(event) if (event or date) else HEADLINE_EVENTS,
        dates=tuple(date or ()),
        tickers=_split(tickers),
        groups=_split(group),
        benchmarks=_split(benchmark) if benchmark else None,
        window=_window(window, "event window"),
        estimation=_window(estimation, "estimation window"),
        cov_type="hac" if hac else "classical",
        maxlags=maxlags,
        long_short=pair,
        panel=panel,
        base_group=base,
        placebo_draws=placebo,
        returns=returns.value,
        market=market,
        mixed_markets=mixed_markets,
        catalogue=str(catalogue) if catalogue else None,
    )
    report = run_regressions(request)
    if fmt is ExportFormat.table:
        _emit(report.summary(), output)
        return
    text = json.dumps(report.to_dict(), indent=1, allow_nan=False, default=str)
    _export(report.tables(), fmt, level, text, output, "Event regressions")


@app.command()
def report(
    out: Annotated[Path, typer.Option("--out", help="The HTML file to write.")],
    event: EventOpt = None,
    date: DateOpt = None,
    tickers: TickersOpt = None,
    group: Annotated[
        list[str] | None, typer.Option("--group", help="Group from data/universe.csv.")
    ] = None,
    benchmark: BenchmarkOpt = None,
    model: Annotated[ModelName, typer.Option(help="Normal-return model.")] = ModelName.market,
    window: WindowOpt = "-1,1",
    estimation: EstimationOpt = "-250,-11",
    market: MarketOpt = None,
    title: Annotated[str, typer.Option(help="The page's title.")] = "Event study report",
) -> None:
    """Write one self-contained HTML page (alignment, estimation, headline tables, CAAR
    figure with bands, each stock's abnormal returns, notes); no network needed to open it.

    Example: eventstudy report --event lpr-cut --group mainland-developer --out report.html
    (with no events and no securities: the headline study).
    """
    from research.analysis import run_study
    from research.export import write_output
    from research.html_report import report_page

    requests = _study_requests(
        event, date, tickers, group, benchmark, model, window, estimation, market, None
    )
    results = [run_study(r) for r in requests]
    write_output(report_page(results, title), out)
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
    from research.errors import EventStudyError
    from research.hk2023 import FIGURE_NAMES, build_all

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


@app.command()
def correlate(
    a: Annotated[
        str, typer.Option("--a", help="Group (equal-weighted) or ticker.")
    ] = "mainland-developer",
    b: Annotated[str, typer.Option("--b", help="Group or ticker to correlate with.")] = "^HSI",
    window: Annotated[
        int, typer.Option(help="Sessions before and after day 0 (and rolling window).")
    ] = 60,
    event: Annotated[str, typer.Option("--event", help="Catalogue event id.")] = "lpr-cut",
    cross_market: Annotated[
        bool,
        typer.Option(
            "--cross-market", help="Also each market's reaction on its own day-0 session."
        ),
    ] = False,
    placebo: Annotated[int, typer.Option(help="Random break dates for placebo p-values.")] = 500,
    catalogue: CatalogueOpt = None,
    fmt: ExportFormatOpt = ExportFormat.table,
    level: Annotated[
        str,
        typer.Option(help="The table csv and parquet hold: change, rolling or cross_market."),
    ] = "change",
    output: OutputOpt = None,
) -> None:
    """Correlation and beta of a with b before and after an event; cross-market reactions.

    Example: eventstudy correlate --a mainland-developer --b ^HSI --event lpr-cut --window 60
    """
    import json

    from research.analysis import correlate as run_correlate
    from research.analysis import cross_market_reactions
    from research.errors import EventStudyError
    from research.hk2023 import CROSS_MARKETS

    if window < 10:
        raise EventStudyError(f"--window {window} is too short; use at least 10 sessions.")
    cat = str(catalogue) if catalogue else None
    res = run_correlate(a, b, event, window, placebo, catalogue=cat)
    cross = cross_market_reactions(event, CROSS_MARKETS, catalogue=cat) if cross_market else None
    if fmt is ExportFormat.table:
        _emit("\n\n".join([res.summary(), *([cross.summary()] if cross else [])]), output)
        return
    doc = {"change": res.to_dict(), "cross_market": cross.to_dict() if cross else None}
    tables = {"change": res.to_frame(), "rolling": res.rolling_frame()}
    if cross is not None:
        tables["cross_market"] = cross.table
    text = json.dumps(doc, indent=1, allow_nan=False, default=str)
    _export(tables, fmt, level, text, output, "Correlation around an event")


@app.command()
def bench(
    small: Annotated[bool, typer.Option("--small", help="Only 100 and 1,000 firm-events.")] = False,
) -> None:
    """Time the engine against a statsmodels loop and the PyPI peer; one JSON line per size.

    Example: eventstudy bench --small
    """
    import json

    from research.speed import SIZES, bench_placebo, main_lines, startup_times

    main_lines(SIZES[:2] if small else SIZES)
    typer.echo(json.dumps(bench_placebo(2000 if small else 10_000)))
    typer.echo(json.dumps(startup_times()))


def main() -> None:
    """Console entry point: user errors print one sentence and exit 2; usage errors exit 2."""
    from research.errors import EventStudyError

    try:
        app()  # standalone: typer reports usage errors itself and exits 2
    except EventStudyError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)


def study_tables(results) -> dict:
    """The tables of one or more studies (a ``model`` column tells them apart)."""
    import pandas as pd

    def stack(name):
        frames = [
            getattr(r, name).assign(model=r.settings.model)
            for r in results
            if getattr(r, name) is not None and len(getattr(r, name))
        ]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    names = {
        "day": "day_tests",
        "window": "window_tests",
        "security": "abnormal",
        "security_windows": "security_windows",
        "estimation": "estimation",
        "alignment": "alignment",
        "dropped": "dropped",
        "quality": "quality",
        "incomplete_windows": "incomplete_windows",
    }
    tables = {key: stack(attr) for key, attr in names.items()}
    keep = ("day", "window", "security")  # always there (csv --level), even when empty
    return {k: v for k, v in tables.items() if k in keep or not v.empty}


def _study_requests(
    event, date, tickers, group, benchmark, model, window, estimation, market, catalogue, **extra
) -> list:
    """The studies a command asks for: the headline study when it names no event and no
    security, else one study from its options."""
    from dataclasses import replace

    from research.hk2023 import headline_requests
    from research.requests import StudyRequest

    if not (event or date or tickers or group):
        requests = headline_requests()
    else:
        requests = [
            StudyRequest(
                events=_split(event),
                dates=tuple(date or ()),
                tickers=_split(tickers),
                groups=_split(group),
                benchmarks=_split(benchmark) if benchmark else None,
                model=model.value,
                window=_window(window, "event window"),
                estimation=_window(estimation, "estimation window"),
                market=market,
                **extra,
            )
        ]
    if catalogue is not None:
        requests = [replace(r, catalogue=str(catalogue)) for r in requests]
    return requests
