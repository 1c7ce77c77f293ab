"""ERC-191 personal_sign (erc8128.crypto.personal_sign): third-party examples, cross-checks, strict
rules.

The examples are vendored in vectors/third_party/erc191/ (see PROVENANCE.md there). eth-account
and ecdsa are independent implementations used only by these tests.
"""

import hashlib
from typing import Any

import pytest
from Crypto.Hash import keccak as pycryptodome_keccak
from ecdsa import SECP256k1, SigningKey
from ecdsa.util import sigencode_string
from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_defunct
from hypothesis import given, settings
from hypothesis import strategies as st

from erc8128.crypto import secp256k1
from erc8128.crypto.personal_sign import (
    PERSONAL_MESSAGE_PREFIX,
    decode_signature,
    personal_message_hash,
    recover_address,
    recover_public_key,
    sign_hash,
    sign_message,
)
from erc8128.crypto.secp256k1 import (
    AffinePoint,
    G,
    N,
    derive_public_key,
    reference_add,
    reference_multiply,
)
from erc8128.crypto.secp256k1 import multiply_generator as multiply_generator_fast
from erc8128.errors import Erc8128Error, InvalidKey, InvalidSignature
from tests.support.third_party import third_party_json

EXAMPLES = third_party_json("erc191/examples.json")
SIGNED = EXAMPLES["signed_examples"]
HASH_ONLY = EXAMPLES["message_hash_examples"]

scalars = st.integers(min_value=1, max_value=N - 1)
messages = st.binary(max_size=600)


def unhex(text: str) -> bytes:
    return bytes.fromhex(text.removeprefix("0x"))


def test_example_counts() -> None:
    assert len(SIGNED) == 9
    assert len(HASH_ONLY) == 6


# --- the vendored ERC-191 examples ---------------------------------------------------------


@pytest.mark.parametrize("example", SIGNED, ids=[example["id"] for example in SIGNED])
def test_signed_example(example: dict[str, Any]) -> None:
    private_key = unhex(example["private_key"])
    message = unhex(example["message_hex"])
    signature = unhex(example["signature"])
    message_hash = personal_message_hash(message)
    assert PERSONAL_MESSAGE_PREFIX + str(len(message)).encode() + message == unhex(
        example["eip191_prefixed_message_hex"]
    )
    assert message_hash == unhex(example["message_hash"])
    # RFC 6979 is deterministic: the signature must come out byte for byte.
    assert sign_message(private_key, message) == signature
    assert sign_hash(private_key, message_hash) == signature
    assert signature[64] == example["v"]
    assert recover_address(message_hash, signature) == example["address"].lower()
    assert recover_public_key(message_hash, signature) == derive_public_key(private_key)


@pytest.mark.parametrize("example", HASH_ONLY, ids=[str(index) for index in range(len(HASH_ONLY))])
def test_hash_only_example(example: dict[str, Any]) -> None:
    message = unhex(example["message_hex_bytes"])
    if example.get("message_utf8") is not None:
        assert message == example["message_utf8"].encode("utf-8")
    assert personal_message_hash(message) == unhex(example["message_hash"])


def test_length_prefix_counts_utf8_bytes() -> None:
    message = "I♥SF".encode()
    expected = PERSONAL_MESSAGE_PREFIX + b"6" + message
    assert (
        personal_message_hash(message)
        == pycryptodome_keccak.new(digest_bits=256, data=expected).digest()
    )
    signed = [example for example in SIGNED if example["id"] == "eth-account-I-love-SF"]
    assert unhex(signed[0]["eip191_prefixed_message_hex"]) == expected


# --- cross-checks against eth-account and ecdsa ----------------------------------------------


@settings(max_examples=100, deadline=None)
@given(messages)
def test_hash_matches_eth_account(message: bytes) -> None:
    assert personal_message_hash(message) == _hash_eip191_message(encode_defunct(primitive=message))


@settings(max_examples=60, deadline=None)
@given(scalars, messages)
def test_sign_matches_eth_account_and_round_trips(d: int, message: bytes) -> None:
    private_key = d.to_bytes(32, "big")
    signature = sign_message(private_key, message)
    reference = Account.sign_message(encode_defunct(primitive=message), private_key)
    assert signature == bytes(reference.signature)
    message_hash = personal_message_hash(message)
    assert recover_address(message_hash, signature) == Account.from_key(private_key).address.lower()


