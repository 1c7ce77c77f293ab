"""What a developer pastes into the inspector: one parser for every form a signed request is
found in, returning the request and what the paste said about where it was sent.

Formats (decision D65, SPEC.md §6):

- ``http1``: a raw HTTP/1.1 request (RFC 9112 §3: request line, field lines, blank line,
  content); an absolute-form target (``GET https://host/p HTTP/1.1``) names the origin, and a
  request line written ``HTTP/2`` or ``HTTP/3`` (as browsers show them) is read the same way.
- ``curl-trace``: ``curl -v`` output: the request is on the lines prefixed ``> ``; ``*`` lines,
  ``<`` lines and progress lines are skipped; a TLS line says https.
- ``erc8128-verbose``: ``erc8128 request -v`` output: ``> ``/``>+ `` lines, and the printed
  signature base ``M`` (``*   "@scheme": ...``) names the scheme and authority that were signed.
- ``curl-bash`` / ``curl-cmd``: a ``curl`` command as "Copy as cURL" writes it for bash
  (single quotes, ``$'...'``) or for Windows cmd (``^`` escapes, ``^"...^"``).
- ``header-list``: HTTP/2 or HTTP/3 header lines with pseudo-headers (RFC 9113 §8.3.1:
  ``:method``, ``:scheme``, ``:authority``, ``:path``), one ``name: value`` a line, then
  optionally a blank line and the content.
- ``har`` / ``har-entry``: a HAR 1.2 file (``log.entries``) or one of its entries.
- ``python-debug``: what Python's ``http.client`` prints with ``debuglevel = 1`` (under
  ``requests`` and ``urllib`` too): ``send: b'...'`` lines holding the octets sent (the head, then
  the content), ``reply:`` and ``header:`` lines holding the answer.
- ``node-request``: what Node prints for ``console.log(request)`` of a fetch ``Request`` (what
  ``@slicekit/erc8128``'s ``signRequest`` returns): ``Request {`` with ``method``, ``url`` and a
  ``headers: Headers {...}`` block of JavaScript string literals; it never shows the content.
- ``fetch``: a ``fetch(URL, OPTIONS)`` call as DevTools' "Copy as fetch" writes it (URL and
  OPTIONS in JSON: ``headers``, ``body``, ``method``; the rest ignored), what a JavaScript
  author has at hand; the headers a page may not set are absent from it and are rebuilt where
  the call says them (Host from the URL, Content-Length from the body).
- ``asgi-scope`` / ``wsgi-environ``: what a server author prints in an app to see what it was
  handed: an ASGI HTTP connection scope (``print(request.scope)``) or a WSGI environ
  (``print(request.environ)``), as Python's ``repr`` writes them. They are read as Python
  literals, never evaluated (an object's ``<...>`` repr or a call such as ``Route(...)`` reads
  as nothing), and their target and header fields are taken exactly as the middleware takes
  them (:mod:`erc8128.http.gateway`). Neither holds the content.
- ``logged-request``: a Node server's JSON log line of a request, as pino-http (Express) and
  pino's standard request serializer write it: ``req`` with ``method``, ``url`` (the target as
  received) and ``headers``; ``res.statusCode`` and ``res.headers`` are the server's answer. A
  log file's several lines (NDJSON): the first signed request among them. No content is logged.

Around any of them: a paste indented as a whole (a Markdown code block, a quoted mail) is read
without the indentation its lines share (``textwrap.dedent``: no request line or field line
starts with white space); a paste that is one string literal, a Python ``bytes`` or ``str``
repr (``print(repr(data))``, a log of the octets a socket received) or a JSON string (a log
field), is read as what the literal holds (``ast.literal_eval`` / ``json.loads``: a literal,
nothing evaluated), once.

The result is a :class:`~erc8128.http.raw_request.RawRequest` (field values as the octets a
client sends: the text's UTF-8 encoding, read as latin-1 as a server reads them) and the scheme
and authority the paste said, each with where it said it. Nothing here decides trust: the caller
says whether the paste's origin is used.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from erc8128.errors import Erc8128Error
from erc8128.http.gateway import asgi_request_target, wsgi_header_columns, wsgi_request_target
from erc8128.http.raw_request import RawRequest

# Every format, as named in messages (the one message for an unknown paste names them all).
FORMATS: Final[dict[str, str]] = {
    "http1": "raw HTTP/1.1 request",
    "curl-trace": "curl -v trace",
    "erc8128-verbose": "erc8128 request -v output",
    "curl-bash": "Copy as cURL (bash)",
    "curl-cmd": "Copy as cURL (cmd)",
    "header-list": "HTTP/2 or HTTP/3 header list",
    "har": "HAR file",
    "har-entry": "HAR entry",
    "fetch": "Copy as fetch (a fetch(URL, OPTIONS) call)",
    "python-debug": "Python http.client debug output (send: b'...' lines)",
    "node-request": "Node console.log of a Request (Request { method, url, headers })",
    "asgi-scope": "printed ASGI scope (print(request.scope))",
    "wsgi-environ": "printed WSGI environ (print(request.environ))",
    "logged-request": "a JSON log line of a request (pino-http: req.method, req.url, req.headers)",
}
_REQUEST_LINE: Final = re.compile(r"([A-Za-z]+) (\S+) (HTTP/[0-9](?:\.[0-9])?)")
_HEADER_LINE: Final = re.compile(r"(:?[!#$%&'*+\-.^_`|~0-9A-Za-z]+):(.*)")
# curl prints these only when it negotiated TLS (OpenSSL, GnuTLS, Secure Transport wordings).
_TLS_LINE: Final = re.compile(r"\* +(?:SSL connection using|TLSv1|ALPN|Server certificate)")
_SIGNED_LINE: Final = re.compile(r'\* +"@(scheme|authority)": (\S+)$')
_MAX_QUOTED: Final = 80


class PasteError(Erc8128Error):
    """A paste that is none of the formats, or one that is broken inside its format."""


class HarEntryRequired(PasteError):
    """A HAR file with several entries and no choice made: ``entries`` lists them."""

    def __init__(self, message: str, entries: tuple[HarEntrySummary, ...]) -> None:
        super().__init__("har_entry_required", message)
        self.entries = entries


@dataclass(frozen=True)
class HarEntrySummary:
    """One entry of a HAR file, for the list a person chooses from."""

    index: int
    method: str
    url: str
    signed: bool  # it has a Signature-Input header


@dataclass(frozen=True)
class Paste:
    """A parsed paste: the request, its format, and the origin parts the paste said."""

    format: str
    raw: RawRequest
    scheme: str | None = None
    scheme_from: str | None = None
    authority: str | None = None
    authority_from: str | None = None
    entries: tuple[HarEntrySummary, ...] = ()
    entry: int | None = None  # the HAR entry used
    # The server's answer when the paste shows one (a -v trace, a HAR entry): its status and,
    # from WWW-Authenticate: ERC8128 error="..." (SPEC.md §5), the reason code it refused with.
    answer_status: int | None = None
    answer_reason: str | None = None
    literal: str | None = None  # the string literal the paste was written in, if any

    @property
    def format_title(self) -> str:
        title = FORMATS[self.format]
        return f"{title}, in a {self.literal}" if self.literal else title


def _quote(line: str) -> str:
    shown = line if len(line) <= _MAX_QUOTED else line[:_MAX_QUOTED] + "..."
    return json.dumps(shown, ensure_ascii=False)


def _wire(text: str) -> str:
    """Header text as the octets a client sends (UTF-8), read as a server reads them (latin-1)."""
    return text.encode("utf-8").decode("latin-1")


def as_text(wire: str) -> str:
    """A field value the verifier holds (latin-1 octets) shown as the text that was pasted: the
    inverse of the edge's conversion, so "§" prints as "§", not "Â§"."""
    try:
        return wire.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return wire


