"""The xlsx export is a workbook for a paper: the settings first, each table on a sheet with
its header frozen and its numbers formatted (full precision kept), the notes last (issue 24).
"""

from __future__ import annotations

import datetime as dt
import io
import json

import numpy as np
import pandas as pd
import pytest

openpyxl = pytest.importorskip("openpyxl")

from research.output.export import to_xlsx  # noqa: E402

RUN = (
    "run",
    "--event",
    "lpr-cut",
    "--group",
    "mainland-developer",
    "--benchmark",
    "^HSI",
    "--bootstrap",
    "0",
)
REGRESS = ("regress", "--event", "lpr-cut", "--group", "reit", "--placebo", "20")


def _workbook(cli, tmp_path, *args):
    path = tmp_path / "out.xlsx"
    result = cli(*args, "--format", "xlsx", "--output", str(path))
    assert result.code == 0, result.err
    return openpyxl.load_workbook(path)


def _rows(sheet) -> list[dict]:
    rows = list(sheet.iter_rows())
    header = [c.value for c in rows[0]]
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


def _settings(book) -> dict:
    return {r["setting"].value: r["value"].value for r in _rows(book["settings"])}


def _notes(book) -> list[str]:
    return [r["note"].value for r in _rows(book["notes"])]


def _tables(book) -> list:
    return [book[name] for name in book.sheetnames if name not in ("settings", "notes")]


def _check_layout(book) -> None:
    """Settings first, notes last; every sheet's header bold and frozen, widths set."""
    assert book.sheetnames[0] == "settings" and book.sheetnames[-1] == "notes"
    for sheet in book:
        assert sheet.freeze_panes == "A2", sheet.title
        assert all(c.font.bold for c in sheet[1]), sheet.title
        for cell in sheet[1]:
            dim = sheet.column_dimensions[cell.column_letter]
            assert dim.customWidth and 10 <= dim.width <= 120, (sheet.title, cell.value)


def test_run_xlsx_is_a_paper_workbook(cli, market_store, tmp_path):
    book = _workbook(cli, tmp_path, *RUN)
    _check_layout(book)
    assert {"day", "window", "security"} <= set(book.sheetnames)
    settings = _settings(book)
    assert settings["model"] == "market" and settings["benchmarks"] == "^HSI"
    assert settings["window"] == "(-1, 1)" and settings["estimation"] == "(-250, -11)"
    assert settings["market"] == "HKEX" and settings["events"] == "lpr-cut"
    assert settings["command"].startswith("eventstudy run --event lpr-cut")
    notes = _notes(book)
    assert any(n.startswith("clustered dates") for n in notes)
    assert any(n.startswith("market HKEX") for n in notes)
    notes_sheet = book["notes"]
    assert notes_sheet["A2"].alignment.wrap_text and notes_sheet.column_dimensions["A"].width > 50

    for sheet in _tables(book):
        assert sheet.freeze_panes == "A2"
        assert all(sheet.column_dimensions[c.column_letter].width <= 50 for c in sheet[1]), (
            sheet.title
        )

    day = _rows(book["day"])
    assert day
    for row in day:
        assert isinstance(row["date"].value, dt.datetime)
        assert row["date"].number_format == "yyyy-mm-dd"
        assert row["aar"].number_format == "0.00%" and row["caar"].number_format == "0.00%"
        assert row["kolari_pynnonen_t_p"].number_format == "0.000"
        assert row["kolari_pynnonen_t"].number_format == "0.0000"
        assert row["n"].number_format == "0" and isinstance(row["n"].value, int)
    security = _rows(book["security"])
    assert all(r["ar"].number_format == "0.00%" for r in security)
    assert all(r["t_single_p"].number_format == "0.000" for r in security)
    assert all(r["day0"].number_format == "yyyy-mm-dd" for r in _rows(book["estimation"]))

    # full precision: the cells hold the JSON output's numbers, only their display differs
    doc = json.loads(cli(*RUN, "--format", "json").out)
    expected = {(d["group"], d["day"]): d["aar"] for d in doc["days"]}
    got = {(r["group"].value, r["day"].value): r["aar"].value for r in day}
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=0, abs=1e-15)
        assert got[key] != round(got[key], 4)  # not cut to what is shown


def test_regress_xlsx_has_its_request_and_notes(cli, market_store, tmp_path):
    book = _workbook(cli, tmp_path, *REGRESS)
    _check_layout(book)
    settings = _settings(book)
    assert settings["events"] == "lpr-cut" and settings["groups"] == "reit"
    assert settings["window"] == "(-1, 1)" and settings["estimation"] == "(-250, -11)"
    assert settings["cov_type"] == "classical" and settings["benchmarks"] == "the market's index"
    assert settings["market"] == "HKEX"
    assert any(n.startswith("market HKEX") for n in _notes(book))
    coefficients = _rows(book["coefficients"])
    assert all(r["p"].number_format == "0.000" for r in coefficients if r["p"].value is not None)
    assert all(r["coef"].number_format == "0.0000" for r in coefficients)
    dated = [r["date"] for r in coefficients if r["date"].value is not None]
    assert dated and all(c.number_format == "yyyy-mm-dd" for c in dated)
    assert all(r["car"].number_format == "0.00%" for r in _rows(book["windows"]))


