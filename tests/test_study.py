"""The study on the real market snapshot, and its input checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from research.analyses.analysis import run_study
from research.data.universe import group_tickers, load_universe
from research.errors import EventError, EventStudyError, ModelError, OptionError, WindowError
from research.estimation import engine, models, overlap
from research.estimation.study import EventStudy

from .synthetic import market_model_panel


def test_universe_covers_the_snapshot_with_groups(market_dir):
    uni = load_universe()
    assert sorted(uni.index) == sorted(p.stem for p in market_dir.glob("*.csv"))
    assert set(uni["group"]) == {
        "index",
        "benchmark",
        "hk-developer",
        "mainland-developer",
        "reit",
        "property-services",
    }
    assert "2007.HK" in group_tickers("mainland-developer")
    assert "0016.HK" in group_tickers("hk-developer")


@pytest.fixture(scope="module")
def lpr_mainland(market_store_path):
    import os

    os.environ["EVENTSTUDY_DATA_DIR"] = str(market_store_path)
    try:
        return run_study(events=("lpr-cut",), groups=("mainland-developer",), benchmarks=("^HSI",))
    finally:
        del os.environ["EVENTSTUDY_DATA_DIR"]


def test_lpr_cut_on_mainland_developers_has_every_stock(lpr_mainland):
    res = lpr_mainland
    group = set(group_tickers("mainland-developer"))
    est = res.estimation
    assert set(est["security"]) == group
    # 1918.HK (Sunac) was suspended 2022-04-01..2023-04-12: too few estimation days, dropped
    assert list(res.dropped["security"]) == ["1918.HK"]
    assert "usable estimation days" in res.dropped["reason"].iat[0]
    assert set(res.abnormal["security"]) == group - {"1918.HK"}
    assert res.alignment["session"].iat[0] == pd.Timestamp("2023-06-20")
    day0 = res.day_tests.set_index("day").loc[0]
    assert day0["date"] == pd.Timestamp("2023-06-20") and day0["n"] == 16


def test_real_market_model_equals_statsmodels_for_one_stock(lpr_mainland, market_store):
    """0688.HK on ^HSI, estimation days -250..-11 before 2023-06-20, simple returns."""
    closes = market_store.closes(["0688.HK", "^HSI"]).dropna()
    rets = closes.pct_change().dropna()
    pos0 = rets.index.get_loc(pd.Timestamp("2023-06-20"))
    window = rets.iloc[pos0 - 250 : pos0 - 10]
    ref = sm.OLS(window["0688.HK"], sm.add_constant(window["^HSI"])).fit()
    est = lpr_mainland.estimation.set_index("security").loc["0688.HK"]
    assert est["n_obs"] == 240
    assert est["alpha"] == pytest.approx(ref.params["const"], abs=1e-10)
    assert est["beta"] == pytest.approx(ref.params["^HSI"], abs=1e-10)
    assert est["sigma"] == pytest.approx(np.sqrt(ref.scale), abs=1e-10)
    ar0 = (
        rets["0688.HK"].iat[pos0]
        - ref.params["const"]
        - ref.params["^HSI"] * rets["^HSI"].iat[pos0]
    )
    ab = lpr_mainland.abnormal
    got = ab[(ab["security"] == "0688.HK") & (ab["day"] == 0)]["ar"].iat[0]
    assert got == pytest.approx(ar0, abs=1e-12)


def test_suspension_is_reported_and_excluded(lpr_mainland):
    q = lpr_mainland.quality
    sunac = q[(q["ticker"] == "1918.HK") & (q["kind"] == "suspension")].iloc[0]
    assert sunac["start"] == pd.Timestamp("2022-04-01") and sunac["end"] == pd.Timestamp(
        "2023-04-12"
    )
    logan = lpr_mainland.estimation.set_index("security").loc["3380.HK"]
    assert logan["n_obs"] < 200  # zero-volume flat stretch of 2022 excluded


def test_json_has_the_vocabulary(lpr_mainland):
    import json

    doc = json.loads(lpr_mainland.to_json())
    day = doc["days"][0]
    for key in (
        "aar",
        "caar",
        "n",
        "cross_sectional_t",
        "cross_sectional_t_p",
        "patell_z",
        "bmp_t",
        "kolari_pynnonen_t",
        "corrado_rank_z",
        "sign_z",
        "generalized_sign_z",
        "wilcoxon",
        "crude_dependence",
    ):
        assert key in day
    win = doc["windows"][0]
    assert {"caar", "bhar", "caar_ci_low", "caar_ci_high", "patell_z_p"} <= set(win)
    assert {"n_obs", "alpha", "beta", "sigma"} <= set(doc["estimation"][0])
    assert doc["alignment"][0]["session"] == "2023-06-20"
    assert {"t_single", "t_single_p", "ar", "car"} <= set(doc["securities"][0])


def test_to_frame_holds_security_rows_and_pooled_rows(lpr_mainland):
    frame = lpr_mainland.to_frame()
    pooled = frame[frame["security"] == "*"]
    assert len(pooled) == 3 and len(frame) == 16 * 3 + 3
    assert np.allclose(pooled["aar"], frame[frame["security"] != "*"].groupby("day")["ar"].mean())
    text = lpr_mainland.summary()
    assert "lpr-cut" in text and "1918.HK" in text and "kp_cross_sectional_t" in text


def test_log_returns_and_dates_as_windows(market_store):
    res = run_study(
        events=("lpr-cut",),
        tickers=("0016.HK",),
        benchmarks=("^HSI",),
        returns="log",
        window=("2023-06-19", "2023-06-21"),
        estimation=("2022-06-01", "2023-05-31"),
    )
    assert res.settings.window == (-1, 1)
    assert res.settings.return_kind == "log"
    closes = market_store.closes(["0016.HK"])["0016.HK"]
    r0 = np.log(closes[pd.Timestamp("2023-06-20")] / closes[pd.Timestamp("2023-06-19")])
    assert res.abnormal.set_index("day").at[0, "ret"] == pytest.approx(r0, abs=1e-12)


def test_multi_index_with_the_previous_new_york_session(market_store):
    res = run_study(
        events=("lpr-cut",),
        groups=("hk-developer",),
        benchmarks=("^HSI", "^GSPC"),
        model="multi-index",
    )
    assert {"beta", "beta_2"} <= set(res.estimation.columns)
    assert res.keep.sum() == 14
    # every alignment is shown: the S&P 500 enters as the previous New York session
    assert "previous NYSE session" in res.benchmark_alignment["^GSPC"]
    assert "previous NYSE session" in res.summary()
    assert "^GSPC" in res.to_dict()["benchmark_alignment"]


# -- input checks on synthetic data -------------------------------------------------------
@pytest.fixture
def small():
    return market_model_panel(n_secs=3, n_days=150, event_day=140)


@pytest.mark.parametrize(
    ("kwargs", "error", "fragment"),
    [
        ({"window": (2, -2)}, WindowError, "ends before it starts"),
        ({"estimation": (-20, 0)}, WindowError, "overlaps the event window"),
        ({"car_windows": [(-5, 0)]}, WindowError, "outside the event window"),
        ({"window": (0, 20)}, EventError, "runs past the data"),
        ({"min_obs": 500}, WindowError, "fewer than the 500 usable days"),
        ({"estimation": (-40_000, -11)}, WindowError, "longer than 32,767 days"),
        ({"model": "capm"}, Exception, "Unknown model"),
    ],
)
def test_bad_windows_are_refused(small, kwargs, error, fragment):
    returns, bench, events = small
    with pytest.raises(error, match=fragment):
        EventStudy(returns, events, bench, **kwargs).fit()


def test_errors_say_what_kind_of_problem(small):
    """A missing benchmark is a model problem, not a window one; an unknown option value is
    the package's error and also the ValueError Python code expects."""
    returns, bench, events = small
    with pytest.raises(ModelError, match="needs 1 benchmark") as caught:
        EventStudy(returns, events, bench.iloc[:, :0], model="market")
    assert not isinstance(caught.value, WindowError)
    for kwargs in ({"other_events": "drop"},):
        with pytest.raises(OptionError, match="'mask' or 'keep'") as caught:
            EventStudy(returns, events, bench, **kwargs)
        assert isinstance(caught.value, ValueError)
        assert isinstance(caught.value, EventStudyError)
    res = EventStudy(returns, events, bench).fit()
    with pytest.raises(OptionError, match="'day' or 'window'"):
        res.to_frame("weekly")


