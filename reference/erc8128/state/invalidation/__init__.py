"""Early-invalidation state for ERC-8128 §5.2, behind one small interface.

ERC-8128 §5.2: "verifiers that accept Replayable signatures MUST implement one or more early
invalidation mechanisms that can be triggered by the signer." Every state here implements
:class:`~erc8128.state.invalidation.base.InvalidationStore`: per-signer not-before times and
per-signature denials by fingerprint (``H``, :func:`fingerprint_of`).

- :class:`MemoryInvalidationState`: one process (forgets on restart; the restart watermark, D61).
- :class:`SqliteInvalidationState`: processes on one machine, survives restarts (standard
  library).
- :class:`RedisInvalidationState`: verifiers on many machines (optional ``redis`` extra,
  imported only when a state is made).
"""

from erc8128.state.invalidation.base import (
    InvalidationState,
    InvalidationStore,
    fingerprint_of,
)
from erc8128.state.invalidation.memory import MemoryInvalidationState
from erc8128.state.invalidation.redis import RedisInvalidationState
from erc8128.state.invalidation.sqlite import SqliteInvalidationState

__all__ = [
    "InvalidationState",
    "InvalidationStore",
    "MemoryInvalidationState",
    "RedisInvalidationState",
    "SqliteInvalidationState",
    "fingerprint_of",
]
