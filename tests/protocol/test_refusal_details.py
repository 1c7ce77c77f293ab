"""Issue 18 item 2, decision D62: every refusal's ``detail`` names its actual cause.

No two causes of one reason code share a detail text (the restart watermark's
``request_validity_too_long`` is not "The route maximum is exceeded"), and no detail echoes a
received value (ERC-8128 §6: "Failure details MUST NOT expose contract revert data, private
policy, or sensitive content"): the expected/got message with the received values stays on the
server. Two tests: every raising site of ``protocol/verify.py`` read as source (each gives a
detail, distinct within its reason, built only from policy values and stable codes), and a table
of causes run through ``verify_request`` and ``failure_response`` asserting the detail sent.
"""

import ast
import base64
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from erc8128.crypto.secp256k1 import N
from erc8128.errors import InvalidationStateUnavailable, VerificationError
from erc8128.http.message import Request
from erc8128.protocol import verify
from erc8128.protocol.accounts import UnavailableAccountState
from erc8128.protocol.challenge import failure_response
from erc8128.protocol.policy import VerifierPolicy
from erc8128.protocol.sign import sign_request
from erc8128.protocol.verify import verify_request
from erc8128.state.invalidation import MemoryInvalidationState
from erc8128.state.nonces.memory import MemoryReplayStore
from tests.support.draft_fixture import NOW, PRIVATE_KEY, positive_request, with_field, without

VERIFY_SOURCE = Path(verify.__file__).read_text(encoding="utf-8")
# The names a detail may interpolate: the route's policy and limits, profile-defined component
# sets, stable sub-error codes and the verifier's own restart watermark; never a received value.
ALLOWED_NAMES = frozenset({
    "limits", "policy", "skew", "limit", "wanted", "name", "missing", "error", "check",
    "restart_floor", "key", "used", "verdict",
    "_KEYID_SYNTAX", "_DIGEST_FAILURE", "_BASE_FAILURE",  # constant tables of verify.py
})


