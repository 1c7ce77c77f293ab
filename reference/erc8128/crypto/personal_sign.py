"""ERC-191 version 0x45 (``personal_sign``) and the strict EOA signature rules of ERC-8128 §3.4.3.

ERC-8128 §3.4.3: "This profile applies the ERC-191 `personal_sign` encoding directly to `M`:
H = keccak256("\\x19Ethereum Signed Message:\\n" || decimal(byteLength(M)) || M)".

Signatures are the 65 bytes r ‖ s ‖ v. Signing is RFC 6979 deterministic and always low-s;
recovery accepts only what §3.4.3 allows and says which rule a rejected signature broke.
"""

from erc8128.crypto.addresses import address_of_public_key
from erc8128.crypto.keccak import keccak256_reusing_first_block
from erc8128.crypto.secp256k1 import (
    N,
    PrecomputedKey,
    RecoverableSignature,
    decode_public_key,
    encode_public_key,
    precompute_key,
    recover,
    sign,
    verify_recoverable,
)
from erc8128.errors import InvalidKey, InvalidSignature

# ERC-191: "0x19 <0x45 (E)> <thereum Signed Message:\n" + len(message)> <data to sign>".
PERSONAL_MESSAGE_PREFIX = b"\x19Ethereum Signed Message:\n"
_SIGNATURE_LENGTH = 65
_V_OFFSET = 27


def prefixed_message(message: bytes) -> bytes:
    """0x19 ‖ "Ethereum Signed Message:" ‖ LF ‖ decimal byte length ‖ message: what H hashes."""
    if not isinstance(message, bytes):
        raise InvalidSignature("message_type", f"expected bytes, got {type(message).__name__}")
    # ERC-8128 §3.4.3: "`byteLength(M)` is the length of the serialized signature base in
    # bytes. The decimal length has no leading zeroes."
    length = str(len(message)).encode("ascii")
    return PERSONAL_MESSAGE_PREFIX + length + message


def personal_message_hash(message: bytes) -> bytes:
    """H = keccak256(0x19 ‖ "Ethereum Signed Message:" ‖ LF ‖ decimal byte length ‖ message).

    The message is a signature base (public), so the Keccak state after its first block is
    remembered (erc8128.crypto.keccak.keccak256_reusing_first_block)."""
    return keccak256_reusing_first_block(prefixed_message(message))


def check_hash(message_hash: bytes) -> None:
    """Reject a hash that is not 32 bytes (reason ``hash_type`` or ``hash_length``)."""
    if not isinstance(message_hash, bytes):
        raise InvalidSignature("hash_type", f"expected bytes, got {type(message_hash).__name__}")
    if len(message_hash) != 32:
        raise InvalidSignature("hash_length", f"expected 32 bytes, got {len(message_hash)}")


def encode_signature(signature: RecoverableSignature) -> bytes:
    """r (32 bytes) ‖ s (32 bytes) ‖ v (1 byte, 27 + recovery id)."""
    return (
        signature.r.to_bytes(32, "big")
        + signature.s.to_bytes(32, "big")
        + bytes((_V_OFFSET + signature.recovery_id,))
    )


def decode_signature(signature: bytes) -> RecoverableSignature:
    """(r, s, recovery id) of a 65-byte signature that obeys every rule of ERC-8128 §3.4.3.

    ERC-8128 §3.4.3: "An EOA signature MUST be exactly 65 bytes `r || s || v`, with
    `1 <= r < secp256k1n`, `1 <= s <= secp256k1n / 2`, and `v` exactly 27 or 28. Compact, DER,
    high-`s`, EIP-155 transaction, and 0/1-`v` encodings are invalid."
    """
    if not isinstance(signature, bytes):
        raise InvalidSignature("signature_type", f"expected bytes, got {type(signature).__name__}")
    # "exactly 65 bytes `r || s || v`"
    if len(signature) != _SIGNATURE_LENGTH:
        raise InvalidSignature(
            "signature_length", f"expected 65 bytes r ‖ s ‖ v, got {len(signature)}"
        )
    r = int.from_bytes(signature[0:32], "big")
    s = int.from_bytes(signature[32:64], "big")
    v = signature[64]
    # "`1 <= r < secp256k1n`"
    if not 1 <= r < N:
        raise InvalidSignature("signature_r_range", f"expected 1 <= r < n, got r = {r:#x}")
    # "`1 <= s <= secp256k1n / 2`": s outside [1, n-1] is no ECDSA scalar at all ...
    if not 1 <= s < N:
        raise InvalidSignature("signature_s_range", f"expected 1 <= s < n, got s = {s:#x}")
    # ... and n/2 < s < n is the high-s twin of a valid signature.
    if not s <= N // 2:
        raise InvalidSignature("signature_high_s", f"expected s <= n/2, got s = {s:#x}")
    # "`v` exactly 27 or 28"
    if v not in (27, 28):
        raise InvalidSignature("signature_v", f"expected v = 27 or 28, got v = {v}")
    return RecoverableSignature(r, s, v - _V_OFFSET)


def sign_hash(private_key: bytes, message_hash: bytes) -> bytes:
    """The 65-byte low-s signature r ‖ s ‖ v of a 32-byte hash (RFC 6979, v = 27 or 28)."""
    check_hash(message_hash)
    return encode_signature(sign(private_key, message_hash))


def sign_message(private_key: bytes, message: bytes) -> bytes:
    """The 65-byte ERC-191 ``personal_sign`` signature of ``message``."""
    return sign_hash(private_key, personal_message_hash(message))


def recover_public_key(message_hash: bytes, signature: bytes) -> bytes:
    """The 64-byte public key x ‖ y that produced a strict §3.4.3 signature of the hash."""
    check_hash(message_hash)
    decoded = decode_signature(signature)
    Q = recover(message_hash, decoded.r, decoded.s, decoded.recovery_id)
    return encode_public_key(Q)


def recover_address(message_hash: bytes, signature: bytes) -> str:
    """The lowercase ``0x`` address that produced a strict §3.4.3 signature of the hash."""
    return address_of_public_key(recover_public_key(message_hash, signature))


def prepare_public_key(public_key: bytes) -> PrecomputedKey:
    """A public key (64-byte x ‖ y) with the table :func:`signed_by` uses, built once."""
    return precompute_key(decode_public_key(public_key))


def signed_by(key: object, message_hash: bytes, signature: bytes) -> bool:
    """True exactly when :func:`recover_public_key` of the signature would return ``key``.

    The same strict §3.4.3 checks as :func:`recover_public_key`, in the same order and with
    the same errors; then :func:`erc8128.crypto.secp256k1.verify_recoverable` instead of the
    recovery (its docstring proves the equivalence).
    """
    if not isinstance(key, PrecomputedKey):
        raise InvalidKey("point_type", f"expected a PrecomputedKey, got {type(key).__name__}")
    check_hash(message_hash)
    decoded = decode_signature(signature)
    return verify_recoverable(key, message_hash, decoded.r, decoded.s, decoded.recovery_id)
