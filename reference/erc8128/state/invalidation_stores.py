"""ERC-8128 §5.2 early-invalidation state shared by verifier instances: SQLite and Redis.

ERC-8128 §5.2: "verifiers that accept Replayable signatures MUST implement one or more early
invalidation mechanisms that can be triggered by the signer." A signer who invalidates at one
verifier instance must be refused at every other instance that shares its replay state, so the
state lives where the replay state lives (ERC-8128 §5.1: "Replay state MUST be shared across
concurrent verifier instances."): one SQLite file, or one Redis.

Both stores have the semantics of :class:`~erc8128.state.invalidation.MemoryInvalidationState`:

* ``set_not_before(signer_id, t)`` raises, never lowers, the signer's not-before, atomically
  (SQLite ``INSERT ... ON CONFLICT DO UPDATE SET t = max(t, excluded.t)``; Redis one Lua
  script);
* ``invalidate(fingerprint, until, signer_id=None)`` denies one signature until ``until``, for
  that signer only or (``None``) for whoever signed (decision D26, SPEC.md); a later ``until``
  extends a denial, an earlier one never shortens it;
* ``not_before`` and ``is_invalidated`` read it.

A denial is kept at least through the second ``until`` (the signature cannot verify after it):
Redis deletes it itself (``EXAT until + 1``); SQLite keeps it until :meth:`evict_expired`
(which its writers also run at most every 60 s). Not-before times are kept for good, unless
a ``not_before_retention`` is given (the longest validity window plus the skew; ``erc8128
serve`` gives it): a not-before ``t`` then goes at ``t + retention`` (Redis: ``EXAT``), when no
signature it refuses can verify any more.

Failures fail closed: any backend error, a closed store, or a value that cannot be stored
raises :class:`~erc8128.errors.InvalidationStateUnavailable`, which ``verify_request`` turns
into ``signature_verification_unavailable`` (503) for a Replayable signature.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Mapping
from typing import Protocol

from erc8128.errors import InvalidationStateUnavailable
from erc8128.state.invalidation import InvalidationState
from erc8128.state.redis_connection import RedisBacked, RedisConnection
from erc8128.state.sqlite_pool import SqlitePool
from erc8128.state.unix_time import MAX_UNIX_TIME

__all__ = [
    "DEFAULT_PREFIX",
    "MAX_TIME",
    "InvalidationStore",
    "RedisInvalidationState",
    "SqliteInvalidationState",
    "check_fingerprint",
    "check_signer_id",
    "check_time",
]

MAX_TIME = MAX_UNIX_TIME
"""Largest accepted unix time: 9999-12-31T23:59:59Z, inside every backend's integer range."""

DEFAULT_PREFIX = "erc8128:invalidation:"
"""Redis key prefix; distinct from the replay store's ``erc8128:nonce:``."""

# The denial "for whoever signed" (decision D26); no signer id is "*" (checked on entry).
_ANY_SIGNER = "*"

_MAX_SIGNER_ID = 256

# invalidation.fingerprint_of: "0x" + hex of the 32-byte H.
_FINGERPRINT = re.compile(r"0x[0-9a-f]{64}")


class InvalidationStore(InvalidationState, Protocol):
    """An :class:`~erc8128.state.invalidation.InvalidationState` the invalidation endpoint writes.
    """

    def set_not_before(self, signer_id: str, timestamp: int) -> None:
        """Raise (never lower) the signer's not-before time."""
        ...

    def invalidate(self, fingerprint: str, until: int, *, signer_id: str | None = None) -> None:
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
    if signer_id == _ANY_SIGNER:
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


# --------------------------------------------------------------------------------------------
# SQLite

_NOT_BEFORE_TABLE = "erc8128_invalidation_not_before"
_DENIAL_TABLE = "erc8128_invalidation_denials"

_SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {_NOT_BEFORE_TABLE} ("
    " signer_id TEXT PRIMARY KEY NOT NULL,"
    " not_before INTEGER NOT NULL"
    ") WITHOUT ROWID",
    f"CREATE TABLE IF NOT EXISTS {_DENIAL_TABLE} ("
    " fingerprint TEXT NOT NULL,"
    " signer_id TEXT NOT NULL,"
    " until INTEGER NOT NULL,"
    " PRIMARY KEY (fingerprint, signer_id)"
    ") WITHOUT ROWID",
    f"CREATE INDEX IF NOT EXISTS {_DENIAL_TABLE}_until ON {_DENIAL_TABLE} (until)",
)

# ERC-8128 §5.2 "per-`keyid` not-before timestamps": raised, never lowered, in one statement.
_SET_NOT_BEFORE = (
    f"INSERT INTO {_NOT_BEFORE_TABLE} (signer_id, not_before) VALUES (:signer_id, :t) "
    f"ON CONFLICT (signer_id) DO UPDATE SET not_before = "
    f"max({_NOT_BEFORE_TABLE}.not_before, excluded.not_before)"
)

_GET_NOT_BEFORE = f"SELECT not_before FROM {_NOT_BEFORE_TABLE} WHERE signer_id = :signer_id"

# ERC-8128 §5.2 "per-signature invalidation (e.g., fingerprinting of the signature or signature
# base)": a later until extends a denial, an earlier one never shortens it.
_INVALIDATE = (
    f"INSERT INTO {_DENIAL_TABLE} (fingerprint, signer_id, until) "
    f"VALUES (:fingerprint, :signer_id, :until) "
    f"ON CONFLICT (fingerprint, signer_id) DO UPDATE SET until = "
    f"max({_DENIAL_TABLE}.until, excluded.until)"
)

