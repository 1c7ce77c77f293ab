"""The demo app's SQLite database: connections, transactions and store faults as typed errors.

A file database gets one connection per concurrently working thread, and no Python lock is held
while SQLite waits for another writer (its busy timeout): a locked file stalls only the requests
that need it (issue 11, finding 7). A private in-memory database (the default without ``--db``)
is one connection behind a lock; nothing else can hold its lock, so nothing waits on it there.

Every ``sqlite3.Error`` becomes :class:`AppStoreUnavailable` (decision D37): ``app_store_busy``
when another writer holds the lock past the busy timeout (SQLITE_BUSY / SQLITE_LOCKED),
``app_store_unavailable`` otherwise (disk full, I/O error, read-only file...). The app answers
both with 503 and ``Retry-After``, never 500.
"""

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any, Final

from erc8128.errors import Erc8128Error

BUSY_TIMEOUT_SEC: Final = 2.0
_BUSY_ERRORS: Final = ("SQLITE_BUSY", "SQLITE_LOCKED")


class AppStoreUnavailable(Erc8128Error):
    """The app database cannot answer now (``app_store_busy`` or ``app_store_unavailable``)."""


def store_error(error: sqlite3.Error) -> AppStoreUnavailable:
    """The typed error for a SQLite failure; its message names the SQLite error, no data."""
    name = str(getattr(error, "sqlite_errorname", "") or type(error).__name__)
    if any(name.startswith(busy) for busy in _BUSY_ERRORS):
        return AppStoreUnavailable("app_store_busy",
                                   f"expected the app database's write lock, got {name}")
    return AppStoreUnavailable("app_store_unavailable",
                               f"expected a writable app database, got {name}")


class AppDatabase:
    """Connections to the app's SQLite database at ``path`` (``:memory:``: private, in memory)."""

    def __init__(self, path: str, *, schema: Sequence[str],
                 busy_timeout: float = BUSY_TIMEOUT_SEC) -> None:
        self.path = path
        self.in_memory = path == ":memory:"
        self.busy_timeout = busy_timeout
        self._idle: list[sqlite3.Connection] = []
        self._pool_lock = threading.Lock()
        # Held only around the in-memory database's single connection.
        self._memory_lock = threading.Lock()
        self._closed = False
        self._memory: sqlite3.Connection | None = None
        if self.in_memory:
            self._memory = self._connect()
        with self.transaction() as cursor:
            for statement in schema:
                cursor.execute(statement)

    def _connect(self) -> sqlite3.Connection:
        try:
            connection = sqlite3.connect(self.path, check_same_thread=False,
                                         isolation_level=None, timeout=self.busy_timeout)
            connection.execute("PRAGMA foreign_keys = ON")
            if not self.in_memory:
                # WAL: readers never wait for the writer. synchronous=NORMAL: in WAL mode a
                # commit no longer waits for fsync (the SQLite documentation: WAL with NORMAL is
                # safe from corruption; a power loss may drop the last commits, a crash does not).
                connection.execute("PRAGMA journal_mode = WAL")
                connection.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as error:
            raise store_error(error) from None
        return connection

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        if self._memory is not None:
            with self._memory_lock:
                yield self._memory
            return
        with self._pool_lock:
            if self._closed:
                raise AppStoreUnavailable("app_store_unavailable", "the app database is closed")
            connection = self._idle.pop() if self._idle else None
        if connection is None:
            connection = self._connect()
        try:
            yield connection
        finally:
            # A connection goes back to the pool unless a transaction is still open on it (a
            # failed rollback). Keeping it open also keeps SQLite from checkpointing and
            # removing the WAL file, as it does when the last connection closes.
            pooled = False
            with self._pool_lock:
                if not connection.in_transaction and not self._closed:
                    self._idle.append(connection)
                    pooled = True
            if not pooled:
                connection.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Cursor]:
        """One write transaction, committed whole or rolled back whole. A SQLite failure is
        raised as :class:`AppStoreUnavailable`; other exceptions pass through after rollback."""
        with self._connection() as connection:
            cursor = connection.cursor()
            try:
                cursor.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as error:
                raise store_error(error) from None
            try:
                yield cursor
                cursor.execute("COMMIT")
            except BaseException as error:
                if connection.in_transaction:
                    with suppress(sqlite3.Error):
                        cursor.execute("ROLLBACK")
                if isinstance(error, sqlite3.Error):
                    raise store_error(error) from None
                raise

    def query(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows of one read-only statement."""
        with self._connection() as connection:
            try:
                return connection.execute(sql, parameters).fetchall()
            except sqlite3.Error as error:
                raise store_error(error) from None

    def check_writable(self) -> None:
        """Raise :class:`AppStoreUnavailable` now if a write transaction cannot begin (another
        writer holds the lock past the busy timeout): called before a nonce is consumed."""
        if self.in_memory:
            return
        with self._connection() as connection:
            try:
                connection.execute("BEGIN IMMEDIATE")
                connection.execute("ROLLBACK")
            except sqlite3.Error as error:
                raise store_error(error) from None

    def close(self) -> None:
        with self._pool_lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()
        if self._memory is not None:
            with self._memory_lock:
                self._memory.close()
