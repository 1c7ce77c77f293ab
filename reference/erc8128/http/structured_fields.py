"""RFC 9651 Structured Field Values for HTTP: a total parser (§4.2) and serialiser (§4.1).

RFC 9651 obsoletes RFC 8941 and adds two bare item types, Date (§3.3.7) and Display String
(§3.3.8). Every algorithm of §4 is implemented step by step, under the RFC's own name, with the
RFC's sentence quoted beside the check that enforces it.

The parser is *total*: any ``str`` either parses or raises :class:`StructuredFieldError` with a
message (expected vs found) and the character offset in the combined field value. It never
recurses (the grammar nests at most one Inner List deep), runs in time linear in the input and
keeps memory proportional to it. It has no size limit of its own; RFC 9651 §3 sets only minimums
that a parser MUST support (e.g. 1024 List members, 1024 Dictionary members, 256 Parameters,
8192-character Strings, 16384-byte Byte Sequences). Callers with a policy limit pass
``max_length``; ERC-8128 verifiers check their own field limit before parsing.

Decisions where RFC 9651 leaves a choice:

* Byte Sequence padding (§4.2.7): a missing ``=`` padding and non-zero pad bits are *accepted*,
  as the RFC says parsers SHOULD NOT fail on them. Padding that is present but wrong
  (``:aGVsbG8==:``), ``=`` anywhere but at the end, and a length that no base64 text can have
  fail. The serialiser always writes padded base64 with zero pad bits, so a caller that needs
  the received encoding to be canonical compares ``serialize_bare_item(value)`` with the text.
* Dates (§4.2.9) accept the whole Integer range ±999,999,999,999,999, not only years 1-9999.
* Field lines are combined with ``", "`` before parsing (§4.2), so a String split across two
  field lines parses with the comma inside it, as RFC 9651 §4.2 warns.

Duplicate keys: §4.2.2 and §4.2.3.2 keep the *last* value of a repeated Dictionary or Parameter
key at the position of its *first* occurrence. ``reject_duplicates=True`` makes a repeat an error
(reason ``duplicate_key``) instead, which RFC 9421 verifiers need: a label or a signature
parameter that appears twice is ambiguous.

Data model: ``int`` is an Integer, :class:`decimal.Decimal` a Decimal, ``str`` a String,
``bytes`` a Byte Sequence, ``bool`` a Boolean (``bool`` is tested before ``int``, being its
subclass), :class:`Token`, :class:`Date` and :class:`DisplayString` the rest. Parameters and
Dictionaries are tuples of ``(key, value)`` pairs in received order, keys unique.
"""

import base64
import binascii
import decimal
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias, TypeVar

from erc8128.errors import StructuredFieldError

# RFC 9651 §3.3.1: "Integers have a range of -999,999,999,999,999 to 999,999,999,999,999
# inclusive (i.e., up to fifteen digits, signed)"
MAX_INTEGER = 999_999_999_999_999
MIN_INTEGER = -MAX_INTEGER
MAX_INTEGER_DIGITS = 15
# RFC 9651 §3.3.2: "Decimals are numbers with an integer and a fractional component. The integer
# component has at most 12 digits; the fractional component has at most three digits."
MAX_DECIMAL_INTEGER_DIGITS = 12
MAX_DECIMAL_FRACTION_DIGITS = 3


@dataclass(frozen=True)
class Token:
    """An sf-token (RFC 9651 §3.3.4), e.g. ``text/html`` or ``*``."""

    value: str


@dataclass(frozen=True)
class Date:
    """An sf-date (RFC 9651 §3.3.7): integer seconds since the epoch, e.g. ``@1659578233``."""

    seconds: int


@dataclass(frozen=True)
class DisplayString:
    """An sf-displaystring (RFC 9651 §3.3.8): Unicode text, sent as ``%"..."`` with %xx UTF-8."""

    value: str


BareItem: TypeAlias = int | decimal.Decimal | str | bytes | bool | Token | Date | DisplayString
Parameters: TypeAlias = tuple[tuple[str, BareItem], ...]


@dataclass(frozen=True)
class Item:
    """An Item (RFC 9651 §3.3): a bare item with its Parameters."""

    value: BareItem
    params: Parameters = ()


@dataclass(frozen=True)
class InnerList:
    """An Inner List (RFC 9651 §3.1.1): Items in parentheses, with Parameters of its own."""

    items: tuple[Item, ...]
    params: Parameters = ()


Member: TypeAlias = Item | InnerList
SFList: TypeAlias = tuple[Member, ...]
Dictionary: TypeAlias = tuple[tuple[str, Member], ...]
HeaderType: TypeAlias = Literal["item", "list", "dictionary"]

_SP = " "
_OWS = frozenset(" \t")
_DIGIT = frozenset("0123456789")
_LCALPHA = frozenset("abcdefghijklmnopqrstuvwxyz")
_ALPHA = _LCALPHA | frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
# RFC 9651 §3.1.2: key = ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" )
_KEY_FIRST = _LCALPHA | frozenset("*")
_KEY_CHAR = _LCALPHA | _DIGIT | frozenset("_-.*")
# RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" /
# "_" / "`" / "|" / "~" / DIGIT / ALPHA
_TCHAR = _ALPHA | _DIGIT | frozenset("!#$%&'*+-.^_`|~")
# RFC 9651 §3.3.4: sf-token = ( ALPHA / "*" ) *( tchar / ":" / "/" )
_TOKEN_FIRST = _ALPHA | frozenset("*")
_TOKEN_CHAR = _TCHAR | frozenset(":/")
_BASE64_CHAR = _ALPHA | _DIGIT | frozenset("+/=")
_LOWER_HEX = frozenset("0123456789abcdef")
_END = "end of input"

