"""Generate the ERC-8128 JSON test vectors (Wycheproof layout) and their JSON Schemas.

Every expected value is computed by the reference implementation in ``reference/erc8128``;
``tests/test_vectors.py`` re-checks them against independent libraries. The output is
deterministic: fixed keys, fixed times (the draft's verifier clock ``now = 1700000001``), explicit
nonces, RFC 6979 signatures, ``json.dumps(indent=2, ensure_ascii=True)`` with insertion order.

    python -m erc8128_vectors.generate           # write every file
    python -m erc8128_vectors.generate --check   # exit 1 and print a diff if a file would change

The functions :func:`request_from_json`, :func:`run_verify` and :func:`run_sign` map a vector's
inputs onto the reference implementation exactly as a conformance runner maps them onto the
implementation under test (see ``vectors/README.md``).
"""

from __future__ import annotations

import argparse
import base64
import difflib
import json
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

from erc8128._version import __version__
from erc8128.accounts import AccountState, NoCodeAccountState, UnavailableAccountState
from erc8128.addresses import address_of
from erc8128.content_digest import content_digest, verify_content_digest
from erc8128.errors import (
    AccountStateUnavailable,
    Erc8128Error,
    VerificationError,
)
from erc8128.invalidation import MemoryInvalidationState
from erc8128.keccak import keccak256
from erc8128.keyid import Account, ProfileName, parse_keyid
from erc8128.message import Request
from erc8128.nonces.memory import MemoryReplayStore
from erc8128.personal_sign import (
    PERSONAL_MESSAGE_PREFIX,
    personal_message_hash,
    recover_address,
    sign_message,
)
from erc8128.policy import VerifierPolicy
from erc8128.reasons import REASON_CODES, http_status
from erc8128.secp256k1 import N, P
from erc8128.sign import sign_request
from erc8128.signature_base import signature_base_for_label
from erc8128.structured_fields import (
    BareItem,
    Item,
    combine_field_lines,
    parse_dictionary,
)
from erc8128.verify import Verified, verify_request

__all__ = [
    "GENERATOR_VERSION",
    "VECTORS_DIR",
    "ScriptedChain",
    "VectorFile",
    "build_all",
    "main",
    "policy_objects",
    "render",
    "request_from_json",
    "request_to_json",
    "run_sign",
    "run_verify",
    "run_verify_steps",
]

VECTORS_DIR: Final = Path(__file__).resolve().parent
SCHEMA_DIR: Final = VECTORS_DIR / "schema"
GENERATOR_VERSION: Final = f"erc8128-python {__version__}, vectors 1"

# The draft's fixture (test-vectors-362f1a9.md): key 0x..01, clock 1700000001, skew 30 s.
NOW: Final = 1700000001
CREATED: Final = 1700000000
EXPIRES: Final = 1700000060
DRAFT_NONCE: Final = "EjRWeJCrze8BI0VniavN7w"
KEY_1: Final = (1).to_bytes(32, "big")
KEY_2: Final = (2).to_bytes(32, "big")
KEY_3: Final = (3).to_bytes(32, "big")
KEY_HIGH: Final = (N - 1).to_bytes(32, "big")
ADDRESS_1: Final = address_of(KEY_1)
ADDRESS_2: Final = address_of(KEY_2)

JsonObject = dict[str, Any]


# -- file assembly ------------------------------------------------------------------------------


@dataclass(frozen=True)
class VectorFile:
    """One vectors file and its JSON Schema, both as JSON values."""

    name: str  # e.g. "keccak256.json"
    document: JsonObject
    schema: JsonObject

    @property
    def schema_name(self) -> str:
        return self.name.removesuffix(".json") + ".schema.json"


def _test(comment: str, flags: Sequence[str], result: str, **fields: Any) -> JsonObject:
    """A test without its tcId (assigned in file order by :func:`_assemble`)."""
    test: JsonObject = {"comment": comment, "flags": list(flags), "result": result}
    test.update(fields)
    return test


def _group(group_type: str, tests: list[JsonObject], **fields: Any) -> JsonObject:
    group: JsonObject = {"type": group_type}
    group.update(fields)
    group["tests"] = tests
    return group


def _assemble(name: str, algorithm: str, header: list[str], notes: Mapping[str, str],
              groups: list[JsonObject], schema: JsonObject) -> VectorFile:
    """Number the tests 1..N in file order and check every flag is explained in ``notes``."""
    tc_id = 0
    numbered_groups: list[JsonObject] = []
    for group in groups:
        numbered: list[JsonObject] = []
        for test in group["tests"]:
            tc_id += 1
            for flag in test["flags"]:
                if flag not in notes:
                    raise Erc8128Error("vector_flag_undeclared", f"{name}: flag {flag!r}")
            numbered.append({"tcId": tc_id, **test})
        numbered_groups.append({**group, "tests": numbered})
    document: JsonObject = {
        "algorithm": algorithm,
        "schema": name.removesuffix(".json") + ".schema.json",
        "generatorVersion": GENERATOR_VERSION,
        "numberOfTests": tc_id,
        "header": header,
        "notes": {flag: {"description": text} for flag, text in notes.items()},
        "testGroups": numbered_groups,
    }
    return VectorFile(name, document, schema)


