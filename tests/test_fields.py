"""Each part of the view is defined once, in geo.view.fields, and the link, the widgets and the flags follow it."""

from __future__ import annotations

import dataclasses
import datetime as dt

from geo.view.fields import BORDER_CHOICES, DATES_KEY, FIELD, FIELDS, KEEP, KEYS, MAX_TEXT, Reading, controls
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


def test_only_since_and_until_share_a_control_the_date_range():
    shared: dict[str, list] = {}
    for field in FIELDS:
        if field.control:
            shared.setdefault(field.session, []).append((field.slot, field.name))
    assert shared.pop(DATES_KEY) == [(0, "since"), (1, "until")]
    assert all(len(names) == 1 for names in shared.values())


def test_each_field_reads_back_what_it_writes():
    samples = {"layers": ("incidents",), "event_types": ("defection", "escape"), "since": dt.date(2021, 5, 1),
               "until": dt.date(2022, 5, 1), "text": "Hunchun", "include_undated": False, "corroborated_only": True,
               "max_border_km": 7.5, "as_of": dt.date(2022, 2, 28), "selected": "some-event", "version": "0a1b2c3d"}
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
    assert [f.control.kind for f in sidebar] == ["layer checkboxes", "multiselect", "date range", "checkbox",
                                                 "checkbox", "choice slider", "text"]
    assert [f.session for f in sidebar] == ["layers", "types", DATES_KEY, "undated", "corroborated", "border", "q"]
    dates, search = sidebar[2].control, sidebar[-1].control
    assert dates.label == "Dates (events overlapping this range)" and dates.format == "YYYY-MM-DD"
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
