"""The demo server's HTTP API over real loopback HTTP: every endpoint and every app refusal."""

import email.utils
import hashlib
import io
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from erc8128.protocol.challenge import problem_response
from erc8128.server import RunningServer, ServerConfig, start_server
from erc8128.server.calls import Handled
from erc8128.server.routes import ROUTES
from erc8128.state.invalidation import fingerprint_of
from erc8128.state.nonces.memory import MemoryReplayStore
from tests.support.demo_client import Agent, Reply, send, send_request

OWNER = Agent("owner")
AGENT = Agent("agent")
OTHER = Agent("other")


class Clock:
    """A settable clock for invite expiry and time-window tests."""

    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def server(clock: Clock) -> Iterator[RunningServer]:
    log = io.StringIO()
    running = start_server(ServerConfig(port=0, chains=(1, 8453), access_log=log), clock=clock)
    try:
        yield running
    finally:
        running.stop()


def call(server: RunningServer, agent: Agent, method: str, target: str, body: object = None,
         **options: Any) -> Reply:
    signed = agent.sign(server.url, method, target, body, **options)
    return send_request(server.bound_url, signed.request)


def make_project(server: RunningServer, *, auto_approve: bool = False, public: bool = True
                 ) -> str:
    reply = call(server, OWNER, "POST", "/api/projects",
                 {"name": "demo", "auto_approve": auto_approve, "public": public})
    assert reply.status == 201, reply.body
    project_id: str = reply.json()["id"]
    return project_id


def assert_problem(reply: Reply, status: int, reason: str) -> dict[str, Any]:
    assert reply.status == status, reply.body
    assert reply.header("Content-Type") == "application/problem+json"
    problem: dict[str, Any] = reply.json()
    assert problem["reason"] == reason
    assert problem["status"] == status
    return problem


def assert_challenge(reply: Reply, status: int, reason: str) -> None:
    assert_problem(reply, status, reason)
    challenge = reply.header("WWW-Authenticate")
    assert challenge is not None
    assert challenge.startswith(f'ERC8128 error="{reason}"')


# ---- discovery and public routes ---------------------------------------------------------------
def test_discovery_document_lists_every_protected_route(server: RunningServer) -> None:
    reply = send(server.bound_url, "GET", "/.well-known/erc8128")
    assert reply.status == 200
    assert reply.header("Content-Type") == "application/json"
    document = reply.json()
    assert document["chains"] == ["eip155:1", "eip155:8453"]
    assert document["max_validity_sec"] == 300
    assert document["invalidation_endpoint"] == server.url + "/api/signatures/invalidate"
    advertised = set()
    for key, policies in document["route_policies"].items():
        for policy in policies if isinstance(policies, list) else [policies]:
            assert policy["replay"] in ("non-replayable", "either")
            for method in policy["methods"]:
                advertised.add((method, key))
    protected = {(r.method, r.discovery_key) for r in ROUTES if r.auth != "public"}
    assert advertised == protected
    assert ("POST", "/api/projects/*") in advertised
    assert document["route_policies"]["/api/whoami"]["replay"] == "either"


def test_public_project_listing_hides_private_projects(server: RunningServer) -> None:
    public_id = make_project(server, auto_approve=True)
    private_id = make_project(server, public=False)
    reply = send(server.bound_url, "GET", "/api/projects")
    assert reply.status == 200
    listed = {p["id"]: p for p in reply.json()["projects"]}
    assert public_id in listed
    assert private_id not in listed
    assert listed[public_id] == {"id": public_id, "name": "demo", "owner": OWNER.address,
                                 "auto_approve": True}


def test_unknown_route_and_wrong_method(server: RunningServer) -> None:
    problem = assert_problem(send(server.bound_url, "GET", "/api/nothing"), 404, "not_found")
    assert "/.well-known/erc8128" in problem["detail"]  # where every route is listed
    reply = send(server.bound_url, "DELETE", "/api/whoami")
    assert_problem(reply, 405, "method_not_allowed")
    assert reply.header("Allow") == "GET"


