r"""The market model with GARCH(1,1) errors and event dummies in the mean and the variance
(Balaban & Constantinou 2006; EventStudyTools' abnormal-volatility study).

For one security over its estimation and event windows (the days with a return, in order):

.. math::

    r_t = x_t'b + \gamma D_t + e_t, \qquad e_t = \sqrt{h_t}\,z_t,\ z_t \sim N(0, 1),

    h_t = \omega + \alpha e_{t-1}^2 + \beta h_{t-1} + \delta D_t,

``x_t`` the constant and the benchmark returns, ``D_t`` one on the event window's days.
``gamma`` is the event's mean effect, ``delta`` its effect on the conditional variance.
All parameters are estimated jointly by maximum likelihood; the recursion starts from the
backcast of :mod:`arch` (the exponentially weighted mean of the first 75 squared OLS
residuals, weight 0.94), held fixed during the optimization as ``arch`` does, so that
without the variance dummy the fit is ``arch_model(y, x, mean="LS", vol="GARCH")``'s
(``tests/test_garch.py`` holds the two equal).  Standard errors come from the inverse
of the numerical Hessian of the log-likelihood (``arch``'s ``cov_type="classic"``).
``arch`` cannot put a regressor in the variance equation, hence this likelihood.  The
variance dummy is held to ``delta >= -0.9 omega/(1 - alpha - beta)`` (:data:`FLOOR`: the
event may cut the usual variance by at most 90%): with a short event window and a mean
dummy the likelihood is otherwise unbounded (a residual made ~0 by the mean dummy on a day
whose variance the dummy drives to 0).  A fit whose dummy ends at that bound is marked
(``at_floor``): its estimate is the constraint's, not the data's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["GarchFit", "backcast", "fit_garch_x", "garch_variance"]

BACKCAST_DAYS = 75
PENALTY = 1e10  # the negative log-likelihood outside the region of positive variances
FLOOR = 0.9  # delta >= -FLOOR * the unconditional variance: an event day keeps ~10% of it
BACKCAST_DECAY = 0.94


@dataclass
class GarchFit:
    """One security's fit: parameters ``[b..., gamma, omega, alpha, beta, delta]`` (the
    dummies' where present), their standard errors, the log-likelihood, the conditional
    variances and residuals, and whether the optimizer converged.
    """

    params: np.ndarray
    se: np.ndarray
    names: tuple[str, ...]
    loglik: float
    h: np.ndarray
    resid: np.ndarray
    converged: bool
    at_floor: bool = False

    def get(self, name: str) -> tuple[float, float]:
        """A parameter and its standard error."""
        j = self.names.index(name)
        return float(self.params[j]), float(self.se[j])


def backcast(resid: np.ndarray) -> float:
    """``arch``'s starting variance: the weighted mean of the first 75 squared residuals,
    weights ``0.94**i`` normalized.
    """
    tau = min(BACKCAST_DAYS, len(resid))
    w = BACKCAST_DECAY ** np.arange(tau)
    w = w / w.sum()
    return float(np.sum(resid[:tau] ** 2 * w))


def garch_variance(
    e: np.ndarray, omega: float, alpha: float, beta: float, start: float, shift=None
) -> np.ndarray:
    """The GARCH(1,1) recursion ``h_t = omega + alpha e_{t-1}^2 + beta h_{t-1} (+ shift_t)``,
    ``e_{-1}^2 = h_{-1} =`` ``start``: a first-order linear filter of
    ``u_t = omega + alpha e_{t-1}^2 (+ shift_t)`` (scipy's ``lfilter``, no Python loop).
    """
    from scipy.signal import lfilter

    lagged = np.empty(len(e))
    lagged[0] = start
    lagged[1:] = e[:-1] * e[:-1]
    u = omega + alpha * lagged
    if shift is not None:
        u = u + shift
    h, _ = lfilter([1.0], [1.0, -beta], u, zi=[beta * start])
    return h


def _usual(theta, k: int) -> float:
    """The unconditional variance ``omega/(1 - alpha - beta)`` (persistence kept below 1)."""
    return theta[k] / max(1e-6, 1.0 - theta[k + 1] - theta[k + 2])


def _negloglik(theta, y, x, d_var, k, start):
    b = theta[:k]
    omega, alpha, beta = theta[k : k + 3]
    delta = theta[k + 3] if d_var is not None else 0.0
    e = y - x @ b
    h = garch_variance(e, omega, alpha, beta, start, None if d_var is None else delta * d_var)
    if not np.all(np.isfinite(h)) or np.any(h <= 0):
        return PENALTY
    return 0.5 * float(np.sum(np.log(2 * np.pi) + np.log(h) + e * e / h))


def _hessian(f, theta: np.ndarray) -> np.ndarray:
    """Central-difference Hessian of ``f`` at ``theta``; NaN when a step leaves the region
    where every variance is positive (the estimate sits on that boundary: no standard
    error can be read from the curvature there).
    """
    p = len(theta)
    step = 1e-4 * np.maximum(np.abs(theta), 1e-3)
    hess = np.empty((p, p))
    for i in range(p):
        for j in range(i, p):
            ei, ej = np.zeros(p), np.zeros(p)
            ei[i], ej[j] = step[i], step[j]
            values = [
                f(theta + ei + ej),
                f(theta + ei - ej),
                f(theta - ei + ej),
                f(theta - ei - ej),
            ]
            if max(values) >= PENALTY:
                return np.full((p, p), np.nan)
            val = (values[0] - values[1] - values[2] + values[3]) / (4 * step[i] * step[j])
            hess[i, j] = hess[j, i] = val
    return hess


def fit_garch_x(
    y: np.ndarray, x: np.ndarray, event: np.ndarray | None = None, variance_dummy: bool = True
) -> GarchFit:
    """Fit the market model with GARCH(1,1) errors (and the event dummies) by maximum
    likelihood.

    Parameters
    ----------
    y
        (T,) returns, the days in order (missing days dropped beforehand).
    x
        (T, k) mean regressors (a constant first, then the benchmark returns).
    event
        (T,) 1 on the event window's days, 0 elsewhere; None for no event (the plain
        GARCH market model).
    variance_dummy
        Put ``event`` in the variance equation too (else only in the mean).
    """
    from scipy.optimize import minimize

    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    names = [f"b{j}" for j in range(x.shape[1])]
    if event is not None:
        x = np.column_stack([x, event])
        names.append("gamma")
    k = x.shape[1]
    d_var = np.asarray(event, dtype=float) if event is not None and variance_dummy else None
    ols, *_ = np.linalg.lstsq(x, y, rcond=None)
    start = backcast(y - x @ ols)
    var = float(np.var(y - x @ ols))
    names += ["omega", "alpha", "beta"] + (["delta"] if d_var is not None else [])
    best = None
    # a small grid of starting points for the variance parameters, as arch does
    for alpha0, beta0 in ((0.05, 0.90), (0.10, 0.80), (0.03, 0.95), (0.20, 0.60)):
        theta0 = np.r_[ols, var * (1 - alpha0 - beta0), alpha0, beta0]
        if d_var is not None:
            theta0 = np.r_[theta0, 0.0]
        bounds = [(None, None)] * k + [(1e-12 * var, 10 * var), (0.0, 1.0), (0.0, 1.0)]
        if d_var is not None:
            bounds.append((-10 * var, 100 * var))
        constraints = [{"type": "ineq", "fun": lambda th: 1.0 - th[k + 1] - th[k + 2]}]
        if d_var is not None:
            # the event may cut the variance's intercept by at most 90%: without a floor the
            # likelihood is unbounded (h_t -> 0 on an event day whose residual the mean
            # dummy has made ~0)
            constraints.append(
                {"type": "ineq", "fun": lambda th: th[k + 3] + FLOOR * _usual(th, k)}
            )
        res = minimize(
            _negloglik,
            theta0,
            args=(y, x, d_var, k, start),
            method="SLSQP",
            bounds=bounds,
            constraints=constraints,
            options={"ftol": 1e-12, "maxiter": 500},
        )
        if best is None or res.fun < best.fun:
            best = res
    theta = best.x

    def f(th):
        return _negloglik(th, y, x, d_var, k, start)

    with np.errstate(invalid="ignore"):
        hess = _hessian(f, theta)
        try:
            cov = np.linalg.inv(hess) if np.isfinite(hess).all() else np.full(hess.shape, np.nan)
            se = np.sqrt(np.where(np.diag(cov) > 0, np.diag(cov), np.nan))
        except np.linalg.LinAlgError:
            se = np.full(len(theta), np.nan)
    e = y - x @ theta[:k]
    shift = None if d_var is None else theta[k + 3] * d_var
    h = garch_variance(e, *theta[k : k + 3], start, shift)
    at_floor = d_var is not None and theta[k + 3] + FLOOR * _usual(theta, k) < 1e-6 * _usual(
        theta, k
    )
    return GarchFit(theta, se, tuple(names), -float(best.fun), h, e, bool(best.success), at_floor)
