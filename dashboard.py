"""North Korea–China border dashboard: what happened where, when, and who says so.

Run:  streamlit run dashboard.py      (BORDER_DATA=path/to/events.geojson to map another file)
"""

from __future__ import annotations

import time

import numpy as np
import streamlit as st
from streamlit.errors import StreamlitInvalidLayoutContextError
from streamlit_folium import st_folium

from app.loaded import crossings, loaded_dataset, places
from geo.events.dataset import records
from geo.events.evidence import figure_columns, independent_witnesses
from geo.events.schema import EVENT_TYPES, LAYERS
from geo.io import downloads
from geo.io.export import FORMAT_NAMES, FORMAT_OPENED_IN, FORMATS
from geo.map import assets
from geo.map.mapview import COMPACT_ABOVE, ServedPack, map_parts, view_map
from geo.map.pack import dataset_identity, pack_key
from geo.map.popups import feature_id_from_tooltip
from geo.paths import BUNDLED_EVENTS
from geo.report.details import details_html, event_list_html
from geo.report.markup import markdown_text, without_paths
from geo.store import StoreError, changelog, open_store, spec_from_env
from geo.view import link
from geo.view.fields import FIELD, controls
from geo.view.filters import filter_mask
from geo.view.time import map_steps, snap_to_step

DATA_PATH = spec_from_env(BUNDLED_EVENTS)  # $BORDER_DATA: an events file, or a postgresql:// URL (geo.store)
PLAY_SECONDS = 1.2
LIST_MAX = 500  # events offered in the details chooser and listed as unlocated; the table shows more
TABLE_MAX = 10_000
RETRY_SECONDS = 5  # while the dataset cannot be read, how often the page looks again
MAX_PROBLEMS_SHOWN = 50
VIEW_KEY = "view"  # the session's view as link parameters (geo.view.link.encode): outlives the sidebar's widgets
RESTORE_KEY = "restore_view"  # set by a run that ended before the sidebar: the browser has forgotten its widgets
DOWNLOADS = ("geojson", "csv", "gpkg", "kml", "hxl")  # formats of geo.io.export, in the order the buttons show them

st.set_page_config(page_title="NK–China border dashboard", page_icon="🗺️", layout="wide")
st.title("North Korea–China border: trade, workers, incidents")
st.caption("Every pin cites its source. Dates and locations carry their precision; inferred dates say so.")


@st.fragment(run_every=RETRY_SECONDS)
def look_again(failed_stamp: str | None) -> None:
    """While the dataset cannot be shown: look at the store every RETRY_SECONDS, and rerun the whole page
    once it has changed (a file rewritten, a database back), so the reader's view returns by itself."""
    try:
        now = open_store(DATA_PATH).stamp()
    except StoreError:
        return
    if now != failed_stamp:
        st.rerun(scope="app")


def unavailable(reason: object, problems: list[str], failed_stamp: str | None) -> None:
    """Say in one line why the dataset cannot be shown now, look again until it can, and end this run. The
    reader's view is untouched: it lives in the session (VIEW_KEY), and the URL is only ever written from it."""
    st.error(f"The dataset cannot be shown right now: {markdown_text(without_paths(reason))}. This page shows it "
             "again as soon as it can be read, with your filters as they were.")
    if problems:
        with st.expander("What is wrong, for whoever maintains the dataset"):
            st.code("\n".join(without_paths(problem) for problem in problems[:MAX_PROBLEMS_SHOWN]), language=None)
    st.session_state[RESTORE_KEY] = True
    look_again(failed_stamp)
    st.stop()


# --- The dataset, prepared once per version on this server (app.loaded) ----------------------------
store = open_store(DATA_PATH)
stamp, loading_line = None, st.empty()  # one place on the page for the loading line, whichever fills it
try:
    stamp = store.stamp()  # read at every rerun: a change made anywhere is a new stamp, prepared at this rerun
    loaded = loaded_dataset(str(DATA_PATH), stamp)
    if loaded.is_prepared:  # prepared on this server before: no progress box (each costs 0.1 s)
        ready, problems = loaded.prepared()
    else:
        size = DATA_PATH.stat().st_size if store.engine == "file" and DATA_PATH.exists() else None
        label = f"Loading {markdown_text(store.name)}" + (f" ({size / 1e6:.1f} MB)" if size is not None else "") + "…"
        with loading_line.status(label, expanded=False) as loading:
            ready, problems = loaded.prepared(lambda message: loading.update(label=message))
    if not problems:
        loading_line.caption(f"{markdown_text(store.name)}: {len(ready.frame):,} events loaded")
        changes, log_problem = loaded.changes(store.history_stamp())
