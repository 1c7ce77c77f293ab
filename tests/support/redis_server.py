"""A real redis-server on a free loopback port, started and stopped by the tests themselves.

The server runs from the Debian package ``redis-server`` (``scripts/test`` installs it), by
default with no persistence (``persistence`` gives other settings), in a temporary directory.
A missing binary is a test failure with the install command, never a skip.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.service_process import terminate, wait_until_ready

__all__ = ["RedisServer", "free_port", "ping"]

STARTUP_TIMEOUT = 10.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def ping(port: int, timeout: float = 0.5) -> bool:
    """Whether a Redis server on ``port`` answers ``PING`` with ``+PONG`` (raw RESP)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@dataclass
class RedisServer:
    """One redis-server process; ``start()`` waits for PING, ``stop()`` ends that process only."""

    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    persistence: tuple[str, ...] = ("--save", "", "--appendonly", "no")
    directory: tempfile.TemporaryDirectory[str] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError(
                "redis-server not found: install the Debian package with "
                "`apt-get install -y redis-server` (scripts/test does this)"
            )
        self.directory = tempfile.TemporaryDirectory(prefix="erc8128-redis-")
        last_output = ""
        for _attempt in range(3):  # the free port may be taken between probe and bind
            self.port = free_port()
            last_output = self._launch(binary)
            if not last_output:
                return self
        raise RuntimeError(f"redis-server did not answer PING; last log:\n{last_output}")

    def restart(self) -> RedisServer:
        """Stop this server (SIGTERM: Redis's clean shutdown) and start it again on the same
        port and directory, with the same persistence settings: what survives is what Redis
        persisted."""
        binary = shutil.which("redis-server")
        assert binary is not None and self.directory is not None
        self.stop()
        last_output = self._launch(binary)
        if last_output:
            raise RuntimeError(f"redis-server did not restart; last log:\n{last_output}")
        return self

    def _launch(self, binary: str) -> str:
        """Start on ``self.port``; "" once it answers PING, else its log (and it is stopped)."""
        assert self.directory is not None
        log = Path(self.directory.name) / f"redis-{self.port}.log"
        self.process = subprocess.Popen(
            [
                binary,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                *self.persistence,
                "--dir", self.directory.name,
                "--logfile", str(log),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port = self.port
        if wait_until_ready(
            self.process, lambda port=port: ping(port), timeout=STARTUP_TIMEOUT, interval=0.02
        ):
            return ""
        output = log.read_text(errors="replace") if log.exists() else "(no log)"
        self.stop()
        return output

    def stop(self) -> None:
        """Terminate this server's process (by its own handle) and wait for it to exit."""
        terminate(self.process)
        self.process = None

    def cleanup(self) -> None:
        self.stop()
        if self.directory is not None:
            self.directory.cleanup()
            self.directory = None
