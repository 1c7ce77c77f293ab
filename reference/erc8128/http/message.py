"""The HTTP request as a verifier received it (RFC 9110 §7.1, RFC 9112 §3 and §5, RFC 9421 §2).

A :class:`Request` is a frozen value: the method as received, the effective target URI (scheme
and authority from the verifier's TRUSTED configuration, path and query exactly as received),
the header field lines in wire order with repeats kept, and the content bytes. Nothing in this
module normalises the path or the query: RFC 9421 §2.2.6 and §2.2.7 read them "using the simple
string comparison rules in Section 6.2.1 of [URI]", so dot segments and percent-encodings stay.

:func:`request_from_wire` builds a :class:`Request` from the raw request line and header lines
a server received. It rejects what HTTP/1.1 forbids rather than repairing it, so that the
signature base is computed over exactly what arrived.

The target-URI helpers :func:`scheme`, :func:`authority`, :func:`path` and :func:`query` split a
target URI with a small parser of our own (``urllib.parse`` silently drops tabs and newlines,
which would hide an injection).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final

from erc8128.errors import MessageComponentError

# RFC 9110 §4.2.1 / §4.2.2: the default ports of the "http" and "https" URI schemes.
DEFAULT_PORTS: dict[str, str] = {"http": "80", "https": "443"}

# RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
#                          "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")

# RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+\-.]*")

# RFC 3986 §3.2.2: reg-name = *( unreserved / pct-encoded / sub-delims ); IPv4address is a
# reg-name syntactically. Non-empty here: RFC 9110 §4.2.1 "A sender MUST NOT generate an
# "http" URI with an empty host identifier." pct-encoded hosts are rejected: lowercasing would
# change their hex digits, and DNS names never need them.
_REG_NAME = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=]+")

# RFC 3986 §3.2.2: IP-literal = "[" ( IPv6address / IPvFuture ) "]"; checked loosely for its
# alphabet (hex digits, colons, dots; IPvFuture "v" and unreserved / sub-delims / ":").
_IP_LITERAL = re.compile(r"\[(?:[0-9A-Fa-f:.]+|[vV][0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+)\]")

# RFC 3986 §3.2.3: port = *DIGIT (here 1 to 5 digits: an empty port is rejected).
_PORT = re.compile(r"[0-9]{1,5}")

# RFC 9112 §3.2: request-target characters are URI characters, i.e. visible US-ASCII.
_TARGET_CHARS = re.compile(r"[\x21-\x7e]*")

# RFC 9112 §2.3: HTTP-version = HTTP-name "/" DIGIT "." DIGIT
_HTTP_VERSION = re.compile(r"HTTP/[0-9]\.[0-9]")

_LINE_END = re.compile(r"\r?\n\Z")

# RFC 9110 §5.5: a field value the verifier keeps is HTAB, SP, VCHAR and obs-text (latin-1
# octets 0x80-0xFF); the longest run of them from the start ends at the first other character.
_FIELD_VALUE_OCTETS = re.compile(r"[\t\x20-\x7e\x80-\xff]*")

# A-Z to a-z and nothing else (str.translate runs in C; str.lower also maps non-ASCII letters).
_ASCII_LOWERCASE = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def is_token(text: str) -> bool:
    """True when ``text`` is an RFC 9110 §5.6.2 token (the syntax of methods and field names)."""
    return _TOKEN.fullmatch(text) is not None


def ascii_lower(text: str) -> str:
    """Lowercase ASCII letters only (``str.lower`` maps e.g. KELVIN SIGN to "k")."""
    return text.translate(_ASCII_LOWERCASE)


def _split_target_uri(target_uri: str) -> tuple[str, str, str, str | None]:
    """Split ``scheme://authority path [?query]`` into its four parts, without normalising."""
    if not isinstance(target_uri, str):
        raise MessageComponentError(
            "target_uri_type", f"expected the target URI as str, got {type(target_uri).__name__}"
        )
    return _split_str_target_uri(target_uri)


# A verification asks for the parts of the same target URI several times (@authority, @path,
# @query, coverage): the split and the authority's normalisation are pure functions of the
# text, so the last few results are kept (errors are not cached: they are raised again).
_TARGET_URI_CACHE_SIZE = 256


