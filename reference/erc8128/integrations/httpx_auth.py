"""ERC-8128 request signing for ``httpx``, sync and async (``pip install 'erc8128[httpx]'``).

``httpx.Client(auth=ERC8128Auth(signer))`` signs every request (ERC-8128 §3.4: fresh nonce,
60-second window) and, on a 401 carrying ``Accept-Signature``, re-signs once as the challenge
asks. ERC-8128 §6: "A retry MUST use the advertised label and cover exactly the listed component
identifiers in the listed order". The same generator flow serves ``httpx.AsyncClient``.
"""

from collections.abc import Generator, Sequence

import httpx

from erc8128.client import SIGNATURE_FIELDS, repair_hint
from erc8128.errors import Erc8128Error
from erc8128.http.message import Request
from erc8128.integrations.signing_auth import SigningAuth

__all__ = ["ERC8128Auth"]


class ERC8128Auth(SigningAuth, httpx.Auth):
    """``httpx`` auth flow that signs every request with ``signer``."""

    # The signature covers the content's digest, so httpx must buffer the body first.
    requires_request_body = True

    def _sign(
        self,
        request: httpx.Request,
        label: str,
        components: Sequence[str] | None,
        nonce: str | None = None,
    ) -> None:
        for name in SIGNATURE_FIELDS:
            if name in request.headers:
                del request.headers[name]
        content = request.content
        unsigned = Request(
            request.method,
            str(request.url),
            tuple(
                (name.decode("latin-1"), value.decode("latin-1"))
                for name, value in request.headers.raw
            ),
            content if content else None,
        )
        for name, value in self.signature_fields(unsigned, label, components, nonce):
            request.headers[name] = value

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self._sign(request, self.label, self.components)
        response = yield request
        wanted = repair_hint(response.status_code, response.headers.get("Accept-Signature"))
        if wanted is None:
            return
        try:
            self._sign(request, wanted.label, wanted.components, wanted.nonce)
        except Erc8128Error:
            # The hint names a component this request cannot cover: the refusal stands.
            return
        yield request
