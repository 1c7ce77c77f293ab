"""RFC 9421 §2 request components: the RFC's own examples, then every edge the RFC defines."""

import base64
import urllib.parse
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from erc8128.errors import MessageComponentError
from erc8128.http.components import (
    STRUCTURED_FIELD_TYPES,
    FieldType,
    component_identifier,
    component_value,
    field_values,
    parse_component,
)
from erc8128.http.message import Request, request_from_wire
from erc8128.http.structured_fields import Item, Token, parse_item
from tests.support.third_party import third_party_json

RFC9421 = third_party_json("rfc9421/examples.json")

# RFC 9421 §2.1.1 uses "Example-Dict", an application field known to be a Dictionary.
RFC_FIELD_TYPES: dict[str, FieldType] = {**STRUCTURED_FIELD_TYPES, "example-dict": "dictionary"}

# Request targets without a path: rejected by request_from_wire (no @path / @query exists).
PATHLESS_TARGET_CASES = ("2.2.5-request-target-authority", "2.2.5-request-target-asterisk")


def request_from_rfc_message(message: dict[str, Any]) -> Request:
    """The RFC message as a server receives it: raw lines through request_from_wire.

    The authority comes from the Host field (the RFC examples' effective target); the scheme
    is "https" unless the RFC states another. Fragments (header sections only) get "GET /".
    """
    header_lines: list[str] = []
    for name, raw_value in message["headers_raw"]:
        first, *continuations = raw_value.split("\n")
        header_lines.append(f"{name}:{first}\r\n")
        header_lines.extend(f"{line}\r\n" for line in continuations)
    hosts = [value for name, value in message["headers"] if name.lower() == "host"]
    if message["type"] == "fragment":
        request_line = "GET / HTTP/1.1\r\n"
    else:
        target = message["request_target"]
        request_line = f"{message['method']} {target} {message['http_version']}\r\n"
    body = message.get("body")
    return request_from_wire(
        request_line,
        header_lines,
        None if body is None else body.encode("utf-8"),
        scheme=message.get("scheme", "https"),
        authority=hosts[0] if hosts else "www.example.com",
    )


def _component_cases() -> list[Any]:
    cases: list[Any] = []
    for case in RFC9421["cases"]:
        if case["type"] != "component_values" or case["id"] in PATHLESS_TARGET_CASES:
            continue
        message = case["message"]
        for component in case["components"]:
            case_id = f"{case['id']}:{component['identifier']}"
            marks: list[Any] = []
            reason = ""
            if message is not None and message["type"] == "response":
                reason = "response component: ERC-8128 signs requests only"
            elif message is not None and message.get("request_target", "").startswith("https:"):
                reason = (
                    "absolute-form @request-target: the Request keeps the effective target URI, "
                    "so @request-target is derived in origin-form"
                )
            if reason:
                marks.append(pytest.mark.skip(reason=reason))
                case_id += f" [skipped: {reason}]"
            cases.append(pytest.param(case, component, id=case_id, marks=marks))
    return cases


@pytest.mark.parametrize(("case", "component"), _component_cases())
def test_rfc9421_component_value(case: dict[str, Any], component: dict[str, str]) -> None:
    message = case["message"]
    if message is None:
        # 2.2.7-query-absent states the rule without a message: any request with no query.
        request = Request("GET", "https://www.example.com/path")
    else:
        request = request_from_rfc_message(message)
    item = parse_item(component["identifier"])
    value = component_value(request, item, structured_fields=RFC_FIELD_TYPES)
    assert value == component["expected_value"]
    assert f"{component_identifier(item)}: {value}" == component["expected_line"]


@pytest.mark.parametrize(
    ("case_id", "reason"),
    [
        ("2.2.5-request-target-authority", "request_target_authority_form"),
        ("2.2.5-request-target-asterisk", "request_target_asterisk_form"),
    ],
)
def test_rfc9421_target_forms_without_a_path_are_rejected(case_id: str, reason: str) -> None:
    (case,) = [case for case in RFC9421["cases"] if case["id"] == case_id]
    with pytest.raises(MessageComponentError) as caught:
        request_from_rfc_message(case["message"])
    assert caught.value.reason == reason


