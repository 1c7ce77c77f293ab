"""Per-client budgets of the demo server's front end: open connections and failed verifications.

A signature costs its verifier a public-key recovery, and a request may carry up to 8 candidates
(ERC-8128 §3.5 "Recognized profile candidates per request | 8"); making candidates that fail
needs no key. RFC 9421 §7.2.6 asks a verifier to "cap attempts" (attack catalogue, PP-18); here
each client address has a budget of failed candidate verifications per time window (a token
bucket), and an exhausted budget is answered 429 before anything is parsed or recovered. The
number of connections one address may hold open is capped too, so that slow clients from one
address cannot take every connection slot.

Who a client is, and why the table of addresses is bounded: SPEC.md D34 (the socket's address;
behind a proxy, the proxy). An IPv6 client is its /64 (:func:`client_key`): SPEC.md D77. Full
text of both: docs/decisions-tooling.md.
"""

import ipaddress
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from erc8128.errors import VerificationError

# D77: IPv6 clients are grouped by this prefix length.
IPV6_PREFIX: Final = 64

# Decision D34: the candidate failures that cost the verifier a public-key recovery (SPEC.md
# §4.17 Universal Account verification, §4.18 nonce consumption), plus the Principal policy
# (whose place in the order may move after recovery); only these are charged to the client's
# failed-verification budget. Earlier failures (parse, limits, keyid, time, coverage) are cheap.
CHARGED_REASONS: Final = frozenset({"bad_signature", "nonce_reused", "principal_not_allowed"})


def charged_failures(error: VerificationError) -> int:
    """How many of ``error``'s candidates failed with a CHARGED_REASONS code (D34)."""
    return sum(failure.reason in CHARGED_REASONS
               for failure in error.candidate_failures or (error,))


@dataclass
class _Bucket:
    tokens: float
    updated: float


class FailureBudget:
    """A token bucket per address: ``capacity`` failed verifications, refilled over
    ``window_sec`` (capacity / window_sec per second). Thread-safe.

    An address is served while it has at least one token; a charge larger than what is left is
    carried as debt, down to ``-capacity`` (decision D79). Without the debt, a call costing 24
    recoveries made on the last token cost one: an inspector paste of 8 bogus candidates could
    be repeated every 1/rate seconds instead of every 24/rate."""

    def __init__(self, capacity: int, window_sec: float, *, max_addresses: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if capacity < 1 or window_sec <= 0 or max_addresses < 1:
            raise ValueError("expected capacity >= 1, window_sec > 0 and max_addresses >= 1")
        self.capacity = capacity
        self.window_sec = window_sec
        self._rate = capacity / window_sec
        self._max_addresses = max_addresses
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def _refilled(self, address: str, now: float) -> _Bucket | None:
        bucket = self._buckets.get(address)
        if bucket is None:
            return None
        bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        if bucket.tokens >= self.capacity:
            del self._buckets[address]  # a full bucket is the same as no bucket
            return None
        return bucket

    def retry_after(self, address: str) -> int:
        """0 if ``address`` may be served now, else the whole seconds until it may."""
        with self._lock:
            bucket = self._refilled(address, self._clock())
            if bucket is None or bucket.tokens >= 1:
                return 0
            return max(1, int((1 - bucket.tokens) / self._rate + 0.999))

    def charge(self, address: str, cost: int) -> None:
        """Spend ``cost`` failed verifications of ``address``'s budget (down to -capacity)."""
        if cost <= 0:
            return
        with self._lock:
            now = self._clock()
            bucket = self._refilled(address, now)
            if bucket is None:
                bucket = _Bucket(float(self.capacity), now)
                self._buckets[address] = bucket
                while len(self._buckets) > self._max_addresses:
                    self._buckets.popitem(last=False)
            bucket.tokens = max(-float(self.capacity), bucket.tokens - cost)
            self._buckets.move_to_end(address)

    def __len__(self) -> int:
        with self._lock:
            return len(self._buckets)


def client_key(address: str) -> str:
    """The budgets' key for a socket's peer address: an IPv4 address as it is, an IPv4-mapped
    IPv6 address as its IPv4 address, any other IPv6 address as its /64 (``2001:db8::/64``);
    text that is no IP address (a Unix socket path) as it is."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # without an IPv6 zone index
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv4Address):
        return str(ip)
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.IPv6Network((ip, IPV6_PREFIX), strict=False))


class ConnectionCounter:
    """Open connections per address, at most ``per_address`` each. Thread-safe."""

    def __init__(self, per_address: int) -> None:
        if per_address < 1:
            raise ValueError("expected per_address >= 1")
        self.per_address = per_address
        self._open: dict[str, int] = {}
        self._lock = threading.Lock()

    def acquire(self, address: str) -> bool:
        """Count one more connection of ``address``; False (nothing counted) if at the cap."""
        with self._lock:
            count = self._open.get(address, 0)
            if count >= self.per_address:
                return False
            self._open[address] = count + 1
            return True

    def release(self, address: str) -> None:
        with self._lock:
            count = self._open.get(address, 0) - 1
            if count <= 0:
                self._open.pop(address, None)
            else:
                self._open[address] = count

    def count(self, address: str) -> int:
        with self._lock:
            return self._open.get(address, 0)

    def largest(self) -> tuple[str, int] | None:
        """The address holding the most connections and how many (None when none is open)."""
        with self._lock:
            if not self._open:
                return None
            address = max(self._open, key=self._open.__getitem__)
            return address, self._open[address]
