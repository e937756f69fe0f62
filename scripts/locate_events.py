"""Set every event's geometry from data/places.geojson (its `place`, or the places in `via`).

Curators write `place` / `via`; this script writes the coordinates, so no coordinate in the
events file is typed by hand. Run after editing events or places:
    python scripts/locate_events.py [data/events.geojson]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from geo.reference.places import geometry_for, load_places

DEFAULT = Path(__file__).resolve().parent.parent / "data" / "events.geojson"


def main(path: Path = DEFAULT) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    places = load_places()
    for feature in data["features"]:
        feature["geometry"] = geometry_for(feature["properties"], places)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    located = sum(f["geometry"] is not None for f in data["features"])
    print(f"{path}: {located} of {len(data['features'])} events located")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT)
