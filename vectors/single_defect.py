"""Single-defect vectors: re-signing a changed request, and the proof by ablation.

An invalid ``verify_request`` vector changes ONE thing of a valid signed request. When that thing
is inside the signature (a signature parameter, a covered field), the request is re-signed with
its test key, so that the signature is valid over the request's own signature base and a
verifier that lacks exactly the rule under test accepts it (SPEC.md D39).

The proof: :func:`prove` verifies the vector again with the rules of its requirement skipped
(vectors/ablation.py: the reference verifier's step table without them); it must be accepted. A
vector that cannot have the property carries the flag ``NotSingleDefect`` and an
``explanation``.
"""

import base64
import re
from collections.abc import Callable, Mapping
from typing import Any, Final

from erc8128.crypto.personal_sign import personal_message_hash, recover_address, sign_message
from erc8128.errors import Erc8128Error
from erc8128.http.message import Request
from erc8128.http.signature_base import signature_base_for_label
from erc8128.http.structured_fields import (
    Item,
    Token,
    combine_field_lines,
    get_param,
    parse_dictionary,
)
from erc8128.protocol.verify import VerificationSteps

from .ablation import without
from .requirements import REQUIREMENTS

__all__ = ["NOT_SINGLE_DEFECT", "prove", "resign"]

NOT_SINGLE_DEFECT: Final = "NotSingleDefect"

_ADDRESS: Final = re.compile(r"0[xX]([0-9a-fA-F]{40})")

# Why a rule cannot be switched off alone: the verifier has nothing to go on without it.
_WHY_NOT: Final[Mapping[str, str]] = {
    "signature-fields-present": "without a signature field there is nothing to verify",
    "d10-empty-field": "an empty field has no member to verify",
    "sf-syntax": "a field that does not parse has no member to verify",
    "signature-correlation": "a candidate without its Signature Byte Sequence has no signature "
    "to verify",
    "keyid-required": "without a String keyid there is no account to verify against",
    "d18-absent-component": "a component the request lacks has no value to put into the "
    "signature base",
    "d19-no-control-characters": "a value with a control or non-ASCII character has no "
    "signature-base line",
    "d21-component-syntax": "a malformed component identifier has no value to put into the "
    "signature base",
    "signature-length": "a signature of another length has no r, s and v to recover from",
    "signature-r-range": "r out of range recovers no key",
    "signature-s-range": "s out of range recovers no key",
    "d14-legacy-strict-signature": "no recovery accepts this encoding",
    "universal-verification": "the contract account's ERC-1271 answer is the verdict; the rule "
    "is a fallback to ECDSA that a verifier must not add, not a check to switch off",
    "d1-reason-codes": "the vector pins the status of a 400 code in this profile; its defect, a "
    "repeated component, is shown single-defect by the test \"component covered twice, signed "
    "over the base with the repeated line\"",
    "d8-legacy-mode": "the vector shows that legacy still consults the account state with "
    "mode=\"eoa\" (503): there is no check to switch off",
}

# Why a vector still fails with its rule switched off, where that is the vector's nature.
_WHY_STILL: Final[Mapping[str, str]] = {
    "d2-legacy-candidates": "recognition and keyid syntax are one rule here (D2): a member "
    "that is not recognised has no keyid of this profile, so with recognition switched off "
    "invalid_keyid follows",
    "d14-legacy-strict-signature": "this encoding recovers no key even when high s and v 0/1 "
    "are normalised",
    "decoded-signature-limit": "a signature over 8 KiB cannot also be a valid 65-byte EOA "
    "signature; with the limit switched off it fails as bad_signature",
}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _keyid_text(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, Token):
        return value.value
    return None


def resign(request: Request, keys: Mapping[str, bytes], default_key: bytes) -> Request:
    """Re-sign each 65-byte Signature member that no longer verifies over its own base.

    The key is the one whose address the member's keyid names (any case, any namespace), else
    ``default_key``. Members whose base cannot be built, and other members, are left alone; the
    Signature field is rewritten only when a member changed.
    """
    try:
        inputs = dict(parse_dictionary(
            combine_field_lines(request.field_lines("signature-input"))))
        signatures = parse_dictionary(combine_field_lines(request.field_lines("signature")))
    except Erc8128Error:
        return request
    changed = False
    members: list[str] = []
    for label, member in signatures:
        value = member.value if isinstance(member, Item) else None
        if not isinstance(value, bytes) or len(value) != 65 or label not in inputs:
            return request  # keep any other shape exactly as written
        try:
            base = signature_base_for_label(request, label).encode("ascii")
        except Erc8128Error:
            members.append(f"{label}=:{_b64(value)}:")
            continue
        keyid = _keyid_text(get_param(inputs[label].params, "keyid"))
        match = _ADDRESS.search(keyid or "")
        key = keys.get("0x" + match.group(1).lower(), default_key) if match else default_key
        try:
            valid = recover_address(personal_message_hash(base), value) == (
                "0x" + match.group(1).lower() if match else None)
        except Erc8128Error:
            valid = False
        if not valid:
            value = sign_message(key, base)
            changed = True
        members.append(f"{label}=:{_b64(value)}:")
    if not changed:
        return request
    # The new value replaces the first Signature line in place; later lines are dropped.
    headers: list[tuple[str, str]] = []
    done = False
    for name, text in request.headers:
        if name.lower() == "signature":
            if not done:
                headers.append((name, ", ".join(members)))
                done = True
            continue
        headers.append((name, text))
    return Request(request.method, request.target_uri, tuple(headers), request.body)


def prove(requirement: str, run: Callable[[VerificationSteps], Mapping[str, Any]],
          why: str | None = None) -> str | None:
    """None when the vector verifies with its requirement's rules switched off (``run`` is the
    verification by a table of steps); else the explanation why it cannot (``why``: the
    vector's own, if given)."""
    rules = REQUIREMENTS[requirement].ablates
    if not rules:
        reason = why or _WHY_NOT.get(requirement,
                                     "the reference verifier cannot switch this rule off")
        return f"requirement {requirement} cannot be switched off alone: {reason}"
    outcome = run(without(rules))
    if outcome["result"] == "valid":
        return None
    reason = why or _WHY_STILL.get(requirement, "the vector has a second defect")
    return (f"with {', '.join(sorted(rules))} switched off the reference verifier still answers "
            f"{outcome['reason']}: {reason}")
