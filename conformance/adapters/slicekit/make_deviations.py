"""Regenerate deviations.json: where @slicekit/erc8128 0.2.0 departs from ERC-8128 / RFC 9421.

Each entry is built here from the spec's own rules: the expected signature base is assembled by
hand following RFC 9421 §2.5, signatures are made with eth-account (an implementation independent
of the SDK and of viem), and the adapter is then run to record what the SDK actually answers.
Run from the repository root after ``npm ci --prefix conformance/adapters/slicekit``::

    python3 conformance/adapters/slicekit/make_deviations.py

``observed`` and ``expected`` are subsets of the adapter's response (without ``seq``): an entry
holds while every key they name is present in the response with that value. When ``input`` is a
list of requests they run in order and the last response is the one compared.
"""

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from Crypto.Hash import keccak
from eth_account import Account
from eth_account.messages import encode_defunct

from erc8128_conformance.adapter_client import AdapterClient

__all__ = ["build_entries", "main"]

HERE = Path(__file__).resolve().parent
PRIVATE_KEY = "00" * 31 + "01"
ADDRESS = Account.from_key(bytes.fromhex(PRIVATE_KEY)).address.lower()
KEYID = f"erc8128:1:{ADDRESS}"
CREATED = 1700000000
EXPIRES = 1700000060
NOW = 1700000010

Json = dict[str, Any]


class Adapter:
    """The adapter process (through the suite's AdapterClient), driven one request at a time."""

    def __init__(self) -> None:
        self.client = AdapterClient(["node", str(HERE / "adapter.mjs")], cwd=str(HERE),
                                    validate=False)

    def ask(self, request: Json) -> Json:
        fields = {key: value for key, value in request.items() if key != "op"}
        response = dict(self.client.call(request["op"], fields).raw)
        del response["seq"]
        return response

    def close(self) -> None:
        self.client.close()


def personal_sign(base: str) -> str:
    """ERC-191 signature over the base, as base64 for the Signature field (eth-account)."""
    signed = Account.sign_message(encode_defunct(primitive=base.encode("ascii")), PRIVATE_KEY)
    return base64.b64encode(bytes(signed.signature)).decode("ascii")


def base_of(lines: list[tuple[str, str]], signature_params: str) -> str:
    """RFC 9421 §2.5: one `"name": value` line per covered component, then @signature-params."""
    out = [f'"{name}": {value}' for name, value in lines]
    out.append(f'"@signature-params": {signature_params}')
    return "\n".join(out)


def params(covered: list[str], *, nonce: str | None = "n-1", extra: str = "") -> str:
    inner = " ".join(f'"{c}"' for c in covered)
    nonce_part = "" if nonce is None else f';nonce="{nonce}"'
    return f'({inner});created={CREATED};expires={EXPIRES}{nonce_part}{extra};keyid="{KEYID}"'


def request(
    method: str, url: str, headers: list[list[str]], body_hex: str | None = None
) -> Json:
    shape: Json = {"method": method, "url": url, "headers": headers}
    if body_hex is not None:
        shape["body_hex"] = body_hex
    return shape


def signed_request(
    method: str,
    url: str,
    headers: list[list[str]],
    signature_input_member: str,
    base: str,
    *,
    label: str = "eth",
) -> Json:
    """A request carrying `label=<member>` and a signature by PRIVATE_KEY over `base`."""
    return request(
        method,
        url,
        [
            *headers,
            ["signature-input", f"{label}={signature_input_member}"],
            ["signature", f"{label}=:{personal_sign(base)}:"],
        ],
    )


def verify(shape: Json, session: str, now: int = NOW, policy: Json | None = None) -> Json:
    return {
        "op": "verify_request",
        "profile": "legacy",
        "request": shape,
        "now": now,
        "policy": policy or {},
        "replay_session": session,
    }


def sdk_base(adapter: Adapter, shape: Json, label: str = "eth") -> str:
    """The base the SDK itself builds for this request (to sign what the SDK will check)."""
    answer = adapter.ask({"op": "signature_base", "request": shape, "label": label})
    base: str = answer["ok"]["base"]
    return base


ACCEPTED: Json = {"ok": {"address": ADDRESS, "chain_id": 1}}

