"""The request model and request_from_wire: nothing normalised, malformed input rejected by rule."""

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from erc8128.errors import Erc8128Error, MessageComponentError
from erc8128.http.message import (
    Request,
    authority,
    is_token,
    path,
    query,
    request_from_wire,
    scheme,
)


def wire(request_line: str, *header_lines: str, body: bytes | None = None,
         config_scheme: str = "https", config_authority: str = "api.example") -> Request:
    return request_from_wire(request_line, list(header_lines), body, scheme=config_scheme,
                             authority=config_authority)


def reason_of(call: object) -> str:
    assert callable(call)
    with pytest.raises(MessageComponentError) as caught:
        call()
    return caught.value.reason


# --- request_from_wire: the request target -------------------------------------------------


@pytest.mark.parametrize(
    "origin_form",
    [
        "/a/b?x=1",
        "//evil/x",
        "//evil.example:443/x?y",
        "/a/../b/%2e",
        "/a/./b/",
        "/%2F%2f/%7e~",
        "/a%20b?q=%0A&r=%zz",
        "/",
        "/?",
        "/x??y=1",
        "/p;params,v=1/*",
    ],
)
def test_origin_form_target_is_kept_byte_for_byte(origin_form: str) -> None:
    request = wire(f"GET {origin_form} HTTP/1.1\r\n")
    assert request.target_uri == "https://api.example" + origin_form
    expected_path, _, expected_query = origin_form.partition("?")
    assert path(request.target_uri) == expected_path
    assert query(request.target_uri) == (expected_query if "?" in origin_form else None)


def test_configured_scheme_and_authority_are_normalised_once() -> None:
    request = wire("GET /x HTTP/1.1", config_scheme="HTTPS", config_authority="API.Example:443")
    assert request.target_uri == "https://api.example/x"
    request = wire("GET /x HTTP/1.1", config_scheme="http", config_authority="Api.Example:8080")
    assert request.target_uri == "http://api.example:8080/x"


@pytest.mark.parametrize(
    ("absolute_form", "target_uri"),
    [
        ("https://api.example/a?b=1", "https://api.example/a?b=1"),
        ("HTTPS://API.EXAMPLE:443/a", "https://api.example/a"),
        ("https://api.example:0443//x/../y", "https://api.example//x/../y"),
        ("https://api.example", "https://api.example"),
        ("https://api.example?q", "https://api.example?q"),
    ],
)
def test_absolute_form_takes_path_and_query_and_needs_the_configured_authority(
    absolute_form: str, target_uri: str
) -> None:
    request = wire(f"GET {absolute_form} HTTP/1.1")
    assert request.target_uri == target_uri


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("https://evil.example/a", "request_target_authority_mismatch"),
        ("https://api.example:8443/a", "request_target_authority_mismatch"),
        ("https://api.example.evil/a", "request_target_authority_mismatch"),
        ("http://api.example/a", "request_target_scheme_mismatch"),
        ("https://user@api.example/a", "authority_userinfo"),
        ("ftp://api.example/a", "target_uri_scheme"),
        ("*", "request_target_asterisk_form"),
        ("api.example:443", "request_target_authority_form"),
        ("api.example", "request_target_authority_form"),
        ("/a#frag", "request_target_fragment"),
        ("/caf\u00e9", "request_target_characters"),
        ("/a\tb", "request_target_characters"),
        ("/a\x00", "request_target_characters"),
    ],
)
def test_request_target_rejections(target: str, reason: str) -> None:
    assert reason_of(lambda: wire(f"GET {target} HTTP/1.1")) == reason


@pytest.mark.parametrize(
    ("request_line", "reason"),
    [
        ("GET /a HTTP/1.1 extra", "request_line_malformed"),
        ("GET  /a HTTP/1.1", "request_line_malformed"),
        ("GET /a", "request_line_malformed"),
        ("GET /a HTTP/11", "request_line_malformed"),
        ("GET /a http/1.1", "request_line_malformed"),
        ("G(T /a HTTP/1.1", "method_not_token"),
        (" /a HTTP/1.1", "method_not_token"),
        ("GET /a HTTP/1.1\rX", "bare_cr_or_lf"),
        ("GET /a\nHTTP/1.1", "bare_cr_or_lf"),
        ("GET /a HTTP/1.1\r\n\r\n", "bare_cr_or_lf"),
    ],
)
def test_request_line_rejections(request_line: str, reason: str) -> None:
    assert reason_of(lambda: wire(request_line)) == reason


def test_method_case_is_kept() -> None:
    assert wire("get /a HTTP/1.1").method == "get"
    assert wire("PoSt /a HTTP/1.0").method == "PoSt"