# A quoted string on one line, as Python's repr writes one (and JSON, in double quotes).
_QUOTED: Final = r"'(?:[^'\\\n]|\\.)*'" + r'|"(?:[^"\\\n]|\\.)*"'
# What erc8128.integrations.gate logs at DEBUG for a refusal: this mark, then the request as it
# read it, a Python bytes literal.
GATE_DEBUG_MARK: Final = "refused request as read, for erc8128 inspect: "
_GATE_DEBUG_LINE: Final = re.compile(re.escape(GATE_DEBUG_MARK) + rf"(b(?:{_QUOTED}))")
# One line that is a string literal: Python's repr of bytes or str, or a JSON string.
_STRING_LITERAL: Final = re.compile(rf"b?(?:{_QUOTED})")


def _literal_value(literal: str) -> tuple[str | bytes, str]:
    """What a string literal holds, and what kind of literal it is."""
    if literal.startswith('"'):
        try:
            return json.loads(literal), "JSON string"
        except (json.JSONDecodeError, RecursionError):
            pass  # a Python str in double quotes (repr of a str holding a single quote)
    try:
        value = ast.literal_eval(literal)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        raise PasteError("paste_format_unknown", f"expected a request, got a string literal "
                         f"that does not decode: {_quote(literal)}") from None
    if isinstance(value, bytes):
        return value, "Python bytes literal"
    return str(value), "Python str literal"


# Where a developer finds each format, for the one message that names them all.
FORMAT_GROUPS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("as text", ("http1",)),
    ("from a terminal", ("curl-trace", "erc8128-verbose", "python-debug")),
    ("from a browser's DevTools", ("curl-bash", "curl-cmd", "fetch", "header-list", "har",
                                   "har-entry")),
    ("printed or logged by a program", ("node-request", "asgi-scope", "wsgi-environ",
                                        "logged-request")),
)


def _unknown(first_line: str) -> PasteError:
    groups = "; ".join(f"{label}: {', '.join(FORMATS[name] for name in names)}"
                       for label, names in FORMAT_GROUPS)
    return PasteError(
        "paste_format_unknown",
        f"expected a signed request in a form the inspector reads ({groups}; any of them "
        f"indented, or in one string literal); got a first line {_quote(first_line)}",
    )


def parse_paste(data: str | bytes, *, entry: int | None = None) -> Paste:
    """Detect the format of ``data`` and parse it. ``entry`` chooses a HAR file's entry
    (0-based); without it a HAR file with one signed entry uses that one, and one with several
    raises ``har_entry_required`` (the error's ``entries`` lists them)."""
    text = data.decode("utf-8", "surrogateescape") if isinstance(data, bytes) else data
    text = text.removeprefix("\ufeff")
    if text.lstrip("\r\n")[:1] in (" ", "\t"):
        text = textwrap.dedent(text)  # a request line never starts with white space
    stripped = text.lstrip()
    if not stripped:
        raise PasteError("raw_request_empty", "expected a request, got nothing")
    first = stripped.split("\n", 1)[0].rstrip("\r")
    logged = _GATE_DEBUG_LINE.search(stripped)
    literal = _STRING_LITERAL.fullmatch(stripped.rstrip())
    if logged is not None or literal is not None:
        if logged is not None:  # the Gate's own DEBUG line, whatever log lines surround it
            held, _ = _literal_value(logged.group(1))
            kind = "Python bytes literal of the Gate's DEBUG line"
        else:
            assert literal is not None
            held, kind = _literal_value(literal.group())
        inner = parse_paste(held, entry=entry)
        if inner.literal is not None:  # read once: a literal in a literal is not a request
            raise PasteError("paste_format_unknown", f"expected a request, got a {kind} that "
                             f"holds another {inner.literal}")
        return dataclasses.replace(inner, literal=kind)
    if stripped[0] in "{[":
        return _parse_har(stripped, entry)
    if re.match(r"(?:\$ )?curl(?:\.exe)?\s", stripped):
        return _parse_curl_command(stripped.removeprefix("$ "))
    if _REQUEST_LINE.fullmatch(first) is None and any(
        _PYTHON_SEND.fullmatch(line.rstrip("\r")) for line in stripped.split("\n", 20)[:20]
    ):  # logging lines (urllib3's "Starting new HTTP connection") may come first
        return _parse_python_debug(stripped.replace("\r\n", "\n").split("\n"))
    if first.rstrip() == "Request {":
        return _parse_node_request(stripped.replace("\r\n", "\n").split("\n"))
    fetch_call = _FETCH_CALL.match(stripped)
    if fetch_call is not None:
        return _parse_fetch(stripped, fetch_call.end())
    lines = stripped.replace("\r\n", "\n").split("\n")
    if any(line.startswith((">", "* ")) or line == "*" for line in lines[:200]) and any(
        line.startswith("> ") for line in lines
    ):
        return _parse_trace(lines)
    if first.startswith(":"):
        return _parse_header_list(stripped)
    if _REQUEST_LINE.fullmatch(first) is not None:
        return _parse_http1(stripped)
    if _HEADER_LINE.match(first) is not None:
        # What `erc8128 sign` prints and what a log keeps: the signature's header lines alone.
        raise PasteError(
            "request_line_missing",
            f"expected the request line (e.g. \"GET /path HTTP/1.1\") and a Host line above "
            f"the header lines: the signature covers the method, path and authority, which "
            f"header lines alone do not say; got a first line {_quote(first)} (erc8128 sign "
            f"--full prints the whole request)",
        )
    if _HEADER_OBJECT_KEY.search(stripped) is not None:
        # e.g. Node's util.inspect of a Headers object ("Headers {"), werkzeug's
        # "EnvironHeaders([(...), ...])", Starlette's "Headers({...})"
        raise _header_object()
    raise _unknown(first)



