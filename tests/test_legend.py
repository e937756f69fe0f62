"""geo.map.legend: the map key shows what the map draws, from the same style table and crossing symbols; it keeps
the route and crossing keys in view, folds the event types away, and fits beside a phone-wide map."""

from __future__ import annotations

import re

from geo.events.schema import EVENT_TYPES
from geo.map.crossings import crossing_symbol_svg
from geo.map.legend import legend_html, line_sample_svg
from geo.map.style import EVENT_STYLE
from geo.report.markup import escape
from tests.browser import is_file


def test_the_key_shows_each_event_type_with_its_map_colour_and_icon():
    legend = legend_html()
    for event_type, label in EVENT_TYPES.items():
        colour, icon = EVENT_STYLE[event_type]
        assert escape(label) in legend and f"background:{colour}" in legend and f"fa-{icon}" in legend


def test_the_key_lists_only_the_event_types_it_is_given():
    legend = legend_html(["defection", "no_such_type"])
    assert escape(EVENT_TYPES["defection"]) in legend
    assert [label for t, label in EVENT_TYPES.items() if t != "defection" and escape(label) in legend] == []
    assert "Event types on the map (1)" in legend
    assert "Event types on the map (none)" in legend_html([])


def test_the_route_and_crossing_keys_stay_outside_the_folding_list_of_types():
    legend = legend_html(["defection"])
    always, folded = legend.split("<details", 1)
    for status in ("closed", "partially_resumed", "resumed"):
        assert line_sample_svg(status) in always
    for status in ("closed", "partially_resumed", "resumed", "unknown"):
        assert crossing_symbol_svg(status, 16) in always
    assert "partly resumed" in always and "Place known only roughly" in always
    assert "class=\"geo-pin\"" not in always and "class=\"geo-pin\"" in folded


def test_the_types_are_folded_unless_asked_open():
    assert "<details>" in legend_html() and "<details open>" not in legend_html()
    assert "<details open>" in legend_html(collapsed=False)


def test_the_keys_css_travels_with_it_and_touches_nothing_outside_the_key():
    css = re.search(r"<style>(.*?)</style>", legend_html(), re.S).group(1)
    selectors = re.findall(r"([^{}]+)\{", css)
    assert selectors and all(s.strip().startswith(".geo-key") for s in selectors), selectors


def test_a_phone_wide_page_shows_the_key_whole_with_its_types_folded(open_session, tmp_path):
    page_file = tmp_path / "key.html"
    page_file.write_text('<!doctype html><meta charset="utf-8"><body style="margin:0">'
                         f'<div id="box" style="width:358px">{legend_html(list(EVENT_TYPES)[:6])}</div>',
                         encoding="utf-8")
    session = open_session(is_file)
    page = session.page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(page_file.as_uri())
    key = page.locator(".geo-key")
    box = key.bounding_box()
    assert box["width"] <= 358 and key.evaluate("k => k.scrollWidth <= k.clientWidth"), "the key is wider than a phone"
    assert box["height"] < 130, f"the folded key takes {box['height']} px of a phone's height"
    for words in ("Trade routes", "Crossings", "partly resumed", "Place known only roughly"):
        assert page.get_by_text(words, exact=False).first.is_visible()
    assert not page.get_by_text(EVENT_TYPES[list(EVENT_TYPES)[0]]).is_visible()
    page.get_by_text("Event types on the map (6)").click()
    assert page.get_by_text(EVENT_TYPES[list(EVENT_TYPES)[0]]).is_visible()
    session.assert_no_outside_request_and_no_js_error()
