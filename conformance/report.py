"""The per-operation table and the one-line verdict printed at the end of a run.

Columns: ``passed``; ``failed`` (the implementation answered, wrongly); ``errored`` (the
adapter broke the protocol: crash, garbage line, wrong seq, hang); ``xfail`` (failed as the
expected-failures file says); ``xpass`` (listed as expected to fail, but passed: this fails the
run); ``not supported`` (the adapter answered ``unsupported``: never counted as passed);
``skipped`` (never sent: the adapter's ``hello`` does not list the operation or the profile).
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from erc8128_conformance.cases import Requirement
from erc8128_conformance.judge import FailedCheck

__all__ = ["COLUMNS", "CaseOutcome", "Outcome", "format_table", "is_success"]

Outcome = Literal[
    "passed", "failed", "errored", "xfail", "xpass", "not_supported", "skipped"
]

COLUMNS: Final[tuple[Outcome, ...]] = (
    "passed", "failed", "errored", "xfail", "xpass", "not_supported", "skipped",
)
_TITLES: Final = {
    "passed": "passed",
    "failed": "failed",
    "errored": "errored",
    "xfail": "xfail",
    "xpass": "xpass",
    "not_supported": "not supported",
    "skipped": "skipped",
}
# Outcomes that make the run fail.
_BAD: Final = frozenset({"failed", "errored", "xpass"})


@dataclass(frozen=True)
class CaseOutcome:
    case_id: str
    row: str  # operation (or "replay", or "live")
    outcome: Outcome
    message: str = ""
    # For failures: the step's input, the expected outcome and the adapter's raw response.
    details: dict[str, Any] = field(default_factory=dict)
    requirement: str | None = None  # the rule the case tests (None: unclassified)
    # failed / xfail: "outcome", "reason" (reason code or status only), "output", "canonical"
    mismatch: str = ""
    canonical: str = ""  # passed sign_request: how its bytes differ from the reference's
    why: str = ""  # failed / xfail: the judge's one-line reason
    profiles: tuple[str, ...] = ()  # the profiles the case runs in (() profile-independent)
    # The rule itself, resolved for the case's profile (live checks of both profiles share ids:
    # the report never looks a rule up by id alone when it has this).
    rule: Requirement | None = None
    # failed / xfail / errored: the check that failed (grouping.py's root cause; None: the rule)
    check: FailedCheck | None = None
    answered: str = ""  # the reason code the implementation answered ("" : it accepted)
    # passed: the answer was the text's outcome, not our decision (the decision's id, e.g. D5)
    acceptable: str = ""
    differs: str = ""  # failed / xfail: the field that differs, expected and got (one line)

    @property
    def profile(self) -> str:
        """The profile under test ("" for a profile-independent case)."""
        return self.profiles[0] if len(self.profiles) == 1 else ""

    def to_json(self) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        for key in ("requirement", "mismatch", "canonical", "why", "answered", "acceptable",
                    "differs"):
            if getattr(self, key):
                extra[key] = getattr(self, key)
        if self.check is not None:
            extra["check"] = self.check.key
        if self.rule is not None:
            extra["rule"] = self.rule.to_json()  # the requirement resolved for its profile
        return {
            "id": self.case_id,
            "operation": self.row,
            "outcome": self.outcome,
            "profiles": list(self.profiles),
            "message": self.message,
            **extra,
            **self.details,
        }


def is_success(outcomes: Iterable[CaseOutcome]) -> bool:
    return not any(outcome.outcome in _BAD for outcome in outcomes)


def format_table(outcomes: Iterable[CaseOutcome]) -> str:
    """A fixed-width table: one row per operation in first-seen order, then the total."""
    counts: dict[str, Counter[str]] = {}
    for outcome in outcomes:
        counts.setdefault(outcome.row, Counter())[outcome.outcome] += 1
    total: Counter[str] = Counter()
    for counter in counts.values():
        total.update(counter)
    width = max([len("operation"), len("total"), *(len(row) for row in counts)])
    header = f"{'operation':<{width}}  {'cases':>6}" + "".join(
        f"  {_TITLES[column]:>{len(_TITLES[column])}}" for column in COLUMNS
    )
    lines = [header, "-" * len(header)]
    for row, counter in [*counts.items(), ("total", total)]:
        if row == "total":
            lines.append("-" * len(header))
        line = f"{row:<{width}}  {sum(counter.values()):>6}" + "".join(
            f"  {counter[column]:>{len(_TITLES[column])}}" for column in COLUMNS
        )
        lines.append(line)
    return "\n".join(lines)
