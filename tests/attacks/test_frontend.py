"""Attacks on the demo server's front end over loopback sockets (issue 11, findings 2, 8, 12;
decision D34): a trickled request line, slow clients from one address, keyless bogus candidates,
invite-code guessing, a malformed Host, and the connection-limit answer's body.

Attackers connect from 127.0.0.2 (Linux routes all of 127/8 to the loopback interface), the
legitimate client from 127.0.0.1, as distinct hosts would. Every test is bounded in time.
"""

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from erc8128.http.message import Request
from erc8128.protocol.sign import sign_request
from erc8128.server import RunningServer, ServerConfig, start_server
from erc8128.server.budget import ConnectionCounter, FailureBudget
from erc8128.server.frontend import FrontEndLimits
from tests.support.demo_client import Agent, send, send_request, status_of

LEGIT = Agent("frontend legit")
ATTACKER = Agent("frontend attacker")
ATTACKER_ADDRESS = "127.0.0.2"


@contextlib.contextmanager
def serving(**limits: float) -> Iterator[RunningServer]:
    config = ServerConfig(port=0, limits=FrontEndLimits(**limits))  # type: ignore[arg-type]
    with start_server(config) as running:
        yield running


def connect(server: RunningServer, source: str = ATTACKER_ADDRESS) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=5,
                                    source_address=(source, 0))


def read_answer(connection: socket.socket) -> bytes:
    data = b""
    with contextlib.suppress(OSError):
        while chunk := connection.recv(65536):
            data += chunk
    return data


def problem_of(raw: bytes) -> dict[str, object]:
    head, body = raw.split(b"\r\n\r\n", 1)
    assert b"Content-Type: application/problem+json" in head, head
    document: dict[str, object] = json.loads(body)
    return document


