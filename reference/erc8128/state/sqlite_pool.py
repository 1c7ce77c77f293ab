"""Pooled autocommit connections to one SQLite file, for the state verifiers share on a machine.

The replay store (``nonces/sqlite.py``) and the early-invalidation state
(``invalidation/sqlite.py``) both keep their rows in an SQLite file that several processes open.
This module is what they have in common: the file checks, WAL mode and the schema on open, one
connection per concurrently calling thread, and fail-closed error handling: every
``sqlite3.Error`` becomes the caller's own "unavailable" error, never a verdict.
:class:`SqliteBacked` is the base of both stores (as ``RedisBacked`` is of the Redis ones): the
pool and its settings, in one place.
"""

import sqlite3
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

from erc8128.errors import Erc8128Error

T = TypeVar("T")

_IN_MEMORY_PATHS = ("", ":memory:")


class SqlitePool:
    """Connections to the SQLite file ``path``, waiting up to ``busy_timeout`` for its write lock.

    ``unavailable`` builds the caller's error from a message; ``what`` names the store in it.
    """

    path: str
    busy_timeout: float

    def __init__(
        self,
        path: str,
        *,
        schema: Sequence[str],
        unavailable: Callable[[str], Erc8128Error],
        what: str,
        busy_timeout: float = 5.0,
    ) -> None:
        self._unavailable_error = unavailable
        self._what = what
        if not isinstance(path, str):
            raise unavailable(f"sqlite path: expected str, got {type(path).__name__}")
        # A private in-memory database is neither shared nor restart-proof.
        if path in _IN_MEMORY_PATHS:
            raise unavailable(f"sqlite path: expected a file, got {path!r}")
        self.path = path
        self.busy_timeout = busy_timeout
        self._lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []
        self._closed = False

        def create(connection: sqlite3.Connection) -> None:
            # WAL: readers never block the writer; the mode is stored in the file.
            connection.execute("PRAGMA journal_mode = WAL")
            for statement in schema:
                connection.execute(statement)

        self.run(create)

    def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work`` on a pooled connection; a failing connection is closed, not reused."""
        connection = self._acquire()
        try:
            result = work(connection)
        except sqlite3.Error as error:
            connection.close()
            raise self._unavailable(error) from error
        self._release(connection)
        return result

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
                raise self._unavailable_error(f"sqlite {self._what} {self.path!r}: closed")
            if self._idle:
                return self._idle.pop()
        return self._connect()

    def _release(self, connection: sqlite3.Connection) -> None:
        """Return a healthy connection to the pool, or close it if the pool has closed."""
        with self._lock:
            if not self._closed:
                self._idle.append(connection)
                return
        connection.close()

    def _unavailable(self, error: sqlite3.Error) -> Erc8128Error:
        return self._unavailable_error(
            f"sqlite {self._what} {self.path!r}: expected a usable database, got "
            f"{type(error).__name__}: {error}"
        )


class SqliteBacked:
    """A store on one :class:`SqlitePool` (the replay store and the invalidation state): the
    pool, its settings, and ``close``."""

    _pool: SqlitePool

    def __init__(self, pool: SqlitePool) -> None:
        # The pool has refused a private in-memory database, which is neither shared nor
        # restart-proof (the memory stores are for that).
        self._pool = pool

    @property
    def path(self) -> str:
        return self._pool.path

    @property
    def busy_timeout(self) -> float:
        return self._pool.busy_timeout

    def close(self) -> None:
        """Close the idle connections now and busy ones as they come back."""
        self._pool.close()
