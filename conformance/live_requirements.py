"""The rules the live checks test: each one's source, requirement level and verbatim sentence.

Same shape as the ``requirements`` object of the vector files (``kind`` / ``ref`` / ``level`` /
``quote``): ``kind`` is ``profile`` (a sentence of the ERC-8128 text of that profile), ``rfc``
or ``decision`` (a numbered decision of SPEC.md where the text is silent). A sentence of the
draft that says a condition "yields" a code, without an RFC 2119 keyword, is counted as MUST:
the draft's §6 makes those codes the only conforming answers.

A rule the vectors test too is the vectors' entry (:data:`erc8128_vectors.requirements.
REQUIREMENTS`) under the live check's own id (``_same``): one quote per rule in the project, so
the two cannot drift apart. The live checks' other quotes are copied from
``vectors/third_party/erc8128-draft/erc-8128-362f1a9.md`` (draft),
``vectors/third_party/erc8128-published/erc-8128-9f6cf39.md`` (legacy) and SPEC.md;
``tests/conformance/test_live.py`` checks that every profile quote occurs in its text.
"""

from dataclasses import dataclass
from typing import Final, Literal

from erc8128_vectors.requirements import REQUIREMENTS

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


def _same(rid: str, vector_rid: str) -> Requirement:
    """The vectors' requirement ``vector_rid`` (source, level, quote), under the id ``rid``."""
    rule = REQUIREMENTS[vector_rid]
    return Requirement(rid, rule.kind, rule.ref, rule.level, rule.quote)


# deliberate: data table (duplicate scan): DRAFT, LEGACY, DECISION and RFC below hold one row
# per requirement with its verbatim quote, so their rows look alike by design.
DRAFT: Final[dict[str, Requirement]] = {r.id: r for r in (
    _draft("replay-race", "3.1.2", "MUST",
           "A separate check followed by insertion is non-conforming."),
    _draft("early-invalidation", "5.2", "MUST",
           "Because they do not provide cryptographic replay protection, verifiers that accept "
           "Replayable signatures MUST implement one or more early invalidation mechanisms that "
           "can be triggered by the signer."),
    _same("request-bound-accepted", "request-bound-accepted"),
    _draft("signature-missing", "3.5", "MUST", "A missing field yields `signature_missing`."),
    _same("sf-syntax-error", "sf-syntax"),
    _same("signature-member-byte-sequence", "signature-correlation"),
    _draft("bad-signature", "4", "MUST",
           "An invalid cryptographic result yields `bad_signature`."),
    _same("time-window", "not-yet-valid"),
    _same("clock-skew", "clock-skew"),
    _same("time-structure", "time-integers"),
    _draft("route-max-validity", "3.3.2", "MUST",
           "Verifiers bound the window by route policy: a route MAY enforce any documented "
           "maximum suited to its architecture, and a window exceeding it yields "
           "`request_validity_too_long`."),
    _same("nonce-reused", "nonce-unused"),
    _same("replay-retention", "nonce-retention"),
    _draft("nonce-unique", "3.1.2", "MUST",
           "Verifiers MUST enforce uniqueness of (`keyid`, `nonce`) within the accepted "
           "validity window, including allowed clock skew."),
    _same("failed-candidate-keeps-nonce", "failed-candidate-no-consume"),
    _draft("nonce-syntax", "3.1.2", "MUST",
           "A present nonce of another Structured Field type, containing non-ASCII data, or "
           "exceeding 128 ASCII bytes yields `invalid_nonce`."),
    _same("nonce-required", "nonce-required"),
    _same("authority-covered", "authority-covered"),
    _same("class-bound-policy", "class-bound-policy"),
    _same("query-question-mark", "query-covered"),
    _draft("received-request", "4", "MUST",
           "Reconstruct the signature base `M` per RFC 9421 using the received request and "
           "received `Signature-Input` order."),
    _draft("labels-arbitrary", "2", "MUST",
           "Labels are arbitrary transport keys and carry no security semantics."),
    _same("no-masking", "no-masking"),
    # Its own entry: the vectors' names the section without "§", as live refs never do.
    _draft("duplicate-keys-last-wins", "Duplicate Structured Field keys", "MUST",
           "Structured Fields parsing resolves a duplicated Dictionary member or parameter key "
           "by keeping the last occurrence; this profile adds no duplicate-rejection layer, so "
           "an unmodified RFC 9651 parser is sufficient."),
    _same("candidate-budget", "candidate-limit"),
    _same("field-size-limit", "field-size-limit"),
    _draft("tag-selects", "2", "MUST",
           "An absent, non-String, or different last-wins `tag` does not identify a candidate "
           "of this profile."),
    _draft("keyid-lowercase", "3.3.1", "MUST",
           "`<address>` MUST be `0x` followed by exactly 40 lowercase hexadecimal characters."),
    _draft("keyid-chain-canonical", "3.3.1", "MUST",
           "`<chain-id>` MUST be the unsigned base-10 chain ID from [EIP-155](./eip-155.md), "
           "with no leading zeroes."),
    _same("unsupported-chain", "served-chain"),
    _same("keyid-address-match", "signature-valid"),
    _same("strict-signature-encoding", "signature-v"),
    _draft("alg-rejected", "3.3.4", "MUST",
           "A candidate containing `alg` yields `unsupported_algorithm`; a verifier MUST NOT use "
           "`alg` to select account behavior."),
    _same("mode-eoa", "mode-eoa"),
    _draft("content-digest-required", "3.1.3", "MUST",
           "Missing that required field yields `content_digest_required`."),
    _draft("content-digest-verified", "3.1.3", "MUST",
           "A syntax error, a supported member of the wrong type or length, a supported "
           "mismatch, or absence of a supported member yields `bad_content_digest`."),
    _same("content-digest-every-member", "content-digest-match"),
    _draft("content-digest-sha512", "3.1.3", "MAY",
           "**supported**: `sha-256` MUST be supported and `sha-512` MAY be supported;"),
    _same("content-digest-unsupported-ignored", "content-digest-unsupported"),
    _same("content-digest-covered", "content-digest-covered"),
    _same("content-type-covered", "content-type-covered"),
)}

