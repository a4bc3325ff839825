"""The embedded sample: a fresh install runs the headline study with no snapshot and no
network, on the same numbers as the imported snapshot.

Reference: the market snapshot itself (../shared/data/market), imported with the package's
importer; tolerance 1e-12, although the numbers are expected to be identical (the sample
holds the same floats, written at full precision).
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from research.analyses.analysis import run_study
from research.cases.hk2023 import headline_requests
from research.data.sample import SampleStore, choose_store, manifest
from research.data.store import PriceStore


def test_sample_is_small_and_records_what_it_took(market_dir):
    from research.data.sample import SAMPLE

    assert SAMPLE.stat().st_size < 1024 * 1024
    m = manifest()
    assert len(m["tickers"]) == 48
    for info in m["tickers"].values():  # cut from these very files
        assert (
            hashlib.sha256((market_dir / info["file"]).read_bytes()).hexdigest() == info["sha256"]
        )


def test_sample_prices_equal_the_snapshot_over_its_span(market_store, market_dir):
    sample = SampleStore()
    first, last = manifest()["span"]
    for ticker in sample.tickers():
        want = market_store.load(ticker).loc[first:last, ["close", "adj_close", "volume"]]
        got = sample.load(ticker)[["close", "adj_close", "volume"]]
        pd.testing.assert_frame_equal(got, want, check_freq=False, rtol=0, atol=0)


def test_headline_study_on_the_sample_equals_the_study_on_the_snapshot(market_store, market_dir):
    for request in headline_requests():
        a = run_study(request, store=SampleStore())
        b = run_study(request, store=market_store)
        np.testing.assert_allclose(a.ar, b.ar, rtol=0, atol=1e-12)
        for name in ("day_tests", "window_tests"):
            fa, fb = getattr(a, name), getattr(b, name)
            cols = fa.select_dtypes("number").columns
            np.testing.assert_allclose(
                fa[cols].to_numpy(float), fb[cols].to_numpy(float), rtol=1e-12, atol=1e-12
            )


def test_an_empty_store_runs_the_headline_study_and_says_so(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    result = cli("run")
    assert result.code == 0, result.err
    assert "prices: the embedded sample (2021-06-01 to 2023-12-31)" in result.out
    # a fresh install's first command: the headline within 200 lines at 80 columns (#24)
    lines = result.out.splitlines()
    assert len(lines) <= 200 and max(map(len, lines)) <= 80, len(lines)
    assert "lpr-cut" in result.out and "kp_cross_sectional_t" in result.out
    assert not PriceStore().tickers()  # nothing written implicitly


def test_stored_prices_win_and_a_partial_store_is_not_mixed_with_the_sample(cli, tmp_path):
    from research.data.prices import parse_price_text
    from research.errors import DataError

    store = PriceStore()
    store.save(parse_price_text("Date,Close\n2023-06-15,88.0\n2023-06-16,89.0\n", "0016.HK"), "x")
    chosen, note = choose_store(store, ["0016.HK", "^HSI"])
    assert chosen is store and note == ""
    with pytest.raises(DataError, match="No stored prices for \\^HSI"):
        chosen.require(["0016.HK", "^HSI"])
    result = cli("run", "--event", "lpr-cut", "--tickers", "0016.HK")
    assert result.code == 2 and "No stored prices for ^HSI" in result.err


def test_data_import_sample_loads_it_into_the_store_explicitly(cli):
    result = cli("data", "import", "--sample")
    assert result.code == 0, result.err
    assert len(PriceStore().tickers()) == 48
    run = cli("run", "--event", "lpr-cut", "--group", "reit", "--format", "json")
    assert json.loads(run.out)["data"] == ""  # from the store now
    assert cli("data", "import").code == 2  # nothing to import: one sentence


def test_fetch_a_group_or_everything_over_the_default_span(cli, monkeypatch):
    from research.data import yahoo

    calls = {}

    def fake(tickers, start, end, retries, on_progress=None):
        calls.update(tickers=tickers, start=start, end=end)
        return {}, {}

    monkeypatch.setattr(yahoo, "fetch", fake)
    assert cli("data", "fetch", "--group", "reit").code == 0
    assert calls == {
        "tickers": ["0405.HK", "0778.HK", "0823.HK", "2778.HK"],
        "start": "2021-06-01",
        "end": "2024-01-01",
    }
    assert cli("data", "fetch", "--all").code == 0 and len(calls["tickers"]) == 48
    assert cli("data", "fetch").code == 2


def test_figures_that_need_the_long_history_are_skipped_on_the_sample(tmp_path):
    from research.cases.hk2023 import build_all

    skipped: list[str] = []
    written = build_all(tmp_path, only=["placebo_mainland_lpr_cut", "size_power"], skipped=skipped)
    assert written == [] and len(skipped) == 2 and "2012-2025" in skipped[0]


def test_the_readme_python_example_runs(monkeypatch):
    """The README's notebook example, as written (on the embedded sample: the test's store
    is empty), from the repository's folder as a reader runs it."""
    import re
    from pathlib import Path

    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    (code,) = re.findall(r"From Python \(notebooks\):\n\n```python\n(.*?)```", readme, re.S)
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)
    res = scope["res"]
    assert res.headline_tests and "\\begin{tabular}" in res.summary(tests="all").as_latex()
