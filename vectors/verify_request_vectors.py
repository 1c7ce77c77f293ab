"""Builds ``verify_request.json``: one ``verify_request`` call per test for both profiles
(SPEC.md §4 steps, §5 reason codes with at least three tests each, §6 decisions D1-D29, §7 the
draft's positive vector), with the requirement each test exercises.
"""

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Final

from erc8128.crypto.personal_sign import personal_message_hash, sign_message
from erc8128.crypto.secp256k1 import N
from erc8128.errors import Erc8128Error
from erc8128.http.content_digest import content_digest
from erc8128.http.message import Request
from erc8128.http.signature_base import signature_base_for_label
from erc8128.http.structured_fields import (
    InnerList,
    Token,
    parse_dictionary,
    serialize_inner_list,
    serialize_item,
)
from erc8128.protocol.keyid import ProfileName
from erc8128.reasons import REASON_CODES

from .common import (
    _DECISION_REQUIREMENT,
    _POLICY,
    _REQUEST,
    _TEST_KEYS,
    _VERIFY_OUTCOME,
    ADDRESS_1,
    ADDRESS_2,
    CREATED,
    DRAFT_NONCE,
    EXPIRES,
    KEY_1,
    KEY_2,
    NOW,
    JsonObject,
    VectorFile,
    _assemble,
    _b64,
    _default_components,
    _field,
    _group,
    _policy,
    _replace_in_field,
    _requirement_for,
    _schema,
    _set_signature,
    _sign,
    _sign_member,
    _signature_bytes,
    _Signed,
    _signed,
    _test,
    _without,
    request_to_json,
    run_verify,
    run_verify_steps,
    with_field,
)
from .single_defect import NOT_SINGLE_DEFECT, prove, resign

# -- verify_request.json ------------------------------------------------------------------------


# February §3.3.2: "Verifiers MUST reject signatures: ... for which the current time is before
# `created` or after `expires`"; D5 accepts up to `expires + skew` (acceptable vectors).
_EXPIRED_BY_TEXT: Final[JsonObject] = {
    "result": "invalid", "reason": "request_expired", "status": 401,
    "requirement": "legacy-time-window",
    "why": "D5: one symmetric skew window for both profiles, so a legacy signer whose clock "
           "runs behind is not refused at the edge of its window; a verifier following the "
           "text refuses it and conforms too",
}

# The requirement an invalid verify test names by default: its reason code's rule ...
_REASON_REQUIREMENT: Final[Mapping[str, str]] = {
    "signature_missing": "signature-fields-present",
    "signature_input_invalid": "sf-syntax",
    "signature_too_large": "field-size-limit",
    "no_acceptable_signature": "candidate-selection",
    "invalid_keyid": "keyid-syntax",
    "unsupported_chain": "served-chain",
    "invalid_time": "time-integers",
    "request_not_yet_valid": "not-yet-valid",
    "request_expired": "not-expired",
    "request_validity_too_long": "validity-max",
    "invalid_nonce": "nonce-syntax",
    "insufficient_coverage": "coverage-request-bound",
    "content_digest_required": "content-digest-present",
    "bad_content_digest": "content-digest-match",
    "principal_not_allowed": "principal-policy",
    "nonce_required": "nonce-required",
    "nonce_reused": "nonce-unused",
    "replayable_not_allowed": "replayable-policy",
    "unsupported_algorithm": "no-alg",
    "bad_signature": "signature-valid",
    "signature_verification_unavailable": "verification-available",
}
# ... or, first, a finer rule of that code named by the test's comment (reason, words, rule) ...
_COMMENT_REQUIREMENT: Final[Sequence[tuple[str, str, str]]] = (
    ("signature_input_invalid", "covered twice", "duplicate-components"),
    ("signature_input_invalid", "Signature member", "signature-correlation"),
    ("signature_input_invalid", "under another label", "signature-correlation"),
    ("signature_input_invalid", "absent from the request", "d18-absent-component"),
    ("signature_too_large", "decoded signature", "decoded-signature-limit"),
    ("signature_too_large", "components", "component-limit"),
    ("signature_too_large", "parameters", "parameter-limit"),
    ("signature_too_large", "candidates", "candidate-limit"),
    ("invalid_keyid", "keyid removed", "keyid-required"),
    ("invalid_time", "expires equal", "expires-after-created"),
    ("invalid_time", "expires before", "expires-after-created"),
    ("insufficient_coverage", "@authority", "authority-covered"),
    ("insufficient_coverage", "route requires", "coverage-route"),
    ("insufficient_coverage", "@query not covered", "query-covered"),
    ("insufficient_coverage", "@query removed", "query-covered"),
    ("insufficient_coverage", "Class-Bound signature on a Request-Bound", "class-bound-policy"),
    ("nonce_required", "early-invalidation", "invalidation-request-bound"),
    ("replayable_not_allowed", "not-before", "not-before"),
    ("replayable_not_allowed", "whose fingerprint", "replayable-invalidated"),
    ("unsupported_chain", "chain 0", "d3-chain-zero"),
    ("bad_signature", "high-s", "low-s"),
    ("bad_signature", "v = 0/1", "signature-v"),
    ("bad_signature", "v = 29", "signature-v"),
    ("bad_signature", "64-byte signature", "signature-length"),
    ("bad_signature", "65 zero bytes", "signature-r-range"),
    ("bad_signature", "no ECDSA fallback", "universal-verification"),
    ("bad_signature", "no fallback", "universal-verification"),
)
# A valid verify test names the rule it exercises, by the words of its comment (first match) ...
_VALID_REQUIREMENT: Final[Sequence[tuple[str, str]]] = (
    ("skew", "clock-skew"),
    ("route maximum", "validity-floor"),
    ("nonce of 128 bytes", "nonce-syntax"),
    ("Principal policy", "principal-policy"),
    ("not-before", "not-before"),
    ("Replayable supported", "replayable-policy"),
    ("no correlated Signature member", "signature-correlation"),
    ("failing candidate", "no-masking"),
    ("failing at the signature", "no-masking"),
    ("ERC-1271 account", "universal-verification"),
    ("EIP-7702 delegated", "universal-verification"),
    ('mode="eoa"', "mode-eoa"),
    ("is ignored", "mode-other-ignored"),
    ("normalises to the same @authority", "signature-base"),
    ("not covered", "signature-base"),
    ("label renamed", "signature-base"),
    ("extra spaces", "signature-base"),
    ("without base64 padding", "sf-unpadded-base64"),
    ("scheme https changed", "legacy-request-bound"),
    ("content-type value", "legacy-request-bound"),
)


def _verify_requirement(comment: str, reason: str | None, decision: str | None) -> str:
    """The rule a verify test exercises (the tables above, then common._DECISION_REQUIREMENT)."""
    if reason is not None:
        for code, words, requirement in _COMMENT_REQUIREMENT:
            if code == reason and words in comment:
                return requirement
    if decision is not None:
        return _DECISION_REQUIREMENT[decision]
    if reason is None:
        return next((requirement for words, requirement in _VALID_REQUIREMENT
                     if words in comment), "request-bound-accepted")
    return _REASON_REQUIREMENT[reason]


# Failures whose defect is the signature (or the chain's answer): never re-signed.
_SIGNATURE_REASONS: Final = frozenset({"bad_signature", "signature_verification_unavailable"})


