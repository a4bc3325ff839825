r"""Cohorts of firm-events: their layout and their estimation-window sums.

The pooled tests (:mod:`research.stats.pooling`) work on cohorts, the firm-events of one
(event, group) cell or of one event's groups together.  :class:`CohortLayout` lays them
out as contiguous runs of rows; :class:`EstimationSums` adds up, per cell and while the
engine estimates chunk by chunk, the estimation-window quantities the tests need, so
the residuals need not be kept.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from research.stats.numerics import row_counts, safe_divide, segment_sum

__all__ = ["CohortLayout", "EstimationSums", "stretch_lengths"]


def stretch_lengths(car_windows) -> tuple[int, ...]:
    """The stretch lengths whose estimation-window sums a study keeps: one day (the day
    tables) and the length of every CAR window, each once, shortest first.
    """
    return tuple(sorted({1, *(int(b) - int(a) + 1 for a, b in car_windows)}))


@dataclass
class EstimationSums:
    """Additive estimation-window summaries per cell (event, group).

    Every field has one row per cell; ``T`` is the estimation-window length
    and ``L`` the event-window length.  Only kept firm-events are added.
    """

    n: np.ndarray  # (C,) firm-events
    n_complete: np.ndarray  # (C,) firm-events with every estimation day
    z: np.ndarray  # (C, T) column sums of standardized residuals of complete firm-events
    z_u: np.ndarray  # (C, T) the same for Corrado's U of the estimation days
    grank_a: np.ndarray  # (C, T) sums of each estimation day's rank among the firm-event's
    #                      estimation days over (T_i + 2) (the generalized rank test)
    resid: np.ndarray  # (C, T) column sums of residuals
    share: np.ndarray  # (C,) sum over firm-events of the share of positive residuals
    share_n: np.ndarray  # (C,) firm-events with a share
    u: np.ndarray  # (C, T + L) column sums of Corrado's U
    u_count: np.ndarray  # (C, T + L) non-missing U per column (the first T: residuals)
    # per stretch length w of :func:`stretch_lengths` and first day j: over the firm-events
    # seen in the event window with a residual on each of days j..j+L-1, their residuals'
    # sums over those days added up, the same squared, and how many (zero where the
    # stretch would pass day T)
    stretch_sum: np.ndarray  # (C, W, T)
    stretch_sq: np.ndarray  # (C, W, T)
    stretch_n: np.ndarray  # (C, W, T)

    @classmethod
    def zeros(cls, n_cells: int, t: int, length: int, stretches: int = 1) -> EstimationSums:
        """Empty sums for ``n_cells`` cells, ``t`` estimation and ``length`` event days and
        ``stretches`` stretch lengths.
        """
        z1 = np.zeros(n_cells)
        return cls(
            n=z1.copy(),
            n_complete=z1.copy(),
            z=np.zeros((n_cells, t)),
            z_u=np.zeros((n_cells, t)),
            grank_a=np.zeros((n_cells, t)),
            resid=np.zeros((n_cells, t)),
            share=z1.copy(),
            share_n=z1.copy(),
            u=np.zeros((n_cells, t + length)),
            u_count=np.zeros((n_cells, t + length)),
            stretch_sum=np.zeros((n_cells, stretches, t)),
            stretch_sq=np.zeros((n_cells, stretches, t)),
            stretch_n=np.zeros((n_cells, stretches, t)),
        )

    def add(
        self,
        cells: np.ndarray,
        resid: np.ndarray,
        u: np.ndarray,
        kept: np.ndarray,
        est_rank2: np.ndarray,
        lengths: tuple[int, ...] = (1,),
        seen: np.ndarray | None = None,
    ) -> None:
        """Add a chunk: ``cells`` (k,) non-decreasing cell codes, ``resid`` (k, T)
        estimation residuals, ``u`` (k, T + L) Corrado U, ``kept`` (k,) bool,
        ``est_rank2`` (k, T) twice the ranks of each row's residuals among its estimation
        days (0 where missing), ``lengths`` the stretch lengths (:func:`stretch_lengths`)
        and ``seen`` (k,) the rows whose stretches count (default: all).
        """
        if not kept.any():
            return
        seen = np.ones(len(cells), dtype=bool) if seen is None else np.asarray(seen, bool)
        if not kept.all():
            cells, resid, u, est_rank2 = cells[kept], resid[kept], u[kept], est_rank2[kept]
            seen = seen[kept]
        starts = np.r_[0, np.flatnonzero(np.diff(cells)) + 1]
        codes = cells[starts]  # unique within the chunk

        def add(target, values):
            target[codes] += segment_sum(values, starts)

        t = resid.shape[1]
        u_finite = np.isfinite(u)
        every = bool(u_finite.all())  # no day missing in the chunk: nothing to mask
        finite = u_finite[:, :t]  # U is missing exactly where the residual is
        t_eff = row_counts(finite)
        complete = t_eff == t
        with np.errstate(invalid="ignore", divide="ignore"):
            share = safe_divide(row_counts(resid > 0), t_eff)
        add(self.n, np.ones(len(cells)))
        add(self.n_complete, complete.astype(float))
        # the pairs of complete firm-events enter the mean correlations through the sums of
        # their standardized rows (incomplete ones are paired over common days later)
        self.z[codes] += _standardized_sums(resid, complete, starts)
        self.z_u[codes] += _standardized_sums(u[:, :t], complete, starts)
        if every:  # every row has T days: the (integer, exact) rank sums, then one division
            rank2_sums = segment_sum(est_rank2, starts, dtype=np.int64)  # exact
            self.grank_a[codes] += rank2_sums / (2.0 * (t + 2.0))
        else:
            add(self.grank_a, (est_rank2 * 0.5) / (t_eff + 2.0)[:, None])
        add(self.resid, resid if every else np.where(finite, resid, 0.0))
        add(self.share, np.where(np.isfinite(share), share, 0.0))
        add(self.share_n, np.isfinite(share).astype(float))
        add(self.u, u if every else np.where(u_finite, u, 0.0))
        if every:  # each row counts on every day
            self.u_count[codes] += np.diff(np.r_[starts, len(cells)]).astype(float)[:, None]
        else:
            add(self.u_count, u_finite.astype(float))
        if not seen.all():  # a row that does not count has no day in any stretch
            finite = finite & seen[:, None]
        self._add_stretches(
            codes, starts, resid, finite if not (every and seen.all()) else None, lengths
        )

    def _add_stretches(self, codes, starts, resid, finite, lengths) -> None:
        """The stretch sums of a chunk (``finite`` None when every residual is present).

        A stretch's sum is a difference of two running sums; its square is added run by
        run of rows (one pass, no squared copy) where a chunk holds a few long runs.
        """
        k, t = resid.shape
        values = resid if finite is None else np.where(finite, resid, 0.0)
        sizes = np.diff(np.r_[starts, k]).astype(float)
        running = running_count = cell_running = None
        buffer = np.empty((k, t))
        for w, length in enumerate(lengths):
            m = t - length + 1
            if m < 1:
                continue
            full = finite
            if length == 1:
                total = values
                self.stretch_sum[codes, w, :m] += segment_sum(values, starts)
            else:
                if running is None:  # running sums through each day
                    running = np.cumsum(values, axis=1)
                    if finite is None:  # every row counts: a cell's sums are differences too
                        cell_running = segment_sum(running, starts)
                    else:
                        running_count = np.cumsum(finite, axis=1, dtype=np.int32)
                total = buffer[:, :m]  # days j .. j + L - 1
                total[:, 0] = running[:, length - 1]
                np.subtract(running[:, length:], running[:, : m - 1], out=total[:, 1:])
                if running_count is not None:
                    count = running_count[:, length - 1 :].copy()
                    count[:, 1:] -= running_count[:, : m - 1]
                    full = count == length
                    total *= full
                if cell_running is None:
                    self.stretch_sum[codes, w, :m] += segment_sum(total, starts)
                else:
                    sums = cell_running[:, length - 1 :].copy()
                    sums[:, 1:] -= cell_running[:, : m - 1]
                    self.stretch_sum[codes, w, :m] += sums
            self.stretch_sq[codes, w, :m] += _segment_squares(total, starts)
            if full is None:
                self.stretch_n[codes, w, :m] += sizes[:, None]
            else:
                self.stretch_n[codes, w, :m] += segment_sum(full, starts, dtype=np.int64)

    def combine(self, starts: np.ndarray) -> EstimationSums:
        """Sums over consecutive runs of cells beginning at ``starts`` (e.g. all groups
        of one event).
        """
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
        r"""Per row: ``est_aar_sd``, ``est_aar_df``, ``p_hat``, ``s_u`` and the sums over pairs
        of complete firm-events of their residual correlations (``pair_sum``, over
        ``pairs`` pairs) and of their U correlations (``pair_sum_u``).

        The same quantities :func:`research.stats.inference.battery` computes from the
        residuals: the s.d. (ddof 1) of the estimation-window AARs and its degrees
        of freedom (Brown & Warner 1985), the mean share of positive residuals
        (Cowan 1992), the correlations of Kolari & Pynnönen (2010) among complete
        firm-events, from :math:`\sum_{i<j} z_i\cdot z_j = (\lVert\sum_i z_i\rVert^2 -
        \sum_i\lVert z_i\rVert^2)/2` with rows standardized (ddof 1), and
        :math:`S_U = \sqrt{\sum_t \bar U_t^2/(T - \delta)}` (Corrado 1989).  The
        generalized rank test's sums ``grank_a`` and present days ``n_present``, the
        residual sums ``resid_sum`` and firm-events ``n`` pass through.
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
            t = self.z.shape[1]
            nc = self.n_complete
            # sum over pairs of complete firm-events of sum_t z_i z_j / (T - 1)
            pair_sum = ((self.z**2).sum(axis=1) - nc * (t - 1)) / (2 * (t - 1))
            pair_sum_u = ((self.z_u**2).sum(axis=1) - nc * (t - 1)) / (2 * (t - 1))
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
            "pair_sum": pair_sum,
            "pair_sum_u": pair_sum_u,
            "pairs": nc * (nc - 1) / 2,
            "s_u": s_u,
            "grank_a": self.grank_a,
            "n_present": count,
            "resid_sum": self.resid,
            "n": self.n,
        }