@lru_cache(maxsize=_TARGET_URI_CACHE_SIZE)
def _split_str_target_uri(target_uri: str) -> tuple[str, str, str, str | None]:
    if _TARGET_CHARS.fullmatch(target_uri) is None:
        raise MessageComponentError(
            "target_uri_characters",
            f"expected only visible US-ASCII in the target URI (RFC 3986 §2), got {target_uri!r}",
        )
    separator = target_uri.find("://")
    if separator < 0:
        raise MessageComponentError(
            "target_uri_not_absolute",
            f"expected an absolute URI 'scheme://authority/path', got {target_uri!r}",
        )
    uri_scheme = target_uri[:separator]
    if _SCHEME.fullmatch(uri_scheme) is None:
        raise MessageComponentError(
            "target_uri_scheme", f"expected an RFC 3986 scheme, got {uri_scheme!r}"
        )
    rest = target_uri[separator + 3 :]
    if "#" in rest:
        # RFC 9110 §7.1 (paraphrase): a target URI carries no fragment component.
        raise MessageComponentError(
            "target_uri_fragment", f"expected no '#fragment' in the target URI, got {target_uri!r}"
        )
    authority_end = len(rest)
    for delimiter in ("/", "?"):
        position = rest.find(delimiter)
        if 0 <= position < authority_end:
            authority_end = position
    uri_authority = rest[:authority_end]
    path_and_query = rest[authority_end:]
    question = path_and_query.find("?")
    if question < 0:
        return uri_scheme, uri_authority, path_and_query, None
    return uri_scheme, uri_authority, path_and_query[:question], path_and_query[question + 1 :]


@lru_cache(maxsize=16)
def _normalized_scheme(uri_scheme: str) -> str:
    lowered = ascii_lower(uri_scheme)
    if lowered not in DEFAULT_PORTS:
        raise MessageComponentError(
            "target_uri_scheme", f"expected scheme 'http' or 'https', got {uri_scheme!r}"
        )
    return lowered


def _normalized_authority(uri_authority: str, uri_scheme: str) -> str:
    """RFC 9421 §2.2.3 / RFC 9110 §4.2.3: lowercase host, default port omitted."""
    if "@" in uri_authority:
        # RFC 9110 §4.2.4: "A sender MUST NOT generate the userinfo subcomponent"
        raise MessageComponentError(
            "authority_userinfo", f"expected no userinfo in the authority, got {uri_authority!r}"
        )
    if uri_authority.startswith("["):
        closing = uri_authority.find("]")
        host = uri_authority[: closing + 1] if closing >= 0 else uri_authority
        host_is_literal = _IP_LITERAL.fullmatch(host) is not None
    else:
        colon = uri_authority.find(":")
        host = uri_authority if colon < 0 else uri_authority[:colon]
        host_is_literal = False
    if not host_is_literal and _REG_NAME.fullmatch(host) is None:
        raise MessageComponentError(
            "authority_host", f"expected a non-empty RFC 3986 host, got {uri_authority!r}"
        )
    port_part = uri_authority[len(host) :]
    lowered_host = ascii_lower(host)
    if port_part == "":
        return lowered_host
    if not port_part.startswith(":"):
        raise MessageComponentError(
            "authority_host", f"expected ':port' after the host, got {uri_authority!r}"
        )
    port = port_part[1:]
    if _PORT.fullmatch(port) is None:
        raise MessageComponentError(
            "authority_port", f"expected a port of 1 to 5 digits, got {port!r} in {uri_authority!r}"
        )
    if int(port) > 65535:
        raise MessageComponentError("authority_port", f"expected a port <= 65535, got {port}")
    # RFC 9421 §2.2.3: "The value MUST be normalized according to the rules provided in
    # [HTTP], Section 4.2.3. Namely, the hostname is normalized to lowercase, and the default
    # port is omitted." A port written with leading zeros ("0443") is the same port number.
    canonical_port = str(int(port))
    if canonical_port == DEFAULT_PORTS[_normalized_scheme(uri_scheme)]:
        return lowered_host
    return f"{lowered_host}:{canonical_port}"


