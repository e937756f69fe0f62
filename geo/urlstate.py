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

from geo.filters import Filters

PARAMS = ("layers", "types", "since", "until", "q", "undated", "corroborated", "border", "asof", "event", "v")
MAX_TEXT = 200  # longest search text, in the search box and in a link
VERSION = re.compile(r"[0-9a-f]{8,64}")


@dataclass(frozen=True)
class View:
    """What a link reproduces: the filters, the date the map shows, and the selected event."""

    filters: Filters
    as_of: dt.date | None = None
    selected: str | None = None
    version: str | None = None  # the dataset version (geo.changelog.version) the link was made on


def default_view(layers: Sequence[str], event_types: Sequence[str], bounds: tuple[dt.date, dt.date]) -> View:
    """Everything shown: all layers and types, the whole date range, the map at the latest date."""
    return View(Filters(layers=tuple(layers), event_types=tuple(event_types), since=bounds[0], until=bounds[1]))


def dataset_view(frame: Any, layers: Sequence[str]) -> View:
    """The default view of a loaded dataset: every layer, every event type it contains, its whole date
    range, and the map at its last date."""
    from geo.filters import date_bounds
    from geo.schema import EVENT_TYPES

    present = [t for t in EVENT_TYPES if t in set(frame["event_type"])]
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
    if "layers" in params and (names := _names(params["layers"], f.layers, "layer", notices)) is not None:
        changes["layers"] = names
    if "types" in params and (names := _names(params["types"], f.event_types, "event type", notices)) is not None:
        changes["event_types"] = names
    for key in ("since", "until"):
        if key in params and (day := _date(params[key], f"'{key}' date", bounds, notices)):
            changes[key] = day
    if changes.get("since", f.since) > changes.get("until", f.until):
        notices.append("The link's 'since' is after its 'until'; showing the whole date range.")
        changes.pop("since", None), changes.pop("until", None)
    if "q" in params:
        changes["text"] = params["q"][:MAX_TEXT]
    for key, field in (("undated", "include_undated"), ("corroborated", "corroborated_only")):
        if key in params and (flag := _flag(params[key], f"'{key}'", notices)) is not None:
            changes[field] = flag
    if "border" in params:
        try:
            km = float(params["border"])
            if not 0 < km < 40_000:
                raise ValueError
            changes["max_border_km"] = km
        except ValueError:
            notices.append(f"Ignored 'border' '{params['border'][:30]}' in the link: expected a distance in km.")
    as_of = default.as_of
    if "asof" in params:
        as_of = _date(params["asof"], "map date", bounds, notices) or default.as_of
    selected = default.selected
    if "event" in params:
        if params["event"] in ids:
            selected = params["event"]
        else:
            notices.append(f"The linked event '{params['event'][:80]}' is not in this dataset.")
    version = None
    if "v" in params:
        if VERSION.fullmatch(params["v"].lower()):
            version = params["v"].lower()
        else:
            notices.append(f"Ignored dataset version '{params['v'][:30]}' in the link: expected hex digits.")
    return View(replace(f, **changes), as_of, selected, version), notices


def encode(view: View, default: View) -> dict[str, str]:
    """Query parameters for `view`, leaving out whatever equals `default` (but always the version)."""
    f, d = view.filters, default.filters
    out: dict[str, str] = {}
    if f.layers != d.layers:
        out["layers"] = ",".join(f.layers or ())
    if f.event_types != d.event_types:
        out["types"] = ",".join(f.event_types or ())
    for key in ("since", "until"):
        if getattr(f, key) != getattr(d, key) and getattr(f, key) is not None:
            out[key] = getattr(f, key).isoformat()
    if f.text != d.text:
        out["q"] = f.text
    if f.include_undated != d.include_undated:
        out["undated"] = "1" if f.include_undated else "0"
    if f.corroborated_only != d.corroborated_only:
        out["corroborated"] = "1" if f.corroborated_only else "0"
    if f.max_border_km != d.max_border_km and f.max_border_km is not None:
        out["border"] = f"{f.max_border_km:g}"
    if view.as_of != default.as_of and view.as_of is not None:
        out["asof"] = view.as_of.isoformat()
    if view.selected and view.selected != default.selected:
        out["event"] = view.selected
    if view.version:
        out["v"] = view.version
    return out


def snap_to_choice(value: float | None, choices: Sequence[float | None]) -> float | None:
    """The smallest numeric choice at or above `value` (the last choice when none is, or for None),
    so a link's distance always lands on an option the control offers."""
    if value is None:
        return choices[-1]
    return next((c for c in choices if c is not None and c >= value), choices[-1])
