"""RFC 9421 §2.5: create the signature base of a request for one signature.

:func:`signature_base` takes the parsed ``Signature-Input`` member (an Inner List whose items
are the covered components and whose parameters are the signature parameters, in received
order) and returns the base: one ``"<identifier>": <value>`` line per covered component,
joined by LF, then the ``"@signature-params"`` line, with no trailing newline.
:func:`signature_base_for_label` reads the member for a label from the request itself.
"""

from collections.abc import Mapping, Sequence

from erc8128.errors import MessageComponentError, StructuredFieldError
from erc8128.http.components import (
    STRUCTURED_FIELD_TYPES,
    FieldType,
    component_identifier,
    field_values,
    identified_component_value,
)
from erc8128.http.message import Request
from erc8128.http.structured_fields import (
    InnerList,
    combine_field_lines,
    parse_dictionary,
    serialize_inner_list,
    serialize_parameters,
)

# RFC 9421 §2.3: signature-params-line = DQUOTE "@signature-params" DQUOTE ":" SP inner-list
SIGNATURE_PARAMS_IDENTIFIER = '"@signature-params"'


def signature_base(request: Request, signature_params: InnerList, *,
                   structured_fields: Mapping[str, FieldType] = STRUCTURED_FIELD_TYPES,
                   checked_identifiers: Sequence[str] | None = None) -> str:
    """The RFC 9421 §2.5 signature base of ``request`` for the given Signature-Input member.

    Raises :class:`MessageComponentError` for a duplicate, reserved, non-string, unknown or
    absent component, or for any value that is not safe US-ASCII. A verifier that has already
    run :func:`~erc8128.http.components.check_component` on every item passes the results, in item
    order, as ``checked_identifiers``, so that they are not serialised and checked again.
    """
    if not isinstance(signature_params, InnerList):
        raise MessageComponentError(
            "signature_params_not_inner_list",
            f"expected the Signature-Input member as an Inner List, got "
            f"{type(signature_params).__name__}",
        )
    lines: list[str] = []
    identifiers: list[str] = []
    seen: set[str] = set()
    # RFC 9421 §2.5 step 2: "For each signature component item in the covered components set
    # (in order)"
    if checked_identifiers is not None and len(checked_identifiers) != len(
        signature_params.items
    ):
        raise MessageComponentError(
            "checked_identifiers_mismatch",
            f"expected {len(signature_params.items)} checked identifiers, got "
            f"{len(checked_identifiers)}",
        )
    for position, component in enumerate(signature_params.items):
        # RFC 9421 §2: component-name = sf-string
        identifier = (
            component_identifier(component)
            if checked_identifiers is None
            else checked_identifiers[position]
        )
        # RFC 9421 §2.3: "@signature-params" is the last line, never a covered component.
        if component.value == "@signature-params":
            raise MessageComponentError(
                "component_signature_params_covered",
                f"expected covered components other than {SIGNATURE_PARAMS_IDENTIFIER}, got "
                f"{identifier}",
            )
        # RFC 9421 §2.5 step 2.1: "If the component identifier (including its parameters) has
        # already been added to the signature base, produce an error."
        if identifier in seen:
            raise MessageComponentError(
                "component_duplicate",
                f"expected each component identifier once, got {identifier} again",
            )
        seen.add(identifier)
        identifiers.append(identifier)
        # RFC 9421 §2.5 steps 2.2-2.6: identifier, ":", SP, canonical value.
        value = identified_component_value(
            request, component, identifier, structured_fields=structured_fields,
            checked=checked_identifiers is not None,
        )
        lines.append(f"{identifier}: {value}")
    # RFC 9421 §2.5 step 3: append the signature parameters line; §2.3: its value is the
    # Inner List with the parameters in the order given.
    try:
        if type(signature_params.items) is tuple:
            # RFC 9651 §4.1.1.1: "(", the items serialised and joined by SP, ")", then the
            # Parameters: the items are the identifiers serialised just above, so they are
            # joined rather than serialised a second time (serialize_inner_list would).
            serialized_params = (
                "(" + " ".join(identifiers) + ")" + serialize_parameters(signature_params.params)
            )
        else:
            serialized_params = serialize_inner_list(signature_params)
    except StructuredFieldError as error:
        raise MessageComponentError(
            "signature_params_invalid",
            f"expected a serialisable Signature-Input member: {error.message}",
        ) from error
    lines.append(f"{SIGNATURE_PARAMS_IDENTIFIER}: {serialized_params}")
    # RFC 9421 §2.5 step 2.7: "Append a single newline (\n)" after each component line.
    base = "\n".join(lines)
    # RFC 9421 §2.5 step 4: "Produce an error if the output string contains any non-ASCII
    # characters [ASCII]."
    if not base.isascii():
        raise MessageComponentError(
            "signature_base_not_ascii", "expected a US-ASCII signature base, got non-ASCII text"
        )
    return base


def signature_base_for_label(request: Request, label: str, *,
                             structured_fields: Mapping[str, FieldType] = STRUCTURED_FIELD_TYPES
                             ) -> str:
    """The signature base for the ``Signature-Input`` member named ``label`` in ``request``.

    The field lines are combined (RFC 9421 §2.1, RFC 9651 §4.2) and parsed as a Dictionary
    with RFC 9651's last-wins rule for repeated keys.
    """
    if not isinstance(label, str):
        raise MessageComponentError(
            "signature_label_type", f"expected the label as str, got {type(label).__name__}"
        )
    try:
        lines = field_values(request, "signature-input")
    except MessageComponentError as error:
        raise MessageComponentError(
            "signature_input_absent", "expected a Signature-Input field, got none"
        ) from error
    try:
        members = parse_dictionary(combine_field_lines(lines))
    except StructuredFieldError as error:
        raise MessageComponentError(
            "signature_input_invalid",
            f"expected Signature-Input to be an sf Dictionary: {error.message}",
        ) from error
    for member_label, member in members:
        if member_label != label:
            continue
        # RFC 9421 §4.1 (paraphrase): each Signature-Input member is an Inner List of the
        # covered component identifiers with the signature parameters.
        if not isinstance(member, InnerList):
            raise MessageComponentError(
                "signature_input_member_not_inner_list",
                f"expected the Signature-Input member {label!r} to be an Inner List, "
                f"got an Item",
            )
        return signature_base(request, member, structured_fields=structured_fields)
    raise MessageComponentError(
        "signature_label_absent",
        f"expected a Signature-Input member {label!r}, got labels "
        f"{[member_label for member_label, _ in members]!r}",
    )