# The same character classes as compiled regular expressions, for the hot loops: a run of
# allowed characters is found by one C-level match instead of a Python test per character.
# Each pattern is the frozenset above, spelled out (tests/http/test_structured_fields.py compares
# them over all 256 octets); the loops that report an error stay as they were.
# RFC 9651 §3.1.2: key = ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" )
_KEY_PATTERN = re.compile(r"[a-z*][a-z0-9_\-.*]*")
# RFC 9651 §3.3.4: sf-token = ( ALPHA / "*" ) *( tchar / ":" / "/" )
_TOKEN_PATTERN = re.compile(r"[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*")
# RFC 9651 §3.3.5: unescaped = %x20-21 / %x23-5B / %x5D-7E
_UNESCAPED_RUN = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]*")
# A whole String without escapes: DQUOTE, characters standing for themselves, DQUOTE.
_PLAIN_STRING = re.compile(r'"([\x20\x21\x23-\x5b\x5d-\x7e]*)"')
# A String Item without escapes or Parameters, as the general path would parse it: followed by
# SP or ")" inside an Inner List (RFC 9651 §4.2.1.2).
_PLAIN_STRING_ITEM = re.compile(r'"([\x20\x21\x23-\x5b\x5d-\x7e]*)"(?=[ )])')
# One Parameter: ";" key "=" and a String without escapes or an Integer of at most 15 digits
# (RFC 9651 §4.2.3.2), not followed by what would continue the value.
_PLAIN_PARAMETER = re.compile(
    r';([a-z*][a-z0-9_\-.*]*)=(?:"([\x20\x21\x23-\x5b\x5d-\x7e]*)"|(-?[0-9]{1,15})(?![0-9.]))'
)
# A Dictionary's first member key, "=" and the ":" opening a Byte Sequence (RFC 9651 §4.2.2).
_BYTE_SEQUENCE_MEMBER = re.compile(r"([a-z*][a-z0-9_\-.*]*)=:")
# The common shape of a Signature-Input member (RFC 9421 §4.1), as one match: key "=" an Inner
# List of Strings without escapes or Parameters, one SP apart, then Parameters whose values are
# Strings without escapes or Integers of at most 15 digits. Group 1 is the key, group 2 the
# items' text, group 3 the Parameters' text. What follows the match is checked by the caller.
_PLAIN_INNER_LIST_MEMBER = re.compile(
    r'([a-z*][a-z0-9_\-.*]*)=\('
    r'((?:"[\x20\x21\x23-\x5b\x5d-\x7e]*"(?: "[\x20\x21\x23-\x5b\x5d-\x7e]*")*)?)\)'
    r'((?:;[a-z*][a-z0-9_\-.*]*=(?:"[\x20\x21\x23-\x5b\x5d-\x7e]*"|-?[0-9]{1,15}))*)'
)
# The Strings of group 2 and the Parameters of group 3 above, one match each.
_PLAIN_STRING_CONTENT = re.compile(r'"([\x20\x21\x23-\x5b\x5d-\x7e]*)"')
_PLAIN_PARAMETERS = re.compile(
    r';([a-z*][a-z0-9_\-.*]*)=(?:"([\x20\x21\x23-\x5b\x5d-\x7e]*)"|(-?[0-9]{1,15}))'
)
# RFC 9651 §4.2.2: OWS "," OWS between Dictionary members.
_MEMBER_SEPARATOR = re.compile(r"[ \t]*,[ \t]*")
# RFC 9651 §4.1.6: a serialisable String has only %x20-7E.
_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]*")
# RFC 9651 §4.2.7: ALPHA, DIGIT, "+", "/" and "=".
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/=]*")
# RFC 9651 §4.2.4: an Integer of at most 15 digits, not followed by another digit or ".".
_SHORT_INTEGER = re.compile(r"-?([0-9]{1,15})(?![0-9.])")


def _found(text: str, index: int) -> str:
    """Describe what is at ``index``: the character, or the end of the input."""
    if index >= len(text):
        return _END
    return repr(text[index])


def _fail(expected: str, text: str, index: int) -> StructuredFieldError:
    return StructuredFieldError(f"expected {expected}, found {_found(text, index)}", offset=index)


class _KeyTracker:
    """How a parse treats a repeated Dictionary or Parameter key: overwrite, reject, or record.

    Internal to one parse call; ``found`` collects ``(key, offset)`` of each repeat.
    """

    __slots__ = ("found", "reject")

    def __init__(self, *, reject: bool) -> None:
        self.reject = reject
        self.found: list[tuple[str, int]] = []

    def repeated(self, key: str, offset: int, where: str) -> None:
        if self.reject:
            raise StructuredFieldError(
                f"expected unique {where} keys, found {key!r} a second time",
                offset=offset,
                reason="duplicate_key",
            )
        self.found.append((key, offset))


# ---------------------------------------------------------------------------------------------
# RFC 9651 §4.2: parsing. Each step function takes the text and an index and returns the value
# and the index after it ("consuming" characters means advancing the index).
# ---------------------------------------------------------------------------------------------


def _skip_sp(text: str, index: int) -> int:
    end = len(text)
    while index < end and text[index] == _SP:
        index += 1
    return index


def _skip_ows(text: str, index: int) -> int:
    end = len(text)
    while index < end and text[index] in _OWS:
        index += 1
    return index


def _parse_list(text: str, index: int, keys: _KeyTracker) -> tuple[SFList, int]:
    """RFC 9651 §4.2.1 Parsing a List."""
    members: list[Member] = []
    end = len(text)
    while index < end:
        member, index = _parse_item_or_inner_list(text, index, keys)
        members.append(member)
        index = _skip_ows(text, index)
        if index >= end:
            return tuple(members), index
        # RFC 9651 §4.2.1: "Consume the first character of input_string; if it is not ",",
        # fail parsing."
        if text[index] != ",":
            raise _fail("',' between list members", text, index)
        index = _skip_ows(text, index + 1)
        # RFC 9651 §4.2.1: "If input_string is empty, there is a trailing comma; fail parsing."
        if index >= end:
            raise _fail("a list member after ','", text, index)
    # RFC 9651 §4.2.1: "No structured data has been found; return members (which is empty)."
    return tuple(members), index


def _parse_item_or_inner_list(text: str, index: int, keys: _KeyTracker) -> tuple[Member, int]:
    """RFC 9651 §4.2.1.1 Parsing an Item or Inner List."""
    if index < len(text) and text[index] == "(":
        return _parse_inner_list(text, index, keys)
    return _parse_item(text, index, keys)


def _parse_inner_list(text: str, index: int, keys: _KeyTracker) -> tuple[InnerList, int]:
    """RFC 9651 §4.2.1.2 Parsing an Inner List."""
    end = len(text)
    # RFC 9651 §4.2.1.2: "Consume the first character of input_string; if it is not "(", fail
    # parsing."
    if index >= end or text[index] != "(":
        raise _fail("'(' opening an inner list", text, index)
    index += 1
    inner_list: list[Item] = []
    while index < end:
        index = _skip_sp(text, index)
        if index < end and text[index] == ")":
            parameters, index = _parse_parameters(text, index + 1, keys)
            return InnerList(tuple(inner_list), parameters), index
        # The common case first (component identifiers): a String without escapes and without
        # Parameters, followed by SP or ")"; _parse_item returns the same Item for it.
        plain = _PLAIN_STRING_ITEM.match(text, index)
        if plain is not None:
            inner_list.append(Item(plain.group(1), ()))
            index = plain.end()
            continue
        item, index = _parse_item(text, index, keys)
        inner_list.append(item)
        # RFC 9651 §4.2.1.2: "If the first character of input_string is not SP or ")", fail
        # parsing."
        if index >= end or text[index] not in (_SP, ")"):
            raise _fail("SP or ')' after an inner-list item", text, index)
    # RFC 9651 §4.2.1.2: "The end of the Inner List was not found; fail parsing."
    raise _fail("')' closing the inner list", text, index)


