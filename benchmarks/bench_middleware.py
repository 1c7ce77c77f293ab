"""Cost of the ERC-8128 middleware under real servers: wrk against uvicorn (ASGI) and gunicorn
(WSGI), a bare app's route against the same app's route behind ``ERC8128Middleware``.

Run: python benchmarks/bench_middleware.py [--seconds 2]
         [--servers uvicorn,gunicorn-sync,gunicorn]
         [--setups 1:memory,1:redis,2:redis] [--signed-requests 8000] [--budget 280]

Needs Debian's ``wrk`` and ``redis-server`` (``apt-get install -y wrk redis-server``) and the
``bench`` extra (``pip install -e '.[bench]'``: uvicorn with uvloop and httptools, gunicorn with
its C parser gunicorn_h1c, which gunicorn uses whenever it is installed; the header line names
what is installed, and ``GUNICORN_CMD_ARGS='--http-parser python'`` runs gunicorn's own Python
parser instead).

What runs, for each server and setup (workers : replay store):

* one server process on a free loopback port, serving the module-level app of this file:
  ``uvicorn`` (``--workers W``, uvloop/httptools when installed); ``gunicorn-sync``
  (``gunicorn --workers W``, gunicorn's default sync worker: one request per connection, the
  server closes it after the answer); ``gunicorn`` (``-k gthread --threads 1``: keep-alive like
  uvicorn, one request at a time per worker; the gthread worker's main thread takes the GIL
  from the request thread while it polls its connections, so any slow route costs it more than
  its own time: the "floor" column shows how much). ``/public`` goes
  straight to the bare app (no middleware code at all); every other path goes through
  ``ERC8128Middleware`` with a ``Gate`` built as users build it: the default policy (draft
  profile, Request-Bound, Non-Replayable, 30 s skew) and the replay store of the setup
  (``MemoryReplayStore``, or ``RedisReplayStore`` on one real redis-server shared by every
  worker, with a key prefix of its own per run);
* wrk, one thread, 8 connections: ``/public`` for ``--seconds``; ``/public`` again with the
  signed requests' headers (the server's own cost of the larger request, reported as "hdr µs",
  not the middleware's); then ``/signed`` with a Lua script that sends each of the pre-signed
  GET requests exactly once (distinct nonces, 8 signer keys, created = signing time, expires =
  created + 300 s: the default policy's maximum window) and stops when the last answer is in;
  then ``/spin`` with the signed headers for ``--seconds``: the control, the bare app after
  spinning as much thread CPU time as ``verify_request`` took in-process just before (no
  middleware); then ``/public`` again; every status is counted (non-2xx must be 0);
* replays: every pre-signed request is sent again over one keep-alive connection to EACH
  worker (so with 2 workers every request reaches a worker other than the one that accepted
  it); every answer must be a refusal: "replays accepted" must be 0;
* in-process, in this process, between the runs: ``verify_request`` of the same requests as the
  server received them (same headers, the same kind of replay store, the Gate's default signer
  key cache), coincurve backend.

Replays need a connection held open to each worker; sync workers close every connection, so
``gunicorn-sync`` runs only the 1-worker setups (the others are skipped, and said so); the
2-worker replay check runs under uvicorn and gunicorn gthread.

Printed per run: public, public + signed headers and signed req/s, the header cost, the
middleware cost per request 1/rate(signed) - 1/rate(public) in µs, the in-process
verify_request time in µs (the mean of the times just before and just after the server's runs)
and its drift (after over before: on a shared machine the host's own speed moves by a third
within minutes, and a drift far from 1.00x says this row's ratio compares figures taken at
different speeds), their ratio (target <= 1.25x), the same cost, time and ratio as CPU
time, the control's ratios ("floor": its cost over the CPU time it spins, wall and CPU: what a
middleware costing nothing beyond verify_request would show under this server, the server's
own per-request overhead on a route that slow), non-2xx and replays accepted. Every route runs
in the same server process with the same flags. The machine is a shared 2-core box: wrk, the
server, Redis and this script share the cores, so the figures are rough; the ratio compares
figures of one run.

The whole script stops by itself: every wait has a timeout and ``--budget`` seconds bound the
run (the remaining setups are skipped, and said so, once it is spent).
"""

import argparse
import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableMapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from erc8128.crypto import accelerate
from erc8128.crypto.key_cache import SignerKeyCache
from erc8128.http.message import Request
from erc8128.integrations import asgi, wsgi
from erc8128.integrations import gate as gate_module
from erc8128.integrations.gate import Gate
from erc8128.protocol.policy import VerifierPolicy
from erc8128.protocol.sign import sign_request
from erc8128.protocol.verify import Verified, verify_request
from erc8128.state.nonces.base import ReplayStore
from erc8128.state.nonces.memory import MemoryReplayStore
from erc8128.state.nonces.redis import RedisReplayStore

