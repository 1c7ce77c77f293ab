"""Optional accelerators for the crypto core, selected explicitly: coincurve and pycryptodome.

The pure-Python modules (keccak, secp256k1, personal_sign) are the ones to read; this module
only lets a deployment swap in native code for the same three operations:

* ``"pure"`` (the default): :mod:`erc8128.crypto.keccak` and :mod:`erc8128.crypto.personal_sign`;
* ``"pycryptodome"``: Keccak-256 from pycryptodome, the curve in pure Python;
* ``"coincurve"``: signing and recovery by libsecp256k1 through coincurve, Keccak-256 from
  pycryptodome when it is installed (pure Python otherwise).

Nothing third-party is imported unless its backend is selected, so the package itself stays
standard-library only. The ERC-8128 §3.4.3 rules are checked by our own code before any backend
sees a signature, so every backend accepts and rejects exactly the same inputs, with the same
reason codes; libsecp256k1 signs with RFC 6979 and low s, so signatures are byte-identical.

Selection: pass a :class:`Backend` from :func:`load_backend` around explicitly (pure style), or
call :func:`use_backend`, or set the environment variable ``ERC8128_BACKEND``; the module-level
functions (``sign_message``, ``recover_address``, ...) use :func:`selected_backend`.
"""

import ctypes
import importlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from erc8128.crypto import keccak as pure_keccak
from erc8128.crypto import personal_sign
from erc8128.crypto.secp256k1 import private_key_scalar
from erc8128.errors import Erc8128Error, InvalidSignature

BACKEND_NAMES = ("pure", "pycryptodome", "coincurve")
ENVIRONMENT_VARIABLE = "ERC8128_BACKEND"


class BackendUnavailable(Erc8128Error):
    """An unknown backend name (``backend_unknown``) or one whose library is not installed
    (``backend_not_installed``)."""


@dataclass(frozen=True)
class Backend:
    """One implementation of the three primitives; everything else is derived from them."""

    name: str
    keccak256: Callable[[bytes], bytes]
    # (private key, 32-byte hash) -> 65-byte r ‖ s ‖ v, RFC 6979, low s, v = 27 / 28.
    sign_hash: Callable[[bytes, bytes], bytes]
    # (32-byte hash, 65-byte strict signature) -> 64-byte public key x ‖ y.
    recover_public_key: Callable[[bytes, bytes], bytes]
    # For erc8128.crypto.key_cache: (64-byte public key) -> the form signed_by checks against, and
    # (that form, 32-byte hash, 65-byte signature) -> True exactly when recover_public_key would
    # return this key (same InvalidSignature as recover_public_key for a malformed signature).
    prepare_public_key: Callable[[bytes], object] = personal_sign.prepare_public_key
    signed_by: Callable[[object, bytes, bytes], bool] = personal_sign.signed_by
    # Keccak-256 for the ERC-191 hash H of a signature base, when it differs from keccak256:
    # the pure backend's remembers the state after the first block (erc8128.crypto.keccak).
    message_keccak256: Callable[[bytes], bytes] | None = None

    def personal_message_hash(self, message: bytes) -> bytes:
        """ERC-191 version 0x45 hash of ``message`` (see erc8128.crypto.personal_sign)."""
        prefixed = personal_sign.prefixed_message(message)
        if self.message_keccak256 is not None:
            return self.message_keccak256(prefixed)
        return self.keccak256(prefixed)

    def sign_message(self, private_key: bytes, message: bytes) -> bytes:
        """The 65-byte ERC-191 ``personal_sign`` signature of ``message``."""
        return self.sign_hash(private_key, self.personal_message_hash(message))

    def recover_address(self, message_hash: bytes, signature: bytes) -> str:
        """The lowercase address behind a strict ERC-8128 §3.4.3 signature of the hash."""
        public_key = self.recover_public_key(message_hash, signature)
        return "0x" + self.keccak256(public_key)[-20:].hex()


def _import(module_name: str, backend_name: str) -> Any:
    try:
        return importlib.import_module(module_name)
    except ImportError as error:
        raise BackendUnavailable(
            "backend_not_installed",
            f"backend {backend_name!r} needs the module {module_name!r}, which is not installed"
            f" ({error})",
        ) from error


def _pycryptodome_keccak256() -> Callable[[bytes], bytes]:
    keccak_module = _import("Crypto.Hash.keccak", "pycryptodome")

    def keccak256(data: bytes) -> bytes:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise pure_keccak.KeccakInputError(
                "input_type",
                f"expected bytes, bytearray or memoryview, got {type(data).__name__}",
            )
        digest: bytes = keccak_module.new(digest_bits=256, data=data).digest()
        return digest

    return _raw_keccak256(keccak_module, keccak256) or keccak256


