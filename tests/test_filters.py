"""Filters return exactly the rows a user asked for, and compose."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd

from geo.view.filters import (
    Filters,
    apply_filters,
    by_date_range,
    by_event_types,
    by_layers,
    by_text,
    date_bounds,
    located,
    unlocated,
)
from tests.conftest import EVENTS_PATH


def properties() -> list[dict]:
    """Every event's properties as written in the file (read without the code under test)."""
    return [f["properties"] for f in json.loads(EVENTS_PATH.read_text(encoding="utf-8"))["features"]]


def test_layer_filter_keeps_only_the_chosen_layers(events):
    shown = by_layers(events, ["worker_locations"])
    expected = {p["id"] for p in properties() if p["layer"] == "worker_locations"}
    assert set(shown["id"]) == expected and 0 < len(expected) < len(events)
    assert {"workers-tumen-economic-development-zone", "workers-shanghai-garment-factory"} <= expected


def test_event_type_filter_keeps_only_the_chosen_types(events):
    shown = by_event_types(events, ["defection", "disappearance"])
    assert set(shown["event_type"]) == {"defection", "disappearance"} and len(shown) == 2


def test_no_chosen_types_shows_nothing(events):
    assert by_event_types(events, []).empty


def test_date_range_keeps_events_whose_possible_dates_overlap(events):
    shown = by_date_range(events, dt.date(2022, 2, 10), dt.date(2022, 2, 20), include_undated=False)
    ids = set(shown["id"])
    assert "disappearance-shanghai-garment-workers-2022-02" in ids
    assert "surveillance-state-security-department" in ids  # spans 2020-01 .. 2023-02
    assert "border-closure-2020-01" not in ids  # January 2020 only
    assert "rail-freight-dandong-sinuiju-partial-resumption" not in ids  # from winter 2022-23


def test_an_event_known_only_to_precede_a_date_matches_earlier_ranges(events):
    shown = by_date_range(events, dt.date(2021, 1, 1), dt.date(2021, 1, 31))
    assert "workers-tumen-economic-development-zone" in set(shown["id"])  # on or before 2023-02-23
    later = by_date_range(events, dt.date(2023, 3, 1), None)
    assert "workers-tumen-economic-development-zone" not in set(later["id"])


def test_no_date_bounds_keeps_everything(events):
    assert len(by_date_range(events)) == len(events)


def test_text_search_is_case_insensitive_and_needs_every_word(events):
    assert set(by_text(events, "SHANGHAI garment")["id"]) == {
        "workers-shanghai-garment-factory", "disappearance-shanghai-garment-workers-2022-02"}
    assert by_text(events, "shanghai zebra").empty
    assert len(by_text(events, "   ")) == len(events)


def test_text_search_reaches_the_place_as_written_in_the_article(events):
    assert set(by_text(events, "duman")["id"]) == {"workers-tumen-economic-development-zone"}


def test_filters_compose_and_split_into_located_and_unlocated(events):
    shown = apply_filters(events, Filters(layers=("incidents",), since=dt.date(2022, 1, 1)))
    assert set(shown["layer"]) == {"incidents"}
    assert len(located(shown)) + len(unlocated(shown)) == len(shown)
    features = json.loads(EVENTS_PATH.read_text(encoding="utf-8"))["features"]
    # Incidents that may still be going on on 2022-01-01 (no latest day, or one on or after it); an event with
    # no date at all is kept (include_undated is on by default).
    expected = [f for f in features if f["properties"]["layer"] == "incidents"
                and (f["properties"].get("date_end") or "9999-12-31") >= "2022-01-01"]
    assert set(shown["id"]) == {f["properties"]["id"] for f in expected}
    assert set(located(shown)["id"]) == {f["properties"]["id"] for f in expected if f["geometry"]}
    assert set(unlocated(shown)["id"]) == {f["properties"]["id"] for f in expected if not f["geometry"]}
    assert "disappearance-shanghai-garment-workers-2022-02" in located(shown).index
    assert "repatriation-dandong-sinuiju-2021-07-14" not in shown.index  # an incident before 2022


def test_date_bounds_span_the_dataset(events):
    dates = [p[key] for p in properties() for key in ("date_start", "date_end") if p.get(key)]
    assert date_bounds(events) == (dt.date.fromisoformat(min(dates)), dt.date.fromisoformat(max(dates)))
    assert date_bounds(events)[0] == dt.date(2020, 1, 1)  # the border closure of January 2020 comes first


def test_the_border_distance_filter_keeps_located_events_within_the_distance(events):
    from geo.reference.crossings import load_crossings
    from geo.reference.geography import load_geography, with_analysis

    enriched = with_analysis(events, load_geography(load_crossings()))
    near = apply_filters(enriched, Filters(max_border_km=10))
    assert "workers-tumen-economic-development-zone" in near.index  # 0.9 km
    assert "customs-hunchun-reactivated" in near.index  # 8.2 km
    assert "disappearance-shanghai-garment-workers-2022-02" not in near.index  # ~1,000 km
    assert near.geometry.notna().all()  # no distance is known for unlocated events


def test_searching_text_when_other_filters_left_no_events_gives_no_events_not_an_error(events):
    from geo.view.filters import by_text

    assert by_text(events.iloc[:0], "Sinuiju").empty


