"""The official China–DPRK border crossings: a registry with names, cited coordinates and status.

`data/crossings.geojson` holds one Point feature per crossing (or `geometry: null` where no public
page gives a coordinate). Each crossing names the town or port on both sides in English, Korean and
Chinese, says where its coordinate comes from, and carries a dated status history in which every
change cites its source. `validate_crossings` reports problems in the same form as the events
validator (`geo.events.schema`); `load_crossings` gives a GeoDataFrame or raises `DatasetError`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import pandas as pd
from geojson_pydantic import Point
from pydantic import Field, ValidationError, field_validator, model_validator

from geo.events.dataset import frame_from_collection, read_json
from geo.events.schema import (
    SLUG_PATTERN,
    Problem,
    RouteStatus,
    Source,
    StatusChange,
    _field_name,
    _raw_id,
    _Strict,
    coordinate_problems,
    require_sources,
    status_on,
    validate_collection,
)
from geo.paths import CROSSINGS_PATH

CROSSING_KINDS: dict[str, str] = {"rail": "Rail", "road": "Road", "both": "Rail and road"}
CrossingKind = Literal["rail", "road", "both"]

Name = Field(min_length=1, max_length=200)


class SideNames(_Strict):
    """The town or port on one side of the river, in three scripts (null only where no source gives one)."""

    en: str = Name
    ko: str | None = Field(min_length=1, max_length=200)
    zh: str | None = Field(min_length=1, max_length=200)


class CoordinateSource(_Strict):
    """The public page a crossing's coordinate is read from; `note` quotes the coordinate as given."""

    title: str = Field(min_length=1, max_length=500)
    url: str = Field(min_length=1, max_length=2000, pattern=r"^https?://")
    note: str = Field(min_length=1, max_length=2000)


class PageSource(_Strict):
    """A page documenting the crossing itself (web reference pages often carry no publication date)."""

    publisher: str = Field(min_length=1, max_length=300)
    title: str = Field(min_length=1, max_length=1000)
    url: str = Field(min_length=1, max_length=2000, pattern=r"^https?://")
    published: dt.date | None = None
    note: str | None = Field(default=None, max_length=2000)


class CrossingStatusChange(StatusChange):
    """A crossing's status from a date on, with the reports that support it."""

    sources: list[Source] = Field(min_length=1)

    _sources_present = field_validator("sources", mode="before")(require_sources)

    @model_validator(mode="after")
    def _inferred_explained(self) -> CrossingStatusChange:
        if self.inferred and not self.note:
            raise ValueError("inferred is true: note must say how the date was inferred")
        return self


class CrossingProperties(_Strict):
    """The properties every crossing carries (data/README.crossings.md documents each)."""

    id: str = Field(pattern=SLUG_PATTERN, max_length=120)
    name: str = Field(min_length=1, max_length=300)
    kind: CrossingKind
    place: str | None = Field(default=None, max_length=300, description="its name in data/places.geojson, if there")
    china_side: SideNames
    dprk_side: SideNames
    names_source: str = Field(min_length=1, max_length=3000)
    coordinate_source: CoordinateSource | None = None
    location_precision: Literal["exact", "city"] = Field(
        default="exact", description="exact: the bridge's own cited coordinate; city: drawn at the town the "
                                     "port is named after, with the town-level disc")
    status: RouteStatus
    status_history: list[CrossingStatusChange] = Field(min_length=1)
    sources: list[PageSource] = Field(min_length=1)
    note: str | None = Field(default=None, max_length=3000)

    _sources_present = field_validator("sources", mode="before")(require_sources)

    @model_validator(mode="after")
    def _consistent(self) -> CrossingProperties:
        dates = [change.since for change in self.status_history]
        if dates != sorted(dates):
            raise ValueError("status_history must be in date order")
        if self.status != self.status_history[-1].status:
            raise ValueError("status must equal the last status_history entry")
        return self


class CrossingFeature(_Strict):
    """A crossing: a Point with a cited coordinate, or null geometry when no coordinate is published."""

    type: Literal["Feature"]
    id: str | int | None = None
    geometry: Point | None
    properties: CrossingProperties

    @model_validator(mode="after")
    def _coordinate_cited(self) -> CrossingFeature:
        cited = self.properties.coordinate_source is not None
        if self.geometry is not None and not cited:
            raise ValueError("a located crossing needs a coordinate_source")
        if self.geometry is None and cited:
            raise ValueError("coordinate_source is given but geometry is null")
        return self


PROPERTY_FIELDS: tuple[str, ...] = tuple(CrossingProperties.model_fields)


def _geometry_type_problem(feature: dict[str, Any]) -> str | None:
    geometry = feature.get("geometry")
    if geometry is None:
        return None
    claimed = geometry.get("type") if isinstance(geometry, dict) else None
    if claimed != "Point":
        return f"a crossing's geometry must be a Point or null, got {claimed!r}"
    return None


def _crossing_field(loc: tuple[Any, ...]) -> str:
    """Dotted field name, without geojson-pydantic's internal model names."""
    return _field_name(tuple(part for part in loc if part not in ("Position2D", "Position3D")))


def validate_crossing(feature: Any, index: int, file: str) -> list[Problem]:
    """All problems with one crossing feature; empty when it satisfies the contract."""
    fid = _raw_id(feature)

    def problem(field: str, message: str) -> Problem:
        return Problem(file, field, message, index, fid)

    if not isinstance(feature, dict):
        return [problem("feature", f"expected a GeoJSON Feature object, got {type(feature).__name__}")]
    problems = [problem(f, m) for f, m in coordinate_problems(feature.get("geometry"))]
    wrong_type = _geometry_type_problem(feature)
    if wrong_type:
        problems.append(problem("geometry", wrong_type))
    try:
        CrossingFeature.model_validate(feature)
    except ValidationError as error:
        for detail in error.errors(include_url=False):
            loc = tuple(detail["loc"])
            if wrong_type and loc[:1] == ("geometry",):
                continue
            problems.append(problem(_crossing_field(loc), detail["msg"].removeprefix("Value error, ")))
    return list(dict.fromkeys(problems))


def validate_crossings(data: Any, file: str) -> list[Problem]:
    """All problems with a parsed crossings document; empty when the whole registry is valid."""
    return validate_collection(data, file, validate_crossing)


def load_crossings(path: Path = CROSSINGS_PATH) -> gpd.GeoDataFrame:
    """Read and validate the crossings registry: a GeoDataFrame in EPSG:4326 indexed by id.

    Columns are the property fields (nested values as plain dicts and lists, dates as ISO strings)
    plus `geometry` (None where no coordinate is published). Raises DatasetError listing every problem.
    """
    return frame_from_collection(read_json(path), str(path), CrossingProperties, validate_crossing)


def crossing_status_at(row: Mapping[str, Any] | pd.Series, day: dt.date | str) -> str:
    """The crossing's status on `day`: that of the last change on or before it (geo.events.schema.status_on),
    else 'unknown' (a crossing is drawn before its history starts, in the unknown status)."""
    return status_on(row["status_history"], day) or "unknown"