# ---- whoami ------------------------------------------------------------------------------------
def test_whoami_reports_the_verified_signer(server: RunningServer) -> None:
    reply = call(server, AGENT, "GET", "/api/whoami?x=1")
    assert reply.status == 200, reply.body
    assert reply.json() == {
        "address": AGENT.address, "chain_id": 1, "keyid": f"eip155:1:{AGENT.address}",
        "label": "eth", "profile": "draft", "binding": "request-bound",
        "replay": "non-replayable",
        "covered": ["@scheme", "@authority", "@method", "@path", "@query"],
    }


def test_whoami_accepts_class_bound_replayable(server: RunningServer) -> None:
    reply = call(server, AGENT, "GET", "/api/whoami", components=("@authority",),
                 replayable=True, chain_id=8453, label="sig")
    assert reply.status == 200, reply.body
    document = reply.json()
    assert (document["binding"], document["replay"]) == ("class-bound", "replayable")
    assert (document["chain_id"], document["label"]) == (8453, "sig")


# ---- signature-layer refusals ------------------------------------------------------------------
def test_unsigned_request_is_challenged(server: RunningServer) -> None:
    reply = send(server.bound_url, "GET", "/api/whoami")
    assert_challenge(reply, 401, "signature_missing")


def test_unsupported_chain_lists_the_served_chains(server: RunningServer) -> None:
    reply = call(server, AGENT, "GET", "/api/whoami", chain_id=5)
    assert_challenge(reply, 401, "unsupported_chain")
    assert reply.header("WWW-Authenticate") == (
        'ERC8128 error="unsupported_chain", chains="eip155:1 eip155:8453"'
    )


def test_insufficient_coverage_gets_the_exact_component_set(server: RunningServer) -> None:
    reply = call(server, OWNER, "POST", "/api/projects", {"name": "x"}, label="req",
                 components=("@scheme", "@authority", "@method", "@path", "content-digest",
                             "content-type"))
    assert_challenge(reply, 401, "insufficient_coverage")
    assert reply.header("Accept-Signature") == (
        'req=("@scheme" "@authority" "@method" "@path" "@query" "content-digest" '
        '"content-type");created;expires;tag="erc8128"'
    )
    # The repaired request (the advertised set) is accepted.
    repaired = call(server, OWNER, "POST", "/api/projects", {"name": "x"}, label="req",
                    components=("@scheme", "@authority", "@method", "@path", "@query",
                                "content-digest", "content-type"))
    assert repaired.status == 201, repaired.body


def test_expired_and_replayed_requests(server: RunningServer, clock: Clock) -> None:
    expired = call(server, AGENT, "GET", "/api/whoami", created=int(clock.now) - 200,
                   expires=int(clock.now) - 100)
    assert_challenge(expired, 401, "request_expired")
    signed = AGENT.sign(server.url, "GET", "/api/whoami", created=int(clock.now))
    assert send_request(server.bound_url, signed.request).status == 200
    assert_challenge(send_request(server.bound_url, signed.request), 401, "nonce_reused")


def test_tampered_body_fails_digest_not_403(server: RunningServer) -> None:
    project_id = make_project(server)
    signed = OTHER.sign(server.url, "POST", f"/api/projects/{project_id}/invites",
                        {"uses": 1, "expires_in": 60})
    request = signed.request
    tampered = type(request)(request.method, request.target_uri, request.headers,
                             b'{"uses":9,"expires_in":60}')
    # A signature-layer failure is never a 403 (ERC-8128 §6), even for a non-owner.
    assert_challenge(send_request(server.bound_url, tampered), 401, "bad_content_digest")
    assert_problem(send_request(server.bound_url, request), 403, "forbidden")


def test_problem_bodies_do_not_echo_received_values(server: RunningServer) -> None:
    marker = "zzmarker" * 4
    reply = send(server.bound_url, "GET", "/api/whoami", [
        ("Signature-Input", f'eth=("@method");keyid="{marker}";created=1;expires=2;'
                            'tag="erc8128"'),
        ("Signature", "eth=:AAAA:"),
    ])
    assert_challenge(reply, 401, "invalid_keyid")
    assert marker.encode() not in reply.body
    assert all(marker not in value for _, value in reply.headers)


# ---- projects, access, invites, agents, audit --------------------------------------------------
def test_create_project_owner_is_the_signer(server: RunningServer) -> None:
    reply = call(server, OWNER, "POST", "/api/projects",
                 {"name": "Ω project", "auto_approve": False, "public": True})
    assert reply.status == 201
    document = reply.json()
    assert document["owner"] == OWNER.address
    assert document["name"] == "Ω project"
    assert (document["auto_approve"], document["public"]) == (False, True)


