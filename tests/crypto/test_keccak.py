"""Keccak-256 (erc8128.crypto.keccak): the Keccak team's KATs, pycryptodome, hashlib's SHA3-256,
errors.

Both the fast path (``keccak256``, ``keccak_f1600``) and the spec-transcribed reference
(``keccak256_reference``, ``keccak_f1600_reference``) run against the same vectors.
"""

import array
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from Crypto.Hash import keccak as pycryptodome_keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from erc8128.crypto.keccak import (
    COMPLEMENTED_LANES,
    DIGEST_BYTES,
    KECCAK_PADDING_BYTE,
    RATE_BYTES,
    ROTATION_OFFSETS,
    ROUND_CONSTANTS,
    SHA3_PADDING_BYTE,
    KeccakInputError,
    derive_rotation_offsets,
    derive_round_constants,
    keccak256,
    keccak256_reference,
    keccak256_reusing_first_block,
    keccak_f1600,
    keccak_f1600_reference,
)
from erc8128.errors import Erc8128Error

KAT_DIR = Path(__file__).resolve().parents[2] / "vectors" / "third_party" / "keccak"
KAT_FILES = ("ShortMsgKAT_256.txt", "LongMsgKAT_256.txt")

HashFunction = Callable[[bytes | bytearray | memoryview], bytes]
Permutation = Callable[[list[int]], list[int]]

HASHES: dict[str, HashFunction] = {
    "fast": keccak256,
    "reference": keccak256_reference,
    "reusing_first_block": keccak256_reusing_first_block,
}
PERMUTATIONS: dict[str, Permutation] = {
    "fast": keccak_f1600,
    "reference": keccak_f1600_reference,
}


@dataclass(frozen=True)
class KatEntry:
    """One ``Len`` / ``Msg`` / ``MD`` record of a Keccak KAT file."""

    test_id: str
    bit_length: int
    message_hex: str
    digest: bytes


def parse_kat(path: Path) -> list[KatEntry]:
    """Every ``Len = / Msg = / MD =`` record of ``path``, in file order."""
    text = path.read_text(encoding="ascii")
    records = re.findall(
        r"^Len = (\d+)\s*\nMsg = ([0-9A-Fa-f]+)\s*\nMD = ([0-9A-Fa-f]+)\s*$", text, re.MULTILINE
    )
    stem = path.stem.removesuffix("_256")
    return [
        KatEntry(f"{stem}-len{bits}", int(bits), message_hex, bytes.fromhex(digest_hex))
        for bits, message_hex, digest_hex in records
    ]


