"""Escaping dataset text for the map's HTML, which folium places inside JavaScript template literals.

html.escape alone is not enough there: a backtick would end folium's `...` string and `${...}`
would run as code. Every piece of dataset text that reaches markup goes through `escape`.
"""

from __future__ import annotations

import html


def escape(text: object) -> str:
    """`text` as inert HTML, safe inside a JS template literal too (no `, no ${, no \\ escapes)."""
    return (html.escape(str(text), quote=True)
            .replace("`", "&#96;").replace("$", "&#36;").replace("\\", "&#92;"))
