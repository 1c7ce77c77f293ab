"""ERC-8128 §5.2 early invalidation of Replayable signatures: per-signer not-before and
per-signature denial by fingerprint.

ERC-8128 §5.2: "verifiers that accept Replayable signatures MUST implement one or more early
invalidation mechanisms that can be triggered by the signer. Such mechanisms MUST include at
least one of the following: per-`keyid` not-before timestamps; per-signature invalidation (e.g.,
fingerprinting of the signature or signature base)."

The fingerprint of a signature is ``H``, the ERC-191 hash of its signature base ``M`` (decision
D9, SPEC.md). ``M`` ends with ``@signature-params``, which carries the keyid, the times and every
covered component, and it is rebuilt in canonical form by the verifier. So every wire encoding
of one signature — another label, other Byte Sequence padding, other whitespace between
parameters, a malleated or re-encoded signature value — has the same fingerprint.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Protocol

__all__ = ["InvalidationState", "MemoryInvalidationState", "fingerprint_of"]


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


# A denial entered by the verifier's operator applies whoever signed; one entered through the
# early-invalidation endpoint applies only to the signer who asked (decision D26, SPEC.md): a
# third party who learns a fingerprint cannot deny someone else's signature.
_ANY_SIGNER = "*"


class MemoryInvalidationState:
    """In-memory invalidation state (thread-safe); a denial is kept until its ``until`` time.

    ``invalidated`` maps fingerprints to ``until`` for denials that apply to every signer.

    Restart safety (decision D61, SPEC.md). A restart forgets every not-before and denial a
    signer set. A restarted verifier refuses every signature created at or before its restart
    watermark (:mod:`erc8128.state.restart_watermark`), so a signature invalidated before the
    restart is not accepted after it. Residual: a signature dated after the watermark (signed
    ahead, never presented) and invalidated before the restart is forgotten; only a shared
    persistent state (SQLite, Redis) keeps those.

    Bounded state. A denial is forgotten once its ``until`` has passed; with
    ``not_before_retention`` (the longest window any route accepts plus the skew: no signature
    created before ``t`` can verify after ``t + retention``), a not-before time ``t`` is forgotten
    once ``t + not_before_retention`` has passed. Both happen in :meth:`evict_expired`, which the
    writers also run themselves at most every ``evict_interval`` seconds.
    """

    not_before_retention: int | None

    def __init__(
        self,
        not_before: dict[str, int] | None = None,
        invalidated: dict[str, int] | None = None,
        *,
        clock: Callable[[], float] = time.time,
        not_before_retention: int | None = None,
        evict_interval: float = 60.0,
    ) -> None:
        self.not_before_retention = not_before_retention
        self._clock = clock
        self._evict_interval = evict_interval
        self._next_evict = clock() + evict_interval
        self._lock = threading.Lock()
        self._not_before: dict[str, int] = dict(not_before or {})
        self._invalidated: dict[tuple[str, str], int] = {
            (_ANY_SIGNER, fingerprint): until for fingerprint, until in (invalidated or {}).items()
        }

    def not_before(self, signer_id: str) -> int | None:
        with self._lock:
            return self._not_before.get(signer_id)

    def is_invalidated(self, signer_id: str, fingerprint: str) -> bool:
        with self._lock:
            return (signer_id, fingerprint) in self._invalidated or (
                _ANY_SIGNER,
                fingerprint,
            ) in self._invalidated

    def set_not_before(self, signer_id: str, timestamp: int) -> None:
        """Raise (never lower) the signer's not-before time."""
        self._evict_now_and_then()
        with self._lock:
            current = self._not_before.get(signer_id)
            if current is None or timestamp > current:
                self._not_before[signer_id] = timestamp

    def invalidate(self, fingerprint: str, until: int, *, signer_id: str | None = None) -> None:
        """Deny one signature until ``until`` (its expires + skew; it cannot verify after).

        With ``signer_id`` (the authenticated requester of an invalidation) the denial applies to
        that signer's signature only; without it, to whoever signed.
        """
        key = (signer_id or _ANY_SIGNER, fingerprint)
        self._evict_now_and_then()
        with self._lock:
            self._invalidated[key] = max(until, self._invalidated.get(key, until))

    def evict_expired(self, now: int) -> None:
        """Forget the denials whose ``until`` is before ``now`` and, with a retention, the
        not-before times that can no longer refuse anything (``t + retention < now``)."""
        with self._lock:
            self._invalidated = {k: t for k, t in self._invalidated.items() if t >= now}
            retention = self.not_before_retention
            if retention is not None:
                self._not_before = {
                    k: t for k, t in self._not_before.items() if t + retention >= now
                }

    def _evict_now_and_then(self) -> None:
        now = self._clock()
        if now >= self._next_evict:
            self._next_evict = now + self._evict_interval
            self.evict_expired(math.floor(now))
