"""Bounded load test: N readers, each a real Streamlit session, change filters while an editor appends events.

What is driven: the dashboard on a copy of the dataset (BORDER_DATA), either one `streamlit run dashboard.py` on
a free 127.0.0.1 port ("direct"), or K app servers behind nginx with sticky sessions (`--servers K`, through
app.serve.serving). Each session is a websocket client that speaks Streamlit's own protocol (`streamlit.proto`
messages over `/_stcore/stream`), as the browser's frontend does:

- it asks `/_stcore/health` first and keeps every cookie the answer sets, as a browser does: Streamlit's
  `_streamlit_xsrf` and, behind the proxy, the route cookie that keeps the session on its app server; then it
  opens the websocket with the subprotocols `["streamlit", <xsrf cookie>]`, those cookies and a same-origin Origin;
- it sends a `BackMsg.rerun_script` (a `ClientState`: query string, page script hash, every widget's
  current value, the hashes of the messages it has cached, browser context) and reads `ForwardMsg`s:
  `new_session` (a run starts), `delta` (elements: widgets with their ids and values, markdown,
  exceptions, alerts), `page_info_changed` (the URL's query string), `session_event`, `script_finished`;
- it keeps a ForwardMsg cache like the frontend's (`metadata.cacheable` messages by hash, aged by
  completed runs, `max_cached_message_age` from `new_session`), declares those hashes in each rerun and
  resolves `ref_hash` messages from it (a miss is an error).

The reader model (`--think A-B`, default 8-12 s: one filter change per reader every 8-12 s, a person reading):
the sessions open one after another, spread evenly over one mean think time, so readers do not all arrive at
t=0. Each opens the page (its first, full run), then loops: think A-B s (uniform, seeded per session), change
one filter (an event type removed or added, a layer, corroborated, undated, the date range, the border
distance, the search text, the map date, the chosen event), send the rerun with all widget states, and time it
from send to that run's `script_finished` (the "rerun latency"). `--think 0.2-1` is a stress, not readers.

Phases: the warm-up lasts until every session has had its first run (the reruns of early sessions meanwhile
are reported apart, under warm_up). The measured window is the S seconds after that: p50/p95/max are over the
reruns sent in it, and the server's CPU per rerun is the CPU the app servers used in it (utime + stime from
/proc/<pid>/stat, with their children, summed over the workers) divided by the reruns completed in it. After
the window each session makes one more change at its next think time, once the editor has finished: the
final check, reported apart. An editor appends a one-event candidates file every max(2, S/10) s of the window
(or every `--append-every` s) with `python -m geo add` (the file store's own append).

What counts as an error: a run that ends in a compile error or does not end within RERUN_TIMEOUT_S,
an `exception` element (warnings excluded), an `st.error` alert (the dashboard shows one, and stops,
when the dataset is invalid), a run that does not print the "**X of Y events shown**" line, a rerun
sent after an append finished that shows fewer events than the file then had ("stale"), a websocket
that drops, an unresolvable `ref_hash`, a `geo add` that exits non-zero, a Traceback in a server log
that no session saw as an exception. A run counts once however many problems it had. Sessions see
exceptions redacted (`client.showErrorDetails = "none"`), so the JSON's `server_exceptions` gives the
exception lines from the server logs.
Lost appends: an appended id missing from the final file, or a session whose first rerun after the
last append does not show the final number of events. Behind the proxy, that is every worker showing
an append made through the file store.

`--sessions 10,20,40` is a sweep: each point in turn on a fresh server set and a fresh copy of the data.
Output: progress on stderr; on stdout one JSON object per point (sessions, servers, proxy, think_s, seconds,
reruns, errors, error_examples, appends, lost_appends, p50_s, p95_s, max_s, cpu_per_rerun_s, workers with
each one's CPU, peak RSS and reruns, warm_up, final_check, and details), then, as the last lines, a markdown
table of the points. Exit 0 when no point had errors or lost appends, 1 otherwise, 2 for bad options.

Run: `python -m perf loadtest [--sessions N[,N...]] [--seconds S] [--think A-B] [--servers K] [--data PATH]
[--port P]`.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import datetime as dt
import json
import math
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any, NoReturn

from google.protobuf.message import DecodeError
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ContextInfo
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.Slider_pb2 import Slider
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from geo.budget import stop_process_group
from geo.paths import BUNDLED_EVENTS, PROJECT_ROOT
from geo.view import link
from perf.appserver import free_port, streamlit_command, wait_until_healthy

ROOT = PROJECT_ROOT
DEFAULT_DATA = BUNDLED_EVENTS
SEED = 20240601  # think times and filter choices repeat from run to run
STARTUP_TIMEOUT_S = 60  # the server must answer /_stcore/health within this
CONNECT_TIMEOUT_S = 30  # health request + websocket handshake of one session
FIRST_RUN_TIMEOUT_S = 300  # 80 readers arriving within 10 s all load the full page: the last may wait long
RERUN_TIMEOUT_S = 60  # one rerun, send to script_finished
ADD_TIMEOUT_S = 60  # one `python -m geo add`
MAX_MESSAGE_BYTES = 64 * 2**20  # the map component alone is ~300 kB
DEFAULT_SESSIONS = "20"
DEFAULT_SECONDS = 90.0  # at 8-12 s of think time, about eight changes per reader in the window
DEFAULT_THINK = "8-12"  # the reader: one filter change every 8-12 s
MAX_THINK_S = 600
MAX_SESSIONS = 200
SEARCH_WORDS = ("", "", "Hunchun", "Dandong", "workers", "bridge", "Sinuiju")
SHOWN = re.compile(r"\*\*([\d,]+) of ([\d,]+) events shown\*\*")
WIDGETS = {"checkbox", "multiselect", "slider", "selectbox", "text_input", "date_input"}  # the dashboard's widgets
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only, whatever the env says

SUCCESS = ForwardMsg.FINISHED_SUCCESSFULLY
COMPILE_ERROR = ForwardMsg.FINISHED_WITH_COMPILE_ERROR
EARLY_FOR_RERUN = ForwardMsg.FINISHED_EARLY_FOR_RERUN
FRAGMENT_SUCCESS = ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY


def log(message: str) -> None:
    """Progress line on stderr."""
    print(f"loadtest: {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..1) of `values`, None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def short(text: str, limit: int = 200) -> str:
    """One line of at most `limit` characters."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def rounded(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


