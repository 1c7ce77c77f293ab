"""Write ``../uvd_x402-expected-failures.json``: every vector ``uvd-x402-sdk`` fails, explained.

Runs ``erc8128 conformance`` through ``adapter.py`` (profile legacy) with ``--report-json`` and
gives each failed case the reason and spec sentence of the first rule below that matches it
(vectors file, test comment, the SDK's own code), as ``../expected_failures_writer.py`` does
for every adapter. A failure no rule explains stops the script
(exit 1) and is printed, so the list holds only understood failures; the reasons were written
after reading the SDK's source (``uvd_x402_sdk/erc8128/core.py``, ``verifier.py``,
``signer.py`` of 0.101.0).

    .venv/bin/python -m pip install -r conformance/adapters/uvd_x402/requirements.txt
    .venv/bin/python conformance/adapters/uvd_x402/make_expected_failures.py
"""

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

OUTPUT: Final = HERE.parent / "uvd_x402-expected-failures.json"

_D1: Final = ('SPEC.md D1: "Legacy uses the draft\'s 21 reason codes and statuses (the February '
              'text defines none)."')
_STALE: Final = (
    "one SDK code, signature_stale, for every time failure (expires <= created, a window over "
    "the maximum, created in the future, expired): the adapter maps it to request_expired, so "
    "this rejection differs by reason code only"
)
_TIME_SENTENCE: Final = (
    f'{DRAFT} §3.3.2: "`now < created - s` yields `request_not_yet_valid`" / "these conditions '
    'yield `invalid_time`" / "a window exceeding it yields `request_validity_too_long`" '
    f"({_D1})"
)
_LIMITS: Final = (
    f'{DRAFT} §3.5: "A verifier MUST enforce limits before cryptography." (SPEC.md §4 steps 2, '
    "4 and 5 apply the same limits to legacy)"
)
_SELECTS_ONE: Final = (
    "the SDK parses one member only (the label eth, else the first) and refuses a keyid outside "
    "its own syntax as a parse error (signature_input_invalid, 400); members that are not "
    "candidates are not skipped, so no_acceptable_signature (401) is never answered"
)
_CANDIDATES: Final = ('SPEC.md D2: "Legacy candidates are recognised by a String `keyid` in the '
                      '`erc8128:` namespace"')
_ORDER: Final = (
    "the SDK signs its own fixed order @method @authority @path [@query] [content-digest] "
    "(select_covered), where the reference signs @authority first; both orders are valid, the "
    "case compares bytes"
)
_ORDER_SENTENCE: Final = (
    f'{DRAFT} §3.4.3: "Component and parameter order shown in examples is exemplary; the '
    'component and parameter order received in `Signature-Input` governs signature-base '
    'reconstruction" (a canonical-form difference, not a violation)'
)
_CHAIN_IDS: Final = (
    'SPEC.md D3: "Chain ids: 1 to 32 ASCII digits (CAIP-2\'s reference limit), no leading zero, '
    'in both profiles"'
)
_EMPTY_QUERY: Final = (
    'SPEC.md D7: "Legacy: \\"the request contains a query component\\" means the target has a '
    '`?` (even an empty query)"'
)
_TIME_VALID: Final = (
    f'{DRAFT} §3.3.2: "the request is time-valid exactly when: created - s <= now <= expires + '
    's" (SPEC.md D5)'
)
_MISSING_FIELD: Final = (
    f'{DRAFT} §3.5: "A missing field yields `signature_missing`." ({_D1}; SPEC.md D10)'
)