def test_short_estimation_says_how_many_days(small):
    returns, bench, events = small
    returns.iloc[:120, 0] = np.nan
    res = EventStudy(returns, events, bench, estimation=(-100, -11), min_obs=60).fit()
    assert "10 usable estimation days, fewer than the 60 required" in res.dropped["reason"].iat[0]


def test_day0_that_is_not_a_session(small):
    returns, bench, events = small
    saturday = next(d for d in pd.date_range(returns.index[10], periods=7) if d.weekday() == 5)
    for day0, fragment in (
        (pd.Timestamp("2030-01-01"), "is after the last return"),
        (pd.Timestamp("1990-01-01"), "is before the first return"),
        (saturday, "is not a session"),
    ):
        with pytest.raises(EventError, match=fragment):
            EventStudy(returns, events.assign(day0=day0), bench)


def test_time_zone_mismatch_is_named_not_reported_as_a_missing_session(small):
    returns, bench, events = small
    aware = returns.tz_localize("Asia/Hong_Kong")
    with pytest.raises(EventError, match="time zone"):
        EventStudy(aware, events, bench.tz_localize("Asia/Hong_Kong"))


def test_prices_passed_as_returns_give_a_warning(small):
    returns, bench, events = small
    prices = 50 * (1 + returns.fillna(0)).cumprod()
    with pytest.warns(UserWarning, match="look like price levels"):
        EventStudy(prices, events, bench)