except (StoreError, OSError) as error:  # unreachable, not initialised, a file being replaced: one line
    loading_line.empty()
    unavailable(f"{store.name}: {error.strerror}" if isinstance(error, OSError) and error.strerror else error, [],
                stamp)
if problems:
    loading_line.empty()
    unavailable(f"{store.name} is not a valid events file ({len(problems):,} problem{'s' * (len(problems) > 1)})",
                problems, stamp)

# --- The dataset's version and its recorded changes (python -m geo history) ------------------------
events, current_digest = ready.frame, ready.digest
pack_name = pack_key(current_digest, dataset_identity(store.label))  # the map's points file, if it needs one
if log_problem:
    st.warning(f"The change log could not be read: {markdown_text(without_paths(log_problem))}")
st.caption(f"Dataset version {changelog.version(current_digest)} · {len(changes):,} recorded changes "
           f"(`python -m geo history`)" + (f" · shared database {markdown_text(store.name)}"
                                           if store.engine == "postgis" else ""))

# --- The view a shared link asks for (read once per session) ----------------------------------
K = link.KEYS  # each part of the view has one name: in the URL, the session state and cache keys
default = loaded.default_view()
present_types, first, last = list(default.filters.event_types), default.filters.since, default.filters.until
steps = map_steps(first, last)
if st.session_state.pop(RESTORE_KEY, False) or any(
        key not in st.session_state for key in link.widget_keys(list(LAYERS))):
    # The first run of this session reads the link. Later, a run that goes without the sidebar (the reader
    # visited the review page, the dataset could not be read for a moment) makes Streamlit forget the widgets'
    # values, here or only in the browser, which then shows and sends their defaults: the session's own view
    # puts every value back, explicitly, so the browser gets them too.
    first_run = VIEW_KEY not in st.session_state
    linked, notices = link.parse(st.query_params.to_dict() if first_run else st.session_state[VIEW_KEY],
                                 default, list(events["id"]))
    state = link.widget_state(linked, list(LAYERS))
    state[K["as_of"]] = snap_to_step(linked.as_of, steps)
    if linked.selected:
        state[K["selected"]] = linked.selected
    st.session_state.update(state)
    if first_run:
        st.session_state["link_notices"] = notices
        if linked.version and (since := changelog.link_notice(changes, linked.version, current_digest)):
            notices.append(since)
for notice in st.session_state["link_notices"]:
    st.warning(markdown_text(notice))  # notices echo the link's values: never let them become Markdown

# --- Sidebar: the user's choices --------------------------------------------------------------
with st.sidebar:
    st.header("Filters")
    for field in controls("sidebar"):  # geo.view.fields: one control per part of the view, in the sidebar's order
        control, key = field.control, field.session
        if control.kind == "layer checkboxes":
            for layer, label in LAYERS.items():
                st.checkbox(label, key=link.layer_key(layer))
        elif control.kind == "multiselect":
            st.multiselect(control.label, present_types, format_func=EVENT_TYPES.get, key=key)
        elif control.kind == "date range":
            st.slider(control.label, first, last, format=control.format, key=key)
        elif control.kind == "checkbox":
            st.checkbox(control.label, key=key)
        elif control.kind == "choice slider":
            st.select_slider(control.label, control.choices, key=key, format_func=control.choice_label)
        elif control.kind == "text":
            st.text_input(control.label, key=key, placeholder=control.placeholder, max_chars=control.max_chars)

filters = link.view_from_state(st.session_state, list(LAYERS)).filters
view_key = link.cache_key(filters)
keep = filter_mask(events, filters)  # one bool per event; the map and counts work on masks over `events`
shown_rows = np.flatnonzero(keep)  # positions in `events`: only the rows a part lists are ever copied
placed, bounds = loaded.placement()
off_map_rows = np.flatnonzero(keep & ~placed)  # listed, never placed
missing_assets = assets.missing()
if missing_assets:
    st.warning("The map's libraries are not installed locally (run `scripts/install_assets`), so they load "
               "from public CDNs: the map stays blank without internet or where those CDNs are blocked.")


