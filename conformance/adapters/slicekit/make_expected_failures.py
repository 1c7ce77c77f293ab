"""Write ``../slicekit-expected-failures.json``: every vector the slicekit adapter fails, explained.

Runs ``erc8128 conformance`` through ``node conformance/adapters/slicekit/adapter.mjs`` (profile
legacy) with ``--report-json``, then gives each failed case the reason and spec sentence of the
first rule below that matches it (by vectors file, test comment and the answer observed), as
``../expected_failures_writer.py`` does for every adapter. A failure no rule explains stops the
script (exit 1) and is printed: a person must read it and add a rule. So the list stays exactly
the failures that are understood, and ``tests/conformance/test_suite.py`` checks that a run with the
list passes (no unexpected failure, no listed case passing).

    npm ci --prefix conformance/adapters/slicekit
    python3 conformance/adapters/slicekit/make_expected_failures.py
"""

import json
import sys
from pathlib import Path
from typing import Final

HERE: Final = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from expected_failures_writer import (  # noqa: E402
    DIGEST_EVERY_MEMBER,
    DRAFT,
    DUPLICATE_COMPONENT,
    FEB,
    METHOD_CASE,
    SIGNATURE_PARAMS_SERIALISED,
    Rule,
    sdk_reason,
    was_accepted,
    write_expected_failures,
)

__all__ = ["RULES", "main"]

OUTPUT: Final = HERE.parent / "slicekit-expected-failures.json"
ADAPTER: Final = "node conformance/adapters/slicekit/adapter.mjs"


_VIEM_THROWS: Final = (
    "viem's verifyMessage throws on a signature it cannot parse or recover (high s, v not "
    "27/28, wrong length, r not a curve x); the SDK reports the throw as bad_signature_check, "
    "which the adapter maps to 503 signature_verification_unavailable instead of a definitive "
    "401 bad_signature"
)
_HIGH_S_SENTENCE: Final = (
    f'{DRAFT} §3.4.3: "An EOA signature MUST be exactly 65 bytes `r || s || v`, with '
    '`1 <= r < secp256k1n`, `1 <= s <= secp256k1n / 2`, and `v` exactly 27 or 28." and §6: '
    '`bad_signature` "Cryptographic verification is definitive and invalid" (SPEC.md D14)'
)
_LIMITS: Final = (
    f'{DRAFT} §3.5: "A verifier MUST enforce limits before cryptography." (SPEC.md D1: the '
    "legacy profile takes the draft's limits and codes)"
)
_TIME_TYPES: Final = (
    f'{FEB} §3.3.2: "Verifiers MUST reject signatures: whose `created` or `expires` values are '
    f'not integer Unix timestamps"; {DRAFT} §3.3.2: "these conditions yield `invalid_time`" '
    "(SPEC.md D1)"
)
_NONCE_TYPES: Final = (
    f'{DRAFT} §3.1.2: "A present nonce of another Structured Field type, containing non-ASCII '
    'data, or exceeding 128 ASCII bytes yields `invalid_nonce`." (SPEC.md D1)'
)
_RETENTION: Final = (
    f'{FEB} §3.1.2: "Once a nonce has been accepted, it MUST NOT be accepted again within that '
    f'window."; {DRAFT} §3.1.2: "It MUST retain the mark until the request can no longer be '
    'accepted, including allowed clock skew." (SPEC.md D5)'
)
_KEYID_CHAIN: Final = (
    f'{FEB} §3.3.1: "`<chain-id>` is a base-10 integer as defined in (EIP-155)"; CAIP-2 '
    'reference: "[-_a-zA-Z0-9]{1,32}" (SPEC.md D3: 1 to 32 ASCII digits, no leading zero)'
)
_COMPONENT_PARAMS: Final = (
    'RFC 9421 §2.1: "sf", "key", "bs" and "req" are the component parameters an '
    'implementation must understand for HTTP fields; §2.2.8: "@query-param" with its "name" '
    "parameter"
)
_EMPTY_NONCE_ABSENT: Final = (
    'nonce="" is treated as absent (a Replayable signature), which the non-replayable policy '
    "rejects"
)
_EMPTY_NONCE_SENTENCE: Final = (
    f'{DRAFT} §3.1.2: "The nonce MUST be ASCII and no more than 128 bytes." (SPEC.md D16: "" is '
    "a present nonce)"
)

