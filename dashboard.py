"""North Korea–China border dashboard: what happened where, when, and who says so.

Run:  streamlit run dashboard.py      (BORDER_DATA=path/to/events.geojson to map another file)
"""

from __future__ import annotations

import time

import numpy as np
import streamlit as st
from streamlit.errors import StreamlitInvalidLayoutContextError
from streamlit_folium import st_folium

from app.loaded import crossings, crossings_on, event_scripts, loaded_dataset, places, trade_chart_on, trade_series
from geo.events.schema import EVENT_TYPES, LAYERS
from geo.io import downloads
from geo.io.export import FORMAT_NAMES, FORMAT_OPENED_IN, FORMATS
from geo.map import assets
from geo.map.legend import legend_html
from geo.map.mapview import COMPACT_ABOVE, ServedPack, map_parts, view_map
from geo.map.pack import dataset_identity, pack_key
from geo.map.popups import feature_id_from_tooltip
from geo.map.viewport import event_view, fit_view
from geo.paths import BUNDLED_EVENTS
from geo.report.charts import time_domain
from geo.report.markup import markdown_text, without_paths
from geo.report.share import COPY_LINK_HEIGHT, copy_link_html
from geo.report.story import month_caption
from geo.store import StoreError, changelog, open_store, spec_from_env
from geo.view import link
from geo.view.fields import FIELD, controls
from geo.view.filters import filter_mask
from geo.view.time import PLAY_SECONDS, map_steps, play_step, snap_to_step

DATA_PATH = spec_from_env(BUNDLED_EVENTS)  # $BORDER_DATA: an events file, or a postgresql:// URL (geo.store)
LIST_MAX = 500  # events offered in the details chooser and listed as unlocated; the table shows more
TABLE_MAX = 10_000
RETRY_SECONDS = 5  # while the dataset cannot be read, how often the page looks again
MAX_PROBLEMS_SHOWN = 50
VIEW_KEY = "view"  # the session's view as link parameters (geo.view.link.encode): outlives the sidebar's widgets
RESTORE_KEY = "restore_view"  # set by a run that ended before the sidebar: the browser has forgotten its widgets
DOWNLOADS = ("geojson", "csv", "gpkg", "kml", "hxl")  # formats of geo.io.export, in the order the buttons show them
MAP_HEIGHT = 560  # px
FEED_MAX = 200  # events listed in the feed beside the map
PAGE_CSS = """<style>
h1 { font-size: 2.1rem !important; }
[data-testid="stCaptionContainer"] { color: #4f5360 !important; opacity: 1 !important; }
/* Streamlit's faded caption grey is below WCAG AA contrast */
@media (max-width: 640px) {  /* phones: the map, not the title, fills the first screen */
  h1 { font-size: 1.45rem !important; padding: 0.2rem 0 !important; }
  .block-container { padding-top: 3.6rem !important; }
}
</style>"""

st.set_page_config(page_title="NK–China border dashboard", page_icon="🗺️", layout="wide")
st.html(PAGE_CSS)
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
        label = "Loading the dataset" + (f" ({size / 1e6:.1f} MB)" if size is not None else "") + "…"
        with loading_line.status(label, expanded=False) as loading:
            ready, problems = loaded.prepared(lambda message: loading.update(label=message))
    loading_line.empty()
    if not problems:
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
loaded.archived_texts()  # the sources' stored copies, served to readers as "archived text"
pack_name = pack_key(current_digest, dataset_identity(store.label))  # the map's points file, if it needs one
if log_problem:
    st.warning(f"The change log could not be read: {markdown_text(without_paths(log_problem))}")

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
        if linked.map_view:  # the map opens there (and st_folium keeps it there from its second render)
            st.session_state["map_target"] = st.session_state["map_opening"] = (linked.map_view.centre,
                                                                                 linked.map_view.zoom)
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
        elif control.kind == "date":
            st.date_input(control.label, min_value=first, max_value=last, format=control.format, key=key,
                          help=control.help)
        elif control.kind == "checkbox":
            st.checkbox(control.label, key=key)
        elif control.kind == "choice slider":
            st.select_slider(control.label, control.choices, key=key, format_func=control.choice_label)
        elif control.kind == "text":
            st.text_input(control.label, key=key, placeholder=control.placeholder, max_chars=control.max_chars)
    if line := link.date_order_notice(st.session_state):
        st.caption(markdown_text(line))

