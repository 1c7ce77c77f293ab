"""Judging one adapter response against one step of a case (vectors/README.md, step 4).

- ``valid``: the operation must succeed and reproduce every expected output field;
  ``sign_request`` is judged by what was signed (``signing_check.py``, SPEC.md D47), and byte
  equality with the reference is reported beside it as the "canonical form".
- ``invalid``: the operation must fail; for ``verify_request`` (and replay steps) the reason and
  the HTTP status must be the vector's, for other operations a different reason is a note only.
- ``acceptable`` (issue 21 item 6, as Wycheproof): a project decision that contradicts explicit
  text. Our outcome passes, and so does the text's outcome when the vector names it
  (``textOutcome``; the verdict then says ``acceptable`` = the decision); with ``strict`` only
  ours passes.
- ``unsupported`` answers are "not supported", never passed.

Every answer, whatever the mode, is judged into one typed :class:`StepVerdict`: vector answers
here (:func:`judge_step`), a live server's accept/refuse answers through :func:`judge_answer`
and its problems (:class:`Finding`) through :func:`judge_findings`, signed requests through
``signing_check.py``. A failure says what kind of wrong it is (``mismatch``), names the check
that failed (:class:`FailedCheck`, typed by :class:`CheckKind`) and the reason code answered
(``answered``), and shows the field that differs (``differs``), so the report never classifies
a failure by the words of its message.

Comparisons are type-exact (JSON ``true`` is not ``1``, ``1.0`` is not ``1``).
"""

import base64
import binascii
import enum
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, Literal

from erc8128.crypto.personal_sign import recover_address
from erc8128.errors import Erc8128Error
from erc8128_conformance.adapter_client import Response
from erc8128_conformance.cases import Step
from erc8128_conformance.signing_check import (
    FIXED_BYTES_FLAGS,
    SigningCheck,
    address_of_key,
    check_signed_request,
)

__all__ = [
    "ADAPTER_REASONS",
    "REASON_ONLY",
    "Answer",
    "CheckKind",
    "FailedCheck",
    "Finding",
    "Mismatch",
    "Status",
    "StepVerdict",
    "first_difference",
    "json_equal",
    "judge_answer",
    "judge_findings",
    "judge_step",
]

Status = Literal["passed", "failed", "not_supported"]
# What kind of wrong a failure is: the accept/reject decision ("outcome"), only the reason code
# or the HTTP status of a right rejection ("reason"), an output field ("output"), or only the
# bytes of a signature whose bytes the text fixes ("canonical").
Mismatch = Literal["", "outcome", "reason", "output", "canonical"]

# Reason codes an adapter uses for its own troubles, never an implementation's verdict.
ADAPTER_REASONS: Final = frozenset(
    {"adapter_bad_json", "adapter_bad_request", "adapter_internal"}
)


class CheckKind(enum.Enum):
    """What kind of check failed (the report's root cause is the check, not the case's rule)."""

    REFUSED = "refused"  # a request it must accept was refused (code: the refusal's)
    ANSWERED = "answered"  # a right refusal with another reason code or status (code: answered)
    SIGNER = "signer"  # a check of what a signer signed (signing_check.py; name: the check)
    ADAPTER = "adapter"  # the adapter's own error code where a verdict was due (code: that code)
    ERRORED = "errored"  # the adapter or the server misbehaved (name: how, e.g. adapter timeout)


@dataclass(frozen=True)
class FailedCheck:
    """The check that failed: its kind, its name (signer and errored checks) and the reason
    code involved (the refusal, the code answered, the reference verifier's refusal)."""

    kind: CheckKind
    name: str = ""
    code: str = ""

    @property
    def key(self) -> str:
        """The stable word that names it in reports (``answered-bad_signature``,
        ``signer-parameter-keyid``, ``signer-verifier-bad_content_digest``, ``adapter timeout``)."""
        if self.kind is CheckKind.ERRORED:
            return self.name
        if self.kind is CheckKind.SIGNER:
            return "-".join(("signer", self.name, *((self.code,) if self.code else ())))
        return f"{self.kind.value}-{self.code}"


