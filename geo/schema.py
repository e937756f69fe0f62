"""The events data contract: vocabularies, the feature model, and validation.

A dataset is an RFC 7946 FeatureCollection. Each feature is checked with pydantic models
(geometry via geojson-pydantic); every problem becomes one `Problem` naming the file, the
feature (index and id) and the field, so a curator can find and fix it.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any, Literal

from geojson_pydantic import LineString, MultiLineString, Point
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

LAYERS: dict[str, str] = {
    "trade_routes": "Trade routes",
    "worker_locations": "Worker locations",
    "incidents": "Incidents",
}

EVENT_TYPES: dict[str, str] = {
    "border_closure": "Border closure",
    "rail_freight_resumption": "Rail freight resumption",
    "road_freight_resumption": "Road freight resumption",
    "customs_reopening": "Customs reopening",
    "worker_deployment": "Worker deployment",
    "repatriation": "Repatriation",
    "defection": "Defection",
    "disappearance": "Disappearance",
    "escape": "Escape",
    "detention": "Detention",
    "extortion": "Extortion",
    "surveillance": "Surveillance",
}

DATE_PRECISIONS = ("day", "month", "season", "year", "unknown")
LOCATION_PRECISIONS = ("exact", "city", "region", "country", "unknown")
ROUTE_STATUSES: dict[str, str] = {
    "closed": "Closed",
    "partially_resumed": "Partially resumed",
    "resumed": "Resumed",
    "unknown": "Unknown",
}

COUNTRY_NAMES: dict[str, str] = {"CN": "China", "KP": "North Korea", "KR": "South Korea", "RU": "Russia",
                                  "JP": "Japan"}

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"

Layer = Literal["trade_routes", "worker_locations", "incidents"]
EventType = Literal[
    "border_closure",
    "rail_freight_resumption",
    "road_freight_resumption",
    "customs_reopening",
    "worker_deployment",
    "repatriation",
    "defection",
    "disappearance",
    "escape",
    "detention",
    "extortion",
    "surveillance",
]
DatePrecision = Literal["day", "month", "season", "year", "unknown"]
LocationPrecision = Literal["exact", "city", "region", "country", "unknown"]
RouteStatus = Literal["closed", "partially_resumed", "resumed", "unknown"]

Text = Field(min_length=1, max_length=5000)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a dataset, located as precisely as we can."""

    file: str
    field: str
    message: str
    index: int | None = None
    feature_id: str | None = None

    def __str__(self) -> str:
        if self.index is None:
            return f"{self.file}: {self.field}: {self.message}"
        where = f"feature {self.index}" + (f" (id={self.feature_id})" if self.feature_id else "")
        return f"{self.file}: {where}: {self.field}: {self.message}"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Source(_Strict):
    """Who reported it: every feature cites at least one."""

    publisher: str = Field(min_length=1, max_length=300)
    title: str = Field(min_length=1, max_length=1000)
    published: dt.date
    ref: str = Field(min_length=1, max_length=2000, description="a seeds/... path or a URL")
    author: str | None = Field(default=None, max_length=300)
    note: str | None = Field(default=None, max_length=2000)


class StatusChange(_Strict):
    """A route's or crossing's status from a date on."""

    status: RouteStatus
    since: dt.date
    precision: DatePrecision
    inferred: bool = False
    note: str | None = Field(default=None, max_length=2000)


class EventProperties(_Strict):
    """The properties every event feature carries (data/README.md documents each)."""

    id: str = Field(pattern=SLUG_PATTERN, max_length=120)
    layer: Layer
    event_type: EventType
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
    date_inferred: bool = False
    date_note: str | None = Field(default=None, max_length=2000)
    status: RouteStatus | None = None
    status_history: list[StatusChange] = Field(default_factory=list)
    via: list[list[str]] = Field(default_factory=list)
    sources: list[Source] = Field(min_length=1)

    @field_validator("sources", mode="before")
    @classmethod
    def _sources_present(cls, value: Any) -> Any:
        if value is None or value == []:
            raise ValueError("at least one source is required")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> EventProperties:
        if self.date_start and self.date_end and self.date_end < self.date_start:
            raise ValueError(f"date_end {self.date_end} is before date_start {self.date_start}")
        if self.date_precision != "unknown" and not (self.date_start or self.date_end):
            raise ValueError("date_precision is not 'unknown' but there is no date_start or date_end")
        if self.date_inferred and not self.date_note:
            raise ValueError("date_inferred is true: date_note must say how the date was inferred")
        if self.status_history:
            dates = [change.since for change in self.status_history]
            if dates != sorted(dates):
                raise ValueError("status_history must be in date order")
            if self.status != self.status_history[-1].status:
                raise ValueError("status must equal the last status_history entry")
        return self


class EventFeature(_Strict):
    """A Feature whose geometry fits its layer: lines (with a status) only for trade routes."""

    type: Literal["Feature"]
    id: str | int | None = None
    geometry: Point | LineString | MultiLineString | None
    properties: EventProperties

    @model_validator(mode="after")
    def _geometry_fits(self) -> EventFeature:
        props, geom = self.properties, self.geometry
        if geom is None:
            if props.location_precision in ("exact", "city"):
                raise ValueError(
                    f"geometry is null but location_precision is '{props.location_precision}'"
                )
            return self
        if geom.type != "Point":
            if props.layer != "trade_routes":
                raise ValueError(f"{props.layer} features must be Points, not {geom.type}")
            if props.status is None:
                raise ValueError("a route line needs a status (closed, partially_resumed, resumed, unknown)")
        if geom.type == "Point" and not props.place:
            raise ValueError("a located point needs the name of its place")
        if props.location_precision == "unknown":
            raise ValueError("a feature with geometry cannot have location_precision 'unknown'")
        return self


