"""Draw the crossings no page gives a bridge coordinate for at the town their port is named after.

Nanping–Musan, Sanhe–Hoeryong and Kaishantun–Sambong are ports named after their towns; no public
page we found gives the bridges' coordinates, so each is drawn at its DPRK-side town (the one GeoNames
carries) at town precision, and its coordinate_source cites that GeoNames entry. The point is taken
from data/places.geojson (scripts/build_places.py), never typed. Run after building the places:
    python scripts/locate_crossings.py
"""

from __future__ import annotations

import json
from pathlib import Path

from geo.reference.crossings import CROSSINGS_PATH
from geo.reference.places import geometry_for, load_places

AT_TOWN = {"nanping-musan": "Musan", "sanhe-hoeryong": "Hoeryong", "kaishantun-sambong": "Sambong"}


def main(path: Path = CROSSINGS_PATH) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    places = load_places()
    for feature in data["features"]:
        props = feature["properties"]
        town = AT_TOWN.get(props["id"])
        if town is None:
            continue
        place = places.loc[town]
        feature["geometry"] = geometry_for({"place": town}, places)
        geonameid = place.get("geonameid")
        url = (f"https://www.geonames.org/{int(geonameid)}" if geonameid == geonameid and geonameid is not None
               else "https://www.geonames.org/")
        props.update(place=town, location_precision="city", coordinate_source={
            "title": place["source"], "url": url,
            "note": f"Drawn at {town} ({place['geonames_name']}), the town the port is named after, at town "
                    f"precision: no public page we found gives the bridge's own coordinate.",
        })
        props["note"] = (f"Drawn at the town of {town}, with the town-level disc: the port is named after it, "
                         "and no public page we found gives the bridge's coordinate.")
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{path}: {len(AT_TOWN)} crossings drawn at their towns")


if __name__ == "__main__":
    main()
