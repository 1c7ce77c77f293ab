"""Live checks of time: ``created`` / ``expires``, the clock skew and the route's maximum
validity (ERC-8128 §3.3.2).
"""

from erc8128.http.structured_fields import BareItem
from erc8128_conformance.judge import Finding
from erc8128_conformance.live_answers import accepted, rejected
from erc8128_conformance.live_context import CheckNotApplicable, LiveContext
from erc8128_conformance.live_signing import unix_now, valid_request
from erc8128_conformance.live_transport import send

__all__ = [
    "check_created_missing",
    "check_created_not_integer",
    "check_created_within_skew",
    "check_expired",
    "check_expired_within_skew",
    "check_expires_before_created",
    "check_expires_equals_created",
    "check_not_yet_valid",
    "check_validity_too_long",
]


def check_expired(ctx: LiveContext) -> list[Finding]:
    # Created 400 s ago, expired 340 s ago: beyond any 30 s skew.
    request = valid_request(ctx, created=unix_now() - 400)
    return rejected(send(ctx.target, request), "request_expired")


def check_not_yet_valid(ctx: LiveContext) -> list[Finding]:
    # Created 200 s ahead: beyond any 30 s skew.
    request = valid_request(ctx, created=unix_now() + 200)
    return rejected(send(ctx.target, request), "request_not_yet_valid")


def check_created_within_skew(ctx: LiveContext) -> list[Finding]:
    # Created 15 s ahead of the suite's clock: inside a 30 s skew with 15 s to spare.
    return accepted(send(ctx.target, valid_request(ctx, created=unix_now() + 15)),
                    "created 15 s in the future")


def check_expired_within_skew(ctx: LiveContext) -> list[Finding]:
    now = unix_now()
    request = valid_request(ctx, created=now - 70, expires=now - 15)
    return accepted(send(ctx.target, request), "expired 15 s ago")


def check_expires_equals_created(ctx: LiveContext) -> list[Finding]:
    now = unix_now()
    return rejected(send(ctx.target, valid_request(ctx, created=now, expires=now)), "invalid_time")


def check_expires_before_created(ctx: LiveContext) -> list[Finding]:
    now = unix_now()
    request = valid_request(ctx, created=now, expires=now - 1)
    return rejected(send(ctx.target, request), "invalid_time")


def check_created_missing(ctx: LiveContext) -> list[Finding]:
    request = valid_request(ctx, edit_params=lambda ps: [p for p in ps if p[0] != "created"])
    return rejected(send(ctx.target, request), "invalid_time")


def check_created_not_integer(ctx: LiveContext) -> list[Finding]:
    now = unix_now()

    def as_string(params: list[tuple[str, BareItem]]) -> list[tuple[str, BareItem]]:
        return [(k, str(now) if k == "created" else v) for k, v in params]

    return rejected(send(ctx.target, valid_request(ctx, edit_params=as_string)), "invalid_time")


def _max_validity(ctx: LiveContext) -> int:
    policy = ctx.get_policy() or {}
    for source in (policy, ctx.discovery or {}):
        value = source.get("max_validity_sec")
        if type(value) is int and value > 0:
            return value
    raise CheckNotApplicable(
        f"the route maximum validity is not documented ({ctx.discovery_note})"
    )


def check_validity_too_long(ctx: LiveContext) -> list[Finding]:
    maximum = _max_validity(ctx)
    now = unix_now()
    request = valid_request(ctx, created=now, expires=now + maximum + 1)
    return rejected(send(ctx.target, request), "request_validity_too_long",
                    f"a window of {maximum + 1} s (route maximum {maximum} s)")