def kat_message(entry: KatEntry) -> bytes:
    """The message of a byte-aligned entry (``Len = 0`` carries the placeholder ``Msg = 00``)."""
    return bytes.fromhex(entry.message_hex)[: entry.bit_length // 8]


ALL_ENTRIES = [entry for name in KAT_FILES for entry in parse_kat(KAT_DIR / name)]
BYTE_ALIGNED = [entry for entry in ALL_ENTRIES if entry.bit_length % 8 == 0]
NOT_BYTE_ALIGNED = [entry for entry in ALL_ENTRIES if entry.bit_length % 8 != 0]


def pycryptodome_keccak256(data: bytes) -> bytes:
    return pycryptodome_keccak.new(digest_bits=256, data=data).digest()


def pattern(length: int) -> bytes:
    """A message of ``length`` bytes in which neighbouring bytes differ."""
    return bytes((7 * index + 3) % 256 for index in range(length))


# --- the vendored KAT files ----------------------------------------------------------------


def test_kat_files_hold_321_byte_aligned_entries() -> None:
    counts = {name: len(parse_kat(KAT_DIR / name)) for name in KAT_FILES}
    assert counts == {"ShortMsgKAT_256.txt": 256, "LongMsgKAT_256.txt": 65}
    # The parser dropped no record: every "Len =" line became an entry.
    for name in KAT_FILES:
        text = (KAT_DIR / name).read_text(encoding="ascii")
        assert len(re.findall(r"^Len = ", text, re.MULTILINE)) == counts[name]
    assert len(BYTE_ALIGNED) == 321
    # Entries whose bit length is not a multiple of 8 cannot be given to a bytes API; they are
    # skipped. pycryptodome's loader already removed them, so none are left to skip.
    assert len(NOT_BYTE_ALIGNED) == 0
    assert len({entry.test_id for entry in BYTE_ALIGNED}) == 321


def test_kat_messages_have_their_declared_lengths() -> None:
    for entry in BYTE_ALIGNED:
        declared_bytes = max(entry.bit_length // 8, 1)  # Len = 0 is written as Msg = 00
        assert len(entry.message_hex) == 2 * declared_bytes, entry.test_id
        assert len(entry.digest) == DIGEST_BYTES, entry.test_id


def test_extremely_long_kat_parses_to_its_one_entry() -> None:
    # Not run (1 GiB through pure Python); see vectors/third_party/keccak/PROVENANCE.md.
    text = (KAT_DIR / "ExtremelyLongMsgKAT_256.txt").read_text(encoding="utf-8")
    assert re.findall(r"^Repeat = (\d+)$", text, re.MULTILINE) == ["16777216"]
    (repeated,) = re.findall(r"^Text = ([a-z]+)$", text, re.MULTILINE)
    assert len(repeated) * 16777216 == 1 << 30


@pytest.mark.parametrize("implementation", sorted(HASHES))
@pytest.mark.parametrize("entry", BYTE_ALIGNED, ids=[entry.test_id for entry in BYTE_ALIGNED])
def test_kat(entry: KatEntry, implementation: str) -> None:
    assert HASHES[implementation](kat_message(entry)) == entry.digest


# --- boundaries of the 136-byte rate, against pycryptodome --------------------------------

BOUNDARY_LENGTHS = (0, 1, 65, 134, 135, 136, 137, 271, 272, 273, 450)


@pytest.mark.parametrize("implementation", sorted(HASHES))
@pytest.mark.parametrize("length", BOUNDARY_LENGTHS)
def test_boundary_lengths(length: int, implementation: str) -> None:
    message = pattern(length)
    assert HASHES[implementation](message) == pycryptodome_keccak256(message)


def test_one_byte_short_of_a_block_puts_both_padding_bits_in_one_byte() -> None:
    # 135 bytes leave one byte of the block: pad10*1 writes 0x01 | 0x80 = 0x81 there. A
    # message that ends in that very byte, one block long, must hash differently.
    message = pattern(RATE_BYTES - 1)
    assert keccak256(message) != keccak256(message + b"\x81")
    assert keccak256(message) == pycryptodome_keccak256(message)


@st.composite
def messages_near_block_boundaries(draw: st.DrawFn) -> bytes:
    length = draw(st.sampled_from((134, 135, 136, 137, 138, 270, 271, 272, 273, 274, 408)))
    return draw(st.binary(min_size=length, max_size=length))


MESSAGES = st.one_of(st.binary(max_size=600), messages_near_block_boundaries())


@settings(max_examples=200, deadline=None)
@given(message=MESSAGES)
def test_fast_path_matches_pycryptodome(message: bytes) -> None:
    assert keccak256(message) == pycryptodome_keccak256(message)


@settings(max_examples=100, deadline=None)
@given(message=MESSAGES)
def test_reference_matches_pycryptodome(message: bytes) -> None:
    assert keccak256_reference(message) == pycryptodome_keccak256(message)


@settings(max_examples=100, deadline=None)
@given(first_block=st.binary(min_size=RATE_BYTES, max_size=RATE_BYTES),
       tails=st.lists(st.binary(max_size=300), min_size=1, max_size=4))
def test_reusing_the_first_block_matches_pycryptodome(first_block: bytes, tails: list[bytes]
                                                      ) -> None:
    # Messages that share a first block: the second and later ones start from the remembered
    # state (a hit), and still hash as pycryptodome does.
    for tail in tails:
        message = first_block + tail
        assert keccak256_reusing_first_block(message) == pycryptodome_keccak256(message)


def test_the_first_block_cache_is_bounded() -> None:
    from erc8128.crypto import keccak as keccak_module  # noqa: PLC0415 - a private name

    for index in range(keccak_module.FIRST_BLOCK_CACHE_SIZE + 10):
        keccak256_reusing_first_block(index.to_bytes(2, "big") * 100)
    info = keccak_module._first_block_absorbed.cache_info()
    assert info.currsize == keccak_module.FIRST_BLOCK_CACHE_SIZE


# --- the padding byte: Keccak 0x01, not SHA-3's 0x06 ----------------------------------------


def sponge_256(message: bytes, first_padding_byte: int, permutation: Permutation) -> bytes:
    """A 256-bit sponge over ``permutation`` with byte-level pad10*1 and a chosen first byte."""
    fill = RATE_BYTES - len(message) % RATE_BYTES
    padding = bytearray(fill)
    padding[0] |= first_padding_byte
    padding[-1] |= 0x80
    padded = message + bytes(padding)
    state = [0] * 25
    for offset in range(0, len(padded), RATE_BYTES):
        block = padded[offset : offset + RATE_BYTES]
        for index in range(RATE_BYTES // 8):
            state[index] ^= int.from_bytes(block[8 * index : 8 * index + 8], "little")
        state = permutation(state)
    return b"".join(lane.to_bytes(8, "little") for lane in state[:4])


def test_empty_input_is_ethereum_keccak256_not_sha3_256() -> None:
    assert keccak256(b"") == pycryptodome_keccak256(b"")
    assert keccak256(b"") != hashlib.sha3_256(b"").digest()


@pytest.mark.parametrize("implementation", sorted(PERMUTATIONS))
@pytest.mark.parametrize("length", BOUNDARY_LENGTHS)
def test_permutation_with_sha3_padding_is_hashlib_sha3_256(
    length: int, implementation: str
) -> None:
    # The standard library has SHA3-256, which is the same permutation and sponge with the
    # first padding byte 0x06: an independent check of Keccak-f[1600] and of the two constants.
    message = pattern(length)
    permutation = PERMUTATIONS[implementation]
    assert sponge_256(message, SHA3_PADDING_BYTE, permutation) == hashlib.sha3_256(message).digest()
    assert sponge_256(message, KECCAK_PADDING_BYTE, permutation) == keccak256(message)


# --- the permutation and its constants -------------------------------------------------------

LANES = st.lists(st.integers(min_value=0, max_value=2**64 - 1), min_size=25, max_size=25)


# Lanes at the edges of the 64-bit range, where a missing mask or a stray complement shows.
EDGE_LANES = st.lists(
    st.sampled_from((0, 1, 2**63, 2**64 - 1, 2**64 - 2, 0x5555555555555555)),
    min_size=25,
    max_size=25,
)


@settings(max_examples=100, deadline=None)
@given(state=st.one_of(LANES, EDGE_LANES))
def test_fast_permutation_matches_reference(state: list[int]) -> None:
    assert keccak_f1600(state) == keccak_f1600_reference(state)


@pytest.mark.parametrize("lane", [0, 2**64 - 1], ids=["all-zero", "all-one"])
def test_uniform_states(lane: int) -> None:
    state = [lane] * 25
    assert keccak_f1600(state) == keccak_f1600_reference(state)


def test_each_complemented_lane_alone() -> None:
    # The fast path holds COMPLEMENTED_LANES complemented during its rounds; a state that is
    # all ones exactly there (and zero elsewhere) is where an unbalanced complement would show.
    state = [0] * 25
    for x, y in COMPLEMENTED_LANES:
        state[x + 5 * y] = 2**64 - 1
    assert keccak_f1600(state) == keccak_f1600_reference(state)
    for x, y in COMPLEMENTED_LANES:
        single = [0] * 25
        single[x + 5 * y] = 2**64 - 1
        assert keccak_f1600(single) == keccak_f1600_reference(single), (x, y)


def test_permutation_does_not_modify_its_input() -> None:
    state = [(lane * 0x9E3779B97F4A7C15) % 2**64 for lane in range(25)]
    before = list(state)
    keccak_f1600(state)
    keccak_f1600_reference(state)
    assert state == before


def test_permutation_accepts_a_tuple_and_returns_64_bit_lanes() -> None:
    state = tuple((lane * 0x9E3779B97F4A7C15) % 2**64 for lane in range(25))
    output = keccak_f1600(state)
    assert output == keccak_f1600(list(state))
    assert len(output) == 25
    assert all(0 <= lane < 2**64 for lane in output)


def test_listed_round_constants_are_the_fips_202_lfsr_output() -> None:
    assert derive_round_constants() == ROUND_CONSTANTS
    assert len(ROUND_CONSTANTS) == 24


def test_listed_rotation_offsets_are_fips_202_algorithm_2() -> None:
    assert derive_rotation_offsets() == ROTATION_OFFSETS
    # The 25 offsets are all different (0 is the lane (0, 0), which is not rotated).
    flat = sorted(offset for column in ROTATION_OFFSETS for offset in column)
    assert len(set(flat)) == 25


# --- accepted and rejected inputs ------------------------------------------------------------


@pytest.mark.parametrize("implementation", sorted(HASHES))
def test_bytes_like_inputs_hash_their_bytes(implementation: str) -> None:
    function = HASHES[implementation]
    message = pattern(200)
    expected = pycryptodome_keccak256(message)
    assert function(bytearray(message)) == expected
    assert function(memoryview(message)) == expected
    assert function(memoryview(b"xx" + message)[2:]) == expected
    assert function(memoryview(message)[::3]) == pycryptodome_keccak256(message[::3])
    words = array.array("I", [0x01020304, 0x05060708])
    assert function(memoryview(words)) == pycryptodome_keccak256(words.tobytes())


def test_bytearray_input_is_not_modified() -> None:
    message = bytearray(pattern(300))
    keccak256(message)
    assert message == bytearray(pattern(300))


@pytest.mark.parametrize("implementation", sorted(HASHES))
@pytest.mark.parametrize(
    "bad_input",
    ["", "abc", 0, 32, None, [1, 2, 3], (0,), 1.5, True],
    ids=["empty-str", "str", "int-0", "int-32", "none", "list", "tuple", "float", "bool"],
)
def test_non_bytes_input_is_rejected(bad_input: object, implementation: str) -> None:
    with pytest.raises(KeccakInputError) as raised:
        HASHES[implementation](bad_input)  # type: ignore[arg-type]
    assert isinstance(raised.value, Erc8128Error)
    assert raised.value.reason == "input_type"
    assert type(bad_input).__name__ in raised.value.message


@pytest.mark.parametrize("implementation", sorted(HASHES))
def test_released_memoryview_is_rejected(implementation: str) -> None:
    view = memoryview(b"abc")
    view.release()
    with pytest.raises(KeccakInputError) as raised:
        HASHES[implementation](view)
    assert raised.value.reason == "input_released"


BAD_STATES: list[tuple[str, object, str]] = [
    ("24-lanes", [0] * 24, "state_length"),
    ("26-lanes", [0] * 26, "state_length"),
    ("empty", [], "state_length"),
    ("not-a-sequence", 0, "state_type"),
    ("generator", (lane for lane in range(25)), "state_type"),
    ("bytes", bytes(25), "state_type"),
    ("str", "a" * 25, "state_type"),
    ("str-lane", [0] * 24 + ["0"], "lane_type"),
    ("bool-lane", [0] * 24 + [True], "lane_type"),
    ("float-lane", [0.0] + [0] * 24, "lane_type"),
    ("lane-2**64", [0] * 12 + [2**64] + [0] * 12, "lane_range"),
    ("negative-lane", [-1] + [0] * 24, "lane_range"),
]


@pytest.mark.parametrize("implementation", sorted(PERMUTATIONS))
@pytest.mark.parametrize(
    ("bad_state", "reason"),
    [(state, reason) for _, state, reason in BAD_STATES],
    ids=[name for name, _, _ in BAD_STATES],
)
def test_bad_permutation_state_is_rejected(
    bad_state: object, reason: str, implementation: str
) -> None:
    with pytest.raises(KeccakInputError) as raised:
        PERMUTATIONS[implementation](bad_state)  # type: ignore[arg-type]
    assert raised.value.reason == reason
