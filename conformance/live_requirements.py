"""The rules the live checks test: each one's source, requirement level and verbatim sentence.

Same shape as the ``requirements`` object of the vector files (``kind`` / ``ref`` / ``level`` /
``quote``): ``kind`` is ``profile`` (a sentence of the ERC-8128 text of that profile), ``rfc``
or ``decision`` (a numbered decision of SPEC.md where the text is silent). A sentence of the
draft that says a condition "yields" a code, without an RFC 2119 keyword, is counted as MUST:
the draft's §6 makes those codes the only conforming answers.

Quotes are copied from ``vectors/third_party/erc8128-draft/erc-8128-362f1a9.md`` (draft),
``vectors/third_party/erc8128-published/erc-8128-9f6cf39.md`` (legacy) and SPEC.md;
``tests/conformance/test_live.py`` checks that every profile quote occurs in its text.
"""

from dataclasses import dataclass
from typing import Final, Literal

__all__ = ["DECISION", "DRAFT", "LEGACY", "RFC", "Requirement"]

Kind = Literal["profile", "rfc", "decision"]
Level = Literal["MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY", "DECISION"]


@dataclass(frozen=True)
class Requirement:
    id: str
    kind: Kind
    ref: str
    level: Level
    quote: str

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "kind": self.kind, "ref": self.ref, "level": self.level,
                "quote": self.quote}


def _draft(rid: str, section: str, level: Level, quote: str) -> Requirement:
    return Requirement(rid, "profile", f"ERC-8128 draft §{section}", level, quote)


def _legacy(rid: str, section: str, level: Level, quote: str) -> Requirement:
    # Its own id (``legacy-...``): a legacy check is graded by the February text's entry, never
    # by the draft entry of the same name (requirements are keyed by profile and id).
    return Requirement(f"legacy-{rid}", "profile", f"ERC-8128 legacy §{section}", level, quote)


def _rfc(rid: str, ref: str, level: Level, quote: str) -> Requirement:
    return Requirement(rid, "rfc", ref, level, quote)


def _decision(rid: str, number: int, quote: str) -> Requirement:
    return Requirement(rid, "decision", f"SPEC.md D{number}", "DECISION", quote)


