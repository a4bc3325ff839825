r"""Pooled (cross-firm) tests for many cohorts at once.

:func:`research.stats.inference.battery` computes every test for one cohort from its
firm-events' arrays; it is the readable reference.  A study of a whole market
has thousands of cohorts and hundreds of thousands of firm-events, so the
study computes the same statistics here, for every cohort in one pass:

* the estimation-window quantities the tests need (the AAR series of the
  crude-dependence test, the mean residual correlation of Kolari-Pynnönen, the
  share of positive residuals of the generalized sign test, Corrado's
  :math:`S_U`) are sums over firm-events, so
  :class:`research.estimation.cohorts.EstimationSums` adds them up per cell (event,
  group) while the study estimates, chunk by chunk, and
  the residuals need not be kept;
* the event-window statistics are group sums over the firm-events of each
  cohort (:func:`pooled_battery`); the Wilcoxon signed ranks are ranked within
  each cohort and column by padding cohorts of similar size into rows.

Formulas, references and conventions are those of :mod:`research.stats.inference`;
``tests/test_pooling.py`` holds every statistic equal to ``battery`` cohort by
cohort.
"""

from __future__ import annotations

import numpy as np

from research.stats.dependent import GRANK_KEYS
from research.stats.inference import (
    TestOptions,
    block_sums,
    correlation_adjustment,
    permutation_p,
    permutation_z,
    skewness_corrected_from_moments,
    standardized_abnormal_returns,
)
from research.stats.numerics import (
    cross_sectional_moments,
    p_value_t,
    p_value_z,
    ratio_or_zero,
    row_counts,
    safe_divide,
    segment_sum,
)
from research.stats.ranks import average_ranks, rank_sum_variance, signed_rank_z, tie_runs

__all__ = [
    "mean_correlations",
    "pooled_battery",
    "signed_rank_null",
]


# ----------------------------------------------------------------------------------------
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

    As in :func:`research.stats.ranks.average_ranks`, a sort replaces the argsort: the
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
    :func:`research.stats.inference.wilcoxon_signed_rank` (which follows scipy).
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


def mean_correlations(
    est: dict[str, np.ndarray], incomplete: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per segment: the mean pairwise-complete correlation of the estimation residuals and
    of Corrado's U on the estimation days (as
    :func:`research.stats.inference.mean_residual_correlation`), from the complete pairs' sums
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


