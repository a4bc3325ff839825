"""Event regressions: equivalence with the engine, standard errors long-hand, size by Monte Carlo.

References: statsmodels OLS / t_test / wald_test (classical), the Newey-West (1987)
sandwich written out long-hand, the cluster-robust sandwich written out long-hand
(Cameron & Miller 2015, eq. 11 with statsmodels' small-sample factor), and Monte
Carlo size checks: with T trials at 5% the rejection rate has s.e. sqrt(.05*.95/T),
so for T = 400 the band [1.5%, 9.5%] is about four standard errors wide.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats as st

from research.analyses.placebo import empirical_p, placebo_test
from research.analyses.regression import event_regression, panel_event_regression
from research.data.inputs import group_portfolio
from research.errors import EventStudyError
from research.estimation.study import EventStudy
from research.stats.covariance import bartlett_autocovariances, newey_west_lags

from .synthetic import market_model_panel


@pytest.fixture
def data():
    returns, bench, events = market_model_panel(n_secs=6, n_days=320, event_day=280)
    return returns, bench, events["day0"].iat[0]


def test_dummy_coefficients_equal_the_engine_abnormal_returns(data):
    returns, bench, day0 = data
    reg = event_regression(
        returns["S02"], bench, {"E": day0}, window=(-2, 3), estimation=(-250, -11)
    )
    res = EventStudy(
        returns[["S02"]],
        pd.DataFrame({"security": ["S02"], "day0": [day0]}),
        bench,
        window=(-2, 3),
        estimation=(-250, -11),
        car_windows=[(-2, 3)],
    ).fit()
    event_terms = [c for c in reg.params.index if c.startswith("E[")]
    np.testing.assert_allclose(reg.params[event_terms].to_numpy(), res.ar[0], atol=1e-12)
    # classical s.e. of a dummy = the engine's prediction-error s.d.; the window sum = CAR s.d.
    np.testing.assert_allclose(reg.bse[event_terms].to_numpy(), res.sd[0], rtol=1e-10)
    assert reg.windows["car"].iat[0] == pytest.approx(res.cars["car"][0, 0], abs=1e-12)
    assert reg.windows["se"].iat[0] == pytest.approx(res.cars["sd"][0, 0], rel=1e-10)
    assert reg.params["M"] == pytest.approx(res.estimation["beta"].iat[0], abs=1e-12)


def test_classical_errors_and_wald_equal_statsmodels(data):
    returns, bench, day0 = data
    reg = event_regression(returns["S01"], bench, {"E": day0}, window=(-1, 1))
    exog = pd.concat(
        [
            pd.Series(1.0, index=reg.design.sample, name="const"),
            bench.reindex(reg.design.sample),
            reg.design.dummies,
        ],
        axis=1,
    )
    ref = sm.OLS(returns["S01"].reindex(reg.design.sample), exog).fit()
    np.testing.assert_allclose(reg.bse.to_numpy(), ref.bse.to_numpy(), rtol=1e-10)
    c = np.r_[0, 0, 1, 1, 1]
    tt = ref.t_test(c)
    assert reg.windows["se"].iat[0] == pytest.approx(float(tt.sd.item()), rel=1e-10)
    wald = ref.wald_test(np.eye(5)[2:], scalar=True, use_f=False)
    assert reg.wald["chi2"].iat[0] == pytest.approx(float(wald.statistic), rel=1e-9)


def test_hac_benchmark_covariance_is_newey_west_long_hand(data):
    returns, bench, day0 = data
    reg = event_regression(returns["S03"], bench, {"E": day0}, cov_type="hac", maxlags=3)
    est = reg.design.sample[reg.design.dummies.sum(axis=1) == 0]
    y = returns["S03"].reindex(est).to_numpy()
    x = np.column_stack([np.ones(len(est)), bench["M"].reindex(est).to_numpy()])
    n, k = x.shape
    b = np.linalg.lstsq(x, y, rcond=None)[0]
    u = y - x @ b
    s = sum(np.outer(x[t] * u[t], x[t] * u[t]) for t in range(n))
    for j in range(1, 4):
        w = 1 - j / 4
        g = sum(np.outer(x[t] * u[t], x[t - j] * u[t - j]) for t in range(j, n))
        s = s + w * (g + g.T)
    bread = np.linalg.inv(x.T @ x)
    v = bread @ s @ bread * n / (n - k)  # statsmodels' use_correction
    np.testing.assert_allclose(reg.bse[["const", "M"]].to_numpy(), np.sqrt(np.diag(v)), rtol=1e-10)
    # and the event-day error autocovariances: Bartlett-weighted, divided by n - k
    gam = bartlett_autocovariances(u, np.arange(n), 3, n - k)
    for j in range(4):
        assert gam[j] == pytest.approx(
            (1 - j / 4) * (u[j:] * u[: n - j]).sum() / (n - k), rel=1e-12
        )


def test_newey_west_automatic_lag():
    assert newey_west_lags(240) == 4 and newey_west_lags(100) == 4 and newey_west_lags(1000) == 6


def _ar1_series(rng, n, phi):
    e = rng.normal(0, 0.02, n)
    for t in range(1, n):
        e[t] += phi * e[t - 1]
    return e


def test_size_of_event_dummy_tests_by_monte_carlo():
    """statsmodels' HAC on a one-day dummy rejects far too often; ours keeps its size."""
    rng = np.random.default_rng(0)
    trials, n = 400, 262
    dates = pd.bdate_range("2020-01-01", periods=n)
    rej_ours = rej_naive = rej_car_classical = rej_car_hac = 0
    for _ in range(trials):
        m = rng.normal(0, 0.01, n)
        y = pd.Series(0.9 * m + _ar1_series(rng, n, 0.5), index=dates, name="y")
        bench = pd.DataFrame({"M": m}, index=dates)
        day0 = {"E": dates[255]}
        hac = event_regression(y, bench, day0, window=(0, 0), cov_type="hac", maxlags=5)
        rej_ours += hac.pvalues.iloc[-1] < 0.05
        exog = pd.concat(
            [
                pd.Series(1.0, index=hac.design.sample, name="c"),
                bench.reindex(hac.design.sample),
                hac.design.dummies,
            ],
            axis=1,
        )
        naive = sm.OLS(y.reindex(hac.design.sample), exog).fit(
            cov_type="HAC", cov_kwds={"maxlags": 5}
        )
        rej_naive += naive.pvalues.iloc[-1] < 0.05
        wide_c = event_regression(y, bench, day0, window=(-2, 4), cov_type="classical")
        wide_h = event_regression(y, bench, day0, window=(-2, 4), cov_type="hac", maxlags=5)
        rej_car_classical += wide_c.windows["p"].iat[0] < 0.05
        rej_car_hac += wide_h.windows["p"].iat[0] < 0.05
    assert 0.015 <= rej_ours / trials <= 0.095
    assert rej_naive / trials > 0.5
    # AR(1) errors with phi = 0.5: a 7-day CAR's variance is about 2.4 times L sigma^2, so
    # the classical test over-rejects; the HAC one stays near nominal size.
    assert rej_car_classical / trials > 0.12
    assert 0.015 <= rej_car_hac / trials <= 0.11


