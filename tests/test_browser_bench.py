"""perf/browser_bench.py for real: the curated dataset, once, for the dashboard and its naive peer.

Real `streamlit run` servers on loopback and Debian's Chromium (the test extra's Playwright drives it);
about 30 s. A missing Chromium fails with the way to install it, never a skip.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMMAND = [sys.executable, "-m", "perf", "browser"]
CHROMIUM = Path("/usr/bin/chromium")
FIGURES = ("first_open_s", "new_session_s", "new_server_s", "filter_s", "server_peak_rss_mb")
TIMEOUT_S = 150  # about 30 s when the machine is idle


def run_bench(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    """Run the script; past TIMEOUT_S it gets SIGTERM, on which it stops its servers before exiting."""
    out_path, err_path = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    with out_path.open("w") as out, err_path.open("w") as err:
        process = subprocess.Popen([*COMMAND, *args], cwd=ROOT, stdout=out, stderr=err,
                                   stdin=subprocess.DEVNULL)
        try:
            process.wait(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            pytest.fail(f"browser_bench.py did not finish within {TIMEOUT_S} s; its progress:\n"
                        f"{err_path.read_text()[-4000:]}", pytrace=False)
    return process.returncode, out_path.read_text(), err_path.read_text()


def test_browser_bench_times_both_apps_on_the_curated_dataset(tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/test (or scripts/setup --test), which installs Debian's "
                    "chromium package; Playwright's own browser download does not work here", pytrace=False)
    code, stdout, stderr = run_bench(tmp_path, "--sizes", "curated", "--repeat", "1", "--json")
    assert code == 0, f"exit {code}\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr[-4000:]}"
    lines = stdout.splitlines()
    report = json.loads(lines[-1])

    (row,) = report["sizes"]
    assert row["size"] == "curated" and row["events"] > 0
    for app in ("ours", "peer"):
        result = row[app]
        assert result["status"] == "ok", result["status"]
        for figure in FIGURES:
            value = result[figure]
            assert isinstance(value, int | float) and value > 0, f"{app} {figure} = {value!r}"
        (change,) = result["filter_changes"]
        assert change["after"]["counts"] != change["before"]["counts"]
        assert 0 < change["after"]["drawn"] < change["before"]["drawn"], change
    for key, value in row["peer_over_ours"].items():
        assert isinstance(value, float) and value > 0, f"peer/ours {key} = {value!r}"
    assert report["machine"]["cpu_count"] and report["machine"]["chromium"].startswith("Chromium")
    assert set(report["met"]) >= {"curated new_session_s <= 1.5", "curated filter_s <= 0.25"}

    header, curated = lines[1], next(line for line in lines if line.startswith("curated"))
    assert " ours " in header and " naive peer " in header, header
    numbers = curated.split()[1:]
    assert len(numbers) == 1 + 5 + 5 + 4, f"events, ours (4 times + MB), peer (same), 4 ratios: {curated!r}"
    assert all(float(n.replace(",", "")) > 0 for n in numbers), curated
