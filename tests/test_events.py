"""Event catalogue and alignment of events to HKEX sessions (DESIGN.md rule)."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from research.data.events import (
    adhoc_event,
    align_events,
    load_catalogue,
    parse_timestamp,
    select_events,
)
from research.data.markets import market_sessions
from research.errors import EventError, MalformedFileError

from .conftest import RESULTS

TIMELINE_IDS = [
    "pelosi-taiwan",
    "china-suspends-mil-talks",
    "bali-biden-xi",
    "balloon-disclosed",
    "blinken-trip-postponed",
    "balloon-shot-down",
    "us-china-trade-2022",
    "xi-containment",
    "kissinger-warning",
    "musk-visit",
    "dimon-visit",
    "pboc-reverse-repo-cut",
    "blinken-trip-announced",
    "pboc-mlf-cut",
    "gates-xi",
    "blinken-arrives",
    "blinken-qin",
    "goldman-cut",
    "blinken-wang-yi",
    "blinken-xi",
    "blinken-departs",
    "detroit-lawmakers",
    "biden-hell-of-a-job",
    "lpr-cut",
    "amcham-statement",
    "yellen-trip",
    "kerry-trip",
    "qin-removed",
    "xi-skips-g20",
    "apec-biden-xi",
]


def expected_sessions() -> dict[str, str]:
    with open(RESULTS / "hk_event_sessions.csv", newline="") as fh:
        return {row["id"]: row["session"] for row in csv.DictReader(fh)}


def test_catalogue_holds_every_timeline_event_once():
    ids = [e.id for e in load_catalogue()]
    assert ids == TIMELINE_IDS


def test_catalogue_keeps_offsets_and_date_only_events():
    by_id = {e.id: e for e in load_catalogue()}
    lpr = by_id["lpr-cut"]
    assert lpr.timestamp == pd.Timestamp("2023-06-20 01:15", tz="UTC")
    assert not lpr.date_only and lpr.time_precision == "exact"
    assert "disappointed the market" in lpr.article_words
    apec = by_id["apec-biden-xi"]
    assert apec.timestamp == pd.Timestamp("2023-11-15 19:20", tz="UTC")
    assert by_id["gates-xi"].date_only and by_id["gates-xi"].stamp == "2023-06-16"


@pytest.mark.parametrize("use_data", [False, True], ids=["calendar-only", "calendar+data"])
def test_every_catalogue_event_lands_on_the_hand_derived_session(use_data, request):
    days = None
    if use_data:
        store = request.getfixturevalue("market_store")
        days = store.load("^HSI").index
    table = align_events(load_catalogue(), "HKEX", days).set_index("event")
    got = {k: f"{v:%Y-%m-%d}" for k, v in table["session"].items()}
    assert got == expected_sessions()
    assert table["rule"].str.len().gt(20).all()  # every alignment says which rule applied


def test_headline_events_of_the_issue():
    table = align_events(load_catalogue(), "HKEX").set_index("event")
    assert table.at["goldman-cut", "session"] == pd.Timestamp("2023-06-19")
    assert table.at["blinken-arrives", "session"] == pd.Timestamp("2023-06-19")
    assert table.at["lpr-cut", "session"] == pd.Timestamp("2023-06-20")
    assert "before the open" in table.at["lpr-cut", "rule"]
    assert "after the 16:00 close" in table.at["blinken-xi", "rule"]
    assert "(Sun) has no session" in table.at["blinken-arrives", "rule"]


@pytest.mark.parametrize(
    ("stamp", "session"),
    [
        ("2023-08-31T17:00", "2023-09-04"),  # next day 2023-09-01 closed (Typhoon Saola)
        ("2023-09-01", "2023-09-04"),
        ("2023-09-07T16:30", "2023-09-11"),  # 2023-09-08 closed (black rainstorm)
        ("2023-07-14T18:00", "2023-07-18"),  # weekend, then 2023-07-17 closed (Typhoon Talim)
        ("2023-06-21T15:59", "2023-06-21"),  # one minute before the close
        ("2023-06-21T16:00", "2023-06-23"),  # at the close; 06-22 is Tuen Ng
        ("2023-06-20T09:15+08:00", "2023-06-20"),
        ("2023-06-19T20:00-04:00", "2023-06-20"),  # 20:00 EDT = 08:00 HKT next day, before the open
    ],
)
def test_weather_closures_and_boundaries_calendar_only(stamp, session):
    table = align_events([adhoc_event(stamp, "HKEX")], "HKEX")
    assert table["session"].iat[0] == pd.Timestamp(session)


def test_weather_closures_are_skipped_by_the_recorded_closures(market_store):
    days = market_store.load("^HSI").index
    assert pd.Timestamp("2023-09-01") not in days
    sessions = market_sessions("HKEX", "2023-07-01", "2023-09-30")
    for closed in ("2023-07-17", "2023-09-01", "2023-09-08"):
        assert pd.Timestamp(closed) not in sessions.index
    table = align_events([adhoc_event("2023-09-07T17:00")], "HKEX", days)
    assert table["session"].iat[0] == pd.Timestamp("2023-09-11")


def test_sessions_are_the_calendars_whatever_rows_the_data_has():
    # a day the data lacks is missing data, not a closure: day 0 stays on the calendar
    days = pd.DatetimeIndex(["2023-06-19", "2023-06-21", "2023-06-23"])  # 06-20 missing
    table = align_events([adhoc_event("2023-06-19T17:00")], "HKEX", days)
    assert table["session"].iat[0] == pd.Timestamp("2023-06-20")


def test_event_after_the_data_is_refused():
    days = pd.DatetimeIndex(pd.bdate_range("2023-06-01", "2023-06-30"))
    with pytest.raises(EventError, match="after the last HKEX session"):
        align_events([adhoc_event("2023-07-10")], "HKEX", days)


@pytest.mark.parametrize("text", ["2023-13-01", "yesterday", "2023-06-20T25:00", "20230620"])
def test_bad_dates_are_refused_in_one_sentence(text):
    with pytest.raises(EventError) as info:
        parse_timestamp(text, "Asia/Hong_Kong")
    assert str(info.value).endswith(".")
    assert "\n" not in str(info.value)


def test_unknown_event_id_suggests_the_closest():
    with pytest.raises(EventError, match="Did you mean lpr-cut"):
        select_events(["lpr-cutt"], load_catalogue())


def test_user_catalogue_with_same_columns(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text(
        "id,timestamp,timezone,title\n"
        "earnings,2023-08-10T12:00+08:00,Asia/Hong_Kong,Results at noon\n"
        "night,2023-08-10T21:00,Europe/London,Evening news\n"
    )
    cat = load_catalogue(path)
    table = align_events(cat, "HKEX").set_index("event")
    assert table.at["earnings", "session"] == pd.Timestamp("2023-08-10")
    assert table.at["night", "session"] == pd.Timestamp("2023-08-11")  # 04:00 HKT next day


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("id,timestamp\nx,2023-01-01\n", "lacks the column"),
        ("id,timestamp,timezone\nx,2023-01-01,UTC\nx,2023-01-02,UTC\n", "appears twice"),
        ("id,timestamp,timezone\nx,not-a-date,UTC\n", "line 2"),
        ("id,timestamp,timezone\nx,2023-01-01,Mars/Base\n", "time zone"),
    ],
)
def test_malformed_catalogues_are_refused(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(MalformedFileError, match=message):
        load_catalogue(path)


def test_date_only_events_are_taken_at_nine_in_their_own_zone():
    """DESIGN.md: a date alone is 09:00 where it happened, then aligned as a timed event; a
    Washington date reaches Hong Kong on its next session (the HK session closes at
    03:00-04:00 New York time), a Hong Kong date on the same day; the output says the
    time was assumed. Sessions derived by hand from the HKEX calendar of February 2023."""
    from research.data.events import adhoc_event, align_events

    us = adhoc_event("2023-02-03 America/New_York", "HKEX", "us")
    hk = adhoc_event("2023-02-03", "HKEX", "hk")
    assert us.timezone == "America/New_York" and us.date_only
    al = align_events([us, hk], "HKEX").set_index("event")
    assert al.loc["us", "session"] == pd.Timestamp("2023-02-06")  # Fri 22:00 HKT -> Mon
    assert al.loc["hk", "session"] == pd.Timestamp("2023-02-03")  # 09:00 HKT, before open
    assert "time assumed 09:00 EST (America/New_York)" in al.loc["us", "rule"]
    assert "time assumed 09:00 HKT" in al.loc["hk", "rule"]
