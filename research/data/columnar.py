"""The store's columnar files: many tickers' prices in one Parquet file, and the panel they
are read into.

A *segment* (``prices/seg-<sha12>.parquet``) holds one row group per ticker, rows in date
order, with the columns ``ticker`` (string), ``date`` (date32: the exchange-local trading
date) and the float64 price columns of :data:`research.data.prices.PRICE_COLUMNS`.  Every
data page carries a CRC-32 that is checked whenever it is read (Parquet's page checksums);
the file's footer (schema, row groups, offsets) has its SHA-256 recorded in the store's
manifest and checked on every read; the SHA-256 of the whole file and of each ticker's
content (:func:`content_digest`) are recorded too and checked by ``eventstudy data verify``.

A study reads the row groups of its tickers, and only the columns it needs, into a
:class:`PricePanel`: one long array per column, ticker after ticker, with the row bounds
of each (the layout the vectorized checks of :mod:`research.data.quality` work on).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from research.data.prices import PRICE_COLUMNS

__all__ = [
    "PricePanel",
    "SegmentCorrupted",
    "content_digest",
    "footer_digest",
    "read_segment",
    "write_segment",
]

# lz4 with byte-stream-split floats and delta-coded dates: measured on 2,000 tickers x 3,600
# sessions, reading four columns takes 0.19 s (zstd 0.28 s, uncompressed 0.60 s)
_COMPRESSION = "lz4"


class SegmentCorrupted(Exception):
    """A segment whose bytes do not match what was recorded (caught by the store)."""


@dataclass
class PricePanel:
    """Several tickers' prices as long arrays: ticker after ticker, each in date order.

    Attributes
    ----------
    tickers : list of str
        In the order of their rows.
    bounds : numpy.ndarray
        ``len(tickers) + 1`` row offsets: ticker ``k`` holds rows ``bounds[k]:bounds[k+1]``.
    dates : numpy.ndarray
        ``datetime64[us]`` trading dates.
    values : dict of str to numpy.ndarray
        float64 columns (a subset of the price columns).
    """

    tickers: list[str]
    bounds: np.ndarray
    dates: np.ndarray
    values: dict[str, np.ndarray]

    def position(self, ticker: str) -> int:
        """The index of ``ticker`` in :attr:`tickers`."""
        if len(getattr(self, "_where", ())) != len(self.tickers):
            self._where = {t: k for k, t in enumerate(self.tickers)}
        return self._where[ticker]

    def frame(self, ticker: str) -> pd.DataFrame:
        """One ticker as a validated price frame (columns not read are NaN)."""
        k = self.position(ticker)
        rows = slice(int(self.bounds[k]), int(self.bounds[k + 1]))
        frame = pd.DataFrame(index=pd.DatetimeIndex(self.dates[rows], name="date"))
        for col in PRICE_COLUMNS:
            frame[col] = self.values[col][rows] if col in self.values else np.nan
        return frame

    @classmethod
    def from_frames(cls, frames: dict[str, pd.DataFrame], columns: Iterable[str]) -> PricePanel:
        """A panel of validated price frames (the embedded sample, a test)."""
        columns = list(columns)
        tickers = list(frames)
        sizes = [len(frames[t]) for t in tickers]
        bounds = np.r_[0, np.cumsum(sizes)].astype(np.int64)
        dates = (
            np.concatenate([frames[t].index.values.astype("datetime64[us]") for t in tickers])
            if tickers
            else np.array([], dtype="datetime64[us]")
        )
        values = {
            c: np.concatenate([frames[t][c].to_numpy(dtype=float) for t in tickers])
            if tickers
            else np.array([])
            for c in columns
        }
        return cls(tickers, bounds, dates, values)


def content_digest(frame: pd.DataFrame) -> str:
    """SHA-256 of one ticker's prices: its dates (int32 days) then each price column's
    float64 bytes, in :data:`PRICE_COLUMNS` order.
    """
    h = hashlib.sha256(frame.index.values.astype("datetime64[D]").astype("<i4").tobytes())
    for col in PRICE_COLUMNS:
        h.update(np.ascontiguousarray(frame[col].to_numpy(dtype="<f8")).tobytes())
    return h.hexdigest()


def _table(ticker: str, frame: pd.DataFrame):
    import pyarrow as pa

    n = len(frame)
    arrays = {
        "ticker": pa.array([ticker] * n, type=pa.string()),
        "date": pa.array(frame.index.values.astype("datetime64[D]"), type=pa.date32()),
    }
    for col in PRICE_COLUMNS:
        arrays[col] = pa.array(frame[col].to_numpy(dtype=float), type=pa.float64())
    return pa.table(arrays)


def write_segment(folder: Path, items: Iterable[tuple[str, pd.DataFrame]]) -> tuple[str, dict]:
    """Write one segment of ``(ticker, frame)`` items, one row group each, atomically.

    Returns
    -------
    name, record
        The file name (``seg-<sha12>.parquet``, from its SHA-256) and what the manifest
        keeps of it: ``sha256``, ``footer_sha256``, ``bytes`` and each ticker's
        ``row_group`` and ``sha256`` (:func:`content_digest`), under ``tickers``.
    """
    import pyarrow.parquet as pq

    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".seg-", suffix=".tmp")
    os.close(fd)
    tickers: dict[str, dict] = {}
    try:
        writer = None
        for ticker, frame in items:
            table = _table(ticker, frame)
            if writer is None:
                writer = pq.ParquetWriter(
                    tmp,
                    table.schema,
                    compression=_COMPRESSION,
                    use_dictionary=["ticker"],
                    column_encoding={
                        "date": "DELTA_BINARY_PACKED",
                        **{c: "BYTE_STREAM_SPLIT" for c in PRICE_COLUMNS},
                    },
                    write_page_checksum=True,
                    write_statistics=["date"],
                )
            writer.write_table(table, row_group_size=max(len(frame), 1))
            tickers[ticker] = {"row_group": len(tickers), "sha256": content_digest(frame)}
        if writer is None:
            raise ValueError("a segment needs at least one ticker")
        writer.close()
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        digest = whole_file_digest(Path(tmp))
        footer = _read_footer(Path(tmp))
        size = os.path.getsize(tmp)
        name = f"seg-{digest[:12]}.parquet"
        os.replace(tmp, folder / name)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    record = {
        "sha256": digest,
        "footer_sha256": footer_digest(footer),
        "bytes": size,
        "tickers": tickers,
    }
    return name, record


def footer_digest(footer: bytes) -> str:
    """SHA-256 of a Parquet file's footer (its metadata and the trailing length and magic,
    as :func:`_read_footer` returns them); "" for bytes that are not a Parquet footer.
    """
    if len(footer) < 12 or footer[-4:] != b"PAR1":
        return ""
    return hashlib.sha256(footer).hexdigest()


def _read_footer(path: Path) -> bytes:
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        end = handle.tell()
        if end < 12:
            return b""
        handle.seek(end - 8)
        tail = handle.read(8)
        if tail[4:] != b"PAR1":
            return tail
        size = int.from_bytes(tail[:4], "little")
        handle.seek(max(end - size - 8, 0))
        return handle.read()


# row groups read per Arrow call: Arrow's buffers for a batch are copied into the panel's
# arrays and released, so a read's peak memory is the panel plus one batch, not twice
# the panel (measured on 2,000 tickers x 3,600 sessions: 590 MB -> see docs/performance.md)
_BATCH = 128


def read_segment(
    path: Path, footer_sha256: str, groups: list[int], columns: list[str]
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Read row groups of a segment: per group its row count, the dates and the columns.

    Raises
    ------
    FileNotFoundError
        If the segment is gone (a concurrent compaction: the caller retries).
    SegmentCorrupted
        If its footer or a page's CRC does not match.
    """
    import pyarrow.parquet as pq

    if footer_digest(_read_footer(path)) != footer_sha256:
        raise SegmentCorrupted(str(path))
    try:
        handle = pq.ParquetFile(path, page_checksum_verification=True)
        meta = handle.metadata
        counts = np.array([meta.row_group(g).num_rows for g in groups], dtype=np.int64)
        total = int(counts.sum())
        dates = np.empty(total, dtype="datetime64[us]")
        values = {c: np.empty(total) for c in columns}
        at = 0
        for first in range(0, len(groups), _BATCH):
            batch = groups[first : first + _BATCH]
            table = handle.read_row_groups(batch, columns=["date", *columns])
            n = table.num_rows
            dates[at : at + n] = table.column("date").to_numpy()
            for c in columns:
                values[c][at : at + n] = table.column(c).to_numpy()
            at += n
            del table
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as exc:  # pyarrow: CRC mismatch, undecodable page
        raise SegmentCorrupted(f"{path}: {exc}") from None
    return counts, dates, values


