r"""Tests of a change in volatility around an event: whether returns varied more than
usual, whether or not their mean moved.

For firm-event ``i`` and event day ``t`` the variance ratio is the squared abnormal return
over its predicted variance (Beaver 1968's U, with the prediction-error correction):

.. math:: VR_{it} = AR_{it}^2 / s_{it}^2,

whose mean under no change is :math:`E_i = d_i/(d_i-2)` for normal residuals with
:math:`d_i` residual degrees of freedom (``VR`` is then :math:`F(1, d_i)`).  Over a window
of ``L`` days the ratio is the mean of its days' ratios.  Three tests of a cohort of ``N``
firm-events:

``var_cs_t``
    The cross-sectional t of :math:`VR_i - E_i`: :math:`\overline{(VR-E)}/(s/\sqrt N)` on
    :math:`t_{N-1}`; robust to the shape of the residuals, not to firm-events that share
    calendar days.
``var_time_z``
    The cohort's mean ratio against the same mean on each estimation day (the squared
    residuals over :math:`\hat\sigma_i^2`): :math:`(\bar U_0 - \bar U_{est}) /
    s(\bar U_{est})`, the time-series s.d. of the daily means carrying the firm-events'
    cross-correlation (the crude-dependence idea of Brown & Warner 1980 for variances);
    for a window, the window's mean against the estimation means of runs of ``L`` days.
``var_rank_p``
    Where the cohort's mean ratio ranks among the estimation days' (runs of ``L`` days'):
    a two-sided p-value :math:`\min(1, 2\min(P_{up}, P_{down}))`, :math:`P_{up} =
    (1 + \#\{\bar U_s \ge \bar U_0\})/(1 + S)`; no distributional assumption, the
    cross-correlation kept (the time-series analogue of a permutation test).

``tests/test_volatility.py`` recomputes every statistic with loops over the formulas.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np

from research.stats.numerics import p_value_t, p_value_z, safe_divide

__all__ = ["VOLATILITY_TESTS", "size_evidence", "variance_ratios", "volatility_battery"]

EVIDENCE = Path(__file__).with_name("volatility_evidence.json")


@cache
def size_evidence() -> dict:
    """The volatility tests' largest size at 5% with no change in variance, by kind of
    dates (``scripts/volatility_size.py``; ``{}`` if the file is absent).
    """
    if not EVIDENCE.exists():
        return {}
    return json.loads(EVIDENCE.read_text())


VOLATILITY_TESTS = ("var_cs_t", "var_time_z", "var_rank_p")


def variance_ratios(ar: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """``AR^2 / sd^2`` per firm-event and event day (NaN where either is missing)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(np.isfinite(ar) & (sd > 0), (ar / sd) ** 2, np.nan)


def _run_means(u: np.ndarray, length: int) -> np.ndarray:
    """Means of every run of ``length`` consecutive values of ``u`` with no gap."""
    if length <= 1:
        return u[np.isfinite(u)]
    ok = np.isfinite(u)
    if ok.sum() < length:
        return np.array([])
    filled = np.where(ok, u, 0.0)
    csum = np.concatenate([[0.0], np.cumsum(filled)])
    count = np.concatenate([[0], np.cumsum(ok)])
    sums = csum[length:] - csum[:-length]
    full = (count[length:] - count[:-length]) == length
    return sums[full] / length


def volatility_battery(
    vr: np.ndarray,
    u_event: np.ndarray,
    df: np.ndarray,
    resid: np.ndarray,
    sigma: np.ndarray,
    length: int = 1,
) -> dict[str, float]:
    """The volatility tests of one cohort on one day or over one window.

    Parameters
    ----------
    vr
        (N,) each firm-event's variance ratio (``AR^2/s^2``) on the day, or its mean over
        the window's ``length`` days.
    u_event
        (N,) the same with the residual variance alone (``AR^2/sigma^2``), compared with
        the estimation days' ``e^2/sigma^2`` by the time-series tests.
    df
        (N,) residual degrees of freedom of each firm-event's fit.
    resid
        (N, T) estimation-window residuals, aligned by relative day (NaN where unused).
    sigma
        (N,) residual s.d. of each fit.
    length
        Days in the window (1 for a day).

    Returns
    -------
    dict
        ``n``, ``mean_vr`` and each of :data:`VOLATILITY_TESTS` with its ``_p``
        (``var_rank_p`` is itself a p-value).
    """
    ok = np.isfinite(vr) & np.isfinite(u_event) & np.isfinite(df) & (df > 2)
    n = int(ok.sum())
    out = {"n": n, "mean_vr": float(np.mean(vr[ok])) if n else np.nan}
    out.update({k: np.nan for k in ("var_cs_t", "var_cs_t_p", "var_time_z", "var_time_z_p")})
    out["var_rank_p"] = np.nan
    if n == 0:
        return out
    if n >= 2:  # a cross-sectional t needs two firm-events; the time-series tests one
        excess = vr[ok] - df[ok] / (df[ok] - 2)
        t = float(safe_divide(np.mean(excess), np.std(excess, ddof=1) / np.sqrt(n)))
        out["var_cs_t"] = t
        out["var_cs_t_p"] = float(p_value_t(np.array(t), np.array(n - 1.0)))
    with np.errstate(invalid="ignore", divide="ignore"):
        u_est = (resid[ok] / sigma[ok, None]) ** 2
    counts = np.isfinite(u_est).sum(axis=0)
    daily = np.where(counts > 0, np.nansum(u_est, axis=0) / np.maximum(counts, 1), np.nan)
    runs = _run_means(daily, length)
    if len(runs) > 2:
        observed = float(np.mean(u_event[ok]))
        z = float(safe_divide(observed - runs.mean(), runs.std(ddof=1)))
        out["var_time_z"] = z
        out["var_time_z_p"] = float(p_value_z(np.array(z)))
        up = (1 + np.sum(runs >= observed)) / (1 + len(runs))
        down = (1 + np.sum(runs <= observed)) / (1 + len(runs))
        out["var_rank_p"] = float(min(1.0, 2 * min(up, down)))
    return out
