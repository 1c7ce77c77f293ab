"""Throughput of the demo server (``erc8128 serve``): verified signed POSTs per second.

Run: python benchmarks/bench_server.py [--seconds 10] [--clients 8] [--backends pure,coincurve]

For each backend a ``python -m erc8128 serve`` subprocess is started with ``ERC8128_BACKEND``
set. Agents are registered on an auto-approve project, then every request is signed BEFORE the
timed phase (so client signing does not compete with the server for the CPU): signed POSTs with
a JSON body to the registered-agent route ``/api/projects/{id}/echo`` (verification, the
Principal hook, the replay store and an audit insert on every request). Keep-alive clients
(``http.client`` in threads) then send them for a fixed time. Printed: verified requests/s,
p50 and p99 latency, errors, and replays accepted when a sample of already-accepted requests is
sent again (must be 0).

Targets on a 2-core machine: >= 400 verified req/s pure, >= 1,000 with coincurve.
"""

import argparse
import contextlib
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from erc8128.crypto import accelerate
from erc8128.crypto.accelerate import BackendUnavailable
from erc8128.http.message import Request
from erc8128.protocol.sign import sign_request

# The repository root, for the demo server's client the tests use (tests/support/demo_client.py).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.demo_client import send_request

PUBLIC_URL = "http://bench.test"
TARGETS = {"pure": 400.0, "coincurve": 1000.0}


@dataclass
class Result:
    backend: str
    seconds: float
    verified: int
    errors: int
    latencies: list[float]
    replays_accepted: int
    replays_sent: int

    @property
    def rate(self) -> float:
        return self.verified / self.seconds

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _key(index: int) -> bytes:
    return (index + 1).to_bytes(32, "big")


def _signed(key: bytes, method: str, target: str, body: object | None, created: int,
            ) -> Request:
    headers: tuple[tuple[str, str], ...] = ()
    content = None
    if body is not None:
        content = json.dumps(body, separators=(",", ":")).encode()
        headers = (("Content-Type", "application/json"),)
    request = Request(method, PUBLIC_URL + target, headers, content)
    return sign_request(request, key, created=created).request


def _start(backend: str) -> tuple[subprocess.Popen[str], int]:
    environment = dict(os.environ, ERC8128_BACKEND=backend)
    process = subprocess.Popen(
        [sys.executable, "-m", "erc8128", "serve", "--port", "0", "--quiet",
         "--public-url", PUBLIC_URL, "--max-validity", "300"],
        stdout=subprocess.PIPE, text=True, env=environment,
    )
    return process, listening_port(process)


def listening_port(process: subprocess.Popen[str]) -> int:
    """The port a just-started ``erc8128 serve`` prints on its first line (SystemExit if it
    printed something else: the server did not start)."""
    assert process.stdout is not None
    line = process.stdout.readline()
    if "listening on" not in line:
        process.kill()
        raise SystemExit(f"server did not start: {line!r}")
    return int(line.split("listening on ", 1)[1].split(" ", 1)[0].rsplit(":", 1)[1])