RFC_2_2_1 = (
    'RFC 9421 §2.2.1: "The component value is canonicalized by taking the value of the method as '
    "a string. Note that the method name is case sensitive as per [HTTP], Section 9.1. While "
    "conventionally standardized method names are uppercase [ASCII], no transformation to the "
    "input method value's case is performed.\""
)
RFC_2_2_7 = (
    'RFC 9421 §2.2.7: "If the query string is absent from the request message, the component '
    'value is the leading ? character alone"'
)
RFC_2_1 = (
    'RFC 9421 §2.1: "2. Strip leading and trailing whitespace from each item in the list. [...] '
    "3. Remove any obsolete line folding within the line, and replace it with a single space "
    '(" ")" (no other whitespace is changed)'
)
RFC_2_3 = (
    'RFC 9421 §2.3: "The signature parameters component value is serialized as a parameterized '
    'Inner List using the rules in Section 4 of [STRUCTURED-FIELDS]"; RFC 9651 §4.1.1.1 joins '
    "inner-list members with a single SP"
)
RFC_2_5_DUP = (
    'RFC 9421 §2.5 step 2.1: "If the component identifier (including its parameters) has already '
    'been added to the signature base, produce an error."'
)
SF_TRAILING = (
    'RFC 9651 §4.2: "6. Discard any leading SP characters from input_string. 7. If input_string '
    'is not empty, fail parsing."'
)
SF_KEY = (
    'RFC 9651 §3.2: "key = ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" )"; '
    'RFC 9421 §4.1: "The member\'s key is the label that uniquely identifies the message '
    'signature within the context of the HTTP message."'
)
SF_INNER_LIST = (
    'RFC 9651 §4.2.1.2 (Parsing an Inner List): "5. If the first character of input_string is '
    'not SP or ")", fail parsing."'
)
SF_STRING_ESCAPE = (
    'RFC 9651 §4.2.5 (Parsing a String): "If next_char is not DQUOTE or "\\", fail parsing."'
)
SF_DICT_LAST_WINS = (
    'RFC 9651 §4.2.2: "Note that when duplicate Dictionary keys are encountered, all but the '
    'last instance are ignored."; ERC-8128 (draft 362f1a9) Security Considerations: "Structured '
    'Fields parsing resolves a duplicated Dictionary member or parameter key by keeping the last '
    'occurrence"'
)
ERC_TIME = (
    'ERC-8128 (Feb. 9f6cf39) §3.3.2: "Verifiers MUST reject signatures: whose `created` or '
    '`expires` values are not integer Unix timestamps"'
)
ERC_ALG = (
    'ERC-8128 (Feb. 9f6cf39) Rationale, "Algorithm and profile signaling": "accepting `alg` risks '
    "inconsistent verification outcomes, so verifiers should reject signatures that include "
    '`alg` unless the specification explicitly recognizes an IANA-registered value."'
)
ERC_NONCE = (
    'ERC-8128 (Feb. 9f6cf39) §3.1.2: "Non-Replayable signatures MUST include the `nonce` '
    "parameter.\" and \"A signature that omits `nonce` is **Replayable**\" (nonce=\"\" is a "
    "present sf-string, not an omitted one)"
)
ERC_RETAIN = (
    'ERC-8128 (Feb. 9f6cf39) §3.1.2: "Once a nonce has been accepted, it MUST NOT be accepted '
    'again within that window."; §5.1: "Verifiers MUST retain (`keyid`, `nonce`) state for at '
    'least the full validity window `expires - created` of any accepted Non-Replayable '
    'signature."'
)
ERC_KEYID_CASE = (
    'ERC-8128 (Feb. 9f6cf39) §3.3.1: "Verifiers MUST treat address hex as case-insensitive."; '
    '§3.1.2: "Verifiers MUST enforce uniqueness of (`keyid`, `nonce`)"'
)
ERC_KEYID_CHAIN = (
    'ERC-8128 (Feb. 9f6cf39) §3.3.1: "`<chain-id>` is a base-10 integer as defined in '
    '(EIP-155)" (CAIP-2 eip155 references are canonical decimal, no leading zeros)'
)
STRICT_RECOVER = (
    'Adapter protocol (draft 1), recover_address: "strict: 65 bytes, 1 ≤ r < n, 1 ≤ s ≤ n/2, '
    'v ∈ {27, 28}"; EIP-2: "All transaction signatures whose s-value is greater than '
    'secp256k1n/2 are now considered invalid."'
)
RFC_9530 = (
    'RFC 9530 §2: "Content-Digest = Dictionary" with one member per algorithm, and "A recipient '
    'MAY ignore any or all digests" (an extra valid sha-512 member is no reason to reject)'
)

