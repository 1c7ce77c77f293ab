"""RFC 9421 §2 message components of a request: HTTP fields (§2.1) and derived components (§2.2).

:func:`component_value` returns the canonical value of one covered component of a
:class:`~erc8128.http.message.Request`; :func:`component_identifier` returns its serialised
identifier (``"@query-param";name="a"``). Both take the component as a parsed RFC 9651 Item
whose value is the component name (an sf-string) and whose parameters are the component
parameters, exactly as they appear in a ``Signature-Input`` member.

Only request components exist here: ERC-8128 signs requests. ``@status`` (a response
component), the ``req`` parameter (which needs a related request) and the ``tr`` parameter
(trailers, which this request model does not carry) are rejected with a typed error.

A component value that would put a CR, an LF, another control character or a non-ASCII
character into the signature base is an error, never silently altered: RFC 9421 §2.5 step 4
"Produce an error if the output string contains any non-ASCII characters", and the base's
line structure must not be forgeable. HTAB may appear inside an HTTP field value (RFC 9421
§2.5 allows ``*field-content``, whose ``field-vchar [ 1*( SP / HTAB / field-vchar ) ...]``
includes HTAB); derived component values are ``*( VCHAR / SP )``.
"""

import base64
import re
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import Final, Literal

from erc8128.errors import Erc8128Error, MessageComponentError, StructuredFieldError
from erc8128.http.message import (
    Request,
    ascii_lower,
    authority,
    first_non_field_octet,
    is_token,
    path,
    query,
    scheme,
)
from erc8128.http.structured_fields import (
    BareItem,
    InnerList,
    Item,
    Parameters,
    combine_field_lines,
    parse_dictionary,
    parse_item,
    parse_list,
    serialize_dictionary,
    serialize_inner_list,
    serialize_item,
    serialize_list,
)

FieldType = Literal["item", "list", "dictionary"]

# RFC 9421 §2.1.1 (paraphrase): with the sf parameter the component value is the strict
# serialisation of the parsed field, which needs the field's structured type. Known request
# fields and their types (RFC 9421 §4.1, §4.2, §5.1; RFC 9530 §2-§4; RFC 9218 §5; RFC 9440 §2).
# Callers may pass a larger mapping to component_value for application fields.
STRUCTURED_FIELD_TYPES: Mapping[str, FieldType] = MappingProxyType(
    {
        "signature-input": "dictionary",
        "signature": "dictionary",
        "accept-signature": "dictionary",
        "content-digest": "dictionary",
        "repr-digest": "dictionary",
        "want-content-digest": "dictionary",
        "want-repr-digest": "dictionary",
        "priority": "dictionary",
        "client-cert": "item",
        "client-cert-chain": "list",
    }
)

# RFC 9421 §2.2: the derived components defined for requests (§2.2.1 - §2.2.8).
DERIVED_COMPONENTS: frozenset[str] = frozenset(
    {
        "@method",
        "@target-uri",
        "@authority",
        "@scheme",
        "@request-target",
        "@path",
        "@query",
        "@query-param",
    }
)

# RFC 9112 §5.2: obs-fold = OWS CRLF RWS (a bare LF line end is also recognised, §2.2).
_OBS_FOLD = re.compile(r"[ \t]*\r?\n[ \t]+")

# WHATWG URL §1.3: the application/x-www-form-urlencoded percent-encode set leaves only ASCII
# alphanumerics and "*", "-", ".", "_" unencoded.
_FORM_URLENCODED_SAFE = frozenset(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-._"
)
_HEX_DIGITS = frozenset(b"0123456789ABCDEFabcdef")

_FIELD_PARAMETERS = frozenset({"sf", "key", "bs", "req", "tr"})

# The characters _check_base_safe accepts, compiled: when a whole value matches, the
# per-character loop (which names the first bad character) is skipped.
_BASE_SAFE = re.compile(r"[\x20-\x7e]*")
_BASE_SAFE_WITH_HTAB = re.compile(r"[\t\x20-\x7e]*")
_FLAG_PARAMETERS = frozenset({"sf", "bs", "req", "tr"})


