"""The agent client (erc8128.client) against a real HTTP server on 127.0.0.1.

The server is a small stand-in for the demo server's registration API (projects, invites,
request-access, revoke, a registered-agent route, a route that requires an extra component),
built from Flask behind erc8128.integrations.wsgi and served by werkzeug in a thread, so every
request crosses a real socket and is verified by erc8128.verify. Addresses are cross-checked
with eth-account (an independent implementation).
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import flask
import pytest
from eth_account import Account as EthAccount
from werkzeug.serving import make_server

from erc8128.client import (
    AcceptSignature,
    Client,
    ClientError,
    Response,
    Signer,
    bootstrap,
    discover,
    format_private_key,
    parse_accept_signature,
    parse_private_key,
    request_access,
    signed_fetch,
)
from erc8128.errors import Erc8128Error, InvalidKey, VerificationError
from erc8128.integrations.gate import VERIFIED_KEY, Gate
from erc8128.integrations.wsgi import ERC8128Middleware
from erc8128.policy import VerifierPolicy
from erc8128.server.challenge import failure_response, forbidden_response
from erc8128.verify import Verified

# --------------------------------------------------------------------------------------------
# The stand-in server.
# --------------------------------------------------------------------------------------------

STRICT_COMPONENTS = ("x-client",)


@dataclass
class Registry:
    """The server's state: projects, invites, agents per project, every request seen."""

    projects: dict[str, dict[str, Any]] = field(default_factory=dict)
    invites: dict[str, dict[str, Any]] = field(default_factory=dict)
    agents: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    seen: list[tuple[str, str, str]] = field(default_factory=list)  # method, path, outcome


def _route_policy(method: str, path: str) -> VerifierPolicy | None:
    if path in ("/.well-known/erc8128",) or (path == "/api/projects" and method == "GET"):
        return None
    if path == "/api/strict":
        return VerifierPolicy(required_components=STRICT_COMPONENTS)
    return VerifierPolicy()


def _reply(response: Any) -> flask.Response:
    return flask.Response(response.body, status=response.status, headers=list(response.headers))


def make_app(registry: Registry) -> flask.Flask:
    app = flask.Flask("standin")

    def verified() -> Verified:
        result = flask.request.environ[VERIFIED_KEY]
        assert isinstance(result, Verified)
        return result

    def owner_of(project_id: str) -> bool:
        project = registry.projects.get(project_id)
        return project is not None and project["owner"] == verified().address

    @app.get("/.well-known/erc8128")
    def well_known() -> Any:
        return {"max_validity_sec": 300, "chains": ["eip155:1"], "name": "stand-in",
                "route_policies": {"/api/strict": {"required_components": ["x-client"]}}}

    @app.get("/api/projects")
    def list_projects() -> Any:
        return {"projects": [p for p in registry.projects.values() if p["public"]]}

    @app.get("/api/whoami")
    def whoami() -> Any:
        result = verified()
        return {"address": result.address, "chain_id": result.chain_id, "keyid": result.keyid,
                "label": result.label, "covered": list(result.covered_components)}

    @app.get("/api/strict")
    def strict() -> Any:
        return {"label": verified().label, "covered": list(verified().covered_components)}

    @app.post("/api/projects")
    def create_project() -> Any:
        body = flask.request.get_json()
        project_id = str(len(registry.projects) + 1)
        project = {"id": project_id, "name": body["name"], "owner": verified().address,
                   "auto_approve": bool(body["auto_approve"]), "public": bool(body["public"])}
        registry.projects[project_id] = project
        registry.agents[project_id] = {}
        return project, 201

    @app.post("/api/projects/<project_id>/invites")
    def create_invite(project_id: str) -> Any:
        if not owner_of(project_id):
            return _reply(forbidden_response("not the owner"))
        code = secrets.token_urlsafe(12)
        registry.invites[code] = {"project_id": project_id, "uses": flask.request.json["uses"]}
        return {"code": code, "uses": registry.invites[code]["uses"], "expires_at": 0}, 201

    @app.post("/api/invites/<code>/redeem")
    def redeem(code: str) -> Any:
        invite = registry.invites.get(code)
        if invite is None:
            return flask.Response(json.dumps({"reason": "not_found", "status": 404}), 404,
                                  content_type="application/problem+json")
        if invite["uses"] < 1:
            return flask.Response(json.dumps({"reason": "invite_used_up", "status": 410}), 410,
                                  content_type="application/problem+json")
        invite["uses"] -= 1
        agent = {"address": verified().address, "name": flask.request.json["name"],
                 "status": "approved"}
        registry.agents[invite["project_id"]][verified().address] = agent
        return {"project_id": invite["project_id"], "agent": agent}, 201

    @app.post("/api/projects/<project_id>/request-access")
    def ask(project_id: str) -> Any:
        project = registry.projects[project_id]
        status = "approved" if project["auto_approve"] else "pending"
        agent = {"address": verified().address, "name": flask.request.json["name"],
                 "status": status}
        registry.agents[project_id][verified().address] = agent
        return {"agent": agent}, 201 if status == "approved" else 202

    @app.post("/api/projects/<project_id>/agents/<address>/revoke")
    def revoke(project_id: str, address: str) -> Any:
        if not owner_of(project_id):
            return _reply(forbidden_response("not the owner"))
        registry.agents[project_id][address]["status"] = "revoked"
        return {"agent": registry.agents[project_id][address]}

    @app.route("/api/projects/<project_id>/echo", methods=["GET", "POST"])
    def echo(project_id: str) -> Any:
        agent = registry.agents.get(project_id, {}).get(verified().address)
        if agent is None or agent["status"] != "approved":
            failure = VerificationError("principal_not_allowed", "not an approved agent")
            return _reply(failure_response(failure, policy=VerifierPolicy()))
        return {"agent": verified().address, "project_id": project_id,
                "method": flask.request.method, "path": flask.request.path}

    return app


