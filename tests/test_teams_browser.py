"""Two app servers, one PostGIS dataset: in a real browser, an event appended through one is shown by the other at
its next reload, without restarting either (tests/browser.py's harness; Debian's Chromium; loopback only)."""

from __future__ import annotations

import copy
import subprocess
import sys
import time

from playwright.sync_api import expect

from geo.store import encode, read_collection
from tests.browser import LOAD_MS, RERUN_MS, is_loopback, report, serve, wait_until_idle
from tests.conftest import ROOT


def counts_line(page):
    return page.locator("[data-testid='stMarkdownContainer']").filter(has_text="events shown")


def test_an_event_appended_through_one_server_appears_on_the_other_at_its_next_reload(
        make_dataset, collection, tmp_path, open_session, request):
    url = make_dataset("postgis", collection)
    total = len(collection["features"])
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    cache = {"BORDER_CACHE": str(tmp_path / "cache")}
    with serve(tmp_path / "a", data=url, extra_env=cache) as first, \
            serve(tmp_path / "b", data=url, extra_env=cache) as second:
        pages = {}
        for name, app in (("first", first), ("second", second)):
            session = open_session(is_loopback)
            started = time.perf_counter()
            session.page.goto(app.url)
            with app.log_on_failure():
                expect(counts_line(session.page)).to_contain_text(f"{total} of {total} events shown", timeout=LOAD_MS)
            report(request, f"PostGIS dashboard first open ({name} server): {time.perf_counter() - started:.1f} s")
            pages[name] = session

        new = copy.deepcopy(collection["features"][6])
        new["properties"]["id"] = "appended-through-the-first-server"
        candidates = tmp_path / "candidates.geojson"
        candidates.write_bytes(encode({"type": "FeatureCollection", "features": [new]}))
        added = subprocess.run([sys.executable, "-m", "geo", "add", "--data", url, str(candidates)], cwd=ROOT,
                               capture_output=True, text=True, timeout=120)
        assert added.returncode == 0, added.stderr
        assert read_collection(url)["features"][-1]["properties"]["id"] == new["properties"]["id"]

        for name, app in (("second", second), ("first", first)):  # neither restarted
            page = pages[name].page
            page.reload()
            with app.log_on_failure():
                expect(counts_line(page)).to_contain_text(f"{total + 1} of {total + 1} events shown",
                                                          timeout=LOAD_MS)
                wait_until_idle(page)
                expect(page.get_by_text("1 recorded changes", exact=False)).to_be_visible(timeout=RERUN_MS)
            pages[name].assert_no_outside_request_and_no_js_error()
