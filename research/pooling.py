r"""Pooled (cross-firm) tests for many cohorts at once.

:func:`research.inference.battery` computes every test for one cohort from its
firm-events' arrays; it is the readable reference.  A study of a whole market
has thousands of cohorts and hundreds of thousands of firm-events, so the
study computes the same statistics here, for every cohort in one pass:

* the estimation-window quantities the tests need (the AAR series of the
  crude-dependence test, the mean residual correlation of Kolari-Pynnönen, the
  share of positive residuals of the generalized sign test, Corrado's
  :math:`S_U`) are sums over firm-events, so :class:`research.cohorts.EstimationSums` adds them
  up per cell (event, group) while the study estimates, chunk by chunk, and
  the residuals need not be kept;
* the event-window statistics are group sums over the firm-events of each
  cohort (:func:`pooled_battery`); the Wilcoxon signed ranks are ranked within
  each cohort and column by padding cohorts of similar size into rows.

Formulas, references and conventions are those of :mod:`research.inference`;
``tests/test_pooling.py`` holds every statistic equal to ``battery`` cohort by
cohort.
"""

from __future__ import annotations

import numpy as np

from research.inference import (
    TestOptions,
    block_sums,
    correlation_adjustment,
    pairwise_correlations,
    permutation_p,
    skewness_corrected_from_moments,
)
from research.numerics import p_value_t, p_value_z, ratio_or_zero, safe_divide
from research.ranks import average_ranks, rank_sum_variance, rank_u, signed_rank_z, tie_runs

__all__ = [
    "GRANK_KEYS",
    "dependent_statistics",
    "incomplete_pair_sums",
    "mean_correlations",
    "pooled_battery",
    "signed_rank_null",
]

GRANK_KEYS = ("grank_t", "grank_t_p", "grank_z", "grank_z_p")


