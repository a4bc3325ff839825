"""A study's volatility tables: each firm-event's variance ratios on its event days and
over its CAR windows, and the volatility tests of every cohort
(:mod:`research.stats.volatility`), from the fitted study's abnormal returns and residuals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from research.estimation.cars import window_columns
from research.stats.volatility import variance_ratios, volatility_battery

if TYPE_CHECKING:
    from research.estimation.results import EventStudyResults

__all__ = ["cohort_volatility", "security_variance_ratios"]


def _ratios(res: EventStudyResults) -> tuple[np.ndarray, np.ndarray]:
    """(K, L) ``AR^2/s^2`` and ``AR^2/sigma^2`` of every firm-event and event day."""
    sigma = res.model_fit.sigma
    with np.errstate(invalid="ignore", divide="ignore"):
        u = (res.ar / sigma[:, None]) ** 2
    return variance_ratios(res.ar, res.sd), u


def _levels(res: EventStudyResults):
    """(label, day or window, columns of the event days, length) of every level."""
    out = [
        (f"day {d:+d}".replace("+0", "0"), d, slice(j, j + 1), 1) for j, d in enumerate(res.days)
    ]
    for a, b in res.settings.car_windows:
        if a != b:
            out.append((f"({a},{b})", None, window_columns(res.days, a, b), b - a + 1))
    return out


def security_variance_ratios(res: EventStudyResults) -> pd.DataFrame:
    """One row per kept firm-event and level (each event day, each CAR window): its
    variance ratio (the window's mean over its days; missing when a day is).
    """
    vr, _ = _ratios(res)
    rows = []
    for label, _, cols, _ in _levels(res):
        part = res.events[["event", "group", "security"]].copy()
        part["level"] = label
        part["variance_ratio"] = vr[:, cols].mean(axis=1)
        rows.append(part.loc[res.keep])
    return pd.concat(rows, ignore_index=True)


def cohort_volatility(res: EventStudyResults) -> pd.DataFrame:
    """One row per cohort and level: ``n``, ``mean_vr`` and the volatility tests."""
    vr, u = _ratios(res)
    fit = res.model_fit
    rows = []
    for event, group, members in res.cohorts():
        m = members[res.keep[members]]
        for label, _, cols, length in _levels(res):
            stats = volatility_battery(
                vr[m][:, cols].mean(axis=1),
                u[m][:, cols].mean(axis=1),
                fit.df[m].astype(float),
                fit.resid[m],
                fit.sigma[m],
                length,
            )
            rows.append({"event": event, "group": group, "level": label, **stats})
    return pd.DataFrame(rows)
