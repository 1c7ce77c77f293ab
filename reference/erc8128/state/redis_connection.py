"""A Redis connection for the state verifiers share across hosts, failing closed.

The replay store (``nonces/redis.py``) and the early-invalidation state
(``invalidation/redis.py``) both talk to Redis the same way: the ``redis`` PyPI package is
imported only when a connection is made (``pip install 'erc8128[redis]'``), so ``erc8128`` itself
stays standard-library only; the client never retries on its own (a retried write whose first
attempt reached the server would be answered as if it had not); and every connection, timeout
or protocol error becomes the caller's own "unavailable" error, never a verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from erc8128.errors import Erc8128Error

if TYPE_CHECKING:
    import redis as redis_py


class RedisConnection:
    """A client for ``url`` whose failures raise ``unavailable(message)``; ``what`` names the
    store in the messages."""

    url: str
    prefix: str
    timeout: float
    errors: tuple[type[Exception], ...]

    def __init__(
        self,
        url: str,
        *,
        prefix: str,
        timeout: float,
        unavailable: Callable[[str], Erc8128Error],
        what: str,
    ) -> None:
        self._unavailable_error = unavailable
        self._what = what
        try:
            import redis as redis_py  # noqa: PLC0415 - optional extra, imported only when used
            from redis.backoff import NoBackoff  # noqa: PLC0415
            from redis.retry import Retry  # noqa: PLC0415
        except ImportError as error:
            raise unavailable(
                f"redis {what}: expected the redis package "
                f"(pip install 'erc8128[redis]'), got {error}"
            ) from error
        if not isinstance(url, str):
            raise unavailable(f"redis url: expected str, got {type(url).__name__}")
        if not isinstance(prefix, str):
            raise unavailable(f"key prefix: expected str, got {type(prefix).__name__}")
        self.url = url
        self.prefix = prefix
        self.timeout = timeout
        self._closed = False
        self.errors = (redis_py.RedisError, OSError)
        try:
            self.client: redis_py.Redis = redis_py.Redis.from_url(
                url,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
                # No retries: a retried write that already succeeded would be misread.
                retry=Retry(NoBackoff(), 0),
            )
        except (*self.errors, ValueError) as error:
            raise self.failure(error) from error

    def check_open(self) -> None:
        if self._closed:
            raise self._unavailable_error(f"redis {self._what} {self.url!r}: closed")

    def failure(self, error: Exception) -> Erc8128Error:
        """The caller's error for a Redis failure."""
        return self._unavailable_error(
            f"redis {self._what} {self.url!r}: expected a reachable Redis >= 6.2, got "
            f"{type(error).__name__}: {error}"
        )

    def close(self) -> None:
        """Close the connection pool; later calls fail closed."""
        self._closed = True
        try:
            self.client.close()
        except self.errors as error:
            raise self.failure(error) from error


class RedisBacked:
    """A store on one :class:`RedisConnection` (the replay store and the invalidation state):
    its settings, read from the connection."""

    _redis: RedisConnection

    @property
    def url(self) -> str:
        return self._redis.url

    @property
    def prefix(self) -> str:
        return self._redis.prefix

    @property
    def timeout(self) -> float:
        return self._redis.timeout

    def close(self) -> None:
        """Close the connection pool; later calls fail closed."""
        self._redis.close()

    def ping(self) -> None:
        """Reach the Redis server once (``PING``); the store's unavailable error when it does
        not answer."""
        self._redis.check_open()
        try:
            self._redis.client.ping()
        except self._redis.errors as error:
            raise self._redis.failure(error) from error

    def config_value(self, name: str) -> str:
        """The Redis server's setting ``name`` (``CONFIG GET``), e.g. ``appendonly``: ``yes``.

        Fails closed like every other call: the store's unavailable error when the command
        fails, is refused (managed services may rename or disable ``CONFIG``) or names no such
        setting."""
        self._redis.check_open()
        try:
            reply = self._redis.client.config_get(name)
        except self._redis.errors as error:
            raise self._redis.failure(error) from error
        for key, value in dict(reply).items():
            key_text = key.decode("latin-1") if isinstance(key, bytes) else str(key)
            if key_text == name:
                return value.decode("latin-1") if isinstance(value, bytes) else str(value)
        raise self._redis.failure(LookupError(f"CONFIG GET {name}: no such setting in {reply!r}"))
