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
import hashlib
import json
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

from erc8128._version import __version__
from erc8128.crypto.addresses import address_of
from erc8128.crypto.keccak import keccak256
from erc8128.crypto.personal_sign import (
    PERSONAL_MESSAGE_PREFIX,
    personal_message_hash,
    recover_address,
    sign_message,
)
from erc8128.crypto.secp256k1 import N, P
from erc8128.errors import (
    Erc8128Error,
    VerificationError,
)
from erc8128.http.content_digest import content_digest, verify_content_digest
from erc8128.http.message import Request
from erc8128.http.signature_base import signature_base_for_label
from erc8128.http.structured_fields import (
    BareItem,
    InnerList,
    Item,
    Token,
    combine_field_lines,
    parse_dictionary,
    serialize_inner_list,
    serialize_item,
)
from erc8128.protocol.accounts import AccountState
from erc8128.protocol.keyid import ProfileName, parse_keyid
from erc8128.protocol.policy import VerifierPolicy
from erc8128.protocol.policy_document import verifier_inputs
from erc8128.protocol.sign import sign_request
from erc8128.protocol.verify import Verified, verify_request
from erc8128.reasons import REASON_CODES
from erc8128.state.invalidation import MemoryInvalidationState
from erc8128.state.nonces.memory import MemoryReplayStore

from . import one_acceptance
from .ids import REGISTRY_NAME, IdRegistry
from .requirements import LEGACY_VARIANTS, REQUIREMENTS
from .single_defect import NOT_SINGLE_DEFECT, prove, resign

