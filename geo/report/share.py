"""The "Copy link" button: a small page of its own (a Streamlit component frame) whose script, static/js/copylink.js,
copies the reader's current address, which the dashboard keeps in step with the view."""

from __future__ import annotations

import functools

from geo.paths import PROJECT_ROOT

__all__ = ["COPY_LINK_HEIGHT", "copy_link_html"]

SCRIPT = PROJECT_ROOT / "static" / "js" / "copylink.js"
COPY_LINK_HEIGHT = 64  # px: the button and one line under it

_STYLE = ("<style>body{margin:0;font:14px/1.4 'Source Sans Pro',system-ui,sans-serif;color:#31333f}"
          "button{font:inherit;padding:.3rem .8rem;border:1px solid rgba(49,51,63,.3);border-radius:.5rem;"
          "background:#fff;cursor:pointer}button:hover,button:focus-visible{border-color:#ff4b4b;color:#ff4b4b}"
          "#copy-said{font-size:12px;color:#555;min-height:1em;margin:2px 0 0}</style>")


@functools.cache
def copy_link_html() -> str:
    """The button's whole page: markup, style and static/js/copylink.js inlined (the frame has no other source);
    read once per server, not at every rerun."""
    code = SCRIPT.read_text(encoding="utf-8").replace("</script", "<\\/script")
    return (f'{_STYLE}<button id="copy-link" type="button">Copy link to this view</button>'
            f'<p id="copy-said" role="status" aria-live="polite"></p><script>{code}</script>')
