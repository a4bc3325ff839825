"""The study's pooled tests (research.stats.pooling, every cohort at once) against the readable
one-cohort reference, research.stats.inference.battery, computed cohort by cohort from the
residuals and ranks of a second estimation pass.

Reference: inference.battery, itself checked long-hand and against the peer's published
values in test_inference.py.  Tolerance: both sides compute the same formulas on the same
numbers in a different summation order, so they agree to rounding (1e-9 relative on
statistics whose inputs are ~1e-2; p-values to 1e-12 absolute).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from research.estimation.study import EventStudy
from research.stats import inference, ranks
from research.stats.pooling import signed_rank_null
from research.stats.ranks import average_ranks
from tests.synthetic import market_model_panel


def reference_battery(res, rows: np.ndarray, level: str) -> dict[str, np.ndarray]:
    """inference.battery for one cohort, from the full residuals and ranks."""
    f = res.model_fit
    s = res.settings
    common = {
        "sigma": f.sigma[rows],
        "df": f.df[rows].astype(float),
        "est": f.resid[rows],
        "options": inference.TestOptions(s.bmp_prediction_error, s.rank_ddof),
        "u_all": res.u_all[rows],
    }
    common["window_days"] = res.window_days(level)[rows]
    if level == "day":
        return inference.battery(res.ar[rows], res.sd[rows], u_event=res.u_evt[rows], **common)
    c = res.cars
    return inference.battery(
        c["car"][rows], c["sd"][rows], u_event=c["u"][rows], length=c["length"][0], **common
    )


def many_cohort_study(seed: int, **kw):
    """Cohorts of 1 to 60 firm-events on several dates and groups, with missing returns,
    ties and dropped firm-events."""
    rng = np.random.default_rng(seed)
    returns, bench, _ = market_model_panel(n_secs=70, n_days=700, seed=seed, missing=0.02)
    returns.iloc[:, 5] = returns.iloc[:, 5].round(3)  # a coarse price grid: ties in ranks
    returns.iloc[:600, 6] = np.nan  # too short: dropped
    rows = []
    for e, size in enumerate([1, 2, 7, 14, 30, 51, 60]):
        day0 = returns.index[300 + 40 * e]
        secs = rng.choice(returns.columns, size=size, replace=False)
        if e == 3:
            secs = np.append(secs[:-1], "S06") if "S06" not in secs else secs
        groups = rng.choice(["a", "b"], size=size) if e >= 2 else ["a"] * size
        rows += [
            {"security": s, "day0": day0, "event": f"E{e}", "group": g}
            for s, g in zip(secs, groups, strict=True)
        ]
    events = pd.DataFrame(rows)
    study = EventStudy(
        returns, events, bench, window=(-5, 5), estimation=(-150, -11), bootstrap=0, **kw
    )
    return study


@pytest.mark.parametrize(
    "seed, kw",
    [
        (1, {}),
        (2, {"other_events": "keep", "rank_ddof": 1}),
        (3, {"bmp_prediction_error": False, "model": "constant-mean"}),
        (4, {"model": "multi-index"}),
    ],
)
def test_pooled_tests_equal_the_one_cohort_battery(seed, kw):
    res = many_cohort_study(seed, **kw).fit(chunk_cells=3000)  # cells split across chunks
    assert not res.keep.all()  # a dropped firm-event is left out of its cohort
    cohorts = res.cohorts()
    assert any(g == "all" for _, g, _ in cohorts) and any(len(r) == 1 for *_, r in cohorts)
    for level, frame, n_cols in (
        ("day", res.day_tests, len(res.days)),
        ("window", res.window_tests, len(res.settings.car_windows)),
    ):
        assert len(frame) == n_cols * len(cohorts)
        for k, (event, group, rows) in enumerate(cohorts):
            got = frame.iloc[k * n_cols : (k + 1) * n_cols]
            assert (got["event"] == event).all() and (got["group"] == group).all()
            ref = reference_battery(res, rows, level)
            for key, want in ref.items():
                name = "caar" if (key == "aar" and level == "window") else key
                have = got[name].to_numpy(float)
                tol = {"atol": 1e-12} if key.endswith("_p") else {"rtol": 1e-9, "atol": 1e-13}
                np.testing.assert_allclose(have, want, err_msg=f"{event}/{group} {name}", **tol)


def test_skipping_pooled_sums_gives_the_same_tests():
    study = many_cohort_study(5)
    lean = study.fit(pooled=False)
    full = study.fit()
    pd.testing.assert_frame_equal(lean.day_tests, full.day_tests, rtol=1e-12)
    pd.testing.assert_frame_equal(lean.window_tests, full.window_tests, rtol=1e-12)
    resid_first = study.fit(pooled=False)
    resid_first.resid  # noqa: B018  (residuals first: from the coefficients, no sums)
    pd.testing.assert_frame_equal(resid_first.day_tests, full.day_tests, rtol=1e-12)


def test_exact_signed_rank_null_equals_scipy():
    """The null table of W+ gives scipy's exact p-values (no ties, no zeros, n <= 50)."""
    pmf = signed_rank_null()
    assert np.allclose(pmf.sum(axis=1), 1.0, rtol=0, atol=1e-14)
    rng = np.random.default_rng(0)
    cdf = np.cumsum(pmf, axis=1)
    sf = np.cumsum(pmf[:, ::-1], axis=1)[:, ::-1]
    for n in (1, 2, 5, 13, 14, 30, 50):
        for _ in range(5):
            x = rng.normal(0.2, 1, n)
            w = float(ranks.average_ranks(np.abs(x)[None, :])[0][x > 0].sum())
            p = min(1.0, 2 * min(sf[n, int(w)], cdf[n, int(w)]))
            assert p == pytest.approx(stats.wilcoxon(x).pvalue, abs=1e-12)


