"""perf.appserver: waiting for a Streamlit server child process to answer its health check."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from geo.budget import stop_process_group
from perf.appserver import NotHealthy, free_port, log_tail, streamlit_command, wait_until_healthy


def test_a_server_that_exits_before_it_is_healthy_is_reported_with_its_exit_code_and_log():
    process = subprocess.Popen([sys.executable, "-c", "import sys; sys.exit(3)"], start_new_session=True)
    with pytest.raises(NotHealthy, match=r"exited with code 3 before it was healthy:\nthe log tail"):
        wait_until_healthy(process, f"http://127.0.0.1:{free_port()}/", 30, lambda: "the log tail")


def test_a_server_that_never_answers_is_reported_once_the_time_runs_out():
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"], start_new_session=True)
    try:
        with pytest.raises(NotHealthy, match=r"not healthy after 0.5 s at http://127.0.0.1:"):
            wait_until_healthy(process, f"http://127.0.0.1:{free_port()}/", 0.5)
    finally:
        stop_process_group(process)


@contextmanager
def hello_app(folder: Path) -> Iterator[tuple[subprocess.Popen, str]]:
    """A real Streamlit server (started as the project starts it) of a one-line app written to `folder`, until the
    block ends: its process and its URL. It may not be healthy yet."""
    (folder / "app.py").write_text("import streamlit as st\nst.write('hello')\n")
    port = free_port()
    process = subprocess.Popen(streamlit_command(folder / "app.py", port), cwd=folder, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield process, f"http://127.0.0.1:{port}/"
    finally:
        stop_process_group(process)


def test_a_real_streamlit_server_is_healthy_within_a_minute(tmp_path):
    with hello_app(tmp_path) as (process, url):
        assert wait_until_healthy(process, url, 60) < 60


def test_a_log_tail_gives_the_last_lines_or_says_why_there_are_none(tmp_path):
    log = tmp_path / "stderr.log"
    log.write_text("".join(f"line {n}\n" for n in range(100)))
    assert log_tail(log, 2) == "line 98\nline 99"
    (tmp_path / "empty.log").write_text("")
    assert log_tail(tmp_path / "empty.log") == "(empty)"
    assert log_tail(tmp_path / "missing.log").startswith(f"(cannot read {tmp_path / 'missing.log'}:")
