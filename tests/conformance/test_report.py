"""The grouped report (SPEC.md D46, D48): level groups from the vectors' requirement data,
root causes with counts and examples, the honest verdict, the header (declared posture, suite
version, vector-set hash), ``--report-json`` and ``--html``. Runs on small fixture vectors and a
fake adapter, so it does not depend on the shipped vectors' requirement data."""

import html
import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from erc8128 import __version__
from erc8128.crypto.keccak import keccak256
from erc8128_conformance.cases import Requirement, load_requirements, vector_set_hash
from erc8128_conformance.grouping import format_first_screen, summarize
from erc8128_conformance.report import CaseOutcome
from tests.support.fake_adapter import fake_adapter

ROOT = Path(__file__).resolve().parents[2]

FAKE = fake_adapter(
    {"implementation": {"name": "<b>fake</b>", "version": "9", "language": "py"},
     "operations": ["hello", "keccak256", "verify_request"],
     "profiles": ["draft"], "capabilities": [],
     "posture": {"replay_store": "memory", "accepts": "request-bound only"}},
    """
    if op == "keccak256":
        data = request["data_hex"]
        digest = "00" * 32 if data.startswith("bb") else keccak256(bytes.fromhex(data)).hex()
        response = {"seq": seq, "ok": {"digest_hex": digest}}
    else:  # every verify_request: rejected as a replay, with the SDK's own status
        response = {"seq": seq, "error": {"reason": "nonce_reused", "status": 409,
                    "message": "<script>alert(1)</script>"}}
    """,
    imports="from erc8128.crypto.keccak import keccak256",
)

REQUIREMENTS = {
    "keccak-padding": {"kind": "rfc", "ref": "FIPS 202 §5.1", "level": "MUST",
                       "quote": "the pad10*1 rule with the 0x01 domain byte"},
    "keccak-should": {"kind": "profile", "ref": "ERC-8128 draft §9", "level": "SHOULD",
                      "quote": "implementations SHOULD use a tested Keccak"},
    "d99-example": {"kind": "decision", "ref": "SPEC.md D99", "level": "DECISION",
                    "quote": "an example decision"},
    "replay-once": {"kind": "profile", "ref": "ERC-8128 draft §3.1.2", "level": "MUST",
                    "quote": "a nonce MUST be accepted at most once"},
}


def _vectors(tmp_path: Path) -> Path:
    """bb.. inputs are answered wrongly: 3 under a MUST, 1 a SHOULD, 1 a decision, 1 with no
    requirement; one verify_request is rejected with the right code and another status."""
    folder = tmp_path / "vectors"
    folder.mkdir()
    plan = [("61", "keccak-padding"), ("bb01", "keccak-padding"), ("bb02", "keccak-padding"),
            ("bb03", "keccak-padding"), ("bb04", "keccak-should"), ("bb05", "d99-example"),
            ("bb06", None), ("62", None)]
    tests = []
    for index, (data, requirement) in enumerate(plan):
        test: dict[str, Any] = {"tcId": index + 1, "comment": f"<i>{data}</i>", "flags": [],
                                "result": "valid", "data_hex": data,
                                "digest_hex": keccak256(bytes.fromhex(data)).hex()}
        if requirement:
            test["requirement"] = requirement
        tests.append(test)
    (folder / "keccak256.json").write_text(json.dumps({
        "requirements": {k: REQUIREMENTS[k] for k in
                         ("keccak-padding", "keccak-should", "d99-example")},
        "testGroups": [{"type": "Keccak256Test", "tests": tests}],
    }), encoding="utf-8")
    request = {"method": "GET", "url": "https://api.example/", "headers": []}
    (folder / "verify_request.json").write_text(json.dumps({
        "requirements": {"replay-once": REQUIREMENTS["replay-once"]},
        "testGroups": [{"type": "VerifyRequestTest", "profile": "draft", "tests": [
            {"tcId": 1, "comment": "a replay", "flags": [], "result": "invalid",
             "reason": "nonce_reused", "status": 401, "requirement": "replay-once",
             "request": request, "now": 1, "policy": {}},
        ]}],
    }), encoding="utf-8")
    return folder


