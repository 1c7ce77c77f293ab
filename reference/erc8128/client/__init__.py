"""The agent side of ERC-8128: a key, signed requests over HTTP, and joining a server.

ERC-8128 §3.4 (Signing) done at the edge: :class:`Signer` holds the secp256k1 key,
:func:`signed_fetch` reads the clock, signs with :func:`erc8128.protocol.sign.sign_request` (fresh
nonce, 60-second window) and sends the request with ``http.client``; :class:`Client` does this for
every call to one server and repairs a rejected signature once from the server's
``Accept-Signature`` challenge (ERC-8128 §6). :func:`discover`, :func:`request_access` and
:func:`bootstrap` speak the demo server's registration API (README, "The demo server's HTTP
API"): an agent generates its key locally, never sends it anywhere, and proves it by signing.

One concept per module: :mod:`~erc8128.client.keys` (the key's text form),
:mod:`~erc8128.client.signer`, :mod:`~erc8128.client.transport` (``http.client``, exactly as
signed), :mod:`~erc8128.client.accept_signature` (RFC 9421 §5.1 repair hints),
:mod:`~erc8128.client.api_client`, :mod:`~erc8128.client.discovery` (§7) and
:mod:`~erc8128.client.enrolment` (the demo server's registration API). This module is the
surface: import from ``erc8128.client``.
"""

from erc8128.client.accept_signature import (
    SIGNATURE_FIELDS,
    AcceptSignature,
    parse_accept_signature,
    repair_hint,
)
from erc8128.client.api_client import Client
from erc8128.client.discovery import Discovery, discover
from erc8128.client.enrolment import Enrollment, bootstrap, redeem_invite, request_access
from erc8128.client.errors import ClientError, Response
from erc8128.client.keys import DEFAULT_KEY_ENV, format_private_key, parse_private_key
from erc8128.client.signer import Signer
from erc8128.client.transport import send_request, signed_fetch

__all__ = [
    "DEFAULT_KEY_ENV",
    "SIGNATURE_FIELDS",
    "AcceptSignature",
    "Client",
    "ClientError",
    "Discovery",
    "Enrollment",
    "Response",
    "Signer",
    "bootstrap",
    "discover",
    "format_private_key",
    "parse_accept_signature",
    "parse_private_key",
    "redeem_invite",
    "repair_hint",
    "request_access",
    "send_request",
    "signed_fetch",
]
