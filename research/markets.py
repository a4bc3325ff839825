"""Exchanges: their calendars, time zones and the sessions a study may use.

A *session* is a trading day of one exchange.  The sessions a study uses are
those of the exchange calendar (``exchange_calendars``) intersected with the
days on which the price data actually trade, because calendars miss ad-hoc
closures (HKEX cancels trading for typhoons and rainstorms, and ``exchange_calendars``
lists some of those days as sessions).  The documented closures, early closes and late
opens, with their sources, are in ``research/data/markets.json``; they are also applied
when no price data are at hand.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from research.errors import EventStudyError, OptionError


@dataclass(frozen=True)
class Market:
    """One exchange.

    Attributes
    ----------
    code
        The name users type (``HKEX``).
    calendar
        The ``exchange_calendars`` code (``XHKG``).
    timezone
        IANA time zone of the exchange.
    reference
        A ticker that trades on every session; its stored trading days define
        the data sessions when a command has no other price data at hand.
    closures
        Whole-day closures the calendar library does not know (ISO dates).
    early_closes
        Sessions whose trading ended early for reasons the calendar does not
        know, as ISO date -> local ``HH:MM`` close.
    late_opens
        Sessions whose morning was cancelled, as ISO date -> local ``HH:MM`` open.
    """

    code: str
    calendar: str
    timezone: str
    reference: str
    closures: tuple[str, ...] = ()
    early_closes: tuple[tuple[str, str], ...] = ()
    late_opens: tuple[tuple[str, str], ...] = ()


MARKETS_FILE = Path(__file__).with_name("data") / "markets.json"


@cache
def _markets() -> tuple[Market, ...]:
    """The exchanges of ``research/data/markets.json`` (with the closures, early closes
    and late opens the calendar libraries miss, and their sources).
    """
    entries = json.loads(MARKETS_FILE.read_text(encoding="utf-8"))["markets"]
    return tuple(
        Market(
            e["code"],
            e["calendar"],
            e["timezone"],
            e["reference"],
            closures=tuple(e.get("closures", ())),
            early_closes=tuple(tuple(x) for x in e.get("early_closes", ())),
            late_opens=tuple(tuple(x) for x in e.get("late_opens", ())),
        )
        for e in entries
    )


# bump when the cached sessions' layout changes
CALENDAR_CACHE_FORMAT = 1


def market_codes() -> list[str]:
    """The exchange codes the package knows."""
    return [m.code for m in _markets()]


def get_market(code: str) -> Market:
    """Look up an exchange by code (case-insensitive).

    Raises
    ------
    OptionError
        If the code is unknown.
    """
    for market in _markets():
        if market.code == code.upper():
            return market
    raise OptionError(f"Unknown market {code!r}: use one of {', '.join(market_codes())}.")


def market_of_ticker(ticker: str) -> str:
    """Guess a ticker's exchange from its Yahoo suffix (``.HK`` -> HKEX)."""
    suffixes = {".HK": "HKEX", ".SS": "SSE", ".SZ": "SZSE", ".T": "TSE", ".KS": "KRX", ".SI": "SGX"}
    indices = {"^HSI": "HKEX", "^HSCE": "HKEX", "^N225": "TSE", "^KS11": "KRX", "^STI": "SGX"}
    if ticker in indices:
        return indices[ticker]
    for suffix, code in suffixes.items():
        if ticker.upper().endswith(suffix):
            return code
    suffix = ticker.rsplit(".", 1)[1] if "." in ticker.lstrip("^") else ""
    if suffix and not suffix.isdigit():  # BRK.B-style share classes have letters, not exchanges
        if len(suffix) <= 2 and suffix.upper() in ("A", "B", "C"):
            return "NYSE"
        raise EventStudyError(
            f"The exchange of {ticker} (suffix .{suffix}) is not known here; add the ticker "
            "to the universe file with its market, or name the exchange with market= "
            "(--market)."
        )
    return "NYSE"


def market_sessions(
    market: Market | str,
    start: str | pd.Timestamp,
    end: str | pd.Timestamp,
    trading_days: pd.DatetimeIndex | None = None,
) -> pd.DataFrame:
    """Sessions of an exchange between two dates, with their open and close.

    Parameters
    ----------
    market
        A :class:`Market` or its code.
    start, end
        First and last calendar date to cover (inclusive).
    trading_days
        Dates on which the price data trade.  Inside their span a session must
        also be a trading day; outside it the calendar alone decides.

    Returns
    -------
    pandas.DataFrame
        Indexed by session date (tz-naive), columns ``open`` and ``close``
        (tz-aware, exchange time) and ``source`` ("calendar+data" or
        "calendar").
    """
    if isinstance(market, str):
        market = get_market(market)
    start = pd.Timestamp(start).normalize()
    end = pd.Timestamp(end).normalize()
    frame = _calendar_sessions(market, start, end).copy()
    if trading_days is not None and len(trading_days):
        days = pd.DatetimeIndex(trading_days).normalize()
        inside = (frame.index >= days.min()) & (frame.index <= days.max())
        keep = ~inside | frame.index.isin(days)
        frame = frame.loc[keep].copy()
        frame.loc[frame.index >= days.min(), "source"] = "calendar+data"
        frame.loc[frame.index > days.max(), "source"] = "calendar"
    return frame


