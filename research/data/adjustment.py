"""One adjustment basis for stored prices that a download extends.

Yahoo's adjusted prices (``auto_adjust=True``) are rescaled back through all history
whenever a dividend is paid or a split happens: a download made today and one stored
last year are on different bases, and splicing the stored rows outside a new download
with its rows would put a false jump at the seam.  :func:`reconcile` compares the two on
the dates both hold and either merges them (same basis), rescales the stored rows outside
the download (bases a constant factor apart), keeps only the download (no constant
factor: the stored prices are not the same series up to a basis), or refuses (no date in
common, so the bases cannot be matched).

Example
-------
>>> import pandas as pd
>>> from research.data.adjustment import reconcile
>>> def frame(dates, closes):
...     index = pd.DatetimeIndex(dates, name="date")
...     cols = ("open", "high", "low", "close", "adj_close", "volume")
...     return pd.DataFrame({c: closes if c == "close" else float("nan") for c in cols}, index)
>>> old = frame(["2023-06-15", "2023-06-16"], [100.0, 101.0])
>>> new = frame(["2023-06-16", "2023-06-19"], [97.97, 99.0])  # 0.97 x the stored 101.0
>>> merged, notes = reconcile(old, new, "0016.HK")
>>> [round(x, 4) for x in merged["close"]]
[97.0, 97.97, 99.0]
>>> notes[0][:48]
'1 stored row(s) before 2023-06-16 rescaled by 0.'
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from research.data.prices import return_price
from research.errors import DataError

# The stored and downloaded prices agree when every ratio on their common dates is within
# this relative distance of 1; they are one basis apart when the ratios spread by at most
# this much (max / min - 1).  Yahoo's adjusted prices are float32 (7 significant digits),
# so a true constant factor spreads by about 1e-7; a dividend moves it by 1e-3 or more.
AGREE_TOLERANCE = 1e-6
CONSTANT_TOLERANCE = 1e-4

PRICE_FIELDS = ("open", "high", "low", "close", "adj_close")  # rescaled; volume is not


def no_overlap_message(
    ticker: str,
    stored: tuple[pd.Timestamp, pd.Timestamp],
    download: tuple[pd.Timestamp, pd.Timestamp],
    what: str = "The download",
) -> str:
    """The sentence refusing a download that shares no date with the stored prices.

    Parameters
    ----------
    ticker : str
        The ticker.
    stored, download : tuple of pandas.Timestamp
        First and last date of the stored prices and of the download (or the requested
        span).
    what : str
        How the download is named at the start of the sentence.

    Returns
    -------
    str
    """
    first, last = stored
    if download[1] < first:
        hint = f"fetch up to an end date inside the stored span (e.g. --end {first:%Y-%m-%d})"
    else:
        hint = f"fetch from a start date inside the stored span (e.g. --start {last:%Y-%m-%d})"
    return (
        f"{what} of {ticker} ({download[0]:%Y-%m-%d}..{download[1]:%Y-%m-%d}) does not "
        f"overlap its stored prices ({first:%Y-%m-%d}..{last:%Y-%m-%d}), so their adjustment "
        f"bases cannot be matched; {hint}."
    )


def reconcile(
    old: pd.DataFrame, new: pd.DataFrame, ticker: str = "the ticker"
) -> tuple[pd.DataFrame, list[str]]:
    """Merge stored prices with a download on the download's adjustment basis.

    The two are compared on the dates both hold, through the price returns are computed
    from (:func:`research.data.prices.return_price`: ``adj_close`` where present, else
    ``close``), as the ratio download / stored:

    * every ratio within :data:`AGREE_TOLERANCE` of 1: the same basis; the stored rows
      outside the download's dates are kept as they are;
    * the ratios spread by at most :data:`CONSTANT_TOLERANCE`: a dividend or split since
      the stored prices were downloaded; the stored rows before the download are multiplied
      by the ratio on the download's first common date, those after it by the ratio on its
      last common date (prices only, not volume), so that the return across each seam is
      the stored one;
    * otherwise: not one series up to a basis; only the download is kept.

    Inside the download's span the download wins, as before.

    Parameters
    ----------
    old : pandas.DataFrame
        The stored price frame (:mod:`research.data.prices` columns).
    new : pandas.DataFrame
        The downloaded price frame.
    ticker : str
        Named in the notes and the error.

    Returns
    -------
    merged : pandas.DataFrame
        The price frame to store.
    notes : list of str
        What was done, for the store's notes (empty when nothing of the stored prices was
        kept or changed).

    Raises
    ------
    DataError
        When stored rows lie outside the download but the two share no date, so their
        bases cannot be matched.
    """
    if new.empty:
        raise DataError(f"The download of {ticker} has no rows; nothing stored was changed.")
    start, end = new.index[0], new.index[-1]
    before = old.index < start
    after = old.index > end
    outside = old.loc[before | after]
    if outside.empty:
        return new.copy(), []
    common = old.index.intersection(new.index)
    if common.empty:
        raise DataError(no_overlap_message(ticker, (old.index[0], old.index[-1]), (start, end)))
    ratio = (return_price(new).loc[common] / return_price(old).loc[common]).to_numpy(float)
    kept = f"kept {len(outside)} stored row(s) outside the download"
    if np.all(np.abs(ratio - 1.0) <= AGREE_TOLERANCE):
        return _splice(outside, new), [kept]
    low, high = float(ratio.min()), float(ratio.max())
    if high / low - 1.0 <= CONSTANT_TOLERANCE:
        rescaled = outside.copy()
        notes = []
        measured = (
            f"the ratio is constant on the {len(common)} dates both hold"
            if len(common) > 1
            else "the ratio on the one date both hold"
        )
        for mask, factor, side, seam in (
            (rescaled.index < start, ratio[0], "before", start),
            (rescaled.index > end, ratio[-1], "after", end),
        ):
            if mask.any():
                rescaled.loc[mask, list(PRICE_FIELDS)] *= factor
                notes.append(
                    f"{int(mask.sum())} stored row(s) {side} {seam:%Y-%m-%d} rescaled by "
                    f"{factor:.6g} to the download's adjustment basis ({measured}: a "
                    "dividend or split since the last download)"
                )
        return _splice(rescaled, new), [*notes, kept]
    return new.copy(), [
        f"replaced the stored prices: on the {len(common)} date(s) both hold, the download / "
        f"stored ratio is not constant ({low:.6g} to {high:.6g}), so they are not one "
        f"adjustment basis apart; dropped {len(outside)} stored row(s) outside the download "
        f"({start:%Y-%m-%d}..{end:%Y-%m-%d})"
    ]


def _splice(outside: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([outside, new]).sort_index()
