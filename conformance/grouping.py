"""The grouped report (SPEC.md D46, D48): what an SDK author should fix first, and an honest
verdict.

Every failure and every declared deviation (``xfail``) falls into one level group:

- ``text``: it violates the profile's own text (a MUST / MUST NOT of ERC-8128, or of an RFC the
  profile builds on: requirement kind ``profile`` or ``rfc``);
- ``recommendation``: it departs from a SHOULD / SHOULD NOT / MAY of that text;
- ``decision``: it differs from a decision of this project where the texts are silent or
  ambiguous (requirement kind ``decision``, a SPEC.md D-number), or, in a legacy-only case, from
  a rule of the draft that this project applies to legacy where the February text is silent
  (SPEC.md D42: the requirement's ``ref`` is the draft's text);
- ``reason``: the accept/reject decision is right, only the reason code or the HTTP status
  differs (whatever rule the case tests);
- ``unclassified``: the vectors name no requirement for the case.

Adapter errors (``errored``: the adapter broke the protocol) are a group of their own. Within the
groups, failures are counted by root cause: one line per requirement id (for unclassified
failures: per operation and expected reason code; for adapter errors: per kind of misbehaviour)
with a count and example case ids. Causes with cases failing now come first (declared-only
causes after them), then the most severe group, then the most cases.

The verdict is "PASS" only with no failure and no declared deviation; with declared deviations
only it is "PASS with N declared deviations (...)" and says how many violate the profile's text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from erc8128_conformance.cases import Requirement
from erc8128_conformance.report import CaseOutcome

__all__ = [
    "GROUPS",
    "GROUP_TITLES",
    "RootCause",
    "Summary",
    "coverage_line",
    "format_first_screen",
    "group_of",
    "summarize",
]

# Most severe first: the order of "what to fix first".
GROUPS: Final[tuple[str, ...]] = (
    "errored", "text", "recommendation", "unclassified", "decision", "reason",
)
GROUP_TITLES: Final = {
    "errored": "adapter broke the protocol",
    "text": "violates the profile's text",
    "recommendation": "departs from a recommendation of the text (SHOULD/MAY)",
    "unclassified": "unclassified (no requirement data)",
    "decision": "differs from a project decision",
    "reason": "reason code or status only",
}
# "3 violate the profile's text" / "1 violates the profile's text".
_PHRASES: Final = {
    "errored": ("adapter error", "adapter errors"),
    "text": ("violates the profile's text", "violate the profile's text"),
    "recommendation": ("departs from a SHOULD/MAY", "depart from a SHOULD/MAY"),
    "unclassified": ("unclassified", "unclassified"),
    "decision": ("differs from a project decision", "differ from a project decision"),
    "reason": ("reason code or status only", "reason code or status only"),
}
DRAFT_REF: Final = "ERC-8128 draft"
_RECOMMENDATION_LEVELS: Final = frozenset({"SHOULD", "SHOULD NOT", "MAY", "RECOMMENDED"})
_EXAMPLES: Final = 3
FIRST_SCREEN_CAUSES: Final = 10


@dataclass(frozen=True)
class RootCause:
    group: str
    key: str  # requirement id, or a fallback key
    requirement: Requirement | None
    failed: int  # failing now (not listed)
    declared: int  # listed in --expected-failures (xfail)
    case_ids: tuple[str, ...]  # every case of this root cause, in run order
    why: str  # the first case's reason

    @property
    def total(self) -> int:
        return self.failed + self.declared

    @property
    def examples(self) -> tuple[str, ...]:
        return self.case_ids[:_EXAMPLES]

    def to_json(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "key": self.key,
            "requirement": self.requirement.to_json() if self.requirement else None,
            "failed": self.failed,
            "declared": self.declared,
            "cases": list(self.case_ids),
            "why": self.why,
        }


@dataclass(frozen=True)
class Summary:
    verdict: str
    success: bool
    groups: dict[str, tuple[int, int]]  # group -> (failed, declared)
    causes: tuple[RootCause, ...]
    canonical: tuple[CaseOutcome, ...]  # passed sign_request cases whose bytes differ
    counts: dict[str, int]  # outcome -> cases

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "success": self.success,
            "groups": {
                group: {"title": GROUP_TITLES[group], "failed": failed, "declared": declared}
                for group, (failed, declared) in self.groups.items()
            },
            "root_causes": [cause.to_json() for cause in self.causes],
            "canonical_form_differs": [o.case_id for o in self.canonical],
            "counts": self.counts,
        }


def group_of(outcome: CaseOutcome, requirements: Mapping[str, Requirement]) -> str:
    """The level group of a failed, declared or errored case."""
    if outcome.outcome == "errored":
        return "errored"
    if outcome.mismatch == "reason":
        return "reason"
    requirement = requirements.get(outcome.requirement) if outcome.requirement else None
    if requirement is None:
        return "unclassified"
    if requirement.kind == "decision" or _draft_rule_in_legacy(outcome, requirement):
        return "decision"
    if requirement.level.upper() in _RECOMMENDATION_LEVELS:
        return "recommendation"
    return "text"


def _draft_rule_in_legacy(outcome: CaseOutcome, requirement: Requirement) -> bool:
    """SPEC.md D42: a legacy case naming a draft requirement is the project's choice for legacy
    (vectors/README.md: "group `profile` is `legacy` and the requirement's `ref` starts with
    `ERC-8128 draft`")."""
    return (
        requirement.kind == "profile"
        and requirement.ref.startswith(DRAFT_REF)
        and outcome.profiles == ("legacy",)
    )


def _cause_key(outcome: CaseOutcome, group: str) -> str:
    if group == "errored":
        # AdapterFailure messages start "adapter <kind>: ..."; the hello failure likewise.
        return outcome.message.split(":", 1)[0].strip() or "adapter error"
    if outcome.requirement:
        return outcome.requirement
    expected = outcome.details.get("expected")
    reason = expected.get("reason") if isinstance(expected, dict) else None
    return f"{outcome.row} → {reason}" if isinstance(reason, str) else f"{outcome.row} (valid)"


def _plural(count: int, group: str) -> str:
    one, many = _PHRASES[group]
    return f"{count} {one if count == 1 else many}"


def _breakdown(counts: Mapping[str, int]) -> str:
    return ", ".join(_plural(counts[g], g) for g in GROUPS if counts.get(g))


def summarize(
    outcomes: Iterable[CaseOutcome],
    requirements: Mapping[str, Requirement],
    list_errors: Sequence[str] = (),
) -> Summary:
    outcomes = list(outcomes)
    groups: dict[str, list[int]] = {}
    causes: dict[tuple[str, str], list[CaseOutcome]] = {}
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.outcome] = counts.get(outcome.outcome, 0) + 1
        if outcome.outcome not in ("failed", "xfail", "errored"):
            continue
        group = group_of(outcome, requirements)
        slot = groups.setdefault(group, [0, 0])
        slot[outcome.outcome == "xfail"] += 1
        causes.setdefault((group, _cause_key(outcome, group)), []).append(outcome)
    root_causes = [
        RootCause(
            group,
            key,
            requirements.get(key) if group != "errored" else None,
            sum(o.outcome != "xfail" for o in members),
            sum(o.outcome == "xfail" for o in members),
            tuple(o.case_id for o in members),
            (members[0].why or members[0].message).split("\n", 1)[0][:300],
        )
        for (group, key), members in causes.items()
    ]
    # What fails now comes before what is already declared; then the most severe group.
    root_causes.sort(
        key=lambda c: (c.failed == 0, GROUPS.index(c.group), -c.failed, -c.total, c.key)
    )
    ordered = {g: (groups[g][0], groups[g][1]) for g in GROUPS if g in groups}
    failed = {g: n for g, (n, _) in ordered.items() if g != "errored"}
    declared = {g: d for g, (_, d) in ordered.items()}
    n_failed, n_declared = sum(failed.values()), sum(declared.values())
    n_errored, n_xpass = counts.get("errored", 0), counts.get("xpass", 0)
    success = not (n_failed or n_errored or n_xpass or list_errors)
    if success and not n_declared:
        verdict = "PASS"
    elif success:
        verdict = (f"PASS with {n_declared} declared deviation{'s' * (n_declared != 1)} "
                   f"({_breakdown(declared)})")
    else:
        parts = [f"{n_failed} failed" + (f" ({_breakdown(failed)})" if n_failed else ""),
                 f"{n_errored} errored", f"{n_xpass} expected failures now passing"]
        if n_declared:
            parts.append(f"{n_declared} declared deviations")
        if list_errors:
            parts.append(f"{len(list_errors)} errors in the expected-failures list")
        verdict = f"FAIL ({'; '.join(parts)})"
    canonical = tuple(o for o in outcomes if o.outcome == "passed" and o.canonical)
    return Summary(verdict, success, ordered, tuple(root_causes), canonical, counts)


