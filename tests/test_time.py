"""The map's date: routes' status on a day, the map as of a day, the days the map steps through."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from geo.events.dataset import read_json, records
from geo.events.schema import status_on
from geo.reference.crossings import crossing_status_at
from geo.view.time import (
    PLAY_SECONDS,
    PlayStep,
    as_of,
    as_of_mask,
    begun_mask,
    map_steps,
    play_step,
    snap_to_step,
    status_at,
)
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


def played_seconds(n_steps: int, frame_seconds: float) -> tuple[float, int]:
    """How long playing from the first step to the last takes when each frame costs `frame_seconds`, and how
    many frames it shows (as the page plays: draw, pause, move on by the stride)."""
    position, seconds, frames = 0, 0.0, 1
    while position < n_steps - 1:
        stride, pause = play_step(n_steps, frame_seconds)
        seconds += frame_seconds + pause
        position, frames = min(position + stride, n_steps - 1), frames + 1
    return seconds, frames


@pytest.mark.parametrize("frame_seconds", [0.0, 0.05, 0.3, 0.45, 0.9, 2.5, 7.0])
def test_the_whole_story_plays_in_about_thirty_seconds_whatever_a_frame_costs(frame_seconds):
    steps = map_steps(dt.date(2020, 1, 1), dt.date(2026, 12, 31))  # 84 months, as the curated data has about
    seconds, frames = played_seconds(len(steps), frame_seconds)
    assert PLAY_SECONDS == 30.0 and abs(seconds - PLAY_SECONDS) <= 0.1 * PLAY_SECONDS
    assert frames >= min(len(steps), PLAY_SECONDS / max(frame_seconds, 1e-9)) / 2  # many months, as time allows


def test_a_cheap_frame_steps_one_month_and_pauses_for_the_rest_of_its_share():
    assert play_step(61, 0.1) == PlayStep(1, pytest.approx(0.4))
    assert play_step(61, 1.2) == PlayStep(3, pytest.approx(0.3))  # 25 frames fit in 30 s: 20 moves of 3 months


def test_a_frame_costing_more_than_the_whole_story_jumps_to_the_end_and_odd_costs_do_not_break_it():
    assert play_step(72, 45.0) == PlayStep(71, 0.0)
    free = PlayStep(1, pytest.approx(30 / 71))
    assert play_step(72, float("nan")) == play_step(72, -1.0) == play_step(72, 0.0) == free
    assert play_step(1, 0.5) == play_step(0, 0.5) == PlayStep(1, 0.0)
    assert play_step(72, 0.5, target_seconds=0) == PlayStep(1, 0.0)


def test_the_feed_up_to_a_map_date_leaves_out_a_route_drawn_before_its_own_event(events):
    # In October 2023 the Beijing–Pyongyang passenger line is drawn (closed since 2020), but the event it reports,
    # the trains running again, is of March 2026: the feed up to October 2023 must not list it.
    day = dt.date(2023, 10, 31)
    on_map, _ = as_of_mask(events, day)
    begun = begun_mask(events, day)
    trains = events.index.get_loc("passenger-rail-resumption-beijing-dandong-pyongyang-2026-03-12")
    assert on_map[trains] and not begun[trains]
    first = pd.to_datetime(events["date_start"].fillna(events["date_end"]))
    assert (first[begun].dropna() <= pd.Timestamp(day)).all() and (first[~begun] > pd.Timestamp(day)).all()
    assert begun[on_map & ~events["status_history"].map(bool).to_numpy()].all(), "other events: as on the map"