# --- The reader model -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Think:
    """Seconds one reader waits between two changes: uniform in [low, high]."""

    low: float
    high: float

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    def draw(self, rng: random.Random) -> float:
        return rng.uniform(self.low, self.high)

    def __str__(self) -> str:
        return f"{self.low:g}-{self.high:g}"


def parse_think(text: str) -> Think:
    """`A-B` seconds, 0 <= A <= B <= MAX_THINK_S. Raises ValueError with a one-line reason."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)\s*", text)
    if not found:
        raise ValueError(f"--think wants seconds as A-B, for example 8-12 or 0.2-1, not {text!r}")
    low, high = float(found.group(1)), float(found.group(2))
    if low > high:
        raise ValueError(f"--think {text}: the shortest think time is longer than the longest")
    if high > MAX_THINK_S:
        raise ValueError(f"--think {text}: at most {MAX_THINK_S} s")
    if high == 0:
        raise ValueError(f"--think {text}: a reader needs some think time (B above 0)")
    return Think(low, high)


def parse_sessions(text: str) -> list[int]:
    """`N` or a sweep `N1,N2,...`, each 1..MAX_SESSIONS. Raises ValueError with a one-line reason."""
    points = []
    for part in text.split(","):
        if not re.fullmatch(r"\s*\d+\s*", part):
            raise ValueError(f"--sessions wants a number of sessions or a list such as 10,20,40, not {text!r}")
        number = int(part)
        if not 1 <= number <= MAX_SESSIONS:
            raise ValueError(f"--sessions: each point must be between 1 and {MAX_SESSIONS}, not {number}")
        points.append(number)
    return points


# --- Results shared by the sessions and the editor ------------------------------------------------

@dataclass
class Rerun:
    """One timed change of one session."""

    worker: str | None  # the app server that ran it (None: unknown)
    sent: float  # monotonic
    done: float
    final: bool  # the final check after the window, not a measured change
    change: str = ""  # which control changed (its widget key), for the latencies by change

    @property
    def seconds(self) -> float:
        return self.done - self.sent


@dataclass
class WorkerUse:
    """One app server's resources: CPU at the window's ends (seconds, with its children) and peak RSS."""

    name: str
    pid: int
    cpu_start_s: float | None = None
    cpu_end_s: float | None = None
    peak_rss_kb: int | None = None

    @property
    def cpu_s(self) -> float | None:
        if self.cpu_start_s is None or self.cpu_end_s is None:
            return None
        return self.cpu_end_s - self.cpu_start_s


@dataclass
class Stats:
    """Everything measured at one point of the sweep; turned into its JSON line."""

    sessions: int
    seconds: float
    think: Think
    servers: int = 1
    append_every: float | None = None  # seconds between the editor's appends (None: max(2, S/10))
    proxy: str | None = None  # "nginx", or None when the sessions talk to the one app server directly
    proxy_use: WorkerUse | None = None  # nginx's CPU in the window (not in the servers' CPU per rerun)
    errors: int = 0
    error_examples: list[str] = field(default_factory=list)
    example_kinds: set[str] = field(default_factory=set)  # error texts without their session
    reruns: list[Rerun] = field(default_factory=list)
    first_loads: list[float] = field(default_factory=list)
    opening_s: float | None = None  # from the first session's open to the last one's first run
    window_start: float | None = None  # monotonic; set when every session has had its first run
    window_end: float | None = None
    workers: list[WorkerUse] = field(default_factory=list)
    stale_reruns: int = 0
    appended: list[tuple[float, str, int]] = field(default_factory=list)  # (monotonic done, id, total after)
    lost: list[str] = field(default_factory=list)
    initial_total: int | None = None
    final_total: int | None = None
    server_exceptions: dict[str, int] = field(default_factory=dict)  # the server logs' exception lines
    exception_runs: int = 0
    bytes_received: int = 0
    cache_hits: int = 0
    client_cpu_start_s: float = field(default_factory=time.process_time)
    editor_cpu_s: float = 0.0  # the `geo add` children's

    def error(self, text: str) -> None:
        """Count an error; the first five different ones (whichever session) are the examples."""
        self.errors += 1
        kind = re.sub(r"^session \d+: ", "", text)
        if len(self.error_examples) < 5 and kind not in self.example_kinds:
            self.example_kinds.add(kind)
            self.error_examples.append(short(text))
        log(f"ERROR {short(text, 400)}")

    def expected_total(self, sent: float) -> int | None:
        """Events the file held when a rerun was sent (after every append that had finished)."""
        total = self.initial_total
        for done, _, after in self.appended:
            if done < sent:
                total = after
        return total

    def measured(self) -> list[Rerun]:
        """The changes sent in the window (their latencies are the figures)."""
        if self.window_start is None or self.window_end is None:
            return []
        return [r for r in self.reruns if not r.final and self.window_start <= r.sent < self.window_end]

    def p95_by_change(self) -> dict[str, list[float | int | None]]:
        """For each control the readers changed: [reruns, p95 s] over the measured window, slowest first."""
        by: dict[str, list[float]] = {}
        for rerun in self.measured():
            by.setdefault(rerun.change or "?", []).append(rerun.seconds)
        table = {change: [len(times), rounded(percentile(times, 0.95))] for change, times in by.items()}
        return dict(sorted(table.items(), key=lambda item: -(item[1][1] or 0)))

    def completed_in_window(self) -> list[Rerun]:
        """The changes that finished in the window (the server's CPU in the window went to these)."""
        if self.window_start is None or self.window_end is None:
            return []
        return [r for r in self.reruns if not r.final and self.window_start <= r.done <= self.window_end]

    def report(self) -> dict[str, Any]:
        measured = [r.seconds for r in self.measured()]
        warm = [r.seconds for r in self.reruns
                if not r.final and (self.window_start is None or r.sent < self.window_start)]
        final = [r.seconds for r in self.reruns if r.final]
        completed = self.completed_in_window()
        cpu = [w.cpu_s for w in self.workers]
        server_cpu = None if not cpu or None in cpu else sum(c for c in cpu if c is not None)
        per_rerun = server_cpu / len(completed) if server_cpu is not None and completed else None
        peaks = [w.peak_rss_kb for w in self.workers if w.peak_rss_kb is not None]
        workers = [{"name": w.name, "pid": w.pid, "cpu_s": rounded(w.cpu_s, 2),
                    "rss_mb": None if w.peak_rss_kb is None else round(w.peak_rss_kb / 1024, 1),
                    "reruns": sum(r.worker == w.name for r in completed)} for w in self.workers]
        return {
            "sessions": self.sessions, "servers": self.servers, "proxy": self.proxy,
            "think_s": [self.think.low, self.think.high], "seconds": self.seconds,
            "append_every_s": self.append_every or max(2.0, self.seconds / 10),
            "reruns": len(measured), "errors": self.errors, "error_examples": self.error_examples,
            "appends": len(self.appended), "lost_appends": len(self.lost),
            "p50_s": rounded(percentile(measured, 0.50)), "p95_s": rounded(percentile(measured, 0.95)),
            "max_s": rounded(max(measured) if measured else None),
            "p95_s_by_change": self.p95_by_change(),
            "cpu_per_rerun_s": rounded(per_rerun), "server_cpu_s": rounded(server_cpu, 2),
            "reruns_completed": len(completed),
            "proxy_cpu_s": rounded(self.proxy_use.cpu_s, 2) if self.proxy_use else None,
            "server_rss_mb": round(max(peaks) / 1024, 1) if peaks else None, "workers": workers,
            "warm_up": {"seconds": rounded(self.opening_s, 1), "first_loads": len(self.first_loads),
                        "first_load_p50_s": rounded(percentile(self.first_loads, 0.5)),
                        "first_load_max_s": rounded(max(self.first_loads) if self.first_loads else None),
                        "reruns": len(warm), "p95_s": rounded(percentile(warm, 0.95))},
            "final_check": {"reruns": len(final), "max_s": rounded(max(final) if final else None)},
            "stale_reruns": self.stale_reruns, "lost_examples": [short(t) for t in self.lost[:5]],
            "events_before": self.initial_total, "events_after": self.final_total,
            "server_exceptions": dict(list(self.server_exceptions.items())[:5]),
            "client_cpu_s": round(time.process_time() - self.client_cpu_start_s, 1),
            "editor_cpu_s": round(self.editor_cpu_s, 1),
            "mb_received": round(self.bytes_received / 1e6, 1), "cached_message_hits": self.cache_hits,
        }


@dataclass
class RunResult:
    """One script run as a session saw it."""

    sent: float  # monotonic time the rerun BackMsg was sent
    seconds: float
    total: int | None  # Y of "X of Y events shown"
    problems: list[str]


class SessionBroken(Exception):
    """The session cannot go on: its websocket dropped, a run timed out, or the protocol broke."""


# --- One browser-like session ---------------------------------------------------------------------

class Session:
    """A websocket client that behaves like one browser tab of the dashboard."""

    def __init__(self, index: int, url: str, stats: Stats) -> None:
        self.index = index
        self.url = url.rstrip("/")  # http://127.0.0.1:PORT, the app server's or the proxy's
        self.stats = stats
        self.rng = random.Random(SEED + index)
        self.ws: ClientConnection | None = None
        self.cookies: dict[str, str] = {}  # what the browser would keep: the XSRF cookie, the route cookie
        self.worker: str | None = None  # the app server this session stays on, when known
        self.widgets: dict[str, tuple[str, Any]] = {}  # id -> (element type, its latest proto)
        self.states: dict[str, WidgetState] = {}  # id -> the value the frontend would send
        self.query_string = ""
        self.page_script_hash = ""
        self.cache: dict[str, list[Any]] = {}  # hash -> [encoded ForwardMsg, run count when last used]
        self.run_count = 0
        self.max_message_age = 2
        self.results: list[RunResult] = []

    @property
    def name(self) -> str:
        return f"session {self.index}"

    async def connect(self) -> None:
        """What the frontend does: ping /_stcore/health (keeping the cookies it sets: the XSRF cookie and,
        behind the proxy, the route cookie), then open the websocket with those cookies."""

        def health() -> dict[str, str]:
            with NO_PROXY.open(f"{self.url}/_stcore/health", timeout=CONNECT_TIMEOUT_S) as response:
                cookies = SimpleCookie()
                for header in response.headers.get_all("Set-Cookie") or []:
                    cookies.load(header)
                return {name: morsel.value for name, morsel in cookies.items()}

        self.cookies.update(await asyncio.to_thread(health))
        xsrf = self.cookies.get("_streamlit_xsrf")
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        self.ws = await connect(f"ws{self.url.removeprefix('http')}/_stcore/stream", origin=self.url,
                                subprotocols=["streamlit", xsrf or "PLACEHOLDER_AUTH_TOKEN"],
                                additional_headers=headers, proxy=None, max_size=MAX_MESSAGE_BYTES,
                                open_timeout=CONNECT_TIMEOUT_S)

    async def close(self) -> None:
        if self.ws is not None:
            try:
                await asyncio.wait_for(self.ws.close(), 5)
            except (OSError, TimeoutError, WebSocketException):
                pass

    # --- ForwardMsg cache, as frontend/connection/src/ForwardMessageCache.ts ---------------------

    def decode(self, raw: bytes) -> ForwardMsg:
        msg = ForwardMsg.FromString(raw)
        if msg.WhichOneof("type") == "ref_hash":
            entry = self.cache.get(msg.ref_hash)
            if entry is None:
                raise SessionBroken(f"{self.name}: cached ForwardMsg miss (ref_hash {msg.ref_hash})")
            entry[1] = self.run_count
            self.stats.cache_hits += 1
            full = ForwardMsg.FromString(entry[0])
            full.metadata.CopyFrom(msg.metadata)
            return full
        if msg.metadata.cacheable and msg.hash:
            if msg.hash in self.cache:
                self.cache[msg.hash][1] = self.run_count
            else:
                self.cache[msg.hash] = [raw, self.run_count]
        return msg

    def age_cache(self) -> None:
        """After a completed run: entries unused for more than max_cached_message_age runs expire."""
        self.run_count += 1
        for key in [k for k, (_, used) in self.cache.items() if self.run_count - used > self.max_message_age]:
            del self.cache[key]

    # --- Widgets -----------------------------------------------------------------------------------

    def see_widget(self, kind: str, element: Any) -> None:
        """Record a widget: its value is the server's when it sets one, else ours, else its default."""
        self.widgets[element.id] = (kind, element)
        if element.set_value or element.id not in self.states:
            state = widget_value(kind, element)
            if state is None:
                self.states.pop(element.id, None)
            else:
                self.states[element.id] = state

    def find(self, key: str) -> tuple[str, Any] | None:
        """The widget whose user key is `key` (Streamlit's ids end in `-<key>`)."""
        for widget_id, widget in self.widgets.items():
            if widget_id.endswith(f"-{key}"):
                return widget
        return None

    def change(self) -> tuple[str, WidgetState] | None:
        """One filter change a user could make: (what, the changed widget's new state)."""
        keys = link.KEYS  # the dashboard's widget keys
        choices: list[tuple[int, str]] = [(3, keys["event_types"]), (1, keys["corroborated_only"]),
                                          (1, keys["include_undated"]), (1, keys["since"]), (1, keys["until"]),
                                          (1, keys["max_border_km"]), (1, keys["text"]), (1, keys["as_of"]),
                                          (1, keys["selected"])]
        layer_ids = re.compile(re.escape("-" + link.layer_key("")) + r"\w+$")
        choices += [(1, wid.rsplit("-", 1)[-1]) for wid in self.widgets if layer_ids.search(wid)]
        choices = [(w, key) for w, key in choices if self.find(key) is not None]
        if not choices:
            return None
        key = self.rng.choices([k for _, k in choices], weights=[w for w, _ in choices])[0]
        kind, element = self.find(key)  # type: ignore[misc]
        current = self.states.get(element.id)
        state = WidgetState(id=element.id)
        if kind == "checkbox":
            state.bool_value = not (current.bool_value if current else element.default)
            what = f"{key}={state.bool_value}"
        elif kind == "multiselect":
            chosen = list(current.string_array_value.data) if current else []
            missing = [o for o in element.options if o not in chosen]
            if missing and (len(chosen) <= 1 or self.rng.random() < 0.5):
                chosen.append(self.rng.choice(missing))
                what = f"{key} + {chosen[-1]}"
            elif chosen:
                removed = chosen.pop(self.rng.randrange(len(chosen)))
                what = f"{key} - {removed}"
            else:
                return None
            state.string_array_value.data.extend(chosen)
        elif kind == "slider" and element.type == Slider.SELECT_SLIDER:
            option = self.rng.choice(list(element.options))
            state.string_array_value.data.append(option)
            what = f"{key}={option}"
        elif kind == "slider":
            days = int((element.max - element.min) // element.step)
            if self.rng.random() < 0.3 or days < 2:
                low, high = element.min, element.max
            else:
                a, b = sorted(self.rng.sample(range(days + 1), 2))
                low, high = element.min + a * element.step, element.min + b * element.step
            state.double_array_value.data.extend([low, high])
            what = f"{key}={(high - low) / 86_400e6:.0f} days"
        elif kind == "date_input":  # the typed From and To dates: a day between the widget's bounds
            low, high = (dt.date.fromisoformat(day.replace("/", "-")) for day in (element.min, element.max))
            day = low + dt.timedelta(days=self.rng.randrange((high - low).days + 1))
            state.string_array_value.data.append(day.isoformat())  # Streamlit reads ISO or YYYY/MM/DD
            what = f"{key}={day}"
        elif kind == "selectbox":
            if not element.options:
                return None
            state.string_value = self.rng.choice(list(element.options))
            what = f"{key}={short(state.string_value, 40)}"
        elif kind == "text_input":
            state.string_value = self.rng.choice(SEARCH_WORDS)
            what = f"{key}={state.string_value!r}"
        else:
            return None
        return what, state

    # --- Runs --------------------------------------------------------------------------------------

    async def rerun(self, changed: WidgetState | None, timeout: float) -> RunResult:
        """Send a rerun as the frontend does (all widget states, `changed` replacing its own) and read
        ForwardMsgs until that run's script_finished. Raises SessionBroken when the session cannot go on."""
        assert self.ws is not None
        states = dict(self.states)
        if changed is not None:
            states[changed.id] = changed
        back = BackMsg()
        client = back.rerun_script
        client.query_string = self.query_string
        client.page_script_hash = self.page_script_hash
        client.widget_states.widgets.extend(states.values())
        client.cached_message_hashes.extend(self.cache)
        client.context_info.CopyFrom(ContextInfo(timezone="UTC", timezone_offset=0, locale="en-US",
                                                 url=f"{self.url}/", is_embedded=False,
                                                 color_scheme="light"))
        if changed is not None:  # the frontend's widget manager holds the new value from now on
            self.states[changed.id] = changed
        problems: list[str] = []
        total: int | None = None
        started = False  # a new_session arrived after our request: what follows belongs to our run
        active: set[str] = set()
        sent = time.monotonic()
        deadline = sent + timeout
        try:
            await self.ws.send(back.SerializeToString())
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise SessionBroken(f"{self.name}: no script_finished {timeout:.0f} s after the rerun")
                try:
                    raw = await asyncio.wait_for(self.ws.recv(), remaining)
                except TimeoutError:
                    continue
                if isinstance(raw, str):
                    raise SessionBroken(f"{self.name}: text frame from the server")
                self.stats.bytes_received += len(raw)
                try:
                    msg = self.decode(raw)
                except DecodeError as error:
                    raise SessionBroken(f"{self.name}: undecodable ForwardMsg ({error})") from None
                kind = msg.WhichOneof("type")
                if kind == "new_session":
                    started, active, total = True, set(), None
                    self.page_script_hash = msg.new_session.page_script_hash
                    if msg.new_session.config.max_cached_message_age:
                        self.max_message_age = msg.new_session.config.max_cached_message_age
                elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                    element = msg.delta.new_element
                    etype = element.WhichOneof("type")
                    if etype == "exception" and not element.exception.is_warning:
                        shown = element.exception  # redacted to a stock message under showErrorDetails = "none"
                        redacted = shown.message.startswith("This app has encountered an error")
                        problems.append(f"exception {shown.type or '(type hidden)'}: "
                                        + ("message redacted, see server_exceptions" if redacted else shown.message))
                    elif etype == "alert" and element.alert.format == element.alert.ERROR:
                        problems.append(f"st.error: {element.alert.body}")
                    elif started and etype == "markdown" and (found := SHOWN.search(element.markdown.body)):
                        total = int(found.group(2).replace(",", ""))
                    elif started and etype in WIDGETS:
                        widget = getattr(element, etype)
                        self.see_widget(etype, widget)
                        active.add(widget.id)
                elif kind == "page_info_changed":
                    self.query_string = msg.page_info_changed.query_string
                elif kind == "session_event" and msg.session_event.WhichOneof("type") == "script_compilation_exception":
                    problems.append(f"compile error: {msg.session_event.script_compilation_exception.message}")
                elif kind == "script_finished" and started:
                    status = msg.script_finished
                    if status == EARLY_FOR_RERUN:  # the script called st.rerun(): another run follows
                        started = False
                        continue
                    if status in (SUCCESS, FRAGMENT_SUCCESS):
                        self.age_cache()
                        # removeInactive: widgets not drawn by this run lose their state
                        self.widgets = {k: v for k, v in self.widgets.items() if k in active}
                        self.states = {k: v for k, v in self.states.items() if k in active}
                        if total is None:
                            problems.append("the run did not show the 'X of Y events shown' line")
                    else:
                        problems.append(f"script_finished with status {ForwardMsg.ScriptFinishedStatus.Name(status)}")
                    result = RunResult(sent, time.monotonic() - sent, total, problems)
                    self.results.append(result)
                    return result
        except ConnectionClosed as closed:
            raise SessionBroken(f"{self.name}: websocket closed ({closed})") from None
        except (OSError, WebSocketException) as error:
            raise SessionBroken(f"{self.name}: websocket error ({error!r})") from None


def widget_value(kind: str, element: Any) -> WidgetState | None:
    """The WidgetState the frontend sends for a widget just drawn: the server's value when it set one
    (`set_value`), else the widget's default. None: the widget has no value to send."""
    state = WidgetState(id=element.id)
    if kind == "checkbox":
        state.bool_value = element.value if element.set_value else element.default
    elif kind == "multiselect":
        values = list(element.raw_values) if element.set_value else [element.options[i] for i in element.default]
        state.string_array_value.data.extend(values)
    elif kind == "slider" and element.type == Slider.SELECT_SLIDER:
        values = (list(element.raw_value) if element.set_value
                  else [element.options[int(i)] for i in element.default])
        state.string_array_value.data.extend(values)
    elif kind == "slider":
        state.double_array_value.data.extend(element.value if element.set_value else element.default)
    elif kind == "date_input":
        state.string_array_value.data.extend(list(element.value) if element.set_value else list(element.default))
    elif kind == "selectbox":
        if element.set_value:
            if not element.HasField("raw_value"):
                return None
            state.string_value = element.raw_value
        elif element.HasField("default") and element.default < len(element.options):
            state.string_value = element.options[element.default]
        else:
            return None
    elif kind == "text_input":
        if element.set_value:
            if not element.HasField("value"):
                return None
            state.string_value = element.value
        elif element.HasField("default"):
            state.string_value = element.default
        else:
            return None
    else:
        return None
    return state


# --- The sessions' and the editor's tasks -----------------------------------------------------------

def judge(session: Session, result: RunResult, stats: Stats) -> None:
    """A run with problems is one error; so is a stale total."""
    if result.problems:
        stats.error(f"{session.name}: " + "; ".join(result.problems))
        stats.exception_runs += any(p.startswith("exception") for p in result.problems)
    expected = stats.expected_total(result.sent)
    if result.total is not None and expected is not None and result.total < expected:
        stats.stale_reruns += 1
        stats.error(f"{session.name}: stale rerun showed {result.total} events, the file had {expected}")


async def open_session(session: Session, stats: Stats) -> bool:
    """Connect and run the page once (the reader's first, full-page run); False when that failed."""
    try:
        await asyncio.wait_for(session.connect(), CONNECT_TIMEOUT_S)
        only = [w.name for w in stats.workers] if len(stats.workers) == 1 else [None]
        session.worker = session.cookies.get(route_cookie() or "", only[0])  # behind nginx: the route cookie
        result = await session.rerun(None, FIRST_RUN_TIMEOUT_S)
    except (SessionBroken, OSError, TimeoutError, WebSocketException) as error:
        stats.error(f"{session.name}: could not open ({error!r})")
        await session.close()
        return False
    stats.first_loads.append(result.seconds)
    judge(session, result, stats)
    return True


async def read(session: Session, stats: Stats, think: Think, editor_done: asyncio.Event) -> None:
    """A reader: think, change one filter, wait for the rerun; again until the window has ended. Then, at the
    next think time and once the editor has finished, one more change: the final check of the appends."""
    try:
        while True:
            await asyncio.sleep(think.draw(session.rng))
            final = stats.window_end is not None and time.monotonic() >= stats.window_end
            if final:
                try:
                    await asyncio.wait_for(editor_done.wait(), ADD_TIMEOUT_S + 10)
                except TimeoutError:
                    stats.error(f"{session.name}: the editor did not finish")
                    return
            change = session.change()
            result = await session.rerun(change[1] if change else None, RERUN_TIMEOUT_S)
            stats.reruns.append(Rerun(session.worker, result.sent, result.sent + result.seconds, final,
                                      re.split(r"[ =]", change[0])[0] if change else ""))
            judge(session, result, stats)
            if final:
                return
    except SessionBroken as broken:
        stats.error(str(broken))
    finally:
        await session.close()


def candidate(template: dict[str, Any], number: int) -> dict[str, Any]:
    """A valid new event: a real feature with a new id and title."""
    feature = copy.deepcopy(template)
    feature["properties"]["id"] = f"loadtest-{number}"
    feature["properties"]["title"] = f"Load test event {number}"
    return feature


async def edit(data: Path, folder: Path, stats: Stats, start: float, seconds: float,
               editor_done: asyncio.Event) -> None:
    """Every `stats.append_every` s (default max(2, S/10)) until S - 1 s, append one event with `python -m geo add`."""
    try:
        features = json.loads(data.read_text(encoding="utf-8"))["features"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        features = []
        stats.error(f"editor: cannot read the dataset copy to build candidates ({error})")
    if not features:  # an empty (or unreadable) dataset: copy features of the bundled one
        features = json.loads(DEFAULT_DATA.read_text(encoding="utf-8"))["features"]
        log(f"editor: {data.name} has no feature to copy; candidates copy features of {DEFAULT_DATA.name}")
    interval = stats.append_every or max(2.0, seconds / 10)
    number = 0
    try:
        while features and (at := start + (number + 1) * interval) < start + seconds - 1:
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            if time.monotonic() >= start + seconds - 1:  # a slow `add` made us late: no append after S - 1 s
                break
            number += 1
            feature = candidate(features[(number - 1) % len(features)], number)
            candidates = folder / f"candidates-{number}.geojson"
            candidates.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}), encoding="utf-8")
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "geo", "add", "--data", str(data), str(candidates), cwd=ROOT,
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            try:
                output, _ = await asyncio.wait_for(process.communicate(), ADD_TIMEOUT_S)
            except TimeoutError:
                process.kill()
                await process.wait()
                stats.error(f"editor: `geo add` of loadtest-{number} took over {ADD_TIMEOUT_S} s")
                continue
            finally:  # the editor's CPU is the machine's too: reported, so a saturated run can be read
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                stats.editor_cpu_s += after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
            text = output.decode("utf-8", "replace")
            if process.returncode != 0:
                stats.error(f"editor: `geo add` of loadtest-{number} exited {process.returncode}: {text}")
                continue
            total = (stats.appended[-1][2] if stats.appended else (stats.initial_total or 0)) + 1
            stats.appended.append((time.monotonic(), feature["properties"]["id"], total))
            log(f"[{time.monotonic() - start:5.1f} s] appended loadtest-{number} ({total} events)")
    finally:
        editor_done.set()


