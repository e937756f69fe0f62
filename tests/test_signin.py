"""Signing in on a real server: what a flood of attempts costs it, and why a guesser cannot lock an editor out.

A real Streamlit server runs the review page; sessions speak its websocket protocol (tests/streamlit_ws.py),
each as one browser tab would, and send the X-Forwarded-For header a reverse proxy on this machine adds. The
server's memory is read from /proc (VmHWM, its peak resident set, reset before the flood).
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from geo.budget import stop_process_group
from geo.store.editors import MAX_CONCURRENT_CHECKS, SESSION_ATTEMPTS, add_editor
from perf.appserver import NotHealthy, free_port, log_tail, streamlit_command, wait_until_healthy
from tests.browser import report
from tests.conftest import EVENTS_PATH, ROOT
from tests.streamlit_ws import PageSession

EDITOR, PASSWORD = "alice", "a long test passphrase"
WRONG = "not the password at all"
WRONG_LINE = "Wrong editor name or password."
BUSY_LINE = "The server is busy checking other sign-ins: try again in a moment."
CONCURRENT = 32
MAX_EXTRA_MB = 400  # 2 argon2 checks at 64 MB each, plus 32 reruns of the page; unbounded, 32 checks took 1.5 GB


@contextmanager
def review_server(folder: Path, extra_env: dict[str, str] | None = None) -> Iterator[tuple[str, int]]:
    """`streamlit run pages/review.py` on a free loopback port with a dataset, editors file (one editor) and
    seeds folder of its own in `folder`; yields its URL and process id."""
    (folder / "seeds").mkdir(parents=True)
    data = folder / "events.geojson"
    data.write_bytes(EVENTS_PATH.read_bytes())
    editors = folder / "editors.toml"
    add_editor(EDITOR, PASSWORD, editors)
    env = {k: v for k, v in os.environ.items() if k != "FORWARDED_ALLOW_IPS"} | {
        "BORDER_DATA": str(data), "BORDER_EDITORS": str(editors), "BORDER_SEEDS": str(folder / "seeds"),
    } | (extra_env or {})
    port = free_port()
    with (folder / "stdout.log").open("wb") as out, (folder / "stderr.log").open("wb") as err:
        process = subprocess.Popen(streamlit_command(ROOT / "pages" / "review.py", port), cwd=ROOT, env=env,
                                   stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        try:
            wait_until_healthy(process, url, 60, lambda: log_tail(folder / "stderr.log"))
        except NotHealthy as error:
            pytest.fail(str(error), pytrace=False)
        yield url, process.pid
    finally:
        stop_process_group(process)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """The review page served as it ships: X-Forwarded-For believed from loopback peers (a proxy on this
    machine) only, uvicorn's default for FORWARDED_ALLOW_IPS."""
    with review_server(tmp_path_factory.mktemp("signin")) as running:
        yield running


def from_address(url: str, address: str | None) -> PageSession:
    """A new browser session reaching the server through a proxy that reports the client as `address`."""
    return PageSession(url, {"X-Forwarded-For": address} if address else None)


def attempt(session: PageSession, name: str, password: str) -> list[str]:
    """Submit the sign-in form; the error lines the run showed (none when it signed in)."""
    session.type("editor_name", name)
    session.type("editor_password", password)
    run = session.run("Sign in")
    assert run.of("exception") == [], run.of("exception")
    return run.of("error") + [text for text in run.of("success") if text.startswith("Signed in as")]


