"""``eventstudy regress``: dummy-variable event regressions from what a user asked, and
the cross-market ranking of one event.

:func:`run_regressions` resolves the series (tickers, group portfolios, a long-short
pair), their exchange and the events as a study does (:mod:`research.analyses.analysis`),
then fits :func:`research.analyses.regression.event_regression` per series, the placebo
dates and, with ``panel``, the stacked panel; :func:`cross_market_reactions` ranks every
stored market's reaction to one event.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from research.analyses.analysis import (
    market_index,
    relative_window,
    resolve_events,
    resolve_market,
)
from research.analyses.requests import RegressionRequest, StudyRequest
from research.data.events import align_events, load_catalogue, select_events
from research.data.identity import series_market
from research.data.inputs import StudyInputs, build_inputs
from research.data.sample import choose_store
from research.data.store import PriceStore
from research.data.universe import expand_group, group_tickers, load_universe
from research.errors import EventStudyError


@dataclass
class RegressionReport:
    """Everything ``eventstudy regress`` computed."""

    alignment: pd.DataFrame
    regressions: list
    placebo: list
    panel: object | None
    notes: list[str] = field(default_factory=list)  # market chosen, event-window flags kept

    def summary(self) -> str:
        """The report as text (what ``eventstudy regress`` prints).

        Returns
        -------
        str
            The day 0 of each event; the benchmark coefficients (plain numbers) and the
            event effects (percent, with stars) in two tables, the series side by side; the
            CAR of each event window and the joint Wald tests of every series; the placebo
            p-values; the panel.  A cell a note qualifies carries the note's marker
            (``[1]``), and the note, starting with it, follows the first tables that point
            to it.
        """
        from research.output.regression_text import NoteMarkers

        return self._text(NoteMarkers())

    def paper_summary(self):
        """The report for a paper (``--format latex|markdown|html``): the tables of
        :meth:`summary` as :class:`research.output.report.Summary`, the notes their markers
        point to numbered as in the text, then the legend and the report's own notes.
        """
        from research.output.regression_text import paper_summary

        out = paper_summary(self._text)
        out.notes = [*out.notes, *self.notes]
        return out

    def _text(self, markers) -> str:
        from research.output.regression_text import (
            benchmark_sessions,
            record,
            series_column,
            series_text,
            text_table,
            wald_text,
            windows_text,
        )
        from research.output.report import bullets, table

        def with_notes(text: str) -> str:
            notes = markers.pending()
            return text + ("\n\n" + notes if notes else "")

        day0 = self.alignment[["event", "session", "rule"]].assign(
            session=pd.to_datetime(self.alignment["session"]).dt.strftime("%Y-%m-%d")
        )
        title = "Day 0 of each event (alignment rule applied)"
        record(day0, title, keys=2, right=())
        parts = [table(day0, title) + ("\n" + bullets("Notes", self.notes) if self.notes else "")]
        if self.regressions:
            market = str(self.alignment["market"].iat[0]) if "market" in self.alignment else ""
            names = dict.fromkeys(
                n for r in self.regressions for n in r.params.index if n not in r.design.labels
            )
            sessions = benchmark_sessions([n for n in names if n != "const"], market)
            if len(self.regressions) == 1:
                parts.append(with_notes(self.regressions[0].text(markers, sessions)))
            else:  # the series side by side
                parts.append(with_notes(series_text(self.regressions, markers, sessions)))
            parts.append(
                with_notes(
                    windows_text(self.regressions, markers, legend=False)
                    + "\n\n"
                    + wald_text(self.regressions, markers)
                )
            )
        if self.placebo:
            frame = pd.concat([p.to_frame() for p in self.placebo], ignore_index=True)
            n_in, n_random = frame["n_estimation_window"], frame["n_random_dates"]
            est = markers.mark(
                "p est.: the share of the "
                + (f"{n_in.iat[0]} " if n_in.nunique() == 1 else "")
                + "windows of the same length in the series' estimation period whose |CAR| "
                "(on the residuals of the model fitted there) reaches the observed one."
            )
            random = markers.mark(
                "p dates: the same share among "
                + (f"{n_random.iat[0]} " if n_random.nunique() == 1 else "")
                + "random dates across the sample away from the events, each with its own "
                "estimation window (Phipson & Smyth 2010: never zero)."
            )
            head, series = series_column(list(frame["series"]), markers)
            own = markers.mark(
                "CAR and p (t) of the placebo table: the event window's CAR on the same "
                "benchmarks, fitted over each event's own estimation window without the "
                "other events' dummies, and the p of its classical t: what the random "
                "windows and dates are compared with (close to, not the same as, the "
                "regression's CAR)."
            )
            shown = pd.DataFrame(
                {
                    head: series,
                    "event": frame["event"],
                    f"CAR {own}": [f"{100 * v:+.2f}%" for v in frame["car"]],
                    "p (t)": [f"{v:.3f}" for v in frame["t_single_p"]],
                    f"p est. {est}": [f"{v:.3f}" for v in frame["placebo_p_estimation_window"]],
                    f"p dates {random}": [f"{v:.3f}" for v in frame["placebo_p_random_dates"]],
                }
            )
            windows = ", ".join(dict.fromkeys(frame["window"]))
            title = f"Placebo (randomisation) inference, event window {windows}"
            parts.append(with_notes(text_table(shown, title, keys=2)))
        if self.panel is not None:
            parts.append(with_notes(self.panel.text(markers, legend=not self.regressions)))
        return "\n\n".join(parts)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table of the report, for the export formats."""
        out = {
            "coefficients": pd.concat([r.to_frame() for r in self.regressions], ignore_index=True),
            "windows": pd.concat(
                [r.windows.assign(series=r.series) for r in self.regressions], ignore_index=True
            ),
            "wald": pd.concat(
                [r.wald.assign(series=r.series) for r in self.regressions], ignore_index=True
            ),
            "alignment": self.alignment,
        }
        if self.placebo:
            out["placebo"] = pd.concat([p.to_frame() for p in self.placebo], ignore_index=True)
        if self.panel is not None:
            out["panel"] = self.panel.to_frame()
        return out

    def to_dict(self) -> dict:
        """Everything as plain data (the JSON output)."""
        from research.output.export import json_records

        return {
            "notes": list(self.notes),
            "alignment": json_records(self.alignment),
            "regressions": [r.to_dict() for r in self.regressions],
            "placebo": [p.to_dict() for p in self.placebo],
            "panel": self.panel.to_dict() if self.panel is not None else None,
        }