__all__ = [
    "GENERATOR_VERSION",
    "VECTORS_DIR",
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
GENERATOR_VERSION: Final = f"erc8128-python {__version__}, vectors 2"

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
_TEST_KEYS: Final = {address_of(key): key for key in (KEY_1, KEY_2, KEY_3, KEY_HIGH)}

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


# Wycheproof bug types for flags that mark a known class of implementation bug.
_BUG_TYPES: Final[Mapping[str, str]] = {
    "HighS": "SIGNATURE_MALLEABILITY",
    "Length": "MALFORMED_SIGNATURE",
    "V": "MALFORMED_SIGNATURE",
    "RRange": "MODIFIED_SIGNATURE",
    "SRange": "MODIFIED_SIGNATURE",
    "NotOnCurve": "EDGE_CASE",
    "SignatureByteFlip": "MODIFIED_SIGNATURE",
    "ComponentChange": "MISSING_STEP",
    "UnicodeDigits": "CAN_OF_WORMS",
    "Injection": "CAN_OF_WORMS",
    "NonAscii": "CAN_OF_WORMS",
    "RateBoundary": "EDGE_CASE",
    "LengthDigits": "EDGE_CASE",
    "Utf8Length": "EDGE_CASE",
    "LastWins": "EDGE_CASE",
    "Duplicate": "MISSING_STEP",
}


def _note(flag: str, description: str) -> JsonObject:
    bug_type = _BUG_TYPES.get(flag)
    if bug_type is None:
        return {"description": description}
    return {"bugType": bug_type, "description": description}


# The tcId registry (vectors/published_ids.json), loaded once per generator run.
_REGISTRY: list[IdRegistry] = []


def _registry() -> IdRegistry:
    if not _REGISTRY:
        _REGISTRY.append(IdRegistry(VECTORS_DIR / REGISTRY_NAME))
    return _REGISTRY[0]


def _requirement_for(profile: str | None, requirement: str) -> str:
    """The requirement a test of ``profile`` names: the February text's own, where it has one."""
    if profile == "legacy":
        return LEGACY_VARIANTS.get(requirement, requirement)
    return requirement


def _assemble(name: str, algorithm: str, header: list[str], notes: Mapping[str, str],
              groups: list[JsonObject], *, schema: JsonObject,
              classify: Callable[[JsonObject, JsonObject], str] | None = None) -> VectorFile:
    """Give every test its stable tcId (vectors/ids.py) and its requirement, check every flag is
    explained in ``notes``, and list the requirements the file's tests name."""
    ids = iter(_registry().assign(name, groups))
    numbered_groups: list[JsonObject] = []
    named: set[str] = set()
    count = 0
    for group in groups:
        numbered: list[JsonObject] = []
        for test in group["tests"]:
            count += 1
            for flag in test["flags"]:
                if flag not in notes:
                    raise Erc8128Error("vector_flag_undeclared", f"{name}: flag {flag!r}")
            requirement = test.get("requirement")
            if requirement is None:
                if classify is None:
                    raise Erc8128Error("vector_requirement", f"{name}: {test['comment']!r}")
                requirement = _requirement_for(group.get("profile"), classify(group, test))
            if requirement not in REQUIREMENTS:
                raise Erc8128Error("vector_requirement", f"{name}: unknown {requirement!r}")
            named.add(requirement)
            head = {"tcId": next(ids), "comment": test["comment"], "flags": test["flags"],
                    "result": test["result"], "requirement": requirement}
            numbered.append({**head, **test})
        numbered_groups.append({**group, "tests": numbered})
    document: JsonObject = {
        "algorithm": algorithm,
        "schema": name.removesuffix(".json") + ".schema.json",
        "generatorVersion": GENERATOR_VERSION,
        "numberOfTests": count,
        "header": header,
        "notes": {flag: _note(flag, text) for flag, text in notes.items()},
        "requirements": {key: value.as_json() for key, value in REQUIREMENTS.items()
                         if key in named},
        "testGroups": numbered_groups,
    }
    return VectorFile(name, document, schema)


def render(value: JsonObject) -> str:
    """The exact text written to disk."""
    return json.dumps(value, indent=2, ensure_ascii=True) + "\n"


def _by_flags(table: Mapping[str, str], *, valid: str, invalid: str | None = None,
              by_reason: Mapping[str, str] | None = None
              ) -> Callable[[JsonObject, JsonObject], str]:
    """A classifier: the requirement of the first flag found in ``table``, else of the test's
    SPEC.md decision, else of its reason (``by_reason``), else the file's default."""

    def classify(group: JsonObject, test: JsonObject) -> str:
        del group
        for flag in test["flags"]:
            if flag in table:
                return table[flag]
        decision = test.get("decision")
        if isinstance(decision, str) and decision in _DECISION_REQUIREMENT:
            return _DECISION_REQUIREMENT[decision]
        if test["result"] != "invalid":
            return valid
        reason = test.get("reason")
        if by_reason is not None and isinstance(reason, str) and reason in by_reason:
            return by_reason[reason]
        return invalid or valid

    return classify


_RECOVER_REQUIREMENTS: Final = {
    "WrongHash": "signature-valid", "Length": "signature-length", "RRange": "signature-r-range",
    "SRange": "signature-s-range", "HighS": "low-s", "V": "signature-v",
    "NotOnCurve": "signature-r-range", "HashLength": "erc191-hash",
}
_BASE_REQUIREMENTS: Final = {
    "Duplicate": "duplicate-components", "Absent": "d18-absent-component",
    "NonAscii": "d19-no-control-characters", "Injection": "d19-no-control-characters",
    "Unknown": "d21-component-syntax", "Label": "sf-last-wins",
}
_REPLAY_REQUIREMENTS: Final = {
    "DraftRow": "failed-candidate-no-consume", "Retention": "nonce-retention",
    "MultipleSignatures": "d28-one-acceptance", "Replayable": "d17-replayable-only",
}


def _classify_content_digest(group: JsonObject, test: JsonObject) -> str:
    if group["type"] == "ContentDigestCreateTest":
        return "content-digest-present" if test["result"] == "valid" else "digest-algorithms"
    table = {"Unsupported": "content-digest-unsupported", "LastWins": "sf-last-wins",
             "UnpaddedBase64": "sf-unpadded-base64"}
    return _by_flags(table, valid="content-digest-match")(group, test)


def _classify_sign(group: JsonObject, test: JsonObject) -> str:
    comment = test["comment"]
    if test["result"] == "invalid":
        for words, requirement in (("@authority", "authority-covered"),
                                   ("content-type", "content-type-covered"),
                                   ("alg ", "no-alg"), ("expires", "expires-after-created"),
                                   ("Content-Digest", "content-digest-present")):
            if words in comment:
                return requirement
        return "d41-signer-refusals"
    table = {"DigestAdded": "content-digest-present", "ClassBound": "class-bound-policy",
             "ModeEoa": "mode-eoa", "Replayable": "signer-parameters",
             "MultipleSignatures": "signer-parameters", "DraftVector": "signer-parameters"}
    return _by_flags(table, valid="signer-request-bound")(group, test)


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
        "principal_private": {"type": "boolean"},
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
            test_required: Sequence[str], *, group_properties: Mapping[str, Any] | None = None,
            group_types: Sequence[str] | None = None) -> JsonObject:
    """A Draft 2020-12 schema for one file: the Wycheproof frame plus this file's test fields."""
    test = {
        "type": "object",
        "additionalProperties": False,
        "required": ["tcId", "comment", "flags", "result", "requirement", *test_required],
        "properties": {
            "tcId": {"type": "integer", "minimum": 1},
            "comment": {"type": "string"},
            "flags": {"type": "array", "items": {"type": "string"}},
            "result": {"enum": ["valid", "invalid", "acceptable"]},
            "reason": _REASON,
            "detail": _REASON,
            "decision": {"type": "string", "pattern": "^D[0-9]+$"},
            "draftRow": {"type": "string", "pattern": "^N[0-9]{2}$"},
            "requirement": {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"},
            "explanation": {"type": "string", "minLength": 1},
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
            "requirements", "testGroups",
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
            "requirements": {
                "type": "object",
                "propertyNames": {"pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"},
                "additionalProperties": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["kind", "ref", "level", "quote"],
                    "properties": {
                        "kind": {"enum": ["profile", "rfc", "decision"]},
                        "ref": {"type": "string", "minLength": 1},
                        "level": {"enum": ["MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY",
                                           "DECISION"]},
                        "quote": {"type": "string", "minLength": 1},
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
        notes, groups, schema=schema,
        classify=_by_flags({"AddressCase": "keyid-syntax"}, valid="keyid-syntax"),
    )


# -- content_digest.json -------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _content_digest_file() -> VectorFile:
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
        schema=schema,
        classify=_classify_content_digest,
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
    kept = tuple(h for h in request.headers if h[0].lower() not in lowered)
    return replace(request, headers=kept)


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
             signature_input='sig=( "@method"   "@path" );created=1700000000;nonce="n";'
                             "x=?1;y=1.50"),
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
        notes, [_group("SignatureBaseTest", tests)], schema=schema,
        classify=_by_flags(_BASE_REQUIREMENTS, valid="signature-base"),
    )


# -- mapping vector inputs onto the reference implementation -------------------------------------

DEFAULT_POLICY_JSON: Final[Mapping[str, Any]] = {
    "skew_sec": 30,
    "max_validity_sec": 300,
    "served_chains": [1],
    "replay": "non-replayable",
    "class_bound": False,
    "required_components": [],
    "content_digest": "request-body",
    "denied_principals": [],
    "not_before": {},
    "invalidated_signatures": [],
    "honor_mode_eoa": True,
    "account_state": "no-code",
}

# The account states a runner must emulate only for tests flagged NeedsChain: (code, ERC-1271).
def _policy(**overrides: Any) -> JsonObject:
    """A complete vector policy: the baseline with ``overrides``."""
    policy = {key: (list(value) if isinstance(value, list) else value)
              for key, value in DEFAULT_POLICY_JSON.items()}
    policy.update(overrides)
    return policy


def policy_objects(profile: ProfileName | None, policy: Mapping[str, Any]
                   ) -> tuple[VerifierPolicy, AccountState, MemoryInvalidationState]:
    """The verifier policy, account state and invalidation state a vector's policy describes
    (erc8128.protocol.policy_document: the one mapping the adapter uses too)."""
    profiles: tuple[ProfileName, ...] = (
        (profile,) if profile is not None else tuple(policy["profiles"])
    )
    inputs = verifier_inputs(policy, profiles)
    return inputs.policy, inputs.accounts, inputs.invalidation


def _signature_bytes(request: Request, label: str) -> bytes | None:
    try:
        members = parse_dictionary(combine_field_lines(request.field_lines("signature")))
    except Erc8128Error:
        return None
    for member_label, member in reversed(members):
        if member_label == label and isinstance(member, Item) and isinstance(member.value, bytes):
            return member.value
    return None


def _intermediates(request: Request, label: str | None) -> JsonObject:
    """signature_base, message_hash_hex and recovered_address of the candidate ``label``."""
    values: JsonObject = {}
    if label is None:
        return values
    try:
        base = signature_base_for_label(request, label)
    except Erc8128Error:
        return values
    message_hash = personal_message_hash(base.encode("ascii"))
    values["signature_base"] = base
    values["message_hash_hex"] = message_hash.hex()
    signature = _signature_bytes(request, label)
    recovered: str | None = None
    if signature is not None:
        try:
            recovered = recover_address(message_hash, signature)
        except Erc8128Error:
            recovered = None
    values["recovered_address"] = recovered
    return values


def _content_digest_of(request: Request) -> str | None:
    return content_digest(request.body) if request.body else None


# Failures after the signature base is built: the intermediates show where a verifier diverged.
_LATE_REASONS: Final = frozenset(
    {"bad_signature", "nonce_reused", "signature_verification_unavailable"}
)


def _verify_once(profile: ProfileName | None, request: Request, now: int, *,
                 policy: Mapping[str, Any], store: MemoryReplayStore,
                 clock: list[int]) -> JsonObject:
    verifier_policy, accounts, invalidation = policy_objects(profile, policy)
    clock[0] = now
    try:
        verified: Verified = verify_request(
            request, now=now, nonces=store, policy=verifier_policy, accounts=accounts,
            invalidation=invalidation,
        )
    except VerificationError as error:
        outcome: JsonObject = {"result": "invalid", "reason": error.reason,
                               "status": error.status}
        if error.reason in _LATE_REASONS and error.label is not None:
            outcome["label"] = error.label
            outcome.update(_intermediates(request, error.label))
        outcome["content_digest"] = _content_digest_of(request)
        return outcome
    outcome = {
        "result": "valid",
        "address": verified.address,
        "chain_id": verified.chain_id,
        "keyid": verified.keyid,
        "label": verified.label,
        "replayable": verified.replayable,
        "request_bound": verified.request_bound,
        "covered": list(verified.covered_components),
        "nonce_consumed": verified.nonce_consumed,
    }
    outcome.update(_intermediates(request, verified.label))
    outcome["content_digest"] = _content_digest_of(request)
    return outcome


def _fresh_store() -> tuple[MemoryReplayStore, list[int]]:
    clock = [NOW]
    return MemoryReplayStore(clock=lambda: clock[0]), clock


def run_verify_steps(profile: ProfileName | None, policy: Mapping[str, Any],
                     steps: Sequence[Mapping[str, Any]]) -> list[JsonObject]:
    """Verify each step's request at its ``now`` against ONE fresh replay state, in order."""
    store, clock = _fresh_store()
    return [
        _verify_once(profile, request_from_json(step["request"]), step["now"],
                     policy=step.get("policy", policy), store=store, clock=clock)
        for step in steps
    ]


def run_verify(test: Mapping[str, Any], profile: ProfileName | None) -> JsonObject:
    """The outcome of one ``verify_request.json`` test (its ``prior`` requests run first)."""
    store, clock = _fresh_store()
    for prior in test.get("prior", ()):
        _verify_once(profile, request_from_json(prior["request"]), prior["now"],
                     policy=test["policy"], store=store, clock=clock)
    return _verify_once(profile, request_from_json(test["request"]), test["now"],
                        policy=test["policy"], store=store, clock=clock)


def run_sign(test: Mapping[str, Any], profile: ProfileName) -> JsonObject:
    """The outcome of one ``sign_request.json`` test."""
    nonce = test["nonce"]
    try:
        signed = sign_request(
            request_from_json(test["request"]),
            bytes.fromhex(test["private_key_hex"]),
            created=test["created"],
            expires=test["expires"],
            profile=profile,
            chain_id=test["chain_id"],
            nonce=nonce,
            replayable=nonce is None,
            label=test["label"],
            components=test["components"],
            params=test["params"],
        )
    except Erc8128Error as error:
        return {"result": "invalid", "reason": error.reason}
    return {
        "result": "valid",
        "headers": [[name, value] for name, value in signed.request.headers],
        "keyid": signed.keyid,
        "signature_input": signed.signature_input,
        "signature_base": signed.signature_base,
        "message_hash_hex": signed.message_hash.hex(),
        "signature_hex": signed.signature.hex(),
    }


# -- signing helpers for the request vectors -----------------------------------------------------


def _unsigned_draft_request() -> Request:
    return _without(_draft_request(), "signature-input", "signature")


def _sign(request: Request, profile: ProfileName, *, key: bytes = KEY_1, created: int = CREATED,
          expires: int | None = EXPIRES, nonce: str | None = DRAFT_NONCE, label: str = "eth",
          components: Sequence[str] | None = None, chain_id: int = 1,
          params: Mapping[str, BareItem] | None = None) -> Request:
    return sign_request(
        request, key, created=created, expires=expires, profile=profile, chain_id=chain_id,
        nonce=nonce, replayable=nonce is None, label=label, components=components,
        params=params,
    ).request


def _sign_member(request: Request, label: str, member: str, key: bytes = KEY_1) -> Request:
    """Attach ``label=member`` and its ERC-191 signature by ``key``: any parameters at all."""
    with_input = request.with_header("Signature-Input", f"{label}={member}")
    base = signature_base_for_label(with_input, label)
    signature = sign_message(key, base.encode("ascii"))
    return with_input.with_header("Signature", f"{label}=:{_b64(signature)}:")


def _replace_in_field(request: Request, name: str, old: str, new: str) -> Request:
    value = _field(request, name)
    if old not in value:
        raise Erc8128Error("vector_generation", f"{old!r} not in {name}: {value!r}")
    return _with_field(request, name, value.replace(old, new, 1))


def _set_signature(request: Request, label: str, signature: bytes) -> Request:
    return _with_field(request, "Signature", f"{label}=:{_b64(signature)}:")


# -- verify_request.json ------------------------------------------------------------------------


# The requirement an invalid verify test names by default: its reason code's rule ...
_REASON_REQUIREMENT: Final[Mapping[str, str]] = {
    "signature_missing": "signature-fields-present",
    "signature_input_invalid": "sf-syntax",
    "signature_too_large": "field-size-limit",
    "no_acceptable_signature": "candidate-selection",
    "invalid_keyid": "keyid-syntax",
    "unsupported_chain": "served-chain",
    "invalid_time": "time-integers",
    "request_not_yet_valid": "not-yet-valid",
    "request_expired": "not-expired",
    "request_validity_too_long": "validity-max",
    "invalid_nonce": "nonce-syntax",
    "insufficient_coverage": "coverage-request-bound",
    "content_digest_required": "content-digest-present",
    "bad_content_digest": "content-digest-match",
    "principal_not_allowed": "principal-policy",
    "nonce_required": "nonce-required",
    "nonce_reused": "nonce-unused",
    "replayable_not_allowed": "replayable-policy",
    "unsupported_algorithm": "no-alg",
    "bad_signature": "signature-valid",
    "signature_verification_unavailable": "verification-available",
}
# ... or, first, a finer rule of that code named by the test's comment (reason, words, rule) ...
_COMMENT_REQUIREMENT: Final[Sequence[tuple[str, str, str]]] = (
    ("signature_input_invalid", "covered twice", "duplicate-components"),
    ("signature_input_invalid", "Signature member", "signature-correlation"),
    ("signature_input_invalid", "under another label", "signature-correlation"),
    ("signature_input_invalid", "absent from the request", "d18-absent-component"),
    ("signature_too_large", "decoded signature", "decoded-signature-limit"),
    ("signature_too_large", "components", "component-limit"),
    ("signature_too_large", "parameters", "parameter-limit"),
    ("signature_too_large", "candidates", "candidate-limit"),
    ("invalid_keyid", "keyid removed", "keyid-required"),
    ("invalid_time", "expires equal", "expires-after-created"),
    ("invalid_time", "expires before", "expires-after-created"),
    ("insufficient_coverage", "@authority", "authority-covered"),
    ("insufficient_coverage", "route requires", "coverage-route"),
    ("insufficient_coverage", "@query not covered", "query-covered"),
    ("insufficient_coverage", "@query removed", "query-covered"),
    ("insufficient_coverage", "Class-Bound signature on a Request-Bound", "class-bound-policy"),
    ("nonce_required", "early-invalidation", "invalidation-request-bound"),
    ("replayable_not_allowed", "not-before", "not-before"),
    ("replayable_not_allowed", "whose fingerprint", "replayable-invalidated"),
    ("unsupported_chain", "chain 0", "d3-chain-zero"),
    ("bad_signature", "high-s", "low-s"),
    ("bad_signature", "v = 0/1", "signature-v"),
    ("bad_signature", "v = 29", "signature-v"),
    ("bad_signature", "64-byte signature", "signature-length"),
    ("bad_signature", "65 zero bytes", "signature-r-range"),
    ("bad_signature", "no ECDSA fallback", "universal-verification"),
    ("bad_signature", "no fallback", "universal-verification"),
)
# A valid verify test names the rule it exercises, by the words of its comment (first match) ...
_VALID_REQUIREMENT: Final[Sequence[tuple[str, str]]] = (
    ("skew", "clock-skew"),
    ("route maximum", "validity-floor"),
    ("nonce of 128 bytes", "nonce-syntax"),
    ("Principal policy", "principal-policy"),
    ("not-before", "not-before"),
    ("Replayable supported", "replayable-policy"),
    ("no correlated Signature member", "signature-correlation"),
    ("failing candidate", "no-masking"),
    ("failing at the signature", "no-masking"),
    ("ERC-1271 account", "universal-verification"),
    ("EIP-7702 delegated", "universal-verification"),
    ('mode="eoa"', "mode-eoa"),
    ("is ignored", "mode-other-ignored"),
    ("normalises to the same @authority", "signature-base"),
    ("not covered", "signature-base"),
    ("label renamed", "signature-base"),
    ("extra spaces", "signature-base"),
    ("without base64 padding", "sf-unpadded-base64"),
    ("scheme https changed", "legacy-request-bound"),
    ("content-type value", "legacy-request-bound"),
)
# ... or the SPEC.md decision it pins.
_DECISION_REQUIREMENT: Final[Mapping[str, str]] = {
    "D1": "d1-reason-codes", "D2": "d2-legacy-candidates", "D3": "d3-chain-digits",
    "D4": "d4-replay-key", "D27": "d27-restart-guard", "D28": "d28-one-acceptance",
    "D29": "d29-membership-privacy",
    "D5": "d5-skew-window", "D6": "d6-always-covered", "D7": "d7-legacy-query-content",
    "D8": "d8-legacy-mode", "D9": "d9-fingerprint", "D10": "d10-empty-field",
    "D11": "d11-negative-created", "D13": "d13-legacy-alg",
    "D14": "d14-legacy-strict-signature", "D15": "d15-digest-before-coverage",
    "D16": "d16-empty-nonce", "D17": "d17-replayable-only", "D18": "d18-absent-component",
    "D19": "d19-no-control-characters", "D20": "d20-unknown-parameters",
    "D21": "d21-component-syntax",
}


def _verify_requirement(comment: str, reason: str | None, decision: str | None) -> str:
    """The rule a verify test exercises (see the three tables above)."""
    if reason is not None:
        for code, words, requirement in _COMMENT_REQUIREMENT:
            if code == reason and words in comment:
                return requirement
    if decision is not None:
        return _DECISION_REQUIREMENT[decision]
    if reason is None:
        return next((requirement for words, requirement in _VALID_REQUIREMENT
                     if words in comment), "request-bound-accepted")
    return _REASON_REQUIREMENT[reason]


# Failures whose defect is the signature (or the chain's answer): never re-signed.
_SIGNATURE_REASONS: Final = frozenset({"bad_signature", "signature_verification_unavailable"})


def _vt(comment: str, flags: Sequence[str], profile: ProfileName | None, request: Request, *,
        expect: str | None, now: int = NOW, policy: JsonObject | None = None,
        prior: Sequence[tuple[Request, int]] = (), result: str | None = None,
        requirement: str | None = None, resign_request: bool | None = None,
        why: str | None = None, **extra: Any) -> JsonObject:
    """One verify test; ``expect`` is the outcome the generator insists on ("valid", a reason
    code, or None for any rejection), so a vector never silently records a surprise.

    An invalid test whose defect is not the signature is re-signed (``resign_request``, default
    on for those) so that it carries one defect, and its single-defect property is proven by
    ablation (vectors/single_defect.py); a test that cannot have it is flagged and explained."""
    if resign_request is None:
        resign_request = expect not in (None, "valid", *_SIGNATURE_REASONS)
    if resign_request:
        request = resign(request, _TEST_KEYS, KEY_1)
    inputs: JsonObject = {"request": request_to_json(request), "now": now,
                          "policy": policy or _policy()}
    if prior:
        inputs["prior"] = [{"request": request_to_json(r), "now": t} for r, t in prior]
        steps = [*inputs["prior"], {"request": inputs["request"], "now": now}]
        outcomes = run_verify_steps(profile, inputs["policy"], steps)
        if any(outcome["result"] != "valid" for outcome in outcomes[:-1]):
            raise Erc8128Error("vector_generation", f"{comment}: a prior request failed")
    outcome = run_verify(inputs, profile)
    got = outcome["reason"] if outcome["result"] == "invalid" else "valid"
    if (expect is None and got == "valid") or (expect is not None and got != expect):
        raise Erc8128Error("vector_generation", f"{comment}: expected {expect}, got {got}")
    fields: JsonObject = {}
    outcome_result = outcome.pop("result")
    flags = list(flags)
    reason = outcome.get("reason") if outcome_result == "invalid" else None
    requirement = _requirement_for(profile, requirement or _verify_requirement(
        comment, reason, extra.get("decision")))
    fields["requirement"] = requirement
    if outcome_result == "invalid" and (result or outcome_result) == "invalid":
        explanation = prove(requirement, lambda: run_verify(inputs, profile), why)
        if explanation is not None:
            flags.append(NOT_SINGLE_DEFECT)
            fields["explanation"] = explanation
    if outcome_result == "invalid":
        fields["reason"] = outcome.pop("reason")
        fields["status"] = outcome.pop("status")
    fields.update(extra)
    fields.update(inputs)
    fields.update(outcome)
    return _test(comment, flags, result or outcome_result, **fields)


@dataclass(frozen=True)
class _Signed:
    """A profile's valid signed request and what the mutations need to know about it."""

    profile: ProfileName
    request: Request  # signed, label "eth" (draft: the draft's own vector, label "request")
    unsigned: Request
    label: str

    @property
    def member(self) -> str:
        """The Signature-Input member value (without ``label=``)."""
        return _field(self.request, "signature-input")[len(self.label) + 1 :]

    @property
    def signature(self) -> bytes:
        signature = _signature_bytes(self.request, self.label)
        assert signature is not None
        return signature

    def sign(self, request: Request | None = None, **options: Any) -> Request:
        options.setdefault("label", self.label)
        return _sign(request or self.unsigned, self.profile, **options)

    def edit_input(self, old: str, new: str) -> Request:
        return _replace_in_field(self.request, "Signature-Input", old, new)


def _signed(profile: ProfileName) -> _Signed:
    unsigned = _unsigned_draft_request()
    if profile == "draft":
        return _Signed("draft", _draft_request(), unsigned, "request")
    return _Signed("legacy", _sign(unsigned, "legacy", label="eth"), unsigned, "eth")


def _keyid(profile: ProfileName, address: str = ADDRESS_1, chain: int = 1) -> str:
    return f"{'eip155' if profile == 'draft' else 'erc8128'}:{chain}:{address}"


def _reason_matrix(base: _Signed) -> list[JsonObject]:
    """At least three tests for each ERC-8128 reason code, for one profile."""
    profile, label, request = base.profile, base.label, base.request
    keyid = _keyid(profile)
    sig_input = _field(request, "signature-input")
    tests: list[JsonObject] = []

    def add(comment: str, changed: Request, expect: str, flags: Sequence[str] = (),
            **options: Any) -> None:
        tests.append(_vt(comment, ["ReasonCode", *flags], profile, changed, expect=expect,
                         **options))

    add("valid: the base request of this group", request, "valid")
    # signature_missing
    add("Signature field removed", _without(request, "Signature"), "signature_missing")
    add("Signature-Input field removed", _without(request, "Signature-Input"),
        "signature_missing")
    add("both signature fields removed", _without(request, "Signature", "Signature-Input"),
        "signature_missing")
    add("Signature-Input present with an empty value (D10)",
        _with_field(request, "Signature-Input", ""), "signature_missing", ["SpecDecision"],
        decision="D10")
    # signature_input_invalid
    add("Signature-Input is not an sf Dictionary (trailing junk)",
        _with_field(request, "Signature-Input", sig_input + " junk"), "signature_input_invalid")
    add("Signature is not an sf Dictionary (bad base64)",
        _with_field(request, "Signature", f"{label}=:not base64!:"), "signature_input_invalid")
    add("Signature member is a String, not a Byte Sequence",
        _with_field(request, "Signature", f'{label}="abc"'), "signature_input_invalid")
    add("Signature member under another label (no correlation)",
        _with_field(request, "Signature", "other=:" + _b64(base.signature) + ":"),
        "signature_input_invalid")
    add("component covered twice", base.edit_input('"@method"', '"@method" "@method"'),
        "signature_input_invalid", why="its signature is over the base without the repeated "
        "line; the next vector is signed over the base with it")
    add("component covered twice, signed over the base with the repeated line",
        _sign_with_repeat(base.edit_input('"@method"', '"@method" "@method"'), label),
        "signature_input_invalid")
    add("covered field absent from the request (D18)",
        base.edit_input('"@path"', '"@path" "x-absent"'), "signature_input_invalid",
        ["SpecDecision"], decision="D18")
    # signature_too_large
    add("Signature-Input over 16 KiB",
        _with_field(request, "Signature-Input", sig_input + ', pad="' + "a" * 16384 + '"'),
        "signature_too_large")
    add("9 candidates (limit 8)", _candidates(base, 9), "signature_too_large")
    extra_components = 33 - 5 - (2 if profile == "draft" else 0)
    add("33 covered components (limit 32)",
        _replace_in_field(_with_headers(request, extra_components), "Signature-Input", '"@path"',
                          '"@path" ' + " ".join(f'"x-{i}"' for i in range(extra_components))),
        "signature_too_large")
    add("17 signature parameters (limit 16)",
        _with_field(request, "Signature-Input", sig_input + "".join(
            f";p{i}=1" for i in range(17 - (5 if profile == "draft" else 4)))),
        "signature_too_large")
    add("decoded signature member of 8193 bytes (limit 8 KiB)",
        _set_signature(request, label, bytes(8193)), "signature_too_large")
    # no_acceptable_signature
    if profile == "draft":
        add("unknown extension tag only", base.edit_input('tag="erc8128"', 'tag="erc8128-ext"'),
            "no_acceptable_signature")
        add("tag removed", base.edit_input(';tag="erc8128"', ""), "no_acceptable_signature")
        add("tag is a Token, not a String", base.edit_input('tag="erc8128"', "tag=erc8128"),
            "no_acceptable_signature")
        add("tag with different case", base.edit_input('tag="erc8128"', 'tag="ERC8128"'),
            "no_acceptable_signature")
        # Draft §3.5: "the exact last-wins String `tag="erc8128"`" (RFC 9651: a repeated
        # parameter key keeps its last value).
        add('tag="erc8128" then tag="other": the last tag wins, no candidate (re-signed)',
            base.edit_input('tag="erc8128"', 'tag="erc8128";tag="other"'),
            "no_acceptable_signature")
        add('valid: tag="other" then tag="erc8128": the last tag wins (re-signed)',
            _resigned(base.edit_input('tag="erc8128"', 'tag="other";tag="erc8128"')), "valid",
            requirement="candidate-selection")
    else:
        add("keyid in the eip155 namespace (no tag)",
            base.edit_input(keyid, _keyid("draft")), "no_acceptable_signature")
        add("keyid removed", base.edit_input(f';keyid="{keyid}"', ""), "no_acceptable_signature")
        add("keyid is a Token, not a String", base.edit_input(f'"{keyid}"', keyid),
            "no_acceptable_signature")
        add("keyid namespace in uppercase", base.edit_input('"erc8128:', '"ERC8128:'),
            "no_acceptable_signature")
    # invalid_keyid
    prefix = "eip155" if profile == "draft" else "erc8128"
    add("chain with a leading zero", base.edit_input(f"{prefix}:1:", f"{prefix}:01:"),
        "invalid_keyid", ["SpecDecision"], decision="D3")
    add("39 hex digits", base.edit_input(ADDRESS_1, ADDRESS_1[:-1]), "invalid_keyid",
        why="39 hex digits are no address: there is no account to verify against")
    add("0X prefix", base.edit_input(ADDRESS_1, "0X" + ADDRESS_1[2:]), "invalid_keyid")
    add("33-digit chain", base.edit_input(f"{prefix}:1:", f"{prefix}:{'1' * 33}:"),
        "invalid_keyid", ["SpecDecision"], decision="D3",
        policy=_policy(served_chains=[1, int("1" * 33)]))
    if profile == "draft":
        add("EIP-55 checksummed address",
            base.edit_input(ADDRESS_1, "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"),
            "invalid_keyid")
    else:
        add("empty chain", base.edit_input("erc8128:1:", "erc8128::"), "invalid_keyid",
            why="an empty chain id names no chain to verify on")
    # unsupported_chain
    add("chain 1 not served (served: 8453)", request, "unsupported_chain",
        policy=_policy(served_chains=[8453]))
    add("chain 0 is syntactically valid but not served (D3)", base.sign(chain_id=0),
        "unsupported_chain", ["SpecDecision"], decision="D3")
    add("32-digit chain not served", base.sign(chain_id=10**31), "unsupported_chain")
    # invalid_time
    add("created removed", base.edit_input(f"created={CREATED};", ""), "invalid_time")
    add("created is a String", base.edit_input(f"created={CREATED}", f'created="{CREATED}"'),
        "invalid_time")
    add("created is a Boolean", base.edit_input(f"created={CREATED}", "created=?1"),
        "invalid_time")
    add("created is a Decimal", base.edit_input(f"created={CREATED}", f"created={CREATED}.0"),
        "invalid_time")
    add("expires equals created", base.edit_input(f"expires={EXPIRES}", f"expires={CREATED}"),
        "invalid_time")
    add("expires removed", base.edit_input(f";expires={EXPIRES}", ""), "invalid_time")
    add("negative created, re-signed (D11)", base.sign(created=-1, expires=59),
        "invalid_time", ["SpecDecision"], decision="D11", now=0)
    # request_not_yet_valid
    add("now = created - skew - 1", request, "request_not_yet_valid", now=CREATED - 31)
    add("skew 0, now = created - 1", request, "request_not_yet_valid", now=CREATED - 1,
        policy=_policy(skew_sec=0))
    add("now = 1", request, "request_not_yet_valid", now=1)
    add("valid: now = created - skew", request, "valid", now=CREATED - 30)
    # request_expired
    add("now = expires + skew + 1", request, "request_expired", now=EXPIRES + 31)
    add("skew 0, now = expires + 1", request, "request_expired", now=EXPIRES + 1,
        policy=_policy(skew_sec=0))
    add("now = 2000000000", request, "request_expired", now=2000000000)
    add("valid: now = expires + skew", request, "valid", now=EXPIRES + 30)
    # request_validity_too_long
    add("route maximum 60 s, window 61 s (re-signed)", base.sign(expires=CREATED + 61),
        "request_validity_too_long", policy=_policy(max_validity_sec=60))
    add("default maximum 300 s, window 301 s (re-signed)", base.sign(expires=CREATED + 301),
        "request_validity_too_long")
    add("route maximum 1 s, window 60 s", request, "request_validity_too_long",
        policy=_policy(max_validity_sec=1))
    add("valid: route maximum 60 s, window 60 s", request, "valid",
        policy=_policy(max_validity_sec=60))
    # invalid_nonce
    add("nonce is a Token", base.edit_input(f'nonce="{DRAFT_NONCE}"', f"nonce={DRAFT_NONCE}"),
        "invalid_nonce")
    add("nonce of 129 bytes (re-signed)", base.sign(nonce="a" * 129), "invalid_nonce")
    add("nonce is an Integer", base.edit_input(f'nonce="{DRAFT_NONCE}"', "nonce=1"),
        "invalid_nonce")
    add("nonce is a Byte Sequence", base.edit_input(f'nonce="{DRAFT_NONCE}"', "nonce=:AAAA:"),
        "invalid_nonce")
    add("valid: nonce of 128 bytes (re-signed)", base.sign(nonce="a" * 128), "valid")
    # insufficient_coverage
    add("@authority not covered", base.edit_input('"@authority" ', ""), "insufficient_coverage",
        policy=_policy(class_bound=True))
    add("@method not covered", base.edit_input('"@method" ', ""), "insufficient_coverage")
    add("@path not covered", base.edit_input('"@path" ', ""), "insufficient_coverage")
    if profile == "draft":
        add("@query not covered", base.edit_input('"@query" ', ""), "insufficient_coverage")
        add('content-digest covered only with the sf parameter (not parameterless), re-signed',
            base.edit_input('"content-digest"', '"content-digest";sf'), "insufficient_coverage",
            requirement="content-digest-covered")
        bare_get = Request("GET", "https://api.example/items", (("Host", "api.example"),))
        add("GET without a query, @query (value ?) not covered, re-signed",
            base.sign(bare_get, components=["@scheme", "@authority", "@method", "@path"]),
            "insufficient_coverage", requirement="query-covered")
        typed_empty = Request("POST", "https://api.example/items?view=full",
                              (("Host", "api.example"), ("Content-Type", "application/json")),
                              b"")
        add("empty content with Content-Type received, content-type not covered",
            _sign_member(typed_empty, label,
                         base.member.replace(' "content-digest" "content-type"', "")),
            "insufficient_coverage", requirement="content-type-covered")
        add("route requires @query-param view", request, "insufficient_coverage",
            policy=_policy(required_components=['"@query-param";name="view"']))
    else:
        add("content-digest not covered although there is content",
            base.edit_input(' "content-digest"', ""), "insufficient_coverage")
        add("route requires content-type", request, "insufficient_coverage",
            policy=_policy(required_components=["content-type"]))
    # content_digest_required
    # Step 10 precedes coverage (D15): these two cover no content-digest, so that the missing
    # field is their only defect (legacy: on a Class-Bound route, as legacy's Request-Bound set
    # includes content-digest whenever there is content).
    no_digest = _replace_in_field(request, "Signature-Input", ' "content-digest"', "")
    no_digest_policy = _policy(class_bound=profile == "legacy")
    add("Content-Digest removed, content kept", _without(no_digest, "Content-Digest"),
        "content_digest_required", policy=no_digest_policy)
    add("Content-Digest renamed to the obsolete Digest",
        _rename_field(no_digest, "Content-Digest", "Digest"),
        "content_digest_required", policy=no_digest_policy)
    get_request = Request("GET", "https://api.example/items", (("Host", "api.example"),))
    add("route requires Content-Digest on every request; GET without it",
        base.sign(get_request), "content_digest_required",
        policy=_policy(content_digest="required"))
    # bad_content_digest
    add("content changed", replace(request, body=b'{"hello":"World"}'), "bad_content_digest")
    add("sha-256 digest of 31 bytes",
        _with_field(request, "Content-Digest", f"sha-256=:{_b64(bytes(31))}:"),
        "bad_content_digest")
    add("mismatching sha-512 member added",
        _with_field(request, "Content-Digest",
                    _field(request, "content-digest") + f", sha-512=:{_b64(bytes(64))}:"),
        "bad_content_digest")
    add("only an unsupported algorithm",
        _with_field(request, "Content-Digest", "md5=:AAAAAAAAAAAAAAAAAAAAAA==:"),
        "bad_content_digest")
    # Draft §3.1.3: "Empty-content requests do not require the field, but a received field is
    # verified by the same rules."
    empty_post = Request("POST", "https://api.example/items", (
        ("Host", "api.example"), ("Content-Digest", f"sha-256=:{_b64(bytes(32))}:")), b"")
    add("empty content with a covered Content-Digest that does not match it (re-signed)",
        _sign_member(empty_post, label, base.member.replace(' "content-type"', "")),
        "bad_content_digest")
    # principal_not_allowed
    add("Principal policy denies the signer", request, "principal_not_allowed",
        policy=_policy(denied_principals=[ADDRESS_1]))
    add("Principal policy denies the signer (key 0x..02)", base.sign(key=KEY_2),
        "principal_not_allowed", policy=_policy(denied_principals=[ADDRESS_2]))
    add("Principal policy denies the signer, but the unserved chain is checked first", request,
        "unsupported_chain", policy=_policy(denied_principals=[ADDRESS_1], served_chains=[10]),
        why="two defects by design: the vector pins that the chain is checked before the "
        "Principal policy")
    add("Principal policy denies the signer of a Replayable signature", base.sign(nonce=None),
        "principal_not_allowed",
        policy=_policy(denied_principals=[ADDRESS_1], replay="either"))
    add("valid: Principal policy denies another account", request, "valid",
        policy=_policy(denied_principals=[ADDRESS_2]))
    # nonce_required
    add("no nonce on a Non-Replayable route (re-signed)", base.sign(nonce=None),
        "nonce_required")
    add("no nonce on an early-invalidation endpoint", base.sign(nonce=None), "nonce_required",
        ["Extension"], policy=_policy(replay="either", invalidation_endpoint=True))
    add("nonce removed from Signature-Input", base.edit_input(f';nonce="{DRAFT_NONCE}"', ""),
        "nonce_required")
    # nonce_reused
    add("the same request verified a second time", request, "nonce_reused",
        prior=[(request, NOW)])
    other_path = base.sign(replace(base.unsigned, target_uri="https://api.example/other?view=full"))
    add("another request of the same signer with the same nonce was verified first",
        request, "nonce_reused", prior=[(other_path, NOW)])
    add("the same nonce used 60 s earlier, mark still kept",
        base.sign(created=CREATED + 60, expires=EXPIRES + 60), "nonce_reused",
        now=NOW + 60, prior=[(request, NOW)])
    # replayable_not_allowed
    replayable = base.sign(nonce=None)
    add("Replayable signature, route denies Replayable for this signer", replayable,
        "replayable_not_allowed", ["Extension"],
        policy=_policy(replay="either", replayable_denied_principals=[ADDRESS_1]))
    add("Replayable signature created before the signer's not-before", replayable,
        "replayable_not_allowed", policy=_policy(replay="either",
                                                 not_before={ADDRESS_1: CREATED + 1}))
    fingerprint = "0x" + personal_message_hash(
        signature_base_for_label(replayable, label).encode("ascii")).hex()
    add("Replayable signature whose fingerprint its signer invalidated", replayable,
        "replayable_not_allowed",
        policy=_policy(replay="either", invalidated_signatures=[fingerprint]))
    add("valid: Replayable signature created at the signer's not-before", replayable, "valid",
        policy=_policy(replay="either", not_before={ADDRESS_1: CREATED}))
    # unsupported_algorithm
    add("alg added",
        _with_field(request, "Signature-Input", sig_input + ';alg="ecdsa-p256-sha256"'),
        "unsupported_algorithm", ["SpecDecision"] if profile == "legacy" else [],
        **({"decision": "D13"} if profile == "legacy" else {}))
    add("empty alg", _with_field(request, "Signature-Input", sig_input + ';alg=""'),
        "unsupported_algorithm")
    add("alg as a Token before keyid", base.edit_input(";keyid=", ";alg=ecdsa;keyid="),
        "unsupported_algorithm")
    add('alg="eip191" (the value an SDK of the February text writes), re-signed',
        _with_field(request, "Signature-Input", sig_input + ';alg="eip191"'),
        "unsupported_algorithm")
    # bad_signature
    add("signed by key 0x..02, keyid names key 0x..01",
        _sign_member(base.unsigned, label, base.member, KEY_2), "bad_signature")
    add("query changed after signing",
        replace(request, target_uri="https://api.example/items?view=summary"), "bad_signature")
    add("high-s twin of the valid signature (D14)",
        _set_signature(request, label, _high_s_twin(base.signature)),
        "bad_signature", ["SpecDecision"], decision="D14")
    add("v = 29", _set_signature(request, label, base.signature[:64] + b"\x1d"), "bad_signature",
        why="v = 29 names no recovery id (a lax verifier maps only 0/1 to 27/28)")
    add("v = 0/1 (the recovery id instead of 27/28)",
        _set_signature(request, label, base.signature[:64] + bytes((base.signature[64] - 27,))),
        "bad_signature")
    add("64-byte signature (v dropped)", _set_signature(request, label, base.signature[:64]),
        "bad_signature")
    add("65 zero bytes", _set_signature(request, label, bytes(65)), "bad_signature")
    # signature_verification_unavailable
    add("account-state provider unavailable", request, "signature_verification_unavailable",
        policy=_policy(account_state="unavailable"))
    add("ERC-6492-wrapped signature, no chain to simulate it", _set_signature(
        request, label, base.signature + bytes.fromhex("6492" * 16)),
        "signature_verification_unavailable")
    add("mode=\"eoa\" with a signature that does not recover, provider unavailable",
        _set_signature(base.sign(params={"mode": "eoa"}), label, bytes(65)),
        "signature_verification_unavailable", policy=_policy(account_state="unavailable"))
    return tests


def _resigned(request: Request) -> Request:
    """``request`` with every signature that no longer matches its base made again."""
    return resign(request, _TEST_KEYS, KEY_1)


def _candidates(base: _Signed, count: int) -> Request:
    """``count`` valid candidates c0, c1, ... with the same member, each with its signature."""
    request = base.unsigned
    for index in range(count):
        request = _sign_member(request, f"c{index}", base.member)
    return request


def _with_headers(request: Request, count: int) -> Request:
    """Fields X-0 ... X-<count-1> added, so that covering them is well defined."""
    for index in range(count):
        request = request.with_header(f"X-{index}", str(index))
    return request


def _sign_with_repeat(request: Request, label: str, key: bytes = KEY_1) -> Request:
    """Sign ``label`` over the signature base a verifier without RFC 9421's duplicate rule
    builds: one line per covered component, the repeated one twice (our own builder refuses)."""
    member = _field(request, "signature-input")[len(label) + 1 :]
    parsed = parse_dictionary(f"{label}={member}")[0][1]
    assert isinstance(parsed, InnerList)
    seen: list[str] = []
    unique_items = []
    for item in parsed.items:
        identifier = serialize_item(item)
        if identifier not in seen:
            seen.append(identifier)
            unique_items.append(item)
    unique = replace(parsed, items=tuple(unique_items))
    probe = _with_field(request, "Signature-Input", f"{label}={serialize_inner_list(unique)}")
    lines = signature_base_for_label(probe, label).split("\n")[:-1]
    by_identifier = {line.split(": ", 1)[0]: line for line in lines}
    base = "\n".join([*(by_identifier[serialize_item(item)] for item in parsed.items),
                      f'"@signature-params": {member}'])
    signature = sign_message(key, base.encode("ascii"))
    return _with_field(request, "Signature", f"{label}=:{_b64(signature)}:")


def _rename_field(request: Request, old: str, new: str) -> Request:
    return replace(request, headers=tuple(
        (new if name.lower() == old.lower() else name, value) for name, value in request.headers
    ))


def _mutations(base: _Signed) -> list[JsonObject]:
    """Every single-bit change of the signature's 65 bytes, then one change of each covered
    component (and of things not covered, which must keep the signature valid)."""
    profile, label, request = base.profile, base.label, base.request
    tests: list[JsonObject] = []
    for index in range(65):
        flipped = bytearray(base.signature)
        flipped[index] ^= 0x01
        part = "r" if index < 32 else "s" if index < 64 else "v"
        tests.append(_vt(f"signature byte {index} ({part}) low bit flipped",
                         ["Mutation", "SignatureByteFlip"], profile,
                         _set_signature(request, label, bytes(flipped)), expect=None))
    url = request.target_uri
    # The February text covers neither @scheme nor content-type: changing them keeps a legacy
    # signature valid (a property of that profile, shown rather than hidden).
    uncovered_in_legacy = "valid" if profile == "legacy" else None
    changes: list[tuple[str, Request, str | None]] = [
        ("method POST changed to PUT", replace(request, method="PUT"), None),
        ("method changed to lowercase post", replace(request, method="post"), None),
        ("scheme https changed to http",
         replace(request, target_uri=url.replace("https:", "http:")), uncovered_in_legacy),
        ("authority changed to api.example:8443",
         replace(request, target_uri=url.replace("api.example", "api.example:8443")), None),
        ("authority changed to api.example.com",
         replace(request, target_uri=url.replace("api.example", "api.example.com")), None),
        ("path /items changed to /items/",
         replace(request, target_uri=url.replace("/items", "/items/")), None),
        ("path /items changed to /Items",
         replace(request, target_uri=url.replace("/items", "/Items")), None),
        ("query view=full changed to view=ful",
         replace(request, target_uri=url.replace("view=full", "view=ful")), None),
        ("query parameter appended",
         replace(request, target_uri=url + "&x=1"), None),
        ("query removed", replace(request, target_uri=url.split("?")[0]), None),
        ("content-type value changed",
         _with_field(request, "Content-Type", "application/json; charset=utf-8"),
         uncovered_in_legacy),
        ("content-type value in uppercase",
         _with_field(request, "Content-Type", "APPLICATION/JSON"), uncovered_in_legacy),
        ("content-digest changed to another valid digest (sha-512 member added)",
         _with_field(request, "Content-Digest",
                     content_digest(request.body or b"", ("sha-256", "sha-512"))), None),
        ("content changed (one byte)", replace(request, body=b'{"hello":"worle"}'), None),
        ("content extended", replace(request, body=(request.body or b"") + b"\n"), None),
        ("keyid changed to key 0x..02's address",
         base.edit_input(ADDRESS_1, ADDRESS_2), None),
        ("created changed by one second",
         base.edit_input(f"created={CREATED}", f"created={CREATED + 1}"), None),
        ("expires changed by one second",
         base.edit_input(f"expires={EXPIRES}", f"expires={EXPIRES - 1}"), None),
        ("nonce changed", base.edit_input(DRAFT_NONCE, DRAFT_NONCE[:-1] + "x"), None),
        ("signature parameters reordered (keyid before nonce)",
         base.edit_input(f';nonce="{DRAFT_NONCE}";keyid="{_keyid(profile)}"',
                         f';keyid="{_keyid(profile)}";nonce="{DRAFT_NONCE}"'), None),
        ("covered components reordered (@path before @method)",
         base.edit_input('"@method" "@path"', '"@path" "@method"'), None),
        ("extra signature parameter added",
         _with_field(request, "Signature-Input", _field(request, "signature-input") + ";x=1"),
         None),
        ("valid: host in uppercase normalises to the same @authority",
         replace(request, target_uri=url.replace("api.example", "API.EXAMPLE")), "valid"),
        ("valid: default port :443 normalises to the same @authority",
         replace(request, target_uri=url.replace("api.example", "api.example:443")), "valid"),
        ("valid: a header that is not covered added", request.with_header("X-Extra", "1"),
         "valid"),
        ("valid: Content-Length (not covered) changed",
         _with_field(request, "Content-Length", "18"), "valid"),
        ("valid: label renamed in both fields (the label is not signed)",
         _with_field(_with_field(request, "Signature-Input", "renamed=" + base.member),
                     "Signature", "renamed=:" + _b64(base.signature) + ":"), "valid"),
        ("valid: extra spaces between covered components in Signature-Input",
         _with_field(request, "Signature-Input",
                     _field(request, "signature-input").replace('" "', '"   "', 1)), "valid"),
    ]
    for comment, changed, expect in changes:
        tests.append(_vt(comment, ["Mutation", "ComponentChange"], profile, changed,
                         expect=expect))
    # RFC 9651 §4.2.7: parsers "SHOULD NOT fail when "=" padding is not present"; a strict
    # parser may, so either outcome conforms.
    unpadded = _with_field(request, "Signature",
                           f"{label}=:" + _b64(base.signature).rstrip("=") + ":")
    tests.append(_vt("Signature value without base64 padding", ["UnpaddedBase64"], profile,
                     unpadded, expect="valid", result="acceptable"))
    return tests


def _draft_rows() -> list[JsonObject]:
    """Every row N01-N28 of the draft's Negative and classification table (N09, N10: see
    :func:`_needs_chain`), as the draft describes the mutation."""
    base = _signed("draft")
    request, label = base.request, base.label
    sig_input = _field(request, "signature-input")
    tests: list[JsonObject] = []

    def row(row_id: str, comment: str, changed: Request, expect: str,
            flags: Sequence[str] = (), **options: Any) -> None:
        tests.append(_vt(f"{row_id}: {comment}", ["DraftRow", *flags], "draft", changed,
                         expect=expect, draftRow=row_id, **options))

    row("N01", "Signature removed", _without(request, "Signature"), "signature_missing")
    row("N01", "Signature-Input removed", _without(request, "Signature-Input"),
        "signature_missing")
    row("N02", "Signature-Input with trailing junk",
        _with_field(request, "Signature-Input", sig_input + " junk"), "signature_input_invalid")
    row("N02", "Signature-Input unterminated inner list",
        _with_field(request, "Signature-Input", 'request=("@scheme"'), "signature_input_invalid")
    row("N02", "Signature with invalid base64",
        _with_field(request, "Signature", "request=:not base64!:"), "signature_input_invalid")
    row("N02", "Signature with a trailing empty member",
        _with_field(request, "Signature", "request=:AAAA:,,"), "signature_input_invalid")
    row("N03", "first candidate has no correlated Signature member; the positive one wins",
        _with_field(request, "Signature-Input", f"first={base.member}, {sig_input}"), "valid")
    row("N03", "the only candidate's Signature member is under another label",
        _with_field(request, "Signature", "other=:" + _b64(base.signature) + ":"),
        "signature_input_invalid")
    row("N04", "Signature-Input over 16 KiB",
        _with_field(request, "Signature-Input", sig_input + ', pad="' + "a" * 16384 + '"'),
        "signature_too_large")
    row("N04", "decoded signature of 8193 bytes", _set_signature(request, label, bytes(8193)),
        "signature_too_large")
    row("N04", "33 components",
        _replace_in_field(_with_headers(request, 26), "Signature-Input", '"content-type")',
                          '"content-type" ' + " ".join(f'"x-{i}"' for i in range(26)) + ")"),
        "signature_too_large")
    row("N04", "17 parameters",
        _with_field(request, "Signature-Input", sig_input + "".join(f";p{i}=1" for i in range(12))),
        "signature_too_large")
    row("N04", "9 candidates", _candidates(base, 9), "signature_too_large")
    row("N05", "the only tag replaced by an unknown extension tag",
        base.edit_input('tag="erc8128"', 'tag="erc8128-ext"'), "no_acceptable_signature")
    for comment, keyid in [
        ("checksummed address", "eip155:1:0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"),
        ("chain with a leading zero", "eip155:01:" + ADDRESS_1),
        ("legacy namespace", "erc8128:1:" + ADDRESS_1),
        ("address without 0x", "eip155:1:" + ADDRESS_1[2:]),
        ("39 hex digits", "eip155:1:" + ADDRESS_1[:-1]),
        ("chain '+1'", "eip155:+1:" + ADDRESS_1),
    ]:
        row("N06", f"non-canonical keyid: {comment}", base.edit_input(_keyid("draft"), keyid),
            "invalid_keyid", why=(
                "39 hex digits are no address: there is no account to verify against"
                if comment == "39 hex digits" else None))
    row("N07", "chain 1 not served (served: 8453)", request, "unsupported_chain",
        policy=_policy(served_chains=[8453]))
    row("N08", 'mode="eoa" re-signed, account-state provider unavailable',
        base.sign(params={"mode": "eoa"}), "valid", ["ModeEoa"],
        policy=_policy(account_state="unavailable"))
    for mode in ("EOA", "sca", "eoa "):
        row("N11", f'mode="{mode}" is ignored: provider unavailable gives 503',
            base.sign(params={"mode": mode}), "signature_verification_unavailable",
            policy=_policy(account_state="unavailable"))
        row("N11", f'mode="{mode}" is ignored: verified as without mode',
            base.sign(params={"mode": mode}), "valid")
    row("N11", "mode as the Token eoa is ignored: provider unavailable gives 503",
        base.sign(params={"mode": Token("eoa")}), "signature_verification_unavailable",
        policy=_policy(account_state="unavailable"))
    row("N11", 'mode="eoa" on a verifier that does not honour it',
        base.sign(params={"mode": "eoa"}), "signature_verification_unavailable",
        policy=_policy(account_state="unavailable", honor_mode_eoa=False))
    for comment, old, new in [
        ("created removed", f"created={CREATED};", ""),
        ("created is a String", f"created={CREATED}", f'created="{CREATED}"'),
        ("expires equals created", f"expires={EXPIRES}", f"expires={CREATED}"),
        ("expires before created", f"expires={EXPIRES}", f"expires={CREATED - 1}"),
        ("created is a Boolean", f"created={CREATED}", "created=?1"),
        ("created is a Decimal", f"created={CREATED}", f"created={CREATED}.0"),
    ]:
        row("N12", comment, base.edit_input(old, new), "invalid_time")
    row("N13", "now = 1699999969", request, "request_not_yet_valid", now=1699999969)
    row("N13", "valid at now = 1699999970 (created - skew)", request, "valid", now=1699999970)
    row("N14", "now = 1700000091", request, "request_expired", now=1700000091)
    row("N14", "valid at now = 1700000090 (expires + skew)", request, "valid", now=1700000090)
    row("N15", "route maximum 60 s, re-signed with expires = 1700000061",
        base.sign(expires=1700000061), "request_validity_too_long",
        policy=_policy(max_validity_sec=60))
    row("N15", "route maximum 60 s, re-signed with expires = 1700000060",
        base.sign(expires=1700000060), "valid", policy=_policy(max_validity_sec=60))
    for comment, new in [("Token", f"nonce={DRAFT_NONCE}"), ("129 ASCII bytes",
                                                               'nonce="' + "a" * 129 + '"'),
                         ("Integer", "nonce=1"), ("Byte Sequence", "nonce=:AAAA:")]:
        row("N16", f"nonce is a {comment}", base.edit_input(f'nonce="{DRAFT_NONCE}"', new),
            "invalid_nonce")
    row("N16", "nonce of 128 bytes, re-signed", base.sign(nonce="a" * 128), "valid")
    row("N17", "@query removed from coverage", base.edit_input('"@query" ', ""),
        "insufficient_coverage")
    row("N18", "Content-Digest removed, content kept",
        _without(_replace_in_field(request, "Signature-Input", ' "content-digest"', ""),
                 "Content-Digest"), "content_digest_required")
    digest = _field(request, "content-digest")
    for comment, changed in [
        ("content changed", replace(request, body=b'{"hello":"World"}')),
        ("malformed digest", _with_field(request, "Content-Digest", "sha-256=:k6I5:,")),
        ("mismatching sha-512 added",
         _with_field(request, "Content-Digest", digest + f", sha-512=:{_b64(bytes(64))}:")),
        ("digest is a String",
         _with_field(request, "Content-Digest", 'sha-256="k6I5cakU5erL8KjSUVTNownDwccvu5k"')),
        ("31-byte digest", _with_field(request, "Content-Digest",
                                       f"sha-256=:{_b64(bytes(31))}:")),
    ]:
        row("N19", comment, changed, "bad_content_digest")
    row("N20", "nonce removed on a Non-Replayable-only route",
        base.edit_input(f';nonce="{DRAFT_NONCE}"', ""), "nonce_required")
    row("N21", "early-invalidation endpoint, re-signed without nonce", base.sign(nonce=None),
        "nonce_required", ["Extension"],
        policy=_policy(replay="either", invalidation_endpoint=True))
    row("N22", "the positive vector submitted a second time", request, "nonce_reused",
        prior=[(request, NOW)])
    row("N23", "no nonce; Replayable supported but denied by policy", base.sign(nonce=None),
        "replayable_not_allowed", ["Extension"],
        policy=_policy(replay="either", replayable_denied_principals=[ADDRESS_1]))
    row("N23", "no nonce; Replayable supported and allowed", base.sign(nonce=None), "valid",
        policy=_policy(replay="either"))
    row("N24", "alg added",
        _with_field(request, "Signature-Input", sig_input + ';alg="ecdsa-p256-sha256"'),
        "unsupported_algorithm")
    row("N25", "query changed, signature kept",
        replace(request, target_uri="https://api.example/items?view=summary"), "bad_signature")
    row("N26", "account classification unavailable", request,
        "signature_verification_unavailable", policy=_policy(account_state="unavailable"))
    row("N27", "Principal policy rejects the displayed Account", request,
        "principal_not_allowed", policy=_policy(denied_principals=[ADDRESS_1]))
    failing = "early=" + base.member.replace('"@query" ', "")
    row("N28", "a well-formed failing candidate before the positive one",
        _with_field(_with_field(request, "Signature-Input", f"{failing}, {sig_input}"),
                    "Signature", f"early=:{_b64(bytes(65))}:, " + _field(request, "signature")),
        "valid")
    row("N28", "a candidate failing at the signature before the positive one",
        _with_field(_with_field(request, "Signature-Input", f"early={base.member}, {sig_input}"),
                    "Signature", f"early=:{_b64(bytes(65))}:, " + _field(request, "signature")),
        "valid")
    return tests


def _needs_chain() -> list[JsonObject]:
    """Rows N09 and N10: contract accounts, emulated by ``policy.account_state``."""
    base = _signed("draft")
    mode_eoa = base.sign(params={"mode": "eoa"})
    foreign = _set_signature(mode_eoa, base.label, bytes([1] * 64 + [27]))
    flags = ["DraftRow", "NeedsChain"]
    return [
        _vt("N09: ERC-1271 account, mode=\"eoa\", a signature only the contract accepts",
            flags, "draft", foreign, expect="valid", draftRow="N09",
            policy=_policy(account_state="erc1271-accepts")),
        _vt("N09: ERC-1271 account, mode=\"eoa\", the contract rejects: no ECDSA fallback",
            flags, "draft", foreign, expect="bad_signature", draftRow="N09",
            policy=_policy(account_state="erc1271-rejects")),
        _vt("N09: ERC-1271 account that rejects, valid EOA signature without mode: no fallback",
            flags, "draft", base.request, expect="bad_signature", draftRow="N09",
            policy=_policy(account_state="erc1271-rejects")),
        _vt("N10: EIP-7702 delegated EOA, mode=\"eoa\", re-signed: local recovery wins",
            flags, "draft", mode_eoa, expect="valid", draftRow="N10",
            policy=_policy(account_state="eip7702-delegated")),
        _vt("N10: EIP-7702 delegated EOA without mode: ERC-1271 rejects, no fallback",
            flags, "draft", base.request, expect="bad_signature", draftRow="N10",
            policy=_policy(account_state="eip7702-delegated")),
        _vt("legacy: ERC-1271 account accepts a foreign signature (mode is not legacy, D8)",
            ["NeedsChain", "SpecDecision"], "legacy",
            _set_signature(_signed("legacy").request, "eth", bytes([1] * 64 + [27])),
            expect="valid", decision="D8", policy=_policy(account_state="erc1271-accepts")),
    ]


def _decisions() -> tuple[list[JsonObject], list[JsonObject],
                          list[tuple[ProfileName | None, JsonObject]]]:
    """Vectors that pin SPEC.md decisions: (draft group, legacy group, both-profiles group)."""
    draft, legacy = _signed("draft"), _signed("legacy")
    draft_tests: list[JsonObject] = []
    legacy_tests: list[JsonObject] = []
    both_tests: list[tuple[ProfileName | None, JsonObject]] = []

    def add_both(decision: str, comment: str, profile: ProfileName | None, request: Request,
                 expect: str, **options: Any) -> None:
        both_tests.append((profile, _vt(f"{decision}: {comment}", ["SpecDecision"], profile,
                                        request, expect=expect, decision=decision, **options)))

    # One call per decision reads as a table row: (group, decision, comment, profile, request,
    # expected outcome).
    def add(  # noqa: PLR0917
        into: list[JsonObject], decision: str, comment: str, profile: ProfileName | None,
        request: Request, expect: str, **options: Any,
    ) -> None:
        into.append(_vt(f"{decision}: {comment}", ["SpecDecision"], profile, request,
                        expect=expect, decision=decision, **options))

    for into, base in ((draft_tests, draft), (legacy_tests, legacy)):
        profile = base.profile
        add(into, "D1", "a 400 code keeps its status in this profile",
            profile, base.edit_input('"@method"', '"@method" "@method"'),
            "signature_input_invalid")
        add(into, "D3", "chain 0 served: valid", profile, base.sign(chain_id=0), "valid",
            policy=_policy(served_chains=[0]))
        add(into, "D5", "valid at now = expires + skew", profile, base.request, "valid",
            now=EXPIRES + 30)
        add(into, "D5", "expired at now = expires + skew + 1", profile, base.request,
            "request_expired", now=EXPIRES + 31)
        add(into, "D5", "valid at now = created - skew (symmetric window)", profile,
            base.request, "valid", now=CREATED - 30)
        add(into, "D9", "an invalidated fingerprint still matches under another label", profile,
            _rename_label(base.sign(nonce=None), base.label, "renamed"), "replayable_not_allowed",
            policy=_policy(replay="either", invalidated_signatures=[
                _fingerprint(base.sign(nonce=None), base.label)]))
        add(into, "D10", "Signature field of whitespace only", profile,
            _with_field(base.request, "Signature", "  "), "signature_missing")
        add(into, "D14", "high-s twin is bad_signature", profile, _set_signature(
            base.request, base.label, _high_s_twin(base.signature)), "bad_signature")
        add(into, "D15", "covered Content-Digest stripped: content_digest_required, not "
            "insufficient_coverage", profile, _without(base.request, "Content-Digest"),
            "content_digest_required", why="two defects by design: the vector pins that the "
            "missing field is reported before the coverage it breaks (D15)")
        add(into, "D16", "empty nonce \"\" is a present nonce: Non-Replayable, consumed",
            profile, base.sign(nonce=""), "valid")
        add(into, "D17", "not-before after created does not apply to a Non-Replayable "
            "signature", profile, base.request, "valid",
            policy=_policy(replay="either", not_before={ADDRESS_1: CREATED + 10}))
        add(into, "D17", "an invalidated fingerprint does not apply to a Non-Replayable "
            "signature", profile, base.request, "valid",
            policy=_policy(replay="either", invalidated_signatures=[
                _fingerprint(base.request, base.label)]))
        add(into, "D18", "covered header removed after signing", profile,
            _without(base.sign(base.unsigned.with_header("X-Covered", "1"), components=[
                *_default_components(base.profile), "x-covered"]), "X-Covered"),
            "signature_input_invalid")
        covered = base.sign(base.unsigned.with_header("X-Name", "cafe"),
                            components=[*_default_components(base.profile), "x-name"])
        add(into, "D19", "covered header value made non-ASCII after signing", profile,
            _with_field(covered, "X-Name", "caf\u00e9"), "signature_input_invalid")
        add(into, "D19", "covered header value with CR LF injected after signing", profile,
            _with_field(covered, "X-Name", 'cafe\r\n"@method": GET'), "signature_input_invalid")
    add(draft_tests, "D6", "Class-Bound route: content-type received but not covered",
        "draft", _sign_member(draft.unsigned, "request", '("@authority" "@method" '
                              '"content-digest")' + draft.member[draft.member.index(";"):]),
        "insufficient_coverage", policy=_policy(class_bound=True))
    add(draft_tests, "D6", "Class-Bound route: content-digest and content-type covered",
        "draft", draft.sign(components=["@authority", "content-digest", "content-type"]),
        "valid", policy=_policy(class_bound=True))
    add(draft_tests, "D6", "Class-Bound signature on a Request-Bound route",
        "draft", draft.sign(components=["@authority", "content-digest", "content-type"]),
        "insufficient_coverage")
    get_empty_query = Request("GET", "https://api.example/items?", (("Host", "api.example"),))
    add(legacy_tests, "D7", "target with an empty query: @query covered by default", "legacy",
        legacy.sign(get_empty_query), "valid")
    add(legacy_tests, "D7", "target with an empty query, @query not covered", "legacy",
        legacy.sign(get_empty_query, components=["@authority", "@method", "@path"]),
        "insufficient_coverage")
    add(legacy_tests, "D7", "empty content needs no content-digest", "legacy",
        legacy.sign(Request("POST", "https://api.example/items", (("Host", "api.example"),),
                            b"")), "valid")
    add(legacy_tests, "D8", 'mode="eoa" is not a legacy parameter: the account state is '
        "still consulted", "legacy", legacy.sign(params={"mode": "eoa"}),
        "signature_verification_unavailable", policy=_policy(account_state="unavailable"))
    add(legacy_tests, "D13", "alg is unsupported_algorithm in legacy", "legacy",
        _with_field(legacy.request, "Signature-Input",
                    _field(legacy.request, "signature-input") + ';alg="ecdsa-secp256k1"'),
        "unsupported_algorithm")
    both = _policy(profiles=["draft", "legacy"])
    add_both("D2", "draft-only verifier, legacy signature", "draft", legacy.request,
        "no_acceptable_signature")
    add_both("D2", "legacy-only verifier, draft signature", "legacy", draft.request,
        "no_acceptable_signature")
    add_both("D2", "both profiles, legacy signature", None, legacy.request, "valid",
        policy=both)
    add_both("D2", "both profiles, draft signature", None, draft.request, "valid",
        policy=both)
    tagged_legacy_keyid = _sign_member(
        legacy.unsigned, "eth", legacy.member + ';tag="erc8128"')
    add_both("D2", "both profiles, tag=\"erc8128\" with an erc8128: keyid is a draft "
        "candidate with an invalid keyid, never reinterpreted as legacy", None,
        tagged_legacy_keyid, "invalid_keyid", policy=both, requirement="no-reinterpretation",
        why="the vector shows that a tagged member stays a draft candidate; a verifier that "
        "reinterprets it as legacy accepts it")
    add_both("D2", "legacy-only verifier, tag=\"erc8128\" with an erc8128: keyid is a "
        "legacy candidate", "legacy", tagged_legacy_keyid, "valid")
    two = _sign(legacy.request, "draft", label="request")
    add_both("D2", "both profiles, legacy then draft signature: the first in wire "
        "order wins", None, two, "valid", policy=both)
    return draft_tests, legacy_tests, both_tests


def _default_components(profile: ProfileName) -> list[str]:
    if profile == "draft":
        return ["@scheme", "@authority", "@method", "@path", "@query", "content-digest",
                "content-type"]
    return ["@authority", "@method", "@path", "@query", "content-digest"]


def _rename_label(request: Request, old: str, new: str) -> Request:
    signature_input = _field(request, "signature-input")
    signature = _field(request, "signature")
    renamed = _with_field(request, "Signature-Input", new + signature_input[len(old):])
    return _with_field(renamed, "Signature", new + signature[len(old):])


def _fingerprint(request: Request, label: str) -> str:
    base = signature_base_for_label(request, label)
    return "0x" + personal_message_hash(base.encode("ascii")).hex()


def _high_s_twin(signature: bytes) -> bytes:
    """The other signature of the same (r, key, H): s' = n - s, v' = 55 - v (27 <-> 28)."""
    s = int.from_bytes(signature[32:64], "big")
    return signature[:32] + (N - s).to_bytes(32, "big") + bytes((55 - signature[64],))


_VERIFY_NOTES: Final = {
    "ReasonCode": "Part of the per-profile matrix with at least three tests per reason code.",
    "DraftRow": "A row of the draft's Negative and classification table (field `draftRow`).",
    "SpecDecision": "Pins a SPEC.md decision (field `decision`) where the texts are silent or "
    "ambiguous.",
    "NeedsChain": "Needs a contract account (ERC-1271 / EIP-7702), emulated here by "
    "`policy.account_state`; a runner that cannot emulate it skips the test (the real-chain "
    "tests are a separate suite).",
    "Extension": "Uses a policy field beyond the adapter protocol's list "
    "(`invalidation_endpoint`, `replayable_denied_principals`); skip if unsupported.",
    "ModeEoa": "mode=\"eoa\" lets local recovery win without an account-code lookup (draft §4.1 "
    "step 2).",
    "Mutation": "A valid signed request with exactly one thing changed after signing.",
    "SignatureByteFlip": "One bit of the 65-byte signature r || s || v flipped.",
    "ComponentChange": "One covered component (or one uncovered thing, for the valid ones) "
    "changed.",
    "UnpaddedBase64": "RFC 9651 §4.2.7: parsers \"SHOULD NOT fail when '=' padding is not "
    "present\"; a strict parser may reject it, so either result conforms (the expected values "
    "are those of acceptance).",
    NOT_SINGLE_DEFECT: "The single-defect property (a verifier lacking exactly the rule named "
    "by `requirement` accepts the vector) cannot hold or is not shown by the reference "
    "verifier's ablation hook; field `explanation` says why.",
}

_VERIFY_HEADER: Final = [
    "ERC-8128 verify_request: the received request (url = effective target URI), the "
    "verifier clock `now`, and the complete route `policy`. Each test starts from a fresh, empty "
    "replay state; `prior` requests (when present) are verified first, in order, in that same "
    "state, and each of them succeeds.",
    "Valid tests give the adapter outputs (address, chain_id, keyid, label, replayable, "
    "request_bound, covered, nonce_consumed); invalid tests give the reason code and its HTTP "
    "status. signature_base, message_hash_hex (H) and recovered_address are the winning or "
    "failing candidate's, where verification got that far; content_digest is the sha-256 "
    "Content-Digest of the received content (null: none).",
    "The draft's N01-N28 table is pinned by tests flagged DraftRow. Legacy uses the draft's 21 "
    "codes (D1). Codes that cannot arise in legacy as the draft defines them: none of the 21; "
    "the mode rows (N08-N11) are draft-only, as legacy has no mode parameter (D8).",
]


def _verify_schema() -> JsonObject:
    return _schema(
        "ERC-8128 verify_request vectors", "VerifyRequestTest",
        {
            "request": _REQUEST,
            "now": {"type": "integer"},
            "policy": _POLICY,
            "prior": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["request", "now"],
                    "properties": {"request": _REQUEST, "now": {"type": "integer"}},
                },
            },
            **_VERIFY_OUTCOME,
        },
        ["request", "now", "policy"],
    )


