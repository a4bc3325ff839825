"""Returns on a session grid, and cross-market alignment.

Simple returns ``R_t = P_t / P_{t-1} - 1`` are the default; log returns
``r_t = ln(P_t / P_{t-1})`` on request.  Returns are taken between consecutive
sessions of the study's grid (the exchange calendar's, never the data's own rows); a
return that would span a session on which the security has no price is not computed
(NaN), so no multi-day return is ever mistaken for a daily one.

Markets that close at different hours are aligned by session:

* same-day alignment for markets that close before or with Hong Kong
  (Tokyo, Seoul, Singapore, Shanghai);
* :func:`previous_session_returns` for markets that close after Hong Kong
  (New York: the S&P 500 session dated *d* closes at 04:00/05:00 HKT on
  *d+1*), compounding every foreign session dated in ``[t_prev, t)`` into the
  return assigned to Hong Kong session ``t``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from research.errors import OptionError

ReturnKind = Literal["simple", "log"]


def compute_returns(
    prices: pd.DataFrame | pd.Series,
    sessions: pd.DatetimeIndex | None = None,
    kind: ReturnKind = "simple",
) -> pd.DataFrame | pd.Series:
    """Returns between consecutive sessions.

    Parameters
    ----------
    prices
        Prices indexed by date (one column per security).
    sessions
        The session grid; default the prices' own index.
    kind
        ``"simple"`` or ``"log"``.

    Returns
    -------
    Same shape as ``prices`` reindexed to ``sessions``; the first row is NaN.
    """
    if kind not in ("simple", "log"):
        raise OptionError(f"kind must be 'simple' or 'log', not {kind!r}.")
    grid = prices if sessions is None else prices.reindex(sessions)
    ratio = grid / grid.shift(1)
    if kind == "log":
        return np.log(ratio)
    return ratio - 1.0


def trade_to_trade_returns(
    prices: pd.DataFrame,
    sessions: pd.DatetimeIndex,
    kind: ReturnKind = "simple",
    max_span: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Returns from each traded session to the next, and the sessions each one spans.

    On a session with a price, the return runs from the security's previous session with
    a price (Maynes & Rumsey 1993): after a gap of ``g`` sessions without a price it spans
    ``n = g + 1`` sessions; on a session without a price there is no return.  With no gap
    the returns equal :func:`compute_returns` and every span is 1.

    Parameters
    ----------
    prices
        Prices indexed by date (one column per security).
    sessions
        The session grid.
    kind
        ``"simple"`` or ``"log"``.
    max_span
        The most sessions a return may span: a longer gap is a suspension, not thin
        trading, and the return across it stays missing (None: no limit).

    Returns
    -------
    returns, spans
        Frames on ``sessions``; ``spans`` holds ``n`` where there is a return, else NaN.
    """
    if kind not in ("simple", "log"):
        raise OptionError(f"kind must be 'simple' or 'log', not {kind!r}.")
    grid = prices.reindex(sessions)
    traded = grid.notna()
    position = np.arange(len(grid), dtype=float)[:, None]
    marks = np.where(traded.to_numpy(), position, np.nan)  # a traded session's position
    last = pd.DataFrame(marks).ffill().shift(1).to_numpy()  # the previous one with a price
    ratio = grid / grid.ffill().shift(1)
    returns = np.log(ratio) if kind == "log" else ratio - 1.0
    spans = np.where(traded.to_numpy() & returns.notna().to_numpy(), position - last, np.nan)
    if max_span is not None:
        spans = np.where(spans <= max_span, spans, np.nan)
    spans = pd.DataFrame(spans, index=grid.index, columns=grid.columns)
    return returns.where(spans.notna()), spans


def to_simple(returns: pd.DataFrame | np.ndarray, kind: ReturnKind):
    """Simple returns from returns of ``kind``."""
    return np.expm1(returns) if kind == "log" else returns


def align_foreign_returns(
    prices: pd.Series,
    sessions: pd.DatetimeIndex,
    same_day: bool,
    kind: ReturnKind = "simple",
    foreign_sessions: pd.DatetimeIndex | None = None,
) -> pd.Series:
    """A foreign market's returns aligned to the home sessions they can affect.

    For home session ``t`` with previous session ``t_prev``, the foreign
    market's own daily log returns are summed (compounded) over its sessions
    dated in ``(t_prev, t]`` when its session overlaps the home session
    (``same_day``), or in ``[t_prev, t)`` when it opens after the home market
    closes (New York for Hong Kong: the S&P 500 session of date *d* is known
    before the Hong Kong session after *d*).  No foreign return is dropped or
    counted twice.  A home session whose interval holds no foreign session (a
    foreign holiday such as Juneteenth) gets a zero return: the foreign market was
    closed, and its next session's return covers the whole gap.

    Parameters
    ----------
    foreign_sessions
        The foreign exchange's own sessions.  A foreign session without a price is then
        missing data: its return, and the return after it (which spans it), are NaN, and
        so is every home session whose interval holds one of them.  Without it, the
        foreign series' own rows are taken as its sessions.

    Returns
    -------
    pandas.Series
        Indexed by ``sessions``; NaN where no foreign return can be known.
    """
    if foreign_sessions is not None:
        span = foreign_sessions[
            (foreign_sessions >= prices.dropna().index.min())
            & (foreign_sessions <= prices.dropna().index.max())
        ]
        grid = prices.reindex(span)
        own = np.log(grid / grid.shift(1)).iloc[1:]
    else:
        own = np.log(prices / prices.shift(1)).dropna()
    sessions = pd.DatetimeIndex(sessions)
    pos = sessions.searchsorted(own.index, side="left" if same_day else "right")
    valid = (pos < len(sessions)) & (pos > 0)
    values = own.to_numpy()[valid]
    groups = pd.Series(values).groupby(pos[valid])
    grouped = groups.sum()  # NaN-skipping: missing sessions are counted below
    holes = pd.Series(np.isnan(values)).groupby(pos[valid]).any()
    grouped[holes.to_numpy()] = np.nan
    out = pd.Series(np.nan, index=sessions, name=prices.name)
    if len(own):
        # inside the foreign data's span a home session with no foreign session in its
        # interval (a foreign holiday) gets 0: the foreign market was closed
        first = sessions.searchsorted(own.index[0], side="left" if same_day else "right")
        last = sessions.searchsorted(own.index[-1], side="left" if same_day else "right")
        out.iloc[first : min(last + 1, len(sessions))] = 0.0
    out.iloc[grouped.index.to_numpy()] = grouped.to_numpy()
    return np.expm1(out) if kind == "simple" else out


def previous_session_returns(
    prices: pd.Series, sessions: pd.DatetimeIndex, kind: ReturnKind = "simple"
) -> pd.Series:
    """Returns of a market that opens after the home market closes.

    See :func:`align_foreign_returns`.
    """
    return align_foreign_returns(prices, sessions, same_day=False, kind=kind)
