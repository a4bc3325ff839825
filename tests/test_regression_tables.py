"""The text of ``eventstudy regress`` (issue 24): two tables per regression (benchmark
coefficients as plain numbers, event effects in percent with stars), standard errors
without a sign, benchmarks named after their series, notes pointed to by markers, and at
80 columns no line over 80 characters, no table in more than two parts, at most 200 lines.

The tables are read back by their layout (:func:`research.output.report.table`): a rule of
``=``, the title, a rule, the header, a rule of ``-``, the rows, a rule; a split table's
parts are titled ``(1/2)``, ``(2/2)``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from research.analyses.regression import event_regression, panel_event_regression
from research.output.regression_text import STARS_LEGEND, NoteMarkers, significance_stars

from .synthetic import market_model_panel
from .test_regression import correlated_panel

PANEL = (
    "regress",
    "--event",
    "lpr-cut",
    "--group",
    "mainland-developer",
    "--group",
    "hk-developer",
    "--long-short",
    "mainland-developer,hk-developer",
    "--panel",
    "--window",
    "0,0",
    "--hac",
)
# the headline study's groups (and its events, regress's default) spelled out
PROPERTY = ("regress", "--group", "property")
# a panel over the default window (-1,1): two sessions shared by the two events
SHARED_PANEL = ("regress", "--group", "mainland-developer", "--group", "hk-developer", "--panel")
TWO_BENCHMARKS = (
    "regress",
    "--event",
    "lpr-cut",
    "--group",
    "mainland-developer",
    "--benchmark",
    "^HSI",
    "--benchmark",
    "ACWI",
    "--placebo",
    "0",
)
# a marker: [k] after a space or at the start of a (wrapped) cell; "lpr-cut[0]" is no marker
MARKER = re.compile(r"(?:^|(?<=\s))\[(\d+)\]")
NOTE = re.compile(r"^\[(\d+)\] ")


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[str]
    first_line: int
    last_line: int

    def column(self, name: str) -> list[str]:
        """The cells of a right-aligned column whose header starts with ``name``: each ends
        where its header ends."""
        pattern = re.compile(rf"(?:^|(?<=\s)){re.escape(name)}(?: \[\d+\])*(?=\s|$)")
        end = next(m.end() for m in map(pattern.search, self.header) if m)
        return [ln[:end].split()[-1] for ln in self.rows if len(ln) >= end and ln[:end].strip()]


def parse_tables(text: str) -> list[Table]:
    """Every ruled table of ``text``."""
    lines = text.splitlines()

    def rule(i: int, char: str) -> bool:
        return i < len(lines) and bool(lines[i]) and set(lines[i]) == {char}

    tables, i = [], 0
    while i < len(lines):
        if not rule(i, "="):
            i += 1
            continue
        j = i + 1
        top = []
        while j < len(lines) and not rule(j, "=") and not rule(j, "-"):
            top.append(lines[j])
            j += 1
        if rule(j, "="):  # a titled table: the header follows the second rule
            title, header, k = top, [], j + 1
            while not rule(k, "-"):
                header.append(lines[k])
                k += 1
        else:
            title, header, k = [], top, j
        body, m = [], k + 1
        while not rule(m, "="):
            body.append(lines[m])
            m += 1
        tables.append(Table(" ".join(t.strip() for t in title), header, body, i, m))
        i = m + 1
    return tables


def notes_of(text: str) -> dict[int, tuple[int, str]]:
    """Marker number -> (line of the note, the note with its continuation lines)."""
    lines = text.splitlines()
    out = {}
    for i, line in enumerate(lines):
        found = NOTE.match(line)
        if found:
            body = [line]
            for nxt in lines[i + 1 :]:
                if not nxt.startswith("    "):
                    break
                body.append(nxt.strip())
            out[int(found.group(1))] = (i, " ".join(body))
    return out


def markers_in_tables(text: str) -> dict[int, int]:
    """Marker number -> the first line of a table where a cell carries it."""
    lines = text.splitlines()
    first: dict[int, int] = {}
    for t in parse_tables(text):
        for i in range(t.first_line, t.last_line):
            for number in MARKER.findall(lines[i]):
                first.setdefault(int(number), i)
    return first


def assert_markers_have_notes(text: str) -> dict[int, str]:
    """Each marker of a table has its note, below the first table that carries it; every
    numbered note is pointed to.  Returns the notes by number."""
    notes = notes_of(text)
    marked = markers_in_tables(text)
    assert marked, "no marker in any table"
    for number, line in marked.items():
        assert number in notes, f"[{number}] has no note"
        assert notes[number][0] > line, f"the note [{number}] comes before its table"
    assert set(notes) == set(marked), "a numbered note nothing points to"
    return {k: v for k, (_, v) in notes.items()}


def assert_fits_80_columns(text: str) -> None:
    lines = text.splitlines()
    widest = max(lines, key=len)
    assert len(widest) <= 80, widest
    assert len(lines) <= 200, len(lines)
    for t in parse_tables(text):
        part = re.search(r"\((\d+)/(\d+)\)$", t.title)
        assert part is None or int(part.group(2)) <= 2, t.title


# -- at 80 columns on the real data ----------------------------------------------------------
@pytest.mark.parametrize(
    "args",
    [PANEL, PROPERTY, SHARED_PANEL, (*PROPERTY, "--panel")],
    ids=["panel", "property", "shared-panel", "property-panel"],
)
def test_regress_fits_80_columns_in_200_lines(cli, market_store, monkeypatch, args):
    monkeypatch.setenv("COLUMNS", "80")
    result = cli(*args)
    assert result.code == 0, result.err
    assert_fits_80_columns(result.out)
    assert_markers_have_notes(result.out)


def test_panel_terms_in_one_compact_table(cli, market_store, monkeypatch):
    """coef and s.e. in percent, t, p and stars of the panel in one table, not four."""
    monkeypatch.setenv("COLUMNS", "80")
    result = cli(*PANEL)
    doc = json.loads(cli(*PANEL, "--placebo", "0", "--format", "json").out)
    panels = [t for t in parse_tables(result.out) if t.title.startswith("Panel event regression")]
    assert len(panels) == 1 and "/" not in panels[0].title
    (panel,) = panels
    head = " ".join(panel.header).split()
    assert {"coef", "s.e.", "t", "p"} <= set(head)
    coef, se = panel.column("coef"), panel.column("s.e.")
    terms = doc["panel"]["terms"]
    assert coef == [f"{100 * t['coef']:+.2f}%" for t in terms]
    assert se == [f"{100 * t['se']:.2f}%" for t in terms]
    assert panel.column("t") == [f"{t['t']:.2f}" for t in terms]
    assert panel.column("p") == [f"{t['p']:.3f}" for t in terms]
    notes = assert_markers_have_notes(result.out)
    se_note = int(MARKER.findall(next(h for h in panel.header if "s.e." in h))[-1])
    assert "clustered by date" in notes[se_note]


def test_betas_are_numbers_and_event_effects_percent_in_two_tables(cli, market_store):
    text = cli(*TWO_BENCHMARKS).out
    doc = json.loads(cli(*TWO_BENCHMARKS, "--format", "json").out)
    (reg,) = doc["regressions"]
    tables = {t.title: t for t in parse_tables(text)}
    series = reg["series"]
    bench = next(t for title, t in tables.items() if title.startswith(f"{series}: benchmark"))
    effects = next(t for title, t in tables.items() if title.startswith(f"{series}: event"))
    coefs = {c["term"]: c for c in reg["coefficients"]}
    labels = {"const": "alpha", "^HSI": "beta ^HSI", "ACWI": "beta ACWI (prev. NY session)"}
    assert [ln[: len(labels[k])] for ln, k in zip(bench.rows, labels, strict=True)] == list(
        labels.values()
    )
    assert bench.column("coef") == [f"{coefs[k]['coef']:.4f}" for k in labels]
    assert bench.column("s.e.") == [f"{coefs[k]['se']:.4f}" for k in labels]
    assert not any("%" in ln for ln in bench.rows)
    events = [c for c in reg["coefficients"] if c["kind"] == "event"]
    assert [ln.split()[0] for ln in effects.rows] == [c["term"] for c in events]
    assert effects.column("AR") == [f"{100 * c['coef']:+.2f}%" for c in events]
    assert effects.column("s.e.") == [f"{100 * c['se']:.2f}%" for c in events]
    assert effects.column("t") == [f"{c['t']:.2f}" for c in events]
    assert effects.column("p") == [f"{c['p']:.3f}" for c in events]
    assert STARS_LEGEND in text
    assert "beta_2" not in text and "beta_1" not in text
    # the machine forms keep their names and full precision
    assert set(coefs) == {"const", "^HSI", "ACWI", "lpr-cut[-1]", "lpr-cut[0]", "lpr-cut[+1]"}
    assert list(reg["coefficients"][0]) == [
        "series",
        "term",
        "kind",
        "date",
        "coef",
        "se",
        "t",
        "p",
        "ci_low",
        "ci_high",
        "cov_type",
        "se_method",
    ]
    assert coefs["^HSI"]["coef"] != round(coefs["^HSI"]["coef"], 4)


@pytest.mark.parametrize(
    "args", [PANEL, PROPERTY, TWO_BENCHMARKS], ids=["panel", "property", "two"]
)
def test_no_standard_error_is_printed_with_a_sign(cli, market_store, monkeypatch, args):
    monkeypatch.setenv("COLUMNS", "80")
    text = cli(*args).out
    checked = 0
    for t in parse_tables(text):
        if any(re.search(r"(^|\s)s\.e\.", h) for h in t.header):
            cells = t.column("s.e.")
            assert cells and not any(c.startswith(("+", "-")) for c in cells), (t.title, cells)
            checked += len(cells)
    assert checked


def test_notes_are_pointed_to_by_the_cells_they_qualify(cli, market_store, monkeypatch):
    """A shared session's row and the HAC standard errors carry the markers of their notes."""
    monkeypatch.setenv("COLUMNS", "80")
    text = cli(*PROPERTY, "--hac", "--placebo", "0").out
    notes = assert_markers_have_notes(text)
    tables = parse_tables(text)
    effects = next(t for t in tables if "event effects" in t.title.lower())
    shared = next(ln for ln in effects.rows if ln.startswith("blinken-arrives[+1] = lpr-cut[0]"))
    (number,) = MARKER.findall(shared)  # the session's heading row, whole on its line
    assert "not separately identified" in notes[int(number)]
    assert "2023-06-20" in notes[int(number)] and "blinken-xi" in notes[int(number)]
    se_head = next(h for h in effects.header if "s.e." in h)
    assert "Newey-West components, 4 lags" in notes[int(MARKER.findall(se_head)[-1])]
    bench = next(t for t in tables if "benchmark coefficients" in t.title.lower())
    bench_head = next(h for h in bench.header if "s.e." in h)
    assert "Newey-West (HAC), 4 lags" in notes[int(MARKER.findall(bench_head)[-1])]