def test_rfc9421_query_param_encoding_never_gives_the_invalid_lines() -> None:
    (case,) = [case for case in RFC9421["cases"] if case["id"] == "2.2.8-query-param-encoding"]
    request = request_from_rfc_message(case["message"])
    lines = []
    for component in case["components"]:
        item = parse_item(component["identifier"])
        lines.append(f"{component_identifier(item)}: {component_value(request, item)}")
    joined = "\n".join(lines)
    for invalid_line in case["invalid_lines_without_encoding"]:
        assert invalid_line not in joined.split("\n")
    assert joined.isascii()
    assert len(joined.split("\n")) == len(case["components"])


def test_rfc9421_signature_fields_reserialise_with_sf_and_key() -> None:
    (case,) = [case for case in RFC9421["cases"] if case["id"] == "4.1-4.2-fields"]
    request = Request(
        "GET",
        "https://example.com/",
        (
            ("Signature-Input", case["signature_input_header"]),
            ("Signature", case["signature_header"]),
            ("Accept-Signature", case["accept_signature_header"]),
        ),
    )
    for name, field in (
        ("signature-input", "signature_input_header"),
        ("signature", "signature_header"),
        ("accept-signature", "accept_signature_header"),
    ):
        assert component_value(request, Item(name, (("sf", True),))) == case[field]
        member = case[field].partition("=")[2]
        assert component_value(request, Item(name, (("key", "sig1"),))) == member


# --- derived components ---------------------------------------------------------------------


def value_of(target_uri: str, identifier: str, method: str = "GET") -> str:
    return component_value(Request(method, target_uri), parse_item(identifier))


def reason_of(request: Request, component: Item | str,
              structured_fields: dict[str, FieldType] | None = None) -> str:
    item = parse_item(component) if isinstance(component, str) else component
    with pytest.raises(MessageComponentError) as caught:
        if structured_fields is None:
            component_value(request, item)
        else:
            component_value(request, item, structured_fields=structured_fields)
    return caught.value.reason


@pytest.mark.parametrize("method", ["GET", "get", "PoSt", "M-SEARCH", "X_CUSTOM"])
def test_method_is_kept_as_received(method: str) -> None:
    assert value_of("https://a.example/", '"@method"', method) == method


@pytest.mark.parametrize(
    ("target_uri", "expected_authority", "expected_target_uri"),
    [
        ("https://API.Example:443/a?b", "api.example", "https://api.example/a?b"),
        ("http://API.example:80", "api.example", "http://api.example/"),
        ("https://api.example:8443/x", "api.example:8443", "https://api.example:8443/x"),
        ("https://[::1]:8080/x?", "[::1]:8080", "https://[::1]:8080/x?"),
        ("https://[::1]:443/x", "[::1]", "https://[::1]/x"),
        ("https://Host.Example.:443/", "host.example.", "https://host.example./"),
        ("HTTPS://a.example//evil/../x", "a.example", "https://a.example//evil/../x"),
    ],
)
def test_authority_and_target_uri(target_uri: str, expected_authority: str,
                                  expected_target_uri: str) -> None:
    assert value_of(target_uri, '"@authority"') == expected_authority
    assert value_of(target_uri, '"@target-uri"') == expected_target_uri


def test_scheme_is_lowercase() -> None:
    assert value_of("HTTPS://a.example/", '"@scheme"') == "https"
    assert value_of("http://a.example/", '"@scheme"') == "http"


