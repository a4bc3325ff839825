"""The GARCH(1,1) market model with event dummies (research/stats/garch.py).

Without the event dummies the likelihood is arch's ``arch_model(y, x, mean="LS",
vol="GARCH")`` (Sheppard's arch 8): the parameters, log-likelihood and classic standard
errors must agree.  With them, the recursion is checked against a loop, the fit nests the
plain model (its log-likelihood is at least as high) and a simulated variance jump is found.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from research.stats.garch import backcast, fit_garch_x, garch_variance


def _shkp(market_store):
    from research.data.inputs import build_inputs

    panel = build_inputs(["0016.HK"], ["^HSI"], "HKEX", market_store, start="2021-01-01")
    frame = pd.concat([panel.returns["0016.HK"], panel.benchmarks["^HSI"]], axis=1)
    frame = frame.loc[:"2023-12-31"].dropna()
    y = 100 * frame.iloc[:, 0].to_numpy()
    m = 100 * frame.iloc[:, 1].to_numpy()
    return y, m


def test_plain_garch_market_model_equals_arch(market_store):
    arch = pytest.importorskip("arch", reason="arch is a dev dependency (pip install arch)")
    y, m = _shkp(market_store)
    ours = fit_garch_x(y, np.column_stack([np.ones(len(y)), m]))
    ref = arch.arch_model(y, x=m[:, None], mean="LS", vol="GARCH", p=1, q=1).fit(
        disp="off", cov_type="classic", options={"ftol": 1e-12}
    )
    # both maximize the same likelihood from the same backcast: agreement to the
    # optimizers' tolerance (SLSQP both), the standard errors to numerical differentiation's
    np.testing.assert_allclose(ours.params, ref.params.to_numpy(), rtol=1e-4, atol=1e-6)
    assert ours.loglik == pytest.approx(ref.loglikelihood, abs=1e-5)
    np.testing.assert_allclose(ours.se, ref.std_err.to_numpy(), rtol=2e-2)


def test_recursion_and_backcast_by_hand():
    rng = np.random.default_rng(2006)
    e = rng.normal(size=80)
    shift = np.where(np.arange(80) >= 77, 0.4, 0.0)
    start = backcast(e)
    w = 0.94 ** np.arange(75)
    assert start == pytest.approx(np.sum(e[:75] ** 2 * w) / w.sum(), rel=1e-14)
    h = garch_variance(e, 0.05, 0.1, 0.85, start, shift)
    prev_e2 = prev_h = start
    for t in range(80):
        want = 0.05 + 0.1 * prev_e2 + 0.85 * prev_h + shift[t]
        assert h[t] == pytest.approx(want, rel=1e-12)
        prev_e2, prev_h = e[t] ** 2, want


def test_event_dummies_nest_the_plain_model_and_find_a_variance_jump():
    rng = np.random.default_rng(1)
    n = 400
    m = rng.normal(0, 1, n)
    event = np.zeros(n)
    event[-20:] = 1
    h = np.empty(n)
    e = np.empty(n)
    prev_e2 = prev_h = 1.0
    for t in range(n):  # GARCH(1,1) errors whose variance rises by 6 in the last 20 days
        h[t] = 0.1 + 0.08 * prev_e2 + 0.85 * prev_h + 6.0 * event[t]
        e[t] = np.sqrt(h[t]) * rng.standard_normal()
        prev_e2, prev_h = e[t] ** 2, h[t]
    y = 0.02 + 0.9 * m + e
    x = np.column_stack([np.ones(n), m])
    plain = fit_garch_x(y, x)
    dummies = fit_garch_x(y, x, event)
    assert dummies.loglik >= plain.loglik - 1e-6
    delta, se = dummies.get("delta")
    assert delta > 0 and delta / se > 2
    gamma, _ = dummies.get("gamma")
    assert abs(gamma) < 3  # no mean effect was simulated


def test_cli_volatility_carries_the_garch_dummies(cli, market_store):
    out = cli(
        *("run", "--measure", "volatility", "--event", "lpr-cut", "--group", "reit"),
        *("--format", "json"),
    )
    assert out.code == 0, out.err
    doc = json.loads(out.out)
    garch = pd.DataFrame(doc["garch"])
    assert {"mean_variance_change", "garch_cs_t_p", "garch_z_p", "not_used"} <= set(garch)
    fits = pd.DataFrame(doc["garch_securities"])
    assert {"variance_change", "delta_t", "converged"} <= set(fits)
    text = cli("run", "--measure", "volatility", "--event", "lpr-cut", "--group", "reit").out
    assert "GARCH(1,1) market model, event dummy in the variance" in " ".join(text.split())


def test_garch_market_model_is_feasible_gls_long_hand():
    """model="garch-market": each day's return and regressors divided by the root of its
    GARCH conditional variance (over the unconditional one), then the market model by
    least squares; ARs and their s.d. from it.  Recomputed here from fit_garch_x and numpy.
    """
    from research.estimation.study import EventStudy

    rng = np.random.default_rng(7)
    n = 420
    idx = pd.bdate_range("2020-01-01", periods=n)
    m = rng.normal(0, 0.01, n)
    e = np.empty(n)
    h = np.empty(n)
    prev_e2 = prev_h = 1e-4
    for t in range(n):
        h[t] = 1e-5 + 0.1 * prev_e2 + 0.85 * prev_h
        e[t] = np.sqrt(h[t]) * rng.standard_normal()
        prev_e2, prev_h = e[t] ** 2, h[t]
    rets = pd.DataFrame({"A": 0.0002 + 1.1 * m + e}, index=idx)
    day0 = idx[400]
    events = pd.DataFrame({"event": ["e"], "group": ["g"], "security": ["A"], "day0": [day0]})
    res = EventStudy(rets, events, pd.Series(m, index=idx, name="M"), model="garch-market").fit()
    assert res.settings.model == "garch-market"
    # long hand: GARCH on the estimation days (returns in percent), recursion through the
    # event window with the market-model residuals, the scale over the unconditional variance
    est = np.arange(400 - 250, 400 - 10)
    y, x = 100 * rets["A"].to_numpy(), 100 * m
    fit = fit_garch_x(y[est], np.column_stack([np.ones(len(est)), x[est]]))
    b0, b1, omega, alpha, beta = fit.params
    span = np.arange(400 - 250, 402)
    resid = y[span] - b0 - b1 * x[span]
    scale = garch_variance(resid, omega, alpha, beta, backcast(fit.resid))
    scale = scale / (omega / (1 - alpha - beta))
    root = np.sqrt(scale)
    xs = np.column_stack([np.ones(len(span)), m[span]]) / root[:, None]
    ys = rets["A"].to_numpy()[span] / root
    n_est = len(est)
    coef, *_ = np.linalg.lstsq(xs[:n_est], ys[:n_est], rcond=None)
    res_est = ys[:n_est] - xs[:n_est] @ coef
    sigma2 = res_est @ res_est / (n_est - 2)
    v = np.linalg.inv(xs[:n_est].T @ xs[:n_est])
    np.testing.assert_allclose(res.model_fit.coef[0], coef, rtol=1e-6)
    for k, t in enumerate(range(399 - 150, 402 - 150)):  # days -1..+1 within the span
        xt = np.array([1.0, m[span[t]]])
        ar = rets["A"].to_numpy()[span[t]] - xt @ coef
        sd = np.sqrt(sigma2 * (scale[t] + xt @ v @ xt))
        assert res.ar[0, k] == pytest.approx(ar, rel=1e-6)
        assert res.sd[0, k] == pytest.approx(sd, rel=1e-6)


def test_cohort_tests_of_the_variance_dummies_long_hand(market_store):
    """garch_cs_t is the cross-sectional t of the usable fits' variance changes and garch_z
    the sum of their dummies' t over sqrt(N) (research/estimation/garch_tables.py).
    """
    from scipy import stats

    from research.analyses.analysis import run_study
    from research.estimation.garch_tables import cohort_garch, security_garch

    res = run_study(events="lpr-cut", groups="hk-developer", measure="volatility")
    fits = security_garch(res)
    row = cohort_garch(res, fits).set_index("group").loc["hk-developer"]
    good = fits[
        fits["converged"] & np.isfinite(fits["delta_t"]) & np.isfinite(fits["variance_change"])
    ]
    change = good["variance_change"].to_numpy()
    n = len(change)
    assert row["n"] == n and row["not_used"] == len(fits) - n
    t = change.mean() / (change.std(ddof=1) / np.sqrt(n))
    assert row["garch_cs_t"] == pytest.approx(t, rel=1e-12)
    assert row["garch_cs_t_p"] == pytest.approx(2 * stats.t.sf(abs(t), n - 1), rel=1e-9)
    z = good["delta_t"].sum() / np.sqrt(n)
    assert row["garch_z"] == pytest.approx(z, rel=1e-12)
    assert row["garch_z_p"] == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-9)


def test_garch_market_refuses_what_it_cannot_fit(cli, market_store):
    two = cli(
        *("run", "--event", "lpr-cut", "--group", "reit", "--model", "garch-market"),
        *("--benchmark", "^HSI", "--benchmark", "^HSCE"),
    )
    assert two.code == 2 and "uses one benchmark" in two.err
    short = cli(
        *("run", "--event", "lpr-cut", "--group", "reit", "--model", "garch-market"),
        *("--estimation", "-35,-11", "--min-obs", "20"),
    )
    assert short.code == 2 and "at least 60" in short.err
