"""Text tables for results objects (statsmodels-style ``summary()``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from research.output.cells import cell_text, is_heading
from research.output.notes import study_notes

if TYPE_CHECKING:
    from research.estimation.results import EventStudyResults


def terminal_width() -> int:
    """The width tables are laid out for: ``COLUMNS`` when set, else the terminal's width
    when standard output is one, else 100.
    """
    import os
    import shutil
    import sys

    env = os.environ.get("COLUMNS", "")
    if env.isdigit() and int(env) >= 40:
        return int(env)
    if sys.stdout.isatty():
        return max(40, shutil.get_terminal_size((100, 24)).columns)
    return 100


NOTE_MARKER = re.compile(r" (\[\d+\])")


def _wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of ``width``, a note's marker (`` [1]``) kept with the word
    before it.
    """
    import textwrap

    glued = NOTE_MARKER.sub("\u00a0\\1", text)  # textwrap breaks at ASCII spaces only
    lines = textwrap.wrap(glued, width, break_long_words=True, break_on_hyphens=False)
    return [ln.replace("\u00a0", " ") for ln in lines] or [""]


def table(
    frame: pd.DataFrame,
    title: str = "",
    percent: tuple[str, ...] = (),
    percent_rows: np.ndarray | None = None,
    width: int | None = None,
    keys: int | None = None,
    right: tuple[str, ...] = (),
    wrap: bool = True,
    narrowest: int = 24,
) -> str:
    """A ruled fixed-width table that fits ``width`` characters (default
    :func:`terminal_width`).

    ``percent`` columns are shown as signed percentages (only on the rows where
    ``percent_rows`` is True, when given: e.g. returns, not betas).  A table wider than
    ``width`` first wraps its widest text column other than the first (down to
    ``narrowest`` characters; never when ``wrap`` is False: labels stay whole); if it is
    still too wide it is split into blocks
    that each repeat the first ``keys`` columns (default: the leading text columns), a
    statistic staying beside its ``_p``.  ``right`` names text columns to right-align
    (formatted numbers).
    """
    width = width or terminal_width()
    shown = frame.copy()
    rows = np.ones(len(shown), dtype=bool) if percent_rows is None else np.asarray(percent_rows)
    for col in percent:
        if col in shown:
            shown[col] = [
                ("" if pd.isna(v) else f"{100 * v:+.2f}%") if pct else cell_text(v)
                for v, pct in zip(shown[col], rows, strict=True)
            ]
    cells = [[cell_text(v) for v in row] for row in shown.itertuples(index=False)]
    header = [str(c) for c in shown.columns]
    left = [
        not pd.api.types.is_numeric_dtype(frame[c]) and c not in percent and c not in right
        for c in frame.columns
    ]

    def heading(values: list[str]) -> bool:
        """A heading row in a text first column (it runs across the table)."""
        return left[0] and is_heading(values)

    sized = [r for r in cells if not heading(r)] or cells
    widths = [max([len(h), *(len(r[i]) for r in sized)]) for i, h in enumerate(header)]
    if keys is None:
        keys = 0
        while keys < min(len(header) - 1, 4) and left[keys]:
            keys += 1
    key_cols = list(range(min(keys, len(header) - 1)))

    def total(cols):
        return sum(widths[i] for i in cols) + 2 * (len(cols) - 1)

    def total_of(w):
        return sum(w.values()) + 2 * (len(w) - 1)

    def shrink(cols, w, floor):
        """Narrow the widest text columns of ``cols`` (not below ``floor``) to fit; the
        first key column (the rows' identifier) stays whole.
        """
        over = sum(w[i] for i in cols) + 2 * (len(cols) - 1) - width
        while over > 0:
            text = [i for i in cols if left[i] and w[i] > floor and i not in key_cols[:1]]
            if not text:
                break
            widest = max(text, key=lambda i: w[i])  # one character at a time: the
            w[widest] -= 1  # widest columns end up level rather than one cut to the floor
            over -= 1

    # first try to fit one block by wrapping text columns (to 24 characters at least)
    trial = dict(enumerate(widths))
    if wrap:
        shrink(range(len(header)), trial, narrowest)
    if total_of(trial) <= width:
        widths = [trial[i] for i in range(len(header))]
    # units: a statistic and its p-value stay together
    units: list[list[int]] = []
    i = len(key_cols)
    while i < len(header):
        unit = [i]
        if i + 1 < len(header) and header[i + 1] == header[i] + "_p":
            unit.append(i + 1)
        units.append(unit)
        i += len(unit)
    blocks: list[list[int]] = []
    current: list[int] = []
    for unit in units:
        if current and total(key_cols + current + unit) > width:
            blocks.append(current)
            current = []
        current += unit
    blocks.append(current)
    parts = []
    for b, block in enumerate(blocks):
        cols = key_cols + block
        w = {i: widths[i] for i in cols}
        if wrap:
            shrink(cols, w, 10)  # a unit wider than the line: wrap its text columns

        def lines_of(values: list[str], cols=cols, w=w) -> list[str]:
            pieces = {i: _wrap(values[i], w[i]) if left[i] else [values[i]] for i in cols}
            height = max(len(p) for p in pieces.values())
            return [
                "  ".join(
                    (pieces[i][k] if k < len(pieces[i]) else "").ljust(w[i])
                    if left[i]
                    else (pieces[i][k] if k < len(pieces[i]) else "").rjust(w[i])
                    for i in cols
                ).rstrip()
                for k in range(height)
            ]

        def row_lines(values: list[str]) -> list[str]:
            """A row's lines; a heading row runs across the table, up to the line."""
            return _wrap(values[0], width) if heading(values) else lines_of(values)

        head = lines_of(header)
        body = [ln for r in cells for ln in row_lines(r)]
        name = title + (f" ({b + 1}/{len(blocks)})" if len(blocks) > 1 and title else "")
        # the rules as wide as the table, or as its title up to the line: a title on one
        # line where it fits
        rule = "=" * min(width, max([len(x) for x in head + body] + [len(name) + 2]))
        out = [rule]
        if name:
            out += [ln.center(len(rule)).rstrip() for ln in _wrap(name, len(rule))] + [rule]
        parts.append("\n".join([*out, *head, "-" * len(rule), *body, rule]))
    return "\n\n".join(parts)