@cache
def _calendar_sessions(market: Market, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """The exchange calendar's sessions with the known closures, early closes and late
    opens applied: built once per process and span, and kept on disk beside the price
    store (``calendars/``), keyed by the market's definition, the span and the version of
    exchange_calendars (building a calendar costs about 0.2 s of every command).
    """
    path = _calendar_cache_file(market, start, end)
    if path is not None and path.is_file():
        try:
            with np.load(path) as saved:
                return _sessions_frame(market, saved["session"], saved["open"], saved["close"])
        except (OSError, ValueError, KeyError):  # unreadable: built again below
            pass
    frame = _build_calendar_sessions(market, start, end)
    if path is not None:
        try:
            import io

            from research.store import atomic_write

            buffer = io.BytesIO()
            np.savez(
                buffer,
                session=frame.index.as_unit("ns").asi8,
                open=frame["open"].dt.as_unit("ns").dt.tz_convert("UTC").array.asi8,
                close=frame["close"].dt.as_unit("ns").dt.tz_convert("UTC").array.asi8,
            )
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, buffer.getvalue())
        except OSError:  # a read-only store: no cache, same answer
            pass
    return frame


def _calendar_cache_file(market: Market, start: pd.Timestamp, end: pd.Timestamp):
    """Where the sessions of ``market`` over ``start``..``end`` are kept (None when the
    version of exchange_calendars cannot be read).
    """
    import hashlib
    from importlib.metadata import PackageNotFoundError, version

    from research.config import data_home

    try:
        xcals_version = version("exchange_calendars")
    except PackageNotFoundError:
        return None
    key = repr((CALENDAR_CACHE_FORMAT, market, start, end, xcals_version))
    digest = hashlib.sha256(key.encode()).hexdigest()[:20]
    return data_home() / "calendars" / f"{market.code}-{digest}.npz"


def _sessions_frame(market: Market, sessions, opens, closes) -> pd.DataFrame:
    """The sessions frame from session dates and UTC opens and closes (nanoseconds)."""
    index = pd.DatetimeIndex(np.asarray(sessions, dtype="datetime64[ns]"), name="session")
    frame = pd.DataFrame(
        {
            "open": pd.to_datetime(np.asarray(opens), utc=True).tz_convert(market.timezone),
            "close": pd.to_datetime(np.asarray(closes), utc=True).tz_convert(market.timezone),
        },
        index=index,
    )
    frame["source"] = "calendar"
    return frame


def _build_calendar_sessions(
    market: Market, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """The sessions from exchange_calendars, with the package's corrections."""
    import exchange_calendars as xcals

    cal = xcals.get_calendar(market.calendar)
    if start < cal.first_session:
        try:  # calendars are built 20 years back by default; ask for more when needed
            cal = xcals.get_calendar(market.calendar, start=start, end=cal.last_session)
        except Exception:
            pass
    lo = max(start, cal.first_session)
    hi = min(end, cal.last_session)
    if lo > hi:
        raise EventStudyError(
            f"The {market.code} calendar covers {cal.first_session:%Y-%m-%d} to "
            f"{cal.last_session:%Y-%m-%d}, not {start:%Y-%m-%d} to {end:%Y-%m-%d}."
        )
    sessions = cal.sessions_in_range(lo, hi)
    frame = pd.DataFrame(
        {
            "open": cal.opens.loc[sessions].dt.tz_convert(market.timezone),
            "close": cal.closes.loc[sessions].dt.tz_convert(market.timezone),
        },
        index=pd.DatetimeIndex(sessions, name="session"),
    )
    closed = pd.DatetimeIndex(pd.to_datetime(list(market.closures)))
    frame = frame.loc[~frame.index.isin(closed)]
    for day, hhmm in market.early_closes:
        if pd.Timestamp(day) in frame.index:
            frame.loc[pd.Timestamp(day), "close"] = _local(day, hhmm, market.timezone)
    for day, hhmm in market.late_opens:
        if pd.Timestamp(day) in frame.index:
            frame.loc[pd.Timestamp(day), "open"] = _local(day, hhmm, market.timezone)
    frame["source"] = "calendar"
    return frame


def _local(day: str, hhmm: str, tz: str) -> pd.Timestamp:
    return pd.Timestamp(f"{day} {hhmm}").tz_localize(tz)
