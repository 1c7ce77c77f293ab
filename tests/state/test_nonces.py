"""Replay stores: the ERC-8128 §3.1.2 contract for the memory, SQLite and Redis backends.

Time is the ``now`` each call hands in, read from a fake clock for the memory and SQLite stores
(they hold none of their own); Redis expires keys on its own clock, so its tests read the
server's TIME. Redis is a real redis-server (tests/conftest.py).
"""

import math
import socket
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis as redis_py
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erc8128.errors import Erc8128Error, ReplayStoreUnavailable
from erc8128.state.nonces import (
    MemoryReplayStore,
    RedisReplayStore,
    ReplayStore,
    SqliteReplayStore,
    parse_replay_key,
    replay_key,
)
from erc8128.state.nonces.base import MAX_UNTIL, is_expired, key_bytes
from erc8128.state.nonces.sqlite import PURGE_BATCH
from tests.support.import_probe import top_level_modules_loaded_by
from tests.support.redis_server import RedisServer, free_port
from tests.support.replay_kit import STORE_KINDS, Kit, store_kit

SIGNER = "eip155:1:0x" + "ab" * 20
T0 = 1_700_000_000


class FakeClock:
    """A settable clock: ``clock()`` returns ``now``."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


# --------------------------------------------------------------------------- replay_key


def test_replay_key_layout() -> None:
    assert replay_key(SIGNER, "n1") == f"{len(SIGNER)}:{SIGNER}:n1"


@given(st.text(), st.text())
@settings(max_examples=200)
def test_parse_replay_key_inverts_replay_key(signer_id: str, nonce: str) -> None:
    assert parse_replay_key(replay_key(signer_id, nonce)) == (signer_id, nonce)


SEPARATOR_HEAVY = st.text(alphabet=st.sampled_from(":019ab"), max_size=8)


@given(SEPARATOR_HEAVY, SEPARATOR_HEAVY, SEPARATOR_HEAVY, SEPARATOR_HEAVY)
@settings(max_examples=200)
def test_replay_key_is_injective(a: str, b: str, c: str, d: str) -> None:
    same_key = replay_key(a, b) == replay_key(c, d)
    assert same_key == ((a, b) == (c, d))


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("eip155:1:0xab", "cd"), ("eip155:1", "0xab:cd")),
        (("eip155:1:0xab", ":cd"), ("eip155:1:0xab:", "cd")),
        (("1:", "x"), ("1", ":x")),
        (("", ":x"), (":", "x")),
    ],
)
def test_tuples_that_plain_joining_confuses_stay_apart(
    first: tuple[str, str], second: tuple[str, str]
) -> None:
    assert ":".join(first) == ":".join(second)  # the naive encoding collides here
    assert replay_key(*first) != replay_key(*second)


@pytest.mark.parametrize(
    "key",
    ["", "abc", "12", "1x:a:b", "01:a:b", "3:ab", "3:abcd", "2:ab", "²:a:b", "-1:a:b", " 1:a:b"],
)
def test_parse_replay_key_rejects_what_replay_key_never_produces(key: str) -> None:
    with pytest.raises(ReplayStoreUnavailable) as caught:
        parse_replay_key(key)
    assert caught.value.reason == "replay_store_unavailable"


@given(st.text(), st.text())
@settings(max_examples=200)
def test_key_bytes_is_injective_even_with_lone_surrogates(a: str, b: str) -> None:
    assert (key_bytes(a) == key_bytes(b)) == (a == b)


def test_expiry_covers_the_whole_second_until() -> None:
    assert not is_expired(100, 99.0)
    assert not is_expired(100, 100.0)
    assert not is_expired(100, 100.999)
    assert is_expired(100, 101.0)


# ------------------------------------------------------------- the contract, all stores


@pytest.fixture(params=STORE_KINDS)
def kit(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Kit]:
    yield from store_kit(request, tmp_path, FakeClock())


def test_store_satisfies_protocol(kit: Kit) -> None:
    assert isinstance(kit.store, ReplayStore)


def test_fresh_key_then_reuse(kit: Kit) -> None:
    until = kit.now() + 90
    key = replay_key(SIGNER, "nonce-1")
    assert kit.store.consume(key, until, now=kit.now()) is True
    assert kit.store.consume(key, until, now=kit.now()) is False
    assert kit.store.consume(key, until + 1000, now=kit.now()) is False


def test_keys_differ_by_signer_and_by_nonce(kit: Kit) -> None:
    until = kit.now() + 90
    other_signer = "eip155:1:0x" + "cd" * 20
    assert kit.store.consume(replay_key(SIGNER, "n"), until, now=kit.now()) is True
    assert kit.store.consume(replay_key(SIGNER, "m"), until, now=kit.now()) is True
    assert kit.store.consume(replay_key(other_signer, "n"), until, now=kit.now()) is True
    other_chain = replay_key("eip155:10:0x" + "ab" * 20, "n")
    assert kit.store.consume(other_chain, until, now=kit.now()) is True
    assert kit.store.consume(replay_key(SIGNER, "n"), until, now=kit.now()) is False
    assert kit.store.consume(replay_key(other_signer, "n"), until, now=kit.now()) is False


def test_unusual_key_text_round_trips(kit: Kit) -> None:
    until = kit.now() + 90
    keys = ["", "\x00", "é", "\ud800", "\udfff", "a" * 4096, "1:\ud800:\x00"]
    assert [kit.store.consume(key, until, now=kit.now()) for key in keys] == [True] * len(keys)
    assert [kit.store.consume(key, until, now=kit.now()) for key in keys] == [False] * len(keys)


@pytest.mark.parametrize("until", [0, -1, MAX_UNTIL + 1, True, 1.5, "100", None])
def test_bad_until_fails_closed_and_consumes_nothing(kit: Kit, until: object) -> None:
    key = replay_key(SIGNER, f"bad-until-{until!r}")
    with pytest.raises(ReplayStoreUnavailable):
        kit.store.consume(key, until, now=kit.now())  # type: ignore[arg-type]
    assert kit.store.consume(key, kit.now() + 90, now=kit.now()) is True


@pytest.mark.parametrize("now", [True, "1700000000", None, math.nan, math.inf])
def test_bad_now_fails_closed_and_consumes_nothing(kit: Kit, now: object) -> None:
    key = replay_key(SIGNER, f"bad-now-{now!r}")
    with pytest.raises(ReplayStoreUnavailable):
        kit.store.consume(key, kit.now() + 90, now=now)  # type: ignore[arg-type]
    with pytest.raises(ReplayStoreUnavailable):
        kit.store.consume_all([(key, kit.now() + 90)], now=now)  # type: ignore[attr-defined]
    assert kit.store.consume(key, kit.now() + 90, now=kit.now()) is True


@pytest.mark.parametrize("key", [b"bytes", 7, None])
def test_non_str_key_fails_closed(kit: Kit, key: object) -> None:
    with pytest.raises(ReplayStoreUnavailable):
        kit.store.consume(key, kit.now() + 90, now=kit.now())  # type: ignore[arg-type]


def test_closed_store_fails_closed(kit: Kit) -> None:
    kit.store.close()
    with pytest.raises(ReplayStoreUnavailable) as caught:
        kit.store.consume(replay_key(SIGNER, "after-close"), kit.now() + 90, now=kit.now())
    assert isinstance(caught.value, Erc8128Error)
    assert caught.value.reason == "replay_store_unavailable"


# ----------------------------------------------------------- expiry with a fake clock


@pytest.fixture(params=["memory", "sqlite"])
def clocked(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[ReplayStore, FakeClock]]:
    clock = FakeClock()
    if request.param == "memory":
        yield MemoryReplayStore(), clock
    else:
        with SqliteReplayStore(str(tmp_path / "nonces.db")) as store:
            yield store, clock


def test_mark_is_kept_through_second_until_then_key_is_reusable(
    clocked: tuple[ReplayStore, FakeClock],
) -> None:
    store, clock = clocked
    key = replay_key(SIGNER, "expiring")
    until = T0 + 90
    assert store.consume(key, until, now=clock.now) is True
    clock.now = until
    assert store.consume(key, until + 90, now=clock.now) is False
    clock.now = until + 0.999
    assert store.consume(key, until + 90, now=clock.now) is False
    clock.now = until + 1
    assert store.consume(key, until + 90, now=clock.now) is True
    # the reused key is marked with its new until
    clock.now = until + 90
    assert store.consume(key, until + 200, now=clock.now) is False
    clock.now = until + 91
    assert store.consume(key, until + 200, now=clock.now) is True


def test_expired_marks_do_not_touch_live_ones(clocked: tuple[ReplayStore, FakeClock]) -> None:
    store, clock = clocked
    assert store.consume("short", T0 + 10, now=clock.now) is True
    assert store.consume("long", T0 + 100, now=clock.now) is True
    clock.now = T0 + 50
    assert store.consume("short", T0 + 60, now=clock.now) is True
    assert store.consume("long", T0 + 60, now=clock.now) is False


class ModelStore:
    """The obvious reference: a dict key → until, checked and set in one step."""

    def __init__(self) -> None:
        self.marks: dict[str, int] = {}

    def consume(self, key: str, until: int, *, now: float) -> bool:
        held = self.marks.get(key)
        # live through the whole second `until`, written out here independently of is_expired
        if held is not None and math.floor(now) <= held:
            return False
        self.marks[key] = until
        return True


OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("consume"), st.sampled_from("abcde"), st.integers(-3, 12)),
        st.tuples(st.just("advance"), st.just(""), st.integers(0, 4000)),
    ),
    max_size=40,
)


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
@given(operations=OPERATIONS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_store_agrees_with_reference_model(
    backend: str, operations: list[tuple[str, str, int]]
) -> None:
    clock = FakeClock()
    model = ModelStore()
    with tempfile.TemporaryDirectory() as directory:
        store: MemoryReplayStore | SqliteReplayStore
        if backend == "memory":
            store = MemoryReplayStore()
        else:
            store = SqliteReplayStore(f"{directory}/n.db", purge_interval=3.0)
        with store:
            for operation, key, amount in operations:
                if operation == "advance":
                    clock.now += amount / 1000
                    continue
                until = int(clock.now) + amount
                now = clock.now
                assert store.consume(key, until, now=now) == model.consume(key, until, now=now)
                live = {k for k, u in model.marks.items() if math.floor(clock.now) <= u}
                if backend == "memory":
                    # memory stays bounded by the live keys: expired ones are popped before
                    # each insertion (the key just inserted may itself be already expired)
                    assert len(store) == len(live | {key})


# ------------------------------------------------------------------------ memory store


def test_memory_capacity_fails_closed_and_recovers_after_expiry() -> None:
    clock = FakeClock()
    store = MemoryReplayStore(capacity=3)
    for nonce in ("a", "b", "c"):
        assert store.consume(nonce, T0 + 10, now=clock.now) is True
    with pytest.raises(ReplayStoreUnavailable) as caught:
        store.consume("d", T0 + 10, now=clock.now)
    assert "full" in caught.value.message
    assert store.consume("a", T0 + 10, now=clock.now) is False  # a held key is still answered
    with pytest.raises(ReplayStoreUnavailable):
        store.consume("d", T0 + 10, now=clock.now)  # refused again, never accepted unchecked
    clock.now = T0 + 11
    assert store.consume("d", T0 + 20, now=clock.now) is True
    assert len(store) == 1


def test_memory_stays_bounded_by_live_keys() -> None:
    clock = FakeClock()
    store = MemoryReplayStore(capacity=100)
    for second in range(2000):
        clock.now = T0 + second
        assert store.consume(f"n{second}", T0 + second + 30, now=clock.now) is True
        assert len(store) <= 31
    assert len(store) == 31


@pytest.mark.parametrize("capacity", [0, -1, True, 2.0])
def test_memory_rejects_bad_capacity(capacity: object) -> None:
    with pytest.raises(ReplayStoreUnavailable):
        MemoryReplayStore(capacity=capacity)  # type: ignore[arg-type]


def test_memory_store_forgets_on_restart_which_the_watermark_covers() -> None:
    """A restarted memory store lets a replay through by itself; SPEC.md D61 (the restart
    watermark, tests/attacks/test_restart.py) is what refuses it."""
    key, until = replay_key(SIGNER, "r"), T0 + 90
    assert MemoryReplayStore().consume(key, until, now=T0 + 1) is True
    assert MemoryReplayStore().consume(key, until, now=T0 + 6) is True


# ------------------------------------------------------------------------ SQLite store


def test_sqlite_survives_reopening_the_file(tmp_path: Path) -> None:
    clock = FakeClock()
    path = str(tmp_path / "nonces.db")
    with SqliteReplayStore(path) as store:
        assert store.consume("k", T0 + 90, now=clock.now) is True
    with SqliteReplayStore(path) as reopened:
        assert reopened.consume("k", T0 + 90, now=clock.now) is False
        clock.now = T0 + 91
        assert reopened.consume("k", T0 + 200, now=clock.now) is True
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert raw.execute("SELECT until FROM erc8128_replay_keys").fetchall() == [(T0 + 200,)]
    raw.close()


def test_sqlite_two_stores_on_one_file_share_marks(tmp_path: Path) -> None:
    path = str(tmp_path / "nonces.db")
    with SqliteReplayStore(path) as first, SqliteReplayStore(path) as second:
        until = int(time.time()) + 90
        assert first.consume("shared", until, now=time.time()) is True
        assert second.consume("shared", until, now=time.time()) is False


def test_sqlite_purge_deletes_only_expired_rows_in_batches(tmp_path: Path) -> None:
    clock = FakeClock()
    path = str(tmp_path / "nonces.db")
    expired = PURGE_BATCH * 2 + 7
    with SqliteReplayStore(path, purge_interval=1e9) as store:
        with sqlite3.connect(path) as raw:
            raw.executemany(
                "INSERT INTO erc8128_replay_keys (key, until) VALUES (?, ?)",
                [(f"old{i}".encode(), T0 - 1) for i in range(expired)],
            )
        raw.close()
        assert store.consume("live", T0, now=clock.now) is True
        assert len(store) == expired + 1
        assert store.purge_expired(clock.now) == expired
        assert len(store) == 1
        assert store.consume("live", T0, now=clock.now) is False


def test_sqlite_purges_on_its_own_every_interval(tmp_path: Path) -> None:
    clock = FakeClock()
    with SqliteReplayStore(str(tmp_path / "n.db"), purge_interval=60) as store:
        for i in range(10):
            assert store.consume(f"k{i}", T0 + 5, now=clock.now) is True
        clock.now = T0 + 30
        assert store.consume("x", T0 + 100, now=clock.now) is True
        assert len(store) == 11  # not yet purged
        clock.now = T0 + 61
        assert store.consume("y", T0 + 100, now=clock.now) is True
        assert len(store) == 2


@pytest.mark.parametrize("path", ["", ":memory:"])
def test_sqlite_refuses_private_in_memory_databases(path: str) -> None:
    with pytest.raises(ReplayStoreUnavailable):
        SqliteReplayStore(path)


def test_sqlite_unopenable_paths_fail_closed(tmp_path: Path) -> None:
    not_a_database = tmp_path / "garbage.db"
    not_a_database.write_bytes(b"this is not an SQLite database file, not at all" * 100)
    for path in (str(tmp_path / "missing" / "n.db"), str(tmp_path), str(not_a_database)):
        with pytest.raises(ReplayStoreUnavailable) as caught:
            SqliteReplayStore(path)
        assert caught.value.reason == "replay_store_unavailable"


def test_sqlite_locked_database_times_out_and_fails_closed(tmp_path: Path) -> None:
    path = str(tmp_path / "n.db")
    with SqliteReplayStore(path, busy_timeout=0.2) as store:
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")
        started = time.monotonic()
        with pytest.raises(ReplayStoreUnavailable) as caught:
            store.consume("k", int(time.time()) + 90, now=time.time())
        assert time.monotonic() - started < 3
        assert "locked" in caught.value.message
        blocker.execute("ROLLBACK")
        blocker.close()
        # nothing was marked before
        assert store.consume("k", int(time.time()) + 90, now=time.time()) is True


def test_sqlite_file_corrupted_between_opens_fails_closed(tmp_path: Path) -> None:
    path = tmp_path / "n.db"
    with SqliteReplayStore(str(path)) as store:
        assert store.consume("k", int(time.time()) + 90, now=time.time()) is True
        store.close()
    path.write_bytes(b"\x00garbage" * 1000)
    for sidecar in (tmp_path / "n.db-wal", tmp_path / "n.db-shm"):
        sidecar.unlink(missing_ok=True)
    with pytest.raises(ReplayStoreUnavailable):
        SqliteReplayStore(str(path)).consume("k", int(time.time()) + 90, now=time.time())


# ------------------------------------------------------------------------- Redis store


@pytest.fixture
def raw_redis(redis_server: RedisServer) -> Iterator[redis_py.Redis]:
    client = redis_py.Redis.from_url(redis_server.url)
    yield client
    client.close()


def test_redis_marks_with_absolute_expiry_after_second_until(
    redis_server: RedisServer, raw_redis: redis_py.Redis
) -> None:
    server_now = int(raw_redis.time()[0])
    until = server_now + 100
    with RedisReplayStore(redis_server.url, prefix="exat:") as store:
        key = replay_key(SIGNER, "exat")
        assert store.consume(key, until, now=server_now) is True
        name = store.redis_key(key)
        assert name == b"exat:" + key.encode()
        assert raw_redis.get(name) == b"1"
        assert raw_redis.expiretime(name.decode()) == until + 1
        assert 0 < raw_redis.ttl(name) <= 101
        assert store.consume(key, until + 500, now=server_now) is False
        assert raw_redis.expiretime(name.decode()) == until + 1  # a refused consume changes nothing


def test_redis_key_past_its_until_is_reusable(
    redis_server: RedisServer, raw_redis: redis_py.Redis
) -> None:
    server_now = int(raw_redis.time()[0])
    with RedisReplayStore(redis_server.url) as store:
        key = replay_key(SIGNER, "past")
        assert store.consume(key, server_now - 2, now=server_now) is True
        assert raw_redis.exists(store.redis_key(key)) == 0
        assert store.consume(key, server_now - 2, now=server_now) is True


def test_redis_key_expires_in_real_time(
    redis_server: RedisServer, raw_redis: redis_py.Redis
) -> None:
    server_now = int(raw_redis.time()[0])
    with RedisReplayStore(redis_server.url) as store:
        key = replay_key(SIGNER, "soon")
        assert store.consume(key, server_now, now=server_now) is True
        assert store.consume(key, server_now, now=server_now) is False
        # The mark goes at the start of second until + 1 (EXAT until + 1); Redis's clock for a
        # command is a snapshot, so wait until that second has surely begun.
        while int(raw_redis.time()[0]) <= server_now + 1:
            time.sleep(0.05)
        assert store.consume(key, server_now + 100, now=int(raw_redis.time()[0])) is True


def test_redis_prefix_is_configurable(redis_server: RedisServer, raw_redis: redis_py.Redis) -> None:
    until = int(raw_redis.time()[0]) + 60
    with (
        RedisReplayStore(redis_server.url, prefix="app-a:") as first,
        RedisReplayStore(redis_server.url, prefix="app-b:") as second,
    ):
        assert first.consume("k", until, now=time.time()) is True
        assert second.consume("k", until, now=time.time()) is True
        assert first.consume("k", until, now=time.time()) is False
    assert raw_redis.exists(b"app-a:k", b"app-b:k") == 2
    default = RedisReplayStore(redis_server.url)
    assert default.redis_key("k") == b"erc8128:nonce:k"
    default.close()


def test_redis_stopped_server_fails_closed() -> None:
    server = RedisServer().start()
    try:
        store = RedisReplayStore(server.url, timeout=0.5)
        until = int(time.time()) + 90
        assert store.consume("k", until, now=time.time()) is True
        server.stop()
        started = time.monotonic()
        with pytest.raises(ReplayStoreUnavailable) as caught:
            store.consume("k2", until, now=time.time())
        assert time.monotonic() - started < 3
        assert caught.value.reason == "replay_store_unavailable"
    finally:
        server.cleanup()


def test_redis_nothing_listening_fails_closed() -> None:
    store = RedisReplayStore(f"redis://127.0.0.1:{free_port()}/0", timeout=0.5)
    with pytest.raises(ReplayStoreUnavailable):
        store.consume("k", int(time.time()) + 90, now=time.time())


def test_redis_silent_server_times_out_and_fails_closed() -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept_and_stay_silent() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept_and_stay_silent)
    thread.start()
    try:
        port = listener.getsockname()[1]
        store = RedisReplayStore(f"redis://127.0.0.1:{port}/0", timeout=0.3)
        started = time.monotonic()
        with pytest.raises(ReplayStoreUnavailable) as caught:
            store.consume("k", int(time.time()) + 90, now=time.time())
        assert time.monotonic() - started < 3
        assert "Timeout" in caught.value.message
    finally:
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
        listener.close()


def test_redis_refusing_writes_fails_closed() -> None:
    server = RedisServer().start()
    try:
        admin = redis_py.Redis.from_url(server.url)
        # a replica of an unreachable primary answers every write with READONLY
        admin.replicaof("127.0.0.1", free_port())
        store = RedisReplayStore(server.url, timeout=0.5)
        with pytest.raises(ReplayStoreUnavailable) as caught:
            store.consume("k", int(time.time()) + 90, now=time.time())
        assert "READONLY" in caught.value.message or "ReadOnly" in caught.value.message
        admin.close()
        store.close()
    finally:
        server.cleanup()


@pytest.mark.parametrize(
    ("url", "prefix"),
    [("http://127.0.0.1:6379/0", "p:"), (b"redis://x", "p:"), ("redis://x", b"p:")],
)
def test_redis_bad_url_or_prefix_fails_closed(url: object, prefix: object) -> None:
    with pytest.raises(ReplayStoreUnavailable):
        RedisReplayStore(url, prefix=prefix)  # type: ignore[arg-type]


def test_redis_without_the_redis_package_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)
    with pytest.raises(ReplayStoreUnavailable) as caught:
        RedisReplayStore()
    assert "erc8128[redis]" in caught.value.message


def test_importing_the_stores_loads_no_third_party_module() -> None:
    loaded = top_level_modules_loaded_by("import erc8128.state.nonces")
    assert "redis" not in loaded
    assert "erc8128" in loaded
    foreign = {n for n in loaded if n not in sys.stdlib_module_names and n != "erc8128"}
    assert {n for n in foreign if not n.startswith("_")} == set()
