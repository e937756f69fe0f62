"""Several Streamlit servers of the dashboard on one machine behind nginx, each reader kept on one server.

Streamlit runs every session of a server in one Python process, so one server uses one core; N servers use N.
A session lives in the memory of the server that opened it, so every request of a reader (the page, its
websocket, uploads, downloads) must reach that server: nginx routes by a cookie, ROUTE_COOKIE, whose value names
the server (w1..wN), and gives one to a request that carries no valid one (deploy/nginx.conf). The servers share
the dataset (BORDER_DATA) and the caches on disk, and one cookie secret, made anew at each start.

`serving(...)` is the API (the load test and the tests use it); `python -m app.serve` (scripts/serve) is the
command. Stopping either stops nginx and every server (geo.budget.stop_process_group).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from geo.budget import stop_process_group
from geo.paths import PROJECT_ROOT, SETTINGS_DIR
from geo.store import DATA_ENV, Spec, data_spec
from perf.appserver import NotHealthy, free_port, log_tail, streamlit_command, wait_until_healthy

ROUTE_COOKIE = "border_server"
"""The cookie whose value names the server that holds the reader's session."""

TEMPLATE = PROJECT_ROOT / "deploy" / "nginx.conf"
SCRIPT = "dashboard.py"
COOKIE_SECRET_ENV = "STREAMLIT_SERVER_COOKIE_SECRET"  # Streamlit's server.cookieSecret, kept out of `ps`
DEFAULT_UPLOAD_MB = 200  # Streamlit's default server.maxUploadSize
FORM_ROOM_MB = 1  # what a multipart form adds to the file it carries, at most
NGINX_STOP_S = 10
MAX_WORKERS = 16
"""Most servers one command starts: each holds its own copy of the dataset (about 250 MB on the curated data)."""


class ServeError(RuntimeError):
    """Something kept the proxy or a server from starting; the message is one line for the person serving."""


@dataclass(frozen=True)
class Worker:
    """One Streamlit server: its route name (the cookie's value), its loopback port and process id, its URL."""

    name: str
    port: int
    pid: int
    url: str


@dataclass(frozen=True)
class Served:
    """The running proxy: `url` is nginx's, the one readers open; `workers` are the servers behind it."""

    url: str
    workers: tuple[Worker, ...]


def worker_names(count: int) -> tuple[str, ...]:
    """The route names of `count` servers: w1..wN."""
    return tuple(f"w{index}" for index in range(1, count + 1))


def nginx_binary() -> Path | None:
    """Debian's nginx, wherever PATH or /usr/sbin has it (a non-root PATH often lacks sbin); None if absent."""
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    return Path(found) if found else None


def upload_limit_mb(settings: Path = SETTINGS_DIR / "config.toml") -> int:
    """Streamlit's server.maxUploadSize (MB) as the project configures it, else Streamlit's default."""
    try:
        with settings.open("rb") as file:
            value = tomllib.load(file).get("server", {}).get("maxUploadSize", DEFAULT_UPLOAD_MB)
    except FileNotFoundError:
        return DEFAULT_UPLOAD_MB
    return int(value)


def split_percentages(count: int) -> list[str]:
    """split_clients lines giving each of `count` servers an equal share (the last takes the rest, `*`)."""
    names = worker_names(count)
    share = f"{100 / count:.2f}".rstrip("0").rstrip(".")
    return [f"        {share}% {name};" for name in names[:-1]] + [f"        * {names[-1]};"]