def run_regressions(
    request: RegressionRequest, store: PriceStore | None = None
) -> RegressionReport:
    """Dummy-variable regressions, placebo inference and (optionally) the panel."""
    from research.analyses.placebo import placebo_test
    from research.analyses.regression import event_regression, panel_event_regression
    from research.data.inputs import group_portfolio

    universe = load_universe()
    group_members = {}
    for group in request.groups:
        for g in expand_group(group):
            group_members[g] = group_tickers(g, universe)
    if request.long_short:
        for g in request.long_short:
            group_members.setdefault(g, group_tickers(g, universe))
    securities = list(
        dict.fromkeys([t for m in group_members.values() for t in m] + list(request.tickers))
    )
    if not securities:
        raise EventStudyError(
            "Give the series: tickers=, groups= or long_short= in Python (--tickers, --group "
            "or --long-short on the command line)."
        )
    own = [t for t in securities if t not in (request.benchmarks or ())]
    known_store, _ = choose_store(store, [*own, *(b for b in request.benchmarks or () if b)])
    market, market_note = resolve_market(own, request.market, request.mixed_markets, known_store)
    benchmarks = (
        [b for b in request.benchmarks if b]
        if request.benchmarks is not None
        else [market_index(market)]
    )
    events = resolve_events(
        StudyRequest(events=request.events, dates=request.dates, catalogue=request.catalogue),
        market,
    )
    store, data_note = choose_store(store, [*securities, *benchmarks])
    store.require([*securities, *benchmarks])
    panel = build_inputs(securities, benchmarks, market, store, request.returns)
    alignment = align_events(events, panel.market, panel.trading_days)
    day0 = dict(zip(alignment["event"], alignment["session"], strict=True))
    full = align_events(load_catalogue(request.catalogue), panel.market, panel.trading_days)
    confounders = full.groupby("session")["event"].apply(list).to_dict()
    bench = panel.benchmarks if benchmarks else None
    window = relative_window(
        tuple(request.window), alignment["session"], panel.trading_days, "event window"
    )
    estimation = relative_window(
        tuple(request.estimation), alignment["session"], panel.trading_days, "estimation window"
    )
    # the event windows' sessions: flagged returns stay in the portfolios there (reported)
    grid = panel.trading_days
    event_days = grid[
        np.unique(
            np.clip(
                grid.get_indexer(list(day0.values()))[:, None]
                + np.arange(window[0], window[1] + 1)[None, :],
                0,
                len(grid) - 1,
            )
        )
    ]
    notes = [market_note] + ([data_note] if data_note else [])
    group_members = _members_with_estimation_days(
        group_members, panel, day0, estimation, len(benchmarks), request.min_obs, notes
    )
    in_portfolios = sorted({t for m in group_members.values() for t in m})
    flagged = panel.exclude.reindex(index=event_days, columns=in_portfolios, fill_value=False)
    for t in flagged.columns[flagged.any()]:
        days = ", ".join(f"{d:%Y-%m-%d}" for d in flagged.index[flagged[t]])
        notes.append(
            f"{t}: flagged return(s) on event-window session(s) {days} kept in its portfolio "
            "(quality flags only keep returns out of estimation)"
        )
    series: list[tuple[pd.Series, pd.Series | None]] = []
    for t in request.tickers:
        if t in benchmarks:
            raise EventStudyError(f"{t} is also the benchmark; pick another benchmark.")
        series.append((panel.returns[t].rename(t), panel.exclude[t]))
    for g in request.groups:
        for name in expand_group(g):
            series.append(
                (
                    group_portfolio(
                        panel.returns,
                        group_members[name],
                        panel.exclude,
                        f"{name} (equal-weighted)",
                        keep=event_days,
                    ),
                    None,
                )
            )
    if request.long_short:
        a, b = request.long_short
        long_leg = group_portfolio(panel.returns, group_members[a], panel.exclude, keep=event_days)
        short_leg = group_portfolio(panel.returns, group_members[b], panel.exclude, keep=event_days)
        series.append(((long_leg - short_leg).rename(f"{a} - {b}"), None))
    regressions, placebos = [], []
    for y, ex in series:
        regressions.append(
            event_regression(
                y,
                bench,
                day0,
                window,
                estimation,
                request.cov_type,
                request.maxlags,
                ex,
                confounders,
                request.min_obs,
            )
        )
        if request.placebo_draws > 0:
            # every benchmark of the regression, as its model has them
            several = bench is not None and bench.shape[1] > 1
            placebo_model = "multi-index" if several else "market"
            for event, d0 in day0.items():
                placebos.append(
                    placebo_test(
                        y,
                        bench,
                        d0,
                        event,
                        window,
                        estimation,
                        model=placebo_model,
                        n_draws=request.placebo_draws,
                        seed=request.seed,
                        exclude=ex,
                        avoid=list(day0.values()),
                    )
                )
    panel_res = None
    if request.panel:
        labels = pd.Series({t: g for g, members in group_members.items() for t in members})
        if labels.nunique() < 2:
            raise EventStudyError(
                "The panel needs at least two groups: groups= with two names in Python "
                "(repeat --group on the command line)."
            )
        panel_res = panel_event_regression(
            panel.returns,
            labels,
            panel.benchmarks,
            day0,
            window,
            estimation,
            request.base_group,
            panel.exclude,
        )
    return RegressionReport(alignment, regressions, placebos, panel_res, notes)


