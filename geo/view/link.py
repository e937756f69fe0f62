"""The view in the page URL: every filter, the map date and the chosen event, as query parameters.

`parse` reads a URL's parameters against what the dataset allows and never fails: unknown or stale
values are dropped (or clamped) and each is reported as a notice for the page to show. `encode`
writes only what differs from the default view, so links stay short and readable.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from geo.view.filters import Filters

KEYS: dict[str, str] = {
    "layers": "layers", "event_types": "types", "since": "since", "until": "until", "text": "q",
    "include_undated": "undated", "corroborated_only": "corroborated", "max_border_km": "border",
    "as_of": "asof", "selected": "event", "version": "v",
}
"""Each part of the view (a `Filters` or `View` field) and the one name it has everywhere else: the
URL parameter, the widget's key in the session state, and the cache keys of what depends on it."""
PARAMS = tuple(KEYS.values())
DATES_KEY = "dates"
"""The one range control that sets both `since` and `until`."""
MAX_TEXT = 200  # longest search text, in the search box and in a link
VERSION = re.compile(r"[0-9a-f]{8,64}")


@dataclass(frozen=True)
class View:
    """What a link reproduces: the filters, the date the map shows, and the selected event."""

    filters: Filters
    as_of: dt.date | None = None
    selected: str | None = None
    version: str | None = None  # the dataset version (geo.store.changelog.version) the link was made on


def default_view(layers: Sequence[str], event_types: Sequence[str], bounds: tuple[dt.date, dt.date]) -> View:
    """Everything shown: all layers and types, the whole date range, the map at the latest date."""
    return View(Filters(layers=tuple(layers), event_types=tuple(event_types), since=bounds[0], until=bounds[1]))


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


def _names(raw: str, allowed: Sequence[str], what: str, notices: list[str]) -> tuple[str, ...] | None:
    """The known names in a comma-separated value; None (keep the default) when it names only unknown
    ones, so a stale link shows everything rather than nothing."""
    chosen, unknown = [], False
    for name in (part.strip() for part in raw.split(",")):
        if not name:
            continue
        if name in allowed:
            chosen.append(name)
        else:
            unknown = True
            notices.append(f"Ignored unknown {what} '{name[:60]}' in the link.")
    if unknown and not chosen:
        return None
    return tuple(n for n in allowed if n in chosen)


def _date(raw: str, what: str, bounds: tuple[dt.date, dt.date], notices: list[str]) -> dt.date | None:
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        notices.append(f"Ignored {what} '{raw[:30]}' in the link: not a YYYY-MM-DD date.")
        return None
    clamped = min(max(day, bounds[0]), bounds[1])
    if clamped != day:
        notices.append(f"The link's {what} {day} is outside the data ({bounds[0]} to {bounds[1]}); "
                       f"using {clamped}.")
    return clamped


def _flag(raw: str, what: str, notices: list[str]) -> bool | None:
    if raw in ("1", "true", "yes"):
        return True
    if raw in ("0", "false", "no"):
        return False
    notices.append(f"Ignored {what} '{raw[:30]}' in the link: expected 1 or 0.")
    return None


def parse(params: Mapping[str, str], default: View, ids: Sequence[str]) -> tuple[View, list[str]]:
    """The view a URL asks for, starting from `default`, and a notice for each value ignored."""
    notices: list[str] = []
    f = default.filters
    bounds = (f.since, f.until)
    changes: dict = {}
    for key in params:
        if key not in PARAMS:
            notices.append(f"Ignored unknown link parameter '{key[:40]}'.")
    if KEYS["layers"] in params and (
            names := _names(params[KEYS["layers"]], f.layers, "layer", notices)) is not None:
        changes["layers"] = names
    if KEYS["event_types"] in params and (
            names := _names(params[KEYS["event_types"]], f.event_types, "event type", notices)) is not None:
        changes["event_types"] = names
    for field in ("since", "until"):
        key = KEYS[field]
        if key in params and (day := _date(params[key], f"'{key}' date", bounds, notices)):
            changes[field] = day
    if changes.get("since", f.since) > changes.get("until", f.until):
        notices.append("The link's 'since' is after its 'until'; showing the whole date range.")
        changes.pop("since", None), changes.pop("until", None)
    if KEYS["text"] in params:
        changes["text"] = params[KEYS["text"]][:MAX_TEXT]
    for field in ("include_undated", "corroborated_only"):
        key = KEYS[field]
        if key in params and (flag := _flag(params[key], f"'{key}'", notices)) is not None:
            changes[field] = flag
    if KEYS["max_border_km"] in params:
        try:
            km = float(params[KEYS["max_border_km"]])
            if not 0 < km < 40_000:
                raise ValueError
            changes["max_border_km"] = km
        except ValueError:
            notices.append(f"Ignored 'border' '{params[KEYS['max_border_km']][:30]}' in the link: "
                           "expected a distance in km.")
    as_of = default.as_of
    if KEYS["as_of"] in params:
        as_of = _date(params[KEYS["as_of"]], "map date", bounds, notices) or default.as_of
    selected = default.selected
    if KEYS["selected"] in params:
        if params[KEYS["selected"]] in ids:
            selected = params[KEYS["selected"]]
        else:
            notices.append(f"The linked event '{params[KEYS['selected']][:80]}' is not in this dataset.")
    version = None
    if KEYS["version"] in params:
        if VERSION.fullmatch(params[KEYS["version"]].lower()):
            version = params[KEYS["version"]].lower()
        else:
            notices.append(f"Ignored dataset version '{params[KEYS['version']][:30]}' in the link: "
                           "expected hex digits.")
    return View(replace(f, **changes), as_of, selected, version), notices