BENCH_DIR = Path(__file__).resolve().parent
# The Gate's trusted origin. The servers listen on loopback ports; @authority comes from this
# configuration, never from the Host header (RFC 9110 §7.1), so one signed set serves every run.
PUBLIC_URL = "https://api.bench.test"
PUBLIC_PATH = "/public"
SIGNED_PATH = "/signed"
# The control route: the bare app after spinning the in-process verify_request CPU time. What a
# middleware with no cost of its own beyond verify_request would cost under the same server.
SPIN_PATH = "/spin"
# A worker's verify_request CPU time so far: "count cpu_seconds" (the Gate's calls, timed in the
# worker while it serves the signed run: the same requests, the same moment, the same load).
VERIFY_STATS_PATH = "/verify-stats"
SIGNERS = 8
VALIDITY_SEC = 300  # VerifierPolicy().max_validity_sec
TARGET_RATIO = 1.25
CONNECTIONS = 8
WORKER_HEADER = "X-Worker"

# The server processes read their configuration from these.
NONCES_VARIABLE = "ERC8128_BENCH_NONCES"  # "memory" or a redis:// URL
PREFIX_VARIABLE = "ERC8128_BENCH_PREFIX"  # the Redis key prefix of one run
# The restart watermark's directory of one run (SPEC.md D61): each run is a new deployment of
# the same public URL, whose pre-signed requests an earlier run's watermark would refuse.
STATE_DIR_VARIABLE = "ERC8128_BENCH_STATE_DIR"
SPIN_VARIABLE = "ERC8128_BENCH_SPIN_US"  # the control route's CPU time per request, µs
BACKEND = "coincurve"
# The --servers names: the WSGI ones are gunicorn with one of its worker classes.
SERVERS: Final = ("uvicorn", "gunicorn-sync", "gunicorn")
GUNICORN_WORKERS: Final = {"gunicorn-sync": ["--worker-class", "sync"],
                           "gunicorn": ["--worker-class", "gthread", "--threads", "1",
                                        "--keep-alive", "30"]}


# ------------------------------------------------------------------------------------------
# The apps the servers run (imported by uvicorn / gunicorn from this file).
# ------------------------------------------------------------------------------------------

def _replay_store(spec: str, prefix: str) -> ReplayStore:
    if spec == "memory":
        return MemoryReplayStore()
    return RedisReplayStore(spec, prefix=prefix)


# [calls, thread CPU seconds] of verify_request in this worker process.
_VERIFY_CPU: list[float] = [0, 0.0]


def _time_the_gates_verify_request() -> None:
    """Wrap the Gate's verify_request (in this server process only) in a thread-CPU clock:
    two clock reads per request, which the middleware's measured cost then includes."""
    original = gate_module.verify_request

    def timed(*args: Any, **kwargs: Any) -> Verified:
        began = time.thread_time()
        try:
            return original(*args, **kwargs)
        finally:
            _VERIFY_CPU[1] += time.thread_time() - began
            _VERIFY_CPU[0] += 1

    if getattr(original, "__name__", "") != "timed":
        gate_module.verify_request = timed  # type: ignore[assignment]


def _verify_stats() -> bytes:
    return f"{_VERIFY_CPU[0]:.0f} {_VERIFY_CPU[1]:.9f}".encode()


def _gate_from_environment() -> Gate:
    accelerate.use_backend(BACKEND)
    _time_the_gates_verify_request()
    nonces = _replay_store(os.environ.get(NONCES_VARIABLE, "memory"),
                           os.environ.get(PREFIX_VARIABLE, "erc8128:bench:"))
    return Gate(PUBLIC_URL, nonces=nonces, state_dir=os.environ[STATE_DIR_VARIABLE])


Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def _spin_seconds() -> float:
    return float(os.environ.get(SPIN_VARIABLE, "0")) / 1e6


def spin(seconds: float) -> None:
    """Burn ``seconds`` of this thread's CPU time (the control route's stand-in for verify)."""
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


async def bare_asgi(scope: Scope, receive: Receive, send: Send) -> None:
    """The application itself: a fixed 2-byte answer naming the worker process."""
    worker = str(os.getpid()).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"), (b"x-worker", worker)]})
    await send({"type": "http.response.body", "body": b"ok"})


def asgi_app() -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """``uvicorn --factory bench_middleware:asgi_app``: /public bare, the rest guarded."""
    guarded = asgi.ERC8128Middleware(bare_asgi, _gate_from_environment())
    spin_seconds = _spin_seconds()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("path") == PUBLIC_PATH:
            await bare_asgi(scope, receive, send)
        elif scope.get("path") == SPIN_PATH:
            spin(spin_seconds)
            await bare_asgi(scope, receive, send)
        elif scope.get("path") == VERIFY_STATS_PATH:
            stats = _verify_stats()
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-length", str(len(stats)).encode()),
                                    (b"x-worker", str(os.getpid()).encode())]})
            await send({"type": "http.response.body", "body": stats})
        else:
            await guarded(scope, receive, send)

    return app


