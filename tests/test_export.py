"""Every export format of run, regress and correlate round-trips, and what comes from a
user's files arrives as text (issue 15, item 2)."""

from __future__ import annotations

import json
import os
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from research.output.export import defuse, latex_escape, to_html, to_latex, to_markdown

RUN = ("run", "--event", "lpr-cut", "--group", "reit", "--bootstrap", "0")
REGRESS = ("regress", "--event", "lpr-cut", "--group", "reit", "--placebo", "20")
CORRELATE = ("correlate", "--placebo", "20")


class _Tables(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tables, self.cells, self.scripts = 0, [], 0
        self._in_cell = False

    def handle_starttag(self, tag, attrs):
        self.tables += tag == "table"
        self.scripts += tag == "script"
        self._in_cell = tag in ("td", "th")

    def handle_data(self, data):
        if self._in_cell:
            self.cells.append(data)


@pytest.mark.parametrize(
    ("args", "tables", "main"),
    [
        (RUN, ["day", "window", "security"], "security"),
        (REGRESS, ["coefficients", "windows", "wald", "alignment", "placebo"], "coefficients"),
        (CORRELATE, ["change", "rolling"], "change"),
    ],
    ids=["run", "regress", "correlate"],
)
def test_every_format_round_trips(cli, market_store, tmp_path, args, tables, main):
    out = {}
    for fmt in ("csv", "json", "markdown", "latex", "html", "xlsx", "parquet"):
        path = tmp_path / f"out.{fmt}"
        # the paper formats hold the compact tables of the terminal
        # (tests/test_presentation.py) unless a --level asks for the raw ones, which this
        # test compares
        raw = ("--level", main) if fmt in ("markdown", "latex", "html") else ()
        result = cli(*args, "--format", fmt, "--output", str(path), *raw)
        assert result.code == 0, (fmt, result.err)
        out[fmt] = path
        mask = os.umask(0)
        os.umask(mask)
        assert path.stat().st_mode & 0o777 == 0o666 & ~mask  # not 0600
    csv = pd.read_csv(out["csv"])
    parquet = pd.read_parquet(out["parquet"])
    assert len(csv) == len(parquet) > 0 and list(csv.columns) == list(parquet.columns)
    numeric = csv.select_dtypes("number").columns
    pd.testing.assert_frame_equal(
        csv[numeric], parquet[numeric], check_dtype=False, rtol=1e-15, atol=0
    )
    assert json.loads(out["json"].read_text())
    sheets = pd.read_excel(out["xlsx"], sheet_name=None)
    # a settings sheet first and a notes sheet last, around one sheet per table
    assert list(sheets)[0] == "settings" and list(sheets)[-1] == "notes"
    sheets = {k: v for k, v in sheets.items() if k not in ("settings", "notes")}
    assert set(tables) <= set(sheets)
    pd.testing.assert_frame_equal(
        sheets[main][numeric], csv[numeric], check_dtype=False, rtol=1e-12, atol=1e-15
    )
    md = out["markdown"].read_text()
    assert all(f"## {t}" in md for t in tables)
    assert md.count("\n|---") == len(sheets)
    tex = out["latex"].read_text()
    assert tex.count(r"\begin{tabular}") == len(sheets) == tex.count(r"\end{tabular}")
    parser = _Tables()
    parser.feed(out["html"].read_text())
    assert parser.tables == len(sheets) and parser.scripts == 0


def test_run_csv_levels_hold_the_pooled_tables(cli, market_store):
    day = pd.read_csv(pd.io.common.StringIO(cli(*RUN, "--format", "csv", "--level", "day").out))
    window = pd.read_csv(
        pd.io.common.StringIO(cli(*RUN, "--format", "csv", "--level", "window").out)
    )
    security = pd.read_csv(
        pd.io.common.StringIO(cli(*RUN, "--format", "csv", "--level", "security").out)
    )
    assert {"caar", "caar_ci_low", "caar_ci_high", "kolari_pynnonen_t"} <= set(day.columns)
    assert {"caar", "bhar", "caar_ci_low", "ci_method"} <= set(window.columns)
    assert {"security", "ar", "car", "t_single"} <= set(security.columns)
    bad = cli(*RUN, "--format", "csv", "--level", "nope")
    assert bad.code == 2 and "choose one of day, window, security" in bad.err
    assert cli(*RUN, "--format", "parquet").code == 2  # a binary format needs --output


def test_text_from_users_files_arrives_as_text(cli, market_store, tmp_path, monkeypatch):
    """A group name (from the user's universe file) holding markup or a formula."""
    evil = "=cmd()<script>alert(1)</script>&_%"
    universe = pd.read_csv(Path(__file__).resolve().parent.parent / "data" / "universe.csv")
    universe.loc[universe["group"] == "reit", "group"] = evil
    path = tmp_path / "universe.csv"
    universe.to_csv(path, index=False)
    monkeypatch.setenv("EVENTSTUDY_UNIVERSE", str(path))
    args = ("run", "--event", "lpr-cut", "--group", evil, "--bootstrap", "0")
    html_text = cli(*args, "--format", "html").out
    assert "<script>" not in html_text and "&lt;script&gt;" in html_text
    tex = cli(*args, "--format", "latex").out
    assert r"\&\_\%" in tex and r"\textless{}script\textgreater{}" in tex  # plain text
    csv = cli(*args, "--format", "csv").out
    assert "'=cmd()" in csv and ",=cmd()" not in csv
    cli(*args, "--format", "xlsx", "--output", str(tmp_path / "x.xlsx"))
    import openpyxl

    sheet = openpyxl.load_workbook(tmp_path / "x.xlsx")["day"]
    cells = [c.value for row in sheet.iter_rows() for c in row]
    assert "'" + evil in cells and all(not str(c).startswith("=") for c in cells if c)


def test_escaping_helpers():
    assert defuse("=1+1") == "'=1+1" and defuse("-x") == "'-x" and defuse(-1.5) == -1.5
    assert latex_escape("a_b & 50% {x}") == r"a\_b \& 50\% \{x\}"
    frame = pd.DataFrame({"name": ["a|b", "<b>"], "v": [1.0, float("nan")]})
    assert r"a\|b" in to_markdown({"t": frame})
    assert "&lt;b&gt;" in to_html({"t": frame}) and "<b>" not in to_html({"t": frame})
    assert r"\caption{t}" in to_latex({"t": frame})


def test_markdown_and_latex_keep_markup_and_line_breaks_as_text(tmp_path):
    from research.output.export import write_output

    frame = pd.DataFrame({"title": ["<img src=x onerror=alert(1)>", "line1\n\nline2"]})
    md = to_markdown({"t": frame})
    assert "<img" not in md and "&lt;img" in md
    tex = to_latex({"t": frame})
    assert "line1 line2" in tex
    path = tmp_path / "kept.txt"
    path.write_text("old")
    path.chmod(0o600)
    write_output("new", path)  # a replaced file keeps the permissions its owner chose
    assert path.read_text() == "new" and path.stat().st_mode & 0o777 == 0o600