@dataclass(frozen=True)
class StepVerdict:
    status: Status
    message: str = ""  # why it failed, or why it is not supported
    note: str = ""  # passed, with a remark (e.g. another reason code for a non-verify op)
    mismatch: Mismatch = ""  # failed: what kind of wrong
    canonical: str = ""  # sign_request passed: how the bytes differ from the reference's
    failed_check: FailedCheck | None = None  # failed: the check that failed (None: the rule's)
    answered: str = ""  # the reason code the implementation answered ("" : it accepted)
    rule: str = ""  # failed: the requirement id of the failed check, when not the case's
    acceptable: str = ""  # passed with the text's outcome instead of this decision (e.g. "D5")
    differs: str = ""  # failed: the field that differs, expected and got, on one line
    lines: tuple[str, ...] = ()  # failed (live): every problem, one line each

    @property
    def check(self) -> str:
        """The failed check's stable word ("" : the case's own rule)."""
        return self.failed_check.key if self.failed_check is not None else ""


# The label of a live problem whose request was refused, with another code or status (the
# report's "reason code or status only" group); display only, the kind is Finding.mismatch.
REASON_ONLY: Final = "reason/status only: "


@dataclass(frozen=True)
class Finding:
    """One problem with a live server's answers: what kind of wrong it is (``outcome``: the
    accept/refuse decision; ``reason``: refused, with another code, status or response form),
    the line that says it, and the field that differs (default: the line)."""

    mismatch: Literal["outcome", "reason"]
    text: str
    field: str = ""

    @property
    def line(self) -> str:
        return (REASON_ONLY if self.mismatch == "reason" else "") + self.text


def judge_findings(findings: Sequence[Finding]) -> StepVerdict:
    """The verdict on a live check's findings: passed when there are none; a reason-only
    failure when every finding is one (the request was refused each time), else an outcome
    failure."""
    if not findings:
        return StepVerdict("passed")
    lines = tuple(finding.line for finding in findings)
    reason_only = all(finding.mismatch == "reason" for finding in findings)
    return StepVerdict("failed", "; ".join(lines), mismatch="reason" if reason_only else "outcome",
                       differs=findings[0].field or findings[0].text, lines=lines)


@dataclass(frozen=True)
class Answer:
    """What an implementation answered to one request, in any mode: accepted, or refused with
    a reason code and an HTTP status (live: from the ``WWW-Authenticate`` challenge)."""

    accepted: bool
    reason: str = ""
    status: int | None = None


def judge_answer(
    answer: Answer,
    *,
    accept: bool,
    reason: str | None = None,
    status: int | None = None,
    text_outcome: Answer | None = None,
    decision: str = "",
    strict: bool = False,
) -> StepVerdict:
    """The verdict on one accept/refuse answer (live mode's entry point; vector ``verify_request``
    steps are judged by the same rules).

    ``accept``: whether the request must be accepted; ``reason`` / ``status``: the refusal that
    is due (None: any). ``text_outcome`` with ``decision``: the profile's text wants another
    outcome than this project's decision; without ``strict`` that outcome passes too (reported as
    ``acceptable``)."""
    verdict = _judge_answer(answer, accept, reason, status)
    if verdict.status == "passed" or strict or text_outcome is None:
        return verdict
    text = _judge_answer(answer, text_outcome.accepted, text_outcome.reason or None,
                         text_outcome.status)
    if text.status == "passed":
        return StepVerdict("passed", note=f"the text's outcome, not decision {decision}",
                           answered=answer.reason, acceptable=decision or "decision")
    return verdict


def _judge_answer(answer: Answer, accept: bool, reason: str | None, status: int | None
                  ) -> StepVerdict:
    if accept and not answer.accepted:
        message = f"expected acceptance, got refusal {answer.reason!r}"
        return StepVerdict("failed", message, mismatch="outcome", failed_check=FailedCheck(
            CheckKind.REFUSED, code=answer.reason or "unknown"), answered=answer.reason,
            differs=f"result: {message}")
    if not accept and answer.accepted:
        message = f"expected refusal {reason!r}, got acceptance"
        return StepVerdict("failed", message, mismatch="outcome", differs=f"result: {message}")
    if not accept:
        problems = []
        if reason is not None and answer.reason != reason:
            problems.append(f"reason: expected {reason!r}, got {answer.reason!r}")
        if status is not None and answer.status != status:
            problems.append(f"status: expected {status}, got {answer.status}")
        if problems:
            return StepVerdict("failed", "rejected as expected, but " + "; ".join(problems),
                               mismatch="reason", failed_check=FailedCheck(
                                   CheckKind.ANSWERED, code=answer.reason),
                               answered=answer.reason, differs="; ".join(problems))
        return StepVerdict("passed", answered=answer.reason)
    return StepVerdict("passed")


