"""Leaflet script rendered once and reused: a map's fixed layers cost almost nothing on a rerun.

folium renders every element through Jinja each time a map is rendered, and branca then compiles each
rendered piece as a Jinja template once more (`MacroElement.render` wraps it in `Element(text)`): about
1 ms per element, more per kilobyte. The dashboard builds its map on every rerun and st_folium renders
it, so fixed content (the offline basemap, place labels, crossings on a date) would be rendered again
each time (about 0.15 s on the curated map).

- `Text`: a piece of a figure's header or script placed as it is (nothing compiled).
- `ReadyScript`: ready-made Leaflet script of a layer's elements, which name their layer PARENT.
- `ready_layer(key, build)`: the FeatureGroup `build()` returns, its content rendered on the first call
  for `key` and taken from the cache after. The group itself stays a live folium FeatureGroup (its name,
  `control` and `show` kept), so the layer control lists it and streamlit-folium names it as usual.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import folium
from branca.element import Element
from folium.elements import JSCSSMixin

from geo.map.folium_parts import (
    ScriptMacro,
    children,
    derived_id,
    element_scripts,
    header_children,
    parent_name,
    set_id,
    set_name,
    walk,
)

PARENT = "feature_group_geoparent"  # the JS name ready-made elements use for their layer, until added
CACHE_MAX = 64  # ready-made layers kept (keys are few: a fixed layer per content version or map date)


class Text(Element):
    """Text placed in a figure as it is (branca's `Element(text)` would compile it as a template)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        set_name(self, "Text")
        self.text = text

    def render(self, **kwargs: object) -> str:
        return self.text


class ReadyScript(ScriptMacro):
    """Ready-made script (`parts`, joined) of the elements of the layer it is added to; PARENT in it
    becomes that layer's JS name. `header` (CSS) goes to the figure's header."""

    NAME = "ReadyScript"
    SCRIPT = "{{ this.code() }}"

    def __init__(self, parts: list[str] | None = None, header: str = "") -> None:
        super().__init__()
        self.parts = list(parts or [])
        self.header = header

    def code(self) -> str:
        return "\n".join(self.parts).replace(PARENT, parent_name(self))

    def render(self, **kwargs: object) -> None:
        figure = self.get_root()
        if self.header:
            figure.header.add_child(Text(self.header), name=self.get_name())
        figure.script.add_child(Text(self.code()), name=self.get_name())


@dataclass(frozen=True)
class _Rendered:
    options: dict[str, object]  # the FeatureGroup's constructor arguments
    header: str
    script: str


def _render(group: folium.FeatureGroup) -> _Rendered:
    """The script and header of `group`'s elements, as written when the group's JS name is PARENT."""
    for element in walk(group):
        if isinstance(element, JSCSSMixin):  # its <script src> would be lost: keep such layers live
            raise ValueError(f"{type(element).__name__} loads files of its own; it cannot be ready-made")
    set_id(group, PARENT.removeprefix("feature_group_"))
    group.add_to(folium.Map(tiles=None))
    before, content = set(header_children(group)), children(group)
    group.render()  # what a render does first (a Marker adds the child that sets its icon; the group, the
    # child that adds it to the map: not kept, the live group adds its own)
    header = "\n".join(child.render() for name, child in header_children(group).items() if name not in before)
    script = "\n".join(script for child in content for script in element_scripts(child))
    options = {"name": group.layer_name, "overlay": group.overlay, "control": group.control, "show": group.show}
    return _Rendered(options, header, script)


_cache: dict[Hashable, _Rendered] = {}
_lock = threading.Lock()


def ready_layer(key: Hashable, build: Callable[[], folium.FeatureGroup]) -> folium.FeatureGroup:
    """The layer `build()` returns, its content rendered once per `key`; `key` must change whenever what
    `build` draws would. Later calls with the same key reuse the script and do not call `build`. Shared
    by every thread; the CACHE_MAX most recent keys are kept. The group's id derives from `key`."""
    with _lock:
        rendered = _cache.pop(key, None)
        if rendered is not None:
            _cache[key] = rendered  # most recently used last
    if rendered is None:
        rendered = _render(build())
        with _lock:
            _cache[key] = rendered
            while len(_cache) > CACHE_MAX:
                _cache.pop(next(iter(_cache)))
    group = folium.FeatureGroup(**rendered.options)
    set_id(group, derived_id(repr(key)))
    ReadyScript([rendered.script], rendered.header).add_to(group)
    return group


__all__ = ["CACHE_MAX", "PARENT", "ReadyScript", "Text", "ready_layer"]
