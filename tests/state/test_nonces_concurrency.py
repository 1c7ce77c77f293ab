"""The replay race, on the store primitive: one key consumed concurrently, exactly one success.

ERC-8128 §3.1.2: "A separate check followed by insertion is non-conforming." and (Test Cases)
"Implementations MUST test a replay race by submitting the positive request concurrently:
exactly one request may authenticate." Here 32 threads (and, for the stores shared between
processes, 4 processes x 8 threads) are released by one barrier onto the same key.
Deliberately non-atomic check-then-insert stores (in memory, on the same SQLite file, on the same
Redis) show that the harness does catch the race it looks for.
"""

import multiprocessing
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.synchronize import Barrier as ProcessBarrier
from pathlib import Path
from typing import Any

import pytest
import redis as redis_py

from erc8128.errors import ReplayStoreUnavailable
from erc8128.state.nonces import (
    MemoryReplayStore,
    RedisReplayStore,
    ReplayStore,
    SqliteReplayStore,
    replay_key,
)
from tests.support.redis_server import RedisServer

SIGNER = "eip155:1:0x" + "ab" * 20
THREADS = 32
ROUNDS = 8
PROCESSES = 4
THREADS_PER_PROCESS = 8


def race(
    store: ReplayStore, keys: list[str], threads: int, wait: Callable[[], object] | None = None
) -> list[list[bool | str]]:
    """Release ``threads`` threads together onto each key in turn; return every answer.

    ``wait`` is the barrier every thread passes before each key (by default one for these
    threads; across processes, a barrier shared by all of them).
    """
    if wait is None:
        wait = threading.Barrier(threads).wait
    answers: list[list[bool | str]] = [[] for _ in keys]
    lock = threading.Lock()
    until = int(time.time()) + 300

    def worker() -> None:
        for index, key in enumerate(keys):
            wait()
            answer: bool | str
            try:
                answer = store.consume(key, until, now=time.time())
            except ReplayStoreUnavailable as error:
                answer = error.message
            with lock:
                answers[index].append(answer)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return answers


def assert_exactly_one_winner(answers: list[list[bool | str]], callers: int) -> None:
    for per_key in answers:
        assert len(per_key) == callers
        errors = [answer for answer in per_key if isinstance(answer, str)]
        assert errors == []
        assert per_key.count(True) == 1
        assert per_key.count(False) == callers - 1


