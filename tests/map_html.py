"""The HTML of a rendered map, readable by tests: the JSON escapes folium puts on markup inside JS undone."""

from __future__ import annotations

import folium


def readable_html(m: folium.Map) -> str:
    """`m` rendered as one standalone page, with `\\u003c`, `\\u003e`, `\\"` and `\\u0026` put back."""
    html = m.get_root().render()
    return html.replace("\\u003c", "<").replace("\\u003e", ">").replace('\\"', '"').replace("\\u0026", "&")
