"""Live-server mode: sign fresh requests and check a running verifier's answers (ERC-8128 §6).

The suite signs with the reference implementation's own building blocks (signature base, ERC-191
hash, RFC 6979 signing) and a fixed test key (address :data:`LIVE_ADDRESS`), times relative to
the clock now, fresh random nonces. Each check in :data:`LIVE_CHECKS` sends one or a few
requests to the signed ``GET`` endpoint (``--path``, default ``/api/whoami``) or, for the
content checks, to a signed ``POST`` endpoint (``--post-path``) that takes a JSON body, and
compares the status, the ``WWW-Authenticate`` challenge and the ``application/problem+json``
body with what the rule the check names requires.

Every check names its rule per profile (:mod:`erc8128_conformance.live_requirements`): the
sentence of that profile's text, or the SPEC.md decision where the text is silent. A check
that cannot run against this server (no ``--post-path``, no discovery document where the
expected answer depends on route policy) is reported as not supported, never as passed.

ERC-8128 §6: "When a response body is sent, it SHOULD use RFC 9457 `application/problem+json`
and MUST include the same stable code in a `reason` extension."
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from erc8128.crypto.accelerate import personal_message_hash, sign_hash
from erc8128.crypto.addresses import address_of
from erc8128.crypto.secp256k1 import N
from erc8128.http.content_digest import content_digest
from erc8128.http.message import Request
from erc8128.http.signature_base import signature_base
from erc8128.http.structured_fields import (
    BareItem,
    InnerList,
    Token,
    parse_dictionary,
    serialize_bare_item,
    serialize_inner_list,
)
from erc8128.protocol.keyid import ProfileName
from erc8128.protocol.profiles import get_profile
from erc8128.protocol.sign import new_nonce, parse_component, sign_request
from erc8128.state.invalidation import fingerprint_of
from erc8128_conformance.live_requirements import DECISION, DRAFT, LEGACY, RFC, Requirement
from erc8128_conformance.live_transport import (
    CHALLENGE_ERROR,
    RATE_LIMIT_MAX_WAIT_SEC,
    RATE_LIMIT_RETRIES,
    BadAnswer,
    HttpAnswer,
    LiveTarget,
    RateLimited,
    fetch_discovery,
    retry_after,
    route_policy,
    send,
    send_together,
)

__all__ = [
    "LIVE_ADDRESS",
    "LIVE_CHECKS",
    "LIVE_PRIVATE_KEY",
    "POST_BODY",
    "RACE_COPIES",
    "RACE_ROUNDS",
    "REASON_ONLY",
    "BadAnswer",
    "CheckNotApplicable",
    "HttpAnswer",
    "LiveCheck",
    "LiveContext",
    "LiveTarget",
    "RateLimited",
    "fetch_discovery",
    "route_policy",
    "send",
    "send_together",
    "valid_request",
]

# A fixed, public test key (the example key of the eth-account documentation; it must never
# hold anything of value).
LIVE_PRIVATE_KEY: Final = bytes.fromhex(
    "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
)
LIVE_ADDRESS: Final = address_of(LIVE_PRIVATE_KEY)
# A second public key, for a keyid that names someone else.
OTHER_PRIVATE_KEY: Final = bytes.fromhex("11" * 32)
# A window every baseline route accepts (ERC-8128 §3.3.2: "a baseline route MUST accept
# validity windows up to 60 seconds").
VALIDITY_SEC: Final = 60
# What the content checks POST (with Content-Type: application/json).
POST_BODY: Final = b'{"name":"erc8128 conformance"}'
# A chain no test server serves (unless its discovery document says otherwise).
UNSERVED_CHAIN: Final = 8128000128
# The replay race (ERC-8128 draft §3.1.2, "Implementations MUST test a replay race by submitting
# the positive request concurrently: exactly one request may authenticate"): this many copies of
# one signed request, each on its own connection, released together by a barrier, per round.
RACE_COPIES: Final = 8
RACE_ROUNDS: Final = 3
class CheckNotApplicable(Exception):
    """The check cannot be judged against this server (reported as not supported)."""


@dataclass(frozen=True)
class LiveContext:
    """What a check needs: the target, the POST endpoint, the discovery document (if any)."""

    target: LiveTarget
    post_path: str | None = None
    discovery: Mapping[str, Any] | None = None
    discovery_note: str = "not fetched"
    # Other instances of the same deployment (scheme://authority each): the replay race spreads
    # its copies over them, sent with the trusted origin's Host (they share one replay store).
    instances: tuple[str, ...] = ()
    # Every profile the run tests (the cross-profile replay key check needs both).
    run_profiles: tuple[str, ...] = ()

    @property
    def profile(self) -> ProfileName:
        return self.target.profile

    def get_policy(self) -> Mapping[str, Any] | None:
        return route_policy(self.discovery, self.target.path, "GET")

    def post_policy(self) -> Mapping[str, Any] | None:
        if self.post_path is None:
            return None
        return route_policy(self.discovery, self.post_path, "POST")

    def need_post(self) -> str:
        if self.post_path is None:
            raise CheckNotApplicable("no --post-path: the content checks need a signed POST route")
        return self.post_path


# ---- signing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Forged:
    request: Request
    member: str  # the Signature-Input member value
    signature: bytes
    message_hash: bytes = b""  # H, the ERC-191 hash of the signature base (its fingerprint)


def _keyid(profile: ProfileName, chain_id: int, address: str) -> str:
    return f"{get_profile(profile).keyid_prefix}:{chain_id}:{address}"


def forge(
    ctx: LiveContext,
    *,
    method: str = "GET",
    target: str | None = None,
    body: bytes | None = None,
    headers: Sequence[tuple[str, str]] = (),
    digest: bool = True,
    components: Sequence[str] | None = None,
    created: int | None = None,
    expires: int | None = None,
    nonce: str | None = None,
    replayable: bool = False,
    keyid: str | None = None,
    edit_params: Callable[[list[tuple[str, BareItem]]], list[tuple[str, BareItem]]] | None = None,
    label: str = "eth",
    key: bytes = LIVE_PRIVATE_KEY,
) -> Forged:
    """Sign a request built from the parts given, any parameter allowed (the checks need
    parameters the reference signer refuses to write).

    ``target`` is path and query (default ``--path``); a body gets ``Content-Digest: sha-256``
    unless ``digest`` is false; ``components`` default to the profile's Request-Bound set plus
    what it always requires; parameters are created, expires, nonce, keyid, tag (draft), then
    ``edit_params`` may change the list.
    """
    profile = get_profile(ctx.profile)
    now = int(time.time())
    created = now if created is None else created
    expires = created + VALIDITY_SEC if expires is None else expires
    uri = ctx.target.base_url.rstrip("/") + (ctx.target.path if target is None else target)
    lines = [("Host", ctx.target.authority), *headers]
    if body and digest and not any(name.lower() == "content-digest" for name, _ in lines):
        lines.append(("Content-Digest", content_digest(body)))
    request = Request(method, uri, tuple(lines), body)
    if components is None:
        components = profile.signing_components(
            has_query="?" in uri.split("#", 1)[0],
            has_content=bool(body),
            has_content_digest=bool(request.field_lines("content-digest")),
            has_content_type=bool(request.field_lines("content-type")),
        )
    params: list[tuple[str, BareItem]] = [("created", created), ("expires", expires)]
    if not replayable:
        params.append(("nonce", new_nonce() if nonce is None else nonce))
    params.append(("keyid", keyid or _keyid(ctx.profile, ctx.target.chain_id,
                                            address_of(key))))
    if profile.tag is not None:
        params.append(("tag", profile.tag))
    if edit_params is not None:
        params = edit_params(params)
    member = InnerList(tuple(parse_component(name) for name in components), tuple(params))
    base = signature_base(request, member)
    message_hash = personal_message_hash(base.encode("ascii"))
    signature = sign_hash(key, message_hash)
    serialized = serialize_inner_list(member)
    signed = request.with_header("Signature-Input", f"{label}={serialized}")
    signed = signed.with_header("Signature", f"{label}={serialize_bare_item(signature)}")
    return Forged(signed, serialized, signature, message_hash)


def valid_request(ctx: LiveContext, **changes: Any) -> Request:
    """A fresh Request-Bound, Non-Replayable request signed with the live test key."""
    return forge(ctx, **changes).request


def signed(target: LiveTarget, *, created: int | None = None, nonce: str | None = None) -> Request:
    """A fresh Request-Bound, Non-Replayable ``GET`` signed by the reference ``sign_request``."""
    created = int(time.time()) if created is None else created
    unsigned = Request("GET", target.url, (("Host", target.authority),), None)
    return sign_request(
        unsigned, LIVE_PRIVATE_KEY, profile=target.profile, chain_id=target.chain_id,
        created=created, expires=created + VALIDITY_SEC,
        nonce=new_nonce() if nonce is None else nonce,
    ).request


def post_request(ctx: LiveContext, **changes: Any) -> Forged:
    headers = changes.pop("headers", (("Content-Type", "application/json"),))
    return forge(ctx, method="POST", target=ctx.need_post(), body=changes.pop("body", POST_BODY),
                 headers=headers, **changes)


def _replace_header(request: Request, name: str, value: str) -> Request:
    headers = tuple(
        (key, value if key.lower() == name.lower() else old) for key, old in request.headers
    )
    return Request(request.method, request.target_uri, headers, request.body)


def _drop_header(request: Request, name: str) -> Request:
    headers = tuple((key, value) for key, value in request.headers if key.lower() != name.lower())
    return Request(request.method, request.target_uri, headers, request.body)


def _with_target(ctx: LiveContext, request: Request, target: str) -> Request:
    return Request(request.method, ctx.target.base_url.rstrip("/") + target, request.headers,
                   request.body)


def _signature_field(label: str, signature: bytes) -> str:
    return f"{label}=:{base64.b64encode(signature).decode('ascii')}:"


# ---- expectations ------------------------------------------------------------------------------


def _expect_rejection(answer: HttpAnswer, status: int, reason: str) -> list[str]:
    """ERC-8128 §6: the status of the code, the challenge with `error`, the problem body."""
    problems = []
    if answer.status != status:
        problems.append(f"status: expected {status}, got {answer.status}")
    # ERC-8128 §6: "Every 401 response MUST include a challenge applicable to the target
    # resource"; "Its optional `error` auth-param carries one reason code from this section".
    challenge = answer.header("WWW-Authenticate")
    if status == 401 and challenge is None:
        problems.append("WWW-Authenticate: expected an ERC8128 challenge, got none")
    if challenge is not None:
        match = CHALLENGE_ERROR.match(challenge)
        if match is None or match.group(1) != reason:
            problems.append(
                f'WWW-Authenticate: expected ERC8128 error="{reason}", got {challenge!r}'
            )
    content_type = (answer.header("Content-Type") or "").split(";")[0].strip().lower()
    if answer.body:
        if content_type != "application/problem+json":
            problems.append(
                f"Content-Type: expected application/problem+json, got {content_type!r}"
            )
        try:
            document = json.loads(answer.body)
        except ValueError:
            document = None
        got = document.get("reason") if isinstance(document, dict) else None
        if got != reason:
            problems.append(f"problem+json reason: expected {reason!r}, got {got!r}")
    return problems


def _status_of(reason: str) -> int:
    # ERC-8128 §6: "`signature_input_invalid` and `signature_too_large` use HTTP 400.
    # `signature_verification_unavailable` uses HTTP 503 [...] Every other failure below [...]
    # uses HTTP 401."
    if reason in ("signature_input_invalid", "signature_too_large"):
        return 400
    if reason == "signature_verification_unavailable":
        return 503
    return 401


# A problem of a request that was refused, but with another code or status (the report's
# "reason code or status only" group).
REASON_ONLY: Final = "reason/status only: "


def rejected(answer: HttpAnswer, reason: str, what: str = "") -> list[str]:
    problems = _expect_rejection(answer, _status_of(reason), reason)
    prefix = f"{what}: " if what else ""
    if not 200 <= answer.status < 300:
        prefix = REASON_ONLY + prefix
    return [f"{prefix}{p} ({answer.summary()})" for p in problems]


def accepted(answer: HttpAnswer, what: str = "a valid signed request",
             signer: str = LIVE_ADDRESS) -> list[str]:
    if not 200 <= answer.status < 300:
        return [f"{what}: expected 2xx, got {answer.summary()}"]
    # A JSON answer that names the caller must name the signer (as /api/whoami does).
    try:
        document = json.loads(answer.body)
    except ValueError:
        return []
    address = document.get("address") if isinstance(document, dict) else None
    if isinstance(address, str) and address.lower() != signer:
        return [f"{what}: the answer names {address}, expected the signer {signer}"]
    return []


def refused(answer: HttpAnswer, what: str) -> list[str]:
    """Not accepted: any 4xx (a router may refuse before the verifier does) or 501 (RFC 9110
    §15.6.2: "the appropriate response when the server does not recognize the request method");
    a 2xx accepted a signature for another request, another 5xx is a crash, not a refusal."""
    if 400 <= answer.status < 500 or answer.status == 501:
        return []
    return [f"{what}: expected a 4xx refusal (or 501), got {answer.summary()}"]


def accepted_or_rejected(answer: HttpAnswer, reasons: Sequence[str], what: str) -> list[str]:
    """Either outcome is conforming (the route's policy decides), but nothing else."""
    if 200 <= answer.status < 300:
        return accepted(answer, what)
    got = answer.reason()
    if got in reasons:
        return rejected(answer, got, what)
    # Refused, but with another code: reason-only.
    return [f"{REASON_ONLY}{what}: expected 2xx or a rejection with {list(reasons)}, got "
            f"{answer.summary()}"]


# ---- the checks --------------------------------------------------------------------------------

CheckFunction = Callable[[LiveContext], list[str]]


@dataclass(frozen=True)
class LiveCheck:
    """One live check: its rule per profile (a profile without one does not run it)."""

    name: str
    run: CheckFunction
    requirements: Mapping[str, Requirement] = field(default_factory=dict)

    def requirement(self, profile: str) -> Requirement | None:
        return self.requirements.get(profile)


def _both(draft: str, legacy: str) -> dict[str, Requirement]:
    return {"draft": _lookup(draft), "legacy": _lookup(legacy)}


def _draft_only(draft: str) -> dict[str, Requirement]:
    return {"draft": _lookup(draft)}


def _lookup(rid: str) -> Requirement:
    for table in (DECISION,):
        if rid in table:
            return table[rid]
    if rid.startswith("rfc:"):
        return RFC[rid.removeprefix("rfc:")]
    if rid.startswith("legacy:"):
        return LEGACY[rid.removeprefix("legacy:")]
    return DRAFT[rid]


def _now() -> int:
    return int(time.time())


# Baseline and whole-message failures ------------------------------------------------------------


def check_valid(ctx: LiveContext) -> list[str]:
    return accepted(send(ctx.target, valid_request(ctx)))


def check_missing_signature(ctx: LiveContext) -> list[str]:
    unsigned = Request("GET", ctx.target.url, (("Host", ctx.target.authority),), None)
    return rejected(send(ctx.target, unsigned), "signature_missing")


def check_signature_field_missing(ctx: LiveContext) -> list[str]:
    request = _drop_header(valid_request(ctx), "Signature")
    return rejected(send(ctx.target, request), "signature_missing")


def check_tampered(ctx: LiveContext) -> list[str]:
    request = valid_request(ctx)
    signature_input = ", ".join(request.field_lines("signature-input"))
    # A covered signature parameter changed after signing: the nonce stays a valid nonce, so
    # the only thing wrong is the signature.
    tampered, count = re.subn(r'nonce="([^"]*)"', r'nonce="\1x"', signature_input)
    if count != 1:
        return [f"cannot tamper with {signature_input!r}"]
    answer = send(ctx.target, _replace_header(request, "Signature-Input", tampered))
    return rejected(answer, "bad_signature")


def check_malformed_signature_input(ctx: LiveContext) -> list[str]:
    request = _replace_header(valid_request(ctx), "Signature-Input", 'eth=("@authority" "@method"')
    return rejected(send(ctx.target, request), "signature_input_invalid")


def check_signature_not_byte_sequence(ctx: LiveContext) -> list[str]:
    forged = forge(ctx)
    value = f'eth="{base64.b64encode(forged.signature).decode("ascii")}"'
    request = _replace_header(forged.request, "Signature", value)
    return rejected(send(ctx.target, request), "signature_input_invalid")


# Time ------------------------------------------------------------------------------------------


def check_expired(ctx: LiveContext) -> list[str]:
    # Created 400 s ago, expired 340 s ago: beyond any 30 s skew.
    return rejected(send(ctx.target, valid_request(ctx, created=_now() - 400)), "request_expired")


def check_not_yet_valid(ctx: LiveContext) -> list[str]:
    # Created 200 s ahead: beyond any 30 s skew.
    request = valid_request(ctx, created=_now() + 200)
    return rejected(send(ctx.target, request), "request_not_yet_valid")


def check_created_within_skew(ctx: LiveContext) -> list[str]:
    # Created 15 s ahead of the suite's clock: inside a 30 s skew with 15 s to spare.
    return accepted(send(ctx.target, valid_request(ctx, created=_now() + 15)),
                    "created 15 s in the future")


def check_expired_within_skew(ctx: LiveContext) -> list[str]:
    now = _now()
    request = valid_request(ctx, created=now - 70, expires=now - 15)
    return accepted(send(ctx.target, request), "expired 15 s ago")


def check_expires_equals_created(ctx: LiveContext) -> list[str]:
    now = _now()
    return rejected(send(ctx.target, valid_request(ctx, created=now, expires=now)), "invalid_time")


def check_expires_before_created(ctx: LiveContext) -> list[str]:
    now = _now()
    request = valid_request(ctx, created=now, expires=now - 1)
    return rejected(send(ctx.target, request), "invalid_time")


def check_created_missing(ctx: LiveContext) -> list[str]:
    request = valid_request(ctx, edit_params=lambda ps: [p for p in ps if p[0] != "created"])
    return rejected(send(ctx.target, request), "invalid_time")


def check_created_not_integer(ctx: LiveContext) -> list[str]:
    now = _now()

    def as_string(params: list[tuple[str, BareItem]]) -> list[tuple[str, BareItem]]:
        return [(k, str(now) if k == "created" else v) for k, v in params]

    return rejected(send(ctx.target, valid_request(ctx, edit_params=as_string)), "invalid_time")


def _max_validity(ctx: LiveContext) -> int:
    policy = ctx.get_policy() or {}
    for source in (policy, ctx.discovery or {}):
        value = source.get("max_validity_sec")
        if type(value) is int and value > 0:
            return value
    raise CheckNotApplicable(
        f"the route maximum validity is not documented ({ctx.discovery_note})"
    )


def check_validity_too_long(ctx: LiveContext) -> list[str]:
    maximum = _max_validity(ctx)
    now = _now()
    request = valid_request(ctx, created=now, expires=now + maximum + 1)
    return rejected(send(ctx.target, request), "request_validity_too_long",
                    f"a window of {maximum + 1} s (route maximum {maximum} s)")


# Replay ----------------------------------------------------------------------------------------


def check_replay(ctx: LiveContext) -> list[str]:
    request = valid_request(ctx)
    first = send(ctx.target, request)
    if not 200 <= first.status < 300:
        return [f"first send: expected 2xx, got {first.summary()}"]
    return rejected(send(ctx.target, request), "nonce_reused", "the same request again")


def check_replay_after_expiry_within_skew(ctx: LiveContext) -> list[str]:
    # Expired 10 s ago, still accepted inside a 30 s skew: its nonce must be kept until
    # expires + skew, so the second send inside the skew is a replay.
    now = _now()
    request = valid_request(ctx, created=now - 70, expires=now - 10)
    first = send(ctx.target, request)
    if not 200 <= first.status < 300:
        raise CheckNotApplicable(
            f"the server refuses a request expired 10 s ago (no 30 s skew): {first.summary()}"
        )
    return rejected(send(ctx.target, request), "nonce_reused", "the same request again")


def check_nonce_reused_other_request(ctx: LiveContext) -> list[str]:
    nonce = new_nonce()
    first = send(ctx.target, valid_request(ctx, nonce=nonce, target=ctx.target.path + "?n=1"))
    if not 200 <= first.status < 300:
        return [f"first request: expected 2xx, got {first.summary()}"]
    second = valid_request(ctx, nonce=nonce, target=ctx.target.path + "?n=2")
    return rejected(send(ctx.target, second), "nonce_reused",
                    "another request signed with the same keyid and nonce")


def check_failed_candidate_keeps_nonce(ctx: LiveContext) -> list[str]:
    nonce = new_nonce()
    forged = forge(ctx, nonce=nonce)
    bad = _foreign_signature(forged)
    answer = send(ctx.target, _replace_header(forged.request, "Signature",
                                              _signature_field("eth", bad)))
    problems = rejected(answer, "bad_signature", "a signature by another key")
    second = send(ctx.target, valid_request(ctx, nonce=nonce))
    return problems + accepted(second, "a valid request with the nonce of a failed one")


def check_replay_key_canonical(ctx: LiveContext) -> list[str]:
    # Legacy keyids are case-insensitive: the same account and nonce with an upper-case
    # address is the same replay key.
    nonce = new_nonce()
    first = send(ctx.target, valid_request(ctx, nonce=nonce))
    if not 200 <= first.status < 300:
        return [f"first request: expected 2xx, got {first.summary()}"]
    upper = f"erc8128:{ctx.target.chain_id}:0x{LIVE_ADDRESS[2:].upper()}"
    second = valid_request(ctx, nonce=nonce, keyid=upper, target=ctx.target.path + "?n=2")
    return rejected(send(ctx.target, second), "nonce_reused",
                    "the same nonce under the same account spelled in upper case")


def check_empty_nonce_single_use(ctx: LiveContext) -> list[str]:
    # A one-off key: the replay key (signer, "") would otherwise stay spent between runs.
    key = secrets.token_bytes(32)
    request = valid_request(ctx, nonce="", key=key)
    first = send(ctx.target, request)
    problems = accepted(first, 'nonce=""', signer=address_of(key))
    if problems:
        return problems
    return rejected(send(ctx.target, request), "nonce_reused", 'nonce="" again')


def check_nonce_too_long(ctx: LiveContext) -> list[str]:
    return rejected(send(ctx.target, valid_request(ctx, nonce="n" * 129)), "invalid_nonce")


def check_nonce_token(ctx: LiveContext) -> list[str]:
    def as_token(params: list[tuple[str, BareItem]]) -> list[tuple[str, BareItem]]:
        return [(k, Token("n" + str(v)) if k == "nonce" else v) for k, v in params]

    return rejected(send(ctx.target, valid_request(ctx, edit_params=as_token)), "invalid_nonce")


def check_replayable(ctx: LiveContext) -> list[str]:
    answer = send(ctx.target, valid_request(ctx, replayable=True))
    policy = ctx.get_policy()
    replay = policy.get("replay") if policy is not None else None
    if replay == "either":
        return accepted(answer, "a Replayable signature on a route whose policy is replay=either")
    if replay == "non-replayable":
        return rejected(answer, "nonce_required",
                        "a Replayable signature on a route whose policy is non-replayable")
    return accepted_or_rejected(answer, ("nonce_required", "replayable_not_allowed"),
                                f"a Replayable signature (route policy unknown: "
                                f"{ctx.discovery_note})")


# Coverage, query, path, method -----------------------------------------------------------------


def _without(components: Sequence[str], *names: str) -> list[str]:
    return [c for c in components if c not in names]


def _default_components(ctx: LiveContext, target: str) -> tuple[str, ...]:
    return get_profile(ctx.profile).signing_components(
        has_query="?" in target, has_content=False, has_content_digest=False,
        has_content_type=False,
    )


def check_authority_not_covered(ctx: LiveContext) -> list[str]:
    components = _without(_default_components(ctx, ctx.target.path), "@authority")
    request = valid_request(ctx, components=components)
    return rejected(send(ctx.target, request), "insufficient_coverage")


def check_class_bound(ctx: LiveContext) -> list[str]:
    # Only @authority (and @scheme in the draft): a Class-Bound signature. Conforming answers:
    # accepted under the route's policy, or insufficient_coverage.
    components = [c for c in _default_components(ctx, ctx.target.path)
                  if c in ("@authority", "@scheme")]
    answer = send(ctx.target, valid_request(ctx, components=components))
    return accepted_or_rejected(answer, ("insufficient_coverage",),
                                f"a Class-Bound signature covering {components}")


def check_query_question_mark(ctx: LiveContext) -> list[str]:
    answer = send(ctx.target, valid_request(ctx, target=ctx.target.path + "?"))
    return accepted(answer, f"GET {ctx.target.path}? (an empty query, @query = \"?\")")


def check_query_repeated_names(ctx: LiveContext) -> list[str]:
    target = ctx.target.path + "?a=1&a=2&b=&a=1"
    return accepted(send(ctx.target, valid_request(ctx, target=target)), f"GET {target}")


def check_query_percent_encoded(ctx: LiveContext) -> list[str]:
    target = ctx.target.path + "?q=a%20b%2Fc&r=%7e&s=%E2%82%AC"
    return accepted(send(ctx.target, valid_request(ctx, target=target)), f"GET {target}")


def check_query_changed(ctx: LiveContext) -> list[str]:
    request = valid_request(ctx, target=ctx.target.path + "?a=1")
    answer = send(ctx.target, _with_target(ctx, request, ctx.target.path + "?a=2"))
    return rejected(answer, "bad_signature", "signed for ?a=1, sent with ?a=2")


def _path_variant(ctx: LiveContext, kind: str) -> str:
    path = ctx.target.path
    head, _, last = path.rpartition("/")
    variants = {
        "double_slash": "/" + path,
        "dot_segment": f"{head}/./{last}",
        "dot_dot_segment": f"{head}/x/../{last}",
        "encoded_slash": f"{head}%2F{last}" if head else f"/%2F{last}",
        "trailing_slash": path + "/",
    }
    return variants[kind]


def _path_check(kind: str) -> CheckFunction:
    def check(ctx: LiveContext) -> list[str]:
        # Passes on the verifier's own refusal (401 with an ERC8128 challenge) only; a router's
        # 404 proves nothing unless the path exactly as sent, signed for itself, is accepted.
        variant = _path_variant(ctx, kind)
        request = valid_request(ctx)
        what = f"signed for {ctx.target.path}, sent as {variant}"
        answer = send(ctx.target, _with_target(ctx, request, variant))
        if 200 <= answer.status < 300:
            return [f"{what}: expected a refusal, got {answer.summary()}"]
        challenge = answer.header("WWW-Authenticate") or ""
        if answer.status == 401 and challenge.lower().startswith("erc8128"):
            return []
        control = send(ctx.target, valid_request(ctx, target=variant))
        if 200 <= control.status < 300:
            return []  # the route serves the path as sent; the mismatched signature was refused
        if answer.status >= 500 and answer.status != 501:
            return [f"{what}: expected a refusal, got {answer.summary()}"]
        raise CheckNotApplicable(
            f"{variant} is not served (a request signed for {variant} and sent as {variant} got "
            f"HTTP {control.status}); the HTTP {answer.status} for {what} proves nothing"
        )

    check.__name__ = f"check_path_{kind}"
    return check


def check_method_case(ctx: LiveContext) -> list[str]:
    request = valid_request(ctx)
    lower = Request("get", request.target_uri, request.headers, request.body)
    return refused(send(ctx.target, lower), "signed for GET, sent as get")


def check_method_changed(ctx: LiveContext) -> list[str]:
    request = valid_request(ctx)
    head = Request("HEAD", request.target_uri, request.headers, request.body)
    answer = send(ctx.target, head)
    return refused(answer, "signed for GET, sent as HEAD")


# Members, labels, limits -------------------------------------------------------------------------


def check_other_label(ctx: LiveContext) -> list[str]:
    return accepted(send(ctx.target, valid_request(ctx, label="sig1")), "label sig1")


def check_star_label(ctx: LiveContext) -> list[str]:
    return accepted(send(ctx.target, valid_request(ctx, label="*sig")), "label *sig")


def check_failing_then_valid_member(ctx: LiveContext) -> list[str]:
    bad = forge(ctx, label="first")
    good = forge(ctx, label="second")
    wrong = _foreign_signature(bad)
    headers = (
        ("Host", ctx.target.authority),
        ("Signature-Input", f"first={bad.member}, second={good.member}"),
        ("Signature", f"{_signature_field('first', wrong)}, "
                      f"{_signature_field('second', good.signature)}"),
    )
    request = Request("GET", ctx.target.url, headers, None)
    return accepted(send(ctx.target, request), "a wrong first member, then a valid second one")


def check_duplicate_label_last_wins(ctx: LiveContext) -> list[str]:
    # Two field lines, both labelled eth: the first member valid, the last (which wins) a copy
    # with a changed nonce, so the surviving member does not match the signature.
    forged = forge(ctx)
    changed = re.sub(r'nonce="([^"]*)"', r'nonce="\1x"', forged.member)
    headers = (
        ("Host", ctx.target.authority),
        ("Signature-Input", f"eth={forged.member}"),
        ("Signature-Input", f"eth={changed}"),
        ("Signature", _signature_field("eth", forged.signature)),
    )
    request = Request("GET", ctx.target.url, headers, None)
    return rejected(send(ctx.target, request), "bad_signature",
                    "label eth twice, the last member changed")


def check_too_many_candidates(ctx: LiveContext) -> list[str]:
    members = [forge(ctx, label=f"s{index}") for index in range(9)]
    headers = (
        ("Host", ctx.target.authority),
        ("Signature-Input", ", ".join(f"s{i}={m.member}" for i, m in enumerate(members))),
        ("Signature", ", ".join(_signature_field(f"s{i}", m.signature)
                                for i, m in enumerate(members))),
    )
    request = Request("GET", ctx.target.url, headers, None)
    return rejected(send(ctx.target, request), "signature_too_large", "nine candidates")


def check_signature_input_too_large(ctx: LiveContext) -> list[str]:
    # An extra String parameter of 17000 characters: over the 16 KiB field limit.
    def pad(params: list[tuple[str, BareItem]]) -> list[tuple[str, BareItem]]:
        return [*params, ("pad", "p" * 17000)]

    answer = send(ctx.target, valid_request(ctx, edit_params=pad))
    # ERC-8128 §3.5: "Deployments MAY use smaller documented limits": an HTTP layer whose
    # header-section limit is below 16 KiB refuses it first (RFC 6585 §5: 431).
    if answer.status == 431:
        return []
    return rejected(answer, "signature_too_large", "a Signature-Input of over 16 KiB")


def check_too_many_parameters(ctx: LiveContext) -> list[str]:
    def more(params: list[tuple[str, BareItem]]) -> list[tuple[str, BareItem]]:
        return [*params, *((f"x{index}", index) for index in range(17 - len(params)))]

    return rejected(send(ctx.target, valid_request(ctx, edit_params=more)), "signature_too_large",
                    "17 signature parameters")


# Tag, keyid, alg, signature bytes -------------------------------------------------------------


def _set_param(name: str, value: BareItem | None
               ) -> Callable[[list[tuple[str, BareItem]]], list[tuple[str, BareItem]]]:
    def edit(params: list[tuple[str, BareItem]]) -> list[tuple[str, BareItem]]:
        kept = [(k, v) for k, v in params if k != name]
        return kept if value is None else [*kept, (name, value)]

    return edit


def check_no_tag(ctx: LiveContext) -> list[str]:
    request = valid_request(ctx, edit_params=_set_param("tag", None))
    return rejected(send(ctx.target, request), "no_acceptable_signature", "no tag")


def check_tag_token(ctx: LiveContext) -> list[str]:
    request = valid_request(ctx, edit_params=_set_param("tag", Token("erc8128")))
    return rejected(send(ctx.target, request), "no_acceptable_signature", "tag=erc8128 (Token)")


def check_other_tag(ctx: LiveContext) -> list[str]:
    request = valid_request(ctx, edit_params=_set_param("tag", "erc8128-delegated"))
    return rejected(send(ctx.target, request), "no_acceptable_signature",
                    'tag="erc8128-delegated"')


def check_keyid_upper_hex(ctx: LiveContext) -> list[str]:
    keyid = f"eip155:{ctx.target.chain_id}:0x{LIVE_ADDRESS[2:].upper()}"
    return rejected(send(ctx.target, valid_request(ctx, keyid=keyid)), "invalid_keyid", keyid)


def check_keyid_mixed_hex(ctx: LiveContext) -> list[str]:
    mixed = "".join(c.upper() if i % 2 else c for i, c in enumerate(LIVE_ADDRESS[2:]))
    keyid = f"erc8128:{ctx.target.chain_id}:0x{mixed}"
    return accepted(send(ctx.target, valid_request(ctx, keyid=keyid)), keyid)


def check_keyid_chain_leading_zero(ctx: LiveContext) -> list[str]:
    prefix = get_profile(ctx.profile).keyid_prefix
    keyid = f"{prefix}:0{ctx.target.chain_id}:{LIVE_ADDRESS}"
    return rejected(send(ctx.target, valid_request(ctx, keyid=keyid)), "invalid_keyid", keyid)


def check_keyid_unserved_chain(ctx: LiveContext) -> list[str]:
    chains = (ctx.discovery or {}).get("chains")
    if isinstance(chains, list) and f"eip155:{UNSERVED_CHAIN}" in chains:
        raise CheckNotApplicable(f"the server serves chain {UNSERVED_CHAIN}")
    keyid = _keyid(ctx.profile, UNSERVED_CHAIN, LIVE_ADDRESS)
    return rejected(send(ctx.target, valid_request(ctx, keyid=keyid)), "unsupported_chain", keyid)


def check_keyid_other_address(ctx: LiveContext) -> list[str]:
    keyid = _keyid(ctx.profile, ctx.target.chain_id, address_of(OTHER_PRIVATE_KEY))
    return rejected(send(ctx.target, valid_request(ctx, keyid=keyid)), "bad_signature",
                    "keyid names another account than the signing key's")


def check_alg(ctx: LiveContext) -> list[str]:
    request = valid_request(ctx, edit_params=_set_param("alg", "eip191"))
    return rejected(send(ctx.target, request), "unsupported_algorithm", 'alg="eip191"')


def check_unknown_parameter(ctx: LiveContext) -> list[str]:
    request = valid_request(ctx, edit_params=_set_param("x-app", "conformance"))
    return accepted(send(ctx.target, request), 'an extra parameter x-app="conformance"')


def check_mode_eoa(ctx: LiveContext) -> list[str]:
    request = valid_request(ctx, edit_params=_set_param("mode", "eoa"))
    return accepted(send(ctx.target, request), 'mode="eoa"')


def _foreign_signature(forged: Forged) -> bytes:
    """A well-formed signature over the same base by another key: it recovers, to someone
    else, so the verdict is a definitive ``bad_signature``."""
    base = signature_base(_drop_header(_drop_header(forged.request, "Signature"),
                                       "Signature-Input"),
                          _member(forged.member))
    return sign_hash(OTHER_PRIVATE_KEY, personal_message_hash(base.encode("ascii")))


def _member(serialized: str) -> InnerList:
    member = parse_dictionary(f"m={serialized}")[0][1]
    assert isinstance(member, InnerList)
    return member


def check_unrecoverable_signature(ctx: LiveContext) -> list[str]:
    # r = 0 is outside 1 <= r < n: nothing recovers, a definitive invalid result (not an
    # unavailable verifier).
    request = _resigned(ctx, lambda sig: bytes(32) + sig[32:])
    return rejected(send(ctx.target, request), "bad_signature", "a signature with r = 0")


def _resigned(ctx: LiveContext, transform: Callable[[bytes], bytes]) -> Request:
    forged = forge(ctx)
    return _replace_header(forged.request, "Signature",
                           _signature_field("eth", transform(forged.signature)))


def _high_s_twin(signature: bytes) -> bytes:
    # The same (r, s) point's other valid encoding: s' = n - s, v' = 55 - v.
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    return r + (N - s).to_bytes(32, "big") + bytes([55 - v])


def check_high_s(ctx: LiveContext) -> list[str]:
    return rejected(send(ctx.target, _resigned(ctx, _high_s_twin)), "bad_signature",
                    "the high-s twin of a valid signature")


def check_v_zero_one(ctx: LiveContext) -> list[str]:
    request = _resigned(ctx, lambda sig: sig[:64] + bytes([sig[64] - 27]))
    return rejected(send(ctx.target, request), "bad_signature", "v as 0/1 instead of 27/28")


# Content ---------------------------------------------------------------------------------------


def check_post_valid(ctx: LiveContext) -> list[str]:
    return accepted(send(ctx.target, post_request(ctx).request),
                    f"POST {ctx.post_path} with a JSON body")


def check_post_no_digest(ctx: LiveContext) -> list[str]:
    components = _without(
        get_profile(ctx.profile).signing_components(
            has_query=False, has_content=True, has_content_digest=False, has_content_type=True),
        "content-digest",
    )
    forged = post_request(ctx, digest=False, components=components)
    return rejected(send(ctx.target, forged.request), "content_digest_required",
                    "a body without Content-Digest")


def check_post_wrong_digest(ctx: LiveContext) -> list[str]:
    wrong = content_digest(POST_BODY + b" ")
    forged = post_request(ctx, headers=(("Content-Type", "application/json"),
                                        ("Content-Digest", wrong)))
    return rejected(send(ctx.target, forged.request), "bad_content_digest",
                    "a covered Content-Digest of other bytes")


def check_post_body_changed(ctx: LiveContext) -> list[str]:
    forged = post_request(ctx)
    changed = POST_BODY.replace(b"conformance", b"conformanc3")
    request = Request(forged.request.method, forged.request.target_uri, forged.request.headers,
                      changed)
    return rejected(send(ctx.target, request), "bad_content_digest",
                    "the body changed after signing")


def _post_with_digest(ctx: LiveContext, digest: str) -> Request:
    return post_request(ctx, headers=(("Content-Type", "application/json"),
                                      ("Content-Digest", digest))).request


def check_post_sha256_and_sha512(ctx: LiveContext) -> list[str]:
    digest = content_digest(POST_BODY, ("sha-256", "sha-512"))
    return accepted(send(ctx.target, _post_with_digest(ctx, digest)),
                    "Content-Digest with valid sha-256 and sha-512 members")


def check_post_sha512_only(ctx: LiveContext) -> list[str]:
    digest = content_digest(POST_BODY, ("sha-512",))
    return accepted_or_rejected(send(ctx.target, _post_with_digest(ctx, digest)),
                                ("bad_content_digest",), "Content-Digest with sha-512 only")


def check_post_unknown_algorithm_ignored(ctx: LiveContext) -> list[str]:
    digest = content_digest(POST_BODY) + ", crc32c=:AAAAAA==:"
    return accepted(send(ctx.target, _post_with_digest(ctx, digest)),
                    "a valid sha-256 member beside an unsupported crc32c member")


def check_post_digest_uppercase_key(ctx: LiveContext) -> list[str]:
    digest = content_digest(POST_BODY).replace("sha-256", "SHA-256")
    return rejected(send(ctx.target, _post_with_digest(ctx, digest)), "bad_content_digest",
                    "Content-Digest: SHA-256=... (not a Structured Field key)")


def check_post_digest_not_covered(ctx: LiveContext) -> list[str]:
    components = _without(
        get_profile(ctx.profile).signing_components(
            has_query=False, has_content=True, has_content_digest=True, has_content_type=True),
        "content-digest",
    )
    answer = send(ctx.target, post_request(ctx, components=components).request)
    if ctx.profile == "draft":
        return rejected(answer, "insufficient_coverage", "content-digest received, not covered")
    # Legacy: leaving content-digest out makes the signature Class-Bound (route policy).
    return accepted_or_rejected(answer, ("insufficient_coverage",),
                                "content-digest received, not covered")


def check_post_content_type_not_covered(ctx: LiveContext) -> list[str]:
    components = _without(
        get_profile(ctx.profile).signing_components(
            has_query=False, has_content=True, has_content_digest=True, has_content_type=True),
        "content-type",
    )
    answer = send(ctx.target, post_request(ctx, components=components).request)
    return rejected(answer, "insufficient_coverage", "content-type received, not covered")


# Concurrency and state: the replay race, early invalidation, multi-signature, profiles ---------


def _race(ctx: LiveContext, make: Callable[[], Request], what: str) -> list[str]:
    """RACE_ROUNDS rounds of RACE_COPIES concurrent copies of one fresh signed request."""
    connects: list[str | None] = [None, *ctx.instances]
    spread = f" spread over {len(connects)} instances" if len(connects) > 1 else ""
    problems: list[str] = []
    round_number, limited = 0, 0
    while round_number < RACE_ROUNDS:
        request = make()
        answers = send_together(ctx.target, request, RACE_COPIES, connects)
        replies = [a for a in answers if isinstance(a, HttpAnswer)]
        throttled = [a for a in replies if a.status == 429]
        if throttled and not any(200 <= a.status < 300 for a in replies):
            # Refused before verification (RFC 6585 §4): the round proves nothing; wait as told
            # and race a fresh request, at most RATE_LIMIT_RETRIES times in all (so at most
            # RACE_COPIES * (RACE_ROUNDS + RATE_LIMIT_RETRIES) requests).
            limited += 1
            if limited > RATE_LIMIT_RETRIES:
                raise RateLimited(f"rate limited: the replay race on {what} was answered 429 "
                                  f"{limited} times ({throttled[0].summary()})")
            time.sleep(min(retry_after(throttled[0]), RATE_LIMIT_MAX_WAIT_SEC))
            continue
        round_number += 1
        wins = sum(200 <= a.status < 300 for a in replies)
        statuses = ", ".join(f"{status} x{count}" for status, count in sorted(
            {a.status: sum(b.status == a.status for b in replies) for a in replies}.items()))
        errors = [str(a) for a in answers if not isinstance(a, HttpAnswer)]
        seen = f"answers: {statuses or 'none'}" + (f"; {len(errors)} without an answer "
                                                  f"({errors[0]})" if errors else "")
        if wins > 1:
            problems.append(
                f"replay race: {wins} of {RACE_COPIES} concurrent copies accepted, at most one "
                f"may be (a check-then-insert replay store, or instances not sharing one): "
                f"{what}, round {round_number}{spread} ({seen})"
            )
        elif wins == 0 and not errors:
            problems.append(f"replay race: none of {RACE_COPIES} concurrent copies of a valid "
                            f"signed {what} was accepted (round {round_number}; exactly one "
                            f"must be): {seen}")
        elif wins == 0:
            raise OSError(f"replay race round {round_number}: {seen}")
    return problems


def check_replay_race_get(ctx: LiveContext) -> list[str]:
    return _race(ctx, lambda: valid_request(ctx), f"GET {ctx.target.path}")


def check_replay_race_post(ctx: LiveContext) -> list[str]:
    path = ctx.need_post()
    return _race(ctx, lambda: post_request(ctx).request, f"POST {path}")


def _invalidation_endpoint(ctx: LiveContext) -> str:
    """The path of the §7 ``invalidation_endpoint``, when the document says the route accepts
    Replayable signatures (else the check does not apply)."""
    policy = ctx.get_policy()
    if policy is None or policy.get("replay") != "either":
        raise CheckNotApplicable(
            f"the discovery document does not say GET {ctx.target.path} accepts Replayable "
            f"signatures (replay=either) ({ctx.discovery_note})"
        )
    endpoint = (ctx.discovery or {}).get("invalidation_endpoint")
    if not isinstance(endpoint, str):
        raise CheckNotApplicable("the discovery document names no invalidation_endpoint")
    parts = urllib.parse.urlsplit(endpoint)
    if parts.netloc != ctx.target.authority:
        raise CheckNotApplicable(f"invalidation_endpoint {endpoint!r} is not same-origin")
    return parts.path or "/"


def _invalidated_replay(ctx: LiveContext, document: Callable[[Forged, int], dict[str, Any]],
                        what: str) -> list[str]:
    # ERC-8128 §5.2: "verifiers that accept Replayable signatures MUST implement one or more
    # early invalidation mechanisms that can be triggered by the signer." A one-off signer, so
    # the invalidation touches no other check.
    endpoint = _invalidation_endpoint(ctx)
    key = secrets.token_bytes(32)
    signer = address_of(key)
    now = _now()
    replayable = forge(ctx, replayable=True, key=key, created=now - 1)
    problems = accepted(send(ctx.target, replayable.request),
                        f"a Replayable signature on GET {ctx.target.path} (replay=either)",
                        signer=signer)
    if problems:
        return problems
    body = json.dumps(document(replayable, now), separators=(",", ":")).encode("ascii")
    invalidation = forge(ctx, method="POST", target=endpoint, body=body, key=key,
                         headers=(("Content-Type", "application/json"),))
    answer = send(ctx.target, invalidation.request)
    if not 200 <= answer.status < 300:
        raise CheckNotApplicable(
            f"POST {endpoint} {body.decode()} (signed, Request-Bound, Non-Replayable by the "
            f"signer) was not accepted, so {what} cannot be tested: {answer.summary()}"
        )
    again = send(ctx.target, replayable.request)
    if 200 <= again.status < 300:
        return [f"early invalidation ignored: a Replayable request accepted again after the "
                f"signer's {what} (POST {endpoint} {body.decode()} answered {answer.status}): "
                f"{again.summary()}"]
    return rejected(again, "replayable_not_allowed", f"the Replayable request after {what}")


def check_invalidation_not_before(ctx: LiveContext) -> list[str]:
    return _invalidated_replay(ctx, lambda forged, now: {"not_before": now}, "not-before")


def check_invalidation_fingerprint(ctx: LiveContext) -> list[str]:
    return _invalidated_replay(
        ctx, lambda forged, now: {"fingerprint": fingerprint_of(forged.message_hash)},
        "per-signature denial")


def _two_signatures(ctx: LiveContext, first: Forged, second: Forged) -> Request:
    headers = (
        ("Host", ctx.target.authority),
        ("Signature-Input", f"a={first.member}, b={second.member}"),
        ("Signature", f"{_signature_field('a', first.signature)}, "
                      f"{_signature_field('b', second.signature)}"),
    )
    return Request("GET", ctx.target.url, headers, None)


def check_multi_signature_replay(ctx: LiveContext) -> list[str]:
    # Decision D28: "A request is accepted at most once, whatever the number of its
    # signatures": the replay of a request with two valid signatures (two nonces) is refused.
    request = _two_signatures(ctx, forge(ctx, label="a"), forge(ctx, label="b"))
    first = send(ctx.target, request)
    problems = accepted(first, "a request with two valid signatures (labels a, b)")
    if problems:
        return problems
    again = send(ctx.target, request)
    if 200 <= again.status < 300:
        return ["multi-signature replay: a request with two valid signatures accepted twice "
                "(only the winning signature's nonce consumed; D28 consumes every verified "
                f"candidate's nonce): {again.summary()}"]
    return rejected(again, "nonce_reused", "the same two-signature request again")


def check_replay_key_across_profiles(ctx: LiveContext) -> list[str]:
    # Decision D4: "The replay key uses the canonical CAIP-10 signer id in both profiles, so one
    # nonce cannot be spent once per profile."
    if set(ctx.run_profiles) != {"draft", "legacy"}:
        raise CheckNotApplicable("the cross-profile replay key needs --profile both")
    other_profile: ProfileName = "legacy" if ctx.profile == "draft" else "draft"
    other = LiveContext(
        LiveTarget(ctx.target.base_url, ctx.target.path, other_profile, ctx.target.timeout,
                   ctx.target.chain_id),
        ctx.post_path, ctx.discovery, ctx.discovery_note,
    )
    probe = send(ctx.target, valid_request(other, target=ctx.target.path + "?probe=1"))
    if not 200 <= probe.status < 300:
        raise CheckNotApplicable(
            f"the server does not accept a {other_profile}-profile request: {probe.summary()}")
    nonce = new_nonce()
    first = send(ctx.target, valid_request(ctx, nonce=nonce))
    problems = accepted(first, f"a {ctx.profile}-profile request")
    if problems:
        return problems
    second = send(ctx.target, valid_request(other, nonce=nonce, target=ctx.target.path + "?n=2"))
    what = (f"the same signer and nonce under the {other_profile} keyid form "
            f"({get_profile(other_profile).keyid_prefix}:{ctx.target.chain_id}:...)")
    if 200 <= second.status < 300:
        return [f"replay key per profile: {what} was accepted after the nonce was spent under "
                f"the {ctx.profile} form: {second.summary()}"]
    return rejected(second, "nonce_reused", what)


def check_duplicated_component(ctx: LiveContext) -> list[str]:
    # RFC 9421 §2.5: "If the component identifier (including its parameters) has already been
    # added to the signature base, produce an error." The signer writes "@method" twice and signs
    # the base a verifier without that rule would build.
    forged = forge(ctx)
    member = _member(forged.member)
    doubled = InnerList((*member.items, member.items[0]), member.params)
    base = signature_base(_drop_header(_drop_header(forged.request, "Signature"),
                                       "Signature-Input"), member)
    lines = base.split("\n")
    serialized = serialize_inner_list(doubled)
    lines = [*lines[:-1], lines[0], f'"@signature-params": {serialized}']
    signature = sign_hash(LIVE_PRIVATE_KEY,
                          personal_message_hash("\n".join(lines).encode("ascii")))
    request = _replace_header(forged.request, "Signature-Input", f"eth={serialized}")
    request = _replace_header(request, "Signature", _signature_field("eth", signature))
    first = serialize_inner_list(InnerList((member.items[0],), ())).strip("()")
    return rejected(send(ctx.target, request), "signature_input_invalid",
                    f"{first} covered twice")


def check_field_value_trimmed(ctx: LiveContext) -> list[str]:
    # RFC 9421 §2.1: "Strip leading and trailing whitespace from each item in the list." The
    # signer covers x-conformance with its trimmed value; the wire line carries spaces around it.
    components = [*_default_components(ctx, ctx.target.path), "x-conformance"]
    forged = forge(ctx, headers=(("X-Conformance", "spaced value"),), components=components)
    request = _replace_header(forged.request, "X-Conformance", "   spaced value \t ")
    return accepted(send(ctx.target, request),
                    'a covered "X-Conformance:   spaced value \\t " (signed trimmed)')


def check_duplicate_label_last_valid(ctx: LiveContext) -> list[str]:
    # The converse of duplicate_label_last_wins: the first member changed, the last (which wins)
    # the valid one, so a verifier keeping the first occurrence refuses it.
    forged = forge(ctx)
    changed = re.sub(r'nonce="([^"]*)"', r'nonce="\1x"', forged.member)
    headers = (
        ("Host", ctx.target.authority),
        ("Signature-Input", f"eth={changed}"),
        ("Signature-Input", f"eth={forged.member}"),
        ("Signature", _signature_field("eth", forged.signature)),
    )
    request = Request("GET", ctx.target.url, headers, None)
    return accepted(send(ctx.target, request), "label eth twice, the last member the valid one")


# ---- the registry ------------------------------------------------------------------------------

LIVE_CHECKS: Final[dict[str, LiveCheck]] = {check.name: check for check in (
    # Baseline and whole-message failures
    LiveCheck("valid_request_200", check_valid,
              _both("request-bound-accepted", "legacy:request-bound-accepted")),
    LiveCheck("missing_signature_401", check_missing_signature,
              _both("signature-missing", "d1-reason-codes")),
    LiveCheck("signature_field_missing_401", check_signature_field_missing,
              _both("signature-missing", "d1-reason-codes")),
    LiveCheck("tampered_401_bad_signature", check_tampered,
              _both("bad-signature", "legacy:eoa-erc191")),
    LiveCheck("malformed_signature_input_400", check_malformed_signature_input,
              _both("sf-syntax-error", "d1-reason-codes")),
    LiveCheck("signature_not_byte_sequence_400", check_signature_not_byte_sequence,
              _both("signature-member-byte-sequence", "d1-reason-codes")),
    # Time
    LiveCheck("expired_401_request_expired", check_expired,
              _both("time-window", "legacy:time-window")),
    LiveCheck("not_yet_valid_401_request_not_yet_valid", check_not_yet_valid,
              _both("time-window", "legacy:time-window")),
    LiveCheck("created_15s_ahead_within_skew_200", check_created_within_skew,
              _both("clock-skew", "d5-legacy-skew")),
    LiveCheck("expired_15s_ago_within_skew_200", check_expired_within_skew,
              _both("clock-skew", "d5-legacy-skew")),
    LiveCheck("expires_equals_created_401_invalid_time", check_expires_equals_created,
              _both("time-structure", "legacy:expires-after-created")),
    LiveCheck("expires_before_created_401_invalid_time", check_expires_before_created,
              _both("time-structure", "legacy:expires-after-created")),
    LiveCheck("created_missing_401_invalid_time", check_created_missing,
              _both("time-structure", "legacy:mandatory-parameters")),
    LiveCheck("created_string_401_invalid_time", check_created_not_integer,
              _both("time-structure", "legacy:time-integers")),
    LiveCheck("validity_over_route_max_401", check_validity_too_long,
              _both("route-max-validity", "legacy:validity-within-retention")),
    # Replay
    LiveCheck("replay_401_nonce_reused", check_replay,
              _both("nonce-reused", "legacy:nonce-once")),
    LiveCheck("replay_after_expiry_inside_skew_401_nonce_reused",
              check_replay_after_expiry_within_skew,
              _both("replay-retention", "d5-legacy-skew")),
    LiveCheck("same_nonce_other_request_401_nonce_reused", check_nonce_reused_other_request,
              _both("nonce-unique", "legacy:nonce-unique")),
    LiveCheck("failed_candidate_keeps_its_nonce", check_failed_candidate_keeps_nonce,
              _both("failed-candidate-keeps-nonce", "legacy:nonce-consumed-after-use")),
    LiveCheck("replay_key_case_insensitive_401_nonce_reused", check_replay_key_canonical,
              {"legacy": _lookup("d4-canonical-replay-key")}),
    LiveCheck("empty_nonce_single_use", check_empty_nonce_single_use,
              {"legacy": _lookup("d16-empty-nonce")}),
    LiveCheck("nonce_129_bytes_401_invalid_nonce", check_nonce_too_long,
              _both("nonce-syntax", "d16-empty-nonce")),
    LiveCheck("nonce_token_401_invalid_nonce", check_nonce_token, _draft_only("nonce-syntax")),
    LiveCheck("replayable_per_route_policy", check_replayable,
              _both("nonce-required", "legacy:replayable-policy")),
    LiveCheck("replay_race_get_at_most_one_accepted", check_replay_race_get,
              _both("replay-race", "legacy:nonce-once")),
    LiveCheck("replay_race_post_at_most_one_accepted", check_replay_race_post,
              _both("replay-race", "legacy:nonce-once")),
    LiveCheck("multi_signature_replay_401_nonce_reused", check_multi_signature_replay,
              _both("d28-at-most-once", "d28-at-most-once")),
    LiveCheck("replay_key_across_profiles_401_nonce_reused", check_replay_key_across_profiles,
              _draft_only("d4-canonical-replay-key")),
    LiveCheck("invalidation_not_before_refuses_replay", check_invalidation_not_before,
              _both("early-invalidation", "legacy:early-invalidation")),
    LiveCheck("invalidation_fingerprint_refuses_replay", check_invalidation_fingerprint,
              _both("early-invalidation", "legacy:early-invalidation")),
    # Coverage, query, path, method
    LiveCheck("authority_not_covered_401_insufficient_coverage", check_authority_not_covered,
              _both("authority-covered", "legacy:authority-covered")),
    LiveCheck("class_bound_per_route_policy", check_class_bound,
              _both("class-bound-policy", "legacy:class-bound-policy")),
    LiveCheck("query_question_mark_alone_200", check_query_question_mark,
              _both("query-question-mark", "d7-legacy-query")),
    LiveCheck("query_repeated_names_200", check_query_repeated_names,
              _both("received-request", "legacy:received-request")),
    LiveCheck("query_percent_encoded_200", check_query_percent_encoded,
              _both("received-request", "legacy:received-request")),
    LiveCheck("query_changed_401_bad_signature", check_query_changed,
              _both("bad-signature", "legacy:received-request")),
    *(LiveCheck(f"path_{kind}_refused", _path_check(kind),
                _both("received-request", "legacy:received-request"))
      for kind in ("double_slash", "dot_segment", "dot_dot_segment", "encoded_slash",
                   "trailing_slash")),
    LiveCheck("method_lower_case_refused", check_method_case,
              _both("received-request", "legacy:received-request")),
    LiveCheck("method_changed_refused", check_method_changed,
              _both("received-request", "legacy:received-request")),
    # Members, labels, limits
    LiveCheck("label_sig1_200", check_other_label,
              _both("labels-arbitrary", "d2-legacy-candidates")),
    LiveCheck("label_star_200", check_star_label,
              _both("labels-arbitrary", "d2-legacy-candidates")),
    LiveCheck("failing_member_then_valid_member_200", check_failing_then_valid_member,
              _both("no-masking", "d2-legacy-candidates")),
    LiveCheck("duplicate_label_last_wins_401_bad_signature", check_duplicate_label_last_wins,
              _both("duplicate-keys-last-wins", "legacy:received-request")),
    LiveCheck("duplicate_label_last_valid_200", check_duplicate_label_last_valid,
              _both("duplicate-keys-last-wins", "legacy:received-request")),
    LiveCheck("duplicated_component_400_signature_input_invalid", check_duplicated_component,
              _both("rfc:duplicate-components", "rfc:duplicate-components")),
    LiveCheck("field_value_whitespace_trimmed_200", check_field_value_trimmed,
              _both("rfc:field-value-trimmed", "rfc:field-value-trimmed")),
    LiveCheck("nine_candidates_400_signature_too_large", check_too_many_candidates,
              _draft_only("candidate-budget")),
    LiveCheck("signature_input_over_16k_400_signature_too_large",
              check_signature_input_too_large, _draft_only("field-size-limit")),
    LiveCheck("seventeen_parameters_400_signature_too_large", check_too_many_parameters,
              _draft_only("field-size-limit")),
    # Tag, keyid, alg, signature bytes
    LiveCheck("no_tag_401_no_acceptable_signature", check_no_tag, _draft_only("tag-selects")),
    LiveCheck("tag_token_401_no_acceptable_signature", check_tag_token,
              _draft_only("tag-selects")),
    LiveCheck("other_tag_401_no_acceptable_signature", check_other_tag,
              _draft_only("tag-selects")),
    LiveCheck("keyid_upper_case_hex_401_invalid_keyid", check_keyid_upper_hex,
              _draft_only("keyid-lowercase")),
    LiveCheck("keyid_mixed_case_hex_200", check_keyid_mixed_hex,
              {"legacy": _lookup("legacy:keyid-hex-case")}),
    LiveCheck("keyid_chain_leading_zero_401_invalid_keyid", check_keyid_chain_leading_zero,
              _both("keyid-chain-canonical", "d3-chain-ids")),
    LiveCheck("keyid_unserved_chain_401_unsupported_chain", check_keyid_unserved_chain,
              _both("unsupported-chain", "d1-reason-codes")),
    LiveCheck("keyid_other_account_401_bad_signature", check_keyid_other_address,
              _both("keyid-address-match", "legacy:eoa-erc191")),
    LiveCheck("alg_401_unsupported_algorithm", check_alg,
              _both("alg-rejected", "d13-legacy-alg")),
    LiveCheck("unknown_parameter_200", check_unknown_parameter,
              _both("d20-unknown-parameters", "d20-unknown-parameters")),
    LiveCheck("mode_eoa_200", check_mode_eoa, _draft_only("mode-eoa")),
    LiveCheck("high_s_twin_401_bad_signature", check_high_s,
              _both("strict-signature-encoding", "d14-legacy-strict-signature")),
    LiveCheck("v_0_1_401_bad_signature", check_v_zero_one,
              _both("strict-signature-encoding", "d14-legacy-strict-signature")),
    LiveCheck("r_zero_401_bad_signature", check_unrecoverable_signature,
              _both("bad-signature", "legacy:eoa-erc191")),
    # Content (POST)
    LiveCheck("post_valid_2xx", check_post_valid,
              _both("request-bound-accepted", "legacy:request-bound-accepted")),
    LiveCheck("post_without_digest_401_content_digest_required", check_post_no_digest,
              _both("content-digest-required", "d15-digest-before-coverage")),
    LiveCheck("post_wrong_digest_401_bad_content_digest", check_post_wrong_digest,
              _both("content-digest-verified", "d1-reason-codes")),
    LiveCheck("post_body_changed_401_bad_content_digest", check_post_body_changed,
              _both("content-digest-verified", "d1-reason-codes")),
    LiveCheck("post_sha256_and_sha512_2xx", check_post_sha256_and_sha512,
              _draft_only("content-digest-every-member")),
    LiveCheck("post_sha512_only", check_post_sha512_only,
              _draft_only("content-digest-sha512")),
    LiveCheck("post_unsupported_digest_member_ignored_2xx", check_post_unknown_algorithm_ignored,
              _draft_only("content-digest-unsupported-ignored")),
    LiveCheck("post_digest_key_upper_case_401_bad_content_digest",
              check_post_digest_uppercase_key, _draft_only("content-digest-verified")),
    LiveCheck("post_digest_not_covered", check_post_digest_not_covered,
              _both("content-digest-covered", "legacy:content-digest-covered")),
    LiveCheck("post_content_type_not_covered_401_insufficient_coverage",
              check_post_content_type_not_covered, _draft_only("content-type-covered")),
)}


def checks_for(profile: str) -> list[LiveCheck]:
    """The checks that apply to ``profile``, in registry order."""
    return [check for check in LIVE_CHECKS.values() if profile in check.requirements]


def run_check(check: LiveCheck, ctx: LiveContext) -> list[str]:
    """Run one check; problems (empty when it passed). Raises CheckNotApplicable / OSError."""
    return check.run(ctx)
