"""Starting and stopping a real service process for tests (redis-server, anvil, HTTP servers).

Each service class starts its binary on a free loopback port, waits until the service answers
its own probe, and stops the process by its own handle (never by name or port).
"""

import re
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol, TypeVar

import pytest


class Service(Protocol):
    def start(self) -> object: ...

    def cleanup(self) -> None: ...


_S = TypeVar("_S", bound=Service)


@contextmanager
def running(service: _S) -> Iterator[_S]:
    """``service`` started for the block and cleaned up after it; a service that cannot start
    (its binary missing, no answer) fails the test with its message and no traceback."""
    try:
        service.start()
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)
    try:
        yield service
    finally:
        service.cleanup()


def wait_until_ready(
    process: subprocess.Popen[bytes], ready: Callable[[], bool], *, timeout: float,
    interval: float = 0.05,
) -> bool:
    """Poll ``ready`` until it answers True (the service is up) or ``timeout`` seconds pass or
    the process exits; True only when the service answered."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if ready():
            return True
        time.sleep(interval)
    return False


def terminate(process: subprocess.Popen[bytes] | None) -> None:
    """Stop ``process`` (SIGTERM, then SIGKILL after 10 s) and reap it."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@contextmanager
def listening_url(command: list[str], *, cwd: Path | None = None) -> Iterator[str]:
    """Start a server ``command`` that prints ``listening on http://...`` as its first line;
    yield that URL and stop the server afterwards (erc8128 serve, the SDK servers)."""
    server = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        match = re.search(r"listening on (http://\S+)", line)
        assert match is not None, line + (server.stderr.read() if server.stderr else "")
        yield match.group(1)
    finally:
        server.terminate()
        server.wait(timeout=10)
