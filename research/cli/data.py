"""``eventstudy data``: import, fetch and list stored prices (part of :mod:`research.cli.commands`).

A thin typer layer over :mod:`research.data.store`, :mod:`research.data.prices`,
:mod:`research.data.yahoo` and :mod:`research.data.sample`; heavy libraries are imported inside
the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from research.cli.options import Format

data_app = typer.Typer(no_args_is_help=True, help="Import, fetch and list stored prices.")


@data_app.command("import")
def data_import(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(metavar="PATH", help="CSV files or folders of CSV files."),
    ] = None,
    sample: Annotated[
        bool,
        typer.Option("--sample", help="Import the embedded sample of the case study instead."),
    ] = False,
    market: Annotated[
        str | None,
        typer.Option(
            "--market",
            metavar="CODE",
            help="The exchange of every file imported (HKEX, NYSE, LSE, ...): needed for a "
            "series no suffix or universe entry places, such as an index under its own name.",
        ),
    ] = None,
) -> None:
    """Import Yahoo-style CSV files (the ticker is the file name) into the store.

    Each series' exchange is recorded: from --market, the universe, an unambiguous suffix
    (.HK), or its own trading days when one exchange's calendar alone fits them; a series
    none of these places is refused.  Example: eventstudy data import ../shared/data/market
    (or: eventstudy data import --sample; eventstudy data import HSPROP.csv --market HKEX).
    """
    from research.data import quality
    from research.data.store import PriceStore
    from research.errors import EventStudyError, MalformedFileError

    if sample or not paths:
        if paths or not sample:
            raise EventStudyError("Give CSV files or folders to import, or --sample (not both).")
        from research.data.sample import SampleStore, manifest

        store, embedded = PriceStore(), SampleStore()
        first, last = manifest()["span"]
        items = []
        for ticker in embedded.tickers():
            item = embedded.parsed(ticker)
            item.notes.extend(quality.import_notes(item.frame, ticker))
            items.append((item, f"embedded sample {first}..{last}"))
        for info in store.save_many(items):
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
    from research.data.importing import checked_files
    from research.output.report import bullets
    from research.progress import steps

    store = PriceStore()
    infos = store.save_many(checked_files(files, market, steps(files, "reading")))
    for info in infos:
        line = f"{info.ticker:<10} {info.rows:>6} rows {info.first}..{info.last}"
        typer.echo(bullets(line, list(info.notes)) if info.notes else line)
    typer.echo(f"imported {len(infos)} file(s) into {store.root}", err=True)


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

    A stored ticker is extended on the download's adjustment basis: the download must
    share a date with what is stored (a start inside the stored span), and the stored rows
    outside it are rescaled when a dividend or split has changed the basis since.  With no
    network the command stops at the first ticker, in one sentence.

    Example: eventstudy data fetch --all   (the universe over the case study's span), or
    eventstudy data fetch 0016.HK ^HSI --start 2022-01-01 --end 2024-01-01.
    """
    import pandas as pd
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from research.data import yahoo
    from research.data.adjustment import no_overlap_message
    from research.data.events import parse_timestamp
    from research.data.store import PriceStore
    from research.data.universe import group_tickers, load_universe
    from research.errors import DataError, DownloadError, EventStudyError
    from research.progress import shown as progress_shown

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
    # a stored ticker whose requested span cannot overlap what is stored is not downloaded
    failed: dict[str, str] = {}
    first_day, last_day = pd.Timestamp(start), pd.Timestamp(end) - pd.Timedelta(days=1)
    for ticker in tickers:
        if ticker in store:
            try:
                info = store.info(ticker)
            except DataError:
                continue
            stored = (pd.Timestamp(info.first), pd.Timestamp(info.last))
            if first_day > stored[1] or last_day < stored[0]:
                failed[ticker] = no_overlap_message(
                    ticker, stored, (first_day, last_day), "The requested span"
                )
    wanted = [t for t in tickers if t not in failed]
    unreachable: yahoo.ServiceUnreachableError | None = None
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=False,
        disable=not progress_shown(),
    ) as progress:
        task = progress.add_task("downloading", total=len(wanted))

        def tick(ticker: str, status: str) -> None:
            progress.update(task, advance=1, description=f"{ticker} {status}")

        try:
            done, failed_now = yahoo.fetch(wanted, start, end, retries, on_progress=tick)
        except yahoo.ServiceUnreachableError as exc:
            unreachable, done, failed_now = exc, exc.downloaded, {}
    failed.update(failed_now)
    merged = []
    for ticker, parsed in done.items():
        try:
            merged.append((store.merged(parsed), f"yfinance {start}..{end} (end exclusive)"))
        except DataError as exc:  # no overlap with the stored prices: that ticker only
            failed[ticker] = str(exc)
    for info in store.save_many(merged):  # one segment for the whole download
        typer.echo(f"{info.ticker:<10} {info.rows:>6} rows {info.first}..{info.last}")
    for ticker, message in failed.items():
        typer.echo(f"{ticker}: {message}", err=True)
    if unreachable is not None:
        raise unreachable
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

    from research.data.store import PriceStore

    store = PriceStore()
    rows = [store.info(t) for t in store.tickers()]
    if not rows:
        typer.echo(f"The store {store.root} is empty; run `eventstudy data import PATH`.", err=True)
        return
    frame = pd.DataFrame([r.as_dict() for r in rows])[
        ["ticker", "market", "first", "last", "rows", "adjusted", "retrieved_at", "source"]
    ]
    from research.data.universe import load_universe

    universe = load_universe()
    frame.insert(1, "name", frame["ticker"].map(universe["name"]).fillna(""))
    frame.insert(2, "group", frame["ticker"].map(universe["group"]).fillna(""))
    if fmt is Format.json:
        typer.echo(frame.to_json(orient="records", indent=1))
    elif fmt is Format.csv:
        from research.output.export import to_csv

        typer.echo(to_csv(frame), nl=False)
    else:
        from research.output.report import table

        shown = frame.drop(columns=["source", "retrieved_at"])  # in csv and json
        # the ticker is the key: at 80 columns two parts repeat it, not four repeating
        # its name, group and market too
        typer.echo(table(shown, f"Stored prices in {store.root}", keys=1))
        typer.echo("Where each came from and when: --format csv or --format json.")


