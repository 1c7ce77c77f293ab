"""ERC-8128 §6 Failure Responses: the 21 stable reason codes and their HTTP status.

ERC-8128 §6: "`signature_input_invalid` and `signature_too_large` use HTTP 400.
`signature_verification_unavailable` uses HTTP 503 and MAY include `Retry-After`. Every other
failure below, including `unsupported_chain`, is an authentication rejection and uses HTTP 401."

Both profiles use these codes: the February text (``legacy``) defines none, so it takes the newest
text's (SPEC.md, decision D1).
"""

from typing import Final, Literal

ReasonCode = Literal[
    "signature_missing",
    "signature_input_invalid",
    "signature_too_large",
    "no_acceptable_signature",
    "invalid_keyid",
    "unsupported_chain",
    "invalid_time",
    "request_not_yet_valid",
    "request_expired",
    "request_validity_too_long",
    "invalid_nonce",
    "insufficient_coverage",
    "content_digest_required",
    "bad_content_digest",
    "nonce_required",
    "nonce_reused",
    "replayable_not_allowed",
    "unsupported_algorithm",
    "bad_signature",
    "signature_verification_unavailable",
    "principal_not_allowed",
]

# ERC-8128 §6, the non-normative index: "This non-normative index maps each code to its
# principal condition". Order as in the ERC.
REASON_CONDITIONS: Final[dict[str, str]] = {
    "signature_missing": "A signature field is absent",
    "signature_input_invalid": "A signature field is SF-malformed or members cannot correlate",
    "signature_too_large": "A byte or count limit is exceeded",
    "no_acceptable_signature": "No candidate wins and no specific candidate failure applies",
    "invalid_keyid": "Candidate `keyid` is invalid",
    "unsupported_chain": "The verifier does not serve the syntactically valid `keyid` chain",
    "invalid_time": "Required time metadata is structurally invalid",
    "request_not_yet_valid": "Current time precedes the skew-adjusted window",
    "request_expired": "Current time follows the skew-adjusted window",
    "request_validity_too_long": "The route maximum is exceeded",
    "invalid_nonce": "A present nonce has an invalid type or size",
    "insufficient_coverage": "Request-Bound or route-required coverage is missing",
    "content_digest_required": "Non-empty content lacks `Content-Digest`",
    "bad_content_digest": "A received digest is invalid or does not verify",
    "nonce_required": "Non-Replayable policy requires a nonce",
    "nonce_reused": "Atomic replay-key insertion fails",
    "replayable_not_allowed": "Replayable posture is rejected",
    "unsupported_algorithm": "A candidate contains `alg`",
    "bad_signature": "Cryptographic verification is definitive and invalid",
    "signature_verification_unavailable": "Account classification or verification is unavailable",
    "principal_not_allowed": "Application Principal policy rejects the Account",
}

REASON_CODES: Final[tuple[str, ...]] = tuple(REASON_CONDITIONS)

_STATUS_400: Final = frozenset({"signature_input_invalid", "signature_too_large"})
_STATUS_503: Final = frozenset({"signature_verification_unavailable"})


def http_status(reason: str) -> int:
    """The HTTP status ERC-8128 §6 assigns to a reason code (400, 401 or 503)."""
    if reason not in REASON_CONDITIONS:
        raise KeyError(f"unknown ERC-8128 reason code {reason!r}")
    if reason in _STATUS_400:
        return 400
    if reason in _STATUS_503:
        return 503
    return 401