def scheme(target_uri: str) -> str:
    """The scheme of a target URI, lowercase (RFC 9421 §2.2.4)."""
    uri_scheme, _, _, _ = _split_target_uri(target_uri)
    return _normalized_scheme(uri_scheme)


def authority(target_uri: str) -> str:
    """The authority of a target URI: host lowercased, default port removed (RFC 9421 §2.2.3).

    IPv6 literals keep their brackets (``[::1]:8080``); a trailing dot on a host name is kept.
    """
    uri_scheme, uri_authority, _, _ = _split_target_uri(target_uri)
    return _normalized_split_authority(uri_authority, uri_scheme)


@lru_cache(maxsize=_TARGET_URI_CACHE_SIZE)
def _normalized_split_authority(uri_authority: str, uri_scheme: str) -> str:
    """_normalized_authority of the (str) parts of a split target URI, remembered."""
    return _normalized_authority(uri_authority, uri_scheme)


def path(target_uri: str) -> str:
    """The path exactly as received, or "/" when it is empty (RFC 9421 §2.2.6)."""
    _, _, uri_path, _ = _split_target_uri(target_uri)
    # RFC 9421 §2.2.6: "an empty path string is normalized as a single slash (/) character"
    if uri_path == "":
        return "/"
    return uri_path


def query(target_uri: str) -> str | None:
    """The query exactly as received (without its leading "?"), or None when there is no "?"."""
    _, _, _, uri_query = _split_target_uri(target_uri)
    return uri_query


@dataclass(frozen=True)
class Request:
    """An HTTP request as the verifier received it.

    ``method`` is kept as received (no case change); ``target_uri`` is the effective target URI
    (scheme and authority from trusted configuration, path and query as received); ``headers``
    are (name, value) field lines in wire order with repeats kept and names as received;
    ``body`` is the content (None: no content; ``b""``: empty content).
    """

    method: str
    target_uri: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    # Every field line's value under its lowercased name, in wire order, built once for
    # field_lines (the verifier asks for six names per request; not part of the value).
    _values_by_name: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.method, str):
            raise MessageComponentError(
                "method_type", f"expected the method as str, got {type(self.method).__name__}"
            )
        # RFC 9110 §9.1: method = token
        if not is_token(self.method):
            raise MessageComponentError(
                "method_not_token", f"expected a token, got {self.method!r}"
            )
        uri_scheme, uri_authority, _, _ = _split_target_uri(self.target_uri)
        _normalized_split_authority(uri_authority, uri_scheme)
        if not isinstance(self.headers, tuple):
            raise MessageComponentError(
                "headers_type",
                f"expected headers as a tuple of (name, value), got {type(self.headers).__name__}",
            )
        for field_line in self.headers:
            _field_line_pair(field_line)
        object.__setattr__(self, "_values_by_name", _values_by_name(self.headers))
        if self.body is not None and not isinstance(self.body, bytes):
            raise MessageComponentError(
                "body_type", f"expected body as bytes or None, got {type(self.body).__name__}"
            )

    def field_lines(self, name: str) -> tuple[str, ...]:
        """The values of every field line named ``name`` (case-insensitive), in wire order."""
        wanted = _FIELD_NAMES_LOWERED.get(name) if type(name) is str else None
        if wanted is None:
            if not isinstance(name, str) or not is_token(name):
                raise MessageComponentError("field_name_not_token",
                                            f"expected a token, got {name!r}")
            wanted = ascii_lower(name)
            if len(_FIELD_NAMES_LOWERED) < _MAX_FIELD_NAMES_LOWERED:
                _FIELD_NAMES_LOWERED[name] = wanted
        return self._values_by_name.get(wanted, ())

    def with_header(self, name: str, value: str) -> Request:
        """A copy of this request with the field line ``name: value`` appended at the end."""
        return Request(self.method, self.target_uri, (*self.headers, (name, value)), self.body)