def _vt(comment: str, flags: Sequence[str], profile: ProfileName | None, request: Request, *,
        expect: str | None, now: int = NOW, policy: JsonObject | None = None,
        prior: Sequence[tuple[Request, int]] = (), result: str | None = None,
        requirement: str | None = None, resign_request: bool | None = None,
        why: str | None = None, text_outcome: JsonObject | None = None,
        **extra: Any) -> JsonObject:
    """One verify test; ``expect`` is the outcome the generator insists on ("valid", a reason
    code, or None for any rejection), so a vector never silently records a surprise.

    An invalid test whose defect is not the signature is re-signed (``resign_request``, default
    on for those) so that it carries one defect, and its single-defect property is proven by
    ablation (vectors/single_defect.py); a test that cannot have it is flagged and explained."""
    if resign_request is None:
        resign_request = expect not in (None, "valid", *_SIGNATURE_REASONS)
    if resign_request:
        request = resign(request, _TEST_KEYS, KEY_1)
    inputs: JsonObject = {"request": request_to_json(request), "now": now,
                          "policy": policy or _policy()}
    if prior:
        inputs["prior"] = [{"request": request_to_json(r), "now": t} for r, t in prior]
        steps = [*inputs["prior"], {"request": inputs["request"], "now": now}]
        outcomes = run_verify_steps(profile, inputs["policy"], steps)
        if any(outcome["result"] != "valid" for outcome in outcomes[:-1]):
            raise Erc8128Error("vector_generation", f"{comment}: a prior request failed")
    outcome = run_verify(inputs, profile)
    got = outcome["reason"] if outcome["result"] == "invalid" else "valid"
    if (expect is None and got == "valid") or (expect is not None and got != expect):
        raise Erc8128Error("vector_generation", f"{comment}: expected {expect}, got {got}")
    fields: JsonObject = {}
    outcome_result = outcome.pop("result")
    flags = list(flags)
    reason = outcome.get("reason") if outcome_result == "invalid" else None
    requirement = _requirement_for(profile, requirement or _verify_requirement(
        comment, reason, extra.get("decision")))
    fields["requirement"] = requirement
    if outcome_result == "invalid" and (result or outcome_result) == "invalid":
        explanation = prove(
            requirement, lambda steps: run_verify(inputs, profile, steps), why)
        if explanation is not None:
            flags.append(NOT_SINGLE_DEFECT)
            fields["explanation"] = explanation
    if outcome_result == "invalid":
        fields["reason"] = outcome.pop("reason")
        fields["status"] = outcome.pop("status")
    fields.update(extra)
    if text_outcome is not None:
        # A decision that contradicts explicit text (issue 21 item 6): the text's outcome
        # passes too unless the runner is strict.
        fields["textOutcome"] = text_outcome
        result = "acceptable"
    fields.update(inputs)
    fields.update(outcome)
    return _test(comment, flags, result or outcome_result, **fields)


def _keyid(profile: ProfileName, address: str = ADDRESS_1, chain: int = 1) -> str:
    return f"{'eip155' if profile == 'draft' else 'erc8128'}:{chain}:{address}"


