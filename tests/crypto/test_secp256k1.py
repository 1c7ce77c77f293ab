"""secp256k1 (erc8128.crypto.secp256k1): constants, fast vs reference arithmetic, RFC 6979,
recovery.

Independent cross-checks: the ``ecdsa`` package (point arithmetic, RFC 6979 nonces, signature
verification) and ``eth_keys`` (public keys). They are used here only, never at runtime.
"""

import hashlib
import itertools
from typing import Any

import pytest
from ecdsa import SECP256k1, SigningKey, VerifyingKey
from ecdsa.rfc6979 import generate_k
from ecdsa.util import sigencode_string
from eth_keys import keys as eth_keys
from hypothesis import given, settings
from hypothesis import strategies as st

from erc8128.crypto import secp256k1
from erc8128.crypto.secp256k1 import (
    BETA,
    LAMBDA,
    AffinePoint,
    G,
    N,
    P,
    bits2int,
    decode_public_key,
    derive_public_key,
    encode_public_key,
    glv_split,
    is_on_curve,
    multiply,
    multiply_generator,
    multiply_two,
    private_key_scalar,
    recover,
    reference_add,
    reference_multiply,
    rfc6979_nonces,
    sign,
    verify,
    wnaf,
)
from erc8128.errors import Erc8128Error, InvalidKey, InvalidSignature

scalars = st.integers(min_value=1, max_value=N - 1)
any_scalars = st.integers(min_value=0, max_value=2**256 - 1)
hashes = st.binary(min_size=32, max_size=32)


def ecdsa_point(k: int) -> AffinePoint:
    """k·G computed by the ``ecdsa`` package (an independent implementation)."""
    point = SECP256k1.generator * k
    return AffinePoint(int(point.x()), int(point.y()))


def key_bytes(d: int) -> bytes:
    return d.to_bytes(32, "big")