def json_equal(left: Any, right: Any) -> bool:
    """Equality of JSON values that keeps booleans, integers and numbers with a fraction apart."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, int) and isinstance(right, int):
        return left == right
    if isinstance(left, float) or isinstance(right, float):
        return type(left) is type(right) and left == right
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(json_equal, left, right))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(json_equal(left[k], right[k]) for k in left)
    return type(left) is type(right) and left == right


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _canonical_covered(value: Any) -> Any:
    """``covered`` with bare names (``@path``) written as serialised identifiers
    (``"@path"``): the protocol accepts both spellings of a parameterless component."""
    if not isinstance(value, list):
        return value
    return [
        f'"{entry}"' if isinstance(entry, str) and not entry.startswith('"') else entry
        for entry in value
    ]


def _field_map(headers: Any) -> Any:
    """A header list as HTTP semantics sees it: names case-insensitive, the lines of one name
    combined in order, different names in any order. RFC 9110 §5.3: "the order in which field
    lines with differing field names are received in a section is not significant"."""
    if not isinstance(headers, list):
        return headers
    lines: dict[str, list[str]] = {}
    for line in headers:
        if not (isinstance(line, list) and len(line) == 2 and all(map(_is_str, line))):
            return headers
        lines.setdefault(line[0].lower(), []).append(line[1])
    # RFC 9110 §5.3: "A recipient MAY combine multiple field lines within a field section that
    # have the same field name into one field line [...] in order, into one field value,
    # separated by a comma".
    return {name: ", ".join(values) for name, values in lines.items()}


def _is_str(value: object) -> bool:
    return isinstance(value, str)


def _compare_outputs(
    expected: dict[str, Any], got: dict[str, Any], skip: frozenset[str] = frozenset()
) -> list[str]:
    problems = []
    for key, value in expected.items():
        if key in skip:
            continue
        if key not in got:
            problems.append(f"{key}: expected {_show(value)}, got nothing")
        elif (key == "covered" and json_equal(
            _canonical_covered(value), _canonical_covered(got[key])
        )) or (key == "headers" and json_equal(_field_map(value), _field_map(got[key]))):
            continue
        elif not json_equal(value, got[key]):
            problems.append(f"{key}: expected {_show(value)}, got {_show(got[key])}")
    return problems


# How much of a long value the "differs" line shows around the first character that differs.
_EXCERPT: Final = 60


def _excerpt(text: str, at: int) -> str:
    """``text`` shown from a little before ``at`` (its first differing character)."""
    if len(text) <= _EXCERPT:
        return _show(text)
    start = max(0, min(at - 20, len(text) - _EXCERPT))
    end = start + _EXCERPT
    return ("..." if start else "") + _show(text[start:end]) + ("..." if end < len(text) else "")


def _common_prefix(left: str, right: str) -> int:
    size = min(len(left), len(right))
    return next((i for i in range(size) if left[i] != right[i]), size)


def _brief(value: Any) -> str:
    text = _show(value)
    return text if len(text) <= _EXCERPT else text[:_EXCERPT] + f"... ({len(text)} characters)"


def first_difference(expected: Any, got: Any, path: str) -> str:
    """Where two JSON values first differ, on one line: ``path: expected X, got Y``, following
    objects and lists down to the first differing member and showing a long string from its
    first differing character (the first screen's ``why``)."""
    if isinstance(expected, dict) and isinstance(got, dict):
        for key in [*expected, *(k for k in got if k not in expected)]:
            if key not in got:
                return f"{path}.{key}: expected {_brief(expected[key])}, got nothing"
            if key not in expected:
                return f"{path}.{key}: expected nothing, got {_brief(got[key])}"
            if not json_equal(expected[key], got[key]):
                return first_difference(expected[key], got[key], f"{path}.{key}")
    if isinstance(expected, list) and isinstance(got, list):
        for index, (left, right) in enumerate(zip(expected, got, strict=False)):
            if not json_equal(left, right):
                return first_difference(left, right, f"{path}[{index}]")
        if len(expected) != len(got):
            return f"{path}: expected {len(expected)} entries, got {len(got)}"
    if isinstance(expected, str) and isinstance(got, str):
        at = _common_prefix(expected, got)
        where = (f" (they differ from character {at + 1})"
                 if max(len(expected), len(got)) > _EXCERPT else "")
        return f"{path}: expected {_excerpt(expected, at)}, got {_excerpt(got, at)}{where}"
    return f"{path}: expected {_brief(expected)}, got {_brief(got)}"