def plain_haystack(row) -> str:
    """What text search looks in, built the obvious way from one row (as by_text always has)."""
    from geo.view.filters import SEARCHED_COLUMNS

    fields = [str(row[c]) if row[c] is not None else "" for c in SEARCHED_COLUMNS]
    sources = " ".join(f"{s['publisher']} {s['title']}" for s in row["sources"] or [])
    return (" ".join(fields) + " " + sources).casefold()


def test_the_search_text_column_is_the_casefolded_event_and_sources_text(events):
    from geo.view.filters import search_text

    assert list(search_text(events)) == [plain_haystack(row) for _, row in events.iterrows()]
    assert search_text(events.iloc[:0]).empty


QUERIES = ("shanghai garment", "SINUIJU", "rail freight", "duman", "reuters", "daily nk", "zebra", "  ", "2022")


def test_text_search_gives_the_same_rows_with_or_without_the_search_text_column(events):
    from geo.io.prepared import with_derived

    derived = with_derived(events)
    for query in QUERIES:
        words = query.casefold().split()
        expected = [i for i, row in events.iterrows() if all(w in plain_haystack(row) for w in words)]
        assert list(by_text(events, query).index) == expected, query
        assert list(by_text(derived, query).index) == expected, query


def test_corroboration_gives_the_same_rows_with_or_without_the_independent_sources_column(events):
    from geo.events.evidence import independent_witnesses
    from geo.io.prepared import with_derived
    from geo.view.filters import by_corroboration

    expected = [i for i, sources in events["sources"].items() if independent_witnesses(sources) >= 2]
    assert 0 < len(expected) < len(events)
    assert list(by_corroboration(events).index) == expected
    assert list(by_corroboration(with_derived(events)).index) == expected


def test_apply_filters_keeps_the_rows_of_every_filter_applied_in_turn(events):
    from geo.io.prepared import with_derived
    from geo.reference.crossings import load_crossings
    from geo.reference.geography import load_geography, with_analysis
    from geo.view.filters import by_border_distance, by_corroboration

    enriched = with_analysis(events, load_geography(load_crossings()))
    choices = [Filters(), Filters(layers=("trade_routes",), since=dt.date(2021, 1, 1)),
               Filters(event_types=("repatriation", "defection"), include_undated=False),
               Filters(until=dt.date(2021, 12, 31), corroborated_only=True, text="dandong"),
               Filters(max_border_km=5, text="rail", since=dt.date(2022, 1, 1), until=dt.date(2022, 12, 31)),
               Filters(layers=(), text="rail")]
    for filters in choices:
        step = enriched
        if filters.layers is not None:
            step = by_layers(step, filters.layers)
        if filters.event_types is not None:
            step = by_event_types(step, filters.event_types)
        step = by_date_range(step, filters.since, filters.until, filters.include_undated)
        if filters.corroborated_only:
            step = by_corroboration(step)
        if filters.max_border_km is not None:
            step = by_border_distance(step, filters.max_border_km)
        step = by_text(step, filters.text)
        assert list(apply_filters(enriched, filters).index) == list(step.index), filters
        assert list(apply_filters(with_derived(enriched), filters).index) == list(step.index), filters


def test_the_date_filter_equals_the_plain_text_comparison_on_synthetic_events():
    from geo.events.dataset import frame_from_collection
    from perf.bench import synthetic_collection

    frame = frame_from_collection(synthetic_collection(3_000))
    frame.loc[frame.index[5:40], "date_start"] = None  # known only to end by a date
    frame.loc[frame.index[30:60], "date_end"] = None  # open-ended; 30..39 have no date at all
    for since, until in [(dt.date(2020, 1, 1), dt.date(2023, 12, 31)), (None, dt.date(2021, 6, 30)),
                         (dt.date(2022, 3, 1), None), (dt.date(2024, 12, 31), dt.date(2024, 12, 31))]:
        for include_undated in (True, False):
            start, end = frame["date_start"], frame["date_end"]
            keep = pd.Series(True, index=frame.index)
            if until is not None:
                keep &= start.fillna("0000-01-01") <= until.isoformat()
            if since is not None:
                keep &= end.fillna("9999-12-31") >= since.isoformat()
            undated = start.isna() & end.isna()
            keep = (keep & ~undated) | (undated & include_undated)
            shown = by_date_range(frame, since, until, include_undated)
            assert list(shown.index) == list(frame.index[keep]), (since, until, include_undated)


def test_a_filter_that_keeps_everything_gives_a_frame_whose_changes_do_not_reach_the_original(events):
    shown = apply_filters(events, Filters())
    assert list(shown.index) == list(events.index) and shown is not events
    shown["title"] = "changed"
    assert (events["title"] != "changed").all()


def test_an_event_at_several_crossings_is_as_far_from_the_border_as_its_nearest_point(events):
    import geopandas as gpd

    from geo.reference.crossings import load_crossings
    from geo.reference.geography import load_geography, with_analysis

    geography = load_geography(load_crossings())
    enriched = with_analysis(events, geography)
    event = "repatriation-mass-2023-10-09"
    points = gpd.GeoDataFrame(geometry=list(events.geometry[event].geoms), crs=events.crs)
    each = with_analysis(points.assign(place="", country=None), geography)["distance_to_border_km"].astype(float)
    assert each.max() > each.min()  # the points are not all as near
    assert float(enriched.loc[event, "distance_to_border_km"]) == each.min()
    assert event in apply_filters(enriched, Filters(max_border_km=each.min() + 0.01)).index