def _verify_file() -> VectorFile:
    draft, legacy = _signed("draft"), _signed("legacy")
    draft_decisions, legacy_decisions, both_decisions = _decisions()
    groups = [
        _group("VerifyRequestTest", _reason_matrix(draft), profile="draft",
               comment="every reason code at least three times (draft)"),
        _group("VerifyRequestTest", _reason_matrix(legacy), profile="legacy",
               comment="every reason code at least three times (legacy, D1)"),
        _group("VerifyRequestTest", _draft_rows(), profile="draft",
               comment="the draft's Negative and classification table, N01-N28 without N09/N10"),
        _group("VerifyRequestTest", draft_decisions, profile="draft",
               comment="SPEC.md decisions (draft)"),
        _group("VerifyRequestTest", legacy_decisions, profile="legacy",
               comment="SPEC.md decisions (legacy)"),
    ]
    by_profile: dict[ProfileName | None, list[JsonObject]] = {}
    for profile, test in both_decisions:
        by_profile.setdefault(profile, []).append(test)
    for group_profile, tests in by_profile.items():
        groups.append(_group("VerifyRequestTest", tests, profile=group_profile,
                             comment="D2: candidate recognition across profiles"))
    groups += [
        _group("VerifyRequestTest", _mutations(draft), profile="draft",
               comment="mutations of the draft's positive vector"),
        _group("VerifyRequestTest", _mutations(legacy), profile="legacy",
               comment="mutations of a legacy signature of the same request"),
        _group("VerifyRequestTest", _needs_chain(), profile="draft",
               comment="rows N09/N10: contract accounts (NeedsChain)"),
    ]
    legacy_chain = groups[-1]["tests"].pop()
    groups.append(_group("VerifyRequestTest", [legacy_chain], profile="legacy",
                         comment="contract accounts in legacy (NeedsChain)"))
    _check_reason_coverage(groups)
    return _assemble("verify_request.json", "ERC-8128-VERIFY-REQUEST", _VERIFY_HEADER,
                     _VERIFY_NOTES, groups, schema=_verify_schema())


