"""Live checks of replay protection (ERC-8128 §3.1.2, §5): a nonce accepted once, the replay
race, the replay key (canonical, across profiles), multi-signature requests and the route's
Replayable policy.
"""

import secrets
import time
from collections.abc import Callable
from typing import Final

from erc8128.crypto.addresses import address_of
from erc8128.http.message import Request
from erc8128.http.structured_fields import BareItem, Token
from erc8128.protocol.keyid import ProfileName
from erc8128.protocol.profiles import get_profile
from erc8128.protocol.sign import new_nonce
from erc8128_conformance.judge import Finding
from erc8128_conformance.live_answers import accepted, accepted_or_rejected, failed, rejected
from erc8128_conformance.live_context import CheckNotApplicable, LiveContext
from erc8128_conformance.live_signing import (
    LIVE_ADDRESS,
    Forged,
    foreign_signature,
    forge,
    post_request,
    replace_header,
    signature_field,
    unix_now,
    valid_request,
)
from erc8128_conformance.live_transport import (
    RATE_LIMIT_MAX_WAIT_SEC,
    RATE_LIMIT_RETRIES,
    HttpAnswer,
    LiveTarget,
    RateLimited,
    retry_after,
    send,
    send_together,
)

__all__ = [
    "RACE_COPIES",
    "RACE_ROUNDS",
    "check_empty_nonce_single_use",
    "check_failed_candidate_keeps_nonce",
    "check_multi_signature_replay",
    "check_nonce_reused_other_request",
    "check_nonce_token",
    "check_nonce_too_long",
    "check_replay",
    "check_replay_after_expiry_within_skew",
    "check_replay_key_across_profiles",
    "check_replay_key_canonical",
    "check_replay_race_get",
    "check_replay_race_post",
    "check_replayable",
]


# The replay race (ERC-8128 draft §3.1.2, "Implementations MUST test a replay race by submitting
# the positive request concurrently: exactly one request may authenticate"): this many copies of
# one signed request, each on its own connection, released together by a barrier, per round.
RACE_COPIES: Final = 8
RACE_ROUNDS: Final = 3


def check_replay(ctx: LiveContext) -> list[Finding]:
    request = valid_request(ctx)
    first = send(ctx.target, request)
    if not 200 <= first.status < 300:
        return failed(f"first send: expected 2xx, got {first.summary()}")
    return rejected(send(ctx.target, request), "nonce_reused", "the same request again")


def check_replay_after_expiry_within_skew(ctx: LiveContext) -> list[Finding]:
    # Expired 10 s ago, still accepted inside a 30 s skew: its nonce must be kept until
    # expires + skew, so the second send inside the skew is a replay.
    now = unix_now()
    request = valid_request(ctx, created=now - 70, expires=now - 10)
    first = send(ctx.target, request)
    if not 200 <= first.status < 300:
        raise CheckNotApplicable(
            f"the server refuses a request expired 10 s ago (no 30 s skew): {first.summary()}"
        )
    return rejected(send(ctx.target, request), "nonce_reused", "the same request again")


def check_nonce_reused_other_request(ctx: LiveContext) -> list[Finding]:
    nonce = new_nonce()
    first = send(ctx.target, valid_request(ctx, nonce=nonce, target=ctx.target.path + "?n=1"))
    if not 200 <= first.status < 300:
        return failed(f"first request: expected 2xx, got {first.summary()}")
    second = valid_request(ctx, nonce=nonce, target=ctx.target.path + "?n=2")
    return rejected(send(ctx.target, second), "nonce_reused",
                    "another request signed with the same keyid and nonce")


def check_failed_candidate_keeps_nonce(ctx: LiveContext) -> list[Finding]:
    nonce = new_nonce()
    forged = forge(ctx, nonce=nonce)
    bad = foreign_signature(forged)
    answer = send(ctx.target, replace_header(forged.request, "Signature",
                                              signature_field("eth", bad)))
    problems = rejected(answer, "bad_signature", "a signature by another key")
    second = send(ctx.target, valid_request(ctx, nonce=nonce))
    return problems + accepted(second, "a valid request with the nonce of a failed one")


