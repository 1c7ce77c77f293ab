"""Builds ``sign_request.json``: what ``sign_request`` produces for each profile (SPEC.md §3;
ERC-8128 §3.1 coverage, §3.3 parameters, §3.4 signing) and the requests a signer refuses.
"""

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Final

from erc8128.crypto.secp256k1 import N
from erc8128.errors import Erc8128Error
from erc8128.http.content_digest import content_digest
from erc8128.http.message import Request
from erc8128.protocol.keyid import ProfileName

from .common import (
    _HEX,
    _REQUEST,
    CREATED,
    DRAFT_NONCE,
    EXPIRES,
    KEY_1,
    KEY_2,
    KEY_3,
    KEY_HIGH,
    JsonObject,
    VectorFile,
    _assemble,
    _b64,
    _by_flags,
    _default_components,
    _group,
    _schema,
    _sign,
    _test,
    _unsigned_draft_request,
    _without,
    request_to_json,
    run_sign,
    with_field,
)

# -- sign_request.json ---------------------------------------------------------------------------

# The rules a runner grades a signer's output by, check by check (conformance/signing_check.py
# CHECK_RULES): carried in the file's ``requirements`` even when no test names them.
SIGNING_CHECK_RULES: Final = (
    "time-integers", "legacy-time-integers", "expires-after-created",
    "legacy-expires-after-created", "signer-parameters", "legacy-nonce-required",
    "signer-keyid", "legacy-signer-keyid", "signature-valid", "legacy-erc191",
    "signer-request-bound", "legacy-signer-request-bound", "content-digest-present",
    "content-digest-match", "legacy-request-bound",
)


def _classify_sign(group: JsonObject, test: JsonObject) -> str:
    comment = test["comment"]
    if "Override" in test["flags"]:
        return "d41-signer-refusals"
    if test["result"] == "invalid":
        for words, requirement in (("@authority", "authority-covered"),
                                   ("content-type", "content-type-covered"),
                                   ("alg ", "no-alg"), ("expires", "expires-after-created"),
                                   ("Content-Digest", "content-digest-present"),
                                   ("not an RFC 9651 key", "sf-key-syntax")):
            if words in comment:
                return requirement
        return "d41-signer-refusals"
    table = {"DigestAdded": "content-digest-present", "BodyBytes": "content-digest-present",
             "ClassBound": "class-bound-policy",
             "ModeEoa": "mode-eoa", "Replayable": "signer-parameters",
             "MultipleSignatures": "signer-parameters", "DraftVector": "signer-parameters"}
    return _by_flags(table, valid="signer-request-bound")(group, test)


def _st(comment: str, flags: Sequence[str], profile: ProfileName, request: Request, *,
        expect: str, key: bytes = KEY_1, chain_id: int = 1, created: int = CREATED,
        expires: int = EXPIRES, nonce: str | None = DRAFT_NONCE, label: str = "eth",
        components: Sequence[str] | None = None, params: Mapping[str, Any] | None = None,
        **extra: Any) -> JsonObject:
    inputs: JsonObject = {
        "request": request_to_json(request),
        "private_key_hex": key.hex(),
        "chain_id": chain_id,
        "created": created,
        "expires": expires,
        "nonce": nonce,
        "label": label,
        "components": None if components is None else list(components),
        "params": dict(params or {}),
    }
    outcome = run_sign(inputs, profile)
    got = outcome["reason"] if outcome["result"] == "invalid" else "valid"
    if got != expect:
        raise Erc8128Error("vector_generation", f"{comment}: expected {expect}, got {got}")
    fields: JsonObject = {}
    result = outcome.pop("result")
    if result == "invalid":
        fields["reason"] = outcome.pop("reason")
    if "Override" in flags:
        # Refusing (ours, D41) or ignoring the extra parameter both conform; ignoring means the
        # signed request still names the signer's own keyid, created and expires.
        result = "acceptable"
        fields["textOutcome"] = {
            "result": "valid", "requirement": "signer-parameters",
            "why": "a signer may also ignore the extra parameter and sign with its own keyid, "
                   "created and expires; it must never let the extra parameter win"}
    fields.update(extra)
    fields.update(inputs)
    fields.update(outcome)
    return _test(comment, list(flags), result, **fields)


