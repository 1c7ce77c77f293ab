"""secp256k1.verify_recoverable: "does (H, r, s, recovery id) recover to this key?" without the
recovery, proved equivalent in its docstring and tested here against recover() itself.

The oracle is the plain path: ``recover(H, r, s, id) == Q`` (a recovery that raises counts as
"not Q"). Every test compares the two on the same input, including the edge cases of the proof:
R.x = r + n (recovery ids 2 and 3), high s, the wrong parity of v, and a key that is not the one
the signature recovers to.
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from erc8128.crypto import secp256k1
from erc8128.crypto.secp256k1 import (
    AffinePoint,
    G,
    N,
    P,
    PrecomputedKey,
    multiply_generator,
    precompute_key,
    recover,
    sign,
    verify,
    verify_recoverable,
)
from erc8128.errors import InvalidKey, InvalidSignature

scalars = st.integers(min_value=1, max_value=N - 1)
hashes = st.binary(min_size=32, max_size=32)


def public_key(d: int) -> AffinePoint:
    point = multiply_generator(d)
    assert point is not None
    return point


def recovers_to(Q: AffinePoint, message_hash: bytes, r: int, s: int, recovery_id: int) -> bool:
    """The plain path the cached one must agree with."""
    try:
        return recover(message_hash, r, s, recovery_id) == Q
    except InvalidSignature:
        return False


def assert_agrees(Q: AffinePoint, message_hash: bytes, r: int, s: int, recovery_id: int) -> bool:
    expected = recovers_to(Q, message_hash, r, s, recovery_id)
    assert verify_recoverable(precompute_key(Q), message_hash, r, s, recovery_id) is expected
    return expected


def _x_above_n(start: int) -> int:
    """The first x >= start, start + n <= x < p, that is the x of a curve point."""
    x = start
    while pow((x**3 + 7) % P, (P - 1) // 2, P) != 1:
        x += 1
    assert N <= x < P
    return x


# -- the signer's own signatures, and their mutations --------------------------------------------


@settings(max_examples=60, deadline=None)
@given(scalars, hashes)
def test_own_signature_and_every_mutation(d: int, message_hash: bytes) -> None:
    Q = public_key(d)
    signature = sign(d.to_bytes(32, "big"), message_hash)
    r, s, recovery_id = signature.r, signature.s, signature.recovery_id
    # The signature as made: recovers to Q.
    assert assert_agrees(Q, message_hash, r, s, recovery_id)
    # Wrong v: the other parity lifts −R, which recovers another key.
    assert not assert_agrees(Q, message_hash, r, s, recovery_id ^ 1)
    # High s with the parity flipped is the same signature for the same Q (ECDSA malleability);
    # with the parity kept it is not.
    assert assert_agrees(Q, message_hash, r, N - s, recovery_id ^ 1)
    assert not assert_agrees(Q, message_hash, r, N - s, recovery_id)
    # Recovery ids 2 and 3 claim R.x = r + n, which is another point (or none).
    assert not assert_agrees(Q, message_hash, r, s, recovery_id | 2)
    # Another hash.
    assert not assert_agrees(Q, bytes(a ^ 1 for a in message_hash), r, s, recovery_id)


@settings(max_examples=60, deadline=None)
@given(scalars, scalars, hashes)
def test_a_key_that_is_not_the_signer(d: int, other: int, message_hash: bytes) -> None:
    signature = sign(d.to_bytes(32, "big"), message_hash)
    wrong_key = public_key(other)
    expected = d == other
    for recovery_id in range(4):
        assert_agrees(wrong_key, message_hash, signature.r, signature.s, recovery_id)
    assert (
        verify_recoverable(
            precompute_key(wrong_key), message_hash, signature.r, signature.s,
            signature.recovery_id,
        )
        is expected
    )


@settings(max_examples=80, deadline=None)
@given(scalars, hashes, scalars, scalars, st.integers(0, 3))
def test_arbitrary_signatures_agree(
    d: int, message_hash: bytes, r: int, s: int, recovery_id: int
) -> None:
    # Random (r, s): recovery mostly gives some other key, or fails; both paths say "not Q".
    assert_agrees(public_key(d), message_hash, r, s, recovery_id)


@settings(max_examples=60, deadline=None)
@given(hashes, scalars, scalars, st.integers(0, 3))
def test_the_recovered_key_always_checks(
    message_hash: bytes, r: int, s: int, recovery_id: int
) -> None:
    # Whatever recover returns for an input, that input checks against it (the ⇒ direction).
    try:
        Q = recover(message_hash, r, s, recovery_id)
    except InvalidSignature:
        return
    assert verify_recoverable(precompute_key(Q), message_hash, r, s, recovery_id)


# -- R.x = r + n: where plain ECDSA verification and recovery part ways -------------------------


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=1, max_value=2**120), hashes, scalars, st.integers(0, 1))
def test_x_equal_to_r_plus_n(offset: int, message_hash: bytes, s: int, parity: int) -> None:
    x = _x_above_n(N + offset)
    r = x - N
    # The key that (r, s) with recovery id 2 + parity recovers to: R.x = r + n.
    Q = recover(message_hash, r, s, 2 | parity)
    assert assert_agrees(Q, message_hash, r, s, 2 | parity)
    assert not assert_agrees(Q, message_hash, r, s, 2 | (parity ^ 1))
    # Plain ECDSA compares x(R) mod n = r, so it accepts this signature with recovery id 0 or 1
    # as well; recovery lifts x = r there, another point, and returns another key.
    assert verify(Q, message_hash, r, s)
    assert not assert_agrees(Q, message_hash, r, s, parity)
    assert not assert_agrees(Q, message_hash, r, s, parity ^ 1)


def test_r_plus_n_beyond_p_is_no_point() -> None:
    # r + n >= p: recover fails ("expected r + n < p"), and the cached path says no.
    r = P - N
    Q = public_key(7)
    for recovery_id in (2, 3):
        assert recovers_to(Q, bytes(32), r, 1, recovery_id) is False
        assert verify_recoverable(precompute_key(Q), bytes(32), r, 1, recovery_id) is False


def test_r_that_is_no_x_coordinate() -> None:
    # x³ + 7 is not a square: recover fails, the cached path says no.
    r = 1
    while pow((r**3 + 7) % P, (P - 1) // 2, P) == 1:
        r += 1
    Q = public_key(11)
    for recovery_id in (0, 1):
        assert recovers_to(Q, bytes(32), r, 5, recovery_id) is False
        assert verify_recoverable(precompute_key(Q), bytes(32), r, 5, recovery_id) is False


# -- the same rejections as recover, and the table --------------------------------------------


@pytest.mark.parametrize(
    ("r", "s", "recovery_id", "reason"),
    [
        (0, 1, 0, "signature_r_range"),
        (N, 1, 0, "signature_r_range"),
        (1, 0, 0, "signature_s_range"),
        (1, N, 0, "signature_s_range"),
        (1, 1, 4, "recovery_id"),
        (1, 1, -1, "recovery_id"),
    ],
)
def test_same_rejections_as_recover(r: int, s: int, recovery_id: int, reason: str) -> None:
    key = precompute_key(G)
    with pytest.raises(InvalidSignature) as cached:
        verify_recoverable(key, bytes(32), r, s, recovery_id)
    with pytest.raises(InvalidSignature) as plain:
        recover(bytes(32), r, s, recovery_id)
    assert cached.value.reason == plain.value.reason == reason


def test_bad_inputs_are_typed_errors() -> None:
    key = precompute_key(G)
    with pytest.raises(InvalidSignature) as raised:
        verify_recoverable(key, "00" * 32, 1, 1, 0)  # type: ignore[arg-type]
    assert raised.value.reason == "hash_type"
    with pytest.raises(InvalidSignature) as raised:
        verify_recoverable(key, bytes(32), True, 1, 0)
    assert raised.value.reason == "signature_r_type"
    with pytest.raises(InvalidKey):
        verify_recoverable(G, bytes(32), 1, 1, 0)  # type: ignore[arg-type]
    with pytest.raises(InvalidKey):
        precompute_key(AffinePoint(1, 1))
    with pytest.raises(InvalidKey):
        precompute_key(None)  # type: ignore[arg-type]


@settings(max_examples=20, deadline=None)
@given(scalars)
def test_table_is_the_odd_multiples_and_their_lambda_images(d: int) -> None:
    Q = public_key(d)
    key = precompute_key(Q)
    assert isinstance(key, PrecomputedKey)
    assert key.point == Q
    for index in (0, 1, len(key.odd_multiples) - 1):
        x, y = key.odd_multiples[index]
        assert AffinePoint(x, y) == secp256k1.reference_multiply(2 * index + 1, Q)
        lx, ly = key.endomorphism_multiples[index]
        assert AffinePoint(lx, ly) == secp256k1.multiply(secp256k1.LAMBDA, AffinePoint(x, y))