def doc_r2(doc: dict, group: str) -> str:
    reg = next(r for r in doc["regressions"] if r["series"] == f"{group} (equal-weighted)")
    return f"{reg['rsquared']:.3f}"


def test_several_series_sit_side_by_side_in_two_tables(cli, market_store, monkeypatch):
    """`regress --group property`: one table of benchmark coefficients (a row per group
    with its n and R², then one per term) and one of event effects (a row per session,
    then one per group), each number equal to the JSON's; they were a pair of tables per
    group (eight), each title wrapped."""
    monkeypatch.setenv("COLUMNS", "80")
    text = cli(*PROPERTY, "--placebo", "0").out
    doc = json.loads(cli(*PROPERTY, "--placebo", "0", "--format", "json").out)
    tables = parse_tables(text)
    bench = [t for t in tables if "benchmark coefficients" in t.title.lower()]
    effects = [t for t in tables if "event effects" in t.title.lower()]
    assert len(bench) == 1 and len(effects) == 1
    (bench,), (effects,) = bench, effects
    groups = ["mainland-developer", "hk-developer", "reit", "property-services"]
    headings = [ln for ln in bench.rows if not ln.startswith("  ")]
    assert headings == [f"{g} (n=245, R²={doc_r2(doc, g)})" for g in groups]
    assert [ln.split()[0] for ln in bench.rows if ln.startswith("  ")] == ["alpha", "beta"] * 4
    series_rows = [ln for ln in effects.rows if ln.startswith("  ")]
    assert len(series_rows) == 4 * 4  # four sessions, four groups
    for reg in doc["regressions"]:
        name = reg["series"].removesuffix(" (equal-weighted)")
        coefs = {c["term"]: c for c in reg["coefficients"]}
        mine = [ln for ln in series_rows if ln.split()[0] == name]
        shown = [ln.split()[1] for ln in mine]
        wanted = [f"{100 * c['coef']:+.2f}%" for t, c in coefs.items() if "[" in t and "]" in t]
        assert shown == wanted, name
        at = bench.rows.index(next(ln for ln in headings if ln.startswith(f"{name} (")))
        beta = bench.rows[at + 2]
        assert beta.split()[:3] == ["beta", "^HSI", f"{coefs['^HSI']['coef']:.4f}"]


