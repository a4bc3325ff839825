r"""Dummy-variable event regressions: one series, long-short portfolios, and a stacked panel.

Single series (:func:`event_regression`)
---------------------------------------
.. math:: r_t = a + b' m_t + \sum_k \sum_{d \in W} g_{k,d} D_{k,d,t} + e_t

on the union of the events' estimation and event windows, one dummy per event
day.  A session shared by two events' windows gets one dummy (the two effects
are *not separately identified* in that series, and the output says so).  With
the same sample, ``g_{k,d}`` equals the market-model abnormal return of the
engine (:mod:`research.estimation.study`) exactly.

Standard errors for the event coefficients.  A dummy that picks one
observation fits it exactly, so its residual is zero and sandwich estimators
(HC, HAC, clustered) lose the main variance term: statsmodels' HAC standard
error of such a dummy rejects a true null about 87% of the time at 5% (a Monte
Carlo check in ``tests/test_regression.py``).  This module therefore uses the
prediction-error decomposition
:math:`\hat g - g = e_E - X_E(\hat b - b)` (Campbell, Lo & MacKinlay 1997,
§4.4), so for a combination ``c``

.. math:: \operatorname{Var}(c'\hat g) = c'\,\Gamma_E\,c + c' X_E V_b X_E' c

with :math:`\Gamma_E` the covariance of the event-day errors and :math:`V_b`
the covariance of the benchmark coefficients.  *classical*: :math:`\Gamma_E =
\hat\sigma^2 I` and :math:`V_b` the OLS covariance (identical to statsmodels'
nonrobust ``t_test``).  *hac*: :math:`\Gamma_E` from the Bartlett-weighted
autocovariances of the estimation residuals and :math:`V_b` Newey-West (1987)
(:func:`research.stats.covariance.newey_west_covariance`, equal to statsmodels' HAC), lag
``floor(4 (n/100)^{2/9})`` by default (Newey & West 1994).

Stacked panel (:func:`panel_event_regression`)
---------------------------------------------
.. math:: r_{it} = a_i + b_i' m_t + \sum_d \big(\delta_d D_{dt} + \sum_{g \neq 0} \gamma_{gd}
          D_{dt} 1[i \in g]\big) + e_{it}

``delta_d`` is the base group's mean abnormal return on event session ``d``
and ``gamma_{gd}`` the difference of group ``g`` from the base group.  Standard
errors are clustered by date.  An event-session coefficient is identified by
one date, whose residuals it leaves orthogonal to its own dummies, so that
date's cluster contributes nothing to the plain sandwich (the few-treated-
clusters problem, Conley & Taber 2011; MacKinnon & Webb 2017).  Its
contribution is therefore imputed as the mean over the non-event dates of the
same linear combination of their residuals (the cross-sectional covariance of
residuals is taken as constant over time); every other cluster enters as
usual, with statsmodels' small-sample factor ``G/(G-1) (N-1)/(N-K)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from research.analyses.event_design import EventDesign, build_design
from research.errors import EventStudyError, WindowError
from research.estimation.windows import min_usable_days
from research.stats.covariance import (
    ImputedEventClusters,
    bartlett_autocovariances,
    event_prediction_covariance,
    newey_west_covariance,
    newey_west_lags,
    se_method,
)
from research.stats.ols import OLS, chi2_sf, f_sf, t_ppf, t_sf


def _t_intervals(params: pd.Series, bse: pd.Series, df: float, alpha: float) -> pd.DataFrame:
    """``params`` plus and minus the t quantile on ``df`` degrees of freedom times ``bse``
    (the ``conf_int()`` of both results classes, as statsmodels').
    """
    q = t_ppf(1 - alpha / 2, df)
    return pd.DataFrame({"lower": params - q * bse, "upper": params + q * bse})


@dataclass
class EventRegressionResults:
    """A dummy-variable event regression on one series.

    Attributes
    ----------
    params, bse, tvalues, pvalues
        All coefficients (benchmark terms and event dummies), indexed by name.
    windows
        Per event: the regression CAR (sum of its window's coefficients), its s.e.,
        t, p and the sessions it shares with other events.
    wald
        Joint tests that an event's coefficients are all zero (and all events').
    identification
        One line per limit on what the series can tell apart.
    confounders
        Event column -> the catalogue events not in the model whose day 0 is its session.
    """

    series: str
    cov_type: str
    maxlags: int
    params: pd.Series
    bse: pd.Series
    tvalues: pd.Series
    pvalues: pd.Series
    event_cov: pd.DataFrame
    windows: pd.DataFrame
    wald: pd.DataFrame
    identification: list[str]
    nobs: int
    df_resid: int
    rsquared: float
    design: EventDesign
    dates: dict[str, pd.Timestamp] = field(default_factory=dict)
    confounders: dict[str, list[str]] = field(default_factory=dict)

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Confidence intervals from the t distribution with ``df_resid`` degrees of freedom."""
        return _t_intervals(self.params, self.bse, self.df_resid, alpha)

    def to_frame(self) -> pd.DataFrame:
        """Coefficient table: term, kind, date, coef, se, t, p, CI."""
        ci = self.conf_int()
        kind = ["event" if n in self.design.labels else "benchmark" for n in self.params.index]
        frame = pd.DataFrame(
            {
                "series": self.series,
                "term": self.params.index,
                "kind": kind,
                "date": [self.dates.get(n, pd.NaT) for n in self.params.index],
                "coef": self.params.to_numpy(),
                "se": self.bse.to_numpy(),
                "t": self.tvalues.to_numpy(),
                "p": self.pvalues.to_numpy(),
                "ci_low": ci["lower"].to_numpy(),
                "ci_high": ci["upper"].to_numpy(),
            }
        )
        frame["cov_type"] = self.cov_type
        frame["se_method"] = [se_method(k, self.cov_type) for k in kind]
        return frame

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain data (the JSON output)."""
        from research.output.export import json_records

        return {
            "series": self.series,
            "cov_type": self.cov_type,
            "maxlags": self.maxlags,
            "nobs": self.nobs,
            "df_resid": self.df_resid,
            "rsquared": self.rsquared,
            "coefficients": json_records(self.to_frame()),
            "windows": json_records(self.windows),
            "wald": json_records(self.wald),
            "identification": self.identification,
        }

    def text(self, markers, sessions: dict[str, str] | None = None, legend: bool = True) -> str:
        """The two coefficient tables as text, their notes left to ``markers``
        (:func:`research.output.regression_text.single_text`).
        """
        from research.output.regression_text import single_text

        return single_text(self, markers, sessions, legend)

    def summary(self, sessions: dict[str, str] | None = None) -> str:
        """The regression as text: benchmark coefficients, event effects, the CAR of each
        event window, the joint Wald tests and the notes their markers point to.

        Parameters
        ----------
        sessions
            Benchmark -> how its returns sit on the series' sessions, shown beside its
            beta (:func:`benchmark_sessions`).

        Returns
        -------
        str
            The tables, each marker's note below them.
        """
        from research.output.regression_text import NoteMarkers, wald_text, windows_text

        markers = NoteMarkers()
        parts = [
            self.text(markers, sessions),
            windows_text([self], markers, legend=False),
            wald_text([self], markers),
        ]
        notes = markers.pending()
        return "\n\n".join(parts + ([notes] if notes else []))


def event_regression(
    y: pd.Series,
    benchmarks: pd.DataFrame | None,
    day0: dict[str, pd.Timestamp],
    window: tuple[int, int] = (-1, 1),
    estimation: tuple[int, int] = (-250, -11),
    cov_type: str = "classical",
    maxlags: int | None = None,
    exclude: pd.Series | None = None,
    confounders: dict[pd.Timestamp, list[str]] | None = None,
    min_obs: int | None = None,
) -> EventRegressionResults:
    """Regress one return series on benchmark returns and event-day dummies.

    Parameters
    ----------
    y
        Returns on a session grid (name used as the series label).
    benchmarks
        Benchmark returns on the same grid (None: constant only).
    day0
        Event id -> day-0 session.
    cov_type
        ``classical`` or ``hac`` (see the module docstring).
    maxlags
        HAC lags; default Newey-West (1994).
    exclude
        Booleans: sessions kept out of the estimation (stale days).
    confounders
        Session -> catalogue events on it, to name events the model does not hold.
    min_obs
        Fewest usable days in each event's estimation window
        (:func:`research.estimation.windows.min_usable_days`, the rule of a study's firm-events).

    Returns
    -------
    EventRegressionResults
    """
    if cov_type not in ("classical", "hac"):
        raise EventStudyError(f"Unknown covariance {cov_type!r}: use classical or hac.")
    design = build_design(y.index, day0, window, estimation)
    frame = pd.DataFrame({"y": y.reindex(design.sample)})
    bench_names: list[str] = []
    if benchmarks is not None:
        for col in benchmarks.columns:
            frame[str(col)] = benchmarks[col].reindex(design.sample)
            bench_names.append(str(col))
    usable = frame.notna().all(axis=1)
    if exclude is not None:
        ex = exclude.reindex(design.sample, fill_value=False).astype(bool)
        usable &= ~ex | design.sample.isin(design.event_dates)
    missing_event = [
        c
        for c, t in zip(design.dummies.columns, design.event_dates, strict=True)
        if not usable.get(t, False)
    ]
    if missing_event:
        raise EventStudyError(
            f"{y.name} has no return (or no benchmark return) on event session(s) "
            f"{', '.join(missing_event)}; it cannot be regressed on those events."
        )
    frame = frame.loc[usable]
    dummies = design.dummies.loc[frame.index]
    exog = pd.concat(
        [pd.Series(1.0, index=frame.index, name="const"), frame[bench_names], dummies], axis=1
    )
    n_bench = 1 + len(bench_names)
    n_est = int((dummies.sum(axis=1) == 0).sum())
    need = min_usable_days(estimation, n_bench, min_obs)
    for event, d0 in day0.items():
        p0 = y.index.get_loc(pd.Timestamp(d0))
        own = y.index[max(p0 + estimation[0], 0) : max(p0 + estimation[1] + 1, 0)]
        have = int(usable.reindex(own, fill_value=False).sum())
        if have < need:
            raise WindowError(
                f"{y.name} has {have} usable estimation days before {event}, fewer than the "
                f"{need} required (the rule of a study's firm-events); lengthen the estimation "
                "window or lower min_obs (--min-obs)."
            )
    ols = OLS(frame["y"].to_numpy(dtype=float), exog.to_numpy(dtype=float))
    lags = newey_west_lags(n_est) if maxlags is None else int(maxlags)
    est_rows = (dummies.sum(axis=1) == 0).to_numpy()
    if cov_type == "hac":
        est_fit = OLS(ols.y[est_rows], ols.x[est_rows, :n_bench])
        v_b = newey_west_covariance(est_fit.x, est_fit.resid, lags)
        positions = y.index.get_indexer(frame.index[est_rows])
        gamma = bartlett_autocovariances(ols.resid[est_rows], positions, lags, int(ols.df_resid))
    else:
        v_b = ols.cov_params[:n_bench, :n_bench]
        gamma = np.array([ols.scale])
    x_e = np.column_stack(
        [np.ones(len(design.event_dates))]
        + [
            benchmarks[c].reindex(design.event_dates).to_numpy()
            for c in (benchmarks.columns if benchmarks is not None else [])
        ]
    )
    v_g = event_prediction_covariance(gamma, y.index.get_indexer(design.event_dates), x_e, v_b)
    names = list(exog.columns)
    params = pd.Series(ols.params, index=names)
    se_b = np.sqrt(np.diag(v_b))
    se = pd.Series(np.r_[se_b, np.sqrt(np.diag(v_g))], index=names)
    tvals = params / se
    pvals = pd.Series(2 * t_sf(np.abs(tvals), ols.df_resid), index=names)
    event_cols = list(design.dummies.columns)
    v_g_frame = pd.DataFrame(v_g, index=event_cols, columns=event_cols)

    windows, wald = [], []
    for event in day0:
        cols = [c for c in event_cols if any(e == event for e, _ in design.labels[c])]
        c = np.array([1.0 if col in cols else 0.0 for col in event_cols])
        g = params[event_cols].to_numpy()
        car = float(c @ g)
        s = float(np.sqrt(c @ v_g @ c))
        shared = sorted({e for col in cols for e, _ in design.labels[col] if e != event})
        windows.append(
            {
                "event": event,
                "window": f"({window[0]},{window[1]})",
                "sessions": len(cols),
                "car": car,
                "se": s,
                "t": car / s,
                "p": float(2 * t_sf(abs(car / s), ols.df_resid)),
                "shares_sessions_with": ", ".join(shared),
            }
        )
        wald.append(_wald(event, g[c > 0], v_g[np.ix_(c > 0, c > 0)], ols.df_resid))
    if len(day0) > 1:
        wald.append(_wald("all events", params[event_cols].to_numpy(), v_g, ols.df_resid))
    ident = []
    for col in design.shared:
        when = design.event_dates[event_cols.index(col)]
        ident.append(
            f"{col} fall on the same session ({when:%Y-%m-%d}): their effects are not "
            f"separately identified in {y.name}; one coefficient stands for all of them."
        )
    outside: dict[str, list[str]] = {}
    if confounders:
        for col, when in zip(event_cols, design.event_dates, strict=True):
            inside = {e for e, _ in design.labels[col]}
            others = [e for e in confounders.get(when, []) if e not in inside]
            if others:
                outside[col] = others
                ident.append(
                    f"{when:%Y-%m-%d} ({col}) is also day 0 of {', '.join(others)} "
                    "(catalogue events not in this model): its coefficient includes them."
                )
    dates = dict(zip(event_cols, design.event_dates, strict=True))
    return EventRegressionResults(
        series=str(y.name),
        cov_type=cov_type,
        maxlags=lags if cov_type == "hac" else 0,
        params=params,
        bse=se,
        tvalues=tvals,
        pvalues=pvals,
        event_cov=v_g_frame,
        windows=pd.DataFrame(windows),
        wald=pd.DataFrame(wald),
        identification=ident,
        nobs=int(ols.nobs),
        df_resid=int(ols.df_resid),
        rsquared=float(ols.rsquared),
        design=design,
        dates=dates,
        confounders=outside,
    )


def _wald(name: str, g: np.ndarray, v: np.ndarray, df: float) -> dict[str, Any]:
    k = len(g)
    w = float(g @ np.linalg.solve(v, g))
    return {
        "hypothesis": name,
        "k": k,
        "chi2": w,
        "chi2_p": float(chi2_sf(w, k)),
        "F": w / k,
        "F_p": float(f_sf(w / k, k, df)),
    }


# ---------------------------------------------------------------------------------------------
@dataclass
class PanelEventResults:
    """Stacked panel regression with event-session x group terms, date-clustered errors."""

    table: pd.DataFrame  # event-session terms: term, date, labels, coef, se, t, p
    base_group: str
    groups: list[str]
    nobs: int
    n_clusters: int
    n_params: int
    identification: list[str]
    naive_se: pd.Series  # statsmodels' plain date-clustered s.e. of the same terms (for contrast)

    # the names of EventRegressionResults (and statsmodels), indexed by term
    def _by_term(self, column: str, name: str) -> pd.Series:
        """A column of the table indexed by term."""
        return self.table.set_index("term")[column].rename(name)

    @property
    def params(self) -> pd.Series:
        """The event-session coefficients."""
        return self._by_term("coef", "params")

    @property
    def bse(self) -> pd.Series:
        """Their date-clustered standard errors (event clusters imputed)."""
        return self._by_term("se", "bse")

    @property
    def tvalues(self) -> pd.Series:
        """``params / bse``."""
        return self._by_term("t", "tvalues")

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values on ``n_clusters - 1`` degrees of freedom."""
        return self._by_term("p", "pvalues")

    @property
    def df_resid(self) -> int:
        """Degrees of freedom of the t distribution: clusters less one."""
        return self.n_clusters - 1

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Confidence intervals from the t distribution with ``df_resid`` degrees of freedom."""
        return _t_intervals(self.params, self.bse, self.df_resid, alpha)

    def to_frame(self) -> pd.DataFrame:
        """One row per event-session term."""
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain data (the JSON output)."""
        from research.output.export import json_records

        return {
            "base_group": self.base_group,
            "groups": self.groups,
            "nobs": self.nobs,
            "clusters": self.n_clusters,
            "terms": json_records(self.table),
            "identification": self.identification,
        }

    def text(self, markers, legend: bool = True) -> str:
        """The terms as one table, their notes left to ``markers``
        (:func:`research.output.regression_text.panel_text`).
        """
        from research.output.regression_text import panel_text

        return panel_text(self, markers, legend)

    def summary(self) -> str:
        """The terms and the notes their markers point to, as text."""
        from research.output.regression_text import NoteMarkers

        markers = NoteMarkers()
        return self.text(markers) + "\n\n" + markers.pending()


def panel_event_regression(
    returns: pd.DataFrame,
    groups: pd.Series,
    benchmarks: pd.DataFrame,
    day0: dict[str, pd.Timestamp],
    window: tuple[int, int] = (0, 0),
    estimation: tuple[int, int] = (-250, -11),
    base_group: str | None = None,
    exclude: pd.DataFrame | None = None,
) -> PanelEventResults:
    """Stacked regression of stock returns on own betas and event-session x group terms.

    Parameters
    ----------
    returns
        Sessions x securities.
    groups
        Security -> group label (two or more groups).
    base_group
        Group whose mean abnormal return the plain session terms measure (default the
        last group in ``groups`` order).
    """
    labels = list(dict.fromkeys(groups.loc[returns.columns.intersection(groups.index)]))
    if len(labels) < 2:
        raise EventStudyError("The panel regression needs securities from at least two groups.")
    base = base_group or labels[-1]
    if base not in labels:
        raise EventStudyError(f"Base group {base!r} is not among {', '.join(labels)}.")
    others = [g for g in labels if g != base]
    design = build_design(returns.index, day0, window, estimation)
    secs = [s for s in returns.columns if s in groups.index]
    long = returns.loc[design.sample, secs]
    if exclude is not None:
        ex = exclude.reindex(index=design.sample, columns=secs, fill_value=False)
        ex.loc[ex.index.isin(design.event_dates)] = False
        long = long.where(~ex)
    stacked = long.stack().rename("r").reset_index()
    stacked.columns = ["date", "security", "r"]
    stacked = stacked.loc[stacked["r"].notna()]  # pandas 3 stack() keeps missing values
    bench = benchmarks.reindex(design.sample)
    stacked = stacked.loc[stacked["date"].map(bench.notna().all(axis=1))].reset_index(drop=True)
    grp = stacked["security"].map(groups)
    parts = {}
    for s in secs:
        mask = (stacked["security"] == s).to_numpy(dtype=float)
        parts[f"a[{s}]"] = mask
        for b in bench.columns:
            parts[f"b[{s},{b}]"] = mask * stacked["date"].map(bench[b]).to_numpy()
    terms = []
    for col, when in zip(design.dummies.columns, design.event_dates, strict=True):
        d = (stacked["date"] == when).to_numpy(dtype=float)
        parts[f"{col}: {base}"] = d
        terms.append((f"{col}: {base}", when, col, None))
        for g in others:
            name = f"{col}: {g} - {base}"
            parts[name] = d * (grp == g).to_numpy(dtype=float)
            terms.append((name, when, col, g))
    exog = pd.DataFrame(parts)
    keep_cols = exog.columns[exog.abs().sum() > 0]
    exog = exog[keep_cols]
    clusters = pd.factorize(stacked["date"])[0]
    ols = OLS(stacked["r"].to_numpy(dtype=float), exog.to_numpy(dtype=float))
    naive_se = np.sqrt(np.diag(ols.cluster_cov(clusters)))
    x = ols.x
    n, k = x.shape
    g_count = clusters.max() + 1
    clustered = ImputedEventClusters(
        x,
        ols.resid,
        clusters,
        stacked["date"],
        stacked["security"],
        design.event_dates,
        secs,
        xtx_inv=ols.xtx_inv,  # the regression's one inversion
    )
    rows = []
    cols = list(exog.columns)
    for name, when, col, g in terms:
        if name not in cols:
            continue
        j = cols.index(name)
        se = clustered.se(j)
        coef = float(ols.params[j])
        tval = coef / se
        rows.append(
            {
                "term": name,
                "date": when,
                "session_of": col,
                "comparison": f"{g} - {base}" if g else f"{base} mean AR",
                "coef": coef,
                "se": se,
                "t": tval,
                "p": float(2 * t_sf(abs(tval), g_count - 1)),
                "naive_cluster_se": float(naive_se[j]),
            }
        )
    table = pd.DataFrame(rows)
    ident = [
        f"{c} fall on the same session: not separately identified; one set of terms "
        "stands for all of them."
        for c in design.shared
    ]
    return PanelEventResults(
        table.drop(columns=["naive_cluster_se"]),
        base,
        labels,
        int(n),
        int(g_count),
        int(k),
        ident,
        table.set_index("term")["naive_cluster_se"],
    )
