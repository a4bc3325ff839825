"""Reading and validating daily price files in the layouts Yahoo data come in.

Layouts accepted (all seen in ``shared/data/market``, see its PROVENANCE.md):

1. one header line, ``Date,Open,High,Low,Close,Adj Close,Volume``;
2. one header line in another column order, e.g. ``Date,Close,High,Low,Open,Volume``;
3. yfinance's multi-index CSV with three header lines
   (``Price,Close,...`` / ``Ticker,0016.HK,...`` / ``Date,,,,,``);
4. ``Ticker.history()`` output with dates carrying a time and UTC offset
   (``2024-03-15 00:00:00-04:00``, the exchange's local midnight) and extra
   columns (``Dividends``, ``Stock Splits``, ``Capital Gains``).

The ticker comes from the file name; its exchange from ``market=`` (``--market``), the
universe, its suffix or its trading days (:mod:`research.data.identity`).  A timestamp with an
offset or a zone is an instant: it is converted to the exchange's local date (a bar stamped
``2023-06-19 16:00:00+00:00`` is Hong Kong's 20 June), never cut to its first ten
characters; a timestamp without one is taken as the exchange's local time, and the notes
say so.  Rows on days that are not the exchange's sessions are named in the notes.

A validated price frame has a tz-naive ``DatetimeIndex`` named ``date`` (the
exchange-local trading date), sorted and unique, and float columns ``open high low close
adj_close volume`` (``NaN`` where the file has no such column).  Rows whose close is empty
are dropped and reported, never silently.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from research.errors import MalformedFileError

PRICE_COLUMNS = ("open", "high", "low", "close", "adj_close", "volume")
_TICKER = re.compile(r"^[A-Za-z0-9^][A-Za-z0-9^.=_-]{0,31}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[ T]\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$"
)


@dataclass
class ParsedPrices:
    """A validated price frame and what was noticed while reading it."""

    ticker: str
    frame: pd.DataFrame
    layout: str
    adjusted: str
    dropped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    market: str = ""  # the exchange code (``HKEX``); "" until it is known
    market_source: str = ""  # how the exchange became known (universe, suffix, --market, ...)


def check_ticker(ticker: str) -> str:
    """Return ``ticker`` if it can name a stored file, else raise.

    Raises
    ------
    MalformedFileError
        For names with path separators, spaces, ``..`` or over 32 characters.
    """
    if not _TICKER.match(ticker) or ".." in ticker:
        raise MalformedFileError(
            f"{ticker!r} cannot be a ticker: use letters, digits and ^ . = _ - "
            "(at most 32 characters, no '..')."
        )
    return ticker


def ticker_from_path(path: Path) -> str:
    """``.../0016.HK.csv`` -> ``0016.HK``."""
    name = path.name
    return check_ticker(name[:-4] if name.lower().endswith(".csv") else name)


def _normalise(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


def read_price_csv(
    path: str | Path, ticker: str | None = None, market: str | None = None
) -> ParsedPrices:
    """Read and validate one Yahoo-style price CSV.

    Parameters
    ----------
    path
        The CSV file.
    ticker
        Override the ticker taken from the file name.
    market
        The exchange of the series (``--market``); default from the universe, the suffix
        or the trading days (:func:`research.data.identity.import_market`).

    Returns
    -------
    ParsedPrices

    Raises
    ------
    MalformedFileError
        With one sentence naming the file and the first problem: empty file,
        header only, no Date or Close column, a value that is not a number,
        a non-positive price, a negative volume, a duplicate or out-of-order
        date, a date in the future, dates mixing time-zone offsets with
        bare dates, or timestamps with offsets whose exchange is not known.
    OptionError
        For a ``market`` that is unknown or contradicts the ticker's known exchange.
    """
    path = Path(path)
    ticker = check_ticker(ticker) if ticker else ticker_from_path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise MalformedFileError(f"{path} does not exist.") from None
    except UnicodeDecodeError:
        raise MalformedFileError(f"{path} is not a text CSV file.") from None
    except OSError as exc:
        raise MalformedFileError(f"{path} cannot be read: {exc.strerror}.") from None
    return parse_price_text(text, ticker, str(path), market)


def parse_price_text(
    text: str, ticker: str, where: str = "<text>", market: str | None = None
) -> ParsedPrices:
    """Parse the text of a price CSV (see :func:`read_price_csv`)."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise MalformedFileError(f"{where} is empty.")
    notes: list[str] = []
    if ";" in lines[0] and "," not in lines[0]:
        # semicolon-separated (spreadsheets with a decimal comma): a comma can only be a
        # decimal separator here
        lines = [ln.replace(",", ".").replace(";", ",") for ln in lines]
        notes.append("semicolon-separated; decimal commas read as points")
    first = lines[0].split(",")[0].strip().lower()
    if first in ("price", "ticker"):
        layout, names, body = _multiindex_header(lines, ticker, where, notes)
    else:
        layout = "single-header"
        names = [c.strip() for c in lines[0].split(",")]
        body = lines[1:]
    if not body:
        raise MalformedFileError(f"{where} has a header but no data rows.")
    keys = [_normalise(n) for n in names]
    if keys[0] not in ("date", "datetime", ""):
        if "date" not in keys:
            raise MalformedFileError(f"{where} has no Date column (header: {','.join(names)}).")
    if "close" not in keys:
        raise MalformedFileError(f"{where} has no Close column (header: {','.join(names)}).")
    if len(set(keys)) != len(keys):
        raise MalformedFileError(f"{where} repeats a column name (header: {','.join(names)}).")
    date_key = "date" if "date" in keys else keys[0]
    fast = _clean_columns("\n".join(body), len(body), keys, date_key)
    if fast is not None:  # a plain file: numbers and dates read by the C parser at once
        raw, stamps, numbers = fast
        stamp_kind = "date"
    else:  # anything else: cell by cell, so that a bad one is named with its row
        raw, numbers = _text_columns(body, names, keys, where), None
        stamps, stamp_kind = _parse_stamps(raw[date_key], where)
    code, code_source = _identify(ticker, stamps, stamp_kind, market)
    if stamp_kind == "instant" and not code:
        from research.data.identity import unknown_market_message

        raise MalformedFileError(
            unknown_market_message(
                ticker,
                f"{where}: its timestamps carry offsets, so its "
                "trading dates depend on the exchange's time zone",
            )
        )
    dates = _local_dates(stamps, stamp_kind, code, notes)
    if stamp_kind == "instant":
        written = pd.to_datetime(raw[date_key].str.strip().str.slice(0, 10), format="%Y-%m-%d")
        moved = int((written.to_numpy() != dates.to_numpy()).sum())
        zone = get_market_zone(code)
        notes.append(
            f"timestamps with offsets converted to {code} dates ({zone})"
            + (f": {moved} row(s) fall on another date there than written" if moved else "")
        )
    extra = [
        n for n, k in zip(names, keys, strict=True) if k not in PRICE_COLUMNS and k != date_key
    ]
    if extra:
        notes.append(f"ignored column(s): {', '.join(extra)}")
    frame = pd.DataFrame(index=pd.DatetimeIndex(dates, name="date"))
    shown = dict(zip(keys, names, strict=True))
    for col in PRICE_COLUMNS:
        if col in raw.columns:
            frame[col] = (
                numbers[col]
                if numbers is not None
                else _numbers(raw[col], shown[col], dates, where)
            )
        else:
            frame[col] = np.nan
    empty = frame["close"].isna()
    dropped = [f"{d:%Y-%m-%d}" for d in frame.index[empty]]
    if dropped:
        shown = ", ".join(dropped[:5]) + (" ..." if len(dropped) > 5 else "")
        notes.append(f"dropped {len(dropped)} row(s) with no close: {shown}")
        frame = frame.loc[~empty]
    if frame.empty:
        raise MalformedFileError(f"{where} has no row with a close price.")
    validate_prices(frame, where)
    if code:
        notes.extend(off_session_notes(frame.index, code))
    if "adj_close" in keys:
        adjusted = "adj-close-column"
    elif layout.startswith("yfinance") or "dividends" in keys:
        adjusted = "auto-adjusted"
    else:
        adjusted = "unknown"
    return ParsedPrices(ticker, frame, layout, adjusted, dropped, notes, code, code_source)


