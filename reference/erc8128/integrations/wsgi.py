"""WSGI middleware (PEP 3333) that verifies ERC-8128 signed requests in front of any WSGI app.

On success the :class:`~erc8128.protocol.verify.Verified` result is put in the environ under
``"erc8128.verified"`` and the app runs with the body still readable; on failure the app never
runs and the client gets the ERC-8128 §6 refusal (status, ``WWW-Authenticate``,
``Accept-Signature`` on ``insufficient_coverage``, problem+json). ERC-8128 §6: "Every 401
response MUST include a challenge applicable to the target resource".

The signature covers the request target exactly as sent. WSGI hands the app a decoded
``PATH_INFO``; the raw target is taken from ``RAW_URI`` / ``REQUEST_URI`` (set by werkzeug,
gunicorn, uWSGI) and only without them re-encoded from ``PATH_INFO`` (which cannot restore a
client's own percent-encoding choices). Header order is lost by WSGI's environ; the signature
base does not depend on it (RFC 9421 §2.1 combines repeated lines in order, which servers keep).
The standard library's ``wsgiref`` server invents ``CONTENT_TYPE=text/plain`` for requests
without one, which the draft profile then requires covered; serve with werkzeug, gunicorn or
uWSGI instead.

Usage (Flask)::

    from erc8128.integrations.gate import Gate
    from erc8128.integrations.wsgi import ERC8128Middleware
    from erc8128.state.nonces.sqlite import SqliteReplayStore

    gate = Gate("https://api.example", nonces=SqliteReplayStore("nonces.db"))
    app.wsgi_app = ERC8128Middleware(app.wsgi_app, gate)
    # in a view: flask.request.environ["erc8128.verified"].address
"""

import functools
import io
import urllib.parse
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from erc8128.integrations.gate import VERIFIED_KEY, Gate
from erc8128.protocol.challenge import HttpResponse

__all__ = ["ERC8128Middleware", "request_target", "wsgi_header_lines"]

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

# RFC 3986 §3.3: pchar = unreserved / pct-encoded / sub-delims / ":" / "@"; plus "/".
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def request_target(environ: dict[str, Any]) -> str:
    """The request-target as received: ``RAW_URI`` / ``REQUEST_URI`` when the server gives it."""
    for key in ("RAW_URI", "REQUEST_URI"):
        raw = environ.get(key)
        if isinstance(raw, str) and raw.startswith("/"):
            return raw
    # PEP 3333: environ strings are "bytes-as-latin-1"; re-encode the decoded path.
    script_path = str(environ.get("SCRIPT_NAME", "")) + str(environ.get("PATH_INFO", ""))
    target = urllib.parse.quote(script_path.encode("latin-1"), safe=_PATH_SAFE) or "/"
    query_string = environ.get("QUERY_STRING")
    if query_string:
        target += "?" + str(query_string)
    return target


@functools.lru_cache(maxsize=256)
def _header_name(cgi_key: str) -> str:
    """``SIGNATURE_INPUT`` → ``Signature-Input`` (RFC 3875 §4.1.18 meta-variable names)."""
    return "-".join(part.capitalize() for part in cgi_key.split("_"))


def wsgi_header_lines(environ: dict[str, Any]) -> list[tuple[str, str]]:
    """The request's header fields from the environ (``HTTP_*``, ``CONTENT_TYPE``,
    ``CONTENT_LENGTH``); repeated lines arrive already combined with ", "."""
    names, values = _header_columns(environ)
    return list(zip(names, values, strict=True))


def _header_columns(environ: dict[str, Any]) -> tuple[list[str], list[str]]:
    """:func:`wsgi_header_lines` as two columns, names and values (what Gate.check_columns
    takes)."""
    names: list[str] = []
    values: list[str] = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            if isinstance(value, str):
                names.append(_header_name(key[5:]))
                values.append(value)
        elif key in _CONTENT_KEYS and value and isinstance(value, str):
            names.append(_header_name(key))
            values.append(value)
    return names, values


_CONTENT_KEYS = frozenset(("CONTENT_TYPE", "CONTENT_LENGTH"))


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
        names, values = _header_columns(environ)
        outcome = self.gate.check_columns(
            method, request_target(environ), names, values, body, policy=policy
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
