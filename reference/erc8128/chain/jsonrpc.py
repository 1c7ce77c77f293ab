"""JSON-RPC 2.0 over HTTP(S) with hard bounds: the transport under the chain account provider.

ERC-8128 §4: "A state-provider or RPC failure preventing classification or verification yields
`signature_verification_unavailable`, not `bad_signature`." So this module has exactly two
outcomes besides a result: :class:`ExecutionReverted` (the node ran the call and the EVM
reverted, a definitive answer about the chain) and :class:`RpcUnavailable` (everything else:
refused or reset connections, timeouts, non-200 statuses, oversized, malformed or wrong-typed
answers, and every other JSON-RPC error).

ERC-8128 "Denial of service and state trust": "Universal Account verification inherits the
freshness, finality, and availability of the selected chain-state provider." The provider is
trusted for chain state, but not for well-formedness or speed: every call is bounded by

- a connect timeout (TCP connect and TLS handshake),
- a read timeout (each wait for bytes),
- an overall deadline for the whole exchange (a server trickling one byte at a time cannot hold
  a verification longer than ``total_timeout``), and
- a response size limit: bytes are read in chunks and reading stops as soon as the limit is
  crossed, before anything is parsed.

Why a raw socket and not ``urllib.request``: urllib's timeout is per socket operation only (no
overall deadline while headers trickle in), and it follows redirects. Here the HTTP/1.1 exchange
is one POST with ``Connection: close``; the bounded bytes are then parsed by the standard
library's ``http.client.HTTPResponse`` (status line, headers, Content-Length or chunked body).
Host-name resolution (``getaddrinfo``) is not covered by the timeouts; configure IP addresses or
a local resolver where that matters.

This module is the I/O edge: it reads the monotonic clock for its deadline and nothing else.
"""

import http.client
import io
import json
import re
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from erc8128.errors import AccountStateUnavailable, Erc8128Error
from erc8128.http.bounded_json import MAX_JSON_DEPTH, nesting_depth

JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]

DEFAULT_MAX_RESPONSE_BYTES: Final = 1024 * 1024
_CHUNK_BYTES: Final = 16 * 1024
# JSON-RPC error code geth, anvil and reth use for an EVM revert in eth_call / eth_estimateGas.
_REVERT_CODE: Final = 3
# Nodes from before code 3 (and some current ones) report a revert as a server error whose
# message begins with "execution reverted".
_LEGACY_REVERT_CODE: Final = -32000
_REVERT_MESSAGE: Final = "execution reverted"
# Ethereum JSON-RPC "DATA": hex encoded, "0x" prefix, two hex digits per byte.
_HEX_DATA: Final = re.compile(r"0x(?:[0-9a-fA-F]{2})*")
# A JSON-RPC answer to eth_getCode / eth_call / eth_chainId nests 2 or 3 levels, far below
# bounded_json.MAX_JSON_DEPTH.


class RpcConfigError(Erc8128Error):
    """An endpoint configuration that cannot be used (reason ``rpc_config``)."""

    def __init__(self, message: str) -> None:
        super().__init__("rpc_config", message)


class RpcUnavailable(AccountStateUnavailable):
    """The node could not give a usable answer; never a verdict (HTTP 503 upstream).

    Reasons: ``rpc_connect``, ``rpc_timeout``, ``rpc_transport``, ``rpc_http_status``,
    ``rpc_response_too_large``, ``rpc_malformed``, ``rpc_error``.
    """


class ExecutionReverted(Erc8128Error):
    """The node executed the call and the EVM reverted (JSON-RPC error code 3).

    A revert is the chain's answer, not an outage: a wallet's ``isValidSignature`` may revert on a
    signature it does not accept. ``data`` is the revert data as sent (not shown to clients:
    ERC-8128 §6 "Failure details MUST NOT expose contract revert data").
    """

    data: str

    def __init__(self, message: str, *, data: str) -> None:
        super().__init__("execution_reverted", message)
        self.data = data


