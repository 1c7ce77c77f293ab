"""Builds ``signature_base.json``: the RFC 9421 §2.5 signature base of a Signature-Input member,
with the derived components of RFC 9421 §2.2, the field rules of §2.1, and the draft's own vector
(SPEC.md §7).
"""

from collections.abc import Sequence
from typing import Final

from erc8128.errors import Erc8128Error
from erc8128.http.signature_base import signature_base_for_label

from .common import (
    _REQUEST,
    JsonObject,
    VectorFile,
    _assemble,
    _by_flags,
    _draft_request,
    _field,
    _group,
    _schema,
    _test,
    request_from_json,
)

# -- signature_base.json -------------------------------------------------------------------------


_BASE_REQUIREMENTS: Final = {
    "Duplicate": "duplicate-components", "Absent": "d18-absent-component",
    "NonAscii": "d19-no-control-characters", "Injection": "d19-no-control-characters",
    "Unknown": "d21-component-syntax", "Label": "sf-last-wins",
}


def _as_received(test: JsonObject, target_uri: str) -> JsonObject:
    """D86 against RFC 9421 §2.2.2 (issue 21): our base normalises the authority inside
    `@target-uri`; the text's value is the target URI exactly as received. Both pass
    (``acceptable``) unless the runner is strict."""
    base = test["base"]
    line = base.split("\n", 1)[0]
    text_base = base.replace(line, f'"@target-uri": {target_uri}', 1)
    return {**test, "result": "acceptable", "decision": "D86",
            "requirement": "d86-target-uri-authority",
            "textOutcome": {"result": "valid", "base": text_base,
                            "requirement": "target-uri-as-received",
                            "why": "D86: one authority for @authority and @target-uri, so a "
                                   "host's case or a default port never changes the base"}}


