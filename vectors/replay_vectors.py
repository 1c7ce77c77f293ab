"""Builds ``replay.json``: ordered ``verify_request`` sequences against one replay state (SPEC.md
§4 "Replay state": nonce reuse, retention until expires + skew, replayable invalidation, one
acceptance per signature across profiles, vectors/one_acceptance.py).
"""

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Final

from erc8128.errors import Erc8128Error
from erc8128.http.message import Request
from erc8128.protocol.keyid import ProfileName

from . import one_acceptance
from .common import (
    _POLICY,
    _REQUEST,
    _VERIFY_OUTCOME,
    CREATED,
    EXPIRES,
    KEY_2,
    NOW,
    JsonObject,
    VectorFile,
    _assemble,
    _by_flags,
    _field,
    _group,
    _policy,
    _schema,
    _sign,
    _signed,
    _test,
    request_to_json,
    run_verify_steps,
    with_field,
)

# -- replay.json ---------------------------------------------------------------------------------


_REPLAY_REQUIREMENTS: Final = {
    "DraftRow": "failed-candidate-no-consume", "Retention": "nonce-retention",
    "MultipleSignatures": "d28-one-acceptance", "Replayable": "d17-replayable-only",
}


def _rt(comment: str, flags: Sequence[str], profile: ProfileName | None, policy: JsonObject,
        steps: Sequence[tuple[str, Request, int, str]], **extra: Any) -> JsonObject:
    """One replay sequence: (comment, request, now, expected outcome) per step.

    ``text_outcomes`` (index → outcome): steps where a decision contradicts explicit text; the
    step is ``acceptable`` and carries the text's outcome (``textOutcome``, SPEC.md D87)."""
    text_outcomes: dict[int, JsonObject] = extra.pop("text_outcomes", {})
    step_inputs = [{"request": request_to_json(request), "now": now}
                   for _, request, now, _ in steps]
    outcomes = run_verify_steps(profile, policy, step_inputs)
    json_steps: list[JsonObject] = []
    for (step_comment, _, _, expect), inputs, outcome in zip(steps, step_inputs, outcomes,
                                                            strict=True):
        got = outcome["reason"] if outcome["result"] == "invalid" else "valid"
        if got != expect:
            raise Erc8128Error("vector_generation",
                               f"{comment} / {step_comment}: expected {expect}, got {got}")
        step: JsonObject = {"comment": step_comment, "result": outcome.pop("result")}
        if step["result"] == "invalid":
            step["reason"] = outcome.pop("reason")
            step["status"] = outcome.pop("status")
        if len(json_steps) in text_outcomes:
            step["result"] = "acceptable"
            step["textOutcome"] = text_outcomes[len(json_steps)]
        step.update(inputs)
        step.update(outcome)
        json_steps.append(step)
    return _test(comment, list(flags), "valid", **extra, policy=policy, steps=json_steps)


def _replay_tests(profile: ProfileName) -> list[JsonObject]:
    base = _signed(profile)
    request = base.request
    later = base.sign(created=CREATED + 60, expires=EXPIRES + 60)
    much_later = base.sign(created=CREATED + 200, expires=EXPIRES + 200)
    other_path = base.sign(replace(base.unsigned,
                                   target_uri="https://api.example/other?view=full"))
    other_signer = base.sign(key=KEY_2)
    other_chain = base.sign(chain_id=8453)
    mutated = replace(request, target_uri="https://api.example/items?view=summary")
    replayable = base.sign(nonce=None)
    empty_nonce = base.sign(nonce="")
    policy = _policy()
    tests = [
        _rt("consume, then reuse", [], profile, policy, [
            ("first use", request, NOW, "valid"),
            ("same request again", request, NOW, "nonce_reused"),
            ("and a third time, later", request, NOW + 20, "nonce_reused"),
        ]),
        _rt("same signer, same nonce, another request", [], profile, policy, [
            ("first request", request, NOW, "valid"),
            ("another path, same nonce", other_path, NOW, "nonce_reused"),
        ]),
        _rt("different signer, same nonce", [], profile, policy, [
            ("key 0x..01", request, NOW, "valid"),
            ("key 0x..02, same nonce", other_signer, NOW, "valid"),
            ("key 0x..02 again", other_signer, NOW, "nonce_reused"),
        ]),
        _rt("same address on another chain, same nonce: another signer id", [], profile,
            _policy(served_chains=[1, 8453]), [
                ("chain 1", request, NOW, "valid"),
                ("chain 8453, same nonce", other_chain, NOW, "valid"),
            ]),
        _rt("a failed candidate consumes nothing (N25)", ["DraftRow"], profile, policy, [
            ("query changed: bad_signature", mutated, NOW, "bad_signature"),
            ("the original request", request, NOW, "valid"),
        ], draftRow="N25"),
        _rt("a rejected request consumes nothing: expired first, then in time", [], profile,
            policy, [
                ("too late", request, EXPIRES + 31, "request_expired"),
                ("in time", request, NOW, "valid"),
            ]),
        _rt("the mark is kept until expires + skew", ["Retention", "SpecDecision"], profile,
            policy, [
                ("first use", request, NOW, "valid"),
                ("at expires + skew", request, EXPIRES + 30, "nonce_reused"),
                ("one second later the request itself has expired", request, EXPIRES + 31,
                 "request_expired"),
            ], decision="D5"),
        _rt("same nonce re-signed 60 s later: still marked", ["Retention"], profile, policy, [
            ("first use", request, NOW, "valid"),
            ("re-signed with created + 60", later, NOW + 60, "nonce_reused"),
        ]),
        _rt("same nonce re-signed after the first mark expired", ["Retention"], profile,
            policy, [
                ("first use (mark until 1700000090)", request, NOW, "valid"),
                ("re-signed with created + 200", much_later, NOW + 200, "valid"),
                ("and reused", much_later, NOW + 201, "nonce_reused"),
            ]),
        _rt("Replayable signatures consume no nonce", ["Replayable"], profile,
            _policy(replay="either"), [
                ("first use", replayable, NOW, "valid"),
                ("again", replayable, NOW, "valid"),
            ]),
        _rt("empty nonce \"\" is single-use", ["SpecDecision"], profile, policy, [
            ("first use", empty_nonce, NOW, "valid"),
            ("again", empty_nonce, NOW, "nonce_reused"),
        ], decision="D16"),
    ]
    two_first = _sign(base.unsigned, profile, label="a", nonce="nonce-a")
    both = _sign(_sign(base.unsigned, profile, label="a", nonce="nonce-a"), profile, label="b",
                 nonce="nonce-b")
    tests.append(_rt("first candidate's nonce reused: the request is refused whole (D28)",
                     ["MultipleSignatures"], profile, policy, [
                         ("one signature, nonce-a", two_first, NOW, "valid"),
                         ("signatures a (nonce-a) and b (nonce-b)", both, NOW, "nonce_reused"),
                         ("the same two again", both, NOW, "nonce_reused"),
                     ], requirement="d28-one-acceptance"))
    # A repeated label keeps its last member (RFC 9651 §3.2): the replayed request with an
    # unused member of the same label put first is still the used one. A verifier reading the
    # first member accepts the replay.
    unused = base.sign(nonce="unused-nonce")
    label = base.label
    first_unused = with_field(
        with_field(request, "Signature-Input", f"{_field(unused, 'signature-input')}, "
                    f"{_field(request, 'signature-input')}"),
        "Signature", f"{_field(unused, 'signature')}, {_field(request, 'signature')}")
    assert _field(first_unused, "signature-input").startswith(f"{label}=")
    tests.append(_rt("repeated label: the replay carries an unused member first (last wins)",
                     ["RepeatedLabel"], profile, policy, [
                         ("first use", request, NOW, "valid"),
                         ("again, an unused member of the same label before it", first_unused,
                          NOW, "nonce_reused"),
                     ], requirement="sf-last-wins"))
    return tests


