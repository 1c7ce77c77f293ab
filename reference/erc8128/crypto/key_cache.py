"""A bounded cache of signer public keys, so that a repeat signer costs a verification, not a
recovery (SPEC.md D53).

ERC-8128 §3.4.3: "The recovered address MUST equal the normalized `keyid` address." The plain
way to check that is to recover the public key Q from (H, r, s, v) and compare
keccak256(Q)[12:] with the address. Once that has succeeded for an address, Q is known, and
for the next signature of the same address :func:`erc8128.crypto.secp256k1.verify_recoverable`
answers "would recovery return Q?" with one ECDSA verification against Q's precomputed table
and the parity of R checked against v: no square root, no table for R, no Keccak of Q.

Why a cached key never changes a verdict:

* an entry is written only by :meth:`SignerKeyCache.recover_address` itself, right after it
  recovered Q and computed keccak256(Q)[12:] equal to the address, so every entry (address, Q)
  satisfies address = address(Q), whatever the callers do;
* a hit answers only "yes": when the signature checks against the cached Q, recovery would have
  returned Q (the equivalence proved in ``verify_recoverable``'s docstring), whose address is
  the expected one, so the plain path would have accepted too;
* anything else (no entry, an entry of another backend, a signature that does not check,
  an encoding error) falls through to the plain recovery, which gives the verdict and the
  message it always gives.

The mapping address → Q never goes stale (it is a hash), so there is nothing to invalidate;
entries leave only by the LRU bound. Account state is not cached (D23): the cache sits at the
strict EOA recovery of ERC-8128 §4.1 steps 2 and 4, after the code lookup that step 3 makes.

One cache per process (or per verifier), passed in explicitly: ``verify_request(...,
key_cache=cache)``. It is safe to share between threads: a lock guards the dictionary, never
the cryptography.
"""

import threading
from collections import OrderedDict
from dataclasses import dataclass

from erc8128.crypto.accelerate import Backend
from erc8128.errors import Erc8128Error

# With the pure backend an entry holds 2 × 32 affine points of the key's table (about 10 KB of
# Python ints); 1024 signers are then about 10 MB.
DEFAULT_CAPACITY = 1024


class KeyCacheError(Erc8128Error):
    """A cache configured with a capacity that is not a positive integer (``cache_capacity``)."""


@dataclass(frozen=True)
class CacheStatistics:
    """Counters since the cache was made: hits verified by the cached key, and misses."""

    hits: int
    misses: int
    entries: int
    capacity: int


@dataclass(frozen=True)
class _Entry:
    backend_name: str
    prepared: object


class SignerKeyCache:
    """Address → the signer's prepared public key, least recently used evicted first."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if type(capacity) is not int or capacity < 1:
            raise KeyCacheError(
                "cache_capacity", f"expected a positive integer capacity, got {capacity!r}"
            )
        self._capacity = capacity
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._hits = 0
        self._misses = 0

    def recover_address(
        self, message_hash: bytes, signature: bytes, expected_address: str, backend: Backend
    ) -> str:
        """What ``backend.recover_address(message_hash, signature)`` returns, same errors.

        When a key is cached for ``expected_address`` and the signature checks against it, the
        answer is ``expected_address`` without a recovery; otherwise the signature is
        recovered, and its key remembered when its address is ``expected_address``.
        """
        with self._lock:
            entry = self._entries.get(expected_address)
            if entry is not None:
                self._entries.move_to_end(expected_address)
        if (
            entry is not None
            and entry.backend_name == backend.name
            and backend.signed_by(entry.prepared, message_hash, signature)
        ):
            with self._lock:
                self._hits += 1
            return expected_address
        public_key = backend.recover_public_key(message_hash, signature)
        recovered = "0x" + backend.keccak256(public_key)[-20:].hex()
        with self._lock:
            self._misses += 1
        if recovered == expected_address:
            # The invariant of the module docstring: address == address(Q), computed just now.
            prepared = backend.prepare_public_key(public_key)
            with self._lock:
                self._entries[recovered] = _Entry(backend.name, prepared)
                self._entries.move_to_end(recovered)
                while len(self._entries) > self._capacity:
                    self._entries.popitem(last=False)
        return recovered

    def statistics(self) -> CacheStatistics:
        with self._lock:
            return CacheStatistics(self._hits, self._misses, len(self._entries), self._capacity)

    def __contains__(self, address: object) -> bool:
        with self._lock:
            return address in self._entries

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