def _output_difference(expected: dict[str, Any], got: dict[str, Any],
                       skip: frozenset[str] = frozenset()) -> str:
    """The first output field that differs (as :func:`_compare_outputs` compares them)."""
    for key, value in expected.items():
        if key in skip:
            continue
        if key not in got:
            return f"{key}: expected {_brief(value)}, got nothing"
        if key == "covered":
            want, have = _canonical_covered(value), _canonical_covered(got[key])
        elif key == "headers":
            want, have = _field_map(value), _field_map(got[key])
        else:
            want, have = value, got[key]
        if not json_equal(want, have):
            return first_difference(want, have, key)
    return ""


def _recovers_to(message_hash_hex: str, signature_hex: object, address: str) -> bool:
    """Whether a (non-deterministic) signature recovers to ``address`` (our strict recovery)."""
    if not isinstance(signature_hex, str):
        return False
    try:
        return recover_address(bytes.fromhex(message_hash_hex), bytes.fromhex(signature_hex)) == (
            address
        )
    except (Erc8128Error, ValueError):
        return False


_SIGNATURE_MEMBER: Final = re.compile(r"\s*([a-z*][a-z0-9_.*-]*)=:([A-Za-z0-9+/=]*):\s*")


def _signature_members(value: object) -> list[tuple[str, str]] | None:
    """A combined ``Signature`` field value as (label, signature hex) pairs, in order."""
    if not isinstance(value, str):
        return None
    members = []
    for text in value.split(","):
        match = _SIGNATURE_MEMBER.fullmatch(text)
        if match is None:
            return None
        try:
            members.append((match.group(1), base64.b64decode(match.group(2), validate=True).hex()))
        except (binascii.Error, ValueError):
            return None
    return members


def _randomised_signature_problems(step: Step, got: dict[str, Any]) -> list[str] | None:
    """Outputs of a signer without the ``rfc6979`` capability: everything but the new
    signature's bytes must match, and the new signature must recover to the signer.
    None: not applicable."""
    if step.op == "sign_message":
        hash_hex, address = step.intermediates.get("hash_hex"), step.intermediates.get("address")
        if not isinstance(hash_hex, str) or not isinstance(address, str):
            return None
        if _recovers_to(hash_hex, got.get("signature_hex"), address):
            return []
        return [f"signature_hex {_show(got.get('signature_hex'))} does not recover to {address}"]
    if step.op == "sign_request":
        hash_hex = step.intermediates.get("message_hash_hex")
        address = address_of_key(step.fields)
        if not isinstance(hash_hex, str) or address is None:
            return None
        want, have = _field_map(step.expected.get("headers")), _field_map(got.get("headers"))
        if not isinstance(want, dict) or not isinstance(have, dict):
            return [f"headers: expected {_show(step.expected.get('headers'))}, got "
                    f"{_show(got.get('headers'))}"]
        problems = [
            f"{name}: expected {_show(want.get(name))}, got {_show(have.get(name))}"
            for name in sorted(set(want) | set(have))
            if name != "signature" and want.get(name) != have.get(name)
        ]
        label = step.fields.get("label") or "eth"
        want_members = _signature_members(want.get("signature"))
        have_members = _signature_members(have.get("signature"))
        if want_members is None or have_members is None or (
            [name for name, _ in want_members] != [name for name, _ in have_members]
        ):
            problems.append(f"signature: expected {_show(want.get('signature'))}, got "
                            f"{_show(have.get('signature'))}")
            return problems
        for (name, want_hex), (_, have_hex) in zip(want_members, have_members, strict=True):
            # Signatures already on the request are kept byte for byte; the new one recovers.
            if name != label and want_hex != have_hex:
                problems.append(f"signature {name}: expected {want_hex}, got {have_hex}")
            if name == label and not _recovers_to(hash_hex, have_hex, address):
                problems.append(f"signature {name}={have_hex} does not recover to {address}")
        return problems
    return None


