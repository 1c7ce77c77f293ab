"""Sign a request for an account other than the signing key's own (ERC-8128 §3.4.3, §4.1).

``erc8128.protocol.sign.sign_request`` names the signing key's own address in ``keyid``. A contract
account (an ERC-1271 wallet, a counterfactual ERC-6492 wallet) signs with its owner's key or with
an ERC-6492 wrapper instead, so the live chain checks build ``Signature-Input`` themselves from
the same parts and in the same order: the profile's default (Request-Bound) components, then
``created``, ``expires``, ``nonce``, ``keyid``, ``tag`` (draft) and ``mode`` when given.
``signer`` maps ``H`` (ERC-8128 §3.4.3: "H = keccak256(0x19 || "Ethereum Signed Message:\\n" ||
len(M) || M)") to the signature bytes sent in ``Signature``.
"""

from collections.abc import Callable
from dataclasses import dataclass

from erc8128.crypto.personal_sign import personal_message_hash
from erc8128.http.components import parse_component
from erc8128.http.message import Request
from erc8128.http.signature_base import signature_base
from erc8128.http.structured_fields import (
    BareItem,
    InnerList,
    serialize_bare_item,
    serialize_inner_list,
)
from erc8128.protocol.keyid import Account, ProfileName, format_keyid
from erc8128.protocol.profiles import get_profile
from erc8128.protocol.sign import DEFAULT_LABEL

__all__ = ["AccountSignedRequest", "sign_request_as"]


@dataclass(frozen=True)
class AccountSignedRequest:
    """The signed request, its signature base ``M`` and the hash ``H`` the signer signed."""

    request: Request
    signature_base: str
    message_hash: bytes


def sign_request_as(
    request: Request,
    account: Account,
    signer: Callable[[bytes], bytes],
    *,
    created: int,
    expires: int,
    nonce: str,
    profile: ProfileName = "draft",
    mode: str | None = None,
    label: str = DEFAULT_LABEL,
) -> AccountSignedRequest:
    """A Request-Bound, Non-Replayable signature whose ``keyid`` names ``account``.

    The request must carry no content (the live checks send ``GET``), so no Content-Digest is
    added here.
    """
    chosen = get_profile(profile)
    components = chosen.signing_components(
        has_query="?" in request.target_uri,
        has_content=bool(request.body),
        has_content_digest=bool(request.field_lines("content-digest")),
        has_content_type=bool(request.field_lines("content-type")),
    )
    params: list[tuple[str, BareItem]] = [
        ("created", created),
        ("expires", expires),
        ("nonce", nonce),
        ("keyid", format_keyid(account, profile)),
    ]
    if chosen.tag is not None:
        params.append(("tag", chosen.tag))
    if mode is not None:
        # ERC-8128 §4.1 step 2: "`mode="eoa"`" is an sf-string signature parameter.
        params.append(("mode", mode))
    member = InnerList(items=tuple(parse_component(c) for c in components), params=tuple(params))
    base = signature_base(request, member)
    message_hash = personal_message_hash(base.encode("ascii"))
    signature = signer(message_hash)
    signed = request.with_header("Signature-Input", f"{label}={serialize_inner_list(member)}")
    signed = signed.with_header("Signature", f"{label}={serialize_bare_item(signature)}")
    return AccountSignedRequest(signed, base, message_hash)