filters = link.view_from_state(st.session_state, list(LAYERS)).filters
view_key = link.cache_key(filters)
keep = filter_mask(events, filters)  # one bool per event; the map and counts work on masks over `events`
shown_rows = np.flatnonzero(keep)  # positions in `events`: only the rows a part lists are ever copied
placed, bounds = loaded.placement()
off_map_rows = np.flatnonzero(keep & ~placed)  # listed, never placed
missing_assets = assets.missing()
if missing_assets:
    st.warning("The map's libraries are not installed on this server (its maintainer can install them: see the "
               "README), so they load "
               "from public CDNs: the map stays blank without internet or where those CDNs are blocked.")


def rerun_map() -> None:
    """Rerun only the map and details when they ran alone; the whole page when they ran with it."""
    try:
        st.rerun(scope="fragment")
    except StreamlitInvalidLayoutContextError:  # not a fragment rerun: Streamlit allows only a full one
        st.rerun()


def toggle_play() -> None:
    """Play from the map date (from the first month when it is the last), or stop on the month shown: the step a
    playing frame had queued is dropped, so Stop never moves the map on."""
    st.session_state.pop("next_as_of", None)
    playing = st.session_state["playing"] = not st.session_state.get("playing", False)
    if not playing and K["as_of"] in st.session_state:  # the browser's month, sent again as the server's: a frame
        st.session_state[K["as_of"]] = st.session_state[K["as_of"]]  # still on its way cannot move the slider on
    if playing and st.session_state.get(K["as_of"]) == steps[-1]:
        st.session_state[K["as_of"]] = steps[0]
    if playing:  # the clock of this play: when it ends, and the time its frames spent working so far
        start = steps.index(st.session_state.get(K["as_of"], steps[0])) if K["as_of"] in st.session_state else 0
        st.session_state["play_clock"] = {
            "ends": time.perf_counter() + PLAY_SECONDS * (len(steps) - 1 - start) / max(len(steps) - 1, 1),
            "work": 0.0, "frames": 0}


def map_date_control() -> tuple[object, bool]:
    """The map date slider and the play button under the map: (the map date, whether time is playing). A playing
    frame's next step is applied before the slider exists."""
    playing = st.session_state.get("playing", False)
    if playing and "next_as_of" in st.session_state:
        st.session_state[K["as_of"]] = st.session_state.pop("next_as_of")
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    as_of = FIELD["as_of"].control
    map_day = left.select_slider(as_of.label, options=steps, key=K["as_of"],
                                 format_func=lambda day: day.strftime(as_of.format))
    right.button("■ Stop" if playing else "▶ Play", key="play", width="stretch", on_click=toggle_play,
                 help=f"Steps through every month in about {PLAY_SECONDS:.0f} seconds")
    return map_day, playing


def picked_in_feed() -> str | None:
    """The event the reader has just picked in the feed (its row as the feed was last drawn), once; else None."""
    rows = ((st.session_state.get("feed") or {}).get("selection") or {}).get("rows") or []
    shown_ids = st.session_state.get("feed_ids") or []
    picked = shown_ids[rows[0]] if rows and rows[0] < len(shown_ids) else None
    if picked is None or picked == st.session_state.get("feed_picked"):
        return None
    st.session_state["feed_picked"] = picked
    return picked


def go_to(view: tuple[tuple[float, float], int]) -> None:
    """Move the map to this ((lat, lon), zoom) at this run (st_folium moves it without drawing it again)."""
    st.session_state["map_target"] = view


