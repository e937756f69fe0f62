"""The browser-test harness: a real Streamlit server on a free loopback port, and Debian's Chromium
driven by Playwright with every request that would leave this machine aborted and recorded.

Used by tests/test_browser.py, tests/test_security.py and others; the `browser` and `open_session`
fixtures in tests/conftest.py wrap `launch_browser` and `session_factory`. Playwright is imported inside the
functions that drive it, so the pure tests that borrow `free_port`, `report` or `is_file` from here never load it.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from geo.budget import stop_process_group
from perf.appserver import NotHealthy, free_port, log_tail, streamlit_command, wait_until_healthy

if TYPE_CHECKING:  # Playwright is imported where a browser is driven, so a pure test module never loads it
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Locator, Page, Route

ROOT = Path(__file__).parent.parent.resolve()

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
VIEWPORT = {"width": 1400, "height": 1000}
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
LOCAL_SCHEMES = {"data", "blob", "about"}  # never leave the machine

STARTUP_SECONDS = 60
LOAD_MS = 30_000  # first page load: Streamlit + the component + Leaflet
RERUN_MS = 15_000  # one rerun after a widget change or a map click


# --- The Streamlit server -----------------------------------------------------------------------

def report(request: pytest.FixtureRequest, line: str) -> None:
    """Print a measurement in pytest's output (shown even when the run passes, also under -q)."""
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if reporter is None or capture is None:
        print(line)
        return
    with capture.global_and_fixture_disabled():
        reporter.write("\n" + line + "\n")


@dataclass
class App:
    url: str
    process: subprocess.Popen
    stderr_path: Path

    def stderr_tail(self, lines: int = 40) -> str:
        return log_tail(self.stderr_path, lines)

    @contextmanager
    def log_on_failure(self) -> Iterator[None]:
        """Re-raise a failed check with the server's stderr tail, which usually says why."""
        from playwright.sync_api import Error

        try:
            yield
        except (AssertionError, Error) as error:
            raise AssertionError(f"{error}\n--- streamlit stderr (last lines) ---\n{self.stderr_tail()}") from error


def stop(process: subprocess.Popen) -> None:
    """End the server's whole process group (it was started in its own session)."""
    stop_process_group(process)


@contextmanager
def serve(logs: Path, data: Path | None = None, extra_env: dict[str, str] | None = None) -> Iterator[App]:
    """Run `streamlit run dashboard.py` on a free loopback port until the block ends; `data` sets
    BORDER_DATA (None: the bundled dataset); `extra_env` adds variables (e.g. BORDER_CACHE)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "BORDER_DATA"} | (extra_env or {})
    if data is not None:
        env["BORDER_DATA"] = str(data)
    with (logs / "stdout.log").open("wb") as out, (logs / "stderr.log").open("wb") as err:
        process = subprocess.Popen(streamlit_command("dashboard.py", port), cwd=ROOT, env=env, stdout=out,
                                   stderr=err, stdin=subprocess.DEVNULL, start_new_session=True)
    running = App(f"http://127.0.0.1:{port}/", process, logs / "stderr.log")
    try:
        try:
            wait_until_healthy(process, running.url, STARTUP_SECONDS, running.stderr_tail)
        except NotHealthy as error:
            pytest.fail(str(error), pytrace=False)
        yield running
    finally:
        stop(process)


def launch_browser() -> Iterator[Browser]:
    """Debian's Chromium under Playwright, for as long as the generator runs (conftest's `browser`)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/test, which installs Debian's chromium package "
                    "(Playwright's own browser download does not work here)", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Session:
    """One browser context: its page, the requests it blocked and the JavaScript errors it saw."""

    context: BrowserContext
    page: Page
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def assert_no_outside_request_and_no_js_error(self) -> None:
        assert self.blocked == [], f"the page tried to reach outside this machine: {self.blocked}"
        assert self.errors == [], f"JavaScript errors: {self.errors}"


