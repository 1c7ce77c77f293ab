"""The inspector and builder endpoints under hostile JSON and costly pastes, over loopback
(issue 19, findings 2-4; decision D79): no JSON makes them answer 500, the inspector's failed
recoveries are charged to the per-address failure budget, and every answer carries nosniff."""

import base64
import contextlib
import json
import os
import re
import socket
from collections.abc import Iterator

import pytest

from erc8128.server import RunningServer, ServerConfig, start_server
from erc8128.server.pages import examples
from tests.support.demo_client import Agent, Reply, raw_exchange, send, send_request

ABUSER = "127.0.0.2"
LEGITIMATE = "127.0.0.10"


@pytest.fixture
def server() -> Iterator[RunningServer]:
    with start_server(ServerConfig(port=0)) as running:
        yield running


def post(server: RunningServer, path: str, body: bytes, *, source: str = "127.0.0.1") -> Reply:
    """One POST from ``source``. Raw socket: an address over its budget is answered 429 at
    accept time and closed, possibly before the body is sent; the answer is still read."""
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=20,
                                  source_address=(source, 0)) as connection:
        with contextlib.suppress(OSError):
            connection.sendall(head + body)
        chunks = []
        with contextlib.suppress(OSError):
            while chunk := connection.recv(65536):
                chunks.append(chunk)
    response_head, _, content = b"".join(chunks).partition(b"\r\n\r\n")
    status_line, *lines = response_head.decode("latin-1").split("\r\n")
    headers = tuple((name, value.strip()) for name, _, value in
                    (line.partition(":") for line in lines))
    return Reply(int(status_line.split()[1]), headers, content)


def header(reply: Reply, name: str) -> list[str]:
    return [value for key, value in reply.headers if key.lower() == name]


HUGE_INTEGER = b"9" * 5000
LONE_SURROGATE = b'"\\ud800"'


@pytest.mark.parametrize("path, body", [
    ("/api/inspect", b'{"raw":"GET / HTTP/1.1\\nHost: a\\n\\n","now":' + HUGE_INTEGER + b"}"),
    ("/api/build", b'{"url":"https://a.example/","created":' + HUGE_INTEGER + b"}"),
    ("/api/inspect", b'{"raw":' + LONE_SURROGATE + b"}"),
    ("/api/build", b'{"url":"https://a.example/","body":' + LONE_SURROGATE + b"}"),
    ("/api/build", b'{"url":"https://a.example/","headers":[["x",' + LONE_SURROGATE + b"]]}"),
    ("/api/inspect", b'{"raw":"x","raw":"y"}'),
    ("/api/inspect", b'{"raw":"x","now":NaN}'),
])
def test_hostile_json_is_400_invalid_json(server: RunningServer, path: str, body: bytes) -> None:
    # Before D79: the 5,000-digit integer was a ValueError and the lone surrogate a
    # UnicodeEncodeError, both answered 500.
    reply = post(server, path, body)
    assert reply.status == 400, reply.body
    assert reply.json()["reason"] == "invalid_json"


def test_surrogate_pair_escape_is_accepted(server: RunningServer) -> None:
    reply = post(server, "/api/build",
                 b'{"url":"https://a.example/","body":"\\ud83d\\ude00","key":"test"}')
    assert reply.status == 200, reply.body
    assert reply.json()["raw"].endswith("\U0001f600")


def bogus_paste(candidates: int = 8) -> str:
    """The draft's positive vector with ``candidates`` Signature-Input members, each with the
    same parameters and a random (bogus) 65-byte signature: each costs a recovery."""
    raw = examples()[0].raw
    inputs = re.search(r"^Signature-Input: request=(.*)$", raw, re.MULTILINE)
    assert inputs is not None
    labels = [f"c{index}" for index in range(candidates)]
    signature_input = ", ".join(f"{label}={inputs.group(1)}" for label in labels)
    signature = ", ".join(
        f"{label}=:{base64.b64encode(os.urandom(64) + bytes([27])).decode()}:" for label in labels)
    raw = re.sub(r"^Signature-Input: .*$", f"Signature-Input: {signature_input}", raw,
                 flags=re.MULTILINE)
    return re.sub(r"^Signature: .*$", f"Signature: {signature}", raw, flags=re.MULTILINE)


def test_costly_pastes_are_charged_to_the_failure_budget(server: RunningServer) -> None:
    # Before D79 every one of these 12 calls was answered 200 (16+ recoveries each, uncharged).
    paste = json.dumps({"raw": bogus_paste(), "public_url": "https://api.example",
                        "now": 1700000001, "replay": True}).encode()
    statuses = [post(server, "/api/inspect", paste, source=ABUSER).status for _ in range(12)]
    # Budget 64 failed verifications per 10 s; a call costs 16 (two runs) + 8 (commentary).
    assert statuses.count(200) <= 3, statuses
    assert statuses[-1] == 429, statuses
    # Another address is not affected: the legitimate client's inspection verifies.
    good = json.dumps({"raw": examples()[0].raw, "public_url": "https://api.example",
                       "now": 1700000001}).encode()
    reply = post(server, "/api/inspect", good, source=LEGITIMATE)
    assert reply.status == 200, reply.body
    assert reply.json()["verdict"] == "verified"
    # And a successful inspection charges nothing: it can be repeated past the budget's size.
    for _ in range(5):
        assert post(server, "/api/inspect", good, source=LEGITIMATE).status == 200


def test_every_answer_carries_nosniff(server: RunningServer) -> None:
    agent = Agent("nosniff agent")
    replies = [
        send(server.bound_url, "GET", "/"),  # a page
        send(server.bound_url, "GET", "/api/examples"),  # API JSON
        send(server.bound_url, "GET", "/api/nothing-here"),  # problem+json 404
        send(server.bound_url, "GET", "/api/whoami"),  # 401 challenge
        post(server, "/api/inspect", b"{"),  # 400 from the inspector
        send_request(server.bound_url,  # a signed API answer
                     agent.sign(server.url, "POST", "/api/projects", {"name": "n"}).request),
    ]
    for reply in replies:
        assert header(reply, "x-content-type-options") == ["nosniff"], (reply.status,
                                                                         reply.headers)
    # A front-end refusal (400 before the app sees the request) too.
    raw = raw_exchange(server.port, b"GET / HTTP/1.1\r\n\r\n")
    assert b"\r\nX-Content-Type-Options: nosniff\r\n" in raw.split(b"\r\n\r\n")[0] + b"\r\n"
