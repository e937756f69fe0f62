"""Review page: turn a news article, or a spreadsheet of events, into reviewed, sourced events; signed-in
editors append them safely.

Anyone may look for candidates in an article or read a sheet's rows; only a signed-in editor can append them
(and only then is an article's text kept in seeds/). Every append is recorded with the editor's name.

Sign-in costs are bounded (geo.store.editors: two password checks at once per server, five attempts a minute per
session, lockouts per name and client address, the address as Streamlit's server reports it, which believes
X-Forwarded-For only from the proxies FORWARDED_ALLOW_IPS names). Before anything is appended the editor is
checked again: removed, or with a password set since, the session is signed out and told why. Messages name
files by their name, never by a path on the server.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from contextlib import nullcontext

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from app.loaded import loaded_dataset, places
from geo.budget import Abandoned
from geo.events.dataset import DatasetError, frame_from_collection, to_feature_collection
from geo.events.schema import DATE_PRECISIONS, EVENT_TYPES, LOCATION_PRECISIONS
from geo.ingest.candidates import MAX_ARTICLE_CHARS, ArticleTooLong, IngestTimeout, candidates_within
from geo.ingest.matching import mark_matches
from geo.ingest.review import REVIEW_COLUMNS, apply_review, review_rows
from geo.io.sheet import SheetError
from geo.map import assets
from geo.map.mapview import build_map
from geo.paths import BUNDLED_EVENTS
from geo.reference.gazetteer import load_gazetteer
from geo.report.markup import markdown_text, without_paths
from geo.store import (
    MAX_APPEND_FEATURES,
    ConflictError,
    StoreError,
    append_features,
    editors,
    kept_as,
    open_store,
    spec_from_env,
)
from geo.store.seeds import SeedError, is_url, seed_kept_for, seed_ref

DATA_PATH = spec_from_env(BUNDLED_EVENTS)  # an events file, or a postgresql:// URL (geo.store)
DATA_NAME = open_store(DATA_PATH).name
MAX_UPLOAD_BYTES = 1_000_000  # as .streamlit/config.toml's maxUploadSize
MAX_PUBLISHER, MAX_TITLE, MAX_URL, MAX_NAME = 300, 1000, 2000, 64  # as the data contract's Source fields


def public(message: object) -> str:
    """`message` as Markdown-safe text for visitors, every server path shortened to its file's name."""
    return markdown_text(without_paths(message))


def still_connected() -> Callable[[], bool]:
    """A question for long work done on this session's behalf: is its browser still connected? (Always yes
    where there is no server runtime to ask, as under AppTest.)"""
    from streamlit import runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    context = get_script_run_ctx()
    if context is None or not runtime.exists():
        return lambda: True
    server, session_id = runtime.get_instance(), context.session_id
    return lambda: server.is_active_session(session_id)


def vouched_editor() -> editors.Credential | None:
    """The signed-in editor, if the credential they signed in with still holds. A removed editor, or one whose
    password was set since, is signed out here and the reason kept to be shown at the top of the page."""
    credential = st.session_state.get("signed_in_editor")
    if not isinstance(credential, editors.Credential):  # nobody, or a session from before credentials
        st.session_state.pop("signed_in_editor", None)
        return None
    try:
        editors.check_credential(credential)
    except editors.SignedOut as error:
        st.session_state.pop("signed_in_editor", None)
        st.session_state["signed_out_because"] = str(error)
        return None
    except editors.EditorError as error:  # the editors file is malformed: nobody can be vouched for now
        st.error(f"Sign-in is unavailable, so nothing can be appended: {public(error)}")
        return None
    return credential


st.set_page_config(page_title="Review an article", page_icon="📝", layout="wide")
st.title("From an article to reviewed events")
st.caption(f"Candidates are found by rules (places from the gazetteer, dates from the article's own words) "
           f"and appended to {markdown_text(DATA_NAME)} only when a signed-in editor accepts them.")

