"""RFC 9651 structured fields: the whole httpwg/structured-field-tests suite, properties, totality.

Every case of the vendored suite (vectors/third_party/structured-field-tests, see its
PROVENANCE.md) is its own test id ``<file>::<name>``. Semantics, from the suite's README:
``raw`` lines are combined and parsed as ``header_type``; ``must_fail`` must raise
StructuredFieldError; ``can_fail`` may fail or give ``expected``; on success the value equals
``expected`` and serialises to ``canonical`` (or ``raw``). Serialisation cases serialise
``expected`` to ``canonical[0]``, or must fail.
"""

import base64
import binascii
import decimal
import hashlib
import json
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erc8128.errors import Erc8128Error, StructuredFieldError

try:  # mnot's http-sf: an independent RFC 9651 implementation, a test-only cross-check
    import http_sf  # type: ignore[import-not-found, unused-ignore]
except ImportError:  # pragma: no cover
    http_sf = None
from erc8128.http import structured_fields as sf
from erc8128.http.sf_json import from_json_form, to_json_form
from erc8128.http.structured_fields import (
    MAX_INTEGER,
    combine_field_lines,
    duplicate_keys,
    get_param,
    parse_dictionary,
    parse_field,
    parse_item,
    parse_list,
    serialize_bare_item,
    serialize_dictionary,
    serialize_inner_list,
    serialize_item,
    serialize_list,
    serialize_parameters,
)

SUITE = (
    Path(__file__).resolve().parents[2] / "vectors" / "third_party" / "structured-field-tests"
)
PARSE_FILES = sorted(SUITE.glob("*.json"))
SERIALISE_FILES = sorted((SUITE / "serialisation-tests").glob("*.json"))

# Counts stated by the suite's provenance record (SOURCES.md): nothing may be silently dropped.
EXPECTED_PARSE_FILES = 20
EXPECTED_PARSE_CASES = 1591
EXPECTED_SERIALISE_FILES = 4
EXPECTED_SERIALISE_CASES = 544


def _load(path: Path) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads(
        path.read_text(encoding="utf-8"), parse_float=decimal.Decimal
    )
    return cases


def _cases(files: list[Path]) -> list[Any]:
    params = []
    for path in files:
        for position, case in enumerate(_load(path)):
            case_id = f"{path.relative_to(SUITE).as_posix()}::{position}:{case['name']}"
            params.append(pytest.param(case, id=case_id))
    return params


PARSE_CASES = _cases(PARSE_FILES)
SERIALISE_CASES = _cases(SERIALISE_FILES)


def typed(value: object) -> object:
    """A comparison key that keeps bool, int, Decimal and str apart (True == 1 in Python)."""
    if isinstance(value, sf.Item):
        return ("item", typed(value.value), typed(value.params))
    if isinstance(value, sf.InnerList):
        return ("inner", tuple(typed(item) for item in value.items), typed(value.params))
    if isinstance(value, tuple):
        return ("seq", tuple(typed(entry) for entry in value))
    return (type(value).__name__, value)


def _serialise(value: sf.Item | sf.SFList | sf.Dictionary, header_type: str) -> str:
    if header_type == "item":
        assert isinstance(value, sf.Item)
        return serialize_item(value)
    if header_type == "list":
        return serialize_list(value)  # type: ignore[arg-type]
    return serialize_dictionary(value)  # type: ignore[arg-type]


def _canonical_text(lines: list[str]) -> str:
    # README: "The canonical form of a List or Dictionary with no members is an empty array".
    assert len(lines) <= 1
    return lines[0] if lines else ""


# ---------------------------------------------------------------------------------------------
# The suite
# ---------------------------------------------------------------------------------------------


def test_suite_counts() -> None:
    assert len(PARSE_FILES) == EXPECTED_PARSE_FILES
    assert len(PARSE_CASES) == EXPECTED_PARSE_CASES
    assert len(SERIALISE_FILES) == EXPECTED_SERIALISE_FILES
    assert len(SERIALISE_CASES) == EXPECTED_SERIALISE_CASES
    ids = [case.id for case in PARSE_CASES + SERIALISE_CASES]
    assert len(set(ids)) == len(ids)


