"""ERC-8128 §5.2 early-invalidation state shared by verifier instances: one contract for the
memory, SQLite and Redis states, sharing between instances, atomic raising, and fail-closed
verification when the state cannot answer."""

import hashlib
import itertools
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erc8128.crypto.addresses import address_of
from erc8128.errors import ConfigError, InvalidationStateUnavailable, VerificationError
from erc8128.http.message import Request
from erc8128.protocol.policy import VerifierPolicy
from erc8128.protocol.sign import sign_request
from erc8128.protocol.verify import verify_request
from erc8128.server.app import App
from erc8128.server.lifecycle import ServerConfig
from erc8128.state.backends import make_invalidation_state
from erc8128.state.invalidation import (
    InvalidationStore,
    MemoryInvalidationState,
    RedisInvalidationState,
    SqliteInvalidationState,
    fingerprint_of,
)
from erc8128.state.invalidation.base import MAX_TIME
from erc8128.state.invalidation.redis import DEFAULT_PREFIX
from erc8128.state.nonces.memory import MemoryReplayStore
from erc8128.state.nonces.redis import DEFAULT_PREFIX as NONCE_PREFIX
from tests.support.redis_server import RedisServer, free_port

SIGNER = "eip155:1:0x" + "aa" * 20
OTHER = "eip155:1:0x" + "bb" * 20
FP1 = fingerprint_of(hashlib.sha3_256(b"one").digest())
FP2 = fingerprint_of(hashlib.sha3_256(b"two").digest())

_prefixes = itertools.count()

Factory = Callable[[], InvalidationStore]


def _now() -> int:
    """The writers' ``now`` (the state holds no clock): the real time, as Redis keeps it."""
    return int(time.time())


def _future(seconds: int = 3600) -> int:
    """A denial end in the future (Redis expires denials by its own, real clock)."""
    return int(time.time()) + seconds


@pytest.fixture(params=["memory", "sqlite", "redis"])
def factory(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[], InvalidationStore]]:
    """Makes instances that share one backend (memory: the same object)."""
    made: list[InvalidationStore] = []
    kind = request.param
    if kind == "memory":
        shared = MemoryInvalidationState()

        def make() -> InvalidationStore:
            return shared
    elif kind == "sqlite":
        path = str(tmp_path / "state.sqlite")

        def make() -> InvalidationStore:
            state = SqliteInvalidationState(path)
            made.append(state)
            return state
    else:
        server: RedisServer = request.getfixturevalue("redis_server")
        prefix = f"test:{next(_prefixes)}:{time.time_ns()}:"

        def make() -> InvalidationStore:
            state = RedisInvalidationState(server.url, prefix=prefix)
            made.append(state)
            return state

    yield make
    for state in made:
        state.close()  # type: ignore[attr-defined]


# ---- the contract, for every implementation -----------------------------------------------------
def test_not_before_is_absent_then_raised_never_lowered(factory: Factory) -> None:
    state = factory()
    assert state.not_before(SIGNER) is None
    state.set_not_before(SIGNER, 1700000100, now=_now())
    assert state.not_before(SIGNER) == 1700000100
    state.set_not_before(SIGNER, 1700000050, now=_now())
    assert state.not_before(SIGNER) == 1700000100
    state.set_not_before(SIGNER, 1700000200, now=_now())
    assert state.not_before(SIGNER) == 1700000200
    assert state.not_before(OTHER) is None


def test_signer_denial_applies_to_that_signer_only(factory: Factory) -> None:
    state = factory()
    assert not state.is_invalidated(SIGNER, FP1)
    state.invalidate(FP1, _future(), signer_id=SIGNER, now=_now())
    assert state.is_invalidated(SIGNER, FP1)
    assert not state.is_invalidated(OTHER, FP1)
    assert not state.is_invalidated(SIGNER, FP2)


def test_any_signer_denial_applies_to_everyone(factory: Factory) -> None:
    state = factory()
    state.invalidate(FP2, _future(), now=_now())
    assert state.is_invalidated(SIGNER, FP2)
    assert state.is_invalidated(OTHER, FP2)
    assert not state.is_invalidated(SIGNER, FP1)