_MISSING = ["", "nan", "null", "none"]  # what _numbers reads as no value (any case there)


def _clean_columns(text: str, rows: int, keys: list[str], date_key: str):
    """The body of a plain file read in one pass of pandas' C parser: no quotes, every row
    as wide as the header, plain ``YYYY-MM-DD`` dates and numbers (or no value) in the
    price columns.  ``(raw, dates, numbers)``, or None for any other file, which
    :func:`_text_columns` and :func:`_numbers` then read cell by cell (and name the first
    bad cell).  Both ways give the same values (``tests/test_prices.py``).
    """
    if '"' in text or text.count(",") != (len(keys) - 1) * rows:
        return None
    prices = [k for k in keys if k in PRICE_COLUMNS and k != date_key]
    try:
        raw = pd.read_csv(
            io.StringIO(text),
            header=None,
            names=keys,
            dtype={k: (float if k in prices else str) for k in keys},
            keep_default_na=False,
            na_values={k: _MISSING for k in prices},
            index_col=False,
        )
        stamps = pd.to_datetime(raw[date_key], format="%Y-%m-%d", exact=True)
    except (ValueError, TypeError, pd.errors.ParserError):
        return None
    if len(raw) != rows or stamps.isna().any():
        return None
    numbers = {k: raw[k].to_numpy(dtype=float) for k in prices}
    return raw, pd.DatetimeIndex(stamps), numbers