def test_vendored_copy_matches_provenance() -> None:
    listed = {}
    for line in (SUITE / "PROVENANCE.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip(" `") for cell in line.strip("|").split("|")]
        if len(cells) == 2 and len(cells[1]) == 64:
            listed[cells[0]] = cells[1]
    on_disk = {
        path.relative_to(SUITE).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in SUITE.rglob("*")
        if path.is_file() and path.name != "PROVENANCE.md"
    }
    assert listed == on_disk


@pytest.mark.parametrize("case", PARSE_CASES)
def test_parse_case(case: dict[str, Any]) -> None:
    header_type: sf.HeaderType = case["header_type"]
    raw: list[str] = case["raw"]
    if case.get("must_fail"):
        with pytest.raises(StructuredFieldError):
            parse_field(header_type, raw)
        return
    try:
        parsed = parse_field(header_type, raw)
    except StructuredFieldError:
        assert case.get("can_fail"), "parse failed on a case that must parse"
        return
    expected = from_json_form(case["expected"], header_type)
    assert typed(parsed) == typed(expected)
    canonical = _canonical_text(case.get("canonical", raw))
    assert _serialise(parsed, header_type) == canonical
    assert _serialise(expected, header_type) == canonical
    # The canonical text parses back to the same value (a fixed point).
    assert typed(parse_field(header_type, [canonical])) == typed(parsed)


@pytest.mark.parametrize("case", SERIALISE_CASES)
def test_serialise_case(case: dict[str, Any]) -> None:
    header_type: sf.HeaderType = case["header_type"]
    value = from_json_form(case["expected"], header_type)
    if case.get("must_fail"):
        with pytest.raises(StructuredFieldError):
            _serialise(value, header_type)
        return
    assert _serialise(value, header_type) == _canonical_text(case["canonical"])


# Decisions where the suite allows either answer (can_fail): this implementation parses them.
CAN_FAIL_ACCEPTED = [
    ("binary.json", "bad padding"),
    ("binary.json", "non-zero pad bits"),
    ("date.json", "syntactic max date - 999,999,999,999,999"),
    ("date.json", "syntactic min date - -999,999,999,999,999"),
    ("display-string.json", "two lines display string"),
    ("string.json", "two lines string"),
]


def test_can_fail_decisions_are_the_documented_ones() -> None:
    can_fail = [
        (path.name, case["name"])
        for path in PARSE_FILES
        for case in _load(path)
        if case.get("can_fail")
    ]
    assert sorted(can_fail) == sorted(CAN_FAIL_ACCEPTED)
    for file_name, name in CAN_FAIL_ACCEPTED:
        (case,) = [case for case in _load(SUITE / file_name) if case["name"] == name]
        parsed = parse_field(case["header_type"], case["raw"])
        assert typed(parsed) == typed(from_json_form(case["expected"], case["header_type"]))


# ---------------------------------------------------------------------------------------------
# Targeted behaviour
# ---------------------------------------------------------------------------------------------


def test_duplicate_dictionary_key_is_last_wins_at_first_position() -> None:
    parsed = parse_dictionary("a=1, b=2, a=3")
    assert typed(parsed) == typed((("a", sf.Item(3)), ("b", sf.Item(2))))


def test_duplicate_parameter_key_is_last_wins_at_first_position() -> None:
    parsed = parse_item("x;a=1;b=2;a=3")
    assert parsed.params == (("a", 3), ("b", 2))


@pytest.mark.parametrize(
    ("header_type", "field", "offset"),
    [
        ("dictionary", "a=1, b=2, a=3", 10),
        ("dictionary", 'sig=("@method");created=1;created=2', 26),
        ("list", "(a b);k=1;k", 10),
        ("list", "a, b;x=1;x=2", 9),
        ("item", "t;q;q", 4),
        ("list", '("@a";p;p)', 8),
    ],
)
def test_reject_duplicates(header_type: sf.HeaderType, field: str, offset: int) -> None:
    parse = {"item": parse_item, "list": parse_list, "dictionary": parse_dictionary}[header_type]
    parse(field)  # last-wins parse succeeds
    with pytest.raises(StructuredFieldError) as raised:
        parse(field, reject_duplicates=True)
    assert raised.value.reason == "duplicate_key"
    assert raised.value.offset == offset
    found = duplicate_keys(field, header_type)
    assert [found_offset for _, found_offset in found] == [offset]


def test_same_key_in_different_scopes_is_not_a_duplicate() -> None:
    field = "a=(x;k=1 y;k=2);k=3, b;k"
    parse_dictionary(field, reject_duplicates=True)
    assert duplicate_keys(field, "dictionary") == ()


def test_get_param() -> None:
    params: sf.Parameters = (("created", 1700000000), ("keyid", "erc8128:1:0xabc"))
    assert get_param(params, "created") == 1700000000
    assert get_param(params, "keyid") == "erc8128:1:0xabc"
    assert get_param(params, "expires") is None


def test_combine_field_lines() -> None:
    assert combine_field_lines(["a", "b"]) == "a, b"
    assert combine_field_lines([]) == ""
    assert combine_field_lines(["1", "", "42"]) == "1, , 42"
    with pytest.raises(StructuredFieldError):
        combine_field_lines("a")
    with pytest.raises(StructuredFieldError):
        combine_field_lines([b"a"])  # type: ignore[list-item]


def test_empty_fields() -> None:
    assert parse_list("") == ()
    assert parse_dictionary("   ") == ()
    assert parse_field("list", []) == ()
    with pytest.raises(StructuredFieldError):
        parse_item("")
    with pytest.raises(StructuredFieldError):
        parse_field("item", [])


def test_unknown_header_type() -> None:
    with pytest.raises(StructuredFieldError):
        parse_field("string", ["1"])  # type: ignore[arg-type]


def test_max_length() -> None:
    assert parse_list("a, b", max_length=4) == (sf.Item(sf.Token("a")), sf.Item(sf.Token("b")))
    with pytest.raises(StructuredFieldError) as raised:
        parse_list("a, b", max_length=3)
    assert raised.value.reason == "field_too_long"


@pytest.mark.parametrize(
    ("field", "offset"),
    [
        ("ü", 0),
        ("a=1, ", 5),
        ("a=1,,b=2", 4),
        ('eth=("@method"', 14),
        ('eth=("@method);created=1', 24),
        ('s=("@authority""@method")', 15),
        ('s=("@authority"\t"@path")', 15),
        ('sig=("@method");keyid="k" junk', 26),
        ("x=12345678901234567", 17),
        ("x=1.2345", 7),
        ("x=:aGVsbG8:", -2),
    ],
)
def test_error_offsets(field: str, offset: int) -> None:
    if offset == -2:
        parse_dictionary(field)  # accepted: missing padding (RFC 9651 §4.2.7 SHOULD NOT fail)
        return
    with pytest.raises(StructuredFieldError) as raised:
        parse_dictionary(field)
    assert raised.value.offset == offset
    assert "expected" in raised.value.message


@pytest.mark.parametrize(
    "text",
    [
        ":aGVsbG8==:",
        ":aGVsbG8===:",
        ":a:",
        ":aGVsb:",
        ":=:",
        ":aGVs\nbG8=:",
        ":aGVs bG8=:",
        ":a-_b:",
    ],
)
def test_byte_sequence_rejects(text: str) -> None:
    with pytest.raises(StructuredFieldError):
        parse_item(text)


def test_byte_sequence_against_stdlib_strict_decoder() -> None:
    for data in [b"", b"\x00", b"ab", b"abc", bytes(range(256))]:
        text = base64.b64encode(data).decode()
        assert parse_item(f":{text}:").value == data
        assert parse_item(f":{text.rstrip('=')}:").value == data


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (decimal.Decimal("0.0005"), "0.0"),
        (decimal.Decimal("0.0015"), "0.002"),
        (decimal.Decimal("-0.0005"), "0.0"),
        (decimal.Decimal("-0.0"), "0.0"),
        (decimal.Decimal("999999999999.9994"), "999999999999.999"),
        (decimal.Decimal("1E+2"), "100.0"),
        (decimal.Decimal("1.10"), "1.1"),
    ],
)
def test_decimal_serialisation(value: decimal.Decimal, text: str) -> None:
    assert serialize_bare_item(value) == text


@pytest.mark.parametrize(
    "value",
    [
        decimal.Decimal("999999999999.9995"),
        decimal.Decimal("1E+100"),
        decimal.Decimal("NaN"),
        decimal.Decimal("Infinity"),
        decimal.Decimal("sNaN"),
        MAX_INTEGER + 1,
        -MAX_INTEGER - 1,
        sf.Date(MAX_INTEGER + 1),
        sf.Date(True),
        "\x7f",
        "é",
        sf.Token(""),
        sf.Token("1a"),
        sf.Token("a b"),
        sf.DisplayString("\ud800"),
        1.5,
        None,
        bytearray(b"x"),
    ],
)
def test_serialise_rejects(value: Any) -> None:
    with pytest.raises(StructuredFieldError):
        serialize_bare_item(value)


def test_decimal_serialisation_ignores_the_callers_decimal_context() -> None:
    with decimal.localcontext() as context:
        context.prec = 2
        context.rounding = decimal.ROUND_DOWN
        assert serialize_bare_item(decimal.Decimal("123.4565")) == "123.456"
        assert serialize_bare_item(decimal.Decimal("123.4575")) == "123.458"
        assert parse_item("-123.456").value == decimal.Decimal("-123.456")


@pytest.mark.parametrize(
    "value",
    [
        (("a", 1), ("a", 2)),
        (("A", 1),),
        (("", 1),),
        (("1a", 1),),
        ((1, 1),),
        (("a",),),
        "a=1",
    ],
)
def test_serialise_parameters_rejects(value: Any) -> None:
    with pytest.raises(StructuredFieldError):
        serialize_parameters(value)
    as_dictionary = tuple((entry[0], sf.Item(1)) for entry in value if len(entry) == 2)
    if isinstance(value, str) or len(as_dictionary) == len(value):
        with pytest.raises(StructuredFieldError):
            serialize_dictionary(as_dictionary if as_dictionary else value)


def test_serialise_rejects_wrong_shapes() -> None:
    for bad in [(1,), (sf.Item(1), "x"), "x", None]:
        with pytest.raises(StructuredFieldError):
            serialize_list(bad)  # type: ignore[arg-type]
    with pytest.raises(StructuredFieldError):
        serialize_inner_list(sf.Item(1))  # type: ignore[arg-type]
    with pytest.raises(StructuredFieldError):
        serialize_inner_list(sf.InnerList((sf.InnerList(()),)))  # type: ignore[arg-type]
    with pytest.raises(StructuredFieldError):
        serialize_item(sf.InnerList(()))  # type: ignore[arg-type]
    with pytest.raises(StructuredFieldError):
        serialize_dictionary((("a", 1),))  # type: ignore[arg-type]


def test_dictionary_boolean_true_members() -> None:
    dictionary: sf.Dictionary = (
        ("a", sf.Item(True)), ("b", sf.Item(True, (("q", 1),))), ("c", sf.Item(False))
    )
    assert serialize_dictionary(dictionary) == "a, b;q=1, c=?0"
    assert typed(parse_dictionary("a, b;q=1, c=?0")) == typed(dictionary)


def test_signature_input_shape() -> None:
    field = (
        'eth=("@method" "@authority" "@path" "content-digest");created=1700000000;'
        'expires=1700000060;nonce="n-1";keyid="erc8128:1:0x7e5f4552091a69125d5dfcb7b8c2659029395bdf"'
    )
    ((label, member),) = parse_dictionary(field, reject_duplicates=True)
    assert label == "eth"
    assert isinstance(member, sf.InnerList)
    assert [item.value for item in member.items] == [
        "@method",
        "@authority",
        "@path",
        "content-digest",
    ]
    assert get_param(member.params, "created") == 1700000000
    assert serialize_dictionary(((label, member),)) == field


def test_non_str_input_is_rejected() -> None:
    for bad in [b"a", None, 1]:
        with pytest.raises(StructuredFieldError):
            parse_item(bad)  # type: ignore[arg-type]


def test_errors_are_erc8128_errors() -> None:
    with pytest.raises(Erc8128Error) as raised:
        parse_item("?2")
    assert raised.value.reason == "structured_field"
    assert raised.value.offset == 1


# ---------------------------------------------------------------------------------------------
# Huge and deeply nested inputs: linear, no recursion
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("parse", [parse_item, parse_list, parse_dictionary])
@pytest.mark.parametrize(
    "field",
    [
        "(" * 100_000,
        "," * 1_000_000,
        "a=" + "(" * 100_000,
        "(" + "1 " * 200_000,
        '"' + "a" * 1_000_000,
        ":" + "A" * 1_000_000,
        '%"' + "%20" * 300_000,
        "a;" * 300_000,
        "a" + ";a" * 300_000 + "=",
    ],
    ids=[
        "parens",
        "commas",
        "dict-parens",
        "open-inner-list",
        "open-string",
        "open-bytes",
        "open-display",
        "params",
        "dup-params",
    ],
)
def test_huge_inputs_fail_cleanly(parse: Any, field: str) -> None:
    with pytest.raises(StructuredFieldError):
        parse(field)


def test_large_valid_inputs() -> None:
    members = ", ".join(f"k{i}=(a b);p={i}" for i in range(20_000))
    assert len(parse_dictionary(members)) == 20_000
    big = bytes(range(256)) * 1000
    assert parse_item(serialize_bare_item(big)).value == big


# ---------------------------------------------------------------------------------------------
# Hypothesis properties
# ---------------------------------------------------------------------------------------------

_LCALPHA = "abcdefghijklmnopqrstuvwxyz"
_TCHAR = _LCALPHA + _LCALPHA.upper() + "0123456789!#$%&'*+-.^_`|~"

keys = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from(_LCALPHA + "*"),
    st.text(alphabet=_LCALPHA + "0123456789_-.*", max_size=6),
)
integers = st.integers(min_value=-MAX_INTEGER, max_value=MAX_INTEGER)
decimals = st.builds(
    lambda units, thousandths: decimal.Decimal(units) + decimal.Decimal(thousandths).scaleb(-3),
    st.integers(min_value=-(10**12) + 1, max_value=10**12 - 1),
    st.integers(min_value=0, max_value=999),
).filter(lambda d: abs(d) < 10**12)
strings = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20)
tokens = st.builds(
    lambda first, rest: sf.Token(first + rest),
    st.sampled_from(_LCALPHA + _LCALPHA.upper() + "*"),
    st.text(alphabet=_TCHAR + ":/", max_size=10),
)
bare_items: st.SearchStrategy[sf.BareItem] = st.one_of(
    integers,
    decimals,
    strings,
    tokens,
    st.binary(max_size=20),
    st.booleans(),
    st.builds(sf.Date, integers),
    st.builds(sf.DisplayString, st.text(max_size=10)),
)


