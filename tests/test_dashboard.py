"""The app through Streamlit's AppTest: it runs, and the map follows the sidebar."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from geo.io.events_file import load_events
from geo.io.prepared import file_digest
from geo.map.layers import COMPACT_ABOVE
from geo.map.pack import PACK_DIR, dataset_identity, pack_key
from geo.report.markup import markdown_text
from geo.store import encode
from perf.bench import synthetic_collection
from tests.conftest import EVENTS_PATH, ROOT

APP = str(ROOT / "dashboard.py")
FEATURES: list[dict[str, Any]] = json.loads(EVENTS_PATH.read_text(encoding="utf-8"))["features"]
"""The bundled dataset as written, read without the code under test: expectations below come from it."""
LAST_DAY = dt.date.fromisoformat(max(f["properties"][key] for f in FEATURES for key in ("date_start", "date_end")
                                     if f["properties"].get(key)))
"""The dataset's last date: the map's default date, by which every event has piled up."""


def expected_counts(rows: list[dict[str, Any]]) -> str:
    """The line above the map for these features shown, at the default map date (so every located one is on it)."""
    placed = sum(bool(f["geometry"]) for f in rows)
    return (f"{len(rows)} of {len(FEATURES)} events shown · {placed} on the map as of {LAST_DAY:%Y-%m} · "
            f"{len(rows) - placed} with no known location (listed below the map)")


def mentioning(word: str) -> list[dict[str, Any]]:
    """Features whose text (id, title, summary, place, place as written, type, or a source's publisher or title)
    contains `word`, case-insensitively: what the search box promises."""
    def text(p: dict[str, Any]) -> str:
        fields = [p.get(k) or "" for k in ("id", "title", "summary", "place", "place_text", "event_type")]
        fields += [f"{s['publisher']} {s['title']}" for s in p["sources"]]
        return " ".join(fields).casefold()

    return [f for f in FEATURES if word.casefold() in text(f["properties"])]


def month_end_before(day: dt.date, months: int) -> dt.date:
    """The last day of the month `months` months before `day`'s month."""
    for _ in range(months):
        day = day.replace(day=1) - dt.timedelta(days=1)
    return day


def run_app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    return at


def map_components(at: AppTest) -> list[Any]:
    """The st_folium elements on the page after the last run."""
    def walk(node):
        yield node
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            for child in children.values():
                yield from walk(child)

    return [n for n in walk(at._tree)
            if getattr(getattr(n, "proto", None), "component_name", "") == "streamlit_folium.st_folium"]


def map_args(at: AppTest) -> dict[str, Any]:
    """What the st_folium component received on the last run."""
    [component] = map_components(at)
    return json.loads(component.proto.json_args)


def counts(at: AppTest) -> str:
    """The line above the map that says how many events are shown, mapped and unlocated."""
    [line] = [m.value for m in at.markdown if "events shown" in m.value]
    return line.replace("*", "")


def table(at: AppTest, column: str = "Title") -> Any:
    """The on-screen table holding `column` ("Title": the table of what is shown; "What happened": the feed)."""
    [found] = [frame.value for frame in at.dataframe if column in frame.value.columns]
    return found


@pytest.fixture
def app() -> AppTest:
    return run_app()


def test_the_dashboard_runs_on_the_bundled_data_without_exception(app):
    assert not app.exception
    assert app.title[0].value.startswith("North Korea–China border")
    assert counts(app) == expected_counts(FEATURES)


def test_the_map_receives_every_located_event_as_layers(app, events):
    args = map_args(app)
    layers = args["feature_group"]
    pins = (events.geom_type == "Point").sum() + sum(len(g.geoms) for g in events.geometry if g is not None
                                                     and g.geom_type == "MultiPoint")  # one pin per crossing
    assert layers.count("geo-event geo-") == pins
    assert layers.count("L.polyline(") == events.geom_type.isin(["LineString", "MultiLineString"]).sum()
    # Leaflet, its plugins and our scripts come from the app itself, in one file (geo.map.assets.bundle_scripts)
    [bundle] = args["js_links"]
    assert re.fullmatch(r"/app/static/vendor/bundle/map-[0-9a-f]{16}\.js", bundle), bundle


def test_changing_the_event_type_filter_changes_what_the_map_receives(app):
    before = map_args(app)
    app.multiselect(key="types").set_value(["disappearance"]).run()
    after = map_args(app)
    rows = [f for f in FEATURES if f["properties"]["event_type"] == "disappearance"]
    assert after["feature_group"] != before["feature_group"]
    pins = sum(bool(f["geometry"]) and f["geometry"]["type"] == "Point" for f in rows)
    assert after["feature_group"].count("geo-event geo-") == pins > 0
    assert "geo-event geo-disappearance" in after["feature_group"]
    assert after["script"] == before["script"]  # the base map is stable: no full reload
    assert counts(app) == expected_counts(rows)


def test_turning_a_layer_off_removes_its_events(app):
    app.checkbox(key="layers.incidents").uncheck().run()
    assert "geo-event geo-disappearance" not in map_args(app)["feature_group"]
    assert counts(app) == expected_counts([f for f in FEATURES if f["properties"]["layer"] != "incidents"])


def test_text_search_narrows_map_table_and_unlocated_list(app):
    app.text_input(key="q").input("Shanghai").run()
    rows = mentioning("Shanghai")
    assert 0 < len(rows) < len(FEATURES)
    assert counts(app) == expected_counts(rows)
    assert sorted(table(app)["Title"]) == sorted(f["properties"]["title"] for f in rows)
    assert sorted(table(app, "What happened")["What happened"]) == sorted(f["properties"]["title"] for f in rows)
    unplaced = sum(not f["geometry"] for f in rows)
    assert [h.value for h in app.subheader if h.value.startswith("Not on the map")] == [
        f"Not on the map: location unknown ({unplaced})"]


def test_choosing_an_event_shows_its_sources_in_the_details(app):
    app.selectbox(key="event").set_value("road-freight-rason-hunchun-resumption").run()
    details = " ".join(h.proto.body for h in app.get("html"))
    assert "Truck freight between Rason and Hunchun resumes" in details
    assert "The Asia Business Daily (Asia Economy)" in details and "archived text" in details
    assert "https://cm.asiae.co.kr/en/article/2023022309550533929" in details, "cited by its publisher's address"
    assert "seeds/" not in details and "road-freight-rason-hunchun-resumption" not in details, "no path, no id"


def test_an_invalid_dataset_shows_the_validator_messages_not_a_traceback(collection, write_json, monkeypatch):
    collection["features"][2]["properties"]["sources"] = []
    monkeypatch.setenv("BORDER_DATA", str(write_json(collection)))
    at = run_app()
    assert not at.exception
    assert markdown_text("events.geojson is not a valid events file (1 problem)") in at.error[0].value
    assert at.code[0].value.startswith("events.geojson: feature 2 (id=road-freight-rason-hunchun-resumption): "
                                       "properties.sources")
    assert str(write_json(collection).parent) not in at.error[0].value + at.code[0].value  # no server path
    assert map_components(at) == []


def test_a_rerun_that_changes_no_filter_sends_identical_layers_so_the_map_keeps_its_state(app):
    before = map_args(app)
    app.selectbox(key="event").set_value("escapes-small-scale").run()
    after = map_args(app)
    assert after["feature_group"] == before["feature_group"] and after["script"] == before["script"]


def test_a_shared_link_reopens_the_same_view():
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"types": "disappearance,worker_deployment", "layers": "incidents,worker_locations",
                            "q": "Shanghai", "asof": "2022-02-15"})
    at.run()
    assert not at.exception and not at.warning
    assert at.multiselect(key="types").value == ["worker_deployment", "disappearance"]
    assert at.checkbox(key="layers.trade_routes").value is False
    assert at.text_input(key="q").value == "Shanghai"
    assert at.select_slider(key="asof").value.isoformat() == "2022-02-28"
    assert map_args(at)["feature_group"].count("geo-event geo-") == 2


