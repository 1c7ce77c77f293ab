"""RFC 9421 §2.5 signature bases: the RFC's bases, re-verified with an independent library, the
ERC-8128 example requests, and the base's error rules."""

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from Crypto.Hash import HMAC, SHA256, SHA512, keccak
from Crypto.PublicKey import ECC, RSA
from Crypto.Signature import DSS, eddsa, pkcs1_15, pss
from hypothesis import given, settings
from hypothesis import strategies as st

from erc8128.errors import Erc8128Error, MessageComponentError
from erc8128.http.components import STRUCTURED_FIELD_TYPES
from erc8128.http.message import Request, request_from_wire
from erc8128.http.signature_base import signature_base, signature_base_for_label
from erc8128.http.structured_fields import InnerList, Item, Token, parse_dictionary, parse_list
from tests.support.third_party import third_party_json

ROOT = Path(__file__).resolve().parents[2]
RFC9421 = third_party_json("rfc9421/examples.json")
ERC8128_DRAFT = ROOT / "vectors/third_party/erc8128-draft/test-cases.json"
SLICE_VECTORS = ROOT / "vectors/third_party/slice-erc8128/conformance-vectors.json"


def request_from_rfc_message(message: dict[str, Any]) -> Request:
    """The RFC request through request_from_wire; authority from its Host field, https."""
    header_lines = [f"{name}:{raw_value}\r\n" for name, raw_value in message["headers_raw"]]
    (host,) = [value for name, value in message["headers"] if name.lower() == "host"]
    body = message.get("body")
    return request_from_wire(
        f"{message['method']} {message['request_target']} {message['http_version']}\r\n",
        header_lines,
        None if body is None else body.encode("utf-8"),
        scheme=message.get("scheme", "https"),
        authority=host,
    )


def _b64url_int(text: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), "big")


def rfc_signature_verifies(case: dict[str, Any], base: str) -> bool:
    """Verify the RFC's own signature value over ``base`` with pycryptodome (independent)."""
    key = RFC9421["keys"][case["keyid"]]
    signature_member = dict(parse_dictionary(case["signature_header"]))[case["label"]]
    assert isinstance(signature_member, Item)
    signature = signature_member.value
    assert isinstance(signature, bytes)
    if "signature_b64" in case:
        assert signature == base64.b64decode(case["signature_b64"])
    data = base.encode("ascii")
    algorithm = case["algorithm"]
    try:
        if algorithm == "rsa-pss-sha512":
            public = RSA.construct((_b64url_int(key["jwk"]["n"]), _b64url_int(key["jwk"]["e"])))
            pss.new(public, salt_bytes=64).verify(SHA512.new(data), signature)
        elif algorithm == "rsa-v1_5-sha256":
            public = RSA.construct((_b64url_int(key["jwk"]["n"]), _b64url_int(key["jwk"]["e"])))
            pkcs1_15.new(public).verify(SHA256.new(data), signature)
        elif algorithm == "ecdsa-p256-sha256":
            point = ECC.construct(
                curve="P-256", point_x=_b64url_int(key["jwk"]["x"]),
                point_y=_b64url_int(key["jwk"]["y"]),
            )
            DSS.new(point, "fips-186-3").verify(SHA256.new(data), signature)
        elif algorithm == "ed25519":
            eddsa.new(ECC.import_key(key["public_pem"]), "rfc8032").verify(data, signature)
        elif algorithm == "hmac-sha256":
            secret = base64.b64decode(key["secret_b64"])
            HMAC.new(secret, data, digestmod=SHA256).verify(signature)
        else:
            raise AssertionError(f"no verifier for {algorithm}")
    except ValueError:
        return False
    return True


def _base_cases() -> list[Any]:
    cases: list[Any] = []
    for case in RFC9421["cases"]:
        if case["type"] not in ("signature_base", "signature_validity"):
            continue
        if case["message"]["type"] == "response":
            reason = "response signature: ERC-8128 signs requests only"
            cases.append(
                pytest.param(case, id=f"{case['id']} [skipped: {reason}]",
                             marks=pytest.mark.skip(reason=reason))
            )
            continue
        cases.append(pytest.param(case, id=case["id"]))
    return cases