def _check_reason_coverage(groups: Sequence[JsonObject]) -> None:
    for profile in ("draft", "legacy"):
        counts = dict.fromkeys(REASON_CODES, 0)
        for group in groups:
            if group.get("profile") != profile:
                continue
            for test in group["tests"]:
                if test["result"] == "invalid":
                    counts[test["reason"]] += 1
        short = {code: count for code, count in counts.items() if count < 3}
        if short:
            raise Erc8128Error("vector_generation", f"{profile}: fewer than 3 tests for {short}")
# -- sign_request.json ---------------------------------------------------------------------------


def _st(comment: str, flags: Sequence[str], profile: ProfileName, request: Request, *,
        expect: str, key: bytes = KEY_1, chain_id: int = 1, created: int = CREATED,
        expires: int = EXPIRES, nonce: str | None = DRAFT_NONCE, label: str = "eth",
        components: Sequence[str] | None = None, params: Mapping[str, Any] | None = None,
        **extra: Any) -> JsonObject:
    inputs: JsonObject = {
        "request": request_to_json(request),
        "private_key_hex": key.hex(),
        "chain_id": chain_id,
        "created": created,
        "expires": expires,
        "nonce": nonce,
        "label": label,
        "components": None if components is None else list(components),
        "params": dict(params or {}),
    }
    outcome = run_sign(inputs, profile)
    got = outcome["reason"] if outcome["result"] == "invalid" else "valid"
    if got != expect:
        raise Erc8128Error("vector_generation", f"{comment}: expected {expect}, got {got}")
    fields: JsonObject = {}
    result = outcome.pop("result")
    if result == "invalid":
        fields["reason"] = outcome.pop("reason")
    fields.update(extra)
    fields.update(inputs)
    fields.update(outcome)
    return _test(comment, list(flags), result, **fields)


