"""Live-server mode: sign fresh requests and check a running verifier's answers (ERC-8128 §6).

This module is the registry, :data:`LIVE_CHECKS`: each check's name, the function that runs it
and its rule per profile. The checks live in modules named for their concern:

- ``live_signatures``: baseline acceptance, whole-message failures, tag, keyid, alg, bytes;
- ``live_time``: created / expires, the clock skew, the route's maximum validity;
- ``live_replay``: nonces, the replay race, replay keys, multi-signature requests;
- ``live_invalidation``: early invalidation (not-before, per-signature denial);
- ``live_components``: covered components, duplicated identifiers, trimmed field values;
- ``live_requests``: the query, path and method received against those signed;
- ``live_members``: labels, members and size limits;
- ``live_content``: ``POST`` bodies and ``Content-Digest``;

built on ``live_context`` (what a check works with), ``live_signing`` (the test keys and a
signer that writes any parameter), ``live_answers`` (the judging of one answer) and
``live_transport`` (sending, racing, 429 back-off, discovery).

Each check sends one or a few requests to the signed ``GET`` endpoint (``--path``, default
``/api/whoami``) or, for the content checks, to a signed ``POST`` endpoint (``--post-path``)
that takes a JSON body, and compares the status, the ``WWW-Authenticate`` challenge and the
``application/problem+json`` body with what the rule the check names requires.

Every check names its rule per profile (:mod:`erc8128_conformance.live_requirements`): the
sentence of that profile's text, or the SPEC.md decision where the text is silent. A check
that cannot run against this server (no ``--post-path``, no discovery document where the
expected answer depends on route policy) is reported as not supported, never as passed.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from erc8128_conformance.judge import REASON_ONLY, StepVerdict, judge_findings
from erc8128_conformance.live_components import (
    check_authority_not_covered,
    check_class_bound,
    check_duplicated_component,
    check_field_value_trimmed,
)
from erc8128_conformance.live_content import (
    check_post_body_changed,
    check_post_content_type_not_covered,
    check_post_digest_not_covered,
    check_post_digest_uppercase_key,
    check_post_no_digest,
    check_post_sha256_and_sha512,
    check_post_sha512_only,
    check_post_unknown_algorithm_ignored,
    check_post_valid,
    check_post_wrong_digest,
)
from erc8128_conformance.live_context import CheckFunction, CheckNotApplicable, LiveContext
from erc8128_conformance.live_invalidation import (
    check_invalidation_fingerprint,
    check_invalidation_not_before,
)
from erc8128_conformance.live_members import (
    check_duplicate_label_last_valid,
    check_duplicate_label_last_wins,
    check_failing_then_valid_member,
    check_other_label,
    check_signature_input_too_large,
    check_star_label,
    check_too_many_candidates,
    check_too_many_parameters,
)
from erc8128_conformance.live_replay import (
    RACE_COPIES,
    RACE_ROUNDS,
    check_empty_nonce_single_use,
    check_failed_candidate_keeps_nonce,
    check_multi_signature_replay,
    check_nonce_reused_other_request,
    check_nonce_token,
    check_nonce_too_long,
    check_replay,
    check_replay_after_expiry_within_skew,
    check_replay_key_across_profiles,
    check_replay_key_canonical,
    check_replay_race_get,
    check_replay_race_post,
    check_replayable,
)
from erc8128_conformance.live_requests import (
    check_method_case,
    check_method_changed,
    check_query_changed,
    check_query_percent_encoded,
    check_query_question_mark,
    check_query_repeated_names,
    path_check,
)
from erc8128_conformance.live_requirements import DECISION, DRAFT, LEGACY, RFC, Requirement
from erc8128_conformance.live_signatures import (
    check_alg,
    check_high_s,
    check_keyid_chain_leading_zero,
    check_keyid_mixed_hex,
    check_keyid_other_address,
    check_keyid_unserved_chain,
    check_keyid_upper_hex,
    check_malformed_signature_input,
    check_missing_signature,
    check_mode_eoa,
    check_no_tag,
    check_other_tag,
    check_signature_field_missing,
    check_signature_not_byte_sequence,
    check_tag_token,
    check_tampered,
    check_unknown_parameter,
    check_unrecoverable_signature,
    check_v_zero_one,
    check_valid,
)
from erc8128_conformance.live_signing import (
    LIVE_ADDRESS,
    LIVE_PRIVATE_KEY,
    POST_BODY,
    valid_request,
)
from erc8128_conformance.live_time import (
    check_created_missing,
    check_created_not_integer,
    check_created_within_skew,
    check_expired,
    check_expired_within_skew,
    check_expires_before_created,
    check_expires_equals_created,
    check_not_yet_valid,
    check_validity_too_long,
)
from erc8128_conformance.live_transport import (
    RATE_LIMIT_RETRIES,
    BadAnswer,
    HttpAnswer,
    LiveTarget,
    RateLimited,
    fetch_discovery,
    route_policy,
    send,
    send_together,
)

__all__ = [
    "LIVE_ADDRESS",
    "LIVE_CHECKS",
    "LIVE_PRIVATE_KEY",
    "POST_BODY",
    "RACE_COPIES",
    "RACE_ROUNDS",
    "RATE_LIMIT_RETRIES",
    "REASON_ONLY",
    "BadAnswer",
    "CheckNotApplicable",
    "HttpAnswer",
    "LiveCheck",
    "LiveContext",
    "LiveTarget",
    "RateLimited",
    "checks_for",
    "fetch_discovery",
    "route_policy",
    "send",
    "send_together",
    "valid_request",
]


# ---- the checks --------------------------------------------------------------------------------

@dataclass(frozen=True)
class LiveCheck:
    """One live check: the function that runs it (its typed findings) and its rule per profile
    (a profile without one does not run it)."""

    name: str
    function: CheckFunction
    requirements: Mapping[str, Requirement] = field(default_factory=dict)

    def requirement(self, profile: str) -> Requirement | None:
        return self.requirements.get(profile)

    def judge(self, ctx: LiveContext) -> StepVerdict:
        """Run the check and judge its findings into the one typed verdict (raises
        CheckNotApplicable, RateLimited, OSError when it cannot be judged)."""
        return judge_findings(self.function(ctx))

    def run(self, ctx: LiveContext) -> list[str]:
        """Run the check: its problems, one line each (empty when it passed)."""
        return list(self.judge(ctx).lines)


def _both(draft: str, legacy: str) -> dict[str, Requirement]:
    return {"draft": _lookup(draft), "legacy": _lookup(legacy)}


def _draft_only(draft: str) -> dict[str, Requirement]:
    return {"draft": _lookup(draft)}


def _lookup(rid: str) -> Requirement:
    for table in (DECISION,):
        if rid in table:
            return table[rid]
    if rid.startswith("rfc:"):
        return RFC[rid.removeprefix("rfc:")]
    if rid.startswith("legacy:"):
        return LEGACY[rid.removeprefix("legacy:")]
    return DRAFT[rid]



# ---- the registry ------------------------------------------------------------------------------

# deliberate: data table (duplicate scan): one row per check (name, function, the rule it
# tests per profile), so rows look alike by design.
LIVE_CHECKS: Final[dict[str, LiveCheck]] = {check.name: check for check in (
    # Baseline and whole-message failures
    LiveCheck("valid_request_200", check_valid,
              _both("request-bound-accepted", "legacy:request-bound-accepted")),
    LiveCheck("missing_signature_401", check_missing_signature,
              _both("signature-missing", "d1-reason-codes")),
    LiveCheck("signature_field_missing_401", check_signature_field_missing,
              _both("signature-missing", "d1-reason-codes")),
    LiveCheck("tampered_401_bad_signature", check_tampered,
              _both("bad-signature", "legacy:eoa-erc191")),
    LiveCheck("malformed_signature_input_400", check_malformed_signature_input,
              _both("sf-syntax-error", "d1-reason-codes")),
    LiveCheck("signature_not_byte_sequence_400", check_signature_not_byte_sequence,
              _both("signature-member-byte-sequence", "d1-reason-codes")),
    # Time
    LiveCheck("expired_401_request_expired", check_expired,
              _both("time-window", "legacy:time-window")),
    LiveCheck("not_yet_valid_401_request_not_yet_valid", check_not_yet_valid,
              _both("time-window", "legacy:time-window")),
    LiveCheck("created_15s_ahead_within_skew_200", check_created_within_skew,
              _both("clock-skew", "d5-legacy-skew")),
    LiveCheck("expired_15s_ago_within_skew_200", check_expired_within_skew,
              _both("clock-skew", "d5-legacy-skew")),
    LiveCheck("expires_equals_created_401_invalid_time", check_expires_equals_created,
              _both("time-structure", "legacy:expires-after-created")),
    LiveCheck("expires_before_created_401_invalid_time", check_expires_before_created,
              _both("time-structure", "legacy:expires-after-created")),
    LiveCheck("created_missing_401_invalid_time", check_created_missing,
              _both("time-structure", "legacy:mandatory-parameters")),
    LiveCheck("created_string_401_invalid_time", check_created_not_integer,
              _both("time-structure", "legacy:time-integers")),
    LiveCheck("validity_over_route_max_401", check_validity_too_long,
              _both("route-max-validity", "legacy:validity-within-retention")),
    # Replay
    LiveCheck("replay_401_nonce_reused", check_replay,
              _both("nonce-reused", "legacy:nonce-once")),
    LiveCheck("replay_after_expiry_inside_skew_401_nonce_reused",
              check_replay_after_expiry_within_skew,
              _both("replay-retention", "d5-legacy-skew")),
    LiveCheck("same_nonce_other_request_401_nonce_reused", check_nonce_reused_other_request,
              _both("nonce-unique", "legacy:nonce-unique")),
    LiveCheck("failed_candidate_keeps_its_nonce", check_failed_candidate_keeps_nonce,
              _both("failed-candidate-keeps-nonce", "legacy:nonce-consumed-after-use")),
    LiveCheck("replay_key_case_insensitive_401_nonce_reused", check_replay_key_canonical,
              {"legacy": _lookup("d4-canonical-replay-key")}),
    LiveCheck("empty_nonce_single_use", check_empty_nonce_single_use,
              {"legacy": _lookup("d16-empty-nonce")}),
    LiveCheck("nonce_129_bytes_401_invalid_nonce", check_nonce_too_long,
              _both("nonce-syntax", "d16-empty-nonce")),
    LiveCheck("nonce_token_401_invalid_nonce", check_nonce_token, _draft_only("nonce-syntax")),
    LiveCheck("replayable_per_route_policy", check_replayable,
              _both("nonce-required", "legacy:replayable-policy")),
    LiveCheck("replay_race_get_at_most_one_accepted", check_replay_race_get,
              _both("replay-race", "legacy:nonce-once")),
    LiveCheck("replay_race_post_at_most_one_accepted", check_replay_race_post,
              _both("replay-race", "legacy:nonce-once")),
    LiveCheck("multi_signature_replay_401_nonce_reused", check_multi_signature_replay,
              _both("d28-at-most-once", "d28-at-most-once")),
    LiveCheck("replay_key_across_profiles_401_nonce_reused", check_replay_key_across_profiles,
              _draft_only("d4-canonical-replay-key")),
    LiveCheck("invalidation_not_before_refuses_replay", check_invalidation_not_before,
              _both("early-invalidation", "legacy:early-invalidation")),
    LiveCheck("invalidation_fingerprint_refuses_replay", check_invalidation_fingerprint,
              _both("early-invalidation", "legacy:early-invalidation")),
    # Coverage, query, path, method
    LiveCheck("authority_not_covered_401_insufficient_coverage", check_authority_not_covered,
              _both("authority-covered", "legacy:authority-covered")),
    LiveCheck("class_bound_per_route_policy", check_class_bound,
              _both("class-bound-policy", "legacy:class-bound-policy")),
    LiveCheck("query_question_mark_alone_200", check_query_question_mark,
              _both("query-question-mark", "d7-legacy-query")),
    LiveCheck("query_repeated_names_200", check_query_repeated_names,
              _both("received-request", "legacy:received-request")),
    LiveCheck("query_percent_encoded_200", check_query_percent_encoded,
              _both("received-request", "legacy:received-request")),
    LiveCheck("query_changed_401_bad_signature", check_query_changed,
              _both("bad-signature", "legacy:received-request")),
    *(LiveCheck(f"path_{kind}_refused", path_check(kind),
                _both("received-request", "legacy:received-request"))
      for kind in ("double_slash", "dot_segment", "dot_dot_segment", "encoded_slash",
                   "trailing_slash")),
    LiveCheck("method_lower_case_refused", check_method_case,
              _both("received-request", "legacy:received-request")),
    LiveCheck("method_changed_refused", check_method_changed,
              _both("received-request", "legacy:received-request")),
    # Members, labels, limits
    LiveCheck("label_sig1_200", check_other_label,
              _both("labels-arbitrary", "d2-legacy-candidates")),
    LiveCheck("label_star_200", check_star_label,
              _both("labels-arbitrary", "d2-legacy-candidates")),
    LiveCheck("failing_member_then_valid_member_200", check_failing_then_valid_member,
              _both("no-masking", "d2-legacy-candidates")),
    LiveCheck("duplicate_label_last_wins_401_bad_signature", check_duplicate_label_last_wins,
              _both("duplicate-keys-last-wins", "legacy:received-request")),
    LiveCheck("duplicate_label_last_valid_200", check_duplicate_label_last_valid,
              _both("duplicate-keys-last-wins", "legacy:received-request")),
    LiveCheck("duplicated_component_400_signature_input_invalid", check_duplicated_component,
              _both("rfc:duplicate-components", "rfc:duplicate-components")),
    LiveCheck("field_value_whitespace_trimmed_200", check_field_value_trimmed,
              _both("rfc:field-value-trimmed", "rfc:field-value-trimmed")),
    LiveCheck("nine_candidates_400_signature_too_large", check_too_many_candidates,
              _draft_only("candidate-budget")),
    LiveCheck("signature_input_over_16k_400_signature_too_large",
              check_signature_input_too_large, _draft_only("field-size-limit")),
    LiveCheck("seventeen_parameters_400_signature_too_large", check_too_many_parameters,
              _draft_only("field-size-limit")),
    # Tag, keyid, alg, signature bytes
    LiveCheck("no_tag_401_no_acceptable_signature", check_no_tag, _draft_only("tag-selects")),
    LiveCheck("tag_token_401_no_acceptable_signature", check_tag_token,
              _draft_only("tag-selects")),
    LiveCheck("other_tag_401_no_acceptable_signature", check_other_tag,
              _draft_only("tag-selects")),
    LiveCheck("keyid_upper_case_hex_401_invalid_keyid", check_keyid_upper_hex,
              _draft_only("keyid-lowercase")),
    LiveCheck("keyid_mixed_case_hex_200", check_keyid_mixed_hex,
              {"legacy": _lookup("legacy:keyid-hex-case")}),
    LiveCheck("keyid_chain_leading_zero_401_invalid_keyid", check_keyid_chain_leading_zero,
              _both("keyid-chain-canonical", "d3-chain-ids")),
    LiveCheck("keyid_unserved_chain_401_unsupported_chain", check_keyid_unserved_chain,
              _both("unsupported-chain", "d1-reason-codes")),
    LiveCheck("keyid_other_account_401_bad_signature", check_keyid_other_address,
              _both("keyid-address-match", "legacy:eoa-erc191")),
    LiveCheck("alg_401_unsupported_algorithm", check_alg,
              _both("alg-rejected", "d13-legacy-alg")),
    LiveCheck("unknown_parameter_200", check_unknown_parameter,
              _both("d20-unknown-parameters", "d20-unknown-parameters")),
    LiveCheck("mode_eoa_200", check_mode_eoa, _draft_only("mode-eoa")),
    LiveCheck("high_s_twin_401_bad_signature", check_high_s,
              _both("strict-signature-encoding", "d14-legacy-strict-signature")),
    LiveCheck("v_0_1_401_bad_signature", check_v_zero_one,
              _both("strict-signature-encoding", "d14-legacy-strict-signature")),
    LiveCheck("r_zero_401_bad_signature", check_unrecoverable_signature,
              _both("bad-signature", "legacy:eoa-erc191")),
    # Content (POST)
    LiveCheck("post_valid_2xx", check_post_valid,
              _both("request-bound-accepted", "legacy:request-bound-accepted")),
    LiveCheck("post_without_digest_401_content_digest_required", check_post_no_digest,
              _both("content-digest-required", "d15-digest-before-coverage")),
    LiveCheck("post_wrong_digest_401_bad_content_digest", check_post_wrong_digest,
              _both("content-digest-verified", "d1-reason-codes")),
    LiveCheck("post_body_changed_401_bad_content_digest", check_post_body_changed,
              _both("content-digest-verified", "d1-reason-codes")),
    LiveCheck("post_sha256_and_sha512_2xx", check_post_sha256_and_sha512,
              _draft_only("content-digest-every-member")),
    LiveCheck("post_sha512_only", check_post_sha512_only,
              _draft_only("content-digest-sha512")),
    LiveCheck("post_unsupported_digest_member_ignored_2xx", check_post_unknown_algorithm_ignored,
              _draft_only("content-digest-unsupported-ignored")),
    LiveCheck("post_digest_key_upper_case_401_bad_content_digest",
              check_post_digest_uppercase_key, _draft_only("content-digest-verified")),
    LiveCheck("post_digest_not_covered", check_post_digest_not_covered,
              _both("content-digest-covered", "legacy:content-digest-covered")),
    LiveCheck("post_content_type_not_covered_401_insufficient_coverage",
              check_post_content_type_not_covered, _draft_only("content-type-covered")),
)}


def checks_for(profile: str) -> list[LiveCheck]:
    """The checks that apply to ``profile``, in registry order."""
    return [check for check in LIVE_CHECKS.values() if profile in check.requirements]

