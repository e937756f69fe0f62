"""The map's date: routes' status on a day, the map as of a day, the days the map steps through."""

from __future__ import annotations

import datetime as dt

from geo.events.dataset import read_json, records
from geo.events.schema import status_on
from geo.reference.crossings import crossing_status_at
from geo.view.time import as_of, as_of_mask, map_steps, snap_to_step, status_at
from tests.conftest import EVENTS_PATH

HORIZON = dt.date(2023, 3, 31)


def test_a_routes_status_follows_its_history(events):
    [rail] = records(events.loc[["rail-freight-dandong-sinuiju-partial-resumption"]])
    assert status_at(rail, dt.date(2019, 12, 31)) is None
    assert status_at(rail, dt.date(2021, 6, 1)) == "closed"
    assert status_at(rail, dt.date(2022, 12, 1)) == "partially_resumed"


def test_the_map_as_of_a_date_piles_up_events_and_shows_routes_in_their_status_then(events):
    mid_2021 = as_of(events, dt.date(2021, 6, 30))
    assert "disappearance-shanghai-garment-workers-2022-02" not in mid_2021.index
    assert mid_2021.loc["rail-freight-dandong-sinuiju-partial-resumption", "status"] == "closed"
    assert mid_2021.loc["road-freight-rason-hunchun-resumption", "status"] == "closed"
    later = as_of(events, HORIZON)
    assert later.loc["rail-freight-dandong-sinuiju-partial-resumption", "status"] == "partially_resumed"
    assert "flight-pyongyang-beijing-2023-08-22" not in later.index  # not yet happened
    assert later.loc["passenger-rail-resumption-beijing-dandong-pyongyang-2026-03-12", "status"] == "closed"
    assert later.loc["road-freight-sinuiju-dandong-trucks-return-2023-11", "status"] == "closed"  # resumed 2023-11
    features = read_json(EVENTS_PATH)["features"]
    last_day = max(f["properties"][key] for f in features for key in ("date_start", "date_end")
                   if f["properties"].get(key))
    at_the_end = as_of(events, dt.date.fromisoformat(last_day))
    assert len(at_the_end) == len(events)  # by the dataset's last day every event has piled up
    assert at_the_end.loc["passenger-rail-resumption-beijing-dandong-pyongyang-2026-03-12", "status"] == "resumed"


def test_map_steps_are_month_ends_ending_on_the_last_day():
    steps = map_steps(dt.date(2022, 11, 15), dt.date(2023, 2, 23))
    assert steps == [dt.date(2022, 11, 30), dt.date(2022, 12, 31), dt.date(2023, 1, 31), dt.date(2023, 2, 23)]
    assert snap_to_step(dt.date(2022, 12, 5), steps) == dt.date(2022, 12, 31)
    assert snap_to_step(None, steps) == steps[-1] == snap_to_step(dt.date(2030, 1, 1), steps)


def test_the_map_and_the_crossings_read_the_status_on_a_day_alike():
    # One definition of "status on a day" (status_on): a route before its history is not on the map yet, a
    # crossing before its history is drawn as unknown; after its first change both show that change's status.
    history = [{"status": "closed", "since": "2020-01-01"},
               {"status": "partially_resumed", "since": dt.date(2022, 12, 1)}]
    for day, expected in ((dt.date(2019, 12, 31), None), (dt.date(2020, 1, 1), "closed"),
                          (dt.date(2022, 11, 30), "closed"), (dt.date(2022, 12, 1), "partially_resumed")):
        assert status_on(history, day) == status_at({"status_history": history}, day) == expected
        assert crossing_status_at({"status_history": history}, day.isoformat()) == (expected or "unknown")


def test_as_of_mask_gives_each_route_its_status_on_the_day(events):
    for day in (dt.date(2019, 12, 31), dt.date(2021, 6, 30), HORIZON, dt.date(2026, 12, 31)):
        keep, status = as_of_mask(events, day)
        for n, row in enumerate(records(events)):
            if row.get("status_history"):
                then = status_on(row["status_history"], day)
                assert (bool(keep[n]), status.iloc[n]) == (then is not None, then or row["status"])
