"""research.stats.ols against statsmodels and scipy.stats (the references it stands in for)."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats

from research.stats.ols import OLS, chi2_sf, f_sf, t_ppf, t_sf


def test_ols_equals_statsmodels():
    rng = np.random.default_rng(6)
    x = sm.add_constant(rng.normal(size=(150, 3)))
    y = x @ np.array([0.1, 1.0, -0.5, 0.2]) + rng.standard_t(4, 150)
    ours, ref = OLS(y, x), sm.OLS(y, x).fit()
    np.testing.assert_allclose(ours.params, ref.params, rtol=1e-12)
    np.testing.assert_allclose(ours.resid, ref.resid, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(ours.cov_params, ref.cov_params(), rtol=1e-10)
    assert ours.df_resid == ref.df_resid and ours.nobs == ref.nobs
    assert ours.scale == pytest.approx(ref.scale, rel=1e-12)
    assert ours.rsquared == pytest.approx(ref.rsquared, rel=1e-12)
    groups = np.repeat(np.arange(30), 5)
    clustered = ref.get_robustcov_results(cov_type="cluster", groups=groups)
    np.testing.assert_allclose(ours.cluster_cov(groups), clustered.cov_params(), rtol=1e-10)


def test_distribution_tails_equal_scipy_stats():
    for v in (0.3, 1.96, 4.0):
        assert t_sf(v, 17) == pytest.approx(stats.t.sf(v, 17), rel=1e-12)
        assert chi2_sf(v, 3) == pytest.approx(stats.chi2.sf(v, 3), rel=1e-12)
        assert f_sf(v, 3, 40) == pytest.approx(stats.f.sf(v, 3, 40), rel=1e-12)
    assert t_ppf(0.975, 12) == pytest.approx(stats.t.ppf(0.975, 12), rel=1e-12)
