"""What the ``requests`` and ``httpx`` auth classes share: the signing settings, and the fields
signing adds to a request an HTTP library holds.

Each library's auth class removes any earlier signature fields, describes its request as a
:class:`~erc8128.http.message.Request`, and sets the header lines returned here (ERC-8128 §3.4:
a fresh nonce, a 60-second window, the profile's Request-Bound components).
"""

import time
from collections.abc import Callable, Sequence

from erc8128.client import Signer
from erc8128.http.message import Request
from erc8128.protocol.sign import DEFAULT_LABEL


class SigningAuth:
    """The settings every signing auth holds, and the signature fields for one request."""

    def __init__(
        self,
        signer: Signer,
        *,
        label: str = DEFAULT_LABEL,
        components: Sequence[str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.signer = signer
        self.label = label
        self.components = components
        self.clock = clock  # the edge: the only clock the auth reads

    def signature_fields(
        self,
        request: Request,
        label: str,
        components: Sequence[str] | None,
        nonce: str | None = None,
    ) -> tuple[tuple[str, str], ...]:
        """The Content-Digest, Signature-Input and Signature lines that sign ``request`` now."""
        return self.signer.signature_headers(
            request, created=int(self.clock()), label=label, components=components, nonce=nonce
        )