# --- The app servers' resources, from /proc ---------------------------------------------------------

def cpu_s(pid: int) -> float | None:
    """CPU seconds (user + system) a process has used so far, with its children: the ones it has waited for
    (cutime + cstime) and the ones still running (each one's own tree). None when the process is gone."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, list[int]] = {}
    own: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        child = int(entry.name)
        parents.setdefault(int(fields[1]), []).append(child)  # fields[1]: ppid
        own[child] = sum(int(v) for v in fields[11:15]) / tick  # utime, stime, cutime, cstime
    if pid not in own:
        return None
    total, stack = 0.0, [pid]
    while stack:
        current = stack.pop()
        total += own.get(current, 0.0)
        stack.extend(parents.get(current, []))
    return total


def read_peak_rss_kb(pid: int) -> int | None:
    """The kernel's peak resident memory of a process (VmHWM), else its current one; None when it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M) or re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
    return int(found.group(1)) if found else None


def note_peaks(stats: Stats) -> None:
    for worker in stats.workers:
        peak = read_peak_rss_kb(worker.pid)
        if peak is not None:
            worker.peak_rss_kb = max(worker.peak_rss_kb or 0, peak)


async def watch_memory(stats: Stats, stop: asyncio.Event) -> None:
    """Each app server's peak resident memory, polled each second until `stop`."""
    while True:
        note_peaks(stats)
        try:
            await asyncio.wait_for(stop.wait(), 1.0)
            return
        except TimeoutError:
            pass


