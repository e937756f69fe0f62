"""Each part of the view, defined once: its link parameter, its widget, its default, its command-line flag.

`FIELDS` is the one table. geo.view.link reads and writes links, widget states and cache keys from it;
geo.cli adds the filter flags of its commands from it; the dashboard builds its controls from `controls`.
Everything here is plain data and pure functions (no streamlit): a `Control` says what the dashboard shows,
and the dashboard turns it into a widget.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, NamedTuple

from geo.events.vocabulary import EVENT_TYPES, LAYERS

MAX_TEXT = 200  # longest search text, in the search box and in a link
BORDER_CHOICES: tuple[float | None, ...] = (1, 5, 10, 25, 50, 100, 250, 500, None)
"""The distances (km) the border control offers; None: any distance."""
VERSION = re.compile(r"[0-9a-f]{8,64}")
MAP_LAT, MAP_LON = 85.0, 180.0  # the map's centre lies within ±MAP_LAT latitude and ±MAP_LON longitude
MAP_ZOOMS = (3, 18)  # the zooms a link may ask for, as the base map allows (geo.map.base)
MAP_DECIMALS = 4  # a centre's degrees in a link: 4 decimals place it within about 10 m
KEEP = object()
"""What a field's `read` gives for a value it ignores: the view keeps its default."""


class Whole(Enum):
    """A default that is the whole of what the dataset has (known only once it is loaded)."""

    LAYERS = "every layer"
    EVENT_TYPES = "every event type in the data"
    FIRST_DAY = "the data's first date"
    LAST_DAY = "the data's last date"


class MapView(NamedTuple):
    """Where the map looks: its centre (degrees) and zoom, as a link carries them (`map=40.1,124.4,8`)."""

    lat: float
    lon: float
    zoom: int

    @property
    def centre(self) -> tuple[float, float]:
        """(lat, lon), as folium and st_folium take a centre."""
        return self.lat, self.lon


def bounded_map_view(lat: float, lon: float, zoom: float) -> MapView:
    """The map view nearest to (lat, lon, zoom) that a link may carry: latitude clamped to ±MAP_LAT, longitude
    wrapped into −180..180 (a map panned round the world reports 484.3 for 124.3), zoom rounded and clamped to
    MAP_ZOOMS, degrees rounded to MAP_DECIMALS. Raises ValueError for a value that is not a finite number."""
    if not all(math.isfinite(value) for value in (lat, lon, zoom)):
        raise ValueError("a map view needs finite numbers")
    lon = (lon + MAP_LON) % (2 * MAP_LON) - MAP_LON if not -MAP_LON <= lon <= MAP_LON else lon
    return MapView(round(min(max(lat, -MAP_LAT), MAP_LAT), MAP_DECIMALS) + 0.0, round(lon, MAP_DECIMALS) + 0.0,
                   int(min(max(round(zoom), MAP_ZOOMS[0]), MAP_ZOOMS[1])))


@dataclass(frozen=True)
class Control:
    """What the dashboard shows for a field (plain data; the dashboard makes the widget).

    kind: "layer checkboxes" (one checkbox per layer, labelled with its name, keyed `<key>.<layer>`),
    "multiselect" (of the event types in the data), "date" (a typed date bounded to the data's dates, whose
    calendar steps by month), "checkbox", "choice slider" (over `choices`), "text", "month slider" (over the
    map's months) or "selectbox" (of the events shown).
    place: "sidebar", "timeline" (above the map) or "details" (beside it); `order` is its position there.
    help: the control's tooltip, in plain words.
    """

    kind: str
    label: str
    place: str
    order: int
    format: str = ""
    choices: tuple[Any, ...] = ()
    none_label: str = ""
    placeholder: str = ""
    max_chars: int | None = None
    help: str = ""

    def choice_label(self, value: Any) -> str:
        """How a choice reads on the control: `none_label` for None, else `format` filled with it."""
        return self.none_label if value is None else self.format.format(value)

    def snap(self, value: Any) -> Any:
        """The smallest numeric choice at or above `value` (the last choice when none is, or for None), so a
        link's value always lands on an option the control offers; `value` itself when there are no choices."""
        return snap_to_choice(value, self.choices) if self.choices else value


@dataclass(frozen=True)
class Flag:
    """A field's command-line flag, as export-html and export take it (plain data: geo.cli makes the argument).

    `type` names the kind of value ("date": YYYY-MM-DD), None for a name out of `choices`; a `repeat`
    flag may be given several times and gives a tuple.
    """

    name: str
    help: str | None
    metavar: str
    type: str | None = None
    choices: tuple[str, ...] = ()
    repeat: bool = False

    @property
    def dest(self) -> str:
        """The attribute argparse stores the flag's value under."""
        return self.name.lstrip("-").replace("-", "_")


@dataclass
class Reading:
    """What reading a link's values needs: the data's date range, the event ids, and the notices so far."""

    bounds: tuple[dt.date, dt.date]
    ids: Sequence[str]
    notices: list[str]