@pytest.mark.parametrize(
    ("target_uri", "expected_path", "expected_query", "expected_request_target"),
    [
        ("https://a.example", "/", "?", "/"),
        ("https://a.example?", "/", "?", "/?"),
        ("https://a.example/p?", "/p", "?", "/p?"),
        ("https://a.example/p?a=1&b=%2D", "/p", "?a=1&b=%2D", "/p?a=1&b=%2D"),
        ("https://a.example/a/../b/%2e", "/a/../b/%2e", "?", "/a/../b/%2e"),
        ("https://a.example//evil/x", "//evil/x", "?", "//evil/x"),
        ("https://a.example/%7E%7e~/", "/%7E%7e~/", "?", "/%7E%7e~/"),
        ("https://a.example/p??x", "/p", "??x", "/p??x"),
    ],
)
def test_path_query_and_request_target_are_not_normalised(
    target_uri: str, expected_path: str, expected_query: str, expected_request_target: str
) -> None:
    assert value_of(target_uri, '"@path"') == expected_path
    assert value_of(target_uri, '"@query"') == expected_query
    assert value_of(target_uri, '"@request-target"') == expected_request_target


@pytest.mark.parametrize(
    ("query", "name", "expected"),
    [
        ("a=1&b=2", "b", "2"),
        ("a=1&b", "b", ""),
        ("a=1&b=", "b", ""),
        ("a+b=c+d", "a%20b", "c%20d"),
        ("a%20b=c%2Bd", "a%20b", "c%2Bd"),
        ("x=%7e~", "x", "%7E%7E"),
        ("x=%2d-%2D", "x", "---"),
        ("x=%zz%4", "x", "%25zz%254"),
        ("x=a=b", "x", "a%3Db"),
        ("x=%C3%A9", "x", "%C3%A9"),
        ("=empty-name", "", "empty-name"),
        ("&&x=1&&", "x", "1"),
        ("x=*-._", "x", "*-._"),
        ("x=!'()", "x", "%21%27%28%29"),
        ("caf%C3%A9=1", "caf%C3%A9", "1"),
    ],
)
def test_query_param_decodes_then_reencodes(query: str, name: str, expected: str) -> None:
    request = Request("GET", f"https://a.example/p?{query}")
    assert component_value(request, Item("@query-param", (("name", name),))) == expected


@pytest.mark.parametrize(
    ("query", "name", "reason"),
    [
        ("a=1&a=2", "a", "query_param_repeated"),
        ("a=1&%61=2", "a", "query_param_repeated"),
        ("a=1&a", "a", "query_param_repeated"),
        ("a=1", "b", "query_param_absent"),
        ("a+b=1", "a b", "query_param_absent"),
        ("A=1", "a", "query_param_absent"),
        ("x=%FF", "x", "query_param_not_utf8"),
        ("%C3=1", "x", "query_param_not_utf8"),
        ("x=%ED%A0%80", "x", "query_param_not_utf8"),
    ],
)
def test_query_param_rejections(query: str, name: str, reason: str) -> None:
    request = Request("GET", f"https://a.example/p?{query}")
    assert reason_of(request, Item("@query-param", (("name", name),))) == reason


def test_query_param_without_query_or_name() -> None:
    request = Request("GET", "https://a.example/p")
    assert reason_of(request, '"@query-param";name="a"') == "query_param_absent"
    assert reason_of(request, '"@query-param"') == "query_param_name_missing"
    assert reason_of(request, '"@query-param";name=a') == "component_parameter_type"


@settings(max_examples=150, deadline=None)
@given(name=st.text(min_size=1, max_size=12), value=st.text(max_size=24))
def test_query_param_matches_urllib_encoding(name: str, value: str) -> None:
    # Independent cross-check: urllib builds the query, urllib encodes the expected value with
    # the form-urlencoded set (alphanumerics and *-._ kept; urllib also keeps "~").
    query = urllib.parse.urlencode({name: value})
    request = Request("GET", f"https://a.example/p?{query}")
    encoded_name = urllib.parse.quote(name, safe="*").replace("~", "%7E")
    expected = urllib.parse.quote(value, safe="*").replace("~", "%7E")
    if any(0xD800 <= ord(c) <= 0xDFFF for c in name + value):
        # Lone surrogates are not UTF-8: urllib cannot even encode them.
        return
    item = Item("@query-param", (("name", encoded_name),))
    assert component_value(request, item) == expected