@dataclass
class StandIn:
    url: str
    registry: Registry


@pytest.fixture(scope="module")
def server() -> Iterator[StandIn]:
    registry = Registry()
    app = make_app(registry)
    http_server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{http_server.server_port}"

    def counted(environ: dict[str, Any], start_response: Any) -> Any:
        def recording_start(status: str, headers: Any, *rest: Any) -> Any:
            registry.seen.append((environ["REQUEST_METHOD"], environ["PATH_INFO"], status))
            return start_response(status, headers, *rest)
        return middleware(environ, recording_start)

    middleware = ERC8128Middleware(app.wsgi_app, Gate(url, policy=_route_policy))
    http_server.app = counted
    thread = threading.Thread(target=http_server.serve_forever, daemon=True)
    thread.start()
    yield StandIn(url, registry)
    http_server.shutdown()
    thread.join()


# --------------------------------------------------------------------------------------------
# Signer.
# --------------------------------------------------------------------------------------------


def test_signer_address_matches_eth_account() -> None:
    signer = Signer.generate()
    expected = EthAccount.from_key(signer.private_key).address.lower()
    assert signer.address == expected
    assert signer.keyid == f"eip155:1:{expected}"
    assert Signer(signer.private_key, chain_id=8453, profile="legacy").keyid == (
        f"erc8128:8453:{expected}"
    )


def test_signer_repr_never_shows_the_key() -> None:
    signer = Signer.generate()
    key_hex = signer.private_key.hex()
    for text in (repr(signer), str(signer), f"{signer}", repr([signer])):
        assert key_hex not in text
        assert key_hex.upper() not in text
        assert signer.address in text


def test_generate_uses_fresh_randomness() -> None:
    keys = {Signer.generate().private_key for _ in range(5)}
    assert len(keys) == 5


def test_generate_rejects_out_of_range_candidates() -> None:
    # First draws are d = 0 and d = n (both invalid): generate must keep drawing.
    n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    draws = iter([bytes(32), n.to_bytes(32, "big"), (7).to_bytes(32, "big")])
    signer = Signer.generate(randbytes=lambda size: next(draws))
    assert signer.private_key == (7).to_bytes(32, "big")