class CheckThenInsertStore:
    """The non-conforming design: a separate check followed by insertion."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def consume(self, key: str, until: int, *, now: float) -> bool:
        if key in self.used:
            return False
        time.sleep(0.01)  # the gap between check and insert that a race slips through
        self.used.add(key)
        return True

    def close(self) -> None:
        self.used.clear()


def test_harness_catches_a_check_then_insert_store() -> None:
    answers = race(CheckThenInsertStore(), ["k"], THREADS)
    assert answers[0].count(True) > 1
    with pytest.raises(AssertionError):
        assert_exactly_one_winner(answers, THREADS)


class CheckThenInsertSqlite:
    """The non-conforming design on a real SQLite file: SELECT, then INSERT OR REPLACE."""

    def __init__(self, path: str) -> None:
        SqliteReplayStore(path).close()  # creates the table
        self.path = path
        self.local = threading.local()

    def consume(self, key: str, until: int, *, now: float) -> bool:
        connection = getattr(self.local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, isolation_level=None, timeout=5)
            connection.execute("PRAGMA synchronous = OFF")  # a control: no fsync needed
            self.local.connection = connection
        found = connection.execute(
            "SELECT 1 FROM erc8128_replay_keys WHERE key = ?", (key.encode(),)
        ).fetchall()  # fetch all: the read ends here, before the write
        if found:
            return False
        time.sleep(0.01)  # the gap a race slips through (without it, a loaded machine may not race)
        connection.execute(
            "INSERT OR REPLACE INTO erc8128_replay_keys VALUES (?, ?)", (key.encode(), until)
        )
        return True

    def close(self) -> None:
        pass


class CheckThenInsertRedis:
    """The non-conforming design on a real Redis: EXISTS, then SET."""

    def __init__(self, url: str, prefix: str) -> None:
        self.client = redis_py.Redis.from_url(url)
        self.prefix = prefix

    def consume(self, key: str, until: int, *, now: float) -> bool:
        if self.client.exists(self.prefix + key):
            return False
        time.sleep(0.01)  # the gap a race slips through (without it, a loaded machine may not race)
        self.client.set(self.prefix + key, b"1", exat=until)
        return True

    def close(self) -> None:
        self.client.close()


def test_harness_catches_check_then_insert_on_sqlite(tmp_path: Path) -> None:
    keys = [f"k{i}" for i in range(ROUNDS)]
    answers = race(CheckThenInsertSqlite(str(tmp_path / "racy.db")), keys, THREADS)
    assert max(per_key.count(True) for per_key in answers) > 1


def test_harness_catches_check_then_insert_on_redis(redis_server: RedisServer) -> None:
    keys = [f"k{i}" for i in range(ROUNDS)]
    store = CheckThenInsertRedis(redis_server.url, f"racy:{time.monotonic_ns()}:")
    answers = race(store, keys, THREADS)
    store.close()
    assert max(per_key.count(True) for per_key in answers) > 1


def test_memory_store_32_threads_one_winner() -> None:
    keys = [replay_key(SIGNER, f"memory-{i}") for i in range(ROUNDS)]
    store = MemoryReplayStore()
    assert_exactly_one_winner(race(store, keys, THREADS), THREADS)
    assert len(store) == ROUNDS


def test_sqlite_store_32_threads_one_winner(tmp_path: Path) -> None:
    keys = [replay_key(SIGNER, f"sqlite-{i}") for i in range(ROUNDS)]
    with SqliteReplayStore(str(tmp_path / "nonces.db")) as store:
        assert_exactly_one_winner(race(store, keys, THREADS), THREADS)
        assert len(store) == ROUNDS


def test_redis_store_32_threads_one_winner(redis_server: RedisServer) -> None:
    prefix = f"race-threads:{time.monotonic_ns()}:"
    keys = [replay_key(SIGNER, f"redis-{i}") for i in range(ROUNDS)]
    with RedisReplayStore(redis_server.url, prefix=prefix) as store:
        assert_exactly_one_winner(race(store, keys, THREADS), THREADS)


# -------------------------------------------------------------- several processes


@dataclass(frozen=True)
class ProcessRace:
    """What each spawned process needs: which store to open and which keys to race on."""

    backend: str
    target: str
    prefix: str
    keys: list[str]


def process_worker(job: ProcessRace, barrier: ProcessBarrier, results: Any) -> None:
    """In a spawned process: open the store, race ``THREADS_PER_PROCESS`` threads per key.

    Every thread of every process waits on the one cross-process barrier before each key.
    """
    store: ReplayStore
    if job.backend == "sqlite":
        store = SqliteReplayStore(job.target)
    else:
        store = RedisReplayStore(job.target, prefix=job.prefix)
    answers = race(store, job.keys, THREADS_PER_PROCESS, barrier.wait)
    store.close()
    results.put(answers)


def race_processes(job: ProcessRace) -> list[list[bool | str]]:
    """Run ``PROCESSES`` spawned processes on one store; merge their answers per key."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES * THREADS_PER_PROCESS, timeout=60)
    results = context.Queue()
    processes = [
        context.Process(target=process_worker, args=(job, barrier, results))
        for _ in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    per_process: list[list[list[bool | str]]] = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0
    merged: list[list[bool | str]] = [[] for _ in job.keys]
    for answers in per_process:
        for index, per_key in enumerate(answers):
            merged[index].extend(per_key)
    return merged


def test_sqlite_store_4_processes_x_8_threads_one_winner(tmp_path: Path) -> None:
    # A fresh file: the processes also race to create the schema and switch on WAL.
    path = str(tmp_path / "shared.db")
    keys = [replay_key(SIGNER, f"sqlite-proc-{i}") for i in range(ROUNDS)]
    answers = race_processes(ProcessRace("sqlite", path, "", keys))
    assert_exactly_one_winner(answers, PROCESSES * THREADS_PER_PROCESS)
    with SqliteReplayStore(path) as store:
        assert len(store) == ROUNDS


def test_redis_store_4_processes_x_8_threads_one_winner(redis_server: RedisServer) -> None:
    prefix = f"race-processes:{time.monotonic_ns()}:"
    keys = [replay_key(SIGNER, f"redis-proc-{i}") for i in range(ROUNDS)]
    answers = race_processes(ProcessRace("redis", redis_server.url, prefix, keys))
    assert_exactly_one_winner(answers, PROCESSES * THREADS_PER_PROCESS)
