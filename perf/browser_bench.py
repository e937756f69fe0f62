"""Browser benchmark: what users wait for, in headless Chromium, for the dashboard and its naive peer.

`python -m perf browser [options]` runs `main(argv)`; `python -m geo bench --browser` is an alias.
It lives outside geo/ because it drives Playwright and starts Streamlit (nothing under geo/ imports those).

For each dataset size and each app (ours: dashboard.py; the peer: perf/naive_peer.py, the same data
and "Event types" filter written the obvious way, one folium Marker per event) it starts real
`streamlit run` servers on a free 127.0.0.1 port and drives Debian's /usr/bin/chromium (headless,
via Playwright; every host name other than the loopback fails to resolve, so nothing leaves the machine
and nothing waits on the network). It measures, in seconds:

- first open: a fresh server whose prepared-data cache (`BORDER_CACHE`, a new temporary directory) is
  empty; one page opened; from navigation start until the map is drawn;
- new session: a new browser context on that warm server, same measure (median of `--repeat`);
- new server: the server restarted with the same `BORDER_CACHE` directory, same measure;
- filter change: a click on the × of one chip of the sidebar's "Event types" multiselect, until
  Streamlit's script state (`[data-test-script-state]`) is `notRunning` again, the counts line
  ("N of M events shown") has changed and the map has been drawn anew (median of `--repeat`; the types
  with the most located points are removed one after another in one session).
Any measure whose first run takes more than SLOW_RUN_S is not repeated (its runs are in the JSON).
Server memory is the peak, over both servers of that size, of the summed RSS of the server's process
group, sampled from /proc every SAMPLE_S.

"Map drawn" is MAP_DRAWN_JS below, the one place that decides it: evaluated against the window of the
map's iframe (streamlit-folium draws the map in a component iframe; the probe polls it from the page
once per animation frame, so it also sees an iframe that was replaced), it counts drawn events and the
map is drawn when that count is positive. Counted are: marker icons matching the app's selector
(`APPS[...].markers`: for ours only event pins, because place labels and crossings are marker icons
too and are drawn before the events), the count of each cluster of pins (`.geo-cluster`, ours), any
`canvas` inside a `.leaflet-pane` whose `data-drawn` is > 0,
`window.geoPackDrawn`, the `drawnCount` of each L.GeoPack layer (`map._geoPacks`, static/js/geopack.js,
the WebGL layer) and the points of the older geo.map.canvas layers (`map._geoPoints`) once their canvas is
sized. A filter change has repainted the map when that count differs from
the count before the click, or when the iframe's window is a new one.

Datasets: `curated` is data/events.geojson; a number N is `perf.bench.synthetic_collection(N)` with 5 %
route lines, written as GeoJSON up to GEOJSON_MAX events and as GeoParquet
(`geo.io.geoparquet.write_events`) above (the app refuses GeoJSON over 200 MB). The peer runs only up to
`--naive-max` events; bigger sizes say "not run".

Output: progress on stderr; on stdout a table (rows: sizes; columns: ours, the peer, peer/ours), the
targets and whether each was met, and with `--json` a last line holding one JSON object with every
figure, the machine, the targets and which were met. Exit status: 0 when every measure that was
attempted succeeded, 1 when one failed (the table and JSON say which), 2 on bad options.
"""


import argparse
import contextlib
import inspect
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo.paths import BUNDLED_EVENTS, PROJECT_ROOT
from perf.appserver import NotHealthy, free_port, log_tail, streamlit_command, wait_until_healthy

ROOT = PROJECT_ROOT
CURATED = BUNDLED_EVENTS
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    # Nothing leaves the machine, and nothing waits for a CDN or tile server to time out.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]
VIEWPORT = {"width": 1400, "height": 1000}
MAP_FRAME = "iframe[title*='st_folium']"
CHIP = ".react-aria-ComboBox [data-tag]"

DEFAULT_SIZES = ("curated", "10000", "100000", "1000000")
DEFAULT_NAIVE_MAX = 10_000
DEFAULT_REPEAT = 3
ROUTE_SHARE = 0.05
GEOJSON_MAX = 100_000
STARTUP_TIMEOUT_S = 120  # until /_stcore/health answers (the data loads later, in the first session)
SLOW_RUN_S = 30.0
SAMPLE_S = 0.2

