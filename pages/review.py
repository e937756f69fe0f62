"""Review page: turn a news article, or a spreadsheet of events, into reviewed, sourced events; signed-in
editors append them safely.

Anyone may look for candidates in an article or read a sheet's rows; only a signed-in editor can append them
(and only then is an article's text kept in seeds/). Every append is recorded with the editor's name.

Sign-in costs are bounded (geo.store.editors: two password checks at once per server, five attempts a minute per
session, lockouts per name and client address, the address as Streamlit's server reports it, which believes
X-Forwarded-For only from the proxies FORWARDED_ALLOW_IPS names). Before anything is appended the editor is
checked again: removed, or with a password set since, the session is signed out and told why. The page speaks
plain words: no file of the server, path, field name or command (the reviewer's own sheet is named by its name);
what an administrator needs to repair a broken dataset or editors file goes to the server's log.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from contextlib import nullcontext

import streamlit as st
from streamlit_folium import st_folium

from app.loaded import loaded_dataset, places
from geo.budget import Abandoned
from geo.events.dataset import DatasetError, frame_from_collection, to_feature_collection
from geo.events.evidence import figures_text
from geo.events.schema import DATE_PRECISIONS, EVENT_TYPES, LOCATION_PRECISIONS
from geo.ingest.candidates import MAX_ARTICLE_CHARS, ArticleTooLong, IngestTimeout, candidates_within
from geo.ingest.matching import mark_matches
from geo.ingest.places import place_words
from geo.ingest.review import (
    SUMMARY_HELP,
    Unreviewed,
    apply_review,
    contract_problems,
    problem_words,
    review_rows,
    sheet_problem_words,
)
from geo.ingest.suggest import without_suggestions
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
    open_store,
    spec_from_env,
)
from geo.store.seeds import SeedError, is_url, seed_kept_for, seed_ref

DATA_PATH = spec_from_env(BUNDLED_EVENTS)  # an events file, or a postgresql:// URL (geo.store)
MAX_UPLOAD_BYTES = 1_000_000  # as .streamlit/config.toml's maxUploadSize
MAX_PUBLISHER, MAX_TITLE, MAX_URL, MAX_NAME = 300, 1000, 2000, 64  # as the data contract's Source fields
EDITORS_UNREADABLE = ("the list of editors on this server cannot be read. An administrator of this dataset can "
                      "repair it.")
_LOG = logging.getLogger(__name__)


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
        _LOG.error("the editors cannot be read: %s", without_paths(error))
        st.error(f"Sign-in is unavailable, so nothing can be appended: {EDITORS_UNREADABLE}")
        return None
    return credential


st.set_page_config(page_title="Review an article", page_icon="📝", layout="wide")
st.title("From an article to reviewed events")
st.markdown("Candidates are found by rules (places from the gazetteer, dates from the article's own words) "
            "and appended to the dataset only when a signed-in editor accepts them.")

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
                st.error("No editors are set up on this server yet: an administrator of this dataset can add "
                         "you as an editor.")
            elif signed_in := editors.sign_in(name.strip(), password, client=st.context.ip_address):
                st.session_state["signed_in_editor"] = signed_in
                st.rerun()
            else:
                st.error("Wrong editor name or password.")
        except (editors.LockedOut, editors.Busy) as error:  # our own words, nothing from outside
            st.error(f"{error}.")
        except editors.EditorError as error:  # the file's name and fault are the administrator's: in the log
            _LOG.error("the editors cannot be read: %s", without_paths(error))
            st.error(f"Sign-in is unavailable: {EDITORS_UNREADABLE}")

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
        st.error(f"The dataset cannot be read: {public(error.strerror or type(error).__name__)}")
        st.stop()
    if problems:  # not a valid events file: its problems, named by file and field, are the administrator's
        _LOG.error("the dataset cannot be read: %s", without_paths(problems[0]))
        st.error(f"The dataset cannot be read: it has {len(problems):,} problem{'' if len(problems) == 1 else 's'} "
                 "that an administrator of this dataset must fix first.")
        st.stop()
    existing, seen = to_feature_collection(ready.frame)["features"], ready.digest  # the events and their version
    mark_matches(found, existing)
    titles = {f["properties"]["id"]: f["properties"]["title"] for f in existing}
    for key in [k for k in st.session_state if str(k).startswith("cand_")]:  # the last review's cards
        del st.session_state[key]
    st.session_state["review"] = {"collection": found, "digest": seen, **kept,
                                  "rows": review_rows(found, reviewers_own="sheet" in kept,
                                                      unwritten=kept.get("sheet", {}).get("unwritten", ())),
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
    url = st.text_input("Address of the article, starting http:// or https:// (leave it empty to keep the "
                        "article's text on this server and cite that)",
                        key="url", max_chars=MAX_URL)

    if st.button("Find candidates", type="primary", key="find"):
        if not (text.strip() and published and publisher.strip()):
            st.error("Give the article, its publication date and its publisher: every event must cite them.")
            st.stop()
        if url.strip() and not is_url(url.strip()):
            st.error("The address must start with http:// or https://. Leave it empty to cite the article's text, "
                     "kept on this server.")
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
    st.markdown("One row per event, with columns for its date, event type, place (or latitude and longitude), source "
               "and the source's address, under their usual names. A row with only a place name is located from "
               "the list of known places; a row that cannot be located gets no point. Rows with problems are "
               "listed and not offered.")
    sheet_upload = st.file_uploader("Spreadsheet: .csv (UTF-8) or .xlsx, up to 1 MB", type=["csv", "xlsx"],
                                    key="sheet_upload")
    if st.button("Read rows", type="primary", key="read_sheet", disabled=sheet_upload is None):
        if sheet_upload.size > MAX_UPLOAD_BYTES:
            st.error("That file is larger than 1 MB; split it into smaller sheets, or ask an administrator of this "
                     "dataset to import it.")
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
                            "problems": [sheet_problem_words(p, imported.columns) for p in imported.problems],
                            "unwritten": imported.unwritten_summaries,
                            "rows": {r.feature["properties"]["id"]: r.row for r in imported.rows if r.feature}})

review = st.session_state.get("review")
if not review:
    st.stop()

# --- Candidates: a map, then one card per candidate: its tick, its evidence and its fields together ----------------
collection = review["collection"]
from_sheet = review.get("sheet")
found = len(collection["features"])
st.subheader(f"{found} candidate{'' if found == 1 else 's'}")
if from_sheet:
    st.markdown(f"{markdown_text(from_sheet['name'])}: {markdown_text(from_sheet['summary'])}.")
    if problems := from_sheet["problems"]:
        st.warning(f"{len(problems):,} problem{'' if len(problems) == 1 else 's'}: these rows are not offered. Fix "
                   "them in the sheet and read it again.")
        st.code("\n".join(from_sheet["problems"]), language=None)
if not collection["features"]:
    st.info("No rows could be read as events." if from_sheet else "No event keywords were found in the article.")
    st.stop()
frame = frame_from_collection(without_suggestions(collection), "candidates")  # the contract has no suggestion
fmap = build_map(frame, places(), asset_base_url=None if assets.missing() else assets.STREAMLIT_BASE_URL)
st_folium(fmap, key="review_map", returned_objects=[], use_container_width=True, height=420)

PAGE_SIZE = 20  # cards on screen at once; the edits of the others are kept in the review
place_names = ["", *sorted(load_gazetteer().places)]
known = review["matched"]  # candidate → the title of the event in the dataset it reports
rows: list[dict] = review["rows"]
by_id = {f["properties"]["id"]: f["properties"] for f in collection["features"]}
if from_sheet:
    st.markdown("Your sheet's rows are offered ticked. Check each one, edit what is wrong, write the summary of each "
                "row whose sheet gives none, and untick what should not be added.")
else:
    st.markdown("Candidates the article's own sentence reports are ticked already; the others are not, each with the "
                "reason in a line under its sentence. Check each tick against the sentence beside it: a ticked "
                "candidate's title, type, place and dates are published as you leave them, and its summary is what "
                "you write.")
if known:
    st.markdown(f"{len(known)} candidate{'s report' if len(known) > 1 else ' reports'} an event already in the "
                "dataset: offered as another source of that event rather than as a new event.")


def as_date(value: object) -> dt.date | None:
    """A row's date (an ISO string, a date or nothing) as a date for a date input."""
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value[:10]) if isinstance(value, str) and value else None


