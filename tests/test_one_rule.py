"""One rule, one statistic: what a table reports is what it says it is (issue 22, item 5).

* a cohort too small for cross-sectional evidence leads with the tests that hold for a few
  stocks, and says why;
* the ``permutation`` column is a statistic in the null's standard deviations, not the AAR;
* a day without any abnormal return has no statistic;
* ``run`` and ``regress`` apply one minimum-observation rule;
* the Python API refuses frames on another session grid.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research.errors import DataError, WindowError
from research.estimation.study import EventStudy
from research.estimation.windows import min_usable_days
from research.stats import inference
from research.stats.headline import SMALL_HEADLINE, min_cross_section
from tests.synthetic import market_model_panel


def study(n_secs: int, **kw):
    returns, bench, events = market_model_panel(n_secs=n_secs, n_days=320, seed=11)
    return EventStudy(returns, events, bench, estimation=(-200, -11), bootstrap=0, **kw).fit()


def test_two_stocks_lead_with_the_tests_that_hold_for_a_few_stocks():
    # the smallest cohort of the clustered trials is three quarters of the four REITs
    assert min_cross_section() == 3
    two = study(2)
    assert two.headline_tests == SMALL_HEADLINE
    doc = two.to_dict()
    assert doc["headline_tests"] == list(SMALL_HEADLINE)
    assert "2 firm-event(s), fewer than the 3" in doc["headline_reason"]
    assert "fewer than the 3" in two.summary().as_text()
    # from three stocks on, the clustered-date headline of the size evidence
    assert study(3).headline_tests != SMALL_HEADLINE


def test_a_cohort_is_as_small_as_the_stocks_that_traded():
    """Four stocks, two of them suspended over the event window: the cross-sectional tests
    see two, so the study leads with the few-stock tests (the referee found an adjusted t
    of -11.48 starred as the headline with n = 2)."""
    returns, bench, events = market_model_panel(n_secs=4, n_days=320, seed=11)
    day0 = returns.index.get_loc(events["day0"].iat[0])
    returns.iloc[day0 - 3 : day0 + 4, :2] = np.nan  # suspended around the event
    res = EventStudy(returns, events, bench, estimation=(-200, -11), bootstrap=0).fit()
    assert len(res.cohorts()[0][2]) == 4 and res.day_tests["n"].max() == 2
    assert res.smallest_cohort == 2 and res.headline_tests == SMALL_HEADLINE


def test_permutation_column_is_the_mean_in_the_nulls_standard_deviations():
    res = study(8)
    day = res.day_tests.set_index("day")
    # recomputed by hand: the cross-sectional mean of each firm-event's residuals on every
    # estimation day is the calendar-time null of the day-0 AAR
    resid = res.model_fit.resid[res.keep]
    null = np.nanmean(resid, axis=0)
    null = null[np.isfinite(null)]
    z = (day.at[0, "aar"] - null.mean()) / null.std(ddof=1)
    assert day.at[0, "permutation"] == pytest.approx(z, rel=1e-12)
    # it is not the AAR (a fraction) any more: a z-like number beside the other z's
    assert day.at[0, "permutation"] != pytest.approx(day.at[0, "aar"])


def test_no_statistic_from_no_data():
    ar = np.full((3, 2), np.nan)
    ar[:, 0] = [0.01, -0.02, 0.005]
    sd = np.full((3, 2), 0.02)
    est = np.random.default_rng(1).normal(0, 0.02, (3, 100))
    options = inference.TestOptions(True, 0)
    out = inference.battery(ar, sd, np.full(3, 0.02), np.full(3, 98.0), est, options=options)
    assert out["n"][1] == 0
    for key in ("patell_z", "patell_z_p", "bmp_t", "crude_dependence", "sign_z", "aar"):
        assert np.isnan(out[key][1]), key  # was z = 0, p = 1 for the Patell z
        assert np.isfinite(out[key][0]), key


def test_a_benchmark_that_ends_before_the_window_is_named():
    returns, bench, events = market_model_panel(n_secs=4, n_days=320, seed=3)
    bench.iloc[279:] = np.nan  # ends the day before day 0 (session 280)
    s = EventStudy(returns, events, bench, window=(0, 1), estimation=(-200, -11), bootstrap=0)
    with pytest.raises(DataError, match=r"benchmark M has no return on 2023-01-30\.\.2023-01-31"):
        s.fit()


def test_one_minimum_observation_rule():
    # half the estimation window, and never fewer than the parameters plus three
    assert min_usable_days((-250, -11), 2) == 120
    assert min_usable_days((-10, -2), 2, min_obs=1) == 5
    with pytest.raises(WindowError, match="fewer than the 500 usable days"):
        min_usable_days((-250, -11), 2, min_obs=500)


def test_regress_refuses_a_series_run_would_drop():
    from research.analyses.regression import event_regression

    returns, bench, events = market_model_panel(n_secs=1, n_days=320, seed=5)
    y = returns.iloc[:, 0].copy()
    y.iloc[100:260] = np.nan  # 36 usable days of the 240 in (-250, -11): run drops it
    day0 = {"e": events["day0"].iat[0]}
    with pytest.raises(WindowError, match="fewer than the 120 required"):
        event_regression(y, bench, day0, (-1, 1), (-250, -11))
    with pytest.raises(WindowError, match="No firm-event can be estimated"):
        EventStudy(y.to_frame(), events.iloc[:1], bench, estimation=(-250, -11)).fit()


def test_frames_on_another_session_grid_are_refused():
    returns, bench, events = market_model_panel(n_secs=3, n_days=320, seed=2)
    shifted = bench.iloc[1:]
    with pytest.raises(DataError, match="another session grid"):
        EventStudy(returns, events, shifted)
    exclude = pd.DataFrame(False, index=returns.index[:-1], columns=returns.columns)
    with pytest.raises(DataError, match="another session grid"):
        EventStudy(returns, events, bench, exclude=exclude)


def test_the_caar_interval_inverts_the_statistic_it_names(market_store):
    """The interval excludes zero exactly when the test it names rejects at 5%: on every
    real cohort and window of the case study (it disagreed with the reported
    kolari_pynnonen_t in one of 32 once, having no statistic of its own in the table)."""
    from research.analyses.analysis import run_study

    res = run_study(
        events=("blinken-arrives", "lpr-cut", "pboc-mlf-cut"),
        groups=("property",),
        benchmarks=("^HSI",),
        window=(-3, 3),
    )
    w = res.window_tests
    named = w[w["ci_method"] == "kp_cross_sectional_t"]
    assert len(named) >= 30
    excludes_zero = (named["caar_ci_low"] > 0) | (named["caar_ci_high"] < 0)
    rejects = named["kp_cross_sectional_t_p"] < 0.05
    assert (excludes_zero == rejects).all()


def test_a_market_contradicting_the_ticker_is_refused():
    from research.data.prices import parse_price_text
    from research.errors import OptionError

    text = "Date,Close\n2023-06-16,10\n2023-06-19,11\n"
    with pytest.raises(OptionError, match="contradicts the universe file, which puts 0016.HK"):
        parse_price_text(text, "0016.HK", market="NYSE")
    with pytest.raises(OptionError, match=r"contradicts its suffix \.L"):
        parse_price_text(text, "VOD.L", market="HKEX")
    # what agrees is recorded, with where it came from
    assert parse_price_text(text, "0016.HK", market="HKEX").market == "HKEX"
    assert parse_price_text(text, "VOD.L").market_source == "its suffix .L"


def test_a_benchmark_named_as_a_security_is_left_out_aloud(cli, market_store):
    """`--tickers ^HSI,...` with ^HSI the benchmark: it is not studied against itself, and
    the output says so (it read '2 firm-events, 0 dropped' and nothing else)."""
    result = cli("run", "--event", "lpr-cut", "--tickers", "^HSI,0016.HK,0012.HK")
    assert result.code == 0, result.err
    assert "2 firm-events" in result.out
    assert "^HSI left out of the securities: a benchmark is not also studied" in result.out
