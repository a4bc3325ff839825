"""From event ids and tickers to a fitted study: the steps the CLI and notebooks share.

>>> from research.analyses.analysis import run_study
>>> res = run_study(events="lpr-cut", groups="mainland-developer", benchmarks="^HSI")
>>> res.settings.model, res.settings.window, int(res.keep.sum())
('market', (-1, 1), 16)
>>> text = res.summary().as_text()  # print(res.summary()) shows the tables
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from research.analyses.requests import StudyRequest, request_from
from research.analyses.span import SpanTooShort, check_inside, study_span
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

if TYPE_CHECKING:  # the estimation is imported when a study is set up, not by regress
    from research.estimation.results import EventStudyResults
    from research.estimation.study import EventStudy


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
            from research.data.universe import suggest_ticker

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


def market_index(market: str) -> str:
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


def relative_window(
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


def _firm_events(request: StudyRequest) -> tuple[StudyRequest, pd.DataFrame, pd.DataFrame | None]:
    """The request (with the pairs' benchmark when pairs name one), its securities and
    groups, and its pairs (or None).
    """
    if request.pairs is None:
        return request, resolve_securities(request), None
    from dataclasses import replace

    from research.data.pairs import load_pairs, pair_benchmark

    if request.events or request.dates or request.tickers or request.groups:
        raise EventStudyError(
            "Give the firm-events either as pairs (pairs=, --pairs FILE) or as events and "
            "securities (events=/dates= with tickers=/groups=), not both."
        )
    pairs = load_pairs(request.pairs)
    request = replace(request, benchmarks=pair_benchmark(pairs, request.benchmarks))
    return request, pairs[["ticker", "group"]].rename(columns={"ticker": "security"}), pairs


MEASURES = ("returns", "volume", "volatility")


def _with_model(request: StudyRequest) -> StudyRequest:
    """The request with its model settled: the market model for returns, the mean-adjusted
    (constant-mean) model for volume unless another is named; a measure's impossible
    options refused.
    """
    from dataclasses import replace

    if request.measure not in MEASURES:
        raise EventStudyError(
            f"measure must be one of {', '.join(MEASURES)}, not {request.measure!r}."
        )
    if request.measure == "volatility" and request.thin_trading != "exclude":
        raise EventStudyError(
            "The volatility tests and GARCH fits take daily returns; trade-to-trade returns "
            "over several sessions cannot be used with --measure volatility."
        )
    if request.measure in ("returns", "volatility"):  # volatility: of the returns' ARs
        return replace(request, model=request.model or "market")
    model = request.model or "constant-mean"
    if model not in ("constant-mean", "market"):
        raise EventStudyError(
            f"An abnormal-volume study takes the mean-adjusted (constant-mean) or the market "
            f"model on the market's log volume, not {model}."
        )
    if request.thin_trading != "exclude":
        raise EventStudyError(
            "Trade-to-trade spans apply to returns; a volume study has no return to span "
            "(a day without trading has no log volume)."
        )
    given = [b for b in request.benchmarks or () if b]
    if len(given) > 1 or (given and model == "constant-mean"):
        raise EventStudyError(
            "A volume study's benchmark is the market's log volume: name at most one index "
            "whose volume may serve (--benchmark), with --model market; the mean-adjusted "
            "model takes none."
        )
    return replace(request, model=model, returns="log")


def _without(secs: pd.DataFrame, benchmarks: list[str]) -> pd.DataFrame:
    """The securities less the benchmarks; refused when none is left."""
    secs = secs.loc[~secs["security"].isin(benchmarks)].reset_index(drop=True)
    if secs.empty:
        raise EventStudyError("Every security given is also the benchmark; pick other securities.")
    return secs


def _event_table(request, secs, pairs, tickers, market, panel) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every firm-event (event, group, security, day-0 session on the panel's grid) and the
    events' alignment.
    """
    if pairs is None:
        events = resolve_events(request, market)
        alignment = align_events(events, panel.market, panel.trading_days)
        table = secs.merge(alignment[["event", "session"]], how="cross").rename(
            columns={"session": "day0"}
        )
        return table, alignment
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
    return table, alignment


def prepare(
    request: StudyRequest, store: PriceStore | None = None
) -> tuple[EventStudy, StudyInputs, pd.DataFrame]:
    """Set up the study a request describes (not yet fitted), one step after the other.

    1. the firm-events' securities and groups (:func:`resolve_securities`, or the pairs);
    2. the store that holds them (:func:`research.data.sample.choose_store`: the price store,
       or the embedded sample when the store holds none of them);
    3. their exchange, from what the store recorded (:func:`resolve_market`), and the
       benchmarks (those given, else the exchange's index);
    4. prices, quality, returns on the exchange's session grid
       (:func:`research.data.inputs.build_inputs`);
    5. each event's day-0 session on that grid and the windows in sessions.
    """
    request, secs, pairs = _firm_events(request)
    request = _with_model(request)
    named = list(dict.fromkeys(secs["security"]))
    given = [b for b in request.benchmarks or () if b]
    secs = _without(secs, given)  # a benchmark given is not also studied
    store, data_note = choose_store(store, [*secs["security"], *given])
    market, market_note = resolve_market(
        list(secs["security"]), request.market, request.mixed_markets, store
    )
    benchmarks = given if request.benchmarks is not None else [market_index(market)]
    if request.model == "constant-mean":
        benchmarks = []
    secs = _without(secs, benchmarks)  # nor is the market's index, when it is the benchmark
    tickers = list(dict.fromkeys(secs["security"]))
    if left_out := [t for t in named if t not in set(tickers)]:  # said, not silently dropped
        said = f"{', '.join(left_out)} left out of the securities: a benchmark is not also studied"
        data_note = "; ".join(n for n in (data_note, said) if n)
    _require_all(store, [*tickers, *benchmarks], "pairs" if pairs is not None else "")
    laid = (request, secs, pairs, tickers, benchmarks, market, store, market_note, data_note)
    span = _span(request, pairs, market) if request.measure == "returns" else None
    if span is not None:
        try:
            return _laid_out(*laid, span)
        except (SpanTooShort, EventStudyError):
            pass  # the whole history decides, and says what is wrong in its own words
    return _laid_out(*laid, None)


def _span(request: StudyRequest, pairs, market: str) -> tuple | None:
    """:func:`research.analyses.span.study_span` of the request's events."""
    try:
        if pairs is None:
            stamps = [e.timestamp for e in resolve_events(request, market)]
        else:
            stamps = [adhoc_event(d, market).timestamp for d in pairs["date"]]
    except Exception:  # the whole history's path says what is wrong, in its own words
        return None
    return study_span(request, stamps, market)


def _laid_out(
    request, secs, pairs, tickers, benchmarks, market, store, market_note, data_note, span
):
    """The study of :func:`prepare` on inputs read for ``span`` (None: the whole history);
    :class:`research.analyses.span.SpanTooShort` when its windows reach outside the span.
    """
    if request.measure == "volume":
        from research.data.volume import MARKET_VOLUME, volume_inputs

        market_model = request.model == "market"
        panel = volume_inputs(
            tickers, market, store, load_universe(), market_model, (benchmarks or [None])[0]
        )
        benchmarks = [MARKET_VOLUME] if market_model else []
    else:
        panel = build_inputs(
            tickers,
            benchmarks,
            market,
            store,
            request.returns,
            thin_trading=request.thin_trading,
            span=span,
        )
    panel.market_note = market_note
    panel.data_note = data_note
    table, alignment = _event_table(request, secs, pairs, tickers, market, panel)
    window = relative_window(
        tuple(request.window), table["day0"], panel.trading_days, "event window"
    )
    estimation = relative_window(
        tuple(request.estimation), table["day0"], panel.trading_days, "estimation window"
    )
    if span is not None:
        check_inside(
            span, panel.trading_days, table["day0"], window, estimation, request.car_windows
        )
    quality = flags_in_span(panel.quality, panel.returns.index, table["day0"], estimation, window)
    from research.estimation.study import EventStudy, StudyContext

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
        measure=request.measure,
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
