"""The events data contract: the feature model and validation (the vocabularies are geo.events.vocabulary's).

A dataset is an RFC 7946 FeatureCollection. Each feature is checked with pydantic models
(geometry via geojson-pydantic); every problem becomes one `Problem` naming the file, the
feature (index and id) and the field, so a curator can find and fix it.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from itertools import accumulate
from typing import Annotated, Any, Literal

from geojson_pydantic import LineString, MultiLineString, MultiPoint, Point
from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, field_validator, model_validator

from geo.events.vocabulary import (  # noqa: F401 (re-exported: others read the vocabularies from here too)
    COUNTRY_NAMES,
    DATE_PRECISIONS,
    EVENT_LAYER,
    EVENT_TYPES,
    FIGURE_QUALIFIERS,
    LAYERS,
    LOCATION_PRECISIONS,
    ROUTE_STATUSES,
    UNCLASSIFIED,
    Layer,
)

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"

# The accepted values of each vocabulary, as the models check them (pydantic's message lists them in order).
LayerId = Literal[tuple(LAYERS)]  # type: ignore[valid-type]
EventTypeId = Literal[tuple(EVENT_TYPES)]  # type: ignore[valid-type]
FigureQualifier = Literal[tuple(FIGURE_QUALIFIERS)]  # type: ignore[valid-type]
DatePrecision = Literal[DATE_PRECISIONS]  # type: ignore[valid-type]
LocationPrecision = Literal[LOCATION_PRECISIONS]  # type: ignore[valid-type]
RouteStatus = Literal[tuple(ROUTE_STATUSES)]  # type: ignore[valid-type]

Text = Field(min_length=1, max_length=5000)

GEOMETRY_TYPES = ("Point", "MultiPoint", "LineString", "MultiLineString")
POINT_TYPES = ("Point", "MultiPoint")  # drawn as pins: one event at one place, or at several (named crossings)
MAX_SHOWN_CHARS = 80  # a value from the data echoed in a message is cut to this many characters
MAX_PROBLEMS = 1000  # problems listed per file; the rest are counted in one last line
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
"""Characters that steer the order in which text is displayed: Unicode's bidirectional embeddings and
overrides (U+202A-U+202E), isolates (U+2066-U+2069), and the three invisible direction marks (LRM U+200E,
RLM U+200F, ALM U+061C). An override makes a title stored as `gnp.exe` show as `exe.png`; the marks are
invisible and move the punctuation and digits around them. The dataset's text (English, Korean, Chinese)
needs none of them, so no text field may hold one, and no message echoes one (they are escaped)."""
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")
_UNSAFE_CHARS = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029\\ud800-\\udfff{BIDI_CONTROLS}]")
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,79}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _one_line(text: str, limit: int) -> str:
    """`text` safe to print as part of one line: control characters, line separators, lone surrogates
    and BIDI_CONTROLS escaped, at most `limit` characters (cut with an ellipsis)."""
    text = _UNSAFE_CHARS.sub(_escape_char, text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def show(value: Any, limit: int = MAX_SHOWN_CHARS) -> str:
    """A value from the data as a message quotes it: its repr, on one line, at most `limit` chars."""
    try:
        text = repr(value)
    except (ValueError, RecursionError):  # an int beyond Python's str-conversion limit; absurd nesting
        text = f"<{type(value).__name__}>"
    return _one_line(text, limit)


_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\Z)', re.DOTALL)  # an unterminated one runs to the
# end of the text: without that, a text of many escaped quotes is scanned again from each one (quadratic)
_BRACKET = re.compile(r"[\[\]{}]")
_NESTING = {"[": 1, "{": 1, "]": -1, "}": -1}


def nested_deeper_than(text: str, limit: int) -> bool:
    """Whether the JSON text `text` nests arrays and objects more than `limit` deep, found by scanning the
    text (brackets inside strings skipped) before a parser recurses into it: in linear time, without
    recursion, and at the cost of two counts for text with at most `limit` brackets in all. Text that is
    not JSON gets an answer too; the parser then says what else is wrong with it."""
    if text.count("[") + text.count("{") <= limit:
        return False
    steps = map(_NESTING.__getitem__, _BRACKET.findall(_JSON_STRING.sub("", text)))
    return max(accumulate(steps), default=0) > limit


class FieldError(ValueError):
    """A cross-field rule broken inside a model validator, naming the field to blame."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a dataset, located as precisely as we can.

    Every part is made printable on one line (newlines and other control characters escaped),
    and the parts that can come from the data (field names, feature ids) are cut short.
    """

    file: str
    field: str
    message: str
    index: int | None = None
    feature_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "file", _one_line(str(self.file), 4096))
        object.__setattr__(self, "field", _one_line(str(self.field), 200))
        object.__setattr__(self, "message", _one_line(str(self.message), 1000))
        if self.feature_id is not None:
            object.__setattr__(self, "feature_id", _one_line(str(self.feature_id), MAX_SHOWN_CHARS))

    def __str__(self) -> str:
        if self.index is None:
            return f"{self.file}: {self.field}: {self.message}"
        where = f"feature {self.index}" + (f" (id={self.feature_id})" if self.feature_id else "")
        return f"{self.file}: {where}: {self.field}: {self.message}"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


EARLIEST_DATE, LATEST_DATE = dt.date(1900, 1, 1), dt.date(2100, 12, 31)


def _iso_date_text(value: Any) -> Any:
    """Dates are ISO `YYYY-MM-DD` text (no timestamps, numbers or datetimes, which pydantic would
    otherwise turn into a date: 0 into 1970-01-01) between EARLIEST_DATE and LATEST_DATE (a year
    such as 0023 or 2203 is a typo, and the app's date widgets cannot show years like 0001 or 9999)."""
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError(f"must be a date in YYYY-MM-DD form, got {show(value)}")
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return value  # pydantic says what is wrong with it (month 13, day 30 of February, ...)
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValueError(f"{value} is not between {EARLIEST_DATE} and {LATEST_DATE}; a typo in the year?")
    return value


def require_sources(value: Any) -> Any:
    """A `sources` list must be present and non-empty: every claim cites at least one report."""
    if value is None or value == []:
        raise ValueError("at least one source is required")
    return value


class Source(_Strict):
    """Who reported it: every feature cites at least one."""

    publisher: str = Field(min_length=1, max_length=300)
    title: str = Field(min_length=1, max_length=1000)
    published: dt.date
    ref: str = Field(min_length=1, max_length=2000, description="a seeds/... path or a URL")
    url: str | None = Field(default=None, min_length=1, max_length=2000, pattern=r"^https?://\S+$",
                            description="the publisher's address of a report whose ref is the project's stored copy")
    author: str | None = Field(default=None, max_length=300)
    note: str | None = Field(default=None, max_length=2000)
    original: str | None = Field(default=None, min_length=1, max_length=300,
                                 description="who first reported it, when the publisher republishes "
                                             "(Reuters for 'Reuters via National Post')")
    attributed_to: str | None = Field(default=None, min_length=1, max_length=300,
                                      description="whose claim the report rests on (an NGO, an informant)")
    claim: str | None = Field(default=None, min_length=1, max_length=1000,
                              description="what this source says where sources disagree (a date, a crossing)")

    _published_is_iso = field_validator("published", mode="before")(_iso_date_text)


class Figure(_Strict):
    """A number one source gives ('more than 500 people repatriated'), with its qualifier kept."""

    quantity: str = Field(min_length=1, max_length=200, description="what is counted, e.g. 'people repatriated'")
    value: int = Field(ge=0, le=10**9)
    value_max: int | None = Field(default=None, ge=0, le=10**9, description="for a range the source gives")
    qualifier: FigureQualifier = "exactly"
    source: int = Field(ge=0, description="index of the source in `sources` that gives this figure")

    @model_validator(mode="after")
    def _ordered(self) -> Figure:
        if self.value_max is not None and self.value_max < self.value:
            raise FieldError("value_max", f"value_max {self.value_max} is below value {self.value}")
        return self


class StatusChange(_Strict):
    """A route's or crossing's status from a date on."""

    status: RouteStatus
    since: dt.date
    precision: DatePrecision
    inferred: StrictBool = False
    note: str | None = Field(default=None, max_length=2000)

    _since_is_iso = field_validator("since", mode="before")(_iso_date_text)


def _as_day(value: dt.date | str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def status_on(history: Iterable[Mapping[str, Any]] | None, day: dt.date | str) -> str | None:
    """The status a `status_history` (StatusChange rows as dicts: `status`, `since` as a date, a datetime
    or ISO text) gives on `day`: that of its last change on or before `day`, in list order (which the
    contract keeps in date order); None before its first change or for no history. The one definition of
    "status on a day": routes on the map (geo.view.time) and crossings (geo.reference.crossings) use it,
    and differ only in what None means to them (a route is not drawn yet, a crossing's status is unknown)."""
    when = _as_day(day)
    status = None
    for change in history or ():
        if _as_day(change["since"]) <= when:
            status = change["status"]
    return status


class EventProperties(_Strict):
    """The properties every event feature carries (data/README.md documents each)."""

    id: str = Field(pattern=SLUG_PATTERN, max_length=120)
    layer: LayerId
    event_type: EventTypeId
    title: str = Field(min_length=1, max_length=300)
    summary: str = Text
    place: str = Field(default="", max_length=300)
    place_text: str | None = Field(default=None, max_length=500)
    evidence: str | None = Field(default=None, max_length=2000, description="the source sentence it rests on")
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    location_precision: LocationPrecision
    location_note: str | None = Field(default=None, max_length=2000)
    date_start: dt.date | None = None
    date_end: dt.date | None = None
    date_precision: DatePrecision
    date_inferred: StrictBool = False
    date_note: str | None = Field(default=None, max_length=2000)
    status: RouteStatus | None = None
    status_history: list[StatusChange] = Field(default_factory=list)
    via: list[list[str]] = Field(default_factory=list)
    crossings: list[Annotated[str, Field(pattern=SLUG_PATTERN, max_length=120)]] = Field(
        default_factory=list, max_length=100,
        description="the crossings (ids in data/crossings.geojson) a MultiPoint's points stand for, in its order")
    sources: list[Source] = Field(min_length=1)
    figures: list[Figure] = Field(default_factory=list)
    matches: str | None = Field(default=None, pattern=SLUG_PATTERN, max_length=120,
                                description="candidates only: the existing event this one reports; `add` "
                                            "makes its sources that event's, and never stores this field")
    suggested: bool | None = Field(default=None, strict=True, description="candidates only: whether the ingest "
                                   "suggests it (the review ticks it at first); never stored")
    suggested_reason: str | None = Field(default=None, max_length=300,
                                         description="candidates only: why it is or is not suggested, in words")

    _dates_are_iso = field_validator("date_start", "date_end", mode="before")(_iso_date_text)

    _sources_present = field_validator("sources", mode="before")(require_sources)

    @model_validator(mode="after")
    def _consistent(self) -> EventProperties:
        if self.date_start and self.date_end and self.date_end < self.date_start:
            raise FieldError("date_end", f"date_end {self.date_end} is before date_start {self.date_start}")
        if self.date_precision != "unknown" and not (self.date_start or self.date_end):
            raise FieldError("date_precision",
                             "date_precision is not 'unknown' but there is no date_start or date_end")
        if self.date_inferred and not self.date_note:
            raise FieldError("date_note", "date_inferred is true: date_note must say how the date was inferred")
        if self.status_history:
            dates = [change.since for change in self.status_history]
            if dates != sorted(dates):
                first = next(n for n in range(1, len(dates)) if dates[n] < dates[n - 1])
                raise FieldError(f"status_history[{first}].since",
                                 f"status_history must be in date order: {dates[first]} comes after "
                                 f"{dates[first - 1]}")
            if self.status != self.status_history[-1].status:
                raise FieldError("status", "status must equal the last status_history entry")
        for n, figure in enumerate(self.figures):
            if figure.source >= len(self.sources):
                raise FieldError(f"figures[{n}].source", f"figure cites source {figure.source}, but there are "
                                                         f"only {len(self.sources)} sources (counted from 0)")
        return self


class EventFeature(_Strict):
    """A Feature whose geometry fits its layer: lines (with a status) only for trade routes."""

    type: Literal["Feature"]
    id: str | int | None = None
    geometry: Point | MultiPoint | LineString | MultiLineString | None
    properties: EventProperties

    @model_validator(mode="after")
    def _geometry_fits(self) -> EventFeature:
        props, geom = self.properties, self.geometry
        if geom is None:
            if props.crossings:
                raise FieldError("properties.crossings", "crossings name the points of a MultiPoint; this "
                                                         "geometry is null")
            if props.location_precision in ("exact", "city"):
                raise FieldError(
                    "geometry", f"geometry is null but location_precision is '{props.location_precision}'"
                )
            return self
        if geom.type == "MultiPoint":
            if props.layer == Layer.TRADE_ROUTES:
                raise FieldError("geometry", "a trade route needs a LineString or MultiLineString, not a MultiPoint")
            if len(set(props.crossings)) != len(props.crossings):
                twice = next(c for c in props.crossings if props.crossings.count(c) > 1)
                raise FieldError("properties.crossings", f"crossing {show(twice)} is listed twice")
            if len(props.crossings) != len(geom.coordinates):
                raise FieldError("properties.crossings",
                                 f"a MultiPoint needs the name of each of its points: crossings must list "
                                 f"{len(geom.coordinates)} crossing ids, one per point, got {len(props.crossings)}")
        elif props.crossings:
            raise FieldError("properties.crossings", f"crossings name the points of a MultiPoint; this geometry "
                                                     f"is a {geom.type}")
        if geom.type not in POINT_TYPES:
            if props.layer != Layer.TRADE_ROUTES:
                raise FieldError("geometry", f"{props.layer} features must be Points or MultiPoints, not {geom.type}")
            if props.status is None:
                raise FieldError("properties.status",
                                 "a route line needs a status (closed, partially_resumed, resumed, unknown)")
        if geom.type == "Point" and not props.place:
            raise FieldError("properties.place", "a located point needs the name of its place")
        if props.location_precision == "unknown":
            raise FieldError("properties.location_precision",
                             "a feature with geometry cannot have location_precision 'unknown'")
        return self


def _json_type(value: Any) -> str:
    """The JSON name of a parsed value's type (object, array, string, number, boolean, null)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {dict: "object", list: "array", str: "string"}.get(type(value), type(value).__name__)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _positions(coordinates: Any) -> list[list[Any]]:
    """Flatten nested GeoJSON coordinates to a list of positions (lists starting with a number).

    Iterative, so absurdly nested input cannot exhaust the stack."""
    out: list[list[Any]] = []
    stack = [coordinates]
    while stack:
        item = stack.pop()
        if not isinstance(item, list):
            continue
        if item and isinstance(item[0], (int, float)):
            out.append(item)
        else:
            stack.extend(reversed(item))
    return out


def coordinate_problems(geometry: Any) -> list[tuple[str, str]]:
    """Range checks pydantic does not do; spots latitude/longitude given in the wrong order."""
    if not isinstance(geometry, dict):
        return []
    problems = []
    for n, pos in enumerate(_positions(geometry.get("coordinates"))):
        if len(pos) < 2:
            continue
        field = f"geometry.coordinates[{n}]" if geometry.get("type") != "Point" else "geometry.coordinates"
        if not all(_is_number(v) for v in pos):
            problems.append((field, f"coordinates must be numbers, got {show(pos)}"))
            continue
        try:
            lon, lat = float(pos[0]), float(pos[1])
        except OverflowError:  # an integer too large for a float
            lon = lat = math.inf
        if not all(math.isfinite(v) for v in (lon, lat)):
            problems.append((field, f"coordinates must be finite numbers, got {show(pos)}"))
        elif abs(lat) > 90 and abs(lon) <= 90:
            problems.append(
                (field, f"latitude {show(pos[1])} is out of range; longitude and latitude look swapped "
                        f"(GeoJSON order is [longitude, latitude])")
            )
        elif abs(lat) > 90:
            problems.append((field, f"latitude {show(pos[1])} is out of range (-90..90)"))
        elif abs(lon) > 180:
            problems.append((field, f"longitude {show(pos[0])} is out of range (-180..180)"))
    return problems


_SHAPES = {
    "Point": "[longitude, latitude]",
    "MultiPoint": "a list of two or more different [longitude, latitude] positions (a Point for one place)",
    "LineString": "a list of two or more [longitude, latitude] positions",
    "MultiLineString": "a non-empty list of lines, each a list of two or more [longitude, latitude] positions",
}


def _is_position(value: Any) -> bool:
    return isinstance(value, list) and len(value) in (2, 3) and all(_is_number(v) for v in value)


def _is_points(value: Any) -> bool:
    """Two or more positions, no two the same: one place is a Point, and a repeated one would draw two pins
    on top of each other."""
    return (isinstance(value, list) and len(value) >= 2 and all(_is_position(p) for p in value)
            and len({tuple(p) for p in value}) == len(value))


def _is_line(value: Any) -> bool:
    return isinstance(value, list) and len(value) >= 2 and all(_is_position(p) for p in value)


def geometry_problems(geometry: Any) -> list[tuple[str, str]]:
    """One clear problem for a geometry of the wrong kind or shape, else its coordinate problems.

    Checked here rather than left to geojson-pydantic, whose union of models reports each mistake
    several times under internal names (Position2D, Position3D), accepts numbers given as text or
    booleans, and accepts shapes shapely cannot build (positions mixing 2 and 3 values)."""
    if geometry is None:
        return []
    if not isinstance(geometry, dict):
        return [("geometry", f"geometry must be a GeoJSON geometry object or null, got {_json_type(geometry)}")]
    claimed = geometry.get("type")
    if claimed not in GEOMETRY_TYPES:
        return [("geometry", f"geometry must be a Point, MultiPoint, LineString, MultiLineString or null, "
                             f"got {show(claimed)}")]
    if "coordinates" not in geometry:
        return [("geometry.coordinates", f"a {claimed} needs coordinates: {_SHAPES[claimed]}")]
    coordinates = geometry["coordinates"]
    if coordinates == [] or coordinates is None:
        return [("geometry.coordinates", f"empty coordinates; a {claimed} needs {_SHAPES[claimed]} "
                                         f"(use geometry null when the location is unknown)")]
    shaped = {
        "Point": _is_position,
        "MultiPoint": _is_points,
        "LineString": _is_line,
        "MultiLineString": lambda c: isinstance(c, list) and bool(c) and all(_is_line(line) for line in c),
    }[claimed](coordinates)
    if not shaped:
        return [("geometry.coordinates", f"{claimed} coordinates must be {_SHAPES[claimed]}, got {show(coordinates)}")]
    if len({len(pos) for pos in _positions(coordinates)}) > 1:
        return [("geometry.coordinates", "positions mix [longitude, latitude] and [longitude, latitude, altitude]; "
                                         "give every position the same number of values")]
    return coordinate_problems(geometry)


def _field_name(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item}]"] if parts else [f"[{item}]"]
        elif item in GEOMETRY_TYPES:
            continue
        elif isinstance(item, str) and _PLAIN_KEY.fullmatch(item):
            parts.append(item)
        else:  # a key from the data that is not a plain name: quoted, escaped and cut short
            key = f"[{show(str(item), 40)}]"
            parts[-1:] = [f"{parts[-1]}{key}"] if parts else [key]
    return ".".join(parts) or "feature"


def _geometry_field(loc: tuple[Any, ...]) -> str:
    """`geometry.<member>` for a geojson-pydantic error, without its internal model names."""
    for item in loc[1:]:
        if isinstance(item, str) and item not in GEOMETRY_TYPES:
            return _field_name(("geometry", item))
    return "geometry"


def _raw_id(feature: Any) -> str | None:
    """The feature's id as written (whole, so duplicates are compared exactly; `Problem` shortens it
    for display)."""
    if isinstance(feature, dict) and isinstance(feature.get("properties"), dict):
        value = feature["properties"].get("id")
        if isinstance(value, str) and value:
            return value
    return None


def _date_order_problem(properties: Any) -> str | None:
    """End-before-start, checked on the raw values so it is reported alongside other errors."""
    if not isinstance(properties, dict):
        return None
    start, end = properties.get("date_start"), properties.get("date_end")
    if not all(isinstance(v, str) and _ISO_DATE.fullmatch(v) for v in (start, end)):
        return None
    try:
        start, end = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    except ValueError:
        return None
    return f"date_end {end} is before date_start {start}" if end < start else None


def bidi_problems(feature: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, message) for every text value in a feature (its properties, every source, figure, status
    change and via name, and any other member but the geometry) that holds one of BIDI_CONTROLS: one per
    field, naming the first such character. Walked without recursion."""
    problems = []
    stack: list[tuple[tuple[Any, ...], Any]] = [((name,), value) for name, value in reversed(feature.items())
                                                 if name != "geometry"]
    while stack:
        loc, value = stack.pop()
        if isinstance(value, str):
            found = _BIDI.search(value)
            if found:
                char = found.group()
                problems.append((_field_name(loc), f"contains the bidirectional control character U+{ord(char):04X} "
                                                   f"({unicodedata.name(char)}) at character {found.start() + 1}, "
                                                   f"which can make text display in another order than it is "
                                                   f"written; remove it"))
        elif isinstance(value, dict):
            stack.extend((loc + (key,), item) for key, item in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend((loc + (n,), item) for n, item in reversed(list(enumerate(value))))
    return problems


def validate_feature(feature: Any, index: int, file: str) -> list[Problem]:
    """All problems with one feature; empty when it satisfies the contract."""
    fid = _raw_id(feature)

    def problem(field: str, message: str) -> Problem:
        return Problem(file, field, message, index, fid)

    if not isinstance(feature, dict):
        return [problem("feature", f"expected a GeoJSON Feature object, got {_json_type(feature)}")]
    geometry = feature.get("geometry")
    problems = [problem(f, m) for f, m in geometry_problems(geometry)]
    geometry_reported = bool(problems)
    order = _date_order_problem(feature.get("properties"))
    if order:
        problems.append(problem("properties.date_end", order))
    try:
        EventFeature.model_validate(feature)
    except ValidationError as error:
        geometry_fields: set[str] = set()
        for detail in error.errors(include_url=False):
            loc = tuple(detail["loc"])
            message = detail["msg"].removeprefix("Value error, ")
            if loc[:1] == ("geometry",):
                # What geometry_problems did not already say (a bbox, say): one line per member,
                # only from the union member the geometry claims to be.
                if geometry_reported or (len(loc) > 1 and loc[1] in GEOMETRY_TYPES
                                         and isinstance(geometry, dict) and loc[1] != geometry.get("type")):
                    continue
                field = _geometry_field(loc)
                if field == "geometry.bbox":
                    message = "bbox must be 4 numbers [west, south, east, north] (6 with altitudes)"
                if field not in geometry_fields:
                    geometry_fields.add(field)
                    problems.append(problem(field, message))
                continue
            if loc[:1] == ("id",):  # the feature's own id: one line, not one per member of str | int
                problems.append(problem("id", f"a feature's id must be a string or an integer, "
                                              f"got {show(feature.get('id'))}"))
                continue
            field = _field_name(loc)
            cause = (detail.get("ctx") or {}).get("error")
            if isinstance(cause, FieldError):
                field = f"{field}.{cause.field}" if loc else cause.field
            if order and message == order:
                continue
            if geometry_reported and field == "properties.crossings":  # counted against a geometry already refused
                continue
            problems.append(problem(field, message))
    bidi = bidi_problems(feature)
    if bidi:  # the one line that says what is wrong with such a value, instead of "should match pattern"
        spoofed = {field for field, _ in bidi}
        problems = [p for p in problems if p.field not in spoofed] + [problem(f, m) for f, m in bidi]
    return list(dict.fromkeys(problems))


def validate_collection(data: Any, file: str,
                        validate_one: Callable[[Any, int, str], list[Problem]] | None = None) -> list[Problem]:
    """All problems with a parsed GeoJSON document; empty when the whole dataset is valid.

    Each feature is checked by `validate_one` (default: the events contract, `validate_feature`);
    ids must be unique. At most MAX_PROBLEMS are listed; one last line then says how many more were found."""
    validate_one = validate_one or validate_feature
    if not isinstance(data, dict):
        return [Problem(file, "document", f"expected a FeatureCollection object, got {_json_type(data)}")]
    if data.get("type") != "FeatureCollection":
        return [Problem(file, "type", f"expected 'FeatureCollection', got {show(data.get('type'))}")]
    problems: list[Problem] = []
    if "crs" in data:
        problems.append(Problem(file, "crs", "RFC 7946 GeoJSON has no 'crs' member; coordinates are WGS84 lon/lat"))
    features = data.get("features")
    if not isinstance(features, list):
        return problems + [Problem(file, "features", "expected a list of features")]
    seen: dict[str, int] = {}
    more = 0  # problems found beyond MAX_PROBLEMS: counted, never kept (a huge file of bad features stays small)

    def add(found: list[Problem]) -> None:
        nonlocal more
        room = max(0, MAX_PROBLEMS - len(problems))
        problems.extend(found[:room])
        more += len(found) - len(found[:room])

    for index, feature in enumerate(features):
        add(validate_one(feature, index, file))
        fid = _raw_id(feature)
        if fid is not None:
            if fid in seen:
                message = f"duplicate id, first used by feature {seen[fid]}"
                add([Problem(file, "properties.id", message, index, fid)])
            else:
                seen[fid] = index
    if more:
        problems.append(Problem(file, "features",
                                f"{more} more problems not listed (only the first {MAX_PROBLEMS} are)"))
    return problems
