"""Builds ``erc191_hash.json``, ``erc191_sign.json`` and ``erc191_recover.json``: the ERC-191
personal-message hash (version 0x45), RFC 6979 signing and signature recovery with the checks of
ERC-8128 §3.4.3 (65 bytes, r and s ranges, low-s, v of 27 or 28).
"""

from typing import Final

from erc8128.crypto.addresses import address_of
from erc8128.crypto.personal_sign import (
    PERSONAL_MESSAGE_PREFIX,
    personal_message_hash,
    recover_address,
    sign_message,
)
from erc8128.crypto.secp256k1 import N, P
from erc8128.errors import Erc8128Error

from .common import (
    _ADDRESS,
    _HEX,
    KEY_1,
    KEY_2,
    KEY_3,
    KEY_HIGH,
    VectorFile,
    _assemble,
    _by_flags,
    _draft_positive,
    _group,
    _schema,
    _test,
)

# -- erc191_hash.json ----------------------------------------------------------------------------


def _draft_signature_base() -> str:
    return _draft_positive()["signature_base"]  # type: ignore[no-any-return]


def _erc191_messages() -> list[tuple[str, bytes, list[str]]]:
    return [
        ("empty message: length '0'", b"", ["LengthDigits"]),
        ("'hello'", b"hello", []),
        ("9 bytes: one length digit", b"123456789", ["LengthDigits"]),
        ("10 bytes: two length digits", b"0123456789", ["LengthDigits"]),
        ("99 bytes", b"a" * 99, ["LengthDigits"]),
        ("100 bytes: three length digits", b"a" * 100, ["LengthDigits"]),
        ("UTF-8 'I\u2665SF': the length is 6 bytes, not 4 characters",
         "I\u2665SF".encode(), ["Utf8Length"]),
        ("raw bytes 0x00 0xff 0x0a 0x19", b"\x00\xff\x0a\x19", []),
        ("a message that itself starts with the ERC-191 prefix",
         PERSONAL_MESSAGE_PREFIX + b"5hello", []),
        ("the draft's 449-byte signature base M", _draft_signature_base().encode("ascii"),
         ["DraftVector"]),
        ("1000 bytes", bytes(range(256)) * 3 + bytes(range(232)), ["LengthDigits"]),
    ]


def _erc191_hash_file() -> VectorFile:
    tests = []
    for comment, message, flags in _erc191_messages():
        prefixed = PERSONAL_MESSAGE_PREFIX + str(len(message)).encode("ascii") + message
        tests.append(_test(comment, flags, "valid", message_hex=message.hex(),
                           prefixed_hex=prefixed.hex(),
                           hash_hex=personal_message_hash(message).hex()))
    notes = {
        "LengthDigits": "The decimal byte length in the prefix changes its number of digits "
        "here (no leading zeroes, no padding).",
        "Utf8Length": "The length counts bytes, not characters.",
        "DraftVector": "The message is the ERC-8128 draft's own signature base.",
    }
    schema = _schema("ERC-191 personal message hash vectors", "PersonalMessageHashTest",
                     {"message_hex": _HEX, "prefixed_hex": _HEX, "hash_hex": _HEX},
                     ["message_hex", "prefixed_hex", "hash_hex"])
    return _assemble(
        "erc191_hash.json", "ERC-191-PERSONAL-MESSAGE-HASH",
        ["H = keccak256(0x19 || 'Ethereum Signed Message:\\n' || decimal(len(message)) || "
         "message), ERC-191 version 0x45."],
        notes, [_group("PersonalMessageHashTest", tests)], schema=schema,
        classify=_by_flags({"LengthDigits": "erc191-length", "Utf8Length": "erc191-length"},
                           valid="erc191-hash"),
    )


# -- erc191_sign.json ----------------------------------------------------------------------------

_SIGNING_KEYS: Final = [
    ("key 0x..01 (the draft's fixture key)", KEY_1),
    ("key 0x..02", KEY_2),
    ("key 0x..03", KEY_3),
    ("key n-1 (the largest private key)", KEY_HIGH),
]


