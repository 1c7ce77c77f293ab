"""Where `erc8128 serve`'s time goes between the socket and the verifier, per request.

Run: python benchmarks/profile_server.py [--backend coincurve] [--seconds 8] [--clients 8]

Drives the server with bench_server.py's load (keep-alive clients sending pre-signed POSTs with
a JSON body to a registered agent's echo route) while the server runs with a timer around each
stage of a request: reading it from the socket (and request_from_wire), App.handle (and inside
it verify_request, the project lookup, the Principal hook's query, the audit write), writing
the answer, the access log. Each stage reports thread CPU time (time.thread_time: work done)
and wall time (perf_counter: work plus waiting for the GIL, the App lock or the client) per
call and per verified request, and the server process's total CPU per verified request.

The timers wrap the server's functions from the outside (this script only); nothing in
erc8128.server is changed. They cost a few microseconds per stage.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
STAGES = (
    # (label, module, attribute path): indentation shows nesting.
    ("handle_one_request", "erc8128.server.frontend", "RequestHandler.handle_one_request"),
    ("  read request (socket, head, body)", "erc8128.server.frontend",
     "RequestHandler._read_request"),
    ("    request_from_wire", "erc8128.server.frontend", "request_from_wire"),
    ("  App.handle", "erc8128.server.app", "App.handle"),
    ("    verify_request", "erc8128.server.app", "verify_request"),
    ("    Storage.project (SELECT)", "erc8128.server.storage", "Storage.project"),
    ("    Storage.agent_status (Principal hook)", "erc8128.server.storage",
     "Storage.agent_status"),
    ("    echo (audit INSERT + COMMIT)", "erc8128.server.handlers.agents", "echo"),
    ("  answer (serialise, write)", "erc8128.server.frontend", "RequestHandler._answer"),
    ("  access log line", "erc8128.server.frontend", "RequestHandler._log_line"),
)


def _rebind_routes(original: Any, wrapped: Any) -> None:
    """A route names its handler directly: a wrapped handler replaces it in the route table."""
    import dataclasses  # noqa: PLC0415

    from erc8128.server import app, routes  # noqa: PLC0415

    rebound = tuple(
        dataclasses.replace(route, handler=wrapped) if route.handler is original else route
        for route in routes.ROUTES
    )
    routes.ROUTES = app.ROUTES = rebound


def _serve_instrumented(stats_path: str, serve_argv: list[str]) -> int:
    """In the server process: wrap every stage with timers, serve, dump the totals on exit."""
    import importlib  # noqa: PLC0415

    totals: dict[str, list[float]] = {label: [0, 0.0, 0.0] for label, _, _ in STAGES}
    lock = threading.Lock()

    def timed(label: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            cpu_start, wall_start = time.thread_time(), time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                cpu = time.thread_time() - cpu_start
                wall = time.perf_counter() - wall_start
                with lock:
                    entry = totals[label]
                    entry[0] += 1
                    entry[1] += cpu
                    entry[2] += wall

        return wrapper

    for label, module_name, attribute in STAGES:
        owner: Any = importlib.import_module(module_name)
        *path, name = attribute.split(".")
        for part in path:
            owner = getattr(owner, part)
        original = getattr(owner, name)
        wrapped = timed(label, original)
        setattr(owner, name, wrapped)
        _rebind_routes(original, wrapped)

    started = time.perf_counter()
    from erc8128.cli.serve_cli import main  # noqa: PLC0415 - after the timers are in place

    try:
        return main(serve_argv)
    finally:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        Path(stats_path).write_text(json.dumps({
            "stages": totals,
            "process_cpu": usage.ru_utime + usage.ru_stime,
            "wall": time.perf_counter() - started,
        }))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--backend", default="coincurve")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--db", default=None,
                        help="SQLite file for the app (serve --db; default: in memory, as "
                        "bench_server.py)")
    parser.add_argument("--serve-instrumented", nargs=argparse.REMAINDER, default=None,
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_instrumented is not None:
        stats_path, *serve_argv = args.serve_instrumented
        return _serve_instrumented(stats_path, serve_argv)

    sys.path.insert(0, str(HERE))
    import bench_server  # noqa: PLC0415

    from erc8128.crypto import accelerate  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as directory:
        stats_path = os.path.join(directory, "stats.json")

        def start(backend: str) -> tuple[subprocess.Popen[str], int]:
            environment = dict(os.environ, ERC8128_BACKEND=backend)
            process = subprocess.Popen(
                [sys.executable, __file__, "--serve-instrumented", stats_path, "--port", "0",
                 "--quiet", "--public-url", bench_server.PUBLIC_URL, "--max-validity", "300",
                 *(["--db", args.db] if args.db else [])],
                stdout=subprocess.PIPE, text=True, env=environment,
            )
            return process, bench_server.listening_port(process)

        bench_server._start = start  # type: ignore[attr-defined]
        accelerate.use_backend("coincurve")  # client-side signing only
        per_client = int(2000 * args.seconds / args.clients) + 50
        result = bench_server.run_backend(args.backend, seconds=args.seconds,
                                          clients=args.clients, per_client=per_client)
        for _ in range(50):
            if os.path.exists(stats_path):
                break
            time.sleep(0.1)
        stats = json.loads(Path(stats_path).read_text())

    verified = max(result.verified, 1)
    print(f"profile_server {args.backend}: {result.rate:.0f} verified req/s ({result.verified} in "
          f"{result.seconds:.1f} s), errors {result.errors}, replays accepted "
          f"{result.replays_accepted}/{result.replays_sent}, load average "
          f"{os.getloadavg()[0]:.2f}")
    print(f"server process CPU {stats['process_cpu']:.2f} s: "
          f"{stats['process_cpu'] / verified * 1e3:.3f} ms per verified request "
          "(setup requests and replays included)")
    print(f"{'stage':42} {'calls':>6} {'cpu ms/call':>11} {'wall ms/call':>12} "
          f"{'cpu ms/req':>10} {'cpu share':>9}")
    for label, (calls, cpu, wall) in stats["stages"].items():
        if not calls:
            continue
        print(f"{label:42} {int(calls):6d} {cpu / calls * 1e3:11.3f} {wall / calls * 1e3:12.3f} "
              f"{cpu / verified * 1e3:10.3f} {cpu / stats['process_cpu']:9.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