def _parse_dictionary(text: str, index: int, keys: _KeyTracker) -> tuple[Dictionary, int]:
    """RFC 9651 §4.2.2 Parsing a Dictionary."""
    dictionary: dict[str, Member] = {}
    end = len(text)
    while index < end:
        key_offset = index
        this_key, index = _parse_key(text, index)
        if index < end and text[index] == "=":
            member, index = _parse_item_or_inner_list(text, index + 1, keys)
        else:
            # RFC 9651 §4.2.2: "Let value be Boolean true."
            parameters, index = _parse_parameters(text, index, keys)
            member = Item(True, parameters)
        # RFC 9651 §4.2.2: "If dictionary already contains a key this_key (comparing character
        # for character), overwrite its value with member."
        if this_key in dictionary:
            keys.repeated(this_key, key_offset, "dictionary")
        dictionary[this_key] = member
        index = _skip_ows(text, index)
        if index >= end:
            return tuple(dictionary.items()), index
        # RFC 9651 §4.2.2: "Consume the first character of input_string; if it is not ",",
        # fail parsing."
        if text[index] != ",":
            raise _fail("',' between dictionary members", text, index)
        index = _skip_ows(text, index + 1)
        # RFC 9651 §4.2.2: "If input_string is empty, there is a trailing comma; fail parsing."
        if index >= end:
            raise _fail("a dictionary member after ','", text, index)
    # RFC 9651 §4.2.2: "No structured data has been found; return dictionary (which is empty)."
    return tuple(dictionary.items()), index


def _parse_item(text: str, index: int, keys: _KeyTracker) -> tuple[Item, int]:
    """RFC 9651 §4.2.3 Parsing an Item."""
    bare_item, index = _parse_bare_item(text, index)
    parameters, index = _parse_parameters(text, index, keys)
    return Item(bare_item, parameters), index


def _parse_bare_item(text: str, index: int) -> tuple[BareItem, int]:
    """RFC 9651 §4.2.3.1 Parsing a Bare Item: dispatch on the first character."""
    if index >= len(text):
        raise _fail("a bare item", text, index)
    first = text[index]
    if first == "-" or first in _DIGIT:
        return _parse_integer_or_decimal(text, index)
    if first == '"':
        return _parse_string(text, index)
    if first in _TOKEN_FIRST:
        return _parse_token(text, index)
    if first == ":":
        return _parse_byte_sequence(text, index)
    if first == "?":
        return _parse_boolean(text, index)
    if first == "@":
        return _parse_date(text, index)
    if first == "%":
        return _parse_display_string(text, index)
    # RFC 9651 §4.2.3.1: "Otherwise, the item type is unrecognized; fail parsing."
    raise _fail("a bare item (digit, '-', '\"', ALPHA, '*', ':', '?', '@' or '%')", text, index)


def _parse_parameters(text: str, index: int, keys: _KeyTracker) -> tuple[Parameters, int]:
    """RFC 9651 §4.2.3.2 Parsing Parameters."""
    parameters: dict[str, BareItem] = {}
    end = len(text)
    # RFC 9651 §4.2.3.2: "If the first character of input_string is not ";", exit the loop."
    while index < end and text[index] == ";":
        # The common case first (signature parameters): ";key=" and a String without escapes
        # or an Integer of at most 15 digits, no SP; the general steps below give the same.
        plain = _PLAIN_PARAMETER.match(text, index)
        if plain is not None:
            param_key, string, integer = plain.groups()
            if param_key in parameters:
                keys.repeated(param_key, index + 1, "parameter")
            parameters[param_key] = string if string is not None else int(integer)
            index = plain.end()
            continue
        index = _skip_sp(text, index + 1)
        key_offset = index
        param_key, index = _parse_key(text, index)
        param_value: BareItem = True
        if index < end and text[index] == "=":
            param_value, index = _parse_bare_item(text, index + 1)
        # RFC 9651 §4.2.3.2: "If parameters already contains a key param_key (comparing
        # character for character), overwrite its value with param_value."
        if param_key in parameters:
            keys.repeated(param_key, key_offset, "parameter")
        parameters[param_key] = param_value
    return tuple(parameters.items()), index


def _parse_key(text: str, index: int) -> tuple[str, int]:
    """RFC 9651 §4.2.3.3 Parsing a Key."""
    end = len(text)
    # RFC 9651 §4.2.3.3: "If the first character of input_string is not lcalpha or "*", fail
    # parsing."
    if index >= end or text[index] not in _KEY_FIRST:
        raise _fail("a key starting with a lowercase letter or '*'", text, index)
    # RFC 9651 §4.2.3.3: "If the first character of input_string is not one of lcalpha, DIGIT,
    # "_", "-", ".", or "*", return output_string."
    match = _KEY_PATTERN.match(text, index)
    assert match is not None  # the first character was checked just above
    return match.group(), match.end()


def _parse_integer_or_decimal(text: str, index: int) -> tuple[int | decimal.Decimal, int]:
    """RFC 9651 §4.2.4 Parsing an Integer or Decimal."""
    # The common case first: an Integer of at most 15 digits, which the loop below would
    # return unchanged (no '.', no 16th digit); anything else takes the loop.
    short = _SHORT_INTEGER.match(text, index)
    if short is not None:
        return int(short.group()), short.end()
    end = len(text)
    negative = False
    if index < end and text[index] == "-":
        negative = True
        index += 1
    # RFC 9651 §4.2.4: "If input_string is empty, there is an empty integer; fail parsing."
    # RFC 9651 §4.2.4: "If the first character of input_string is not a DIGIT, fail parsing."
    if index >= end or text[index] not in _DIGIT:
        raise _fail("a digit", text, index)
    start = index
    is_decimal = False
    while index < end:
        char = text[index]
        if char in _DIGIT:
            index += 1
        elif not is_decimal and char == ".":
            # RFC 9651 §4.2.4: "If input_number contains more than 12 characters, fail parsing."
            if index - start > MAX_DECIMAL_INTEGER_DIGITS:
                raise StructuredFieldError(
                    f"expected at most {MAX_DECIMAL_INTEGER_DIGITS} integer digits in a decimal, "
                    f"found {index - start}",
                    offset=index,
                )
            is_decimal = True
            index += 1
        else:
            break
        length = index - start
        # RFC 9651 §4.2.4: "If type is "integer" and input_number contains more than 15
        # characters, fail parsing."
        if not is_decimal and length > MAX_INTEGER_DIGITS:
            raise StructuredFieldError(
                f"expected at most {MAX_INTEGER_DIGITS} digits in an integer, found more",
                offset=index - 1,
            )
        # RFC 9651 §4.2.4: "If type is "decimal" and input_number contains more than 16
        # characters, fail parsing."
        if is_decimal and length > MAX_DECIMAL_INTEGER_DIGITS + 1 + MAX_DECIMAL_FRACTION_DIGITS:
            raise StructuredFieldError(
                "expected at most 16 characters in a decimal, found more", offset=index - 1
            )
    input_number = text[start:index]
    if not is_decimal:
        magnitude = int(input_number)
        # RFC 9651 §4.2.4: "Let output_number be the product of output_number and sign."
        return (-magnitude if negative else magnitude), index
    # RFC 9651 §4.2.4: "If the final character of input_number is ".", fail parsing."
    if input_number.endswith("."):
        raise _fail("a digit after '.'", text, index)
    fraction_digits = len(input_number) - input_number.index(".") - 1
    # RFC 9651 §4.2.4: "If the number of characters after "." in input_number is greater than
    # three, fail parsing."
    if fraction_digits > MAX_DECIMAL_FRACTION_DIGITS:
        raise StructuredFieldError(
            f"expected at most {MAX_DECIMAL_FRACTION_DIGITS} fractional digits, "
            f"found {fraction_digits}",
            offset=index - 1,
        )
    # Built from text, so exact and independent of the decimal context; zero stays unsigned,
    # as the product of 0 and -1 is 0.
    is_zero = input_number.strip("0.") == ""
    return decimal.Decimal(("-" if negative and not is_zero else "") + input_number), index


