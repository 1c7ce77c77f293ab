"""Keccak-256, Ethereum's hash: the Keccak-f[1600] permutation and the sponge (FIPS 202, Keccak).

Ethereum's ``keccak256`` is the Keccak submission to the SHA-3 competition as it stood before
standardisation (the Keccak team's "Keccak specifications summary",
https://keccak.team/keccak_specs_summary.html): ``Keccak[r=1088, c=512]`` with the multi-rate
padding pad10*1 and nothing else. FIPS 202 (August 2015), which made Keccak
into SHA-3, kept the permutation and the sponge unchanged but, in §6.1, appends two domain bits
``01`` to the message *before* pad10*1:

    FIPS 202 §6.1: "SHA3-256(M) = KECCAK[512] (M || 01, 256)."

Written as bytes in FIPS 202's bit order (the first bit is the least significant bit of a byte),
the first padding byte is therefore

* ``0x01`` for Keccak-256, used by Ethereum: pad10*1 starts with a single 1 bit;
* ``0x06`` for SHA3-256: the bits ``0``, ``1`` of the domain suffix, then the 1 bit of pad10*1.

Both put ``0x80`` in the last byte of the block (the final 1 bit of pad10*1). The two functions
share every other step, so they differ on every input, including the empty one:

* ``keccak256(b"")`` = ``c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470``
* ``hashlib.sha3_256(b"")`` = ``a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a``

so ``hashlib.sha3_256`` is the wrong function for Ethereum, and the standard library offers no
Keccak-256 of its own: this module is it.

Two implementations live side by side and are tested against the same vectors (STYLE.md: "where
speed needs a less obvious algorithm, the obvious one stays nearby as the documented
reference"):

* :func:`keccak_f1600_reference` transcribes the lane-wise pseudo-code of the "Keccak
  specifications summary" line by line, with the state as ``A[x][y]`` lanes, and
  :func:`keccak256_reference` transcribes FIPS 202 Algorithm 8 (SPONGE) and Algorithm 9
  (pad10*1) on bit strings;
* :func:`keccak_f1600` / :func:`keccak256` compute the same functions quickly: the 25 lanes are
  Python ints held in local variables, one round is written out lane by lane with θ, ρ, π, χ
  and ι fused so that no intermediate list is built, and χ runs on a complemented state that
  saves four NOTs in five (see ``_permute``). On the shared 2-core machine this was written
  on (CPython 3.11), one 136-byte block takes a median of about 95 µs on the fast path and
  about 340 µs on the reference path.

Lanes are 64-bit integers ``w = 64``, bytes enter and leave them little-endian (FIPS 202
§B.1: the bit string is read 8 bits to a byte, the first bit the least significant), and the
lane at column ``x``, row ``y`` has index ``x + 5*y`` in the flat state.
"""

import struct
from collections.abc import Sequence
from functools import lru_cache

from erc8128.errors import KeccakInputError

# FIPS 202 §3.1: "b = 25w"; Keccak-f[1600] has b = 1600, so w = 64 bits per lane.
LANE_BITS = 64
LANE_MASK = (1 << LANE_BITS) - 1
STATE_LANES = 25

# FIPS 202 §3.4: Keccak-f[b] is Keccak-p[b, 12 + 2ℓ]; for b = 1600, ℓ = log2(64) = 6, so the
# permutation has 24 rounds.
ROUNDS = 24

# FIPS 202 §5.2: "KECCAK[c] = SPONGE[KECCAK-p[1600, 24], pad10*1, 1600–c]", and §6.1 takes
# c = 512 for a 256-bit digest; the rate is r = 1600 - 512 = 1088 bits = 136 bytes.
RATE_BYTES = 136
RATE_LANES = RATE_BYTES // 8
DIGEST_BYTES = 32

# The first byte of padding (see the module docstring): Keccak's pad10*1 alone, and, for
# comparison only, SHA-3's domain bits 01 followed by pad10*1.
KECCAK_PADDING_BYTE = 0x01
SHA3_PADDING_BYTE = 0x06
# The last bit of pad10*1 is the most significant bit of the block's last byte.
FINAL_PADDING_BYTE = 0x80

