"""Test helpers that reach into the price store's files: corrupting a ticker's stored
prices as a disk fault would, and copying stored series into a fresh store."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from research.data.prices import ParsedPrices
from research.data.store import PriceStore


def corrupt_prices(store: PriceStore, ticker: str, column: str = "close") -> Path:
    """Flip one byte inside the data page of ``ticker``'s ``column`` (its CRC no longer
    matches); the segment's path."""
    info = store.info(ticker)
    path = store.prices_dir / info.file
    group = store._manifest()["tickers"][ticker]["blocks"][0][1]  # its first year's
    meta = pq.ParquetFile(path).metadata.row_group(group)
    (chunk,) = [
        meta.column(i) for i in range(meta.num_columns) if meta.column(i).path_in_schema == column
    ]
    at = chunk.data_page_offset + chunk.total_compressed_size - 3
    data = path.read_bytes()
    path.write_bytes(data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :])
    return path


def copy_store(source: PriceStore, root: Path, tickers: list[str]) -> PriceStore:
    """A fresh store at ``root`` holding ``source``'s series ``tickers`` as stored (prices,
    source, notes, exchange)."""
    items = []
    for t in tickers:
        info = source.info(t)
        parsed = ParsedPrices(
            t,
            source.load(t),
            "copied",
            info.adjusted,
            [],
            list(info.notes),
            info.market,
            info.market_source,
        )
        items.append((parsed, info.source))
    store = PriceStore(root)
    store.save_many(items)
    return store