def _reason_matrix(base: _Signed) -> list[JsonObject]:
    """At least three tests for each ERC-8128 reason code, for one profile."""
    profile, label, request = base.profile, base.label, base.request
    keyid = _keyid(profile)
    sig_input = _field(request, "signature-input")
    tests: list[JsonObject] = []

    def add(comment: str, changed: Request, expect: str, flags: Sequence[str] = (),
            **options: Any) -> None:
        tests.append(_vt(comment, ["ReasonCode", *flags], profile, changed, expect=expect,
                         **options))

    add("valid: the base request of this group", request, "valid")
    # signature_missing
    add("Signature field removed", _without(request, "Signature"), "signature_missing")
    add("Signature-Input field removed", _without(request, "Signature-Input"),
        "signature_missing")
    add("both signature fields removed", _without(request, "Signature", "Signature-Input"),
        "signature_missing")
    add("Signature-Input present with an empty value (D10)",
        with_field(request, "Signature-Input", ""), "signature_missing", ["SpecDecision"],
        decision="D10")
    # signature_input_invalid
    add("Signature-Input is not an sf Dictionary (trailing junk)",
        with_field(request, "Signature-Input", sig_input + " junk"), "signature_input_invalid")
    add("Signature is not an sf Dictionary (bad base64)",
        with_field(request, "Signature", f"{label}=:not base64!:"), "signature_input_invalid")
    add("Signature member is a String, not a Byte Sequence",
        with_field(request, "Signature", f'{label}="abc"'), "signature_input_invalid")
    add("Signature member under another label (no correlation)",
        with_field(request, "Signature", "other=:" + _b64(base.signature) + ":"),
        "signature_input_invalid")
    add("component covered twice", base.edit_input('"@method"', '"@method" "@method"'),
        "signature_input_invalid", why="its signature is over the base without the repeated "
        "line; the next vector is signed over the base with it")
    add("component covered twice, signed over the base with the repeated line",
        _sign_with_repeat(base.edit_input('"@method"', '"@method" "@method"'), label),
        "signature_input_invalid")
    add("covered field absent from the request (D18)",
        base.edit_input('"@path"', '"@path" "x-absent"'), "signature_input_invalid",
        ["SpecDecision"], decision="D18")
    # signature_too_large
    add("Signature-Input over 16 KiB",
        with_field(request, "Signature-Input", sig_input + ', pad="' + "a" * 16384 + '"'),
        "signature_too_large")
    add("9 candidates (limit 8)", _candidates(base, 9), "signature_too_large")
    extra_components = 33 - 5 - (2 if profile == "draft" else 0)
    add("33 covered components (limit 32)",
        _replace_in_field(_with_headers(request, extra_components), "Signature-Input", '"@path"',
                          '"@path" ' + " ".join(f'"x-{i}"' for i in range(extra_components))),
        "signature_too_large")
    add("17 signature parameters (limit 16)",
        with_field(request, "Signature-Input", sig_input + "".join(
            f";p{i}=1" for i in range(17 - (5 if profile == "draft" else 4)))),
        "signature_too_large")
    add("decoded signature member of 8193 bytes (limit 8 KiB)",
        _set_signature(request, label, bytes(8193)), "signature_too_large")
    # no_acceptable_signature
    if profile == "draft":
        add("unknown extension tag only", base.edit_input('tag="erc8128"', 'tag="erc8128-ext"'),
            "no_acceptable_signature")
        add("tag removed", base.edit_input(';tag="erc8128"', ""), "no_acceptable_signature")
        add("tag is a Token, not a String", base.edit_input('tag="erc8128"', "tag=erc8128"),
            "no_acceptable_signature")
        add("tag with different case", base.edit_input('tag="erc8128"', 'tag="ERC8128"'),
            "no_acceptable_signature")
        # Draft §3.5: "the exact last-wins String `tag="erc8128"`" (RFC 9651: a repeated
        # parameter key keeps its last value).
        add('tag="erc8128" then tag="other": the last tag wins, no candidate (re-signed)',
            base.edit_input('tag="erc8128"', 'tag="erc8128";tag="other"'),
            "no_acceptable_signature")
        add('valid: tag="other" then tag="erc8128": the last tag wins (re-signed)',
            _resigned(base.edit_input('tag="erc8128"', 'tag="other";tag="erc8128"')), "valid",
            requirement="candidate-selection")
    else:
        add("keyid in the eip155 namespace (no tag)",
            base.edit_input(keyid, _keyid("draft")), "no_acceptable_signature")
        add("keyid removed", base.edit_input(f';keyid="{keyid}"', ""), "no_acceptable_signature")
        add("keyid is a Token, not a String", base.edit_input(f'"{keyid}"', keyid),
            "no_acceptable_signature")
        add("keyid namespace in uppercase", base.edit_input('"erc8128:', '"ERC8128:'),
            "no_acceptable_signature")
    # invalid_keyid
    prefix = "eip155" if profile == "draft" else "erc8128"
    add("chain with a leading zero", base.edit_input(f"{prefix}:1:", f"{prefix}:01:"),
        "invalid_keyid", ["SpecDecision"], decision="D3")
    add("39 hex digits", base.edit_input(ADDRESS_1, ADDRESS_1[:-1]), "invalid_keyid",
        why="39 hex digits are no address: there is no account to verify against")
    add("0X prefix", base.edit_input(ADDRESS_1, "0X" + ADDRESS_1[2:]), "invalid_keyid")
    add("33-digit chain", base.edit_input(f"{prefix}:1:", f"{prefix}:{'1' * 33}:"),
        "invalid_keyid", ["SpecDecision"], decision="D3",
        policy=_policy(served_chains=[1, int("1" * 33)]))
    if profile == "draft":
        add("EIP-55 checksummed address",
            base.edit_input(ADDRESS_1, "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"),
            "invalid_keyid")
    else:
        add("empty chain", base.edit_input("erc8128:1:", "erc8128::"), "invalid_keyid",
            why="an empty chain id names no chain to verify on")
    # unsupported_chain
    add("chain 1 not served (served: 8453)", request, "unsupported_chain",
        policy=_policy(served_chains=[8453]))
    add("chain 0 is syntactically valid but not served (D3)", base.sign(chain_id=0),
        "unsupported_chain", ["SpecDecision"], decision="D3")
    add("32-digit chain not served", base.sign(chain_id=10**31), "unsupported_chain")
    # invalid_time
    add("created removed", base.edit_input(f"created={CREATED};", ""), "invalid_time")
    add("created is a String", base.edit_input(f"created={CREATED}", f'created="{CREATED}"'),
        "invalid_time")
    add("created is a Boolean", base.edit_input(f"created={CREATED}", "created=?1"),
        "invalid_time")
    add("created is a Decimal", base.edit_input(f"created={CREATED}", f"created={CREATED}.0"),
        "invalid_time")
    add("expires equals created", base.edit_input(f"expires={EXPIRES}", f"expires={CREATED}"),
        "invalid_time")
    add("expires removed", base.edit_input(f";expires={EXPIRES}", ""), "invalid_time")
    # The text lists what is invalid_time (missing, not an Integer, expires <= created); a
    # negative Integer is none of them, so the text accepts what D11 refuses.
    add("negative created, re-signed (D11)", base.sign(created=-1, expires=59),
        "invalid_time", ["SpecDecision"], decision="D11", now=0,
        text_outcome={"result": "valid", "requirement": "time-integers",
                      "why": "D11: a time before 1970 is no timestamp a signer means; the text "
                             "lets it through as an Integer"})
    # request_not_yet_valid
    add("now = created - skew - 1", request, "request_not_yet_valid", now=CREATED - 31)
    add("skew 0, now = created - 1", request, "request_not_yet_valid", now=CREATED - 1,
        policy=_policy(skew_sec=0))
    add("now = 1", request, "request_not_yet_valid", now=1)
    add("valid: now = created - skew", request, "valid", now=CREATED - 30)
    # request_expired
    add("now = expires + skew + 1", request, "request_expired", now=EXPIRES + 31)
    add("skew 0, now = expires + 1", request, "request_expired", now=EXPIRES + 1,
        policy=_policy(skew_sec=0))
    add("now = 2000000000", request, "request_expired", now=2000000000)
    add("valid: now = expires + skew", request, "valid", now=EXPIRES + 30,
        text_outcome=_EXPIRED_BY_TEXT if profile == "legacy" else None)
    # request_validity_too_long
    add("route maximum 60 s, window 61 s (re-signed)", base.sign(expires=CREATED + 61),
        "request_validity_too_long", policy=_policy(max_validity_sec=60))
    add("default maximum 300 s, window 301 s (re-signed)", base.sign(expires=CREATED + 301),
        "request_validity_too_long")
    add("route maximum 1 s, window 60 s", request, "request_validity_too_long",
        policy=_policy(max_validity_sec=1))
    add("valid: route maximum 60 s, window 60 s", request, "valid",
        policy=_policy(max_validity_sec=60))
    # invalid_nonce
    add("nonce is a Token", base.edit_input(f'nonce="{DRAFT_NONCE}"', f"nonce={DRAFT_NONCE}"),
        "invalid_nonce")
    add("nonce of 129 bytes (re-signed)", base.sign(nonce="a" * 129), "invalid_nonce")
    add("nonce is an Integer", base.edit_input(f'nonce="{DRAFT_NONCE}"', "nonce=1"),
        "invalid_nonce")
    add("nonce is a Byte Sequence", base.edit_input(f'nonce="{DRAFT_NONCE}"', "nonce=:AAAA:"),
        "invalid_nonce")
    add("valid: nonce of 128 bytes (re-signed)", base.sign(nonce="a" * 128), "valid")
    # insufficient_coverage
    add("@authority not covered", base.edit_input('"@authority" ', ""), "insufficient_coverage",
        policy=_policy(class_bound=True))
    add("@method not covered", base.edit_input('"@method" ', ""), "insufficient_coverage")
    add("@path not covered", base.edit_input('"@path" ', ""), "insufficient_coverage")
    if profile == "draft":
        add("@query not covered", base.edit_input('"@query" ', ""), "insufficient_coverage")
        add('content-digest covered only with the sf parameter (not parameterless), re-signed',
            base.edit_input('"content-digest"', '"content-digest";sf'), "insufficient_coverage",
            requirement="content-digest-covered")
        bare_get = Request("GET", "https://api.example/items", (("Host", "api.example"),))
        add("GET without a query, @query (value ?) not covered, re-signed",
            base.sign(bare_get, components=["@scheme", "@authority", "@method", "@path"]),
            "insufficient_coverage", requirement="query-covered")
        typed_empty = Request("POST", "https://api.example/items?view=full",
                              (("Host", "api.example"), ("Content-Type", "application/json")),
                              b"")
        add("empty content with Content-Type received, content-type not covered",
            _sign_member(typed_empty, label,
                         base.member.replace(' "content-digest" "content-type"', "")),
            "insufficient_coverage", requirement="content-type-covered")
        add("route requires @query-param view", request, "insufficient_coverage",
            policy=_policy(required_components=['"@query-param";name="view"']))
    else:
        add("content-digest not covered although there is content",
            base.edit_input(' "content-digest"', ""), "insufficient_coverage")
        add("route requires content-type", request, "insufficient_coverage",
            policy=_policy(required_components=["content-type"]))
    # content_digest_required
    # Step 10 precedes coverage (D15): these two cover no content-digest, so that the missing
    # field is their only defect (legacy: on a Class-Bound route, as legacy's Request-Bound set
    # includes content-digest whenever there is content).
    no_digest = _replace_in_field(request, "Signature-Input", ' "content-digest"', "")
    no_digest_policy = _policy(class_bound=profile == "legacy")
    add("Content-Digest removed, content kept", _without(no_digest, "Content-Digest"),
        "content_digest_required", policy=no_digest_policy)
    add("Content-Digest renamed to the obsolete Digest",
        _rename_field(no_digest, "Content-Digest", "Digest"),
        "content_digest_required", policy=no_digest_policy)
    get_request = Request("GET", "https://api.example/items", (("Host", "api.example"),))
    add("route requires Content-Digest on every request; GET without it",
        base.sign(get_request), "content_digest_required",
        policy=_policy(content_digest="required"))
    # bad_content_digest
    add("content changed", replace(request, body=b'{"hello":"World"}'), "bad_content_digest")
    add("sha-256 digest of 31 bytes",
        with_field(request, "Content-Digest", f"sha-256=:{_b64(bytes(31))}:"),
        "bad_content_digest")
    add("mismatching sha-512 member added",
        with_field(request, "Content-Digest",
                    _field(request, "content-digest") + f", sha-512=:{_b64(bytes(64))}:"),
        "bad_content_digest")
    add("only an unsupported algorithm",
        with_field(request, "Content-Digest", "md5=:AAAAAAAAAAAAAAAAAAAAAA==:"),
        "bad_content_digest")
    # Draft §3.1.3: "Empty-content requests do not require the field, but a received field is
    # verified by the same rules."
    empty_post = Request("POST", "https://api.example/items", (
        ("Host", "api.example"), ("Content-Digest", f"sha-256=:{_b64(bytes(32))}:")), b"")
    add("empty content with a covered Content-Digest that does not match it (re-signed)",
        _sign_member(empty_post, label, base.member.replace(' "content-type"', "")),
        "bad_content_digest")
    # principal_not_allowed
    add("Principal policy denies the signer", request, "principal_not_allowed",
        policy=_policy(denied_principals=[ADDRESS_1]))
    add("Principal policy denies the signer (key 0x..02)", base.sign(key=KEY_2),
        "principal_not_allowed", policy=_policy(denied_principals=[ADDRESS_2]))
    add("Principal policy denies the signer, but the unserved chain is checked first", request,
        "unsupported_chain", policy=_policy(denied_principals=[ADDRESS_1], served_chains=[10]),
        why="two defects by design: the vector pins that the chain is checked before the "
        "Principal policy")
    add("Principal policy denies the signer of a Replayable signature", base.sign(nonce=None),
        "principal_not_allowed",
        policy=_policy(denied_principals=[ADDRESS_1], replay="either"))
    add("valid: Principal policy denies another account", request, "valid",
        policy=_policy(denied_principals=[ADDRESS_2]))
    # nonce_required
    add("no nonce on a Non-Replayable route (re-signed)", base.sign(nonce=None),
        "nonce_required")
    add("no nonce on an early-invalidation endpoint", base.sign(nonce=None), "nonce_required",
        ["Extension"], policy=_policy(replay="either", invalidation_endpoint=True))
    add("nonce removed from Signature-Input", base.edit_input(f';nonce="{DRAFT_NONCE}"', ""),
        "nonce_required")
    # nonce_reused
    add("the same request verified a second time", request, "nonce_reused",
        prior=[(request, NOW)])
    other_path = base.sign(replace(base.unsigned, target_uri="https://api.example/other?view=full"))
    add("another request of the same signer with the same nonce was verified first",
        request, "nonce_reused", prior=[(other_path, NOW)])
    add("the same nonce used 60 s earlier, mark still kept",
        base.sign(created=CREATED + 60, expires=EXPIRES + 60), "nonce_reused",
        now=NOW + 60, prior=[(request, NOW)])
    # replayable_not_allowed
    replayable = base.sign(nonce=None)
    add("Replayable signature, route denies Replayable for this signer", replayable,
        "replayable_not_allowed", ["Extension"],
        policy=_policy(replay="either", replayable_denied_principals=[ADDRESS_1]))
    add("Replayable signature created before the signer's not-before", replayable,
        "replayable_not_allowed", policy=_policy(replay="either",
                                                 not_before={ADDRESS_1: CREATED + 1}))
    fingerprint = "0x" + personal_message_hash(
        signature_base_for_label(replayable, label).encode("ascii")).hex()
    add("Replayable signature whose fingerprint its signer invalidated", replayable,
        "replayable_not_allowed",
        policy=_policy(replay="either", invalidated_signatures=[fingerprint]))
    add("valid: Replayable signature created at the signer's not-before", replayable, "valid",
        policy=_policy(replay="either", not_before={ADDRESS_1: CREATED}))
    # unsupported_algorithm
    add("alg added",
        with_field(request, "Signature-Input", sig_input + ';alg="ecdsa-p256-sha256"'),
        "unsupported_algorithm", ["SpecDecision"] if profile == "legacy" else [],
        **({"decision": "D13"} if profile == "legacy" else {}))
    add("empty alg", with_field(request, "Signature-Input", sig_input + ';alg=""'),
        "unsupported_algorithm")
    add("alg as a Token before keyid", base.edit_input(";keyid=", ";alg=ecdsa;keyid="),
        "unsupported_algorithm")
    add('alg="eip191" (the value an SDK of the February text writes), re-signed',
        with_field(request, "Signature-Input", sig_input + ';alg="eip191"'),
        "unsupported_algorithm")
    # bad_signature
    add("signed by key 0x..02, keyid names key 0x..01",
        _sign_member(base.unsigned, label, base.member, KEY_2), "bad_signature")
    add("query changed after signing",
        replace(request, target_uri="https://api.example/items?view=summary"), "bad_signature")
    add("high-s twin of the valid signature (D14)",
        _set_signature(request, label, _high_s_twin(base.signature)),
        "bad_signature", ["SpecDecision"], decision="D14")
    add("v = 29", _set_signature(request, label, base.signature[:64] + b"\x1d"), "bad_signature",
        why="v = 29 names no recovery id (a lax verifier maps only 0/1 to 27/28)")
    add("v = 0/1 (the recovery id instead of 27/28)",
        _set_signature(request, label, base.signature[:64] + bytes((base.signature[64] - 27,))),
        "bad_signature")
    add("64-byte signature (v dropped)", _set_signature(request, label, base.signature[:64]),
        "bad_signature")
    add("65 zero bytes", _set_signature(request, label, bytes(65)), "bad_signature")
    # signature_verification_unavailable
    add("account-state provider unavailable", request, "signature_verification_unavailable",
        policy=_policy(account_state="unavailable"))
    add("ERC-6492-wrapped signature, no chain to simulate it", _set_signature(
        request, label, base.signature + bytes.fromhex("6492" * 16)),
        "signature_verification_unavailable")
    add("mode=\"eoa\" with a signature that does not recover, provider unavailable",
        _set_signature(base.sign(params={"mode": "eoa"}), label, bytes(65)),
        "signature_verification_unavailable", policy=_policy(account_state="unavailable"))
    return tests


