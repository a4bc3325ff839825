"""Shared fixtures.

Every test runs with ``EVENTSTUDY_DATA_DIR`` pointing at its own empty
temporary store, so no test reads or damages a user's store.  Tests on real prices
use ``market_store``: the 48 files of ``../shared/data/market`` imported once per
session into a temporary store, or, where that folder is absent, the embedded sample
of the case study (2021-06..2023-12).  Tests that need the snapshot's long history
also ask for ``market_dir``, which skips them with the reason when it is absent.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

# the exchanges' session calendars are cached per machine (research.config.cache_home): the
# tests share one cache of their own across runs, never the user's (its files are keyed by
# the exchange's definition, the span and the exchange_calendars version, so a stale one is
# never read)
os.environ.setdefault(
    "EVENTSTUDY_CACHE_DIR", str(Path(tempfile.gettempdir()) / "eventstudy-test-calendars")
)

ROOT = Path(__file__).resolve().parent.parent
MARKET_DIR = Path(
    os.environ.get("EVENTSTUDY_MARKET_DIR", ROOT.parent / "shared" / "data" / "market")
)
RESULTS = Path(__file__).resolve().parent / "results"


@pytest.fixture(autouse=True)
def _isolated_store(tmp_path, monkeypatch):
    monkeypatch.setenv("EVENTSTUDY_DATA_DIR", str(tmp_path / "store"))
    monkeypatch.delenv("EVENTSTUDY_CATALOGUE", raising=False)
    monkeypatch.delenv("EVENTSTUDY_UNIVERSE", raising=False)


@pytest.fixture(scope="session")
def market_dir() -> Path:
    if not MARKET_DIR.is_dir():
        pytest.skip(f"market snapshot {MARKET_DIR} is absent (set EVENTSTUDY_MARKET_DIR)")
    return MARKET_DIR


@pytest.fixture(scope="session")
def market_store_path(tmp_path_factory) -> Path:
    """The snapshot imported once per session; where it is absent, the embedded sample of
    the case study (2021-06..2023-12), so that the tests of the case study still run.
    Tests that need the long history ask for ``market_dir`` too, and skip without it."""
    from research.data.prices import read_price_csv
    from research.data.sample import SampleStore
    from research.data.store import PriceStore

    root = tmp_path_factory.mktemp("market-store")
    store = PriceStore(root)
    if MARKET_DIR.is_dir():
        files = sorted(MARKET_DIR.glob("*.csv"))
        store.save_many([(read_price_csv(f), str(f)) for f in files])
    else:
        sample = SampleStore()
        store.save_many([(sample.parsed(t), "embedded sample") for t in sample.tickers()])
    return root


@pytest.fixture
def market_store(market_store_path, monkeypatch):
    """The imported snapshot, also set as the default store for the test."""
    from research.data.store import PriceStore

    monkeypatch.setenv("EVENTSTUDY_DATA_DIR", str(market_store_path))
    return PriceStore(market_store_path)


class CliResult:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


@pytest.fixture
def cli(capsys, monkeypatch):
    """Run ``eventstudy ARGS`` in-process; returns exit code, stdout and stderr."""
    from research.cli.commands import main

    def run(*args: str) -> CliResult:
        monkeypatch.setattr(sys, "argv", ["eventstudy", *args])
        capsys.readouterr()
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run
