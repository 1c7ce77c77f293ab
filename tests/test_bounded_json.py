"""Deep JSON is refused before json.loads, even where the recursion limit was raised."""

from __future__ import annotations

import json
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from erc8128.errors import Erc8128Error
from erc8128.http.bounded_json import MAX_JSON_DEPTH, JsonTooDeep, check_depth, nesting_depth


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
