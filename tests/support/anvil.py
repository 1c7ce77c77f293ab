"""A real anvil (Foundry's local Ethereum node) on a free loopback port, for the chain tests.

The binary comes from the npm package ``@foundry-rs/anvil``, pinned exactly in
``tools/anvil/package.json`` / ``tools/anvil/package-lock.json`` (``npm ci --prefix tools/anvil``
installs it; the platform binary ships inside ``@foundry-rs/anvil-<os>-<arch>``).
``ERC8128_ANVIL`` may name another binary. A missing binary is a test failure with the install
command, never a skip.

anvil runs with ``--chain-id 1 --hardfork prague`` (EIP-7702 type-4 transactions) and mines
every transaction at once; its ten default accounts are unlocked and funded, so contracts are
deployed with ``eth_sendTransaction``.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import socket
import subprocess
import tempfile
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.service_process import terminate, wait_until_ready

__all__ = ["ANVIL_ACCOUNT_0", "Anvil", "RpcFailure", "anvil_binary", "free_port"]

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 20.0
# anvil's first default account (mnemonic "test test ... junk"), unlocked and funded.
ANVIL_ACCOUNT_0 = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"

_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


class RpcFailure(RuntimeError):
    """A JSON-RPC error answered by the test node (test-support code, not the library)."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def anvil_binary() -> str:
    """The anvil executable: $ERC8128_ANVIL, else the pinned npm package's platform binary."""
    configured = os.environ.get("ERC8128_ANVIL")
    if configured:
        return configured
    system = platform.system().lower()
    arch = _ARCH.get(platform.machine().lower(), platform.machine().lower())
    packaged = ROOT / f"tools/anvil/node_modules/@foundry-rs/anvil-{system}-{arch}/bin/anvil"
    if packaged.is_file():
        return str(packaged)
    on_path = shutil.which("anvil")
    if on_path is not None:
        return on_path
    raise RuntimeError(
        f"anvil not found at {packaged}: install the pinned npm package with "
        "`npm ci --prefix tools/anvil --no-audit --no-fund` (scripts/test does this)"
    )


@dataclass
class Anvil:
    """One anvil process; ``start()`` waits for ``eth_chainId``, ``stop()`` ends that process."""

    chain_id: int = 1
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    log: Any = field(default=None, repr=False)
    _request_id: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rpc(self, method: str, params: list[Any] | None = None, timeout: float = 10.0) -> Any:
        """One JSON-RPC call with urllib (independent of the library's transport)."""
        self._request_id += 1
        body = json.dumps(
            {"jsonrpc": "2.0", "id": self._request_id, "method": method, "params": params or []}
        ).encode()
        request = urllib.request.Request(
            self.url, data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = json.loads(response.read())
        if "error" in answer:
            raise RpcFailure(f"{method}: {answer['error']}")
        return answer["result"]

    def _answers(self) -> bool:
        try:
            return int(self.rpc("eth_chainId", timeout=0.5), 16) == self.chain_id
        except (OSError, ValueError, RpcFailure):
            return False

    def start(self) -> Anvil:
        binary = anvil_binary()
        self.log = tempfile.TemporaryFile(prefix="erc8128-anvil-")  # noqa: SIM115 (closed in cleanup)
        for _attempt in range(3):  # the free port may be taken between probe and bind
            self.port = free_port()
            self.process = subprocess.Popen(
                [
                    binary,
                    "--host", "127.0.0.1",
                    "--port", str(self.port),
                    "--chain-id", str(self.chain_id),
                    "--hardfork", "prague",
                    "--accounts", "3",
                ],
                stdin=subprocess.DEVNULL,
                stdout=self.log,
                stderr=subprocess.STDOUT,
            )
            if wait_until_ready(self.process, self._answers, timeout=STARTUP_TIMEOUT):
                return self
            self.stop()
        self.log.seek(0)
        output = self.log.read().decode(errors="replace")[-2000:]
        raise RuntimeError(f"anvil did not answer eth_chainId; last output:\n{output}")

    def stop(self) -> None:
        """Terminate this anvil process (by its own handle) and wait for it to exit."""
        terminate(self.process)
        self.process = None

    def cleanup(self) -> None:
        self.stop()
        if self.log is not None:
            self.log.close()
            self.log = None