def test_shared_sessions_get_one_dummy_and_say_so(data):
    returns, bench, day0 = data
    nxt = returns.index[returns.index.get_loc(day0) + 1]
    reg = event_regression(
        returns["S00"],
        bench,
        {"visit": day0, "cut": nxt},
        window=(-1, 1),
        confounders={nxt: ["cut", "other-news"]},
    )
    cols = list(reg.design.dummies.columns)
    assert cols == ["visit[-1]", "visit[0] = cut[-1]", "visit[+1] = cut[0]", "cut[+1]"]
    assert any(
        "not separately identified" in s and "visit[+1] = cut[0]" in s for s in reg.identification
    )
    assert any("other-news" in s for s in reg.identification)
    w = reg.windows.set_index("event")
    assert w.at["visit", "shares_sessions_with"] == "cut"
    expected = reg.params[["visit[-1]", "visit[0] = cut[-1]", "visit[+1] = cut[0]"]].sum()
    assert w.at["visit", "car"] == pytest.approx(expected, abs=1e-15)


def test_event_without_a_return_is_refused(data):
    returns, bench, day0 = data
    y = returns["S00"].copy()
    y[day0] = np.nan
    with pytest.raises(EventStudyError, match="no return"):
        event_regression(y, bench, {"E": day0})


# -- panel ---------------------------------------------------------------------------------------
def correlated_panel(rng, n_days=200, n_a=8, n_b=8, factor_sd=0.015, group_sd=0.01):
    dates = pd.bdate_range("2021-01-01", periods=n_days)
    m = rng.normal(0, 0.01, n_days)
    common = rng.normal(0, factor_sd, n_days)  # a shock shared by every stock that day
    group_a = rng.normal(0, group_sd, n_days)  # a sector shock of group A
    cols, groups = {}, {}
    for i in range(n_a + n_b):
        in_a = i < n_a
        e = rng.normal(0, 0.01, n_days) + common + (group_a if in_a else 0)
        cols[f"S{i}"] = rng.uniform(0.7, 1.3) * m + e
        groups[f"S{i}"] = "A" if in_a else "B"
    return (pd.DataFrame(cols, index=dates), pd.Series(groups), pd.DataFrame({"M": m}, index=dates))