def show_map(on_map: object, status_then: object, map_day: object) -> tuple[dict | None, list[str] | None]:
    """The map of the events in `on_map` at `map_day`, with the crossings then: (what st_folium returned, the id of
    each points-pack row, or None when the events go to the browser as layers)."""
    large = placed.sum() > COMPACT_ABOVE  # then the points go to the browser once; reruns send a mask
    pack_url, pack_ids, pack_layout = loaded.points_pack(pack_name) if large else (None, None, None)
    parts = map_parts(events, places(), map_day, crossings(), shown=on_map, statuses=status_then, bounds=bounds,
                      asset_base_url=None if missing_assets else assets.STREAMLIT_BASE_URL,
                      pack=ServedPack(pack_url, pack_layout) if large else None, scripts=event_scripts,
                      script_keys=None if large else loaded.script_keys(), opening=st.session_state.get("map_opening"))
    (centre, zoom) = st.session_state.get("map_target") or (None, None)
    returned = st_folium(
        parts.base,
        key="map",
        feature_group_to_add=parts.layers,
        layer_control=parts.layer_control(),
        returned_objects=["last_object_clicked_tooltip", "center", "zoom"],
        render=False,  # st_folium renders the map once more itself; a full render first doubles each setIcon
        use_container_width=True,
        height=MAP_HEIGHT,
        center=centre,
        zoom=zoom,
    )
    if returned and "map_opening" not in st.session_state \
            and returned.get("center") == {"lat": parts.base.location[0], "lng": parts.base.location[1]}:
        returned = {**returned, "center": None}  # st_folium's stand-in until the map in the browser reports
    return returned, pack_ids


def event_feed(on_feed: object) -> None:
    """The events shown on the map date, newest first; picking one selects it (picked_in_feed) at the next run."""
    table, ids = loaded.feed(on_feed, FEED_MAX)
    st.session_state["feed_ids"] = ids
    st.markdown(f"**Events to {st.session_state[K['as_of']]:%B %Y}, newest first**")
    st.dataframe(table, key="feed", on_select="rerun", selection_mode="single-row", hide_index=True,
                 height=MAP_HEIGHT - 40, width="stretch",
                 column_config={"Date": st.column_config.TextColumn(width=95, help="When it began; ? marks an "
                                                                               "inferred date"),
                                "What happened": st.column_config.TextColumn(width="large")})
    if int(on_feed.sum()) > FEED_MAX:
        st.caption(f"The newest {FEED_MAX:,} of {int(on_feed.sum()):,}; the table below has them all.")


def share_and_fit(filters: object, map_day: object, shown_on_map: object) -> None:
    """Under the map: copy a link to this view, move the map to what is shown, download the map as shown."""
    copy, fit, download = st.columns([2, 2, 3], vertical_alignment="top")
    with copy:
        st.iframe(copy_link_html(), height=COPY_LINK_HEIGHT, alt="Copy link to this view")
    drawn = events.geometry[shown_on_map]
    fit.button("Zoom to what is shown", key="fit", disabled=not len(drawn), width="stretch",
               on_click=lambda: go_to(fit_view(tuple(drawn.total_bounds), height_px=MAP_HEIGHT)))

    def map_file() -> str:
        """Built in the server's one download slot (about 3.5 s per 100,000 events), so clicks never pile
        builds up."""
        with downloads.build_slot():
            return assets.standalone_html(view_map(events, filters, map_day, places(), crossings()))

    download.download_button("Download this map (HTML, works offline)", map_file, "border-map.html", "text/html",
                             on_click="ignore", disabled=bool(missing_assets), width="stretch")


def crossings_now(map_day: object) -> None:
    """The crossings in their status on the map date, as a table (the map's squares can hide at low zoom)."""
    with st.expander(f"Crossings on {map_day:%d %B %Y}", expanded=False):
        unplaced_crossings = crossings()[crossings().geometry.isna()]
        st.table(crossings_on(map_day).set_index("Crossing"))  # plain HTML: read, copied, spoken
        if len(unplaced_crossings):
            st.caption("Not drawn on the map because no source we found gives their coordinates: "
                       + markdown_text(", ".join(unplaced_crossings["name"])) + ".")


