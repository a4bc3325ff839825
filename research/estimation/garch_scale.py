"""The market model with GARCH(1,1) errors for returns (``model="garch-market"``): each
return's conditional variance, by which the engine weights its market model (feasible GLS).

For each security one GARCH(1,1) market model (:func:`research.stats.garch.fit_garch_x`,
no event dummies) is fitted by maximum likelihood on the estimation days of its
firm-events, their event windows left out; its recursion then runs over every day from the
first estimation day to the last event day, the event days' residuals being their abnormal
returns, so each day's variance is the one known the day before (one step ahead).  The
scale is that variance over the model's unconditional one (about 1 on an ordinary day).
The engine divides each day's return and regressors by the scale's root, so the abnormal
returns' standardized values are divided by the conditional s.d. and every test runs on
them (:mod:`research.estimation.engine`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from research.stats.garch import backcast, fit_garch_x, garch_variance

__all__ = ["garch_variance_scale"]

SCALE = 100.0  # returns in percent for the optimizer


def garch_variance_scale(
    returns: pd.DataFrame,
    benchmark: pd.Series,
    pos0: np.ndarray,
    cols: np.ndarray,
    estimation: tuple[int, int],
    window: tuple[int, int],
) -> pd.DataFrame:
    """(sessions x securities) each return's conditional variance over the unconditional
    one, from a GARCH(1,1) market model per security (NaN outside its fitted span).
    """
    r = returns.to_numpy(dtype=float)
    m = benchmark.to_numpy(dtype=float)
    n = len(r)
    out = np.full(r.shape, np.nan)
    e0, e1 = estimation
    w0, w1 = window
    for c in np.unique(cols):
        days0 = pos0[cols == c]
        lo, hi = max(0, int(days0.min()) + e0), min(n - 1, int(days0.max()) + w1)
        span = np.arange(lo, hi + 1)
        est = np.zeros(len(span), dtype=bool)
        evt = np.zeros(len(span), dtype=bool)
        for p in days0:
            est[(span >= p + e0) & (span <= p + e1)] = True
            evt[(span >= p + w0) & (span <= p + w1)] = True
        y, x = SCALE * r[span, c], SCALE * m[span]
        have = np.isfinite(y) & np.isfinite(x)
        fit_days = have & est & ~evt
        if fit_days.sum() < 30:
            continue
        design = np.column_stack([np.ones(fit_days.sum()), x[fit_days]])
        fit = fit_garch_x(y[fit_days], design)
        b0, b1, omega, alpha, beta = fit.params
        resid = y[have] - b0 - b1 * x[have]
        h = garch_variance(resid, omega, alpha, beta, backcast(fit.resid))
        usual = omega / (1 - alpha - beta) if alpha + beta < 1 else float(np.mean(fit.h))
        out[span[have], c] = h / usual
    return pd.DataFrame(out, index=returns.index, columns=returns.columns)
