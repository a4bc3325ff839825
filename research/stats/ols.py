"""Ordinary least squares for the event regressions, without statsmodels at run time.

statsmodels is the reference (``tests/test_regression.py`` and ``tests/test_ols.py`` hold
every number equal to its OLS, HAC, cluster and Wald results); loading it costs a command
about a second, so the regressions use this small, equivalent implementation.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import special

from research.stats.covariance import cluster_factor

__all__ = ["OLS", "chi2_sf", "f_sf", "t_ppf", "t_sf"]


def t_sf(t, df) -> np.ndarray:
    """Upper tail of Student's t, ``P(T > t)`` (``scipy.stats.t.sf``)."""
    return special.stdtr(df, -np.asarray(t, dtype=float))


def t_ppf(q, df) -> np.ndarray:
    """Quantile of Student's t (``scipy.stats.t.ppf``)."""
    return special.stdtrit(df, q)


def chi2_sf(x, k) -> np.ndarray:
    """Upper tail of the chi-squared distribution (``scipy.stats.chi2.sf``)."""
    return special.chdtrc(k, x)


def f_sf(x, k1, k2) -> np.ndarray:
    """Upper tail of the F distribution (``scipy.stats.f.sf``)."""
    return special.fdtrc(k1, k2, x)


@dataclass
class OLS:
    """OLS of ``y`` on ``x`` (constant included in ``x`` by the caller).

    As statsmodels' ``OLS(y, x).fit()`` (its default pseudo-inverse solution):
    ``params``, ``resid``, ``nobs``, ``df_resid``, ``scale`` (:math:`e'e/(n-k)`),
    ``cov_params`` (:math:`s^2(X'X)^{-1}`), ``rsquared`` (centred, for a model with a
    constant) and the date-clustered covariance of :meth:`cluster_cov`.
    """

    y: np.ndarray
    x: np.ndarray

    @cached_property
    def pinv(self) -> np.ndarray:
        """The Moore-Penrose pseudo-inverse of ``x``."""
        return np.linalg.pinv(self.x)

    @cached_property
    def params(self) -> np.ndarray:
        """The coefficients."""
        return self.pinv @ self.y

    @cached_property
    def resid(self) -> np.ndarray:
        """``y - x b``."""
        return self.y - self.x @ self.params

    @property
    def nobs(self) -> int:
        """Observations."""
        return int(self.x.shape[0])

    @cached_property
    def df_resid(self) -> int:
        """``n`` less the rank of ``x``."""
        return self.nobs - int(np.linalg.matrix_rank(self.x))

    @cached_property
    def scale(self) -> float:
        """:math:`e'e/(n-k)`."""
        return float(self.resid @ self.resid / self.df_resid)

    @cached_property
    def xtx_inv(self) -> np.ndarray:
        """:math:`(X'X)^{-1}` (from the pseudo-inverse)."""
        return self.pinv @ self.pinv.T

    @cached_property
    def cov_params(self) -> np.ndarray:
        """Classical covariance :math:`s^2(X'X)^{-1}`."""
        return self.scale * self.xtx_inv

    @cached_property
    def rsquared(self) -> float:
        """Centred R²."""
        centred = self.y - self.y.mean()
        return float(1 - self.resid @ self.resid / (centred @ centred))

    def cluster_cov(self, groups: np.ndarray) -> np.ndarray:
        r"""Cluster-robust covariance with statsmodels' small-sample factor:
        :math:`\frac{G}{G-1}\frac{N-1}{N-K}(X'X)^{-1}\big(\sum_g X_g'u_gu_g'X_g\big)(X'X)^{-1}`
        (Cameron & Miller 2015, eq. 11).
        """
        n_groups = int(groups.max()) + 1
        scores = np.zeros((n_groups, self.x.shape[1]))
        np.add.at(scores, groups, self.x * self.resid[:, None])
        meat = scores.T @ scores
        k = self.nobs - self.df_resid
        return cluster_factor(n_groups, self.nobs, k) * self.xtx_inv @ meat @ self.xtx_inv