def test_a_second_instance_sees_the_first_ones_writes(factory: Factory) -> None:
    writer, reader = factory(), factory()
    writer.set_not_before(SIGNER, 1700000123, now=_now())
    writer.invalidate(FP1, _future(), signer_id=SIGNER, now=_now())
    assert reader.not_before(SIGNER) == 1700000123
    assert reader.is_invalidated(SIGNER, FP1)
    assert not reader.is_invalidated(OTHER, FP1)


def test_concurrent_raises_keep_the_maximum(factory: Factory) -> None:
    """Many instances raising one signer's not-before at once: the largest wins, always."""
    instances = [factory() for _ in range(4)]
    times = list(range(1700000000, 1700000000 + 200))
    barrier = threading.Barrier(len(instances))
    errors: list[BaseException] = []

    def work(index: int) -> None:
        try:
            barrier.wait()
            # Each thread sends its share in an order that mixes rises and falls.
            for timestamp in reversed(times[index :: len(instances)]):
                instances[index].set_not_before(SIGNER, timestamp, now=_now())
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(instances))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert instances[0].not_before(SIGNER) == max(times)


_SIGNERS = st.sampled_from([SIGNER, OTHER])
_FINGERPRINTS = st.sampled_from(["1", "2"])
_OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("nb"), _SIGNERS, st.integers(0, MAX_TIME)),
        st.tuples(st.just("deny"), _FINGERPRINTS, st.one_of(st.none(), _SIGNERS)),
    ),
    max_size=12,
)


@pytest.mark.parametrize("factory", ["sqlite", "redis"], indirect=True)
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=_OPERATIONS)
def test_same_answers_as_the_memory_state(
    factory: Factory, operations: list[tuple[str, str, object]]
) -> None:
    """Random write sequences: every read agrees with MemoryInvalidationState (the reference)."""
    reference = MemoryInvalidationState()
    state = factory()
    # Each example starts from a clean slate: fresh signer ids and fingerprints.
    run = f"{next(_prefixes)}:"
    fingerprints = {
        name: fingerprint_of(hashlib.sha3_256(f"{run}{name}".encode()).digest())
        for name in ("1", "2")
    }
    until = _future()
    for operation, subject, argument in operations:
        if operation == "nb":
            assert isinstance(argument, int)
            reference.set_not_before(run + subject, argument, now=_now())
            state.set_not_before(run + subject, argument, now=_now())
        else:
            signer = None if argument is None else run + str(argument)
            reference.invalidate(fingerprints[subject], until, signer_id=signer, now=_now())
            state.invalidate(fingerprints[subject], until, signer_id=signer, now=_now())
    for signer in (SIGNER, OTHER):
        assert state.not_before(run + signer) == reference.not_before(run + signer)
        for fingerprint in fingerprints.values():
            expected = reference.is_invalidated(run + signer, fingerprint)
            assert state.is_invalidated(run + signer, fingerprint) == expected


# ---- SQLite specifics ---------------------------------------------------------------------------
def test_sqlite_keeps_denials_through_their_until_second_then_evicts(tmp_path: Path) -> None:
    state = SqliteInvalidationState(str(tmp_path / "s.sqlite"))
    state.invalidate(FP1, 1700000100, signer_id=SIGNER, now=_now())
    state.invalidate(FP2, 1700000101, now=_now())
    state.evict_expired(1700000100)
    assert state.is_invalidated(SIGNER, FP1)  # until == now: the signature could still verify
    state.evict_expired(1700000101)
    assert not state.is_invalidated(SIGNER, FP1)
    assert state.is_invalidated(OTHER, FP2)
    state.close()


