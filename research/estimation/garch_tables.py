"""The GARCH variance-dummy tables of a study: each firm-event's market model with
GARCH(1,1) errors and event dummies in the mean and the variance
(:func:`research.stats.garch.fit_garch_x`), fitted over its estimation and event windows,
and the cross-sectional tests of the variance dummies per cohort.

A firm-event's variance change is ``delta`` over its unconditional variance
``omega/(1 - alpha - beta)`` (how much more the returns varied in the event window, as a
share of usual); ``delta_t`` is ``delta`` over its standard error.  Per cohort:

``garch_cs_t``
    the cross-sectional t of the variance changes, on ``t(N-1)``;
``garch_z``
    ``sum(delta_t)/sqrt(N)`` on N(0,1), assuming independent firm-events (as
    EventStudyTools' test of the variance dummies does).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from research.stats.garch import fit_garch_x
from research.stats.numerics import p_value_t, p_value_z, safe_divide

if TYPE_CHECKING:
    from research.estimation.results import EventStudyResults

__all__ = ["cohort_garch", "security_garch"]

SCALE = 100.0  # returns in percent: the optimizer's parameters near 1


def security_garch(res: EventStudyResults) -> pd.DataFrame:
    """One row per kept firm-event: the mean and variance dummies, their t, the variance
    change, the GARCH parameters and whether the fit converged.
    """
    returns = res.study.returns.to_numpy(float)
    bench = None if res.study.benchmarks is None else res.study.benchmarks.to_numpy(float)
    pos0, cols = res.positions
    e0, _ = res.settings.estimation
    w0, w1 = res.settings.window
    rows = []
    for i in np.flatnonzero(res.keep):
        span = np.arange(pos0[i] + e0, pos0[i] + w1 + 1)
        span = span[(span >= 0) & (span < len(returns))]
        y = returns[span, cols[i]]
        x = [np.ones(len(span))]
        if bench is not None and res.study.model.needs_benchmark:
            x += [bench[span, j] for j in range(bench.shape[1])]
        x = np.column_stack(x)
        event = ((span >= pos0[i] + w0) & (span <= pos0[i] + w1)).astype(float)
        ok = np.isfinite(y) & np.isfinite(x).all(axis=1)
        fit = fit_garch_x(SCALE * y[ok], x[ok] * np.r_[1.0, [SCALE] * (x.shape[1] - 1)], event[ok])
        gamma, gamma_se = fit.get("gamma")
        delta, delta_se = fit.get("delta")
        omega, alpha, beta = (fit.get(n)[0] for n in ("omega", "alpha", "beta"))
        # the usual variance: the mean conditional variance of the days outside the event
        # window (the unconditional omega/(1 - alpha - beta) explodes when a fit puts omega
        # near 0 and alpha + beta near 1)
        usual = float(np.mean(fit.h[event[ok] == 0]))
        rows.append(
            {
                "event": res.events["event"].iat[i],
                "group": res.events["group"].iat[i],
                "security": res.events["security"].iat[i],
                "mean_effect": gamma / SCALE,
                "mean_effect_t": float(safe_divide(gamma, gamma_se)),
                "variance_change": float(safe_divide(delta, usual)),
                "delta_t": float(safe_divide(delta, delta_se)),
                "omega": omega / SCALE**2,
                "alpha": alpha,
                "beta": beta,
                "n_obs": int(ok.sum()),
                "converged": fit.converged,
                "at_floor": fit.at_floor,
            }
        )
    return pd.DataFrame(rows)


def cohort_garch(res: EventStudyResults, securities: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per cohort: firm-events, the mean variance change and the two tests of the variance
    dummies (fits that did not converge, or whose dummy has no standard error, left out).
    """
    sec = security_garch(res) if securities is None else securities
    rows = []
    for event, group, members in res.cohorts():
        names = set(res.events["security"].to_numpy()[members])
        part = sec[(sec["event"] == event) & sec["security"].isin(names)]
        if group != "all":
            part = part[part["group"] == group]
        # usable: converged, the dummy off its bound, with a standard error and a finite
        # usual variance
        good = part[
            part["converged"]
            & ~part["at_floor"]
            & np.isfinite(part["delta_t"])
            & np.isfinite(part["variance_change"])
        ]
        change = good["variance_change"].to_numpy(float)
        n = len(change)
        row = {"event": event, "group": group, "n": n, "not_used": len(part) - n}
        row["mean_variance_change"] = float(change.mean()) if n else np.nan
        t = safe_divide(change.mean(), change.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan
        row["garch_cs_t"] = float(t)
        row["garch_cs_t_p"] = float(p_value_t(np.array(t), np.array(max(n - 1, 1.0))))
        z = safe_divide(good["delta_t"].sum(), np.sqrt(len(good))) if len(good) else np.nan
        row["garch_z"] = float(z)
        row["garch_z_p"] = float(p_value_z(np.array(z)))
        rows.append(row)
    return pd.DataFrame(rows)