def check_replay_key_canonical(ctx: LiveContext) -> list[Finding]:
    # Legacy keyids are case-insensitive: the same account and nonce with an upper-case
    # address is the same replay key.
    nonce = new_nonce()
    first = send(ctx.target, valid_request(ctx, nonce=nonce))
    if not 200 <= first.status < 300:
        return failed(f"first request: expected 2xx, got {first.summary()}")
    upper = f"erc8128:{ctx.target.chain_id}:0x{LIVE_ADDRESS[2:].upper()}"
    second = valid_request(ctx, nonce=nonce, keyid=upper, target=ctx.target.path + "?n=2")
    return rejected(send(ctx.target, second), "nonce_reused",
                    "the same nonce under the same account spelled in upper case")


def check_empty_nonce_single_use(ctx: LiveContext) -> list[Finding]:
    # A one-off key: the replay key (signer, "") would otherwise stay spent between runs.
    key = secrets.token_bytes(32)
    request = valid_request(ctx, nonce="", key=key)
    first = send(ctx.target, request)
    problems = accepted(first, 'nonce=""', signer=address_of(key))
    if problems:
        return problems
    return rejected(send(ctx.target, request), "nonce_reused", 'nonce="" again')


def check_nonce_too_long(ctx: LiveContext) -> list[Finding]:
    return rejected(send(ctx.target, valid_request(ctx, nonce="n" * 129)), "invalid_nonce")


def check_nonce_token(ctx: LiveContext) -> list[Finding]:
    def as_token(params: list[tuple[str, BareItem]]) -> list[tuple[str, BareItem]]:
        return [(k, Token("n" + str(v)) if k == "nonce" else v) for k, v in params]

    return rejected(send(ctx.target, valid_request(ctx, edit_params=as_token)), "invalid_nonce")


def check_replayable(ctx: LiveContext) -> list[Finding]:
    answer = send(ctx.target, valid_request(ctx, replayable=True))
    policy = ctx.get_policy()
    replay = policy.get("replay") if policy is not None else None
    if replay == "either":
        return accepted(answer, "a Replayable signature on a route whose policy is replay=either")
    if replay == "non-replayable":
        return rejected(answer, "nonce_required",
                        "a Replayable signature on a route whose policy is non-replayable")
    return accepted_or_rejected(answer, ("nonce_required", "replayable_not_allowed"),
                                f"a Replayable signature (route policy unknown: "
                                f"{ctx.discovery_note})")


def _race(ctx: LiveContext, make: Callable[[], Request], what: str) -> list[Finding]:
    """RACE_ROUNDS rounds of RACE_COPIES concurrent copies of one fresh signed request."""
    connects: list[str | None] = [None, *ctx.instances]
    spread = f" spread over {len(connects)} instances" if len(connects) > 1 else ""
    problems: list[Finding] = []
    round_number, limited = 0, 0
    while round_number < RACE_ROUNDS:
        request = make()
        answers = send_together(ctx.target, request, RACE_COPIES, connects)
        replies = [a for a in answers if isinstance(a, HttpAnswer)]
        throttled = [a for a in replies if a.status == 429]
        if throttled and not any(200 <= a.status < 300 for a in replies):
            # Refused before verification (RFC 6585 §4): the round proves nothing; wait as told
            # and race a fresh request, at most RATE_LIMIT_RETRIES times in all (so at most
            # RACE_COPIES * (RACE_ROUNDS + RATE_LIMIT_RETRIES) requests).
            limited += 1
            if limited > RATE_LIMIT_RETRIES:
                raise RateLimited(f"rate limited: the replay race on {what} was answered 429 "
                                  f"{limited} times ({throttled[0].summary()})")
            time.sleep(min(retry_after(throttled[0]), RATE_LIMIT_MAX_WAIT_SEC))
            continue
        round_number += 1
        wins = sum(200 <= a.status < 300 for a in replies)
        statuses = ", ".join(f"{status} x{count}" for status, count in sorted(
            {a.status: sum(b.status == a.status for b in replies) for a in replies}.items()))
        errors = [str(a) for a in answers if not isinstance(a, HttpAnswer)]
        seen = f"answers: {statuses or 'none'}" + (f"; {len(errors)} without an answer "
                                                  f"({errors[0]})" if errors else "")
        if wins > 1:
            problems.extend(failed(
                f"replay race: {wins} of {RACE_COPIES} concurrent copies accepted, at most one "
                f"may be (a check-then-insert replay store, or instances not sharing one): "
                f"{what}, round {round_number}{spread} ({seen})"
            ))
        elif wins == 0 and not errors:
            problems.extend(failed(f"replay race: none of {RACE_COPIES} concurrent copies of a "
                                   f"valid signed {what} was accepted (round {round_number}; "
                                   f"exactly one must be): {seen}"))
        elif wins == 0:
            raise OSError(f"replay race round {round_number}: {seen}")
    return problems


