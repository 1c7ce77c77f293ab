"""Conformance adapter for the ERC-8128 module of ``uvd-x402-sdk`` (PyPI, Python).

Speaks the suite's adapter protocol (JSON lines on stdin/stdout, conformance/README.md): one
request per line, exactly one response per line, nothing else on stdout. Run it as

    python conformance/adapters/uvd_x402/adapter.py

with the pinned SDK installed (``requirements.txt`` beside this file). The SDK speaks the
February text's ``erc8128:`` keyid, so the adapter offers the ``legacy`` profile only.

Posture mapping (README.md beside this file has the whole table): the protocol's ``legacy``
is the SDK's ``legacy-no-alg`` wire when signing and ``accept="legacy"`` when verifying (the
SDK's default ``canonical`` wire adds ``alg="eip191"``, which neither ERC-8128 text has);
``components="request-bound-subset"`` (Request-Bound required, extra components allowed);
nonces consumed after the signature check (the draft's order) in an in-memory store per
``replay_session``; skew on both sides of the window; any label. A policy the SDK cannot
express is answered ``unsupported``, never approximated.

The SDK's own codes are mapped to the 21 stable codes of ERC-8128 §6 (SPEC.md D1); the SDK's
code is kept in ``sdk_reason`` and its HTTP status in ``sdk_status``.
"""

import asyncio
import importlib.metadata
import json
import sys
import urllib.parse
from collections.abc import Callable
from typing import Any, Final

from uvd_x402_sdk.erc8128 import (
    VerifiableRequest,
    VerifyPolicy,
    compute_content_digest,
    eip191_message_hash,
    normalize_authority,
    parse_signature_input,
    sign_request,
    verify_request,
)
from uvd_x402_sdk.erc8128.core import KEYID_RE
from uvd_x402_sdk.erc8128.nonce import NoncePolicy
from uvd_x402_sdk.wallet import EnvKeyAdapter

SDK_NAME: Final = "uvd-x402-sdk"

OPERATIONS: Final = (
    "hello", "personal_message_hash", "content_digest", "parse_keyid", "sign_request",
    "verify_request", "reset_replay_session",
)

# The SDK's codes (uvd_x402_sdk.erc8128.errors.ERC8128_CODES) → ERC-8128 §6 codes.
REASONS: Final[dict[str, str]] = {
    "signature_input_invalid": "signature_input_invalid",
    "signature_invalid": "bad_signature",
    "alg_unsupported": "unsupported_algorithm",
    "alg_missing": "unsupported_algorithm",
    "keyid_not_lowercase": "invalid_keyid",
    "nonce_invalid": "invalid_nonce",
    "nonce_unknown": "nonce_reused",
    "nonce_replayed": "nonce_reused",
    "nonce_expired": "request_expired",
    "nonce_required": "nonce_required",
    "nonce_rate_limited": "signature_verification_unavailable",
    "nonce_capacity": "signature_verification_unavailable",
    "nonce_limits_invalid": "signature_verification_unavailable",
    "nonce_ttl_invalid": "signature_verification_unavailable",
    "nonce_store_unavailable": "signature_verification_unavailable",
    "content_digest_required": "content_digest_required",
    "content_digest_invalid": "bad_content_digest",
    "content_digest_mismatch": "bad_content_digest",
    "components_invalid": "insufficient_coverage",
    "class_bound_rejected": "insufficient_coverage",
    # One SDK code for four §6 conditions (expired, not yet valid, expires <= created, window
    # too long): mapped to the commonest; the others differ by reason code only.
    "signature_stale": "request_expired",
    "chain_not_allowed": "unsupported_chain",
    "wallet_invalid": "invalid_keyid",
    "wallet_mismatch": "bad_signature",
    "authority_invalid": "signature_verification_unavailable",
}


def status_of(reason: str) -> int:
    # ERC-8128 §6: "`signature_input_invalid` and `signature_too_large` use HTTP 400.
    # `signature_verification_unavailable` uses HTTP 503 [...] Every other failure below [...]
    # uses HTTP 401."
    if reason in ("signature_input_invalid", "signature_too_large"):
        return 400
    if reason == "signature_verification_unavailable":
        return 503
    return 401


class Unsupported(Exception):
    """The SDK cannot express this input (answered ``unsupported`` with the detail)."""


