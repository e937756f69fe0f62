"""The one module that touches folium's and branca's private parts; every other module goes through it.

What the map code relies on, in folium 0.20 / branca 0.8 / streamlit-folium 0.27 (pinned in pyproject.toml;
tests/test_folium_parts.py fails first when an upgrade changes any of it):

- An element's JavaScript name is `get_name()`, `<camelified _name>_<_id>`: `set_id` / `stable_ids` give
  elements ids derived from content, so the same layers render to the same script on every rerun and
  st_folium sees no change.
- A parent keeps its children in `_children`, keyed by their names when added; templates name JavaScript
  variables after those keys, so re-keying follows a change of id (`rekey_children`).
- A child knows its parent as `_parent` (`parent_name`).
- A MacroElement draws itself through the `script` macro of its class's `_template` (folium's documented
  way to extend a map): `ScriptMacro` builds that template from a class's SCRIPT text, and
  `element_scripts` calls the macros the way streamlit-folium does for `feature_group_to_add`. `with_script`
  gives a subclass of a folium element (e.g. a FeatureGroup drawn by our own JavaScript) its own macro.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from typing import Any, ClassVar, TypeVar

from branca.element import Element, MacroElement
from folium.template import Template
from jinja2 import UndefinedError

E = TypeVar("E", bound=Element)

__all__ = ["ScriptMacro", "children", "with_script", "derived_id", "element_scripts", "header_children", "parent_name",
           "rekey_children", "set_id", "set_name", "stable_ids", "walk"]


def derived_id(seed: str) -> str:
    """An element id (32 hex digits, like folium's own) derived from `seed`, not random."""
    return hashlib.sha1(seed.encode()).hexdigest()[:32]


def set_id(element: Element, element_id: str) -> None:
    """Give `element` the id `element_id` (its JavaScript name becomes `<kind>_<element_id>`); call it before
    the element is added to a parent, or `rekey_children` the parent after."""
    element._id = element_id


def set_name(element: Element, name: str) -> None:
    """Set the kind of `element` (the first part of its JavaScript name, e.g. "GeoPack" → `geo_pack_<id>`)."""
    element._name = name


def children(element: Element) -> list[Element]:
    """The children of `element`, in the order they were added."""
    return list(element._children.values())


def rekey_children(container: Element) -> None:
    """Key `container`'s children by their current names again (after their ids changed), keeping their order."""
    container._children = type(container._children)((child.get_name(), child) for child in children(container))


def parent_name(element: Element) -> str:
    """The JavaScript name of what `element` was added to."""
    return element._parent.get_name()


def header_children(element: Element) -> dict[str, Element]:
    """The elements of the header of `element`'s figure, keyed by name (a copy)."""
    return dict(element.get_root().header._children)


def walk(element: Element) -> Iterator[Element]:
    """`element` and its descendants, depth first."""
    yield element
    for child in children(element):
        yield from walk(child)


def stable_ids(element: Element, prefix: str) -> None:
    """Give `element`'s descendants ids derived from their position under `prefix`, not random uuids.

    The same rows then render to the same JavaScript on every rerun, so st_folium sees no change
    and leaves the map (and any open popup) alone.
    """
    containers = [element]
    if isinstance(getattr(element, "html", None), Element):  # a Popup keeps its content here
        containers.append(element.html)
    for c, container in enumerate(containers):
        for n, child in enumerate(children(container)):
            set_id(child, derived_id(f"{prefix}/{c}/{n}"))
            stable_ids(child, f"{prefix}/{c}/{n}")
        rekey_children(container)  # templates name JS variables after these keys, taken from the old ids


def element_scripts(element: Element) -> Iterator[str]:
    """The `script` macro output of `element` and its descendants, depth first (as st_folium walks)."""
    if isinstance(element, MacroElement):
        try:
            script = element._template.module.__dict__.get("script")
        except UndefinedError:  # a template with code outside its macros (folium's Popup): render it whole
            yield element._template.render(this=element, kwargs={})
        else:
            if script is not None:
                yield script(element, {})
    for child in children(element):
        yield from element_scripts(child)


class ScriptMacro(MacroElement):
    """A MacroElement whose Leaflet script is its class's SCRIPT: Jinja text in which `this` is the element
    and `this.parent_name()` the JavaScript name of what it was added to. NAME is the kind of element (the
    first part of its JavaScript name). Subclasses set both as class attributes."""

    SCRIPT: ClassVar[str] = ""
    NAME: ClassVar[str] = "ScriptMacro"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "SCRIPT" in vars(cls):
            cls._template = Template("{% macro script(this, kwargs) %}" + cls.SCRIPT + "{% endmacro %}")

    def __init__(self) -> None:
        super().__init__()
        set_name(self, self.NAME)

    def parent_name(self) -> str:
        """The JavaScript name of what this element was added to."""
        return parent_name(self)


def with_script(script: str) -> Callable[[type[E]], type[E]]:
    """A class decorator: the element class's `script` macro becomes `script` (Jinja text in which `this` is the
    element), in place of the one it inherits; nothing else of the class changes."""

    def decorate(cls: type[E]) -> type[E]:
        cls._template = Template("{% macro script(this, kwargs) %}" + script + "{% endmacro %}")
        return cls

    return decorate