def wire(server: RunningServer, request: Request) -> bytes:
    target = "/" + request.target_uri.split("://", 1)[1].split("/", 1)[1]
    lines = [f"{request.method} {target} HTTP/1.1", f"Host: 127.0.0.1:{server.port}"]
    lines += [f"{name}: {value}" for name, value in request.headers if name != "Connection"]
    lines.append("Connection: close")
    if request.body is not None:
        lines.append(f"Content-Length: {len(request.body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (request.body or b"")


def bogus_candidates(server: RunningServer, count: int = 8) -> bytes:
    """A keyless attack: ``count`` candidates, each with the signature made for the next one (the
    last with one made for no candidate), so each needs a full public-key recovery to fail."""
    now = int(time.time())
    members = []
    for index in range(count + 1):
        signed = sign_request(Request("GET", server.url + "/api/whoami", (), None), ATTACKER.key,
                              created=now, label=f"eth{index}")
        members.append((signed.request.field_lines("signature-input")[0],
                        signed.request.field_lines("signature")[0].split("=", 1)[1]))
    headers = (
        ("Signature-Input", ", ".join(member for member, _ in members[:count])),
        ("Signature", ", ".join(f"eth{i}={members[i + 1][1]}" for i in range(count))),
    )
    return wire(server, Request("GET", server.url + "/api/whoami", headers, None))


def legit_whoami(server: RunningServer) -> int:
    signed = LEGIT.sign(server.url, "GET", "/api/whoami")
    return send_request(server.bound_url, signed.request).status


# ---- finding 2: the request line is covered by the request deadline ------------------------------
def test_a_trickled_request_line_gets_408_at_the_deadline() -> None:
    with serving(timeout_sec=1.0, request_deadline_sec=2.0) as server:
        trickle = connect(server)
        answered: list[tuple[float, bytes]] = []

        def reader() -> None:
            raw = read_answer(trickle)
            answered.append((time.monotonic(), raw))

        thread = threading.Thread(target=reader)
        try:
            started = time.monotonic()
            thread.start()
            for byte in b"GET /.well-known/erc8128 HTTP/1.1":  # never a complete line
                if answered:
                    break
                with contextlib.suppress(OSError):
                    trickle.sendall(bytes([byte]))
                time.sleep(0.3)
            thread.join(timeout=5)
            assert answered, "no answer"
            when, raw = answered[0]
            assert status_of(raw) == 408, raw[:100]
            assert problem_of(raw)["reason"] == "request_timeout"
            assert 1.5 < when - started < 3.5
        finally:
            trickle.close()


# ---- slow clients from one address cannot take every connection ---------------------------------
def test_one_address_holds_at_most_its_connection_share() -> None:
    with serving(max_connections=8, connections_per_address=3, timeout_sec=5.0) as server:
        held = [connect(server) for _ in range(3)]
        try:
            time.sleep(0.2)
            extra = connect(server)
            raw = read_answer(extra)
            extra.close()
            assert status_of(raw) == 429
            assert problem_of(raw)["reason"] == "address_connection_limit"
            assert b"Retry-After: 1" in raw
            # Another address is served.
            assert send(server.bound_url, "GET", "/.well-known/erc8128").status == 200
        finally:
            for connection in held:
                connection.close()


def test_connection_limit_503_has_a_problem_body() -> None:
    with serving(max_connections=1, timeout_sec=5.0) as server:
        holder = connect(server, "127.0.0.1")
        try:
            time.sleep(0.2)
            raw = read_answer(connect(server))
            assert status_of(raw) == 503
            problem = problem_of(raw)
            assert problem["reason"] == "connection_limit"
            assert problem["status"] == 503
            assert b"Retry-After: 1" in raw
        finally:
            holder.close()


# ---- finding 8: bogus candidates spend the sender's failure budget, not everyone's time ----------
def test_bogus_candidates_exhaust_the_senders_budget_only() -> None:
    with serving(failure_budget=16, failure_window_sec=60.0) as server:
        attack = bogus_candidates(server)
        statuses = []
        for _ in range(3):
            with connect(server) as connection:
                connection.sendall(attack)
                statuses.append(read_answer(connection))
        # 8 failed candidates each: two requests spend 16; the third is refused unverified.
        assert [status_of(raw) for raw in statuses] == [401, 401, 429]
        refusal = statuses[2]
        assert problem_of(refusal)["reason"] == "failure_budget_exhausted"
        retry_after = int(refusal.split(b"Retry-After: ", 1)[1].split(b"\r\n", 1)[0])
        assert 1 <= retry_after <= 60
        # Refused at accept time from then on, before a byte is read.
        with connect(server) as connection:
            assert status_of(read_answer(connection)) == 429
        # The legitimate client (another address) is verified as usual.
        assert legit_whoami(server) == 200


def test_budget_is_charged_per_failed_candidate_not_per_request() -> None:
    with serving(failure_budget=10, failure_window_sec=60.0) as server:
        with connect(server) as connection:
            connection.sendall(bogus_candidates(server, count=8))
            assert status_of(read_answer(connection)) == 401
        with connect(server) as connection:
            connection.sendall(bogus_candidates(server, count=1))
            assert status_of(read_answer(connection)) == 401
        # 9 of 10 spent: one more candidate is allowed, then nothing.
        with connect(server) as connection:
            connection.sendall(bogus_candidates(server, count=2))
            assert status_of(read_answer(connection)) == 401
        with connect(server) as connection:
            assert status_of(read_answer(connection)) == 429


def test_failures_before_cryptography_are_not_charged() -> None:
    with serving(failure_budget=2, failure_window_sec=60.0) as server:
        for _ in range(20):  # unsigned: refused before any recovery
            with connect(server) as connection:
                connection.sendall(f"GET /api/whoami HTTP/1.1\r\nHost: 127.0.0.1:{server.port}"
                                   "\r\nConnection: close\r\n\r\n".encode())
                assert status_of(read_answer(connection)) == 401
        # A replayed request is charged: the recovery runs before the replay check.
        replayed = LEGIT.sign(server.url, "GET", "/api/whoami").request
        wired = wire(server, replayed)
        statuses = []
        for _ in range(4):
            with connect(server) as connection:
                connection.sendall(wired)
                statuses.append(status_of(read_answer(connection)))
        assert statuses == [200, 401, 401, 429]


def test_invite_code_guessing_is_throttled() -> None:
    with serving(failure_budget=5, failure_window_sec=60.0) as server:
        statuses = []
        for index in range(7):
            code = f"{index:022d}"
            head = (f"POST /api/invites/{code}/redeem HTTP/1.1\r\nHost: 127.0.0.1:{server.port}"
                    "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            with connect(server) as connection:
                connection.sendall(head.encode())
                statuses.append(status_of(read_answer(connection)))
        assert statuses == [404] * 5 + [429] * 2


# ---- finding 12: Host syntax --------------------------------------------------------------------
@pytest.mark.parametrize("host", ["a b", "a:b", "example.com:99999", "a/b", "[::1"])
def test_malformed_host_is_400(host: str) -> None:
    with serving() as server, connect(server, "127.0.0.1") as connection:
        connection.sendall(f"GET /.well-known/erc8128 HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        raw = read_answer(connection)
        assert status_of(raw) == 400, raw[:100]
        assert problem_of(raw)["reason"] == "invalid_host"


# ---- the budgets as values ----------------------------------------------------------------------
def test_failure_budget_refills_over_its_window() -> None:
    now = [100.0]
    budget = FailureBudget(8, 4.0, clock=lambda: now[0])
    assert budget.retry_after("a") == 0
    budget.charge("a", 8)
    assert budget.retry_after("a") == 1  # 2 tokens per second: one token in 0.5 s
    assert budget.retry_after("b") == 0
    now[0] += 0.5
    assert budget.retry_after("a") == 0
    now[0] += 10
    assert budget.retry_after("a") == 0
    assert len(budget) == 0  # a full bucket is forgotten


def test_failure_budget_carries_a_large_charge_as_debt() -> None:
    # D79: 24 recoveries charged on the last token wait for 24 tokens, not one.
    now = [100.0]
    budget = FailureBudget(64, 10.0, clock=lambda: now[0])
    budget.charge("a", 63)
    assert budget.retry_after("a") == 0  # one token left
    budget.charge("a", 24)
    assert budget.retry_after("a") == 4  # 1 - (-23) tokens at 6.4 per second: 3.75 s
    budget.charge("a", 10_000)
    assert budget.retry_after("a") == 11  # the debt stops at -capacity: 65 tokens, 10.2 s
    now[0] += 10.2
    assert budget.retry_after("a") == 0


def test_failure_budget_table_is_bounded() -> None:
    budget = FailureBudget(4, 60.0, max_addresses=3, clock=lambda: 0.0)
    for address in ("a", "b", "c", "d"):
        budget.charge(address, 4)
    assert len(budget) == 3
    assert budget.retry_after("a") == 0  # the least recently charged was forgotten
    assert budget.retry_after("d") > 0


def test_connection_counter() -> None:
    counter = ConnectionCounter(2)
    assert counter.acquire("a") and counter.acquire("a")
    assert not counter.acquire("a")
    assert counter.acquire("b")
    counter.release("a")
    assert counter.count("a") == 1
    assert counter.acquire("a")
