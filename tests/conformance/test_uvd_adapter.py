"""The uvd-x402-sdk adapter (conformance/adapters/uvd_x402): the pinned SDK answers through the
adapter protocol, and the suite with its expected-failures list passes (exactly the listed,
explained failures)."""

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.service_process import listening_url

ROOT = Path(__file__).resolve().parents[2]
ADAPTER_DIR = ROOT / "conformance" / "adapters" / "uvd_x402"
EXPECTED = ADAPTER_DIR.parent / "uvd_x402-expected-failures.json"
ADAPTER = f"{sys.executable} {ADAPTER_DIR / 'adapter.py'}"

pytestmark = pytest.mark.slow


def _need_sdk() -> None:
    if importlib.util.find_spec("uvd_x402_sdk") is None:
        pytest.fail("install conformance/adapters/uvd_x402/requirements.txt into the "
                    "environment (./scripts/test does this)")


def _pinned_version() -> str:
    text = (ADAPTER_DIR / "requirements.txt").read_text(encoding="utf-8")
    match = re.search(r"^uvd-x402-sdk\[signer\]==(\S+)$", text, re.M)
    assert match is not None
    return match.group(1)


def _talk(*requests: dict[str, object]) -> list[dict[str, object]]:
    lines = "".join(json.dumps({"seq": i, **r}) + "\n" for i, r in enumerate(requests))
    run = subprocess.run([sys.executable, str(ADAPTER_DIR / "adapter.py")], input=lines,
                         capture_output=True, text=True, timeout=60, check=True)
    return [json.loads(line) for line in run.stdout.splitlines()]


def test_hello_names_the_pinned_sdk_and_legacy_only() -> None:
    _need_sdk()
    (hello,) = _talk({"op": "hello", "protocol": 1})
    ok = hello["ok"]
    assert isinstance(ok, dict)
    assert ok["implementation"] == {"name": "uvd-x402-sdk", "version": _pinned_version(),
                                    "language": "python"}
    assert ok["profiles"] == ["legacy"]


def test_bad_lines_and_posture_gaps_are_answered_not_crashed() -> None:
    _need_sdk()
    answers = _talk(
        {"op": "teleport"},
        {"op": "parse_keyid", "profile": "draft", "keyid": "eip155:1:0x" + "00" * 20},
        {"op": "verify_request", "profile": "legacy", "now": 1,
         "request": {"method": "GET", "url": "https://a.example/", "headers": []},
         "policy": {"class_bound": True}},
    )
    assert [a.get("unsupported") for a in answers] == [True, True, True]
    assert "Class-Bound" in str(answers[2]["detail"])


def test_sdk_fails_exactly_its_listed_and_explained_vectors(tmp_path: Path) -> None:
    _need_sdk()
    report = tmp_path / "report.json"
    run = subprocess.run(
        [sys.executable, "-m", "erc8128", "conformance", "--adapter", ADAPTER,
         "--profile", "legacy", "--expected-failures", str(EXPECTED),
         "--report-json", str(report)],
        capture_output=True, text=True, timeout=600, cwd=ROOT, check=False,
    )
    assert run.returncode == 0, run.stdout[-8000:]
    listed = json.loads(EXPECTED.read_text(encoding="utf-8"))
    outcomes = json.loads(report.read_text(encoding="utf-8"))["outcomes"]
    assert {o["id"] for o in outcomes if o["outcome"] == "xfail"} == {e["id"] for e in listed}
    assert not [o for o in outcomes if o["outcome"] in ("failed", "errored", "xpass")]
    # The verifier answers most verify_request vectors itself (not "unsupported").
    verify = [o for o in outcomes if o["operation"] == "verify_request"]
    assert sum(o["outcome"] == "passed" for o in verify) > len(verify) / 2
    for entry in listed:
        assert "see report" not in entry["reason"] and len(entry["reason"]) > 30
        assert re.search(r"(ERC-8128|RFC \d+|SPEC\.md)", entry["spec_sentence"]), entry


def test_live_server_on_the_sdk_fails_exactly_its_listed_checks(tmp_path: Path) -> None:
    _need_sdk()
    with listening_url([sys.executable, str(ADAPTER_DIR / "server.py"), "--port", "0"]) as url:
        listed_file = ADAPTER_DIR.parent / "uvd_x402-live-expected-failures.json"
        report = tmp_path / "report.json"
        run = subprocess.run(
            [sys.executable, "-m", "erc8128", "conformance", "--target", url,
             "--profile", "legacy", "--post-path", "/api/echo",
             "--expected-failures", str(listed_file), "--report-json", str(report)],
            capture_output=True, text=True, timeout=600, cwd=ROOT, check=False,
        )
        assert run.returncode == 0, run.stdout[-6000:]
        listed = {e["id"] for e in json.loads(listed_file.read_text(encoding="utf-8"))}
        outcomes = json.loads(report.read_text(encoding="utf-8"))["outcomes"]
        assert {o["id"] for o in outcomes if o["outcome"] == "xfail"} == listed
        assert {o["outcome"] for o in outcomes} == {"passed", "xfail", "not_supported"}
        # Not supported only where the server's answers say so: a path its router does not
        # serve, no Replayable route (so no early invalidation to test).
        assert all(re.search(r"/(path_\w+|invalidation_\w+)$", o["id"]) for o in outcomes
                   if o["outcome"] == "not_supported")
