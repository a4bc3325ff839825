"""Exchange sessions: the calendar cache beside the price store."""

from __future__ import annotations


def test_calendar_sessions_are_kept_on_disk_and_rebuilt_when_unreadable(monkeypatch):
    """The second process asking for the same sessions reads them from the store's
    calendars/ folder (no exchange calendar is built) and gets the same frame; an
    unreadable file is built again."""
    import pandas as pd

    from research.data import markets

    hkex = markets.get_market("HKEX")
    span = (pd.Timestamp("2022-01-01"), pd.Timestamp("2023-12-31"))
    built = markets._calendar_sessions.__wrapped__(hkex, *span)
    (path,) = (markets._calendar_cache_file(hkex, *span),)
    assert path.is_file()

    def refuse(*args):
        raise AssertionError("built the calendar again")

    real_build = markets._build_calendar_sessions
    monkeypatch.setattr(markets, "_build_calendar_sessions", refuse)
    pd.testing.assert_frame_equal(markets._calendar_sessions.__wrapped__(hkex, *span), built)
    path.write_bytes(b"not a numpy file")
    monkeypatch.setattr(markets, "_build_calendar_sessions", real_build)
    pd.testing.assert_frame_equal(markets._calendar_sessions.__wrapped__(hkex, *span), built)
    assert markets._calendar_cache_file(markets.get_market("NYSE"), *span) != path
