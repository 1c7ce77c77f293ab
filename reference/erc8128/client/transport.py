"""Sending a request exactly as signed, and the response that comes back.

``http.client`` rather than ``urllib.request``: urllib adds ``Content-Type`` to a body after we
signed (the draft profile requires it covered whenever it is sent) and follows redirects (a
signature is bound to one target URI). Only the standard library is used.
"""

import http.client
import ssl
import time
from collections.abc import Mapping, Sequence
from typing import Any, Final

from erc8128.client.errors import ClientError, Response
from erc8128.client.signer import Signer
from erc8128.http.message import Request, authority, path, query, scheme
from erc8128.http.structured_fields import BareItem
from erc8128.protocol.sign import DEFAULT_LABEL

DEFAULT_TIMEOUT_SEC: Final = 10.0


# A response body larger than this is refused rather than read into memory.
MAX_RESPONSE_BYTES: Final = 16 * 1024 * 1024


def json_object(response: Response, what: str) -> dict[str, Any]:
    """The JSON object a 2xx ``response`` carries; :class:`ClientError` otherwise."""
    value = response.raise_for_status().json()
    if not isinstance(value, dict):
        raise ClientError(
            "invalid_response",
            f"expected a JSON object from {what}, got {type(value).__name__}",
            status=response.status,
            response=response,
        )
    return value


def _send(
    request: Request, timeout: float, max_bytes: int = MAX_RESPONSE_BYTES
) -> tuple[int, tuple[tuple[str, str], ...], bytes]:
    """Send ``request`` exactly as given (no added Content-Type, no redirects)."""
    uri_scheme = scheme(request.target_uri)
    host = authority(request.target_uri)
    target = path(request.target_uri)
    uri_query = query(request.target_uri)
    if uri_query is not None:
        target = f"{target}?{uri_query}"
    connection: http.client.HTTPConnection
    if uri_scheme == "https":
        connection = http.client.HTTPSConnection(host, timeout=timeout)
    elif uri_scheme == "http":
        connection = http.client.HTTPConnection(host, timeout=timeout)
    else:
        raise ClientError("unsupported_scheme", f"expected http or https, got {uri_scheme!r}")
    try:
        has_host = bool(request.field_lines("host"))
        connection.putrequest(
            request.method, target, skip_host=has_host, skip_accept_encoding=True
        )
        for name, value in request.headers:
            connection.putheader(name, value.encode("latin-1"))
        body = request.body
        if body is not None and not request.field_lines("content-length"):
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        answer = connection.getresponse()
        data = answer.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise ClientError(
                "response_too_large", f"expected at most {max_bytes} bytes, got more"
            )
        headers = tuple((name, value) for name, value in answer.getheaders())
        return answer.status, headers, data
    except (OSError, http.client.HTTPException) as error:
        hint = ""
        if uri_scheme == "https" and (isinstance(error, ssl.SSLError)
                                      or "handshake" in str(error)):
            hint = " (no TLS handshake: if the server speaks plain HTTP, use http://)"
        elif isinstance(error, ConnectionRefusedError):
            hint = " (nothing listens there: is the server running, on that port?)"
        raise ClientError(
            "transport_error", f"expected an HTTP answer from {host}, got {error!r}{hint}"
        ) from None
    finally:
        connection.close()


def send_request(request: Request, *, timeout: float = DEFAULT_TIMEOUT_SEC) -> Response:
    """Send ``request`` exactly as it is (already signed, or deliberately not): no field is
    added but ``Host`` and ``Content-Length`` when absent, and no redirect is followed."""
    status, headers, data = _send(request, timeout)
    return Response(status, headers, data)


def _unsigned_request(
    url: str, method: str, headers: Sequence[tuple[str, str]], body: bytes | None
) -> Request:
    return Request(method, url, tuple(headers), body)


def signed_fetch(
    url: str,
    *,
    signer: Signer,
    method: str = "GET",
    headers: Sequence[tuple[str, str]] = (),
    body: bytes | None = None,
    label: str = DEFAULT_LABEL,
    components: Sequence[str] | None = None,
    now: int | None = None,
    nonce: str | None = None,
    params: Mapping[str, BareItem] | None = None,
    timeout: float = DEFAULT_TIMEOUT_SEC,
) -> Response:
    """Sign one request with ``signer`` and send it; the response, whatever its status.

    ``now`` defaults to the system clock, read here at the edge (the signing core reads no
    clock). The signature has a fresh nonce and a 60-second window (ERC-8128 §3.3.2: "a baseline
    route MUST accept validity windows up to 60 seconds").
    """
    created = int(time.time()) if now is None else now
    request = _unsigned_request(url, method, headers, body)
    signed = signer.sign(
        request, created=created, label=label, components=components, nonce=nonce, params=params
    )
    status, response_headers, data = _send(signed.request, timeout)
    return Response(status, response_headers, data, signed)


def fetch_public(url: str, timeout: float, max_bytes: int = MAX_RESPONSE_BYTES) -> Response:
    """An unsigned GET (public routes: discovery, the project list)."""
    status, headers, data = _send(Request("GET", url, (), None), timeout, max_bytes)
    return Response(status, headers, data)
