"""`python -m app.streamlit_server run dashboard.py [options]`: Streamlit's own command, with Nagle's algorithm off.

Streamlit binds its listening socket itself, with protocol 0, so asyncio does not set TCP_NODELAY on the
connections it accepts (asyncio only does so for sockets whose protocol is IPPROTO_TCP). A reply written in two
parts then waits for the browser's delayed acknowledgement: about 40 ms for each file the map's frame loads after
the first on a kept-alive connection, and on websocket messages (the same bug as uvicorn#3149). Here the
listening socket is re-made with IPPROTO_TCP, so every accepted connection sends at once; nothing else changes.
If a Streamlit upgrade renames the private function this relies on, the server starts as plain Streamlit and says
so on stderr (tests/test_streamlit_server.py fails first).
"""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable

BIND = "streamlit.web.server.starlette.starlette_server._bind_socket"  # what is wrapped, for the message


def with_tcp_protocol(bind: Callable[..., socket.socket]) -> Callable[..., socket.socket]:
    """`bind`, whose socket is handed on as the same file descriptor marked IPPROTO_TCP."""

    def bound(*args: object, **kwargs: object) -> socket.socket:
        sock = bind(*args, **kwargs)
        return socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())

    return bound


def main(argv: list[str] | None = None) -> int:
    """Run Streamlit's command line with `argv` (default sys.argv[1:]) and Nagle off; its exit code."""
    try:
        from streamlit.web.server.starlette import starlette_server

        starlette_server._bind_socket = with_tcp_protocol(starlette_server._bind_socket)
    except (ImportError, AttributeError):
        print(f"streamlit_server: {BIND} not found; serving with Streamlit's own sockets", file=sys.stderr)
    from streamlit.web.cli import main as streamlit_main

    sys.argv = ["streamlit", *(sys.argv[1:] if argv is None else argv)]
    try:
        streamlit_main()
    except SystemExit as done:
        return int(done.code or 0) if not isinstance(done.code, str) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
