"""Importing many price files: each read, its exchange required and its quality noted, a
chunk at a time, for the store to write as they come (``eventstudy data import``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from research.data import quality
from research.data.identity import unknown_market_message
from research.data.prices import ParsedPrices, read_price_csv
from research.errors import MalformedFileError

__all__ = ["checked_files"]


def checked_files(
    files: list[Path], market: str | None = None, progress: Iterable[Path] | None = None
) -> Iterator[tuple[ParsedPrices, str]]:
    """Each file read (:func:`research.data.prices.read_price_csv`), its exchange
    required, and noted (how the exchange became known, when not by the universe or the
    suffix; its suspensions, snapshots and jumps:
    :func:`research.data.quality.import_notes`), a chunk at a time:
    ``(parsed, source)`` pairs for :meth:`research.data.store.PriceStore.save_many`, which
    writes them as they come and stores nothing unless every one arrives.

    Parameters
    ----------
    progress
        ``files`` wrapped in a progress bar, if one is shown.

    Raises
    ------
    MalformedFileError
        For the first file that cannot be read, or whose exchange nothing places.
    """

    def noted(batch):
        found = quality.import_notes_of([(item.ticker, item.frame) for _f, item in batch])
        for (f, item), notes in zip(batch, found, strict=True):
            item.notes.extend(notes)
            yield item, str(Path(f).resolve())

    batch = []
    for f in files if progress is None else progress:
        item = read_price_csv(f, market=market)
        if not item.market:
            raise MalformedFileError(unknown_market_message(item.ticker, str(f)))
        if not item.market_source.startswith(("the universe", "its suffix")):
            item.notes.insert(0, f"market {item.market}: {item.market_source}")
        batch.append((f, item))
        if len(batch) == 128:
            yield from noted(batch)
            batch = []
    yield from noted(batch)