def render(value: JsonObject) -> str:
    """The exact text written to disk."""
    return json.dumps(value, indent=2, ensure_ascii=True) + "\n"


# -- JSON Schemas ----------------------------------------------------------------------------

_HEX: Final = {"type": "string", "pattern": "^([0-9a-f]{2})*$"}
_ADDRESS: Final = {"type": "string", "pattern": "^0x[0-9a-f]{40}$"}
_NULLABLE_ADDRESS: Final = {"anyOf": [_ADDRESS, {"type": "null"}]}
_REQUEST: Final = {
    "type": "object",
    "additionalProperties": False,
    "required": ["method", "url", "headers", "body_hex"],
    "properties": {
        "method": {"type": "string"},
        "url": {"type": "string"},
        "headers": {
            "type": "array",
            "items": {
                "type": "array",
                "prefixItems": [{"type": "string"}, {"type": "string"}],
                "minItems": 2,
                "maxItems": 2,
            },
        },
        "body_hex": {"anyOf": [_HEX, {"type": "null"}]},
    },
}
_POLICY: Final = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "skew_sec", "max_validity_sec", "served_chains", "replay", "class_bound",
        "required_components", "content_digest", "denied_principals", "not_before",
        "invalidated_signatures", "honor_mode_eoa", "account_state",
    ],
    "properties": {
        "skew_sec": {"type": "integer", "minimum": 0},
        "max_validity_sec": {"type": "integer", "minimum": 1},
        "served_chains": {"type": "array", "items": {"type": "integer", "minimum": 0}},
        "replay": {"enum": ["non-replayable", "either"]},
        "class_bound": {"type": "boolean"},
        "required_components": {"type": "array", "items": {"type": "string"}},
        "content_digest": {"enum": ["request-body", "required"]},
        "denied_principals": {"type": "array", "items": _ADDRESS},
        "not_before": {"type": "object", "additionalProperties": {"type": "integer"}},
        "invalidated_signatures": {
            "type": "array", "items": {"type": "string", "pattern": "^0x[0-9a-f]{64}$"}
        },
        "honor_mode_eoa": {"type": "boolean"},
        "account_state": {
            "enum": [
                "no-code", "unavailable", "erc1271-accepts", "erc1271-rejects",
                "eip7702-delegated",
            ]
        },
        "profiles": {"type": "array", "items": {"enum": ["draft", "legacy"]}, "minItems": 1},
        "invalidation_endpoint": {"type": "boolean"},
        "replayable_denied_principals": {"type": "array", "items": _ADDRESS},
    },
}
_REASON: Final = {"type": "string", "pattern": "^[a-z0-9_]+$"}
_VERIFY_REASON: Final = {"enum": list(REASON_CODES)}
_VERIFY_OUTCOME: Final = {
    "reason": _VERIFY_REASON,
    "status": {"enum": [400, 401, 503]},
    "address": _ADDRESS,
    "chain_id": {"type": "integer"},
    "keyid": {"type": "string"},
    "label": {"type": "string"},
    "replayable": {"type": "boolean"},
    "request_bound": {"type": "boolean"},
    "covered": {"type": "array", "items": {"type": "string"}},
    "nonce_consumed": {"type": "boolean"},
    "signature_base": {"type": "string"},
    "message_hash_hex": _HEX,
    "recovered_address": _NULLABLE_ADDRESS,
    "content_digest": {"type": ["string", "null"]},
}


def _schema(title: str, group_type: str, test_properties: Mapping[str, Any],
            test_required: Sequence[str], group_properties: Mapping[str, Any] | None = None,
            group_types: Sequence[str] | None = None) -> JsonObject:
    """A Draft 2020-12 schema for one file: the Wycheproof frame plus this file's test fields."""
    test = {
        "type": "object",
        "additionalProperties": False,
        "required": ["tcId", "comment", "flags", "result", *test_required],
        "properties": {
            "tcId": {"type": "integer", "minimum": 1},
            "comment": {"type": "string"},
            "flags": {"type": "array", "items": {"type": "string"}},
            "result": {"enum": ["valid", "invalid", "acceptable"]},
            "reason": _REASON,
            "detail": _REASON,
            "decision": {"type": "string", "pattern": "^D[0-9]+$"},
            "draftRow": {"type": "string", "pattern": "^N[0-9]{2}$"},
            **test_properties,
        },
        "if": {"properties": {"result": {"const": "invalid"}}},
        "then": {"required": ["reason"]},
    }
    group = {
        "type": "object",
        "additionalProperties": False,
        "required": ["type", "tests"],
        "properties": {
            "type": {"enum": list(group_types or [group_type])},
            "comment": {"type": "string"},
            "profile": {"enum": ["draft", "legacy", None]},
            **(group_properties or {}),
            "tests": {"type": "array", "items": test},
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "type": "object",
        "additionalProperties": False,
        "required": [
            "algorithm", "schema", "generatorVersion", "numberOfTests", "header", "notes",
            "testGroups",
        ],
        "properties": {
            "algorithm": {"type": "string"},
            "schema": {"type": "string"},
            "generatorVersion": {"type": "string"},
            "numberOfTests": {"type": "integer", "minimum": 1},
            "header": {"type": "array", "items": {"type": "string"}},
            "notes": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["description"],
                    "properties": {
                        "bugType": {"type": "string"},
                        "description": {"type": "string"},
                    },
                },
            },
            "testGroups": {"type": "array", "items": group},
        },
    }


