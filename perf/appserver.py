"""A Streamlit server run as a child process, as the browser tests, the load test and the browser
benchmark run the dashboard: the command line, and waiting until it answers its health check.

Stopping it is geo.budget.stop_process_group (start it with start_new_session=True).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback never goes via a proxy


class NotHealthy(RuntimeError):
    """The server exited, or did not answer its health check in time; the message says which and why."""


def log_tail(path: Path, lines: int = 25) -> str:
    """The last `lines` lines of a server's log file, "(empty)", or why it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        return f"(cannot read {path}: {error})"
    return "\n".join(text.splitlines()[-lines:]) or "(empty)"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def streamlit_command(script: Path | str, port: int) -> list[str]:
    """`streamlit run script` on 127.0.0.1:`port` (through app.streamlit_server, which turns Nagle's algorithm off),
    headless, without file watching (others may edit source files during a run: no "File change" banner, no surprise
    rerun) and without usage statistics. `-P`: a script's folder holding its own app.py stays out of the way."""
    return [sys.executable, "-P", "-m", "app.streamlit_server", "run", str(script), "--server.port", str(port),
            "--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none",
            "--browser.gatherUsageStats", "false"]


def wait_until_healthy(process: subprocess.Popen, url: str, timeout_s: float,
                       log_tail: Callable[[], str] = lambda: "") -> float:
    """Poll `url`_stcore/health until it answers "ok": the seconds that took. Raises NotHealthy, with
    `log_tail()` (the server's recent output), if the process exits first or `timeout_s` runs out."""
    started = time.monotonic()
    health = f"{url.rstrip('/')}/_stcore/health"
    while True:
        if process.poll() is not None:
            raise NotHealthy(f"streamlit exited with code {process.returncode} before it was healthy:\n{log_tail()}")
        try:
            with NO_PROXY.open(health, timeout=2) as response:
                if response.read().strip() == b"ok":
                    return time.monotonic() - started
        except OSError:
            pass
        if time.monotonic() - started > timeout_s:
            raise NotHealthy(f"streamlit not healthy after {timeout_s:g} s at {url}:\n{log_tail()}")
        time.sleep(0.1)
