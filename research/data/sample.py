"""The embedded sample: the case study's prices (:mod:`research.cases.hk2023`), shipped
with the package.

A fresh install has an empty price store and, often, no network.  So that the package's
main job runs anywhere, it ships the closes (adjusted where the source is) and volumes of
the 48 tickers of ``data/universe.csv`` over the case's years, cut from the market
snapshot by ``scripts/make_sample.py`` (what it took: ``research/data/hk2023.json``;
provenance: data/README.md).  :class:`SampleStore` reads it with the price store's reading
interface; :func:`choose_store` uses it only when the store holds none of the tickers a
command needs, and says so.  Stored prices, once present, always win, and nothing is
written to the store unless asked (``eventstudy data import --sample``).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pandas as pd

from research.data.columnar import PricePanel
from research.data.prices import PRICE_COLUMNS, ParsedPrices
from research.data.store import PriceStore, StoredInfo
from research.errors import DataError

SAMPLE = Path(__file__).with_name("hk2023.csv.gz")
MANIFEST = SAMPLE.with_name("hk2023.json")


@cache
def _table() -> pd.DataFrame:
    frame = pd.read_csv(SAMPLE, parse_dates=["date"], dtype={"ticker": str})
    return frame.set_index(["ticker", "date"]).sort_index()


@cache
def manifest() -> dict:
    """What the sample holds and where it was cut from (``research/data/hk2023.json``)."""
    return json.loads(MANIFEST.read_text())


class SampleStore:
    """The embedded sample, read through the price store's reading interface."""

    root = SAMPLE

    def tickers(self) -> list[str]:
        """The tickers the sample holds."""
        return sorted(manifest()["tickers"])

    def __contains__(self, ticker: str) -> bool:
        """Whether the sample holds ``ticker``."""
        return ticker in manifest()["tickers"]

    def require(self, tickers) -> None:
        """Refuse, with one sentence, a ticker the sample does not hold."""
        for ticker in tickers:
            if ticker not in self:
                raise DataError(
                    f"The embedded sample has no prices for {ticker}; import or fetch them "
                    "(`eventstudy data import PATH`, `eventstudy data fetch`)."
                )

    def info(self, ticker: str) -> StoredInfo:
        """Dates, rows and adjustment of one ticker in the sample."""
        self.require([ticker])
        m = manifest()["tickers"][ticker]
        return StoredInfo(
            ticker=ticker,
            source=f"embedded sample ({m['file']} of the market snapshot)",
            retrieved_at="",
            first=m["first"],
            last=m["last"],
            rows=m["rows"],
            adjusted=m["adjusted"],
            sha256=m["sha256"],
            file=SAMPLE.name,
            **_identity(ticker),
        )

    def load(self, ticker: str) -> pd.DataFrame:
        """The sample's price frame of one ticker (open, high and low are not kept)."""
        self.require([ticker])
        part = _table().loc[ticker]
        frame = pd.DataFrame(index=pd.DatetimeIndex(part.index, name="date"))
        for col in PRICE_COLUMNS:
            frame[col] = part[col].to_numpy(dtype=float) if col in part else float("nan")
        return frame

    def load_panel(self, tickers, columns=PRICE_COLUMNS) -> PricePanel:
        """Several tickers as the store's :meth:`~research.data.store.PriceStore.load_panel`
        gives them.
        """
        tickers = list(dict.fromkeys(tickers))
        wanted = [c for c in PRICE_COLUMNS if c in set(columns)]
        return PricePanel.from_frames({t: self.load(t) for t in tickers}, wanted)

    def parsed(self, ticker: str) -> ParsedPrices:
        """One ticker as an import would give it (for ``eventstudy data import --sample``)."""
        info = self.info(ticker)
        return ParsedPrices(
            ticker,
            self.load(ticker),
            "embedded-sample",
            info.adjusted,
            [],
            [],
            info.market,
            info.market_source,
        )


def _identity(ticker: str) -> dict[str, str]:
    """The exchange of a sample ticker (every one is in the universe)."""
    from research.data.identity import known_market

    known = known_market(ticker)
    return {"market": known[0], "market_source": known[1]} if known else {}


def choose_store(store: PriceStore | None, tickers) -> tuple[PriceStore | SampleStore, str]:
    """The store a command reads, and a note when it is the embedded sample.

    The sample serves only when the price store holds none of ``tickers`` and the sample
    holds them all; otherwise the store serves (and says which ticker it lacks).
    """
    store = store or PriceStore()
    tickers = list(tickers)
    if any(t in store for t in tickers) or not all(t in SampleStore() for t in tickers):
        return store, ""
    first, last = manifest()["span"]
    # one line at 80 columns: a fresh install's headline study stays within 200 lines
    # (issue 24); README says how to use one's own prices
    return SampleStore(), f"prices: the embedded sample ({first} to {last}), none in the store"