def details(keep: object, clicked: dict | None, pack_ids: list[str] | None, picked: str | None) -> str | None:
    """The details of the clicked, picked (in the feed) or chosen event among those shown; returns its id, or None
    when the filters show nothing."""
    st.subheader("Details")

    def is_shown(event_id: object) -> bool:
        position = events.index.get_indexer([event_id])[0] if isinstance(event_id, str) else -1
        return position >= 0 and bool(keep[position])

    clicked_id = feature_id_from_tooltip((clicked or {}).get("last_object_clicked_tooltip"), pack_ids)
    if is_shown(clicked_id) and clicked_id != st.session_state.get("last_clicked_id"):
        st.session_state["last_clicked_id"] = clicked_id
        st.session_state[K["selected"]] = clicked_id
    if is_shown(picked):
        st.session_state[K["selected"]] = picked
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
    st.html(loaded.details(selected, trade_series()[0]))
    return selected


def keep_link_in_step(filters: object, map_day: object, selected: str | None, returned: dict | None) -> None:
    """Keep the URL in step with the view, so a copied link reopens it (the session keeps it too: VIEW_KEY). Where
    the map looks joins the link once the reader (or the link) has moved it from where it opened."""
    first_id = events["id"].iloc[shown_rows[0]] if len(shown_rows) else None
    looking_at = link.map_view_from(returned)
    if st.session_state.get("map_opened") is None:  # where the map first reported itself, once it has a size
        st.session_state["map_opened"] = looking_at
    opened = st.session_state["map_opened"]
    moved = looking_at != opened or "map_target" in st.session_state
    view = link.View(filters, as_of=map_day, selected=selected if selected != first_id else None,
                     version=changelog.version(current_digest), map_view=looking_at if moved else None)
    st.session_state[VIEW_KEY] = link.encode(view, default)
    st.query_params.from_dict(st.session_state[VIEW_KEY])


def play_on(map_day: object, started: float) -> None:
    """While time plays: move the map date on so the story ends when its clock says (PLAY_SECONDS for the whole
    of it), several months a frame when frames cost more than their share (geo.view.time.play_step, given the
    frames' average cost so far), or stop at the last month."""
    position = steps.index(map_day)
    if position + 1 >= len(steps):
        st.session_state["playing"] = False
        rerun_map()
    clock = st.session_state.setdefault("play_clock", {"ends": time.perf_counter() + PLAY_SECONDS, "work": 0.0,
                                                       "frames": 0})
    now = time.perf_counter()
    clock["work"] += now - clock.get("resumed", started)  # a whole frame: the rerun's start-up included
    clock["frames"] += 1
    stride, pause = play_step(len(steps) - position, clock["work"] / clock["frames"], max(clock["ends"] - now, 0.1))
    time.sleep(pause)
    clock["resumed"] = time.perf_counter()
    st.session_state["next_as_of"] = steps[min(position + stride, len(steps) - 1)]
    rerun_map()


def trade_under_timeline(slot: object, domain: list[str], map_day: object) -> None:
    """China's monthly trade with North Korea in `slot` (under the timeline), with a line at the map date."""
    spec = trade_chart_on(map_day, domain)
    if spec is None:
        slot.caption("China's monthly trade is not shown: its file did not pass its checks.")
    else:
        slot.vega_lite_chart(spec, width="stretch")


