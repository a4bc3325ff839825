"""The per-ticker quality scan, session gaps and input building of version 0.2, kept as
the long-hand reference the package's vectorized panel code must equal
(``tests/test_panel_inputs.py``): a loop over tickers, one frame at a time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from research.data import quality
from research.data.identity import series_market
from research.data.inputs import THIN_TRADING, StudyInputs, benchmark_returns
from research.data.markets import Market, get_market, market_sessions
from research.data.prices import return_price
from research.data.quality import QualityRules, _classify_jump, _runs
from research.data.returns import ReturnKind, compute_returns, trade_to_trade_returns
from research.data.store import PriceStore
from research.errors import DataError, OptionError


def scan_one(frame: pd.DataFrame, ticker: str, rules: QualityRules | None = None) -> pd.DataFrame:
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
        One row per flagged stretch: ``ticker, kind, start, end, days, action``.
    """
    rules = rules or QualityRules()
    close = frame["close"].to_numpy()
    volume = frame["volume"].to_numpy()
    dates = frame.index
    rows = []
    flat = np.r_[False, close[1:] == close[:-1]]
    has_volume = ~np.isnan(volume)
    stale = flat & has_volume & (volume == 0)
    for start, end in _runs(stale):
        days = end - start + 1
        kind = "suspension" if days >= rules.suspension_days else "stale"
        rows.append(
            (
                ticker,
                kind,
                dates[start],
                dates[end],
                days,
                "no trade (flat price, zero volume): no returns",
            )
        )
    if len(frame) > 20 and has_volume[-1] and volume[-1] == 0:
        before = volume[-21:-1]
        if np.nanmedian(before) > 0:
            rows.append(
                (
                    ticker,
                    "snapshot",
                    dates[-1],
                    dates[-1],
                    1,
                    "row excluded (zero volume on the last row: an intraday snapshot)",
                )
            )
    with np.errstate(divide="ignore", invalid="ignore"):
        signed = np.diff(np.log(close))
    logret = np.abs(signed)
    covered = -1  # the day after a bad tick is part of that flag, not a move of its own
    for i in np.flatnonzero(logret > rules.jump_threshold) + 1:
        if i <= covered:
            continue
        row = _classify_jump(i, signed, close, volume, stale, dates, rules, ticker.startswith("^"))
        rows.append((ticker, *row))
        covered = i + row[3] - 1
    return pd.DataFrame(rows, columns=["ticker", "kind", "start", "end", "days", "action"])


def session_gaps_one(
    dates: pd.DatetimeIndex,
    sessions: pd.DatetimeIndex,
    ticker: str,
    rules: QualityRules | None = None,
) -> pd.DataFrame:
    """Runs of ``gap_sessions`` or more exchange sessions with no row, inside a security's span.

    The returns across such a gap are not computed (the session grid has no price on the
    missing days), so nothing is excluded here: the gap is reported.
    """
    rules = rules or QualityRules()
    dates = pd.DatetimeIndex(dates).as_unit("ns")
    sessions = pd.DatetimeIndex(sessions).as_unit("ns")
    if len(dates):
        a = sessions.searchsorted(dates.min(), side="left")
        b = sessions.searchsorted(dates.max(), side="right")
        inside = sessions[a:b]
    else:
        inside = sessions[:0]
    missing = ~np.isin(inside.asi8, dates.asi8, assume_unique=True)
    if not missing.any():  # every session has a row: nothing to report
        return pd.DataFrame(columns=["ticker", "kind", "start", "end", "days", "action"])
    rows = []
    for start, end in _runs(np.asarray(missing)):
        days = end - start + 1
        if days >= rules.gap_sessions:
            rows.append(
                (
                    ticker,
                    "gap",
                    inside[start],
                    inside[end],
                    days,
                    "no prices on these sessions: no return on them nor on the session "
                    "after (it spans the gap)",
                )
            )
    return pd.DataFrame(rows, columns=["ticker", "kind", "start", "end", "days", "action"])


