"""Rolling correlation and beta against long-hand numpy on each window."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research.analyses.correlation import rolling_correlation_beta


def test_rolling_statistics_equal_numpy_on_every_window():
    rng = np.random.default_rng(8)
    idx = pd.bdate_range("2023-01-02", periods=120)
    x = pd.Series(rng.normal(0, 0.01, 120), index=idx)
    y = pd.DataFrame(
        {"a": 0.8 * x + rng.normal(0, 0.01, 120), "b": rng.normal(0, 0.02, 120)}, index=idx
    )
    y.iloc[30, 0] = np.nan  # a missing day: the window uses the days both series have
    corr, beta = rolling_correlation_beta(y, x, window=20, min_periods=15)
    both = pd.concat([y["a"], x], axis=1).dropna()
    for end in (40, 80, 119):
        t = both.index[both.index.get_indexer([idx[end]])[0]]
        pos = both.index.get_loc(t)
        w = both.iloc[pos - 19 : pos + 1].to_numpy()
        assert corr.at[t, "a"] == pytest.approx(np.corrcoef(w[:, 0], w[:, 1])[0, 1], rel=1e-10)
        assert beta.at[t, "a"] == pytest.approx(np.polyfit(w[:, 1], w[:, 0], 1)[0], rel=1e-9)
    assert corr["a"].iloc[:13].isna().all()  # fewer than 15 sessions: no value
    assert np.isnan(corr.at[idx[30], "a"])  # the missing day itself has no value


def test_fisher_z_long_hand():
    from scipy import stats

    from research.analyses.correlation import fisher_z_change

    rng = np.random.default_rng(1)
    x1, x2 = rng.normal(size=60), rng.normal(size=50)
    y1, y2 = 0.3 * x1 + rng.normal(size=60), 0.9 * x2 + rng.normal(size=50)
    out = fisher_z_change(y1, x1, y2, x2)
    r1, r2 = np.corrcoef(y1, x1)[0, 1], np.corrcoef(y2, x2)[0, 1]
    z = (np.arctanh(r2) - np.arctanh(r1)) / np.sqrt(1 / 47 + 1 / 57)  # Fisher (1921)
    assert out["fisher_z"] == pytest.approx(z, rel=1e-12)
    assert out["fisher_z_p"] == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-12)


def test_beta_change_equals_the_interaction_regression():
    import statsmodels.formula.api as smf

    from research.analyses.correlation import beta_change

    rng = np.random.default_rng(2)
    x = rng.normal(0, 0.01, 120)
    y = np.r_[1.0 * x[:60], 1.6 * x[60:]] + rng.normal(0, 0.005, 120)
    ys = pd.Series(y)
    ys.attrs["break"] = 60
    out = beta_change(ys, pd.Series(x), maxlags=3)
    df = pd.DataFrame({"y": y, "x": x, "d": np.r_[np.zeros(60), np.ones(60)]})
    ref = smf.ols("y ~ x * d", df).fit(
        cov_type="HAC", cov_kwds={"maxlags": 3, "use_correction": True}
    )
    assert out["beta_change"] == pytest.approx(ref.params["x:d"], rel=1e-10)
    assert out["beta_change_se"] == pytest.approx(ref.bse["x:d"], rel=1e-10)
    assert out["beta_post"] == pytest.approx(ref.params["x"] + ref.params["x:d"], rel=1e-10)
    assert out["beta_change_p"] == pytest.approx(ref.pvalues["x:d"], rel=1e-10)


def test_placebo_breaks_computed_at_once_equal_one_regression_each():
    """The placebo distribution is computed for every break at once: each break's Fisher z
    and beta change equal fisher_z_change and the interaction regression at that break."""
    from research.analyses.correlation import _window_moments, beta_change, fisher_z_change

    rng = np.random.default_rng(4)
    b = rng.normal(0, 0.01, 400)
    a = 0.7 * b + rng.normal(0, 0.01, 400)
    w = 40
    starts = np.array([w, 123, 250, 400 - w])
    r_pre, s_pre = _window_moments(a, b, starts - w, w)
    r_post, s_post = _window_moments(a, b, starts, w)
    for k, p in enumerate(starts):
        pre, post = slice(p - w, p), slice(p, p + w)
        fz = fisher_z_change(a[pre], b[pre], a[post], b[post])
        z = (np.arctanh(r_post[k]) - np.arctanh(r_pre[k])) / np.sqrt(2 / (w - 3))
        assert z == pytest.approx(fz["fisher_z"], rel=1e-10)
        y = pd.Series(np.r_[a[pre], a[post]])
        y.attrs["break"] = w
        change = beta_change(y, pd.Series(np.r_[b[pre], b[post]]))["beta_change"]
        assert s_post[k] - s_pre[k] == pytest.approx(change, rel=1e-9, abs=1e-12)


def test_correlation_change_detects_a_real_break_and_not_a_null():
    from research.analyses.correlation import correlation_change

    rng = np.random.default_rng(3)
    idx = pd.bdate_range("2020-01-01", periods=900)
    x = pd.Series(rng.normal(0, 0.01, 900), index=idx, name="x")
    noise = rng.normal(0, 0.01, 900)
    null = correlation_change((0.8 * x + noise).rename("y"), x, idx[450], window=60, n_placebo=200)
    assert null.stats["fisher_z_placebo_p"] > 0.05
    y = 0.8 * x + noise
    y.iloc[450:] = 2.5 * x.iloc[450:] + 0.2 * noise[450:]  # the relation tightens at the break
    brk = correlation_change(y.rename("y"), x, idx[450], window=60, n_placebo=200)
    assert brk.stats["r_post"] > brk.stats["r_pre"]
    assert brk.stats["fisher_z_p"] < 0.01 and brk.stats["fisher_z_placebo_p"] < 0.02
    assert brk.stats["beta_change"] > 1.0


def test_cross_market_table_uses_each_market_own_session(market_store):
    from research.analyses.regressions import cross_market_reactions
    from research.cases.hk2023 import CROSS_MARKETS

    res = cross_market_reactions("lpr-cut", CROSS_MARKETS).to_frame().set_index("ticker")
    # 09:15 Beijing 20 Jun = 21:15 EDT 19 Jun (Juneteenth, NY closed): NY day 0 is 20 Jun
    assert res.at["^GSPC", "day0"] == pd.Timestamp("2023-06-20")
    assert res.at["^GSPC", "local_time"].startswith("2023-06-19 21:15")
    assert res.at["^N225", "local_time"].startswith("2023-06-20 10:15")
    # raw returns from PROVENANCE.md closes: HSI 19912.89 -> 19607.08 on 20 Jun
    assert res.at["^HSI", "return"] == pytest.approx(19607.08 / 19912.89 - 1, abs=2e-6)
    assert list(res["rank"]) == list(range(1, 9))
    assert res["return"].is_monotonic_increasing


def test_cli_correlate(cli, market_store):
    import json

    result = cli(
        "correlate",
        "--a",
        "mainland-developer",
        "--b",
        "^HSI",
        "--window",
        "60",
        "--event",
        "lpr-cut",
        "--placebo",
        "50",
        "--format",
        "json",
    )
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    assert doc["change"]["window"] == 60 and 0 < doc["change"]["fisher_z_placebo_p"] <= 1
    rolling = {r["date"]: r for r in doc["change"]["rolling"]}
    assert set(rolling["2023-06-20"]) == {"date", "correlation", "beta"}
    assert -1 <= rolling["2023-06-20"]["correlation"] <= 1
    bad = cli("correlate", "--window", "5")
    assert bad.code == 2 and "too short" in bad.err