# ------------------------------------------------------------------------------------------


@data_app.command("verify")
def data_verify() -> None:
    """Check every stored byte against its SHA-256 (each file, each ticker's prices).

    Reading already checks each page's CRC and each file's footer; this reads everything.
    Example: eventstudy data verify
    """
    from research.data.store import PriceStore
    from research.errors import StoreCorruptedError

    store = PriceStore()
    problems = store.verify()
    if problems:
        for problem in problems:
            typer.echo(problem, err=True)
        raise StoreCorruptedError(
            f"{len(problems)} problem(s) in the store {store.root}; re-import the tickers "
            "named with `eventstudy data import FILE` or `eventstudy data fetch`."
        )
    typer.echo(f"{len(store.tickers())} ticker(s) in {store.root}: every checksum matches")


@data_app.command("export")
def data_export(
    tickers: Annotated[
        list[str] | None, typer.Argument(metavar="TICKER", help="Stored tickers (default: all).")
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", metavar="DIR", help="Folder for the CSV files.")
    ] = Path("."),
) -> None:
    """Write stored prices as CSV files (one per ticker, Yahoo's single-header layout:
    Date,Open,High,Low,Close,Adj Close,Volume) that `eventstudy data import` reads back
    unchanged, with the exchange given by --market where the ticker does not name it.

    Example: eventstudy data export 0016.HK ^HSI --out prices/
    """
    from research.data.prices import price_csv
    from research.data.store import PriceStore

    store = PriceStore()
    chosen = list(dict.fromkeys(tickers or store.tickers()))
    store.require(chosen)
    out.mkdir(parents=True, exist_ok=True)
    panel = store.load_panel(chosen)
    from research.files import atomic_write

    for ticker in chosen:
        atomic_write(out / f"{ticker}.csv", price_csv(panel.frame(ticker)).encode("utf-8"))
    typer.echo(f"exported {len(chosen)} ticker(s) to {out}", err=True)
