"""The validator names the file, the feature and the field for every kind of bad input."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.events.schema import EVENT_TYPES, LAYERS, validate_collection
from geo.io.events_file import validate_file


def lines(collection, name="bad.geojson") -> list[str]:
    return [str(p) for p in validate_collection(collection, name)]


def find(collection, event_id: str) -> dict:
    return next(f for f in collection["features"] if f["properties"]["id"] == event_id)


SHANGHAI = "disappearance-shanghai-garment-workers-2022-02"


def test_the_curated_dataset_has_no_problems(collection):
    assert lines(collection) == []


def test_a_file_that_is_not_json_is_reported_with_its_line_and_column(write_json):
    path = write_json('{"type": "FeatureCollection", "features": [', "truncated.geojson")
    [problem] = validate_file(path)
    assert problem.file.endswith("truncated.geojson") and problem.field == "file"
    assert "not valid JSON (line 1" in problem.message


def test_nan_is_rejected_as_invalid_json(write_json):
    path = write_json('{"type": "FeatureCollection", "features": [], "x": NaN}')
    [problem] = validate_file(path)
    assert "NaN is not allowed" in problem.message


def test_a_missing_file_is_a_problem_not_a_crash(tmp_path):
    [problem] = validate_file(tmp_path / "nope.geojson")
    assert "cannot read file" in problem.message


def test_a_bare_feature_instead_of_a_collection_is_wrong_structure(collection):
    assert lines(collection["features"][0]) == [
        "bad.geojson: type: expected 'FeatureCollection', got 'Feature'"
    ]


def test_features_that_are_not_a_list_are_reported(collection):
    collection["features"] = {"a": 1}
    assert lines(collection) == ["bad.geojson: features: expected a list of features"]


def test_a_crs_member_is_rejected(collection):
    collection["crs"] = {"type": "name", "properties": {"name": "EPSG:3857"}}
    assert "bad.geojson: crs: RFC 7946 GeoJSON has no 'crs' member" in lines(collection)[0]


def test_unknown_layer_names_feature_index_id_and_field(collection):
    find(collection, SHANGHAI)["properties"]["layer"] = "rumours"
    index = next(i for i, f in enumerate(collection["features"]) if f["properties"]["id"] == SHANGHAI)
    [line] = lines(collection)
    assert line.startswith(f"bad.geojson: feature {index} (id={SHANGHAI}): properties.layer: ")
    assert all(layer in line for layer in LAYERS)


def test_unknown_event_type_is_rejected_with_the_vocabulary(collection):
    find(collection, SHANGHAI)["properties"]["event_type"] = "kidnap"
    [line] = lines(collection)
    assert "properties.event_type" in line and "'defection'" in line
    assert "kidnap" not in EVENT_TYPES


def test_swapped_latitude_and_longitude_are_spotted(collection):
    feature = find(collection, SHANGHAI)
    lon, lat = feature["geometry"]["coordinates"]
    feature["geometry"]["coordinates"] = [lat, lon]
    [line] = lines(collection)
    assert "geometry.coordinates" in line and "look swapped" in line


def test_longitude_out_of_range_is_reported(collection):
    find(collection, SHANGHAI)["geometry"]["coordinates"] = [181.5, 31.2]
    [line] = lines(collection)
    assert "longitude 181.5 is out of range" in line


def test_a_line_vertex_out_of_range_names_its_position(collection):
    feature = find(collection, "road-freight-rason-hunchun-resumption")
    feature["geometry"]["coordinates"][1] = [130.5, 95.0]
    [line] = lines(collection)
    assert "geometry.coordinates[1]: latitude 95.0 is out of range" in line


def test_empty_coordinates_are_reported_on_the_geometry(collection):
    find(collection, SHANGHAI)["geometry"]["coordinates"] = []
    assert any("geometry.coordinates" in line for line in lines(collection))


def test_a_polygon_is_not_an_allowed_geometry(collection):
    find(collection, SHANGHAI)["geometry"] = {
        "type": "Polygon", "coordinates": [[[121, 31], [122, 31], [122, 32], [121, 31]]]}
    [line] = lines(collection)
    assert line.endswith(f"(id={SHANGHAI}): geometry: geometry must be a Point, MultiPoint, LineString, "
                         "MultiLineString or null, got 'Polygon'")


def test_lines_are_only_allowed_in_the_trade_routes_layer(collection):
    feature = find(collection, SHANGHAI)
    feature["geometry"] = {"type": "LineString", "coordinates": [[121, 31], [122, 31]]}
    [line] = lines(collection)
    assert "incidents features must be Points or MultiPoints, not LineString" in line


TWO_CROSSINGS = {"type": "MultiPoint", "coordinates": [[124.390579, 40.116438], [129.849444, 42.948889]]}


def test_a_multipoint_naming_each_of_its_crossings_is_valid(collection):
    props = find(collection, SHANGHAI)["properties"]
    find(collection, SHANGHAI)["geometry"] = copy.deepcopy(TWO_CROSSINGS)
    props.update(place="", crossings=["dandong-sinuiju-friendship-bridge", "tumen-namyang"])
    assert lines(collection) == []


@pytest.mark.parametrize(("coordinates", "expected"), [
    ([[124.39, 40.11]], "geometry.coordinates: MultiPoint coordinates must be a list of two or more different "
                        "[longitude, latitude] positions (a Point for one place), got [[124.39, 40.11]]"),
    ([[124.39, 40.11], [124.39, 40.11]], "geometry.coordinates: MultiPoint coordinates must be a list of two or "
                                         "more different"),
    ([124.39, 40.11], "geometry.coordinates: MultiPoint coordinates must be a list of two or more"),
    ([[124.39, 40.11], ["129.8", 42.9]], "geometry.coordinates: MultiPoint coordinates must be"),
    ([[124.39, 40.11], [[129.8, 42.9]]], "geometry.coordinates: MultiPoint coordinates must be"),
    ([], "geometry.coordinates: empty coordinates; a MultiPoint needs a list of two or more"),
    ([[124.39, 40.11], [42.9, 129.8]], "geometry.coordinates[1]: latitude 129.8 is out of range; longitude and "
                                       "latitude look swapped"),
])
def test_a_badly_shaped_multipoint_gives_one_line_naming_file_feature_and_field(collection, coordinates, expected):
    feature = find(collection, SHANGHAI)
    feature["geometry"] = {"type": "MultiPoint", "coordinates": coordinates}
    feature["properties"]["crossings"] = ["dandong-sinuiju-friendship-bridge", "tumen-namyang"]
    [line] = lines(collection)
    assert line.startswith(f"bad.geojson: feature 6 (id={SHANGHAI}): ")
    assert expected in line and "\n" not in line


@pytest.mark.parametrize(("crossings", "expected"), [
    ([], "properties.crossings: a MultiPoint needs the name of each of its points: crossings must list 2 "
         "crossing ids, one per point, got 0"),
    (["tumen-namyang", "tumen-namyang"], "properties.crossings: crossing 'tumen-namyang' is listed twice"),
    (["Tumen", "tumen-namyang"], "properties.crossings[0]: String should match pattern"),
])
def test_a_multipoint_must_name_each_point_once(collection, crossings, expected):
    feature = find(collection, SHANGHAI)
    feature["geometry"] = copy.deepcopy(TWO_CROSSINGS)
    feature["properties"]["crossings"] = crossings
    [line] = lines(collection)
    assert expected in line


def test_crossings_without_a_multipoint_are_reported(collection):
    find(collection, SHANGHAI)["properties"]["crossings"] = ["tumen-namyang"]
    [line] = lines(collection)
    assert "properties.crossings: crossings name the points of a MultiPoint; this geometry is a Point" in line


def test_a_trade_route_cannot_be_a_multipoint(collection):
    feature = next(f for f in collection["features"] if f["properties"]["layer"] == "trade_routes")
    feature["geometry"] = copy.deepcopy(TWO_CROSSINGS)
    feature["properties"]["crossings"] = ["dandong-sinuiju-friendship-bridge", "tumen-namyang"]
    [line] = lines(collection)
    assert "geometry: a trade route needs a LineString or MultiLineString, not a MultiPoint" in line


def test_end_before_start_is_reported_on_date_end(collection):
    props = find(collection, SHANGHAI)["properties"]
    props["date_start"], props["date_end"] = "2022-02-28", "2022-02-01"
    [line] = lines(collection)
    assert "properties.date_end: date_end 2022-02-01 is before date_start 2022-02-28" in line


def test_end_before_start_is_reported_even_alongside_other_errors(collection):
    props = find(collection, SHANGHAI)["properties"]
    props["date_start"], props["date_end"] = "2022-02-28", "2022-02-01"
    props["event_type"] = "kidnap"
    found = lines(collection)
    assert len(found) == 2 and any("is before date_start" in line for line in found)


def test_a_date_that_does_not_parse_names_the_field(collection):
    find(collection, SHANGHAI)["properties"]["date_start"] = "last February"
    [line] = lines(collection)
    assert "properties.date_start" in line


def test_missing_sources_are_rejected(collection):
    del find(collection, SHANGHAI)["properties"]["sources"]
    [line] = lines(collection)
    assert line.endswith("properties.sources: Field required")


def test_an_empty_source_list_is_rejected(collection):
    find(collection, SHANGHAI)["properties"]["sources"] = []
    [line] = lines(collection)
    assert line.endswith("properties.sources: at least one source is required")


def test_a_source_without_publisher_names_the_nested_field(collection):
    del find(collection, SHANGHAI)["properties"]["sources"][0]["publisher"]
    [line] = lines(collection)
    assert "properties.sources[0].publisher: Field required" in line


def test_duplicate_ids_name_the_first_use(collection):
    collection["features"][3]["properties"]["id"] = collection["features"][1]["properties"]["id"]
    found = lines(collection)
    assert any("feature 3" in line and "duplicate id, first used by feature 1" in line for line in found)


def test_an_inferred_date_must_say_how(collection):
    del find(collection, SHANGHAI)["properties"]["date_note"]
    [line] = lines(collection)
    assert "date_inferred is true: date_note must say how" in line


def test_a_located_point_needs_its_place_name(collection):
    find(collection, SHANGHAI)["properties"]["place"] = ""
    [line] = lines(collection)
    assert "a located point needs the name of its place" in line


def test_a_city_level_event_cannot_lack_geometry(collection):
    find(collection, SHANGHAI)["geometry"] = None
    [line] = lines(collection)
    assert "geometry is null but location_precision is 'city'" in line


def test_a_route_line_needs_a_status(collection):
    props = find(collection, "road-freight-rason-hunchun-resumption")["properties"]
    del props["status"], props["status_history"]
    [line] = lines(collection)
    assert "a route line needs a status" in line


def test_unknown_properties_are_rejected_so_typos_do_not_vanish(collection):
    find(collection, SHANGHAI)["properties"]["sumary"] = "typo"
    [line] = lines(collection)
    assert "properties.sumary: Extra inputs are not permitted" in line


def test_a_feature_that_is_not_an_object_is_reported(collection):
    appended_at = len(collection["features"])  # numbered from 0, so the new one's number is the old count
    collection["features"].append("oops")
    [line] = lines(collection)
    assert line.startswith(f"bad.geojson: feature {appended_at}: feature: expected a GeoJSON Feature object")


@pytest.mark.parametrize(("figure", "field", "says"), [
    ({"quantity": "people", "value": 5, "qualifier": "more than", "source": 1}, "figures[0].source",
     "only 1 sources"),
    ({"quantity": "people", "value": 9, "qualifier": "roughly", "source": 0}, "figures[0].qualifier", "about"),
    ({"quantity": "people", "value": 9, "value_max": 3, "source": 0}, "value_max", "below value 9"),
])
def test_a_figure_must_cite_one_of_the_events_sources_and_keep_a_known_qualifier(collection, figure, field, says):
    # An event with exactly one source (source 0), so figure source 1 points past its sources.
    target = next(f for f in collection["features"] if len(f["properties"]["sources"]) == 1)
    target["properties"]["figures"] = [figure]
    problems = [str(p) for p in validate_collection(collection, "f")]
    assert len(problems) == 1 and field in problems[0] and says in problems[0], problems


def test_every_event_type_belongs_to_exactly_one_layer():
    from geo.events.schema import EVENT_LAYER, EVENT_TYPES, LAYERS

    assert set(EVENT_LAYER) == set(EVENT_TYPES) and set(EVENT_LAYER.values()) == set(LAYERS)


def test_unclassified_is_a_valid_incident_type_for_imports_and_the_curated_data_never_uses_it(collection):
    from geo.events.schema import EVENT_LAYER, UNCLASSIFIED

    assert UNCLASSIFIED in EVENT_TYPES and EVENT_LAYER[UNCLASSIFIED] == "incidents"
    assert {f["properties"]["event_type"] for f in collection["features"]} <= set(EVENT_TYPES) - {UNCLASSIFIED}
    props = find(collection, SHANGHAI)["properties"]
    props["event_type"], props["layer"] = UNCLASSIFIED, "incidents"
    assert lines(collection) == []


# --- Bidirectional control characters (text that displays in another order than it is written) ----------------

def _text_field_names() -> set[str]:
    """Every field of the event models whose value is text (str, alone or in a list), found from the models."""
    from geo.events.schema import EventProperties, Figure, Source, StatusChange

    return {name for model in (EventProperties, Source, Figure, StatusChange)
            for name, field in model.model_fields.items() if "str" in str(field.annotation)}


def full_feature(collection) -> dict:
    """A curated route (sources, figures, status history, via) with every optional text field filled in too."""
    from geo.events.schema import EventProperties, Source, StatusChange

    feature = copy.deepcopy(next(f for f in collection["features"]
                                 if {"figures", "status_history", "via"} <= set(f["properties"])))
    filled = {"country": "CN", "matches": "another-event", "url": "https://example.org/report"}
    for model, targets in ((EventProperties, [feature["properties"]]), (Source, feature["properties"]["sources"]),
                           (StatusChange, feature["properties"]["status_history"])):
        for name, field in model.model_fields.items():
            if "str" in str(field.annotation) and name != "crossings":  # crossings need a MultiPoint: tested apart
                for target in targets:
                    target.setdefault(name, filled.get(name, "Plain words, 2023."))
    return feature


def text_paths(value, loc=()) -> list[tuple]:
    """The location of every text value inside `value` (keys and list positions)."""
    if isinstance(value, str):
        return [loc]
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    return [path for key, item in items for path in text_paths(item, (*loc, key))]


def field_name(loc: tuple) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")


def test_every_text_field_refuses_each_bidirectional_control_character_in_one_line(collection):
    import unicodedata

    from geo.events.schema import BIDI_CONTROLS

    feature = full_feature(collection)
    assert lines({"type": "FeatureCollection", "features": [feature]}) == []
    paths = [("properties", *loc) for loc in text_paths(feature["properties"])]
    named = {next(p for p in reversed(loc) if isinstance(p, str)) for loc in paths}
    assert named >= _text_field_names() - {"crossings"}  # slugs of a MultiPoint's crossings: tested apart
    assert len(BIDI_CONTROLS) == 12
    for char in BIDI_CONTROLS:
        for loc in paths:
            spoofed = copy.deepcopy(feature)
            holder = spoofed
            for part in loc[:-1]:
                holder = holder[part]
            text = holder[loc[-1]]
            holder[loc[-1]] = text[: len(text) // 2] + char + text[len(text) // 2:]
            found = lines({"type": "FeatureCollection", "features": [spoofed]})
            assert len(found) == 1, (loc, char, found)
            assert ": feature 0 (id=" in found[0] and f": {field_name(loc)}: contains the bidirectional control " \
                   f"character U+{ord(char):04X} ({unicodedata.name(char)})" in found[0], found
            assert char not in found[0]  # the message itself never carries it


def test_korean_chinese_japanese_and_russian_text_with_punctuation_still_passes(collection):
    props = find(collection, SHANGHAI)["properties"]
    props["title"] = "신의주 세관 재개 — 丹东海关恢复通关（2023年）「中朝」 / 税関 · Таможня «Хасан»"
    props["summary"] = "Workers (노동자 300명) returned; 工人们返回了。 Emoji too: 👷‍♀️🚂 and a zero-width joiner."
    props["sources"][0]["publisher"] = "연합뉴스 / 新华社"
    assert lines(collection) == []


def test_the_curated_dataset_holds_no_bidirectional_control_character(collection):
    from geo.events.schema import BIDI_CONTROLS

    text = json.dumps(collection, ensure_ascii=False)
    assert not set(text) & set(BIDI_CONTROLS) and lines(collection) == []


# --- Nesting measured on the text, before any parser recurses -----------------------------------------------------

def _depth(value) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


_brackety_text = st.text(alphabet='[]{}"\\ab,:', max_size=6)
_json_values = st.recursive(st.none() | st.integers() | _brackety_text,
                            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_brackety_text, inner,
                                                                                        max_size=3), max_leaves=30)


@settings(max_examples=200, deadline=None)
@given(value=_json_values, limit=st.integers(0, 12))
def test_nesting_found_on_json_text_is_the_nesting_of_its_value_whatever_brackets_its_strings_hold(value, limit):
    from geo.events.schema import nested_deeper_than

    text = json.dumps(value)
    assert nested_deeper_than(text, limit) == (_depth(value) > limit)
    assert nested_deeper_than(json.dumps(value, indent=1), limit) == (_depth(value) > limit)


def test_nesting_200000_deep_is_found_without_recursion_in_well_under_a_second():
    import time

    from geo.events.schema import nested_deeper_than

    started = time.perf_counter()
    assert nested_deeper_than("[" * 200_000 + "]" * 200_000, 64)
    assert not nested_deeper_than("[]" * 200_000, 64)
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize("text", [
    "[" * 70 + '"' + '\\"' * 500_000,  # an unterminated string of escaped quotes: was scanned again from each quote
    "[" * 70 + '"' * 500_000,
    '{"a": "' + "\\\\" * 500_000 + '[[[' + "[" * 70,
])
def test_malformed_text_of_a_megabyte_is_scanned_for_nesting_in_linear_time(text):
    import time

    from geo.events.schema import nested_deeper_than

    started = time.perf_counter()
    nested_deeper_than(text, 64)
    assert time.perf_counter() - started < 1, "the nesting scan is not linear in the text"
