"""The review page in a real browser against a real server: a spreadsheet read stops when its visitor leaves.

The read runs in a child process of the server (geo.io.table.import_upload under geo.budget); the page asks,
while it runs, whether the visitor's session is still connected. Closing the tab must end the child long
before its own time budget would.
"""

from __future__ import annotations

import time
from pathlib import Path

from playwright.sync_api import expect

from geo.io.table import UPLOAD_SECONDS
from tests.browser import LOAD_MS, is_loopback, open_review_page, report, serve, wait_until_idle
from tests.conftest import EVENTS_PATH

SHEET_KIND = "A spreadsheet of events (CSV or Excel)"


def slow_sheet() -> bytes:
    """A CSV within every upload limit whose rows take longer than the time budget to import: 5,000 rows whose
    places are long phrases the gazetteer does not know."""
    rows = ["date,event_type,place,source,url"]
    phrase = "somewhere near the river bank by the old bridge in the hills " * 2
    rows += [f"2023-01-{i % 28 + 1:02d},defection,{phrase}{i},Daily NK,https://example.org/{i}" for i in range(5000)]
    return ("\n".join(rows) + "\n").encode("utf-8")


def readers(server_pid: int) -> list[int]:
    """The server's child processes that are budgeted reads (geo.budget's child interpreter)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (proc / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue  # ended meanwhile
        if ppid == server_pid and b"geo.budget import _serve" in command:
            found.append(int(proc.name))
    return found


def wait_for(condition, seconds: float) -> float | None:
    """Poll `condition()` every 0.05 s for up to `seconds`; the seconds it took to hold, or None."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if condition():
            return time.monotonic() - started
        time.sleep(0.05)
    return None


def test_closing_the_tab_stops_the_spreadsheet_read_long_before_its_time_budget(tmp_path, open_session, request):
    data = tmp_path / "events.geojson"
    data.write_bytes(EVENTS_PATH.read_bytes())
    with serve(tmp_path, data, {"BORDER_EDITORS": str(tmp_path / "editors.toml"),
                                "BORDER_SEEDS": str(tmp_path)}) as app, app.log_on_failure():
        session = open_session(is_loopback)
        page = session.page
        open_review_page(page, app.url)
        page.get_by_text(SHEET_KIND).click()
        expect(page.get_by_text("Spreadsheet: .csv (UTF-8) or .xlsx")).to_be_visible(timeout=LOAD_MS)
        wait_until_idle(page)
        page.locator("input[type=file]").set_input_files(
            {"name": "slow.csv", "mimeType": "text/csv", "buffer": slow_sheet()})
        read = page.get_by_role("button", name="Read rows")
        expect(read).to_be_enabled(timeout=LOAD_MS)
        read.click()
        assert wait_for(lambda: readers(app.process.pid), 20) is not None, "the read never started"
        session.context.close()  # the visitor closes the tab
        gone = wait_for(lambda: not readers(app.process.pid), UPLOAD_SECONDS)
    assert gone is not None, f"the read went on after the tab closed (budget {UPLOAD_SECONDS:g} s)"
    report(request, f"spreadsheet read stopped {gone:.2f} s after its tab closed (its budget: {UPLOAD_SECONDS:g} s)")
    assert gone < UPLOAD_SECONDS / 2
