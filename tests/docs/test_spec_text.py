"""SPEC.md as a learner's text (issue 22): every section reference says whose section it is,
every decision number ever taken is still there, and the walkthrough numbers the steps of §4."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPEC = (ROOT / "SPEC.md").read_text("utf-8")
TOOLING = (ROOT / "docs" / "decisions-tooling.md").read_text("utf-8")
NEVER_TAKEN = {30, 31, 32, 33, 43, 44, 45, 56}


def _section(title: str) -> str:
    start = SPEC.index(f"\n## {title}")
    end = SPEC.find("\n## ", start + 1)
    return SPEC[start:end if end > 0 else None]


def test_every_section_reference_is_prefixed() -> None:
    # The "where to find what" table names its column "SPEC §" once, for all its rows.
    start = SPEC.index("| question | SPEC § |")
    text = SPEC[:start] + SPEC[SPEC.index("\n\n", start):]
    flat = " ".join(text.split())
    bare = [flat[max(0, m.start() - 30):m.end() + 8] for m in re.finditer(r"§", flat)
            if not re.search(r"(draft|Draft|February|SPEC|RFC \d{4}|SPEC\.md) $",
                             flat[max(0, m.start() - 9):m.start()])]
    assert bare == []


def test_every_decision_keeps_its_number() -> None:
    taken = set(range(1, 61)) - NEVER_TAKEN
    for number in taken:
        assert f"- **D{number}** " in SPEC, number
    moved = {int(n) for n in re.findall(r"^- \*\*D(\d+)\*\* ", TOOLING, re.MULTILINE)}
    listed = {int(n) for n in re.findall(r"^- \*\*D(\d+)\*\* ", SPEC, re.MULTILINE)}
    assert moved and moved <= listed
    index = _section("6. Decisions").split("### 6.3", 1)[1]
    assert {int(n) for n in re.findall(r"\*\*D(\d+)\*\*", index.split("### 6.4")[0])} == moved


def test_departures_quote_the_sentence_they_depart_from() -> None:
    departures = _section("6. Decisions").split("### 6.2", 1)[1].split("### 6.3", 1)[0]
    assert "This departs from explicit text: February §3.3.2" in " ".join(departures.split())
    assert '"The verifier MUST consume the nonce only for a fully authenticated' in " ".join(
        departures.split())
    assert 'drop "winning"' in departures


def test_walkthrough_numbers_the_eighteen_steps() -> None:
    walkthrough = _section("7. The draft's positive vector")
    assert re.findall(r"^(\d+)\. \*\*", walkthrough, re.MULTILINE) == [
        str(n) for n in range(1, 19)]
    steps = _section("4. Verification")
    assert re.findall(r"^(\d+)\. \*\*", steps, re.MULTILINE) == [str(n) for n in range(1, 19)]


def test_the_signed_hash_is_written_as_the_draft_writes_it() -> None:
    assert "len(M)" not in SPEC
    assert 'decimal(byteLength(M))' in _section("1. Words")