@pytest.mark.parametrize(
    ("identifier", "reason"),
    [
        ('"@status"', "component_response_only"),
        ('"@signature-params"', "component_signature_params_covered"),
        ('"@foo"', "component_unknown"),
        ('"@"', "component_unknown"),
        ('"@Method"', "component_name_not_lowercase"),
        ('"@METHOD"', "component_name_not_lowercase"),
        ('"Host"', "component_name_not_lowercase"),
        ('""', "component_name_invalid"),
        ('"x y"', "component_name_invalid"),
        ('"x:y"', "component_name_invalid"),
        ('"@method";req', "component_req_without_related_request"),
        ('"@path";name="a"', "component_parameter_unknown"),
        ('"@authority";sf', "component_parameter_unknown"),
        ('"@query";bs', "component_parameter_unknown"),
        ('"@query";key="a"', "component_parameter_unknown"),
        ('"@method";foo', "component_parameter_unknown"),
        ('"@query-param";name="a";sf', "component_parameter_unknown"),
    ],
)
def test_derived_component_rejections(identifier: str, reason: str) -> None:
    request = Request("GET", "https://a.example/p?a=1", (("Host", "a.example"),))
    assert reason_of(request, identifier) == reason


@pytest.mark.parametrize(
    "value", [Token("@method"), 1, b"@method", True, False]
)
def test_component_name_must_be_an_sf_string(value: Any) -> None:
    request = Request("GET", "https://a.example/")
    assert reason_of(request, Item(value)) == "component_not_string"
    with pytest.raises(MessageComponentError):
        component_identifier(Item(value))


def test_component_identifier_is_the_strict_serialisation() -> None:
    assert component_identifier(Item("@query-param", (("name", "a"),))) == (
        '"@query-param";name="a"'
    )
    assert component_identifier(parse_item('"x";sf=?1;key="k"')) == '"x";sf;key="k"'
    assert component_identifier(Item('a"b\\c')) == '"a\\"b\\\\c"'
    with pytest.raises(MessageComponentError) as caught:
        component_identifier(Item("caf\u00e9"))
    assert caught.value.reason == "component_identifier_invalid"


# --- HTTP fields ----------------------------------------------------------------------------


def fields(*lines: tuple[str, str]) -> Request:
    return Request("GET", "https://a.example/", tuple(lines))


def test_field_values_are_trimmed_and_joined_in_order() -> None:
    request = fields(("X-A", "  one "), ("Other", "o"), ("x-a", "\ttwo, three\t"), ("X-A", ""))
    assert component_value(request, Item("x-a")) == "one, two, three, "
    assert field_values(request, "x-a") == ("one", "two, three", "")


def test_internal_whitespace_is_kept_and_htab_allowed() -> None:
    request = fields(("X-A", "a   b\t\tc ,  d"))
    assert component_value(request, Item("x-a")) == "a   b\t\tc ,  d"


def test_obs_fold_in_a_value_becomes_one_space() -> None:
    request = fields(("X-A", "first \r\n   second\n\tthird"))
    assert component_value(request, Item("x-a")) == "first second third"


def test_empty_field_gives_empty_value_but_absent_field_is_an_error() -> None:
    request = fields(("X-Empty", ""))
    assert component_value(request, Item("x-empty")) == ""
    assert reason_of(request, Item("x-absent")) == "component_absent"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("a\r\nb", "component_value_control_character"),
        ("a\nb", "component_value_control_character"),
        ("a\rb", "component_value_control_character"),
        ("a\r\n", "component_value_control_character"),
        ("a\x00b", "component_value_control_character"),
        ("a\x1bb", "component_value_control_character"),
        ("a\x7fb", "component_value_control_character"),
        ("caf\xe9", "component_value_not_ascii"),
        ("\u2028", "component_value_not_ascii"),
        ("\u0085", "component_value_not_ascii"),
    ],
)
def test_unsafe_field_values_are_errors_never_stripped(value: str, reason: str) -> None:
    request = fields(("X-A", "fine"), ("X-A", value))
    assert reason_of(request, Item("x-a")) == reason


