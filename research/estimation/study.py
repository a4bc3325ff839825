r"""The event study: abnormal returns of many firm-events and their tests.

>>> import numpy as np, pandas as pd
>>> from research.estimation.study import EventStudy
>>> rng = np.random.default_rng(0)
>>> days = pd.bdate_range("2024-01-01", periods=300)
>>> market = pd.DataFrame({"M": rng.normal(0, 0.01, 300)}, index=days)
>>> returns = pd.DataFrame(
...     {s: 0.8 * market["M"] + rng.normal(0, 0.01, 300) for s in ("A", "B", "C")}, index=days
... )
>>> events = pd.DataFrame({"security": ["A", "B", "C"], "day0": days[280]})
>>> res = EventStudy(returns, events, market, window=(-1, 1), estimation=(-250, -11)).fit()
>>> res.day_tests[["day", "n"]].to_dict("list")
{'day': [-1, 0, 1], 'n': [3, 3, 3]}
>>> res.headline_tests  # the three share day 0: tests that hold under clustering lead
('kp_cross_sectional_t', 'corrado_rank_z', 'permutation')
>>> frame = res.to_frame()  # one row per security-day plus the pooled rows

``returns`` is a sessions x securities frame of returns on one session grid
(see :mod:`research.data.inputs`), ``events`` a frame with one row per firm-event
(``security``, ``day0``, optional ``event`` and ``group``), ``benchmarks`` a
sessions x benchmarks frame aligned to the same grid.  Relative day ``0`` is
the firm-event's ``day0`` session; ``window`` and ``estimation`` are relative
days (inclusive), the estimation window ending before the event window.

Firm-events are pooled by cohort, the pair (event, group); when a study has
several groups an ``all`` cohort pools them too.

Notes
-----
Abnormal returns :math:`AR_{it} = R_{it} - \hat E[R_{it}]` (model: see
:mod:`research.estimation.models`); :math:`CAR_i(t_1,t_2)=\sum_{t=t_1}^{t_2} AR_{it}`;
:math:`CAAR = N^{-1}\sum_i CAR_i`; buy-and-hold
:math:`BHAR_i=\prod_t(1+R_{it})-\prod_t(1+\hat E[R_{it}])` on simple returns
(Barber & Lyon 1997).  Tests: :mod:`research.stats.inference`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from research.config import DEFAULT_SEED
from research.errors import DataError, EventError, ModelError, OptionError, WindowError
from research.estimation import engine, models
from research.estimation.results import EventStudyResults
from research.estimation.windows import Window, check_estimation, check_window, min_usable_days


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
    thin_trading: str = "exclude"
    measure: str = "returns"  # or volume: the "returns" are log volumes


@dataclass(frozen=True)
class StudyContext:
    """Where a study's inputs came from, reported with its results (all optional).

    Attributes
    ----------
    alignment
        How each event's moment maps to its day-0 session.
    quality
        Data-quality flags of the study's series that touch its windows.
    benchmark_alignment
        How each benchmark was aligned to the study's sessions.
    market_note, data_note
        Which market's sessions the study uses, and where the prices came from.
    """

    alignment: pd.DataFrame | None = None
    quality: pd.DataFrame | None = None
    benchmark_alignment: dict[str, str] = field(default_factory=dict)
    market_note: str = ""
    data_note: str = ""


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
        or ``dimson`` (see :mod:`research.estimation.models`), or a ``ReturnModel``.
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
        (stale days, jumps; see :mod:`research.data.quality`).
    return_kind
        ``simple`` or ``log``: what ``returns`` hold (for BHAR).
    other_events
        ``mask`` (default) keeps other firm-events' event windows of the same
        security out of the estimation window; ``keep`` leaves them in.
        Either way overlaps are reported.
    bmp_prediction_error, rank_ddof
        Test conventions (:class:`research.stats.inference.TestOptions`).
    bootstrap, seed
        Bootstrap replications for CAAR intervals and their seed.
    dimson_lags
        Leads and lags of the Dimson model.
    measure
        ``returns`` (default), ``volume`` (``returns`` then holds log volumes and the
        abnormal values are abnormal log volumes, :mod:`research.data.volume`; outputs
        name them ``av``, ``aav`` and ``caav``) or ``volatility`` (the returns' abnormal
        returns, summarized by their variance ratios and the volatility tests,
        :mod:`research.stats.volatility`).
    spans
        Trade-to-trade returns (Maynes & Rumsey 1993): sessions x securities, the
        sessions each return spans (NaN where there is none;
        :func:`research.data.returns.trade_to_trade_returns`).  A return over ``n`` sessions
        is fitted and tested with ``n`` times the constant and the variance of a
        one-session return, its benchmark compounded over the same sessions.  Models
        with leads or lags (Dimson) are refused with it.
    context
        Where the inputs came from (:class:`StudyContext`), reported with the results.
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
        bootstrap: int = 0,
        seed: int = DEFAULT_SEED,
        dimson_lags: int = 1,
        spans: pd.DataFrame | None = None,
        measure: str = "returns",
        context: StudyContext | None = None,
    ) -> None:
        self.returns = returns
        if measure not in ("returns", "volume", "volatility"):
            raise OptionError(
                f"measure must be 'returns', 'volume' or 'volatility', not {measure!r}."
            )
        if measure != "volume":  # log volumes are levels of ln V, around 10-20
            _warn_if_price_levels(returns, "returns")
        if isinstance(benchmarks, pd.Series):
            benchmarks = benchmarks.to_frame()
        for name, frame in (("benchmarks", benchmarks), ("exclude", exclude), ("spans", spans)):
            if frame is not None and not frame.index.equals(returns.index):
                raise DataError(
                    f"The {name} are on another session grid than the returns ({len(frame)} "
                    f"rows against {len(returns)}); reindex them to the returns' sessions "
                    f"({name}.reindex(returns.index)), so that a missing day stays missing."
                )
        if bootstrap < 0:
            raise OptionError(f"bootstrap must be 0 or a number of draws, not {bootstrap}.")
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
        if self.model.name == "garch-market":
            _check_garch(self.model, benchmarks, estimation)
        if spans is not None:
            _check_spans(spans, returns, self.model)
            if self.model.name == "garch-market":
                raise ModelError(
                    "The GARCH market model weights each day by its conditional variance; "
                    "trade-to-trade spans cannot be combined with it."
                )
        self.window = check_window(window, "event window")
        self.estimation = check_window(estimation, "estimation window")
        check_estimation(self.estimation, self.window)
        cars = tuple(car_windows) if car_windows else default_car_windows(self.window)
        for cw in cars:
            check_window(cw, "CAR window")
            if cw[0] < self.window[0] or cw[1] > self.window[1]:
                raise WindowError(f"CAR window {cw} lies outside the event window {self.window}.")
        self.car_windows = cars
        self.min_obs = min_usable_days(self.estimation, self.model.n_params, min_obs)
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
            thin_trading="exclude" if spans is None else "trade-to-trade",
            measure=measure,
        )
        self.context = context or StudyContext()
        self.inputs = engine.EngineInputs(
            returns=returns,
            benchmarks=benchmarks,
            exclude=exclude,
            model=self.model,
            window=self.window,
            estimation=self.estimation,
            car_windows=cars,
            min_obs=self.min_obs,
            return_kind=return_kind,
            other_events=other_events,
            spans=spans,
            scale=self._garch_scale(),
        )

    def _garch_scale(self) -> pd.DataFrame | None:
        """Each return's GARCH variance scale for the ``garch-market`` model, else None
        (:func:`research.estimation.garch_scale.garch_variance_scale`).
        """
        if self.model.name != "garch-market":
            return None
        from research.estimation.garch_scale import garch_variance_scale

        pos0 = self.returns.index.get_indexer(self.events["day0"])
        cols = self.returns.columns.get_indexer(self.events["security"])
        return garch_variance_scale(
            self.returns, self.benchmarks.iloc[:, 0], pos0, cols, self.estimation, self.window
        )

    # ------------------------------------------------------------------------------------
    def _no_abnormal_return(self, pos0: np.ndarray, cols: np.ndarray, keep: np.ndarray) -> str:
        """The sentence refusing a study without a single abnormal return: which series has
        no return over the event window (a benchmark that ends early, say).
        """
        w0, w1 = self.window
        i = int(np.flatnonzero(keep)[0])
        rows = np.arange(pos0[i] + w0, pos0[i] + w1 + 1)
        ev = self.events
        said = None
        remedy = "import prices that cover the event window"
        if self.benchmarks is not None and self.model.needs_benchmark:
            said = _missing_sentence(self.benchmarks, rows, "the benchmark")
        if said is None:
            said = _missing_sentence(self.returns.iloc[:, [cols[i]]], rows, "the security")
            untraded = self._untraded(self.returns.columns[cols[i]], rows)
            if said is not None and untraded:
                said += f" (it did not trade then: {untraded})"
                remedy = "choose another date or security"
        said = said or "no firm-event has a return on any day of its event window"
        return (
            f"No abnormal return can be computed in the event window of {ev['event'].iat[i]}: "
            f"{said}; {remedy}."
        )

    def _untraded(self, ticker: str, rows: np.ndarray) -> str:
        """The quality flag (suspension, stale day, gap) of ``ticker`` over the sessions
        ``rows``, as words, or "" (the data were simply not stored there).
        """
        flags = self.context.quality
        if flags is None or not len(flags):
            return ""
        first, last = self.returns.index[rows[0]], self.returns.index[rows[-1]]
        hits = flags[
            (flags["ticker"] == ticker)
            & flags["kind"].isin(["suspension", "stale", "gap"])
            & (pd.to_datetime(flags["start"]) <= last)
            & (pd.to_datetime(flags["end"]) >= first)
        ]
        return "; ".join(
            f"{r.kind} {pd.Timestamp(r.start):%Y-%m-%d}..{pd.Timestamp(r.end):%Y-%m-%d}"
            for r in hits.itertuples()
        )

    def fit(self, chunk_cells: int = 250_000, pooled: bool = True) -> EventStudyResults:
        """Estimate every firm-event and compute the tests.

        Parameters
        ----------
        chunk_cells
            Firm-events are processed in chunks of about this many firm-event-days, which
            bounds the memory of the intermediate arrays (results are identical).
        pooled
            Add up, while estimating, the estimation-window sums the pooled tests need
            (:class:`research.estimation.cohorts.EstimationSums`).  Studies that only want each
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
        cells, cell_events = _cells(ev)
        est, sums = engine.estimate(
            self.inputs, pos0, cols, cells, chunk_cells, sums=pooled, cell_events=cell_events
        )
        keep = est.keep
        params = est.params()
        names = ", ".join(s.benchmarks)
        held = "log volume" if s.measure == "volume" else "return"
        reasons = [  # only for the dropped firm-events
            f"{params.n_obs[i]} usable estimation days, fewer than the {self.min_obs} required"
            + (
                f" (the benchmark {names} has no returns in the estimation window)"
                if est.bench_days[i] == 0 and self.model.needs_benchmark
                else f" (the security has no {held} there: no data, or no trading)"
                if params.n_obs[i] == 0
                else ""
            )
            if params.n_obs[i] < self.min_obs
            else "estimation failed (constant or collinear regressors)"
            for i in np.flatnonzero(~keep)
        ]
        dropped = ev.loc[~keep, ["event", "group", "security"]].assign(reason=reasons)
        if not keep.any():
            first = dropped.iloc[0]
            remedy = (
                "choose another date or security, or import its data for those dates"
                if (params.n_obs[~keep] == 0).all()
                else "lengthen the estimation window or lower min_obs (--min-obs)"
            )
            raise WindowError(
                f"No firm-event can be estimated: {first['security']} ({first['event']}) has "
                f"{first['reason']}; {remedy}."
            )
        if not np.isfinite(est.ar[keep]).any():
            raise DataError(self._no_abnormal_return(pos0, cols, keep))
        return EventStudyResults(
            study=self,
            events=ev.reset_index(drop=True),
            keep=keep,
            days=np.arange(w0, w1 + 1),
            ar=est.ar,
            sd=est.sd,
            cars=est.cars,
            dropped=dropped.reset_index(drop=True),
            positions=(pos0, cols),
            _params=params,
            _cells=cells,
            _cell_events=cell_events,
            _sums=sums,
            _u_evt=est.u_evt,
            _est_present=est.est_present,
            _dependent=est.dependent,
        )


