"""Two Streamlit servers behind a real nginx (app.serve, deploy/nginx.conf), on a copy of the bundled dataset: a reader
in Debian's Chromium stays on one server, an event published through one server shows through the other, both show
the same version, and a garbage route cookie is routed like no cookie. Requests go to loopback only.

Which server answered is read from nginx's own access log (`upstream=` is the server's address), so a routing
mistake cannot hide behind a page that happens to look right."""

from __future__ import annotations

import csv
import http.client
import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from app.serve import ROUTE_COOKIE, Served, ServeError, nginx_binary, serving, worker_names
from geo.events.dataset import read_json
from geo.store import changelog
from geo.store.editors import add_editor
from geo.store.file import digest
from geo.view.fields import FIELD
from tests.browser import (
    LOAD_MS,
    RERUN_MS,
    Session,
    append_with_summary,
    is_loopback,
    open_review_page,
    open_sheet_uploader,
    wait_until_idle,
)
from tests.conftest import EVENTS_PATH
from tests.test_security import fill_review_form

pytestmark = pytest.mark.slow(reason="a browser against two `streamlit run` servers behind nginx")

EDITOR, PASSWORD = "serve-editor", "a long serving passphrase"
ARTICLE = "North Korean workers staged a strike at a seafood plant in Hunchun on 10 January 2023, a source said.\n"
MAP_FRAME = "iframe[title*='st_folium']"
SHEET = ("date,event_type,place,lat,lon,source,url\n"
         "2024-09-03,worker_strike,Dandong,40.1292,124.3947,Daily NK,https://www.dailynk.com/serve-sheet\n")


@dataclass(frozen=True)
class Proxy:
    served: Served
    data: Path
    logs: Path

    def worker_of(self, upstream: str) -> str:
        """The name of the server at `upstream` (host:port, as nginx logs it)."""
        return next(w.name for w in self.served.workers if upstream == f"127.0.0.1:{w.port}")

    def log_size(self) -> int:
        return (self.logs / "nginx-access.log").stat().st_size

    def logged_since(self, offset: int) -> list[dict[str, str]]:
        """nginx's access log lines written after `offset`, each as its request and its key=value fields."""
        with (self.logs / "nginx-access.log").open("rb") as log:
            log.seek(offset)
            text = log.read().decode("utf-8", "replace")
        return [{"request": line.split('"')[1], "status": line.split('"')[2].split()[0],
                 **dict(re.findall(r"(\w+)=(\S*)", line.split('"')[2]))} for line in text.splitlines() if line]

    def logged_request(self, offset: int, prefix: str, seconds: float = 10) -> list[dict[str, str]]:
        """The access log lines after `offset`, once one whose request starts with `prefix` is there: nginx writes
        a request's line after it has sent the response, so a quick client can look before it is written."""
        deadline = time.monotonic() + seconds
        while True:
            lines = self.logged_since(offset)
            if any(line["request"].startswith(prefix) for line in lines):
                return lines
            assert time.monotonic() < deadline, f"nginx never logged {prefix!r}"
            time.sleep(0.05)