def test_the_url_follows_the_filters(app):
    app.multiselect(key="types").set_value(["defection"]).run()
    assert app.query_params["types"] == "defection"
    app.text_input(key="q").input("workers").run()
    assert app.query_params["q"] == "workers"


def test_unknown_values_in_a_link_show_a_notice_instead_of_failing():
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"types": "kidnap", "since": "soon", "event": "no-such-event"})
    at.run()
    assert not at.exception
    notices = " ".join(w.value for w in at.warning)
    # Notices are Markdown-escaped (the browser shows them as plain text; see tests/test_security.py).
    assert "kidnap" in notices and "soon" in notices and markdown_text("no-such-event") in notices
    present = {f["properties"]["event_type"] for f in FEATURES}
    assert set(at.multiselect(key="types").value) == present  # the stale type is ignored, not obeyed


def test_the_timeline_follows_the_filters(app):
    def chart_data() -> bytes:
        """The Arrow bytes of every dataset the charts received (titles appear as UTF-8)."""
        return b"".join(d.data.data for c in app.get("vega_lite_chart") for d in c.proto.datasets)

    assert len(app.get("vega_lite_chart")) == 3  # routes' status, China's monthly trade, events
    assert b"Construction workers defect en masse" in chart_data()
    app.multiselect(key="types").set_value(["disappearance"]).run()
    data = chart_data()
    assert b"Over 20 garment workers" in data and b"Construction workers defect en masse" not in data
    assert b"Partially resumed" in data  # policy periods stay as context