def test_from_env_and_key_file(tmp_path: Path) -> None:
    signer = Signer.generate()
    text = format_private_key(signer.private_key)
    assert Signer.from_env(environ={"ERC8128_PRIVATE_KEY": text}) == signer
    assert Signer.from_env("OTHER", environ={"OTHER": text[2:].upper()}) == signer
    key_file = tmp_path / "agent.key"
    key_file.write_text(text + "\n")
    assert Signer.from_key_file(key_file) == signer
    assert Signer.from_key_file(str(key_file), chain_id=5).keyid.startswith("eip155:5:")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "private_key_format"),
        ("0x1234", "private_key_format"),
        ("zz" * 32, "private_key_format"),
        ("0x" + "00" * 32, "private_key_range"),
        ("0x" + "ff" * 32, "private_key_range"),
    ],
)
def test_bad_private_key_text(text: str, reason: str) -> None:
    with pytest.raises(Erc8128Error) as caught:
        parse_private_key(text)
    assert caught.value.reason == reason
    if len(text) > 8:
        assert text not in str(caught.value)  # the (possibly secret) text is not echoed


def test_missing_env_and_file(tmp_path: Path) -> None:
    with pytest.raises(ClientError) as caught:
        Signer.from_env(environ={})
    assert caught.value.reason == "private_key_missing"
    with pytest.raises(ClientError) as caught:
        Signer.from_key_file(tmp_path / "absent.key")
    assert caught.value.reason == "key_file_unreadable"


def test_signer_rejects_bad_fields() -> None:
    with pytest.raises(InvalidKey):
        Signer(b"\x01" * 31)
    with pytest.raises(ClientError) as caught:
        Signer(b"\x01" * 32, chain_id=-1)
    assert caught.value.reason == "invalid_chain_id"
    with pytest.raises(ClientError) as caught:
        Signer(b"\x01" * 32, profile="nope")  # type: ignore[arg-type]
    assert caught.value.reason == "invalid_profile"


# --------------------------------------------------------------------------------------------
# Accept-Signature.
# --------------------------------------------------------------------------------------------


def test_parse_accept_signature_draft_example() -> None:
    # ERC-8128 §6's own example.
    value = ('request=("@scheme" "@authority" "@method" "@path" "@query" "content-digest" '
             '"content-type");created;expires;tag="erc8128"')
    assert parse_accept_signature(value) == (
        AcceptSignature(
            "request",
            ("@scheme", "@authority", "@method", "@path", "@query", "content-digest",
             "content-type"),
            None,
            (),
        ),
    )


def test_parse_accept_signature_keeps_order_parameters_and_nonce() -> None:
    value = ('b=("@method" "@authority" "@path" "@query" "@query-param";name="q");created;'
             'expires;nonce="issued-1";mode="eoa", c=("@authority")')
    first, second = parse_accept_signature(value)
    assert first.label == "b"
    assert first.components == (
        "@method", "@authority", "@path", "@query", '"@query-param";name="q"',
    )
    assert first.nonce == "issued-1"
    assert first.params == (("mode", "eoa"),)
    assert second.components == ("@authority",)


@pytest.mark.parametrize("value", ["eth=", "eth=\"@path\"", "eth=(1 2)", "(", "eth=(\"a\""])
def test_parse_accept_signature_rejects_malformed(value: str) -> None:
    with pytest.raises(ClientError) as caught:
        parse_accept_signature(value)
    assert caught.value.reason == "accept_signature_invalid"


# --------------------------------------------------------------------------------------------
# Signed requests over loopback.
# --------------------------------------------------------------------------------------------


def test_whoami(server: StandIn) -> None:
    signer = Signer.generate()
    answer = Client(server.url, signer).get_json("/api/whoami")
    assert answer["address"] == EthAccount.from_key(signer.private_key).address.lower()
    assert answer["keyid"] == signer.keyid
    assert answer["label"] == "eth"
    assert answer["covered"] == ['"@scheme"', '"@authority"', '"@method"', '"@path"', '"@query"']


def test_signed_fetch_post_covers_digest_and_type(server: StandIn) -> None:
    owner = Client(server.url, Signer.generate())
    project = owner.post_json("/api/projects", {"name": "p", "auto_approve": True,
                                                "public": False})
    assert project["owner"] == owner.signer.address
    response = owner.post("/api/projects", {"name": "q", "auto_approve": True, "public": False})
    assert response.status == 201
    assert response.signed is not None
    assert '"content-digest" "content-type")' in response.signed.signature_input


