"""RFC 9421 §5.1 ``Accept-Signature``: what a verifier asks a repaired retry to sign (ERC-8128 §6).
"""

from dataclasses import dataclass
from typing import Final

from erc8128.client.errors import ClientError
from erc8128.errors import StructuredFieldError
from erc8128.http.structured_fields import (
    BareItem,
    InnerList,
    parse_dictionary,
    serialize_item,
)

# Parameters the signer sets itself; an Accept-Signature member's value for them is not copied.
_SIGNER_PARAMS: Final = frozenset({"created", "expires", "nonce", "keyid", "tag", "alg"})


# The fields signing adds; an HTTP library removes them before re-signing a repaired retry, so the
# retry carries exactly one signature.
SIGNATURE_FIELDS: Final = ("Signature-Input", "Signature", "Content-Digest")


@dataclass(frozen=True)
class AcceptSignature:
    """One member of an RFC 9421 §5.1 ``Accept-Signature`` field: the label the verifier wants
    and the exact component identifiers, in order, plus parameters to copy."""

    label: str
    components: tuple[str, ...]  # as sign_request takes them: "@path" or '"@query-param";name="a"'
    nonce: str | None  # a verifier-issued nonce (ERC-8128 §6 "MAY issue the nonce")
    params: tuple[tuple[str, BareItem], ...]  # other parameters with values, to be copied


def repair_hint(status: int, accept_signature: str | None) -> AcceptSignature | None:
    """The signature a 401's ``Accept-Signature`` asks a single retry to make, or None.

    ERC-8128 §6: "A retry MUST use the advertised label and cover exactly the listed component
    identifiers in the listed order; it MUST NOT append other covered components to that
    signature."
    """
    if status != 401 or accept_signature is None:
        return None
    accepted = parse_accept_signature(accept_signature)
    return accepted[0] if accepted else None


def parse_accept_signature(value: str) -> tuple[AcceptSignature, ...]:
    """Every member of an ``Accept-Signature`` field value, in field order."""
    try:
        members = parse_dictionary(value)
    except StructuredFieldError as error:
        raise ClientError(
            "accept_signature_invalid", f"expected an RFC 9651 Dictionary, got {error.message}"
        ) from None
    found: list[AcceptSignature] = []
    for label, member in members:
        if not isinstance(member, InnerList):
            raise ClientError(
                "accept_signature_invalid",
                f"expected an inner list of components for {label!r}, got an item",
            )
        components: list[str] = []
        for item in member.items:
            if not isinstance(item.value, str):
                raise ClientError(
                    "accept_signature_invalid",
                    f"expected component identifiers as strings, got {item.value!r}",
                )
            components.append(serialize_item(item) if item.params else item.value)
        nonce: str | None = None
        params: list[tuple[str, BareItem]] = []
        for key, param in member.params:
            if key == "nonce" and isinstance(param, str):
                nonce = param
            elif key not in _SIGNER_PARAMS:
                params.append((key, param))
        found.append(AcceptSignature(label, tuple(components), nonce, tuple(params)))
    return tuple(found)
