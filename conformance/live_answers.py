"""Judging a live answer against what a check requires (ERC-8128 §6).

ERC-8128 §6: "When a response body is sent, it SHOULD use RFC 9457 `application/problem+json`
and MUST include the same stable code in a `reason` extension." A refusal is judged by its
status, its ``WWW-Authenticate`` challenge and its problem body; an acceptance by its 2xx and,
for a JSON answer naming the caller, the signer it names.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Final

from erc8128_conformance.live_signing import LIVE_ADDRESS
from erc8128_conformance.live_transport import CHALLENGE_ERROR, HttpAnswer

__all__ = [
    "REASON_ONLY",
    "accepted",
    "accepted_or_rejected",
    "expect_rejection",
    "refused",
    "rejected",
    "status_of",
]


def expect_rejection(answer: HttpAnswer, status: int, reason: str) -> list[str]:
    """ERC-8128 §6: the status of the code, the challenge with `error`, the problem body."""
    problems = []
    if answer.status != status:
        problems.append(f"status: expected {status}, got {answer.status}")
    # ERC-8128 §6: "Every 401 response MUST include a challenge applicable to the target
    # resource"; "Its optional `error` auth-param carries one reason code from this section".
    challenge = answer.header("WWW-Authenticate")
    if status == 401 and challenge is None:
        problems.append("WWW-Authenticate: expected an ERC8128 challenge, got none")
    if challenge is not None:
        match = CHALLENGE_ERROR.match(challenge)
        if match is None or match.group(1) != reason:
            problems.append(
                f'WWW-Authenticate: expected ERC8128 error="{reason}", got {challenge!r}'
            )
    content_type = (answer.header("Content-Type") or "").split(";")[0].strip().lower()
    if answer.body:
        if content_type != "application/problem+json":
            problems.append(
                f"Content-Type: expected application/problem+json, got {content_type!r}"
            )
        try:
            document = json.loads(answer.body)
        except ValueError:
            document = None
        got = document.get("reason") if isinstance(document, dict) else None
        if got != reason:
            problems.append(f"problem+json reason: expected {reason!r}, got {got!r}")
    return problems


def status_of(reason: str) -> int:
    # ERC-8128 §6: "`signature_input_invalid` and `signature_too_large` use HTTP 400.
    # `signature_verification_unavailable` uses HTTP 503 [...] Every other failure below [...]
    # uses HTTP 401."
    if reason in ("signature_input_invalid", "signature_too_large"):
        return 400
    if reason == "signature_verification_unavailable":
        return 503
    return 401


# A problem of a request that was refused, but with another code or status (the report's
# "reason code or status only" group).
REASON_ONLY: Final = "reason/status only: "


def rejected(answer: HttpAnswer, reason: str, what: str = "") -> list[str]:
    problems = expect_rejection(answer, status_of(reason), reason)
    prefix = f"{what}: " if what else ""
    if not 200 <= answer.status < 300:
        prefix = REASON_ONLY + prefix
    return [f"{prefix}{p} ({answer.summary()})" for p in problems]


def accepted(answer: HttpAnswer, what: str = "a valid signed request",
             signer: str = LIVE_ADDRESS) -> list[str]:
    if not 200 <= answer.status < 300:
        return [f"{what}: expected 2xx, got {answer.summary()}"]
    # A JSON answer that names the caller must name the signer (as /api/whoami does).
    try:
        document = json.loads(answer.body)
    except ValueError:
        return []
    address = document.get("address") if isinstance(document, dict) else None
    if isinstance(address, str) and address.lower() != signer:
        return [f"{what}: the answer names {address}, expected the signer {signer}"]
    return []


def refused(answer: HttpAnswer, what: str) -> list[str]:
    """Not accepted: any 4xx (a router may refuse before the verifier does) or 501 (RFC 9110
    §15.6.2: "the appropriate response when the server does not recognize the request method");
    a 2xx accepted a signature for another request, another 5xx is a crash, not a refusal."""
    if 400 <= answer.status < 500 or answer.status == 501:
        return []
    return [f"{what}: expected a 4xx refusal (or 501), got {answer.summary()}"]


def accepted_or_rejected(answer: HttpAnswer, reasons: Sequence[str], what: str) -> list[str]:
    """Either outcome is conforming (the route's policy decides), but nothing else."""
    if 200 <= answer.status < 300:
        return accepted(answer, what)
    got = answer.reason()
    if got in reasons:
        return rejected(answer, got, what)
    # Refused, but with another code: reason-only.
    return [f"{REASON_ONLY}{what}: expected 2xx or a rejection with {list(reasons)}, got "
            f"{answer.summary()}"]

