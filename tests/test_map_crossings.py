"""geo.map.crossings: the border crossings layer, in each crossing's status on the map date."""

from __future__ import annotations

from geo.map.mapview import build_map


def test_crossings_are_drawn_in_their_status_on_a_given_day(events, places):
    import datetime as dt

    from geo.reference.crossings import load_crossings

    crossings = load_crossings()
    located = int(crossings.geometry.notna().sum())
    early = build_map(events, places, crossings=crossings, day=dt.date(2021, 1, 1)).get_root().render()
    late = build_map(events, places, crossings=crossings, day=dt.date(2023, 3, 1)).get_root().render()
    assert early.count("geo-crossing-marker geo-crossing-closed") == located
    assert late.count("geo-crossing-marker geo-crossing-partially_resumed") == 1
    assert late.count("geo-crossing-marker geo-crossing-resumed") == 1
    assert "\\uc2e0\\uc758\\uc8fc" in late or "신의주" in late  # Sinuiju in Hangul, in the popup