def test_panel_terms_equal_group_mean_abnormal_returns():
    rng = np.random.default_rng(3)
    returns, groups, bench = correlated_panel(rng)
    day0 = {"E": returns.index[190]}
    res = panel_event_regression(
        returns, groups, bench, day0, window=(0, 0), estimation=(-180, -11), base_group="B"
    ).to_frame()
    ev = pd.DataFrame({"security": returns.columns, "day0": returns.index[190]})
    eng = EventStudy(returns, ev, bench, window=(0, 0), estimation=(-180, -11), bootstrap=0).fit()
    ar = pd.Series(eng.ar[:, 0], index=returns.columns)
    base = ar[groups == "B"].mean()
    diff = ar[groups == "A"].mean() - base
    assert res["coef"].iat[0] == pytest.approx(base, abs=1e-12)
    assert res["coef"].iat[1] == pytest.approx(diff, abs=1e-12)


def test_panel_results_use_the_regression_results_names():
    """params, bse, tvalues, pvalues and conf_int() mean the same on both results classes."""
    rng = np.random.default_rng(3)
    returns, groups, bench = correlated_panel(rng)
    day0 = {"E": returns.index[190]}
    res = panel_event_regression(
        returns, groups, bench, day0, window=(0, 0), estimation=(-180, -11), base_group="B"
    )
    table = res.to_frame().set_index("term")
    pd.testing.assert_series_equal(res.params, table["coef"], check_names=False)
    pd.testing.assert_series_equal(res.tvalues, res.params / res.bse, check_names=False)
    ci = res.conf_int()
    half = st.t.ppf(0.975, res.n_clusters - 1) * res.bse
    np.testing.assert_allclose(ci["upper"] - res.params, half, rtol=1e-12)
    p = 2 * st.t.sf(np.abs(res.tvalues), res.df_resid)
    np.testing.assert_allclose(res.pvalues, p, rtol=1e-12)
    single = event_regression(returns.iloc[:, 0], bench, day0, (0, 0), (-180, -11))
    names = ("params", "bse", "tvalues", "pvalues", "df_resid", "conf_int")
    assert all(hasattr(single, n) and hasattr(res, n) for n in names)


def test_panel_cluster_sandwich_long_hand_and_size_by_monte_carlo():
    rng = np.random.default_rng(4)
    trials = 300
    rej, rej_naive = 0, 0
    for trial in range(trials):
        returns, groups, bench = correlated_panel(rng, n_days=140, n_a=5, n_b=5)
        day0 = {"E": returns.index[130]}
        res = panel_event_regression(
            returns, groups, bench, day0, window=(0, 0), estimation=(-120, -11), base_group="B"
        )
        rej += res.table["p"].iat[1] < 0.05
        rej_naive += abs(res.table["coef"].iat[1] / res.naive_se.iat[1]) > 1.96
        if trial == 0:
            check_sandwich(returns, groups, bench, day0, res)
    assert 0.015 <= rej / trials <= 0.10
    assert rej_naive / trials > 0.3  # the plain date-clustered s.e. is far too small


def check_sandwich(returns, groups, bench, day0, res):
    """Long-hand cluster sandwich for the event term, with the event date's cluster imputed."""
    sample = returns.index[10:120].append(returns.index[[130]])  # estimation days + day 0
    rows = [(t, s) for t in sample for s in returns.columns]
    y = np.array([returns.at[t, s] for t, s in rows])
    secs = list(returns.columns)
    x = []
    for t, s in rows:
        fe = [1.0 if s == z else 0.0 for z in secs]
        beta = [bench.at[t, "M"] if s == z else 0.0 for z in secs]
        d = 1.0 if t == day0["E"] else 0.0
        x.append(fe + beta + [d, d * (groups[s] == "A")])
    x = np.array(x)
    bread = np.linalg.inv(x.T @ x)
    coef = bread @ x.T @ y
    u = y - x @ coef
    a = bread[-1] @ x.T
    dates = np.array([t for t, _ in rows])
    event = dates == day0["E"]
    meat = sum(((a * u)[dates == t].sum()) ** 2 for t in sample if t != day0["E"])
    w = a[event]
    imputed = np.mean([(w * u[dates == t]).sum() ** 2 for t in sample if t != day0["E"]])
    n, k, g = len(y), x.shape[1], len(sample)
    se = np.sqrt((meat + imputed) * g / (g - 1) * (n - 1) / (n - k))
    assert res.table["coef"].iat[1] == pytest.approx(coef[-1], abs=1e-12)
    assert res.table["se"].iat[1] == pytest.approx(se, rel=1e-9)
    ref = sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(dates)[0]})
    assert res.naive_se.iat[1] == pytest.approx(ref.bse[-1], rel=1e-9)


