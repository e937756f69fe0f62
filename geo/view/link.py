"""The view in the page URL: every filter, the map date, the chosen event and where the map looks, as query
parameters.

`parse` reads a URL's parameters against what the dataset allows and never fails: unknown or stale
values are dropped (or clamped) and each is reported as a notice for the page to show. `encode`
writes only what differs from the default view, so links stay short and readable. Each part of the
view (its parameter, how it reads and writes, its widget) is defined once, in geo.view.fields; the
widgets' states and the cache keys follow the same table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from geo.view.fields import (
    FIELD,
    FIELDS,
    KEEP,
    KEYS,
    MAX_TEXT,
    PARAMS,
    MapView,
    Reading,
    ViewField,
    Whole,
    bounded_map_view,
    snap_to_choice,
)
from geo.view.filters import Filters

__all__ = ["KEYS", "MAX_TEXT", "PARAMS", "MapView", "View", "cache_key", "dataset_view", "date_order_notice",
           "default_view", "encode", "layer_key", "map_view_from", "parse", "snap_to_choice", "view_from_link",
           "view_from_state", "widget_keys", "widget_state"]  # the view's parts: geo.view.fields' (FIELDS)
FIELD_PART = {field.name: field.part for field in FIELDS}
MAX_NOTICES = 10  # notices a link gets at most: a crafted one may carry thousands of unknown names


@dataclass(frozen=True)
class View:
    """What a link reproduces: the filters, the date the map shows, the selected event and where the map looks
    (None: the opening view, which frames the border)."""

    filters: Filters
    as_of: dt.date | None = None
    selected: str | None = None
    map_view: MapView | None = None
    version: str | None = None  # the dataset version (geo.store.changelog.version) the link was made on


def _value(field: ViewField, view: View) -> Any:
    return getattr(view.filters if field.part == "filters" else view, field.name)


def _view(values: Mapping[str, Any]) -> View:
    """The view with these fields' values (the others at Filters' and View's own defaults)."""
    parts = {part: {name: value for name, value in values.items() if FIELD_PART[name] == part}
             for part in ("filters", "view")}
    return View(Filters(**parts["filters"]), **parts["view"])


def default_view(layers: Sequence[str], event_types: Sequence[str], bounds: tuple[dt.date, dt.date]) -> View:
    """Everything shown (each field at its default in geo.view.fields: all layers and types, the whole date
    range) with the map at the latest date (as_of None)."""
    whole = {Whole.LAYERS: tuple(layers), Whole.EVENT_TYPES: tuple(event_types), Whole.FIRST_DAY: bounds[0],
             Whole.LAST_DAY: bounds[1]}
    return _view({field.name: whole[field.default] if isinstance(field.default, Whole) else field.default
                  for field in FIELDS})


def dataset_view(frame: Any, layers: Sequence[str]) -> View:
    """The default view of a loaded dataset: every layer, every event type it contains, its whole date
    range, and the map at its last date."""
    from geo.events.schema import EVENT_TYPES
    from geo.view.filters import date_bounds

    found = set(frame["event_type"])
    present = [t for t in EVENT_TYPES if t in found]
    bounds = date_bounds(frame)
    return replace(default_view(layers, present, bounds), as_of=bounds[1])


def view_from_link(link: str, default: View, ids: Sequence[str]) -> tuple[View, list[str]]:
    """The view a dashboard link (a whole URL, or just its `?query`) asks for, with notices."""
    from urllib.parse import parse_qsl, urlsplit

    query = urlsplit(link).query if "?" in link or "://" in link else link
    return parse(dict(parse_qsl(query, keep_blank_values=True)), default, ids)


def parse(params: Mapping[str, str], default: View, ids: Sequence[str]) -> tuple[View, list[str]]:
    """The view a URL asks for, starting from `default`, and a notice for each value ignored (each field
    read as geo.view.fields says, in the table's order); past MAX_NOTICES, one line counts the rest."""
    notices: list[str] = []
    for key in params:
        if key not in PARAMS:
            notices.append(f"Ignored unknown link parameter '{key[:40]}'.")
    reading = Reading((default.filters.since, default.filters.until), ids, notices)
    defaults = {field.name: None if field.always else _value(field, default) for field in FIELDS}
    chosen: dict[str, Any] = {}
    for field in FIELDS:
        if field.url in params and (value := field.read(params[field.url], defaults[field.name], reading)) is not KEEP:
            chosen[field.name] = value
        if field.settle:
            field.settle(chosen, defaults, notices)
    if len(notices) > MAX_NOTICES:
        notices[MAX_NOTICES - 1:] = [f"… and {len(notices) - MAX_NOTICES + 1:,} more of the link's values ignored."]
    return _view({**defaults, **chosen}), notices


