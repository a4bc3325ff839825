"""The price store: exact round trips, atomic replacement, checksums, locking, read-only."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import stat

import pandas as pd
import pytest

from research.data.prices import parse_price_text
from research.data.store import PriceStore
from research.errors import DataError, StoreCorruptedError

TEXT = """Date,Open,High,Low,Close,Adj Close,Volume
2023-06-16,20.0,21.0,19.5,20.500850677490234,20.1,1000
2023-06-19,20.5,20.9,20.0,20.2,19.9,1500
"""
NEWER = """Date,Close,Volume
2023-06-19,20.3,1500
2023-06-20,19.0,900
"""


def snapshot(root) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((root / "prices").iterdir())}


def test_round_trip_is_exact(tmp_path):
    store = PriceStore(tmp_path)
    parsed = parse_price_text(TEXT, "ABC")
    info = store.save(parsed, source="test")
    assert info.rows == 2 and info.first == "2023-06-16" and info.last == "2023-06-19"
    assert info.adjusted == "adj-close-column"
    loaded = store.load("ABC")
    pd.testing.assert_frame_equal(loaded, parsed.frame, check_freq=False)
    assert store.tickers() == ["ABC"]
    meta = json.loads((tmp_path / "prices" / "ABC.json").read_text())
    assert meta["source"] == "test" and len(meta["sha256"]) == 64


def test_replacing_removes_the_old_file_and_keeps_one_version(tmp_path):
    store = PriceStore(tmp_path)
    store.save(parse_price_text(TEXT, "ABC"), "one")
    store.save(parse_price_text(NEWER, "ABC"), "two")
    files = sorted(p.name for p in (tmp_path / "prices").iterdir())
    assert len(files) == 2 and "ABC.json" in files
    assert store.load("ABC")["close"].iat[-1] == 19.0


def test_corruption_is_detected_with_how_to_repair(tmp_path):
    store = PriceStore(tmp_path)
    info = store.save(parse_price_text(TEXT, "ABC"), "test")
    path = tmp_path / "prices" / info.file
    path.write_bytes(path.read_bytes().replace(b"20.2", b"29.2"))
    with pytest.raises(StoreCorruptedError, match="re-import"):
        store.load("ABC")
    (tmp_path / "prices" / "ABC.json").write_text("{not json")
    with pytest.raises(StoreCorruptedError, match="metadata"):
        store.load("ABC")


def test_crash_during_replace_keeps_the_previous_version(tmp_path, monkeypatch):
    store = PriceStore(tmp_path)
    store.save(parse_price_text(TEXT, "ABC"), "first")
    before = snapshot(tmp_path)
    real_replace = os.replace
    calls = []

    def crash(src, dst):
        calls.append(dst)
        if str(dst).endswith(".json"):  # data file landed, metadata swap "crashes"
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(DataError, match="nothing stored was changed"):
        store.save(parse_price_text(NEWER, "ABC"), "second")
    monkeypatch.setattr(os, "replace", real_replace)
    assert store.info("ABC").source == "first"
    pd.testing.assert_frame_equal(
        store.load("ABC"), parse_price_text(TEXT, "ABC").frame, check_freq=False
    )
    leftover = set(snapshot(tmp_path)) - set(before)
    assert all(not n.endswith(".tmp") for n in leftover)  # no temp files left behind


def test_missing_ticker_says_how_to_get_it(tmp_path):
    with pytest.raises(DataError, match="eventstudy data fetch XYZ"):
        PriceStore(tmp_path).load("XYZ")


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores write permissions")
def test_read_only_store_is_refused_cleanly(tmp_path):
    store = PriceStore(tmp_path)
    store.save(parse_price_text(TEXT, "ABC"), "first")
    os.chmod(tmp_path / "prices", stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(DataError, match="Cannot write"):
            store.save(parse_price_text(NEWER, "ABC"), "second")
    finally:
        os.chmod(tmp_path / "prices", stat.S_IRWXU)
    assert store.info("ABC").source == "first"


def test_read_only_store_is_refused_cleanly_as_root(tmp_path, monkeypatch):
    """Root ignores permission bits, so simulate the EROFS a read-only mount raises."""
    import tempfile

    store = PriceStore(tmp_path)
    store.save(parse_price_text(TEXT, "ABC"), "first")

    def erofs(*args, **kwargs):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(tempfile, "mkstemp", erofs)
    with pytest.raises(DataError, match="Read-only file system"):
        store.save(parse_price_text(NEWER, "ABC"), "second")
    assert store.info("ABC").source == "first"


def test_merge_keeps_stored_rows_outside_a_partial_download(tmp_path):
    store = PriceStore(tmp_path)
    store.save(parse_price_text(TEXT, "ABC"), "csv")
    info = store.merge_save(parse_price_text(NEWER, "ABC"), "yfinance")
    frame = store.load("ABC")
    assert list(frame.index.strftime("%m-%d")) == ["06-16", "06-19", "06-20"]
    assert frame.at[pd.Timestamp("2023-06-19"), "close"] == 20.3  # the download wins on overlap
    assert "kept 1 stored row" in info.notes[-1]


def _writer(root: str, value: float, rounds: int) -> None:
    store = PriceStore(root)
    for i in range(rounds):
        text = f"Date,Close\n2023-06-16,{value + i}\n2023-06-19,{value + i + 0.5}\n"
        store.save(parse_price_text(text, "RACE"), f"writer {value}")


def test_concurrent_writers_never_leave_a_torn_file(tmp_path):
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), v, 15)) for v in (100.0, 200.0)]
    for p in procs:
        p.start()
    store = PriceStore(tmp_path)
    reads = 0
    while any(p.is_alive() for p in procs):
        try:
            frame = store.load("RACE")
        except DataError:
            continue  # not written yet
        closes = frame["close"].tolist()
        assert closes[1] - closes[0] == 0.5  # both rows from the same write
        reads += 1
    for p in procs:
        p.join()
        assert p.exitcode == 0
    final = store.load("RACE")["close"].tolist()
    assert final in ([114.0, 114.5], [214.0, 214.5])
    assert len(list((tmp_path / "prices").glob("RACE.*.csv"))) == 1