@pytest.mark.parametrize("case", _base_cases())
def test_rfc9421_signature_base(case: dict[str, Any]) -> None:
    request = request_from_rfc_message(case["message"])
    base = signature_base_for_label(request, case["label"])
    expected = case.get("expected_signature_base")
    if case["type"] == "signature_base" or case["expected_signature_valid"]:
        assert base == expected
        assert not base.endswith("\n")
        member = dict(parse_dictionary(case["signature_input_header"]))[case["label"]]
        assert isinstance(member, InnerList)
        assert signature_base(request, member) == base
    # The RFC's signature must verify over our base exactly when the RFC says it is valid.
    assert rfc_signature_verifies(case, base) is case.get("expected_signature_valid", True)


def test_rfc9421_invalid_variants_differ_from_the_signed_base() -> None:
    by_id = {case["id"]: case for case in RFC9421["cases"]}
    signed = by_id["B.4"]["expected_signature_base"]
    for variant in ("B.4-variant-4", "B.4-variant-5"):
        case = by_id[variant]
        assert case["expected_signature_valid"] is False
        base = signature_base_for_label(request_from_rfc_message(case["message"]), "transform")
        assert base != signed


def test_rfc9421_signature_params_line() -> None:
    (case,) = [case for case in RFC9421["cases"] if case["id"] == "2.3-signature-params"]
    member = InnerList(
        tuple(Item(identifier.strip('"')) for identifier in case["covered_components"]),
        tuple((key, value) for key, value in case["parameters"]),
    )
    request = Request(
        "GET", "https://example.com/", (("Date", "d"), ("Cache-Control", "max-age=60"))
    )
    base = signature_base(request, member)
    assert base.split("\n")[-1] == f'"@signature-params": {case["expected_value"]}'


# --- ERC-8128 example requests (vendored by the ERC-8128 data owners) ------------------------


def _keccak256(data: bytes) -> bytes:
    return keccak.new(data=data, digest_bits=256).digest()


def _erc191_hash(base: str) -> str:
    data = base.encode("ascii")
    prefix = b"\x19Ethereum Signed Message:\n" + str(len(data)).encode("ascii")
    return "0x" + _keccak256(prefix + data).hex()


def test_erc8128_draft_positive_vector_base() -> None:
    vector = json.loads(ERC8128_DRAFT.read_text("utf-8"))["positive"]
    message = vector["request"]
    (host,) = [value for name, value in message["headers"] if name.lower() == "host"]
    request = request_from_wire(
        f"{message['method']} {message['target']} {message['http_version']}",
        [f"{name}: {value}" for name, value in message["headers"]],
        message["body"].encode("utf-8"),
        scheme="https",
        authority=host,
    )
    base = signature_base_for_label(request, vector["label"])
    assert base == vector["signature_base"]
    assert len(base.encode("ascii")) == vector["signature_base_utf8_len"]
    assert _erc191_hash(base) == vector["erc191_hash"]


def test_slice_conformance_vector_bases() -> None:
    vectors = json.loads(SLICE_VECTORS.read_text("utf-8"))["vectors"]
    # The vectors' delegation field is a Dictionary covered with ;sf.
    field_types = {**STRUCTURED_FIELD_TYPES, "erc-8128-delegation": "dictionary"}
    checked = 0
    for vector in vectors:
        message = vector["request"]
        scheme, _, rest = message["url"].partition("://")
        authority = rest.split("/", 1)[0].split("?", 1)[0]
        request = Request(message["method"], message["url"], tuple(message["headers"].items()))
        labels = [label for label, _ in parse_dictionary(message["headers"]["signature-input"])]
        bases = {
            signature_base_for_label(request, label, structured_fields=field_types)
            for label in labels
        }
        assert scheme == "https"
        assert authority == "api.example"
        for key in ("requestSignature", "grantSignature"):
            if key in vector:
                assert vector[key]["signatureBase"] in bases
                assert _erc191_hash(vector[key]["signatureBase"]) == vector[key]["eip191Hash"]
                checked += 1
    assert checked == 5


