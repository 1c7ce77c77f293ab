"""ERC-8128, Signed HTTP Requests with Ethereum: the reference implementation.

Everything here runs on the Python standard library alone. Read the modules in the order the
data flows:

- the crypto core: ``keccak`` → ``secp256k1`` → ``personal_sign`` (ERC-191) → ``addresses``;
- HTTP message signatures: ``structured_fields`` (RFC 9651) → ``message`` → ``components`` →
  ``signature_base`` (RFC 9421) → ``content_digest`` (RFC 9530);
- ERC-8128 itself: ``keyid`` → ``profiles`` → ``policy`` → ``sign`` / ``verify``, with
  ``accounts`` (Universal Account verification), ``invalidation`` and ``nonces`` (replay state).

SPEC.md numbers the signing and verification steps; the code carries the same numbers.
"""

from __future__ import annotations

from erc8128._version import __version__
from erc8128.addresses import address_of, to_checksum_address
from erc8128.errors import Erc8128Error, VerificationError
from erc8128.keccak import keccak256
from erc8128.keyid import Account, parse_keyid
from erc8128.message import Request, request_from_wire
from erc8128.personal_sign import personal_message_hash, recover_address, sign_message
from erc8128.policy import VerifierPolicy
from erc8128.sign import SignedRequest, sign_request
from erc8128.verify import Verified, verify_request

__all__ = [
    "Account",
    "Erc8128Error",
    "Request",
    "SignedRequest",
    "VerificationError",
    "Verified",
    "VerifierPolicy",
    "__version__",
    "address_of",
    "keccak256",
    "parse_keyid",
    "personal_message_hash",
    "recover_address",
    "request_from_wire",
    "sign_message",
    "sign_request",
    "to_checksum_address",
    "verify_request",
]
