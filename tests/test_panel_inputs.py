"""The vectorized panel checks equal the per-ticker code of version 0.2
(``tests/longhand_quality.py``): the quality flags, the session gaps and every input of a
study (returns, benchmarks, exclusions, flags, spans), on the market snapshot and on
synthetic edge cases (stale runs at a series' ends, a suspension, an intraday snapshot, a
bad tick, a split, a gap, a row off the calendar, a partial adjusted close, a one-row
series, a foreign benchmark).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research.data import quality
from research.data.columnar import PricePanel
from research.data.inputs import build_inputs
from research.data.markets import market_sessions
from research.data.prices import ParsedPrices
from research.data.store import PriceStore
from tests.longhand_quality import build_inputs_by_ticker, scan_one, session_gaps_one

FIELDS = ("sessions", "returns", "benchmarks", "exclude", "quality", "spans")


def same_frames(new: pd.DataFrame, old: pd.DataFrame) -> None:
    """Equal values, index and columns.  Flags' text columns are compared as text and their
    dates as dates: the per-ticker code concatenated many small frames, empty ones among
    them, so their dtypes were whatever that mixture gave (object); the panel builds one."""
    if len(new.columns) and "ticker" in new.columns:
        dtypes = {c: object for c in ("ticker", "kind", "action")}
        dtypes.update({c: "datetime64[ns]" for c in ("start", "end")}, days="int64")
        new, old = new.astype(dtypes), old.astype(dtypes)
    pd.testing.assert_frame_equal(new, old, check_index_type=True)


def assert_same_inputs(securities, benchmarks, store, **kw):
    new = build_inputs(securities, benchmarks, store=store, **kw)
    old = build_inputs_by_ticker(securities, benchmarks, store=store, **kw)
    for field in FIELDS:
        a, b = getattr(new, field), getattr(old, field)
        if b is None:
            assert a is None
            continue
        same_frames(a, b)
    assert new.alignment_notes == old.alignment_notes
    return new


def synthetic_store(root) -> PriceStore:
    """Hong Kong series built to hit every rule (see the module docstring)."""
    days = market_sessions("HKEX", "2022-01-03", "2023-12-29").index
    rng = np.random.default_rng(7)

    def frame(close, volume, index=days, adj=None):
        out = pd.DataFrame(index=pd.DatetimeIndex(index, name="date"))
        for col in ("open", "high", "low"):
            out[col] = np.nan
        out["close"] = close
        out["adj_close"] = np.nan if adj is None else adj
        out["volume"] = volume
        return out

    def walk(n, scale=0.01):
        return 10 * np.exp(np.cumsum(rng.normal(0, scale, n)))

    n = len(days)
    vol = rng.integers(1_000, 9_000, n).astype(float)
    series = {}
    c = walk(n)
    c[:4] = c[0]  # stale from the first row
    v = vol.copy()
    v[1:4] = 0
    c[-3:] = c[-4]  # stale to the end, then a snapshot-free end
    v[-3:] = 0
    series["1001.HK"] = frame(c, v)
    c = walk(n)
    c[100:108] = c[99]  # an eight-day suspension, then a resumption jump
    v = vol.copy()
    v[100:108] = 0
    c[108:] *= 1.8
    series["1002.HK"] = frame(c, v)
    c = walk(n)
    c[200] *= 1.7  # a bad tick, reversed the next day
    c[300:] /= 2.0  # an unadjusted split
    v = vol.copy()
    v[-1] = 0  # an intraday snapshot as the last row
    series["1003.HK"] = frame(c, v)
    keep = np.ones(n, dtype=bool)
    keep[50:53] = False  # a three-session gap
    keep[400] = False
    c = walk(n)
    series["1004.HK"] = frame(c[keep], vol[keep], days[keep])
    extra = days.append(pd.DatetimeIndex(["2023-01-01"])).sort_values()  # a Sunday row
    series["1005.HK"] = frame(walk(n + 1), np.r_[vol, 5.0], extra)
    adj = walk(n)
    adj[: n // 2] = np.nan  # an adjusted close on the later half only
    series["1006.HK"] = frame(walk(n), vol, adj=adj)
    series["1007.HK"] = frame([12.0], [100.0], days[300:301])  # one row
    c = walk(n, 0.3)  # large moves everywhere, kept or not
    series["1008.HK"] = frame(c, vol)
    series["^HSI"] = frame(walk(n), np.full(n, 1e9))
    us = market_sessions("NYSE", "2022-01-03", "2023-12-29").index
    series["^GSPC"] = frame(walk(len(us)), np.full(len(us), 1e9), us)
    store = PriceStore(root)
    items = []
    for ticker, f in series.items():
        market = "NYSE" if ticker == "^GSPC" else "HKEX"
        items.append((ParsedPrices(ticker, f, "test", "unknown", [], [], market, "test"), "test"))
    store.save_many(items)
    return store


SYNTHETIC = [f"100{i}.HK" for i in range(1, 9)]


def test_scan_of_a_panel_equals_scanning_each_ticker(tmp_path):
    store = synthetic_store(tmp_path)
    tickers = [*SYNTHETIC, "^HSI", "^GSPC"]
    panel = store.load_panel(tickers, ("close", "volume"))
    old = pd.concat([scan_one(store.load(t), t) for t in tickers], ignore_index=True)
    new = quality.scan_panel(panel)
    same_frames(new, old)
    kinds = set(new["kind"])
    assert {"stale", "suspension", "snapshot", "jump", "resumption", "large move"} <= kinds


def test_gaps_of_a_panel_equal_each_tickers(tmp_path):
    store = synthetic_store(tmp_path)
    grid = market_sessions("HKEX", "2022-01-03", "2023-12-29").index
    frames = {t: store.load(t) for t in SYNTHETIC}
    old = pd.concat([session_gaps_one(f.index, grid, t) for t, f in frames.items()])
    panel = PricePanel.from_frames(frames, ["close"])
    new = quality.session_gaps_panel(SYNTHETIC, panel.bounds, panel.dates, grid)
    same_frames(new, old.reset_index(drop=True))
    assert list(new["days"]) == [3, 1]  # 1004.HK's gaps


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"thin_trading": "trade-to-trade"},
        {"kind": "log", "start": "2022-06-01", "end": "2023-06-30"},
    ],
)
def test_study_inputs_equal_the_per_ticker_code_on_edge_cases(tmp_path, options):
    store = synthetic_store(tmp_path)
    got = assert_same_inputs(SYNTHETIC, ["^HSI", "^GSPC"], store, **options)
    # 1004.HK's two gaps (March 2022, August 2023) lie outside June 2022..June 2023
    assert got.quality["kind"].eq("gap").sum() == (0 if "start" in options else 2)


@pytest.mark.parametrize("options", [{}, {"thin_trading": "trade-to-trade"}])
def test_study_inputs_equal_the_per_ticker_code_on_the_snapshot(market_store, options):
    securities = [t for t in market_store.tickers() if not t.startswith("^")]
    got = assert_same_inputs(securities, ["^HSI", "^GSPC", "^N225"], market_store, **options)
    assert len(got.quality) > 100  # the snapshot's suspensions, moves and gaps


def crossing_store(root) -> PriceStore:
    """Hong Kong series over 2020-2023 whose trouble crosses the start of 2022: a
    suspension (flat, no volume) from December 2021 to April 2022, a gap in the rows from
    November 2021 to March 2022, and a series with a row every tenth session only, whose
    move on the span's first row has no volume: a data error if the 20 rows before it
    traded (most of them are in 2021)."""
    days = market_sessions("HKEX", "2020-01-02", "2023-12-29").index
    n = len(days)
    rng = np.random.default_rng(9)

    def parsed(ticker, index, close, volume):
        frame = pd.DataFrame(index=pd.DatetimeIndex(index, name="date"))
        for col in ("open", "high", "low", "adj_close"):
            frame[col] = np.nan
        frame["close"], frame["volume"] = close, volume
        return ParsedPrices(ticker, frame, "test", "unknown", [], [], "HKEX", "test"), "test"

    def walk(m):
        return 10 * np.exp(np.cumsum(rng.normal(0, 0.01, m)))

    vol = rng.integers(1_000, 9_000, n).astype(float)
    halted = (days >= "2021-12-10") & (days <= "2022-04-08")
    c, v = walk(n), vol.copy()
    c[halted] = c[np.argmax(halted) - 1]
    v[halted] = 0
    keep = ~((days >= "2021-11-15") & (days <= "2022-03-25"))
    sparse = days[::10]
    c3, v3 = walk(len(sparse)), vol[::10].copy()
    v3[(sparse >= "2022-01-01") & (sparse < "2022-03-15")] = 0  # untraded, yet not flat
    move = np.argmax(sparse >= "2022-03-15")
    c3[move:] *= 1.6  # a move with no volume: a data error only if the series trades
    v3[move] = 0
    items = [
        parsed("2001.HK", days, c, v),
        parsed("2002.HK", days[keep], walk(keep.sum()), vol[keep]),
        parsed("2003.HK", sparse, c3, v3),
        parsed("2004.HK", days, walk(n), vol),
        parsed("^HSI", days, walk(n), np.full(n, 1e9)),
    ]
    store = PriceStore(root)
    store.save_many(items)
    return store


def on_span(inputs, span):
    """What a study on ``span`` sees: its returns, exclusions and the flags touching it."""
    days = inputs.returns.index
    inside = (days >= span[0]) & (days <= span[1])
    flags = inputs.quality
    touching = flags.loc[
        (pd.to_datetime(flags["end"]) >= span[0]) & (pd.to_datetime(flags["start"]) <= span[1])
    ]
    return (
        inputs.returns.loc[inside],
        inputs.benchmarks.loc[inside],
        inputs.exclude.loc[inside],
        touching.astype({"start": "datetime64[ns]", "end": "datetime64[ns]"}).reset_index(
            drop=True
        ),
    )


@pytest.mark.parametrize("ticker", ["2001.HK", "2002.HK", "2003.HK"])
def test_a_series_whose_trouble_crosses_the_years_read_is_read_whole(tmp_path, monkeypatch, ticker):
    """The span's first year is 2022; the suspension, the gap and the sparse rows reach
    back into 2021, so the years read cannot tell them: the whole history is read, and the
    span's inputs are the whole history's.  Forcing the short path gets them wrong."""
    import research.data.inputs as module

    store = crossing_store(tmp_path)
    span = (pd.Timestamp("2022-03-15"), pd.Timestamp("2022-09-30"))
    whole = on_span(build_inputs([ticker, "2004.HK"], ["^HSI"], store=store), span)
    got = on_span(build_inputs([ticker, "2004.HK"], ["^HSI"], store=store, span=span), span)
    for a, b in zip(got, whole, strict=True):
        pd.testing.assert_frame_equal(a, b, check_freq=False)
    monkeypatch.setattr(module, "_span_is_exact", lambda *a, **k: True)
    forced = on_span(build_inputs([ticker, "2004.HK"], ["^HSI"], store=store, span=span), span)
    assert any(not a.equals(b) for a, b in zip(forced, whole, strict=True))


def test_a_clean_series_takes_the_years_it_needs(tmp_path, monkeypatch):
    import research.data.inputs as module

    store = crossing_store(tmp_path)
    span = (pd.Timestamp("2022-06-01"), pd.Timestamp("2022-09-30"))
    reads = []
    real = PriceStore.load_panel

    def spy(self, tickers, columns=(), years=None):
        reads.append(years)
        return real(self, tickers, columns, years)

    monkeypatch.setattr(PriceStore, "load_panel", spy)
    got = build_inputs(["2004.HK"], ["^HSI"], store=store, span=span)
    assert reads == [(2022, 2022)] and got.returns.index[0] >= pd.Timestamp("2022-01-01")
    whole = build_inputs(["2004.HK"], ["^HSI"], store=store)
    for a, b in zip(on_span(got, span), on_span(whole, span), strict=True):
        pd.testing.assert_frame_equal(a, b, check_freq=False)
    assert module.SPAN_MARGIN_DAYS >= 30


def test_import_notes_of_a_panel_equal_each_tickers(market_store, tmp_path):
    frames = {t: market_store.load(t) for t in market_store.tickers()}
    synthetic = synthetic_store(tmp_path)
    frames.update({t: synthetic.load(t) for t in SYNTHETIC})
    got = quality.import_notes_of(list(frames.items()))
    assert got == [quality.import_notes(f, t) for t, f in frames.items()]
    assert sum(map(len, got)) > 20
