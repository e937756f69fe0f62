"""North Korea–China border dashboard: what happened where, when, and who says so.

Run:  streamlit run dashboard.py      (BORDER_DATA=path/to/events.geojson to map another file)
"""

from __future__ import annotations

import os
from pathlib import Path

import folium
import streamlit as st
from streamlit_folium import st_folium

from geo import assets
from geo.dataset import DatasetError, load_events, records, to_csv, to_geojson
from geo.details import details_html, event_list_html
from geo.filters import Filters, apply_filters, date_bounds, located, unlocated
from geo.layers import base_map, event_layers, feature_id_from_tooltip
from geo.places import load_places
from geo.schema import EVENT_TYPES, LAYERS

BUNDLED = Path(__file__).resolve().parent / "data" / "events.geojson"
DATA_PATH = Path(os.environ.get("BORDER_DATA", BUNDLED))

st.set_page_config(page_title="NK–China border dashboard", page_icon="🗺️", layout="wide")
st.title("North Korea–China border: trade, workers, incidents")
st.caption("Every pin cites its source. Dates and locations carry their precision; inferred dates say so.")


@st.cache_data(show_spinner="Loading events…")
def load(path: str, mtime: float) -> tuple[object, list[str]]:
    """The validated frame, or the validator's messages; cached on the file's path and mtime."""
    try:
        return load_events(Path(path)), []
    except DatasetError as error:
        return None, [str(p) for p in error.problems]


@st.cache_data
def places():
    return load_places()


mtime = DATA_PATH.stat().st_mtime if DATA_PATH.exists() else 0.0
events, problems = load(str(DATA_PATH), mtime)
if problems:
    st.error(f"The dataset {DATA_PATH} is not valid, so nothing is shown. Fix these and reload:")
    st.code("\n".join(problems), language=None)
    st.stop()

# --- Sidebar: the user's choices --------------------------------------------------------------
with st.sidebar:
    st.header("Filters")
    chosen_layers = [layer for layer, label in LAYERS.items() if st.checkbox(label, True, key=f"layer_{layer}")]
    present_types = [t for t in EVENT_TYPES if t in set(events["event_type"])]
    chosen_types = st.multiselect("Event types", present_types, default=present_types,
                                  format_func=EVENT_TYPES.get, key="event_types")
    first, last = date_bounds(events)
    since, until = st.slider("Dates (events overlapping this range)", first, last, (first, last),
                             format="YYYY-MM-DD", key="dates")
    include_undated = st.checkbox("Include events with no known date", True, key="undated")
    text = st.text_input("Search text", key="search", placeholder="e.g. Hunchun, defection, Shanghai")

filters = Filters(layers=tuple(chosen_layers), event_types=tuple(chosen_types), since=since, until=until,
                  text=text, include_undated=include_undated)
shown = apply_filters(events, filters)
on_map, off_map = located(shown), unlocated(shown)

# --- Map ----------------------------------------------------------------------------------------
c1, c2, c3 = st.columns(3)
c1.metric("Events shown", f"{len(shown)} of {len(events)}")
c2.metric("On the map", len(on_map))
c3.metric("Location unknown (listed below)", len(off_map))

missing_assets = assets.missing()
if missing_assets:
    st.warning("The map's libraries are not installed locally (run `scripts/install_assets`), so they load "
               "from public CDNs: the map stays blank without internet or where those CDNs are blocked.")
everything = located(events)
fmap = base_map(places(), asset_base_url=None if missing_assets else assets.STREAMLIT_BASE_URL,
                bounds=tuple(everything.total_bounds) if len(everything) else None)
clicked = st_folium(
    fmap,
    key="map",
    feature_group_to_add=event_layers(on_map),
    layer_control=folium.LayerControl(collapsed=False),
    returned_objects=["last_object_clicked_tooltip"],
    use_container_width=True,
    height=600,
)

# --- Details of the clicked (or chosen) event ---------------------------------------------------
st.subheader("Details")
rows = {row["id"]: row for row in records(shown)}
clicked_id = feature_id_from_tooltip((clicked or {}).get("last_object_clicked_tooltip"))
if clicked_id in rows and clicked_id != st.session_state.get("last_clicked_id"):
    st.session_state["last_clicked_id"] = clicked_id
    st.session_state["selected_id"] = clicked_id
if rows:
    if st.session_state.get("selected_id") not in rows:
        st.session_state.pop("selected_id", None)
    selected = st.selectbox("Event (click a pin or line on the map, or choose here)", list(rows),
                            format_func=lambda i: rows[i]["title"], key="selected_id")
    st.html(details_html(rows[selected]))
else:
    st.info("No events match the filters.")

# --- Events without a location -----------------------------------------------------------------
st.subheader(f"Not on the map: location unknown ({len(off_map)})")
st.html(event_list_html(records(off_map)))

# --- Table and downloads of exactly what is shown ----------------------------------------------
st.subheader("Table")
table = shown.drop(columns="geometry")[["id", "title", "event_type", "layer", "place", "date_start", "date_end",
                                       "date_precision", "date_inferred", "location_precision", "status"]]
table = table.assign(sources=[len(s) for s in shown["sources"]])
st.dataframe(table, hide_index=True, width="stretch")
d1, d2 = st.columns(2)
d1.download_button("Download GeoJSON (filtered)", to_geojson(shown), "events-filtered.geojson",
                   "application/geo+json")
d2.download_button("Download CSV (filtered)", to_csv(shown), "events-filtered.csv", "text/csv")
