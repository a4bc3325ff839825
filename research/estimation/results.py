"""Results of an event study: per firm-event arrays, pooled tests per cohort, outputs.

:meth:`research.estimation.study.EventStudy.fit` returns an :class:`EventStudyResults`.  What the
fit computed is stored; everything else (the tables, the pooled tests, the residuals)
is a :func:`functools.cached_property` computed on first use and never changed after:
reading an attribute never re-runs the estimation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from research.errors import OptionError
from research.estimation import (
    cars,
    cohorts,
    diagnostics,
    engine,
    models,
    overlap,
    precision,
    security_tables,
    volatility_tables,
)
from research.stats import dependent, inference, pooling, ranks
from research.stats.numerics import nanmean_columns

if TYPE_CHECKING:
    from research.estimation.study import EventStudy, StudySettings

__all__ = ["POOLED_BLOCK_ROWS", "EventStudyResults"]

# firm-events per block of the pooled tests (whole cohorts; a larger cohort alone)
POOLED_BLOCK_ROWS = 16_384


@dataclass
class EventStudyResults:
    """Results of :meth:`EventStudy.fit`.

    The arrays hold one row per firm-event (in ``events`` order) and one
    column per event day (``days``) or CAR window.  The frames built from them
    (:attr:`abnormal`, :attr:`day_tests`, :attr:`window_tests`,
    :attr:`estimation`) are what outputs use; :meth:`to_frame` is the single
    table of record.

    The fit keeps what the tests need; the rest is computed on first use and cached:
    :attr:`t_single` and :attr:`p_single`, :attr:`dates`, ``cars["p"]``, the
    estimation residuals :attr:`resid` (from the fitted coefficients, without
    re-estimating) and Corrado's ranks over every day :attr:`u_all`.  Where the inputs
    came from (:attr:`alignment`, :attr:`quality`, the notes) is the study's
    :class:`research.estimation.study.StudyContext`.
    """

    study: EventStudy
    events: pd.DataFrame
    keep: np.ndarray
    days: np.ndarray
    ar: np.ndarray
    sd: np.ndarray
    cars: dict[str, np.ndarray]
    dropped: pd.DataFrame
    positions: tuple[np.ndarray, np.ndarray]
    _params: models.Fit | None = field(default=None, repr=False)
    _cells: np.ndarray | None = field(default=None, repr=False)
    _sums: cohorts.EstimationSums | None = field(default=None, repr=False)
    _u_evt: np.ndarray | None = field(default=None, repr=False)
    _cell_events: np.ndarray | None = field(default=None, repr=False)
    _est_present: np.ndarray | None = field(default=None, repr=False)
    _dependent: dependent.DependentStats | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        """Wrap the CAR arrays so ``p`` and ``u`` are computed on first use."""
        df = self._params.df
        self.cars = cars.CarTable(
            self.cars,
            {
                "p": lambda: inference.single_p(self.cars["t"], df),
                "u": lambda: cars.window_u(self.u_evt, self.days, self.settings.car_windows),
            },
        )

    @property
    def settings(self) -> StudySettings:
        """What the study was asked to do (:class:`research.estimation.study.StudySettings`)."""
        return self.study.settings

    # -- where the inputs came from (the study's context) ---------------------------------
    @property
    def alignment(self) -> pd.DataFrame | None:
        """How each event's moment maps to its day-0 session (None for a bare study)."""
        return self.study.context.alignment

    @property
    def quality(self) -> pd.DataFrame | None:
        """Data-quality flags of the study's series that touch its windows."""
        return self.study.context.quality

    @property
    def benchmark_alignment(self) -> dict[str, str]:
        """How each benchmark was aligned to the study's sessions."""
        return dict(self.study.context.benchmark_alignment)

    @property
    def market_note(self) -> str:
        """Which market's sessions the study uses, and why."""
        return self.study.context.market_note

    @property
    def data_note(self) -> str:
        """Where the prices came from."""
        return self.study.context.data_note

    @cached_property
    def overlaps(self) -> pd.DataFrame:
        """Pairs of firm-events of one security whose windows touch."""
        return overlap.overlaps(self.study.inputs, self.events, *self.positions)

    # -- computed on first use -----------------------------------------------------------
    @cached_property
    def _event_returns(self) -> tuple[np.ndarray, np.ndarray]:
        return engine.event_returns(self.study.inputs, *self.positions, self._params)

    @property
    def r(self) -> np.ndarray:
        """Returns on the event days (K, L)."""
        return self._event_returns[0]

    @property
    def normal(self) -> np.ndarray:
        """Normal (expected) returns on the event days (K, L)."""
        return self._event_returns[1]

    @cached_property
    def resid(self) -> np.ndarray:
        """Estimation-window residuals (K, T), NaN on days that did not enter the fit:
        recomputed from the fitted coefficients (:func:`research.estimation.engine.residuals`).
        """
        return engine.residuals(self.study.inputs, *self.positions, self._params)

    @cached_property
    def model_fit(self) -> models.Fit:
        """The normal-return model's fit of every firm-event: coefficients, ``(X'X)^-1``,
        sigma, usable days, residual degrees of freedom, residuals, R²
        (:class:`research.estimation.models.Fit`).
        """
        return replace(self._params, resid=self.resid)

    @cached_property
    def u_all(self) -> np.ndarray:
        """Corrado's ``U`` over the estimation and event windows (K, T + L)."""
        return ranks.rank_u(np.hstack([self.resid, self.ar]))

    @property
    def dates(self) -> np.ndarray:
        """Session of every firm-event and event day (K, L)."""
        pos0, _ = self.positions
        return self.study.returns.index.to_numpy()[pos0[:, None] + self.days[None, :]]

    @property
    def t_single(self) -> np.ndarray:
        """``AR / sd`` of every firm-event and event day (K, L)."""
        return inference.single_t(self.ar, self.sd)

    @cached_property
    def p_single(self) -> np.ndarray:
        """Two-sided p-value of :attr:`t_single` on ``m_i - p`` degrees of freedom (K, L)."""
        return inference.single_p(self.t_single, self._params.df)

    @property
    def u_evt(self) -> np.ndarray:
        """Corrado's ``U`` on the event days (K, L)."""
        if self._u_evt is None:
            self._estimation_sums()
        return self._u_evt

    def _estimation_sums(self) -> cohorts.EstimationSums:
        if self._sums is None:  # fitted with pooled=False: the pass that adds the sums
            est, self._sums = engine.estimate(
                self.study.inputs,
                *self.positions,
                self._cells,
                sums=True,
                cell_events=self._cell_events,
            )
            self._est_present, self._dependent = est.est_present, est.dependent
            if self._u_evt is None:
                self._u_evt = est.u_evt
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
        name).
        """
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

    @cached_property
    def abnormal(self) -> pd.DataFrame:
        """One row per firm-event and event day: return, normal return, AR, its s.d., t_single
        (:func:`research.estimation.security_tables.abnormal_table`).
        """
        return security_tables.abnormal_table(self)

    @property
    def security_windows(self) -> pd.DataFrame:
        """One row per firm-event and CAR window: CAR, its s.d., t_single, BHAR
        (:func:`research.estimation.security_tables.window_table`).
        """
        return security_tables.window_table(self)

    @cached_property
    def volatility(self) -> pd.DataFrame:
        """Per cohort and level (event day, CAR window): the mean variance ratio and the
        volatility tests (:func:`research.estimation.volatility_tables.cohort_volatility`).
        """
        if self.settings.measure == "volume":
            raise OptionError(
                "Variance ratios are of abnormal returns; this is a volume study (run it "
                "with measure='returns' or 'volatility')."
            )
        return volatility_tables.cohort_volatility(self)

    @property
    def variance_ratios(self) -> pd.DataFrame:
        """Per kept firm-event and level: its variance ratio ``AR^2/s^2``."""
        return volatility_tables.security_variance_ratios(self)

    # -- pooled ------------------------------------------------------------------------
    @cached_property
    def _layout(self) -> cohorts.CohortLayout:
        ev_codes, ev_names = pd.factorize(self.events["event"])  # first-appearance order
        gr_codes, gr_names = pd.factorize(self.events["group"])
        return cohorts.CohortLayout.build(
            ev_codes, ev_names, gr_codes, gr_names, self._cells, self.keep
        )

    def cohorts(self) -> list[tuple[str, str, np.ndarray]]:
        """(event, group, row indices) for each cohort, plus ``all`` groups when several."""
        layout = self._layout
        return [
            (event, group, layout.segment_rows(kind, seg))
            for event, group, kind, seg in layout.cohorts
        ]

    def _pooled(self, level: str) -> tuple[dict[str, np.ndarray], list[np.ndarray]]:
        """Every test for every cohort (rows of the returned arrays, in cohort order).

        The battery runs on blocks of whole cohorts of about :data:`POOLED_BLOCK_ROWS`
        firm-events: its temporaries stay small and are reused, where arrays of every
        firm-event would each be memory touched for the first time (slow on some
        machines: about 2 ms per MB here).
        """
        layout = self._layout
        opts = inference.TestOptions(self.settings.bmp_prediction_error, self.settings.rank_ddof)
        sums_of = self._partition_sums  # (estimating with the sums sets _dependent)
        dep = self._dependent
        partitions = []
        for kind, starts, sums in sums_of:
            if kind == "cell":
                stats = dep.take("cell", layout.cell_code, level)
            else:  # the events' `all` rows
                events = self._cell_events[layout.cell_code[layout.event_cells]]
                stats = dep.take("event", events, level)
            partitions.append((starts, sums, stats))
        pmf = pooling.signed_rank_null()
        parts = [
            self._pooled_partition(level, starts, sums.summaries(opts.rank_ddof), stats, opts, pmf)
            for starts, sums, stats in partitions
        ]
        pick = self._cohort_pick
        out = {key: np.concatenate([p[key] for p in parts])[pick] for key in parts[0]}
        return out, [rows for _, _, rows in self.cohorts()]

    @cached_property
    def _partition_sums(self) -> list[tuple[str, np.ndarray, cohorts.EstimationSums]]:
        """(kind, first rows, estimation sums) of the cells' cohorts and, when a study has
        them, of the events' ``all`` cohorts (all groups of one event together).
        """
        layout = self._layout
        cell_sums = self._estimation_sums().take(layout.cell_code)
        parts = [("cell", layout.cell_start, cell_sums)]
        if any(kind == "event" for _, _, kind, _ in layout.cohorts):
            parts.append(("event", layout.event_start, cell_sums.combine(layout.event_cells)))
        return parts

    @cached_property
    def _cohort_pick(self) -> np.ndarray:
        """Each cohort's row among the partitions' rows, cells first."""
        n_cells = len(self._layout.cell_start)
        return np.array(
            [seg if kind == "cell" else n_cells + seg for _, _, kind, seg in self._layout.cohorts],
            dtype=np.intp,
        )

    @cached_property
    def cohort_stretches(self) -> dict[str, np.ndarray]:
        """Each cohort's estimation-window stretch sums (``stretch_sum``, ``stretch_sq``,
        ``stretch_n`` of :class:`research.estimation.cohorts.EstimationSums`), (cohorts, W, T).
        """
        return {
            name: np.concatenate([getattr(s, name) for _, _, s in self._partition_sums])[
                self._cohort_pick
            ]
            for name in ("stretch_sum", "stretch_sq", "stretch_n")
        }

    def detection_power(self, shift: float, level: str = "window") -> pd.DataFrame:
        """The power of ``kp_cross_sectional_t`` at 5% against a common ``shift`` of the
        abnormal returns of a day (``level="day"``) or of each window's CAAR, from each
        cohort's own ordinary days (:func:`research.estimation.precision.detection_power`).
        """
        return precision.detection_power(self, shift, level)

    def _pooled_partition(self, level, starts, est, stats, opts, pmf) -> dict[str, np.ndarray]:
        """:func:`research.stats.pooling.pooled_battery` over the segments beginning at
        ``starts`` of the layout's rows, block by block of whole segments.
        """
        rows_all = self._layout.rows
        ends = np.r_[starts[1:], len(rows_all)]
        f = self._params
        c = self.cars
        blocks, first = [], 0
        while first < len(starts):  # whole segments up to a block (a larger one alone)
            last = first + 1
            while last < len(starts) and ends[last] - starts[first] <= POOLED_BLOCK_ROWS:
                last += 1
            blocks.append((first, last))
            first = last
        parts = []
        for s0, s1 in blocks:
            a, b = int(starts[s0]), int(ends[s1 - 1])
            rows = rows_all[a:b]
            ar_days = self.ar[rows]
            if level == "day":
                arrays, length = (ar_days, self.sd[rows], self.u_evt[rows]), None
            else:
                arrays = (c["car"][rows], c["sd"][rows], c["u"][rows])
                length = c["length"][0]
            parts.append(
                pooling.pooled_battery(
                    arrays[0],
                    arrays[1],
                    f.sigma[rows],
                    f.df[rows].astype(float),
                    arrays[2],
                    (starts[s0:s1] - a).astype(np.intp),
                    {key: value[s0:s1] for key, value in est.items()},
                    opts,
                    ar_days=ar_days,
                    est_present=np.unpackbits(
                        self._est_present[rows], axis=1, count=est["grank_a"].shape[1]
                    ).astype(bool),
                    dependent={key: value[s0:s1] for key, value in stats.items()},
                    window_days=self.window_days(level, rows),
                    length=length,
                    pmf=pmf,
                )
            )
        return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}

    def _cohort_frame(self, out, labels, n_cols) -> pd.DataFrame:
        cohorts = self._layout.cohorts
        frame = pd.DataFrame(
            {
                "event": np.repeat([c[0] for c in cohorts], n_cols),
                "group": np.repeat([c[1] for c in cohorts], n_cols),
                labels[0]: np.tile(labels[1], len(cohorts)),
            }
        )
        for key, val in inference.without_empty_columns(out).items():
            if not key.startswith("_"):
                frame[key] = val.ravel()
        return frame

    def window_days(self, level: str, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """(K, J) event days with an abnormal return in each column: each day (``day``)
        or each CAR window (``window``), of every firm-event or of ``rows``.
        """
        present = np.isfinite(self.ar[rows])
        if level == "day":
            return present.astype(float)
        return np.column_stack(
            [
                present[:, cars.window_columns(self.days, a, b)].sum(axis=1)
                for a, b in self.settings.car_windows
            ]
        ).astype(float)

    @property
    def incomplete_windows(self) -> pd.DataFrame:
        """Kept firm-events with no abnormal return on some day of a CAR window
        (:func:`research.estimation.diagnostics.incomplete_windows`).
        """
        return diagnostics.incomplete_windows(self)

    @cached_property
    def cohort_clustering(self) -> pd.DataFrame:
        """Per cohort: firm-events, day-0 dates, overlapping windows, clustered and staggered
        (:func:`research.estimation.diagnostics.cohort_clustering`).
        """
        return diagnostics.cohort_clustering(self)

    @property
    def clustered(self) -> bool:
        """Whether any cohort's firm-events share calendar days (see
        :attr:`cohort_clustering`).
        """
        return bool(self.cohort_clustering["clustered"].any())

    @property
    def staggered(self) -> bool:
        """Whether a clustered cohort's firm-events have different day-0 sessions (see
        :attr:`cohort_clustering`).
        """
        return bool(self.cohort_clustering["staggered"].any())

    @property
    def headline_tests(self) -> tuple[str, ...]:
        """The tests this study leads with (:func:`research.stats.headline.headline_tests`)."""
        from research.stats.headline import headline_tests

        return headline_tests(
            self.clustered, self.staggered, self.smallest_cohort, self.settings.measure
        )

    @property
    def smallest_cohort(self) -> int:
        """The fewest firm-events with a value on a day or over a window of any cohort."""
        n = np.r_[self.day_tests["n"].to_numpy(float), self.window_tests["n"].to_numpy(float)]
        return int(n[n > 0].min()) if (n > 0).any() else int(self.cohort_clustering["n"].min())

    @cached_property
    def day_tests(self) -> pd.DataFrame:
        """Per cohort and event day: ``n``, ``aar``, ``caar`` and every test with its p-value."""
        out, members = self._day_pooled
        length = len(self.days)
        first = np.array([m[0] for m in members], dtype=np.intp)
        frame = self._cohort_frame(out, ("day", self.days), length)
        # the calendar span of each event day over the cohort's firm-events (one date when
        # they share day 0; firm-specific dates pool in event time)
        dates = self.dates
        earliest = np.vstack([dates[m].min(axis=0) for m in members])
        latest = np.vstack([dates[m].max(axis=0) for m in members])
        frame.insert(3, "date", pd.to_datetime(earliest.ravel()))
        frame.insert(4, "date_last", pd.to_datetime(latest.ravel()))
        # a day with no abnormal return (n = 0) has no AAR, and the CAAR from it on is
        # missing: never carried forward over it
        caar = np.cumsum(out["aar"], axis=1)
        frame.insert(7, "caar", caar.ravel())
        half = precision.path_band(self, out["_r_bar"], members)  # the CAAR path's band
        frame["caar_ci_low"] = (caar - half).ravel()
        frame["caar_ci_high"] = (caar + half).ravel()
        # the smallest day AAR the adjusted t detects with 80% power at 5% (one day), on
        # the cohort's own ordinary days: towards the estimate, downwards and upwards
        for name, value in precision.detectable(self, "day", out).items():
            frame[name] = value.ravel()
        one = np.array([len(m) == 1 for m in members])[:, None]
        t = inference.single_t(self.ar[first], self.sd[first])
        p = inference.single_p(t, self._params.df[first])
        frame["t_single"] = np.where(one, t, np.nan).ravel()
        frame["t_single_p"] = np.where(one, p, np.nan).ravel()
        return frame

    @cached_property
    def _day_pooled(self) -> tuple[dict[str, np.ndarray], list[np.ndarray]]:
        return self._pooled("day")

    @cached_property
    def _window_pooled(self) -> tuple[dict[str, np.ndarray], list[np.ndarray]]:
        return self._pooled("window")

    @cached_property
    def thin_rank_windows(self) -> pd.DataFrame:
        """Cohort-windows whose rank test averages fewer firm-events than its variance
        assumes (:func:`research.estimation.diagnostics.thin_rank_windows`).
        """
        out, _ = self._window_pooled
        return diagnostics.thin_rank_windows(out, self._layout.cohorts, self.settings.car_windows)

    @cached_property
    def window_tests(self) -> pd.DataFrame:
        """Per cohort and CAR window: ``n``, ``caar``, ``bhar``, every test, bootstrap CI."""
        out, members = self._window_pooled
        out = {("caar" if k == "aar" else k): v for k, v in out.items()}
        labels = [f"({a},{b})" for a, b in self.settings.car_windows]
        frame = self._cohort_frame(out, ("window", labels), len(labels))
        starts, ends = zip(*self.settings.car_windows, strict=True)
        frame.insert(3, "start", np.tile(starts, len(self._layout.cohorts)))
        frame.insert(4, "end", np.tile(ends, len(self._layout.cohorts)))
        bhar = self.cars["bhar"]
        frame.insert(5, "bhar", np.concatenate([nanmean_columns(bhar[m]) for m in members]))
        # what the study could have seen: the smallest CAAR its adjusted t detects with
        # 80% power at 5%, on the cohort's own ordinary days
        mde = precision.detectable(self, "window", out)
        for name, value in mde.items():
            frame[name] = value.ravel()
        pairs = np.repeat([len(m) > 1 for m in members], len(labels))  # none without a pair
        frame["r_bar"] = np.where(pairs, np.asarray(out["_r_bar"], float).ravel(), np.nan)
        lo, hi, method = precision.window_interval(self, out, members)
        frame["caar_ci_low"] = lo.ravel()
        frame["caar_ci_high"] = hi.ravel()
        frame["ci_method"] = np.repeat(method, len(labels))
        first = np.array([m[0] for m in members], dtype=np.intp)
        one = np.array([len(m) == 1 for m in members])[:, None]
        t = self.cars["t"][first]
        p = inference.single_p(t, self._params.df[first])
        frame["t_single"] = np.where(one, t, np.nan).ravel()
        frame["t_single_p"] = np.where(one, p, np.nan).ravel()
        return frame

    # -- outputs -----------------------------------------------------------------------
    def to_frame(self, level: str = "day") -> pd.DataFrame:
        """The table of record: per-security rows, then the pooled rows (``security`` =
        ``*``), by event day (``level="day"``) or CAR window (``"window"``;
        :func:`research.estimation.security_tables.record_table`).
        """
        from research.output.records import measure_columns  # volume: av, aav, caav

        return measure_columns(security_tables.record_table(self, level), self.settings.measure)

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain data (the JSON output;
        :func:`research.output.records.study_record`).
        """
        from research.output.records import study_record

        return study_record(self)

    def to_json(self, indent: int | None = 1) -> str:
        """:meth:`to_dict` as JSON (NaN written as null)."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False, default=str)

    def summary(
        self, tests: str | list[str] | tuple[str, ...] | None = None, alignment: bool = True
    ):
        """statsmodels-style summary (:class:`research.output.report.Summary`): ``print()`` it for
        the text tables; ``as_html()``, ``as_latex()``, ``as_csv()``; a notebook shows it.

        Parameters
        ----------
        tests
            ``None`` for the study's headline tests, ``"all"``, or test names.
        alignment
            Show the table of day-0 sessions (a second study on the same events may leave
            it out).
        """
        from research.output.report import study_summary

        return study_summary(self, tests, alignment)

    def __repr__(self) -> str:
        """One screen: model, benchmarks, windows, events, cohorts, firm-events, headline tests."""
        from research.output.report import short_repr

        return short_repr(self)

    def _repr_html_(self) -> str:
        """A notebook's view (:func:`research.output.paper.notebook_html`)."""
        from research.output.paper import notebook_html

        return notebook_html(self)

    def plot(self, **kwargs):
        """CAAR path with its 95% band per cohort (see
        :func:`research.output.plotting.plot_caar`).
        """
        from research.output.plotting import plot_caar

        if self.settings.measure == "volatility":
            raise OptionError(
                "A volatility study has variance ratios, not CAAR paths; see res.volatility "
                "(or plot the returns study)."
            )
        return plot_caar(self, **kwargs)