def test_sqlite_denial_is_extended_never_shortened(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    state = SqliteInvalidationState(str(path))
    state.invalidate(FP1, 1700000200, signer_id=SIGNER, now=_now())
    state.invalidate(FP1, 1700000100, signer_id=SIGNER, now=_now())
    state.close()
    with sqlite3.connect(path) as connection:
        rows = connection.execute(
            "SELECT fingerprint, signer_id, until FROM erc8128_invalidation_denials"
        ).fetchall()
    assert rows == [(FP1, SIGNER, 1700000200)]


def test_sqlite_shares_the_replay_store_file_in_its_own_tables(tmp_path: Path) -> None:
    from erc8128.state.nonces.sqlite import SqliteReplayStore  # noqa: PLC0415

    path = str(tmp_path / "shared.sqlite")
    nonces = SqliteReplayStore(path)
    state = SqliteInvalidationState(path)
    assert nonces.consume("k", 1700000060, now=1700000000)
    state.set_not_before(SIGNER, 5, now=_now())
    assert len(nonces) == 1
    assert state.not_before(SIGNER) == 5
    nonces.close()
    state.close()


def test_sqlite_failures_are_typed(tmp_path: Path) -> None:
    for path in ("", ":memory:"):
        with pytest.raises(InvalidationStateUnavailable):
            SqliteInvalidationState(path)
    with pytest.raises(InvalidationStateUnavailable):
        SqliteInvalidationState(str(tmp_path))  # a directory, not a database
    (tmp_path / "junk").write_bytes(b"not a database, definitely not" * 100)
    with pytest.raises(InvalidationStateUnavailable) as info:
        SqliteInvalidationState(str(tmp_path / "junk"))
    assert info.value.reason == "invalidation_state_unavailable"
    state = SqliteInvalidationState(str(tmp_path / "ok.sqlite"))
    state.close()
    calls: list[Callable[[], object]] = [
        lambda: state.not_before(SIGNER),
        lambda: state.is_invalidated(SIGNER, FP1),
        lambda: state.set_not_before(SIGNER, 1, now=_now()),
        lambda: state.invalidate(FP1, 1, now=_now()),
    ]
    for call in calls:
        with pytest.raises(InvalidationStateUnavailable, match="closed"):
            call()


# ---- Redis specifics ----------------------------------------------------------------------------
def test_redis_denial_expires_at_until_plus_one_and_is_never_shortened(
    redis_server: RedisServer,
) -> None:
    prefix = f"exat:{time.time_ns()}:"
    state = RedisInvalidationState(redis_server.url, prefix=prefix)
    client = redis.Redis.from_url(redis_server.url)
    until = _future(1000)
    state.invalidate(FP1, until, signer_id=SIGNER, now=_now())
    key = state.denial_key(FP1, SIGNER)
    assert key == f"{prefix}deny:{SIGNER}:{FP1}".encode()
    assert client.expiretime(key.decode()) == until + 1
    state.invalidate(FP1, until - 500, signer_id=SIGNER, now=_now())
    assert client.expiretime(key.decode()) == until + 1
    state.invalidate(FP1, until + 500, signer_id=SIGNER, now=_now())
    assert client.expiretime(key.decode()) == until + 501
    # A denial whose until has passed is gone at once (it can no longer matter).
    state.invalidate(FP2, int(time.time()) - 10, now=_now())
    assert not state.is_invalidated(SIGNER, FP2)
    # Not-before has no expiry (-1).
    state.set_not_before(SIGNER, 7, now=_now())
    assert client.expiretime(state.not_before_key(SIGNER).decode()) == -1
    state.close()
    client.close()


def test_redis_prefix_is_distinct_from_the_replay_store() -> None:
    assert DEFAULT_PREFIX != NONCE_PREFIX
    assert not DEFAULT_PREFIX.startswith(NONCE_PREFIX)
    assert not NONCE_PREFIX.startswith(DEFAULT_PREFIX)


def test_redis_unreachable_fails_closed() -> None:
    state = RedisInvalidationState(f"redis://127.0.0.1:{free_port()}/0", timeout=0.5)
    calls: list[Callable[[], object]] = [
        lambda: state.not_before(SIGNER),
        lambda: state.is_invalidated(SIGNER, FP1),
        lambda: state.set_not_before(SIGNER, 1, now=_now()),
        lambda: state.invalidate(FP1, _future(), now=_now()),
    ]
    for call in calls:
        with pytest.raises(InvalidationStateUnavailable) as info:
            call()
        assert info.value.reason == "invalidation_state_unavailable"
        assert "expected a reachable Redis" in info.value.message


def test_redis_garbage_value_fails_closed(redis_server: RedisServer) -> None:
    prefix = f"garbage:{time.time_ns()}:"
    state = RedisInvalidationState(redis_server.url, prefix=prefix)
    client = redis.Redis.from_url(redis_server.url)
    client.set(state.not_before_key(SIGNER), b"12abc")
    with pytest.raises(InvalidationStateUnavailable, match="decimal unix time"):
        state.not_before(SIGNER)
    state.close()
    with pytest.raises(InvalidationStateUnavailable, match="closed"):
        state.not_before(OTHER)
    client.close()


def test_bad_redis_arguments_are_typed() -> None:
    with pytest.raises(InvalidationStateUnavailable):
        RedisInvalidationState(5)  # type: ignore[arg-type]
    with pytest.raises(InvalidationStateUnavailable):
        RedisInvalidationState("redis://127.0.0.1:1/0", prefix=None)  # type: ignore[arg-type]
    with pytest.raises(InvalidationStateUnavailable):
        RedisInvalidationState("ftp://nowhere")


# ---- input checks (SQLite and Redis) ------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "arguments"),
    [
        ("not_before", (5,)),
        ("not_before", ("",)),
        ("not_before", ("*",)),
        ("not_before", ("x" * 257,)),
        ("not_before", ("eip155:1:\u00e9",)),
        ("is_invalidated", (SIGNER, "0x12")),
        ("is_invalidated", (SIGNER, FP1.upper())),
        ("is_invalidated", (SIGNER, None)),
        ("set_not_before", (SIGNER, True)),
        ("set_not_before", (SIGNER, -1)),
        ("set_not_before", (SIGNER, MAX_TIME + 1)),
        ("set_not_before", (SIGNER, 1.5)),
        ("invalidate", (FP1, "1")),
        ("invalidate", ("0x" + "g" * 64, 1)),
    ],
)
@pytest.mark.parametrize("factory", ["sqlite", "redis"], indirect=True)
def test_bad_inputs_raise_typed_errors(
    factory: Factory, method: str, arguments: tuple[object, ...]
) -> None:
    state = factory()
    writes = method in ("set_not_before", "invalidate")
    with pytest.raises(InvalidationStateUnavailable):
        getattr(state, method)(*arguments, **({"now": _now()} if writes else {}))