def _check_base_safe(value: str, identifier: str, *, allow_htab: bool) -> None:
    """Reject any character that is not printable US-ASCII (plus HTAB where allowed)."""
    if (_BASE_SAFE_WITH_HTAB if allow_htab else _BASE_SAFE).fullmatch(value) is not None:
        return
    for index, character in enumerate(value):
        code = ord(character)
        if 0x20 <= code <= 0x7E:
            continue
        if character == "\t" and allow_htab:
            continue
        if code < 0x20 or code == 0x7F:
            raise MessageComponentError(
                "component_value_control_character",
                f"expected no CR, LF or other control character in the value of {identifier}, "
                f"got {character!r} at index {index}",
            )
        # RFC 9421 §2.5 step 4: "Produce an error if the output string contains any non-ASCII
        # characters [ASCII]."
        raise MessageComponentError(
            "component_value_not_ascii",
            f"expected only US-ASCII in the value of {identifier}, got {character!r} at "
            f"index {index}",
        )


def parse_component(identifier: str) -> Item:
    """A component identifier as written in policy and APIs: ``@path``, ``content-type`` or the
    full serialised form ``"@query-param";name="a"``. Read on both paths: the signer's covered
    components and a verifier route's required ones."""
    if identifier.startswith('"'):
        try:
            item = parse_item(identifier)
        except StructuredFieldError as error:
            raise MessageComponentError(
                "component_invalid", f"component {identifier!r}: {error}"
            ) from None
        if not isinstance(item.value, str):
            raise MessageComponentError(
                "component_invalid", f"expected an sf-string, got {identifier!r}"
            )
        return item
    return Item(identifier)


def component_identifier(component: Item) -> str:
    """The serialised component identifier: the sf-string name followed by its parameters."""
    if not isinstance(component, Item):
        raise MessageComponentError(
            "component_not_item", f"expected an sf Item, got {type(component).__name__}"
        )
    # RFC 9421 §2.5: "The component identifier has a component name, which is a String value
    # serialized using the sf-string ABNF rule."
    if not isinstance(component.value, str):
        raise MessageComponentError(
            "component_not_string",
            f"expected the component name as an sf-string, got {component.value!r}",
        )
    try:
        return serialize_item(component)
    except StructuredFieldError as error:
        raise MessageComponentError(
            "component_identifier_invalid",
            f"expected a serialisable component identifier, got {component!r}: {error.message}",
        ) from error


def _check_parameter_types(params: tuple[tuple[str, BareItem], ...], identifier: str) -> None:
    for key, value in params:
        if key in _FLAG_PARAMETERS and value is not True:
            raise MessageComponentError(
                "component_parameter_type",
                f"expected the flag {key!r} of {identifier} to be boolean true, got {value!r}",
            )
        if key in ("key", "name") and not isinstance(value, str):
            raise MessageComponentError(
                "component_parameter_type",
                f"expected the {key!r} parameter of {identifier} to be an sf-string, "
                f"got {value!r}",
            )


def _reject_req_and_tr(keys: set[str], identifier: str) -> None:
    if "req" in keys:
        # RFC 9421 §2.4 (paraphrase): req takes the component from the request related to a
        # response; a request has no related request.
        raise MessageComponentError(
            "component_req_without_related_request",
            f"expected no 'req' parameter on a request component, got {identifier}",
        )
    if "tr" in keys:
        # RFC 9421 §2.1.4: tr selects a trailer field; this request model carries no trailers.
        raise MessageComponentError(
            "component_trailers_unsupported",
            f"expected a header field (trailers are not supported), got {identifier}",
        )


def field_values(request: Request, name: str) -> tuple[str, ...]:
    """RFC 9421 §2.1 steps 1-3: the field line values of ``name``, trimmed, obs-fold replaced.

    ``name`` is a lowercase field name. An absent field is an error; a field present with an
    empty value gives an empty string.
    """
    lines = request.field_lines(name)
    if not lines:
        # RFC 9421 §2.5: "If the field cannot be found in the message [...] produce an error."
        raise MessageComponentError(
            "component_absent", f"expected the request to have a {name!r} field, got none"
        )
    # RFC 9421 §2.1: "Strip leading and trailing whitespace from each item in the list." and
    # "Remove any obsolete line folding within the line, and replace it with a single space
    # (" ")" (an obs-fold needs an LF, so a line without one is only trimmed).
    return tuple(
        _OBS_FOLD.sub(" ", line.strip(" \t")) if "\n" in line else line.strip(" \t")
        for line in lines
    )