# ---- raw HTTP/1.1 ---------------------------------------------------------------------------
def _split_head(text: str) -> tuple[list[str], str]:
    for separator in ("\r\n\r\n", "\n\n"):
        head, found, rest = text.partition(separator)
        if found:
            return head.replace("\r\n", "\n").split("\n"), rest
    return text.rstrip("\r\n").replace("\r\n", "\n").split("\n"), ""


def _content(head_lines: list[str], content: bytes, where: str) -> bytes:
    """RFC 9112 §6.3: with Content-Length the content is exactly that many octets (an editor's
    final newline after them is ignored); without it, "the message body length is zero"."""
    length_text = _header(head_lines, "content-length")
    if length_text is None:
        return b""
    if not length_text.isascii() or not length_text.isdigit():
        raise PasteError("content_length_invalid",
                         f"expected Content-Length digits, got {_quote(length_text)}")
    length = int(length_text)
    if len(content) < length:
        raise PasteError("content_truncated",
                         f"expected {length} content bytes {where}, got {len(content)}")
    return content[:length]


_URL: Final = re.compile(r"(https?)://([^/?#]+)([^#]*)", flags=re.IGNORECASE)


def _url_parts(url: str, reason: str) -> tuple[str, str, str]:
    """An http(s) URL's scheme (lowercase), authority and target (``/`` when it has no path);
    ``reason`` is the refusal's code in the format being read."""
    found = _URL.fullmatch(url)
    if found is None:
        raise PasteError(reason, f"expected an http or https URL, got {_quote(url)}")
    scheme, authority, target = found.groups()
    return scheme.lower(), authority, target or "/"


def _as_sent(lines: list[str], names: set[str], authority: str, content: bytes | None) -> None:
    """Add to ``lines`` (whose lowercase field names are ``names``) what the client sends without
    being told: Host from the URL's authority, and Content-Length when there is ``content``."""
    if "host" not in names:
        lines.insert(0, f"Host: {authority}")
    if content is not None and "content-length" not in names:
        lines.append(f"Content-Length: {len(content)}")


def _header(lines: list[str], name: str) -> str | None:
    for line in lines:
        field_name, _, value = line.partition(":")
        if field_name.lower() == name:
            return value.strip(" \t")
    return None


def _request_line(line: str) -> tuple[str, str | None, str | None]:
    """The request line in origin form with an HTTP/1.1-style version, and the scheme and
    authority of an absolute-form target (RFC 9112 §3.2.2)."""
    match = _REQUEST_LINE.fullmatch(line)
    if match is None:
        return line, None, None
    method, target, version = match.groups()
    if version in ("HTTP/2", "HTTP/3"):
        version += ".0"
    found = re.fullmatch(r"(https?)://([^/?#]+)(.*)", target, flags=re.IGNORECASE)
    if found is None:
        return f"{method} {target} {version}", None, None
    scheme, authority, rest = found.groups()
    return f"{method} {rest or '/'} {version}", scheme.lower(), authority


def _parse_http1(text: str) -> Paste:
    lines, rest = _split_head(text)
    request_line, scheme, authority = _request_line(lines[0])
    body = _content(lines, rest.encode("utf-8", "surrogateescape"), "after the blank line")
    headers = tuple(_wire(line) for line in lines[1:])
    said = "the absolute-form request target"
    return Paste("http1", RawRequest(request_line, headers, body), scheme,
                 said if scheme else None, authority, said if authority else None)


# ---- curl -v and erc8128 request -v -----------------------------------------------------------
# The status line of an answer in a -v trace ("HTTP/1.1 401 Unauthorized", "HTTP 200") and the
# reason code of an ERC-8128 challenge (SPEC.md §5: WWW-Authenticate: ERC8128 error="...").
_ANSWER_STATUS = re.compile(r"HTTP(?:/[0-9.]+)? ([1-5][0-9][0-9])\b")
_CHALLENGE_REASON = re.compile(r'(?i)www-authenticate:\s*erc8128\b.*?\berror="([a-z_]+)"')


def _answer(lines: list[str]) -> tuple[int | None, str | None]:
    """The first answer's status and challenge reason from its lines (headers as 'Name: v')."""
    status: int | None = None
    reason: str | None = None
    for line in lines:
        if status is None:
            found = _ANSWER_STATUS.match(line)
            if found is not None:
                status = int(found.group(1))
            continue
        if line.strip() == "":
            break
        challenge = _CHALLENGE_REASON.match(line)
        if challenge is not None and reason is None:
            reason = challenge.group(1)
    return status, reason


def _parse_trace(lines: list[str]) -> Paste:
    request: list[str] = []
    answer: list[str] = []
    scheme = scheme_from = authority = authority_from = None
    ours = False
    tls_line: str | None = None
    connected = False
    ended = False
    for text_line in lines:
        line = text_line.rstrip("\r")
        if line.startswith(">"):
            if ended:
                break  # a second request (a redirect or a retry): the first one is the paste
            ours = ours or line.startswith(">+")
            content = line[3:] if line.startswith(">+ ") else line[2:] if line.startswith(
                "> ") else line[1:].lstrip("+")
            if content.strip() == "":
                ended = bool(request)
                continue
            request.append(content)
            continue
        if line.startswith("<") and ended:
            answer.append(line[2:] if line.startswith("< ") else line[1:])
            continue
        if tls_line is None and _TLS_LINE.match(line):
            tls_line = line
        if line.startswith("* Connected to "):
            connected = True
        signed = _SIGNED_LINE.match(line)
        if signed is not None:
            ours = True
            if signed.group(1) == "scheme":
                scheme, scheme_from = signed.group(2), "the signed @scheme printed in M"
            else:
                authority, authority_from = signed.group(2), "the signed @authority printed in M"
        if line.startswith("* signature base"):
            ours = True
    if not request:
        raise PasteError("request_line_missing",
                         "expected the request on lines starting with '> ', got none")
    request_line, target_scheme, target_authority = _request_line(request[0])
    headers = [_wire(line) for line in request[1:]]
    if scheme is None and tls_line is not None:
        scheme, scheme_from = "https", f"curl's TLS line {_quote(tls_line)}"
    elif scheme is None and connected:
        scheme, scheme_from = "http", "curl's trace: connected with no TLS handshake"
    if target_scheme is not None and scheme is None:
        scheme, scheme_from = target_scheme, "the absolute-form request target"
    if target_authority is not None and authority is None:
        authority, authority_from = target_authority, "the absolute-form request target"
    if _header(headers, "host") is None and authority is not None:
        headers.insert(0, f"Host: {authority}")
    length = _header(headers, "content-length")
    if length not in (None, "0"):
        raise PasteError(
            "content_missing",
            f"expected the {length} content bytes, got none: a -v trace does not print the "
            f"content it sent; paste the request as raw HTTP with its content instead",
        )
    answer_status, answer_reason = _answer(answer)
    return Paste("erc8128-verbose" if ours else "curl-trace",
                 RawRequest(request_line, tuple(headers), b""),
                 scheme, scheme_from, authority, authority_from,
                 answer_status=answer_status, answer_reason=answer_reason)


