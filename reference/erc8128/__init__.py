"""ERC-8128, Signed HTTP Requests with Ethereum: the reference implementation.

Everything here runs on the Python standard library alone. The package is layered; each layer
imports only from the layers before it (tests/package/test_layers.py checks this):

- ``crypto``: ``keccak`` → ``secp256k1`` → ``personal_sign`` (ERC-191) → ``addresses``;
- ``http``: ``structured_fields`` (RFC 9651) → ``message`` → ``components`` →
  ``signature_base`` (RFC 9421) → ``content_digest`` (RFC 9530), the trusted ``origin``;
- ``state``: replay stores (``nonces``) and early-invalidation state, in memory, SQLite, Redis;
- ``protocol``: ERC-8128 itself: ``keyid`` → ``profiles`` → ``policy`` → ``sign`` /
  ``verify``, with ``accounts`` (Universal Account verification), ``challenge`` (§6) and
  ``discovery`` (§7);
- ``chain`` (JSON-RPC account state), ``client``, ``integrations`` (WSGI/ASGI, requests,
  httpx), ``server`` (the demo server) and ``cli``.

SPEC.md numbers the signing and verification steps; the code carries the same numbers. This
module is the public surface: what an integrator needs to sign, verify, answer a failure and
keep replay and invalidation state (docs/API.md, "The package's public surface"). The other
documented entry points are ``erc8128.client``, ``erc8128.server``, ``erc8128.state.nonces``,
``erc8128.state.invalidation``, the ``erc8128.integrations`` modules and ``erc8128.cli``; every
other module is implementation.
"""

from erc8128._version import __version__
from erc8128.crypto.addresses import address_of, to_checksum_address
from erc8128.crypto.keccak import keccak256
from erc8128.crypto.personal_sign import personal_message_hash, recover_address, sign_message
from erc8128.errors import Erc8128Error, VerificationError
from erc8128.http.message import Request, request_from_wire
from erc8128.protocol.accounts import AccountState, NoCodeAccountState
from erc8128.protocol.challenge import HttpResponse, failure_response, problem_response
from erc8128.protocol.keyid import Account, parse_keyid
from erc8128.protocol.policy import VerifierPolicy
from erc8128.protocol.sign import SignedRequest, SigningError, sign_request
from erc8128.protocol.verify import (
    Explanation,
    TraceStep,
    Verified,
    explain_request,
    verify_request,
)
from erc8128.reasons import REASON_CODES, http_status
from erc8128.state.invalidation import InvalidationState, MemoryInvalidationState
from erc8128.state.nonces.base import ReplayStore
from erc8128.state.nonces.memory import MemoryReplayStore

# docs/API.md "The package's public surface" describes each name
# (tests/package/test_public_surface.py).
__all__ = [
    "REASON_CODES",
    "Account",
    "AccountState",
    "Erc8128Error",
    "Explanation",
    "HttpResponse",
    "InvalidationState",
    "MemoryInvalidationState",
    "MemoryReplayStore",
    "NoCodeAccountState",
    "ReplayStore",
    "Request",
    "SignedRequest",
    "SigningError",
    "TraceStep",
    "VerificationError",
    "Verified",
    "VerifierPolicy",
    "__version__",
    "address_of",
    "explain_request",
    "failure_response",
    "http_status",
    "keccak256",
    "parse_keyid",
    "personal_message_hash",
    "problem_response",
    "recover_address",
    "request_from_wire",
    "sign_message",
    "sign_request",
    "to_checksum_address",
    "verify_request",
]
