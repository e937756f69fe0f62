"""The review of candidate events: one editable row per candidate, and the accepted ones with the edits."""

from __future__ import annotations

import datetime as dt
from typing import Any

from geo.events.schema import EVENT_LAYER
from geo.reference.gazetteer import PIN_KINDS, Gazetteer, load_gazetteer

REVIEW_COLUMNS = ("accept", "place", "event_type", "title", "date_start", "date_end", "date_precision",
                  "location_precision", "evidence", "summary", "id")


def review_rows(collection: dict[str, Any]) -> list[dict[str, Any]]:
    """One editable row per candidate, located ones first and ticked, the rest unticked."""
    rows = []
    for feature in sorted(collection["features"], key=lambda f: f["geometry"] is None):
        p = feature["properties"]
        rows.append({"accept": feature["geometry"] is not None,
                     **{k: p.get(k) for k in REVIEW_COLUMNS if k != "accept"}})
    return rows


def apply_review(collection: dict[str, Any], rows: list[dict[str, Any]],
                 gazetteer: Gazetteer | None = None) -> list[dict[str, Any]]:
    """The accepted candidates with the reviewer's edits applied; a changed place moves the point to
    that gazetteer place (or removes it for a region or an unknown place). Not yet validated."""
    gazetteer = gazetteer or load_gazetteer()
    by_id = {f["properties"]["id"]: f for f in collection["features"]}
    accepted = []
    for row in rows:
        if not row.get("accept") or row.get("id") not in by_id:
            continue
        feature = {"type": "Feature", "geometry": by_id[row["id"]]["geometry"],
                   "properties": dict(by_id[row["id"]]["properties"])}
        props = feature["properties"]
        for key in ("event_type", "title", "summary", "date_start", "date_end", "date_precision",
                    "location_precision"):
            value = row.get(key)
            if isinstance(value, float) and value != value:  # an empty cell of a data editor
                value = None
            props[key] = value.isoformat()[:10] if isinstance(value, dt.date) else value
            if props[key] is None:
                props.pop(key)
        props["layer"] = EVENT_LAYER[props["event_type"]]
        if (row.get("place") or "") != props.get("place", ""):
            place = gazetteer.places.get(row.get("place") or "")
            props["place"] = place.name if place else ""
            located = place is not None and place.lon is not None and place.kind in PIN_KINDS
            feature["geometry"] = {"type": "Point", "coordinates": [place.lon, place.lat]} if located else None
            props["location_precision"] = (("exact" if place.kind == "crossing" else "city") if located
                                           else ("region" if place else "unknown"))
            props["location_note"] = "Place chosen by the reviewer."
        accepted.append(feature)
    return accepted
