"""ERC-8128, Signed HTTP Requests with Ethereum: the reference implementation.

Everything here runs on the Python standard library alone. Read the modules in the order the
data flows: keccak → secp256k1 → personal_sign → addresses (the crypto core), then
structured_fields → message → components → signature_base → content_digest (RFC 9651/9421/9530),
then keyid → profiles → sign / verify (ERC-8128 itself).
"""

from __future__ import annotations

from erc8128._version import __version__
from erc8128.errors import Erc8128Error

__all__ = [
    "Erc8128Error",
    "__version__",
]