def _resigned(request: Request) -> Request:
    """``request`` with every signature that no longer matches its base made again."""
    return resign(request, _TEST_KEYS, KEY_1)


def _candidates(base: _Signed, count: int) -> Request:
    """``count`` valid candidates c0, c1, ... with the same member, each with its signature."""
    request = base.unsigned
    for index in range(count):
        request = _sign_member(request, f"c{index}", base.member)
    return request


def _with_headers(request: Request, count: int) -> Request:
    """Fields X-0 ... X-<count-1> added, so that covering them is well defined."""
    for index in range(count):
        request = request.with_header(f"X-{index}", str(index))
    return request


def _sign_with_repeat(request: Request, label: str, key: bytes = KEY_1) -> Request:
    """Sign ``label`` over the signature base a verifier without RFC 9421's duplicate rule
    builds: one line per covered component, the repeated one twice (our own builder refuses)."""
    member = _field(request, "signature-input")[len(label) + 1 :]
    parsed = parse_dictionary(f"{label}={member}")[0][1]
    assert isinstance(parsed, InnerList)
    seen: list[str] = []
    unique_items = []
    for item in parsed.items:
        identifier = serialize_item(item)
        if identifier not in seen:
            seen.append(identifier)
            unique_items.append(item)
    unique = replace(parsed, items=tuple(unique_items))
    probe = with_field(request, "Signature-Input", f"{label}={serialize_inner_list(unique)}")
    lines = signature_base_for_label(probe, label).split("\n")[:-1]
    by_identifier = {line.split(": ", 1)[0]: line for line in lines}
    base = "\n".join([*(by_identifier[serialize_item(item)] for item in parsed.items),
                      f'"@signature-params": {member}'])
    signature = sign_message(key, base.encode("ascii"))
    return with_field(request, "Signature", f"{label}=:{_b64(signature)}:")


def _rename_field(request: Request, old: str, new: str) -> Request:
    return replace(request, headers=tuple(
        (new if name.lower() == old.lower() else name, value) for name, value in request.headers
    ))