def wrapped(text: str, width: int | None = None) -> str:
    """A paragraph wrapped to ``width`` (default :func:`terminal_width`)."""
    return "\n".join(_wrap(text, width or terminal_width()))


def bullets(title: str, items: list[str], width: int | None = None) -> str:
    """A titled list, each item wrapped to ``width`` under its dash."""
    import textwrap

    width = width or terminal_width()
    lines = [title]
    for item in items:
        lines += textwrap.wrap(
            item, width, initial_indent="  - ", subsequent_indent="    ", break_on_hyphens=False
        )
    return "\n".join(lines)


def notes_text(
    notes: list[str], width: int | None = None, start: int = 1, indent: str = "  "
) -> str:
    """Numbered notes (from ``start``), each wrapped to ``width`` under its number."""
    import textwrap

    width = width or terminal_width()
    lines = ["Notes:"]
    for i, note in enumerate(notes, start):
        tag = f"{indent}[{i}] "
        lines += textwrap.wrap(
            note,
            width,
            initial_indent=tag,
            subsequent_indent=" " * len(tag),
            break_on_hyphens=False,
        )
    return "\n".join(lines)


@dataclass
class SummaryTable:
    """One table of a :class:`Summary`: its title, frame and layout."""

    title: str
    frame: pd.DataFrame
    percent: tuple[str, ...] = ()
    keys: int | None = None
    right: tuple[str, ...] = ()
    wrap: bool = True
    notes: list[str] = field(default_factory=list)  # the table's own notes (a legend)
    cut: int | None = None  # in the terminal, label columns longer than this end in "…"


