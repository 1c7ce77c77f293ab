"""Ethereum addresses: from a secp256k1 public key (Yellow Paper App. F), EIP-55 checksums.

An address is the last 20 bytes of keccak256 of the 64-byte public key x ‖ y. This module writes
it as ``0x`` + 40 lowercase hex digits (the normalized form ERC-8128 §3.3.1 compares), converts
to and from the EIP-55 mixed-case checksum form, and parses address text strictly: ASCII
``0x`` and 40 hex digits, nothing else (no Unicode digits, no ``_``, no sign, no spaces, which
``int(text, 16)`` and ``str.isdigit`` would let through).
"""

from erc8128.crypto.keccak import keccak256
from erc8128.crypto.secp256k1 import decode_public_key, derive_public_key, encode_public_key
from erc8128.errors import InvalidAddress

_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_ADDRESS_HEX_LENGTH = 40


def address_of_public_key(public_key: bytes) -> str:
    """The lowercase address of a public key (64-byte x ‖ y, 65-byte 0x04 ‖ x ‖ y or 33 bytes).

    Yellow Paper, Appendix F: the address is the rightmost 160 bits of the Keccak-256 hash of
    the 64-byte public key (x and y as 32-byte big-endian integers, no 0x04 prefix).
    """
    x_y = encode_public_key(decode_public_key(public_key))
    return "0x" + keccak256(x_y)[-20:].hex()


def address_of(private_key: bytes) -> str:
    """The lowercase address of a 32-byte private key."""
    return "0x" + keccak256(derive_public_key(private_key))[-20:].hex()


def _address_hex(text: str) -> str:
    """The 40 hex digits of ``0x`` + 40 ASCII hex digits, case kept; rejects anything else."""
    if not isinstance(text, str):
        raise InvalidAddress("address_type", f"expected str, got {type(text).__name__}")
    if len(text) != 2 + _ADDRESS_HEX_LENGTH:
        raise InvalidAddress(
            "address_length", f"expected 0x + 40 hex digits (42 characters), got {len(text)}"
        )
    if not text.startswith("0x"):
        raise InvalidAddress("address_prefix", f"expected '0x', got {text[:2]!r}")
    digits = text[2:]
    for index, character in enumerate(digits):
        if character not in _HEX_DIGITS:
            raise InvalidAddress(
                "address_hex",
                f"expected an ASCII hex digit at offset {index + 2}, got {character!r}",
            )
    return digits


def _checksummed_digits(lowercase_digits: str) -> str:
    # EIP-55: "Convert the address to hex, but if the ith digit is a letter (ie. it's one of
    # abcdef) print it in uppercase if the 4*ith bit of the hash of the lowercase hexadecimal
    # address is 1 otherwise print it in lowercase."  (That bit is set iff the nibble is >= 8.)
    hash_hex = keccak256(lowercase_digits.encode("ascii")).hex()
    return "".join(
        character.upper() if int(hash_hex[index], 16) >= 8 else character
        for index, character in enumerate(lowercase_digits)
    )


def to_checksum_address(address: str) -> str:
    """The EIP-55 mixed-case form of an address given in any letter case."""
    return "0x" + _checksummed_digits(_address_hex(address).lower())


def is_checksum_address(address: str) -> bool:
    """True when ``address`` is well formed and exactly its own EIP-55 form."""
    try:
        digits = _address_hex(address)
    except InvalidAddress:
        return False
    return digits == _checksummed_digits(digits.lower())


def parse_address(text: str) -> bytes:
    """The 20 address bytes of ``0x`` + 40 ASCII hex digits.

    All-lowercase and all-uppercase digits carry no checksum and are accepted; mixed case is
    an EIP-55 checksum and must be right (EIP-55: a mixed-case address with a wrong checksum
    is a mistyped address).
    """
    digits = _address_hex(text)
    lowercase = digits.lower()
    is_mixed_case = digits not in (lowercase, digits.upper())
    if is_mixed_case and digits != _checksummed_digits(lowercase):
        raise InvalidAddress(
            "address_checksum",
            f"expected EIP-55 0x{_checksummed_digits(lowercase)}, got {text}",
        )
    return bytes.fromhex(lowercase)
