r"""What the dependent-sample tests need from each firm-event's own residuals.

The generalized rank tests (Kolari & Pynnönen 2011) place each event observation among
the firm-event's own standardized estimation residuals, and the mean residual
correlation pairs incomplete firm-events over their common days; neither reduces to
sums over firm-events.  The engine therefore hands each event's firm-events, as soon as
the event is estimated, to :class:`EventBlocks`, which computes these statistics for the
event's cohorts (:func:`dependent_statistics`) and lets the residuals go: a study keeps
no (firm-events x estimation days) array.

``tests/test_pooling.py`` holds :func:`grank` equal to :func:`research.stats.inference.grank`
cohort by cohort, and the study's tests equal to :func:`research.stats.inference.battery`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from research.stats.inference import pairwise_correlations
from research.stats.numerics import (
    column_counts,
    cross_sectional_moments,
    p_value_t,
    p_value_z,
    safe_divide,
    segment_sum,
)
from research.stats.ranks import rank_u

# the generalized rank tests' outputs (Kolari & Pynnönen 2011)
GRANK_KEYS = ("grank_t", "grank_t_p", "grank_z", "grank_z_p")

__all__ = [
    "GRANK_KEYS",
    "DependentStats",
    "EventBlocks",
    "dependent_statistics",
    "grank",
    "incomplete_pair_sums",
    "standardized_residuals",
]


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
    r"""Per segment, the sums and counts of the correlations of every pair with an
    incomplete firm-event, over its common days: (segments, 4) columns residual total,
    residual count, U total, U count (pairs of complete firm-events come from
    :class:`research.estimation.cohorts.EstimationSums`).

    From the standardized residuals (a correlation does not change when a row is scaled;
    the ARs are scaled alike for the ranks).

    Notes
    -----
    Incomplete firm-events that miss the same days (every firm-event of an event whose
    estimation window holds another event's window, say) share their common days, so
    their pairs' correlations sum without a pairwise pass: with each row centred and
    scaled to unit length over its days,
    :math:`\sum_{i<j} r_{ij} = (\lVert\sum_i z_i\rVert^2 - n)/2`, as for complete
    firm-events.  Only pairs from different patterns go through
    :func:`research.stats.inference.pairwise_correlations`; the sums equal it to rounding
    (``tests/test_dependent.py``).
    """
    t = rank2.shape[1]
    out = np.zeros((len(starts), 4))
    incomplete = (rank2 == 0).any(axis=1)
    for seg in np.flatnonzero(np.add.reduceat(incomplete, starts) if len(starts) else []):
        rows = slice(starts[seg], starts[seg] + sizes[seg])
        missing = rank2[rows] == 0
        inc = np.flatnonzero(incomplete[rows])
        # the incomplete firm-events by the days they miss
        _, pattern = np.unique(np.packbits(missing[inc], axis=1), axis=0, return_inverse=True)
        pattern = pattern.ravel()
        sar = standardized_residuals(sar_sorted[rows], rank2[rows])
        with np.errstate(invalid="ignore", divide="ignore"):
            u = rank_u(np.hstack([sar, ar_days[rows] / sigma[rows][:, None]]))[:, :t]
        complete = np.flatnonzero(~incomplete[rows])
        if int(pattern.max(initial=-1)) + 1 > PATTERN_GROUPS:  # scattered gaps: blocks
            for k, values in enumerate((sar, u)):
                out[seg, 2 * k : 2 * k + 2] += _blocked_pair_sum(values, incomplete[rows])
            continue
        for k, values in enumerate((sar, u)):
            total, count = 0.0, 0
            for g in range(int(pattern.max()) + 1 if len(inc) else 0):
                members = inc[pattern == g]
                s, c = _same_days_pair_sum(values[members], ~missing[members[0]])
                total, count = total + s, count + c
                # pairs with complete firm-events and with later patterns, each once
                others = np.r_[complete, inc[pattern > g]]
                if len(others):
                    r = pairwise_correlations(values[members], values[others])
                    ok = np.isfinite(r)
                    total, count = total + r[ok].sum(), count + int(ok.sum())
            out[seg, 2 * k] += total
            out[seg, 2 * k + 1] += count
    return out


# More patterns of missing days than this among a cohort's incomplete firm-events (gaps
# scattered at random, as thin trading leaves them): their pairs are correlated in blocks
# of rows against every row, matrix products, rather than one pattern at a time.
PATTERN_GROUPS = 32
PAIR_BLOCK_ROWS = 256


def _blocked_pair_sum(values: np.ndarray, incomplete: np.ndarray) -> tuple[float, int]:
    """Sum and count of the correlations (:func:`pairwise_correlations`) of every pair of
    rows of ``values`` with at least one ``incomplete`` row, each pair once, block by
    block of :data:`PAIR_BLOCK_ROWS` rows against every row.
    """
    n = len(values)
    total, count = 0.0, 0
    for a in range(0, n, PAIR_BLOCK_ROWS):
        b = min(a + PAIR_BLOCK_ROWS, n)
        r = pairwise_correlations(values[a:b], values[a:])  # later rows only: each pair once
        upper = np.arange(a, b)[:, None] < np.arange(a, n)[None, :]
        either = incomplete[a:b, None] | incomplete[None, a:]
        take = upper & either & np.isfinite(r)
        total += float(r[take].sum())
        count += int(take.sum())
    return total, count


def _same_days_pair_sum(values: np.ndarray, days: np.ndarray, min_common: int = 3):
    """Sum and count of the correlations of every pair of rows that are present on the
    same ``days`` (the :func:`pairwise_correlations` of each pair, summed in one pass).
    """
    n = len(values)
    if n < 2 or days.sum() < min_common:
        return 0.0, 0
    x = values[:, days]
    x0 = x - x.mean(axis=1, keepdims=True)
    norm = np.sqrt((x0**2).sum(axis=1))
    ok = norm > 0
    m = int(ok.sum())
    if m < 2:
        return 0.0, 0
    z = x0[ok] / norm[ok, None]
    total = z.sum(axis=0)
    return float((total @ total - (z**2).sum()) / 2), m * (m - 1) // 2


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
    rank tests (:func:`grank`).  The engine calls it event by event, so the residuals
    need not be kept for the whole study.
    """
    out: dict[str, object] = {
        "pairs": incomplete_pair_sums(sar_sorted, rank2, sigma, ar_days, starts, sizes)
    }
    # every column is tested on its own, so the levels' columns go through one call
    together = grank(
        sar_sorted, rank2, np.hstack(list(columns.values())), starts, sizes, grank_a, n_present
    )
    first = 0
    for level, scar in columns.items():
        cols = slice(first, first + scar.shape[1])
        out[level] = {key: value[:, cols] for key, value in together.items()}
        first = cols.stop
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


def grank(sar_sorted, rank2, scar, starts, sizes, grank_a, n_present, sd=None, block_cells=1 << 22):
    """Kolari-Pynnönen's (2011) generalized rank tests per segment and column, as
    :func:`research.stats.inference.grank`.

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
    t_i = np.full(k, t)  # present residuals (missing ones sort last)
    incomplete = np.isnan(sar_sorted[:, -1]) if t else np.zeros(k, dtype=bool)
    t_i[incomplete] = (rank2[incomplete] > 0).sum(axis=1)
    w = 1.0 / (t_i + 2.0)
    complete = t_i == t
    if sd is None:  # the re-standardization: the cross-sectional s.d. of each column
        *_, sd = cross_sectional_moments(scar, starts, sizes)
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
    n = segment_sum(valid.astype(float), starts)
    u0 = np.where(valid, (1 + lt + 0.5 * (le - lt)) * w[:, None] - 0.5, 0.0)
    var_rows = np.where(valid, (t_i / (12.0 * (t_i + 2.0)))[:, None], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        u_bar0 = segment_sum(u0, starts) / n
        var = segment_sum(var_rows, starts) / n**2
    # rows counted by threshold: valid, no residual equal to the observation; a day is
    # above when rank2 > 2 le (a missing day's 0 never is), and rows of one length T_i
    # share the weight 1/(T_i+2); the others' threshold is out of reach and they are added
    # exactly (ties are few)
    common = valid & (le == lt)
    thr = np.where(common, 2 * le, np.iinfo(np.uint16).max).astype(np.uint16)
    out = {key: np.full((n_seg, n_cols), np.nan) for key in GRANK_KEYS}
    block = max(1, block_cells // max(1, n_cols * t))  # rows per block

    def day_sums(a, b, local):
        """(segments, J, T) sums over rows a..b, by segments starting at ``local``."""
        seg = np.repeat(np.arange(len(local)), np.diff(np.r_[local, b - a]))
        above = rank2[a:b, None, :] > thr[a:b, :, None]  # (rows, J, T)
        ends = np.r_[local[1:], b - a]  # (a sum per segment: ten times reduceat's speed)
        lengths = t_i[a:b]
        if bool(complete[a:b].all()):  # one weight
            counts = [column_counts(above[lo:hi]) for lo, hi in zip(local, ends, strict=True)]
            b_sum = np.stack(counts) / (t + 2.0)
        else:  # rows by their number of residuals, each group with its weight
            b_sum = np.stack(
                [
                    sum(
                        column_counts(above[lo:hi][lengths[lo:hi] == m]) / (m + 2.0)
                        for m in np.unique(lengths[lo:hi])
                    )
                    for lo, hi in zip(local, ends, strict=True)
                ]
            )
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
            np.add.at(n_corr, (seg[ii], jj), (r2[ii] > 0).astype(float))
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


@dataclass
class DependentStats:
    """Per cell (rows: cell codes) and per event (rows: event codes) of a study: the sums
    of the correlations of pairs with an incomplete firm-event (``pairs``, 4 columns) and
    the generalized rank tests at each level (``day:grank_t``, ``window:grank_z_p``, ...),
    computed event by event while estimating (:func:`dependent_statistics`)
    so that no firm-event's residuals are kept.  An event's rows are NaN unless it has
    several groups (its ``all`` cohort).
    """

    cell: dict[str, np.ndarray]
    event: dict[str, np.ndarray]

    def take(self, kind: str, codes: np.ndarray, level: str) -> dict[str, np.ndarray]:
        """The ``pooled_battery(dependent=...)`` arrays of cells or events ``codes``."""
        source = self.cell if kind == "cell" else self.event
        out = {"pairs": source["pairs"][codes]}
        out.update({key: source[f"{level}:{key}"][codes] for key in GRANK_KEYS})
        return out


class EventBlocks:
    """Collects each event's firm-events as the chunks come (in cell, hence event, order)
    and, when an event is complete, computes its cohorts' dependent statistics from the
    rows' sorted standardized residuals, then lets them go.
    """

    def __init__(self, inputs, cells, cell_events, acc, out, out_cars) -> None:
        self.cells, self.cell_events, self.acc = cells, cell_events, acc
        self.out, self.out_cars = out, out_cars
        self.t = inputs.estimation[1] - inputs.estimation[0] + 1
        shapes = {"day": len(inputs.event_days), "window": len(inputs.car_windows)}

        def table(rows):
            arrays = {"pairs": np.zeros((rows, 4))}
            for level, j in shapes.items():
                for key in GRANK_KEYS:
                    arrays[f"{level}:{key}"] = np.full((rows, j), np.nan)
            return arrays

        self.stats = DependentStats(table(int(cells.max()) + 1), table(int(cell_events.max()) + 1))
        self.pending: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def push(self, rows: np.ndarray, sar_sorted: np.ndarray, rank2: np.ndarray) -> None:
        """Add a chunk's rows; compute every event the chunk completes."""
        events = self.cell_events[self.cells[rows]]
        cut = int(np.searchsorted(events, events[-1]))  # rows of earlier events end here
        if cut:
            self.pending.append((rows[:cut], sar_sorted[:cut], rank2[:cut]))
            self.flush()
        self.pending.append((rows[cut:], sar_sorted[cut:], rank2[cut:]))

    def flush(self) -> None:
        """Compute the pending events (all complete)."""
        if not self.pending:
            return
        rows, sar_sorted, rank2 = (np.concatenate(x) for x in zip(*self.pending, strict=True))
        self.pending = []
        events = self.cell_events[self.cells[rows]]
        bounds = np.r_[0, np.flatnonzero(np.diff(events)) + 1, len(rows)]
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):
            keep = self.out["keep"][rows[a:b]]
            if keep.any():
                self._event(rows[a:b][keep], sar_sorted[a:b][keep], rank2[a:b][keep])

    def _event(self, rows, sar_sorted, rank2) -> None:
        out, cars, acc = self.out, self.out_cars, self.acc
        cells = self.cells[rows]
        starts = np.r_[0, np.flatnonzero(np.diff(cells)) + 1]
        sizes = np.diff(np.r_[starts, len(rows)])
        codes = cells[starts]
        grank_a = acc.grank_a[codes]
        n_present = acc.u_count[codes, : self.t]
        columns = {
            "day": safe_divide(out["ar"][rows], out["sd"][rows]),
            "window": safe_divide(cars["car"][rows], cars["sd"][rows]),
        }
        args = (sar_sorted, rank2, out["sigma"][rows], out["ar"][rows], columns)
        self._store(
            self.stats.cell,
            codes,
            dependent_statistics(*args, starts, sizes, grank_a, n_present),
        )
        if len(codes) > 1:  # the event's `all` cohort
            whole = dependent_statistics(
                *args,
                np.array([0]),
                np.array([len(rows)]),
                grank_a.sum(axis=0, keepdims=True),
                n_present.sum(axis=0, keepdims=True),
            )
            self._store(self.stats.event, self.cell_events[codes[:1]], whole)

    @staticmethod
    def _store(table, codes, stats) -> None:
        table["pairs"][codes] = stats["pairs"]
        for level in ("day", "window"):
            for key in GRANK_KEYS:
                table[f"{level}:{key}"][codes] = stats[level][key]