def _permutation(mean, present, starts, sizes, est_resid_sum, n_firms, length):
    """Calendar-time permutation p-values, null quantiles and z (the observed mean in the
    null's standard deviations) per segment and column, as
    :func:`research.stats.inference.permutation_p` and
    :func:`research.stats.inference.permutation_z` on
    :func:`research.stats.inference.permutation_null`.
    """
    n_seg, n_cols = mean.shape
    p = np.full((n_seg, n_cols), np.nan)
    z = np.full((n_seg, n_cols), np.nan)
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
            count -= segment_sum(lost, starts)
        with np.errstate(invalid="ignore", divide="ignore"):
            null = np.where(count > 0, total / count, np.nan)
        m = np.isfinite(null).sum(axis=1)
        q = np.full((2, n_seg), np.nan)
        rows = m > 0
        if rows.any():
            part = null[rows]  # np.quantile equals np.nanquantile without NaN, 8x faster
            quantile = np.quantile if np.isfinite(part).all() else np.nanquantile
            q[:, rows] = quantile(part, [0.025, 0.975], axis=1)
        for j in cols:
            bounds[:, :, j] = q
            p[:, j] = permutation_p(mean[:, j], null)  # one row of null per segment
            z[:, j] = permutation_z(mean[:, j], null)
    return p, bounds, z


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
        :meth:`research.estimation.cohorts.EstimationSums.summaries` of the segments.
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
        :data:`research.stats.inference.TEST_NAMES` with ``<name>_p`` (the keys and
        values of :func:`research.stats.inference.battery`, one row per segment).
    """
    n_rows, n_cols = ar.shape
    sizes = np.diff(np.r_[starts, n_rows]).astype(int)
    length = np.ones(n_cols) if length is None else np.asarray(length, dtype=float)
    pmf = signed_rank_null() if pmf is None else pmf
    if window_days is None:
        window_days = np.isfinite(ar).astype(float)
    out: dict[str, np.ndarray] = {}
    n, mean, t, p, sd_cs, cubes = cross_sectional_moments(ar, starts, sizes, cubes=True)
    out["n"], out["aar"] = n, mean
    out["cross_sectional_t"], out["cross_sectional_t_p"] = t, p

    crude = ratio_or_zero(mean, np.sqrt(length)[None, :] * est["est_aar_sd"][:, None])
    out["crude_dependence"] = crude
    out["crude_dependence_p"] = p_value_t(
        crude, np.broadcast_to(est["est_aar_df"][:, None], crude.shape)
    )

    sar, var_t, present, sar_bmp = standardized_abnormal_returns(ar, sd, sigma, df, length, options)
    z = ratio_or_zero(
        segment_sum(np.where(present, sar, 0.0), starts),
        np.sqrt(segment_sum(np.where(present, var_t[:, None], 0.0), starts)),
    )
    out["patell_z"], out["patell_z_p"] = z, p_value_z(z)

    nb, _, bmp_t, bmp_p, sd_bmp = cross_sectional_moments(sar_bmp, starts, sizes)
    out["bmp_t"], out["bmp_t_p"] = bmp_t, bmp_p

    if dependent is None:  # from the rows' own residuals (the one-cohort reference path)
        from research.stats.dependent import grank, incomplete_pair_sums

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
    adj_cs = safe_divide(mean, out["_se"]) * correlation_adjustment(r_bar[:, None], n)
    out["kp_cross_sectional_t"] = adj_cs
    out["kp_cross_sectional_t_p"] = p_value_t(adj_cs, n - 1)

    u_finite = np.isfinite(u_event)
    u_count = segment_sum(u_finite.astype(float), starts)
    u_bar = np.where(
        u_count > 0,
        segment_sum(np.where(u_finite, u_event, 0.0), starts) / np.maximum(u_count, 1),
        np.nan,
    )
    rank = safe_divide(u_bar, np.sqrt(length)[None, :] * est["s_u"][:, None])
    out["corrado_rank_z"], out["corrado_rank_z_p"] = rank, p_value_z(rank)
    # S_U comes from estimation days' mean ranks: the firm-events ranked on an average
    # estimation day, against which the event level's count is read (thin trading)
    n_est = est["n_present"]
    days = (n_est > 0).sum(axis=1)
    out["_rank_n_est"] = np.broadcast_to(
        safe_divide(n_est.sum(axis=1), days.astype(float))[:, None], mean.shape
    )
    out["_rank_n"] = u_count

    finite = np.isfinite(ar)
    positive = segment_sum((finite & (ar > 0)).astype(float), starts)
    nonzero = segment_sum((finite & (ar != 0)).astype(float), starts)
    sign = safe_divide(positive - nonzero / 2, np.sqrt(nonzero / 4))
    out["sign_z"], out["sign_z_p"] = sign, p_value_z(sign)
    p_hat = est["p_hat"][:, None]
    gsign = safe_divide(positive - n * p_hat, np.sqrt(n * p_hat * (1 - p_hat)))
    out["generalized_sign_z"], out["generalized_sign_z_p"] = gsign, p_value_z(gsign)

    out["wilcoxon"], out["wilcoxon_p"] = _wilcoxon(ar, starts, sizes, pmf)

    n_patell = segment_sum(present.astype(float), starts)
    adj_patell = z * correlation_adjustment(r_bar[:, None], n_patell, cross_sectional=False)
    out["adjusted_patell_z"], out["adjusted_patell_z_p"] = adj_patell, p_value_z(adj_patell)
    m = (row_counts(est_present) + row_counts(np.isfinite(ar_days)))[:, None]
    v0 = segment_sum(np.where(u_finite, rank_sum_variance(m, window_days), 0.0), starts)
    with np.errstate(invalid="ignore", divide="ignore"):
        adj_rank = safe_divide(u_bar, np.sqrt(v0 / u_count**2)) * correlation_adjustment(
            r_bar_u[:, None], u_count, cross_sectional=False
        )
    out["adjusted_rank_z"], out["adjusted_rank_z_p"] = adj_rank, p_value_z(adj_rank)
    if "grank_t" in dependent:
        out.update({key: dependent[key] for key in GRANK_KEYS})
    else:
        grank_out = grank(
            sar_sorted,
            sar_rank2,
            sar,
            starts,
            sizes,
            est["grank_a"],
            est["n_present"],
            sd=sd_bmp if sar_bmp is sar else None,  # the same cross-section: computed once
        )
        out.update(grank_out)
    out["skewness_corrected_t"], out["skewness_corrected_t_p"] = skewness_corrected_from_moments(
        n, mean, sd_cs, cubes
    )
    out["permutation_p"], bounds, out["permutation"] = _permutation(
        mean, est_present, starts, sizes, est["resid_sum"], est["n"], length
    )
    out["_perm_lo"], out["_perm_hi"] = bounds  # the permutation interval: obs - hi, obs - lo
    out["n"] = out["n"].astype(int)
    return out