def _parse_string(text: str, index: int) -> tuple[str, int]:
    """RFC 9651 §4.2.5 Parsing a String."""
    end = len(text)
    # RFC 9651 §4.2.5: "Consume the first character of input_string; if it is not DQUOTE, fail
    # parsing."
    if index >= end or text[index] != '"':
        raise _fail("'\"' opening a string", text, index)
    # The common case first: no escape, every character printable, closed; the loop below
    # returns the same value for it (issue 19: ten strings per Signature-Input member).
    plain = _PLAIN_STRING.match(text, index)
    if plain is not None:
        return plain.group(1), plain.end()
    index += 1
    output: list[str] = []
    while index < end:
        # A run of characters that stand for themselves (not DQUOTE, not "\\", printable).
        run = _UNESCAPED_RUN.match(text, index)
        assert run is not None  # "*" matches the empty string
        run_end = run.end()
        if run_end > index:
            output.append(text[index:run_end])
            index = run_end
            if index >= end:
                break
        char = text[index]
        index += 1
        if char == "\\":
            # RFC 9651 §4.2.5: "If input_string is now empty, fail parsing."
            # RFC 9651 §4.2.5: "If next_char is not DQUOTE or "\", fail parsing."
            if index >= end or text[index] not in ('"', "\\"):
                raise _fail("'\"' or '\\' after '\\' in a string", text, index)
            output.append(text[index])
            index += 1
        elif char == '"':
            return "".join(output), index
        # RFC 9651 §4.2.5: "Else, if char is in the range %x00-1f or %x7f-ff (i.e., it is not in
        # VCHAR or SP), fail parsing."
        elif not " " <= char <= "~":
            raise _fail("a printable ASCII character (0x20-0x7E) in a string", text, index - 1)
        else:
            output.append(char)
    # RFC 9651 §4.2.5: "Reached the end of input_string without finding a closing DQUOTE; fail
    # parsing."
    raise _fail("'\"' closing the string", text, index)


def _parse_token(text: str, index: int) -> tuple[Token, int]:
    """RFC 9651 §4.2.6 Parsing a Token."""
    end = len(text)
    # RFC 9651 §4.2.6: "If the first character of input_string is not ALPHA or "*", fail
    # parsing."
    if index >= end or text[index] not in _TOKEN_FIRST:
        raise _fail("a token starting with ALPHA or '*'", text, index)
    # RFC 9651 §4.2.6: "If the first character of input_string is not in tchar, ":", or "/",
    # return output_string."
    match = _TOKEN_PATTERN.match(text, index)
    assert match is not None  # the first character was checked just above
    return Token(match.group()), match.end()


def _parse_byte_sequence(text: str, index: int) -> tuple[bytes, int]:
    """RFC 9651 §4.2.7 Parsing a Byte Sequence (padding decisions: see the module docstring)."""
    # RFC 9651 §4.2.7: "If the first character of input_string is not ":", fail parsing."
    if index >= len(text) or text[index] != ":":
        raise _fail("':' opening a byte sequence", text, index)
    start = index + 1
    close = text.find(":", start)
    # RFC 9651 §4.2.7: "If there is not a ":" character before the end of input_string, fail
    # parsing."
    if close < 0:
        raise _fail("':' closing the byte sequence", text, len(text))
    b64_content = text[start:close]
    # RFC 9651 §4.2.7: "If b64_content contains a character not included in ALPHA, DIGIT, "+",
    # "/", and "=", fail parsing."
    # (':' is not in the class, so the run ends at `close` exactly when all of it is base64.)
    run = _BASE64_RUN.match(text, start)
    assert run is not None  # "*" matches the empty string
    valid_end = run.end()
    if valid_end != close:
        raise _fail("a base64 character (ALPHA, DIGIT, '+', '/' or '=')", text, valid_end)
    data = b64_content.rstrip("=")
    padding = len(b64_content) - len(data)
    # RFC 4648 §3.3: "Implementations MUST reject the encoded data if it contains characters
    # outside the base alphabet" -- and '=' is only padding, at the end.
    if "=" in data:
        raise _fail("'=' only as padding at the end", text, start + data.index("="))
    # RFC 4648 §4: a final quantum is 4, 3 or 2 characters; a single character encodes nothing.
    if len(data) % 4 == 1:
        raise StructuredFieldError(
            f"expected a base64 length that is not 1 modulo 4, found {len(data)} characters",
            offset=close,
        )
    # RFC 9651 §4.2.7: "parsers SHOULD NOT fail when "=" padding is not present" -- absent
    # padding is synthesised; padding that is present must be the right amount.
    if padding and len(b64_content) % 4 != 0:
        raise StructuredFieldError(
            f"expected padding to a multiple of 4 characters, found {len(b64_content)}",
            offset=close,
        )
    # RFC 9651 §4.2.7: "parsers SHOULD NOT fail when non-zero pad bits are present" --
    # binascii ignores pad bits; validate=True keeps it from skipping any character.
    try:
        binary_content = base64.b64decode(data + "=" * (-len(data) % 4), validate=True)
    except binascii.Error as error:  # pragma: no cover - excluded by the checks above
        raise StructuredFieldError(f"expected base64, found {error}", offset=start) from None
    return binary_content, close + 1