def encode(view: View, default: View) -> dict[str, str]:
    """Query parameters for `view`, leaving out whatever equals `default` (but always the version)."""
    f, d = view.filters, default.filters
    out: dict[str, str] = {}
    if f.layers != d.layers:
        out[KEYS["layers"]] = ",".join(f.layers or ())
    if f.event_types != d.event_types:
        out[KEYS["event_types"]] = ",".join(f.event_types or ())
    for field in ("since", "until"):
        if getattr(f, field) != getattr(d, field) and getattr(f, field) is not None:
            out[KEYS[field]] = getattr(f, field).isoformat()
    if f.text != d.text:
        out[KEYS["text"]] = f.text
    if f.include_undated != d.include_undated:
        out[KEYS["include_undated"]] = "1" if f.include_undated else "0"
    if f.corroborated_only != d.corroborated_only:
        out[KEYS["corroborated_only"]] = "1" if f.corroborated_only else "0"
    if f.max_border_km != d.max_border_km and f.max_border_km is not None:
        out[KEYS["max_border_km"]] = f"{f.max_border_km:g}"
    if view.as_of != default.as_of and view.as_of is not None:
        out[KEYS["as_of"]] = view.as_of.isoformat()
    if view.selected and view.selected != default.selected:
        out[KEYS["selected"]] = view.selected
    if view.version:
        out[KEYS["version"]] = view.version
    return out


def layer_key(layer: str) -> str:
    """The session-state key of one layer's checkbox (the URL lists the chosen ones under 'layers')."""
    return f"{KEYS['layers']}.{layer}"


def widget_state(view: View, layers: Sequence[str]) -> dict[str, Any]:
    """The widgets' values for `view`, keyed as the widgets are (`KEYS`, `layer_key`, `DATES_KEY`);
    the chosen event is left out, since its chooser only exists once events are shown."""
    f = view.filters
    state: dict[str, Any] = {layer_key(layer): layer in (f.layers or ()) for layer in layers}
    state.update({KEYS["event_types"]: list(f.event_types or ()), DATES_KEY: (f.since, f.until),
                  KEYS["text"]: f.text, KEYS["include_undated"]: f.include_undated,
                  KEYS["corroborated_only"]: f.corroborated_only, KEYS["max_border_km"]: f.max_border_km,
                  KEYS["as_of"]: view.as_of})
    return state


def widget_keys(layers: Sequence[str]) -> tuple[str, ...]:
    """The session-state keys `widget_state` sets: while all are there, the widgets hold the whole view."""
    return tuple(widget_state(View(Filters(layers=(), event_types=())), layers))


def view_from_state(state: Mapping[str, Any], layers: Sequence[str], version: str | None = None) -> View:
    """The view the widgets show (the inverse of `widget_state`); text is cut to MAX_TEXT, since a
    crafted client ignores the search box's own limit."""
    since, until = state[DATES_KEY]
    filters = Filters(layers=tuple(layer for layer in layers if state.get(layer_key(layer))),
                      event_types=tuple(state[KEYS["event_types"]]), since=since, until=until,
                      text=str(state.get(KEYS["text"]) or "")[:MAX_TEXT],
                      include_undated=bool(state[KEYS["include_undated"]]),
                      corroborated_only=bool(state[KEYS["corroborated_only"]]),
                      max_border_km=state.get(KEYS["max_border_km"]))
    return View(filters, as_of=state.get(KEYS["as_of"]), selected=state.get(KEYS["selected"]), version=version)


def cache_key(filters: Filters, as_of: dt.date | None = None) -> str:
    """A short stable text naming these filters (and map date): what cached frames, layers and charts
    that depend on them are keyed by."""
    empty = View(Filters(layers=None, event_types=None))
    return "&".join(f"{k}={v}" for k, v in sorted(encode(View(filters, as_of), empty).items()))


def snap_to_choice(value: float | None, choices: Sequence[float | None]) -> float | None:
    """The smallest numeric choice at or above `value` (the last choice when none is, or for None),
    so a link's distance always lands on an option the control offers."""
    if value is None:
        return choices[-1]
    return next((c for c in choices if c is not None and c >= value), choices[-1])
