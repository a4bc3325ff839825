"""From event ids and tickers to a fitted study: the steps the CLI and notebooks share.

>>> from research.analyses.analysis import run_study
>>> res = run_study(events="lpr-cut", groups="mainland-developer", benchmarks="^HSI")
>>> res.settings.model, res.settings.window, int(res.keep.sum())
('market', (-1, 1), 16)
>>> text = res.summary().as_text()  # print(res.summary()) shows the tables
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from research.analyses.requests import RegressionRequest, StudyRequest, request_from
from research.data.events import Event, adhoc_event, align_events, load_catalogue, select_events
from research.data.identity import series_market
from research.data.inputs import StudyInputs, build_inputs
from research.data.sample import choose_store
from research.data.store import PriceStore
from research.data.universe import (
    expand_group,
    group_tickers,
    load_universe,
    ticker_group,
)
from research.errors import EventStudyError, WindowError
from research.estimation.results import EventStudyResults
from research.estimation.study import EventStudy, StudyContext


def resolve_market(
    tickers: list[str], requested: str | None = None, mixed: bool = False, store=None
) -> tuple[str, str]:
    """The exchange whose sessions a study uses, and one sentence saying how it was chosen.

    The exchange of each ticker is the one recorded in the store, else the universe's or
    its suffix's (:func:`research.data.identity.series_market`); a ticker none of them knows is
    refused unless ``requested`` names the exchange.  Exchanges that share a calendar
    (NYSE, NASDAQ) count as one.  Tickers
    of different exchanges, or a ``requested`` market that disagrees with them, are refused
    unless ``mixed`` makes the choice explicit: aligning a security on another exchange's
    sessions shifts its returns against the benchmark (a US stock on HKEX sessions has a
    market-model beta near zero against the S&P 500).
    """
    from research.data.markets import get_market

    universe = load_universe()
    own = {}
    for t in tickers:
        try:
            own[t] = series_market(t, store, universe)
        except EventStudyError:
            from research.data.store import suggest_ticker

            guess = suggest_ticker(t, list(universe.index))
            if guess:  # a typo rather than another exchange
                raise EventStudyError(
                    f"No stored prices for {t} (did you mean {guess}?); check the ticker."
                ) from None
            if requested is None:
                raise
            own[t] = get_market(requested).code  # the user named the exchange
    calendars = {get_market(m).calendar for m in own.values()}
    listed = "; ".join(f"{t}: {m}" for t, m in list(own.items())[:6])
    if requested is None:
        if len(calendars) > 1:
            raise EventStudyError(
                f"The securities trade on different exchanges ({listed}); name the exchange "
                "whose sessions to use with market= (--market) and mixed_markets=True "
                "(--mixed-markets)."
            )
        code = max(set(own.values()), key=list(own.values()).count)
        return code, f"market {code}: the exchange of the tickers"
    requested = get_market(requested).code
    others = {
        t: m for t, m in own.items() if get_market(m).calendar != get_market(requested).calendar
    }
    if not others:
        return requested, f"market {requested}: as asked, and the exchange of the tickers"
    listed = "; ".join(f"{t}: {m}" for t, m in list(others.items())[:6])
    if not mixed:
        raise EventStudyError(
            f"The market {requested} disagrees with the tickers ({listed}); leave market= "
            "(--market) out to use their own exchange, or add mixed_markets=True "
            f"(--mixed-markets) to align them on {requested} sessions anyway."
        )
    return requested, f"market {requested}: as asked, although {listed} trade elsewhere"


def _market_index(market: str) -> str:
    """The default benchmark of an exchange: its reference index (^HSI for HKEX, ^GSPC for
    NYSE and NASDAQ, ...).
    """
    from research.data.markets import get_market

    return get_market(market).reference


def resolve_events(request: StudyRequest, market: str = "HKEX") -> list[Event]:
    """Catalogue events by id plus ad-hoc events by date (on ``market``)."""
    chosen: list[Event] = []
    if request.events:
        chosen += select_events(list(request.events), load_catalogue(request.catalogue))
    chosen += [adhoc_event(d, market) for d in request.dates]
    if not chosen:
        raise EventStudyError(
            "Give at least one event: events= or dates= in Python, --event ID or "
            "--date YYYY-MM-DD on the command line."
        )
    return chosen


def resolve_securities(request: StudyRequest) -> pd.DataFrame:
    """Tickers with their group labels (``--tickers`` are labelled by the universe)."""
    universe = load_universe()
    rows = []
    for group in request.groups:
        for g in expand_group(group):
            rows += [(t, g) for t in group_tickers(g, universe)]
    rows += [(t, ticker_group(t, universe) if request.groups else "all") for t in request.tickers]
    if not rows:
        raise EventStudyError(
            "Give the securities: tickers= or groups= in Python, --tickers T1,T2 or "
            "--group NAME on the command line."
        )
    frame = pd.DataFrame(rows, columns=["security", "group"]).drop_duplicates("security")
    return frame.reset_index(drop=True)


def _relative(
    window: tuple, day0s: pd.Series, grid: pd.DatetimeIndex, what: str
) -> tuple[int, int]:
    """A window given as days or as two dates, in relative days."""
    a, b = window
    if isinstance(a, (int, np.integer)) and isinstance(b, (int, np.integer)):
        return int(a), int(b)
    offsets = set()
    for day0 in day0s.unique():
        p0 = grid.get_loc(day0)
        pa = grid.searchsorted(pd.Timestamp(a), side="left")
        pb = grid.searchsorted(pd.Timestamp(b), side="right") - 1
        offsets.add((int(pa - p0), int(pb - p0)))
    if len(offsets) != 1:
        raise WindowError(
            f"The {what} is given as dates but the events have different day-0 sessions; "
            "give it in relative days instead (e.g. -1,1)."
        )
    return offsets.pop()


def prepare(
    request: StudyRequest, store: PriceStore | None = None
) -> tuple[EventStudy, StudyInputs, pd.DataFrame]:
    """Align the events, build the panel and set up the study (not yet fitted)."""
    pairs = None
    if request.pairs is not None:
        from research.data.pairs import load_pairs, pair_benchmark

        if request.events or request.dates or request.tickers or request.groups:
            raise EventStudyError(
                "Give the firm-events either as pairs (pairs=, --pairs FILE) or as events and "
                "securities (events=/dates= with tickers=/groups=), not both."
            )
        pairs = load_pairs(request.pairs)
        from dataclasses import replace

        request = replace(request, benchmarks=pair_benchmark(pairs, request.benchmarks))
        secs = pairs[["ticker", "group"]].rename(columns={"ticker": "security"})
    else:
        secs = resolve_securities(request)
    given = [b for b in request.benchmarks or () if b]
    secs = secs.loc[~secs["security"].isin(given)].reset_index(drop=True)
    if secs.empty:
        raise EventStudyError("Every security given is also the benchmark; pick other securities.")
    known_store, _ = choose_store(store, [*secs["security"], *given])
    market, market_note = resolve_market(
        list(secs["security"]), request.market, request.mixed_markets, known_store
    )
    benchmarks = given if request.benchmarks is not None else [_market_index(market)]
    if request.model == "constant-mean":
        benchmarks = []
    secs = secs.loc[~secs["security"].isin(benchmarks)].reset_index(drop=True)
    if secs.empty:
        raise EventStudyError("Every security given is also the benchmark; pick other securities.")
    tickers = list(dict.fromkeys(secs["security"]))
    store, data_note = choose_store(store, [*tickers, *benchmarks])
    _require_all(store, [*tickers, *benchmarks], "pairs" if pairs is not None else "")
    panel = build_inputs(
        tickers, benchmarks, market, store, request.returns, thin_trading=request.thin_trading
    )
    panel.market_note = market_note
    panel.data_note = data_note
    if pairs is None:
        events = resolve_events(request, market)
        alignment = align_events(events, panel.market, panel.trading_days)
        table = secs.merge(alignment[["event", "session"]], how="cross").rename(
            columns={"session": "day0"}
        )
    else:
        pairs = pairs.loc[pairs["ticker"].isin(tickers)].reset_index(drop=True)
        events = [
            adhoc_event(d, market, event_id=f"{e} {t} {d}")
            for t, d, e in zip(pairs["ticker"], pairs["date"], pairs["event"], strict=True)
        ]
        alignment = align_events(events, panel.market, panel.trading_days)
        table = pd.DataFrame(
            {
                "security": pairs["ticker"],
                "group": pairs["group"],
                "event": pairs["event"],
                "day0": pd.DatetimeIndex(alignment["session"]),
            }
        )
    window = _relative(tuple(request.window), table["day0"], panel.trading_days, "event window")
    estimation = _relative(
        tuple(request.estimation), table["day0"], panel.trading_days, "estimation window"
    )
    quality = flags_in_span(panel.quality, panel.returns.index, table["day0"], estimation, window)
    context = StudyContext(
        alignment=alignment,
        quality=quality,
        benchmark_alignment=dict(panel.alignment_notes),
        market_note=panel.market_note,
        data_note=panel.data_note,
    )
    study = EventStudy(
        panel.returns,
        table[["event", "group", "security", "day0"]],
        panel.benchmarks if benchmarks else None,
        model=request.model,
        window=window,
        estimation=estimation,
        car_windows=[tuple(c) for c in request.car_windows] or None,
        min_obs=request.min_obs,
        exclude=panel.exclude,
        return_kind=request.returns,
        other_events=request.other_events,
        bootstrap=request.bootstrap,
        seed=request.seed,
        spans=panel.spans,
        context=context,
    )
    return study, panel, alignment


def _require_all(store, tickers: list[str], what: str) -> None:
    """Refuse, in one sentence naming every one of them, tickers the store lacks."""
    if not what:
        store.require(tickers)
        return
    lacking = [t for t in dict.fromkeys(tickers) if t not in store]
    if len(lacking) == 1:
        store.require(lacking)
    if lacking:
        from research.errors import DataError

        raise DataError(
            f"{len(lacking)} tickers of the {what} have no stored prices: {', '.join(lacking)}; "
            "import them first (`eventstudy data import PATH` or `eventstudy data fetch`)."
        )


def run_study(
    request: StudyRequest | None = None, store: PriceStore | None = None, **kwargs
) -> EventStudyResults:
    """Prepare and fit a study; keyword arguments fill a :class:`StudyRequest`.

    Example: ``run_study(events="lpr-cut", groups="mainland-developer")`` (one id as a
    string or several in a list; windows as ``"-1,1"`` or ``(-1, 1)``), or
    ``run_study(pairs="my_events.csv", benchmarks="^HSI")``: each firm on its own date
    (:mod:`research.data.pairs`), pooled by event type and group in event time.
    """
    if request is None:
        request = request_from(kwargs)
    study, _, _ = prepare(request, store)
    return study.fit()


def flags_in_span(
    flags: pd.DataFrame | None,
    grid: pd.DatetimeIndex,
    day0s: pd.Series,
    estimation: tuple[int, int],
    window: tuple[int, int],
) -> pd.DataFrame | None:
    """Quality flags that touch a study's span: from the first estimation day of its
    earliest firm-event to the last event day of its latest, on the session ``grid``.
    """
    if flags is None or flags.empty:
        return flags
    pos0 = grid.get_indexer(day0s)
    lo = grid[max(int(pos0.min()) + estimation[0], 0)]
    hi = grid[min(int(pos0.max()) + window[1], len(grid) - 1)]
    flags = flags.astype({"ticker": str, "kind": str, "action": str, "days": int}).assign(
        start=pd.to_datetime(flags["start"]), end=pd.to_datetime(flags["end"])
    )
    touches = (flags["end"] >= lo) & (flags["start"] <= hi)
    return flags.loc[touches].reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
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
            The day 0 of each event; per regressed series its benchmark coefficients
            (plain numbers) and its event effects (percent, with stars) in two tables; the
            CAR of each event window and the joint Wald tests of every series; the placebo
            p-values; the panel.  A cell a note qualifies carries the note's marker
            (``[1]``), and the note, starting with it, follows the first tables that point
            to it.
        """
        from research.output.regression_text import (
            NoteMarkers,
            benchmark_sessions,
            series_column,
            text_table,
            wald_text,
            windows_text,
        )
        from research.output.report import bullets, table

        markers = NoteMarkers()

        def with_notes(text: str) -> str:
            notes = markers.pending()
            return text + ("\n\n" + notes if notes else "")

        day0 = self.alignment[["event", "session", "rule"]].assign(
            session=pd.to_datetime(self.alignment["session"]).dt.strftime("%Y-%m-%d")
        )
        parts = [
            table(day0, "Day 0 of each event (alignment rule applied)")
            + ("\n" + bullets("Notes", self.notes) if self.notes else "")
        ]
        if self.regressions:
            market = str(self.alignment["market"].iat[0]) if "market" in self.alignment else ""
            names = dict.fromkeys(
                n for r in self.regressions for n in r.params.index if n not in r.design.labels
            )
            sessions = benchmark_sessions([n for n in names if n != "const"], market)
            for i, r in enumerate(self.regressions):  # the legend under the first one
                parts.append(with_notes(r.text(markers, sessions, legend=i == 0)))
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
            shown = pd.DataFrame(
                {
                    head: series,
                    "event": frame["event"],
                    "CAR": [f"{100 * v:+.2f}%" for v in frame["car"]],
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
        else [_market_index(market)]
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
    window = _relative(
        tuple(request.window), alignment["session"], panel.trading_days, "event window"
    )
    estimation = _relative(
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
            for event, d0 in day0.items():
                placebos.append(
                    placebo_test(
                        y,
                        bench,
                        d0,
                        event,
                        window,
                        estimation,
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
    from research.analyses.correlation import correlation_change
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