def bare_wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2"),
                              (WORKER_HEADER, str(os.getpid()))])
    return [b"ok"]


def wsgi_app() -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    """``gunicorn 'bench_middleware:wsgi_app()'``: /public bare, the rest guarded."""
    guarded = wsgi.ERC8128Middleware(bare_wsgi, _gate_from_environment())
    spin_seconds = _spin_seconds()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == PUBLIC_PATH:
            return bare_wsgi(environ, start_response)
        if environ.get("PATH_INFO") == SPIN_PATH:
            spin(spin_seconds)
            return bare_wsgi(environ, start_response)
        if environ.get("PATH_INFO") == VERIFY_STATS_PATH:
            stats = _verify_stats()
            start_response("200 OK", [("Content-Length", str(len(stats))),
                                      (WORKER_HEADER, str(os.getpid()))])
            return [stats]
        return guarded(environ, start_response)

    return app


# ------------------------------------------------------------------------------------------
# The load: pre-signed requests and the wrk script that sends each one once.
# ------------------------------------------------------------------------------------------

# Arguments: [FILE PATH [once]]. Without FILE: GET /public until wrk's -d ends. With FILE (one
# "Signature-Input<TAB>Signature" line per request): GET PATH with those headers, cycling until
# -d ends, or with "once" each exactly once, then stop when the last answer is in. Counts the
# answers that are not 2xx; done() prints one JSON line.
WRK_SCRIPT = r"""
-- Globals, not locals: done() reads them through thread:get.
requests, count, once, sent, answered, non2xx, verified_call = {}, 0, false, 0, 0, 0, false
first_sent_us, last_answer_us = 0, 0
local threads = {}

-- wrk's own duration is always its -d (its main thread sleeps that long): the time is taken
-- here, from the first request to the last answer, with the monotonic clock; and once every
-- request of a "once" run is answered, SIGINT to wrk itself ends its sleep (wrk stops).
local ffi = require("ffi")
ffi.cdef[[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clock_id, bench_timespec *tp);
  int getpid(void);
  int kill(int pid, int sig);
]]
local timespec = ffi.new("bench_timespec")
local function now_us()
  ffi.C.clock_gettime(1, timespec)  -- CLOCK_MONOTONIC
  return tonumber(timespec.tv_sec) * 1000000 + tonumber(timespec.tv_nsec) / 1000
end

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  public = wrk.format("GET", "/public")  -- in init: wrk's host is set by then
  local file, path = args[1], args[2] or "/public"
  once = args[3] == "once"
  if file then
    for line in io.lines(file) do
      local tab = line:find("\t", 1, true)
      local headers = {}
      headers["Signature-Input"] = line:sub(1, tab - 1)
      headers["Signature"] = line:sub(tab + 1)
      count = count + 1
      requests[count] = wrk.format("GET", path, headers)
    end
  end
end

function delay()
  if once and sent >= count then
    return 60000  -- every signed request is out: hold the connections until the answers are in
  end
  return 0
end

function request()
  if not verified_call then
    -- wrk calls request() once on the first thread's state before the run, to count the
    -- requests a call returns (pipelining), and never sends that one: it gets the public one.
    verified_call = true
    return public
  end
  sent = sent + 1
  if sent == 1 then
    first_sent_us = now_us()
  end
  if count == 0 or (once and sent > count) then
    return public  -- (once) a connection that asked before delay() held it: answered 200
  end
  return requests[(sent - 1) % count + 1]
end

function response(status, headers, body)
  answered = answered + 1
  last_answer_us = now_us()
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
  if once and sent >= count and answered >= sent then
    wrk.thread:stop()
    ffi.C.kill(ffi.C.getpid(), 2)  -- SIGINT
  end
end

function done(summary, latency, requests)
  local non2xx_total, count_total, answered_total = 0, 0, 0
  local first, last = math.huge, 0
  for _, thread in ipairs(threads) do
    first = math.min(first, thread:get("first_sent_us"))
    last = math.max(last, thread:get("last_answer_us"))
    non2xx_total = non2xx_total + thread:get("non2xx")
    if thread:get("once") then
      count_total = count_total + thread:get("count")
    end
    answered_total = answered_total + thread:get("answered")
  end
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "signed": %d, "answered": %d, "duration_us": %d, "non2xx": %d, '
    .. '"socket_errors": %d}\n',
    summary.requests, count_total, answered_total, last - first, non2xx_total,
    errors.connect + errors.read + errors.write + errors.timeout))
end
"""


