"""secp256k1 (SEC 2 §2.4.1): point arithmetic, RFC 6979 signing, SEC 1 §4.1.6 key recovery.

This is the curve ERC-191 ``personal_sign`` signatures live on (ERC-8128 §3.4.3). The module
has two layers that compute the same thing:

* the **reference** layer, :func:`reference_add` and :func:`reference_multiply`: affine
  coordinates and double-and-add, exactly as a textbook writes them (one modular inversion per
  step, so slow);
* the **fast** layer used by signing, recovery and verification: Jacobian coordinates with the
  a = 0 formulas and one inversion per result. k·G (signing, key derivation) uses a fixed-base
  comb table, 32 additions and no doubling; u1·G + u2·R (recovery, verification) uses the GLV
  endomorphism (β, λ) to split both scalars into ~128-bit halves and Straus' interleaved
  width-w NAF, so the four halves share one chain of ~128 doublings. The two tables for G are
  built lazily, once per process (about 50 ms).

Both layers are tested against the same vectors (ERC-191 examples, Wycheproof) and against each
other and the ``ecdsa`` package (hypothesis). A recovery in CPython 3.11 costs about 128
doublings (≈ 1.8 µs each) + 62 mixed additions (≈ 2.5 µs) in the Straus loop, the table of R's
odd multiples (≈ 55 µs), one square root (≈ 65 µs) and three inversions (≈ 11 µs each): about
0.6 ms. A field multiplication is ≈ 0.1 µs and its reduction mod p ≈ 0.13 µs (see the fold
below), so the formulas are written to multiply and reduce as little as possible, in place.

Data crosses the module boundary as ``bytes`` (keys, hashes) or ``int`` (the scalars r, s);
points are :class:`AffinePoint` values, with ``None`` for the point at infinity.
"""

import hashlib
import hmac
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache

from erc8128.errors import InvalidKey, InvalidSignature


@dataclass(frozen=True)
class AffinePoint:
    """A point (x, y) of the curve other than the point at infinity (which is ``None``)."""

    x: int
    y: int


# SEC 2 §2.4.1: "The elliptic curve domain parameters over Fp associated with a Koblitz curve
# secp256k1 are specified by the sextuple T = (p, a, b, G, n, h)".
P = 2**256 - 2**32 - 2**9 - 2**8 - 2**7 - 2**6 - 2**4 - 1
A = 0
B = 7
G = AffinePoint(
    x=0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
    y=0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8,
)
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
# h = 1: every point other than infinity generates the whole group, so "n·R = O" always holds.

# The GLV endomorphism (Gallant, Lambert, Vanstone 2001): β is a cube root of unity mod p and λ a
# cube root of unity mod n with λ·(x, y) = (β·x, y) for every point. The tests check all three.
BETA = 0x7AE96A2B657C07106E64479EAC3434E99CF0497512F58995C1396C28719501EE
LAMBDA = 0x5363AD4CC05C30E0A5261C028812645A122E22EA20816678DF02967C1B23BD72
# Two short vectors (a1, b1), (a2, b2) of the lattice {(i, j) : i + j·λ ≡ 0 (mod n)}, from the
# extended Euclidean algorithm on (n, λ) (Guide to Elliptic Curve Cryptography, Alg. 3.74).
_A1 = 0x3086D221A7D46BCDE86C90E49284EB15
_B1 = -0xE4437ED6010E88286F547FA90ABFE4C3
_A2 = 0x114CA50F7A8E2F3F657C1108D9D44CFD8
_B2 = _A1

# Square roots mod p: p ≡ 3 (mod 4), so y = (y²)^((p+1)/4) whenever y² is a square.
# :func:`_sqrt` computes this power with an addition chain; the tests compare it with
# pow(a, _SQRT_EXPONENT, P).
_SQRT_EXPONENT = (P + 1) // 4


def is_on_curve(point: AffinePoint) -> bool:
    """True when point is an AffinePoint of integers 0 ≤ x, y < p with y² = x³ + 7 (mod p)."""
    if not isinstance(point, AffinePoint):
        return False
    if not _is_integer(point.x) or not _is_integer(point.y):
        return False
    if not 0 <= point.x < P:
        return False
    if not 0 <= point.y < P:
        return False
    y_squared = point.y * point.y % P
    return y_squared == (point.x**3 + B) % P


def _is_integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_scalar(k: int) -> None:
    if not _is_integer(k):
        raise InvalidKey("scalar_type", f"expected an int scalar, got {type(k).__name__}")


def _check_point(point: AffinePoint | None) -> None:
    """Accept None (the point at infinity) or a curve point; refuse anything else.

    Arithmetic on a point off the curve would silently compute on another curve (the
    invalid-curve attack), so every public entry point checks.
    """
    if point is None:
        return
    if not isinstance(point, AffinePoint):
        raise InvalidKey("point_type", f"expected AffinePoint or None, got {type(point).__name__}")
    if not is_on_curve(point):
        raise InvalidKey("public_key_not_on_curve", f"expected y² = x³ + 7, got {point!r}")


# ---------------------------------------------------------------------------------------------
# Reference layer: affine coordinates, double-and-add. Slow and obviously right.
# ---------------------------------------------------------------------------------------------