# -- synthetic ---------------------------------------------------------------------------------
def test_note_markers_number_each_note_once():
    markers = NoteMarkers()
    assert markers.mark("a") == "[1]" and markers.mark("b") == "[2]" and markers.mark("a") == "[1]"
    assert markers.pending(80).splitlines() == ["Notes:", "[1] a", "[2] b"]
    assert markers.pending(80) == ""
    assert markers.mark("a") == "[1]" and markers.mark("c") == "[3]"
    assert markers.pending(80).splitlines() == ["Notes:", "[3] c"]


def test_stars():
    assert [significance_stars(p) for p in (0.005, 0.01, 0.049, 0.05, 0.099, 0.1, np.nan)] == [
        "***",
        "**",
        "**",
        "*",
        "*",
        "",
        "",
    ]


def test_summary_of_one_regression_marks_a_shared_session(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    returns, bench, events = market_model_panel(n_secs=2, n_days=320, event_day=280)
    day0 = events["day0"].iat[0]
    nxt = returns.index[returns.index.get_loc(day0) + 1]
    reg = event_regression(
        returns["S00"],
        bench,
        {"visit": day0, "cut": nxt},
        window=(-1, 1),
        cov_type="hac",
        confounders={nxt: ["cut", "other-news"]},
    )
    text = reg.summary()
    assert_fits_80_columns(text)
    notes = assert_markers_have_notes(text)
    effects = next(t for t in parse_tables(text) if "event effects" in t.title)
    row = next(ln for ln in effects.rows if ln.startswith("visit[+1] = cut[0]"))
    (number,) = MARKER.findall(row)
    assert "not separately identified" in notes[int(number)]
    assert "other-news" in notes[int(number)]


def test_panel_summary_is_one_table_with_its_notes(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    returns, groups, bench = correlated_panel(np.random.default_rng(3))
    day0 = {"E": returns.index[190]}
    res = panel_event_regression(
        returns, groups, bench, day0, window=(0, 0), estimation=(-180, -11), base_group="B"
    )
    text = res.summary()
    (panel,) = parse_tables(text)
    assert panel.column("coef") == [f"{100 * v:+.2f}%" for v in res.params]
    assert panel.column("s.e.") == [f"{100 * v:.2f}%" for v in res.bse]
    assert_markers_have_notes(text)
    pd.testing.assert_frame_equal(res.to_frame(), res.table)  # the machine form unchanged