@dataclass(frozen=True)
class ViewField:
    """One part of the view.

    name: its attribute on geo.view.filters.Filters (`part` "filters") or geo.view.link.View ("view").
    url: its link parameter (and its name in `KEYS` and the cache keys).
    read(text, default, reading): the value a link's text asks for, or KEEP (with a notice in reading.notices).
    write(value): the link's text for a value, or None to leave it out of the link.
    default: the default view's value (a `Whole` when it is the whole of the data).
    always: carried in every link, and never taken from the default view (the dataset version).
    settle(chosen, defaults, notices): run once this field (and every one before it) is read, to drop
        values that contradict each other.
    """

    name: str
    url: str
    part: str
    read: Callable[[str, Any, Reading], Any]
    write: Callable[[Any], str | None]
    default: Any
    control: Control | None = None
    flag: Flag | None = None
    always: bool = False
    settle: Callable[[dict[str, Any], Mapping[str, Any], list[str]], None] | None = None

    @property
    def session(self) -> str | None:
        """Its widget's key in the session state: its link parameter (None: no widget)."""
        return self.url if self.control else None


# --- Reading a link's values (each notice says what was ignored, naming the parameter) -----------------

def _names(what: str) -> Callable[[str, Any, Reading], Any]:
    def read(raw: str, allowed: Sequence[str], reading: Reading) -> Any:
        """The known names in a comma-separated value; KEEP (the default) when it names only unknown
        ones, so a stale link shows everything rather than nothing."""
        chosen, unknown = [], False
        for name in (part.strip() for part in raw.split(",")):
            if not name:
                continue
            if name in allowed:
                chosen.append(name)
            else:
                unknown = True
                reading.notices.append(f"Ignored unknown {what} '{name[:60]}' in the link.")
        if unknown and not chosen:
            return KEEP
        return tuple(n for n in allowed if n in chosen)
    return read


def _clamped_date(raw: str, what: str, reading: Reading) -> Any:
    bounds = reading.bounds
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        reading.notices.append(f"Ignored {what} '{raw[:30]}' in the link: not a YYYY-MM-DD date.")
        return KEEP
    clamped = min(max(day, bounds[0]), bounds[1])
    if clamped != day:
        reading.notices.append(f"The link's {what} {day} is outside the data ({bounds[0]} to {bounds[1]}); "
                               f"using {clamped}.")
    return clamped


def _date(what: str) -> Callable[[str, Any, Reading], Any]:
    return lambda raw, _default, reading: _clamped_date(raw, what, reading)


def _flag(what: str) -> Callable[[str, Any, Reading], Any]:
    def read(raw: str, _default: Any, reading: Reading) -> Any:
        if raw in ("1", "true", "yes"):
            return True
        if raw in ("0", "false", "no"):
            return False
        reading.notices.append(f"Ignored {what} '{raw[:30]}' in the link: expected 1 or 0.")
        return KEEP
    return read


def _text(raw: str, _default: Any, _reading: Reading) -> str:
    return raw[:MAX_TEXT]


def _distance(raw: str, _default: Any, reading: Reading) -> Any:
    try:
        km = float(raw)
        if not 0 < km < 40_000:
            raise ValueError
        return km
    except ValueError:
        reading.notices.append(f"Ignored 'border' '{raw[:30]}' in the link: expected a distance in km.")
        return KEEP


def _event(raw: str, _default: Any, reading: Reading) -> Any:
    if raw in reading.ids:
        return raw
    reading.notices.append(f"The linked event '{raw[:80]}' is not in this dataset.")
    return KEEP


def _version(raw: str, _default: Any, reading: Reading) -> Any:
    if VERSION.fullmatch(raw.lower()):
        return raw.lower()
    reading.notices.append(f"Ignored dataset version '{raw[:30]}' in the link: expected hex digits.")
    return KEEP


MAP_TEXT = re.compile(r"(-?\d{1,3}(?:\.\d{1,12})?),(-?\d{1,3}(?:\.\d{1,12})?),(\d{1,2}(?:\.\d{1,12})?)")
"""A map view in a link: latitude,longitude,zoom (more decimals than MAP_DECIMALS are read, and rounded)."""


def _map_view(raw: str, _default: Any, reading: Reading) -> Any:
    """The map view a link's `map` asks for; KEEP (the default framing) with a notice when it is malformed,
    and a notice when it had to be moved into bounds. Bounded for hostile links: at most 64 characters are
    looked at."""
    match = MAP_TEXT.fullmatch(raw) if len(raw) <= 64 else None
    if match is None:
        reading.notices.append(f"Ignored 'map' '{raw[:30]}' in the link: expected latitude,longitude,zoom "
                               "(e.g. 40.1,124.4,8).")
        return KEEP
    lat, lon, zoom = (float(part) for part in match.groups())
    view = bounded_map_view(lat, lon, zoom)
    if (abs(lat) > MAP_LAT or abs(lon) > MAP_LON or not MAP_ZOOMS[0] <= zoom <= MAP_ZOOMS[1]):
        reading.notices.append(f"The link's map position {raw} is outside what the map shows; using "
                               f"{_map_text(view)}.")
    return view