def _unique(pairs: list[tuple[str, Any]]) -> tuple[tuple[str, Any], ...]:
    return tuple(dict(pairs).items())


parameters = st.lists(st.tuples(keys, bare_items), max_size=3).map(_unique)
items = st.builds(sf.Item, bare_items, parameters)
inner_lists = st.builds(sf.InnerList, st.lists(items, max_size=3).map(tuple), parameters)
members: st.SearchStrategy[sf.Member] = st.one_of(items, inner_lists)
sf_lists = st.lists(members, max_size=4).map(tuple)
dictionaries = st.lists(st.tuples(keys, members), max_size=4).map(_unique)


def _canonical(value: Any) -> Any:
    """Decimals with trailing zeros compare equal anyway; typed() keeps the types apart."""
    return typed(value)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(items)
def test_item_round_trip(item: sf.Item) -> None:
    text = serialize_item(item)
    parsed = parse_item(text, reject_duplicates=True)
    assert _canonical(parsed) == _canonical(item)
    assert serialize_item(parsed) == text


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(sf_lists)
def test_list_round_trip(members_: sf.SFList) -> None:
    text = serialize_list(members_)
    parsed = parse_list(text, reject_duplicates=True)
    assert _canonical(parsed) == _canonical(members_)
    assert serialize_list(parsed) == text


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(dictionaries)
def test_dictionary_round_trip(dictionary: sf.Dictionary) -> None:
    text = serialize_dictionary(dictionary)
    parsed = parse_dictionary(text, reject_duplicates=True)
    assert _canonical(parsed) == _canonical(dictionary)
    assert serialize_dictionary(parsed) == text


