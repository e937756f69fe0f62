"""A Streamlit browser session without a browser: the frontend's side of the websocket protocol, enough to
run a page, fill its text inputs and press its buttons on a real server, many sessions at once.

Playwright and Chromium cost about 100 MB per open page; 32 sessions signing in at once would measure the
browser, not the server. This speaks the same protobuf messages (BackMsg out, ForwardMsg in) over
`/_stcore/stream`, can send the request headers a reverse proxy would add (X-Forwarded-For), and reports what
each run put on the page: its alerts (error, warning, info, success), markdown and exceptions.
"""

from __future__ import annotations

import re
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import ClientConnection, connect

ALERTS = {Alert.ERROR: "error", Alert.WARNING: "warning", Alert.INFO: "info", Alert.SUCCESS: "success"}
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")  # Markdown's backslash escape of an ASCII punctuation mark


def as_read(markdown: str) -> str:
    """Markdown text as a reader sees it: escapes undone, invisible word joiners (geo.report.markup) dropped."""
    return _ESCAPED.sub(r"\1", markdown).replace("\u2060", "")


@dataclass
class Run:
    """What one script run showed: (kind, text as read) in page order; kind is an alert's format, "markdown" or
    "exception"."""

    shown: list[tuple[str, str]] = field(default_factory=list)

    def of(self, kind: str) -> list[str]:
        """The texts shown as `kind`."""
        return [text for shown_kind, text in self.shown if shown_kind == kind]


class PageSession:
    """One session of the app at `url` (http://host:port/), with `headers` sent on its websocket handshake,
    connecting from the local address `source` if given (any of 127.0.0.0/8 reaches a loopback server).

    `run()` reruns the page with the current widget values (and a button pressed, if named) and returns what
    that run showed; a run that ends in `st.rerun()` is followed into the run it starts."""

    def __init__(self, url: str, headers: dict[str, str] | None = None, timeout: float = 120,
                 source: str | None = None):
        self.timeout = timeout
        self.widget_ids: dict[str, str] = {}  # user key (or a form button's label) -> widget id
        self.values: dict[str, str] = {}  # widget id -> text input value
        self._stack = ExitStack()
        self._socket: ClientConnection = self._stack.enter_context(connect(
            url.replace("http://", "ws://").rstrip("/") + "/_stcore/stream", subprotocols=["streamlit"],
            additional_headers=headers or {}, max_size=None, open_timeout=timeout,
            **({"source_address": (source, 0)} if source else {})))
        self.first = self.run()

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> PageSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def type(self, key: str, text: str) -> None:
        """Set the text input with widget key `key` to `text` (sent with the next run, as a browser does)."""
        self.values[self.widget_ids[key]] = text

    def run(self, press: str | None = None) -> Run:
        """Rerun the page, pressing the button with key (or form-button label) `press` if given."""
        message = BackMsg()
        state = message.rerun_script
        state.query_string = ""
        state.page_script_hash = ""
        for widget_id, text in self.values.items():
            widget = state.widget_states.widgets.add()
            widget.id = widget_id
            widget.string_value = text
        if press is not None:
            widget = state.widget_states.widgets.add()
            widget.id = self.widget_ids[press]
            widget.trigger_value = True
        self._socket.send(message.SerializeToString())
        return self._receive()

    def _receive(self) -> Run:
        run = Run()
        while True:
            forward = ForwardMsg()
            forward.ParseFromString(self._socket.recv(timeout=self.timeout))
            kind = forward.WhichOneof("type")
            if kind == "delta" and forward.delta.WhichOneof("type") == "new_element":
                self._element(forward.delta.new_element, run)
            elif kind == "script_finished":
                if forward.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    run = Run()  # st.rerun(): what the next run shows is what the visitor sees
                    continue
                return run

    def _element(self, element: Any, run: Run) -> None:
        kind = element.WhichOneof("type")
        inner = getattr(element, kind)
        widget_id = getattr(inner, "id", "")
        if widget_id:
            key = widget_id.rsplit("-", 1)[-1]  # "$$ID-<hash>-<key>", a form button "...-FormSubmitter:form-Label"
            self.widget_ids[key] = widget_id
        if kind == "alert":
            run.shown.append((ALERTS.get(inner.format, "alert"), as_read(inner.body)))
        elif kind == "markdown":
            run.shown.append(("markdown", as_read(inner.body)))
        elif kind == "exception":
            run.shown.append(("exception", f"{inner.type}: {inner.message}"))