# -- requests as JSON ----------------------------------------------------------------------------


def request_to_json(request: Request) -> JsonObject:
    """The adapter-protocol form of a request: method, url, headers [[name, value]], body_hex."""
    return {
        "method": request.method,
        "url": request.target_uri,
        "headers": [[name, value] for name, value in request.headers],
        "body_hex": None if request.body is None else request.body.hex(),
    }


def request_from_json(value: Mapping[str, Any]) -> Request:
    """The :class:`Request` a vector's ``request`` object describes."""
    body_hex = value["body_hex"]
    return Request(
        method=value["method"],
        target_uri=value["url"],
        headers=tuple((name, text) for name, text in value["headers"]),
        body=None if body_hex is None else bytes.fromhex(body_hex),
    )


# -- keccak256.json ------------------------------------------------------------------------------

_KECCAK_RATE: Final = 136  # Keccak-256 absorbs r = 1088 bits = 136 bytes per permutation


def _keccak_file() -> VectorFile:
    cases: list[tuple[str, bytes, list[str]]] = [
        ("empty input", b"", []),
        ("one zero byte", b"\x00", []),
        ("'abc'", b"abc", []),
        ("'The quick brown fox jumps over the lazy dog'",
         b"The quick brown fox jumps over the lazy dog", []),
        ("one 0x01 byte: collides with the Keccak pad's first bit position", b"\x01", []),
        ("one 0x06 byte: SHA3-256 padding bits as data", b"\x06", []),
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
        notes, [_group("Keccak256Test", tests)], schema,
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
        notes, [_group("PersonalMessageHashTest", tests)], schema,
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
        schema,
    )


# -- erc191_recover.json -------------------------------------------------------------------------


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
        ("s = n - s: the high-s twin of a valid signature, v flipped", encode(r, N - s, v ^ 1),
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
        schema,
    )


# -- keyid.json ----------------------------------------------------------------------------------


def _keyid_file() -> VectorFile:
    address = ADDRESS_1
    digits = address[2:]
    checksummed = "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"
    groups = []
    for profile, prefix in (("draft", "eip155"), ("legacy", "erc8128")):
        other = "erc8128" if profile == "draft" else "eip155"
        cases: list[tuple[str, str, list[str], str | None]] = [
            ("canonical", f"{prefix}:1:{address}", [], None),
            ("chain 8453", f"{prefix}:8453:{address}", [], None),
            ("chain 0 (syntactically valid, D3)", f"{prefix}:0:{address}", ["SpecDecision"],
             "D3"),
            ("32-digit chain (CAIP-2 maximum, D3)", f"{prefix}:{'9' * 32}:{address}",
             ["SpecDecision"], "D3"),
            ("EIP-55 checksummed address", f"{prefix}:1:{checksummed}", ["AddressCase"], None),
            ("uppercase address hex", f"{prefix}:1:0x{digits.upper()}", ["AddressCase"], None),
            ("uppercase 0X prefix", f"{prefix}:1:0X{digits}", [], None),
            ("chain with a leading zero", f"{prefix}:01:{address}", ["SpecDecision"], "D3"),
            ("chain 00", f"{prefix}:00:{address}", ["SpecDecision"], "D3"),
            ("33-digit chain", f"{prefix}:{'1' * 33}:{address}", ["SpecDecision"], "D3"),
            ("empty chain", f"{prefix}::{address}", [], None),
            ("chain '+1'", f"{prefix}:+1:{address}", [], None),
            ("chain '-1'", f"{prefix}:-1:{address}", [], None),
            ("chain '1_0'", f"{prefix}:1_0:{address}", [], None),
            ("chain ' 1'", f"{prefix}: 1:{address}", [], None),
            ("Arabic-Indic digit one as the chain", f"{prefix}:\u0661:{address}",
             ["UnicodeDigits"], None),
            ("fullwidth digit one as the chain", f"{prefix}:\uff11:{address}",
             ["UnicodeDigits"], None),
            ("39 hex digits", f"{prefix}:1:{address[:-1]}", [], None),
            ("41 hex digits", f"{prefix}:1:{address}0", [], None),
            ("no 0x", f"{prefix}:1:{digits}", [], None),
            ("non-hex digit g", f"{prefix}:1:0x{digits[:-1]}g", [], None),
            ("Arabic-Indic digit in the address", f"{prefix}:1:0x{digits[:-1]}\u0661",
             ["UnicodeDigits"], None),
            ("trailing space", f"{prefix}:1:{address} ", [], None),
            ("leading space", f" {prefix}:1:{address}", [], None),
            ("trailing newline", f"{prefix}:1:{address}\n", [], None),
            ("uppercase namespace", f"{prefix.upper()}:1:{address}", [], None),
            ("the other profile's namespace", f"{other}:1:{address}", [], None),
            ("missing chain part", f"{prefix}:{address}", [], None),
            ("extra part", f"{prefix}:1:{address}:1", [], None),
            ("empty keyid", "", [], None),
        ]
        tests = []
        for comment, keyid, flags, decision in cases:
            extra: JsonObject = {} if decision is None else {"decision": decision}
            try:
                account = parse_keyid(keyid, profile)  # type: ignore[arg-type]
            except Erc8128Error as error:
                tests.append(_test(comment, flags, "invalid", reason=error.reason, **extra,
                                   keyid=keyid))
            else:
                tests.append(_test(comment, flags, "valid", **extra, keyid=keyid,
                                   chain_id=account.chain_id, address=account.address))
        groups.append(_group("KeyIdTest", tests, profile=profile))
    notes = {
        "SpecDecision": "Pins a SPEC.md decision (field `decision`): D3, chain ids are 1 to 32 "
        "ASCII digits without a leading zero in both profiles.",
        "AddressCase": "Draft §3.3.1: the address is \"0x followed by exactly 40 lowercase "
        "hexadecimal characters\"; February text: \"Verifiers MUST treat address hex as "
        "case-insensitive\".",
        "UnicodeDigits": "A non-ASCII decimal digit (many regex engines' \\d and isdigit accept "
        "them).",
    }
    schema = _schema(
        "ERC-8128 keyid vectors", "KeyIdTest",
        {"keyid": {"type": "string"}, "chain_id": {"type": "integer"}, "address": _ADDRESS},
        ["keyid"],
    )
    return _assemble(
        "keyid.json", "ERC-8128-KEYID",
        ["draft: keyid = eip155:<chain-id>:0x<40 lowercase hex>; legacy: erc8128:<chain-id>:0x<40 "
         "hex>, case-insensitive hex. Valid tests give the parsed chain id and the lowercase "
         "address."],
        notes, groups, schema,
    )


