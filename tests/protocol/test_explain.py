"""explain_request: verify_request's own step trace (SPEC.md §4), for every request vector.

The trace is not a second implementation: explain_request runs the same function with a sink
for its steps. These tests check that the trace agrees with the verdict on every vector and
that each numbered step is reported where it ran.
"""

import json
from typing import Any

import pytest

from erc8128.errors import VerificationError
from erc8128.http.message import Request
from erc8128.protocol.keyid import ProfileName
from erc8128.protocol.verify import STEP_TITLES, Explanation, explain_request, verify_request
from erc8128.state.nonces.memory import MemoryReplayStore
from erc8128_vectors import VECTORS_DIR
from erc8128_vectors.generate import NOW, policy_objects, request_from_json

VERIFY = json.loads((VECTORS_DIR / "verify_request.json").read_text())
CASES = [
    pytest.param(group["profile"], test, id=f"tc{test['tcId']}")
    for group in VERIFY["testGroups"]
    for test in group["tests"]
    if not test.get("prior")
]


def explain(profile: ProfileName | None, test: dict[str, Any]) -> tuple[Explanation, Any]:
    """The explanation and, for comparison, verify_request's own outcome on fresh state."""
    outcomes = []
    for run in (explain_request, verify_request):
        policy, accounts, invalidation = policy_objects(profile, test["policy"])
        store = MemoryReplayStore()
        try:
            outcomes.append(
                run(
                    request_from_json(test["request"]),
                    now=test["now"],
                    nonces=store,
                    policy=policy,
                    accounts=accounts,
                    invalidation=invalidation,
                )
            )
        except VerificationError as error:  # verify_request's refusal, compared below
            outcomes.append(error)
    explanation, plain = outcomes
    assert isinstance(explanation, Explanation)
    return explanation, plain


@pytest.mark.parametrize(("profile", "test"), CASES)
def test_the_trace_agrees_with_the_verdict(
    profile: ProfileName | None, test: dict[str, Any]
) -> None:
    explanation, plain = explain(profile, test)
    steps = explanation.steps
    assert [step.step for step in steps[:1]] == [1]
    for step in steps:
        assert step.title == STEP_TITLES[step.step]
        assert (step.label is None) == (step.step <= 4)
    # Within one candidate, steps run in their SPEC.md order and stop at the first failure.
    labels = {step.label for step in steps if step.label is not None}
    for label in labels:
        numbers = [step.step for step in steps if step.label == label]
        assert numbers == sorted(numbers)
        failed = [step for step in steps if step.label == label and step.verdict == "fail"]
        assert len(failed) <= 1
        if failed:
            assert failed[0] is [step for step in steps if step.label == label][-1]
    if explanation.verified is not None:
        assert not isinstance(plain, VerificationError)
        assert explanation.verified == plain
        winner = [step for step in steps if step.label == explanation.verified.label]
        assert [step.step for step in winner] == list(range(5, 19))
        assert all(step.verdict == "pass" for step in winner)
    else:
        error = explanation.error
        assert error is not None and isinstance(plain, VerificationError)
        assert error.reason == plain.reason
        failures = [step for step in steps if step.verdict == "fail"]
        assert failures, "a refused request has a failing step"
        # The reported failure is one of the failing steps, attributed to its candidate.
        assert any(
            step.reason == error.reason and step.label == error.label for step in failures
        )


def test_a_tampered_body_fails_at_step_12() -> None:
    tampered = [
        test
        for group in VERIFY["testGroups"]
        for test in group["tests"]
        if test.get("reason") == "bad_content_digest" and not test.get("prior")
    ]
    assert tampered
    profile = next(
        group["profile"] for group in VERIFY["testGroups"] if tampered[0] in group["tests"]
    )
    explanation, _ = explain(profile, tampered[0])
    failed = [step for step in explanation.steps if step.verdict == "fail"]
    assert (failed[0].step, failed[0].reason) == (12, "bad_content_digest")
    assert "expected" in (failed[0].detail or "")


def test_a_missing_field_fails_at_step_1_with_no_candidate() -> None:
    request = Request("GET", "https://example.com/", (), None)
    explanation = explain_request(request, now=NOW, nonces=MemoryReplayStore())
    assert [(s.step, s.verdict, s.reason) for s in explanation.steps] == [
        (1, "fail", "signature_missing")
    ]
    assert explanation.verified is None and explanation.error is not None