def test_overlapping_events_are_reported_and_masked(small):
    returns, bench, events = small
    two = pd.concat(
        [events.assign(event="A"), events.assign(event="B", day0=returns.index[100])],
        ignore_index=True,
    )
    masked = EventStudy(returns, two, bench, estimation=(-60, -11)).fit()
    kept = EventStudy(returns, two, bench, estimation=(-60, -11), other_events="keep").fit()
    assert "other event window inside the estimation window" in set(masked.overlaps["kind"])
    n_mask = masked.estimation.set_index(["event", "security"])["n_obs"]
    n_keep = kept.estimation.set_index(["event", "security"])["n_obs"]
    assert (n_keep.loc["A"] - n_mask.loc["A"] == 3).all()  # B's 3-day window kept out of A's


def test_vectorised_overlap_mask_equals_a_brute_force_loop():
    returns, bench, _ = market_model_panel(n_secs=4, n_days=400)
    rng = np.random.default_rng(11)
    rows = [
        (f"e{i}", f"S{rng.integers(0, 4):02d}", returns.index[rng.integers(130, 395)])
        for i in range(60)
    ]
    events = pd.DataFrame(rows, columns=["event", "security", "day0"])
    study = EventStudy(returns, events, bench, window=(-2, 3), estimation=(-120, -11))
    pos0 = returns.index.get_indexer(study.events["day0"])
    cols = returns.columns.get_indexer(study.events["security"])
    rel = np.arange(-120, 4)
    pos = pos0[:, None] + rel[None, :]
    fast = overlap.other_event_days(study.inputs, pos.shape[0], pos.shape[1], pos0, cols)
    slow = np.zeros_like(fast)
    for a in range(len(pos0)):
        for b in range(len(pos0)):
            if a != b and cols[a] == cols[b]:
                slow[a] |= (pos[a] >= pos0[b] - 2) & (pos[a] <= pos0[b] + 3)
    np.testing.assert_array_equal(fast, slow)
    table = overlap.overlaps(study.inputs, study.events, pos0, cols)
    n_both = sum(
        1
        for a in range(60)
        for b in range(a + 1, 60)
        if cols[a] == cols[b] and abs(pos0[b] - pos0[a]) <= 5
    )
    assert (table["kind"] == "event windows overlap").sum() == n_both


