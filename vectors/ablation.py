"""A verifier lacking named rules: the reference verifier's step table without them.

The single-defect proof (SPEC.md D39, vectors/README.md "Single-defect vectors") verifies an
invalid vector again with the rules of its requirement skipped, and expects it to be accepted.
:func:`without` builds that verifier as data: the table ``erc8128.protocol.verify`` walks
(``VERIFICATION_STEPS``), less the named rules, passed to ``verify_request(..., steps=...)``.
Used by the vector generator and the tests only; the reference package has no hook for it.

Most rules are simply skipped. Where a later step needs what a skipped rule produced, its place
is taken by the lax reading a verifier without the rule makes (a keyid read however cased, a
nonce of any type read as text, a base with a repeated line, ...). ``low-s`` and ``signature-v``
are rules of strict recovery (ERC-8128 §3.4.3), not rows of the table: a verifier without them
normalises the signature before step 17.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Final

from erc8128.crypto.secp256k1 import N
from erc8128.errors import MessageComponentError, VerificationError
from erc8128.http.components import component_identifier
from erc8128.http.message import Request
from erc8128.http.signature_base import signature_base
from erc8128.http.structured_fields import (
    InnerList,
    Item,
    Token,
    get_param,
    serialize_inner_list,
)
from erc8128.protocol.accounts import AccountVerdict
from erc8128.protocol.keyid import Account
from erc8128.protocol.profiles import DRAFT, LEGACY
from erc8128.protocol.verify import (
    VERIFICATION_STEPS,
    Candidate,
    CandidateCheck,
    MessageCheck,
    Rule,
    VerificationSteps,
    candidate_profile,
)

__all__ = ["RULES", "without"]

# The rules that can be skipped (vectors/requirements.py names each requirement's rules).
RULES: Final = frozenset({
    "field-size-limit", "candidate-limit", "candidate-selection", "component-limit",
    "parameter-limit", "decoded-signature-limit", "no-alg", "keyid-syntax", "served-chain",
    "time-integers", "created-nonnegative", "expires-after-created", "validity-max",
    "not-yet-valid", "not-expired", "nonce-syntax", "content-digest-present", "coverage-always",
    "coverage-request-bound", "coverage-route", "content-digest-match", "principal-policy",
    "nonce-required", "replayable-policy", "not-before", "replayable-invalidated", "low-s",
    "signature-v", "signature-valid", "verification-available", "nonce-unused",
    "duplicate-components",
})
# Rules enforced inside strict EOA recovery rather than by a row of the table.
_RECOVERY_RULES: Final = frozenset({"low-s", "signature-v"})

_CandidateStep = Callable[[CandidateCheck], None]


def without(
    rules: Iterable[str], steps: VerificationSteps = VERIFICATION_STEPS
) -> VerificationSteps:
    """``steps`` without ``rules`` (names from :data:`RULES`), lax readings in their place."""
    skipped = frozenset(rules)
    unknown = skipped - RULES
    if unknown:
        raise ValueError(f"expected rule names from RULES, got {sorted(unknown)}")
    return VerificationSteps(
        whole_message=tuple(
            (_lax_selection(rule) if rule.name in skipped else rule)
            for rule in steps.whole_message
            # Without selection every member is a candidate (below); the others are skipped.
            if rule.name not in skipped or rule.name == "candidate-selection"
        ),
        per_candidate=tuple(_per_candidate(steps.per_candidate, skipped)),
        nonce_consumption=tuple(
            rule for rule in steps.nonce_consumption if rule.name not in skipped
        ),
    )


def _per_candidate(
    rules: tuple[Rule[CandidateCheck], ...], skipped: frozenset[str]
) -> Iterable[Rule[CandidateCheck]]:
    for rule in rules:
        apply = rule.apply
        if rule.name == "verification-available" and skipped & _RECOVERY_RULES:
            apply = _normalising(apply, skipped & _RECOVERY_RULES)
        if rule.name == "signature-base" and "duplicate-components" in skipped:
            apply = _base_with_repeats(apply)
        if rule.name in skipped:
            lax = _LAX.get(rule.name)
            if lax is None:
                continue
            apply = lax(apply)
        yield rule if apply is rule.apply else replace(rule, apply=apply)


# -- the lax readings of a verifier without a rule ------------------------------------------------


def _lax_selection(rule: Rule[MessageCheck]) -> Rule[MessageCheck]:
    """Without candidate selection: every member is a candidate; one that no profile recognises
    is read in the first accepted profile."""

    def select_all(message: MessageCheck) -> None:
        profiles = message.policy.profiles
        fallback = DRAFT if "draft" in profiles else LEGACY
        for label, member in message.signature_inputs:
            profile = candidate_profile(member.params, profiles)
            message.candidates.append(Candidate(label, member, profile or fallback))

    return replace(rule, apply=select_all)


def _lax_keyid(strict: _CandidateStep) -> _CandidateStep:
    """Without keyid syntax: ``<namespace>:<integer>:[0x|0X]<40 hex digits, any case>``."""

    def read(check: CandidateCheck) -> None:
        try:
            strict(check)
        except VerificationError as error:
            account = _lenient_keyid(check.keyid)
            if error.reason != "invalid_keyid" or account is None:
                raise
            check.account = account

    return read


def _lenient_keyid(keyid: str) -> Account | None:
    parts = keyid.split(":")
    if len(parts) != 3:
        return None
    try:
        chain_id = int(parts[1])  # as a lax parser reads it: "01", "+1", " 1"
    except ValueError:
        return None
    address = parts[2][2:] if parts[2][:2].lower() == "0x" else parts[2]
    if len(address) != 40 or not all(c in "0123456789abcdefABCDEF" for c in address):
        return None
    return Account(chain_id=chain_id, address="0x" + address.lower())


def _lax_time(strict: _CandidateStep) -> _CandidateStep:
    """Without the Integer rule: a ``created`` it cannot read is ``now``, an ``expires`` it
    cannot read is one second later."""

    def read(check: CandidateCheck) -> None:
        created = get_param(check.params, "created")
        expires = get_param(check.params, "expires")
        check.created = created if type(created) is int else check.now
        check.expires = expires if type(expires) is int else check.created + 1

    return read


def _lax_nonce(strict: _CandidateStep) -> _CandidateStep:
    """Without nonce syntax: any nonce's text is the nonce."""

    def read(check: CandidateCheck) -> None:
        nonce = get_param(check.params, "nonce")
        if nonce is None or isinstance(nonce, str):
            check.nonce = nonce
        elif isinstance(nonce, Token):
            check.nonce = nonce.value
        elif isinstance(nonce, bytes):
            check.nonce = nonce.hex()
        else:
            check.nonce = str(nonce)

    return read


