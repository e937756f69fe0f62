"""geo.map.mapview: one view → map function for the live map, the dashboard's map download and
`python -m geo export-html`."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from dataclasses import replace
from pathlib import Path

import numpy as np

from geo.events.schema import LAYERS
from geo.io.events_file import load_events
from geo.map.folium_parts import children
from geo.map.layers import COMPACT_ABOVE
from geo.map.mapview import ServedPack, build_map, map_parts, on_map, view_map
from geo.map.pack import pack_rows, row_ids
from geo.reference.crossings import load_crossings
from geo.view.filters import Filters, filter_mask
from geo.view.link import dataset_view
from geo.view.time import as_of_mask
from tests.map_html import readable_html

EVENTS = load_events(Path("data/events.geojson"))


def test_a_view_on_a_day_keeps_the_filtered_events_begun_by_then_and_routes_with_their_status_that_day():
    view = dataset_view(EVENTS, list(LAYERS))
    filters = replace(view.filters, layers=("trade_routes",))
    shown = on_map(EVENTS, filters, dt.date(2020, 3, 31))
    assert len(shown) and set(shown["layer"]) == {"trade_routes"}
    routes = shown["status_history"].map(bool)  # a route shows once its history starts, with that day's status
    assert (shown.loc[~routes, "date_start"].dropna() <= "2020-03-31").all()
    assert routes.any() and set(shown.loc[routes, "status"]) <= {"closed", "partially_resumed"}


def test_the_map_of_a_view_draws_a_pin_for_each_located_point_event_of_the_view(places):
    view = dataset_view(EVENTS, list(LAYERS))
    filters = replace(view.filters, event_types=("disappearance", "detention"))
    shown = on_map(EVENTS, filters, view.as_of)
    html = view_map(EVENTS, filters, view.as_of, places, load_crossings()).get_root().render()
    points = shown[shown.geometry.notna() & (shown.geometry.geom_type == "Point")]
    assert len(points) and html.count('"geo-event geo-') == len(points)


def test_one_feature_group_per_layer_in_a_layer_control(events, places):
    html = readable_html(build_map(events, places))
    for name in ("Trade routes", "Worker locations", "Incidents", "Places"):
        assert f'"{name}"' in html
    assert "L.control.layers" in html


def same_but_random_ids(html: str) -> str:
    """`html` with each id folium draws at random replaced by its order of first appearance, and without the
    indentation and blank lines in which ready-made scripts differ from folium's own rendering."""
    seen: dict[str, str] = {}
    html = re.sub(r"[0-9a-f]{32}", lambda match: seen.setdefault(match.group(0), f"id{len(seen)}"), html)
    return "\n".join(line.strip() for line in html.splitlines() if line.strip())


def live_view(frame, filters: Filters, day: dt.date) -> tuple[np.ndarray, object]:
    """What the dashboard hands `map_parts` for a view: which rows are on the map (bool per row) and every
    row's status on `day`."""
    on_day, statuses = as_of_mask(frame, day)
    return filter_mask(frame, filters) & on_day & frame.geometry.notna().to_numpy(), statuses


def test_the_live_map_from_ready_made_scripts_draws_exactly_what_the_export_of_the_same_view_draws(places):
    view = dataset_view(EVENTS, list(LAYERS))
    crossings = load_crossings()
    for filters, day in ((view.filters, view.as_of), (replace(view.filters, layers=("trade_routes",)),
                                                      dt.date(2020, 3, 31))):
        shown, statuses = live_view(EVENTS, filters, day)
        located = EVENTS[EVENTS.geometry.notna()]
        assert len(located) <= COMPACT_ABOVE
        scripts: dict[tuple, str] = {}
        live = map_parts(EVENTS, places, day, crossings, shown=shown, statuses=statuses, scripts=scripts,
                         bounds=tuple(EVENTS[shown].total_bounds))
        assert scripts  # each event's script was rendered once, into the cache
        export = view_map(EVENTS, filters, day, places, crossings)
        assert [layer.layer_name for layer in live.layers] == [*LAYERS.values(), "Crossings"]
        assert same_but_random_ids(live.standalone().get_root().render()) == \
            same_but_random_ids(export.get_root().render())


def test_the_live_map_masks_the_served_pack_to_exactly_the_rows_the_export_of_the_view_draws(places):
    from geo.events.dataset import frame_from_collection
    from perf.bench import synthetic_collection

    frame = frame_from_collection(synthetic_collection(COMPACT_ABOVE + 600))
    day = dt.date(2022, 6, 30)
    filters = replace(dataset_view(frame, list(LAYERS)).filters, layers=("trade_routes", "incidents"))
    shown, statuses = live_view(frame, filters, day)
    pack = ServedPack("/app/static/packs/synthetic-f1.bin", pack_rows(frame))
    live = map_parts(frame, places, day, shown=shown, statuses=statuses, pack=pack)
    base = live.base.get_root().render()
    assert '{"url":"/app/static/packs/synthetic-f1.bin"}' in base and '"version":"synthetic-f1"' in base

    exported = on_map(frame, filters, day)
    assert 0 < len(exported) < len(frame)  # the view leaves some events out
    ids = np.array(row_ids(frame[frame.geometry.notna()]))
    for group, layer in zip(live.layers, LAYERS, strict=True):
        config = json.loads(children(group)[0].config)
        assert config["version"] == "synthetic-f1"
        bits = np.unpackbits(np.frombuffer(base64.b64decode(config["bits"]), np.uint8), bitorder="little")
        drawn = set(ids[bits[:config["count"]].astype(bool)])
        assert drawn == set(exported[(exported["layer"] == layer) & exported.geometry.notna()].index)