def rerun_map() -> None:
    """Rerun only the map and details when they ran alone; the whole page when they ran with it."""
    try:
        st.rerun(scope="fragment")
    except StreamlitInvalidLayoutContextError:  # not a fragment rerun: Streamlit allows only a full one
        st.rerun()


def map_date_control() -> tuple[object, bool]:
    """The map date slider and the play button under the map: (the map date, whether time is playing). The
    play loop's next step is applied before the slider exists."""
    if "next_as_of" in st.session_state:
        st.session_state[K["as_of"]] = st.session_state.pop("next_as_of")
    left, right = st.columns([5, 1], vertical_alignment="bottom")
    as_of = FIELD["as_of"].control
    map_day = left.select_slider(as_of.label, options=steps, key=K["as_of"],
                                 format_func=lambda day: day.strftime(as_of.format))
    playing = st.session_state.get("playing", False)
    if right.button("■ Stop" if playing else "▶ Play through time", key="play", width="stretch"):
        playing = st.session_state["playing"] = not playing
        if playing and map_day == steps[-1]:
            st.session_state["next_as_of"] = steps[0]
            rerun_map()
    return map_day, playing


def show_map(on_map: object, status_then: object, map_day: object) -> tuple[dict | None, list[str] | None]:
    """The map of the events in `on_map` at `map_day`, with the crossings then: (what the reader last clicked,
    the id of each points-pack row, or None when the events go to the browser as layers)."""
    large = placed.sum() > COMPACT_ABOVE  # then the points go to the browser once; reruns send a mask
    pack_url, pack_ids, pack_layout = loaded.points_pack(pack_name) if large else (None, None, None)
    parts = map_parts(events, places(), map_day, crossings(), shown=on_map, statuses=status_then, bounds=bounds,
                      asset_base_url=None if missing_assets else assets.STREAMLIT_BASE_URL,
                      pack=ServedPack(pack_url, pack_layout) if large else None, scripts=loaded.event_scripts)
    clicked = st_folium(
        parts.base,
        key="map",
        feature_group_to_add=parts.layers,
        layer_control=parts.layer_control(),
        returned_objects=["last_object_clicked_tooltip"],
        render=False,  # st_folium renders the map once more itself; a full render first doubles each setIcon
        use_container_width=True,
        height=560,
    )
    return clicked, pack_ids


def map_download(filters: object, map_day: object) -> None:
    """Name the crossings the map cannot draw, and offer the map as shown as one offline HTML file."""
    unplaced_crossings = crossings()[crossings().geometry.isna()]
    if len(unplaced_crossings):
        st.caption("Crossings not drawn because no source we found gives their coordinates: "
                   + markdown_text(", ".join(unplaced_crossings["name"])) + ".")

    def map_file() -> str:
        """Built in the server's one download slot (about 3.5 s per 100,000 events), so clicks never pile
        builds up."""
        with downloads.build_slot():
            return assets.standalone_html(view_map(events, filters, map_day, places(), crossings()))

    st.download_button("Download this map (HTML, works offline)", map_file, "border-map.html", "text/html",
                       on_click="ignore", disabled=bool(missing_assets))


def details(keep: object, clicked: dict | None, pack_ids: list[str] | None) -> str | None:
    """The details of the clicked (or chosen) event among those shown; returns its id, or None when the
    filters show nothing."""
    st.subheader("Details")

    def is_shown(event_id: object) -> bool:
        position = events.index.get_indexer([event_id])[0] if isinstance(event_id, str) else -1
        return position >= 0 and bool(keep[position])

    clicked_id = feature_id_from_tooltip((clicked or {}).get("last_object_clicked_tooltip"), pack_ids)
    if is_shown(clicked_id) and clicked_id != st.session_state.get("last_clicked_id"):
        st.session_state["last_clicked_id"] = clicked_id
        st.session_state[K["selected"]] = clicked_id
    if not len(shown_rows):
        st.info("No events match the filters.")
        return None
    if not is_shown(st.session_state.get(K["selected"])):
        st.session_state.pop(K["selected"], None)
    choices = list(events["id"].iloc[shown_rows[:LIST_MAX]])
    if st.session_state.get(K["selected"]) not in (None, *choices):
        choices.insert(0, st.session_state[K["selected"]])
    selected = st.selectbox(FIELD["selected"].control.label, choices, format_func=events["title"].get,
                            key=K["selected"])
    if len(shown_rows) > LIST_MAX:
        st.caption(f"The list offers the first {LIST_MAX:,} of {len(shown_rows):,} events; click any event "
                   "on the map to see it here.")
    st.html(details_html(records(events.loc[[selected]])[0]))
    return selected