# --- One point: N readers on one server set -------------------------------------------------------

async def drive(url: str, data: Path, folder: Path, stats: Stats) -> None:
    """Open the readers one after another over one mean think time, measure the S seconds after the last one's
    first run while the editor appends, let each make its final check, then look for lost appends."""
    stop_watch = asyncio.Event()
    watcher = asyncio.create_task(watch_memory(stats, stop_watch))
    sessions = [Session(i, url, stats) for i in range(stats.sessions)]
    editor_done = asyncio.Event()
    all_opened = asyncio.Event()
    waiting = [len(sessions)]
    opening = time.monotonic()

    async def reader(session: Session) -> None:
        await asyncio.sleep(session.index * stats.think.mean / len(sessions))
        opened = await open_session(session, stats)
        waiting[0] -= 1
        if waiting[0] == 0:
            all_opened.set()
        if opened:
            await read(session, stats, stats.think, editor_done)

    async def measure() -> None:
        await all_opened.wait()
        stats.opening_s = time.monotonic() - opening
        for worker in [*stats.workers, *([stats.proxy_use] if stats.proxy_use else [])]:
            worker.cpu_start_s = cpu_s(worker.pid)
        stats.window_start = start = time.monotonic()
        stats.window_end = start + stats.seconds
        log(f"{len(stats.first_loads)} of {len(sessions)} sessions loaded the page within {stats.opening_s:.1f} s "
            f"(the warm-up); sessions running for {stats.seconds:g} s")
        editor = asyncio.create_task(edit(data, folder, stats, start, stats.seconds, editor_done))
        await asyncio.sleep(stats.window_end - time.monotonic())
        for worker in [*stats.workers, *([stats.proxy_use] if stats.proxy_use else [])]:
            worker.cpu_end_s = cpu_s(worker.pid)
        log(f"window over: {len(stats.completed_in_window())} reruns completed in it; final checks follow")
        await editor

    try:
        await asyncio.gather(measure(), *(reader(s) for s in sessions))
        log(f"load done: {len(stats.reruns)} reruns, {stats.bytes_received / 1e6:.1f} MB received, "
            f"{stats.cache_hits} cached-message hits")
    finally:
        stop_watch.set()
        await watcher
        note_peaks(stats)
    check_lost(data, sessions, stats)


