"""Replay stores (nonce sets) for ERC-8128 §3.1.2 and §5.1, behind one small interface.

ERC-8128 §3.1.2: "A verifier MUST atomically mark an unused replay key as used; finding it
already used yields `nonce_reused`." Every store here implements
:class:`~erc8128.state.nonces.base.ReplayStore`: ``consume(key, until) -> bool`` with
``key = replay_key(signer_id, nonce)`` and ``until = expires + skew``.

- :class:`MemoryReplayStore`: one process (forgets on restart; the restart watermark, D61).
- :class:`SqliteReplayStore`: processes on one machine, survives restarts (standard library).
- :class:`RedisReplayStore`: verifiers on many machines (optional ``redis`` extra, imported
  only when a store is made).
"""

from erc8128.state.nonces.base import ReplayStore, parse_replay_key, replay_key
from erc8128.state.nonces.memory import MemoryReplayStore
from erc8128.state.nonces.redis import RedisReplayStore
from erc8128.state.nonces.sqlite import SqliteReplayStore

__all__ = [
    "MemoryReplayStore",
    "RedisReplayStore",
    "ReplayStore",
    "SqliteReplayStore",
    "parse_replay_key",
    "replay_key",
]
