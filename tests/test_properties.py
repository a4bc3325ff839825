"""Property-based tests (hypothesis) of the CSV importer and the store.

* any valid Yahoo-style file, in any of the four layouts, round-trips exactly through
  parse -> store -> load (every float, every date);
* any text at all is either parsed into a frame that satisfies the validation rules or
  refused with MalformedFileError: never another exception, never a silent bad frame.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from research.data.prices import parse_price_text
from research.data.store import PriceStore
from research.errors import MalformedFileError

price = st.floats(min_value=1e-4, max_value=1e6, allow_nan=False, allow_infinity=False)
volume = st.integers(min_value=0, max_value=10**12)


@st.composite
def price_tables(draw):
    n = draw(st.integers(min_value=1, max_value=30))
    start = draw(st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2020, 1, 1)))
    gaps = draw(st.lists(st.integers(min_value=1, max_value=5), min_size=n, max_size=n))
    dates = [start + dt.timedelta(days=int(g)) for g in np.cumsum(gaps)]
    rows = [
        (d, draw(price), draw(price), draw(price), draw(price), draw(price), draw(volume))
        for d in dates
    ]
    layout = draw(st.sampled_from(["classic", "reordered", "multiindex", "history"]))
    return rows, layout


def render(rows, layout: str, ticker: str = "TEST") -> str:
    if layout == "classic":
        head = "Date,Open,High,Low,Close,Adj Close,Volume"
        body = [f"{d},{o!r},{h!r},{lo!r},{c!r},{a!r},{v}" for d, o, h, lo, c, a, v in rows]
    elif layout == "reordered":
        head = "Date,Close,High,Low,Open,Volume"
        body = [f"{d},{c!r},{h!r},{lo!r},{o!r},{v}" for d, o, h, lo, c, a, v in rows]
    elif layout == "multiindex":
        head = (
            f"Price,Close,High,Low,Open,Volume\nTicker,{ticker},{ticker},{ticker},{ticker},"
            f"{ticker}\nDate,,,,,"
        )
        body = [f"{d},{c!r},{h!r},{lo!r},{o!r},{v}" for d, o, h, lo, c, a, v in rows]
    else:
        head = "Date,Open,High,Low,Close,Volume,Dividends,Stock Splits"
        body = [
            f"{d} 00:00:00-04:00,{o!r},{h!r},{lo!r},{c!r},{v},0.0,0.0"
            for d, o, h, lo, c, a, v in rows
        ]
    return "\n".join([head, *body]) + "\n"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(price_tables())
def test_valid_files_round_trip_exactly(tmp_path, table):
    rows, layout = table
    # Hong Kong: local midnight at -04:00 is noon there, so every row keeps its written date
    parsed = parse_price_text(render(rows, layout), "TEST", market="HKEX")
    assert list(parsed.frame.index.date) == [r[0] for r in rows]
    assert list(parsed.frame["close"]) == [r[4] for r in rows]
    assert list(parsed.frame["volume"]) == [float(r[6]) for r in rows]
    if layout == "classic":
        assert list(parsed.frame["adj_close"]) == [r[5] for r in rows]
    store = PriceStore(tmp_path / layout)
    store.save(parsed, "hypothesis")
    pd.testing.assert_frame_equal(store.load("TEST"), parsed.frame, check_freq=False)


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("Date,Close0123456789-.: \nPriceTickerNaN+eE")), max_size=200
    )
)
def test_any_text_is_parsed_validly_or_refused_cleanly(text):
    try:
        parsed = parse_price_text(text, "FUZZ")
    except MalformedFileError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    frame = parsed.frame
    assert len(frame) > 0
    assert frame.index.is_monotonic_increasing and frame.index.is_unique
    close = frame["close"].to_numpy()
    assert np.isfinite(close).all() and (close > 0).all()
