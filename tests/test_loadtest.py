"""`perf/loadtest.py` run for real: a Streamlit server, websocket sessions speaking its protocol, appends.

No mocks. A small load must pass (every session reran several times, no errors, nothing lost), and the
load test must fail when something really goes wrong: a dataset the dashboard rejects (it shows
`st.error` and stops, which the load test counts as an error, as a user sees no data), and a server
that dies mid-run (every session's websocket drops).

Run: `.venv/bin/python -m pytest tests/test_loadtest.py` (about 40 s).
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMMAND = [sys.executable, "-m", "perf", "loadtest"]
DATASET = ROOT / "data" / "events.geojson"
TIMEOUT_S = 180  # generous: the script bounds itself; this only stops a hung run


def last_json(stdout: str) -> dict[str, Any]:
    """The JSON object on the last stdout line (the script's contract)."""
    lines = stdout.strip().splitlines()
    assert lines, "the load test printed nothing on stdout"
    return json.loads(lines[-1])


def loadtest(*args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    result = subprocess.run([*COMMAND, *args], cwd=ROOT, capture_output=True, text=True,
                            timeout=TIMEOUT_S)
    return result, last_json(result.stdout)


@pytest.fixture(scope="module")
def small_run() -> tuple[subprocess.CompletedProcess[str], dict[str, Any], float]:
    start = time.monotonic()
    result, report = loadtest("--sessions", "4", "--seconds", "10")
    return result, report, time.monotonic() - start


def test_a_small_load_passes_with_no_errors_and_no_lost_appends(small_run):
    result, report, _ = small_run
    details = f"{report}\n--- stderr ---\n{result.stderr[-3000:]}"
    assert result.returncode == 0, details
    assert report["sessions"] == 4 and report["seconds"] == 10
    assert report["errors"] == 0 and report["error_examples"] == [], details
    assert report["lost_appends"] == 0 and report["lost_examples"] == [], details
    assert report["stale_reruns"] == 0, details


def test_every_session_reran_several_times_and_the_editor_appended(small_run):
    _, report, _ = small_run
    assert report["reruns"] >= 4 * 4, report  # each session: at least 3 changes plus the final check
    assert report["appends"] >= 2, report
    assert report["events_after"] == report["events_before"] + report["appends"], report


def test_the_latencies_are_positive_and_ordered(small_run):
    _, report, elapsed = small_run
    assert isinstance(report["p95_s"], float) and report["p95_s"] > 0, report
    assert 0 < report["p50_s"] <= report["p95_s"] <= report["max_s"], report
    assert report["server_rss_mb"] is None or report["server_rss_mb"] > 10, report
    print(f"small run: {elapsed:.1f} s, {report}")


def test_the_json_line_is_last_on_stdout_and_progress_goes_to_stderr(small_run):
    result, report, _ = small_run
    assert result.stdout.strip().splitlines()[-1].startswith("{")
    assert set(report) >= {"sessions", "seconds", "reruns", "errors", "error_examples", "appends",
                           "lost_appends", "p50_s", "p95_s", "max_s", "server_rss_mb"}
    assert "sessions loaded the page" in result.stderr and "server stopped" in result.stderr


def test_a_dataset_the_dashboard_rejects_counts_as_errors_and_exits_1(tmp_path):
    collection = json.loads(DATASET.read_text(encoding="utf-8"))
    collection["features"][1]["properties"]["event_type"] = "kidnap"  # not in the schema's event types
    invalid = tmp_path / "invalid.geojson"
    invalid.write_text(json.dumps(collection), encoding="utf-8")
    result, report = loadtest("--sessions", "2", "--seconds", "5", "--data", str(invalid))
    assert result.returncode == 1, report
    assert report["errors"] >= 2, report  # at least each session's first load
    assert any("st.error" in e and "not a valid events file" in e for e in report["error_examples"]), report
    assert report["appends"] == 0, report  # `geo add` refuses to append to an invalid file...
    assert "exited 1" in result.stderr, result.stderr[-3000:]  # ...and that is an error too


def test_a_server_that_dies_mid_run_drops_every_websocket_and_exits_1():
    process = subprocess.Popen([*COMMAND, "--sessions", "3", "--seconds", "8"], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str | None] = queue.Queue()

    def read_stderr() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read_stderr, daemon=True).start()
    watchdog = threading.Timer(TIMEOUT_S, process.kill)
    watchdog.start()
    server_pid = None
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            if line is None:
                break
            seen.append(line)
            if found := re.search(r"server pid (\d+)", line):
                server_pid = int(found.group(1))
            if "sessions running" in line:
                break
        assert server_pid is not None and "sessions running" in seen[-1], "".join(seen)
        time.sleep(2)  # let the sessions rerun a few times
        os.killpg(server_pid, signal.SIGKILL)  # the server runs in its own process group
        assert process.stdout is not None
        stdout = process.stdout.read()  # until the script exits (the watchdog kills a hung one)
        process.wait(timeout=30)
    finally:
        watchdog.cancel()
        if process.poll() is None:
            process.kill()
            process.wait()
    report = last_json(stdout)
    stderr = "".join(seen) + "".join(iter(lines.get, None))
    assert process.returncode == 1, report
    assert report["errors"] >= 3, report
    for session in range(3):  # each one's websocket dropped, and each drop is an error
        assert re.search(rf"ERROR session {session}: websocket (closed|error)", stderr), stderr[-3000:]
    assert any("websocket" in e for e in report["error_examples"]), report
    assert report["lost_appends"] == 3, report  # no session can show the final count
