"""WSGI middleware (PEP 3333) that verifies ERC-8128 signed requests in front of any WSGI app.

On success the :class:`~erc8128.protocol.verify.Verified` result is put in the environ under
``"erc8128.verified"`` and the app runs with the body still readable; on failure the app never
runs and the client gets the ERC-8128 §6 refusal (status, ``WWW-Authenticate``,
``Accept-Signature`` on ``insufficient_coverage``, problem+json). ERC-8128 §6: "Every 401
response MUST include a challenge applicable to the target resource".

The signature covers the request target exactly as sent and every header field;
:mod:`erc8128.http.gateway` reads both from the environ (``RAW_URI`` / ``REQUEST_URI`` when the
server gives them). The standard library's ``wsgiref`` server invents
``CONTENT_TYPE=text/plain`` for requests without one, which the draft profile then requires
covered; serve with werkzeug, gunicorn or uWSGI instead.

Usage (Flask)::

    from erc8128.integrations.gate import Gate
    from erc8128.integrations.wsgi import ERC8128Middleware
    from erc8128.state.nonces.sqlite import SqliteReplayStore

    gate = Gate("https://api.example", nonces=SqliteReplayStore("nonces.db"))
    app.wsgi_app = ERC8128Middleware(app.wsgi_app, gate)
    # in a view: flask.request.environ["erc8128.verified"].address
"""

import io
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from erc8128.http.gateway import wsgi_header_columns, wsgi_request_target
from erc8128.integrations.gate import VERIFIED_KEY, Gate
from erc8128.protocol.challenge import HttpResponse

__all__ = ["ERC8128Middleware"]

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def _content_length(environ: dict[str, Any]) -> int | None:
    """CONTENT_LENGTH as an integer; None when absent or not a decimal length."""
    text = str(environ.get("CONTENT_LENGTH") or "").strip()
    if not text:
        return 0
    if not text.isascii() or not text.isdigit():
        return None
    return int(text)


def _send(response: HttpResponse, start_response: StartResponse) -> list[bytes]:
    phrase = HTTPStatus(response.status).phrase
    headers = [*response.headers, ("Content-Length", str(len(response.body)))]
    start_response(f"{response.status} {phrase}", headers)
    return [response.body]


class ERC8128Middleware:
    """Verify every request for ``gate``'s routes before ``app`` sees it."""

    def __init__(self, app: WsgiApp, gate: Gate) -> None:
        self.app = app
        self.gate = gate

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD", "GET"))
        path = str(environ.get("PATH_INFO", "")) or "/"
        discovery = self.gate.discovery_answer(method, path)
        if discovery is not None:
            return _send(discovery, start_response)
        policy = self.gate.route_policy(method, path)
        if policy is None:
            return self.app(environ, start_response)
        body = self._read_body(environ)
        if body is None:
            return _send(self.gate.too_large(), start_response)
        if body or not environ.get("wsgi.input_terminated"):
            # The app reads the same content the signature covered. A server that marks its
            # input terminated (gunicorn, werkzeug) ends the stream with the content: when
            # there is none, the app may read the stream itself and finds it empty, as signed.
            environ["wsgi.input"] = io.BytesIO(body)
        names, values = wsgi_header_columns(environ)
        outcome = self.gate.check_columns(
            method, wsgi_request_target(environ), names, values, body, policy=policy
        )
        if isinstance(outcome, HttpResponse):
            return _send(outcome, start_response)
        environ[VERIFIED_KEY] = outcome
        return self.app(environ, start_response)

    def _read_body(self, environ: dict[str, Any]) -> bytes | None:
        """The whole content (None if over ``max_body_bytes``), read once, before the app.

        Without ``CONTENT_LENGTH`` (chunked transfer coding) the input is read to its end only
        when the server marks it ``wsgi.input_terminated`` (werkzeug, gunicorn do).
        """
        limit = self.gate.max_body_bytes
        if not environ.get("CONTENT_LENGTH") and "HTTP_TRANSFER_ENCODING" not in environ:
            # RFC 9112 §6.3: "If this is a request message and none of the above are true,
            # then the message body length is zero (no message body is present)."
            return b""
        stream = environ["wsgi.input"]
        if not environ.get("CONTENT_LENGTH") and environ.get("wsgi.input_terminated"):
            body = bytes(stream.read(limit + 1))
        else:
            length = _content_length(environ)
            if length is None or length > limit:
                return None
            body = bytes(stream.read(length)) if length else b""
        if len(body) > limit:
            return None
        return body
