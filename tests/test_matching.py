"""A second report of an event already in the dataset is recognised as corroboration."""

from __future__ import annotations

import copy

from geo.ingest.matching import compatible, dates_overlap, find_match, km_between, mark_matches


def candidate(collection, event_id: str, **changes) -> dict:
    feature = copy.deepcopy(next(f for f in collection["features"] if f["properties"]["id"] == event_id))
    feature["properties"].update(id="candidate-x", **changes)
    return feature


def test_a_later_report_of_the_shanghai_disappearance_matches_it(collection):
    later = candidate(collection, "disappearance-shanghai-garment-workers-2022-02", event_type="defection",
                      date_start="2022-02-14", date_end="2022-02-20", date_precision="day")
    assert find_match(later, collection["features"]) == "disappearance-shanghai-garment-workers-2022-02"


def test_another_place_another_time_or_another_kind_of_event_does_not_match(collection):
    base = "disappearance-shanghai-garment-workers-2022-02"
    elsewhere = candidate(collection, base, place="Dandong",
                          **{"date_start": "2022-02-10", "date_end": "2022-02-10"})
    elsewhere["geometry"] = {"type": "Point", "coordinates": [124.39, 40.13]}
    assert find_match(elsewhere, collection["features"]) is None
    later = candidate(collection, base, date_start="2024-06-01", date_end="2024-06-30")
    assert find_match(later, collection["features"]) is None
    unrelated = candidate(collection, base, event_type="customs_reopening", layer="trade_routes")
    assert find_match(unrelated, collection["features"]) is None


def test_marking_sets_matches_only_on_candidates_that_report_an_existing_event(collection):
    found = {"type": "FeatureCollection", "features": [
        candidate(collection, "workers-shanghai-garment-factory"),
        candidate(collection, "disappearance-shanghai-garment-workers-2022-02", date_start="2025-01-01",
                  date_end="2025-01-31")]}
    found["features"][1]["properties"]["id"] = "candidate-y"
    assert mark_matches(found, collection["features"]) == 1
    assert found["features"][0]["properties"]["matches"] == "workers-shanghai-garment-factory"
    assert "matches" not in found["features"][1]["properties"]


def test_the_rules_behind_a_match():
    assert compatible("disappearance", "defection") and not compatible("defection", "flight_resumption")
    assert dates_overlap({"date_start": "2023-10-09", "date_end": "2023-10-09"},
                         {"date_start": "2023-10-13", "date_end": "2023-10-13"})  # within a week
    assert not dates_overlap({"date_start": "2023-10-09", "date_end": "2023-10-09"},
                             {"date_start": "2023-12-01", "date_end": "2023-12-01"})
    # "by 23 February 2023" is read as the 90 days before it, not as any time before
    assert dates_overlap({"date_end": "2023-02-23"}, {"date_start": "2022-12-01", "date_end": "2023-02-23"})
    assert not dates_overlap({"date_end": "2023-02-23"}, {"date_start": "2021-11-01", "date_end": "2021-11-08"})
    from pyproj import Geod

    dandong, hunchun = (124.39, 40.13), (130.36, 42.87)
    ellipsoidal = Geod(ellps="WGS84").inv(*dandong, *hunchun)[2] / 1000
    assert abs(km_between(dandong, hunchun) - ellipsoidal) < 0.005 * ellipsoidal


def test_a_pin_on_a_route_matches_the_route_and_not_an_older_event_at_the_same_town(collection):
    rail = candidate(collection, "rail-freight-dandong-sinuiju-partial-resumption", place="Dandong", via=[],
                     date_start=None, date_end="2023-02-23")
    rail["geometry"] = {"type": "Point", "coordinates": [124.3545, 40.1292]}
    older = candidate(collection, "rail-freight-dandong-sinuiju-partial-resumption", place="Dandong", via=[],
                      date_start="2021-11-01", date_end="2021-11-08")
    older["properties"]["id"] = "rail-freight-2021-11"
    older["geometry"] = rail["geometry"]
    assert find_match(rail, [*collection["features"], older]) == "rail-freight-dandong-sinuiju-partial-resumption"
