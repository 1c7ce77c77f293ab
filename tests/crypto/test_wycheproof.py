"""Wycheproof ECDSA secp256k1 vectors through erc8128.crypto.secp256k1.verify (plain ECDSA).

Files (vendored in vectors/third_party/wycheproof/, see PROVENANCE.md there):

* the IEEE P1363 files (signature r ‖ s, 64 bytes) whose hash hashlib offers: SHA-256, SHA-512;
* the "bitcoin" file (DER signature; high s is invalid, as Bitcoin's policy says).

``valid`` must verify, ``invalid`` must be rejected (``verify`` returns False or a typed error is
raised while decoding). ``acceptable`` does not occur in these files; the test asserts that,
so a future file that has such cases cannot pass silently.
"""

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from erc8128.crypto import secp256k1
from erc8128.crypto.secp256k1 import (
    AffinePoint,
    G,
    N,
    decode_public_key,
    reference_add,
    reference_multiply,
    verify,
)
from erc8128.errors import Erc8128Error

VECTORS = Path(__file__).resolve().parents[2] / "vectors/third_party/wycheproof/testvectors_v1"

HASHES: dict[str, Callable[[bytes], bytes]] = {
    "SHA-256": lambda data: hashlib.sha256(data).digest(),
    "SHA-512": lambda data: hashlib.sha512(data).digest(),
    "SHA3-256": lambda data: hashlib.sha3_256(data).digest(),
    "SHA3-512": lambda data: hashlib.sha3_512(data).digest(),
}
RUN_FILES = (
    "ecdsa_secp256k1_sha256_p1363_test.json",
    "ecdsa_secp256k1_sha512_p1363_test.json",
    "ecdsa_secp256k1_sha256_bitcoin_test.json",
)
# Skipped as whole files: SHAKE128/SHAKE256 need an output length, which neither these files
# nor Wycheproof's schemas define.
SKIPPED_FILES = frozenset(
    {
        "ecdsa_secp256k1_shake128_p1363_test.json",
        "ecdsa_secp256k1_shake256_p1363_test.json",
    }
)
EXPECTED_TOTAL = 252 + 322 + 463


class MalformedDer(Exception):
    """A signature that is not the DER encoding of SEQUENCE { INTEGER r, INTEGER s }."""


def _der_length(data: bytes, offset: int) -> tuple[int, int]:
    if offset >= len(data):
        raise MalformedDer("length missing")
    first = data[offset]
    if first < 0x80:
        return first, offset + 1
    count = first & 0x7F
    if count == 0 or count > 2:
        raise MalformedDer("indefinite or oversized length")
    if offset + 1 + count > len(data):
        raise MalformedDer("length truncated")
    length = int.from_bytes(data[offset + 1 : offset + 1 + count], "big")
    if length < 0x80 or data[offset + 1] == 0:
        raise MalformedDer("non-minimal length")
    return length, offset + 1 + count


def _der_integer(data: bytes, offset: int) -> tuple[int, int]:
    if offset >= len(data) or data[offset] != 0x02:
        raise MalformedDer("expected INTEGER")
    length, start = _der_length(data, offset + 1)
    end = start + length
    if length == 0 or end > len(data):
        raise MalformedDer("bad INTEGER length")
    body = data[start:end]
    if body[0] & 0x80:
        raise MalformedDer("negative INTEGER")
    if len(body) > 1 and body[0] == 0 and not body[1] & 0x80:
        raise MalformedDer("non-minimal INTEGER")
    return int.from_bytes(body, "big"), end


def decode_der_signature(data: bytes) -> tuple[int, int]:
    """(r, s) from a strict DER ECDSA-Sig-Value (test helper; the package has no DER on purpose)."""
    if not data or data[0] != 0x30:
        raise MalformedDer("expected SEQUENCE")
    length, start = _der_length(data, 1)
    if start + length != len(data):
        raise MalformedDer("SEQUENCE length does not match")
    r, offset = _der_integer(data, start)
    s, offset = _der_integer(data, offset)
    if offset != len(data):
        raise MalformedDer("trailing data in SEQUENCE")
    return r, s


def decode_p1363_signature(data: bytes) -> tuple[int, int]:
    if len(data) != 64:
        raise MalformedDer(f"expected 64 bytes r ‖ s, got {len(data)}")
    return int.from_bytes(data[:32], "big"), int.from_bytes(data[32:], "big")


def load_cases() -> list[Any]:
    cases = []
    for name in RUN_FILES:
        document = json.loads((VECTORS / name).read_text(encoding="utf-8"))
        count = 0
        for group in document["testGroups"]:
            for test in group["tests"]:
                cases.append(
                    pytest.param(
                        document["schema"],
                        group["sha"],
                        group["publicKey"]["uncompressed"],
                        test,
                        id=f"{name.removesuffix('_test.json')}-tc{test['tcId']}",
                    )
                )
                count += 1
        assert count == document["numberOfTests"], name
    return cases


CASES = load_cases()


def test_the_run_is_not_empty() -> None:
    assert len(CASES) == EXPECTED_TOTAL


def test_every_vendored_file_is_run_or_listed_as_skipped() -> None:
    vendored = {path.name for path in VECTORS.glob("*.json")}
    assert vendored == set(RUN_FILES) | SKIPPED_FILES
    for name in SKIPPED_FILES:
        document = json.loads((VECTORS / name).read_text(encoding="utf-8"))
        assert {group["sha"] for group in document["testGroups"]} <= {"SHAKE128", "SHAKE256"}
        assert all("shakeOutputLength" not in group for group in document["testGroups"])


def verdict(schema: str, sha: str, public_key_hex: str, test: dict[str, Any]) -> bool:
    """True when our plain ECDSA verification accepts the test's signature."""
    public_key = decode_public_key(bytes.fromhex(public_key_hex))
    message_hash = HASHES[sha](bytes.fromhex(test["msg"]))
    signature = bytes.fromhex(test["sig"])
    bitcoin = schema == "ecdsa_bitcoin_verify_schema.json"
    try:
        r, s = decode_der_signature(signature) if bitcoin else decode_p1363_signature(signature)
    except MalformedDer:
        return False
    # Bitcoin's rule (BIP 62 "Low S values in signatures"): s must be at most n/2.
    if bitcoin and s > N // 2:
        return False
    try:
        return verify(public_key, message_hash, r, s)
    except Erc8128Error:
        return False


@pytest.mark.parametrize(("schema", "sha", "public_key_hex", "test"), CASES)
def test_wycheproof(schema: str, sha: str, public_key_hex: str, test: dict[str, Any]) -> None:
    # "acceptable" is not used by these files; if one appears, it must be decided explicitly.
    assert test["result"] in ("valid", "invalid")
    expected = test["result"] == "valid"
    assert verdict(schema, sha, public_key_hex, test) is expected, test["comment"]


def test_sha256_p1363_file_with_reference_arithmetic(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same verdicts when u1·G + u2·Q is computed by the affine double-and-add reference."""

    def multiply_two(u1: int, u2: int, point: AffinePoint) -> AffinePoint | None:
        return reference_add(reference_multiply(u1, G), reference_multiply(u2, point))

    monkeypatch.setattr(secp256k1, "multiply_two", multiply_two)
    cases = [case.values for case in CASES if case.values[0] == "ecdsa_p1363_verify_schema_v1.json"]
    cases = [values for values in cases if values[1] == "SHA-256"]
    assert len(cases) == 252
    for schema, sha, public_key_hex, test in cases:
        expected = test["result"] == "valid"
        assert verdict(schema, sha, public_key_hex, test) is expected, test["tcId"]
