"""Shared pytest fixtures (the session's real redis-server) and the lanes of the test command.

Two markers sort the tests into the lanes ``./scripts/test`` runs:
- ``services``: needs a real service started by the test itself (redis-server, anvil, Node with
  the pinned TypeScript SDK, or solc from npm). Given to every test that uses a service fixture
  or sits in a module that drives Node, so no test has to remember it.
- ``slow``: whole-suite or multi-process runs (the conformance suite end to end, ``serve``
  processes, replay races across processes).
``./scripts/test --fast`` runs ``-m "not services and not slow"``; the full run takes everything.
"""

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.redis_server import RedisServer
from tests.support.service_process import running

# Fixtures that start a real service on a loopback port.
SERVICE_FIXTURES = frozenset(
    {"redis_server", "redis_off", "redis_aof", "redis_rdb", "anvil", "chain"}
)
# Modules whose tests run Node (the pinned @slicekit/erc8128 adapter), npm's solc, or start anvil
# themselves (not only through a fixture).
SERVICE_MODULES = frozenset(
    {
        "tests.conformance.test_slicekit_adapter",
        "tests.conformance.test_interop_slicekit",
        "tests.chain.test_contracts",
        "tests.chain.test_accounts",
        "tests.server.test_serve_rpc",
        "tests.end_to_end.test_browser",  # drives Debian chromium through chromedriver (Selenium)
    }
)
# Modules of end-to-end runs that take seconds per test.
SLOW_MODULES = frozenset(
    {
        "tests.conformance.test_suite",
        "tests.conformance.test_chain_live",
        "tests.end_to_end.test_serve_processes",
        "tests.state.test_replay_race",
        "tests.benchmarks.test_bench_middleware",
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        module = ""
        if isinstance(item, pytest.Function):
            module = item.module.__name__
        fixtures = set(getattr(item, "fixturenames", ()))
        named = item.name.lower()  # parametrised backends: test_x[redis], test_y[slicekit]
        service_named = "slicekit" in named or "redis" in named
        if fixtures & SERVICE_FIXTURES or module in SERVICE_MODULES or service_named:
            item.add_marker(pytest.mark.services)
        if module in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


# SPEC.md D61: `erc8128 serve` and the WSGI/ASGI Gate keep a restart watermark in the user's
# state directory by default. Tests never write there: every process they start inherits a
# session directory, and each test function gets its own (so one test's accepted signatures are
# never another's restart floor).
os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="erc8128-test-state-")
atexit.register(shutil.rmtree, os.environ["XDG_STATE_HOME"], ignore_errors=True)


@pytest.fixture(autouse=True)
def _own_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One real redis-server for the session on a free 127.0.0.1 port; fails if not installed."""
    with running(RedisServer()) as server:
        yield server