def _fail_open(strict: _CandidateStep) -> _CandidateStep:
    """Without the unavailability rule: an account state that cannot answer lets the signature
    through."""

    def verify(check: CandidateCheck) -> None:
        try:
            strict(check)
        except VerificationError as error:
            if error.reason != "signature_verification_unavailable":
                raise
            check.verdict = AccountVerdict(True, "eoa", 0)

    return verify


def _normalising(strict: _CandidateStep, rules: frozenset[str]) -> _CandidateStep:
    """Without low s / v 27 or 28: recovery that normalises high s (s' = n - s, v' = 55 - v) or
    v 0/1 first."""

    def verify(check: CandidateCheck) -> None:
        signature = check.signature
        if len(signature) == 65:
            s, v = int.from_bytes(signature[32:64], "big"), signature[64]
            if "signature-v" in rules and v in (0, 1):
                v += 27
            if "low-s" in rules and N // 2 < s < N and v in (27, 28):
                s, v = N - s, 55 - v
            check.signature = signature[:32] + s.to_bytes(32, "big") + bytes((v,))
        strict(check)

    return verify


def _base_with_repeats(strict: _CandidateStep) -> _CandidateStep:
    """Without RFC 9421's duplicate rule: one base line per covered component, a repeated one
    repeated."""

    def build(check: CandidateCheck) -> None:
        try:
            signature_base(check.request, check.inner_list, checked_identifiers=check.identifiers)
        except MessageComponentError as error:
            if error.reason == "component_duplicate":
                check.base = _repeated_base(check.request, check.inner_list)
                return
        strict(check)

    return build


def _repeated_base(request: Request, member: InnerList) -> str:
    unique: list[Item] = []
    for item in member.items:
        if component_identifier(item) not in map(component_identifier, unique):
            unique.append(item)
    lines = signature_base(request, replace(member, items=tuple(unique))).split("\n")
    by_identifier = {line.split(": ", 1)[0]: line for line in lines[:-1]}
    params_line = lines[-1].split(": ", 1)[0] + ": " + serialize_inner_list(member)
    return "\n".join([*(by_identifier[component_identifier(i)] for i in member.items),
                      params_line])


# The lax reading that takes a skipped rule's place where later steps need its result.
_LAX: Final[Mapping[str, Callable[[_CandidateStep], _CandidateStep]]] = {
    "keyid-syntax": _lax_keyid,
    "time-integers": _lax_time,
    "nonce-syntax": _lax_nonce,
    "verification-available": _fail_open,
}
