"""A series' identity and its sessions, on the real snapshot: every number recomputed by hand.

Each test builds its input from a file of ``../shared/data/market`` (renamed, re-stamped,
cut or left as it is), runs the package, and checks the result against a long-hand
computation made here with pandas, numpy and exchange_calendars straight from the raw CSV
files, never through the package's own reading, quality or session code:

* prices: ``Adj Close`` where the file has it, else ``Close``; a day with a flat close and
  zero volume (no trade) has no price;
* sessions: the exchange calendar (XHKG, XNYS) less the HKEX closures the calendar misses
  (2023-07-17, 2023-09-01, 2023-09-08), never the file's rows;
* simple returns between consecutive sessions, missing when either price is;
* the market model by ``numpy.linalg.lstsq`` over the estimation sessions with both returns.

Tolerances.  Two runs of the package on the same numbers agree to 1e-12 (the brief's bound;
they are in fact equal).  The package estimates in closed form from sums of products, the
hand computation by an SVD least squares: the two differ by rounding only, about 1e-16 per
operation on returns of order 1e-2 summed over some 250 days, so 1e-10 is a safe bound far
below any economically different answer (what the code before this change gave differs by
more than 1e-3 in every case below).
"""

from __future__ import annotations

import shutil
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.store_faults import copy_store

ROOT = Path(__file__).resolve().parent.parent
CLOSURES = pd.DatetimeIndex(["2023-07-17", "2023-09-01", "2023-09-08"])  # HKEX, not in XHKG
SAME = 1e-12  # two runs of the package on the same prices
HAND = 1e-10  # the package against the long-hand computation (see the module docstring)
LPR_DAY0 = pd.Timestamp("2023-06-20")  # lpr-cut: 2023-06-20 09:15 HKT, before the HKEX close


# -- long hand ------------------------------------------------------------------------------
def raw(path: Path) -> pd.DataFrame:
    """A Yahoo CSV as pandas reads it: one header line, or yfinance's three
    (``Price,...`` / ``Ticker,...`` / ``Date,,,``), dates as written."""
    head = path.read_text(encoding="utf-8").splitlines()[0].split(",")
    names, skip = (["Date", *head[1:]], 3) if head[0] == "Price" else (head, 1)
    frame = pd.read_csv(path, skiprows=skip, header=None, names=names)
    frame.index = pd.DatetimeIndex(pd.to_datetime(frame.pop("Date"), format="%Y-%m-%d"))
    return frame


def price(frame: pd.DataFrame) -> pd.Series:
    """Adj Close where the file has it, else Close; no price on a day without a trade."""
    p = frame["Adj Close"] if "Adj Close" in frame else frame["Close"]
    untraded = (frame["Close"] == frame["Close"].shift()) & (frame["Volume"] == 0)
    return p.where(~untraded)


@cache
def _calendar(code: str):
    import exchange_calendars as xcals

    return xcals.get_calendar(code, start="2019-01-01", end="2025-12-31")


def sessions(code: str, start: str, end: str) -> pd.DatetimeIndex:
    """The exchange calendar's sessions; for XHKG less the three recorded closures."""
    days = pd.DatetimeIndex(_calendar(code).sessions_in_range(start, end)).as_unit("ns")
    return days[~days.isin(CLOSURES)] if code == "XHKG" else days


def xhkg() -> pd.DatetimeIndex:
    return sessions("XHKG", "2020-01-02", "2025-10-30")


def returns(p: pd.Series, grid: pd.DatetimeIndex) -> pd.Series:
    on_grid = p.reindex(grid)
    return on_grid / on_grid.shift() - 1


def market_model(y: pd.Series, x: pd.Series, days: pd.DatetimeIndex) -> tuple[float, float, int]:
    """(alpha, beta, n) of OLS ``y = alpha + beta x`` over ``days`` with both returns."""
    ok = y.reindex(days).notna() & x.reindex(days).notna()
    yy, xx = y.reindex(days)[ok], x.reindex(days)[ok]
    coef, *_ = np.linalg.lstsq(np.column_stack([np.ones(len(xx)), xx]), yy, rcond=None)
    return float(coef[0]), float(coef[1]), int(ok.sum())


