"""The options and choices the ``eventstudy`` commands share, declared once (typer
``Annotated`` aliases and enums); part of :mod:`research.cli.commands`.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer


class Format(StrEnum):
    """Output formats of ``data list``."""

    table = "table"
    csv = "csv"
    json = "json"


class ExportFormat(StrEnum):
    """Output formats of the commands that write results."""

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
    "the zone where it happened, e.g. '2024-02-05 America/New_York'. A time without an offset "
    "is the exchange's; a date alone is taken as 09:00 where it happened."
)
EventOpt = Annotated[
    list[str] | None,
    typer.Option("--event", metavar="ID", help="Catalogue event id (repeatable)."),
]
DateOpt = Annotated[list[str] | None, typer.Option("--date", metavar="DATE", help=DATE_HELP)]
GroupOpt = Annotated[
    list[str] | None, typer.Option("--group", help="Group from data/universe.csv.")
]
PairsOpt = Annotated[
    Path | None,
    typer.Option(
        "--pairs",
        metavar="FILE",
        help="Firm-event pairs, CSV or xlsx: one row per firm-event with ticker and date, "
        "optionally group, event (the type pooled) and benchmark (docs/own-study.md).",
    ),
]
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
        help="Event window: two relative days (-1,1) or two dates (2024-03-18,2024-03-20).",
    ),
]
EstimationOpt = Annotated[
    str,
    typer.Option(
        metavar="A,B",
        help="Estimation window: two relative days (-250,-11) or two dates "
        "(2024-04-01,2025-03-31); it must end before the event window.",
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
MinObsOpt = Annotated[
    int | None,
    typer.Option(
        help="Fewest usable estimation days of a firm-event or regressed series (default: half "
        "the estimation window)."
    ),
]
CatalogueOpt = Annotated[
    Path | None,
    typer.Option(metavar="FILE", help="An event catalogue CSV (default: data/events.csv)."),
]
ExportFormatOpt = Annotated[ExportFormat, typer.Option("--format", help=FORMAT_HELP)]
OutputOpt = Annotated[Path | None, typer.Option(metavar="FILE", help="Write to this file instead.")]


class Returns(StrEnum):
    """What the returns are: simple or log."""

    simple = "simple"
    log = "log"


class ModelName(StrEnum):
    """The normal-return models (:mod:`research.estimation.models`)."""

    constant_mean = "constant-mean"
    market_adjusted = "market-adjusted"
    market = "market"
    multi_index = "multi-index"
    dimson = "dimson"
    garch_market = "garch-market"


ModelOpt = Annotated[
    ModelName | None,
    typer.Option(
        help="Normal-return model (default: market for returns, constant-mean, i.e. "
        "mean-adjusted, for volume)."
    ),
]


class Measure(StrEnum):
    """What a study measures: returns, or trading volume."""

    returns = "returns"
    volume = "volume"
    volatility = "volatility"


MeasureOpt = Annotated[
    Measure,
    typer.Option(
        "--measure",
        help="returns (default); volume: abnormal log volume (a day without trading has "
        "none), mean-adjusted over the estimation window or a market model on the market's "
        "log volume; volatility: the abnormal returns' variance ratios AR^2/s^2 and their "
        "tests.",
    ),
]


class Tests(StrEnum):
    """Which tests the table shows: the study's headline tests or all."""

    headline = "headline"
    all = "all"


class ThinTrading(StrEnum):
    """The return after a session without a price: excluded, or kept trade to trade."""

    exclude = "exclude"
    trade_to_trade = "trade-to-trade"


ThinTradingOpt = Annotated[
    ThinTrading,
    typer.Option(
        "--thin-trading",
        help="The return after sessions without a price: 'exclude' it (default), or keep it "
        "as a 'trade-to-trade' return over the sessions it spans, its variance scaled by "
        "their number (Maynes & Rumsey 1993).",
    ),
]


class OtherEvents(StrEnum):
    """Other firm-events' windows in an estimation window: masked or kept."""

    mask = "mask"
    keep = "keep"