# ---- HTTP/2 and HTTP/3 header lists -----------------------------------------------------------
def _parse_header_list(text: str) -> Paste:
    lines, rest = _split_head(text)
    pseudo: dict[str, str] = {}
    headers: list[str] = []
    for line in lines:
        if line.strip() == "":
            continue
        if line.startswith(":"):
            name, _, value = line[1:].partition(":")
            pseudo[":" + name.strip().lower()] = value.strip(" \t")
            continue
        if _HEADER_LINE.fullmatch(line) is None:
            raise PasteError("header_line_malformed",
                             f"expected 'name: value' lines after the pseudo-headers, got "
                             f"{_quote(line)}")
        headers.append(_wire(line))
    for required in (":method", ":path"):
        if required not in pseudo:
            raise PasteError("pseudo_header_missing",
                             f"expected the {required} pseudo-header, got {sorted(pseudo)}")
    authority = pseudo.get(":authority")
    if authority is not None and _header(headers, "host") is None:
        # RFC 9113 §8.3.1: ":authority" ... "An intermediary that converts a request to
        # HTTP/1.1 MUST create a Host header field if one is not present"
        headers.insert(0, f"Host: {authority}")
    body = _content(headers, rest.encode("utf-8", "surrogateescape"),
                    "after the header list's blank line")
    scheme = pseudo.get(":scheme")
    return Paste("header-list",
                 RawRequest(f"{pseudo[':method']} {pseudo[':path']} HTTP/1.1", tuple(headers),
                            body),
                 scheme, ":scheme" if scheme else None, authority,
                 ":authority" if authority else None)


# ---- curl commands ------------------------------------------------------------------------
_ANSI_C: Final = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", "'": "'", '"': '"', "a": "\a",
                  "b": "\b", "e": "\x1b", "f": "\f", "v": "\v", "?": "?"}


def _bash_words(text: str) -> list[str]:
    """Split a bash command line: '...', $'...' (ANSI-C escapes), "...", backslash escapes and
    backslash-newline continuations (the quoting "Copy as cURL (bash)" uses)."""
    words: list[str] = []
    word: list[str] | None = None
    i = 0
    while i < len(text):
        c = text[i]
        if c in " \t\r\n":
            if word is not None:
                words.append("".join(word))
                word = None
            i += 1
            continue
        word = [] if word is None else word
        if c == "\\":
            if text[i + 1 : i + 2] == "\n":
                i += 2
                if not word:
                    word = None
                continue
            if text[i + 1 : i + 3] == "\r\n":
                i += 3
                if not word:
                    word = None
                continue
            word.append(text[i + 1 : i + 2])
            i += 2
        elif c == "'":
            end = text.find("'", i + 1)
            if end < 0:
                raise PasteError("curl_quote_unclosed", "expected a closing ' in the command")
            word.append(text[i + 1 : end])
            i = end + 1
        elif text.startswith("$'", i):
            quoted, i = _quoted(text, i + 2, "'", _ansi_c_escape)
            word.append(quoted)
        elif c == '"':
            quoted, i = _quoted(text, i + 1, '"', _double_quote_escape)
            word.append(quoted)
        else:
            word.append(c)
            i += 1
    if word is not None:
        words.append("".join(word))
    return words


def _quoted(
    text: str, start: int, close: str, unescape: Callable[[str, int], tuple[str, int]]
) -> tuple[str, int]:
    """The text of a quoted span that opens just before ``start`` and ends at ``close``, and the
    index after its closing quote; ``unescape(text, i)`` reads the backslash escape at ``i`` as
    (its text, its length), the one rule in which bash's quoting styles differ."""
    out: list[str] = []
    i = start
    while i < len(text) and text[i] != close:
        if text[i] == "\\":
            unescaped, length = unescape(text, i)
            out.append(unescaped)
            i += length
        else:
            out.append(text[i])
            i += 1
    if i >= len(text):
        raise PasteError("curl_quote_unclosed", f"expected a closing {close} in the command")
    return "".join(out), i + 1


def _ansi_c_escape(text: str, i: int) -> tuple[str, int]:
    """A backslash escape inside $'...': \\uHHHH, \\xHH and the C escapes of ``_ANSI_C``; an unknown
    one stays as written."""
    if i + 1 >= len(text):
        return "\\", 1
    escape = text[i + 1]
    if escape in ("u", "x"):
        size = 4 if escape == "u" else 2
        digits = re.match(f"[0-9A-Fa-f]{{1,{size}}}", text[i + 2 :])
        if digits:
            return chr(int(digits.group(), 16)), 2 + len(digits.group())
    return _ANSI_C.get(escape, "\\" + escape), 2


def _double_quote_escape(text: str, i: int) -> tuple[str, int]:
    """A backslash inside "...": it escapes only " \\ $ and `, and a backslash-newline continues
    the line; before anything else it is a literal backslash."""
    if text[i + 1 : i + 2] in ('"', "\\", "$", "`"):
        return text[i + 1], 2
    if text[i + 1 : i + 2] == "\n":
        return "", 2
    return "\\", 1


def _cmd_words(text: str) -> list[str]:
    """Split a Windows cmd command line as cmd.exe and then the C runtime do: ``^`` escapes the
    next character outside cmd's own quotes (``^`` then a line end continues the line and takes
    the next character literally); then the words are split on blanks outside ``"``, with
    ``\\"`` a literal quote and ``\\\\`` a literal backslash (as "Copy as cURL (cmd)" writes
    them)."""
    line: list[str] = []
    quoted = False
    i = 0
    while i < len(text):
        c = text[i]
        if c == "^" and not quoted:
            if text[i + 1 : i + 3] == "\r\n":
                i += 3
            elif text[i + 1 : i + 2] == "\n":
                i += 2
            else:
                i += 1
            if i < len(text):
                line.append("\x00" + text[i])  # escaped: cmd does not see it as a quote
            i += 1
            continue
        if c == '"':
            quoted = not quoted
        line.append(c)
        i += 1
    words: list[str] = []
    word: list[str] | None = None
    in_quotes = False
    j = 0
    while j < len(line):
        c = line[j][-1]
        if c == "\\" and j + 1 < len(line) and line[j + 1][-1] in ('"', "\\"):
            # DevTools doubles every backslash and writes a quote as backslash-quote, so a
            # backslash takes the next backslash or quote literally.
            word = [] if word is None else word
            word.append(line[j + 1][-1])
            j += 2
            continue
        if c == '"':
            word = [] if word is None else word
            in_quotes = not in_quotes
        elif c in " \t\r\n" and not in_quotes:
            if word is not None:
                words.append("".join(word))
                word = None
        else:
            word = [] if word is None else word
            word.append(c)
        j += 1
    if word is not None:
        words.append("".join(word))
    return words


