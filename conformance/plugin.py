"""The pytest plugin behind ``erc8128 conformance``: options, parametrisation, verdicts, report.

:func:`erc8128_conformance.runner.run` hands one :class:`ConformancePlugin` to ``pytest.main``.
It parametrises ``suite_vectors.py`` with one test per case (id ``<file stem>/<tcId>``), drives
the adapter through one long-lived :class:`~erc8128_conformance.adapter_client.AdapterClient`,
turns every judged case into a pytest outcome (pass / fail / skip / xfail), and prints the
grouped report (``grouping.py``: header, honest verdict, what to fix first, the level groups)
and the per-operation table at the end; ``--report-json`` and ``--html`` write the same.
"""

import functools
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pytest

from erc8128 import __version__ as suite_version
from erc8128_conformance.adapter_client import AdapterClient, AdapterFailure, Response
from erc8128_conformance.cases import (
    Case,
    Requirement,
    Step,
    load_cases,
    load_requirements,
    vector_set_hash,
)
from erc8128_conformance.expected_failures import ExpectedFailure
from erc8128_conformance.grouping import Summary, format_first_screen, summarize
from erc8128_conformance.html_report import render_html
from erc8128_conformance.judge import CheckKind, FailedCheck, StepVerdict, judge_step
from erc8128_conformance.live import (
    LIVE_ADDRESS,
    LIVE_CHECKS,
    CheckNotApplicable,
    LiveContext,
    LiveTarget,
    RateLimited,
    checks_for,
    fetch_discovery,
)
from erc8128_conformance.live_signing import valid_request
from erc8128_conformance.live_transport import send
from erc8128_conformance.report import CaseOutcome, Outcome, format_table
from erc8128_vectors import VECTORS_DIR

__all__ = ["PLUGIN_KEY", "ConformancePlugin", "LiveRun", "SuiteOptions", "VectorRun", "live_run",
           "vector_run"]

_SHOW_LIMIT: Final = 1500


@dataclass(frozen=True)
class SuiteOptions:
    """What the command line asked for."""

    adapter: str | None = None
    target: str | None = None
    # Further --target URLs: other instances of the same deployment (the replay race uses them).
    instances: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ("draft", "legacy")
    ops: frozenset[str] | None = None
    strict: bool = False
    expected_failures: dict[str, ExpectedFailure] = field(default_factory=dict)
    timeout: float = 10.0
    vectors_dir: Path | None = None
    path: str = "/api/whoami"
    post_path: str | None = None
    report_json: Path | None = None
    html: Path | None = None  # --html FILE: the grouped report as a static page
    method: str = "GET"
    adapter_cwd: str | None = None
    # Live chain checks (chain_plugin.py): the dev chain's JSON-RPC URL and the funding key.
    chain_rpc: str | None = None
    chain_funder_key: bytes | None = None


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    if len(text) > _SHOW_LIMIT:
        return text[:_SHOW_LIMIT] + f"... ({len(text)} characters)"
    return text


def _posture_text(posture: object) -> str:
    """The declared posture on one line: ``key: value | key: value`` for an object."""
    if not posture:
        return 'not declared (the adapter\'s hello has no "posture")'
    if isinstance(posture, dict):
        return " | ".join(f"{key}: {_show(value).strip(chr(34))}" for key, value in posture.items())
    return _show(posture)


# The vendored text of each profile (vectors/third_party), named by its commit.
_PROFILE_TEXTS: Final = {"draft": "erc8128-draft", "legacy": "erc8128-published"}


def _profile_text_commit(profile: str) -> str:
    folder = VECTORS_DIR / "third_party" / _PROFILE_TEXTS.get(profile, profile)
    texts = sorted(folder.glob("erc-8128-*.md"))
    return texts[-1].stem.removeprefix("erc-8128-") if texts else "unknown"


class _CaseErrored(Exception):
    def __init__(self, message: str, kind: str = "adapter error") -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind  # the adapter's misbehaviour, e.g. "adapter timeout"


class _SuiteRun:
    """What a session of either mode holds: its options, every case's outcome and the report's
    requirement table."""

    def __init__(
        self, options: SuiteOptions, outcomes: list[CaseOutcome],
        requirements: dict[str, Requirement] | None = None,
    ) -> None:
        self.options = options
        self.outcomes = outcomes
        self.requirements = requirements if requirements is not None else {}


