"""A study reads only the years its windows reach (``build_inputs(span=...)``) and gets the
same results as from the whole history: every number of its JSON, on the market snapshot,
for events and securities that take the short path and for some that cannot (a series
whose suspension or gap crosses the years read), which read everything instead.

Text, counts, dates and flags are equal; floats to 1e-12 relative.  Not bitwise: the
returns on the span are the same numbers, but the grid is shorter, and the matrix products
of the fit (BLAS) sum a differently sized panel in another order (measured: at most a few
units in the 15th digit).
"""

from __future__ import annotations

import json
import math

import pytest

import research.analyses.analysis as analysis
import research.data.inputs as inputs
from research.analyses.analysis import run_study

DATES = ["2022-03-15", "2022-09-20", "2023-03-21", "2023-06-20"]
CASES = {
    "headline": {"events": ["blinken-arrives", "lpr-cut"], "groups": ["hk-developer", "reit"]},
    "four dates": {"dates": DATES, "groups": ["mainland-developer", "hk-developer"]},
    "trade-to-trade": {
        "dates": DATES,
        "groups": ["hk-developer"],
        "thin_trading": "trade-to-trade",
    },
    "log, long windows": {
        "dates": DATES[1:],
        "groups": ["reit", "property-services"],
        "returns": "log",
        "window": (-10, 10),
        "car_windows": [(-5, 5), (0, 10)],
    },
    "a New York benchmark": {
        "dates": ["2023-06-20"],
        "groups": ["hk-developer"],
        "benchmarks": ["^GSPC"],
    },
    "windows as dates": {
        "dates": ["2023-06-20"],
        "groups": ["hk-developer"],
        "estimation": ("2022-06-01", "2023-05-31"),
    },
    "early dates": {"dates": ["2015-07-08", "2016-02-12"], "groups": ["mainland-developer"]},
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_study_on_the_years_it_needs_equals_the_whole_history(market_store, monkeypatch, case):
    verdicts = []
    judge = inputs._span_is_exact

    def spy(*args, **kwargs):
        verdicts.append(judge(*args, **kwargs))
        return verdicts[-1]

    monkeypatch.setattr(inputs, "_span_is_exact", spy)
    short = json.loads(run_study(**CASES[case]).to_json())
    monkeypatch.setattr(analysis, "study_span", lambda *a, **k: None)
    whole = json.loads(run_study(**CASES[case]).to_json())
    assert_same(short, whole, "")
    assert verdicts  # the years were read, then judged
    TAKEN[case] = verdicts[0]


TAKEN: dict[str, bool] = {}


def assert_same(a, b, where: str) -> None:
    """Equal structures; floats equal to 1e-12 relative (see the module docstring)."""
    if isinstance(a, dict):
        assert list(a) == list(b), where
        for key in a:
            assert_same(a[key], b[key], f"{where}/{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15) or a == b, (where, a, b)
    else:
        assert a == b, (where, a, b)


def test_most_cases_take_the_short_path(market_store, monkeypatch):
    """Not a vacuous equality: the short path is taken where the snapshot allows it."""
    for case in CASES:
        if case not in TAKEN:  # run in another worker: run it here, patched afresh
            with pytest.MonkeyPatch.context() as patch:
                test_a_study_on_the_years_it_needs_equals_the_whole_history(
                    market_store, patch, case
                )
    assert sum(TAKEN.values()) >= 3, TAKEN