@settings(max_examples=100)
@given(sf_lists)
def test_json_form_round_trip(members_: sf.SFList) -> None:
    assert typed(from_json_form(to_json_form(members_), "list")) == typed(members_)
    json.dumps(to_json_form(members_))


_SF_ASCII = ' \t,;=()"\\:?@%*-.0123456789abcAZ/!+\x00\x7f'
_SF_ASCII_ALPHABET = st.sampled_from(list(_SF_ASCII))
_SF_ALPHABET = st.sampled_from([*_SF_ASCII, "é", "\u0100"])


def _only_structured_field_errors(text: str) -> None:
    for parse in (parse_item, parse_list, parse_dictionary):
        for reject in (False, True):
            try:
                value = parse(text, reject_duplicates=reject)
            except StructuredFieldError as error:
                assert error.offset >= 0 or error.reason != "structured_field"
                continue
            # What parses serialises, and that serialisation is a fixed point.
            serialise = {parse_item: serialize_item, parse_list: serialize_list}.get(
                parse, serialize_dictionary
            )
            canonical = serialise(value)
            assert serialise(parse(canonical)) == canonical


@settings(max_examples=200)
@given(st.text(alphabet=_SF_ALPHABET, max_size=40))
def test_grammar_alphabet_text_raises_only_structured_field_error(text: str) -> None:
    _only_structured_field_errors(text)