_IS_INVALIDATED = (
    f"SELECT 1 FROM {_DENIAL_TABLE} "
    f"WHERE fingerprint = :fingerprint AND signer_id IN (:signer_id, '{_ANY_SIGNER}') LIMIT 1"
)

_EVICT = f"DELETE FROM {_DENIAL_TABLE} WHERE until < :now"

# A not-before time t refuses only signatures created before t, none of which verifies after
# t + retention (the longest window plus the skew): then it can go.
_EVICT_NOT_BEFORE = f"DELETE FROM {_NOT_BEFORE_TABLE} WHERE not_before < :cutoff"

class SqliteInvalidationState:
    """Early-invalidation state in an SQLite file, shared by every process that opens it.

    The file may be the replay store's (``--nonces sqlite:PATH``): the tables are distinct.
    Connections come from a small pool (one per concurrently calling thread); the file runs in
    WAL mode and writers wait up to ``busy_timeout`` seconds for the lock, then fail closed.
    """

    def __init__(
        self,
        path: str,
        *,
        busy_timeout: float = 5.0,
        not_before_retention: int | None = None,
        clock: Callable[[], float] = time.time,
        evict_interval: float = 60.0,
    ) -> None:
        # Bounded state: see MemoryInvalidationState (the writers evict at most every
        # evict_interval seconds; evict_expired does it at once).
        self.not_before_retention = not_before_retention
        self._clock = clock
        self._evict_interval = evict_interval
        self._next_evict = clock() + evict_interval
        # A private in-memory database is not shared: the pool refuses it (use
        # MemoryInvalidationState for that).
        self._pool = SqlitePool(
            path,
            schema=_SCHEMA,
            unavailable=InvalidationStateUnavailable,
            what="invalidation state",
            busy_timeout=busy_timeout,
        )

    @property
    def path(self) -> str:
        return self._pool.path

    @property
    def busy_timeout(self) -> float:
        return self._pool.busy_timeout

    def not_before(self, signer_id: str) -> int | None:
        rows = self._execute(_GET_NOT_BEFORE, {"signer_id": check_signer_id(signer_id)})
        if not rows:
            return None
        (value,) = rows[0]
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidationStateUnavailable(
                f"sqlite not_before: expected an integer, got {type(value).__name__}"
            )
        return value

    def is_invalidated(self, signer_id: str, fingerprint: str) -> bool:
        parameters = {
            "signer_id": check_signer_id(signer_id),
            "fingerprint": check_fingerprint(fingerprint),
        }
        return bool(self._execute(_IS_INVALIDATED, parameters))

    def set_not_before(self, signer_id: str, timestamp: int) -> None:
        """Raise (never lower) the signer's not-before time."""
        parameters = {
            "signer_id": check_signer_id(signer_id),
            "t": check_time("not_before", timestamp),
        }
        self._evict_now_and_then()
        self._execute(_SET_NOT_BEFORE, parameters)

    def invalidate(self, fingerprint: str, until: int, *, signer_id: str | None = None) -> None:
        """Deny one signature until ``until``; for ``signer_id`` only, or (None) any signer."""
        parameters = {
            "fingerprint": check_fingerprint(fingerprint),
            "signer_id": _ANY_SIGNER if signer_id is None else check_signer_id(signer_id),
            "until": check_time("until", until),
        }
        self._evict_now_and_then()
        self._execute(_INVALIDATE, parameters)

    def evict_expired(self, now: int) -> None:
        """Delete the denials whose ``until`` is before ``now`` and, with a retention, the
        not-before times with ``t + retention < now`` (they can no longer matter)."""
        self._execute(_EVICT, {"now": check_time("now", now)})
        if self.not_before_retention is not None:
            self._execute(_EVICT_NOT_BEFORE, {"cutoff": now - self.not_before_retention})

    def _evict_now_and_then(self) -> None:
        now = self._clock()
        if now >= self._next_evict:
            self._next_evict = now + self._evict_interval
            self.evict_expired(math.floor(now))

    def close(self) -> None:
        """Close the idle connections now and busy ones as they come back."""
        self._pool.close()

    def _execute(self, sql: str, parameters: Mapping[str, object]) -> list[tuple[object, ...]]:
        """Run one autocommit statement on a pooled connection; any error fails closed."""
        rows: list[tuple[object, ...]] = self._pool.run(
            lambda connection: connection.execute(sql, parameters).fetchall()
        )
        return rows


# --------------------------------------------------------------------------------------------
# Redis

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
        signer = _ANY_SIGNER if signer_id is None else check_signer_id(signer_id)
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

    def set_not_before(self, signer_id: str, timestamp: int) -> None:
        """Raise (never lower) the signer's not-before time."""
        name = self.not_before_key(signer_id)
        timestamp = check_time("not_before", timestamp)
        retention = self.not_before_retention
        exat = "" if retention is None else str(timestamp + retention + 1)
        self._run_raise(name, timestamp, exat)

    def invalidate(self, fingerprint: str, until: int, *, signer_id: str | None = None) -> None:
        """Deny one signature until ``until``; Redis deletes the denial at ``until + 1``."""
        name = self.denial_key(fingerprint, signer_id)
        until = check_time("until", until)
        # EXAT must be positive; a denial that ended before 1970-01-01T00:00:01 is moot anyway.
        self._run_raise(name, until, str(until + 1))

    def evict_expired(self, now: int) -> None:
        """Nothing to do: Redis deletes each denial itself at ``until + 1``."""
        check_time("now", now)

    def close(self) -> None:
        """Close the connection pool; later calls fail closed."""
        self._redis.close()

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