@pytest.mark.parametrize(("raw", "content_type", "status", "reason"), [
    (b"{", "application/json", 400, "invalid_json"),
    (b"[1, 2]", "application/json", 400, "invalid_json"),
    (b'{"name": "a", "name": "b"}', "application/json", 400, "invalid_json"),
    (b'{"name": NaN}', "application/json", 400, "invalid_json"),
    (b"\xff\xfe", "application/json", 400, "invalid_json"),
    (b"[" * 100_000, "application/json", 400, "invalid_json"),
    (b'{"name": ""}', "application/json", 400, "invalid_field"),
    (b'{"name": 5}', "application/json", 400, "invalid_field"),
    (b'{"name": "a", "auto_approve": "yes"}', "application/json", 400, "invalid_field"),
    (b'{"name": "a"}', "text/plain", 415, "unsupported_media_type"),
])
def test_invalid_project_bodies(server: RunningServer, raw: bytes, content_type: str,
                                status: int, reason: str) -> None:
    reply = call(server, OWNER, "POST", "/api/projects", raw_body=raw, content_type=content_type)
    assert_problem(reply, status, reason)


def test_request_access_auto_approve_and_pending(server: RunningServer) -> None:
    open_id = make_project(server, auto_approve=True)
    closed_id = make_project(server, auto_approve=False)
    reply = call(server, AGENT, "POST", f"/api/projects/{open_id}/request-access", {"name": "a1"})
    assert reply.status == 201
    assert reply.json()["agent"]["status"] == "approved"
    assert reply.json()["agent"]["address"] == AGENT.address
    reply = call(server, AGENT, "POST", f"/api/projects/{closed_id}/request-access",
                 {"name": "a1"})
    assert reply.status == 202
    assert reply.json()["agent"]["status"] == "pending"
    again = call(server, AGENT, "POST", f"/api/projects/{closed_id}/request-access",
                 {"name": "a1"})
    assert_problem(again, 409, "agent_exists")


def test_unknown_project_and_invite(server: RunningServer) -> None:
    reply = call(server, AGENT, "POST", "/api/projects/p_0000000000000000/request-access",
                 {"name": "a"})
    assert_problem(reply, 404, "project_not_found")
    reply = call(server, AGENT, "POST", "/api/invites/AAAAAAAAAAAAAAAAAAAAAA/redeem",
                 {"name": "a"})
    assert_problem(reply, 404, "invite_not_found")
    reply = call(server, AGENT, "POST", "/api/invites/not-a-code/redeem", {"name": "a"})
    problem = assert_problem(reply, 404, "not_found")
    # A newcomer's id in another syntax is told the route and the syntax it expects.
    assert problem["detail"] == ("/api/invites/{code}/redeem expects {code} as 22 characters of "
                                 "A-Z, a-z, 0-9, _ and - (the code an invite answered), got "
                                 "'not-a-code'")
    reply = call(server, AGENT, "GET", "/api/projects/999/echo")
    problem = assert_problem(reply, 404, "not_found")
    assert problem["detail"].startswith("/api/projects/{project_id}/echo expects {project_id} as "
                                        "p_ and 16 lowercase hex digits")


def test_invites_redeem_use_up_and_expire(server: RunningServer, clock: Clock) -> None:
    project_id = make_project(server)
    forbidden = call(server, OTHER, "POST", f"/api/projects/{project_id}/invites",
                     {"uses": 1, "expires_in": 60})
    assert_problem(forbidden, 403, "forbidden")
    for body in ({"uses": 0, "expires_in": 60}, {"uses": 1, "expires_in": 0},
                 {"uses": True, "expires_in": 60}, {"uses": 1}):
        assert_problem(call(server, OWNER, "POST", f"/api/projects/{project_id}/invites", body),
                       400, "invalid_field")
    reply = call(server, OWNER, "POST", f"/api/projects/{project_id}/invites",
                 {"uses": 1, "expires_in": 60})
    assert reply.status == 201
    invite = reply.json()
    assert invite["uses"] == 1
    assert invite["expires_at"] == int(clock.now) + 60
    redeemed = call(server, AGENT, "POST", f"/api/invites/{invite['code']}/redeem",
                    {"name": "bot"})
    assert redeemed.status == 201, redeemed.body
    assert redeemed.json() == {
        "project_id": project_id,
        "agent": {"address": AGENT.address, "name": "bot", "status": "approved",
                  "created_at": int(clock.now)},
    }
    used_up = call(server, OTHER, "POST", f"/api/invites/{invite['code']}/redeem",
                   {"name": "bot2"})
    assert_problem(used_up, 410, "invite_used_up")

    second = call(server, OWNER, "POST", f"/api/projects/{project_id}/invites",
                  {"uses": 5, "expires_in": 10}).json()
    clock.now += 11
    expired = call(server, OTHER, "POST", f"/api/invites/{second['code']}/redeem",
                   {"name": "late"})
    assert_problem(expired, 410, "invite_expired")