@dataclass(frozen=True)
class Signed:
    signature_input: str
    signature: str

    def request(self, extra: tuple[tuple[str, str], ...] = ()) -> Request:
        """The request as the server receives it (wrk adds Host; the Gate adds the origin)."""
        return Request("GET", PUBLIC_URL + SIGNED_PATH, (
            *extra, ("Signature-Input", self.signature_input), ("Signature", self.signature)))


def _signer_key(index: int) -> bytes:
    return (0xB00 + index % SIGNERS).to_bytes(32, "big")


def _sign_batch(job: tuple[int, int, int]) -> list[tuple[str, str]]:
    start, stop, created = job
    accelerate.use_backend(BACKEND)
    batch = []
    for index in range(start, stop):
        signed = sign_request(Request("GET", PUBLIC_URL + SIGNED_PATH), _signer_key(index),
                              created=created, expires=created + VALIDITY_SEC)
        headers = dict(signed.request.headers)
        batch.append((headers["Signature-Input"], headers["Signature"]))
    return batch


def presign(count: int, created: int) -> list[Signed]:
    """``count`` signed GET /signed requests with distinct nonces, signed on every core."""
    step = max(1, count // 8)
    jobs = [(start, min(count, start + step), created) for start in range(0, count, step)]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return [Signed(*pair) for batch in pool.map(_sign_batch, jobs) for pair in batch]


# ------------------------------------------------------------------------------------------
# Processes: redis-server and the HTTP servers, on free loopback ports.
# ------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait(ready: Callable[[], bool], process: subprocess.Popen[bytes], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if ready():
            return True
        time.sleep(0.05)
    return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group this script started (the server and its workers)."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextlib.contextmanager
def redis_server(directory: str) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server not found: apt-get install -y redis-server")
    port = free_port()
    process = subprocess.Popen(
        # Persistent as a deployment should run it (SPEC.md D74): the Gate then warns nothing.
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes",
         "--appendfsync", "everysec",
         "--dir", directory, "--logfile", ""],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )

    def ping() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    try:
        if not _wait(ping, process, 10):
            raise SystemExit("redis-server did not answer PING")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        _stop(process)


def _get(port: int, path: str, connection: http.client.HTTPConnection | None = None,
         headers: Sequence[tuple[str, str]] = ()) -> tuple[int, str]:
    """(status, worker pid) of one GET over ``connection`` (a new one when None)."""
    own = connection is None
    connection = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest("GET", path, skip_accept_encoding=True)
        for name, value in headers:
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader(WORKER_HEADER) or ""
    finally:
        if own:
            connection.close()


