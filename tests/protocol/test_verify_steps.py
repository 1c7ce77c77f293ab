"""erc8128.protocol.verify's steps as data: the table names every SPEC.md §4 step in order, and
skipping a rule (vectors/ablation.py) changes exactly the verdicts the vectors expect.

A vector whose requirement is implemented by exactly one rule is accepted once that rule is
skipped, unless it is flagged ``NotSingleDefect``; then the reason its explanation quotes is
still the answer (SPEC.md D39).
"""

import json
import re
from typing import Any

import pytest

from erc8128.protocol.policy import VerifierPolicy
from erc8128.protocol.verify import STEP_TITLES, VERIFICATION_STEPS
from erc8128_vectors import VECTORS_DIR
from erc8128_vectors.ablation import RULES, without
from erc8128_vectors.generate import run_verify
from erc8128_vectors.requirements import REQUIREMENTS
from erc8128_vectors.single_defect import NOT_SINGLE_DEFECT

ROOT = VECTORS_DIR.parent
_STILL = re.compile(r"switched off the reference verifier still answers (\w+)")


def _spec_steps() -> list[int]:
    """The numbers of SPEC.md §4's numbered steps, in the order the text lists them."""
    spec = (ROOT / "SPEC.md").read_text(encoding="utf-8")
    section = spec[spec.index("## 4. Verification"):spec.index("### Replay state")]
    return [int(number) for number in re.findall(r"^(\d+)\. \*\*", section, re.MULTILINE)]


def test_the_table_names_every_step_in_spec_order() -> None:
    steps = VERIFICATION_STEPS
    numbers = [
        rule.step
        for group in (steps.whole_message, steps.per_candidate, steps.nonce_consumption)
        for rule in group
    ]
    assert _spec_steps() == list(range(1, 19))
    assert sorted(set(numbers)) == _spec_steps() == sorted(STEP_TITLES)
    assert numbers == sorted(numbers)
    assert {rule.step for rule in steps.whole_message} == {1, 2, 3, 4}
    assert {rule.step for rule in steps.per_candidate} == set(range(5, 18))
    assert {rule.step for rule in steps.nonce_consumption} == {18}
    assert len(set(steps.names)) == len(steps.names)


def test_a_private_principal_policy_is_asked_after_step_17() -> None:
    public = VERIFICATION_STEPS.per_candidate_for(VerifierPolicy())
    private = VERIFICATION_STEPS.per_candidate_for(
        VerifierPolicy(principal_allowed=lambda account: True, principal_private=True))
    assert public == VERIFICATION_STEPS.per_candidate
    assert [rule.step for rule in private][-1] == 13
    assert [rule for rule in private if rule.step != 13] == [
        rule for rule in public if rule.step != 13]


def test_every_skippable_rule_is_a_row_or_a_rule_of_recovery() -> None:
    named = {rule for requirement in REQUIREMENTS.values() for rule in requirement.ablates}
    assert named == RULES
    assert RULES - set(VERIFICATION_STEPS.names) == {"low-s", "signature-v"}
    for rule in sorted(RULES - {"low-s", "signature-v"}):
        assert rule not in without({rule}).names or rule in {
            "candidate-selection", "keyid-syntax", "time-integers", "nonce-syntax",
            "verification-available"}  # their lax reading takes the row's place


def _invalid_vectors() -> list[tuple[str, dict[str, Any]]]:
    document = json.loads((VECTORS_DIR / "verify_request.json").read_text(encoding="utf-8"))
    return [(group["profile"], test) for group in document["testGroups"]
            for test in group["tests"] if test["result"] == "invalid"]


INVALID = _invalid_vectors()
# A verifier that accepts signatures that do not verify also accepts those strict recovery
# refuses (ERC-8128 §3.4.3).
_SUBSUMES = {"signature-valid": {"low-s", "signature-v"}}


@pytest.mark.parametrize("rule", sorted(RULES))
def test_skipping_a_rule_changes_exactly_the_verdicts_the_vectors_expect(rule: str) -> None:
    mine = [(profile, test) for profile, test in INVALID
            if REQUIREMENTS[test["requirement"]].ablates == {rule}]
    # D11's vectors name the decision (flagged), not the requirement of this rule.
    assert bool(mine) == (rule != "created-nonnegative"), rule
    steps = without({rule})
    for profile, test in mine:
        outcome = run_verify(test, profile, steps)
        if NOT_SINGLE_DEFECT not in test["flags"]:
            assert outcome["result"] == "valid", (test["tcId"], outcome.get("reason"))
            continue
        # Flagged: the explanation quotes what the verifier still answers without the rule.
        still = _STILL.search(test["explanation"])
        assert still is not None, test["explanation"]
        assert outcome["reason"] == still.group(1), test["tcId"]
    # Every other requirement's vectors of the rule's reason keep their verdict.
    reasons = {test["reason"] for _, test in mine}
    covered = {rule} | _SUBSUMES.get(rule, set())
    for profile, test in INVALID:
        others = not covered & REQUIREMENTS[test["requirement"]].ablates
        if others and test["reason"] in reasons and NOT_SINGLE_DEFECT not in test["flags"]:
            outcome = run_verify(test, profile, steps)
            assert (outcome["result"], outcome["reason"]) == ("invalid", test["reason"]), (
                test["tcId"])