def test_owner_manages_agents_and_revocation_takes_effect(server: RunningServer) -> None:
    project_id = make_project(server)
    base = f"/api/projects/{project_id}"
    assert call(server, AGENT, "POST", f"{base}/request-access", {"name": "bot"}).status == 202
    # Pending: the registered-agent route refuses with 401 principal_not_allowed, and the
    # refused request's nonce is NOT consumed (ERC-8128 §3.5 "failed candidates MUST NOT
    # consume nonces").
    pending = AGENT.sign(server.url, "POST", f"{base}/echo", {"hello": 1})
    assert_challenge(send_request(server.bound_url, pending.request), 401,
                     "principal_not_allowed")
    assert_problem(call(server, AGENT, "GET", f"{base}/agents"), 403, "forbidden")
    listing = call(server, OWNER, "GET", f"{base}/agents")
    assert listing.status == 200
    assert [(a["address"], a["status"]) for a in listing.json()["agents"]] == [
        (AGENT.address, "pending")
    ]
    approved = call(server, OWNER, "POST", f"{base}/agents/{AGENT.address}/approve")
    assert approved.status == 200
    assert approved.json()["agent"]["status"] == "approved"
    # The very same signed request now succeeds: its nonce was not spent by the refusal.
    echo = send_request(server.bound_url, pending.request)
    assert echo.status == 200, echo.body
    assert echo.json() == {
        "agent": AGENT.address, "project_id": project_id, "method": "POST",
        "path": f"{base}/echo",
        "body_sha256": hashlib.sha256(pending.request.body or b"").hexdigest(),
    }
    get_echo = call(server, AGENT, "GET", f"{base}/echo")
    assert get_echo.status == 200
    assert get_echo.json()["body_sha256"] == hashlib.sha256(b"").hexdigest()

    revoked = call(server, OWNER, "POST", f"{base}/agents/{AGENT.address}/revoke")
    assert revoked.json()["agent"]["status"] == "revoked"
    assert_challenge(call(server, AGENT, "GET", f"{base}/echo"), 401, "principal_not_allowed")
    denied = call(server, OWNER, "POST", f"{base}/agents/{AGENT.address}/deny")
    assert denied.json()["agent"]["status"] == "denied"
    unknown = call(server, OWNER, "POST", f"{base}/agents/{OTHER.address}/approve")
    assert_problem(unknown, 404, "agent_not_found")
    assert_challenge(call(server, OTHER, "GET", f"{base}/echo"), 401, "principal_not_allowed")


def test_audit_records_verified_requests_only(server: RunningServer) -> None:
    """Decision D35: refusals before verification go to the server's bounded record, not to the
    project's audit log."""
    project_id = make_project(server, auto_approve=True)
    base = f"/api/projects/{project_id}"
    assert call(server, AGENT, "GET", f"{base}/echo").status == 401
    assert send(server.bound_url, "GET", f"{base}/echo").status == 401
    assert call(server, AGENT, "POST", f"{base}/request-access", {"name": "a"}).status == 201
    assert call(server, AGENT, "GET", f"{base}/echo").status == 200
    assert call(server, AGENT, "GET", f"{base}/audit").status == 403
    reply = call(server, OWNER, "GET", f"{base}/audit")
    assert reply.status == 200
    entries = reply.json()["entries"]
    summary = [(e["agent"], e["method"], e["path"], e["outcome"], e["reason"]) for e in entries]
    assert summary == [
        (OWNER.address, "POST", "/api/projects", "accepted", None),
        (AGENT.address, "POST", f"{base}/request-access", "accepted", None),
        (AGENT.address, "GET", f"{base}/echo", "accepted", None),
        (AGENT.address, "GET", f"{base}/audit", "forbidden", "forbidden"),
        (OWNER.address, "GET", f"{base}/audit", "accepted", None),
    ]
    assert all(isinstance(e["time"], int) for e in entries)
    assert reply.json()["next_before"] is None
    refused = [(r.project_id, r.path, r.status, r.reason) for r in server.app.refusals()]
    assert refused[-2:] == [
        (project_id, f"{base}/echo", 401, "principal_not_allowed"),
        (project_id, f"{base}/echo", 401, "signature_missing"),
    ]


