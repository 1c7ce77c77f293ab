"""ASGI middleware (ASGI 3.0 HTTP) that verifies ERC-8128 signed requests in front of any ASGI
app (Starlette, FastAPI, ...).

On success the :class:`~erc8128.protocol.verify.Verified` result is put in the connection scope
under ``"erc8128.verified"`` (Starlette: ``request.scope["erc8128.verified"]``) and the app receives
the whole body as one ``http.request`` message; on failure the app never runs and the client gets
the ERC-8128 §6 refusal. ERC-8128 §6: "Every 401 response MUST include a challenge applicable to
the target resource". Lifespan and WebSocket scopes pass through untouched.

ASGI keeps what the signature needs: ``raw_path`` (the path as sent, percent-encoding intact),
``query_string`` and the header lines in order (read by :mod:`erc8128.http.gateway`).

Usage (Starlette, FastAPI)::

    from erc8128.integrations.asgi import ERC8128Middleware
    from erc8128.integrations.gate import Gate

    app = ERC8128Middleware(starlette_app, Gate("https://api.example"))
    # in an endpoint: request.scope["erc8128.verified"].address
"""

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any, Final

from erc8128.http.gateway import asgi_request_target
from erc8128.integrations.gate import VERIFIED_KEY, Gate
from erc8128.protocol.challenge import HttpResponse

__all__ = ["ERC8128Middleware"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def _has_content(scope: Scope, headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """Whether the request may carry content, to be read before verification. RFC 9112 §6.3,
    for HTTP/1.x: "If this is a request message and none of the above are true, then the
    message body length is zero (no message body is present)" (neither Content-Length nor
    Transfer-Encoding). An HTTP/2 or HTTP/3 request may end its content without either, so it
    is always read."""
    if scope.get("http_version") not in ("1.0", "1.1"):
        return True
    return any(name.lower() in _LENGTH_FIELDS for name, _ in headers)


_LENGTH_FIELDS: Final = frozenset((b"content-length", b"transfer-encoding"))


async def _send(response: HttpResponse, send: Send) -> None:
    headers = [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in (*response.headers, ("Content-Length", str(len(response.body))))
    ]
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})


class ERC8128Middleware:
    """Verify every HTTP request for ``gate``'s routes before ``app`` sees it."""

    def __init__(self, app: AsgiApp, gate: Gate) -> None:
        self.app = app
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") != "http":
            await self.app(scope, receive, send)
            return
        method = str(scope.get("method", "GET"))
        path = str(scope.get("path", "/"))
        discovery = self.gate.discovery_answer(method, path)
        if discovery is not None:
            await _send(discovery, send)
            return
        policy = self.gate.route_policy(method, path)
        if policy is None:
            await self.app(scope, receive, send)
            return
        # ASGI 3.0: header names and values are byte strings (latin-1 text, RFC 9110 §5.5).
        headers = scope.get("headers", ())
        body = b""
        app_receive = receive
        if _has_content(scope, headers):
            read = await self._read_body(receive)
            if read is None:
                return  # http.disconnect: the client left before sending its content
            if isinstance(read, HttpResponse):
                await _send(read, send)
                return
            body, app_receive = read, _replaying(read, receive)
        outcome = self.gate.check_columns(
            method, asgi_request_target(scope),
            [name.decode("latin-1") for name, _ in headers],
            [value.decode("latin-1") for _, value in headers],
            body, policy=policy,
        )
        if isinstance(outcome, HttpResponse):
            await _send(outcome, send)
            return
        verified_scope = dict(scope)
        verified_scope[VERIFIED_KEY] = outcome
        await self.app(verified_scope, app_receive, send)

    async def _read_body(self, receive: Receive) -> bytes | HttpResponse | None:
        """The whole content, read before the app; the 413 refusal past ``max_body_bytes``;
        None when the client left first."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message.get("type") != "http.request":
                return None
            chunk = bytes(message.get("body", b""))
            size += len(chunk)
            if size > self.gate.max_body_bytes:
                return self.gate.too_large()
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """The app's receive: the content the signature covered once, then the original stream."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