def _erc191_sign_file() -> VectorFile:
    tests = []
    messages = _erc191_messages()
    for key_comment, key in _SIGNING_KEYS:
        for comment, message, flags in messages:
            signature = sign_message(key, message)
            tests.append(_test(
                f"{key_comment}, {comment}", ["Rfc6979", *flags], "valid",
                private_key_hex=key.hex(), message_hex=message.hex(),
                address=address_of(key), hash_hex=personal_message_hash(message).hex(),
                signature_hex=signature.hex(),
            ))
    invalid_tests = []
    for comment, key_bytes in [
        ("private key 0", bytes(32)),
        ("private key n", N.to_bytes(32, "big")),
        ("private key n+1", (N + 1).to_bytes(32, "big")),
        ("private key 2^256-1", b"\xff" * 32),
        ("31-byte private key", KEY_1[1:]),
        ("33-byte private key", b"\x00" + KEY_1),
        ("empty private key", b""),
    ]:
        try:
            sign_message(key_bytes, b"hello")
        except Erc8128Error as error:
            invalid_tests.append(_test(comment, ["InvalidKey"], "invalid", reason=error.reason,
                                       private_key_hex=key_bytes.hex(),
                                       message_hex=b"hello".hex()))
        else:
            raise Erc8128Error("vector_generation", f"{comment} was accepted")
    notes = {
        "Rfc6979": "Deterministic RFC 6979 ECDSA (HMAC-SHA256), low-s (s <= n/2), v = 27 + "
        "recovery id: an implementation with capability rfc6979 reproduces the signature byte "
        "for byte; any other must produce a signature that recovers to `address`.",
        "LengthDigits": "The decimal byte length in the prefix changes its number of digits.",
        "Utf8Length": "The length counts bytes, not characters.",
        "DraftVector": "The message is the ERC-8128 draft's own signature base.",
        "InvalidKey": "The private key is not a scalar in [1, n-1] of 32 bytes.",
    }
    schema = _schema(
        "ERC-191 personal_sign vectors", "PersonalSignTest",
        {"private_key_hex": _HEX, "message_hex": _HEX, "address": _ADDRESS, "hash_hex": _HEX,
         "signature_hex": _HEX},
        ["private_key_hex", "message_hex"],
    )
    return _assemble(
        "erc191_sign.json", "ERC-191-PERSONAL-SIGN",
        ["secp256k1 ECDSA signatures r || s || v of the ERC-191 hash; RFC 6979 nonces, low-s."],
        notes,
        [_group("PersonalSignTest", tests), _group("PersonalSignTest", invalid_tests)],
        schema=schema,
        classify=_by_flags({"InvalidKey": "d41-signer-refusals"}, valid="signature-encoding"),
    )


# -- erc191_recover.json -------------------------------------------------------------------------


_RECOVER_REQUIREMENTS: Final = {
    "WrongHash": "signature-valid", "Length": "signature-length", "RRange": "signature-r-range",
    "SRange": "signature-s-range", "HighS": "low-s", "V": "signature-v",
    "NotOnCurve": "signature-r-range", "HashLength": "erc191-hash",
}