def _parse_boolean(text: str, index: int) -> tuple[bool, int]:
    """RFC 9651 §4.2.8 Parsing a Boolean."""
    # RFC 9651 §4.2.8: "If the first character of input_string is not "?", fail parsing."
    if index >= len(text) or text[index] != "?":
        raise _fail("'?' opening a boolean", text, index)
    index += 1
    if text.startswith("1", index):
        return True, index + 1
    if text.startswith("0", index):
        return False, index + 1
    # RFC 9651 §4.2.8: "No value has matched; fail parsing."
    raise _fail("'0' or '1' after '?'", text, index)


def _parse_date(text: str, index: int) -> tuple[Date, int]:
    """RFC 9651 §4.2.9 Parsing a Date."""
    # RFC 9651 §4.2.9: "If the first character of input_string is not "@", fail parsing."
    if index >= len(text) or text[index] != "@":
        raise _fail("'@' opening a date", text, index)
    start = index + 1
    output_date, index = _parse_integer_or_decimal(text, start)
    # RFC 9651 §4.2.9: "If output_date is a Decimal, fail parsing."
    if isinstance(output_date, decimal.Decimal):
        raise StructuredFieldError("expected an integer date, found a decimal", offset=start)
    return Date(output_date), index


def _parse_display_string(text: str, index: int) -> tuple[DisplayString, int]:
    """RFC 9651 §4.2.10 Parsing a Display String."""
    end = len(text)
    # RFC 9651 §4.2.10: "If the first two characters of input_string are not "%" followed by
    # DQUOTE, fail parsing."
    if not text.startswith('%"', index):
        raise _fail("'%\"' opening a display string", text, index + 1)
    start = index
    index += 2
    byte_array = bytearray()
    while index < end:
        char = text[index]
        index += 1
        # RFC 9651 §4.2.10: "If char is in the range %x00-1f or %x7f-ff (i.e., it is not in VCHAR
        # or SP), fail parsing."
        if not " " <= char <= "~":
            raise _fail("a printable ASCII character in a display string", text, index - 1)
        if char == "%":
            octet_hex = text[index : index + 2]
            # RFC 9651 §4.2.10: "Let octet_hex be the result of consuming two characters from
            # input_string. If there are not two characters, fail parsing."
            if len(octet_hex) != 2:
                raise _fail("two hex digits after '%'", text, end)
            # RFC 9651 §4.2.10: "If octet_hex contains characters outside the range %x30-39 or
            # %x61-66 (i.e., it is not in 0-9 or lowercase a-f), fail parsing."
            for offset, hex_char in enumerate(octet_hex, index):
                if hex_char not in _LOWER_HEX:
                    raise _fail("a lowercase hex digit (0-9, a-f) after '%'", text, offset)
            byte_array.append(int(octet_hex, 16))
            index += 2
        elif char == '"':
            # RFC 9651 §4.2.10: "Let unicode_sequence be the result of decoding byte_array as a
            # UTF-8 string (Section 3 of [UTF8]). Fail parsing if decoding fails."
            try:
                unicode_sequence = bytes(byte_array).decode("utf-8", errors="strict")
            except UnicodeDecodeError as error:
                raise StructuredFieldError(
                    f"expected UTF-8 in a display string, found {error.reason} at byte "
                    f"{error.start}",
                    offset=start,
                ) from None
            return DisplayString(unicode_sequence), index
        else:
            byte_array.append(ord(char))
    # RFC 9651 §4.2.10: "Reached the end of input_string without finding a closing DQUOTE; fail
    # parsing."
    raise _fail("'\"' closing the display string", text, index)


_T = TypeVar("_T")
_V = TypeVar("_V")
_ParseStep: TypeAlias = Callable[[str, int, _KeyTracker], tuple[_T, int]]


def _parse_structured_field(
    field: str, parse_top_level: _ParseStep[_T], keys: _KeyTracker, max_length: int | None
) -> _T:
    """RFC 9651 §4.2 Parsing Structured Fields, for one already-combined field value."""
    if not isinstance(field, str):
        raise StructuredFieldError(f"expected a str field value, found {type(field).__name__}")
    if max_length is not None and len(field) > max_length:
        raise StructuredFieldError(
            f"expected a field value of at most {max_length} characters, found {len(field)}",
            offset=max_length,
            reason="field_too_long",
        )
    # RFC 9651 §4.2: "Convert input_bytes into an ASCII string input_string; if conversion
    # fails, fail parsing."
    if not field.isascii():
        first_non_ascii = next(i for i, char in enumerate(field) if ord(char) > 127)
        raise _fail("ASCII characters only", field, first_non_ascii)
    # RFC 9651 §4.2: "Discard any leading SP characters from input_string."
    index = _skip_sp(field, 0)
    # RFC 9651 §4.2: "If field_type is "list", let output be the result of running Parsing a
    # List" (likewise "dictionary" and "item").
    output, index = parse_top_level(field, index, keys)
    # RFC 9651 §4.2: "Discard any leading SP characters from input_string."
    index = _skip_sp(field, index)
    # RFC 9651 §4.2: "If input_string is not empty, fail parsing."
    if index != len(field):
        raise _fail("end of the field value", field, index)
    return output


_TOP_LEVEL: dict[str, _ParseStep[Item | SFList | Dictionary]] = {
    "item": _parse_item,
    "list": _parse_list,
    "dictionary": _parse_dictionary,
}


def _top_level(header_type: str) -> _ParseStep[Item | SFList | Dictionary]:
    if header_type not in _TOP_LEVEL:
        raise StructuredFieldError(
            f"expected header_type 'item', 'list' or 'dictionary', found {header_type!r}"
        )
    return _TOP_LEVEL[header_type]


def parse_item(
    field: str, *, reject_duplicates: bool = False, max_length: int | None = None
) -> Item:
    """Parse a field value whose type is an Item (RFC 9651 §4.2 with §4.2.3); "" fails."""
    keys = _KeyTracker(reject=reject_duplicates)
    return _parse_structured_field(field, _parse_item, keys, max_length)


def parse_list(
    field: str, *, reject_duplicates: bool = False, max_length: int | None = None
) -> SFList:
    """Parse a field value whose type is a List (RFC 9651 §4.2 with §4.2.1); "" is empty."""
    keys = _KeyTracker(reject=reject_duplicates)
    return _parse_structured_field(field, _parse_list, keys, max_length)


def parse_dictionary(
    field: str, *, reject_duplicates: bool = False, max_length: int | None = None
) -> Dictionary:
    """Parse a field value whose type is a Dictionary (RFC 9651 §4.2 with §4.2.2); "" is empty."""
    single = _single_byte_sequence_member(field, max_length)
    if single is not None:
        return single
    plain = _plain_inner_list_members(field, max_length)
    if plain is not None:
        return plain
    keys = _KeyTracker(reject=reject_duplicates)
    return _parse_structured_field(field, _parse_dictionary, keys, max_length)


