"""docs/walkthrough.md and its page (issue 22 item 2): generated from the reference
implementation by docs/make_walkthrough.py, current, in agreement with the draft's own vector,
served at /walkthrough, and refusing a draft test-case file of another schema version."""

import json
import re
import subprocess
import sys
from pathlib import Path

from erc8128.http.message import Request
from erc8128.protocol.policy import VerifierPolicy
from erc8128.protocol.verify import STEP_TITLES
from erc8128.server.pages import Pages

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "docs" / "make_walkthrough.py"
MARKDOWN = ROOT / "docs" / "walkthrough.md"
DRAFT_CASES = ROOT / "vectors" / "third_party" / "erc8128-draft" / "test-cases.json"


def run(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *arguments], capture_output=True,
                          text=True, timeout=120, cwd=ROOT, check=False)


def test_the_walkthrough_is_what_the_code_generates() -> None:
    checked = run("--check")
    assert checked.returncode == 0, checked.stderr


def test_a_draft_file_of_another_schema_is_refused_in_one_line(tmp_path: Path) -> None:
    document = json.loads(DRAFT_CASES.read_text(encoding="utf-8"))
    document["schema"] = "erc8128-draft-test-cases/2"
    other = tmp_path / "test-cases.json"
    other.write_text(json.dumps(document), encoding="utf-8")
    refused = run("--check", "--draft-cases", str(other))
    assert refused.returncode == 2
    assert refused.stdout == ""
    lines = refused.stderr.splitlines()
    assert len(lines) == 1, refused.stderr
    assert "expected schema 'erc8128-draft-test-cases/1', got 'erc8128-draft-test-cases/2'" in (
        lines[0])


def test_a_draft_file_we_disagree_with_is_refused(tmp_path: Path) -> None:
    document = json.loads(DRAFT_CASES.read_text(encoding="utf-8"))
    document["positive"]["erc191_hash"] = "0x" + "00" * 32
    other = tmp_path / "test-cases.json"
    other.write_text(json.dumps(document), encoding="utf-8")
    refused = run("--check", "--draft-cases", str(other))
    assert refused.returncode == 2
    assert refused.stderr.strip().endswith("our H differs from the draft's erc191_hash")


def sections(text: str) -> dict[str, str]:
    """The walkthrough's cases by their heading."""
    parts = re.split(r"^## ", text, flags=re.MULTILINE)[1:]
    return {part.split("\n", 1)[0]: part for part in parts}


def test_every_case_asked_for_is_there_with_its_outcome() -> None:
    cases = sections(MARKDOWN.read_text(encoding="utf-8"))
    assert list(cases) == [
        "1. The draft's POST (its own positive vector)", "2. A GET without content",
        "3. A legacy request (the February text)", "4. A Replayable signature",
        "5. A Class-Bound signature", "6. Two signatures on one request",
        "7. Failure: the content was changed", "8. Failure: a replay",
        "9. Failure: a chain the verifier does not serve", "10. Failure: an expired signature",
    ]
    draft = cases["1. The draft's POST (its own positive vector)"]
    # The draft's own values (vectors/third_party/erc8128-draft/test-cases.json).
    positive = json.loads(DRAFT_CASES.read_text(encoding="utf-8"))["positive"]
    signature = bytes.fromhex(positive["signature"][2:])
    assert positive["erc191_hash"] in draft
    assert f"| 0-31 | r | `{signature[:32].hex()}` |" in draft
    assert f"| 32-63 | s | `{signature[32:64].hex()}` |" in draft
    assert "| 64 | v | `1b` = 27 |" in draft
    assert "| 3 | `34 34 39` | `449`: decimal(byteLength(M))" in draft
    assert "| address: its last 20 bytes | `0x7e5f4552091a69125d5dfcb7b8c2659029395bdf` |" in draft
    assert ("`51:eip155:1:0x7e5f4552091a69125d5dfcb7b8c2659029395bdf:EjRWeJCrze8BI0VniavN7w` "
            "| 1700000090") in draft
    for line in positive["signature_base"].split("\n"):
        assert f"`{line}`" in draft
    # Each failure stops at its step and shows its challenge.
    failures = {
        "7. Failure: the content was changed": (12, 'ERC8128 error="bad_content_digest"'),
        "8. Failure: a replay": (18, 'ERC8128 error="nonce_reused"'),
        "9. Failure: a chain the verifier does not serve":
            (7, 'ERC8128 error="unsupported_chain", chains="eip155:1"'),
        "10. Failure: an expired signature": (8, 'ERC8128 error="request_expired"'),
    }
    for title, (step, challenge) in failures.items():
        assert f"at step {step}." in cases[title]
        assert f"WWW-Authenticate: {challenge}" in cases[title]
        assert '"reason":"' in cases[title]  # the problem+json body
    assert cases["6. Two signatures on one request"].count("= expires + skew |") == 2
    assert "Nothing: a Replayable signature has no nonce" in cases["4. A Replayable signature"]
    assert "Class-Bound, Non-Replayable" in cases["5. A Class-Bound signature"]


def test_step_numbers_and_titles_are_spec_sections_4() -> None:
    rows = re.findall(r"^\| (\d+) \| ([^|]+) \|", MARKDOWN.read_text(encoding="utf-8"),
                      flags=re.MULTILINE)
    steps = [(int(n), title.strip()) for n, title in rows if title.strip() in
             STEP_TITLES.values()]
    assert len(steps) > 100
    assert all(STEP_TITLES[number] == title for number, title in steps)


def test_the_page_is_served_at_walkthrough() -> None:
    pages = Pages(policy=VerifierPolicy())
    answer = pages.handle(Request("GET", "http://127.0.0.1:8128/walkthrough"), now=1700000001,
                          client="192.0.2.1")
    assert answer is not None and answer.status == 200
    assert answer.field_lines("content-type") == ("text/html; charset=utf-8",)
    page = answer.body.decode("utf-8")
    assert '<h2 id="draft-post">1. The draft&#x27;s POST (its own positive vector)</h2>' in page
    assert "0xa7a6074cd2ab23379c04a8839a3566e98689326367a0ad9cd8ef389a961f96de" in page
    assert "<script" not in page and "style=" not in page  # the pages' CSP (D60) holds