def is_loopback(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or (parts.scheme in {"http", "https", "ws", "wss"}
                                             and parts.hostname in LOOPBACK_HOSTS)


def is_file(url: str) -> bool:
    return urlsplit(url).scheme == "file"


def session_factory(browser: Browser) -> Iterator[Callable[[Callable[[str], bool]], Session]]:
    """(conftest's `open_session`) Open fresh contexts (so fresh Streamlit sessions) that let through
    only URLs `allowed` accepts."""
    contexts: list[BrowserContext] = []

    def make(allowed: Callable[[str], bool]) -> Session:
        context = browser.new_context(viewport=VIEWPORT)
        contexts.append(context)
        session = Session(context, context.new_page())

        def gate(route: Route) -> None:
            url = route.request.url
            if allowed(url):
                route.continue_()
            else:
                session.blocked.append(url)
                route.abort()

        def console(message: ConsoleMessage) -> None:
            # Only errors count. Chromium also logs warnings here that are harmless and not ours:
            # "Unrecognized feature: '...'" (Streamlit's iframe `allow` list) and "An iframe which has both
            # allow-scripts and allow-same-origin ..." (Streamlit's component sandbox).
            if message.type == "error":
                session.errors.append(f"console: {message.text} ({message.location.get('url')})")

        context.route("**/*", gate)
        session.page.on("console", console)  # also receives the map iframe's messages
        session.page.on("pageerror", lambda error: session.errors.append(f"pageerror: {error}"))
        session.page.on("crash", lambda _: session.errors.append("crash: the page's renderer crashed"))
        return session

    yield make
    for context in contexts:
        context.close()



def wait_until_idle(page: Page) -> None:
    """Streamlit marks its root with the script state; wait until the rerun has finished. If it does not, the
    failure says what the page showed instead (a page without Streamlit's root was seen once in a whole suite)."""
    from playwright.sync_api import Error, expect

    try:
        expect(page.locator("[data-test-script-state]")).to_have_attribute(
            "data-test-script-state", "notRunning", timeout=RERUN_MS)
    except AssertionError as error:
        try:
            shown = page.evaluate("() => document.body ? document.body.innerText.slice(0, 400) : '(no body)'")
        except Error as unreadable:
            shown = f"(the page could not be read: {unreadable})"
        raise AssertionError(f"{error}\n--- the page at {page.url} showed ---\n{shown}") from error


def append_with_summary(page: Page, card: object, summary: str, editor: str) -> None:
    """As an editor on the review page: write the accepted candidate `card`'s summary, append it, and wait until
    the page says it was appended as one change by `editor`."""
    import re

    from playwright.sync_api import expect

    box = card.get_by_role("textbox", name="Summary, in your own words")
    box.fill(summary)
    box.press("Control+Enter")
    wait_until_idle(page)
    page.get_by_role("button", name=re.compile("^Append 1 accepted")).click()
    expect(page.get_by_text(re.compile(rf"^Appended 1 events as change \d+ by {editor}"))).to_be_visible(
        timeout=RERUN_MS)


def open_review_page(page: Page, url: str) -> None:
    """Open the dashboard at `url` and go on to the review page as a user does, by the sidebar's
    navigation; return once it has finished its run (its "Sign in" button shown)."""
    from playwright.sync_api import expect

    page.goto(url)
    page.locator("[data-testid='stSidebarNav'] a", has_text="review").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=LOAD_MS)
    wait_until_idle(page)


def open_sheet_uploader(page: Page, url: str) -> Locator:
    """Open the review page as a user does, choose "A spreadsheet of events" and return its file uploader,
    once the page has finished its run."""
    from playwright.sync_api import expect

    open_review_page(page, url)
    page.get_by_text("A spreadsheet of events (CSV or Excel)").click()
    uploader = page.locator("[data-testid='stFileUploader']", has_text="Spreadsheet: .csv (UTF-8) or .xlsx")
    expect(uploader).to_be_visible(timeout=RERUN_MS)
    wait_until_idle(page)
    return uploader