def render_config(workers: tuple[Worker, ...], listen: str, runtime: Path, template: Path = TEMPLATE) -> str:
    """deploy/nginx.conf with its @NAME@ places filled in for these servers, listening on `listen`
    (host:port), with its pid, temporary files and logs in `runtime`."""
    upstreams = "\n".join(f"    upstream border_{w.name} {{ server 127.0.0.1:{w.port}; keepalive 8; }}"
                          for w in workers)
    filled = {
        "@RUNTIME@": str(runtime),
        "@COOKIE@": ROUTE_COOKIE,
        "@UPSTREAMS@": upstreams,
        "@KEPT@": "\n".join(f"        ~^{w.name}$ {w.name};" for w in workers),  # exact: plain strings ignore case
        "@SPLIT@": "\n".join(split_percentages(len(workers))),
        "@LISTEN@": listen,
        "@BODY_MB@": str(upload_limit_mb() + FORM_ROOM_MB),
    }
    text = template.read_text(encoding="utf-8")
    for place, value in filled.items():
        text = text.replace(place, value)
    return text


def _worker_env(data: Spec, env: Mapping[str, str] | None, cookie_secret: str) -> dict[str, str]:
    spec = data_spec(str(data)) if isinstance(data, str) else data
    value = str(spec.resolve()) if isinstance(spec, Path) else spec  # the servers run in the project folder
    return {**os.environ, **(env or {}), DATA_ENV: value, COOKIE_SECRET_ENV: cookie_secret}


