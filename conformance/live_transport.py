"""Live mode's transport: send a request exactly as built, race copies of it, read §7 discovery.

Nothing here judges an answer (that is :mod:`erc8128_conformance.live`): requests go out with
exactly their header lines, a 429 is retried after its ``Retry-After`` (RFC 6585 §4, bounded),
an answer that is no HTTP response is a :class:`BadAnswer`, and :func:`send_together` releases
copies of one request together for the replay race (ERC-8128 draft, Test Cases: "Implementations
MUST test a replay race by submitting the positive request concurrently").
"""

import contextlib
import http.client
import json
import re
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from erc8128.http.message import Request
from erc8128.protocol.keyid import ProfileName

__all__ = [
    "CHALLENGE_ERROR",
    "MAX_DISCOVERY_BYTES",
    "RATE_LIMIT_MAX_WAIT_SEC",
    "RATE_LIMIT_RETRIES",
    "WELL_KNOWN_PATH",
    "BadAnswer",
    "HttpAnswer",
    "LiveTarget",
    "RateLimited",
    "fetch_discovery",
    "path_sent",
    "retry_after",
    "route_policy",
    "send",
    "send_together",
]

# The discovery document is read up to 64 KiB (ERC-8128 §7: "A client MUST enforce a response
# limit no greater than 65,536 decoded octets").
MAX_DISCOVERY_BYTES: Final = 65536
WELL_KNOWN_PATH: Final = "/.well-known/erc8128"

CHALLENGE_ERROR: Final = re.compile(r'(?i)^ERC8128\b.*\berror="([a-z_]+)"')


# A 429 answer (RFC 6585 §4) is retried after its Retry-After, at most this many times and never
# after waiting more than this many seconds in all; then the check is reported as rate limited.
RATE_LIMIT_RETRIES: Final = 3
RATE_LIMIT_MAX_WAIT_SEC: Final = 10.0


class RateLimited(OSError):
    """The server kept answering 429 (the check is reported as rate limited, not judged)."""


class BadAnswer(OSError):
    """The server's answer is no HTTP response (garbage, a reset mid-answer)."""


@dataclass(frozen=True)
class LiveTarget:
    """The server under test: its trusted base URL, the endpoint, the profile to sign with."""

    base_url: str  # scheme://authority, as the server reconstructs the target URI
    path: str
    profile: ProfileName
    timeout: float = 10.0
    chain_id: int = 1

    @property
    def url(self) -> str:
        return self.base_url.rstrip("/") + self.path

    @property
    def authority(self) -> str:
        return urllib.parse.urlsplit(self.base_url).netloc


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def reason(self) -> str | None:
        """The stable code the answer carries (problem+json ``reason``, else the challenge)."""
        try:
            document = json.loads(self.body)
        except ValueError:
            document = None
        if isinstance(document, dict) and isinstance(document.get("reason"), str):
            return str(document["reason"])
        match = CHALLENGE_ERROR.match(self.header("WWW-Authenticate") or "")
        return match.group(1) if match else None

    def summary(self) -> str:
        body = self.body[:400].decode("utf-8", "replace")
        return f"HTTP {self.status} {list(self.headers)} {body!r}"


# ---- transport ---------------------------------------------------------------------------------


def send(target: LiveTarget, request: Request, *, limit: int | None = None,
         connect: str | None = None, sleep: Callable[[float], None] = time.sleep) -> HttpAnswer:
    """Send ``request`` with exactly its header lines (no header added or reordered).

    ``connect`` (``scheme://authority``) reaches another instance of the deployment; the request
    itself is unchanged. A 429 is retried after its ``Retry-After`` (bounded; then
    :class:`RateLimited`); an answer that is no HTTP response raises :class:`BadAnswer`.
    """
    waited = 0.0
    for attempt in range(RATE_LIMIT_RETRIES + 1):
        answer = _send_once(target, request, limit=limit, connect=connect)
        if answer.status != 429:
            return answer
        wait = retry_after(answer)
        if attempt == RATE_LIMIT_RETRIES or waited + wait > RATE_LIMIT_MAX_WAIT_SEC:
            break
        sleep(wait)
        waited += wait
    raise RateLimited(
        f"rate limited: {request.method} {path_sent(request)} answered 429 "
        f"{RATE_LIMIT_RETRIES + 1} times (waited {waited:g} s, Retry-After "
        f"{answer.header('Retry-After')!r})"
    )


def retry_after(answer: HttpAnswer) -> float:
    """RFC 9110 §10.2.3 Retry-After as delay-seconds (an HTTP-date or nothing: 1 s)."""
    value = (answer.header("Retry-After") or "").strip()
    return float(min(int(value), 60)) if value.isdigit() else 1.0


def path_sent(request: Request) -> str:
    parts = urllib.parse.urlsplit(request.target_uri)
    rest = request.target_uri[len(parts.scheme) + 3 + len(parts.netloc):]
    return rest.split("#", 1)[0] or "/"


def _connection(netloc: str, scheme: str, timeout: float) -> http.client.HTTPConnection:
    if scheme == "https":
        return http.client.HTTPSConnection(netloc, timeout=timeout,
                                           context=ssl.create_default_context())
    return http.client.HTTPConnection(netloc, timeout=timeout)