def _sign_tests(profile: ProfileName) -> list[JsonObject]:
    unsigned = _unsigned_draft_request()
    host = (("Host", "api.example"),)
    get = Request("GET", "https://api.example/items", host)
    get_query = Request("GET", "https://api.example/search?q=erc%208128&page=2", host)
    get_empty_query = Request("GET", "https://api.example/items?", host)
    empty_post = Request("POST", "https://api.example/items",
                         (*host, ("Content-Type", "application/json")), b"")
    sha512_post = replace(unsigned, headers=tuple(
        (name, content_digest(unsigned.body or b"", ("sha-256", "sha-512")))
        if name.lower() == "content-digest" else (name, value)
        for name, value in unsigned.headers))
    no_digest_post = _without(unsigned, "Content-Digest")
    tests: list[JsonObject] = []

    def add(comment: str, request: Request, expect: str = "valid",
            flags: Sequence[str] = (), **options: Any) -> None:
        tests.append(_st(comment, flags, profile, request, expect=expect, **options))

    if profile == "draft":
        add("the draft's positive vector reproduced byte for byte", unsigned,
            flags=["DraftVector"], label="request", components=_default_components("draft"))
    add("default components for a POST with query and content", unsigned)
    add("default components, Content-Digest added by the signer", no_digest_post,
        flags=["DigestAdded"])
    add("default components for a GET without query", get)
    add("default components for a GET with a query", get_query)
    add("default components for a GET with an empty query", get_empty_query)
    add("empty content with Content-Type: no Content-Digest", empty_post)
    add("existing sha-256 + sha-512 Content-Digest is kept and covered", sha512_post)
    add('mode="eoa" parameter', unsigned, flags=["ModeEoa"], params={"mode": "eoa"})
    add("Replayable: no nonce", unsigned, flags=["Replayable"], nonce=None)
    add("empty nonce (D16)", unsigned, flags=["SpecDecision"], nonce="", decision="D16")
    add("key 0x..02 on chain 8453", unsigned, key=KEY_2, chain_id=8453)
    add("key 0x..03, chain 0", get, key=KEY_3, chain_id=0)
    add("key n-1", get_query, key=KEY_HIGH)
    add("300-second window", get, expires=CREATED + 300)
    scheme = ["@scheme"] if profile == "draft" else []
    add("label sig1 and an explicit @query-param component", get_query, label="sig1",
        components=[*scheme, "@authority", "@method", "@path", "@query",
                    '"@query-param";name="q"'])
    add("extra string and integer parameters", get, params={"app": "demo", "v": 2})
    first = _sign(unsigned, profile, label="first")
    add("a second signature (key 0x..02) on an already signed request", first,
        flags=["MultipleSignatures"], key=KEY_2, label="second", nonce="second-nonce")
    add("a third signature on a request with two", _sign(first, profile, key=KEY_2,
                                                         label="second", nonce="n2"),
        flags=["MultipleSignatures"], key=KEY_3, label="third", nonce="n3")
    if profile == "draft":
        add("Class-Bound components (the signer's right)", unsigned,
            components=["@authority", "content-digest", "content-type"], flags=["ClassBound"])
        add("content-type left out although received", unsigned, "insufficient_coverage",
            components=["@scheme", "@authority", "@method", "@path", "@query", "content-digest"])
        add("tag given as an extra parameter", unsigned, "reserved_parameter",
            params={"tag": "other"})
    else:
        add("an application tag (legacy has no tag of its own)", unsigned,
            params={"tag": "app"})
        add("content-type not covered (legacy does not require it)", unsigned,
            components=["@authority", "@method", "@path", "@query", "content-digest"])
    add("@authority left out", unsigned, "insufficient_coverage",
        components=["@method", "@path", "@query", "content-digest", "content-type"])
    add("expires equal to created", unsigned, "invalid_time", expires=CREATED)
    add("expires before created", unsigned, "invalid_time", expires=CREATED - 1)
    add("label already on the request", first, "duplicate_label", label="first")
    add("label that is not an RFC 9651 key", unsigned, "invalid_label", label="Eth")
    add("alg as an extra parameter", unsigned, "reserved_parameter", params={"alg": "x"})
    add("nonce as an extra parameter", unsigned, "reserved_parameter", params={"nonce": "x"})
    add("existing Content-Digest that does not match the content",
        _with_field(unsigned, "Content-Digest", f"sha-256=:{_b64(bytes(32))}:"),
        "content_digest_mismatch")
    add("private key 0", unsigned, "private_key_range", key=bytes(32))
    add("private key n", unsigned, "private_key_range", key=N.to_bytes(32, "big"))
    return tests