def _sign_tests(profile: ProfileName) -> list[JsonObject]:
    unsigned = _unsigned_draft_request()
    host = (("Host", "api.example"),)
    get = Request("GET", "https://api.example/items", host)
    get_query = Request("GET", "https://api.example/search?q=erc%208128&page=2", host)
    get_empty_query = Request("GET", "https://api.example/items?", host)
    empty_post = Request("POST", "https://api.example/items",
                         (*host, ("Content-Type", "application/json")), b"")
    sha512_post = replace(unsigned, headers=tuple(
        (name, content_digest(unsigned.body or b"", ("sha-256", "sha-512")))
        if name.lower() == "content-digest" else (name, value)
        for name, value in unsigned.headers))
    no_digest_post = _without(unsigned, "Content-Digest")
    tests: list[JsonObject] = []

    def add(comment: str, request: Request, expect: str = "valid",
            flags: Sequence[str] = (), **options: Any) -> None:
        tests.append(_st(comment, flags, profile, request, expect=expect, **options))

    if profile == "draft":
        add("the draft's positive vector reproduced byte for byte", unsigned,
            flags=["DraftVector"], label="request", components=_default_components("draft"))
    add("default components for a POST with query and content", unsigned)
    add("default components, Content-Digest added by the signer", no_digest_post,
        flags=["DigestAdded"])
    add("default components for a GET without query", get)
    add("default components for a GET with a query", get_query)
    add("default components for a GET with an empty query", get_empty_query)
    add("empty content with Content-Type: no Content-Digest", empty_post)
    add("existing sha-256 + sha-512 Content-Digest is kept and covered", sha512_post)
    add('mode="eoa" parameter', unsigned, flags=["ModeEoa"], params={"mode": "eoa"})
    add("Replayable: no nonce", unsigned, flags=["Replayable"], nonce=None)
    add("empty nonce (D16)", unsigned, flags=["SpecDecision"], nonce="", decision="D16")
    add("key 0x..02 on chain 8453", unsigned, key=KEY_2, chain_id=8453)
    add("key 0x..03, chain 0", get, key=KEY_3, chain_id=0)
    add("key n-1", get_query, key=KEY_HIGH)
    add("300-second window", get, expires=CREATED + 300)
    scheme = ["@scheme"] if profile == "draft" else []
    add("label sig1 and an explicit @query-param component", get_query, label="sig1",
        components=[*scheme, "@authority", "@method", "@path", "@query",
                    '"@query-param";name="q"'])
    add("extra string and integer parameters", get, params={"app": "demo", "v": 2})
    first = _sign(unsigned, profile, label="first")
    add("a second signature (key 0x..02) on an already signed request", first,
        flags=["MultipleSignatures"], key=KEY_2, label="second", nonce="second-nonce")
    add("a third signature on a request with two", _sign(first, profile, key=KEY_2,
                                                         label="second", nonce="n2"),
        flags=["MultipleSignatures"], key=KEY_3, label="third", nonce="n3")
    if profile == "draft":
        add("Class-Bound components (the signer's right)", unsigned,
            components=["@authority", "content-digest", "content-type"], flags=["ClassBound"])
        add("content-type left out although received", unsigned, "insufficient_coverage",
            components=["@scheme", "@authority", "@method", "@path", "@query", "content-digest"])
        add("tag given as an extra parameter", unsigned, "reserved_parameter",
            params={"tag": "other"})
    else:
        add("an application tag (legacy has no tag of its own)", unsigned,
            params={"tag": "app"})
        add("content-type not covered (legacy does not require it)", unsigned,
            components=["@authority", "@method", "@path", "@query", "content-digest"])
    add("@authority left out", unsigned, "insufficient_coverage",
        components=["@method", "@path", "@query", "content-digest", "content-type"])
    add("expires equal to created", unsigned, "invalid_time", expires=CREATED)
    add("expires before created", unsigned, "invalid_time", expires=CREATED - 1)
    add("label already on the request", first, "duplicate_label", label="first")
    add("label that is not an RFC 9651 key", unsigned, "invalid_label", label="Eth")
    add("alg as an extra parameter", unsigned, "reserved_parameter", params={"alg": "x"})
    add("nonce as an extra parameter", unsigned, "reserved_parameter", params={"nonce": "x"})
    add("existing Content-Digest that does not match the content",
        with_field(unsigned, "Content-Digest", f"sha-256=:{_b64(bytes(32))}:"),
        "content_digest_mismatch")
    add("private key 0", unsigned, "private_key_range", key=bytes(32))
    add("private key n", unsigned, "private_key_range", key=N.to_bytes(32, "big"))
    # Content whose bytes matter (issue 21): a signer that re-encodes, trims or decodes the
    # content signs a digest of other bytes.
    def post(body: bytes, content_type: str) -> Request:
        return Request("POST", "https://api.example/items",
                       (*host, ("Content-Type", content_type)), body)

    add("non-ASCII UTF-8 content", post('{"name":"caf\u00e9 \u2615"}'.encode(),
                                       "application/json; charset=utf-8"), flags=["BodyBytes"])
    add("content with significant whitespace (trailing spaces and newlines)",
        post(b'{"a": 1}  \r\n\n', "application/json"), flags=["BodyBytes"])
    add("binary content (every byte value)", post(bytes(range(256)),
                                                  "application/octet-stream"),
        flags=["BodyBytes"])
    # Parameters the signer owns, given as extra parameters (D41: the signer refuses them).
    keyid = ("eip155" if profile == "draft" else "erc8128") + ":1:" + "0x" + "22" * 20
    add("keyid naming another account as an extra parameter", unsigned, "reserved_parameter",
        flags=["Override"], params={"keyid": keyid})
    add("created as an extra parameter", unsigned, "reserved_parameter", flags=["Override"],
        params={"created": CREATED - 3600})
    add("expires as an extra parameter", unsigned, "reserved_parameter", flags=["Override"],
        params={"expires": EXPIRES + 3600})
    return tests