@settings(max_examples=150)
@given(st.text(max_size=40))
def test_arbitrary_text_raises_only_structured_field_error(text: str) -> None:
    _only_structured_field_errors(text)


@settings(max_examples=150)
@given(st.binary(max_size=40))
def test_arbitrary_latin1_bytes_raise_only_structured_field_error(data: bytes) -> None:
    _only_structured_field_errors(data.decode("latin-1"))


@settings(max_examples=100)
@given(dictionaries, st.integers(min_value=0, max_value=200))
def test_mutated_serialisations_raise_only_structured_field_error(
    dictionary: sf.Dictionary, cut: int
) -> None:
    text = serialize_dictionary(dictionary)
    _only_structured_field_errors(text[:cut])
    _only_structured_field_errors(text[cut:])


# ---------------------------------------------------------------------------------------------
# Differential: the independent http-sf implementation accepts and rejects the same texts and
# gives the same canonical serialisation
# ---------------------------------------------------------------------------------------------

_PIECES = st.sampled_from(
    [
        "a=",
        "b",
        "(",
        ")",
        '"x"',
        '"\\"',
        ":aGk=:",
        ":aGk:",
        ":iZ==:",
        "?1",
        "?2",
        "@12",
        "@-1.5",
        '%"a%c3%bc"',
        '%"%C3"',
        "1.5",
        "-0",
        "1.2345",
        ";k=1",
        ";k",
        ";K",
        ", ",
        ",",
        " ",
        "\t",
        "12345678901234567",
        "-",
        "*",
        "tok/en:x",
        "=",
        "\x00",
        "\x7f",
    ]
)


