"""A private key in text form: the one line ``erc8128 keygen`` writes and ``--key-file`` reads."""

import re
from typing import Final

from erc8128.client.errors import ClientError
from erc8128.crypto.secp256k1 import private_key_scalar

DEFAULT_KEY_ENV: Final = "ERC8128_PRIVATE_KEY"


_PRIVATE_KEY_HEX: Final = re.compile(r"(?:0x)?([0-9a-fA-F]{64})")


def parse_private_key(text: str) -> bytes:
    """A private key from its text form: 64 hex digits, ``0x`` optional, surrounding space
    ignored. The message of a rejection never repeats the text (it may be a secret)."""
    if not isinstance(text, str):
        raise ClientError("private_key_format", f"expected str, got {type(text).__name__}")
    match = _PRIVATE_KEY_HEX.fullmatch(text.strip())
    if match is None:
        raise ClientError(
            "private_key_format",
            f"expected 64 hex digits with optional 0x, got {len(text.strip())} characters",
        )
    private_key = bytes.fromhex(match.group(1))
    private_key_scalar(private_key)  # SEC 1 §3.2.1: 1 <= d <= n - 1 (raises InvalidKey)
    return private_key


def format_private_key(private_key: bytes) -> str:
    """The text form :func:`parse_private_key` reads: ``0x`` + 64 lowercase hex digits."""
    private_key_scalar(private_key)
    return "0x" + private_key.hex()
