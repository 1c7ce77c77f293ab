"""The start-up check of the replay store's durability (SPEC.md D74): real redis-servers started
with and without persistence, the WSGI/ASGI ``Gate`` and ``erc8128 serve``.

The warning's claim is shown, not assumed: with persistence off, a request accepted before a
Redis restart is accepted again after it; with ``appendonly yes`` it is refused.
"""

import logging
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from erc8128.client import Signer
from erc8128.errors import ConfigError
from erc8128.http.message import Request
from erc8128.integrations.gate import Gate
from erc8128.protocol.challenge import HttpResponse
from erc8128.protocol.verify import Verified
from erc8128.server import ServerConfig, start_server
from erc8128.state.durability import (
    ReplayDurability,
    ReplayStateNotDurable,
    replay_durability,
)
from erc8128.state.nonces.memory import MemoryReplayStore
from erc8128.state.nonces.redis import RedisReplayStore
from erc8128.state.nonces.sqlite import SqliteReplayStore
from tests.end_to_end.test_serve_processes import serve, stop
from tests.support.redis_server import RedisServer, free_port

PUBLIC_URL = "https://api.example"
CONSEQUENCE = "a request accepted before a Redis restart is accepted again until it expires"
PERSISTENCE_OFF = ("--save", "", "--appendonly", "no")
APPEND_ONLY = ("--save", "", "--appendonly", "yes", "--appendfsync", "always")
SNAPSHOTS_ONLY = ("--save", "3600 1", "--appendonly", "no")


def _redis(persistence: tuple[str, ...]) -> Iterator[RedisServer]:
    server = RedisServer(persistence=persistence)
    try:
        server.start()
    except RuntimeError as error:
        pytest.fail(str(error))
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture
def redis_off() -> Iterator[RedisServer]:
    yield from _redis(PERSISTENCE_OFF)


@pytest.fixture
def redis_aof() -> Iterator[RedisServer]:
    yield from _redis(APPEND_ONLY)


@pytest.fixture
def redis_rdb() -> Iterator[RedisServer]:
    yield from _redis(SNAPSHOTS_ONLY)


def _signed_lines(signer: Signer) -> list[tuple[str, str]]:
    signed = signer.sign(Request("GET", PUBLIC_URL + "/items"), created=int(time.time()))
    return list(signed.request.headers)


def _check(gate: Gate, lines: list[tuple[str, str]]) -> Verified | HttpResponse:
    return gate.check("GET", "/items", lines, b"", gate.route_policy("GET", "/items") or
                      pytest.fail("expected a signed route"))


# --------------------------------------------------------------------------------------------
# The classification, against real servers.
# --------------------------------------------------------------------------------------------


def _durability_of(server: RedisServer) -> ReplayDurability:
    store = RedisReplayStore(server.url)
    try:
        return replay_durability(store)
    finally:
        store.close()


def test_redis_without_persistence_is_named_with_its_consequence(redis_off: RedisServer) -> None:
    durability = _durability_of(redis_off)
    assert durability.durable is False
    assert durability.warning() == (
        f"replay store {redis_off.url}: Redis persistence is off (appendonly no, save ''): "
        f"{CONSEQUENCE}"
    )
    assert "\n" not in durability.warning()


def test_redis_with_append_only_file_is_durable(redis_aof: RedisServer) -> None:
    durability = _durability_of(redis_aof)
    assert durability.durable is True
    assert durability.detail == "Redis persistence on (appendonly yes)"


def test_redis_with_snapshots_only_is_not_durable(redis_rdb: RedisServer) -> None:
    durability = _durability_of(redis_rdb)
    assert durability.durable is False
    assert "RDB snapshots (appendonly no, save '3600 1')" in durability.detail
    assert "since the last snapshot" in durability.consequence


def test_redis_that_refuses_config_get_is_unknown_not_durable(redis_off: RedisServer) -> None:
    store = RedisReplayStore(redis_off.url)
    try:
        # Managed services disable CONFIG; here an ACL does it, on a real server.
        store._redis.client.execute_command(
            "ACL", "SETUSER", "default", "on", "nopass", "~*", "+@all", "-config"
        )
        durability = replay_durability(store)
    finally:
        store._redis.client.execute_command("ACL", "SETUSER", "default", "+config")
        store.close()
    assert durability.durable is False
    assert durability.detail.startswith("Redis persistence unknown (")
    assert "NoPermissionError" in durability.detail


def test_a_redis_that_does_not_answer_is_unreachable_not_merely_unknown() -> None:
    # A wrong --nonces URL or a Redis not started: nothing listens on the port.
    store = RedisReplayStore(f"redis://127.0.0.1:{free_port()}", timeout=1.0)
    try:
        durability = replay_durability(store)
    finally:
        store.close()
    assert (durability.durable, durability.reachable) == (False, False)
    assert durability.detail.startswith("Redis unreachable (")
    assert "503 signature_verification_unavailable" in durability.consequence


def test_serve_refuses_to_start_on_a_redis_that_does_not_answer() -> None:
    # D74: a server whose every signed request would be refused with 503 does not start.
    url = f"redis://127.0.0.1:{free_port()}"
    with pytest.raises(ConfigError) as refused:
        start_server(ServerConfig(port=0, nonces=url))
    assert refused.value.reason == "replay_store_unavailable"
    assert f"replay store {url}: Redis unreachable" in refused.value.message
    assert "start redis-server or correct --nonces" in refused.value.message


