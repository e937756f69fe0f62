"""geo.map.popups: what hovering over and clicking an event shows, escaped, and the id a click carries."""

from __future__ import annotations

import re

from geo.events.dataset import records
from geo.map.popups import MORE_LINE, feature_id_from_tooltip, popup_html, tooltip_text
from geo.report.markup import escape


def test_a_popup_is_short_title_date_place_confidence_and_points_to_the_details(events):
    row = records(events.loc[["disappearance-shanghai-garment-workers-2022-02"]])[0]
    html = popup_html(row)
    assert escape(row["title"]) in html and "2022-02 (inferred)" in html and "date known to the month" in html
    assert "Shanghai" in html and "position known to the town or city" in html
    assert "Confidence: single source" in html or "Confidence: corroborated" in html
    assert MORE_LINE in html
    assert row["id"] not in html and "seeds/" not in html and "<ol>" not in html and escape(row["summary"]) not in html


def test_a_tooltip_shows_title_and_date_and_hides_the_id_from_readers(events):
    row = records(events.loc[["disappearance-shanghai-garment-workers-2022-02"]])[0]
    tip = tooltip_text(row)
    assert tip.startswith(f"<b>{escape(row['title'])}</b><br>2022-02 (inferred)")
    assert tip.endswith(f"<span hidden>[{row['id']}]</span>")
    visible = re.sub(r"<span hidden>.*?</span>", "", tip)
    assert row["id"] not in visible


def test_popups_and_tooltips_escape_html_in_dataset_text(events):
    row = records(events.iloc[[6]])[0]
    row = {**row, "title": "<script>alert(1)</script>", "summary": "<img src=x onerror=alert(2)>",
           "sources": [{**row["sources"][0], "publisher": "<b>evil</b>", "ref": "javascript:alert(3)"}]}
    html = popup_html(row) + tooltip_text(row)
    assert "<script>" not in html and "<img" not in html and "<b>evil" not in html
    assert "&lt;script&gt;" in html and "href=\"javascript" not in html


def test_tooltips_carry_the_feature_id_which_clicks_can_recover(events):
    for row in records(events[events.geometry.notna()]):
        text = re.sub(r"<[^>]+>", "", tooltip_text(row))  # what streamlit-folium reports: the text content
        assert feature_id_from_tooltip(text) == row["id"]
    assert feature_id_from_tooltip(None) is None and feature_id_from_tooltip("no id here") is None


def test_a_pack_click_names_its_row_which_the_pack_ids_turn_into_the_event_id():
    ids = ["synthetic-000000", "synthetic-000001", "synthetic-000002"]
    assert feature_id_from_tooltip("Border closure · 2022-05-01 [#2]", ids) == "synthetic-000002"
    assert feature_id_from_tooltip("Border closure · 2022-05-01 [synthetic-000002] [#1]", ids) == "synthetic-000001"
    assert feature_id_from_tooltip("Border closure [#3]", ids) is None  # a row the pack does not have
    assert feature_id_from_tooltip("Border closure [#2]") is None  # no ids to resolve it with
    assert feature_id_from_tooltip("Border closure [synthetic-000001] [#2]") == "synthetic-000001"  # an export
    assert feature_id_from_tooltip("Border closure [synthetic-000002]", ids) == "synthetic-000002"