# deliberate: data table (duplicate scan): DRAFT, LEGACY, DECISION and RFC below hold one row
# per requirement with its verbatim quote, so their rows look alike by design.
DRAFT: Final[dict[str, Requirement]] = {r.id: r for r in (
    _draft("replay-race", "3.1.2", "MUST",
           "A separate check followed by insertion is non-conforming."),
    _draft("early-invalidation", "5.2", "MUST",
           "Because they do not provide cryptographic replay protection, verifiers that accept "
           "Replayable signatures MUST implement one or more early invalidation mechanisms that "
           "can be triggered by the signer."),
    _draft("request-bound-accepted", "3.1.1", "MUST",
           "Verifiers MUST be capable of accepting signatures that satisfy the Request-Bound "
           "requirements in this section, subject to application authorization policy."),
    _draft("signature-missing", "3.5", "MUST", "A missing field yields `signature_missing`."),
    _draft("sf-syntax-error", "3.5", "MUST",
           "A Structured Field syntax error in either field yields the whole-message failure "
           "`signature_input_invalid`; no candidate is evaluated."),
    _draft("signature-member-byte-sequence", "3.5", "MUST",
           "A well-formed tagged `Signature-Input` member without a correlated RFC 9421 Byte "
           "Sequence in `Signature` yields the candidate failure `signature_input_invalid`, and "
           "evaluation continues."),
    _draft("bad-signature", "4", "MUST",
           "An invalid cryptographic result yields `bad_signature`."),
    _draft("time-window", "3.3.2", "MUST",
           "`now < created - s` yields `request_not_yet_valid`; `now > expires + s` yields "
           "`request_expired`."),
    _draft("clock-skew", "3.3.2", "SHOULD", "Verifiers SHOULD allow 30 seconds of clock skew."),
    _draft("time-structure", "3.3.2", "MUST",
           "Verifiers MUST reject signatures whose `created` or `expires` parameter is missing "
           "or is not an Integer, or whose `expires` is not greater than `created`; these "
           "conditions yield `invalid_time`."),
    _draft("route-max-validity", "3.3.2", "MUST",
           "Verifiers bound the window by route policy: a route MAY enforce any documented "
           "maximum suited to its architecture, and a window exceeding it yields "
           "`request_validity_too_long`."),
    _draft("nonce-reused", "3.1.2", "MUST",
           "A verifier MUST atomically mark an unused replay key as used; finding it already "
           "used yields `nonce_reused`."),
    _draft("replay-retention", "3.1.2", "MUST",
           "It MUST retain the mark until the request can no longer be accepted, including "
           "allowed clock skew."),
    _draft("nonce-unique", "3.1.2", "MUST",
           "Verifiers MUST enforce uniqueness of (`keyid`, `nonce`) within the accepted "
           "validity window, including allowed clock skew."),
    _draft("failed-candidate-keeps-nonce", "3.1.2", "MUST NOT",
           "A failed candidate MUST NOT consume a nonce."),
    _draft("nonce-syntax", "3.1.2", "MUST",
           "A present nonce of another Structured Field type, containing non-ASCII data, or "
           "exceeding 128 ASCII bytes yields `invalid_nonce`."),
    _draft("nonce-required", "3.1.2", "MUST",
           "When a route requires Non-Replayable authentication, absence of `nonce` yields "
           "`nonce_required`."),
    _draft("authority-covered", "3.4.2", "MUST",
           "All Request Signatures MUST cover at least the `@authority` derived component."),
    _draft("class-bound-policy", "3.1.1", "MAY",
           "A verifier MAY accept it only under explicit route policy."),
    _draft("query-question-mark", "3.1.1", "MUST",
           "`@query` MUST be covered even when its value is `?`."),
    _draft("received-request", "4", "MUST",
           "Reconstruct the signature base `M` per RFC 9421 using the received request and "
           "received `Signature-Input` order."),
    _draft("labels-arbitrary", "2", "MUST",
           "Labels are arbitrary transport keys and carry no security semantics."),
    _draft("no-masking", "4.2", "MUST",
           "A failing candidate never masks a later successful candidate."),
    _draft("duplicate-keys-last-wins", "Duplicate Structured Field keys", "MUST",
           "Structured Fields parsing resolves a duplicated Dictionary member or parameter key "
           "by keeping the last occurrence; this profile adds no duplicate-rejection layer, so "
           "an unmodified RFC 9651 parser is sufficient."),
    _draft("candidate-budget", "3.5", "MUST",
           "Having more than the candidate budget also yields `signature_too_large`; this code "
           "therefore covers both byte-size and count limits."),
    _draft("field-size-limit", "3.5", "MUST",
           "Exceeding either field/member size or the component/parameter count yields "
           "`signature_too_large`."),
    _draft("tag-selects", "2", "MUST",
           "An absent, non-String, or different last-wins `tag` does not identify a candidate "
           "of this profile."),
    _draft("keyid-lowercase", "3.3.1", "MUST",
           "`<address>` MUST be `0x` followed by exactly 40 lowercase hexadecimal characters."),
    _draft("keyid-chain-canonical", "3.3.1", "MUST",
           "`<chain-id>` MUST be the unsigned base-10 chain ID from [EIP-155](./eip-155.md), "
           "with no leading zeroes."),
    _draft("unsupported-chain", "3.3.1", "MUST",
           "A syntactically valid `keyid` whose chain is not served by the verifier yields "
           "`unsupported_chain`."),
    _draft("keyid-address-match", "3.4.3", "MUST",
           "The recovered address MUST equal the normalized `keyid` address."),
    _draft("strict-signature-encoding", "3.4.3", "MUST",
           "Compact, DER, high-`s`, EIP-155 transaction, and 0/1-`v` encodings are invalid."),
    _draft("alg-rejected", "3.3.4", "MUST",
           "A candidate containing `alg` yields `unsupported_algorithm`; a verifier MUST NOT use "
           "`alg` to select account behavior."),
    _draft("mode-eoa", "3.3.5", "SHOULD",
           "Verifiers SHOULD honor it; a verifier that ignores it performs Universal Account "
           "verification unchanged."),
    _draft("content-digest-required", "3.1.3", "MUST",
           "Missing that required field yields `content_digest_required`."),
    _draft("content-digest-verified", "3.1.3", "MUST",
           "A syntax error, a supported member of the wrong type or length, a supported "
           "mismatch, or absence of a supported member yields `bad_content_digest`."),
    _draft("content-digest-every-member", "3.1.3", "MUST",
           "When `Content-Digest` is received, the verifier MUST parse the combined field value "
           "as an RFC 9530 and RFC 9651 Dictionary, recompute and match every supported member "
           "present, and require at least one supported member to be present and match."),
    _draft("content-digest-sha512", "3.1.3", "MAY",
           "**supported**: `sha-256` MUST be supported and `sha-512` MAY be supported;"),
    _draft("content-digest-unsupported-ignored", "3.1.3", "MUST",
           "**unsupported**: every other algorithm, which is ignored."),
    _draft("content-digest-covered", "3.1.1", "MUST",
           "Whenever a `Content-Digest` field is received, the signature MUST also cover the "
           "exact parameterless `content-digest` field component."),
    _draft("content-type-covered", "3.1.1", "MUST",
           "Whenever `Content-Type` is received, including on a request with empty content, the "
           "signature MUST cover the exact parameterless `content-type` field component."),
)}