def nginx_missing_reason() -> str | None:
    """Why nginx cannot run here, or None (as root with apt-get, scripts/setup --test installs it: the fixture then
    fails instead of skipping, as tests/conftest.py does for PostgreSQL)."""
    if nginx_binary() is not None:
        return None
    return "nginx is not installed: `scripts/setup --test` (or `--serve`) installs Debian's nginx, as root"


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    reason = nginx_missing_reason()
    if reason:
        if os.geteuid() == 0 and shutil.which("apt-get"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("serve")
    data = folder / "events.geojson"
    data.write_bytes(EVENTS_PATH.read_bytes())
    (folder / "seeds").mkdir()
    add_editor(EDITOR, PASSWORD, folder / "editors.toml")
    env = {"BORDER_EDITORS": str(folder / "editors.toml"), "BORDER_SEEDS": str(folder / "seeds"),
           "BORDER_CACHE": str(folder / "cache")}
    try:
        with serving(2, data=data, log_dir=folder / "logs", env=env) as served:
            yield Proxy(served, data, folder / "logs")
    except ServeError as error:
        pytest.fail(str(error), pytrace=False)


def pinned(context: BrowserContext, proxy: Proxy, worker: str) -> None:
    """Make every request of `context` carry the route cookie naming `worker`, as nginx would have set it."""
    context.add_cookies([{"name": ROUTE_COOKIE, "value": worker, "url": proxy.served.url}])


def counts_line(page: Page):
    return page.locator("[data-testid='stMarkdownContainer']").filter(has_text="events shown")


def foot(page: Page):
    return page.get_by_text(re.compile(r"events · version \w+"))


def opened(session: Session, url: str, total: int) -> Page:
    """`url` opened in the session, once the dashboard says all `total` events are shown and the map is drawn."""
    page = session.page
    page.goto(url)
    expect(counts_line(page)).to_contain_text(f"{total} of {total} events shown", timeout=LOAD_MS)
    expect(page.frame_locator(MAP_FRAME).locator(".leaflet-container")).to_be_visible(timeout=LOAD_MS)
    wait_until_idle(page)
    return page


def test_a_reader_through_the_proxy_sees_the_dashboard_and_all_its_requests_reach_the_server_its_cookie_names(
        proxy, open_session):
    total = len(read_json(proxy.data)["features"])
    start = proxy.log_size()
    session = open_session(is_loopback)
    sent: list[tuple[str, str]] = []
    session.page.on("request", lambda request: sent.append((request.url, request.all_headers().get("cookie", ""))))
    opened(session, proxy.served.url, total)
    route = {c["name"]: c["value"] for c in session.context.cookies()}.get(ROUTE_COOKIE)
    assert route in worker_names(2)
    # Every request after the page itself carried the cookie (the map frame's and its scripts' too).
    assert len(sent) > 10
    assert [url for url, cookie in sent[1:] if f"{ROUTE_COOKIE}={route}" not in cookie] == []
    session.assert_no_outside_request_and_no_js_error()
    session.context.close()  # nginx logs the websocket when it closes
    lines = [line for line in proxy.logged_request(start, "GET /_stcore/stream") if line["upstream"] != "-"]
    assert {proxy.worker_of(line["upstream"]) for line in lines} == {route}, lines
    stream = [line for line in lines if line["request"].startswith("GET /_stcore/stream")]
    assert [line["status"] for line in stream] == ["101"]


def test_an_event_published_through_one_server_shows_through_the_other_with_the_same_version(proxy, open_session):
    before = read_json(proxy.data)["features"]
    total = len(before)
    second = open_session(is_loopback)
    pinned(second.context, proxy, "w2")
    page_two = opened(second, proxy.served.url, total)  # w2 holds the version before the append
    expect(foot(page_two)).to_contain_text(f"version {changelog.version(digest(proxy.data))}")

    first = open_session(is_loopback)
    pinned(first.context, proxy, "w1")
    page = first.page
    open_review_page(page, proxy.served.url)
    fill_review_form(page, ARTICLE)
    page.get_by_role("textbox", name="Editor name").fill(EDITOR)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text(f"Signed in as {EDITOR}")).to_be_visible(timeout=RERUN_MS)
    wait_until_idle(page)
    page.get_by_role("button", name="Find candidates").click()
    card = page.locator("[class*='st-key-cand_card_']").filter(has_text="In the article: “North Korean workers staged")
    expect(card.get_by_role("checkbox")).to_be_checked(timeout=RERUN_MS)
    append_with_summary(page, card, "Workers at a Hunchun seafood plant went on strike, according to one source.",
                        EDITOR)
    after = read_json(proxy.data)["features"]
    assert after[:total] == before and len(after) == total + 1
    new = after[-1]["properties"]

    version = changelog.version(digest(proxy.data))
    for session in (second, first):  # w2 has not restarted; w1 made the change
        page = opened(session, f"{proxy.served.url}?{FIELD['selected'].url}={new['id']}", total + 1)
        expect(page.get_by_text(new["title"]).first).to_be_visible(timeout=RERUN_MS)
        expect(foot(page)).to_contain_text(f"version {version}")
        session.assert_no_outside_request_and_no_js_error()


