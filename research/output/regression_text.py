"""The event regressions' results as text tables: the helpers behind
:meth:`research.analyses.regression.EventRegressionResults.summary`, the panel's, and ``eventstudy
regress``.

Benchmark coefficients and event effects in separate tables (betas as numbers, effects in
percent with stars), unsigned standard errors, each beta named after its series, and
notes pointed to by markers (:class:`NoteMarkers`) from the cells they qualify.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from research.stats.covariance import se_method

if TYPE_CHECKING:
    from research.analyses.regression import EventRegressionResults, PanelEventResults


# -- text ------------------------------------------------------------------------------------
STARS_LEGEND = "* p < 0.10, ** p < 0.05, *** p < 0.01 (two-sided)"
PORTFOLIO = " (equal-weighted)"  # the suffix of a group portfolio's name


def significance_stars(p: float) -> str:
    """``***`` below 1%, ``**`` below 5%, ``*`` below 10%, else nothing."""
    if not np.isfinite(p):
        return ""
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.10 else ""


def number_text(value: float) -> str:
    """A coefficient or its s.e. as a plain number, 4 decimals."""
    return f"{value:.4f}" if np.isfinite(value) else ""


def signed_percent(value: float) -> str:
    """A return in percent, two decimals, signed."""
    return f"{100 * value:+.2f}%" if np.isfinite(value) else ""


def percent_text(value: float) -> str:
    """A standard error in percent, two decimals, unsigned."""
    return f"{100 * value:.2f}%" if np.isfinite(value) else ""


def t_text(value: float) -> str:
    """A t statistic to two decimals."""
    return f"{value:.2f}" if np.isfinite(value) else ""


def p_text(value: float) -> str:
    """A p-value to three decimals."""
    return f"{value:.3f}" if np.isfinite(value) else ""


def date_text(value: pd.Timestamp | None) -> str:
    """A session as YYYY-MM-DD."""
    return "" if value is None or pd.isna(value) else f"{value:%Y-%m-%d}"


# the tables of a report being rendered, when a paper form wants them (captured_tables)
_CAPTURED: ContextVar[list | None] = ContextVar("regression_tables", default=None)


def text_table(frame: pd.DataFrame, title: str, keys: int) -> str:
    """A table of display strings (:func:`research.output.report.table`): the first ``keys``
    columns aligned left (and repeated by each block of a split table), the others, the
    formatted numbers, right.  Inside :func:`captured_tables` it is also kept.
    """
    from research.output.report import table

    record(frame, title, keys)
    return table(frame, title, keys=keys, right=tuple(frame.columns[keys:]))


def record(frame: pd.DataFrame, title: str, keys: int, right: tuple | None = None) -> None:
    """Keep a table of display strings for a paper form, inside :func:`captured_tables`."""
    shown = _CAPTURED.get()
    if shown is not None:
        from research.output.report import SummaryTable

        right = tuple(frame.columns[keys:]) if right is None else right
        shown.append(SummaryTable(title, frame.copy(), keys=keys, right=right))


@contextmanager
def captured_tables() -> Iterator[list]:
    """The tables the text of a report renders while inside, as
    :class:`research.output.report.SummaryTable` objects of display strings, in order:
    what its LaTeX, Markdown and HTML forms show (:func:`paper_summary`).
    """
    shown: list = []
    token = _CAPTURED.set(shown)
    try:
        yield shown
    finally:
        _CAPTURED.reset(token)


def paper_summary(render, head: str = ""):
    """The :class:`research.output.report.Summary` of a report for a paper: the tables
    ``render(markers)`` draws as text, and the notes their markers point to, numbered as
    the markers are, then the legend of the stars.
    """
    from research.output.report import Summary

    markers = NoteMarkers()
    with captured_tables() as tables:
        render(markers)
    return Summary(tables, [*markers.notes, STARS_LEGEND], head=head)


class NoteMarkers:
    """The numbered notes of a text report and the markers that point to them.

    A cell a note qualifies carries the note's marker (``[1]``): :meth:`mark` gives the
    same marker to the same note, wherever it is asked for, and :meth:`pending` renders
    the notes marked since its last call, each starting with its marker, so that a note
    follows the first tables that point to it.
    """

    def __init__(self) -> None:
        self.notes: list[str] = []
        self._shown = 0

    def mark(self, note: str) -> str:
        """The marker of ``note`` (a new number the first time)."""
        if note not in self.notes:
            self.notes.append(note)
        return f"[{self.notes.index(note) + 1}]"

    def pending(self, width: int | None = None) -> str:
        """The notes marked since the last call, wrapped to ``width`` (default
        :func:`research.output.report.terminal_width`); empty when there are none.
        """
        from research.output.report import notes_text

        new = self.notes[self._shown :]
        if not new:
            return ""
        text = notes_text(new, width, start=self._shown + 1, indent="")
        self._shown = len(self.notes)
        return text


def session_note(
    column: str,
    when: pd.Timestamp | None,
    shared: bool,
    others: list[str] | None = None,
    stands: str = "one coefficient",
) -> str:
    """The note on an event session: shared by two of the model's events (``column``
    names them, ``a[0] = b[-1]``; ``stands`` for them all), and/or day 0 of catalogue
    ``others`` outside the model; empty when neither.
    """
    parts = []
    if shared:
        parts.append(
            "the events share this session: their effects are not separately identified "
            f"({stands} stands for them all)"
        )
    if others:
        parts.append(
            f"also day 0 of {', '.join(others)} (catalogue events not in this model), "
            "whose effects the coefficient includes"
        )
    if not parts:
        return ""
    return f"{date_text(when) or 'The session'} ({column}): " + "; ".join(parts) + "."


def series_column(names: list[str], markers: NoteMarkers) -> tuple[str, list[str]]:
    """The header and cells of a ``series`` column: a group portfolio by its group's
    name, the header marked with a note saying so.
    """
    if not any(n.endswith(PORTFOLIO) for n in names):
        return "series", list(names)
    mark = markers.mark(
        "series: a group's name stands for the equal-weighted portfolio of its members."
    )
    return f"series {mark}", [n.removesuffix(PORTFOLIO) for n in names]


def benchmark_label(name: str, session: str | None = None) -> str:
    """``alpha`` for the constant, ``beta <benchmark>`` (with how its returns are aligned)
    for a benchmark.
    """
    if name == "const":
        return "alpha"
    return f"beta {name}" + (f" ({session})" if session else "")


def benchmark_sessions(benchmarks: list[str], market: str) -> dict[str, str]:
    """How each benchmark's returns sit on ``market``'s sessions, for its beta's label.

    A benchmark of the same calendar gets nothing; one of another exchange gets
    ``same-day <exchange> session`` or ``prev. <exchange> session``, the rule of
    :func:`research.data.inputs.benchmark_returns` (New York is ``NY``).  A benchmark whose
    exchange the default store, the universe and its suffix do not know is left out.

    Parameters
    ----------
    benchmarks
        Benchmark tickers.
    market
        The exchange of the regressed series.

    Returns
    -------
    dict
        Benchmark -> its sessions.
    """
    from research.data.identity import series_market
    from research.data.inputs import overlaps_home_session
    from research.data.markets import get_market
    from research.data.store import PriceStore
    from research.errors import EventStudyError

    try:
        home = get_market(market)
    except EventStudyError:
        return {}
    store = PriceStore()
    out = {}
    for name in benchmarks:
        try:
            own = get_market(series_market(name, store))
        except EventStudyError:
            continue  # its exchange is not known here: the label stays plain
        if own.calendar == home.calendar:
            continue
        where = "NY" if own.calendar == "XNYS" else own.code
        same = overlaps_home_session(own, home)
        out[name] = f"same-day {where} session" if same else f"prev. {where} session"
    return out


def windows_text(
    results: list[EventRegressionResults], markers: NoteMarkers, legend: bool = True
) -> str:
    """The regression CAR of each event window of ``results`` as one table.

    Parameters
    ----------
    results
        The regressions (a ``series`` column when there are several).
    markers
        Give the markers of the notes on the standard errors and on windows that share
        sessions.
    legend
        Whether the legend of the stars follows the table.

    Returns
    -------
    str
        A row per series and event: CAR in signed percent, unsigned s.e. in percent, t,
        p, stars.
    """
    many = len(results) > 1
    rows, notes = [], []
    for r in results:
        notes.append(markers.mark(se_note(r, "event")))
        for w in r.windows.itertuples(index=False):
            event = w.event
            if w.shares_sessions_with:
                together = sorted({w.event, *w.shares_sessions_with.split(", ")})
                event += " " + markers.mark(
                    f"The windows of {', '.join(together)} share sessions: their CARs overlap."
                )
            rows.append(
                {
                    "series": r.series,
                    "event": event,
                    "CAR": signed_percent(w.car),
                    "s.e.": percent_text(w.se),
                    "t": t_text(w.t),
                    "p": p_text(w.p),
                    "": significance_stars(w.p),
                }
            )
    frame = _series_key(pd.DataFrame(rows), many, markers)
    frame = frame.rename(columns={"s.e.": "s.e. " + " ".join(dict.fromkeys(notes))})
    windows = ", ".join(dict.fromkeys(w for r in results for w in r.windows["window"]))
    title = f"Regression CAR, event window {windows} (H0: sum = 0)"
    return text_table(frame, title, keys=1 + many) + ("\n" + STARS_LEGEND if legend else "")


def _series_key(frame: pd.DataFrame, many: bool, markers: NoteMarkers) -> pd.DataFrame:
    """The ``series`` column as the tables' key (named with the note on portfolio names)
    when there are several series, else dropped.
    """
    if not many:
        return frame.drop(columns="series")
    head, frame["series"] = series_column(list(frame["series"]), markers)
    return frame.rename(columns={"series": head})


def wald_text(results: list[EventRegressionResults], markers: NoteMarkers) -> str:
    """The joint Wald tests of ``results`` as one table.

    Parameters
    ----------
    results
        The regressions (a ``series`` column when there are several).
    markers
        Give the marker of the note on the series' names.

    Returns
    -------
    str
        A row per series and hypothesis: k, chi2 and F to 2 decimals, their p-values to 3.
    """
    many = len(results) > 1
    rows = [
        {
            "series": r.series,
            "hypothesis": w.hypothesis,
            "k": str(w.k),
            "chi2": f"{w.chi2:.2f}",
            "p(chi2)": p_text(w.chi2_p),
            "F": f"{w.F:.2f}",
            "p(F)": p_text(w.F_p),
        }
        for r in results
        for w in r.wald.itertuples(index=False)
    ]
    frame = _series_key(pd.DataFrame(rows), many, markers)
    return text_table(frame, "Joint Wald tests (H0: effects = 0)", keys=1 + many)


def single_text(
    res: EventRegressionResults,
    markers: NoteMarkers,
    sessions: dict[str, str] | None = None,
    legend: bool = True,
) -> str:
    """The two coefficient tables as text, their notes left to ``markers``.

    Parameters
    ----------
    markers
        The notes of the report the tables belong to: a cell a note qualifies carries
        its marker (``[1]``).
    sessions
        Benchmark -> how its returns sit on the series' sessions (``prev. NY
        session``), shown beside its beta (:func:`benchmark_sessions`).
    legend
        Whether the legend of the stars follows the event effects.

    Returns
    -------
    str
        The benchmark coefficients (plain numbers) and the event effects (abnormal
        returns in percent, with stars), each titled with the series.
    """
    fit = f"n={res.nobs}, R²={res.rsquared:.3f}"
    benchmarks = text_table(
        benchmark_frame(res, markers, sessions),
        f"{res.series}: benchmark coefficients ({fit})",
        keys=1,
    )
    effects = text_table(
        effects_frame(res, markers), f"{res.series}: event effects (percent)", keys=2
    )
    return benchmarks + "\n\n" + effects + ("\n" + STARS_LEGEND if legend else "")


def series_text(
    results: list[EventRegressionResults],
    markers: NoteMarkers,
    sessions: dict[str, str] | None = None,
    legend: bool = True,
) -> str:
    """Several series' coefficients as two tables, their notes left to ``markers``: the
    benchmark coefficients (a row per series, with its n and R², then one per term) and
    the event effects (a row per event session, then one per series), so that the series
    sit side by side rather than in a pair of tables each.

    Parameters
    ----------
    sessions, legend
        As :func:`single_text`.
    """
    head, names = series_column([r.series for r in results], markers)
    marks = " ".join(dict.fromkeys(markers.mark(se_note(r, "benchmark")) for r in results))
    frames = []
    for r, name in zip(results, names, strict=True):
        frame = benchmark_frame(r, markers, sessions)
        frame = frame.rename(columns={frame.columns[2]: f"s.e. {marks}"})
        frame["term"] = "  " + frame["term"]
        heading = {c: "" for c in frame.columns}
        heading["term"] = f"{name} (n={r.nobs}, R²={r.rsquared:.3f})"
        frames += [pd.DataFrame([heading]), frame]
    bench = pd.concat(frames, ignore_index=True).rename(columns={"term": f"{head} / term"})
    benchmarks = text_table(bench, "Benchmark coefficients", keys=1)
    return benchmarks + "\n\n" + effects_by_session(results, names, markers, legend)


def effects_by_session(
    results: list[EventRegressionResults],
    names: list[str],
    markers: NoteMarkers,
    legend: bool = True,
) -> str:
    """The event effects of several series as one table: a row per event session (with
    the marker of a note on it), then one per series (named ``names``).
    """
    marks = " ".join(dict.fromkeys(markers.mark(se_note(r, "event")) for r in results))
    se = f"s.e. {marks}"
    rows = []
    columns = dict.fromkeys(c for r in results for c in r.params.index if c in r.design.labels)
    for col in columns:
        having = [(r, n) for r, n in zip(results, names, strict=True) if col in r.params.index]
        first = having[0][0]
        when = first.dates.get(col)
        note = session_note(col, when, col in set(first.design.shared), first.confounders.get(col))
        label = f"{col} ({date_text(when)})" + (f" {markers.mark(note)}" if note else "")
        rows.append({"session / series": label, "AR": "", se: "", "t": "", "p": "", "": ""})
        rows += [
            {
                "session / series": f"  {name}",
                "AR": signed_percent(r.params[col]),
                se: percent_text(r.bse[col]),
                "t": t_text(r.tvalues[col]),
                "p": p_text(r.pvalues[col]),
                "": significance_stars(r.pvalues[col]),
            }
            for r, name in having
        ]
    table = text_table(pd.DataFrame(rows), "Event effects (percent), by session", keys=1)
    return table + ("\n" + STARS_LEGEND if legend else "")


def benchmark_frame(
    res: EventRegressionResults, markers: NoteMarkers, sessions: dict[str, str] | None = None
) -> pd.DataFrame:
    """The intercept and the betas as display strings.

    Parameters
    ----------
    markers
        Give the marker of the note on the standard errors (in the header).
    sessions
        Benchmark -> how its returns sit on the series' sessions.

    Returns
    -------
    pandas.DataFrame
        A row per term (``alpha``, ``beta <benchmark>``): coefficient and unsigned
        s.e. to 4 decimals, t to 2, p to 3, stars.
    """
    sessions = sessions or {}
    names = [n for n in res.params.index if n not in res.design.labels]
    se = "s.e. " + markers.mark(se_note(res, "benchmark"))
    return pd.DataFrame(
        {
            "term": [benchmark_label(n, sessions.get(n)) for n in names],
            "coef": [number_text(res.params[n]) for n in names],
            se: [number_text(res.bse[n]) for n in names],
            "t": [t_text(res.tvalues[n]) for n in names],
            "p": [p_text(res.pvalues[n]) for n in names],
            "": [significance_stars(res.pvalues[n]) for n in names],
        }
    )


def effects_frame(res: EventRegressionResults, markers: NoteMarkers) -> pd.DataFrame:
    """The event dummies as display strings.

    Parameters
    ----------
    markers
        Give the markers of the notes on a session (shared by two of the model's
        events, or day 0 of catalogue events outside it) and on the standard errors.

    Returns
    -------
    pandas.DataFrame
        A row per dummy: its event(s) with the marker of a note on its session, the
        session, the abnormal return in signed percent, its unsigned s.e. in percent,
        t to 2 decimals, p to 3, stars.
    """
    cols = [c for c in res.params.index if c in res.design.labels]
    shared = set(res.design.shared)
    events = []
    for col in cols:
        note = session_note(col, res.dates.get(col), col in shared, res.confounders.get(col))
        events.append(f"{col} {markers.mark(note)}" if note else col)
    se = "s.e. " + markers.mark(se_note(res, "event"))
    return pd.DataFrame(
        {
            "event": events,
            "session": [date_text(res.dates.get(c)) for c in cols],
            "AR": [signed_percent(res.params[c]) for c in cols],
            se: [percent_text(res.bse[c]) for c in cols],
            "t": [t_text(res.tvalues[c]) for c in cols],
            "p": [p_text(res.pvalues[c]) for c in cols],
            "": [significance_stars(res.pvalues[c]) for c in cols],
        }
    )


def se_note(res: EventRegressionResults, kind: str) -> str:
    """The note on how the standard errors of ``kind`` terms were computed."""
    lags = f", {res.maxlags} lags" if res.cov_type == "hac" else ""
    if kind == "benchmark":
        return f"s.e. of the benchmark coefficients: {se_method(kind, res.cov_type)}{lags}."
    return (
        f"s.e. of the event effects and CARs, in percent: {se_method(kind, res.cov_type)}"
        f"{lags} (Campbell, Lo & MacKinlay 1997, §4.4; a sandwich estimator is degenerate "
        "for a one-day dummy)."
    )


def panel_text(res: PanelEventResults, markers: NoteMarkers, legend: bool = True) -> str:
    """The terms as one table, their notes left to ``markers``.

    Parameters
    ----------
    markers
        Give the markers of the notes on the terms, shared sessions and the standard
        errors.
    legend
        Whether the legend of the stars follows the table.

    Returns
    -------
    str
        A row per event session (marked when two events share it), then one per term
        of that session: what it measures, coef in signed percent, unsigned s.e. in
        percent, t, p, stars.
    """
    term = "term " + markers.mark(
        f"'<group> - {res.base_group}': the difference of the groups' mean abnormal "
        f"returns on that session; '{res.base_group} mean AR': the base group's mean."
    )
    se = "s.e. " + markers.mark(
        "s.e. of the panel terms, in percent: clustered by date, with the event date's own "
        "cluster imputed from the non-event dates (research/analyses/regression.py); p-values "
        f"from t with {res.df_resid} degrees of freedom (clusters less one)."
    )
    rows = []
    for (col, when), part in res.table.groupby(["session_of", "date"], sort=False):
        # a session two events share is named "a[0] = b[-1]"
        note = session_note(col, when, " = " in col, stands="one set of terms")
        label = f"{col} ({date_text(when)})" + (f" {markers.mark(note)}" if note else "")
        rows.append({term: label, "coef": "", se: "", "t": "", "p": "", "": ""})
        rows += [
            {
                term: f"  {r.comparison}",
                "coef": signed_percent(r.coef),
                se: percent_text(r.se),
                "t": t_text(r.t),
                "p": p_text(r.p),
                "": significance_stars(r.p),
            }
            for r in part.itertuples(index=False)
        ]
    frame = pd.DataFrame(rows)
    head = (
        f"Panel event regression: groups {', '.join(res.groups)} (base "
        f"{res.base_group}); n = {res.nobs}, {res.n_clusters} date clusters"
    )
    return text_table(frame, head, keys=1) + ("\n" + STARS_LEGEND if legend else "")