@dataclass
class Summary:
    """A results summary, statsmodels-style: ``print(s)`` gives the text tables,
    ``as_text()``, ``as_html()``, ``as_latex()``, ``as_csv()`` the other forms, and a
    notebook shows it as HTML (``_repr_html_``).

    Attributes
    ----------
    tables
        The :class:`SummaryTable` objects, in order.
    notes
        One sentence each (data, market, alignment, drops, overlaps, flags, clustering).
    extra
        Closing lines of the text form.
    """

    tables: list[SummaryTable]
    notes: list[str] = field(default_factory=list)
    extra: str = ""
    head: str = ""  # one paragraph before the tables (the study's settings)

    def as_text(self, width: int | None = None) -> str:
        """Fixed-width tables that fit ``width`` (default :func:`terminal_width`)."""
        parts = [wrapped(self.head, width)] if self.head else []
        for t in self.tables:
            frame = t.frame
            if t.cut:
                from research.output.compact import cut

                labels = list(frame.columns[: t.keys or 0])
                width_of = t.cut
                frame = frame.assign(**{c: [cut(v, width_of) for v in frame[c]] for c in labels})
            text = table(
                frame,
                t.title,
                percent=t.percent,
                keys=t.keys,
                width=width,
                right=t.right,
                wrap=t.wrap,
            )
            if t.notes:
                text += "\n" + "\n".join(wrapped(n, width) for n in t.notes)
            parts.append(text)
        if self.notes:
            parts.append(notes_text(self.notes, width))
        if self.extra:
            parts.append(wrapped(self.extra, width))
        return "\n\n".join(parts)

    def _named(self) -> dict[str, pd.DataFrame]:
        out = {}
        if self.head:
            out["Study"] = pd.DataFrame({"settings": [self.head]})
        out.update({t.title: t.frame for t in self.tables})
        if self.notes:
            out["Notes"] = pd.DataFrame({"note": self.notes})
        return out

    def as_html(self) -> str:
        """The tables and notes as one HTML fragment with its own scoped style (escaped),
        for notebooks and pages (:func:`research.output.paper.summary_html`).
        """
        from research.output.paper import summary_html

        return summary_html(self)

    def as_latex(self) -> str:
        """Every table as a booktabs ``tabular`` of at most ten columns, with the notes
        (:func:`research.output.paper.summary_latex`).
        """
        from research.output.paper import summary_latex

        return summary_latex(self)

    def as_markdown(self) -> str:
        """The tables and notes as Markdown (:func:`research.output.paper.summary_markdown`)."""
        from research.output.paper import summary_markdown

        return summary_markdown(self)

    def as_csv(self) -> str:
        """Every table as CSV, each under a ``# title`` line."""
        from research.output.export import to_csv

        return "\n".join(f"# {name}\n{to_csv(frame)}" for name, frame in self._named().items())

    def _repr_html_(self) -> str:
        return self.as_html()

    def __str__(self) -> str:
        """The text tables."""
        return self.as_text()

    def __contains__(self, text: str) -> bool:
        """Whether ``text`` appears in the text tables (``"gap" in res.summary()``)."""
        return text in self.as_text()

    def __repr__(self) -> str:
        """The text tables (so a notebook cell shows them)."""
        return self.as_text()


def resolve_tests(res: EventStudyResults, tests) -> tuple[str, ...]:
    """``None`` (the study's headline tests), ``"all"``, one name or a list of names."""
    from research.errors import EventStudyError
    from research.stats.inference import TEST_NAMES

    if tests is None:
        return tuple(res.headline_tests)
    if isinstance(tests, str):
        tests = TEST_NAMES if tests == "all" else (tests,)
    unknown = [t for t in tests if t not in (*TEST_NAMES, "t_single")]
    if unknown:
        raise EventStudyError(
            f"Unknown test {unknown[0]!r}: use 'all' or names of {', '.join(TEST_NAMES)}."
        )
    return tuple(tests)


