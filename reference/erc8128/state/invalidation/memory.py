"""In-process early-invalidation state (ERC-8128 §5.2): a locked dict of not-before times and
one of denials, for one verifier process.

ERC-8128 §5.2: "verifiers that accept Replayable signatures MUST implement one or more early
invalidation mechanisms that can be triggered by the signer." The semantics every state shares
are in :mod:`erc8128.state.invalidation.base`.
"""

import math
import threading

from erc8128.state.housekeeping import Periodic
from erc8128.state.invalidation.base import ANY_SIGNER


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
    writers also run themselves at most every ``evict_interval`` seconds of their ``now``.
    """

    not_before_retention: int | None

    def __init__(
        self,
        not_before: dict[str, int] | None = None,
        invalidated: dict[str, int] | None = None,
        *,
        not_before_retention: int | None = None,
        evict_interval: float = 60.0,
    ) -> None:
        self.not_before_retention = not_before_retention
        self._evict = Periodic(evict_interval)
        self._lock = threading.Lock()
        self._not_before: dict[str, int] = dict(not_before or {})
        self._invalidated: dict[tuple[str, str], int] = {
            (ANY_SIGNER, fingerprint): until for fingerprint, until in (invalidated or {}).items()
        }

    def not_before(self, signer_id: str) -> int | None:
        with self._lock:
            return self._not_before.get(signer_id)

    def is_invalidated(self, signer_id: str, fingerprint: str) -> bool:
        with self._lock:
            return (signer_id, fingerprint) in self._invalidated or (
                ANY_SIGNER,
                fingerprint,
            ) in self._invalidated

    def set_not_before(self, signer_id: str, timestamp: int, *, now: int) -> None:
        """Raise (never lower) the signer's not-before time."""
        self._evict_now_and_then(now)
        with self._lock:
            current = self._not_before.get(signer_id)
            if current is None or timestamp > current:
                self._not_before[signer_id] = timestamp

    def invalidate(
        self, fingerprint: str, until: int, *, signer_id: str | None = None, now: int
    ) -> None:
        """Deny one signature until ``until`` (its expires + skew; it cannot verify after).

        With ``signer_id`` (the authenticated requester of an invalidation) the denial applies to
        that signer's signature only; without it, to whoever signed.
        """
        key = (signer_id or ANY_SIGNER, fingerprint)
        self._evict_now_and_then(now)
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

    def _evict_now_and_then(self, now: float) -> None:
        if self._evict.due(now):
            self.evict_expired(math.floor(now))
