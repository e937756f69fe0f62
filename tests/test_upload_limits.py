"""The review page's "Read rows" against hostile spreadsheets, in a real browser against a real `streamlit run`
server, as an anonymous visitor: each answers with one error line naming the file within 10 s, and the server
process grows by less than 100 MB (its own /proc peak, reset before the upload). The files are generated at run
time by tests/test_io_sheet.py's `hostile_files`.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from geo.report.markup import WORD_JOINER
from tests.browser import RERUN_MS, is_loopback, open_sheet_uploader, report, wait_until_idle
from tests.test_io_sheet import ANSWER_SECONDS, GROWTH_MB, Hostile, hostile_files, secret_of
from tests.test_security import secured  # noqa: F401  (the server fixture)

HOSTILE = ("dimension", "wide_csv", "shared_bomb", "padded_csv", "xxe")
"""The 16,384 × 200,001 dimension XLSX, the 100,000-column CSV header, the sharedStrings bomb, a CSV whose short
rows pad to 300 columns each, an external entity naming a local file."""


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Hostile]:
    return hostile_files(tmp_path_factory.mktemp("hostile"))


def memory(pid: int, key: str) -> int:
    """VmRSS or VmHWM (the peak since the last reset) of process `pid`, in bytes."""
    return int(Path(f"/proc/{pid}/status").read_text().split(f"{key}:")[1].split()[0]) * 1024


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_sheet_read_on_the_review_page_is_one_error_line_within_10_s_and_the_server_grows_under_100_mb(
        secured, open_session, hostile, name, request):  # noqa: F811
    app, _ = secured
    case, pid = hostile[name], secured[0].process.pid
    session = open_session(is_loopback)
    page = session.page
    with app.log_on_failure():
        uploader = open_sheet_uploader(page, app.url)
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # the server's peak starts again from here
        before = memory(pid, "VmRSS")
        uploader.locator("input[type='file']").set_input_files(case.path)
        read_rows = page.get_by_role("button", name="Read rows")
        expect(read_rows).to_be_enabled(timeout=RERUN_MS)
        wait_until_idle(page)
        started = time.monotonic()
        read_rows.click()
        alert = page.locator("[data-testid='stAlert']").filter(has_text="file:")
        expect(alert).to_be_visible(timeout=ANSWER_SECONDS * 1000)
        seconds = time.monotonic() - started
        grew = memory(pid, "VmHWM") - before
        line = alert.inner_text().replace(WORD_JOINER, "").strip()
        wait_until_idle(page)
        report(request, f"review page {name:>11}: {seconds:5.2f} s, server grew {grew / 2**20:5.1f} MB: {line[:120]}")
        assert line.startswith(f"{case.path.name}: file: ") and case.refusal in line and "\n" not in line, line
        assert seconds < ANSWER_SECONDS and grew < GROWTH_MB * 2**20, (seconds, grew)
        assert secret_of(case.path.parent) not in page.content()
        expect(page.locator("[data-testid='stException']")).to_have_count(0)
    session.assert_no_outside_request_and_no_js_error()