def check_lost(data: Path, sessions: list[Session], stats: Stats) -> None:
    """(a) every appended id is in the file; (b) each session's first rerun after the last append shows it."""
    try:
        features = json.loads(data.read_text(encoding="utf-8"))["features"]
        ids = {f["properties"]["id"] for f in features}
        stats.final_total = len(features)
    except (OSError, ValueError, KeyError, TypeError) as error:
        stats.lost.append(f"cannot read the final dataset ({error})")
        return
    for _, appended_id, _ in stats.appended:
        if appended_id not in ids:
            stats.lost.append(f"{appended_id} was appended but is not in {data.name}")
    if stats.initial_total is not None and stats.final_total != stats.initial_total + len(stats.appended):
        stats.lost.append(f"{data.name} has {stats.final_total} events, expected "
                          f"{stats.initial_total} + {len(stats.appended)} appended")
    if not stats.appended:
        return
    last = stats.appended[-1][0]
    for session in sessions:
        after = [r for r in session.results if r.sent > last]
        where = f" (on {session.worker})" if session.worker else ""
        if not after:
            stats.lost.append(f"{session.name}{where} never reran after the last append")
        elif after[0].total is None:
            stats.lost.append(f"{session.name}{where}'s first rerun after the last append showed no event count "
                              f"(the run failed); the file has {stats.final_total}")
        elif after[0].total != stats.final_total:
            stats.lost.append(f"{session.name}{where} showed {after[0].total} events after the last append, "
                              f"the file has {stats.final_total}")