def whole_file_digest(path: Path) -> str:
    """SHA-256 of a file, read in 8 MB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 23):
            h.update(block)
    return h.hexdigest()


def read_frames(path: Path, groups: list[int]) -> list[pd.DataFrame]:
    """Whole row groups as validated price frames (for verification and compaction)."""
    counts, dates, values = read_segment_unchecked(path, groups)
    out, start = [], 0
    for n in counts:
        rows = slice(start, start + int(n))
        frame = pd.DataFrame(index=pd.DatetimeIndex(dates[rows], name="date"))
        for col in PRICE_COLUMNS:
            frame[col] = values[col][rows]
        out.append(frame)
        start += int(n)
    return out


def read_segment_unchecked(path: Path, groups: list[int]):
    """Like :func:`read_segment` with every column, the pages' CRCs checked, the footer not
    (the caller has checked the whole file).
    """
    import pyarrow.parquet as pq

    try:
        handle = pq.ParquetFile(path, page_checksum_verification=True)
        counts = np.array([handle.metadata.row_group(g).num_rows for g in groups], dtype=np.int64)
        table = handle.read_row_groups(groups, columns=["date", *PRICE_COLUMNS])
    except FileNotFoundError:
        raise
    except (OSError, ValueError) as exc:
        raise SegmentCorrupted(f"{path}: {exc}") from None
    dates = table.column("date").to_numpy().astype("datetime64[us]")
    return counts, dates, {c: table.column(c).to_numpy().astype(float) for c in PRICE_COLUMNS}
