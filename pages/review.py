"""Review page: turn a news article, or a spreadsheet of events, into reviewed, sourced events; signed-in
editors append them safely.

Anyone may look for candidates in an article or read a sheet's rows; only a signed-in editor can append them
(and only then is an article's text kept in seeds/). Every append is recorded with the editor's name.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo import assets, editors
from geo.dataset import DatasetError, frame_from_collection
from geo.gazetteer import load_gazetteer
from geo.ingest import (
    MAX_ARTICLE_CHARS,
    REVIEW_COLUMNS,
    ArticleTooLong,
    IngestTimeout,
    apply_review,
    candidates_within,
    review_rows,
)
from geo.io.sheet import SheetError, read_sheet
from geo.io.table import import_sheet
from geo.layers import build_map
from geo.markup import markdown_text
from geo.matching import mark_matches
from geo.places import load_places
from geo.schema import DATE_PRECISIONS, EVENT_TYPES, LOCATION_PRECISIONS
from geo.seeds import is_url, seed_ref, write_seed
from geo.store import (
    MAX_APPEND_FEATURES,
    ConflictError,
    StoreError,
    append_features,
    kept_as,
    open_store,
    spec_from_env,
)

ROOT = Path(__file__).resolve().parent.parent
DATA_PATH = spec_from_env(ROOT / "data" / "events.geojson")  # an events file, or a postgresql:// URL (geo.store)
DATA_NAME = open_store(DATA_PATH).name
MAX_UPLOAD_BYTES = 1_000_000  # as .streamlit/config.toml's maxUploadSize
MAX_PUBLISHER, MAX_TITLE, MAX_URL, MAX_NAME = 300, 1000, 2000, 64  # as the data contract's Source fields

st.set_page_config(page_title="Review an article", page_icon="📝", layout="wide")
st.title("From an article to reviewed events")
st.caption(f"Candidates are found by rules (places from the gazetteer, dates from the article's own words) "
           f"and appended to {markdown_text(DATA_NAME)} only when a signed-in editor accepts them.")

# --- Who is here: anonymous visitors read, editors append -------------------------------------------
editor = st.session_state.get("signed_in_editor")
if editor:
    left, right = st.columns([4, 1])
    left.success(f"Signed in as {markdown_text(editor)}. What you append is recorded under this name.")
    if right.button("Sign out", key="sign_out"):
        st.session_state.pop("signed_in_editor")
        st.rerun()
else:
    with st.form("sign_in"):
        st.markdown("**Editors sign in to append.** Without signing in you can look for candidates, "
                    "but nothing is written.")
        name = st.text_input("Editor name", max_chars=MAX_NAME, key="editor_name")
        password = st.text_input("Password", type="password", max_chars=editors.MAX_PASSWORD_CHARS,
                                 key="editor_password")
        signing_in = st.form_submit_button("Sign in")
    if signing_in:
        try:
            if not editors.list_editors():
                st.error("No editors are set up on this server. The operator adds one with "
                         "`python -m geo editors add NAME`.")
            elif editors.sign_in(name.strip(), password):
                st.session_state["signed_in_editor"] = name.strip()
                st.rerun()
            else:
                st.error("Wrong editor name or password.")
        except editors.LockedOut as error:
            st.error(str(error))
        except editors.EditorError as error:
            st.error(f"Sign-in is unavailable: {markdown_text(error)}")

# --- What to review: an article, or a spreadsheet of events ----------------------------------------
def start_review(found: dict, **kept: object) -> None:
    """Keep `found` (a FeatureCollection of candidates) for review with the dataset's digest now; a candidate
    reporting an event already in the dataset is marked, to be offered as a source of that event."""
    try:
        dataset, seen = open_store(DATA_PATH).read()  # the events and their version, from one snapshot
    except (StoreError, DatasetError) as error:
        st.error(f"The dataset cannot be read: {markdown_text(error)}")
        st.stop()
    existing = dataset["features"]
    mark_matches(found, existing)
    titles = {f["properties"]["id"]: f["properties"]["title"] for f in existing}
    st.session_state["review"] = {"collection": found, "digest": seen, **kept,
                                  "matched": {f["properties"]["id"]: titles[f["properties"]["matches"]]
                                              for f in found["features"] if f["properties"].get("matches")}}


ARTICLE, SHEET = "A news article", "A spreadsheet of events (CSV or Excel)"
kind = st.radio("Review", [ARTICLE, SHEET], horizontal=True, key="review_kind")

if kind == ARTICLE:
    upload = st.file_uploader("Article as a UTF-8 text file (up to 1 MB)", type=["txt"], key="upload")
    text = st.text_area(f"…or paste the article (up to {MAX_ARTICLE_CHARS:,} characters)", height=200,
                        key="article", max_chars=MAX_ARTICLE_CHARS)
    if upload is not None:
        if upload.size > MAX_UPLOAD_BYTES:
            st.error("That file is larger than 1 MB; paste the article's text instead.")
            st.stop()
        text = upload.getvalue().decode("utf-8", errors="replace")
    c1, c2, c3 = st.columns(3)
    published = c1.date_input("Published", value=None, key="published", max_value=dt.date.today())
    publisher = c2.text_input("Publisher", key="publisher", max_chars=MAX_PUBLISHER)
    title = c3.text_input("Headline", key="title", max_chars=MAX_TITLE)
    url = st.text_input("URL of the article, http(s):// (leave empty to keep the text in seeds/ and cite that)",
                        key="url", max_chars=MAX_URL)

    if st.button("Find candidates", type="primary", key="find"):
        if not (text.strip() and published and publisher.strip()):
            st.error("Give the article, its publication date and its publisher: every event must cite them.")
            st.stop()
        if url.strip() and not is_url(url.strip()):
            st.error("The URL must start with http:// or https://. Leave it empty to cite the text kept in seeds/.")
            st.stop()
        ref = url.strip() or seed_ref(text)
        try:
            with st.spinner("Reading the article…"):
                found = candidates_within(text, published, publisher.strip(), title.strip() or text.strip()[:120], ref)
        except (ArticleTooLong, IngestTimeout) as error:
            st.error(markdown_text(error))
            st.stop()
        start_review(found, text=text, ref=ref)

if kind == SHEET:
    st.caption("One row per event: columns such as date, event_type, place, lat/lon, source and url are recognised "
               "(see `python -m geo import-table`). A row with only a place is located through the gazetteer; a row "
               "that cannot be located gets no point. Rows with problems are listed and not offered.")
    sheet_upload = st.file_uploader("Spreadsheet: .csv (UTF-8) or .xlsx, up to 1 MB", type=["csv", "xlsx"],
                                    key="sheet_upload")
    if st.button("Read rows", type="primary", key="read_sheet", disabled=sheet_upload is None):
        if sheet_upload.size > MAX_UPLOAD_BYTES:
            st.error("That file is larger than 1 MB; split it, or import it with `python -m geo import-table`.")
            st.stop()
        try:
            imported = import_sheet(read_sheet(sheet_upload.getvalue(), sheet_upload.name))
        except SheetError as error:
            st.error(markdown_text(error))
            st.stop()
        start_review(imported.collection(), text=None, ref=None,
                     sheet={"name": sheet_upload.name, "summary": imported.summary(),
                            "problems": [str(p) for p in imported.problems],
                            "rows": {r.feature["properties"]["id"]: (r.row, r.note) for r in imported.rows
                                     if r.feature}})

review = st.session_state.get("review")
if not review:
    st.stop()

# --- Candidates: map and editable table -------------------------------------------------------------
collection = review["collection"]
from_sheet = review.get("sheet")
st.subheader(f"{len(collection['features'])} candidates")
if from_sheet:
    st.caption(f"{markdown_text(from_sheet['name'])}: {markdown_text(from_sheet['summary'])}.")
    if from_sheet["problems"]:
        st.warning(f"{len(from_sheet['problems']):,} problems: these rows are not offered. Fix them in the sheet and "
                   "read it again.")
        st.code("\n".join(from_sheet["problems"]), language=None)
if not collection["features"]:
    st.info("No rows could be read as events." if from_sheet else "No event keywords were found in the article.")
    st.stop()
frame = frame_from_collection(collection, "candidates")
fmap = build_map(frame, load_places(), asset_base_url=None if assets.missing() else assets.STREAMLIT_BASE_URL)
st_folium(fmap, key="review_map", returned_objects=[], use_container_width=True, height=420)

place_names = ["", *sorted(load_gazetteer().places)]
NEW_EVENT = "new event"
as_source = {cid: f"source of: {title}" for cid, title in review["matched"].items()}
table = pd.DataFrame(review_rows(collection), columns=list(REVIEW_COLUMNS))
table.insert(1, "add_as", table["id"].map(lambda cid: as_source.get(cid, NEW_EVENT)))
if from_sheet:  # the user's own rows: all offered ticked, with the row they came from and how each was located
    table["accept"] = True
    table.insert(2, "row", table["id"].map(lambda cid: from_sheet["rows"][cid][0]))
    table.insert(3, "located", table["id"].map(lambda cid: from_sheet["rows"][cid][1]))
if as_source:
    st.caption(f"{len(as_source)} candidates report an event already in the dataset: they are offered as a "
               "source of that event (column “Add as”) rather than as a new event.")
edited = st.data_editor(
    table,
    key="editor", hide_index=True, width="stretch", disabled=["id", "evidence", "row", "located"],
    column_config={
        "accept": st.column_config.CheckboxColumn("Accept"),
        "add_as": st.column_config.SelectboxColumn("Add as", options=[NEW_EVENT, *dict.fromkeys(as_source.values())],
                                                   required=True),
        "event_type": st.column_config.SelectboxColumn("Event type", options=list(EVENT_TYPES), required=True),
        "place": st.column_config.SelectboxColumn("Place", options=place_names),
        "title": st.column_config.TextColumn("Title", max_chars=300),
        "summary": st.column_config.TextColumn("Summary", max_chars=5000),
        "date_precision": st.column_config.SelectboxColumn("Date precision", options=list(DATE_PRECISIONS)),
        "location_precision": st.column_config.SelectboxColumn("Location precision",
                                                               options=list(LOCATION_PRECISIONS)),
        "evidence": st.column_config.TextColumn("Evidence (the article's sentence)", width="large"),
    },
)

# --- Append the accepted ones, safely (editors only) -------------------------------------------------
rows = edited.to_dict("records")
accepted = apply_review(collection, rows)
chosen = {row["id"]: row.get("add_as") for row in rows}
for feature in accepted:  # "new event" drops the match; "source of: …" keeps it
    if chosen.get(feature["properties"]["id"]) == NEW_EVENT:
        feature["properties"].pop("matches", None)
sources_of = sum(bool(f["properties"].get("matches")) for f in accepted)
if not editor:
    st.info("Sign in as an editor (above) to append these events. Nothing is written for visitors.")
    st.stop()
if len(accepted) > MAX_APPEND_FEATURES:
    st.warning(f"{len(accepted):,} candidates are ticked; one append takes at most {MAX_APPEND_FEATURES}. "
               "Untick the ones that are wrong, or split the article.")
if st.button(f"Append {len(accepted) - sources_of} accepted events"
             + (f" and {sources_of} sources of known events" if sources_of else "") + f" to {DATA_NAME}",
             disabled=not accepted or len(accepted) > MAX_APPEND_FEATURES, key="append"):
    try:
        change = append_features(DATA_PATH, accepted, editor=editor, expected_digest=review["digest"])
    except ConflictError:
        st.error("Not appended: the dataset changed since you pressed “Find candidates”. Press it again to "
                 "start from the current version.")
    except StoreError as error:  # the database went away: one line, never its password
        st.error(f"Not appended: {markdown_text(error)}")
    except DatasetError as error:
        st.error("Not appended: these edits break the data contract. Fix them and try again.")
        st.code("\n".join(str(p) for p in error.problems), language=None)
    else:
        if review["text"] is not None and not is_url(review["ref"]):
            write_seed(review["text"])  # only now that events cite it
        st.cache_data.clear()
        st.session_state.pop("review")
        attached = f" and attached sources to {len(change.attached)} known events" if change.attached else ""
        backup = markdown_text(kept_as(DATA_PATH, change.id))
        st.success(f"Appended {len(change.added)} events{attached} as change {change.id} by "
                   f"{markdown_text(editor)}; the previous version is kept as {backup}. The map page shows them "
                   "now, and `python -m geo history` lists the change.")
