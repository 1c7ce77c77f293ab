"""Live checks of signature members and labels (ERC-8128 §3.5, RFC 9421 §4): arbitrary
labels, a failing member beside a valid one, repeated labels (last wins) and the size limits.
"""

import re

from erc8128.http.message import Request
from erc8128.http.structured_fields import BareItem
from erc8128_conformance.judge import Finding
from erc8128_conformance.live_answers import accepted, rejected
from erc8128_conformance.live_context import LiveContext
from erc8128_conformance.live_signing import (
    foreign_signature,
    forge,
    signature_field,
    valid_request,
)
from erc8128_conformance.live_transport import send

__all__ = [
    "check_duplicate_label_last_valid",
    "check_duplicate_label_last_wins",
    "check_failing_then_valid_member",
    "check_other_label",
    "check_signature_input_too_large",
    "check_star_label",
    "check_too_many_candidates",
    "check_too_many_parameters",
]


def check_other_label(ctx: LiveContext) -> list[Finding]:
    return accepted(send(ctx.target, valid_request(ctx, label="sig1")), "label sig1")


def check_star_label(ctx: LiveContext) -> list[Finding]:
    return accepted(send(ctx.target, valid_request(ctx, label="*sig")), "label *sig")


def check_failing_then_valid_member(ctx: LiveContext) -> list[Finding]:
    bad = forge(ctx, label="first")
    good = forge(ctx, label="second")
    wrong = foreign_signature(bad)
    headers = (
        ("Host", ctx.target.authority),
        ("Signature-Input", f"first={bad.member}, second={good.member}"),
        ("Signature", f"{signature_field('first', wrong)}, "
                      f"{signature_field('second', good.signature)}"),
    )
    request = Request("GET", ctx.target.url, headers, None)
    return accepted(send(ctx.target, request), "a wrong first member, then a valid second one")


def _label_eth_twice(ctx: LiveContext, *, valid_last: bool) -> Request:
    """Two Signature-Input field lines, both labelled eth: one member valid, the other a copy
    with a changed nonce; ``valid_last`` says which of the two comes last (and so wins)."""
    forged = forge(ctx)
    changed = re.sub(r'nonce="([^"]*)"', r'nonce="\1x"', forged.member)
    first, last = (changed, forged.member) if valid_last else (forged.member, changed)
    headers = (
        ("Host", ctx.target.authority),
        ("Signature-Input", f"eth={first}"),
        ("Signature-Input", f"eth={last}"),
        ("Signature", signature_field("eth", forged.signature)),
    )
    return Request("GET", ctx.target.url, headers, None)


def check_duplicate_label_last_wins(ctx: LiveContext) -> list[Finding]:
    # Two field lines, both labelled eth: the first member valid, the last (which wins) a copy
    # with a changed nonce, so the surviving member does not match the signature.
    request = _label_eth_twice(ctx, valid_last=False)
    return rejected(send(ctx.target, request), "bad_signature",
                    "label eth twice, the last member changed")


def check_too_many_candidates(ctx: LiveContext) -> list[Finding]:
    members = [forge(ctx, label=f"s{index}") for index in range(9)]
    headers = (
        ("Host", ctx.target.authority),
        ("Signature-Input", ", ".join(f"s{i}={m.member}" for i, m in enumerate(members))),
        ("Signature", ", ".join(signature_field(f"s{i}", m.signature)
                                for i, m in enumerate(members))),
    )
    request = Request("GET", ctx.target.url, headers, None)
    return rejected(send(ctx.target, request), "signature_too_large", "nine candidates")


def check_signature_input_too_large(ctx: LiveContext) -> list[Finding]:
    # An extra String parameter of 17000 characters: over the 16 KiB field limit.
    def pad(params: list[tuple[str, BareItem]]) -> list[tuple[str, BareItem]]:
        return [*params, ("pad", "p" * 17000)]

    answer = send(ctx.target, valid_request(ctx, edit_params=pad))
    # ERC-8128 §3.5: "Deployments MAY use smaller documented limits": an HTTP layer whose
    # header-section limit is below 16 KiB refuses it first (RFC 6585 §5: 431).
    if answer.status == 431:
        return []
    return rejected(answer, "signature_too_large", "a Signature-Input of over 16 KiB")


def check_too_many_parameters(ctx: LiveContext) -> list[Finding]:
    def more(params: list[tuple[str, BareItem]]) -> list[tuple[str, BareItem]]:
        return [*params, *((f"x{index}", index) for index in range(17 - len(params)))]

    return rejected(send(ctx.target, valid_request(ctx, edit_params=more)), "signature_too_large",
                    "17 signature parameters")


def check_duplicate_label_last_valid(ctx: LiveContext) -> list[Finding]:
    # The converse of duplicate_label_last_wins: the first member changed, the last (which wins)
    # the valid one, so a verifier keeping the first occurrence refuses it.
    request = _label_eth_twice(ctx, valid_last=True)
    return accepted(send(ctx.target, request), "label eth twice, the last member the valid one")

