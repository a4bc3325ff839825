"""Batched closed-form OLS against statsmodels, and the prediction-error variances long-hand."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from research.estimation import models

TOL = 1e-10  # statsmodels and the batched solver agree to rounding error


def panel(seed: int = 1, k: int = 7, t: int = 120, q: int = 2, shifts: tuple = (0,)):
    rng = np.random.default_rng(seed)
    bench = rng.normal(0, 0.01, size=(k, t, q, len(shifts)))
    y = 0.0005 + 1.1 * bench[:, :, 0, shifts.index(0)] + rng.normal(0, 0.02, size=(k, t))
    usable = rng.random((k, t)) > 0.1  # 10% of days missing or excluded
    y[~usable & (rng.random((k, t)) > 0.5)] = np.nan
    return y, bench, usable


@pytest.mark.parametrize(
    ("name", "q", "lags"),
    [("market", 1, 1), ("constant-mean", 1, 1), ("multi-index", 3, 1), ("dimson", 1, 2)],
)
def test_batched_ols_equals_statsmodels_row_by_row(name, q, lags):
    model = models.make_model(name, n_benchmarks=q, dimson_lags=lags)
    y, bench, usable = panel(q=q, shifts=model.shifts)
    x, offset = models.design(model, bench)
    fit = models.fit_ols(y, x, offset, usable)
    for i in range(y.shape[0]):
        keep = usable[i] & np.isfinite(y[i])
        ref = sm.OLS(y[i, keep] - offset[i, keep], x[i, keep]).fit()
        np.testing.assert_allclose(fit.coef[i], ref.params, rtol=0, atol=TOL)
        assert fit.sigma[i] == pytest.approx(np.sqrt(ref.scale), abs=TOL)
        assert fit.n_obs[i] == keep.sum() and fit.df[i] == ref.df_resid
        np.testing.assert_allclose(fit.xtx_inv[i] * ref.scale, ref.cov_params(), atol=TOL)
        np.testing.assert_allclose(fit.resid[i, keep], ref.resid, atol=TOL)
        if name != "constant-mean":
            assert fit.r2[i] == pytest.approx(ref.rsquared, abs=1e-9)


def test_market_adjusted_sigma_is_the_demeaned_sd_of_r_minus_rm():
    model = models.make_model("market-adjusted")
    y, bench, usable = panel()
    x, offset = models.design(model, bench)
    fit = models.fit_ols(y, x, offset, usable, demean=True)
    for i in range(y.shape[0]):
        keep = usable[i] & np.isfinite(y[i])
        ar = y[i, keep] - bench[i, keep, 0, 0]
        assert fit.sigma[i] == pytest.approx(np.std(ar, ddof=1), abs=TOL)
        assert fit.df[i] == keep.sum() - 1


def test_prediction_error_factors_match_the_covariance_matrix_long_hand():
    """Campbell, Lo & MacKinlay (1997) eq. 4.4.9: V = sigma^2 (I + X*(X'X)^-1 X*')."""
    model = models.make_model("market")
    y, bench, usable = panel(k=3, t=60)
    x, offset = models.design(model, bench)
    fit = models.fit_ols(y[:, :50], x[:, :50], offset[:, :50], usable[:, :50])
    x_evt = x[:, 50:]
    factors = models.prediction_factor(fit, x_evt)
    present = np.ones((3, 10), dtype=bool)
    present[1, 3] = False
    car_factor = models.car_variance_factor(fit, x_evt, present)
    for i in range(3):
        keep = usable[i, :50] & np.isfinite(y[i, :50])
        xe = x[i, :50][keep]
        v = np.eye(10) + x_evt[i] @ np.linalg.inv(xe.T @ xe) @ x_evt[i].T
        np.testing.assert_allclose(factors[i], np.diag(v), atol=TOL)
        gamma = present[i].astype(float)
        assert car_factor[i] == pytest.approx(gamma @ v @ gamma, abs=TOL)


def test_singular_designs_are_marked_not_ok():
    model = models.make_model("market")
    y, bench, usable = panel(k=2)
    bench[0, :, 0, 0] = 0.01  # a constant benchmark: collinear with the intercept
    x, offset = models.design(model, bench)
    fit = models.fit_ols(y, x, offset, usable)
    assert not fit.ok[0] and fit.ok[1]
    assert np.isnan(fit.coef[0]).all() and np.isnan(fit.sigma[0])


def test_unknown_model_is_refused():
    from research.errors import EventStudyError

    with pytest.raises(EventStudyError, match="Unknown model 'capm'"):
        models.make_model("capm")