def _mutations(base: _Signed) -> list[JsonObject]:
    """Every single-bit change of the signature's 65 bytes, then one change of each covered
    component (and of things not covered, which must keep the signature valid)."""
    profile, label, request = base.profile, base.label, base.request
    tests: list[JsonObject] = []
    for index in range(65):
        flipped = bytearray(base.signature)
        flipped[index] ^= 0x01
        part = "r" if index < 32 else "s" if index < 64 else "v"
        tests.append(_vt(f"signature byte {index} ({part}) low bit flipped",
                         ["Mutation", "SignatureByteFlip"], profile,
                         _set_signature(request, label, bytes(flipped)), expect=None))
    url = request.target_uri
    # The February text covers neither @scheme nor content-type: changing them keeps a legacy
    # signature valid (a property of that profile, shown rather than hidden).
    uncovered_in_legacy = "valid" if profile == "legacy" else None
    # Data: one change a row (rows look alike by design; deliberate for the duplicate scan).
    changes: list[tuple[str, Request, str | None]] = [
        ("method POST changed to PUT", replace(request, method="PUT"), None),
        ("method changed to lowercase post", replace(request, method="post"), None),
        ("scheme https changed to http",
         replace(request, target_uri=url.replace("https:", "http:")), uncovered_in_legacy),
        ("authority changed to api.example:8443",
         replace(request, target_uri=url.replace("api.example", "api.example:8443")), None),
        ("authority changed to api.example.com",
         replace(request, target_uri=url.replace("api.example", "api.example.com")), None),
        ("path /items changed to /items/",
         replace(request, target_uri=url.replace("/items", "/items/")), None),
        ("path /items changed to /Items",
         replace(request, target_uri=url.replace("/items", "/Items")), None),
        ("query view=full changed to view=ful",
         replace(request, target_uri=url.replace("view=full", "view=ful")), None),
        ("query parameter appended",
         replace(request, target_uri=url + "&x=1"), None),
        ("query removed", replace(request, target_uri=url.split("?")[0]), None),
        ("content-type value changed",
         with_field(request, "Content-Type", "application/json; charset=utf-8"),
         uncovered_in_legacy),
        ("content-type value in uppercase",
         with_field(request, "Content-Type", "APPLICATION/JSON"), uncovered_in_legacy),
        ("content-digest changed to another valid digest (sha-512 member added)",
         with_field(request, "Content-Digest",
                     content_digest(request.body or b"", ("sha-256", "sha-512"))), None),
        ("content changed (one byte)", replace(request, body=b'{"hello":"worle"}'), None),
        ("content extended", replace(request, body=(request.body or b"") + b"\n"), None),
        ("keyid changed to key 0x..02's address",
         base.edit_input(ADDRESS_1, ADDRESS_2), None),
        ("created changed by one second",
         base.edit_input(f"created={CREATED}", f"created={CREATED + 1}"), None),
        ("expires changed by one second",
         base.edit_input(f"expires={EXPIRES}", f"expires={EXPIRES - 1}"), None),
        ("nonce changed", base.edit_input(DRAFT_NONCE, DRAFT_NONCE[:-1] + "x"), None),
        ("signature parameters reordered (keyid before nonce)",
         base.edit_input(f';nonce="{DRAFT_NONCE}";keyid="{_keyid(profile)}"',
                         f';keyid="{_keyid(profile)}";nonce="{DRAFT_NONCE}"'), None),
        ("covered components reordered (@path before @method)",
         base.edit_input('"@method" "@path"', '"@path" "@method"'), None),
        ("extra signature parameter added",
         with_field(request, "Signature-Input", _field(request, "signature-input") + ";x=1"),
         None),
        ("valid: host in uppercase normalises to the same @authority",
         replace(request, target_uri=url.replace("api.example", "API.EXAMPLE")), "valid"),
        ("valid: default port :443 normalises to the same @authority",
         replace(request, target_uri=url.replace("api.example", "api.example:443")), "valid"),
        ("valid: a header that is not covered added", request.with_header("X-Extra", "1"),
         "valid"),
        ("valid: Content-Length (not covered) changed",
         with_field(request, "Content-Length", "18"), "valid"),
        ("valid: label renamed in both fields (the label is not signed)",
         with_field(with_field(request, "Signature-Input", "renamed=" + base.member),
                     "Signature", "renamed=:" + _b64(base.signature) + ":"), "valid"),
        ("valid: extra spaces between covered components in Signature-Input",
         with_field(request, "Signature-Input",
                     _field(request, "signature-input").replace('" "', '"   "', 1)), "valid"),
    ]
    for comment, changed, expect in changes:
        tests.append(_vt(comment, ["Mutation", "ComponentChange"], profile, changed,
                         expect=expect))
    # RFC 9651 §4.2.7: parsers "SHOULD NOT fail when "=" padding is not present"; a strict
    # parser may, so either outcome conforms.
    unpadded = with_field(request, "Signature",
                           f"{label}=:" + _b64(base.signature).rstrip("=") + ":")
    tests.append(_vt("Signature value without base64 padding", ["UnpaddedBase64"], profile,
                     unpadded, expect="valid", result="acceptable"))
    return tests