_CURL_VALUE_OPTIONS: Final = {
    "-H", "--header", "-X", "--request", "-d", "--data", "--data-raw", "--data-binary",
    "--data-ascii", "--data-urlencode", "--json", "-b", "--cookie", "-A", "--user-agent",
    "-e", "--referer", "--url", "-u", "--user", "-o", "--output", "-x", "--proxy", "-m",
    "--max-time", "--connect-timeout", "-F", "--form", "--resolve", "--cacert", "--cert",
}


def _parse_curl_command(text: str) -> Paste:
    windows = '^"' in text or re.search(r"\^\r?\n", text) is not None
    words = _cmd_words(text) if windows else _bash_words(text)
    if not words or words[0] not in ("curl", "curl.exe"):
        raise _unknown(text.split("\n", 1)[0])
    url: str | None = None
    method: str | None = None
    headers: list[str] = []
    data: list[str] = []
    index = 1
    while index < len(words):
        word = words[index]
        if word.startswith("-") and word != "-" and word in _CURL_VALUE_OPTIONS:
            if index + 1 >= len(words):
                raise PasteError("curl_option_value_missing", f"expected a value after {word}")
            value = words[index + 1]
            index += 2
            if word in ("-H", "--header"):
                if value.endswith(";") and ":" not in value:
                    headers.append(value[:-1] + ":")  # curl's "Name;" sends an empty value
                else:
                    headers.append(value)
            elif word in ("-X", "--request"):
                method = value
            elif word in ("-d", "--data", "--data-raw", "--data-binary", "--data-ascii",
                          "--json"):
                if value.startswith("@") and word != "--data-raw":
                    raise PasteError("curl_data_file",
                                     f"expected the content itself, got a file {_quote(value)}")
                data.append(value)
                if word == "--json":
                    headers += ["Content-Type: application/json", "Accept: application/json"]
            elif word in ("-b", "--cookie"):
                headers.append(f"Cookie: {value}")
            elif word in ("-A", "--user-agent"):
                headers.append(f"User-Agent: {value}")
            elif word in ("-e", "--referer"):
                headers.append(f"Referer: {value}")
            elif word == "--url":
                url = value
            continue
        if word.startswith("-") and word != "-":
            index += 1  # a flag without a value (--compressed, -k, -s, -v, -i, -L ...)
            continue
        if url is None:
            url = word
        index += 1
    if url is None:
        raise PasteError("curl_url_missing", "expected a URL in the curl command, got none")
    scheme, authority, target = _url_parts(url, "curl_url_invalid")
    # curl joins repeated -d values with "&"
    body = "&".join(data).encode("utf-8") if data else b""
    method = method or ("POST" if data else "GET")
    names = {line.partition(":")[0].strip().lower() for line in headers}
    wire = [_wire(line) for line in headers]
    if data and "content-type" not in names:
        wire.append("Content-Type: application/x-www-form-urlencoded")  # curl's -d default
    _as_sent(wire, names, authority, body if data else None)
    return Paste("curl-cmd" if windows else "curl-bash",
                 RawRequest(f"{method} {target} HTTP/1.1", tuple(wire), body),
                 scheme, "the URL in the curl command", authority,
                 "the URL in the curl command")


# ---- Python http.client debug output ----------------------------------------------------------
# http.client prints each send() as the repr of its bytes, the status line as the repr of a str,
# and each answer header as "header: Name: value".
_PYTHON_SEND: Final = re.compile(r"send: (b'.*'|b\".*\")")
_PYTHON_REPLY: Final = re.compile(r"reply: ('.*'|\".*\")")


def _python_literal(text: str) -> object:
    try:
        return ast.literal_eval(text)  # a literal only: nothing is evaluated
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        raise PasteError("python_debug_invalid",
                         f"expected a Python bytes or str literal, got {_quote(text)}") from None


def _parse_python_debug(lines: list[str]) -> Paste:
    sent = bytearray()
    answer: list[str] = []
    for text_line in lines:
        line = text_line.rstrip("\r")
        send = _PYTHON_SEND.fullmatch(line)
        if send is not None:
            if answer:
                break  # a second request (another call, a retry): the first one is the paste
            octets = _python_literal(send.group(1))
            sent += octets if isinstance(octets, bytes) else b""
            continue
        reply = _PYTHON_REPLY.fullmatch(line)
        if reply is not None and sent and not answer:
            answer.append(str(_python_literal(reply.group(1))).strip())
        elif line.startswith("header: ") and answer:
            answer.append(line.removeprefix("header: "))
    head, separator, rest = bytes(sent).partition(b"\r\n\r\n")
    if not separator:
        raise PasteError("python_debug_invalid", "expected the sent head to end with an empty "
                         "line (\\r\\n\\r\\n), got a head without its end")
    head_lines = head.decode("latin-1").split("\r\n")  # the octets as a server reads them
    request_line, scheme, authority = _request_line(head_lines[0])
    body = _content(head_lines[1:], rest, "in the send: lines after the head")
    said = "the absolute-form request target"
    answer_status, answer_reason = _answer(answer)
    return Paste("python-debug", RawRequest(request_line, tuple(head_lines[1:]), body),
                 scheme, said if scheme else None, authority, said if authority else None,
                 answer_status=answer_status, answer_reason=answer_reason)


# ---- Node's console.log of a Request -----------------------------------------------------------
# util.inspect writes a string in single quotes, or in double quotes or backticks when that
# spares escaping a quote; a key bare when it is an identifier, else as a string.
_JS_STRING: Final = r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`(?:[^`\\]|\\.)*`"""
_NODE_MEMBER: Final = re.compile(rf"\s*([A-Za-z_$][\w$]*|{_JS_STRING}): ({_JS_STRING}),?")
_JS_ESCAPE: Final = re.compile(r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|.)")
_JS_ESCAPED: Final = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "v": "\v",
                      "0": "\0"}


def _js_text(token: str) -> str:
    """A bare key as it is; a JavaScript string literal decoded."""
    if token[0] not in "'\"`":
        return token
    return _JS_ESCAPE.sub(
        lambda escape: chr(int(escape.group(1)[1:], 16)) if escape.group(1)[0] in "xu"
        and len(escape.group(1)) > 1 else _JS_ESCAPED.get(escape.group(1), escape.group(1)),
        token[1:-1],
    )


