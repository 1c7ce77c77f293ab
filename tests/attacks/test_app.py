"""Resource attacks on the demo app over loopback (issue 11, findings 6 and 9; decisions D36,
D37): huge JSON integers, the per-owner project quota, the paged public project list, the
eviction of expired early-invalidation denials."""

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from erc8128.server import RunningServer, ServerConfig, start_server
from erc8128.server.handlers import projects as projects_module
from tests.support.demo_client import Agent, Reply, send, send_request

OWNER = Agent("app-attack owner")


@pytest.fixture
def server() -> Iterator[RunningServer]:
    with start_server(ServerConfig(port=0)) as running:
        yield running


def call_raw(server: RunningServer, agent: Agent, method: str, target: str, raw_body: bytes
             ) -> Reply:
    signed = agent.sign(server.url, method, target, raw_body=raw_body)
    return send_request(server.bound_url, signed.request)


@pytest.mark.parametrize("digits", [21, 4301, 100_000])
def test_huge_json_integer_is_400_invalid_json(server: RunningServer, digits: int) -> None:
    # Before D37, 4,301 digits and more were a 500 on every JSON route.
    body = b'{"name":"x","auto_approve":false,"n":' + b"9" * digits + b"}"
    reply = call_raw(server, OWNER, "POST", "/api/projects", body)
    assert reply.status == 400, reply.body
    assert reply.json()["reason"] == "invalid_json"
    negative = b'{"name":"x","n":-' + b"9" * digits + b"}"
    assert call_raw(server, OWNER, "POST", "/api/projects", negative).status == 400


def test_integer_within_the_length_is_accepted(server: RunningServer) -> None:
    reply = call_raw(server, OWNER, "POST", "/api/projects", b'{"name":"x","n":' + b"9" * 20
                     + b"}")
    assert reply.status == 201, reply.body


def test_project_quota_per_owner(server: RunningServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(projects_module, "MAX_PROJECTS_PER_OWNER", 3)
    for _ in range(3):
        assert call_raw(server, OWNER, "POST", "/api/projects", b'{"name":"q"}').status == 201
    reply = call_raw(server, OWNER, "POST", "/api/projects", b'{"name":"q"}')
    assert reply.status == 403
    assert reply.json()["reason"] == "project_quota_exceeded"
    other = Agent("app-attack other owner")
    assert call_raw(server, other, "POST", "/api/projects", b'{"name":"q"}').status == 201


def test_public_project_list_is_paged(server: RunningServer) -> None:
    created = []
    for index in range(5):
        reply = call_raw(server, OWNER, "POST", "/api/projects",
                         f'{{"name":"p{index}"}}'.encode())
        created.append(reply.json()["id"])
    call_raw(server, OWNER, "POST", "/api/projects", b'{"name":"hidden","public":false}')
    listed: list[str] = []
    target = "/api/projects?limit=2"
    pages = 0
    while True:
        reply = send(server.bound_url, "GET", target)
        assert reply.status == 200, reply.body
        document = reply.json()
        assert len(document["projects"]) <= 2
        listed += [project["id"] for project in document["projects"]]
        pages += 1
        if document["next_after"] is None:
            break
        target = f"/api/projects?limit=2&after={document['next_after']}"
    assert sorted(listed) == sorted(created)
    assert len(listed) == len(set(listed)) == 5
    assert pages == 3
    default = send(server.bound_url, "GET", "/api/projects").json()
    assert len(default["projects"]) == 5
    assert default["next_after"] is None


@pytest.mark.parametrize("query", ["?limit=0", "?limit=1001", "?after=nope",
                                   "?after=p_0000000000000000", "?page=2"])
def test_bad_project_list_query_is_400(server: RunningServer, query: str) -> None:
    reply = send(server.bound_url, "GET", "/api/projects" + query)
    assert reply.status == 400, reply.body
    assert reply.json()["reason"] == "invalid_query"


def test_expired_denials_are_evicted(tmp_path: Path) -> None:
    """D36: expired per-signature denials do not accumulate (before: never evicted)."""
    nonces = tmp_path / "state.db"
    now = [float(int(time.time()))]
    config = ServerConfig(port=0, nonces=f"sqlite:{nonces}")
    with start_server(config, clock=lambda: now[0]) as server:
        def deny(fingerprint: str) -> None:
            signed = OWNER.sign(server.url, "POST", "/api/signatures/invalidate",
                                {"fingerprint": fingerprint}, created=int(now[0]))
            assert send_request(server.bound_url, signed.request).status == 200

        def denials() -> int:
            with sqlite3.connect(nonces) as connection:
                (count,) = connection.execute(
                    "SELECT COUNT(*) FROM erc8128_invalidation_denials").fetchone()
            return int(count)

        deny("0x" + "aa" * 32)
        deny("0x" + "bb" * 32)
        assert denials() == 2
        # Past every denial's lifetime (max validity + 2 x skew = 360 s) and the eviction period.
        now[0] += 400
        deny("0x" + "cc" * 32)
        assert denials() == 1
