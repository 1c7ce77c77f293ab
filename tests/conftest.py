"""Shared pytest fixtures. (Nonces/replay stores: the session's real redis-server.)"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from redis_server import RedisServer


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One real redis-server for the session on a free 127.0.0.1 port; fails if not installed."""
    server = RedisServer()
    try:
        server.start()
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)
    try:
        yield server
    finally:
        server.cleanup()