def test_segmented_wilcoxon_equals_the_one_cohort_version():
    """Every branch: exact (n <= 50, no ties), scipy's own (n <= 50 with ties or zeros),
    normal approximation (n > 50, with and without ties), empty columns."""
    from research.stats.pooling import _wilcoxon

    rng = np.random.default_rng(3)
    sizes = np.array([1, 3, 9, 14, 40, 50, 51, 64, 130])
    x = np.round(rng.normal(0.1, 1, (sizes.sum(), 4)), 1)  # ties and zeros
    x[:, 0] = rng.normal(0.1, 1, sizes.sum())  # no ties
    x[rng.random(x.shape) < 0.05] = np.nan
    x[:3, 3] = np.nan  # a segment with nothing in one column
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    stat, p = _wilcoxon(x, starts, sizes, signed_rank_null())
    for s, (a, n) in enumerate(zip(starts, sizes, strict=True)):
        want_w, want_p = inference.wilcoxon_signed_rank(x[a : a + n])
        np.testing.assert_allclose(stat[s], want_w, rtol=1e-12)
        np.testing.assert_allclose(p[s], want_p, rtol=1e-10, atol=1e-14)


def test_segmented_generalized_ranks_equal_the_one_cohort_version_with_ties():
    """Every branch of dependent.grank: residuals tied with each other and with the event
    observation, missing days, a firm-event without the observation, several segments;
    against inference.grank cohort by cohort (same formulas, 1e-12)."""
    from research.stats.dependent import grank
    from research.stats.numerics import segment_sum

    rng = np.random.default_rng(11)
    sizes = np.array([2, 5, 9, 30])
    k, t = sizes.sum(), 60
    scar = rng.normal(size=(k, 3))
    scar[4, 1] = np.nan  # no observation in one column
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    # standardized observations of each segment, so residuals can equal them exactly
    g = np.empty_like(scar)
    for a, n in zip(starts, sizes, strict=True):
        g[a : a + n] = scar[a : a + n] / np.nanstd(scar[a : a + n], axis=0, ddof=1)
    sar = np.round(rng.normal(size=(k, t)), 1)  # ties among residuals
    sar[:, 0] = g[:, 0]  # a residual equal to the observation of column 0
    sar[np.arange(k) % 4 == 1, :7] = np.nan  # incomplete rows
    ranks_, ordered = average_ranks(sar, return_sorted=True)
    rank2 = np.where(np.isfinite(ranks_), 2 * ranks_, 0).astype(np.uint16)
    w = 1 / (np.isfinite(sar).sum(axis=1) + 2.0)
    grank_a = segment_sum(np.where(np.isfinite(sar), ranks_, 0.0) * w[:, None], starts)
    n_present = segment_sum(np.isfinite(sar).astype(float), starts)
    # blocks of every size: all at once; 7 rows (small segments grouped, large ones split
    # into blocks whose sums add up); one row
    for block_cells in (1 << 22, 7 * 3 * t, 3 * t):
        got = grank(
            ordered, rank2, scar, starts, sizes, grank_a, n_present, block_cells=block_cells
        )
        for s, (a, n) in enumerate(zip(starts, sizes, strict=True)):
            want = inference.grank(sar[a : a + n], scar[a : a + n])
            for key, val in want.items():
                np.testing.assert_allclose(
                    got[key][s], val, rtol=1e-12, atol=1e-14, err_msg=f"{key} {block_cells}"
                )


