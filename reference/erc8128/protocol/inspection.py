"""Inspecting a pasted request: which origin and which profile it is judged under, then
verify_request's own step trace (:func:`erc8128.protocol.verify.explain_request`).

Shared by ``erc8128 inspect`` and the inspector page's ``POST /api/inspect`` so that both say
the same thing about the same paste. Which origin: SPEC.md D66; which profile: D67; a fresh
replay store and early-invalidation state for every attempt: D57.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Final, Literal

from erc8128.errors import Erc8128Error, VerificationError
from erc8128.http.message import Request, request_from_wire
from erc8128.http.paste import Paste
from erc8128.http.structured_fields import get_param, parse_dictionary
from erc8128.protocol.accounts import AccountState, NoCodeAccountState
from erc8128.protocol.keyid import PROFILE_NAMES, ProfileName
from erc8128.protocol.policy import VerifierPolicy
from erc8128.protocol.profiles import DRAFT, LEGACY
from erc8128.protocol.verify import Explanation, explain_request
from erc8128.state.invalidation import MemoryInvalidationState
from erc8128.state.nonces.memory import MemoryReplayStore

ProfileChoice = Literal["auto", "draft", "legacy", "both"]
_FORCED: Final[dict[str, tuple[ProfileName, ...]]] = {
    "draft": ("draft",), "legacy": ("legacy",), "both": ("draft", "legacy"),
}


@dataclass(frozen=True)
class Attempt:
    """One origin tried: the scheme and authority, and the verdict under them."""

    scheme: str
    authority: str
    verified: bool
    reason: str | None


@dataclass(frozen=True)
class Inspection:
    """The outcome of inspecting one paste."""

    paste: Paste
    request: Request
    explanation: Explanation
    scheme: str
    scheme_from: str  # where the scheme came from, or "assumed"
    authority: str
    authority_from: str
    attempts: tuple[Attempt, ...]
    profiles: tuple[ProfileName, ...]
    profile_from: str  # "detected: ..." or "forced"
    member_profiles: tuple[tuple[str, str], ...]  # (label, what its keyid/tag say)
    # Every refusal of every run of every attempt, for a caller that charges the recoveries
    # they cost (decision D79: an inspector call is not free).
    refusals: tuple[VerificationError, ...] = ()

    @property
    def scheme_note(self) -> str | None:
        """What the page and the CLI say when the scheme was assumed."""
        if self.scheme_from != "assumed" or len(self.attempts) < 2:
            return None
        first = self.attempts[0]
        if self.explanation.verified is not None:
            return (f"the paste does not say the scheme: {first.scheme} failed "
                    f"({first.reason}), {self.scheme} verified")
        return (f"the paste does not say the scheme: tried "
                f"{' and '.join(a.scheme for a in self.attempts)}, neither verified")


@dataclass(frozen=True)
class ServerAnswer:
    """The answer the paste shows the server gave, and why this inspection's verdict differs."""

    status: int
    reason: str | None  # from WWW-Authenticate: ERC8128 error="..." (SPEC.md §5)
    why: str | None  # None when the two verdicts agree

    @property
    def said(self) -> str:
        return f"{self.status} {self.reason}" if self.reason else str(self.status)


_TIME_REASONS: Final = ("request_expired", "request_not_yet_valid")


def server_answer(paste: Paste, refused: str | None) -> ServerAnswer | None:
    """What the server answered (when the paste shows it, SPEC.md D66) beside this inspection's
    refusal reason (None: verified), and why they differ: this inspection keeps a fresh replay
    store (D57), judges at its own now, and takes the origin, profile and chains it is given."""
    status = paste.answer_status
    if status is None:
        return None
    accepted = 200 <= status <= 299
    why: str | None = None
    if paste.answer_reason is None or paste.answer_reason == refused:
        if accepted and refused in _TIME_REASONS:
            why = "the server accepted it at its clock when the request arrived"
        elif accepted and refused is not None:
            why = ("the server accepted what this inspection refuses: its public URL, profile, "
                   "chains or clock differ from this inspection's; give it the server's")
    elif paste.answer_reason == "nonce_reused":
        why = ("a nonce is refused as reused only by the verifier that saw it first (step 18); "
               "this inspection starts with a fresh replay store, so a replayed capture passes "
               "here")
    elif paste.answer_reason in _TIME_REASONS:
        why = ("the server judged at its clock when the request arrived, this inspection at "
               "its own now")
    else:
        why = ("the server's configuration differs from this inspection's: its public URL, "
               "profile, chains or route policy; give it the server's")
    return ServerAnswer(status, paste.answer_reason, why)