def _values_by_name(headers: tuple[tuple[str, str], ...]) -> dict[str, tuple[str, ...]]:
    """The values of ``headers`` grouped by lowercased field name, each group in wire order
    (RFC 9421 §2.1 combines a field's lines in the order received). The names are tokens.
    Linear in the number of lines: a repeated name's values are collected in a list and made a
    tuple once at the end (extending a tuple per line made 7,000 lines of one name cost half a
    second); a name seen once, the common case, costs nothing more."""
    grouped: dict[str, tuple[str, ...]] = {}
    repeated: dict[str, list[str]] = {}
    for name, value in headers:
        lowered = _RECEIVED_NAMES_LOWERED.get(name)
        if lowered is None:
            lowered = ascii_lower(name)
            if len(_RECEIVED_NAMES_LOWERED) < _MAX_FIELD_NAMES_LOWERED:
                _RECEIVED_NAMES_LOWERED[name] = lowered
        first = grouped.get(lowered)
        if first is None:
            grouped[lowered] = (value,)
        elif lowered in repeated:
            repeated[lowered].append(value)
        else:
            repeated[lowered] = [*first, value]
    for lowered, values in repeated.items():
        grouped[lowered] = tuple(values)
    return grouped


# Field names already checked (tokens) and lowercased by field_lines: the verifier asks for the
# same few names on every request. Bounded: names past the bound are checked every time.
_FIELD_NAMES_LOWERED: dict[str, str] = {}
# The same for the names of received field lines (checked by then), kept apart: names a client
# sends cannot crowd out the verifier's own. Bounded alike.
_RECEIVED_NAMES_LOWERED: dict[str, str] = {}
_MAX_FIELD_NAMES_LOWERED: Final = 256


def _field_line_pair(field_line: object) -> tuple[str, str]:
    """``field_line`` itself when it is a (name, value) pair of str whose name is a token."""
    if not isinstance(field_line, tuple) or len(field_line) != 2:
        raise MessageComponentError(
            "headers_type", f"expected a (name, value) pair of str, got {field_line!r}"
        )
    name, value = field_line
    if not isinstance(name, str) or not isinstance(value, str):
        raise MessageComponentError(
            "headers_type", f"expected a (name, value) pair of str, got {field_line!r}"
        )
    # RFC 9110 §5.1: field-name = token
    if not is_token(name):
        raise MessageComponentError("field_name_not_token", f"expected a token, got {name!r}")
    return name, value


def _strip_line_end(line: str) -> str:
    return _LINE_END.sub("", line, count=1)


def first_non_field_octet(value: str) -> int | None:
    """RFC 9110 §5.5: field-value = *field-content (HTAB, SP, VCHAR, obs-text). The index of the
    first character of ``value`` outside that: a CTL other than HTAB, or a character above 0xFF
    (no latin-1 decoded octet); None when every character is inside."""
    run = _FIELD_VALUE_OCTETS.match(value)
    assert run is not None  # `*` matches at least the empty string
    return None if run.end() == len(value) else run.end()


def _check_field_value_octets(value: str, name: str) -> None:
    """RFC 9110 §5.5: field-value = *field-content; no CTL except HTAB; octets only."""
    index = first_non_field_octet(value)
    if index is None:
        return
    character = value[index]
    if character in "\r\n":
        # RFC 9112 §2.2: "a recipient of such a bare CR MUST consider that element to be
        # invalid or replace each bare CR with SP before processing"; we reject.
        raise MessageComponentError(
            "bare_cr_or_lf",
            f"expected no CR or LF inside the value of {name!r}, got {character!r} at {index}",
        )
    if ord(character) > 0xFF:
        raise MessageComponentError(
            "field_value_not_octets",
            f"expected latin-1 decoded octets in the value of {name!r}, got {character!r}",
        )
    # RFC 9110 §5.5: "a recipient of CR, LF, or NUL within a field value MUST either reject the
    # message or replace each of those characters with SP"; other CTLs are not field-vchar
    # either. We reject.
    raise MessageComponentError(
        "field_value_control_character",
        f"expected no control character in the value of {name!r}, got {character!r} at {index}",
    )