RFC_2_5_DERIVED = (
    'RFC 9421 §2.5: "If the derived component name is unknown or the value cannot be derived, '
    'produce an error."'
)
RFC_2_2_4 = (
    'RFC 9421 §2.2.4: "The @scheme derived component refers to the scheme of the target URL of '
    'the HTTP request message. The component value is the scheme as a lowercase string as '
    'defined in [HTTP], Section 4.2."'
)
SF_KEY_LC = (
    'RFC 9651 §4.2.3.3 (Parsing a Key): "If the first character of input_string is not lcalpha '
    'or "*", fail parsing."; RFC 9530 §2: "Content-Digest = Dictionary"'
)

N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def build_entries(adapter: Adapter) -> list[Json]:
    """Every deviation: its input, the spec's answer and (filled in by main) the SDK's answer.

    Each deviation is written out as data (a base case and a verify case per rule), so blocks
    look alike by design (deliberate; duplicate scan)."""
    entries: list[Json] = []

    def add(**entry: Any) -> None:
        entries.append(entry)

    host = "api.example"

    def add_base_and_verify(name: str, catalogue: str, method: str,
                            lines: list[tuple[str, str]], *, headers: list[list[str]],
                            session: str, reasons: tuple[str, str], spec_sentence: str) -> None:
        """A ``<name>-base`` entry (the RFC 9421 base of a request covering ``lines``) and a
        ``<name>-verify`` entry (that request signed over the RFC base), as one deviation."""
        url = f"https://{host}/items"
        p = params([component for component, _ in lines])
        rfc = base_of(lines, p)
        shape = request(method, url, [*headers, ["signature-input", f"eth={p}"]])
        add(id=f"{name}-base", catalogue=catalogue, operation="signature_base",
            input={"op": "signature_base", "request": shape, "label": "eth"},
            expected={"ok": {"base": rfc}},
            reason=reasons[0],
            spec_sentence=spec_sentence)
        add(id=f"{name}-verify", catalogue=catalogue, operation="verify_request",
            input=verify(signed_request(method, url, headers, p, rfc), session),
            expected=ACCEPTED,
            reason=reasons[1],
            spec_sentence=spec_sentence)

    # -- @query absent --------------------------------------------------------------------------
    add_base_and_verify(
        "query-absent", "CC-20", "GET",
        [("@authority", host), ("@method", "GET"), ("@path", "/items"), ("@query", "?")],
        headers=[], session="query-absent",
        reasons=("@query is the empty string when the URL has no query; RFC 9421 says '?'",
                 "a signature over the RFC base ('\"@query\": ?') is rejected"),
        spec_sentence=RFC_2_2_7)

    # -- @method case ---------------------------------------------------------------------------
    add_base_and_verify(
        "method-uppercased", "CC-13", "patch",
        [("@authority", host), ("@method", "patch"), ("@path", "/items")],
        headers=[], session="method",
        reasons=("@method is upper-cased (fetch itself keeps 'patch'; the SDK calls toUpperCase)",
                 "a signature over '\"@method\": patch' is rejected"),
        spec_sentence=RFC_2_2_1)

    # -- internal whitespace of field values -----------------------------------------------------
    add_base_and_verify(
        "field-whitespace-collapsed", "CC-09", "GET",
        [("@authority", host), ("@method", "GET"), ("@path", "/items"), ("x-note", "a  b\t c")],
        headers=[["x-note", "a  b\t c"]], session="ws",
        reasons=("runs of SP/HTAB inside a covered field value are collapsed to one SP",
                 "a signature over the value with its internal whitespace kept is rejected"),
        spec_sentence=RFC_2_1)

    # -- @signature-params copied from the wire --------------------------------------------------
    canonical = params(["@authority", "@method", "@path"])
    spaced = canonical.replace('" "', '"  "').replace("(", "(  ", 1).replace(")", " )", 1)
    rfc = base_of([("@authority", host), ("@method", "GET"), ("@path", "/items")], canonical)
    shape = request("GET", f"https://{host}/items", [["signature-input", f"eth={spaced}"]])
    add(id="signature-params-raw-text", catalogue="CC-24", operation="signature_base",
        input={"op": "signature_base", "request": shape, "label": "eth"},
        expected={"ok": {"base": rfc}},
        reason="the @signature-params line repeats the received member text (extra spaces "
               "kept) instead of its Structured Fields serialisation",
        spec_sentence=RFC_2_3)

    # -- Signature-Input syntax the SDK accepts --------------------------------------------------
    def sdk_signed(member: str, case_id: str, headers: list[list[str]] | None = None) -> Json:
        """A request whose signature is valid over the base the SDK builds for `member`."""
        hdrs = headers or []
        unsigned = request("GET", f"https://{host}/items",
                           [*hdrs, ["signature-input", f"eth={member}"]])
        base = sdk_base(adapter, unsigned)
        return verify(signed_request("GET", f"https://{host}/items", hdrs, member, base),
                      case_id)

    rb = ["@authority", "@method", "@path"]
    add(id="trailing-junk-after-params", catalogue="SF-05", operation="verify_request",
        input=sdk_signed(params(rb) + " junk", "junk"),
        expected={"error": {"reason": "signature_input_invalid", "status": 400}},
        reason="bytes after the last parameter are ignored by the parser (and then signed "
               "as part of @signature-params)",
        spec_sentence=SF_TRAILING)
    decimal_last = params(rb).replace(f";created={CREATED}", "") + f";created={CREATED}.5"
    add(id="decimal-created-last-param", catalogue="SF-06", operation="verify_request",
        input=sdk_signed(decimal_last, "decimal"),
        expected={"error": {"reason": "invalid_time"}},
        reason="created=1700000000.5 as the last parameter is read as the integer 1700000000",
        spec_sentence=ERC_TIME)
    add(id="inner-list-items-not-separated", catalogue="SF-03", operation="verify_request",
        input=sdk_signed(params(rb).replace('" "', '""'), "nosep"),
        expected={"error": {"reason": "signature_input_invalid", "status": 400}},
        reason='("@authority""@method""@path") is parsed as three items',
        spec_sentence=SF_INNER_LIST)
    add(id="string-bad-escape", catalogue="SF-11", operation="verify_request",
        input=sdk_signed(params(rb, nonce="n\\-1"), "escape"),
        expected={"error": {"reason": "signature_input_invalid", "status": 400}},
        reason='nonce="n\\-1" is accepted: any character after a backslash is taken literally',
        spec_sentence=SF_STRING_ESCAPE)
    add(id="duplicate-component", catalogue="CC-01", operation="verify_request",
        input=sdk_signed(params([*rb, "@method"]), "dup-component"),
        expected={"error": {"reason": "signature_input_invalid", "status": 400}},
        reason="a component listed twice is put into the base twice and accepted",
        spec_sentence=RFC_2_5_DUP)
    add(id="alg-parameter-accepted", catalogue="PP-13", operation="verify_request",
        input=sdk_signed(params(rb, extra=';alg="hmac-sha256"'), "alg"),
        expected={"error": {"reason": "unsupported_algorithm"}},
        reason="alg is ignored (the SDK declares alg_not_allowed but never emits it)",
        spec_sentence=ERC_ALG)

    # -- duplicate label: the SDK tries every member instead of keeping the last ------------------
    first = params(rb)
    second = params(rb, nonce="n-2")
    good_base = base_of([("@authority", host), ("@method", "GET"), ("@path", "/items")], first)
    dup = request("GET", f"https://{host}/items", [
        ["signature-input", f"eth={first}, eth={second}"],
        ["signature", f"eth=:{personal_sign(good_base)}:"],
    ])
    add(id="duplicate-label-first-member-used", catalogue="SF-12", operation="verify_request",
        input=verify(dup, "dup-label"),
        expected={"error": {"reason": "bad_signature"}},
        reason="with eth=(...) twice, the first (overridden) member is verified and accepted",
        spec_sentence=SF_DICT_LAST_WINS)

    # -- label `*sig` ------------------------------------------------------------------------------
    p = params(rb)
    rfc = base_of([("@authority", host), ("@method", "GET"), ("@path", "/items")], p)
    add(id="label-star-rejected", catalogue="SF-21", operation="verify_request",
        input=verify(signed_request("GET", f"https://{host}/items", [], p, rfc, label="*sig"),
                     "star"),
        expected={"ok": {"address": ADDRESS, "label": "*sig"}},
        reason="labels must match /^[a-z][a-z0-9_.-]*$/; a valid SF key starting with * fails",
        spec_sentence=SF_KEY)

    # -- nonce="" ------------------------------------------------------------------------------
    p = params(rb, nonce="")
    rfc = base_of([("@authority", host), ("@method", "GET"), ("@path", "/items")], p)
    add(id="empty-nonce-treated-as-absent", catalogue="PP-08", operation="verify_request",
        input=verify(signed_request("GET", f"https://{host}/items", [], p, rfc), "empty-nonce"),
        expected={"ok": {"address": ADDRESS, "replayable": False, "nonce_consumed": True}},
        reason='nonce="" makes the signature Replayable (rejected under the default policy)',
        spec_sentence=ERC_NONCE)
    empty_nonce_base = rfc
    add(id="sign-empty-nonce-dropped", catalogue="PP-08", operation="sign_request",
        input={"op": "sign_request", "profile": "legacy",
               "request": request("GET", f"https://{host}/items", []),
               "private_key_hex": PRIVATE_KEY, "chain_id": 1, "created": CREATED,
               "expires": EXPIRES, "nonce": "", "label": "eth", "components": None,
               "params": {}},
        expected={"ok": {"headers": [
            ["signature", f"eth=:{personal_sign(empty_nonce_base)}:"],
            ["signature-input", f"eth={params(rb, nonce='')}"]]}},
        reason='signRequest with nonce "" emits no nonce parameter (a Replayable signature)',
        spec_sentence=ERC_NONCE)

    # -- replay window --------------------------------------------------------------------------
    p = params(rb, nonce="n-ttl")
    rfc = base_of([("@authority", host), ("@method", "GET"), ("@path", "/items")], p)
    late = verify(signed_request("GET", f"https://{host}/items", [], p, rfc), "ttl",
                  now=EXPIRES + 10, policy={"skew_sec": 30})
    add(id="replay-ttl-ignores-skew", catalogue="RS-04", operation="verify_request",
        input=[{"op": "reset_replay_session", "replay_session": "ttl"}, late, late],
        expected={"error": {"reason": "nonce_reused"}},
        reason="accepted at now = expires+10 (inside the 30 s skew), the nonce is stored for "
               "max(0, expires-now) = 0 s, so the identical request is accepted again",
        spec_sentence=ERC_RETAIN)

    # -- replay key is the raw keyid string -----------------------------------------------------
    checksummed = Account.from_key(bytes.fromhex(PRIVATE_KEY)).address
    p_lower = params(rb, nonce="n-case")
    p_upper = p_lower.replace(ADDRESS, checksummed)
    lines = [("@authority", host), ("@method", "GET"), ("@path", "/items")]
    first_req = verify(signed_request("GET", f"https://{host}/items", [], p_lower,
                                      base_of(lines, p_lower)), "keyid-case")
    second_req = verify(signed_request("GET", f"https://{host}/items", [], p_upper,
                                       base_of(lines, p_upper)), "keyid-case")
    add(id="replay-key-keyid-case", catalogue="RS-12", operation="verify_request",
        input=[{"op": "reset_replay_session", "replay_session": "keyid-case"},
               first_req, second_req],
        expected={"error": {"reason": "nonce_reused"}},
        reason="the replay key is the keyid text, so the same account and nonce pass twice "
               "when the address is written once lower-case and once checksummed",
        spec_sentence=ERC_KEYID_CASE)

    # -- derived components the SDK does not know -------------------------------------------------
    p = params([*rb, "@foo"])
    unknown = signed_request("GET", f"https://{host}/items", [], p,
                             base_of([("@authority", host)], p))
    add(id="unknown-derived-component-throws", catalogue="CC-03", operation="verify_request",
        input=verify(unknown, "unknown-derived"),
        expected={"error": {"reason": "signature_input_invalid", "status": 400}},
        reason='"@foo" is looked up as a header name; fetch Headers.get throws a TypeError that '
               "escapes verifyRequest (an application would answer 500)",
        spec_sentence=RFC_2_5_DERIVED)
    p = params([*rb, "@scheme"])
    rfc = base_of([("@authority", host), ("@method", "GET"), ("@path", "/items"),
                   ("@scheme", "https")], p)
    add(id="scheme-component-throws", catalogue="CC-03", operation="verify_request",
        input=verify(signed_request("GET", f"https://{host}/items", [], p, rfc), "scheme"),
        expected=ACCEPTED,
        reason="@scheme (RFC 9421 §2.2.4) is not implemented: the lookup throws a TypeError "
               "that escapes verifyRequest",
        spec_sentence=RFC_2_2_4)

    # -- keyid chain id ---------------------------------------------------------------------------
    add(id="keyid-chain-leading-zero", catalogue="PP-09", operation="parse_keyid",
        input={"op": "parse_keyid", "profile": "legacy", "keyid": f"erc8128:01:{ADDRESS}"},
        expected={"error": {"reason": "invalid_keyid"}},
        reason="chain id 01 is accepted as 1",
        spec_sentence=ERC_KEYID_CHAIN)
    add(id="keyid-chain-above-2^53", catalogue="PP-11", operation="parse_keyid",
        input={"op": "parse_keyid", "profile": "legacy",
               "keyid": f"erc8128:9007199254740993:{ADDRESS}"},
        expected={"ok": {"chain_id": 9007199254740993, "address": ADDRESS}},
        reason="the chain id goes through Number() and is rounded to 9007199254740992",
        spec_sentence=ERC_KEYID_CHAIN)

    # -- Content-Digest with two members ----------------------------------------------------------
    body = b'{"hello": "world"}'
    sha256 = base64.b64encode(hashlib.sha256(body).digest()).decode()
    sha512 = base64.b64encode(hashlib.sha512(body).digest()).decode()
    add(id="content-digest-two-members", catalogue="CD-06", operation="verify_content_digest",
        input={"op": "verify_content_digest", "body_hex": body.hex(),
               "value": f"sha-256=:{sha256}:, sha-512=:{sha512}:"},
        expected={"ok": {}},
        reason="only a value that is exactly one sha-256 member is accepted",
        spec_sentence=RFC_9530)

    add(id="content-digest-uppercase-key", catalogue="CD-05", operation="verify_content_digest",
        input={"op": "verify_content_digest", "body_hex": body.hex(),
               "value": f"SHA-256=:{sha256}:"},
        expected={"error": {"reason": "bad_content_digest"}},
        reason='the algorithm key is lower-cased before use, so "SHA-256" (not a valid SF key, '
               "not a registered algorithm) is accepted",
        spec_sentence=SF_KEY_LC)

    # -- signature encoding (viem recoverAddress, used by the SDK's verifyMessage) ----------------
    signed = Account.unsafe_sign_hash(_personal_hash(b"hello"), PRIVATE_KEY)
    r, s, v = signed.r, signed.s, signed.v
    high_s = r.to_bytes(32, "big") + (N - s).to_bytes(32, "big") + bytes([55 - v])
    v_zero = r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([v - 27])
    hash_hex = _personal_hash(b"hello").hex()
    add(id="recover-high-s-accepted", catalogue="CR-11", operation="recover_address",
        input={"op": "recover_address", "hash_hex": hash_hex, "signature_hex": high_s.hex(),
               "strict": True},
        expected={"error": {}},
        reason="viem recovers from a high-s signature (strict is not available)",
        spec_sentence=STRICT_RECOVER)
    add(id="recover-v-0-accepted", catalogue="CR-07", operation="recover_address",
        input={"op": "recover_address", "hash_hex": hash_hex, "signature_hex": v_zero.hex(),
               "strict": True},
        expected={"error": {}},
        reason="viem accepts v = 0/1 as well as 27/28",
        spec_sentence=STRICT_RECOVER)
    return entries


