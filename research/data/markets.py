"""Exchanges: their calendars, time zones and the sessions a study may use.

A *session* is a trading day of one exchange.  The sessions of a study are those of the
exchange calendar (``exchange_calendars``) less the days the whole market was closed that
the calendar misses (HKEX cancels trading for typhoons and rainstorms), recorded with their
sources in ``research/data/markets.json`` with the early closes and late opens.  They are
never a security's own rows: a session a security lacks is missing data for it
(``docs/methodology.md``, "Sessions and missing data").

An exchange is named by its code (``HKEX``).  A ticker's Yahoo suffix names it only when
the suffix belongs to one exchange (``.HK``); a ticker without one (a US listing, an index)
has no exchange here until one is recorded for it (:mod:`research.data.identity`).
:func:`recognise_market` tells the exchange from a series' own trading days when their
holidays single one out.
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
    suffixes: tuple[str, ...] = ()


MARKETS_FILE = Path(__file__).with_name("markets.json")


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
            suffixes=tuple(e.get("suffixes", ())),
        )
        for e in entries
    )


# bump when the cached sessions' layout changes
CALENDAR_CACHE_FORMAT = 1


def time_zones() -> set[str]:
    """The time zones of the exchanges the package knows."""
    return {m.timezone for m in _markets()}


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


def suffix_market(ticker: str) -> str | None:
    """The exchange a ticker's Yahoo suffix names (``0016.HK`` -> ``HKEX``), or None.

    Only suffixes of ``research/data/markets.json`` that belong to one exchange count;
    a ticker without a suffix (a US listing, an index such as ``^HSI``), a share class
    (``BRK.B``) or an unknown suffix gets None: its exchange must be recorded, not guessed.
    """
    if "." not in ticker.lstrip("^"):
        return None
    suffix = "." + ticker.rsplit(".", 1)[1].upper()
    for market in _markets():
        if suffix in market.suffixes:
            return market.code
    return None


# How far back the rows of a series are checked against its exchange's calendar (and its
# exchange recognised from them).
CHECKED_YEARS = 19


def calendar_days(
    market: Market | str, first: pd.Timestamp | str | None = None, last=None
) -> pd.DatetimeIndex:
    """The sessions of an exchange less the recorded closures, over the whole calendar years
    from ``first`` to ``last`` (default: the last :data:`CHECKED_YEARS` years, and never
    further back): the set a series' rows are checked against.

    The calendar is built for those years only and kept for the process: a series' check
    costs a calendar of its own span (the Korean calendar's lunar holidays take over a
    second to build for twenty years), and series of similar spans share one.
    """
    if isinstance(market, str):
        market = get_market(market)
    today = pd.Timestamp.now().normalize()
    floor = today.year - CHECKED_YEARS
    a = max(pd.Timestamp(first).year if first is not None else floor, floor)
    b = min(pd.Timestamp(last).year if last is not None else today.year, today.year)
    return _calendar_years(market, a, max(a, b))


@cache
def _calendar_years(market: Market, first_year: int, last_year: int) -> pd.DatetimeIndex:
    """The sessions of whole calendar years (cached in the process and on disk); none
    where the calendar library does not cover those years (remembered too: asking again
    would build the calendar again, over a second for some exchanges).
    """
    start = pd.Timestamp(f"{first_year}-01-01")
    end = pd.Timestamp(f"{last_year}-12-31")
    try:
        return pd.DatetimeIndex(_calendar_sessions(market, start, end).index)
    except Exception:
        return pd.DatetimeIndex([])


# A calendar fits a series when at most this share of its rows fall on days that are not
# sessions, and at most this share of the sessions in its span have no row.
RECOGNITION_OFF = 0.005
RECOGNITION_MISSING = 0.02
RECOGNITION_MIN_ROWS = 60


def calendar_fit(dates: pd.DatetimeIndex, market: Market | str) -> tuple[int, int, int, int]:
    """How a series' dates sit on an exchange's sessions over their common span:
    (rows, rows on days that are not sessions, sessions, sessions with no row).
    """
    dates = pd.DatetimeIndex(dates)
    if not len(dates):
        return 0, 0, 0, 0
    sessions = calendar_days(market, dates.min(), dates.max())
    if not len(sessions):
        return 0, 0, 0, 0
    lo, hi = max(dates.min(), sessions[0]), min(dates.max(), sessions[-1])
    rows = dates[(dates >= lo) & (dates <= hi)]
    span = sessions[(sessions >= lo) & (sessions <= hi)]
    off = int((~rows.isin(span)).sum())
    missing = int((~span.isin(rows)).sum())
    return len(rows), off, len(span), missing


def recognise_market(
    dates_by_zone: dict[str, pd.DatetimeIndex] | pd.DatetimeIndex,
) -> tuple[str, str] | None:
    """The exchange whose calendar alone fits a series' trading days, with the evidence.

    Parameters
    ----------
    dates_by_zone
        The series' local dates, or (for timestamps that are instants) its dates in each
        time zone, keyed by zone name.

    Returns
    -------
    (code, sentence) or None
        None unless exactly one calendar fits (:data:`RECOGNITION_OFF`,
        :data:`RECOGNITION_MISSING`) over at least :data:`RECOGNITION_MIN_ROWS` rows.
        Exchanges that share a calendar (NYSE and NASDAQ) have the same sessions; the
        first listed is named and the sentence says so.
    """
    sizes = (
        [len(d) for d in dates_by_zone.values()]
        if isinstance(dates_by_zone, dict)
        else [len(dates_by_zone)]
    )
    if max(sizes, default=0) < RECOGNITION_MIN_ROWS:  # too short to tell calendars apart
        return None
    fits: dict[str, tuple[str, tuple[int, int, int, int]]] = {}
    for market in _markets():
        if market.calendar in fits:
            continue
        if isinstance(dates_by_zone, dict):
            dates = dates_by_zone.get(market.timezone)
            if dates is None:
                continue
        else:
            dates = dates_by_zone
        try:
            rows, off, span, missing = calendar_fit(dates, market)
        except Exception:  # no calendar over these years
            continue
        if (
            rows >= RECOGNITION_MIN_ROWS
            and off <= RECOGNITION_OFF * rows
            and missing <= RECOGNITION_MISSING * span
        ):
            fits[market.calendar] = (market.code, (rows, off, span, missing))
    if len(fits) != 1:
        return None
    ((calendar, (code, (rows, off, span, missing))),) = fits.items()
    sharing = [m.code for m in _markets() if m.calendar == calendar and m.code != code]
    also = f" (the sessions of {', '.join(sharing)} too)" if sharing else ""
    return code, (
        f"recognised from its trading days as {code}{also}: {rows - off} of {rows} rows on "
        f"{calendar} sessions and {span - missing} of {span} sessions present; no other "
        "exchange's calendar fits"
    )


def market_sessions(
    market: Market | str,
    start: str | pd.Timestamp,
    end: str | pd.Timestamp,
) -> pd.DataFrame:
    """Sessions of an exchange between two dates, with their open and close.

    The sessions are the exchange calendar's less the recorded closures, whatever rows
    any price data has (a session a security lacks is missing data for it).

    Parameters
    ----------
    market
        A :class:`Market` or its code.
    start, end
        First and last calendar date to cover (inclusive).

    Returns
    -------
    pandas.DataFrame
        Indexed by session date (tz-naive), columns ``open`` and ``close``
        (tz-aware, exchange time) and ``source`` ("calendar").
    """
    if isinstance(market, str):
        market = get_market(market)
    start = pd.Timestamp(start).normalize()
    end = pd.Timestamp(end).normalize()
    return _calendar_sessions(market, start, end).copy()


@cache
def _calendar_sessions(market: Market, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """The exchange calendar's sessions with the known closures, early closes and late
    opens applied: built once per process and span, and kept on disk in the machine's
    cache (:func:`research.config.cache_home`, ``calendars/``), keyed by the market's
    definition, the span and the version of exchange_calendars (building a calendar costs
    0.1-0.2 s of every command, the Korean one over a second: every store of the machine
    shares them).
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

            from research.files import atomic_write

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

    from research.config import cache_home

    try:
        xcals_version = version("exchange_calendars")
    except PackageNotFoundError:
        return None
    key = repr((CALENDAR_CACHE_FORMAT, market, start, end, xcals_version))
    digest = hashlib.sha256(key.encode()).hexdigest()[:20]
    return cache_home() / "calendars" / f"{market.code}-{digest}.npz"


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
