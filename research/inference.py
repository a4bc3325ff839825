r"""Test statistics for abnormal returns, across securities or events.

All functions take arrays for one cohort of ``N`` firm-events: event-window
abnormal returns ``ar`` (N, L), their standard deviations with the
prediction-error correction ``sd`` (N, L), estimation-window residuals
``est`` (N, T), residual degrees of freedom ``df`` (N,).  Missing values are
NaN and are skipped; ``n`` is the number of firm-events with a value.
Every statistic ``x`` comes with ``x_p``, its two-sided p-value.

``t_single``
    :math:`AR_{it} / (\hat\sigma_i\sqrt{1+x_t'(X'X)^{-1}x_t})`, :math:`t_{m_i-p}`
    (Campbell, Lo & MacKinlay 1997, eq. 4.4.7).
``crude_dependence``
    :math:`\overline{AR}_t / S(\overline{AR})`, S the s.d. of the estimation-window
    AARs, :math:`t_{T-1}` (Brown & Warner 1980, 1985).
``cross_sectional_t``
    :math:`\overline{AR}_t / (s_t/\sqrt{N})`, :math:`t_{N-1}` (Brown & Warner 1985).
``patell_z``
    :math:`\sum_i SAR_{it} / \sqrt{\sum_i d_i/(d_i-2)}`, N(0,1) (Patell 1976).
``bmp_t``
    :math:`\overline{SAR}_t / (s_{SAR,t}/\sqrt{N})`, :math:`t_{N-1}`
    (Boehmer, Musumeci & Poulsen 1991).
``kolari_pynnonen_t``
    :math:`t_{BMP}\sqrt{(1-\bar r)/(1+(N-1)\bar r)}`, :math:`\bar r` the mean
    pairwise correlation of estimation residuals (Kolari & Pynnönen 2010).
``corrado_rank_z``
    :math:`\bar U_t / S_U`, ranks over the estimation and event windows; for a
    CAR window :math:`\sum_{t\in W}\bar U_t/(\sqrt L S_U)` (Corrado 1989; Cowan 1992).
``sign_z``
    :math:`(N^+ - N_{\ne0}/2)/\sqrt{N_{\ne0}/4}`, zero ARs dropped (Cowan & Sergeant 1996).
``generalized_sign_z``
    :math:`(N^+ - N\hat p)/\sqrt{N\hat p(1-\hat p)}`, :math:`\hat p` the share of
    positive estimation residuals (Cowan 1992).
``wilcoxon``
    The signed-rank sum :math:`W^+` of the ARs; p-value from scipy (exact for
    small N) (Wilcoxon 1945).

``SAR = AR / sd`` with ``sd`` the prediction-error-corrected standard
deviation (``bmp_prediction_error=False`` standardizes by ``sigma`` alone, the
variant some packages use).  ``d_i = m_i - p`` are the residual degrees of
freedom.  In Corrado's test ``U_it = K_it/(M_i+1) - 1/2`` with ``K_it`` the
rank of ``AR_it`` among the ``M_i`` non-missing days of the combined window
and :math:`S_U^2 = \frac{1}{T - \delta}\sum_t \bar U_t^2` (``δ = rank_ddof``;
Corrado divides by ``T``, some packages by ``T - 1``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special, stats

TEST_NAMES = (
    "crude_dependence",
    "cross_sectional_t",
    "patell_z",
    "bmp_t",
    "kolari_pynnonen_t",
    "corrado_rank_z",
    "sign_z",
    "generalized_sign_z",
    "wilcoxon",
)


@dataclass(frozen=True)
class TestOptions:
    """Conventions of the tests.

    Attributes
    ----------
    bmp_prediction_error
        Standardize BMP (and Kolari-Pynnönen) by the prediction-error-corrected
        s.d. (True, as Boehmer et al. 1991) or by sigma alone.
    rank_ddof
        Divisor ``T - rank_ddof`` of Corrado's rank variance.
    """

    bmp_prediction_error: bool = True
    rank_ddof: int = 0


def _p_t(t: np.ndarray, df: np.ndarray) -> np.ndarray:
    """Two-sided Student-t p-value, ``2 F(-|t|; df)`` (scipy.special.stdtr: same values as
    ``stats.t.sf``, without the distribution-object overhead)."""
    with np.errstate(invalid="ignore"):
        p = 2 * special.stdtr(np.maximum(df, 1), -np.abs(t))
    return np.where(np.isfinite(t) & (np.asarray(df) > 0), p, np.nan)


def _p_z(z: np.ndarray) -> np.ndarray:
    """Two-sided normal p-value, ``2 Phi(-|z|)``."""
    return np.where(np.isfinite(z), 2 * special.ndtr(-np.abs(z)), np.nan)


def _div(a, b):
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.true_divide(a, b)
    return np.where(np.isfinite(out), out, np.nan)


def _ratio(num, den):
    """``num / den`` where an exactly zero numerator gives 0 (no evidence), even over 0."""
    num = np.asarray(num, dtype=float)
    return np.where(num == 0, 0.0, _div(num, den))


def single_t(ar: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """``t_single``, ``AR / sd``, of each firm-event and day (or CAR window)."""
    return _div(ar, sd)


def single_p(t: np.ndarray, df: np.ndarray) -> np.ndarray:
    """Two-sided p-value of ``t_single`` (K, ...) on each row's ``df`` (K,) degrees of
    freedom."""
    df = np.asarray(df, dtype=float)
    return _p_t(t, np.broadcast_to(df.reshape(-1, *([1] * (t.ndim - 1))), t.shape))


def mean_residual_correlation(est: np.ndarray) -> float:
    """Mean pairwise correlation of estimation residuals across firm-events.

    Residuals are standardized over each row's own non-missing days; missing
    days contribute zero.  With complete data this is exactly the mean of the
    ``N(N-1)/2`` pairwise Pearson correlations, computed in O(NT) as
    :math:`(\\sum_t(\\sum_i z_{it})^2 - \\sum_{it} z_{it}^2) / ((T-1) N (N-1))`.
    """
    n = est.shape[0]
    if n < 2:
        return 0.0
    finite = np.isfinite(est)
    t_eff = finite.sum(axis=1)
    filled = np.where(finite, est, 0.0)
    mean = filled.sum(axis=1, keepdims=True) / np.maximum(t_eff, 1)[:, None]
    dev = np.where(finite, est - mean, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt((dev**2).sum(axis=1, keepdims=True) / (t_eff - 1)[:, None])
        z = np.where(finite, dev / sd, 0.0)
    total = (z.sum(axis=0) ** 2).sum() - (z**2).sum()
    return float(total / ((np.mean(t_eff) - 1) * n * (n - 1)))


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..M of each row's non-missing values, ties averaged (NaN stays NaN).

    Same result as ``scipy.stats.rankdata(row, method="average")`` on each row's finite
    values, for all rows at once.

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
    bits = max(1, (t - 1).bit_length())
    if k == 0 or t < 2 or bits > 12:
        return _average_ranks_argsort(values)
    low = np.uint64((1 << bits) - 1)
    biggest = np.finfo(float).max
    missing = np.isnan(values)
    any_missing = bool(missing.any())
    # NaN keys would lose their bits in the sort (it writes back a canonical NaN):
    # missing values become the largest finite float instead, which also sorts last
    key = (np.where(missing, biggest, values) if any_missing else values).view(np.uint64) & ~low
    key |= np.arange(t, dtype=np.uint64)
    key = key.view(np.float64)
    key.sort(axis=1)
    key = key.view(np.uint64)
    flat = (key & low).astype(np.intp)
    key &= ~low
    high = key.view(np.float64)
    tie = high[:, 1:] == high[:, :-1]
    if any_missing:  # only pairs of present values count
        tie &= np.arange(1, t)[None, :] < (t - missing.sum(axis=1))[:, None]
    # infinities lose their bits too, and the largest float is the stand-in for NaN
    suspect = tie.any(axis=1) | (np.abs(values) >= biggest).any(axis=1)
    flat += (np.arange(k) * t)[:, None]
    ranks = np.empty(k * t)
    ranks[flat] = np.arange(1.0, t + 1)
    ranks = ranks.reshape(k, t)
    if suspect.any():
        ranks[suspect] = _average_ranks_argsort(values[suspect])
    if any_missing:
        ranks[missing] = np.nan
    return ranks


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
    ties, the ordinal positions of each run of equal values are averaged."""
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


