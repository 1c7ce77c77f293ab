"""ERC-8128 test requirement: "Implementations MUST test a replay race (exactly one concurrent
positive request authenticates)". The draft's positive request is verified from 32 threads
against each store, and from several processes for the stores shared between processes."""

import json
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from erc8128.errors import VerificationError
from erc8128.http.message import Request
from erc8128.protocol.sign import sign_request
from erc8128.protocol.verify import verify_request
from erc8128.state.nonces.base import ReplayStore
from erc8128.state.nonces.memory import MemoryReplayStore
from erc8128.state.nonces.redis import RedisReplayStore
from erc8128.state.nonces.sqlite import SqliteReplayStore
from tests.support.draft_fixture import PRIVATE_KEY
from tests.support.redis_server import RedisServer

THREADS = 32
ROOT_DIR = Path(__file__).resolve().parents[2]  # the repository


def fresh_request(created: int) -> Request:
    """The draft's positive request, signed now (Redis expires keys by its own real clock)."""
    request = Request("POST", "https://api.example/items?view=full",
                      (("Host", "api.example"), ("Content-Type", "application/json")),
                      b'{"hello":"world"}')
    return sign_request(request, PRIVATE_KEY, created=created, nonce="race-nonce").request


def race(store: ReplayStore, threads: int = THREADS, created: int | None = None) -> Counter[str]:
    created = int(time.time()) if created is None else created
    request = fresh_request(created)
    barrier = threading.Barrier(threads)
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        barrier.wait()
        try:
            verify_request(request, now=created + 1, nonces=store)
            outcome = "ok"
        except VerificationError as error:
            outcome = error.reason
        with lock:
            outcomes.append(outcome)

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return Counter(outcomes)


def assert_exactly_one(outcomes: Counter[str], total: int) -> None:
    assert outcomes == Counter({"ok": 1, "nonce_reused": total - 1})


def test_memory_store_32_threads() -> None:
    assert_exactly_one(race(MemoryReplayStore()), THREADS)


def test_sqlite_store_32_threads(tmp_path: Path) -> None:
    with SqliteReplayStore(str(tmp_path / "nonces.db")) as store:
        assert_exactly_one(race(store), THREADS)


def test_redis_store_32_threads(redis_server: RedisServer) -> None:
    with RedisReplayStore(redis_server.url, prefix=f"race-threads-{time.time_ns()}:") as store:
        assert_exactly_one(race(store), THREADS)


_PROCESS_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    sys.path.insert(0, {root_dir!r})
    from tests.state.test_replay_race import race
    from erc8128.state.nonces.sqlite import SqliteReplayStore
    from erc8128.state.nonces.redis import RedisReplayStore
    kind, where = sys.argv[1], sys.argv[2]
    start_at, threads, created = float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    if kind == "sqlite":
        store = SqliteReplayStore(where)
    else:
        url, prefix = where.split("|")
        store = RedisReplayStore(url, prefix=prefix)
    time.sleep(max(0.0, start_at - time.time()))
    print(json.dumps(race(store, threads, created)))
    """
)


def race_processes(kind: str, where: str, processes: int = 4, threads: int = 8) -> Counter[str]:
    script = _PROCESS_SCRIPT.format(root_dir=str(ROOT_DIR))
    start_at = time.time() + 3.0
    created = int(time.time())
    children = [
        subprocess.Popen(
            [sys.executable, "-c", script, kind, where, str(start_at), str(threads), str(created)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    total: Counter[str] = Counter()
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        total.update(json.loads(out))
    return total


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_shared_store_4_processes_x_8_threads(kind: str, tmp_path: Path,
                                              request: pytest.FixtureRequest) -> None:
    if kind == "sqlite":
        where = str(tmp_path / "shared.db")
        SqliteReplayStore(where).close()  # create the schema once
    else:
        server: RedisServer = request.getfixturevalue("redis_server")
        where = f"{server.url}|race-procs-{time.time_ns()}:"
    assert_exactly_one(race_processes(kind, where), 32)
