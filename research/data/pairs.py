"""Firm-event pairs: each firm on its own event date (``eventstudy run --pairs FILE``).

The request file of EventStudyTools and of Stata's eventstudy2: one row per firm-event,

``ticker``
    The security (a stored ticker).
``date``
    Its event date: ``YYYY-MM-DD``, ``YYYY-MM-DDTHH:MM``, with an offset
    (``2023-06-20T09:15+08:00``) or followed by the IANA zone where it happened
    (``2023-06-19 America/New_York``); aligned to a day-0 session by the same rule as the
    catalogue's events (:mod:`research.data.events`).
``group`` (optional)
    A label of one's own (a sector, a size class); default ``all``.
``event`` (optional)
    The event *type*, the unit of pooling (``earnings``, ``upgrade``); default ``event``.
    Firm-events of one type and group pool in event time, whatever their calendar dates.
``benchmark`` (optional)
    The benchmark of the row; one per study for now (the same on every row).

CSV (any of ``,`` ``;`` tab) or an Excel sheet (``.xlsx``, through openpyxl).  Column
names are matched without regard to case; ``security``/``firm`` are read as ``ticker``
and ``event_date`` as ``date``.  Every problem is refused with one sentence naming the
rows: a missing ticker or date, a duplicate firm-event, an unreadable date.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from research.errors import EventStudyError, MalformedFileError

PAIR_COLUMNS = ("ticker", "date", "group", "event", "benchmark")
ALIASES = {"security": "ticker", "firm": "ticker", "symbol": "ticker", "event_date": "date"}
DEFAULT_GROUP = "all"
DEFAULT_EVENT = "event"


def _rows(numbers) -> str:
    """``rows 2, 5 and 7`` (file rows: the header is row 1)."""
    shown = [str(int(i) + 2) for i in list(numbers)[:5]]
    more = " ..." if len(numbers) > 5 else ""
    if len(shown) == 1:
        return f"row {shown[0]}"
    return f"rows {', '.join(shown[:-1])} and {shown[-1]}{more}"


def _read(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise MalformedFileError(f"The pairs file {path} does not exist.")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            import openpyxl  # noqa: F401  (pandas reads xlsx through it)
        except ImportError:
            raise EventStudyError(
                "Reading an .xlsx pairs file needs openpyxl: pip install openpyxl (or save "
                "the sheet as CSV)."
            ) from None
        return pd.read_excel(path, dtype=object)
    text = path.read_text(encoding="utf-8-sig")
    first = text.splitlines()[0] if text.strip() else ""
    sep = max((",", ";", "\t"), key=first.count)
    return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False)


def _date_text(value) -> str:
    """A cell as the text :func:`research.data.events.adhoc_event` reads (Excel gives datetimes)."""
    if isinstance(value, pd.Timestamp) or hasattr(value, "isoformat"):
        stamp = pd.Timestamp(value)
        if stamp.tz is None and stamp == stamp.normalize():
            return f"{stamp:%Y-%m-%d}"
        return stamp.isoformat(timespec="minutes")
    return str(value).strip()


def load_pairs(source: str | Path | pd.DataFrame) -> pd.DataFrame:
    """The firm-event pairs of a file or a frame, checked.

    Parameters
    ----------
    source
        A CSV or xlsx path, or a frame with the columns of the module docstring.

    Returns
    -------
    pandas.DataFrame
        ``ticker, date, group, event`` (text) and ``benchmark`` (text, "" where none),
        one row per firm-event in the file's order.

    Raises
    ------
    MalformedFileError
        For a missing column, an empty ticker or date, or a duplicate firm-event.
    """
    where = "the pairs table" if isinstance(source, pd.DataFrame) else f"the pairs file {source}"
    raw = source.copy() if isinstance(source, pd.DataFrame) else _read(Path(source))
    raw.columns = [ALIASES.get(str(c).strip().lower(), str(c).strip().lower()) for c in raw]
    missing = [c for c in ("ticker", "date") if c not in raw.columns]
    if missing:
        raise MalformedFileError(
            f"{where} lacks the column(s) {', '.join(missing)} (it has "
            f"{', '.join(map(str, raw.columns)) or 'none'}); give one row per firm-event with "
            "ticker and date, optionally group, event and benchmark."
        )
    if raw.empty:
        raise MalformedFileError(f"{where} has no firm-event.")
    frame = pd.DataFrame(index=range(len(raw)))
    frame["ticker"] = raw["ticker"].map(lambda v: "" if pd.isna(v) else str(v).strip()).to_numpy()
    frame["date"] = raw["date"].map(lambda v: "" if pd.isna(v) else _date_text(v)).to_numpy()
    for col, default in (("group", DEFAULT_GROUP), ("event", DEFAULT_EVENT), ("benchmark", "")):
        if col in raw.columns:
            values = raw[col].map(lambda v: "" if pd.isna(v) else str(v).strip()).to_numpy()
            frame[col] = [v or default for v in values]
        else:
            frame[col] = default
    for col in ("ticker", "date"):
        empty = frame.index[frame[col] == ""]
        if len(empty):
            raise MalformedFileError(f"{where} has no {col} on {_rows(empty)}.")
    dup = frame.duplicated(["ticker", "event", "date"], keep=False)
    if dup.any():
        first = frame.loc[dup].iloc[0]
        raise MalformedFileError(
            f"{where} lists {first['ticker']} on {first['date']} ({first['event']}) more than "
            f"once ({_rows(frame.index[dup])}); keep one row per firm-event."
        )
    return frame


def pair_benchmark(pairs: pd.DataFrame, given: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """The study's benchmark from the pairs' ``benchmark`` column and the one given.

    Raises
    ------
    EventStudyError
        When the rows name several benchmarks, or one that contradicts ``given``.
    """
    named = sorted({b for b in pairs["benchmark"] if b})
    if not named:
        return given
    if len(named) > 1:
        raise EventStudyError(
            f"The pairs name several benchmarks ({', '.join(named)}); one benchmark per study "
            "for now: split the file by benchmark and run each part."
        )
    if given is not None and tuple(given) != (named[0],):
        raise EventStudyError(
            f"The pairs name the benchmark {named[0]} but --benchmark (benchmarks=) gives "
            f"{', '.join(given)}; keep one of the two."
        )
    return (named[0],)