def _single_byte_sequence_member(field: str, max_length: int | None) -> Dictionary | None:
    """The common case of Signature and Content-Digest, without the general parser's seven
    nested calls: exactly ``key=:base64:`` (no SP around it, no parameters), or None.

    The value goes through the same :func:`_parse_byte_sequence` as the general path (issue
    19). Anything else, including every malformed value, returns None, so the general path
    parses it and reports its own error (parse_dictionary above is the reference)."""
    if type(field) is not str or not field.isascii():
        return None
    if max_length is not None and len(field) > max_length:
        return None
    key = _BYTE_SEQUENCE_MEMBER.match(field)
    if key is None:
        return None
    try:
        value, end = _parse_byte_sequence(field, key.end() - 1)
    except StructuredFieldError:
        return None
    if end != len(field):
        return None
    return ((key.group(1), Item(value, ())),)


def _plain_inner_list_members(field: str, max_length: int | None) -> Dictionary | None:
    """The common case of Signature-Input, without the general parser's step functions: one or
    more ``key=("name" ...);param=value...`` members (see _PLAIN_INNER_LIST_MEMBER) separated by
    OWS "," OWS, no SP before the first or after the last, no key twice; or None.

    What is returned is what the general path returns for the same text (issue 19; the
    property tests in tests/http/test_structured_fields.py compare the two). Anything else, every
    malformed value and every repeated key included, returns None, so the general path parses
    it, applies its last-wins or reject rule and reports its own error."""
    if type(field) is not str:
        return None
    end = len(field)
    if max_length is not None and end > max_length:
        return None
    members: dict[str, Member] = {}
    index = 0
    while True:
        member = _PLAIN_INNER_LIST_MEMBER.match(field, index)
        if member is None:
            return None
        key, items_text, params_text = member.groups()
        if key in members:
            return None
        parameters: dict[str, BareItem] = {}
        for param_key, string, integer in _PLAIN_PARAMETERS.findall(params_text):
            if param_key in parameters:
                return None
            # findall gives "" for the group that did not take part: an Integer has digits.
            parameters[param_key] = int(integer) if integer else string
        members[key] = InnerList(_plain_items(items_text), tuple(parameters.items()))
        index = member.end()
        if index == end:
            return tuple(members.items())
        separator = _MEMBER_SEPARATOR.match(field, index)
        # RFC 9651 §4.2.2: an Integer followed by a digit or ".", a trailing comma, SP at the
        # end: all of them are the general path's to parse or to reject.
        if separator is None or separator.end() == end:
            return None
        index = separator.end()


def _plain_items(items_text: str) -> tuple[Item, ...]:
    """The Items of an Inner List written as ``"name" "name" ...`` (Strings without escapes or
    Parameters), remembered by their text: a verifier sees the same covered components on
    request after request, and Items are immutable."""
    known = _PLAIN_ITEMS.get(items_text)
    if known is not None:
        return known
    items = tuple(Item(name, ()) for name in _PLAIN_STRING_CONTENT.findall(items_text))
    if len(_PLAIN_ITEMS) < _MAX_PLAIN_ITEMS:
        _PLAIN_ITEMS[items_text] = items
    return items


# _plain_items' results by text. Bounded: texts past the bound are parsed every time.
_PLAIN_ITEMS: dict[str, tuple[Item, ...]] = {}
_MAX_PLAIN_ITEMS = 256


def combine_field_lines(lines: Sequence[str]) -> str:
    """Combine the field lines of one field into one value, joined by ", ".

    RFC 9651 §4.2: "parsers MUST combine all field lines in the same section (header or trailer)
    that case-insensitively match the field name into one comma-separated field value, as per
    Section 5.2 of [HTTP]". RFC 9110 §5.3: the recipient may combine them "in order, into one
    field value, separated by a comma" -- ", " here, as the httpwg tests expect. Empty lines
    are kept, so ``["1", "", "42"]`` becomes ``"1, , 42"`` and fails as a List.
    """
    if isinstance(lines, str):
        raise StructuredFieldError("expected a sequence of field lines, found a single str")
    for position, line in enumerate(lines):
        if not isinstance(line, str):
            raise StructuredFieldError(
                f"expected field line {position} to be a str, found {type(line).__name__}"
            )
    return ", ".join(lines)


def parse_field(
    header_type: HeaderType,
    lines: Sequence[str],
    *,
    reject_duplicates: bool = False,
    max_length: int | None = None,
) -> Item | SFList | Dictionary:
    """Combine ``lines`` (RFC 9651 §4.2) and parse them as ``header_type``."""
    parse_top_level = _top_level(header_type)
    field = combine_field_lines(lines)
    keys = _KeyTracker(reject=reject_duplicates)
    return _parse_structured_field(field, parse_top_level, keys, max_length)


def duplicate_keys(field: str, header_type: HeaderType) -> tuple[tuple[str, int], ...]:
    """Every repeated Dictionary or Parameter key in ``field``, as ``(key, offset)`` pairs.

    A key counts as repeated within its own scope (the Dictionary, or one Parameters list); the
    offset is that of the repeat. The field must parse: if it does not, StructuredFieldError.
    An empty result means the last-wins rule of RFC 9651 §4.2.2 / §4.2.3.2 discarded nothing.
    """
    keys = _KeyTracker(reject=False)
    _parse_structured_field(field, _top_level(header_type), keys, None)
    return tuple(keys.found)


def get_param(params: Parameters, key: str) -> BareItem | None:
    """The value of parameter ``key`` (the last one, as RFC 9651 §4.2.3.2 keeps), or None."""
    found: BareItem | None = None
    for param_key, param_value in params:
        if param_key == key:
            found = param_value
    return found


# ---------------------------------------------------------------------------------------------
# RFC 9651 §4.1: serialising. Each function validates its input and raises
# StructuredFieldError (offset -1) for a value that has no serialisation.
# ---------------------------------------------------------------------------------------------


def serialize_list(members: SFList) -> str:
    """RFC 9651 §4.1.1 Serializing a List; an empty List gives "" (the field is omitted)."""
    if not isinstance(members, tuple | list):
        raise StructuredFieldError(f"expected a tuple of members, found {type(members).__name__}")
    # RFC 9651 §4.1.1: "If more member_values remain in input_list: Append "," to output.
    # Append a single SP to output."
    return ", ".join(_serialize_member(member) for member in members)


def _serialize_member(member: Member) -> str:
    if isinstance(member, InnerList):
        return serialize_inner_list(member)
    if isinstance(member, Item):
        return serialize_item(member)
    raise StructuredFieldError(f"expected an Item or InnerList, found {type(member).__name__}")


