"""The demo server's HTTP/1.1 front end (RFC 9112) on the standard library's threaded server.

CPython's ``http.server`` parser is not used for requests: it collapses a leading ``//`` in the
path, keeps obs-fold line breaks in values, accepts duplicate ``Host`` and ``Content-Length``,
ignores ``Transfer-Encoding``, passes NUL through and has no timeouts (attack catalogue, tags
[obs-py] SR-*, CC-06/08/12/15/18). Instead this handler reads the raw request line and header
lines itself, within fixed limits, and builds the :class:`~erc8128.http.message.Request` with
:func:`~erc8128.http.message.request_from_wire`, exactly as received. The effective target URI takes
its scheme and authority from the TRUSTED public URL, never from ``Host``.

RFC 9110 §7.2 (paraphrase): a server must not rely on ``Host`` for the target's authority when it
has its own configured identity; here ``Host`` is required once (RFC 9112 §3.2) and otherwise only
checked, while ``@authority`` always comes from configuration.

Decisions: bare-LF line endings are accepted like CRLF (as CPython and most servers do); obs-fold
is unfolded to one space (RFC 9112 §5.2 allows either that or 400); chunked bodies are refused
with 501; keep-alive is HTTP/1.1's default and HTTP/1.0 connections are closed after one answer.
"""

import contextlib
import email.utils
import io
import re
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final, TextIO

from erc8128.errors import Erc8128Error, MessageComponentError
from erc8128.http.message import Request, ascii_lower, authority, request_from_wire
from erc8128.protocol.challenge import HttpResponse, problem_response
from erc8128.server.app import App
from erc8128.server.budget import ConnectionCounter, FailureBudget, client_key
from erc8128.server.calls import Handled

_CONTENT_LENGTH: Final = re.compile(r"[0-9]{1,16}")
_LINE_END: Final = re.compile(rb"\r?\n\Z")
_SERVER_NAME: Final = "erc8128-demo"


@dataclass(frozen=True)
class FrontEndLimits:
    """Limits enforced before any request reaches the verifier."""

    request_line_bytes: int = 8 * 1024  # 414 above
    header_lines: int = 100  # 431 above
    header_bytes: int = 16 * 1024  # 431 above (all header lines, line ends included)
    body_bytes: int = 1024 * 1024  # 413 above
    timeout_sec: float = 10.0  # per socket read or write; an idle keep-alive connection closes
    # Whole request (request line, header section and content) from its first byte on: a client
    # that trickles bytes just inside timeout_sec cannot hold a thread longer than this. 408 after.
    request_deadline_sec: float = 30.0
    # Concurrent connections. When all are taken, a new client closes an idle connection of the
    # address holding the most (decision D77); 503 and close only if there is none to close.
    max_connections: int = 256
    # Decision D34: per client address (see erc8128.server.budget).
    connections_per_address: int = 32  # open connections; 429 and close above
    failure_budget: int = 64  # failed candidate verifications per failure_window_sec; 429 above
    failure_window_sec: float = 10.0


def escape_for_log(text: str, limit: int = 200) -> str:
    """``text`` with every control or non-ASCII character as ``\\xNN``, cut to ``limit``."""
    escaped = "".join(
        character if 0x20 <= ord(character) < 0x7F and character != "\\"
        else f"\\x{ord(character):02x}" if ord(character) <= 0xFF
        else f"\\u{ord(character):04x}"
        for character in text[:limit]
    )
    return escaped + ("..." if len(text) > limit else "")


class FrontEndRefusal(Erc8128Error):
    """A request refused by the front end before the app sees it (status 400, 413, 414, 417,
    431, 501 or 505); the connection is closed after the answer."""

    status: int

    def __init__(self, reason: str, message: str, *, status: int) -> None:
        super().__init__(reason, message)
        self.status = status

    @property
    def response(self) -> HttpResponse:
        return problem_response(self.status, self.reason, self.message)


@dataclass
class _Open:
    """An open connection's client key, and whether it waits for its next request."""

    address: str
    idle: bool = False


# RFC 8446 §5.1: the first byte of a TLS record carrying a ClientHello, ContentType handshake(22).
_TLS_HANDSHAKE: Final = b"\x16"


class _ConnectionGone(Exception):
    """The client closed the connection, or stalled past the timeout, mid-request."""


@dataclass(frozen=True)
class _Received:
    request: Request
    keep_alive: bool


