"""Helpers for the demo-server tests: keys, signed requests, loopback HTTP (no tests here)."""

import hashlib
import http.client
import json
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from erc8128.crypto.addresses import address_of
from erc8128.http.message import Request
from erc8128.protocol.sign import SignedRequest, sign_request

__all__ = ["Agent", "Reply", "raw_exchange", "send", "send_request"]


@dataclass(frozen=True)
class Reply:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        return values[0] if values else None

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Agent:
    """A test key named by a seed; the key is derived, never printed."""

    seed: str

    @property
    def key(self) -> bytes:
        return hashlib.sha256(self.seed.encode()).digest()

    @property
    def address(self) -> str:
        return address_of(self.key)

    def sign(self, base_url: str, method: str, target: str, body: object = None, *,
             created: int | None = None, raw_body: bytes | None = None,
             content_type: str | None = "application/json", **options: Any) -> SignedRequest:
        headers: tuple[tuple[str, str], ...] = ()
        content = raw_body
        if body is not None:
            content = json.dumps(body).encode()
        if content is not None and content_type is not None:
            headers = (("Content-Type", content_type),)
        request = Request(method, base_url + target, headers, content)
        return sign_request(request, self.key,
                            created=int(time.time()) if created is None else created, **options)


def _split(url: str) -> tuple[str, int]:
    host_port = url.split("://", 1)[1].split("/", 1)[0]
    host, port = host_port.rsplit(":", 1)
    return host, int(port)


def send_request(bound_url: str, request: Request, *,
                 connection: http.client.HTTPConnection | None = None) -> Reply:
    """Send ``request`` (its method, path+query, header lines and body) to ``bound_url``."""
    host, port = _split(bound_url)
    target = "/" + request.target_uri.split("://", 1)[1].split("/", 1)[1]
    own = connection is None
    conn = connection or http.client.HTTPConnection(host, port, timeout=20)
    try:
        conn.putrequest(request.method, target, skip_accept_encoding=True)
        for name, value in request.headers:
            conn.putheader(name, value)
        if request.body is not None:
            conn.putheader("Content-Length", str(len(request.body)))
        conn.endheaders(request.body)
        response = conn.getresponse()
        body = response.read()
        return Reply(response.status, tuple(response.getheaders()), body)
    finally:
        if own:
            conn.close()


def send(bound_url: str, method: str, target: str,
         headers: Sequence[tuple[str, str]] = ()) -> Reply:
    """An unsigned request."""
    host, port = _split(bound_url)
    conn = http.client.HTTPConnection(host, port, timeout=20)
    try:
        conn.putrequest(method, target, skip_accept_encoding=True)
        for name, value in headers:
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        return Reply(response.status, tuple(response.getheaders()), response.read())
    finally:
        conn.close()


def raw_exchange(port: int, data: bytes, *, timeout: float = 10.0, read_all: bool = True,
                 half_close: bool = False) -> bytes:
    """Send raw bytes (then, if half_close, shut the sending side), then read until the server
    closes (or one answer if not read_all)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(data)
        if half_close:
            connection.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            try:
                chunk = connection.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not chunk:
                break
            chunks.append(chunk)
            if not read_all and b"\r\n\r\n" in b"".join(chunks):
                break
        return b"".join(chunks)


def status_of(raw: bytes) -> int:
    return int(raw.split(b" ", 2)[1])