def _http_sf_canonical(text: str, header_type: str) -> str | None:
    try:
        value = http_sf.parse(text.encode("ascii"), tltype=header_type)
    except http_sf.StructuredFieldError:
        return None
    # http-sf refuses to serialise an empty List or Dictionary (the field is omitted).
    return str(http_sf.ser(value)) if value or header_type == "item" else ""


@pytest.mark.skipif(http_sf is None, reason="http-sf (test extra) is not installed")
@settings(max_examples=300)
@given(
    st.one_of(
        st.lists(_PIECES, max_size=7).map("".join),
        st.text(alphabet=_SF_ASCII_ALPHABET, max_size=14),
    )
)
def test_agrees_with_http_sf(text: str) -> None:
    ours = {
        "item": (parse_item, serialize_item),
        "list": (parse_list, serialize_list),
        "dictionary": (parse_dictionary, serialize_dictionary),
    }
    for header_type, (parse, serialise) in ours.items():
        try:
            canonical: str | None = serialise(parse(text))  # type: ignore[operator]
        except StructuredFieldError:
            canonical = None
        assert canonical == _http_sf_canonical(text, header_type), header_type


# ---------------------------------------------------------------------------------------------
# Independent references for the two places where arithmetic or decoding happens
# ---------------------------------------------------------------------------------------------


@settings(max_examples=200)
@given(st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**13), max_value=10**13))
def test_decimal_rounding_matches_fraction_round_half_even(value: decimal.Decimal) -> None:
    # Python's round() on a Fraction rounds half to even: an independent reference.
    rounded = round(Fraction(value), 3)
    if abs(rounded) >= 10**12:
        with pytest.raises(StructuredFieldError):
            serialize_bare_item(value)
        return
    text = serialize_bare_item(value)
    assert Fraction(decimal.Decimal(text)) == rounded
    integer_part, fraction_part = text.lstrip("-").split(".")
    assert 1 <= len(integer_part) <= 12
    assert 1 <= len(fraction_part) <= 3
    assert fraction_part == "0" or not fraction_part.endswith("0")
    assert text.startswith("-") == (rounded < 0)


