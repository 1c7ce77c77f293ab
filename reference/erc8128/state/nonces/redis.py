"""Redis replay store: one ``SET NX EXAT`` per request, shared by every verifier (ERC-8128 §5.1).

ERC-8128 §5.1: "Replay state MUST be shared across concurrent verifier instances." and
"Verifiers MUST retain replay state until `expires + allowed_skew` has passed."

``SET <prefix><key> 1 NX EXAT <until + 1>`` is one atomic Redis command: it creates the key
only if it is absent and gives it an absolute expiry (a unix time; ``EXAT`` needs Redis 6.2 or
later). Redis answers ``OK`` to exactly one of any number of concurrent calls for a key and nil
to the others. It deletes the key itself at the start of second ``until + 1``, so the mark
covers the whole second ``until``, in which a verifier comparing whole seconds still accepts the
request. The store therefore reads no clock: the verifier's ``now`` is checked like every
argument, and expiry follows the Redis server's clock, which must be kept in sync (NTP) with the
verifiers' clocks.

Failures fail closed. Connection, timeout and protocol errors become
:class:`~erc8128.errors.ReplayStoreUnavailable`, and the client does not retry on its own: a
retried ``SET NX`` whose first attempt did reach the server would wrongly answer "already
used". Persistence is the deployment's choice: a Redis without AOF/RDB forgets the marks on
restart (run it with ``appendonly yes`` where that matters).

The ``redis`` PyPI package (``pip install 'erc8128[redis]'``) is imported when a store is made,
never at package import, so ``erc8128`` itself stays standard-library only.
"""

from collections.abc import Sequence

from erc8128.errors import ReplayStoreUnavailable
from erc8128.state.nonces.base import (
    ReplayStoreContext,
    check_consume,
    check_entries,
    check_key,
    check_now,
    key_bytes,
)
from erc8128.state.redis_connection import RedisBacked, RedisConnection

DEFAULT_URL = "redis://127.0.0.1:6379/0"
DEFAULT_PREFIX = "erc8128:nonce:"


# KEYS: the keys; ARGV: their EXAT times. Returns the 1-based positions of the keys already
# present (and sets nothing), or an empty array after setting every key. A Lua script runs
# atomically: no other command runs between the EXISTS checks and the SETs.
_CONSUME_ALL_SCRIPT = """
local used = {}
for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then
    used[#used + 1] = i
  end
end
if #used > 0 then
  return used
end
for i, key in ipairs(KEYS) do
  redis.call('SET', key, '1', 'EXAT', ARGV[i])
end
return used
"""


class RedisReplayStore(RedisBacked, ReplayStoreContext):
    """:class:`~erc8128.state.nonces.base.ReplayStore` in Redis, shared across processes and hosts.
    """

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        prefix: str = DEFAULT_PREFIX,
        timeout: float = 1.0,
    ) -> None:
        self._redis = RedisConnection(
            url, prefix=prefix, timeout=timeout, unavailable=ReplayStoreUnavailable,
            what="replay store",
        )
        self._consume_all = self._redis.client.register_script(_CONSUME_ALL_SCRIPT)

    def consume(self, key: str, until: int, *, now: float) -> bool:
        """Atomically mark ``key`` used until ``until``; ``True`` if it was unused."""
        # The now is checked only: Redis expires the mark itself, at ``until + 1`` by its own
        # clock.
        key, until, _ = check_consume(key, until, now)
        name = self.redis_key(key)
        self._redis.check_open()
        try:
            # ERC-8128 §3.1.2: "A verifier MUST atomically mark an unused replay key as used;
            # finding it already used yields `nonce_reused`." SET NX is that one operation.
            reply = self._redis.client.set(name, b"1", nx=True, exat=until + 1)
        except self._redis.errors as error:
            raise self._redis.failure(error) from error
        # OK (True) when the key was created; nil (None) when NX found it present.
        if reply is True:
            return True
        if reply is None:
            return False
        raise ReplayStoreUnavailable(f"redis SET NX: expected OK or nil, got {reply!r}")

    def consume_all(self, entries: Sequence[tuple[str, int]], *, now: float) -> tuple[str, ...]:
        """Mark every ``(key, until)`` used, or none, in one Lua script (decision D28)."""
        checked = check_entries(entries)
        check_now(now)  # Redis expires the marks itself, at ``until + 1`` by its own clock
        names = [self.redis_key(key) for key, _ in checked]
        self._redis.check_open()
        try:
            reply = self._consume_all(keys=names, args=[str(until + 1) for _, until in checked])
        except self._redis.errors as error:
            raise self._redis.failure(error) from error
        if not isinstance(reply, list) or not all(
            type(i) is int and 1 <= i <= len(checked) for i in reply
        ):
            raise ReplayStoreUnavailable(f"redis consume_all: expected positions, got {reply!r}")
        return tuple(checked[i - 1][0] for i in reply)

    def redis_key(self, key: str) -> bytes:
        """The Redis key under which ``key`` is marked (for operators and tests)."""
        return key_bytes(self.prefix) + key_bytes(check_key(key))
