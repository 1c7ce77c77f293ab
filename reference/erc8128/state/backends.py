"""The verifier's state from one backend spec: ``memory``, ``sqlite:PATH`` or a Redis URL.

``erc8128 serve --nonces SPEC`` names one backend, and both pieces of state live on it: the
replay store (ERC-8128 §3.1.2, §5.1) and the early-invalidation state (§5.2). ERC-8128 §5.1:
"Replay state MUST be shared across concurrent verifier instances." A signer's invalidation must
reach every instance that shares the replay state, so it is kept beside it: memory, its own
tables in the SQLite file, or its own key prefix in Redis.
"""

from erc8128.errors import ConfigError
from erc8128.state.invalidation.base import InvalidationStore
from erc8128.state.invalidation.memory import MemoryInvalidationState
from erc8128.state.invalidation.redis import RedisInvalidationState
from erc8128.state.invalidation.sqlite import SqliteInvalidationState
from erc8128.state.nonces.base import ReplayStore
from erc8128.state.nonces.memory import MemoryReplayStore
from erc8128.state.nonces.redis import RedisReplayStore
from erc8128.state.nonces.sqlite import SqliteReplayStore

_SQLITE = "sqlite:"
_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def make_replay_store(spec: str) -> ReplayStore:
    """``memory``, ``sqlite:PATH`` or ``redis://host:port/db`` as a replay store.

    SQLite and Redis keep their marks across a restart of the server (Redis as far as it
    persists them); the restart watermark (D61) covers a memory store.
    """
    if spec == "memory":
        return MemoryReplayStore()
    if spec.startswith(_SQLITE):
        return SqliteReplayStore(_sqlite_path(spec))
    if spec.startswith(_REDIS_SCHEMES):
        return RedisReplayStore(spec)
    raise _unknown(spec)


def make_invalidation_state(
    spec: str, *, not_before_retention: int | None = None
) -> InvalidationStore:
    """The early-invalidation state (ERC-8128 §5.2) on the same backend as ``--nonces spec``."""
    if spec == "memory":
        return MemoryInvalidationState(not_before_retention=not_before_retention)
    if spec.startswith(_SQLITE):
        return SqliteInvalidationState(
            _sqlite_path(spec), not_before_retention=not_before_retention
        )
    if spec.startswith(_REDIS_SCHEMES):
        return RedisInvalidationState(spec, not_before_retention=not_before_retention)
    raise _unknown(spec)


def _sqlite_path(spec: str) -> str:
    file_path = spec[len(_SQLITE) :]
    if not file_path:
        raise ConfigError("nonces_invalid", "expected sqlite:PATH, got an empty path")
    return file_path


def _unknown(spec: str) -> ConfigError:
    return ConfigError(
        "nonces_invalid", f"expected memory, sqlite:PATH or redis://..., got {spec!r}"
    )
