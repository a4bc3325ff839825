"""The local price store: one validated price file per ticker, written atomically.

Layout of the store folder (``EVENTSTUDY_DATA_DIR``, default ``data/cache``)::

    prices/<ticker>.<sha12>.csv   the prices, named by the first 12 hex digits of their SHA-256
    prices/<ticker>.json          metadata: source, retrieved_at, first, last, rows,
                                  adjusted, sha256, file, notes
    .lock                         taken (fcntl) by every writer

Writing a ticker writes the new price file under a new content-addressed name,
then atomically replaces the metadata (temp file + ``os.replace``), then
removes the old price file.  A crash at any point leaves either the old or the
new version complete; a failed download or a bad file never touches what was
stored.  Reading verifies the checksum and says how to repair a corrupted file.
(Pattern after scikit-learn's ``get_data_home`` download-once cache.)
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from research import config
from research.data.prices import PRICE_COLUMNS, ParsedPrices, check_ticker, return_price
from research.errors import DataError, StoreCorruptedError
from research.files import atomic_write

FORMAT_VERSION = 1


@dataclass(frozen=True)
class StoredInfo:
    """Metadata of one stored ticker."""

    ticker: str
    source: str
    retrieved_at: str
    first: str
    last: str
    rows: int
    adjusted: str
    sha256: str
    file: str
    notes: tuple[str, ...] = ()
    market: str = ""  # the exchange code; "" in stores written before it was recorded
    market_source: str = ""  # how the exchange became known (universe, suffix, --market, ...)

    def as_dict(self) -> dict[str, object]:
        """The metadata as a JSON-ready dict (with the store format version)."""
        return {**self.__dict__, "notes": list(self.notes), "format": FORMAT_VERSION}


class PriceStore:
    """Validated daily prices on disk, one ticker per file.

    Parameters
    ----------
    root
        The store folder; default :func:`research.config.data_home`.
    """

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = config.data_home(root)

    # -- paths ---------------------------------------------------------------------------
    @property
    def prices_dir(self) -> Path:
        """Folder of the stored price files."""
        return self.root / "prices"

    def _meta_path(self, ticker: str) -> Path:
        return self.prices_dir / f"{check_ticker(ticker)}.json"

    # -- reading -------------------------------------------------------------------------
    def tickers(self) -> list[str]:
        """Stored tickers, sorted."""
        if not self.prices_dir.is_dir():
            return []
        return sorted(p.name[:-5] for p in self.prices_dir.glob("*.json"))

    def __contains__(self, ticker: str) -> bool:
        """Whether ``ticker`` is stored."""
        return self._meta_path(ticker).is_file()

    def info(self, ticker: str) -> StoredInfo:
        """Metadata of a stored ticker.

        Raises
        ------
        DataError
            If the ticker is not stored.
        """
        path = self._meta_path(ticker)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise DataError(self._missing_message(ticker)) from None
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise StoreCorruptedError(
                f"The metadata of {ticker} in {self.prices_dir} is corrupted; re-import the "
                f"ticker with `eventstudy data import FILE` or `eventstudy data fetch {ticker}`."
            ) from None
        raw.pop("format", None)
        raw["notes"] = tuple(raw.get("notes", ()))
        return StoredInfo(**raw)

    def require(self, tickers: list[str] | tuple[str, ...]) -> None:
        """Raise :class:`DataError` naming the first ticker that is not stored."""
        for ticker in tickers:
            if ticker not in self:
                raise DataError(self._missing_message(ticker))

    def _missing_message(self, ticker: str) -> str:
        known = list(self.tickers())
        try:
            from research.data.universe import load_universe

            known += list(load_universe().index)
        except Exception:
            pass
        guess = suggest_ticker(ticker, known)
        hint = f" (did you mean {guess}?)" if guess else ""
        return (
            f"No stored prices for {ticker}{hint} in {self.root}; run `eventstudy data import "
            f"PATH` or `eventstudy data fetch {guess or ticker}` first."
        )

    def load(self, ticker: str) -> pd.DataFrame:
        """The validated price frame of one ticker (columns as in :mod:`research.data.prices`).

        Raises
        ------
        DataError
            If the ticker is not stored.
        StoreCorruptedError
            If the file does not match the checksum recorded when it was written.
        """
        for _attempt in range(3):  # a concurrent writer may replace the file between reads
            info = self.info(ticker)
            path = self.prices_dir / info.file
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                continue
            if hashlib.sha256(data).hexdigest() != info.sha256:
                raise StoreCorruptedError(
                    f"The stored prices of {ticker} ({path}) do not match their checksum; "
                    f"re-import the ticker with `eventstudy data import FILE` or "
                    f"`eventstudy data fetch {ticker}`."
                )
            # parse the very bytes that were verified, not the path (a writer may replace it)
            return pd.read_csv(
                io.BytesIO(data),
                index_col="date",
                parse_dates=["date"],
                dtype={c: float for c in PRICE_COLUMNS},
            )
        raise DataError(f"The stored prices of {ticker} kept changing while being read; try again.")

    def closes(self, tickers: list[str]) -> pd.DataFrame:
        """Return prices (adjusted where the source says so), one column per ticker.

        The index is the union of the tickers' trading dates; a ticker has NaN on
        dates it did not trade.
        """
        series = {t: return_price(self.load(t)) for t in tickers}
        frame = pd.DataFrame(series)
        frame.index.name = "date"
        return frame

    # -- writing -------------------------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        import fcntl

        try:
            self.prices_dir.mkdir(parents=True, exist_ok=True)
            handle = open(self.root / ".lock", "a+")
        except OSError as exc:
            raise DataError(
                f"Cannot write to the store {self.root} ({exc.strerror}); set "
                "EVENTSTUDY_DATA_DIR to a writable folder."
            ) from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()

    def save(
        self, parsed: ParsedPrices, source: str, retrieved_at: str | None = None
    ) -> StoredInfo:
        """Store a validated price frame, replacing any earlier version atomically.

        Parameters
        ----------
        parsed
            From :func:`research.data.prices.read_price_csv` or a download.
        source
            Where the prices came from (a file path or ``yfinance``).
        retrieved_at
            ISO timestamp; default now (UTC).
        """
        frame = parsed.frame.loc[:, list(PRICE_COLUMNS)]
        # the dates as text in one vectorized pass: the same bytes as to_csv's date_format,
        # which formats them one by one (half the time of a save)
        days = np.datetime_as_string(frame.index.values.astype("datetime64[D]"))
        payload = frame.set_axis(pd.Index(days, name="date")).to_csv(index_label="date")
        data = payload.encode("utf-8")
        digest = hashlib.sha256(data).hexdigest()
        info = StoredInfo(
            ticker=parsed.ticker,
            source=source,
            retrieved_at=retrieved_at or dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            first=f"{frame.index[0]:%Y-%m-%d}",
            last=f"{frame.index[-1]:%Y-%m-%d}",
            rows=len(frame),
            adjusted=parsed.adjusted,
            sha256=digest,
            file=f"{parsed.ticker}.{digest[:12]}.csv",
            notes=tuple(parsed.notes),
            market=parsed.market,
            market_source=parsed.market_source,
        )
        with self._locked():
            old = None
            if parsed.ticker in self:
                with contextlib.suppress(DataError):
                    old = self.info(parsed.ticker).file
            try:
                atomic_write(self.prices_dir / info.file, data)
                atomic_write(
                    self._meta_path(parsed.ticker),
                    json.dumps(info.as_dict(), indent=1).encode("utf-8"),
                )
            except OSError as exc:
                raise DataError(
                    f"Cannot write {parsed.ticker} to the store {self.root} ({exc.strerror}); "
                    "nothing stored was changed."
                ) from None
            if old and old != info.file:
                with contextlib.suppress(OSError):
                    (self.prices_dir / old).unlink()
        return info

    def merge_save(self, parsed: ParsedPrices, source: str) -> StoredInfo:
        """Store a download, keeping stored rows outside its dates on its adjustment basis.

        The stored and downloaded prices are reconciled on the dates both hold
        (:func:`research.data.adjustment.reconcile`): on the same basis the stored rows outside
        the download are kept as they are; a constant factor apart (a dividend or split
        since the last download) they are rescaled by it; otherwise only the download is
        kept.  The notes say which.  A partial download on the same basis therefore never
        shrinks what is stored.  A download with no exchange of its own keeps the stored
        one.

        Parameters
        ----------
        parsed : ParsedPrices
            The download.
        source : str
            Where it came from (``yfinance START..END``).

        Returns
        -------
        StoredInfo

        Raises
        ------
        DataError
            When stored rows lie outside the download but it shares no date with them
            (their adjustment bases cannot be matched); nothing stored is changed.
        """
        from research.data.adjustment import reconcile

        if parsed.ticker in self:
            old = self.load(parsed.ticker)
            merged, notes = reconcile(old, parsed.frame, parsed.ticker)
            changes: dict[str, object] = {"frame": merged, "notes": [*parsed.notes, *notes]}
            if not parsed.market:
                with contextlib.suppress(DataError):
                    stored = self.info(parsed.ticker)
                    changes.update(market=stored.market, market_source=stored.market_source)
            parsed = dataclasses.replace(parsed, **changes)
        return self.save(parsed, source)


def merge_frames(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Stored rows outside the new frame's dates, plus every new row (new wins on overlap)."""
    outside = old.loc[(old.index < new.index[0]) | (old.index > new.index[-1])]
    return pd.concat([outside, new]).sort_index()


def suggest_ticker(ticker: str, known: list[str]) -> str | None:
    """The known ticker a typo most likely meant: another case (``0016.hk``), a missing
    index caret (``HSI`` for ``^HSI``), or the closest spelling (``0016.HX``).
    """
    import difflib

    known = list(dict.fromkeys(known))
    if ticker in known:
        return None
    upper = {k.upper(): k for k in known}
    for cand in (ticker.upper(), "^" + ticker.upper().lstrip("^")):
        if cand in upper:
            return upper[cand]
    close = difflib.get_close_matches(ticker.upper(), list(upper), n=1, cutoff=0.75)
    return upper[close[0]] if close else None