def _missing_sentence(frame: pd.DataFrame, rows: np.ndarray, what: str) -> str | None:
    """``"<what> X has no return on d1..d2"`` for the first column of ``frame`` with no
    return on any of the sessions ``rows``, else None.
    """
    part = frame.iloc[rows]
    for name in part.columns:
        if not part[name].notna().any():
            days = part.index
            return f"{what} {name} has no return on {days[0]:%Y-%m-%d}..{days[-1]:%Y-%m-%d}"
    return None


def _cells(events: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Cell (event, group) code of each firm-event, numbered in (event, group) order, and
    the event code of each cell.
    """
    e, _ = pd.factorize(events["event"])
    g, names = pd.factorize(events["group"])
    values, inverse = np.unique(e.astype(np.int64) * len(names) + g, return_inverse=True)
    return inverse, values // len(names)


def _warn_if_price_levels(frame: pd.DataFrame, what: str) -> None:
    """Warn when ``frame`` holds price levels rather than returns: most values at least 1
    in absolute size (a daily return of 100% or more is rare; a price of 1 or more is
    common).
    """
    values = frame.to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    if finite.size and np.mean(np.abs(finite) >= 1) > 0.5:
        import warnings

        warnings.warn(
            f"The {what} look like price levels (median {np.median(finite):.4g}), not "
            "returns; compute returns first (research.data.returns.compute_returns).",
            UserWarning,
            stacklevel=3,
        )


GARCH_MIN_DAYS = 60  # the fewest estimation sessions a GARCH(1,1) fit is asked to use


def _check_garch(model: models.ReturnModel, benchmarks, estimation) -> None:
    """Refuse a GARCH market model it cannot fit as asked: one benchmark (the market),
    and an estimation window of at least :data:`GARCH_MIN_DAYS` sessions.
    """
    if benchmarks is not None and benchmarks.shape[1] > 1:
        raise ModelError(
            f"The GARCH market model uses one benchmark, the market; {benchmarks.shape[1]} "
            "were given (use multi-index for several)."
        )
    length = estimation[1] - estimation[0] + 1
    if length < GARCH_MIN_DAYS:
        raise ModelError(
            f"The GARCH market model needs an estimation window of at least {GARCH_MIN_DAYS} "
            f"sessions to fit its variance, not {length}; lengthen --estimation."
        )


def _check_spans(spans: pd.DataFrame, returns: pd.DataFrame, model: models.ReturnModel) -> None:
    """Refuse trade-to-trade spans that do not describe ``returns``, or a model with leads
    or lags (a benchmark lagged by one session has no meaning over a multi-session return).
    """
    if not spans.columns.equals(returns.columns):
        raise DataError(
            "The spans have other columns than the returns; give one span per return "
            "(research.data.returns.trade_to_trade_returns builds both)."
        )
    n = spans.to_numpy(dtype=float)
    has = returns.notna().to_numpy()
    if not np.array_equal(np.isfinite(n), has) or (n[has] < 1).any() or (n[has] % 1).any():
        raise DataError(
            "The spans must be a whole number of sessions (1 or more) exactly where there is "
            "a return; build them with research.data.returns.trade_to_trade_returns."
        )
    if model.shifts != (0,):
        raise ModelError(
            f"Trade-to-trade returns cannot be fitted with the {model.name} model: its leads "
            "and lags have no meaning over a multi-session return; use market, "
            "multi-index, market-adjusted or constant-mean."
        )


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