def server_command(server: str, port: int, workers: int) -> list[str]:
    if server == "uvicorn":
        return [sys.executable, "-m", "uvicorn", "--factory", "bench_middleware:asgi_app",
                "--app-dir", str(BENCH_DIR), "--host", "127.0.0.1", "--port", str(port),
                "--workers", str(workers), "--lifespan", "off", "--no-access-log",
                "--log-level", "warning"]
    return [sys.executable, "-m", "gunicorn", "bench_middleware:wsgi_app()",
            "--pythonpath", str(BENCH_DIR), "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers), *GUNICORN_WORKERS[server], "--log-level", "warning"]


@contextlib.contextmanager
def http_server(server: str, workers: int, nonces: str, prefix: str, spin_us: float = 0.0
                ) -> Iterator[tuple[int, int]]:
    """(port, process group) of a server on a free port, ready when every worker answered."""
    for _attempt in range(3):  # the probed port may be taken before the server binds it
        state_dir = tempfile.mkdtemp(prefix="erc8128-bench-state-")
        environment = dict(os.environ, **{NONCES_VARIABLE: nonces, PREFIX_VARIABLE: prefix,
                                          STATE_DIR_VARIABLE: state_dir,
                                          SPIN_VARIABLE: f"{spin_us:.1f}"})
        port = free_port()
        process = subprocess.Popen(server_command(server, port, workers), env=environment,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   start_new_session=True)
        try:
            if _wait(lambda port=port: _ready(port, workers), process, 30):
                yield port, process.pid  # start_new_session: its group id is its pid
                return
        finally:
            _stop(process)
            shutil.rmtree(state_dir, ignore_errors=True)
    raise SystemExit(f"{server} did not start on a free port")


def _ready(port: int, workers: int) -> bool:
    try:
        connections = _workers(port, workers, attempts=4 * workers)
        for connection in connections.values():
            connection.close()
        return len(connections) == workers
    except (OSError, http.client.HTTPException):
        return False


def _workers(port: int, workers: int, attempts: int = 256
             ) -> dict[str, http.client.HTTPConnection]:
    """One open keep-alive connection to each worker process (found by its X-Worker answer)."""
    found: dict[str, http.client.HTTPConnection] = {}
    spare: list[http.client.HTTPConnection] = []
    for _ in range(attempts):
        if len(found) == workers:
            break
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        status, worker = _get(port, PUBLIC_PATH, connection)
        if status == 200 and worker and worker not in found:
            found[worker] = connection
        else:
            spare.append(connection)  # kept open meanwhile, so the next lands elsewhere
            # A worker that has just answered often wins the next accept too (gunicorn's
            # workers race for the listening socket): a pause lets every worker wait again.
            time.sleep(0.01)
    for connection in spare:
        connection.close()
    return found


# ------------------------------------------------------------------------------------------
# Measurements.
# ------------------------------------------------------------------------------------------

def group_cpu_seconds(group: int) -> float:
    """User + system CPU seconds of every live process in process group ``group`` (the server
    this script started: its supervisor and its workers), from /proc/PID/stat."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            text = (Path("/proc") / entry / "stat").read_text()
        except OSError:
            continue  # exited meanwhile
        # "pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
        # utime stime ...": fields after the last ")" (comm may contain spaces).
        fields = text[text.rindex(")") + 2:].split()
        if int(fields[2]) == group:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


@dataclass(frozen=True)
class WrkRun:
    requests: int
    seconds: float
    non2xx: int
    socket_errors: int
    server_cpu_seconds: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_us(self) -> float:
        """Server CPU time per answered request, µs (every worker and the supervisor)."""
        return self.server_cpu_seconds / self.requests * 1e6


def wrk(port: int, *, seconds: float, script: Path, timeout: float, server_group: int,
        requests_file: Path | None = None, path: str = PUBLIC_PATH, once: bool = False
        ) -> WrkRun:
    """One wrk run: GET /public, or the pre-signed requests to ``path`` (``once``: each once)."""
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s",
               "--timeout", "10s", "-s", str(script), f"http://127.0.0.1:{port}"]
    if requests_file is not None:
        command += ["--", str(requests_file), path, *(["once"] if once else [])]
    cpu_before = group_cpu_seconds(server_group)
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                            check=False)
    cpu = group_cpu_seconds(server_group) - cpu_before
    if result.returncode != 0:
        raise SystemExit(f"wrk failed ({result.returncode}): {result.stdout}{result.stderr}")
    line = next(text for text in result.stdout.splitlines() if text.startswith("{"))
    figures = json.loads(line)
    if figures["signed"] and figures["answered"] < figures["signed"]:
        raise SystemExit(f"wrk: {figures['answered']} of {figures['signed']} signed requests "
                         f"answered within -d{seconds:.0f}s")
    # A signed run counts its signed requests only (a few public ones may follow the last).
    requests = figures["signed"] or figures["answered"]
    return WrkRun(requests, figures["duration_us"] / 1e6, figures["non2xx"],
                  figures["socket_errors"], cpu)


def worker_verify_cpu(port: int, workers: int) -> tuple[int, float]:
    """(calls, CPU seconds) of verify_request so far, summed over the server's workers."""
    calls, seconds = 0, 0.0
    for connection in _workers(port, workers).values():
        try:
            connection.request("GET", VERIFY_STATS_PATH)
            text = connection.getresponse().read().decode()
        finally:
            connection.close()
        count, cpu = text.split()
        calls, seconds = calls + int(count), seconds + float(cpu)
    return calls, seconds


def replays(port: int, workers: int, signed: Sequence[Signed]) -> tuple[int, int, int]:
    """Send each of ``signed`` again to each worker: (sent, accepted, workers reached)."""
    connections = _workers(port, workers)
    accepted = [0] * len(connections)
    sent = [0] * len(connections)

    def replay(index: int, connection: http.client.HTTPConnection) -> None:
        for item in signed:
            status, _ = _get(port, SIGNED_PATH, connection, (
                ("Signature-Input", item.signature_input), ("Signature", item.signature)))
            sent[index] += 1
            accepted[index] += 200 <= status <= 299

    threads = [threading.Thread(target=replay, args=(index, connection), daemon=True)
               for index, connection in enumerate(connections.values())]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for connection in connections.values():
        connection.close()
    return sum(sent), sum(accepted), len(connections)


def in_process_verify_us(signed: Sequence[Signed], nonces: ReplayStore, port: int
                         ) -> tuple[float, float]:
    """Median wall and CPU µs of verify_request over ``signed`` as the Gate runs it: the same
    headers, the same kind of store, a warm signer key cache (the Gate's default)."""
    accelerate.use_backend(BACKEND)
    policy = VerifierPolicy()
    cache = SignerKeyCache()
    host = (("Host", f"127.0.0.1:{port}"),)
    requests = [item.request(host) for item in signed]
    now = int(time.time())
    warm = MemoryReplayStore()
    for request in requests[:SIGNERS]:  # the server's cache is warm after its first requests
        verify_request(request, now=now, nonces=warm, policy=policy, key_cache=cache)
    walls, cpus = [], []
    chunk = max(1, len(requests) // 5)
    for start in range(0, len(requests), chunk):
        part = requests[start:start + chunk]
        began, began_cpu = time.perf_counter(), time.thread_time()
        for request in part:
            verify_request(request, now=now, nonces=nonces, policy=policy, key_cache=cache)
        walls.append((time.perf_counter() - began) / len(part))
        cpus.append((time.thread_time() - began_cpu) / len(part))
    return statistics.median(walls) * 1e6, statistics.median(cpus) * 1e6


def _verify_in_process(signed: Sequence[Signed], store: str, redis_url: str | None,
                       prefix: str, port: int) -> tuple[float, float]:
    nonces: ReplayStore = (RedisReplayStore(redis_url, prefix=prefix + "in-process:")
                           if store == "redis" and redis_url else MemoryReplayStore())
    try:
        return in_process_verify_us(signed, nonces, port)
    finally:
        nonces.close()


@dataclass(frozen=True)
class Result:
    server: str
    workers: int
    store: str
    public: WrkRun
    public_after: WrkRun
    public_headers: WrkRun  # /public sent the same signed headers (not verified)
    signed: WrkRun
    control: WrkRun  # /spin with the signed headers: the bare app after spin_us of CPU
    spin_us: float
    worker_verify_cpu_us: float  # verify_request in the worker during the signed run, CPU µs
    verify_us: float
    verify_cpu_us: float
    # The in-process verify_request time just after the server's runs over the one just before
    # (wall): how far the machine itself drifted while the ratio's two figures were taken.
    verify_drift: float
    replays_sent: int
    replays_accepted: int
    workers_reached: int

    @property
    def public_rate(self) -> float:
        # Mean time per request of the two public runs (before and after the signed one).
        return 2 / (1 / self.public.rate + 1 / self.public_after.rate)

    @property
    def cost_us(self) -> float:
        """The middleware's cost per request: 1/rate(signed) - 1/rate(public), µs."""
        return (1 / self.signed.rate - 1 / self.public_rate) * 1e6

    @property
    def ratio(self) -> float:
        return self.cost_us / self.verify_us

    @property
    def header_cost_us(self) -> float:
        """What the server itself spends on the larger signed request (reading, parsing the
        two extra header fields), not the middleware: 1/rate(public+headers) - 1/rate(public)."""
        return (1 / self.public_headers.rate - 1 / self.public_rate) * 1e6

    @property
    def header_cpu_us(self) -> float:
        """header_cost_us as server CPU per request: the server's own work on the signed
        headers (gunicorn parses them in Python), which cpu_cost_us includes."""
        public_cpu = (self.public.cpu_us + self.public_after.cpu_us) / 2
        return self.public_headers.cpu_us - public_cpu

    @property
    def cpu_cost_us(self) -> float:
        """The same cost as server CPU per request (robust to other load on the machine)."""
        public_cpu = (self.public.cpu_us + self.public_after.cpu_us) / 2
        return self.signed.cpu_us - public_cpu

    @property
    def cpu_ratio(self) -> float:
        return self.cpu_cost_us / self.verify_cpu_us

    @property
    def worker_cpu_ratio(self) -> float:
        """cpu_cost_us over the worker's own verify_request CPU time on the same requests."""
        return self.cpu_cost_us / self.worker_verify_cpu_us

    @property
    def control_ratio(self) -> float:
        """The control route's cost over the CPU time it spins: the ratio a middleware that
        costs nothing beyond verify_request would show under this server (its floor)."""
        return (1 / self.control.rate - 1 / self.public_rate) * 1e6 / self.spin_us

    @property
    def control_cpu_ratio(self) -> float:
        public_cpu = (self.public.cpu_us + self.public_after.cpu_us) / 2
        return (self.control.cpu_us - public_cpu) / self.spin_us

    @property
    def non2xx(self) -> int:
        runs = (self.public, self.public_headers, self.signed, self.control, self.public_after)
        return sum(run.non2xx + run.socket_errors for run in runs)

    def row(self) -> str:
        # The target is for one worker; with two, the wall cost is spread over both cores.
        verdict = "ok" if self.ratio <= TARGET_RATIO else "over"
        return (f"{self.server:13} {self.workers:>2} {self.store:6} {self.public_rate:8.0f} "
                f"{self.public_headers.rate:8.0f} {self.signed.rate:8.0f} "
                f"{self.header_cost_us:6.1f} {self.cost_us:7.1f} {self.verify_us:7.1f} "
                f"{self.verify_drift:5.2f}x {self.ratio:5.2f}x {verdict:4} {self.cpu_cost_us:7.1f} "
                f"{self.verify_cpu_us:7.1f} {self.cpu_ratio:5.2f}x "
                f"{self.worker_verify_cpu_us:7.1f} {self.worker_cpu_ratio:5.2f}x "
                f"{self.control_ratio:5.2f}x {self.control_cpu_ratio:5.2f}x {self.non2xx:7d} "
                f"{self.replays_accepted:>4}/{self.replays_sent:<6d} {self.workers_reached}")


HEADER = (f"{'server':13} {'w':>2} {'store':6} {'public/s':>8} {'+hdrs/s':>8} {'signed/s':>8} "
          f"{'hdr µs':>6} {'cost µs':>7} {'verify':>7} {'drift':>6} {'ratio':>6} {'':4} "
          f"{'cpu µs':>7} {'verify':>7} "
          f"{'ratio':>6} {'wverify':>7} {'wratio':>6} {'floor':>6} {'cpu fl':>6} {'non-2xx':>7} "
          f"replays acc/sent  workers")


def run_setup(server: str, workers: int, store: str, *, signed: Sequence[Signed], seconds: float,
              replay_count: int, redis_url: str | None, directory: Path, run_id: str
              ) -> Result:
    nonces = redis_url if store == "redis" else "memory"
    assert nonces is not None
    prefix = f"erc8128:bench:{run_id}:{server}:{workers}:"
    script = directory / "bench.lua"
    requests_file = directory / "signed.txt"
    requests_file.write_text("".join(f"{s.signature_input}\t{s.signature}\n" for s in signed))
    bound = 10 * seconds + 60
    # The in-process time is taken just before and just after the server's runs, on halves of
    # the same requests (each with a store of its own), and averaged: load that other work puts
    # on a shared machine drifts, and this brackets the runs it is compared with.
    sample = signed[: min(len(signed), 2000)]
    half = len(sample) // 2
    verify_before = _verify_in_process(sample[:half], store, redis_url, prefix + "before:", 0)
    with http_server(server, workers, nonces, prefix, verify_before[1]) as (port, group):
        public = wrk(port, seconds=seconds, script=script, timeout=bound, server_group=group)
        public_headers = wrk(port, seconds=seconds, script=script, timeout=bound,
                             server_group=group, requests_file=requests_file)
        calls_before, verify_cpu_before = worker_verify_cpu(port, workers)
        signed_run = wrk(port, seconds=bound - 30, script=script, timeout=bound,
                         server_group=group, requests_file=requests_file, path=SIGNED_PATH,
                         once=True)
        calls_after, verify_cpu_after = worker_verify_cpu(port, workers)
        calls = max(1, calls_after - calls_before)
        worker_verify_cpu_us = (verify_cpu_after - verify_cpu_before) / calls * 1e6
        control = wrk(port, seconds=seconds, script=script, timeout=bound, server_group=group,
                      requests_file=requests_file, path=SPIN_PATH)
        public_after = wrk(port, seconds=seconds, script=script, timeout=bound,
                           server_group=group)
        replayed = signed[:replay_count] if replay_count else signed
        replays_sent, replays_accepted, reached = replays(port, workers, replayed)
    verify_after = _verify_in_process(sample[half:], store, redis_url, prefix + "after:", port)
    verify_us = (verify_before[0] + verify_after[0]) / 2
    verify_cpu_us = (verify_before[1] + verify_after[1]) / 2
    return Result(server, workers, store, public, public_after, public_headers, signed_run,
                  control, verify_before[1], worker_verify_cpu_us, verify_us,
                  verify_cpu_us, verify_after[0] / verify_before[0], replays_sent,
                  replays_accepted, reached)


def _implementations() -> str:
    parts = []
    for module in ("uvloop", "httptools", "uvicorn", "gunicorn", "gunicorn_h1c"):
        try:
            imported = __import__(module)
            parts.append(f"{module} {getattr(imported, '__version__', '?')}")
        except ImportError:
            parts.append(f"{module} missing")
    return ", ".join(parts)


def run(*, servers: Sequence[str], setups: Sequence[tuple[int, str]], seconds: float,
        signed_requests: int, replay_count: int, budget: float, rounds: int = 1,
        out: Callable[[str], None] = print) -> list[Result]:
    """Every (server, setup) run, ``rounds`` times (interleaved, so that other load on the
    machine falls on every setup alike); prints a header line, one row per run and, with
    several rounds, the median ratios of each setup."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: apt-get install -y wrk")
    deadline = time.monotonic() + budget
    out(f"bench_middleware: wrk -t1 -c{CONNECTIONS}, GET {PUBLIC_PATH} (bare app) vs "
        f"{SIGNED_PATH} (ERC8128Middleware, default Gate), {BACKEND}; {_implementations()}; "
        f"{os.cpu_count()} cores (shared)")
    results: list[Result] = []
    run_id = str(os.getpid())
    with tempfile.TemporaryDirectory(prefix="erc8128-bench-") as temporary:
        directory = Path(temporary)
        (directory / "bench.lua").write_text(WRK_SCRIPT)
        with contextlib.ExitStack() as stack:
            redis_url = (stack.enter_context(redis_server(temporary))
                         if any(store == "redis" for _, store in setups) else None)
            created = int(time.time())
            signed = presign(signed_requests, created)
            out(f"pre-signed {len(signed)} GET {SIGNED_PATH} requests ({SIGNERS} signers, "
                f"distinct nonces) in {time.time() - created:.1f} s")
            out(HEADER)
            plan = [(round_index, server, workers, store) for round_index in range(rounds)
                    for server in servers for workers, store in setups]
            for round_index, server, workers, store in plan:
                if time.monotonic() > deadline:
                    out(f"{server:13} {workers:>2} {store:6} skipped: --budget spent")
                    continue
                if server == "gunicorn-sync" and workers > 1:
                    out(f"{server:13} {workers:>2} {store:6} skipped: sync workers close each "
                        "connection, so no replay can be sent to a chosen worker")
                    continue
                if time.time() > created + VALIDITY_SEC - 60:
                    created = int(time.time())
                    signed = presign(signed_requests, created)
                result = run_setup(server, workers, store, signed=signed, seconds=seconds,
                                   replay_count=replay_count, redis_url=redis_url,
                                   directory=directory, run_id=f"{run_id}:{round_index}")
                results.append(result)
                out(result.row())
    if rounds > 1:
        for server in servers:
            for workers, store in setups:
                same = [r for r in results
                        if (r.server, r.workers, r.store) == (server, workers, store)]
                if same:
                    out(f"median of {len(same)}: {server} {workers} {store}: "
                        f"cost {statistics.median(r.cost_us for r in same):.1f} µs, "
                        f"verify {statistics.median(r.verify_us for r in same):.1f} µs, "
                        f"ratio {statistics.median(r.ratio for r in same):.2f}x; "
                        f"cpu cost {statistics.median(r.cpu_cost_us for r in same):.1f} µs, "
                        f"verify {statistics.median(r.verify_cpu_us for r in same):.1f} µs, "
                        f"ratio {statistics.median(r.cpu_ratio for r in same):.2f}x; "
                        f"worker's verify cpu "
                        f"{statistics.median(r.worker_verify_cpu_us for r in same):.1f} µs, "
                        f"ratio {statistics.median(r.worker_cpu_ratio for r in same):.2f}x; "
                        f"floor (the spin control) "
                        f"{statistics.median(r.control_ratio for r in same):.2f}x, cpu "
                        f"{statistics.median(r.control_cpu_ratio for r in same):.2f}x; "
                        f"server's own cpu on the signed headers "
                        f"{statistics.median(r.header_cpu_us for r in same):.1f} µs")
    return results


def _setups(text: str) -> list[tuple[int, str]]:
    setups = []
    for part in text.split(","):
        workers, _, store = part.partition(":")
        if store not in ("memory", "redis") or not workers.isdigit():
            raise argparse.ArgumentTypeError(f"expected W:memory or W:redis, got {part!r}")
        setups.append((int(workers), store))
    return setups


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0,
                        help="length of each public run (2)")
    parser.add_argument("--servers", default=",".join(SERVERS),
                        help=f"some of {','.join(SERVERS)} (all)")
    parser.add_argument("--setups", type=_setups, default=_setups("1:memory,1:redis,2:redis"),
                        help="workers:store pairs (1:memory,1:redis,2:redis)")
    parser.add_argument("--signed-requests", type=int, default=8000,
                        help="pre-signed requests, each sent once per run (8000)")
    parser.add_argument("--replays", type=int, default=2000,
                        help="pre-signed requests sent again to each worker (2000; 0: all)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="runs of every setup, interleaved; medians printed when > 1 (1)")
    parser.add_argument("--budget", type=float, default=280.0,
                        help="seconds after which the remaining runs are skipped (280)")
    args = parser.parse_args(argv)
    servers = [name for name in args.servers.split(",") if name]
    for name in servers:
        if name not in SERVERS:
            parser.error(f"expected some of {', '.join(SERVERS)}, got {name!r}")
    results = run(servers=servers, setups=args.setups, seconds=args.seconds,
                  signed_requests=args.signed_requests, replay_count=args.replays,
                  budget=args.budget, rounds=args.rounds)
    failed = [r for r in results if r.non2xx or r.replays_accepted]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
