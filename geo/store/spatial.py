"""Border geography computed where the data lives: PostGIS measures each event's distance to the China–DPRK
border and to the nearest crossing in one query, in the same UTM zone geo.reference.geography uses for it (51N west of
126°E, 52N east of it, chosen by the event's point on surface), so the two agree to the rounding.

`ST_Distance` on geography (the spheroid) was measured too and is not used: it agrees within 0.5 km up to
about 1,000 km from the border, but an event far outside both zones (Kunming, 2,600 km away) differs by 42 km,
because UTM 51N distorts there; the app's figures are the UTM ones, so the database gives the same.

The reference layers (border line, located crossings) are sent with the query as parameters, from the same
files geo.reference.geography reads, so nothing in the database goes stale when they change. The analysis of
geo.reference.geography (UTM zones, shapely) stays the one the app shows; this is for SQL-side work and
`analyze --in-database`, and a test holds the two within 0.5 km of each other for every curated event.
"""

from __future__ import annotations

import pandas as pd
import shapely

from geo.reference.geography import Geography
from geo.store.postgis import PostgisStore

QUERY = """
WITH border AS (SELECT ST_GeomFromWKB(%(border)s, 4326) AS geom),
     crossing AS (SELECT n AS position, name, ST_GeomFromWKB(wkb, 4326) AS geom
                  FROM unnest(%(names)s::text[], %(wkbs)s::bytea[]) WITH ORDINALITY AS c(name, wkb, n)),
     located AS (SELECT id, position, geom,
                        CASE WHEN ST_X(ST_PointOnSurface(geom)) < 126 THEN 32651 ELSE 32652 END AS zone
                 FROM events WHERE geom IS NOT NULL)
SELECT e.id,
       round((ST_Distance(ST_Transform(e.geom, e.zone), ST_Transform(border.geom, e.zone)) / 1000)::numeric, 2)::float8,
       nearest.name,
       round((nearest.m / 1000)::numeric, 2)::float8
FROM located e
CROSS JOIN border
LEFT JOIN LATERAL (SELECT crossing.name,
                          ST_Distance(ST_Transform(e.geom, e.zone), ST_Transform(crossing.geom, e.zone)) AS m
                   FROM crossing ORDER BY m, crossing.position LIMIT 1) nearest ON true
ORDER BY e.position
"""
COLUMNS = ("distance_to_border_km", "nearest_crossing", "nearest_crossing_km")


def border_distances(store: PostgisStore, geography: Geography) -> pd.DataFrame:
    """For every located event (index: id, in dataset order): distance_to_border_km, nearest_crossing and
    nearest_crossing_km, as PostGIS computes them in the event's UTM zone (km, 2 decimals)."""
    parameters = {"border": shapely.to_wkb(geography.border),
                  "names": list(geography.crossings["name"]),
                  "wkbs": [shapely.to_wkb(g) for g in geography.crossings.geometry]}
    rows = store._session(lambda connection: connection.execute(QUERY, parameters).fetchall(), read_only=True)
    frame = pd.DataFrame(rows, columns=["id", *COLUMNS], dtype=object)
    return frame.set_index("id").rename_axis(None)