@settings(max_examples=60, deadline=None)
@given(scalars, messages)
def test_our_signature_verifies_under_ecdsa(d: int, message: bytes) -> None:
    signature = sign_message(d.to_bytes(32, "big"), message)
    verifying_key = SigningKey.from_secret_exponent(d, SECP256k1).verifying_key
    assert verifying_key.verify_digest(signature[:64], personal_message_hash(message))


@settings(max_examples=60, deadline=None)
@given(scalars, messages)
def test_ecdsa_signature_normalised_to_low_s_recovers(d: int, message: bytes) -> None:
    signing_key = SigningKey.from_secret_exponent(d, SECP256k1)
    message_hash = personal_message_hash(message)
    rs = signing_key.sign_digest_deterministic(
        message_hash, hashfunc=hashlib.sha256, sigencode=sigencode_string
    )
    r = int.from_bytes(rs[:32], "big")
    s = int.from_bytes(rs[32:], "big")
    s = min(s, N - s)
    low_s = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    expected = signing_key.verifying_key.to_string()
    recovered = {recover_public_key(message_hash, low_s + bytes((v,))) for v in (27, 28)}
    assert expected in recovered


@settings(max_examples=150, deadline=None)
@given(st.binary(min_size=32, max_size=32), st.binary(min_size=65, max_size=65))
def test_recover_random_bytes_is_an_address_or_a_typed_error(
    message_hash: bytes, signature: bytes
) -> None:
    try:
        address = recover_address(message_hash, signature)
    except InvalidSignature as error:
        assert error.reason in {
            "signature_r_range",
            "signature_s_range",
            "signature_high_s",
            "signature_v",
            "recovery_failed",
        }
        return
    assert address.startswith("0x")
    assert len(address) == 42


# --- the strict rules of ERC-8128 §3.4.3 ----------------------------------------------------

PRIVATE_KEY = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
HASH = personal_message_hash(b"Some data")
GOOD = sign_hash(PRIVATE_KEY, HASH)
GOOD_R = int.from_bytes(GOOD[:32], "big")
GOOD_S = int.from_bytes(GOOD[32:64], "big")


def with_parts(r: int = GOOD_R, s: int = GOOD_S, v: int = GOOD[64]) -> bytes:
    return r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes((v,))


