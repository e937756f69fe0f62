"""How the data is made: the methodology a researcher can cite (docs/METHODOLOGY.md), shown as it is written,
in plain words, with the dataset's version so a citation can name it."""

from __future__ import annotations

import streamlit as st

from geo.paths import METHODOLOGY_PATH

st.set_page_config(page_title="How the data is made", layout="wide")
st.markdown(METHODOLOGY_PATH.read_text(encoding="utf-8"))