@pytest.mark.parametrize(
    ("config_scheme", "config_authority", "reason"),
    [
        ("ftp", "api.example", "target_uri_scheme"),
        ("https", "", "authority_host"),
        ("https", "api.example:", "authority_port"),
        ("https", "api.example:99999", "authority_port"),
        ("https", "api.example:12a", "authority_port"),
        ("https", "u@api.example", "authority_userinfo"),
        ("https", "api example", "authority_host"),
        ("https", "[::1", "authority_host"),
        ("https", "[::1]x", "authority_host"),
    ],
)
def test_bad_configuration_is_rejected(config_scheme: str, config_authority: str,
                                       reason: str) -> None:
    assert reason_of(
        lambda: wire("GET / HTTP/1.1", config_scheme=config_scheme,
                     config_authority=config_authority)
    ) == reason


# --- request_from_wire: header lines --------------------------------------------------------


def test_header_lines_keep_order_repeats_and_names() -> None:
    request = wire(
        "GET / HTTP/1.1",
        "Host: api.example\r\n",
        "X-Multi: one\r\n",
        "x-multi:two",
        "X-MULTI:   three  \t",
        "X-Empty:",
        "X-Spaces:   ",
    )
    assert request.headers == (
        ("Host", "api.example"),
        ("X-Multi", "one"),
        ("x-multi", "two"),
        ("X-MULTI", "three"),
        ("X-Empty", ""),
        ("X-Spaces", ""),
    )
    assert request.field_lines("x-multi") == ("one", "two", "three")
    assert request.field_lines("X-mUlTi") == ("one", "two", "three")
    assert request.field_lines("x-absent") == ()


def test_internal_whitespace_and_htab_and_obs_text_are_kept() -> None:
    request = wire("GET / HTTP/1.1", "X-A: a  \t b,   c", "X-B: caf\xe9 \xff")
    assert request.field_lines("x-a") == ("a  \t b,   c",)
    assert request.field_lines("x-b") == ("caf\xe9 \xff",)


def test_obs_fold_continuation_is_folded_into_the_previous_value() -> None:
    request = wire(
        "GET / HTTP/1.1",
        "X-Fold: first  \r\n",
        "   second\r\n",
        "\t third \r\n",
        "X-Next: n",
    )
    assert request.field_lines("x-fold") == ("first second third",)
    assert request.field_lines("x-next") == ("n",)


@pytest.mark.parametrize(
    ("header_lines", "reason"),
    [
        (["  continuation first"], "obs_fold_without_field"),
        (["NoColonHere"], "header_line_without_colon"),
        (["X-A : v"], "field_name_not_token"),
        (["X A: v"], "field_name_not_token"),
        ([": v"], "field_name_not_token"),
        (["X-\u00e9: v"], "field_name_not_token"),
        (["X-A: v\x00w"], "field_value_control_character"),
        (["X-A: v\x01"], "field_value_control_character"),
        (["X-A: v\x7f"], "field_value_control_character"),
        (["X-A: v\rw"], "bare_cr_or_lf"),
        (["X-A: v\nw"], "bare_cr_or_lf"),
        (["X-A: v\r\nX-B: w"], "bare_cr_or_lf"),
        (["X-A: v", " w\x00"], "field_value_control_character"),
        (["X-A: \u20ac"], "field_value_not_octets"),
    ],
)
def test_header_line_rejections(header_lines: list[str], reason: str) -> None:
    assert reason_of(lambda: wire("GET / HTTP/1.1", *header_lines)) == reason


def test_header_lines_must_be_a_sequence_of_str() -> None:
    assert reason_of(
        lambda: request_from_wire("GET / HTTP/1.1", "Host: x", None, scheme="https",
                                  authority="x")
    ) == "header_line_type"
    assert reason_of(
        lambda: request_from_wire("GET / HTTP/1.1", [b"Host: x"], None,  # type: ignore[list-item]
                                  scheme="https", authority="x")
    ) == "header_line_type"


def test_body_is_kept_and_none_differs_from_empty() -> None:
    assert wire("POST / HTTP/1.1", body=b"").body == b""
    assert wire("POST / HTTP/1.1").body is None
    assert wire("POST / HTTP/1.1", body=b"\x00\xff").body == b"\x00\xff"


# --- the target-URI helpers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("target_uri", "expected_authority"),
    [
        ("https://API.Example/a", "api.example"),
        ("https://api.example:443/a", "api.example"),
        ("https://api.example:80/a", "api.example:80"),
        ("http://api.example:80/a", "api.example"),
        ("http://api.example:443/a", "api.example:443"),
        ("https://api.example:8443/a", "api.example:8443"),
        ("https://api.example:00443/a", "api.example"),
        ("https://api.example.:443/a", "api.example."),
        ("https://[::1]:8080/a", "[::1]:8080"),
        ("https://[::1]:443/a", "[::1]"),
        ("https://[2001:DB8::A]/a", "[2001:db8::a]"),
        ("https://[::ffff:192.0.2.1]/", "[::ffff:192.0.2.1]"),
        ("https://192.0.2.1:443", "192.0.2.1"),
        ("https://xn--caf-dma.example?q", "xn--caf-dma.example"),
    ],
)
def test_authority_lowercases_host_and_drops_default_port(target_uri: str,
                                                          expected_authority: str) -> None:
    assert authority(target_uri) == expected_authority


