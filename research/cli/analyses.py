"""The commands built on a study: ``eventstudy correlate`` (correlation change around an
event, or every stored market's reaction) and ``eventstudy bench`` (the speed benchmark).
Registered on the application by :mod:`research.cli.commands`.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from research.cli.common import emit, export_tables
from research.cli.options import (
    CatalogueOpt,
    ExportFormat,
    ExportFormatOpt,
    MarketOpt,
    MixedOpt,
    OutputOpt,
)

__all__ = ["bench", "correlate"]


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
    market: MarketOpt = None,
    mixed_markets: MixedOpt = False,
    fmt: ExportFormatOpt = ExportFormat.table,
    level: Annotated[
        str | None,
        typer.Option(
            help="The raw table to write: change (the default of csv and parquet), rolling "
            "or cross_market. Without it, latex, markdown and html give the tables of the "
            "terminal with their notes."
        ),
    ] = None,
    output: OutputOpt = None,
) -> None:
    """Correlation and beta of a with b before and after an event; cross-market reactions.

    Example: eventstudy correlate --a mainland-developer --b ^HSI --event lpr-cut --window 60
    """
    import json

    from research.analyses.correlation import correlate as run_correlate
    from research.analyses.regressions import cross_market_reactions
    from research.cases.hk2023 import CROSS_MARKETS
    from research.errors import EventStudyError

    if window < 10:
        raise EventStudyError(f"--window {window} is too short; use at least 10 sessions.")
    cat = str(catalogue) if catalogue else None
    res = run_correlate(
        a, b, event, window, placebo, catalogue=cat, market=market, mixed_markets=mixed_markets
    )
    cross = cross_market_reactions(event, CROSS_MARKETS, catalogue=cat) if cross_market else None
    if fmt is ExportFormat.table:
        emit("\n\n".join([res.summary(), *([cross.summary()] if cross else [])]), output)
        return
    if fmt.value in ("latex", "markdown", "html") and level is None:
        from research.output.paper import render_summaries

        shown = res.paper_summary()
        if cross is not None:
            shown.tables.append(cross.paper_table())
        emit(render_summaries([shown], fmt.value, "Correlation around an event"), output)
        return
    doc = {"change": res.to_dict(), "cross_market": cross.to_dict() if cross else None}
    tables = {"change": res.to_frame(), "rolling": res.rolling_frame()}
    if cross is not None:
        tables["cross_market"] = cross.table
    text = json.dumps(doc, indent=1, allow_nan=False, default=str)
    import shlex

    from research import __version__

    settings = {
        "a": a,
        "b": b,
        "event": event,
        "window": window,
        "market": market or "the series' own exchange (notes)",
        "mixed_markets": mixed_markets,
        "placebo": placebo,
        "cross_market": cross_market,
        "catalogue": cat,
        "command": shlex.join(["eventstudy", *sys.argv[1:]]),
        "version": __version__,
    }
    export_tables(
        tables,
        fmt,
        level or "change",
        text,
        output,
        "Correlation around an event",
        settings=settings,
        notes=list(res.notes),
    )


def bench(
    small: Annotated[bool, typer.Option("--small", help="Only 100 and 1,000 firm-events.")] = False,
) -> None:
    """Time the engine against a statsmodels loop and the PyPI peer; one JSON line per size.

    Example: eventstudy bench --small
    """
    import json

    from research.analyses.speed import SIZES, bench_placebo, main_lines, startup_times

    main_lines(SIZES[:2] if small else SIZES)
    typer.echo(json.dumps(bench_placebo(2000 if small else 10_000)))
    typer.echo(json.dumps(startup_times()))
