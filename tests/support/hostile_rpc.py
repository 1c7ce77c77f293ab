"""A tiny local HTTP server that answers JSON-RPC requests with whatever a test tells it to:
huge, malformed, wrong-typed, slow or silent answers. Loopback only; each connection is handled
on its own daemon thread and every slow behaviour stops when the test closes the server."""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Behaviour",
    "HostileRpcServer",
    "http_response",
    "json_answer",
    "silent",
    "sleep_then",
    "trickle",
]

Behaviour = Callable[[socket.socket, dict[str, Any], threading.Event], None]


def http_response(body: bytes, status: str = "200 OK", extra: str = "") -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n{extra}\r\n"
    )
    return head.encode("ascii") + body


def json_answer(answer_for: Callable[[dict[str, Any]], object]) -> Behaviour:
    """A behaviour that sends ``answer_for(request)`` as a JSON body with status 200."""

    def behaviour(conn: socket.socket, request: dict[str, Any], stop: threading.Event) -> None:
        conn.sendall(http_response(json.dumps(answer_for(request)).encode()))

    return behaviour


def _read_request(conn: socket.socket) -> dict[str, Any]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return {}
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    try:
        parsed: dict[str, Any] = json.loads(body)
    except ValueError:
        return {}
    return parsed


@dataclass
class HostileRpcServer:
    """Serves ``behaviour`` on 127.0.0.1:<port>; records every JSON-RPC request it received."""

    behaviour: Behaviour
    requests: list[dict[str, Any]] = field(default_factory=list)
    port: int = 0
    tls: ssl.SSLContext | None = None  # serve HTTPS with this server-side context
    _listener: socket.socket | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    @property
    def url(self) -> str:
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def __enter__(self) -> HostileRpcServer:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        listener.settimeout(0.05)
        self._listener = listener
        self.port = listener.getsockname()[1]
        accept = threading.Thread(target=self._accept_loop, daemon=True)
        accept.start()
        self._threads.append(accept)
        return self

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            worker = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            worker.start()
            self._threads.append(worker)

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                if self.tls is not None:
                    conn = self.tls.wrap_socket(conn, server_side=True)
                request = _read_request(conn)
                self.requests.append(request)
                self.behaviour(conn, request, self._stop)
            except OSError:
                pass  # the client gave up (timeout or limit): exactly what is being tested

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        if self._listener is not None:
            self._listener.close()
        for thread in self._threads:
            thread.join(timeout=5)


def trickle(payload: bytes, interval: float) -> Behaviour:
    """Send ``payload`` one byte every ``interval`` seconds (forever if it repeats)."""

    def behaviour(conn: socket.socket, request: dict[str, Any], stop: threading.Event) -> None:
        for byte in payload:
            if stop.wait(interval):
                return
            conn.sendall(bytes((byte,)))

    return behaviour


def silent(conn: socket.socket, request: dict[str, Any], stop: threading.Event) -> None:
    """Accept, read the request, never answer (until the server closes)."""
    stop.wait(30)


def sleep_then(seconds: float, behaviour: Behaviour) -> Behaviour:
    def delayed(conn: socket.socket, request: dict[str, Any], stop: threading.Event) -> None:
        if not stop.wait(seconds):
            behaviour(conn, request, stop)

    return delayed