# -- content_digest.json -------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _content_digest_file() -> VectorFile:
    import hashlib  # noqa: PLC0415  (only to build malformed members below)

    hello = b'{"hello":"world"}'
    create_cases: list[tuple[str, bytes, list[str]]] = [
        ("sha-256 of the draft's content", hello, ["sha-256"]),
        ("sha-512 of the draft's content", hello, ["sha-512"]),
        ("both, sha-256 first", hello, ["sha-256", "sha-512"]),
        ("both, sha-512 first", hello, ["sha-512", "sha-256"]),
        ("empty content", b"", ["sha-256"]),
        ("RFC 9530 example content '{\"hello\": \"world\"}'", b'{"hello": "world"}', ["sha-256"]),
        ("binary content", bytes(range(256)), ["sha-256", "sha-512"]),
    ]
    create_tests = []
    for comment, body, algorithms in create_cases:
        create_tests.append(_test(comment, [], "valid", body_hex=body.hex(),
                                  algorithms=algorithms,
                                  value=content_digest(body, algorithms)))
    for comment, algorithms in [("unsupported algorithm md5", ["md5"]),
                                ("no algorithm", []),
                                ("uppercase SHA-256", ["SHA-256"]),
                                ("sha-256 twice", ["sha-256", "sha-256"])]:
        try:
            content_digest(hello, algorithms)
        except Erc8128Error as error:
            create_tests.append(_test(comment, ["CreateRejected"], "invalid", reason=error.reason,
                                      body_hex=hello.hex(), algorithms=algorithms))
    sha256 = _b64(hashlib.sha256(hello).digest())
    sha512 = _b64(hashlib.sha512(hello).digest())
    zero256 = _b64(bytes(32))
    verify_cases: list[tuple[str, bytes, str, list[str]]] = [
        ("sha-256 matches", hello, f"sha-256=:{sha256}:", []),
        ("sha-512 matches", hello, f"sha-512=:{sha512}:", []),
        ("both match", hello, f"sha-256=:{sha256}:, sha-512=:{sha512}:", []),
        ("sha-512 first, both match", hello, f"sha-512=:{sha512}:, sha-256=:{sha256}:", []),
        ("unsupported md5 member ignored beside a matching sha-256", hello,
         f"md5=:AAAAAAAAAAAAAAAAAAAAAA==:, sha-256=:{sha256}:", ["Unsupported"]),
        ("unsupported member with a non-byte value ignored", hello,
         f"sha-256=:{sha256}:, unixsum=10", ["Unsupported"]),
        ("member parameters are allowed", hello, f"sha-256=:{sha256}:;p=1", []),
        ("repeated key: last wins (the second sha-256 matches)", hello,
         f"sha-256=:{zero256}:, sha-256=:{sha256}:", ["LastWins"]),
        ("no space after the comma", hello, f"sha-256=:{sha256}:,sha-512=:{sha512}:", []),
        ("empty content, matching digest", b"", f"sha-256=:{_b64(hashlib.sha256().digest())}:",
         []),
        ("repeated key: last wins (the second sha-256 does not match)", hello,
         f"sha-256=:{sha256}:, sha-256=:{zero256}:", ["LastWins"]),
        ("sha-256 mismatch: content changed", b'{"hello":"World"}', f"sha-256=:{sha256}:",
         ["Mismatch"]),
        ("sha-256 matches, sha-512 mismatches", hello,
         f"sha-256=:{sha256}:, sha-512=:{_b64(bytes(64))}:", ["Mismatch"]),
        ("sha-512 matches, sha-256 mismatches", hello,
         f"sha-256=:{zero256}:, sha-512=:{sha512}:", ["Mismatch"]),
        ("only unsupported algorithms", hello, "md5=:AAAAAAAAAAAAAAAAAAAAAA==:",
         ["NoneSupported"]),
        ("uppercase key SHA-256 is not a Dictionary key", hello, f"SHA-256=:{sha256}:",
         ["Malformed"]),
        ("31-byte sha-256", hello, f"sha-256=:{_b64(bytes(31))}:", ["WrongLength"]),
        ("33-byte sha-256", hello, f"sha-256=:{_b64(hashlib.sha256(hello).digest() + b'0')}:",
         ["WrongLength"]),
        ("32-byte sha-512", hello, f"sha-512=:{_b64(hashlib.sha512(hello).digest()[:32])}:",
         ["WrongLength"]),
        ("sha-256 as a String, not a Byte Sequence", hello, f'sha-256="{sha256}"', ["NotBytes"]),
        ("sha-256 as a Token", hello, "sha-256=abc", ["NotBytes"]),
        ("sha-256 as an Inner List", hello, f"sha-256=(:{sha256}:)", ["NotBytes"]),
        ("sha-256 as a Boolean (bare key)", hello, "sha-256", ["NotBytes"]),
        ("hex instead of base64", hello, f"sha-256=:{hashlib.sha256(hello).hexdigest()}:",
         ["Malformed"]),
        ("base64 without padding", hello, f"sha-256=:{sha256.rstrip('=')}:", ["UnpaddedBase64"]),
        ("unterminated Byte Sequence", hello, f"sha-256=:{sha256}", ["Malformed"]),
        ("trailing comma", hello, f"sha-256=:{sha256}:,", ["Malformed"]),
        ("empty field value", hello, "", ["NoneSupported"]),
        ("legacy RFC 3230 Digest syntax", hello, f"SHA-256={sha256}", ["Malformed"]),
    ]
    verify_tests = []
    for comment, body, value, flags in verify_cases:
        try:
            matched = verify_content_digest(body, value)
        except Erc8128Error as error:
            if not flags:
                raise
            verify_tests.append(_test(comment, flags, "invalid", reason="bad_content_digest",
                                      detail=error.reason, body_hex=body.hex(), value=value))
        else:
            # RFC 9651 §4.2.7: parsers "SHOULD NOT fail when "=" padding is not present".
            result = "acceptable" if "UnpaddedBase64" in flags else "valid"
            verify_tests.append(_test(comment, flags, result, body_hex=body.hex(), value=value,
                                      matched=list(matched)))
    notes = {
        "CreateRejected": "Only sha-256 and sha-512 are supported, each at most once.",
        "Unsupported": "ERC-8128 §3.1.3: unsupported algorithms are ignored.",
        "LastWins": "RFC 9651 §4.2: a repeated Dictionary key keeps its last value.",
        "Mismatch": "A supported member does not match the content (ERC-8128 §3.1.3: \"recompute "
        "and match every supported member present\").",
        "NoneSupported": "ERC-8128 §3.1.3: \"require at least one supported member to be present "
        "and match\".",
        "WrongLength": "A supported member of the wrong length is malformed.",
        "NotBytes": "A supported member that is not a Byte Sequence is malformed.",
        "Malformed": "The field is not a valid RFC 9651 Dictionary, or holds no valid member.",
        "UnpaddedBase64": "RFC 9651 §4.2.7: parsers \"SHOULD NOT fail when '=' padding is not "
        "present\"; a strict parser may reject it, so either result conforms.",
    }
    schema = _schema(
        "RFC 9530 Content-Digest vectors", "ContentDigestCreateTest",
        {"body_hex": _HEX, "algorithms": {"type": "array", "items": {"type": "string"}},
         "value": {"type": "string"}, "matched": {"type": "array", "items": {"type": "string"}}},
        ["body_hex"],
        group_types=["ContentDigestCreateTest", "ContentDigestVerifyTest"],
    )
    return _assemble(
        "content_digest.json", "RFC9530-CONTENT-DIGEST",
        ["Create: the Content-Digest field value for the given algorithms in the given order. "
         "Verify: every supported member (sha-256, sha-512) must match and at least one must be "
         "present; failures are bad_content_digest (detail: our finer code)."],
        notes,
        [_group("ContentDigestCreateTest", create_tests),
         _group("ContentDigestVerifyTest", verify_tests)],
        schema,
    )


