"""The event study: abnormal returns of many firm-events and their tests.

>>> res = EventStudy(returns, events, benchmarks, model="market",
...                  window=(-1, 1), estimation=(-250, -11)).fit()
>>> print(res.summary())
>>> res.to_frame()          # one row per security-day plus pooled rows

``returns`` is a sessions x securities frame of returns on one session grid
(see :mod:`research.panel`), ``events`` a frame with one row per firm-event
(``security``, ``day0``, optional ``event`` and ``group``), ``benchmarks`` a
sessions x benchmarks frame aligned to the same grid.  Relative day ``0`` is
the firm-event's ``day0`` session; ``window`` and ``estimation`` are relative
days (inclusive), the estimation window ending before the event window.

Firm-events are pooled by cohort, the pair (event, group); when a study has
several groups an ``all`` cohort pools them too.

Notes
-----
Abnormal returns :math:`AR_{it} = R_{it} - \\hat E[R_{it}]` (model: see
:mod:`research.models`); :math:`CAR_i(t_1,t_2)=\\sum_{t=t_1}^{t_2} AR_{it}`;
:math:`CAAR = N^{-1}\\sum_i CAR_i`; buy-and-hold
:math:`BHAR_i=\\prod_t(1+R_{it})-\\prod_t(1+\\hat E[R_{it}])` on simple returns
(Barber & Lyon 1997).  Tests: :mod:`research.inference`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from research import inference, models, pooling, ranks
from research.errors import EventError, ModelError, OptionError, WindowError
from research.export import json_records
from research.numerics import nanmean_columns
from research.returns import to_simple

Window = tuple[int, int]


@dataclass(frozen=True)
class StudySettings:
    """What a study was asked to do (stored with its results)."""

    model: str
    window: Window
    estimation: Window
    car_windows: tuple[Window, ...]
    min_obs: int
    return_kind: str
    benchmarks: tuple[str, ...]
    bmp_prediction_error: bool
    rank_ddof: int
    bootstrap: int
    seed: int
    other_events: str


def default_car_windows(window: Window) -> tuple[Window, ...]:
    """The full window, day 0, the pre-event days and the post-event days."""
    w0, w1 = window
    out = [window]
    if w0 <= 0 <= w1 and window != (0, 0):
        out.append((0, 0))
    if w0 < 0 <= w1:
        out.append((w0, -1))
    if w1 > 0 and w0 <= 0:
        out.append((0, w1) if w0 < 0 else (1, w1))
    return tuple(dict.fromkeys(out))


class EventStudy:
    """Estimate normal returns, abnormal returns and their tests.

    Parameters
    ----------
    returns
        Sessions x securities returns on one session grid.
    events
        One row per firm-event: ``security``, ``day0`` (a session of the
        grid), optional ``event`` (id) and ``group``.
    benchmarks
        Sessions x benchmarks returns on the same grid (first column is "the
        market"); required by every model but ``constant-mean``.
    model
        ``constant-mean``, ``market-adjusted``, ``market``, ``multi-index``
        or ``dimson`` (see :mod:`research.models`), or a ``ReturnModel``.
    window, estimation
        Relative days, inclusive.  The estimation window must end before
        the event window starts.
    car_windows
        Windows (inside ``window``) for CAR-level tests; default
        :func:`default_car_windows`.
    min_obs
        Fewest usable estimation days; default half the estimation window
        (at least ``p + 3``).  Firm-events with fewer are dropped with the
        reason.
    exclude
        Sessions x securities booleans: returns to keep out of estimation
        (stale days, jumps; see :mod:`research.quality`).
    return_kind
        ``simple`` or ``log``: what ``returns`` hold (for BHAR).
    other_events
        ``mask`` (default) keeps other firm-events' event windows of the same
        security out of the estimation window; ``keep`` leaves them in.
        Either way overlaps are reported.
    bmp_prediction_error, rank_ddof
        Test conventions (:class:`research.inference.TestOptions`).
    bootstrap, seed
        Bootstrap replications for CAAR intervals and their seed.
    dimson_lags
        Leads and lags of the Dimson model.
    """

    def __init__(
        self,
        returns: pd.DataFrame,
        events: pd.DataFrame,
        benchmarks: pd.DataFrame | pd.Series | None = None,
        *,
        model: str | models.ReturnModel = "market",
        window: Window = (-1, 1),
        estimation: Window = (-250, -11),
        car_windows: list[Window] | tuple[Window, ...] | None = None,
        min_obs: int | None = None,
        exclude: pd.DataFrame | None = None,
        return_kind: str = "simple",
        other_events: str = "mask",
        bmp_prediction_error: bool = True,
        rank_ddof: int = 0,
        bootstrap: int = 1000,
        seed: int = 20230620,
        dimson_lags: int = 1,
    ) -> None:
        self.returns = returns
        _warn_if_price_levels(returns, "returns")
        if isinstance(benchmarks, pd.Series):
            benchmarks = benchmarks.to_frame()
        self.benchmarks = benchmarks
        n_bench = 0 if benchmarks is None else benchmarks.shape[1]
        self.model = (
            model
            if isinstance(model, models.ReturnModel)
            else models.make_model(model, max(n_bench, 1), dimson_lags)
        )
        if self.model.needs_benchmark > n_bench:
            raise ModelError(
                f"The {self.model.name} model needs {self.model.needs_benchmark} benchmark(s); "
                "give benchmarks= (--benchmark on the command line)."
            )
        self.window = _check_window(window, "event window")
        self.estimation = _check_window(estimation, "estimation window")
        if self.estimation[1] >= self.window[0]:
            raise WindowError(
                f"The estimation window {self.estimation} overlaps the event window "
                f"{self.window}; end it before day {self.window[0]}."
            )
        cars = tuple(car_windows) if car_windows else default_car_windows(self.window)
        for cw in cars:
            _check_window(cw, "CAR window")
            if cw[0] < self.window[0] or cw[1] > self.window[1]:
                raise WindowError(f"CAR window {cw} lies outside the event window {self.window}.")
        self.car_windows = cars
        est_len = self.estimation[1] - self.estimation[0] + 1
        floor = self.model.n_params + 3
        self.min_obs = max(floor, min_obs if min_obs is not None else est_len // 2)
        if self.min_obs > est_len:
            raise WindowError(
                f"The estimation window has {est_len} days, fewer than the {self.min_obs} "
                "usable days required; lengthen it or lower min_obs (--min-obs)."
            )
        if other_events not in ("mask", "keep"):
            raise OptionError(f"other_events must be 'mask' or 'keep', not {other_events!r}.")
        self.events = _check_events(events, returns)
        self.exclude = exclude
        self.settings = StudySettings(
            model=self.model.name,
            window=self.window,
            estimation=self.estimation,
            car_windows=cars,
            min_obs=self.min_obs,
            return_kind=return_kind,
            benchmarks=tuple(map(str, benchmarks.columns)) if benchmarks is not None else (),
            bmp_prediction_error=bmp_prediction_error,
            rank_ddof=rank_ddof,
            bootstrap=bootstrap,
            seed=seed,
            other_events=other_events,
        )

    # ------------------------------------------------------------------------------------
    def fit(self, chunk_cells: int = 250_000, pooled: bool = True) -> EventStudyResults:
        """Estimate every firm-event and compute the tests.

        Parameters
        ----------
        chunk_cells
            Firm-events are processed in chunks of about this many firm-event-days, which
            bounds the memory of the intermediate arrays (results are identical).
        pooled
            Add up, while estimating, the estimation-window sums the pooled tests need
            (:class:`research.pooling.EstimationSums`).  Studies that only want each
            firm-event's CAR (placebo draws) can skip them; :attr:`day_tests` then
            estimates once more when first asked.
        """
        s = self.settings
        idx = self.returns.index
        n_sessions = len(idx)
        ev = self.events
        w0, w1 = self.window
        pos0 = idx.get_indexer(ev["day0"])
        cols = self.returns.columns.get_indexer(ev["security"])
        late = (pos0 + w1 >= n_sessions) | (pos0 + w0 < 0)
        if late.any():
            i = int(np.argmax(late))
            raise EventError(
                f"The event window of {ev['event'].iat[i]} for {ev['security'].iat[i]} "
                f"(day 0 {ev['day0'].iat[i]:%Y-%m-%d}) runs past the data ({idx[0]:%Y-%m-%d} to "
                f"{idx[-1]:%Y-%m-%d}); import more prices or shorten the window."
            )
        cells = _cells(ev)
        out, sums = self._estimate(pos0, cols, cells, chunk_cells, sums=pooled)
        keep = out["keep"]
        params = models.Fit(
            out["coef"],
            out["xtx_inv"],
            out["sigma"],
            out["n_obs"],
            out["df"],
            None,
            out["r2"],
            out["ok"],
        )
        names = ", ".join(s.benchmarks)
        reasons = [  # only for the dropped firm-events
            f"{params.n_obs[i]} usable estimation days, fewer than the {self.min_obs} required"
            + (
                f" (the benchmark {names} has no returns in the estimation window)"
                if out["bench_days"][i] == 0 and self.model.needs_benchmark
                else ""
            )
            if params.n_obs[i] < self.min_obs
            else "estimation failed (constant or collinear regressors)"
            for i in np.flatnonzero(~keep)
        ]
        dropped = ev.loc[~keep, ["event", "group", "security"]].assign(reason=reasons)
        if not keep.any():
            first = dropped.iloc[0]
            raise WindowError(
                f"No firm-event can be estimated: {first['security']} ({first['event']}) has "
                f"{first['reason']}; lengthen the estimation window or lower min_obs "
                "(--min-obs)."
            )
        return EventStudyResults(
            study=self,
            events=ev.reset_index(drop=True),
            keep=keep,
            days=np.arange(w0, w1 + 1),
            r=out["r"],
            normal=out["normal"],
            ar=out["ar"],
            sd=out["sd"],
            cars=out["cars"],
            dropped=dropped.reset_index(drop=True),
            positions=(pos0, cols),
            _params=params,
            _cells=cells,
            _sums=sums,
            _u_evt=out.get("u_evt"),
            _sar=(out["sar_sorted"], out["sar_rank2"]) if "sar_sorted" in out else None,
        )

    def _estimate(self, pos0, cols, cells, chunk_cells=250_000, sums=True, keep_resid=False):
        """Run the estimation over all firm-events, chunk by chunk, in cell order.

        Returns the per-firm-event arrays (``keep_resid`` adds ``resid`` and ``u_all``)
        and, when ``sums``, the :class:`research.pooling.EstimationSums` of every cell.
        """
        idx = self.returns.index
        e0, e1 = self.estimation
        w0, w1 = self.window
        rel = np.arange(e0, w1 + 1)
        other = None
        if self._masks_other_events(cols):
            other = self._other_event_days(len(pos0), len(rel), pos0, cols)
        values = self.returns.to_numpy(dtype=float)
        excluded = None
        if self.exclude is not None:
            excluded = self.exclude.reindex(
                index=idx, columns=self.returns.columns, fill_value=False
            ).to_numpy(dtype=bool)
        bench_values = (
            None if self.benchmarks is None else self.benchmarks.reindex(idx).to_numpy(dtype=float)
        )
        data = {
            "values": values,
            "excluded": excluded,
            "bench": bench_values,
            "other": other,
            "fast": self._takes_closed_form(cols),
        }
        # every firm-event's combined window is one contiguous run of a security's
        # sessions: sliding-window views over (securities x sessions) copies, padded
        # with missing days before the first session, gather them row by row
        pad = max(0, -(int(pos0.min()) + e0))
        data["start"] = pad + e0
        data["r_win"] = _windows(values.T, pad, len(rel), np.nan)
        if excluded is not None:
            data["excl_win"] = _windows(excluded.T, pad, len(rel), True)
        if bench_values is not None:
            data["m_win"] = _windows(bench_values[:, :1].T, pad, len(rel), np.nan)[0]
        acc = None
        if sums:
            acc = pooling.EstimationSums.zeros(int(cells.max()) + 1, e1 - e0 + 1, w1 - w0 + 1)
        order = np.argsort(cells, kind="stable")  # cells contiguous: sums by segment
        in_order = bool((order == np.arange(len(order))).all())
        step = max(1, chunk_cells // len(rel))
        out: dict[str, Any] = {}
        k_total = len(pos0)
        for a in range(0, k_total, step):  # results written in place: no concatenation copies
            rows = slice(a, a + step) if in_order else order[a : a + step]
            part = self._fit_rows(rows, pos0, cols, rel, data, acc, cells[rows], keep_resid)
            for target, source in ((out, part), (out.setdefault("cars", {}), part.pop("cars"))):
                for key, val in source.items():
                    if key not in target:
                        target[key] = np.empty((k_total, *val.shape[1:]), dtype=val.dtype)
                    target[key][rows] = val
        return out, acc

    def _masks_other_events(self, cols: np.ndarray) -> bool:
        """Whether some security has several firm-events whose windows are masked."""
        return self.settings.other_events == "mask" and len(np.unique(cols)) < len(cols)

    def _takes_closed_form(self, cols: np.ndarray) -> bool:
        """Whether the estimation runs in closed form (:meth:`_fast_fit`): the market and
        constant-mean models without row-specific masks."""
        return not self._masks_other_events(cols) and self.model.name in (
            "market",
            "constant-mean",
        )

    def _fit_rows(self, rows, pos0, cols, rel, data, acc, cells, keep_resid):
        """Estimation, abnormal returns, CARs and ranks for one chunk of firm-events."""
        e0, e1 = self.estimation
        w0, w1 = self.window
        est_sel = slice(0, e1 - e0 + 1)
        evt_sel = slice(w0 - e0, w1 - e0 + 1)
        start = pos0[rows] + data["start"]
        c = cols[rows]
        r = data["r_win"][c, start]
        bench_evt = self._bench(
            pos0[rows, None] + np.arange(w0, w1 + 1)[None, :], True, data["bench"]
        )
        if data["fast"]:
            m = data["m_win"][start, est_sel] if self.model.name == "market" else None
            excl = data["excl_win"][c, start][:, est_sel] if "excl_win" in data else None
            fit, bench_days = self._fast_fit(r[:, est_sel], m, excl)
            x_evt, off_evt = models.design(self.model, bench_evt)
        else:
            n_sessions = data["values"].shape[0]
            pos = pos0[rows, None] + rel[None, :]
            inside = (pos >= 0) & (pos < n_sessions)
            posc = np.clip(pos, 0, n_sessions - 1)
            bench = self._bench(posc, inside, data["bench"])
            usable = np.isfinite(r)
            if data["excluded"] is not None:
                usable &= ~data["excluded"][posc, c[:, None]]
            if data["other"] is not None:
                usable &= ~data["other"][rows]
            x, offset = models.design(self.model, bench)
            fit = models.fit_ols(
                r[:, est_sel],
                x[:, est_sel],
                offset[:, est_sel],
                usable[:, est_sel],
                demean=self.model.n_params == 0,
            )
            bench_days = np.isfinite(bench[:, est_sel]).all(axis=(2, 3)).sum(axis=1)
            x_evt, off_evt = x[:, evt_sel], offset[:, evt_sel]
        keep = fit.ok & (fit.n_obs >= self.min_obs)
        r_evt = r[:, evt_sel]
        normal = models.predict(fit, x_evt, off_evt)
        ar = r_evt - normal
        sd = fit.sigma[:, None] * np.sqrt(models.prediction_factor(fit, x_evt))
        ar[~keep] = np.nan
        t_est = fit.resid.shape[1]
        u_all = None  # Corrado's ranks: only for the pooled tests or when asked for
        if acc is not None or keep_resid:
            u_all = ranks.rank_u(np.hstack([fit.resid, ar]))
        if acc is not None:
            # the generalized rank tests rank each firm-event's standardized residuals
            with np.errstate(invalid="ignore", divide="ignore"):
                sar = fit.resid / fit.sigma[:, None]
            est_ranks, sar_sorted = ranks.average_ranks(sar, return_sorted=True)
            acc.add(cells, fit.resid, u_all, keep, est_ranks)
        days = np.arange(w0, w1 + 1)
        u_evt = None if u_all is None else u_all[:, t_est:]
        cars = self._cars(fit, x_evt, ar, normal, r_evt, u_evt, days)
        part = {
            "coef": fit.coef,
            "xtx_inv": fit.xtx_inv,
            "sigma": fit.sigma,
            "n_obs": fit.n_obs,
            "df": fit.df,
            "r2": fit.r2,
            "ok": fit.ok,
            "keep": keep,
            "bench_days": bench_days,
            "r": r_evt,
            "normal": normal,
            "ar": ar,
            "sd": sd,
            "cars": cars,
        }
        if u_evt is not None:
            part["u_evt"] = u_evt
        if keep_resid:
            part["resid"] = fit.resid
        if acc is not None:  # the dependent-sample tests pair and rank them
            part["sar_sorted"] = sar_sorted
            part["sar_rank2"] = np.where(np.isfinite(est_ranks), 2 * est_ranks, 0).astype(np.uint16)
        if keep_resid:
            part["u_all"] = u_all
        return part

    # ------------------------------------------------------------------------------------
    def _fast_fit(self, r_est, m_est, excl):
        r"""OLS of the constant-mean or market model in closed form, row by row.

        ``r_est`` and ``m_est`` are the gathered estimation windows (K, T) of the returns
        and the market (None for the constant mean), ``excl`` the excluded days.  With
        ``w`` the usable days, centred sums give
        :math:`\hat\beta = \sum_w (m_t-\bar m) R_t / \sum_w (m_t-\bar m)^2`,
        :math:`\hat\alpha = \bar R - \hat\beta\bar m` and
        :math:`(X'X)^{-1} = \begin{pmatrix}1/n + \bar m^2/S & -\bar m/S \\
        -\bar m/S & 1/S\end{pmatrix}`, :math:`S = \sum_w (m_t - \bar m)^2`: the OLS
        solution without (K, T, p) design arrays (the dense path,
        :func:`research.models.fit_ols`, is the reference the tests hold it to).
        """
        usable = np.isfinite(r_est)
        if m_est is not None:
            usable &= np.isfinite(m_est)
        if excl is not None:
            usable &= ~excl
        n = usable.sum(axis=1)
        nf = np.maximum(n, 1).astype(float)
        complete = bool((n == usable.shape[1]).all())  # no day to mask: skip the masking

        def masked(a, fill):
            return a if complete else np.where(usable, a, fill)

        y0 = masked(r_est, 0.0)
        y_bar = y0.sum(axis=1) / nf
        with np.errstate(divide="ignore", invalid="ignore"):
            if m_est is None:  # constant mean
                p = 1
                ok = n > 2
                alpha = y_bar
                coef = alpha[:, None]
                xtx_inv = (1.0 / nf)[:, None, None]
                resid = masked(r_est - alpha[:, None], np.nan)
                bench_days = np.zeros(len(n), dtype=int)
            else:
                p = 2
                m_bar = masked(m_est, 0.0).sum(axis=1) / nf
                dm = masked(m_est - m_bar[:, None], 0.0)
                sxx = np.vecdot(dm, dm)
                ok = (sxx > 1e-12 * (sxx + n * m_bar**2)) & (n > 3)
                sxx = np.where(ok, sxx, 1.0)
                beta = np.vecdot(dm, y0) / sxx
                alpha = y_bar - beta * m_bar
                coef = np.stack([alpha, beta], axis=1)
                off = -m_bar / sxx
                xtx_inv = np.stack(
                    [np.stack([1.0 / nf + m_bar**2 / sxx, off], 1), np.stack([off, 1.0 / sxx], 1)],
                    1,
                )
                resid = masked(r_est - alpha[:, None] - beta[:, None] * m_est, np.nan)
                bench_days = np.isfinite(m_est).sum(axis=1)
            e = masked(resid, 0.0)
            ss = np.vecdot(e, e)
            df = n - p
            sigma = np.sqrt(ss / df)
            if p == 2:  # total sum of squares about the mean
                r2 = 1.0 - ss / (np.vecdot(y0, y0) - n * y_bar**2)
            else:
                r2 = np.full(len(n), np.nan)
        ok &= np.isfinite(sigma) & (sigma > 0)
        coef = np.where(ok[:, None], coef, np.nan)
        sigma = np.where(ok, sigma, np.nan)
        resid[~ok] = np.nan
        return models.Fit(coef, xtx_inv, sigma, n, df, resid, r2, ok), bench_days

    def _bench(self, posc: np.ndarray, inside: np.ndarray, b: np.ndarray | None) -> np.ndarray:
        """(rows, T, q, S) benchmark returns at the model's shifts."""
        shifts = self.model.shifts
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

    def _pairs(self, pos0: np.ndarray, cols: np.ndarray, lo: int, hi: int):
        """Pairs (a, b), a != b, of one security's firm-events with lo <= pos0[b] - pos0[a] <= hi.

        Sorted keys and ``searchsorted``: O(K log K + pairs), no Python loop.
        """
        span = int(max(abs(lo), abs(hi))) + len(self.returns.index) + 1
        key = cols.astype(np.int64) * (3 * span) + pos0.astype(np.int64)
        order = np.argsort(key, kind="stable")
        skey = key[order]
        start = np.searchsorted(skey, skey + lo, side="left")
        end = np.searchsorted(skey, skey + hi, side="right")
        counts = end - start
        a_sorted = np.repeat(np.arange(len(skey)), counts)
        offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        b_sorted = np.repeat(start, counts) + offsets
        a, b = order[a_sorted], order[b_sorted]
        keep = a != b
        a, b = a[keep], b[keep]
        return a, b, pos0[b] - pos0[a]

    def _overlaps(self, pos0: np.ndarray, cols: np.ndarray) -> pd.DataFrame:
        """Pairs of firm-events of one security whose windows touch each other."""
        ev = self.events
        e0, e1 = self.estimation
        w0, w1 = self.window
        a, b, d = self._pairs(pos0, cols, e0 - w1, w1 - w0)
        both = (np.abs(d) <= w1 - w0) & (a < b)
        inside = (d >= e0 - w1) & (d <= e1 - w0)
        sel = both | inside
        kind = np.where(
            both[sel], "event windows overlap", "other event window inside the estimation window"
        )
        return pd.DataFrame(
            {
                "security": ev["security"].to_numpy()[a[sel]],
                "event": ev["event"].to_numpy()[a[sel]],
                "other_event": ev["event"].to_numpy()[b[sel]],
                "kind": kind,
                "offset": d[sel].astype(int),
            }
        )

    def _other_event_days(self, k: int, t: int, pos0: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """(K, T) True on days inside another firm-event window of the same security."""
        e0 = self.estimation[0]
        w0, w1 = self.window
        a, b, d = self._pairs(pos0, cols, e0 - w1, t + e0 - w0)
        first = np.clip(d + w0 - e0, 0, t)  # columns of a's row covered by b's window
        last = np.clip(d + w1 - e0 + 1, 0, t)
        # overlap counts never exceed a security's number of events: int16 when that is
        # safe (a quarter of int32's cumulative-sum time), else int32
        most = int(np.bincount(cols).max()) if len(cols) else 0
        marks = np.zeros((k, t + 1), dtype=np.int16 if most < 32_000 else np.int32)
        np.add.at(marks, (a, first), 1)
        np.add.at(marks, (a, last), -1)
        return np.cumsum(marks[:, :t], axis=1, dtype=marks.dtype) > 0

    def _cars(self, fit, x_evt, ar, normal, r_evt, u_evt, days) -> dict[str, np.ndarray]:
        kind = self.settings.return_kind
        out: dict[str, list[np.ndarray]] = {k: [] for k in ("car", "sd", "t", "bhar", "length")}
        for a, b in self.car_windows:
            sel = (days >= a) & (days <= b)
            present = np.isfinite(ar[:, sel])
            # a CAR needs every day of its window (as a BHAR does): a sum over fewer days
            # is another window, and the crude-dependence and rank tests divide by L
            # (the firm-event is reported in `incomplete_windows`)
            whole = present.all(axis=1)
            car = np.where(whole, np.nansum(ar[:, sel], axis=1), np.nan)
            var = fit.sigma**2 * models.car_variance_factor(fit, x_evt[:, sel], present)
            sd = np.where(whole, np.sqrt(var), np.nan)
            t = inference.single_t(car, sd)
            simple_r = to_simple(r_evt[:, sel], kind)
            simple_n = to_simple(normal[:, sel], kind)
            bhar = np.prod(1 + simple_r, axis=1) - np.prod(1 + simple_n, axis=1)
            bhar = np.where(present.all(axis=1), bhar, np.nan)
            for key, val in (
                ("car", car),
                ("sd", sd),
                ("t", t),
                ("bhar", bhar),
                ("length", np.full(len(car), sel.sum())),
            ):
                out[key].append(val)
        if u_evt is not None:
            out["u"] = [window_u(u_evt, days, self.car_windows)]
        return {k: np.column_stack(v) for k, v in out.items()}


def window_u(u_evt: np.ndarray, days: np.ndarray, car_windows) -> np.ndarray:
    """Corrado's U summed over each CAR window (K, W); NaN where a window misses a day (as
    the CAR is)."""
    out = []
    for a, b in car_windows:
        part = u_evt[:, (days >= a) & (days <= b)]
        out.append(np.where(np.isfinite(part).all(axis=1), part.sum(axis=1), np.nan))
    return np.column_stack(out)


class CarTable(dict):
    """Per firm-event and CAR window (K, W): ``car``, ``sd``, ``t``, ``bhar``,
    ``length``, and, computed on first use, ``p`` (the two-sided p-value of ``t`` on
    each firm-event's residual degrees of freedom) and ``u`` (Corrado's U summed over
    the window)."""

    def __init__(self, arrays: dict[str, np.ndarray], lazy: dict[str, Any]) -> None:
        super().__init__(arrays)
        self.lazy = lazy

    def __missing__(self, key: str) -> np.ndarray:
        if key not in self.lazy:
            raise KeyError(key)
        self[key] = self.lazy[key]()
        return self[key]


def _windows(a: np.ndarray, pad: int, width: int, fill) -> np.ndarray:
    """Sliding windows of ``width`` along the last axis of ``a`` after ``pad`` ``fill``
    values: ``out[i, s]`` is ``a[i, s - pad : s - pad + width]`` (a view of one copy)."""
    padded = np.full((a.shape[0], a.shape[1] + pad), fill, dtype=a.dtype)
    padded[:, pad:] = a
    return np.lib.stride_tricks.sliding_window_view(padded, width, axis=1)


def _cells(events: pd.DataFrame) -> np.ndarray:
    """Cell (event, group) code of each firm-event, numbered in (event, group) order."""
    e, _ = pd.factorize(events["event"])
    g, names = pd.factorize(events["group"])
    return np.unique(e.astype(np.int64) * len(names) + g, return_inverse=True)[1]


def _warn_if_price_levels(frame: pd.DataFrame, what: str) -> None:
    """Warn when ``frame`` holds price levels rather than returns: most values at least 1
    in absolute size (a daily return of 100% or more is rare; a price of 1 or more is
    common)."""
    values = frame.to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    if finite.size and np.mean(np.abs(finite) >= 1) > 0.5:
        import warnings

        warnings.warn(
            f"The {what} look like price levels (median {np.median(finite):.4g}), not "
            "returns; compute returns first (research.returns.compute_returns).",
            UserWarning,
            stacklevel=3,
        )


def _check_window(window, what: str) -> Window:
    try:
        a, b = (int(v) for v in window)
    except (TypeError, ValueError):
        raise WindowError(
            f"The {what} must be two whole numbers of days, not {window!r}."
        ) from None
    if b < a:
        raise WindowError(f"The {what} ({a}, {b}) ends before it starts.")
    return a, b


def _check_events(events: pd.DataFrame, returns: pd.DataFrame) -> pd.DataFrame:
    missing = {"security", "day0"} - set(events.columns)
    if missing:
        raise EventError(f"The events table lacks the column(s) {', '.join(sorted(missing))}.")
    ev = events.copy()
    if "event" not in ev:
        ev["event"] = ev["day0"].map(lambda d: f"{pd.Timestamp(d):%Y-%m-%d}")
    if "group" not in ev:
        ev["group"] = "all"
    elif (ev["group"] == "all").any() and ev["group"].nunique() > 1:
        raise EventError(
            "'all' names the pooled cohort of an event's groups; rename the group called all."
        )
    ev["day0"] = pd.to_datetime(ev["day0"])
    unknown = sorted(set(pd.unique(ev["security"])) - set(returns.columns))
    if unknown:
        raise EventError(f"No returns for {', '.join(map(str, unknown))}.")
    index_tz = getattr(returns.index, "tz", None)
    day0_tz = getattr(ev["day0"].dt, "tz", None)
    if (index_tz is None) != (day0_tz is None):
        raise EventError(
            "The returns' dates and the events' day 0 differ in time zone "
            f"({index_tz or 'naive'} vs {day0_tz or 'naive'}); give both as plain session "
            "dates (e.g. index.tz_localize(None))."
        )
    off = ~ev["day0"].isin(returns.index)
    if off.any():
        row = ev.loc[off].iloc[0]
        span = f"({returns.index[0]:%Y-%m-%d} to {returns.index[-1]:%Y-%m-%d})"
        if row["day0"] < returns.index[0]:
            where = f"is before the first return {span}"
        elif row["day0"] > returns.index[-1]:
            where = f"is after the last return {span}"
        else:
            where = f"is not a session of the returns {span}"
        raise EventError(f"Day 0 of {row['event']} ({row['day0']:%Y-%m-%d}) {where}.")
    if ev.duplicated(["event", "security"]).any():
        row = ev.loc[ev.duplicated(["event", "security"])].iloc[0]
        raise EventError(f"{row['security']} appears twice for event {row['event']}.")
    return ev.reset_index(drop=True)


# ----------------------------------------------------------------------------------------
@dataclass
class EventStudyResults:
    """Results of :meth:`EventStudy.fit`.

    The arrays hold one row per firm-event (in ``events`` order) and one
    column per event day (``days``) or CAR window.  The frames built from them
    (:attr:`abnormal`, :attr:`day_tests`, :attr:`window_tests`,
    :attr:`estimation`) are what outputs use; :meth:`to_frame` is the single
    table of record.

    The fit keeps what the tests need; the rest is computed on first use:
    :attr:`t_single` and :attr:`p_single`, :attr:`dates`, ``cars["p"]``, and, by
    a second estimation pass (which a study of a whole market should only pay
    for when it wants them), the estimation residuals ``fit.resid`` and
    Corrado's ranks over every day :attr:`u_all`.
    """

    study: EventStudy
    events: pd.DataFrame
    keep: np.ndarray
    days: np.ndarray
    r: np.ndarray
    normal: np.ndarray
    ar: np.ndarray
    sd: np.ndarray
    cars: dict[str, np.ndarray]
    dropped: pd.DataFrame
    positions: tuple[np.ndarray, np.ndarray]
    alignment: pd.DataFrame | None = None
    quality: pd.DataFrame | None = None
    benchmark_alignment: dict[str, str] | None = None
    market_note: str = ""
    data_note: str = ""
    _params: models.Fit | None = field(default=None, repr=False)
    _cells: np.ndarray | None = field(default=None, repr=False)
    _sums: pooling.EstimationSums | None = field(default=None, repr=False)
    _u_evt: np.ndarray | None = field(default=None, repr=False)
    _sar: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        df = self._params.df
        self.cars = CarTable(
            self.cars,
            {
                "p": lambda: inference.single_p(self.cars["t"], df),
                "u": lambda: window_u(self.u_evt, self.days, self.settings.car_windows),
            },
        )

    @property
    def settings(self) -> StudySettings:
        return self.study.settings

    @property
    def overlaps(self) -> pd.DataFrame:
        """Pairs of firm-events of one security whose windows touch (computed on first use)."""
        if "overlaps" not in self._cache:
            self._cache["overlaps"] = self.study._overlaps(*self.positions)
        return self._cache["overlaps"]

    # -- computed on first use -----------------------------------------------------------
    def _second_pass(self) -> dict[str, np.ndarray]:
        """Estimate again, keeping the estimation residuals and every rank (the first
        pass keeps only what the tests need)."""
        if "second" not in self._cache:
            out, sums = self.study._estimate(
                *self.positions, self._cells, sums=self._sums is None, keep_resid=True
            )
            self._cache["second"] = {"resid": out["resid"], "u_all": out["u_all"]}
            if self._sums is None:  # fitted with pooled=False: this pass serves the tests too
                self._sums, self._u_evt = sums, out["u_evt"]
                self._sar = (out["sar_sorted"], out["sar_rank2"])
        return self._cache["second"]

    @property
    def fit(self) -> models.Fit:
        """The estimation: coefficients, ``(X'X)^-1``, sigma, residuals (re-estimated on
        first use), R² (:class:`research.models.Fit`)."""
        if "fit" not in self._cache:
            self._cache["fit"] = replace(self._params, resid=self._second_pass()["resid"])
        return self._cache["fit"]

    @property
    def u_all(self) -> np.ndarray:
        """Corrado's ``U`` over the estimation and event windows (K, T + L)."""
        return self._second_pass()["u_all"]

    @property
    def dates(self) -> np.ndarray:
        """Session of every firm-event and event day (K, L)."""
        pos0, _ = self.positions
        return self.study.returns.index.to_numpy()[pos0[:, None] + self.days[None, :]]

    @property
    def t_single(self) -> np.ndarray:
        """``AR / sd`` of every firm-event and event day (K, L)."""
        return inference.single_t(self.ar, self.sd)

    @property
    def p_single(self) -> np.ndarray:
        """Two-sided p-value of :attr:`t_single` on ``m_i - p`` degrees of freedom (K, L)."""
        if "p_single" not in self._cache:
            self._cache["p_single"] = inference.single_p(self.t_single, self._params.df)
        return self._cache["p_single"]

    @property
    def u_evt(self) -> np.ndarray:
        """Corrado's ``U`` on the event days (K, L)."""
        if self._u_evt is None:
            self._estimation_sums()
        return self._u_evt

    def _estimation_sums(self) -> pooling.EstimationSums:
        if self._sums is None:  # fitted with pooled=False: one more pass
            out, self._sums = self.study._estimate(*self.positions, self._cells, sums=True)
            self._sar = (out["sar_sorted"], out["sar_rank2"])
            if self._u_evt is None:
                self._u_evt = out["u_evt"]
        return self._sums

    # -- per firm-event ----------------------------------------------------------------
    @property
    def estimation(self) -> pd.DataFrame:
        """Estimation details per firm-event: length, coefficients, sigma, R², kept."""
        f = self._params
        frame = self.events[["event", "group", "security", "day0"]].copy()
        frame["n_obs"] = f.n_obs
        frame["df"] = f.df
        for j, name in enumerate(self.study.model.coef_names):
            frame[name] = f.coef[:, j]
        frame["sigma"] = f.sigma
        frame["r2"] = f.r2
        frame["kept"] = self.keep
        return frame

    def _by_firm_event(self, values: np.ndarray) -> pd.DataFrame:
        index = pd.MultiIndex.from_frame(self.events[["event", "security"]])
        return pd.DataFrame(values, index=index, columns=list(self.study.model.coef_names))

    @property
    def params(self) -> pd.DataFrame:
        """The normal-return model's coefficients, one row per firm-event (statsmodels'
        name)."""
        return self._by_firm_event(self._params.coef)

    @property
    def bse(self) -> pd.DataFrame:
        r"""Their standard errors, :math:`\hat\sigma\sqrt{[(X'X)^{-1}]_{kk}}`."""
        diag = np.diagonal(self._params.xtx_inv, axis1=1, axis2=2)
        with np.errstate(invalid="ignore"):
            return self._by_firm_event(self._params.sigma[:, None] * np.sqrt(diag))

    @property
    def tvalues(self) -> pd.DataFrame:
        """``params / bse``."""
        return self.params / self.bse

    @property
    def abnormal(self) -> pd.DataFrame:
        """One row per firm-event and event day: return, normal return, AR, its s.d., t_single."""
        if "abnormal" in self._cache:
            return self._cache["abnormal"]
        k, length = self.ar.shape
        rep = self.events.loc[np.repeat(np.arange(k), length), ["event", "group", "security"]]
        frame = rep.reset_index(drop=True)
        frame["day"] = np.tile(self.days, k)
        frame["date"] = pd.to_datetime(self.dates.ravel())
        frame["ret"] = self.r.ravel()
        frame["normal"] = self.normal.ravel()
        frame["ar"] = self.ar.ravel()
        frame["car"] = np.nancumsum(self.ar, axis=1).ravel()
        frame["ar_sd"] = self.sd.ravel()
        frame["t_single"] = self.t_single.ravel()
        frame["t_single_p"] = self.p_single.ravel()
        kept = np.repeat(self.keep, length)
        frame = frame.loc[kept].reset_index(drop=True)
        self._cache["abnormal"] = frame
        return frame

    @property
    def security_windows(self) -> pd.DataFrame:
        """One row per firm-event and CAR window: CAR, its s.d., t_single, BHAR."""
        rows = []
        c = self.cars
        for j, (a, b) in enumerate(self.settings.car_windows):
            part = self.events[["event", "group", "security"]].copy()
            part["window"] = f"({a},{b})"
            part["start"], part["end"] = a, b
            part["car"] = c["car"][:, j]
            part["car_sd"] = c["sd"][:, j]
            part["t_single"] = c["t"][:, j]
            part["t_single_p"] = c["p"][:, j]
            part["bhar"] = c["bhar"][:, j]
            rows.append(part.loc[self.keep])
        return pd.concat(rows, ignore_index=True)

    # -- pooled ------------------------------------------------------------------------
    def _layout(self) -> pooling.CohortLayout:
        if "layout" not in self._cache:
            ev_codes, ev_names = pd.factorize(self.events["event"])  # first-appearance order
            gr_codes, gr_names = pd.factorize(self.events["group"])
            self._cache["layout"] = pooling.CohortLayout.build(
                ev_codes, ev_names, gr_codes, gr_names, self._cells, self.keep
            )
        return self._cache["layout"]

    def cohorts(self) -> list[tuple[str, str, np.ndarray]]:
        """(event, group, row indices) for each cohort, plus ``all`` groups when several."""
        layout = self._layout()
        return [
            (event, group, layout.segment_rows(kind, seg))
            for event, group, kind, seg in layout.cohorts
        ]

    def _pooled(self, level: str) -> tuple[dict[str, np.ndarray], list[np.ndarray]]:
        """Every test for every cohort (rows of the returned arrays, in cohort order)."""
        layout = self._layout()
        opts = inference.TestOptions(self.settings.bmp_prediction_error, self.settings.rank_ddof)
        cell_sums = self._estimation_sums().take(layout.cell_code)
        rows = layout.rows
        if len(rows) == len(self.keep) and (rows == np.arange(len(rows))).all():
            rows = slice(None)  # every firm-event, in order: views, no copies
        f = self._params
        if level == "day":
            arrays = (self.ar[rows], self.sd[rows], self.u_evt[rows])
            length = None
        else:
            c = self.cars
            arrays = (c["car"][rows], c["sd"][rows], c["u"][rows])
            length = c["length"][0]
        window_days = self.window_days(level)[rows]
        sigma, df = f.sigma[rows], f.df[rows].astype(float)
        ar_days = self.ar[rows]
        partitions = [(layout.cell_start, cell_sums)]
        if any(kind == "event" for _, _, kind, _ in layout.cohorts):  # their `all` rows
            partitions.append((layout.event_start, cell_sums.combine(layout.event_cells)))
        pmf = pooling.signed_rank_null()
        parts = [
            pooling.pooled_battery(
                arrays[0],
                arrays[1],
                sigma,
                df,
                arrays[2],
                starts,
                sums.summaries(opts.rank_ddof),
                opts,
                sar_sorted=self._sar[0][rows],
                sar_rank2=self._sar[1][rows],
                ar_days=ar_days,
                window_days=window_days,
                length=length,
                pmf=pmf,
            )
            for starts, sums in partitions
        ]
        n_cells = len(layout.cell_start)
        pick = np.array(
            [seg if kind == "cell" else n_cells + seg for _, _, kind, seg in layout.cohorts],
            dtype=np.intp,
        )
        out = {key: np.concatenate([p[key] for p in parts])[pick] for key in parts[0]}
        return out, [rows for _, _, rows in self.cohorts()]

    def _cohort_frame(self, out, labels, n_cols) -> pd.DataFrame:
        cohorts = self._layout().cohorts
        frame = pd.DataFrame(
            {
                "event": np.repeat([c[0] for c in cohorts], n_cols),
                "group": np.repeat([c[1] for c in cohorts], n_cols),
                labels[0]: np.tile(labels[1], len(cohorts)),
            }
        )
        for key, val in out.items():
            if not key.startswith("_"):
                frame[key] = val.ravel()
        return frame

    def window_days(self, level: str) -> np.ndarray:
        """(K, J) event days with an abnormal return in each column: each day (``day``)
        or each CAR window (``window``)."""
        present = np.isfinite(self.ar)
        if level == "day":
            return present.astype(float)
        return np.column_stack(
            [
                present[:, (self.days >= a) & (self.days <= b)].sum(axis=1)
                for a, b in self.settings.car_windows
            ]
        ).astype(float)

    @property
    def incomplete_windows(self) -> pd.DataFrame:
        """Kept firm-events with no abnormal return on some day of a CAR window: they have
        no CAR (nor BHAR) for that window and leave its tests; the day tests keep their
        other days."""
        rows = []
        for a, b in self.settings.car_windows:
            sel = (self.days >= a) & (self.days <= b)
            gap = self.keep & ~np.isfinite(self.ar[:, sel]).all(axis=1)
            for i in np.flatnonzero(gap):
                missing = self.days[sel][~np.isfinite(self.ar[i, sel])]
                rows.append(
                    (
                        self.events["event"].iat[i],
                        self.events["group"].iat[i],
                        self.events["security"].iat[i],
                        f"({a},{b})",
                        ", ".join(f"{d:+d}" for d in missing),
                    )
                )
        return pd.DataFrame(rows, columns=["event", "group", "security", "window", "missing_days"])

    @property
    def cohort_clustering(self) -> pd.DataFrame:
        """Per cohort: ``n`` firm-events, ``dates`` distinct day-0 sessions,
        ``overlapping`` firm-events whose event window overlaps another's in calendar
        time, and ``clustered`` (any such overlap: the cohort's abnormal returns are
        cross-correlated)."""
        if "clustering" not in self._cache:
            pos0, _ = self.positions
            span = self.settings.window[1] - self.settings.window[0]
            rows = []
            for event, group, members in self.cohorts():
                p = np.sort(pos0[members])
                near = np.diff(p) <= span
                touching = np.zeros(len(p), dtype=bool)
                touching[:-1] |= near
                touching[1:] |= near
                rows.append((event, group, len(p), len(np.unique(p)), int(touching.sum())))
            frame = pd.DataFrame(rows, columns=["event", "group", "n", "dates", "overlapping"])
            frame["clustered"] = frame["overlapping"] > 0
            # overlapping windows around different day-0 sessions: correlations measured in
            # event time (Kolari-Pynnönen, the adjusted interval) miss the shared calendar
            # days, so such cohorts lead with the permutation test and its interval
            frame["staggered"] = frame["clustered"] & (frame["dates"] > 1)
            self._cache["clustering"] = frame
        return self._cache["clustering"]

    @property
    def clustered(self) -> bool:
        """Whether any cohort's firm-events share calendar days (see
        :attr:`cohort_clustering`)."""
        return bool(self.cohort_clustering["clustered"].any())

    @property
    def staggered(self) -> bool:
        """Whether a clustered cohort's firm-events have different day-0 sessions (see
        :attr:`cohort_clustering`)."""
        return bool(self.cohort_clustering["staggered"].any())

    @property
    def headline_tests(self) -> tuple[str, ...]:
        """The tests this study leads with (:func:`research.headline.headline_tests`)."""
        from research.headline import headline_tests

        return headline_tests(self.clustered, self.staggered)

    @property
    def day_tests(self) -> pd.DataFrame:
        """Per cohort and event day: ``n``, ``aar``, ``caar`` and every test with its p-value."""
        if "days" in self._cache:
            return self._cache["days"]
        out, members = self._pooled("day")
        length = len(self.days)
        first = np.array([m[0] for m in members], dtype=np.intp)
        frame = self._cohort_frame(out, ("day", self.days), length)
        frame.insert(3, "date", pd.to_datetime(self.dates[first].ravel()))
        caar = np.nancumsum(out["aar"], axis=1)
        frame.insert(6, "caar", caar.ravel())
        # the CAAR path's band: the dependence-adjusted interval of the mean CAR from the
        # window's first day to each day (see window_tests)
        car = np.where(
            np.isfinite(self.ar).cumsum(axis=1) > 0, np.nancumsum(self.ar, axis=1), np.nan
        )
        spreads = [inference.cross_sectional(car[m]) for m in members]
        half = np.vstack(
            [
                inference.dependence_adjusted_half_width(
                    cs["sd"] / np.sqrt(cs["n"]), cs["n"], out["_r_bar"][k]
                )
                for k, cs in enumerate(spreads)
            ]
        )
        # (no band for a staggered cohort: its event-time correlation misses shared days)
        half = np.where(self.cohort_clustering["staggered"].to_numpy()[:, None], np.nan, half)
        frame["caar_ci_low"] = (caar - half).ravel()
        frame["caar_ci_high"] = (caar + half).ravel()
        one = np.array([len(m) == 1 for m in members])[:, None]
        t = inference.single_t(self.ar[first], self.sd[first])
        p = inference.single_p(t, self._params.df[first])
        frame["t_single"] = np.where(one, t, np.nan).ravel()
        frame["t_single_p"] = np.where(one, p, np.nan).ravel()
        self._cache["days"] = frame
        return frame

    @property
    def window_tests(self) -> pd.DataFrame:
        """Per cohort and CAR window: ``n``, ``caar``, ``bhar``, every test, bootstrap CI."""
        if "windows" in self._cache:
            return self._cache["windows"]
        out, members = self._pooled("window")
        out = {("caar" if k == "aar" else k): v for k, v in out.items()}
        labels = [f"({a},{b})" for a, b in self.settings.car_windows]
        frame = self._cohort_frame(out, ("window", labels), len(labels))
        starts, ends = zip(*self.settings.car_windows, strict=True)
        frame.insert(3, "start", np.tile(starts, len(self._layout().cohorts)))
        frame.insert(4, "end", np.tile(ends, len(self._layout().cohorts)))
        bhar = self.cars["bhar"]
        frame.insert(5, "bhar", np.concatenate([nanmean_columns(bhar[m]) for m in members]))
        # the CAAR interval: dependence-adjusted when the cohort's firm-events share
        # calendar days (a firm bootstrap assumes them independent and covers the true
        # CAAR in about half the trials there; docs/validation.md), else the firm
        # bootstrap (or, with no bootstrap, the same adjusted interval)
        half = inference.dependence_adjusted_half_width(out["_se"], out["n"], out["_r_bar"])
        clustering = self.cohort_clustering
        clustered = clustering["clustered"].to_numpy()
        staggered = clustering["staggered"].to_numpy()[:, None]
        boot = ~clustered & (self.settings.bootstrap > 0)
        lo, hi = out["caar"] - half, out["caar"] + half
        # staggered day 0s: the calendar-time permutation interval, obs - q97.5 .. obs - q2.5
        lo = np.where(staggered, out["caar"] - out["_perm_hi"], lo)
        hi = np.where(staggered, out["caar"] - out["_perm_lo"], hi)
        rng = np.random.default_rng(self.settings.seed)
        for k in np.flatnonzero(boot):
            lo[k], hi[k] = inference.bootstrap_mean_ci(
                self.cars["car"][members[k]], self.settings.bootstrap, rng
            )
        frame["caar_ci_low"] = lo.ravel()
        frame["caar_ci_high"] = hi.ravel()
        method = np.where(boot, "bootstrap", "dependence-adjusted")
        method = np.where(staggered[:, 0], "permutation", method)
        frame["ci_method"] = np.repeat(method, len(labels))
        first = np.array([m[0] for m in members], dtype=np.intp)
        one = np.array([len(m) == 1 for m in members])[:, None]
        t = self.cars["t"][first]
        p = inference.single_p(t, self._params.df[first])
        frame["t_single"] = np.where(one, t, np.nan).ravel()
        frame["t_single_p"] = np.where(one, p, np.nan).ravel()
        self._cache["windows"] = frame
        return frame

    # -- outputs -----------------------------------------------------------------------
    def to_frame(self, level: str = "day") -> pd.DataFrame:
        """The table of record.

        Parameters
        ----------
        level
            ``day``: one row per security and event day (``ar``, ``car``,
            ``t_single``) followed by the pooled rows (``security`` = ``*``,
            with ``aar``, ``caar`` and every test).  ``window``: the same per
            CAR window.
        """
        if level == "day":
            pooled = self.day_tests.assign(security="*")
            return pd.concat([self.abnormal, pooled], ignore_index=True)
        if level == "window":
            pooled = self.window_tests.assign(security="*")
            return pd.concat([self.security_windows, pooled], ignore_index=True)
        raise OptionError(f"level must be 'day' or 'window', not {level!r}.")

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain data (the JSON output)."""
        est = self.estimation
        from research.headline import headline_reason, test_notes

        return {
            "headline_tests": list(self.headline_tests),
            "headline_reason": headline_reason(self.clustered, self.staggered),
            "test_notes": test_notes(self.clustered),
            "cohorts": json_records(self.cohort_clustering),
            "settings": asdict(self.settings),
            "alignment": json_records(self.alignment),
            "market": self.market_note,
            "data": self.data_note,
            "benchmark_alignment": self.benchmark_alignment or {},
            "estimation": json_records(est),
            "dropped": json_records(self.dropped),
            "overlaps": json_records(self.overlaps),
            "incomplete_windows": json_records(self.incomplete_windows),
            "quality": json_records(self.quality),
            "days": json_records(self.day_tests),
            "windows": json_records(self.window_tests),
            "securities": json_records(self.abnormal),
            "security_windows": json_records(self.security_windows),
        }

    def to_json(self, indent: int | None = 1) -> str:
        """:meth:`to_dict` as JSON (NaN written as null)."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False, default=str)

    def summary(self, tests: str | list[str] | tuple[str, ...] | None = None):
        """statsmodels-style summary (:class:`research.report.Summary`): ``print()`` it for
        the text tables; ``as_html()``, ``as_latex()``, ``as_csv()``; a notebook shows it.

        Parameters
        ----------
        tests
            ``None`` for the study's headline tests, ``"all"``, or test names.
        """
        from research.report import study_summary

        return study_summary(self, tests)

    def __repr__(self) -> str:
        s = self.settings
        names = [str(e) for e in pd.unique(self.events["event"])]
        events = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
        return (
            f"<EventStudyResults: {s.model} model on {', '.join(s.benchmarks) or 'own mean'}, "
            f"window {s.window}, estimation {s.estimation}; events {events}; "
            f"{len(self.cohort_clustering)} cohort(s), {int(self.keep.sum())} firm-events, "
            f"{len(self.dropped)} dropped; headline: {', '.join(self.headline_tests)}>"
        )

    def _repr_html_(self) -> str:
        import html

        return f"<pre>{html.escape(repr(self))}</pre>" + self.summary().as_html()

    def plot(self, **kwargs):
        """CAAR path with its 95% band per cohort (see :func:`research.plotting.plot_caar`)."""
        from research.plotting import plot_caar

        return plot_caar(self, **kwargs)
