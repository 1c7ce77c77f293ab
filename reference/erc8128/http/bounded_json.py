"""JSON from untrusted peers with its nesting bounded before parsing (RFC 8259).

``json.loads`` recurses once per array/object level. Under the default recursion limit a deep
document raises ``RecursionError``, but wherever the limit has been raised (test frameworks and
some applications do), a deep enough document overflows the C stack and kills the whole process.
So the depth is measured first, in one linear pass, and a document nested deeper than the limit
is refused before ``json.loads`` sees it.
"""

from __future__ import annotations

import re
from itertools import accumulate
from typing import Final

from erc8128.errors import Erc8128Error

__all__ = ["MAX_JSON_DEPTH", "JsonTooDeep", "check_depth", "nesting_depth"]

MAX_JSON_DEPTH: Final = 32

# A JSON string (RFC 8259 §7): quotes around unescaped characters and backslash escapes; brackets
# inside strings do not nest. The closing quote is optional so that an unterminated string is
# consumed in one linear pass (a required quote would rescan from every later quote: quadratic
# on '"\\"\\"\\"...').
_JSON_STRING: Final = re.compile(r'"(?:[^"\\]|\\.)*"?', re.DOTALL)


class JsonTooDeep(Erc8128Error):
    """JSON nested deeper than allowed, reason ``json_too_deep`` (an :class:`Erc8128Error`, and
    so a ``ValueError`` like every other JSON rejection)."""

    def __init__(self, message: str) -> None:
        super().__init__("json_too_deep", message)


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
