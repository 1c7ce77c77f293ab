"""What an app handler receives and returns: the verified call, the answer, the refusal.

:class:`Call` is a request whose signature verified, with what its route bound;
:class:`Handled` is the answer and what the access log says about it; :class:`AppError` is an
application-level refusal after verification (ERC-8128 §6: "HTTP 403 is reserved for application
authorization denied after a Request Signature has verified"); :class:`Refusal` is the
server-level record of a request refused before any signature verified (decision D35).
"""

import json
from dataclasses import dataclass
from typing import Any

from erc8128.errors import Erc8128Error
from erc8128.http.message import Request
from erc8128.protocol.challenge import HttpResponse, problem_response
from erc8128.protocol.verify import Verified


class AppError(Erc8128Error):
    """An application-level refusal with its HTTP status (400, 404, 409, 410, 415...)."""

    status: int

    def __init__(self, reason: str, message: str, *, status: int) -> None:
        super().__init__(reason, message)
        self.status = status


@dataclass(frozen=True)
class Handled:
    """The answer to one request and what the access log should say about it."""

    response: HttpResponse
    reason: str | None = None  # the stable code of a refusal
    agent: str | None = None  # the verified signer address, when one verified
    # Failed verifications this answer charges to the client's budget (decision D34): the number
    # of candidates that failed with a CHARGED_REASONS code, or 1 for an unknown invite code
    # (guessing is throttled too).
    cost: int = 0


@dataclass(frozen=True)
class Refusal:
    """One request refused before any signature verified (the server-level record, D35)."""

    time: int
    project_id: str | None
    method: str
    path: str
    status: int
    reason: str


@dataclass(frozen=True)
class Call:
    """A request whose signature verified, with what its route bound."""

    request: Request
    now: int
    verified: Verified
    project: dict[str, Any] | None
    bound: dict[str, str]

    @property
    def agent(self) -> str:
        """The verified signer address (lowercase)."""
        return self.verified.address

    @property
    def owned_project(self) -> dict[str, Any]:
        """The route's project (every route that calls this names one)."""
        assert self.project is not None  # internal invariant of the route table
        return self.project


def json_response(status: int, document: object, *, headers: tuple[tuple[str, str], ...] = ()
                  ) -> HttpResponse:
    """A JSON answer (``application/json``, UTF-8)."""
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return HttpResponse(
        status=status,
        headers=(*headers, ("Content-Type", "application/json"), ("Cache-Control", "no-store")),
        body=body,
    )


def refusal_response(error: AppError) -> HttpResponse:
    """The problem answer (RFC 9457) for an application-level refusal."""
    return problem_response(error.status, error.reason, error.message)
