"""Signed calls to one server, repaired once from its ``Accept-Signature`` challenge, and signed
again once after a ``Retry-After`` refusal (a restarted verifier, SPEC.md D61)."""

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from erc8128.client.accept_signature import repair_hint
from erc8128.client.errors import ClientError, Response
from erc8128.client.signer import Signer
from erc8128.client.transport import DEFAULT_TIMEOUT_SEC, signed_fetch
from erc8128.errors import Erc8128Error
from erc8128.http.message import ascii_lower
from erc8128.http.structured_fields import BareItem
from erc8128.protocol.sign import DEFAULT_LABEL

# The longest Retry-After the client waits out by itself before its one retry; a longer one is
# returned to the caller as is.
MAX_RETRY_AFTER_SEC: Final = 5


def retry_delay(response: Response) -> int | None:
    """Seconds to wait before signing again, when a refusal (401 or 503) carries a
    ``Retry-After`` of at most :data:`MAX_RETRY_AFTER_SEC` delta-seconds; else None.

    RFC 9110 §10.2.3: "Retry-After = HTTP-date / delay-seconds"; only the delay form is used.
    A restarted verifier (SPEC.md D61) answers 401 with ``Retry-After``: the time after which a
    freshly signed request passes. The retry is signed anew (fresh created and nonce), so it
    can never be a replay.
    """
    if response.status not in (401, 503):
        return None
    value = response.header("retry-after")
    if value is None:
        return None
    value = value.strip()
    if not value.isascii() or not value.isdigit() or len(value) > 6:
        return None
    delay = int(value)
    return delay if delay <= MAX_RETRY_AFTER_SEC else None


def absolute_url(url: str) -> str:
    """``url`` itself when it is an absolute http(s) URL; otherwise ``url_not_absolute``, with
    the URL to type for a local server (a newcomer's ``127.0.0.1:8128/api/whoami``)."""
    if url.lower().startswith(("http://", "https://")):
        return url
    raise ClientError(
        "url_not_absolute",
        f"expected an absolute URL starting with http:// or https://, got {url!r} "
        f"(for a local server: http://{url.rsplit('://', maxsplit=1)[-1].lstrip('/')})",
    )


@dataclass(frozen=True)
class Client:
    """Signed requests to one server: every call is signed with a fresh nonce.

    A 401 carrying ``Accept-Signature`` is repaired once: ERC-8128 §6 "A retry MUST use the
    advertised label and cover exactly the listed component identifiers in the listed order".
    A 401 or 503 carrying a short ``Retry-After`` (:func:`retry_delay`) is signed again and sent
    once more after that many seconds.
    """

    base_url: str
    signer: Signer
    label: str = DEFAULT_LABEL
    timeout: float = DEFAULT_TIMEOUT_SEC
    clock: Callable[[], float] = time.time  # the edge: the only clock the client reads
    sleep: Callable[[float], None] = time.sleep  # waits out a Retry-After

    def url(self, target: str) -> str:
        """``base_url`` joined with an absolute path (``/api/whoami``); without a base URL,
        ``target`` itself, which must then be absolute."""
        if target.startswith(("http://", "https://")):
            return target
        if not self.base_url:
            return absolute_url(target)
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
        """Send a signed request; sign again and retry once after a short ``Retry-After``, and
        once on a 401 with an ``Accept-Signature`` repair hint."""
        header_list = list(headers)
        if json_body is not None:
            body = json.dumps(json_body, separators=(",", ":")).encode("utf-8")
            if not any(ascii_lower(name) == "content-type" for name, _ in header_list):
                header_list.append(("Content-Type", "application/json"))
        url = self.url(target)

        def send(
            label: str,
            covered: Sequence[str] | None,
            nonce: str | None = None,
            params: Mapping[str, BareItem] | None = None,
        ) -> Response:
            return signed_fetch(
                url,
                signer=self.signer,
                method=method,
                headers=header_list,
                body=body,
                label=label,
                components=covered,
                nonce=nonce,
                params=params,
                now=int(self.clock()),
                timeout=self.timeout,
            )

        response = send(self.label, components)
        delay = retry_delay(response)
        if delay is not None:
            self.sleep(delay)
            response = send(self.label, components)
        wanted = repair_hint(response.status, response.header("accept-signature"))
        if wanted is None:
            return response
        try:
            return send(wanted.label, wanted.components, wanted.nonce, dict(wanted.params))
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
