r"""Pooled (cross-firm) tests for many cohorts at once.

:func:`research.inference.battery` computes every test for one cohort from its
firm-events' arrays; it is the readable reference.  A study of a whole market
has thousands of cohorts and hundreds of thousands of firm-events, so the
study computes the same statistics here, for every cohort in one pass:

* the estimation-window quantities the tests need (the AAR series of the
  crude-dependence test, the mean residual correlation of Kolari-Pynnönen, the
  share of positive residuals of the generalized sign test, Corrado's
  :math:`S_U`) are sums over firm-events, so :class:`EstimationSums` adds them
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

from dataclasses import dataclass

import numpy as np
from scipy import stats

from research.inference import (
    TestOptions,
    _div,
    _p_t,
    _p_z,
    _ratio,
    average_ranks,
    tie_runs,
)

__all__ = [
    "CohortLayout",
    "EstimationSums",
    "pooled_battery",
    "signed_rank_null",
]


# ----------------------------------------------------------------------------------------
@dataclass
class EstimationSums:
    """Additive estimation-window summaries per cell (event, group).

    Every field has one row per cell; ``T`` is the estimation-window length
    and ``L`` the event-window length.  Only kept firm-events are added.
    """

    n: np.ndarray  # (C,) firm-events
    t_eff: np.ndarray  # (C,) sum of usable estimation days
    zz: np.ndarray  # (C,) sum of squared standardized residuals
    z: np.ndarray  # (C, T) column sums of standardized residuals
    resid: np.ndarray  # (C, T) column sums of residuals
    share: np.ndarray  # (C,) sum over firm-events of the share of positive residuals
    share_n: np.ndarray  # (C,) firm-events with a share
    u: np.ndarray  # (C, T + L) column sums of Corrado's U
    u_count: np.ndarray  # (C, T + L) non-missing U per column (the first T: residuals)

    @classmethod
    def zeros(cls, n_cells: int, t: int, length: int) -> EstimationSums:
        z1 = np.zeros(n_cells)
        return cls(
            n=z1.copy(),
            t_eff=z1.copy(),
            zz=z1.copy(),
            z=np.zeros((n_cells, t)),
            resid=np.zeros((n_cells, t)),
            share=z1.copy(),
            share_n=z1.copy(),
            u=np.zeros((n_cells, t + length)),
            u_count=np.zeros((n_cells, t + length)),
        )

    def add(self, cells: np.ndarray, resid: np.ndarray, u: np.ndarray, kept: np.ndarray) -> None:
        """Add a chunk: ``cells`` (k,) non-decreasing cell codes, ``resid`` (k, T)
        estimation residuals, ``u`` (k, T + L) Corrado U, ``kept`` (k,) bool."""
        if not kept.any():
            return
        if not kept.all():
            cells, resid, u = cells[kept], resid[kept], u[kept]
        starts = np.r_[0, np.flatnonzero(np.diff(cells)) + 1]
        codes = cells[starts]  # unique within the chunk

        def add(target, values):
            target[codes] += np.add.reduceat(values, starts, axis=0)

        t = resid.shape[1]
        u_finite = np.isfinite(u)
        finite = u_finite[:, :t]  # U is missing exactly where the residual is
        t_eff = finite.sum(axis=1)
        filled = np.where(finite, resid, 0.0)
        mean = filled.sum(axis=1, keepdims=True) / np.maximum(t_eff, 1)[:, None]
        dev = np.where(finite, resid - mean, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            sd = np.sqrt((dev**2).sum(axis=1) / (t_eff - 1))
            z = dev * (1.0 / sd)[:, None]  # as inference.mean_residual_correlation
            share = _div((resid > 0).sum(axis=1), t_eff)
        # sum_t z_t^2 = t_eff - 1 exactly (z is standardized with ddof 1); NaN if sd is
        # not a positive number, as the squared z would be
        zz = np.where(np.isfinite(sd) & (sd > 0), t_eff - 1.0, np.nan)
        add(self.n, np.ones(len(cells)))
        add(self.t_eff, t_eff.astype(float))
        add(self.zz, zz)
        add(self.z, z)
        add(self.resid, filled)
        add(self.share, np.where(np.isfinite(share), share, 0.0))
        add(self.share_n, np.isfinite(share).astype(float))
        add(self.u, np.where(u_finite, u, 0.0))
        add(self.u_count, u_finite.astype(float))

    def combine(self, starts: np.ndarray) -> EstimationSums:
        """Sums over consecutive runs of cells beginning at ``starts`` (e.g. all groups
        of one event)."""
        return EstimationSums(
            **{
                name: np.add.reduceat(getattr(self, name), starts, axis=0)
                for name in self.__dataclass_fields__
            }
        )

    def take(self, cells: np.ndarray) -> EstimationSums:
        """The rows ``cells``, in that order."""
        return EstimationSums(
            **{name: getattr(self, name)[cells] for name in self.__dataclass_fields__}
        )

    def summaries(self, rank_ddof: int) -> dict[str, np.ndarray]:
        """Per row: ``est_aar_sd``, ``est_aar_df``, ``p_hat``, ``r_bar``, ``s_u``.

        The same quantities :func:`research.inference.battery` computes from the
        residuals: the s.d. (ddof 1) of the estimation-window AARs and its degrees
        of freedom (Brown & Warner 1985), the mean share of positive residuals
        (Cowan 1992), the mean pairwise residual correlation (Kolari & Pynnönen
        2010; the identity of :func:`research.inference.mean_residual_correlation`)
        and :math:`S_U = \\sqrt{\\sum_t \\bar U_t^2/(T - \\delta)}` (Corrado 1989).
        """
        count = self.u_count[:, : self.resid.shape[1]]
        with np.errstate(invalid="ignore", divide="ignore"):
            aar = np.where(count > 0, self.resid / np.maximum(count, 1), np.nan)
            present = np.isfinite(aar)
            m = present.sum(axis=1)
            mean = np.where(present, aar, 0.0).sum(axis=1) / np.maximum(m, 1)
            ss = (np.where(present, aar - mean[:, None], 0.0) ** 2).sum(axis=1)
            aar_sd = np.where(m > 1, np.sqrt(ss / np.maximum(m - 1, 1)), np.nan)
            p_hat = np.where(self.share_n > 0, self.share / np.maximum(self.share_n, 1), np.nan)
            n = self.n
            total = (self.z**2).sum(axis=1) - self.zz
            r_bar = np.where(n >= 2, total / ((self.t_eff / n - 1) * n * (n - 1)), 0.0)
            u_bar = np.where(self.u_count > 0, self.u / np.maximum(self.u_count, 1), np.nan)
            u_present = np.isfinite(u_bar)
            s_u = np.sqrt(
                np.where(u_present, u_bar, 0.0).__pow__(2).sum(axis=1)
                / (u_present.sum(axis=1) - rank_ddof)
            )
        return {
            "est_aar_sd": aar_sd,
            "est_aar_df": m - 1,
            "p_hat": p_hat,
            "r_bar": r_bar,
            "s_u": s_u,
        }


# ----------------------------------------------------------------------------------------
@dataclass
class CohortLayout:
    """Cohorts as contiguous runs of kept firm-events sorted by event, then group.

    Attributes
    ----------
    rows
        Kept firm-event rows, sorted by event and, within an event, by the first
        appearance of each group (stable: ascending within a cell).
    cell_start, event_start
        Start of each cell (event, group) and of each event in ``rows``.
    cell_code
        The :class:`EstimationSums` row of each cell.
    event_cells
        Index of each event's first cell (its cells are consecutive).
    cohorts
        ``(event, group, kind, segment)``: ``kind`` is ``cell`` or ``event``
        (an ``all`` cohort of an event with several groups), ``segment`` the
        index into ``cell_start`` or ``event_start``; in output order.
    """

    rows: np.ndarray
    cell_start: np.ndarray
    event_start: np.ndarray
    cell_code: np.ndarray
    event_cells: np.ndarray
    cohorts: list[tuple[str, str, str, int]]

    @classmethod
    def build(
        cls,
        event_codes: np.ndarray,
        event_names,
        group_codes: np.ndarray,
        group_names,
        cell_codes: np.ndarray,
        keep: np.ndarray,
    ) -> CohortLayout:
        kept = np.flatnonzero(keep)
        ev, cell = event_codes[kept], cell_codes[kept]
        _, first, inverse = np.unique(cell, return_index=True, return_inverse=True)
        order = np.lexsort((first[inverse], ev))  # stable: rows ascending within a cell
        rows = kept[order]
        ev_sorted, cell_sorted = ev[order], cell[order]
        cell_start = np.r_[0, np.flatnonzero(np.diff(cell_sorted)) + 1].astype(np.intp)
        event_start = np.r_[0, np.flatnonzero(np.diff(ev_sorted)) + 1].astype(np.intp)
        cell_event = ev_sorted[cell_start]
        # first cell of each event among the cells
        event_cells = np.r_[0, np.flatnonzero(np.diff(cell_event)) + 1].astype(np.intp)
        n_groups = np.diff(np.r_[event_cells, len(cell_start)])
        cohorts: list[tuple[str, str, str, int]] = []
        for e, first_cell in enumerate(event_cells):
            name = event_names[cell_event[first_cell]]
            for c in range(first_cell, first_cell + n_groups[e]):
                group = group_names[group_codes[rows[cell_start[c]]]]
                cohorts.append((name, group, "cell", c))
            if n_groups[e] > 1:
                cohorts.append((name, "all", "event", e))
        return cls(rows, cell_start, event_start, cell_sorted[cell_start], event_cells, cohorts)

    def segment_rows(self, kind: str, segment: int) -> np.ndarray:
        """Rows of one segment (ascending)."""
        starts = self.cell_start if kind == "cell" else self.event_start
        end = starts[segment + 1] if segment + 1 < len(starts) else len(self.rows)
        return np.sort(self.rows[starts[segment] : end])


# ----------------------------------------------------------------------------------------
def _segment_sum(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    if values.shape[0] == 0:
        return np.zeros((0, *values.shape[1:]))
    return np.add.reduceat(values, starts, axis=0)


def _cross_sectional(values, starts, sizes):
    """Cross-sectional mean, s.d. (two-pass) and t per segment and column."""
    finite = np.isfinite(values)
    n = _segment_sum(finite.astype(float), starts)
    filled = np.where(finite, values, 0.0)
    total = _segment_sum(filled, starts)
    mean = np.where(n > 0, total / np.maximum(n, 1), np.nan)
    dev = np.where(finite, values - np.repeat(mean, sizes, axis=0), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.where(n > 1, np.sqrt(_segment_sum(dev**2, starts) / (n - 1)), np.nan)
    t = _ratio(mean, sd / np.sqrt(n))
    return n, mean, t, _p_t(t, n - 1)


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
    """:math:`\\sum (t^3 - t)` over runs of equal values in each sorted row."""
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
    """Per row of ``x``: ``W+`` (the rank sum of the positive values among the non-zero
    ``|x|``, ties averaged), the non-zero and the finite counts, and the tie term
    :math:`\\sum(t^3-t)`.

    As in :func:`research.inference.average_ranks`, a sort replaces the argsort: the
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
    :func:`research.inference.wilcoxon_signed_rank` (which follows scipy)."""
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
    with np.errstate(invalid="ignore", divide="ignore"):
        var = n * (n + 1) * (2 * n + 1) / 24 - ties / 48
        z = np.abs(w_plus - n * (n + 1) / 4) / np.sqrt(var)
    large = (n > 0) & (n_all > 50)
    p[large] = _p_z(z[large])
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
        p[s, j] = stats.wilcoxon(x[np.isfinite(x)], zero_method="wilcox").pvalue
    return stat, p


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
        :meth:`EstimationSums.summaries` of the segments.
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
    out: dict[str, np.ndarray] = {}
    n, mean, t, p = _cross_sectional(ar, starts, sizes)
    out["n"], out["aar"] = n, mean
    out["cross_sectional_t"], out["cross_sectional_t_p"] = t, p

    crude = _ratio(mean, np.sqrt(length)[None, :] * est["est_aar_sd"][:, None])
    out["crude_dependence"] = crude
    out["crude_dependence_p"] = _p_t(
        crude, np.broadcast_to(est["est_aar_df"][:, None], crude.shape)
    )

    sar = _div(ar, sd)
    var_t = np.where(df > 2, _div(df, df - 2), np.nan)
    present = np.isfinite(sar) & np.isfinite(var_t)[:, None]
    z = _ratio(
        _segment_sum(np.where(present, sar, 0.0), starts),
        np.sqrt(_segment_sum(np.where(present, var_t[:, None], 0.0), starts)),
    )
    out["patell_z"], out["patell_z_p"] = z, _p_z(z)

    sar_bmp = sar if options.bmp_prediction_error else _div(ar, sigma[:, None] * np.sqrt(length))
    nb, _, bmp_t, bmp_p = _cross_sectional(sar_bmp, starts, sizes)
    out["bmp_t"], out["bmp_t_p"] = bmp_t, bmp_p

    r_bar = est["r_bar"][:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        adj = np.sqrt((1 - r_bar) / (1 + (nb - 1) * r_bar))
    kp = bmp_t * adj
    out["kolari_pynnonen_t"], out["kolari_pynnonen_t_p"] = kp, _p_t(kp, nb - 1)

    u_finite = np.isfinite(u_event)
    u_count = _segment_sum(u_finite.astype(float), starts)
    u_bar = np.where(
        u_count > 0,
        _segment_sum(np.where(u_finite, u_event, 0.0), starts) / np.maximum(u_count, 1),
        np.nan,
    )
    rank = _div(u_bar, np.sqrt(length)[None, :] * est["s_u"][:, None])
    out["corrado_rank_z"], out["corrado_rank_z_p"] = rank, _p_z(rank)

    finite = np.isfinite(ar)
    positive = _segment_sum((finite & (ar > 0)).astype(float), starts)
    nonzero = _segment_sum((finite & (ar != 0)).astype(float), starts)
    sign = _div(positive - nonzero / 2, np.sqrt(nonzero / 4))
    out["sign_z"], out["sign_z_p"] = sign, _p_z(sign)
    p_hat = est["p_hat"][:, None]
    gsign = _div(positive - n * p_hat, np.sqrt(n * p_hat * (1 - p_hat)))
    out["generalized_sign_z"], out["generalized_sign_z_p"] = gsign, _p_z(gsign)

    out["wilcoxon"], out["wilcoxon_p"] = _wilcoxon(ar, starts, sizes, pmf)
    out["n"] = out["n"].astype(int)
    return out
