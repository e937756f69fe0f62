"""Escaping dataset text for the map's HTML, which folium places inside JavaScript template literals.

html.escape alone is not enough there: a backtick would end folium's `...` string and `${...}`
would run as code; and folium compiles rendered scripts as Jinja templates again, so `{{ ... }}` or
`{% ... %}` in a title would be evaluated on the server. Every piece of dataset text that reaches
markup goes through `escape`.
"""

from __future__ import annotations

import html
import re


def escape(text: object) -> str:
    """`text` as inert HTML, safe inside a JS template literal (no `, $ or \\) and inside a Jinja
    template (no { or })."""
    return (html.escape(str(text), quote=True)
            .replace("`", "&#96;").replace("$", "&#36;").replace("\\", "&#92;")
            .replace("{", "&#123;").replace("}", "&#125;"))


_MARKDOWN_SPECIAL = frozenset("\\`*_{}[]()<>#+-.!|~:$=&\"'")
_LINK_STARTS = frozenset(":@.")  # where GFM's autolinks begin: http://, www., user@host
WORD_JOINER = "\u2060"


def markdown_text(text: object) -> str:
    """`text` as literal text inside Streamlit Markdown (st.warning, st.caption, …): every ASCII
    punctuation mark that Markdown or Streamlit's extensions give meaning to (links, images, emphasis,
    `:color[...]` and `:material/...:` directives, `$` maths, HTML entities) is backslash-escaped, which
    CommonMark defines as the character itself, and line breaks become spaces. Escapes do not stop GFM's
    autolinks (found in the text after parsing), so an invisible word joiner follows every `:`, `@` and
    `.`: `http://…`, `www.…` and `user@host` then never become links."""
    flat = " ".join(str(text).split())
    return "".join(("\\" + ch if ch in _MARKDOWN_SPECIAL else ch) + (WORD_JOINER if ch in _LINK_STARTS else "")
                   for ch in flat)


_SERVER_PATH = re.compile(r"(?<![\w:/.\\-])/(?:[^/\s'\"`]+/)+(?=[^/\s])")


def without_paths(text: object) -> str:
    """`text` with every absolute server path cut to its last part (`/srv/data/events.geojson` → `events.geojson`),
    for messages a visitor may read: they name files, never where the server keeps them. URLs are left alone."""
    return _SERVER_PATH.sub("", str(text))