def _sign_file() -> VectorFile:
    groups = [
        _group("SignRequestTest", _sign_tests("draft"), profile="draft"),
        _group("SignRequestTest", _sign_tests("legacy"), profile="legacy"),
    ]
    notes = {
        "DraftVector": "Reproduces the ERC-8128 draft's positive vector byte for byte.",
        "DigestAdded": "ERC-8128 §3.1.3: \"A signer sending non-empty content MUST generate "
        "Content-Digest\"; the signer appends it.",
        "ModeEoa": "Extra parameter mode=\"eoa\" (draft §3.3.5; legacy writes it but gives it no "
        "meaning, D8).",
        "Replayable": "nonce null: no nonce parameter, a Replayable signature.",
        "SpecDecision": "Pins a SPEC.md decision (field `decision`).",
        "MultipleSignatures": "The request already carries signatures; the new Signature-Input "
        "and Signature lines are appended.",
        "ClassBound": "Not every Request-Bound component covered: a Class-Bound signature.",
    }
    schema = _schema(
        "ERC-8128 sign_request vectors", "SignRequestTest",
        {
            "request": _REQUEST,
            "private_key_hex": _HEX,
            "chain_id": {"type": "integer"},
            "created": {"type": "integer"},
            "expires": {"type": "integer"},
            "nonce": {"type": ["string", "null"]},
            "label": {"type": "string"},
            "components": {"anyOf": [{"type": "array", "items": {"type": "string"}},
                                     {"type": "null"}]},
            "params": {"type": "object",
                       "additionalProperties": {"type": ["string", "integer", "boolean"]}},
            "headers": _REQUEST["properties"]["headers"],  # type: ignore[index]
            "keyid": {"type": "string"},
            "signature_input": {"type": "string"},
            "signature_base": {"type": "string"},
            "message_hash_hex": _HEX,
            "signature_hex": _HEX,
        },
        ["request", "private_key_hex", "chain_id", "created", "expires", "nonce", "label",
         "components", "params"],
    )
    return _assemble(
        "sign_request.json", "ERC-8128-SIGN-REQUEST",
        ["ERC-8128 sign_request: the complete header list after signing (Content-Digest added "
         "where required, Signature-Input and Signature appended), with keyid, the "
         "Signature-Input member value, the signature base M, H and the RFC 6979 signature.",
         "components null: the profile's default set (Request-Bound plus every component the "
         "profile requires whenever its field is present); parameters are written in the order "
         "created, expires, nonce, keyid, tag (draft), then params in the given order."],
        notes, groups, schema=schema,
        classify=_classify_sign,
    )