def _signature_base_file() -> VectorFile:
    params = ';created=1700000000;keyid="eip155:1:0x7e5f4552091a69125d5dfcb7b8c2659029395bdf"'

    def case(comment: str, flags: list[str], components: str, *, url: str = "https://example.com/",
             method: str = "GET", headers: Sequence[tuple[str, str]] = (),
             body: bytes | None = None, label: str = "sig",
             signature_input: str | Sequence[str] | None = None) -> JsonObject:
        if signature_input is None:
            field_lines: Sequence[str] = [f"{label}=({components}){params}"]
        elif isinstance(signature_input, str):
            field_lines = [signature_input]
        else:
            field_lines = signature_input
        request_json: JsonObject = {
            "method": method,
            "url": url,
            "headers": [[name, value] for name, value in headers]
            + [["Signature-Input", line] for line in field_lines],
            "body_hex": None if body is None else body.hex(),
        }
        try:
            base = signature_base_for_label(request_from_json(request_json), label)
        except Erc8128Error as error:
            return _test(comment, flags, "invalid", reason="signature_input_invalid",
                         detail=error.reason, request=request_json, label=label)
        return _test(comment, flags, "valid", request=request_json, label=label, base=base)

    dflt = '"@authority"'
    tests = [
        case("the draft's positive request", ["DraftVector"],
             "", signature_input=_field(_draft_request(), "signature-input"),
             url="https://api.example/items?view=full", method="POST",
             headers=[h for h in _draft_request().headers
                      if h[0].lower() not in ("signature-input", "signature")],
             body=b'{"hello":"world"}', label="request"),
        case("https default port 443 omitted", ["Authority"], dflt,
             url="https://example.com:443/"),
        case("http default port 80 omitted", ["Authority"], dflt, url="http://example.com:80/"),
        case("port 80 kept for https", ["Authority"], dflt, url="https://example.com:80/"),
        case("port 443 kept for http", ["Authority"], dflt, url="http://example.com:443/"),
        case("port 8443 kept", ["Authority"], dflt, url="https://example.com:8443/"),
        case("uppercase host lowercased", ["Authority"], dflt, url="https://EXAMPLE.Com/"),
        case("IPv6 literal with port", ["Authority"], dflt, url="https://[::1]:8080/"),
        case("IPv6 literal, uppercase hex, default port", ["Authority"], dflt,
             url="https://[2001:DB8::1]:443/"),
        case("IPv4 host", ["Authority"], dflt, url="http://127.0.0.1:8080/x"),
        case("port with a leading zero", ["Authority"], dflt, url="https://example.com:0443/"),
        case("trailing dot on the host kept", ["Authority"], dflt, url="https://example.com./"),
        case("@scheme of an uppercase scheme", [], '"@scheme"', url="HTTPS://example.com/"),
        case("@method kept as received (lowercase)", [], '"@method"', method="post"),
        case("@method of an extension method", [], '"@method"', method="PROPFIND"),
        case("@path empty becomes /", ["PathQuery"], '"@path"', url="https://example.com"),
        case("@path keeps dot segments", ["PathQuery"], '"@path"',
             url="https://example.com/a/./b/../c"),
        case("@path keeps percent-encoding as received", ["PathQuery"], '"@path"',
             url="https://example.com/a%2Fb/%7Euser/%e2%82%ac"),
        case("@path keeps a double slash", ["PathQuery"], '"@path"',
             url="https://example.com//a//b/"),
        case("@query without a query is a lone ?", ["PathQuery"], '"@query"',
             url="https://example.com/items"),
        case("@query of a bare ? is a lone ?", ["PathQuery"], '"@query"',
             url="https://example.com/items?"),
        case("@query keeps encoding and order", ["PathQuery"], '"@query"',
             url="https://example.com/?b=2&a=1&a=%20x+y&c"),
        case("@query with a ? inside the query", ["PathQuery"], '"@query"',
             url="https://example.com/p?a=?b"),
        _as_received(case("@target-uri as received", ["TargetUri", "SpecDecision"],
                          '"@target-uri"',
                          url="https://Example.com:443/a/../b?x=1"),
                     "https://Example.com:443/a/../b?x=1"),
        case("@request-target of origin form", [], '"@request-target"',
             url="https://example.com/a/b?x=1&y"),
        case("@request-target with an empty query", [], '"@request-target"',
             url="https://example.com/a?"),
        case("@query-param, decoded and re-encoded", ["QueryParam"],
             '"@query-param";name="var"', url="https://example.com/?var=this%20is%20a%20big%0Avalue"),
        case("@query-param name with percent-encoding", ["QueryParam"],
             '"@query-param";name="a%20b"', url="https://example.com/?a%20b=1"),
        case("@query-param with a + (kept as a literal plus, re-encoded)", ["QueryParam"],
             '"@query-param";name="q"', url="https://example.com/?q=a+b"),
        case("@query-param with an empty value", ["QueryParam"], '"@query-param";name="e"',
             url="https://example.com/?e=&f=1"),
        case("@query-param of a parameter without =", ["QueryParam"], '"@query-param";name="f"',
             url="https://example.com/?f"),
        case("@query-param twice with different names", ["QueryParam"],
             '"@query-param";name="a" "@query-param";name="b"',
             url="https://example.com/?a=1&b=2"),
        case("@query-param absent", ["QueryParam"], '"@query-param";name="z"',
             url="https://example.com/?a=1"),
        case("@query-param repeated in the query", ["QueryParam"], '"@query-param";name="a"',
             url="https://example.com/?a=1&a=2"),
        case("@query-param without name", ["QueryParam"], '"@query-param"',
             url="https://example.com/?a=1"),
        case("field name is lowercase in the base", ["Field"], '"content-type"',
             headers=[("Content-Type", "text/plain")]),
        case("repeated field lines joined with ', '", ["Field"], '"x-list"',
             headers=[("X-List", "a"), ("x-list", "b"), ("X-LIST", "c")]),
        case("repeated field lines with an empty one", ["Field"], '"x-list"',
             headers=[("X-List", "a"), ("X-List", ""), ("X-List", "c")]),
        case("leading and trailing whitespace trimmed", ["Field"], '"x-ws"',
             headers=[("X-WS", "  \t value \t ")]),
        case("inner whitespace kept", ["Field"], '"x-ws"', headers=[("X-WS", "a  b\t\tc")]),
        case("obs-fold replaced by one space", ["Field"], '"x-fold"',
             headers=[("X-Fold", "first\r\n  second")]),
        case("empty field value", ["Field"], '"x-empty"', headers=[("X-Empty", "")]),
        case("sf: Dictionary re-serialised strictly", ["Field"], '"content-digest";sf',
             headers=[("Content-Digest", "sha-256=:AAAA:,   sha-512=:BBBB:;x=1")]),
        case("key: one member of a Dictionary field", ["Field"],
             '"content-digest";key="sha-512"',
             headers=[("Content-Digest", "sha-256=:AAAA:, sha-512=:BBBB:")]),
        case("key: member absent", ["Field"], '"content-digest";key="md5"',
             headers=[("Content-Digest", "sha-256=:AAAA:")]),
        case("bs: each line wrapped as a Byte Sequence", ["Field"], '"x-bin";bs',
             headers=[("X-Bin", "one"), ("X-Bin", "two, three")]),
        case("bs and sf together", ["Field"], '"x-bin";bs;sf', headers=[("X-Bin", "a")]),
        case("sf on a field of unknown type", ["Field"], '"x-unknown";sf',
             headers=[("X-Unknown", "a=1")]),
        case("req parameter (related request) is not supported", ["Field"], '"@method";req'),
        case("req on a field", ["Field"], '"content-type";req',
             headers=[("Content-Type", "text/plain")]),
        case("tr parameter (trailer)", ["Field"], '"x-t";tr', headers=[("X-T", "1")]),
        case("unknown component parameter", ["Field"], '"content-type";foo',
             headers=[("Content-Type", "text/plain")]),
        case("covered field absent from the request (D18)", ["Absent", "SpecDecision"],
             '"x-missing"', headers=[("X-Other", "1")]),
        case("duplicate component", ["Duplicate"], '"@method" "@method"'),
        case("duplicate field component, different case in the request", ["Duplicate"],
             '"x-a" "x-a"', headers=[("X-A", "1")]),
        case("same field with and without sf is not a duplicate", ["Duplicate"],
             '"content-digest" "content-digest";sf',
             headers=[("Content-Digest", "sha-256=:AAAA:")]),
        case("unknown derived component", ["Unknown"], '"@foo"'),
        case("@status is a response component", ["Unknown"], '"@status"'),
        case("@signature-params as a covered component", ["Unknown"], '"@signature-params"'),
        case("uppercase component name", ["Unknown"], '"Content-Type"',
             headers=[("Content-Type", "text/plain")]),
        case("component as a Token, not a String", ["Unknown"], "@method"),
        case("non-ASCII field value (D19)", ["NonAscii", "SpecDecision"], '"x-name"',
             headers=[("X-Name", "caf\u00e9")]),
        case("non-ASCII field value as bs is allowed", ["NonAscii"], '"x-name";bs',
             headers=[("X-Name", "caf\u00e9")]),
        case("NUL in a field value", ["Injection"], '"x-nul"', headers=[("X-Nul", "a\x00b")]),
        case("CR LF injection forging a base line (D19)", ["Injection", "SpecDecision"],
             '"x-inject"',
             headers=[("X-Inject", 'a\r\n"@method": POST')]),
        case("bare LF in a field value", ["Injection"], '"x-inject"',
             headers=[("X-Inject", "a\nb")]),
        case("DEL in a field value", ["Injection"], '"x-del"', headers=[("X-Del", "a\x7fb")]),
        case("HTAB inside a field value is kept", ["Field"], '"x-tab"',
             headers=[("X-Tab", "a\tb")]),
        case("non-ASCII in the path", ["NonAscii"], '"@path"', url="https://example.com/caf\u00e9"),
        case("space in the query", ["NonAscii"], '"@query"', url="https://example.com/?a b"),
        case("label not present in Signature-Input", ["Label"], '"@method"', label="other",
             signature_input=f'sig=("@method"){params}'),
        case("two members, the second label's base", ["Label"], "", label="b",
             signature_input=f'a=("@method"){params}, b=("@authority" "@path"){params}'),
        case("repeated label: last wins", ["Label"], "", label="a",
             signature_input=f'a=("@method"){params}, a=("@path"){params}'),
        case("Signature-Input split over two field lines", ["Label"], "", label="b",
             signature_input=[f'a=("@method"){params}', f'b=("@path" "@query"){params}']),
        case("signature parameters re-serialised canonically", [], "", label="sig",
             signature_input='sig=( "@method"   "@path" );created=1700000000;nonce="n";'
                             "x=?1;y=1.50"),
        case("Signature-Input member that is an Item", ["Label"], "", label="sig",
             signature_input='sig="@method"'),
        case("Signature-Input not a Dictionary", ["Label"], "", label="sig",
             signature_input='sig=("@method"'),
        case("no components", [], "", label="sig"),
    ]
    notes = {
        "DraftVector": "The ERC-8128 draft's own signature base.",
        "Authority": "RFC 9421 §2.2.3: \"the hostname is normalized to lowercase, and the default "
        "port is omitted\".",
        "PathQuery": "RFC 9421 §2.2.6/§2.2.7: path and query exactly as received (no dot-segment "
        "removal, no percent-decoding); an absent query is the leading ? alone.",
        "QueryParam": "RFC 9421 §2.2.8: @query-param names and values are decoded and "
        "re-encoded with application/x-www-form-urlencoded rules; absent or repeated names "
        "are errors.",
        "Field": "RFC 9421 §2.1: lowercase name, lines trimmed, obs-fold replaced by SP, lines "
        "joined with ', '; parameters sf, key, bs; req and tr are not supported here.",
        "Absent": "A covered component the request does not have.",
        "Duplicate": "RFC 9421 §2.5: the same component identifier (with its parameters) twice "
        "is an error.",
        "Unknown": "Not a request component this profile knows.",
        "NonAscii": "RFC 9421 §2.5 step 4: \"Produce an error if the output string contains any "
        "non-ASCII characters\".",
        "Injection": "A control character (CR, LF, NUL, DEL) would change the line structure "
        "of the base: an error, never stripped (D19).",
        "Label": "Choosing the Signature-Input member by label; last wins for a repeated label.",
        "SpecDecision": "Pins a SPEC.md decision (field `decision`).",
        "TargetUri": "D86: @target-uri with the authority normalised as @authority's (RFC 9421 "
        "§2.2.3); RFC 9421 §2.2.2 takes the target URI as received, which passes too "
        "(acceptable, field textOutcome).",
    }
    for test in tests:
        if "SpecDecision" in test["flags"] and "decision" not in test:
            test["decision"] = "D18" if "Absent" in test["flags"] else "D19"
    schema = _schema(
        "RFC 9421 signature base vectors", "SignatureBaseTest",
        {"request": _REQUEST, "label": {"type": "string"}, "base": {"type": "string"}},
        ["request", "label"],
    )
    return _assemble(
        "signature_base.json", "RFC9421-SIGNATURE-BASE",
        ["The RFC 9421 §2.5 signature base of the Signature-Input member `label` of the request "
         "(the request's url is the effective target URI). Failures are signature_input_invalid "
         "(detail: our finer code), as ERC-8128 verification reports them."],
        notes, [_group("SignatureBaseTest", tests)], schema=schema,
        classify=_by_flags(_BASE_REQUIREMENTS, valid="signature-base"),
    )