def field(index: int, name: str, make: Callable[..., object], *args: object, **kwargs: object) -> None:
    """Draw the widget for field `name` of row `index`, started from the row's value, and keep what it holds."""
    key = f"cand_{index}_{name}"
    if key not in st.session_state:  # first shown, or shown again after another page of cards
        value = rows[index][name]
        st.session_state[key] = as_date(value) if name in ("date_start", "date_end") else value
    rows[index][name] = make(*args, key=key, **kwargs)


def card(index: int) -> None:
    """One candidate: its tick and the article's sentence first, then how it was read, then its fields."""
    row, props = rows[index], by_id[rows[index]["id"]]
    with st.container(border=True, key=f"cand_card_{index}"):
        tick, quote = st.columns([1, 4])
        with tick:
            field(index, "accept", st.checkbox, f"Accept candidate {index + 1}")
        with quote:
            if from_sheet:
                located = place_words(props.get("location_note") or "")
                st.markdown(f"**Row {from_sheet['rows'][row['id']]} of the sheet.** {markdown_text(located)}")
            else:
                st.markdown(f"**In the article:** “{markdown_text(row['evidence'] or '')}”")
                if row.get("reason"):  # why it is (or is not) ticked at first, in plain words
                    st.markdown(f"*{'Suggested' if by_id[row['id']].get('suggested') else 'Not suggested'}:* "
                                f"{markdown_text(row['reason'])}")
            notes = [props.get("location_note"), props.get("date_note"),
                     *figures_text(props.get("figures"), props.get("sources") or [])]
            if notes := [markdown_text(n) for n in notes if n and not from_sheet]:
                st.markdown("*How it was read:* " + " ".join(notes))
            if row["id"] in known:
                field(index, "as_source", st.radio, "Add it as", options=[True, False], horizontal=True,
                      format_func=lambda source: "another source of a known event" if source else "a new event")
        if row["id"] in known and row["as_source"]:
            where = f" (found in {markdown_text(row['place'])})" if row["place"] else ""
            st.markdown(f"Its article is added as a source of “{markdown_text(known[row['id']])}”{where}, with the "
                        "figures it gives; that event's title, summary, place and dates stay as they are.")
            return
        field(index, "title", st.text_input, "Title", max_chars=300)
        field(index, "summary", st.text_area, "Summary, in your own words", max_chars=5000, height=80,
              placeholder=SUMMARY_HELP)
        kind_of, where = st.columns(2)
        with kind_of:
            field(index, "event_type", st.selectbox, "Event type", options=list(EVENT_TYPES),
                  format_func=EVENT_TYPES.get)
        with where:
            options = place_names if (row["place"] or "") in place_names else [*place_names, row["place"]]
            field(index, "place", st.selectbox, "Place", options=options,
                  format_func=lambda name: name or "No place")
        start, end, date_precision, location_precision = st.columns(4)
        with start:
            field(index, "date_start", st.date_input, "From", min_value=EARLIEST, max_value=dt.date.today())
        with end:
            field(index, "date_end", st.date_input, "To", min_value=EARLIEST, max_value=dt.date.today())
        with date_precision:
            field(index, "date_precision", st.selectbox, "Date known to the", options=list(DATE_PRECISIONS),
                  format_func=str.capitalize)
        with location_precision:
            field(index, "location_precision", st.selectbox, "Place known to the", options=list(LOCATION_PRECISIONS),
                  format_func=str.capitalize)


