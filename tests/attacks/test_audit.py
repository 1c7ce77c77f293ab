"""Audit integrity over loopback (issue 11, finding 3; decision D35): unsigned or forged requests
never write to a project's audit log; they go to a bounded server-level record; the owner pages
through the whole retained log; retention is bounded per project."""

import http.client
from collections.abc import Iterator
from typing import Any

import pytest

from erc8128.server import RunningServer, ServerConfig, start_server
from erc8128.server import app as app_module
from erc8128.server import storage as storage_module
from erc8128.server.frontend import FrontEndLimits
from tests.support.demo_client import Agent, Reply, send_request

OWNER = Agent("audit owner")
STRANGER = Agent("audit stranger")


@pytest.fixture
def server() -> Iterator[RunningServer]:
    # A budget large enough for the flood: this suite is about the log, not the budget.
    limits = FrontEndLimits(failure_budget=100_000)
    with start_server(ServerConfig(port=0, limits=limits)) as running:
        yield running


def call(server: RunningServer, agent: Agent, method: str, target: str, body: object = None,
         *, connection: http.client.HTTPConnection | None = None) -> Reply:
    signed = agent.sign(server.url, method, target, body)
    return send_request(server.bound_url, signed.request, connection=connection)


def make_project(server: RunningServer) -> str:
    reply = call(server, OWNER, "POST", "/api/projects", {"name": "audited"})
    assert reply.status == 201, reply.body
    project_id: str = reply.json()["id"]
    return project_id


def audit_page(server: RunningServer, project_id: str, query: str = "") -> dict[str, Any]:
    reply = call(server, OWNER, "GET", f"/api/projects/{project_id}/audit{query}")
    assert reply.status == 200, reply.body
    document: dict[str, Any] = reply.json()
    return document


def test_unsigned_flood_does_not_touch_the_project_log(server: RunningServer) -> None:
    project_id = make_project(server)
    echo = f"/api/projects/{project_id}/echo"
    port = int(server.bound_url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        for _ in range(app_module.MAX_REFUSALS + 100):  # the 1,100 requests of the finding
            connection.request("GET", echo)
            response = connection.getresponse()
            response.read()
            assert response.status == 401
    finally:
        connection.close()
    # A forged signature naming the owner does not write either.
    forged = OWNER.sign(server.url, "GET", echo).request
    tampered = type(forged)(forged.method, forged.target_uri + "?x=1", forged.headers, None)
    assert send_request(server.bound_url, tampered).status == 401
    entries = audit_page(server, project_id)["entries"]
    assert [(e["agent"], e["path"]) for e in entries] == [
        (OWNER.address, "/api/projects"),
        (OWNER.address, f"/api/projects/{project_id}/audit"),
    ]
    # The server-level record is bounded and has the latest refusals.
    refusals = server.app.refusals()
    assert len(refusals) == app_module.MAX_REFUSALS
    assert refusals[-1].path == echo
    assert all(r.status == 401 for r in refusals)


def test_verified_stranger_is_logged_with_its_address(server: RunningServer) -> None:
    project_id = make_project(server)
    assert call(server, STRANGER, "GET", f"/api/projects/{project_id}/audit").status == 403
    entries = audit_page(server, project_id)["entries"]
    assert (STRANGER.address, "forbidden") in [(e["agent"], e["outcome"]) for e in entries]
    assert all(e["agent"] is not None for e in entries)


def test_owner_pages_through_the_whole_log(server: RunningServer) -> None:
    project_id = make_project(server)
    port = int(server.bound_url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        for _ in range(24):
            call(server, OWNER, "GET", f"/api/projects/{project_id}/agents",
                 connection=connection)
    finally:
        connection.close()
    seen: list[int] = []
    query = "?limit=10"
    pages = 0
    while True:
        page = audit_page(server, project_id, query)
        pages += 1
        ids = [entry["id"] for entry in page["entries"]]
        assert ids == sorted(ids)  # oldest first within a page
        seen = ids + seen
        if page["next_before"] is None:
            break
        assert page["next_before"] == ids[0]
        query = f"?limit=10&before={page['next_before']}"
    # 1 creation + 24 agent lists + the first audit read (each later read is logged after the
    # page it asks for), every one seen exactly once.
    assert len(seen) == len(set(seen)) == 1 + 24 + 1
    assert seen == sorted(seen)
    assert pages == 3


@pytest.mark.parametrize("query", ["?limit=0", "?limit=1001", "?before=abc", "?limit=1&limit=2",
                                   "?cursor=1", "?limit", "?before=%31"])
def test_bad_audit_query_is_400(server: RunningServer, query: str) -> None:
    project_id = make_project(server)
    reply = call(server, OWNER, "GET", f"/api/projects/{project_id}/audit{query}")
    assert reply.status == 400, reply.body
    assert reply.json()["reason"] == "invalid_query"


def test_retention_keeps_the_latest_entries(server: RunningServer,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storage_module, "AUDIT_RETAINED", 5)
    monkeypatch.setattr(storage_module, "AUDIT_PRUNE_EVERY", 2)
    project_id = make_project(server)
    for _ in range(12):
        call(server, OWNER, "GET", f"/api/projects/{project_id}/agents")
    entries = audit_page(server, project_id)["entries"]
    # At most AUDIT_RETAINED + AUDIT_PRUNE_EVERY entries; the newest are kept.
    assert 5 <= len(entries) <= 5 + 2
    assert entries[-1]["path"].endswith("/audit")
    assert all(e["path"].endswith(("/agents", "/audit")) for e in entries)