def _raw_keccak256(keccak_module: Any, reference: Callable[[bytes], bytes]
                   ) -> Callable[[bytes], bytes] | None:
    """Keccak-256 calling pycryptodome's C functions directly through ctypes (init, absorb,
    digest, destroy), or None when pycryptodome uses another binding (cffi) or its C API is not
    the one expected. ``keccak_module.new(digest_bits=256, data=data).digest()`` (``reference``)
    does the same through two Python objects and their ctypes wrappers: about 10 µs against 3
    (issue 19). Both are tested against the same vectors (tests/crypto/test_accelerate.py); the
    digest of b"" is checked here before this path is used."""
    library = getattr(keccak_module, "_raw_keccak_lib", None)
    if not isinstance(library, ctypes.CDLL):
        return None
    init, absorb = library.keccak_init, library.keccak_absorb
    squeeze, destroy = library.keccak_digest, library.keccak_destroy
    capacity, rounds = ctypes.c_size_t(64), ctypes.c_ubyte(24)  # Keccak-256: c = 2 x 256 bits
    digest_size, padding = ctypes.c_size_t(32), ctypes.c_ubyte(0x01)  # Keccak, not SHA-3, pad

    def keccak256(data: bytes) -> bytes:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise pure_keccak.KeccakInputError(
                "input_type",
                f"expected bytes, bytearray or memoryview, got {type(data).__name__}",
            )
        if type(data) is not bytes:
            data = bytes(data)
        state = ctypes.c_void_p()
        if init(ctypes.byref(state), capacity, rounds):
            raise MemoryError("keccak_init failed")
        try:
            output = ctypes.create_string_buffer(32)
            if absorb(state, data, ctypes.c_size_t(len(data))) or squeeze(
                state, output, digest_size, padding
            ):
                raise ValueError("pycryptodome's Keccak refused its input")
            return output.raw
        finally:
            destroy(state)

    for sample in (b"", bytes(range(200))):
        if keccak256(sample) != reference(sample):
            return None
    return keccak256


def _coincurve_backend(keccak256: Callable[[bytes], bytes]) -> Backend:
    coincurve = _import("coincurve", "coincurve")

    def sign_hash(private_key: bytes, message_hash: bytes) -> bytes:
        private_key_scalar(private_key)  # the same InvalidKey reasons as the pure path
        personal_sign.check_hash(message_hash)
        # libsecp256k1: RFC 6979 nonces, s normalised to low s; the last byte is the recovery id.
        signature: bytes = coincurve.PrivateKey(private_key).sign_recoverable(
            message_hash, hasher=None
        )
        return signature[:64] + bytes((27 + signature[64],))

    def reference_recover(message_hash: bytes, compact: bytes) -> bytes:
        """coincurve's public API: recoverable signature r ‖ s ‖ recid -> 64-byte x ‖ y."""
        try:
            public_key = coincurve.PublicKey.from_signature_and_message(
                compact, message_hash, hasher=None
            )
        except ValueError as error:
            raise InvalidSignature(
                "recovery_failed", f"libsecp256k1 recovers no public key ({error})"
            ) from error
        encoded: bytes = public_key.format(compressed=False)
        return encoded[1:]

    recover = _direct_recover(reference_recover) or reference_recover

    def recover_public_key(message_hash: bytes, signature: bytes) -> bytes:
        personal_sign.check_hash(message_hash)
        decoded = personal_sign.decode_signature(signature)  # every §3.4.3 rule, our reasons
        return recover(message_hash, signature[:64] + bytes((decoded.recovery_id,)))

    def signed_by(prepared: object, message_hash: bytes, signature: bytes) -> bool:
        # libsecp256k1's ecdsa_verify compares x(R) mod n with r and ignores R's parity, so it
        # would accept a flipped v that recovery rejects (see secp256k1.verify_recoverable);
        # its recovery (~40 µs) compared with the known key, without the Keccak, is exact.
        return recover_public_key(message_hash, signature) == prepared

    return Backend(
        "coincurve",
        keccak256,
        sign_hash,
        recover_public_key,
        prepare_public_key=bytes,
        signed_by=signed_by,
    )