def _segment_squares(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per run of rows beginning at ``starts``: the column sums of ``values`` squared
    (a few long runs one by one, without a squared copy; many short ones at once).
    """
    k = values.shape[0]
    if len(starts) > 32:
        return segment_sum(values * values, starts)
    ends = np.r_[starts[1:], k]
    out = np.zeros((len(starts), values.shape[1]))
    for j, (a, b) in enumerate(zip(starts, ends, strict=True)):
        if b > a:
            out[j] = np.einsum("ij,ij->j", values[a:b], values[a:b])
    return out


def _standardized_sums(values: np.ndarray, rows: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per run of rows beginning at ``starts``: the column sums of ``values`` standardized
    over each row (mean 0, s.d. 1 with ddof 1), over the rows where ``rows`` (a row
    without variation counts zero).

    Each run costs one matrix-vector product of the row weights :math:`1/s_i` with the
    deviations, and no standardized copy of ``values``.
    """
    k, t = values.shape
    out = np.zeros((len(starts), t))
    if not rows.any():
        return out
    if not rows.all():  # rows left out may hold NaN, which a product would spread
        values = np.where(rows[:, None], values, 0.0)
    dev = values - values.mean(axis=1, keepdims=True)  # two passes, as np.std
    ss = np.vecdot(dev, dev)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(rows & (ss > 0), 1.0 / np.sqrt(ss / (t - 1)), 0.0)
    if len(starts) > 32:  # many short runs: one pass
        return np.add.reduceat(dev * scale[:, None], starts, axis=0)
    ends = np.r_[starts[1:], k]
    for j, (a, b) in enumerate(zip(starts, ends, strict=True)):
        out[j] = scale[a:b] @ dev[a:b]
    return out


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
        """Lay out the kept firm-events by event, then group (codes from ``pd.factorize``)."""
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