def _draft_rows() -> list[JsonObject]:
    """Every row N01-N28 of the draft's Negative and classification table (N09, N10: see
    :func:`_needs_chain`), as the draft describes the mutation."""
    base = _signed("draft")
    request, label = base.request, base.label
    sig_input = _field(request, "signature-input")
    tests: list[JsonObject] = []

    def row(row_id: str, comment: str, changed: Request, expect: str,
            flags: Sequence[str] = (), **options: Any) -> None:
        tests.append(_vt(f"{row_id}: {comment}", ["DraftRow", *flags], "draft", changed,
                         expect=expect, draftRow=row_id, **options))

    row("N01", "Signature removed", _without(request, "Signature"), "signature_missing")
    row("N01", "Signature-Input removed", _without(request, "Signature-Input"),
        "signature_missing")
    row("N02", "Signature-Input with trailing junk",
        with_field(request, "Signature-Input", sig_input + " junk"), "signature_input_invalid")
    row("N02", "Signature-Input unterminated inner list",
        with_field(request, "Signature-Input", 'request=("@scheme"'), "signature_input_invalid")
    row("N02", "Signature with invalid base64",
        with_field(request, "Signature", "request=:not base64!:"), "signature_input_invalid")
    row("N02", "Signature with a trailing empty member",
        with_field(request, "Signature", "request=:AAAA:,,"), "signature_input_invalid")
    row("N03", "first candidate has no correlated Signature member; the positive one wins",
        with_field(request, "Signature-Input", f"first={base.member}, {sig_input}"), "valid")
    row("N03", "the only candidate's Signature member is under another label",
        with_field(request, "Signature", "other=:" + _b64(base.signature) + ":"),
        "signature_input_invalid")
    row("N04", "Signature-Input over 16 KiB",
        with_field(request, "Signature-Input", sig_input + ', pad="' + "a" * 16384 + '"'),
        "signature_too_large")
    row("N04", "decoded signature of 8193 bytes", _set_signature(request, label, bytes(8193)),
        "signature_too_large")
    row("N04", "33 components",
        _replace_in_field(_with_headers(request, 26), "Signature-Input", '"content-type")',
                          '"content-type" ' + " ".join(f'"x-{i}"' for i in range(26)) + ")"),
        "signature_too_large")
    row("N04", "17 parameters",
        with_field(request, "Signature-Input", sig_input + "".join(f";p{i}=1" for i in range(12))),
        "signature_too_large")
    row("N04", "9 candidates", _candidates(base, 9), "signature_too_large")
    row("N05", "the only tag replaced by an unknown extension tag",
        base.edit_input('tag="erc8128"', 'tag="erc8128-ext"'), "no_acceptable_signature")
    for comment, keyid in [
        ("checksummed address", "eip155:1:0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"),
        ("chain with a leading zero", "eip155:01:" + ADDRESS_1),
        ("legacy namespace", "erc8128:1:" + ADDRESS_1),
        ("address without 0x", "eip155:1:" + ADDRESS_1[2:]),
        ("39 hex digits", "eip155:1:" + ADDRESS_1[:-1]),
        ("chain '+1'", "eip155:+1:" + ADDRESS_1),
    ]:
        row("N06", f"non-canonical keyid: {comment}", base.edit_input(_keyid("draft"), keyid),
            "invalid_keyid", why=(
                "39 hex digits are no address: there is no account to verify against"
                if comment == "39 hex digits" else None))
    row("N07", "chain 1 not served (served: 8453)", request, "unsupported_chain",
        policy=_policy(served_chains=[8453]))
    row("N08", 'mode="eoa" re-signed, account-state provider unavailable',
        base.sign(params={"mode": "eoa"}), "valid", ["ModeEoa"],
        policy=_policy(account_state="unavailable"))
    for mode in ("EOA", "sca", "eoa "):
        row("N11", f'mode="{mode}" is ignored: provider unavailable gives 503',
            base.sign(params={"mode": mode}), "signature_verification_unavailable",
            policy=_policy(account_state="unavailable"))
        row("N11", f'mode="{mode}" is ignored: verified as without mode',
            base.sign(params={"mode": mode}), "valid")
    row("N11", "mode as the Token eoa is ignored: provider unavailable gives 503",
        base.sign(params={"mode": Token("eoa")}), "signature_verification_unavailable",
        policy=_policy(account_state="unavailable"))
    row("N11", 'mode="eoa" on a verifier that does not honour it',
        base.sign(params={"mode": "eoa"}), "signature_verification_unavailable",
        policy=_policy(account_state="unavailable", honor_mode_eoa=False))
    for comment, old, new in [
        ("created removed", f"created={CREATED};", ""),
        ("created is a String", f"created={CREATED}", f'created="{CREATED}"'),
        ("expires equals created", f"expires={EXPIRES}", f"expires={CREATED}"),
        ("expires before created", f"expires={EXPIRES}", f"expires={CREATED - 1}"),
        ("created is a Boolean", f"created={CREATED}", "created=?1"),
        ("created is a Decimal", f"created={CREATED}", f"created={CREATED}.0"),
    ]:
        row("N12", comment, base.edit_input(old, new), "invalid_time")
    row("N13", "now = 1699999969", request, "request_not_yet_valid", now=1699999969)
    row("N13", "valid at now = 1699999970 (created - skew)", request, "valid", now=1699999970)
    row("N14", "now = 1700000091", request, "request_expired", now=1700000091)
    row("N14", "valid at now = 1700000090 (expires + skew)", request, "valid", now=1700000090)
    row("N15", "route maximum 60 s, re-signed with expires = 1700000061",
        base.sign(expires=1700000061), "request_validity_too_long",
        policy=_policy(max_validity_sec=60))
    row("N15", "route maximum 60 s, re-signed with expires = 1700000060",
        base.sign(expires=1700000060), "valid", policy=_policy(max_validity_sec=60))
    for comment, new in [("Token", f"nonce={DRAFT_NONCE}"), ("129 ASCII bytes",
                                                               'nonce="' + "a" * 129 + '"'),
                         ("Integer", "nonce=1"), ("Byte Sequence", "nonce=:AAAA:")]:
        row("N16", f"nonce is a {comment}", base.edit_input(f'nonce="{DRAFT_NONCE}"', new),
            "invalid_nonce")
    row("N16", "nonce of 128 bytes, re-signed", base.sign(nonce="a" * 128), "valid")
    row("N17", "@query removed from coverage", base.edit_input('"@query" ', ""),
        "insufficient_coverage")
    row("N18", "Content-Digest removed, content kept",
        _without(_replace_in_field(request, "Signature-Input", ' "content-digest"', ""),
                 "Content-Digest"), "content_digest_required")
    digest = _field(request, "content-digest")
    for comment, changed in [
        ("content changed", replace(request, body=b'{"hello":"World"}')),
        ("malformed digest", with_field(request, "Content-Digest", "sha-256=:k6I5:,")),
        ("mismatching sha-512 added",
         with_field(request, "Content-Digest", digest + f", sha-512=:{_b64(bytes(64))}:")),
        ("digest is a String",
         with_field(request, "Content-Digest", 'sha-256="k6I5cakU5erL8KjSUVTNownDwccvu5k"')),
        ("31-byte digest", with_field(request, "Content-Digest",
                                       f"sha-256=:{_b64(bytes(31))}:")),
    ]:
        row("N19", comment, changed, "bad_content_digest")
    row("N20", "nonce removed on a Non-Replayable-only route",
        base.edit_input(f';nonce="{DRAFT_NONCE}"', ""), "nonce_required")
    row("N21", "early-invalidation endpoint, re-signed without nonce", base.sign(nonce=None),
        "nonce_required", ["Extension"],
        policy=_policy(replay="either", invalidation_endpoint=True))
    row("N22", "the positive vector submitted a second time", request, "nonce_reused",
        prior=[(request, NOW)])
    row("N23", "no nonce; Replayable supported but denied by policy", base.sign(nonce=None),
        "replayable_not_allowed", ["Extension"],
        policy=_policy(replay="either", replayable_denied_principals=[ADDRESS_1]))
    row("N23", "no nonce; Replayable supported and allowed", base.sign(nonce=None), "valid",
        policy=_policy(replay="either"))
    row("N24", "alg added",
        with_field(request, "Signature-Input", sig_input + ';alg="ecdsa-p256-sha256"'),
        "unsupported_algorithm")
    row("N25", "query changed, signature kept",
        replace(request, target_uri="https://api.example/items?view=summary"), "bad_signature")
    row("N26", "account classification unavailable", request,
        "signature_verification_unavailable", policy=_policy(account_state="unavailable"))
    row("N27", "Principal policy rejects the displayed Account", request,
        "principal_not_allowed", policy=_policy(denied_principals=[ADDRESS_1]))
    failing = "early=" + base.member.replace('"@query" ', "")
    row("N28", "a well-formed failing candidate before the positive one",
        with_field(with_field(request, "Signature-Input", f"{failing}, {sig_input}"),
                    "Signature", f"early=:{_b64(bytes(65))}:, " + _field(request, "signature")),
        "valid")
    row("N28", "a candidate failing at the signature before the positive one",
        with_field(with_field(request, "Signature-Input", f"early={base.member}, {sig_input}"),
                    "Signature", f"early=:{_b64(bytes(65))}:, " + _field(request, "signature")),
        "valid")
    return tests


def _needs_chain() -> list[JsonObject]:
    """Rows N09 and N10: contract accounts, emulated by ``policy.account_state``."""
    base = _signed("draft")
    mode_eoa = base.sign(params={"mode": "eoa"})
    foreign = _set_signature(mode_eoa, base.label, bytes([1] * 64 + [27]))
    # (draft row, comment, request, expected outcome, policy.account_state)
    rows = [
        ("N09", 'ERC-1271 account, mode="eoa", a signature only the contract accepts', foreign,
         "valid", "erc1271-accepts"),
        ("N09", 'ERC-1271 account, mode="eoa", the contract rejects: no ECDSA fallback',
         foreign, "bad_signature", "erc1271-rejects"),
        ("N09", "ERC-1271 account that rejects, valid EOA signature without mode: no fallback",
         base.request, "bad_signature", "erc1271-rejects"),
        ("N10", 'EIP-7702 delegated EOA, mode="eoa", re-signed: local recovery wins', mode_eoa,
         "valid", "eip7702-delegated"),
        ("N10", "EIP-7702 delegated EOA without mode: ERC-1271 rejects, no fallback",
         base.request, "bad_signature", "eip7702-delegated"),
    ]
    return [
        *(_vt(f"{row}: {comment}", ["DraftRow", "NeedsChain"], "draft", request, expect=expect,
              draftRow=row, policy=_policy(account_state=account_state))
          for row, comment, request, expect, account_state in rows),
        _vt("legacy: ERC-1271 account accepts a foreign signature (mode is not legacy, D8)",
            ["NeedsChain", "SpecDecision"], "legacy",
            _set_signature(_signed("legacy").request, "eth", bytes([1] * 64 + [27])),
            expect="valid", decision="D8", policy=_policy(account_state="erc1271-accepts")),
    ]