def non_residue_x() -> int:
    """The smallest x ≥ 1 for which x³ + 7 has no square root mod p (x is on no curve point)."""
    x = 1
    while pow((x**3 + 7) % P, (P - 1) // 2, P) == 1:
        x += 1
    return x


# --- constants ----------------------------------------------------------------------------


def test_generator_is_on_the_curve_and_has_order_n() -> None:
    assert is_on_curve(G)
    assert reference_add(reference_multiply(N - 1, G), G) is None
    assert (G.x, G.y) == (int(SECP256k1.generator.x()), int(SECP256k1.generator.y()))
    assert (SECP256k1.curve.p(), SECP256k1.order) == (P, N)


def test_endomorphism_constants() -> None:
    assert pow(BETA, 3, P) == 1
    assert BETA != 1
    assert pow(LAMBDA, 3, N) == 1
    assert LAMBDA != 1
    lambda_G = reference_multiply(LAMBDA, G)
    assert lambda_G == AffinePoint(BETA * G.x % P, G.y)


def test_glv_lattice_vectors() -> None:
    # (a_i, b_i) must satisfy a_i + b_i·λ ≡ 0 (mod n) and be short (about √n).
    for a, b in ((secp256k1._A1, secp256k1._B1), (secp256k1._A2, secp256k1._B2)):
        assert (a + b * LAMBDA) % N == 0
        assert abs(a).bit_length() <= 129
        assert abs(b).bit_length() <= 129


@settings(max_examples=200, deadline=None)
@given(any_scalars)
def test_glv_split_recombines_to_short_halves(k: int) -> None:
    k1, k2 = glv_split(k % N)
    assert (k1 + k2 * LAMBDA - k) % N == 0
    assert abs(k1).bit_length() <= 129
    assert abs(k2).bit_length() <= 129


@settings(max_examples=200, deadline=None)
@given(any_scalars, st.integers(min_value=2, max_value=12))
def test_wnaf_digits(k: int, width: int) -> None:
    digits = wnaf(k, width)
    assert sum(digit << position for position, digit in digits) == k
    for position, digit in digits:
        assert digit % 2 == 1
        assert abs(digit) < 2 ** (width - 1)
        assert position >= 0
    positions = [position for position, _ in digits]
    assert positions == sorted(positions)
    for lower, upper in itertools.pairwise(positions):
        assert upper - lower >= width


# --- fast arithmetic vs the reference and vs ecdsa -----------------------------------------


@settings(max_examples=40, deadline=None)
@given(scalars)
def test_reference_multiply_matches_ecdsa(k: int) -> None:
    assert reference_multiply(k, G) == ecdsa_point(k)


@settings(max_examples=150, deadline=None)
@given(any_scalars)
def test_multiply_generator_matches_reference_and_ecdsa(k: int) -> None:
    expected = ecdsa_point(k % N) if k % N else None
    assert multiply_generator(k) == expected


@settings(max_examples=60, deadline=None)
@given(scalars, any_scalars)
def test_multiply_matches_reference(d: int, k: int) -> None:
    point = multiply_generator(d)
    assert multiply(k, point) == reference_multiply(k, point)


@settings(max_examples=60, deadline=None)
@given(scalars, any_scalars, any_scalars)
def test_multiply_two_matches_reference(d: int, u1: int, u2: int) -> None:
    point = multiply_generator(d)
    expected = reference_add(reference_multiply(u1, G), reference_multiply(u2, point))
    assert multiply_two(u1, u2, point) == expected


@pytest.mark.parametrize(
    ("k", "expected"),
    [
        (0, None),
        (N, None),
        (1, G),
        (N - 1, AffinePoint(G.x, P - G.y)),
        (N + 1, G),
        (2, reference_add(G, G)),
    ],
    ids=["zero", "n", "one", "n-1", "n+1", "two"],
)
def test_multiplication_edge_scalars(k: int, expected: AffinePoint | None) -> None:
    assert multiply_generator(k) == expected
    assert multiply(k, G) == expected
    assert reference_multiply(k, G) == expected
    assert multiply(k, None) is None


TRICKY_SCALARS = [
    LAMBDA,
    N - LAMBDA,
    LAMBDA * LAMBDA % N,
    N // 2,
    N // 2 + 1,
    2**128,
    2**128 - 1,
    2**255,
    2**256 - 1,
    secp256k1._A1,
    -secp256k1._B1,
    secp256k1._A2,
]


@pytest.mark.parametrize("k", TRICKY_SCALARS, ids=[f"{k:#x}"[:12] for k in TRICKY_SCALARS])
def test_tricky_scalars(k: int) -> None:
    point = multiply_generator(0xC0FFEE)
    assert multiply_generator(k) == reference_multiply(k, G)
    assert multiply(k, point) == reference_multiply(k, point)
    assert multiply_two(k, k, point) == reference_add(
        reference_multiply(k, G), reference_multiply(k, point)
    )


def test_multiply_two_edge_cases() -> None:
    # u1·G + u2·G with u1 + u2 ≡ 0: the sum is O (an addition with H = 0, R ≠ 0).
    assert multiply_two(5, N - 5, G) is None
    # u1·G = u2·Q: the final addition is a doubling in disguise (H = 0, R = 0).
    assert multiply_two(3, 3, G) == reference_multiply(6, G)
    three_G = reference_multiply(3, G)
    assert three_G is not None
    assert multiply_two(9, 2, three_G) == reference_multiply(15, G)
    assert multiply_two(0, 0, three_G) is None
    assert multiply_two(0, 1, three_G) == three_G
    assert multiply_two(1, 0, three_G) == G


# --- keys ----------------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(scalars)
def test_public_key_matches_ecdsa_and_eth_keys(d: int) -> None:
    public_key = derive_public_key(key_bytes(d))
    assert public_key == SigningKey.from_secret_exponent(d, SECP256k1).verifying_key.to_string()
    assert public_key == eth_keys.PrivateKey(key_bytes(d)).public_key.to_bytes()


@pytest.mark.parametrize(
    ("private_key", "reason"),
    [
        (b"\x00" * 32, "private_key_range"),
        (N.to_bytes(32, "big"), "private_key_range"),
        ((N + 1).to_bytes(32, "big"), "private_key_range"),
        (b"\xff" * 32, "private_key_range"),
        (b"\x01" * 31, "private_key_length"),
        (b"\x01" * 33, "private_key_length"),
        (b"", "private_key_length"),
        ("01" * 32, "private_key_type"),
        (bytearray(b"\x01" * 32), "private_key_type"),
        (1, "private_key_type"),
        (None, "private_key_type"),
    ],
    ids=[
        "zero",
        "n",
        "n+1",
        "max",
        "31-bytes",
        "33-bytes",
        "empty",
        "str",
        "bytearray",
        "int",
        "none",
    ],
)
def test_bad_private_keys(private_key: Any, reason: str) -> None:
    with pytest.raises(InvalidKey) as raised:
        private_key_scalar(private_key)
    assert raised.value.reason == reason
    with pytest.raises(InvalidKey) as raised:
        sign(private_key, bytes(32))
    assert raised.value.reason == reason


def test_extreme_valid_private_keys() -> None:
    assert private_key_scalar(key_bytes(1)) == 1
    assert private_key_scalar(key_bytes(N - 1)) == N - 1
    assert derive_public_key(key_bytes(N - 1)) == encode_public_key(AffinePoint(G.x, P - G.y))


@settings(max_examples=50, deadline=None)
@given(scalars)
def test_public_key_encodings_round_trip(d: int) -> None:
    verifying_key = SigningKey.from_secret_exponent(d, SECP256k1).verifying_key
    point = decode_public_key(verifying_key.to_string("raw"))
    assert decode_public_key(verifying_key.to_string("uncompressed")) == point
    assert decode_public_key(verifying_key.to_string("compressed")) == point
    assert encode_public_key(point) == verifying_key.to_string("raw")


def _bad_public_keys() -> list[tuple[Any, str]]:
    raw = derive_public_key(key_bytes(7))
    y = int.from_bytes(raw[32:], "big")
    off_curve = raw[:32] + ((y + 1) % P).to_bytes(32, "big")
    bad_x = non_residue_x()
    return [
        (raw.hex(), "public_key_type"),
        (bytearray(raw), "public_key_type"),
        (raw[:63], "public_key_length"),
        (raw + b"\x00", "public_key_prefix"),
        (b"\x04" + raw + b"\x00", "public_key_length"),
        (b"\x05" + raw, "public_key_prefix"),
        (b"\x04" + raw[:32], "public_key_prefix"),
        (P.to_bytes(32, "big") + raw[32:], "public_key_range"),
        (raw[:32] + P.to_bytes(32, "big"), "public_key_range"),
        (raw[:32] + b"\xff" * 32, "public_key_range"),
        (off_curve, "public_key_not_on_curve"),
        (b"\x04" + off_curve, "public_key_not_on_curve"),
        (bytes(64), "public_key_not_on_curve"),
        (b"\x02" + bad_x.to_bytes(32, "big"), "public_key_not_on_curve"),
        (b"\x02" + P.to_bytes(32, "big"), "public_key_range"),
        (b"\x03" + b"\xff" * 32, "public_key_range"),
        (b"\x00" + raw[:32], "public_key_prefix"),
    ]


@pytest.mark.parametrize(("data", "reason"), _bad_public_keys())
def test_bad_public_keys(data: Any, reason: str) -> None:
    with pytest.raises(InvalidKey) as raised:
        decode_public_key(data)
    assert raised.value.reason == reason


def test_off_curve_point_is_rejected_by_verify() -> None:
    with pytest.raises(InvalidKey) as raised:
        verify(AffinePoint(G.x, G.y + 1), bytes(32), 1, 1)
    assert raised.value.reason == "public_key_not_on_curve"


# --- RFC 6979 ------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(scalars, hashes)
def test_rfc6979_candidates_match_ecdsa(d: int, message_hash: bytes) -> None:
    candidates = rfc6979_nonces(d, message_hash)
    for retry in range(3):
        expected = generate_k(N, d, hashlib.sha256, message_hash, retry_gen=retry)
        assert next(candidates) == expected


def test_rfc6979_bits2int_truncates_long_hashes() -> None:
    digest = hashlib.sha512(b"sample").digest()
    assert bits2int(digest) == int.from_bytes(digest[:32], "big")
    assert bits2int(b"\x01") == 1


def test_sign_retries_when_r_is_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    # RFC 6979 §3.2 h.3: a k that gives r = 0 is skipped and the next candidate is used.
    d = 0xC9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721
    message_hash = hashlib.sha256(b"sample").digest()
    first_k = next(rfc6979_nonces(d, message_hash))
    real_multiply_generator = secp256k1.multiply_generator

    def r_is_zero_for_the_first_k(k: int) -> AffinePoint | None:
        if k == first_k:
            return AffinePoint(N, 1)
        return real_multiply_generator(k)

    monkeypatch.setattr(secp256k1, "multiply_generator", r_is_zero_for_the_first_k)
    signature = sign(key_bytes(d), message_hash)
    monkeypatch.undo()
    second_k = generate_k(N, d, hashlib.sha256, message_hash, retry_gen=1)
    R = multiply_generator(second_k)
    assert R is not None
    assert signature.r == R.x % N
    assert recover(message_hash, signature.r, signature.s, signature.recovery_id) == (
        multiply_generator(d)
    )


# --- signing, recovery, verification --------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(scalars, hashes)
def test_sign_is_low_s_and_verifies_under_ecdsa(d: int, message_hash: bytes) -> None:
    signature = sign(key_bytes(d), message_hash)
    assert 1 <= signature.r < N
    assert 1 <= signature.s <= N // 2
    assert signature.recovery_id in (0, 1)
    verifying_key = SigningKey.from_secret_exponent(d, SECP256k1).verifying_key
    encoded = signature.r.to_bytes(32, "big") + signature.s.to_bytes(32, "big")
    assert verifying_key.verify_digest(encoded, message_hash)
    Q = recover(message_hash, signature.r, signature.s, signature.recovery_id)
    assert encode_public_key(Q) == derive_public_key(key_bytes(d))
    assert verify(Q, message_hash, signature.r, signature.s)
    # The other recovery id gives another key; the high-s twin verifies under plain ECDSA.
    other = recover(message_hash, signature.r, signature.s, signature.recovery_id ^ 1)
    assert other != Q
    assert verify(Q, message_hash, signature.r, N - signature.s)


@settings(max_examples=60, deadline=None)
@given(scalars, hashes)
def test_ecdsa_signatures_recover_under_ours(d: int, message_hash: bytes) -> None:
    signing_key = SigningKey.from_secret_exponent(d, SECP256k1)
    encoded = signing_key.sign_digest_deterministic(
        message_hash, hashfunc=hashlib.sha256, sigencode=sigencode_string
    )
    r = int.from_bytes(encoded[:32], "big")
    s = int.from_bytes(encoded[32:], "big")
    expected = decode_public_key(signing_key.verifying_key.to_string())
    assert recover(message_hash, r, s, 0) == expected or recover(message_hash, r, s, 1) == expected
    assert verify(expected, message_hash, r, s)
    candidates = VerifyingKey.from_public_key_recovery_with_digest(encoded, message_hash, SECP256k1)
    ours = {encode_public_key(recover(message_hash, r, s, j)) for j in (0, 1)}
    assert {candidate.to_string() for candidate in candidates} == ours


@settings(max_examples=60, deadline=None)
@given(scalars, hashes, hashes)
def test_verify_rejects_another_hash(d: int, message_hash: bytes, other_hash: bytes) -> None:
    signature = sign(key_bytes(d), message_hash)
    Q = multiply_generator(d)
    assert Q is not None
    expected = bits2int(other_hash) % N == bits2int(message_hash) % N
    assert verify(Q, other_hash, signature.r, signature.s) is expected


@pytest.mark.parametrize(
    ("r", "s", "recovery_id", "reason"),
    [
        (0, 1, 0, "signature_r_range"),
        (N, 1, 0, "signature_r_range"),
        (-1, 1, 0, "signature_r_range"),
        (G.x, 0, 0, "signature_s_range"),
        (G.x, N, 0, "signature_s_range"),
        (G.x, 1, 4, "recovery_id"),
        (G.x, 1, -1, "recovery_id"),
        (non_residue_x(), 1, 0, "recovery_failed"),
        (P - N, 1, 2, "recovery_failed"),
        (G.x, "1", 0, "signature_s_type"),
        (G.x, 1.0, 0, "signature_s_type"),
        (True, 1, 0, "signature_r_type"),
        (G.x, 1, None, "signature_recovery_id_type"),
    ],
    ids=[
        "r=0",
        "r=n",
        "r=-1",
        "s=0",
        "s=n",
        "id=4",
        "id=-1",
        "r-not-x",
        "r+n>=p",
        "s-str",
        "s-float",
        "r-bool",
        "id-none",
    ],
)
def test_recover_rejections(r: Any, s: Any, recovery_id: Any, reason: str) -> None:
    with pytest.raises(InvalidSignature) as raised:
        recover(bytes(32), r, s, recovery_id)
    assert raised.value.reason == reason


def test_recover_rejects_bad_hash_type() -> None:
    with pytest.raises(InvalidSignature) as raised:
        recover("00" * 32, G.x, 1, 0)  # type: ignore[arg-type]
    assert raised.value.reason == "hash_type"


def test_recovery_ids_2_and_3() -> None:
    # SEC 1 §4.1.6 step 1.1: "Let x = r + jn": ids 2 and 3 stand for R.x = r + n (< p).
    x = N + 1
    while pow((x**3 + 7) % P, (P - 1) // 2, P) != 1:
        x += 1
    r = x - N
    for recovery_id in (2, 3):
        Q = recover(bytes(32), r, 1, recovery_id)
        assert verify(Q, bytes(32), r, 1)
        # With e = 0, Q = r^-1·s·R and R = (r + n, y of the id's parity).
        R = secp256k1._lift_x(x, recovery_id & 1)
        assert reference_multiply(pow(r, -1, N), R) == Q


def test_verify_rejects_out_of_range_scalars() -> None:
    for r, s in ((0, 1), (N, 1), (1, 0), (1, N)):
        with pytest.raises(InvalidSignature):
            verify(G, bytes(32), r, s)


@settings(max_examples=150, deadline=None)
@given(st.binary(min_size=32, max_size=32), any_scalars, any_scalars, st.integers(0, 3))
def test_recover_never_raises_anything_else(
    message_hash: bytes, r: int, s: int, recovery_id: int
) -> None:
    try:
        Q = recover(message_hash, r, s, recovery_id)
    except Erc8128Error:
        return
    assert is_on_curve(Q)
    assert verify(Q, message_hash, r, s)


OFF_CURVE = AffinePoint(G.x, G.y + 1)
BAD_ARITHMETIC_CALLS: list[tuple[str, Any, str]] = [
    ("multiply-off-curve", lambda: multiply(3, OFF_CURVE), "public_key_not_on_curve"),
    ("multiply-two-off-curve", lambda: multiply_two(1, 3, OFF_CURVE), "public_key_not_on_curve"),
    ("reference-off-curve", lambda: reference_multiply(3, OFF_CURVE), "public_key_not_on_curve"),
    ("reference-add-off-curve", lambda: reference_add(G, OFF_CURVE), "public_key_not_on_curve"),
    (
        "multiply-x-too-big",
        lambda: multiply(3, AffinePoint(G.x + P, G.y)),
        "public_key_not_on_curve",
    ),
    ("multiply-tuple", lambda: multiply(3, (G.x, G.y)), "point_type"),
    ("multiply-str-scalar", lambda: multiply("3", G), "scalar_type"),
    ("multiply-float-scalar", lambda: multiply_generator(3.0), "scalar_type"),
    ("multiply-bool-scalar", lambda: multiply_generator(True), "scalar_type"),
    ("multiply-two-bytes-scalar", lambda: multiply_two(b"\x01", 1, G), "scalar_type"),
    (
        "multiply-str-coordinates",
        lambda: multiply(3, AffinePoint("1", "2")),
        "public_key_not_on_curve",
    ),
    ("verify-none", lambda: verify(None, bytes(32), 1, 1), "point_type"),
]


@pytest.mark.parametrize(
    ("call", "reason"),
    [case[1:] for case in BAD_ARITHMETIC_CALLS],
    ids=[case[0] for case in BAD_ARITHMETIC_CALLS],
)
def test_arithmetic_rejects_bad_inputs(call: Any, reason: str) -> None:
    with pytest.raises(InvalidKey) as raised:
        call()
    assert raised.value.reason == reason


def test_is_on_curve_is_a_predicate() -> None:
    assert is_on_curve(G)
    assert not is_on_curve(OFF_CURVE)
    assert not is_on_curve((G.x, G.y))  # type: ignore[arg-type]
    assert not is_on_curve(AffinePoint(True, 1))  # type: ignore[arg-type]
    assert not is_on_curve(AffinePoint(-1, G.y))


def test_multiply_two_with_infinity() -> None:
    assert multiply_two(5, 7, None) == reference_multiply(5, G)


# --- the fast layer's internal routines vs the reference ------------------------------------
# (the folded reduction, the addition chain for square roots, the effective-affine odd
# multiples, the batch inversion and the written-out Straus loop)

field_elements = st.integers(min_value=0, max_value=P - 1)


def affine_or_none(jacobian: tuple[int, int, int]) -> AffinePoint | None:
    """The affine point of a Jacobian (X, Y, Z), by the textbook formula (no fast code)."""
    X, Y, Z = jacobian
    if Z % P == 0:
        return None
    Z_inverse = pow(Z, -1, P)
    return AffinePoint(X * Z_inverse**2 % P, Y * Z_inverse**3 % P)


def test_fold_constants() -> None:
    assert secp256k1._C == 2**256 - P
    assert secp256k1._LOW_256 == 2**256 - 1


@settings(max_examples=200, deadline=None)
@given(field_elements, st.integers(min_value=0, max_value=300))
def test_square_repeatedly_matches_pow(a: int, times: int) -> None:
    assert secp256k1._square_repeatedly(a, times) == pow(a, 2**times, P)


@settings(max_examples=200, deadline=None)
@given(field_elements)
def test_sqrt_chain_matches_pow(a: int) -> None:
    root = secp256k1._sqrt(a)
    assert root == pow(a, secp256k1._SQRT_EXPONENT, P)
    # a square (Euler's criterion) gets a true root; a non-square does not.
    assert (root * root % P == a) == (a == 0 or pow(a, (P - 1) // 2, P) == 1)


def test_sqrt_chain_edge_values() -> None:
    for a in (0, 1, 2, 7, P - 1, non_residue_x(), G.y * G.y % P):
        assert secp256k1._sqrt(a) == pow(a, (P + 1) // 4, P)


@settings(max_examples=100, deadline=None)
@given(scalars, field_elements.filter(bool), st.integers(min_value=1, max_value=6))
def test_double_matches_reference(d: int, z: int, times: int) -> None:
    # Any Jacobian representative (z²x, z³y, z) of the same point doubles to the same result.
    point = multiply_generator(d)
    assert point is not None
    jacobian = (point.x * z * z % P, point.y * z**3 % P, z)
    expected: AffinePoint | None = point
    for _ in range(times):
        expected = reference_add(expected, expected)
    assert affine_or_none(secp256k1._double(*jacobian, times)) == expected


@settings(max_examples=100, deadline=None)
@given(scalars, scalars, field_elements.filter(bool))
def test_add_affine_matches_reference(d1: int, d2: int, z: int) -> None:
    point1 = multiply_generator(d1)
    point2 = multiply_generator(d2)
    assert point1 is not None
    assert point2 is not None
    jacobian = (point1.x * z * z % P, point1.y * z**3 % P, z)
    result = secp256k1._add_affine(*jacobian, point2.x, point2.y)
    assert affine_or_none(result) == reference_add(point1, point2)


@pytest.mark.parametrize("case", ["same point", "opposite points", "infinity plus point"])
def test_add_affine_special_cases(case: str) -> None:
    point = multiply_generator(0xC0FFEE)
    assert point is not None
    z = 0x1234567
    jacobian = (point.x * z * z % P, point.y * z**3 % P, z)
    if case == "same point":
        result = secp256k1._add_affine(*jacobian, point.x, point.y)
        assert affine_or_none(result) == reference_add(point, point)
    elif case == "opposite points":
        result = secp256k1._add_affine(*jacobian, point.x, P - point.y)
        assert affine_or_none(result) is None
    else:
        result = secp256k1._add_affine(1, 1, 0, point.x, point.y)
        assert affine_or_none(result) == point


@settings(max_examples=40, deadline=None)
@given(scalars, st.integers(min_value=1, max_value=20))
def test_odd_multiples_match_reference(d: int, count: int) -> None:
    point = multiply_generator(d)
    assert point is not None
    multiples = secp256k1._odd_multiples((point.x, point.y), count)
    assert len(multiples) == count
    for index, (x, y) in enumerate(multiples):
        assert AffinePoint(x, y) == reference_multiply(2 * index + 1, point)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(scalars, field_elements.filter(bool)), min_size=1, max_size=10))
def test_batch_to_affine_matches_one_inversion_each(points: list[tuple[int, int]]) -> None:
    jacobian = []
    expected = []
    for d, z in points:
        point = multiply_generator(d)
        assert point is not None
        jacobian.append((point.x * z * z % P, point.y * z**3 % P, z))
        expected.append((point.x, point.y))
    assert secp256k1._batch_to_affine(jacobian) == expected


@settings(max_examples=60, deadline=None)
@given(scalars, st.lists(any_scalars, min_size=1, max_size=3), st.integers(2, 8))
def test_straus_matches_reference(d: int, ks: list[int], width: int) -> None:
    # Signed scalars of any size against double-and-add, one table per term.
    point = multiply_generator(d)
    assert point is not None
    terms = []
    expected: AffinePoint | None = None
    for index, k in enumerate(ks):
        signed_k = k - 2**255 if index % 2 else k
        base = reference_multiply(index + 1, point)
        assert base is not None
        table = secp256k1._odd_multiples((base.x, base.y), 1 << (width - 2))
        terms.append((signed_k, table, width))
        expected = reference_add(expected, reference_multiply(signed_k % N, base))
    assert affine_or_none(secp256k1._straus(terms)) == expected
