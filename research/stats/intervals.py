r"""What a study could have seen, and the intervals of its means.

The smallest CAAR a cohort's adjusted cross-sectional t detects with a given power: on
the cohort's own ordinary days (:func:`ordinary_days`, :func:`detectable_on_days`,
:func:`power_on_days`: what a study reports as ``mde_80``, checked against the clustered
simulation of docs/validation.md), and by normal theory (:func:`minimum_detectable`,
:func:`detection_power`: exact for normal, equicorrelated returns, conservative on daily
stock returns), the half-width of the interval that inverts
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
    "detectable_on_days",
    "detectable_scales",
    "detection_power",
    "minimum_detectable",
    "ordinary_days",
    "power_on_days",
]

# fewer ordinary stretches than this give no power or detectable CAAR (one stretch moves
# the power by 1/20 = 5 points)
MIN_ORDINARY_DAYS = 20


def ordinary_days(
    total: np.ndarray,
    squares: np.ndarray,
    count: np.ndarray,
    r_bar,
    level: float = 0.05,
) -> tuple[np.ndarray, np.ndarray]:
    r"""The cohort's ordinary days as its test sees them: per stretch of the estimation
    window, the mean abnormal return and how far from zero that mean must lie for
    ``kp_cross_sectional_t`` to reject at two-sided ``level``.

    Parameters
    ----------
    total, squares, count
        (..., T) per stretch (one day, or L consecutive days), over the firm-events with
        a residual on each of its days: the sum of their stretch sums, of their squares,
        and how many (:class:`research.estimation.cohorts.EstimationSums`).
    r_bar
        The cohort's mean residual correlation (broadcast over the leading axes).

    Returns
    -------
    mean, reach
        (..., T); NaN where fewer than two firm-events have the stretch.

    Notes
    -----
    With :math:`m_j` the stretch's cross-sectional mean, :math:`s_j` its s.d. over the
    :math:`N_j` firm-events and :math:`\bar r` the cohort's mean correlation, the adjusted
    t is :math:`m_j/(s_j/\sqrt{N_j})\,\sqrt{(1-\bar r)/(1+(N_j-1)\bar r)}` (Kolari &
    Pynnönen 2010), so it rejects when :math:`|m_j| > c_j = t_{N_j-1,1-\alpha/2}\,
    s_j/\sqrt{N_j}\,\sqrt{(1+(N_j-1)\bar r)/(1-\bar r)}` (the ``reach``).  A common
    shift :math:`\delta` moves :math:`m_j` and leaves :math:`s_j` as it is.
    """
    count = np.asarray(count, dtype=float)
    r_bar = np.asarray(r_bar, dtype=float)
    r_bar = r_bar.reshape(r_bar.shape + (1,) * (count.ndim - r_bar.ndim))
    ok = count > 1
    # the t quantile of each count once: a cohort's stretches mostly share one count
    counts, where = np.unique(np.where(ok, count, 2.0), return_inverse=True)
    quantile = special.stdtrit(counts - 1, 1 - level / 2)[where.reshape(count.shape)]
    with np.errstate(invalid="ignore", divide="ignore"):
        n = np.where(ok, count, np.nan)
        mean = total / n
        var = np.maximum(squares - n * mean * mean, 0.0) / (n - 1)
        top = 1 - r_bar
        spread = 1 + (n - 1) * r_bar
        factor = np.where((top > 0) & (spread > 0), np.sqrt(spread / top), np.nan)
        reach = quantile * np.sqrt(var / n) * factor
    return np.where(ok, mean, np.nan), np.where(ok, reach, np.nan)


def power_on_days(mean: np.ndarray, reach: np.ndarray, shift) -> np.ndarray:
    r"""The share of the cohort's ordinary stretches on which the test rejects once every
    abnormal return is shifted by ``shift``: its power against that shift, from the
    cohort's own days (:func:`ordinary_days`).

    (...) over the leading axes; NaN with fewer than :data:`MIN_ORDINARY_DAYS` stretches.
    """
    valid = np.isfinite(mean) & np.isfinite(reach)
    shift = np.asarray(shift, dtype=float)
    shift = shift.reshape(shift.shape + (1,) * (mean.ndim - shift.ndim))
    with np.errstate(invalid="ignore"):
        rejects = valid & (np.abs(np.where(valid, mean, 0.0) + shift) > reach)
    days = valid.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = rejects.sum(axis=-1) / days
    return np.where(days >= MIN_ORDINARY_DAYS, share, np.nan)


def detectable_on_days(
    mean: np.ndarray, reach: np.ndarray, direction: int, power: float = 0.8
) -> np.ndarray:
    r"""The smallest common shift, downwards (``direction`` -1) or upwards (+1), that the
    test detects on ``power`` of the cohort's ordinary stretches (:func:`ordinary_days`):
    its minimum detectable AAR (one-day stretches) or CAAR (L-day ones), as a magnitude.

    (...) over the leading axes; NaN with fewer than :data:`MIN_ORDINARY_DAYS` stretches.

    Notes
    -----
    A stretch with mean :math:`m_j` and reach :math:`c_j` rejects after a shift
    :math:`-d` (downwards) when :math:`d > c_j + m_j` or :math:`d < m_j - c_j` (it rejected
    upwards and still does); upwards, with :math:`-m_j` for :math:`m_j`.  The power
    :math:`P(d)` is the share of stretches that reject, a step function; the result is
    the smallest :math:`d \ge 0` with :math:`P(d) \ge` ``power``.  This is the
    historical simulation of Brown & Warner (1980, 1985) run on the study's own cohort:
    where the normal-theory :func:`minimum_detectable` assumes normal returns with the
    estimation-window variance, the cohort's days carry their heavy tails, skewness and
    volatility clustering, which decide the power on real data (docs/validation.md,
    section 4.5a).  Prediction error is left out (about :math:`1/T` of the variance).
    """
    y = -direction * np.asarray(mean, dtype=float)
    valid = np.isfinite(y) & np.isfinite(reach)
    days = valid.sum(axis=-1)
    enter = np.where(valid, reach + y, np.inf)  # rejects for every d above it
    leave = np.where(valid, y - reach, -np.inf)  # and for every d below this one
    width = y.shape[-1]
    values = np.concatenate([enter, leave], axis=-1)
    order = np.argsort(values, axis=-1, kind="stable")
    ordered = np.take_along_axis(values, order, axis=-1)
    is_enter = order < width
    with np.errstate(invalid="ignore", divide="ignore"):
        # just above each value: the stretches entered so far, and those not yet left
        entered = np.cumsum(is_enter, axis=-1)
        left = np.cumsum(~is_enter, axis=-1) - (width - days)[..., None]
        share = (entered + days[..., None] - left) / days[..., None]
        at_zero = ((enter < 0).sum(axis=-1) + (leave > 0).sum(axis=-1)) / days
    hit = is_enter & (ordered >= 0) & (share >= power) & np.isfinite(ordered)
    first = np.argmax(hit, axis=-1)
    found = np.take_along_axis(ordered, first[..., None], axis=-1)[..., 0]
    out = np.where(hit.any(axis=-1), found, np.nan)
    out = np.where(at_zero >= power, 0.0, out)
    return np.where(days >= MIN_ORDINARY_DAYS, out, np.nan)


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