@settings(max_examples=300)
@given(st.text(alphabet="AQgwaGVsbG8+/=", max_size=12))
def test_byte_sequence_matches_strict_base64(content: str) -> None:
    try:
        strict: bytes | None = base64.b64decode(content, validate=True)
    except binascii.Error:
        strict = None
    try:
        ours: bytes | None = parse_item(f":{content}:").value  # type: ignore[assignment]
    except StructuredFieldError:
        ours = None
    if strict is not None and len(content) % 4 == 0:
        assert ours == strict  # correctly padded base64 always parses, to the same bytes
    if ours is not None:
        padded = content + "=" * (-len(content) % 4)
        assert ours == base64.b64decode(padded, validate=True)
        assert "=" not in content.rstrip("=")


# -- the compiled character classes of the hot loops are the frozensets, exactly ----------------


def test_compiled_character_classes_match_the_frozensets() -> None:
    octets = [chr(code) for code in range(256)] + ["\u212a", "\u0131", "\uff10"]
    for char in octets:
        assert (sf._KEY_PATTERN.fullmatch(char) is not None) == (char in sf._KEY_FIRST)
        assert (sf._KEY_PATTERN.fullmatch("a" + char) is not None) == (char in sf._KEY_CHAR)
        assert (sf._TOKEN_PATTERN.fullmatch(char) is not None) == (char in sf._TOKEN_FIRST)
        assert (sf._TOKEN_PATTERN.fullmatch("a" + char) is not None) == (char in sf._TOKEN_CHAR)
        assert (sf._BASE64_RUN.fullmatch(char) is not None) == (char in sf._BASE64_CHAR)
        printable = " " <= char <= "~"
        assert (sf._PRINTABLE_ASCII.fullmatch(char) is not None) == printable
        unescaped = printable and char not in '"\\'
        assert (sf._UNESCAPED_RUN.fullmatch(char) is not None) == unescaped
        assert (sf._SHORT_INTEGER.fullmatch(char) is not None) == (char in sf._DIGIT)


@pytest.mark.parametrize(
    "text",
    ["1", "-0", "999999999999999", "-999999999999999", "1234567890123456", "12.5", "1.",
     "123456789012.123", "0.0", "-", "1a", "12;a=1", "007"],
)
def test_short_integer_fast_path_agrees_with_the_loop(text: str) -> None:
    def slow(value: str) -> Any:
        original = sf._SHORT_INTEGER
        sf._SHORT_INTEGER = re.compile(r"(?!)")  # never matches: the loop alone
        try:
            return sf._parse_integer_or_decimal(value, 0)
        except StructuredFieldError as error:
            return ("error", error.message, error.offset)
        finally:
            sf._SHORT_INTEGER = original

    try:
        fast: Any = sf._parse_integer_or_decimal(text, 0)
    except StructuredFieldError as error:
        fast = ("error", error.message, error.offset)
    assert fast == slow(text)


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"[a-z*][a-z0-9_\-.*]{0,5}=:[A-Za-z0-9+/=]{0,12}:?[ ;a-z=,]{0,4}",
                     fullmatch=True))
def test_single_byte_sequence_fast_path_agrees_with_the_general_parser(field: str) -> None:
    # Issue 19: parse_dictionary's shortcut for "key=:base64:" gives what the RFC 9651 path
    # gives, and leaves every error to it.
    general = sf._KeyTracker(reject=False)
    try:
        expected: object = sf._parse_structured_field(
            field, sf._parse_dictionary, general, None)
    except StructuredFieldError as error:
        expected = ("error", error.message)
    try:
        got: object = parse_dictionary(field)
    except StructuredFieldError as error:
        got = ("error", error.message)
    assert got == expected


# -- the Signature-Input shortcut: "label=(...);params" members give what the general path gives --

# Pieces of Signature-Input-like text: the common shape and its near misses (escapes, SP inside
# the parentheses, parameters on items, tokens, Booleans, Decimals, 16-digit and zero-led
# Integers, OWS around commas, a trailing comma, repeated keys, non-ASCII).
_SIGNATURE_INPUT_PIECES = st.sampled_from(
    [
        "sig=", "eth=", "a=", "*x.1-_=", "Sig=", "sig", "(", ")", '"@method"', '"@path"',
        '"content-digest"', '""', '"a\\"b"', '"a\\\\"', " ", "  ", "\t", ";created=1700000000",
        ";expires=1700000060", ";created=-0", ";created=007", ";created=1234567890123456",
        ";created=1.5", ";created=", ';nonce="n0"', ';keyid="eip155:1:0xab"', ';tag="erc8128"',
        ";tag=erc8128", ";flag", ";k=?1", ";k=:aGk=:", ';nonce="x\\"y"', '"@query";sf',
        ", ", ",", " ,\t", ",  ", ";created=1;created=2", "é", '"\u00e9"', "\x7f",
    ]
)