def test_bs_wraps_each_line_including_obs_text() -> None:
    request = fields(("X-A", " caf\xe9 "), ("X-A", "two, lines"), ("X-A", ""))
    expected = ", ".join(
        ":" + base64.b64encode(raw).decode() + ":" for raw in (b"caf\xe9", b"two, lines", b"")
    )
    assert component_value(request, Item("x-a", (("bs", True),))) == expected


def test_bs_rejects_characters_that_are_not_octets() -> None:
    request = fields(("X-A", "\u20ac"))
    assert reason_of(request, Item("x-a", (("bs", True),))) == "component_value_not_octets"
    request = fields(("X-A", "a\x00"))
    assert reason_of(request, Item("x-a", (("bs", True),))) == "component_value_control_character"


def test_sf_reserialises_known_structured_fields() -> None:
    digest = "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
    request = fields(
        ("Content-Digest", f"  {digest};x=1,   a=?0 "), ("content-digest", "md5=:AA==:")
    )
    assert component_value(request, parse_item('"content-digest";sf')) == (
        f"{digest};x=1, a=?0, md5=:AA==:"
    )
    assert component_value(request, parse_item('"content-digest";key="md5"')) == ":AA==:"


def test_sf_types_item_and_list() -> None:
    request = fields(("Client-Cert", " :AAEC:  "), ("Client-Cert-Chain", ":AA==:,   :AQ==:"))
    assert component_value(request, parse_item('"client-cert";sf')) == ":AAEC:"
    assert component_value(request, parse_item('"client-cert-chain";sf')) == ":AA==:, :AQ==:"
    assert reason_of(request, '"client-cert-chain";key="a"') == "component_field_not_dictionary"


def test_sf_on_an_application_field_needs_its_type() -> None:
    request = fields(("X-List", "a,   b;q=1"))
    assert reason_of(request, '"x-list";sf') == "component_sf_type_unknown"
    value = component_value(
        request, parse_item('"x-list";sf'), structured_fields={"x-list": "list"}
    )
    assert value == "a, b;q=1"


def test_key_on_an_unknown_field_parses_it_as_a_dictionary() -> None:
    request = fields(("X-Dict", "a=1, b=(x   y);p, c"))
    assert component_value(request, parse_item('"x-dict";key="b"')) == "(x y);p"
    assert component_value(request, parse_item('"x-dict";key="c"')) == "?1"
    assert reason_of(request, '"x-dict";key="d"') == "component_dictionary_key_absent"


def test_key_takes_the_last_duplicate_member() -> None:
    # RFC 9651 §4.2.2: a repeated key overwrites the earlier value.
    request = fields(("X-Dict", "a=1, b=2"), ("X-Dict", "a=3"))
    assert component_value(request, parse_item('"x-dict";key="a"')) == "3"


@pytest.mark.parametrize(
    ("identifier", "reason"),
    [
        ('"x-dict";sf', "component_field_not_structured"),
        ('"x-dict";key="a"', "component_field_not_structured"),
    ],
)
def test_unparseable_structured_fields(identifier: str, reason: str) -> None:
    request = fields(("X-Dict", "a=1, %%%"))
    assert reason_of(request, identifier, {"x-dict": "dictionary"}) == reason


@pytest.mark.parametrize(
    ("identifier", "reason"),
    [
        ('"x-a";bs;sf', "component_parameter_conflict"),
        ('"x-a";key="k";bs', "component_parameter_conflict"),
        ('"x-a";sf=?0', "component_parameter_type"),
        ('"x-a";bs=1', "component_parameter_type"),
        ('"x-a";key=k', "component_parameter_type"),
        ('"x-a";key=1', "component_parameter_type"),
        ('"x-a";req', "component_req_without_related_request"),
        ('"x-a";tr', "component_trailers_unsupported"),
        ('"x-a";name="n"', "component_parameter_unknown"),
        ('"x-a";foo', "component_parameter_unknown"),
    ],
)
def test_field_parameter_rejections(identifier: str, reason: str) -> None:
    request = fields(("X-A", "k=1"))
    assert reason_of(request, identifier, {"x-a": "dictionary"}) == reason