def _whole_range_if_reversed(chosen: dict[str, Any], defaults: Mapping[str, Any], notices: list[str]) -> None:
    if chosen.get("since", defaults["since"]) > chosen.get("until", defaults["until"]):
        notices.append("The link's 'since' is after its 'until'; showing the whole date range.")
        chosen.pop("since", None), chosen.pop("until", None)


# --- Writing a value into a link ----------------------------------------------------------------------

def _joined(names: Sequence[str] | None) -> str:
    return ",".join(names or ())


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def _one_or_zero(flag: bool) -> str:
    return "1" if flag else "0"


def _km(km: float | None) -> str | None:
    return None if km is None else f"{km:g}"


def _degrees(value: float) -> str:
    text = f"{value:.{MAP_DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _map_text(view: MapView | None) -> str | None:
    return None if view is None else f"{_degrees(view.lat)},{_degrees(view.lon)},{view.zoom}"


def _unless_empty(text: str | None) -> str | None:
    return text or None


def _verbatim(text: str) -> str:
    return text


DATE_HELP = ("Events whose possible dates overlap the range from this day to the other are shown. Type a date "
             "as YYYY-MM-DD, or pick one: the calendar steps by month.")

FIELDS: tuple[ViewField, ...] = (
    ViewField("layers", "layers", "filters", _names("layer"), _joined, Whole.LAYERS,
              Control("layer checkboxes", "", "sidebar", 1),
              flag=Flag("--layer", f"repeatable; one of {', '.join(LAYERS)}", "L", choices=tuple(LAYERS), repeat=True)),
    ViewField("event_types", "types", "filters", _names("event type"), _joined, Whole.EVENT_TYPES,
              Control("multiselect", "Event types", "sidebar", 2),
              flag=Flag("--event-type", f"repeatable; one of {', '.join(EVENT_TYPES)}", "T",
                        choices=tuple(EVENT_TYPES), repeat=True)),
    ViewField("since", "since", "filters", _date("'since' date"), _iso, Whole.FIRST_DAY,
              Control("date", "From", "sidebar", 3, format="YYYY-MM-DD", help=DATE_HELP),
              flag=Flag("--since", None, "YYYY-MM-DD", "date")),
    ViewField("until", "until", "filters", _date("'until' date"), _iso, Whole.LAST_DAY,
              Control("date", "To", "sidebar", 4, format="YYYY-MM-DD", help=DATE_HELP),
              flag=Flag("--until", None, "YYYY-MM-DD", "date"), settle=_whole_range_if_reversed),
    ViewField("text", "q", "filters", _text, _verbatim, "",
              Control("text", "Search text", "sidebar", 8, placeholder="e.g. Hunchun, defection, Shanghai",
                      max_chars=MAX_TEXT)),
    ViewField("include_undated", "undated", "filters", _flag("'undated'"), _one_or_zero, True,
              Control("checkbox", "Include events with no known date", "sidebar", 5)),
    ViewField("corroborated_only", "corroborated", "filters", _flag("'corroborated'"), _one_or_zero, False,
              Control("checkbox", "Only events corroborated by two or more independent sources", "sidebar", 6)),
    ViewField("max_border_km", "border", "filters", _distance, _km, None,
              Control("choice slider", "Within this distance of the China–DPRK border", "sidebar", 7,
                      format="{} km", choices=BORDER_CHOICES, none_label="any distance")),
    ViewField("as_of", "asof", "view", _date("map date"), _iso, None,
              Control("month slider", "Map date: events pile up to this month; routes show their status then",
                      "timeline", 1, format="%Y-%m")),
    ViewField("selected", "event", "view", _event, _unless_empty, None,
              Control("selectbox", "Event (click a pin or line on the map, or choose here)", "details", 1)),
    ViewField("map_view", "map", "view", _map_view, _map_text, None),
    ViewField("version", "v", "view", _version, _unless_empty, None, always=True),
)
"""Every part of the view, in the order a link lists them (and `parse` reads them)."""

FIELD: dict[str, ViewField] = {field.name: field for field in FIELDS}
KEYS: dict[str, str] = {field.name: field.url for field in FIELDS}
"""Each part of the view and its link parameter; for every part with a control but the layers (one checkbox
each: `geo.view.link.layer_key`), also its widget's key in the session state; and its name in the cache keys."""
PARAMS = tuple(KEYS.values())


def controls(place: str) -> tuple[ViewField, ...]:
    """The fields whose controls `place` ("sidebar", "timeline", "details") shows, in the order it shows them
    (each field has its own control, keyed `session`)."""
    return tuple(sorted((field for field in FIELDS if field.control and field.control.place == place),
                        key=lambda field: field.control.order))


def snap_to_choice(value: float | None, choices: Sequence[float | None]) -> float | None:
    """The smallest numeric choice at or above `value` (the last choice when none is, or for None),
    so a link's distance always lands on an option the control offers."""
    if value is None:
        return choices[-1]
    return next((c for c in choices if c is not None and c >= value), choices[-1])