def _decisions() -> tuple[list[JsonObject], list[JsonObject],
                          list[tuple[ProfileName | None, JsonObject]]]:
    """Vectors that pin SPEC.md decisions: (draft group, legacy group, both-profiles group)."""
    draft, legacy = _signed("draft"), _signed("legacy")
    draft_tests: list[JsonObject] = []
    legacy_tests: list[JsonObject] = []
    both_tests: list[tuple[ProfileName | None, JsonObject]] = []

    def add_both(decision: str, comment: str, profile: ProfileName | None, request: Request,
                 expect: str, **options: Any) -> None:
        both_tests.append((profile, _vt(f"{decision}: {comment}", ["SpecDecision"], profile,
                                        request, expect=expect, decision=decision, **options)))

    # One call per decision reads as a table row: (group, decision, comment, profile, request,
    # expected outcome).
    def add(  # noqa: PLR0917
        into: list[JsonObject], decision: str, comment: str, profile: ProfileName | None,
        request: Request, expect: str, **options: Any,
    ) -> None:
        into.append(_vt(f"{decision}: {comment}", ["SpecDecision"], profile, request,
                        expect=expect, decision=decision, **options))

    for into, base in ((draft_tests, draft), (legacy_tests, legacy)):
        profile = base.profile
        add(into, "D1", "a 400 code keeps its status in this profile",
            profile, base.edit_input('"@method"', '"@method" "@method"'),
            "signature_input_invalid")
        add(into, "D3", "chain 0 served: valid", profile, base.sign(chain_id=0), "valid",
            policy=_policy(served_chains=[0]))
        add(into, "D5", "valid at now = expires + skew", profile, base.request, "valid",
            now=EXPIRES + 30, text_outcome=_EXPIRED_BY_TEXT if profile == "legacy" else None)
        # Expired by the text's rule as much as by D5's window: the text's sentence grades it.
        add(into, "D5", "expired at now = expires + skew + 1", profile, base.request,
            "request_expired", now=EXPIRES + 31, requirement="not-expired")
        add(into, "D5", "valid at now = created - skew (symmetric window)", profile,
            base.request, "valid", now=CREATED - 30)
        add(into, "D9", "an invalidated fingerprint still matches under another label", profile,
            _rename_label(base.sign(nonce=None), base.label, "renamed"), "replayable_not_allowed",
            policy=_policy(replay="either", invalidated_signatures=[
                _fingerprint(base.sign(nonce=None), base.label)]))
        add(into, "D10", "Signature field of whitespace only", profile,
            with_field(base.request, "Signature", "  "), "signature_missing")
        add(into, "D14", "high-s twin is bad_signature", profile, _set_signature(
            base.request, base.label, _high_s_twin(base.signature)), "bad_signature")
        add(into, "D15", "covered Content-Digest stripped: content_digest_required, not "
            "insufficient_coverage", profile, _without(base.request, "Content-Digest"),
            "content_digest_required", why="two defects by design: the vector pins that the "
            "missing field is reported before the coverage it breaks (D15)")
        add(into, "D16", "empty nonce \"\" is a present nonce: Non-Replayable, consumed",
            profile, base.sign(nonce=""), "valid")
        add(into, "D17", "not-before after created does not apply to a Non-Replayable "
            "signature", profile, base.request, "valid",
            policy=_policy(replay="either", not_before={ADDRESS_1: CREATED + 10}))
        add(into, "D17", "an invalidated fingerprint does not apply to a Non-Replayable "
            "signature", profile, base.request, "valid",
            policy=_policy(replay="either", invalidated_signatures=[
                _fingerprint(base.request, base.label)]))
        add(into, "D18", "covered header removed after signing", profile,
            _without(base.sign(base.unsigned.with_header("X-Covered", "1"), components=[
                *_default_components(base.profile), "x-covered"]), "X-Covered"),
            "signature_input_invalid")
        covered = base.sign(base.unsigned.with_header("X-Name", "cafe"),
                            components=[*_default_components(base.profile), "x-name"])
        add(into, "D19", "covered header value made non-ASCII after signing", profile,
            with_field(covered, "X-Name", "caf\u00e9"), "signature_input_invalid")
        add(into, "D19", "covered header value with CR LF injected after signing", profile,
            with_field(covered, "X-Name", 'cafe\r\n"@method": GET'), "signature_input_invalid")
    add(draft_tests, "D6", "Class-Bound route: content-type received but not covered",
        "draft", _sign_member(draft.unsigned, "request", '("@authority" "@method" '
                              '"content-digest")' + draft.member[draft.member.index(";"):]),
        "insufficient_coverage", policy=_policy(class_bound=True))
    add(draft_tests, "D6", "Class-Bound route: content-digest and content-type covered",
        "draft", draft.sign(components=["@authority", "content-digest", "content-type"]),
        "valid", policy=_policy(class_bound=True))
    add(draft_tests, "D6", "Class-Bound signature on a Request-Bound route",
        "draft", draft.sign(components=["@authority", "content-digest", "content-type"]),
        "insufficient_coverage")
    get_empty_query = Request("GET", "https://api.example/items?", (("Host", "api.example"),))
    add(legacy_tests, "D7", "target with an empty query: @query covered by default", "legacy",
        legacy.sign(get_empty_query), "valid")
    add(legacy_tests, "D7", "target with an empty query, @query not covered", "legacy",
        legacy.sign(get_empty_query, components=["@authority", "@method", "@path"]),
        "insufficient_coverage")
    add(legacy_tests, "D7", "empty content needs no content-digest", "legacy",
        legacy.sign(Request("POST", "https://api.example/items", (("Host", "api.example"),),
                            b"")), "valid")
    add(legacy_tests, "D8", 'mode="eoa" is not a legacy parameter: the account state is '
        "still consulted", "legacy", legacy.sign(params={"mode": "eoa"}),
        "signature_verification_unavailable", policy=_policy(account_state="unavailable"))
    add(legacy_tests, "D13", "alg is unsupported_algorithm in legacy", "legacy",
        with_field(legacy.request, "Signature-Input",
                    _field(legacy.request, "signature-input") + ';alg="ecdsa-secp256k1"'),
        "unsupported_algorithm")
    both = _policy(profiles=["draft", "legacy"])
    add_both("D2", "draft-only verifier, legacy signature", "draft", legacy.request,
        "no_acceptable_signature")
    add_both("D2", "legacy-only verifier, draft signature", "legacy", draft.request,
        "no_acceptable_signature")
    add_both("D2", "both profiles, legacy signature", None, legacy.request, "valid",
        policy=both)
    add_both("D2", "both profiles, draft signature", None, draft.request, "valid",
        policy=both)
    tagged_legacy_keyid = _sign_member(
        legacy.unsigned, "eth", legacy.member + ';tag="erc8128"')
    add_both("D2", "both profiles, tag=\"erc8128\" with an erc8128: keyid is a draft "
        "candidate with an invalid keyid, never reinterpreted as legacy", None,
        tagged_legacy_keyid, "invalid_keyid", policy=both, requirement="no-reinterpretation",
        why="the vector shows that a tagged member stays a draft candidate; a verifier that "
        "reinterprets it as legacy accepts it")
    add_both("D2", "legacy-only verifier, tag=\"erc8128\" with an erc8128: keyid is a "
        "legacy candidate", "legacy", tagged_legacy_keyid, "valid")
    two = _sign(legacy.request, "draft", label="request")
    add_both("D2", "both profiles, legacy then draft signature: the first in wire "
        "order wins", None, two, "valid", policy=both)
    return draft_tests, legacy_tests, both_tests


def _rename_label(request: Request, old: str, new: str) -> Request:
    signature_input = _field(request, "signature-input")
    signature = _field(request, "signature")
    renamed = with_field(request, "Signature-Input", new + signature_input[len(old):])
    return with_field(renamed, "Signature", new + signature[len(old):])


def _fingerprint(request: Request, label: str) -> str:
    base = signature_base_for_label(request, label)
    return "0x" + personal_message_hash(base.encode("ascii")).hex()


def _high_s_twin(signature: bytes) -> bytes:
    """The other signature of the same (r, key, H): s' = n - s, v' = 55 - v (27 <-> 28)."""
    s = int.from_bytes(signature[32:64], "big")
    return signature[:32] + (N - s).to_bytes(32, "big") + bytes((55 - signature[64],))


