"""Ranks of many rows at once: the average ranks of Corrado's and the signed-rank tests.

A study ranks every firm-event's residuals, so ranking is done for all rows together
(one sort, the order carried in the low mantissa bits) and only rows with ties are
re-ranked exactly; results equal ``scipy.stats.rankdata(method="average")`` row by row.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "MAX_DOUBLED_RANK",
    "average_ranks",
    "doubled_ranks",
    "rank_sum_variance",
    "rank_u",
    "signed_rank_z",
    "tie_runs",
    "window_ranks",
]


def rank_sum_variance(m, days) -> np.ndarray:
    """Null variance of the sum of Corrado's ``U`` over ``days`` distinct days of a row
    with ``m`` ranked days: :math:`L(M-L)/(12(M+1))` (ranks drawn without replacement
    from 1..M).
    """
    m, days = np.asarray(m, dtype=float), np.asarray(days, dtype=float)
    return days * (m - days) / (12 * (m + 1))


def average_ranks(values: np.ndarray, return_sorted: bool = False):
    """Ranks 1..M of each row's non-missing values, ties averaged (NaN stays NaN).

    Same result as ``scipy.stats.rankdata(row, method="average")`` on each row's finite
    values, for all rows at once.  With ``return_sorted``, also each row sorted
    (``np.sort``: missing values last), which the sort below yields at little cost.

    Notes
    -----
    A sort is several times faster than an argsort, so the order is carried inside the
    values: the lowest ``b = ceil(log2 T)`` mantissa bits of each value are replaced by
    its column, the rows are sorted, and the columns are read back from those bits.
    Truncating bits never reverses two values, so where every pair of neighbours still
    differs after truncation the order is the exact order and there are no ties.  Rows
    where two neighbours agree in all but those bits (ties, or values within
    :math:`2^{b-52}` of each other), or that hold an infinity, are ranked again by
    :func:`_average_ranks_argsort`, which averages ties exactly.
    """
    values = np.ascontiguousarray(values, dtype=float)
    k, t = values.shape
    if k == 0 or t < 2 or (t - 1).bit_length() > 12:
        ranks = _average_ranks_argsort(values)
        return (ranks, np.sort(values, axis=1)) if return_sorted else ranks
    cols, suspect, missing = _sorted_columns(values)
    flat = cols + (np.arange(k) * t)[:, None]
    ranks = _scatter_ranks(flat, k, t)
    if suspect.any():
        ranks[suspect] = _average_ranks_argsort(values[suspect])
    if missing is not None:
        ranks[missing] = np.nan
    if return_sorted:
        ordered = values.ravel()[flat]  # exact where the order is (suspect rows: re-sorted)
        if suspect.any():
            ordered[suspect] = np.sort(values[suspect], axis=1)
        return ranks, ordered
    return ranks


MAX_DOUBLED_RANK = np.iinfo(np.uint16).max - 1  # doubled ranks are uint16, even


def window_ranks(values: np.ndarray, first: int):
    """What the rank tests need from one sort of each row of a combined window whose
    first ``first`` columns are the estimation days: Corrado's ``U`` of every day, the
    doubled average ranks of the first columns among themselves and those columns sorted.

    Returns ``(u, first_rank2, first_sorted)``, equal to :func:`rank_u` of ``values``,
    ``2 * average_ranks(values[:, :first])`` as ``uint16`` with 0 where a value is
    missing (doubled, a tie's half rank is an integer), and ``np.sort`` of
    ``values[:, :first]`` (missing last).

    Notes
    -----
    The first columns' order among themselves is their order in the whole sorted row,
    read by keeping the sorted positions that hold one of them.  ``U`` is written from
    each sorted position straight into its column.  A row that :func:`average_ranks`
    would rank again exactly (ties, near-ties, infinities) is ranked again here, in the
    whole and in its first columns alone.
    """
    values = np.ascontiguousarray(values, dtype=float)
    k, t = values.shape
    if first > MAX_DOUBLED_RANK // 2:
        raise ValueError(f"{first} first columns: their doubled ranks would not fit 16 bits.")
    if k == 0 or first < 1 or t < 2 or (t - 1).bit_length() > 12:
        head_ranks, head_sorted = average_ranks(values[:, :first], return_sorted=True)
        return rank_u(values), doubled_ranks(head_ranks), head_sorted
    cols, suspect, missing = _sorted_columns(values)
    rows = np.arange(k)[:, None]
    m = t if missing is None else t - missing.sum(axis=1, keepdims=True)
    u = np.empty(k * t)
    u[cols + rows * t] = np.arange(1.0, t + 1) / (m + 1) - 0.5  # as rank_u computes it
    u = u.reshape(k, t)
    head = cols[cols < first].reshape(k, first)  # each row keeps `first` positions
    first_sorted = values.ravel()[head + rows * t]
    rank2 = np.empty(k * first, dtype=np.uint16)
    rank2[head + rows * first] = np.arange(2, 2 * first + 1, 2, dtype=np.uint16)
    rank2 = rank2.reshape(k, first)
    if suspect.any():
        u[suspect] = rank_u(values[suspect])
        head_ranks, first_sorted[suspect] = average_ranks(values[suspect, :first], True)
        rank2[suspect] = doubled_ranks(head_ranks)
    if missing is not None:
        u[missing] = np.nan
        rank2[missing[:, :first]] = 0
    return u, rank2, first_sorted


def doubled_ranks(ranks: np.ndarray) -> np.ndarray:
    """Average ranks doubled, as ``uint16`` (0 where missing): a tie's half rank becomes
    an integer, the form the generalized rank tests compare.
    """
    return np.where(np.isfinite(ranks), 2 * ranks, 0).astype(np.uint16)


def _sorted_columns(values: np.ndarray):
    """The bit-carrying sort of :func:`average_ranks`: for each row, the column of the
    value at each sorted position, the rows to rank again exactly, and where values are
    missing (None when none is).
    """
    k, t = values.shape
    bits = max(1, (t - 1).bit_length())
    low = np.uint64((1 << bits) - 1)
    biggest = np.finfo(float).max
    odd = ~np.isfinite(values)
    missing = None
    infinite = np.zeros(k, dtype=bool)
    if odd.any():
        # a NaN key would lose its column bits in the sort, and an infinity's key is a NaN
        # (all its exponent bits are set): missing values and infinities become the
        # largest finite float, which sorts last; rows with an infinity are ranked again
        missing = np.isnan(values)
        infinite = (odd & ~missing).any(axis=1)
        key = np.where(odd, biggest, values).view(np.uint64)
        key &= ~low
    else:
        key = values.view(np.uint64) & ~low
    key |= np.arange(t, dtype=np.uint64)
    key = key.view(np.float64)
    key.sort(axis=1)
    key = key.view(np.uint64)
    cols = (key & low).view(np.int64)  # columns: below 2**12, so the view is exact
    key &= ~low
    high = key.view(np.float64)
    tie = high[:, 1:] == high[:, :-1]
    suspect = infinite
    if missing is not None:  # only pairs of present values count, and a present value
        n_present = t - missing.sum(axis=1)  # as large as the stand-in may sort among them
        tie &= np.arange(1, t)[None, :] < n_present[:, None]
        last = high[np.arange(k), np.maximum(n_present - 1, 0)]
        stand_in = (np.array([biggest]).view(np.uint64) & ~low).view(np.float64)[0]
        suspect = suspect | (last >= stand_in)
    suspect |= tie.any(axis=1)
    return cols, suspect, missing


def _scatter_ranks(flat: np.ndarray, k: int, t: int) -> np.ndarray:
    """Ranks 1..t written at the flat indices of each row's sorted positions."""
    ranks = np.empty(k * t)
    ranks[flat] = np.arange(1.0, t + 1)  # fancy indexing: faster than put_along_axis
    return ranks.reshape(k, t)


def tie_runs(equal: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of equal values in sorted rows, for the rows that have any.

    ``equal`` (k, m - 1) says whether each value equals the one before it.  Returns the
    rows with a tie, the (tied rows, m) starts of runs in them, and the run number of
    each of their values (flattened, numbered across rows).
    """
    tied = np.flatnonzero(equal.any(axis=1))
    starts = np.ones((tied.size, equal.shape[1] + 1), dtype=bool)
    starts[:, 1:] = ~equal[tied]
    return tied, starts, np.cumsum(starts.ravel()) - 1


def _average_ranks_argsort(values: np.ndarray) -> np.ndarray:
    """:func:`average_ranks` by argsort: ordinal ranks, then, only in rows that have
    ties, the ordinal positions of each run of equal values are averaged.
    """
    k, t = values.shape
    rows = np.arange(k)[:, None]
    order = np.argsort(values, axis=1)  # NaN sorts last; ties are averaged below anyway
    ranks = np.empty((k, t))
    ranks[rows, order] = np.arange(1.0, t + 1)  # fancy indexing: faster than put_along_axis
    ordered = values[rows, order]
    equal = ordered[:, 1:] == ordered[:, :-1]  # NaN != NaN: missing values never tie
    tied, _, run = tie_runs(equal)
    if tied.size:
        ordinal = np.tile(np.arange(1.0, t + 1), tied.size)
        mean_rank = np.bincount(run, weights=ordinal) / np.bincount(run)
        ranks[tied[:, None], order[tied]] = mean_rank[run].reshape(tied.size, t)
    return np.where(np.isfinite(values), ranks, np.nan)


def rank_u(ar_all: np.ndarray) -> np.ndarray:
    """Corrado's ``U_it = K_it/(M_i+1) - 1/2`` over each row of the combined window."""
    m = np.isfinite(ar_all).sum(axis=1, keepdims=True)
    return average_ranks(ar_all) / (m + 1) - 0.5


def signed_rank_z(w_plus, n, tie_term) -> np.ndarray:
    r"""The normal approximation of Wilcoxon's signed-rank ``W+`` (as scipy's, without a
    continuity correction): :math:`|W^+ - n(n+1)/4| / \sigma`, tie-corrected
    :math:`\sigma^2 = n(n+1)(2n+1)/24 - \sum(t^3-t)/48` over the ``n`` non-zero values
    (``tie_term`` is :math:`\sum(t^3-t)` over runs of equal ``|x|``).
    """
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = n * (n + 1) * (2 * n + 1) / 24 - np.asarray(tie_term, dtype=float) / 48
        return np.abs(np.asarray(w_plus, dtype=float) - n * (n + 1) / 4) / np.sqrt(var)