def _parse_node_request(lines: list[str]) -> Paste:
    members: dict[str, str] = {}
    fields: list[tuple[str, str]] = []
    in_headers = False
    for text_line in lines[1:]:
        line = text_line.rstrip()
        if line == "  headers: Headers {":
            in_headers = True
            continue
        if in_headers and line.strip() in ("}", "},"):
            in_headers = False
            continue
        member = _NODE_MEMBER.fullmatch(line)
        if member is None:
            continue  # other members (mode: 'cors', signal: AbortSignal {...}) say nothing
        name, value = _js_text(member.group(1)), _js_text(member.group(2))
        if in_headers:
            fields.append((name, value))
        elif line.startswith("  ") and not line.startswith("   "):
            members[name] = value
    method, url = members.get("method"), members.get("url")
    if method is None or url is None:
        raise PasteError("node_request_invalid",
                         "expected the method: and url: lines of console.log(request)")
    scheme, authority, target = _url_parts(url, "node_request_invalid")
    if any(name.lower() == "content-digest" for name, _ in fields):
        raise PasteError(
            "content_missing",
            "expected the content the Content-Digest covers, got none: console.log of a Request "
            "does not show its content; paste the request as raw HTTP with its content, or log "
            "await request.clone().text() beside it",
        )
    lines_out = [_wire(f"{name}: {value}") for name, value in fields]
    _as_sent(lines_out, {name.lower() for name, _ in fields}, authority, None)
    return Paste("node-request",
                 RawRequest(f"{method} {target} HTTP/1.1", tuple(lines_out), b""),
                 scheme, "the url: of the logged Request", authority,
                 "the url: of the logged Request")


# ---- fetch(URL, OPTIONS) ----------------------------------------------------------------------
# `fetch(`, `await fetch(`, or as a JavaScript author keeps it: `const response = await fetch(`
_FETCH_CALL: Final = re.compile(
    r"(?:(?:const|let|var)\s+[A-Za-z_$][\w$]*\s*=\s*)?(?:await\s+)?fetch\s*\(\s*")
# What "Copy as fetch" leaves out and the paste cannot rebuild: the request headers a page may
# not set (the Fetch standard's forbidden request-header names, as DevTools lists them) and
# User-Agent. Host and Content-Length are rebuilt from the URL and the body.
_FETCH_LEFT_OUT: Final = frozenset((
    "accept-charset", "accept-encoding", "access-control-request-headers",
    "access-control-request-method", "connection", "cookie", "cookie2", "date", "dnt", "expect",
    "keep-alive", "origin", "referer", "te", "trailer", "transfer-encoding", "upgrade", "via",
    "user-agent",
))
# Fetch standard, "To normalize a method, if it is a byte-case-insensitive match for `DELETE`,
# `GET`, `HEAD`, `OPTIONS`, `POST`, or `PUT`, byte-uppercase it." Any other is sent as written.
_FETCH_NORMALIZED_METHODS: Final = frozenset(("DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"))
_COVERED_NAMES: Final = re.compile(r'"([^"]*)"')


def _parse_fetch(text: str, start: int) -> Paste:
    decoder = json.JSONDecoder()
    try:
        url, position = decoder.raw_decode(text, start)
        position = _skip_space(text, position)
        options: object = {}
        if text.startswith(",", position):
            options, position = decoder.raw_decode(text, _skip_space(text, position + 1))
            position = _skip_space(text, position)
    except (json.JSONDecodeError, RecursionError) as error:
        raise PasteError(
            "fetch_invalid",
            "expected fetch(URL, OPTIONS) with both written in JSON, as DevTools' Copy as fetch "
            f"writes them (double quotes, quoted keys), got a JSON error at line "
            f"{getattr(error, 'lineno', '?')} column {getattr(error, 'colno', '?')}") from None
    if not text.startswith(")", position):
        raise PasteError("fetch_invalid", f"expected ')' after the options, got "
                         f"{_quote(text[position:position + 20])}")
    if _FETCH_CALL.search(text, position) is not None:
        raise PasteError("fetch_several", "expected one fetch call, got several (DevTools' "
                         "Copy all as fetch): copy the one signed request")
    if not isinstance(url, str) or not isinstance(options, dict):
        raise PasteError("fetch_invalid", "expected a URL string and an options object")
    scheme, authority, target = _url_parts(url, "fetch_invalid")
    method = options.get("method", "GET")
    body = options.get("body")
    if not isinstance(method, str) or not (body is None or isinstance(body, str)):
        raise PasteError("fetch_invalid", "expected method as a string and body as a string or "
                         "null (DevTools writes the content as one JSON string)")
    if method.upper() in _FETCH_NORMALIZED_METHODS:
        method = method.upper()
    fields = _fetch_fields(options.get("headers", {}))
    names = {name.lower() for name, _ in fields}
    lines = [_wire(f"{name}: {value}") for name, value in fields]
    content = None if body is None else body.encode("utf-8")
    if content is not None and "content-type" not in names:
        # Fetch standard, extract a body: a string's type is `text/plain;charset=UTF-8`.
        lines.append("Content-Type: text/plain;charset=UTF-8")
    _as_sent(lines, names, authority, content)
    covered = {name.lower() for value in (_header(lines, "signature-input") or "",)
               for name in _COVERED_NAMES.findall(value)}
    left_out = sorted((covered & _FETCH_LEFT_OUT) - names)
    if left_out:
        raise PasteError(
            "fetch_header_left_out",
            f"expected the covered field {', '.join(left_out)}, which Copy as fetch leaves out "
            f"(a page may not set it): copy the request as cURL or save it as HAR instead")
    return Paste("fetch", RawRequest(f"{method} {target} HTTP/1.1", tuple(lines),
                                     content or b""),
                 scheme, "the URL in the fetch call", authority,
                 "the URL in the fetch call")


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position].isspace():
        position += 1
    return position


def _fetch_fields(headers: object) -> list[tuple[str, str]]:
    """The options' ``headers``: an object of names to values, or a list of [name, value]."""
    pairs = list(headers.items()) if isinstance(headers, dict) else headers
    if not isinstance(pairs, list) or not all(
        isinstance(pair, (list, tuple)) and len(pair) == 2
        and isinstance(pair[0], str) and isinstance(pair[1], str) for pair in pairs
    ):
        raise PasteError("fetch_invalid", "expected headers as an object of strings or a list "
                         "of [name, value] pairs")
    return [(name, value) for name, value in pairs]


