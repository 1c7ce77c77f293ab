"""Builds ``content_digest.json``: creating and verifying the Content-Digest field (RFC 9530;
ERC-8128 §3.1.3: every supported member present must match, at least one must be present;
RFC 9651 §4.2 dictionary parsing).
"""

import hashlib

from erc8128.errors import Erc8128Error
from erc8128.http.content_digest import content_digest, verify_content_digest

from .common import _HEX, JsonObject, VectorFile, _assemble, _b64, _by_flags, _group, _schema, _test

# -- content_digest.json -------------------------------------------------------------------------


def _classify_content_digest(group: JsonObject, test: JsonObject) -> str:
    if group["type"] == "ContentDigestCreateTest":
        if test["result"] == "valid":
            return "content-digest-present"
        # No algorithm: a Content-Digest with no member cannot be written; one algorithm
        # twice: a Dictionary has one member per key.
        return {"no algorithm": "sf-empty-dictionary",
                "sha-256 twice": "sf-dictionary-keys"}.get(test["comment"], "digest-algorithms")
    table = {"Unsupported": "content-digest-unsupported", "LastWins": "sf-last-wins",
             "UnpaddedBase64": "sf-unpadded-base64"}
    return _by_flags(table, valid="content-digest-match")(group, test)


def _content_digest_file() -> VectorFile:
    hello = b'{"hello":"world"}'
    create_cases: list[tuple[str, bytes, list[str]]] = [
        ("sha-256 of the draft's content", hello, ["sha-256"]),
        ("sha-512 of the draft's content", hello, ["sha-512"]),
        ("both, sha-256 first", hello, ["sha-256", "sha-512"]),
        ("both, sha-512 first", hello, ["sha-512", "sha-256"]),
        ("empty content", b"", ["sha-256"]),
        ("RFC 9530 example content '{\"hello\": \"world\"}'", b'{"hello": "world"}', ["sha-256"]),
        ("binary content", bytes(range(256)), ["sha-256", "sha-512"]),
    ]
    create_tests = []
    for comment, body, algorithms in create_cases:
        create_tests.append(_test(comment, [], "valid", body_hex=body.hex(),
                                  algorithms=algorithms,
                                  value=content_digest(body, algorithms)))
    for comment, algorithms in [("unsupported algorithm md5", ["md5"]),
                                ("no algorithm", []),
                                ("uppercase SHA-256", ["SHA-256"]),
                                ("sha-256 twice", ["sha-256", "sha-256"])]:
        try:
            content_digest(hello, algorithms)
        except Erc8128Error as error:
            create_tests.append(_test(comment, ["CreateRejected"], "invalid", reason=error.reason,
                                      body_hex=hello.hex(), algorithms=algorithms))
    sha256 = _b64(hashlib.sha256(hello).digest())
    sha512 = _b64(hashlib.sha512(hello).digest())
    zero256 = _b64(bytes(32))
    verify_cases: list[tuple[str, bytes, str, list[str]]] = [
        ("sha-256 matches", hello, f"sha-256=:{sha256}:", []),
        ("sha-512 matches", hello, f"sha-512=:{sha512}:", []),
        ("both match", hello, f"sha-256=:{sha256}:, sha-512=:{sha512}:", []),
        ("sha-512 first, both match", hello, f"sha-512=:{sha512}:, sha-256=:{sha256}:", []),
        ("unsupported md5 member ignored beside a matching sha-256", hello,
         f"md5=:AAAAAAAAAAAAAAAAAAAAAA==:, sha-256=:{sha256}:", ["Unsupported"]),
        ("unsupported member with a non-byte value ignored", hello,
         f"sha-256=:{sha256}:, unixsum=10", ["Unsupported"]),
        ("member parameters are allowed", hello, f"sha-256=:{sha256}:;p=1", []),
        ("repeated key: last wins (the second sha-256 matches)", hello,
         f"sha-256=:{zero256}:, sha-256=:{sha256}:", ["LastWins"]),
        ("no space after the comma", hello, f"sha-256=:{sha256}:,sha-512=:{sha512}:", []),
        ("empty content, matching digest", b"", f"sha-256=:{_b64(hashlib.sha256().digest())}:",
         []),
        ("repeated key: last wins (the second sha-256 does not match)", hello,
         f"sha-256=:{sha256}:, sha-256=:{zero256}:", ["LastWins"]),
        ("sha-256 mismatch: content changed", b'{"hello":"World"}', f"sha-256=:{sha256}:",
         ["Mismatch"]),
        ("sha-256 matches, sha-512 mismatches", hello,
         f"sha-256=:{sha256}:, sha-512=:{_b64(bytes(64))}:", ["Mismatch"]),
        ("sha-512 matches, sha-256 mismatches", hello,
         f"sha-256=:{zero256}:, sha-512=:{sha512}:", ["Mismatch"]),
        ("only unsupported algorithms", hello, "md5=:AAAAAAAAAAAAAAAAAAAAAA==:",
         ["NoneSupported"]),
        ("uppercase key SHA-256 is not a Dictionary key", hello, f"SHA-256=:{sha256}:",
         ["Malformed"]),
        ("31-byte sha-256", hello, f"sha-256=:{_b64(bytes(31))}:", ["WrongLength"]),
        ("33-byte sha-256", hello, f"sha-256=:{_b64(hashlib.sha256(hello).digest() + b'0')}:",
         ["WrongLength"]),
        ("32-byte sha-512", hello, f"sha-512=:{_b64(hashlib.sha512(hello).digest()[:32])}:",
         ["WrongLength"]),
        ("sha-256 as a String, not a Byte Sequence", hello, f'sha-256="{sha256}"', ["NotBytes"]),
        ("sha-256 as a Token", hello, "sha-256=abc", ["NotBytes"]),
        ("sha-256 as an Inner List", hello, f"sha-256=(:{sha256}:)", ["NotBytes"]),
        ("sha-256 as a Boolean (bare key)", hello, "sha-256", ["NotBytes"]),
        ("hex instead of base64", hello, f"sha-256=:{hashlib.sha256(hello).hexdigest()}:",
         ["Malformed"]),
        ("base64 without padding", hello, f"sha-256=:{sha256.rstrip('=')}:", ["UnpaddedBase64"]),
        ("unterminated Byte Sequence", hello, f"sha-256=:{sha256}", ["Malformed"]),
        ("trailing comma", hello, f"sha-256=:{sha256}:,", ["Malformed"]),
        ("empty field value", hello, "", ["NoneSupported"]),
        ("legacy RFC 3230 Digest syntax", hello, f"SHA-256={sha256}", ["Malformed"]),
    ]
    verify_tests = []
    for comment, body, value, flags in verify_cases:
        try:
            matched = verify_content_digest(body, value)
        except Erc8128Error as error:
            if not flags:
                raise
            verify_tests.append(_test(comment, flags, "invalid", reason="bad_content_digest",
                                      detail=error.reason, body_hex=body.hex(), value=value))
        else:
            # RFC 9651 §4.2.7: parsers "SHOULD NOT fail when "=" padding is not present".
            result = "acceptable" if "UnpaddedBase64" in flags else "valid"
            verify_tests.append(_test(comment, flags, result, body_hex=body.hex(), value=value,
                                      matched=list(matched)))
    notes = {
        "CreateRejected": "Only sha-256 and sha-512 are supported, each at most once.",
        "Unsupported": "ERC-8128 §3.1.3: unsupported algorithms are ignored.",
        "LastWins": "RFC 9651 §4.2: a repeated Dictionary key keeps its last value.",
        "Mismatch": "A supported member does not match the content (ERC-8128 §3.1.3: \"recompute "
        "and match every supported member present\").",
        "NoneSupported": "ERC-8128 §3.1.3: \"require at least one supported member to be present "
        "and match\".",
        "WrongLength": "A supported member of the wrong length is malformed.",
        "NotBytes": "A supported member that is not a Byte Sequence is malformed.",
        "Malformed": "The field is not a valid RFC 9651 Dictionary, or holds no valid member.",
        "UnpaddedBase64": "RFC 9651 §4.2.7: parsers \"SHOULD NOT fail when '=' padding is not "
        "present\"; a strict parser may reject it, so either result conforms.",
    }
    schema = _schema(
        "RFC 9530 Content-Digest vectors", "ContentDigestCreateTest",
        {"body_hex": _HEX, "algorithms": {"type": "array", "items": {"type": "string"}},
         "value": {"type": "string"}, "matched": {"type": "array", "items": {"type": "string"}}},
        ["body_hex"],
        group_types=["ContentDigestCreateTest", "ContentDigestVerifyTest"],
    )
    return _assemble(
        "content_digest.json", "RFC9530-CONTENT-DIGEST",
        ["Create: the Content-Digest field value for the given algorithms in the given order. "
         "Verify: every supported member (sha-256, sha-512) must match and at least one must be "
         "present; failures are bad_content_digest (detail: our finer code)."],
        notes,
        [_group("ContentDigestCreateTest", create_tests),
         _group("ContentDigestVerifyTest", verify_tests)],
        schema=schema,
        classify=_classify_content_digest,
    )
