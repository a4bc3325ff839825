"""What a user asks for, before anything is loaded: the requests of ``run`` and ``regress``.

A request holds ids, tickers and windows as a user types them (``"-1,1"`` or a tuple,
two dates); :mod:`research.analyses.analysis` resolves it against the catalogue, the universe and
the price store.  The fields both commands share are declared once, in
:class:`Request`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from research.config import DEFAULT_SEED
from research.errors import WindowError
from research.estimation.windows import check_window

__all__ = ["RegressionRequest", "Request", "StudyRequest", "parse_window", "request_from"]


@dataclass
class Request:
    """What every request holds: the events, the securities, the windows, the market."""

    events: tuple[str, ...] = ()
    dates: tuple[str, ...] = ()
    tickers: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    benchmarks: tuple[str, ...] | None = None  # None: the market's index (resolve_market)
    window: tuple = (-1, 1)
    estimation: tuple = (-250, -11)
    returns: str = "simple"
    market: str | None = None  # None: the exchange of the tickers (resolve_market)
    mixed_markets: bool = False
    seed: int = DEFAULT_SEED
    catalogue: str | None = None
    min_obs: int | None = None  # fewest usable estimation days (windows.min_usable_days)


@dataclass
class StudyRequest(Request):
    """A study as a user describes it (``eventstudy run``,
    :func:`research.analyses.analysis.run_study`).
    """

    model: str | None = None  # None: market (returns), constant-mean (volume)
    measure: str = "returns"  # or volume: abnormal log volume (research.data.volume)
    car_windows: tuple = ()
    pairs: object = None  # firm-event pairs: a CSV/xlsx path or a frame (research.data.pairs)
    other_events: str = "mask"
    bootstrap: int = 0  # > 0: a percentile bootstrap of the firm-events instead
    thin_trading: str = "exclude"  # or trade-to-trade (research.data.inputs.build_inputs)


@dataclass
class RegressionRequest(Request):
    """The ``eventstudy regress`` inputs (:func:`research.analyses.regressions.run_regressions`)."""

    cov_type: str = "classical"
    maxlags: int | None = None
    long_short: tuple[str, str] | None = None
    panel: bool = False
    base_group: str | None = None
    placebo_draws: int = 1000


def parse_window(value, what: str = "window") -> tuple:
    """A window as two relative days (``-1,1``, ``(-1, 1)``) or two dates
    (``2024-03-18,2024-03-20``); refuses anything else with one sentence.
    """
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",")]
    else:
        try:
            parts = list(value)
        except TypeError:
            parts = [value]
    if len(parts) != 2:
        raise WindowError(
            f"The {what} {value!r} must be two values, e.g. -1,1 or (-1, 1) or two dates."
        )
    try:
        a, b = (int(str(p).strip()) for p in parts)
    except ValueError:
        pass
    else:
        return check_window((a, b), what)
    from research.data.events import parse_timestamp

    for p in parts:
        parse_timestamp(str(p), "UTC")  # raises a clear error for non-dates
    a, b = (str(p).strip() for p in parts)
    if pd.Timestamp(b) < pd.Timestamp(a):
        raise WindowError(f"The {what} {value!r} ends before it starts.")
    return a, b


_SEQUENCES = ("events", "dates", "tickers", "groups", "benchmarks")


def request_from(kwargs: dict) -> StudyRequest:
    """A :class:`StudyRequest` from keyword arguments as a user types them: one id or ticker
    as a plain string, windows as ``"-1,1"`` or tuples.
    """
    fields = {}
    for key, val in kwargs.items():
        if key in _SEQUENCES:
            val = (val,) if isinstance(val, str) else tuple(val)
        elif key in ("window", "estimation"):
            val = parse_window(val, key.replace("estimation", "estimation window"))
        elif key == "car_windows":
            val = tuple(parse_window(v, "CAR window") for v in val)
        fields[key] = val
    return StudyRequest(**fields)
