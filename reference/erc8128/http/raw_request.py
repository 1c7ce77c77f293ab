"""A raw HTTP/1.1 request as a person pastes or saves it: request line, header lines, content.

``erc8128 inspect`` reads one from a file and the browser inspector from a text box; both then
build the :class:`~erc8128.http.message.Request` a verifier sees with
:func:`~erc8128.http.message.request_from_wire` and the trusted origin.
"""

from dataclasses import dataclass

from erc8128.errors import Erc8128Error


class RawRequestError(Erc8128Error):
    """Input that is not a raw HTTP/1.1 request (request line, header lines, blank line)."""


@dataclass(frozen=True)
class RawRequest:
    """An HTTP/1.1 request as read from a file: lines decoded as latin-1, content as bytes."""

    request_line: str
    header_lines: tuple[str, ...]
    body: bytes

    def header(self, name: str) -> str | None:
        for line in self.header_lines:
            field_name, _, value = line.partition(":")
            if field_name.lower() == name.lower():
                return value.strip(" \t")
        return None


def parse_raw_request(data: bytes) -> RawRequest:
    """Split raw bytes into request line, header lines and content.

    RFC 9112 §6.3: with ``Content-Length`` the content is exactly that many octets (text after
    them, such as a final newline added by an editor, is ignored); without it, and without
    ``Transfer-Encoding``, "the message body length is zero".
    """
    for separator in (b"\r\n\r\n", b"\n\n"):
        head, found, rest = data.partition(separator)
        if found:
            break
    else:
        head, rest = data.rstrip(b"\r\n"), b""
    lines = head.decode("latin-1").replace("\r\n", "\n").split("\n")
    if not lines or not lines[0]:
        raise RawRequestError("raw_request_empty", "expected a request line, got nothing")
    raw = RawRequest(lines[0], tuple(lines[1:]), b"")
    length_text = raw.header("content-length")
    if length_text is None:
        return raw
    if not length_text.isascii() or not length_text.isdigit():
        raise RawRequestError(
            "content_length_invalid", f"expected Content-Length digits, got {length_text!r}"
        )
    length = int(length_text)
    if len(rest) < length:
        raise RawRequestError(
            "content_truncated", f"expected {length} content bytes, got {len(rest)}"
        )
    return RawRequest(raw.request_line, raw.header_lines, rest[:length])