# -- replay.json ---------------------------------------------------------------------------------


def _rt(comment: str, flags: Sequence[str], profile: ProfileName | None, policy: JsonObject,
        steps: Sequence[tuple[str, Request, int, str]], **extra: Any) -> JsonObject:
    """One replay sequence: (comment, request, now, expected outcome) per step."""
    step_inputs = [{"request": request_to_json(request), "now": now}
                   for _, request, now, _ in steps]
    outcomes = run_verify_steps(profile, policy, step_inputs)
    json_steps = []
    for (step_comment, _, _, expect), inputs, outcome in zip(steps, step_inputs, outcomes,
                                                            strict=True):
        got = outcome["reason"] if outcome["result"] == "invalid" else "valid"
        if got != expect:
            raise Erc8128Error("vector_generation",
                               f"{comment} / {step_comment}: expected {expect}, got {got}")
        step: JsonObject = {"comment": step_comment, "result": outcome.pop("result")}
        if step["result"] == "invalid":
            step["reason"] = outcome.pop("reason")
            step["status"] = outcome.pop("status")
        step.update(inputs)
        step.update(outcome)
        json_steps.append(step)
    return _test(comment, list(flags), "valid", **extra, policy=policy, steps=json_steps)


def _replay_tests(profile: ProfileName) -> list[JsonObject]:
    base = _signed(profile)
    request = base.request
    later = base.sign(created=CREATED + 60, expires=EXPIRES + 60)
    much_later = base.sign(created=CREATED + 200, expires=EXPIRES + 200)
    other_path = base.sign(replace(base.unsigned,
                                   target_uri="https://api.example/other?view=full"))
    other_signer = base.sign(key=KEY_2)
    other_chain = base.sign(chain_id=8453)
    mutated = replace(request, target_uri="https://api.example/items?view=summary")
    replayable = base.sign(nonce=None)
    empty_nonce = base.sign(nonce="")
    policy = _policy()
    tests = [
        _rt("consume, then reuse", [], profile, policy, [
            ("first use", request, NOW, "valid"),
            ("same request again", request, NOW, "nonce_reused"),
            ("and a third time, later", request, NOW + 20, "nonce_reused"),
        ]),
        _rt("same signer, same nonce, another request", [], profile, policy, [
            ("first request", request, NOW, "valid"),
            ("another path, same nonce", other_path, NOW, "nonce_reused"),
        ]),
        _rt("different signer, same nonce", [], profile, policy, [
            ("key 0x..01", request, NOW, "valid"),
            ("key 0x..02, same nonce", other_signer, NOW, "valid"),
            ("key 0x..02 again", other_signer, NOW, "nonce_reused"),
        ]),
        _rt("same address on another chain, same nonce: another signer id", [], profile,
            _policy(served_chains=[1, 8453]), [
                ("chain 1", request, NOW, "valid"),
                ("chain 8453, same nonce", other_chain, NOW, "valid"),
            ]),
        _rt("a failed candidate consumes nothing (N25)", ["DraftRow"], profile, policy, [
            ("query changed: bad_signature", mutated, NOW, "bad_signature"),
            ("the original request", request, NOW, "valid"),
        ], draftRow="N25"),
        _rt("a rejected request consumes nothing: expired first, then in time", [], profile,
            policy, [
                ("too late", request, EXPIRES + 31, "request_expired"),
                ("in time", request, NOW, "valid"),
            ]),
        _rt("the mark is kept until expires + skew", ["Retention", "SpecDecision"], profile,
            policy, [
                ("first use", request, NOW, "valid"),
                ("at expires + skew", request, EXPIRES + 30, "nonce_reused"),
                ("one second later the request itself has expired", request, EXPIRES + 31,
                 "request_expired"),
            ], decision="D5"),
        _rt("same nonce re-signed 60 s later: still marked", ["Retention"], profile, policy, [
            ("first use", request, NOW, "valid"),
            ("re-signed with created + 60", later, NOW + 60, "nonce_reused"),
        ]),
        _rt("same nonce re-signed after the first mark expired", ["Retention"], profile,
            policy, [
                ("first use (mark until 1700000090)", request, NOW, "valid"),
                ("re-signed with created + 200", much_later, NOW + 200, "valid"),
                ("and reused", much_later, NOW + 201, "nonce_reused"),
            ]),
        _rt("Replayable signatures consume no nonce", ["Replayable"], profile,
            _policy(replay="either"), [
                ("first use", replayable, NOW, "valid"),
                ("again", replayable, NOW, "valid"),
            ]),
        _rt("empty nonce \"\" is single-use", ["SpecDecision"], profile, policy, [
            ("first use", empty_nonce, NOW, "valid"),
            ("again", empty_nonce, NOW, "nonce_reused"),
        ], decision="D16"),
    ]
    two_first = _sign(base.unsigned, profile, label="a", nonce="nonce-a")
    both = _sign(_sign(base.unsigned, profile, label="a", nonce="nonce-a"), profile, label="b",
                 nonce="nonce-b")
    tests.append(_rt("first candidate's nonce reused: the request is refused whole (D28)",
                     ["MultipleSignatures"], profile, policy, [
                         ("one signature, nonce-a", two_first, NOW, "valid"),
                         ("signatures a (nonce-a) and b (nonce-b)", both, NOW, "nonce_reused"),
                         ("the same two again", both, NOW, "nonce_reused"),
                     ], requirement="d28-one-acceptance"))
    return tests


