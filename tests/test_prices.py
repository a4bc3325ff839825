"""Reading Yahoo-style CSVs in every layout of the market snapshot, and refusing bad ones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research.data.prices import check_ticker, parse_price_text, read_price_csv, return_price
from research.errors import MalformedFileError

CLASSIC = """Date,Open,High,Low,Close,Adj Close,Volume
2023-06-16,20.0,21.0,19.5,20.5,20.1,1000
2023-06-19,20.5,20.9,20.0,20.2,19.9,1500
2023-06-20,20.2,20.4,19.0,19.1,18.8,2500
"""
REORDERED = """Date,Close,High,Low,Open,Volume
2023-06-16,20.5,21.0,19.5,20.0,1000
2023-06-19,20.2,20.9,20.0,20.5,1500
2023-06-20,19.1,20.4,19.0,20.2,2500
"""
MULTIINDEX = """Price,Close,High,Low,Open,Volume
Ticker,0016.HK,0016.HK,0016.HK,0016.HK,0016.HK
Date,,,,,
2023-06-16,20.5,21.0,19.5,20.0,1000
2023-06-17,,,,,0
2023-06-19,20.2,20.9,20.0,20.5,1500
2023-06-20,19.1,20.4,19.0,20.2,2500
"""
HISTORY = """Date,Open,High,Low,Close,Volume,Dividends,Stock Splits,Capital Gains
2023-06-16 00:00:00-04:00,20.0,21.0,19.5,20.5,1000,0.0,0.0,0.0
2023-06-20 00:00:00-04:00,20.5,20.9,20.0,20.2,1500,0.1,0.0,0.0
2023-06-21 00:00:00-04:00,20.2,20.4,19.0,19.1,2500,0.0,0.0,0.0
"""


@pytest.mark.parametrize(
    ("text", "layout", "adjusted"),
    [
        (CLASSIC, "single-header", "adj-close-column"),
        (REORDERED, "single-header", "unknown"),
        (MULTIINDEX, "yfinance-multiindex", "auto-adjusted"),
        (HISTORY, "single-header", "auto-adjusted"),
    ],
    ids=["classic", "reordered", "multiindex", "history"],
)
def test_every_layout_gives_the_same_closes(text, layout, adjusted):
    parsed = parse_price_text(text, "0016.HK")
    assert parsed.layout == layout
    assert parsed.adjusted == adjusted
    assert list(parsed.frame["close"]) == [20.5, 20.2, 19.1]
    assert parsed.frame.index.name == "date"
    assert parsed.frame.index.tz is None
    assert list(parsed.frame.columns) == ["open", "high", "low", "close", "adj_close", "volume"]


def test_multiindex_empty_rows_are_dropped_and_reported():
    parsed = parse_price_text(MULTIINDEX, "0016.HK")
    assert parsed.dropped == ["2023-06-17"]
    assert any("dropped 1 row" in n for n in parsed.notes)


def test_history_dates_keep_the_exchange_local_date():
    parsed = parse_price_text(HISTORY, "ACWI")
    assert list(parsed.frame.index.strftime("%Y-%m-%d")) == [
        "2023-06-16",
        "2023-06-20",
        "2023-06-21",
    ]
    assert any("Dividends" in n for n in parsed.notes)


def test_adj_close_is_used_for_returns_when_present():
    parsed = parse_price_text(CLASSIC, "X")
    assert list(return_price(parsed.frame)) == [20.1, 19.9, 18.8]


def test_the_real_snapshot_reads_with_the_provenance_values(market_dir):
    # Closes from shared/data/market/PROVENANCE.md, "Event-window closes as stored".
    expected = {
        "^HSI.csv": ("2023-06-20", 19607.08, 0.01),
        "0016.HK.csv": ("2023-06-19", 89.871, 0.001),
        "^GSPC.csv": ("2023-06-16", 4409.59, 0.01),
        "ACWI.csv": ("2023-06-21", 93.1942, 0.001),
        "000300.SS.csv": ("2023-06-21", 3864.03, 0.01),
    }
    for name, (day, close, tol) in expected.items():
        parsed = read_price_csv(market_dir / name)
        assert parsed.frame.at[pd.Timestamp(day), "close"] == pytest.approx(close, abs=tol)
    hk = read_price_csv(market_dir / "0016.HK.csv")
    assert hk.dropped == ["2011-12-24", "2011-12-31"]  # the two NaN Saturdays PROVENANCE names
    gspc = read_price_csv(market_dir / "^GSPC.csv").frame
    assert pd.Timestamp("2023-06-19") not in gspc.index  # Juneteenth


def _bad(text: str) -> str:
    with pytest.raises(MalformedFileError) as info:
        parse_price_text(text, "X", "bad.csv")
    message = str(info.value)
    assert "\n" not in message and message.endswith(".")
    return message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "is empty"),
        ("Date,Open,High,Low,Close,Adj Close,Volume\n", "no data rows"),
        ("Date,Open,High\n2023-01-03,1,2\n", "no Close column"),
        ("When,Close\n2023-01-03,1\n", "no Date column"),
        ("Date,Close,Volume\n2023-01-03,abc,1\n", "'abc' on 2023-01-03, not a number"),
        ("Date,Close,Volume\n2023-01-03,-5,1\n", "prices must be positive"),
        ("Date,Close,Volume\n2023-01-03,0,1\n", "prices must be positive"),
        ("Date,Close,Volume\n2023-01-03,5,-1\n", "volume is negative"),
        ("Date,Close\n2023-01-03,5\n2023-01-03,6\n", "more than once"),
        ("Date,Close\n2023-01-04,5\n2023-01-03,6\n", "not in date order"),
        ("Date,Close\n2099-01-04,5\n", "in the future"),
        ("Date,Close\n2023-01-03 00:00:00-05:00,5\n2023-01-04,6\n", "mixes dates"),
        ("Date,Close\n03/01/2023,5\n", "is not a date"),
        ("Date,Close\n2023-02-30,5\n", "impossible date"),
        ("Date,Close\n2023-01-03,\n", "no row with a close"),
        ("Date,Close,Close\n2023-01-03,1,2\n", "repeats a column"),
        ("Price,Close\nTicker,A\nDate,\n2023-01-03,1\n", ""),  # valid: one ticker
    ],
)
def test_bad_files_are_refused_in_one_sentence(text, fragment):
    if not fragment:
        assert parse_price_text(text, "A").frame["close"].iat[0] == 1.0
        return
    assert fragment in _bad(text)


def test_several_tickers_in_one_file_are_refused():
    text = "Price,Close,Close\nTicker,A,B\nDate,,\n2023-01-03,1,2\n"
    assert "several tickers" in _bad(text)


@pytest.mark.parametrize("name", ["../etc", "a/b", "", "has space", "x" * 40, "a..b"])
def test_ticker_names_that_cannot_be_file_names(name):
    with pytest.raises(MalformedFileError, match="cannot be a ticker"):
        check_ticker(name)


@pytest.mark.parametrize("name", ["^HSI", "0016.HK", "EURUSD=X", "BRK-B", "000001.SS"])
def test_real_ticker_names_are_accepted(name):
    assert check_ticker(name) == name


def test_missing_and_binary_files(tmp_path):
    with pytest.raises(MalformedFileError, match="does not exist"):
        read_price_csv(tmp_path / "NOPE.csv")
    binary = tmp_path / "BIN.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(MalformedFileError, match="not a text CSV"):
        read_price_csv(binary)


def test_values_round_to_nothing():
    text = "Date,Close\n2023-01-03,35.000850677490234\n"
    assert parse_price_text(text, "A").frame["close"].iat[0] == np.float64("35.000850677490234")


@pytest.mark.parametrize(
    "text",
    ["Date,Close,Volume\n2023-01-03,5,1,99\n", "Date,Close,Volume\n2023-01-03,5\n"],
    ids=["extra-field", "missing-field"],
)
def test_rows_with_the_wrong_number_of_fields_are_refused(text):
    # found by scripts/fuzz_import.py: pandas truncated extra fields with only a warning
    assert "field(s) but the header has 3" in _bad(text)


def test_plain_files_read_in_one_pass_equal_the_cell_by_cell_reading(market_dir, monkeypatch):
    """Every file of the market snapshot, and plain files with empty cells and spelled-out
    missing values, give bitwise the same frame, notes and exchange by the C parser's one
    pass as cell by cell (the reading every other file gets)."""
    import research.data.prices as prices
    from research.data.prices import read_price_csv

    texts = {f.name: f for f in sorted(market_dir.glob("*.csv"))}
    fast_taken = []
    real = prices._clean_columns

    def spy(*args):
        got = real(*args)
        fast_taken.append(got is not None)
        return got

    monkeypatch.setattr(prices, "_clean_columns", spy)
    fast = {name: read_price_csv(path) for name, path in texts.items()}
    extra = (
        "Date,Open,High,Low,Close,Adj Close,Volume\n"
        "2023-06-16,1.5,,1.4,1.45,nan,100\n"
        "2023-06-19,null,1.6,none,1.55,1.5,\n"
        "2023-06-20,1.55,1.7,1.5,0.1234567890123456789,1.6,0\n"
    )
    fast["extra"] = parse_price_text(extra, "0016.HK")
    assert sum(fast_taken) >= len(texts)  # the snapshot is plain: every file, one pass
    monkeypatch.setattr(prices, "_clean_columns", lambda *a: None)
    slow = {name: read_price_csv(path) for name, path in texts.items()}
    slow["extra"] = parse_price_text(extra, "0016.HK")
    for name in fast:
        a, b = fast[name], slow[name]
        pd.testing.assert_frame_equal(a.frame, b.frame, check_exact=True)
        assert (a.notes, a.market, a.adjusted, a.dropped) == (
            b.notes,
            b.market,
            b.adjusted,
            b.dropped,
        )