def test_the_map_date_shows_routes_in_their_status_then(app):
    app.select_slider(key="asof").set_value(dt.date(2020, 1, 31)).run()
    layers = map_args(app)["feature_group"]
    # Route lines on the map in January 2020: those whose status history has begun by then (or, with no history,
    # that began by then).
    lines = [f["properties"] for f in FEATURES if f["geometry"] and "LineString" in f["geometry"]["type"]]
    begun = [p for p in lines if min([c["since"] for c in p.get("status_history") or []]
                                     or [p.get("date_start") or p["date_end"]]) <= "2020-01-31"]
    assert 0 < len(begun) and layers.count("L.polyline(") == len(begun)
    assert "geo-event geo-disappearance" not in layers
    assert '"dashArray": "10 8"' in layers and '"color": "#2e7d32"' not in layers  # all closed in 2020-01


def test_the_map_shows_the_crossings_in_their_status_on_the_map_date(app):
    layers = map_args(app)["feature_group"]
    from geo.reference.crossings import load_crossings

    located = load_crossings().geometry.notna().sum()
    assert layers.count("geo-crossing-marker ") == located >= 10  # every crossing, three at their towns
    assert layers.count("geo-uncertainty-crossing") == 3
    assert "geo-crossing-partially_resumed" in layers and "geo-crossing-resumed" in layers
    app.select_slider(key="asof").set_value(dt.date(2020, 1, 31)).run()
    layers = map_args(app)["feature_group"]
    assert "geo-crossing-partially_resumed" not in layers and layers.count("geo-crossing-closed") >= 6


def test_the_border_distance_filter_narrows_the_view(app):
    from geo.reference.crossings import load_crossings
    from geo.reference.geography import load_geography, with_analysis

    app.select_slider(key="border").set_value(10).run()
    # Distances come from geo.reference.geography (checked against places of known distance in tests/test_geography.py).
    measured = with_analysis(load_events(EVENTS_PATH), load_geography(load_crossings()))
    near = {i for i, km in measured["distance_to_border_km"].items() if km is not None and km <= 10}
    assert 0 < len(near) < len(FEATURES)
    assert counts(app) == expected_counts([f for f in FEATURES if f["properties"]["id"] in near])
    assert app.query_params["border"] == "10"
    places = set(table(app)["Place"])
    assert "Shanghai" not in places and "Sino-Korean Friendship Bridge" in places  # the bridge is on the border


@pytest.mark.parametrize("keep", [[], ["workers-tumen-economic-development-zone"]])
def test_an_empty_or_single_date_dataset_opens_without_error(collection, write_json, monkeypatch, keep):
    collection["features"] = [f for f in collection["features"] if f["properties"]["id"] in keep]
    monkeypatch.setenv("BORDER_DATA", str(write_json(collection)))
    at = run_app()
    assert not at.exception
    assert counts(at).startswith(f"{len(keep)} of {len(keep)} events shown")