def serialize_inner_list(inner: InnerList) -> str:
    """RFC 9651 §4.1.1.1 Serializing an Inner List."""
    if not isinstance(inner, InnerList):
        raise StructuredFieldError(f"expected an InnerList, found {type(inner).__name__}")
    if not isinstance(inner.items, tuple | list):
        raise StructuredFieldError(f"expected a tuple of items, found {type(inner.items).__name__}")
    # RFC 9651 §4.1.1.1: "If more values remain in inner_list, append a single SP to output."
    output = " ".join(serialize_item(item) for item in inner.items)
    return "(" + output + ")" + serialize_parameters(inner.params)


def serialize_parameters(params: Parameters) -> str:
    """RFC 9651 §4.1.1.2 Serializing Parameters (keys must be unique: Parameters are a map)."""
    plain = _serialize_plain_parameters(params)
    if plain is not None:
        return plain
    return _serialize_parameters(params)


def _serialize_parameters(params: Parameters) -> str:
    """serialize_parameters step by step, for every value type: the reference for
    _serialize_plain_parameters."""
    output: list[str] = []
    for param_key, param_value in _map_entries(params, "parameter"):
        output.append(";")
        output.append(_serialize_key(param_key))
        # RFC 9651 §4.1.1.2: "If param_value is not Boolean true: Append "=" to output."
        if param_value is not True:
            output.append("=")
            output.append(serialize_bare_item(param_value))
    return "".join(output)


def _serialize_plain_parameters(params: Parameters) -> str | None:
    """The common case of signature parameters, without the general path's checks one by one:
    a tuple of (key, value) pairs with unique keys that match the key syntax, each value a
    String of printable ASCII without escapes or an Integer in range; or None. The text is
    what the general path writes for them (RFC 9651 §4.1.1.2, §4.1.4, §4.1.6)."""
    if type(params) is not tuple:
        return None
    output: list[str] = []
    seen: set[str] = set()
    for entry in params:
        if type(entry) is not tuple or len(entry) != 2:
            return None
        key, value = entry
        if type(key) is not str or key in seen or _KEY_PATTERN.fullmatch(key) is None:
            return None
        seen.add(key)
        if type(value) is str:
            if _UNESCAPED_RUN.fullmatch(value) is None:
                return None
            output.append(f';{key}="{value}"')
        elif type(value) is int and MIN_INTEGER <= value <= MAX_INTEGER:
            output.append(f";{key}={value}")
        else:
            return None
    return "".join(output)


def _map_entries(entries: Sequence[tuple[str, _V]], where: str) -> list[tuple[str, _V]]:
    """Check that ``entries`` is a tuple of (key, value) pairs with unique keys."""
    if not isinstance(entries, tuple | list):
        raise StructuredFieldError(
            f"expected a tuple of {where} (key, value) pairs, found {type(entries).__name__}"
        )
    seen: set[str] = set()
    checked: list[tuple[str, _V]] = []
    for entry in entries:
        if not isinstance(entry, tuple | list) or len(entry) != 2:
            raise StructuredFieldError(f"expected a {where} (key, value) pair, found {entry!r}")
        key, value = entry
        if not isinstance(key, str):
            raise StructuredFieldError(f"expected a str {where} key, found {type(key).__name__}")
        if key in seen:
            raise StructuredFieldError(
                f"expected unique {where} keys, found {key!r} twice", reason="duplicate_key"
            )
        seen.add(key)
        checked.append((key, value))
    return checked


def _serialize_key(input_key: str) -> str:
    """RFC 9651 §4.1.1.3 Serializing a Key."""
    if _KEY_PATTERN.fullmatch(input_key) is not None:
        return input_key
    # RFC 9651 §4.1.1.3: "If input_key contains characters not in lcalpha, DIGIT, "_", "-", ".",
    # or "*", fail serialization."
    for char in input_key:
        if char not in _KEY_CHAR:
            raise StructuredFieldError(
                f"expected key characters lcalpha, DIGIT, '_', '-', '.' or '*', found {char!r} "
                f"in {input_key!r}"
            )
    # RFC 9651 §4.1.1.3: "If the first character of input_key is not lcalpha or "*", fail
    # serialization."
    if not input_key or input_key[0] not in _KEY_FIRST:
        raise StructuredFieldError(
            f"expected a key starting with lcalpha or '*', found {input_key!r}"
        )
    return input_key


def serialize_dictionary(dictionary: Dictionary) -> str:
    """RFC 9651 §4.1.2 Serializing a Dictionary; an empty one gives "" (the field is omitted)."""
    output: list[str] = []
    for member_key, member in _map_entries(dictionary, "dictionary"):
        key_text = _serialize_key(member_key)
        # RFC 9651 §4.1.2: "If member_value is Boolean true: Append the result of running
        # Serializing Parameters (Section 4.1.1.2) with parameters to output."
        if isinstance(member, Item) and member.value is True:
            output.append(key_text + serialize_parameters(member.params))
        else:
            output.append(key_text + "=" + _serialize_member(member))
    return ", ".join(output)


def serialize_item(item: Item) -> str:
    """RFC 9651 §4.1.3 Serializing an Item."""
    if not isinstance(item, Item):
        raise StructuredFieldError(f"expected an Item, found {type(item).__name__}")
    value, params = item.value, item.params
    # The common case of component identifiers and signature parameters, without dispatch:
    # a String (`type is str`: no subclass) and no Parameters serialise as §4.1.6 alone.
    bare = _serialize_string(value) if type(value) is str else serialize_bare_item(value)
    if type(params) is tuple and not params:
        return bare
    return bare + serialize_parameters(params)


def serialize_bare_item(value: BareItem) -> str:
    """RFC 9651 §4.1.3.1 Serializing a Bare Item: dispatch on the type (bool before int)."""
    if isinstance(value, bool):
        return _serialize_boolean(value)
    if isinstance(value, int):
        return _serialize_integer(value)
    if isinstance(value, decimal.Decimal):
        return _serialize_decimal(value)
    if isinstance(value, str):
        return _serialize_string(value)
    if isinstance(value, Token):
        return _serialize_token(value)
    if isinstance(value, bytes):
        return _serialize_byte_sequence(value)
    if isinstance(value, Date):
        return _serialize_date(value)
    if isinstance(value, DisplayString):
        return _serialize_display_string(value)
    # RFC 9651 §4.1.3.1: "Otherwise, fail serialization."
    raise StructuredFieldError(f"expected a bare item, found {type(value).__name__}")


def _serialize_integer(input_integer: int) -> str:
    """RFC 9651 §4.1.4 Serializing an Integer."""
    # RFC 9651 §4.1.4: "If input_integer is not an integer in the range of -999,999,999,999,999
    # to 999,999,999,999,999 inclusive, fail serialization."
    if not MIN_INTEGER <= input_integer <= MAX_INTEGER:
        raise StructuredFieldError(
            f"expected an integer in [{MIN_INTEGER}, {MAX_INTEGER}], found {input_integer}"
        )
    return str(int(input_integer))


