"""The details panel shows every source and how sure we are, escaping dataset text."""

from html import escape

from geo.events.dataset import records
from geo.report.details import details_html, event_list_html


def test_details_show_sources_dates_precision_and_notes(events, collection):
    [row] = records(events.loc[["rail-freight-dandong-sinuiju-partial-resumption"]])
    html = details_html(row)
    [sources] = [f["properties"]["sources"] for f in collection["features"]
                 if f["properties"]["id"] == "rail-freight-dandong-sinuiju-partial-resumption"]
    assert f"Sources ({len(sources)})" in html and len(sources) > 1  # the founding article and later reports
    for source in sources:
        assert escape(source["publisher"], quote=False) in html and escape(source["ref"]) in html
    assert "Jang Hee-jun" in html and "seeds/000_c849781cc78fe4c5.txt" in html  # the founding article
    assert "inferred" in html and "since last winter" in html
    assert "Partially resumed" in html and "Closed from 2020-01-01" in html
    assert "Dandong – Sino-Korean Friendship Bridge – Sinuiju" in html


def test_details_escape_markup_in_every_field(events):
    [row] = records(events.iloc[[0]])
    row = {**row, "summary": "<script>x()</script>", "place_text": "<iframe>", "date_note": "<b>n</b>"}
    html = details_html(row)
    assert "<script>" not in html and "<iframe>" not in html and "<b>n</b>" not in html


def test_the_unlocated_list_names_each_event_without_placing_it(events, collection):
    rows = records(events[events.geometry.isna()])
    html = event_list_html(rows)
    assert html.count("<li>") == len(rows) == sum(f["geometry"] is None for f in collection["features"]) > 0
    assert "location unknown (in CN)" in html and "Construction workers defect en masse" in html
    assert event_list_html([]) == "<p><i>None.</i></p>"


DISPUTED = [
    {"publisher": "Daily NK", "title": "a", "published": "2023-10-10", "ref": "https://example.org/a"},
    {"publisher": "The Guardian", "title": "b", "published": "2023-10-12", "ref": "https://example.org/b",
     "attributed_to": "Human Rights Watch", "claim": "says the repatriated crossed at five ports"},
    {"publisher": "Justice For North Korea", "title": "c", "published": "2023-10-11", "ref": "https://example.org/c"},
]
FIGURES = [
    {"quantity": "people repatriated", "value": 200, "qualifier": "about", "source": 0},
    {"quantity": "people repatriated", "value": 500, "qualifier": "more than", "source": 1},
    {"quantity": "people repatriated", "value": 600, "qualifier": "about", "source": 2},
]


def test_a_disputed_figure_shows_its_range_and_who_says_what(events):
    [row] = records(events.iloc[[0]])
    html = details_html({**row, "sources": DISPUTED, "figures": FIGURES})
    assert ("200–600 people repatriated: Daily NK about 200; Human Rights Watch more than 500; "
            "Justice For North Korea about 600") in html
    assert "rests on Human Rights Watch" in html and "Says: says the repatriated crossed at five ports" in html
    assert "corroborated by 3 independent sources" in html


def test_the_csv_carries_the_low_and_high_figure(events):
    import csv
    import io

    from geo.io.csv import to_csv

    frame = events.iloc[[0]].copy()
    frame.at[frame.index[0], "sources"] = DISPUTED
    frame.at[frame.index[0], "figures"] = FIGURES
    [row] = list(csv.DictReader(io.StringIO(to_csv(frame))))
    assert (row["figure_low"], row["figure_high"]) == ("200", "600")
    assert row["figures"].startswith("200–600 people repatriated: Daily NK about 200")
    assert "The Guardian (rests on Human Rights Watch)" in row["sources"]