@pytest.mark.parametrize("now", [True, -1, MAX_TIME + 1, 1.5, "1700000000", None])
@pytest.mark.parametrize("factory", ["sqlite", "redis"], indirect=True)
def test_a_bad_now_fails_closed_and_writes_nothing(factory: Factory, now: object) -> None:
    state = factory()
    with pytest.raises(InvalidationStateUnavailable):
        state.set_not_before(SIGNER, 1700000100, now=now)  # type: ignore[arg-type]
    with pytest.raises(InvalidationStateUnavailable):
        state.invalidate(FP1, _future(), signer_id=SIGNER, now=now)  # type: ignore[arg-type]
    assert state.not_before(SIGNER) is None
    assert not state.is_invalidated(SIGNER, FP1)


# ---- the server's backend choice ---------------------------------------------------------------
def test_make_invalidation_state_follows_the_nonces_spec(tmp_path: Path) -> None:
    assert isinstance(make_invalidation_state("memory"), MemoryInvalidationState)
    sqlite_state = make_invalidation_state(f"sqlite:{tmp_path / 'n.sqlite'}")
    assert isinstance(sqlite_state, SqliteInvalidationState)
    sqlite_state.close()
    redis_state = make_invalidation_state("redis://127.0.0.1:6399/0")
    assert isinstance(redis_state, RedisInvalidationState)
    assert redis_state.prefix == DEFAULT_PREFIX
    redis_state.close()
    for spec in ("sqlite:", "postgres://x", ""):
        with pytest.raises(ConfigError):
            make_invalidation_state(spec)


# ---- verification fails closed ------------------------------------------------------------------
KEY = hashlib.sha256(b"invalidation-stores-signer").digest()
NOW = 1700000000
POLICY = VerifierPolicy(replay="either")


def _replayable() -> Request:
    request = Request("GET", "https://api.example/resource?x=1", (), None)
    return sign_request(request, KEY, created=NOW, expires=NOW + 60, replayable=True).request


def _non_replayable() -> Request:
    request = Request("GET", "https://api.example/resource?x=1", (), None)
    return sign_request(request, KEY, created=NOW, expires=NOW + 60).request


