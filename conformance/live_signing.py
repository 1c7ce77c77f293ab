"""Signing live requests: the fixed public test keys and a signer that writes any parameter.

The suite signs with the reference implementation's own building blocks (RFC 9421 signature
base, ERC-191 hash, RFC 6979 signing), times relative to the clock now and fresh random nonces;
:func:`forge` writes what the reference signer refuses to (the checks need malformed
parameters). The header helpers change a signed request after signing.
"""

import base64
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from erc8128.crypto.accelerate import personal_message_hash, sign_hash
from erc8128.crypto.addresses import address_of
from erc8128.http.components import parse_component
from erc8128.http.content_digest import content_digest
from erc8128.http.message import Request
from erc8128.http.signature_base import signature_base
from erc8128.http.structured_fields import (
    BareItem,
    InnerList,
    parse_dictionary,
    serialize_bare_item,
    serialize_inner_list,
)
from erc8128.protocol.keyid import ProfileName
from erc8128.protocol.profiles import get_profile
from erc8128.protocol.sign import new_nonce
from erc8128_conformance.live_context import LiveContext

__all__ = [
    "LIVE_ADDRESS",
    "LIVE_PRIVATE_KEY",
    "OTHER_PRIVATE_KEY",
    "POST_BODY",
    "VALIDITY_SEC",
    "Forged",
    "default_components",
    "drop_header",
    "foreign_signature",
    "forge",
    "keyid_of",
    "parse_member",
    "post_request",
    "replace_header",
    "signature_field",
    "unix_now",
    "valid_request",
    "with_target",
    "without",
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


@dataclass(frozen=True)
class Forged:
    request: Request
    member: str  # the Signature-Input member value
    signature: bytes
    message_hash: bytes = b""  # H, the ERC-191 hash of the signature base (its fingerprint)


def keyid_of(profile: ProfileName, chain_id: int, address: str) -> str:
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
    params.append(("keyid", keyid or keyid_of(ctx.profile, ctx.target.chain_id, address_of(key))))
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


def post_request(ctx: LiveContext, **changes: Any) -> Forged:
    headers = changes.pop("headers", (("Content-Type", "application/json"),))
    return forge(ctx, method="POST", target=ctx.need_post(), body=changes.pop("body", POST_BODY),
                 headers=headers, **changes)


def replace_header(request: Request, name: str, value: str) -> Request:
    headers = tuple(
        (key, value if key.lower() == name.lower() else old) for key, old in request.headers
    )
    return Request(request.method, request.target_uri, headers, request.body)


def drop_header(request: Request, name: str) -> Request:
    headers = tuple((key, value) for key, value in request.headers if key.lower() != name.lower())
    return Request(request.method, request.target_uri, headers, request.body)


def with_target(ctx: LiveContext, request: Request, target: str) -> Request:
    return Request(request.method, ctx.target.base_url.rstrip("/") + target, request.headers,
                   request.body)


def signature_field(label: str, signature: bytes) -> str:
    return f"{label}=:{base64.b64encode(signature).decode('ascii')}:"


def foreign_signature(forged: Forged) -> bytes:
    """A well-formed signature over the same base by another key: it recovers, to someone
    else, so the verdict is a definitive ``bad_signature``."""
    base = signature_base(drop_header(drop_header(forged.request, "Signature"), "Signature-Input"),
                          parse_member(forged.member))
    return sign_hash(OTHER_PRIVATE_KEY, personal_message_hash(base.encode("ascii")))


def parse_member(serialized: str) -> InnerList:
    member = parse_dictionary(f"m={serialized}")[0][1]
    assert isinstance(member, InnerList)
    return member


def unix_now() -> int:
    return int(time.time())


def without(components: Sequence[str], *names: str) -> list[str]:
    return [c for c in components if c not in names]


def default_components(ctx: LiveContext, target: str) -> tuple[str, ...]:
    return get_profile(ctx.profile).signing_components(
        has_query="?" in target, has_content=False, has_content_digest=False,
        has_content_type=False,
    )