def test_principal_refusals_say_why_and_known_agents_are_audited(server: RunningServer) -> None:
    """Issue 18: a verified agent's principal_not_allowed names its status in plain words, and
    a known agent's refusal is in the owner's audit log as `refused` (D35); a verified stranger
    is told how to join and stays out of the project's log."""
    project_id = make_project(server)
    base = f"/api/projects/{project_id}"
    echo = f"{base}/echo"

    def refusal(agent: Agent) -> str:
        reply = call(server, agent, "GET", echo)
        assert_challenge(reply, 401, "principal_not_allowed")
        detail: str = reply.json()["detail"]
        assert "Application Principal policy" not in detail
        return detail

    stranger = refusal(OTHER)
    assert stranger == (f"{OTHER.address} is not an agent of {project_id}: ask for access "
                        f"(POST {base}/request-access) or redeem an invite")
    assert call(server, AGENT, "POST", f"{base}/request-access", {"name": "bot"}).status == 202
    assert refusal(AGENT) == (f"{AGENT.address} asked for access to {project_id} and the owner "
                              "has not approved it yet; call again once the owner approves it")
    assert call(server, OWNER, "POST", f"{base}/agents/{AGENT.address}/deny").status == 200
    assert refusal(AGENT) == f"the owner of {project_id} denied access to {AGENT.address}"
    assert call(server, OWNER, "POST", f"{base}/agents/{AGENT.address}/approve").status == 200
    assert call(server, AGENT, "GET", echo).status == 200
    assert call(server, OWNER, "POST", f"{base}/agents/{AGENT.address}/revoke").status == 200
    assert refusal(AGENT) == f"the owner of {project_id} revoked the access of {AGENT.address}"

    entries = call(server, OWNER, "GET", f"{base}/audit").json()["entries"]
    refused = [(e["agent"], e["path"], e["status"], e["outcome"], e["reason"])
               for e in entries if e["outcome"] == "refused"]
    assert refused == [(AGENT.address, echo, 401, "refused", "principal_not_allowed")] * 3
    assert OTHER.address not in {e["agent"] for e in entries}
    # Every refusal is in the server-level record too (D35), the stranger's included.
    assert [r.reason for r in server.app.refusals()][-4:] == ["principal_not_allowed"] * 4


# ---- early invalidation (ERC-8128 §5.2) --------------------------------------------------------
def test_invalidation_by_not_before_and_fingerprint(server: RunningServer, clock: Clock) -> None:
    now = int(clock.now)
    replayable = AGENT.sign(server.url, "GET", "/api/whoami", replayable=True, created=now)
    assert send_request(server.bound_url, replayable.request).status == 200
    assert send_request(server.bound_url, replayable.request).status == 200  # replayable
    fingerprint = fingerprint_of(replayable.message_hash)
    reply = call(server, AGENT, "POST", "/api/signatures/invalidate",
                 {"fingerprint": fingerprint})
    assert reply.status == 200, reply.body
    assert reply.json() == {"not_before": None, "invalidated": [fingerprint]}
    assert_challenge(send_request(server.bound_url, replayable.request), 401,
                     "replayable_not_allowed")

    other = AGENT.sign(server.url, "GET", "/api/whoami?b", replayable=True, created=now)
    assert send_request(server.bound_url, other.request).status == 200
    reply = call(server, AGENT, "POST", "/api/signatures/invalidate", {"not_before": now + 1})
    assert reply.json() == {"not_before": now + 1, "invalidated": []}
    assert_challenge(send_request(server.bound_url, other.request), 401,
                     "replayable_not_allowed")
    # Another signer is not affected.
    assert call(server, OTHER, "GET", "/api/whoami", replayable=True).status == 200


