"""Semantic judging of ``sign_request`` (SPEC.md D47): a signer passes when what it signed is
right, whatever the bytes look like.

A valid ``sign_request`` case passes when the signer's header list

1. keeps every field of the request it was given (as HTTP sees fields: names case-insensitive,
   lines of one name combined in order), and adds only ``Content-Digest``, ``Signature-Input``
   and ``Signature`` (a signer does not rewrite the request it signs);
2. adds exactly one member under the requested label to each signature field and leaves the
   members already there untouched;
3. is accepted by the reference verifier, for that member alone, under the case's policy (the
   profile's baseline, the case's chain served, Replayable accepted when the case asks for no
   nonce, Class-Bound accepted when the case names its own components), with the signer's
   address as the principal;
4. signs every parameter the reference signs with the same value (``created``, ``expires``,
   ``nonce``, ``keyid``, ``tag``, ``mode`` and the case's extra parameters), and covers every
   component the reference covers (default components) or the case asks for (explicit ones).

Byte equality with the reference's output is reported separately as the "canonical form":
ERC-8128 and RFC 9421 leave the component order, the parameter order and the digest algorithm to
the signer (the February text's own example orders components differently from the draft's).
Only a case whose bytes the text itself fixes (flag ``DraftVector``: the draft's positive vector,
or ``FixedBytes``) fails on a canonical-form difference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from erc8128.cli.adapter import AdapterState, answer
from erc8128.crypto.addresses import address_of
from erc8128.errors import Erc8128Error
from erc8128.http.structured_fields import (
    Dictionary,
    InnerList,
    Item,
    parse_dictionary,
    serialize_bare_item,
    serialize_dictionary,
    serialize_item,
)

__all__ = ["FIXED_BYTES_FLAGS", "SigningCheck", "check_signed_request"]

# Flags of sign_request cases whose exact bytes the text fixes (canonical form required).
FIXED_BYTES_FLAGS: Final = frozenset({"DraftVector", "FixedBytes"})
# Fields a signer may add to the request it signs (ERC-8128 §3.1.3: "A signer sending non-empty
# content MUST generate Content-Digest"; RFC 9421 §4: Signature-Input and Signature).
_ADDED: Final = frozenset({"content-digest", "signature-input", "signature"})
_DEFAULT_MAX_VALIDITY_SEC: Final = 300


@dataclass(frozen=True)
class SigningCheck:
    """``problems``: why the signed request is wrong (empty: it is right)."""

    problems: tuple[str, ...]


def _lines(headers: Any) -> list[tuple[str, str]] | None:
    if not isinstance(headers, list):
        return None
    out = []
    for line in headers:
        if not (isinstance(line, list) and len(line) == 2):
            return None
        if not (isinstance(line[0], str) and isinstance(line[1], str)):
            return None
        out.append((line[0].lower(), line[1]))
    return out


def _field(lines: list[tuple[str, str]], name: str) -> str:
    return ", ".join(value for key, value in lines if key == name)


def _fields(lines: list[tuple[str, str]]) -> dict[str, str]:
    return {name: _field(lines, name) for name, _ in lines}


def _dictionary(lines: list[tuple[str, str]], name: str) -> Dictionary | str:
    try:
        return parse_dictionary(_field(lines, name))
    except Erc8128Error as error:
        return f"{name} is not a Dictionary: {error}"


def _params(member: Item | InnerList) -> dict[str, str]:
    return {key: serialize_bare_item(value) for key, value in member.params}


def _covered(member: Item | InnerList) -> list[str]:
    return [serialize_item(item) for item in member.items] if isinstance(member, InnerList) else []


def _identifier(component: str) -> str:
    """A component as the case writes it (``@path``) in serialised form (``"@path"``)."""
    return component if component.startswith('"') else f'"{component}"'


def _policy(fields: dict[str, Any]) -> dict[str, Any]:
    """The policy the signed request is verified under (the case's own, else the baseline
    opened as far as the case's signing choices need)."""
    policy: dict[str, Any] = {}
    chain_id = fields.get("chain_id")
    if type(chain_id) is int:
        policy["served_chains"] = [chain_id]
    if fields.get("nonce", "") is None:
        policy["replay"] = "either"  # the case asks for a Replayable signature
    if fields.get("components") is not None:
        policy["class_bound"] = True  # the signer's right to choose its components
    created, expires = fields.get("created"), fields.get("expires")
    if type(created) is int and type(expires) is int:
        policy["max_validity_sec"] = max(_DEFAULT_MAX_VALIDITY_SEC, expires - created)
    case_policy = fields.get("policy")
    if isinstance(case_policy, dict):
        policy.update(case_policy)
    return policy


def check_signed_request(
    fields: dict[str, Any], got: dict[str, Any], reference_signature_input: str | None
) -> SigningCheck:
    """Judge a signer's ``sign_request`` output (``got``) for the request ``fields``.

    ``reference_signature_input`` is the reference signer's member value for the case (the
    vector's ``signature_input``), the measure of which parameters and components are required.
    """
    problems: list[str] = []
    request = fields.get("request") if isinstance(fields.get("request"), dict) else None
    given = _lines(request.get("headers", []) if request is not None else None)
    signed = _lines(got.get("headers"))
    if request is None or given is None:
        return SigningCheck(("the case has no request to compare with",))
    if signed is None:
        return SigningCheck((f"headers: expected [name, value] string pairs, got "
                             f"{str(got.get('headers'))[:200]}",))
    # 1. The request's own fields are kept (compared as HTTP sees them: names case-insensitive,
    # the lines of one name combined in order, RFC 9110 §5.3); only a digest and the signature
    # fields are added, and the signature fields are compared member by member below.
    given_fields, signed_fields = _fields(given), _fields(signed)
    changed = sorted(
        name for name, value in given_fields.items()
        if name not in ("signature-input", "signature") and signed_fields.get(name) != value
    )
    if changed:
        problems.append("fields of the request were changed or dropped: " + "; ".join(
            f"{name}: {given_fields[name]!r} became {signed_fields.get(name)!r}"
            for name in changed
        ))
    foreign = sorted(set(signed_fields) - set(given_fields) - _ADDED)
    if foreign:
        problems.append(f"fields added beyond Content-Digest and the signature fields: {foreign}")
    # 2. One new member under the label in each signature field; the others untouched.
    label = fields.get("label") or "eth"
    parsed: dict[str, Dictionary] = {}
    before: dict[str, Dictionary] = {}
    for name in ("signature-input", "signature"):
        for lines, into in ((signed, parsed), (given, before)):
            value = _dictionary(lines, name)
            if isinstance(value, str):
                return SigningCheck((*problems, value))
            into[name] = value
    new_members: dict[str, Item | InnerList] = {}
    for name in ("signature-input", "signature"):
        after_members, before_members = dict(parsed[name]), dict(before[name])
        if label not in after_members or label in before_members:
            problems.append(f"{name}: expected one new member {label!r}, got members "
                            f"{list(after_members)}")
            return SigningCheck(tuple(problems))
        new_members[name] = after_members[label]
        changed = [key for key, member in before_members.items()
                   if after_members.get(key) != member]
        if changed:
            problems.append(f"{name}: members already on the request changed: {changed}")
    # 3. The reference verifier accepts the new member alone, for the signer.
    others = [(key, value) for key, value in signed if key not in ("signature-input", "signature")]
    only_new = [
        *others,
        ("signature-input", serialize_dictionary(((label, new_members["signature-input"]),))),
        ("signature", serialize_dictionary(((label, new_members["signature"]),))),
    ]
    verify = answer({
        "seq": 0, "op": "verify_request", "profile": fields.get("profile"),
        "request": {**request, "headers": [list(line) for line in only_new]},
        "now": fields.get("created"), "policy": _policy(fields),
    }, AdapterState())
    if "ok" not in verify:
        error = verify.get("error") or verify
        problems.append(f"the reference verifier rejects the signed request: "
                        f"{error.get('reason')}: {error.get('message', '')}"[:400])
        return SigningCheck(tuple(problems))
    signer = _signer(fields)
    if signer is not None and verify["ok"].get("address") != signer:
        problems.append(f"verified principal {verify['ok'].get('address')}, expected the "
                        f"signer {signer}")
    # 4. Every parameter and component the reference signs (or the case asks for) is signed.
    member = new_members["signature-input"]
    have_params, have_covered = _params(member), _covered(member)
    if reference_signature_input is not None:
        try:
            reference = parse_dictionary(f"{label}={reference_signature_input}")[0][1]
        except (Erc8128Error, IndexError) as error:
            return SigningCheck((*problems, f"the vector's signature_input: {error}"))
        for key, value in _params(reference).items():
            if have_params.get(key) != value:
                problems.append(f"parameter {key}: expected {value}, got "
                                f"{have_params.get(key, 'nothing')}")
        wanted = _covered(reference)
    else:
        wanted = []
    components = fields.get("components")
    if isinstance(components, list):
        wanted = [_identifier(str(component)) for component in components]
    uncovered = [component for component in wanted if component not in have_covered]
    if uncovered:
        problems.append(f"components not covered: {uncovered} (covered: {have_covered})")
    return SigningCheck(tuple(problems))


def _signer(fields: dict[str, Any]) -> str | None:
    key = fields.get("private_key_hex")
    if not isinstance(key, str):
        return None
    try:
        return address_of(bytes.fromhex(key))
    except (Erc8128Error, ValueError):
        return None
