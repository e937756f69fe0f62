"""Downloads at 100,000 events in the real dashboard (#21): while one visitor downloads every format, another
visitor's filter changes stay within twice their usual time (their median), and nine in ten of them within three
times (the server itself hands each 20-40 MB file to the browser, and a shared 2-core machine has its moments);
every file holds all the events; a second click on each is served from the cache.

A real `streamlit run dashboard.py` on loopback with 100,000 synthetic events (perf.bench, written as
GeoParquet at run time) and Debian's Chromium; every request that would leave the machine is blocked.
"""

from __future__ import annotations

import csv
import re
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import pyogrio
import pytest
from playwright.sync_api import Download, Locator, Page, expect

from geo.io.downloads import BUILD_SECONDS
from geo.io.export import FORMAT_NAMES, FORMATS
from tests.browser import App, is_loopback, report, serve

EVENTS = 100_000
TOGGLED_LAYER = "Trade routes"  # about 3% of the synthetic events: a filter change that keeps most of the map
SLOWDOWN_ALLOWED = 2.0  # the median filter change during the downloads, against the median alone
TAIL_ALLOWED = 3.0  # nine in ten of them (measured on fresh clones: 1.7x to 2.4x)
RERUN_DEADLINE_MS = 120_000  # a rerun slowed past this is reported as a failure with the times measured
RETRY_AFTER_SECONDS = 200  # Streamlit's page gives up on a download's answer after 180 s and says so on the button
"""A second click on a cached file that brought nothing (once in five whole-suite runs: no error in the server's
log, cause not found) is clicked again, as a reader would, and the report says so; a second miss fails."""


@pytest.fixture(scope="module")
def big_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    from geo.io.geoparquet import write_events
    from perf.bench import synthetic_collection

    folder = tmp_path_factory.mktemp("downloads-100k")
    data = folder / "events.parquet"
    write_events(synthetic_collection(EVENTS), data)
    with serve(tmp_path_factory.mktemp("downloads-streamlit"), data, {"BORDER_CACHE": str(folder / "cache")}) as app:
        yield app


def counts(page: Page) -> Locator:
    return page.locator("[data-testid='stMarkdownContainer']").filter(has_text="events shown")


def open_dashboard(page: Page, app: App) -> None:
    page.goto(app.url)
    expect(counts(page)).to_contain_text(f"{EVENTS:,} of {EVENTS:,} events shown", timeout=300_000)
    wait_until_idle(page)


def wait_until_idle(page: Page) -> None:
    expect(page.locator("[data-test-script-state]")).to_have_attribute(
        "data-test-script-state", "notRunning", timeout=RERUN_DEADLINE_MS)


def filter_change(page: Page) -> float:
    """Toggle the layer's checkbox in the sidebar; seconds until the counts changed and the rerun ended."""
    before = counts(page).inner_text()
    started = time.perf_counter()
    page.locator("[data-testid='stSidebar'] [data-testid='stCheckbox']").filter(has_text=TOGGLED_LAYER).click()
    expect(counts(page)).not_to_have_text(before, timeout=RERUN_DEADLINE_MS)
    wait_until_idle(page)
    return time.perf_counter() - started


def download_button(page: Page, fmt: str) -> Locator:
    return page.get_by_role("button", name=re.compile(rf"^Download {re.escape(FORMAT_NAMES[fmt])} \("))


def events_in(path: Path, fmt: str) -> int:
    """How many events the downloaded file holds, read back as its readers would."""
    if fmt in ("csv", "hxl"):
        with path.open(encoding="utf-8", newline="") as handle:
            return sum(1 for _ in csv.reader(handle)) - (2 if fmt == "hxl" else 1)
    if fmt == "gpkg":
        return pyogrio.read_info(path)["features"]
    marker = b"<Placemark>" if fmt == "kml" else b'\n  {\n   "type": "Feature",'
    return path.read_bytes().count(marker)


def test_downloading_every_format_at_100k_events_leaves_other_visitors_reruns_within_twice_their_time(
        big_app: App, open_session, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    reader, downloader = open_session(is_loopback), open_session(is_loopback)
    arrived: list[Download] = []
    downloader.page.on("download", lambda download: arrived.append(download))
    with big_app.log_on_failure():
        open_dashboard(reader.page, big_app)
        open_dashboard(downloader.page, big_app)
        for _ in range(2):  # both views once, so the times below are of views seen before
            filter_change(reader.page)
        usual = [filter_change(reader.page) for _ in range(12)]  # a median steady enough to compare against

        during: list[float] = []
        first: dict[str, float] = {}
        for fmt in FORMATS:  # each click's file built while the reader keeps changing filters
            clicked, wanted = time.perf_counter(), len(arrived) + 1
            download_button(downloader.page, fmt).click()
            while len(arrived) < wanted:
                assert time.perf_counter() - clicked < BUILD_SECONDS + 60, f"the {fmt} download never came"
                during.append(filter_change(reader.page))
            saved = tmp_path / f"{fmt}{FORMATS[fmt][0]}"
            arrived[-1].save_as(saved)
            first[fmt] = time.perf_counter() - clicked
            assert events_in(saved, fmt) == EVENTS, fmt

        again: dict[str, float] = {}
        retried: list[str] = []
        for fmt in FORMATS:  # the same files again
            wanted = len(arrived) + 1
            for attempt in range(2):
                download_button(downloader.page, fmt).click()
                clicked_now = time.perf_counter()
                failed = downloader.page.locator("[data-testid='stDownloadButtonError']")
                while len(arrived) < wanted and not (attempt == 0 and failed.count()) and \
                        time.perf_counter() - clicked_now < RETRY_AFTER_SECONDS:  # the first error may stay shown
                    downloader.page.wait_for_timeout(100)
                if len(arrived) == wanted:
                    break
                why = failed.first.inner_text() if failed.count() else f"nothing in {RETRY_AFTER_SECONDS} s"
                retried.append(f"{fmt}: {why}")
                assert attempt == 0, f"the second {fmt} download never came, clicked twice: {retried}"
            arrived[-1].save_as(tmp_path / f"again-{fmt}{FORMATS[fmt][0]}")
            again[fmt] = time.perf_counter() - clicked_now  # from the click that brought it

    usual_s, during_s = statistics.median(usual), statistics.median(during)
    slow_s = statistics.quantiles(during, n=10)[-1]  # the 90th percentile
    report(request, f"{EVENTS:,} events: a filter change took {usual_s:.2f} s (median of {len(usual)}) alone; while "
                    f"every format was downloaded {during_s:.2f} s (median of {len(during)}), {slow_s:.2f} s (90th "
                    f"percentile), {max(during):.2f} s (slowest); first/repeat download s: "
                    + ", ".join(f"{fmt} {first[fmt]:.1f}/{again[fmt]:.1f}" for fmt in FORMATS)
                    + (f"; clicked again after {retried}" if retried else ""))
    assert len(during) >= len(FORMATS)
    assert during_s <= SLOWDOWN_ALLOWED * usual_s and slow_s <= TAIL_ALLOWED * usual_s, \
        f"during the downloads a filter change took {during_s:.2f} s (median), one in ten over {slow_s:.2f} s, " \
        f"against {usual_s:.2f} s alone: {sorted(round(t, 2) for t in during)}"
    for fmt in FORMATS:
        assert again[fmt] < first[fmt] / 2, f"the second {fmt} download took {again[fmt]:.1f} s, the first " \
                                            f"{first[fmt]:.1f} s: it was built again"
    reader.assert_no_outside_request_and_no_js_error()
    downloader.assert_no_outside_request_and_no_js_error()
