"""A server's response and the error every client operation raises: a transport failure or a
server's refusal, which carries the response. One module, because each names the other
(:meth:`Response.raise_for_status` raises :class:`ClientError`, which holds the response).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from erc8128.errors import Erc8128Error
from erc8128.http.bounded_json import check_depth
from erc8128.http.message import ascii_lower
from erc8128.protocol.sign import SignedRequest


class ClientError(Erc8128Error):
    """A request the client could not complete: transport failure, or a server rejection.

    For a rejection, ``reason`` is the server's stable code (the problem document's ``reason``,
    else the ``WWW-Authenticate`` ``error``, else ``http_<status>``); ``status`` is the HTTP
    status (0 when no response arrived) and ``response`` the response itself.
    """

    status: int
    response: Response | None

    def __init__(
        self, reason: str, message: str, *, status: int = 0, response: Response | None = None
    ) -> None:
        super().__init__(reason, message)
        self.status = status
        self.response = response


def parse_json(body: bytes) -> Any:
    """A server's JSON body, its nesting bounded first (bounded_json); ValueError if not JSON."""
    text = body.decode("utf-8")
    check_depth(text)
    return json.loads(text)


@dataclass(frozen=True)
class Response:
    """An HTTP response: status, header field lines in wire order, body bytes."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    signed: SignedRequest | None = None  # the signed request that produced it, when signed

    def header(self, name: str) -> str | None:
        """The combined value of every field line named ``name``, or ``None``."""
        wanted = ascii_lower(name)
        values = [value for key, value in self.headers if ascii_lower(key) == wanted]
        return ", ".join(values) if values else None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        """The body parsed as JSON; :class:`ClientError` ``invalid_response`` if it is not."""
        try:
            return parse_json(self.body)
        except ValueError as error:
            raise ClientError(
                "invalid_response",
                f"expected a JSON body from HTTP {self.status}, got {error}",
                status=self.status,
                response=self,
            ) from None

    @property
    def reason(self) -> str | None:
        """The stable failure code the server gave, if any (ERC-8128 §6)."""
        content_type = self.header("content-type") or ""
        if "json" in content_type:
            try:
                problem = parse_json(self.body)
            except ValueError:
                problem = None
            # ERC-8128 §6: a problem body "MUST include the same stable code in a `reason`
            # extension".
            if isinstance(problem, dict) and isinstance(problem.get("reason"), str):
                return str(problem["reason"])
        challenge = self.header("www-authenticate") or ""
        found = re.search(r'\berror="([^"\\]*)"', challenge)
        return found.group(1) if found else None

    def raise_for_status(self) -> Response:
        """This response if 2xx; otherwise :class:`ClientError` carrying the server's reason."""
        if self.ok:
            return self
        reason = self.reason or f"http_{self.status}"
        detail = ""
        try:
            problem = parse_json(self.body)
            if isinstance(problem, dict):
                detail = str(problem.get("detail") or problem.get("title") or "")
        except ValueError:
            detail = self.body[:200].decode("utf-8", "replace")
        raise ClientError(
            reason, f"expected a 2xx answer, got HTTP {self.status}: {detail}".rstrip(": "),
            status=self.status, response=self,
        )
