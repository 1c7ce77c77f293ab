"""The early-invalidation interface (ERC-8128 §5.2): per-signer not-before and per-signature
denial by fingerprint, read by the verifier and written by the invalidation endpoint.

ERC-8128 §5.2: "verifiers that accept Replayable signatures MUST implement one or more early
invalidation mechanisms that can be triggered by the signer. Such mechanisms MUST include at
least one of the following: per-`keyid` not-before timestamps; per-signature invalidation (e.g.,
fingerprinting of the signature or signature base)."

The fingerprint of a signature is ``H``, the ERC-191 hash of its signature base ``M`` (decision
D9, SPEC.md). ``M`` ends with ``@signature-params``, which carries the keyid, the times and every
covered component, and it is rebuilt in canonical form by the verifier. So every wire encoding
of one signature — another label, other Byte Sequence padding, other whitespace between
parameters, a malleated or re-encoded signature value — has the same fingerprint.

Every state (memory, SQLite, Redis) has the same semantics:

* ``set_not_before(signer_id, t, now=...)`` raises, never lowers, the signer's not-before,
  atomically;
* ``invalidate(fingerprint, until, signer_id=None, now=...)`` denies one signature until
  ``until``, for that signer only or (``None``) for whoever signed (decision D26, SPEC.md); a
  later ``until`` extends a denial, an earlier one never shortens it;
* ``not_before`` and ``is_invalidated`` read it.

A state holds no clock: the writers receive ``now`` from the endpoint that calls them and use it
only to delete, now and then, what can no longer refuse anything (issue 20: one clock).

This module holds the interface and the argument checks the shared states (SQLite, Redis) apply
before touching their backend; a value they cannot store raises
:class:`~erc8128.errors.InvalidationStateUnavailable`.
"""

import re
from typing import Final, Protocol

from erc8128.errors import InvalidationStateUnavailable
from erc8128.state.unix_time import MAX_UNIX_TIME

MAX_TIME = MAX_UNIX_TIME
"""Largest accepted unix time: 9999-12-31T23:59:59Z, inside every backend's integer range."""

# A denial entered by the verifier's operator applies whoever signed; one entered through the
# early-invalidation endpoint applies only to the signer who asked (decision D26, SPEC.md): a
# third party who learns a fingerprint cannot deny someone else's signature. No signer id is
# "*" (checked on entry).
ANY_SIGNER: Final = "*"

_MAX_SIGNER_ID = 256

# fingerprint_of: "0x" + hex of the 32-byte H.
_FINGERPRINT = re.compile(r"0x[0-9a-f]{64}")


def fingerprint_of(message_hash: bytes) -> str:
    """The canonical per-signature fingerprint: ``0x`` + hex of ``H``."""
    return "0x" + message_hash.hex()


class InvalidationState(Protocol):
    """Signer-triggered early invalidation, read by the verifier."""

    def not_before(self, signer_id: str) -> int | None:
        """Signatures of ``signer_id`` created before this Unix time are invalid."""
        ...

    def is_invalidated(self, signer_id: str, fingerprint: str) -> bool:
        """This one signature of ``signer_id`` has been invalidated (by that signer, or by the
        verifier's own policy)."""
        ...


class InvalidationStore(InvalidationState, Protocol):
    """An :class:`InvalidationState` the invalidation endpoint writes, at its ``now``."""

    def set_not_before(self, signer_id: str, timestamp: int, *, now: int) -> None:
        """Raise (never lower) the signer's not-before time."""
        ...

    def invalidate(
        self, fingerprint: str, until: int, *, signer_id: str | None = None, now: int
    ) -> None:
        """Deny one signature until ``until``; for ``signer_id`` only, or (None) any signer."""
        ...


def check_signer_id(signer_id: object) -> str:
    """Return ``signer_id`` if it is 1..256 ASCII characters other than ``*``.

    Signer ids are ``eip155:<chain-id>:<address>`` (ASCII); refusing anything else keeps every
    backend's encoding total.
    """
    if not isinstance(signer_id, str):
        raise InvalidationStateUnavailable(
            f"signer id: expected str, got {type(signer_id).__name__}"
        )
    if not 1 <= len(signer_id) <= _MAX_SIGNER_ID:
        raise InvalidationStateUnavailable(
            f"signer id: expected 1..{_MAX_SIGNER_ID} characters, got {len(signer_id)}"
        )
    if not signer_id.isascii():
        raise InvalidationStateUnavailable(f"signer id: expected ASCII, got {signer_id[:80]!r}")
    if signer_id == ANY_SIGNER:
        raise InvalidationStateUnavailable(f"signer id: expected an account, got {signer_id!r}")
    return signer_id


def check_fingerprint(fingerprint: object) -> str:
    """Return ``fingerprint`` if it is ``0x`` + 64 lowercase hex digits (``fingerprint_of``)."""
    if not isinstance(fingerprint, str):
        raise InvalidationStateUnavailable(
            f"fingerprint: expected str, got {type(fingerprint).__name__}"
        )
    if _FINGERPRINT.fullmatch(fingerprint) is None:
        raise InvalidationStateUnavailable(
            f"fingerprint: expected 0x + 64 lowercase hex, got {fingerprint[:80]!r}"
        )
    return fingerprint


def check_time(name: str, timestamp: object) -> int:
    """Return ``timestamp`` if it is an int unix time in [0, MAX_TIME] (not a bool)."""
    if isinstance(timestamp, bool) or not isinstance(timestamp, int):
        raise InvalidationStateUnavailable(
            f"{name}: expected int unix time, got {type(timestamp).__name__}"
        )
    if not 0 <= timestamp <= MAX_TIME:
        raise InvalidationStateUnavailable(f"{name}: expected 0..{MAX_TIME}, got {timestamp}")
    return timestamp
