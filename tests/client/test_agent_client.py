"""The agent client (erc8128.client) against the demo server over 127.0.0.1.

The server is erc8128.server.start_server on a free port: every request crosses a real socket
and is verified by erc8128.protocol.verify behind the demo server's HTTP API. Addresses are
cross-checked with eth-account (an independent implementation).
"""

import http.client
import io
import json
import os
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account import Account as EthAccount

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
from erc8128.errors import Erc8128Error, InvalidKey
from erc8128.server import ServerConfig, start_server


@dataclass
class Demo:
    url: str
    log: io.StringIO  # the server's access log: one line per request

    def requests_seen(self) -> list[str]:
        """The access log, once it has stopped growing (a line is written after the answer)."""
        lines = self.log.getvalue().splitlines()
        while True:
            time.sleep(0.05)
            again = self.log.getvalue().splitlines()
            if again == lines:
                return lines
            lines = again


@pytest.fixture(scope="module")
def server() -> Iterator[Demo]:
    log = io.StringIO()
    with start_server(ServerConfig(port=0, access_log=log)) as running:
        yield Demo(running.url, log)


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


def test_whoami(server: Demo) -> None:
    signer = Signer.generate()
    answer = Client(server.url, signer).get_json("/api/whoami")
    assert answer["address"] == EthAccount.from_key(signer.private_key).address.lower()
    assert answer["keyid"] == signer.keyid
    assert answer["label"] == "eth"
    assert answer["binding"] == "request-bound"
    assert answer["replay"] == "non-replayable"
    assert answer["covered"] == ["@scheme", "@authority", "@method", "@path", "@query"]


def test_post_covers_digest_and_type(server: Demo) -> None:
    owner = Client(server.url, Signer.generate())
    response = owner.post("/api/projects", {"name": "q", "auto_approve": True, "public": False})
    assert response.status == 201
    assert response.json()["owner"] == owner.signer.address
    assert response.signed is not None
    assert response.signed.signature_input.startswith(
        '("@scheme" "@authority" "@method" "@path" "@query" "content-digest" "content-type");'
    )


def test_unsigned_and_replayed_requests_are_refused(server: Demo) -> None:
    host = server.url.removeprefix("http://")
    connection = http.client.HTTPConnection(host, timeout=5)
    connection.request("GET", "/api/whoami")
    answer = connection.getresponse()
    assert answer.status == 401
    assert answer.getheader("WWW-Authenticate") == 'ERC8128 error="signature_missing"'
    assert json.loads(answer.read())["reason"] == "signature_missing"
    connection.close()

    first = signed_fetch(server.url + "/api/whoami", signer=Signer.generate())
    assert first.status == 200
    assert first.signed is not None
    connection = http.client.HTTPConnection(host, timeout=5)
    connection.request("GET", "/api/whoami", headers=dict(first.signed.request.headers))
    replay = connection.getresponse()
    body = replay.read()
    connection.close()
    assert replay.status == 401
    assert json.loads(body)["reason"] == "nonce_reused"


CLASS_BOUND = ("@authority", "@method", "@path", "content-digest", "content-type")


def test_retry_follows_accept_signature_exactly(server: Demo) -> None:
    # A Class-Bound signature on a route that requires Request-Bound is refused with
    # insufficient_coverage and an Accept-Signature listing the route's exact set.
    signer = Signer.generate()
    body = {"name": "retry", "auto_approve": False, "public": False}
    refused = signed_fetch(
        server.url + "/api/projects", signer=signer, method="POST",
        headers=[("Content-Type", "application/json")], body=json.dumps(body).encode(),
        components=CLASS_BOUND, label="mine",
    )
    assert (refused.status, refused.reason) == (401, "insufficient_coverage")
    hint = refused.header("accept-signature")
    assert hint is not None
    (wanted,) = parse_accept_signature(hint)
    assert wanted.label == "mine"

    before = len(server.requests_seen())
    response = Client(server.url, signer, label="mine").request(
        "POST", "/api/projects", json_body=body, components=CLASS_BOUND
    )
    assert response.status == 201
    # Two requests reached the server: the refused one and the repaired one.
    outcomes = [line.split()[-2] for line in server.requests_seen()[before:]]
    assert outcomes == ["401", "201"]
    # ERC-8128 §6: "A retry MUST use the advertised label and cover exactly the listed
    # component identifiers in the listed order".
    assert response.signed is not None
    assert response.signed.label == wanted.label
    covered = response.signed.signature_input.split(");")[0] + ")"
    assert covered == "(" + " ".join(f'"{name}"' for name in wanted.components) + ")"


