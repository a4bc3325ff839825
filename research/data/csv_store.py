"""Reading the price store of version 0.2 (one ``<ticker>.<sha12>.csv`` with a
``<ticker>.json`` per ticker) so that :class:`research.data.store.PriceStore` converts it to
its columnar form on first use, every checksum verified before anything is written.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pandas as pd

from research.data.prices import PRICE_COLUMNS
from research.errors import StoreCorruptedError

__all__ = ["read_csv_store"]


def read_csv_store(
    prices_dir: Path, metas: list[Path]
) -> tuple[dict[str, pd.DataFrame], dict[str, dict]]:
    """Every ticker's prices and metadata (the fields of
    :class:`research.data.store.StoredInfo`), read as 0.2 read them.

    Raises
    ------
    StoreCorruptedError
        Naming the first ticker whose metadata or prices are unreadable or do not match
        their checksum; nothing is changed.
    """
    frames, raws = {}, {}
    for meta in metas:
        ticker = meta.name[:-5]
        try:
            raw = json.loads(meta.read_text(encoding="utf-8"))
            data = (prices_dir / raw["file"]).read_bytes()
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, OSError):
            raise StoreCorruptedError(
                f"The CSV store {prices_dir} cannot be converted: the metadata or prices of "
                f"{ticker} are unreadable; re-import the ticker with `eventstudy data import "
                "FILE` (nothing was changed)."
            ) from None
        if hashlib.sha256(data).hexdigest() != raw.get("sha256"):
            raise StoreCorruptedError(
                f"The CSV store {prices_dir} cannot be converted: the stored prices of "
                f"{ticker} do not match their checksum; re-import the ticker with "
                "`eventstudy data import FILE` (nothing was changed)."
            )
        frames[ticker] = pd.read_csv(
            io.BytesIO(data),
            index_col="date",
            parse_dates=["date"],
            dtype={c: float for c in PRICE_COLUMNS},
        )
        raw.pop("format", None)
        raw["notes"] = tuple(raw.get("notes", ()))
        raws[ticker] = raw
    return frames, raws