def _send_once(target: LiveTarget, request: Request, *, limit: int | None,
               connect: str | None) -> HttpAnswer:
    parts = urllib.parse.urlsplit(connect or request.target_uri)
    connection = _connection(parts.netloc, parts.scheme, target.timeout)
    try:
        # The request target exactly as built: urlsplit would keep "//" and dot segments, but
        # a bare "?" is only visible in the text itself.
        connection.putrequest(request.method, path_sent(request), skip_host=True,
                              skip_accept_encoding=True)
        for name, value in request.headers:
            connection.putheader(name, value)
        body = request.body
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        try:
            connection.endheaders(body)
        except (BrokenPipeError, ConnectionResetError):
            # Refused at accept time (a 429 or 503 written before the request was read): the
            # answer may still be there to read.
            if connection.sock is None:
                raise
            response = http.client.HTTPResponse(connection.sock, method=request.method)
            response.begin()
        else:
            response = connection.getresponse()
        data = response.read() if limit is None else response.read(limit + 1)
        return HttpAnswer(response.status, tuple(response.getheaders()), data)
    except http.client.HTTPException as error:
        raise BadAnswer(f"{request.method} {path_sent(request)}: no HTTP answer "
                        f"({type(error).__name__}: {error})") from None
    except OSError as error:
        if isinstance(error, BadAnswer):
            raise
        # The path actually sent, not the configured one.
        raise type(error)(f"{request.method} {path_sent(request)}: "
                          f"{error.strerror or error or type(error).__name__}") from None
    finally:
        connection.close()


def send_together(target: LiveTarget, request: Request, copies: int,
                  connects: Sequence[str | None] = (None,)) -> list[HttpAnswer | OSError]:
    """Send ``copies`` copies of ``request``, each on its own connection, released together.

    Every copy is connected and written up to its last byte first; a barrier then lets them all
    finish at once, so the verifier sees them concurrently. Copy ``i`` goes to
    ``connects[i % len(connects)]``. Exactly ``copies`` requests are sent, never retried.
    """
    barrier = threading.Barrier(copies)
    results: list[HttpAnswer | OSError] = [OSError("not sent")] * copies
    path = path_sent(request)
    head = [f"{request.method} {path} HTTP/1.1".encode("latin-1")]
    head += [f"{name}: {value}".encode("latin-1") for name, value in request.headers]
    if request.body is not None:
        head.append(f"Content-Length: {len(request.body)}".encode("ascii"))
    raw = b"\r\n".join(head) + b"\r\n\r\n" + (request.body or b"")

    def one(index: int) -> None:
        parts = urllib.parse.urlsplit(connects[index % len(connects)] or request.target_uri)
        connection = _connection(parts.netloc, parts.scheme, target.timeout)
        try:
            connection.connect()
            assert connection.sock is not None
            try:
                # All but the last byte now; the last byte of every copy after the barrier.
                connection.sock.sendall(raw[:-1])
                # Another copy failed to connect: send anyway, still one request each.
                with contextlib.suppress(threading.BrokenBarrierError):
                    barrier.wait(timeout=target.timeout)
                connection.sock.sendall(raw[-1:])
            except OSError:
                # Refused at accept time (a 429 or 503 written before the request was read):
                # read that answer below; the barrier must not wait for this copy.
                barrier.abort()
            response = http.client.HTTPResponse(connection.sock, method=request.method)
            response.begin()
            results[index] = HttpAnswer(response.status, tuple(response.getheaders()),
                                        response.read())
        except http.client.HTTPException as error:
            results[index] = BadAnswer(f"no HTTP answer ({type(error).__name__}: {error})")
        except OSError as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(index,), daemon=True)
               for index in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(target.timeout * 3)
    return results


def fetch_discovery(target: LiveTarget) -> tuple[Mapping[str, Any] | None, str]:
    """The ERC-8128 §7 document at ``/.well-known/erc8128``, or None and why not."""
    request = Request("GET", target.base_url.rstrip("/") + WELL_KNOWN_PATH,
                      (("Host", target.authority),), None)
    try:
        answer = send(target, request, limit=MAX_DISCOVERY_BYTES)
    except OSError as error:
        return None, f"cannot fetch {WELL_KNOWN_PATH}: {error}"
    if answer.status != 200:
        return None, f"{WELL_KNOWN_PATH}: HTTP {answer.status}"
    if len(answer.body) > MAX_DISCOVERY_BYTES:
        return None, f"{WELL_KNOWN_PATH}: over {MAX_DISCOVERY_BYTES} bytes"
    try:
        document = json.loads(answer.body)
    except (ValueError, RecursionError):
        return None, f"{WELL_KNOWN_PATH}: not JSON"
    if not isinstance(document, dict):
        return None, f"{WELL_KNOWN_PATH}: not a JSON object"
    return document, f"{WELL_KNOWN_PATH} read"


def route_policy(document: Mapping[str, Any] | None, path: str, method: str
                 ) -> Mapping[str, Any] | None:
    """The route policy ERC-8128 §7 selects for ``method path``, or None.

    ERC-8128 §7: "An exact path wins over a wildcard; among matching wildcards, the longest
    prefix wins; `default` applies only when no path key matches. When a selected key contains
    an array, the first policy whose `methods` contains an exact, octet-for-octet match for the
    case-sensitive request method wins"; "Otherwise, the first policy without `methods`
    applies."
    """
    if document is None:
        return None
    routes = document.get("route_policies")
    if not isinstance(routes, dict):
        return None
    path = path.split("?", 1)[0]
    selected: Any = None
    if path in routes:
        selected = routes[path]
    else:
        wildcards = [key for key in routes
                     if isinstance(key, str) and key.endswith("/*") and path.startswith(key[:-1])]
        if wildcards:
            selected = routes[max(wildcards, key=len)]
        elif "default" in routes:
            selected = routes["default"]
    policies = selected if isinstance(selected, list) else [selected]
    policies = [p for p in policies if isinstance(p, dict)]
    for policy in policies:
        methods = policy.get("methods")
        if isinstance(methods, list) and method in methods:
            return dict(policy)
    for policy in policies:
        if "methods" not in policy:
            return dict(policy)
    return None
