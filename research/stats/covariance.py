r"""Covariance estimators of the event regressions (:mod:`research.analyses.regression`).

``newey_west_lags``
    The automatic lag :math:`\lfloor 4(n/100)^{2/9}\rfloor` (Newey & West 1994).
``bartlett_autocovariances``
    :math:`w_j\hat\gamma(j)`, :math:`w_j = 1 - j/(L+1)`, on session positions (Newey &
    West 1987).
``newey_west_covariance``
    The HAC covariance of OLS coefficients,
    :math:`(X'X)^{-1}\hat S(X'X)^{-1}\,n/(n-k)` with
    :math:`\hat S = \sum_{|l|\le L} w_{|l|}\sum_t x_t e_t e_{t-l} x_{t-l}'` (Newey & West
    1987; statsmodels' ``cov_type="HAC"`` with ``use_correction=True``).
``event_prediction_covariance``
    :math:`\Gamma_E + X_E V_b X_E'`: the covariance of the event-day dummies' estimates
    from the prediction-error decomposition :math:`\hat g - g = e_E - X_E(\hat b - b)`
    (Campbell, Lo & MacKinlay 1997, §4.4).
``ImputedEventClusters``
    Date-clustered standard errors of a stacked panel whose event-session terms are
    each identified by one date: that date's cluster is imputed from the non-event
    dates (Conley & Taber 2011; MacKinnon & Webb 2017), with statsmodels' small-sample
    factor :math:`G/(G-1)\,(N-1)/(N-K)`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "ImputedEventClusters",
    "bartlett_autocovariances",
    "cluster_factor",
    "event_prediction_covariance",
    "newey_west_covariance",
    "newey_west_lags",
    "se_method",
]


def newey_west_lags(n: int) -> int:
    """Newey & West (1994) automatic lag: ``floor(4 (n/100)^(2/9))``."""
    return int(np.floor(4 * (n / 100) ** (2 / 9)))


def bartlett_autocovariances(
    resid: np.ndarray, positions: np.ndarray, maxlag: int, dof: int
) -> np.ndarray:
    """Bartlett-weighted autocovariances ``w_j γ(j)``, j = 0..maxlag, on session positions.

    γ(j) sums products of residuals ``j`` sessions apart (both in the sample), divided by
    ``dof`` (n - p, so γ(0) is the OLS σ²); weights ``1 - j/(maxlag+1)`` (Newey & West 1987).
    """
    out = np.zeros(maxlag + 1)
    lookup = dict(zip(positions.tolist(), resid.tolist(), strict=True))
    for j in range(maxlag + 1):
        total = sum(v * lookup[p + j] for p, v in lookup.items() if p + j in lookup)
        out[j] = (1 - j / (maxlag + 1)) * total / dof
    return out


def cluster_factor(n_groups: int, nobs: int, k: int) -> float:
    """Statsmodels' small-sample factor of a cluster-robust covariance,
    ``G/(G-1) (N-1)/(N-K)``.
    """
    return n_groups / (n_groups - 1) * (nobs - 1) / (nobs - k)


def newey_west_covariance(x: np.ndarray, resid: np.ndarray, maxlags: int) -> np.ndarray:
    """HAC (Newey-West) covariance of the OLS coefficients of ``resid = y - x b``.

    Bartlett weights ``1 - l/(maxlags + 1)`` and the small-sample factor ``n/(n - k)``, as
    statsmodels' ``fit(cov_type="HAC", cov_kwds={"maxlags": L, "use_correction": True})``
    (``tests/test_correlation.py`` holds them equal), without importing statsmodels.
    """
    n, k = x.shape
    score = x * resid[:, None]
    s = score.T @ score
    for lag in range(1, maxlags + 1):
        gamma = score[lag:].T @ score[:-lag]
        s += (1 - lag / (maxlags + 1)) * (gamma + gamma.T)
    bread = np.linalg.inv(x.T @ x)
    return bread @ s @ bread * (n / (n - k))


def event_prediction_covariance(
    gamma: np.ndarray, event_positions: np.ndarray, x_e: np.ndarray, v_b: np.ndarray
) -> np.ndarray:
    r"""Covariance of the event-day coefficients: :math:`\Gamma_E + X_E V_b X_E'`.

    Parameters
    ----------
    gamma
        Error autocovariances by lag (``gamma[0]`` the variance; lags beyond its length
        are zero).
    event_positions
        Session positions of the event days (their distances give the lags).
    x_e
        (E, p) benchmark regressors (constant first) on the event days.
    v_b
        (p, p) covariance of the benchmark coefficients.
    """
    lag = np.abs(event_positions[:, None] - event_positions[None, :])
    gamma_e = np.where(lag < len(gamma), gamma[np.minimum(lag, len(gamma) - 1)], 0.0)
    return gamma_e + x_e @ v_b @ x_e.T


class ImputedEventClusters:
    """Date-clustered standard errors with each event date's cluster imputed.

    Parameters
    ----------
    x
        (N, K) regressors of the stacked regression.
    resid
        (N,) its OLS residuals.
    clusters
        (N,) cluster (date) code of each row.
    dates, securities
        (N,) date and security of each row.
    event_dates
        The event sessions (their clusters are imputed).
    secs
        Every security, in a fixed order.
    xtx_inv
        :math:`(X'X)^{-1}`, when the caller's regression has it (computed otherwise).

    Notes
    -----
    An event-session coefficient leaves its own date's residuals orthogonal to its
    dummies, so that cluster contributes nothing to the plain sandwich.  Its
    contribution is imputed as the mean, over the non-event dates, of the squared same
    linear combination of their residuals (the cross-sectional covariance of residuals
    taken as constant over time); every other cluster enters as usual.
    """

    def __init__(
        self, x, resid, clusters, dates, securities, event_dates, secs, xtx_inv=None
    ) -> None:
        self.x = x
        self.resid = np.asarray(resid)
        self.clusters = clusters
        self.xtx_inv = np.linalg.pinv(x.T @ x) if xtx_inv is None else xtx_inv
        n, k = x.shape
        self.g_count = int(clusters.max()) + 1
        self.factor = cluster_factor(self.g_count, n, k)
        self.dates = pd.Series(dates).reset_index(drop=True)
        self.securities = pd.Series(securities).reset_index(drop=True)
        self.event_dates = event_dates
        self.secs = list(secs)
        self.is_event_row = self.dates.isin(set(event_dates)).to_numpy()
        # residual matrix of non-event dates (date x security), zeros where missing
        frame = pd.DataFrame({"date": self.dates, "security": self.securities, "u": self.resid})
        non_event = frame.loc[~self.is_event_row].pivot(
            index="date", columns="security", values="u"
        )
        self.non_event = non_event.reindex(columns=self.secs).fillna(0.0).to_numpy()

    def se(self, j: int) -> float:
        """Standard error of coefficient ``j``."""
        a = self.xtx_inv[j] @ self.x.T  # influence of each row on the coefficient
        keep = ~self.is_event_row
        contrib = np.bincount(
            self.clusters[keep], weights=(a * self.resid)[keep], minlength=self.g_count
        )
        var = float((contrib**2).sum())
        for t in self.event_dates:  # impute each event date's cluster from the other dates
            rows_t = (self.dates == t).to_numpy()
            weights = np.zeros(len(self.secs))
            idx = [self.secs.index(s) for s in self.securities[rows_t]]
            weights[idx] = a[rows_t]
            var += float(np.mean((self.non_event @ weights) ** 2))
        return float(np.sqrt(var * self.factor))


def se_method(kind: str, cov_type: str) -> str:
    """What a coefficient's standard error is (a sandwich cannot be robust for a one-day
    dummy, so event terms never get a plain 'HAC' label).
    """
    if kind == "event":
        return (
            "prediction error, Newey-West components"
            if cov_type == "hac"
            else "prediction error, classical"
        )
    return "Newey-West (HAC)" if cov_type == "hac" else "OLS (classical)"