@contextmanager
def _started(workers: int, *, data: Spec, listen_host: str, port: int | None, log_dir: Path,
             env: Mapping[str, str] | None, startup_timeout_s: float
             ) -> Iterator[tuple[Served, dict[str, subprocess.Popen]]]:
    """Start the servers and nginx; yield what runs and each process by name ("nginx" too); stop them all."""
    if not 1 <= workers <= MAX_WORKERS:
        raise ServeError(f"--workers must be between 1 and {MAX_WORKERS}, not {workers}")
    nginx = nginx_binary()
    if nginx is None:
        raise ServeError("nginx is not installed: `scripts/setup --serve` installs Debian's nginx (as root)")
    log_dir.mkdir(parents=True, exist_ok=True)
    runtime = log_dir
    (runtime / "temp").mkdir(exist_ok=True)
    secret = secrets.token_hex(32)
    processes: dict[str, subprocess.Popen] = {}
    with ExitStack() as stack:
        stack.callback(lambda: [stop_process_group(p, NGINX_STOP_S) for p in reversed(processes.values())])
        started: list[Worker] = []
        for name in worker_names(workers):
            worker_port = free_port()
            with (log_dir / f"{name}.log").open("wb") as log:
                process = subprocess.Popen(streamlit_command(SCRIPT, worker_port), cwd=PROJECT_ROOT,
                                           env=_worker_env(data, env, secret), stdout=log, stderr=subprocess.STDOUT,
                                           stdin=subprocess.DEVNULL, start_new_session=True)
            processes[name] = process
            started.append(Worker(name, worker_port, process.pid, f"http://127.0.0.1:{worker_port}/"))
        deadline = time.monotonic() + startup_timeout_s
        for worker in started:
            log = log_dir / f"{worker.name}.log"
            try:
                wait_until_healthy(processes[worker.name], worker.url, max(deadline - time.monotonic(), 1),
                                   lambda log=log: log_tail(log))
            except NotHealthy as error:
                raise ServeError(f"server {worker.name} did not start ({str(error).splitlines()[0]}); "
                                 f"its log: {log}") from None

        proxy_port = port if port is not None else free_port()
        config = runtime / "nginx.conf"
        config.write_text(render_config(tuple(started), f"{listen_host}:{proxy_port}", runtime), encoding="utf-8")
        with (runtime / "nginx.out").open("wb") as out:
            processes["nginx"] = subprocess.Popen(
                [str(nginx), "-p", str(runtime), "-c", str(config), "-e", str(runtime / "nginx-error.log")],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        url_host = "127.0.0.1" if listen_host in ("0.0.0.0", "::", "[::]") else listen_host
        url = f"http://{url_host}:{proxy_port}/"
        try:
            wait_until_healthy(processes["nginx"], url, max(deadline - time.monotonic(), 5), lambda: "")
        except NotHealthy:
            said = (log_tail(runtime / "nginx.out", 3) + "\n" + log_tail(runtime / "nginx-error.log", 3)).strip()
            last = [line for line in said.splitlines() if line.strip() and line != "(empty)"]
            raise ServeError(f"nginx did not start on {listen_host}:{proxy_port}: "
                             f"{last[-1] if last else 'no reason given'}") from None
        yield Served(url, tuple(started)), processes


@contextmanager
def serving(workers: int, *, data: Path | str, port: int | None = None, log_dir: Path,
            env: Mapping[str, str] | None = None, startup_timeout_s: float = 120) -> Iterator[Served]:
    """`workers` Streamlit servers of the dashboard on `data` (BORDER_DATA: a file or a postgresql:// URL) on
    free loopback ports, behind nginx on 127.0.0.1:`port` (None: a free one), until the block ends; then nginx
    and every server are stopped. `env` adds variables to the servers'. Each server's output goes to
    `log_dir`/<name>.log, and nginx's config, pid, temporary files and logs (nginx-access.log, nginx-error.log)
    to `log_dir`. Raises ServeError (one line) when nginx is missing or anything does not start in
    `startup_timeout_s`."""
    with _started(workers, data=data, listen_host="127.0.0.1", port=port, log_dir=log_dir, env=env,
                  startup_timeout_s=startup_timeout_s) as (served, _):
        yield served


# --- The command: python -m app.serve (scripts/serve) ----------------------------------------------------------

class _Stopped(Exception):
    """SIGTERM, SIGHUP or Ctrl-C: stop everything and exit 0."""


def _stop(signum: int, frame: object) -> None:
    for each in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):  # a second signal must not cut the stopping short
        signal.signal(each, signal.SIG_IGN)
    raise _Stopped


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scripts/serve", description=(
        "Serve the dashboard from several Streamlit servers behind nginx, each reader kept on one server."))
    parser.add_argument("--workers", type=int, default=2,
                        help=f"how many Streamlit servers (1-{MAX_WORKERS}; default 2: one per core)")
    parser.add_argument("--port", type=int, default=8501, help="nginx's port (default 8501)")
    parser.add_argument("--address", default="127.0.0.1",
                        help="nginx's address (default 127.0.0.1: this machine only; see docs/safety.md)")
    parser.add_argument("--data", help="the dataset: a file or a postgresql:// URL (default $BORDER_DATA, "
                                       "else the bundled data/events.geojson)")
    parser.add_argument("--logs", type=Path, default=PROJECT_ROOT / ".serve",
                        help="the servers' logs and nginx's runtime folder (default .serve/)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Serve until Ctrl-C or SIGTERM (exit 0), or until nginx or a server exits (one line, exit 1)."""
    from geo.paths import BUNDLED_EVENTS

    args = _parser().parse_args(argv)
    data = args.data or os.environ.get(DATA_ENV) or BUNDLED_EVENTS
    for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(signum, _stop)
    try:
        with _started(args.workers, data=data, listen_host=args.address, port=args.port, log_dir=args.logs,
                      env=None, startup_timeout_s=180) as (served, processes):
            names = ", ".join(f"{w.name} on port {w.port}" for w in served.workers)
            print(f"serving {served.url} from {len(served.workers)} servers ({names}); "
                  f"logs in {args.logs}; Ctrl-C stops", flush=True)
            while True:
                for name, process in processes.items():
                    if process.poll() is not None:
                        what = "nginx" if name == "nginx" else f"server {name}"
                        log = args.logs / ("nginx-error.log" if name == "nginx" else f"{name}.log")
                        print(f"serve: {what} exited with code {process.returncode}; everything is stopped "
                              f"(its log: {log})", file=sys.stderr)
                        return 1
                time.sleep(0.5)
    except _Stopped:
        return 0
    except (ServeError, OSError) as error:
        print(f"serve: {error}".splitlines()[0], file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
