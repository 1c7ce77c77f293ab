"""Live checks of the signature itself: baseline acceptance, whole-message failures
(missing, tampered, malformed), ``tag``, ``keyid``, ``alg`` and the signature bytes (ERC-8128
§3.3, §3.4.3).
"""

import base64
import re
from collections.abc import Callable
from typing import Final

from erc8128.crypto.addresses import address_of
from erc8128.crypto.secp256k1 import N
from erc8128.http.message import Request
from erc8128.http.structured_fields import BareItem, Token
from erc8128.protocol.profiles import get_profile
from erc8128_conformance.judge import Finding
from erc8128_conformance.live_answers import accepted, failed, rejected
from erc8128_conformance.live_context import CheckNotApplicable, LiveContext
from erc8128_conformance.live_signing import (
    LIVE_ADDRESS,
    OTHER_PRIVATE_KEY,
    drop_header,
    forge,
    keyid_of,
    replace_header,
    signature_field,
    valid_request,
)
from erc8128_conformance.live_transport import send

__all__ = [
    "UNSERVED_CHAIN",
    "check_alg",
    "check_high_s",
    "check_keyid_chain_leading_zero",
    "check_keyid_mixed_hex",
    "check_keyid_other_address",
    "check_keyid_unserved_chain",
    "check_keyid_upper_hex",
    "check_malformed_signature_input",
    "check_missing_signature",
    "check_mode_eoa",
    "check_no_tag",
    "check_other_tag",
    "check_signature_field_missing",
    "check_signature_not_byte_sequence",
    "check_tag_token",
    "check_tampered",
    "check_unknown_parameter",
    "check_unrecoverable_signature",
    "check_v_zero_one",
    "check_valid",
]


# A chain no test server serves (unless its discovery document says otherwise).
UNSERVED_CHAIN: Final = 8128000128


def check_valid(ctx: LiveContext) -> list[Finding]:
    return accepted(send(ctx.target, valid_request(ctx)))


def check_missing_signature(ctx: LiveContext) -> list[Finding]:
    unsigned = Request("GET", ctx.target.url, (("Host", ctx.target.authority),), None)
    return rejected(send(ctx.target, unsigned), "signature_missing")


def check_signature_field_missing(ctx: LiveContext) -> list[Finding]:
    request = drop_header(valid_request(ctx), "Signature")
    return rejected(send(ctx.target, request), "signature_missing")


def check_tampered(ctx: LiveContext) -> list[Finding]:
    request = valid_request(ctx)
    signature_input = ", ".join(request.field_lines("signature-input"))
    # A covered signature parameter changed after signing: the nonce stays a valid nonce, so
    # the only thing wrong is the signature.
    tampered, count = re.subn(r'nonce="([^"]*)"', r'nonce="\1x"', signature_input)
    if count != 1:
        return failed(f"cannot tamper with {signature_input!r}")
    answer = send(ctx.target, replace_header(request, "Signature-Input", tampered))
    return rejected(answer, "bad_signature")


def check_malformed_signature_input(ctx: LiveContext) -> list[Finding]:
    request = replace_header(valid_request(ctx), "Signature-Input", 'eth=("@authority" "@method"')
    return rejected(send(ctx.target, request), "signature_input_invalid")


def check_signature_not_byte_sequence(ctx: LiveContext) -> list[Finding]:
    forged = forge(ctx)
    value = f'eth="{base64.b64encode(forged.signature).decode("ascii")}"'
    request = replace_header(forged.request, "Signature", value)
    return rejected(send(ctx.target, request), "signature_input_invalid")


def _set_param(name: str, value: BareItem | None
               ) -> Callable[[list[tuple[str, BareItem]]], list[tuple[str, BareItem]]]:
    def edit(params: list[tuple[str, BareItem]]) -> list[tuple[str, BareItem]]:
        kept = [(k, v) for k, v in params if k != name]
        return kept if value is None else [*kept, (name, value)]

    return edit


def check_no_tag(ctx: LiveContext) -> list[Finding]:
    request = valid_request(ctx, edit_params=_set_param("tag", None))
    return rejected(send(ctx.target, request), "no_acceptable_signature", "no tag")


def check_tag_token(ctx: LiveContext) -> list[Finding]:
    request = valid_request(ctx, edit_params=_set_param("tag", Token("erc8128")))
    return rejected(send(ctx.target, request), "no_acceptable_signature", "tag=erc8128 (Token)")


