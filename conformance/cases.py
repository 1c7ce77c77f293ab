"""Conformance cases: the JSON vectors (``erc8128_vectors``) as adapter requests plus expectations.

A vectors file is Wycheproof-shaped (vectors/README.md "Writing a runner"): ``testGroups`` of
``tests``, a group ``type`` naming the operation, group-wide ``profile`` / ``policy`` applying to
every test that has none of its own. Each test becomes one :class:`Case` with a stable id
``<file stem>/<tcId>`` and one or more :class:`Step` (a ``replay.json`` test is a sequence of
``verify_request`` steps against one fresh replay session; a ``verify_request.json`` test with
``prior`` requests runs them first, in one fresh replay session, and they must succeed).

Requirement data (SPEC.md D46): a vectors file's top-level ``requirements`` object maps a
requirement id to ``{kind, ref, level, quote}`` (``kind`` ``profile`` / ``rfc`` / ``decision``)
and every test names its rule in ``requirement``. A test without one falls back to its
``decision`` field (a SPEC.md decision number); a test with neither is "unclassified".

The vendored httpwg structured-field tests (``third_party/structured-field-tests``) are cases
too: ``sf_parse`` of ``raw`` (``must_fail`` → invalid, ``can_fail`` → acceptable), and
``sf_serialize`` of ``expected`` back to ``canonical``.
"""

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

__all__ = [
    "OPERATION_TABLE",
    "REQUIREMENT_KINDS",
    "Case",
    "OpSpec",
    "Requirement",
    "Step",
    "load_cases",
    "load_requirements",
    "load_sf_cases",
    "load_vector_cases",
    "vector_set_hash",
]

METADATA: Final = frozenset(
    {"tcId", "comment", "flags", "result", "reason", "detail", "decision", "draftRow", "status",
     "requirement", "textOutcome"}
)
REQUIREMENT_KINDS: Final = ("profile", "rfc", "decision")


@dataclass(frozen=True)
class Requirement:
    """The rule a case tests: whose it is (``kind``), where (``ref``), how strongly
    (``level``: MUST, SHOULD, ..., DECISION) and the sentence itself (``quote``)."""

    req_id: str
    kind: str
    ref: str
    level: str
    quote: str = ""

    def to_json(self) -> dict[str, str]:
        return {"id": self.req_id, "kind": self.kind, "ref": self.ref, "level": self.level,
                "quote": self.quote}


@dataclass(frozen=True)
class OpSpec:
    """How one group type maps onto an adapter operation."""

    op: str
    inputs: tuple[str, ...]  # request fields, taken from the test, else from its group
    outputs: tuple[str, ...]  # fields a valid outcome must reproduce
    intermediates: tuple[str, ...] = ()  # shown on failure, to locate a divergence
    reason_checked: bool = False  # invalid: reason (and status) must equal the vector's


_VERIFY_OUTPUTS: Final = (
    "address",
    "chain_id",
    "keyid",
    "label",
    "replayable",
    "request_bound",
    "covered",
    "nonce_consumed",
)
_VERIFY_INTERMEDIATES: Final = (
    "signature_base",
    "message_hash_hex",
    "recovered_address",
    "content_digest",
)

