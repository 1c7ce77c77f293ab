"""Grading by the text of the profile under test (issue 21 items 1, 5, 6, 7; SPEC.md D86-D89):
each false or misleading verdict the issue names, reproduced on the shipped vectors and the real
judge, then the one level function, root causes by the check that failed, acceptable decisions
and the tiered verdict."""

import json
import re
from dataclasses import replace
from typing import Any

import pytest

from erc8128.http.message import Request
from erc8128.protocol.sign import sign_request
from erc8128_conformance.adapter_client import Response
from erc8128_conformance.cases import Case, Requirement, load_cases, load_requirements
from erc8128_conformance.compatibility import level_group
from erc8128_conformance.grouping import format_first_screen, group_of, summarize
from erc8128_conformance.judge import (
    Answer,
    CheckKind,
    FailedCheck,
    first_difference,
    judge_answer,
    judge_step,
)
from erc8128_conformance.levels import failure_level
from erc8128_conformance.report import CaseOutcome
from erc8128_vectors import VECTORS_DIR

CASES = {case.case_id: case for case in load_cases(VECTORS_DIR)}
REQUIREMENTS = load_requirements(VECTORS_DIR)
_POST = "default components for a POST with query and content"


def _tests(name: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    document = json.loads((VECTORS_DIR / name).read_text(encoding="utf-8"))
    return [(group, test) for group in document["testGroups"] for test in group["tests"]]


def _level(case: Case, mismatch: str = "outcome", rule: str | None = None) -> str:
    outcome = CaseOutcome(case.case_id, case.row, "failed", requirement=rule or case.requirement,
                          mismatch=mismatch, profiles=case.profiles)
    return group_of(outcome, REQUIREMENTS)


def _case(name: str, comment: str, profile: str) -> Case:
    (case,) = [c for c in CASES.values() if c.source == name and c.comment == comment
               and c.profiles == (profile,)]
    return case


# -- 1. the false verdicts the issue names ------------------------------------------------------


def test_accepting_long_after_expires_in_legacy_violates_the_february_text() -> None:
    # February §3.3.2: "Verifiers MUST reject signatures ... for which the current time is
    # before `created` or after `expires`." Before: graded "differs from a project decision".
    for comment in ("now = expires + skew + 1", "D5: expired at now = expires + skew + 1"):
        case = _case("verify_request.json", comment, "legacy")
        assert case.requirement == "legacy-time-window"
        assert REQUIREMENTS["legacy-time-window"].ref == "ERC-8128 legacy §3.3.2"
        assert _level(case) == "text"


def test_every_legacy_requirement_with_a_february_sentence_is_used() -> None:
    named = {test["requirement"] for name in ("keyid.json", "verify_request.json")
             for _, test in _tests(name)}
    assert {"legacy-time-window", "legacy-address-case"} <= named


def _signed_legacy(case: Case, **changes: Any) -> Response:
    edit = changes.pop("edit", None)
    fields = case.steps[0].fields
    request = fields["request"]
    body = request.get("body_hex")
    signed = sign_request(
        Request(request["method"], request["url"],
                tuple((name, value) for name, value in request["headers"]),
                None if body is None else bytes.fromhex(body)),
        bytes.fromhex(fields["private_key_hex"]),
        created=changes.get("created", fields["created"]),
        expires=changes.get("expires", fields["expires"]),
        profile="legacy", chain_id=fields["chain_id"],
        nonce=changes.get("nonce", fields["nonce"]),
        replayable=changes.get("nonce", fields["nonce"]) is None,
        label=fields["label"], components=fields["components"], params=fields["params"],
    )
    headers = [[name, value] for name, value in signed.request.headers]
    if edit is not None:
        headers = [[name, value.replace(*edit)] for name, value in headers]
    return Response("ok", {"headers": headers}, {"seq": 1, "ok": {"headers": headers}})


@pytest.mark.parametrize(("changes", "rule"), [
    # "`created` is an integer Unix timestamp (seconds)": a signer writing milliseconds.
    ({"created": 1_700_000_000_000, "expires": 1_700_000_000_060}, "legacy-time-integers"),
    # "`expires` ... MUST be greater than `created`" (written over a valid signature: the
    # reference signer refuses to sign it).
    ({"edit": (";expires=1700000060", ";expires=1700000000")}, "legacy-expires-after-created"),
    # "Non-Replayable signatures MUST include the `nonce` parameter."
    ({"nonce": None}, "legacy-nonce-required"),
])
def test_legacy_signer_defects_are_graded_by_the_february_sentence(
        changes: dict[str, Any], rule: str) -> None:
    case = _case("sign_request.json", _POST, "legacy")
    verdict = judge_step(case.steps[0], _signed_legacy(case, **changes), reason_checked=False,
                         deterministic=True, strict=False)
    assert verdict.status == "failed", verdict
    assert verdict.rule == rule
    assert REQUIREMENTS[rule].ref.startswith("ERC-8128 legacy")
    assert _level(case, "output", verdict.rule) == "text"


def test_a_keyid_naming_another_account_is_noticed() -> None:
    case = _case("sign_request.json", _POST, "draft")
    response = _signed_legacy(case)  # any signed output; then its keyid is rewritten
    headers = [[name, value.replace("0x7e5f4552091a69125d5dfcb7b8c2659029395bdf",
                                    "0x2b5ad5c4795c026514f8317c7a215e218dccd6cf")]
               for name, value in response.body["headers"]]
    step = replace(case.steps[0], fields={**case.steps[0].fields, "profile": "legacy"})
    verdict = judge_step(step, Response("ok", {"headers": headers}, {}), reason_checked=False,
                         deterministic=False, strict=False)
    assert verdict.check == "signer-parameter-keyid"
    assert "names another account" in verdict.message


def test_target_uri_as_received_is_the_texts_value_not_a_violation() -> None:
    # RFC 9421 §2.2.2 normalises nothing; lower-casing the host is @authority's rule (§2.2.3).
    case = CASES["signature_base/24"]
    (step,) = case.steps
    assert step.result == "acceptable" and step.text_outcome is not None
    as_received = step.text_outcome["base"]
    assert as_received.startswith('"@target-uri": https://Example.com:443/a/../b?x=1\n')
    answer = Response("ok", {"base": as_received}, {})
    verdict = judge_step(step, answer, reason_checked=False, deterministic=True, strict=False)
    assert verdict.status == "passed" and verdict.acceptable == "D86"
    strict = judge_step(step, answer, reason_checked=False, deterministic=True, strict=True)
    assert strict.status == "failed"
    assert _level(case, "output") == "decision"


@pytest.mark.parametrize(("case_id", "rule", "kind"), [
    ("sign_request/27", "sf-key-syntax", "rfc"),  # an invalid label: RFC 9651
    ("keyid/10", "caip2-reference", "rfc"),  # a 33-digit chain id: CAIP-2
    ("keyid/40", "caip2-reference", "rfc"),
    ("content_digest/9", "sf-empty-dictionary", "rfc"),  # no algorithm
    ("content_digest/11", "sf-dictionary-keys", "rfc"),  # sha-256 twice
])
def test_standards_the_profile_builds_on_are_the_text(case_id: str, rule: str, kind: str) -> None:
    case = CASES[case_id]
    assert case.requirement == rule
    assert REQUIREMENTS[rule].kind == kind
    assert _level(case) == "text"


# -- 5. one level function; (profile, id) ----------------------------------------------------------


def test_live_checks_of_two_profiles_sharing_an_id_are_graded_by_their_own_rule() -> None:
    draft = Requirement("nonce-unused", "profile", "ERC-8128 draft §3.1.2", "MUST")
    legacy = Requirement("nonce-unused", "decision", "SPEC.md D4", "DECISION")
    outcomes = [
        CaseOutcome("live/draft/x", "live", "failed", requirement="nonce-unused",
                    profiles=("draft",), rule=draft, mismatch="outcome"),
        CaseOutcome("live/legacy/x", "live", "failed", requirement="nonce-unused",
                    profiles=("legacy",), rule=legacy, mismatch="outcome"),
    ]
    # The run's table holds the draft's entry under the bare id: it must not decide legacy.
    assert [group_of(o, {"nonce-unused": draft}) for o in outcomes] == ["text", "decision"]
    # Nor on the compatibility page, which reads the report's JSON.
    table = {"nonce-unused": {"kind": "profile", "ref": "ERC-8128 draft §3.1.2",
                              "level": "MUST"}}
    assert [level_group(o.to_json(), table, o.profile) for o in outcomes] == [
        "text", "decision"]


@pytest.mark.parametrize("case_id", ["verify_request/131", "keyid/40", "content_digest/9",
                                     "sign_request/57", "verify_request/40"])
def test_the_report_and_the_compatibility_page_grade_alike(case_id: str) -> None:
    case = CASES[case_id]
    outcome = CaseOutcome(case.case_id, case.row, "failed", requirement=case.requirement,
                          mismatch="outcome", profiles=case.profiles)
    table = {key: {k: v for k, v in r.to_json().items() if k != "id"}
             for key, r in REQUIREMENTS.items()}
    assert level_group(outcome.to_json(), table, "legacy") == group_of(outcome, REQUIREMENTS)


def test_failure_level_reads_the_profile_under_test() -> None:
    draft_rule = Requirement("nonce-syntax", "profile", "ERC-8128 draft §3.1.2", "MUST")
    assert failure_level(draft_rule, profile="draft") == "text"
    assert failure_level(draft_rule, profile="legacy") == "decision"  # D42
    should = Requirement("clock-skew", "profile", "ERC-8128 draft §3.3.2", "SHOULD")
    assert failure_level(should, profile="draft") == "recommendation"
    assert failure_level(draft_rule, profile="draft", mismatch="reason") == "reason"
    assert failure_level(None, profile="draft") == "unclassified"


# -- root causes: the check that failed ---------------------------------------------------------


def _refused(case_id: str, expected: str, answered: str) -> CaseOutcome:
    return CaseOutcome(case_id, "verify_request", "failed", requirement=f"rule-{expected}",
                       mismatch="reason", check=FailedCheck(CheckKind.ANSWERED, code=answered),
                       answered=answered,
                       details={"expected": {"result": "invalid", "reason": expected}},
                       profiles=("draft",))


def test_one_systematic_refusal_is_one_root_cause() -> None:
    reasons = ["invalid_keyid", "request_expired", "nonce_reused", "invalid_time",
               "insufficient_coverage"] * 13
    outcomes = [_refused(f"verify_request/{n}", reason, "bad_signature")
                for n, reason in enumerate(reasons)]
    summary = summarize(outcomes, {}, profile="draft")
    (cause,) = summary.causes
    assert cause.title == "every refusal was answered `bad_signature`"
    assert cause.total == 65


def test_a_valid_request_refused_names_the_refusal_not_the_cases_rule() -> None:
    outcomes = [
        CaseOutcome(f"verify_request/{n}", "verify_request", "failed", requirement=rule,
                    mismatch="outcome",
                    check=FailedCheck(CheckKind.REFUSED, code="insufficient_coverage"),
                    answered="insufficient_coverage", profiles=("draft",))
        for n, rule in enumerate(["request-bound-accepted", "clock-skew", "mode-eoa"])
    ]
    keys = {cause.key for cause in summarize(outcomes, {}).causes}
    assert keys == {"refused-insufficient_coverage"}


# -- 6. acceptable decisions; 7. the tiered verdict -----------------------------------------------


def test_d28_replay_takes_either_outcome_and_the_report_says_the_risk() -> None:
    (case,) = [c for c in CASES.values() if c.comment.startswith("two signers on one request")]
    step = case.steps[1]
    assert step.result == "acceptable" and step.text_outcome is not None
    assert "accepted N times" in step.text_outcome["why"]
    text = judge_answer(Answer(True), accept=False, reason="nonce_reused",
                        text_outcome=Answer(True), decision="D28")
    assert text.status == "passed" and text.acceptable == "D28"
    strict = judge_answer(Answer(True), accept=False, reason="nonce_reused",
                          text_outcome=Answer(True), decision="D28", strict=True)
    assert strict.status == "failed"
    outcome = CaseOutcome(case.case_id, "replay", "passed", requirement=case.requirement,
                          acceptable="D28", details={
                              "text_requirement": "first-candidate-wins", "took_text": True,
                              "text_why": step.text_outcome["why"]})
    (entry,) = summarize([outcome], REQUIREMENTS).acceptable
    assert entry.texts == 1 and entry.text is not None
    assert entry.text.quote.startswith("The first candidate passing all checks")


def test_legacy_expiry_within_the_skew_is_acceptable() -> None:
    case = _case("verify_request.json", "D5: valid at now = expires + skew", "legacy")
    (step,) = case.steps
    assert step.result == "acceptable"
    refusal = Response("error", {"reason": "request_expired", "status": 401}, {})
    assert judge_step(step, refusal, reason_checked=True, deterministic=True,
                      strict=False).acceptable == "D5"
    assert judge_step(step, refusal, reason_checked=True, deterministic=True,
                      strict=True).status == "failed"


def test_tiers_and_exit_status() -> None:
    must = Requirement("m", "profile", "ERC-8128 draft §3", "MUST")
    should = Requirement("s", "profile", "ERC-8128 draft §3", "SHOULD")
    decision = Requirement("d", "decision", "SPEC.md D9", "DECISION")
    table = {"m": must, "s": should, "d": decision}

    def failed(rule: str) -> CaseOutcome:
        return CaseOutcome(f"a/{rule}", "x", "failed", requirement=rule, mismatch="outcome",
                           profiles=("draft",))

    soft = summarize([failed("s"), failed("d"), CaseOutcome("a/1", "x", "passed")], table,
                     profile="draft")
    assert soft.success
    assert soft.tiers == ("conforms to the MUSTs of the draft profile; departs from 1 SHOULD/MAY; "
                          "differs from 1 project decision")
    assert not summarize([failed("d")], table, profile="draft", strict=True).success
    hard = summarize([failed("m"), failed("d")], table, profile="draft")
    assert not hard.success
    assert hard.tiers.startswith("does NOT conform to the MUSTs of the draft profile (1 MUST")


# -- 4. vectors where defects slip through ---------------------------------------------------------


def _sign_output(case: Case, *, body: bytes | None = None, params: dict[str, Any] | None = None
                 ) -> Response:
    """What a signer answers for ``case``: the reference signer, fed another body (a signer
    that re-encodes or trims) or other parameters."""
    fields = case.steps[0].fields
    request = fields["request"]
    own_body = None if request.get("body_hex") is None else bytes.fromhex(request["body_hex"])
    signed = sign_request(
        Request(request["method"], request["url"],
                tuple((name, value) for name, value in request["headers"]),
                own_body if body is None else body),
        bytes.fromhex(fields["private_key_hex"]), created=fields["created"],
        expires=fields["expires"], profile=fields["profile"], chain_id=fields["chain_id"],
        nonce=fields["nonce"], replayable=fields["nonce"] is None, label=fields["label"],
        components=fields["components"],
        params=fields["params"] if params is None else params,
    )
    headers = [[name, value] for name, value in signed.request.headers]
    return Response("ok", {"headers": headers}, {})


@pytest.mark.parametrize("comment", [
    "non-ASCII UTF-8 content",
    "content with significant whitespace (trailing spaces and newlines)",
    "binary content (every byte value)",
])
@pytest.mark.parametrize("profile", ["draft", "legacy"])
def test_a_signer_that_changes_the_content_bytes_is_caught(comment: str, profile: str) -> None:
    case = _case("sign_request.json", comment, profile)
    body = bytes.fromhex(case.steps[0].fields["request"]["body_hex"])
    right = judge_step(case.steps[0], _sign_output(case), reason_checked=False,
                       deterministic=True, strict=False)
    assert right.status == "passed", right
    changed = body.strip() if body.strip() != body else body.decode("latin-1").encode("utf-8")
    wrong = judge_step(case.steps[0], _sign_output(case, body=changed), reason_checked=False,
                       deterministic=True, strict=False)
    assert wrong.status == "failed"
    assert wrong.check == "signer-verifier-bad_content_digest", wrong


@pytest.mark.parametrize("profile", ["draft", "legacy"])
def test_an_override_of_the_keyid_is_refused_or_ignored_never_obeyed(profile: str) -> None:
    case = _case("sign_request.json", "keyid naming another account as an extra parameter",
                 profile)
    (step,) = case.steps
    assert step.result == "acceptable"
    ignored = _sign_output(case, params={})
    assert judge_step(step, ignored, reason_checked=False, deterministic=True,
                      strict=False).status == "passed"
    assert judge_step(step, ignored, reason_checked=False, deterministic=True,
                      strict=True).status == "failed"
    other = step.fields["params"]["keyid"]
    obeyed = Response("ok", {"headers": [
        [name, re.sub(r'keyid="[^"]*"', f'keyid="{other}"', value)]
        for name, value in ignored.body["headers"]]}, {})
    verdict = judge_step(step, obeyed, reason_checked=False, deterministic=True, strict=False)
    assert verdict.status == "failed" and verdict.check == "signer-parameter-keyid"


@pytest.mark.parametrize("profile", ["draft", "legacy"])
def test_a_verifier_reading_the_first_of_a_repeated_label_is_caught(profile: str) -> None:
    case = _case("verify_request.json",
                 "repeated label: the valid member, then an expired one (last wins)", profile)
    accepted = Response("ok", {}, {})
    verdict = judge_step(case.steps[0], accepted, reason_checked=True, deterministic=True,
                         strict=False)
    assert verdict.status == "failed" and verdict.mismatch == "outcome"
    (replay,) = [c for c in CASES.values() if c.comment.startswith("repeated label: the replay")
                 and c.profiles == (profile,)]
    assert judge_step(replay.steps[1], accepted, reason_checked=True, deterministic=True,
                      strict=False).status == "failed"


# -- 10. the first screen's why: the field that differs ------------------------------------------


def test_a_difference_is_followed_down_to_the_field_and_the_character() -> None:
    long = "a" * 200
    line = first_difference({"headers": [["host", "x"], ["signature-input", long + "1"]]},
                            {"headers": [["host", "x"], ["signature-input", long + "2"]]},
                            "output")
    assert line == (f'output.headers[1][1]: expected ..."{"a" * 59}1", got ..."{"a" * 59}2" '
                    "(they differ from character 201)")


def test_a_refusal_with_another_code_shows_the_code_not_the_message() -> None:
    case = next(c for c in CASES.values() if c.op == "verify_request" and c.reason_checked
                and c.steps[0].expected.get("reason") == "request_expired")
    answer = Response("error", {"reason": "bad_signature", "status": 401,
                                "detail": "a long detail " * 30}, {})
    verdict = judge_step(case.steps[0], answer, reason_checked=True, deterministic=True,
                         strict=False)
    assert verdict.mismatch == "reason"
    assert verdict.differs == 'reason: expected "request_expired", got "bad_signature"'


def test_the_first_screen_shows_the_differing_field_whole() -> None:
    differs = "headers.signature-input: expected " + "y" * 150 + ", got something else"
    outcome = CaseOutcome("sign_request/1", "sign_request", "failed", requirement="rule",
                          mismatch="output", why="; ".join([differs] * 3), differs=differs,
                          profiles=("draft",))
    screen = format_first_screen(summarize([outcome], {}), [])
    assert f"    why:  {differs}\n" in screen + "\n"