def _text_columns(body: list[str], names: list[str], keys: list[str], where: str):
    """The body as text cells, every row checked to be as wide as the header."""
    widths = [len(row) for row in csv.reader(body)]
    wrong = [i for i, w in enumerate(widths) if w != len(names)]
    if wrong:  # pandas would silently drop extra fields or pad missing ones
        i = wrong[0]
        raise MalformedFileError(
            f"{where}, data row {i + 1} has {widths[i]} field(s) but the header has "
            f"{len(names)}: {body[i][:60]!r}."
        )
    try:
        return pd.read_csv(
            io.StringIO("\n".join(body)),
            header=None,
            names=keys,
            dtype=str,
            keep_default_na=False,
            index_col=False,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise MalformedFileError(f"{where} is not a well-formed CSV: {exc}.") from None


def _identify(
    ticker: str, stamps: pd.DatetimeIndex, kind: str, market: str | None
) -> tuple[str, str]:
    """The exchange of the series (:func:`research.data.identity.import_market`); its dates in
    each exchange's zone serve to recognise it when nothing else names it.
    """
    from research.data.identity import import_market, known_market
    from research.data.markets import time_zones

    if market or known_market(ticker) is not None:
        return import_market(ticker, None, market)
    if kind == "instant":
        zones = time_zones()
        by_zone = {
            z: pd.DatetimeIndex(stamps.tz_convert(z).tz_localize(None).normalize()) for z in zones
        }
        return import_market(ticker, by_zone)
    return import_market(ticker, pd.DatetimeIndex(stamps.normalize()))


def get_market_zone(code: str) -> str:
    """The time zone of an exchange code."""
    from research.data.markets import get_market

    return get_market(code).timezone


def _local_dates(
    stamps: pd.DatetimeIndex, kind: str, code: str, notes: list[str]
) -> pd.DatetimeIndex:
    """The exchange-local trading dates of parsed timestamps (see the module docstring)."""
    if kind == "date":
        return pd.DatetimeIndex(stamps)
    if kind == "local":
        where = f"{code}'s local time" if code else "local time"
        notes.append(f"timestamps without a time zone: taken as {where}")
        return pd.DatetimeIndex(stamps.normalize())
    zone = get_market_zone(code)
    return pd.DatetimeIndex(stamps.tz_convert(zone).tz_localize(None).normalize())


def off_session_notes(dates: pd.DatetimeIndex, code: str) -> list[str]:
    """A note naming the rows that fall on days that are not the exchange's sessions
    (within the calendar's span), or none.
    """
    from research.data.markets import calendar_days

    try:
        sessions = calendar_days(code, dates.min(), dates.max())
    except Exception:  # no calendar for these years: nothing to check against
        return []
    if not len(sessions):
        return []
    inside = dates[(dates >= sessions[0]) & (dates <= sessions[-1])]
    off = inside[~inside.isin(sessions)]
    if not len(off):
        return []
    shown = ", ".join(f"{d:%Y-%m-%d} ({d:%a})" for d in off[:5]) + (" ..." if len(off) > 5 else "")
    return [f"{len(off)} row(s) on days that are not {code} sessions, not used in studies: {shown}"]


def _multiindex_header(
    lines: list[str], ticker: str, where: str, notes: list[str]
) -> tuple[str, list[str], list[str]]:
    head = [ln.split(",") for ln in lines[:3]]
    if len(head) < 3 or head[2][0].strip().lower() not in ("date", "datetime"):
        raise MalformedFileError(
            f"{where} starts like a yfinance multi-index CSV but its third line is not 'Date,...'."
        )
    rows = {h[0].strip().lower(): [c.strip() for c in h[1:]] for h in head[:2]}
    if set(rows) != {"price", "ticker"}:
        raise MalformedFileError(
            f"{where} starts like a yfinance multi-index CSV but lacks a Price or Ticker line."
        )
    tickers = set(rows["ticker"])
    if len(tickers) != 1:
        raise MalformedFileError(
            f"{where} holds several tickers ({', '.join(sorted(tickers))}); save one per file."
        )
    (inner,) = tickers
    if inner != ticker:
        notes.append(f"file says ticker {inner!r}; stored as {ticker!r} from the file name")
    return "yfinance-multiindex", [head[2][0].strip(), *rows["price"]], lines[3:]


def _parse_stamps(values: pd.Series, where: str) -> tuple[pd.DatetimeIndex, str]:
    """Parse the date column: ``date`` (plain dates), ``local`` (times without a zone) or
    ``instant`` (times with an offset: returned in UTC).

    Raises
    ------
    MalformedFileError
        For a value that is not a date, an impossible date, or forms mixed in one file.
    """
    texts = values.str.strip()
    plain = texts.str.match(_DATE)
    stamped = texts.str.match(_DATETIME)
    bad = ~(plain | stamped)
    if bad.any():
        i = int(np.argmax(bad.to_numpy()))
        raise MalformedFileError(f"{where}, data row {i + 1}: {texts.iloc[i]!r} is not a date.")
    kind = "date"
    if stamped.any():
        offsets = texts[stamped].str.extract(_DATETIME)[3]
        has_offset = offsets.notna() & (offsets != "")
        if plain.any() or (has_offset.any() and not has_offset.all()):
            raise MalformedFileError(
                f"{where} mixes dates with and without a time zone; use one form throughout."
            )
        kind = "instant" if has_offset.all() else "local"
    if kind == "date":
        parsed = pd.to_datetime(texts, format="%Y-%m-%d", errors="coerce")
    elif kind == "local":
        parsed = pd.to_datetime(texts.str.replace("T", " ", regex=False), errors="coerce")
    else:
        parsed = pd.to_datetime(
            texts.str.replace("T", " ", regex=False), utc=True, errors="coerce", format="mixed"
        )
    if parsed.isna().any():
        i = int(np.argmax(parsed.isna().to_numpy()))
        raise MalformedFileError(
            f"{where}, data row {i + 1}: {texts.iloc[i]!r} is an impossible date."
        )
    return pd.DatetimeIndex(parsed), kind


def _numbers(values: pd.Series, column: str, dates: pd.DatetimeIndex, where: str) -> np.ndarray:
    texts = values.str.strip()
    numbers = pd.to_numeric(texts.where(texts != "", None), errors="coerce")
    bad = numbers.isna() & (texts != "") & ~texts.str.lower().isin(["nan", "null", "none"])
    if bad.any():
        i = int(np.argmax(bad.to_numpy()))
        raise MalformedFileError(
            f"{where}: column {column} has {texts.iloc[i]!r} on {dates[i]:%Y-%m-%d}, not a number."
        )
    return numbers.to_numpy(dtype=float)


def validate_prices(frame: pd.DataFrame, where: str) -> None:
    """Refuse, with one sentence naming ``where``, a price frame a study cannot use
    (repeated or unsorted dates, future dates, non-positive or infinite prices, negative
    volume).
    """
    index = frame.index
    duplicated = index.duplicated()
    if duplicated.any():
        raise MalformedFileError(
            f"{where} lists {index[duplicated][0]:%Y-%m-%d} more than once; keep one row per date."
        )
    if not index.is_monotonic_increasing:
        pos = int(np.argmax(np.diff(index.asi8) < 0)) + 1
        raise MalformedFileError(
            f"{where} is not in date order ({index[pos]:%Y-%m-%d} follows "
            f"{index[pos - 1]:%Y-%m-%d}); sort it by date."
        )
    today = pd.Timestamp.now().normalize()
    if index[-1] > today:
        raise MalformedFileError(f"{where} has a date in the future ({index[-1]:%Y-%m-%d}).")
    for col in ("open", "high", "low", "close", "adj_close"):
        values = frame[col].to_numpy()
        bad = ~np.isnan(values) & (values <= 0)
        if bad.any():
            i = int(np.argmax(bad))
            raise MalformedFileError(
                f"{where}: {col} is {values[i]:g} on {index[i]:%Y-%m-%d}; prices must be positive."
            )
    inf = (
        ~np.isfinite(frame[list(PRICE_COLUMNS)].to_numpy())
        & frame[list(PRICE_COLUMNS)].notna().to_numpy()
    )
    if inf.any():
        raise MalformedFileError(f"{where} has an infinite value.")
    volume = frame["volume"].to_numpy()
    if (volume < 0).any():
        i = int(np.argmax(volume < 0))
        raise MalformedFileError(f"{where}: volume is negative on {index[i]:%Y-%m-%d}.")


# the header each stored column is exported under (Yahoo's single-header layout)
_EXPORT_NAMES = {
    "open": "Open",
    "high": "High",
    "low": "Low",
    "close": "Close",
    "adj_close": "Adj Close",
    "volume": "Volume",
}


def price_csv(frame: pd.DataFrame) -> str:
    """A validated price frame as CSV text in Yahoo's single-header layout, which
    :func:`parse_price_text` reads back to the same frame: dates as ``YYYY-MM-DD``, every
    float in its shortest exact form, columns with no value at all left out (a column the
    source never had).
    """
    kept = [c for c in PRICE_COLUMNS if frame[c].notna().any()]
    days = np.datetime_as_string(frame.index.values.astype("datetime64[D]"))
    out = frame.loc[:, kept].set_axis(pd.Index(days, name="Date"))
    return out.rename(columns=_EXPORT_NAMES).to_csv(index_label="Date")


def return_price(frame: pd.DataFrame) -> pd.Series:
    """The price series returns are computed from: ``adj_close`` where present, else ``close``."""
    if frame["adj_close"].notna().any():
        return frame["adj_close"].where(frame["adj_close"].notna(), frame["close"])
    return frame["close"]


def yfinance_frame_to_prices(
    data: pd.DataFrame, ticker: str, timezone: str | None = None
) -> pd.DataFrame:
    """Convert a ``yfinance.download`` result for one ticker into a price frame.

    Accepts both the multi-index columns ``(Price, Ticker)`` that yfinance
    returns by default and flat columns.  Rows with no close are dropped (a
    failed ticker comes back as all-NaN rows).

    Parameters
    ----------
    data : pandas.DataFrame
        The download.
    ticker : str
        Its ticker.
    timezone : str, optional
        The exchange's IANA time zone (Yahoo's ``exchangeTimezoneName``).  A tz-aware
        index is converted to it before its dates are taken, so that a bar stamped at
        Hong Kong midnight in UTC (``16:00+00:00`` the day before) gets its Hong Kong
        date; without it the dates are read in the index's own zone.
    """
    if isinstance(data.columns, pd.MultiIndex):
        level = [i for i, names in enumerate(data.columns.levels) if ticker.upper() in set(names)]
        if level:
            data = data.xs(ticker.upper(), axis=1, level=level[0])
        else:
            data = data.droplevel(1, axis=1)
    renamed = data.rename(columns=lambda c: _normalise(c))
    index = pd.DatetimeIndex(renamed.index)
    if index.tz is not None:
        if timezone:
            index = index.tz_convert(timezone)
        index = index.tz_localize(None)
    frame = pd.DataFrame(index=pd.DatetimeIndex(index.normalize(), name="date"))
    for col in PRICE_COLUMNS:
        frame[col] = (
            pd.to_numeric(renamed[col], errors="coerce").to_numpy(dtype=float)
            if col in renamed.columns
            else np.nan
        )
    return frame.loc[frame["close"].notna()]
