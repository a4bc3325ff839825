"""Stale and suspicious prices: detection and the rule applied to each.

Rules (documented in ``docs/methodology.md``; every flag is reported in a
study's output, never applied silently):

``stale``
    A day whose close equals the previous close and whose volume is zero: no
    trade happened (a suspension, e.g. 1918.HK's year without trading in the snapshot).
    It has no price (:func:`without_untraded`): its return and the return of the next
    traded day (which spans the suspension) are missing, in estimation and event windows
    alike, as for a session with no row.  Runs of at least ``suspension_days`` such days
    are reported as suspensions.
``snapshot``
    The last row has zero volume while the rows before it trade: an intraday
    snapshot saved before the close (the snapshot's last ^HSCE row).  The row
    is excluded everywhere.
``jump``, ``large move``, ``resumption``
    An absolute log return above ``jump_threshold`` (default 0.4, about +49% or
    -33%) is classified.  Most such days are real news (a sector rally, a
    restructuring), so only the signs of a data error exclude it from estimation
    (kind ``jump``, the reason in ``action``): reversed the next day (a bad tick: that
    day and the next are excluded), a price ratio within 1% of a split or bonus ratio (1.5,
    2, 2.5, 3, 4, 5, 10, 20 or their inverses), no volume on a series that trades, within the first
    five returns of a listing, or a move beyond ``extreme_log_return`` (a factor of
    e, about -63% or +172%, in one traded day: an unadjusted corporate action or a
    stitched series far more often than news).  The first traded day after a stale
    stretch is a ``resumption``: its return spans the suspension and is excluded as
    the stale rule says.  Every other large move is a ``large move``: persistent and
    traded, so kept, and reported.  The jump exclusions apply to estimation windows only:
    an event-window day that traded keeps its return (a day without a trade has none).
``gap``
    Exchange sessions with no row inside a security's span (runs of at least
    ``gap_sessions``, default 1).  They are missing data: no return on them, nor on the
    session after (it spans the gap).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class QualityRules:
    """Thresholds of the quality rules (see the module docstring)."""

    suspension_days: int = 5
    jump_threshold: float = 0.4
    extreme_log_return: float = 1.0
    reversal_share: float = 0.75
    split_tolerance: float = 0.01
    listing_returns: int = 5
    gap_sessions: int = 1


FLAG_COLUMNS = ["ticker", "kind", "start", "end", "days", "action"]


def scan(frame: pd.DataFrame, ticker: str, rules: QualityRules | None = None) -> pd.DataFrame:
    """Flag stale, snapshot and jump days of one stored price frame.

    Parameters
    ----------
    frame
        A validated price frame (:mod:`research.data.prices`).
    ticker
        Its ticker, copied to the output.

    Returns
    -------
    pandas.DataFrame
        One row per flagged stretch: ``ticker, kind, start, end, days, action``
        (:func:`scan_panel` on a panel of one).
    """
    from research.data.columnar import PricePanel

    return scan_panel(PricePanel.from_frames({ticker: frame}, ("close", "volume")), rules)


def first_rows(bounds: np.ndarray, n: int) -> np.ndarray:
    """Boolean mask of each ticker's first row in a panel's long arrays."""
    bounds = np.asarray(bounds, dtype=np.int64)
    first = np.zeros(n, dtype=bool)
    first[bounds[:-1][np.diff(bounds) > 0]] = True
    return first


def untraded_rows(close: np.ndarray, volume: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Rows of a panel's long arrays with no trade: the close equals the ticker's previous
    close and the volume is zero (the ``stale`` rule; runs of them are ``stale`` or
    ``suspension`` flags).
    """
    flat = np.r_[False, close[1:] == close[:-1]] & ~first_rows(bounds, len(close))
    return flat & ~np.isnan(volume) & (volume == 0)