def request_with_cookie(url: str, cookie: bytes) -> http.client.HTTPResponse:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.putrequest("GET", "/_stcore/health")
    connection.putheader("Cookie", cookie)
    connection.endheaders()
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_a_garbage_route_cookie_is_routed_like_none_and_an_oversized_one_is_refused_never_a_server_error(proxy):
    garbage = [b"", b"w0", b"w3", b"W1", b"w1x", b"w1 w2", b"w11", b"../w1", b"\xff\xfew1",
               os.urandom(3000).hex().encode(), b"x" * 7000]
    for value in garbage:
        start = proxy.log_size()
        response = request_with_cookie(proxy.served.url, f"{ROUTE_COOKIE}=".encode() + value + b"; other=1")
        assert response.status == 200, (value[:40], response.status)
        [set_cookie] = [c for c in response.msg.get_all("Set-Cookie") or [] if c.startswith(f"{ROUTE_COOKIE}=")]
        assert re.fullmatch(rf"{ROUTE_COOKIE}=(w1|w2); Path=/; HttpOnly; SameSite=Lax", set_cookie), set_cookie
        [line] = [line for line in proxy.logged_request(start, "GET /_stcore/health")
                  if line["request"].startswith("GET /_stcore/health")]
        assert proxy.worker_of(line["upstream"]) == set_cookie.split(";")[0].split("=")[1]

    for worker in worker_names(2):  # a valid one is kept, and not set again
        start = proxy.log_size()
        response = request_with_cookie(proxy.served.url, f"a=1; {ROUTE_COOKIE}={worker}".encode())
        assert response.status == 200
        assert not [c for c in response.msg.get_all("Set-Cookie") or [] if c.startswith(f"{ROUTE_COOKIE}=")]
        [line] = [line for line in proxy.logged_request(start, "GET /_stcore/health")
                  if line["request"].startswith("GET /_stcore/health")]
        assert proxy.worker_of(line["upstream"]) == worker

    for refused in (b"y" * 40_000, b"w1\x00"):  # a header too large, a NUL: nginx refuses them before any server
        assert request_with_cookie(proxy.served.url, f"{ROUTE_COOKIE}=".encode() + refused).status == 400


def test_an_upload_and_a_download_through_the_proxy_reach_the_server_that_holds_the_session(
        proxy, open_session, tmp_path):
    """A file a visitor uploads and a file they download exist only in their own server's memory: both requests
    must reach the server their cookie names (w2 here, not the first one)."""
    total = len(read_json(proxy.data)["features"])
    session = open_session(is_loopback)
    pinned(session.context, proxy, "w2")
    page = session.page
    start = proxy.log_size()
    sheet = tmp_path / "events.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    uploader = open_sheet_uploader(page, proxy.served.url)
    uploader.locator("input[type='file']").set_input_files(sheet)
    read_rows = page.get_by_role("button", name="Read rows")
    expect(read_rows).to_be_enabled(timeout=RERUN_MS)
    wait_until_idle(page)
    read_rows.click()
    expect(page.get_by_role("heading", name="1 candidate", exact=True)).to_be_visible(timeout=RERUN_MS)

    opened(session, proxy.served.url, total)
    with page.expect_download(timeout=RERUN_MS) as table_file:
        page.get_by_role("button", name=re.compile(r"^Download CSV")).click()
    table_file.value.save_as(tmp_path / "shown.csv")
    with (tmp_path / "shown.csv").open(encoding="utf-8-sig", newline="") as shown:
        assert len(list(csv.DictReader(shown))) == total  # every event shown, built by w2 and fetched from it
    session.assert_no_outside_request_and_no_js_error()

    lines = proxy.logged_request(start, "GET /media/")
    uploads = [line for line in lines if "/_stcore/upload_file/" in line["request"]]
    media = [line for line in lines if line["request"].startswith("GET /media/")]
    assert uploads and media, lines
    for line in uploads + media:
        assert proxy.worker_of(line["upstream"]) == "w2" and line["status"].startswith("2"), line


@pytest.mark.parametrize("workers", [0, -1, 17, 10**9])
def test_a_number_of_servers_outside_1_to_16_is_refused_in_one_line_before_anything_starts(workers, tmp_path):
    with pytest.raises(ServeError, match=rf"^--workers must be between 1 and 16, not {workers}$"):
        with serving(workers, data=EVENTS_PATH, log_dir=tmp_path / "logs"):
            pass
    assert not (tmp_path / "logs").exists() or not any((tmp_path / "logs").iterdir())