def memory_kb(pid: int) -> dict[str, int]:
    """The process's VmRSS and VmHWM (peak) in kB, from /proc."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields


def test_thirty_two_sign_ins_at_once_keep_the_servers_memory_bounded_and_each_gets_an_answer(server, request):
    url, pid = server
    # A distributed guesser: every session from its own address, so no lockout stops one before its check.
    sessions = [from_address(url, f"198.51.100.{i + 1}") for i in range(CONCURRENT)]
    try:
        for session in sessions:
            session.type("editor_name", EDITOR)
            session.type("editor_password", WRONG)
        time.sleep(1)  # let the server settle after 32 page loads
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # peak RSS := current RSS
        before = memory_kb(pid)["VmRSS"]
        answers: list[list[str]] = [[] for _ in sessions]
        start = threading.Barrier(CONCURRENT)

        def sign_in(index: int) -> None:
            start.wait()
            answers[index] = sessions[index].run("Sign in").of("error")

        threads = [threading.Thread(target=sign_in, args=(i,)) for i in range(CONCURRENT)]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=180)
        took = time.monotonic() - began
        extra_mb = (memory_kb(pid)["VmHWM"] - before) / 1024
    finally:
        for session in sessions:
            session.close()
    wrong, busy = answers.count([WRONG_LINE]), answers.count([BUSY_LINE])
    report(request, f"{CONCURRENT} sign-ins at once: server peak +{extra_mb:.0f} MB over {before / 1024:.0f} MB, "
                    f"all answered in {took:.1f} s ({wrong} checked, {busy} told the server is busy)")
    assert wrong + busy == CONCURRENT, answers  # every attempt got exactly one line, and no traceback
    assert wrong >= MAX_CONCURRENT_CHECKS  # the checks did run
    assert extra_mb < MAX_EXTRA_MB


def test_fifty_wrong_guesses_for_an_editor_from_one_address_do_not_stop_the_editor_signing_in_from_another(server):
    url, _ = server
    attacker, editor_address = "198.51.100.66", "203.0.113.9"
    answers = []
    for _ in range(50 // SESSION_ATTEMPTS):  # a new session whenever this one is told to slow down
        with from_address(url, attacker) as session:
            answers += [attempt(session, EDITOR, WRONG) for _ in range(SESSION_ATTEMPTS)]
    assert answers[:5] == [[WRONG_LINE]] * 5
    assert all("Too many failed sign-ins" in lines[0] for lines in answers[5:]), answers[5:]
    with from_address(url, attacker) as session:  # the right password, from the guesser's address: refused
        assert "Too many failed sign-ins" in attempt(session, EDITOR, PASSWORD)[0]
    with from_address(url, editor_address) as session:
        assert attempt(session, EDITOR, PASSWORD) == [f"Signed in as {EDITOR}. What you append is recorded under "
                                                      "this name."]


def test_a_visitor_reaching_the_server_directly_cannot_choose_its_address_with_x_forwarded_for(server):
    url, _ = server
    # 127.0.0.2 is not a trusted proxy: its header claiming to be the editor's address is not believed, so its
    # guesses lock the name for 127.0.0.2 only, and the editor (through the proxy, from 203.0.113.10) signs in.
    with PageSession(url, {"X-Forwarded-For": "203.0.113.10"}, source="127.0.0.2") as session:
        assert [attempt(session, EDITOR, WRONG) for _ in range(5)] == [[WRONG_LINE]] * 5
    with PageSession(url, {"X-Forwarded-For": "198.51.100.99"}, source="127.0.0.2") as session:
        assert "Too many failed sign-ins for this name from your address" in attempt(session, EDITOR, PASSWORD)[0]
    with from_address(url, "203.0.113.10") as session:
        assert attempt(session, EDITOR, PASSWORD)[0].startswith(f"Signed in as {EDITOR}")


def test_x_forwarded_for_from_a_peer_that_is_not_a_trusted_proxy_is_not_believed(tmp_path):
    # Only 192.0.2.1 is a trusted proxy: a visitor on loopback cannot pick its address with the header, so
    # guesses sent as "198.51.100.66" and a sign-in sent as "203.0.113.9" come from the same client.
    with review_server(tmp_path, {"FORWARDED_ALLOW_IPS": "192.0.2.1"}) as (url, _):
        with from_address(url, "198.51.100.66") as session:
            assert [attempt(session, EDITOR, WRONG) for _ in range(5)] == [[WRONG_LINE]] * 5
        with from_address(url, "203.0.113.9") as session:
            assert "Too many failed sign-ins for this name from your address" in attempt(session, EDITOR, PASSWORD)[0]