class VectorRun(_SuiteRun):
    """Session state: the adapter client, what ``hello`` said, every case's outcome."""

    def __init__(
        self, options: SuiteOptions, outcomes: list[CaseOutcome],
        requirements: dict[str, Requirement] | None = None,
    ) -> None:
        super().__init__(options, outcomes, requirements)
        self.client: AdapterClient | None = None
        self.hello: dict[str, Any] = {}
        self.hello_failure: str | None = None

    def start(self) -> None:
        assert self.options.adapter is not None
        self.client = AdapterClient(
            self.options.adapter, timeout=self.options.timeout, cwd=self.options.adapter_cwd
        )
        try:
            response = self.client.call("hello", {"protocol": 1})
        except AdapterFailure as failure:
            self.hello_failure = f"{failure}\n--- adapter stderr ---\n{failure.stderr}"
            return
        if response.kind == "ok":
            self.hello = response.body

    def close(self) -> None:
        if self.client is not None:
            self.client.close()

    # -- capabilities ------------------------------------------------------------------------

    @property
    def deterministic(self) -> bool:
        capabilities = self.hello.get("capabilities")
        return isinstance(capabilities, list) and "rfc6979" in capabilities

    def _skip_reason(self, case: Case) -> str | None:
        operations = self.hello.get("operations")
        if isinstance(operations, list) and case.op not in operations:
            return f"the adapter's hello does not list operation {case.op!r}"
        profiles = self.hello.get("profiles")
        if isinstance(profiles, list):
            missing = [name for name in case.profiles if name not in profiles]
            if missing:
                return f"the adapter's hello does not list profile(s) {missing}"
        return None

    # -- running a case ------------------------------------------------------------------------

    def _call(self, step: Step, extra: dict[str, Any], deadline: float) -> Response:
        assert self.client is not None
        try:
            return self.client.call(step.op, {**step.fields, **extra}, deadline=deadline)
        except AdapterFailure as failure:
            raise _CaseErrored(
                f"{failure}\n--- adapter stderr ---\n{failure.stderr or '(empty)'}",
                f"adapter {failure.kind}",
            ) from None

    def _run_steps(self, case: Case) -> tuple[StepVerdict, int, Response | None]:
        """The verdict of the first step that does not pass (or of the last one)."""
        assert self.client is not None
        # One --timeout for the whole case, however many steps it has (issue 10, "Bad input":
        # a per-case timeout).
        deadline = time.monotonic() + self.options.timeout
        extra: dict[str, Any] = {}
        if case.replay_session is not None:
            try:
                reset = self.client.call(
                    "reset_replay_session", {"replay_session": case.replay_session},
                    deadline=deadline,
                )
            except AdapterFailure as failure:
                raise _CaseErrored(f"{failure}\n--- adapter stderr ---\n{failure.stderr}",
                                   f"adapter {failure.kind}") from None
            if reset.kind == "unsupported":
                return StepVerdict("not_supported", "reset_replay_session unsupported"), 0, reset
            extra = {"replay_session": case.replay_session}
        verdict, response = StepVerdict("passed"), None
        for index, step in enumerate(case.steps):
            response = self._call(step, extra, deadline)
            verdict = judge_step(
                step,
                response,
                reason_checked=case.reason_checked,
                deterministic=self.deterministic,
                strict=self.options.strict,
                flags=case.flags,
            )
            if verdict.status != "passed":
                return verdict, index, response
        return verdict, len(case.steps) - 1, response

    def _failure_text(
        self, case: Case, verdict: StepVerdict, index: int, response: Response | None
    ) -> str:
        step = case.steps[index]
        lines = [
            f"{case.case_id} ({case.source}, {case.group_type}, result {case.result}): "
            f"{case.comment}",
        ]
        requirement = self.requirements.get(case.requirement) if case.requirement else None
        if requirement is not None:
            quote = f': "{requirement.quote}"' if requirement.quote else ""
            lines.append(f"rule:     {requirement.req_id} ({requirement.ref}, "
                         f"{requirement.level}){quote}")
        if len(case.steps) > 1:
            lines.append(f"step {index + 1} of {len(case.steps)}")
        lines += [
            f"input:    {_show({'op': step.op, **step.fields})}",
            f"expected: {_show({'result': step.result, **step.expected})}",
            f"got:      {_show(response.raw if response is not None else None)}",
            f"why:      {verdict.message}",
        ]
        if step.intermediates:
            lines.append(f"reference intermediates: {_show(step.intermediates)}")
        if response is not None and response.stderr:
            lines.append(f"--- adapter stderr ---\n{response.stderr}")
        return "\n".join(lines)

    def _record(
        self, case: Case, outcome: Outcome, message: str = "",
        details: dict[str, Any] | None = None, verdict: StepVerdict | None = None, *,
        errored: str = "",
    ) -> None:
        details = dict(details or {})
        # The rule of the check that failed, when it is not the case's own (signing_check);
        # a case pinning a project decision keeps it (the decision sets what is expected).
        own = self.requirements.get(case.requirement) if case.requirement else None
        rule_id = (verdict.rule if verdict is not None and verdict.rule
                   and (own is None or own.kind != "decision") else case.requirement)
        text_step = next((step for step in case.steps if step.text_outcome is not None), None)
        acceptable = ""
        if text_step is not None and text_step.text_outcome is not None:
            acceptable = case.requirement or text_step.decision or "decision"
            details["text_requirement"] = text_step.text_outcome.get("requirement")
            details["text_why"] = text_step.text_outcome.get("why")
            details["took_text"] = bool(verdict is not None and verdict.acceptable)
        self.outcomes.append(CaseOutcome(
            case.case_id, case.row, outcome, message, details,
            requirement=rule_id,
            mismatch=verdict.mismatch if verdict is not None else "",
            canonical=verdict.canonical if verdict is not None else "",
            why=verdict.message if verdict is not None and outcome != "passed" else "",
            profiles=case.profiles,
            rule=self.requirements.get(rule_id) if rule_id else None,
            check=(FailedCheck(CheckKind.ERRORED, errored) if errored
                   else verdict.failed_check if verdict is not None else None),
            answered=verdict.answered if verdict is not None else "",
            acceptable=acceptable,
            differs=verdict.differs if verdict is not None and outcome != "passed" else "",
        ))

    @staticmethod
    def _details(case: Case, index: int, response: Response | None) -> dict[str, Any]:
        step = case.steps[index]
        return {
            "comment": case.comment,
            "step": index + 1,
            "input": {"op": step.op, **step.fields},
            "expected": {"result": step.result, **step.expected},
            "got": response.raw if response is not None else None,
        }

    def check(self, case: Case) -> None:
        """Run one case and end the pytest test with its outcome."""
        expected_failure = self.options.expected_failures.get(case.case_id)
        if self.hello_failure is not None:
            self._record(case, "errored", self.hello_failure, errored="adapter hello")
            pytest.fail(f"adapter hello failed: {self.hello_failure}", pytrace=False)
        skip = self._skip_reason(case)
        if skip is not None:
            self._record(case, "skipped", skip)
            pytest.skip(skip)
        try:
            verdict, index, response = self._run_steps(case)
        except _CaseErrored as errored:
            self._record(case, "errored", errored.message, errored=errored.kind)
            pytest.fail(
                f"{case.case_id}: errored (adapter misbehaved)\n{errored.message}", pytrace=False
            )
        if verdict.status == "not_supported":
            self._record(case, "not_supported", verdict.message)
            pytest.skip(f"not supported: {verdict.message}")
        if verdict.status == "failed":
            text = self._failure_text(case, verdict, index, response)
            details = self._details(case, index, response)
            if expected_failure is not None:
                self._record(case, "xfail", expected_failure.reason, details, verdict)
                pytest.xfail(f"expected failure: {expected_failure.reason}")
            self._record(case, "failed", text, details, verdict)
            pytest.fail(text, pytrace=False)
        if expected_failure is not None:
            message = (
                f"{case.case_id}: listed as an expected failure ({expected_failure.reason}) "
                "but it now passes: remove it from the expected-failures file"
            )
            self._record(case, "xpass", message)
            pytest.fail(message, pytrace=False)
        self._record(case, "passed", verdict.note, verdict=verdict)