def _head(res: EventStudyResults) -> str:
    """The summary's first line: what was measured, the model, windows and firm-events."""
    s = res.settings
    if s.measure == "volatility":
        return (
            f"volatility of the abnormal returns: {s.model} model on "
            f"{', '.join(s.benchmarks) or 'its own mean'}, {s.return_kind} returns; window "
            f"{s.window}, estimation {s.estimation} with at least {s.min_obs} usable days; "
            f"{int(res.keep.sum())} firm-events, {len(res.dropped)} dropped."
        )
    if s.measure == "volume":
        how = (
            "mean-adjusted model (each stock's mean log volume over its estimation window)"
            if s.model == "constant-mean"
            else f"market model on the {', '.join(s.benchmarks)}"
        )
        what = f"abnormal log volume, {how}"
    else:
        trade = "trade-to-trade " if s.thin_trading == "trade-to-trade" else ""
        what = (
            f"{s.model} model on {', '.join(s.benchmarks) or 'its own mean'}, "
            f"{s.return_kind} {trade}returns"
        )
    return (
        f"{what}; window {s.window}, estimation {s.estimation} with at least {s.min_obs} "
        f"usable days; {int(res.keep.sum())} firm-events, {len(res.dropped)} dropped."
    )


def study_summary(res: EventStudyResults, tests=None, alignment: bool = True) -> Summary:
    """What a study found, compact: one line of settings, the alignment, the estimation
    (small studies), and one compact table per event (:mod:`research.output.compact`) with the
    headline tests (or those asked); with every test asked, a second table per event holds
    the others, one row per group and test.
    """
    from research.output.compact import (
        LABEL_WIDTH,
        compact_tables,
        estimate_label,
        legend,
        other_tests_tables,
    )

    s = res.settings
    single = bool(len(res.day_tests)) and bool((res.day_tests["n"] <= 1).all())
    tests = ("t_single",) if single and tests is None else resolve_tests(res, tests)
    shown = tests if len(tests) <= 4 else tuple(t for t in res.headline_tests if t in tests)
    shown = shown or tests[:3]
    tables = []
    if alignment and res.alignment is not None and len(res.alignment):
        al = res.alignment[["event", "session", "rule"]].assign(
            session=lambda f: pd.to_datetime(f["session"]).dt.strftime("%Y-%m-%d")
        )
        more = len(al) - 12
        title = "Day 0 of each event (alignment rule applied)" + (
            f"; the first 12 of {len(al)}" if more > 0 else ""
        )
        tables.append(SummaryTable(title, al.head(12)))
    est = res.estimation
    if len(est) <= 20:
        cols = [
            c
            for c in ("event", "security", "n_obs", *res.study.model.coef_names, "sigma", "r2")
            if c in est
        ]
        shown_est = est.loc[est["kept"], cols].rename(columns=beta_names(res))
        tables.append(SummaryTable("Estimation (per firm-event)", shown_est))
    if s.measure == "volatility":
        from research.output.compact import garch_tables, volatility_tables
        from research.output.volatility_text import volatility_legend, volatility_notes
        from research.stats.inference import TEST_NAMES

        every = tuple(tests) == tuple(TEST_NAMES)
        for ct in volatility_tables(res, every):
            right = tuple(ct.frame.columns[2:])
            tables.append(
                SummaryTable(ct.title, ct.frame, keys=2, right=right, wrap=False, cut=LABEL_WIDTH)
            )
        for ct in garch_tables(res):
            right = tuple(ct.frame.columns[1:])
            tables.append(
                SummaryTable(ct.title, ct.frame, keys=1, right=right, wrap=False, cut=LABEL_WIDTH)
            )
        return Summary(
            tables,
            [volatility_legend(), *volatility_notes(res), *study_notes(res, (), True)],
            head=_head(res),
        )
    value_cols = ("n", estimate_label(s.measure), "95% CI")
    for ct in compact_tables(res, shown):
        right = (*value_cols, *(c for c in ct.frame.columns[5:]))
        tables.append(
            SummaryTable(ct.title, ct.frame, keys=2, right=right, wrap=False, cut=LABEL_WIDTH)
        )
    rest = tuple(t for t in tests if t not in shown)
    if rest:
        for ct in other_tests_tables(res, rest):
            right = tuple(ct.frame.columns[2:])
            tables.append(
                SummaryTable(ct.title, ct.frame, keys=2, right=right, wrap=False, cut=LABEL_WIDTH)
            )
    head = _head(res)
    return Summary(
        tables,
        [
            legend(tuple(dict.fromkeys((*shown, *rest))), s.measure),
            *study_notes(res, tests, single),
        ],
        head=head,
    )


