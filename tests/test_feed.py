"""The feed beside the map: the shown events, newest first, one plain line each."""

from __future__ import annotations

import numpy as np

from geo.events.schema import EVENT_TYPES
from geo.report.feed import FEED_COLUMNS, feed_rows, short_when


def test_the_feed_lists_the_shown_events_newest_first_with_unknown_dates_last(events):
    table, ids = feed_rows(events, np.ones(len(events), dtype=bool))
    assert list(table.columns) == list(FEED_COLUMNS) and len(table) == len(ids) == len(events)
    when = [events.loc[i, "date_start"] or events.loc[i, "date_end"] for i in ids]
    known = [day for day in when if day]
    assert known == sorted(known, reverse=True)
    assert all(not day for day in when[len(known):]), "events with no known date come last"


def test_the_feed_shows_only_what_the_mask_keeps_in_plain_words(events):
    keep = (events["event_type"] == "repatriation").to_numpy()
    table, ids = feed_rows(events, keep)
    assert set(ids) == set(events.index[keep]) and len(ids) > 1
    assert set(table["Type"]) == {EVENT_TYPES["repatriation"]}
    assert not any(event_id in " ".join(map(str, table.to_numpy().ravel())) for event_id in ids), "no ids shown"


def test_the_feed_stops_at_its_limit_and_keeps_the_newest(events):
    everything, _ = feed_rows(events, np.ones(len(events), dtype=bool))
    first_five, ids = feed_rows(events, np.ones(len(events), dtype=bool), limit=5)
    assert len(first_five) == len(ids) == 5
    assert first_five.equals(everything.head(5))


def test_an_empty_mask_gives_an_empty_feed(events):
    table, ids = feed_rows(events, np.zeros(len(events), dtype=bool))
    assert table.empty and ids == [] and list(table.columns) == list(FEED_COLUMNS)


def test_a_feed_date_claims_no_more_precision_than_it_has_and_marks_inferred_ones():
    def row(start, end, precision, inferred=False):
        return {"date_start": start, "date_end": end, "date_precision": precision, "date_inferred": inferred}

    assert short_when(row("2023-10-09", "2023-10-09", "day")) == "2023-10-09"
    assert short_when(row("2025-09-01", "2025-09-30", "month", True)) == "2025-09?"
    assert short_when(row("2022-03-01", "2022-05-31", "season")) == "2022-03"
    assert short_when(row(None, "2025-07-12", "unknown")) == "by 2025-07"
    assert short_when(row(None, None, "unknown", True)) == "date unknown"
