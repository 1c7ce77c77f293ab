"""Whether a replay store keeps its marks across a restart of what holds them (SPEC.md D74).

ERC-8128 §5.1: "Verifiers MUST retain replay state until `expires + allowed_skew` has passed."
A mark that a restart erases is not retained: the request it marked is accepted again, once,
until it expires. The verifier's own restarts are covered by D27 (a memory store in
restart-safe mode refuses windows that opened before it started); a restart of a Redis server
is invisible to the verifier, so whether Redis persists its keys is checked at start-up, here:

* ``appendonly yes``: every write is logged and replayed at start; durable. (With the default
  ``appendfsync everysec`` an operating-system crash or power loss can lose the last second of
  writes; a restart of Redis itself loses none.)
* ``appendonly no`` with RDB ``save`` points: keys written since the last snapshot are lost when
  Redis stops other than by a clean ``SHUTDOWN``; not durable.
* ``appendonly no`` and ``save ""``: persistence is off; not durable.
* ``CONFIG GET`` refused (managed services often disable it) or failing: unknown, not durable.
* no answer to ``PING`` at all: unreachable (``reachable`` False): every signed request would be
  refused with 503 until it answers, so ``erc8128 serve`` refuses to start (D74).

SQLite files are durable (``synchronous = FULL``, nonces/sqlite.py); a store kept in a process's
memory is not (D27 makes its restarts safe, not durable); a store of another kind is unknown.
The result is a value; the callers (``erc8128 serve``, the WSGI/ASGI ``Gate``) print it as one
warning line or refuse to start (``--require-durable-replay-state``,
``require_durable_replay_state=True``).
"""

from dataclasses import dataclass

from erc8128.errors import Erc8128Error, ReplayStoreUnavailable
from erc8128.state.nonces.memory import MemoryReplayStore
from erc8128.state.nonces.redis import RedisReplayStore
from erc8128.state.nonces.sqlite import SqliteReplayStore

# What a lost mark does, in the words of the warning.
_CONSEQUENCE = "a request accepted before {event} is accepted again until it expires"


class ReplayStateNotDurable(Erc8128Error):
    """A verifier told to require durable replay state was given a store that is not."""

    def __init__(self, message: str) -> None:
        super().__init__("replay_state_not_durable", message)


@dataclass(frozen=True)
class ReplayDurability:
    """What a restart keeps of one replay store's marks: ``durable``, or the one-line reason it
    is not (``detail``: the store and its setting; ``consequence``: what a restart does)."""

    store: str
    durable: bool
    detail: str
    consequence: str = ""
    reachable: bool = True  # False: the store did not answer at all

    def warning(self) -> str:
        """One line for the operator: the store, its setting and the consequence."""
        if self.durable:
            return f"replay store {self.store}: {self.detail}"
        return f"replay store {self.store}: {self.detail}: {self.consequence}"


def redis_durability(store: RedisReplayStore) -> ReplayDurability:
    """Ask the Redis server for ``appendonly`` and ``save`` (CONFIG GET) and classify them."""
    restart = _CONSEQUENCE.format(event="a Redis restart")
    try:
        store.ping()
    except ReplayStoreUnavailable as error:
        return ReplayDurability(
            store.url, False, f"Redis unreachable ({error.message})",
            "every signed request is refused with 503 signature_verification_unavailable "
            "until it answers", reachable=False,
        )
    try:
        appendonly = store.config_value("appendonly").strip().lower()
        save = store.config_value("save").strip()
    except ReplayStoreUnavailable as error:
        return ReplayDurability(
            store.url, False, f"Redis persistence unknown ({error.message})",
            f"if persistence is off, {restart}",
        )
    if appendonly == "yes":
        return ReplayDurability(store.url, True, "Redis persistence on (appendonly yes)")
    if save:
        return ReplayDurability(
            store.url, False, f"Redis persists only RDB snapshots (appendonly no, save {save!r})",
            _CONSEQUENCE.format(event="a Redis crash or kill, since the last snapshot,"),
        )
    return ReplayDurability(
        store.url, False, "Redis persistence is off (appendonly no, save '')", restart
    )


def replay_durability(store: object) -> ReplayDurability:
    """What a restart keeps of ``store``'s marks (a network round trip for Redis)."""
    if isinstance(store, RedisReplayStore):
        return redis_durability(store)
    if isinstance(store, SqliteReplayStore):
        return ReplayDurability(f"sqlite:{store.path}", True, "a SQLite file (synchronous FULL)")
    if isinstance(store, MemoryReplayStore):
        return ReplayDurability(
            "memory", False, "kept in this process's memory",
            _CONSEQUENCE.format(event="a restart of this process")
            + " unless a restart watermark refuses them (D61: erc8128 serve and Gate keep one "
            "by default)",
        )
    return ReplayDurability(
        type(store).__name__, False, "a store of unknown durability",
        "if it forgets on restart, " + _CONSEQUENCE.format(event="a restart"),
    )


def require_durable(durability: ReplayDurability, *, how_to_allow: str) -> None:
    """Raise :class:`ReplayStateNotDurable` unless ``durability`` is durable."""
    if not durability.durable:
        raise ReplayStateNotDurable(
            f"expected durable replay state, got {durability.warning()} ({how_to_allow})"
        )
