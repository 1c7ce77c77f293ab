"""A legitimate client's latency on ``erc8128 serve``: unloaded, under bogus candidates, under
slow clients (issue 11, findings 2 and 8), under a many-address connection hold and under costly
inspector pastes (issue 19, findings 1 and 3).

Run: python benchmarks/attack_load.py [--requests 60] [--attackers 8] [--slow 256]
     [--hold-addresses 8] [--hold-per-address 32] [--pasters 4]

A ``python -m erc8128 serve`` subprocess is started; the legitimate client (127.0.0.1) sends
pre-signed ``GET /api/whoami`` requests one after another, each on a new connection, and its
latency is measured in three phases:

* ``unloaded``: nothing else runs;
* ``bogus candidates``: ``--attackers`` keep-alive connections from 127.0.0.2 send, in a loop, a
  request carrying 8 candidates whose signatures recover some other address (every candidate
  costs a full public-key recovery; no key is needed to make them);
* ``slow clients``: ``--slow`` connections from 127.0.0.3 trickle their request line one byte
  every 2 s;
* ``address hold``: ``--hold-addresses`` addresses (127.0.0.2 on) each keep
  ``--hold-per-address`` keep-alive connections and send a cheap unsigned GET on each every 4 s,
  reconnecting whenever one is closed;
* ``costly pastes``: ``--pasters`` addresses (127.0.0.20 on) each POST to ``/api/inspect``, in a
  loop, a paste with 8 bogus candidates and ``replay: true``.

Printed per phase: requests answered 200, other answers (status or connection error), median,
p95 and maximum latency of the 200s in milliseconds. The attackers use other loopback addresses
(Linux routes all of 127/8 to the loopback interface), as distinct hosts would.
"""

import argparse
import contextlib
import json
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from bench_server import listening_port, stop_server

from erc8128.crypto import accelerate
from erc8128.crypto.accelerate import BackendUnavailable
from erc8128.http.message import Request
from erc8128.protocol.sign import sign_request

PUBLIC_URL = "http://bench.test"
LEGIT_KEY = (7).to_bytes(32, "big")
ATTACKER_KEY = (8).to_bytes(32, "big")


@dataclass(frozen=True)
class Phase:
    name: str
    latencies_ms: tuple[float, ...]
    failures: Counter[str]

    def line(self) -> str:
        ordered = sorted(self.latencies_ms)
        if ordered:
            median = statistics.median(ordered)
            p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
            timing = f"median {median:8.1f} ms  p95 {p95:8.1f} ms  max {ordered[-1]:8.1f} ms"
        else:
            timing = "median      n/a     p95      n/a      max      n/a   "
        failed = ", ".join(f"{k} x{v}" for k, v in sorted(self.failures.items())) or "none"
        return f"{self.name:<17} ok {len(ordered):4d}  {timing}  other answers: {failed}"


def _start() -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "erc8128", "serve", "--port", "0", "--quiet",
         "--public-url", PUBLIC_URL, "--max-validity", "300"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    return process, listening_port(process)


