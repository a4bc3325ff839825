"""Trade-to-trade returns (``--thin-trading trade-to-trade``), checked long-hand.

Maynes, E. and Rumsey, J. (1993), "Conducting event studies with thinly traded stocks",
Journal of Banking & Finance 17, 145-157: a return over the ``n`` sessions since the last
trade is regressed on the market's return over the same sessions, every term divided by
``n^(1/2)`` (its variance is ``n`` times a session's), and its abnormal return's variance
is ``n sigma^2`` plus the estimation error.  The references below are numpy least squares
on the raw arrays, written here without the package's engine.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research.data.returns import compute_returns, trade_to_trade_returns
from research.errors import DataError, ModelError
from research.estimation.study import EventStudy


def _panel(seed: int = 7, n_sessions: int = 330):
    """Two thinly traded stocks and a market on business days; stock a misses sessions in
    its estimation and event windows (a one-session gap ending on day 0, and a two-session
    gap ending on day +1 for the second event), stock b trades every session.
    """
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2021-01-04", periods=n_sessions)
    m = rng.normal(0.0003, 0.011, n_sessions)
    market = 1000 * np.cumprod(1 + m)
    a = 20 * np.cumprod(1 + 0.0002 + 1.2 * m + rng.normal(0, 0.015, n_sessions))
    b = 50 * np.cumprod(1 + 0.8 * m + rng.normal(0, 0.01, n_sessions))
    prices = pd.DataFrame({"A": a, "B": b}, index=idx)
    missing = rng.choice(np.arange(20, 280), 25, replace=False)  # thin trading in estimation
    prices.iloc[missing, 0] = np.nan
    prices.iloc[[299], 0] = np.nan  # day -1 of the event at 300: day 0 spans two sessions
    prices.iloc[[318, 319], 0] = np.nan  # days 0 and +1.. of the event at 319
    events = pd.DataFrame(
        {
            "event": ["e1", "e1", "e2"],
            "group": ["g", "g", "g"],
            "security": ["A", "B", "A"],
            "day0": [idx[300], idx[300], idx[318]],
        }
    )
    return prices, pd.Series(market, index=idx, name="M"), events


def _long_hand(prices, market, day0, est=(-250, -11), window=(-1, 1)):
    """Per-session WLS of the trade-to-trade market model, from the raw prices."""
    idx = prices.index
    p = prices.to_numpy()
    mret = np.r_[np.nan, market.to_numpy()[1:] / market.to_numpy()[:-1] - 1]
    traded = np.flatnonzero(np.isfinite(p))

    def span_return(t):  # the trade-to-trade return ending at session t, its span
        if not np.isfinite(p[t]):
            return np.nan, np.nan, np.nan
        before = traded[traded < t]
        if not len(before):
            return np.nan, np.nan, np.nan
        s = before[-1]
        n = t - s
        return p[t] / p[s] - 1, n, np.prod(1 + mret[s + 1 : t + 1]) - 1

    d0 = idx.get_loc(day0)
    rows = [span_return(t) for t in range(d0 + est[0], d0 + est[1] + 1)]
    y, n, mk = (np.array(c, dtype=float) for c in zip(*rows, strict=True))
    ok = np.isfinite(y)
    y, n, mk = y[ok], n[ok], mk[ok]
    w = 1 / np.sqrt(n)
    x = np.column_stack([n * w, mk * w])
    coef, *_ = np.linalg.lstsq(x, y * w, rcond=None)
    resid = y * w - x @ coef
    sigma2 = resid @ resid / (len(y) - 2)
    v = np.linalg.inv(x.T @ x)
    out = []
    for t in range(d0 + window[0], d0 + window[1] + 1):
        r, nt, mt = span_return(t)
        xt = np.array([nt, mt])
        out.append((r - xt @ coef, np.sqrt(sigma2 * (nt + xt @ v @ xt)), nt, xt))
    return coef, np.sqrt(sigma2), out, v, sigma2


@pytest.fixture
def panel():
    prices, market, events = _panel()
    returns, spans = trade_to_trade_returns(prices, prices.index)
    bench = compute_returns(market.to_frame(), prices.index)
    return prices, market, events, returns, spans, bench


def test_returns_and_spans_by_hand():
    idx = pd.bdate_range("2023-01-02", periods=8)
    prices = pd.DataFrame({"a": [10, 11, np.nan, np.nan, 12, 13, np.nan, 14.0]}, index=idx)
    r, n = trade_to_trade_returns(prices, idx)
    assert r["a"].tolist()[1] == pytest.approx(0.1)
    assert r["a"].iloc[4] == pytest.approx(12 / 11 - 1)  # over three sessions
    assert r["a"].iloc[7] == pytest.approx(14 / 13 - 1)  # over two
    np.testing.assert_array_equal(n["a"].to_numpy()[1:], [1, np.nan, np.nan, 3, 1, np.nan, 2])
    assert np.isnan(r["a"].iloc[0]) and np.isnan(n["a"].iloc[0])


def test_without_gaps_it_is_the_ordinary_study(panel):
    """No gap: every span is 1, and the study equals the default one to rounding."""
    prices, market, events, *_ = panel
    full = prices.ffill()  # every session traded
    returns, spans = trade_to_trade_returns(full, full.index)
    assert np.nanmax(spans.to_numpy()) == 1
    bench = compute_returns(market.to_frame(), full.index)
    plain = EventStudy(returns, events, bench).fit()
    t2t = EventStudy(returns, events, bench, spans=spans).fit()
    np.testing.assert_allclose(t2t.ar, plain.ar, rtol=0, atol=1e-14)
    np.testing.assert_allclose(t2t.sd, plain.sd, rtol=1e-12)
    np.testing.assert_allclose(t2t.cars["car"], plain.cars["car"], rtol=0, atol=1e-14)
    assert t2t.settings.thin_trading == "trade-to-trade"
    assert plain.settings.thin_trading == "exclude"


def test_fit_abnormal_returns_and_car_long_hand(panel):
    prices, market, events, returns, spans, bench = panel
    # e1's window lies in e2's estimation window for A: kept, as the long hand keeps it
    res = EventStudy(returns, events, bench, spans=spans, other_events="keep").fit()
    for k in range(len(events)):
        sec, day0 = events["security"].iat[k], events["day0"].iat[k]
        coef, sigma, days, v, sigma2 = _long_hand(prices[sec], market, day0)
        # coefficients and sigma of the per-session (weighted) regression: rounding only
        np.testing.assert_allclose(res.model_fit.coef[k], coef, rtol=1e-10)
        assert res.model_fit.sigma[k] == pytest.approx(sigma, rel=1e-10)
        ar = np.array([d[0] for d in days])
        sd = np.array([d[1] for d in days])
        np.testing.assert_allclose(res.ar[k], ar, rtol=1e-10, equal_nan=True)
        np.testing.assert_allclose(res.sd[k], sd, rtol=1e-10, equal_nan=True)
        # CAR(-1,+1): defined when the returns' spans tile the window
        n = np.array([d[2] for d in days])
        tiled = np.isfinite(ar[-1]) and np.nansum(n) == 3
        if tiled:
            s = np.nansum([d[3] for d in days if np.isfinite(d[0])], axis=0)
            car_sd = np.sqrt(sigma2 * (np.nansum(n) + s @ v @ s))
            assert res.cars["car"][k, 0] == pytest.approx(np.nansum(ar), rel=1e-10)
            assert res.cars["sd"][k, 0] == pytest.approx(car_sd, rel=1e-10)
        else:
            assert np.isnan(res.cars["car"][k, 0])
    # the gap ending on day 0 of e1 for A: day 0 spans two sessions, the CAR still exists
    assert spans["A"].loc[events["day0"].iat[0]] == 2
    assert np.isfinite(res.cars["car"][0, 0])
    # e2 for A: days 0 and +1 have no price, so nothing covers them inside the window
    assert np.isnan(res.cars["car"][2, 0])
    assert "A" in set(res.incomplete_windows["security"])


def test_excluded_default_drops_what_trade_to_trade_keeps(panel):
    prices, market, events, returns, spans, bench = panel
    plain_returns = compute_returns(prices, prices.index)
    plain = EventStudy(plain_returns, events, bench).fit()
    t2t = EventStudy(returns, events, bench, spans=spans).fit()
    assert np.isnan(plain.ar[0, 1]) and np.isfinite(t2t.ar[0, 1])  # A's day 0 of e1
    assert t2t.model_fit.n_obs[0] > plain.model_fit.n_obs[0]


def test_spans_must_describe_the_returns(panel):
    prices, market, events, returns, spans, bench = panel
    with pytest.raises(DataError, match="exactly where there is a return"):
        EventStudy(returns, events, bench, spans=spans.fillna(1))
    with pytest.raises(DataError, match="another session grid"):
        EventStudy(returns, events, bench, spans=spans.iloc[1:])
    with pytest.raises(ModelError, match="leads and lags"):
        EventStudy(returns, events, bench, spans=spans, model="dimson")


def test_a_stale_day_on_the_snapshot_by_hand(market_store, market_dir):
    """0823.HK (Link REIT) did not trade on 2023-02-10 (flat close, zero volume): by
    default the return of 2023-02-13 spans it and is missing; trade to trade it is the
    return from the 9th's close, over two sessions.  Recomputed from the raw CSV.
    """
    from research.data.inputs import build_inputs

    raw = pd.read_csv(market_dir / "0823.HK.csv", skiprows=3, header=None, index_col=0)
    raw.index = pd.to_datetime(raw.index)
    close = raw[1]
    assert raw.loc["2023-02-10", 5] == 0  # volume: no trade
    by_hand = close.loc["2023-02-13"] / close.loc["2023-02-09"] - 1
    plain = build_inputs(["0823.HK"], ["^HSI"], "HKEX", market_store)
    t2t = build_inputs(["0823.HK"], ["^HSI"], "HKEX", market_store, thin_trading="trade-to-trade")
    day = pd.Timestamp("2023-02-13")
    assert np.isnan(plain.returns.at[day, "0823.HK"])
    assert t2t.returns.at[day, "0823.HK"] == pytest.approx(by_hand, rel=1e-12)
    assert t2t.spans.at[day, "0823.HK"] == 2
    assert np.isnan(t2t.returns.at[pd.Timestamp("2023-02-10"), "0823.HK"])
    # kept in the estimation too: an isolated stale day is thin trading, not an event
    assert plain.exclude.at[day, "0823.HK"]
    assert not t2t.exclude.at[day, "0823.HK"]


def test_cli_option(market_store, cli):
    out = cli("run", "--event", "lpr-cut", "--group", "reit", "--thin-trading", "trade-to-trade")
    assert out.code == 0, out.err
    assert "trade-to-trade returns" in out.out
    bad = cli(
        "run",
        *("--event", "lpr-cut", "--group", "reit"),
        *("--thin-trading", "trade-to-trade", "--model", "dimson"),
    )
    assert bad.code != 0
    assert "leads and lags" in bad.err
    # the headline study takes the option too (it ignored every option before)
    headline = cli("run", "--thin-trading", "trade-to-trade", "--window", "-2,2")
    assert headline.code == 0, headline.err
    assert "trade-to-trade returns; window (-2, 2)" in " ".join(headline.out.split())


def test_a_rank_test_over_thinly_covered_windows_is_flagged():
    """Ten stocks without a price on 30% of sessions, one common day 0: fewer firm-events
    have a rank on every day of CAR(-1,+1) than on an average estimation day, and the
    rank test's note says so (its size there: docs/validation.md, section 5).
    """
    rng = np.random.default_rng(11)
    idx = pd.bdate_range("2021-01-04", periods=320)
    m = rng.normal(0, 0.01, len(idx))
    prices = pd.DataFrame(
        {f"S{i}": 10 * np.cumprod(1 + m + rng.normal(0, 0.02, len(idx))) for i in range(10)},
        index=idx,
    )
    gone = rng.random(prices.shape) < 0.3
    gone[0] = False
    prices = prices.mask(gone)
    events = pd.DataFrame(
        {"event": "e", "group": "g", "security": prices.columns, "day0": idx[300]}
    )
    bench = compute_returns(pd.Series(1000 * np.cumprod(1 + m), index=idx).to_frame("M"), idx)
    returns, spans = trade_to_trade_returns(prices, idx)
    res = EventStudy(returns, events, bench, spans=spans, min_obs=100).fit()
    flagged = res.thin_rank_windows
    whole = flagged[flagged["window"] == "(-1,1)"]
    assert len(whole) == 1
    n = int(res.window_tests.set_index("window").at["(-1,1)", "n"])
    assert whole["n"].iat[0] < 0.9 * whole["n_est"].iat[0]
    assert whole["n"].iat[0] <= n  # ranked on every window day: within those with a CAR
    notes = " ".join(res.summary().notes)
    assert "corrado_rank_z ranks fewer firm-events over a window" in notes
    # a fully traded panel raises no such note
    full = EventStudy(compute_returns(prices.ffill(), idx), events, bench).fit()
    assert full.thin_rank_windows.empty


def test_no_trade_to_trade_return_across_a_suspension(market_store):
    """1918.HK was suspended 2022-04-01..2023-04-12 (251 sessions): the first trade after it
    is not a thin-trading return (a span longer than a suspension's five sessions) and stays
    missing, trade to trade too.
    """
    from research.data.inputs import build_inputs

    panel = build_inputs(["1918.HK"], ["^HSI"], "HKEX", market_store, thin_trading="trade-to-trade")
    day = pd.Timestamp("2023-04-13")
    assert np.isnan(panel.returns.at[day, "1918.HK"]) and np.isnan(panel.spans.at[day, "1918.HK"])
    assert np.nanmax(panel.spans["1918.HK"].to_numpy()) <= 5
