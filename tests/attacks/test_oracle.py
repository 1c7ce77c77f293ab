"""Issue 11, finding 5: a membership oracle on the registered-agent routes.

A forged signature whose keyid named an approved agent got ``bad_signature``; naming anyone
else got ``principal_not_allowed``, so anyone could learn who is an approved member of a
project, even a non-public one. Decision D29 (SPEC.md): ``VerifierPolicy.principal_private``
asks the Principal policy after cryptography (and still before the nonce is consumed); the demo
app uses it on its registered-agent routes.
"""

import base64
from collections.abc import Iterator

import pytest

from erc8128.crypto.personal_sign import sign_message
from erc8128.errors import VerificationError
from erc8128.http.message import Request
from erc8128.http.signature_base import signature_base_for_label
from erc8128.protocol.keyid import Account
from erc8128.protocol.policy import VerifierPolicy
from erc8128.protocol.sign import sign_request
from erc8128.protocol.verify import verify_request
from erc8128.server import RunningServer, ServerConfig, start_server
from erc8128.state.nonces import MemoryReplayStore
from tests.support.demo_client import Agent, Reply, send_request

NOW = 1700000001
FORGER = (3).to_bytes(32, "big")


def forged(request: Request, label: str = "eth") -> Request:
    """The signature replaced by FORGER's over the same base: the keyid still names the signer."""
    signature = sign_message(FORGER, signature_base_for_label(request, label).encode("ascii"))
    value = f"{label}=:{base64.b64encode(signature).decode('ascii')}:"
    headers = tuple((n, value) if n.lower() == "signature" else (n, v)
                    for n, v in request.headers)
    return Request(request.method, request.target_uri, headers, request.body)


# ------------------------------------------------------------------- the verifier (D29)

MEMBER_KEY, OUTSIDER_KEY = (1).to_bytes(32, "big"), (2).to_bytes(32, "big")
MEMBER = "0x7e5f4552091a69125d5dfcb7b8c2659029395bdf"


def signed(key: bytes, nonce: str = "n") -> Request:
    return sign_request(Request("GET", "https://api.example/x", (), None), key,
                        created=NOW - 1, nonce=nonce).request


def members_only(private: bool) -> VerifierPolicy:
    def allowed(account: Account) -> bool:
        return account.address == MEMBER

    return VerifierPolicy(principal_allowed=allowed, principal_private=private)


def outcome(request: Request, policy: VerifierPolicy, store: MemoryReplayStore) -> str:
    try:
        verify_request(request, now=NOW, nonces=store, policy=policy)
    except VerificationError as error:
        return error.reason
    return "accepted"


@pytest.mark.parametrize(("private", "outsider_forged"),
                         [(False, "principal_not_allowed"), (True, "bad_signature")])
def test_forged_signatures_tell_members_apart_only_without_private(
    private: bool, outsider_forged: str
) -> None:
    store = MemoryReplayStore()
    policy = members_only(private)
    assert outcome(forged(signed(MEMBER_KEY)), policy, store) == "bad_signature"
    assert outcome(forged(signed(OUTSIDER_KEY)), policy, store) == outsider_forged


def test_a_refused_principal_consumes_no_nonce_with_private() -> None:
    store = MemoryReplayStore()
    request = signed(OUTSIDER_KEY)
    assert outcome(request, members_only(True), store) == "principal_not_allowed"
    assert len(store) == 0
    # The same signed request succeeds once the policy admits its signer.
    assert outcome(request, VerifierPolicy(principal_private=True), store) == "accepted"


# --------------------------------------------------------------- over HTTP, the demo app

OWNER = Agent("oracle-owner")
APPROVED = Agent("oracle-approved")
OUTSIDER = Agent("oracle-outsider")


def approve(server: RunningServer, project_id: str, agent: Agent) -> Reply:
    return send_request(server.bound_url, OWNER.sign(
        server.url, "POST", f"/api/projects/{project_id}/agents/{agent.address}/approve",
        {}).request)


def ask(server: RunningServer, project_id: str, agent: Agent) -> Reply:
    return send_request(server.bound_url, agent.sign(
        server.url, "POST", f"/api/projects/{project_id}/request-access",
        {"name": agent.seed}).request)


@pytest.fixture(scope="module")
def project() -> Iterator[tuple[RunningServer, str]]:
    """A non-public project with one approved member (APPROVED); OUTSIDER only asked."""
    with start_server(ServerConfig(port=0)) as server:
        created = send_request(server.bound_url, OWNER.sign(
            server.url, "POST", "/api/projects",
            {"name": "private", "auto_approve": False, "public": False}).request)
        assert created.status == 201, created.body
        project_id = created.json()["id"]
        assert ask(server, project_id, APPROVED).status == 202
        assert approve(server, project_id, APPROVED).status == 200
        assert ask(server, project_id, OUTSIDER).status == 202
        yield server, project_id


def echo(server: RunningServer, project_id: str, agent: Agent) -> Request:
    return agent.sign(server.url, "GET", f"/api/projects/{project_id}/echo").request


def comparable(reply: Reply) -> tuple[int, tuple[tuple[str, str], ...], bytes]:
    headers = tuple((n.lower(), v) for n, v in reply.headers if n.lower() != "date")
    return reply.status, headers, reply.body


def test_forged_signatures_get_identical_answers_member_or_not(
    project: tuple[RunningServer, str],
) -> None:
    server, project_id = project
    nobody = Agent("oracle-nobody")  # never asked for access
    answers = [send_request(server.bound_url, forged(echo(server, project_id, agent)))
               for agent in (APPROVED, OUTSIDER, nobody)]
    assert (answers[0].status, answers[0].json()["reason"]) == (401, "bad_signature")
    assert comparable(answers[0]) == comparable(answers[1]) == comparable(answers[2])


def test_a_genuine_pending_agent_is_refused_without_consuming_its_nonce(
    project: tuple[RunningServer, str],
) -> None:
    server, project_id = project
    request = echo(server, project_id, OUTSIDER)
    refused = send_request(server.bound_url, request)
    assert (refused.status, refused.json()["reason"]) == (401, "principal_not_allowed")
    assert approve(server, project_id, OUTSIDER).status == 200
    # The same signed request is served once its signer is approved: no nonce was consumed.
    assert send_request(server.bound_url, request).status == 200
