"""The requirements the vectors test: one entry per rule, quoted verbatim from its source.

Every vectors file carries the entries its tests name in a top-level ``requirements`` object, and
every test names one of them in ``requirement`` (vectors/README.md, "Requirements"). ``kind``
says whose rule it is: ``profile`` (the ERC-8128 draft or the February text, quoted from the
vendored copies in ``vectors/third_party/``), ``rfc`` (an RFC sentence as the reference
implementation quotes it beside the code that enforces it) or ``decision`` (a numbered decision of
``SPEC.md``, quoted from it). ``tests/vectors/test_requirements.py`` checks that every
``profile`` and ``decision`` quote is a verbatim substring of its source.

``ablates`` names the rules of the reference verifier (``vectors/ablation.RULES``, rows of
``erc8128.protocol.verify.VERIFICATION_STEPS``) that implement the requirement: an invalid
``verify_request`` vector naming it must verify once they are skipped (the single-defect
property). An empty ``ablates`` means the rule cannot be switched off alone (the verifier cannot
go on without it); such vectors carry the flag ``NotSingleDefect`` and an ``explanation``.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

__all__ = ["LEGACY_VARIANTS", "REQUIREMENTS", "Requirement"]

Kind = Literal["profile", "rfc", "decision"]
Level = Literal["MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY", "DECISION"]

DRAFT: Final = "ERC-8128 draft"
LEGACY: Final = "ERC-8128 legacy"


@dataclass(frozen=True)
class Requirement:
    """One rule, where it is written, how strongly, and the sentence itself."""

    kind: Kind
    ref: str
    level: Level
    quote: str
    ablates: frozenset[str] = frozenset()

    def as_json(self) -> dict[str, str]:
        return {"kind": self.kind, "ref": self.ref, "level": self.level, "quote": self.quote}


def _p(section: str, level: Level, quote: str, *ablates: str, legacy: bool = False
       ) -> Requirement:
    source = LEGACY if legacy else DRAFT
    return Requirement("profile", f"{source} {section}", level, quote, frozenset(ablates))


def _d(number: int, quote: str, *ablates: str) -> Requirement:
    return Requirement("decision", f"SPEC.md D{number}", "DECISION", quote, frozenset(ablates))


def _rfc(ref: str, level: Level, quote: str, *ablates: str) -> Requirement:
    return Requirement("rfc", ref, level, quote, frozenset(ablates))


_SIGNATURE_ENCODING: Final = (
    "An EOA signature MUST be exactly 65 bytes `r || s || v`, with `1 <= r < secp256k1n`, "
    "`1 <= s <= secp256k1n / 2`, and `v` exactly 27 or 28."
)
_TIME_STRUCTURE: Final = (
    "Verifiers MUST reject signatures whose `created` or `expires` parameter is missing or is "
    "not an Integer, or whose `expires` is not greater than `created`; these conditions yield "
    "`invalid_time`."
)
_TIME_WINDOW: Final = (
    "`now < created - s` yields `request_not_yet_valid`; `now > expires + s` yields "
    "`request_expired`."
)
_LIMITS: Final = (
    "Exceeding either field/member size or the component/parameter count yields "
    "`signature_too_large`."
)
_EARLY_INVALIDATION: Final = (
    "A verifier accepting Replayable signatures MUST implement a signer-triggerable "
    "early-invalidation mechanism, such as a per-Signer not-before time or per-signature denial "
    "entry."
)
_KEYID_CANONICAL: Final = (
    "`<chain-id>` MUST be the unsigned base-10 chain ID from [EIP-155](./eip-155.md), with no "
    "leading zeroes. `<address>` MUST be `0x` followed by exactly 40 lowercase hexadecimal "
    "characters."
)
_DIGEST_MATCH: Final = (
    "When `Content-Digest` is received, the verifier MUST parse the combined field value as an "
    "RFC 9530 and RFC 9651 Dictionary, recompute and match every supported member present, and "
    "require at least one supported member to be present and match."
)
_ERC191: Final = (
    'H = keccak256("\\x19Ethereum Signed Message:\\n" || decimal(byteLength(M)) || M)'
)

# Data, not code: one entry per normative sentence; entries look alike by design (deliberate;
# duplicate scan).
REQUIREMENTS: Final[Mapping[str, Requirement]] = {
    # -- whole message (draft §3.5) --
    "signature-fields-present": _p(
        "§3.5", "MUST",
        "Before candidate evaluation, the verifier MUST combine and parse each `Signature-Input` "
        "and `Signature` field according to RFC 9421 and RFC 9651. A missing field yields "
        "`signature_missing`."),
    "sf-syntax": _p(
        "§3.5", "MUST",
        "A Structured Field syntax error in either field yields the whole-message failure "
        "`signature_input_invalid`; no candidate is evaluated."),
    "signature-correlation": _p(
        "§3.5", "MUST",
        "A well-formed tagged `Signature-Input` member without a correlated RFC 9421 Byte "
        "Sequence in `Signature` yields the candidate failure `signature_input_invalid`, and "
        "evaluation continues."),
    "candidate-selection": _p(
        "§3.5", "MUST",
        'Candidates are selected only by the exact last-wins String `tag="erc8128"` in '
        "`Signature-Input`.", "candidate-selection"),
    "candidate-order": _p(
        "§3.5", "MUST", "They MUST be evaluated in Dictionary wire order."),
    "no-reinterpretation": _p(
        "§2", "MUST NOT",
        "A verifier MUST NOT reinterpret a differently tagged signature as this profile's "
        "authentication after that other class fails."),
    "field-size-limit": _p("§3.5", "MUST", _LIMITS, "field-size-limit"),
    "decoded-signature-limit": _p("§3.5", "MUST", _LIMITS, "decoded-signature-limit"),
    "component-limit": _p("§3.5", "MUST", _LIMITS, "component-limit"),
    "parameter-limit": _p("§3.5", "MUST", _LIMITS, "parameter-limit"),
    "candidate-limit": _p(
        "§3.5", "MUST",
        "Having more than the candidate budget also yields `signature_too_large`; this code "
        "therefore covers both byte-size and count limits.", "candidate-limit"),
    "first-candidate-wins": _p(
        "§3.5", "MUST",
        "The first candidate passing all checks and atomically consuming its nonce, when "
        "present, wins."),
    "failure-selection": _p(
        "§4.2", "SHOULD",
        "If no candidate wins and at least one otherwise policy-compatible candidate reaches an "
        "unavailable result, the verifier SHOULD return the first such result in wire order."),
    "no-masking": _p(
        "§4.2", "MUST NOT", "A failing candidate never masks a later successful candidate."),
    "status-codes": _p(
        "§6", "MUST",
        "`signature_input_invalid` and `signature_too_large` use HTTP 400. "
        "`signature_verification_unavailable` uses HTTP 503 and MAY include `Retry-After`."),
    # -- components --
    "duplicate-components": _rfc(
        "RFC 9421 §2.5", "MUST",
        "If the component identifier (including its parameters) has already been added to the "
        "signature base, produce an error.", "duplicate-components"),
    "signature-base": _p(
        "§3.4.3", "MUST",
        "The signature base `M` and component canonicalization MUST be constructed according to "
        "[RFC 9421](https://www.rfc-editor.org/rfc/rfc9421#name-creating-the-signature-base)."),
    "received-order": _p(
        "§3.4.3", "MUST",
        "the component and parameter order received in `Signature-Input` governs "
        "signature-base reconstruction and MUST remain unchanged for the life of the "
        "signature."),
    # -- parameters --
    "no-alg": _p(
        "§3.3.4", "MUST",
        "every Request Signature MUST omit RFC 9421's `alg`. A candidate containing `alg` "
        "yields `unsupported_algorithm`; a verifier MUST NOT use `alg` to select account "
        "behavior.", "no-alg"),
    "keyid-required": _p(
        "§3.3.1", "MUST",
        "A missing, non-String, or syntactically invalid `keyid` on a candidate yields "
        "`invalid_keyid`."),
    "keyid-syntax": _p("§3.3.1", "MUST", _KEYID_CANONICAL, "keyid-syntax"),
    "served-chain": _p(
        "§3.3.1", "MUST",
        "A syntactically valid `keyid` whose chain is not served by the verifier yields "
        "`unsupported_chain`.", "served-chain"),
    "time-integers": _p("§3.3.2", "MUST", _TIME_STRUCTURE, "time-integers"),
    "expires-after-created": _p("§3.3.2", "MUST", _TIME_STRUCTURE, "expires-after-created"),
    "validity-max": _p(
        "§3.1.2", "MUST",
        "Verifiers MUST reject a Non-Replayable signature if its validity window exceeds the "
        "period for which replay state can be retained; this yields "
        "`request_validity_too_long`.", "validity-max"),
    "validity-floor": _p(
        "§3.3.2", "MUST",
        "As the interoperability floor, a baseline route MUST accept validity windows up to 60 "
        "seconds"),
    "not-yet-valid": _p("§3.3.2", "MUST", _TIME_WINDOW, "not-yet-valid"),
    "not-expired": _p("§3.3.2", "MUST", _TIME_WINDOW, "not-expired"),
    "clock-skew": _p("§3.3.2", "SHOULD", "Verifiers SHOULD allow 30 seconds of clock skew."),
    "nonce-syntax": _p(
        "§3.1.2", "MUST",
        "The nonce MUST be ASCII and no more than 128 bytes. A present nonce of another "
        "Structured Field type, containing non-ASCII data, or exceeding 128 ASCII bytes yields "
        "`invalid_nonce`.", "nonce-syntax"),
    "mode-eoa": _p(
        "§3.3.5", "SHOULD",
        "Verifiers SHOULD honor it; a verifier that ignores it performs Universal Account "
        "verification unchanged."),
    "mode-other-ignored": _p(
        "§3.3.5", "MUST", "A `mode` parameter with any other value or type is ignored."),
    # -- content --
    "content-digest-present": _p(
        "§3.1.3", "MUST",
        "A signer sending non-empty content MUST generate `Content-Digest` over the exact "
        "content bytes according to [RFC 9530](https://www.rfc-editor.org/rfc/rfc9530). Missing "
        "that required field yields `content_digest_required`.", "content-digest-present"),
    "content-digest-match": _p("§3.1.3", "MUST", _DIGEST_MATCH, "content-digest-match"),
    "digest-algorithms": _p(
        "§3.1.3", "MUST", "**supported**: `sha-256` MUST be supported and `sha-512` MAY be "
        "supported;"),
    "sf-last-wins": _p(
        "Security Considerations (Duplicate Structured Field keys)", "MUST",
        "Structured Fields parsing resolves a duplicated Dictionary member or parameter key by "
        "keeping the last occurrence; this profile adds no duplicate-rejection layer, so an "
        "unmodified RFC 9651 parser is sufficient."),
    "sf-unpadded-base64": _rfc(
        "RFC 9651 §4.2.7", "SHOULD NOT",
        "parsers SHOULD NOT fail when \"=\" padding is not present"),
    "content-digest-unsupported": _p(
        "§3.1.3", "MUST", "**unsupported**: every other algorithm, which is ignored."),
    # -- coverage --
    "coverage-request-bound": _p(
        "§3.1.1", "MUST",
        "A Request-Bound signature MUST cover at minimum these exact, parameterless component "
        "identifiers:", "coverage-request-bound"),
    "query-covered": _p(
        "§3.1.1", "MUST", "`@query` MUST be covered even when its value is `?`.",
        "coverage-request-bound"),
    "class-bound-policy": _p(
        "§3.1.1", "MAY", "A verifier MAY accept it only under explicit route policy.",
        "coverage-request-bound"),
    "authority-covered": _p(
        "§3.4.2", "MUST",
        "All Request Signatures MUST cover at least the `@authority` derived component.",
        "coverage-always"),
    "content-digest-covered": _p(
        "§3.1.1", "MUST",
        "Whenever a `Content-Digest` field is received, the signature MUST also cover the exact "
        "parameterless `content-digest` field component.", "coverage-always"),
    "content-type-covered": _p(
        "§3.1.1", "MUST",
        "Whenever `Content-Type` is received, including on a request with empty content, the "
        "signature MUST cover the exact parameterless `content-type` field component.",
        "coverage-always"),
    "coverage-route": _p(
        "§3.4.2", "MAY",
        "Verifiers MAY require additional covered components as a condition for accepting a "
        "signature.", "coverage-route"),
    "request-bound-accepted": _p(
        "§3.1.1", "MUST",
        "Verifiers MUST be capable of accepting signatures that satisfy the Request-Bound "
        "requirements in this section, subject to application authorization policy."),
    # -- policy and replay --
    "principal-policy": _p(
        "§3.2.2", "MAY",
        "Principal policy is application-level authorization outside profile conformance; its "
        "rejection yields `principal_not_allowed`.", "principal-policy"),
    "nonce-required": _p(
        "§3.1.2", "MUST",
        "When a route requires Non-Replayable authentication, absence of `nonce` yields "
        "`nonce_required`.", "nonce-required"),
    "invalidation-request-bound": _p(
        "§5.2", "MUST",
        "Any client-callable request that triggers early invalidation MUST be authenticated "
        "with a Request-Bound, Non-Replayable signature.", "nonce-required"),
    "replayable-policy": _p(
        "§3.1.2", "MAY",
        "When a verifier supports Replayable signatures but the route or Principal policy "
        "rejects one, it yields `replayable_not_allowed`.", "replayable-policy"),
    "not-before": _p("§3.1.2", "MUST", _EARLY_INVALIDATION, "not-before"),
    "replayable-invalidated": _p("§3.1.2", "MUST", _EARLY_INVALIDATION,
                                 "replayable-invalidated"),
    "nonce-unused": _p(
        "§3.1.2", "MUST",
        "A verifier MUST atomically mark an unused replay key as used; finding it already used "
        "yields `nonce_reused`.", "nonce-unused"),
    "nonce-retention": _p(
        "§3.1.2", "MUST",
        "It MUST retain the mark until the request can no longer be accepted, including "
        "allowed clock skew."),
    "failed-candidate-no-consume": _p(
        "§3.1.2", "MUST NOT", "A failed candidate MUST NOT consume a nonce."),
    "replay-key": _p(
        "§3.1.2", "MUST",
        "The replay key is the collision-free tuple of the canonical CAIP-10 Signer ID and "
        "nonce."),
    # -- cryptography --
    "erc191-hash": _p("§3.4.3", "MUST", _ERC191),
    "erc191-length": _p(
        "§3.4.3", "MUST",
        "`byteLength(M)` is the length of the serialized signature base in bytes. The decimal "
        "length has no leading zeroes."),
    "signature-encoding": _p("§3.4.3", "MUST", _SIGNATURE_ENCODING),
    "signature-length": _p("§3.4.3", "MUST", _SIGNATURE_ENCODING),
    "signature-r-range": _p("§3.4.3", "MUST", _SIGNATURE_ENCODING),
    "signature-s-range": _p("§3.4.3", "MUST", _SIGNATURE_ENCODING),
    "signature-v": _p(
        "§3.4.3", "MUST",
        "Compact, DER, high-`s`, EIP-155 transaction, and 0/1-`v` encodings are invalid.",
        "signature-v"),
    "low-s": _p(
        "§3.4.3", "MUST",
        "Compact, DER, high-`s`, EIP-155 transaction, and 0/1-`v` encodings are invalid.",
        "low-s"),
    "signature-valid": _p(
        "§3.4.3", "MUST",
        "The recovered address MUST equal the normalized `keyid` address.", "signature-valid"),
    "universal-verification": _p(
        "§4.1", "MUST", "Universal Account verification MUST proceed in this order:"),
    "verification-available": _p(
        "§4", "MUST",
        "A state-provider or RPC failure preventing classification or verification yields "
        "`signature_verification_unavailable`, not `bad_signature`.", "verification-available"),
    # -- signing --
    "signer-parameters": _p(
        "§3.4.1", "MUST",
        "All Request Signatures MUST include the following parameters in `Signature-Input` and "
        "`@signature-params`:"),
    "signer-request-bound": _p(
        "§3.4.2", "MUST",
        "Signatures that are intended to be Request-Bound MUST satisfy the component "
        "requirements in Section 3.1.1."),
    "signer-keyid": _p(
        "§3.3.1", "MUST",
        "`keyid` MUST be an RFC 9421 String identifying an Account using canonical"),
    # -- standards the profiles build on --
    "caip2-reference": _rfc(
        "CAIP-2 (the chain id inside CAIP-10)", "MUST", "reference:   [-_a-zA-Z0-9]{1,32}"),
    "sf-key-syntax": _rfc(
        "RFC 9651 §4.1.1.3", "MUST",
        'If input_key contains characters not in lcalpha, DIGIT, "_", "-", ".", or "*", fail '
        "serialization."),
    "sf-empty-dictionary": _rfc(
        "RFC 9651 §3.2", "MUST",
        "an empty Dictionary is represented by omitting the entire field"),
    "sf-dictionary-keys": _rfc(
        "RFC 9651 §3.2", "MUST",
        "Dictionaries are ordered maps of key-value pairs, where the keys are short textual "
        "strings"),
    "target-uri-as-received": _rfc(
        "RFC 9421 §2.2.2", "MUST",
        "The component value is the target URI of the request ([HTTP], Section 7.1)"),
    # -- the February text (legacy) --
    "legacy-keyid-syntax": _p(
        "§3.3.1", "MUST",
        "`keyid` MUST identify an Ethereum account with explicit chain context:",
        "keyid-syntax", legacy=True),
    "legacy-address-case": _p(
        "§3.3.1", "MUST", "Verifiers MUST treat address hex as case-insensitive.", legacy=True),
    "legacy-time-integers": _p(
        "§3.3.2", "MUST",
        "whose `created` or `expires` values are not integer Unix timestamps,",
        "time-integers", legacy=True),
    "legacy-expires-after-created": _p(
        "§3.3.2", "MUST",
        "`expires` is an integer Unix timestamp (seconds) and MUST be greater than `created`.",
        "expires-after-created", legacy=True),
    "legacy-time-window": _p(
        "§3.3.2", "MUST",
        "for which the current time is before `created` or after `expires`.",
        "not-yet-valid", "not-expired", legacy=True),
    "legacy-validity-max": _p(
        "§3.1.2", "MUST",
        "Verifiers MUST reject a Non-Replayable signature if `expires - created` exceeds the "
        "application-defined nonce retention window.", "validity-max", legacy=True),
    "legacy-request-bound": _p(
        "§3.1.1", "MUST",
        "A Request-Bound signature MUST cover at minimum the following components:",
        "coverage-request-bound", legacy=True),
    "legacy-authority-covered": _p(
        "§3.4.2", "MUST",
        "All compliant signatures MUST cover at least the `@authority` derived component.",
        "coverage-always", legacy=True),
    "legacy-coverage-route": _p(
        "§3.4.2", "MUST",
        "A signature that does not include the components required by the verifier\u2019s "
        "acceptance rules MUST be rejected.", "coverage-route", legacy=True),
    "legacy-request-bound-accepted": _p(
        "§3.1.1", "MUST",
        "Verifiers MUST accept signatures that satisfy the Request-Bound requirements in this "
        "section.", legacy=True),
    "legacy-nonce-unused": _p(
        "§3.1.2", "MUST NOT",
        "Once a nonce has been accepted, it MUST NOT be accepted again within that window.",
        "nonce-unused", legacy=True),
    "legacy-nonce-required": _p(
        "§3.1.2", "MUST", "Non-Replayable signatures MUST include the `nonce` parameter.",
        "nonce-required", legacy=True),
    "legacy-replayable-invalidation": _p(
        "§5.2", "MUST NOT",
        "Verifiers that do not implement early invalidation MUST NOT accept Replayable "
        "signatures.", legacy=True),
    "legacy-signer-parameters": _p(
        "§3.4.1", "MUST",
        "All signatures compliant with the proposal MUST include the following parameters in "
        "`Signature-Input` and `@signature-params`:", legacy=True),
    "legacy-signer-request-bound": _p(
        "§3.4.2", "MUST",
        "Signatures that are intended to be Request-Bound MUST satisfy the component "
        "requirements in Section 3.1.1.", legacy=True),
    "legacy-signer-keyid": _p(
        "§3.3.1", "MUST",
        "`keyid` MUST identify an Ethereum account with explicit chain context:", legacy=True),
    "legacy-erc191": _p(
        "§4.1", "MUST",
        "For EOAs, verifiers MUST use the method specified in [ERC-191](./eip-191).",
        "signature-valid", legacy=True),
    # -- SPEC.md decisions --
    "d1-reason-codes": _d(1, "Legacy uses the draft's 21 reason codes and statuses"),
    "d2-legacy-candidates": _d(
        2, "Legacy candidates are recognised by a String `keyid` in the `erc8128:` namespace",
        "candidate-selection"),
    "d3-chain-digits": _d(
        3, "Chain ids: 1 to 32 ASCII digits (CAIP-2's reference limit), no leading zero, in "
        "both profiles;", "keyid-syntax"),
    "d3-chain-zero": _d(
        3, "`0` is syntactically valid and therefore `unsupported_chain` unless served.",
        "served-chain"),
    "d4-replay-key": _d(
        4, "The replay key uses the canonical CAIP-10 signer id in both profiles"),
    "d5-skew-window": _d(
        5, "Legacy takes the draft's symmetric skew window and retention until `expires + "
        "skew`", "not-yet-valid", "not-expired"),
    "d6-always-covered": _d(
        6, "The draft's \"whenever received\" rules for `content-digest` and `content-type` "
        "bind every candidate, Class-Bound ones included.", "coverage-always"),
    "d7-legacy-query-content": _d(
        7, "Legacy: \"the request contains a query component\" means the target has a `?` "
        "(even an empty query);", "coverage-request-bound"),
    "d8-legacy-mode": _d(8, "Legacy has no `mode`; it is ignored there."),
    "d9-fingerprint": _d(
        9, "The per-signature fingerprint is `H`", "replayable-invalidated"),
    "d10-empty-field": _d(10, "An empty signature field counts as missing (`signature_missing`)."),
    "d11-negative-created": _d(11, "A negative `created` is `invalid_time`.",
                               "created-nonnegative"),
    "d13-legacy-alg": _d(13, "Legacy rejects `alg` with `unsupported_algorithm`", "no-alg"),
    "d14-legacy-strict-signature": _d(
        14, "Legacy requires the draft's strict 65-byte low-s signature encoding.", "low-s",
        "signature-v"),
    "d15-digest-before-coverage": _d(
        15, "Step 10 (content present) precedes coverage", "content-digest-present"),
    "d16-empty-nonce": _d(16, "An empty nonce `\"\"` is a present nonce"),
    "d17-replayable-only": _d(
        17, "Not-before and fingerprint denial apply to Replayable signatures"),
    "d18-absent-component": _d(
        18, "A covered component the request lacks is `signature_input_invalid`, never an "
        "empty value."),
    "d19-no-control-characters": _d(
        19, "A component value with a control or non-ASCII character is an error, never "
        "stripped;"),
    "d20-unknown-parameters": _d(20, "Unknown signature parameters are accepted and ignored"),
    "d27-restart-guard": _d(27, "Nothing accepted before a restart is accepted after it."),
    "d28-one-acceptance": _d(
        28, "A request is accepted at most once, whatever the number of its signatures."),
    "d29-membership-privacy": _d(29, "`VerifierPolicy.principal_private=True` asks the Principal "
                                 "policy after step 17 instead of in step 13"),
    "d39-single-defect": _d(
        39, "Every invalid verify_request vector carries one defect"),
    "d41-signer-refusals": _d(
        41, "A signer refuses what would produce a signature no verifier can attribute or "
        "verify"),
    "d21-component-syntax": _d(
        21, "A component identifier is checked for its own syntax"),
    "d86-target-uri-authority": _d(
        86, "`@target-uri` is built from the normalised `@authority`"),
}

# Where the February text has its own sentence for a rule, legacy tests name it instead of the
# draft's (legacy follows the draft's codes by D1, its window by D5, its encoding by D14). Other
# legacy tests name the draft's requirement, which legacy applies by decision D42.
LEGACY_VARIANTS: Final[Mapping[str, str]] = {
    "keyid-syntax": "legacy-keyid-syntax",
    "time-integers": "legacy-time-integers",
    "expires-after-created": "legacy-expires-after-created",
    # February §3.3.2: "Verifiers MUST reject signatures: ... for which the current time is
    # before `created` or after `expires`." Within the skew, D5 (an acceptable vector) decides.
    "not-yet-valid": "legacy-time-window",
    "not-expired": "legacy-time-window",
    "signer-parameters": "legacy-signer-parameters",
    "signer-request-bound": "legacy-signer-request-bound",
    "signer-keyid": "legacy-signer-keyid",
    "clock-skew": "d5-skew-window",
    "validity-max": "legacy-validity-max",
    "coverage-request-bound": "legacy-request-bound",
    "authority-covered": "legacy-authority-covered",
    "coverage-route": "legacy-coverage-route",
    "request-bound-accepted": "legacy-request-bound-accepted",
    "nonce-unused": "legacy-nonce-unused",
    "nonce-retention": "d5-skew-window",
    "nonce-required": "legacy-nonce-required",
    "no-alg": "d13-legacy-alg",
    "low-s": "d14-legacy-strict-signature",
    "signature-v": "d14-legacy-strict-signature",
    "signature-length": "d14-legacy-strict-signature",
    "signature-valid": "legacy-erc191",
    "candidate-selection": "d2-legacy-candidates",
}
