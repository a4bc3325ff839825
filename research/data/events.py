"""The event catalogue and the alignment of events to exchange sessions.

Alignment rule (``shared/DESIGN.md``, "Aligning events to sessions")
--------------------------------------------------------------------
An event's day 0 is the first session of the market's exchange that could
react to it:

* an event timed before a session's close falls on that session (an event
  before the open, such as the 09:15 loan-prime-rate release, is reacted to
  the same day);
* an event timed at or after the close moves to the next session;
* an event on a day without a session (weekend, holiday, weather closure)
  moves to the next session;
* an event with a date but no time is taken as known at the start of that
  day in its own time zone, hence before the open of that day if it is a
  session, else the next session.

Every alignment carries the rule applied, so it is shown, never silent.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from research import config
from research.data.markets import Market, get_market, market_sessions
from research.errors import EventError, MalformedFileError

CATALOGUE_COLUMNS = (
    "id",
    "timestamp",
    "timezone",
    "time_precision",
    "time_note",
    "category",
    "title",
    "article_words",
    "source",
)
REQUIRED_COLUMNS = ("id", "timestamp", "timezone")
PRECISIONS = ("exact", "approximate", "part-of-day", "reported", "date")

_STAMP = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[T ](?P<time>\d{2}:\d{2}(?::\d{2})?)(?P<offset>Z|[+-]\d{2}:?\d{2})?)?$"
)


@dataclass(frozen=True)
class Event:
    """A dated event.

    Attributes
    ----------
    id
        Stable identifier (``lpr-cut``).
    timestamp
        When it happened, tz-aware; 09:00 local time when only the date is known.
    date_only
        True when no time of day is known.
    timezone
        IANA time zone of the place where it happened.
    """

    id: str
    timestamp: pd.Timestamp
    date_only: bool
    timezone: str
    time_precision: str = "exact"
    time_note: str = ""
    category: str = ""
    title: str = ""
    article_words: str = ""
    source: str = ""
    extra: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def stamp(self) -> str:
        """The timestamp as written in a catalogue (date alone when no time is known)."""
        if self.date_only:
            return self.timestamp.strftime("%Y-%m-%d")
        text = self.timestamp.isoformat(timespec="minutes")
        return text


@dataclass(frozen=True)
class Alignment:
    """Where an event lands: its day-0 session and the rule that put it there."""

    event_id: str
    timestamp: str
    market: str
    local_time: str
    session: pd.Timestamp
    rule: str


# A date without a time is taken as known at 09:00 where it happened (DESIGN.md): a Hong
# Kong or Tokyo date lands on that day's HKEX session, a New York or London date on the
# next one (the HKEX session closes at 03:00-04:00 New York time).
DATE_ONLY_TIME = pd.Timedelta(hours=9)


def parse_timestamp(text: str, timezone: str) -> tuple[pd.Timestamp, bool]:
    """Parse ``YYYY-MM-DD``, ``YYYY-MM-DDTHH:MM`` or ``YYYY-MM-DDTHH:MM+HH:MM``.

    A time without an offset is local time in ``timezone``; a date alone is taken as
    09:00 in ``timezone`` (the start of that zone's working day; :data:`DATE_ONLY_TIME`)
    and flagged as date-only, so that it is then aligned like a timed event.

    Returns
    -------
    (timestamp, date_only)

    Raises
    ------
    EventError
        If the text is not such a date or the time zone is unknown.
    """
    text = str(text).strip()
    match = _STAMP.match(text)
    if not match:
        raise EventError(
            f"{text!r} is not a date: write YYYY-MM-DD, YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM+HH:MM."
        )
    try:
        if match["time"] is None:
            stamp = (pd.Timestamp(match["date"]) + DATE_ONLY_TIME).tz_localize(timezone)
            return stamp, True
        stamp = pd.Timestamp(text)
        if stamp.tzinfo is None:
            stamp = stamp.tz_localize(timezone)
        return stamp, False
    except ValueError as exc:  # 2024-02-30, 25:00, bad zone names
        raise EventError(f"{text!r} (time zone {timezone}) is not a valid date: {exc}.") from exc
    except Exception as exc:  # unknown time zones raise several exception types
        raise EventError(f"Unknown time zone {timezone!r} for {text!r}.") from exc


def load_catalogue(path: str | Path | None = None) -> list[Event]:
    """Read an event catalogue CSV.

    Parameters
    ----------
    path
        The file; default ``data/events.csv`` (or ``EVENTSTUDY_CATALOGUE``).
        Columns are documented in ``data/README.md``; ``id``, ``timestamp``
        and ``timezone`` are required.

    Raises
    ------
    MalformedFileError
        If the file is missing, lacks a required column, repeats an id, or has
        an unreadable timestamp (the message names the row).
    """
    path = Path(path) if path is not None else config.catalogue_path()
    if not path.is_file():
        raise MalformedFileError(f"Event catalogue {path} does not exist.")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise MalformedFileError(
                f"Event catalogue {path} lacks the column(s) {', '.join(missing)}; "
                f"its header must include {', '.join(REQUIRED_COLUMNS)}."
            )
        events: list[Event] = []
        seen: set[str] = set()
        for line, row in enumerate(reader, start=2):
            event_id = (row.get("id") or "").strip()
            if not event_id:
                raise MalformedFileError(f"Event catalogue {path}, line {line}: the id is empty.")
            if event_id in seen:
                raise MalformedFileError(
                    f"Event catalogue {path}, line {line}: id {event_id!r} appears twice."
                )
            seen.add(event_id)
            try:
                stamp, date_only = parse_timestamp(row["timestamp"], row["timezone"].strip())
            except EventError as exc:
                raise MalformedFileError(f"Event catalogue {path}, line {line}: {exc}") from exc
            known = {c: (row.get(c) or "").strip() for c in CATALOGUE_COLUMNS}
            extra = {k: v for k, v in row.items() if k not in CATALOGUE_COLUMNS and k}
            events.append(
                Event(
                    id=event_id,
                    timestamp=stamp,
                    date_only=date_only,
                    timezone=row["timezone"].strip(),
                    time_precision=known["time_precision"] or ("date" if date_only else "exact"),
                    time_note=known["time_note"],
                    category=known["category"],
                    title=known["title"],
                    article_words=known["article_words"],
                    source=known["source"],
                    extra=extra,
                )
            )
    return events


def select_events(ids: list[str], catalogue: list[Event]) -> list[Event]:
    """The catalogue events with these ids, in the order given.

    Raises
    ------
    EventError
        For an unknown id, naming the closest known ids.
    """
    by_id = {e.id: e for e in catalogue}
    chosen = []
    for event_id in ids:
        if event_id not in by_id:
            import difflib

            close = difflib.get_close_matches(event_id, list(by_id), n=3)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            raise EventError(
                f"Unknown event id {event_id!r}: `eventstudy events` lists the catalogue.{hint}"
            )
        chosen.append(by_id[event_id])
    return chosen


def adhoc_event(text: str, market: Market | str = "HKEX", event_id: str | None = None) -> Event:
    """An event given on the command line as a date or timestamp, optionally followed by
    the IANA time zone where it happened (``2024-02-05 America/New_York``).

    Without a zone, a time without an offset, or a date alone, is in the exchange's local
    time; a date alone is taken as 09:00 there (:data:`DATE_ONLY_TIME`).
    """
    if isinstance(market, str):
        market = get_market(market)
    stamp_text, _, zone = str(text).strip().partition(" ")
    zone = zone.strip() or market.timezone
    stamp, date_only = parse_timestamp(stamp_text, zone)
    return Event(
        id=event_id or f"date:{text}",
        timestamp=stamp,
        date_only=date_only,
        timezone=zone,
        time_precision="date" if date_only else "exact",
        title="ad-hoc event",
    )


def align_event(event: Event, sessions: pd.DataFrame, market: Market) -> Alignment:
    """Day-0 session of one event (see the module docstring for the rule).

    Parameters
    ----------
    sessions
        As returned by :func:`research.data.markets.market_sessions`.

    Raises
    ------
    EventError
        If no session in ``sessions`` could react to the event.
    """
    local = event.timestamp.tz_convert(market.timezone)
    day = local.tz_localize(None).normalize()
    index = sessions.index
    pos = index.searchsorted(day)
    hhmm = local.strftime("%H:%M")
    zone = local.strftime("%Z")

    def _next(from_pos: int) -> pd.Timestamp:
        if from_pos >= len(index):
            raise EventError(
                f"Event {event.id} ({event.stamp}) falls after the last {market.code} session "
                f"available ({index[-1]:%Y-%m-%d}); import later prices or pick another event."
            )
        return index[from_pos]

    if len(index) == 0 or day < index[0] - pd.Timedelta(days=7):
        raise EventError(
            f"Event {event.id} ({event.stamp}) falls before the first {market.code} session "
            "available; import earlier prices or pick another event."
        )
    assumed = ""
    if event.date_only:  # say what was assumed, in the event's own zone
        own = event.timestamp.tz_convert(event.timezone)
        assumed = f"date only, time assumed {own:%H:%M} {own:%Z} ({event.timezone}) = "
    if pos < len(index) and index[pos] == day:
        close = sessions["close"].iloc[pos]
        close_txt = close.strftime("%H:%M")
        if local < close:
            prefix = assumed or "timed "
            when = "before the open" if local < sessions["open"].iloc[pos] else "during trading"
            caveat = ""
            if event.date_only and when == "during trading":
                caveat = " (the hour is unknown: give a time to be exact)"
            return Alignment(
                event.id,
                event.stamp,
                market.code,
                f"{local:%Y-%m-%d} {hhmm} {zone}",
                day,
                f"{prefix}{hhmm} {zone}, {when} (close {close_txt}): same session{caveat}",
            )
        session = _next(pos + 1)
        return Alignment(
            event.id,
            event.stamp,
            market.code,
            f"{local:%Y-%m-%d} {hhmm} {zone}",
            session,
            f"{assumed}{hhmm} {zone} is {'after' if local > close else 'at, not before,'} "
            f"the {close_txt} close: next session",
        )
    session = _next(pos)
    why = "weekend" if day.day_of_week >= 5 else "holiday or closure"
    return Alignment(
        event.id,
        event.stamp,
        market.code,
        f"{local:%Y-%m-%d} {hhmm} {zone}",
        session,
        f"{assumed}{day:%Y-%m-%d} ({day:%a}) has no session ({why}): next session",
    )


def align_events(
    events: list[Event],
    market: Market | str = "HKEX",
    trading_days: pd.DatetimeIndex | None = None,
) -> pd.DataFrame:
    """Align events to day-0 sessions of one market.

    Parameters
    ----------
    events
        Events from :func:`load_catalogue` or :func:`adhoc_event`.
    market
        Exchange code or :class:`~research.data.markets.Market`.
    trading_days
        The study's session grid (or any dates): they bound the alignment, and an event
        after their last day is refused.  Sessions are always the exchange calendar's
        (:func:`research.data.markets.market_sessions`).

    Returns
    -------
    pandas.DataFrame
        One row per event: ``event``, ``timestamp``, ``market``,
        ``local_time``, ``session``, ``rule``.
    """
    if isinstance(market, str):
        market = get_market(market)
    if not events:
        return pd.DataFrame(
            columns=["event", "timestamp", "market", "local_time", "session", "rule"]
        )
    first = min(e.timestamp for e in events).tz_convert(market.timezone).tz_localize(None)
    last = max(e.timestamp for e in events).tz_convert(market.timezone).tz_localize(None)
    start = first.normalize() - pd.Timedelta(days=10)
    end = last.normalize() + pd.Timedelta(days=30)
    if trading_days is not None and len(trading_days):
        end = max(end, pd.DatetimeIndex(trading_days).max())
    if trading_days is not None and len(trading_days):
        last_day = pd.DatetimeIndex(trading_days).max()
        for event in events:
            local = event.timestamp.tz_convert(market.timezone).tz_localize(None).normalize()
            if local > last_day:
                raise EventError(
                    f"Event {event.id} ({event.stamp}) falls after the last {market.code} session "
                    f"in the data ({last_day:%Y-%m-%d}); import later prices or pick another event."
                )
    sessions = market_sessions(market, start, end)
    if trading_days is not None and len(trading_days):
        sessions = sessions.loc[sessions.index <= pd.DatetimeIndex(trading_days).max()]
    rows = []
    for event in events:
        a = align_event(event, sessions, market)
        rows.append(
            {
                "event": a.event_id,
                "timestamp": a.timestamp,
                "market": a.market,
                "local_time": a.local_time,
                "session": a.session,
                "rule": a.rule,
            }
        )
    return pd.DataFrame(rows)
