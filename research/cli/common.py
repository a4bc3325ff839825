"""What the commands share: writing their output, reading their options, and the studies
they ask for (the headline study when they name no event and no security).
"""

from __future__ import annotations

from pathlib import Path

import typer

from research.cli.options import ExportFormat

__all__ = [
    "default_level",
    "emit",
    "export_tables",
    "split_ids",
    "study_requests",
    "study_tables",
    "window_option",
]


def emit(text: str, output: Path | None) -> None:
    """Print ``text``, or write it to ``output`` and say so on stderr."""
    if output is None:
        typer.echo(text)
        return
    from research.output.export import write_output

    write_output(text, output)
    typer.echo(f"wrote {output}", err=True)


def export_tables(
    tables: dict,
    fmt: ExportFormat,
    level: str,
    json_text: str | None,
    output: Path | None,
    title: str,
    *,
    settings=None,
    notes: list[str] | None = None,
) -> None:
    """Write the tables of a command in a data format (not ``table``).

    ``settings`` (a mapping, or a frame with one row per study) and ``notes`` are what
    produced the tables and the notes on them: xlsx puts them on its first and last sheets
    (:func:`research.output.export.to_xlsx`), the other formats leave them out.
    """
    from research.errors import EventStudyError
    from research.output.export import BINARY_FORMATS, render, write_output

    if fmt.value in BINARY_FORMATS and output is None:
        raise EventStudyError(f"--format {fmt.value} writes a file: give --output FILE.")
    data = render(tables, fmt.value, level, json_text, title, settings=settings, notes=notes)
    if output is None:
        typer.echo(data, nl=not str(data).endswith("\n"))
        return
    write_output(data, output)
    typer.echo(f"wrote {output}", err=True)


def split_ids(values: list[str] | None) -> tuple[str, ...]:
    """Repeated and comma-separated option values as one tuple (``--group a,b --group c``)."""
    out: list[str] = []
    for v in values or []:
        out += [x.strip() for x in v.split(",") if x.strip()]
    return tuple(out)


def window_option(text: str, what: str) -> tuple:
    """A window option (two relative days or two dates) as a tuple, refused with one
    sentence when malformed (:func:`research.analyses.requests.parse_window`).
    """
    from research.analyses.requests import parse_window

    return parse_window(text, what)


def study_tables(results) -> dict:
    """The tables of one or more studies (a ``model`` column tells them apart)."""
    import pandas as pd

    from research.output.records import measure_columns

    def stack(name):
        frames = [
            measure_columns(getattr(r, name), r.settings.measure).assign(model=r.settings.model)
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
    volatility = [r for r in results if r.settings.measure == "volatility"]
    if volatility:  # the volatility study's own tables
        from research.estimation.garch_tables import cohort_garch

        tables["volatility"] = pd.concat([r.volatility for r in volatility], ignore_index=True)
        tables["variance_ratios"] = pd.concat(
            [r.variance_ratios for r in volatility], ignore_index=True
        )
        tables["garch"] = pd.concat([cohort_garch(r) for r in volatility], ignore_index=True)
        keep += ("volatility",)
    return {k: v for k, v in tables.items() if k in keep or not v.empty}


def default_level(results) -> str:
    """The raw table a data format writes when ``--level`` names none: each stock's
    abnormal returns, or a volatility study's cohort tests.
    """
    if any(r.settings.measure == "volatility" for r in results):
        return "volatility"
    return "security"


def study_requests(
    event, date, tickers, group, benchmark, model, window, estimation, market, catalogue, **extra
) -> list:
    """The studies a command asks for: the headline study when it names no event and no
    security, else one study from its options.
    """
    from dataclasses import replace

    from research.analyses.requests import StudyRequest
    from research.cases.hk2023 import headline_requests

    pairs = extra.pop("pairs", None)
    if pairs is not None:
        extra["pairs"] = str(pairs)
    if not (event or date or tickers or group or pairs is not None):
        # the headline's events and securities, with every other option as given (the
        # defaults reproduce the headline exactly); the index's own study keeps its model
        options = dict(
            window=window_option(window, "event window"),
            estimation=window_option(estimation, "estimation window"),
            market=market,
            **extra,
        )
        first, index = headline_requests()
        first = replace(
            first,
            model=model.value if model else first.model,
            # a volume study's benchmark is the market's log volume, not the HSI's returns
            benchmarks=split_ids(benchmark)
            if benchmark
            else (None if extra.get("measure") == "volume" else first.benchmarks),
            **options,
        )
        requests = [first, replace(index, **options)]
    else:
        requests = [
            StudyRequest(
                events=split_ids(event),
                dates=tuple(date or ()),
                tickers=split_ids(tickers),
                groups=split_ids(group),
                benchmarks=split_ids(benchmark) if benchmark else None,
                model=model.value if model else None,
                window=window_option(window, "event window"),
                estimation=window_option(estimation, "estimation window"),
                market=market,
                **extra,
            )
        ]
    if catalogue is not None:
        requests = [replace(r, catalogue=str(catalogue)) for r in requests]
    return requests
