"""Size and power by simulation: a fast fixed-seed version of scripts/size_power.py.

With i.i.d. normal residuals every test is valid, so its rejection rate at 5%
over T trials is Binomial(T, 0.05)/T: for T = 300 the standard error is 1.26
percentage points and [0.5%, 11%] is a band of more than four standard
errors, wide enough not to fail by chance (p < 1e-4 per test) yet narrow
enough to catch a test that is off by a factor of two.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research.analyses.simulation import draw_pseudo_events, size_power


def iid_panel(n_secs=40, n_days=1200, seed=2):
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2015-01-01", periods=n_days)
    rm = pd.Series(rng.normal(0.0002, 0.01, n_days), index=dates, name="M")
    beta = rng.uniform(0.6, 1.4, n_secs)
    r = np.outer(rm.to_numpy(), beta) + rng.normal(0, 0.02, (n_days, n_secs))
    return pd.DataFrame(r, index=dates, columns=[f"S{i}" for i in range(n_secs)]), rm


@pytest.fixture(scope="module")
def simulated():
    returns, rm = iid_panel()
    return size_power(
        returns,
        rm,
        n_trials=300,
        n_secs=20,
        shocks=(0.0, -0.01, -0.02),
        estimation=(-200, -11),
        min_obs=150,
        seed=7,
    )


def test_size_is_nominal_under_iid_normal_residuals(simulated):
    size = simulated.to_frame()["shock +0%"]
    assert size.between(0.005, 0.11).all(), size[~size.between(0.005, 0.11)]


def test_power_grows_with_the_abnormal_return(simulated):
    rates = simulated.to_frame()
    day0 = rates.loc["day 0"]
    # sd of AAR = 2% / sqrt(20) = 0.45%: -2% is 4.5 s.d., so the mean-based tests have power
    # near 1. The sign tests see only signs: per stock P(AR < 0) = Phi(1) = 0.84, and rejecting
    # needs at most 5 positives of 20, P(Bin(20, 0.16) <= 5) = 0.90: they get > 0.75.
    signs = ["sign_z", "generalized_sign_z"]
    assert (day0.drop(index=signs)["shock -2%"] > 0.9).all()
    assert (day0.loc[signs, "shock -2%"] > 0.75).all()
    assert (day0["shock -1%"] > day0["shock +0%"] + 0.2).all()
    assert (rates["shock -2%"] >= rates["shock -1%"]).all()


def test_the_same_seed_gives_the_same_table():
    returns, rm = iid_panel(n_secs=25, n_days=600)
    a = size_power(
        returns, rm, n_trials=20, n_secs=10, estimation=(-200, -11), min_obs=150, seed=3
    ).to_frame()
    b = size_power(
        returns, rm, n_trials=20, n_secs=10, estimation=(-200, -11), min_obs=150, seed=3
    ).to_frame()
    pd.testing.assert_frame_equal(a, b)


def test_pseudo_events_have_full_windows_and_enough_estimation_days():
    returns, rm = iid_panel(n_secs=6, n_days=500)
    returns.iloc[:300, 0] = np.nan  # S0 trades only in the last 200 days
    rng = np.random.default_rng(0)
    events = draw_pseudo_events(returns, 30, 5, (-1, 1), (-150, -11), 120, rng, rm)
    assert len(events) == 150 and events.groupby("event")["security"].nunique().eq(5).all()
    pos = returns.index.get_indexer(events["day0"])
    for p, sec in zip(pos, events["security"], strict=True):
        col = returns[sec].to_numpy()
        assert np.isfinite(col[p - 1 : p + 2]).all()
        assert np.isfinite(col[p - 150 : p - 10]).sum() >= 120


@pytest.mark.parametrize("n_cols, n_secs", [(1, 1), (6, 5), (6, 1)])
def test_pseudo_events_are_the_draws_written_by_hand(n_cols, n_secs):
    """The draws equal the literal loop over rng.choice (securities without replacement,
    then one day of each), so a seed gives the same placebo dates as in earlier versions.
    """
    from research.analyses.simulation import valid_event_days

    returns, rm = iid_panel(n_secs=n_cols, n_days=500)
    returns.iloc[:300, 0] = np.nan
    args = ((-1, 1), (-150, -11), 120)
    got = draw_pseudo_events(returns, 40, n_secs, *args, np.random.default_rng(7), rm)
    pairs = np.argwhere(valid_event_days(returns, *args, rm))
    securities = np.unique(pairs[:, 1])
    rng = np.random.default_rng(7)
    want = []
    for _ in range(40):
        for c in rng.choice(securities, size=n_secs, replace=False):
            want.append((returns.columns[c], returns.index[rng.choice(pairs[pairs[:, 1] == c, 0])]))
    assert list(zip(got["security"], got["day0"], strict=True)) == want


def test_small_run_on_the_real_hong_kong_data(market_store):
    from research.data.inputs import build_inputs
    from research.data.universe import load_universe

    hk = [t for t in load_universe().index if t.endswith(".HK")]
    panel = build_inputs(hk, ["^HSI"], "HKEX", start="2015-01-01", end="2025-10-30")
    res = size_power(
        panel.returns,
        panel.benchmarks["^HSI"],
        n_trials=60,
        n_secs=20,
        seed=1,
        exclude=panel.exclude,
        shocks=(0.0, -0.02),
    )
    rates = res.to_frame()
    assert rates["shock +0%"].max() <= 0.2  # 60 trials: 5% +/- 2.8pp s.e.; 0.2 is > 5 s.e.
    assert (rates.loc["day 0", "shock -2%"] >= 0.8).all()
    assert "Rejection rates" in res.summary()
