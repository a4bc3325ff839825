"""Trading volume on a session grid: what an abnormal-volume study is made of.

A day's measure is its log volume, ``ln V_t`` (Ajinkya & Jain 1989; Campbell & Wasley
1996): volume is skewed, its log nearly symmetric.  A day without trading (zero volume, or
a flat, untraded day the quality scan finds) has no log volume: it is missing, never
``ln 0`` nor 0.  A session without a row is missing too, as for returns.

The market's log volume, the regressor of the market model for volume, is the reference
index's own when it has volume on nearly every session of the grid
(:data:`INDEX_VOLUME_SHARE`), else the equal-weighted mean log volume of the stocks of the
universe on the same exchange that the store holds (Yahoo's Hong Kong indices often carry
no volume for their early years).  :func:`volume_inputs` says which in its notes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from research.data import quality
from research.data.inputs import StudyInputs, build_inputs
from research.data.markets import get_market
from research.data.prices import return_price
from research.data.store import PriceStore
from research.errors import DataError

__all__ = ["INDEX_VOLUME_SHARE", "log_volume", "market_log_volume", "volume_inputs"]

# The share of the grid's sessions on which an index must report volume for its own log
# volume to be the market's.
INDEX_VOLUME_SHARE = 0.95

MARKET_VOLUME = "market log volume"


def log_volume(frame: pd.DataFrame, ticker: str, grid: pd.DatetimeIndex) -> pd.Series:
    """One stored series' log volume on ``grid``: missing on a session without a row, with
    zero volume, or without a trade (flat price, zero volume: :func:`research.data.quality.scan`).
    """
    found = quality.scan(frame, ticker)
    snapshots = quality.dropped_rows(found).get(ticker, [])
    if snapshots:
        frame = frame.drop(index=snapshots)
    traded = quality.without_untraded(return_price(frame), found).notna()
    volume = frame["volume"].where(traded & (frame["volume"] > 0))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log(volume.astype(float))
    return out.reindex(grid).rename(ticker)


def market_log_volume(
    grid: pd.DatetimeIndex,
    market: str,
    store: PriceStore,
    universe: pd.DataFrame,
    index: str | None = None,
) -> tuple[pd.Series, str]:
    """The market's log volume on ``grid`` and how it was made (a note).

    ``index``'s own log volume when it has volume on :data:`INDEX_VOLUME_SHARE` of the
    sessions, else the equal-weighted mean log volume of the universe's stocks on
    ``market`` held in ``store`` (each session's mean over the stocks that traded).
    """
    index = index or get_market(market).reference
    share = 0.0
    if index and index in store:
        own = log_volume(store.load(index), index, grid)
        share = float(own.notna().mean()) if len(own) else 0.0
        if share >= INDEX_VOLUME_SHARE:
            return own.rename(MARKET_VOLUME), f"{index}'s own log volume"
    stocks = [
        t
        for t in universe.index
        if universe.at[t, "market"] == market and universe.at[t, "group"] != "index" and t in store
    ]
    if not stocks:
        raise DataError(
            f"No market volume for {market}: {index or 'its index'} reports volume on "
            f"{share:.0%} of the sessions and the store holds no stock of the universe on "
            f"{market}; use the mean-adjusted model (model='constant-mean')."
        )
    logs = pd.DataFrame(_log_volumes(store, stocks, grid))
    mean = logs.mean(axis=1, skipna=True).where(logs.notna().any(axis=1))
    why = f"{index} reports volume on {share:.0%} of the sessions" if index else "no index"
    return mean.rename(MARKET_VOLUME), (
        f"the equal-weighted mean log volume of the {len(stocks)} {market} stocks of the "
        f"universe ({why})"
    )


def _log_volumes(store, tickers: list[str], grid: pd.DatetimeIndex) -> dict[str, pd.Series]:
    """:func:`log_volume` of each ticker, their prices read as one panel."""
    from research.data.inputs import load_panel

    panel = load_panel(store, list(dict.fromkeys(tickers)), ("close", "adj_close", "volume"))
    return {t: log_volume(panel.frame(t), t, grid) for t in tickers}


def volume_inputs(
    securities: list[str],
    market: str,
    store: PriceStore,
    universe: pd.DataFrame,
    with_market: bool = True,
    index: str | None = None,
) -> StudyInputs:
    """Log volumes (in ``returns``) and the market's log volume (in ``benchmarks``) on the
    securities' exchange sessions, with the quality flags of their prices.

    Parameters
    ----------
    with_market
        Also build the market's log volume (the market model's regressor); the
        mean-adjusted model needs none.
    index
        The index whose volume may serve as the market's (default: the exchange's).
    """
    panel = build_inputs(securities, [], market, store)
    grid = panel.trading_days
    logs = pd.DataFrame(_log_volumes(store, securities, grid), index=grid)
    if logs.notna().sum().sum() == 0:
        raise DataError(
            f"No volume is stored for {', '.join(securities)}; import prices with a volume column."
        )
    notes: dict[str, str] = {}
    bench = pd.DataFrame(index=grid)
    if with_market:
        series, how = market_log_volume(grid, panel.market.code, store, universe, index)
        bench[MARKET_VOLUME] = series
        notes[MARKET_VOLUME] = how
    none = pd.DataFrame(False, index=grid, columns=list(securities))
    return StudyInputs(panel.market, panel.sessions, logs, bench, none, panel.quality, notes, "log")