def detect_profiles(request: Request) -> tuple[tuple[ProfileName, ...],
                                               tuple[tuple[str, str], ...]]:
    """The profiles the request's Signature-Input members are written in, in member order.

    ERC-8128 §3.5: draft candidates are "selected only by the exact last-wins String
    `tag="erc8128"`"; decision D2: a legacy candidate is a member whose last-wins `keyid` is a
    String in the `erc8128:` namespace. Returns the profiles (draft first when both appear; the
    draft when none does, so the refusal names the draft's rule) and, per member, what it is.
    """
    try:
        members = parse_dictionary(", ".join(request.field_lines("signature-input")))
    except Erc8128Error:
        return ("draft",), ()
    found: list[ProfileName] = []
    described: list[tuple[str, str]] = []
    for label, member in members:
        tag = get_param(member.params, "tag")
        keyid = get_param(member.params, "keyid")
        if isinstance(tag, str) and tag == DRAFT.tag:
            found.append("draft")
            described.append((label, 'draft signature (tag="erc8128")'))
        elif isinstance(keyid, str) and keyid.startswith(LEGACY.keyid_prefix + ":"):
            found.append("legacy")
            described.append((label, 'legacy signature (keyid "erc8128:...", no tag)'))
        elif isinstance(keyid, str) and keyid.startswith(DRAFT.keyid_prefix + ":"):
            described.append((label, 'keyid "eip155:..." without tag="erc8128": a draft '
                                     "signature needs the tag"))
        else:
            described.append((label, "neither a draft tag nor a legacy keyid"))
    profiles: tuple[ProfileName, ...] = tuple(
        name for name in PROFILE_NAMES if name in found)
    return (profiles or ("draft",)), tuple(described)


def inspect_paste(
    paste: Paste,
    *,
    now: int,
    policy: VerifierPolicy,
    public_url: tuple[str, str] | None = None,
    profile: ProfileChoice = "auto",
    runs: int = 1,
    accounts: AccountState | None = None,
    build_policy: Callable[[tuple[ProfileName, ...]], VerifierPolicy] | None = None,
) -> Inspection:
    """Judge ``paste`` at ``now``. ``public_url`` is a trusted (scheme, authority); without it
    the paste's own are used (see the module docstring). ``policy``'s profiles are replaced by
    the detected or forced ones; ``runs`` = 2 verifies twice against one store (a replay)."""
    raw = paste.raw
    if public_url is not None:
        schemes, scheme_from = [public_url[0]], "the public URL given"
        authority, authority_from = public_url[1], "the public URL given"
    else:
        said = paste.authority or raw.header("host")
        if not said:
            raise Erc8128Error(
                "public_url_missing",
                f"expected a public URL or an authority in the paste ({paste.format_title}: "
                f"no URL, :authority or Host), got neither; add a Host line or give the "
                f"public URL (erc8128 inspect --public-url, the page's public URL field)")
        authority = said
        authority_from = paste.authority_from or "the Host header"
        if paste.scheme is not None:
            schemes, scheme_from = [paste.scheme], paste.scheme_from or "the paste"
        else:
            schemes, scheme_from = ["https", "http"], "assumed"
    # A first build with the first scheme: detect the profile on it (headers do not depend on
    # the scheme).
    first = request_from_wire(raw.request_line, raw.header_lines, raw.body,
                              scheme=schemes[0], authority=authority)
    if profile == "auto":
        profiles, described = detect_profiles(first)
        profile_from = "detected from the keyid form and tag"
    else:
        profiles, described = _FORCED[profile], detect_profiles(first)[1]
        profile_from = "forced"
    judged = replace(policy, profiles=profiles) if build_policy is None else build_policy(
        profiles)
    attempts: list[Attempt] = []
    refusals: list[VerificationError] = []
    chosen: tuple[Request, Explanation, str] | None = None
    for index, scheme in enumerate(schemes):
        request = first if index == 0 else request_from_wire(
            raw.request_line, raw.header_lines, raw.body, scheme=scheme, authority=authority)
        # Decision D57: a fresh replay store and invalidation state for every attempt.
        nonces = MemoryReplayStore()
        invalidation = MemoryInvalidationState()
        explanation: Explanation | None = None
        for _ in range(runs):
            explanation = explain_request(request, now=now, nonces=nonces, policy=judged,
                                          invalidation=invalidation,
                                          accounts=accounts or NoCodeAccountState())
            if explanation.error is not None:
                refusals.append(explanation.error)
        assert explanation is not None
        error = explanation.error
        attempts.append(Attempt(scheme, authority, explanation.verified is not None,
                                None if error is None else error.reason))
        if chosen is None or explanation.verified is not None:
            chosen = (request, explanation, scheme)
        if explanation.verified is not None:
            break
    assert chosen is not None
    request, explanation, scheme = chosen
    return Inspection(paste, request, explanation, scheme, scheme_from, authority,
                      authority_from, tuple(attempts), profiles, profile_from, described,
                      tuple(refusals))