# vectors/README.md, "Operations and fields".
OPERATION_TABLE: Final[dict[str, OpSpec]] = {
    "Keccak256Test": OpSpec("keccak256", ("data_hex",), ("digest_hex",)),
    "PersonalMessageHashTest": OpSpec(
        "personal_message_hash", ("message_hex",), ("hash_hex",), ("prefixed_hex",)
    ),
    "PersonalSignTest": OpSpec(
        "sign_message", ("private_key_hex", "message_hex"), ("signature_hex",),
        ("hash_hex", "address"),
    ),
    "RecoverAddressTest": OpSpec(
        "recover_address", ("hash_hex", "signature_hex", "strict"), ("address",)
    ),
    "KeyIdTest": OpSpec("parse_keyid", ("profile", "keyid"), ("chain_id", "address")),
    "ContentDigestCreateTest": OpSpec("content_digest", ("body_hex", "algorithms"), ("value",)),
    "ContentDigestVerifyTest": OpSpec(
        "verify_content_digest", ("body_hex", "value"), (), ("matched",)
    ),
    "SignatureBaseTest": OpSpec("signature_base", ("request", "label"), ("base",)),
    "SignRequestTest": OpSpec(
        "sign_request",
        (
            "profile", "request", "private_key_hex", "chain_id", "created", "expires", "nonce",
            "label", "components", "params",
        ),
        ("headers",),
        ("keyid", "signature_input", "signature_base", "message_hash_hex", "signature_hex"),
    ),
    "VerifyRequestTest": OpSpec(
        "verify_request", ("profile", "request", "now", "policy"), _VERIFY_OUTPUTS,
        _VERIFY_INTERMEDIATES, reason_checked=True,
    ),
    "ReplaySequenceTest": OpSpec(
        "verify_request", ("profile", "request", "now", "policy"), _VERIFY_OUTPUTS,
        _VERIFY_INTERMEDIATES, reason_checked=True,
    ),
    # httpwg/structured-field-tests (README "Test Format").
    "SfParseTest": OpSpec("sf_parse", ("header_type", "raw"), ("value",)),
    "SfSerializeTest": OpSpec("sf_serialize", ("header_type", "value"), ("serialized",)),
}


@dataclass(frozen=True)
class Step:
    """One adapter request and what it must answer."""

    op: str
    fields: dict[str, Any]  # the request without seq/op
    result: str  # valid / invalid / acceptable
    expected: dict[str, Any]  # output fields (valid) or reason/status (invalid)
    intermediates: dict[str, Any] = field(default_factory=dict)
    # acceptable: the outcome the profile's text wants instead of ours (``textOutcome``:
    # {"result", "reason", "status", "requirement"}), and the decision that departs from it.
    text_outcome: dict[str, Any] | None = None
    decision: str = ""


@dataclass(frozen=True)
class Case:
    """One test: an id, the operation's row in the report, its steps."""

    case_id: str
    source: str  # the vectors file (or third-party file) it comes from
    group_type: str
    op: str
    row: str  # row of the per-operation table ("replay" for sequences)
    profiles: tuple[str, ...]  # profiles the case needs; () when profile-independent
    result: str
    comment: str
    flags: tuple[str, ...]
    steps: tuple[Step, ...]
    reason_checked: bool
    replay_session: str | None = None  # sequences: reset, then every step in this session
    test: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    requirement: str | None = None  # the id of the rule it tests; None: unclassified


def _profiles_of(fields: dict[str, Any]) -> tuple[str, ...]:
    profile = fields.get("profile")
    if isinstance(profile, str):
        return (profile,)
    policy = fields.get("policy")
    if isinstance(policy, dict) and isinstance(policy.get("profiles"), list):
        return tuple(str(name) for name in policy["profiles"])
    return ()


def _step(spec: OpSpec, source: dict[str, Any], group: dict[str, Any], result: str) -> Step:
    fields: dict[str, Any] = {}
    for name in spec.inputs:
        if name in source:
            fields[name] = source[name]
        elif name in group:
            fields[name] = group[name]
    if result == "invalid" or ("reason" in source and result == "acceptable"):
        outcome_keys: tuple[str, ...] = ("reason", "status", "detail")
        expected = {key: source[key] for key in outcome_keys if key in source}
    else:
        expected = {key: source[key] for key in spec.outputs if key in source}
    intermediates = {key: source[key] for key in spec.intermediates if key in source}
    text_outcome = source.get("textOutcome")
    decision = source.get("decision")
    return Step(spec.op, fields, result, expected, intermediates,
                text_outcome if isinstance(text_outcome, dict) else None,
                decision if isinstance(decision, str) else "")