def _run(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    script = tmp_path / "fake.py"
    script.write_text(FAKE, encoding="utf-8")
    report = tmp_path / "report.json"
    run = subprocess.run(
        [sys.executable, "-m", "erc8128", "conformance", "--adapter", f"{sys.executable} {script}",
         "--vectors", str(_vectors(tmp_path)), "--profile", "draft", "--report-json",
         str(report), "--html", str(tmp_path / "report.html"), *args],
        capture_output=True, text=True, timeout=120, cwd=ROOT, check=False,
    )
    return run, json.loads(report.read_text(encoding="utf-8"))


def test_failures_are_grouped_by_level_and_root_cause(tmp_path: Path) -> None:
    run, report = _run(tmp_path)
    assert run.returncode == 1, run.stdout + run.stderr
    groups = report["summary"]["groups"]
    assert {g: (v["failed"], v["declared"]) for g, v in groups.items()} == {
        "text": (3, 0), "recommendation": (1, 0), "unclassified": (1, 0), "decision": (1, 0),
        "reason": (1, 0),
    }
    causes = [(c["group"], c["key"], c["failed"]) for c in report["summary"]["root_causes"]]
    # Most severe group first; one line per rule.
    assert causes == [("text", "keccak-padding", 3), ("recommendation", "keccak-should", 1),
                      ("unclassified", "keccak256 (valid)", 1), ("decision", "d99-example", 1),
                      ("reason", "answered-nonce_reused", 1)]
    first = report["summary"]["root_causes"][0]
    assert first["cases"] == ["keccak256/2", "keccak256/3", "keccak256/4"]
    # The status outside the expected set is a failure with a clear why, not an adapter error.
    (replay,) = [o for o in report["outcomes"] if o["id"] == "verify_request/1"]
    assert replay["outcome"] == "failed"
    assert replay["mismatch"] == "reason"
    assert "status: expected 401, got 409" in replay["why"]
    # The field that differs, on its own (the first screen's why line).
    assert replay["differs"] == "status: expected 401, got 409"
    # One shape in both modes: an outcome's requirement is the id, the rule is the report's
    # entry under that id (tests/conformance/test_live.py asserts the same of live outcomes).
    for outcome in report["outcomes"]:
        if "requirement" in outcome:
            assert isinstance(outcome["requirement"], str), outcome
            if "rule" in outcome:
                assert outcome["rule"] == report["requirements"][outcome["requirement"]]
    # Each failure names its rule, with the sentence, beside input / expected / got.
    assert ('rule:     keccak-padding (FIPS 202 §5.1, MUST): "the pad10*1 rule with the 0x01 '
            'domain byte"') in run.stdout
    assert report["verdict"] == (
        "FAIL (7 failed (3 violate the profile's text, 1 departs from a SHOULD/MAY, "
        "1 unclassified, 1 differs from a project decision, 1 reason code or status only); "
        "0 errored; 0 expected failures now passing)"
    )
    # The first screen: header, verdict, then what to fix first, the MUST rule on top.
    screen = run.stdout.split("ERC-8128 conformance", 1)[1]
    lines = [line for line in screen.splitlines() if line.strip()]
    assert lines[1].startswith("implementation: <b>fake</b> 9 (py)")
    assert lines[2] == "posture: replay_store: memory | accepts: request-bound only"
    assert lines[3].startswith(f"suite: erc8128 {__version__}; vectors sha256:")
    assert lines[4].startswith("vector set sha256: ")
    assert lines[5] == "profile text: draft: ERC-8128 at commit 362f1a9"
    assert lines[6].startswith("result: FAIL (7 failed")
    # The tiered verdict (issue 21 item 7): MUSTs, SHOULDs, decisions in one line.
    assert lines[7] == (
        "verdict: does NOT conform to the MUSTs of the draft profile (3 MUST violations); "
        "departs from 1 SHOULD/MAY; differs from 1 project decision; 1 reason code/status only; "
        "1 unclassified")
    assert lines[8] == "what to fix first (one line per rule: failing now first, then by level):"
    assert lines[9].startswith(
        " 1. [violates the profile's text] keccak-padding (FIPS 202 §5.1, MUST): 3 cases "
        "(3 failing), e.g. keccak256/2, keccak256/3, keccak256/4"
    )


def test_header_records_posture_suite_version_and_vector_hash(tmp_path: Path) -> None:
    _, report = _run(tmp_path)
    run_info = report["run"]
    assert run_info["posture"] == {"replay_store": "memory", "accepts": "request-bound only"}
    assert run_info["suite_version"] == __version__
    assert run_info["vectors_sha256"] == vector_set_hash(tmp_path / "vectors")
    assert run_info["profiles_selected"] == ["draft"]


def test_vector_set_hash_changes_with_any_vector_byte(tmp_path: Path) -> None:
    folder = _vectors(tmp_path)
    before = vector_set_hash(folder)
    path = folder / "keccak256.json"
    path.write_text(path.read_text().replace('"61"', '"63"'), encoding="utf-8")
    assert vector_set_hash(folder) != before


def _expected(tmp_path: Path, ids: list[str]) -> Path:
    path = tmp_path / "expected.json"
    path.write_text(json.dumps([
        {"id": case_id, "reason": "answers 32 zero bytes for these inputs",
         "spec_sentence": "FIPS 202 §5.1: the pad10*1 rule"} for case_id in ids
    ]), encoding="utf-8")
    return path


def test_declared_deviations_never_print_a_bare_pass(tmp_path: Path) -> None:
    listed = [f"keccak256/{n}" for n in (2, 3, 4, 5, 6, 7)] + ["verify_request/1"]
    run, report = _run(tmp_path, "--expected-failures", str(_expected(tmp_path, listed)))
    assert run.returncode == 0, run.stdout
    assert report["verdict"] == (
        "PASS with 7 declared deviations (3 violate the profile's text, 1 departs from a "
        "SHOULD/MAY, 1 unclassified, 1 differs from a project decision, 1 reason code or "
        "status only)"
    )
    assert "result: PASS with 7 declared deviations" in run.stdout
    assert "result: PASS\n" not in run.stdout


def test_html_report_is_static_escaped_and_grouped(tmp_path: Path) -> None:
    _run(tmp_path)
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<script" not in page.lower()  # escaped: the adapter's message and no script of ours
    assert html.escape("<script>alert(1)</script>") in page
    assert "&lt;b&gt;fake&lt;/b&gt;" in page
    assert "<b>fake</b>" not in page
    assert "What to fix first" in page and "<details>" in page
    assert (page.index("keccak-padding") < page.index("d99-example")
            < page.index("refusals answered `nonce_reused`"))
    assert "violates the profile&#x27;s text" in page
    # Well formed: every element closed in order.
    stack: list[str] = []

    class Checker(HTMLParser):
        def handle_starttag(self, tag: str, attrs: Any) -> None:
            if tag not in ("meta", "br"):
                stack.append(tag)

        def handle_endtag(self, tag: str) -> None:
            assert stack and stack.pop() == tag, tag

    Checker().feed(page)
    assert stack == []


def test_coverage_line_says_how_many_cases_never_ran_and_why() -> None:
    """The coverage line, then each reason cases were not supported, once, most cases first
    (an answer's header dump, which varies by case, is left out of the reason)."""
    no_post = "no --post-path: the content checks need a signed POST route"
    outcomes = [CaseOutcome("a/1", "x", "passed"),
                CaseOutcome("a/2", "x", "not_supported", "the route maximum is not documented"),
                CaseOutcome("a/5", "x", "not_supported", no_post),
                CaseOutcome("a/6", "x", "not_supported", f"{no_post} [('date', 'now')]"),
                CaseOutcome("a/3", "x", "skipped"), CaseOutcome("a/4", "x", "skipped")]
    summary = summarize(outcomes, {})
    screen = format_first_screen(summary, [("suite", "s")])
    assert screen.splitlines()[1:] == [
        "result: PASS",
        "verdict: conforms to the MUSTs of the profiles under test; departs from 0 SHOULD/MAY; "
        "differs from 0 project decisions",
        "coverage: 1 of 6 cases judged; 3 not supported, 2 skipped (operation or profile not "
        "offered)",
        f"     2 not supported: {no_post}",
        "     1 not supported: the route maximum is not documented",
    ]
    assert summary.to_json()["not_judged"] == [
        {"why": no_post, "cases": 2}, {"why": "the route maximum is not documented", "cases": 1}]


def test_requirement_data_absent_or_malformed_is_unclassified(tmp_path: Path) -> None:
    folder = tmp_path / "v"
    folder.mkdir()
    (folder / "a.json").write_text(json.dumps({
        "requirements": {"good": {"kind": "rfc", "ref": "RFC 9421 §2", "level": "MUST",
                                  "quote": "q"},
                         "bad-kind": {"kind": "folklore", "ref": "x", "level": "MUST"},
                         "no-ref": {"kind": "rfc", "level": "MUST"}},
        "testGroups": [{"type": "Keccak256Test", "tests": [
            {"tcId": 1, "decision": "D16", "result": "valid"}]}],
    }), encoding="utf-8")
    table = load_requirements(folder)
    assert set(table) == {"good", "D16"}
    assert table["D16"] == Requirement("D16", "decision", "SPEC.md D16", "DECISION")
    outcome = CaseOutcome("a/1", "keccak256", "failed", requirement="bad-kind", mismatch="output")
    summary = summarize([outcome], table)
    assert summary.groups == {"unclassified": (1, 0)}


@pytest.mark.parametrize(("outcomes", "verdict"), [
    ([], "PASS"),
    ([CaseOutcome("a/1", "x", "passed")], "PASS"),
    ([CaseOutcome("a/1", "x", "xfail", requirement="r", mismatch="output")],
     "PASS with 1 declared deviation (1 violates the profile's text)"),
    ([CaseOutcome("a/1", "x", "errored", "adapter timeout: no response")],
     "FAIL (0 failed; 1 errored; 0 expected failures now passing)"),
    ([CaseOutcome("a/1", "x", "xpass")],
     "FAIL (0 failed; 0 errored; 1 expected failures now passing)"),
])
def test_verdict_wording(outcomes: list[CaseOutcome], verdict: str) -> None:
    table = {"r": Requirement("r", "profile", "ERC-8128 draft §3", "MUST")}
    assert summarize(outcomes, table).verdict == verdict


def test_a_draft_rule_in_a_legacy_case_is_a_project_decision() -> None:
    # SPEC.md D42 / vectors/README.md: a legacy case naming a draft requirement is this
    # project's choice for legacy; the same rule in a draft case violates the text.
    table = {"nonce-syntax": Requirement("nonce-syntax", "profile", "ERC-8128 draft §3.1.2",
                                         "MUST", "A present nonce ...")}
    legacy = CaseOutcome("verify_request/9", "verify_request", "failed",
                         requirement="nonce-syntax", mismatch="outcome", profiles=("legacy",))
    draft = CaseOutcome("verify_request/8", "verify_request", "failed",
                        requirement="nonce-syntax", mismatch="outcome", profiles=("draft",))
    summary = summarize([legacy, draft], table)
    assert summary.groups == {"text": (1, 0), "decision": (1, 0)}
    screen = format_first_screen(summary, [])
    assert ("[differs from a project decision] nonce-syntax (ERC-8128 draft §3.1.2, MUST; "
            "applied to legacy by SPEC.md D42)") in screen


def test_what_fails_now_comes_before_what_is_declared() -> None:
    table = {"must": Requirement("must", "profile", "ERC-8128 draft §3", "MUST"),
             "d1": Requirement("d1", "decision", "SPEC.md D1", "DECISION")}
    outcomes = [CaseOutcome("a/1", "x", "xfail", requirement="must", mismatch="output"),
                CaseOutcome("a/2", "x", "failed", requirement="d1", mismatch="output")]
    assert [c.key for c in summarize(outcomes, table).causes] == ["d1", "must"]