def test_unsigned_and_replayed_requests_are_refused(server: StandIn) -> None:
    connection = http.client.HTTPConnection(server.url.removeprefix("http://"), timeout=5)
    connection.request("GET", "/api/whoami")
    answer = connection.getresponse()
    assert answer.status == 401
    assert answer.getheader("WWW-Authenticate") == 'ERC8128 error="signature_missing"'
    assert json.loads(answer.read())["reason"] == "signature_missing"
    connection.close()

    first = signed_fetch(server.url + "/api/whoami", signer=Signer.generate())
    assert first.status == 200
    assert first.signed is not None
    connection = http.client.HTTPConnection(server.url.removeprefix("http://"), timeout=5)
    connection.request("GET", "/api/whoami", headers=dict(first.signed.request.headers))
    replay = connection.getresponse()
    body = replay.read()
    connection.close()
    assert replay.status == 401
    assert json.loads(body)["reason"] == "nonce_reused"


def test_retry_follows_accept_signature_exactly(server: StandIn) -> None:
    signer = Signer.generate()
    before = len(server.registry.seen)
    response = Client(server.url, signer, label="mine").get(
        "/api/strict", headers=[("X-Client", "tests")]
    )
    assert response.status == 200
    # Two requests reached the server: the refused one and the repaired one.
    attempts = server.registry.seen[before:]
    assert [outcome[:3] for _, _, outcome in attempts] == ["401", "200"]
    # ERC-8128 §6: "A retry MUST use the advertised label and cover exactly the listed
    # component identifiers in the listed order". The server advertised label "mine" (the
    # failed candidate's) and the route's exact set.
    assert response.signed is not None
    assert response.signed.label == "mine"
    assert response.signed.signature_input.startswith(
        '("@scheme" "@authority" "@method" "@path" "@query" "x-client");'
    )
    assert response.json() == {
        "label": "mine",
        "covered": ['"@scheme"', '"@authority"', '"@method"', '"@path"', '"@query"',
                    '"x-client"'],
    }


def test_no_retry_without_accept_signature(server: StandIn) -> None:
    before = len(server.registry.seen)
    project_id = "no-such-project"
    response = Client(server.url, Signer.generate()).get(f"/api/projects/{project_id}/echo")
    assert response.status == 401
    assert len(server.registry.seen) == before + 1
    with pytest.raises(ClientError) as caught:
        response.raise_for_status()
    assert caught.value.reason == "principal_not_allowed"
    assert caught.value.status == 401


def test_retry_impossible_keeps_the_refusal(server: StandIn) -> None:
    # Without the X-Client field, the advertised set cannot be covered: no retry is sent.
    before = len(server.registry.seen)
    response = Client(server.url, Signer.generate()).get("/api/strict")
    assert response.status == 401
    assert response.reason == "insufficient_coverage"
    assert len(server.registry.seen) == before + 1


def test_discover(server: StandIn) -> None:
    owner = Client(server.url, Signer.generate())
    owner.post_json("/api/projects", {"name": "listed", "auto_approve": True, "public": True})
    found = discover(server.url)
    assert found.document["chains"] == ["eip155:1"]
    assert "listed" in [project["name"] for project in found.projects]


# --------------------------------------------------------------------------------------------
# Joining a project.
# --------------------------------------------------------------------------------------------


def _project(server: StandIn, *, auto_approve: bool, public: bool = False) -> tuple[Client, str]:
    owner = Client(server.url, Signer.generate())
    project = owner.post_json(
        "/api/projects", {"name": "demo", "auto_approve": auto_approve, "public": public}
    )
    return owner, str(project["id"])


def test_bootstrap_with_invite(server: StandIn) -> None:
    owner, project_id = _project(server, auto_approve=False)
    invite = owner.post_json(f"/api/projects/{project_id}/invites",
                             {"uses": 1, "expires_in": 600})
    enrollment = bootstrap(server.url, invite["code"], name="agent-1")
    assert enrollment.status == "approved"
    assert enrollment.project_id == project_id
    assert enrollment.address == enrollment.signer.address
    assert enrollment.address != owner.signer.address
    echo = enrollment.client.get_json(f"/api/projects/{project_id}/echo")
    assert echo["agent"] == enrollment.address
    # The invite had one use: a second agent gets the server's reason.
    with pytest.raises(ClientError) as caught:
        bootstrap(server.url, invite["code"])
    assert (caught.value.reason, caught.value.status) == ("invite_used_up", 410)
    with pytest.raises(ClientError) as caught:
        bootstrap(server.url, "unknown-code")
    assert (caught.value.reason, caught.value.status) == ("not_found", 404)