# deliberate: data table (duplicate scan): one row per known failure, so rows look alike.
RULES: Final[tuple[Rule, ...]] = (
    # -- content_digest.json -----------------------------------------------------------------
    Rule("content_digest", r"", "the SDK accepts only a Content-Digest that is exactly one "
         "sha-256 member; any other valid Dictionary (sha-512, several members, parameters, an "
         "ignored unsupported member, a repeated key) is digest_mismatch",
         f'{DIGEST_EVERY_MEMBER}; RFC 9530 §2: "Content-Digest = Dictionary"',
         "content-digest-two-members", sdk_reason("digest_mismatch")),
    Rule("content_digest", r"uppercase key", "the algorithm key is lower-cased before use, so "
         '"SHA-256=" (not an RFC 9651 key) is accepted',
         'RFC 9651 §4.2.3.3: "If the first character of input_string is not lcalpha or "*", '
         'fail parsing."; RFC 9530 §2: "Content-Digest = Dictionary"',
         "content-digest-uppercase-key", was_accepted),
    # -- erc191_recover.json -----------------------------------------------------------------
    Rule("erc191_recover", r"high-s twin", "viem recoverAddress has no strict mode: it "
         "recovers from the high-s twin (s' = n - s, v' = 55 - v) of a valid signature",
         _HIGH_S_SENTENCE, "recover-high-s-accepted", was_accepted),
    Rule("erc191_recover", r"high s", "viem recoverAddress has no strict mode: it recovers from "
         "a high-s signature", _HIGH_S_SENTENCE, "recover-high-s-accepted", was_accepted),
    Rule("erc191_recover", r"^v = [01]\b", "viem recoverAddress accepts v = 0/1 as well as "
         "27/28", _HIGH_S_SENTENCE, "recover-v-0-accepted", was_accepted),
    Rule("erc191_recover", r"-byte hash", "viem recoverAddress accepts a hash that is not 32 "
         "bytes", f'{DRAFT} §3.4.3: "H = keccak256("\\x19Ethereum Signed Message:\\n" || '
         'decimal(byteLength(M)) || M)" (a 32-byte digest)', None, was_accepted),
    # -- keyid.json ----------------------------------------------------------------------------
    Rule("keyid", r"leading zero|chain 00", "the chain id is read with \\d+ and Number(), so "
         "leading zeros are accepted", _KEYID_CHAIN, "keyid-chain-leading-zero", was_accepted),
    Rule("keyid", r"3[23]-digit chain", "the chain id goes through Number(): above 2^53 it is "
         "rounded (1e+32), and more than 32 digits are accepted", _KEYID_CHAIN,
         "keyid-chain-above-2^53", was_accepted),
    # -- replay.json / verify_request.json: replay ---------------------------------------------
    Rule("replay", r"kept until expires \+ skew|re-signed 60 s later", "the nonce store TTL is "
         "expires - now without the skew, so a replay inside the skew is accepted", _RETENTION,
         "replay-ttl-ignores-skew", was_accepted),
    Rule("verify_request", r"mark still kept", "the nonce store TTL is expires - now without "
         "the skew, so a replay inside the skew is accepted", _RETENTION,
         "replay-ttl-ignores-skew", was_accepted),
    Rule("replay", r"refused whole \(D28\)", "with two signatures on one request the SDK "
         "lets the second candidate win when the first one's nonce was already used, so a "
         "replayed request is accepted again (the draft's short-cut order read literally; this "
         "project's decision D28 accepts a request at most once)",
         'SPEC.md D28: "A request is accepted at most once, whatever the number of its '
         f'signatures."; {DRAFT} §3.5: "The first candidate passing all checks and atomically '
         'consuming its nonce, when present, wins."', None, was_accepted),
    Rule("replay", r'empty nonce ""', _EMPTY_NONCE_ABSENT, _EMPTY_NONCE_SENTENCE,
         "empty-nonce-treated-as-absent", sdk_reason("replayable_not_allowed")),
    Rule("verify_request", r'empty nonce ""', _EMPTY_NONCE_ABSENT, _EMPTY_NONCE_SENTENCE,
         "empty-nonce-treated-as-absent", sdk_reason("replayable_not_allowed")),
    # -- sign_request.json ---------------------------------------------------------------------
    Rule("sign_request", r"empty query", 'a target with an empty query ("?") is signed '
         "without @query", f'{FEB} §3.1.1: "If the request contains a query component, the '
         'signature MUST also cover: @query" (SPEC.md D7: a "?" is a query component)'),
    Rule("sign_request", r"empty content", "empty content gets a Content-Digest and a covered "
         "content-digest", f'{FEB} §3.1.1: "If the request contains an HTTP message body, the '
         'signature MUST also cover: content-digest" (SPEC.md D7: empty content is no body, so '
         "nothing is added)"),
    Rule("sign_request", r"empty nonce", 'nonce="" is dropped when signing: the request becomes '
         "Replayable", _EMPTY_NONCE_SENTENCE, "sign-empty-nonce-dropped"),
    Rule("sign_request", r"@query-param", "@query-param is looked up as a header name; fetch "
         "throws a TypeError out of signRequest", _COMPONENT_PARAMS, None,
         sdk_reason("TypeError")),
    Rule("sign_request", r"@authority left out", "the SDK inserts @authority itself instead of "
         "refusing a covered set without it",
         f'{FEB} §3.4.2: "All compliant signatures MUST cover at least the `@authority` derived '
         'component." (the suite expects the signer to refuse, not to change the caller\'s '
         "list)", None, was_accepted),
    Rule("sign_request", r"label already on the request", "a label already present is signed "
         "again, giving two members with the same key (RFC 9651 last-wins silently replaces the "
         "first)", 'RFC 9651 §3.2: "Dictionaries are ordered maps of unique keys"; RFC 9421 '
         '§4.1: labels identify one signature each', None, was_accepted),
    Rule("sign_request", r"does not match the content", "an existing Content-Digest that does "
         "not match the content is kept and signed",
         f'{FEB} §3.1.1: "If the request contains an HTTP message body, the signature MUST also '
         'cover: content-digest"; RFC 9530 §2: the digest is computed over the content', None,
         was_accepted),
    # -- signature_base.json -------------------------------------------------------------------
    Rule("signature_base", r"@query-param", "the SDK's Signature-Input parser accepts no "
         "component parameters (\"Expected sf-string\"), so @query-param cannot be covered",
         _COMPONENT_PARAMS, None, sdk_reason("bad_signature_input")),
    Rule("signature_base", r"\bsf\b|key:|bs:|as bs", "the SDK's Signature-Input parser accepts "
         "no component parameters (sf, key, bs)", _COMPONENT_PARAMS, None,
         sdk_reason("bad_signature_input")),
    Rule("signature_base", r"re-serialised canonically", "Boolean and Decimal signature "
         "parameters are not parsed (\"Expected param value\"); the received text would be "
         "copied, not re-serialised",
         'RFC 9421 §2.3: the signature parameters line is the serialisation of the inner list '
         'with its parameters; RFC 9651 §3.1.2: parameter values are bare items (Boolean, '
         'Decimal, ...)', "signature-params-raw-text", sdk_reason("bad_signature_input")),
    Rule("signature_base", r"no components", "an empty covered-component list is rejected "
         "(\"Inner list has no items\")", 'RFC 9651 §3.1.1: an Inner List is "a parenthesised '
         'list of zero or more Items"; RFC 9421 §2.5 builds a base with only '
         '"@signature-params"', None, sdk_reason("bad_signature_input")),
    # -- verify_request.json ---------------------------------------------------------------------
    # Single-defect vectors (re-signed, vectors 2): accepted where the SDK lacks the rule.
    Rule("verify_request", r"covered twice", "a component covered twice is accepted: the "
         "request signed over the base with the repeated line verifies",
         DUPLICATE_COMPONENT, "duplicate-component", was_accepted),
    Rule("verify_request", r"chain with a leading zero", "the chain id is read with \\d+ and "
         "Number(), so a re-signed keyid with chain 01 verifies", _KEYID_CHAIN,
         "keyid-chain-leading-zero", was_accepted),
    Rule("verify_request", r"negative created", "a negative created is read as a time: at "
         "now = 0, inside its window, the re-signed request verifies",
         f"{_TIME_TYPES}; SPEC.md D11: a negative created is `invalid_time`", None, was_accepted),
    Rule("verify_request", r"Content-Digest (removed|renamed)", "non-empty content without a "
         "Content-Digest field verifies when the signature does not cover content-digest (a "
         "Class-Bound route); the February text ties content-digest only to Request-Bound "
         "coverage, the draft requires the field for any non-empty content",
         f'{DRAFT} §3.1.3: "A signer sending non-empty content MUST generate `Content-Digest` '
         '[...] Missing that required field yields `content_digest_required`." (SPEC.md D1)',
         None, was_accepted),
    Rule("verify_request", r"high-s", "viem's verifyMessage accepts the high-s twin "
         "(s' = n - s, v' = 55 - v) of a valid signature", _HIGH_S_SENTENCE,
         "recover-high-s-accepted", was_accepted),
    Rule("verify_request", r"v = 0/1", "viem's verifyMessage accepts v = 0/1 as well as "
         "27/28", _HIGH_S_SENTENCE, "recover-v-0-accepted", was_accepted),
    Rule("verify_request", r"trailing junk", "trailing junk after the parameters is accepted; "
         "the mutated request then fails only its signature",
         f'{DRAFT} §3.5: "A Structured Field syntax error in either field yields the '
         'whole-message failure `signature_input_invalid`"', "trailing-junk-after-params",
         sdk_reason("bad_signature")),
    Rule("verify_request", r"covered twice|a 400 code keeps its status", "a component covered "
         "twice is accepted; the request then fails only its signature",
         'RFC 9421 §2.5: "If the component identifier [...] has already been added to the '
         'signature base, produce an error."', "duplicate-component",
         sdk_reason("bad_signature")),
    Rule("verify_request", r"over 16 KiB|candidates \(limit|covered components \(limit|"
         r"signature parameters \(limit|8193 bytes", "the SDK enforces none of the §3.5 limits: "
         "the case fails later, at another step", _LIMITS),
    Rule("verify_request", r"eip155 namespace|keyid removed|keyid is a Token|namespace in "
         r"uppercase|legacy-only verifier, draft signature", "a member whose keyid is not an "
         "erc8128: String is still evaluated (bad_keyid / bad_signature_input) instead of "
         "being no candidate at all",
         f'{FEB} "implementations recognize the profile exclusively based on `keyid`"; SPEC.md '
         'D2: such a member is no candidate, so the answer is `no_acceptable_signature`'),
    Rule("verify_request", r"chain with a leading zero|33-digit chain", "the chain id is "
         "accepted with a leading zero or more than 32 digits; the mutated request then fails "
         "only its signature", _KEYID_CHAIN, "keyid-chain-leading-zero",
         sdk_reason("bad_signature")),
    Rule("verify_request", r"not served", "the SDK has no served-chain policy: every chain id "
         "is accepted", f'{DRAFT} §3.3.1: "A syntactically valid `keyid` whose chain is not '
         'served by the verifier yields `unsupported_chain`." (SPEC.md D1)', None, was_accepted),
    Rule("verify_request", r"(created|expires) (removed|is a)", "missing or non-Integer "
         "created/expires is a Signature-Input parse error (400) in the SDK", _TIME_TYPES, None,
         sdk_reason("bad_signature_input")),
    Rule("verify_request", r"negative created", "a negative created is read as a time and "
         "answered request_expired", f"{_TIME_TYPES}; SPEC.md D11: a negative created is "
         "`invalid_time`", None, sdk_reason("expired")),
    Rule("verify_request", r"nonce is a|nonce of 129 bytes", "nonce type and size are not "
         "checked as §3.1.2 says (a Token or Byte Sequence is a parse error, an Integer is "
         "treated as no nonce, 129 bytes are accepted)", _NONCE_TYPES),
    Rule("verify_request", r"fingerprint", "the adapter matches invalidated fingerprints "
         "against the raw signature hex or keccak256(M); the vectors' fingerprint is H, the "
         "ERC-191 hash of M (SPEC.md D9), so the invalidation never matches",
         f'{DRAFT} §5.2: "per-signature invalidation (e.g., fingerprinting of the signature or '
         'signature base)"; SPEC.md D9: the fingerprint is H', None, was_accepted),
    Rule("verify_request", r"\balg\b", "alg is accepted and ignored; the mutated request then "
         "fails only its signature (or, for a Token, the parse)",
         f'{DRAFT} §3.3.4: "A candidate containing `alg` yields `unsupported_algorithm`"; {FEB}: '
         '"verifiers should reject signatures that include `alg`" (SPEC.md D13)',
         "alg-parameter-accepted"),
    Rule("verify_request", r"high-s|v = 29|64-byte signature|65 zero bytes|signature byte \d+ "
         r"\((r|v)\) low bit flipped", _VIEM_THROWS, _HIGH_S_SENTENCE, None,
         sdk_reason("bad_signature_check")),
    Rule("verify_request", r"empty query: @query covered|empty query, @query not covered",
         'an empty query ("?") is not a query for the SDK: @query is neither required nor '
         "signed over the same value", f'{FEB} §3.1.1: "If the request contains a query '
         'component, the signature MUST also cover: @query" (SPEC.md D7)', "query-absent-verify"),
    Rule("verify_request", r"empty content needs no content-digest", "empty content is treated "
         "as a body that needs content-digest coverage",
         f'{FEB} §3.1.1: "If the request contains an HTTP message body, the signature MUST also '
         'cover: content-digest" (SPEC.md D7: empty content is no body)', None,
         sdk_reason("not_request_bound")),
    Rule("verify_request", r"lowercase post", "@method is upper-cased, so a lower-case method "
         "verifies against a signature over POST",
         METHOD_CASE, "method-uppercased-verify", was_accepted),
    Rule("verify_request", r"sha-512 member added", "a Content-Digest with a second valid "
         "member is rejected as digest_mismatch before the signature is checked",
         DIGEST_EVERY_MEMBER, "content-digest-two-members", sdk_reason("digest_mismatch")),
    Rule("verify_request", r"whitespace around Signature-Input parameters|extra spaces between",
         "@signature-params "
         "is copied from the received text instead of re-serialised, so the base differs",
         SIGNATURE_PARAMS_SERIALISED, "signature-params-raw-text", sdk_reason("bad_signature")),
)


def _check_deviation_ids() -> None:
    """Every ``deviation`` names an entry of the adapter's own deviations.json."""
    known = {entry["id"] for entry in json.loads(
        (HERE / "deviations.json").read_text(encoding="utf-8")
    )}
    for rule in RULES:
        if rule.deviation is not None and rule.deviation not in known:
            raise SystemExit(f"rule for {rule.comment!r}: unknown deviation {rule.deviation!r}")


def main() -> int:
    _check_deviation_ids()
    return write_expected_failures(ADAPTER, RULES, OUTPUT)


if __name__ == "__main__":
    sys.exit(main())
