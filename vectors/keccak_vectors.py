"""Builds ``keccak256.json``: Keccak-256 as Ethereum uses it (the original 0x01 padding, not
SHA3-256's 0x06) around the 136-byte rate, the hash under the ERC-191 message hash of ERC-8128
§3.4 (its tests name the requirement ``erc191-hash``).
"""

from typing import Final

from erc8128.crypto.keccak import keccak256
from erc8128.crypto.personal_sign import PERSONAL_MESSAGE_PREFIX

from .common import _HEX, VectorFile, _assemble, _by_flags, _group, _schema, _test

# -- keccak256.json ------------------------------------------------------------------------------

_KECCAK_RATE: Final = 136  # Keccak-256 absorbs r = 1088 bits = 136 bytes per permutation


def _keccak_file() -> VectorFile:
    cases: list[tuple[str, bytes, list[str]]] = [
        ("empty input", b"", []),
        ("one zero byte", b"\x00", []),
        ("'abc'", b"abc", []),
        ("'The quick brown fox jumps over the lazy dog'",
         b"The quick brown fox jumps over the lazy dog", []),
        ("one 0x01 byte (the value of Keccak's first padding byte)", b"\x01", []),
        ("one 0x06 byte (the value of SHA3-256's first padding byte)", b"\x06", []),
        ("one 0x80 byte", b"\x80", []),
    ]
    for length in (_KECCAK_RATE - 2, _KECCAK_RATE - 1, _KECCAK_RATE, _KECCAK_RATE + 1,
                   2 * _KECCAK_RATE - 1, 2 * _KECCAK_RATE, 2 * _KECCAK_RATE + 1):
        data = bytes((index * 7 + 3) & 0xFF for index in range(length))
        cases.append((f"{length} bytes around the 136-byte rate", data, ["RateBoundary"]))
    cases.append(("1000 bytes of 0xff", b"\xff" * 1000, []))
    cases.append(("ERC-191 prefix alone", PERSONAL_MESSAGE_PREFIX, []))
    tests = [
        _test(comment, flags, "valid", data_hex=data.hex(), digest_hex=keccak256(data).hex())
        for comment, data, flags in cases
    ]
    notes = {
        "RateBoundary": "The input length is next to a multiple of the 136-byte rate, where the "
        "padding spills into another block.",
    }
    schema = _schema("keccak256 test vectors", "Keccak256Test",
                     {"data_hex": _HEX, "digest_hex": _HEX}, ["data_hex", "digest_hex"])
    return _assemble(
        "keccak256.json", "KECCAK-256",
        ["Keccak-256 as used by Ethereum (original Keccak padding 0x01, not SHA3-256's 0x06)."],
        notes, [_group("Keccak256Test", tests)], schema=schema,
        classify=_by_flags({}, valid="erc191-hash"),
    )
