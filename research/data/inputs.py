"""Returns of securities and benchmarks on one market's session grid, from the store.

This is where stored prices become the inputs of :class:`research.estimation.study.EventStudy`:

1. prices are loaded and scanned by :mod:`research.data.quality`; snapshot rows are dropped,
   and a day without a trade (flat price, zero volume) has no price: missing, as a
   session with no row is;
2. the grid is the market's exchange sessions (:func:`research.data.markets.market_sessions`),
   whatever rows the data has: a session a security lacks is missing data for it;
3. security returns are taken between consecutive grid sessions
   (:func:`research.data.returns.compute_returns`): the return after a missing session spans
   it and is not computed;
4. a benchmark on another exchange is aligned by session: same day when its
   session overlaps the home session (Tokyo, Seoul, Singapore, Shanghai for
   Hong Kong), else the previous foreign session(s) (New York), see
   :func:`research.data.returns.align_foreign_returns`;
5. flagged days become the ``exclude`` mask of the estimation.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from research.data import quality
from research.data.columnar import PricePanel
from research.data.identity import series_market
from research.data.markets import Market, get_market, market_sessions
from research.data.quality import QualityRules
from research.data.returns import (
    ReturnKind,
    align_foreign_returns,
    compute_returns,
    trade_to_trade_returns,
)
from research.data.store import PriceStore
from research.errors import DataError, OptionError


@dataclass
class StudyInputs:
    """Returns on a session grid, with what was flagged on the way."""

    market: Market
    sessions: pd.DataFrame
    returns: pd.DataFrame
    benchmarks: pd.DataFrame
    exclude: pd.DataFrame
    quality: pd.DataFrame
    alignment_notes: dict[str, str]
    kind: str
    market_note: str = ""  # how the securities' exchange was chosen (analysis.resolve_market)
    data_note: str = ""  # where the prices came from when not the store (research.data.sample)
    spans: pd.DataFrame | None = None  # trade-to-trade: the sessions each return spans

    @property
    def trading_days(self) -> pd.DatetimeIndex:
        """The session grid as a DatetimeIndex."""
        return pd.DatetimeIndex(self.sessions.index)


REFERENCE_SESSION = "2024-06-12"

# What the return after a session without a price becomes (research.data.returns).
THIN_TRADING = ("exclude", "trade-to-trade")


@cache
def overlaps_home_session(foreign: Market, home: Market) -> bool:
    """Whether the foreign exchange's session opens before the home session closes (same
    day), on the regular session times of a reference day both exchanges trade (mid-June:
    northern-summer time, the season of most event studies' estimation days).  The
    sessions are the package's cached ones (:func:`research.data.markets.market_sessions`):
    building two calendars for this cost 2 s a call.
    """
    day = pd.Timestamp(REFERENCE_SESSION)
    span = (day - pd.Timedelta(days=14), day + pd.Timedelta(days=14))
    h = market_sessions(home, *span)
    f = market_sessions(foreign, *span)
    common = h.index.intersection(f.index)
    ref = common[common.get_indexer([day], method="nearest")[0]]
    return bool(f.at[ref, "open"] < h.at[ref, "close"])


def benchmark_returns(
    ticker: str,
    prices: pd.Series,
    grid: pd.DatetimeIndex,
    market: Market,
    kind: ReturnKind = "simple",
    code: str | None = None,
) -> tuple[pd.Series, str]:
    """A benchmark's returns on ``market``'s session grid, and how they were aligned.

    Same exchange (or one sharing its calendar): returns between consecutive sessions.
    Another exchange: its own returns on its own sessions, compounded by home session, same
    day when its session overlaps the home session, else the previous foreign session(s)
    (:func:`research.data.returns.align_foreign_returns`).

    Parameters
    ----------
    code
        The benchmark's exchange (:func:`research.data.identity.series_market`); default
        ``market``'s.
    """
    code = code or market.code
    if get_market(code).calendar == market.calendar:
        return (
            compute_returns(prices, grid, kind),
            f"same exchange ({code}): returns between consecutive sessions",
        )
    same_day = overlaps_home_session(get_market(code), market)
    note = (
        f"{code} trades while {market.code} is open: its sessions up to and including "
        "each session's date"
        if same_day
        else f"{code} opens after {market.code} closes: its sessions dated from the "
        f"previous {market.code} session to the day before (previous {code} session)"
    )
    own = prices.dropna()
    foreign = (
        pd.DatetimeIndex(market_sessions(code, own.index[0], own.index[-1]).index)
        if len(own)
        else None
    )
    return align_foreign_returns(prices, grid, same_day, kind, foreign), note


def build_inputs(
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
    span: tuple[pd.Timestamp, pd.Timestamp] | None = None,
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
    span
        The first and last dates the study's windows can reach (a bound, wider is fine):
        the store's years around them are read instead of every row, and the inputs are
        those of the whole history on every session of the span.  Where the years read
        cannot tell (a series whose stale run, gap or sparse rows cross their edge, a grid
        that would not cover the span), the whole history is read instead
        (:func:`_span_is_exact`); the flags and returns on the span are then the same
        either way (``tests/test_panel_inputs.py``).

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
    securities = list(dict.fromkeys(securities))
    tickers = list(dict.fromkeys([*securities, *benchmarks]))
    rank = {t: i for i, t in enumerate(tickers)}  # flags and columns in this order
    years = None
    # the margins below hold for the default rules; other rules read the whole history
    if span is not None and isinstance(store, PriceStore) and rules in (None, QualityRules()):
        span = (pd.Timestamp(span[0]), pd.Timestamp(span[1]))
        margin = pd.Timedelta(days=SPAN_MARGIN_DAYS)
        years = ((span[0] - margin).year, (span[1] + margin).year)
    panel = load_panel(store, tickers, ("close", "adj_close", "volume"), years)
    flag_frame = _ordered(quality.scan_panel(panel, rules), rank)
    # the rows (snapshots dropped), long in the panel's order: each one's ticker, date,
    # price (a session without one is a gap) and traded price (none on untraded days)
    owner, when, price, traded = _checked_prices(panel, flag_frame)
    column = np.array([rank[t] if rank[t] < len(securities) else -1 for t in panel.tickers])
    of_security = column[owner] >= 0
    priced = of_security & ~np.isnan(traded)
    if start is not None:
        priced &= when >= np.datetime64(pd.Timestamp(start), "us")
    if end is not None:
        priced &= when <= np.datetime64(pd.Timestamp(end), "us")
    whole = (securities, benchmarks, market, store, kind, start, end, universe, rules)
    if years is not None and not priced.any():
        return build_inputs(*whole, thin_trading)  # the years read are not enough
    if not priced.any():
        raise DataError(f"No stored prices of {', '.join(securities)} fall in the requested dates.")
    first, last = (pd.Timestamp(x) for x in (when[priced].min(), when[priced].max()))
    sessions = market_sessions(market, first, last)
    grid = pd.DatetimeIndex(sessions.index)
    has_row = of_security & ~np.isnan(price)
    held = [k for k in range(len(panel.tickers)) if column[k] >= 0]
    counts = np.bincount(owner[has_row], minlength=len(panel.tickers))[held]
    pos, on = quality.grid_positions(when, grid)  # every row's session, once
    if years is not None and not _span_is_exact(
        panel, span, securities, grid, owner[on], when[on], column
    ):
        return build_inputs(*whole, thin_trading)  # the years read are not enough
    gaps = quality.session_gaps_panel(
        [panel.tickers[k] for k in held],
        np.r_[0, np.cumsum(counts)],
        when[has_row],
        grid,
        rules,
        positions=(pos[has_row], on[has_row]),
    )
    flag_frame = pd.concat([flag_frame, _ordered(gaps, rank)], ignore_index=True)
    placed = of_security & on
    values = np.full((len(grid), len(securities)), np.nan)
    values[pos[placed], column[owner[placed]]] = traded[placed]
    closes = pd.DataFrame(values, index=grid, columns=securities)  # off-grid rows left out
    spans = None
    if thin_trading == "trade-to-trade":
        # a gap of a suspension's length or more is not thin trading: no return across it
        longest = (rules or quality.QualityRules()).suspension_days
        returns, spans = trade_to_trade_returns(closes, grid, kind, max_span=longest)
    else:
        returns = compute_returns(closes, grid, kind)
    series = {}
    for t in benchmarks:  # rows are grouped by ticker: each one's a slice
        k = panel.position(t)
        rows = slice(*np.searchsorted(owner, [k, k + 1]))
        series[t] = pd.Series(traded[rows], index=pd.DatetimeIndex(when[rows], name="date"))
    bench_cols = {}
    notes = {}
    for ticker in benchmarks:
        code = series_market(ticker, store, universe)
        bench_cols[ticker], notes[ticker] = benchmark_returns(
            ticker, series[ticker], grid, market, kind, code
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


# calendar days read beyond a span, at least: more than the 21 rows before a day that the
# jump rules look at, and the sessions a trade-to-trade return spans
SPAN_MARGIN_DAYS = 60
# rows a series needs before a span when it does not start there (the jump rules' 20 days
# of volume and the move itself), and after it (the next day's reversal)
_ROWS_BEFORE, _ROWS_AFTER = 22, 2


def _span_is_exact(
    panel: PricePanel,
    span: tuple[pd.Timestamp, pd.Timestamp],
    securities: list[str],
    grid: pd.DatetimeIndex,
    owner_on: np.ndarray,
    when_on: np.ndarray,
    column: np.ndarray,
) -> bool:
    """Whether the years read give every flag, gap and return on ``span`` as the whole
    history would.

    A series that does not start (end) inside the years read needs, before (after) the
    span: rows enough for the jump rules (:data:`_ROWS_BEFORE`, :data:`_ROWS_AFTER`), a
    first (last) row that traded (else a stale run may cross the edge) and, for a
    security, a row on a session (else a gap may cross it).  The grid must reach both
    ends of the span unless every security starts (ends) inside.
    """
    bounds = np.asarray(panel.bounds, dtype=np.int64)
    sizes = np.diff(bounds)
    n = len(panel.tickers)
    lo, hi = (np.datetime64(x, "D").astype(np.int64) for x in span)
    # rows are grouped by ticker and dated within it: one sorted key, binary searches
    stride = np.int64(1 << 20)  # more days than any calendar holds
    days = panel.dates.astype("datetime64[D]").view(np.int64)
    key = np.repeat(np.arange(n, dtype=np.int64) * stride, sizes) + days
    base = np.arange(n, dtype=np.int64) * stride
    before = np.searchsorted(key, base + lo, side="left") - bounds[:-1]
    after = bounds[1:] - np.searchsorted(key, base + hi, side="right")
    volume = panel.values["volume"]
    first = np.where(sizes > 0, volume[np.minimum(bounds[:-1], len(volume) - 1)], np.nan)
    last = np.where(sizes > 0, volume[np.maximum(bounds[1:] - 1, 0)], np.nan)
    security = column >= 0
    on_key = owner_on.astype(np.int64) * stride + when_on.astype("datetime64[D]").view(np.int64)
    placed = np.searchsorted(on_key, base, side="left")  # each ticker's first session row
    ends = np.searchsorted(on_key, base + stride, side="left")
    session_before = np.searchsorted(on_key, base + lo, side="right") > placed
    session_after = np.searchsorted(on_key, base + hi, side="left") < ends
    # the large-move rules pair a bad tick with the next row, so a chain of moves carries
    # its pairing forward: it must break (a row that did not move) on a row whose own
    # checks were read (20 rows back), before the span
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.abs(np.diff(np.log(panel.values["close"]), prepend=np.nan))
    calm = np.cumsum(~(step > QualityRules().jump_threshold))  # NaN: no move
    settled = bounds[:-1] + _ROWS_BEFORE - 1  # the first row whose checks were all read
    last_before = bounds[:-1] + before - 1  # the last row before the span
    calm_at = np.r_[0, calm]
    broken = calm_at[np.maximum(last_before, 0) + 1] - calm_at[np.minimum(settled, last_before)] > 0
    ok_start = panel.whole_start | (
        (before >= _ROWS_BEFORE) & (first != 0) & (~security | session_before) & broken
    )
    ok_end = panel.whole_end | ((after >= _ROWS_AFTER) & (last != 0) & (~security | session_after))
    if not (ok_start.all() and ok_end.all()) or not len(grid):
        return False
    starts_inside = panel.whole_start[security].all()
    ends_inside = panel.whole_end[security].all()
    return bool((grid[0] <= span[0] or starts_inside) and (grid[-1] >= span[1] or ends_inside))


def load_panel(store, tickers: list[str], columns, years=None) -> PricePanel:
    """The tickers' prices from a store with a panel reader (the price store, the embedded
    sample), else ticker by ticker through ``store.load``; ``years`` (first, last) from the
    price store only.
    """
    if years is not None:
        return store.load_panel(tickers, columns, years=years)
    if hasattr(store, "load_panel"):
        return store.load_panel(tickers, columns)
    return PricePanel.from_frames({t: store.load(t) for t in tickers}, columns)


def _ordered(flags: pd.DataFrame, rank: dict[str, int]) -> pd.DataFrame:
    """Flags ticker by ticker in the study's order (securities, then benchmarks), each
    ticker's in the order found.
    """
    if not len(flags):
        return flags
    key = flags["ticker"].map(rank).to_numpy()
    order = np.argsort(key, kind="stable")
    if (order == np.arange(len(order))).all():
        return flags
    return flags.iloc[order].reset_index(drop=True)


def _checked_prices(panel: PricePanel, flags: pd.DataFrame):
    """The panel's rows without snapshot rows, long: each row's ticker (its position in the
    panel), date, return price (:func:`research.data.prices.return_price`: ``adj_close``
    where the ticker has one, else ``close``) and that price with none on untraded days
    (:func:`research.data.quality.without_untraded`).
    """
    bounds = np.asarray(panel.bounds, dtype=np.int64)
    owner = np.repeat(np.arange(len(panel.tickers), dtype=np.int32), np.diff(bounds))
    close = panel.values["close"]
    adj = panel.values["adj_close"]
    untraded = quality.untraded_rows(close, panel.values["volume"], bounds)
    keep = None
    if len(flags) and (flags["kind"].to_numpy() == "snapshot").any():
        keep = np.ones(len(close), dtype=bool)
        snapped = set(flags["ticker"].to_numpy()[flags["kind"].to_numpy() == "snapshot"])
        for t in snapped:  # a snapshot is always a ticker's last row
            keep[bounds[panel.position(t) + 1] - 1] = False
    # return_price row by row: where a ticker has no adjusted close at all, every row's
    # is missing and the close serves, as it does where one row lacks it
    price = np.where(np.isnan(adj), close, adj)
    traded = np.where(untraded, np.nan, price)
    when = panel.dates.astype("datetime64[us]", copy=False)
    if keep is None:
        return owner, when, price, traded
    return owner[keep], when[keep], price[keep], traded[keep]


def group_portfolio(
    returns: pd.DataFrame,
    tickers: list[str],
    exclude: pd.DataFrame | None = None,
    name: str | None = None,
    keep: pd.DatetimeIndex | list | None = None,
) -> pd.Series:
    """Equal-weighted portfolio return: the mean of the members' available returns each session.

    Returns flagged in ``exclude`` (stale days, suspect jumps) do not enter the mean, except
    on the sessions in ``keep`` (the event windows): an event-window portfolio holds every
    stock that traded, or its biggest movers would silently leave it on the event day.
    """
    part = returns[tickers]
    if exclude is not None:
        ex = exclude.reindex(index=part.index, columns=tickers, fill_value=False).astype(bool)
        if keep is not None:
            ex.loc[ex.index.isin(pd.DatetimeIndex(keep))] = False
        part = part.where(~ex)
    counts = part.notna().sum(axis=1)
    out = part.sum(axis=1, min_count=1) / counts.where(counts > 0)
    return out.rename(name or "portfolio")
