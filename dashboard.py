"""North Korea–China border dashboard: what happened where, when, and who says so.

Run:  streamlit run dashboard.py      (BORDER_DATA=path/to/events.geojson to map another file)
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import folium
import streamlit as st
from streamlit_folium import st_folium

from geo import assets, changelog, urlstate
from geo.crossings import load_crossings
from geo.dataset import DatasetError, load_events, records, to_csv, to_geojson
from geo.details import details_html, event_list_html
from geo.evidence import figure_span, independent_witnesses
from geo.filters import Filters, apply_filters, located, unlocated
from geo.geography import load_geography, with_analysis
from geo.layers import base_map, build_map, crossings_layer, event_layers, feature_id_from_tooltip
from geo.markup import markdown_text
from geo.places import load_places
from geo.schema import EVENT_TYPES, LAYERS
from geo.store import digest
from geo.timeline import as_of, map_steps, snap_to_step, timeline_charts
from geo.urlstate import snap_to_choice

BUNDLED = Path(__file__).resolve().parent / "data" / "events.geojson"
DATA_PATH = Path(os.environ.get("BORDER_DATA", BUNDLED))
PLAY_SECONDS = 1.2
LIST_MAX = 500  # events offered in the details chooser and listed as unlocated; the table shows more
TABLE_MAX = 10_000
BORDER_CHOICES = [1, 5, 10, 25, 50, 100, 250, 500, None]  # km; None: any distance

st.set_page_config(page_title="NK–China border dashboard", page_icon="🗺️", layout="wide")
st.title("North Korea–China border: trade, workers, incidents")
st.caption("Every pin cites its source. Dates and locations carry their precision; inferred dates say so.")


@st.cache_data
def places():
    return load_places()


@st.cache_data
def crossings():
    return load_crossings()


@st.cache_data(show_spinner=False)
def load_checked(path: str, mtime: float) -> tuple[object, list[str]]:
    """The validated frame, or the validator's messages; cached on the file's path and mtime."""
    try:
        return load_events(Path(path)), []
    except DatasetError as error:
        return None, [str(p) for p in error.problems]


@st.cache_data(show_spinner=False)
def load(path: str, mtime: float) -> object:
    """The validated frame with each event's border geography (same cache key)."""
    return with_analysis(load_checked(path, mtime)[0], load_geography(crossings()))


@st.cache_data(show_spinner=False)
def dataset_digest(path: str, mtime: float, size: int) -> str:
    """sha256 of the dataset file: its version (cached on path, mtime and size)."""
    return digest(Path(path))


@st.cache_data(max_entries=4, show_spinner=False)
def recorded_changes(path: str, log_mtime: float, log_size: int) -> tuple[list[changelog.Change], str | None]:
    """The dataset's change log and any problem reading it; read again only when the log file changes."""
    try:
        return changelog.read_changes(Path(path)), None
    except changelog.ChangeLogError as error:
        return [], str(error)


@st.cache_data(max_entries=16, show_spinner=False)
def map_layers(path: str, mtime: float, view: str, _on_map: object) -> list[folium.FeatureGroup]:
    """The event layers for one view (`view` names the filters and map date), so reruns that change
    nothing on the map (choosing an event to read, say) do not rebuild them."""
    return event_layers(_on_map)


@st.cache_data(max_entries=64, show_spinner=False)
def timeline_specs(path: str, mtime: float, view: str, _shown: object, _events: object, last: object) -> tuple:
    """The timeline's two Vega-Lite specs for one set of filters (`view`), built once and shared by every
    session that shows the same filters."""
    periods, bars = timeline_charts(_shown, _events, last)
    return periods.to_dict(), bars.to_dict()


mtime = DATA_PATH.stat().st_mtime if DATA_PATH.exists() else 0.0
size = DATA_PATH.stat().st_size if DATA_PATH.exists() else 0
with st.status(f"Loading {DATA_PATH.name} ({size / 1e6:.1f} MB)…", expanded=False) as loading:
    loading.write("Reading and validating every event against the data contract…")
    checked, problems = load_checked(str(DATA_PATH), mtime)
    if not problems:
        loading.write(f"{len(checked):,} valid events; measuring each one's distance to the border…")
        events = load(str(DATA_PATH), mtime)
    loading.update(label=f"{DATA_PATH.name}: " + (f"{len(problems):,} problems" if problems
                                                 else f"{len(events):,} events loaded"),
                   state="error" if problems else "complete")
