"""A replay store of each backend under test, with how to read its notion of now.

Shared by the store contract (tests/state/test_nonces.py) and the batch step of decision D28
(tests/attacks/test_multisig.py). The memory and SQLite stores hold no clock of their own, so
their ``now`` reads the clock the test hands in; Redis expires keys on its own clock, so its
``now`` reads the server's TIME. Redis is a real redis-server (tests/conftest.py).
"""

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis as redis_py

from erc8128.state.nonces import MemoryReplayStore, RedisReplayStore, SqliteReplayStore
from tests.support.redis_server import RedisServer

STORE_KINDS = ["memory", "sqlite", "redis"]


@dataclass(frozen=True)
class Kit:
    """A store under test and how to read its notion of now."""

    store: MemoryReplayStore | SqliteReplayStore | RedisReplayStore
    now: Callable[[], int]


def store_kit(
    request: pytest.FixtureRequest, tmp_path: Path, clock: Callable[[], float]
) -> Iterator[Kit]:
    """Yield the store named by ``request.param`` (one of STORE_KINDS), closed afterwards.

    ``clock`` is the now of the memory and SQLite stores; the Redis store reads its server's.
    """
    if request.param == "memory":
        yield Kit(MemoryReplayStore(), lambda: int(clock()))
    elif request.param == "sqlite":
        with SqliteReplayStore(str(tmp_path / "nonces.db")) as store:
            yield Kit(store, lambda: int(clock()))
    else:
        server: RedisServer = request.getfixturevalue("redis_server")
        prefix = f"test:{request.node.name}:{time.monotonic_ns()}:"
        raw = redis_py.Redis.from_url(server.url)
        with RedisReplayStore(server.url, prefix=prefix) as store:
            yield Kit(store, lambda: int(raw.time()[0]))
        raw.close()