def encode(view: View, default: View) -> dict[str, str]:
    """Query parameters for `view`, leaving out whatever equals `default` (but always the version)."""
    out: dict[str, str] = {}
    for field in FIELDS:
        value = _value(field, view)
        if (field.always or value != _value(field, default)) and (text := field.write(value)) is not None:
            out[field.url] = text
    return out


def layer_key(layer: str) -> str:
    """The session-state key of one layer's checkbox (the URL lists the chosen ones under 'layers')."""
    return f"{FIELD['layers'].session}.{layer}"


def widget_state(view: View, layers: Sequence[str]) -> dict[str, Any]:
    """The widgets' values for `view`, keyed as the widgets are (`layer_key`, the others' `session` keys in
    geo.view.fields); a distance snaps to a choice its control offers. The chosen event is left out, since
    its chooser only exists once events are shown."""
    state: dict[str, Any] = {}
    for field in FIELDS:
        control, value = field.control, _value(field, view)
        if control is None or control.kind == "selectbox":
            continue
        if control.kind == "layer checkboxes":
            state.update({layer_key(layer): layer in (value or ()) for layer in layers})
        elif control.kind == "multiselect":
            state[field.session] = list(value or ())
        else:
            state[field.session] = control.snap(value)
    return state


def widget_keys(layers: Sequence[str]) -> tuple[str, ...]:
    """The session-state keys `widget_state` sets: while all are there, the widgets hold the whole view."""
    return tuple(widget_state(View(Filters(layers=(), event_types=())), layers))


def view_from_state(state: Mapping[str, Any], layers: Sequence[str], version: str | None = None) -> View:
    """The view the widgets show (the inverse of `widget_state`); text is cut to MAX_TEXT, since a
    crafted client ignores the search box's own limit. A From date after the To date is read as the range
    between them (`date_order_notice` says so); an emptied date field filters nothing on that side. The map
    view is not a widget's: the page adds it (`map_view_from`)."""
    values: dict[str, Any] = {"version": version}
    for field in FIELDS:
        control = field.control
        if control is None:
            continue
        if control.kind == "layer checkboxes":
            values[field.name] = tuple(layer for layer in layers if state.get(layer_key(layer)))
        elif control.kind == "multiselect":
            values[field.name] = tuple(state[field.session])
        elif control.kind == "checkbox":
            values[field.name] = bool(state[field.session])
        elif control.kind == "text":
            values[field.name] = str(state.get(field.session) or "")[:control.max_chars]
        else:
            values[field.name] = state.get(field.session)
    if _reversed(values.get("since"), values.get("until")):
        values["since"], values["until"] = values["until"], values["since"]
    return _view(values)


def _reversed(since: Any, until: Any) -> bool:
    return isinstance(since, dt.date) and isinstance(until, dt.date) and since > until


def date_order_notice(state: Mapping[str, Any]) -> str | None:
    """One plain line when the widgets' From date is after their To date (the filters then use the range
    between them), else None."""
    since, until = state.get(FIELD["since"].session), state.get(FIELD["until"].session)
    if not _reversed(since, until):
        return None
    return f"“From” ({_day(since)}) is after “To” ({_day(until)}): showing events from {_day(until)} to {_day(since)}."


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def map_view_from(returned: Mapping[str, Any] | None) -> MapView | None:
    """Where the map looks, from what st_folium returned (`center` {"lat", "lng"} and `zoom`), bounded and
    rounded as a link carries it (geo.view.fields.bounded_map_view); None when it returned no position."""
    try:
        centre, zoom = (returned or {}).get("center"), (returned or {}).get("zoom")
        return bounded_map_view(float(centre["lat"]), float(centre["lng"]), float(zoom))
    except (KeyError, TypeError, ValueError):
        return None


def cache_key(filters: Filters, as_of: dt.date | None = None) -> str:
    """A short stable text naming these filters (and map date): what cached frames, layers and charts
    that depend on them are keyed by."""
    empty = View(Filters(layers=None, event_types=None))
    return "&".join(f"{k}={v}" for k, v in sorted(encode(View(filters, as_of), empty).items()))