# deliberate: data table (duplicate scan): one row per known failure, so rows look alike.
RULES: Final[tuple[Rule, ...]] = (
    # parse_keyid
    Rule("keyid", r"leading zero|chain 00|33-digit chain|Arabic-Indic|fullwidth",
         r"KEYID_RE is ^erc8128:(\d+):(0x[0-9A-Fa-f]{40})$: Python's \d accepts leading zeros, "
         "any length and non-ASCII Unicode digits",
         _CHAIN_IDS),
    Rule("keyid", r"trailing newline", "KEYID_RE ends in $, which also matches before a final "
         "newline, so 'erc8128:1:0x...\\n' parses",
         f'{FEB} §3.3.1: "`<address>` is a 20-byte Ethereum address encoded as `0x` + 40 hex '
         'characters."'),
    # sign_request
    Rule("sign_request", r"empty query", "urlsplit drops a bare '?', so a target with an empty "
         "query is signed without @query (and in the SDK's own component order)",
         _EMPTY_QUERY),
    Rule("sign_request", r"empty content", "Content-Digest rule body-present: empty content "
         "(body b\"\") gets a Content-Digest and a covered content-digest",
         'SPEC.md D7: "\\"contains an HTTP message body\\" means non-empty content."'),
    Rule("sign_request", r"existing sha-256 \+ sha-512", "the SDK recomputes Content-Digest "
         "itself (sha-256 only) instead of keeping and covering the one on the request",
         f'{DRAFT} §3.1.3: "`sha-256` MUST be supported and `sha-512` MAY be supported" (the '
         "reference keeps a matching digest the caller supplied)"),
    Rule("sign_request", r"empty nonce", 'nonce="" is treated as no nonce: the signature '
         "becomes Replayable",
         'SPEC.md D16: "An empty nonce `\\"\\"` is a present nonce (it is ASCII and at most 128 '
         'bytes): the signature is Non-Replayable and single-use."'),
    Rule("sign_request", r"expires (equal to|before) created", "sign_request takes a validity "
         "in seconds (here 0 or negative) and signs expires <= created without complaint",
         f'{FEB} §3.3.2: "`expires` is an integer Unix timestamp (seconds) and MUST be greater '
         'than `created`."'),
    Rule("sign_request", r"label already on the request", "the SDK returns only its own "
         "fields and never sees the request's: a label already used is signed again, and the "
         "repeated Dictionary key hides the first signature",
         'RFC 9651 §4.2: a repeated Dictionary key overwrites the earlier value (the reference '
         "refuses duplicate_label)"),
    Rule("sign_request", r"not an RFC 9651 key", "the label is written as given: a label that "
         "is not an RFC 9651 key yields an unparseable Signature-Input",
         'RFC 9421 §4.1: the Signature-Input field is a Dictionary (RFC 9651 §3.2: keys are '
         'lcalpha / "*" then lcalpha / DIGIT / "_" / "-" / "." / "*")'),
    Rule("sign_request", r"does not match the content", "an existing Content-Digest is "
         "replaced by the SDK's own, never checked against the content",
         f'{DRAFT} §3.1.3: "A signer sending non-empty content MUST generate `Content-Digest` '
         'over the exact content bytes according to RFC 9530."'),
    Rule("sign_request", r"", _ORDER, _ORDER_SENTENCE,
         observed=lambda got: "ok" in got),
    # replay
    Rule("replay", r"mark is kept until expires \+ skew", "the replay arrives at now = expires "
         "+ skew, where the SDK's window has already ended (stale when expires <= now - skew, "
         "one second early): refused as signature_stale before the replay check",
         _TIME_VALID, observed=sdk_reason("signature_stale")),
    Rule("replay", r"second candidate wins", "the SDK verifies one member only (label eth, else "
         "the first): when it fails, a second valid candidate is never tried",
         f'{DRAFT} §4.2: "A failing candidate never masks a later successful candidate." '
         f"({_CANDIDATES})"),
    # verify_request: whole-message
    Rule("verify_request", r"Signature field removed|Signature field of whitespace",
         "a missing or blank Signature field is signature_invalid (mapped to bad_signature, "
         "401), not signature_missing: refused, with another code",
         _MISSING_FIELD,
         observed=sdk_reason("signature_invalid")),
    Rule("verify_request", r"Signature-Input field removed|both signature fields removed|"
         r"Signature-Input present with an empty value",
         "a missing or empty Signature-Input is signature_input_invalid (400), not "
         "signature_missing (401): refused, with another code and status",
         _MISSING_FIELD,
         observed=sdk_reason("signature_input_invalid")),
    Rule("verify_request", r"Signature is not an sf Dictionary|Signature member is a String|"
         r"Signature member under another label",
         "a Signature member it cannot decode or find is signature_invalid (bad_signature, "
         "401), not signature_input_invalid (400)",
         f'{DRAFT} §3.5: "A well-formed tagged `Signature-Input` member without a correlated '
         'RFC 9421 Byte Sequence in `Signature` yields the candidate failure '
         f'`signature_input_invalid`" ({_D1})', observed=sdk_reason("signature_invalid")),
    Rule("verify_request", r"component covered twice|a 400 code keeps its status",
         "a component listed twice is not refused: the SDK builds its base and the signature "
         "check fails (wallet_mismatch, bad_signature 401) instead of signature_input_invalid",
         DUPLICATE_COMPONENT,
         observed=sdk_reason("wallet_mismatch")),
    Rule("verify_request", r"covered field absent|covered header removed after signing",
         "a covered field the request lacks is not an error: the SDK builds a base without its "
         "value and the signature check fails (bad_signature)",
         'SPEC.md D18: "A covered component the request lacks is `signature_input_invalid`, '
         'never an empty value."', observed=sdk_reason("wallet_mismatch")),
    Rule("verify_request", r"made non-ASCII after signing|CR LF injected",
         "a covered value with a control or non-ASCII character goes into the base: the "
         "signature check fails (bad_signature) instead of signature_input_invalid",
         'SPEC.md D19: "A component value with a control or non-ASCII character is an error, '
         'never stripped"', observed=sdk_reason("wallet_mismatch")),
    Rule("verify_request", r"Signature-Input over 16 KiB", "the SDK has no field size limit: a "
         "Signature-Input over 16 KiB verifies", _LIMITS, observed=was_accepted),
    Rule("verify_request", r"9 candidates|33 covered components|17 signature parameters|"
         r"decoded signature member of 8193", "the SDK has no count or size limits: the request "
         "is refused later, by the signature check (bad_signature), not signature_too_large",
         _LIMITS),
    Rule("verify_request", r"keyid in the eip155 namespace|keyid removed|keyid namespace in "
         r"uppercase|legacy-only verifier, draft signature", _SELECTS_ONE, _CANDIDATES,
         observed=sdk_reason("signature_input_invalid")),
    Rule("verify_request", r"keyid is a Token", "a Token keyid (no quotes) is read as the "
         "keyid and the request verifies: the parser does not check the parameter's type",
         _CANDIDATES, observed=was_accepted),
    Rule("verify_request", r"chain with a leading zero", "chain id 01 passes KEYID_RE (\\d+) "
         "and is read as chain 1: the request verifies",
         _CHAIN_IDS, observed=was_accepted),
    Rule("verify_request", r"39 hex digits|0X prefix|empty chain", "a keyid outside KEYID_RE "
         "is a parse error (signature_input_invalid, 400), not invalid_keyid (401): refused, "
         "with another code and status", f'{FEB} §3.3.1: "`keyid` MUST identify an Ethereum '
         f'account with explicit chain context:" ({_D1})',
         observed=sdk_reason("signature_input_invalid")),
    Rule("verify_request", r"33-digit chain", "no chain id length limit: a 33-digit chain id "
         "passes KEYID_RE and, when the policy serves it, the request verifies",
         'SPEC.md D3: "Chain ids: 1 to 32 ASCII digits (CAIP-2\'s reference limit)"'),
    Rule("verify_request", r"component covered twice, signed over the base with the repeated",
         "a component listed twice is accepted: the SDK puts its line into the base twice",
         DUPLICATE_COMPONENT, observed=was_accepted),
    Rule("verify_request", r"negative created", "created=-1 is not refused: only the window "
         "against now is checked, and the re-signed request verifies",
         'SPEC.md D11: "A negative `created` is `invalid_time`."', observed=was_accepted),
    Rule("verify_request", r"high-s twin", "eth-account's Account.recover_message recovers "
         "from the high-s twin (no low-s check), so it verifies",
         f'{DRAFT} §3.4.3: "Compact, DER, high-`s`, EIP-155 transaction, and 0/1-`v` encodings '
         'are invalid." (SPEC.md D14: "Legacy requires the draft\'s strict 65-byte low-s '
         'signature encoding.")', observed=was_accepted),
    Rule("verify_request", r"v = 0/1", "eth-account accepts v = 0/1 as well as 27/28",
         f'{DRAFT} §3.4.3: "Compact, DER, high-`s`, EIP-155 transaction, and 0/1-`v` encodings '
         'are invalid." (SPEC.md D14)', observed=was_accepted),
    Rule("verify_request", r"created removed|created is a (String|Boolean|Decimal)|expires "
         r"removed", "created/expires missing or not an Integer is a parse error "
         "(signature_input_invalid, 400), not invalid_time (401): refused, with another code "
         "and status", _TIME_SENTENCE, observed=sdk_reason("signature_input_invalid")),
    Rule("verify_request", r"valid: now = expires \+ skew|D5: valid at now = expires \+ skew",
         "the SDK's window ends one second early: expires <= now - skew is stale, so "
         "now = expires + skew is refused",
         _TIME_VALID, observed=sdk_reason("signature_stale")),
    Rule("verify_request", r"", _STALE, _TIME_SENTENCE, observed=sdk_reason("signature_stale")),
    Rule("verify_request", r"nonce is an? (Token|Integer|Byte Sequence)", "a nonce of another "
         "type is not refused as invalid_nonce: the request fails the signature check "
         "(bad_signature)",
         f'{DRAFT} §3.1.2: "A present nonce of another Structured Field type, containing '
         'non-ASCII data, or exceeding 128 ASCII bytes yields `invalid_nonce`." (SPEC.md D16)'),
    Rule("verify_request", r"nonce of 129 bytes", "the SDK has no nonce size limit: a "
         "129-byte nonce verifies",
         f'{DRAFT} §3.1.2: "The nonce MUST be ASCII and no more than 128 bytes." (SPEC.md D16)',
         observed=was_accepted),
    Rule("verify_request", r"content-digest not covered although there is content",
         "the SDK checks digest coverage first and answers content_digest_required where the "
         "reference answers insufficient_coverage: refused, with another code",
         f'{FEB} §3.1.1: "If the request contains an HTTP message body, the signature MUST also '
         f'cover:" ({_D1})', observed=sdk_reason("content_digest_required")),
    Rule("verify_request", r"ERC-6492-wrapped", "no ERC-6492 support: a wrapped signature "
         "fails EOA recovery (bad_signature) where a verifier that cannot simulate it answers "
         "signature_verification_unavailable",
         f'{DRAFT} §4: "A state-provider or RPC failure preventing classification or '
         'verification yields `signature_verification_unavailable`, not `bad_signature`."'),
    Rule("verify_request", r"target with an empty query, @query not covered", "urlsplit drops "
         "a bare '?', so the SDK sees no query and does not require @query",
         _EMPTY_QUERY, observed=was_accepted),
    Rule("verify_request", r"method changed to lowercase", "the SDK upper-cases @method: a "
         "lower-case post verifies against a signature over POST",
         METHOD_CASE, observed=was_accepted),
    Rule("verify_request", r"sha-512 member added", "only a Content-Digest that is exactly one "
         "sha-256 member is accepted (CONTENT_DIGEST_RE): a second member is "
         "content_digest_invalid before the signature is checked",
         DIGEST_EVERY_MEMBER, observed=sdk_reason("content_digest_invalid")),
    Rule("verify_request", r"extra spaces between covered components", "params_raw is kept "
         "verbatim: @signature-params repeats the received text with its extra spaces, so the "
         "base differs from the signed one",
         SIGNATURE_PARAMS_SERIALISED, observed=sdk_reason("wallet_mismatch")),
)


def main() -> int:
    return write_expected_failures(f"{sys.executable} {HERE / 'adapter.py'}", RULES, OUTPUT)


if __name__ == "__main__":
    sys.exit(main())