def _octets(value: str, identifier: str) -> bytes:
    """The field line's octets (RFC 9110 §5.5 field-value: HTAB, SP, VCHAR, obs-text)."""
    index = first_non_field_octet(value)
    if index is None:
        return value.encode("latin-1")
    character = value[index]
    if ord(character) > 0xFF:
        raise MessageComponentError(
            "component_value_not_octets",
            f"expected latin-1 decoded octets in a field line of {identifier}, "
            f"got {character!r} at index {index}",
        )
    raise MessageComponentError(
        "component_value_control_character",
        f"expected no control character in a field line of {identifier}, "
        f"got {character!r} at index {index}",
    )


def _structured_value(values: tuple[str, ...], field_type: FieldType, identifier: str,
                      key: str | None) -> str:
    # RFC 9651 §4.2: field lines of one field are combined with ", " before parsing.
    combined = combine_field_lines(values)
    try:
        if field_type == "item":
            parsed_item = parse_item(combined)
        elif field_type == "list":
            parsed_list = parse_list(combined)
        else:
            parsed_dictionary = parse_dictionary(combined)
    except StructuredFieldError as error:
        raise MessageComponentError(
            "component_field_not_structured",
            f"expected {identifier} to parse as an sf {field_type}: {error.message}",
        ) from error
    # RFC 9421 §2.1.1 / §2.1.2 (paraphrase): the component value is the strict serialisation
    # of the parsed field, or of the selected Dictionary member for key.
    if field_type == "item":
        return serialize_item(parsed_item)
    if field_type == "list":
        return serialize_list(parsed_list)
    if key is None:
        return serialize_dictionary(parsed_dictionary)
    # RFC 9421 §2.1.2: a key that is not a member of the Dictionary is an error (paraphrase of
    # "If the key is not found [...] produce an error").
    for member_key, member in parsed_dictionary:
        if member_key == key:
            if isinstance(member, InnerList):
                return serialize_inner_list(member)
            return serialize_item(member)
    raise MessageComponentError(
        "component_dictionary_key_absent",
        f"expected a member {key!r} in the Dictionary of {identifier}, got none",
    )


def _field_component_value(request: Request, component: Item, name: str, identifier: str,
                           structured_fields: Mapping[str, FieldType]) -> str:
    keys = {key for key, _ in component.params}
    values = field_values(request, name)
    if "bs" in keys:
        # RFC 9421 §2.1.3: "Encode the bytes of the resulting field value as a Byte Sequence"
        # for each field line, then "Follow the strict serialization of a List".
        wrapped = [
            ":" + base64.b64encode(_octets(value, identifier)).decode("ascii") + ":"
            for value in values
        ]
        return ", ".join(wrapped)
    if "key" in keys:
        member_key = next(value for key, value in component.params if key == "key")
        assert isinstance(member_key, str)  # checked by _check_parameter_types
        # RFC 9421 §2.1.2 (paraphrase): key selects a member of a Dictionary Structured Field;
        # a field known to be another type has no members.
        field_type = structured_fields.get(name, "dictionary")
        if field_type != "dictionary":
            raise MessageComponentError(
                "component_field_not_dictionary",
                f"expected {name!r} to be a Dictionary field for 'key', it is an sf {field_type}",
            )
        value = _structured_value(values, "dictionary", identifier, member_key)
        _check_base_safe(value, identifier, allow_htab=False)
        return value
    if "sf" in keys:
        known_type = structured_fields.get(name)
        if known_type is None:
            raise MessageComponentError(
                "component_sf_type_unknown",
                f"expected a field of known structured type for 'sf', got {name!r} "
                f"(known: {', '.join(sorted(structured_fields))})",
            )
        value = _structured_value(values, known_type, identifier, None)
        _check_base_safe(value, identifier, allow_htab=False)
        return value
    for value in values:
        _check_base_safe(value, identifier, allow_htab=True)
    # RFC 9421 §2.1: "Concatenate the list of values together with a single comma (",") and a
    # single space (" ") between each item."
    return ", ".join(values)