def test_correlate_xlsx_has_its_options_and_notes(cli, market_store, tmp_path):
    book = _workbook(cli, tmp_path, "correlate", "--placebo", "20")
    _check_layout(book)
    settings = _settings(book)
    assert settings["a"] == "mainland-developer" and settings["b"] == "^HSI"
    assert settings["event"] == "lpr-cut" and settings["window"] == 60
    assert any(n.startswith("market HKEX") for n in _notes(book))
    change = _rows(book["change"])[0]
    assert change["day0"].number_format == "yyyy-mm-dd" and change["n_pre"].number_format == "0"
    assert change["fisher_z_p"].number_format == "0.000"
    assert all(r["date"].number_format == "yyyy-mm-dd" for r in _rows(book["rolling"]))


def test_hostile_event_id_arrives_as_text(cli, market_store, tmp_path):
    """An event id from the user's catalogue that a spreadsheet would run as a formula."""
    from research.config import catalogue_path

    evil = "=cmd()"
    catalogue = pd.read_csv(catalogue_path(), dtype=str, keep_default_na=False)
    catalogue.loc[catalogue["id"] == "lpr-cut", ["id", "title"]] = [evil, "=HYPERLINK(1)"]
    path = tmp_path / "events.csv"
    catalogue.to_csv(path, index=False)
    book = _workbook(
        cli,
        tmp_path,
        "run",
        "--catalogue",
        str(path),
        "--event",
        evil,
        "--group",
        "mainland-developer",
        "--bootstrap",
        "0",
    )
    cells = [c.value for sheet in book for row in sheet.iter_rows() for c in row]
    texts = [c for c in cells if isinstance(c, str)]
    assert not [t for t in texts if t.startswith("=")]
    assert "'" + evil in [r["event"].value for r in _rows(book["day"])]
    assert _settings(book)["events"] == "'" + evil
    assert any(evil in n for n in _notes(book))  # inside a sentence: plain text already


def test_to_xlsx_formats_and_settings():
    stamps = pd.to_datetime(["2023-06-20 00:00", "2023-06-21 10:30", None], format="mixed")
    frame = pd.DataFrame(
        {
            "when": stamps.tz_localize("Asia/Hong_Kong"),
            "aar": [0.012345678901234567, -0.5, np.nan],
            "move": [0.25, 0.5, 0.75],
            "q": [0.01, 0.5, 1.0],
            "stat_p": [0.2, 0.3, 0.4],
            "t": [1.5, 2.5, -3.5],
            "n": [1, 2, 3],
            "flag": [True, False, True],
            "name": ["@SUM(A1)", "ok", "+1"],
        }
    )
    studies = pd.DataFrame(
        [{"model": "market", "window": (-1, 1)}, {"model": "constant-mean", "window": (0, 0)}],
        index=["market", "constant-mean"],
    )
    data = to_xlsx(
        {"notes": frame, "x" * 40: frame.head(1)},
        settings=studies,
        notes=["-1 is a day", "plain"],
        percent=("move",),
        pvalues=("q",),
    )
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["settings", "notes_1", "x" * 31, "notes"]
    _check_layout(book)
    rows = _rows(book["notes_1"])
    assert rows[0]["when"].value == dt.datetime(2023, 6, 20)  # wall time, zone removed
    assert rows[0]["when"].number_format == "yyyy-mm-dd"
    assert rows[1]["when"].number_format == "yyyy-mm-dd hh:mm:ss"
    # openpyxl writes 16 significant digits: full precision to a relative 1e-16
    assert rows[0]["aar"].value == pytest.approx(0.012345678901234567, rel=1e-15, abs=0)
    formats = {k: c.number_format for k, c in rows[0].items()}
    assert formats["aar"] == formats["move"] == "0.00%"
    assert formats["q"] == formats["stat_p"] == "0.000"
    assert formats["t"] == "0.0000" and formats["n"] == "0" and formats["flag"] == "General"
    assert [r["name"].value for r in rows] == ["'@SUM(A1)", "ok", "'+1"]
    settings = [[c.value for c in row] for row in book["settings"].iter_rows()]
    assert settings == [
        ["setting", "market", "constant-mean"],
        ["model", "market", "constant-mean"],
        ["window", "(-1, 1)", "(0, 0)"],
    ]
    assert _notes(book) == ["'-1 is a day", "plain"]
    one = openpyxl.load_workbook(io.BytesIO(to_xlsx({"t": frame}, settings={"model": "x"})))
    assert one.sheetnames == ["settings", "t"] and _settings(one) == {"model": "x"}
    bare = openpyxl.load_workbook(io.BytesIO(to_xlsx({"t": frame})))
    assert bare.sheetnames == ["t"]