LEGACY: Final[dict[str, Requirement]] = {r.id.removeprefix("legacy-"): r for r in (
    _legacy("early-invalidation", "5.2", "MUST",
            "Because they do not provide cryptographic replay protection, verifiers that accept "
            "Replayable signatures MUST implement one or more early invalidation mechanisms that "
            "can be triggered by the signer."),
    _same("legacy-request-bound-accepted", "legacy-request-bound-accepted"),
    _same("legacy-time-window", "legacy-time-window"),
    _same("legacy-time-integers", "legacy-time-integers"),
    _same("legacy-expires-after-created", "legacy-expires-after-created"),
    _same("legacy-mandatory-parameters", "legacy-signer-parameters"),
    _same("legacy-validity-within-retention", "legacy-validity-max"),
    _same("legacy-nonce-once", "legacy-nonce-unused"),
    _legacy("nonce-unique", "3.1.2", "MUST",
            "Verifiers MUST enforce uniqueness of (`keyid`, `nonce`) within an "
            "application-defined nonce retention window."),
    _legacy("nonce-consumed-after-use", "5.1", "MUST",
            "Nonces MUST be tracked and treated as consumed after first use."),
    _legacy("replayable-policy", "3.1.2", "MAY",
            "A signature that omits `nonce` is **Replayable** and may be reused within its "
            "validity window, subject to verifier policy."),
    _same("legacy-authority-covered", "legacy-authority-covered"),
    _legacy("class-bound-policy", "3.2.2", "MAY",
            "Except for signatures that satisfy the baseline requirement in Section 3.2.1, a "
            "verifier MAY reject any signature that does not satisfy its acceptance policy, even "
            "if the signature is otherwise valid under the specification."),
    _legacy("received-request", "4", "MUST",
            "Reconstruct the signature base `M` per RFC 9421 using the received request."),
    _same("legacy-keyid-hex-case", "legacy-address-case"),
    _same("legacy-eoa-erc191", "legacy-erc191"),
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
    _same("d28-at-most-once", "d28-one-acceptance"),
    _same("d5-legacy-skew", "d5-skew-window"),
    _decision("d7-legacy-query", 7,
              "Legacy: \"the request contains a query component\" means the target has a `?` "
              "(even an empty query); \"contains an HTTP message body\" means non-empty "
              "content."),
    _same("d13-legacy-alg", "d13-legacy-alg"),
    _same("d14-legacy-strict-signature", "d14-legacy-strict-signature"),
    _decision("d15-digest-before-coverage", 15,
              "Step 10 (content present) precedes coverage, so a request whose `Content-Digest` "
              "was stripped gets the more useful `content_digest_required` in both profiles."),
    _decision("d16-empty-nonce", 16,
              "An empty nonce `\"\"` is a present nonce (it is ASCII and at most 128 bytes): the "
              "signature is Non-Replayable and single-use."),
    _same("d20-unknown-parameters", "d20-unknown-parameters"),
)}

# RFC 9421 rules the profiles take over unchanged (ERC-8128 §3.4.3: "The signature base `M` and
# component canonicalization MUST be constructed according to RFC 9421").
RFC: Final[dict[str, Requirement]] = {r.id: r for r in (
    _same("duplicate-components", "duplicate-components"),
    _rfc("field-value-trimmed", "RFC 9421 §2.1", "MUST",
         "Strip leading and trailing whitespace from each item in the list."),
)}