# --- the base's own rules -------------------------------------------------------------------

REQUEST = Request(
    "POST",
    "https://api.example/p?a=1&b=2",
    (("Content-Type", "application/json"), ("X-Dict", "k=1, j=2")),
)


def members(text: str) -> InnerList:
    (member,) = parse_list(text)
    assert isinstance(member, InnerList)
    return member


def test_lines_are_in_covered_order_and_parameters_in_received_order() -> None:
    base = signature_base(
        REQUEST,
        members('("content-type" "@method" "@query-param";name="b");nonce="n";created=1;alg="x"'),
    )
    assert base == (
        '"content-type": application/json\n'
        '"@method": POST\n'
        '"@query-param";name="b": 2\n'
        '"@signature-params": ("content-type" "@method" "@query-param";name="b")'
        ';nonce="n";created=1;alg="x"'
    )


def test_no_covered_components_gives_only_the_params_line() -> None:
    assert signature_base(REQUEST, members("();created=1")) == '"@signature-params": ();created=1'


def test_same_name_with_different_parameters_is_not_a_duplicate() -> None:
    base = signature_base(
        REQUEST,
        members('("@query-param";name="a" "@query-param";name="b" "x-dict" "x-dict";key="j" '
                '"x-dict";bs)'),
    )
    assert base.count("\n") == 5


@pytest.mark.parametrize(
    "covered",
    [
        '("@method" "@method")',
        '("content-type" "@path" "content-type")',
        '("x-dict";key="k" "x-dict";key="k")',
        '("x-dict";sf "x-dict";sf=?1)',
        '("@query-param";name="a" "@query-param";name="a")',
    ],
)
def test_duplicate_identifiers_are_rejected(covered: str) -> None:
    with pytest.raises(MessageComponentError) as caught:
        signature_base(REQUEST, members(covered), structured_fields={"x-dict": "dictionary"})
    assert caught.value.reason == "component_duplicate"


@pytest.mark.parametrize(
    ("covered", "reason"),
    [
        ('("@signature-params")', "component_signature_params_covered"),
        ('("@method" "@signature-params";req)', "component_signature_params_covered"),
        ("(method)", "component_not_string"),
        ("(1)", "component_not_string"),
        ("(?1)", "component_not_string"),
        ("(:AA==:)", "component_not_string"),
        ('("@method" "x-absent")', "component_absent"),
        ('("@status")', "component_response_only"),
        ('("@unknown")', "component_unknown"),
        ('("@query-param";name="zz")', "query_param_absent"),
    ],
)
def test_base_errors(covered: str, reason: str) -> None:
    with pytest.raises(MessageComponentError) as caught:
        signature_base(REQUEST, members(covered))
    assert caught.value.reason == reason


def test_signature_params_must_be_an_inner_list() -> None:
    with pytest.raises(MessageComponentError) as caught:
        signature_base(REQUEST, Item(Token("x")))  # type: ignore[arg-type]
    assert caught.value.reason == "signature_params_not_inner_list"


def test_non_ascii_parameter_is_rejected() -> None:
    member = InnerList((Item("@method"),), (("nonce", "caf\u00e9"),))
    with pytest.raises(MessageComponentError) as caught:
        signature_base(REQUEST, member)
    assert caught.value.reason == "signature_params_invalid"


# --- signature_base_for_label ---------------------------------------------------------------


def test_for_label_combines_field_lines_and_picks_the_label() -> None:
    request = REQUEST.with_header("Signature-Input", 'a=("@method");created=1').with_header(
        "signature-input", 'b=("@path" "content-type");created=2'
    )
    assert signature_base_for_label(request, "b") == (
        '"@path": /p\n"content-type": application/json\n'
        '"@signature-params": ("@path" "content-type");created=2'
    )
    assert signature_base_for_label(request, "a") == (
        '"@method": POST\n"@signature-params": ("@method");created=1'
    )


