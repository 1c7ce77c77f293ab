"""SQLite replay store: one table shared by the verifier processes of a machine (ERC-8128 §5.1).

ERC-8128 §5.1: "Replay state MUST be shared across concurrent verifier instances." and
"Verifiers MUST retain replay state until `expires + allowed_skew` has passed." A database file
is shared by every process that opens it and survives restarts, so nothing consumed before a
restart can be replayed after it.

Atomicity comes from SQLite itself: the replay key is the table's primary key and one statement
inserts it or, if the row present has expired, takes it over,
``INSERT ... ON CONFLICT(key) DO UPDATE SET until = excluded.until WHERE until < :second``
(``second`` is the verifier's ``now`` rounded down: a mark covers the whole second ``until``).
SQLite serialises writers on the database, so exactly one of many concurrent statements for the
same key changes a row; ``changes()`` (``cursor.rowcount``) tells the caller which. There is no
separate read. The file runs in WAL mode, connections wait up to ``busy_timeout`` seconds for
the write lock and then fail closed, and ``synchronous`` stays at SQLite's default ``FULL`` so a
committed mark survives a power cut. Expired rows are deleted in small batches at most once
every ``purge_interval`` seconds of the verifiers' ``now`` (they are harmless meanwhile: the
upsert reuses them).

Connections come from a small pool (one per concurrently calling thread, reused), so threads
do not share a connection. Any ``sqlite3`` error becomes
:class:`~erc8128.errors.ReplayStoreUnavailable`.
"""

import math
import sqlite3
from collections.abc import Sequence

from erc8128.errors import ReplayStoreUnavailable
from erc8128.state.housekeeping import Periodic
from erc8128.state.nonces.base import (
    ReplayStoreContext,
    check_consume,
    check_entries,
    check_now,
    key_bytes,
)
from erc8128.state.sqlite_pool import SqliteBacked, SqlitePool

PURGE_BATCH = 1000
"""Rows deleted per purge statement, so no purge holds the write lock for long."""

_TABLE = "erc8128_replay_keys"

_SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {_TABLE} ("
    " key BLOB PRIMARY KEY NOT NULL,"
    " until INTEGER NOT NULL"
    ") WITHOUT ROWID",
    f"CREATE INDEX IF NOT EXISTS {_TABLE}_until ON {_TABLE} (until)",
)

# ERC-8128 §3.1.2: "A verifier MUST atomically mark an unused replay key as used; finding it
# already used yields `nonce_reused`. [...] A separate check followed by insertion is
# non-conforming." One statement: insert, or take over a row whose mark has expired.
_CONSUME = (
    f"INSERT INTO {_TABLE} (key, until) VALUES (:key, :until) "
    f"ON CONFLICT (key) DO UPDATE SET until = excluded.until WHERE {_TABLE}.until < :second"
)

_PURGE = (
    f"DELETE FROM {_TABLE} WHERE key IN "
    f"(SELECT key FROM {_TABLE} WHERE until < :second LIMIT {PURGE_BATCH})"
)


class SqliteReplayStore(SqliteBacked, ReplayStoreContext):
    """:class:`~erc8128.state.nonces.base.ReplayStore` in an SQLite file, shared across processes.
    """

    def __init__(
        self,
        path: str,
        *,
        busy_timeout: float = 5.0,
        purge_interval: float = 60.0,
    ) -> None:
        super().__init__(
            SqlitePool(
                path,
                schema=_SCHEMA,
                unavailable=ReplayStoreUnavailable,
                what="replay store",
                busy_timeout=busy_timeout,
            )
        )
        self._purge = Periodic(purge_interval)

    @property
    def purge_interval(self) -> float:
        return self._purge.interval

    def consume(self, key: str, until: int, *, now: float) -> bool:
        """Atomically mark ``key`` used until ``until``; ``True`` if it was unused."""
        key, until, now = check_consume(key, until, now)
        if self._purge.due(now):
            self.purge_expired(now)
        # A row is live while floor(now) <= until (base.is_expired): compare whole seconds.
        parameters = {"key": key_bytes(key), "until": until, "second": math.floor(now)}
        changed: int = self._pool.run(
            lambda connection: connection.execute(_CONSUME, parameters).rowcount
        )
        # changes() is 1 when the row was inserted or an expired row taken over, 0 when the
        # conflict clause found a live mark and left it alone.
        if changed not in (0, 1):
            raise ReplayStoreUnavailable(f"sqlite upsert: expected 0 or 1 change, got {changed}")
        return changed == 1

    def consume_all(self, entries: Sequence[tuple[str, int]], *, now: float) -> tuple[str, ...]:
        """Mark every ``(key, until)`` used, or none, in ONE transaction (decision D28).

        ``BEGIN IMMEDIATE`` takes the database's write lock first, so no other writer runs
        between the upserts; if any upsert finds a live mark the transaction is rolled back and
        the keys found are returned. ``()``: every key was unused and all are now marked.
        """
        checked = check_entries(entries)
        second = math.floor(check_now(now))

        def transaction(connection: sqlite3.Connection) -> tuple[str, ...]:
            connection.execute("BEGIN IMMEDIATE")
            try:
                used: list[str] = []
                for key, until in checked:
                    parameters = {"key": key_bytes(key), "until": until, "second": second}
                    changed = connection.execute(_CONSUME, parameters).rowcount
                    if changed not in (0, 1):
                        raise sqlite3.DatabaseError(f"expected 0 or 1 change, got {changed}")
                    if changed == 0:
                        used.append(key)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            # ERC-8128 §3.1.2 "A verifier MUST atomically mark an unused replay key as used":
            # all the keys of one request together, or none of them.
            connection.execute("ROLLBACK" if used else "COMMIT")
            return tuple(used)

        return self._pool.run(transaction)

    def purge_expired(self, now: float) -> int:
        """Delete every row whose mark has expired at ``now``; return how many went."""
        parameters = {"second": math.floor(check_now(now))}

        def purge(connection: sqlite3.Connection) -> int:
            deleted = 0
            while True:
                batch: int = connection.execute(_PURGE, parameters).rowcount
                deleted += batch
                if batch < PURGE_BATCH:
                    return deleted

        return self._pool.run(purge)

    def __len__(self) -> int:
        """Number of rows held, expired ones not yet purged included."""
        (count,) = self._pool.run(
            lambda connection: connection.execute(f"SELECT count(*) FROM {_TABLE}").fetchone()
        )
        return int(count)