def hand_ar(
    y: pd.Series, x: pd.Series, grid: pd.DatetimeIndex, day0, days=(-1, 0, 1)
) -> tuple[pd.Series, float, float]:
    """Market-model abnormal returns on the event days (estimation -250..-11 of ``grid``)."""
    p0 = grid.get_loc(pd.Timestamp(day0))
    alpha, beta, _ = market_model(y, x, grid[p0 - 250 : p0 - 10])
    when = grid[[p0 + d for d in days]]
    return (y.reindex(when) - alpha - beta * x.reindex(when)).set_axis(list(days)), alpha, beta


def universe_group(name: str) -> list[str]:
    u = pd.read_csv(ROOT / "data" / "universe.csv")
    return list(u.loc[u["group"] == name, "ticker"])


# -- stores ---------------------------------------------------------------------------------
def store_with(market_store, root: Path, tickers: list[str]):
    """A fresh store holding the snapshot's stored series ``tickers`` as stored, so that
    nothing a test imports reaches the session's shared store."""
    return copy_store(market_store, root, tickers)


def day_row(res, day: int) -> pd.Series:
    (row,) = [r for _, r in res.day_tests.iterrows() if r["day"] == day]
    return row


# -- 1 -------------------------------------------------------------------------------------
def test_an_index_under_a_new_name_is_recognised_from_its_trading_days(
    cli, market_dir, market_store, tmp_path, monkeypatch
):
    """Before this change a ticker with no suffix and no universe entry was taken for a New
    York series, so HSPROP (the HSI's own rows) entered as a foreign benchmark aligned on the
    previous New York session: day-0 AAR -0.87% against -0.10% with ^HSI, 0016.HK's beta 0.076
    against 0.375."""
    from research.analyses.analysis import run_study

    members = universe_group("hk-developer")
    store = store_with(market_store, tmp_path / "store", [*members, "^HSI"])
    monkeypatch.setenv("EVENTSTUDY_DATA_DIR", str(store.root))
    shutil.copy(market_dir / "^HSI.csv", tmp_path / "HSPROP.csv")
    result = cli("data", "import", str(tmp_path / "HSPROP.csv"))
    assert result.code == 0, result.err
    assert "HSPROP" in result.out and "recognised from its trading days as HKEX" in result.out
    assert store.info("HSPROP").market == "HKEX"

    renamed = run_study(events="lpr-cut", groups="hk-developer", benchmarks="HSPROP", store=store)
    index = run_study(events="lpr-cut", groups="hk-developer", benchmarks="^HSI", store=store)
    assert abs(day_row(renamed, 0)["aar"] - day_row(index, 0)["aar"]) < SAME
    assert np.allclose(renamed.params["beta"], index.params["beta"], rtol=0, atol=SAME)

    # by hand: each developer's market model on the HSI over XHKG sessions -250..-11
    grid = xhkg()
    hsi = returns(price(raw(market_dir / "^HSI.csv")), grid)
    betas, ar0 = {}, {}
    for t in members:
        y = returns(price(raw(market_dir / f"{t}.csv")), grid)
        ars, _, betas[t] = hand_ar(y, hsi, grid, LPR_DAY0, (0,))
        ar0[t] = ars[0]
    got = renamed.params["beta"].droplevel("event")
    assert len(got) == len(members) == 14
    assert np.allclose(got[members], pd.Series(betas)[members], rtol=0, atol=HAND)
    assert abs(day_row(renamed, 0)["aar"] - np.mean(list(ar0.values()))) < HAND

    # a series too short to tell its exchange is refused, and stored with --market
    lines = (market_dir / "^HSI.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / "HSISHORT.csv").write_text(lines[0] + "".join(lines[-30:]), encoding="utf-8")
    refused = cli("data", "import", str(tmp_path / "HSISHORT.csv"))
    assert refused.code == 2
    message = refused.err.strip()
    assert "--market" in message and "HSISHORT" in message and "\n" not in message
    assert "HSISHORT" not in store
    named = cli("data", "import", str(tmp_path / "HSISHORT.csv"), "--market", "HKEX")
    assert named.code == 0, named.err
    assert store.info("HSISHORT").market == "HKEX" and store.info("HSISHORT").rows == 30


# -- 2 -------------------------------------------------------------------------------------
def test_a_stock_under_a_new_name_is_recognised_and_studied_as_itself(
    cli, market_dir, market_store, tmp_path, monkeypatch
):
    """Before this change MYCO (0016.HK's rows under a name with no suffix) was taken for a
    New York stock, so its study ran on NYSE sessions (day -1 was 2023-06-16, Juneteenth
    skipped) and its day-0 AR was -0.53% instead of 0016.HK's -0.97%."""
    from research.analyses.analysis import run_study

    store = store_with(market_store, tmp_path / "store", ["0016.HK", "^HSI"])
    monkeypatch.setenv("EVENTSTUDY_DATA_DIR", str(store.root))
    shutil.copy(market_dir / "0016.HK.csv", tmp_path / "MYCO.csv")
    result = cli("data", "import", str(tmp_path / "MYCO.csv"))
    assert result.code == 0, result.err
    assert "recognised from its trading days as HKEX" in result.out
    assert store.info("MYCO").market == "HKEX"

    myco = run_study(events="lpr-cut", tickers="MYCO", benchmarks="^HSI", store=store)
    own = run_study(events="lpr-cut", tickers="0016.HK", benchmarks="^HSI", store=store)
    assert "HKEX" in myco.market_note
    ar_myco = myco.abnormal.set_index("day")["ar"]
    ar_own = own.abnormal.set_index("day")["ar"]
    assert myco.abnormal.set_index("day")["date"][0] == LPR_DAY0
    assert abs(ar_myco[0] - ar_own[0]) < SAME

    grid = xhkg()
    y = returns(price(raw(market_dir / "0016.HK.csv")), grid)
    x = returns(price(raw(market_dir / "^HSI.csv")), grid)
    ars, _, _ = hand_ar(y, x, grid, LPR_DAY0)
    assert abs(ar_myco[0] - ars[0]) < HAND


# -- 3 -------------------------------------------------------------------------------------
def test_utc_stamped_bars_keep_their_hong_kong_dates(
    cli, market_dir, market_store, tmp_path, monkeypatch
):
    """Before this change a timestamp with an offset was cut to its first ten characters, so
    a bar stamped at Hong Kong midnight in UTC (16:00+00:00 the day before) was stored one
    session early (2021-01-04 stored as Sunday 2021-01-03) and 0016.HK's beta on ^HSI was
    0.200 instead of 0.375, its CAR(-1,1) -3.09% instead of -0.95%."""
    from research.analyses.analysis import run_study
    from research.data.store import PriceStore

    original = raw(market_dir / "0016.HK.csv").loc["2021-01-01":]
    stamped = original.copy()
    stamped.index = pd.Index(
        (original.index - pd.Timedelta(days=1)).strftime("%Y-%m-%d 16:00:00+00:00"), name="Date"
    )
    folder = tmp_path / "utc"
    folder.mkdir()
    stamped.to_csv(folder / "0016.HK.csv")
    assert (
        (folder / "0016.HK.csv")
        .read_text()
        .splitlines()[1]
        .startswith("2021-01-03 16:00:00+00:00,")
    )  # the first row is 2021-01-04 in Hong Kong
    shutil.copy(market_dir / "^HSI.csv", folder / "^HSI.csv")
    monkeypatch.setenv("EVENTSTUDY_DATA_DIR", str(tmp_path / "store"))
    result = cli("data", "import", str(folder))
    assert result.code == 0, result.err
    assert "converted to HKEX dates" in result.out
    store = PriceStore(tmp_path / "store")
    stored = store.load("0016.HK")
    assert list(stored.index) == list(original.index)
    assert np.array_equal(stored["close"].to_numpy(), original["Close"].to_numpy())

    kw = {"events": "lpr-cut", "tickers": "0016.HK", "benchmarks": "^HSI"}
    utc = run_study(store=store, **kw)
    plain = run_study(store=market_store, **kw)

    def car(res) -> float:
        w = res.security_windows
        return float(w.loc[w["window"] == "(-1,1)", "car"].iat[0])

    beta = float(utc.params["beta"].iat[0])
    assert abs(beta - float(plain.params["beta"].iat[0])) < SAME
    assert abs(car(utc) - car(plain)) < SAME

    # by hand: XHKG sessions from exchange_calendars less the three closures; day 0 is
    # 2023-06-20, estimation days -250..-11, 0016.HK has no Adj Close (Close), ^HSI has
    grid = xhkg()
    y = returns(price(raw(market_dir / "0016.HK.csv")), grid)
    x = returns(price(raw(market_dir / "^HSI.csv")), grid)
    p0 = grid.get_loc(LPR_DAY0)
    est = grid[p0 - 250 : p0 - 10]
    assert (est[0], est[-1]) == (pd.Timestamp("2022-06-15"), pd.Timestamp("2023-06-05"))
    alpha, hand_beta, n = market_model(y, x, est)
    assert n == 240 == int(utc.estimation["n_obs"].iat[0])
    hand_car = float(sum(y[grid[p0 + d]] - alpha - hand_beta * x[grid[p0 + d]] for d in (-1, 0, 1)))
    assert abs(beta - hand_beta) < HAND
    assert abs(car(utc) - hand_car) < HAND


# -- 4 -------------------------------------------------------------------------------------
def test_a_suspension_as_missing_rows_has_no_return_across_the_halt(
    cli, market_dir, market_store, tmp_path, monkeypatch
):
    """Before this change the sessions were the data's own rows, so with 1918.HK's suspended
    rows gone 2023-04-13 followed 2022-03-31 and its day-0 return was 2.04 / 4.58 - 1 = -55%
    across a year's halt (AR -39.0%; -55.5% with the stale rows kept, as a 0% day -1)."""
    from research.analyses.analysis import run_study
    from research.data.store import PriceStore

    folder = tmp_path / "sunac"
    folder.mkdir()
    lines = (market_dir / "1918.HK.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    halted = [ln for ln in lines if "2022-04-01" <= ln[:10] <= "2023-04-12"]
    assert {ln.split(",")[5].strip() for ln in halted} == {"0"}  # zero volume, every one
    assert {ln.split(",")[1] for ln in halted} == {"4.579999923706055"}  # flat close
    (folder / "1918.HK.csv").write_text(
        "".join(ln for ln in lines if ln not in halted), encoding="utf-8"
    )
    shutil.copy(market_dir / "^HSI.csv", folder / "^HSI.csv")
    monkeypatch.setenv("EVENTSTUDY_DATA_DIR", str(tmp_path / "store"))
    result = cli("data", "import", str(folder))
    assert result.code == 0, result.err

    kw = {
        "dates": "2023-04-13",
        "tickers": "1918.HK",
        "benchmarks": "^HSI",
        "window": "-1,1",
        "estimation": ("2021-03-01", "2022-03-30"),
    }
    cut = run_study(store=PriceStore(tmp_path / "store"), **kw)
    stale = run_study(store=market_store, **kw)

    ab = cut.abnormal.set_index("day")
    assert list(ab["date"]) == list(pd.to_datetime(["2023-04-12", "2023-04-13", "2023-04-14"]))
    assert ab.loc[[-1, 0], ["ret", "ar"]].isna().all().all()  # not -55% across the halt
    for day in (-1, 0):
        row = day_row(cut, day)
        assert row["n"] == 0
        stats = row.drop(["event", "group", "day", "date", "date_last", "n"])
        assert stats.isna().all(), stats[stats.notna()]
    assert day_row(cut, 1)["n"] == 1 and np.isnan(day_row(cut, 1)["caar"])  # none carried
    pd.testing.assert_frame_equal(cut.abnormal, stale.abnormal, rtol=0, atol=SAME)
    pd.testing.assert_frame_equal(cut.day_tests, stale.day_tests, rtol=0, atol=SAME)
    pd.testing.assert_frame_equal(cut.params, stale.params, rtol=0, atol=SAME)

    # by hand: the market model over the XHKG sessions 2021-03-01..2022-03-30, day +1's AR
    grid = xhkg()
    y = returns(price(raw(market_dir / "1918.HK.csv")), grid)
    x = returns(price(raw(market_dir / "^HSI.csv")), grid)
    est = grid[(grid >= "2021-03-01") & (grid <= "2022-03-30")]
    alpha, beta, n = market_model(y, x, est)
    assert int(cut.estimation["n_obs"].iat[0]) == n
    assert abs(float(cut.params["beta"].iat[0]) - beta) < HAND
    day1 = pd.Timestamp("2023-04-14")
    assert abs(y[day1] - (1.8899999856948853 / 2.0399999618530273 - 1)) < 1e-15
    assert abs(ab.loc[1, "ar"] - (y[day1] - alpha - beta * x[day1])) < HAND

    halt = grid[(grid >= "2022-04-01") & (grid <= "2023-04-12")]
    gaps = cut.quality[cut.quality["kind"] == "gap"]
    assert len(gaps) == 1
    gap = gaps.iloc[0]
    assert (gap["start"], gap["end"], gap["days"]) == (halt[0], halt[-1], len(halt))
    kinds = set(stale.quality.loc[stale.quality["start"] == halt[0], "kind"])
    assert "suspension" in kinds


# -- 5 -------------------------------------------------------------------------------------
def test_correlate_puts_two_us_series_on_new_york_sessions_both_ways(market_dir, market_store):
    """Before this change correlate put both series on Hong Kong sessions (the default for
    tickers without a suffix) and aligned the second as a foreign benchmark, so the answer
    depended on the order: r_pre was -0.0865 for (EEM, ^GSPC) and 0.1329 for (^GSPC, EEM)."""
    from research.analyses.correlation import correlate

    ab = correlate("EEM", "^GSPC", "lpr-cut", window=60, n_placebo=20)
    ba = correlate("^GSPC", "EEM", "lpr-cut", window=60, n_placebo=20)
    assert ab.day0 == ba.day0 == LPR_DAY0  # 2023-06-19 21:15 New York: NYSE's next session
    for key in ("r_pre", "r_post"):
        assert abs(ab.stats[key] - ba.stats[key]) < SAME
    assert ab.stats["n_pre"] == ba.stats["n_pre"] == 60

    # by hand: XNYS sessions; EEM's Adj Close, ^GSPC's Close (it has no Adj Close); 'pre'
    # is the 60 sessions with both returns before day 0, 'post' day 0 and the 59 after
    grid = sessions("XNYS", "2022-06-01", "2023-12-29")
    both = pd.concat(
        [
            returns(price(raw(market_dir / "EEM.csv")), grid),
            returns(price(raw(market_dir / "^GSPC.csv")), grid),
        ],
        axis=1,
    ).dropna()
    p0 = both.index.get_loc(LPR_DAY0)
    pre, post = both.iloc[p0 - 60 : p0], both.iloc[p0 : p0 + 60]
    assert pre.index[0] == pd.Timestamp("2023-03-23") and pre.index[-1] == pd.Timestamp(
        "2023-06-16"
    )  # Juneteenth (06-19) is no NYSE session
    r_pre = np.corrcoef(pre.iloc[:, 0], pre.iloc[:, 1])[0, 1]
    r_post = np.corrcoef(post.iloc[:, 0], post.iloc[:, 1])[0, 1]
    # np.corrcoef on the same 60 pairs as the package: rounding only
    assert abs(ab.stats["r_pre"] - r_pre) < HAND
    assert abs(ab.stats["r_post"] - r_post) < HAND
    assert 0.6 < r_pre < 0.7  # a broad US index and an ETF traded in New York
    # the code before this change put both on HKEX sessions and gave r_pre -0.0865 for
    # (EEM, ^GSPC) and 0.1329 for (^GSPC, EEM); NYSE sessions give 0.6371 both ways


# -- 6 -------------------------------------------------------------------------------------
def test_days_without_any_abnormal_return_have_no_statistic(
    cli, market_dir, market_store, tmp_path, monkeypatch
):
    """Before this change a day with n = 0 got Patell z = 0 (p = 1) and the CAAR of the last
    day with returns carried forward (1.05% on days 0..3), and a study with no abnormal return
    at all ran (n = 0, CAAR 0, Patell z 0, p 1) instead of being refused."""
    from research.analyses.analysis import run_study
    from research.errors import DataError

    members = universe_group("hk-developer")
    store = store_with(market_store, tmp_path / "store", [*members, "^HSI"])
    monkeypatch.setenv("EVENTSTUDY_DATA_DIR", str(store.root))
    lines = (market_dir / "^HSI.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [lines[0]] + [ln for ln in lines[1:] if ln[:10] <= "2023-06-16"]
    (tmp_path / "HSIEND.csv").write_text("".join(kept), encoding="utf-8")
    assert kept[-1].startswith("2023-06-16,")
    result = cli("data", "import", str(tmp_path / "HSIEND.csv"), "--market", "HKEX")
    assert result.code == 0, result.err

    kw = {"events": "lpr-cut", "groups": "hk-developer", "benchmarks": "HSIEND", "store": store}
    with pytest.raises(DataError, match="HSIEND"):
        run_study(window="0,0", **kw)
    refused = cli(
        "run", "--event", "lpr-cut", "--group", "hk-developer", "--benchmark", "HSIEND",
        "--window", "0,0",
    )  # fmt: skip
    assert refused.code == 2
    message = refused.err.strip()
    assert "HSIEND" in message and "\n" not in message and message.endswith(".")

    res = run_study(window="-3,3", **kw)
    full = run_study(
        events="lpr-cut", groups="hk-developer", benchmarks="^HSI", window="-3,3", store=store
    )
    tests = res.day_tests.set_index("day")
    after = [-1, 0, 1, 2, 3]  # 2023-06-19 onwards: HSIEND has no return
    assert list(tests.loc[after, "date"])[0] == pd.Timestamp("2023-06-19")
    assert (tests.loc[after, "n"] == 0).all()
    stats = tests.loc[after].drop(columns=["event", "group", "date", "date_last", "n"])
    assert stats.isna().all().all(), stats.notna().sum()
    for name in ("patell_z", "patell_z_p", "cross_sectional_t", "corrado_rank_z", "caar"):
        assert tests.loc[after, name].isna().all()  # not 0 / 1, not carried forward
    assert (res.window_tests["n"] == 0).all() and res.window_tests["caar"].isna().all()

    # days -3 and -2 (2023-06-15, 06-16) have every return: as with ^HSI, and by hand
    grid = xhkg()
    hsi = returns(price(raw(market_dir / "^HSI.csv")), grid)
    ars = pd.DataFrame(
        {
            t: hand_ar(
                returns(price(raw(market_dir / f"{t}.csv")), grid), hsi, grid, LPR_DAY0, (-3, -2)
            )[0]
            for t in members
        }
    )
    before = full.day_tests.set_index("day")
    for day in (-3, -2):
        assert tests.loc[day, "n"] == len(members)
        assert abs(tests.loc[day, "aar"] - before.loc[day, "aar"]) < SAME
        assert abs(tests.loc[day, "aar"] - ars.loc[day].mean()) < HAND
    assert abs(tests.loc[-2, "caar"] - ars.sum(axis=0).mean()) < HAND


# -- 7 -------------------------------------------------------------------------------------
def test_a_suspended_stock_has_no_return_and_leaves_the_portfolio(market_dir, market_store):
    """Before this change 2007.HK's flat, untraded price counted as a 0% return in the event
    window: its day-0 AR was 0 minus its normal return (-6.9%), the group's day-0 AAR 20.6%
    instead of 22.3%, and its portfolio held it at 0% (26.1% instead of 27.8%)."""
    from research.analyses.analysis import run_study
    from research.analyses.regressions import run_regressions
    from research.analyses.requests import RegressionRequest
    from research.data.inputs import build_inputs, group_portfolio

    day0 = pd.Timestamp("2024-10-02")
    members = universe_group("mainland-developer")
    assert len(members) == 17
    country = raw(market_dir / "2007.HK.csv").loc["2024-09-20":"2024-10-07"]
    assert (country["Volume"] == 0).all() and country["Close"].nunique() == 1  # suspended

    res = run_study(dates="2024-10-02", groups="mainland-developer", benchmarks="0016.HK")
    ab = res.abnormal
    row = ab[(ab["security"] == "2007.HK") & (ab["day"] == 0)]
    assert len(row) == 1 and np.isnan(row["ret"].iat[0]) and np.isnan(row["ar"].iat[0])

    # by hand: simple returns on XHKG sessions (2024-10-01 is a holiday: the day-0 return
    # runs from 2024-09-30), each member's market model on 0016.HK over -250..-11
    grid = xhkg()
    x = returns(price(raw(market_dir / "0016.HK.csv")), grid)
    r = pd.DataFrame({t: returns(price(raw(market_dir / f"{t}.csv")), grid) for t in members})
    assert grid[grid.get_loc(day0) - 1] == pd.Timestamp("2024-09-30")
    traded = r.loc[day0].dropna()
    assert list(r.columns[r.loc[day0].isna()]) == ["2007.HK"] and len(traded) == 16
    ar0 = pd.Series({t: hand_ar(r[t], x, grid, day0, (0,))[0][0] for t in traded.index})
    zero = day_row(res, 0)
    assert zero["n"] == 16
    assert abs(zero["aar"] - ar0.mean()) < HAND  # 22.3%

    # the group portfolio on 2024-10-02: the mean of the 16 members that traded
    hand_portfolio = float(traded.mean())  # 27.77%; with 2007.HK at 0%: 26.14%
    assert abs(hand_portfolio - float(r.loc[day0].fillna(0.0).mean())) > 0.01
    panel = build_inputs(members, ["0016.HK"], "HKEX")
    window_days = grid[grid.get_loc(day0) - 1 : grid.get_loc(day0) + 2]
    portfolio = group_portfolio(panel.returns, members, panel.exclude, keep=window_days)
    assert abs(portfolio[day0] - hand_portfolio) < HAND

    report = run_regressions(
        RegressionRequest(
            groups=("mainland-developer",), benchmarks=("0016.HK",), dates=("2024-10-02",)
        )
    )
    (reg,) = report.regressions
    # its day-0 coefficient is the portfolio's abnormal return: the portfolio less the
    # market model fitted on the estimation days (the event days have their own dummies)
    p0 = grid.get_loc(day0)
    est = grid[p0 - 250 : p0 - 10]
    hand_series = r.mean(axis=1)  # members with a return each session (none flagged here)
    alpha, beta, _ = market_model(hand_series, x, est)
    assert abs(reg.params["0016.HK"] - beta) < HAND
    assert abs(reg.params["date:2024-10-02[0]"] - (hand_portfolio - alpha - beta * x[day0])) < HAND