if problems:
    st.error(f"The dataset {markdown_text(DATA_PATH)} is not valid, so nothing is shown. Fix these and reload:")
    st.code("\n".join(problems), language=None)
    st.stop()

# --- The dataset's version and its recorded changes (python -m geo history) ------------------------
current_digest = dataset_digest(str(DATA_PATH), mtime, size)
log = changelog.log_path(DATA_PATH)
log_stat = log.stat() if log.exists() else None
changes, log_problem = recorded_changes(str(DATA_PATH), log_stat.st_mtime if log_stat else 0.0,
                                        log_stat.st_size if log_stat else 0)
if log_problem:
    st.warning(f"The change log could not be read: {markdown_text(log_problem)}")
st.caption(f"Dataset version {changelog.version(current_digest)} · {len(changes):,} recorded changes "
           f"(`python -m geo history`)")

# --- The view a shared link asks for (read once per session) ----------------------------------
default = urlstate.dataset_view(events, list(LAYERS))
present_types, first, last = list(default.filters.event_types), default.filters.since, default.filters.until
steps = map_steps(first, last)
if "view_loaded" not in st.session_state:
    linked, st.session_state["link_notices"] = urlstate.parse(st.query_params.to_dict(), default,
                                                              list(events["id"]))
    f = linked.filters
    st.session_state.update({f"layer_{layer}": layer in f.layers for layer in LAYERS})
    st.session_state.update(event_types=list(f.event_types), dates=(f.since, f.until), search=f.text,
                            undated=f.include_undated, corroborated=f.corroborated_only,
                            border_km=snap_to_choice(f.max_border_km, BORDER_CHOICES),
                            as_of=snap_to_step(linked.as_of, steps), view_loaded=True)
    if linked.version and (since := changelog.link_notice(changes, linked.version, current_digest)):
        st.session_state["link_notices"].append(since)
    if linked.selected:
        st.session_state["selected_id"] = linked.selected
if "next_as_of" in st.session_state:  # the play loop's next step, applied before the slider exists
    st.session_state["as_of"] = st.session_state.pop("next_as_of")
for notice in st.session_state["link_notices"]:
    st.warning(markdown_text(notice))  # notices echo the link's values: never let them become Markdown

# --- Sidebar: the user's choices --------------------------------------------------------------
with st.sidebar:
    st.header("Filters")
    chosen_layers = [layer for layer, label in LAYERS.items() if st.checkbox(label, key=f"layer_{layer}")]
    chosen_types = st.multiselect("Event types", present_types, format_func=EVENT_TYPES.get, key="event_types")
    since, until = st.slider("Dates (events overlapping this range)", first, last, format="YYYY-MM-DD",
                             key="dates")
    include_undated = st.checkbox("Include events with no known date", key="undated")
    corroborated = st.checkbox("Only events corroborated by two or more independent sources", key="corroborated")
    border_km = st.select_slider("Within this distance of the China–DPRK border", BORDER_CHOICES,
                                 key="border_km", format_func=lambda km: "any distance" if km is None else f"{km} km")
    text = st.text_input("Search text", key="search", placeholder="e.g. Hunchun, defection, Shanghai",
                         max_chars=urlstate.MAX_TEXT)

filters = Filters(layers=tuple(chosen_layers), event_types=tuple(chosen_types), since=since, until=until,
                  text=text[:urlstate.MAX_TEXT],  # max_chars binds the browser; a crafted client is cut here
                  include_undated=include_undated, corroborated_only=corroborated,
                  max_border_km=border_km)
shown = apply_filters(events, filters)
off_map = unlocated(shown)

# --- Map at the chosen date -------------------------------------------------------------------
with st.sidebar:
    st.header("Map date")
    map_day = st.select_slider("Events pile up to this month; routes show their status then", options=steps,
                               key="as_of", format_func=lambda d: d.strftime("%Y-%m"))
    playing = st.session_state.get("playing", False)
    if st.button("■ Stop" if playing else "▶ Play through time", key="play", width="stretch"):
        playing = st.session_state["playing"] = not playing
        if playing and map_day == steps[-1]:
            st.session_state["next_as_of"] = steps[0]
            st.rerun()
on_map = located(as_of(shown, map_day))

st.markdown(f"**{len(shown):,} of {len(events):,} events shown** · {len(on_map):,} on the map as of "
            f"{map_day:%Y-%m} · {len(off_map):,} with no known location (listed below the map)")

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
    feature_group_to_add=[*map_layers(str(DATA_PATH), mtime, f"{filters!r} {map_day}", on_map),
                          crossings_layer(crossings(), map_day)],
    layer_control=folium.LayerControl(collapsed=True),
    returned_objects=["last_object_clicked_tooltip"],
    use_container_width=True,
    height=560,
)

