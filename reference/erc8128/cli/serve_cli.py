"""``erc8128 serve``: run the ERC-8128 demo server (verifier, onboarding app, §7 discovery).

Prints the listening URL on start; SIGTERM and Ctrl-C shut it down cleanly (open connections
are closed, the replay store and the database are closed). See docs/API.md for the routes.
"""

import argparse
import signal
import sys
import threading
import time
from collections.abc import Sequence
from types import FrameType
from typing import Any

from erc8128.chain.rpc import RpcAccountState
from erc8128.cli.command import add_command, run_alone
from erc8128.cli.options import (
    PROFILE_CHOICES,
    add_rpc,
    add_served_chains,
    add_verifier_profiles,
    rpc_pairs,
    served_chain_ids,
)
from erc8128.crypto import accelerate
from erc8128.errors import Erc8128Error
from erc8128.server.lifecycle import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    ServerConfig,
    start_server,
)
from erc8128.state.restart_watermark import default_state_dir


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help="port to bind (8128; 0 picks a free port)")
    parser.add_argument("--public-url", default=None,
                        help="trusted origin of every signed request, e.g. https://api.example "
                        "(default http://HOST:PORT); @scheme and @authority come from it")
    add_verifier_profiles(parser)
    parser.add_argument("--nonces", default="memory",
                        help="replay store and early-invalidation state (shared by every "
                        "instance on the same backend): memory, sqlite:PATH or "
                        "redis://HOST:PORT/DB")
    parser.add_argument("--state-dir", default=None, metavar="DIR",
                        help="directory of the restart watermark, one small file per served "
                        "origin: nothing accepted before a restart is accepted after it "
                        "(default $XDG_STATE_HOME/erc8128, else ~/.local/state/erc8128; "
                        "SPEC.md D61)")
    parser.add_argument("--no-restart-guard", dest="restart_guard", action="store_false",
                        help="keep no restart watermark: a request accepted before a restart "
                        "may be accepted again after it (a warning says so at start)")
    parser.add_argument("--require-durable-replay-state", action="store_true",
                        help="refuse to start unless the replay store keeps its marks across a "
                        "restart of its backend (sqlite:PATH, or Redis with appendonly yes); "
                        "without it a Redis store that may forget gets a warning (SPEC.md D74)")
    parser.add_argument("--db", default=None,
                        help="SQLite file for projects, agents and the audit log (default: "
                        "memory, lost on restart; a warning says so at start)")
    parser.add_argument("--backend", default=None, metavar="NAME",
                        help="crypto backend: pure, pycryptodome or coincurve (default: "
                        "$ERC8128_BACKEND, else pure); checked at start")
    parser.add_argument("--tls-cert", default=None, help="PEM certificate chain for HTTPS")
    parser.add_argument("--tls-key", default=None, help="PEM private key for HTTPS")
    parser.add_argument("--max-validity", type=int, default=300,
                        help="maximum expires - created in seconds (300)")
    parser.add_argument("--skew", type=int, default=30, help="allowed clock skew in seconds (30)")
    add_served_chains(parser)
    add_rpc(parser)
    parser.add_argument("--name", default="ERC-8128 demo server",
                        help="name in the discovery document")
    parser.add_argument("--quiet", action="store_true", help="no access log on stderr")


def config_from_args(args: argparse.Namespace) -> ServerConfig:
    profiles: tuple[Any, ...] = PROFILE_CHOICES[args.profile]
    rpc = rpc_pairs(args.rpc)
    rpc_chain_ids = RpcAccountState.from_urls(dict(rpc)).chain_ids if rpc else frozenset()
    return ServerConfig(
        host=args.host,
        port=args.port,
        public_url=args.public_url,
        profiles=profiles,
        nonces=args.nonces,
        db=args.db,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        max_validity_sec=args.max_validity,
        skew_sec=args.skew,
        chains=served_chain_ids(args.chains, rpc_chain_ids),
        rpc=rpc,
        name=args.name,
        access_log=None if args.quiet else sys.stderr,
        # Decision D61: on by default, whatever the replay store.
        state_dir=(args.state_dir or default_state_dir()) if args.restart_guard else None,
        require_durable_replay_state=args.require_durable_replay_state,
    )


def run(args: argparse.Namespace) -> int:
    """Serve until SIGTERM or Ctrl-C; 0 on a clean shutdown; 2 and one line on stderr for a
    configuration error (decision D38)."""
    try:
        if args.backend is not None:
            # The backend is process-wide: the verifier's recoveries and hashes use it.
            accelerate.use_backend(args.backend)
        config = config_from_args(args)
        server = start_server(config, in_thread=False)
    except Erc8128Error as error:
        print(f"erc8128 serve: {error}", file=sys.stderr)
        return 2
    if config.db is None or config.db == ":memory:":
        # Decision D38: app data stays in memory by default (no file appears unasked), and the
        # operator is told once, at start.
        print("erc8128 serve: warning: no --db: projects, agents, invites and the audit log "
              "are kept in memory and lost when the server stops", file=sys.stderr, flush=True)
    stopping = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        # shutdown() waits for serve_forever to return: call it from another thread.
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=server.http_server.shutdown, daemon=True).start()

    previous = signal.signal(signal.SIGTERM, request_stop)
    print(f"erc8128 serve: listening on {server.bound_url} (public URL {server.url})",
          flush=True)
    durability = server.replay_durability
    if durability is not None and not durability.durable:
        # Decision D74: one line, naming the consequence and the two ways out.
        print(f"erc8128 serve: warning: {durability.warning()} (run Redis with appendonly yes, "
              f"or refuse to start with --require-durable-replay-state)",
              file=sys.stderr, flush=True)
    if config.state_dir is None:
        print("erc8128 serve: warning: --no-restart-guard: a request accepted before a restart "
              "may be accepted again after it, inside its validity window", file=sys.stderr,
              flush=True)
    elif server.app.restart_floor is not None:
        # Decision D61: say why a request signed before the restart is refused.
        floor = server.app.restart_floor
        when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(floor))
        print(f"erc8128 serve: restarted: signatures created at or before {floor} ({when}) are "
              f"refused (they may have been accepted before); newer ones are accepted at once",
              file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.stop()
    print("erc8128 serve: stopped", flush=True)
    return 0


def add_parser(subparsers: Any) -> None:
    _configure(add_command(
        subparsers, "serve", run,
        summary="run the ERC-8128 demo server (verifier, onboarding app, discovery)",
    ))


def main(argv: Sequence[str] | None = None) -> int:
    return run_alone("erc8128 serve", __doc__, _configure, run, argv)
