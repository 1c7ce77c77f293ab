"""Signed calls to one server, repaired once from its ``Accept-Signature`` challenge."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from erc8128.client.accept_signature import repair_hint
from erc8128.client.errors import ClientError
from erc8128.client.signer import Signer
from erc8128.client.transport import DEFAULT_TIMEOUT_SEC, Response, signed_fetch
from erc8128.errors import Erc8128Error
from erc8128.http.message import ascii_lower
from erc8128.protocol.sign import DEFAULT_LABEL

__all__ = ["Client"]


@dataclass(frozen=True)
class Client:
    """Signed requests to one server: every call is signed with a fresh nonce.

    A 401 carrying ``Accept-Signature`` is repaired once: ERC-8128 §6 "A retry MUST use the
    advertised label and cover exactly the listed component identifiers in the listed order".
    """

    base_url: str
    signer: Signer
    label: str = DEFAULT_LABEL
    timeout: float = DEFAULT_TIMEOUT_SEC
    clock: Callable[[], float] = time.time  # the edge: the only clock the client reads

    def url(self, target: str) -> str:
        """``base_url`` joined with an absolute path (``/api/whoami``)."""
        if target.startswith(("http://", "https://")):
            return target
        return self.base_url.rstrip("/") + "/" + target.lstrip("/")

    def request(
        self,
        method: str,
        target: str,
        *,
        headers: Sequence[tuple[str, str]] = (),
        body: bytes | None = None,
        json_body: Any = None,
        components: Sequence[str] | None = None,
    ) -> Response:
        """Send a signed request; retry once on a 401 with an ``Accept-Signature`` repair hint."""
        header_list = list(headers)
        if json_body is not None:
            body = json.dumps(json_body, separators=(",", ":")).encode("utf-8")
            if not any(ascii_lower(name) == "content-type" for name, _ in header_list):
                header_list.append(("Content-Type", "application/json"))
        url = self.url(target)
        response = signed_fetch(
            url,
            signer=self.signer,
            method=method,
            headers=header_list,
            body=body,
            label=self.label,
            components=components,
            now=int(self.clock()),
            timeout=self.timeout,
        )
        wanted = repair_hint(response.status, response.header("accept-signature"))
        if wanted is None:
            return response
        try:
            return signed_fetch(
                url,
                signer=self.signer,
                method=method,
                headers=header_list,
                body=body,
                label=wanted.label,
                components=wanted.components,
                nonce=wanted.nonce,
                params=dict(wanted.params),
                now=int(self.clock()),
                timeout=self.timeout,
            )
        except ClientError:
            raise
        except Erc8128Error:
            # The hint asks for a component this request cannot cover (a field it does not
            # carry): no compliant retry exists, so the server's refusal stands.
            return response

    def get(self, target: str, **options: Any) -> Response:
        return self.request("GET", target, **options)

    def post(self, target: str, json_body: Any = None, **options: Any) -> Response:
        return self.request("POST", target, json_body=json_body, **options)

    def get_json(self, target: str) -> Any:
        """GET ``target``; the JSON answer, or :class:`ClientError` with the server's reason."""
        return self.get(target).raise_for_status().json()

    def post_json(self, target: str, json_body: Any = None) -> Any:
        """POST ``json_body``; the JSON answer, or :class:`ClientError` with the server's reason."""
        return self.post(target, json_body).raise_for_status().json()