unplaced_crossings = crossings()[crossings().geometry.isna()]
if len(unplaced_crossings):
    st.caption("Crossings not drawn because no source we found gives their coordinates: "
               + markdown_text(", ".join(unplaced_crossings["name"])) + ".")

# --- Timeline of what the filters show ----------------------------------------------------------
st.subheader("Timeline")
periods_spec, events_spec = timeline_specs(str(DATA_PATH), mtime, repr(filters), shown, events, last)
st.vega_lite_chart(periods_spec, width="stretch")
st.vega_lite_chart(events_spec, width="stretch")

# --- Details of the clicked (or chosen) event ---------------------------------------------------
st.subheader("Details")
titles = shown["title"]
clicked_id = feature_id_from_tooltip((clicked or {}).get("last_object_clicked_tooltip"))
if clicked_id in titles.index and clicked_id != st.session_state.get("last_clicked_id"):
    st.session_state["last_clicked_id"] = clicked_id
    st.session_state["selected_id"] = clicked_id
if len(shown):
    if st.session_state.get("selected_id") not in titles.index:
        st.session_state.pop("selected_id", None)
    choices = list(shown["id"][:LIST_MAX])
    if st.session_state.get("selected_id") not in (None, *choices):
        choices.insert(0, st.session_state["selected_id"])
    selected = st.selectbox("Event (click a pin or line on the map, or choose here)", choices,
                            format_func=titles.get, key="selected_id")
    if len(shown) > LIST_MAX:
        st.caption(f"The list offers the first {LIST_MAX:,} of {len(shown):,} events; click any event on the "
                   "map to see it here.")
    st.html(details_html(records(shown.loc[[selected]])[0]))
else:
    selected = None
    st.info("No events match the filters.")

# --- Events without a location -----------------------------------------------------------------
st.subheader(f"Not on the map: location unknown ({len(off_map):,})")
st.html(event_list_html(records(off_map.head(LIST_MAX))))
if len(off_map) > LIST_MAX:
    st.caption(f"The first {LIST_MAX:,} are listed; the table and downloads have all {len(off_map):,}.")

# --- Table and downloads of exactly what is shown ----------------------------------------------
st.subheader("Table")
table = shown.drop(columns="geometry")[["id", "title", "event_type", "layer", "place", "date_start", "date_end",
                                       "date_precision", "date_inferred", "location_precision", "status",
                                       "country_found", "province", "distance_to_border_km", "nearest_crossing",
                                       "nearest_crossing_km"]]
spans = shown["figures"].head(TABLE_MAX).map(figure_span)
table = table.head(TABLE_MAX).assign(sources=shown["sources"].head(TABLE_MAX).map(len),
                                     independent_sources=shown["sources"].head(TABLE_MAX).map(independent_witnesses),
                                     figure_low=spans.map(lambda span: span[0] if span else None),
                                     figure_high=spans.map(lambda span: span[1] if span else None))
st.dataframe(table, hide_index=True, width="stretch")
if len(shown) > TABLE_MAX:
    st.caption(f"The table shows the first {TABLE_MAX:,} of {len(shown):,} events; the downloads have all of them.")
d1, d2, d3 = st.columns(3)
d1.download_button("Download GeoJSON (filtered)", lambda: to_geojson(shown), "events-filtered.geojson",
                   "application/geo+json", on_click="ignore")
d2.download_button("Download CSV (filtered)", lambda: to_csv(shown), "events-filtered.csv", "text/csv",
                   on_click="ignore")
d3.download_button("Download map (HTML, works offline)",
                   lambda: assets.standalone_html(build_map(as_of(shown, map_day), places(),
                                                            crossings=crossings(), day=map_day)),
                   "border-map.html", "text/html", on_click="ignore", disabled=bool(missing_assets))

# --- Keep the URL in step with the view, so a copied link reopens it -------------------------------
first_id = shown["id"].iloc[0] if len(shown) else None
view = urlstate.View(filters, as_of=map_day, selected=selected if selected != first_id else None,
                     version=changelog.version(current_digest))
st.query_params.from_dict(urlstate.encode(view, default))

if playing:
    position = steps.index(map_day)
    if position + 1 < len(steps):
        time.sleep(PLAY_SECONDS)
        st.session_state["next_as_of"] = steps[position + 1]
    else:
        st.session_state["playing"] = False
    st.rerun()
