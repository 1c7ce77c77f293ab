"""ERC-8128 request signing for ``requests`` (``pip install 'erc8128[requests]'``).

``requests.get(url, auth=ERC8128Auth(signer))`` signs the prepared request (ERC-8128 §3.4:
fresh nonce, 60-second window, the profile's Request-Bound components plus ``content-digest``
and ``content-type`` when present) and, on a 401 carrying ``Accept-Signature``, re-signs once
as the challenge asks. ERC-8128 §6: "A retry MUST use the advertised label and cover exactly the
listed component identifiers in the listed order".
"""

from collections.abc import Sequence
from typing import Any

import requests
import requests.auth

from erc8128.client import SIGNATURE_FIELDS, ClientError, repair_hint
from erc8128.errors import Erc8128Error
from erc8128.http.message import Request
from erc8128.integrations.signing_auth import SigningAuth

__all__ = ["ERC8128Auth"]

def _body_bytes(body: object) -> bytes | None:
    if body is None:
        return None
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    raise ClientError(
        "body_not_bytes",
        f"expected a bytes or str body to sign, got {type(body).__name__} (a stream?)",
    )


def _text(value: str | bytes) -> str:
    """requests accepts header names and values as str or bytes; header text is latin-1."""
    return value.decode("latin-1") if isinstance(value, bytes) else value


class ERC8128Auth(SigningAuth, requests.auth.AuthBase):
    """``requests`` auth that signs every request with ``signer``."""

    def _sign(
        self,
        prepared: requests.PreparedRequest,
        label: str,
        components: Sequence[str] | None,
        nonce: str | None = None,
    ) -> None:
        for name in SIGNATURE_FIELDS:
            prepared.headers.pop(name, None)
        request = Request(
            str(prepared.method),
            str(prepared.url),
            tuple((_text(name), _text(value)) for name, value in prepared.headers.items()),
            _body_bytes(prepared.body),
        )
        for name, value in self.signature_fields(request, label, components, nonce):
            prepared.headers[name] = value

    def __call__(self, prepared: requests.PreparedRequest) -> requests.PreparedRequest:
        self._sign(prepared, self.label, self.components)
        prepared.register_hook("response", self._retry_on_challenge)
        return prepared

    def _retry_on_challenge(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        wanted = repair_hint(response.status_code, response.headers.get("Accept-Signature"))
        if wanted is None:
            return response
        retry = response.request.copy()
        # The retry must not come back here: one repair only.
        retry.hooks["response"] = []
        try:
            self._sign(retry, wanted.label, wanted.components, wanted.nonce)
        except Erc8128Error:
            # The hint names a component this request cannot cover (a field it lacks): no
            # compliant retry exists, so the server's refusal stands.
            return response
        response.content  # noqa: B018 -- drain the first answer so the connection is reusable
        response.close()
        answer: requests.Response = response.connection.send(retry, **kwargs)
        answer.history.append(response)
        answer.request = retry
        return answer