def _members_with_estimation_days(
    members: dict[str, list[str]],
    panel: StudyInputs,
    day0: dict[str, pd.Timestamp],
    estimation: tuple[int, int],
    n_bench: int,
    min_obs: int | None,
    notes: list[str],
) -> dict[str, list[str]]:
    """Each group's members with enough usable estimation days before every event: the
    rule a study applies to its firm-events
    (:func:`research.estimation.windows.min_usable_days`), so that ``regress`` and ``run``
    average the same stocks; every member left out is noted.
    """
    from research.estimation.windows import min_usable_days

    need = min_usable_days(estimation, 1 + n_bench, min_obs)
    grid = panel.trading_days
    flagged = panel.exclude.reindex(
        index=panel.returns.index, columns=panel.returns.columns, fill_value=False
    )
    usable = panel.returns.notna() & ~flagged.astype(bool)
    if n_bench:
        usable &= panel.benchmarks.notna().all(axis=1).to_numpy()[:, None]
    short: dict[str, tuple[int, str]] = {}
    for event, d0 in day0.items():
        p0 = grid.get_loc(pd.Timestamp(d0))
        rows = slice(max(p0 + estimation[0], 0), max(p0 + estimation[1] + 1, 0))
        counts = usable.iloc[rows].sum()
        for t in counts.index[counts < need]:
            if t not in short or counts[t] < short[t][0]:
                short[t] = (int(counts[t]), event)
    kept = {}
    for group, tickers in members.items():
        kept[group] = [t for t in tickers if t not in short]
        if not kept[group]:
            raise EventStudyError(
                f"No member of {group} has {need} usable estimation days before every event; "
                "lengthen the estimation window or lower min_obs (--min-obs)."
            )
        for t in tickers:
            if t in short:
                notes.append(
                    f"{t} left out of the {group} portfolio: {short[t][0]} usable estimation "
                    f"days before {short[t][1]}, fewer than the {need} required (the rule of "
                    "eventstudy run)"
                )
    return kept


