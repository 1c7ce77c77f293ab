"""ERC-8128 signing: ``sign_request``, steps numbered as in SPEC.md §3 ("Signing").

Defaults are the strongest posture the ERC defines (§3.2.1 "Request-Bound, and Non-Replayable"):
the profile's Request-Bound components plus every component it requires whenever its field is
present, a fresh nonce, a 60-second window and the label ``eth``. Signing is deterministic given
its inputs (RFC 6979); the only randomness is the nonce, drawn from ``secrets`` and only when the
caller passes none.
"""

import base64
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

# The pure ERC-191 code is erc8128.crypto.personal_sign; accelerate dispatches to it unless a faster
# backend was selected explicitly (ERC8128_BACKEND or accelerate.use_backend).
from erc8128.crypto.accelerate import personal_message_hash, sign_hash
from erc8128.crypto.addresses import address_of
from erc8128.errors import Erc8128Error
from erc8128.http.components import parse_component
from erc8128.http.content_digest import content_digest, verify_content_digest
from erc8128.http.message import Request, query
from erc8128.http.signature_base import signature_base
from erc8128.http.structured_fields import (
    BareItem,
    InnerList,
    parse_dictionary,
    serialize_bare_item,
    serialize_inner_list,
)
from erc8128.protocol.keyid import Account, ProfileName, format_keyid
from erc8128.protocol.profiles import get_profile

DEFAULT_LABEL: Final = "eth"
# ERC-8128 §3.3.2: "a baseline route MUST accept validity windows up to 60 seconds, so a signer
# without knowledge of route policy can rely on any window of at most 60 seconds being accepted."
DEFAULT_VALIDITY_SEC: Final = 60
# ERC-8128 §3.1.2: "the signer MUST generate at least 128 bits of randomness for it."
NONCE_ENTROPY_BYTES: Final = 16

# RFC 9651 §3.2: a Dictionary key is "lcalpha / "*" followed by lcalpha / DIGIT / "_" / "-" /
# "." / "*"".
_LABEL: Final = re.compile(r"[a-z*][a-z0-9_\-.*]*")

# Parameters the profile sets itself; ``params`` may not override them. ``alg``: ERC-8128 §3.3.4
# "every Request Signature MUST omit RFC 9421's `alg`".
_RESERVED_PARAMS: Final = frozenset({"created", "expires", "nonce", "keyid", "tag", "alg"})


class SigningError(Erc8128Error):
    """The signer was asked for something the profile forbids (reason names the rule)."""


@dataclass(frozen=True)
class SignedRequest:
    """A signed request and every intermediate value, so each can be compared byte for byte."""

    request: Request  # the input request with Content-Digest (when added) and the signature fields
    label: str
    keyid: str
    signature_input: str  # the Signature-Input member value: (components);params
    signature_base: str  # M
    message_hash: bytes  # H = ERC-191 hash of M
    signature: bytes  # S = r || s || v


def new_nonce(randbytes: Callable[[int], bytes] = secrets.token_bytes) -> str:
    """A fresh nonce: 16 random bytes (128 bits) in unpadded base64url (22 ASCII characters)."""
    return base64.urlsafe_b64encode(randbytes(NONCE_ENTROPY_BYTES)).rstrip(b"=").decode("ascii")