# --- The servers --------------------------------------------------------------------------------------

def route_cookie() -> str | None:
    """The cookie naming a reader's app server behind the proxy (app.serve.ROUTE_COOKIE); None without it."""
    try:
        from app.serve import ROUTE_COOKIE
    except ImportError:
        return None
    return ROUTE_COOKIE


@contextmanager
def one_server(data: Path, port: int, log_dir: Path, stats: Stats) -> Iterator[str]:
    """`streamlit run dashboard.py` on 127.0.0.1:port, no proxy; yields its URL, stops its process group after."""
    log_path = log_dir / "streamlit.log"
    command = streamlit_command("dashboard.py", port)
    with log_path.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "BORDER_DATA": str(data)}, stdout=out,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    stats.workers = [WorkerUse("app", process.pid)]
    log(f"server pid {process.pid} on 127.0.0.1:{port} (no proxy)")
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_healthy(process, f"{url}/", STARTUP_TIMEOUT_S, lambda: tail(log_path))
        yield url
    finally:
        stop_process_group(process)
        log(f"server stopped (exit {process.returncode})")


@contextmanager
def server_set(count: int, data: Path, port: int, log_dir: Path, stats: Stats) -> Iterator[str]:
    """The app servers the readers open: one without a proxy, or `count` behind nginx (app.serve.serving).
    Fills stats.workers and stats.proxy; yields the URL readers open. Raises RuntimeError (one line) when they
    cannot start."""
    if count == 1:
        with one_server(data, port, log_dir, stats) as url:
            yield url
        return
    from app.serve import ServeError, serving

    try:
        with serving(count, data=data, port=port, log_dir=log_dir, startup_timeout_s=STARTUP_TIMEOUT_S * 2) as served:
            stats.proxy = "nginx"
            try:  # app.serve keeps nginx's pid file in the log folder
                stats.proxy_use = WorkerUse("nginx", int((log_dir / "nginx.pid").read_text().split()[0]))
            except (OSError, ValueError, IndexError):
                log("nginx's pid file is not in the log folder: its CPU is not measured")
            stats.workers = [WorkerUse(w.name, w.pid) for w in served.workers]
            for w in served.workers:
                log(f"server {w.name} pid {w.pid} on {w.url} behind nginx at {served.url}")
            yield served.url
    except ServeError as error:
        raise RuntimeError(str(error)) from None
    finally:
        log("servers and nginx stopped")