# ---- a printed ASGI scope or WSGI environ ------------------------------------------------------
def _printed_mapping(text: str) -> object:
    """A Python mapping as ``print`` writes it, read as literals without evaluating anything;
    an object's ``<...>`` repr and any call or name (``Route(path=...)``) read as None. None
    when the text is not one Python expression."""
    try:
        tree = ast.parse(_without_object_reprs(text).strip(), mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    return _literal(tree.body)


# A Python string literal (as repr writes one: quotes, backslash escapes) or an angle bracket.
_PY_STRING_OR_ANGLE: Final = re.compile(rf"{_QUOTED}|[<>]")


def _without_object_reprs(text: str) -> str:
    """``text`` with each ``<...>`` outside a string literal (an object's default repr, nested
    ones and the strings inside them included) replaced by ``None``."""
    kept: list[str] = []
    depth = 0
    copied = 0  # text[:copied] is kept or dropped already
    for token in _PY_STRING_OR_ANGLE.finditer(text):
        if token.group() == "<":
            if depth == 0:
                kept += (text[copied:token.start()], "None")
            depth += 1
        elif token.group() == ">" and depth:
            depth -= 1
            copied = token.end()
        # a string literal: kept with the text around it, or dropped with the repr it is in
    if depth == 0:
        kept.append(text[copied:])
    return "".join(kept)


def _literal(node: ast.expr) -> object:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Dict):
        pairs = ((_literal(key), _literal(value))
                 for key, value in zip(node.keys, node.values, strict=True) if key is not None)
        return {key: value for key, value in pairs if isinstance(key, str)}
    if isinstance(node, ast.List | ast.Tuple):
        return [_literal(element) for element in node.elts]
    return None  # a call, a name, an operator: nothing the request's fields are made of


def _parse_scope(scope: dict[str, object]) -> Paste:
    """ASGI HTTP connection scope: ``method``, ``raw_path`` / ``path``, ``query_string``,
    ``headers`` as (name, value) byte pairs, ``scheme``."""
    method, headers = scope.get("method"), scope.get("headers")
    if not isinstance(method, str) or not isinstance(headers, list):
        raise PasteError("asgi_scope_invalid", "expected the scope's 'method' (a str) and "
                         "'headers' (a list of (bytes, bytes) pairs)")
    lines: list[str] = []
    for pair in headers:
        if not (isinstance(pair, list) and len(pair) == 2
                and all(isinstance(part, bytes) for part in pair)):
            raise PasteError("asgi_scope_invalid", f"expected each header as a (bytes, bytes) "
                             f"pair, got {_quote(repr(pair))}")
        lines.append(f"{pair[0].decode('latin-1')}: {pair[1].decode('latin-1')}")  # octets
    return _printed("asgi-scope", f"{method} {asgi_request_target(scope)} HTTP/1.1", lines,
                    scheme=scope.get("scheme"), scheme_from="the scope's 'scheme'",
                    lacks="a printed ASGI scope does not hold the content (it arrives in "
                    "http.request messages)")


def _parse_environ(environ: dict[str, object]) -> Paste:
    """WSGI environ (PEP 3333): ``REQUEST_METHOD``, ``RAW_URI`` / ``REQUEST_URI`` or
    ``SCRIPT_NAME`` + ``PATH_INFO`` and ``QUERY_STRING``, ``HTTP_*`` and ``CONTENT_*`` fields,
    ``wsgi.url_scheme``."""
    method = environ.get("REQUEST_METHOD")
    if not isinstance(method, str):
        raise PasteError("wsgi_environ_invalid", "expected the environ's 'REQUEST_METHOD' "
                         "(a str)")
    names, values = wsgi_header_columns(environ)
    lines = [f"{name}: {value}" for name, value in zip(names, values, strict=True)]
    return _printed("wsgi-environ", f"{method} {wsgi_request_target(environ)} HTTP/1.1", lines,
                    scheme=environ.get("wsgi.url_scheme"),
                    scheme_from="the environ's 'wsgi.url_scheme'",
                    lacks="a printed WSGI environ does not hold the content (it is read from "
                    "wsgi.input)")


def _printed(form: str, request_line: str, lines: list[str], *, scheme: object,
             scheme_from: str, lacks: str) -> Paste:
    """A printed scope or environ's request: no content (``lacks`` says why, when the request
    had some), the scheme it names when that is http or https."""
    _refuse_needed_content(lines, lacks)
    said = scheme if scheme in ("http", "https") else None
    assert said is None or isinstance(said, str)
    return Paste(form, RawRequest(request_line, tuple(lines), b""), said,
                 scheme_from if said else None)


def _refuse_needed_content(lines: list[str], lacks: str) -> None:
    """``content_missing`` when the request had content (a Content-Length above 0,
    Transfer-Encoding) or a Content-Digest, which a form without the content (``lacks`` says
    why) cannot be judged without."""
    length = _header(lines, "content-length")
    if (_header(lines, "transfer-encoding") is not None
            or _header(lines, "content-digest") is not None
            or (length is not None and length.strip("0") != "")):
        raise PasteError("content_missing", f"expected the content, got none: {lacks}; paste "
                         f"the request as raw HTTP with its content, or a curl -v trace")


# ---- a JSON log line of a request (pino-http) ---------------------------------------------------
def _logged_request(document: object) -> dict[str, Any] | None:
    """The logged request of a log line: its ``req`` (pino), or the object itself, when it has
    a str ``method``, a str ``url`` and an object ``headers``."""
    if not isinstance(document, dict):
        return None
    request = document.get("req", document)
    if (isinstance(request, dict) and isinstance(request.get("method"), str)
            and isinstance(request.get("url"), str) and isinstance(request.get("headers"), dict)):
        return request
    return None


def _logged_lines(text: str) -> dict[str, Any] | None:
    """Of a log file's JSON lines (NDJSON), the first logged request with a Signature-Input,
    else the first logged request; None when no line is one."""
    found: list[dict[str, Any]] = []
    for line in text.split("\n"):
        if not line.lstrip().startswith("{"):
            continue
        try:
            document = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            continue
        request = _logged_request(document)
        if request is not None:
            if any(str(name).lower() == "signature-input" for name in request["headers"]):
                return dict(document)
            found.append(dict(document))
    return found[0] if found else None


def _parse_logged_request(document: dict[str, Any]) -> Paste:
    request = _logged_request(document)
    assert request is not None
    lines: list[str] = []
    for name, value in request["headers"].items():
        # Node joins a repeated field's lines with ", " (an array only for set-cookie).
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(item, str | int) for item in values):
            raise PasteError("logged_request_invalid", f"expected header {_quote(name)} as a "
                             f"string, got {type(value).__name__}")
        lines += [_wire(f"{name}: {item}") for item in values]
    _refuse_needed_content(lines, "a logged request does not hold its content")
    request_line, scheme, authority = _request_line(f"{request['method']} {request['url']} "
                                                    "HTTP/1.1")
    said = "the logged absolute-form url"
    answer_status, answer_reason = _logged_answer(document.get("res"))
    return Paste("logged-request", RawRequest(request_line, tuple(lines), b""),
                 scheme, said if scheme else None, authority, said if authority else None,
                 answer_status=answer_status, answer_reason=answer_reason)