def test_for_label_uses_the_last_duplicate_member() -> None:
    # RFC 9651 §4.2.2 last-wins, as ERC-8128 "Duplicate Structured Field keys" expects.
    request = REQUEST.with_header("Signature-Input", 'a=("@method"), a=("@path")')
    assert signature_base_for_label(request, "a").startswith('"@path": /p\n')


@pytest.mark.parametrize(
    ("signature_input", "reason"),
    [
        (None, "signature_input_absent"),
        ('a=("@method")', "signature_label_absent"),
        ("sig=1", "signature_input_member_not_inner_list"),
        ('sig=("@method"', "signature_input_invalid"),
        ('sig=("caf\u00e9")', "signature_input_invalid"),
    ],
)
def test_for_label_errors(signature_input: str | None, reason: str) -> None:
    request = REQUEST if signature_input is None else REQUEST.with_header(
        "Signature-Input", signature_input
    )
    with pytest.raises(MessageComponentError) as caught:
        signature_base_for_label(request, "sig")
    assert caught.value.reason == reason


# --- property: a base is printable ASCII lines, or a documented error -------------------------

_TEXT = st.text(alphabet=st.characters(max_codepoint=0x180), max_size=30)
_COVERED = ('"@method"', '"@authority"', '"@path"', '"@query"', '"@target-uri"',
            '"@request-target"', '"@query-param";name="a"', '"x-a"', '"x-a";bs', '"x-b"')


@settings(max_examples=200, deadline=None)
@given(
    target=_TEXT,
    value_a=_TEXT,
    value_b=_TEXT,
    covered=st.lists(st.sampled_from(_COVERED), min_size=0, max_size=5, unique=True),
)
def test_any_input_gives_printable_ascii_lines_or_a_typed_error(
    target: str, value_a: str, value_b: str, covered: list[str]
) -> None:
    try:
        request = Request("GET", "https://api.example/" + target,
                          (("X-A", value_a), ("x-b", value_b), ("X-A", value_b)))
        base = signature_base(request, members("(" + " ".join(covered) + ");created=1"))
    except Erc8128Error as error:
        assert isinstance(error, MessageComponentError)
        return
    lines = base.split("\n")
    assert len(lines) == len(covered) + 1
    assert lines[-1].startswith('"@signature-params": (')
    for line, identifier in zip(lines, covered, strict=False):
        assert line.startswith(identifier + ": ")
    for line in lines:
        assert all(0x20 <= ord(c) <= 0x7E or c == "\t" for c in line)


# -- checked_identifiers: a verifier's already-checked identifiers give the same base ------------


def test_checked_identifiers_give_the_same_base() -> None:
    from erc8128.http.components import check_component  # noqa: PLC0415

    request = Request(
        "POST", "https://api.example/items?view=full",
        (("Content-Type", "application/json"), ("Content-Digest", "sha-256=:abc=:")), b"{}",
    )
    member = parse_dictionary(
        'sig=("@method" "@authority" "@path" "@query" "content-type" "content-digest";key="sha-256"'
        ' "@query-param";name="view");created=1;expires=2;keyid="k";tag="erc8128"'
    )[0][1]
    assert isinstance(member, InnerList)
    identifiers = [check_component(item) for item in member.items]
    plain = signature_base(request, member)
    assert signature_base(request, member, checked_identifiers=identifiers) == plain
    assert plain.endswith(
        '"@signature-params": ("@method" "@authority" "@path" "@query" "content-type" '
        '"content-digest";key="sha-256" "@query-param";name="view");created=1;expires=2;'
        'keyid="k";tag="erc8128"'
    )
    with pytest.raises(MessageComponentError) as raised:
        signature_base(request, member, checked_identifiers=identifiers[:-1])
    assert raised.value.reason == "checked_identifiers_mismatch"
