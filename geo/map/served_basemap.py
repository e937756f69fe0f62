"""The offline basemap as a file the browser fetches once, for the live map.

Inline, the basemap (data/basemap.geojson, about half a megabyte) is part of the map's script, which
streamlit-folium sends to the browser again on every rerun. The live map instead names a copy of the file that
Streamlit serves from ./static (static/basemap/basemap-<digest>.geojson, written here when absent: a new file
version gets a new name, so no browser keeps a stale copy), and static/js/basemap.js fetches and draws it with
the same styles and panes as geo.reference.basemap. Exported maps, which must work as one file, keep the inline
basemap.
"""

from __future__ import annotations

import functools
import hashlib
import json

import folium

from geo.io.atomic import write_bytes_atomically
from geo.map.assets import STATIC_URL, add_own_script
from geo.map.folium_parts import ScriptMacro
from geo.paths import BASEMAP_PATH, PROJECT_ROOT
from geo.reference.basemap import BORDER_STYLE, LAND_PANE, LAND_STYLE

__all__ = ["SERVED_DIR", "add_served_basemap", "served_basemap_name"]

SCRIPT = "basemap.js"
SERVED_DIR = PROJECT_ROOT / "static" / "basemap"


def served_basemap_name() -> str:
    """The served copy's file name, written under SERVED_DIR when it is not there yet (atomically: readers never
    fetch half a file). The base map is built at every rerun: the file is read and hashed once per version."""
    stat = BASEMAP_PATH.stat()
    name = _served_name(stat.st_mtime_ns, stat.st_size)
    if not (SERVED_DIR / name).is_file():  # removed since (a cleaned checkout): written again
        _served_name.cache_clear()
        name = _served_name(stat.st_mtime_ns, stat.st_size)
    return name


@functools.lru_cache(maxsize=2)
def _served_name(_mtime_ns: int, _size: int) -> str:
    data = BASEMAP_PATH.read_bytes()
    name = f"basemap-{hashlib.sha256(data).hexdigest()[:16]}.geojson"
    if not (SERVED_DIR / name).is_file():
        SERVED_DIR.mkdir(parents=True, exist_ok=True)
        write_bytes_atomically(SERVED_DIR / name, data)
    return name


class ServedBasemap(ScriptMacro):
    """Fetch the served basemap once and draw it (L.geoBasemap, static/js/basemap.js)."""

    NAME = "ServedBasemap"
    SCRIPT = """
        L.geoBasemap({{ this.parent_name() }}, {{ this.url|tojson }}, {{ this.options }});
        """

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self.options = json.dumps({"land": LAND_STYLE, "border": BORDER_STYLE, "landPane": LAND_PANE})


def add_served_basemap(m: folium.Map, script_base_url: str | None) -> None:
    """Draw the basemap on `m` from the served copy, in the land pane below tile layers (as
    geo.reference.basemap.add_basemap does inline); our script loads from `script_base_url` (None: inline)."""
    folium.map.CustomPane(LAND_PANE, z_index=150, pointer_events=False).add_to(m)
    add_own_script(m, SCRIPT, script_base_url)
    ServedBasemap(f"{STATIC_URL}/basemap/{served_basemap_name()}").add_to(m)
