"""Connection slots under a many-address hold, over loopback (issue 19, finding 1; decision D77).

8 source addresses x 32 keep-alive connections, each having sent one cheap unsigned GET, held all
256 slots: a legitimate client from a ninth address was answered 503 connection_limit 20 times
out of 20. Now a full server closes an idle connection of the address holding the most."""

import http.client
import time
from collections.abc import Iterator

import pytest

from erc8128.server import RunningServer, ServerConfig, start_server
from erc8128.server.frontend import FrontEndLimits

ATTACKERS = [f"127.0.0.{host}" for host in range(2, 10)]  # 8 addresses
LEGITIMATE = "127.0.0.10"


@pytest.fixture
def server() -> Iterator[RunningServer]:
    limits = FrontEndLimits()  # the defaults: 256 slots, 32 per address
    assert limits.max_connections == len(ATTACKERS) * limits.connections_per_address
    with start_server(ServerConfig(port=0, limits=limits)) as running:
        yield running


def connect(server: RunningServer, source: str) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", server.port, timeout=10,
                                      source_address=(source, 0))


def get(connection: http.client.HTTPConnection, target: str = "/api/examples") -> int:
    connection.request("GET", target)
    response = connection.getresponse()
    response.read()
    return response.status


def status_of_new_connection(server: RunningServer, source: str) -> int:
    """The status a new connection from ``source`` gets (0: closed without one)."""
    connection = connect(server, source)
    try:
        return get(connection)
    except (ConnectionError, http.client.HTTPException):
        return 0
    finally:
        connection.close()


def hold_every_slot(server: RunningServer) -> list[http.client.HTTPConnection]:
    held = []
    for source in ATTACKERS:
        for _ in range(server.http_server.limits.connections_per_address):
            connection = connect(server, source)
            assert get(connection) == 200
            held.append(connection)  # kept alive, idle
    return held


def test_a_new_address_is_served_while_eight_addresses_hold_every_slot(
        server: RunningServer) -> None:
    held = hold_every_slot(server)
    try:
        for _ in range(20):  # before D77: 20 x 503 connection_limit
            started = time.monotonic()
            connection = connect(server, LEGITIMATE)
            try:
                assert get(connection) == 200
            finally:
                connection.close()
            assert time.monotonic() - started < 1.0
        # Keep one legitimate connection open and idle: the attackers reconnecting cannot take
        # it (the legitimate address holds fewer than any of them).
        kept = connect(server, LEGITIMATE)
        assert get(kept) == 200
        for source in ATTACKERS * 3:  # each may get back a slot freed above, no more
            status_of_new_connection(server, source)
        assert get(kept) == 200
        kept.close()
    finally:
        for connection in held:
            connection.close()


def test_an_address_with_fewer_connections_is_never_closed_for_one_with_more(
        server: RunningServer) -> None:
    held = hold_every_slot(server)
    try:
        # An attacker holding as many as the others is refused (503 connection_limit), and no
        # connection is closed for it.
        assert status_of_new_connection(server, ATTACKERS[0]) in (0, 429, 503)
        assert all(get(connection) == 200 for connection in held)
    finally:
        for connection in held:
            connection.close()
