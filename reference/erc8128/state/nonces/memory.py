"""In-process replay store: a locked set of replay keys with lazy expiry (ERC-8128 §3.1.2).

ERC-8128 §3.1.2: "A verifier MUST atomically mark an unused replay key as used; finding it
already used yields `nonce_reused`. It MUST retain the mark until the request can no longer be
accepted, including allowed clock skew."

One lock makes the check and the insertion one step. Each key is kept in a dict (key → until)
and in a min-heap of ``(until, key)``; every ``consume`` first pops the heap entries whose
``until`` has passed at the verifier's ``now``, so memory is bounded by the keys still live.
When ``capacity`` live keys are held, a fresh key is refused with
:class:`~erc8128.errors.ReplayStoreUnavailable` (HTTP 503): the store never accepts a key it
could not record.

Restart safety. This store lives in one process's memory, so a restart forgets every key
consumed before it. A verifier that restarts refuses every signature created at or before its
restart watermark (:mod:`erc8128.state.restart_watermark`, decision D61), so a request accepted
before the restart is not accepted after it whatever the store; a fleet of verifiers still needs
a shared store (SQLite or Redis).
"""

import heapq
import threading
from collections.abc import Sequence

from erc8128.errors import ReplayStoreUnavailable
from erc8128.state.nonces.base import (
    ReplayStoreContext,
    check_entries,
    check_key,
    check_now,
    check_until,
    is_expired,
)

DEFAULT_CAPACITY = 1_000_000
"""Default bound on live keys: about 11 000 fresh requests/s kept for 60 s validity + 30 s skew."""


class MemoryReplayStore(ReplayStoreContext):
    """Thread-safe in-memory :class:`~erc8128.state.nonces.base.ReplayStore` for one process."""

    capacity: int

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, int):
            raise ReplayStoreUnavailable(f"capacity: expected int, got {type(capacity).__name__}")
        if capacity < 1:
            raise ReplayStoreUnavailable(f"capacity: expected at least 1, got {capacity}")
        self.capacity = capacity
        self._lock = threading.Lock()
        self._until_by_key: dict[str, int] = {}
        self._expiry_heap: list[tuple[int, str]] = []
        self._closed = False

    def __len__(self) -> int:
        """Number of keys held (live ones, plus expired ones not yet popped)."""
        with self._lock:
            return len(self._until_by_key)

    def consume(self, key: str, until: int, *, now: float) -> bool:
        """Atomically mark ``key`` used until ``until``; ``True`` if it was unused."""
        # check_consume's three checks, inline: this in-process store is on the verify hot path
        # (an extra call here adds to every verification).
        key = check_key(key)
        until = check_until(until)
        now = check_now(now)
        with self._lock:
            if self._closed:
                raise ReplayStoreUnavailable("memory replay store: expected open, got closed")
            self._evict_expired(now)
            # ERC-8128 §3.1.2: "finding it already used yields `nonce_reused`"
            if key in self._until_by_key:
                return False
            if len(self._until_by_key) >= self.capacity:
                raise ReplayStoreUnavailable(
                    f"memory replay store full: expected fewer than {self.capacity} live keys, "
                    f"got {len(self._until_by_key)}"
                )
            # ERC-8128 §3.1.2: "A verifier MUST atomically mark an unused replay key as used"
            self._until_by_key[key] = until
            heapq.heappush(self._expiry_heap, (until, key))
            return True

    def consume_all(self, entries: Sequence[tuple[str, int]], *, now: float) -> tuple[str, ...]:
        """Mark every ``(key, until)`` used, or none: ``()`` if all were unused, else the keys
        already marked (decision D28, SPEC.md)."""
        checked = check_entries(entries)
        now = check_now(now)
        with self._lock:
            if self._closed:
                raise ReplayStoreUnavailable("memory replay store: expected open, got closed")
            self._evict_expired(now)
            used = tuple(key for key, _ in checked if key in self._until_by_key)
            if used:
                return used
            if len(self._until_by_key) + len(checked) > self.capacity:
                raise ReplayStoreUnavailable(
                    f"memory replay store full: expected room for {len(checked)} keys under "
                    f"{self.capacity}, got {len(self._until_by_key)} live"
                )
            # One lock held across the check and every insertion: all or none (ERC-8128
            # §3.1.2 "A verifier MUST atomically mark an unused replay key as used").
            for key, until in checked:
                self._until_by_key[key] = until
                heapq.heappush(self._expiry_heap, (until, key))
            return ()

    def _evict_expired(self, now: float) -> None:
        """Forget keys whose ``until`` is before ``now``; the caller holds the lock.

        ERC-8128 §3.1.2: "It MUST retain the mark until the request can no longer be accepted,
        including allowed clock skew." A key is kept while ``floor(now) <= until``.
        """
        while self._expiry_heap and is_expired(self._expiry_heap[0][0], now):
            until, key = heapq.heappop(self._expiry_heap)
            # Each held key has exactly one heap entry: a key is re-inserted only after this
            # loop has popped its old entry, so the entry popped is always the key's own.
            assert self._until_by_key[key] == until
            del self._until_by_key[key]

    def close(self) -> None:
        """Forget every key; later ``consume`` calls fail closed."""
        with self._lock:
            self._closed = True
            self._until_by_key.clear()
            self._expiry_heap.clear()