# ----------------------------------------------------------------------------------------
def _segment_sum(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    if values.shape[0] == 0:
        return np.zeros((0, *values.shape[1:]))
    return np.add.reduceat(values, starts, axis=0)


def _cross_sectional(values, starts, sizes, cubes: bool = False):
    """Cross-sectional mean, s.d. (two-pass) and t per segment and column (and, with
    ``cubes``, the sum of cubed deviations, for the skewness).

    A few large segments are taken one by one (their rows stay in cache between the two
    passes); many small ones in one vectorized pass.
    """
    finite = np.isfinite(values)
    filled = np.where(finite, values, 0.0)
    if len(starts) <= 256:
        n_seg, n_cols = len(starts), values.shape[1]
        n = np.empty((n_seg, n_cols))
        mean = np.empty((n_seg, n_cols))
        ss = np.empty((n_seg, n_cols))
        cube = np.empty((n_seg, n_cols))
        for j, (a, size) in enumerate(zip(starts, sizes, strict=True)):
            f, v = finite[a : a + size], filled[a : a + size]
            n[j] = f.sum(axis=0)
            mean[j] = np.where(n[j] > 0, v.sum(axis=0) / np.maximum(n[j], 1), np.nan)
            dev = np.where(f, v - mean[j], 0.0)
            sq = dev * dev
            ss[j] = sq.sum(axis=0)
            if cubes:
                cube[j] = (sq * dev).sum(axis=0)
    else:
        n = _segment_sum(finite.astype(float), starts)
        total = _segment_sum(filled, starts)
        mean = np.where(n > 0, total / np.maximum(n, 1), np.nan)
        dev = np.where(finite, values - np.repeat(mean, sizes, axis=0), 0.0)
        ss = _segment_sum(dev**2, starts)
        if cubes:
            cube = _segment_sum(dev**3, starts)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.where(n > 1, np.sqrt(ss / (n - 1)), np.nan)
    t = ratio_or_zero(mean, sd / np.sqrt(n))
    if cubes:
        return n, mean, t, p_value_t(t, n - 1), sd, cube
    return n, mean, t, p_value_t(t, n - 1), sd


def signed_rank_null(n_max: int = 50) -> np.ndarray:
    """(n_max + 1, W + 1) null probabilities of the Wilcoxon ``W+`` for n = 0..n_max.

    Each rank 1..n enters ``W+`` with probability 1/2 independently, so
    :math:`P_n(w) = (P_{n-1}(w) + P_{n-1}(w - n))/2` (Wilcoxon 1945).
    """
    w_max = n_max * (n_max + 1) // 2
    pmf = np.zeros((n_max + 1, w_max + 1))
    pmf[0, 0] = 1.0
    for n in range(1, n_max + 1):
        pmf[n] = pmf[n - 1] / 2
        pmf[n, n:] += pmf[n - 1, :-n] / 2
    return pmf


def _tie_term(sorted_rows: np.ndarray) -> np.ndarray:
    r""":math:`\sum (t^3 - t)` over runs of equal values in each sorted row."""
    k, m = sorted_rows.shape
    out = np.zeros(k)
    if m < 2:
        return out
    tied, starts, run = tie_runs(sorted_rows[:, 1:] == sorted_rows[:, :-1])
    if tied.size:
        lengths = np.bincount(run).astype(float)
        run_row = np.flatnonzero(starts.ravel()) // m
        out[tied] = np.bincount(run_row, weights=lengths**3 - lengths, minlength=tied.size)
    return out


def _signed_rank_rows(x: np.ndarray):
    r"""Per row of ``x``: ``W+`` (the rank sum of the positive values among the non-zero
    ``|x|``, ties averaged), the non-zero and the finite counts, and the tie term
    :math:`\sum(t^3-t)`.

    As in :func:`research.ranks.average_ranks`, a sort replaces the argsort: the
    sign rides in the lowest mantissa bit of ``|x|``, so after sorting, ``W+`` is the sum
    of the positions whose bit is set.  Rows where two neighbours agree in all other
    bits (ties, or values one unit in the last place apart) are ranked exactly instead.
    """
    k, p = x.shape
    finite = np.isfinite(x)
    nonzero = finite & (x != 0)
    n_fin, n_nz = finite.sum(axis=1), nonzero.sum(axis=1)
    biggest = np.finfo(float).max
    key = np.where(nonzero, np.abs(x), biggest).view(np.uint64) & ~np.uint64(1)
    key |= (x > 0).view(np.uint8).astype(np.uint64)
    key = key.view(np.float64)
    key.sort(axis=1)
    kb = key.view(np.uint64)
    w_plus = (kb & np.uint64(1)).astype(float) @ np.arange(1.0, p + 1)
    kb &= ~np.uint64(1)
    high = kb.view(np.float64)
    neighbours = np.arange(1, p)[None, :] < n_nz[:, None]
    suspect = ((high[:, 1:] == high[:, :-1]) & neighbours).any(axis=1)
    suspect |= (nonzero & (np.abs(x) == biggest)).any(axis=1)
    tie = np.zeros(k)
    if suspect.any():
        absx = np.where(nonzero[suspect], np.abs(x[suspect]), np.nan)
        ranks = average_ranks(absx)
        w_plus[suspect] = np.where(nonzero[suspect] & (x[suspect] > 0), ranks, 0.0).sum(axis=1)
        tie[suspect] = _tie_term(np.sort(absx, axis=1))
    return w_plus, n_nz, n_fin, tie


def _wilcoxon(values, starts, sizes, pmf):
    """``W+`` and its two-sided p-value per segment and column, as
    :func:`research.inference.wilcoxon_signed_rank` (which follows scipy).
    """
    n_seg, n_cols = len(starts), values.shape[1]
    w_plus = np.zeros((n_seg, n_cols))
    n_nonzero = np.zeros((n_seg, n_cols))
    n_all = np.zeros((n_seg, n_cols))
    ties = np.zeros((n_seg, n_cols))
    width = np.maximum(1, 2 ** np.ceil(np.log2(np.maximum(sizes, 1)))).astype(int)
    for p in np.unique(width):  # segments padded to the next power of two: at most 2x
        seg = np.flatnonzero(width == p)
        local = np.arange(p)
        inside = local[None, :] < sizes[seg][:, None]
        idx = np.where(inside, starts[seg][:, None] + local[None, :], 0)
        block = np.where(inside[:, :, None], values[idx], np.nan)  # (segments, p, J)
        x = np.ascontiguousarray(block.transpose(0, 2, 1)).reshape(-1, p)
        w, n_nz, n_fin, tie = _signed_rank_rows(x)
        shape = (len(seg), n_cols)
        w_plus[seg], n_nonzero[seg] = w.reshape(shape), n_nz.reshape(shape)
        n_all[seg], ties[seg] = n_fin.reshape(shape), tie.reshape(shape)
    stat = np.where(n_nonzero > 0, w_plus, np.nan)
    p = np.full((n_seg, n_cols), np.nan)
    n = n_nonzero
    z = signed_rank_z(w_plus, n, ties)
    large = (n > 0) & (n_all > 50)
    p[large] = p_value_z(z[large])
    has_zero = n_all > n_nonzero
    exact = (n > 0) & (n_all <= 50) & (ties == 0) & ~has_zero
    if exact.any():
        cdf = np.cumsum(pmf, axis=1)
        sf = np.cumsum(pmf[:, ::-1], axis=1)[:, ::-1]
        ni, w = n[exact].astype(int), w_plus[exact]
        lo = sf[ni, np.floor(w).astype(int)]
        hi = cdf[ni, np.ceil(w).astype(int)]
        p[exact] = np.clip(2 * np.minimum(lo, hi), 0, 1)
    rest = (n > 0) & ~large & ~exact  # small columns with ties or zeros: scipy itself
    for s, j in zip(*np.nonzero(rest), strict=True):
        x = values[starts[s] : starts[s] + sizes[s], j]
        from scipy import stats  # only for small columns with ties or zeros

        p[s, j] = stats.wilcoxon(x[np.isfinite(x)], zero_method="wilcox").pvalue
    return stat, p


def standardized_residuals(sar_sorted: np.ndarray, rank2: np.ndarray) -> np.ndarray:
    """Each row's standardized residuals in day order, from the row sorted and the doubled
    average ranks (0 where missing): a value of rank ``r`` sits at sorted position
    ``ceil(r) - 1`` (tied values are equal, so any position of their run serves).
    """
    pos = np.maximum((rank2.astype(np.intp) + 1) // 2 - 1, 0)
    return np.where(rank2 > 0, np.take_along_axis(sar_sorted, pos, axis=1), np.nan)


def incomplete_pair_sums(
    sar_sorted: np.ndarray,
    rank2: np.ndarray,
    sigma: np.ndarray,
    ar_days: np.ndarray,
    starts: np.ndarray,
    sizes: np.ndarray,
) -> np.ndarray:
    """Per segment, the sums and counts of the correlations of every pair with an
    incomplete firm-event, over its common days: (segments, 4) columns residual total,
    residual count, U total, U count (pairs of complete firm-events come from
    :class:`research.cohorts.EstimationSums`).

    From the standardized residuals (a correlation does not change when a row is scaled;
    the ARs are scaled alike for the ranks).
    """
    t = rank2.shape[1]
    out = np.zeros((len(starts), 4))
    incomplete = (rank2 == 0).any(axis=1)
    for seg in np.flatnonzero(np.add.reduceat(incomplete, starts) if len(starts) else []):
        rows = slice(starts[seg], starts[seg] + sizes[seg])
        inc = np.flatnonzero(incomplete[rows])
        later = np.arange(sizes[seg])[None, :] > inc[:, None]  # each pair once
        pair = ~incomplete[rows][None, :] | (incomplete[rows][None, :] & later)
        sar = standardized_residuals(sar_sorted[rows], rank2[rows])
        with np.errstate(invalid="ignore", divide="ignore"):
            u = rank_u(np.hstack([sar, ar_days[rows] / sigma[rows][:, None]]))[:, :t]
        for k, values in enumerate((sar, u)):
            r = pairwise_correlations(values[inc], values)
            ok = pair & np.isfinite(r)
            out[seg, 2 * k] += r[ok].sum()
            out[seg, 2 * k + 1] += ok.sum()
    return out


def mean_correlations(
    est: dict[str, np.ndarray], incomplete: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per segment: the mean pairwise-complete correlation of the estimation residuals and
    of Corrado's U on the estimation days (as
    :func:`research.inference.mean_residual_correlation`), from the complete pairs' sums
    in ``est`` and the incomplete pairs' of :func:`incomplete_pair_sums`.
    """
    total = np.asarray(est["pair_sum"], dtype=float) + incomplete[:, 0]
    count = np.asarray(est["pairs"], dtype=float) + incomplete[:, 1]
    total_u = np.asarray(est["pair_sum_u"], dtype=float) + incomplete[:, 2]
    count_u = np.asarray(est["pairs"], dtype=float) + incomplete[:, 3]
    with np.errstate(invalid="ignore", divide="ignore"):
        return (
            np.where(count > 0, total / np.maximum(count, 1), 0.0),
            np.where(count_u > 0, total_u / np.maximum(count_u, 1), 0.0),
        )


def dependent_statistics(
    sar_sorted: np.ndarray,
    rank2: np.ndarray,
    sigma: np.ndarray,
    ar_days: np.ndarray,
    columns: dict[str, np.ndarray],
    starts: np.ndarray,
    sizes: np.ndarray,
    grank_a: np.ndarray,
    n_present: np.ndarray,
) -> dict[str, object]:
    """What the dependent-sample tests need from each firm-event's own estimation
    residuals, per segment: the incomplete pairs' correlation sums (``pairs``) and, for
    each level of ``columns`` (name -> (N, J) standardized ARs or CARs), the generalized
    rank tests (:func:`_grank`).  The engine calls it event by event, so the residuals
    need not be kept for the whole study.
    """
    out: dict[str, object] = {
        "pairs": incomplete_pair_sums(sar_sorted, rank2, sigma, ar_days, starts, sizes)
    }
    for level, scar in columns.items():
        out[level] = _grank(sar_sorted, rank2, scar, starts, sizes, grank_a, n_present)
    return out


def _bisect_left(ordered: np.ndarray, x: np.ndarray) -> np.ndarray:
    """For each row ``i`` and query ``x[i, j]``: how many values of the sorted row
    ``ordered[i]`` (missing values, NaN, last) are below ``x[i, j]``.

    A branch-free binary search on all rows at once: every row has the same length, so
    the halving steps are common to all of them, and a NaN is never below a query.
    """
    k, t = ordered.shape
    flat = ordered.ravel()
    index = np.int32 if k * t < 2**31 else np.int64
    start = np.repeat((np.arange(k, dtype=index) * t)[:, None], x.shape[1], axis=1)
    base = start.copy()
    probe = np.empty_like(base)
    n = t
    while n > 1:
        half = n // 2
        np.add(base, half, out=probe)
        base += (np.take(flat, probe) < x).astype(index) * half
        n -= half
    if t:
        base += np.take(flat, base) < x
    return (base - start).astype(np.intp)


def _grank(
    sar_sorted, rank2, scar, starts, sizes, grank_a, n_present, sd=None, block_cells=1 << 22
):
    """Kolari-Pynnönen's (2011) generalized rank tests per segment and column, as
    :func:`research.inference.grank`.

    ``sar_sorted`` holds each firm-event's standardized estimation residuals sorted
    (missing last) and ``rank2`` twice their average ranks (0 where missing);
    ``grank_a`` and ``n_present`` (segments, T) are the segments' sums of each day's
    rank over ``T_i + 2`` and their counts of present days; ``sd`` (segments, J), when
    the caller has it, the cross-sectional s.d. of ``scar``.  For each column the event
    observation's place among a firm-event's residuals is found by binary search, and a
    day is above it exactly when its doubled rank exceeds twice the number of residuals
    at or below the observation.  The per-day sums over a cohort's firm-events are
    taken block by block (a few hundred firm-events, every column at once), which keeps
    the (firm-events x columns x days) comparisons in cache.
    """
    n_seg, n_cols = len(starts), scar.shape[1]
    k, t = rank2.shape
    present = rank2 > 0
    t_i = present.sum(axis=1)
    w = 1.0 / (t_i + 2.0)
    complete = t_i == t
    if sd is None:  # the re-standardization: the cross-sectional s.d. of each column
        *_, sd = _cross_sectional(scar, starts, sizes)
    with np.errstate(invalid="ignore", divide="ignore"):
        g = scar / np.repeat(sd, sizes, axis=0)
    valid = np.isfinite(g)
    query = np.where(valid, g, 0.0)
    # residuals below the observation, and whether one equals it (in blocks of rows, whose
    # sorted residuals stay in cache while they are searched)
    lt = np.empty(query.shape, dtype=np.intp)
    hit = np.empty(query.shape, dtype=bool)
    for a in range(0, k, 1024):
        rows = slice(a, a + 1024)
        lt[rows] = _bisect_left(sar_sorted[rows], query[rows])
        pos = np.minimum(lt[rows], t - 1)
        hit[rows] = (lt[rows] < t_i[rows, None]) & (
            np.take_along_axis(sar_sorted[rows], pos, axis=1) == query[rows]
        )
    le = lt.copy()  # residuals at or below the observation
    if hit.any():
        rows, cols = np.nonzero(hit)
        le[rows, cols] = [
            np.searchsorted(sar_sorted[r, : t_i[r]], query[r, c], side="right")
            for r, c in zip(rows, cols, strict=True)
        ]
    n = _segment_sum(valid.astype(float), starts)
    u0 = np.where(valid, (1 + lt + 0.5 * (le - lt)) * w[:, None] - 0.5, 0.0)
    var_rows = np.where(valid, (t_i / (12.0 * (t_i + 2.0)))[:, None], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        u_bar0 = _segment_sum(u0, starts) / n
        var = _segment_sum(var_rows, starts) / n**2
    # rows counted with the common weight 1/(T+2): complete, valid, no residual equal to
    # the observation; their threshold is 2 le (a day is above when rank2 > 2 le), the
    # others' is out of reach and they are added exactly (odd rows are few)
    common = valid & complete[:, None] & (le == lt)
    thr = np.where(common, 2 * le, np.iinfo(np.uint16).max).astype(np.uint16)
    out = {key: np.full((n_seg, n_cols), np.nan) for key in GRANK_KEYS}
    block = max(1, block_cells // max(1, n_cols * t))  # rows per block

    def day_sums(a, b, local):
        """(segments, J, T) sums over rows a..b, by segments starting at ``local``."""
        seg = np.repeat(np.arange(len(local)), np.diff(np.r_[local, b - a]))
        above = rank2[a:b, None, :] > thr[a:b, :, None]  # (rows, J, T)
        ends = np.r_[local[1:], b - a]  # (a sum per segment: ten times reduceat's speed)
        b_sum = np.stack(
            [above[lo:hi].sum(axis=0, dtype=np.uint32) for lo, hi in zip(local, ends, strict=True)]
        ) / (t + 2.0)
        r2 = rank2[a:b]
        ii, jj = np.nonzero(valid[a:b] & ~common[a:b])
        if ii.size:
            hi = r2[ii] > (2 * le[a + ii, jj])[:, None]
            half = (r2[ii] > (2 * lt[a + ii, jj])[:, None]) & ~hi
            np.add.at(b_sum, (seg[ii], jj), w[a + ii][:, None] * (hi + 0.5 * half))
        a_corr = np.zeros_like(b_sum)
        n_corr = np.zeros_like(b_sum)
        ii, jj = np.nonzero(~valid[a:b])  # rows without this column's observation leave it
        if ii.size:
            np.add.at(a_corr, (seg[ii], jj), (r2[ii] / 2.0) * w[a + ii][:, None])
            np.add.at(n_corr, (seg[ii], jj), present[a + ii].astype(float))
        return b_sum, a_corr, n_corr

    def finish(segs, b_sum, a_corr, n_corr):
        a_sum = grank_a[segs][:, None, :] - a_corr
        n_t = n_present[segs][:, None, :] - n_corr
        nn, ub0 = n[segs], u_bar0[segs]
        with np.errstate(invalid="ignore", divide="ignore"):
            u_bar = np.where(n_t > 0, (a_sum + b_sum) / n_t - 0.5, 0.0)
            n_days = (n_t > 0).sum(axis=2) + 1.0  # days with a firm-event, and the event
            s_u = np.sqrt((((n_t / nn[:, :, None]) * u_bar**2).sum(axis=2) + ub0**2) / n_days)
            z = safe_divide(ub0, s_u)
            tt = z * np.sqrt((n_days - 2) / (n_days - 1 - z**2))
            zz = safe_divide(ub0, np.sqrt(var[segs]))
        ok = (nn >= 2) & (sd[segs] > 0)
        out["grank_t"][segs] = np.where(ok, tt, np.nan)
        out["grank_t_p"][segs] = np.where(ok, p_value_t(tt, n_days - 2.0), np.nan)
        out["grank_z"][segs] = np.where(ok, zz, np.nan)
        out["grank_z_p"][segs] = np.where(ok, p_value_z(zz), np.nan)

    first = 0
    while first < n_seg:
        a = int(starts[first])
        if sizes[first] == 0:  # no firm-event: no statistic
            first += 1
            continue
        if sizes[first] >= block:  # a large segment alone, block by block
            end = a + int(sizes[first])
            parts = [day_sums(r, min(r + block, end), np.array([0])) for r in range(a, end, block)]
            finish(np.array([first]), *(sum(p[i] for p in parts) for i in range(3)))
            first += 1
            continue
        last, rows = first, 0  # consecutive small segments up to a block
        while last < n_seg and 0 < sizes[last] and rows + sizes[last] <= block:
            rows += int(sizes[last])
            last += 1
        segs = np.arange(first, last)
        finish(segs, *day_sums(a, a + rows, (starts[segs] - a).astype(np.intp)))
        first = last
    return out


def _permutation(mean, present, starts, sizes, est_resid_sum, n_firms, length):
    """Calendar-time permutation p-values per segment and column, as
    :func:`research.inference.permutation_p` on :func:`research.inference.permutation_null`.
    """
    n_seg, n_cols = mean.shape
    p = np.full((n_seg, n_cols), np.nan)
    bounds = np.full((2, n_seg, n_cols), np.nan)  # the null's 2.5% and 97.5% quantiles
    incomplete = ~present.all(axis=1)
    for k in np.unique(length).astype(int):
        cols = np.flatnonzero(length == k)
        total = block_sums(est_resid_sum, k)  # sum over firm-events of their block sums
        count = np.repeat(n_firms[:, None], total.shape[1], axis=1).astype(float)
        if incomplete.any():  # a firm-event with no day in a block leaves that block's mean
            days = np.where(present[incomplete], 1.0, np.nan)
            empty = ~np.isfinite(block_sums(days, k))
            lost = np.zeros((len(present), total.shape[1]))
            lost[incomplete] = empty
            count -= _segment_sum(lost, starts)
        with np.errstate(invalid="ignore", divide="ignore"):
            null = np.where(count > 0, total / count, np.nan)
        m = np.isfinite(null).sum(axis=1)
        q = np.full((2, n_seg), np.nan)
        rows = m > 0
        if rows.any():
            q[:, rows] = np.nanquantile(null[rows], [0.025, 0.975], axis=1)
        for j in cols:
            bounds[:, :, j] = q
            p[:, j] = permutation_p(mean[:, j], null)  # one row of null per segment
    return p, bounds


def pooled_battery(
    ar: np.ndarray,
    sd: np.ndarray,
    sigma: np.ndarray,
    df: np.ndarray,
    u_event: np.ndarray,
    starts: np.ndarray,
    est: dict[str, np.ndarray],
    options: TestOptions,
    *,
    ar_days: np.ndarray,
    est_present: np.ndarray,
    sar_sorted: np.ndarray | None = None,
    sar_rank2: np.ndarray | None = None,
    dependent: dict[str, np.ndarray] | None = None,
    window_days: np.ndarray | None = None,
    length: np.ndarray | None = None,
    pmf: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Every cross-firm test for consecutive segments of rows.

    Parameters
    ----------
    ar, sd, u_event
        (N, J) abnormal returns (or CARs), their prediction-error s.d. and
        Corrado ``U`` (for CARs, summed over the window), rows grouped into
        segments (cohorts) that begin at ``starts``.
    sigma, df
        (N,) residual s.d. and degrees of freedom.
    est
        :meth:`research.cohorts.EstimationSums.summaries` of the segments.
    ar_days
        (N, L) the rows' event-window daily ARs.
    est_present
        (N, T) the rows' estimation days with a residual.
    sar_sorted, sar_rank2
        (N, T) each row's standardized estimation residuals sorted, and twice their
        average ranks (0 where missing): the dependent-sample tests pair and rank them.
    dependent
        Instead of ``sar_sorted`` and ``sar_rank2``: those tests' per-segment results,
        computed while estimating (``pairs``, (segments, 4) sums of
        :func:`incomplete_pair_sums`, and ``grank_t``, ``grank_t_p``, ``grank_z``,
        ``grank_z_p``, (segments, J)).
    window_days
        (N, J) days with an AR in each column (default: 1 where ``ar`` is present).
    length
        (J,) days per column.

    Returns
    -------
    dict
        (segments, J) arrays: ``n``, ``aar`` and every name of
        :data:`research.inference.TEST_NAMES` with ``<name>_p`` (the keys and
        values of :func:`research.inference.battery`, one row per segment).
    """
    n_rows, n_cols = ar.shape
    sizes = np.diff(np.r_[starts, n_rows]).astype(int)
    length = np.ones(n_cols) if length is None else np.asarray(length, dtype=float)
    pmf = signed_rank_null() if pmf is None else pmf
    if window_days is None:
        window_days = np.isfinite(ar).astype(float)
    out: dict[str, np.ndarray] = {}
    n, mean, t, p, sd_cs, cubes = _cross_sectional(ar, starts, sizes, cubes=True)
    out["n"], out["aar"] = n, mean
    out["cross_sectional_t"], out["cross_sectional_t_p"] = t, p

    crude = ratio_or_zero(mean, np.sqrt(length)[None, :] * est["est_aar_sd"][:, None])
    out["crude_dependence"] = crude
    out["crude_dependence_p"] = p_value_t(
        crude, np.broadcast_to(est["est_aar_df"][:, None], crude.shape)
    )

    sar = safe_divide(ar, sd)
    var_t = np.where(df > 2, safe_divide(df, df - 2), np.nan)
    present = np.isfinite(sar) & np.isfinite(var_t)[:, None]
    z = ratio_or_zero(
        _segment_sum(np.where(present, sar, 0.0), starts),
        np.sqrt(_segment_sum(np.where(present, var_t[:, None], 0.0), starts)),
    )
    out["patell_z"], out["patell_z_p"] = z, p_value_z(z)

    sar_bmp = (
        sar if options.bmp_prediction_error else safe_divide(ar, sigma[:, None] * np.sqrt(length))
    )
    nb, _, bmp_t, bmp_p, sd_bmp = _cross_sectional(sar_bmp, starts, sizes)
    out["bmp_t"], out["bmp_t_p"] = bmp_t, bmp_p

    if dependent is None:
        dependent = {
            "pairs": incomplete_pair_sums(sar_sorted, sar_rank2, sigma, ar_days, starts, sizes)
        }
    r_bar, r_bar_u = mean_correlations(est, dependent["pairs"])
    # for the interval of the mean (underscore: not an output column)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["_se"] = sd_cs / np.sqrt(n)
    out["_r_bar"] = np.broadcast_to(r_bar[:, None], mean.shape)
    kp = bmp_t * correlation_adjustment(r_bar[:, None], nb)
    out["kolari_pynnonen_t"], out["kolari_pynnonen_t_p"] = kp, p_value_t(kp, nb - 1)

    u_finite = np.isfinite(u_event)
    u_count = _segment_sum(u_finite.astype(float), starts)
    u_bar = np.where(
        u_count > 0,
        _segment_sum(np.where(u_finite, u_event, 0.0), starts) / np.maximum(u_count, 1),
        np.nan,
    )
    rank = safe_divide(u_bar, np.sqrt(length)[None, :] * est["s_u"][:, None])
    out["corrado_rank_z"], out["corrado_rank_z_p"] = rank, p_value_z(rank)

    finite = np.isfinite(ar)
    positive = _segment_sum((finite & (ar > 0)).astype(float), starts)
    nonzero = _segment_sum((finite & (ar != 0)).astype(float), starts)
    sign = safe_divide(positive - nonzero / 2, np.sqrt(nonzero / 4))
    out["sign_z"], out["sign_z_p"] = sign, p_value_z(sign)
    p_hat = est["p_hat"][:, None]
    gsign = safe_divide(positive - n * p_hat, np.sqrt(n * p_hat * (1 - p_hat)))
    out["generalized_sign_z"], out["generalized_sign_z_p"] = gsign, p_value_z(gsign)

    out["wilcoxon"], out["wilcoxon_p"] = _wilcoxon(ar, starts, sizes, pmf)

    n_patell = _segment_sum(present.astype(float), starts)
    adj_patell = z * correlation_adjustment(r_bar[:, None], n_patell, cross_sectional=False)
    out["adjusted_patell_z"], out["adjusted_patell_z_p"] = adj_patell, p_value_z(adj_patell)
    m = (est_present.sum(axis=1) + np.isfinite(ar_days).sum(axis=1))[:, None]
    v0 = _segment_sum(np.where(u_finite, rank_sum_variance(m, window_days), 0.0), starts)
    with np.errstate(invalid="ignore", divide="ignore"):
        adj_rank = safe_divide(u_bar, np.sqrt(v0 / u_count**2)) * correlation_adjustment(
            r_bar_u[:, None], u_count, cross_sectional=False
        )
    out["adjusted_rank_z"], out["adjusted_rank_z_p"] = adj_rank, p_value_z(adj_rank)
    if "grank_t" in dependent:
        out.update({key: dependent[key] for key in GRANK_KEYS})
    else:
        grank = _grank(
            sar_sorted,
            sar_rank2,
            sar,
            starts,
            sizes,
            est["grank_a"],
            est["n_present"],
            sd=sd_bmp if sar_bmp is sar else None,  # the same cross-section: computed once
        )
        out.update(grank)
    out["skewness_corrected_t"], out["skewness_corrected_t_p"] = skewness_corrected_from_moments(
        n, mean, sd_cs, cubes
    )
    out["permutation"] = mean
    out["permutation_p"], bounds = _permutation(
        mean, est_present, starts, sizes, est["resid_sum"], est["n"], length
    )
    out["_perm_lo"], out["_perm_hi"] = bounds  # the permutation interval: obs - hi, obs - lo
    out["n"] = out["n"].astype(int)
    return out
