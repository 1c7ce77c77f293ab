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

Adapter errors (``errored``: the adapter broke the protocol) are a group of their own. The level
is decided by :func:`erc8128_conformance.levels.failure_level`, the one function every report
uses. Within the groups, failures are counted by root cause: the check that failed, not the rule
a case was written for (issue 21): a skipped check (an invalid request accepted) is the case's
rule; a valid request refused is the refusal it got; a right refusal with another code is the
code it answered, so one systematic behaviour is one line ("every refusal was answered
`bad_signature`: 271 cases"); a signer's output is the signing check that failed. Causes with
cases failing now come first (declared-only causes after them), then the most severe group,
then the most cases.

The verdict is in tiers (issue 21 item 7, as Autobahn's strict / non-strict / failed): one line
saying whether the implementation conforms to the MUSTs of the profile under test, how many
SHOULDs it departs from and how many project decisions it differs from. The run fails on MUST
violations, errors, unclassified failures and expected failures that now pass; a departure from
a SHOULD or a decision fails it only with ``--strict`` (or when listed as expected and passing).
Decisions that contradict explicit text (``acceptable`` vectors) are listed apart, under "our
decision, not the text's", with the text's sentence and our reason, whether or not the run
took the text's outcome.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from erc8128_conformance.cases import Requirement
from erc8128_conformance.judge import CheckKind, FailedCheck
from erc8128_conformance.levels import LEVELS, Level, failure_level, run_fails_on
from erc8128_conformance.report import CaseOutcome

__all__ = [
    "GROUPS",
    "GROUP_TITLES",
    "AcceptableDecision",
    "RootCause",
    "Summary",
    "coverage_line",
    "format_first_screen",
    "group_of",
    "rule_of",
    "summarize",
]

# Most severe first: the order of "what to fix first".
GROUPS: Final[tuple[Level, ...]] = LEVELS
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
_EXAMPLES: Final = 3
FIRST_SCREEN_CAUSES: Final = 10
# Root causes of signer checks (signing_check.py), as a sentence.
_SIGNER_CHECKS: Final = {
    "parameter-created": "the signer signs another `created` than the one it was given",
    "parameter-expires": "the signer signs another `expires` than the one it was given",
    "parameter-nonce": "the signer signs another `nonce` (or none) than the one it was given",
    "parameter-keyid": "the signed `keyid` names another account than the signing key",
    "principal": "the signature verifies for another account than the signer",
    "components": "the signer leaves out components it must cover",
    "fields-changed": "the signer changes or drops fields of the request it signs",
    "fields-added": "the signer adds fields beyond Content-Digest and the signature fields",
    "label": "the signer does not add exactly one member under the requested label",
    "members-changed": "the signer changes signatures already on the request",
}


@dataclass(frozen=True)
class RootCause:
    group: str
    key: str  # the check that failed (a requirement id, or a check word)
    requirement: Requirement | None
    failed: int  # failing now (not listed)
    declared: int  # listed in --expected-failures (xfail)
    case_ids: tuple[str, ...]  # every case of this root cause, in run order
    why: str  # the first case's reason: the field that differs, expected and got
    title: str = ""  # the cause as a sentence ("" : the key says it)

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
            "title": self.title or self.key,
            "requirement": self.requirement.to_json() if self.requirement else None,
            "failed": self.failed,
            "declared": self.declared,
            "cases": list(self.case_ids),
            "why": self.why,
        }


@dataclass(frozen=True)
class AcceptableDecision:
    """A project decision that contradicts explicit text (an ``acceptable`` vector): the text's
    sentence, our decision and its reason, and how this run answered."""

    decision: Requirement | None
    text: Requirement | None
    ours: int  # answers that followed our decision
    texts: int  # answers that took the text's outcome (passed unless --strict)
    case_ids: tuple[str, ...]
    why: str = ""  # our reason, and the risk of the text's rule

    def to_json(self) -> dict[str, Any]:
        return {
            "decision": self.decision.to_json() if self.decision else None,
            "text": self.text.to_json() if self.text else None,
            "ours": self.ours,
            "texts": self.texts,
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
    tiers: str = ""  # the one-line tiered verdict
    acceptable: tuple[AcceptableDecision, ...] = ()
    # Why cases were not judged: (why, cases), most cases first (what would judge them).
    unjudged: tuple[tuple[str, int], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "tiers": self.tiers,
            "success": self.success,
            "groups": {
                group: {"title": GROUP_TITLES[group], "failed": failed, "declared": declared}
                for group, (failed, declared) in self.groups.items()
            },
            "root_causes": [cause.to_json() for cause in self.causes],
            "our_decision_not_the_texts": [entry.to_json() for entry in self.acceptable],
            "canonical_form_differs": [o.case_id for o in self.canonical],
            "counts": self.counts,
            "not_judged": [{"why": why, "cases": n} for why, n in self.unjudged],
        }


def rule_of(outcome: CaseOutcome, requirements: Mapping[str, Requirement]) -> Requirement | None:
    """The rule a failure is graded by: the one the outcome carries (resolved for its profile),
    else its id looked up in the run's table."""
    if outcome.rule is not None:
        return outcome.rule
    return requirements.get(outcome.requirement) if outcome.requirement else None


def group_of(outcome: CaseOutcome, requirements: Mapping[str, Requirement]) -> Level:
    """The level group of a failed, declared or errored case (levels.failure_level)."""
    return failure_level(
        rule_of(outcome, requirements), profile=outcome.profile, mismatch=outcome.mismatch,
        errored=outcome.outcome == "errored",
    )


def _expected_reason(outcome: CaseOutcome) -> str | None:
    expected = outcome.details.get("expected")
    reason = expected.get("reason") if isinstance(expected, dict) else None
    return reason if isinstance(reason, str) else None


def _cause_check(outcome: CaseOutcome, group: str) -> FailedCheck | None:
    """The check that failed, when it names the root cause (None: the case's rule does)."""
    check = outcome.check
    if check is None:
        return None
    if group == "errored" or outcome.mismatch in ("reason", "output") or (
            check.kind is CheckKind.REFUSED):
        return check
    return None


def _cause_key(outcome: CaseOutcome, group: str) -> str:
    """The check that failed."""
    check = _cause_check(outcome, group)
    if check is not None:
        return check.key
    if group == "errored":
        return "adapter error"
    if outcome.requirement:
        return outcome.requirement
    reason = _expected_reason(outcome)
    return f"{outcome.row} → {reason}" if reason is not None else f"{outcome.row} (valid)"


def _title(check: FailedCheck | None, members: Sequence[CaseOutcome], every_refusal: bool
           ) -> str:
    if check is None:
        return ""
    if check.kind is CheckKind.ANSWERED:
        code = check.code or "(no code)"
        if every_refusal:
            return f"every refusal was answered `{code}`"
        wanted = sorted({r for r in map(_expected_reason, members) if r is not None})
        return (f"refusals answered `{code}` where another code or status is due "
                f"({', '.join(wanted[:4])}{', ...' if len(wanted) > 4 else ''})")
    if check.kind is CheckKind.REFUSED:
        return f"requests it must accept were refused with `{check.code}`"
    if check.kind is CheckKind.SIGNER:
        if check.code:
            return f"the reference verifier refuses what the signer signed: `{check.code}`"
        return _SIGNER_CHECKS.get(check.name, f"signer check {check.name}")
    return ""


# A reason without a differing field (an error message) is shown up to this many characters.
_WHY_LIMIT: Final = 300


def _why(outcome: CaseOutcome) -> str:
    """The first screen's ``why``: the field that differs (the judge's ``differs``), else the
    first line of the reason, marked where it is cut."""
    if outcome.differs:
        return outcome.differs
    line = (outcome.why or outcome.message).split("\n", 1)[0]
    return line if len(line) <= _WHY_LIMIT else f"{line[:_WHY_LIMIT]}... ({len(line)} characters)"


def _plural(count: int, group: str) -> str:
    one, many = _PHRASES[group]
    return f"{count} {one if count == 1 else many}"


def _breakdown(counts: Mapping[str, int]) -> str:
    return ", ".join(_plural(counts[g], g) for g in GROUPS if counts.get(g))


def _acceptable(outcomes: Sequence[CaseOutcome], requirements: Mapping[str, Requirement]
                ) -> tuple[AcceptableDecision, ...]:
    by_decision: dict[str, list[CaseOutcome]] = {}
    for outcome in outcomes:
        # Judged answers only: "not supported" followed neither outcome.
        if outcome.acceptable and outcome.outcome in ("passed", "failed", "xfail", "xpass"):
            by_decision.setdefault(outcome.acceptable, []).append(outcome)
    entries = []
    for members in by_decision.values():
        first = members[0]
        text = requirements.get(str(first.details.get("text_requirement", "")))
        texts = sum(bool(o.details.get("took_text")) for o in members)
        why = first.details.get("text_why")
        entries.append(AcceptableDecision(
            rule_of(first, requirements), text, len(members) - texts, texts,
            tuple(o.case_id for o in members), why if isinstance(why, str) else ""))
    return tuple(entries)


def _tiers(outcomes: Sequence[CaseOutcome], groups: Mapping[str, list[int]],
           profile: str, acceptable: Sequence[AcceptableDecision]) -> str:
    """One line: the MUSTs of the profile under test, the SHOULDs, the decisions."""
    musts = sum(groups.get("text", [0, 0]))
    shoulds = sum(groups.get("recommendation", [0, 0]))
    decisions = sum(groups.get("decision", [0, 0]))
    reasons = sum(groups.get("reason", [0, 0]))
    errored = sum(groups.get("errored", [0, 0]))
    unclassified = sum(groups.get("unclassified", [0, 0]))
    judged = sum(o.outcome not in ("not_supported", "skipped") for o in outcomes)
    name = f"the {profile} profile" if profile else "the profiles under test"
    if musts or errored:
        conforms = (f"does NOT conform to the MUSTs of {name} ({musts} MUST "
                    f"violation{'s' * (musts != 1)}" + (f", {errored} errored" if errored
                                                        else "") + ")")
    elif judged == 0:
        conforms = f"nothing judged against {name}"
    else:
        conforms = f"conforms to the MUSTs of {name}"
    parts = [conforms, f"departs from {shoulds} SHOULD/MAY", f"differs from {decisions} "
             f"project decision{'s' * (decisions != 1)}"]
    if reasons:
        parts.append(f"{reasons} reason code/status only")
    if unclassified:
        parts.append(f"{unclassified} unclassified")
    texts = sum(entry.texts for entry in acceptable)
    if texts:
        parts.append(f"{texts} answer{'s' * (texts != 1)} took the text's outcome over our "
                     "decision (acceptable)")
    return "; ".join(parts)


def summarize(
    outcomes: Iterable[CaseOutcome],
    requirements: Mapping[str, Requirement],
    list_errors: Sequence[str] = (),
    *,
    profile: str = "",
    strict: bool = False,
) -> Summary:
    """The grouped report. ``profile``: the profile under test (the tiered verdict's words;
    "" when several); ``strict``: decisions and SHOULDs fail the run too."""
    outcomes = list(outcomes)
    groups: dict[str, list[int]] = {}
    causes: dict[tuple[str, str], list[CaseOutcome]] = {}
    counts: dict[str, int] = {}
    fatal = 0
    for outcome in outcomes:
        counts[outcome.outcome] = counts.get(outcome.outcome, 0) + 1
        if outcome.outcome not in ("failed", "xfail", "errored"):
            continue
        group = group_of(outcome, requirements)
        slot = groups.setdefault(group, [0, 0])
        slot[outcome.outcome == "xfail"] += 1
        if outcome.outcome != "xfail" and run_fails_on(group, profile=outcome.profile,
                                                      strict=strict):
            fatal += 1
        causes.setdefault((group, _cause_key(outcome, group)), []).append(outcome)
    answered_keys = {key for group, key in causes if group == "reason"}
    every_refusal = len(answered_keys) == 1 and len(
        {_expected_reason(o) for (g, _), m in causes.items() if g == "reason" for o in m}) > 1
    root_causes = []
    for (group, key), members in causes.items():
        rules = {rule_of(o, requirements) for o in members}
        if group == "errored":
            requirement = None
        elif key in requirements:
            requirement = requirements[key]
        else:
            requirement = next(iter(rules)) if len(rules) == 1 else None
        root_causes.append(RootCause(
            group, key, requirement,
            sum(o.outcome != "xfail" for o in members),
            sum(o.outcome == "xfail" for o in members),
            tuple(o.case_id for o in members),
            _why(members[0]),
            _title(_cause_check(members[0], group), members, every_refusal and group == "reason"),
        ))
    # What fails now comes before what is already declared; then the most severe group.
    root_causes.sort(
        key=lambda c: (c.failed == 0, GROUPS.index(c.group), -c.failed, -c.total, c.key)
    )
    ordered = {g: (groups[g][0], groups[g][1]) for g in GROUPS if g in groups}
    failed = {g: n for g, (n, _) in ordered.items() if g != "errored"}
    declared = {g: d for g, (_, d) in ordered.items()}
    n_failed, n_declared = sum(failed.values()), sum(declared.values())
    n_errored, n_xpass = counts.get("errored", 0), counts.get("xpass", 0)
    success = not (fatal or n_errored or n_xpass or list_errors)
    tolerated = n_failed - (fatal - n_errored) if success else 0
    if success and not n_declared and not tolerated:
        verdict = "PASS"
    elif success:
        notes = []
        if n_declared:
            notes.append(f"{n_declared} declared deviation{'s' * (n_declared != 1)} "
                         f"({_breakdown(declared)})")
        if tolerated:
            notes.append(f"{tolerated} difference{'s' * (tolerated != 1)} that fail only with "
                         f"--strict ({_breakdown(failed)})")
        verdict = f"PASS with {'; '.join(notes)}"
    else:
        parts = [f"{n_failed} failed" + (f" ({_breakdown(failed)})" if n_failed else ""),
                 f"{n_errored} errored", f"{n_xpass} expected failures now passing"]
        if n_declared:
            parts.append(f"{n_declared} declared deviations")
        if list_errors:
            parts.append(f"{len(list_errors)} errors in the expected-failures list")
        verdict = f"FAIL ({'; '.join(parts)})"
    canonical = tuple(o for o in outcomes if o.outcome == "passed" and o.canonical)
    acceptable = _acceptable(outcomes, requirements)
    tiers = _tiers(outcomes, groups, profile, acceptable)
    return Summary(verdict, success, ordered, tuple(root_causes), canonical, counts, tiers,
                   acceptable, _unjudged(outcomes))


def _unjudged(outcomes: Sequence[CaseOutcome]) -> tuple[tuple[str, int], ...]:
    """The reasons cases were not supported, each once with its count, most cases first: a
    coverage figure says how many never ran, this says what would run them."""
    reasons: dict[str, int] = {}
    for outcome in outcomes:
        if outcome.outcome != "not_supported":
            continue
        # One line per reason: an answer's header dump varies by case, the reason does not.
        why = outcome.message.split(" [(", 1)[0] or "(no reason given)"
        reasons[why] = reasons.get(why, 0) + 1
    return tuple(sorted(reasons.items(), key=lambda item: (-item[1], item[0])))


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
        f"{number:>2}. [{GROUP_TITLES[cause.group]}] {cause.title or cause.key}{where}: "
        f"{cause.total} "
        f"case{'s' * (cause.total != 1)} ({', '.join(state)}), e.g. {', '.join(cause.examples)}"
    ]
    if requirement is not None and requirement.quote:
        quote = requirement.quote if len(requirement.quote) <= 110 else (
            requirement.quote[:107] + "...")
        lines.append(f"    rule: \"{quote}\"")
    lines.append(f"    why:  {cause.why}")
    return lines


def _acceptable_lines(entries: Sequence[AcceptableDecision]) -> list[str]:
    lines = ["", "our decision, not the text's (acceptable: the text's outcome passes too; "
             "--strict requires ours):"]
    for entry in entries:
        decision, text = entry.decision, entry.text
        name = decision.ref if decision is not None else "a decision"
        lines.append(f"  {name}: {entry.ours} answer(s) followed it, {entry.texts} took the "
                     f"text's outcome, e.g. {', '.join(entry.case_ids[:_EXAMPLES])}")
        if text is not None:
            lines.append(f"    text ({text.ref}, {text.level}): \"{text.quote}\"")
        if decision is not None and decision.quote:
            lines.append(f"    ours: \"{decision.quote}\"")
        if entry.why:
            lines.append(f"    why:  {entry.why}")
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
    if summary.tiers:
        lines.append(f"verdict: {summary.tiers}")
    coverage = coverage_line(summary)
    if coverage:
        lines.append(coverage)
        for why, cases in summary.unjudged[:FIRST_SCREEN_CAUSES]:
            lines.append(f"  {cases:>4} not supported: {why}")
        rest = len(summary.unjudged) - FIRST_SCREEN_CAUSES
        if rest > 0:
            lines.append(f"       ... and {rest} more reasons (--report-json lists them all)")
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
    if summary.acceptable:
        lines.extend(_acceptable_lines(summary.acceptable))
    if summary.canonical:
        examples = ", ".join(o.case_id for o in summary.canonical[:_EXAMPLES])
        lines.append(
            f"canonical form: {len(summary.canonical)} sign_request case(s) verify but differ "
            f"from the reference's bytes (not failures), e.g. {examples}"
        )
    return "\n".join(lines)
