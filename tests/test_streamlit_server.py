"""app.streamlit_server: Streamlit as `streamlit run` starts it, with Nagle's algorithm off on what it accepts."""

from __future__ import annotations

import http.client
import socket
import statistics
import time
from urllib.parse import urlsplit

from app.streamlit_server import with_tcp_protocol
from perf.appserver import wait_until_healthy
from tests.test_appserver import hello_app


def test_a_wrapped_bind_hands_on_the_same_socket_marked_tcp():
    plain = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    plain.bind(("127.0.0.1", 0))
    port = plain.getsockname()[1]
    sock = with_tcp_protocol(lambda: plain)()
    try:
        assert sock.proto == socket.IPPROTO_TCP and sock.getsockname()[1] == port and plain.fileno() == -1
    finally:
        sock.close()


def test_requests_on_a_kept_alive_connection_are_answered_without_waiting_for_the_delayed_ack(tmp_path):
    # With Nagle on (plain `streamlit run`), each request after the first on one connection waits ~40 ms for the
    # browser's delayed acknowledgement: the map frame's files and the websocket's messages all paid it.
    with hello_app(tmp_path) as (process, url):
        wait_until_healthy(process, url, 60)
        connection = http.client.HTTPConnection(urlsplit(url).hostname, urlsplit(url).port, timeout=10)
        took = []
        for _ in range(9):
            started = time.perf_counter()
            connection.request("GET", "/_stcore/health")
            assert connection.getresponse().read() == b"ok"
            took.append(time.perf_counter() - started)
        assert statistics.median(took[1:]) < 0.02, [round(t * 1000, 1) for t in took]