def tail(path: Path, lines: int = 15) -> str:
    try:
        return " | ".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def server_tracebacks(log_dir: Path) -> list[str]:
    """The exception line ending each Traceback in the app servers' logs (every *.log in `log_dir`)."""
    found = []
    for path in sorted(log_dir.glob("*.log")):
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        for i, line in enumerate(lines):
            if line.startswith("Traceback (most recent call last)"):
                rest = [x for x in lines[i + 1:i + 200] if x and not x.startswith(" ")]
                found.append(rest[0] if rest else line)
    return found


# --- Entry point ----------------------------------------------------------------------------------

def run_point(sessions: int, args: argparse.Namespace) -> dict[str, Any]:
    """One point of the sweep on a fresh copy of the data and a fresh server set: its report."""
    stats = Stats(sessions=sessions, seconds=args.seconds, think=args.think, servers=args.servers,
                  append_every=args.append_every)
    with tempfile.TemporaryDirectory(prefix="loadtest-") as tmp:
        folder = Path(tmp)
        data = folder / "events.geojson"
        try:
            shutil.copyfile(args.data, data)
        except OSError as error:
            stats.error(f"cannot copy {args.data}: {error}")
            return stats.report()
        stats.initial_total = count_features(data)
        log(f"{sessions} readers, think {args.think} s, {args.servers} server(s); data {args.data} "
            f"({stats.initial_total} events) copied to {data}")
        logs = folder / "logs"
        logs.mkdir()
        try:
            with server_set(args.servers, data, args.port or free_port(), logs, stats) as url:
                asyncio.run(drive(url, data, folder, stats))
            tracebacks = server_tracebacks(logs)
            for line in tracebacks:
                stats.server_exceptions[short(line, 160)] = stats.server_exceptions.get(short(line, 160), 0) + 1
            # Clients see exceptions redacted (client.showErrorDetails = "none"); the logs have them in full.
            # Tracebacks beyond the runs that showed an exception reached no client: errors too.
            for line in tracebacks[stats.exception_runs:]:
                stats.error(f"server log: {line}")
        except RuntimeError as error:
            stats.error(short(error, 400))
    return stats.report()


