"""A live ERC-8128 server on ``uvd-x402-sdk``: the standard library's HTTP server around the
SDK's ``verify_request``, for the conformance suite's live mode.

    python conformance/adapters/uvd_x402/server.py --port 0
    erc8128 conformance --target http://127.0.0.1:PORT --profile legacy --post-path /api/echo

Routes: ``GET /api/whoami`` (signed: 200 ``{"address", "chain_id", "label"}``), ``POST
/api/echo`` (signed, JSON body: 200 ``{"address", "body"}``), ``GET /.well-known/erc8128`` (the
ERC-8128 §7 document of the two). The posture is the adapter's (``adapter.py``, SPEC.md D52):
``accept="legacy"``, Request-Bound required (``request-bound-subset``), nonces required and
consumed after the signature check in an in-memory store, 30 s skew on both sides, 300 s
maximum window, chain 1, any label. The server adds only what an application adds around the
SDK: the trusted origin, the request as received (headers combined per name), and the
ERC-8128 §6 answer (the §6 code mapped from the SDK's, its status, the challenge, a
problem+json body with the SDK's own code and status beside).
"""

import argparse
import asyncio
import contextlib
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from uvd_x402_sdk.erc8128 import VerifiableRequest, VerifyPolicy, verify_request
from uvd_x402_sdk.erc8128.nonce import NoncePolicy

sys.path.insert(0, str(Path(__file__).resolve().parent))

from adapter import REASONS, MemoryNonceStore, status_of

ROUTES = {"/api/whoami": "GET", "/api/echo": "POST"}
MAX_BODY = 1024 * 1024
SKEW = 30
MAX_VALIDITY = 300


def discovery() -> dict[str, Any]:
    policy = {"max_validity_sec": MAX_VALIDITY, "required_components": [],
              "replay": "non-replayable", "content_digest": "request-body"}
    return {
        "max_validity_sec": MAX_VALIDITY,
        "chains": ["eip155:1"],
        "name": "uvd-x402-sdk live conformance server",
        "route_policies": {path: {"methods": [method], **policy}
                           for path, method in ROUTES.items()},
    }


class Handler(BaseHTTPRequestHandler):
    authority = ""
    store = MemoryNonceStore()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, document: dict[str, Any],
              headers: tuple[tuple[str, str], ...] = (),
              content_type: str = "application/json") -> None:
        body = json.dumps(document).encode()
        self.send_response(status)
        for name, value in (*headers, ("Content-Type", content_type),
                            ("Content-Length", str(len(body)))):
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _handle(self) -> None:
        # The request target as received (self.path collapses a leading "//").
        target = self.requestline.split(" ")[1] if " " in self.requestline else self.path
        path = target.split("?", 1)[0]
        if path == "/.well-known/erc8128" and self.command == "GET":
            self._send(200, discovery())
            return
        if path not in ROUTES:
            self._send(404, {"status": 404, "reason": "not_found"}, (),
                       "application/problem+json")
            return
        if ROUTES[path] != self.command:
            self._send(405, {"status": 405, "reason": "method_not_allowed"},
                       (("Allow", ROUTES[path]),), "application/problem+json")
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, MAX_BODY)) if length else None
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        self.store.now = int(time.time())
        policy = VerifyPolicy(
            authority=self.authority, accept="legacy", components="request-bound-subset",
            content_digest="body-present",
            nonce=NoncePolicy(store=self.store, mode="required", consume="after-verify"),
            allowed_chain_ids=(1,), max_validity_sec=MAX_VALIDITY, clock_skew_future_sec=SKEW,
            clock_skew_past_expiry_sec=SKEW, label="any",
        )
        try:
            result = asyncio.run(verify_request(
                VerifiableRequest(method=self.command, url=target, headers=headers,
                                  raw_body=body), policy))
        except Exception as error:  # an exception escaping the SDK: an application's 500
            self._send(500, {"status": 500, "reason": "sdk_exception", "detail": repr(error)},
                       (), "application/problem+json")
            return
        if not result.ok:
            reason = REASONS.get(str(result.code), "no_acceptable_signature")
            status = status_of(reason)
            self._send(status, {"type": "about:blank", "status": status, "reason": reason,
                                "sdk_reason": result.code, "sdk_status": result.status},
                       (("WWW-Authenticate", f'ERC8128 error="{reason}"'),),
                       "application/problem+json")
            return
        who = {"address": str(result.wallet).lower(), "chain_id": result.chain_id,
               "label": result.label}
        if path == "/api/echo":
            self._send(200, {"address": who["address"],
                             "body": (body or b"").decode("utf-8", "replace")})
            return
        self._send(200, who)

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8130)
    args = parser.parse_args()
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    host, port = server.server_address[0], server.server_address[1]
    Handler.authority = f"{host}:{port}"
    print(f"uvd-x402-sdk server: listening on http://{host}:{port}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


if __name__ == "__main__":
    main()