def scan_panel(panel, rules: QualityRules | None = None) -> pd.DataFrame:
    """Flag stale, snapshot and jump days of every ticker of a price panel at once.

    The rules of the module docstring, on the panel's long arrays in a few vectorized
    passes (the rare large moves are classified one by one); equal, row for row, to
    scanning each ticker's frame on its own (``tests/test_panel_inputs.py`` holds the
    per-ticker loop of version 0.2 as the reference).

    Parameters
    ----------
    panel : research.data.columnar.PricePanel
        With the ``close`` and ``volume`` columns.

    Returns
    -------
    pandas.DataFrame
        One row per flagged stretch (``ticker, kind, start, end, days, action``), ticker
        by ticker in the panel's order; within a ticker its stale stretches, its snapshot,
        then its large moves.
    """
    rules = rules or QualityRules()
    close = panel.values["close"]
    volume = panel.values["volume"]
    bounds = np.asarray(panel.bounds, dtype=np.int64)
    dates = panel.dates

    def owner(row: int) -> int:
        return int(np.searchsorted(bounds, row, side="right")) - 1

    def day(row: int) -> pd.Timestamp:
        return pd.Timestamp(dates[row])

    found: list[tuple[int, int, int, tuple]] = []  # (ticker, part, row, flag)
    if not len(close):
        return pd.DataFrame(found, columns=FLAG_COLUMNS)
    stale = untraded_rows(close, volume, bounds)
    # a stale run never crosses tickers: a ticker's first row is never flat
    for start, end in _runs(stale):
        days = end - start + 1
        kind = "suspension" if days >= rules.suspension_days else "stale"
        k = owner(start)
        action = "no trade (flat price, zero volume): no returns"
        found.append((k, 0, start, (panel.tickers[k], kind, day(start), day(end), days, action)))
    sizes = np.diff(bounds)
    last = np.maximum(bounds[1:] - 1, 0)
    for k in np.flatnonzero((sizes > 20) & (volume[last] == 0)):
        end = int(last[k])
        if np.nanmedian(volume[end - 20 : end]) > 0:
            action = "row excluded (zero volume on the last row: an intraday snapshot)"
            flag = (panel.tickers[k], "snapshot", day(end), day(end), 1, action)
            found.append((int(k), 1, end, flag))
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.log(close)
        step = np.abs(np.diff(logs))
    moved = np.flatnonzero(step > rules.jump_threshold) + 1
    moved = moved[~first_rows(bounds, len(close))[moved]]
    covered = -1  # the day after a bad tick is part of that flag, not a move of its own
    for row in moved:
        if row <= covered:
            continue
        k = owner(row)
        a, b = int(bounds[k]), int(bounds[k + 1])
        with np.errstate(divide="ignore", invalid="ignore"):
            signed = np.diff(logs[a:b])
        got = _classify_jump(
            int(row) - a,
            signed,
            close[a:b],
            volume[a:b],
            stale[a:b],
            pd.DatetimeIndex(dates[a:b]),
            rules,
            panel.tickers[k].startswith("^"),
        )
        found.append((k, 2, int(row), (panel.tickers[k], *got)))
        covered = int(row) + got[3] - 1
    found.sort(key=lambda item: item[:3])
    return pd.DataFrame([item[3] for item in found], columns=FLAG_COLUMNS)


# splits and consolidations, and the bonus issues common in Hong Kong (1 for 2: 1.5)
SPLIT_RATIOS = (1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 10.0, 20.0)


