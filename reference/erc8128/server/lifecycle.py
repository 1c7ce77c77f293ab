"""Starting and stopping the demo server: its configuration, its state, its thread.

:func:`start_server` builds the replay store, the app and the HTTP front end from a
:class:`ServerConfig` and serves in a background thread; :class:`RunningServer` has the URL
and ``stop()``. ``erc8128 serve`` and ``erc8128 demo`` both use it, and so do the tests.

Usage::

    from erc8128.server import ServerConfig, start_server
    with start_server(ServerConfig(port=0)) as server:   # port 0: a free port
        print(server.url)                                  # http://127.0.0.1:54321
"""

from __future__ import annotations

import contextlib
import os
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Final, TextIO

from erc8128.chain.rpc import RpcAccountState
from erc8128.crypto import accelerate
from erc8128.errors import ConfigError, Erc8128Error
from erc8128.http.origin import InvalidOrigin, parse_origin
from erc8128.protocol.accounts import AccountState, NoCodeAccountState
from erc8128.protocol.keyid import ProfileName
from erc8128.protocol.policy import VerifierPolicy
from erc8128.server.app import App
from erc8128.server.frontend import FrontEndLimits, VerifierHTTPServer
from erc8128.state.backends import make_invalidation_state, make_replay_store
from erc8128.state.durability import ReplayDurability, replay_durability, require_durable
from erc8128.state.invalidation.base import InvalidationStore
from erc8128.state.nonces.base import ReplayStore
from erc8128.state.nonces.redis import RedisReplayStore
from erc8128.state.restart_watermark import RestartWatermark

DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 8128


@dataclass(frozen=True)
class ServerConfig:
    """Everything ``erc8128 serve`` accepts.

    ``public_url`` is the trusted origin (scheme + authority) of every effective target URI;
    None means ``http://<host>:<bound port>``. ``nonces`` is ``memory``, ``sqlite:PATH`` or a
    ``redis://`` / ``rediss://`` URL; the early-invalidation state (ERC-8128 §5.2) is kept on
    the same backend (:mod:`erc8128.state.backends`). ``db`` is the app's SQLite file (None: in
    memory).
    """

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    public_url: str | None = None
    profiles: tuple[ProfileName, ...] = ("draft",)
    nonces: str = "memory"
    db: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    max_validity_sec: int = 300
    skew_sec: int = 30
    chains: tuple[int, ...] = (1,)
    # ("eip155:<id>", url) pairs: a JSON-RPC node per chain for Universal Account verification
    # (ERC-1271, ERC-6492, EIP-7702). Empty: every account is treated as code-free (local EOA).
    rpc: tuple[tuple[str, str], ...] = ()
    name: str = "ERC-8128 demo server"
    limits: FrontEndLimits = field(default_factory=FrontEndLimits)
    access_log: TextIO | None = None
    # Decision D61 (SPEC.md): the directory of the restart watermark (one small file per served
    # origin), so nothing accepted before a restart is accepted after it, whatever the store and
    # flags. ``erc8128 serve`` gives the user's state directory; None (no watermark) here, for
    # in-process servers whose signers are new.
    state_dir: str | None = None
    # Decision D74 (SPEC.md): refuse to start on a replay store that a restart of its backend
    # may empty (Redis without appendonly yes, memory) instead of warning.
    require_durable_replay_state: bool = False

    def accounts(self) -> AccountState:
        """The account-state provider: JSON-RPC when ``rpc`` names nodes, else local no-code.

        ERC-8128 §3.3.1: "a verifier MUST NOT query another chain" — every served chain needs its
        own node, and each node must report the chain id it is configured for.
        """
        if not self.rpc:
            return NoCodeAccountState()
        provider = RpcAccountState.from_urls(dict(self.rpc))
        missing = sorted(set(self.chains) - provider.chain_ids)
        if missing:
            raise ConfigError(
                "rpc_invalid", f"expected an --rpc node for every served chain, missing {missing}"
            )
        provider.check_chain_ids()
        return provider

    def policy(self) -> VerifierPolicy:
        """The server-wide verifier policy every route's policy derives from."""
        if not self.chains:
            raise ConfigError("chains_invalid", "expected at least one --chain")
        return VerifierPolicy(
            profiles=self.profiles,
            skew_sec=self.skew_sec,
            max_validity_sec=self.max_validity_sec,
            served_chains=frozenset(self.chains),
        )