TARGETS: dict[str, dict[str, float]] = {
    "curated": {"new_session_s": 1.5, "filter_s": 0.25, "first_open_s": 3.0},
    "100000": {"new_session_s": 3.0, "filter_s": 1.0, "first_open_s": 20.0},
    "1000000": {"new_session_s": 8.0, "filter_s": 2.0, "first_open_s": 120.0, "server_peak_rss_mb": 3000.0},
}
"""Targets for ours, by size label; seconds, and MB (10^6 bytes) of server memory."""

# --- "Map drawn": the one predicate --------------------------------------------------------------------

MAP_DRAWN_JS = """
(win, markers) => {
    // How many events the map in this (iframe) window has drawn; 0 until it is drawn.
    const doc = win && win.document;
    if (!doc || !doc.querySelector('.leaflet-container')) return 0;
    let drawn = doc.querySelectorAll(markers).length;
    for (const cluster of doc.querySelectorAll('.geo-cluster')) drawn += Number.parseInt(cluster.textContent, 10) || 0;
    for (const canvas of doc.querySelectorAll('.leaflet-pane canvas')) drawn += Number(canvas.dataset.drawn) || 0;
    drawn += Number(win.geoPackDrawn) || 0;
    const map = win.map;
    if (map && Array.isArray(map._geoPacks)) {  // static/js/geopack.js (L.GeoPack): rows it has drawn
        for (const layer of map._geoPacks) drawn += Number(layer.drawnCount) || 0;
    }
    if (map && Array.isArray(map._geoPoints)) {  // the older geo.map.canvas layer: its points, once sized
        for (const layer of map._geoPoints) {
            if (layer._canvas && layer._canvas.width > 0 && typeof layer.count === 'function') drawn += layer.count();
        }
    }
    return drawn;
}
"""

_PAGE_HELPERS = f"""
const mapDrawn = {MAP_DRAWN_JS};
const mapWindow = () => {{
    const frames = document.querySelectorAll({json.dumps(MAP_FRAME)});
    const frame = frames[frames.length - 1];
    try {{ return frame ? frame.contentWindow : null; }} catch (error) {{ return null; }}
}};
const scriptIdle = () => {{
    const app = document.querySelector('[data-test-script-state]');
    return !!app && app.getAttribute('data-test-script-state') === 'notRunning';
}};
const countsLine = () => {{
    for (const block of document.querySelectorAll('[data-testid="stMarkdownContainer"]')) {{
        if (block.innerText.includes('events shown')) return block.innerText.trim();
    }}
    return null;
}};
"""

OPENED_JS = f"""(markers) => {{ {_PAGE_HELPERS}
    return mapDrawn(mapWindow(), markers) > 0 ? performance.now() : false; }}"""
"""Since navigation start, in ms, when the map is first drawn (false until then)."""

IDLE_JS = f"""() => {{ {_PAGE_HELPERS} return scriptIdle() && countsLine() !== null; }}"""

BEFORE_CHANGE_JS = f"""({{markers, token}}) => {{ {_PAGE_HELPERS}
    const win = mapWindow();
    win.__browserBenchToken = token;
    window.__browserBenchPressedAt = null;
    document.addEventListener('pointerdown', () => {{ window.__browserBenchPressedAt = performance.now(); }},
                              {{capture: true, once: true}});
    return {{drawn: mapDrawn(win, markers), counts: countsLine()}}; }}"""
"""Marks the map's window, arms a timestamp for the click and returns what the map and counts show."""

CHANGED_JS = f"""({{markers, token, before}}) => {{ {_PAGE_HELPERS}
    if (window.__browserBenchPressedAt === null || !scriptIdle()) return false;
    const counts = countsLine();
    if (counts === null || counts === before.counts) return false;
    const win = mapWindow(), drawn = mapDrawn(win, markers);
    if (drawn <= 0 || (win.__browserBenchToken === token && drawn === before.drawn)) return false;
    return {{ms: performance.now() - window.__browserBenchPressedAt, drawn: drawn, counts: counts}}; }}"""