def _cross_profile_tests() -> list[JsonObject]:
    draft, legacy = _signed("draft"), _signed("legacy")
    both = _policy(profiles=["draft", "legacy"])
    return [
        _rt("same signer, same nonce, draft then legacy: one replay key (D4)", ["SpecDecision"],
            None, both, [
                ("draft signature", draft.request, NOW, "valid"),
                ("legacy signature, same key, chain and nonce", legacy.request, NOW,
                 "nonce_reused"),
            ], decision="D4"),
        _rt("same signer, same nonce, legacy then draft: one replay key (D4)", ["SpecDecision"],
            None, both, [
                ("legacy signature", legacy.request, NOW, "valid"),
                ("draft signature, same key, chain and nonce", draft.request, NOW,
                 "nonce_reused"),
            ], decision="D4"),
    ]


def _replay_file() -> VectorFile:
    groups = [
        _group("ReplaySequenceTest", _replay_tests("draft"), profile="draft"),
        _group("ReplaySequenceTest", _replay_tests("legacy"), profile="legacy"),
        _group("ReplaySequenceTest", _cross_profile_tests(), profile=None),
        *one_acceptance.replay_groups(_rt, _policy, _group),  # D28, D29
    ]
    notes = {
        "DraftRow": "A row of the draft's Negative and classification table (field `draftRow`).",
        "SpecDecision": "Pins a SPEC.md decision (field `decision`).",
        "Retention": "ERC-8128 §3.1.2: the mark is retained \"until the request can no longer be "
        "accepted, including allowed clock skew\", i.e. until expires + skew.",
        "Replayable": "No nonce: nothing to consume.",
        "MultipleSignatures": "Several candidates on one request, evaluated in wire order.",
        **one_acceptance.NOTES,
    }
    step = {
        "type": "object",
        "additionalProperties": False,
        "required": ["comment", "result", "request", "now"],
        "properties": {
            "comment": {"type": "string"},
            "result": {"enum": ["valid", "invalid"]},
            "request": _REQUEST,
            "now": {"type": "integer"},
            **_VERIFY_OUTCOME,
        },
        "if": {"properties": {"result": {"const": "invalid"}}},
        "then": {"required": ["reason", "status"]},
    }
    schema = _schema("ERC-8128 replay sequence vectors", "ReplaySequenceTest",
                     {"policy": _POLICY, "steps": {"type": "array", "items": step,
                                                   "minItems": 2}},
                     ["policy", "steps"])
    return _assemble(
        "replay.json", "ERC-8128-REPLAY",
        ["Each test is an ordered sequence of verify_request steps against ONE fresh replay "
         "state (reset it before the test, keep it between steps). Each step has its own "
         "request, now and expected outcome (as in verify_request.json); the replay state's "
         "clock is the step's now. A test passes when every step does; the test's own result "
         "is always valid."],
        notes, groups, schema=schema,
        classify=_by_flags(_REPLAY_REQUIREMENTS, valid="nonce-unused"),
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
    _sign_file,
    _verify_file,
    _replay_file,
)


def build_all() -> list[VectorFile]:
    """Every vectors file with its schema, in a fixed order."""
    return [builder() for builder in _BUILDERS]


README: Final = VECTORS_DIR / "README.md"
_COUNTS_BEGIN: Final = "<!-- counts: generated by generate.py -->"
_COUNTS_END: Final = "<!-- end of counts -->"


def _counts_table(files: Sequence[VectorFile]) -> str:
    """The README's per-file table: tests, and valid / invalid / acceptable."""
    rows = ["| file | tests | valid | invalid | acceptable |",
            "| --- | ---: | ---: | ---: | ---: |"]
    total = 0
    for vector_file in files:
        results = [test["result"] for group in vector_file.document["testGroups"]
                   for test in group["tests"]]
        total += len(results)
        rows.append(f"| `{vector_file.name}` | {len(results)} | {results.count('valid')} | "
                    f"{results.count('invalid')} | {results.count('acceptable')} |")
    rows.append(f"| total | {total} | | | |")
    rows += ["", "### Flags in each file", ""]
    for vector_file in files:
        rows.append(f"`{vector_file.name}`:")
        rows.append("")
        for flag, note in vector_file.document["notes"].items():
            bug_type = f" ({note['bugType']})" if "bugType" in note else ""
            rows.append(f"- `{flag}`{bug_type}: {note['description']}")
        rows.append("")
    return "\n".join(rows).rstrip("\n")


def _readme(files: Sequence[VectorFile]) -> str:
    """README.md with its counts section regenerated (the rest is written by hand)."""
    text = README.read_text(encoding="utf-8")
    begin = text.index(_COUNTS_BEGIN) + len(_COUNTS_BEGIN)
    end = text.index(_COUNTS_END)
    return text[:begin] + "\n" + _counts_table(files) + "\n" + text[end:]


def _outputs(files: Sequence[VectorFile]) -> Iterator[tuple[Path, str]]:
    for vector_file in files:
        yield VECTORS_DIR / vector_file.name, render(vector_file.document)
        yield SCHEMA_DIR / vector_file.schema_name, render(vector_file.schema)
    yield README, _readme(files)
    yield VECTORS_DIR / REGISTRY_NAME, _registry().render()


def main(argv: Sequence[str] | None = None) -> int:
    """Write the vectors (default) or, with ``--check``, report files that would change."""
    parser = argparse.ArgumentParser(prog="python -m erc8128_vectors.generate",
                                     description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 and print a diff if any file would change")
    arguments = parser.parse_args(argv)
    _REGISTRY.clear()
    try:
        outputs = list(_outputs(build_all()))
    except Erc8128Error as error:  # e.g. a published tcId no case produces (vectors/ids.py)
        print(f"error: {error.reason}: {error.message}", file=sys.stderr)
        return 1
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
        print(f"{len(outputs)} files (vectors, schemas, README counts) up to date")
        return 0
    SCHEMA_DIR.mkdir(exist_ok=True)
    for path, text in outputs:
        path.write_text(text, encoding="utf-8")
    print(f"wrote {len(outputs)} files to {VECTORS_DIR}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