def _cause_line(number: int, cause: RootCause) -> list[str]:
    requirement = cause.requirement
    where = f" ({requirement.ref}, {requirement.level})" if requirement else ""
    if requirement is not None and cause.group == "decision" and requirement.kind == "profile":
        where = f" ({requirement.ref}, {requirement.level}; applied to legacy by SPEC.md D42)"
    state = []
    if cause.failed:
        state.append(f"{cause.failed} failing")
    if cause.declared:
        state.append(f"{cause.declared} declared")
    lines = [
        f"{number:>2}. [{GROUP_TITLES[cause.group]}] {cause.key}{where}: {cause.total} "
        f"case{'s' * (cause.total != 1)} ({', '.join(state)}), e.g. {', '.join(cause.examples)}"
    ]
    if requirement is not None and requirement.quote:
        quote = requirement.quote if len(requirement.quote) <= 110 else (
            requirement.quote[:107] + "...")
        lines.append(f"    rule: \"{quote}\"")
    lines.append(f"    why:  {cause.why[:150]}")
    return lines


def coverage_line(summary: Summary) -> str:
    """How many cases were judged, when some never ran ("" when every case was judged): a PASS
    says nothing about cases that never ran."""
    total = sum(summary.counts.values())
    unjudged = summary.counts.get("not_supported", 0) + summary.counts.get("skipped", 0)
    if not unjudged:
        return ""
    return (
        f"coverage: {total - unjudged} of {total} cases judged; "
        f"{summary.counts.get('not_supported', 0)} not supported, "
        f"{summary.counts.get('skipped', 0)} skipped (operation or profile not offered)"
    )


