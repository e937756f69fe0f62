"""Review page: turn a news article into reviewed, sourced events and append them safely."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo import assets
from geo.dataset import DatasetError, frame_from_collection
from geo.gazetteer import load_gazetteer
from geo.ingest import REVIEW_COLUMNS, apply_review, candidates_from_text, review_rows
from geo.layers import build_map
from geo.places import load_places
from geo.schema import DATE_PRECISIONS, EVENT_TYPES, LOCATION_PRECISIONS
from geo.store import ConflictError, append_features, digest

ROOT = Path(__file__).resolve().parent.parent
DATA_PATH = Path(os.environ.get("BORDER_DATA", ROOT / "data" / "events.geojson"))
MAX_ARTICLE_BYTES = 1_000_000

st.set_page_config(page_title="Review an article", page_icon="📝", layout="wide")
st.title("From an article to reviewed events")
st.caption(f"Candidates are found by rules (places from the gazetteer, dates from the article's own words) "
           f"and appended to {DATA_PATH.name} only when you accept them.")

# --- The article ----------------------------------------------------------------------------------
upload = st.file_uploader("Article as a UTF-8 text file (up to 1 MB)", type=["txt"], key="upload")
text = st.text_area("…or paste the article", height=200, key="article")
if upload is not None:
    if upload.size > MAX_ARTICLE_BYTES:
        st.error("That file is larger than 1 MB; paste the article's text instead.")
        st.stop()
    text = upload.getvalue().decode("utf-8", errors="replace")
c1, c2, c3 = st.columns(3)
published = c1.date_input("Published", value=None, key="published", max_value=dt.date.today())
publisher = c2.text_input("Publisher", key="publisher")
title = c3.text_input("Headline", key="title")
url = st.text_input("URL of the article (leave empty to keep the text in seeds/ and cite that)", key="url")

if st.button("Find candidates", type="primary", key="find"):
    if not (text.strip() and published and publisher.strip()):
        st.error("Give the article, its publication date and its publisher: every event must cite them.")
        st.stop()
    ref = url.strip() or f"seeds/{hashlib.sha256(text.encode()).hexdigest()[:16]}.txt"
    st.session_state["review"] = {
        "collection": candidates_from_text(text, published, publisher.strip(), title.strip() or text.strip()[:120],
                                           ref),
        "text": text, "ref": ref, "digest": digest(DATA_PATH),
    }

review = st.session_state.get("review")
if not review:
    st.stop()

# --- Candidates: map and editable table -------------------------------------------------------------
collection = review["collection"]
st.subheader(f"{len(collection['features'])} candidates")
if not collection["features"]:
    st.info("No event keywords were found in the article.")
    st.stop()
frame = frame_from_collection(collection, "candidates")
fmap = build_map(frame, load_places(), asset_base_url=None if assets.missing() else assets.STREAMLIT_BASE_URL)
st_folium(fmap, key="review_map", returned_objects=[], use_container_width=True, height=420)

place_names = ["", *sorted(load_gazetteer().places)]
edited = st.data_editor(
    pd.DataFrame(review_rows(collection), columns=list(REVIEW_COLUMNS)),
    key="editor", hide_index=True, width="stretch", disabled=["id", "evidence"],
    column_config={
        "accept": st.column_config.CheckboxColumn("Accept"),
        "event_type": st.column_config.SelectboxColumn("Event type", options=list(EVENT_TYPES), required=True),
        "place": st.column_config.SelectboxColumn("Place", options=place_names),
        "date_precision": st.column_config.SelectboxColumn("Date precision", options=list(DATE_PRECISIONS)),
        "location_precision": st.column_config.SelectboxColumn("Location precision",
                                                               options=list(LOCATION_PRECISIONS)),
        "evidence": st.column_config.TextColumn("Evidence (the article's sentence)", width="large"),
    },
)

# --- Append the accepted ones, safely -------------------------------------------------------------------
rows = edited.to_dict("records")
accepted = apply_review(collection, rows)
if st.button(f"Append {len(accepted)} accepted events to {DATA_PATH.name}", disabled=not accepted, key="append"):
    try:
        if review["ref"].startswith("seeds/"):
            seed = ROOT / review["ref"]
            if not seed.exists():
                seed.write_text(review["text"], encoding="utf-8")
        added = append_features(DATA_PATH, accepted, expected_digest=review["digest"])
    except ConflictError as error:
        st.error(f"Not appended: {error}. Press “Find candidates” again to start from the current file.")
    except DatasetError as error:
        st.error("Not appended: these edits break the data contract. Fix them and try again.")
        st.code("\n".join(str(p) for p in error.problems), language=None)
    else:
        st.cache_data.clear()
        st.session_state.pop("review")
        st.success(f"Appended {added} events to {DATA_PATH}; the previous version is kept as "
                   f"{DATA_PATH.name}.bak. The map page shows them now.")