def reference_add(p1: AffinePoint | None, p2: AffinePoint | None) -> AffinePoint | None:
    """p1 + p2 with the affine chord-and-tangent rule (SEC 1 §2.2.1)."""
    _check_point(p1)
    _check_point(p2)
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    if p1.x == p2.x and (p1.y + p2.y) % P == 0:
        return None
    if p1 == p2:
        slope = 3 * p1.x * p1.x * pow(2 * p1.y, -1, P) % P
    else:
        slope = (p2.y - p1.y) * pow(p2.x - p1.x, -1, P) % P
    x3 = (slope * slope - p1.x - p2.x) % P
    y3 = (slope * (p1.x - x3) - p1.y) % P
    return AffinePoint(x3, y3)


def reference_multiply(k: int, point: AffinePoint | None) -> AffinePoint | None:
    """k·point by left-to-right double-and-add over the bits of k mod n."""
    _check_scalar(k)
    _check_point(point)
    result: AffinePoint | None = None
    for bit in bin(k % N)[2:]:
        result = reference_add(result, result)
        if bit == "1":
            result = reference_add(result, point)
    return result


# ---------------------------------------------------------------------------------------------
# Fast layer. A Jacobian point (X, Y, Z) stands for the affine point (X/Z², Y/Z³); Z = 0 is the
# point at infinity. Formulas from the Explicit-Formulas Database (hyperelliptic.org/EFD),
# "g1p/auto-shortw-jacobian-0" (a = 0).
# ---------------------------------------------------------------------------------------------

_Jacobian = tuple[int, int, int]
_Affine = tuple[int, int]
_INFINITY: _Jacobian = (1, 1, 0)

# Reduction mod p, the inner loop of everything below. p = 2^256 − c with c = 2^32 + 977, so
# 2^256 ≡ c (mod p) and a product t = t_high·2^256 + t_low ≡ t_low + t_high·c: one "fold"
# (an AND, a shift and a multiplication by a 33-bit constant) turns a 512-bit product into a
# number below 2^290, and `% P` of that is a short division. In CPython 3.11 the fold plus the
# short `%` costs ≈ 137 ns against ≈ 168 ns for `t % P` on the full product, and reductions are
# about half the work of a point operation; so the hot code below writes every reduction as
#     t = a * b
#     ab = ((t & _LOW_256) + (t >> 256) * _C) % P
# The fold is exact for negative t too (>> floors and & takes the two's-complement low bits).
# Lazy reduction: an intermediate that is only multiplied again (XX, YY, S in a doubling; Z1Z1,
# HH, HHH, V in an addition) is folded but not reduced: it stays below ≈ 2^325, which costs a
# little in the next product and saves the `% P`. Python ints are exact, so the bound affects
# speed only; every value that is compared (H, R, Z against 0) or returned is fully reduced.
_C = 2**32 + 977
_LOW_256 = 2**256 - 1


def _double(X1: int, Y1: int, Z1: int, times: int = 1) -> _Jacobian:
    """2^times·(X1, Y1, Z1), EFD "dbl-2009-l" with a = 0 (2M + 5S per doubling).

    Repeated doublings run in one loop: scalar multiplication spends most of its time here.
    The group has odd prime order, so no finite point doubles to O (y = 0 never happens).
    """
    if Z1 == 0:
        return _INFINITY
    p, c, low = P, _C, _LOW_256
    for _ in range(times):
        t = X1 * X1
        XX = (t & low) + (t >> 256) * c
        t = Y1 * Y1
        YY = (t & low) + (t >> 256) * c
        t = 4 * X1 * YY
        S = (t & low) + (t >> 256) * c
        M = 3 * XX
        t = M * M - 2 * S
        X3 = ((t & low) + (t >> 256) * c) % p
        t = 2 * Y1 * Z1
        Z1 = ((t & low) + (t >> 256) * c) % p
        t = M * (S - X3) - 8 * YY * YY
        Y1 = ((t & low) + (t >> 256) * c) % p
        X1 = X3
    return X1, Y1, Z1


def _add_affine(X1: int, Y1: int, Z1: int, x2: int, y2: int) -> _Jacobian:
    """(X1, Y1, Z1) + (x2, y2) with the second point affine, EFD "madd" (8M + 3S)."""
    if Z1 == 0:
        return x2, y2, 1
    p, c, low = P, _C, _LOW_256
    t = Z1 * Z1
    Z1Z1 = (t & low) + (t >> 256) * c
    t = x2 * Z1Z1
    U2 = ((t & low) + (t >> 256) * c) % p
    t = Z1 * Z1Z1
    Z1Z1Z1 = (t & low) + (t >> 256) * c
    t = y2 * Z1Z1Z1
    S2 = ((t & low) + (t >> 256) * c) % p
    H = U2 - X1
    R = S2 - Y1
    if H == 0:
        if R == 0:
            return _double(X1, Y1, Z1)
        return _INFINITY
    t = H * H
    HH = (t & low) + (t >> 256) * c
    t = H * HH
    HHH = (t & low) + (t >> 256) * c
    t = X1 * HH
    V = (t & low) + (t >> 256) * c
    t = R * R - HHH - 2 * V
    X3 = ((t & low) + (t >> 256) * c) % p
    t = R * (V - X3) - Y1 * HHH
    Y3 = ((t & low) + (t >> 256) * c) % p
    t = Z1 * H
    Z3 = ((t & low) + (t >> 256) * c) % p
    return X3, Y3, Z3


