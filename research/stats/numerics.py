"""Guarded arithmetic and p-values shared by the test statistics.

Every statistic of :mod:`research.stats.inference` and :mod:`research.stats.pooling` divides
arrays that may hold zeros and NaN, and turns a t or z into a two-sided p-value;
these are the one definition of each.
"""

from __future__ import annotations

import numpy as np
from scipy import special  # scipy.stats is imported where used: it costs 0.25 s

__all__ = [
    "column_counts",
    "cross_sectional_moments",
    "nanmean_columns",
    "p_value_t",
    "p_value_z",
    "ratio_or_zero",
    "row_counts",
    "safe_divide",
    "segment_sum",
]


def p_value_t(t: np.ndarray, df: np.ndarray) -> np.ndarray:
    """Two-sided Student-t p-value, ``2 F(-|t|; df)`` (scipy.special.stdtr: same values as
    ``stats.t.sf``, without the distribution-object overhead).
    """
    with np.errstate(invalid="ignore"):
        p = 2 * special.stdtr(np.maximum(df, 1), -np.abs(t))
    return np.where(np.isfinite(t) & (np.asarray(df) > 0), p, np.nan)


def p_value_z(z: np.ndarray) -> np.ndarray:
    """Two-sided normal p-value, ``2 Phi(-|z|)``."""
    return np.where(np.isfinite(z), 2 * special.ndtr(-np.abs(z)), np.nan)


def safe_divide(a, b) -> np.ndarray:
    """``a / b`` with NaN wherever the quotient is not finite (no warning)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.true_divide(a, b)
    return np.where(np.isfinite(out), out, np.nan)


def ratio_or_zero(num, den) -> np.ndarray:
    """``num / den`` where an exactly zero numerator gives 0 (no evidence), even over 0."""
    num = np.asarray(num, dtype=float)
    return np.where(num == 0, 0.0, safe_divide(num, den))


def nanmean_columns(a: np.ndarray) -> np.ndarray:
    """Column means over finite values; NaN, without a warning, where a column has none."""
    finite = np.isfinite(a)
    count = finite.sum(axis=0)
    total = np.where(finite, a, 0.0).sum(axis=0)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def row_counts(flags: np.ndarray) -> np.ndarray:
    """How many of each row's ``flags`` (K, T) are true (``flags.sum(axis=1)``).

    Counted as bytes into 16 bits where a row is shorter than 65,536, three times faster
    than numpy's sum of booleans; a mask with every flag set is not counted at all.
    """
    k, t = flags.shape
    if flags.all():
        return np.full(k, t, dtype=np.intp)
    if t >= 1 << 16:
        return flags.sum(axis=1)
    return flags.view(np.uint8).sum(axis=1, dtype=np.uint16).astype(np.intp)


def column_counts(flags: np.ndarray) -> np.ndarray:
    """How many of ``flags[:, ...]`` are true, element by element (``flags.sum(axis=0)``).

    Adds the flags as bytes, 255 rows at a time (a byte cannot overflow), which is six
    times faster than numpy's sum of booleans into a wider type.
    """
    out = np.zeros(flags.shape[1:], dtype=np.int64)
    as_bytes = flags.view(np.uint8)
    for lo in range(0, len(flags), 255):
        out += as_bytes[lo : lo + 255].sum(axis=0, dtype=np.uint8)
    return out


def segment_sum(values: np.ndarray, starts: np.ndarray, dtype=None) -> np.ndarray:
    """Sums of consecutive runs of rows beginning at ``starts`` (non-decreasing), added in
    ``dtype`` when given (``int64`` for small integers, whose sums are then exact).

    A few long runs of floats, or of any values given a ``dtype``, are summed run by run
    (numpy's pairwise sum, three times the speed of ``np.add.reduceat`` over rows); many
    short ones by ``reduceat``, which also keeps its result for an empty run (the row at
    its start).
    """
    k = values.shape[0]
    if k == 0:
        return np.zeros((0, *values.shape[1:]), dtype=dtype or float)
    ends = np.r_[starts[1:], k]
    few_long = len(starts) <= 64 and k >= 16 * len(starts) and bool((ends > starts).all())
    if not few_long or (dtype is None and values.dtype.kind != "f"):
        return np.add.reduceat(values, starts, axis=0, dtype=dtype)
    out = np.empty((len(starts), *values.shape[1:]), dtype=dtype or values.dtype)
    for j, (a, b) in enumerate(zip(starts, ends, strict=True)):
        out[j] = values[a:b].sum(axis=0, dtype=dtype)
    return out


def cross_sectional_moments(values, starts, sizes, cubes: bool = False):
    """Cross-sectional mean, s.d. (two-pass) and t per segment and column (and, with
    ``cubes``, the sum of cubed deviations, for the skewness).

    A few large segments are taken one by one (their rows stay in cache between the two
    passes); many small ones in one vectorized pass.
    """
    finite = np.isfinite(values)
    every = bool(finite.all())  # nothing to mask
    filled = values if every else np.where(finite, values, 0.0)
    if len(starts) <= 256:
        n_seg, n_cols = len(starts), values.shape[1]
        n = np.empty((n_seg, n_cols))
        mean = np.empty((n_seg, n_cols))
        ss = np.empty((n_seg, n_cols))
        cube = np.empty((n_seg, n_cols))
        for j, (a, size) in enumerate(zip(starts, sizes, strict=True)):
            f, v = finite[a : a + size], filled[a : a + size]
            n[j] = size if every else f.sum(axis=0)
            mean[j] = np.where(n[j] > 0, v.sum(axis=0) / np.maximum(n[j], 1), np.nan)
            dev = v - mean[j] if every else np.where(f, v - mean[j], 0.0)
            sq = dev * dev
            ss[j] = sq.sum(axis=0)
            if cubes:
                cube[j] = (sq * dev).sum(axis=0)
    else:
        n = segment_sum(finite.astype(float), starts)
        total = segment_sum(filled, starts)
        mean = np.where(n > 0, total / np.maximum(n, 1), np.nan)
        dev = np.where(finite, values - np.repeat(mean, sizes, axis=0), 0.0)
        ss = segment_sum(dev**2, starts)
        if cubes:
            cube = segment_sum(dev**3, starts)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.where(n > 1, np.sqrt(ss / (n - 1)), np.nan)
    t = ratio_or_zero(mean, sd / np.sqrt(n))
    if cubes:
        return n, mean, t, p_value_t(t, n - 1), sd, cube
    return n, mean, t, p_value_t(t, n - 1), sd