class _Broken:
    """A state whose backend is down: each read raises, as the SQLite/Redis states do."""

    def __init__(self, broken: str) -> None:
        self.broken = broken

    def not_before(self, signer_id: str) -> int | None:
        if self.broken == "not_before":
            raise InvalidationStateUnavailable("not_before: backend down")
        return None

    def is_invalidated(self, signer_id: str, fingerprint: str) -> bool:
        if self.broken == "is_invalidated":
            raise InvalidationStateUnavailable("is_invalidated: backend down")
        return False


@pytest.mark.parametrize("broken", ["not_before", "is_invalidated"])
def test_unreadable_state_refuses_replayable_with_503(broken: str) -> None:
    with pytest.raises(VerificationError) as info:
        verify_request(_replayable(), now=NOW, policy=POLICY, nonces=MemoryReplayStore(),
                       invalidation=_Broken(broken))
    assert info.value.reason == "signature_verification_unavailable"
    assert info.value.status == 503
    assert "backend down" in info.value.message


def test_unreadable_state_does_not_concern_non_replayable_signatures() -> None:
    nonces = MemoryReplayStore()
    verified = verify_request(_non_replayable(), now=NOW, policy=POLICY, nonces=nonces,
                              invalidation=_Broken("not_before"))
    assert verified.replayable is False
    assert verified.address == address_of(KEY).lower()


def test_real_unreachable_redis_refuses_replayable_with_503() -> None:
    state = RedisInvalidationState(f"redis://127.0.0.1:{free_port()}/0", timeout=0.5)
    with pytest.raises(VerificationError) as info:
        verify_request(_replayable(), now=NOW, policy=POLICY, nonces=MemoryReplayStore(),
                       invalidation=state)
    assert info.value.reason == "signature_verification_unavailable"


def test_closed_sqlite_refuses_replayable_with_503(tmp_path: Path) -> None:
    state = SqliteInvalidationState(str(tmp_path / "v.sqlite"))
    assert verify_request(_replayable(), now=NOW, policy=POLICY, nonces=MemoryReplayStore(),
                          invalidation=state).replayable
    state.close()
    with pytest.raises(VerificationError) as info:
        verify_request(_replayable(), now=NOW, policy=POLICY, nonces=MemoryReplayStore(),
                       invalidation=state)
    assert info.value.reason == "signature_verification_unavailable"


def test_shared_sqlite_invalidation_refuses_at_the_other_instance(tmp_path: Path) -> None:
    """Instance A records the signer's denial and not-before; instance B refuses."""
    path = str(tmp_path / "shared.sqlite")
    at_a, at_b = SqliteInvalidationState(path), SqliteInvalidationState(path)
    request = _replayable()
    verified = verify_request(request, now=NOW, policy=POLICY, nonces=MemoryReplayStore(),
                              invalidation=at_b)
    at_a.invalidate(verified.fingerprint, NOW + 1000, signer_id=verified.account.signer_id, now=NOW)
    with pytest.raises(VerificationError) as info:
        verify_request(request, now=NOW, policy=POLICY, nonces=MemoryReplayStore(),
                       invalidation=at_b)
    assert info.value.reason == "replayable_not_allowed"
    fresh = Request("GET", "https://api.example/other", (), None)
    fresh_signed = sign_request(fresh, KEY, created=NOW, expires=NOW + 60, replayable=True)
    assert verify_request(fresh_signed.request, now=NOW, policy=POLICY,
                          nonces=MemoryReplayStore(), invalidation=at_b).replayable
    at_a.set_not_before(verified.account.signer_id, NOW + 1, now=NOW)
    with pytest.raises(VerificationError) as info:
        verify_request(fresh_signed.request, now=NOW, policy=POLICY,
                       nonces=MemoryReplayStore(), invalidation=at_b)
    assert info.value.reason == "replayable_not_allowed"
    at_a.close()
    at_b.close()


def test_invalidation_endpoint_answers_503_when_the_state_is_down(tmp_path: Path) -> None:
    """The signer must not be told its invalidation worked when it was not recorded."""
    state = SqliteInvalidationState(str(tmp_path / "down.sqlite"))
    app = App(public_url="https://api.example", policy=ServerConfig().policy(),
              nonces=MemoryReplayStore(), invalidation=state)
    now = int(time.time())
    body = json.dumps({"not_before": now}).encode()
    request = Request("POST", "https://api.example/api/signatures/invalidate",
                      (("Content-Type", "application/json"),), body)
    signed = sign_request(request, KEY, created=now, expires=now + 60)
    state.close()
    handled = app.handle(signed.request, now=now)
    assert handled.response.status == 503
    assert handled.reason == "invalidation_state_unavailable"
    assert json.loads(handled.response.body)["reason"] == "invalidation_state_unavailable"
    app.close()