def _parse_request_line(request_line: str) -> tuple[str, str]:
    line = _strip_line_end(request_line)
    if "\r" in line or "\n" in line:
        raise MessageComponentError(
            "bare_cr_or_lf", f"expected no CR or LF inside the request line, got {request_line!r}"
        )
    # RFC 9112 §3: request-line = method SP request-target SP HTTP-version
    parts = line.split(" ")
    if len(parts) != 3:
        raise MessageComponentError(
            "request_line_malformed",
            f"expected 'method SP request-target SP HTTP-version', got {request_line!r}",
        )
    method, request_target, version = parts
    if not is_token(method):
        raise MessageComponentError("method_not_token", f"expected a token, got {method!r}")
    if _HTTP_VERSION.fullmatch(version) is None:
        raise MessageComponentError(
            "request_line_malformed", f"expected HTTP-version 'HTTP/x.y', got {version!r}"
        )
    if request_target == "" or _TARGET_CHARS.fullmatch(request_target) is None:
        raise MessageComponentError(
            "request_target_characters",
            f"expected a non-empty request-target of visible US-ASCII, got {request_target!r}",
        )
    return method, request_target


def _target_uri_from_request_target(request_target: str, config_scheme: str,
                                    config_authority: str) -> str:
    """RFC 9110 §7.1: reconstruct the target URI; the scheme and authority come from config."""
    # RFC 9112 §3.2: request-target = origin-form / absolute-form / authority-form / asterisk-form
    if request_target.startswith("/"):
        # RFC 9112 §3.2.1: origin-form = absolute-path [ "?" query ]; kept byte for byte.
        if "#" in request_target:
            raise MessageComponentError(
                "request_target_fragment",
                f"expected no '#' in the origin-form target, got {request_target!r}",
            )
        return f"{config_scheme}://{config_authority}{request_target}"
    if request_target == "*":
        # RFC 9112 §3.2.4 asterisk-form has no path: @path and @query cannot be derived.
        raise MessageComponentError(
            "request_target_asterisk_form",
            "expected an origin-form or absolute-form target, got the asterisk-form '*'",
        )
    if "://" not in request_target:
        # RFC 9112 §3.2.3 authority-form (CONNECT) has no path: @path cannot be derived.
        raise MessageComponentError(
            "request_target_authority_form",
            f"expected an origin-form or absolute-form target, got {request_target!r}",
        )
    # RFC 9112 §3.2.2 absolute-form: the path and query come from it, but the authority must be
    # the configured one; a mismatch is rejected rather than mixed.
    received_scheme, received_authority, received_path, received_query = _split_target_uri(
        request_target
    )
    if _normalized_scheme(received_scheme) != config_scheme:
        raise MessageComponentError(
            "request_target_scheme_mismatch",
            f"expected scheme {config_scheme!r} in the absolute-form target, got "
            f"{received_scheme!r}",
        )
    if _normalized_authority(received_authority, received_scheme) != config_authority:
        raise MessageComponentError(
            "request_target_authority_mismatch",
            f"expected authority {config_authority!r} in the absolute-form target, got "
            f"{received_authority!r}",
        )
    suffix = received_path if received_query is None else f"{received_path}?{received_query}"
    return f"{config_scheme}://{config_authority}{suffix}"


def _parse_header_lines(header_lines: Sequence[str]) -> tuple[tuple[str, str], ...]:
    fields: list[tuple[str, str]] = []
    for raw_line in header_lines:
        if not isinstance(raw_line, str):
            raise MessageComponentError(
                "header_line_type", f"expected each header line as str, got {raw_line!r}"
            )
        line = _strip_line_end(raw_line)
        if line.startswith((" ", "\t")):
            # RFC 9112 §5.2 obs-fold. RFC 9421 §2.1: "Remove any obsolete line folding within
            # the line, and replace it with a single space (" ")".
            if not fields:
                # RFC 9112 §2.2: whitespace between the start-line and the first header field.
                raise MessageComponentError(
                    "obs_fold_without_field",
                    f"expected a field line before a continuation line, got {raw_line!r}",
                )
            name, value = fields[-1]
            continuation = line.strip(" \t")
            _check_field_value_octets(continuation, name)
            joined = f"{value} {continuation}" if continuation else value
            fields[-1] = (name, joined)
            continue
        colon = line.find(":")
        if colon < 0:
            raise MessageComponentError(
                "header_line_without_colon", f"expected 'name: value', got {raw_line!r}"
            )
        name = line[:colon]
        # RFC 9112 §5.1: "No whitespace is allowed between the field name and colon."
        if not is_token(name):
            raise MessageComponentError("field_name_not_token", f"expected a token, got {name!r}")
        # RFC 9112 §5.1: field-line = field-name ":" OWS field-value OWS
        value = line[colon + 1 :].strip(" \t")
        _check_field_value_octets(value, name)
        fields.append((name, value))
    return tuple(fields)