@st.fragment
def map_and_details(keep: object, filters: object, view_key: str, trade_slot: object, domain: list[str]) -> None:
    """The map at the chosen date beside the feed, and the chosen event's details. Moving the map date, playing
    through time, picking or choosing an event reruns only this part: the timeline and the table do not depend
    on it."""
    started = time.perf_counter()
    counts = st.empty()
    map_column, feed_column = st.columns([3, 2], gap="medium")  # on a phone: the map first, then the feed
    with map_column:
        map_area = st.container()  # the map above its date control: its whole height in view
        map_day, playing = map_date_control()
    on_day, status_then = loaded.map_date(map_day)
    on_map = keep & on_day & placed
    trade_under_timeline(trade_slot, domain, map_day)
    with map_column:
        since, st.session_state["caption_day"] = st.session_state.get("caption_day"), map_day
        st.caption(markdown_text(month_caption(events, keep, since, map_day, loaded.map_date)))
    picked = picked_in_feed()
    if picked is not None and placed[position := events.index.get_loc(picked)]:
        go_to(event_view(events.geometry.iloc[position], height_px=MAP_HEIGHT))
    counts.markdown(f"**{len(shown_rows):,} of {len(events):,} events shown** · {on_map.sum():,} on the map as of "
                    f"{map_day:%Y-%m} · {len(off_map_rows):,} with no known location (listed below the map)")
    with map_area:
        returned, pack_ids = show_map(on_map, status_then, map_day)
    with feed_column:
        event_feed(keep & loaded.begun(map_day))  # events up to the map date; a route drawn earlier waits for its own
    share_and_fit(filters, map_day, on_map)
    types_on_map = sorted(set(events["event_type"].iloc[np.flatnonzero(on_map)]))
    # st.html would drop the key's drawings (SVG); the legend holds only our own words, escaped
    st.markdown(assets.icon_font_link() + legend_html(types_on_map, collapsed=True), unsafe_allow_html=True)
    crossings_now(map_day)
    selected = details(keep, returned, pack_ids, picked)
    keep_link_in_step(filters, map_day, selected, returned)
    if playing:
        play_on(map_day, started)


map_part = st.container()  # the map and details, then the timeline; the map date moves the trade chart under it
periods_spec, events_spec = loaded.timeline_specs(view_key, keep, last)

# --- Timeline of what the filters show ----------------------------------------------------------
st.subheader("Timeline")
st.vega_lite_chart(periods_spec, width="stretch")
trade_slot = st.empty()  # China's monthly trade under the routes' status, drawn by map_and_details at each map date
st.vega_lite_chart(events_spec, width="stretch")
with map_part:
    map_and_details(keep, filters, view_key, trade_slot, time_domain(periods_spec))

# --- Events without a location -----------------------------------------------------------------
st.subheader(f"Not on the map: location unknown ({len(off_map_rows):,})")
st.html(loaded.event_list(off_map_rows[:LIST_MAX]))
if len(off_map_rows) > LIST_MAX:
    st.caption(f"The first {LIST_MAX:,} are listed; the table and downloads have all {len(off_map_rows):,}.")

# --- Table and downloads of exactly what is shown ----------------------------------------------
st.subheader("Table")
# in words (the downloads keep the fields), and never more than TABLE_MAX rows
st.dataframe(loaded.reader_rows(shown_rows[:TABLE_MAX]), hide_index=True, width="stretch")
if len(shown_rows) > TABLE_MAX:
    st.caption(f"The table shows the first {TABLE_MAX:,} of {len(shown_rows):,} events; the downloads have all "
               "of them.")
for column, fmt in zip(st.columns(len(DOWNLOADS)), DOWNLOADS, strict=True):
    extension, mime = FORMATS[fmt]
    label = FORMAT_NAMES[fmt] + (f" ({FORMAT_OPENED_IN[fmt]})" if fmt in FORMAT_OPENED_IN else "")
    too_many = downloads.refusal(fmt, len(shown_rows))  # decided before anything is built
    column.download_button(f"Download {label} (filtered)",
                           lambda fmt=fmt: downloads.download_bytes(ready, shown_rows, fmt),  # built once, elsewhere
                           downloads.download_name(filters, default, extension, hxl=fmt == "hxl"), mime,
                           on_click="ignore",
                           disabled=too_many is not None)
    if too_many:
        column.caption(markdown_text(too_many))

# --- About this dataset: its version and recorded changes, out of the reader's first screen --------------
st.subheader("About this dataset")
st.caption(f"{len(events):,} events · version {changelog.version(current_digest)} · {len(changes):,} recorded "
           "changes, each with who made it and when" + (" · kept in a shared database" if store.engine == "postgis"
                                                         else ""))
st.page_link("pages/methodology.py", label="How the data is made: events, witnesses, figures, places, dates and "
             "the trade series")
