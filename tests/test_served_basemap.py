"""The live map fetches the basemap once from the app; an exported map carries it inside."""

from __future__ import annotations

from geo.map.base import base_map
from geo.map.served_basemap import SERVED_DIR, served_basemap_name
from geo.paths import BASEMAP_PATH


def test_the_served_copy_is_the_basemap_file_under_a_name_that_changes_with_its_content():
    name = served_basemap_name()
    assert name.startswith("basemap-") and name.endswith(".geojson")
    assert (SERVED_DIR / name).read_bytes() == BASEMAP_PATH.read_bytes()
    assert served_basemap_name() == name, "written once, named the same while the file is the same"


def test_the_live_map_names_the_served_file_instead_of_carrying_the_land(places):
    live = base_map(places, "/app/static/vendor").get_root().render()
    exported = base_map(places, None).get_root().render()
    land = '"kind": "country"'
    assert f"/app/static/basemap/{served_basemap_name()}" in live and "L.geoBasemap(" in live
    assert land not in live and land in exported, "only the export carries the land polygons"
    assert len(live) < len(exported) - BASEMAP_PATH.stat().st_size // 2


def test_a_served_copy_removed_while_the_server_runs_is_written_again():
    name = served_basemap_name()
    (SERVED_DIR / name).unlink()
    assert served_basemap_name() == name and (SERVED_DIR / name).read_bytes() == BASEMAP_PATH.read_bytes()