def check_replay_race_get(ctx: LiveContext) -> list[Finding]:
    return _race(ctx, lambda: valid_request(ctx), f"GET {ctx.target.path}")


def check_replay_race_post(ctx: LiveContext) -> list[Finding]:
    path = ctx.need_post()
    return _race(ctx, lambda: post_request(ctx).request, f"POST {path}")


def _two_signatures(ctx: LiveContext, first: Forged, second: Forged) -> Request:
    headers = (
        ("Host", ctx.target.authority),
        ("Signature-Input", f"a={first.member}, b={second.member}"),
        ("Signature", f"{signature_field('a', first.signature)}, "
                      f"{signature_field('b', second.signature)}"),
    )
    return Request("GET", ctx.target.url, headers, None)


def check_multi_signature_replay(ctx: LiveContext) -> list[Finding]:
    # Decision D28: "A request is accepted at most once, whatever the number of its
    # signatures": the replay of a request with two valid signatures (two nonces) is refused.
    request = _two_signatures(ctx, forge(ctx, label="a"), forge(ctx, label="b"))
    first = send(ctx.target, request)
    problems = accepted(first, "a request with two valid signatures (labels a, b)")
    if problems:
        return problems
    again = send(ctx.target, request)
    if 200 <= again.status < 300:
        why = ("multi-signature replay: a request with two valid signatures accepted twice "
               "(only the winning signature's nonce consumed; D28 consumes every verified "
               "candidate's nonce)")
        return failed(f"{why}: {again.summary()}", f"{why}: HTTP {again.status}")
    return rejected(again, "nonce_reused", "the same two-signature request again")


def check_replay_key_across_profiles(ctx: LiveContext) -> list[Finding]:
    # Decision D4: "The replay key uses the canonical CAIP-10 signer id in both profiles, so one
    # nonce cannot be spent once per profile."
    if set(ctx.run_profiles) != {"draft", "legacy"}:
        raise CheckNotApplicable("the cross-profile replay key needs --profile both")
    other_profile: ProfileName = "legacy" if ctx.profile == "draft" else "draft"
    other = LiveContext(
        LiveTarget(ctx.target.base_url, ctx.target.path, other_profile, ctx.target.timeout,
                   ctx.target.chain_id),
        ctx.post_path, ctx.discovery, ctx.discovery_note,
    )
    probe = send(ctx.target, valid_request(other, target=ctx.target.path + "?probe=1"))
    if not 200 <= probe.status < 300:
        raise CheckNotApplicable(
            f"the server does not accept a {other_profile}-profile request: {probe.summary()}")
    nonce = new_nonce()
    first = send(ctx.target, valid_request(ctx, nonce=nonce))
    problems = accepted(first, f"a {ctx.profile}-profile request")
    if problems:
        return problems
    second = send(ctx.target, valid_request(other, nonce=nonce, target=ctx.target.path + "?n=2"))
    what = (f"the same signer and nonce under the {other_profile} keyid form "
            f"({get_profile(other_profile).keyid_prefix}:{ctx.target.chain_id}:...)")
    if 200 <= second.status < 300:
        why = (f"replay key per profile: {what} was accepted after the nonce was spent under "
               f"the {ctx.profile} form")
        return failed(f"{why}: {second.summary()}", f"{why}: HTTP {second.status}")
    return rejected(second, "nonce_reused", what)

