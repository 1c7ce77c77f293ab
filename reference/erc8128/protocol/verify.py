"""ERC-8128 verification: ``verify_request``, steps numbered as in SPEC.md §4 ("Verification").

The steps are data: :data:`VERIFICATION_STEPS` lists every rule of SPEC.md §4 as a
:class:`Rule` (its step number, its name, the function that applies it), in step order, and
``verify_request`` walks that table: steps 1-4 once for the request, 5-17 for every candidate,
18 once for all of them. ERC-8128 §3.5: "Limit checks MUST precede cryptography, failed
candidates MUST NOT consume nonces, and the winning nonce MUST be consumed last." Every candidate
is checked, and the nonces of all that verify are consumed in one atomic step, so a request is
accepted at most once whatever its number of signatures (decision D28, SPEC.md); after a
restart, a signature created at or before the restart watermark (what an earlier process may
have accepted) is refused before any cryptography (D61); a private Principal policy is asked
after cryptography (D29).

The function is pure apart from the state it is handed: the clock is ``now``, replay state is
``nonces``, early-invalidation state is ``invalidation``, chain state is ``accounts``, the
restart watermark is ``restart_floor``.

:func:`explain_request` runs the same function and also returns its step trace: every numbered
step it reached, per candidate, with what the step looked at and its verdict. ``erc8128
inspect`` and the browser inspector print that trace; nothing re-implements a step to explain
it.
"""

import decimal
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Final, Generic, Literal, TypeVar

# The pure ERC-191 code is erc8128.crypto.personal_sign; accelerate dispatches to it unless a faster
# backend was selected explicitly (ERC8128_BACKEND or accelerate.use_backend).
from erc8128.crypto.accelerate import personal_message_hash
from erc8128.crypto.key_cache import SignerKeyCache
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
from erc8128.http.components import check_component, component_identifier, parse_component
from erc8128.http.content_digest import verify_content_digest
from erc8128.http.message import Request, authority, query, scheme
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
from erc8128.state.invalidation import InvalidationState, fingerprint_of
from erc8128.state.nonces.base import ReplayStore, has_batch_consume, replay_key

DEFAULT_POLICY: Final = VerifierPolicy()
_NO_CODE: Final = NoCodeAccountState()
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


def _fail(
    reason: str, message: str, label: str | None = None, detail: str | None = None
) -> VerificationError:
    return VerificationError(reason, message, label=label, detail=detail)


# -- the records the steps fill in --------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A Signature-Input member recognised at step 4: its label, the member and its profile."""

    label: str
    member: Member
    profile: Profile


@dataclass(slots=True, eq=False)
class MessageCheck:
    """What the whole-message steps (1-4) and nonce consumption (18) read and write for one
    request: the verifier's inputs, then what each step found, in step order. A working record,
    not a value: each step fills in the fields it computes."""

    request: Request
    now: int
    policy: VerifierPolicy
    nonces: ReplayStore
    accounts: AccountState
    invalidation: InvalidationState | None
    key_cache: SignerKeyCache | None
    restart_floor: int | None
    trace: _Trace | None
    # The received Content-Digest field lines (steps 10-12).
    digest_lines: tuple[str, ...] = field(init=False)
    signature_input: str = field(init=False)  # step 1: the combined Signature-Input field
    signature: str = field(init=False)  # step 1: the combined Signature field
    signature_inputs: Dictionary = field(init=False)  # step 3
    signature_members: dict[str, Member] = field(init=False)  # step 3: Signature, by label
    candidates: list[Candidate] = field(init=False, default_factory=list)  # step 4
    # The candidates that passed steps 5-17, by index; step 18 removes those it refuses.
    passed: list[tuple[int, "CandidateCheck"]] = field(init=False, default_factory=list)
    failures: dict[int, VerificationError] = field(init=False, default_factory=dict)
    used_keys: tuple[str, ...] = field(init=False, default=())  # step 18: found already used

    def __post_init__(self) -> None:
        self.digest_lines = self.request.field_lines("content-digest")


@dataclass(slots=True, eq=False)
class CandidateCheck:
    """What steps 5-17 read and write for one candidate: who it is, the route's policy and the
    verifier's inputs, then what each step found (the signature bytes at step 5, the account at
    7, the time window at 8, the nonce at 9, M at 15, H at 16, the verdict at 17). A working
    record, not a value: each step fills in the fields it computes."""

    message: MessageCheck
    label: str
    member: Member  # as received
    profile: Profile
    # The message's inputs, read by most steps.
    policy: VerifierPolicy = field(init=False)
    request: Request = field(init=False)
    now: int = field(init=False)
    accounts: AccountState = field(init=False)
    invalidation: InvalidationState | None = field(init=False)
    key_cache: SignerKeyCache | None = field(init=False)
    restart_floor: int | None = field(init=False)
    trace: _Trace | None = field(init=False)
    inner_list: InnerList = field(init=False)  # step 5: the member, an Inner List
    params: Parameters = field(init=False)  # step 5: its signature parameters
    identifiers: list[str] = field(init=False)  # step 5: serialised, in signed order
    # Step 5: the failure of the first covered component that is not an identifier.
    component_error: VerificationError | None = field(init=False, default=None)
    signature: bytes = field(init=False)  # step 5
    keyid: str = field(init=False)  # step 7
    account: Account = field(init=False)  # step 7
    created: int = field(init=False)  # step 8
    expires: int = field(init=False)  # step 8
    nonce: str | None = field(init=False)  # step 9; None for a Replayable signature
    parameterless: frozenset[object] = field(init=False)  # step 11: covered without parameters
    missing_request_bound: list[str] = field(init=False)  # step 11: Request-Bound, not covered
    base: str = field(init=False)  # step 15: M
    message_hash: bytes = field(init=False)  # step 16: H
    fingerprint: str = field(init=False)  # step 16
    verdict: AccountVerdict = field(init=False)  # step 17

    def __post_init__(self) -> None:
        message = self.message
        self.policy = message.policy
        self.request = message.request
        self.now = message.now
        self.accounts = message.accounts
        self.invalidation = message.invalidation
        self.key_cache = message.key_cache
        self.restart_floor = message.restart_floor
        self.trace = message.trace

    def fail(self, reason: str, message: str, detail: str | None = None) -> VerificationError:
        return _fail(reason, f"{self.label}: {message}", self.label, detail)

    @property
    def mode_eoa(self) -> bool:
        """Step 17: the candidate asks for EOA verification first, and the route honours it."""
        mode = get_param(self.params, "mode")
        # §3.3.5: "A `mode` parameter with any other value or type is ignored."
        return (
            self.profile.honors_mode
            and self.policy.honor_mode_eoa
            and isinstance(mode, str)
            and mode == "eoa"
        )