def _logged_answer(response: object) -> tuple[int | None, str | None]:
    """pino's ``res``: ``statusCode`` and ``headers`` (WWW-Authenticate names the reason)."""
    if not isinstance(response, dict):
        return None, None
    status, headers = response.get("statusCode"), response.get("headers")
    if type(status) is not int or not 100 <= status <= 599:
        return None, None
    lines = ([f"{name}: {value}" for name, value in headers.items()]
             if isinstance(headers, dict) else [])
    return _answer([f"HTTP {status}", *lines])


# ---- HAR 1.2 ------------------------------------------------------------------------------
# A signature-input key in a printed mapping: {'Signature-Input': ...}, { 'signature-input': ...,
# or a printed list of pairs: [('Signature-Input', ...) (werkzeug's EnvironHeaders).
_HEADER_OBJECT_KEY: Final = re.compile(r"""(?i)[{,(]\s*['"]?signature-input['"]?\s*[:,]""")


def _header_object() -> PasteError:
    return PasteError(
        "request_line_missing",
        "expected the method and the target beside the header fields: this is a header object "
        "(what a program prints as its request's headers, e.g. req.headers), and the signature "
        "covers the method, path and authority, which header fields alone do not say; paste "
        "the request as raw HTTP (a line 'GET /path HTTP/1.1', then 'Name: value' lines with "
        "Host)",
    )


def _parse_har(text: str, entry: int | None) -> Paste:
    try:
        document = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        logged = _logged_lines(text)
        if logged is not None:
            return _parse_logged_request(logged)
        printed = _printed_mapping(text)
        if isinstance(printed, dict) and printed.get("type") == "http" and "headers" in printed:
            return _parse_scope(printed)
        if isinstance(printed, dict) and "REQUEST_METHOD" in printed:
            return _parse_environ(printed)
        if _HEADER_OBJECT_KEY.search(text) is not None:
            # A header mapping as a program prints it (a Python dict, a JavaScript object).
            raise _header_object() from None
        raise PasteError("har_invalid", f"expected a HAR file or entry (JSON), got a JSON "
                         f"error at line {getattr(error, 'lineno', '?')}") from None
    if isinstance(document, dict) and isinstance(document.get("log"), dict):
        entries = document["log"].get("entries")
        if not isinstance(entries, list) or not entries:
            raise PasteError("har_invalid", "expected log.entries with at least one entry")
        summaries = tuple(_summary(i, e) for i, e in enumerate(entries))
        chosen = entry
        if chosen is None:
            signed = [s.index for s in summaries if s.signed]
            if len(entries) == 1:
                chosen = 0
            elif len(signed) == 1:
                chosen = signed[0]
            else:
                raise HarEntryRequired(
                    f"expected a choice of entry: this HAR file has {len(entries)} entries, "
                    f"{len(signed)} of them signed", summaries)
        if not 0 <= chosen < len(entries):
            raise PasteError("har_entry_invalid",
                             f"expected an entry 0..{len(entries) - 1}, got {chosen}")
        paste = _har_request(entries[chosen], "har")
        return Paste(paste.format, paste.raw, paste.scheme, paste.scheme_from, paste.authority,
                     paste.authority_from, summaries, chosen)
    if isinstance(document, dict) and isinstance(document.get("request"), dict):
        return _har_request(document, "har-entry")
    if _logged_request(document) is not None:
        assert isinstance(document, dict)
        return _parse_logged_request(document)
    if isinstance(document, dict) and any(
        isinstance(name, str) and name.lower() == "signature-input" for name in document
    ):
        raise _header_object()  # what a server logs as req.headers, JSON.stringify'd
    raise PasteError("har_invalid",
                     "expected a HAR file ({\"log\": {\"entries\": [...]}}) or a HAR entry "
                     "({\"request\": {...}})")


def _summary(index: int, entry: Any) -> HarEntrySummary:
    request = entry.get("request") if isinstance(entry, dict) else None
    if not isinstance(request, dict):
        return HarEntrySummary(index, "?", "(no request)", False)
    headers = request.get("headers")
    signed = isinstance(headers, list) and any(
        isinstance(h, dict) and str(h.get("name", "")).lower() == "signature-input"
        for h in headers)
    return HarEntrySummary(index, str(request.get("method", "?")), str(request.get("url", "")),
                           signed)


def _har_request(entry: dict[str, Any], form: str) -> Paste:
    request = entry.get("request")
    if not isinstance(request, dict):
        raise PasteError("har_invalid", "expected the entry's request object")
    method, url, headers = request.get("method"), request.get("url"), request.get("headers")
    if not isinstance(method, str) or not isinstance(url, str) or not isinstance(headers, list):
        raise PasteError("har_invalid", "expected request.method, request.url and "
                         "request.headers (HAR 1.2 §request)")
    scheme, authority, target = _url_parts(url, "har_invalid")
    lines: list[str] = []
    for header in headers:
        if not isinstance(header, dict) or not isinstance(header.get("name"), str) or \
                not isinstance(header.get("value"), str):
            raise PasteError("har_invalid", "expected headers as [{\"name\", \"value\"}]")
        name = header["name"]
        if name.startswith(":"):
            if name == ":authority":
                authority = header["value"]
            continue  # HTTP/2 pseudo-headers: the URL says the same
        lines.append(_wire(f"{name}: {header['value']}"))
    post = request.get("postData")
    body = b""
    if isinstance(post, dict) and isinstance(post.get("text"), str):
        body = post["text"].encode("utf-8")
    _as_sent(lines, {line.partition(":")[0].lower() for line in lines}, authority, body or None)
    answer_status, answer_reason = _har_answer(entry.get("response"))
    return Paste(form, RawRequest(f"{method} {target} HTTP/1.1", tuple(lines), body),
                 scheme, "the entry's request.url", authority,
                 "the entry's request.url", answer_status=answer_status,
                 answer_reason=answer_reason)


def _har_answer(response: object) -> tuple[int | None, str | None]:
    """A HAR entry's response status (0 or absent: none was received) and challenge reason."""
    if not isinstance(response, dict):
        return None, None
    status = response.get("status")
    headers = response.get("headers")
    lines = [f"{header.get('name')}: {header.get('value')}" for header in headers
             if isinstance(header, dict)] if isinstance(headers, list) else []
    if type(status) is not int or not 100 <= status <= 599:
        return None, None
    return _answer([f"HTTP {status}", *lines])