def _tests(document: dict[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for group in document.get("testGroups", []):
        for test in group.get("tests", []):
            yield group, test


def load_vector_cases(path: Path) -> list[Case]:
    """Every test of one vectors file as a Case (group types not in the table are ignored)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    stem = path.name.removesuffix(".json")
    cases: list[Case] = []
    for group, test in _tests(document):
        group_type = group.get("type", "")
        spec = OPERATION_TABLE.get(group_type)
        if spec is None:
            continue
        result = test["result"]
        case_id = f"{stem}/{test['tcId']}"
        if group_type == "ReplaySequenceTest":
            steps = tuple(
                _step(spec, {**_step_defaults(test), "decision": test.get("decision"), **step},
                      group, step.get("result", result))
                for step in test["steps"]
            )
            profiles = _profiles_of({**group, **test, **test["steps"][0]})
            session: str | None = case_id
            row = "replay"
        elif test.get("prior"):
            # Requests verified first in the same replay state (their outcome must be success),
            # e.g. the first use of a nonce before a `nonce_reused` test.
            prior_steps = tuple(
                _step(spec, {**_step_defaults(test), **prior}, group, "valid")
                for prior in test["prior"]
            )
            steps = (*prior_steps, _step(spec, test, group, result))
            profiles = _profiles_of({**group, **test})
            session = case_id
            row = spec.op
        else:
            steps = (_step(spec, test, group, result),)
            profiles = _profiles_of({**group, **test})
            session = None
            row = spec.op
        cases.append(
            Case(
                case_id=case_id,
                source=path.name,
                group_type=group_type,
                op=spec.op,
                row=row,
                profiles=profiles,
                result=result,
                comment=test.get("comment", ""),
                flags=tuple(test.get("flags", [])),
                steps=steps,
                reason_checked=spec.reason_checked,
                replay_session=session,
                test=test,
                requirement=_requirement_id(test),
            )
        )
    return cases


def _requirement_id(test: dict[str, Any]) -> str | None:
    requirement = test.get("requirement")
    if isinstance(requirement, str) and requirement:
        return requirement
    decision = test.get("decision")
    if isinstance(decision, str) and decision:
        return decision  # a SPEC.md decision number, e.g. "D16"
    return None


def _requirement(req_id: str, raw: object) -> Requirement | None:
    if not isinstance(raw, dict):
        return None
    kind, ref, level, quote = (raw.get(key) for key in ("kind", "ref", "level", "quote"))
    if kind not in REQUIREMENT_KINDS or not isinstance(ref, str) or not isinstance(level, str):
        return None
    return Requirement(req_id, kind, ref, level, quote if isinstance(quote, str) else "")


def load_requirements(vectors_dir: Path) -> dict[str, Requirement]:
    """Every requirement the vectors files define, by id (the first definition of an id wins;
    a malformed entry is left out, so its cases count as unclassified). A ``decision`` field
    without a ``requirement`` becomes a requirement of kind ``decision`` of its own."""
    table: dict[str, Requirement] = {}
    for path in sorted(vectors_dir.glob("*.json")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError):
            continue
        if not isinstance(document, dict):
            continue
        raw_table = document.get("requirements")
        if isinstance(raw_table, dict):
            for req_id, raw in raw_table.items():
                requirement = _requirement(str(req_id), raw)
                if requirement is not None:
                    table.setdefault(requirement.req_id, requirement)
        for _, test in _tests(document):
            decision = test.get("decision")
            if isinstance(decision, str) and decision and not test.get("requirement"):
                table.setdefault(
                    decision, Requirement(decision, "decision", f"SPEC.md {decision}", "DECISION")
                )
    return table


def vector_set_hash(vectors_dir: Path) -> str:
    """SHA-256 over every file the cases are read from (relative path and bytes, in sorted
    order): two runs with the same hash ran the same vectors."""
    digest = hashlib.sha256()
    files = [*vectors_dir.glob("*.json"),
             *(vectors_dir / "third_party" / "structured-field-tests").rglob("*.json")]
    for path in sorted(files):
        digest.update(path.relative_to(vectors_dir).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _step_defaults(test: dict[str, Any]) -> dict[str, Any]:
    """Fields a sequence test gives once for all its steps (e.g. its policy)."""
    return {key: value for key, value in test.items() if key in ("policy", "profile")}


def load_sf_cases(directory: Path) -> list[Case]:
    """The httpwg structured-field-tests files in ``directory`` as sf_parse / sf_serialize cases.

    Loaded with floats as the suite writes them; an adapter answers with the same JSON form.
    """
    cases: list[Case] = []
    if not directory.is_dir():
        return cases
    files = sorted(directory.glob("*.json")) + sorted(
        (directory / "serialisation-tests").glob("*.json")
    )
    for path in files:
        serialisation_only = path.parent.name == "serialisation-tests"
        prefix = ("sf-serialisation/" if serialisation_only else "sf/") + path.stem
        for index, test in enumerate(json.loads(path.read_text(encoding="utf-8"))):
            cases.extend(_sf_cases(f"{prefix}/{index + 1}", path.name, test, serialisation_only))
    return cases


def _sf_case(
    case_id: str, source: str, op: str, test: dict[str, Any], *, result: str,
    fields: dict[str, Any], expected: dict[str, Any],
) -> Case:
    spec = OPERATION_TABLE["SfParseTest" if op == "sf_parse" else "SfSerializeTest"]
    return Case(
        case_id=case_id,
        source=source,
        group_type="SfParseTest" if op == "sf_parse" else "SfSerializeTest",
        op=op,
        row=op,
        profiles=(),
        result=result,
        comment=str(test.get("name", "")),
        flags=(),
        steps=(Step(spec.op, fields, result, expected),),
        reason_checked=False,
        test=test,
    )


def _sf_cases(
    case_id: str, source: str, test: dict[str, Any], serialisation_only: bool
) -> list[Case]:
    header_type = test.get("header_type")
    if header_type not in ("item", "list", "dictionary"):
        return []
    out: list[Case] = []
    if serialisation_only:
        # These test the serialiser only: `expected` is the value, `canonical` its text.
        if "expected" not in test:
            return out
        result = "invalid" if test.get("must_fail") else "valid"
        expected = {} if result == "invalid" else {"serialized": ", ".join(test["canonical"])}
        out.append(_sf_case(
            f"{case_id}/serialize", source, "sf_serialize", test, result=result,
            fields={"header_type": header_type, "value": test["expected"]}, expected=expected,
        ))
        return out
    if test.get("must_fail"):
        result = "invalid"
    elif test.get("can_fail"):
        result = "acceptable"
    else:
        result = "valid"
    expected = {"value": test["expected"]} if "expected" in test else {}
    out.append(_sf_case(
        f"{case_id}/parse", source, "sf_parse", test, result=result,
        fields={"header_type": header_type, "raw": test["raw"]}, expected=expected,
    ))
    if result == "valid" and "expected" in test:
        # README: "canonical: [...] If not present, raw is assumed to be canonical".
        canonical = test.get("canonical", test["raw"])
        out.append(_sf_case(
            f"{case_id}/serialize", source, "sf_serialize", test, result="valid",
            fields={"header_type": header_type, "value": test["expected"]},
            expected={"serialized": ", ".join(canonical)},
        ))
    return out


def load_cases(vectors_dir: Path, files: Sequence[str] | None = None) -> list[Case]:
    """All cases: the vectors files (sorted by name), then the httpwg structured-field tests."""
    cases: list[Case] = []
    for path in sorted(vectors_dir.glob("*.json")):
        if files is None or path.name in files:
            cases.extend(load_vector_cases(path))
    cases.extend(load_sf_cases(vectors_dir / "third_party" / "structured-field-tests"))
    return cases