def request_from_wire(request_line: str, header_lines: Sequence[str], body: bytes | None, *,
                      scheme: str, authority: str) -> Request:
    """Build a :class:`Request` from what a server received, without normalising anything.

    ``request_line`` and ``header_lines`` are the raw lines decoded as latin-1 (a trailing CRLF
    or LF is removed); ``scheme`` and ``authority`` are the verifier's trusted configuration.
    Origin-form targets are kept byte for byte; absolute-form targets must name the configured
    scheme and authority; asterisk-form and authority-form are rejected (they have no path).
    """
    if not isinstance(request_line, str):
        raise MessageComponentError(
            "request_line_type", f"expected the request line as str, got {request_line!r}"
        )
    if isinstance(header_lines, str):
        raise MessageComponentError(
            "header_line_type", "expected a sequence of header lines, got a single str"
        )
    config_scheme = _normalized_scheme(scheme)
    config_authority = _normalized_authority(authority, config_scheme)
    method, request_target = _parse_request_line(request_line)
    target_uri = _target_uri_from_request_target(request_target, config_scheme, config_authority)
    return Request(method, target_uri, _parse_header_lines(header_lines), body)


def request_from_parsed(method: str, request_target: str, fields: Sequence[tuple[str, str]],
                        body: bytes | None, *, scheme: str, authority: str) -> Request:
    """Build a :class:`Request` from a request a server has already parsed (the ASGI scope, the
    WSGI environ): the method, the request-target as received and the field lines as (name,
    value) pairs decoded as latin-1, in the order the server kept.

    The same checks as :func:`request_from_wire` on each part (method token, visible-ASCII
    request-target in origin- or absolute-form, field-name token, field-value octets, OWS
    removed), without joining the pairs into header lines and splitting them again. A server has
    already unfolded obs-fold (RFC 9112 §5.2) or refused it, so none is expected here.
    """
    target_uri = _checked_target_uri(method, request_target, scheme, authority)
    lines = tuple(fields)
    checked = None
    if set(map(type, lines)) == {tuple} and set(map(len, lines)) == {2}:
        checked = _all_field_lines_valid([name for name, _ in lines], [value for _, value in lines])
    if checked is None:
        checked = _checked_one_by_one(lines)
    _check_body(body)
    return _request_of_checked_parts(method, target_uri, checked, body)


def request_from_field_columns(method: str, request_target: str, names: Sequence[str],
                               values: Sequence[str], body: bytes | None, *, scheme: str,
                               authority: str) -> Request:
    """:func:`request_from_parsed` for field lines that arrive as two columns: ``names[i]`` and
    ``values[i]`` make the i-th line (what the middleware reads out of the ASGI scope's header
    list or the WSGI environ, without pairing them first). The same checks, the same refusals."""
    target_uri = _checked_target_uri(method, request_target, scheme, authority)
    if len(names) != len(values):
        raise MessageComponentError(
            "headers_type", f"expected as many values as names, got {len(values)} and {len(names)}"
        )
    checked = _all_field_lines_valid(names, values)
    if checked is None:
        checked = _checked_one_by_one(tuple(zip(names, values, strict=True)))
    _check_body(body)
    return _request_of_checked_parts(method, target_uri, checked, body)