def test_bootstrap_with_request_access(server: StandIn) -> None:
    _, open_id = _project(server, auto_approve=True)
    enrollment = bootstrap(server.url, name="agent-2", project_id=open_id)
    assert enrollment.status == "approved"
    assert enrollment.client.get(f"/api/projects/{open_id}/echo").status == 200

    _, closed_id = _project(server, auto_approve=False)
    pending = bootstrap(server.url, name="agent-3", project_id=closed_id)
    assert pending.status == "pending"
    refused = pending.client.get(f"/api/projects/{closed_id}/echo")
    assert (refused.status, refused.reason) == (401, "principal_not_allowed")


def test_bootstrap_picks_a_listed_auto_approve_project(server: StandIn) -> None:
    _, public_id = _project(server, auto_approve=True, public=True)
    enrollment = bootstrap(server.url, name="agent-4")
    listed = [p for p in discover(server.url).projects if p["auto_approve"]]
    assert enrollment.project_id == str(listed[0]["id"])
    assert enrollment.status == "approved"
    assert public_id in {str(p["id"]) for p in listed}


def test_request_access_with_existing_signer(server: StandIn) -> None:
    _, project_id = _project(server, auto_approve=True)
    signer = Signer.generate()
    enrollment = request_access(Client(server.url, signer), project_id, "named")
    assert enrollment.agent["name"] == "named"
    assert enrollment.address == signer.address


def test_revoked_agent_is_refused(server: StandIn) -> None:
    owner, project_id = _project(server, auto_approve=True)
    enrollment = bootstrap(server.url, name="agent-5", project_id=project_id)
    assert enrollment.client.get(f"/api/projects/{project_id}/echo").status == 200
    owner.post_json(f"/api/projects/{project_id}/agents/{enrollment.address}/revoke")
    refused = enrollment.client.get(f"/api/projects/{project_id}/echo")
    assert (refused.status, refused.reason) == (401, "principal_not_allowed")
    # A non-owner cannot revoke: 403 after a verified signature.
    with pytest.raises(ClientError) as caught:
        enrollment.client.post_json(
            f"/api/projects/{project_id}/agents/{owner.signer.address}/revoke"
        )
    assert (caught.value.reason, caught.value.status) == ("forbidden", 403)


# --------------------------------------------------------------------------------------------
# Errors at the edge.
# --------------------------------------------------------------------------------------------


def test_transport_error_is_typed() -> None:
    with pytest.raises(ClientError) as caught:
        signed_fetch("http://127.0.0.1:9/api/whoami", signer=Signer.generate(), timeout=2)
    assert caught.value.reason == "transport_error"
    assert caught.value.status == 0


def test_unsupported_scheme_is_typed() -> None:
    with pytest.raises(Erc8128Error) as caught:
        signed_fetch("ftp://127.0.0.1/x", signer=Signer.generate())
    assert caught.value.reason == "target_uri_scheme"


def test_response_helpers() -> None:
    problem = Response(
        401,
        (("WWW-Authenticate", 'ERC8128 error="bad_signature"'),),
        b"",
    )
    assert problem.reason == "bad_signature"
    assert Response(200, (), b"[1]").json() == [1]
    with pytest.raises(ClientError) as caught:
        Response(200, (), b"not json").json()
    assert caught.value.reason == "invalid_response"
    with pytest.raises(ClientError) as caught:
        Response(500, (), b"oops").raise_for_status()
    assert (caught.value.reason, caught.value.status) == ("http_500", 500)


def test_key_file_mode_is_not_required_by_reader(tmp_path: Path) -> None:
    # The reader accepts any readable file; the writer (erc8128 keygen) sets 0600.
    key_file = tmp_path / "k"
    signer = Signer.generate()
    key_file.write_text(format_private_key(signer.private_key))
    os.chmod(key_file, stat.S_IRUSR)
    assert Signer.from_key_file(key_file).address == signer.address