@dataclass(frozen=True)
class JsonRpcEndpoint:
    """One node's JSON-RPC URL and the bounds every call to it obeys (seconds, bytes)."""

    url: str
    connect_timeout: float = 3.0
    read_timeout: float = 5.0
    total_timeout: float = 10.0
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES

    def __post_init__(self) -> None:
        if not isinstance(self.url, str):
            raise RpcConfigError(f"expected the RPC URL as str, got {type(self.url).__name__}")
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https"):
            raise RpcConfigError(f"expected an http or https URL, got {self.url!r}")
        if not parts.hostname:
            raise RpcConfigError(f"expected a host in the RPC URL, got {self.url!r}")
        try:
            _ = parts.port
        except ValueError:
            raise RpcConfigError(f"expected a valid port in the URL, got {self.url!r}") from None
        if parts.username is not None or parts.password is not None:
            raise RpcConfigError("expected no user:password in the RPC URL")
        if any(ord(c) < 0x21 or ord(c) > 0x7E for c in self.url):
            raise RpcConfigError(f"expected printable ASCII without spaces, got {self.url!r}")
        for name in ("connect_timeout", "read_timeout", "total_timeout"):
            value = getattr(self, name)
            if type(value) not in (int, float) or not 0 < value < float("inf"):
                raise RpcConfigError(f"expected {name} > 0 seconds, got {value!r}")
        if type(self.max_response_bytes) is not int or self.max_response_bytes < 1:
            raise RpcConfigError(
                f"expected max_response_bytes >= 1, got {self.max_response_bytes!r}"
            )


def _unavailable(reason: str, endpoint: JsonRpcEndpoint, message: str) -> RpcUnavailable:
    return RpcUnavailable(reason, f"{endpoint.url}: {message}")


def _remaining(deadline: float, endpoint: JsonRpcEndpoint) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise _unavailable(
            "rpc_timeout", endpoint, f"expected an answer within {endpoint.total_timeout} s"
        )
    return remaining