def _checked_target_uri(method: object, request_target: object, scheme: str,
                        authority: str) -> str:
    """The target URI a parsed request names: its method a token, its request-target visible
    US-ASCII, the scheme and authority those of the verifier's configuration (RFC 9110 §7.1)."""
    if not isinstance(method, str) or not is_token(method):
        raise MessageComponentError("method_not_token", f"expected a token, got {method!r}")
    if (
        not isinstance(request_target, str)
        or request_target == ""
        or _TARGET_CHARS.fullmatch(request_target) is None
    ):
        raise MessageComponentError(
            "request_target_characters",
            f"expected a non-empty request-target of visible US-ASCII, got {request_target!r}",
        )
    config_scheme = _normalized_scheme(scheme)
    config_authority = _normalized_split_authority(authority, config_scheme)
    return _target_uri_from_request_target(request_target, config_scheme, config_authority)


def _check_body(body: object) -> None:
    if body is not None and not isinstance(body, bytes):
        raise MessageComponentError(
            "body_type", f"expected body as bytes or None, got {type(body).__name__}"
        )


# A server hands on field lines that are almost always valid, so they are checked all at once
# first: every name a token and every value field-content octets, in one match over the names
# and one over the values, each joined by LF (which neither may contain: the count of LFs shows
# one smuggled inside a name or value). On any failure the lines are checked one by one, and the
# error names the first bad one.
_TOKENS_BY_LF = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?:\n[!#$%&'*+\-.^_`|~0-9A-Za-z]+)*")
_FIELD_VALUES_BY_LF = re.compile(r"[\t\n\x20-\x7e\x80-\xff]*")


def _all_field_lines_valid(names: Sequence[str], values: Sequence[str]
                           ) -> tuple[tuple[str, str], ...] | None:
    """The lines (OWS removed from each value) when every name is a token and every value
    field-content octets; None when any is not (or is not a str), to be named line by line."""
    if not names:
        return ()
    try:
        # RFC 9112 §5.1: field-line = field-name ":" OWS field-value OWS
        stripped = [value.strip(" \t") for value in values]
        joined_names, joined_values = "\n".join(names), "\n".join(stripped)
    except (TypeError, AttributeError):
        return None
    separators = len(names) - 1
    if (
        _TOKENS_BY_LF.fullmatch(joined_names) is None
        or _FIELD_VALUES_BY_LF.fullmatch(joined_values) is None
        or joined_names.count("\n") != separators
        or joined_values.count("\n") != separators
    ):
        return None
    return tuple(zip(names, stripped, strict=True))


def _checked_one_by_one(lines: tuple[object, ...]) -> tuple[tuple[str, str], ...]:
    """Each line checked in order (a (name, value) tuple of str, the name a token, the value
    field-content octets); the first bad one raises, named."""
    checked: list[tuple[str, str]] = []
    for field_line in lines:
        name, raw_value = _field_line_pair(field_line)
        value = raw_value.strip(" \t")
        _check_field_value_octets(value, name)
        checked.append((name, value))
    return tuple(checked)


def _request_of_checked_parts(method: str, target_uri: str, headers: tuple[tuple[str, str], ...],
                              body: bytes | None) -> Request:
    """``Request(method, target_uri, headers, body)`` for parts already checked one by one
    (method token, field lines, body type): what ``__post_init__`` would check again is not,
    the target URI still is (issue 19: the middleware builds each request once)."""
    uri_scheme, uri_authority, _, _ = _split_target_uri(target_uri)
    _normalized_split_authority(uri_authority, uri_scheme)
    request = object.__new__(Request)
    request.__dict__.update(method=method, target_uri=target_uri, headers=headers, body=body,
                            _values_by_name=_values_by_name(headers))
    return request


def head_lines(request: Request) -> list[str]:
    """``request`` as the head of an HTTP/1.1 message (RFC 9112 §2.1): the request line in
    origin form, ``Host`` from the target URI unless the request has one, its field lines, and
    ``Content-Length`` for content the lines do not give a length."""
    target = path(request.target_uri)
    request_query = query(request.target_uri)
    if request_query is not None:
        target += "?" + request_query
    lines = [f"{request.method} {target} HTTP/1.1"]
    names = {name.lower() for name, _ in request.headers}
    if "host" not in names:
        lines.append(f"Host: {authority(request.target_uri)}")
    lines += (f"{name}: {value}" for name, value in request.headers)
    if request.body and "content-length" not in names:
        lines.append(f"Content-Length: {len(request.body)}")
    return lines