def _positions(coordinates: Any) -> list[list[float]]:
    """Flatten nested GeoJSON coordinates to a list of positions."""
    if isinstance(coordinates, list) and coordinates and isinstance(coordinates[0], (int, float)):
        return [coordinates]
    out: list[list[float]] = []
    for item in coordinates if isinstance(coordinates, list) else []:
        out.extend(_positions(item))
    return out


def coordinate_problems(geometry: Any) -> list[tuple[str, str]]:
    """Range checks pydantic does not do; spots latitude/longitude given in the wrong order."""
    if not isinstance(geometry, dict):
        return []
    problems = []
    for n, pos in enumerate(_positions(geometry.get("coordinates"))):
        if len(pos) < 2 or not all(isinstance(v, (int, float)) for v in pos):
            continue
        lon, lat = pos[0], pos[1]
        field = f"geometry.coordinates[{n}]" if geometry.get("type") != "Point" else "geometry.coordinates"
        if not all(math.isfinite(v) for v in (lon, lat)):
            problems.append((field, f"coordinates must be finite numbers, got {pos}"))
        elif abs(lat) > 90 and abs(lon) <= 90:
            problems.append(
                (field, f"latitude {lat} is out of range; longitude and latitude look swapped "
                        f"(GeoJSON order is [longitude, latitude])")
            )
        elif abs(lat) > 90:
            problems.append((field, f"latitude {lat} is out of range (-90..90)"))
        elif abs(lon) > 180:
            problems.append((field, f"longitude {lon} is out of range (-180..180)"))
    return problems


def _field_name(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item}]"] if parts else [f"[{item}]"]
        elif item in ("Point", "LineString", "MultiLineString"):
            continue
        else:
            parts.append(str(item))
    return ".".join(parts) or "feature"


def _raw_id(feature: Any) -> str | None:
    if isinstance(feature, dict) and isinstance(feature.get("properties"), dict):
        value = feature["properties"].get("id")
        if isinstance(value, str) and value:
            return value[:120]
    return None


def _date_order_problem(properties: Any) -> str | None:
    """End-before-start, checked on the raw values so it is reported alongside other errors."""
    if not isinstance(properties, dict):
        return None
    try:
        start = dt.date.fromisoformat(properties.get("date_start"))
        end = dt.date.fromisoformat(properties.get("date_end"))
    except (TypeError, ValueError):
        return None
    return f"date_end {end} is before date_start {start}" if end < start else None


def validate_feature(feature: Any, index: int, file: str) -> list[Problem]:
    """All problems with one feature; empty when it satisfies the contract."""
    fid = _raw_id(feature)

    def problem(field: str, message: str) -> Problem:
        return Problem(file, field, message, index, fid)

    if not isinstance(feature, dict):
        return [problem("feature", f"expected a GeoJSON Feature object, got {type(feature).__name__}")]
    problems = [problem(f, m) for f, m in coordinate_problems(feature.get("geometry"))]
    order = _date_order_problem(feature.get("properties"))
    if order:
        problems.append(problem("properties.date_end", order))
    try:
        EventFeature.model_validate(feature)
    except ValidationError as error:
        for detail in error.errors(include_url=False):
            loc = tuple(detail["loc"])
            # The geometry union reports one error per member; keep those of the member the
            # feature claims to be, or one summary line when its type is not allowed at all.
            if loc[:1] == ("geometry",) and len(loc) > 1 and isinstance(loc[1], str):
                claimed = (feature.get("geometry") or {}).get("type") if isinstance(
                    feature.get("geometry"), dict) else None
                if claimed in ("Point", "LineString", "MultiLineString") and loc[1] != claimed:
                    continue
                if claimed not in ("Point", "LineString", "MultiLineString"):
                    problems.append(problem(
                        "geometry",
                        f"geometry must be a Point, LineString, MultiLineString or null, got {claimed!r}",
                    ))
                    break
            message = detail["msg"].removeprefix("Value error, ")
            if order and message == order:
                continue
            problems.append(problem(_field_name(loc), message))
    return list(dict.fromkeys(problems))


def validate_collection(data: Any, file: str) -> list[Problem]:
    """All problems with a parsed GeoJSON document; empty when the whole dataset is valid."""
    if not isinstance(data, dict):
        return [Problem(file, "document", f"expected a FeatureCollection object, got {type(data).__name__}")]
    if data.get("type") != "FeatureCollection":
        return [Problem(file, "type", f"expected 'FeatureCollection', got {data.get('type')!r}")]
    problems: list[Problem] = []
    if "crs" in data:
        problems.append(Problem(file, "crs", "RFC 7946 GeoJSON has no 'crs' member; coordinates are WGS84 lon/lat"))
    features = data.get("features")
    if not isinstance(features, list):
        return problems + [Problem(file, "features", "expected a list of features")]
    seen: dict[str, int] = {}
    for index, feature in enumerate(features):
        problems.extend(validate_feature(feature, index, file))
        fid = _raw_id(feature)
        if fid is not None:
            if fid in seen:
                message = f"duplicate id, first used by feature {seen[fid]}"
                problems.append(Problem(file, "properties.id", message, index, fid))
            else:
                seen[fid] = index
    return problems