class VerifierHTTPServer(ThreadingHTTPServer):
    """A threaded HTTP/1.1 server answering every request with :meth:`App.handle`.

    ``public_scheme`` and ``public_authority`` are the trusted origin of the effective target
    URI; ``app`` None answers 503 until one is set; ``clock`` gives ``now`` for verification;
    ``access_log`` gets one escaped line per request (None: silent).
    """

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        *,
        app: App | None,
        public_scheme: str,
        public_authority: str,
        limits: FrontEndLimits = FrontEndLimits(),
        clock: Callable[[], float] = time.time,
        access_log: TextIO | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.app = app
        self.public_scheme = public_scheme
        self.public_authority = public_authority
        self.limits = limits
        self.clock = clock
        self.access_log = access_log
        self.ssl_context = ssl_context
        self._slots = threading.BoundedSemaphore(limits.max_connections)
        self.budget = FailureBudget(limits.failure_budget, limits.failure_window_sec)
        self._per_address = ConnectionCounter(limits.connections_per_address)
        self._open: dict[Any, _Open] = {}  # open connection -> its client key and state
        self._open_lock = threading.Lock()
        self._log_lock = threading.Lock()
        super().__init__(address, RequestHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host's FQDN (a reverse DNS lookup): skipped.
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(self.server_address)
        self.server_address = self.socket.getsockname()
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def get_request(self) -> tuple[Any, Any]:
        connection, client_address = self.socket.accept()
        if self.ssl_context is not None:
            # The TLS handshake runs in the connection's own thread (RequestHandler.setup), so a
            # stalled TLS client cannot block the accept loop.
            connection = self.ssl_context.wrap_socket(
                connection, server_side=True, do_handshake_on_connect=False
            )
        return connection, client_address

    def _refuse_connection(self, request: Any, response: HttpResponse) -> None:
        """Answer a connection refused at accept time (problem+json) and close it. Over TLS no
        handshake was made, so the connection is only closed."""
        if self.ssl_context is None:
            with contextlib.suppress(OSError):
                request.settimeout(1.0)
                request.sendall(_serialise(response, close=True, head=False, clock=self.clock))
        self.shutdown_request(request)

    def process_request(self, request: Any, client_address: Any) -> None:
        address = _address(client_address)
        wait = self.budget.retry_after(address)
        if wait:
            self._refuse_connection(request, _budget_refusal(wait))
            self.log(f"{_client(client_address)} - - 429 failure_budget_exhausted")
            return
        if not self._per_address.acquire(address):
            # RFC 6585 §4: 429 "indicates that the user has sent too many requests in a given
            # amount of time"
            self._refuse_connection(request, problem_response(
                429, "address_connection_limit",
                f"expected at most {self.limits.connections_per_address} open connections "
                "per client address", headers=(("Retry-After", "1"),)))
            self.log(f"{_client(client_address)} - - 429 address_connection_limit")
            return
        if not self._slots.acquire(blocking=False) and not self._take_slot_from_largest(address):
            self._per_address.release(address)
            # RFC 9110 §15.6.4: 503 "indicates that the server is currently unable to handle the
            # request due to a temporary overload"
            self._refuse_connection(request, problem_response(
                503, "connection_limit",
                f"expected at most {self.limits.max_connections} open connections",
                headers=(("Retry-After", "1"),)))
            self.log(f"{_client(client_address)} - - 503 connection_limit")
            return
        with self._open_lock:
            self._open[request] = _Open(address)
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._forget(request)
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._forget(request)

    def _forget(self, request: Any) -> None:
        with self._open_lock:
            entry = self._open.pop(request, None)
            if entry is not None:
                self._per_address.release(entry.address)
                self._slots.release()

    def connection_idle(self, connection: Any, idle: bool) -> None:
        """Note that ``connection`` waits for its next request (``idle``) or is in one."""
        with self._open_lock:
            entry = self._open.get(connection)
            if entry is not None:
                entry.idle = idle

    def _take_slot_from_largest(self, address: str) -> bool:
        """Decision D77: every slot is taken; close one connection of the client key holding
        the most, if it holds at least two more than ``address``, and hand its slot over.

        An idle keep-alive connection (waiting for its next request) is closed in preference to
        one in a request; either way the holder keeps at least as many connections as the
        newcomer. So no set of addresses can hold every slot against one that holds fewer: the
        share each holds shrinks as more addresses connect, towards max_connections / keys.
        The closed connection's thread sees end of input and exits; its slot is not released
        again (it is no longer in ``_open``)."""
        largest = self._per_address.largest()
        if largest is None:
            return False
        holder, held = largest
        # The newcomer was already counted by _per_address.acquire: compare with one fewer.
        if held < self._per_address.count(address) - 1 + 2 or holder == address:
            return False
        with self._open_lock:
            victims = [c for c, entry in self._open.items() if entry.address == holder]
            if not victims:
                return False
            idle = [c for c in victims if self._open[c].idle]
            victim = (idle or victims)[0]
            del self._open[victim]
        self._per_address.release(holder)
        with contextlib.suppress(OSError):
            victim.shutdown(socket.SHUT_RDWR)
        self.log(f"{holder} - - closed {'an idle' if idle else 'a busy'} connection of the "
                 f"address holding the most ({held}) for {address}")
        return True

    def close_connections(self) -> None:
        """Shut down every open connection (their threads then see end of input and exit)."""
        with self._open_lock:
            connections = list(self._open)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # socketserver prints a traceback here; one escaped line instead.
        error = sys.exc_info()[1]
        self.log(f"{_client(client_address)} connection error {type(error).__name__}")

    def log(self, line: str) -> None:
        if self.access_log is None:
            return
        with self._log_lock:
            try:
                self.access_log.write(escape_for_log(line, limit=1000) + "\n")
                self.access_log.flush()
            except (OSError, ValueError):
                pass


def _host_is_valid(value: str) -> bool:
    """RFC 9110 §7.2 ``Host = uri-host [ ":" port ]``: an authority with nothing around it."""
    if any(character in "/?#@" or character.isspace() for character in value):
        return False
    try:
        authority(f"http://{value}/")
    except MessageComponentError:
        return False
    return True


def _address(client_address: Any) -> str:
    """The budgets' key for the client: its IP address, an IPv6 one as its /64 (D77)."""
    if isinstance(client_address, tuple) and client_address:
        return client_key(str(client_address[0]))
    return client_key(str(client_address))


def _budget_refusal(wait: int) -> HttpResponse:
    # RFC 6585 §4: "The response representations SHOULD include details explaining the
    # condition, and MAY include a Retry-After header indicating how long to wait before making
    # a new request."
    return problem_response(
        429, "failure_budget_exhausted",
        "too many failed verifications from this address; retry later",
        headers=(("Retry-After", str(wait)),))


def _serialise(response: HttpResponse, *, close: bool, head: bool,
               clock: Callable[[], float]) -> bytes:
    """The response on the wire: status line, its header lines, framing, content."""
    try:
        phrase = HTTPStatus(response.status).phrase
    except ValueError:
        phrase = "Unknown"
    lines = [f"HTTP/1.1 {response.status} {phrase}"]
    lines.extend(f"{name}: {value}" for name, value in response.headers)
    # Decision D79: every answer (pages, API JSON, problem+json refusals, front-end refusals)
    # carries nosniff, so no browser reads a JSON or problem body as script or HTML. Fetch
    # standard §"X-Content-Type-Options": "nosniff" is its only value.
    if not any(name.lower() == "x-content-type-options" for name, _ in response.headers):
        lines.append("X-Content-Type-Options: nosniff")
    lines.append(f"Content-Length: {len(response.body)}")
    # RFC 9110 §6.6.1: "An origin server with a clock [...] MUST generate a Date header
    # field" in 2xx, 3xx and 4xx responses.
    lines.append(f"Date: {email.utils.formatdate(clock(), usegmt=True)}")
    lines.append(f"Server: {_SERVER_NAME}")
    if close:
        lines.append("Connection: close")
    # RFC 9110 §9.3.2: the server "MUST NOT send content in the response" to HEAD.
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (b"" if head else response.body)


def _client(client_address: Any) -> str:
    if isinstance(client_address, tuple) and len(client_address) >= 2:
        return f"{client_address[0]}:{client_address[1]}"
    return str(client_address)


class RequestHandler(BaseHTTPRequestHandler):
    """One connection: read a request within limits, answer it, repeat while kept alive."""

    protocol_version = "HTTP/1.1"
    server_version = _SERVER_NAME
    server: VerifierHTTPServer

    # When the request being read must be complete (time.monotonic()), once its line began.
    _deadline: float | None = None

    def setup(self) -> None:
        super().setup()
        # StreamRequestHandler reads through socket.makefile("rb"): a BufferedReader, whose
        # peek() lets _readline make one socket read at a time.
        assert isinstance(self.rfile, io.BufferedReader)
        self._reader: io.BufferedReader = self.rfile
        # StreamRequestHandler.timeout is a class attribute; the limit is per server.
        self.connection.settimeout(self.server.limits.timeout_sec)
        if isinstance(self.connection, ssl.SSLSocket):
            self.connection.do_handshake()

    def handle_one_request(self) -> None:
        self.close_connection = True
        method, target = "-", "-"
        try:
            received = self._read_request()
        except _ConnectionGone:
            return
        except FrontEndRefusal as refusal:
            self._answer(refusal.response, close=True, head=False)
            self._log_line(method, target, refusal.response.status, refusal.reason)
            self._linger()
            return
        except (TimeoutError, OSError):
            return
        request = received.request
        method, target = request.method, request.target_uri
        address = _address(self.client_address)
        wait = self.server.budget.retry_after(address)
        if wait:
            # Decision D34: an address that spent its failed-verification budget is refused
            # before its request is verified (nothing parsed, nothing recovered).
            exhausted = _budget_refusal(wait)
            self._answer(exhausted, close=True, head=request.method == "HEAD")
            self._log_line(method, target, 429, "failure_budget_exhausted")
            return
        try:
            app = self.server.app
            handled = (
                app.handle(request, now=int(self.server.clock()), client=address)
                if app is not None
                else Handled(problem_response(503, "starting", "the server is starting"),
                             "starting")
            )
        except Exception as error:
            self.server.log(f"{_client(self.client_address)} internal error "
                            f"{type(error).__name__} on {method} {target}")
            handled = Handled(
                problem_response(500, "internal_error", "the server could not answer"),
                "internal_error",
            )
        self.server.budget.charge(address, handled.cost)
        close = not received.keep_alive
        try:
            self._answer(handled.response, close=close, head=request.method == "HEAD")
        except OSError:
            close = True
        self._log_line(method, target, handled.response.status, handled.reason)
        self.close_connection = close

    # ---- reading -----------------------------------------------------------------------------
    def _arm(self) -> None:
        """Before each read: the socket may wait no longer than the request has left."""
        if self._deadline is None:
            return
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            self._timed_out()
        self.connection.settimeout(min(self.server.limits.timeout_sec, remaining))

    def _timed_out(self) -> None:
        # RFC 9110 §15.5.9: "The 408 (Request Timeout) status code indicates that the server did
        # not receive a complete request message within the time that it was prepared to wait."
        raise FrontEndRefusal("request_timeout",
                              f"expected the whole request within "
                              f"{self.server.limits.request_deadline_sec:g} s", status=408)

    def _readline(self, limit: int) -> bytes:
        """One line of at most ``limit`` bytes (fewer at the end of input).

        Unlike ``rfile.readline``, which loops over as many socket reads as a line takes, every
        socket read here is armed with the time the request has left.
        """
        line = bytearray()
        while len(line) < limit:
            self._arm()
            try:
                available = self._reader.peek(1)  # buffered bytes, or one socket read
            except (TimeoutError, OSError) as error:
                if self._deadline is not None and time.monotonic() >= self._deadline:
                    self._timed_out()
                raise _ConnectionGone(type(error).__name__) from None
            if not available:
                break
            window = available[: limit - len(line)]
            end = window.find(b"\n")
            line += self._reader.read(len(window) if end < 0 else end + 1)
            if end >= 0:
                break
        return bytes(line)

    def _read_content(self, length: int) -> bytes:
        """The content, read in chunks so that the request deadline bounds it as a whole."""
        chunks: list[bytes] = []
        received = 0
        while received < length:
            self._arm()
            try:
                chunk: bytes = self.rfile.read1(min(64 * 1024, length - received))
            except (TimeoutError, OSError) as error:
                if self._deadline is not None and time.monotonic() >= self._deadline:
                    self._timed_out()
                raise _ConnectionGone(type(error).__name__) from None
            if not chunk:
                break
            chunks.append(chunk)
            received += len(chunk)
        return b"".join(chunks)

    def _read_request(self) -> _Received:
        limits = self.server.limits
        # RFC 9112 §2.2: "a server that is expecting to receive and parse a request-line SHOULD
        # ignore at least one empty line (CRLF) received prior to the request-line."
        self._deadline = None  # before its first byte, a request may wait for timeout_sec
        self.connection.settimeout(limits.timeout_sec)
        # D77: while it waits for a request's first byte, the connection may be closed to make
        # room for another client (VerifierHTTPServer._take_slot_from_largest).
        self.server.connection_idle(self.connection, True)
        try:
            first = self._reader.peek(1)[:1]
            if not first:
                raise _ConnectionGone("end of input")
        except (TimeoutError, OSError) as error:
            raise _ConnectionGone(type(error).__name__) from None
        finally:
            self.server.connection_idle(self.connection, False)
        if first == _TLS_HANDSHAKE and not isinstance(self.connection, ssl.SSLSocket):
            # A TLS ClientHello (RFC 8446 §5.1: a record of ContentType handshake(22)) on this
            # plain-HTTP port: no line end may come, and the client waits for a ServerHello.
            # Answering at once fails its handshake now instead of after both sides time out.
            self.server.log(f"{_client(self.client_address)} sent a TLS handshake to this "
                            f"plain-HTTP port (the client should use http://)")
            raise FrontEndRefusal(
                "request_line_malformed",
                "expected an HTTP request line, got a TLS handshake: this port speaks plain "
                "HTTP; use http://", status=400)
        # The deadline covers the request line too: a request line trickled one byte just inside
        # timeout_sec cannot hold the connection past request_deadline_sec (issue 11, finding 2).
        self._deadline = time.monotonic() + limits.request_deadline_sec
        raw_line = self._readline(limits.request_line_bytes + 3)
        if raw_line in (b"\r\n", b"\n"):
            raw_line = self._readline(limits.request_line_bytes + 3)
        if not raw_line:
            raise _ConnectionGone("end of input")
        request_line = _LINE_END.sub(b"", raw_line)
        line_complete = raw_line.endswith(b"\n")
        if not line_complete and len(raw_line) < limits.request_line_bytes + 3:
            raise _ConnectionGone("end of input in the request line")
        if not line_complete or len(request_line) > limits.request_line_bytes:
            # RFC 9112 §3: "A server that receives a request-target longer than any URI it
            # wishes to parse MUST respond with a 414 (URI Too Long) status code"
            raise FrontEndRefusal("request_line_too_long",
                                  f"expected a request line <= {limits.request_line_bytes} bytes",
                                  status=414)
        version = request_line.rsplit(b" ", 1)[-1]
        if version.startswith(b"HTTP/") and version not in (b"HTTP/1.1", b"HTTP/1.0"):
            raise FrontEndRefusal("http_version_not_supported",
                                  "expected HTTP/1.1 or HTTP/1.0", status=505)

        header_lines: list[str] = []
        header_bytes = 0
        while True:
            room = limits.header_bytes - header_bytes + 3
            raw = self._readline(room)
            if raw in (b"\r\n", b"\n"):
                break
            if not raw.endswith(b"\n") and len(raw) < room:
                raise _ConnectionGone("end of input in the header section")
            header_bytes += len(raw)
            # RFC 6585 §5: "431 (Request Header Fields Too Large) [...] the server is unwilling
            # to process the request because its header fields are too large."
            if header_bytes > limits.header_bytes or not raw.endswith(b"\n"):
                raise FrontEndRefusal("header_section_too_large",
                                      f"expected header lines <= {limits.header_bytes} bytes",
                                      status=431)
            header_lines.append(raw.decode("latin-1"))
            if len(header_lines) > limits.header_lines:
                raise FrontEndRefusal("too_many_header_lines",
                                      f"expected <= {limits.header_lines} header lines", status=431)

        try:
            head = request_from_wire(
                request_line.decode("latin-1"),
                header_lines,
                None,
                scheme=self.server.public_scheme,
                authority=self.server.public_authority,
            )
        except MessageComponentError as error:
            # The reason names the rule; the detail does not echo what was received.
            raise FrontEndRefusal(error.reason, "the request is not valid HTTP/1.1",
                                  status=400) from None

        # RFC 9112 §3.2: "A server MUST respond with a 400 (Bad Request) status code to any
        # HTTP/1.1 request message that lacks a Host header field and to any request message
        # that contains more than one Host header field line or a Host header field with an
        # invalid field value."
        hosts = head.field_lines("host")
        if not hosts:
            raise FrontEndRefusal("missing_host", "expected one Host header field, got none",
                                  status=400)
        if len(hosts) > 1:
            raise FrontEndRefusal("duplicate_host",
                                  f"expected one Host field line, got {len(hosts)}", status=400)
        if not hosts[0]:
            raise FrontEndRefusal("invalid_host", "expected a non-empty Host value", status=400)
        # RFC 9110 §7.2: Host = uri-host [ ":" port ] (RFC 3986 §3.2.2); "a b" is no host.
        if not _host_is_valid(hosts[0]):
            raise FrontEndRefusal("invalid_host", "expected Host as uri-host [ \":\" port ]",
                                  status=400)
        # RFC 9112 §6.1: "A server that receives a request message with a transfer coding it
        # does not understand SHOULD respond with 501 (Not Implemented)." Chunked bodies are
        # not supported here at all: the body must be framed by Content-Length.
        if head.field_lines("transfer-encoding"):
            raise FrontEndRefusal("transfer_encoding_not_supported",
                                  "expected a Content-Length framed body, got Transfer-Encoding",
                                  status=501)
        content_lengths = head.field_lines("content-length")
        if len(content_lengths) > 1:
            # RFC 9112 §6.3: a message with invalid or conflicting Content-Length "MUST" be
            # treated as an unrecoverable framing error (paraphrase): 400 and close.
            raise FrontEndRefusal("duplicate_content_length",
                                  f"expected one Content-Length line, got {len(content_lengths)}",
                                  status=400)
        length: int | None = None
        if content_lengths:
            # RFC 9110 §8.6: Content-Length = 1*DIGIT (int() would also take "+5", "5_0", "٥").
            if _CONTENT_LENGTH.fullmatch(content_lengths[0]) is None:
                raise FrontEndRefusal("invalid_content_length",
                                      "expected Content-Length as 1 to 16 ASCII digits", status=400)
            length = int(content_lengths[0])
            if length > limits.body_bytes:
                # RFC 9110 §15.5.14: 413 (Content Too Large)
                raise FrontEndRefusal("content_too_large",
                                      f"expected <= {limits.body_bytes} bytes, got {length}",
                                      status=413)

        keep_alive = self._keep_alive(request_line, head)
        expectations = [ascii_lower(value) for value in head.field_lines("expect")]
        if expectations:
            # RFC 9110 §10.1.1: "A server that receives an Expect field value containing a
            # member other than 100-continue MAY respond with a 417 (Expectation Failed)".
            if expectations != ["100-continue"]:
                raise FrontEndRefusal("expectation_failed",
                                      "expected only Expect: 100-continue", status=417)
            if request_line.endswith(b"HTTP/1.1") and length:
                self._write(b"HTTP/1.1 100 Continue\r\n\r\n")

        body: bytes | None = None
        if length is not None:
            body = self._read_content(length)
            if len(body) != length:
                raise _ConnectionGone("end of input in the content")
        request = Request(head.method, head.target_uri, head.headers, body)
        return _Received(request, keep_alive)

    @staticmethod
    def _keep_alive(request_line: bytes, head: Request) -> bool:
        # RFC 9112 §9.3: HTTP/1.1 connections persist unless "close" is a connection option;
        # HTTP/1.0 ones are closed after one answer here.
        if not request_line.endswith(b"HTTP/1.1"):
            return False
        options = {
            ascii_lower(option.strip())
            for value in head.field_lines("connection")
            for option in value.split(",")
        }
        return "close" not in options

    # ---- writing -----------------------------------------------------------------------------
    def _write(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()

    def _answer(self, response: HttpResponse, *, close: bool, head: bool) -> None:
        data = _serialise(response, close=close, head=head, clock=self.server.clock)
        try:
            self._write(data)
        except (TimeoutError, OSError):
            self.close_connection = True

    def _linger(self) -> None:
        """After refusing mid-request, stop writing and drain what the client still sends
        (briefly), so that closing does not reset the connection before it reads the answer."""
        try:
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(0.5)
            deadline = time.monotonic() + 1.0
            drained = 0
            while time.monotonic() < deadline and drained < 4 * 1024 * 1024:
                chunk = self.connection.recv(65536)
                if not chunk:
                    break
                drained += len(chunk)
        except (TimeoutError, OSError):
            pass

    def _log_line(self, method: str, target: str, status: int, reason: str | None) -> None:
        self.server.log(
            f"{_client(self.client_address)} {method} {target} {status} {reason or '-'}"
        )

    def log_message(self, format: str, *args: Any) -> None:
        self.server.log(f"{_client(self.client_address)} " + format % args)