# ι: the round constants RC[i], i = 0..23, as listed in the Keccak team's "Keccak
# specifications summary" (https://keccak.team/keccak_specs_summary.html). FIPS 202 §3.2.5
# defines them by the LFSR rc(t) of Algorithm 5; derive_round_constants() recomputes them that
# way and the tests check that the two agree.
ROUND_CONSTANTS: tuple[int, ...] = (
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
    0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
    0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
    0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
    0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
)  # fmt: skip

# ρ: the rotation offsets r[x][y] (indexed by column x, then row y), as listed in the "Keccak
# specifications summary" and in FIPS 202 Table 2 (§3.2.2, there modulo w = 64).
# derive_rotation_offsets() recomputes them by FIPS 202 Algorithm 2.
ROTATION_OFFSETS: tuple[tuple[int, ...], ...] = (
    (0, 36, 3, 41, 18),
    (1, 44, 10, 45, 2),
    (62, 6, 43, 15, 61),
    (28, 55, 25, 21, 56),
    (27, 20, 39, 8, 14),
)

# Multiplying a 64-bit lane v by 2**64 + 1 writes two copies of v side by side, and the 64 bits
# that start at bit 64 - r of that product are v rotated left by r:
#     rot(v, r) = (v * LANE_PAIR >> (64 - r)) & LANE_MASK,
# one operation fewer than ((v << r) | (v >> (64 - r))) & LANE_MASK. Multiplying by
# LANE_PAIR << r instead places the rotated lane at bits 64..127, so that only the mask is left:
#     rot(v, r) << 64 = (v * (LANE_PAIR << r)) & (LANE_MASK << 64).
LANE_PAIR = (1 << LANE_BITS) + 1

# The lanes (x, y) that the fast permutation holds complemented during its rounds (the "lane
# complementing transform" of "Keccak implementation overview" version 3.2, §2.2, whose
# reference code names them be, bi, go, ki, mi, sa). See _permute.
COMPLEMENTED_LANES: tuple[tuple[int, int], ...] = ((1, 0), (2, 0), (3, 1), (2, 2), (2, 3), (0, 4))


def derive_round_constants() -> tuple[int, ...]:
    """Recompute ι's round constants RC[0..23] by FIPS 202 Algorithms 5 and 6."""

    def rc(t: int) -> int:
        # FIPS 202 Algorithm 5: "If t mod 255 = 0, return 1."
        if t % 255 == 0:
            return 1
        # "Let R = 10000000." R[0] is the first bit; it is kept here as bit 0 of an int.
        register = 0b00000001
        for _ in range(t % 255):
            # "R = 0 || R" shifts every bit one place on; "R[0] = R[0] ⊕ R[8]; R[4] = R[4] ⊕
            # R[8]; R[5] = R[5] ⊕ R[8]; R[6] = R[6] ⊕ R[8]"; then "R = Trunc8[R]".
            register <<= 1
            r8 = (register >> 8) & 1
            register ^= r8 | (r8 << 4) | (r8 << 5) | (r8 << 6)
            register &= 0xFF
        # "Return R[0]."
        return register & 1

    constants = []
    for round_index in range(ROUNDS):
        # FIPS 202 Algorithm 6 step 3: "For j from 0 to ℓ, let RC[2^j – 1] = rc(j + 7i_r)."
        constant = 0
        for j in range(7):
            constant |= rc(j + 7 * round_index) << ((1 << j) - 1)
        constants.append(constant)
    return tuple(constants)