def _classify_jump(i, signed, close, volume, stale, dates, rules, index=False):
    """(kind, start, end, days, action) of the large move on row ``i`` (see the module
    docstring).
    """
    r = signed[i - 1]
    size = f"log return {r:+.2f}"
    if stale[i - 1]:
        return (
            "resumption",
            dates[i],
            dates[i],
            1,
            f"no return: the first trade after a stale stretch spans it ({size})",
        )
    nxt = signed[i] if i < len(signed) else np.nan
    if (
        np.isfinite(nxt)
        and np.sign(nxt) == -np.sign(r)
        and abs(nxt) >= rules.reversal_share * abs(r)
    ):
        return (
            "jump",
            dates[i],
            dates[i + 1],
            2,
            f"excluded from estimation ({size}, reversed the next day ({nxt:+.2f}): a bad tick)",
        )
    ratio = close[i] / close[i - 1]
    split = [  # indices have no splits (the HSI fell by a third on 1987-10-26)
        k
        for k in SPLIT_RATIOS
        if not index and min(abs(ratio / k - 1), abs(ratio * k - 1)) <= rules.split_tolerance
    ]
    reason = ""
    if split:
        reason = f"price ratio {ratio:.3f}, a split ratio of {split[0]:g}: an unadjusted split?"
    elif np.isfinite(volume[i]) and volume[i] == 0 and np.nanmedian(volume[max(0, i - 20) : i]) > 0:
        reason = "no volume that day on a series that trades"
    elif i <= rules.listing_returns:
        reason = "at the start of the series (listing)"
    elif abs(r) > rules.extreme_log_return:
        reason = (
            f"beyond {rules.extreme_log_return:g} in one traded day: an unadjusted corporate "
            "action or a stitched series more often than news; check the data"
        )
    if reason:
        return ("jump", dates[i], dates[i], 1, f"excluded from estimation ({size}, {reason})")
    return (
        "large move",
        dates[i],
        dates[i],
        1,
        f"kept ({size}, persistent and traded: real news, not a data error)",
    )


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Start and end positions of runs of True."""
    if not mask.any():
        return []
    padded = np.r_[False, mask, False].astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2], edges[1::2] - 1, strict=True))


# Kinds whose returns stay out of estimation (a "large move" is kept: real news).
EXCLUDING = ("stale", "suspension", "snapshot", "jump", "resumption")


def excluded_returns(
    flags: pd.DataFrame,
    index: pd.DatetimeIndex,
    tickers: list[str],
    trade_to_trade: bool = False,
) -> pd.DataFrame:
    """Boolean frame (dates x tickers): True where a return must not enter estimation.

    Stale days exclude their own return and the next row's (the return that
    spans the stale stretch); snapshot, jump and resumption flags exclude their span;
    a ``large move`` excludes nothing (:data:`EXCLUDING`).  With ``trade_to_trade`` the
    return spanning an isolated stale stretch is kept (it is a trade-to-trade return,
    its variance scaled by the sessions it spans); the first trade after a suspension
    stays excluded (a ``resumption``: a corporate event, not thin trading).
    """
    mask = np.zeros((len(index), len(tickers)), dtype=bool)
    column = {t: j for j, t in enumerate(tickers)}
    dates = pd.DatetimeIndex(index)
    for ticker, kind, start, end in zip(
        flags["ticker"], flags["kind"], flags["start"], flags["end"], strict=True
    ):
        j = column.get(ticker)
        if j is None or kind not in EXCLUDING:
            continue
        # the sessions from start to end (a sorted grid: two binary searches)
        a = int(dates.searchsorted(pd.Timestamp(start), side="left"))
        b = int(dates.searchsorted(pd.Timestamp(end), side="right"))
        if b <= a:
            continue
        mask[a:b, j] = True
        spanned = kind == "suspension" or (kind == "stale" and not trade_to_trade)
        if spanned and b < len(dates):
            mask[b, j] = True  # the return that spans the stale stretch
    return pd.DataFrame(mask, index=index, columns=tickers)


def without_untraded(price: pd.Series, flags: pd.DataFrame) -> pd.Series:
    """The price series with no price on its stale and suspended days (flat price, zero
    volume): a day without a trade is missing, so neither its return nor the return after
    it (which spans it) is computed, in any window.
    """
    if not len(flags):
        return price
    kind = flags["kind"].to_numpy()
    stale = (kind == "stale") | (kind == "suspension")
    if not stale.any():
        return price
    index = pd.DatetimeIndex(price.index)
    a = index.searchsorted(pd.DatetimeIndex(flags["start"].to_numpy()[stale]), side="left")
    b = index.searchsorted(pd.DatetimeIndex(flags["end"].to_numpy()[stale]), side="right")
    marks = np.zeros(len(index) + 1, dtype=np.int32)
    np.add.at(marks, a, 1)
    np.add.at(marks, b, -1)
    return price.where(np.cumsum(marks[:-1]) <= 0)


def dropped_rows(flags: pd.DataFrame) -> dict[str, list[pd.Timestamp]]:
    """Rows to drop before computing returns (snapshots), by ticker."""
    out: dict[str, list[pd.Timestamp]] = {}
    kinds = flags["kind"].to_numpy() if len(flags) else np.array([])
    if not (kinds == "snapshot").any():
        return out
    snaps = flags.loc[kinds == "snapshot"]
    for ticker, start in zip(snaps["ticker"], snaps["start"], strict=True):
        out.setdefault(ticker, []).append(start)
    return out


def import_notes(frame: pd.DataFrame, ticker: str, rules: QualityRules | None = None) -> list[str]:
    """One note per suspension, snapshot or jump, for the import report and the metadata."""
    return _notes(scan(frame, ticker, rules))


def import_notes_of(
    items: list[tuple[str, pd.DataFrame]], rules: QualityRules | None = None
) -> list[list[str]]:
    """:func:`import_notes` of many ``(ticker, frame)`` items, scanned as one panel."""
    from research.data.columnar import PricePanel

    frames = dict(items)
    if len(frames) < len(items):  # a ticker given twice: each scanned on its own
        return [import_notes(frame, ticker, rules) for ticker, frame in items]
    flags = scan_panel(PricePanel.from_frames(frames, ("close", "volume")), rules)
    by_ticker = dict(tuple(flags.groupby("ticker", sort=False))) if len(flags) else {}
    return [_notes(by_ticker[t]) if t in by_ticker else [] for t in frames]


def _notes(flags: pd.DataFrame) -> list[str]:
    notes = []
    for row in flags.itertuples(index=False):
        if row.kind == "stale":
            continue
        span = f"{row.start:%Y-%m-%d}" + (f"..{row.end:%Y-%m-%d}" if row.days > 1 else "")
        notes.append(f"{row.kind} {span} ({row.days} day(s))")
    stale = flags[flags["kind"] == "stale"]
    if len(stale):
        notes.append(f"{int(stale['days'].sum())} isolated stale day(s) (flat price, zero volume)")
    return notes


def session_gaps(
    dates: pd.DatetimeIndex,
    sessions: pd.DatetimeIndex,
    ticker: str,
    rules: QualityRules | None = None,
) -> pd.DataFrame:
    """Runs of ``gap_sessions`` or more exchange sessions with no row, inside a security's span.

    The returns across such a gap are not computed (the session grid has no price on the
    missing days), so nothing is excluded here: the gap is reported
    (:func:`session_gaps_panel` for one security).
    """
    dates = pd.DatetimeIndex(dates)
    return session_gaps_panel([ticker], np.array([0, len(dates)]), dates.values, sessions, rules)


def _us(dates: np.ndarray) -> np.ndarray:
    return np.asarray(dates).astype("datetime64[us]").view(np.int64)


def grid_positions(dates: np.ndarray, sessions: pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    """Each date's position in the sessions and whether it is one of them (dates and
    sessions are calendar days): one table lookup per date, not a binary search.
    """
    days = np.asarray(dates).astype("datetime64[D]").view(np.int64)
    grid = pd.DatetimeIndex(sessions).values.astype("datetime64[D]").view(np.int64)
    if not len(days) or not len(grid):
        return np.zeros(len(days), dtype=np.int64), np.zeros(len(days), dtype=bool)
    low = min(int(days.min()), int(grid[0]))
    table = np.full(max(int(days.max()), int(grid[-1])) - low + 1, -1, dtype=np.int64)
    table[grid - low] = np.arange(len(grid))
    pos = table[days - low]
    on = pos >= 0
    return np.where(on, pos, 0), on


def session_gaps_panel(
    tickers: list[str],
    bounds: np.ndarray,
    dates: np.ndarray,
    sessions: pd.DatetimeIndex,
    rules: QualityRules | None = None,
    positions: tuple[np.ndarray, np.ndarray] | None = None,
) -> pd.DataFrame:
    r"""The session gaps (:func:`session_gaps`) of every security at once.

    Parameters
    ----------
    tickers, bounds, dates
        The securities' row dates, long (ticker ``k`` holds ``dates[bounds[k]:bounds[k+1]]``,
        sorted): the rows with a price.
    sessions
        The exchange sessions.
    positions
        The dates' :func:`grid_positions` in ``sessions``, when the caller has them.

    Returns
    -------
    pandas.DataFrame
        One row per gap (``ticker, kind, start, end, days, action``), ticker by ticker.

    Notes
    -----
    With the grid positions :math:`p_1 < \dots < p_m` of a security's rows that fall on a
    session, and its span :math:`[l, h)` (the sessions from its first row's date to its
    last's), the gaps are :math:`[l, p_1)`, every :math:`(p_j, p_{j+1})` that is not empty
    and :math:`(p_m, h)`: one pass over the rows, no (sessions x securities) array.
    """
    rules = rules or QualityRules()
    bounds = np.asarray(bounds, dtype=np.int64)
    sizes = np.diff(bounds)
    has = np.flatnonzero(sizes > 0)
    if not len(sessions) or not len(has):
        return pd.DataFrame(columns=FLAG_COLUMNS)
    pos, on = grid_positions(dates, sessions) if positions is None else positions
    grid = pd.DatetimeIndex(sessions).as_unit("us").asi8
    stamps = np.asarray(dates)
    lo = np.full(len(tickers), -1, dtype=np.int64)
    hi = np.full(len(tickers), -1, dtype=np.int64)
    lo[has] = np.searchsorted(grid, _us(stamps[bounds[:-1][has]]), side="left")
    hi[has] = np.searchsorted(grid, _us(stamps[bounds[1:][has] - 1]), side="right")
    owner = np.repeat(np.arange(len(tickers), dtype=np.int32), sizes)[on]
    at = pos[on]  # each security's sessions with a row, rising
    inside = np.flatnonzero((owner[1:] == owner[:-1]) & (at[1:] - at[:-1] > 1))
    firsts = np.searchsorted(owner, has, side="left")
    lasts = np.searchsorted(owner, has, side="right") - 1
    some = lasts >= firsts  # a row on a session at all
    k_all = [
        has[some],  # before the first session with a row
        owner[inside],  # between two sessions with rows
        has[some],  # after the last
        has[~some],  # a span with no session row at all
    ]
    a_all = [lo[has[some]], at[inside] + 1, at[lasts[some]] + 1, lo[has[~some]]]
    b_all = [at[firsts[some]] - 1, at[inside + 1] - 1, hi[has[some]] - 1, hi[has[~some]] - 1]
    k, start, end = (np.concatenate(x) for x in (k_all, a_all, b_all))
    keep = end >= start
    k, start, end = k[keep], start[keep], end[keep]
    order = np.lexsort((start, k))
    whose, start, end = k[order], start[order], end[order]
    action = (
        "no prices on these sessions: no return on them nor on the session after (it spans the gap)"
    )
    days_of = pd.DatetimeIndex(sessions).as_unit("ns")  # as the per-ticker code gave them
    rows = []
    for k, a, b in zip(whose, start, end, strict=True):
        days = int(b - a + 1)
        if days >= rules.gap_sessions:
            rows.append((tickers[k], "gap", days_of[a], days_of[b], days, action))
    return pd.DataFrame(rows, columns=FLAG_COLUMNS)