def _percent_decode(text: str) -> bytes:
    """WHATWG URL §1.3 percent-decode: "%" and two hex digits become one byte; else kept."""
    data = text.encode("ascii")
    output = bytearray()
    index = 0
    while index < len(data):
        byte = data[index]
        if (
            byte == 0x25
            and index + 2 < len(data)
            and data[index + 1] in _HEX_DIGITS
            and data[index + 2] in _HEX_DIGITS
        ):
            output.append(int(data[index + 1 : index + 3], 16))
            index += 3
            continue
        output.append(byte)
        index += 1
    return bytes(output)


def _form_urlencode(data: bytes, identifier: str) -> str:
    """Percent-encode after UTF-8 encoding with the form-urlencoded set, uppercase hex."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        # WHATWG URL §5.1 would replace invalid UTF-8 with U+FFFD, making different queries
        # give the same component value; we reject instead.
        raise MessageComponentError(
            "query_param_not_utf8",
            f"expected percent-decoded query names and values to be UTF-8 for {identifier}, "
            f"got {data!r}",
        ) from error
    return "".join(chr(byte) if byte in _FORM_URLENCODED_SAFE else f"%{byte:02X}" for byte in data)


def _query_param_value(request_query: str | None, name: str, identifier: str) -> str:
    """RFC 9421 §2.2.8: parse the query as application/x-www-form-urlencoded, re-encode."""
    matches: list[str] = []
    # WHATWG URL §5.1: "Let sequences be the result of splitting input on 0x26 (&)."
    for sequence in (request_query or "").split("&"):
        # WHATWG URL §5.1: "If bytes is the empty byte sequence, then continue."
        if sequence == "":
            continue
        raw_name, _, raw_value = sequence.partition("=")
        # WHATWG URL §5.1: "Replace any 0x2B (+) in name and value with 0x20 (SP)."
        decoded_name = _percent_decode(raw_name.replace("+", " "))
        encoded_name = _form_urlencode(decoded_name, identifier)
        if encoded_name != name:
            continue
        decoded_value = _percent_decode(raw_value.replace("+", " "))
        matches.append(_form_urlencode(decoded_value, identifier))
    if not matches:
        raise MessageComponentError(
            "query_param_absent",
            f"expected the query to contain a parameter whose re-encoded name (form-urlencoded "
            f"set, uppercase hex) is {name!r} for {identifier}, got {request_query!r}",
        )
    # RFC 9421 §2.2.8: "If a parameter name occurs multiple times in a request, the named
    # parameter MUST NOT be included."
    if len(matches) > 1:
        raise MessageComponentError(
            "query_param_repeated",
            f"expected the query parameter {name!r} once for {identifier}, got it "
            f"{len(matches)} times",
        )
    return matches[0]


def _derived_component_value(request: Request, component: Item, name: str,
                             identifier: str) -> str:
    if name == "@method":
        # RFC 9421 §2.2.1: "no transformation to the input method value's case is performed"
        value = request.method
        # RFC 9421 §2.5: derived-component-value = *( VCHAR / SP )
        _check_base_safe(value, identifier, allow_htab=False)
        return value
    return _target_uri_component_value(request.target_uri, component.params, name, identifier)


def _target_uri_component_value(target_uri: str, params: Parameters, name: str,
                                identifier: str) -> str:
    """Every derived component but @method: a function of the target URI (and of the
    ``name`` parameter for @query-param)."""
    if name == "@target-uri":
        # RFC 9421 §2.2.2: "The component value is the target URI of the request [HTTP],
        # assembled from all available URI components, including the authority."
        request_query = query(target_uri)
        suffix = "" if request_query is None else f"?{request_query}"
        value = f"{scheme(target_uri)}://{authority(target_uri)}{path(target_uri)}{suffix}"
    elif name == "@authority":
        value = authority(target_uri)
    elif name == "@scheme":
        # RFC 9421 §2.2.4: "The component value is the scheme as a lowercase string"
        value = scheme(target_uri)
    elif name == "@request-target":
        # RFC 9421 §2.2.5: the request target; this model keeps targets in origin-form.
        request_query = query(target_uri)
        value = path(target_uri) + ("" if request_query is None else f"?{request_query}")
    elif name == "@path":
        value = path(target_uri)
    elif name == "@query":
        # RFC 9421 §2.2.7: "If the query string is absent from the request message, the
        # component value is the leading ? character alone: ?"
        value = "?" + (query(target_uri) or "")
    else:
        query_name = next((value for key, value in params if key == "name"), None)
        # RFC 9421 §2.2.8: the component "MUST" carry the name parameter (paraphrase).
        if query_name is None:
            raise MessageComponentError(
                "query_param_name_missing",
                f"expected a 'name' parameter on {identifier}, got none",
            )
        assert isinstance(query_name, str)  # checked by _check_parameter_types
        value = _query_param_value(query(target_uri), query_name, identifier)
    # RFC 9421 §2.5: derived-component-value = *( VCHAR / SP )
    _check_base_safe(value, identifier, allow_htab=False)
    return value


def check_component(component: Item) -> str:
    """The checks of a component identifier that need no request (RFC 9421 §2, §2.5): an
    sf-string name, lowercase, a known derived name or a field-name token, and parameters that
    the component allows. Returns the serialised identifier; raises MessageComponentError."""
    # A component without parameters that passed once passes again: its name alone decides.
    # (Only parameterless ones are remembered: a parameter value True and 1 compare equal.)
    if not component.params and type(component.value) is str:
        known = _CHECKED_NAMES.get(component.value)
        if known is not None:
            return known
    identifier = component_identifier(component)
    _check_component_syntax(component, identifier)
    if not component.params and len(_CHECKED_NAMES) < _MAX_CHECKED_NAMES:
        _CHECKED_NAMES[component.value] = identifier  # type: ignore[index]
    return identifier


# check_component's results for parameterless components (issue 19: seven per request, each
# serialised and checked again). Bounded: names past the bound are checked every time.
_CHECKED_NAMES: dict[str, str] = {}
_MAX_CHECKED_NAMES: Final = 256


def _check_component_syntax(component: Item, identifier: str) -> None:
    """check_component's checks after the identifier was serialised (by component_identifier)."""
    name = component.value
    assert isinstance(name, str)  # checked by component_identifier
    if name == "":
        raise MessageComponentError("component_name_invalid", "expected a component name, got \"\"")
    # RFC 9421 §2.1: field component names are lowercased; derived names are lowercase too.
    if name != ascii_lower(name):
        raise MessageComponentError(
            "component_name_not_lowercase", f"expected a lowercase component name, got {identifier}"
        )
    keys = {key for key, _ in component.params}
    if name.startswith("@"):
        if name == "@signature-params":
            # RFC 9421 §2.3: @signature-params is the last line of the base, not a covered
            # component.
            raise MessageComponentError(
                "component_signature_params_covered",
                "expected a covered component, got \"@signature-params\"",
            )
        if name == "@status":
            # RFC 9421 §2.2.9: "The @status component identifier MUST NOT be used in a request
            # message."
            raise MessageComponentError(
                "component_response_only",
                "expected a request component, got the response component \"@status\"",
            )
        if name not in DERIVED_COMPONENTS:
            # RFC 9421 §2.5: "If the derived component name is unknown [...] produce an error."
            raise MessageComponentError(
                "component_unknown",
                f"expected one of {', '.join(sorted(DERIVED_COMPONENTS))}, got {identifier}",
            )
        allowed = {"req", "name"} if name == "@query-param" else {"req"}
        for key in keys:
            if key not in allowed:
                raise MessageComponentError(
                    "component_parameter_unknown",
                    f"expected parameters among {', '.join(sorted(allowed))} for {name}, "
                    f"got {key!r} in {identifier}",
                )
        if keys:
            _check_parameter_types(component.params, identifier)
            _reject_req_and_tr(keys, identifier)
        return
    # RFC 9421 §2.1: "The component name for an HTTP field is the lowercased form of its field
    # name"; a field name is a token (RFC 9110 §5.1).
    if not is_token(name):
        raise MessageComponentError(
            "component_name_invalid", f"expected a field name (token), got {identifier}"
        )
    for key in keys:
        if key not in _FIELD_PARAMETERS:
            raise MessageComponentError(
                "component_parameter_unknown",
                f"expected parameters among sf, key, bs, req, tr, got {key!r} in {identifier}",
            )
    if not keys:
        return
    _check_parameter_types(component.params, identifier)
    _reject_req_and_tr(keys, identifier)
    # RFC 9421 §2.1.3 (paraphrase): bs wraps raw field lines, so it cannot be combined with
    # the structured-field parameters sf or key.
    if "bs" in keys and ("sf" in keys or "key" in keys):
        raise MessageComponentError(
            "component_parameter_conflict",
            f"expected 'bs' without 'sf' or 'key', got {identifier}",
        )