# -- the draft's positive vector -------------------------------------------------------------


def _draft_cases() -> JsonObject:
    path = VECTORS_DIR / "third_party" / "erc8128-draft" / "test-cases.json"
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _draft_positive() -> JsonObject:
    return _draft_cases()["positive"]  # type: ignore[no-any-return]


def _draft_request() -> Request:
    """The draft's positive request as received over HTTPS at api.example, signed."""
    raw = _draft_positive()["request"]
    return Request(
        method=raw["method"],
        target_uri="https://api.example" + raw["target"],
        headers=tuple((name, value) for name, value in raw["headers"]),
        body=raw["body"].encode("ascii"),
    )


def _without(request: Request, *names: str) -> Request:
    lowered = {name.lower() for name in names}
    return replace(request, headers=tuple(h for h in request.headers if h[0].lower() not in lowered))


def _with_field(request: Request, name: str, value: str) -> Request:
    """Replace every line of field ``name`` by one line ``value`` at the first one's place."""
    headers: list[tuple[str, str]] = []
    done = False
    for header_name, header_value in request.headers:
        if header_name.lower() == name.lower():
            if not done:
                headers.append((header_name, value))
                done = True
            continue
        headers.append((header_name, header_value))
    if not done:
        headers.append((name, value))
    return replace(request, headers=tuple(headers))


