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

For dependent samples (firm-events that share calendar dates, whose abnormal
returns are cross-correlated; see docs/validation.md for their size there):

``adjusted_patell_z``
    :math:`z_{Patell}/\sqrt{1+(N-1)\bar r}`, N(0,1): Patell's variance is known under
    independence, so only the inflation of the variance of a sum of correlated SARs
    is corrected (Kolari & Pynnönen 2010; the form EventStudyTools publishes, whose
    BMP version also carries :math:`1-\bar r`).
``adjusted_rank_z``
    :math:`\bar U/\sqrt{V_0(1+(N-1)\bar r_U)}`, :math:`V_0 = N^{-2}\sum_i
    L_i(M_i-L_i)/(12(M_i+1))` the null variance of the mean of Corrado's ``U`` (summed
    over the ``L_i`` days of a CAR window) for independent firm-events, :math:`\bar r_U`
    the mean pairwise correlation of ``U`` over the estimation window, N(0,1): the rank
    analogue of ``adjusted_patell_z``.  The literature has no Kolari-Pynnönen factor
    for Corrado's own z, whose time-series :math:`S_U` already includes the
    correlation (multiplying it by one would count the correlation twice).
``grank_t``, ``grank_z``
    The generalized rank tests of Kolari & Pynnönen (2011): the event window
    collapsed into one cumulative standardized abnormal return, re-standardized
    cross-sectionally, ranked with the estimation-window standardized residuals;
    :math:`t = Z\sqrt{(T-2)/(T-1-Z^2)}` on :math:`t_{T-2}` and the normal Z.
``skewness_corrected_t``
    :math:`\sqrt N(S + \gamma S^2/3 + \gamma^2 S^3/27 + \gamma/(6N))`, S the
    mean over the cross-sectional s.d., :math:`\gamma` the sample skewness
    (Hall 1992; as EventStudyTools).
``permutation``
    The event-window mean abnormal return (or CAAR) against the same mean on every
    estimation day (every run of L estimation days for an L-day CAR): the
    calendar-time permutation distribution, which keeps the cross-correlation of
    the firm-events; :math:`p = \min(1, 2\min(P_{\ge}, P_{\le}))` with
    :math:`P_{\ge} = (1 + \#\{null \ge obs\})/(M+1)`.  The ``permutation`` column holds
    the observed mean in the null's standard deviations,
    :math:`(obs - \bar{null})/s(null)` (:func:`permutation_z`), so that it reads like the
    z and t columns beside it; the p-value is the permutation one, not a normal one.

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
from scipy import special  # scipy.stats is imported where used: it costs 0.25 s

from research.stats.numerics import (
    nanmean_columns,
    p_value_t,
    p_value_z,
    ratio_or_zero,
    safe_divide,
)
from research.stats.ranks import average_ranks, rank_sum_variance, signed_rank_z

TEST_NAMES = (
    "crude_dependence",
    "cross_sectional_t",
    "patell_z",
    "bmp_t",
    "kolari_pynnonen_t",
    "kp_cross_sectional_t",
    "corrado_rank_z",
    "sign_z",
    "generalized_sign_z",
    "wilcoxon",
    "adjusted_patell_z",
    "adjusted_rank_z",
    "grank_t",
    "grank_z",
    "skewness_corrected_t",
    "permutation",
)