def _judge_valid(
    step: Step, response: Response, deterministic: bool, flags: tuple[str, ...] = ()
) -> StepVerdict:
    if response.kind == "error":
        reason = response.body.get("reason")
        answered = reason if isinstance(reason, str) else ""
        return StepVerdict(
            "failed", f"expected success, got error {_show(response.body)}", mismatch="outcome",
            failed_check=FailedCheck(CheckKind.REFUSED, code=answered or "unknown"),
            answered=answered, differs=f"result: expected success, got error {_brief(reason)}",
        )
    problems = None if deterministic else _randomised_signature_problems(step, response.body)
    randomised = problems is not None
    if problems is None:
        problems = _compare_outputs(step.expected, response.body)
    if step.op == "sign_request":
        if deterministic:
            problems = _field_differences(
                step.expected.get("headers"), response.body.get("headers")
            )
        return _judge_signed(step, response, problems, flags)
    if problems:
        differs = problems[0] if randomised else _output_difference(step.expected, response.body)
        return StepVerdict("failed", "; ".join(problems), mismatch="output",
                           differs=differs or problems[0])
    return StepVerdict("passed")


def _field_differences(expected: Any, got: Any) -> list[str]:
    """The fields (as HTTP sees them) whose values differ, one entry each."""
    want, have = _field_map(expected), _field_map(got)
    if not isinstance(want, dict) or not isinstance(have, dict):
        return [] if json_equal(want, have) else [f"headers: expected {_show(expected)}"]
    return [
        f"{name}: expected {_show(want.get(name))}, got {_show(have.get(name))}"
        for name in sorted(set(want) | set(have))
        if want.get(name) != have.get(name)
    ]


def _judge_signed(
    step: Step, response: Response, byte_problems: list[str], flags: tuple[str, ...]
) -> StepVerdict:
    """sign_request: semantic check first, the canonical form (bytes) beside it."""
    reference_input = step.intermediates.get("signature_input")
    check = check_signed_request(
        step.fields, response.body, reference_input if isinstance(reference_input, str) else None
    )
    if check.problems:
        profile = step.fields.get("profile")
        return StepVerdict(
            "failed", "; ".join(check.messages), mismatch="output",
            failed_check=_signer_check(check), differs=check.messages[0],
            rule=check.rule(profile if isinstance(profile, str) else "") or "",
        )
    if not byte_problems:
        return StepVerdict("passed")
    canonical = "; ".join(byte_problems)
    fixed = sorted(FIXED_BYTES_FLAGS & set(flags))
    if fixed:
        headers = _field_map(step.expected.get("headers")), _field_map(
            response.body.get("headers"))
        return StepVerdict(
            "failed", f"the signed request verifies, but the text fixes these bytes "
            f"(flag {', '.join(fixed)}): {canonical}", mismatch="canonical",
            differs=first_difference(*headers, "headers"),
        )
    return StepVerdict("passed", note="verifies; canonical form differs", canonical=canonical)


def _signer_check(check: SigningCheck) -> FailedCheck:
    """The first signing check that failed (the reference verifier's refusal as its code)."""
    problem = check.problems[0]
    return FailedCheck(CheckKind.SIGNER, problem.check, problem.reason)


def _reason_difference(expected: dict[str, Any], got: dict[str, Any]) -> str:
    """A right refusal's code and status, each that differs (``reason: expected X, got Y``)."""
    return "; ".join(
        f"{key}: expected {_brief(expected[key])}, got {_brief(got.get(key))}"
        for key in ("reason", "status") if key in expected and not json_equal(expected[key],
                                                                              got.get(key))
    ) or _output_difference(expected, got, frozenset({"detail"}))


