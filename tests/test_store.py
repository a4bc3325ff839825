"""The price store: exact round trips, atomic replacement, checksums, locking, read-only,
columnar segments and their compaction, the conversion of a 0.2 CSV store."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import stat

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from research.data.prices import PRICE_COLUMNS, ParsedPrices, parse_price_text
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
    meta = json.loads((tmp_path / "prices" / "manifest.json").read_text())["tickers"]["ABC"]
    assert meta["source"] == "test" and len(meta["sha256"]) == 64
    assert meta["file"].startswith("seg-") and meta["blocks"] == [[2023, 0, 0, 2]]


def test_replacing_removes_the_old_file_and_keeps_one_version(tmp_path):
    store = PriceStore(tmp_path)
    store.save(parse_price_text(TEXT, "ABC"), "one")
    store.save(parse_price_text(NEWER, "ABC"), "two")
    files = sorted(p.name for p in (tmp_path / "prices").iterdir())
    assert len(files) == 2 and "manifest.json" in files  # the first segment was removed
    assert store.load("ABC")["close"].iat[-1] == 19.0


def test_corruption_is_detected_with_how_to_repair(tmp_path):
    store = PriceStore(tmp_path)
    info = store.save(parse_price_text(TEXT, "ABC"), "test")
    path = tmp_path / "prices" / info.file
    good = path.read_bytes()
    # a byte inside the close column's data page: its CRC-32 no longer matches
    chunk = pq.ParquetFile(path).metadata.row_group(0).column(5)  # ticker, date, open, ..., close
    assert chunk.path_in_schema == "close"
    at = chunk.data_page_offset + chunk.total_compressed_size - 3
    path.write_bytes(good[:at] + bytes([good[at] ^ 0xFF]) + good[at + 1 :])
    with pytest.raises(StoreCorruptedError, match="re-import"):
        store.load("ABC")
    assert any("ABC" in problem for problem in store.verify())
    # a byte of the footer (the row groups' offsets): its SHA-256 no longer matches
    path.write_bytes(good[:-20] + bytes([good[-20] ^ 0xFF]) + good[-19:])
    with pytest.raises(StoreCorruptedError, match="re-import"):
        store.load("ABC")
    path.write_bytes(good)
    assert store.verify() == []
    (tmp_path / "prices" / "manifest.json").write_text("{not json")
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
        if str(dst).endswith("manifest.json"):  # the segment landed, the manifest swap "crashes"
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
    assert len(list((tmp_path / "prices").glob("seg-*.parquet"))) == 1


def test_a_batch_is_one_segment_read_back_by_column(tmp_path):
    store = PriceStore(tmp_path)
    items = [(parse_price_text(TEXT, t), f"file {t}") for t in ("AAA", "BBB", "CCC")]
    infos = store.save_many(items)
    assert len({i.file for i in infos}) == 1
    assert len(list((tmp_path / "prices").glob("seg-*.parquet"))) == 1
    panel = store.load_panel(["CCC", "AAA"], ["close"])
    assert panel.tickers == ["AAA", "CCC"]  # the store's order: read with no reordering
    assert list(panel.values) == ["close"] and list(panel.bounds) == [0, 2, 4]
    np.testing.assert_array_equal(panel.values["close"][:2], items[0][0].frame["close"])
    np.testing.assert_array_equal(panel.frame("CCC")["close"], items[2][0].frame["close"])
    assert panel.frame("AAA")["volume"].isna().all()  # a column not read is NaN


def test_superseded_segments_are_compacted(tmp_path, monkeypatch):
    import research.data.store as module

    monkeypatch.setattr(module, "MAX_SEGMENTS", 3)
    store = PriceStore(tmp_path)
    store.save_many([(parse_price_text(TEXT, t), "batch") for t in ("AAA", "BBB", "CCC", "DDD")])
    for i, t in enumerate(("AAA", "BBB", "CCC")):  # each replaces a ticker: one segment more
        text = f"Date,Close,Volume\n2023-06-16,{30 + i},5\n2023-06-19,{31 + i},5\n"
        store.save(parse_price_text(text, t), "one")
    segments = list((tmp_path / "prices").glob("seg-*.parquet"))
    assert len(segments) == 1  # 4 segments > 3: compacted into one
    assert store.load("CCC")["close"].tolist() == [32.0, 33.0]
    pd.testing.assert_frame_equal(
        store.load("DDD"), parse_price_text(TEXT, "DDD").frame, check_freq=False
    )
    assert store.info("DDD").source == "batch" and store.verify() == []


def _legacy_store(root, tickers=("ABC", "XYZ")):
    """A store in the CSV form of version 0.2, written as 0.2 wrote it."""
    import hashlib

    prices = root / "prices"
    prices.mkdir(parents=True)
    for ticker in tickers:
        frame = parse_price_text(TEXT, ticker).frame
        data = frame.to_csv(index_label="date", date_format="%Y-%m-%d").encode()
        digest = hashlib.sha256(data).hexdigest()
        name = f"{ticker}.{digest[:12]}.csv"
        (prices / name).write_bytes(data)
        meta = {
            "ticker": ticker,
            "source": f"/data/{ticker}.csv",
            "retrieved_at": "2026-01-01T00:00:00+00:00",
            "first": "2023-06-16",
            "last": "2023-06-19",
            "rows": 2,
            "adjusted": "adj-close-column",
            "sha256": digest,
            "file": name,
            "notes": ["a note"],
            "market": "HKEX",
            "market_source": "--market",
            "format": 1,
        }
        (prices / f"{ticker}.json").write_text(json.dumps(meta))
    return prices


def test_a_csv_store_is_converted_on_first_use_with_one_line(tmp_path, capsys):
    prices = _legacy_store(tmp_path)
    store = PriceStore(tmp_path)
    assert store.tickers() == ["ABC", "XYZ"]
    said = capsys.readouterr().err.strip().splitlines()
    assert len(said) == 1 and "converted" in said[0] and "2 tickers" in said[0]
    assert sorted(p.name for p in prices.iterdir())[0] == "manifest.json"
    assert not list(prices.glob("*.csv")) and len(list(prices.glob("*.parquet"))) == 1
    info = store.info("ABC")
    assert (info.source, info.notes, info.market) == ("/data/ABC.csv", ("a note",), "HKEX")
    pd.testing.assert_frame_equal(
        store.load("ABC"), parse_price_text(TEXT, "ABC").frame, check_freq=False
    )
    PriceStore(tmp_path).tickers()
    assert capsys.readouterr().err == ""  # once


def test_a_corrupted_csv_store_is_not_converted_and_loses_nothing(tmp_path):
    prices = _legacy_store(tmp_path)
    victim = next(prices.glob("XYZ.*.csv"))
    victim.write_bytes(victim.read_bytes().replace(b"20.2", b"29.2"))
    before = snapshot(tmp_path)
    with pytest.raises(StoreCorruptedError, match="XYZ do not match their checksum"):
        PriceStore(tmp_path).tickers()
    assert snapshot(tmp_path) == before


def test_the_manifest_is_read_once_per_change(tmp_path, monkeypatch):
    store = PriceStore(tmp_path)
    store.save_many([(parse_price_text(TEXT, t), "batch") for t in ("AAA", "BBB")])
    reads = []
    real = type(store.manifest_path).read_bytes

    def counting(path):
        reads.append(path.name)
        return real(path)

    monkeypatch.setattr(type(store.manifest_path), "read_bytes", counting)
    for _ in range(3):
        store.info("AAA"), store.info("BBB"), store.load_panel(["AAA", "BBB"], ["close"])
    assert reads.count("manifest.json") == 1


@pytest.mark.parametrize("min_rows", [0, 10**9])
def test_some_years_of_some_tickers_are_read_from_chunked_year_blocks(
    tmp_path, monkeypatch, min_rows
):
    """Row groups hold a chunk of tickers' rows of one year, or of several years when a
    year is small: a read of some years gives exactly those rows, and says whose series
    start or end there."""
    import research.data.columnar as columnar

    monkeypatch.setattr(columnar, "CHUNK", 2)  # three chunks of at most two tickers
    monkeypatch.setattr(columnar, "MIN_GROUP_ROWS", min_rows)  # 0: a group per year
    days = pd.bdate_range("2020-12-28", "2023-01-05")
    rng = np.random.default_rng(5)
    frames = {}
    for i, t in enumerate(("AAA", "BBB", "CCC", "DDD", "EEE")):
        index = days[i * 40 : len(days) - i * 30]  # each starts and ends elsewhere
        frame = pd.DataFrame(index=pd.DatetimeIndex(index, name="date"))
        for col in ("open", "high", "low", "adj_close"):
            frame[col] = np.nan
        frame["close"] = rng.uniform(5, 10, len(index))
        frame["volume"] = rng.integers(0, 9, len(index)).astype(float)
        frames[t] = frame
    store = PriceStore(tmp_path)
    parsed = [
        ParsedPrices(t, f, "test", "unknown", [], [], "HKEX", "test") for t, f in frames.items()
    ]
    store.save_many([(p, "test") for p in parsed])
    groups = pq.ParquetFile(next((tmp_path / "prices").glob("seg-*"))).metadata.num_row_groups
    # AAA's chunk spans 2020..2023, the others 2021..2022; or every year in one group
    assert groups == (4 + 2 + 2 if min_rows == 0 else 3)
    panel = store.load_panel(["EEE", "BBB", "AAA"], ["close"], years=(2021, 2022))
    assert panel.tickers == ["AAA", "BBB", "EEE"]
    for t in panel.tickers:
        want = frames[t].loc["2021-01-01":"2022-12-31", "close"]
        pd.testing.assert_series_equal(panel.frame(t)["close"], want, check_freq=False)
    assert list(panel.whole_start) == [False, True, True]  # AAA has 2020 rows
    assert list(panel.whole_end) == [False, True, True]  # and 2023 rows
    whole = store.load_panel(["CCC"])
    assert whole.whole_start is None
    want = frames["CCC"][list(PRICE_COLUMNS)]
    pd.testing.assert_frame_equal(whole.frame("CCC"), want, check_freq=False)
    assert store.verify() == []


def test_export_writes_csvs_that_import_reads_back_unchanged(cli, tmp_path, monkeypatch):
    source = tmp_path / "in"
    source.mkdir()
    (source / "ABC.csv").write_text(TEXT)
    (source / "XYZ.csv").write_text(NEWER)
    monkeypatch.setenv("EVENTSTUDY_DATA_DIR", str(tmp_path / "one"))
    assert cli("data", "import", str(source), "--market", "HKEX").code == 0
    assert cli("data", "export", "--out", str(tmp_path / "out")).code == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["ABC.csv", "XYZ.csv"]
    monkeypatch.setenv("EVENTSTUDY_DATA_DIR", str(tmp_path / "two"))
    assert cli("data", "import", str(tmp_path / "out"), "--market", "HKEX").code == 0
    one, two = PriceStore(tmp_path / "one"), PriceStore(tmp_path / "two")
    for t in ("ABC", "XYZ"):
        pd.testing.assert_frame_equal(one.load(t), two.load(t), check_exact=True)
        assert (
            one.info(t).sha256 == two.info(t).sha256
            and one.info(t).adjusted == two.info(t).adjusted
        )


def test_verify_says_the_store_is_sound_or_names_what_is_not(cli, tmp_path, monkeypatch):
    from tests.store_faults import corrupt_prices

    monkeypatch.setenv("EVENTSTUDY_DATA_DIR", str(tmp_path / "store"))
    PriceStore().save(parse_price_text(TEXT, "ABC"), "test")
    ok = cli("data", "verify")
    assert ok.code == 0 and "every checksum matches" in ok.out
    corrupt_prices(PriceStore(), "ABC")
    bad = cli("data", "verify")
    assert bad.code != 0 and "ABC" in bad.err and "re-import" in bad.err


def test_a_batch_that_fails_half_way_stores_nothing(tmp_path, monkeypatch):
    """Frames are written as a generator gives them, a chunk at a time; an error in the
    generator (a bad file among many) leaves the store as it was, with no temp file."""
    import research.data.columnar as columnar

    monkeypatch.setattr(columnar, "CHUNK", 2)
    store = PriceStore(tmp_path)
    store.save(parse_price_text(TEXT, "OLD"), "first")
    before = snapshot(tmp_path)

    def items():
        for t in ("AAA", "BBB", "CCC", "DDD", "EEE"):  # two chunks written, then the error
            yield parse_price_text(TEXT, t), "batch"
        raise DataError("the sixth file is malformed")

    with pytest.raises(DataError, match="sixth"):
        store.save_many(items())
    assert snapshot(tmp_path) == before
    assert store.tickers() == ["OLD"]
    infos = store.save_many(iter([(parse_price_text(TEXT, "NEW"), "ok")]))
    assert [i.ticker for i in infos] == ["NEW"] and store.tickers() == ["NEW", "OLD"]
