"""The bad-input and fault catalogue of docs/reliability.md, through the command line.

Each case checks exit status 2, a one-sentence message and that the store is unchanged.
"""

from __future__ import annotations

import pytest

from research.data.prices import parse_price_text
from research.data.store import PriceStore
from tests.store_faults import corrupt_prices

GOOD = (
    "Date,Open,High,Low,Close,Adj Close,Volume\n"
    "2023-06-15,1,1,1,10.0,10.0,5\n"
    "2023-06-16,1,1,1,10.5,10.5,6\n"
)

BAD_FILES = {
    "empty": ("", "is empty"),
    "header-only": ("Date,Open,High,Low,Close,Adj Close,Volume\n", "no data rows"),
    "missing-close": ("Date,Open\n2023-06-15,1\n", "no Close column"),
    "wrong-columns": ("When,Value\n2023-06-15,1\n", "no Date column"),
    "non-numeric": ("Date,Close\n2023-06-15,ten\n", "not a number"),
    "negative": ("Date,Close\n2023-06-15,-1\n", "prices must be positive"),
    "duplicate-dates": ("Date,Close\n2023-06-15,1\n2023-06-15,2\n", "more than once"),
    "unsorted-dates": ("Date,Close\n2023-06-16,1\n2023-06-15,2\n", "not in date order"),
    "future-dates": ("Date,Close\n2099-06-15,1\n", "in the future"),
    "mixed-time-zones": ("Date,Close\n2023-06-15 00:00:00-04:00,1\n2023-06-16,2\n", "mixes dates"),
    "extra-field": ("Date,Close\n2023-06-15,1,7\n", "field(s) but the header has 2"),
}


def store_bytes(root):
    prices = root / "prices"
    return {p.name: p.read_bytes() for p in sorted(prices.iterdir())} if prices.is_dir() else {}


def one_sentence(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def seeded(tmp_path):
    """A store holding ABC, and the path of a folder for bad files."""
    store = PriceStore()
    store.save(parse_price_text(GOOD, "ABC", market="HKEX"), "seed")
    return store, tmp_path


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file_import_exits_2_and_keeps_the_store(cli, seeded, case):
    store, folder = seeded
    text, fragment = BAD_FILES[case]
    path = folder / "ABC.csv"  # same ticker as the stored one: it must not be replaced
    path.write_text(text)
    before = store_bytes(store.root)
    result = cli("data", "import", str(path))
    assert result.code == 2
    assert fragment in one_sentence(result.err)
    assert store_bytes(store.root) == before


def test_ticker_name_that_cannot_be_a_file_name(cli, seeded):
    store, folder = seeded
    path = folder / "bad name.csv"
    path.write_text(GOOD)
    result = cli("data", "import", str(path))
    assert result.code == 2 and "cannot be a ticker" in one_sentence(result.err)


def test_corrupted_store_file_says_how_to_repair(cli, seeded):
    store, _ = seeded
    corrupt_prices(store, "ABC")
    result = cli(
        "run",
        "--date",
        "2023-06-16",
        "--tickers",
        "ABC",
        "--model",
        "constant-mean",
        "--estimation",
        "-1,-1",
        "--window",
        "0,0",
        "--min-obs",
        "1",
    )
    assert result.code == 2
    assert "do not match their checksum; re-import" in one_sentence(result.err)


def test_catalogue_with_a_missing_column(cli, tmp_path):
    path = tmp_path / "cat.csv"
    path.write_text("id,timestamp\nx,2023-06-20\n")
    result = cli("events", "--catalogue", str(path))
    assert result.code == 2 and "lacks the column(s) timezone" in one_sentence(result.err)


def test_missing_path_and_empty_folder(cli, tmp_path):
    assert "does not exist" in one_sentence(cli("data", "import", str(tmp_path / "nope")).err)
    (tmp_path / "empty").mkdir()
    assert "No CSV files" in one_sentence(cli("data", "import", str(tmp_path / "empty")).err)


def test_unknown_figure_name(cli):
    result = cli("figures", "--only", "nope")
    assert result.code == 2 and "Unknown figure 'nope'" in one_sentence(result.err)
