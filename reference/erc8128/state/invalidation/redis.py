"""Early-invalidation state (ERC-8128 §5.2) in Redis, shared by verifiers on many machines.

ERC-8128 §5.2: "verifiers that accept Replayable signatures MUST implement one or more early
invalidation mechanisms that can be triggered by the signer." A signer who invalidates at one
verifier instance must be refused at every other instance that shares its replay state, so the
state lives where the replay state lives (ERC-8128 §5.1: "Replay state MUST be shared across
concurrent verifier instances."): here, its own key prefix in the replay store's Redis.

The semantics are those of :mod:`erc8128.state.invalidation.base`: a not-before is raised, never
lowered, and a denial extended, never shortened, each in one atomic Lua script. Redis deletes a
denial itself at ``until + 1`` (``EXAT``) and, with a ``not_before_retention``, a not-before
``t`` at ``t + retention + 1``; the writers' ``now`` is checked, never needed.

Failures fail closed: any connection, timeout or protocol error, a closed state, or a value that
cannot be stored raises :class:`~erc8128.errors.InvalidationStateUnavailable`, which
``verify_request`` turns into ``signature_verification_unavailable`` (503) for a Replayable
signature.
"""

import re

from erc8128.errors import InvalidationStateUnavailable
from erc8128.state.invalidation.base import (
    ANY_SIGNER,
    check_fingerprint,
    check_signer_id,
    check_time,
)
from erc8128.state.redis_connection import RedisBacked, RedisConnection

DEFAULT_PREFIX = "erc8128:invalidation:"
"""Redis key prefix; distinct from the replay store's ``erc8128:nonce:``."""

# KEYS[1] the key; ARGV[1] the new time; ARGV[2] an EXAT time or "" for none. Keeps the larger
# of the stored and the new time (never lowers), in one atomic script.
_RAISE_SCRIPT = """
local current = redis.call('GET', KEYS[1])
if current and tonumber(current) >= tonumber(ARGV[1]) then
  return 0
end
if ARGV[2] == '' then
  redis.call('SET', KEYS[1], ARGV[1])
else
  redis.call('SET', KEYS[1], ARGV[1], 'EXAT', ARGV[2])
end
return 1
"""

_DIGITS = re.compile(rb"0|[1-9][0-9]{0,17}")


class RedisInvalidationState(RedisBacked):
    """Early-invalidation state in Redis, shared by every verifier that uses the same prefix.

    Keys: ``<prefix>nb:<signer_id>`` holds the not-before time (no expiry, or ``EXAT t +
    not_before_retention + 1``);
    ``<prefix>deny:<signer_id or *>:<fingerprint>`` holds a denial's ``until`` and expires at
    ``until + 1`` (``EXAT``; Redis 6.2 or later). Expiry follows the Redis server's clock, which
    must be kept in sync (NTP) with the verifiers' clocks.

    The ``redis`` PyPI package is imported when a state is made, never at package import.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = DEFAULT_PREFIX,
        timeout: float = 1.0,
        not_before_retention: int | None = None,
    ) -> None:
        # With a retention, a not-before time t expires at t + retention + 1 (EXAT), as a
        # denial does at until + 1: see MemoryInvalidationState.
        self.not_before_retention = not_before_retention
        self._redis = RedisConnection(
            url, prefix=prefix, timeout=timeout, unavailable=InvalidationStateUnavailable,
            what="invalidation state",
        )
        self._raise = self._redis.client.register_script(_RAISE_SCRIPT)

    def not_before_key(self, signer_id: str) -> bytes:
        """The Redis key of ``signer_id``'s not-before time (for operators and tests)."""
        return _key_bytes(self.prefix + "nb:" + check_signer_id(signer_id))

    def denial_key(self, fingerprint: str, signer_id: str | None = None) -> bytes:
        """The Redis key of a denial of ``fingerprint`` for ``signer_id`` (None: any signer)."""
        signer = ANY_SIGNER if signer_id is None else check_signer_id(signer_id)
        return _key_bytes(f"{self.prefix}deny:{signer}:{check_fingerprint(fingerprint)}")

    def not_before(self, signer_id: str) -> int | None:
        name = self.not_before_key(signer_id)
        self._redis.check_open()
        try:
            reply = self._redis.client.get(name)
        except self._redis.errors as error:
            raise self._redis.failure(error) from error
        if reply is None:
            return None
        if not isinstance(reply, bytes) or _DIGITS.fullmatch(reply) is None:
            raise InvalidationStateUnavailable(
                f"redis GET {name!r}: expected a decimal unix time, got {reply!r}"
            )
        return int(reply)

    def is_invalidated(self, signer_id: str, fingerprint: str) -> bool:
        own = self.denial_key(fingerprint, signer_id)
        anyone = self.denial_key(fingerprint)
        self._redis.check_open()
        try:
            # One command reads both denials: this signer's, and whoever signed's.
            reply = self._redis.client.exists(own, anyone)
        except self._redis.errors as error:
            raise self._redis.failure(error) from error
        if isinstance(reply, bool) or not isinstance(reply, int) or not 0 <= reply <= 2:
            raise InvalidationStateUnavailable(f"redis EXISTS: expected 0..2, got {reply!r}")
        return reply > 0

    def set_not_before(self, signer_id: str, timestamp: int, *, now: int) -> None:
        """Raise (never lower) the signer's not-before time."""
        name = self.not_before_key(signer_id)
        timestamp = check_time("not_before", timestamp)
        check_time("now", now)  # Redis expires the key itself, by its own clock
        retention = self.not_before_retention
        exat = "" if retention is None else str(timestamp + retention + 1)
        self._run_raise(name, timestamp, exat)

    def invalidate(
        self, fingerprint: str, until: int, *, signer_id: str | None = None, now: int
    ) -> None:
        """Deny one signature until ``until``; Redis deletes the denial at ``until + 1``."""
        name = self.denial_key(fingerprint, signer_id)
        until = check_time("until", until)
        check_time("now", now)  # Redis expires the key itself, by its own clock
        # EXAT must be positive; a denial that ended before 1970-01-01T00:00:01 is moot anyway.
        self._run_raise(name, until, str(until + 1))

    def evict_expired(self, now: int) -> None:
        """Nothing to do: Redis deletes each denial itself at ``until + 1``."""
        check_time("now", now)

    def _run_raise(self, name: bytes, value: int, exat: str) -> None:
        self._redis.check_open()
        try:
            reply = self._raise(keys=[name], args=[str(value), exat])
        except self._redis.errors as error:
            raise self._redis.failure(error) from error
        if reply not in (0, 1):
            raise InvalidationStateUnavailable(f"redis script: expected 0 or 1, got {reply!r}")


def _key_bytes(key: str) -> bytes:
    """UTF-8 with lone surrogates passed through: total and injective on every ``str``."""
    return key.encode("utf-8", "surrogatepass")