class LiveRun(_SuiteRun):
    """Live-server mode: each check signs fresh requests and judges the server's answers.

    The discovery document (ERC-8128 §7) is read once per profile; checks whose expected
    answer depends on route policy use it, and are not supported without it.
    """

    def __init__(
        self, options: SuiteOptions, outcomes: list[CaseOutcome],
        requirements: dict[str, Requirement] | None = None,
        header_fields: list[tuple[str, str]] | None = None,
    ) -> None:
        # The report's requirement table: each live check's rule joins it (grouping.py).
        super().__init__(options, outcomes, requirements)
        self._contexts: dict[str, LiveContext] = {}
        # Per profile: the probe's answer to one valid request, (status, reason) (D90).
        self._probes: dict[str, tuple[int, str | None] | None] = {}
        self._header_fields = header_fields if header_fields is not None else []
        self._said_not_offered: set[str] = set()

    def _probe(self, profile: str) -> tuple[int, str | None] | None:
        """The target's answer to one valid request of ``profile`` (None: no answer)."""
        if profile not in self._probes:
            ctx = self.context(profile)
            try:
                answer = send(ctx.target, valid_request(ctx))
            except (OSError, RateLimited):
                self._probes[profile] = None  # the checks themselves report it
            else:
                self._probes[profile] = (answer.status, answer.reason())
        return self._probes[profile]

    def not_offered(self, profile: str) -> str | None:
        """Why ``profile``'s checks are not run against this target, or None (decision D90).

        With both profiles under test, a profile whose valid request the target refuses with
        `no_acceptable_signature` (no candidate of a profile it accepts, ERC-8128 §3.5) while it
        accepts the other profile's valid request is one the target does not offer: its checks
        are "not supported", with this one reason, instead of each failing on that refusal.
        With one profile under test (``--profile``) every check is graded.
        """
        if len(self.options.profiles) < 2:
            return None
        others = [other for other in self.options.profiles if other != profile]
        mine = self._probe(profile)
        if mine is None or mine[0] != 401 or mine[1] != "no_acceptable_signature":
            return None
        accepted_other = next((other for other in others
                               if (probe := self._probe(other)) is not None
                               and 200 <= probe[0] <= 299), None)
        if accepted_other is None:
            return None
        why = (f"the target accepts no {profile} signature: a valid {profile} request got 401 "
               f"no_acceptable_signature while a valid {accepted_other} request was accepted "
               f"(--profile {profile} grades its checks anyway)")
        if profile not in self._said_not_offered:
            self._said_not_offered.add(profile)
            self._header_fields.append(("profile not offered", why))
        return why

    def context(self, profile: str) -> LiveContext:
        if profile not in self._contexts:
            assert self.options.target is not None
            target = LiveTarget(
                self.options.target,
                self.options.path,
                "draft" if profile == "draft" else "legacy",
                timeout=self.options.timeout,
            )
            document, note = fetch_discovery(target)
            self._contexts[profile] = LiveContext(
                target, self.options.post_path, document, note,
                instances=self.options.instances, run_profiles=self.options.profiles,
            )
        return self._contexts[profile]

    def check(self, profile: str, name: str) -> None:
        ctx = self.context(profile)
        check = LIVE_CHECKS[name]
        requirement = check.requirement(profile)
        # The outcome names its requirement by id, as a vector case does; the rule itself (kind,
        # ref, level, quote) is in the report's "requirements" table under that id.
        details: dict[str, Any] = {}
        case_id = f"live/{profile}/{name}"
        # Draft and legacy checks share ids: the outcome carries the rule of ITS profile, so the
        # report never grades a legacy failure by the draft's entry (issue 21).
        rule = None if requirement is None else Requirement(
            requirement.id, requirement.kind, requirement.ref, requirement.level,
            requirement.quote,
        )
        if rule is not None:
            self.requirements.setdefault(rule.req_id, rule)
        outcome = functools.partial(
            CaseOutcome, requirement=requirement.id if requirement is not None else None,
            profiles=(profile,), rule=rule,
        )
        expected_failure = self.options.expected_failures.get(case_id)
        level = f" [{requirement.level} {requirement.ref}]" if requirement is not None else ""
        not_offered = self.not_offered(profile)
        if not_offered is not None:
            self.outcomes.append(outcome(case_id, "live", "not_supported", not_offered, details))
            pytest.skip(f"not supported: {not_offered}")
        try:
            verdict = check.judge(ctx)
        except CheckNotApplicable as why:
            self.outcomes.append(outcome(case_id, "live", "not_supported", str(why), details))
            pytest.skip(f"not supported: {why}")
        except RateLimited as error:
            message = f"{case_id}: {error}"
            self.outcomes.append(outcome(case_id, "live", "errored", message, details))
            pytest.fail(message, pytrace=False)
        except OSError as error:
            message = f"{case_id}: cannot reach {ctx.target.base_url}: {error}"
            self.outcomes.append(outcome(case_id, "live", "errored", message, details))
            pytest.fail(message, pytrace=False)
        except Exception as error:  # a check that cannot build its request: report, go on
            message = f"{case_id}: the check failed to run: {type(error).__name__}: {error}"
            self.outcomes.append(outcome(case_id, "live", "errored", message, details))
            pytest.fail(message, pytrace=False)
        if verdict.status == "failed":
            # The judge's typed verdict: "reason" when every request was refused, with another
            # code or status (the report's "reason code or status only").
            outcome = functools.partial(outcome, mismatch=verdict.mismatch, why=verdict.message,
                                        differs=verdict.differs)
            message = (f"{case_id}{level} ({ctx.target.url}, signer {LIVE_ADDRESS}):\n"
                       + "\n".join(verdict.lines))
            if expected_failure is not None:
                self.outcomes.append(
                    outcome(case_id, "live", "xfail", expected_failure.reason, details)
                )
                pytest.xfail(f"expected failure: {expected_failure.reason}")
            self.outcomes.append(outcome(case_id, "live", "failed", message, details))
            pytest.fail(message, pytrace=False)
        if expected_failure is not None:
            message = (f"{case_id}: listed as an expected failure ({expected_failure.reason}) "
                       "but it now passes: remove it from the expected-failures file")
            self.outcomes.append(outcome(case_id, "live", "xpass", message, details))
            pytest.fail(message, pytrace=False)
        self.outcomes.append(outcome(case_id, "live", "passed", "", details))