def _http_request(endpoint: JsonRpcEndpoint, body: bytes) -> bytes:
    parts = urlsplit(endpoint.url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    head = (
        f"POST {target} HTTP/1.1\r\n"
        f"Host: {parts.netloc}\r\n"
        "Content-Type: application/json\r\n"
        "Accept: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n"
        "\r\n"
    ).encode("ascii")
    return head + body


def _content_length(header_block: bytes) -> int | None:
    """Content-Length of a raw header block, or None when absent or not a plain number."""
    for line in header_block.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            return int(value.strip())
    return None


def _exchange(endpoint: JsonRpcEndpoint, body: bytes) -> bytes:
    """Send one request; return the raw response bytes (bounded in size and time)."""
    deadline = time.monotonic() + endpoint.total_timeout
    parts = urlsplit(endpoint.url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        sock = socket.create_connection(
            (host, port), timeout=min(endpoint.connect_timeout, _remaining(deadline, endpoint))
        )
    except TimeoutError:
        raise _unavailable(
            "rpc_timeout", endpoint, f"expected a connection within {endpoint.connect_timeout} s"
        ) from None
    except OSError as error:
        raise _unavailable("rpc_connect", endpoint, f"cannot connect: {error}") from None
    # The header allowance: status line and headers may come on top of the body limit.
    limit = endpoint.max_response_bytes + 16 * 1024
    received = bytearray()
    try:
        if parts.scheme == "https":
            sock.settimeout(min(endpoint.connect_timeout, _remaining(deadline, endpoint)))
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
        sock.settimeout(min(endpoint.read_timeout, _remaining(deadline, endpoint)))
        sock.sendall(_http_request(endpoint, body))
        expected_total: int | None = None
        while True:
            sock.settimeout(min(endpoint.read_timeout, _remaining(deadline, endpoint)))
            chunk = sock.recv(_CHUNK_BYTES)
            if not chunk:
                break
            received += chunk
            if len(received) > limit:
                raise _unavailable(
                    "rpc_response_too_large",
                    endpoint,
                    f"expected at most {endpoint.max_response_bytes} bytes, got more",
                )
            if expected_total is None:
                end_of_head = received.find(b"\r\n\r\n")
                if end_of_head >= 0:
                    length = _content_length(bytes(received[:end_of_head]))
                    if length is not None:
                        if length > endpoint.max_response_bytes:
                            raise _unavailable(
                                "rpc_response_too_large",
                                endpoint,
                                f"expected at most {endpoint.max_response_bytes} bytes, "
                                f"got Content-Length {length}",
                            )
                        expected_total = end_of_head + 4 + length
            if expected_total is not None and len(received) >= expected_total:
                break
    except TimeoutError:
        raise _unavailable(
            "rpc_timeout",
            endpoint,
            f"expected an answer within {endpoint.read_timeout} s per read and "
            f"{endpoint.total_timeout} s overall",
        ) from None
    except ssl.SSLError as error:
        raise _unavailable("rpc_transport", endpoint, f"TLS failed: {error}") from None
    except OSError as error:
        raise _unavailable("rpc_transport", endpoint, f"connection failed: {error}") from None
    finally:
        sock.close()
    return bytes(received)


class _ReceivedBytes:
    """Just enough of a socket for ``http.client.HTTPResponse`` to parse bytes already read."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def makefile(self, mode: str, *args: object, **kwargs: object) -> io.BytesIO:
        return io.BytesIO(self._data)


def _http_body(endpoint: JsonRpcEndpoint, raw: bytes) -> bytes:
    response = http.client.HTTPResponse(_ReceivedBytes(raw))  # type: ignore[arg-type]
    try:
        response.begin()
        if response.status != 200:
            raise _unavailable(
                "rpc_http_status", endpoint, f"expected HTTP 200, got {response.status}"
            )
        body = response.read()
    except (http.client.HTTPException, ValueError) as error:
        raise _unavailable(
            "rpc_malformed", endpoint, f"expected an HTTP/1.1 response, got {error!r}"
        ) from None
    if len(body) > endpoint.max_response_bytes:
        raise _unavailable(
            "rpc_response_too_large",
            endpoint,
            f"expected at most {endpoint.max_response_bytes} bytes, got {len(body)}",
        )
    return body


def _reject_constant(name: str) -> None:
    raise ValueError(f"JSON has no {name}")


def _parse_json(endpoint: JsonRpcEndpoint, body: bytes) -> object:
    try:
        text = body.decode("utf-8")
    except ValueError:
        raise _unavailable("rpc_malformed", endpoint, "expected UTF-8 JSON") from None
    # json.loads recurses once per level; under a raised recursion limit a deeply nested answer
    # can overflow the C stack and crash the process, so depth is bounded before parsing.
    depth = nesting_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise _unavailable(
            "rpc_malformed", endpoint, f"expected JSON nested <= {MAX_JSON_DEPTH}, got {depth}"
        )
    try:
        return json.loads(text, parse_constant=_reject_constant)
    # ValueError: bad JSON, a huge integer literal; RecursionError: kept as a second guard.
    except (ValueError, RecursionError) as error:
        raise _unavailable(
            "rpc_malformed", endpoint, f"expected a JSON body, got {type(error).__name__}"
        ) from None


def rpc_call(
    endpoint: JsonRpcEndpoint, method: str, params: list[JsonValue], *, request_id: int = 1
) -> object:
    """Call ``method`` and return the JSON ``result``.

    Raises :class:`ExecutionReverted` for an EVM revert, :class:`RpcUnavailable` otherwise.
    """
    request = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
    body = json.dumps(request, separators=(",", ":")).encode("ascii")
    answer = _parse_json(endpoint, _http_body(endpoint, _exchange(endpoint, body)))
    # JSON-RPC 2.0 §5: a Response object has "jsonrpc": "2.0", the request's "id", and exactly
    # one of "result" and "error".
    if not isinstance(answer, dict):
        raise _unavailable(
            "rpc_malformed", endpoint, f"expected a JSON object, got {type(answer).__name__}"
        )
    if answer.get("jsonrpc") != "2.0":
        raise _unavailable(
            "rpc_malformed", endpoint, f'expected "jsonrpc": "2.0", got {answer.get("jsonrpc")!r}'
        )
    if type(answer.get("id")) is not int or answer.get("id") != request_id:
        raise _unavailable(
            "rpc_malformed", endpoint, f"expected id {request_id}, got {answer.get('id')!r}"
        )
    if ("result" in answer) == ("error" in answer):
        raise _unavailable(
            "rpc_malformed", endpoint, "expected exactly one of result and error"
        )
    if "result" in answer:
        return answer["result"]
    error = answer["error"]
    if not isinstance(error, dict):
        raise _unavailable("rpc_malformed", endpoint, "expected the error as a JSON object")
    code = error.get("code")
    message = error.get("message")
    if type(code) is not int or not isinstance(message, str):
        raise _unavailable("rpc_malformed", endpoint, "expected an integer code and a message")
    data = error.get("data")
    revert_data = data if isinstance(data, str) else ""
    if code == _REVERT_CODE:
        raise ExecutionReverted(f"{method}: {message[:200]}", data=revert_data)
    if code == _LEGACY_REVERT_CODE and message.startswith(_REVERT_MESSAGE):
        raise ExecutionReverted(f"{method}: {message[:200]}", data=revert_data)
    raise _unavailable("rpc_error", endpoint, f"{method}: error {code}: {message[:200]}")


def decode_hex_data(endpoint: JsonRpcEndpoint, value: object, what: str) -> bytes:
    """Bytes of a JSON-RPC DATA string (``0x`` + even hex), or :class:`RpcUnavailable`."""
    if not isinstance(value, str):
        raise _unavailable(
            "rpc_malformed", endpoint, f"expected {what} as hex text, got {type(value).__name__}"
        )
    if _HEX_DATA.fullmatch(value) is None:
        raise _unavailable(
            "rpc_malformed", endpoint, f"expected {what} as 0x + even hex, got {value[:80]!r}"
        )
    return bytes.fromhex(value[2:])
