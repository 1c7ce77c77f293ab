"""SQLite replay store: one table shared by the verifier processes of a machine (ERC-8128 §5.1).

ERC-8128 §5.1: "Replay state MUST be shared across concurrent verifier instances." and
"Verifiers MUST retain replay state until `expires + allowed_skew` has passed." A database file
is shared by every process that opens it and survives restarts, so nothing consumed before a
restart can be replayed after it.

Atomicity comes from SQLite itself: the replay key is the table's primary key and one statement
inserts it or, if the row present has expired, takes it over,
``INSERT ... ON CONFLICT(key) DO UPDATE SET until = excluded.until WHERE until < :second``
(``second`` is the clock rounded down: a mark covers the whole second ``until``). SQLite
serialises writers on the database, so exactly one of many concurrent statements for the same
key changes a row; ``changes()`` (``cursor.rowcount``) tells the caller which. There is no
separate read. The file runs in WAL mode, connections wait up to ``busy_timeout`` seconds for
the write lock and then fail closed, and ``synchronous`` stays at SQLite's default ``FULL`` so a
committed mark survives a power cut. Expired rows are deleted in small batches at most once
every ``purge_interval`` seconds (they are harmless meanwhile: the upsert reuses them).

Connections come from a small pool (one per concurrently calling thread, reused), so threads
do not share a connection. Any ``sqlite3`` error becomes
:class:`~erc8128.errors.ReplayStoreUnavailable`.
"""

from __future__ import annotations

import math
import sqlite3
import threading
import time
from collections.abc import Callable

from erc8128.errors import ReplayStoreUnavailable
from erc8128.nonces.base import ReplayStoreContext, check_key, check_until, key_bytes

__all__ = ["PURGE_BATCH", "SqliteReplayStore"]

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

_IN_MEMORY_PATHS = ("", ":memory:")


class SqliteReplayStore(ReplayStoreContext):
    """:class:`~erc8128.nonces.base.ReplayStore` in an SQLite file, shared across processes."""

    path: str
    busy_timeout: float
    purge_interval: float

    def __init__(
        self,
        path: str,
        clock: Callable[[], float] = time.time,
        *,
        busy_timeout: float = 5.0,
        purge_interval: float = 60.0,
    ) -> None:
        if not isinstance(path, str):
            raise ReplayStoreUnavailable(f"sqlite path: expected str, got {type(path).__name__}")
        # A private in-memory database is neither shared nor restart-proof: use
        # MemoryReplayStore for that.
        if path in _IN_MEMORY_PATHS:
            raise ReplayStoreUnavailable(f"sqlite path: expected a file, got {path!r}")
        self.path = path
        self.busy_timeout = busy_timeout
        self.purge_interval = purge_interval
        self._clock = clock
        self._lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []
        self._closed = False
        self._next_purge = clock() + purge_interval
        connection = self._connect()
        try:
            # WAL: readers never block the writer; the mode is stored in the file.
            connection.execute("PRAGMA journal_mode = WAL")
            for statement in _SCHEMA:
                connection.execute(statement)
        except sqlite3.Error as error:
            connection.close()
            raise self._unavailable(error) from error
        self._release(connection)

    def consume(self, key: str, until: int) -> bool:
        """Atomically mark ``key`` used until ``until``; ``True`` if it was unused."""
        key = check_key(key)
        until = check_until(until)
        now = self._clock()
        if now >= self._next_purge:
            self._next_purge = now + self.purge_interval
            self.purge_expired()
        # A row is live while floor(now) <= until (base.is_expired): compare whole seconds.
        second = math.floor(now)
        connection = self._acquire()
        try:
            cursor = connection.execute(
                _CONSUME, {"key": key_bytes(key), "until": until, "second": second}
            )
            changed = cursor.rowcount
        except sqlite3.Error as error:
            connection.close()
            raise self._unavailable(error) from error
        self._release(connection)
        # changes() is 1 when the row was inserted or an expired row taken over, 0 when the
        # conflict clause found a live mark and left it alone.
        if changed not in (0, 1):
            raise ReplayStoreUnavailable(f"sqlite upsert: expected 0 or 1 change, got {changed}")
        return changed == 1

    def purge_expired(self) -> int:
        """Delete every row whose ``until`` is before the clock; return how many went."""
        second = math.floor(self._clock())
        connection = self._acquire()
        deleted = 0
        try:
            while True:
                batch = connection.execute(_PURGE, {"second": second}).rowcount
                deleted += batch
                if batch < PURGE_BATCH:
                    break
        except sqlite3.Error as error:
            connection.close()
            raise self._unavailable(error) from error
        self._release(connection)
        return deleted

    def __len__(self) -> int:
        """Number of rows held, expired ones not yet purged included."""
        connection = self._acquire()
        try:
            (count,) = connection.execute(f"SELECT count(*) FROM {_TABLE}").fetchone()
        except sqlite3.Error as error:
            connection.close()
            raise self._unavailable(error) from error
        self._release(connection)
        return int(count)

    def close(self) -> None:
        """Close the idle connections now and busy ones as they come back."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def _connect(self) -> sqlite3.Connection:
        """Open an autocommit connection that waits ``busy_timeout`` for the write lock."""
        try:
            return sqlite3.connect(
                self.path,
                timeout=self.busy_timeout,
                isolation_level=None,
                check_same_thread=False,
            )
        except sqlite3.Error as error:
            raise self._unavailable(error) from error

    def _acquire(self) -> sqlite3.Connection:
        """Take an idle connection, or open one; each is used by one thread at a time."""
        with self._lock:
            if self._closed:
                raise ReplayStoreUnavailable(f"sqlite replay store {self.path!r}: closed")
            if self._idle:
                return self._idle.pop()
        return self._connect()

    def _release(self, connection: sqlite3.Connection) -> None:
        """Return a healthy connection to the pool, or close it if the store has closed."""
        with self._lock:
            if not self._closed:
                self._idle.append(connection)
                return
        connection.close()

    def _unavailable(self, error: sqlite3.Error) -> ReplayStoreUnavailable:
        return ReplayStoreUnavailable(
            f"sqlite replay store {self.path!r}: expected a usable database, got "
            f"{type(error).__name__}: {error}"
        )
