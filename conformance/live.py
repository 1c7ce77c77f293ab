"""Live-server mode: sign fresh requests and check a running verifier's answers (ERC-8128 §6).

The suite signs with this package's ``sign_request`` and a fixed test key (address
:data:`LIVE_ADDRESS`), times relative to the clock now, fresh random nonces. Each check sends one
or two requests to the documented endpoint (``GET /api/whoami`` unless ``--path``) and compares
the status, the ``WWW-Authenticate`` challenge and the ``application/problem+json`` body:

- a valid signed request → 200;
- no signature → 401, ``WWW-Authenticate: ERC8128 error="signature_missing"``;
- a tampered request (a covered parameter changed after signing) → 401 ``bad_signature``;
- the same request again → 401 ``nonce_reused``;
- an expired request → 401 ``request_expired``;
- a malformed ``Signature-Input`` → 400 ``signature_input_invalid``.

ERC-8128 §6: "When a response body is sent, it SHOULD use RFC 9457 `application/problem+json`
and MUST include the same stable code in a `reason` extension."
"""

from __future__ import annotations

import http.client
import json
import re
import ssl
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from erc8128.addresses import address_of
from erc8128.keyid import ProfileName
from erc8128.message import Request
from erc8128.sign import new_nonce, sign_request

__all__ = [
    "LIVE_ADDRESS",
    "LIVE_CHECKS",
    "LIVE_PRIVATE_KEY",
    "HttpAnswer",
    "LiveTarget",
    "check_expired",
    "check_malformed_signature_input",
    "check_missing_signature",
    "check_replay",
    "check_tampered",
    "check_valid",
]

# A fixed, public test key (the example key of the eth-account documentation; it must never
# hold anything of value).
LIVE_PRIVATE_KEY: Final = bytes.fromhex(
    "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
)
LIVE_ADDRESS: Final = address_of(LIVE_PRIVATE_KEY)
# A window every baseline route accepts (ERC-8128 §3.3.2: "a baseline route MUST accept
# validity windows up to 60 seconds").
VALIDITY_SEC: Final = 60

_CHALLENGE_ERROR: Final = re.compile(r'(?i)^ERC8128\b.*\berror="([a-z_]+)"')


@dataclass(frozen=True)
class LiveTarget:
    """The server under test: its trusted base URL, the endpoint, the profile to sign with."""

    base_url: str  # scheme://authority, as the server reconstructs the target URI
    path: str
    profile: ProfileName
    timeout: float = 10.0
    chain_id: int = 1

    @property
    def url(self) -> str:
        return self.base_url.rstrip("/") + self.path


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def summary(self) -> str:
        body = self.body[:400].decode("utf-8", "replace")
        return f"HTTP {self.status} {list(self.headers)} {body!r}"


def _unsigned(target: LiveTarget) -> Request:
    authority = urllib.parse.urlsplit(target.base_url).netloc
    return Request("GET", target.url, (("Host", authority),), None)


def signed(target: LiveTarget, *, created: int | None = None, nonce: str | None = None) -> Request:
    """A fresh Request-Bound, Non-Replayable request signed with the live test key."""
    created = int(time.time()) if created is None else created
    return sign_request(
        _unsigned(target),
        LIVE_PRIVATE_KEY,
        profile=target.profile,
        chain_id=target.chain_id,
        created=created,
        expires=created + VALIDITY_SEC,
        nonce=new_nonce() if nonce is None else nonce,
    ).request


def send(target: LiveTarget, request: Request) -> HttpAnswer:
    """Send ``request`` with exactly its header lines (no header added or reordered)."""
    parts = urllib.parse.urlsplit(request.target_uri)
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            parts.netloc, timeout=target.timeout, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(parts.netloc, timeout=target.timeout)
    try:
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        connection.putrequest(request.method, path, skip_host=True, skip_accept_encoding=True)
        for name, value in request.headers:
            connection.putheader(name, value)
        body = request.body
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return HttpAnswer(response.status, tuple(response.getheaders()), response.read())
    finally:
        connection.close()


def _replace_header(request: Request, name: str, value: str) -> Request:
    headers = tuple(
        (key, value if key.lower() == name.lower() else old) for key, old in request.headers
    )
    return Request(request.method, request.target_uri, headers, request.body)


def _expect_rejection(answer: HttpAnswer, status: int, reason: str) -> list[str]:
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
        match = _CHALLENGE_ERROR.match(challenge)
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


def check_valid(target: LiveTarget) -> list[str]:
    answer = send(target, signed(target))
    if answer.status != 200:
        return [f"a valid signed request: expected 200, got {answer.summary()}"]
    # A JSON answer that names the caller must name the signer (as /api/whoami does).
    try:
        document = json.loads(answer.body)
    except ValueError:
        return []
    address = document.get("address") if isinstance(document, dict) else None
    if isinstance(address, str) and address.lower() != LIVE_ADDRESS:
        return [f"the 200 answer names {address}, expected the signer {LIVE_ADDRESS}"]
    return []


def check_missing_signature(target: LiveTarget) -> list[str]:
    # ERC-8128 §3.5: "A missing field yields `signature_missing`."
    answer = send(target, _unsigned(target))
    problems = _expect_rejection(answer, 401, "signature_missing")
    return [f"{p} ({answer.summary()})" for p in problems]


def check_tampered(target: LiveTarget) -> list[str]:
    request = signed(target)
    signature_input = ", ".join(request.field_lines("signature-input"))
    # A covered signature parameter changed after signing: the nonce stays a valid nonce, so
    # the only thing wrong is the signature (ERC-8128 §6 `bad_signature`).
    tampered_input, count = re.subn(r'nonce="([^"]*)"', r'nonce="\1x"', signature_input)
    if count != 1:
        return [f"cannot tamper with {signature_input!r}"]
    answer = send(target, _replace_header(request, "Signature-Input", tampered_input))
    problems = _expect_rejection(answer, 401, "bad_signature")
    return [f"{p} ({answer.summary()})" for p in problems]


def check_replay(target: LiveTarget) -> list[str]:
    request = signed(target)
    first = send(target, request)
    if first.status != 200:
        return [f"first send: expected 200, got {first.summary()}"]
    # ERC-8128 §3.1.2: "finding it already used yields `nonce_reused`".
    second = send(target, request)
    problems = _expect_rejection(second, 401, "nonce_reused")
    return [f"{p} ({second.summary()})" for p in problems]


def check_expired(target: LiveTarget) -> list[str]:
    # Created 400 s ago, expired 340 s ago: beyond any 30 s skew.
    request = signed(target, created=int(time.time()) - 400)
    answer = send(target, request)
    problems = _expect_rejection(answer, 401, "request_expired")
    return [f"{p} ({answer.summary()})" for p in problems]


def check_malformed_signature_input(target: LiveTarget) -> list[str]:
    request = signed(target)
    # ERC-8128 §3.5: "A Structured Field syntax error in either field yields the whole-message
    # failure `signature_input_invalid`"; §6: it uses HTTP 400.
    malformed = _replace_header(request, "Signature-Input", 'eth=("@authority" "@method"')
    answer = send(target, malformed)
    problems = _expect_rejection(answer, 400, "signature_input_invalid")
    return [f"{p} ({answer.summary()})" for p in problems]


LIVE_CHECKS: Final[dict[str, Callable[[LiveTarget], list[str]]]] = {
    "valid_request_200": check_valid,
    "missing_signature_401": check_missing_signature,
    "tampered_401_bad_signature": check_tampered,
    "replay_401_nonce_reused": check_replay,
    "expired_401_request_expired": check_expired,
    "malformed_signature_input_400": check_malformed_signature_input,
}