# --- Who is here: anonymous visitors read, editors append -------------------------------------------
credential = vouched_editor()
editor = credential.name if credential else None
signed_out_because = st.session_state.pop("signed_out_because", None)
if signed_out_because:
    st.warning(f"{public(signed_out_because)}.")
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
    attempts = st.session_state.setdefault("sign_in_attempts", [])
    wait = editors.session_wait(attempts) if signing_in else 0
    if wait:
        st.error(f"Too many sign-in attempts from this page: wait {wait} second{'' if wait == 1 else 's'} and try "
                 "again.")
    elif signing_in:
        attempts[:] = [*attempts[-(editors.SESSION_ATTEMPTS - 1):], time.time()]
        try:
            if not editors.list_editors():
                st.error("No editors are set up on this server. The operator adds one with "
                         "`python -m geo editors add NAME`.")
            elif signed_in := editors.sign_in(name.strip(), password, client=st.context.ip_address):
                st.session_state["signed_in_editor"] = signed_in
                st.rerun()
            else:
                st.error("Wrong editor name or password.")
        except (editors.LockedOut, editors.Busy) as error:  # our own words, nothing from outside
            st.error(f"{error}.")
        except editors.EditorError as error:
            st.error(f"Sign-in is unavailable: {public(error)}")

# --- What to review: an article, or a spreadsheet of events ----------------------------------------
def start_review(found: dict, **kept: object) -> None:
    """Keep `found` (a FeatureCollection of candidates) for review with the dataset's digest now; a candidate
    reporting an event already in the dataset is marked, to be offered as a source of that event."""
    try:  # the dataset as the dashboard has it (app.loaded): prepared once per version on this server
        ready, problems = loaded_dataset(str(DATA_PATH), open_store(DATA_PATH).stamp()).prepared()
    except StoreError as error:
        st.error(f"The dataset cannot be read: {public(error)}")
        st.stop()
    except OSError as error:  # a file being replaced, or gone
        st.error(f"The dataset cannot be read: {public(DATA_NAME)}: {public(error.strerror or type(error).__name__)}")
        st.stop()
    if problems:  # not a valid events file: the first problem, as the dashboard's expander lists them all
        more = f" (and {len(problems) - 1:,} more problems)" if len(problems) > 1 else ""
        st.error(f"The dataset cannot be read: {public(problems[0])}{more}")
        st.stop()
    existing, seen = to_feature_collection(ready.frame)["features"], ready.digest  # the events and their version
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
                found = candidates_within(text, published, publisher.strip(), title.strip() or text.strip()[:120], ref,
                                          still_wanted=still_connected())
        except (ArticleTooLong, IngestTimeout) as error:
            st.error(public(error))
            st.stop()
        except Abandoned:  # the visitor left; nobody is there to tell
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
        from geo.io.table import import_upload  # read in a child process, within a time and memory budget

        try:
            with st.spinner("Reading the rows…"):
                imported = import_upload(sheet_upload.getvalue(), sheet_upload.name, still_wanted=still_connected())
        except SheetError as error:
            st.error(public(error))
            st.stop()
        except Abandoned:  # the visitor left; nobody is there to tell
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
fmap = build_map(frame, places(), asset_base_url=None if assets.missing() else assets.STREAMLIT_BASE_URL)
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
    if vouched_editor() is None:  # removed, or the password set, since this run began
        if "signed_out_because" not in st.session_state:
            st.stop()  # the editors file cannot be read: vouched_editor has just said so
        st.session_state["signed_out_because"] += "; nothing was appended"
        st.rerun()  # signed out: the top of the page says why
    needs_seed = review["text"] is not None and not is_url(review["ref"])
    try:
        with seed_kept_for(review["text"]) if needs_seed else nullcontext():  # the seed first, taken back on failure
            change = append_features(DATA_PATH, accepted, editor=editor, expected_digest=review["digest"])
    except ConflictError:
        st.error("Not appended: the dataset changed since you pressed “Find candidates”. Press it again to "
                 "start from the current version.")
    except SeedError as error:
        st.error(f"Not appended: {public(error)}.")
    except StoreError as error:  # the database went away, or the disk is full: one line, never its password
        st.error(f"Not appended: {public(error)}")
    except OSError as error:
        st.error(f"Not appended: the dataset could not be written ({public(error.strerror or type(error).__name__)}).")
    except DatasetError as error:
        st.error("Not appended: these edits break the data contract. Fix them and try again.")
        st.code("\n".join(without_paths(p) for p in error.problems), language=None)
    else:  # the dataset's stamp has changed: every page prepares the new version at its next run
        st.session_state.pop("review")
        attached = f" and attached sources to {len(change.attached)} known events" if change.attached else ""
        backup = public(kept_as(DATA_PATH, change.id))
        st.success(f"Appended {len(change.added)} events{attached} as change {change.id} by "
                   f"{markdown_text(editor)}; the previous version is kept as {backup}. The map page shows them "
                   "now, and `python -m geo history` lists the change.")