LEGACY: Final[dict[str, Requirement]] = {r.id.removeprefix("legacy-"): r for r in (
    _legacy("early-invalidation", "5.2", "MUST",
            "Because they do not provide cryptographic replay protection, verifiers that accept "
            "Replayable signatures MUST implement one or more early invalidation mechanisms that "
            "can be triggered by the signer."),
    _legacy("request-bound-accepted", "3.1.1", "MUST",
            "Verifiers MUST accept signatures that satisfy the Request-Bound requirements in "
            "this section."),
    _legacy("time-window", "3.3.2", "MUST",
            "for which the current time is before `created` or after `expires`."),
    _legacy("time-integers", "3.3.2", "MUST",
            "whose `created` or `expires` values are not integer Unix timestamps,"),
    _legacy("expires-after-created", "3.3.2", "MUST",
            "`expires` is an integer Unix timestamp (seconds) and MUST be greater than "
            "`created`."),
    _legacy("mandatory-parameters", "3.4.1", "MUST",
            "All signatures compliant with the proposal MUST include the following parameters "
            "in `Signature-Input` and `@signature-params`:"),
    _legacy("validity-within-retention", "3.1.2", "MUST",
            "Verifiers MUST reject a Non-Replayable signature if `expires - created` exceeds the "
            "application-defined nonce retention window."),
    _legacy("nonce-once", "3.1.2", "MUST NOT",
            "Once a nonce has been accepted, it MUST NOT be accepted again within that window."),
    _legacy("nonce-unique", "3.1.2", "MUST",
            "Verifiers MUST enforce uniqueness of (`keyid`, `nonce`) within an "
            "application-defined nonce retention window."),
    _legacy("nonce-consumed-after-use", "5.1", "MUST",
            "Nonces MUST be tracked and treated as consumed after first use."),
    _legacy("replayable-policy", "3.1.2", "MAY",
            "A signature that omits `nonce` is **Replayable** and may be reused within its "
            "validity window, subject to verifier policy."),
    _legacy("authority-covered", "3.4.2", "MUST",
            "All compliant signatures MUST cover at least the `@authority` derived component."),
    _legacy("class-bound-policy", "3.2.2", "MAY",
            "Except for signatures that satisfy the baseline requirement in Section 3.2.1, a "
            "verifier MAY reject any signature that does not satisfy its acceptance policy, even "
            "if the signature is otherwise valid under the specification."),
    _legacy("received-request", "4", "MUST",
            "Reconstruct the signature base `M` per RFC 9421 using the received request."),
    _legacy("keyid-hex-case", "3.3.1", "MUST",
            "Verifiers MUST treat address hex as case-insensitive."),
    _legacy("eoa-erc191", "4.1", "MUST",
            "For EOAs, verifiers MUST use the method specified in [ERC-191](./eip-191)."),
    _legacy("content-digest-covered", "3.1.1", "MUST",
            "If the request contains an HTTP message body, the signature MUST also cover:"),
)}

DECISION: Final[dict[str, Requirement]] = {r.id: r for r in (
    _decision("d1-reason-codes", 1,
              "Legacy uses the draft's 21 reason codes and statuses (the February text defines "
              "none)."),
    _decision("d2-legacy-candidates", 2,
              "Legacy candidates are recognised by a String `keyid` in the `erc8128:` namespace; "
              "the February text selects \"a label L\" without saying how."),
    _decision("d3-chain-ids", 3,
              "Chain ids: 1 to 32 ASCII digits (CAIP-2's reference limit), no leading zero, in "
              "both profiles; `0` is syntactically valid and therefore `unsupported_chain` "
              "unless served."),
    _decision("d4-canonical-replay-key", 4,
              "The replay key uses the canonical CAIP-10 signer id in both profiles, so one "
              "nonce cannot be spent once per profile."),
    _decision("d28-at-most-once", 28,
              "A request is accepted at most once, whatever the number of its signatures."),
    _decision("d5-legacy-skew", 5,
              "Legacy takes the draft's symmetric skew window and retention until "
              "`expires + skew`"),
    _decision("d7-legacy-query", 7,
              "Legacy: \"the request contains a query component\" means the target has a `?` "
              "(even an empty query); \"contains an HTTP message body\" means non-empty "
              "content."),
    _decision("d13-legacy-alg", 13,
              "Legacy rejects `alg` with `unsupported_algorithm`"),
    _decision("d14-legacy-strict-signature", 14,
              "Legacy requires the draft's strict 65-byte low-s signature encoding."),
    _decision("d15-digest-before-coverage", 15,
              "Step 10 (content present) precedes coverage, so a request whose `Content-Digest` "
              "was stripped gets the more useful `content_digest_required` in both profiles."),
    _decision("d16-empty-nonce", 16,
              "An empty nonce `\"\"` is a present nonce (it is ASCII and at most 128 bytes): the "
              "signature is Non-Replayable and single-use."),
    _decision("d20-unknown-parameters", 20,
              "Unknown signature parameters are accepted and ignored"),
)}

# RFC 9421 rules the profiles take over unchanged (ERC-8128 §3.4.3: "The signature base `M` and
# component canonicalization MUST be constructed according to RFC 9421").
RFC: Final[dict[str, Requirement]] = {r.id: r for r in (
    _rfc("duplicate-components", "RFC 9421 §2.5", "MUST",
         "If the component identifier (including its parameters) has already been added to the "
         "signature base, produce an error."),
    _rfc("field-value-trimmed", "RFC 9421 §2.1", "MUST",
         "Strip leading and trailing whitespace from each item in the list."),
)}
