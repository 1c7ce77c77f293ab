"""Recursive Length Prefix encoding (Ethereum Yellow Paper, Appendix B), for the live chain checks.

The suite signs its own EIP-1559 and EIP-7702 transactions (``transactions.py``); both are RLP
lists of byte strings and integers. Only encoding is needed.
"""

from collections.abc import Sequence
from typing import Final

from erc8128.errors import Erc8128Error

__all__ = ["RlpError", "RlpItem", "rlp_encode"]

RlpItem = bytes | int | Sequence["RlpItem"]

# Yellow Paper Appendix B: a byte string of 0-55 bytes is prefixed 0x80 + length, a longer one
# 0xb7 + the length of its big-endian length; lists use 0xc0 and 0xf7 the same way.
_STRING_OFFSET: Final = 0x80
_LIST_OFFSET: Final = 0xC0
_SHORT_LIMIT: Final = 56


class RlpError(Erc8128Error):
    """A value RLP cannot encode (a negative integer, a bool, a str...)."""


def rlp_encode(item: RlpItem) -> bytes:
    """The RLP encoding of ``item``: bytes, a non-negative int, or a (nested) list of those."""
    if isinstance(item, bool):
        raise RlpError("rlp_invalid_item", "expected bytes, int >= 0 or a list, got bool")
    if isinstance(item, int):
        # Yellow Paper Appendix B: "positive integers [...] in big-endian binary form with no
        # leading zeroes"; zero is the empty byte string.
        if item < 0:
            raise RlpError("rlp_invalid_item", f"expected an integer >= 0, got {item}")
        return rlp_encode(item.to_bytes((item.bit_length() + 7) // 8, "big"))
    if isinstance(item, bytes):
        # "If the byte array contains solely a single byte and that single byte is less than
        # 128, then the input is exactly equal to the output."
        if len(item) == 1 and item[0] < _STRING_OFFSET:
            return item
        return _length_prefix(len(item), _STRING_OFFSET) + item
    if isinstance(item, str) or not isinstance(item, Sequence):
        raise RlpError(
            "rlp_invalid_item", f"expected bytes, int >= 0 or a list, got {type(item).__name__}"
        )
    payload = b"".join(rlp_encode(element) for element in item)
    return _length_prefix(len(payload), _LIST_OFFSET) + payload


def _length_prefix(length: int, offset: int) -> bytes:
    if length < _SHORT_LIMIT:
        return bytes((offset + length,))
    length_bytes = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes((offset + _SHORT_LIMIT - 1 + len(length_bytes),)) + length_bytes