def test_request_must_be_a_request() -> None:
    with pytest.raises(MessageComponentError) as caught:
        component_value("GET /", Item("@method"))  # type: ignore[arg-type]
    assert caught.value.reason == "request_type"


_VALUE_TEXT = st.text(alphabet=st.characters(max_codepoint=0x2030), max_size=30)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(_VALUE_TEXT, min_size=1, max_size=3))
def test_field_value_is_safe_ascii_or_a_typed_error(values: list[str]) -> None:
    request = fields(*[("X-A", value) for value in values])
    try:
        value = component_value(request, Item("x-a"))
    except MessageComponentError as error:
        assert error.reason in {
            "component_value_control_character",
            "component_value_not_ascii",
        }
        return
    assert all(0x20 <= ord(c) <= 0x7E or c == "\t" for c in value)
    if not any("\r" in v or "\n" in v for v in values):
        assert value == ", ".join(v.strip(" \t") for v in values)


# -- the parameterless fast path of identified_component_value against _component_value ---------

_URI_TEXT = st.text(alphabet=st.sampled_from(list("aZ0/?&=.:%@[]#-+ \t~")), max_size=12)
_PLAIN_COMPONENTS = (
    "@method", "@target-uri", "@authority", "@scheme", "@request-target", "@path", "@query",
    "@query-param", "x-a", "x-b", "content-type",
)
# Field values with what RFC 9421 §2.1 strips, unfolds or refuses: SP / HTAB at either end, an
# obs-fold, a bare LF or CR, a control character, non-ASCII.
_FIELD_TEXT = st.one_of(
    _VALUE_TEXT,
    st.lists(st.sampled_from(["a", "b c", " ", "\t", "\r\n ", "\n\t", "\n", "\r", "\x00", "é"]),
             max_size=6).map("".join),
)


def _outcome(compute: Any, *args: Any, **kwargs: Any) -> object:
    try:
        return compute(*args, **kwargs)
    except MessageComponentError as error:
        return ("error", error.reason, error.message)


@settings(max_examples=300, deadline=None)
@given(
    scheme_=st.sampled_from(["https", "HTTP", "ftp", "http"]),
    authority_=_URI_TEXT,
    rest=_URI_TEXT,
    values=st.lists(st.tuples(st.sampled_from(["X-A", "x-a", "X-B"]), _FIELD_TEXT), max_size=3),
)
def test_parameterless_fast_path_agrees_with_the_reference(
    scheme_: str, authority_: str, rest: str, values: list[tuple[str, str]]
) -> None:
    # Issue 19: identified_component_value answers a component without parameters on its own
    # path (remembered target-URI values, one check of the joined field lines); the value or
    # the error is _component_value's, the reference for every component.
    from erc8128.http import components  # noqa: PLC0415 - a private name, this test only

    try:
        request = Request("GET", f"{scheme_}://{authority_}{rest}", tuple(values))
    except MessageComponentError:
        return  # a target URI the Request refuses has no components
    for name in _PLAIN_COMPONENTS:
        component = Item(name)
        identifier = components.check_component(component)
        fast = _outcome(components.identified_component_value, request, component, identifier,
                        checked=True)
        again = _outcome(components.identified_component_value, request, component, identifier,
                         checked=True)
        reference = _outcome(components._component_value, request, component, identifier,
                             STRUCTURED_FIELD_TYPES)
        assert fast == reference == again, name


def test_parse_component_reads_the_policy_forms() -> None:
    assert parse_component("content-type") == Item("content-type")
    assert parse_component('"@query-param";name="a"') == Item("@query-param", (("name", "a"),))


@pytest.mark.parametrize("identifier", ['"unterminated', "\"@path\";=", "\"a\" x"])
def test_parse_component_refuses_a_malformed_identifier(identifier: str) -> None:
    # Read on the verify path too (a route's required components): a component error, not a
    # signing error, with the reason the challenge and the signer report.
    with pytest.raises(MessageComponentError) as raised:
        parse_component(identifier)
    assert raised.value.reason == "component_invalid"