_VERIFY_NOTES: Final = {
    "RepeatedLabel": "A label repeated in Signature-Input or Signature: RFC 9651 keeps the last "
    "member (draft, Security Considerations: \"Structured Fields parsing resolves a duplicated "
    "Dictionary member or parameter key by keeping the last occurrence\").",
    "ReasonCode": "Part of the per-profile matrix with at least three tests per reason code.",
    "DraftRow": "A row of the draft's Negative and classification table (field `draftRow`).",
    "SpecDecision": "Pins a SPEC.md decision (field `decision`) where the texts are silent or "
    "ambiguous.",
    "NeedsChain": "Needs a contract account (ERC-1271 / EIP-7702), emulated here by "
    "`policy.account_state`; a runner that cannot emulate it skips the test (the real-chain "
    "tests are a separate suite).",
    "Extension": "Uses a policy field beyond the adapter protocol's list "
    "(`invalidation_endpoint`, `replayable_denied_principals`); skip if unsupported.",
    "ModeEoa": "mode=\"eoa\" lets local recovery win without an account-code lookup (draft §4.1 "
    "step 2).",
    "Mutation": "A valid signed request with exactly one thing changed after signing.",
    "SignatureByteFlip": "One bit of the 65-byte signature r || s || v flipped.",
    "ComponentChange": "One covered component (or one uncovered thing, for the valid ones) "
    "changed.",
    "UnpaddedBase64": "RFC 9651 §4.2.7: parsers \"SHOULD NOT fail when '=' padding is not "
    "present\"; a strict parser may reject it, so either result conforms (the expected values "
    "are those of acceptance).",
    NOT_SINGLE_DEFECT: "The single-defect property (a verifier lacking exactly the rule named "
    "by `requirement` accepts the vector) cannot hold or is not shown by the reference "
    "verifier's steps without that rule (vectors/ablation.py); field `explanation` says why.",
}

_VERIFY_HEADER: Final = [
    "ERC-8128 verify_request: the received request (url = effective target URI), the "
    "verifier clock `now`, and the complete route `policy`. Each test starts from a fresh, empty "
    "replay state; `prior` requests (when present) are verified first, in order, in that same "
    "state, and each of them succeeds.",
    "Valid tests give the adapter outputs (address, chain_id, keyid, label, replayable, "
    "request_bound, covered, nonce_consumed); invalid tests give the reason code and its HTTP "
    "status. signature_base, message_hash_hex (H) and recovered_address are the winning or "
    "failing candidate's, where verification got that far; content_digest is the sha-256 "
    "Content-Digest of the received content (null: none).",
    "The draft's N01-N28 table is pinned by tests flagged DraftRow. Legacy uses the draft's 21 "
    "codes (D1). Codes that cannot arise in legacy as the draft defines them: none of the 21; "
    "the mode rows (N08-N11) are draft-only, as legacy has no mode parameter (D8).",
]


def _verify_schema() -> JsonObject:
    return _schema(
        "ERC-8128 verify_request vectors", "VerifyRequestTest",
        {
            "request": _REQUEST,
            "now": {"type": "integer"},
            "policy": _POLICY,
            "prior": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["request", "now"],
                    "properties": {"request": _REQUEST, "now": {"type": "integer"}},
                },
            },
            **_VERIFY_OUTCOME,
        },
        ["request", "now", "policy"],
    )


def _verify_file() -> VectorFile:
    draft, legacy = _signed("draft"), _signed("legacy")
    draft_decisions, legacy_decisions, both_decisions = _decisions()
    groups = [
        _group("VerifyRequestTest", _reason_matrix(draft), profile="draft",
               comment="every reason code at least three times (draft)"),
        _group("VerifyRequestTest", _reason_matrix(legacy), profile="legacy",
               comment="every reason code at least three times (legacy, D1)"),
        _group("VerifyRequestTest", _draft_rows(), profile="draft",
               comment="the draft's Negative and classification table, N01-N28 without N09/N10"),
        _group("VerifyRequestTest", draft_decisions, profile="draft",
               comment="SPEC.md decisions (draft)"),
        _group("VerifyRequestTest", legacy_decisions, profile="legacy",
               comment="SPEC.md decisions (legacy)"),
    ]
    by_profile: dict[ProfileName | None, list[JsonObject]] = {}
    for profile, test in both_decisions:
        by_profile.setdefault(profile, []).append(test)
    for group_profile, tests in by_profile.items():
        groups.append(_group("VerifyRequestTest", tests, profile=group_profile,
                             comment="D2: candidate recognition across profiles"))
    groups += [
        _group("VerifyRequestTest", _mutations(draft), profile="draft",
               comment="mutations of the draft's positive vector"),
        _group("VerifyRequestTest", _mutations(legacy), profile="legacy",
               comment="mutations of a legacy signature of the same request"),
        _group("VerifyRequestTest", _needs_chain(), profile="draft",
               comment="rows N09/N10: contract accounts (NeedsChain)"),
    ]
    legacy_chain = groups[-1]["tests"].pop()
    groups.append(_group("VerifyRequestTest", [legacy_chain], profile="legacy",
                         comment="contract accounts in legacy (NeedsChain)"))
    groups += [
        _group("VerifyRequestTest", _repeated_labels(draft), profile="draft",
               comment="a label repeated in the signature fields: the last member wins"),
        _group("VerifyRequestTest", _repeated_labels(legacy), profile="legacy",
               comment="a label repeated in the signature fields: the last member wins"),
    ]
    _check_reason_coverage(groups)
    return _assemble("verify_request.json", "ERC-8128-VERIFY-REQUEST", _VERIFY_HEADER,
                     _VERIFY_NOTES, groups, schema=_verify_schema())


def _repeated_labels(base: _Signed) -> list[JsonObject]:
    """RFC 9651 §3.2 / draft "Duplicated Structured Field keys": a repeated Dictionary key keeps
    its last occurrence; a verifier that reads the first member is caught both ways."""
    label, sig_input = base.label, _field(base.request, "signature-input")
    signature = _field(base.request, "signature")
    stale = base.sign(created=CREATED - 100, expires=EXPIRES - 100, nonce="stale-nonce")
    stale_input, stale_signature = (_field(stale, "signature-input"),
                                    _field(stale, "signature"))
    other = _set_signature(base.request, label, _other_signature(base))
    flags = ["RepeatedLabel"]
    return [
        _vt("repeated label: an expired member, then the valid one (last wins)", flags,
            base.profile, with_field(with_field(base.request, "Signature-Input",
                                                  f"{stale_input}, {sig_input}"),
                                      "Signature", f"{stale_signature}, {signature}"),
            expect="valid", requirement="sf-last-wins"),
        _vt("repeated label: the valid member, then an expired one (last wins)", flags,
            base.profile, with_field(with_field(base.request, "Signature-Input",
                                                  f"{sig_input}, {stale_input}"),
                                      "Signature", f"{signature}, {stale_signature}"),
            expect="request_expired", requirement="sf-last-wins", resign_request=False,
            why="the last member is a whole other signature, expired; the first is valid: a "
            "verifier reading the first member accepts"),
        _vt("repeated label in Signature only: the valid bytes, then another signature's "
            "(last wins)", flags, base.profile,
            with_field(base.request, "Signature",
                        f"{signature}, {_field(other, 'signature')}"),
            expect="bad_signature", requirement="sf-last-wins",
            why="the last Signature member is another signature over another base: a verifier "
            "reading the first member accepts"),
    ]


def _other_signature(base: _Signed) -> bytes:
    """A valid signature by the same key over another request (another path)."""
    other = base.sign(replace(base.unsigned, target_uri=base.unsigned.target_uri.replace(
        "/items", "/other")))
    signature = _signature_bytes(other, base.label)
    assert signature is not None
    return signature


def _check_reason_coverage(groups: Sequence[JsonObject]) -> None:
    for profile in ("draft", "legacy"):
        counts = dict.fromkeys(REASON_CODES, 0)
        for group in groups:
            if group.get("profile") != profile:
                continue
            for test in group["tests"]:
                if test["result"] == "invalid":
                    counts[test["reason"]] += 1
        short = {code: count for code, count in counts.items() if count < 3}
        if short:
            raise Erc8128Error("vector_generation", f"{profile}: fewer than 3 tests for {short}")