def non_residue_x() -> int:
    P = 2**256 - 2**32 - 977
    x = 1
    while pow((x**3 + 7) % P, (P - 1) // 2, P) == 1:
        x += 1
    return x


STRICT_CASES: list[tuple[str, Any, Any, str]] = [
    ("64-bytes", HASH, GOOD[:64], "signature_length"),
    ("66-bytes", HASH, GOOD + b"\x00", "signature_length"),
    ("empty", HASH, b"", "signature_length"),
    ("compact-eip2098", HASH, GOOD[:64], "signature_length"),
    ("r=0", HASH, with_parts(r=0), "signature_r_range"),
    ("r=n", HASH, with_parts(r=N), "signature_r_range"),
    ("r=2^256-1", HASH, with_parts(r=2**256 - 1), "signature_r_range"),
    ("s=0", HASH, with_parts(s=0), "signature_s_range"),
    ("s=n", HASH, with_parts(s=N), "signature_s_range"),
    ("s=2^256-1", HASH, with_parts(s=2**256 - 1), "signature_s_range"),
    ("s=n-s (high-s twin)", HASH, with_parts(s=N - GOOD_S, v=55 - GOOD[64]), "signature_high_s"),
    ("s=n/2+1", HASH, with_parts(s=N // 2 + 1), "signature_high_s"),
    ("s=n-1", HASH, with_parts(s=N - 1), "signature_high_s"),
    ("v=0", HASH, with_parts(v=0), "signature_v"),
    ("v=1", HASH, with_parts(v=1), "signature_v"),
    ("v=29", HASH, with_parts(v=29), "signature_v"),
    ("v=35 (eip155)", HASH, with_parts(v=35), "signature_v"),
    ("v=37 (eip155)", HASH, with_parts(v=37), "signature_v"),
    ("v=255", HASH, with_parts(v=255), "signature_v"),
    ("r-not-an-x", HASH, with_parts(r=non_residue_x()), "recovery_failed"),
    ("hash-31", HASH[:31], GOOD, "hash_length"),
    ("hash-33", HASH + b"\x00", GOOD, "hash_length"),
    ("hash-str", HASH.hex(), GOOD, "hash_type"),
    ("signature-str", HASH, GOOD.hex(), "signature_type"),
    ("signature-bytearray", HASH, bytearray(GOOD), "signature_type"),
    ("signature-none", HASH, None, "signature_type"),
]


@pytest.mark.parametrize(
    ("message_hash", "signature", "reason"),
    [case[1:] for case in STRICT_CASES],
    ids=[case[0] for case in STRICT_CASES],
)
def test_strict_rule(message_hash: Any, signature: Any, reason: str) -> None:
    with pytest.raises(InvalidSignature) as raised:
        recover_address(message_hash, signature)
    assert raised.value.reason == reason
    assert raised.value.message
    with pytest.raises(InvalidSignature):
        recover_public_key(message_hash, signature)


def test_boundary_values_that_are_allowed() -> None:
    # 1 <= s <= n/2 includes s = n/2 (floor) and s = 1; r = n - 1 and r = 1 are in range.
    assert decode_signature(with_parts(s=N // 2)).s == N // 2
    assert decode_signature(with_parts(s=1)).s == 1
    assert decode_signature(with_parts(r=N - 1)).r == N - 1
    assert decode_signature(with_parts(r=1)).r == 1
    assert decode_signature(with_parts(v=27)).recovery_id == 0
    assert decode_signature(with_parts(v=28)).recovery_id == 1


def test_high_s_twin_is_a_valid_ecdsa_signature_that_we_refuse() -> None:
    # The twin recovers to the same key under lenient rules (eth-account accepts it) ...
    twin = with_parts(s=N - GOOD_S, v=55 - GOOD[64])
    address = recover_address(HASH, GOOD)
    assert Account._recover_hash(HASH, signature=twin).lower() == address
    # ... and ERC-8128 §3.4.3 says "high-`s` ... encodings are invalid".
    with pytest.raises(InvalidSignature) as raised:
        recover_address(HASH, twin)
    assert raised.value.reason == "signature_high_s"


@pytest.mark.parametrize(
    ("private_key", "reason"),
    [
        (b"\x00" * 32, "private_key_range"),
        (N.to_bytes(32, "big"), "private_key_range"),
        (b"\x01" * 31, "private_key_length"),
        ("k", "private_key_type"),
    ],
    ids=["zero", "n", "short", "str"],
)
def test_sign_rejects_bad_keys(private_key: Any, reason: str) -> None:
    with pytest.raises(InvalidKey) as raised:
        sign_message(private_key, b"x")
    assert raised.value.reason == reason


@pytest.mark.parametrize(
    ("function", "arguments", "reason"),
    [
        (sign_hash, (PRIVATE_KEY, HASH[:31]), "hash_length"),
        (sign_hash, (PRIVATE_KEY, HASH.hex()), "hash_type"),
        (sign_message, (PRIVATE_KEY, "text"), "message_type"),
        (personal_message_hash, (bytearray(b"x"),), "message_type"),
    ],
    ids=["hash-31", "hash-str", "message-str", "message-bytearray"],
)
def test_bad_inputs_to_signing(function: Any, arguments: tuple[Any, ...], reason: str) -> None:
    with pytest.raises(Erc8128Error) as raised:
        function(*arguments)
    assert raised.value.reason == reason


# --- the same examples through the reference (affine double-and-add) arithmetic ---------------


@pytest.fixture
def reference_arithmetic(monkeypatch: pytest.MonkeyPatch) -> None:
    """Route signing and recovery through secp256k1's reference layer instead of the fast one."""

    def multiply_generator(k: int) -> AffinePoint | None:
        return reference_multiply(k, G)

    def multiply_two(u1: int, u2: int, point: AffinePoint) -> AffinePoint | None:
        return reference_add(reference_multiply(u1, G), reference_multiply(u2, point))

    monkeypatch.setattr(secp256k1, "multiply_generator", multiply_generator)
    monkeypatch.setattr(secp256k1, "multiply_two", multiply_two)


@pytest.mark.parametrize("example", SIGNED, ids=[example["id"] for example in SIGNED])
def test_signed_example_with_reference_arithmetic(
    reference_arithmetic: None, example: dict[str, Any]
) -> None:
    assert secp256k1.multiply_generator.__name__ == "multiply_generator"
    assert secp256k1.multiply_generator is not multiply_generator_fast
    private_key = unhex(example["private_key"])
    message = unhex(example["message_hex"])
    signature = unhex(example["signature"])
    assert sign_message(private_key, message) == signature
    assert derive_public_key(private_key) == recover_public_key(
        personal_message_hash(message), signature
    )
    assert recover_address(personal_message_hash(message), signature) == example["address"].lower()