def beta_names(res: EventStudyResults) -> dict[str, str]:
    """Display names of a model's betas after their series (``beta ^GSPC`` for the second
    benchmark of a multi-index model, ``beta ^HSI t-1`` for a Dimson lag); the machine
    forms keep ``beta``, ``beta_2``, ``beta_-1``.
    """
    names = list(res.study.model.coef_names)
    bench = list(res.settings.benchmarks)
    out = {}
    if res.study.model.name == "dimson" and bench:
        for name in names:
            if name.startswith("beta_"):
                lag = int(name.split("_", 1)[1])
                out[name] = f"beta {bench[0]}" + (f" t{lag:+d}" if lag else "")
        return out
    betas = [n for n in names if n.startswith("beta")]
    for name, series in zip(betas, bench, strict=False):
        out[name] = f"beta {series}"
    return out


def short_repr(res: EventStudyResults) -> str:
    """The one-screen repr of a study's results: model, benchmarks, windows, events,
    cohorts, firm-events, dropped, headline tests.
    """
    import pandas as pd

    s = res.settings
    names = [str(e) for e in pd.unique(res.events["event"])]
    events = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
    return (
        f"<EventStudyResults: {s.model} model on {', '.join(s.benchmarks) or 'own mean'}, "
        f"window {s.window}, estimation {s.estimation}; events {events}; "
        f"{len(res.cohort_clustering)} cohort(s), {int(res.keep.sum())} firm-events, "
        f"{len(res.dropped)} dropped; headline: {', '.join(res.headline_tests)}>"
    )


def export_context(
    results: list[EventStudyResults],
    requests: list,
    tests=None,
    tests_option: str = "headline",
    argv: list[str] | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """What produced a run's tables, for the settings and notes sheets of a workbook: one
    row of settings per study (model, benchmarks, windows, market, the request's options,
    the command and the version) and the studies' notes (prefixed by the study's model when
    there are several).
    """
    import shlex
    from dataclasses import asdict

    from research import __version__

    models = [r.settings.model for r in results]
    rows, labels, notes = [], [], []
    for k, (request, res) in enumerate(zip(requests, results, strict=True)):
        s = asdict(res.settings)
        label = s["model"] if models.count(s["model"]) == 1 else f"{s['model']} ({k + 1})"
        al = res.alignment
        used = list(pd.unique(al["market"])) if al is not None and "market" in al else []
        rows.append(
            {
                "model": s.pop("model"),
                "benchmarks": s.pop("benchmarks"),
                "window": s.pop("window"),
                "estimation": s.pop("estimation"),
                "min_obs": s.pop("min_obs"),
                "returns": s.pop("return_kind"),
                "market": ", ".join(map(str, used)) or request.market,
                "events": request.events,
                "dates": request.dates,
                "groups": request.groups,
                "tickers": request.tickers,
                "pairs": request.pairs,
                **s,
                "mixed_markets": request.mixed_markets,
                "catalogue": request.catalogue,
                "tests": tests_option,
                "command": shlex.join(["eventstudy", *(argv or [])]),
                "version": __version__,
            }
        )
        labels.append(label)
        days = res.day_tests
        single = bool(len(days)) and bool((days["n"] <= 1).all())
        chosen = ("t_single",) if single and tests is None else resolve_tests(res, tests)
        own = study_notes(res, chosen, single)
        notes += [f"{label}: {n}" for n in own] if len(results) > 1 else own
    return pd.DataFrame(rows, index=labels), notes
