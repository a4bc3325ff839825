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
