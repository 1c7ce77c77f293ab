// The SDK's reason strings mapped to the 21 stable codes of ERC-8128 §6, shared by the adapter
// (adapter.mjs) and the live server (server.mjs).

// ---------------------------------------------------------------------------------------------
// Reason codes. The SDK's VerifyFailReason strings are its own; the project's profiles both use
// the 21 stable codes of ERC-8128 §6 (SPEC.md decision D1). `reason` carries the project code,
// `sdk_reason` the SDK's original code.
// ---------------------------------------------------------------------------------------------

export const VERIFY_REASON = {
  missing_headers: "signature_missing",
  label_not_found: "signature_input_invalid",
  bad_signature_input: "signature_input_invalid",
  bad_keyid: "invalid_keyid",
  bad_time: "invalid_time",
  not_yet_valid: "request_not_yet_valid",
  expired: "request_expired",
  validity_too_long: "request_validity_too_long",
  nonce_window_too_long: "request_validity_too_long",
  nonce_required: "nonce_required",
  replayable_not_allowed: "nonce_required",
  replayable_invalidation_required: "replayable_not_allowed",
  replayable_not_before: "replayable_not_allowed",
  replayable_invalidated: "replayable_not_allowed",
  class_bound_not_allowed: "insufficient_coverage",
  not_request_bound: "insufficient_coverage",
  replay: "nonce_reused",
  digest_mismatch: "bad_content_digest",
  digest_required: "content_digest_required",
  alg_not_allowed: "unsupported_algorithm",
  bad_signature_bytes: "bad_signature",
  bad_signature: "bad_signature",
  bad_signature_check: "signature_verification_unavailable",
};

// Codes of the SDK's thrown Erc8128Error.
export const THROWN_REASON = {
  PARSE_ERROR: "signature_input_invalid",
  BAD_HEADER_VALUE: "signature_input_invalid",
  BAD_DERIVED_VALUE: "signature_input_invalid",
  DIGEST_REQUIRED: "content_digest_required",
  INVALID_OPTIONS: "invalid_sign_options",
  UNSUPPORTED_REQUEST: "unsupported_request",
  BODY_READ_FAILED: "body_read_failed",
  CRYPTO_UNAVAILABLE: "crypto_unavailable",
};

// ERC-8128 §6: "`signature_input_invalid` and `signature_too_large` use HTTP 400.
// `signature_verification_unavailable` uses HTTP 503 [...] Every other failure below [...] uses
// HTTP 401."
export function httpStatus(reason) {
  if (reason === "signature_input_invalid" || reason === "signature_too_large") return 400;
  if (reason === "signature_verification_unavailable") return 503;
  return 401;
}
