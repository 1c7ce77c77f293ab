"""``/api/whoami`` and the early-invalidation endpoint (ERC-8128 §5.2)."""

from erc8128.errors import InvalidationStateUnavailable
from erc8128.server.calls import AppError, Call, Handled, json_response
from erc8128.server.context import AppContext
from erc8128.server.inputs import FINGERPRINT, MAX_JSON_INTEGER, integer, json_object
from erc8128.server.limits import EVICT_EVERY_SEC


def _unquoted(identifier: str) -> str:
    """A serialised component identifier as policy writes it: ``"@path"`` becomes ``@path``;
    one with parameters (``"x-dict";key="a"``) keeps its form (ERC-8128 §7 "serialized without
    signature-base outer quotes")."""
    if identifier.startswith('"') and identifier.endswith('"') and identifier.count('"') == 2:
        return identifier[1:-1]
    return identifier


def whoami(app: AppContext, call: Call) -> Handled:
    verified = call.verified
    document = {
        "address": verified.address,
        "chain_id": verified.chain_id,
        "keyid": verified.keyid,
        "label": verified.label,
        "profile": verified.profile,
        "binding": "request-bound" if verified.request_bound else "class-bound",
        "replay": "replayable" if verified.replayable else "non-replayable",
        "covered": [_unquoted(c) for c in verified.covered_components],
    }
    return Handled(json_response(200, document), agent=call.agent)


def invalidate(app: AppContext, call: Call) -> Handled:
    body = json_object(call.request)
    if "not_before" not in body and "fingerprint" not in body:
        raise AppError("invalid_field", "expected 'not_before' and/or 'fingerprint'",
                       status=400)
    signer_id = call.verified.account.signer_id
    fingerprint = body.get("fingerprint")
    if "fingerprint" in body and (
        not isinstance(fingerprint, str) or FINGERPRINT.fullmatch(fingerprint) is None
    ):
        raise AppError("invalid_field", "expected 'fingerprint' as 0x + 64 lowercase hex",
                       status=400)
    not_before = (
        integer(body, "not_before", 0, MAX_JSON_INTEGER) if "not_before" in body else None
    )
    invalidated: list[str] = []
    try:
        if not_before is not None:
            # ERC-8128 §5.2: "per-`keyid` not-before timestamps"; never lowered.
            app.invalidation.set_not_before(signer_id, not_before, now=call.now)
        if isinstance(fingerprint, str):
            evict_expired_denials(app, call.now)
            # A Replayable signature verifies at most until created + max validity + skew,
            # and created is at most now + skew: deny it until then (ERC-8128 §5.2
            # "per-signature invalidation (e.g., fingerprinting of the signature or
            # signature base)").
            skew = app.policy.skew_sec
            app.invalidation.invalidate(
                fingerprint,
                call.now + skew + app.policy.max_validity_sec + skew,
                signer_id=signer_id,
                now=call.now,
            )
            invalidated.append(fingerprint)
        document = {"not_before": app.invalidation.not_before(signer_id),
                    "invalidated": invalidated}
    except InvalidationStateUnavailable as error:
        # The shared state (SQLite, Redis) is down: the signer must not believe it worked.
        raise AppError("invalidation_state_unavailable", error.message, status=503) from None
    return Handled(json_response(200, document), agent=call.agent)


def evict_expired_denials(app: AppContext, now: int) -> None:
    """D36: a denial outlives the signature it denies by nothing (``until`` is when that
    signature could last verify), so expired ones are deleted, at most every
    EVICT_EVERY_SEC, by the endpoint that adds them: the state stays bounded by the rate of
    verified invalidation requests times their lifetime. Every store in
    erc8128.state.invalidation has ``evict_expired``; another may lack it."""
    evict = getattr(app.invalidation, "evict_expired", None)
    if not callable(evict):
        return
    if app.evicted_at is not None and now - app.evicted_at < EVICT_EVERY_SEC:
        return
    app.evicted_at = now
    evict(now)