def _direct_recover(reference: Callable[[bytes, bytes], bytes]
                    ) -> Callable[[bytes, bytes], bytes] | None:
    """The same recovery as ``reference`` (coincurve's PublicKey.from_signature_and_message and
    format), made with the three libsecp256k1 calls coincurve makes (parse_compact, recover,
    serialize), without its Python objects in between: about 40 µs of its 70 on this path were
    Python (issue 19). None when coincurve's cffi module is not the one expected; checked
    against ``reference`` on a known signature before it is used."""
    try:
        binding = _import("coincurve._libsecp256k1", "coincurve")
        context = _import("coincurve.context", "coincurve").GLOBAL_CONTEXT.ctx
        uncompressed = _import("coincurve.flags", "coincurve").EC_UNCOMPRESSED
    except (BackendUnavailable, AttributeError):
        return None
    ffi, lib = binding.ffi, binding.lib
    parse = lib.secp256k1_ecdsa_recoverable_signature_parse_compact
    recover, serialize = lib.secp256k1_ecdsa_recover, lib.secp256k1_ec_pubkey_serialize

    def direct(message_hash: bytes, compact: bytes) -> bytes:
        recoverable = ffi.new("secp256k1_ecdsa_recoverable_signature *")
        if not parse(context, recoverable, compact[:64], compact[64]):
            raise InvalidSignature("recovery_failed",
                                   "libsecp256k1 recovers no public key (unparsable signature)")
        public_key = ffi.new("secp256k1_pubkey *")
        if not recover(context, public_key, recoverable, message_hash):
            raise InvalidSignature("recovery_failed",
                                   "libsecp256k1 recovers no public key (failed to recover)")
        output = ffi.new("unsigned char[65]")
        serialize(context, output, ffi.new("size_t *", 65), public_key, uncompressed)
        return bytes(ffi.buffer(output, 65))[1:]

    # The public test key's signature of 32 zero bytes (r, s, recovery id 1), from coincurve.
    sample_hash = bytes(32)
    sample = bytes.fromhex(
        "a0b37f8fba683cc68f6574cd43b39f0343a50008bf6ccea9d13231d9e7e2e1e4"
        "11edc8d307254296264aebfc3dc76cd8b668373a072fd64665b50000e9fcce52") + b"\x01"
    try:
        if direct(sample_hash, sample) != reference(sample_hash, sample):
            return None
    except InvalidSignature:
        return None
    return direct


@cache
def load_backend(name: str) -> Backend:
    """The backend called ``name`` (one of BACKEND_NAMES), importing its library now."""
    if name == "pure":
        return Backend(
            "pure",
            pure_keccak.keccak256,
            personal_sign.sign_hash,
            personal_sign.recover_public_key,
            message_keccak256=pure_keccak.keccak256_reusing_first_block,
        )
    if name == "pycryptodome":
        return Backend(
            "pycryptodome",
            _pycryptodome_keccak256(),
            personal_sign.sign_hash,
            personal_sign.recover_public_key,
        )
    if name == "coincurve":
        try:
            keccak256 = _pycryptodome_keccak256()
        except BackendUnavailable:
            keccak256 = pure_keccak.keccak256
        return _coincurve_backend(keccak256)
    raise BackendUnavailable(
        "backend_unknown", f"expected one of {', '.join(BACKEND_NAMES)}, got {name!r}"
    )


def backend_from_environment(environment: Mapping[str, str]) -> Backend:
    """The backend named by ``ERC8128_BACKEND`` in ``environment`` ("pure" when unset or empty)."""
    return load_backend(environment.get(ENVIRONMENT_VARIABLE) or "pure")


# The one piece of mutable state in the package: an explicit process-wide choice, if any.
_selection: list[Backend] = []


def use_backend(name: str | None) -> Backend | None:
    """Select a backend for the module-level functions; ``None`` returns to the environment."""
    _selection.clear()
    if name is None:
        return None
    backend = load_backend(name)
    _selection.append(backend)
    return backend


def selected_backend() -> Backend:
    """The backend chosen by :func:`use_backend`, else by ``ERC8128_BACKEND``, else pure."""
    if _selection:
        return _selection[0]
    return backend_from_environment(os.environ)


def keccak256(data: bytes) -> bytes:
    """Keccak-256 with the selected backend."""
    return selected_backend().keccak256(data)


def personal_message_hash(message: bytes) -> bytes:
    """ERC-191 ``personal_sign`` hash with the selected backend."""
    return selected_backend().personal_message_hash(message)


def sign_hash(private_key: bytes, message_hash: bytes) -> bytes:
    """65-byte r ‖ s ‖ v signature of a 32-byte hash with the selected backend."""
    return selected_backend().sign_hash(private_key, message_hash)


def sign_message(private_key: bytes, message: bytes) -> bytes:
    """65-byte ERC-191 signature of ``message`` with the selected backend."""
    return selected_backend().sign_message(private_key, message)


def recover_public_key(message_hash: bytes, signature: bytes) -> bytes:
    """64-byte public key behind a strict signature, with the selected backend."""
    return selected_backend().recover_public_key(message_hash, signature)


def recover_address(message_hash: bytes, signature: bytes) -> str:
    """Lowercase address behind a strict signature, with the selected backend."""
    return selected_backend().recover_address(message_hash, signature)