_R = TypeVar("_R", MessageCheck, CandidateCheck)


@dataclass(frozen=True)
class Rule(Generic[_R]):
    """One rule of SPEC.md §4: the step it belongs to, its name, and the function that applies
    it to the step's record (raising VerificationError when the request breaks it)."""

    step: int
    name: str
    apply: Callable[[_R], None]


@dataclass(frozen=True)
class VerificationSteps:
    """The verifier's rules as data, each group in SPEC.md §4 order: the whole-message steps
    (1-4, once per request), the per-candidate steps (5-17, for every candidate) and nonce
    consumption (18, once for all the candidates that passed 5-17).

    Decision D29: when the route's Principal policy is private, the walk asks it (step 13)
    after step 17; :meth:`per_candidate_for` gives the order a policy runs.
    """

    whole_message: tuple[Rule[MessageCheck], ...]
    per_candidate: tuple[Rule[CandidateCheck], ...]
    nonce_consumption: tuple[Rule[MessageCheck], ...]
    _principal_last: tuple[Rule[CandidateCheck], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        principal = tuple(rule for rule in self.per_candidate if rule.step == 13)
        others = tuple(rule for rule in self.per_candidate if rule.step != 13)
        object.__setattr__(self, "_principal_last", others + principal)

    def per_candidate_for(self, policy: VerifierPolicy) -> tuple[Rule[CandidateCheck], ...]:
        """The per-candidate rules in the order ``policy`` runs them (D29)."""
        return self._principal_last if policy.principal_private else self.per_candidate

    @property
    def names(self) -> tuple[str, ...]:
        """Every rule's name, in SPEC.md order."""
        return tuple(
            rule.name
            for group in (self.whole_message, self.per_candidate, self.nonce_consumption)
            for rule in group
        )


# -- verification ----------------------------------------------------------------------------


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
    steps: VerificationSteps | None = None,
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

    ``steps`` (optional) is the table of rules walked, :data:`VERIFICATION_STEPS` by default.
    Another table verifies by other rules: the vector generator walks one that lacks a named
    rule, to show that a vector breaks exactly that rule (vectors/README.md, "Single-defect
    vectors"); a verifier of ERC-8128 passes none.
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
        steps=VERIFICATION_STEPS if steps is None else steps,
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
            steps=VERIFICATION_STEPS,
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
    steps: VerificationSteps,
) -> Verified:
    if type(now) is not int:
        raise PolicyError(f"expected now as integer Unix seconds, got {now!r}")
    # ERC-8128 §5.2: "Verifiers that do not implement early invalidation MUST NOT accept
    # Replayable signatures."
    if policy.replay == "either" and invalidation is None:
        raise PolicyError("replay='either' needs an early-invalidation state (ERC-8128 §5.2)")

    message = MessageCheck(
        request, now=now, policy=policy, nonces=nonces, accounts=accounts,
        invalidation=invalidation, key_cache=key_cache, restart_floor=restart_floor,
        trace=trace,
    )
    # Steps 1-4: a failure here ends verification; no candidate is evaluated.
    try:
        if trace is None:
            for rule in steps.whole_message:
                rule.apply(message)
        else:
            _walk_traced(steps.whole_message, message, trace, None, _MESSAGE_LOOKED_AT)
    except VerificationError as failure:
        if trace is not None:
            trace.fail(failure)
        raise

    # Steps 5-17 for EVERY candidate (decision D28): a request is accepted at most once, so
    # the replay keys of all the signatures that verify are consumed together in step 18.
    per_candidate = steps.per_candidate_for(policy)
    for index, candidate in enumerate(message.candidates):
        check = CandidateCheck(message, candidate.label, candidate.member, candidate.profile)
        try:
            if trace is None:
                for candidate_rule in per_candidate:
                    candidate_rule.apply(check)
            else:
                _walk_traced(per_candidate, check, trace, check.label, _CANDIDATE_LOOKED_AT)
        except VerificationError as failure:
            if trace is not None:
                trace.fail(failure)
            message.failures[index] = failure
            continue
        message.passed.append((index, check))

    if message.passed:
        # Step 18 (SPEC.md §4.18): consume the nonces atomically, last.
        authenticated = tuple(message.passed)
        for rule in steps.nonce_consumption:
            rule.apply(message)
        if trace is not None:
            for index, passed in authenticated:
                trace.begin(18, passed.label, f"nonce={_shown(passed.nonce)}")
                if index in message.failures:
                    trace.fail(message.failures[index])
        if message.passed:
            # §3.5 "The first candidate passing all checks and atomically consuming its nonce,
            # when present, wins": the first in wire order of those still in the running (its
            # nonce, if it has one, was consumed at step 18).
            return _verified(message.passed[0][1])
    raise _select_failure([message.failures[index] for index in sorted(message.failures)])


def _walk_traced(
    rules: tuple[Rule[_R], ...],
    record: _R,
    trace: _Trace,
    label: str | None,
    looked_at: dict[int, Callable[[_R], str]],
) -> None:
    """Apply ``rules`` to ``record``, beginning a traced step where the step number changes."""
    step = 0
    for rule in rules:
        if rule.step != step:
            step = rule.step
            trace.begin(step, label, looked_at[step](record))
        rule.apply(record)


def _verified(check: CandidateCheck) -> Verified:
    """The winner, a candidate that passed steps 5-18, as the value verify_request returns
    (built once, for the winner only)."""
    return Verified(
        profile=check.profile.name,
        label=check.label,
        account=check.account,
        keyid=format_keyid(check.account, check.profile.name),
        request_bound=not check.missing_request_bound,
        replayable=check.nonce is None,
        covered_components=tuple(check.identifiers),
        created=check.created,
        expires=check.expires,
        nonce=check.nonce,
        signature_base=check.base,
        message_hash=check.message_hash,
        fingerprint=check.fingerprint,
        verification_method=check.verdict.method,
        code_lookups=check.verdict.code_lookups,
        nonce_consumed=check.nonce is not None,
    )


# -- steps 1-4: the signature fields, whole-message rules -----------------------------------------


def _fields_present(message: MessageCheck) -> None:
    """Step 1 (SPEC.md §4.1): ERC-8128 §3.5 "A missing field yields `signature_missing`."
    Decision D10: a field whose combined value is empty counts as missing."""
    signature_input = ", ".join(message.request.field_lines("signature-input"))
    signature = ", ".join(message.request.field_lines("signature"))
    if not signature_input.strip(" \t"):
        raise _fail(
            "signature_missing", "expected a Signature-Input field, got none",
            detail="the Signature-Input field is missing: this route needs an ERC-8128 signed "
                   "request",
        )
    if not signature.strip(" \t"):
        raise _fail(
            "signature_missing", "expected a Signature field, got none",
            detail="the Signature field is missing",
        )
    message.signature_input = signature_input
    message.signature = signature


def _field_size_limit(message: MessageCheck) -> None:
    """Step 2 (SPEC.md §4.2): field size limits, before parsing (ERC-8128 §3.5 table)."""
    limits = message.policy.limits
    # Header text is the received octets decoded one to one (latin-1), so characters = bytes.
    input_size = len(message.signature_input)
    if input_size > limits.signature_input_bytes:
        raise _fail(
            "signature_too_large",
            f"expected Signature-Input <= {limits.signature_input_bytes} bytes, got {input_size}",
            detail=f"the Signature-Input field exceeds {limits.signature_input_bytes} bytes",
        )
    signature_size = len(message.signature)
    if signature_size > limits.signature_bytes:
        raise _fail(
            "signature_too_large",
            f"expected Signature <= {limits.signature_bytes} bytes, got {signature_size}",
            detail=f"the Signature field exceeds {limits.signature_bytes} bytes",
        )


def _parse_fields(message: MessageCheck) -> None:
    """Step 3 (SPEC.md §4.3): ERC-8128 §3.5 "A Structured Field syntax error in either field
    yields the whole-message failure `signature_input_invalid`; no candidate is evaluated." """
    try:
        signature_inputs = parse_dictionary(message.signature_input)
    except StructuredFieldError as error:
        raise _fail(
            "signature_input_invalid", f"Signature-Input: {error.message}",
            detail="the Signature-Input field is not an RFC 9651 Dictionary",
        ) from None
    try:
        signatures = parse_dictionary(message.signature)
    except StructuredFieldError as error:
        raise _fail(
            "signature_input_invalid", f"Signature: {error.message}",
            detail="the Signature field is not an RFC 9651 Dictionary",
        ) from None
    message.signature_inputs = signature_inputs
    message.signature_members = dict(signatures)


def _select_candidates(message: MessageCheck) -> None:
    """Step 4 (SPEC.md §4.4): candidates in Dictionary wire order.

    ERC-8128 §3.5: "Candidates are selected only by the exact last-wins String `tag="erc8128"`
    in `Signature-Input`. They MUST be evaluated in Dictionary wire order." Decision D2: a legacy
    candidate is a member whose last-wins `keyid` is a String in the `erc8128:` namespace.
    """
    profiles = message.policy.profiles
    for label, member in message.signature_inputs:
        profile = candidate_profile(member.params, profiles)
        if profile is not None:
            message.candidates.append(Candidate(label, member, profile))


def _candidate_limit(message: MessageCheck) -> None:
    """Step 4: at most ``limits.candidates`` candidates (ERC-8128 §3.5 table)."""
    limit = message.policy.limits.candidates
    if len(message.candidates) > limit:
        raise _fail(
            "signature_too_large",
            f"expected <= {limit} candidates, got {len(message.candidates)}",
            detail=f"more than {limit} candidate signatures",
        )


def _candidates_present(message: MessageCheck) -> None:
    """Step 4: no candidate yields `no_acceptable_signature`."""
    if not message.candidates:
        policy = message.policy
        wanted = " or ".join(PROFILES[name].recognised_by for name in policy.profiles)
        raise _fail(
            "no_acceptable_signature",
            f"expected a Signature-Input member with {wanted}, got none among "
            f"{[label for label, _ in message.signature_inputs]}",
            detail=f"no Signature-Input member is a candidate: none has {wanted}",
        )


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


# -- step 5: shape and limits -------------------------------------------------------------------


def _inner_list(check: CandidateCheck) -> None:
    """Step 5 (SPEC.md §4.5): the member is an Inner List of components."""
    member = check.member
    if not isinstance(member, InnerList):
        raise check.fail(
            "signature_input_invalid", "expected an Inner List of components, got an Item",
            detail="the Signature-Input member is an Item, not an Inner List of components",
        )
    check.inner_list = member
    check.params = member.params


def _component_limit(check: CandidateCheck) -> None:
    """Step 5: at most ``limits.components`` covered components."""
    limits = check.policy.limits
    count = len(check.inner_list.items)
    if count > limits.components:
        raise check.fail(
            "signature_too_large",
            f"expected <= {limits.components} covered components, got {count}",
            detail=f"more than {limits.components} covered components",
        )


def _parameter_limit(check: CandidateCheck) -> None:
    """Step 5: at most ``limits.parameters`` signature parameters."""
    limits = check.policy.limits
    count = len(check.params)
    if count > limits.parameters:
        raise check.fail(
            "signature_too_large",
            f"expected <= {limits.parameters} signature parameters, got {count}",
            detail=f"more than {limits.parameters} signature parameters",
        )


def _component_identifiers(check: CandidateCheck) -> None:
    """Step 5: the covered components' identifiers, in order, up to the first that is not an
    sf-string with RFC 9421 §2 syntax. That one's failure waits for the duplicate rule, so that
    a component covered twice before it is the failure reported (:func:`_malformed_component`)."""
    identifiers: list[str] = []
    for item in check.inner_list.items:
        if not isinstance(item.value, str):
            check.component_error = check.fail(
                "signature_input_invalid", f"expected sf-string components, got {item!r}",
                detail="a covered component is not an sf-string",
            )
            break
        try:
            identifiers.append(check_component(item))
        except Erc8128Error as error:
            check.component_error = check.fail(
                "signature_input_invalid", error.message,
                detail=f"a component identifier is invalid ({error.reason})",
            )
            break
    check.identifiers = identifiers


def _duplicate_components(check: CandidateCheck) -> None:
    """Step 5: RFC 9421 §2.5: "If the component identifier [...] has already been added to the
    signature base [...] the signer or verifier MUST fail." """
    seen: set[str] = set()
    for identifier in check.identifiers:
        if identifier in seen:
            raise check.fail(
                "signature_input_invalid", f"component {identifier} is covered twice",
                detail="a component is covered twice",
            )
        seen.add(identifier)


def _malformed_component(check: CandidateCheck) -> None:
    """Step 5: the first covered component that is not an identifier (RFC 9421 §2)."""
    if check.component_error is not None:
        raise check.component_error


def _signature_correlation(check: CandidateCheck) -> None:
    """Step 5: ERC-8128 §3.5 "A well-formed tagged `Signature-Input` member without a correlated
    RFC 9421 Byte Sequence in `Signature` yields the candidate failure
    `signature_input_invalid`"."""
    signature_member = check.message.signature_members.get(check.label)
    if signature_member is None:
        raise check.fail(
            "signature_input_invalid", "expected a Signature member with the same label",
            detail="no Signature member has the candidate's label",
        )
    if not isinstance(signature_member, Item) or not isinstance(signature_member.value, bytes):
        raise check.fail(
            "signature_input_invalid", "expected the Signature member to be a Byte Sequence",
            detail="the Signature member is not a Byte Sequence",
        )
    check.signature = signature_member.value


def _decoded_signature_limit(check: CandidateCheck) -> None:
    """Step 5: at most ``limits.decoded_signature_bytes`` signature bytes."""
    limits = check.policy.limits
    size = len(check.signature)
    if size > limits.decoded_signature_bytes:
        raise check.fail(
            "signature_too_large",
            f"expected <= {limits.decoded_signature_bytes} signature bytes, got {size}",
            detail=f"the decoded signature exceeds {limits.decoded_signature_bytes} bytes",
        )


# -- steps 6-9: alg, keyid, time, nonce ---------------------------------------------------------


def _no_alg(check: CandidateCheck) -> None:
    """Step 6 (SPEC.md §4.6): ERC-8128 §3.3.4 "A candidate containing `alg` yields
    `unsupported_algorithm`"."""
    alg = get_param(check.params, "alg")
    if alg is not None:
        raise check.fail(
            "unsupported_algorithm", f"expected no alg, got alg={alg!r}",
            detail="the signature carries an alg parameter",
        )


def _keyid_present(check: CandidateCheck) -> None:
    """Step 7 (SPEC.md §4.7): a String keyid (ERC-8128 §3.3.1)."""
    keyid_value = get_param(check.params, "keyid")
    if keyid_value is None:
        raise check.fail(
            "invalid_keyid", "expected a keyid parameter, got none",
            detail="the keyid parameter is missing",
        )
    if not isinstance(keyid_value, str):
        raise check.fail(
            "invalid_keyid", f"expected a String keyid, got {keyid_value!r}",
            detail="the keyid parameter is not a String",
        )
    check.keyid = keyid_value


# The syntax of each profile's keyid, as a refusal shows it (protocol/keyid.py quotes the texts).
_KEYID_SYNTAX: Final[dict[str, str]] = {
    "draft": "eip155:<chain id, decimal, no leading zero>:0x<40 lowercase hex digits>",
    "legacy": "erc8128:<chain id, decimal, no leading zero>:0x<40 hex digits>",
}


def _keyid_syntax(check: CandidateCheck) -> None:
    """Step 7: the keyid in the profile's canonical syntax (ERC-8128 §3.3.1); the signer's
    account."""
    try:
        check.account = parse_keyid(check.keyid, check.profile.name)
    except InvalidKeyId as error:
        raise check.fail(
            "invalid_keyid", error.message,
            detail=(f"the keyid does not have the {check.profile.name} profile's syntax "
                    f"{_KEYID_SYNTAX[check.profile.name]}"),
        ) from None
    if check.trace is not None:
        check.trace.computed(check.account.signer_id)


def _served_chain(check: CandidateCheck) -> None:
    """Step 7: ERC-8128 §3.3.1 "A syntactically valid `keyid` whose chain is not served by the
    verifier yields `unsupported_chain`."""
    policy = check.policy
    chain_id = check.account.chain_id
    if chain_id not in policy.served_chains:
        raise check.fail(
            "unsupported_chain",
            f"expected a chain in {sorted(policy.served_chains)}, got {chain_id}",
            detail="the keyid's chain is not served by this verifier",
        )


# The rules of steps 8 and on read alike by design: each reads what its step looks at, compares
# it with the policy and raises check.fail(code, expected/got, detail); one function per rule,
# named in VERIFICATION_STEPS (deliberate for the duplicate scan).


# Step 8 (SPEC.md §4.8): time. ERC-8128 §3.3.2: "Verifiers MUST reject signatures whose `created`
# or `expires` parameter is missing or is not an Integer, or whose `expires` is not greater than
# `created`; these conditions yield `invalid_time`."


def _time_integers(check: CandidateCheck) -> None:
    """Step 8: ``created`` and ``expires`` are Integers."""
    created = get_param(check.params, "created")
    expires = get_param(check.params, "expires")
    if type(created) is not int:  # `type(...) is int` excludes Booleans
        raise check.fail(
            "invalid_time", f"expected an Integer created, got {created!r}",
            detail="created is not an Integer",
        )
    if type(expires) is not int:
        raise check.fail(
            "invalid_time", f"expected an Integer expires, got {expires!r}",
            detail="expires is not an Integer",
        )
    check.created = created
    check.expires = expires


def _created_nonnegative(check: CandidateCheck) -> None:
    """Step 8: decision D11: a Unix timestamp before 1970 is structurally invalid."""
    if check.created < 0:
        raise check.fail(
            "invalid_time", f"expected created >= 0, got {check.created}",
            detail="created is before 1970",
        )


def _expires_after_created(check: CandidateCheck) -> None:
    """Step 8: `expires` greater than `created`."""
    if check.expires <= check.created:
        raise check.fail(
            "invalid_time", f"expected expires > created={check.created}, got {check.expires}",
            detail="expires is not after created",
        )


def _validity_max(check: CandidateCheck) -> None:
    """Step 8: "a window exceeding it yields `request_validity_too_long`"."""
    policy = check.policy
    window = check.expires - check.created
    if window > policy.max_validity_sec:
        raise check.fail(
            "request_validity_too_long",
            f"expected expires - created <= {policy.max_validity_sec}, got {window}",
            detail=f"the validity window exceeds the route maximum of {policy.max_validity_sec} s",
        )


# "With allowed skew `s`, the request is time-valid exactly when:
#  created - s <= now <= expires + s"


def _not_yet_valid(check: CandidateCheck) -> None:
    """Step 8: `created - s <= now`; a signature dated in the future beyond the skew is refused."""
    skew = check.policy.skew_sec
    if check.now < check.created - skew:
        raise check.fail(
            "request_not_yet_valid",
            f"expected now >= created - skew = {check.created - skew}, got {check.now}",
            detail=(f"created minus the allowed skew of {skew} s is after this verifier's "
                    f"time {check.now}: the signer's clock is ahead"),
        )


def _not_expired(check: CandidateCheck) -> None:
    """Step 8: `now <= expires + s`."""
    skew = check.policy.skew_sec
    if check.now > check.expires + skew:
        raise check.fail(
            "request_expired",
            f"expected now <= expires + skew = {check.expires + skew}, got {check.now}",
            detail=(f"expires plus the allowed skew of {skew} s is before this verifier's "
                    f"time {check.now}: sign the request again (if every request expires, the "
                    f"signer's clock is behind)"),
        )


def _nonce_syntax(check: CandidateCheck) -> None:
    """Step 9 (SPEC.md §4.9): ERC-8128 §3.1.2 "A present nonce of another Structured Field type,
    containing non-ASCII data, or exceeding 128 ASCII bytes yields `invalid_nonce`."; the nonce,
    or None for a Replayable signature."""
    nonce = get_param(check.params, "nonce")
    if nonce is not None:
        limit = check.policy.limits.nonce_bytes
        if not isinstance(nonce, str):
            raise check.fail(
                "invalid_nonce", f"expected a String nonce, got {nonce!r}",
                detail="the nonce is not a String",
            )
        if not nonce.isascii():
            raise check.fail(
                "invalid_nonce", "expected an ASCII nonce", detail="the nonce is not ASCII"
            )
        if len(nonce) > limit:
            raise check.fail(
                "invalid_nonce", f"expected a nonce <= {limit} bytes, got {len(nonce)}",
                detail=f"the nonce exceeds {limit} bytes",
            )
    check.nonce = nonce


# -- steps 10-12: content and coverage ----------------------------------------------------------


def _content_digest_present(check: CandidateCheck) -> None:
    """Step 10 (SPEC.md §4.10): ERC-8128 §3.1.3 "A signer sending non-empty content MUST
    generate `Content-Digest` [...] Missing that required field yields
    `content_digest_required`." """
    if (
        not check.message.digest_lines
        and (bool(check.request.body) or check.policy.content_digest == "required")
    ):
        raise check.fail(
            "content_digest_required", "expected a Content-Digest field for the content",
            detail="a Content-Digest field is required and absent",
        )


def _request_bound_set(check: CandidateCheck) -> None:
    """Step 11 (SPEC.md §4.11): the components covered without parameters, and the
    Request-Bound set (computed from the received request, ERC-8128 §3.1.1) not among them."""
    parameterless = frozenset(item.value for item in check.inner_list.items if not item.params)
    bound = check.profile.request_bound_components(
        has_query=query(check.request.target_uri) is not None,
        has_content=bool(check.request.body),
    )
    check.parameterless = parameterless
    check.missing_request_bound = [name for name in bound if name not in parameterless]


def _always_covered(check: CandidateCheck) -> None:
    """Step 11: the profile's always-required components, each as the exact parameterless
    identifier (ERC-8128 §3.4.2)."""
    always = check.profile.always_required_components(
        has_content_digest=bool(check.message.digest_lines),
        has_content_type=bool(check.request.field_lines("content-type")),
    )
    for name in always:
        if name not in check.parameterless:
            raise check.fail(
                "insufficient_coverage", f"expected {name!r} among covered {check.identifiers}",
                detail=f"the always-required component {name} is not covered",
            )


def _request_bound_coverage(check: CandidateCheck) -> None:
    """Step 11: §3.1.1 "A verifier MAY accept it [a Class-Bound signature] only under explicit
    route policy." §5.2: an invalidation request "MUST be authenticated with a Request-Bound
    [...] signature"."""
    policy = check.policy
    missing = check.missing_request_bound
    if missing and (not policy.class_bound or policy.invalidation_endpoint):
        raise check.fail(
            "insufficient_coverage", f"expected Request-Bound coverage, missing {missing}",
            detail=f"the signature is not Request-Bound: {', '.join(missing)} not covered",
        )


def _route_coverage(check: CandidateCheck) -> None:
    """Step 11: every component the route requires is covered."""
    for required in check.policy.required_components:
        wanted = _required_identifier(required)
        if wanted not in check.identifiers:
            raise check.fail(
                "insufficient_coverage", f"route requires {wanted}, covered {check.identifiers}",
                detail=f"the route requires {wanted} to be covered",
            )


# What each Content-Digest failure means for the sender, as a refusal says it.
_DIGEST_FAILURE: Final[dict[str, str]] = {
    "content_digest_mismatch": "the content's digest differs from the field's, so the content "
                               "was changed after signing, or the digest was computed over other "
                               "bytes than those sent",
    "content_digest_malformed": "the field is not a Dictionary of sha-256/sha-512 Byte Sequences "
                                "of the right length (RFC 9530)",
    "content_digest_no_supported_algorithm": "the field has no sha-256 or sha-512 member",
}


def _content_digest_matches(check: CandidateCheck) -> None:
    """Step 12 (SPEC.md §4.12): ERC-8128 §3.1.3 "When `Content-Digest` is received, the verifier
    MUST parse the combined field value [...] recompute and match every supported member
    present, and require at least one supported member to be present and match."."""
    digest_lines = check.message.digest_lines
    if digest_lines:
        try:
            verify_content_digest(check.request.body or b"", ", ".join(digest_lines))
        except ContentDigestError as error:
            raise check.fail(
                "bad_content_digest", error.message,
                detail=(f"the Content-Digest does not verify ({error.reason}): "
                        f"{_DIGEST_FAILURE.get(error.reason, 'see its reason code')}"),
            ) from None


# -- steps 13-14: Principal policy and replay posture -------------------------------------------


def _principal_policy(check: CandidateCheck) -> None:
    """Step 13 (SPEC.md §4.13): Principal policy (ERC-8128 §3.2.2). Decision D29: a private
    Principal policy is asked after step 17 instead, so refusals reveal nothing about it
    (VerificationSteps.per_candidate_for)."""
    policy = check.policy
    if policy.principal_allowed is not None and not policy.principal_allowed(check.account):
        raise check.fail(
            "principal_not_allowed", f"principal policy rejects {check.account.signer_id}",
            detail="the application's Principal policy does not accept this signer",
        )


# Step 14 (SPEC.md §4.14): replay posture (ERC-8128 §3.1.2, §5.2).


def _restart_watermark(check: CandidateCheck) -> None:
    """Step 14: decision D61: ERC-8128 §3.1.2 "Verifiers MUST reject a Non-Replayable signature
    if its validity window exceeds the period for which replay state can be retained; this
    yields `request_validity_too_long`." After a restart, replay state is retained only for
    signatures created after the restart watermark; a fresh signature passes at floor + 1."""
    restart_floor = check.restart_floor
    if check.nonce is not None and restart_floor is not None and check.created <= restart_floor:
        raise _restart_refusal(
            check, "request_validity_too_long", check.created, check.now, restart_floor
        )


def _nonce_required(check: CandidateCheck) -> None:
    """Step 14: "When a route requires Non-Replayable authentication, absence of `nonce` yields
    `nonce_required`." An early-invalidation request must be Non-Replayable (§5.2)."""
    if check.nonce is not None:
        return
    policy = check.policy
    if policy.invalidation_endpoint:
        raise check.fail(
            "nonce_required", "an early-invalidation request must be Non-Replayable",
            detail="an early-invalidation request must carry a nonce (Non-Replayable)",
        )
    if policy.replay == "non-replayable":
        raise check.fail(
            "nonce_required", "expected a nonce: this route is Non-Replayable only",
            detail="this route accepts only Non-Replayable signatures: a nonce is required",
        )


def _replayable_policy(check: CandidateCheck) -> None:
    """Step 14: "When a verifier supports Replayable signatures but the route or Principal
    policy rejects one, it yields `replayable_not_allowed`." """
    policy = check.policy
    if (
        check.nonce is None
        and policy.replayable_allowed is not None
        and not policy.replayable_allowed(check.account)
    ):
        raise check.fail(
            "replayable_not_allowed", f"replayable policy rejects {check.account.signer_id}",
            detail="this route does not accept Replayable signatures from this signer: sign "
                   "with a nonce",
        )


def _replayable_restart_watermark(check: CandidateCheck) -> None:
    """Step 14: decision D61: a signer may have invalidated this signature before the restart
    (ERC-8128 §5.2) in state that forgot it; yields `replayable_not_allowed` as an invalidation
    would."""
    restart_floor = check.restart_floor
    if check.nonce is None and restart_floor is not None and check.created <= restart_floor:
        raise _restart_refusal(
            check, "replayable_not_allowed", check.created, check.now, restart_floor
        )


def _not_before(check: CandidateCheck) -> None:
    """Step 14: a Replayable signature created before its signer's not-before time is refused
    (ERC-8128 §3.1.2, §5.2). A route without early-invalidation state refuses Replayable
    signatures (entry check, step 14's nonce rule) and has no not-before time."""
    invalidation = check.invalidation
    if check.nonce is not None or invalidation is None:
        return
    try:
        not_before = invalidation.not_before(check.account.signer_id)
    except InvalidationStateUnavailable as error:
        # A not-before that cannot be read may exist: fail closed with 503, like D12.
        raise check.fail(
            "signature_verification_unavailable", error.message,
            detail="the early-invalidation state did not answer (not-before); retry later",
        ) from None
    if not_before is not None and check.created < not_before:
        raise check.fail(
            "replayable_not_allowed",
            f"expected created >= the signer's not-before {not_before}, got {check.created}",
            detail="the signer invalidated its signatures created before its not-before time",
        )


def _restart_refusal(
    check: CandidateCheck, reason: str, created: int, now: int, restart_floor: int
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


# -- steps 15-17: M, H, Universal Account verification ------------------------------------------


# What the commonest signature-base failures mean for the sender, as a refusal says it (data,
# not code: rows look like other tables' rows; deliberate for the duplicate scan).
_BASE_FAILURE: Final[dict[str, str]] = {
    "component_absent": ": a covered field is not in the request",
    "component_dictionary_key_absent": ": a covered Dictionary key (;key=) is not in its field",
    "query_param_absent": ": a covered @query-param is not in the query",
    "component_unknown": ": a covered derived component is not one RFC 9421 defines",
    "component_value_control_character": ": a covered value holds a control character, which "
                                         "the signature base cannot carry (SPEC.md D19)",
    "component_value_not_ascii": ": a covered value holds non-ASCII text, which the signature "
                                 "base cannot carry (SPEC.md D19)",
}


def _signature_base(check: CandidateCheck) -> None:
    """Step 15 (SPEC.md §4.15): the signature base M from the received request, in received
    order (ERC-8128 §4 step 4; RFC 9421 §3.2 step 3)."""
    try:
        base = signature_base(
            check.request, check.inner_list, checked_identifiers=check.identifiers
        )
    except MessageComponentError as error:
        raise check.fail(
            "signature_input_invalid", error.message,
            detail=(f"the signature base cannot be built from the request ({error.reason})"
                    f"{_BASE_FAILURE.get(error.reason, '')}"),
        ) from None
    check.base = base
    if check.trace is not None:
        check.trace.computed(base)


def _message_hash(check: CandidateCheck) -> None:
    """Step 16 (SPEC.md §4.16): H = keccak256("\\x19Ethereum Signed Message:\\n" || len(M) || M),
    and the signature's fingerprint."""
    message_hash = personal_message_hash(check.base.encode("ascii"))
    check.message_hash = message_hash
    check.fingerprint = fingerprint_of(message_hash)
    if check.trace is not None:
        check.trace.computed(f"0x{message_hash.hex()}")


def _not_invalidated(check: CandidateCheck) -> None:
    """Step 16: the per-signature denial of ERC-8128 §5.2: a Replayable signature whose
    fingerprint its signer invalidated (decision D9)."""
    invalidation = check.invalidation
    if check.nonce is not None or invalidation is None:
        return
    fingerprint = check.fingerprint
    try:
        invalidated = invalidation.is_invalidated(check.account.signer_id, fingerprint)
    except InvalidationStateUnavailable as error:
        # A denial that cannot be read may exist: fail closed with 503, like D12.
        raise check.fail(
            "signature_verification_unavailable", error.message,
            detail="the early-invalidation state did not answer (denials); retry later",
        ) from None
    if invalidated:
        raise check.fail(
            "replayable_not_allowed", f"signature {fingerprint} was invalidated by its signer",
            detail="the signer invalidated this signature (by fingerprint)",
        )


def _account_verification(check: CandidateCheck) -> None:
    """Step 17 (SPEC.md §4.17): Universal Account verification (ERC-8128 §4.1); an account
    state that cannot answer yields `signature_verification_unavailable`."""
    try:
        check.verdict = verify_account_signature(
            check.account, check.message_hash, check.signature, mode_eoa=check.mode_eoa,
            state=check.accounts, key_cache=check.key_cache,
        )
    except AccountStateUnavailable as error:
        raise check.fail(
            "signature_verification_unavailable", error.message,
            detail="the account state (chain RPC) did not answer; retry later",
        ) from None


def _signature_valid(check: CandidateCheck) -> None:
    """Step 17: a signature that does not verify for the keyid's account yields
    `bad_signature`."""
    verdict = check.verdict
    if not verdict.valid:
        raise check.fail(
            "bad_signature", verdict.detail or "signature does not verify",
            detail=_bad_signature_detail(verdict) + _origin_hint(check),
        )


def _origin_hint(check: CandidateCheck) -> str:
    """When the request's Host names another authority than the verifier's origin, the likely
    cause of a signature that does not verify: the client signed the @authority of the URL it
    called (RFC 9421 §2.2.3), the verifier rebuilt it from its own configuration (RFC 9110
    §7.1). Both are public; nothing recovered is said."""
    if '"@authority"' not in check.identifiers:
        return ""
    hosts = check.request.field_lines("host")
    origin_scheme, origin_authority = scheme(check.request.target_uri), authority(
        check.request.target_uri)
    if len(hosts) != 1:
        return ""
    try:
        said = authority(f"{origin_scheme}://{hosts[0]}/")
    except Erc8128Error:
        return ""
    if said == origin_authority:
        return ""
    # D62: no received value in a detail; the verifier's origin is its public URL.
    return (f"; the request's Host names another authority than this verifier's origin "
            f"{origin_scheme}://{origin_authority}: a client signs the @authority of the URL "
            f"it calls")


# Which strict-recovery check refused an EOA signature, as a refusal says it (ERC-8128 §3.4.3:
# "An EOA signature MUST be exactly 65 bytes `r || s || v`, with `1 <= r < secp256k1n`,
# `1 <= s <= secp256k1n / 2`, and `v` exactly 27 or 28."). Data: rows look alike by design.
_SIGNATURE_REFUSAL: Final[dict[str, str]] = {
    "recovered_other_address": "the signature recovers another address than the keyid's",
    "signature_length": "the signature is not 65 bytes r || s || v (ERC-8128 §3.4.3)",
    "signature_r_range": "the signature's r is not in 1..n-1 (ERC-8128 §3.4.3)",
    "signature_s_range": "the signature's s is not in 1..n-1 (ERC-8128 §3.4.3)",
    "signature_high_s": "the signature's s is above n/2; ERC-8128 §3.4.3 requires low s",
    "signature_v": "the signature's v is not 27 or 28 (ERC-8128 §3.4.3)",
}


def _bad_signature_detail(verdict: AccountVerdict) -> str:
    """Step 17's public cause: which check refused the signature (no recovered values)."""
    if verdict.method == "erc6492":
        return "the ERC-6492 wrapped signature does not verify for the keyid's account"
    if verdict.method == "erc1271":
        return "the account contract's ERC-1271 check rejects the signature"
    return _SIGNATURE_REFUSAL.get(
        verdict.refusal, "the signature recovers no public key (no curve point has its r)")


# -- step 18: nonce consumption ------------------------------------------------------------------


def _consume_nonces(message: MessageCheck) -> None:
    """Step 18 (SPEC.md §4.18): the replay keys of EVERY candidate that verified, marked in one
    atomic step.

    ERC-8128 §3.1.2: "A verifier MUST atomically mark an unused replay key as used; finding it
    already used yields `nonce_reused`. It MUST retain the mark until the request can no longer
    be accepted, including allowed clock skew." Decision D28 (SPEC.md): all of them or none. A
    replay store that cannot answer fails closed with 503 (D12), and nothing wins.
    """
    keyed = [(index, check) for index, check in message.passed if check.nonce is not None]
    if not keyed:
        return
    until_by_key: dict[str, int] = {}
    for _, check in keyed:
        assert check.nonce is not None
        key = replay_key(check.account.signer_id, check.nonce)
        # The mark lives until expires + skew; one key twice (one signer, one nonce, two labels
        # or profiles: D4) keeps the longest.
        until = check.expires + check.policy.skew_sec
        until_by_key[key] = max(until, until_by_key.get(key, until))
    try:
        message.used_keys = _mark_all(
            message.nonces, tuple(until_by_key.items()), now=message.now
        )
    except ReplayStoreUnavailable as error:
        # Decision D12: a replay store that cannot answer fails closed with 503.
        message.failures[keyed[0][0]] = _fail(
            "signature_verification_unavailable", error.message, keyed[0][1].label,
            detail="the replay store did not answer; retry later",
        )
        message.passed = []


def _nonce_unused(message: MessageCheck) -> None:
    """Step 18: a used key means the request replays one already accepted: every nonce-bearing
    candidate fails with `nonce_reused` and nothing was marked; a verified Replayable candidate
    (which its signer let be reused) stays in the running (§3.5 "The first candidate passing
    all checks and atomically consuming its nonce, when present, wins")."""
    used = message.used_keys
    if not used:
        return
    for index, check in message.passed:
        if check.nonce is None:
            continue
        key = replay_key(check.account.signer_id, check.nonce)
        detail = (
            "was used"
            if key in used
            else "is unused, but another signature on this request was used (D28)"
        )
        message.failures[index] = _fail(
            "nonce_reused",
            f"{check.label}: nonce {check.nonce!r} of {check.account.signer_id} {detail}",
            check.label,
            detail=(
                "this signer already used this nonce (a replayed request); sign the request "
                "again, with a fresh nonce"
                if key in used
                else "another signature on this request was already used (D28)"
            ),
        )
    message.passed = [(index, check) for index, check in message.passed
                      if check.nonce is None]


def _mark_all(
    nonces: ReplayStore, entries: tuple[tuple[str, int], ...], *, now: int
) -> tuple[str, ...]:
    """Mark every ``(key, until)`` or none, at the verifier's ``now`` (the store's only clock);
    return the keys found already used."""
    if has_batch_consume(nonces):
        return nonces.consume_all(entries, now=now)
    if len(entries) == 1:
        ((key, until),) = entries
        return () if nonces.consume(key, until, now=now) else (key,)
    # A store without the batch step: one key at a time, in sorted order. At most once still
    # holds (a used key refuses the request); keys marked before a used one stay marked.
    used: list[str] = []
    for key, until in sorted(entries):
        if not nonces.consume(key, until, now=now):
            used.append(key)
    return tuple(used)


# -- the table ----------------------------------------------------------------------------------

# Every rule of SPEC.md §4, in step order. A rule's name is the requirement it enforces where the
# vectors name one (vectors/requirements.py); tests/protocol/test_verify_steps.py checks the order.
VERIFICATION_STEPS: Final = VerificationSteps(
    whole_message=(
        Rule(1, "signature-fields-present", _fields_present),
        Rule(2, "field-size-limit", _field_size_limit),
        Rule(3, "sf-syntax", _parse_fields),
        Rule(4, "candidate-selection", _select_candidates),
        Rule(4, "candidate-limit", _candidate_limit),
        Rule(4, "candidates-present", _candidates_present),
    ),
    per_candidate=(
        Rule(5, "inner-list", _inner_list),
        Rule(5, "component-limit", _component_limit),
        Rule(5, "parameter-limit", _parameter_limit),
        Rule(5, "component-identifiers", _component_identifiers),
        Rule(5, "duplicate-components", _duplicate_components),
        Rule(5, "component-syntax", _malformed_component),
        Rule(5, "signature-correlation", _signature_correlation),
        Rule(5, "decoded-signature-limit", _decoded_signature_limit),
        Rule(6, "no-alg", _no_alg),
        Rule(7, "keyid-required", _keyid_present),
        Rule(7, "keyid-syntax", _keyid_syntax),
        Rule(7, "served-chain", _served_chain),
        Rule(8, "time-integers", _time_integers),
        Rule(8, "created-nonnegative", _created_nonnegative),
        Rule(8, "expires-after-created", _expires_after_created),
        Rule(8, "validity-max", _validity_max),
        Rule(8, "not-yet-valid", _not_yet_valid),
        Rule(8, "not-expired", _not_expired),
        Rule(9, "nonce-syntax", _nonce_syntax),
        Rule(10, "content-digest-present", _content_digest_present),
        Rule(11, "request-bound-set", _request_bound_set),
        Rule(11, "coverage-always", _always_covered),
        Rule(11, "coverage-request-bound", _request_bound_coverage),
        Rule(11, "coverage-route", _route_coverage),
        Rule(12, "content-digest-match", _content_digest_matches),
        Rule(13, "principal-policy", _principal_policy),
        Rule(14, "restart-watermark", _restart_watermark),
        Rule(14, "nonce-required", _nonce_required),
        Rule(14, "replayable-policy", _replayable_policy),
        Rule(14, "replayable-restart-watermark", _replayable_restart_watermark),
        Rule(14, "not-before", _not_before),
        Rule(15, "signature-base", _signature_base),
        Rule(16, "erc191-hash", _message_hash),
        Rule(16, "replayable-invalidated", _not_invalidated),
        Rule(17, "verification-available", _account_verification),
        Rule(17, "signature-valid", _signature_valid),
    ),
    nonce_consumption=(
        Rule(18, "nonce-consumption", _consume_nonces),
        Rule(18, "nonce-unused", _nonce_unused),
    ),
)


# -- the step trace: what each numbered step looked at -------------------------------------------


def _looked_at_fields(message: MessageCheck) -> str:
    request = message.request
    return (
        f"{len(request.field_lines('signature-input'))} Signature-Input and "
        f"{len(request.field_lines('signature'))} Signature field lines"
    )


def _looked_at_candidates(message: MessageCheck) -> str:
    members = message.signature_inputs
    profiles = message.policy.profiles
    found = [
        f"{label} ({profile.name})"
        for label, member in members
        if (profile := candidate_profile(member.params, profiles)) is not None
    ]
    return (
        f"members {', '.join(label for label, _ in members)}; "
        f"candidates {', '.join(found) or 'none'}"
    )


_MESSAGE_LOOKED_AT: Final[dict[int, Callable[[MessageCheck], str]]] = {
    1: _looked_at_fields,
    2: lambda message: (
        f"Signature-Input {len(message.signature_input)} bytes, Signature "
        f"{len(message.signature)} bytes"
    ),
    3: lambda message: "both fields as RFC 9651 Dictionaries",
    4: _looked_at_candidates,
}


def _looked_at_shape(check: CandidateCheck) -> str:
    member = check.member
    shape = (
        f"{len(member.items)} components, {len(member.params)} parameters"
        if isinstance(member, InnerList)
        else "an Item"
    )
    return f"the member ({shape}) and its Signature member"


def _looked_at_time(check: CandidateCheck) -> str:
    policy = check.policy
    created = get_param(check.params, "created")
    expires = get_param(check.params, "expires")
    return (
        f"created={_shown(created)} expires={_shown(expires)} now={check.now} "
        f"skew={policy.skew_sec} max validity={policy.max_validity_sec}"
    )


def _looked_at_principal(check: CandidateCheck) -> str:
    policy = check.policy
    private = policy.principal_private
    hook = "none" if policy.principal_allowed is None else (
        "the route's private hook (D29)" if private else "the route's hook"
    )
    after = ", after step 17" if private else ""
    return f"{check.account.signer_id} against {hook}{after}"


_CANDIDATE_LOOKED_AT: Final[dict[int, Callable[[CandidateCheck], str]]] = {
    5: _looked_at_shape,
    6: lambda check: f"alg={_shown(get_param(check.params, 'alg'))}",
    7: lambda check: (
        f"keyid={_shown(get_param(check.params, 'keyid'))} ({check.profile.name}); served "
        f"chains {', '.join(str(c) for c in sorted(check.policy.served_chains))}"
    ),
    8: _looked_at_time,
    9: lambda check: f"nonce={_shown(get_param(check.params, 'nonce'))}",
    10: lambda check: (
        f"{len(check.request.body or b'')} content bytes, {len(check.message.digest_lines)} "
        f"Content-Digest field lines, route content_digest={check.policy.content_digest}"
    ),
    11: lambda check: f"covered ({' '.join(check.identifiers)})",
    12: lambda check: (
        f"Content-Digest {', '.join(check.message.digest_lines) or '(absent)'}"
    ),
    13: _looked_at_principal,
    14: lambda check: (
        f"{'Replayable (no nonce)' if check.nonce is None else 'Non-Replayable'}; "
        f"route replay={check.policy.replay}"
    ),
    15: lambda check: f"the received request's values for ({' '.join(check.identifiers)})",
    16: lambda check: f"M ({len(check.base)} bytes)",
    17: lambda check: (
        f"H, the {len(check.signature)}-byte signature, "
        f"{check.account.signer_id}{', mode=eoa' if check.mode_eoa else ''}"
    ),
}


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