def check_other_tag(ctx: LiveContext) -> list[Finding]:
    request = valid_request(ctx, edit_params=_set_param("tag", "erc8128-delegated"))
    return rejected(send(ctx.target, request), "no_acceptable_signature",
                    'tag="erc8128-delegated"')


def check_keyid_upper_hex(ctx: LiveContext) -> list[Finding]:
    keyid = f"eip155:{ctx.target.chain_id}:0x{LIVE_ADDRESS[2:].upper()}"
    return rejected(send(ctx.target, valid_request(ctx, keyid=keyid)), "invalid_keyid", keyid)


def check_keyid_mixed_hex(ctx: LiveContext) -> list[Finding]:
    mixed = "".join(c.upper() if i % 2 else c for i, c in enumerate(LIVE_ADDRESS[2:]))
    keyid = f"erc8128:{ctx.target.chain_id}:0x{mixed}"
    return accepted(send(ctx.target, valid_request(ctx, keyid=keyid)), keyid)


def check_keyid_chain_leading_zero(ctx: LiveContext) -> list[Finding]:
    prefix = get_profile(ctx.profile).keyid_prefix
    keyid = f"{prefix}:0{ctx.target.chain_id}:{LIVE_ADDRESS}"
    return rejected(send(ctx.target, valid_request(ctx, keyid=keyid)), "invalid_keyid", keyid)


def check_keyid_unserved_chain(ctx: LiveContext) -> list[Finding]:
    chains = (ctx.discovery or {}).get("chains")
    if isinstance(chains, list) and f"eip155:{UNSERVED_CHAIN}" in chains:
        raise CheckNotApplicable(f"the server serves chain {UNSERVED_CHAIN}")
    keyid = keyid_of(ctx.profile, UNSERVED_CHAIN, LIVE_ADDRESS)
    return rejected(send(ctx.target, valid_request(ctx, keyid=keyid)), "unsupported_chain", keyid)


def check_keyid_other_address(ctx: LiveContext) -> list[Finding]:
    keyid = keyid_of(ctx.profile, ctx.target.chain_id, address_of(OTHER_PRIVATE_KEY))
    return rejected(send(ctx.target, valid_request(ctx, keyid=keyid)), "bad_signature",
                    "keyid names another account than the signing key's")


def check_alg(ctx: LiveContext) -> list[Finding]:
    request = valid_request(ctx, edit_params=_set_param("alg", "eip191"))
    return rejected(send(ctx.target, request), "unsupported_algorithm", 'alg="eip191"')


def check_unknown_parameter(ctx: LiveContext) -> list[Finding]:
    request = valid_request(ctx, edit_params=_set_param("x-app", "conformance"))
    return accepted(send(ctx.target, request), 'an extra parameter x-app="conformance"')


def check_mode_eoa(ctx: LiveContext) -> list[Finding]:
    request = valid_request(ctx, edit_params=_set_param("mode", "eoa"))
    return accepted(send(ctx.target, request), 'mode="eoa"')


def check_unrecoverable_signature(ctx: LiveContext) -> list[Finding]:
    # r = 0 is outside 1 <= r < n: nothing recovers, a definitive invalid result (not an
    # unavailable verifier).
    request = _resigned(ctx, lambda sig: bytes(32) + sig[32:])
    return rejected(send(ctx.target, request), "bad_signature", "a signature with r = 0")


def _resigned(ctx: LiveContext, transform: Callable[[bytes], bytes]) -> Request:
    forged = forge(ctx)
    return replace_header(forged.request, "Signature",
                           signature_field("eth", transform(forged.signature)))


def _high_s_twin(signature: bytes) -> bytes:
    # The same (r, s) point's other valid encoding: s' = n - s, v' = 55 - v.
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    return r + (N - s).to_bytes(32, "big") + bytes([55 - v])


def check_high_s(ctx: LiveContext) -> list[Finding]:
    return rejected(send(ctx.target, _resigned(ctx, _high_s_twin)), "bad_signature",
                    "the high-s twin of a valid signature")


def check_v_zero_one(ctx: LiveContext) -> list[Finding]:
    request = _resigned(ctx, lambda sig: sig[:64] + bytes([sig[64] - 27]))
    return rejected(send(ctx.target, request), "bad_signature", "v as 0/1 instead of 27/28")