def derive_rotation_offsets() -> tuple[tuple[int, ...], ...]:
    """Recompute ρ's rotation offsets r[x][y] by FIPS 202 Algorithm 2."""
    offsets = [[0] * 5 for _ in range(5)]
    # Algorithm 2 step 2: "Let (x, y) = (1, 0)."
    x, y = 1, 0
    for t in range(24):
        # Step 3a: "A′[x, y, z] = A[x, y, (z – (t + 1)(t + 2)/2) mod w]", a left rotation of
        # the lane by (t + 1)(t + 2)/2.
        offsets[x][y] = ((t + 1) * (t + 2) // 2) % LANE_BITS
        # Step 3b: "let (x, y) = (y, (2x + 3y) mod 5)."
        x, y = y, (2 * x + 3 * y) % 5
    # The lane (0, 0) is not rotated: "For all z ... let A′[0, 0, z] = A[0, 0, z]."
    return tuple(tuple(column) for column in offsets)


def _as_bytes(data: object) -> bytes:
    """The bytes of ``data`` (bytes, bytearray or memoryview), copied so they cannot change."""
    if isinstance(data, bytes):
        return data
    if not isinstance(data, (bytearray, memoryview)):
        raise KeccakInputError(
            "input_type",
            f"expected bytes, bytearray or memoryview, got {type(data).__name__}",
        )
    try:
        return bytes(data)
    except ValueError as released:
        raise KeccakInputError(
            "input_released", f"expected a readable buffer, got {released}"
        ) from None


def _check_state(state: object) -> list[int]:
    """The 25 lanes of ``state`` as a list, each checked to be an int in [0, 2**64)."""
    # A byte string is a sequence of ints too, but its items are bytes, not 64-bit lanes.
    if not isinstance(state, Sequence) or isinstance(state, (str, bytes, bytearray)):
        raise KeccakInputError(
            "state_type",
            f"expected a sequence of {STATE_LANES} lanes, got {type(state).__name__}",
        )
    if len(state) != STATE_LANES:
        raise KeccakInputError("state_length", f"expected {STATE_LANES} lanes, got {len(state)}")
    lanes = list(state)
    for index, lane in enumerate(lanes):
        if type(lane) is not int:
            raise KeccakInputError(
                "lane_type", f"expected lane {index} to be an int, got {type(lane).__name__}"
            )
        if not 0 <= lane <= LANE_MASK:
            raise KeccakInputError(
                "lane_range", f"expected lane {index} in [0, 2**64), got {lane:#x}"
            )
    return lanes


def _rot(lane: int, offset: int) -> int:
    """ROT(lane, offset): the 64-bit lane rotated towards its more significant end."""
    return ((lane << offset) | (lane >> (LANE_BITS - offset))) & LANE_MASK


def _round_reference(A: list[list[int]], RC: int) -> list[list[int]]:
    """One round of Keccak-f[1600], as written in the "Keccak specifications summary".

    The summary's pseudo-code, quoted line by line below, indexes lanes ``A[x, y]`` with
    ``x`` and ``y`` taken modulo 5; ``rot(W, r)`` is "a bitwise cyclic shift operation, moving
    bit at position i into position i+r (modulo the lane size)".
    """
    # θ step
    # "C[x] = A[x,0] xor A[x,1] xor A[x,2] xor A[x,3] xor A[x,4], forall x in 0…4"
    C = [A[x][0] ^ A[x][1] ^ A[x][2] ^ A[x][3] ^ A[x][4] for x in range(5)]
    # "D[x] = C[x-1] xor rot(C[x+1],1), forall x in 0…4"
    D = [C[(x - 1) % 5] ^ _rot(C[(x + 1) % 5], 1) for x in range(5)]
    # "A[x,y] = A[x,y] xor D[x], forall (x,y) in (0…4,0…4)"
    A = [[A[x][y] ^ D[x] for y in range(5)] for x in range(5)]
    # ρ and π steps
    # "B[y,2*x+3*y] = rot(A[x,y], r[x,y]), forall (x,y) in (0…4,0…4)"
    B = [[0] * 5 for _ in range(5)]
    for x in range(5):
        for y in range(5):
            B[y][(2 * x + 3 * y) % 5] = _rot(A[x][y], ROTATION_OFFSETS[x][y])
    # χ step
    # "A[x,y] = B[x,y] xor ((not B[x+1,y]) and B[x+2,y]), forall (x,y) in (0…4,0…4)"
    # (not W is W ^ (2**64 - 1) on a 64-bit lane)
    A = [
        [B[x][y] ^ ((B[(x + 1) % 5][y] ^ LANE_MASK) & B[(x + 2) % 5][y]) for y in range(5)]
        for x in range(5)
    ]
    # ι step
    # "A[0,0] = A[0,0] xor RC"
    A[0][0] ^= RC
    return A


def keccak_f1600_reference(state: Sequence[int]) -> list[int]:
    """Keccak-f[1600] on 25 lanes (lane ``x + 5*y`` is A[x, y]), transcribed from the spec.

    This is the documented reference for :func:`keccak_f1600`: it follows the Keccak team's
    pseudo-code line by line, with ``A[x][y]`` as nested lists, and is slow for that reason.
    """
    lanes = _check_state(state)
    A = [[lanes[x + 5 * y] for y in range(5)] for x in range(5)]
    # "for i in 0…n-1: A = Round[b](A, RC[i])", n = 24 rounds for Keccak-f[1600]
    for i in range(ROUNDS):
        A = _round_reference(A, ROUND_CONSTANTS[i])
    return [A[x][y] for y in range(5) for x in range(5)]


def keccak256_reference(data: bytes | bytearray | memoryview) -> bytes:
    """Keccak-256 of ``data``, transcribed from FIPS 202 Algorithms 8 and 9 on bit strings.

    The message and the padding are handled as one bit string held in a Python int (bit k of
    the string is bit k of the int), so pad10*1 is written exactly as FIPS 202 gives it.
    """
    message = _as_bytes(data)
    r = RATE_BYTES * 8
    m = len(message) * 8
    # FIPS 202 Algorithm 9, pad10*1(x, m): "1. Let j = (– m – 2) mod x.
    # 2. Return P = 1 || 0^j || 1." Keccak (unlike SHA-3) appends no domain bits first.
    j = (-m - 2) % r
    # Algorithm 8, SPONGE: "1. Let P = N || pad(r, len(N))."
    P = int.from_bytes(message, "little") | (1 << m) | (1 << (m + 1 + j))
    # "2. Let n = len(P)/r." and "5. Let S = 0^b."
    n = (m + j + 2) // r
    S = [0] * STATE_LANES
    for i in range(n):
        # "6. For i from 0 to n-1, let S = f(S ⊕ (P_i || 0^c))."
        P_i = (P >> (i * r)) & ((1 << r) - 1)
        block = [(P_i >> (LANE_BITS * k)) & LANE_MASK for k in range(STATE_LANES)]
        S = keccak_f1600_reference([S[k] ^ block[k] for k in range(STATE_LANES)])
    # "8. Let Z = Z || Trunc_r(S)." "9. If d ≤ |Z|, then return Trunc_d(Z)": d = 256 ≤ r, so
    # the first 4 lanes of one squeeze are the digest.
    return b"".join(S[k].to_bytes(8, "little") for k in range(DIGEST_BYTES // 8))


def keccak_f1600(state: Sequence[int]) -> list[int]:
    """Keccak-f[1600] on 25 lanes (lane ``x + 5*y`` is A[x, y]): the fast path.

    Same function as :func:`keccak_f1600_reference`; see :func:`_permute` for how it is fast.
    """
    return _permute(_check_state(state))


# The round constants two by two, for the two rounds of one pass through _permute's loop; the
# first of each pair is applied to A[0, 0] while the lanes sit at bits 64..127.
_ROUND_CONSTANT_PAIRS: tuple[tuple[int, int], ...] = tuple(
    (ROUND_CONSTANTS[i] << LANE_BITS, ROUND_CONSTANTS[i + 1]) for i in range(0, ROUNDS, 2)
)


def _permute(state: list[int]) -> list[int]:
    """Keccak-f[1600] on 25 checked lanes, the rounds written out lane by lane.

    The same rounds as :func:`keccak_f1600_reference`, made fast in five ways:

    1. Lane A[x, y] is the local ``a{x}{y}`` and B[x, y] is ``b{x}{y}``: every index of the
       reference becomes a name, and no list is read or written inside the 24 rounds.
    2. θ, ρ, π, χ and ι are fused: θ computes C and D; then one line per lane does θ's XOR
       with D, ρ's rotation and π's move, ``B[y, 2x + 3y] = rot(A[x, y] ^ D[x], r[x, y])``,
       with r[x, y] of ROTATION_OFFSETS written into the line; then one line per lane does χ
       (and ι on A[0, 0]). The constants ``mask``, ``pair`` and ``pair_{r}`` are local names,
       the fastest to load.
    3. A rotation is a multiplication and a mask, without a shift, in every other round (see
       LANE_PAIR): round 2i takes lanes at bits 0..63 and leaves them rotated at bits 64..127
       (``high_mask``); round 2i + 1 takes them there, rotates them with a multiplication, a
       shift and a mask, and leaves them back at bits 0..63. θ and χ work the same at either
       position (only the masks and the round constant are moved up), so the loop body is the
       two rounds and saves 24 shifts per pair of rounds.
    4. The lane complementing transform ("Keccak implementation overview", version 3.2,
       §2.2): the six lanes in COMPLEMENTED_LANES are held complemented (XORed with
       2**64 - 1) during the rounds. θ, ρ and π are XORs and rotations, so they carry the
       complements along; χ's ``~B[x + 1, y] & B[x + 2, y]`` is then rewritten by De Morgan's
       laws into ``&`` and ``|`` of the lanes as held, so that it needs one NOT per row
       instead of five and leaves the same six lanes complemented for the next round. The
       six lanes are complemented on entry and again on exit.
    5. Nothing is checked inside: :func:`keccak_f1600` checks the state once, and
       :func:`keccak256` builds it from 64-bit words.
    """
    mask = LANE_MASK
    high_mask = LANE_MASK << LANE_BITS
    pair = LANE_PAIR
    (
        pair_1, pair_2, pair_3, pair_6, pair_8, pair_10, pair_14, pair_15, pair_18, pair_20,
        pair_21, pair_25, pair_27, pair_28, pair_36, pair_39, pair_41, pair_43, pair_44,
        pair_45, pair_55, pair_56, pair_61, pair_62,
    ) = (pair << r for r in (
        1, 2, 3, 6, 8, 10, 14, 15, 18, 20, 21, 25, 27, 28, 36, 39, 41, 43, 44, 45, 55, 56, 61, 62,
    ))  # fmt: skip
    (
        a00, a10, a20, a30, a40,
        a01, a11, a21, a31, a41,
        a02, a12, a22, a32, a42,
        a03, a13, a23, a33, a43,
        a04, a14, a24, a34, a44,
    ) = state  # fmt: skip
    # Complement A[1, 0], A[2, 0], A[3, 1], A[2, 2], A[2, 3] and A[0, 4] (COMPLEMENTED_LANES).
    a10 ^= mask
    a20 ^= mask
    a31 ^= mask
    a22 ^= mask
    a23 ^= mask
    a04 ^= mask
    for round_constant_even, round_constant_odd in _ROUND_CONSTANT_PAIRS:
        # Round 2i, lanes at bits 0..63 in, at bits 64..127 out.
        # θ: C[x] = A[x, 0] ^ A[x, 1] ^ A[x, 2] ^ A[x, 3] ^ A[x, 4]
        c0 = a00 ^ a01 ^ a02 ^ a03 ^ a04
        c1 = a10 ^ a11 ^ a12 ^ a13 ^ a14
        c2 = a20 ^ a21 ^ a22 ^ a23 ^ a24
        c3 = a30 ^ a31 ^ a32 ^ a33 ^ a34
        c4 = a40 ^ a41 ^ a42 ^ a43 ^ a44
        # θ: D[x] = C[x - 1] ^ rot(C[x + 1], 1)
        d0 = c4 ^ ((c1 * pair >> 63) & mask)
        d1 = c0 ^ ((c2 * pair >> 63) & mask)
        d2 = c1 ^ ((c3 * pair >> 63) & mask)
        d3 = c2 ^ ((c4 * pair >> 63) & mask)
        d4 = c3 ^ ((c0 * pair >> 63) & mask)
        # θ, ρ and π: B[y, 2x + 3y] = rot(A[x, y] ^ D[x], r[x, y])
        b00 = (a00 ^ d0) << 64
        b13 = ((a01 ^ d0) * pair_36) & high_mask
        b21 = ((a02 ^ d0) * pair_3) & high_mask
        b34 = ((a03 ^ d0) * pair_41) & high_mask
        b42 = ((a04 ^ d0) * pair_18) & high_mask
        b02 = ((a10 ^ d1) * pair_1) & high_mask
        b10 = ((a11 ^ d1) * pair_44) & high_mask
        b23 = ((a12 ^ d1) * pair_10) & high_mask
        b31 = ((a13 ^ d1) * pair_45) & high_mask
        b44 = ((a14 ^ d1) * pair_2) & high_mask
        b04 = ((a20 ^ d2) * pair_62) & high_mask
        b12 = ((a21 ^ d2) * pair_6) & high_mask
        b20 = ((a22 ^ d2) * pair_43) & high_mask
        b33 = ((a23 ^ d2) * pair_15) & high_mask
        b41 = ((a24 ^ d2) * pair_61) & high_mask
        b01 = ((a30 ^ d3) * pair_28) & high_mask
        b14 = ((a31 ^ d3) * pair_55) & high_mask
        b22 = ((a32 ^ d3) * pair_25) & high_mask
        b30 = ((a33 ^ d3) * pair_21) & high_mask
        b43 = ((a34 ^ d3) * pair_56) & high_mask
        b03 = ((a40 ^ d4) * pair_27) & high_mask
        b11 = ((a41 ^ d4) * pair_20) & high_mask
        b24 = ((a42 ^ d4) * pair_39) & high_mask
        b32 = ((a43 ^ d4) * pair_8) & high_mask
        b40 = ((a44 ^ d4) * pair_14) & high_mask
        # χ: A[x, y] = B[x, y] ^ (~B[x + 1, y] & B[x + 2, y]) on the complemented lanes,
        # one NOT per row (n{x}{y} = ~B[x, y]); ι: A[0, 0] ^= RC[2i]
        n20 = b20 ^ high_mask
        a00 = b00 ^ (b10 | b20) ^ round_constant_even
        a10 = b10 ^ (n20 | b30)
        a20 = b20 ^ (b30 & b40)
        a30 = b30 ^ (b40 | b00)
        a40 = b40 ^ (b00 & b10)
        n41 = b41 ^ high_mask
        a01 = b01 ^ (b11 | b21)
        a11 = b11 ^ (b21 & b31)
        a21 = b21 ^ (b31 | n41)
        a31 = b31 ^ (b41 | b01)
        a41 = b41 ^ (b01 & b11)
        n32 = b32 ^ high_mask
        a02 = b02 ^ (b12 | b22)
        a12 = b12 ^ (b22 & b32)
        a22 = b22 ^ (n32 & b42)
        a32 = n32 ^ (b42 | b02)
        a42 = b42 ^ (b02 & b12)
        n33 = b33 ^ high_mask
        a03 = b03 ^ (b13 & b23)
        a13 = b13 ^ (b23 | b33)
        a23 = b23 ^ (n33 | b43)
        a33 = n33 ^ (b43 & b03)
        a43 = b43 ^ (b03 | b13)
        n14 = b14 ^ high_mask
        a04 = b04 ^ (n14 & b24)
        a14 = n14 ^ (b24 | b34)
        a24 = b24 ^ (b34 & b44)
        a34 = b34 ^ (b44 | b04)
        a44 = b44 ^ (b04 & b14)
        # Round 2i + 1, lanes at bits 64..127 in, at bits 0..63 out. Its χ and ι repeat round
        # 2i's line for line (deliberate: unrolled rounds, point 3 above; duplicate scan).
        # θ: C[x] = A[x, 0] ^ A[x, 1] ^ A[x, 2] ^ A[x, 3] ^ A[x, 4]
        c0 = a00 ^ a01 ^ a02 ^ a03 ^ a04
        c1 = a10 ^ a11 ^ a12 ^ a13 ^ a14
        c2 = a20 ^ a21 ^ a22 ^ a23 ^ a24
        c3 = a30 ^ a31 ^ a32 ^ a33 ^ a34
        c4 = a40 ^ a41 ^ a42 ^ a43 ^ a44
        # θ: D[x] = C[x - 1] ^ rot(C[x + 1], 1)
        d0 = c4 ^ ((c1 * pair >> 63) & high_mask)
        d1 = c0 ^ ((c2 * pair >> 63) & high_mask)
        d2 = c1 ^ ((c3 * pair >> 63) & high_mask)
        d3 = c2 ^ ((c4 * pair >> 63) & high_mask)
        d4 = c3 ^ ((c0 * pair >> 63) & high_mask)
        # θ, ρ and π: B[y, 2x + 3y] = rot(A[x, y] ^ D[x], r[x, y])
        b00 = (a00 ^ d0) >> 64
        b13 = ((a01 ^ d0) * pair >> (128 - 36)) & mask
        b21 = ((a02 ^ d0) * pair >> (128 - 3)) & mask
        b34 = ((a03 ^ d0) * pair >> (128 - 41)) & mask
        b42 = ((a04 ^ d0) * pair >> (128 - 18)) & mask
        b02 = ((a10 ^ d1) * pair >> (128 - 1)) & mask
        b10 = ((a11 ^ d1) * pair >> (128 - 44)) & mask
        b23 = ((a12 ^ d1) * pair >> (128 - 10)) & mask
        b31 = ((a13 ^ d1) * pair >> (128 - 45)) & mask
        b44 = ((a14 ^ d1) * pair >> (128 - 2)) & mask
        b04 = ((a20 ^ d2) * pair >> (128 - 62)) & mask
        b12 = ((a21 ^ d2) * pair >> (128 - 6)) & mask
        b20 = ((a22 ^ d2) * pair >> (128 - 43)) & mask
        b33 = ((a23 ^ d2) * pair >> (128 - 15)) & mask
        b41 = ((a24 ^ d2) * pair >> (128 - 61)) & mask
        b01 = ((a30 ^ d3) * pair >> (128 - 28)) & mask
        b14 = ((a31 ^ d3) * pair >> (128 - 55)) & mask
        b22 = ((a32 ^ d3) * pair >> (128 - 25)) & mask
        b30 = ((a33 ^ d3) * pair >> (128 - 21)) & mask
        b43 = ((a34 ^ d3) * pair >> (128 - 56)) & mask
        b03 = ((a40 ^ d4) * pair >> (128 - 27)) & mask
        b11 = ((a41 ^ d4) * pair >> (128 - 20)) & mask
        b24 = ((a42 ^ d4) * pair >> (128 - 39)) & mask
        b32 = ((a43 ^ d4) * pair >> (128 - 8)) & mask
        b40 = ((a44 ^ d4) * pair >> (128 - 14)) & mask
        # χ: A[x, y] = B[x, y] ^ (~B[x + 1, y] & B[x + 2, y]) on the complemented lanes,
        # one NOT per row (n{x}{y} = ~B[x, y]); ι: A[0, 0] ^= RC[2i + 1]
        n20 = b20 ^ mask
        a00 = b00 ^ (b10 | b20) ^ round_constant_odd
        a10 = b10 ^ (n20 | b30)
        a20 = b20 ^ (b30 & b40)
        a30 = b30 ^ (b40 | b00)
        a40 = b40 ^ (b00 & b10)
        n41 = b41 ^ mask
        a01 = b01 ^ (b11 | b21)
        a11 = b11 ^ (b21 & b31)
        a21 = b21 ^ (b31 | n41)
        a31 = b31 ^ (b41 | b01)
        a41 = b41 ^ (b01 & b11)
        n32 = b32 ^ mask
        a02 = b02 ^ (b12 | b22)
        a12 = b12 ^ (b22 & b32)
        a22 = b22 ^ (n32 & b42)
        a32 = n32 ^ (b42 | b02)
        a42 = b42 ^ (b02 & b12)
        n33 = b33 ^ mask
        a03 = b03 ^ (b13 & b23)
        a13 = b13 ^ (b23 | b33)
        a23 = b23 ^ (n33 | b43)
        a33 = n33 ^ (b43 & b03)
        a43 = b43 ^ (b03 | b13)
        n14 = b14 ^ mask
        a04 = b04 ^ (n14 & b24)
        a14 = n14 ^ (b24 | b34)
        a24 = b24 ^ (b34 & b44)
        a34 = b34 ^ (b44 | b04)
        a44 = b44 ^ (b04 & b14)

    # Undo the lane complementing transform.
    a10 ^= mask
    a20 ^= mask
    a31 ^= mask
    a22 ^= mask
    a23 ^= mask
    a04 ^= mask
    return [
        a00, a10, a20, a30, a40,
        a01, a11, a21, a31, a41,
        a02, a12, a22, a32, a42,
        a03, a13, a23, a33, a43,
        a04, a14, a24, a34, a44,
    ]  # fmt: skip


_BLOCK = struct.Struct(f"<{RATE_LANES}Q")
_DIGEST = struct.Struct(f"<{DIGEST_BYTES // 8}Q")


def keccak256(data: bytes | bytearray | memoryview) -> bytes:
    """Keccak-256 of ``data`` (Ethereum's ``keccak256``), 32 bytes: the fast path.

    Same function as :func:`keccak256_reference`. The padding is done on bytes: pad10*1 after
    a whole number of bytes is the byte 0x01, zero bytes, and the byte 0x80 (one byte 0x81
    when a single byte is left in the block).
    """
    padded = _padded(_as_bytes(data))
    return _squeeze(_absorb([0] * STATE_LANES, padded, 0))


def _padded(message: bytes) -> bytes:
    """The message followed by pad10*1 up to a whole number of 136-byte blocks."""
    # FIPS 202 Algorithm 9: pad10*1 fills the message up to the next multiple of the rate,
    # with at least the two 1 bits, so 1 to 136 bytes are added.
    fill = RATE_BYTES - len(message) % RATE_BYTES
    if fill == 1:
        padding = bytes((KECCAK_PADDING_BYTE | FINAL_PADDING_BYTE,))
    else:
        padding = bytes((KECCAK_PADDING_BYTE,)) + bytes(fill - 2) + bytes((FINAL_PADDING_BYTE,))
    return message + padding


def _absorb(state: list[int], padded: bytes, start: int) -> list[int]:
    """The state after absorbing the blocks of ``padded`` from byte ``start`` on."""
    for offset in range(start, len(padded), RATE_BYTES):
        # FIPS 202 Algorithm 8 step 6: "let S = f(S ⊕ (P_i || 0^c))"; the block's 17 lanes
        # are read little-endian, the 8 capacity lanes are left as they are.
        block = _BLOCK.unpack_from(padded, offset)
        absorbed = [lane ^ word for lane, word in zip(state, block, strict=False)]
        state = _permute(absorbed + state[RATE_LANES:])
    return state


def _squeeze(state: list[int]) -> bytes:
    # FIPS 202 Algorithm 8 steps 8-9: the digest is the first 256 bits of the state, 4 lanes,
    # little-endian.
    return _DIGEST.pack(*state[: DIGEST_BYTES // 8])


# How many different first blocks keccak256_reusing_first_block remembers (least recently used
# forgotten first); each is 25 lanes, about 1.3 KB.
FIRST_BLOCK_CACHE_SIZE = 256


@lru_cache(maxsize=FIRST_BLOCK_CACHE_SIZE)
def _first_block_absorbed(block: bytes) -> tuple[int, ...]:
    """f(P_0 || 0^c): the sponge state after its first block, from the zero state."""
    return tuple(_absorb([0] * STATE_LANES, block, 0))


def keccak256_reusing_first_block(data: bytes | bytearray | memoryview) -> bytes:
    """:func:`keccak256`, with the state after the first 136-byte block remembered.

    For ERC-191 hashes of signature bases: the first block is the prefix
    "\\x19Ethereum Signed Message:\\n" and byteLength(M), then the first 107 bytes of M (for M
    of 100 to 999 bytes), which are the same on every request of one client to one route of
    the same length (the derived components come first), so its permutation is done once per
    such block instead of once per request. A message of one block or less is hashed as by
    keccak256. The state is a function of the block alone; only public data (signature bases)
    should be hashed here, since whether a block was remembered shows in the time taken.
    """
    padded = _padded(_as_bytes(data))
    if len(padded) == RATE_BYTES:
        return _squeeze(_absorb([0] * STATE_LANES, padded, 0))
    state = list(_first_block_absorbed(padded[:RATE_BYTES]))
    return _squeeze(_absorb(state, padded, RATE_BYTES))