def table(reports: list[dict[str, Any]]) -> list[str]:
    """The sweep as a markdown table, one row per point."""
    def seconds(value: float | None, digits: int = 2) -> str:
        return "–" if value is None else f"{value:.{digits}f} s"

    lines = ["| readers | servers | reruns | p50 | p95 | errors | lost appends | server CPU per rerun "
             "| per-worker RSS |", "|---:|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in reports:
        rss = [w["rss_mb"] for w in r["workers"] if w["rss_mb"] is not None]
        lines.append(f"| {r['sessions']} | {r['servers']} ({r['proxy'] or 'no proxy'}) | {r['reruns']} "
                     f"| {seconds(r['p50_s'])} | {seconds(r['p95_s'])} | {r['errors']} | {r['lost_appends']} "
                     f"| {seconds(r['cpu_per_rerun_s'], 3)} | "
                     + (" / ".join(f"{mb:.0f}" for mb in rss) + " MB" if rss else "–") + " |")
    return lines


class OneLineParser(argparse.ArgumentParser):
    """Bad options: one line on stderr and exit 2 (no usage block)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message}\n")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = OneLineParser(prog="python -m perf loadtest", description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", default=DEFAULT_SESSIONS, metavar="N[,N...]",
                        help=f"readers, or a sweep such as 10,20,40,60,80 (each 1-{MAX_SESSIONS}; "
                             f"default {DEFAULT_SESSIONS})")
    parser.add_argument("--seconds", type=float, default=DEFAULT_SECONDS, metavar="S",
                        help=f"the measured window, after every reader's first run (1-3600; "
                             f"default {DEFAULT_SECONDS:g})")
    parser.add_argument("--think", default=DEFAULT_THINK, metavar="A-B",
                        help=f"seconds a reader waits between changes, uniform in [A, B] (default {DEFAULT_THINK}; "
                             "0.2-1 is a stress)")
    parser.add_argument("--append-every", type=float, default=None, metavar="S",
                        help="seconds between the editor's appends (1-3600; default a tenth of the window, at least 2)")
    parser.add_argument("--servers", type=int, default=1, metavar="K",
                        help="app servers: 1 without a proxy, 2 or more behind nginx (app.serve; default 1)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, metavar="PATH",
                        help="events file to copy (default: bundled)")
    parser.add_argument("--port", type=int, default=None, metavar="P",
                        help="loopback port of the server, or of nginx (default: a free one)")
    args = parser.parse_args(argv)
    try:
        args.points = parse_sessions(args.sessions)
        args.think = parse_think(args.think)
    except ValueError as error:
        parser.error(str(error))
    if args.append_every is not None and not 1 <= args.append_every <= 3600:
        parser.error(f"--append-every must be 1-3600 seconds, not {args.append_every:g}")
    if not 1 <= args.seconds <= 3600:
        parser.error("--seconds must be between 1 and 3600")
    if not 1 <= args.servers <= 8:
        parser.error("--servers must be between 1 and 8")
    if args.port is not None and not 1 <= args.port <= 65535:
        parser.error("--port must be between 1 and 65535")
    if args.seconds < 3 * args.think.mean:
        log(f"notice: {args.seconds:g} s at {args.think} s of think time is fewer than three changes per reader")
    if float(args.seconds).is_integer():
        args.seconds = int(args.seconds)
    return args


def _terminate(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    """Run each point of the sweep; prints one JSON line per point, then the markdown table last.
    0 when no point had errors or lost appends, 1 otherwise (2: bad options, from argparse)."""
    args = parse_args(argv)
    previous = signal.signal(signal.SIGTERM, _terminate)
    reports: list[dict[str, Any]] = []
    try:
        for sessions in args.points:
            try:
                report = run_point(sessions, args)
            except KeyboardInterrupt as interrupt:
                log(f"interrupted ({str(interrupt) or 'Ctrl-C'}) at {sessions} readers")
                break
            reports.append(report)
            print(json.dumps(report), flush=True)
    finally:
        signal.signal(signal.SIGTERM, previous)
    print("\n".join(["", *table(reports)]), flush=True)
    complete = len(reports) == len(args.points)
    return 0 if complete and all(r["errors"] == 0 and r["lost_appends"] == 0 for r in reports) else 1


def count_features(path: Path) -> int | None:
    """Features in a GeoJSON file, None when it is not a FeatureCollection we can read."""
    try:
        return len(json.loads(path.read_text(encoding="utf-8"))["features"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


if __name__ == "__main__":
    sys.exit(main())