# ---- Bounded state: not-before retention (issue 11, finding 9) ---------------------------------
@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_not_before_is_forgotten_once_it_can_refuse_nothing(kind: str, tmp_path: Path) -> None:
    """A not-before t refuses signatures created before t; with max validity 300 and skew 30
    none of them verifies after t + 330, so the entry goes then, and not a second earlier."""
    clock = [1700000000.0]
    state: MemoryInvalidationState | SqliteInvalidationState
    if kind == "memory":
        state = MemoryInvalidationState(not_before_retention=330)
    else:
        state = SqliteInvalidationState(str(tmp_path / "s.sqlite"), not_before_retention=330)
    state.set_not_before(SIGNER, 1700000000, now=int(clock[0]))
    state.evict_expired(1700000330)
    assert state.not_before(SIGNER) == 1700000000
    state.evict_expired(1700000331)
    assert state.not_before(SIGNER) is None
    # The writers evict on their own, at most every 60 s.
    state.set_not_before(SIGNER, 1700000000, now=int(clock[0]))
    clock[0] = 1700000400.0
    state.set_not_before(OTHER, 1700000400, now=int(clock[0]))
    assert (state.not_before(SIGNER), state.not_before(OTHER)) == (None, 1700000400)


def test_a_forgotten_not_before_changes_no_verdict() -> None:
    """The verdict with the entry (t + retention passed) is the verdict without it."""
    key = (7).to_bytes(32, "big")
    signer = f"eip155:1:{address_of(key)}"
    policy = VerifierPolicy(replay="either", max_validity_sec=300)
    created = 1700000000
    request = sign_request(Request("GET", "https://api.example/x", (), None), key,
                           created=created, expires=created + 300, replayable=True).request
    last = created + 300 + 30  # expires + skew: the last second the signature is time-valid
    during = MemoryInvalidationState(not_before={signer: created + 1}, not_before_retention=330)
    during.evict_expired(last)  # t + 330 >= last: the entry still matters and is kept
    with pytest.raises(VerificationError) as refused:
        verify_request(request, now=last, nonces=MemoryReplayStore(),
                       policy=policy, invalidation=during)
    assert refused.value.reason == "replayable_not_allowed"
    now = created + 1 + 330 + 1  # the first second at which the entry is gone
    kept = MemoryInvalidationState(not_before={signer: created + 1})
    gone = MemoryInvalidationState(not_before={signer: created + 1}, not_before_retention=330)
    gone.evict_expired(now)
    assert gone.not_before(signer) is None
    reasons = []
    for state in (kept, gone):
        with pytest.raises(VerificationError) as info:
            verify_request(request, now=now, nonces=MemoryReplayStore(),
                           policy=policy, invalidation=state)
        reasons.append(info.value.reason)
    assert reasons == ["request_expired", "request_expired"]


def test_redis_not_before_expires_after_its_retention(redis_server: RedisServer) -> None:
    state = RedisInvalidationState(redis_server.url, prefix=f"nbx:{time.time_ns()}:",
                                   not_before_retention=330)
    client = redis.Redis.from_url(redis_server.url)
    t = int(time.time())
    state.set_not_before(SIGNER, t, now=_now())
    name = state.not_before_key(SIGNER).decode()
    assert client.expiretime(name) == t + 331
    state.set_not_before(SIGNER, t + 100, now=_now())  # raised: the expiry moves with it
    assert client.expiretime(name) == t + 431
    state.set_not_before(SIGNER, t, now=_now())  # never lowered, expiry untouched
    assert (state.not_before(SIGNER), client.expiretime(name)) == (t + 100, t + 431)
    state.close()
    client.close()


def test_serve_gives_the_retention(tmp_path: Path) -> None:
    state = make_invalidation_state(f"sqlite:{tmp_path / 'x.sqlite'}", not_before_retention=90)
    assert isinstance(state, SqliteInvalidationState) and state.not_before_retention == 90
    state.close()
