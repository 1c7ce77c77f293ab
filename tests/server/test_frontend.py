"""The demo server's HTTP/1.1 front end over raw sockets: limits, framing, Host, timeouts."""

import contextlib
import io
import re
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erc8128.server import RunningServer, ServerConfig, start_server
from erc8128.server.frontend import FrontEndLimits, escape_for_log
from tests.support.demo_client import Agent, raw_exchange, send, send_request, status_of

AGENT = Agent("http-agent")
LOG = io.StringIO()


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    limits = FrontEndLimits(timeout_sec=2.0)
    running = start_server(ServerConfig(port=0, limits=limits, access_log=LOG))
    try:
        yield running
    finally:
        running.stop()


def request_bytes(server: RunningServer, head: str, body: bytes = b"") -> bytes:
    return head.replace("{host}", f"127.0.0.1:{server.port}").encode("latin-1") + body


def exchange(server: RunningServer, head: str, body: bytes = b"") -> bytes:
    return raw_exchange(server.port, request_bytes(server, head, body))


def reason_of(raw: bytes) -> str:
    import json  # noqa: PLC0415

    return str(json.loads(raw.split(b"\r\n\r\n", 1)[1])["reason"])


DISCOVERY = "GET /.well-known/erc8128 HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"


def test_baseline_request_is_answered(server: RunningServer) -> None:
    raw = exchange(server, DISCOVERY + "\r\n")
    assert status_of(raw) == 200
    head, body = raw.split(b"\r\n\r\n", 1)
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length")))
    assert length == len(body)


def test_request_line_over_8_kib_is_414(server: RunningServer) -> None:
    raw = exchange(server, "GET /" + "a" * 9000 + " HTTP/1.1\r\nHost: {host}\r\n\r\n")
    assert status_of(raw) == 414
    assert reason_of(raw) == "request_line_too_long"
    # Just under the limit is parsed (and is a 404: no such route).
    raw = exchange(server, "GET /" + "a" * 8000 + " HTTP/1.1\r\nHost: {host}\r\n"
                   "Connection: close\r\n\r\n")
    assert status_of(raw) == 404


def test_too_many_header_lines_is_431(server: RunningServer) -> None:
    headers = "".join(f"X-{i}: v\r\n" for i in range(101))
    raw = exchange(server, "GET / HTTP/1.1\r\nHost: {host}\r\n" + headers + "\r\n")
    assert status_of(raw) == 431
    assert reason_of(raw) == "too_many_header_lines"


def test_header_section_over_16_kib_is_431(server: RunningServer) -> None:
    headers = "".join(f"X-{i}: {'v' * 4000}\r\n" for i in range(5))
    raw = exchange(server, "GET / HTTP/1.1\r\nHost: {host}\r\n" + headers + "\r\n")
    assert status_of(raw) == 431
    one_huge_line = "X-Big: " + "v" * 20000 + "\r\n"
    raw = exchange(server, "GET / HTTP/1.1\r\nHost: {host}\r\n" + one_huge_line + "\r\n")
    assert status_of(raw) == 431
    assert reason_of(raw) == "header_section_too_large"


def test_body_over_1_mib_is_413_without_reading_it(server: RunningServer) -> None:
    raw = exchange(server, "POST /api/projects HTTP/1.1\r\nHost: {host}\r\n"
                   f"Content-Length: {1024 * 1024 + 1}\r\n\r\n")
    assert status_of(raw) == 413
    assert reason_of(raw) == "content_too_large"


