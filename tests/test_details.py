"""The details panel shows every source and how sure we are, escaping dataset text."""

from geo.dataset import records
from geo.details import details_html, event_list_html


def test_details_show_sources_dates_precision_and_notes(events):
    [row] = records(events.loc[["rail-freight-dandong-sinuiju-partial-resumption"]])
    html = details_html(row)
    assert "Sources (1)" in html and "Jang Hee-jun" in html and "seeds/000_c849781cc78fe4c5.txt" in html
    assert "inferred" in html and "since last winter" in html
    assert "Partially resumed" in html and "Closed from 2020-01-01" in html
    assert "Dandong – Sino-Korean Friendship Bridge – Sinuiju" in html


def test_details_escape_markup_in_every_field(events):
    [row] = records(events.iloc[[0]])
    row = {**row, "summary": "<script>x()</script>", "place_text": "<iframe>", "date_note": "<b>n</b>"}
    html = details_html(row)
    assert "<script>" not in html and "<iframe>" not in html and "<b>n</b>" not in html


def test_the_unlocated_list_names_each_event_without_placing_it(events):
    rows = records(events[events.geometry.isna()])
    html = event_list_html(rows)
    assert html.count("<li>") == len(rows) == 6
    assert "location unknown (in CN)" in html and "Construction workers defect en masse" in html
    assert event_list_html([]) == "<p><i>None.</i></p>"