class ConformancePlugin:
    """Registered with ``pytest.main(plugins=[...])`` by the runner."""

    def __init__(self, options: SuiteOptions) -> None:
        self.options = options
        self.outcomes: list[CaseOutcome] = []
        self.all_case_ids: set[str] = set()
        self.selected_case_ids: set[str] = set()
        self.list_errors: list[str] = []
        self.header = ""
        # The report header (label, value), and what it says as JSON.
        self.header_fields: list[tuple[str, str]] = []
        self.run_info: dict[str, Any] = {"suite_version": suite_version}
        self.requirements: dict[str, Requirement] = {}

    # -- cases ---------------------------------------------------------------------------------

    def selected_cases(self) -> list[Case]:
        directory = self.options.vectors_dir or VECTORS_DIR
        cases = load_cases(directory)
        self.requirements.update(load_requirements(directory))
        self.run_info["vectors_sha256"] = vector_set_hash(directory)
        self.all_case_ids = {case.case_id for case in cases}
        wanted_profiles = set(self.options.profiles)
        selected = []
        for case in cases:
            if not set(case.profiles) <= wanted_profiles:
                continue
            ops = self.options.ops
            if ops is not None and case.op not in ops and case.row not in ops:
                continue
            selected.append(case)
        self.selected_case_ids = {case.case_id for case in selected}
        unknown = sorted(case_id for case_id in set(self.options.expected_failures)
                         - self.all_case_ids if not case_id.startswith("live/"))
        for case_id in unknown:
            self.list_errors.append(f"expected-failures lists {case_id!r}, which is no case")
        return selected

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "case" in metafunc.fixturenames:
            cases = self.selected_cases()
            metafunc.parametrize("case", cases, ids=[case.case_id for case in cases])
        if "live_check" in metafunc.fixturenames:
            checks = [
                (profile, check.name)
                for profile in self.options.profiles for check in checks_for(profile)
            ]
            live_ids = {f"live/{profile}/{name}" for profile, name in checks}
            for case_id in sorted(self.options.expected_failures):
                if case_id.startswith("live/") and case_id not in live_ids and not any(
                    case_id.startswith(f"live/{p}/chain_") for p in self.options.profiles
                ):
                    self.list_errors.append(
                        f"expected-failures lists {case_id!r}, which is no live check"
                    )
            metafunc.parametrize(
                "live_check", checks, ids=[f"live/{profile}/{name}" for profile, name in checks]
            )

    # -- fixtures ------------------------------------------------------------------------------

    def pytest_configure(self, config: pytest.Config) -> None:
        # The session fixtures below (module level: pytest deprecates fixtures defined as
        # methods of a plugin instance) find this plugin in the config's stash.
        config.stash[PLUGIN_KEY] = self

    def vector_session(self) -> Iterator[VectorRun]:
        run = VectorRun(self.options, self.outcomes, self.requirements)
        run.start()
        implementation = run.hello.get("implementation", {})
        if isinstance(implementation, dict):
            self.header = (
                f"implementation: {implementation.get('name')} {implementation.get('version')} "
                f"({implementation.get('language')}) via {self.options.adapter!r}; "
                f"capabilities {run.hello.get('capabilities')}"
            )
            self.header_fields.append(("implementation", self.header.split(": ", 1)[1]))
        # The adapter's declared posture (hello extension `posture`): how it maps the SDK's own
        # options (replay store, accepted postures, clock, ...) onto the protocol's policy.
        posture = run.hello.get("posture")
        self.run_info["posture"] = posture
        self.run_info["implementation"] = implementation
        self.run_info["profiles_declared"] = run.hello.get("profiles")
        self.header_fields.append(("posture", _posture_text(posture)))
        yield run
        run.close()

    def live_session(self) -> LiveRun:
        assert self.options.target is not None
        self.header += f"{'; ' if self.header else ''}live target: {self.options.target}"
        self.header_fields.append(("live target", self.options.target))
        self.run_info["live_target"] = self.options.target
        return LiveRun(self.options, self.outcomes, self.requirements, self.header_fields)

    # -- end of run ----------------------------------------------------------------------------

    def _summary(self) -> Summary:
        profiles = self.options.profiles
        return summarize(self.outcomes, self.requirements, self.list_errors,
                         profile=profiles[0] if len(profiles) == 1 else "",
                         strict=self.options.strict)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        # The exit status is the tiered verdict's (grouping.py): MUST violations and errors
        # fail the run; decisions and SHOULDs only with --strict.
        if session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
            session.exitstatus = (pytest.ExitCode.OK if self._summary().success
                                  else pytest.ExitCode.TESTS_FAILED)

    def _suite_line(self) -> tuple[str, str]:
        vectors = self.run_info.get("vectors_sha256")
        selection = (f"profiles {', '.join(self.options.profiles)}"
                     f"{'; strict' if self.options.strict else ''}")
        vectors_text = f"; vectors sha256:{vectors[:16]}" if isinstance(vectors, str) else ""
        return ("suite", f"erc8128 {suite_version}{vectors_text}; {selection}")

    def _header(self) -> list[tuple[str, str]]:
        self.run_info["profiles_selected"] = list(self.options.profiles)
        self.run_info["strict"] = self.options.strict
        texts = {profile: _profile_text_commit(profile) for profile in self.options.profiles}
        self.run_info["profile_texts"] = texts
        vectors = self.run_info.get("vectors_sha256")
        lines = [*self.header_fields, self._suite_line()]
        if isinstance(vectors, str):
            lines.append(("vector set sha256", vectors))
        lines.append(("profile text", "; ".join(
            f"{profile}: ERC-8128 at commit {commit}" for profile, commit in texts.items())))
        return lines

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        summary = self._summary()
        header = self._header()
        if self.options.report_json is not None:
            document = {
                "header": self.header,
                "run": self.run_info,
                "success": summary.success,
                "verdict": summary.verdict,
                "summary": summary.to_json(),
                "list_errors": self.list_errors,
                "requirements": {key: r.to_json() for key, r in self.requirements.items()},
                "outcomes": [outcome.to_json() for outcome in self.outcomes],
            }
            self.options.report_json.write_text(
                json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
            )
        if self.options.html is not None:
            self.options.html.write_text(
                render_html(summary, header, self.outcomes, self.list_errors), encoding="utf-8"
            )

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        write = terminalreporter.write_line
        terminalreporter.section("ERC-8128 conformance")
        summary = self._summary()
        header = self._header()
        if self.options.expected_failures:
            listed_here = len(set(self.options.expected_failures) & self.selected_case_ids)
            header.append(("expected failures listed",
                           f"{len(self.options.expected_failures)} ({listed_here} in this "
                           "selection)"))
        for line in format_first_screen(summary, header).splitlines():
            write(line)
        write("")
        for line in format_table(self.outcomes).splitlines():
            write(line)
        for error in self.list_errors:
            write(f"ERROR: {error}")
        write(f"result: {summary.verdict}")


PLUGIN_KEY: Final = pytest.StashKey[ConformancePlugin]()


@pytest.fixture(scope="session")
def vector_run(pytestconfig: pytest.Config) -> Iterator[VectorRun]:
    """The adapter session of ``suite_vectors.py`` (started once, closed at the end)."""
    yield from pytestconfig.stash[PLUGIN_KEY].vector_session()


@pytest.fixture(scope="session")
def live_run(pytestconfig: pytest.Config) -> LiveRun:
    """The live-server session of ``suite_live.py``."""
    return pytestconfig.stash[PLUGIN_KEY].live_session()