def _field(request: Request, name: str) -> str:
    return combine_field_lines(request.field_lines(name))


# -- signature_base.json -------------------------------------------------------------------------


def _signature_base_file() -> VectorFile:
    params = ';created=1700000000;keyid="eip155:1:0x7e5f4552091a69125d5dfcb7b8c2659029395bdf"'

    def case(comment: str, flags: list[str], components: str, *, url: str = "https://example.com/",
             method: str = "GET", headers: Sequence[tuple[str, str]] = (),
             body: bytes | None = None, label: str = "sig",
             signature_input: str | Sequence[str] | None = None) -> JsonObject:
        if signature_input is None:
            field_lines: Sequence[str] = [f"{label}=({components}){params}"]
        elif isinstance(signature_input, str):
            field_lines = [signature_input]
        else:
            field_lines = signature_input
        request_json: JsonObject = {
            "method": method,
            "url": url,
            "headers": [[name, value] for name, value in headers]
            + [["Signature-Input", line] for line in field_lines],
            "body_hex": None if body is None else body.hex(),
        }
        try:
            base = signature_base_for_label(request_from_json(request_json), label)
        except Erc8128Error as error:
            return _test(comment, flags, "invalid", reason="signature_input_invalid",
                         detail=error.reason, request=request_json, label=label)
        return _test(comment, flags, "valid", request=request_json, label=label, base=base)

    dflt = '"@authority"'
    tests = [
        case("the draft's positive request", ["DraftVector"],
             "", signature_input=_field(_draft_request(), "signature-input"),
             url="https://api.example/items?view=full", method="POST",
             headers=[h for h in _draft_request().headers
                      if h[0].lower() not in ("signature-input", "signature")],
             body=b'{"hello":"world"}', label="request"),
        case("https default port 443 omitted", ["Authority"], dflt,
             url="https://example.com:443/"),
        case("http default port 80 omitted", ["Authority"], dflt, url="http://example.com:80/"),
        case("port 80 kept for https", ["Authority"], dflt, url="https://example.com:80/"),
        case("port 443 kept for http", ["Authority"], dflt, url="http://example.com:443/"),
        case("port 8443 kept", ["Authority"], dflt, url="https://example.com:8443/"),
        case("uppercase host lowercased", ["Authority"], dflt, url="https://EXAMPLE.Com/"),
        case("IPv6 literal with port", ["Authority"], dflt, url="https://[::1]:8080/"),
        case("IPv6 literal, uppercase hex, default port", ["Authority"], dflt,
             url="https://[2001:DB8::1]:443/"),
        case("IPv4 host", ["Authority"], dflt, url="http://127.0.0.1:8080/x"),
        case("port with a leading zero", ["Authority"], dflt, url="https://example.com:0443/"),
        case("trailing dot on the host kept", ["Authority"], dflt, url="https://example.com./"),
        case("@scheme of an uppercase scheme", [], '"@scheme"', url="HTTPS://example.com/"),
        case("@method kept as received (lowercase)", [], '"@method"', method="post"),
        case("@method of an extension method", [], '"@method"', method="PROPFIND"),
        case("@path empty becomes /", ["PathQuery"], '"@path"', url="https://example.com"),
        case("@path keeps dot segments", ["PathQuery"], '"@path"',
             url="https://example.com/a/./b/../c"),
        case("@path keeps percent-encoding as received", ["PathQuery"], '"@path"',
             url="https://example.com/a%2Fb/%7Euser/%e2%82%ac"),
        case("@path keeps a double slash", ["PathQuery"], '"@path"',
             url="https://example.com//a//b/"),
        case("@query without a query is a lone ?", ["PathQuery"], '"@query"',
             url="https://example.com/items"),
        case("@query of a bare ? is a lone ?", ["PathQuery"], '"@query"',
             url="https://example.com/items?"),
        case("@query keeps encoding and order", ["PathQuery"], '"@query"',
             url="https://example.com/?b=2&a=1&a=%20x+y&c"),
        case("@query with a ? inside the query", ["PathQuery"], '"@query"',
             url="https://example.com/p?a=?b"),
        case("@target-uri as received", [], '"@target-uri"',
             url="https://Example.com:443/a/../b?x=1"),
        case("@request-target of origin form", [], '"@request-target"',
             url="https://example.com/a/b?x=1&y"),
        case("@request-target with an empty query", [], '"@request-target"',
             url="https://example.com/a?"),
        case("@query-param, decoded and re-encoded", ["QueryParam"],
             '"@query-param";name="var"', url="https://example.com/?var=this%20is%20a%20big%0Avalue"),
        case("@query-param name with percent-encoding", ["QueryParam"],
             '"@query-param";name="a%20b"', url="https://example.com/?a%20b=1"),
        case("@query-param with a + (kept as a literal plus, re-encoded)", ["QueryParam"],
             '"@query-param";name="q"', url="https://example.com/?q=a+b"),
        case("@query-param with an empty value", ["QueryParam"], '"@query-param";name="e"',
             url="https://example.com/?e=&f=1"),
        case("@query-param of a parameter without =", ["QueryParam"], '"@query-param";name="f"',
             url="https://example.com/?f"),
        case("@query-param twice with different names", ["QueryParam"],
             '"@query-param";name="a" "@query-param";name="b"',
             url="https://example.com/?a=1&b=2"),
        case("@query-param absent", ["QueryParam"], '"@query-param";name="z"',
             url="https://example.com/?a=1"),
        case("@query-param repeated in the query", ["QueryParam"], '"@query-param";name="a"',
             url="https://example.com/?a=1&a=2"),
        case("@query-param without name", ["QueryParam"], '"@query-param"',
             url="https://example.com/?a=1"),
        case("field name is lowercase in the base", ["Field"], '"content-type"',
             headers=[("Content-Type", "text/plain")]),
        case("repeated field lines joined with ', '", ["Field"], '"x-list"',
             headers=[("X-List", "a"), ("x-list", "b"), ("X-LIST", "c")]),
        case("repeated field lines with an empty one", ["Field"], '"x-list"',
             headers=[("X-List", "a"), ("X-List", ""), ("X-List", "c")]),
        case("leading and trailing whitespace trimmed", ["Field"], '"x-ws"',
             headers=[("X-WS", "  \t value \t ")]),
        case("inner whitespace kept", ["Field"], '"x-ws"', headers=[("X-WS", "a  b\t\tc")]),
        case("obs-fold replaced by one space", ["Field"], '"x-fold"',
             headers=[("X-Fold", "first\r\n  second")]),
        case("empty field value", ["Field"], '"x-empty"', headers=[("X-Empty", "")]),
        case("sf: Dictionary re-serialised strictly", ["Field"], '"content-digest";sf',
             headers=[("Content-Digest", "sha-256=:AAAA:,   sha-512=:BBBB:;x=1")]),
        case("key: one member of a Dictionary field", ["Field"],
             '"content-digest";key="sha-512"',
             headers=[("Content-Digest", "sha-256=:AAAA:, sha-512=:BBBB:")]),
        case("key: member absent", ["Field"], '"content-digest";key="md5"',
             headers=[("Content-Digest", "sha-256=:AAAA:")]),
        case("bs: each line wrapped as a Byte Sequence", ["Field"], '"x-bin";bs',
             headers=[("X-Bin", "one"), ("X-Bin", "two, three")]),
        case("bs and sf together", ["Field"], '"x-bin";bs;sf', headers=[("X-Bin", "a")]),
        case("sf on a field of unknown type", ["Field"], '"x-unknown";sf',
             headers=[("X-Unknown", "a=1")]),
        case("req parameter (related request) is not supported", ["Field"], '"@method";req'),
        case("req on a field", ["Field"], '"content-type";req',
             headers=[("Content-Type", "text/plain")]),
        case("tr parameter (trailer)", ["Field"], '"x-t";tr', headers=[("X-T", "1")]),
        case("unknown component parameter", ["Field"], '"content-type";foo',
             headers=[("Content-Type", "text/plain")]),
        case("covered field absent from the request (D18)", ["Absent", "SpecDecision"],
             '"x-missing"', headers=[("X-Other", "1")]),
        case("duplicate component", ["Duplicate"], '"@method" "@method"'),
        case("duplicate field component, different case in the request", ["Duplicate"],
             '"x-a" "x-a"', headers=[("X-A", "1")]),
        case("same field with and without sf is not a duplicate", ["Duplicate"],
             '"content-digest" "content-digest";sf',
             headers=[("Content-Digest", "sha-256=:AAAA:")]),
        case("unknown derived component", ["Unknown"], '"@foo"'),
        case("@status is a response component", ["Unknown"], '"@status"'),
        case("@signature-params as a covered component", ["Unknown"], '"@signature-params"'),
        case("uppercase component name", ["Unknown"], '"Content-Type"',
             headers=[("Content-Type", "text/plain")]),
        case("component as a Token, not a String", ["Unknown"], "@method"),
        case("non-ASCII field value (D19)", ["NonAscii", "SpecDecision"], '"x-name"',
             headers=[("X-Name", "caf\u00e9")]),
        case("non-ASCII field value as bs is allowed", ["NonAscii"], '"x-name";bs',
             headers=[("X-Name", "caf\u00e9")]),
        case("NUL in a field value", ["Injection"], '"x-nul"', headers=[("X-Nul", "a\x00b")]),
        case("CR LF injection forging a base line (D19)", ["Injection", "SpecDecision"],
             '"x-inject"',
             headers=[("X-Inject", 'a\r\n"@method": POST')]),
        case("bare LF in a field value", ["Injection"], '"x-inject"',
             headers=[("X-Inject", "a\nb")]),
        case("DEL in a field value", ["Injection"], '"x-del"', headers=[("X-Del", "a\x7fb")]),
        case("HTAB inside a field value is kept", ["Field"], '"x-tab"',
             headers=[("X-Tab", "a\tb")]),
        case("non-ASCII in the path", ["NonAscii"], '"@path"', url="https://example.com/caf\u00e9"),
        case("space in the query", ["NonAscii"], '"@query"', url="https://example.com/?a b"),
        case("label not present in Signature-Input", ["Label"], '"@method"', label="other",
             signature_input=f'sig=("@method"){params}'),
        case("two members, the second label's base", ["Label"], "", label="b",
             signature_input=f'a=("@method"){params}, b=("@authority" "@path"){params}'),
        case("repeated label: last wins", ["Label"], "", label="a",
             signature_input=f'a=("@method"){params}, a=("@path"){params}'),
        case("Signature-Input split over two field lines", ["Label"], "", label="b",
             signature_input=[f'a=("@method"){params}', f'b=("@path" "@query"){params}']),
        case("signature parameters re-serialised canonically", [], "", label="sig",
             signature_input='sig=( "@method"   "@path" );created=1700000000;nonce="n";x=?1;y=1.50'),
        case("Signature-Input member that is an Item", ["Label"], "", label="sig",
             signature_input='sig="@method"'),
        case("Signature-Input not a Dictionary", ["Label"], "", label="sig",
             signature_input='sig=("@method"'),
        case("no components", [], "", label="sig"),
    ]
    notes = {
        "DraftVector": "The ERC-8128 draft's own signature base.",
        "Authority": "RFC 9421 §2.2.3: \"the hostname is normalized to lowercase, and the default "
        "port is omitted\".",
        "PathQuery": "RFC 9421 §2.2.6/§2.2.7: path and query exactly as received (no dot-segment "
        "removal, no percent-decoding); an absent query is the leading ? alone.",
        "QueryParam": "RFC 9421 §2.2.8: @query-param names and values are decoded and "
        "re-encoded with application/x-www-form-urlencoded rules; absent or repeated names "
        "are errors.",
        "Field": "RFC 9421 §2.1: lowercase name, lines trimmed, obs-fold replaced by SP, lines "
        "joined with ', '; parameters sf, key, bs; req and tr are not supported here.",
        "Absent": "A covered component the request does not have.",
        "Duplicate": "RFC 9421 §2.5: the same component identifier (with its parameters) twice "
        "is an error.",
        "Unknown": "Not a request component this profile knows.",
        "NonAscii": "RFC 9421 §2.5 step 4: \"Produce an error if the output string contains any "
        "non-ASCII characters\".",
        "Injection": "A control character (CR, LF, NUL, DEL) would change the line structure "
        "of the base: an error, never stripped (D19).",
        "Label": "Choosing the Signature-Input member by label; last wins for a repeated label.",
        "SpecDecision": "Pins a SPEC.md decision (field `decision`).",
    }
    for test in tests:
        if "SpecDecision" in test["flags"]:
            test["decision"] = "D18" if "Absent" in test["flags"] else "D19"
    schema = _schema(
        "RFC 9421 signature base vectors", "SignatureBaseTest",
        {"request": _REQUEST, "label": {"type": "string"}, "base": {"type": "string"}},
        ["request", "label"],
    )
    return _assemble(
        "signature_base.json", "RFC9421-SIGNATURE-BASE",
        ["The RFC 9421 §2.5 signature base of the Signature-Input member `label` of the request "
         "(the request's url is the effective target URI). Failures are signature_input_invalid "
         "(detail: our finer code), as ERC-8128 verification reports them."],
        notes, [_group("SignatureBaseTest", tests)], schema,
    )


