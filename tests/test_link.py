"""A link reproduces the view; unknown or stale values are ignored with a notice."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from geo.view import link
from geo.view.link import View, dataset_view, default_view, encode, parse

LAYERS = ["trade_routes", "worker_locations", "incidents"]
TYPES = ["border_closure", "defection", "disappearance"]
BOUNDS = (dt.date(2020, 1, 1), dt.date(2023, 3, 31))
DEFAULT = default_view(LAYERS, TYPES, BOUNDS)
IDS = ["a", "b"]


def test_the_default_view_encodes_to_an_empty_query():
    assert encode(DEFAULT, DEFAULT) == {}


def test_a_view_survives_the_round_trip_through_the_url():
    view = View(replace(DEFAULT.filters, layers=("incidents",), event_types=("defection", "disappearance"),
                        since=dt.date(2022, 1, 1), until=dt.date(2022, 12, 31), text="Shanghai",
                        include_undated=False, corroborated_only=True),
                as_of=dt.date(2022, 6, 30), selected="b")
    params = encode(view, DEFAULT)
    assert params["types"] == "defection,disappearance" and params["q"] == "Shanghai"
    again, notices = parse(params, DEFAULT, IDS)
    assert again == view and notices == []


def test_no_layers_or_types_chosen_is_kept_as_empty_not_as_all():
    view = View(replace(DEFAULT.filters, event_types=()))
    again, _ = parse(encode(view, DEFAULT), DEFAULT, IDS)
    assert again.filters.event_types == ()


def test_unknown_values_are_dropped_with_a_notice_each():
    view, notices = parse({"types": "defection,kidnap", "layers": "incidents,rumours", "zoom": "9"},
                          DEFAULT, IDS)
    assert view.filters.event_types == ("defection",) and view.filters.layers == ("incidents",)
    assert len(notices) == 3
    assert any("kidnap" in n for n in notices) and any("rumours" in n for n in notices)
    assert any("'zoom'" in n for n in notices)


def test_a_link_crammed_with_unknown_names_and_parameters_gets_a_few_notices_and_a_count_of_the_rest():
    crammed = {"types": ",".join(f"type{n}" for n in range(50_000)) + ",defection",
               **{f"p{n}": "1" for n in range(5_000)}}
    view, notices = parse(crammed, DEFAULT, IDS)
    assert view.filters.event_types == ("defection",)
    assert len(notices) == link.MAX_NOTICES
    assert notices[-1] == f"… and {55_000 - link.MAX_NOTICES + 1:,} more of the link's values ignored."


def test_bad_or_stale_dates_and_ids_are_ignored_or_clamped_with_notices():
    view, notices = parse({"since": "yesterday", "until": "2031-01-01", "asof": "2019-01-01", "event": "gone",
                           "undated": "maybe"}, DEFAULT, IDS)
    assert view.filters.since == BOUNDS[0] and view.filters.until == BOUNDS[1]
    assert view.as_of == BOUNDS[0] and view.selected is None and view.filters.include_undated
    assert len(notices) == 5


def test_since_after_until_falls_back_to_the_whole_range():
    view, notices = parse({"since": "2023-01-01", "until": "2022-01-01"}, DEFAULT, IDS)
    assert (view.filters.since, view.filters.until) == BOUNDS and len(notices) == 1


def test_a_link_naming_only_unknown_types_shows_everything_not_nothing():
    view, notices = parse({"types": "kidnap,ransom"}, DEFAULT, IDS)
    assert view.filters.event_types == DEFAULT.filters.event_types and len(notices) == 2


def test_the_border_distance_round_trips_and_a_bad_one_is_ignored():
    from geo.view.link import snap_to_choice

    view = View(replace(DEFAULT.filters, max_border_km=25.0))
    assert encode(view, DEFAULT) == {"border": "25"}
    assert parse({"border": "25"}, DEFAULT, IDS)[0] == view
    ignored, notices = parse({"border": "-3"}, DEFAULT, IDS)
    assert ignored.filters.max_border_km is None and len(notices) == 1
    assert snap_to_choice(7, [1, 5, 10, None]) == 10 and snap_to_choice(None, [1, 5, None]) is None


def test_a_link_carries_the_dataset_version_and_a_malformed_one_is_ignored_with_a_notice():
    view = replace(DEFAULT, version="0a1b2c3d")
    params = encode(view, DEFAULT)
    assert params == {"v": "0a1b2c3d"}  # carried even when everything else is the default
    assert parse(params, DEFAULT, IDS) == (view, [])
    again, notices = parse({"v": "[x](http://example.org)"}, DEFAULT, IDS)
    assert again.version is None and notices == ["Ignored dataset version '[x](http://example.org)' in the "
                                                 "link: expected hex digits."]


def test_each_part_of_the_view_has_one_name_in_the_url_the_widgets_and_the_cache_key():
    from geo.view.link import KEYS, PARAMS, cache_key, layer_key, view_from_state, widget_state

    layers = list(DEFAULT.filters.layers)
    view = View(replace(DEFAULT.filters, layers=tuple(layers[:1]), event_types=("defection",), text="Hunchun",
                        corroborated_only=True, max_border_km=25.0), as_of=dt.date(2022, 2, 28),
                selected="some-event")
    state = {**widget_state(view, layers), KEYS["selected"]: view.selected}
    assert state[layer_key(layers[0])] is True and state[KEYS["text"]] == "Hunchun"
    assert view_from_state(state, layers) == view  # the widgets give back exactly the view they were set from
    params = encode(view, DEFAULT)
    assert set(params) <= set(PARAMS) and params[KEYS["text"]] == "Hunchun" and params[KEYS["selected"]] == "some-event"
    assert cache_key(view.filters) == cache_key(replace(view.filters)) != cache_key(DEFAULT.filters)
    assert cache_key(view.filters, view.as_of) != cache_key(view.filters)


def test_a_crafted_client_cannot_send_a_search_longer_than_the_limit():
    from geo.view.link import KEYS, MAX_TEXT, view_from_state, widget_state

    state = {**widget_state(DEFAULT, list(DEFAULT.filters.layers)), KEYS["text"]: "x" * 5000}
    assert len(view_from_state(state, list(DEFAULT.filters.layers)).filters.text) == MAX_TEXT


def test_the_widget_keys_are_every_key_widget_state_sets(events):
    view = dataset_view(events, LAYERS)
    assert set(link.widget_keys(LAYERS)) == set(link.widget_state(view, LAYERS))


def test_a_linked_distance_sets_the_border_widget_to_the_nearest_choice_it_offers_at_or_above():
    from geo.view.link import KEYS, widget_state

    view, _ = parse({"border": "7"}, DEFAULT, IDS)
    assert view.filters.max_border_km == 7  # the link's own value, as the filters apply it
    assert widget_state(view, list(DEFAULT.filters.layers))[KEYS["max_border_km"]] == 10


def test_the_map_position_round_trips_through_the_link_and_the_default_leaves_it_out():
    from geo.view.link import MapView

    view = replace(DEFAULT, map_view=MapView(40.1, 124.4, 8))
    params = encode(view, DEFAULT)
    assert params == {"map": "40.1,124.4,8"}
    assert parse(params, DEFAULT, IDS) == (view, [])
    assert "map" not in encode(DEFAULT, DEFAULT) and parse({}, DEFAULT, IDS)[0].map_view is None


def test_a_malformed_map_position_keeps_the_opening_view_and_the_rest_of_the_link():
    view, notices = parse({"map": "40.1,124.4", "types": "defection"}, DEFAULT, IDS)
    assert view.map_view is None and view.filters.event_types == ("defection",)
    assert notices == ["Ignored 'map' '40.1,124.4' in the link: expected latitude,longitude,zoom (e.g. 40.1,124.4,8)."]


def test_the_map_position_is_no_part_of_the_cache_key_nor_of_the_widgets():
    from geo.view.link import MapView, cache_key, view_from_state, widget_state

    view = replace(DEFAULT, map_view=MapView(40.1, 124.4, 8))
    assert cache_key(view.filters) == cache_key(DEFAULT.filters)
    assert "map" not in widget_state(view, LAYERS)
    assert view_from_state(widget_state(view, LAYERS), LAYERS).map_view is None


def test_the_map_position_is_read_from_what_the_map_returned():
    from geo.view.link import MapView, map_view_from

    returned = {"center": {"lat": 40.123456, "lng": 484.3}, "zoom": 8, "last_object_clicked_tooltip": None}
    assert map_view_from(returned) == MapView(40.1235, 124.3, 8)
    assert map_view_from(None) is None and map_view_from({}) is None
    assert map_view_from({"center": None, "zoom": None}) is None
    assert map_view_from({"center": {"lat": "nan", "lng": 1}, "zoom": 5}) is None


def test_old_links_with_since_and_until_open_the_same_dates_in_the_from_and_to_fields():
    from geo.view.link import KEYS, widget_state

    view, notices = parse({"since": "2022-01-01", "until": "2022-12-31"}, DEFAULT, IDS)
    assert notices == [] and (view.filters.since, view.filters.until) == (dt.date(2022, 1, 1), dt.date(2022, 12, 31))
    state = widget_state(view, LAYERS)
    assert (state[KEYS["since"]], state[KEYS["until"]]) == (dt.date(2022, 1, 1), dt.date(2022, 12, 31))
    assert (KEYS["since"], KEYS["until"]) == ("since", "until")


def test_a_from_date_after_the_to_date_filters_the_range_between_them_and_says_so_in_one_line():
    from geo.view.link import date_order_notice, view_from_state, widget_state

    state = {**widget_state(DEFAULT, LAYERS), "since": dt.date(2022, 12, 31), "until": dt.date(2022, 1, 1)}
    filters = view_from_state(state, LAYERS).filters
    assert (filters.since, filters.until) == (dt.date(2022, 1, 1), dt.date(2022, 12, 31))
    assert date_order_notice(state) == ("“From” (31 December 2022) is after “To” (1 January 2022): showing events "
                                        "from 1 January 2022 to 31 December 2022.")
    assert date_order_notice(widget_state(DEFAULT, LAYERS)) is None


def test_an_emptied_date_field_filters_nothing_on_that_side():
    from geo.view.link import date_order_notice, view_from_state, widget_state

    state = {**widget_state(DEFAULT, LAYERS), "since": None}
    view = view_from_state(state, LAYERS)
    assert view.filters.since is None and view.filters.until == BOUNDS[1] and date_order_notice(state) is None
    assert "since" not in encode(view, DEFAULT)