"""After the click: ms from the press until idle, new counts and a repainted map (false until then)."""


@dataclass(frozen=True)
class AppSpec:
    name: str
    title: str
    script: Path
    markers: str  # the marker icons that are events, for MAP_DRAWN_JS
    seconds_per_event: float  # added to the base timeout per event in the file


APPS = {
    "ours": AppSpec("ours", "ours (dashboard.py)", ROOT / "dashboard.py", ".leaflet-marker-icon.geo-event", 0.0006),
    "peer": AppSpec("peer", "naive peer", ROOT / "perf" / "naive_peer.py", ".leaflet-marker-icon", 0.03),
}
BASE_TIMEOUT_S = 120


class BenchError(RuntimeError):
    """One measure could not be made; the message says why."""


def progress(message: str) -> None:
    print(f"browser-bench: {message}", file=sys.stderr, flush=True)


# --- Servers ---------------------------------------------------------------------------------------------

def group_rss_bytes(pgid: int) -> int:
    """Summed resident memory of every process in process group `pgid` (from /proc)."""
    page = os.sysconf("SC_PAGE_SIZE")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            if int(fields[2]) != pgid:  # state, ppid, pgrp
                continue
            with open(f"/proc/{entry}/statm", encoding="ascii") as statm:
                total += int(statm.read().split()[1]) * page
        except (OSError, IndexError, ValueError):
            continue  # the process ended meanwhile
    return total


class PeakMemory:
    """Samples a process group's RSS in a thread; `peak` is the largest sum seen."""

    def __init__(self, pgid: int) -> None:
        self.pgid, self.peak, self._stop = pgid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, group_rss_bytes(self.pgid))
            self._stop.wait(SAMPLE_S)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    stderr_path: Path
    memory: PeakMemory
    start_s: float

    def stderr_tail(self, lines: int = 25) -> str:
        return log_tail(self.stderr_path, lines)


@contextlib.contextmanager
def serve(script: Path, data: Path, cache_dir: Path, logs: Path) -> Iterator[Server]:
    """`streamlit run script` on a free loopback port with BORDER_DATA=data and BORDER_CACHE=cache_dir,
    healthy, until the block ends; its whole process group is stopped however the block ends."""
    from geo.budget import stop_process_group

    logs.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {**os.environ, "BORDER_DATA": str(data), "BORDER_CACHE": str(cache_dir)}
    command = streamlit_command(script, port)
    started = time.perf_counter()
    with (logs / "stdout.log").open("wb") as out, (logs / "stderr.log").open("wb") as err:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    server = Server(f"http://127.0.0.1:{port}/", process, logs / "stderr.log", PeakMemory(process.pid), 0.0)
    try:
        try:
            wait_until_healthy(process, server.url, STARTUP_TIMEOUT_S, server.stderr_tail)
        except NotHealthy as error:
            raise BenchError(str(error)) from None
        server.start_s = time.perf_counter() - started
        yield server
    finally:
        stop_process_group(process)
        server.memory.stop()


# --- The browser -----------------------------------------------------------------------------------------