def _judge_invalid(step: Step, response: Response, reason_checked: bool) -> StepVerdict:
    if response.kind == "ok":
        return StepVerdict(
            "failed",
            f"expected error {_show(step.expected)}, got success {_show(response.body)}",
            mismatch="outcome",
            differs=f"result: expected error {_brief(step.expected.get('reason'))}, got success",
        )
    reason = response.body.get("reason")
    answered = reason if isinstance(reason, str) else ""
    if reason in ADAPTER_REASONS:
        return StepVerdict(
            "failed", f"expected the implementation to reject the input, got adapter error "
            f"{_show(response.body)}", mismatch="outcome",
            failed_check=FailedCheck(CheckKind.ADAPTER, code=answered),
            differs=f"result: expected the implementation's refusal, got adapter error "
                    f"{_brief(reason)}",
        )
    if reason_checked:
        problems = _compare_outputs(step.expected, response.body, frozenset({"detail"}))
        if problems:
            # The decision (reject) is right; the stable code or the HTTP status is not.
            return StepVerdict(
                "failed", "rejected as expected, but " + "; ".join(problems), mismatch="reason",
                failed_check=FailedCheck(CheckKind.ANSWERED, code=answered), answered=answered,
                differs=_reason_difference(step.expected, response.body),
            )
        return StepVerdict("passed", answered=answered)
    want = step.expected.get("reason")
    if want is not None and reason != want:
        return StepVerdict("passed", note=f"rejected with {reason!r} (reference: {want!r})",
                           answered=answered)
    return StepVerdict("passed", answered=answered)


def _judge_text_outcome(step: Step, response: Response, reason_checked: bool) -> StepVerdict:
    """An ``acceptable`` step judged against the text's outcome (``step.text_outcome``)."""
    text = step.text_outcome or {}
    if text.get("result") == "valid":
        if response.kind != "ok":
            return StepVerdict("failed", "not the text's outcome either", mismatch="outcome",
                               differs="result: expected success (the text's outcome), got "
                                       f"error {_brief(response.body.get('reason'))}")
        if step.op == "sign_request":
            # Accepted instead of refused: what was signed must still be right (its own
            # keyid, created and expires, verified by the reference verifier).
            check = check_signed_request(step.fields, response.body, None)
            if check.problems:
                return StepVerdict("failed", "; ".join(check.messages), mismatch="output",
                                   failed_check=_signer_check(check),
                                   differs=check.messages[0])
            return StepVerdict("passed")
        outputs = {key: value for key, value in text.items()
                   if key not in ("result", "requirement", "why")}
        problems = _compare_outputs(outputs, response.body)
        if problems:
            return StepVerdict("failed", "; ".join(problems), mismatch="output",
                               differs=_output_difference(outputs, response.body) or problems[0])
        return StepVerdict("passed")
    expected = {key: text[key] for key in ("reason", "status") if key in text}
    return _judge_invalid(replace(step, result="invalid", expected=expected), response,
                          reason_checked)


def judge_step(
    step: Step,
    response: Response,
    *,
    reason_checked: bool,
    deterministic: bool,
    strict: bool,
    flags: tuple[str, ...] = (),
) -> StepVerdict:
    """The verdict on one step (``deterministic``: the adapter has capability ``rfc6979``;
    ``flags``: the case's vector flags)."""
    if response.kind == "unsupported":
        detail = response.body.get("detail") or "the adapter answered unsupported"
        return StepVerdict("not_supported", str(detail))
    result = step.result
    if result == "acceptable":
        # Our outcome (a reason means the reference rejects it).
        ours = "invalid" if "reason" in step.expected else "valid"
        ours_step = replace(step, result=ours)
        verdict = (_judge_valid(ours_step, response, deterministic, flags) if ours == "valid"
                   else _judge_invalid(ours_step, response, reason_checked))
        if verdict.status == "passed" or strict:
            return verdict
        if step.text_outcome is None:
            # No text's outcome named: either outcome conforms (Wycheproof "acceptable").
            return StepVerdict("passed", note=f"acceptable; answered {response.kind}")
        text = _judge_text_outcome(step, response, reason_checked)
        if text.status != "passed":
            # Took the text's route but got it wrong (e.g. signed, obeying an override): that
            # is the check that failed; otherwise ours is.
            took_route = (response.kind == "ok") == (step.text_outcome.get("result") == "valid")
            return text if took_route and text.check else verdict
        decision = step.decision or "decision"
        return StepVerdict("passed", note=f"the text's outcome, not {decision}",
                           answered=text.answered, acceptable=decision)
    if result == "valid":
        return _judge_valid(step, response, deterministic, flags)
    return _judge_invalid(step, response, reason_checked)
