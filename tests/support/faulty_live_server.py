"""The reference server with one deliberate fault, for the live mode's own tests.

``python tests/support/faulty_live_server.py FAULT [--port N] [--public-url URL] [--nonces SPEC]``
starts ``erc8128 serve``'s application (both profiles, POST /api/projects) with exactly one
defect planted, and prints ``listening on http://...`` like ``erc8128 serve``. Each fault is a
realistic mistake a server author makes; the live mode must fail the server with that root
cause (tests/conformance/test_live_faults.py):

- ``check-then-insert``: the replay store asks "seen?" and then adds, with a sleep between.
- ``ignore-invalidation``: neither the signer's not-before nor a per-signature denial is read.
- ``ignore-not-before``: the signer's not-before time is not read.
- ``duplicate-components``: a component identifier covered twice is not refused.
- ``untrimmed-values``: header field values keep the whitespace after them (the OWS of RFC 9112
  §5.1 is only stripped before the value, and RFC 9421 §2.1 trimming is skipped).
- ``replay-key-per-profile``: the replay key includes the keyid form (draft / legacy).
- ``winner-nonce-only``: of a multi-signature request, only the winning signature's nonce is
  consumed.
- ``none``: no fault (the control).
"""

import argparse
import contextvars
import functools
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from erc8128.errors import MessageComponentError
from erc8128.http import components, message
from erc8128.http.message import Request
from erc8128.protocol import verify
from erc8128.server import app as app_module
from erc8128.server.lifecycle import ServerConfig, start_server
from erc8128.state.nonces import MemoryReplayStore
from erc8128_vectors.ablation import without

FAULTS = ("none", "check-then-insert", "ignore-invalidation", "ignore-not-before",
          "duplicate-components", "untrimmed-values", "replay-key-per-profile",
          "winner-nonce-only")


class CheckThenInsertStore:
    """A replay store that checks and inserts in two steps (draft §3.1.2: non-conforming)."""

    def __init__(self) -> None:
        self._used: dict[str, int] = {}

    def consume(self, key: str, until: int, *, now: float) -> bool:
        if key in self._used:  # "seen?"
            return False
        time.sleep(0.05)  # the gap a database round trip leaves in a real server
        self._used[key] = until  # "add"
        return True

    def close(self) -> None:
        pass


_PROFILE: contextvars.ContextVar[str] = contextvars.ContextVar("profile", default="")


class PerProfileStore:
    """A replay store whose key includes the keyid form the request used."""

    def __init__(self) -> None:
        self._inner = MemoryReplayStore()

    def consume(self, key: str, until: int, *, now: float) -> bool:
        return self._inner.consume(_PROFILE.get() + "|" + key, until, now=now)

    def close(self) -> None:
        self._inner.close()


class WinnerOnlyStore:
    """A batch replay store that marks only the winning signature's key of a request."""

    def __init__(self) -> None:
        self._inner = MemoryReplayStore()

    def consume(self, key: str, until: int, *, now: float) -> bool:
        return self._inner.consume(key, until, now=now)

    def consume_all(self, entries: tuple[tuple[str, int], ...], *, now: float) -> tuple[str, ...]:
        # The text's rule read alone (draft §3.5 "The first candidate passing all checks and
        # atomically consuming its nonce, when present, wins"): the first key still unused is
        # marked, the others are not.
        for key, until in entries:
            if self._inner.consume(key, until, now=now):
                return ()
        return tuple(key for key, _ in entries)

    def close(self) -> None:
        self._inner.close()


def _untrimmed(header_lines: Any) -> tuple[tuple[str, str], ...]:
    fields = []
    for raw in header_lines:
        line = raw.rstrip("\r\n")
        name, _, value = line.partition(":")
        if name.lower() in ("host", "content-length", "transfer-encoding", "connection"):
            value = value.strip(" \t")  # what the HTTP framing layer itself reads
        fields.append((name, value.lstrip(" \t")))  # the fault: trailing whitespace kept
    return tuple(fields)


def _untrimmed_field_values(request: Request, name: str) -> tuple[str, ...]:
    lines = request.field_lines(name)
    if not lines:
        raise MessageComponentError("component_absent", f"no {name!r} field")
    return lines  # the fault: RFC 9421 §2.1 "Strip leading and trailing whitespace" skipped


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("fault", choices=FAULTS)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--public-url")
    parser.add_argument("--nonces", default="memory")
    args = parser.parse_args()
    config = ServerConfig(host="127.0.0.1", port=args.port, public_url=args.public_url,
                          profiles=("draft", "legacy"), nonces=args.nonces)
    server = start_server(config, in_thread=False)
    app = server.app
    handle: Callable[..., Any] = app.handle
    skipped_rules: frozenset[str] = frozenset()
    if args.fault == "check-then-insert":
        app.nonces = CheckThenInsertStore()  # type: ignore[assignment]
    elif args.fault == "replay-key-per-profile":
        app.nonces = PerProfileStore()  # type: ignore[assignment]
    elif args.fault == "winner-nonce-only":
        app.nonces = WinnerOnlyStore()  # type: ignore[assignment]
    elif args.fault == "ignore-invalidation":
        skipped_rules = frozenset({"not-before", "replayable-invalidated"})
    elif args.fault == "ignore-not-before":
        skipped_rules = frozenset({"not-before"})
    elif args.fault == "duplicate-components":
        skipped_rules = frozenset({"duplicate-components"})
    elif args.fault == "untrimmed-values":
        message._parse_header_lines = _untrimmed  # type: ignore[assignment]
        components.field_values = _untrimmed_field_values  # type: ignore[assignment]

    if skipped_rules:
        # The application verifies by the reference table without the faulty rules.
        app_module.verify_request = functools.partial(  # type: ignore[assignment]
            verify.verify_request, steps=without(skipped_rules))

    def faulty_handle(request: Request, **kwargs: Any) -> Any:
        signature_input = ", ".join(request.field_lines("signature-input"))
        _PROFILE.set("legacy" if 'keyid="erc8128:' in signature_input else "draft")
        return handle(request, **kwargs)

    app.handle = faulty_handle  # type: ignore[method-assign]

    def stop(signum: int, frame: object) -> None:
        threading.Thread(target=server.http_server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    print(f"faulty server ({args.fault}): listening on {server.bound_url}", flush=True)
    server.http_server.serve_forever()
    server.http_server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