def test_caar_band_is_the_dependence_adjusted_interval(small):
    """The band of a cohort sharing one date: the cross-sectional interval widened by
    sqrt((1 + (N-1) r)/(1 - r)), r the mean pairwise residual correlation (Kolari &
    Pynnönen 2010; docs/methodology.md), recomputed here with scipy and np.corrcoef."""
    from scipy import stats as st

    from research.output.plotting import caar_paths

    returns, bench, events = small
    res = EventStudy(returns, events, bench, window=(-2, 2), estimation=(-100, -11)).fit()
    (path,) = caar_paths(res)
    car = np.cumsum(res.ar, axis=1)[:, -1]
    resid = res.resid
    n = len(car)
    r = np.mean([np.corrcoef(resid[a], resid[b])[0, 1] for a in range(n) for b in range(a)])
    half = st.t.ppf(0.975, n - 1) * car.std(ddof=1) / np.sqrt(n)
    half *= np.sqrt((1 + (n - 1) * r) / (1 - r))
    assert path["caar"][-1] == pytest.approx(car.mean(), abs=1e-15)
    assert path["high"][-1] - path["caar"][-1] == pytest.approx(half, rel=1e-12)
    w = res.window_tests.set_index("window").loc["(-2,2)"]
    assert w["caar_ci_high"] - w["caar"] == pytest.approx(half, rel=1e-12)
    assert w["ci_method"] == "kp_cross_sectional_t"
    fig = res.plot()
    ax = fig.axes[0]
    assert ax.get_ylabel() == "CAAR (%)" and len(ax.lines) >= 1
    assert np.allclose(ax.lines[0].get_ydata(), 100 * path["caar"])


def test_chunked_fit_equals_one_chunk(small):
    returns, bench, events = market_model_panel(n_secs=9, n_days=300, event_day=280)
    study = EventStudy(returns, events, bench, window=(-3, 3), estimation=(-200, -11), bootstrap=0)
    one = study.fit(chunk_cells=10**9)
    many = study.fit(chunk_cells=500)  # two rows per chunk
    np.testing.assert_array_equal(one.ar, many.ar)
    np.testing.assert_array_equal(one.resid, many.resid)
    pd.testing.assert_frame_equal(one.day_tests, many.day_tests)
    pd.testing.assert_frame_equal(one.window_tests, many.window_tests)


def test_summary_warns_about_clustered_event_dates(lpr_mainland):
    text = lpr_mainland.summary()
    assert "clustered dates" in text and "kp_cross_sectional_t" in text
    # the tests that assume independence are marked with the size they showed
    assert "bmp_t: assumes independent firm-events" in lpr_mainland.summary(("bmp_t",))
    # firm-events on different dates (the peer's three events) get no such warning
    import json

    from .conftest import RESULTS
    from .synthetic import peer_golden_study

    returns, bench, events = peer_golden_study(
        json.loads((RESULTS / "peer_golden_multi_event.json").read_text())
    )
    res = EventStudy(returns, events, bench, window=(0, 2), estimation=(-8, -1), min_obs=8).fit()
    assert "clustered dates" not in res.summary()


