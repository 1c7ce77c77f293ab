"""ERC-8128 §6 Failure Responses: the status, the ``WWW-Authenticate`` challenge, the
``Accept-Signature`` repair hint, ``Retry-After`` and the RFC 9457 problem body.

Everything here is a pure function from a verification failure (and the route's policy) to an
:class:`HttpResponse` value; no socket, clock or state. The demo server and the client-side
middleware both build their refusals with it.

Decision (documented in docs/API.md): the ``WWW-Authenticate: ERC8128 error="<code>"`` challenge
is sent on EVERY signature-layer failure, 400 and 503 included, not only on the 401s where the ERC
requires it, so that a client reads the stable code from one place whatever the status.
RFC 9110 §11.6.1 allows it: "A server MAY generate a WWW-Authenticate header field in other
response messages to indicate that supplying credentials (or different credentials) might affect
the response."
"""

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Final

from erc8128.errors import Erc8128Error, VerificationError
from erc8128.http.components import parse_component
from erc8128.http.message import Request, query
from erc8128.http.structured_fields import (
    BareItem,
    InnerList,
    Item,
    serialize_inner_list,
    serialize_item,
)
from erc8128.protocol.keyid import PROFILE_NAMES, ProfileName
from erc8128.protocol.policy import VerifierPolicy
from erc8128.protocol.profiles import get_profile
from erc8128.protocol.sign import DEFAULT_LABEL
from erc8128.reasons import REASON_CONDITIONS, http_status

# ERC-8128 §6: "senders SHOULD use `ERC8128` as the preferred capitalization."
AUTH_SCHEME: Final = "ERC8128"
# RFC 9457 §3: "application/problem+json"
PROBLEM_CONTENT_TYPE: Final = "application/problem+json"
DEFAULT_RETRY_AFTER_SEC: Final = 1
# A problem detail names the cause and the request's own values; a received value is cut short.
MAX_DETAIL_CHARS: Final = 300


class ChallengeError(Erc8128Error):
    """A challenge that cannot be built as asked (unknown reason, bad status or component)."""


