"""Addresses (erc8128.crypto.addresses): EIP-55's own examples, eth-account / eth-utils
cross-checks, and the strict parser against the inputs that ``int(text, 16)`` and ``str.isdigit``
accept."""

from typing import Any

import pytest
from eth_account import Account
from eth_utils import to_checksum_address as eth_utils_checksum
from hypothesis import given, settings
from hypothesis import strategies as st

from erc8128.crypto.addresses import (
    address_of,
    address_of_public_key,
    is_checksum_address,
    parse_address,
    to_checksum_address,
)
from erc8128.crypto.secp256k1 import N, derive_public_key
from erc8128.errors import InvalidAddress, InvalidKey

# EIP-55 "Test Cases" (CC0): all caps, all lower, and normal (mixed-case) addresses.
EIP55_EXAMPLES = [
    "0x52908400098527886E0F7030069857D2E4169EE7",
    "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
    "0xde709f2102306220921060314715629080e2fb77",
    "0x27b1fdb04752bbc536007a920d24acb045561c26",
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
]

scalars = st.integers(min_value=1, max_value=N - 1)
address_bytes = st.binary(min_size=20, max_size=20)


@pytest.mark.parametrize("address", EIP55_EXAMPLES)
def test_eip55_examples(address: str) -> None:
    assert to_checksum_address(address.lower()) == address
    assert to_checksum_address(address.upper().replace("0X", "0x")) == address
    assert is_checksum_address(address)
    assert parse_address(address) == bytes.fromhex(address[2:])


@pytest.mark.parametrize("address", EIP55_EXAMPLES[4:])
def test_mixed_case_with_one_flipped_letter_is_rejected(address: str) -> None:
    index = next(i for i, c in enumerate(address) if i >= 2 and c.isalpha())
    flipped = address[:index] + address[index].swapcase() + address[index + 1 :]
    assert not is_checksum_address(flipped)
    with pytest.raises(InvalidAddress) as raised:
        parse_address(flipped)
    assert raised.value.reason == "address_checksum"
    assert to_checksum_address(flipped) == address


def test_key_one_address() -> None:
    # The address of private key 1, the one ERC-8128's Test Cases use.
    assert address_of((1).to_bytes(32, "big")) == "0x7e5f4552091a69125d5dfcb7b8c2659029395bdf"


@settings(max_examples=100, deadline=None)
@given(scalars)
def test_address_matches_eth_account(d: int) -> None:
    private_key = d.to_bytes(32, "big")
    expected = Account.from_key(private_key).address
    assert address_of(private_key) == expected.lower()
    public_key = derive_public_key(private_key)
    assert address_of_public_key(public_key) == expected.lower()
    assert address_of_public_key(b"\x04" + public_key) == expected.lower()
    assert to_checksum_address(address_of(private_key)) == expected


@settings(max_examples=200, deadline=None)
@given(address_bytes)
def test_checksum_matches_eth_utils(raw: bytes) -> None:
    lowercase = "0x" + raw.hex()
    expected = eth_utils_checksum(lowercase)
    assert to_checksum_address(lowercase) == expected
    assert is_checksum_address(expected)
    assert parse_address(expected) == raw
    assert parse_address(lowercase) == raw
    assert parse_address("0x" + raw.hex().upper()) == raw


GOOD = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
DIGITS = GOOD[2:]

BAD_ADDRESSES: list[tuple[str, Any, str]] = [
    ("bytes", GOOD.encode(), "address_type"),
    ("none", None, "address_type"),
    ("int", int(DIGITS, 16), "address_type"),
    ("no-prefix", DIGITS, "address_length"),
    ("short", GOOD[:-1], "address_length"),
    ("long", GOOD + "0", "address_length"),
    ("empty", "", "address_length"),
    ("uppercase-X", "0X" + DIGITS, "address_prefix"),
    ("no-0x-42-chars", "00" + DIGITS, "address_prefix"),
    ("leading-space", " x" + DIGITS, "address_prefix"),
    ("trailing-space", "0x" + DIGITS[:-1] + " ", "address_hex"),
    ("underscore", "0x" + DIGITS[:-2] + "_1", "address_hex"),
    ("plus", "0x+" + DIGITS[1:], "address_hex"),
    ("minus", "0x-" + DIGITS[1:], "address_hex"),
    ("g", "0x" + DIGITS[:-1] + "g", "address_hex"),
    ("arabic-indic-digits", "0x" + "\u0663" * 40, "address_hex"),
    ("fullwidth-digits", "0x" + "\uff11" * 40, "address_hex"),
    ("superscript-two", "0x" + "\u00b2" + "0" * 39, "address_hex"),
    ("fullwidth-a", "0x" + "\uff41" + "0" * 39, "address_hex"),
    ("nul", "0x" + "\x00" + "0" * 39, "address_hex"),
    ("wrong-checksum", "0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "address_checksum"),
]


@pytest.mark.parametrize(
    ("text", "reason"), [case[1:] for case in BAD_ADDRESSES], ids=[c[0] for c in BAD_ADDRESSES]
)
def test_bad_addresses(text: Any, reason: str) -> None:
    with pytest.raises(InvalidAddress) as raised:
        parse_address(text)
    assert raised.value.reason == reason
    assert not is_checksum_address(text)
    if reason != "address_checksum":
        with pytest.raises(InvalidAddress):
            to_checksum_address(text)


def test_inputs_that_int_would_accept_are_rejected() -> None:
    # int(..., 16) accepts these; a strict parser must not.
    underscores = "0x" + "0" + "_0" * 19 + "0"
    arabic_indic = "0x" + "\u0663" * 40
    spaced = "0x " + "0" * 38 + " "
    signed = "0x+" + "0" * 39
    for text in (underscores, arabic_indic, spaced, signed):
        assert len(text) == 42
        assert int(text[2:], 16) >= 0
        with pytest.raises(InvalidAddress) as raised:
            parse_address(text)
        assert raised.value.reason == "address_hex"


def test_address_of_rejects_bad_keys() -> None:
    with pytest.raises(InvalidKey):
        address_of(b"\x00" * 32)
    with pytest.raises(InvalidKey):
        address_of_public_key(b"\x04" + bytes(64))