@pytest.mark.parametrize("missing", [0.0, 0.05])
def test_closed_form_path_equals_the_dense_path(missing):
    """A one-benchmark multi-index model is the market model, but always takes the dense
    path; the market model takes the closed-form path. Every output must agree."""
    returns, bench, events = market_model_panel(
        n_secs=8, n_days=320, event_day=290, missing=missing
    )
    exclude = pd.DataFrame(False, index=returns.index, columns=returns.columns)
    exclude.iloc[100:110, 2] = True  # stale days excluded from estimation
    kw = {"window": (-2, 3), "estimation": (-250, -11), "exclude": exclude, "bootstrap": 0}
    fast = EventStudy(returns, events, bench, model="market", **kw).fit()
    dense = EventStudy(returns, events, bench, model="multi-index", **kw).fit()
    cols = fast.positions[1]
    assert engine.takes_closed_form(fast.study.inputs, cols) and not engine.takes_closed_form(
        dense.study.inputs, cols
    )
    np.testing.assert_allclose(fast.model_fit.coef, dense.model_fit.coef, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(fast.model_fit.xtx_inv, dense.model_fit.xtx_inv, rtol=1e-9)
    np.testing.assert_array_equal(fast.model_fit.n_obs, dense.model_fit.n_obs)
    np.testing.assert_allclose(fast.model_fit.sigma, dense.model_fit.sigma, rtol=1e-10)
    np.testing.assert_allclose(fast.model_fit.r2, dense.model_fit.r2, rtol=1e-9)
    np.testing.assert_allclose(fast.resid, dense.resid, atol=1e-14)
    np.testing.assert_allclose(fast.ar, dense.ar, atol=1e-14)
    np.testing.assert_allclose(fast.sd, dense.sd, rtol=1e-10)
    cols = [c for c in fast.day_tests.columns if c not in ("event", "group", "date")]
    np.testing.assert_allclose(
        fast.day_tests[cols].to_numpy(float),
        dense.day_tests[cols].to_numpy(float),
        rtol=1e-8,
        atol=1e-12,
    )
    const_fast = EventStudy(returns, events, None, model="constant-mean", **kw).fit()
    assert engine.takes_closed_form(const_fast.study.inputs, const_fast.positions[1])
    for i in range(3):
        y = returns.iloc[290 - 250 : 290 - 10, i]
        y = y[~exclude.iloc[290 - 250 : 290 - 10, i] & y.notna()]
        assert const_fast.model_fit.coef[i, 0] == pytest.approx(y.mean(), rel=1e-12)
        assert const_fast.model_fit.sigma[i] == pytest.approx(y.std(ddof=1), rel=1e-10)


def test_summary_is_an_object_with_every_format(small):
    """Issue 14, item 1: summary() returns a Summary that prints as the text tables and has
    as_text, as_html, as_latex, as_csv and _repr_html_; tests="all" and a list work."""
    import io

    from research.output.report import Summary

    returns, bench, events = small
    res = EventStudy(returns, events, bench, window=(-2, 2), bootstrap=0).fit()
    s = res.summary()
    assert isinstance(s, Summary) and str(s) == s.as_text() and "AAR/CAAR" in s
    # every table, and the settings and the notes beside them
    html = s.as_html()
    assert html == s._repr_html_() and html.count("<table>") == len(s.tables)
    assert "Notes" in html and s.head in html and ".es-summary" in html  # scoped style
    assert s.as_latex().count(r"\begin{tabular}") == len(s.tables)
    assert r"\textit{Notes:}" in s.as_latex() and "AAR/CAAR" in s.as_markdown()
    first = s.as_csv().split("# ")[1]
    title, body = first.split("\n", 1)
    assert title == "Study" and pd.read_csv(io.StringIO(body)).shape[0] == 1
    everything = res.summary(tests="all").as_text(width=400)
    assert "Wilcoxon = wilcoxon" in everything and "GRANK t = grank_t" in everything
    assert "the other tests" in everything
    some = res.summary(tests=["bmp_t", "permutation"]).as_text(width=400)
    assert "BMP t = bmp_t" in some and "Wilcoxon" not in some
    with pytest.raises(EventStudyError, match="Unknown test 'nope'"):
        res.summary(tests=["nope"])


def test_results_repr_is_one_screen(small):
    returns, bench, events = small
    res = EventStudy(returns, events, bench, window=(-2, 2), bootstrap=0).fit()
    text = repr(res)
    assert len(text) < 400 and text.startswith("<EventStudyResults: market model")
    assert "headline:" in text and "firm-events" in text
    assert res._repr_html_().startswith('<pre style="white-space:pre-wrap">&lt;EventStudyResults')


def test_params_bse_tvalues_equal_statsmodels_and_windows_have_integer_bounds(small):
    """Issue 14, item 3: statsmodels' names per firm-event, checked against statsmodels'
    OLS on one firm-event's estimation window (1e-10)."""
    import statsmodels.api as sm

    returns, bench, events = small
    res = EventStudy(returns, events, bench, window=(-2, 2), estimation=(-100, -11)).fit()
    sec = events["security"].iat[0]
    pos = returns.index.get_loc(events["day0"].iat[0])
    span = slice(pos - 100, pos - 10)
    y, x = returns[sec].iloc[span], sm.add_constant(bench.iloc[span, 0])
    ols = sm.OLS(y, x, missing="drop").fit()
    key = (events["event"].iat[0] if "event" in events else res.events["event"].iat[0], sec)
    np.testing.assert_allclose(res.params.loc[key].to_numpy(), ols.params.to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(res.bse.loc[key].to_numpy(), ols.bse.to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(res.tvalues.loc[key].to_numpy(), ols.tvalues.to_numpy(), rtol=1e-10)
    w = res.window_tests
    assert w["start"].dtype.kind == "i" and w["end"].dtype.kind == "i"
    assert (w["window"] == "(" + w["start"].astype(str) + "," + w["end"].astype(str) + ")").all()


def test_quality_dates_are_datetimes(market_store):
    from research.analyses.analysis import run_study

    q = run_study(events="lpr-cut", groups="mainland-developer").quality
    assert pd.api.types.is_datetime64_any_dtype(q["start"]) and q["days"].dtype.kind == "i"


def test_reading_results_never_re_estimates(small, monkeypatch):
    """Residuals, the model fit, Corrado's U over every day and the tables come from what
    the fit stored (issue 14: `res.fit` used to re-run the estimation); the residuals equal
    statsmodels' OLS residuals on each estimation window."""
    import statsmodels.api as sm

    returns, bench, events = small
    res = EventStudy(returns, events, bench, window=(-2, 2), estimation=(-100, -11)).fit()

    def refuse(*args, **kwargs):
        raise AssertionError("re-estimated")

    monkeypatch.setattr(engine, "estimate", refuse)
    monkeypatch.setattr(models, "fast_fit", refuse)
    res.day_tests, res.window_tests, res.u_all  # noqa: B018
    assert res.model_fit.resid is res.resid
    # returns and normal returns on the event days are recomputed, to the same values
    np.testing.assert_array_equal(res.ar[res.keep], (res.r - res.normal)[res.keep])
    pos0, cols = res.positions
    np.testing.assert_array_equal(
        res.r, returns.to_numpy()[pos0[:, None] + res.days[None, :], cols[:, None]]
    )
    pos0, cols = res.positions
    for i in range(len(pos0)):
        y = returns.iloc[pos0[i] - 100 : pos0[i] - 10, cols[i]].to_numpy()
        x = sm.add_constant(bench.iloc[pos0[i] - 100 : pos0[i] - 10, 0].to_numpy())
        ok = np.isfinite(y) & np.isfinite(x).all(axis=1)
        want = sm.OLS(y[ok], x[ok]).fit().resid
        np.testing.assert_allclose(res.resid[i][ok], want, rtol=0, atol=1e-15)
        assert np.isnan(res.resid[i][~ok]).all()