EARLIEST = dt.date(1900, 1, 1)
shown = range(len(rows))
if len(rows) > PAGE_SIZE:
    pages = range(0, len(rows), PAGE_SIZE)
    first = st.selectbox("Candidates shown", pages, key="cand_page",
                         format_func=lambda at: f"{at + 1}–{min(at + PAGE_SIZE, len(rows))} of {len(rows)}")
    shown = range(first, min(first + PAGE_SIZE, len(rows)))
for index in shown:
    card(index)

# --- Append the accepted ones, safely (editors only) -------------------------------------------------
ticked = [row for row in rows if row.get("accept")]
sources_of = sum(bool(row["id"] in known and row["as_source"]) for row in ticked)
if not editor:
    st.info("Sign in as an editor (above) to append these events. Nothing is written for visitors.")
    st.stop()
if len(ticked) > MAX_APPEND_FEATURES:
    st.warning(f"{len(ticked):,} candidates are ticked; one append takes at most {MAX_APPEND_FEATURES}. "
               "Untick the ones that are wrong, or split the article.")
if st.button(f"Append {len(ticked) - sources_of} accepted events"
             + (f" and {sources_of} sources of known events" if sources_of else "") + " to the dataset",
             disabled=not ticked or len(ticked) > MAX_APPEND_FEATURES, key="append"):
    if vouched_editor() is None:  # removed, or the password set, since this run began
        if "signed_out_because" not in st.session_state:
            st.stop()  # the editors file cannot be read: vouched_editor has just said so
        st.session_state["signed_out_because"] += "; nothing was appended"
        st.rerun()  # signed out: the top of the page says why
    try:
        accepted = apply_review(collection, rows)
    except Unreviewed as error:  # nothing of this review is appended, not even its complete candidates
        st.error(str(error))
        st.stop()
    if problems := contract_problems(accepted, rows):  # named by candidate and field, in words
        st.error("Not appended: " + "; ".join(public(p) for p in problems[:5])
                 + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else "") + ".")
        st.stop()
    needs_seed = review["text"] is not None and not is_url(review["ref"])
    try:
        with seed_kept_for(review["text"]) if needs_seed else nullcontext():  # the seed first, taken back on failure
            change = append_features(DATA_PATH, accepted, editor=editor, expected_digest=review["digest"])
    except ConflictError:
        st.error("Not appended: the dataset changed since you pressed “Find candidates”. Press it again to "
                 "start from the current version.")
    except SeedError as error:  # its words name the seeds folder: say what it means to the editor
        st.error("Not appended: the article's text could not be kept on this server "
                 f"({public(str(error).rsplit(': ', 1)[-1])}).")
    except StoreError as error:  # the database went away, or the disk is full: one line, never its password
        st.error(f"Not appended: {public(error)}")
    except OSError as error:
        st.error(f"Not appended: the dataset could not be written ({public(error.strerror or type(error).__name__)}).")
    except DatasetError as error:  # the store's own check: each problem named by candidate and field, in words
        st.error("Not appended: these edits break the data contract. Fix them and try again.")
        st.code("\n".join(without_paths(problem_words(p, rows)) for p in error.problems), language=None)
    else:  # the dataset's stamp has changed: every page prepares the new version at its next run
        st.session_state.pop("review")
        attached = f" and attached sources to {len(change.attached)} known events" if change.attached else ""
        st.success(f"Appended {len(change.added)} events{attached} as change {change.id} by "
                   f"{markdown_text(editor)}; the previous version is kept, and an administrator of this dataset can "
                   "undo the change. The map page shows them now.")
