"""Each part of the view is defined once, in geo.view.fields, and the link, the widgets and the flags follow it."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from geo.view.fields import (
    BORDER_CHOICES,
    FIELD,
    FIELDS,
    KEEP,
    KEYS,
    MAX_TEXT,
    MapView,
    Reading,
    bounded_map_view,
    controls,
)
from geo.view.filters import Filters
from geo.view.link import View

BOUNDS = (dt.date(2020, 1, 1), dt.date(2023, 3, 31))


def test_every_part_of_the_view_has_exactly_one_row_in_the_table():
    view_parts = [f.name for f in dataclasses.fields(Filters)] + [f.name for f in dataclasses.fields(View)
                                                                   if f.name != "filters"]
    assert sorted(field.name for field in FIELDS) == sorted(view_parts)
    assert all(field.part == ("filters" if field.name in Filters.__dataclass_fields__ else "view") for field in FIELDS)


def test_each_field_has_its_own_link_parameter_and_keys_is_read_from_the_table():
    assert len({field.url for field in FIELDS}) == len(FIELDS)
    assert KEYS == {field.name: field.url for field in FIELDS}


def test_every_control_sets_one_field_under_its_link_parameter():
    with_controls = [field for field in FIELDS if field.control]
    assert [field.session for field in with_controls] == [field.url for field in with_controls]
    assert len({field.control for field in with_controls}) == len(with_controls)


def test_the_date_range_is_two_typed_date_fields_from_and_to():
    since, until = FIELD["since"].control, FIELD["until"].control
    assert (since.kind, since.label, until.kind, until.label) == ("date", "From", "date", "To")
    assert since.format == until.format == "YYYY-MM-DD"
    assert "calendar steps by month" in since.help and "YYYY-MM-DD" in until.help


def test_each_field_reads_back_what_it_writes():
    samples = {"layers": ("incidents",), "event_types": ("defection", "escape"), "since": dt.date(2021, 5, 1),
               "until": dt.date(2022, 5, 1), "text": "Hunchun", "include_undated": False, "corroborated_only": True,
               "max_border_km": 7.5, "as_of": dt.date(2022, 2, 28), "selected": "some-event", "version": "0a1b2c3d",
               "map_view": MapView(40.1, -124.4567, 8)}
    allowed = {"layers": ("trade_routes", "incidents"), "event_types": ("defection", "escape")}
    for field in FIELDS:
        reading = Reading(BOUNDS, ["some-event"], [])
        value = samples[field.name]
        assert field.read(field.write(value), allowed.get(field.name), reading) == value, field.name
        assert reading.notices == [], field.name


def test_a_value_a_field_cannot_read_is_kept_at_the_default_with_a_notice_naming_the_parameter():
    reading = Reading(BOUNDS, [], [])
    assert FIELD["corroborated_only"].read("maybe", False, reading) is KEEP
    assert reading.notices == ["Ignored 'corroborated' 'maybe' in the link: expected 1 or 0."]
    assert FIELD["text"].read("x" * 5000, "", reading) == "x" * MAX_TEXT


def test_the_sidebar_shows_its_controls_in_the_dashboards_order_with_the_dashboards_words():
    sidebar = controls("sidebar")
    assert [f.control.kind for f in sidebar] == ["layer checkboxes", "multiselect", "date", "date", "checkbox",
                                                 "checkbox", "choice slider", "text"]
    assert [f.session for f in sidebar] == ["layers", "types", "since", "until", "undated", "corroborated", "border",
                                            "q"]
    search = sidebar[-1].control
    assert search.max_chars == MAX_TEXT and search.placeholder == "e.g. Hunchun, defection, Shanghai"
    assert [f.session for f in controls("timeline")] == ["asof"]
    assert [f.session for f in controls("details")] == ["event"]


def test_the_border_control_offers_its_choices_and_snaps_a_linked_distance_onto_one():
    border = FIELD["max_border_km"].control
    assert border.choices == BORDER_CHOICES and border.choices[-1] is None
    assert [border.choice_label(km) for km in (25, None)] == ["25 km", "any distance"]
    assert border.snap(7.5) == 10 and border.snap(None) is None and border.snap(10_000) is None


def test_the_command_line_flags_are_the_filters_with_one():
    flags = {field.name: field.flag for field in FIELDS if field.flag}
    assert [flag.name for flag in flags.values()] == ["--layer", "--event-type", "--since", "--until"]
    assert flags["event_types"].dest == "event_type" and flags["layers"].repeat and flags["since"].type == "date"


def test_the_map_view_reads_latitude_longitude_and_zoom_and_is_absent_by_default():
    field = FIELD["map_view"]
    assert field.url == "map" and field.default is None and field.control is None and field.write(None) is None
    reading = Reading(BOUNDS, [], [])
    assert field.read("40.10,124.40,8", None, reading) == MapView(40.1, 124.4, 8) and reading.notices == []
    assert field.write(MapView(40.1, 124.4, 8)) == "40.1,124.4,8"
    assert field.write(MapView(-0.0, 0.5, 3)) == "0,0.5,3"
    assert field.read("40.123456789,124.98765,8", None, reading) == MapView(40.1235, 124.9877, 8)


@pytest.mark.parametrize("raw", ["", "40.1,124.4", "40.1;124.4;8", "north,east,8", "40.1,124.4,8,9", "nan,1,8",
                                 "40.1,124.4,-8", "1e308,1,8", "40.1, 124.4, 8", "[x](http://example.org)"])
def test_a_malformed_map_view_is_ignored_with_one_notice(raw):
    reading = Reading(BOUNDS, [], [])
    assert FIELD["map_view"].read(raw, None, reading) is KEEP
    assert len(reading.notices) == 1 and reading.notices[0].startswith("Ignored 'map' ")
    assert "latitude,longitude,zoom" in reading.notices[0]


def test_a_map_view_outside_the_map_is_brought_within_it_with_a_notice():
    reading = Reading(BOUNDS, [], [])
    assert FIELD["map_view"].read("89.5,190,25", None, reading) == MapView(85.0, -170.0, 18)
    assert reading.notices == ["The link's map position 89.5,190,25 is outside what the map shows; using "
                               "85,-170,18."]
    assert FIELD["map_view"].read("10,20,1", None, reading) == MapView(10.0, 20.0, 3)


def test_a_hostile_map_view_is_read_in_bounded_time_and_quoted_short():
    hostile = ["1" * 5_000_000, "1," * 2_000_000, "-" * 3_000_000 + "1,1,8", "40." + "0" * 1_000_000 + "1,1,8"]
    for raw in hostile:
        reading = Reading(BOUNDS, [], [])
        assert FIELD["map_view"].read(raw, None, reading) is KEEP
        assert len(reading.notices[0]) < 200


def test_a_map_panned_round_the_world_is_wrapped_back_and_rounded():
    assert bounded_map_view(40.123456, 484.3, 8.4) == MapView(40.1235, 124.3, 8)
    assert bounded_map_view(-90, -190, 0) == MapView(-85.0, 170.0, 3)
    assert bounded_map_view(0, 180, 18) == MapView(0.0, 180.0, 18)
    with pytest.raises(ValueError):
        bounded_map_view(float("nan"), 0, 8)
