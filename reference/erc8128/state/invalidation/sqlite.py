"""Early-invalidation state (ERC-8128 §5.2) in an SQLite file, shared by the verifier processes
of a machine.

ERC-8128 §5.2: "verifiers that accept Replayable signatures MUST implement one or more early
invalidation mechanisms that can be triggered by the signer." A signer who invalidates at one
verifier instance must be refused at every other instance that shares its replay state, so the
state lives where the replay state lives (ERC-8128 §5.1: "Replay state MUST be shared across
concurrent verifier instances."): here, its own tables in the SQLite file.

The semantics are those of :mod:`erc8128.state.invalidation.base`: a not-before is raised, never
lowered (``INSERT ... ON CONFLICT DO UPDATE SET t = max(t, excluded.t)``); a denial is extended,
never shortened. A denial is kept at least through the second ``until`` (the signature cannot
verify after it) and deleted by :meth:`SqliteInvalidationState.evict_expired` (which its writers
also run at most every 60 s of their ``now``). Not-before times are kept for good, unless a
``not_before_retention`` is given (the longest validity window plus the skew; ``erc8128 serve``
gives it): a not-before ``t`` then goes at ``t + retention``, when no signature it refuses can
verify any more.

Failures fail closed: any ``sqlite3`` error, a closed state, or a value that cannot be stored
raises :class:`~erc8128.errors.InvalidationStateUnavailable`, which ``verify_request`` turns into
``signature_verification_unavailable`` (503) for a Replayable signature.
"""

import math
from collections.abc import Mapping

from erc8128.errors import InvalidationStateUnavailable
from erc8128.state.housekeeping import Periodic
from erc8128.state.invalidation.base import (
    ANY_SIGNER,
    check_fingerprint,
    check_signer_id,
    check_time,
)
from erc8128.state.sqlite_pool import SqliteBacked, SqlitePool

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
    f"WHERE fingerprint = :fingerprint AND signer_id IN (:signer_id, '{ANY_SIGNER}') LIMIT 1"
)

_EVICT = f"DELETE FROM {_DENIAL_TABLE} WHERE until < :now"

# A not-before time t refuses only signatures created before t, none of which verifies after
# t + retention (the longest window plus the skew): then it can go.
_EVICT_NOT_BEFORE = f"DELETE FROM {_NOT_BEFORE_TABLE} WHERE not_before < :cutoff"


class SqliteInvalidationState(SqliteBacked):
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
        evict_interval: float = 60.0,
    ) -> None:
        super().__init__(
            SqlitePool(
                path,
                schema=_SCHEMA,
                unavailable=InvalidationStateUnavailable,
                what="invalidation state",
                busy_timeout=busy_timeout,
            )
        )
        # Bounded state: see MemoryInvalidationState (the writers evict at most every
        # evict_interval seconds of their now; evict_expired does it at once).
        self.not_before_retention = not_before_retention
        self._evict = Periodic(evict_interval)

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

    def set_not_before(self, signer_id: str, timestamp: int, *, now: int) -> None:
        """Raise (never lower) the signer's not-before time."""
        parameters = {
            "signer_id": check_signer_id(signer_id),
            "t": check_time("not_before", timestamp),
        }
        self._evict_now_and_then(check_time("now", now))
        self._execute(_SET_NOT_BEFORE, parameters)

    def invalidate(
        self, fingerprint: str, until: int, *, signer_id: str | None = None, now: int
    ) -> None:
        """Deny one signature until ``until``; for ``signer_id`` only, or (None) any signer."""
        parameters = {
            "fingerprint": check_fingerprint(fingerprint),
            "signer_id": ANY_SIGNER if signer_id is None else check_signer_id(signer_id),
            "until": check_time("until", until),
        }
        self._evict_now_and_then(check_time("now", now))
        self._execute(_INVALIDATE, parameters)

    def evict_expired(self, now: int) -> None:
        """Delete the denials whose ``until`` is before ``now`` and, with a retention, the
        not-before times with ``t + retention < now`` (they can no longer matter)."""
        self._execute(_EVICT, {"now": check_time("now", now)})
        if self.not_before_retention is not None:
            self._execute(_EVICT_NOT_BEFORE, {"cutoff": now - self.not_before_retention})

    def _evict_now_and_then(self, now: int) -> None:
        if self._evict.due(now):
            self.evict_expired(math.floor(now))

    def _execute(self, sql: str, parameters: Mapping[str, object]) -> list[tuple[object, ...]]:
        """Run one autocommit statement on a pooled connection; any error fails closed."""
        rows: list[tuple[object, ...]] = self._pool.run(
            lambda connection: connection.execute(sql, parameters).fetchall()
        )
        return rows
