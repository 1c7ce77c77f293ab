"""What the app reads from a request: JSON content, query parameters, identifier syntax.

Every malformed input is an :class:`~erc8128.server.calls.AppError` (400 or 415), never a
Python exception: duplicate members, non-finite numbers and over-long integer literals
(decision D37) and lone surrogates (D79) are refused, and a deep document never reaches
``json.loads``' recursion: every JSON body goes through
:func:`erc8128.http.bounded_json.parse_json`.
"""

import re
from typing import Any, Final

from erc8128.http.bounded_json import InvalidJson, parse_json
from erc8128.http.message import Request, ascii_lower
from erc8128.http.message import query as query_of
from erc8128.server.calls import AppError
from erc8128.server.limits import MAX_NAME_CHARS

# ERC-8128 §7: "Numeric values MUST be JSON integers in the interoperable range"
MAX_JSON_INTEGER: Final = 9007199254740991

PROJECT_ID: Final = re.compile(r"p_[0-9a-f]{16}")
INVITE_CODE: Final = re.compile(r"[A-Za-z0-9_-]{22}")
ADDRESS: Final = re.compile(r"0x[0-9a-f]{40}")
FINGERPRINT: Final = re.compile(r"0x[0-9a-f]{64}")


def query_parameters(request: Request, allowed: tuple[str, ...]) -> dict[str, str]:
    """The query's ``name=value`` pairs: only ``allowed`` names, each at most once, values
    taken as received (no percent-decoding: every value accepted here is plain ASCII)."""
    text = query_of(request.target_uri)
    parameters: dict[str, str] = {}
    if not text:
        return parameters
    for pair in text.split("&"):
        name, separator, value = pair.partition("=")
        if not separator or name not in allowed:
            raise AppError("invalid_query", f"expected only {', '.join(allowed)} parameters",
                           status=400)
        if name in parameters:
            raise AppError("invalid_query", f"expected {name!r} at most once", status=400)
        parameters[name] = value
    return parameters


def query_integer(parameters: dict[str, str], name: str, low: int, high: int, default: int
                  ) -> int:
    value = parameters.get(name)
    if value is None:
        return default
    if not value.isascii() or not value.isdigit() or len(value) > 16:
        raise AppError("invalid_query", f"expected {name!r} as 1 to 16 ASCII digits", status=400)
    number = int(value)
    if not low <= number <= high:
        raise AppError("invalid_query", f"expected {name!r} in {low}..{high}, got {number}",
                       status=400)
    return number


def json_object(request: Request) -> dict[str, Any]:
    """The request content as a JSON object (RFC 8259), or AppError 400/415."""
    content_types = request.field_lines("content-type")
    media_type = ascii_lower(content_types[0].split(";")[0].strip()) if content_types else ""
    if len(content_types) != 1 or media_type != "application/json":
        raise AppError("unsupported_media_type", "expected Content-Type: application/json",
                       status=415)
    try:
        # One bounded parser for every JSON body (bounded_json.parse_json): depth, integer
        # length (D37), duplicate members, non-finite numbers, lone surrogates (D79).
        document = parse_json(request.body or b"")
    except InvalidJson as error:
        raise AppError(error.reason, error.message, status=400) from None
    if not isinstance(document, dict):
        kind = type(document).__name__
        raise AppError("invalid_json", f"expected a JSON object, got {kind}", status=400)
    return document


def name(body: dict[str, Any]) -> str:
    value = body.get("name")
    if not isinstance(value, str):
        raise AppError("invalid_field", "expected 'name' as a string", status=400)
    if not 1 <= len(value) <= MAX_NAME_CHARS:
        raise AppError("invalid_field", f"expected 1..{MAX_NAME_CHARS} characters in 'name'",
                       status=400)
    if not value.isprintable():
        raise AppError("invalid_field", "expected printable characters in 'name'", status=400)
    return value


def boolean(body: dict[str, Any], key: str, *, default: bool) -> bool:
    value = body.get(key, default)
    if not isinstance(value, bool):
        raise AppError("invalid_field", f"expected {key!r} as true or false", status=400)
    return value


def integer(body: dict[str, Any], key: str, low: int, high: int) -> int:
    value = body.get(key)
    if type(value) is not int:  # excludes booleans and floats
        raise AppError("invalid_field", f"expected {key!r} as an integer", status=400)
    if not low <= value <= high:
        raise AppError("invalid_field", f"expected {key!r} in {low}..{high}, got {value}",
                       status=400)
    return value