def launch(playwright: Any) -> Any:
    if not CHROMIUM.exists():
        raise BenchError(f"{CHROMIUM} is missing: run scripts/test (or scripts/setup --test), which installs "
                         "Debian's chromium package; Playwright's own browser download does not work here")
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def open_map(browser: Any, server: Server, app: AppSpec, timeout_s: float) -> tuple[float, Any]:
    """Open the app in a new context (a new Streamlit session): seconds from navigation start until the
    map is drawn, and the context (its page has finished its script run)."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.goto(server.url, wait_until="commit", timeout=timeout_s * 1000)
        try:
            drawn_ms = page.wait_for_function(OPENED_JS, arg=app.markers, polling="raf",
                                              timeout=timeout_s * 1000).json_value()
            page.wait_for_function(IDLE_JS, polling=100, timeout=timeout_s * 1000)
        except Exception as error:
            raise BenchError(f"{app.name}: the map was not drawn within {timeout_s:g} s ({error.__class__.__name__})"
                             f"\n--- streamlit stderr ---\n{server.stderr_tail()}") from None
        return drawn_ms / 1000, context
    except BaseException:
        context.close()
        raise


def change_filter(page: Any, label: str, app: AppSpec, timeout_s: float, token: str) -> tuple[float, dict]:
    """Remove the chip `label` from "Event types": seconds from the press until the rerun is done, the
    counts line changed and the map repainted; and what the page then shows."""
    before = page.evaluate(BEFORE_CHANGE_JS, {"markers": app.markers, "token": token})
    page.locator(f'{CHIP}[aria-label="{label}"] button[aria-label^="Remove"]').click(timeout=30_000)
    try:
        after = page.wait_for_function(CHANGED_JS, arg={"markers": app.markers, "token": token, "before": before},
                                       polling="raf", timeout=timeout_s * 1000).json_value()
    except Exception as error:
        raise BenchError(f"{app.name}: removing {label!r} was not done within {timeout_s:g} s "
                         f"({error.__class__.__name__})") from None
    return after["ms"] / 1000, {"before": before, "after": {"drawn": after["drawn"], "counts": after["counts"]}}


def repeated(runs: int, measure: Any) -> list[float]:
    """`measure()` up to `runs` times; once a run takes more than SLOW_RUN_S it is not repeated."""
    values: list[float] = []
    for _ in range(runs):
        values.append(measure())
        if values[-1] > SLOW_RUN_S:
            break
    return values


def measure_app(browser: Any, app: AppSpec, data: Path, events: int, chips: list[str], repeat: int,
                workdir: Path) -> dict[str, Any]:
    """Every figure of one app on one dataset; servers always stopped."""
    timeout_s = BASE_TIMEOUT_S + events * app.seconds_per_event
    cache_dir = Path(tempfile.mkdtemp(prefix="cache-", dir=workdir))
    script = app.script
    if app.name == "peer":  # Streamlit serves static/ beside the main script only
        peer_dir = Path(tempfile.mkdtemp(prefix="peer-", dir=workdir))
        script = peer_dir / app.script.name
        shutil.copyfile(app.script, script)
        (peer_dir / "static").symlink_to(ROOT / "static", target_is_directory=True)
    if app.name == "ours":  # a truly first open: no points pack of this dataset from an earlier run either
        from geo.io.prepared import file_digest
        from geo.map.pack import PACK_DIR, dataset_identity, pack_key

        (PACK_DIR / f"{pack_key(file_digest(data), dataset_identity(str(data)))}.bin").unlink(missing_ok=True)
    out: dict[str, Any] = {"status": "ok", "timeout_s": timeout_s}
    label = f"{events:,} events, {app.name}"
    servers: list[Server] = []
    try:
        with serve(script, data, cache_dir, workdir / f"logs-{app.name}-{events}-1") as server:
            servers.append(server)
            out["server_start_s"] = round(server.start_s, 3)
            progress(f"{label}: server up in {server.start_s:.1f} s; first open (empty cache)")
            first, context = open_map(browser, server, app, timeout_s)
            out["first_open_s"] = round(first, 3)
            out["counts_line"] = context.pages[0].evaluate(f"() => {{ {_PAGE_HELPERS} return countsLine(); }}")
            context.close()
            progress(f"{label}: first open {first:.2f} s; new sessions")
            contexts: list[Any] = []

            def new_session() -> float:
                seconds, context = open_map(browser, server, app, timeout_s)
                contexts.append(context)
                return seconds

            try:
                sessions = repeated(repeat, new_session)
                out["new_session_runs"] = [round(s, 3) for s in sessions]
                out["new_session_s"] = round(statistics.median(sessions), 3)
                progress(f"{label}: new session {out['new_session_s']:.2f} s; filter changes")
                page = contexts[-1].pages[0]
                changes: list[dict[str, Any]] = []
                todo = iter(chips)

                def one_change() -> float:
                    chip = next(todo)
                    seconds, seen = change_filter(page, chip, app, timeout_s, f"change-{len(changes)}")
                    changes.append({"removed": chip, "s": round(seconds, 3), **seen})
                    return seconds

                filters = repeated(min(repeat, len(chips)), one_change)
                out["filter_runs"] = [round(s, 3) for s in filters]
                out["filter_s"] = round(statistics.median(filters), 3)
                out["filter_changes"] = changes
                progress(f"{label}: filter change {out['filter_s']:.3f} s; restarting the server")
            finally:
                for context in contexts:
                    context.close()
        with serve(script, data, cache_dir, workdir / f"logs-{app.name}-{events}-2") as server:
            servers.append(server)
            seconds, context = open_map(browser, server, app, timeout_s)
            context.close()
            out["new_server_s"] = round(seconds, 3)
            progress(f"{label}: new server, prepared data on disk: {seconds:.2f} s")
    except BenchError as error:
        out["status"] = f"error: {error}"
        progress(f"{label}: ERROR {error}")
    except Exception as error:  # Playwright's errors: keep the other measures going
        out["status"] = f"error: {error.__class__.__name__}: {error}"
        progress(f"{label}: ERROR {error.__class__.__name__}: {error}")
    finally:
        peak = max((server.memory.peak for server in servers), default=0)  # both stopped by now
        out["server_peak_rss_mb"] = round(peak / 1e6, 1) if peak else None
        shutil.rmtree(cache_dir, ignore_errors=True)
    return out


# --- Datasets --------------------------------------------------------------------------------------------

def synthetic(n: int, seed: int) -> dict[str, Any]:
    """perf.bench.synthetic_collection(n) with ROUTE_SHARE route lines: through its own option when it has
    one, else by setting the module's ROUTE_SHARE (read at call time) for the call."""
    from perf import bench

    parameters = inspect.signature(bench.synthetic_collection).parameters
    for name in ("routes", "route_share"):
        if name in parameters:
            return bench.synthetic_collection(n, seed=seed, **{name: ROUTE_SHARE})
    saved = bench.ROUTE_SHARE
    bench.ROUTE_SHARE = ROUTE_SHARE
    try:
        return bench.synthetic_collection(n, seed=seed)
    finally:
        bench.ROUTE_SHARE = saved


