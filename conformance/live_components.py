"""Live checks of covered components (ERC-8128 §3.1, RFC 9421 §2): what must be covered,
Class-Bound signatures, duplicated component identifiers and trimmed field values.
"""

from erc8128.crypto.accelerate import personal_message_hash, sign_hash
from erc8128.http.signature_base import signature_base
from erc8128.http.structured_fields import InnerList, serialize_inner_list
from erc8128_conformance.judge import Finding
from erc8128_conformance.live_answers import accepted, accepted_or_rejected, rejected
from erc8128_conformance.live_context import LiveContext
from erc8128_conformance.live_signing import (
    LIVE_PRIVATE_KEY,
    default_components,
    drop_header,
    forge,
    parse_member,
    replace_header,
    signature_field,
    valid_request,
    without,
)
from erc8128_conformance.live_transport import send

__all__ = [
    "check_authority_not_covered",
    "check_class_bound",
    "check_duplicated_component",
    "check_field_value_trimmed",
]


def check_authority_not_covered(ctx: LiveContext) -> list[Finding]:
    components = without(default_components(ctx, ctx.target.path), "@authority")
    request = valid_request(ctx, components=components)
    return rejected(send(ctx.target, request), "insufficient_coverage")


def check_class_bound(ctx: LiveContext) -> list[Finding]:
    # Only @authority (and @scheme in the draft): a Class-Bound signature. Conforming answers:
    # accepted under the route's policy, or insufficient_coverage.
    components = [c for c in default_components(ctx, ctx.target.path)
                  if c in ("@authority", "@scheme")]
    answer = send(ctx.target, valid_request(ctx, components=components))
    return accepted_or_rejected(answer, ("insufficient_coverage",),
                                f"a Class-Bound signature covering {components}")


def check_duplicated_component(ctx: LiveContext) -> list[Finding]:
    # RFC 9421 §2.5: "If the component identifier (including its parameters) has already been
    # added to the signature base, produce an error." The signer writes "@method" twice and signs
    # the base a verifier without that rule would build.
    forged = forge(ctx)
    member = parse_member(forged.member)
    doubled = InnerList((*member.items, member.items[0]), member.params)
    base = signature_base(drop_header(drop_header(forged.request, "Signature"),
                                       "Signature-Input"), member)
    lines = base.split("\n")
    serialized = serialize_inner_list(doubled)
    lines = [*lines[:-1], lines[0], f'"@signature-params": {serialized}']
    signature = sign_hash(LIVE_PRIVATE_KEY,
                          personal_message_hash("\n".join(lines).encode("ascii")))
    request = replace_header(forged.request, "Signature-Input", f"eth={serialized}")
    request = replace_header(request, "Signature", signature_field("eth", signature))
    first = serialize_inner_list(InnerList((member.items[0],), ())).strip("()")
    return rejected(send(ctx.target, request), "signature_input_invalid",
                    f"{first} covered twice")


def check_field_value_trimmed(ctx: LiveContext) -> list[Finding]:
    # RFC 9421 §2.1: "Strip leading and trailing whitespace from each item in the list." The
    # signer covers x-conformance with its trimmed value; the wire line carries spaces around it.
    components = [*default_components(ctx, ctx.target.path), "x-conformance"]
    forged = forge(ctx, headers=(("X-Conformance", "spaced value"),), components=components)
    request = replace_header(forged.request, "X-Conformance", "   spaced value \t ")
    return accepted(send(ctx.target, request),
                    'a covered "X-Conformance:   spaced value \\t " (signed trimmed)')