def _cross_profile_tests() -> list[JsonObject]:
    draft, legacy = _signed("draft"), _signed("legacy")
    both = _policy(profiles=["draft", "legacy"])
    return [
        _rt("same signer, same nonce, draft then legacy: one replay key (D4)", ["SpecDecision"],
            None, both, [
                ("draft signature", draft.request, NOW, "valid"),
                ("legacy signature, same key, chain and nonce", legacy.request, NOW,
                 "nonce_reused"),
            ], decision="D4"),
        _rt("same signer, same nonce, legacy then draft: one replay key (D4)", ["SpecDecision"],
            None, both, [
                ("legacy signature", legacy.request, NOW, "valid"),
                ("draft signature, same key, chain and nonce", draft.request, NOW,
                 "nonce_reused"),
            ], decision="D4"),
    ]


def _replay_file() -> VectorFile:
    groups = [
        _group("ReplaySequenceTest", _replay_tests("draft"), profile="draft"),
        _group("ReplaySequenceTest", _replay_tests("legacy"), profile="legacy"),
        _group("ReplaySequenceTest", _cross_profile_tests(), profile=None),
        *one_acceptance.replay_groups(_rt, _policy, _group),  # D28, D29
    ]
    notes = {
        "RepeatedLabel": "A label repeated in the signature fields: RFC 9651 keeps the last "
        "member, so the replay is the used member whatever comes before it.",
        "DraftRow": "A row of the draft's Negative and classification table (field `draftRow`).",
        "SpecDecision": "Pins a SPEC.md decision (field `decision`).",
        "Retention": "ERC-8128 §3.1.2: the mark is retained \"until the request can no longer be "
        "accepted, including allowed clock skew\", i.e. until expires + skew.",
        "Replayable": "No nonce: nothing to consume.",
        "MultipleSignatures": "Several candidates on one request, evaluated in wire order.",
        **one_acceptance.NOTES,
    }
    step = {
        "type": "object",
        "additionalProperties": False,
        "required": ["comment", "result", "request", "now"],
        "properties": {
            "comment": {"type": "string"},
            "result": {"enum": ["valid", "invalid", "acceptable"]},
            "request": _REQUEST,
            "now": {"type": "integer"},
            "textOutcome": {"type": "object", "required": ["result", "requirement"]},
            **_VERIFY_OUTCOME,
        },
        "if": {"properties": {"result": {"const": "invalid"}}},
        "then": {"required": ["reason", "status"]},
    }
    schema = _schema("ERC-8128 replay sequence vectors", "ReplaySequenceTest",
                     {"policy": _POLICY, "steps": {"type": "array", "items": step,
                                                   "minItems": 2}},
                     ["policy", "steps"])
    return _assemble(
        "replay.json", "ERC-8128-REPLAY",
        ["Each test is an ordered sequence of verify_request steps against ONE fresh replay "
         "state (reset it before the test, keep it between steps). Each step has its own "
         "request, now and expected outcome (as in verify_request.json); the replay state's "
         "clock is the step's now. A test passes when every step does; the test's own result "
         "is always valid."],
        notes, groups, schema=schema,
        classify=_by_flags(_REPLAY_REQUIREMENTS, valid="nonce-unused"),
    )
