"""App database faults over loopback (issue 11, finding 7; decision D37): a locked database and a
full disk are 503 with Retry-After and a problem body, never 500; a lock held elsewhere is found
before the nonce is consumed; no process-wide lock stalls unrelated requests meanwhile. The disk
is filled with RLIMIT_FSIZE in a child process (the test process keeps its own limits)."""

import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from erc8128.server import ServerConfig, start_server
from tests.support.demo_client import Agent, send, send_request

OWNER = Agent("store-fault owner")

resource = pytest.importorskip("resource")  # POSIX only


def test_locked_database_is_503_before_the_nonce_is_spent(tmp_path: Path) -> None:
    database = tmp_path / "app.db"
    with start_server(ServerConfig(port=0, db=str(database))) as server:
        signed = OWNER.sign(server.url, "POST", "/api/projects", {"name": "locked"})
        blocker = sqlite3.connect(database, isolation_level=None)
        try:
            blocker.execute("BEGIN IMMEDIATE")  # another process's writer, in effect
            unrelated: list[tuple[int, float]] = []

            def read_meanwhile() -> None:
                time.sleep(0.3)
                started = time.monotonic()
                status = send(server.bound_url, "GET", "/api/projects").status
                unrelated.append((status, time.monotonic() - started))

            reader = threading.Thread(target=read_meanwhile)
            reader.start()
            started = time.monotonic()
            reply = send_request(server.bound_url, signed.request)
            waited = time.monotonic() - started
            reader.join(timeout=10)
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert reply.status == 503, reply.body
        assert reply.json()["reason"] == "app_store_busy"
        assert reply.header("Content-Type") == "application/problem+json"
        assert reply.header("Retry-After") == "1"
        assert waited < 5
        # No process-wide lock: a read answered while the write waited for SQLite.
        assert unrelated and unrelated[0][0] == 200
        assert unrelated[0][1] < 1.0, unrelated
        # The nonce was not consumed: the same signed request succeeds once the lock is gone.
        again = send_request(server.bound_url, signed.request)
        assert again.status == 201, again.body


_CHILD = textwrap.dedent("""
    import os, resource, signal, sys
    from erc8128.server import ServerConfig, start_server
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    database = sys.argv[1]
    server = start_server(ServerConfig(port=0, db=database))
    print(server.url, flush=True)
    for line in sys.stdin:
        if line.strip() == "fill":
            sizes = [os.path.getsize(p) for p in (database, database + "-wal")
                     if os.path.exists(p)]
            limit = max(sizes)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
            print("full", flush=True)
        else:
            break
    server.stop()
""")


def test_full_disk_is_503_and_the_server_keeps_serving(tmp_path: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(tmp_path / "app.db")],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdin is not None and child.stdout is not None
        url = child.stdout.readline().strip()
        assert url.startswith("http://"), child.stderr.read() if child.stderr else url
        first = OWNER.sign(url, "POST", "/api/projects", {"name": "before"})
        assert send_request(url, first.request).status == 201
        child.stdin.write("fill\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "full"
        statuses = []
        for index in range(3):
            signed = OWNER.sign(url, "POST", "/api/projects", {"name": "x" * 90 + str(index)})
            reply = send_request(url, signed.request)
            statuses.append(reply.status)
            assert reply.status == 503, reply.body
            assert reply.json()["reason"] == "app_store_unavailable"
            assert reply.header("Retry-After") == "1"
        assert send(url, "GET", "/.well-known/erc8128").status == 200
        assert send(url, "GET", "/api/projects").status == 200
        child.stdin.write("stop\n")
        child.stdin.flush()
        child.wait(timeout=10)
        assert child.stderr is not None
        assert "Traceback" not in child.stderr.read()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=5)