def test_standardized_sums_equal_standardizing_each_row():
    """The per-cell sums of standardized rows (the Kolari-Pynnönen pairs) equal the rows
    standardized one by one (ddof 1) and summed, with few and with many cells, rows left
    out (holding NaN) and a constant row."""
    from research.estimation.cohorts import _standardized_sums

    rng = np.random.default_rng(5)
    values = rng.normal(0.001, 0.02, (200, 30))
    values[3] = 0.01  # no variation: counts zero
    rows = np.ones(200, dtype=bool)
    rows[7] = False
    values[7, :4] = np.nan
    for starts in (np.array([0, 50, 120]), np.arange(0, 200, 4)):  # 3 cells; 50 cells
        got = _standardized_sums(values, rows, starts)
        dev = values - values.mean(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            z = dev / values.std(axis=1, ddof=1, keepdims=True)
        z = np.where(rows[:, None] & np.isfinite(z), z, 0.0)
        want = np.add.reduceat(z, starts, axis=0)
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_cross_sectional_moments_with_few_and_many_segments():
    """Mean, s.d. (ddof 1), t and the sum of cubed deviations per segment and column, as
    numpy computes them segment by segment: few large segments (taken one by one) and
    many small ones (one vectorized pass)."""
    from research.stats.pooling import cross_sectional_moments

    rng = np.random.default_rng(8)
    for sizes in (np.array([400, 250, 350]), rng.integers(1, 6, 300)):
        values = rng.standard_t(4, (sizes.sum(), 3))
        values[rng.random(values.shape) < 0.1] = np.nan
        starts = np.r_[0, np.cumsum(sizes)[:-1]]
        n, mean, t, _, sd, cubes = cross_sectional_moments(values, starts, sizes, cubes=True)
        for s, (a, size) in enumerate(zip(starts, sizes, strict=True)):
            block = values[a : a + size]
            for j in range(3):
                x = block[np.isfinite(block[:, j]), j]
                assert n[s, j] == len(x)
                if len(x) == 0:
                    continue
                assert mean[s, j] == pytest.approx(x.mean(), rel=1e-12, abs=1e-15)
                assert cubes[s, j] == pytest.approx(
                    ((x - x.mean()) ** 3).sum(), rel=1e-9, abs=1e-12
                )
                if len(x) > 1:
                    assert sd[s, j] == pytest.approx(x.std(ddof=1), rel=1e-12)


def test_pooled_tests_do_not_depend_on_the_block_size(monkeypatch):
    """The battery runs block by block of whole cohorts: blocks of a few firm-events (a
    cohort larger than a block alone) give the tests of one block."""
    from research.estimation import results

    study = many_cohort_study(1)
    whole = study.fit()
    monkeypatch.setattr(results, "POOLED_BLOCK_ROWS", 8)
    blocked = study.fit()
    pd.testing.assert_frame_equal(blocked.day_tests, whole.day_tests, rtol=1e-13)
    pd.testing.assert_frame_equal(blocked.window_tests, whole.window_tests, rtol=1e-13)


@pytest.mark.parametrize("shape", [(7, 240), (600, 21), (3, 1 << 16)])
def test_byte_counts_equal_numpy_sums_of_booleans(shape):
    """The engine's counts of true flags (numerics.row_counts per row, and
    numerics.column_counts over the first axis, 255 rows of bytes at a time) equal numpy's
    sums; 600 rows cross the 255-row carry of the bytes.
    """
    from research.stats.numerics import column_counts, row_counts

    rng = np.random.default_rng(3)
    flags = rng.random(shape) < 0.9
    np.testing.assert_array_equal(row_counts(flags), flags.sum(axis=1))
    np.testing.assert_array_equal(row_counts(np.ones(shape, bool)), np.full(shape[0], shape[1]))
    np.testing.assert_array_equal(column_counts(flags), flags.sum(axis=0))
    np.testing.assert_array_equal(column_counts(np.ones(shape, bool)), np.full(shape[1], shape[0]))


@pytest.mark.parametrize("n_runs", [1, 3, 64, 65, 500])
@pytest.mark.parametrize("shape", [(1000,), (1000, 21)])
def test_segment_sums_equal_reduceat(n_runs, shape):
    """numerics.segment_sum sums a few long runs one by one and many short ones by
    np.add.reduceat; both equal reduceat up to the order of the additions (1e-12 of the
    sum of absolute values), and an empty run keeps reduceat's result exactly.
    """
    from research.stats.numerics import segment_sum

    rng = np.random.default_rng(n_runs)
    values = rng.normal(size=shape)
    starts = np.sort(rng.choice(np.arange(1, shape[0]), n_runs - 1, replace=False))
    starts = np.r_[0, starts]
    scale = np.add.reduceat(np.abs(values), starts, axis=0)
    got, want = segment_sum(values, starts), np.add.reduceat(values, starts, axis=0)
    assert np.all(np.abs(got - want) <= 1e-12 * scale)
    # small integers added in int64 are exact, past what their own type holds
    ranks = rng.integers(60_000, 65_535, size=shape).astype(np.uint16)
    np.testing.assert_array_equal(
        segment_sum(ranks, starts, dtype=np.int64),
        np.add.reduceat(ranks.astype(np.int64), starts, axis=0),
    )
    empty = np.r_[0, 400, 400, 700]  # the second run is empty
    np.testing.assert_array_equal(
        segment_sum(values, empty), np.add.reduceat(values, empty, axis=0)
    )