def cross_market_reactions(
    event: str,
    tickers: tuple[str, ...],
    store: PriceStore | None = None,
    catalogue: str | None = None,
):
    """Return and constant-mean abnormal return of each market on its own day-0 session."""
    from research.analyses.correlation import CrossMarketResults
    from research.estimation.study import EventStudy

    store, _ = choose_store(store, tickers)
    universe = load_universe()
    (ev,) = select_events([event], load_catalogue(catalogue))
    rows = []
    from research.progress import steps

    for ticker in steps(tickers, "markets"):
        store.require([ticker])
        market = series_market(ticker, store, universe)
        panel = build_inputs([ticker], [], market, store)
        al = align_events([ev], panel.market, panel.trading_days)
        day0 = al["session"].iat[0]
        res = EventStudy(
            panel.returns,
            pd.DataFrame({"security": [ticker], "day0": [day0], "event": [event]}),
            None,
            model="constant-mean",
            window=(0, 0),
            exclude=panel.exclude,
            bootstrap=0,
        ).fit()
        if not res.keep[0]:
            raise EventStudyError(f"{ticker}: {res.dropped['reason'].iat[0]}.")
        rows.append(
            {
                "ticker": ticker,
                "market": market,
                "day0": day0,
                "local_time": al["local_time"].iat[0],
                "return": float(res.r[0, 0]),
                "abnormal_return": float(res.ar[0, 0]),
                "t_single": float(res.t_single[0, 0]),
                "t_single_p": float(res.p_single[0, 0]),
            }
        )
    table = pd.DataFrame(rows).sort_values("return").reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return CrossMarketResults(event, table)