class Rejected(Exception):
    def __init__(self, reason: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.extra = extra


# ---- replay sessions ----------------------------------------------------------------------------


class MemoryNonceStore:
    """The SDK's NonceStore protocol over a dict: (chain, wallet, nonce) → kept until."""

    def __init__(self) -> None:
        self.entries: dict[tuple[int, str, str], int] = {}
        self.now = 0
        self.consumed = False

    def consume(self, nonce: str, *, wallet: str, chain_id: int, ttl_seconds: int,
                created: int, expires: int) -> str:
        key = (chain_id, wallet.lower(), nonce)
        until = self.entries.get(key)
        if until is not None and self.now <= until:
            return "replayed"
        self.entries[key] = self.now + ttl_seconds
        self.consumed = True
        return "ok"


SESSIONS: dict[str, MemoryNonceStore] = {}


# ---- decoding ---------------------------------------------------------------------------------


def _hex(value: Any, name: str) -> bytes:
    if not isinstance(value, str):
        raise Rejected("adapter_bad_request", f"expected {name} as a hex string")
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise Rejected("adapter_bad_request", f"expected {name} as hex, got {value!r}") from None


def _legacy(request: dict[str, Any]) -> None:
    if request.get("profile") != "legacy":
        raise Unsupported(f"the SDK speaks the erc8128: keyid (legacy) only, not "
                          f"{request.get('profile')!r}")


def _http_request(value: Any) -> tuple[str, str, list[tuple[str, str]], bytes | None]:
    if not isinstance(value, dict):
        raise Rejected("adapter_bad_request", "expected a request object")
    headers = [(str(n), str(v)) for n, v in value.get("headers", [])]
    body_hex = value.get("body_hex")
    body = None if body_hex is None else _hex(body_hex, "body_hex")
    return str(value["method"]), str(value["url"]), headers, body


def _combined(headers: list[tuple[str, str]]) -> dict[str, str]:
    """The headers as one mapping, repeated fields combined with ", " (RFC 9110 §5.3), the
    shape a web framework hands the SDK."""
    combined: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        combined[key] = f"{combined[key]}, {value}" if key in combined else value
    return combined


# ---- operations -------------------------------------------------------------------------------


def op_hello(_: dict[str, Any]) -> dict[str, Any]:
    return {
        "implementation": {"name": SDK_NAME, "version": importlib.metadata.version(SDK_NAME),
                           "language": "python"},
        "operations": list(OPERATIONS),
        "profiles": ["legacy"],
        # eth-account signs with RFC 6979 deterministic nonces.
        "capabilities": ["rfc6979"],
        "libraries": {name: importlib.metadata.version(name)
                      for name in (SDK_NAME, "eth-account", "pydantic", "httpx")},
    }


def op_personal_message_hash(request: dict[str, Any]) -> dict[str, Any]:
    message = _hex(request.get("message_hex"), "message_hex")
    try:
        text = message.decode("utf-8")
    except UnicodeDecodeError:
        raise Unsupported("eip191_message_hash takes a str: the message is not UTF-8") from None
    return {"hash_hex": eip191_message_hash(text).hex()}


def op_content_digest(request: dict[str, Any]) -> dict[str, Any]:
    if request.get("algorithms") != ["sha-256"]:
        raise Unsupported("compute_content_digest computes sha-256 only")
    return {"value": compute_content_digest(_hex(request.get("body_hex"), "body_hex"))}


def op_parse_keyid(request: dict[str, Any]) -> dict[str, Any]:
    _legacy(request)
    keyid = request.get("keyid")
    # The SDK's own keyid syntax (core.KEYID_RE), the one its parser applies.
    match = KEYID_RE.match(keyid) if isinstance(keyid, str) else None
    if match is None:
        raise Rejected("invalid_keyid", f"KEYID_RE does not match {keyid!r}")
    return {"chain_id": int(match.group(1)), "address": match.group(2).lower()}


def op_sign_request(request: dict[str, Any]) -> dict[str, Any]:
    _legacy(request)
    method, url, headers, body = _http_request(request.get("request"))
    if request.get("components") is not None:
        raise Unsupported("sign_request chooses the covered components itself")
    if request.get("params"):
        raise Unsupported("sign_request takes no extra signature parameters")
    created, expires = request.get("created"), request.get("expires")
    if type(created) is not int or type(expires) is not int:
        raise Unsupported("sign_request takes integer times only")
    try:
        wallet = EnvKeyAdapter(private_key=str(request.get("private_key_hex")))
    except ValueError as error:
        raise Rejected("invalid_key", f"EnvKeyAdapter refused the key: {error}") from None
    try:
        signed = sign_request(
            wallet, method, url, body, request.get("nonce"), int(request.get("chain_id", 1)),
            str(request.get("label") or "eth"), expires - created,
            profile="legacy-no-alg", now=lambda: created,
        )
    except (ValueError, TypeError) as error:
        raise Rejected("sign_rejected", f"{type(error).__name__}: {error}") from None
    # The SDK returns only its own fields. Its Content-Digest replaces one already on the
    # request (it signs its own); its Signature-Input / Signature are new field lines, so an
    # earlier signature stays (RFC 9421 §4.1-4.2).
    merged = [[n, v] for n, v in headers if n.lower() != "content-digest" or
              "content-digest" not in {name.lower() for name in signed}]
    merged += [[name, value] for name, value in signed.items()]
    return {"headers": merged}


_POLICY_FIELDS: Final = frozenset({
    "skew_sec", "max_validity_sec", "served_chains", "replay", "class_bound",
    "required_components", "content_digest", "denied_principals", "not_before",
    "invalidated_signatures", "honor_mode_eoa", "account_state",
})


def _policy(policy: dict[str, Any], authority: str, now: int,
            store: MemoryNonceStore) -> VerifyPolicy:
    unknown = sorted(set(policy) - _POLICY_FIELDS)
    if unknown:
        raise Unsupported(f"policy fields {unknown} have no SDK equivalent")
    if policy.get("class_bound"):
        raise Unsupported("the SDK has no Class-Bound acceptance (components is exact-ordered "
                          "or request-bound-subset)")
    if policy.get("required_components"):
        raise Unsupported("the SDK cannot require extra components")
    if policy.get("content_digest", "request-body") != "request-body":
        raise Unsupported("content_digest=required has no SDK equivalent")
    for name in ("denied_principals", "not_before", "invalidated_signatures"):
        if policy.get(name):
            raise Unsupported(f"{name}: the SDK has no principal policy or early invalidation")
    if policy.get("account_state", "no-code") != "no-code":
        raise Unsupported("the SDK reads no account state (ERC-1271 only through a caller hook)")
    replay = policy.get("replay", "non-replayable")
    skew = int(policy.get("skew_sec", 30))
    return VerifyPolicy(
        authority=authority,
        accept="legacy",
        components="request-bound-subset",
        content_digest="body-present",
        nonce=NoncePolicy(store=store, mode="required" if replay == "non-replayable"
                          else "optional", consume="after-verify"),
        allowed_chain_ids=tuple(int(c) for c in policy.get("served_chains", [1])),
        max_validity_sec=int(policy.get("max_validity_sec", 300)),
        clock_skew_future_sec=skew,
        clock_skew_past_expiry_sec=skew,
        label="any",
        now=lambda: now,
    )


def op_verify_request(request: dict[str, Any]) -> dict[str, Any]:
    _legacy(request)
    method, url, headers, body = _http_request(request.get("request"))
    now = request.get("now")
    if type(now) is not int:
        raise Rejected("adapter_bad_request", "expected an integer now")
    session = request.get("replay_session")
    store = SESSIONS.setdefault(session, MemoryNonceStore()) if isinstance(session, str) \
        else MemoryNonceStore()
    store.now, store.consumed = now, False
    parts = urllib.parse.urlsplit(url)
    authority = normalize_authority(parts.netloc, parts.scheme)
    policy = _policy(request.get("policy") or {}, authority, now, store)
    verifiable = VerifiableRequest(method=method, url=url, headers=_combined(headers),
                                   raw_body=body)
    try:
        result = asyncio.run(verify_request(verifiable, policy))
    except Exception as error:  # an exception escaping the SDK: an application's 500
        raise Rejected("sdk_exception", f"{type(error).__name__}: {error}", status=500,
                       sdk_reason=type(error).__name__) from None
    if not result.ok:
        code = str(result.code)
        reason = REASONS.get(code, "sdk_error")
        raise Rejected(reason, str(result.message), status=status_of(reason), sdk_reason=code,
                       sdk_status=result.status, nonce_consumed=store.consumed)
    return {
        "address": str(result.wallet).lower(),
        "chain_id": result.chain_id,
        "keyid": result.keyid,
        "label": result.label,
        "replayable": result.nonce is None,
        # The SDK accepts Request-Bound signatures only (request-bound-subset).
        "request_bound": True,
        # VerifyResult does not say; the SDK's own parser of the field does.
        "covered": [f'"{name}"' for name in
                    parse_signature_input(_combined(headers)["signature-input"]).covered],
        "nonce_consumed": store.consumed,
    }


def op_reset_replay_session(request: dict[str, Any]) -> dict[str, Any]:
    SESSIONS.pop(str(request.get("replay_session")), None)
    return {}


HANDLERS: Final[dict[str, Callable[[dict[str, Any]], dict[str, Any]]]] = {
    "hello": op_hello,
    "personal_message_hash": op_personal_message_hash,
    "content_digest": op_content_digest,
    "parse_keyid": op_parse_keyid,
    "sign_request": op_sign_request,
    "verify_request": op_verify_request,
    "reset_replay_session": op_reset_replay_session,
}


def answer(line: str) -> dict[str, Any]:
    try:
        request = json.loads(line)
    except ValueError as error:
        return {"seq": None, "error": {"reason": "adapter_bad_json", "message": str(error)}}
    seq = request.get("seq") if isinstance(request, dict) else None
    if not isinstance(request, dict) or type(seq) is not int or not isinstance(
            request.get("op"), str):
        return {"seq": seq if type(seq) is int else None,
                "error": {"reason": "adapter_bad_request",
                          "message": "expected an object with an integer seq and a string op"}}
    handler = HANDLERS.get(request["op"])
    if handler is None:
        return {"seq": seq, "unsupported": True, "detail": f"no operation {request['op']!r}"}
    try:
        return {"seq": seq, "ok": handler(request)}
    except Unsupported as why:
        return {"seq": seq, "unsupported": True, "detail": str(why)}
    except Rejected as rejected:
        return {"seq": seq, "error": {"reason": rejected.reason, "message": rejected.message,
                                      **rejected.extra}}
    except Exception as error:  # a bug of this adapter, or an SDK exception outside verify
        return {"seq": seq, "error": {"reason": "adapter_internal",
                                      "message": f"{type(error).__name__}: {error}"}}


def main() -> None:
    for line in sys.stdin:
        if not line.strip():
            continue
        sys.stdout.write(json.dumps(answer(line)) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