def format_first_screen(summary: Summary, header: Sequence[tuple[str, str]]) -> str:
    """Header, verdict, what to fix first, the level groups: the report's first screen."""
    lines = [f"{label}: {value}" for label, value in header]
    lines.append(f"result: {summary.verdict}")
    coverage = coverage_line(summary)
    if coverage:
        lines.append(coverage)
    if summary.causes:
        lines.append("")
        lines.append("what to fix first (one line per rule: failing now first, then by level):")
        for number, cause in enumerate(summary.causes[:FIRST_SCREEN_CAUSES], 1):
            lines.extend(_cause_line(number, cause))
        rest = len(summary.causes) - FIRST_SCREEN_CAUSES
        if rest > 0:
            lines.append(f"    ... and {rest} more rules (--report-json / --html list them all)")
        lines.append("")
        lines.append("by level:")
        for group, (failed, declared) in summary.groups.items():
            lines.append(f"  {GROUP_TITLES[group]:<56} {failed:>5} failing  {declared:>5} declared")
    if summary.canonical:
        examples = ", ".join(o.case_id for o in summary.canonical[:_EXAMPLES])
        lines.append(
            f"canonical form: {len(summary.canonical)} sign_request case(s) verify but differ "
            f"from the reference's bytes (not failures), e.g. {examples}"
        )
    return "\n".join(lines)