def test_sqlite_is_durable_and_memory_is_not(tmp_path: object) -> None:
    sqlite = SqliteReplayStore(f"{tmp_path}/nonces.db")
    try:
        assert replay_durability(sqlite).durable is True
    finally:
        sqlite.close()
    memory = replay_durability(MemoryReplayStore())
    assert memory.durable is False
    assert "a restart of this process" in memory.consequence


# --------------------------------------------------------------------------------------------
# The consequence the warning names, shown on a real restart.
# --------------------------------------------------------------------------------------------


def test_without_persistence_a_redis_restart_accepts_a_replay(redis_off: RedisServer) -> None:
    signer = Signer.generate()
    lines = _signed_lines(signer)
    gate = Gate(PUBLIC_URL, nonces=RedisReplayStore(redis_off.url))
    try:
        assert isinstance(_check(gate, lines), Verified)
        refused = _check(gate, lines)
        assert isinstance(refused, HttpResponse) and b"nonce_reused" in refused.body
        redis_off.restart()
        # The mark is gone: the same request is accepted a second time.
        assert isinstance(_check(gate, lines), Verified)
    finally:
        gate.nonces.close()


def test_with_append_only_file_a_redis_restart_still_refuses(redis_aof: RedisServer) -> None:
    signer = Signer.generate()
    lines = _signed_lines(signer)
    gate = Gate(PUBLIC_URL, nonces=RedisReplayStore(redis_aof.url),
                require_durable_replay_state=True)
    try:
        assert isinstance(_check(gate, lines), Verified)
        redis_aof.restart()
        refused = _check(gate, lines)
        assert isinstance(refused, HttpResponse)
        assert refused.status == 401 and b"nonce_reused" in refused.body
    finally:
        gate.nonces.close()


# --------------------------------------------------------------------------------------------
# The Gate: one warning line, or a refusal.
# --------------------------------------------------------------------------------------------


def _gate_warnings(
    server: RedisServer, caplog: pytest.LogCaptureFixture, *require_durable: bool
) -> list[str]:
    """The warnings logged while one Gate per ``require_durable`` value starts on ``server``."""
    store = RedisReplayStore(server.url)
    with caplog.at_level(logging.WARNING, logger="erc8128.integrations.gate"):
        for require in require_durable:
            Gate(PUBLIC_URL, nonces=store, require_durable_replay_state=require)
    store.close()
    return [record.getMessage() for record in caplog.records]


def test_gate_warns_once_for_redis_without_persistence(
    redis_off: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    messages = _gate_warnings(redis_off, caplog, False)
    assert len(messages) == 1
    assert "\n" not in messages[0]
    assert CONSEQUENCE in messages[0]
    assert "require_durable_replay_state=True" in messages[0]


def test_gate_refuses_redis_without_persistence_when_told(redis_off: RedisServer) -> None:
    store = RedisReplayStore(redis_off.url)
    try:
        with pytest.raises(ReplayStateNotDurable) as raised:
            Gate(PUBLIC_URL, nonces=store, require_durable_replay_state=True)
    finally:
        store.close()
    assert raised.value.reason == "replay_state_not_durable"
    assert CONSEQUENCE in raised.value.message


def test_gate_says_nothing_for_durable_redis(
    redis_aof: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    assert _gate_warnings(redis_aof, caplog, False, True) == []


def test_gate_refuses_a_memory_store_when_told() -> None:
    with pytest.raises(ReplayStateNotDurable, match="kept in this process's memory"):
        Gate(PUBLIC_URL, require_durable_replay_state=True)


# --------------------------------------------------------------------------------------------
# erc8128 serve: the same line on stderr, or exit 2.
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_serve_warns_for_redis_without_persistence(redis_off: RedisServer) -> None:
    with serve("--nonces", redis_off.url, "--quiet") as (_, process, log):
        code, _ = stop(process)
        assert code == 0
        warnings = [line for line in log.read_text().splitlines() if "replay store" in line]
    assert warnings == [
        f"erc8128 serve: warning: replay store {redis_off.url}: Redis persistence is off "
        f"(appendonly no, save ''): {CONSEQUENCE} (run Redis with appendonly yes, or refuse "
        "to start with --require-durable-replay-state)"
    ]


@pytest.mark.slow
def test_serve_refuses_redis_without_persistence_when_told(redis_off: RedisServer) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "erc8128", "serve", "--port", "0", "--nonces", redis_off.url,
         "--require-durable-replay-state"],
        check=False, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("erc8128 serve: replay_state_not_durable: expected durable "
                               f"replay state, got replay store {redis_off.url}")
    assert CONSEQUENCE in lines[0]


@pytest.mark.slow
def test_serve_starts_quietly_on_durable_redis(redis_aof: RedisServer) -> None:
    with serve("--nonces", redis_aof.url, "--quiet", "--require-durable-replay-state") as (
        _, process, log
    ):
        code, _ = stop(process)
        assert code == 0
        assert "replay store" not in log.read_text()