def dataset(size: str, seed: int, workdir: Path) -> tuple[Path | None, str | None]:
    """The file for a size label, or None and why it was not made."""
    if size == "curated":
        return CURATED, None
    n = int(size)
    if n <= GEOJSON_MAX:
        progress(f"{n:,} events: generating GeoJSON")
        path = workdir / f"synthetic-{n}.geojson"
        path.write_text(json.dumps(synthetic(n, seed), ensure_ascii=False), encoding="utf-8")
        return path, None
    try:
        from geo.io.geoparquet import write_events
    except ImportError as error:
        return None, f"not run: needs geo.io.geoparquet ({error})"
    progress(f"{n:,} events: generating GeoParquet")
    collection = synthetic(n, seed)
    path = workdir / f"synthetic-{n}.parquet"
    write_events(collection, path)
    return path, None


def removal_order(data: Path) -> tuple[int, list[str]]:
    """How many events the file holds, and the chip labels to remove: the types with the most located
    points first, so each removal takes pins off the map."""
    from geo.events.schema import EVENT_TYPES
    from geo.io.events_file import load_events

    frame = load_events(data)
    points = frame[frame.geometry.notna() & (frame.geom_type == "Point")]
    counts = points["event_type"].value_counts()
    return len(frame), [EVENT_TYPES[kind] for kind in counts.index[: max(0, frame["event_type"].nunique() - 1)]]


# --- Report ------------------------------------------------------------------------------------------------

MEASURES = (("first_open_s", "first"), ("new_session_s", "session"), ("new_server_s", "server"),
            ("filter_s", "filter"))


def ratio(a: Any, b: Any) -> float | None:
    return round(a / b, 2) if isinstance(a, int | float) and isinstance(b, int | float) and b else None