def stop_server(process: subprocess.Popen[str]) -> None:
    """SIGTERM (the server drains and exits), then SIGKILL if it is not gone within 10 s."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def run_backend(backend: str, *, seconds: float, clients: int, per_client: int) -> Result:
    process, port = _start(backend)
    bound_url = f"http://127.0.0.1:{port}"
    try:
        created = int(time.time())
        setup = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        reply = send_request(bound_url, _signed(_key(10_000), "POST", "/api/projects",
                                                {"name": "bench", "auto_approve": True},
                                                created), connection=setup)
        assert reply.status == 201, reply.body
        project_id = reply.json()["id"]
        for client in range(clients):
            reply = send_request(bound_url, _signed(
                _key(client), "POST", f"/api/projects/{project_id}/request-access",
                {"name": f"client-{client}"}, created), connection=setup)
            assert reply.status == 201, reply.body
        setup.close()

        # Pre-sign everything before the timed phase.
        work: list[list[Request]] = [
            [
                _signed(_key(client), "POST", f"/api/projects/{project_id}/echo",
                        {"client": client, "i": i, "payload": "x" * 64}, created)
                for i in range(per_client)
            ]
            for client in range(clients)
        ]
        latencies: list[list[float]] = [[] for _ in range(clients)]
        accepted: list[list[Request]] = [[] for _ in range(clients)]
        errors = [0] * clients
        barrier = threading.Barrier(clients + 1)
        deadline = [0.0]

        def client_loop(client: int) -> None:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            barrier.wait()
            for request in work[client]:
                if time.perf_counter() >= deadline[0]:
                    break
                started = time.perf_counter()
                try:
                    status = send_request(bound_url, request, connection=connection).status
                except (OSError, http.client.HTTPException):
                    errors[client] += 1
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    continue
                latencies[client].append(time.perf_counter() - started)
                if status == 200:
                    accepted[client].append(request)
                else:
                    errors[client] += 1
            connection.close()

        threads = [threading.Thread(target=client_loop, args=(c,)) for c in range(clients)]
        for thread in threads:
            thread.start()
        deadline[0] = time.perf_counter() + seconds
        started = time.perf_counter()
        barrier.wait()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started

        # Replays: a sample of accepted requests sent again must all be refused. Each refusal
        # is a failed verification, which the server budgets per client address (SPEC D34:
        # 64 per 10 s, then 429 and close), so the sample stays under the budget, and a
        # connection the server closes counts as a refusal (never as an acceptance).
        sample = [request for requests in accepted for request in requests[:6]][:48]
        replay_connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        replays_accepted = 0
        for replayed in sample:
            try:
                replays_accepted += send_request(bound_url, replayed,
                                                 connection=replay_connection).status == 200
            except (OSError, http.client.HTTPException):
                replay_connection.close()
                replay_connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        replay_connection.close()
        return Result(
            backend=backend,
            seconds=elapsed,
            verified=sum(len(a) for a in accepted),
            errors=sum(errors),
            latencies=[x for per in latencies for x in per],
            replays_accepted=replays_accepted,
            replays_sent=len(sample),
        )
    finally:
        stop_server(process)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--backends", default="pure,coincurve")
    parser.add_argument("--per-client", type=int, default=0,
                        help="requests pre-signed per client (default: enough for 2,000 req/s)")
    args = parser.parse_args(argv)
    # Pre-signing uses the fastest available backend in THIS process only.
    with contextlib.suppress(BackendUnavailable):
        accelerate.use_backend("coincurve")
    per_client = args.per_client or int(2000 * args.seconds / args.clients) + 50
    print(f"bench_server: {args.clients} keep-alive clients, {args.seconds:.0f} s per backend, "
          f"{per_client} pre-signed POSTs per client, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs")
    status = 0
    for backend in args.backends.split(","):
        try:
            accelerate.load_backend(backend)
        except BackendUnavailable as error:
            print(f"{backend}: not available ({error.reason})")
            continue
        result = run_backend(backend, seconds=args.seconds, clients=args.clients,
                             per_client=per_client)
        target = TARGETS.get(backend)
        verdict = "" if target is None else (
            f", target >= {target:.0f}: {'met' if result.rate >= target else 'MISSED'}"
        )
        print(
            f"{backend}: {result.rate:.0f} verified req/s ({result.verified} in "
            f"{result.seconds:.1f} s), p50 {result.percentile(0.5) * 1e3:.1f} ms, "
            f"p99 {result.percentile(0.99) * 1e3:.1f} ms, errors {result.errors}, "
            f"replays accepted {result.replays_accepted}/{result.replays_sent}{verdict}"
        )
        if result.replays_accepted:
            status = 1
        if result.verified and result.verified >= per_client * args.clients:
            print(f"{backend}: warning: ran out of pre-signed requests; raise --per-client")
    return status


if __name__ == "__main__":
    sys.exit(main())