def _sign_file() -> VectorFile:
    groups = [
        _group("SignRequestTest", _sign_tests("draft"), profile="draft"),
        _group("SignRequestTest", _sign_tests("legacy"), profile="legacy"),
    ]
    notes = {
        "DraftVector": "Reproduces the ERC-8128 draft's positive vector byte for byte.",
        "DigestAdded": "ERC-8128 §3.1.3: \"A signer sending non-empty content MUST generate "
        "Content-Digest\"; the signer appends it.",
        "ModeEoa": "Extra parameter mode=\"eoa\" (draft §3.3.5; legacy writes it but gives it no "
        "meaning, D8).",
        "Replayable": "nonce null: no nonce parameter, a Replayable signature.",
        "SpecDecision": "Pins a SPEC.md decision (field `decision`).",
        "MultipleSignatures": "The request already carries signatures; the new Signature-Input "
        "and Signature lines are appended.",
        "ClassBound": "Not every Request-Bound component covered: a Class-Bound signature.",
        "BodyBytes": "Content whose exact bytes are signed through Content-Digest (non-ASCII, "
        "significant whitespace, binary): nothing may be re-encoded, trimmed or decoded.",
        "Override": "An extra parameter that would override one the signer owns (keyid, "
        "created, expires): the signer refuses it (D41), never signs it or lets it win.",
    }
    schema = _schema(
        "ERC-8128 sign_request vectors", "SignRequestTest",
        {
            "request": _REQUEST,
            "private_key_hex": _HEX,
            "chain_id": {"type": "integer"},
            "created": {"type": "integer"},
            "expires": {"type": "integer"},
            "nonce": {"type": ["string", "null"]},
            "label": {"type": "string"},
            "components": {"anyOf": [{"type": "array", "items": {"type": "string"}},
                                     {"type": "null"}]},
            "params": {"type": "object",
                       "additionalProperties": {"type": ["string", "integer", "boolean"]}},
            "headers": _REQUEST["properties"]["headers"],  # type: ignore[index]
            "keyid": {"type": "string"},
            "signature_input": {"type": "string"},
            "signature_base": {"type": "string"},
            "message_hash_hex": _HEX,
            "signature_hex": _HEX,
        },
        ["request", "private_key_hex", "chain_id", "created", "expires", "nonce", "label",
         "components", "params"],
    )
    return _assemble(
        "sign_request.json", "ERC-8128-SIGN-REQUEST",
        ["ERC-8128 sign_request: the complete header list after signing (Content-Digest added "
         "where required, Signature-Input and Signature appended), with keyid, the "
         "Signature-Input member value, the signature base M, H and the RFC 6979 signature.",
         "components null: the profile's default set (Request-Bound plus every component the "
         "profile requires whenever its field is present); parameters are written in the order "
         "created, expires, nonce, keyid, tag (draft), then params in the given order."],
        notes, groups, schema=schema,
        classify=_classify_sign, also=SIGNING_CHECK_RULES,
    )
