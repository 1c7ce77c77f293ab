"""Write an adapter's expected-failures list: every case it fails, explained.

One layout for every adapter (``conformance/expected_failures.py`` reads the lists):

- ``adapters/<adapter>-expected-failures.json``: the vectors run through the adapter;
- ``adapters/<adapter>-live-expected-failures.json``: live mode against the SDK's server;
- ``adapters/<adapter>-native-expected-failures.json``: a native runner's additions and
  withdrawals (``conforms_natively``), where it has one;
- ``adapters/<adapter>/make_expected_failures.py``: the script that writes the first list with
  :func:`write_expected_failures` and its own :class:`Rule` list.

The script runs ``erc8128 conformance`` with ``--report-json`` and gives each failed case the
reason and spec sentence of the first rule that matches it (vectors file, test comment and the
answer observed). A failure no rule explains stops the script (exit 1) and is printed: a person
must read it and add a rule, so a list holds exactly the failures that are understood. Every
list is written the same way: a JSON list, one-space indentation, UTF-8 text.
"""

import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

__all__ = ["DIGEST_EVERY_MEMBER", "DRAFT", "DUPLICATE_COMPONENT", "FEB", "METHOD_CASE", "ROOT",
           "SIGNATURE_PARAMS_SERIALISED", "Rule", "dump_expected_failures", "sdk_reason",
           "was_accepted", "write_expected_failures"]

ROOT: Final = Path(__file__).resolve().parents[2]

# How every adapter's rules cite the two ERC-8128 texts in their spec sentences.
FEB: Final = "ERC-8128 (Feb. 9f6cf39)"
DRAFT: Final = "ERC-8128 (draft 362f1a9)"

# Spec sentences more than one adapter's rules cite, word for word.
DUPLICATE_COMPONENT: Final = (
    'RFC 9421 §2.5: "If the component identifier (including its parameters) has already been '
    'added to the signature base, produce an error."'
)
METHOD_CASE: Final = (
    'RFC 9421 §2.2.1: "The @method derived component refers to the HTTP method of a request '
    "message. The component value is canonicalized by taking the value of the method as a "
    'string. Note that the method name is case sensitive"'
)
DIGEST_EVERY_MEMBER: Final = (
    f'{DRAFT} §3.1.3: "recompute and match every supported member present, and require at '
    'least one supported member to be present and match"'
)
SIGNATURE_PARAMS_SERIALISED: Final = (
    'RFC 9421 §2.3: the value of "@signature-params" is the serialisation of the signature '
    "parameters (RFC 9651 canonical form)"
)


@dataclass(frozen=True)
class Rule:
    """Failures of ``file`` whose comment matches ``comment`` (and ``observed``, if given)."""

    file: str
    comment: str  # regular expression, searched in the test comment
    reason: str
    spec_sentence: str
    deviation: str | None = None
    observed: Callable[[dict[str, Any]], bool] | None = None

    def matches(self, outcome: dict[str, Any]) -> bool:
        if not outcome["id"].startswith(self.file + "/"):
            return False
        if re.search(self.comment, outcome.get("comment", "")) is None:
            return False
        return self.observed is None or self.observed(outcome.get("got") or {})


def sdk_reason(reason: str) -> Callable[[dict[str, Any]], bool]:
    """Observed: the adapter's error names the SDK's own code ``reason``."""
    def observed(got: dict[str, Any]) -> bool:
        error = got.get("error")
        return isinstance(error, dict) and error.get("sdk_reason") == reason

    return observed


def was_accepted(got: dict[str, Any]) -> bool:
    """Observed: the SDK accepted (the adapter answered ``ok``)."""
    return "ok" in got


def dump_expected_failures(entries: Sequence[dict[str, str]]) -> str:
    """The text of an expected-failures list, as every adapter's list is written."""
    return json.dumps(list(entries), indent=1, ensure_ascii=False) + "\n"


def write_expected_failures(adapter: str, rules: Sequence[Rule], output: Path) -> int:
    """Run the vectors through ``adapter`` (profile legacy), explain every failure by the first
    matching rule and write ``output``; 1 (and nothing written) when a failure is unexplained."""
    with tempfile.TemporaryDirectory() as directory:
        report_path = Path(directory) / "report.json"
        subprocess.run(
            [sys.executable, "-m", "erc8128", "conformance", "--adapter", adapter,
             "--profile", "legacy", "--report-json", str(report_path)],
            cwd=ROOT, check=False, stdout=subprocess.DEVNULL,
        )
        report = json.loads(report_path.read_text(encoding="utf-8"))
    failures = [o for o in report["outcomes"] if o["outcome"] in ("failed", "xfail")]
    errored = [o for o in report["outcomes"] if o["outcome"] == "errored"]
    entries, unexplained = [], []
    for outcome in failures:
        rule = next((rule for rule in rules if rule.matches(outcome)), None)
        if rule is None:
            unexplained.append(outcome)
            continue
        entry = {"id": outcome["id"], "reason": rule.reason, "spec_sentence": rule.spec_sentence}
        if rule.deviation is not None:
            entry["deviation"] = rule.deviation
        entries.append(entry)
    for outcome in errored + unexplained:
        print(f"UNEXPLAINED {outcome['id']} ({outcome['outcome']}): {outcome.get('comment')}\n"
              f"  {outcome['message'][:600]}", file=sys.stderr)
    if errored or unexplained:
        return 1
    output.write_text(dump_expected_failures(entries), encoding="utf-8")
    print(f"wrote {len(entries)} expected failures to {output.relative_to(ROOT)}")
    return 0