@pytest.mark.parametrize(
    ("target_uri", "expected_path", "expected_query"),
    [
        ("https://a.example", "/", None),
        ("https://a.example?", "/", ""),
        ("https://a.example/?", "/", ""),
        ("https://a.example/p?a=1&b", "/p", "a=1&b"),
        ("https://a.example/p/../q/./%2E%2e?x=%2D", "/p/../q/./%2E%2e", "x=%2D"),
        ("https://a.example//double//slash", "//double//slash", None),
        ("https://a.example/p?q?r", "/p", "q?r"),
    ],
)
def test_path_and_query_are_read_without_normalisation(target_uri: str, expected_path: str,
                                                       expected_query: str | None) -> None:
    assert path(target_uri) == expected_path
    assert query(target_uri) == expected_query


def test_scheme_is_lowercase() -> None:
    assert scheme("HTTPS://a.example/") == "https"
    assert scheme("Http://a.example/") == "http"


@pytest.mark.parametrize(
    ("target_uri", "reason"),
    [
        ("/relative", "target_uri_not_absolute"),
        ("https:/a.example/", "target_uri_not_absolute"),
        ("1http://a.example/", "target_uri_scheme"),
        ("https://a.example/#f", "target_uri_fragment"),
        ("https://a.example/a b", "target_uri_characters"),
        ("https://a.example/\n", "target_uri_characters"),
        ("https://a.example/caf\u00e9", "target_uri_characters"),
        ("https:///path", "authority_host"),
        ("https://a.example:65536/", "authority_port"),
        ("https://a%2Eb.example/", "authority_host"),
    ],
)
def test_target_uri_rejections(target_uri: str, reason: str) -> None:
    assert reason_of(lambda: authority(target_uri)) == reason
    assert reason_of(lambda: Request("GET", target_uri)) == reason


# --- the Request value ----------------------------------------------------------------------


def test_request_is_frozen_and_with_header_appends() -> None:
    request = Request("GET", "https://a.example/", (("A", "1"),))
    extended = request.with_header("a", "2")
    assert extended.headers == (("A", "1"), ("a", "2"))
    assert request.headers == (("A", "1"),)
    assert extended.field_lines("A") == ("1", "2")
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.method = "POST"  # type: ignore[misc]


def test_field_lines_lowercases_ascii_only() -> None:
    request = Request("GET", "https://a.example/", (("k", "v"),))
    # KELVIN SIGN lowercases to "k" with str.lower(); it is not a token, so it is rejected.
    assert reason_of(lambda: request.field_lines("\u212a")) == "field_name_not_token"
    assert request.field_lines("K") == ("v",)


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        (("G T", "https://a.example/"), "method_not_token"),
        (("", "https://a.example/"), "method_not_token"),
        ((b"GET", "https://a.example/"), "method_type"),
        (("GET", b"https://a.example/"), "target_uri_type"),
        (("GET", "https://a.example/", [("a", "b")]), "headers_type"),
        (("GET", "https://a.example/", (("a", "b", "c"),)), "headers_type"),
        (("GET", "https://a.example/", (("a", 1),)), "headers_type"),
        (("GET", "https://a.example/", (("a b", "v"),)), "field_name_not_token"),
        (("GET", "https://a.example/", (), "body"), "body_type"),
    ],
)
def test_request_validates_its_fields(arguments: tuple[object, ...], reason: str) -> None:
    assert reason_of(lambda: Request(*arguments)) == reason  # type: ignore[arg-type]


def test_is_token() -> None:
    assert is_token("!#$%&'*+-.^_`|~09azAZ")
    assert not is_token("")
    assert not is_token("a:b")
    assert not is_token("a\u00e9")


_LINE_TEXT = st.text(alphabet=st.characters(max_codepoint=0x17F), max_size=40)


@settings(max_examples=150, deadline=None)
@given(request_target=_LINE_TEXT, header_line=_LINE_TEXT)
def test_arbitrary_wire_input_gives_a_request_or_a_typed_error(request_target: str,
                                                                header_line: str) -> None:
    try:
        request = wire(f"GET {request_target} HTTP/1.1", header_line)
    except Erc8128Error as error:
        assert isinstance(error, MessageComponentError)
        assert error.reason
        return
    # What was accepted is unchanged text: an origin-form target verbatim, CR/LF-free values.
    if request_target.startswith("/"):
        assert request.target_uri == "https://api.example" + request_target
    else:
        assert request.target_uri.startswith("https://api.example")
    for name, value in request.headers:
        assert is_token(name)
        assert "\r" not in value
        assert "\n" not in value
