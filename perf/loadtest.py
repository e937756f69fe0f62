"""Bounded load test: N real Streamlit sessions change filters while an editor appends events.

What is driven: `streamlit run dashboard.py` on a free 127.0.0.1 port, with BORDER_DATA pointing at a
temporary copy of the dataset. Each session is a websocket client that speaks Streamlit's own protocol
(`streamlit.proto` messages over `/_stcore/stream`), as the browser's frontend does:

- it asks `/_stcore/health` first (that response sets the `_streamlit_xsrf` cookie), then opens the
  websocket with the subprotocols `["streamlit", <xsrf cookie>]`, the cookie and a same-origin Origin;
- it sends a `BackMsg.rerun_script` (a `ClientState`: query string, page script hash, every widget's
  current value, the hashes of the messages it has cached, browser context) and reads `ForwardMsg`s:
  `new_session` (a run starts), `delta` (elements: widgets with their ids and values, markdown,
  exceptions, alerts), `page_info_changed` (the URL's query string), `session_event`, `script_finished`;
- it keeps a ForwardMsg cache like the frontend's (`metadata.cacheable` messages by hash, aged by
  completed runs, `max_cached_message_age` from `new_session`), declares those hashes in each rerun and
  resolves `ref_hash` messages from it (a miss is an error).

Each session then loops until the deadline: think 0.2-1.0 s (seeded), change one filter (an event type
removed or added, a layer, corroborated, undated, the date range, the border distance, the search
text, the map date, the chosen event), send the rerun with all widget states, and time it from send
to that run's `script_finished` (the "rerun latency"). An editor appends a one-event candidates file
every max(2, S/10) s with `python -m geo add`.

What counts as an error: a run that ends in a compile error or does not end within RERUN_TIMEOUT_S,
an `exception` element (warnings excluded), an `st.error` alert (the dashboard shows one, and stops,
when the dataset is invalid), a run that does not print the "**X of Y events shown**" line, a rerun
sent after an append finished that shows fewer events than the file then had ("stale"), a websocket
that drops, an unresolvable `ref_hash`, a `geo add` that exits non-zero, a Traceback in the server log
that no session saw as an exception. A run counts once however many problems it had. Sessions see
exceptions redacted (`client.showErrorDetails = "none"`), so the JSON's `server_exceptions` gives the
exception lines from the server log.
Lost appends: an appended id missing from the final file, or a session whose first rerun after the
last append does not show the final number of events.

Output: progress on stderr; the last stdout line is one JSON object (sessions, seconds, reruns, errors,
error_examples, appends, lost_appends, p50_s, p95_s, max_s, server_rss_mb, and details). Exit 0 when
there were no errors and no lost appends, else 1.

Run: `python -m perf loadtest --sessions 20 --seconds 60 [--data PATH] [--port P]`.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

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
FIRST_RUN_TIMEOUT_S = 120  # the first run of 20 sessions at once (cold caches) may take a while
RERUN_TIMEOUT_S = 60  # one rerun, send to script_finished
ADD_TIMEOUT_S = 60  # one `python -m geo add`
MAX_MESSAGE_BYTES = 64 * 2**20  # the map component alone is ~300 kB
THINK_S = (0.2, 1.0)
SEARCH_WORDS = ("", "", "Hunchun", "Dandong", "workers", "bridge", "Sinuiju")
SHOWN = re.compile(r"\*\*([\d,]+) of ([\d,]+) events shown\*\*")
WIDGETS = {"checkbox", "multiselect", "slider", "selectbox", "text_input"}  # those this dashboard has and we send
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


# --- Results shared by the sessions and the editor ------------------------------------------------

@dataclass
class Stats:
    """Everything measured; turned into the final JSON line."""

    sessions: int
    seconds: float
    errors: int = 0
    error_examples: list[str] = field(default_factory=list)
    example_kinds: set[str] = field(default_factory=set)  # error texts without their session
    latencies: list[float] = field(default_factory=list)
    first_loads: list[float] = field(default_factory=list)
    stale_reruns: int = 0
    appended: list[tuple[float, str, int]] = field(default_factory=list)  # (monotonic done, id, total after)
    lost: list[str] = field(default_factory=list)
    initial_total: int | None = None
    final_total: int | None = None
    server_rss_kb: int | None = None
    server_cpu_s: float | None = None
    server_exceptions: dict[str, int] = field(default_factory=dict)  # the server log's exception lines
    exception_runs: int = 0
    bytes_received: int = 0
    cache_hits: int = 0

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

    def report(self) -> dict[str, Any]:
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 3)

        return {
            "sessions": self.sessions, "seconds": self.seconds, "reruns": len(self.latencies),
            "errors": self.errors, "error_examples": self.error_examples, "appends": len(self.appended),
            "lost_appends": len(self.lost), "p50_s": rounded(percentile(self.latencies, 0.50)),
            "p95_s": rounded(percentile(self.latencies, 0.95)),
            "max_s": rounded(max(self.latencies) if self.latencies else None),
            "server_rss_mb": None if self.server_rss_kb is None else round(self.server_rss_kb / 1024, 1),
            "first_load_max_s": rounded(max(self.first_loads) if self.first_loads else None),
            "stale_reruns": self.stale_reruns, "lost_examples": [short(t) for t in self.lost[:5]],
            "events_before": self.initial_total, "events_after": self.final_total,
            "server_exceptions": dict(list(self.server_exceptions.items())[:5]),
            "server_cpu_s": rounded(self.server_cpu_s), "client_cpu_s": round(time.process_time(), 1),
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

    def __init__(self, index: int, port: int, stats: Stats) -> None:
        self.index = index
        self.port = port
        self.stats = stats
        self.rng = random.Random(SEED + index)
        self.ws: ClientConnection | None = None
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
        """What the frontend does: ping /_stcore/health (which sets the XSRF cookie), open the websocket."""
        base = f"127.0.0.1:{self.port}"

        def health() -> str | None:
            with NO_PROXY.open(f"http://{base}/_stcore/health", timeout=CONNECT_TIMEOUT_S) as response:
                cookies = SimpleCookie()
                for header in response.headers.get_all("Set-Cookie") or []:
                    cookies.load(header)
                morsel = cookies.get("_streamlit_xsrf")
                return morsel.value if morsel else None

        xsrf = await asyncio.to_thread(health)
        headers = {"Cookie": f"_streamlit_xsrf={xsrf}"} if xsrf else {}
        self.ws = await connect(f"ws://{base}/_stcore/stream", origin=f"http://{base}",
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
                                          (1, keys["include_undated"]), (1, link.DATES_KEY),
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
                                                 url=f"http://127.0.0.1:{self.port}/", is_embedded=False,
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


async def drive_session(session: Session, stats: Stats, deadline: float, editor_done: asyncio.Event) -> None:
    """Change filters until the deadline, then (after the editor's last append) rerun once more."""
    try:
        while time.monotonic() < deadline:
            await asyncio.sleep(min(session.rng.uniform(*THINK_S), max(0.0, deadline - time.monotonic())))
            if time.monotonic() >= deadline:
                break
            change = session.change()
            result = await session.rerun(change[1] if change else None, RERUN_TIMEOUT_S)
            stats.latencies.append(result.seconds)
            judge(session, result, stats)
        try:
            await asyncio.wait_for(editor_done.wait(), ADD_TIMEOUT_S + 10)
        except TimeoutError:
            stats.error(f"{session.name}: the editor did not finish")
            return
        change = session.change()
        result = await session.rerun(change[1] if change else None, RERUN_TIMEOUT_S)
        stats.latencies.append(result.seconds)
        judge(session, result, stats)
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
    """Every max(2, S/10) s until S - 1 s, append one event with `python -m geo add`."""
    try:
        features = json.loads(data.read_text(encoding="utf-8"))["features"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        features = []
        stats.error(f"editor: cannot read the dataset copy to build candidates ({error})")
    if not features:  # an empty (or unreadable) dataset: copy features of the bundled one
        features = json.loads(DEFAULT_DATA.read_text(encoding="utf-8"))["features"]
        log(f"editor: {data.name} has no feature to copy; candidates copy features of {DEFAULT_DATA.name}")
    interval = max(2.0, seconds / 10)
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
            try:
                output, _ = await asyncio.wait_for(process.communicate(), ADD_TIMEOUT_S)
            except TimeoutError:
                process.kill()
                await process.wait()
                stats.error(f"editor: `geo add` of loadtest-{number} took over {ADD_TIMEOUT_S} s")
                continue
            text = output.decode("utf-8", "replace")
            if process.returncode != 0:
                stats.error(f"editor: `geo add` of loadtest-{number} exited {process.returncode}: {text}")
                continue
            total = (stats.appended[-1][2] if stats.appended else (stats.initial_total or 0)) + 1
            stats.appended.append((time.monotonic(), feature["properties"]["id"], total))
            log(f"[{time.monotonic() - start:5.1f} s] appended loadtest-{number} ({total} events)")
    finally:
        editor_done.set()


async def watch_memory(pid: int, stats: Stats, stop: asyncio.Event) -> None:
    """Peak resident memory of the server: VmHWM from /proc (the kernel's own peak), polled."""
    while True:
        peak = read_peak_rss_kb(pid)
        if peak is not None:
            stats.server_rss_kb = max(stats.server_rss_kb or 0, peak)
        try:
            await asyncio.wait_for(stop.wait(), 1.0)
            return
        except TimeoutError:
            pass


def read_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of a process so far, from /proc/<pid>/stat."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def read_peak_rss_kb(pid: int) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M) or re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
    return int(found.group(1)) if found else None


async def drive(port: int, pid: int, data: Path, folder: Path, stats: Stats) -> None:
    """Open the sessions, run the load for S seconds with the editor, then check for lost appends."""
    stop_watch = asyncio.Event()
    watcher = asyncio.create_task(watch_memory(pid, stats, stop_watch))
    sessions = [Session(i, port, stats) for i in range(stats.sessions)]

    async def open_session(session: Session) -> Session | None:
        try:
            await asyncio.wait_for(session.connect(), CONNECT_TIMEOUT_S)
            result = await session.rerun(None, FIRST_RUN_TIMEOUT_S)
        except (SessionBroken, OSError, TimeoutError, WebSocketException) as error:
            stats.error(f"{session.name}: could not open ({error!r})")
            await session.close()
            return None
        stats.first_loads.append(result.seconds)
        judge(session, result, stats)
        return session

    try:
        opened = time.monotonic()
        live = [s for s in await asyncio.gather(*(open_session(s) for s in sessions)) if s is not None]
        log(f"{len(live)} of {len(sessions)} sessions loaded the page in {time.monotonic() - opened:.1f} s; "
            f"sessions running for {stats.seconds:g} s")
        start = time.monotonic()
        editor_done = asyncio.Event()
        await asyncio.gather(edit(data, folder, stats, start, stats.seconds, editor_done),
                             *(drive_session(s, stats, start + stats.seconds, editor_done) for s in live))
        log(f"load done after {time.monotonic() - start:.1f} s: {len(stats.latencies)} reruns, "
            f"{stats.bytes_received / 1e6:.1f} MB received, {stats.cache_hits} cached-message hits")
    finally:
        stop_watch.set()
        await watcher
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
        if not after:
            stats.lost.append(f"{session.name} never reran after the last append")
        elif after[0].total is None:
            stats.lost.append(f"{session.name}'s first rerun after the last append showed no event count "
                              f"(the run failed); the file has {stats.final_total}")
        elif after[0].total != stats.final_total:
            stats.lost.append(f"{session.name} showed {after[0].total} events after the last append, "
                              f"the file has {stats.final_total}")


# --- The server -----------------------------------------------------------------------------------

def start_server(port: int, data: Path, log_path: Path) -> subprocess.Popen:
    """`streamlit run dashboard.py` on 127.0.0.1:port in its own process group."""
    env = {**os.environ, "BORDER_DATA": str(data)}
    command = streamlit_command("dashboard.py", port)
    with log_path.open("wb") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)


def wait_healthy(process: subprocess.Popen, port: int, log_path: Path) -> None:
    wait_until_healthy(process, f"http://127.0.0.1:{port}/", STARTUP_TIMEOUT_S, lambda: tail(log_path))


def stop_server(process: subprocess.Popen) -> None:
    """End the server's whole process group: SIGTERM, then SIGKILL after 10 s, then any leftovers."""
    stop_process_group(process)


def tail(path: Path, lines: int = 15) -> str:
    try:
        return " | ".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def server_tracebacks(log_path: Path) -> list[str]:
    """The exception line ending each Traceback in the server log."""
    try:
        lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    found = []
    for i, line in enumerate(lines):
        if line.startswith("Traceback (most recent call last)"):
            rest = [x for x in lines[i + 1:i + 200] if x and not x.startswith(" ")]
            found.append(rest[0] if rest else line)
    return found


# --- Entry point ----------------------------------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m perf loadtest", description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, required=True, metavar="N", help="websocket sessions (1-200)")
    parser.add_argument("--seconds", type=float, required=True, metavar="S", help="load duration (1-3600)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, metavar="PATH",
                        help="events file to copy (default: bundled)")
    parser.add_argument("--port", type=int, default=None, metavar="P", help="loopback port (default: a free one)")
    args = parser.parse_args(argv)
    if not 1 <= args.sessions <= 200:
        parser.error("--sessions must be between 1 and 200")
    if not 1 <= args.seconds <= 3600:
        parser.error("--seconds must be between 1 and 3600")
    if args.port is not None and not 1 <= args.port <= 65535:
        parser.error("--port must be between 1 and 65535")
    return args


def _terminate(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    """Run the load test; prints the JSON line last on stdout; 0 when no errors and no lost appends."""
    args = parse_args(argv)
    seconds = int(args.seconds) if float(args.seconds).is_integer() else args.seconds
    stats = Stats(sessions=args.sessions, seconds=seconds)
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        with tempfile.TemporaryDirectory(prefix="loadtest-") as tmp:
            folder = Path(tmp)
            data = folder / "events.geojson"
            try:
                shutil.copyfile(args.data, data)
                stats.initial_total = count_features(data)
            except OSError as error:
                stats.error(f"cannot copy {args.data}: {error}")
                return finish(stats)
            port = args.port or free_port()
            log_path = folder / "streamlit.log"
            process = start_server(port, data, log_path)
            log(f"server pid {process.pid} on 127.0.0.1:{port}, data {args.data} "
                f"({stats.initial_total} events) copied to {data}")
            try:
                wait_healthy(process, port, log_path)
                asyncio.run(drive(port, process.pid, data, folder, stats))
                tracebacks = server_tracebacks(log_path)
                for line in tracebacks:
                    stats.server_exceptions[short(line, 160)] = stats.server_exceptions.get(short(line, 160), 0) + 1
                # Clients see exceptions redacted (client.showErrorDetails = "none"); the log has them in full.
                # Tracebacks beyond the runs that showed an exception reached no client: errors too.
                for line in tracebacks[stats.exception_runs:]:
                    stats.error(f"server log: {line}")
            except RuntimeError as error:
                stats.error(str(error))
            except KeyboardInterrupt as interrupt:
                stats.error(f"interrupted ({str(interrupt) or 'Ctrl-C'})")
            finally:
                peak = read_peak_rss_kb(process.pid)
                if peak is not None:
                    stats.server_rss_kb = max(stats.server_rss_kb or 0, peak)
                stats.server_cpu_s = read_cpu_s(process.pid)
                stop_server(process)
                log(f"server stopped (exit {process.returncode})")
    finally:
        signal.signal(signal.SIGTERM, previous)
    return finish(stats)


def count_features(path: Path) -> int | None:
    """Features in a GeoJSON file, None when it is not a FeatureCollection we can read."""
    try:
        return len(json.loads(path.read_text(encoding="utf-8"))["features"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def finish(stats: Stats) -> int:
    report = stats.report()
    print(json.dumps(report), flush=True)
    return 0 if report["errors"] == 0 and report["lost_appends"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