def targets_met(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    met: dict[str, dict[str, Any]] = {}
    for size, targets in TARGETS.items():
        row = next((r for r in rows if r["size"] == size), None)
        ours = (row or {}).get("ours") or {}
        for key, limit in targets.items():
            value = ours.get(key)
            met[f"{size} {key} <= {limit:g}"] = {
                "size": size, "measure": key, "target": limit, "value": value,
                "met": None if not isinstance(value, int | float) else value <= limit}
    return met


def table(rows: list[dict[str, Any]], repeat: int) -> list[str]:
    width = 8

    def cell(value: Any, digits: int = 2) -> str:
        return "-" if value is None else f"{value:,.{digits}f}" if isinstance(value, float) else str(value)

    names = [f"{short}" for _, short in MEASURES] + ["MB"]
    groups = [("ours", names), ("naive peer", names), ("peer/ours", [short for _, short in MEASURES])]
    first = "size".ljust(9) + "events".rjust(10) + "".join(
        "  " + f" {title} ".center(len(cols) * (width + 1) - 1, "-") for title, cols in groups)
    second = " " * 19 + "".join("  " + " ".join(c.rjust(width) for c in cols) for _, cols in groups)
    lines = [first, second]
    for row in rows:
        head = row["size"].ljust(9) + cell(row.get("events"), 0).rjust(10)
        if row.get("status", "ok") != "ok":
            lines.append(f"{head}  {row['status']}")
            continue
        cells: list[str] = []
        for app in ("ours", "peer"):
            result = row.get(app) or {}
            status = result.get("status", "not run")
            if status != "ok" and not any(result.get(key) is not None for key, _ in MEASURES):
                text = "not run" if status.startswith("not run") else "error"
                cells.append("  " + text.center(len(names) * (width + 1) - 1))
                continue
            values = [cell(result.get(key), 3 if key == "filter_s" else 2) for key, _ in MEASURES]
            values.append(cell(result.get("server_peak_rss_mb"), 0))
            cells.append("  " + " ".join(v.rjust(width) for v in values))
        ratios = [cell(row["peer_over_ours"].get(key), 1) for key, _ in MEASURES]
        cells.append("  " + " ".join(v.rjust(width) for v in ratios))
        lines.append(head + "".join(cells))
        for app in ("ours", "peer"):
            status = (row.get(app) or {}).get("status", "")
            if status.startswith("error"):
                lines.append(f"{'':19}  {app}: {status.splitlines()[0][:200]}")
    lines.append(f"seconds: first = first open on a fresh server with an empty BORDER_CACHE; session = new browser "
                 f"session, warm server (median of ≤ {repeat}); server = restarted server, same BORDER_CACHE; "
                 f"filter = remove one event-type chip until idle and repainted (median of ≤ {repeat}); "
                 f"MB = peak server RSS (process group)")
    return lines


def chromium_version() -> str:
    try:
        text = subprocess.run([str(CHROMIUM), "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return text.strip().splitlines()[-1] if text.strip() else "unknown"


def machine(browser_version: str | None) -> dict[str, Any]:
    from importlib.metadata import version

    return {"cpu_count": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "chromium": chromium_version(), "chromium_browser_version": browser_version,
            "streamlit": version("streamlit"), "streamlit_folium": version("streamlit-folium"),
            "folium": version("folium"), "playwright": version("playwright"),
            "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9, 1)}


def parse_sizes(text: str) -> list[str]:
    sizes = []
    for part in text.split(","):
        part = part.strip().replace("_", "")
        if part == "curated":
            sizes.append(part)
            continue
        try:
            n = int(part)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{part!r} is neither 'curated' nor a whole number") from None
        if n < 1:
            raise argparse.ArgumentTypeError(f"{n} events: every size must be at least 1")
        sizes.append(str(n))
    if not sizes:
        raise argparse.ArgumentTypeError("no sizes given")
    return sizes


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m perf browser", description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=parse_sizes, default=list(DEFAULT_SIZES), metavar="LIST",
                   help=f"comma-separated: 'curated' and/or event counts (default: {','.join(DEFAULT_SIZES)})")
    p.add_argument("--naive-max", type=int, default=DEFAULT_NAIVE_MAX, metavar="N",
                   help=f"run the naive peer only up to this many events (default: {DEFAULT_NAIVE_MAX})")
    p.add_argument("--repeat", type=int, default=DEFAULT_REPEAT, metavar="R",
                   help=f"new sessions and filter changes measured R times, median (default: {DEFAULT_REPEAT})")
    p.add_argument("--seed", type=int, default=0, help="seed of the synthetic data (default: 0)")
    p.add_argument("--json", action="store_true", help="end with one JSON line holding every figure")
    return p


def run(sizes: list[str], naive_max: int, repeat: int, seed: int = 0, as_json: bool = False,
        out: Any = None) -> dict[str, Any]:
    """Measure, print the table (and the JSON line), return the report."""
    from playwright.sync_api import sync_playwright

    out = out or sys.stdout
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="browser-bench-") as tmp, sync_playwright() as playwright:
        workdir = Path(tmp)
        browser = launch(playwright)
        try:
            for size in sizes:
                row: dict[str, Any] = {"size": size, "status": "ok"}
                rows.append(row)
                try:
                    data, why_not = dataset(size, seed, workdir)
                except Exception as error:
                    data, why_not = None, f"error: could not write the dataset: {error.__class__.__name__}: {error}"
                if data is None:
                    row["status"] = why_not
                    row["events"] = int(size) if size != "curated" else None
                    progress(f"{size}: {why_not}")
                    continue
                events, chips = removal_order(data)
                row.update(events=events, file=str(data) if size == "curated" else data.name,
                           file_bytes=data.stat().st_size)
                for app in APPS.values():
                    if app.name == "peer" and events > naive_max:
                        row[app.name] = {"status": f"not run: more than --naive-max {naive_max:,} events"}
                        continue
                    row[app.name] = measure_app(browser, app, data, events, chips, repeat, workdir)
                row["peer_over_ours"] = {key: ratio((row.get("peer") or {}).get(key), row["ours"].get(key))
                                         for key, _ in MEASURES}
                if data != CURATED:
                    data.unlink(missing_ok=True)
        finally:
            version = browser.version
            browser.close()
    report = {"machine": machine(version), "map_drawn_js": MAP_DRAWN_JS.strip(),
              "markers": {name: app.markers for name, app in APPS.items()}, "repeat": repeat,
              "naive_max": naive_max, "route_share": ROUTE_SHARE, "sizes": rows, "targets": TARGETS,
              "met": targets_met(rows)}
    info = report["machine"]
    print(f"Browser benchmark: seconds until users see the map, headless {info['chromium']}, "
          f"{info['cpu_count']} CPUs, {info['memory_gb']} GB, Streamlit {info['streamlit']}", file=out)
    for line in table(rows, repeat):
        print(line, file=out)
    print("targets (ours):", file=out)
    for name, verdict in report["met"].items():
        state = {True: "met", False: "NOT met", None: "not measured"}[verdict["met"]]
        value = "-" if verdict["value"] is None else f"{verdict['value']:g}"
        print(f"  {name}: {value} → {state}", file=out)
    if as_json:
        print(json.dumps(report, ensure_ascii=False), file=out)
    out.flush()
    return report


def failed(report: dict[str, Any]) -> bool:
    return any(str(row.get("status", "")).startswith("error")
               or any(str((row.get(app) or {}).get("status", "")).startswith("error") for app in APPS)
               for row in report["sizes"])


def main(argv: list[str] | None = None) -> int:
    """Parse the options, measure, print; 0 when every attempted measure succeeded, 1 otherwise, 2 on
    bad options (argparse exits 2 itself on unknown ones)."""
    args = parser().parse_args(argv)
    # SIGTERM (a timeout, a CI cancel) unwinds like Ctrl-C, so every `finally` stops its server.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    if args.repeat < 1 or args.naive_max < 0:
        print("browser-bench: error: --repeat must be at least 1 and --naive-max 0 or more", file=sys.stderr)
        return 2
    try:
        report = run(args.sizes, args.naive_max, args.repeat, args.seed, args.json)
    except BenchError as error:
        print(f"browser-bench: error: {error}", file=sys.stderr)
        return 1
    return 1 if failed(report) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