def test_invalidation_requires_request_bound_non_replayable(server: RunningServer) -> None:
    reply = call(server, AGENT, "POST", "/api/signatures/invalidate", {"not_before": 1},
                 replayable=True)
    assert_challenge(reply, 401, "nonce_required")
    for body in ({}, {"fingerprint": "0x12"}, {"not_before": -1}, {"not_before": "1"}):
        assert_problem(call(server, AGENT, "POST", "/api/signatures/invalidate", body),
                       400, "invalid_field")


# ---- concurrency and robustness ----------------------------------------------------------------
def test_replay_race_over_http_exactly_one_wins(server: RunningServer) -> None:
    signed = AGENT.sign(server.url, "GET", "/api/whoami")
    barrier = threading.Barrier(32)
    statuses: list[int] = []
    reasons: list[str] = []
    lock = threading.Lock()

    def attempt() -> None:
        barrier.wait()
        reply = send_request(server.bound_url, signed.request)
        with lock:
            statuses.append(reply.status)
            if reply.status != 200:
                reasons.append(reply.json()["reason"])

    threads = [threading.Thread(target=attempt) for _ in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses.count(200) == 1
    assert len(statuses) == 32
    assert set(reasons) == {"nonce_reused"}


def test_unexpected_exception_is_a_500_and_the_server_keeps_serving(
    server: RunningServer,
) -> None:
    app = server.http_server.app
    assert app is not None

    class Broken:
        def handle(self, request: object, *, now: int) -> Handled:
            raise RuntimeError("boom with secret detail")

    server.http_server.app = Broken()  # type: ignore[assignment]
    try:
        reply = send(server.bound_url, "GET", "/.well-known/erc8128")
    finally:
        server.http_server.app = app
    assert_problem(reply, 500, "internal_error")
    assert b"secret" not in reply.body
    assert b"Traceback" not in reply.body
    assert send(server.bound_url, "GET", "/.well-known/erc8128").status == 200


def test_legacy_profile_server() -> None:
    with start_server(ServerConfig(port=0, profiles=("draft", "legacy"))) as server:
        reply = call(server, AGENT, "GET", "/api/whoami", profile="legacy")
        assert reply.status == 200, reply.body
        assert reply.json()["profile"] == "legacy"
        assert reply.json()["keyid"] == f"erc8128:1:{AGENT.address}"
    with start_server(ServerConfig(port=0)) as draft_only:
        reply = call(draft_only, AGENT, "GET", "/api/whoami", profile="legacy")
        assert_challenge(reply, 401, "no_acceptable_signature")


def test_problem_response_shape_is_shared() -> None:
    response = problem_response(404, "not_found", "x")
    assert json.loads(response.body)["title"] == "Not Found"


def test_the_server_clock_is_the_replay_store_clock(tmp_path: Any) -> None:
    """Issue 20, one clock per verification: ``start_server(clock=...)`` drives the HTTP front
    (its Date header and the verdict's ``now``), the replay store's expiry and the restart
    watermark. The clock is set far from the wall clock, so a store reading a clock of its own
    would keep the first mark."""
    clock = Clock()
    clock.now = 4_000_000_000.0
    config = ServerConfig(port=0, state_dir=str(tmp_path), access_log=io.StringIO())
    with start_server(config, clock=clock) as server:
        first = AGENT.sign(server.url, "GET", "/api/whoami", created=int(clock.now))
        reply = send_request(server.bound_url, first.request)
        assert reply.status == 200, reply.body
        assert reply.header("Date") == email.utils.formatdate(clock.now, usegmt=True)
        assert isinstance(server.nonces, MemoryReplayStore)
        assert len(server.nonces) == 1
        assert server.app.watermark is not None
        assert server.app.watermark.reserved == int(clock.now) + 1
        clock.now += 3600  # past the first signature's expires + skew, by the server's clock
        second = AGENT.sign(server.url, "GET", "/api/whoami", created=int(clock.now))
        assert send_request(server.bound_url, second.request).status == 200
        assert len(server.nonces) == 1  # the first mark expired at the server's now
        assert server.app.watermark.reserved == int(clock.now) + 1
