"""RFC 9530 Content-Digest: create and check sha-256 / sha-512 digests of the content bytes.

ERC-8128 §3.1.3: "sha-256 MUST be supported and sha-512 MAY be supported"; every other
algorithm is unsupported and ignored when verifying. The field is an RFC 9651 Dictionary whose
keys are algorithm names and whose members are Byte Sequences (RFC 9530 §2).
"""

import hashlib
import hmac
from collections.abc import Callable, Sequence
from types import MappingProxyType

from erc8128.errors import ContentDigestError, StructuredFieldError
from erc8128.http.structured_fields import (
    Dictionary,
    InnerList,
    Item,
    parse_dictionary,
    serialize_dictionary,
)

_HASHES: MappingProxyType[str, Callable[[bytes], bytes]] = MappingProxyType(
    {
        # RFC 9530 §7.2 registry: "sha-512" is SHA-512 and "sha-256" is SHA-256 (RFC 6234).
        "sha-256": lambda data: hashlib.sha256(data).digest(),
        "sha-512": lambda data: hashlib.sha512(data).digest(),
    }
)

# The supported algorithms, in the order this module prefers them.
SUPPORTED_ALGORITHMS: tuple[str, ...] = tuple(_HASHES)

# Output sizes in bytes: a supported member of another length is malformed.
DIGEST_LENGTHS: MappingProxyType[str, int] = MappingProxyType({"sha-256": 32, "sha-512": 64})


def content_digest(body: bytes, algorithms: Sequence[str] = ("sha-256",)) -> str:
    """The Content-Digest field value of ``body``, one member per algorithm, in the given order.

    ``content_digest(b'{"hello": "world"}')`` is
    ``sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:``.
    """
    if not isinstance(body, bytes):
        raise ContentDigestError(
            "content_digest_body_type", f"expected the content as bytes, got {type(body).__name__}"
        )
    if isinstance(algorithms, str):
        raise ContentDigestError(
            "content_digest_unsupported_algorithm",
            f"expected a sequence of algorithm names, got the single str {algorithms!r}",
        )
    if len(algorithms) == 0:
        raise ContentDigestError(
            "content_digest_unsupported_algorithm", "expected at least one algorithm, got none"
        )
    members: list[tuple[str, Item | InnerList]] = []
    for algorithm in algorithms:
        if not isinstance(algorithm, str) or algorithm not in _HASHES:
            raise ContentDigestError(
                "content_digest_unsupported_algorithm",
                f"expected one of {', '.join(SUPPORTED_ALGORITHMS)}, got {algorithm!r}",
            )
        # RFC 9651 §3.2: Dictionary keys are unique.
        if any(key == algorithm for key, _ in members):
            raise ContentDigestError(
                "content_digest_duplicate_algorithm",
                f"expected each algorithm once, got {algorithm!r} again",
            )
        # RFC 9530 §2 (paraphrase): each member is an algorithm key whose value is the Byte
        # Sequence digest of the actual message content.
        members.append((algorithm, Item(_HASHES[algorithm](body))))
    dictionary: Dictionary = tuple(members)
    return serialize_dictionary(dictionary)


def verify_content_digest(body: bytes, field_value: str) -> tuple[str, ...]:
    """Check a received Content-Digest field against ``body``; return the algorithms matched.

    ERC-8128 §3.1.3: "recompute and match every supported member present, and require at least
    one supported member to be present and match"; unsupported algorithms are ignored.
    """
    if not isinstance(body, bytes):
        raise ContentDigestError(
            "content_digest_body_type", f"expected the content as bytes, got {type(body).__name__}"
        )
    if not isinstance(field_value, str):
        raise ContentDigestError(
            "content_digest_malformed",
            f"expected the field value as str, got {type(field_value).__name__}",
        )
    try:
        # RFC 9530 §2: Content-Digest is a Dictionary; RFC 9651's last-wins rule applies to a
        # repeated key (ERC-8128: "an unmodified RFC 9651 parser is sufficient").
        members = parse_dictionary(field_value)
    except StructuredFieldError as error:
        raise ContentDigestError(
            "content_digest_malformed",
            f"expected Content-Digest to be an sf Dictionary: {error.message}",
        ) from error
    matched: list[str] = []
    for algorithm, member in members:
        if algorithm not in _HASHES:
            # ERC-8128 §3.1.3: unsupported algorithms are "ignored".
            continue
        if not isinstance(member, Item) or not isinstance(member.value, bytes):
            # ERC-8128 §3.1.3: "a supported member of the wrong type [...] yields
            # bad_content_digest"
            raise ContentDigestError(
                "content_digest_malformed",
                f"expected {algorithm} to be a Byte Sequence, got {member!r}",
            )
        received = member.value
        if len(received) != DIGEST_LENGTHS[algorithm]:
            raise ContentDigestError(
                "content_digest_malformed",
                f"expected a {DIGEST_LENGTHS[algorithm]}-byte {algorithm} digest, got "
                f"{len(received)} bytes",
            )
        computed = _HASHES[algorithm](body)
        if not hmac.compare_digest(received, computed):
            raise ContentDigestError(
                "content_digest_mismatch",
                f"expected {algorithm} of the {len(body)}-byte content to be "
                f"{computed.hex()}, got {received.hex()}",
            )
        matched.append(algorithm)
    if not matched:
        raise ContentDigestError(
            "content_digest_no_supported_algorithm",
            f"expected at least one of {', '.join(SUPPORTED_ALGORITHMS)}, got "
            f"{[algorithm for algorithm, _ in members]!r}",
        )
    return tuple(matched)
