"""Judging a live answer against what a check requires (ERC-8128 §6).

ERC-8128 §6: "When a response body is sent, it SHOULD use RFC 9457 `application/problem+json`
and MUST include the same stable code in a `reason` extension." A refusal is judged by its
status, its ``WWW-Authenticate`` challenge and its problem body; an acceptance by its 2xx and,
for a JSON answer naming the caller, the signer it names.

The accept/refuse decision is the judge's (:func:`erc8128_conformance.judge.judge_answer`, the
rules vector answers are judged by); each problem is a typed
:class:`~erc8128_conformance.judge.Finding` (``outcome``: the decision is wrong; ``reason``: the
request was refused, with another code, status or response form), never a string to classify.
"""

import json
from collections.abc import Sequence
from typing import Literal

from erc8128.reasons import http_status
from erc8128_conformance.judge import Answer, Finding, judge_answer
from erc8128_conformance.live_signing import LIVE_ADDRESS
from erc8128_conformance.live_transport import CHALLENGE_ERROR, HttpAnswer

__all__ = [
    "accepted",
    "accepted_or_rejected",
    "answer_of",
    "expect_rejection",
    "failed",
    "refused",
    "rejected",
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


def answer_of(answer: HttpAnswer) -> Answer:
    """An HTTP answer as the judge sees it: accepted (2xx), or refused with its reason code and
    status."""
    return Answer(200 <= answer.status < 300, answer.reason() or "", answer.status)


def failed(text: str, field: str = "") -> list[Finding]:
    """One problem with the accept/refuse decision (or a check that cannot proceed)."""
    return [Finding("outcome", text, field)]


def rejected(answer: HttpAnswer, reason: str, what: str = "") -> list[Finding]:
    """The request must be refused with ``reason``, its status and the §6 response form."""
    # ERC-8128 §6: "`signature_input_invalid` and `signature_too_large` use HTTP 400.
    # `signature_verification_unavailable` uses HTTP 503 [...] Every other failure below [...]
    # uses HTTP 401." (every reason a check names is one of §6's codes)
    status = http_status(reason)
    verdict = judge_answer(answer_of(answer), accept=False, reason=reason, status=status)
    problems = expect_rejection(answer, status, reason)
    # Accepted: the decision is wrong; refused: only the code, the status or the form is.
    mismatch: Literal["outcome", "reason"] = (
        "outcome" if verdict.mismatch == "outcome" else "reason")
    prefix = f"{what}: " if what else ""
    return [Finding(mismatch, f"{prefix}{p} ({answer.summary()})", f"{prefix}{p}")
            for p in problems]


def accepted(answer: HttpAnswer, what: str = "a valid signed request",
             signer: str = LIVE_ADDRESS) -> list[Finding]:
    """The request must be accepted (and a JSON answer naming the caller name the signer)."""
    if judge_answer(answer_of(answer), accept=True).status == "failed":
        return failed(f"{what}: expected 2xx, got {answer.summary()}",
                      f"{what}: status: expected 2xx, got {answer.status}"
                      + (f" ({answer.reason()})" if answer.reason() else ""))
    # A JSON answer that names the caller must name the signer (as /api/whoami does).
    try:
        document = json.loads(answer.body)
    except ValueError:
        return []
    address = document.get("address") if isinstance(document, dict) else None
    if isinstance(address, str) and address.lower() != signer:
        return failed(f"{what}: the answer names {address}, expected the signer {signer}")
    return []


def refused(answer: HttpAnswer, what: str) -> list[Finding]:
    """Not accepted: any 4xx (a router may refuse before the verifier does) or 501 (RFC 9110
    §15.6.2: "the appropriate response when the server does not recognize the request method");
    a 2xx accepted a signature for another request, another 5xx is a crash, not a refusal."""
    if 400 <= answer.status < 500 or answer.status == 501:
        return []
    return failed(f"{what}: expected a 4xx refusal (or 501), got {answer.summary()}",
                  f"{what}: status: expected a 4xx refusal (or 501), got {answer.status}")


def accepted_or_rejected(answer: HttpAnswer, reasons: Sequence[str], what: str
                         ) -> list[Finding]:
    """Either outcome is conforming (the route's policy decides), but nothing else."""
    if 200 <= answer.status < 300:
        return accepted(answer, what)
    got = answer.reason()
    if got in reasons:
        return rejected(answer, got, what)
    # Refused, but with another code: reason-only.
    return [Finding("reason", f"{what}: expected 2xx or a rejection with {list(reasons)}, got "
                    f"{answer.summary()}", f"{what}: reason: expected 2xx or one of "
                    f"{list(reasons)}, got {got!r} (HTTP {answer.status})")]