def _wire(request: Request, port: int) -> bytes:
    target = "/" + request.target_uri.split("://", 1)[1].split("/", 1)[1]
    lines = [f"{request.method} {target} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    lines += [f"{name}: {value}" for name, value in request.headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _bogus_candidates(created: int, port: int) -> bytes:
    """One request, 8 candidates; each carries the signature made for the next one, so every
    recovery yields some address other than its keyid (and needs a full recovery to find out)."""
    members = []
    for index in range(8):
        signed = sign_request(Request("GET", PUBLIC_URL + "/api/whoami", (), None), ATTACKER_KEY,
                              created=created, expires=created + 300, label=f"eth{index}")
        members.append((signed.request.field_lines("signature-input")[0],
                        signed.request.field_lines("signature")[0].split("=", 1)[1]))
    inputs = ", ".join(signature_input for signature_input, _ in members)
    signatures = ", ".join(f"eth{index}={members[(index + 1) % 8][1]}" for index in range(8))
    headers = (("Signature-Input", inputs), ("Signature", signatures))
    return _wire(Request("GET", PUBLIC_URL + "/api/whoami", headers, None), port)


def _legit_requests(count: int, created: int, port: int) -> list[bytes]:
    return [
        _wire(sign_request(Request("GET", PUBLIC_URL + "/api/whoami", (), None), LEGIT_KEY,
                           created=created, expires=created + 300).request, port)
        for _ in range(count)
    ]


def _read_status(connection: socket.socket) -> int:
    """Read one answer (headers + Content-Length body); its status."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(rest) < length:
        chunk = connection.recv(65536)
        if not chunk:
            break
        rest += chunk
    return int(head.split(b" ", 2)[1])


def _measure(name: str, port: int, requests: list[bytes]) -> Phase:
    latencies: list[float] = []
    failures: Counter[str] = Counter()
    for data in requests:
        started = time.perf_counter()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=30,
                                          source_address=("127.0.0.1", 0)) as connection:
                connection.sendall(data)
                status = _read_status(connection)
        except OSError as error:
            failures[type(error).__name__] += 1
            continue
        if status == 200:
            latencies.append((time.perf_counter() - started) * 1000)
        else:
            failures[str(status)] += 1
    return Phase(name, tuple(latencies), failures)


def _keep_sending(port: int, source: str, data: bytes, stop: threading.Event, *,
                  answered: Callable[[int], None], closed: Callable[[], None]) -> None:
    """Send ``data`` from ``source`` on one keep-alive connection until ``stop``; a connection
    the server closes is reopened after 50 ms."""
    connection: socket.socket | None = None
    while not stop.is_set():
        try:
            if connection is None:
                connection = socket.create_connection(("127.0.0.1", port), timeout=30,
                                                      source_address=(source, 0))
            connection.sendall(data)
            answered(_read_status(connection))
        except OSError:
            closed()
            if connection is not None:
                connection.close()
            connection = None
            time.sleep(0.05)
    if connection is not None:
        connection.close()


def _bogus_load(port: int, data: bytes, stop: threading.Event, sent: list[int]) -> None:
    def count(_status: int) -> None:
        sent[0] += 1

    _keep_sending(port, "127.0.0.2", data, stop, answered=count, closed=lambda: None)


def _slow_load(port: int, count: int, stop: threading.Event, opened: list[int]) -> None:
    sockets: list[socket.socket] = []
    line = b"GET /.well-known/erc8128 HTTP/1.1\r\n"
    position = 0
    try:
        for _ in range(count):
            with contextlib.suppress(OSError):
                sockets.append(socket.create_connection(
                    ("127.0.0.1", port), timeout=5, source_address=("127.0.0.3", 0)))
        opened[0] = len(sockets)
        while not stop.wait(2.0):
            byte = line[position % len(line): position % len(line) + 1]
            position += 1
            for connection in list(sockets):
                try:
                    connection.sendall(byte)
                except OSError:
                    sockets.remove(connection)
                    with contextlib.suppress(OSError):
                        replacement = socket.create_connection(
                            ("127.0.0.1", port), timeout=5, source_address=("127.0.0.3", 0))
                        sockets.append(replacement)
    finally:
        for connection in sockets:
            connection.close()


def _hold_load(port: int, addresses: list[str], per_address: int, stop: threading.Event,
               counts: Counter[str]) -> None:
    """Keep ``per_address`` keep-alive connections open from each address; every 4 s send a
    cheap unsigned GET on each; reopen whatever the server closed."""
    request = f"GET /.well-known/erc8128 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    held: dict[int, socket.socket | None] = dict.fromkeys(range(len(addresses) * per_address))
    try:
        while True:
            for index, kept in list(held.items()):
                connection = kept
                try:
                    if connection is None:
                        connection = socket.create_connection(
                            ("127.0.0.1", port), timeout=5,
                            source_address=(addresses[index // per_address], 0))
                        held[index] = connection
                        counts["opened"] += 1
                    connection.sendall(request)
                    status = _read_status(connection)
                    counts[str(status)] += 1
                except OSError:
                    counts["closed by the server"] += 1
                    if connection is not None:
                        connection.close()
                    held[index] = None
            counts["open"] = sum(c is not None for c in held.values())
            if stop.wait(4.0):
                return
    finally:
        for connection in held.values():
            if connection is not None:
                connection.close()


def _inspector_paste(created: int, port: int) -> bytes:
    """POST /api/inspect of a paste with 8 bogus candidates (the bogus-candidate request) and
    replay: true."""
    raw = _bogus_candidates(created, port).decode("latin-1").replace("\r\n", "\n")
    body = json.dumps({"raw": raw, "public_url": PUBLIC_URL, "now": created,
                       "replay": True}).encode()
    return (f"POST /api/inspect HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode() + body


def _paste_load(port: int, source: str, data: bytes, stop: threading.Event,
                counts: Counter[str]) -> None:
    def count(status: int) -> None:
        counts[str(status)] += 1

    def closed() -> None:
        counts["closed by the server"] += 1

    _keep_sending(port, source, data, stop, answered=count, closed=closed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=60, help="legitimate requests per phase")
    parser.add_argument("--attackers", type=int, default=8, help="bogus-candidate connections")
    parser.add_argument("--slow", type=int, default=256, help="slow-client connections")
    parser.add_argument("--hold-addresses", type=int, default=8,
                        help="addresses holding keep-alive connections")
    parser.add_argument("--hold-per-address", type=int, default=32,
                        help="keep-alive connections per holding address")
    parser.add_argument("--pasters", type=int, default=4,
                        help="addresses posting costly inspector pastes")
    args = parser.parse_args(argv)
    with contextlib.suppress(BackendUnavailable):
        accelerate.use_backend("coincurve")  # client-side signing only; the server runs pure
    process, port = _start()
    try:
        created = int(time.time())
        bogus = _bogus_candidates(created, port)
        phases: list[Phase] = []
        phases.append(_measure("unloaded", port, _legit_requests(args.requests, created, port)))

        def under_load(
            name: str, load: list[threading.Thread], stop: threading.Event, *, settle: float
        ) -> Phase:
            """Start ``load``, let it settle, measure the legitimate requests, stop it."""
            for thread in load:
                thread.start()
            time.sleep(settle)
            phase = _measure(name, port, _legit_requests(args.requests, created, port))
            stop.set()
            for thread in load:
                thread.join()
            return phase

        stop = threading.Event()
        sent = [0]
        attackers = [threading.Thread(target=_bogus_load, args=(port, bogus, stop, sent))
                     for _ in range(args.attackers)]
        phases.append(under_load("bogus candidates", attackers, stop, settle=1.0))

        stop = threading.Event()
        opened = [0]
        slow = threading.Thread(target=_slow_load, args=(port, args.slow, stop, opened))
        phases.append(under_load("slow clients", [slow], stop, settle=3.0))

        stop = threading.Event()
        held: Counter[str] = Counter()
        holders = [f"127.0.0.{2 + index}" for index in range(args.hold_addresses)]
        hold = threading.Thread(target=_hold_load,
                                args=(port, holders, args.hold_per_address, stop, held))
        # settle: every connection opened and used once
        phases.append(under_load("address hold", [hold], stop, settle=5.0))

        stop = threading.Event()
        pasted: Counter[str] = Counter()
        paste = _inspector_paste(created, port)
        pasters = [threading.Thread(target=_paste_load,
                                    args=(port, f"127.0.0.{20 + index}", paste, stop, pasted))
                   for index in range(args.pasters)]
        phases.append(under_load("costly pastes", pasters, stop, settle=1.0))

        print(f"attack_load: {args.requests} legitimate signed GET /api/whoami per phase, "
              f"new connection each; {args.attackers} bogus-candidate connections "
              f"({sent[0]} bogus requests answered); {opened[0]} slow connections opened; "
              f"address hold {dict(sorted(held.items()))}; "
              f"pastes {dict(sorted(pasted.items()))}")
        for phase in phases:
            print(phase.line())
    finally:
        stop_server(process)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
