"""docs/own-study.md runs: every command and the Python block, in the page's order, from a
copy of docs/examples on the embedded sample (issue 23)."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "own-study.md"


def blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", PAGE.read_text(encoding="utf-8"), flags=re.S)


def test_the_five_minute_page_runs(cli, tmp_path, monkeypatch):
    shutil.copytree(ROOT / "docs" / "examples", tmp_path / "docs" / "examples")
    monkeypatch.chdir(tmp_path)
    commands = [
        line.strip()
        for block in blocks("bash")
        for line in block.splitlines()
        if line.strip().startswith("eventstudy ")
    ]
    assert len(commands) >= 12
    outputs = {}
    for command in commands:
        args = shlex.split(command)[1:]
        result = cli(*args)
        assert result.code == 0, (command, result.err)
        outputs[command] = result.out + result.err
    text = "\n".join(outputs.values())
    assert "market HKEX: named at import (--market)" in text
    assert "HSPROP" in text and "2022-11-14..2023-06-20" in text  # the five dates' span
    for name in ("study.json", "caar.png", "table.tex", "study.xlsx", "windows.csv", "report.html"):
        assert (tmp_path / name).stat().st_size > 0, name
    assert (
        "\\toprule" in (tmp_path / "table.tex").read_text()
        or "tabular" in (tmp_path / "table.tex").read_text()
    )
    windows = pd.read_csv(tmp_path / "windows.csv")
    assert windows.loc[windows["group"] == "all", "n"].max() == 5

    (python,) = blocks("python")
    namespace: dict = {}
    exec(compile(python, str(PAGE), "exec"), namespace)  # the page's own code
    res = namespace["res"]
    assert res.day_tests.set_index(["group", "day"]).loc[("all", 0), "n"] == 5
    assert (tmp_path / "windows_from_python.csv").is_file()
    import matplotlib.pyplot as plt

    plt.close("all")
