"""ERC-8128 verification: ``verify_request``, steps numbered as in SPEC.md §4 ("Verification").

The flow is one way: signature fields → candidates → per-candidate checks (limits, keyid, time,
nonce, coverage, content, principal, replay posture) → signature base ``M`` → ``H`` → Universal
Account verification → atomic nonce consumption. ERC-8128 §3.5: "Limit checks MUST precede
cryptography, failed candidates MUST NOT consume nonces, and the winning nonce MUST be consumed
last." Every candidate is checked, and the nonces of all that verify are consumed in one atomic
step, so a request is accepted at most once whatever its number of signatures (decision D28,
SPEC.md); after a restart, a signature created at or before the restart watermark (what an
earlier process may have accepted) is refused before any cryptography (D61); a private Principal
policy is asked after cryptography (D29).

The function is pure apart from the state it is handed: the clock is ``now``, replay state is
``nonces``, early-invalidation state is ``invalidation``, chain state is ``accounts``, the
restart watermark is ``restart_floor``.

:func:`explain_request` runs the same function and also returns its step trace: every numbered
step it reached, per candidate, with what the step looked at and its verdict. ``erc8128
inspect`` and the browser inspector print that trace; nothing re-implements a step to explain
it.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Final, Literal

# The pure ERC-191 code is erc8128.crypto.personal_sign; accelerate dispatches to it unless a faster
# backend was selected explicitly (ERC8128_BACKEND or accelerate.use_backend).
from erc8128.crypto.accelerate import personal_message_hash
from erc8128.crypto.key_cache import SignerKeyCache
from erc8128.crypto.secp256k1 import N
from erc8128.errors import (
    AccountStateUnavailable,
    ContentDigestError,
    Erc8128Error,
    InvalidationStateUnavailable,
    MessageComponentError,
    ReplayStoreUnavailable,
    StructuredFieldError,
    VerificationError,
)
from erc8128.http.components import check_component, component_identifier
from erc8128.http.content_digest import verify_content_digest
from erc8128.http.message import Request, query
from erc8128.http.signature_base import signature_base
from erc8128.http.structured_fields import (
    Dictionary,
    InnerList,
    Item,
    Member,
    Parameters,
    Token,
    get_param,
    parse_dictionary,
    serialize_bare_item,
    serialize_inner_list,
)
from erc8128.protocol.accounts import (
    AccountState,
    AccountVerdict,
    NoCodeAccountState,
    verify_account_signature,
)
from erc8128.protocol.keyid import Account, InvalidKeyId, ProfileName, format_keyid, parse_keyid
from erc8128.protocol.policy import PolicyError, VerifierPolicy
from erc8128.protocol.profiles import DRAFT, LEGACY, PROFILES, Profile
from erc8128.protocol.sign import parse_component
from erc8128.state.invalidation import InvalidationState, fingerprint_of
from erc8128.state.nonces.base import ReplayStore, has_batch_consume, replay_key

__all__ = [
    "DEFAULT_POLICY",
    "STEP_TITLES",
    "Explanation",
    "TraceStep",
    "Verified",
    "candidate_profile",
    "explain_request",
    "verify_request",
]

DEFAULT_POLICY: Final = VerifierPolicy()
_NO_CODE: Final = NoCodeAccountState()

# Ablation hook, for the vector generator and its tests ONLY (never set in production): the
# names of rules whose check is switched off, so that a single-defect vector can be shown to
# verify when exactly its rule is missing (vectors/README.md, "Single-defect vectors"). The
# default is empty; each check below reads it once per candidate and stays as written.
_ABLATE: Final[ContextVar[frozenset[str]]] = ContextVar("erc8128_ablate", default=frozenset())
# The rule names this hook can switch off (vectors/generate.py names its requirements after them).
_ABLATABLE_RULES: Final = frozenset({
    "field-size-limit", "candidate-limit", "candidate-selection", "component-limit",
    "parameter-limit", "decoded-signature-limit", "no-alg", "keyid-syntax", "served-chain",
    "time-integers", "created-nonnegative", "expires-after-created", "validity-max",
    "not-yet-valid", "not-expired", "nonce-syntax", "content-digest-present", "coverage-always",
    "coverage-request-bound", "coverage-route", "content-digest-match", "principal-policy",
    "nonce-required", "replayable-policy", "not-before", "replayable-invalidated", "low-s",
    "signature-v", "signature-valid", "verification-available", "nonce-unused",
    "duplicate-components",
})


@contextmanager
def _ablated(rules: frozenset[str]) -> Iterator[None]:
    """Switch off ``rules`` (names from _ABLATABLE_RULES) inside the block; generator use only."""
    unknown = rules - _ABLATABLE_RULES
    if unknown:
        raise ValueError(f"expected rule names from _ABLATABLE_RULES, got {sorted(unknown)}")
    token = _ABLATE.set(rules)
    try:
        yield
    finally:
        _ABLATE.reset(token)


@dataclass(frozen=True)
class Verified:
    """A verified request: who signed it and exactly what the signature covers."""

    profile: ProfileName
    label: str
    account: Account
    keyid: str  # canonical keyid in the candidate's profile
    request_bound: bool
    replayable: bool
    covered_components: tuple[str, ...]  # serialised component identifiers, in signed order
    created: int
    expires: int
    nonce: str | None
    signature_base: str  # M
    message_hash: bytes  # H
    fingerprint: str  # per-signature fingerprint (invalidation.fingerprint_of(H))
    verification_method: str  # "eoa", "eoa-mode", "erc1271" or "erc6492"
    code_lookups: int
    nonce_consumed: bool

    @property
    def address(self) -> str:
        return self.account.address

    @property
    def chain_id(self) -> int:
        return self.account.chain_id


# The numbered steps of SPEC.md §4, by number.
STEP_TITLES: Final = {
    1: "Fields present",
    2: "Field limits",
    3: "Parse",
    4: "Candidates",
    5: "Shape and limits",
    6: "alg",
    7: "keyid",
    8: "Time",
    9: "Nonce",
    10: "Content present",
    11: "Coverage",
    12: "Content-Digest",
    13: "Principal policy",
    14: "Replay posture",
    15: "Signature base M",
    16: "H",
    17: "Universal Account verification",
    18: "Nonce consumption",
}


@dataclass(frozen=True)
class TraceStep:
    """One numbered step (SPEC.md §4) as verify_request ran it."""

    step: int
    title: str
    label: str | None  # the candidate's label; None for a whole-message step (1-4)
    looked_at: str  # what the step read, as text
    verdict: Literal["pass", "fail"]
    reason: str | None = None  # the ERC-8128 §6 code, when the step failed
    detail: str | None = None  # the failure's expected/got message
    # What the step computed: the signer id (step 7), M (step 15), H as 0x-hex (step 16).
    value: str | None = None


@dataclass(frozen=True)
class Explanation:
    """What :func:`explain_request` saw: the outcome and every step that led to it."""

    verified: Verified | None
    error: VerificationError | None
    steps: tuple[TraceStep, ...]


class _Trace:
    """Where verify_request writes its steps when it is asked to explain itself.

    A step is recorded as it begins; a failure raised inside it marks the last step begun.
    """

    def __init__(self) -> None:
        self.steps: list[TraceStep] = []

    def begin(self, step: int, label: str | None, looked_at: str) -> None:
        self.steps.append(TraceStep(step, STEP_TITLES[step], label, looked_at, "pass"))

    def computed(self, value: str) -> None:
        self.steps[-1] = replace(self.steps[-1], value=value)

    def fail(self, error: VerificationError) -> None:
        if self.steps and self.steps[-1].verdict == "pass":
            self.steps[-1] = replace(
                self.steps[-1], verdict="fail", reason=error.reason, detail=error.message
            )


@dataclass(frozen=True)
class _Candidate:
    label: str
    member: Member
    profile: Profile


@dataclass(frozen=True)
class _Authenticated:
    """A candidate that passed every check before nonce consumption."""

    verified: Verified
    replay_until: int  # expires + skew: the replay mark must live this long


def _fail(
    reason: str, message: str, label: str | None = None, detail: str | None = None
) -> VerificationError:
    return VerificationError(reason, message, label=label, detail=detail)


def verify_request(
    request: Request,
    *,
    now: int,
    nonces: ReplayStore,
    policy: VerifierPolicy = DEFAULT_POLICY,
    accounts: AccountState = _NO_CODE,
    invalidation: InvalidationState | None = None,
    key_cache: SignerKeyCache | None = None,
    restart_floor: int | None = None,
) -> Verified:
    """Verify the ERC-8128 signatures on ``request`` at time ``now``.

    Returns the winning candidate as :class:`Verified`, or raises :class:`VerificationError`
    whose ``reason`` is an ERC-8128 §6 code and ``status`` its HTTP status. The failures of
    every candidate are on the error's ``candidate_failures``. Every candidate is verified (a
    request with N valid signatures costs N verifications); the winner is the first in wire
    order, and the nonces of all that verified are consumed with its own (D28). ``key_cache``
    (optional) lets a repeat EOA signer be checked against its cached public key; it never
    changes the outcome (erc8128.crypto.key_cache, SPEC.md D53). ``restart_floor`` (optional,
    decision D61) is the restart watermark read at start: a signature created at or before it
    may have been accepted by an earlier process of this verifier and is refused.
    """
    return _verify(
        request,
        now=now,
        nonces=nonces,
        policy=policy,
        accounts=accounts,
        invalidation=invalidation,
        key_cache=key_cache,
        restart_floor=restart_floor,
        trace=None,
    )


def explain_request(
    request: Request,
    *,
    now: int,
    nonces: ReplayStore,
    policy: VerifierPolicy = DEFAULT_POLICY,
    accounts: AccountState = _NO_CODE,
    invalidation: InvalidationState | None = None,
) -> Explanation:
    """Run :func:`verify_request` and return its outcome with its step trace.

    The same state is consumed as by verify_request (a winner's nonce is marked used), so an
    inspector passes a fresh replay store. A :class:`PolicyError` (a caller's mistake, not the
    request's) is raised, not explained.
    """
    trace = _Trace()
    try:
        verified = _verify(
            request,
            now=now,
            nonces=nonces,
            policy=policy,
            accounts=accounts,
            invalidation=invalidation,
            key_cache=None,
            restart_floor=None,
            trace=trace,
        )
    except VerificationError as error:
        return Explanation(None, error, tuple(trace.steps))
    return Explanation(verified, None, tuple(trace.steps))


def _verify(
    request: Request,
    *,
    now: int,
    nonces: ReplayStore,
    policy: VerifierPolicy,
    accounts: AccountState,
    invalidation: InvalidationState | None,
    key_cache: SignerKeyCache | None,
    restart_floor: int | None,
    trace: _Trace | None,
) -> Verified:
    if type(now) is not int:
        raise PolicyError(f"expected now as integer Unix seconds, got {now!r}")
    # ERC-8128 §5.2: "Verifiers that do not implement early invalidation MUST NOT accept
    # Replayable signatures."
    if policy.replay == "either" and invalidation is None:
        raise PolicyError("replay='either' needs an early-invalidation state (ERC-8128 §5.2)")

    try:
        signature_inputs, signatures = _parse_signature_fields(request, policy, trace)
        candidates = _recognise_candidates(signature_inputs, policy, trace)
    except VerificationError as failure:
        if trace is not None:
            trace.fail(failure)
        raise
    signature_members = dict(signatures)

    # Steps 5-17 for EVERY candidate (decision D28): a request is accepted at most once, so
    # the replay keys of all the signatures that verify are consumed together in step 18.
    failures: dict[int, VerificationError] = {}
    authenticated: list[tuple[int, _Authenticated]] = []
    for index, candidate in enumerate(candidates):
        try:
            authenticated.append(
                (
                    index,
                    _evaluate_candidate(
                        candidate,
                        signature_members,
                        request,
                        now=now,
                        policy=policy,
                        accounts=accounts,
                        invalidation=invalidation,
                        restart_floor=restart_floor,
                        key_cache=key_cache,
                        trace=trace,
                    ),
                )
            )
        except VerificationError as failure:
            if trace is not None:
                trace.fail(failure)
            failures[index] = failure
    if authenticated:
        # Step 18 (SPEC.md §4.18): consume the nonces atomically, last.
        winner = _consume_nonces(authenticated, nonces, failures)
        if trace is not None:
            for index, item in authenticated:
                trace.begin(18, item.verified.label, f"nonce={_shown(item.verified.nonce)}")
                if index in failures:
                    trace.fail(failures[index])
        if winner is not None:
            return winner
    raise _select_failure([failures[index] for index in sorted(failures)])


# Steps 1-3: the signature fields, whole-message checks.
def _parse_signature_fields(
    request: Request, policy: VerifierPolicy, trace: _Trace | None
) -> tuple[Dictionary, Dictionary]:
    input_lines = request.field_lines("signature-input")
    signature_lines = request.field_lines("signature")
    if trace is not None:
        trace.begin(
            1, None, f"{len(input_lines)} Signature-Input and {len(signature_lines)} Signature "
            "field lines",
        )
    # Step 1 (SPEC.md §4.1): ERC-8128 §3.5 "A missing field yields `signature_missing`."
    # Decision D10: a field whose combined value is empty counts as missing.
    signature_input = ", ".join(input_lines)
    signature = ", ".join(signature_lines)
    if not signature_input.strip(" \t"):
        raise _fail(
            "signature_missing", "expected a Signature-Input field, got none",
            detail="the Signature-Input field is missing",
        )
    if not signature.strip(" \t"):
        raise _fail(
            "signature_missing", "expected a Signature field, got none",
            detail="the Signature field is missing",
        )
    # Step 2 (SPEC.md §4.2): field size limits, before parsing (ERC-8128 §3.5 table).
    limits = policy.limits
    if trace is not None:
        trace.begin(
            2, None, f"Signature-Input {len(signature_input)} bytes, Signature "
            f"{len(signature)} bytes",
        )
    ablate = _ABLATE.get()
    # Header text is the received octets decoded one to one (latin-1), so characters = bytes.
    input_size = len(signature_input)
    if input_size > limits.signature_input_bytes and "field-size-limit" not in ablate:
        raise _fail(
            "signature_too_large",
            f"expected Signature-Input <= {limits.signature_input_bytes} bytes, got {input_size}",
            detail=f"the Signature-Input field exceeds {limits.signature_input_bytes} bytes",
        )
    signature_size = len(signature)
    if signature_size > limits.signature_bytes and "field-size-limit" not in ablate:
        raise _fail(
            "signature_too_large",
            f"expected Signature <= {limits.signature_bytes} bytes, got {signature_size}",
            detail=f"the Signature field exceeds {limits.signature_bytes} bytes",
        )
    # Step 3 (SPEC.md §4.3): ERC-8128 §3.5 "A Structured Field syntax error in either field
    # yields the whole-message failure `signature_input_invalid`; no candidate is evaluated."
    if trace is not None:
        trace.begin(3, None, "both fields as RFC 9651 Dictionaries")
    try:
        parsed_input = parse_dictionary(signature_input)
    except StructuredFieldError as error:
        raise _fail(
            "signature_input_invalid", f"Signature-Input: {error.message}",
            detail="the Signature-Input field is not an RFC 9651 Dictionary",
        ) from None
    try:
        parsed_signature = parse_dictionary(signature)
    except StructuredFieldError as error:
        raise _fail(
            "signature_input_invalid", f"Signature: {error.message}",
            detail="the Signature field is not an RFC 9651 Dictionary",
        ) from None
    return parsed_input, parsed_signature


# Step 4: recognising candidates.
def _recognise_candidates(
    signature_inputs: Dictionary, policy: VerifierPolicy, trace: _Trace | None
) -> list[_Candidate]:
    """Step 4 (SPEC.md §4.4): candidates in Dictionary wire order.

    ERC-8128 §3.5: "Candidates are selected only by the exact last-wins String `tag="erc8128"`
    in `Signature-Input`. They MUST be evaluated in Dictionary wire order." Decision D2: a legacy
    candidate is a member whose last-wins `keyid` is a String in the `erc8128:` namespace.
    """
    candidates: list[_Candidate] = []
    for label, member in signature_inputs:
        profile = candidate_profile(member.params, policy.profiles)
        if profile is not None:
            candidates.append(_Candidate(label, member, profile))
        elif "candidate-selection" in _ABLATE.get():
            # Ablation only: a verifier that does not select by tag / keyid namespace.
            fallback = DRAFT if "draft" in policy.profiles else LEGACY
            candidates.append(_Candidate(label, member, fallback))
    if trace is not None:
        found = ", ".join(f"{c.label} ({c.profile.name})" for c in candidates) or "none"
        trace.begin(
            4, None, f"members {', '.join(label for label, _ in signature_inputs)}; "
            f"candidates {found}"
        )
    limit = policy.limits.candidates
    if len(candidates) > limit and "candidate-limit" not in _ABLATE.get():
        raise _fail(
            "signature_too_large", f"expected <= {limit} candidates, got {len(candidates)}",
            detail=f"more than {limit} candidate signatures",
        )
    if not candidates:
        wanted = " or ".join(PROFILES[name].recognised_by for name in policy.profiles)
        raise _fail(
            "no_acceptable_signature",
            f"expected a Signature-Input member with {wanted}, got none among "
            f"{[label for label, _ in signature_inputs]}",
            detail=f"no Signature-Input member is a candidate: none has {wanted}",
        )
    return candidates


def candidate_profile(
    params: Parameters, profiles: tuple[ProfileName, ...]
) -> Profile | None:
    """Step 4's rule for one Signature-Input member: the profile it is a candidate of among
    ``profiles``, or None. A draft tag wins over a legacy keyid when both profiles are accepted.

    ERC-8128 §3.5: "Candidates are selected only by the exact last-wins String `tag="erc8128"`
    in `Signature-Input`." Decision D2: a legacy candidate is a member whose last-wins `keyid` is
    a String in the `erc8128:` namespace.
    """
    tag = get_param(params, "tag")
    if "draft" in profiles and isinstance(tag, str) and tag == DRAFT.tag:
        return DRAFT
    keyid = get_param(params, "keyid")
    if (
        "legacy" in profiles
        and isinstance(keyid, str)
        and keyid.startswith(LEGACY.keyid_prefix + ":")
    ):
        return LEGACY
    return None


@dataclass(frozen=True)
class _Check:
    """What every step of one candidate needs: who it is, the route's policy, and where a
    failure or a traced step goes."""

    label: str
    profile: Profile
    policy: VerifierPolicy
    ablate: frozenset[str]  # rules switched off (the generator's ablation proof only)
    trace: _Trace | None

    def fail(self, reason: str, message: str, detail: str | None = None) -> VerificationError:
        return _fail(reason, f"{self.label}: {message}", self.label, detail)


def _evaluate_candidate(
    candidate: _Candidate,
    signature_members: dict[str, Member],
    request: Request,
    *,
    now: int,
    policy: VerifierPolicy,
    accounts: AccountState,
    invalidation: InvalidationState | None,
    restart_floor: int | None,
    key_cache: SignerKeyCache | None,
    trace: _Trace | None,
) -> _Authenticated:
    """Steps 5-17 for one candidate, one function per SPEC.md step; raises VerificationError
    naming the first rule broken."""
    check = _Check(candidate.label, candidate.profile, policy, _ABLATE.get(), trace)
    member, identifiers, signature = _shape_and_limits(check, candidate.member, signature_members)
    params = member.params
    _no_alg(check, params)
    account = _keyid_and_chain(check, params)
    created, expires = _time_window(check, params, now)
    nonce = _nonce_syntax(check, params)
    digest_lines = _content_present(check, request)
    request_bound = _coverage(check, request, member, identifiers, digest_lines)
    _content_digest_matches(check, request, digest_lines)
    if not policy.principal_private:
        _principal_policy(check, account)
    replayable = nonce is None
    _replay_posture(
        check, account, replayable=replayable, created=created, now=now,
        restart_floor=restart_floor, invalidation=invalidation,
    )
    base = _signature_base(check, request, member, identifiers)
    message_hash, fingerprint = _message_hash(check, base, account, replayable, invalidation)
    verdict = _account_verification(
        check, params, account, message_hash, signature, accounts=accounts, key_cache=key_cache
    )
    if policy.principal_private:
        # Decision D29: the private Principal policy, after cryptography and before any nonce
        # is consumed ("failed candidates MUST NOT consume nonces", ERC-8128 §3.5).
        _principal_policy(check, account)
    verified = Verified(
        profile=check.profile.name,
        label=check.label,
        account=account,
        keyid=format_keyid(account, check.profile.name),
        request_bound=request_bound,
        replayable=replayable,
        covered_components=tuple(identifiers),
        created=created,
        expires=expires,
        nonce=nonce,
        signature_base=base,
        message_hash=message_hash,
        fingerprint=fingerprint,
        verification_method=verdict.method,
        code_lookups=verdict.code_lookups,
        nonce_consumed=False,
    )
    return _Authenticated(verified, replay_until=expires + policy.skew_sec)


def _shape_and_limits(
    check: _Check, member: Member, signature_members: dict[str, Member]
) -> tuple[InnerList, list[str], bytes]:
    """Step 5 (SPEC.md §4.5): shape and count limits of the member and its signature; the
    member, its serialised component identifiers and the signature bytes."""
    limits, ablate, fail = check.policy.limits, check.ablate, check.fail
    if check.trace is not None:
        shape = (
            f"{len(member.items)} components, {len(member.params)} parameters"
            if isinstance(member, InnerList)
            else "an Item"
        )
        check.trace.begin(5, check.label, f"the member ({shape}) and its Signature member")
    if not isinstance(member, InnerList):
        raise fail(
            "signature_input_invalid", "expected an Inner List of components, got an Item",
            detail="the Signature-Input member is an Item, not an Inner List of components",
        )
    if len(member.items) > limits.components and "component-limit" not in ablate:
        raise fail(
            "signature_too_large",
            f"expected <= {limits.components} covered components, got {len(member.items)}",
            detail=f"more than {limits.components} covered components",
        )
    if len(member.params) > limits.parameters and "parameter-limit" not in ablate:
        raise fail(
            "signature_too_large",
            f"expected <= {limits.parameters} signature parameters, got {len(member.params)}",
            detail=f"more than {limits.parameters} signature parameters",
        )
    identifiers: list[str] = []
    for item in member.items:
        if not isinstance(item.value, str):
            raise fail(
                "signature_input_invalid", f"expected sf-string components, got {item!r}",
                detail="a covered component is not an sf-string",
            )
        identifier = _identifier(item, check.label)
        # RFC 9421 §2.5: "If the component identifier [...] has already been added to the
        # signature base [...] the signer or verifier MUST fail."
        if identifier in identifiers and "duplicate-components" not in ablate:
            raise fail(
                "signature_input_invalid", f"component {identifier} is covered twice",
                detail="a component is covered twice",
            )
        identifiers.append(identifier)
    # ERC-8128 §3.5: "A well-formed tagged `Signature-Input` member without a correlated RFC 9421
    # Byte Sequence in `Signature` yields the candidate failure `signature_input_invalid`".
    signature_member = signature_members.get(check.label)
    if signature_member is None:
        raise fail(
            "signature_input_invalid", "expected a Signature member with the same label",
            detail="no Signature member has the candidate's label",
        )
    if not isinstance(signature_member, Item) or not isinstance(signature_member.value, bytes):
        raise fail(
            "signature_input_invalid", "expected the Signature member to be a Byte Sequence",
            detail="the Signature member is not a Byte Sequence",
        )
    signature = signature_member.value
    if (
        len(signature) > limits.decoded_signature_bytes
        and "decoded-signature-limit" not in ablate
    ):
        raise fail(
            "signature_too_large",
            f"expected <= {limits.decoded_signature_bytes} signature bytes, got {len(signature)}",
            detail=f"the decoded signature exceeds {limits.decoded_signature_bytes} bytes",
        )
    return member, identifiers, signature


def _no_alg(check: _Check, params: Parameters) -> None:
    """Step 6 (SPEC.md §4.6): ERC-8128 §3.3.4 "A candidate containing `alg` yields
    `unsupported_algorithm`"."""
    alg = get_param(params, "alg")
    if check.trace is not None:
        check.trace.begin(6, check.label, f"alg={_shown(alg)}")
    if alg is not None and "no-alg" not in check.ablate:
        raise check.fail(
            "unsupported_algorithm", f"expected no alg, got alg={alg!r}",
            detail="the signature carries an alg parameter",
        )


def _keyid_and_chain(check: _Check, params: Parameters) -> Account:
    """Step 7 (SPEC.md §4.7): keyid and served chain (ERC-8128 §3.3.1); the signer's account."""
    policy, fail = check.policy, check.fail
    keyid_value = get_param(params, "keyid")
    if check.trace is not None:
        check.trace.begin(
            7, check.label, f"keyid={_shown(keyid_value)} ({check.profile.name}); served "
            f"chains {', '.join(str(c) for c in sorted(policy.served_chains))}",
        )
    if keyid_value is None:
        raise fail(
            "invalid_keyid", "expected a keyid parameter, got none",
            detail="the keyid parameter is missing",
        )
    if not isinstance(keyid_value, str):
        raise fail(
            "invalid_keyid", f"expected a String keyid, got {keyid_value!r}",
            detail="the keyid parameter is not a String",
        )
    try:
        account = parse_keyid(keyid_value, check.profile.name)
    except InvalidKeyId as error:
        lenient = _lenient_keyid(keyid_value) if "keyid-syntax" in check.ablate else None
        if lenient is None:
            raise fail(
                "invalid_keyid", error.message,
                detail=f"the keyid does not have the {check.profile.name} profile's syntax",
            ) from None
        account = lenient
    if check.trace is not None:
        check.trace.computed(account.signer_id)
    # ERC-8128 §3.3.1: "A syntactically valid `keyid` whose chain is not served by the verifier
    # yields `unsupported_chain`."
    if account.chain_id not in policy.served_chains and "served-chain" not in check.ablate:
        raise fail(
            "unsupported_chain",
            f"expected a chain in {sorted(policy.served_chains)}, got {account.chain_id}",
            detail="the keyid's chain is not served by this verifier",
        )
    return account


def _time_window(check: _Check, params: Parameters, now: int) -> tuple[int, int]:
    """Step 8 (SPEC.md §4.8): time; ``(created, expires)``.

    ERC-8128 §3.3.2: "Verifiers MUST reject signatures whose `created` or `expires` parameter is
    missing or is not an Integer, or whose `expires` is not greater than `created`; these
    conditions yield `invalid_time`."
    """
    policy, ablate, fail = check.policy, check.ablate, check.fail
    created = get_param(params, "created")
    expires = get_param(params, "expires")
    if check.trace is not None:
        check.trace.begin(
            8, check.label, f"created={_shown(created)} expires={_shown(expires)} now={now} "
            f"skew={policy.skew_sec} max validity={policy.max_validity_sec}",
        )
    if type(created) is not int:  # `type(...) is int` excludes Booleans
        if "time-integers" not in ablate:
            raise fail(
                "invalid_time", f"expected an Integer created, got {created!r}",
                detail="created is not an Integer",
            )
        created = now  # ablation only: a verifier that ignores a created it cannot read
    if type(expires) is not int:
        if "time-integers" not in ablate:
            raise fail(
                "invalid_time", f"expected an Integer expires, got {expires!r}",
                detail="expires is not an Integer",
            )
        expires = created + 1  # ablation only
    # Decision D11: a Unix timestamp before 1970 is structurally invalid.
    if created < 0 and "created-nonnegative" not in ablate:
        raise fail(
            "invalid_time", f"expected created >= 0, got {created}",
            detail="created is before 1970",
        )
    if expires <= created and "expires-after-created" not in ablate:
        raise fail(
            "invalid_time", f"expected expires > created={created}, got {expires}",
            detail="expires is not after created",
        )
    # "a window exceeding it yields `request_validity_too_long`."
    if expires - created > policy.max_validity_sec and "validity-max" not in ablate:
        raise fail(
            "request_validity_too_long",
            f"expected expires - created <= {policy.max_validity_sec}, got {expires - created}",
            detail=f"the validity window exceeds the route maximum of {policy.max_validity_sec} s",
        )
    # "With allowed skew `s`, the request is time-valid exactly when:
    #  created - s <= now <= expires + s"
    skew = policy.skew_sec
    if now < created - skew and "not-yet-valid" not in ablate:
        raise fail(
            "request_not_yet_valid",
            f"expected now >= created - skew = {created - skew}, got {now}",
            detail=f"created is later than now plus the allowed skew of {skew} s",
        )
    if now > expires + skew and "not-expired" not in ablate:
        raise fail(
            "request_expired", f"expected now <= expires + skew = {expires + skew}, got {now}",
            detail=f"expires plus the allowed skew of {skew} s has passed",
        )
    return created, expires


def _nonce_syntax(check: _Check, params: Parameters) -> str | None:
    """Step 9 (SPEC.md §4.9): ERC-8128 §3.1.2 "A present nonce of another Structured Field type,
    containing non-ASCII data, or exceeding 128 ASCII bytes yields `invalid_nonce`."; the nonce,
    or None for a Replayable signature."""
    ablate, fail, limit = check.ablate, check.fail, check.policy.limits.nonce_bytes
    nonce = get_param(params, "nonce")
    if check.trace is not None:
        check.trace.begin(9, check.label, f"nonce={_shown(nonce)}")
    if nonce is None:
        return None
    if not isinstance(nonce, str):
        if "nonce-syntax" not in ablate:
            raise fail(
                "invalid_nonce", f"expected a String nonce, got {nonce!r}",
                detail="the nonce is not a String",
            )
        nonce = _ablated_nonce(nonce)
    if not nonce.isascii() and "nonce-syntax" not in ablate:
        raise fail("invalid_nonce", "expected an ASCII nonce", detail="the nonce is not ASCII")
    if len(nonce) > limit and "nonce-syntax" not in ablate:
        raise fail(
            "invalid_nonce", f"expected a nonce <= {limit} bytes, got {len(nonce)}",
            detail=f"the nonce exceeds {limit} bytes",
        )
    return nonce


def _content_present(check: _Check, request: Request) -> tuple[str, ...]:
    """Step 10 (SPEC.md §4.10): ERC-8128 §3.1.3 "A signer sending non-empty content MUST
    generate `Content-Digest` [...] Missing that required field yields
    `content_digest_required`."; the received Content-Digest field lines."""
    digest_lines = request.field_lines("content-digest")
    if check.trace is not None:
        check.trace.begin(
            10, check.label, f"{len(request.body or b'')} content bytes, {len(digest_lines)} "
            f"Content-Digest field lines, route content_digest={check.policy.content_digest}",
        )
    if (
        not digest_lines
        and (bool(request.body) or check.policy.content_digest == "required")
        and "content-digest-present" not in check.ablate
    ):
        raise check.fail(
            "content_digest_required", "expected a Content-Digest field for the content",
            detail="a Content-Digest field is required and absent",
        )
    return digest_lines


def _coverage(
    check: _Check,
    request: Request,
    member: InnerList,
    identifiers: list[str],
    digest_lines: tuple[str, ...],
) -> bool:
    """Step 11 (SPEC.md §4.11): coverage (ERC-8128 §3.1.1, §3.4.2); True if Request-Bound."""
    policy, ablate, fail, profile = check.policy, check.ablate, check.fail, check.profile
    if check.trace is not None:
        check.trace.begin(11, check.label, f"covered ({' '.join(identifiers)})")
    parameterless = {item.value for item in member.items if not item.params}
    always = profile.always_required_components(
        has_content_digest=bool(digest_lines),
        has_content_type=bool(request.field_lines("content-type")),
    )
    for name in always:
        if name not in parameterless and "coverage-always" not in ablate:
            raise fail(
                "insufficient_coverage", f"expected {name!r} among covered {identifiers}",
                detail=f"the always-required component {name} is not covered",
            )
    bound = profile.request_bound_components(
        has_query=query(request.target_uri) is not None, has_content=bool(request.body)
    )
    missing = [name for name in bound if name not in parameterless]
    # §3.1.1: "A verifier MAY accept it [a Class-Bound signature] only under explicit route
    # policy." §5.2: an invalidation request "MUST be authenticated with a Request-Bound [...]
    # signature".
    if (
        missing
        and (not policy.class_bound or policy.invalidation_endpoint)
        and "coverage-request-bound" not in ablate
    ):
        raise fail(
            "insufficient_coverage", f"expected Request-Bound coverage, missing {missing}",
            detail=f"the signature is not Request-Bound: {', '.join(missing)} not covered",
        )
    for required in policy.required_components:
        wanted = _required_identifier(required)
        if wanted not in identifiers and "coverage-route" not in ablate:
            raise fail(
                "insufficient_coverage", f"route requires {wanted}, covered {identifiers}",
                detail=f"the route requires {wanted} to be covered",
            )
    return not missing


def _content_digest_matches(
    check: _Check, request: Request, digest_lines: tuple[str, ...]
) -> None:
    """Step 12 (SPEC.md §4.12): ERC-8128 §3.1.3 "When `Content-Digest` is received, the verifier
    MUST parse the combined field value [...] recompute and match every supported member
    present, and require at least one supported member to be present and match."."""
    if check.trace is not None:
        check.trace.begin(
            12, check.label, f"Content-Digest {', '.join(digest_lines) or '(absent)'}"
        )
    if digest_lines and "content-digest-match" not in check.ablate:
        try:
            verify_content_digest(request.body or b"", ", ".join(digest_lines))
        except ContentDigestError as error:
            raise check.fail(
                "bad_content_digest", error.message,
                detail=f"the Content-Digest does not verify ({error.reason})",
            ) from None


def _principal_policy(check: _Check, account: Account) -> None:
    """Step 13 (SPEC.md §4.13): Principal policy (ERC-8128 §3.2.2). Decision D29: a private
    Principal policy is asked after step 17 instead, so refusals reveal nothing about it."""
    policy = check.policy
    if check.trace is not None:
        private = policy.principal_private
        hook = "none" if policy.principal_allowed is None else (
            "the route's private hook (D29)" if private else "the route's hook"
        )
        after = ", after step 17" if private else ""
        check.trace.begin(13, check.label, f"{account.signer_id} against {hook}{after}")
    if (
        policy.principal_allowed is not None
        and not policy.principal_allowed(account)
        and "principal-policy" not in check.ablate
    ):
        raise check.fail(
            "principal_not_allowed", f"principal policy rejects {account.signer_id}",
            detail="the application's Principal policy does not accept this signer",
        )


def _replay_posture(
    check: _Check,
    account: Account,
    *,
    replayable: bool,
    created: int,
    now: int,
    restart_floor: int | None,
    invalidation: InvalidationState | None,
) -> None:
    """Step 14 (SPEC.md §4.14): replay posture (ERC-8128 §3.1.2, §5.2)."""
    policy, ablate, fail = check.policy, check.ablate, check.fail
    if check.trace is not None:
        posture = "Replayable (no nonce)" if replayable else "Non-Replayable"
        check.trace.begin(14, check.label, f"{posture}; route replay={policy.replay}")
    # Decision D61: ERC-8128 §3.1.2 "Verifiers MUST reject a Non-Replayable signature if its
    # validity window exceeds the period for which replay state can be retained; this yields
    # `request_validity_too_long`." After a restart, replay state is retained only for
    # signatures created after the restart watermark; a fresh signature passes at floor + 1.
    if not replayable and restart_floor is not None and created <= restart_floor:
        raise _restart_refusal(check, "request_validity_too_long", created, now, restart_floor)
    if not replayable:
        return
    if policy.invalidation_endpoint and "nonce-required" not in ablate:
        raise fail(
            "nonce_required", "an early-invalidation request must be Non-Replayable",
            detail="an early-invalidation request must carry a nonce (Non-Replayable)",
        )
    # "When a route requires Non-Replayable authentication, absence of `nonce` yields
    # `nonce_required`."
    if policy.replay == "non-replayable" and "nonce-required" not in ablate:
        raise fail(
            "nonce_required", "expected a nonce: this route is Non-Replayable only",
            detail="this route accepts only Non-Replayable signatures: a nonce is required",
        )
    # "When a verifier supports Replayable signatures but the route or Principal policy
    # rejects one, it yields `replayable_not_allowed`."
    if (
        policy.replayable_allowed is not None
        and not policy.replayable_allowed(account)
        and "replayable-policy" not in ablate
    ):
        raise fail(
            "replayable_not_allowed", f"replayable policy rejects {account.signer_id}",
            detail="this route does not accept Replayable signatures from this signer",
        )
    # Decision D61: a signer may have invalidated this signature before the restart (ERC-8128
    # §5.2) in state that forgot it; yields `replayable_not_allowed` as an invalidation would.
    if restart_floor is not None and created <= restart_floor:
        raise _restart_refusal(check, "replayable_not_allowed", created, now, restart_floor)
    # Checked on entry (replay="either" needs a state); absent only under ablation.
    assert invalidation is not None or "nonce-required" in ablate
    try:
        not_before = None if invalidation is None else invalidation.not_before(account.signer_id)
    except InvalidationStateUnavailable as error:
        # A not-before that cannot be read may exist: fail closed with 503, like D12.
        raise fail(
            "signature_verification_unavailable", error.message,
            detail="the early-invalidation state did not answer (not-before); retry later",
        ) from None
    if not_before is not None and created < not_before and "not-before" not in ablate:
        raise fail(
            "replayable_not_allowed",
            f"expected created >= the signer's not-before {not_before}, got {created}",
            detail="the signer invalidated its signatures created before its not-before time",
        )


def _restart_refusal(
    check: _Check, reason: str, created: int, now: int, restart_floor: int
) -> VerificationError:
    """Decision D61: the refusal of a signature at or below the restart watermark; it carries
    the seconds after which a freshly signed request passes (``Retry-After``)."""
    error = check.fail(
        reason,
        f"the verifier restarted: a signature created at or before {restart_floor} may have "
        f"been accepted before the restart, got created={created}; sign again",
        detail=f"the verifier restarted: signatures created at or before {restart_floor} are "
        "refused (one may have been accepted before the restart); sign again after Retry-After",
    )
    error.retry_after = max(0, restart_floor + 1 - now)
    return error


def _signature_base(
    check: _Check, request: Request, member: InnerList, identifiers: list[str]
) -> str:
    """Step 15 (SPEC.md §4.15): the signature base M from the received request, in received
    order (ERC-8128 §4 step 4; RFC 9421 §3.2 step 3)."""
    if check.trace is not None:
        check.trace.begin(
            15, check.label, f"the received request's values for ({' '.join(identifiers)})")
    try:
        base = signature_base(request, member, checked_identifiers=identifiers)
    except MessageComponentError as error:
        if "duplicate-components" not in check.ablate or error.reason != "component_duplicate":
            raise check.fail(
                "signature_input_invalid", error.message,
                detail=f"the signature base cannot be built from the request ({error.reason})",
            ) from None
        base = _ablated_base_with_repeats(request, member)
    if check.trace is not None:
        check.trace.computed(base)
    return base


def _message_hash(
    check: _Check,
    base: str,
    account: Account,
    replayable: bool,
    invalidation: InvalidationState | None,
) -> tuple[bytes, str]:
    """Step 16 (SPEC.md §4.16): H = keccak256("\\x19Ethereum Signed Message:\\n" || len(M) || M),
    and the per-signature denial of §5.2; ``(H, fingerprint)``."""
    if check.trace is not None:
        check.trace.begin(16, check.label, f"M ({len(base)} bytes)")
    message_hash = personal_message_hash(base.encode("ascii"))
    fingerprint = fingerprint_of(message_hash)
    if check.trace is not None:
        check.trace.computed(f"0x{message_hash.hex()}")
    if replayable and invalidation is not None:
        try:
            invalidated = invalidation.is_invalidated(account.signer_id, fingerprint)
        except InvalidationStateUnavailable as error:
            # A denial that cannot be read may exist: fail closed with 503, like D12.
            raise check.fail(
                "signature_verification_unavailable", error.message,
                detail="the early-invalidation state did not answer (denials); retry later",
            ) from None
        if invalidated and "replayable-invalidated" not in check.ablate:
            raise check.fail(
                "replayable_not_allowed", f"signature {fingerprint} was invalidated by its signer",
                detail="the signer invalidated this signature (by fingerprint)",
            )
    return message_hash, fingerprint


def _account_verification(
    check: _Check,
    params: Parameters,
    account: Account,
    message_hash: bytes,
    signature: bytes,
    *,
    accounts: AccountState,
    key_cache: SignerKeyCache | None,
) -> AccountVerdict:
    """Step 17 (SPEC.md §4.17): Universal Account verification (ERC-8128 §4.1)."""
    ablate, profile, policy = check.ablate, check.profile, check.policy
    mode = get_param(params, "mode")
    # §3.3.5: "A `mode` parameter with any other value or type is ignored."
    mode_eoa = (
        profile.honors_mode and policy.honor_mode_eoa and isinstance(mode, str) and mode == "eoa"
    )
    if check.trace is not None:
        check.trace.begin(
            17, check.label, f"H, the {len(signature)}-byte signature, "
            f"{account.signer_id}{', mode=eoa' if mode_eoa else ''}",
        )
    if ablate & {"low-s", "signature-v"}:
        signature = _ablated_signature(signature, ablate)
    try:
        verdict = verify_account_signature(
            account, message_hash, signature, mode_eoa=mode_eoa, state=accounts,
            key_cache=key_cache,
        )
    except AccountStateUnavailable as error:
        if "verification-available" not in ablate:
            raise check.fail(
                "signature_verification_unavailable", error.message,
                detail="the account state (chain RPC) did not answer; retry later",
            ) from None
        verdict = AccountVerdict(True, "eoa", 0)  # ablation only: fails open
    if not verdict.valid and "signature-valid" not in ablate:
        raise check.fail(
            "bad_signature", verdict.detail or "signature does not verify",
            detail=_bad_signature_detail(verdict),
        )
    return verdict


def _bad_signature_detail(verdict: AccountVerdict) -> str:
    """Step 17's public cause: which check refused the signature (no recovered values)."""
    if verdict.method == "erc6492":
        return "the ERC-6492 wrapped signature does not verify for the keyid's account"
    if verdict.method == "erc1271":
        return "the account contract's ERC-1271 check rejects the signature"
    if verdict.detail.startswith("recovered "):
        return "the signature recovers another address than the keyid's"
    return "the signature cannot be recovered strictly (ERC-8128 §3.4.3: low s, v 27 or 28)"


def _consume_nonces(
    authenticated: list[tuple[int, _Authenticated]],
    nonces: ReplayStore,
    failures: dict[int, VerificationError],
) -> Verified | None:
    """Step 18: the replay keys of EVERY candidate that verified, marked in one atomic step.

    ERC-8128 §3.1.2: "A verifier MUST atomically mark an unused replay key as used; finding it
    already used yields `nonce_reused`. It MUST retain the mark until the request can no longer
    be accepted, including allowed clock skew." Decision D28 (SPEC.md): all of them or none.
    If every key was unused the first verified candidate wins, in wire order (§3.5 "The first
    candidate passing all checks and atomically consuming its nonce, when present, wins").
    If one was used the request is a replay of one already accepted: every nonce-bearing
    candidate fails with `nonce_reused` and nothing is marked; a verified Replayable candidate
    (which its signer let be reused) still wins. Returns None when nothing won (the failures
    are in ``failures``).
    """
    keyed = [(index, item) for index, item in authenticated if item.verified.nonce is not None]
    if keyed:
        until_by_key: dict[str, int] = {}
        for _, item in keyed:
            verified = item.verified
            assert verified.nonce is not None
            key = replay_key(verified.account.signer_id, verified.nonce)
            # One key twice (one signer, one nonce, two labels or profiles: D4): keep it longest.
            until_by_key[key] = max(item.replay_until, until_by_key.get(key, item.replay_until))
        first_label = keyed[0][1].verified.label
        try:
            used = _mark_all(nonces, tuple(until_by_key.items()))
        except ReplayStoreUnavailable as error:
            # Decision D12: a replay store that cannot answer fails closed with 503.
            failures[keyed[0][0]] = _fail(
                "signature_verification_unavailable", error.message, first_label,
                detail="the replay store did not answer; retry later",
            )
            return None
        if used and "nonce-unused" not in _ABLATE.get():
            for index, item in keyed:
                verified = item.verified
                assert verified.nonce is not None
                key = replay_key(verified.account.signer_id, verified.nonce)
                detail = (
                    "was used"
                    if key in used
                    else "is unused, but another signature on this request was used (D28)"
                )
                failures[index] = _fail(
                    "nonce_reused",
                    f"{verified.label}: nonce {verified.nonce!r} of "
                    f"{verified.account.signer_id} {detail}",
                    verified.label,
                    detail=(
                        "the nonce was already used"
                        if key in used
                        else "another signature on this request was already used (D28)"
                    ),
                )
            replayable = [item for _, item in authenticated if item.verified.nonce is None]
            return replayable[0].verified if replayable else None
    winner = authenticated[0][1].verified
    return replace(winner, nonce_consumed=True) if winner.nonce is not None else winner


def _mark_all(nonces: ReplayStore, entries: tuple[tuple[str, int], ...]) -> tuple[str, ...]:
    """Mark every ``(key, until)`` or none; return the keys found already used."""
    if has_batch_consume(nonces):
        return nonces.consume_all(entries)
    if len(entries) == 1:
        ((key, until),) = entries
        return () if nonces.consume(key, until) else (key,)
    # A store without the batch step: one key at a time, in sorted order. At most once still
    # holds (a used key refuses the request); keys marked before a used one stay marked.
    used: list[str] = []
    for key, until in sorted(entries):
        if not nonces.consume(key, until):
            used.append(key)
    return tuple(used)


def _lenient_keyid(keyid: str) -> Account | None:
    """Ablation only: ``<namespace>:<integer>:[0x|0X]<40 hex digits, any case>``."""
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


def _ablated_base_with_repeats(request: Request, member: InnerList) -> str:
    """Ablation only: the base a verifier without RFC 9421's duplicate rule builds (one line
    per covered component, a repeated one repeated)."""
    unique: list[Item] = []
    for item in member.items:
        if component_identifier(item) not in map(component_identifier, unique):
            unique.append(item)
    lines = signature_base(request, replace(member, items=tuple(unique))).split("\n")
    by_identifier = {line.split(": ", 1)[0]: line for line in lines[:-1]}
    params_line = lines[-1].split(": ", 1)[0] + ": " + serialize_inner_list(member)
    return "\n".join([*(by_identifier[component_identifier(i)] for i in member.items),
                      params_line])


def _ablated_nonce(nonce: object) -> str:
    """Ablation only: a verifier that takes any nonce's text as the nonce."""
    if isinstance(nonce, Token):
        return nonce.value
    if isinstance(nonce, bytes):
        return nonce.hex()
    return str(nonce)


def _ablated_signature(signature: bytes, ablate: frozenset[str]) -> bytes:
    """Ablation only: a recovery that normalises high s (s' = n - s, v' = 55 - v) or v 0/1."""
    if len(signature) != 65:
        return signature
    s, v = int.from_bytes(signature[32:64], "big"), signature[64]
    if "signature-v" in ablate and v in (0, 1):
        v += 27
    if "low-s" in ablate and N // 2 < s < N and v in (27, 28):
        s, v = N - s, 55 - v
    return signature[:32] + s.to_bytes(32, "big") + bytes((v,))


def _shown(value: object) -> str:
    """A parameter value in a trace line as protocol text (RFC 9651), "(absent)" when absent."""
    if value is None:
        return "(absent)"
    if isinstance(value, bool | int | str | bytes | Token | decimal.Decimal):
        try:
            return serialize_bare_item(value)
        except StructuredFieldError:
            return repr(value)  # a value RFC 9651 cannot write (only in a refused member)
    return type(value).__name__


def _identifier(item: Item, label: str) -> str:
    """Step 5: the identifier's own syntax (RFC 9421 §2), before any value is computed."""
    try:
        return check_component(item)
    except Erc8128Error as error:
        raise _fail(
            "signature_input_invalid", f"{label}: {error.message}", label,
            detail=f"a component identifier is invalid ({error.reason})",
        ) from None


def _required_identifier(required: str) -> str:
    """A route-required component as its serialised identifier (``"content-type"``)."""
    return component_identifier(parse_component(required))


def _select_failure(failures: list[VerificationError]) -> VerificationError:
    """ERC-8128 §4.2: "If no candidate wins and at least one otherwise policy-compatible
    candidate reaches an unavailable result, the verifier SHOULD return the first such result in
    wire order. Otherwise, it SHOULD return the failure for the first recognized candidate." """
    chosen = next(
        (f for f in failures if f.reason == "signature_verification_unavailable"), failures[0]
    )
    chosen.candidate_failures = tuple(failures)
    return chosen