def build_inputs_by_ticker(
    securities: list[str],
    benchmarks: list[str] | tuple[str, ...] = (),
    market: str | Market = "HKEX",
    store: PriceStore | None = None,
    kind: ReturnKind = "simple",
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    universe: pd.DataFrame | None = None,
    rules: quality.QualityRules | None = None,
    thin_trading: str = "exclude",
) -> StudyInputs:
    """Load, check and align returns for a study.

    Parameters
    ----------
    securities
        Tickers whose abnormal returns are studied (on ``market``).
    benchmarks
        Benchmark tickers (any exchange).
    market
        The exchange whose sessions form the grid.
    start, end
        Limit the grid (default: the securities' full history).
    thin_trading
        ``exclude`` (default): the return after a session without a price spans it and
        is not computed; ``trade-to-trade``: it is kept, with the sessions it spans in
        ``spans`` (:func:`research.data.returns.trade_to_trade_returns`).

    Raises
    ------
    DataError
        If a ticker is not stored or nothing overlaps.
    """
    if thin_trading not in THIN_TRADING:
        raise OptionError(
            f"thin_trading must be one of {', '.join(THIN_TRADING)}, not {thin_trading!r}."
        )
    store = store or PriceStore()
    market = get_market(market) if isinstance(market, str) else market
    flags = []
    prices = {}
    rows = {}  # the stored rows: a session without one is a gap (an untraded row is a flag)
    for ticker in dict.fromkeys([*securities, *benchmarks]):
        frame = store.load(ticker)
        found = scan_one(frame, ticker, rules)
        snapshots = quality.dropped_rows(found).get(ticker, [])
        if snapshots:
            frame = frame.drop(index=snapshots)
        flags.append(found)
        price = return_price(frame)
        rows[ticker] = price.index[price.notna().to_numpy()]
        prices[ticker] = quality.without_untraded(price, found)
    flag_frame = pd.concat(flags, ignore_index=True) if flags else pd.DataFrame()
    closes = pd.DataFrame({t: prices[t] for t in securities})
    closes = closes.loc[closes.notna().any(axis=1)]
    if start is not None:
        closes = closes.loc[closes.index >= pd.Timestamp(start)]
    if end is not None:
        closes = closes.loc[closes.index <= pd.Timestamp(end)]
    if closes.empty:
        raise DataError(f"No stored prices of {', '.join(securities)} fall in the requested dates.")
    sessions = market_sessions(market, closes.index[0], closes.index[-1])
    grid = pd.DatetimeIndex(sessions.index)
    gaps = [session_gaps_one(rows[t], grid, t, rules) for t in securities]
    flag_frame = pd.concat([flag_frame, *gaps], ignore_index=True)
    spans = None
    if thin_trading == "trade-to-trade":
        # a gap of a suspension's length or more is not thin trading: no return across it
        longest = (rules or quality.QualityRules()).suspension_days
        returns, spans = trade_to_trade_returns(closes, grid, kind, max_span=longest)
    else:
        returns = compute_returns(closes, grid, kind)
    bench_cols = {}
    notes = {}
    for ticker in benchmarks:
        code = series_market(ticker, store, universe)
        bench_cols[ticker], notes[ticker] = benchmark_returns(
            ticker, prices[ticker], grid, market, kind, code
        )
        if bench_cols[ticker].notna().sum() == 0:
            raise DataError(
                f"The benchmark {ticker} has no prices overlapping {', '.join(securities)}; "
                "import a benchmark that covers the same dates."
            )
    bench_frame = pd.DataFrame(bench_cols, index=grid)
    exclude = quality.excluded_returns(
        flag_frame, grid, list(securities), trade_to_trade=spans is not None
    )
    return StudyInputs(
        market, sessions, returns, bench_frame, exclude, flag_frame, notes, kind, spans=spans
    )