@dataclass(frozen=True)
class HttpResponse:
    """An HTTP response as a value: status, header field lines in order, content bytes."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def field_lines(self, name: str) -> tuple[str, ...]:
        """The values of every header line named ``name`` (ASCII case-insensitive)."""
        wanted = name.lower()
        return tuple(value for line_name, value in self.headers if line_name.lower() == wanted)


def _problem_body(status: int, reason: str, detail: str) -> bytes:
    """RFC 9457 §3.1 members type/title/status/detail plus the ERC's ``reason`` extension."""
    document = {
        # RFC 9457 §4.2.1: "about:blank" "indicates that the problem has no additional
        # semantics beyond that of the HTTP status code"; title is then the status phrase.
        "type": "about:blank",
        "title": _status_phrase(status),
        "status": status,
        "detail": detail,
        "reason": reason,
    }
    return json.dumps(document, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def _status_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_response(
    status: int,
    reason: str,
    detail: str,
    *,
    headers: Sequence[tuple[str, str]] = (),
) -> HttpResponse:
    """An RFC 9457 ``application/problem+json`` answer (application errors: 400, 403, 404...)."""
    if type(status) is not int or not 400 <= status <= 599:
        raise ChallengeError("status_invalid", f"expected an error status 400-599, got {status!r}")
    if not isinstance(reason, str) or not reason:
        raise ChallengeError("reason_invalid", f"expected a non-empty reason, got {reason!r}")
    body = _problem_body(status, reason, detail)
    return HttpResponse(
        status=status,
        headers=(
            *headers,
            ("Content-Type", PROBLEM_CONTENT_TYPE),
            ("Cache-Control", "no-store"),
        ),
        body=body,
    )


def www_authenticate(reason: str, served_chains: Iterable[int] | None = None) -> str:
    """The ``WWW-Authenticate`` challenge value for one reason code.

    ERC-8128 §6: "Its optional `error` auth-param carries one reason code from this section,
    using quoted-string syntax." and "A challenge MAY include `chains`, an ASCII-space-separated
    list of canonical CAIP-2 `eip155` chain IDs served by the verifier."
    """
    if reason not in REASON_CONDITIONS:
        raise ChallengeError("reason_invalid", f"expected an ERC-8128 §6 code, got {reason!r}")
    challenge = f'{AUTH_SCHEME} error="{reason}"'
    if served_chains is not None:
        chains = sorted(served_chains)
        if chains:
            challenge += ', chains="' + " ".join(f"eip155:{chain}" for chain in chains) + '"'
    return challenge


def exact_components(
    policy: VerifierPolicy,
    *,
    profile: ProfileName = "draft",
    has_query: bool = True,
    has_content: bool = False,
    has_content_type: bool = False,
) -> tuple[str, ...]:
    """The complete, exact component set a retry must cover on this route, in order.

    ERC-8128 §6: "Each advertised member MUST enumerate, in the required order, the complete and
    exact component set for that label: the Request-Bound baseline, every route-required
    component, `content-digest` for a non-empty request body, and `content-type` when that field
    will be present." Identifiers are written as in the discovery document (``content-type``,
    ``"x-dict";key="a"``).
    """
    chosen = get_profile(profile)
    components: list[str] = list(
        chosen.request_bound_components(has_query=has_query, has_content=has_content)
    )
    wanted: list[str] = [*policy.required_components]
    # ERC-8128 §7: content_digest "`required` to require `Content-Digest` even with empty content"
    if has_content or policy.content_digest == "required":
        wanted.append("content-digest")
    if has_content_type:
        wanted.append("content-type")
    seen = {serialize_item(parse_component(name)) for name in components}
    for name in wanted:
        serialised = serialize_item(_component_item(name))
        if serialised not in seen:
            seen.add(serialised)
            components.append(name)
    return tuple(components)


def _component_item(identifier: str) -> Item:
    try:
        return parse_component(identifier)
    except Erc8128Error as error:
        raise ChallengeError("component_invalid", error.message) from None


def accept_signature(
    components: Sequence[str],
    *,
    label: str = DEFAULT_LABEL,
    profile: ProfileName = "draft",
    nonce: str | None = None,
) -> str:
    """The ``Accept-Signature`` repair hint for one label (RFC 9421 §5.1).

    ERC-8128 §6: "The bare `created` and `expires` parameters request the RFC 9421 creation and
    expiration values, while `tag` carries this profile's explicit String value." and "A verifier
    MAY issue the nonce by advertising its actual value in `Accept-Signature`".
    """
    items = tuple(_component_item(name) for name in components)
    params: list[tuple[str, BareItem]] = [("created", True), ("expires", True)]
    if nonce is not None:
        params.append(("nonce", nonce))
    tag = get_profile(profile).tag
    if tag is not None:
        params.append(("tag", tag))
    member = serialize_inner_list(InnerList(items=items, params=tuple(params)))
    return f"{label}={member}"


def failure_response(
    error: VerificationError,
    *,
    policy: VerifierPolicy,
    served_chains: Iterable[int] | None = None,
    route_components: tuple[str, ...] | None = None,
    request: Request | None = None,
    nonce: str | None = None,
    retry_after: int = DEFAULT_RETRY_AFTER_SEC,
) -> HttpResponse:
    """The ERC-8128 §6 answer to a signature-layer failure.

    ``route_components`` is the exact component set to advertise on ``insufficient_coverage``;
    when None it is computed by :func:`exact_components` from the route ``policy`` and, when
    given, the received ``request`` (its query, content and Content-Type). ``served_chains``
    defaults to the policy's. The problem body's ``detail`` names the actual cause (decision
    D62: :attr:`VerificationError.detail`, at most :data:`MAX_DETAIL_CHARS`), never a backend's
    internals (ERC-8128 §6: "Failure details MUST NOT expose contract revert data, private
    policy, or sensitive content"). A refusal by the restart watermark (D61) carries
    ``Retry-After``: the seconds after which a freshly signed request passes.
    """
    reason = error.reason
    if reason not in REASON_CONDITIONS:
        raise ChallengeError("reason_invalid", f"expected an ERC-8128 §6 code, got {reason!r}")
    # ERC-8128 §6: "`signature_input_invalid` and `signature_too_large` use HTTP 400.
    # `signature_verification_unavailable` uses HTTP 503 [...] Every other failure below [...]
    # uses HTTP 401."
    status = http_status(reason)
    chains = policy.served_chains if served_chains is None else served_chains
    # ERC-8128 §6: "A verifier returning `unsupported_chain` SHOULD include `chains`"
    challenge = www_authenticate(reason, chains if reason == "unsupported_chain" else None)
    # ERC-8128 §6: "Every 401 response MUST include a challenge applicable to the target
    # resource" (and, by the decision in the module docstring, 400 and 503 carry it too).
    headers: list[tuple[str, str]] = [("WWW-Authenticate", challenge)]
    # ERC-8128 §6: "A verifier returning `insufficient_coverage` SHOULD include the same field"
    if reason == "insufficient_coverage":
        profile = next(name for name in PROFILE_NAMES if name in policy.profiles)
        components = route_components
        if components is None:
            components = exact_components(
                policy,
                profile=profile,
                has_query=True if request is None else query(request.target_uri) is not None,
                has_content=False if request is None else bool(request.body),
                has_content_type=(
                    False if request is None else bool(request.field_lines("content-type"))
                ),
            )
        label = error.label if error.label is not None else DEFAULT_LABEL
        headers.append(
            ("Accept-Signature", accept_signature(components, label=label, profile=profile,
                                                  nonce=nonce))
        )
    # ERC-8128 §6: "`signature_verification_unavailable` uses HTTP 503 and MAY include
    # `Retry-After`."
    if error.retry_after is not None:
        headers.append(("Retry-After", str(error.retry_after)))
    elif status == 503:
        if type(retry_after) is not int or retry_after < 0:
            raise ChallengeError(
                "retry_after_invalid", f"expected Retry-After seconds >= 0, got {retry_after!r}"
            )
        headers.append(("Retry-After", str(retry_after)))
    # ERC-8128 §6: "When a response body is sent, it SHOULD use RFC 9457
    # `application/problem+json` and MUST include the same stable code in a `reason` extension."
    return problem_response(status, reason, public_detail(error), headers=headers)


def public_detail(error: VerificationError) -> str:
    """The problem ``detail`` of a verification failure: its cause (decision D62), one line, at
    most :data:`MAX_DETAIL_CHARS` characters."""
    detail = " ".join(error.detail.split())
    if len(detail) > MAX_DETAIL_CHARS:
        detail = detail[: MAX_DETAIL_CHARS - 3] + "..."
    return detail