def _not_an_x_coordinate() -> int:
    """The smallest r >= 1 with r^3 + 7 not a square mod p (no curve point has x = r)."""
    r = 1
    while pow((r**3 + 7) % P, (P - 1) // 2, P) == 1:
        r += 1
    return r


def _recover_file() -> VectorFile:
    message = b"hello"
    message_hash = personal_message_hash(message)
    valid = []
    signatures: list[bytes] = []
    for key_comment, key in _SIGNING_KEYS:
        for message_comment, body, _ in _erc191_messages()[:4]:
            body_hash = personal_message_hash(body)
            signature = sign_message(key, body)
            signatures.append(signature)
            valid.append(_test(
                f"{key_comment}, {message_comment}, v={signature[64]}", [], "valid",
                hash_hex=body_hash.hex(), signature_hex=signature.hex(), strict=True,
                address=recover_address(body_hash, signature),
            ))
    base = sign_message(KEY_1, message)
    r = int.from_bytes(base[:32], "big")
    s = int.from_bytes(base[32:64], "big")
    v = base[64]

    def encode(r_value: int, s_value: int, v_value: int) -> bytes:
        return r_value.to_bytes(32, "big") + s_value.to_bytes(32, "big") + bytes((v_value,))

    other_hash = personal_message_hash(b"hellO")
    valid.append(_test(
        "a valid signature of another hash recovers to another address", ["WrongHash"], "valid",
        hash_hex=other_hash.hex(), signature_hex=base.hex(), strict=True,
        address=recover_address(other_hash, base),
    ))
    r_bad = _not_an_x_coordinate()
    mutations: list[tuple[str, bytes, list[str]]] = [
        ("empty signature (0 bytes)", b"", ["Length"]),
        ("64 bytes: v missing (compact form)", base[:64], ["Length"]),
        ("66 bytes: one extra byte", base + b"\x00", ["Length"]),
        ("65 bytes preceded by a 0x00 (66 bytes)", b"\x00" + base, ["Length"]),
        ("r = 0", encode(0, s, v), ["RRange"]),
        ("r = n", encode(N, s, v), ["RRange"]),
        ("r = 2^256 - 1", encode(2**256 - 1, s, v), ["RRange"]),
        ("s = 0", encode(r, 0, v), ["SRange"]),
        ("s = n - s: the high-s twin of a valid signature, v flipped", encode(r, N - s, 55 - v),
         ["HighS"]),
        ("s = n/2 + 1 (floor): the smallest high s", encode(r, N // 2 + 1, v), ["HighS"]),
        ("s = n", encode(r, N, v), ["SRange"]),
        ("s = 2^256 - 1", encode(r, 2**256 - 1, v), ["SRange"]),
        ("v = 0 (recovery id instead of 27/28)", encode(r, s, v - 27), ["V"]),
        ("v = 1", encode(r, s, 1), ["V"]),
        ("v = 26", encode(r, s, 26), ["V"]),
        ("v = 29", encode(r, s, 29), ["V"]),
        ("v = 35 (EIP-155 chain 0 style)", encode(r, s, 35), ["V"]),
        ("v = 37 (EIP-155 chain 1)", encode(r, s, 37), ["V"]),
        ("v = 255", encode(r, s, 255), ["V"]),
        (f"r = {r_bad}: not the x-coordinate of a curve point", encode(r_bad, s, v),
         ["NotOnCurve"]),
        ("all-zero 65 bytes", bytes(65), ["RRange"]),
    ]
    invalid = []
    for comment, signature, flags in mutations:
        try:
            recover_address(message_hash, signature)
        except Erc8128Error as error:
            invalid.append(_test(comment, flags, "invalid", reason=error.reason,
                                 hash_hex=message_hash.hex(), signature_hex=signature.hex(),
                                 strict=True))
        else:
            raise Erc8128Error("vector_generation", f"{comment} was accepted")
    for comment, bad_hash in [("31-byte hash", message_hash[:31]),
                              ("33-byte hash", message_hash + b"\x00")]:
        try:
            recover_address(bad_hash, base)
        except Erc8128Error as error:
            invalid.append(_test(comment, ["HashLength"], "invalid", reason=error.reason,
                                 hash_hex=bad_hash.hex(), signature_hex=base.hex(), strict=True))
    notes = {
        "WrongHash": "The signature is valid for another hash: recovery succeeds with another "
        "address (what a verifier then compares against the keyid).",
        "Length": "ERC-8128 §3.4.3: \"An EOA signature MUST be exactly 65 bytes r || s || v\".",
        "RRange": "ERC-8128 §3.4.3: \"1 <= r < secp256k1n\".",
        "SRange": "ERC-8128 §3.4.3: \"1 <= s <= secp256k1n / 2\" (here s is no scalar at all).",
        "HighS": "ERC-8128 §3.4.3: \"high-s [...] encodings are invalid\": n/2 < s < n.",
        "V": "ERC-8128 §3.4.3: \"v exactly 27 or 28\"; \"EIP-155 transaction, and 0/1-v "
        "encodings are invalid\".",
        "NotOnCurve": "r is in range but no curve point has x = r, so no key can be recovered.",
        "HashLength": "The hash is not 32 bytes.",
    }
    schema = _schema(
        "Strict ERC-8128 §3.4.3 address recovery vectors", "RecoverAddressTest",
        {"hash_hex": _HEX, "signature_hex": _HEX, "strict": {"const": True}, "address": _ADDRESS},
        ["hash_hex", "signature_hex", "strict"],
    )
    return _assemble(
        "erc191_recover.json", "ERC-8128-STRICT-RECOVER",
        ["Strict recovery of the signer address from (H, r || s || v), ERC-8128 §3.4.3: exactly "
         "65 bytes, 1 <= r < n, 1 <= s <= n/2, v in {27, 28}."],
        notes,
        [_group("RecoverAddressTest", valid), _group("RecoverAddressTest", invalid)],
        schema=schema,
        classify=_by_flags(_RECOVER_REQUIREMENTS, valid="signature-encoding"),
    )
