r"""What a study could have seen, and the intervals of its means.

The smallest CAAR a cohort's adjusted cross-sectional t detects with a given power
(:func:`minimum_detectable`, from the cohort's own residual variances and mean correlation;
checked against the clustered simulation of docs/validation.md), the power against a given
shift (:func:`detection_power`), the half-width of the interval that inverts
``kp_cross_sectional_t`` (:func:`dependence_adjusted_half_width`), and the firm bootstrap of
a mean (:func:`bootstrap_mean_ci`).  The tests themselves are in
:mod:`research.stats.inference`.
"""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = [
    "bootstrap_mean_ci",
    "dependence_adjusted_half_width",
    "detectable_scales",
    "detection_power",
    "minimum_detectable",
]


def minimum_detectable(
    sigma: np.ndarray,
    n: np.ndarray,
    r_bar: np.ndarray,
    length,
    power: float = 0.8,
    level: float = 0.05,
) -> np.ndarray:
    r"""The smallest mean abnormal return (or CAAR over ``length`` days) that
    ``kp_cross_sectional_t`` detects with probability ``power`` at two-sided ``level``: a
    study's power before its result, from its own firm-events.

    Parameters
    ----------
    sigma
        (N,) the cohort's estimation-window residual s.d.
    n
        Firm-events with a value (per column).
    r_bar
        The cohort's mean residual correlation (per column).
    length
        Days of the window (per column).

    Notes
    -----
    Abnormal returns :math:`L\sigma_i`-scaled and equicorrelated (:math:`\bar r`), shifted by
    :math:`\delta`.  The mean's s.d. is
    :math:`SE_0 = \sqrt{L\,(\bar r(\sum_i\sigma_i)^2 + (1-\bar r)\sum_i\sigma_i^2)}/N`;
    the test divides by its estimate
    :math:`SE_t = \sqrt{L\,s^2/N\;(1+(N-1)\bar r)/(1-\bar r)}`, with
    :math:`E s^2 = (1-\bar r)\,\overline{\sigma^2} + \bar r\,\mathrm{var}(\sigma)` (the
    common shock spreads firms of unequal volatility apart).  The test rejects when
    :math:`\delta + SE_0 Z > t_{N-1,1-\alpha/2}\,SE_t`, so
    :math:`MDE = t_{N-1,1-\alpha/2}\,SE_t + t_{N-1,\pi}\,SE_0` (Kolari & Pynnönen 2010 for
    the statistic; the power formula of Campbell, Lo & MacKinlay 1997, ch. 4.6, with both
    scales).  Checked by simulating a real cohort through the package's own test
    (``tests/test_mde.py``).  The sigmas are those of all the cohort's firm-events,
    rescaled to ``n``; prediction error is left out (about :math:`1/T` of the variance).
    """
    n = np.asarray(n, dtype=float)
    se_t, se0 = detectable_scales(sigma, n, r_bar, length)
    with np.errstate(invalid="ignore"):
        df = np.where(n > 1, n - 1, np.nan)
        mde = special.stdtrit(df, 1 - level / 2) * se_t + special.stdtrit(df, power) * se0
    return np.where((n > 1) & np.isfinite(mde) & (mde > 0), mde, np.nan)


def detectable_scales(sigma, n, r_bar, length) -> tuple[np.ndarray, np.ndarray]:
    """The two scales of :func:`minimum_detectable`: the one the adjusted t divides by
    (``SE_t``) and the mean's own s.d. (``SE_0``).
    """
    sigma = np.asarray(sigma, dtype=float)
    sigma = sigma[np.isfinite(sigma)]
    n = np.asarray(n, dtype=float)
    r_bar = np.asarray(r_bar, dtype=float)
    length = np.asarray(length, dtype=float)
    if len(sigma) < 2:
        empty = np.full(np.broadcast(n, r_bar, length).shape, np.nan)
        return empty, empty
    mean_sq, mean, spread = (sigma**2).mean(), sigma.mean(), sigma.var(ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        se0 = np.sqrt(length * (r_bar * (n * mean) ** 2 + (1 - r_bar) * n * mean_sq)) / n
        s2 = (1 - r_bar) * mean_sq + r_bar * spread
        se_t = np.sqrt(length * s2 / n * (1 + (n - 1) * r_bar) / (1 - r_bar))
    return se_t, se0


def detection_power(shift, sigma, n, r_bar, length, level: float = 0.05) -> np.ndarray:
    r"""The power of ``kp_cross_sectional_t`` at two-sided ``level`` against a common
    shift (the inverse of :func:`minimum_detectable`):
    :math:`P(T_{N-1} > (t_{N-1,1-\alpha/2} SE_t - |\delta|)/SE_0)` plus the other tail.
    """
    se_t, se0 = detectable_scales(sigma, n, r_bar, length)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        df = np.where(n > 1, n - 1, np.nan)
        c = special.stdtrit(df, 1 - level / 2) * se_t
        d = np.abs(np.asarray(shift, dtype=float))
        return special.stdtr(df, (d - c) / se0) + special.stdtr(df, (-d - c) / se0)


def dependence_adjusted_half_width(se, n, r_bar, level: float = 0.95) -> np.ndarray:
    r"""Half-width of the interval of a mean abnormal return (or CAAR) that keeps the
    cross-correlation of firm-events sharing calendar days:
    :math:`t_{N-1,(1+level)/2}\,(s/\sqrt N)\sqrt{(1+(N-1)\bar r)/(1-\bar r)}`.

    ``se`` is the cross-sectional :math:`s/\sqrt N`; with :math:`\bar r` the mean residual
    correlation, :math:`s^2/N` estimates :math:`\sigma^2(1-\bar r)/N` while the mean's
    variance is :math:`\sigma^2(1+(N-1)\bar r)/N` (Kolari & Pynnönen 2010): the interval
    that inverts their adjustment of the cross-sectional t.  With :math:`\bar r = 0` it is
    the usual cross-sectional interval.
    """
    n = np.asarray(n, dtype=float)
    r_bar = np.asarray(r_bar, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = special.stdtrit(np.where(n > 1, n - 1, np.nan), (1 + level) / 2)
        return q * np.asarray(se) * np.sqrt((1 + (n - 1) * r_bar) / (1 - r_bar))


def bootstrap_mean_ci(
    values: np.ndarray, reps: int, rng: np.random.Generator, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval of the column means of ``values`` (N, J).

    Firm-events are resampled with replacement (Efron & Tibshirani 1993, ch. 13).
    """
    n_cols = values.shape[1]
    lo = np.full(n_cols, np.nan)
    hi = np.full(n_cols, np.nan)
    for j in range(n_cols):
        x = values[:, j]
        x = x[np.isfinite(x)]
        if x.size < 2 or reps <= 0:
            continue
        draws = x[rng.integers(0, x.size, size=(reps, x.size))].mean(axis=1)
        alpha = (1 - level) / 2
        lo[j], hi[j] = np.quantile(draws, [alpha, 1 - alpha])
    return lo, hi