def public_origin(public_url: str) -> tuple[str, str]:
    """(scheme, authority) of a public URL such as ``https://api.example`` (no path or query),
    parsed by :func:`erc8128.http.origin.parse_origin` like every other verifier's."""
    try:
        origin = parse_origin(public_url)
    except InvalidOrigin as error:
        raise ConfigError("public_url_invalid", f"--public-url: {error.message}") from None
    return origin.scheme, origin.authority


def _ssl_context(config: ServerConfig) -> ssl.SSLContext | None:
    if config.tls_cert is None and config.tls_key is None:
        return None
    if config.tls_cert is None or config.tls_key is None:
        raise ConfigError("tls_invalid", "expected both --tls-cert and --tls-key")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(config.tls_cert, config.tls_key)
    except (OSError, ssl.SSLError) as error:
        # The key file's content is never echoed, only that loading failed.
        raise ConfigError("tls_invalid", f"cannot load the TLS certificate/key: "
                          f"{type(error).__name__}") from None
    return context


class RunningServer:
    """A server serving in a background thread; ``stop()`` (or ``with``) shuts it down."""

    def __init__(self, http_server: VerifierHTTPServer, app: App, nonces: ReplayStore,
                 url: str, bound_url: str) -> None:
        self.http_server = http_server
        self.app = app
        self.nonces = nonces
        self.url = url  # the public URL (the origin signatures are bound to)
        self.bound_url = bound_url  # where the socket listens
        # Decision D74: what a restart of the Redis replay store keeps (None: not Redis).
        self.replay_durability: ReplayDurability | None = None
        self._thread: threading.Thread | None = None
        self._serving = False  # serve_forever was (or is about to be) entered
        self._stopped = False
        self._lock = threading.Lock()

    @property
    def port(self) -> int:
        return self.http_server.server_port

    def serve_forever(self) -> None:
        """Serve in the calling thread until :meth:`stop` is called from another thread."""
        self._serving = True
        self.http_server.serve_forever(poll_interval=0.2)

    def start_thread(self) -> RunningServer:
        self._serving = True
        self._thread = threading.Thread(
            target=self.serve_forever, name=f"erc8128-serve-{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, close open connections, wait for their threads, close the state."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        if self._serving:
            # BaseServer.shutdown waits for serve_forever to return: only if it ever ran.
            self.http_server.shutdown()
        self.http_server.close_connections()
        self.http_server.server_close()  # joins the connection threads (block_on_close)
        if self._thread is not None:
            self._thread.join(timeout=5.0)
        self.app.close()
        for state in (self.nonces, self.app.invalidation):
            close = getattr(state, "close", None)
            if callable(close):
                with contextlib.suppress(Erc8128Error):
                    close()

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()


def check_config(config: ServerConfig) -> None:
    """Decision D38: every configuration error is found before serving, as a ConfigError (or
    another Erc8128Error) with one line of message, never a traceback or a late 500."""
    if type(config.port) is not int or not 0 <= config.port <= 65535:
        raise ConfigError("port_invalid", f"expected --port in 0..65535, got {config.port!r}")
    if not isinstance(config.host, str) or not config.host or config.host.strip() != config.host:
        raise ConfigError("host_invalid", f"expected --host as an address, got {config.host!r}")
    if config.db is not None and config.db != ":memory:":
        directory = os.path.dirname(os.path.abspath(config.db))
        if not os.path.isdir(directory):
            raise ConfigError("db_invalid", f"expected --db in an existing directory, got "
                              f"{config.db!r} ({directory!r} does not exist)")
        if os.path.isdir(config.db):
            raise ConfigError("db_invalid", f"expected --db to name a file, got the directory "
                              f"{config.db!r}")
    if config.nonces.startswith("sqlite:"):
        directory = os.path.dirname(os.path.abspath(config.nonces[len("sqlite:"):] or "."))
        if not os.path.isdir(directory):
            raise ConfigError("nonces_invalid", f"expected --nonces sqlite:PATH in an existing "
                              f"directory, got {config.nonces!r}")
    # An unknown or uninstalled ERC8128_BACKEND would otherwise answer 500 to every signed
    # request: load it now (accelerate.BackendUnavailable is an Erc8128Error).
    accelerate.selected_backend()


def start_server(config: ServerConfig, *, clock: Callable[[], float] = time.time,
                 in_thread: bool = True) -> RunningServer:
    """Bind, build the state and (by default) serve in a daemon thread.

    ``config.port = 0`` binds a free port; the returned ``url`` is the public URL (the bound
    address unless ``config.public_url`` says otherwise). ``clock`` is the server's one clock:
    the HTTP front end reads it once per request, and that ``now`` decides the verdict, the
    replay store's and the invalidation state's expiry, and so what the restart watermark
    records (issue 20: no state holds a clock of its own).
    """
    check_config(config)
    policy = config.policy()
    accounts = config.accounts()
    context = _ssl_context(config)
    nonces = make_replay_store(config.nonces)
    invalidation: InvalidationStore | None = None
    bound_scheme = "https" if context is not None else "http"
    app: App | None = None
    http_server: VerifierHTTPServer | None = None
    durability: ReplayDurability | None = None
    try:
        # Decision D74: a Redis store that may forget is named at start, or refused.
        if config.require_durable_replay_state:
            require_durable(replay_durability(nonces),
                            how_to_allow="without --require-durable-replay-state it is allowed")
        if isinstance(nonces, RedisReplayStore):
            durability = replay_durability(nonces)
            if not durability.reachable:
                # D74: a server whose replay store never answers would refuse every signed
                # request; at start that is a wrong URL or a Redis not started, so say so.
                raise ConfigError(
                    "replay_store_unavailable",
                    f"expected a replay store that answers, got {durability.warning()} (start "
                    f"redis-server or correct --nonces; --nonces memory needs none)",
                )
        if config.public_url is not None:
            origin_scheme, origin_authority = public_origin(config.public_url)
        try:
            http_server = VerifierHTTPServer(
                (config.host, config.port),
                app=None,  # set below, once the bound port (and so the public URL) is known
                public_scheme=bound_scheme,
                public_authority="",
                limits=config.limits,
                clock=clock,
                access_log=config.access_log,
                ssl_context=context,
            )
        except (OSError, OverflowError, UnicodeError) as error:
            # Port in use, no such local address, a host name that does not resolve...
            detail = getattr(error, "strerror", None) or str(error) or type(error).__name__
            raise ConfigError("listen_failed", f"cannot listen on {config.host!r} port "
                              f"{config.port}: {detail}") from None
        host = config.host if ":" not in config.host else f"[{config.host}]"
        bound_url = f"{bound_scheme}://{host}:{http_server.server_port}"
        if config.public_url is None:
            origin_scheme, origin_authority = public_origin(bound_url)
        public_url = f"{origin_scheme}://{origin_authority}"
        # A not-before time can refuse nothing once the longest window (every route derives
        # from config's max validity) and the skew have passed: then it is forgotten.
        invalidation = make_invalidation_state(
            config.nonces,
            not_before_retention=config.max_validity_sec + config.skew_sec,
        )
        # D61: read at start (a corrupt or unwritable file stops the start with one line).
        watermark = (
            None if config.state_dir is None
            else RestartWatermark.open(config.state_dir, public_url)
        )
        app = App(
            public_url=public_url,
            watermark=watermark,
            policy=policy,
            nonces=nonces,
            invalidation=invalidation,
            accounts=accounts,
            db_path=config.db or ":memory:",
            name=config.name,
        )
        http_server.app = app
        http_server.public_scheme = origin_scheme
        http_server.public_authority = origin_authority
    except BaseException:
        if http_server is not None:
            http_server.server_close()
        if app is not None:
            app.close()
        for state in (nonces, invalidation):
            close = getattr(state, "close", None)
            if callable(close):
                close()
        raise
    running = RunningServer(http_server, app, nonces, public_url, bound_url)
    running.replay_durability = durability
    if in_thread:
        running.start_thread()
    return running
