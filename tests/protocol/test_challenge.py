"""ERC-8128 §6 failure responses built by erc8128.protocol.challenge (pure, no sockets)."""

import json

import http_sf  # independent RFC 9651 parser, tests only
import pytest

from erc8128.errors import VerificationError
from erc8128.http.message import Request
from erc8128.protocol.challenge import (
    ChallengeError,
    accept_signature,
    exact_components,
    failure_response,
    problem_response,
)
from erc8128.protocol.policy import VerifierPolicy
from erc8128.reasons import REASON_CODES, http_status

POLICY = VerifierPolicy(served_chains=frozenset({8453, 1}))
SECRET = "0xdeadbeefcafe-secret-header-value"


@pytest.mark.parametrize("reason", REASON_CODES)
def test_every_reason_has_its_status_challenge_and_problem_body(reason: str) -> None:
    error = VerificationError(reason, f"received {SECRET}", label="eth")
    response = failure_response(error, policy=POLICY)
    assert response.status == http_status(reason)
    assert response.field_lines("www-authenticate")[0].startswith(f'ERC8128 error="{reason}"')
    assert response.field_lines("content-type") == ("application/problem+json",)
    problem = json.loads(response.body)
    assert set(problem) == {"type", "title", "status", "detail", "reason"}
    assert problem["reason"] == reason
    assert problem["status"] == response.status
    # ERC-8128 §6: failure details MUST NOT expose sensitive content: the message is not echoed.
    assert SECRET not in response.body.decode()
    assert (response.field_lines("retry-after") != ()) == (response.status == 503)
    assert (response.field_lines("accept-signature") != ()) == (reason == "insufficient_coverage")


def test_unsupported_chain_lists_served_chains_as_caip2() -> None:
    response = failure_response(VerificationError("unsupported_chain", "x"), policy=POLICY)
    (challenge,) = response.field_lines("www-authenticate")
    assert challenge == 'ERC8128 error="unsupported_chain", chains="eip155:1 eip155:8453"'


def test_other_reasons_do_not_disclose_chains() -> None:
    response = failure_response(VerificationError("bad_signature", "x"), policy=POLICY)
    assert "chains" not in response.field_lines("www-authenticate")[0]


def test_accept_signature_for_a_body_with_content_type_matches_the_erc_example() -> None:
    request = Request(
        "POST",
        "https://api.example/orders",
        (("Content-Type", "application/json"),),
        b'{"a":1}',
    )
    error = VerificationError("insufficient_coverage", "x", label="request")
    response = failure_response(error, policy=VerifierPolicy(), request=request)
    (hint,) = response.field_lines("accept-signature")
    # ERC-8128 §6 example, byte for byte.
    assert hint == (
        'request=("@scheme" "@authority" "@method" "@path" "@query" "content-digest" '
        '"content-type");created;expires;tag="erc8128"'
    )
    parsed = http_sf.parse(hint.encode(), tltype="dictionary")
    items, params = parsed["request"]
    assert [name for name, _ in items][-2:] == ["content-digest", "content-type"]
    assert params == {"created": True, "expires": True, "tag": "erc8128"}


def test_route_required_components_come_after_the_baseline_once() -> None:
    policy = VerifierPolicy(
        required_components=('"x-dict";key="a"', "content-type"), content_digest="required"
    )
    components = exact_components(policy, has_content=False, has_content_type=True)
    assert components == (
        "@scheme", "@authority", "@method", "@path", "@query",
        '"x-dict";key="a"', "content-type", "content-digest",
    )
    hint = accept_signature(components, nonce="n0nce")
    parsed = http_sf.parse(hint.encode(), tltype="dictionary")
    items, params = parsed["eth"]
    assert items[5] == ("x-dict", {"key": "a"})
    assert params["nonce"] == "n0nce"


def test_legacy_only_policy_advertises_no_tag() -> None:
    policy = VerifierPolicy(profiles=("legacy",))
    response = failure_response(VerificationError("insufficient_coverage", "x"), policy=policy)
    (hint,) = response.field_lines("accept-signature")
    assert "tag" not in hint
    assert hint.startswith('eth=("@authority" "@method" "@path" "@query")')


def test_explicit_route_components_are_used_verbatim() -> None:
    error = VerificationError("insufficient_coverage", "x", label="sig1")
    response = failure_response(
        error, policy=POLICY, route_components=("@authority", "@method", "@path")
    )
    (hint,) = response.field_lines("accept-signature")
    assert hint == 'sig1=("@authority" "@method" "@path");created;expires;tag="erc8128"'


def test_forbidden_and_problem_responses() -> None:
    # The app's 403 (erc8128.server.calls.refusal_response of AppError("forbidden", ...)).
    forbidden = problem_response(403, "forbidden", "not the owner")
    assert forbidden.status == 403
    assert json.loads(forbidden.body)["reason"] == "forbidden"
    assert forbidden.field_lines("www-authenticate") == ()
    missing = problem_response(404, "not_found", "no such project")
    assert json.loads(missing.body) == {
        "type": "about:blank", "title": "Not Found", "status": 404,
        "detail": "no such project", "reason": "not_found",
    }


@pytest.mark.parametrize("status", [200, 302, 600, "400", True])
def test_problem_response_rejects_non_error_status(status: object) -> None:
    with pytest.raises(ChallengeError):
        problem_response(status, "x", "y")  # type: ignore[arg-type]


def test_unknown_reason_is_refused() -> None:
    error = VerificationError("bad_signature", "x")
    error.reason = "made_up"
    with pytest.raises(ChallengeError):
        failure_response(error, policy=POLICY)
