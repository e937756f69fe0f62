"""`perf/loadtest.py` run for real: Streamlit servers (one alone, two behind nginx), websocket readers speaking
its protocol, appends through the file store.

No mocks. A small load must pass (every reader changed filters several times after the warm-up, no errors,
nothing lost, the servers' CPU per rerun measured), two servers behind nginx must both serve readers and both
show every append, and the load test must fail when something really goes wrong: a dataset the dashboard
rejects (it shows `st.error` and stops, which counts as an error, as a reader sees no data), and a server that
dies mid-run (every session's websocket drops). Bad options are refused in one line before any server starts.

Run: `.venv/bin/python -m pytest tests/test_loadtest.py` (about 3 minutes).
"""

from __future__ import annotations

import importlib.util
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
TIMEOUT_S = 240  # generous: the script bounds itself; this only stops a hung run
TABLE_HEADER = ("| readers | servers | reruns | p50 | p95 | errors | lost appends | server CPU per rerun "
                "| per-worker RSS |")


def reports(stdout: str) -> list[dict[str, Any]]:
    """The JSON object of each point (one line each on stdout, before the table)."""
    found = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    assert found, f"the load test printed no JSON line:\n{stdout}"
    return found


def loadtest(*args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """Run one point; its process and its report."""
    result = subprocess.run([*COMMAND, *args], cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT_S)
    return result, reports(result.stdout)[-1]


def details(result: subprocess.CompletedProcess[str], report: dict[str, Any]) -> str:
    return f"{report}\n--- stderr ---\n{result.stderr[-3000:]}"


@pytest.fixture(scope="module")
def one_server() -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    return loadtest("--sessions", "3", "--think", "0.5-1", "--seconds", "15")


@pytest.fixture(scope="module")
def two_servers() -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    if importlib.util.find_spec("app.serve") is None:
        pytest.skip("app/serve.py (several servers behind nginx) is not there")
    from app.serve import nginx_binary

    if nginx_binary() is None:
        pytest.skip("nginx is not installed: `scripts/setup --serve` installs it")
    # nginx gives each new reader a server at random: with 10 readers, all on one server is 1 chance in 512.
    return loadtest("--sessions", "10", "--servers", "2", "--think", "2-4", "--seconds", "15")


def test_three_readers_on_one_server_make_no_errors_and_lose_no_appends(one_server):
    result, report = one_server
    assert result.returncode == 0, details(result, report)
    assert report["sessions"] == 3 and report["seconds"] == 15 and report["think_s"] == [0.5, 1.0]
    assert report["errors"] == 0 and report["error_examples"] == [], details(result, report)
    assert report["lost_appends"] == 0 and report["lost_examples"] == [], details(result, report)
    assert report["stale_reruns"] == 0, details(result, report)


def test_every_reader_opened_the_page_then_changed_filters_several_times_in_the_window(one_server):
    _, report = one_server
    assert report["warm_up"]["first_loads"] == 3 and report["warm_up"]["seconds"] > 0, report
    assert report["reruns"] >= 3 * 2, report  # measured changes, after the warm-up
    assert report["final_check"]["reruns"] == 3, report  # each reader's check of the appends, apart
    assert report["appends"] >= 2, report
    assert report["events_after"] == report["events_before"] + report["appends"], report


def test_the_server_cpu_per_rerun_is_measured_on_the_one_server_without_a_proxy(one_server):
    _, report = one_server
    assert report["servers"] == 1 and report["proxy"] is None, report
    [worker] = report["workers"]
    assert worker["reruns"] == report["reruns_completed"] > 0, report  # every completed rerun ran there
    assert worker["cpu_s"] > 0 and worker["rss_mb"] > 10, report
    assert 0 < report["cpu_per_rerun_s"] < 30, report
    assert report["cpu_per_rerun_s"] == pytest.approx(worker["cpu_s"] / worker["reruns"], abs=0.01), report


def test_the_latencies_are_positive_and_ordered(one_server):
    _, report = one_server
    assert 0 < report["p50_s"] <= report["p95_s"] <= report["max_s"], report


def test_the_table_comes_last_and_agrees_with_the_json(one_server):
    result, report = one_server
    lines = result.stdout.strip().splitlines()
    assert lines[-3] == TABLE_HEADER, result.stdout
    cells = [cell.strip() for cell in lines[-1].strip("|").split("|")]
    assert cells[:3] == ["3", "1 (no proxy)", str(report["reruns"])], lines[-1]
    assert cells[3:7] == [f"{report['p50_s']:.2f} s", f"{report['p95_s']:.2f} s", "0", "0"], lines[-1]
    assert cells[7] == f"{report['cpu_per_rerun_s']:.3f} s", lines[-1]
    assert cells[8] == f"{report['workers'][0]['rss_mb']:.0f} MB", lines[-1]
    assert "sessions loaded the page" in result.stderr and "server stopped" in result.stderr


def test_two_servers_behind_nginx_both_serve_readers_and_both_show_every_append(two_servers):
    result, report = two_servers
    assert result.returncode == 0, details(result, report)
    assert report["servers"] == 2 and report["proxy"] == "nginx", report
    assert report["errors"] == 0 and report["lost_appends"] == 0 and report["appends"] >= 2, details(result, report)
    assert [w["name"] for w in report["workers"]] == ["w1", "w2"], report
    assert all(w["reruns"] > 0 and w["cpu_s"] > 0 for w in report["workers"]), report  # lost_appends 0: both saw all
    assert sum(w["reruns"] for w in report["workers"]) == report["reruns_completed"], report
    assert report["cpu_per_rerun_s"] > 0, report
    assert result.stdout.strip().splitlines()[-1].startswith("| 10 | 2 (nginx) |"), result.stdout


@pytest.mark.parametrize("think", ["12-8", "fast", "8", "1-700", "0-0", "-1-2", "1-2-3", "nan-1"])
def test_a_think_time_that_is_not_seconds_a_to_b_is_refused_with_a_reason(think):
    from perf.loadtest import parse_think

    with pytest.raises(ValueError, match=r"^--think") as refused:
        parse_think(think)
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize("command", [COMMAND, [sys.executable, "-m", "geo", "loadtest"]], ids=["perf", "geo alias"])
def test_a_bad_think_value_is_one_line_and_exit_2_before_any_server_starts(command):
    result = subprocess.run([*command, "--think=12-8"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result
    assert result.stderr.strip().splitlines() == [
        "python -m perf loadtest: --think 12-8: the shortest think time is longer than the longest"], result.stderr
    assert result.stdout == "", result


def test_the_readers_think_8_to_12_seconds_unless_told_otherwise():
    from perf.loadtest import parse_args, parse_think

    args = parse_args([])
    assert args.think == parse_think("8-12") and args.points == [20] and args.servers == 1, args
    assert parse_args(["--sessions", "10,20,40", "--think", "0.2-1"]).points == [10, 20, 40]


def test_a_dataset_the_dashboard_rejects_counts_as_errors_and_exits_1(tmp_path):
    collection = json.loads(DATASET.read_text(encoding="utf-8"))
    collection["features"][1]["properties"]["event_type"] = "kidnap"  # not in the schema's event types
    invalid = tmp_path / "invalid.geojson"
    invalid.write_text(json.dumps(collection), encoding="utf-8")
    result, report = loadtest("--sessions", "2", "--seconds", "5", "--think", "0.5-1", "--data", str(invalid))
    assert result.returncode == 1, report
    assert report["errors"] >= 2, report  # at least each session's first load
    assert any("st.error" in e and "not a valid events file" in e for e in report["error_examples"]), report
    assert report["appends"] == 0, report  # `geo add` refuses to append to an invalid file...
    assert "exited 1" in result.stderr, result.stderr[-3000:]  # ...and that is an error too


def test_a_server_that_dies_mid_run_drops_every_websocket_and_exits_1():
    process = subprocess.Popen([*COMMAND, "--sessions", "3", "--seconds", "8", "--think", "0.5-1"], cwd=ROOT,
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
    report = reports(stdout)[-1]
    stderr = "".join(seen) + "".join(iter(lines.get, None))
    assert process.returncode == 1, report
    assert report["errors"] >= 3, report
    for session in range(3):  # each one's websocket dropped, and each drop is an error
        assert re.search(rf"ERROR session {session}: websocket (closed|error)", stderr), stderr[-3000:]
    assert any("websocket" in e for e in report["error_examples"]), report
    assert report["lost_appends"] == 3, report  # no session can show the final count


def test_the_editor_appends_every_tenth_of_the_window_unless_told_how_often(capsys):
    from perf.loadtest import parse_args

    assert parse_args([]).append_every is None
    assert parse_args(["--append-every", "30"]).append_every == 30
    with pytest.raises(SystemExit) as refused:
        parse_args(["--append-every", "0"])
    assert refused.value.code == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "python -m perf loadtest: --append-every must be 1-3600 seconds, not 0"]
