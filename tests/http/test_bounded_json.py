"""Deep JSON is refused before json.loads, even where the recursion limit was raised."""

import contextlib
import json
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from erc8128.errors import Erc8128Error
from erc8128.http.bounded_json import (
    MAX_JSON_DEPTH,
    InvalidJson,
    JsonTooDeep,
    check_depth,
    nesting_depth,
    parse_json,
)


@given(st.recursive(st.none() | st.integers() | st.text(),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=3), inner, max_size=3),
                    max_leaves=20))
def test_depth_matches_the_structure(value: object) -> None:
    def depth(v: object) -> int:
        if isinstance(v, list):
            return 1 + max((depth(x) for x in v), default=0)
        if isinstance(v, dict):
            return 1 + max((depth(x) for x in v.values()), default=0)
        return 0

    assert nesting_depth(json.dumps(value)) == depth(value)


def test_brackets_inside_strings_do_not_count() -> None:
    assert nesting_depth('["[[[[", {"{": "]]]"}]') == 2
    assert nesting_depth('"\\"[[[["') == 0


def test_deep_document_refused_under_a_raised_recursion_limit() -> None:
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1_000_000)
    try:
        with pytest.raises(JsonTooDeep):
            check_depth("[" * 500_000 + "]" * 500_000)
    finally:
        sys.setrecursionlimit(limit)
    check_depth("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH)


def test_too_deep_is_an_erc8128_error_with_a_stable_reason() -> None:
    with pytest.raises(Erc8128Error) as caught:
        check_depth("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1))
    assert isinstance(caught.value, JsonTooDeep) and isinstance(caught.value, ValueError)
    assert caught.value.reason == "json_too_deep"
    assert f"at most {MAX_JSON_DEPTH} deep, got {MAX_JSON_DEPTH + 1}" in caught.value.message


@pytest.mark.parametrize("content, fragment", [
    (b'{"n":' + b"9" * 5000 + b"}", "integers of at most 20"),
    (b'{"n":-' + b"9" * 21 + b"}", "integers of at most 20"),
    (b'{"s":"\\ud800"}', "lone surrogate"),
    (b'{"\\udfff":1}', "lone surrogate"),
    (b'["a",["\\ud83d"]]', "lone surrogate"),
    (b'{"a":1,"a":2}', "unique member names"),
    (b"[NaN]", "finite numbers"),
    (b"[Infinity]", "finite numbers"),
    (b"\xff", "UTF-8"),
    (b"[" * 33 + b"]" * 33, "nested at most 32"),
    (b"{", "RFC 8259"),
])
def test_parse_json_refuses_with_invalid_json(content: bytes, fragment: str) -> None:
    with pytest.raises(InvalidJson) as refused:
        parse_json(content)
    assert refused.value.reason == "invalid_json"
    assert fragment in refused.value.message


def test_parse_json_accepts_pairs_escapes_and_text() -> None:
    assert parse_json(b'{"s":"\\ud83d\\ude00","n":' + b"9" * 20 + b"}") == {
        "s": "\U0001f600", "n": 10**20 - 1}
    assert parse_json('["\\\\ud800"]') == ["\\ud800"]  # an escaped backslash, not an escape
    with pytest.raises(InvalidJson):
        parse_json('["\ud800"]')  # a surrogate in text given as str


@given(st.binary(max_size=64) | st.text(max_size=64).map(lambda t: t.encode("utf-8",
                                                                             "surrogatepass")))
def test_parse_json_raises_nothing_but_invalid_json(content: bytes) -> None:
    with contextlib.suppress(InvalidJson):
        parse_json(content)