def test_play_steps_the_map_date_to_the_end_and_stops(app):
    # Started two months before the last: the month between, then the last step (72 months play in about 30 s).
    start = month_end_before(LAST_DAY, 2)
    slider = app.select_slider(key="asof")
    slider.set_value(start).run()
    assert app.select_slider(key="asof").value == start
    app.button(key="play").click().run()
    assert not app.exception
    assert app.select_slider(key="asof").value == LAST_DAY  # the dataset's last day is the last step
    assert app.session_state["playing"] is False
    assert app.button(key="play").label.startswith("▶")


def test_each_events_map_script_is_rendered_once_and_reruns_that_change_nothing_render_none(monkeypatch):
    import streamlit as st

    import app.loaded
    import geo.map.layerscript

    st.cache_resource.clear()  # earlier tests in this process may have rendered these very scripts
    app.loaded.event_scripts.clear()  # kept across versions by content: as a fresh server holds them
    rendered = []
    real = geo.map.layerscript.event_script
    monkeypatch.setattr(geo.map.layerscript, "event_script",
                        lambda row, offset: rendered.append((row["id"], offset)) or real(row, offset))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    located = sum(bool(f["geometry"]) for f in FEATURES)
    assert len(rendered) == len(set(rendered)) == located, "the first view renders every located event once"
    at.selectbox(key="event").set_value("escapes-small-scale").run()
    at.selectbox(key="event").set_value("extortion-remittances").run()
    assert len(rendered) == located, "reading details renders no map script"
    at.multiselect(key="types").set_value(["disappearance"]).run()
    kind = next(f["properties"]["event_type"] for f in FEATURES if (f["geometry"] or {}).get("type") == "Point")
    at.multiselect(key="types").set_value([kind]).run()
    assert len(rendered) == len(set(rendered)), "a script is never rendered twice"
    joined = map_args(at)["feature_group"]
    assert "geoparent" not in joined, "every joined script must name its real layer"
    assert joined.count('"geo-event geo-') == sum(1 for f in FEATURES if f["properties"]["event_type"] == kind
                                            and (f["geometry"] or {}).get("type") == "Point")


def test_the_page_shows_its_dataset_version_and_a_link_from_an_older_version_says_what_changed(
        tmp_path, monkeypatch, collection):
    import copy

    from geo.store import append_features, digest, revert_change
    from geo.store.changelog import version

    data = tmp_path / "events.geojson"
    data.write_text(json.dumps(collection), encoding="utf-8")
    old = version(digest(data))
    extra = [copy.deepcopy(collection["features"][6]) for _ in range(3)]
    for n, feature in enumerate(extra):
        feature["properties"]["id"] = f"later-{n}"
    append_features(data, extra[:2], editor="alice")
    change = append_features(data, extra[2:], editor="bob")
    revert_change(data, change.id, editor="alice")
    monkeypatch.setenv("BORDER_DATA", str(data))

    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["v"] = old
    at.run()
    assert not at.exception
    current = version(digest(data))
    assert any(f"version {current}" in c.value and "3 recorded changes" in c.value for c in at.caption)
    notices = " ".join(w.value for w in at.warning)
    assert markdown_text(f"since then 3 events were added and 1 removed (3 changes; now version {current})") in notices

    fresh = AppTest.from_file(APP, default_timeout=60)
    fresh.query_params["v"] = current
    fresh.run()
    assert not [w.value for w in fresh.warning if "version" in w.value]  # a link of the current version: no notice


def test_a_points_pack_that_has_gone_is_written_again_at_the_next_rerun(tmp_path, monkeypatch):
    data = tmp_path / "events.geojson"
    data.write_bytes(encode(synthetic_collection(COMPACT_ABOVE + 500)))
    monkeypatch.setenv("BORDER_DATA", str(data))
    monkeypatch.setenv("BORDER_CACHE", str(tmp_path / "cache"))
    pack = PACK_DIR / f"{pack_key(file_digest(data), dataset_identity(str(data)))}.bin"
    at = AppTest.from_file(APP, default_timeout=120)
    try:
        at.run()
        assert not at.exception and pack.is_file()
        pack.unlink()  # as another server or a careless hand would

        at.run()

        assert not at.exception and pack.is_file()
    finally:
        pack.unlink(missing_ok=True)
