"""The httpwg/structured-field-tests JSON form of RFC 9651 values, both ways.

The suite (https://github.com/httpwg/structured-field-tests, README "Test Format") writes a
parsed field as JSON: an Item is ``[bare_item, parameters]``, an Inner List is
``[[item, ...], parameters]``, a List is ``[member, ...]``, a Dictionary and Parameters are
``[[key, value], ...]``. Bare items are JSON numbers (an integral JSON number is an Integer, one
with a fraction or exponent is a Decimal), strings, booleans, or ``{"__type": ..., "value": ...}``
objects for ``token``, ``binary`` (base32), ``date`` and ``displaystring``.

Decimals are read from their shortest decimal text (``Decimal(repr(x))`` for a float, or the
Decimal itself when the JSON was loaded with ``parse_float=decimal.Decimal``), so ``0.0015``
means 0.0015 and not the nearest binary fraction. The conformance adapter speaks this form.
"""

import base64
import binascii
import decimal
from collections.abc import Callable
from typing import Any, TypeVar

from erc8128.errors import StructuredFieldError
from erc8128.http.structured_fields import (
    BareItem,
    Date,
    Dictionary,
    DisplayString,
    HeaderType,
    InnerList,
    Item,
    Member,
    Parameters,
    SFList,
    Token,
)

_JSON_FORM = "json_form"
_Value = TypeVar("_Value")


def _bad(expected: str, found: object) -> StructuredFieldError:
    return StructuredFieldError(f"expected {expected}, found {found!r}"[:300], reason=_JSON_FORM)


# ---------------------------------------------------------------------------------------------
# Model → JSON form
# ---------------------------------------------------------------------------------------------


def _bare_item_to_json(value: BareItem) -> Any:
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, decimal.Decimal):
        # At most 15 significant digits (12 + 3): a float holds them and repr gives them back.
        return float(value)
    if isinstance(value, bytes):
        return {"__type": "binary", "value": base64.b32encode(value).decode("ascii")}
    if isinstance(value, Token):
        return {"__type": "token", "value": value.value}
    if isinstance(value, Date):
        return {"__type": "date", "value": value.seconds}
    if isinstance(value, DisplayString):
        return {"__type": "displaystring", "value": value.value}
    raise _bad("a bare item", value)


def _parameters_to_json(params: Parameters) -> list[Any]:
    return [[key, _bare_item_to_json(value)] for key, value in params]


def _member_to_json(member: Member) -> list[Any]:
    if isinstance(member, InnerList):
        items = [_member_to_json(item) for item in member.items]
        return [items, _parameters_to_json(member.params)]
    return [_bare_item_to_json(member.value), _parameters_to_json(member.params)]


def to_json_form(value: Item | SFList | Dictionary) -> Any:
    """An Item, List or Dictionary as the suite's ``expected`` JSON value.

    A Dictionary (a tuple of ``(key, member)`` pairs) and a List (a tuple of members) are told
    apart by their entries; the empty tuple is ``[]`` for both, as in the suite.
    """
    if isinstance(value, Item):
        return _member_to_json(value)
    if not isinstance(value, tuple):
        raise _bad("an Item, List or Dictionary", value)
    output: list[Any] = []
    for entry in value:
        if isinstance(entry, tuple):
            key, member = entry
            output.append([key, _member_to_json(member)])
        else:
            output.append(_member_to_json(entry))
    return output


# ---------------------------------------------------------------------------------------------
# JSON form → model
# ---------------------------------------------------------------------------------------------


def _bare_item_from_json(obj: Any) -> BareItem:
    if isinstance(obj, bool | int | str | decimal.Decimal):
        return obj
    if isinstance(obj, float):
        # The shortest text that reads back as this float is the number the JSON file wrote.
        return decimal.Decimal(repr(obj))
    if not isinstance(obj, dict) or set(obj) != {"__type", "value"}:
        raise _bad("a JSON bare item", obj)
    kind = obj["__type"]
    content = obj["value"]
    if kind == "token" and isinstance(content, str):
        return Token(content)
    if kind == "displaystring" and isinstance(content, str):
        return DisplayString(content)
    if kind == "date" and isinstance(content, int) and not isinstance(content, bool):
        return Date(content)
    if kind == "binary" and isinstance(content, str):
        try:
            return base64.b32decode(content)
        except (binascii.Error, ValueError):
            raise _bad("base32 binary content", content) from None
    raise _bad("a __type of token, binary, date or displaystring with a matching value", obj)


def _pair(obj: Any) -> tuple[Any, Any]:
    if not isinstance(obj, list) or len(obj) != 2:
        raise _bad("a two-element JSON array", obj)
    return obj[0], obj[1]


def _parameters_from_json(obj: Any) -> Parameters:
    if not isinstance(obj, list):
        raise _bad("a JSON array of parameters", obj)
    return _keyed_from_json(obj, "parameter", _bare_item_from_json)


def _keyed_from_json(
    obj: list[Any], key_kind: str, value_from_json: Callable[[Any], _Value]
) -> tuple[tuple[str, _Value], ...]:
    """Parameters and Dictionary members alike: [key, value] pairs with string keys."""
    entries: list[tuple[str, _Value]] = []
    for entry in obj:
        key, value = _pair(entry)
        if not isinstance(key, str):
            raise _bad(f"a string {key_kind} key", key)
        entries.append((key, value_from_json(value)))
    return tuple(entries)


def _item_from_json(obj: Any) -> Item:
    bare_item, params = _pair(obj)
    return Item(_bare_item_from_json(bare_item), _parameters_from_json(params))


def _member_from_json(obj: Any) -> Member:
    first, params = _pair(obj)
    if isinstance(first, list):
        items = tuple(_item_from_json(item) for item in first)
        return InnerList(items, _parameters_from_json(params))
    return Item(_bare_item_from_json(first), _parameters_from_json(params))


def from_json_form(obj: Any, header_type: HeaderType) -> Item | SFList | Dictionary:
    """The suite's ``expected`` JSON value as an Item, List or Dictionary of ``header_type``.

    Values are not validated against RFC 9651 here (the serialisation tests hold invalid keys
    and tokens on purpose); serialising them is what fails. Malformed JSON forms raise
    StructuredFieldError with reason ``json_form``.
    """
    if header_type == "item":
        return _item_from_json(obj)
    if not isinstance(obj, list):
        raise _bad("a JSON array", obj)
    if header_type == "list":
        return tuple(_member_from_json(member) for member in obj)
    if header_type == "dictionary":
        return _keyed_from_json(obj, "dictionary", _member_from_json)
    raise _bad("header_type 'item', 'list' or 'dictionary'", header_type)
