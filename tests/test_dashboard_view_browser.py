"""A reader's view survives what happens around it: a visit to the review page and back, a dataset file that is
unreadable for a moment, a database that refuses connections for a while. In each case the page says in one line
what is wrong (naming files, never server paths), the URL is never rewritten by it, and the same view (filters,
map date, chosen event) is back by itself once the data is. Real Streamlit server, Debian's Chromium, loopback only.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from playwright.sync_api import Page, expect

from geo.report.markup import WORD_JOINER
from tests.browser import LOAD_MS, RERUN_MS, App, Session, is_loopback, serve, wait_until_idle
from tests.conftest import EVENTS_PATH

LINK = "?types=defection,repatriation&until=2024-12-31&asof=2023-06-01"
RECOVERY_MS = 30_000  # the page looks again every 5 s (dashboard.RETRY_SECONDS), then reruns


def counts_line(page: Page):
    return page.locator("[data-testid='stMarkdownContainer']").filter(has_text="events shown")


def outage_line(page: Page):
    return page.locator("[data-testid='stAlert']").filter(has_text="cannot be shown right now")


def open_view(session: Session, app: App) -> tuple[str, str]:
    """Open the linked view; return its counts line and the URL the page settled on."""
    session.page.goto(app.url + LINK)
    with app.log_on_failure():
        expect(counts_line(session.page)).to_contain_text("events shown", timeout=LOAD_MS)
        wait_until_idle(session.page)
    counts = counts_line(session.page).inner_text()
    assert not counts.startswith("69 of 69"), "the link's filters were not applied"
    return counts, session.page.url


def rerun(page: Page) -> None:
    """What any click does to the server: run the page again (Streamlit's R shortcut)."""
    page.locator("body").press("r")
    time.sleep(0.5)
    wait_until_idle(page)


def assert_view_back(page: Page, app: App, counts: str, url: str) -> None:
    with app.log_on_failure():
        expect(counts_line(page)).to_have_text(counts, timeout=RECOVERY_MS)
        wait_until_idle(page)
        expect(outage_line(page)).to_have_count(0)
        expect(page.locator("[data-testid='stException']")).to_have_count(0)
    assert page.url == url


def test_the_view_survives_a_visit_to_the_review_page_and_back(tmp_path: Path, open_session):
    with serve(tmp_path, extra_env={"BORDER_CACHE": str(tmp_path / "cache")}) as app:
        session = open_session(is_loopback)
        counts, url = open_view(session, app)
        page = session.page
        page.locator("[data-testid='stSidebarNav'] a", has_text="review").click()
        with app.log_on_failure():
            expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=LOAD_MS)
        wait_until_idle(page)
        page.locator("[data-testid='stSidebarNav'] a", has_text="dashboard").click()
        assert_view_back(page, app, counts, url)
        page.reload()  # and the URL written on the way back reopens it in a new session
        assert_view_back(page, app, counts, url)
        session.assert_no_outside_request_and_no_js_error()


def test_a_file_unreadable_for_a_moment_costs_neither_the_view_nor_the_link(tmp_path: Path, open_session):
    data = tmp_path / "events.geojson"
    good = EVENTS_PATH.read_bytes()
    data.write_bytes(good)
    with serve(tmp_path, data=data, extra_env={"BORDER_CACHE": str(tmp_path / "cache")}) as app:
        session = open_session(is_loopback)
        counts, url = open_view(session, app)
        page = session.page

        data.write_bytes(good[: len(good) // 2])  # a hand edit half written
        rerun(page)
        with app.log_on_failure():
            expect(outage_line(page)).to_be_visible(timeout=RERUN_MS)
        line = outage_line(page).inner_text().replace(WORD_JOINER, "")
        assert "events.geojson" in line and str(tmp_path) not in page.content()
        assert page.url == url, "the outage rewrote the link"
        rerun(page)  # readers go on clicking while it lasts
        assert page.url == url

        temporary = tmp_path / "events.geojson.new"
        temporary.write_bytes(good)
        os.replace(temporary, data)  # the edit finished; nobody touches the page
        assert_view_back(page, app, counts, url)
        session.assert_no_outside_request_and_no_js_error()


def test_a_database_that_refuses_connections_for_a_while_costs_neither_the_view_nor_the_link(
        make_dataset, collection, postgres, tmp_path: Path, open_session):
    spec = make_dataset("postgis", collection)
    database = spec.rsplit("/", 1)[-1]
    with serve(tmp_path, data=spec, extra_env={"BORDER_CACHE": str(tmp_path / "cache")}) as app:
        session = open_session(is_loopback)
        counts, url = open_view(session, app)
        page = session.page

        postgres.sql(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
        postgres.sql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}'")
        try:
            rerun(page)
            with app.log_on_failure():
                expect(outage_line(page)).to_be_visible(timeout=RERUN_MS)
            assert postgres.password not in page.content()
            assert page.url == url, "the outage rewrote the link"
        finally:
            postgres.sql(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
        assert_view_back(page, app, counts, url)
        rerun(page)  # and the widgets hold the view again: a later run keeps it
        assert_view_back(page, app, counts, url)
        session.assert_no_outside_request_and_no_js_error()