def _general_dictionary(field: str, *, reject: bool = False) -> object:
    """parse_dictionary's result by the general RFC 9651 path alone, or its error."""
    tracker = sf._KeyTracker(reject=reject)
    try:
        return typed(sf._parse_structured_field(
            field, sf._parse_dictionary, tracker, None))
    except StructuredFieldError as error:
        return ("error", error.reason, error.message, error.offset)


def _plain_signature_input(
    members_: list[tuple[str, list[str], list[tuple[str, str | int]]]],
) -> str:
    return ", ".join(
        f"{label}=(" + " ".join(f'"{name}"' for name in names) + ")"
        + "".join(f";{key}={serialize_bare_item(value)}" for key, value in params)
        for label, names, params in members_
    )


_plain_names = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters='"\\'),
    max_size=12,
)
_plain_members = st.lists(
    st.tuples(
        keys,
        st.lists(_plain_names, max_size=8),
        st.lists(st.tuples(keys, st.one_of(integers, _plain_names)), max_size=6),
    ),
    min_size=1,
    max_size=3,
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(
    st.lists(_SIGNATURE_INPUT_PIECES, max_size=12).map("".join),
    _plain_members.map(_plain_signature_input),
))
def test_signature_input_fast_path_agrees_with_the_general_parser(field: str) -> None:
    # Issue 19: the shortcut answers only for the common shape and gives the general path's
    # Dictionary; every other text (errors included) is left to the general path.
    fast = sf._plain_inner_list_members(field, None)
    if fast is not None:
        assert typed(fast) == _general_dictionary(field)
    for reject in (False, True):
        try:
            got: object = typed(parse_dictionary(field, reject_duplicates=reject))
        except StructuredFieldError as error:
            got = ("error", error.reason, error.message, error.offset)
        assert got == _general_dictionary(field, reject=reject)


@settings(max_examples=200, deadline=None)
@given(_plain_members)
def test_signature_input_fast_path_takes_the_common_shape(
    members_: list[tuple[str, list[str], list[tuple[str, str | int]]]],
) -> None:
    field = _plain_signature_input(members_)
    labels = [label for label, _, _ in members_]
    unique = len(set(labels)) == len(labels) and all(
        len({key for key, _ in params}) == len(params) for _, _, params in members_
    )
    fast = sf._plain_inner_list_members(field, None)
    # Repeated keys are the general path's (last wins, or duplicate_key when rejected).
    assert (fast is not None) == unique
    if fast is not None:
        assert typed(fast) == _general_dictionary(field)
        assert serialize_dictionary(fast) == field


def test_signature_input_fast_path_leaves_the_limit_to_the_general_path() -> None:
    field = 'sig=("@method");created=1'
    assert sf._plain_inner_list_members(field, len(field) - 1) is None
    with pytest.raises(StructuredFieldError) as raised:
        parse_dictionary(field, max_length=len(field) - 1)
    assert raised.value.reason == "field_too_long"


_parameter_values = st.one_of(
    bare_items, st.sampled_from(["a\"b", "a\\b", "é", "\x7f", 10**15, -(10**15), 1.5, None]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.one_of(keys, st.sampled_from(["K", "", "1a", "a b"])),
                          _parameter_values), max_size=5))
def test_plain_parameter_serialisation_agrees_with_the_general_path(
    pairs: list[tuple[str, Any]],
) -> None:
    # Issue 19: serialize_parameters' shortcut for String and Integer values writes what the
    # general steps write, and leaves every other value (and every error) to them.
    params = tuple(pairs)
    try:
        expected: object = sf._serialize_parameters(params)
    except StructuredFieldError as error:
        expected = ("error", error.reason, error.message)
    plain = sf._serialize_plain_parameters(params)
    if plain is not None:
        assert plain == expected
    try:
        got: object = serialize_parameters(params)
    except StructuredFieldError as error:
        got = ("error", error.reason, error.message)
    assert got == expected
    common = len({key for key, _ in pairs}) == len(pairs) and all(
        re.fullmatch(r"[a-z*][a-z0-9_\-.*]*", key)
        and (
            (type(value) is int and abs(value) <= MAX_INTEGER)
            or (type(value) is str and re.fullmatch(r'[ !#-\[\]-~]*', value))
        )
        for key, value in pairs
    )
    assert (plain is not None) == common
