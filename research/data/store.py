"""The local price store: every ticker's validated daily prices in columnar files, written
atomically, with one manifest of what is stored.

Layout of the store folder (``EVENTSTUDY_DATA_DIR``, default ``data/cache``)::

    prices/manifest.json          per ticker: source, retrieved_at, first, last, rows,
                                  adjusted, sha256 (of its prices), file, row group, notes,
                                  exchange; per segment: its SHA-256, its footer's, its size
    prices/seg-<sha12>.parquet    segments: one row group per ticker (research.data.columnar)
    .lock                         taken (fcntl) by every writer

Writing a batch of tickers (an import, a fetch) writes one new segment under a
content-addressed name, then atomically replaces the manifest (temp file + ``os.replace``),
then removes the segments no ticker points to any more; when superseded rows outnumber live
ones or segments pile up, the live row groups are compacted into one.  A crash at any
point leaves either the old or the new manifest complete, and every segment it names; a
failed download or a bad file never touches what was stored.  Reading checks each page's
CRC-32 and the footer's SHA-256 and says how to repair a corrupted file; ``eventstudy data
verify`` checks every byte.  A study reads its tickers' row groups and only the columns it
needs (:meth:`PriceStore.load_panel`); the manifest is read once per command.

A store in the CSV form of version 0.2 (``prices/<ticker>.<sha12>.csv`` with
``<ticker>.json``) is converted on first use, its checksums verified, with one line on
standard error; CSV remains an import (``eventstudy data import``) and export
(``eventstudy data export``) format.  (Pattern after scikit-learn's ``get_data_home``
download-once cache.)
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from research import config
from research.data.columnar import (
    PricePanel,
    SegmentCorrupted,
    content_digest,
    read_blocks,
    read_frames,
    whole_file_digest,
    write_segment,
)
from research.data.prices import PRICE_COLUMNS, ParsedPrices, check_ticker, return_price
from research.errors import DataError, StoreCorruptedError
from research.files import atomic_write

FORMAT_VERSION = 2
MANIFEST = "manifest.json"
# compaction: more segments than this, or more superseded rows than live ones
MAX_SEGMENTS = 16


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


def _empty_manifest() -> dict:
    return {"format": FORMAT_VERSION, "segments": {}, "tickers": {}}


class PriceStore:
    """Validated daily prices on disk, in columnar segments listed by one manifest.

    Parameters
    ----------
    root
        The store folder; default :func:`research.config.data_home`.
    """

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = config.data_home(root)
        self._cached: tuple[tuple[int, int, int], dict] | None = None
        self._manifest_name = str(self.manifest_path)

    # -- paths ---------------------------------------------------------------------------
    @property
    def prices_dir(self) -> Path:
        """Folder of the stored price files."""
        return self.root / "prices"

    @property
    def manifest_path(self) -> Path:
        """The manifest: every ticker's metadata and where its prices are."""
        return self.prices_dir / MANIFEST

    # -- the manifest ----------------------------------------------------------------------
    def _manifest(self) -> dict:
        """The manifest, read once per change of the file (cached by its stat: one
        ``os.stat`` per call, so that a command asking about 2,000 tickers stays cheap).
        """
        path = self.manifest_path
        try:
            st = os.stat(self._manifest_name)
        except FileNotFoundError:
            if self._legacy_metadata():
                self._convert()
                return self._manifest()
            return _empty_manifest()
        key = (st.st_mtime_ns, st.st_size, st.st_ino)
        if self._cached is not None and self._cached[0] == key:
            return self._cached[1]
        try:
            manifest = json.loads(path.read_bytes())
            manifest["tickers"], manifest["segments"]  # the keys must be there
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError):
            raise StoreCorruptedError(
                f"The metadata of the store {self.prices_dir} ({MANIFEST}) is corrupted; "
                "re-import the prices into a fresh store with `eventstudy data import FILE` "
                "or `eventstudy data fetch`."
            ) from None
        if manifest.get("format") != FORMAT_VERSION:
            raise StoreCorruptedError(
                f"The store {self.prices_dir} was written in format {manifest.get('format')} "
                f"and this version reads format {FORMAT_VERSION}; re-import the prices into a "
                "fresh store with `eventstudy data import FILE` or `eventstudy data fetch`."
            )
        self._cached = (key, manifest)
        return manifest

    # -- reading -------------------------------------------------------------------------
    def tickers(self) -> list[str]:
        """Stored tickers, sorted."""
        if not self.prices_dir.is_dir():
            return []
        return sorted(self._manifest()["tickers"])

    def __contains__(self, ticker: str) -> bool:
        """Whether ``ticker`` is stored."""
        check_ticker(ticker)
        return ticker in self._manifest()["tickers"]

    def info(self, ticker: str) -> StoredInfo:
        """Metadata of a stored ticker.

        Raises
        ------
        DataError
            If the ticker is not stored.
        """
        check_ticker(ticker)
        entry = self._manifest()["tickers"].get(ticker)
        if entry is None:
            raise DataError(self._missing_message(ticker))
        return _info(entry)

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
        from research.data.universe import suggest_ticker

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
            If its file does not match the checksums recorded when it was written.
        """
        return self.load_panel([ticker]).frame(ticker)

    def load_panel(
        self,
        tickers: Iterable[str],
        columns: Iterable[str] = PRICE_COLUMNS,
        years: tuple[int, int] | None = None,
    ) -> PricePanel:
        """Several tickers' prices, only ``columns`` of them, read segment by segment.

        The panel holds the tickers in the store's order (segment by segment, each in its
        chunks' order), which a panel's readers look up (:meth:`PricePanel.frame`).

        Parameters
        ----------
        years
            Read these calendar years only (first, last); the panel then says which
            tickers' rows start or end with their series' (``whole_start``,
            ``whole_end``).  Default: every row.

        Raises
        ------
        DataError
            If a ticker is not stored.
        StoreCorruptedError
            If a file does not match the checksums recorded when it was written.
        """
        import numpy as np

        tickers = list(dict.fromkeys(tickers))
        columns = [c for c in PRICE_COLUMNS if c in set(columns)]
        for _attempt in range(3):  # a concurrent writer may compact segments between reads
            manifest = self._manifest()
            for ticker in tickers:
                if check_ticker(ticker) not in manifest["tickers"]:
                    raise DataError(self._missing_message(ticker))
            by_file = _by_segment(manifest, tickers)
            parts = []
            try:
                for name, members in by_file.items():
                    chosen, starts, ends = [], [], []
                    for _g, _t, blocks in members:
                        kept = [b for b in blocks if years is None or years[0] <= b[0] <= years[1]]
                        chosen.append(kept)
                        # no rows before (after) the years read: the series starts (ends)
                        starts.append(years is None or blocks[0][0] >= years[0])
                        ends.append(years is None or blocks[-1][0] <= years[1])
                    flat = [b[1:] for kept in chosen for b in kept]
                    record = manifest["segments"].get(name, {})
                    dates, values = read_blocks(
                        self.prices_dir / name,
                        record.get("footer_sha256", ""),
                        np.array(flat, dtype=np.int64).reshape(-1, 3),
                        columns,
                    )
                    counts = np.array([sum(b[3] for b in kept) for kept in chosen])
                    names = [t for _g, t, _b in members]
                    parts.append((names, counts, dates, values, starts, ends))
            except FileNotFoundError:
                self._cached = None
                continue
            except SegmentCorrupted:
                held = [t for _g, t, _b in by_file[name]]
                shown = ", ".join(held[:3]) + (" ..." if len(held) > 3 else "")
                raise StoreCorruptedError(
                    f"The stored prices of {shown} ({self.prices_dir / name}) do not match "
                    "their checksum; re-import the ticker(s) with `eventstudy data import "
                    "FILE` or `eventstudy data fetch`."
                ) from None
            return _assemble(parts, columns, years is not None)
        raise DataError("The stored prices kept changing while being read; try again.")

    def closes(self, tickers: list[str]) -> pd.DataFrame:
        """Return prices (adjusted where the source says so), one column per ticker.

        The index is the union of the tickers' trading dates; a ticker has NaN on
        dates it did not trade.
        """
        panel = self.load_panel(tickers, ("close", "adj_close"))
        series = {t: return_price(panel.frame(t)) for t in tickers}
        frame = pd.DataFrame(series)
        frame.index.name = "date"
        return frame

    def verify(self) -> list[str]:
        """Check every stored byte: each segment's SHA-256 and each ticker's prices
        (:func:`research.data.columnar.content_digest`).  One sentence per problem; none
        when the store is sound.
        """
        manifest = self._manifest()
        by_file = _by_segment(manifest, manifest["tickers"])
        problems = []
        for name, record in manifest["segments"].items():
            path = self.prices_dir / name
            members = by_file.get(name, [])
            held = ", ".join(m[1] for m in members[:5]) + (" ..." if len(members) > 5 else "")
            try:
                whole = whole_file_digest(path)
            except FileNotFoundError:
                problems.append(f"{name}, holding {held}, is missing.")
                continue
            if whole != record["sha256"]:
                problems.append(f"{name}, holding {held}, does not match its SHA-256.")
                continue
            try:
                frames = read_frames(path, [m[2] for m in members])
            except SegmentCorrupted as exc:
                problems.append(f"{name}, holding {held}, cannot be read ({exc}).")
                continue
            for (_g, ticker, _b), frame in zip(members, frames, strict=True):
                if content_digest(frame) != manifest["tickers"][ticker]["sha256"]:
                    problems.append(f"The prices of {ticker} do not match their SHA-256.")
        return problems

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
        return self.save_many([(parsed, source)], retrieved_at)[0]

    def save_many(
        self,
        items: Iterable[tuple[ParsedPrices, str]],
        retrieved_at: str | None = None,
    ) -> list[StoredInfo]:
        """Store several validated price frames in one segment and one manifest update
        (an import of many files writes once); see :meth:`save`.

        ``items`` may be a generator: frames are written as they come, a chunk at a time
        (an import of 5,000 files holds a chunk, not the market), and nothing is stored
        unless every item arrives (an exception raised by the generator leaves the store as
        it was).  A ticker given twice is stored as given last.
        """
        import itertools

        items = iter(items)
        head = next(items, None)
        if head is None:
            return []
        stamp = retrieved_at or dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        meta: dict[str, tuple] = {}  # what the manifest keeps of each item, not its frame
        order: list[str] = []

        def frames():
            for parsed, source in itertools.chain([head], items):
                frame = parsed.frame
                meta[parsed.ticker] = (
                    source,
                    f"{frame.index[0]:%Y-%m-%d}",
                    f"{frame.index[-1]:%Y-%m-%d}",
                    len(frame),
                    _described(parsed),
                )
                order.append(parsed.ticker)
                yield parsed.ticker, frame.loc[:, list(PRICE_COLUMNS)]

        with self._locked():
            manifest = self._fresh_manifest()
            try:
                name, record = write_segment(self.prices_dir, frames())
            except OSError as exc:
                raise DataError(
                    f"Cannot write to the store {self.root} ({exc.strerror}); nothing stored "
                    "was changed."
                ) from None
            infos = {
                ticker: StoredInfo(
                    ticker=ticker,
                    source=source,
                    retrieved_at=stamp,
                    first=first,
                    last=last,
                    rows=rows,
                    sha256=record["tickers"][ticker]["sha256"],
                    file=name,
                    **described,
                )
                for ticker, (source, first, last, rows, described) in meta.items()
            }
            self._commit(manifest, name, record, infos)
        return [infos[t] for t in order]

    def _fresh_manifest(self) -> dict:
        self._cached = None
        manifest = self._manifest()
        return {
            "format": FORMAT_VERSION,
            "segments": dict(manifest["segments"]),
            "tickers": dict(manifest["tickers"]),
        }

    def _commit(self, manifest: dict, name: str, record: dict, infos: dict) -> None:
        """Point the manifest at a new segment, drop the segments nobody uses, compact."""
        groups = record.pop("tickers")
        record["rows"] = sum(i.rows for i in infos.values())
        manifest["segments"][name] = record
        for ticker, info in infos.items():
            manifest["tickers"][ticker] = _entry(info, groups[ticker]["blocks"])
        # the segments no ticker points to any more leave the manifest in the same write,
        # then the disk
        used = {e["file"] for e in manifest["tickers"].values()}
        unused = [n for n in manifest["segments"] if n not in used]
        for n in unused:
            del manifest["segments"][n]
        try:
            self._write_manifest(manifest)
        except OSError as exc:
            with contextlib.suppress(OSError):
                (self.prices_dir / name).unlink()
            raise DataError(
                f"Cannot write to the store {self.root} ({exc.strerror}); nothing stored was "
                "changed."
            ) from None
        for n in unused:
            with contextlib.suppress(OSError):
                (self.prices_dir / n).unlink(missing_ok=True)
        live = sum(e["rows"] for e in manifest["tickers"].values())
        total = sum(s.get("rows", 0) for s in manifest["segments"].values())
        if len(manifest["segments"]) > MAX_SEGMENTS or total - live > live:
            self._compact(manifest)

    def _write_manifest(self, manifest: dict) -> None:
        atomic_write(self.manifest_path, json.dumps(manifest, separators=(",", ":")).encode())
        self._cached = None

    def _compact(self, manifest: dict) -> None:
        """Rewrite every live row group into one segment (under the writer's lock)."""
        by_file = _by_segment(manifest, manifest["tickers"])

        def frames():
            for name, members in by_file.items():
                read = read_frames(self.prices_dir / name, [m[2] for m in members])
                yield from zip((m[1] for m in members), read, strict=True)

        try:
            name, record = write_segment(self.prices_dir, frames())
        except (OSError, SegmentCorrupted):
            return  # compaction is housekeeping: the store stays as it is
        infos = {
            t: dataclasses.replace(_info(manifest["tickers"][t]), file=name)
            for t in record["tickers"]
        }
        with contextlib.suppress(DataError):
            self._commit(manifest, name, record, infos)

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
        return self.save(self.merged(parsed), source)

    def merged(self, parsed: ParsedPrices) -> ParsedPrices:
        """A download reconciled with what is stored of its ticker (see :meth:`merge_save`),
        not yet saved.
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
        return parsed

    # -- the CSV store of version 0.2 ----------------------------------------------------
    def _legacy_metadata(self) -> list[Path]:
        if not self.prices_dir.is_dir():
            return []
        return sorted(p for p in self.prices_dir.glob("*.json") if p.name != MANIFEST)

    def _convert(self) -> None:
        """Convert a CSV store (one ``<ticker>.<sha12>.csv`` and ``<ticker>.json`` per
        ticker) to segments, every checksum verified first; one line on standard error.
        """
        with self._locked():
            if self.manifest_path.exists():
                return
            from research.data.csv_store import read_csv_store

            metas = self._legacy_metadata()
            frames, raws = read_csv_store(self.prices_dir, metas)
            infos = {t: StoredInfo(**raw) for t, raw in raws.items()}
            name, record = write_segment(self.prices_dir, frames.items())
            infos = {
                t: dataclasses.replace(i, file=name, sha256=record["tickers"][t]["sha256"])
                for t, i in infos.items()
            }
            self._commit(_empty_manifest(), name, record, infos)
            for meta in metas:
                with contextlib.suppress(OSError, json.JSONDecodeError):
                    old = json.loads(meta.read_text(encoding="utf-8"))["file"]
                    (self.prices_dir / old).unlink(missing_ok=True)
                    meta.unlink()
        print(
            f"converted the price store {self.root} ({len(infos)} tickers) from CSV files to "
            "its columnar form (prices/manifest.json), once",
            file=sys.stderr,
        )


def _described(parsed: ParsedPrices) -> dict:
    """What the manifest keeps of a parsed file besides its dates: adjustment, notes and
    exchange.
    """
    return {
        "adjusted": parsed.adjusted,
        "notes": tuple(parsed.notes),
        "market": parsed.market,
        "market_source": parsed.market_source,
    }


def _by_segment(manifest: dict, tickers: Iterable[str]) -> dict[str, list[tuple]]:
    """Stored tickers grouped by the segment holding them, each group in the segment's
    order: ``(first row group, ticker, blocks)``.
    """
    out: dict[str, list[tuple]] = {}
    for ticker in tickers:
        entry = manifest["tickers"][ticker]
        blocks = entry["blocks"]
        out.setdefault(entry["file"], []).append((blocks[0][1], ticker, blocks))
    for members in out.values():
        members.sort()
    return out


def _entry(info: StoredInfo, blocks: list) -> dict:
    entry = info.as_dict()
    del entry["format"]
    entry["blocks"] = blocks
    return entry


def _info(entry: dict) -> StoredInfo:
    raw = {k: v for k, v in entry.items() if k not in ("blocks", "format")}
    raw["notes"] = tuple(raw.get("notes", ()))
    return StoredInfo(**raw)


def _assemble(parts: list[tuple], columns: list[str], some_years: bool) -> PricePanel:
    """One panel of the segments' parts (tickers, row counts, dates, columns, whole starts
    and ends), in the order read: a single segment's arrays are used as they are.
    """
    import numpy as np

    tickers = [t for part in parts for t in part[0]]
    counts = np.concatenate([part[1] for part in parts]).astype(np.int64)
    bounds = np.r_[0, np.cumsum(counts)].astype(np.int64)
    starts = np.array([x for part in parts for x in part[4]], dtype=bool) if some_years else None
    ends = np.array([x for part in parts for x in part[5]], dtype=bool) if some_years else None
    if len(parts) == 1:
        return PricePanel(tickers, bounds, parts[0][2], parts[0][3], starts, ends)
    dates = np.concatenate([part[2] for part in parts])
    values = {c: np.concatenate([part[3][c] for part in parts]) for c in columns}
    return PricePanel(tickers, bounds, dates, values, starts, ends)