def keep_link_in_step(filters: object, map_day: object, selected: str | None) -> None:
    """Keep the URL in step with the view, so a copied link reopens it (the session keeps it too: VIEW_KEY)."""
    first_id = events["id"].iloc[shown_rows[0]] if len(shown_rows) else None
    view = link.View(filters, as_of=map_day, selected=selected if selected != first_id else None,
                         version=changelog.version(current_digest))
    st.session_state[VIEW_KEY] = link.encode(view, default)
    st.query_params.from_dict(st.session_state[VIEW_KEY])


def play_on(map_day: object) -> None:
    """While time plays: after PLAY_SECONDS, step the map date to the next month, or stop at the last."""
    position = steps.index(map_day)
    if position + 1 < len(steps):
        time.sleep(PLAY_SECONDS)
        st.session_state["next_as_of"] = steps[position + 1]
    else:
        st.session_state["playing"] = False
    rerun_map()


@st.fragment
def map_and_details(keep: object, filters: object, view_key: str) -> None:
    """The map at the chosen date and the chosen event's details. Moving the map date, playing through
    time or choosing an event reruns only this part: the timeline and the table do not depend on it."""
    counts, map_area = st.empty(), st.container()  # the map above its date control: its whole height in view
    map_day, playing = map_date_control()
    on_day, status_then = loaded.map_date(map_day)
    on_map = keep & on_day & placed
    counts.markdown(f"**{len(shown_rows):,} of {len(events):,} events shown** · {on_map.sum():,} on the map as of "
                    f"{map_day:%Y-%m} · {len(off_map_rows):,} with no known location (listed below the map)")
    with map_area:
        clicked, pack_ids = show_map(on_map, status_then, map_day)
    map_download(filters, map_day)
    selected = details(keep, clicked, pack_ids)
    keep_link_in_step(filters, map_day, selected)
    if playing:
        play_on(map_day)


map_and_details(keep, filters, view_key)

# --- Timeline of what the filters show ----------------------------------------------------------
st.subheader("Timeline")
periods_spec, events_spec = loaded.timeline_specs(view_key, keep, last)
st.vega_lite_chart(periods_spec, width="stretch")
st.vega_lite_chart(events_spec, width="stretch")

# --- Events without a location -----------------------------------------------------------------
st.subheader(f"Not on the map: location unknown ({len(off_map_rows):,})")
st.html(event_list_html(records(events.iloc[off_map_rows[:LIST_MAX]])))
if len(off_map_rows) > LIST_MAX:
    st.caption(f"The first {LIST_MAX:,} are listed; the table and downloads have all {len(off_map_rows):,}.")

# --- Table and downloads of exactly what is shown ----------------------------------------------
st.subheader("Table")
first_rows = events.iloc[shown_rows[:TABLE_MAX]]  # select before copying: the table never holds more
table = first_rows.drop(columns="geometry")[["id", "title", "event_type", "layer", "place", "date_start", "date_end",
                                       "date_precision", "date_inferred", "location_precision", "status",
                                       "country_found", "province", "distance_to_border_km", "nearest_crossing",
                                       "nearest_crossing_km"]]
table = table.assign(sources=first_rows["sources"].map(len),
                     independent_sources=first_rows["sources"].map(independent_witnesses),
                     **figure_columns(first_rows["figures"]))
st.dataframe(table, hide_index=True, width="stretch")
if len(shown_rows) > TABLE_MAX:
    st.caption(f"The table shows the first {TABLE_MAX:,} of {len(shown_rows):,} events; the downloads have all "
               "of them.")
for column, fmt in zip(st.columns(len(DOWNLOADS)), DOWNLOADS, strict=True):
    extension, mime = FORMATS[fmt]
    label = FORMAT_NAMES[fmt] + (f" ({FORMAT_OPENED_IN[fmt]})" if fmt in FORMAT_OPENED_IN else "")
    too_many = downloads.refusal(fmt, len(shown_rows))  # decided before anything is built
    column.download_button(f"Download {label} (filtered)",
                           lambda fmt=fmt: downloads.download_bytes(ready, shown_rows, fmt),  # built once, elsewhere
                           f"events-filtered{'-hxl' if fmt == 'hxl' else ''}{extension}", mime, on_click="ignore",
                           disabled=too_many is not None)
    if too_many:
        column.caption(markdown_text(too_many))
