r"""Rolling correlations and betas between return series on one session grid.

For a window of ``n`` sessions ending at ``t``:

.. math::

   \rho_t = \frac{\sum (y-\bar y)(x-\bar x)}
                  {\sqrt{\sum (y-\bar y)^2 \sum (x-\bar x)^2}},
   \qquad \beta_t = \frac{\sum (y-\bar y)(x-\bar x)}{\sum (x-\bar x)^2}

over the sessions in the window on which both series have a return; a window
with fewer than ``min_periods`` such sessions gives NaN.  Series from markets
with other hours must first be aligned by session (:mod:`research.data.returns`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from research.analyses.analysis import resolve_market
from research.config import DEFAULT_SEED
from research.data.events import align_events, load_catalogue, select_events
from research.data.identity import series_market
from research.data.inputs import build_inputs
from research.data.sample import choose_store
from research.data.store import PriceStore
from research.data.universe import group_tickers, load_universe
from research.errors import EventStudyError
from research.stats.numerics import p_value_z


def rolling_correlation_beta(
    y: pd.DataFrame | pd.Series, x: pd.Series, window: int = 60, min_periods: int | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rolling correlation and OLS beta of each column of ``y`` on ``x``.

    Returns
    -------
    (correlation, beta)
        Frames shaped like ``y``.
    """
    if isinstance(y, pd.Series):
        y = y.to_frame()
    min_periods = min_periods or max(window * 2 // 3, 3)
    corr, beta = {}, {}
    for col in y.columns:
        both = pd.concat([y[col], x], axis=1, keys=["y", "x"], sort=True).dropna()
        cov = both["y"].rolling(window, min_periods=min_periods).cov(both["x"])
        var_x = both["x"].rolling(window, min_periods=min_periods).var()
        var_y = both["y"].rolling(window, min_periods=min_periods).var()
        corr[col] = (cov / (var_x * var_y) ** 0.5).reindex(y.index)
        beta[col] = (cov / var_x).reindex(y.index)
    return pd.DataFrame(corr), pd.DataFrame(beta)


def fisher_z(r_pre, r_post, n_pre, n_post):
    r"""Fisher's z of the change of a correlation, :math:`(\operatorname{atanh} r_{post} -
    \operatorname{atanh} r_{pre})/\sqrt{1/(n_{post}-3) + 1/(n_{pre}-3)}` (arrays too).
    """
    return (np.arctanh(r_post) - np.arctanh(r_pre)) / np.sqrt(1 / (n_post - 3) + 1 / (n_pre - 3))


def fisher_z_change(pre_y, pre_x, post_y, post_x) -> dict[str, float]:
    r"""Difference of two correlations (post - pre) by Fisher's z transformation.

    Notes
    -----
    :math:`z = (\operatorname{atanh} r_{post} - \operatorname{atanh} r_{pre}) /
    \sqrt{1/(n_{post}-3) + 1/(n_{pre}-3)}`, N(0,1) for independent samples of
    bivariate-normal pairs (Fisher 1921); daily returns are fat-tailed, hence the
    placebo p-value alongside.
    """

    def corr(y, x):
        both = np.isfinite(y) & np.isfinite(x)
        return float(np.corrcoef(y[both], x[both])[0, 1]), int(both.sum())

    r_pre, n_pre = corr(np.asarray(pre_y, float), np.asarray(pre_x, float))
    r_post, n_post = corr(np.asarray(post_y, float), np.asarray(post_x, float))
    z = fisher_z(r_pre, r_post, n_pre, n_post)
    return {
        "r_pre": r_pre,
        "r_post": r_post,
        "n_pre": n_pre,
        "n_post": n_post,
        "fisher_z": float(z),
        "fisher_z_p": float(p_value_z(z)),
    }


def beta_change(y: pd.Series, x: pd.Series, maxlags: int | None = None) -> dict[str, float]:
    """OLS ``y = a + b x + c D + d x D + e`` with ``D`` = 1 after the break (HAC errors).

    ``y`` and ``x`` hold the pre-break sessions then the post-break sessions, and the
    break is where the Series' ``attrs["break"]`` position says.  ``d`` is the change in
    beta; Newey-West errors with ``floor(4 (n/100)^(2/9))`` lags unless given
    (:func:`research.stats.covariance.newey_west_covariance`), normal p-values.
    """
    from research.stats.covariance import newey_west_covariance, newey_west_lags

    brk = int(y.attrs["break"])
    d = np.r_[np.zeros(brk), np.ones(len(y) - brk)]
    xv, yv = x.to_numpy(dtype=float), y.to_numpy(dtype=float)
    design = np.column_stack([np.ones(len(yv)), xv, d, xv * d])
    ok = np.isfinite(yv) & np.isfinite(design).all(axis=1)
    design, yv = design[ok], yv[ok]
    lags = newey_west_lags(len(yv)) if maxlags is None else maxlags
    coef, *_ = np.linalg.lstsq(design, yv, rcond=None)
    cov = newey_west_covariance(design, yv - design @ coef, lags)
    se = float(np.sqrt(cov[3, 3]))
    return {
        "beta_pre": float(coef[1]),
        "beta_post": float(coef[1] + coef[3]),
        "beta_change": float(coef[3]),
        "beta_change_se": se,
        "beta_change_p": float(p_value_z(coef[3] / se)),
        "hac_lags": lags,
    }


def _window_moments(a: np.ndarray, b: np.ndarray, starts: np.ndarray, window: int):
    """Correlation of ``a`` with ``b`` and the OLS slope of ``a`` on ``b`` over the windows
    of ``window`` sessions beginning at each of ``starts`` (two-pass, no missing values).
    """
    rows = starts[:, None] + np.arange(window)[None, :]
    ya, xb = a[rows], b[rows]
    dy = ya - ya.mean(axis=1, keepdims=True)
    dx = xb - xb.mean(axis=1, keepdims=True)
    sxy, sxx, syy = (dx * dy).sum(axis=1), (dx * dx).sum(axis=1), (dy * dy).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sxy / np.sqrt(sxx * syy), sxy / sxx


@dataclass
class CorrelationChangeResults:
    """Correlation and beta of ``a`` on ``b`` before and after an event, with placebo p-values."""

    a: str
    b: str
    event: str
    day0: pd.Timestamp
    window: int
    stats: dict
    placebo_z: np.ndarray
    placebo_beta: np.ndarray
    rolling_corr: pd.Series
    rolling_beta: pd.Series
    notes: list[str] = field(default_factory=list)  # the exchange chosen and any alignment

    def to_frame(self) -> pd.DataFrame:
        """One row: the correlation and beta before and after, their changes and p-values."""
        return pd.DataFrame(
            [
                {
                    "a": self.a,
                    "b": self.b,
                    "event": self.event,
                    "day0": self.day0,
                    "window": self.window,
                    **self.stats,
                }
            ]
        )

    def rolling_frame(self) -> pd.DataFrame:
        """The rolling correlation and beta (window ``window``) on every session."""
        frame = pd.DataFrame({"correlation": self.rolling_corr, "beta": self.rolling_beta})
        return frame.rename_axis("date").reset_index()

    def to_dict(self) -> dict:
        """Everything as plain data (the JSON output)."""
        from research.output.export import json_records

        return {
            **json_records(self.to_frame())[0],
            "notes": list(self.notes),
            "rolling": json_records(self.rolling_frame()),
        }

    def summary(self) -> str:
        """The result as one compact table: the correlation and the beta before and after
        day 0, their change, its test as ``statistic (p)`` with stars, and the placebo
        p-value; what each means in the notes below it.
        """
        from research.output.compact import STAR_LEGEND
        from research.output.report import notes_text, table

        title, rows, notes = self._compact()
        right = tuple(rows.columns[1:])
        return "\n".join(
            [table(rows, title, keys=1, right=right), STAR_LEGEND, "", notes_text(notes)]
        )

    def _compact(self) -> tuple[str, pd.DataFrame, list[str]]:
        """The title, the table of display strings and the notes of :meth:`summary`."""
        from research.output.compact import p_cell, stat_cell

        s = self.stats
        beta_t = s["beta_change"] / s["beta_change_se"] if s["beta_change_se"] > 0 else np.nan
        # the notes' markers on the headers they qualify, numbered as the notes below
        rows = pd.DataFrame(
            {
                "": ["correlation", "beta"],
                "before [1]": [f"{s['r_pre']:.2f}", f"{s['beta_pre']:.2f}"],
                "after [1]": [f"{s['r_post']:.2f}", f"{s['beta_post']:.2f}"],
                "change": [f"{s['r_post'] - s['r_pre']:+.2f}", f"{s['beta_change']:+.2f}"],
                "test (p) [2]": [
                    "z " + stat_cell(s["fisher_z"], s["fisher_z_p"]),
                    "t " + stat_cell(beta_t, s["beta_change_p"]),
                ],
                "placebo p [3]": [
                    p_cell(s["fisher_z_placebo_p"]),
                    p_cell(s["beta_change_placebo_p"]),
                ],
            }
        )
        title = (
            f"{self.a} with {self.b} around {self.event} (day 0 "
            f"{pd.Timestamp(self.day0):%Y-%m-%d}): {self.window} sessions before and after"
        )
        notes = [
            f"before: the {int(s['n_pre'])} sessions before day 0; after: day 0 and the "
            f"{int(s['n_post']) - 1} sessions after it.",
            "correlation: the change's test is Fisher's z of the two correlations; beta: the "
            "t of d in y = a + b x + c D + d xD (D = 1 from day 0), with HAC standard errors "
            f"({int(s['hac_lags'])} lags) and a normal p; beta change "
            f"{s['beta_change']:+.4f}, s.e. {s['beta_change_se']:.4f}.",
            f"placebo p: the share of {int(s['placebo_breaks'])} random break dates away from "
            "the event whose change is as large.",
            *self.notes,
        ]
        return title, rows, notes

    def paper_summary(self):
        """The table of :meth:`summary` for a paper (``--format latex|markdown|html``), as
        :class:`research.output.report.Summary`.
        """
        from research.output.compact import STAR_LEGEND
        from research.output.report import Summary, SummaryTable

        title, rows, notes = self._compact()
        shown = SummaryTable(title, rows, keys=1, right=tuple(rows.columns[1:]))
        return Summary([shown], [*notes, STAR_LEGEND])


def correlation_change(
    a: pd.Series,
    b: pd.Series,
    day0: pd.Timestamp,
    event: str = "event",
    window: int = 60,
    n_placebo: int = 500,
    seed: int = DEFAULT_SEED,
) -> CorrelationChangeResults:
    """Test whether the correlation (and beta) of ``a`` with ``b`` changed at ``day0``.

    Pre-event sessions ``[-window, -1]``, post-event ``[0, window-1]``; placebo p-values
    compare the Fisher z and the beta change with the same statistics at ``n_placebo``
    random break dates (at least ``window`` sessions away from day 0), two-sided.
    """
    from research.analyses.placebo import empirical_p
    from research.errors import EventStudyError

    both = pd.concat([a, b], axis=1, keys=["a", "b"], sort=True).dropna()
    index = both.index
    p0 = index.searchsorted(pd.Timestamp(day0))
    if p0 - window < 0 or p0 + window > len(index):
        raise EventStudyError(
            f"{window} sessions before and after {pd.Timestamp(day0):%Y-%m-%d} are not all in "
            "the data shared by the two series; shorten window= (--window)."
        )

    def at(p):
        pre, post = both.iloc[p - window : p], both.iloc[p : p + window]
        fz = fisher_z_change(pre["a"], pre["b"], post["a"], post["b"])
        y = pd.concat([pre["a"], post["a"]])
        y.attrs["break"] = window
        return fz, beta_change(y, pd.concat([pre["b"], post["b"]]))

    fz, bc = at(p0)
    rng = np.random.default_rng(seed)
    candidates = np.r_[np.arange(window, p0 - window), np.arange(p0 + window, len(index) - window)]
    draws = rng.choice(candidates, size=min(n_placebo, len(candidates)), replace=False)
    # every placebo break at once: the interaction coefficient d is the post-break slope
    # less the pre-break slope, and Fisher's z needs the two correlations
    a_v, b_v = both["a"].to_numpy(), both["b"].to_numpy()
    r_pre, s_pre = _window_moments(a_v, b_v, draws - window, window)
    r_post, s_post = _window_moments(a_v, b_v, draws, window)
    pz = fisher_z(r_pre, r_post, window, window)
    pb = s_post - s_pre
    stats_out = {
        **fz,
        "fisher_z_placebo_p": empirical_p(fz["fisher_z"], pz),
        **bc,
        "beta_change_placebo_p": empirical_p(bc["beta_change"], pb),
        "placebo_breaks": len(draws),
    }
    corr, beta = rolling_correlation_beta(both["a"], both["b"], window)
    return CorrelationChangeResults(
        str(a.name),
        str(b.name),
        event,
        index[p0],
        window,
        stats_out,
        pz,
        pb,
        corr.iloc[:, 0],
        beta.iloc[:, 0],
    )


@dataclass
class CrossMarketResults:
    """Each market's return and abnormal return on its own day-0 session for one event."""

    event: str
    table: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """One row per market."""
        return self.table.copy()

    def to_dict(self) -> dict:
        """Everything as plain data (the JSON output)."""
        from research.output.export import json_records

        return {"event": self.event, "markets": json_records(self.table)}

    TITLE = (
        "Cross-market reaction to {}: each market on its own day-0 session (constant-mean "
        "model, estimation -250..-11)"
    )

    def summary(self) -> str:
        """The result as a text table (the one of :meth:`paper_table`)."""
        from research.output.report import table

        t = self.paper_table()
        return table(t.frame, t.title, keys=t.keys, right=t.right)

    def paper_table(self):
        """The table of :meth:`summary` for a paper: returns in signed percent, the other
        numbers as the terminal shows them.
        """
        from research.output.compact import stat_cell
        from research.output.report import SummaryTable

        t = self.table

        def pct(values) -> list[str]:
            return ["" if pd.isna(v) else f"{100 * v:+.2f}%" for v in values]

        session = pd.to_datetime(t["day0"]).dt.strftime("%Y-%m-%d")

        def local(when: str, day: str) -> str:  # the event's local time; its date if not day 0's
            when = str(when)
            return when[len(day) + 1 :] if when.startswith(day) else when[5:]

        shown = pd.DataFrame(
            {
                "index": t["ticker"],
                "market": t["market"],
                "session": session,
                "event time": [local(w, d) for w, d in zip(t["local_time"], session, strict=True)],
                "return": pct(t["return"]),
                "AR": pct(t["abnormal_return"]),
                "t (p)": [
                    stat_cell(v, p) for v, p in zip(t["t_single"], t["t_single_p"], strict=True)
                ],
            }
        )
        right = ("return", "AR", "t (p)")
        return SummaryTable(self.TITLE.format(self.event), shown, keys=1, right=right)


# -- from what a user asked ------------------------------------------------------------
def _group_members(name: str, universe: pd.DataFrame) -> list[str] | None:
    """The tickers of ``name`` when it names a group of the universe (or ``property``)."""
    if name in set(universe["group"]) or name == "property":
        return group_tickers(name, universe)
    return None


def series_for(name: str, store: PriceStore | None = None, market: str = "HKEX") -> pd.Series:
    """A group's equal-weighted portfolio or one ticker's returns, on ``market`` sessions."""
    from research.data.inputs import group_portfolio

    store = store or PriceStore()
    members = _group_members(name, load_universe())
    if members is not None:
        panel = build_inputs(members, [], market, store)
        return group_portfolio(panel.returns, members, panel.exclude, name)
    store.require([name])
    panel = build_inputs([name], [], market, store)
    return panel.returns[name].where(~panel.exclude[name]).rename(name)


def correlate(
    a: str,
    b: str,
    event: str,
    window: int = 60,
    n_placebo: int = 500,
    store: PriceStore | None = None,
    market: str | None = None,
    catalogue: str | None = None,
    mixed_markets: bool = False,
):
    """Correlation and beta change of ``a`` with ``b`` around a catalogue event.

    Both series are put on one exchange's sessions exactly as a study's are: their own
    exchange when they share one (whatever the order of ``a`` and ``b``), else the
    exchange named by ``market`` with ``mixed_markets=True``, a series of another exchange
    then aligned by session as a study's benchmark is (the alignment is in
    ``results.alignment``).

    Raises
    ------
    EventStudyError
        When the series trade on different exchanges and no ``market`` with
        ``mixed_markets`` makes the choice explicit.
    """
    from research.data.inputs import benchmark_returns
    from research.data.markets import get_market
    from research.data.prices import return_price

    universe = load_universe()
    members = {name: _group_members(name, universe) or [name] for name in (a, b)}
    needed = [t for name in (a, b) for t in members[name]]
    store, _ = choose_store(store, needed)
    store.require(needed)
    home, market_note = resolve_market(needed, market, mixed_markets, store)
    calendar = get_market(home).calendar
    series, notes = [], [market_note]
    for name in (a, b):
        codes = {series_market(t, store, universe) for t in members[name]}
        if all(get_market(c).calendar == calendar for c in codes):
            series.append(series_for(name, store, home))
            continue
        if len(members[name]) > 1:
            raise EventStudyError(
                f"The group {name} trades outside {home}; correlate one of its tickers, or "
                "put the other series on its exchange with market= (--market)."
            )
        (code,) = codes
        grid = pd.DatetimeIndex(series[0].index if series else series_for(b, store, home).index)
        y, how = benchmark_returns(
            name, return_price(store.load(name)), grid, get_market(home), "simple", code
        )
        series.append(y.rename(name))
        notes.append(f"{name}: {how}")
    ya, yb = series
    (ev,) = select_events([event], load_catalogue(catalogue))
    day0 = align_events([ev], home, ya.dropna().index)["session"].iat[0]
    res = correlation_change(ya, yb, day0, event, window, n_placebo)
    res.notes = notes
    return res