def _to_affine(X: int, Y: int, Z: int) -> AffinePoint | None:
    """(X/Z², Y/Z³), or None for the point at infinity; one inversion."""
    if Z == 0:
        return None
    Z_inverse = pow(Z, -1, P)
    Z_inverse_squared = Z_inverse * Z_inverse % P
    return AffinePoint(X * Z_inverse_squared % P, Y * Z_inverse_squared * Z_inverse % P)


def _batch_to_affine(points: list[_Jacobian]) -> list[_Affine]:
    """Affine forms of many finite Jacobian points with a single inversion (Montgomery's trick).

    With prefix_i = Z_0···Z_(i−1) and inverse = (Z_0···Z_i)^−1, Z_i^−1 = inverse·prefix_i, and
    inverse·Z_i is the inverse for the next index down.
    """
    p, c, low = P, _C, _LOW_256
    prefix_products = []
    running = 1
    for _, _, Z in points:
        prefix_products.append(running)
        t = running * Z
        running = ((t & low) + (t >> 256) * c) % p
    inverse = pow(running, -1, p)
    result: list[_Affine] = [(0, 0)] * len(points)
    for index in range(len(points) - 1, -1, -1):
        X, Y, Z = points[index]
        t = inverse * prefix_products[index]
        Z_inverse = ((t & low) + (t >> 256) * c) % p
        t = inverse * Z
        inverse = ((t & low) + (t >> 256) * c) % p
        t = Z_inverse * Z_inverse
        Z_inverse_squared = ((t & low) + (t >> 256) * c) % p
        t = X * Z_inverse_squared
        x = ((t & low) + (t >> 256) * c) % p
        t = Z_inverse_squared * Z_inverse
        Z_inverse_cubed = ((t & low) + (t >> 256) * c) % p
        t = Y * Z_inverse_cubed
        y = ((t & low) + (t >> 256) * c) % p
        result[index] = (x, y)
    return result


def _odd_multiples(point: _Affine, count: int) -> list[_Affine]:
    """[1·point, 3·point, 5·point, ...] (count entries) in affine coordinates, one inversion.

    "Effective affine" (the idea of libsecp256k1's ecmult tables): D = 2·point = (Xd, Yd, Zd) in
    Jacobian coordinates is the affine point (Xd, Yd) of the isomorphic curve y² = x³ + 7·Zd⁶,
    reached by (x, y) ↦ (Zd²·x, Zd³·y). The a = 0 formulas never use b, so there each next odd
    multiple is a mixed addition of (Xd, Yd) (8M + 3S) instead of a full Jacobian one (12M + 4S).
    A Jacobian point (X, Y, Z) of that curve is (X, Y, Z·Zd) on ours; one batch inversion makes
    them all affine. None of them is O: that would need n to divide an odd number below
    2·count < n, and for the same reason no addition meets the doubling case.
    """
    x, y = point
    Xd, Yd, Zd = _double(x, y, 1)
    Zd_squared = Zd * Zd % P
    X, Y, Z = x * Zd_squared % P, y * Zd_squared * Zd % P, 1
    multiples: list[_Jacobian] = [(X, Y, Zd)]
    for _ in range(count - 1):
        X, Y, Z = _add_affine(X, Y, Z, Xd, Yd)
        multiples.append((X, Y, Z * Zd % P))
    return _batch_to_affine(multiples)


# Fixed base G, for signing and key derivation: k = Σ d_i·256^i with bytes d_i, so
# k·G = Σ (d_i·256^i)·G: one table lookup and one mixed addition per byte, no doubling at all.
_COMB_WINDOWS = 32


@cache
def _generator_comb_table() -> tuple[tuple[_Affine, ...], ...]:
    """table[i][d] = d·256^i·G in affine coordinates for 1 ≤ d ≤ 255 (entry 0 unused)."""
    jacobian: list[_Jacobian] = []
    base: _Affine = (G.x, G.y)
    for _ in range(_COMB_WINDOWS):
        multiple: _Jacobian = _INFINITY
        for _ in range(255):
            multiple = _add_affine(*multiple, *base)
            jacobian.append(multiple)
        next_base = _to_affine(*_add_affine(*multiple, *base))
        assert next_base is not None  # 256^i·G ≠ O because n is prime and n ∤ 256^i
        base = (next_base.x, next_base.y)
    affine = _batch_to_affine(jacobian)
    return tuple(
        ((0, 0), *affine[window * 255 : (window + 1) * 255]) for window in range(_COMB_WINDOWS)
    )


def multiply_generator(k: int) -> AffinePoint | None:
    """k·G with the fixed-base comb table (32 mixed additions)."""
    _check_scalar(k)
    table = _generator_comb_table()
    X, Y, Z = _INFINITY
    for window, digit in enumerate((k % N).to_bytes(32, "little")):
        if digit:
            x2, y2 = table[window][digit]
            X, Y, Z = _add_affine(X, Y, Z, x2, y2)
    return _to_affine(X, Y, Z)