def sign_request(
    request: Request,
    private_key: bytes,
    *,
    created: int,
    profile: ProfileName = "draft",
    chain_id: int = 1,
    expires: int | None = None,
    nonce: str | None = None,
    replayable: bool = False,
    label: str = DEFAULT_LABEL,
    components: Sequence[str] | None = None,
    params: Mapping[str, BareItem] | None = None,
    digest_algorithms: Sequence[str] = ("sha-256",),
    randbytes: Callable[[int], bytes] = secrets.token_bytes,
) -> SignedRequest:
    """Sign ``request`` with ``private_key`` under ``profile``; return the signed request.

    ``created`` is required (the core reads no clock). ``nonce=None`` draws a fresh one unless
    ``replayable=True``, which omits it (a Replayable signature, §3.1.2). ``components`` defaults
    to the strongest covered set; ``params`` adds signature parameters such as ``mode="eoa"``.
    """
    chosen = get_profile(profile)
    # Step S1 (SPEC.md §3): time parameters. ERC-8128 §3.3.2: "`expires` [...] MUST be greater
    # than `created`."
    if type(created) is not int:
        raise SigningError("invalid_time", f"expected an integer created, got {created!r}")
    expires = created + DEFAULT_VALIDITY_SEC if expires is None else expires
    if type(expires) is not int or expires <= created:
        raise SigningError("invalid_time", f"expected expires > created={created}, got {expires!r}")
    if type(chain_id) is not int or chain_id < 0:
        raise SigningError("invalid_keyid", f"expected a chain id >= 0, got {chain_id!r}")

    # Step S2: Content-Digest. ERC-8128 §3.1.3: "A signer sending non-empty content MUST generate
    # `Content-Digest` over the exact content bytes according to RFC 9530."
    has_content = bool(request.body)
    existing_digest = request.field_lines("content-digest")
    if existing_digest:
        verify_content_digest(request.body or b"", ", ".join(existing_digest))
    elif has_content:
        request = request.with_header(
            "Content-Digest", content_digest(request.body or b"", digest_algorithms)
        )

    # Step S3: covered components, by default the strongest set for this request.
    if components is None:
        components = chosen.signing_components(
            has_query=query(request.target_uri) is not None,
            has_content=has_content,
            has_content_digest=bool(request.field_lines("content-digest")),
            has_content_type=bool(request.field_lines("content-type")),
        )
    covered = tuple(parse_component(name) for name in components)
    covered_names = {item.value for item in covered if not item.params}
    required = chosen.always_required_components(
        has_content_digest=bool(request.field_lines("content-digest")),
        has_content_type=bool(request.field_lines("content-type")),
    )
    for name in required:
        if name not in covered_names:
            raise SigningError(
                "insufficient_coverage",
                f"expected the {profile} profile's required {name!r} in {list(components)}",
            )

    # Step S4: signature parameters, in the order of the ERC's examples: created, expires,
    # nonce, keyid, tag, then any extra parameters.
    if nonce is not None and replayable:
        raise SigningError("invalid_nonce", "expected no nonce for a replayable signature")
    if nonce is None and not replayable:
        nonce = new_nonce(randbytes)
    account = Account(chain_id=chain_id, address=address_of(private_key))
    keyid = format_keyid(account, profile)
    signature_params: list[tuple[str, BareItem]] = [("created", created), ("expires", expires)]
    if nonce is not None:
        signature_params.append(("nonce", nonce))
    signature_params.append(("keyid", keyid))
    if chosen.tag is not None:
        signature_params.append(("tag", chosen.tag))
    for key, value in (params or {}).items():
        # The legacy profile has no tag of its own, so a legacy signer may add an app's tag.
        if key in _RESERVED_PARAMS and not (key == "tag" and chosen.tag is None):
            raise SigningError(
                "reserved_parameter", f"expected no {key!r} in params, got {value!r}"
            )
        signature_params.append((key, value))
    member = InnerList(items=covered, params=tuple(signature_params))
    signature_input = serialize_inner_list(member)

    # Step S5: the label must be a Dictionary key, and new on this request (a repeated key is
    # last-wins and would silently replace the earlier signature).
    if not isinstance(label, str) or _LABEL.fullmatch(label) is None:
        raise SigningError("invalid_label", f"expected an RFC 9651 key as label, got {label!r}")
    existing_input = request.field_lines("signature-input")
    if existing_input:
        existing_labels = {key for key, _ in parse_dictionary(", ".join(existing_input))}
        if label in existing_labels:
            raise SigningError("duplicate_label", f"expected a new label, got {label!r} again")

    # Step S6: the signature base M (RFC 9421 §2.5), H and S (ERC-8128 §3.4.3).
    base = signature_base(request, member)
    message = base.encode("ascii")
    message_hash = personal_message_hash(message)
    signature = sign_hash(private_key, message_hash)

    # Step S7: attach Signature-Input and Signature as new field lines (RFC 9421 §4.1-4.2).
    signed = request.with_header("Signature-Input", f"{label}={signature_input}")
    signed = signed.with_header("Signature", f"{label}={serialize_bare_item(signature)}")
    return SignedRequest(
        request=signed,
        label=label,
        keyid=keyid,
        signature_input=signature_input,
        signature_base=base,
        message_hash=message_hash,
        signature=signature,
    )
