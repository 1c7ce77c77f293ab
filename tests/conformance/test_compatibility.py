"""docs/compatibility.md: the grouping rules on hand-made outcomes, and the document is what
the generator writes today (every implementation run again: Node and the pinned uvd-x402-sdk
needed, as for ./scripts/test)."""

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from erc8128_conformance.compatibility import COLUMNS, Row, level_group, summarize

ROOT = Path(__file__).resolve().parents[2]

REQUIREMENTS = {
    "low-s": {"kind": "profile", "ref": "ERC-8128 draft §3.4.3", "level": "MUST", "quote": "q"},
    "skew": {"kind": "profile", "ref": "ERC-8128 draft §3.3.2", "level": "SHOULD", "quote": "q"},
    "d16-empty-nonce": {"kind": "decision", "ref": "SPEC.md D16", "level": "DECISION",
                        "quote": "q"},
}


def _failed(requirement: object = None, **extra: object) -> dict[str, object]:
    return {"id": "verify_request/1", "operation": "verify_request", "outcome": "failed",
            "requirement": requirement, **extra}


@pytest.mark.parametrize(("outcome", "group"), [
    ({"outcome": "passed"}, "pass"),
    ({"outcome": "not_supported"}, "unsupported"),
    ({"outcome": "skipped"}, "unsupported"),
    ({"outcome": "errored"}, "errored"),
    (_failed("low-s"), "text"),
    (_failed("skew"), "recommendation"),
    (_failed("d16-empty-nonce"), "decision"),
    (_failed(None), "unclassified"),
    (_failed("no-such-id"), "unclassified"),
    # A live check's requirement is inline.
    (_failed({"id": "x", "kind": "decision", "level": "DECISION"}), "decision"),
    ({**_failed("low-s"), "outcome": "xfail"}, "text"),
    # Rejected, but with another code: whatever the rule, the reason group.
    (_failed("low-s", expected={"result": "invalid", "reason": "bad_signature"},
             got={"error": {"reason": "signature_verification_unavailable"}}), "reason"),
    (_failed("low-s", mismatch="reason"), "reason"),
    # An adapter error code is not an implementation's rejection.
    (_failed("low-s", expected={"result": "invalid"},
             got={"error": {"reason": "adapter_internal"}}), "text"),
    # Accepted where it must reject: the rule's group.
    (_failed("low-s", expected={"result": "invalid"}, got={"ok": {}}), "text"),
])
def test_level_group(outcome: dict[str, object], group: str) -> None:
    assert level_group(outcome, REQUIREMENTS) == group


def test_a_draft_rule_applied_to_legacy_is_a_decision() -> None:
    # SPEC.md D42: the February text has no such sentence; the project chose the draft's.
    assert level_group(_failed("low-s"), REQUIREMENTS, "legacy") == "decision"
    assert level_group(_failed("low-s"), REQUIREMENTS, "draft") == "text"
    legacy_rule = {"id": "x", "kind": "profile", "ref": "ERC-8128 legacy §3.1.2",
                   "level": "MUST"}
    assert level_group(_failed(legacy_rule), REQUIREMENTS, "legacy") == "text"


def test_summary_counts_every_case_once_and_ranks_causes() -> None:
    row = Row("x", "1", "draft", "vectors (adapter)", ())
    outcomes = [{"outcome": "passed"}] * 3 + [_failed("low-s")] * 2 + [_failed("skew")] * 4
    result = summarize(row, {"outcomes": outcomes}, REQUIREMENTS)
    assert result.cases == 9 == sum(result.columns.values())
    assert result.columns["text"] == 2 and result.columns["recommendation"] == 4
    # The more severe group first, whatever the counts.
    assert [cause[0] for cause in result.causes] == ["text", "recommendation"]
    assert result.source == "computed"
    assert [name for name, _ in COLUMNS][:2] == ["pass", "text"]


@pytest.mark.slow
def test_compatibility_document_is_current_with_slicekit_and_uvd() -> None:
    if shutil.which("node") is None or not (
        ROOT / "conformance" / "adapters" / "slicekit" / "node_modules").is_dir():
        pytest.fail("run `npm ci --prefix conformance/adapters/slicekit` (scripts/test does this)")
    if importlib.util.find_spec("uvd_x402_sdk") is None:
        pytest.fail("install conformance/adapters/uvd_x402/requirements.txt (scripts/test does)")
    run = subprocess.run([sys.executable, "-m", "erc8128_conformance.compatibility", "--check"],
                         capture_output=True, text=True, timeout=1200, cwd=ROOT, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