def component_value(request: Request, component: Item, *,
                    structured_fields: Mapping[str, FieldType] = STRUCTURED_FIELD_TYPES) -> str:
    """The RFC 9421 §2 canonical value of one covered component of ``request``.

    ``structured_fields`` maps lowercase field names to their RFC 9651 type, for the ``sf``
    and ``key`` parameters. Every failure is a :class:`MessageComponentError`.
    """
    if not isinstance(request, Request):
        raise MessageComponentError(
            "request_type", f"expected a Request, got {type(request).__name__}"
        )
    identifier = check_component(component)
    return _component_value(request, component, identifier, structured_fields)


def identified_component_value(request: Request, component: Item, identifier: str, *,
                               structured_fields: Mapping[str, FieldType] = STRUCTURED_FIELD_TYPES,
                               checked: bool = False) -> str:
    """:func:`component_value` for a caller that already has ``identifier =
    component_identifier(component)``: the same checks and value, one serialisation fewer.
    ``checked=True`` says the identifier came from :func:`check_component` (whose checks are
    then not repeated)."""
    if not isinstance(request, Request):
        raise MessageComponentError(
            "request_type", f"expected a Request, got {type(request).__name__}"
        )
    if not checked:
        _check_component_syntax(component, identifier)
    if not component.params:
        # The common case (every component of an ERC-8128 request as its signers write it):
        # no parameters, so no sf / key / bs / name to apply. The same values and errors as
        # _component_value, which stays the reference for every other component.
        name = component.value
        assert isinstance(name, str)  # checked by check_component
        if name.startswith("@"):
            if name == "@method":
                value = request.method
                _check_base_safe(value, identifier, allow_htab=False)
                return value
            if name != "@query-param":
                return _plain_derived_value(request.target_uri, name, identifier)
        else:
            return _plain_field_value(request, name, identifier)
    return _component_value(request, component, identifier, structured_fields)


