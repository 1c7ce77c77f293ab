"""In-process replay store: a locked set of replay keys with lazy expiry (ERC-8128 §3.1.2).

ERC-8128 §3.1.2: "A verifier MUST atomically mark an unused replay key as used; finding it
already used yields `nonce_reused`. It MUST retain the mark until the request can no longer be
accepted, including allowed clock skew."

One lock makes the check and the insertion one step. Each key is kept in a dict (key → until)
and in a min-heap of ``(until, key)``; every ``consume`` first pops the heap entries whose
``until`` has passed, so memory is bounded by the keys still live. When ``capacity`` live keys
are held, a fresh key is refused with :class:`~erc8128.errors.ReplayStoreUnavailable` (HTTP
503): the store never accepts a key it could not record.

Restart safety. This store lives in one process's memory, so a restart forgets every key
consumed before it, and a request accepted just before the restart could be replayed just after
it, inside its still-open acceptance window. With ``restart_safe=True`` the store refuses
(``ReplayStoreUnavailable``) every signature whose acceptance window could have opened before
the store started, i.e. ``window_start = created - skew < started_at``; a request that no
earlier instance could have accepted is by construction not a replay of one. The trade-off:
the requests still valid at the restart (signed up to ``validity + skew`` seconds before it) are
refused, and so is every request created in the first ``skew`` seconds after the start (its
window, widened by the skew, reaches back before it); the signer retries once with a fresh
signature, and from ``started_at + skew`` on, freshly signed requests are served. The verifier
must pass ``window_start`` to :meth:`MemoryReplayStore.consume` (or ask
:meth:`MemoryReplayStore.admits` first). The ``started_at`` default is the clock rounded up, and
the guarantee assumes the clock does not step backwards across the restart.
``restart_safe=False`` (the default) suits a single long-lived process or tests; a fleet of
verifiers needs a shared store (SQLite or Redis).
"""

from __future__ import annotations

import heapq
import math
import threading
import time
from collections.abc import Callable, Sequence

from erc8128.errors import ReplayStoreUnavailable
from erc8128.state.nonces.base import (
    ReplayStoreContext,
    check_entries,
    check_key,
    check_until,
    is_expired,
)

__all__ = ["DEFAULT_CAPACITY", "MemoryReplayStore"]

DEFAULT_CAPACITY = 1_000_000
"""Default bound on live keys: about 11 000 fresh requests/s kept for 60 s validity + 30 s skew."""


class MemoryReplayStore(ReplayStoreContext):
    """Thread-safe in-memory :class:`~erc8128.state.nonces.base.ReplayStore` for one process."""

    capacity: int
    started_at: int
    restart_safe: bool

    def __init__(
        self,
        capacity: int = DEFAULT_CAPACITY,
        clock: Callable[[], float] = time.time,
        started_at: int | None = None,
        restart_safe: bool = False,
    ) -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, int):
            raise ReplayStoreUnavailable(f"capacity: expected int, got {type(capacity).__name__}")
        if capacity < 1:
            raise ReplayStoreUnavailable(f"capacity: expected at least 1, got {capacity}")
        self.capacity = capacity
        self.restart_safe = restart_safe
        self._clock = clock
        # Rounded up: a window opening in the same second as the start may predate it.
        self.started_at = math.ceil(clock()) if started_at is None else started_at
        self._lock = threading.Lock()
        self._until_by_key: dict[str, int] = {}
        self._expiry_heap: list[tuple[int, str]] = []
        self._closed = False

    def __len__(self) -> int:
        """Number of keys held (live ones, plus expired ones not yet popped)."""
        with self._lock:
            return len(self._until_by_key)

    def admits(self, window_start: int) -> bool:
        """Whether a signature whose acceptance window opens at ``window_start`` may be consumed.

        ``window_start`` is ``created - skew``. Always ``True`` unless ``restart_safe``; then
        ``True`` only if no earlier instance of this store could have accepted the request.
        """
        if isinstance(window_start, bool) or not isinstance(window_start, int):
            raise ReplayStoreUnavailable(
                f"window_start: expected int unix time, got {type(window_start).__name__}"
            )
        if not self.restart_safe:
            return True
        return window_start >= self.started_at

    def remembers_since(self) -> int | None:
        """``started_at`` in restart-safe mode (nothing before it is known), else ``None``.

        The verifier reads it before any cryptography (decision D27, SPEC.md): a Non-Replayable
        signature whose window opened before it is refused with ``request_validity_too_long``.
        """
        return self.started_at if self.restart_safe else None

    def consume(self, key: str, until: int, *, window_start: int | None = None) -> bool:
        """Atomically mark ``key`` used until ``until``; ``True`` if it was unused.

        ``window_start`` (``created - skew``) is required when ``restart_safe``: a window that
        opened before the store started is refused with ``ReplayStoreUnavailable``, because the
        store cannot know whether the key was consumed before the restart.
        """
        key = check_key(key)
        until = check_until(until)
        self._check_window(window_start)
        with self._lock:
            if self._closed:
                raise ReplayStoreUnavailable("memory replay store: expected open, got closed")
            now = self._clock()
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

    def consume_all(
        self, entries: Sequence[tuple[str, int]], *, window_start: int | None = None
    ) -> tuple[str, ...]:
        """Mark every ``(key, until)`` used, or none: ``()`` if all were unused, else the keys
        already marked (decision D28, SPEC.md). ``window_start`` is the earliest window start
        of the signatures, required when ``restart_safe`` as in :meth:`consume`."""
        checked = check_entries(entries)
        self._check_window(window_start)
        with self._lock:
            if self._closed:
                raise ReplayStoreUnavailable("memory replay store: expected open, got closed")
            self._evict_expired(self._clock())
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

    def _check_window(self, window_start: int | None) -> None:
        if self.restart_safe and window_start is None:
            raise ReplayStoreUnavailable(
                "restart-safe store: expected window_start (created - skew), got None"
            )
        if window_start is not None and not self.admits(window_start):
            raise ReplayStoreUnavailable(
                f"restart-safe store started at {self.started_at}: expected a window opening "
                f"at or after it, got window_start={window_start}"
            )

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