def _personal_hash(message: bytes) -> bytes:
    """ERC-191 version 0x45: keccak256("\\x19Ethereum Signed Message:\\n" || len || message)."""
    prefix = b"\x19Ethereum Signed Message:\n" + str(len(message)).encode("ascii")
    return keccak.new(digest_bits=256, data=prefix + message).digest()


def _without_text(response: Json) -> Json:
    """The response minus free text (`message`, `detail`), which is not part of the contract."""
    out: Json = {}
    for key, value in response.items():
        if key in ("message", "detail"):
            continue
        out[key] = _without_text(value) if isinstance(value, dict) else value
    return out


def main() -> None:
    adapter = Adapter()
    try:
        entries = build_entries(adapter)
        for entry in entries:
            steps = entry["input"] if isinstance(entry["input"], list) else [entry["input"]]
            response: Json = {}
            for step in steps:
                response = adapter.ask(step)
            entry["observed"] = _without_text(response)
    finally:
        adapter.close()
    ordered = [
        {key: entry[key] for key in ("id", "catalogue", "operation", "input", "expected",
                                     "observed", "reason", "spec_sentence")}
        for entry in entries
    ]
    text = json.dumps(ordered, indent=2, ensure_ascii=False) + "\n"
    (HERE / "deviations.json").write_text(text, encoding="utf-8")
    print(f"wrote {len(ordered)} entries")


if __name__ == "__main__":
    main()