@lru_cache(maxsize=1024)
def _plain_derived_value(target_uri: str, name: str, identifier: str) -> str:
    """A parameterless derived component of the target URI (@target-uri, @authority, @scheme,
    @request-target, @path, @query): a pure function of the text, remembered for the last few
    target URIs (errors are not remembered: they are raised again)."""
    return _target_uri_component_value(target_uri, (), name, identifier)


def _plain_field_value(request: Request, name: str, identifier: str) -> str:
    """RFC 9421 §2.1 for a field component without parameters: field_values, then the lines
    checked and joined as _field_component_value does."""
    values = field_values(request, name)
    # RFC 9421 §2.1: "Concatenate the list of values together with a single comma (",") and a
    # single space (" ") between each item."
    value = ", ".join(values)
    if _BASE_SAFE_WITH_HTAB.fullmatch(value) is None:
        for line_value in values:  # the first bad character, named as the reference names it
            _check_base_safe(line_value, identifier, allow_htab=True)
    return value


def _component_value(request: Request, component: Item, identifier: str,
                     structured_fields: Mapping[str, FieldType]) -> str:
    """component_value once ``identifier = check_component(component)`` has succeeded."""
    name = component.value
    assert isinstance(name, str)  # checked by check_component
    try:
        if name.startswith("@"):
            return _derived_component_value(request, component, name, identifier)
        return _field_component_value(request, component, name, identifier, structured_fields)
    except MessageComponentError:
        raise
    except Erc8128Error as error:
        raise MessageComponentError(
            error.reason, f"{identifier}: {error.message}"
        ) from error
