"""Redis replay store: one ``SET NX EXAT`` per request, shared by every verifier (ERC-8128 §5.1).

ERC-8128 §5.1: "Replay state MUST be shared across concurrent verifier instances." and
"Verifiers MUST retain replay state until `expires + allowed_skew` has passed."

``SET <prefix><key> 1 NX EXAT <until + 1>`` is one atomic Redis command: it creates the key
only if it is absent and gives it an absolute expiry (a unix time; ``EXAT`` needs Redis 6.2 or
later). Redis answers ``OK`` to exactly one of any number of concurrent calls for a key and nil
to the others. It deletes the key itself at the start of second ``until + 1``, so the mark
covers the whole second ``until``, in which a verifier comparing whole seconds still accepts the
request. The store therefore needs no clock of its own: expiry follows the Redis server's
clock, which must be kept in sync (NTP) with the verifiers' clocks.

Failures fail closed. Connection, timeout and protocol errors become
:class:`~erc8128.errors.ReplayStoreUnavailable`, and the client does not retry on its own: a
retried ``SET NX`` whose first attempt did reach the server would wrongly answer "already
used". Persistence is the deployment's choice: a Redis without AOF/RDB forgets the marks on
restart (run it with ``appendonly yes`` where that matters).

The ``redis`` PyPI package (``pip install 'erc8128[redis]'``) is imported when a store is made,
never at package import, so ``erc8128`` itself stays standard-library only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from erc8128.errors import ReplayStoreUnavailable
from erc8128.nonces.base import ReplayStoreContext, check_key, check_until, key_bytes

if TYPE_CHECKING:
    import redis as redis_py

__all__ = ["DEFAULT_PREFIX", "DEFAULT_URL", "RedisReplayStore"]

DEFAULT_URL = "redis://127.0.0.1:6379/0"
DEFAULT_PREFIX = "erc8128:nonce:"


class RedisReplayStore(ReplayStoreContext):
    """:class:`~erc8128.nonces.base.ReplayStore` in Redis, shared across processes and hosts."""

    url: str
    prefix: str
    timeout: float

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        prefix: str = DEFAULT_PREFIX,
        timeout: float = 1.0,
    ) -> None:
        try:
            import redis as redis_py  # noqa: PLC0415 - optional extra, imported only when used
            from redis.backoff import NoBackoff  # noqa: PLC0415
            from redis.retry import Retry  # noqa: PLC0415
        except ImportError as error:
            raise ReplayStoreUnavailable(
                "redis replay store: expected the redis package "
                f"(pip install 'erc8128[redis]'), got {error}"
            ) from error
        if not isinstance(url, str):
            raise ReplayStoreUnavailable(f"redis url: expected str, got {type(url).__name__}")
        if not isinstance(prefix, str):
            raise ReplayStoreUnavailable(f"key prefix: expected str, got {type(prefix).__name__}")
        self.url = url
        self.prefix = prefix
        self.timeout = timeout
        self._closed = False
        self._errors: tuple[type[Exception], ...] = (redis_py.RedisError, OSError)
        try:
            self._client: redis_py.Redis = redis_py.Redis.from_url(
                url,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
                # No retries: a retried SET NX that already succeeded would answer False.
                retry=Retry(NoBackoff(), 0),
            )
        except (*self._errors, ValueError) as error:
            raise self._unavailable(error) from error

    def consume(self, key: str, until: int) -> bool:
        """Atomically mark ``key`` used until ``until``; ``True`` if it was unused."""
        name = self.redis_key(key)
        until = check_until(until)
        if self._closed:
            raise ReplayStoreUnavailable(f"redis replay store {self.url!r}: closed")
        try:
            # ERC-8128 §3.1.2: "A verifier MUST atomically mark an unused replay key as used;
            # finding it already used yields `nonce_reused`." SET NX is that one operation.
            reply = self._client.set(name, b"1", nx=True, exat=until + 1)
        except self._errors as error:
            raise self._unavailable(error) from error
        # OK (True) when the key was created; nil (None) when NX found it present.
        if reply is True:
            return True
        if reply is None:
            return False
        raise ReplayStoreUnavailable(f"redis SET NX: expected OK or nil, got {reply!r}")

    def redis_key(self, key: str) -> bytes:
        """The Redis key under which ``key`` is marked (for operators and tests)."""
        return key_bytes(self.prefix) + key_bytes(check_key(key))

    def close(self) -> None:
        """Close the connection pool; later ``consume`` calls fail closed."""
        self._closed = True
        try:
            self._client.close()
        except self._errors as error:
            raise self._unavailable(error) from error

    def _unavailable(self, error: Exception) -> ReplayStoreUnavailable:
        return ReplayStoreUnavailable(
            f"redis replay store {self.url!r}: expected a reachable Redis >= 6.2, got "
            f"{type(error).__name__}: {error}"
        )
