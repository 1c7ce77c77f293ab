"""Live checks of early invalidation (ERC-8128 §5.2): a signer's not-before time and a
per-signature denial, posted to the discovery document's ``invalidation_endpoint``, must refuse
the replay of a Replayable signature.
"""

import json
import secrets
import urllib.parse
from collections.abc import Callable
from typing import Any

from erc8128.crypto.addresses import address_of
from erc8128.state.invalidation import fingerprint_of
from erc8128_conformance.judge import Finding
from erc8128_conformance.live_answers import accepted, failed, rejected
from erc8128_conformance.live_context import CheckNotApplicable, LiveContext
from erc8128_conformance.live_signing import Forged, forge, unix_now
from erc8128_conformance.live_transport import send

__all__ = [
    "check_invalidation_fingerprint",
    "check_invalidation_not_before",
]


def _invalidation_endpoint(ctx: LiveContext) -> str:
    """The path of the §7 ``invalidation_endpoint``, when the document says the route accepts
    Replayable signatures (else the check does not apply)."""
    policy = ctx.get_policy()
    if policy is None or policy.get("replay") != "either":
        raise CheckNotApplicable(
            f"the discovery document does not say GET {ctx.target.path} accepts Replayable "
            f"signatures (replay=either) ({ctx.discovery_note})"
        )
    endpoint = (ctx.discovery or {}).get("invalidation_endpoint")
    if not isinstance(endpoint, str):
        raise CheckNotApplicable("the discovery document names no invalidation_endpoint")
    parts = urllib.parse.urlsplit(endpoint)
    if parts.netloc != ctx.target.authority:
        raise CheckNotApplicable(f"invalidation_endpoint {endpoint!r} is not same-origin")
    return parts.path or "/"


def _invalidated_replay(ctx: LiveContext, document: Callable[[Forged, int], dict[str, Any]],
                        what: str) -> list[Finding]:
    # ERC-8128 §5.2: "verifiers that accept Replayable signatures MUST implement one or more
    # early invalidation mechanisms that can be triggered by the signer." A one-off signer, so
    # the invalidation touches no other check.
    endpoint = _invalidation_endpoint(ctx)
    key = secrets.token_bytes(32)
    signer = address_of(key)
    now = unix_now()
    replayable = forge(ctx, replayable=True, key=key, created=now - 1)
    problems = accepted(send(ctx.target, replayable.request),
                        f"a Replayable signature on GET {ctx.target.path} (replay=either)",
                        signer=signer)
    if problems:
        return problems
    body = json.dumps(document(replayable, now), separators=(",", ":")).encode("ascii")
    invalidation = forge(ctx, method="POST", target=endpoint, body=body, key=key,
                         headers=(("Content-Type", "application/json"),))
    answer = send(ctx.target, invalidation.request)
    if not 200 <= answer.status < 300:
        raise CheckNotApplicable(
            f"POST {endpoint} {body.decode()} (signed, Request-Bound, Non-Replayable by the "
            f"signer) was not accepted, so {what} cannot be tested: {answer.summary()}"
        )
    again = send(ctx.target, replayable.request)
    if 200 <= again.status < 300:
        why = (f"early invalidation ignored: a Replayable request accepted again after the "
               f"signer's {what} (POST {endpoint} {body.decode()} answered {answer.status})")
        return failed(f"{why}: {again.summary()}", f"{why}: HTTP {again.status}")
    return rejected(again, "replayable_not_allowed", f"the Replayable request after {what}")


def check_invalidation_not_before(ctx: LiveContext) -> list[Finding]:
    return _invalidated_replay(ctx, lambda forged, now: {"not_before": now}, "not-before")


def check_invalidation_fingerprint(ctx: LiveContext) -> list[Finding]:
    return _invalidated_replay(
        ctx, lambda forged, now: {"fingerprint": fingerprint_of(forged.message_hash)},
        "per-signature denial")