# Tests that assume independent firm-events (their size in a cohort sharing one date is
# reported in docs/validation.md and with every clustered study's output).
INDEPENDENCE_TESTS = (
    "cross_sectional_t",
    "patell_z",
    "bmp_t",
    "sign_z",
    "generalized_sign_z",
    "wilcoxon",
    "skewness_corrected_t",
    "grank_z",
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


def standardized_abnormal_returns(ar, sd, sigma, df, length, options: TestOptions):
    """The standardizations the parametric tests share, for the one-cohort reference and
    the pooled path alike.

    Returns
    -------
    sar, var_t, present, sar_bmp
        ``SAR = AR/sd`` (prediction-error corrected; Patell 1976), its null variance
        ``d/(d-2)`` on ``d`` residual degrees of freedom (NaN for ``d <= 2``), where both
        exist, and the SAR of BMP and Kolari-Pynnönen: ``sar``, or with
        ``bmp_prediction_error=False`` ``AR/(sigma sqrt(L))``.
    """
    sar = safe_divide(ar, sd)
    var_t = np.where(df > 2, safe_divide(df, df - 2), np.nan)
    present = np.isfinite(sar) & np.isfinite(var_t)[:, None]
    if options.bmp_prediction_error:
        sar_bmp = sar
    else:
        sar_bmp = safe_divide(ar, sigma[:, None] * np.sqrt(np.asarray(length, float))[None, :])
    return sar, var_t, present, sar_bmp


def single_t(ar: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """``t_single``, ``AR / sd``, of each firm-event and day (or CAR window)."""
    return safe_divide(ar, sd)


def single_p(t: np.ndarray, df: np.ndarray) -> np.ndarray:
    """Two-sided p-value of ``t_single`` (K, ...) on each row's ``df`` (K,) degrees of
    freedom.
    """
    df = np.asarray(df, dtype=float)
    return p_value_t(t, np.broadcast_to(df.reshape(-1, *([1] * (t.ndim - 1))), t.shape))


def pairwise_correlations(x: np.ndarray, y: np.ndarray, min_common: int = 3) -> np.ndarray:
    r"""Pearson correlation of every row of ``x`` with every row of ``y`` over the days both
    have (pairwise-complete); NaN for pairs with fewer than ``min_common`` common days or
    no variation on them.

    Notes
    -----
    With masks :math:`m` and rows centred on their own means (which leaves a correlation
    over any subset of days unchanged), the sums over common days are matrix products:
    :math:`n_{ij} = m_i\cdot m_j`, :math:`S_{x,ij} = x_i\cdot m_j`,
    :math:`S_{xy,ij} = x_i\cdot y_j`, ..., and
    :math:`r_{ij} = (S_{xy} - S_xS_y/n)/\sqrt{(S_{xx} - S_x^2/n)(S_{yy} - S_y^2/n)}`.
    """
    same = y is x  # every row with every row: the products' transposes, not recomputed
    mx = np.isfinite(x)
    fx = mx.astype(float)
    x0 = np.where(mx, x - nanmean_columns(x.T)[:, None], 0.0)
    if same:
        fy, y0 = fx, x0
    else:
        my = np.isfinite(y)
        fy = my.astype(float)
        y0 = np.where(my, y - nanmean_columns(y.T)[:, None], 0.0)
    n = fx @ fy.T
    sx = x0 @ fy.T
    sy = sx.T if same else fx @ y0.T
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = x0 @ y0.T - sx * sy / n
        vx = (x0**2) @ fy.T - sx**2 / n
        vy = vx.T if same else fx @ (y0**2).T - sy**2 / n
        r = cov / np.sqrt(vx * vy)
    return np.where((n >= min_common) & (vx > 0) & (vy > 0), r, np.nan)


def mean_residual_correlation(est: np.ndarray, min_common: int = 3) -> float:
    r"""Mean pairwise correlation :math:`\bar r` of estimation residuals across firm-events.

    The mean of the ``N(N-1)/2`` Pearson correlations, each over the days both
    firm-events have (pairwise-complete, :func:`pairwise_correlations`); pairs with
    fewer than ``min_common`` common days are left out.  0 when there is no pair.
    Filling missing days with zero instead would bias :math:`\bar r` towards 0 on
    unbalanced samples (Kolari & Pynnönen 2010 use the pairwise correlations).
    """
    n = est.shape[0]
    if n < 2:
        return 0.0
    r = pairwise_correlations(est, est, min_common)[np.triu_indices(n, 1)]
    r = r[np.isfinite(r)]
    return float(r.mean()) if r.size else 0.0


def correlation_adjustment(r_bar, n, cross_sectional: bool = True) -> np.ndarray:
    r"""Kolari & Pynnönen's (2010) factor :math:`\sqrt{(1-\bar r)/(1+(N-1)\bar r)}` for a
    statistic whose variance is estimated cross-sectionally (BMP), or
    :math:`1/\sqrt{1+(N-1)\bar r}` for one whose variance is known under independence
    (``cross_sectional=False``: Patell, ranks).
    """
    r_bar, n = np.asarray(r_bar, dtype=float), np.asarray(n, dtype=float)
    # a mean correlation below -1/(N-1) is impossible for N series measured on the same
    # days; pairwise-complete correlations over different days can produce one, and the
    # factor is then undefined: no adjusted statistic rather than a confident wrong one
    r_bar = np.where(r_bar * (n - 1) > -1, r_bar, np.nan)
    top = (1 - r_bar) if cross_sectional else 1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt(top / (1 + (n - 1) * r_bar))


def wilcoxon_signed_rank(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""``W+`` and its two-sided p-value for each column of ``x`` (zeros and NaN dropped).

    Columns with at most 50 values get scipy's own p-value (exact, or a permutation
    test when there are ties or zeros); larger columns, where scipy uses the normal
    approximation, get the same formula vectorised: tie-corrected
    :math:`\sigma^2 = n(n+1)(2n+1)/24 - \sum(t^3-t)/48`, no continuity correction.
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
            from scipy import stats

            w_p[j] = stats.wilcoxon(x[finite[:, j], j], zero_method="wilcox").pvalue
            continue
        _, counts = np.unique(absx[np.isfinite(absx[:, j]), j], return_counts=True)
        z = signed_rank_z(w_plus[j], n[j], (counts**3 - counts).sum())
        w_p[j] = 2 * special.ndtr(-z)
    return w_stat, w_p


def cross_sectional(values: np.ndarray) -> dict[str, np.ndarray]:
    """Cross-sectional mean, s.d. (ddof 1) and t of the mean of ``values`` (N, J) for each
    column.
    """
    n = np.isfinite(values).sum(axis=0)
    mean = nanmean_columns(values)
    dev = np.where(np.isfinite(values), values - mean, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.where(n > 1, np.sqrt((dev**2).sum(axis=0) / (n - 1)), np.nan)
    t = ratio_or_zero(mean, sd / np.sqrt(n))
    return {"n": n, "mean": mean, "sd": sd, "t": t, "p": p_value_t(t, n - 1)}


def skewness_corrected_t(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""Hall's (1992) skewness-corrected t of the mean of each column of ``values`` (N, J).

    Notes
    -----
    :math:`S = \bar x/s`, :math:`\gamma = N\sum(x_i-\bar x)^3/((N-1)(N-2)s^3)`,
    :math:`t = \sqrt N(S + \gamma S^2/3 + \gamma^2S^3/27 + \gamma/(6N))`, two-sided
    p-value on :math:`t_{N-1}` (EventStudyTools, "Skewness Corrected Test").
    """
    n = np.isfinite(values).sum(axis=0).astype(float)
    mean = nanmean_columns(values)
    dev = np.where(np.isfinite(values), values - mean, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.sqrt((dev**2).sum(axis=0) / (n - 1))
    return skewness_corrected_from_moments(n, mean, s, (dev**3).sum(axis=0))


def skewness_corrected_from_moments(n, mean, s, cubes) -> tuple[np.ndarray, np.ndarray]:
    """:func:`skewness_corrected_t` from the count, mean, s.d. (ddof 1) and the sum of cubed
    deviations (the pooled engine has them per cohort).
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        gamma = n * cubes / ((n - 1) * (n - 2) * s**3)
        ratio = ratio_or_zero(mean, s)
        t = np.sqrt(n) * (ratio + gamma * ratio**2 / 3 + gamma**2 * ratio**3 / 27 + gamma / (6 * n))
    t = np.where(n > 2, np.where((mean == 0) & ~(s > 0), 0.0, t), np.nan)
    t = np.where(np.isfinite(t), t, np.nan)
    return t, p_value_t(t, n - 1)


def grank(sar_est: np.ndarray, scar: np.ndarray) -> dict[str, np.ndarray]:
    r"""Kolari & Pynnönen's (2011) generalized rank tests for each column of ``scar``.

    Parameters
    ----------
    sar_est
        (N, T) standardized estimation-window residuals :math:`e_{it}/\hat\sigma_i`
        (NaN where missing).
    scar
        (N, J) standardized abnormal returns of the columns: ``AR/sd`` of a day, or
        ``CAR/sd`` of a CAR window (the event window collapsed into one observation).

    Returns
    -------
    dict
        ``grank_t``, ``grank_t_p``, ``grank_z``, ``grank_z_p`` (J,).

    Notes
    -----
    :math:`GSAR_{i0} = SCAR_i/S_{SCAR}` (re-standardized by the cross-sectional s.d.,
    which absorbs event-induced variance); the :math:`T_i` estimation SARs and
    :math:`GSAR_{i0}` are ranked together,
    :math:`U_{it} = K_{it}/(T_i + 2) - 1/2`;
    :math:`\bar U_t` the mean over the firm-events present on day ``t``,
    :math:`S_{\bar U}^2 = \frac1{T'}\sum_t \frac{n_t}{n}\bar U_t^2` over the
    :math:`T'` days with a firm-event (the estimation days and the event
    observation), :math:`Z = \bar U_0/S_{\bar U}`,
    ``grank_t`` :math:`= Z\sqrt{(T'-2)/(T'-1-Z^2)}` on :math:`t_{T'-2}`;
    ``grank_z`` :math:`= \bar U_0/\sqrt{\sum_i T_i/(12(T_i+2))/n^2}`, the exact
    null variance of :math:`\bar U_0` for independent firm-events, N(0,1).
    """
    n_cols = scar.shape[1]
    out = {k: np.full(n_cols, np.nan) for k in ("grank_t", "grank_t_p", "grank_z", "grank_z_p")}
    for j in range(n_cols):
        rows = np.isfinite(scar[:, j])
        n = int(rows.sum())
        if n < 2:
            continue
        g = scar[rows, j]
        s = np.std(g, ddof=1)
        if not s > 0:
            continue
        combined = np.hstack([sar_est[rows], (g / s)[:, None]])
        m = np.isfinite(combined).sum(axis=1)
        u = average_ranks(combined) / (m + 1)[:, None] - 0.5
        u_bar = nanmean_columns(u)
        n_t = np.isfinite(u).sum(axis=0)
        present = n_t > 0
        n_days = int(present.sum())  # days with a firm-event, the event observation included
        s_u = np.sqrt((n_t[present] / n * u_bar[present] ** 2).sum() / n_days)
        z = safe_divide(u_bar[-1], s_u)
        with np.errstate(invalid="ignore", divide="ignore"):
            t = z * np.sqrt((n_days - 2) / (n_days - 1 - z**2))
        out["grank_t"][j], out["grank_t_p"][j] = t, p_value_t(t, n_days - 2)
        zz = safe_divide(u_bar[-1], np.sqrt(((m - 1) / (12.0 * (m + 1))).sum()) / n)
        out["grank_z"][j], out["grank_z_p"][j] = zz, p_value_z(zz)
    return out


def block_sums(values: np.ndarray, length: int) -> np.ndarray:
    """Sums of each row over every run of ``length`` consecutive columns (missing values
    count as zero; NaN where a run has none).
    """
    finite = np.isfinite(values)
    c = np.zeros((values.shape[0], values.shape[1] + 1))
    c[:, 1:] = np.cumsum(np.where(finite, values, 0.0), axis=1)
    k = np.zeros_like(c)
    k[:, 1:] = np.cumsum(finite, axis=1)
    total = c[:, length:] - c[:, :-length]
    count = k[:, length:] - k[:, :-length]
    return np.where(count > 0, total, np.nan)


def permutation_p(observed: np.ndarray, null: np.ndarray) -> np.ndarray:
    r"""Two-sided permutation p-value of each ``observed`` (J,) against the finite values of
    the matching row of ``null`` (J, M): :math:`\min(1, 2\min(P_\ge, P_\le))`,
    :math:`P_\ge = (1 + \#\{null \ge obs\})/(M + 1)`.
    """
    finite = np.isfinite(null)
    m = finite.sum(axis=1)
    obs = observed[:, None]
    ge = (finite & (null >= obs)).sum(axis=1)
    le = (finite & (null <= obs)).sum(axis=1)
    p = np.minimum(1.0, 2 * np.minimum(ge + 1, le + 1) / (m + 1))
    return np.where(np.isfinite(observed) & (m > 0), p, np.nan)


def permutation_z(observed: np.ndarray, null: np.ndarray) -> np.ndarray:
    r"""The observed mean against its permutation distribution, in the distribution's
    standard deviations: :math:`(obs - \bar{null}) / s(null)` over the finite values of each
    row of ``null`` (J, M); what the ``permutation`` column reports beside its p-value (a
    z-like statistic, like the columns beside it, not the AAR itself).
    """
    finite = np.isfinite(null)
    m = finite.sum(axis=1)
    centre = nanmean_columns(null.T)
    dev = np.where(finite, null - centre[:, None], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt((dev**2).sum(axis=1) / (m - 1))
    return np.where(m > 1, safe_divide(observed - centre, sd), np.nan)


def permutation_null(est: np.ndarray, length: int) -> np.ndarray:
    """The calendar-time null of :func:`permutation`: the cross-sectional mean of each
    firm-event's residual sum over every run of ``length`` estimation days.
    """
    return nanmean_columns(block_sums(est, length))


def without_empty_columns(out: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The battery's statistics with NaN where a column has no observation (``n = 0``): no
    statistic is computed from no data (sums over nothing would read as z = 0, p = 1).
    """
    empty = np.asarray(out["n"]) == 0
    if not empty.any():
        return out
    return {
        key: (np.where(empty, np.nan, val) if key != "n" and np.shape(val) == empty.shape else val)
        for key, val in out.items()
    }


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
    r_bar_u: float | None = None,
    null: np.ndarray | None = None,
    window_days: np.ndarray | None = None,
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
    est_aar_sd, est_aar_df, p_hat, r_bar, r_bar_u, null
        Precomputed estimation-window quantities (computed here when None);
        ``null`` (J, M) is the permutation distribution of each column.
    window_days
        (N, J) days with an AR in each column (default ``length`` where ``u_event`` is
        present), for the null variance of ``adjusted_rank_z``.

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
    crude = ratio_or_zero(cs["mean"], np.sqrt(length) * est_aar_sd)
    out["crude_dependence"] = crude
    out["crude_dependence_p"] = p_value_t(crude, np.full(n_cols, est_aar_df or 0))

    # Patell: standardized ARs, variance d/(d-2) each.
    sar, var_t, present, sar_bmp = standardized_abnormal_returns(ar, sd, sigma, df, length, options)
    z = ratio_or_zero(
        np.where(present, sar, 0.0).sum(axis=0),
        np.sqrt(np.where(present, var_t[:, None], 0.0).sum(axis=0)),
    )
    out["patell_z"], out["patell_z_p"] = z, p_value_z(z)

    # BMP on SARs (optionally without the prediction-error correction).
    bmp = cross_sectional(sar_bmp)
    out["bmp_t"], out["bmp_t_p"] = bmp["t"], bmp["p"]

    # Kolari-Pynnönen: BMP adjusted for cross-correlation of residuals.
    if r_bar is None:
        r_bar = mean_residual_correlation(est)
    nb = bmp["n"]
    with np.errstate(invalid="ignore", divide="ignore"):
        adj = np.sqrt((1 - r_bar) / (1 + (nb - 1) * r_bar))
    kp = bmp["t"] * adj
    out["kolari_pynnonen_t"], out["kolari_pynnonen_t_p"] = kp, p_value_t(kp, nb - 1)
    # the same adjustment of the raw cross-sectional t: the statistic the CAAR interval
    # inverts (dependence_adjusted_half_width)
    adj_cs = cs["t"] * correlation_adjustment(r_bar, n)
    out["kp_cross_sectional_t"] = adj_cs
    out["kp_cross_sectional_t_p"] = p_value_t(adj_cs, n - 1)

    # Corrado rank test (Cowan 1992 for multi-day windows).
    if u_event is not None and u_all is not None:
        u_bar_all = nanmean_columns(u_all)
        u_bar_all = u_bar_all[np.isfinite(u_bar_all)]
        s_u = np.sqrt((u_bar_all**2).sum() / (u_bar_all.size - options.rank_ddof))
        u_bar = nanmean_columns(u_event)
        rank = safe_divide(u_bar, np.sqrt(length) * s_u)
        out["corrado_rank_z"], out["corrado_rank_z_p"] = rank, p_value_z(rank)
    else:
        out["corrado_rank_z"] = out["corrado_rank_z_p"] = np.full(n_cols, np.nan)

    # Sign test on the non-zero ARs (ties dropped); generalized sign counts zeros as
    # non-positive, as its estimation-window share p_hat does (Cowan 1992).
    positive = np.where(np.isfinite(ar), ar > 0, False).sum(axis=0)
    nonzero = np.where(np.isfinite(ar), ar != 0, False).sum(axis=0)
    sign = safe_divide(positive - nonzero / 2, np.sqrt(nonzero / 4))
    out["sign_z"], out["sign_z_p"] = sign, p_value_z(sign)
    if p_hat is None:
        finite = np.isfinite(est)
        per_row = safe_divide(np.where(finite, est > 0, False).sum(axis=1), finite.sum(axis=1))
        p_hat = float(nanmean_columns(per_row[:, None])[0]) if per_row.size else np.nan
    gsign = safe_divide(positive - n * p_hat, np.sqrt(n * p_hat * (1 - p_hat)))
    out["generalized_sign_z"], out["generalized_sign_z_p"] = gsign, p_value_z(gsign)

    # Wilcoxon signed-rank on the ARs of each column.
    out["wilcoxon"], out["wilcoxon_p"] = wilcoxon_signed_rank(ar)

    # For dependent samples.  Kolari-Pynnönen's factor on Patell's z ...
    adj_patell = z * correlation_adjustment(r_bar, present.sum(axis=0), cross_sectional=False)
    out["adjusted_patell_z"], out["adjusted_patell_z_p"] = adj_patell, p_value_z(adj_patell)
    # ... and on the mean U, with the mean correlation of the estimation-window U
    if u_event is not None and u_all is not None:
        t_est = est.shape[1]
        r_u = mean_residual_correlation(u_all[:, :t_est]) if r_bar_u is None else r_bar_u
        u_present = np.isfinite(u_event)
        n_u = u_present.sum(axis=0)
        if window_days is None:
            window_days = np.where(u_present, length[None, :], 0.0)
        m = np.isfinite(u_all).sum(axis=1)[:, None]
        v0 = safe_divide(
            np.where(u_present, rank_sum_variance(m, window_days), 0.0).sum(axis=0), n_u**2
        )
        adj_rank = safe_divide(nanmean_columns(u_event), np.sqrt(v0)) * correlation_adjustment(
            r_u, n_u, cross_sectional=False
        )
        out["adjusted_rank_z"], out["adjusted_rank_z_p"] = adj_rank, p_value_z(adj_rank)
    else:
        out["adjusted_rank_z"] = out["adjusted_rank_z_p"] = np.full(n_cols, np.nan)
    g = grank(safe_divide(est, sigma[:, None]), sar)
    out.update(g)
    out["skewness_corrected_t"], out["skewness_corrected_t_p"] = skewness_corrected_t(ar)
    if null is None:
        null = np.vstack(
            [
                np.pad(
                    permutation_null(est, int(k)),
                    (0, int(k - length.min())),
                    constant_values=np.nan,
                )
                for k in length
            ]
        )
    out["permutation"] = permutation_z(cs["mean"], null)
    out["permutation_p"] = permutation_p(cs["mean"], null)
    return without_empty_columns(out)
