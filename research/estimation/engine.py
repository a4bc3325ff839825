r"""The batched estimation engine: every firm-event's normal-return fit, abnormal returns,
CARs and ranks, chunk by chunk, with no Python loop over firm-events.

:class:`research.estimation.study.EventStudy` defines and checks a study and hands the engine an
:class:`EngineInputs`; :func:`estimate` returns the per-firm-event arrays
(:class:`Estimates`) and, for the pooled tests, the estimation-window sums of every
cell (:class:`research.estimation.cohorts.EstimationSums`), so the residuals need not be kept.
:func:`residuals` recomputes the estimation residuals from the fitted coefficients
when a user asks for them.

Every firm-event's combined window (estimation and event) is one contiguous run of a
security's sessions, so sliding-window views over one padded copy of the returns gather
a chunk's windows row by row.  The market and constant-mean models without row-specific
masks are fitted in closed form (:func:`research.estimation.models.fast_fit`); every
other model by the dense batched OLS of :func:`research.estimation.models.fit_ols`,
which the tests hold the closed form to.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd

from research.estimation import cohorts, models, overlap
from research.estimation.cars import car_arrays
from research.estimation.windows import Window
from research.stats import dependent, ranks

__all__ = [
    "EngineInputs",
    "Estimates",
    "estimate",
    "event_returns",
    "residuals",
]


@dataclass(frozen=True)
class EngineInputs:
    """What the engine reads from a study definition (checked there)."""

    returns: pd.DataFrame
    benchmarks: pd.DataFrame | None
    exclude: pd.DataFrame | None
    model: models.ReturnModel
    window: Window
    estimation: Window
    car_windows: tuple[Window, ...]
    min_obs: int
    return_kind: str
    other_events: str
    spans: pd.DataFrame | None = None  # trade-to-trade: sessions each return spans
    scale: pd.DataFrame | None = None  # GARCH: each return's conditional variance (relative)

    @property
    def relative_days(self) -> np.ndarray:
        """Relative days of the combined window, first estimation day to last event day."""
        return np.arange(self.estimation[0], self.window[1] + 1)

    @property
    def event_days(self) -> np.ndarray:
        """Relative days of the event window."""
        return np.arange(self.window[0], self.window[1] + 1)


@dataclass
class Estimates:
    """Per firm-event arrays of the estimation (one row per firm-event).

    ``coef`` .. ``ok`` are those of :class:`research.estimation.models.Fit`; ``keep`` marks the
    firm-events with enough usable days; ``bench_days`` counts the estimation days with
    a benchmark return; ``ar`` and ``sd`` are (K, L) on the event days (the returns and
    normal returns there are recomputed when asked for: :func:`event_returns`);
    ``cars`` holds the CAR-window arrays of :func:`car_arrays`.  With the pooled sums:
    ``u_evt`` Corrado's U on the event days, ``est_present`` the estimation days with a
    residual (bits packed along the days, ``np.packbits``), and ``dependent`` what the
    dependent-sample tests need from each firm-event's own residuals, per cell and event
    (:class:`research.stats.dependent.DependentStats`).
    """

    coef: np.ndarray
    xtx_inv: np.ndarray
    sigma: np.ndarray
    n_obs: np.ndarray
    df: np.ndarray
    r2: np.ndarray
    ok: np.ndarray
    keep: np.ndarray
    bench_days: np.ndarray
    ar: np.ndarray
    sd: np.ndarray
    cars: dict[str, np.ndarray] = field(default_factory=dict)
    u_evt: np.ndarray | None = None
    est_present: np.ndarray | None = None
    sar_sorted: np.ndarray | None = None  # per chunk only: the event blocks consume them
    sar_rank2: np.ndarray | None = None
    dependent: dependent.DependentStats | None = None

    def params(self) -> models.Fit:
        """The fit without residuals (:func:`residuals` recomputes them)."""
        return models.Fit(
            self.coef, self.xtx_inv, self.sigma, self.n_obs, self.df, None, self.r2, self.ok
        )


@dataclass
class _Gathered:
    """The study's arrays, and sliding-window views that gather every firm-event's
    combined window: ``r_win[security, start]`` is the row of returns from session
    ``start - pad``; ``excl_win`` the same for exclusions, ``m_win`` for the first
    benchmark.
    """

    values: np.ndarray
    excluded: np.ndarray | None
    bench: np.ndarray | None
    other: np.ndarray | None
    fast: bool
    start: int
    r_win: np.ndarray
    excl_win: np.ndarray | None = None
    m_win: np.ndarray | None = None
    span_win: np.ndarray | None = None
    scale_win: np.ndarray | None = None
    bench_log_sums: np.ndarray | None = None
    bench_holes: np.ndarray | None = None


def masks_other_events(inputs: EngineInputs, cols: np.ndarray) -> bool:
    """Whether some security has several firm-events whose windows are masked."""
    return inputs.other_events == "mask" and len(np.unique(cols)) < len(cols)


def takes_closed_form(inputs: EngineInputs, cols: np.ndarray) -> bool:
    """Whether the estimation runs in closed form
    (:func:`research.estimation.models.fast_fit`): the market and constant-mean models
    without row-specific masks.
    """
    return (
        inputs.spans is None
        and inputs.scale is None
        and not masks_other_events(inputs, cols)
        and inputs.model.name in ("market", "constant-mean")
    )


def _gather(inputs: EngineInputs, pos0: np.ndarray, cols: np.ndarray) -> _Gathered:
    idx = inputs.returns.index
    rel = inputs.relative_days
    e0 = inputs.estimation[0]
    other = None
    if masks_other_events(inputs, cols):
        other = overlap.other_event_days(inputs, len(pos0), len(rel), pos0, cols)
    values = inputs.returns.to_numpy(dtype=float)
    excluded = None
    if inputs.exclude is not None:
        excluded = inputs.exclude.reindex(
            index=idx, columns=inputs.returns.columns, fill_value=False
        ).to_numpy(dtype=bool)
    bench_values = (
        None if inputs.benchmarks is None else inputs.benchmarks.reindex(idx).to_numpy(dtype=float)
    )
    # every firm-event's combined window is one contiguous run of a security's
    # sessions: sliding-window views over (securities x sessions) copies, padded
    # with missing days before the first session, gather them row by row
    pad = max(0, -(int(pos0.min()) + e0))
    span_win = log_sums = holes = scale_win = None
    if inputs.scale is not None:
        scale_win = _windows(inputs.scale.to_numpy(dtype=float).T, pad, len(rel), np.nan)
    if inputs.spans is not None:
        spans = inputs.spans.to_numpy(dtype=float)
        span_win = _windows(spans.T, pad, len(rel), np.nan)
        if bench_values is not None:
            log_sums, holes = _cumulative_log(bench_values, inputs.return_kind)
    return _Gathered(
        values=values,
        excluded=excluded,
        bench=bench_values,
        other=other,
        fast=takes_closed_form(inputs, cols),
        start=pad + e0,
        r_win=_windows(values.T, pad, len(rel), np.nan),
        excl_win=None if excluded is None else _windows(excluded.T, pad, len(rel), True),
        m_win=(
            None
            if bench_values is None
            else _windows(bench_values[:, :1].T, pad, len(rel), np.nan)[0]
        ),
        span_win=span_win,
        scale_win=scale_win,
        bench_log_sums=log_sums,
        bench_holes=holes,
    )


def _cumulative_log(bench: np.ndarray, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """(sessions + 1, q) running sums of the benchmarks' log returns (0 where missing) and
    of their missing days, so that a benchmark's return over sessions ``(t - n, t]`` is
    one difference (:func:`_span_benchmarks`).
    """
    logs = np.log1p(bench) if kind == "simple" else bench
    missing = ~np.isfinite(logs)
    zero = np.zeros((1, bench.shape[1]))
    sums = np.vstack([zero, np.cumsum(np.where(missing, 0.0, logs), axis=0)])
    holes = np.vstack([zero, np.cumsum(missing, axis=0)])
    return sums, holes


def estimate(
    inputs: EngineInputs,
    pos0: np.ndarray,
    cols: np.ndarray,
    cells: np.ndarray,
    chunk_cells: int = 250_000,
    sums: bool = True,
    cell_events: np.ndarray | None = None,
) -> tuple[Estimates, cohorts.EstimationSums | None]:
    """Run the estimation over all firm-events, chunk by chunk, in cell order.

    Parameters
    ----------
    inputs
        The study.
    pos0, cols
        (K,) session of each firm-event's day 0 and column of its security.
    cells
        (K,) cell (event, group) code of each firm-event.
    chunk_cells
        About how many firm-event-days a chunk holds (bounds the intermediate arrays;
        the results do not depend on it).
    sums
        Also rank the residuals, add up the pooled tests' estimation-window sums and
        compute, event by event, the dependent-sample tests' per-cohort statistics.
    cell_events
        (cells,) the event code of each cell (needed with ``sums``).

    Returns
    -------
    Estimates, EstimationSums or None
        The per-firm-event arrays and, when ``sums``, the sums of every cell.
    """
    e0, e1 = inputs.estimation
    w0, w1 = inputs.window
    data = _gather(inputs, pos0, cols)
    acc = None
    if sums:
        stretches = len(cohorts.stretch_lengths(inputs.car_windows))
        acc = cohorts.EstimationSums.zeros(
            int(cells.max()) + 1, e1 - e0 + 1, w1 - w0 + 1, stretches
        )
    order = np.argsort(cells, kind="stable")  # cells contiguous: sums by segment
    in_order = bool((order == np.arange(len(order))).all())
    step = max(1, chunk_cells // len(inputs.relative_days))
    out: dict[str, np.ndarray] = {}
    out_cars: dict[str, np.ndarray] = {}
    k_total = len(pos0)
    blocks = None
    if sums:
        blocks = dependent.EventBlocks(inputs, cells, np.asarray(cell_events), acc, out, out_cars)
    not_kept = {"cars", "sar_sorted", "sar_rank2", "dependent"}
    for a in range(0, k_total, step):  # results written in place: no concatenation copies
        rows = slice(a, a + step) if in_order else order[a : a + step]
        part = _fit_rows(inputs, data, rows, pos0, cols, acc, cells[rows])
        chunk = {f.name: getattr(part, f.name) for f in fields(part) if f.name not in not_kept}
        for target, source in ((out, chunk), (out_cars, part.cars)):
            for key, val in source.items():
                if val is None:
                    continue
                if key not in target:
                    target[key] = np.empty((k_total, *val.shape[1:]), dtype=val.dtype)
                    # touched now, in one sweep: page faults taken chunk by chunk among the
                    # chunks' temporaries cost 0.1-0.8 s at 100,000 firm-events (measured
                    # with scripts/bench_against.py), a sweep ~0.03 s
                    target[key].fill(0)
                target[key][rows] = val
        if blocks is not None:
            index = np.arange(a, min(a + step, k_total)) if in_order else rows
            blocks.push(index, part.sar_sorted, part.sar_rank2)
    if blocks is not None:
        blocks.flush()
    return Estimates(**out, cars=out_cars, dependent=blocks and blocks.stats), acc


def _fit_rows(inputs, data: _Gathered, rows, pos0, cols, acc, cells) -> Estimates:
    """Estimation, abnormal returns, CARs and ranks for one chunk of firm-events."""
    model = inputs.model
    e0, e1 = inputs.estimation
    w0, w1 = inputs.window
    est_sel = slice(0, e1 - e0 + 1)
    evt_sel = slice(w0 - e0, w1 - e0 + 1)
    start = pos0[rows] + data.start
    c = cols[rows]
    r = _window_returns(data, pos0, cols, rows)
    bench_evt = _event_benchmarks(inputs, data, pos0, rows)
    root = None
    if data.fast:
        m = data.m_win[start, est_sel] if model.name == "market" else None
        excl = data.excl_win[c, start][:, est_sel] if data.excl_win is not None else None
        fit, bench_days = models.fast_fit(r[:, est_sel], m, excl)
        x_evt, off_evt = models.design(model, bench_evt)
    else:
        x, offset, usable, bench, root = _dense_design(inputs, data, rows, pos0, c, r)
        fit = models.fit_ols(
            r[:, est_sel] if root is None else r[:, est_sel] / root[:, est_sel],
            x[:, est_sel],
            offset[:, est_sel],
            usable[:, est_sel],
            demean=model.n_params == 0,
        )
        bench_days = np.isfinite(bench[:, est_sel]).all(axis=(2, 3)).sum(axis=1)
        x_evt, off_evt = x[:, evt_sel], offset[:, evt_sel]
    keep = fit.ok & (fit.n_obs >= inputs.min_obs)
    r_evt = r[:, evt_sel]
    normal = models.predict(fit, x_evt, off_evt)
    pf = models.prediction_factor(fit, x_evt)
    root_evt = span_evt = weight_evt = None
    if root is not None:
        # trade-to-trade or GARCH: the fit is of the returns over the root of their
        # variance scale (the sessions a return spans, or its conditional variance); an
        # abnormal return is root times its standardized one, and so is its s.d.
        root_evt = root[:, evt_sel]
        normal *= root_evt
        weight_evt = root_evt**2
        if data.span_win is not None:
            span_evt = np.rint(weight_evt)  # whole sessions again
            weight_evt = span_evt
        pf *= weight_evt
    ar = r_evt - normal
    sd = fit.sigma[:, None] * np.sqrt(pf)
    ar[~keep] = np.nan
    t_est = fit.resid.shape[1]
    u_evt = sar_sorted = sar_rank2 = est_present = None
    if acc is not None:  # Corrado's ranks and the pooled sums
        # the ranks compare per-session residuals: a return over n sessions enters as
        # its abnormal return over n^(1/2) (trade-to-trade; n = 1 otherwise)
        evt_ranked = ar if root_evt is None else ar / root_evt
        u_all, sar_rank2, resid_sorted = ranks.window_ranks(
            np.hstack([fit.resid, evt_ranked]), t_est
        )
        # the generalized rank tests rank each firm-event's standardized residuals: as its
        # residuals (a division by sigma > 0 keeps their order), and sorted the same unless
        # the division made two of them equal or one infinite (those rows ranked again)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            sar = fit.resid / fit.sigma[:, None]
            sar_sorted = resid_sorted / fit.sigma[:, None]
        sar_finite = np.isfinite(sar)
        again = ~(fit.sigma > 0) | (sar_finite != np.isfinite(fit.resid)).any(axis=1)
        again |= (sar_sorted[:, 1:] == sar_sorted[:, :-1]).any(axis=1)
        if again.any():
            est_ranks, sar_sorted[again] = ranks.average_ranks(sar[again], True)
            sar_rank2[again] = ranks.doubled_ranks(est_ranks)
        est_present = np.packbits(sar_finite, axis=1)  # a bit per day
        lengths = cohorts.stretch_lengths(inputs.car_windows)
        # what a test could see counts the firm-events with an abnormal return in the
        # event window (not one suspended over it)
        seen = np.isfinite(ar).any(axis=1)
        acc.add(cells, fit.resid, u_all, keep, sar_rank2, lengths, seen)
        u_evt = u_all[:, t_est:]
    return Estimates(
        coef=fit.coef,
        xtx_inv=fit.xtx_inv,
        sigma=fit.sigma,
        n_obs=fit.n_obs,
        df=fit.df,
        r2=fit.r2,
        ok=fit.ok,
        keep=keep,
        bench_days=bench_days,
        ar=ar,
        sd=sd,
        cars=car_arrays(
            inputs,
            fit,
            x_evt if root_evt is None else x_evt * root_evt[:, :, None],
            ar,
            normal,
            r_evt,
            u_evt,
            span_evt,
            weight_evt,
        ),
        u_evt=u_evt,
        est_present=est_present,
        sar_sorted=sar_sorted,
        sar_rank2=sar_rank2,
    )


def _dense_design(inputs, data: _Gathered, rows, pos0, c, r):
    """Regressors, offset, usable days and benchmark returns over the combined windows
    of a chunk (the general path).
    """
    n_sessions = data.values.shape[0]
    pos = pos0[rows, None] + inputs.relative_days[None, :]
    inside = (pos >= 0) & (pos < n_sessions)
    posc = np.clip(pos, 0, n_sessions - 1)
    bench = benchmark_at_shifts(inputs.model.shifts, posc, inside, data.bench)
    span = root = None
    if data.span_win is not None:
        span = data.span_win[c, pos0[rows] + data.start]
        if data.bench_log_sums is not None:
            bench = _span_benchmarks(data, posc, inside, span, bench, inputs.return_kind)
    usable = np.isfinite(r)
    if data.excluded is not None:
        usable &= ~data.excluded[posc, c[:, None]]
    if data.other is not None:
        usable &= ~data.other[rows]
    x, offset = models.design(inputs.model, bench)
    if span is not None:
        # trade-to-trade (Maynes & Rumsey 1993): a return over n sessions has n times the
        # constant and n times a session's variance, so every term is divided by n^(1/2)
        if inputs.model.intercept:
            x[:, :, 0] = span
        root = np.sqrt(span)
    if data.scale_win is not None:
        # GARCH errors (feasible GLS): every term over the conditional s.d.
        root = np.sqrt(data.scale_win[c, pos0[rows] + data.start])
    if root is not None:
        x /= root[:, :, None]
        offset = offset / root
    return x, offset, usable, bench, root


def _span_benchmarks(data: _Gathered, posc, inside, span, bench, kind: str) -> np.ndarray:
    """(rows, T, q, 1) benchmark returns over the sessions each security return spans
    (compounded; missing when the benchmark misses one of them); a one-session span keeps
    the benchmark's own return exactly.
    """
    n = np.where(np.isfinite(span), span, 1.0).astype(np.int64)
    hi = posc + 1
    lo = hi - n
    ok = inside & (lo >= 0)
    lo = np.clip(lo, 0, None)
    sums = data.bench_log_sums[hi] - data.bench_log_sums[lo]
    holes = data.bench_holes[hi] - data.bench_holes[lo]
    over = np.expm1(sums) if kind == "simple" else sums
    over = np.where(ok[:, :, None] & (holes == 0), over, np.nan)
    return np.where((n == 1)[:, :, None, None], bench, over[:, :, :, None])


def residuals(
    inputs: EngineInputs,
    pos0: np.ndarray,
    cols: np.ndarray,
    fit: models.Fit,
    chunk_cells: int = 250_000,
) -> np.ndarray:
    """(K, T) estimation-window residuals from the fitted coefficients (NaN on days that
    did not enter the fit and for firm-events that could not be fitted): no
    re-estimation, the estimation windows are gathered again and the fitted values
    subtracted (:func:`research.estimation.models.residuals`).
    """
    e0, e1 = inputs.estimation
    t = e1 - e0 + 1
    data = _gather(inputs, pos0, cols)
    out = np.empty((len(pos0), t))
    step = max(1, chunk_cells // len(inputs.relative_days))
    for a in range(0, len(pos0), step):
        rows = slice(a, a + step)
        r = _window_returns(data, pos0, cols, rows)
        x, offset, usable, _, root = _dense_design(inputs, data, rows, pos0, cols[rows], r)
        out[rows] = models.residuals(
            _coefficients(fit, rows),
            r[:, :t] if root is None else r[:, :t] / root[:, :t],
            x[:, :t],
            offset[:, :t],
            usable[:, :t],
            demean=inputs.model.n_params == 0,
        )
    return out


def event_returns(
    inputs: EngineInputs,
    pos0: np.ndarray,
    cols: np.ndarray,
    fit: models.Fit,
    chunk_cells: int = 250_000,
) -> tuple[np.ndarray, np.ndarray]:
    """(K, L) returns and normal returns on the event days, from the fitted coefficients
    (the fit keeps neither: a study of a whole market needs only the abnormal returns);
    the same gathering and :func:`research.estimation.models.predict` as the fit, so the
    same values.
    """
    e0 = inputs.estimation[0]
    w0, w1 = inputs.window
    evt = slice(w0 - e0, w1 - e0 + 1)
    data = _gather(inputs, pos0, cols)
    k, length = len(pos0), w1 - w0 + 1
    r, normal = np.empty((k, length)), np.empty((k, length))
    step = max(1, chunk_cells // len(inputs.relative_days))
    for a in range(0, k, step):
        rows = slice(a, a + step)
        r_all = _window_returns(data, pos0, cols, rows)
        r[rows] = r_all[:, evt]
        if data.span_win is None and data.scale_win is None:
            bench = _event_benchmarks(inputs, data, pos0, rows)
            x_evt, off_evt = models.design(inputs.model, bench)
            normal[rows] = models.predict(_coefficients(fit, rows), x_evt, off_evt)
        else:  # trade-to-trade or GARCH: the fit's own design, scaled back
            x, offset, _, _, root = _dense_design(inputs, data, rows, pos0, cols[rows], r_all)
            per_root = models.predict(_coefficients(fit, rows), x[:, evt], offset[:, evt])
            normal[rows] = per_root * root[:, evt]
    return r, normal


def _window_returns(data: _Gathered, pos0, cols, rows) -> np.ndarray:
    """(rows, T + L) returns of firm-events ``rows`` over their combined windows: the one
    gathering the fit, the residuals and the event returns share, so they agree.
    """
    return data.r_win[cols[rows], pos0[rows] + data.start]


def _event_benchmarks(inputs: EngineInputs, data: _Gathered, pos0, rows) -> np.ndarray:
    """The benchmark returns (at the model's shifts) on the event days of ``rows``."""
    days = pos0[rows, None] + inputs.event_days[None, :]
    return benchmark_at_shifts(inputs.model.shifts, days, True, data.bench)


def _coefficients(fit: models.Fit, rows) -> models.Fit:
    """The fitted coefficients of ``rows`` alone (what a prediction needs)."""
    return models.Fit(fit.coef[rows], None, None, None, None, None, None, fit.ok[rows])


# ----------------------------------------------------------------------------------------
def benchmark_at_shifts(
    shifts: tuple[int, ...], posc: np.ndarray, inside, b: np.ndarray | None
) -> np.ndarray:
    """(rows, T, q, S) benchmark returns ``b`` at sessions ``posc`` shifted by each of
    ``shifts`` (NaN outside the data or where not ``inside``).
    """
    k, t = posc.shape
    if b is None:
        return np.zeros((k, t, 0, len(shifts)))
    n = b.shape[0]
    out = np.empty((k, t, b.shape[1], len(shifts)))
    for j, s in enumerate(shifts):
        p = posc + s
        ok = inside & (p >= 0) & (p < n)
        out[:, :, :, j] = np.where(ok[:, :, None], b[np.clip(p, 0, n - 1)], np.nan)
    return out


def _windows(a: np.ndarray, pad: int, width: int, fill) -> np.ndarray:
    """Sliding windows of ``width`` along the last axis of ``a`` after ``pad`` ``fill``
    values: ``out[i, s]`` is ``a[i, s - pad : s - pad + width]`` (a view of one copy).
    """
    padded = np.full((a.shape[0], a.shape[1] + pad), fill, dtype=a.dtype)
    padded[:, pad:] = a
    return np.lib.stride_tricks.sliding_window_view(padded, width, axis=1)
