"""geo.map.legend: the legend shows what the map draws, from the same style table."""

from __future__ import annotations

from geo.events.schema import EVENT_TYPES
from geo.map.legend import legend_html
from geo.map.style import EVENT_STYLE
from geo.report.markup import escape


def test_the_legend_shows_each_event_type_with_its_map_colour_and_icon():
    legend = legend_html()
    for event_type, label in EVENT_TYPES.items():
        colour, icon = EVENT_STYLE[event_type]
        assert escape(label) in legend and f"background:{colour}" in legend and f"fa-{icon}" in legend
    assert "Route closed" in legend and "Route resumed" in legend