def nanmean_columns(a: np.ndarray) -> np.ndarray:
    """Column means over finite values; NaN, without a warning, where a column has none."""
    finite = np.isfinite(a)
    count = finite.sum(axis=0)
    total = np.where(finite, a, 0.0).sum(axis=0)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def wilcoxon_signed_rank(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``W+`` and its two-sided p-value for each column of ``x`` (zeros and NaN dropped).

    Columns with at most 50 values get scipy's own p-value (exact, or a permutation
    test when there are ties or zeros); larger columns, where scipy uses the normal
    approximation, get the same formula vectorised: tie-corrected
    :math:`\\sigma^2 = n(n+1)(2n+1)/24 - \\sum(t^3-t)/48`, no continuity correction.
    """
    n_cols = x.shape[1]
    w_p = np.full(n_cols, np.nan)
    finite = np.isfinite(x)
    absx = np.where(finite & (x != 0), np.abs(x), np.nan)
    ranks = average_ranks(absx.T).T
    n = np.isfinite(absx).sum(axis=0)
    w_plus = np.where(finite & (x > 0), ranks, 0.0).sum(axis=0)
    w_stat = np.where(n > 0, w_plus, np.nan)
    for j in np.flatnonzero(n > 0):
        if finite[:, j].sum() <= 50:
            w_p[j] = stats.wilcoxon(x[finite[:, j], j], zero_method="wilcox").pvalue
            continue
        _, counts = np.unique(absx[np.isfinite(absx[:, j]), j], return_counts=True)
        nj = float(n[j])
        var = nj * (nj + 1) * (2 * nj + 1) / 24 - (counts**3 - counts).sum() / 48
        w_p[j] = 2 * stats.norm.sf(abs(w_plus[j] - nj * (nj + 1) / 4) / np.sqrt(var))
    return w_stat, w_p


def cross_sectional(values: np.ndarray) -> dict[str, np.ndarray]:
    """Cross-sectional t of the mean of ``values`` (N, J) for each column."""
    n = np.isfinite(values).sum(axis=0)
    mean = nanmean_columns(values)
    dev = np.where(np.isfinite(values), values - mean, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.where(n > 1, np.sqrt((dev**2).sum(axis=0) / (n - 1)), np.nan)
    t = _ratio(mean, sd / np.sqrt(n))
    return {"n": n, "mean": mean, "t": t, "p": _p_t(t, n - 1)}


def battery(
    ar: np.ndarray,
    sd: np.ndarray,
    sigma: np.ndarray,
    df: np.ndarray,
    est: np.ndarray,
    options: TestOptions,
    *,
    u_event: np.ndarray | None = None,
    u_all: np.ndarray | None = None,
    length: np.ndarray | None = None,
    est_aar_sd: float | None = None,
    est_aar_df: int | None = None,
    p_hat: float | None = None,
    r_bar: float | None = None,
) -> dict[str, np.ndarray]:
    """Every cross-firm test for the columns of ``ar`` (days, or CAR windows).

    Parameters
    ----------
    ar, sd
        (N, J) abnormal returns (or CARs) and their prediction-error s.d.
    sigma, df
        (N,) residual s.d. and degrees of freedom.
    est
        (N, T) estimation residuals.
    u_event
        (N, J) Corrado ``U`` of the columns (for CARs: the sum over the window's days).
    u_all
        (N, T+L) ``U`` over the combined window, for ``S_U``.
    length
        (J,) days per column (1 for days, L for CAR windows), used by the
        crude-dependence and rank tests.
    est_aar_sd, est_aar_df, p_hat, r_bar
        Precomputed estimation-window quantities (computed here when None).

    Returns
    -------
    dict
        ``n``, ``aar`` and every name of :data:`TEST_NAMES` with ``<name>_p``.
    """
    n_cols = ar.shape[1]
    length = np.ones(n_cols) if length is None else np.asarray(length, dtype=float)
    out: dict[str, np.ndarray] = {}
    cs = cross_sectional(ar)
    n = cs["n"]
    out["n"] = n
    out["aar"] = cs["mean"]
    out["cross_sectional_t"], out["cross_sectional_t_p"] = cs["t"], cs["p"]

    # Brown-Warner crude dependence adjustment: S from estimation-window AARs.
    if est_aar_sd is None:
        est_aar = nanmean_columns(est)
        est_aar = est_aar[np.isfinite(est_aar)]
        est_aar_sd = float(np.std(est_aar, ddof=1)) if est_aar.size > 1 else np.nan
        est_aar_df = int(est_aar.size - 1)
    crude = _ratio(cs["mean"], np.sqrt(length) * est_aar_sd)
    out["crude_dependence"] = crude
    out["crude_dependence_p"] = _p_t(crude, np.full(n_cols, est_aar_df or 0))

    # Patell: standardized ARs, variance d/(d-2) each.
    sar = _div(ar, sd)
    var_t = np.where(df > 2, _div(df, df - 2), np.nan)
    present = np.isfinite(sar) & np.isfinite(var_t)[:, None]
    z = _ratio(
        np.where(present, sar, 0.0).sum(axis=0),
        np.sqrt(np.where(present, var_t[:, None], 0.0).sum(axis=0)),
    )
    out["patell_z"], out["patell_z_p"] = z, _p_z(z)

    # BMP on SARs (optionally without the prediction-error correction).
    if options.bmp_prediction_error:
        sar_bmp = sar
    else:
        sar_bmp = _div(ar, sigma[:, None] * np.sqrt(length)[None, :])
    bmp = cross_sectional(sar_bmp)
    out["bmp_t"], out["bmp_t_p"] = bmp["t"], bmp["p"]

    # Kolari-Pynnönen: BMP adjusted for cross-correlation of residuals.
    if r_bar is None:
        r_bar = mean_residual_correlation(est)
    nb = bmp["n"]
    with np.errstate(invalid="ignore", divide="ignore"):
        adj = np.sqrt((1 - r_bar) / (1 + (nb - 1) * r_bar))
    kp = bmp["t"] * adj
    out["kolari_pynnonen_t"], out["kolari_pynnonen_t_p"] = kp, _p_t(kp, nb - 1)

    # Corrado rank test (Cowan 1992 for multi-day windows).
    if u_event is not None and u_all is not None:
        u_bar_all = nanmean_columns(u_all)
        u_bar_all = u_bar_all[np.isfinite(u_bar_all)]
        s_u = np.sqrt((u_bar_all**2).sum() / (u_bar_all.size - options.rank_ddof))
        u_bar = nanmean_columns(u_event)
        rank = _div(u_bar, np.sqrt(length) * s_u)
        out["corrado_rank_z"], out["corrado_rank_z_p"] = rank, _p_z(rank)
    else:
        out["corrado_rank_z"] = out["corrado_rank_z_p"] = np.full(n_cols, np.nan)

    # Sign test on the non-zero ARs (ties dropped); generalized sign counts zeros as
    # non-positive, as its estimation-window share p_hat does (Cowan 1992).
    positive = np.where(np.isfinite(ar), ar > 0, False).sum(axis=0)
    nonzero = np.where(np.isfinite(ar), ar != 0, False).sum(axis=0)
    sign = _div(positive - nonzero / 2, np.sqrt(nonzero / 4))
    out["sign_z"], out["sign_z_p"] = sign, _p_z(sign)
    if p_hat is None:
        finite = np.isfinite(est)
        per_row = _div(np.where(finite, est > 0, False).sum(axis=1), finite.sum(axis=1))
        p_hat = float(nanmean_columns(per_row[:, None])[0]) if per_row.size else np.nan
    gsign = _div(positive - n * p_hat, np.sqrt(n * p_hat * (1 - p_hat)))
    out["generalized_sign_z"], out["generalized_sign_z_p"] = gsign, _p_z(gsign)

    # Wilcoxon signed-rank on the ARs of each column.
    out["wilcoxon"], out["wilcoxon_p"] = wilcoxon_signed_rank(ar)
    return out


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