@pytest.mark.parametrize(("head", "status", "reason"), [
    ("GET / HTTP/1.1\r\n\r\n", 400, "missing_host"),
    ("GET / HTTP/1.1\r\nHost: {host}\r\nHost: evil.example\r\n\r\n", 400, "duplicate_host"),
    ("GET / HTTP/1.1\r\nHost:\r\n\r\n", 400, "invalid_host"),
    ("POST / HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nContent-Length: 5\r\n\r\n",
     400, "duplicate_content_length"),
    ("POST / HTTP/1.1\r\nHost: {host}\r\nContent-Length: +5\r\n\r\n", 400,
     "invalid_content_length"),
    ("POST / HTTP/1.1\r\nHost: {host}\r\nContent-Length: -1\r\n\r\n", 400,
     "invalid_content_length"),
    ("POST / HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0x10\r\n\r\n", 400,
     "invalid_content_length"),
    ("POST / HTTP/1.1\r\nHost: {host}\r\nContent-Length: 5_0\r\n\r\n", 400,
     "invalid_content_length"),
    ("POST / HTTP/1.1\r\nHost: {host}\r\nContent-Length: 5, 5\r\n\r\n", 400,
     "invalid_content_length"),
    ("POST / HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501,
     "transfer_encoding_not_supported"),
    ("POST / HTTP/1.1\r\nHost: {host}\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
     501, "transfer_encoding_not_supported"),
    ("GET http://evil.example/.well-known/erc8128 HTTP/1.1\r\nHost: {host}\r\n\r\n", 400,
     "request_target_authority_mismatch"),
    ("GET https://{host}/.well-known/erc8128 HTTP/1.1\r\nHost: {host}\r\n\r\n", 400,
     "request_target_scheme_mismatch"),
    ("GET * HTTP/1.1\r\nHost: {host}\r\n\r\n", 400, "request_target_asterisk_form"),
    ("GET / HTTP/1.1\r\nHost: {host}\r\nX-A: a\x00b\r\n\r\n", 400,
     "field_value_control_character"),
    ("GET / HTTP/1.1\r\nHost: {host}\r\nX-A : b\r\n\r\n", 400, "field_name_not_token"),
    ("GET / HTTP/1.1\r\n Host: {host}\r\n\r\n", 400, "obs_fold_without_field"),
    ("GET / HTTP/1.1\r\nHost: {host}\r\nno colon\r\n\r\n", 400, "header_line_without_colon"),
    ("GET /\r\n\r\n", 400, "request_line_malformed"),
    ("GET / HTTP/2.0\r\nHost: {host}\r\n\r\n", 505, "http_version_not_supported"),
    ("GET / HTTP/1.1\r\nHost: {host}\r\nExpect: something\r\n\r\n", 417, "expectation_failed"),
    ("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400, "request_line_malformed"),
])
def test_malformed_requests_are_refused(server: RunningServer, head: str, status: int,
                                        reason: str) -> None:
    raw = exchange(server, head)
    assert status_of(raw) == status, raw[:200]
    assert reason_of(raw) == reason
    assert b"Connection: close" in raw
    assert b"Traceback" not in raw


def test_absolute_form_with_the_public_authority_is_accepted(server: RunningServer) -> None:
    raw = exchange(server, "GET http://{host}/.well-known/erc8128 HTTP/1.1\r\nHost: {host}\r\n"
                   "Connection: close\r\n\r\n")
    assert status_of(raw) == 200


def test_double_slash_path_is_not_collapsed(server: RunningServer) -> None:
    raw = exchange(server, "GET //.well-known/erc8128 HTTP/1.1\r\nHost: {host}\r\n"
                   "Connection: close\r\n\r\n")
    assert status_of(raw) == 404
    raw = exchange(server, "GET /.well-known/./erc8128 HTTP/1.1\r\nHost: {host}\r\n"
                   "Connection: close\r\n\r\n")
    assert status_of(raw) == 404


def test_obs_fold_is_unfolded_to_one_space_before_verification(server: RunningServer) -> None:
    from erc8128.http.message import Request  # noqa: PLC0415
    from erc8128.protocol.sign import sign_request  # noqa: PLC0415

    components = ("@scheme", "@authority", "@method", "@path", "@query", "x-a")

    def folded_whoami() -> bytes:
        request = Request("GET", server.url + "/api/whoami", (("X-A", "one two"),))
        signed = sign_request(request, AGENT.key, created=int(time.time()),
                              components=components)
        lines = [f"{n}: {v}" for n, v in signed.request.headers if n != "X-A"]
        head = "GET /api/whoami HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"
        return request_bytes(server, head + "X-A: one\r\n  two\r\n"
                             + "".join(line + "\r\n" for line in lines) + "\r\n")

    raw = raw_exchange(server.port, folded_whoami())
    assert status_of(raw) == 200, raw


def test_bare_lf_line_endings_are_accepted(server: RunningServer) -> None:
    data = request_bytes(server, DISCOVERY + "\r\n").replace(b"\r\n", b"\n")
    assert status_of(raw_exchange(server.port, data)) == 200


def test_keep_alive_answers_several_requests_on_one_connection(server: RunningServer) -> None:
    one = request_bytes(server, "GET /.well-known/erc8128 HTTP/1.1\r\nHost: {host}\r\n\r\n")
    missing = request_bytes(server, "GET /nope HTTP/1.1\r\nHost: {host}\r\n\r\n")
    last = request_bytes(server, DISCOVERY + "\r\n")
    raw = raw_exchange(server.port, one + missing + last)
    assert raw.count(b"HTTP/1.1 200 OK") == 2
    assert raw.count(b"HTTP/1.1 404 Not Found") == 1


def test_signed_requests_share_a_keep_alive_connection(server: RunningServer) -> None:
    import http.client  # noqa: PLC0415

    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        for _ in range(3):
            signed = AGENT.sign(server.url, "POST", "/api/projects", {"name": "k"})
            reply = send_request(server.bound_url, signed.request, connection=connection)
            assert reply.status == 201
    finally:
        connection.close()


def test_http_1_0_is_closed_after_one_answer(server: RunningServer) -> None:
    raw = exchange(server, "GET /.well-known/erc8128 HTTP/1.0\r\nHost: {host}\r\n\r\n")
    assert status_of(raw) == 200
    assert b"Connection: close" in raw


def test_expect_100_continue(server: RunningServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as connection:
        connection.sendall(request_bytes(
            server, "POST /api/projects HTTP/1.1\r\nHost: {host}\r\nContent-Length: 2\r\n"
            "Expect: 100-continue\r\nConnection: close\r\n\r\n"))
        interim = connection.recv(1024)
        assert interim.startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        connection.sendall(b"{}")
        rest = interim[len(b"HTTP/1.1 100 Continue\r\n\r\n"):]
        while chunk := connection.recv(65536):
            rest += chunk
    assert status_of(rest) == 401  # unsigned


def test_head_gets_no_body(server: RunningServer) -> None:
    raw = exchange(server, "HEAD /.well-known/erc8128 HTTP/1.1\r\nHost: {host}\r\n"
                   "Connection: close\r\n\r\n")
    head, body = raw.split(b"\r\n\r\n", 1)
    assert status_of(raw) == 405
    assert body == b""
    assert b"Content-Length: " in head


def test_stalled_client_is_timed_out_and_does_not_block_others(server: RunningServer) -> None:
    stalled = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    stalled_body = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    try:
        stalled.sendall(b"GET /.well-known/erc8128 HT")
        stalled_body.sendall(request_bytes(
            server, "POST /api/projects HTTP/1.1\r\nHost: {host}\r\nContent-Length: 100\r\n\r\n"
        ) + b'{"na')
        started = time.monotonic()
        assert send(server.bound_url, "GET", "/.well-known/erc8128").status == 200
        assert time.monotonic() - started < 1.5  # answered before the 2 s stall timeout
        # Both stalled connections are closed by the server after its 2 s timeout.
        assert stalled.recv(1024) == b""
        assert stalled_body.recv(1024) == b""
        assert time.monotonic() - started < 8
    finally:
        stalled.close()
        stalled_body.close()


def test_many_concurrent_connections_are_served(server: RunningServer) -> None:
    results: list[int] = []
    lock = threading.Lock()

    def fetch() -> None:
        status = send(server.bound_url, "GET", "/.well-known/erc8128").status
        with lock:
            results.append(status)

    threads = [threading.Thread(target=fetch) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200] * 40


def test_connection_limit_answers_503() -> None:
    limits = FrontEndLimits(max_connections=1, timeout_sec=2.0)
    with start_server(ServerConfig(port=0, limits=limits)) as limited:
        holder = socket.create_connection(("127.0.0.1", limited.port), timeout=5)
        try:
            time.sleep(0.2)
            raw = raw_exchange(limited.port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert status_of(raw) == 503
        finally:
            holder.close()


def test_access_log_escapes_control_characters(server: RunningServer) -> None:
    exchange(server, "GET /%0d%0a HTTP/1.1\r\nHost: {host}\r\nX-A: a\x1bb\r\n\r\n")
    for line in LOG.getvalue().splitlines():
        assert all(0x20 <= ord(c) < 0x7F for c in line)
    assert escape_for_log("a\r\nb\x1b[31m\u202e") == "a\\x0d\\x0ab\\x1b[31m\\u202e"
    assert escape_for_log("x" * 300, limit=10) == "x" * 10 + "..."


def test_stop_is_prompt_and_idempotent_even_if_never_served() -> None:
    never_served = start_server(ServerConfig(port=0), in_thread=False)
    stopper = threading.Thread(target=never_served.stop)
    stopper.start()
    stopper.join(timeout=5)
    assert not stopper.is_alive()
    served = start_server(ServerConfig(port=0, limits=FrontEndLimits(timeout_sec=30)))
    idle = socket.create_connection(("127.0.0.1", served.port), timeout=10)
    try:
        started = time.monotonic()
        served.stop()  # closes the idle keep-alive connection instead of waiting 30 s
        served.stop()
        assert time.monotonic() - started < 5
        try:
            closed = idle.recv(16) == b""
        except ConnectionResetError:  # closed before it was even accepted
            closed = True
        assert closed
    finally:
        idle.close()


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    line=st.binary(max_size=64),
    headers=st.lists(st.binary(max_size=40), max_size=6),
)
def test_fuzzed_requests_never_crash_the_server(server: RunningServer, line: bytes,
                                               headers: list[bytes]) -> None:
    data = line + b"\r\nHost: x\r\n" + b"\r\n".join(headers) + b"\r\n\r\n"
    raw = raw_exchange(server.port, data, timeout=5, half_close=True)
    # Status lines only: a problem body may itself say "HTTP/1.1 or HTTP/1.0".
    statuses = [int(code) for code in re.findall(rb"HTTP/1\.1 (\d{3}) ", raw)]
    assert statuses or not raw
    for status in statuses:
        assert 200 <= status < 600
        assert status != 500
    assert b"Traceback" not in raw


def test_a_trickling_client_gets_408_at_the_request_deadline() -> None:
    """A client that sends one byte just inside the per-read timeout cannot hold a thread past
    the whole-request deadline (FrontEndLimits.request_deadline_sec)."""
    limits = FrontEndLimits(timeout_sec=1.0, request_deadline_sec=2.0)
    with start_server(ServerConfig(port=0, limits=limits)) as running:
        trickle = socket.create_connection(("127.0.0.1", running.port), timeout=10)
        answered: list[tuple[float, bytes]] = []

        def read_answer() -> None:
            with contextlib.suppress(OSError):
                data = trickle.recv(4096)
                answered.append((time.monotonic(), data))

        reader = threading.Thread(target=read_answer)
        try:
            started = time.monotonic()
            trickle.sendall(b"GET /.well-known/erc8128 HTTP/1.1\r\n")
            reader.start()
            for _ in range(20):  # 6 s of one byte every 0.3 s, far past the 2 s deadline
                if answered:
                    break
                with contextlib.suppress(OSError):
                    trickle.sendall(b"X")
                time.sleep(0.3)
            reader.join(timeout=5)
            assert answered, "no answer"
            when, answer = answered[0]
            assert answer.startswith(b"HTTP/1.1 408 "), answer[:80]
            assert 1.5 < when - started < 3.5
            assert send(running.bound_url, "GET", "/.well-known/erc8128").status == 200
        finally:
            trickle.close()


def test_a_tls_handshake_on_the_plain_http_port_is_closed_at_once(server: RunningServer
                                                                   ) -> None:
    """A client that speaks https:// to the plain-HTTP demo server sends a TLS ClientHello and
    waits for a ServerHello; the server closes at once (an immediate handshake error for the
    client, not a wait for both timeouts), logs why, and keeps serving."""
    import ssl  # noqa: PLC0415

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as plain, \
            pytest.raises((ssl.SSLError, ConnectionResetError)):
        context.wrap_socket(plain, server_hostname="127.0.0.1")
    assert "sent a TLS handshake to this plain-HTTP port" in LOG.getvalue()
    assert status_of(exchange(server, DISCOVERY + "\r\n")) == 200
