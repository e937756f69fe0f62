"""Route and crossing status histories agree with the dated events that name them, on the real dataset,
and the check says which route, status and event when they do not."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from typing import Any

import pytest

from geo.events.dataset import read_json
from geo.events.schema import status_on
from geo.reference.crossings import CROSSINGS_PATH
from geo.reference.route_consistency import (
    crossing_holders,
    dataset_conflicts,
    event_span,
    history_conflicts,
    route_holders,
    statuses_during,
)
from tests.conftest import EVENTS_PATH

RAIL = "rail-freight-dandong-sinuiju-partial-resumption"
RASON = "road-freight-rason-hunchun-resumption"


@pytest.fixture(scope="module")
def stored() -> tuple[dict[str, Any], dict[str, Any]]:
    return read_json(EVENTS_PATH), read_json(CROSSINGS_PATH)


@pytest.fixture
def events(stored) -> dict[str, Any]:
    return copy.deepcopy(stored[0])


@pytest.fixture
def crossings(stored) -> dict[str, Any]:
    return copy.deepcopy(stored[1])


def _props(collection: dict[str, Any], fid: str) -> dict[str, Any]:
    return next(f["properties"] for f in collection["features"] if f["properties"]["id"] == fid)


def _change(status: str, since: str, precision: str = "month") -> dict[str, Any]:
    return {"status": status, "since": since, "precision": precision}


def test_every_route_and_crossing_history_agrees_with_the_events_that_name_them(stored):
    conflicts = dataset_conflicts(*stored)
    assert not conflicts, "\n".join(conflict.message for conflict in conflicts)


def test_the_check_holds_every_route_and_crossing_against_some_event(stored):
    events, crossings = stored
    holders = [*route_holders(events), *crossing_holders(crossings)]
    assert {h.id for h in holders if h.kind == "route"} >= {RAIL, RASON}
    assert len([h for h in holders if h.kind == "crossing"]) == len(crossings["features"])
    # With every history emptied, each one disagrees with at least the closure: none escapes the check.
    silent = [h for h in holders if not history_conflicts([dataclasses.replace(h, history=[])], events)]
    assert not silent, [h.id for h in silent]


def test_the_old_dandong_rail_history_fails_naming_the_route_its_status_and_each_restart(events, crossings):
    _props(events, RAIL)["status_history"] = [_change("closed", "2020-01-01"),
                                              _change("partially_resumed", "2022-12-01", "season")]
    messages = [c.message for c in dataset_conflicts(events, crossings) if c.holder == RAIL]
    restarts = ("rail-freight-resumption-dandong-sinuiju-2021-11", "rail-freight-resumption-dandong-sinuiju-2022-01",
                "rail-freight-resumption-dandong-sinuiju-2022-09")
    for restart in restarts:
        [message] = [m for m in messages if restart in m]
        assert message.startswith(f"The route 'Train operations with China partly resumed (Dandong–Sinuiju)' ({RAIL}) "
                                  "is closed")
        assert message.endswith("says it ran again.")
    assert ("is closed from 2022-01-16 to 2022-01-17, but the rail freight resumption event "
            "rail-freight-resumption-dandong-sinuiju-2022-01 (from 2022-01-16 to 2022-01-17)") in " ".join(messages)


def test_a_suspension_the_history_leaves_out_is_caught(events, crossings):
    rail = _props(events, RAIL)
    rail["status_history"] = [c for c in rail["status_history"] if c["since"] != "2022-04-29"]
    [conflict] = [c for c in dataset_conflicts(events, crossings) if c.holder == RAIL]
    assert conflict.event == "rail-freight-suspension-dandong-sinuiju-2022-04"
    assert conflict.status == "partially_resumed"
    assert "is partially resumed from 2022-04-29 to 2022-05-01" in conflict.message
    assert conflict.message.endswith("says it was closed.")


def test_a_resumption_known_only_by_its_first_report_is_held_at_that_report(events, crossings):
    """Nikkei Asia reported the Rason–Hunchun trucks on 16 February 2023: a history resuming on the 23rd (the
    founding article's day) is a week late."""
    _props(events, RASON)["status_history"][-1]["since"] = "2023-02-23"
    late = {c.event: c.message for c in dataset_conflicts(events, crossings) if c.holder == RASON}
    assert set(late) == {RASON, "customs-hunchun-reactivated"}
    assert "is closed on 2023-02-16" in late["customs-hunchun-reactivated"]


def test_a_crossing_left_closed_after_its_exports_resumed_fails(events, crossings):
    _props(crossings, "changbai-hyesan")["status_history"][1:] = []
    [conflict] = [c for c in dataset_conflicts(events, crossings) if c.holder == "changbai-hyesan"]
    assert conflict.event == "road-freight-hyesan-exports-resume-2025-01" and conflict.status == "closed"
    assert conflict.message.startswith("The crossing 'Changbai–Hyesan International Bridge' (changbai-hyesan) is "
                                       "closed from 2025-01-01 to 2025-01-15")


def test_a_rail_freight_suspension_says_nothing_of_a_crossing_but_the_border_closure_does(events, crossings):
    """The Friendship Bridge carries trucks and passenger trains too: the trains' halt alone does not close it."""
    bridge = _props(crossings, "dandong-sinuiju-friendship-bridge")
    bridge["status_history"] = [c for c in bridge["status_history"] if c["since"] != "2022-04-29"]
    assert not [c for c in dataset_conflicts(events, crossings) if c.holder == bridge["id"]]
    bridge["status_history"][0]["status"] = "partially_resumed"
    [conflict] = [c for c in dataset_conflicts(events, crossings) if c.holder == bridge["id"]]
    assert conflict.event == "border-closure-2020-01" and conflict.status == "partially_resumed"
    assert conflict.message.endswith("says it was closed.")


def test_a_road_event_naming_only_a_town_with_two_road_crossings_names_neither(events, crossings):
    limited_trucks = "road-freight-dandong-limited-trucks-2021-06"  # at "Dandong", by truck
    assert not [c for c in dataset_conflicts(events, crossings) if c.event == limited_trucks and c.holder ==
                "dandong-sinuiju-new-yalu-river-bridge"]  # never opened, and not named
    _props(crossings, "dandong-sinuiju-friendship-bridge")["kind"] = "rail"  # now the only road bridge there
    named = [c for c in dataset_conflicts(events, crossings) if c.event == limited_trucks]
    assert [c.holder for c in named] == ["dandong-sinuiju-new-yalu-river-bridge"]


def test_the_closure_is_every_routes_and_crossings_first_status_not_a_route_of_its_own(stored):
    events, crossings = stored
    closure = _props(events, "border-closure-2020-01")
    assert not closure.get("status_history") and not closure.get("status")
    assert closure["sources"] and closure["date_start"] == "2020-01-01"
    for holder in [*route_holders(events), *crossing_holders(crossings)]:
        assert status_on(holder.history, "2020-01-31") == "closed", holder.id
    assert "border-closure-2020-01" not in {h.id for h in route_holders(events)}


def test_an_events_span_runs_from_its_earliest_to_its_latest_day_or_its_first_report():
    assert event_span({"date_start": "2022-04-29", "date_end": "2022-05-01"}) == (dt.date(2022, 4, 29),
                                                                                   dt.date(2022, 5, 1))
    assert event_span({"date_start": "2026-03-12"}) == (dt.date(2026, 3, 12),) * 2
    by = {"date_end": "2023-02-23", "sources": [{"published": "2023-02-23"}, {"published": "2023-02-16"}]}
    assert event_span(by) == (dt.date(2023, 2, 16),) * 2
    earlier_than_its_report = {"date_end": "2023-02-10", "sources": [{"published": "2023-02-16"}]}
    assert event_span(earlier_than_its_report) == (dt.date(2023, 2, 10),) * 2
    assert event_span({"sources": []}) is None


def test_the_statuses_during_a_span_include_every_change_within_it():
    history = [_change("closed", "2020-01-01"), _change("partially_resumed", "2021-11-01", "day"),
               _change("closed", "2021-11-05", "day")]
    assert statuses_during(history, dt.date(2021, 11, 1), dt.date(2021, 11, 8)) == ["partially_resumed", "closed"]
    assert statuses_during(history, dt.date(2021, 10, 1), dt.date(2021, 10, 31)) == ["closed"]
    assert statuses_during(history, dt.date(2019, 12, 1), dt.date(2020, 1, 2)) == ["none", "closed"]
