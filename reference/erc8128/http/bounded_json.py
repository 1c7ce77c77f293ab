"""JSON from untrusted peers, parsed within bounds (RFC 8259): one parser for every JSON body.

``json.loads`` recurses once per array/object level. Under the default recursion limit a deep
document raises ``RecursionError``, but wherever the limit has been raised (test frameworks and
some applications do), a deep enough document overflows the C stack and kills the whole process.
So the depth is measured first, in one linear pass, and a document nested deeper than the limit
is refused before ``json.loads`` sees it.

:func:`parse_json` adds the other bounds an endpoint needs so that no JSON at all makes it answer
500: integer literals of at most ``max_integer_chars`` characters (CPython's ``int()`` raises
``ValueError`` above 4,300 digits and costs quadratic time below), no duplicate member names, no
``NaN``/``Infinity``, and strings that are sequences of Unicode scalar values. RFC 8259 §8.2:
"the ABNF in this specification allows member names and string values to contain bit sequences
that cannot encode Unicode characters; for example, "\\uDEAD" (a single unpaired UTF-16
surrogate)" -- such a string cannot be encoded as UTF-8 later (``UnicodeEncodeError``), so it is
refused here (decision D79).
"""

import json
import re
from itertools import accumulate
from typing import Any, Final

from erc8128.errors import Erc8128Error

MAX_JSON_DEPTH: Final = 32
# Decision D37: a JSON integer literal longer than this is refused before int() sees it.
MAX_JSON_INTEGER_CHARS: Final = 20

# A JSON string (RFC 8259 §7): quotes around unescaped characters and backslash escapes; brackets
# inside strings do not nest. The closing quote is optional so that an unterminated string is
# consumed in one linear pass (a required quote would rescan from every later quote: quadratic
# on '"\\"\\"\\"...').
_JSON_STRING: Final = re.compile(r'"(?:[^"\\]|\\.)*"?', re.DOTALL)
# A UTF-16 surrogate code point: never a Unicode scalar value (Unicode §3.9 D76).
_SURROGATE: Final = re.compile("[\ud800-\udfff]")


class JsonTooDeep(Erc8128Error):
    """JSON nested deeper than allowed, reason ``json_too_deep`` (an :class:`Erc8128Error`, and
    so a ``ValueError`` like every other JSON rejection)."""

    def __init__(self, message: str) -> None:
        super().__init__("json_too_deep", message)


class InvalidJson(Erc8128Error):
    """Content that :func:`parse_json` refuses, reason ``invalid_json``; the message names the
    bound (expected/got) without echoing the content."""

    def __init__(self, message: str) -> None:
        super().__init__("invalid_json", message)


def nesting_depth(text: str) -> int:
    """The deepest array/object nesting of JSON text (strings removed first)."""
    outside_strings = _JSON_STRING.sub("", text)
    steps = [1 if character in "[{" else -1 for character in outside_strings if character in "[]{}"]
    return max(accumulate(steps), default=0)


def check_depth(text: str, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Raise :class:`JsonTooDeep` if ``text`` nests arrays/objects deeper than ``max_depth``."""
    depth = nesting_depth(text)
    if depth > max_depth:
        raise JsonTooDeep(f"expected JSON nested at most {max_depth} deep, got {depth}")


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise InvalidJson(f"expected unique member names, got {key!r} twice")
        document[key] = value
    return document


def _finite(name: str) -> object:
    raise InvalidJson(f"expected finite numbers, got {name}")


def _has_surrogate(document: object) -> bool:
    """True if any string of ``document`` (member names included) holds a lone surrogate. The
    walk is iterative; ``document`` is at most MAX_JSON_DEPTH deep anyway."""
    pending: list[object] = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                return True
        elif isinstance(value, dict):
            pending.extend(value)
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False


def parse_json(content: bytes | str, *, max_depth: int = MAX_JSON_DEPTH,
               max_integer_chars: int = MAX_JSON_INTEGER_CHARS) -> Any:
    """``content`` (UTF-8 bytes, or text) as a JSON value within the bounds above, or
    :class:`InvalidJson`. Never raises anything else for any input."""
    if isinstance(content, bytes):
        try:
            text = content.decode("utf-8")  # strict: no surrogates survive decoding
        except UnicodeDecodeError:
            raise InvalidJson("expected UTF-8 JSON content") from None
    else:
        text = content
        if _SURROGATE.search(text):
            raise InvalidJson("expected Unicode scalar values, got a surrogate code point")
    try:
        check_depth(text, max_depth)
    except JsonTooDeep as error:
        raise InvalidJson(error.message) from None

    def bounded_int(literal: str) -> int:
        if len(literal) > max_integer_chars:
            raise InvalidJson(f"expected integers of at most {max_integer_chars} characters, "
                              f"got {len(literal)}")
        return int(literal)

    try:
        document = json.loads(text, object_pairs_hook=_unique_members, parse_constant=_finite,
                              parse_int=bounded_int)
    except json.JSONDecodeError as error:
        raise InvalidJson(f"expected JSON (RFC 8259): {error.msg} at character "
                          f"{error.pos}") from None
    except RecursionError:
        raise InvalidJson(f"expected JSON nested at most {max_depth} deep") from None
    # A \uD800 escape decodes to a lone surrogate (a pair decodes to one scalar value); only
    # escapes can make one here, so documents without "\u" skip the walk.
    if "\\u" in text and _has_surrogate(document):
        raise InvalidJson("expected strings of Unicode scalar values, got a lone surrogate "
                          "escape (RFC 8259 §8.2)")
    return document