def test_group_portfolio_averages_available_returns():
    frame = pd.DataFrame(
        {"A": [0.01, np.nan, 0.03], "B": [0.03, 0.02, np.nan]},
        index=pd.bdate_range("2023-01-02", periods=3),
    )
    ex = pd.DataFrame({"A": [False, False, True], "B": [False, False, False]}, index=frame.index)
    out = group_portfolio(frame, ["A", "B"], ex)
    assert out.iloc[0] == pytest.approx(0.02) and out.iloc[1] == pytest.approx(0.02)
    assert np.isnan(out.iloc[2])


# -- placebo -------------------------------------------------------------------------------------
def test_empirical_p_value_formula():
    placebo = np.array([-3.0, -1.0, 0.5, 2.0, np.nan])
    assert empirical_p(2.0, placebo) == pytest.approx((1 + 2) / (1 + 4))
    assert empirical_p(10.0, placebo) == pytest.approx(1 / 5)


def test_placebo_finds_a_large_shock_and_not_a_null(data):
    returns, bench, day0 = data
    y = returns["S04"].copy()
    null = placebo_test(y, bench, day0, window=(0, 0), n_draws=300, seed=1)
    y[day0] += 0.15
    big = placebo_test(y, bench, day0, window=(0, 0), n_draws=300, seed=1)
    assert big.p_in_window < 0.01 and big.p_random_dates < 0.01
    assert null.p_in_window > 0.01
    assert len(null.in_window) == 240 and np.isfinite(null.random_dates).sum() == 300
    # in-window placebo CARs are the estimation residuals themselves for a one-day window
    res = EventStudy(
        y.to_frame("S04"),
        pd.DataFrame({"security": ["S04"], "day0": [day0]}),
        bench,
        window=(0, 0),
        estimation=(-250, -11),
        other_events="keep",
    ).fit()
    np.testing.assert_allclose(null.in_window, res.resid[0], atol=1e-15)


def test_summary_shows_returns_as_percent_and_betas_as_numbers(data):
    """Only event terms are returns: a beta of 0.98 must not print as '+98.00%', a standard
    error never carries a sign, and a term without a date prints nothing, not 'NaT'.  The
    benchmark terms print as ``alpha`` and ``beta <benchmark>``."""
    returns, bench, day0 = data
    reg = event_regression(returns["S01"], bench, {"E": day0}, window=(-1, 1))
    text = reg.summary()
    lines = text.splitlines()
    frame = reg.to_frame()
    for term, kind, coef, se in frame[["term", "kind", "coef", "se"]].itertuples(index=False):
        label = term if kind == "event" else "alpha" if term == "const" else f"beta {term}"
        line = next(ln for ln in lines if ln.startswith(label + " "))
        if kind == "event":
            assert f"{100 * coef:+.2f}%" in line and f" {100 * se:.2f}%" in line
        else:
            assert "%" not in line and f"{coef:.4f}" in line and f" {se:.4f}" in line
        assert f"+{100 * se:.2f}%" not in line and f"+{se:.4f}" not in line
    assert "NaT" not in text and "beta_" not in text
    assert set(frame["se_method"]) == {"prediction error, classical", "OLS (classical)"}


def test_group_portfolio_keeps_flagged_returns_on_event_days():
    """Item 4 of issue 13: a flagged return (a jump) leaves the portfolio on estimation days
    but not on the event window's sessions, where it is the news itself."""
    dates = pd.bdate_range("2023-01-02", periods=5)
    returns = pd.DataFrame(
        {"A": [0.01, 0.02, -0.45, 0.0, 0.01], "B": [0.0, 0.0, -0.05, 0.0, 0.0]}, index=dates
    )
    exclude = pd.DataFrame(False, index=dates, columns=["A", "B"])
    exclude.loc[dates[2], "A"] = True  # flagged by the jump rule
    exclude.loc[dates[0], "A"] = True
    plain = group_portfolio(returns, ["A", "B"], exclude)
    kept = group_portfolio(returns, ["A", "B"], exclude, keep=[dates[2]])
    assert plain[dates[2]] == pytest.approx(-0.05)  # the old behaviour: A silently left
    assert kept[dates[2]] == pytest.approx(-0.25)  # both stocks on the event day
    assert kept[dates[0]] == pytest.approx(0.0)  # outside the event window: still excluded