# A private context: rounding never depends on the caller's decimal context.
_DECIMAL_CONTEXT = decimal.Context(
    prec=MAX_DECIMAL_INTEGER_DIGITS + 2 * MAX_DECIMAL_FRACTION_DIGITS + 4,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation],
)
_THOUSANDTH = decimal.Decimal("0.001")


def _serialize_decimal(input_decimal: decimal.Decimal) -> str:
    """RFC 9651 §4.1.5 Serializing a Decimal."""
    # RFC 9651 §4.1.5: "If input_decimal is not a decimal number, fail serialization."
    if not input_decimal.is_finite():
        raise StructuredFieldError(f"expected a finite decimal, found {input_decimal}")
    # Too large already before rounding (rounding to 3 places only moves by at most 0.0005).
    if not input_decimal.is_zero() and input_decimal.adjusted() > MAX_DECIMAL_INTEGER_DIGITS:
        raise StructuredFieldError(
            f"expected at most {MAX_DECIMAL_INTEGER_DIGITS} integer digits, found {input_decimal}"
        )
    # RFC 9651 §4.1.5: "If input_decimal has more than three significant digits to the right of
    # the decimal point, round it to three decimal places, rounding the final digit to the
    # nearest value, or to the even value if it is equidistant."
    rounded = input_decimal.quantize(_THOUSANDTH, context=_DECIMAL_CONTEXT)
    sign, digits, exponent = rounded.as_tuple()
    assert exponent == -MAX_DECIMAL_FRACTION_DIGITS
    coefficient = int("".join(map(str, digits)))
    integer_component, fractional_component = divmod(coefficient, 1000)
    # RFC 9651 §4.1.5: "If input_decimal has more than 12 significant digits to the left of the
    # decimal point after rounding, fail serialization."
    if integer_component >= 10**MAX_DECIMAL_INTEGER_DIGITS:
        raise StructuredFieldError(
            f"expected at most {MAX_DECIMAL_INTEGER_DIGITS} integer digits after rounding, "
            f"found {input_decimal}"
        )
    # RFC 9651 §4.1.5: "If input_decimal is less than (but not equal to) 0, append "-" to
    # output."
    output = "-" if sign == 1 and coefficient != 0 else ""
    # RFC 9651 §4.1.5: "Append input_decimal's integer component represented in base 10 (using
    # only decimal digits) to output; if it is zero, append "0"."
    output += str(integer_component) + "."
    # RFC 9651 §4.1.5: "If input_decimal's fractional component is zero, append "0" to output."
    # Otherwise: "append the significant digits of input_decimal's fractional component".
    output += f"{fractional_component:03d}".rstrip("0") or "0"
    return output


def _serialize_string(input_string: str) -> str:
    """RFC 9651 §4.1.6 Serializing a String."""
    # RFC 9651 §4.1.6: "If input_string contains characters in the range %x00-1f or %x7f-ff
    # (i.e., not in VCHAR or SP), fail serialization."
    if _PRINTABLE_ASCII.fullmatch(input_string) is None:
        _raise_unprintable(input_string)
    # RFC 9651 §4.1.6: "If char is "\" or DQUOTE: Append "\" to output."
    if "\\" not in input_string and '"' not in input_string:
        return '"' + input_string + '"'
    escaped = input_string.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped + '"'


def _raise_unprintable(input_string: str) -> None:
    for char in input_string:
        if not " " <= char <= "~":
            raise StructuredFieldError(
                f"expected printable ASCII (0x20-0x7E) in a string, found {char!r}"
            )
    raise AssertionError("unreachable: called only for a string with an unprintable character")


def _serialize_token(input_token: Token) -> str:
    """RFC 9651 §4.1.7 Serializing a Token."""
    value = input_token.value
    if not isinstance(value, str):
        raise StructuredFieldError(f"expected a str token, found {type(value).__name__}")
    if _TOKEN_PATTERN.fullmatch(value) is not None:
        return value
    # RFC 9651 §4.1.7: "If the first character of input_token is not ALPHA or "*", or the
    # remaining portion contains a character not in tchar, ":", or "/", fail serialization."
    if not value or value[0] not in _TOKEN_FIRST:
        raise StructuredFieldError(f"expected a token starting with ALPHA or '*', found {value!r}")
    for char in value[1:]:
        if char not in _TOKEN_CHAR:
            raise StructuredFieldError(
                f"expected token characters tchar, ':' or '/', found {char!r} in {value!r}"
            )
    return value


def _serialize_byte_sequence(input_bytes: bytes) -> str:
    """RFC 9651 §4.1.8 Serializing a Byte Sequence."""
    # RFC 9651 §4.1.8: "The encoded data is required to be padded with "=", as per [RFC4648],
    # Section 3.2. Likewise, encoded data SHOULD have pad bits set to zero".
    return ":" + base64.b64encode(input_bytes).decode("ascii") + ":"


def _serialize_boolean(input_boolean: bool) -> str:
    """RFC 9651 §4.1.9 Serializing a Boolean."""
    return "?1" if input_boolean else "?0"


def _serialize_date(input_date: Date) -> str:
    """RFC 9651 §4.1.10 Serializing a Date."""
    seconds = input_date.seconds
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise StructuredFieldError(f"expected integer date seconds, found {seconds!r}")
    # RFC 9651 §4.1.10: "Append to output the result of running Serializing an Integer with
    # input_date (Section 4.1.4)."
    return "@" + _serialize_integer(seconds)


def _serialize_display_string(input_sequence: DisplayString) -> str:
    """RFC 9651 §4.1.11 Serializing a Display String."""
    value = input_sequence.value
    if not isinstance(value, str):
        raise StructuredFieldError(f"expected a str display string, found {type(value).__name__}")
    # RFC 9651 §4.1.11: "Let byte_array be the result of applying UTF-8 encoding (Section 3 of
    # [UTF8]) to input_sequence. If encoding fails, fail serialization."
    try:
        byte_array = value.encode("utf-8", errors="strict")
    except UnicodeEncodeError as error:
        raise StructuredFieldError(
            f"expected Unicode scalar values, found {error.reason} at index {error.start}"
        ) from None
    encoded: list[str] = ['%"']
    for byte in byte_array:
        # RFC 9651 §4.1.11: "If byte is %x25 ("%"), %x22 (DQUOTE), or in the ranges %x00-1f or
        # %x7f-ff: ... base16 encoding ... with any alphabetic characters converted to
        # lowercase."
        if byte in (0x25, 0x22) or not 0x20 <= byte <= 0x7E:
            encoded.append(f"%{byte:02x}")
        else:
            encoded.append(chr(byte))
    encoded.append('"')
    return "".join(encoded)
