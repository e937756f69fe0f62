"""Where events stand relative to the border: distance to it, nearest crossing, country, province.

Every distance is measured in metres in a UTM zone (51N, EPSG:32651, west of 126°E; 52N,
EPSG:32652, east of it), never in degrees. Country comes from the Natural Earth 1:10m land polygons;
within 1.5 km of the border, where 1:10m polygons can put a riverside town on the wrong bank, an
event's own `country` code wins. No province polygons ship offline, so the province is that of the
nearest GeoNames town in the same country (data/towns.csv).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from shapely import points
from shapely.geometry.base import BaseGeometry

from geo.basemap import BASEMAP_PATH

TOWNS_PATH = Path(__file__).resolve().parent.parent / "data" / "towns.csv"
UTM_WEST, UTM_EAST = "EPSG:32651", "EPSG:32652"
NEAR_BORDER_M = 1_500
ANALYSIS_COLUMNS = ("country_found", "province", "distance_to_border_km", "nearest_crossing",
                    "nearest_crossing_km")


@dataclass(frozen=True)
class Geography:
    """The reference layers the analysis needs, each projected once per UTM zone."""

    countries: gpd.GeoDataFrame  # iso_a2, geometry (EPSG:4326)
    border: BaseGeometry  # the China–DPRK border line (EPSG:4326)
    crossings: gpd.GeoDataFrame  # located crossings: name, geometry (EPSG:4326)
    towns: gpd.GeoDataFrame  # name, country, province, geometry (EPSG:4326)


def utm_for(longitude: float) -> str:
    """The UTM zone CRS that covers this longitude in the region (51N or 52N)."""
    return UTM_WEST if longitude < 126 else UTM_EAST


def load_towns(path: Path = TOWNS_PATH) -> gpd.GeoDataFrame:
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    frame = pd.DataFrame(rows)
    geometry = points(frame["longitude"].astype(float), frame["latitude"].astype(float))
    return gpd.GeoDataFrame(frame[["name", "country", "province"]], geometry=geometry, crs="EPSG:4326")


def load_geography(crossings: gpd.GeoDataFrame, basemap_path: Path = BASEMAP_PATH,
                   towns_path: Path = TOWNS_PATH) -> Geography:
    """Read the basemap's countries and border, and the towns; keep only located crossings."""
    basemap = gpd.read_file(basemap_path)
    border = basemap[basemap["kind"] == "border"].geometry.union_all()
    countries = basemap[basemap["kind"] == "country"][["iso_a2", "geometry"]].reset_index(drop=True)
    located = crossings[crossings.geometry.notna()][["name", "geometry"]].reset_index(drop=True)
    return Geography(countries, border, located, load_towns(towns_path))


def _zones(frame: gpd.GeoDataFrame) -> pd.Series:
    return frame.geometry.representative_point().x.map(utm_for)


def _nearest(left: gpd.GeoDataFrame, right: gpd.GeoDataFrame, column: str) -> pd.DataFrame:
    """For each row of `left`, `right[column]` of its nearest row and the distance in km (same CRS)."""
    joined = gpd.sjoin_nearest(left[["geometry"]], right[[column, "geometry"]], distance_col="_m")
    joined = joined[~joined.index.duplicated(keep="first")]
    return pd.DataFrame({column: joined[column], "km": (joined["_m"] / 1000).round(2)})


def analyze(frame: gpd.GeoDataFrame, geography: Geography) -> pd.DataFrame:
    """One row per event (same index): country_found, province, distance_to_border_km,
    nearest_crossing, nearest_crossing_km. Empty (None/NaN) where the event has no location.
    Vectorised per UTM zone (spatial joins), so 100,000 events take seconds, not minutes."""
    out = pd.DataFrame(index=frame.index, columns=list(ANALYSIS_COLUMNS), dtype=object)
    located = frame[frame.geometry.notna()]
    if located.empty:
        return out
    zones = _zones(located)
    for zone in zones.unique():
        part = located[zones == zone].to_crs(zone)
        border = gpd.GeoSeries([geography.border], crs="EPSG:4326").to_crs(zone).iloc[0]
        out.loc[part.index, "distance_to_border_km"] = (part.distance(border) / 1000).round(2)
        if len(geography.crossings):
            near = _nearest(part, geography.crossings.to_crs(zone), "name")
            out.loc[near.index, "nearest_crossing"] = near["name"]
            out.loc[near.index, "nearest_crossing_km"] = near["km"]
        # A route's countries are those of the places it joins (its vertices), not of the straight
        # segments drawn between them.
        probes = part.geometry.map(lambda g: g if g.geom_type == "Point"
                                   else shapely.multipoints(shapely.get_coordinates(g)))
        probes = gpd.GeoDataFrame(geometry=probes, crs=zone)
        hits = gpd.sjoin(probes, geography.countries.to_crs(zone), predicate="intersects")
        found = hits.groupby(level=0)["iso_a2"].agg(lambda codes: "/".join(sorted(set(codes))))
        if "country" in part:
            near_border = out.loc[part.index, "distance_to_border_km"].astype(float) * 1000 <= NEAR_BORDER_M
            own = part["country"].where(near_border & part.geom_type.eq("Point") & part["country"].notna())
            found = own.dropna().combine_first(found)
        out.loc[found.index, "country_found"] = found
        towns = geography.towns.to_crs(zone)
        points = part[part.geom_type == "Point"]
        for country in found.reindex(points.index).dropna().unique():
            in_country = points[found.reindex(points.index) == country]
            candidates = towns[towns["country"].isin(country.split("/"))]
            if len(candidates):
                out.loc[in_country.index, "province"] = _nearest(in_country, candidates, "province")["province"]
        for index, geometry in part[part.geom_type != "Point"].geometry.items():
            out.at[index, "province"] = _line_provinces(geometry, (found.get(index) or "").split("/"), towns)
    return out


def _line_provinces(geometry: BaseGeometry, countries: list[str], towns: gpd.GeoDataFrame) -> str | None:
    """The provinces of a route's two ends (nearest town in the route's countries)."""
    parts = getattr(geometry, "geoms", [geometry])
    names: list[str] = []
    candidates = towns[towns["country"].isin(countries)] if countries else towns
    for end in (points(parts[0].coords[0]), points(parts[-1].coords[-1])):
        if len(candidates):
            name = candidates.at[candidates.distance(end).idxmin(), "province"]
            if name not in names:
                names.append(name)
    return " / ".join(names) or None


def with_analysis(frame: gpd.GeoDataFrame, geography: Geography) -> gpd.GeoDataFrame:
    """`frame` with the analysis columns added (replacing any earlier ones)."""
    base = frame.drop(columns=[c for c in ANALYSIS_COLUMNS if c in frame.columns])
    return base.join(analyze(base, geography))
