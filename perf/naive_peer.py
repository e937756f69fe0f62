"""The naive peer of dashboard.py: the same data and the same "Event types" filter, written the obvious way.

It exists so `perf/browser_bench.py` can time what users wait for beside the simplest peer. It loads
the file `BORDER_DATA` names (default: the bundled data/events.geojson) with `geo.io.events_file.load_events`
(cached with `st.cache_data`, as Streamlit's documentation teaches), offers an "Event types" multiselect
in the sidebar, prints the same "**N of M events shown**" line as the dashboard and draws one
`folium.Marker` with a popup and a tooltip per located event (routes: one `folium.PolyLine`), all on
one `folium.Map` handed to `st_folium`. Nothing else: no basemap (tiles=None, so no request leaves the
machine), no layers, no caching of the map.

Leaflet and the other front-end files come from this machine (`geo.map.assets`) when a `static/vendor`
folder sits beside this script; Streamlit serves `static/` beside the main script only, so
browser_bench.py runs a copy of this file from a temporary folder holding a `static` link to the
project's. `returned_objects=[]` keeps map interactions from rerunning the script (streamlit-folium's
own advice), so every rerun measured is one the filter caused.

Run: `BORDER_DATA=path streamlit run perf/naive_peer.py` (from the project root, for its config).
"""

from __future__ import annotations

import html
import os
from pathlib import Path

import folium
import streamlit as st
from streamlit_folium import st_folium

from geo.events.schema import EVENT_TYPES
from geo.io.events_file import load_events
from geo.map import assets
from geo.paths import BUNDLED_EVENTS

BUNDLED = BUNDLED_EVENTS
DATA_PATH = Path(os.environ.get("BORDER_DATA", BUNDLED))
LOCAL_ASSETS = (Path(__file__).resolve().parent / "static" / "vendor").is_dir()

st.set_page_config(page_title="Naive peer", layout="wide")
st.title("North Korea–China border events (naive peer)")


@st.cache_data(show_spinner="Loading events…")
def load(path: str, mtime: float):
    return load_events(Path(path))


events = load(str(DATA_PATH), DATA_PATH.stat().st_mtime)
present = [kind for kind in EVENT_TYPES if kind in set(events["event_type"])]
with st.sidebar:
    chosen = st.multiselect("Event types", present, default=present, format_func=EVENT_TYPES.get)

shown = events[events["event_type"].isin(chosen)]
located = shown[shown.geometry.notna()]
st.markdown(f"**{len(shown):,} of {len(events):,} events shown** · {len(located):,} on the map")


def popup_html(row) -> str:
    sources = ", ".join(html.escape(str(source.get("publisher", ""))) for source in row.sources)
    return (f"<b>{html.escape(row.title)}</b><br>{html.escape(str(row.date_start or 'undated'))}"
            f"<br>{html.escape(row.summary)}<br><i>Sources: {sources}</i>")


fmap = folium.Map(location=(41.5, 127.5), zoom_start=5, tiles=None)
if LOCAL_ASSETS:
    assets.use_local_assets(fmap)
else:
    st.warning("static/vendor is not beside this script: the map loads Leaflet from public CDNs.")
for row in located.itertuples():
    geometry, popup, tooltip = row.geometry, folium.Popup(popup_html(row), max_width=320), html.escape(row.title)
    if geometry.geom_type in ("Point", "MultiPoint"):  # an event at several crossings: a marker at each
        for point in getattr(geometry, "geoms", [geometry]):
            folium.Marker((point.y, point.x), popup=popup, tooltip=tooltip).add_to(fmap)
    else:
        parts = geometry.geoms if geometry.geom_type == "MultiLineString" else [geometry]
        folium.PolyLine([[(y, x) for x, y, *_ in part.coords] for part in parts],
                        popup=popup, tooltip=tooltip).add_to(fmap)
if len(located):
    west, south, east, north = located.total_bounds
    fmap.fit_bounds([(south, west), (north, east)])
st_folium(fmap, key="map", height=560, use_container_width=True, returned_objects=[])