def wnaf(k: int, width: int) -> list[tuple[int, int]]:
    """The non-zero digits of the width-w NAF of k ≥ 0, as (bit position, digit), lowest first.

    Every digit is odd with |digit| < 2^(width-1), and after a non-zero digit the next width-1
    digits are zero (Guide to ECC, Alg. 3.35), so k = Σ digit·2^position. The zero digits are
    skipped in one step each run, which is what makes this cheaper than a loop over all bits.
    """
    digits: list[tuple[int, int]] = []
    modulus = 1 << width
    half = modulus >> 1
    position = 0
    while k:
        # Skip the run of zero digits: k is even there, and its trailing zeros are that run.
        zeros = (k & -k).bit_length() - 1
        k >>= zeros
        position += zeros
        # k is odd: the digit is k mods 2^width, the residue of least absolute value.
        digit = k & (modulus - 1)
        if digit >= half:
            digit -= modulus
        digits.append((position, digit))
        # k - digit ≡ 0 (mod 2^width): this digit and the next width-1 (all zero) are done.
        k = (k - digit) >> width
        position += width
    return digits


def glv_split(k: int) -> tuple[int, int]:
    """(k1, k2) with k ≡ k1 + k2·λ (mod n) and |k1|, |k2| < 2^129 (Guide to ECC, Alg. 3.74)."""
    c1 = (_B2 * k + N // 2) // N
    c2 = (-_B1 * k + N // 2) // N
    k1 = k - c1 * _A1 - c2 * _A2
    k2 = -c1 * _B1 - c2 * _B2
    return k1, k2


# Variable base R: width-5 NAF over 8 odd multiples; the G part of u1·G + u2·R rides the same
# doubling chain with width-12 NAF over 1024 precomputed odd multiples of G.
_VARIABLE_WIDTH = 5
_GENERATOR_WIDTH = 12


@cache
def _generator_odd_multiples() -> tuple[Sequence[_Affine], Sequence[_Affine]]:
    """[1·G, 3·G, ..., 2047·G] and the same multiples of λ·G, in affine coordinates; built once."""
    multiples = _odd_multiples((G.x, G.y), 1 << (_GENERATOR_WIDTH - 2))
    return multiples, _endomorphism(multiples)


def _endomorphism(points: list[_Affine]) -> list[_Affine]:
    """λ·(x, y) = (β·x, y) for each point: a multiplication by λ for the price of one by β."""
    return [(BETA * x % P, y) for x, y in points]


# A term of a multi-scalar multiplication: (k, [1·Pt, 3·Pt, 5·Pt, ...], NAF width), for k·Pt.
_Term = tuple[int, Sequence[_Affine], int]


def _straus(terms: list[_Term]) -> _Jacobian:
    """Σ k_j·Pt_j by interleaved width-w NAF (Straus' trick, Guide to ECC Alg. 3.51).

    Each non-zero digit d at bit position i is one mixed addition of d·Pt_j (negated when d or
    k_j is negative, since (-k)·Pt = k·(-Pt)); one chain of doublings serves all terms, so with
    GLV halves of ~128 bits there are ~128 doublings in total.

    The loop is :func:`_double` and :func:`_add_affine` written out in place (same formulas,
    same names): a Python call and its tuple cost about a tenth of a point operation, and this
    loop runs ~190 of them per verification. The tests compare it with the reference layer.
    """
    additions = []
    for k, odd_multiples, width in terms:
        for position, digit in wnaf(abs(k), width):
            x, y = odd_multiples[abs(digit) >> 1]
            if (digit < 0) != (k < 0):
                y = P - y
            additions.append((position, x, y))
    additions.sort(reverse=True)
    p, c, low = P, _C, _LOW_256
    X1, Y1, Z1 = _INFINITY
    previous_position = additions[0][0] if additions else 0
    for position, x2, y2 in additions:
        # Deliberate copy (duplicate scan): _double's loop written out in place, for speed (see
        # the docstring); tests/crypto/test_secp256k1.py checks both against the reference layer.
        # 2^(previous_position − position)·(X1, Y1, Z1): _double's loop. Doubling O gives Z1 = 0
        # again, so the point at infinity needs no test here.
        for _ in range(previous_position - position):
            t = X1 * X1
            XX = (t & low) + (t >> 256) * c
            t = Y1 * Y1
            YY = (t & low) + (t >> 256) * c
            t = 4 * X1 * YY
            S = (t & low) + (t >> 256) * c
            M = 3 * XX
            t = M * M - 2 * S
            X3 = ((t & low) + (t >> 256) * c) % p
            t = 2 * Y1 * Z1
            Z1 = ((t & low) + (t >> 256) * c) % p
            t = M * (S - X3) - 8 * YY * YY
            Y1 = ((t & low) + (t >> 256) * c) % p
            X1 = X3
        previous_position = position
        # (X1, Y1, Z1) + (x2, y2): _add_affine's body (a deliberate copy, like the loop above).
        if Z1 == 0:
            X1, Y1, Z1 = x2, y2, 1
            continue
        t = Z1 * Z1
        Z1Z1 = (t & low) + (t >> 256) * c
        t = x2 * Z1Z1
        U2 = ((t & low) + (t >> 256) * c) % p
        t = Z1 * Z1Z1
        Z1Z1Z1 = (t & low) + (t >> 256) * c
        t = y2 * Z1Z1Z1
        S2 = ((t & low) + (t >> 256) * c) % p
        H = U2 - X1
        R = S2 - Y1
        if H == 0:
            # The same x: the sum is 2·(x2, y2) when the y agree too, O otherwise.
            X1, Y1, Z1 = _double(X1, Y1, Z1) if R == 0 else _INFINITY
            continue
        t = H * H
        HH = (t & low) + (t >> 256) * c
        t = H * HH
        HHH = (t & low) + (t >> 256) * c
        t = X1 * HH
        V = (t & low) + (t >> 256) * c
        t = R * R - HHH - 2 * V
        X3 = ((t & low) + (t >> 256) * c) % p
        t = R * (V - X3) - Y1 * HHH
        Y1 = ((t & low) + (t >> 256) * c) % p
        X1 = X3
        t = Z1 * H
        Z1 = ((t & low) + (t >> 256) * c) % p
    return _double(X1, Y1, Z1, previous_position)


def _glv_terms(
    k: int, odd_multiples: Sequence[_Affine], endomorphism_multiples: Sequence[_Affine], width: int
) -> list[_Term]:
    """k·Pt = k1·Pt + k2·(λ·Pt) as two terms with half-length scalars."""
    k1, k2 = glv_split(k % N)
    return [(k1, odd_multiples, width), (k2, endomorphism_multiples, width)]


def _variable_terms(k: int, point: AffinePoint) -> list[_Term]:
    """The terms of k·point: width-5 NAF over [1, 3, 5, ..., 15]·point and its λ images."""
    count = 1 << (_VARIABLE_WIDTH - 2)
    multiples = _odd_multiples((point.x, point.y), count)
    return _glv_terms(k, multiples, _endomorphism(multiples), _VARIABLE_WIDTH)


def multiply(k: int, point: AffinePoint | None) -> AffinePoint | None:
    """k·point for an arbitrary point (GLV, width-5 NAF, Jacobian coordinates)."""
    _check_scalar(k)
    _check_point(point)
    if point is None:
        return None
    return _to_affine(*_straus(_variable_terms(k, point)))


def multiply_two(u1: int, u2: int, point: AffinePoint | None) -> AffinePoint | None:
    """u1·G + u2·point, the double multiplication of ECDSA verification and key recovery."""
    _check_scalar(u1)
    _check_scalar(u2)
    _check_point(point)
    if point is None:
        return multiply_generator(u1)
    generator_multiples, generator_endomorphism_multiples = _generator_odd_multiples()
    generator_terms = _glv_terms(
        u1, generator_multiples, generator_endomorphism_multiples, _GENERATOR_WIDTH
    )
    return _to_affine(*_straus(_variable_terms(u2, point) + generator_terms))


# ---------------------------------------------------------------------------------------------
# Keys.
# ---------------------------------------------------------------------------------------------


def private_key_scalar(private_key: bytes) -> int:
    """The secret scalar d of a 32-byte big-endian private key, checked to lie in [1, n-1]."""
    if not isinstance(private_key, bytes):
        raise InvalidKey("private_key_type", f"expected bytes, got {type(private_key).__name__}")
    if len(private_key) != 32:
        raise InvalidKey("private_key_length", f"expected 32 bytes, got {len(private_key)}")
    d = int.from_bytes(private_key, "big")
    # SEC 1 §3.2.1: "Randomly or pseudorandomly select an integer d in the interval [1, n − 1]."
    # The message never shows the key's value: it is secret even when out of range.
    if not 1 <= d < N:
        got = "d = 0" if d == 0 else "d >= n"
        raise InvalidKey("private_key_range", f"expected 1 <= d < n, got {got}")
    return d


def encode_public_key(point: AffinePoint) -> bytes:
    """The 64-byte x ‖ y encoding that Ethereum hashes into an address."""
    return point.x.to_bytes(32, "big") + point.y.to_bytes(32, "big")


def derive_public_key(private_key: bytes) -> bytes:
    """The 64-byte public key x ‖ y of Q = d·G."""
    Q = multiply_generator(private_key_scalar(private_key))
    assert Q is not None  # 1 <= d < n
    return encode_public_key(Q)


def decode_public_key(data: bytes) -> AffinePoint:
    """A public key from x ‖ y (64 bytes), 0x04 ‖ x ‖ y (65) or 0x02/0x03 ‖ x (33, SEC 1 §2.3.4)."""
    if not isinstance(data, bytes):
        raise InvalidKey("public_key_type", f"expected bytes, got {type(data).__name__}")
    if len(data) == 33:
        return _decompress(data)
    if len(data) == 65:
        if data[0] != 0x04:
            raise InvalidKey("public_key_prefix", f"expected 0x04 before x ‖ y, got {data[0]:#04x}")
        data = data[1:]
    if len(data) != 64:
        raise InvalidKey("public_key_length", f"expected 64, 65 or 33 bytes, got {len(data)}")
    x = int.from_bytes(data[:32], "big")
    y = int.from_bytes(data[32:], "big")
    # SEC 1 §3.2.2.1: "Check that xQ and yQ are integers in the interval [0, p − 1]"
    if not x < P:
        raise InvalidKey("public_key_range", f"expected x < p, got x = {x:#x}")
    if not y < P:
        raise InvalidKey("public_key_range", f"expected y < p, got y = {y:#x}")
    point = AffinePoint(x, y)
    # SEC 1 §3.2.2.1: "Check that yQ^2 ≡ xQ^3 + a·xQ + b (mod p)."
    if not is_on_curve(point):
        raise InvalidKey("public_key_not_on_curve", f"expected y² = x³ + 7, got ({x:#x}, {y:#x})")
    return point


def _square_repeatedly(a: int, times: int) -> int:
    """a^(2^times) mod p: `times` squarings, each reduced by the fold described above."""
    p, c, low = P, _C, _LOW_256
    for _ in range(times):
        t = a * a
        a = ((t & low) + (t >> 256) * c) % p
    return a


def _sqrt(a: int) -> int:
    """a^((p+1)/4) mod p, a square root of a when a is a square.

    (p+1)/4 = 2^254 − 2^30 − 244 is, in binary, a run of 223 ones, a zero, 22 ones, four
    zeros, two ones, two zeros. The addition chain (the one of libsecp256k1's field_sqrt;
    the facts, not its code) builds x_k = a^(2^k − 1) for k = 2, 3, 6, 9, 11, 22, 44, 88, 176,
    220, 223, then shifts in the rest: 253 squarings and 13 multiplications, against ≈ 300
    operations for the generic window method of pow(); with the folded reduction this is
    ≈ 65 µs instead of ≈ 90 µs (CPython 3.11).
    """
    p = P
    x2 = _square_repeatedly(a, 1) * a % p
    x3 = _square_repeatedly(x2, 1) * a % p
    x6 = _square_repeatedly(x3, 3) * x3 % p
    x9 = _square_repeatedly(x6, 3) * x3 % p
    x11 = _square_repeatedly(x9, 2) * x2 % p
    x22 = _square_repeatedly(x11, 11) * x11 % p
    x44 = _square_repeatedly(x22, 22) * x22 % p
    x88 = _square_repeatedly(x44, 44) * x44 % p
    x176 = _square_repeatedly(x88, 88) * x88 % p
    x220 = _square_repeatedly(x176, 44) * x44 % p
    x223 = _square_repeatedly(x220, 3) * x3 % p
    # 223 ones, then 0 followed by 22 ones: shift by 23 and add x22.
    t = _square_repeatedly(x223, 23) * x22 % p
    # then 0000 11: shift by 6 and add x2; then the final 00: two squarings.
    t = _square_repeatedly(t, 6) * x2 % p
    return _square_repeatedly(t, 2)


def _lift_x(x: int, y_parity: int) -> AffinePoint | None:
    """The curve point with this x and y ≡ y_parity (mod 2), or None if x³ + 7 is no square."""
    y_squared = (x * x * x + B) % P
    y = _sqrt(y_squared)
    if y * y % P != y_squared:
        return None
    if y & 1 != y_parity:
        y = P - y
    return AffinePoint(x, y)


def _decompress(data: bytes) -> AffinePoint:
    prefix = data[0]
    if prefix not in (0x02, 0x03):
        raise InvalidKey("public_key_prefix", f"expected 0x02 or 0x03 before x, got {prefix:#04x}")
    x = int.from_bytes(data[1:], "big")
    if not x < P:
        raise InvalidKey("public_key_range", f"expected x < p, got x = {x:#x}")
    point = _lift_x(x, prefix & 1)
    if point is None:
        raise InvalidKey("public_key_not_on_curve", f"x = {x:#x} is not the x of a curve point")
    return point


# ---------------------------------------------------------------------------------------------
# Signing (RFC 6979 §3.2 with HMAC-SHA256), recovery (SEC 1 §4.1.6), verification (SEC 1 §4.1.4).
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecoverableSignature:
    """ECDSA (r, s) and the recovery id: bit 0 is the parity of R.y, bit 1 says R.x = r + n."""

    r: int
    s: int
    recovery_id: int


def bits2int(data: bytes) -> int:
    """RFC 6979 §2.3.2: the leftmost qlen = 256 bits of data as an integer."""
    value = int.from_bytes(data, "big")
    excess_bits = 8 * len(data) - 256
    if excess_bits > 0:
        value >>= excess_bits
    return value


def _int2octets(value: int) -> bytes:
    return value.to_bytes(32, "big")


def _hmac_sha256(key: bytes, data: bytes) -> bytes:
    return hmac.digest(key, data, hashlib.sha256)


def rfc6979_nonces(d: int, message_hash: bytes) -> Iterator[int]:
    """The candidate nonces k of RFC 6979 §3.2 for secret d and hash h1, in order.

    The caller takes the first k that yields a signature and asks for the next one otherwise
    (step h.3: "compute the next candidate"). Every yielded k is in [1, n-1].
    """
    # RFC 6979 §3.2 a-d: bits2octets(h1) = int2octets(bits2int(h1) mod q).
    h1_octets = _int2octets(bits2int(message_hash) % N)
    x_octets = _int2octets(d)
    # b. "V = 0x01 0x01 0x01 ... 0x01" ; c. "K = 0x00 0x00 0x00 ... 0x00"
    V = b"\x01" * 32
    K = b"\x00" * 32
    # d. "K = HMAC_K(V || 0x00 || int2octets(x) || bits2octets(h1))"
    K = _hmac_sha256(K, V + b"\x00" + x_octets + h1_octets)
    # e. "V = HMAC_K(V)"
    V = _hmac_sha256(K, V)
    # f. "K = HMAC_K(V || 0x01 || int2octets(x) || bits2octets(h1))"
    K = _hmac_sha256(K, V + b"\x01" + x_octets + h1_octets)
    # g. "V = HMAC_K(V)"
    V = _hmac_sha256(K, V)
    while True:
        # h.1/h.2: tlen = hlen = qlen = 256, so one HMAC fills T.
        V = _hmac_sha256(K, V)
        k = bits2int(V)
        # h.3: "If that value of k is within the [1,q-1] range, and is suitable for DSA or
        # ECDSA (i.e., it results in an r value that is not 0; see Section 3.4), then the
        # generation of k is finished."
        if 1 <= k < N:
            yield k
        # h.3: "Otherwise, compute: K = HMAC_K(V || 0x00); V = HMAC_K(V) and loop"
        K = _hmac_sha256(K, V + b"\x00")
        V = _hmac_sha256(K, V)


def sign(private_key: bytes, message_hash: bytes) -> RecoverableSignature:
    """Deterministic ECDSA (RFC 6979) of a hash, normalised to low s, with its recovery id.

    A candidate k is skipped (RFC 6979 §3.2 step h.3) when r = 0 or s = 0, and also when
    R.x ≥ n: such a signature would need recovery id 2 or 3, which ERC-191's v ∈ {27, 28}
    cannot carry (probability about 2^-128).
    """
    d = private_key_scalar(private_key)
    _check_hash(message_hash)
    z = bits2int(message_hash)
    for k in rfc6979_nonces(d, message_hash):
        R = multiply_generator(k)
        assert R is not None  # 1 <= k < n
        r = R.x % N
        if r == 0 or R.x >= N:
            continue
        s = pow(k, -1, N) * (z + r * d) % N
        if s == 0:
            continue
        recovery_id = R.y & 1
        # Low s: (r, n - s) is the same signature for the point -R, whose y has the other parity.
        if s > N // 2:
            s = N - s
            recovery_id ^= 1
        return RecoverableSignature(r, s, recovery_id)
    raise AssertionError("unreachable: rfc6979_nonces never ends")  # pragma: no cover


def _check_hash(message_hash: bytes) -> None:
    if not isinstance(message_hash, bytes):
        raise InvalidSignature("hash_type", f"expected bytes, got {type(message_hash).__name__}")


def _check_scalar_type(name: str, value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidSignature(
            f"signature_{name}_type", f"expected int, got {type(value).__name__}"
        )


def recover(message_hash: bytes, r: int, s: int, recovery_id: int) -> AffinePoint:
    """The public key Q with (r, s) a signature of message_hash under Q (SEC 1 §4.1.6)."""
    _check_hash(message_hash)
    _check_scalar_type("r", r)
    _check_scalar_type("s", s)
    _check_scalar_type("recovery_id", recovery_id)
    # SEC 1 §4.1.6 step 1: "If r and s are not both integers in the interval [1, n − 1], output
    # 'invalid' and stop."
    if not 1 <= r < N:
        raise InvalidSignature("signature_r_range", f"expected 1 <= r < n, got r = {r:#x}")
    if not 1 <= s < N:
        raise InvalidSignature("signature_s_range", f"expected 1 <= s < n, got s = {s:#x}")
    if recovery_id not in (0, 1, 2, 3):
        raise InvalidSignature("recovery_id", f"expected 0, 1, 2 or 3, got {recovery_id}")
    # Step 1.1: "Let x = r + jn."  Step 1.2: "Convert ... x to an elliptic curve point R".
    x = r + (recovery_id >> 1) * N
    if not x < P:
        raise InvalidSignature(
            "recovery_failed", f"expected r + n < p for recovery id 2 or 3, got r = {r:#x}"
        )
    R = _lift_x(x, recovery_id & 1)
    if R is None:
        raise InvalidSignature("recovery_failed", f"r = {r:#x} is not the x of a curve point")
    # Step 1.5: "Compute e from M"; step 1.6: "Compute a candidate public key as:
    # Q = r^−1 (sR − eG)."  = (-e·r^-1)·G + (s·r^-1)·R
    e = bits2int(message_hash)
    r_inverse = pow(r, -1, N)
    Q = multiply_two(-e * r_inverse % N, s * r_inverse % N, R)
    if Q is None:
        raise InvalidSignature("recovery_failed", "the recovered point is the point at infinity")
    return Q


def verify(public_key: AffinePoint, message_hash: bytes, r: int, s: int) -> bool:
    """Plain ECDSA verification (SEC 1 §4.1.4); high s is accepted, as ECDSA itself does.

    Returns False for a well-formed signature that does not match; raises InvalidSignature for
    r or s outside [1, n-1] and InvalidKey for a public key that is not a curve point.
    """
    _check_hash(message_hash)
    _check_scalar_type("r", r)
    _check_scalar_type("s", s)
    if public_key is None:
        raise InvalidKey("point_type", "expected a public key, got the point at infinity")
    _check_point(public_key)
    # SEC 1 §4.1.4 step 1: "If r and s are not both integers in the interval [1, n − 1], output
    # 'invalid' and stop."
    if not 1 <= r < N:
        raise InvalidSignature("signature_r_range", f"expected 1 <= r < n, got r = {r:#x}")
    if not 1 <= s < N:
        raise InvalidSignature("signature_s_range", f"expected 1 <= s < n, got s = {s:#x}")
    # Steps 3-5: e = bits2int(H), u1 = e·s^-1, u2 = r·s^-1, R = u1·G + u2·Q.
    e = bits2int(message_hash)
    s_inverse = pow(s, -1, N)
    R = multiply_two(e * s_inverse % N, r * s_inverse % N, public_key)
    # Step 5: "If R = O, output 'invalid' and stop."
    if R is None:
        return False
    # Steps 6-8: "Set v = xR mod n"; "output 'valid'" if v = r.
    return R.x % N == r


# ---------------------------------------------------------------------------------------------
# Verification against a known public key, with the recovery id (for a cache of signer keys).
# ---------------------------------------------------------------------------------------------

# A known key Q is used again and again, so its table is wider than a one-off R's: width-7 NAF
# over [1, 3, ..., 63]·Q and their λ images (64 affine points, about 9 KB of ints), which
# leaves ~2·128/8 = 32 additions for u2·Q where width 5 needs ~43.
_KEY_WIDTH = 7


@dataclass(frozen=True)
class PrecomputedKey:
    """A public key Q with its odd multiples [1·Q, 3·Q, ...] and their λ images, built once."""

    point: AffinePoint
    odd_multiples: tuple[_Affine, ...]
    endomorphism_multiples: tuple[_Affine, ...]


def precompute_key(point: AffinePoint) -> PrecomputedKey:
    """The table of :func:`verify_recoverable` for the public key ``point`` (a curve point)."""
    if point is None:
        raise InvalidKey("point_type", "expected a public key, got the point at infinity")
    _check_point(point)
    multiples = _odd_multiples((point.x, point.y), 1 << (_KEY_WIDTH - 2))
    return PrecomputedKey(point, tuple(multiples), tuple(_endomorphism(multiples)))


def verify_recoverable(
    key: PrecomputedKey, message_hash: bytes, r: int, s: int, recovery_id: int
) -> bool:
    """True exactly when ``recover(message_hash, r, s, recovery_id)`` would return ``key.point``.

    Why this is "recover, then compare", without the recovery. Let Q = key.point, e =
    bits2int(H), 1 ≤ r, s < n, recovery id = 2·j + b, and R' = u1·G + u2·Q with u1 = e·s⁻¹ and
    u2 = r·s⁻¹ (mod n): plain ECDSA verification's point (SEC 1 §4.1.4 step 5). The claim is

        recover(H, r, s, 2j + b) = Q   ⟺   R' ≠ O, x(R') = r + j·n exactly, y(R') ≡ b (mod 2).

    (⇒) recover lifts x = r + j·n (which is then < p) to the point R with x(R) = x and
    y(R) ≡ b, and returns r⁻¹·(s·R − e·G). If that is Q, then s·R = e·G + r·Q, so
    R = s⁻¹·(e·G + r·Q) = R': R' is R, which is finite and has R's x and parity.
    (⇐) If R' ≠ O has x(R') = r + j·n < p, then x³ + 7 is a square (R' is its root), so the
    lift succeeds, and it picks the one point with that x and parity b, which is R' itself.
    recover then returns r⁻¹·(s·R' − e·G) = r⁻¹·(e·G + r·Q − e·G) = Q, never O since Q ≠ O.

    Two details are where plain ECDSA verification differs. It compares x(R') mod n with r,
    which also accepts x(R') = r + n when j = 0 (recover with j = 0 lifts x = r, another
    point, and returns another key); here the comparison is of integers, with j·n added. And
    it ignores y(R'), so it accepts the same (r, s) with either recovery id; recover returns
    another key for the other parity (the lift of −R'), so here the parity must match.
    High s needs no special case: (r, n − s, b ⊕ 1) recovers the same Q as (r, s, b), and the
    same R' arises here with the other parity; ERC-8128's low-s rule is checked by the caller.

    No Keccak and no square root; one shared chain of ~128 doublings, ~52 additions with the
    wider table above, and one inversion, only when the x coordinates already agree.
    Raises InvalidSignature for r or s outside [1, n-1] or a recovery id outside 0..3, as
    :func:`recover` does.
    """
    _check_hash(message_hash)
    _check_scalar_type("r", r)
    _check_scalar_type("s", s)
    _check_scalar_type("recovery_id", recovery_id)
    if not isinstance(key, PrecomputedKey):
        raise InvalidKey("point_type", f"expected a PrecomputedKey, got {type(key).__name__}")
    if not 1 <= r < N:
        raise InvalidSignature("signature_r_range", f"expected 1 <= r < n, got r = {r:#x}")
    if not 1 <= s < N:
        raise InvalidSignature("signature_s_range", f"expected 1 <= s < n, got s = {s:#x}")
    if recovery_id not in (0, 1, 2, 3):
        raise InvalidSignature("recovery_id", f"expected 0, 1, 2 or 3, got {recovery_id}")
    x_expected = r + (recovery_id >> 1) * N
    if not x_expected < P:
        return False  # recover fails: no curve point has this x
    e = bits2int(message_hash)
    s_inverse = pow(s, -1, N)
    generator_multiples, generator_endomorphism_multiples = _generator_odd_multiples()
    terms = _glv_terms(r * s_inverse % N, key.odd_multiples, key.endomorphism_multiples,
                       _KEY_WIDTH)
    terms += _glv_terms(
        e * s_inverse % N, generator_multiples, generator_endomorphism_multiples,
        _GENERATOR_WIDTH,
    )
    X, Y, Z = _straus(terms)
    if Z == 0:
        return False  # R' = O
    # x(R') = X / Z²: compare X with x_expected·Z² first, so a mismatch costs no inversion.
    Z_squared = Z * Z % P
    if x_expected * Z_squared % P != X:
        return False
    y = Y * pow(Z_squared * Z % P, -1, P) % P
    return y & 1 == recovery_id & 1