def test_no_retry_without_accept_signature(server: Demo) -> None:
    _, project_id = _project(server, auto_approve=False)
    before = len(server.requests_seen())
    response = Client(server.url, Signer.generate()).get(f"/api/projects/{project_id}/echo")
    assert response.status == 401
    assert response.header("accept-signature") is None
    assert len(server.requests_seen()) == before + 1
    with pytest.raises(ClientError) as caught:
        response.raise_for_status()
    assert caught.value.reason == "principal_not_allowed"
    assert caught.value.status == 401


def test_discover(server: Demo) -> None:
    _, project_id = _project(server, auto_approve=True, public=True)
    found = discover(server.url)
    assert found.document["chains"] == ["eip155:1"]
    assert "/api/whoami" in found.document["route_policies"]
    assert project_id in [project["id"] for project in found.projects]


# --------------------------------------------------------------------------------------------
# Joining a project.
# --------------------------------------------------------------------------------------------


def _project(server: Demo, *, auto_approve: bool, public: bool = False) -> tuple[Client, str]:
    owner = Client(server.url, Signer.generate())
    project = owner.post_json(
        "/api/projects", {"name": "demo", "auto_approve": auto_approve, "public": public}
    )
    return owner, str(project["id"])


def test_bootstrap_with_invite(server: Demo) -> None:
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


def test_bootstrap_with_request_access(server: Demo) -> None:
    _, open_id = _project(server, auto_approve=True)
    enrollment = bootstrap(server.url, name="agent-2", project_id=open_id)
    assert enrollment.status == "approved"
    assert enrollment.client.get(f"/api/projects/{open_id}/echo").status == 200

    owner, closed_id = _project(server, auto_approve=False)
    pending = bootstrap(server.url, name="agent-3", project_id=closed_id)
    assert pending.status == "pending"
    refused = pending.client.get(f"/api/projects/{closed_id}/echo")
    assert (refused.status, refused.reason) == (401, "principal_not_allowed")
    owner.post_json(f"/api/projects/{closed_id}/agents/{pending.address}/approve")
    assert pending.client.get(f"/api/projects/{closed_id}/echo").status == 200


def test_bootstrap_picks_a_listed_auto_approve_project(server: Demo) -> None:
    _project(server, auto_approve=True, public=True)
    enrollment = bootstrap(server.url, name="agent-4")
    listed = [p for p in discover(server.url).projects if p["auto_approve"]]
    assert enrollment.project_id == str(listed[0]["id"])
    assert enrollment.status == "approved"


def test_request_access_with_existing_signer(server: Demo) -> None:
    _, project_id = _project(server, auto_approve=True)
    signer = Signer.generate()
    enrollment = request_access(Client(server.url, signer), project_id, "named")
    assert enrollment.agent["name"] == "named"
    assert enrollment.address == signer.address


def test_revoked_agent_is_refused(server: Demo) -> None:
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


def test_a_client_without_a_base_url_refuses_a_url_without_a_scheme() -> None:
    """Client("", signer) sends to the URL it is given: one without http(s):// is refused
    before anything is signed, with the URL to type (not joined into '/127.0.0.1:…')."""
    client = Client("", Signer.generate())
    with pytest.raises(ClientError) as refused:
        client.request("GET", "127.0.0.1:8128/api/whoami")
    assert refused.value.reason == "url_not_absolute"
    assert "http://127.0.0.1:8128/api/whoami" in refused.value.message