# -- all files, writing and checking -------------------------------------------------------------

_BUILDERS: Final[tuple[Callable[[], VectorFile], ...]] = (
    _keccak_file,
    _erc191_hash_file,
    _erc191_sign_file,
    _recover_file,
    _keyid_file,
    _content_digest_file,
    _signature_base_file,
)


def build_all() -> list[VectorFile]:
    """Every vectors file with its schema, in a fixed order."""
    return [builder() for builder in _BUILDERS]


def _outputs(files: Sequence[VectorFile]) -> Iterator[tuple[Path, str]]:
    for vector_file in files:
        yield VECTORS_DIR / vector_file.name, render(vector_file.document)
        yield SCHEMA_DIR / vector_file.schema_name, render(vector_file.schema)


def main(argv: Sequence[str] | None = None) -> int:
    """Write the vectors (default) or, with ``--check``, report files that would change."""
    parser = argparse.ArgumentParser(prog="python -m erc8128_vectors.generate",
                                     description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 and print a diff if any file would change")
    arguments = parser.parse_args(argv)
    outputs = list(_outputs(build_all()))
    if arguments.check:
        changed = 0
        for path, text in outputs:
            current = path.read_text(encoding="utf-8") if path.exists() else ""
            if current != text:
                changed += 1
                diff = difflib.unified_diff(
                    current.splitlines(keepends=True), text.splitlines(keepends=True),
                    fromfile=f"{path.name} (on disk)", tofile=f"{path.name} (generated)", n=2,
                )
                sys.stdout.writelines(list(diff)[:200])
        if changed:
            print(f"{changed} vector file(s) out of date: run python -m erc8128_vectors.generate")
            return 1
        print(f"{len(outputs)} vector and schema files up to date")
        return 0
    SCHEMA_DIR.mkdir(exist_ok=True)
    for path, text in outputs:
        path.write_text(text, encoding="utf-8")
    print(f"wrote {len(outputs)} files to {VECTORS_DIR}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