def _raising_calls() -> list[tuple[int, str, ast.expr | None]]:
    calls: list[tuple[int, str, ast.expr | None]] = []
    for node in ast.walk(ast.parse(VERIFY_SOURCE)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name not in ("fail", "_fail") or not node.args:
            continue
        reason = node.args[0]
        if not isinstance(reason, ast.Constant) or not isinstance(reason.value, str):
            continue  # the helpers' own pass-through of a reason variable
        detail = next((k.value for k in node.keywords if k.arg == "detail"), None)
        calls.append((node.lineno, reason.value, detail))
    return calls


def test_every_raising_site_names_its_cause_once_per_reason() -> None:
    calls = _raising_calls()
    assert len(calls) >= 45
    by_reason: dict[str, list[str]] = defaultdict(list)
    for line, reason, detail in calls:
        assert detail is not None, f"verify.py:{line} ({reason}) gives no detail"
        text = ast.unparse(detail)
        assert text not in by_reason[reason], f"verify.py:{line}: {reason} detail shared"
        by_reason[reason].append(text)
        used = {n.id for n in ast.walk(detail) if isinstance(n, ast.Name)}
        # Helpers that build a detail from the verdict's method and the verifier's own origin
        # (the "signed for another origin" cause below shows what the second one says).
        used -= {"_bad_signature_detail", "_origin_hint"}
        assert used <= ALLOWED_NAMES, f"verify.py:{line}: detail reads {used - ALLOWED_NAMES}"


# --------------------------------------------------------------------- causes, end to end

NONCE = "EjRWeJCrze8BI0VniavN7w"


def resign(**kwargs: object) -> Request:
    base = without(without(positive_request(), "signature-input"), "signature")
    options: dict[str, object] = {"created": 1700000000, "expires": 1700000060, "nonce": NONCE}
    options.update(kwargs)
    return sign_request(base, PRIVATE_KEY, **options).request  # type: ignore[arg-type]


def with_signature_bytes(change: Callable[[bytes], bytes]) -> Callable[[], Request]:
    """The positive request with its signature's 65 octets changed by ``change``."""
    def request() -> Request:
        signed = positive_request()
        value = signed.field_lines("signature")[0]
        label, _, encoded = value.partition("=:")
        octets = base64.b64decode(encoded.removesuffix(":"))
        changed = base64.b64encode(change(octets)).decode()
        return with_field(without(signed, "signature"), "signature", f"{label}=:{changed}:")
    return request


def _high_s(octets: bytes) -> bytes:
    """The same (r, n - s) signature with the other v: valid ECDSA, refused as high s."""
    s = int.from_bytes(octets[32:64], "big")
    v = 55 - octets[64]  # 27 <-> 28
    return octets[:32] + (N - s).to_bytes(32, "big") + bytes([v])


def signed_for_another_origin() -> Request:
    """Signed by a client that called http://127.0.0.1:8000 (its Host), received by a verifier
    whose origin is https://api.example."""
    base = without(without(positive_request(), "signature-input"), "signature")
    called = Request(base.method, base.target_uri.replace("https://api.example",
                                                          "http://127.0.0.1:8000"),
                     tuple((n, "127.0.0.1:8000" if n.lower() == "host" else v)
                           for n, v in base.headers), base.body)
    signed = sign_request(called, PRIVATE_KEY, created=1700000000, expires=1700000060,
                          nonce=NONCE).request
    return Request(base.method, base.target_uri, signed.headers, signed.body)


def edited(old: str, new: str) -> Request:
    """The signed request with its Signature-Input text changed (the signer refuses to)."""
    request = resign()
    text = request.field_lines("signature-input")[0]
    assert old in text
    return with_field(request, "signature-input", text.replace(old, new))


class DownInvalidation(MemoryInvalidationState):
    def not_before(self, signer_id: str) -> int | None:
        raise InvalidationStateUnavailable("redis://10.0.0.5:6379 timed out")


@dataclass(frozen=True)
class Cause:
    name: str
    reason: str
    detail: str
    request: Callable[[], Request]
    options: Callable[[], dict[str, object]] = dict


def _full_store() -> dict[str, object]:
    store = MemoryReplayStore(capacity=1)
    store.consume("other", NOW + 100, now=NOW)
    return {"nonces": store}


REPLAYABLE = {"policy": VerifierPolicy(replay="either")}

CAUSES = [
    Cause("no Signature-Input", "signature_missing",
          "the Signature-Input field is missing: this route needs an ERC-8128 signed request",
          lambda: without(positive_request(), "signature-input")),
    Cause("checksummed keyid", "invalid_keyid",
          "the keyid does not have the draft profile's syntax eip155:<chain id, decimal, no "
          "leading zero>:0x<40 lowercase hex digits>",
          lambda: edited("0x7e5f4552091a69125d5dfcb7b8c2659029395bdf",
                         "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf")),
    Cause("no Signature", "signature_missing", "the Signature field is missing",
          lambda: without(positive_request(), "signature")),
    Cause("route maximum", "request_validity_too_long",
          "the validity window exceeds the route maximum of 300 s",
          lambda: resign(expires=1700000000 + 301)),
    Cause("restart watermark", "request_validity_too_long",
          "the verifier restarted: signatures created at or before 1700000000 are refused (one "
          "may have been accepted before the restart); sign again after Retry-After",
          resign, lambda: {"restart_floor": 1700000000}),
    Cause("not an Integer", "invalid_time", "created is not an Integer",
          lambda: edited("created=1700000000", 'created="x"')),
    Cause("expires first", "invalid_time", "expires is not after created",
          lambda: edited("expires=1700000060", "expires=1700000000")),
    # The verifier's own time, never the received created/expires: a signer with a skewed
    # clock reads how far off it is against its own values.
    Cause("expired", "request_expired",
          f"expires plus the allowed skew of 30 s is before this verifier's time {NOW}: sign the "
          f"request again (if every request expires, the signer's clock is behind)",
          lambda: resign(created=NOW - 1000, expires=NOW - 940)),
    Cause("dated in the future", "request_not_yet_valid",
          f"created minus the allowed skew of 30 s is after this verifier's time {NOW}: the "
          f"signer's clock is ahead",
          lambda: resign(created=NOW + 1000, expires=NOW + 1060)),
    Cause("nonce on this route", "nonce_required",
          "this route accepts only Non-Replayable signatures: a nonce is required",
          lambda: resign(nonce=None, replayable=True)),
    Cause("replayable restart", "replayable_not_allowed",
          "the verifier restarted: signatures created at or before 1700000000 are refused (one "
          "may have been accepted before the restart); sign again after Retry-After",
          lambda: resign(nonce=None, replayable=True),
          lambda: {**REPLAYABLE, "invalidation": MemoryInvalidationState(),
                   "restart_floor": 1700000000}),
    Cause("not-before", "replayable_not_allowed",
          "the signer invalidated its signatures created before its not-before time",
          lambda: resign(nonce=None, replayable=True),
          lambda: {**REPLAYABLE, "invalidation": MemoryInvalidationState(
              not_before={"eip155:1:0x7e5f4552091a69125d5dfcb7b8c2659029395bdf": 1700000001})}),
    Cause("replay store full", "signature_verification_unavailable",
          "the replay store did not answer; retry later", resign, _full_store),
    Cause("invalidation state down", "signature_verification_unavailable",
          "the early-invalidation state did not answer (not-before); retry later",
          lambda: resign(nonce=None, replayable=True),
          lambda: {**REPLAYABLE, "invalidation": DownInvalidation()}),
    Cause("chain down", "signature_verification_unavailable",
          "the account state (chain RPC) did not answer; retry later",
          resign, lambda: {"accounts": UnavailableAccountState()}),
    Cause("content changed after signing", "bad_content_digest",
          "the Content-Digest does not verify (content_digest_mismatch): the content's digest "
          "differs from the field's, so the content was changed after signing, or the digest "
          "was computed over other bytes than those sent",
          lambda: replace(positive_request(), body=b'{"hello": "World"}')),
    Cause("covered field absent", "signature_input_invalid",
          "the signature base cannot be built from the request (component_absent): a covered "
          "field is not in the request",
          lambda: without(positive_request(), "content-type")),
    Cause("wrong address", "bad_signature",
          "the signature recovers another address than the keyid's",
          lambda: with_field(resign(), "content-type", "text/plain")),
    Cause("signature not 65 bytes", "bad_signature",
          "the signature is not 65 bytes r || s || v (ERC-8128 §3.4.3)",
          with_signature_bytes(lambda octets: octets[:3])),
    Cause("high s", "bad_signature",
          "the signature's s is above n/2; ERC-8128 §3.4.3 requires low s",
          with_signature_bytes(_high_s)),
    Cause("v not 27 or 28", "bad_signature",
          "the signature's v is not 27 or 28 (ERC-8128 §3.4.3)",
          with_signature_bytes(lambda octets: octets[:64] + bytes([octets[64] - 27]))),
    Cause("r zero", "bad_signature",
          "the signature's r is not in 1..n-1 (ERC-8128 §3.4.3)",
          with_signature_bytes(lambda octets: bytes(32) + octets[32:])),
    Cause("signed for another origin", "bad_signature",
          "the signature recovers another address than the keyid's; the request's Host names "
          "another authority than this verifier's origin https://api.example: a client signs "
          "the @authority of the URL it calls",
          signed_for_another_origin),
]


@pytest.mark.parametrize("cause", CAUSES, ids=[cause.name for cause in CAUSES])
def test_the_detail_sent_names_the_cause(cause: Cause) -> None:
    options: dict[str, object] = {"now": NOW, "nonces": MemoryReplayStore()}
    options.update(cause.options())
    with pytest.raises(VerificationError) as info:
        verify_request(cause.request(), **options)  # type: ignore[arg-type]
    error = info.value
    assert error.reason == cause.reason, error.message
    policy = options.get("policy", VerifierPolicy())
    assert isinstance(policy, VerifierPolicy)
    problem = json.loads(failure_response(error, policy=policy).body)
    assert problem["detail"] == cause.detail
    assert "10.0.0.5" not in problem["detail"]  # a backend's internals stay on the server


def test_no_two_causes_in_the_table_share_a_detail_within_a_reason() -> None:
    seen = {(cause.reason, cause.detail) for cause in CAUSES}
    assert len(seen) == len(CAUSES)
