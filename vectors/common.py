"""What every vectors module shares: the fixture, file assembly, the JSON Schemas and the runners.

Builds no vector file itself. It holds the draft's fixed keys and clock (SPEC.md §7), the
Wycheproof file assembly with stable tcIds (vectors/ids.py) and requirements
(vectors/requirements.py), the JSON Schema pieces, the request JSON mapping, the vector-policy
mapping onto :class:`VerifierPolicy`, the signing helpers, and the runners :func:`run_verify`,
:func:`run_verify_steps` and :func:`run_sign` (SPEC.md §3 signing, §4 verification and its replay
state), which map a vector's inputs onto the reference implementation exactly as a conformance
runner maps them onto the implementation under test (see ``vectors/README.md``).
"""

import base64
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

from erc8128._version import __version__
from erc8128.cli.adapter import verified_summary
from erc8128.cli.policy_document import verifier_inputs
from erc8128.crypto.addresses import address_of
from erc8128.crypto.personal_sign import personal_message_hash, recover_address, sign_message
from erc8128.crypto.secp256k1 import N
from erc8128.errors import Erc8128Error, VerificationError
from erc8128.http.content_digest import content_digest
from erc8128.http.message import Request
from erc8128.http.signature_base import signature_base_for_label
from erc8128.http.structured_fields import BareItem, Item, combine_field_lines, parse_dictionary
from erc8128.protocol.accounts import AccountState
from erc8128.protocol.keyid import ProfileName
from erc8128.protocol.policy import VerifierPolicy
from erc8128.protocol.sign import sign_request
from erc8128.protocol.verify import VerificationSteps, Verified, verify_request
from erc8128.reasons import REASON_CODES
from erc8128.state.invalidation import MemoryInvalidationState
from erc8128.state.nonces.memory import MemoryReplayStore

from .ids import REGISTRY_NAME, IdRegistry
from .requirements import LEGACY_VARIANTS, REQUIREMENTS
from .tags import TAGS, annotate

VECTORS_DIR: Final = Path(__file__).resolve().parent
SCHEMA_DIR: Final = VECTORS_DIR / "schema"
GENERATOR_VERSION: Final = f"erc8128-python {__version__}, vectors 2"
# The version of the files' format (vectors/README.md "Schema version"): a runner refuses a file
# whose schemaVersion it does not know. 1: the first versioned format (tags, chain_ids).
SCHEMA_VERSION: Final = 1

# The draft's fixture (test-vectors-362f1a9.md): key 0x..01, clock 1700000001, skew 30 s.
NOW: Final = 1700000001
CREATED: Final = 1700000000
EXPIRES: Final = 1700000060
DRAFT_NONCE: Final = "EjRWeJCrze8BI0VniavN7w"
KEY_1: Final = (1).to_bytes(32, "big")
KEY_2: Final = (2).to_bytes(32, "big")
KEY_3: Final = (3).to_bytes(32, "big")
KEY_HIGH: Final = (N - 1).to_bytes(32, "big")
ADDRESS_1: Final = address_of(KEY_1)
ADDRESS_2: Final = address_of(KEY_2)
_TEST_KEYS: Final = {address_of(key): key for key in (KEY_1, KEY_2, KEY_3, KEY_HIGH)}

JsonObject = dict[str, Any]


# -- file assembly ------------------------------------------------------------------------------


@dataclass(frozen=True)
class VectorFile:
    """One vectors file and its JSON Schema, both as JSON values."""

    name: str  # e.g. "keccak256.json"
    document: JsonObject
    schema: JsonObject

    @property
    def schema_name(self) -> str:
        return self.name.removesuffix(".json") + ".schema.json"


def _test(comment: str, flags: Sequence[str], result: str, **fields: Any) -> JsonObject:
    """A test without its tcId (assigned in file order by :func:`_assemble`)."""
    test: JsonObject = {"comment": comment, "flags": list(flags), "result": result}
    test.update(fields)
    return test


def _group(group_type: str, tests: list[JsonObject], **fields: Any) -> JsonObject:
    group: JsonObject = {"type": group_type}
    group.update(fields)
    group["tests"] = tests
    return group


# Wycheproof bug types for flags that mark a known class of implementation bug.
_BUG_TYPES: Final[Mapping[str, str]] = {
    "HighS": "SIGNATURE_MALLEABILITY",
    "Length": "MALFORMED_SIGNATURE",
    "V": "MALFORMED_SIGNATURE",
    "RRange": "MODIFIED_SIGNATURE",
    "SRange": "MODIFIED_SIGNATURE",
    "NotOnCurve": "EDGE_CASE",
    "SignatureByteFlip": "MODIFIED_SIGNATURE",
    "ComponentChange": "MISSING_STEP",
    "UnicodeDigits": "CAN_OF_WORMS",
    "Injection": "CAN_OF_WORMS",
    "NonAscii": "CAN_OF_WORMS",
    "RateBoundary": "EDGE_CASE",
    "LengthDigits": "EDGE_CASE",
    "Utf8Length": "EDGE_CASE",
    "LastWins": "EDGE_CASE",
    "Duplicate": "MISSING_STEP",
}


def _note(flag: str, description: str) -> JsonObject:
    bug_type = _BUG_TYPES.get(flag)
    if bug_type is None:
        return {"description": description}
    return {"bugType": bug_type, "description": description}


# The tcId registry (vectors/published_ids.json), loaded once per generator run.
_REGISTRY: list[IdRegistry] = []


def _registry() -> IdRegistry:
    if not _REGISTRY:
        _REGISTRY.append(IdRegistry(VECTORS_DIR / REGISTRY_NAME))
    return _REGISTRY[0]


def _requirement_for(profile: str | None, requirement: str) -> str:
    """The requirement a test of ``profile`` names: the February text's own, where it has one."""
    if profile == "legacy":
        return LEGACY_VARIANTS.get(requirement, requirement)
    return requirement


def _assemble(name: str, algorithm: str, header: list[str], notes: Mapping[str, str],
              groups: list[JsonObject], *, schema: JsonObject,
              classify: Callable[[JsonObject, JsonObject], str] | None = None,
              also: Sequence[str] = ()) -> VectorFile:
    """Give every test its stable tcId (vectors/ids.py) and its requirement, check every flag is
    explained in ``notes``, and list the requirements the file's tests name (and ``also``: rules
    a runner grades this file's failures by, e.g. the signing checks' own rules)."""
    ids = iter(_registry().assign(name, groups))
    numbered_groups: list[JsonObject] = []
    named: set[str] = set(also)
    count = 0
    for group in groups:
        numbered: list[JsonObject] = []
        for original in group["tests"]:
            test = original
            count += 1
            for flag in test["flags"]:
                if flag not in notes:
                    raise Erc8128Error("vector_flag_undeclared", f"{name}: flag {flag!r}")
            requirement = test.get("requirement")
            if requirement is None:
                if classify is None:
                    raise Erc8128Error("vector_requirement", f"{name}: {test['comment']!r}")
                requirement = _requirement_for(group.get("profile"), classify(group, test))
            if requirement not in REQUIREMENTS:
                raise Erc8128Error("vector_requirement", f"{name}: unknown {requirement!r}")
            named.add(requirement)
            text_outcome = test.get("textOutcome")
            if isinstance(text_outcome, dict):
                # An acceptable test: the outcome the text wants names the text's own rule.
                text_rule = _requirement_for(group.get("profile"), text_outcome["requirement"])
                if text_rule not in REQUIREMENTS:
                    raise Erc8128Error("vector_requirement", f"{name}: unknown {text_rule!r}")
                test = {**test, "textOutcome": {**text_outcome, "requirement": text_rule}}
                named.add(text_rule)
            for step in test.get("steps", ()):
                if isinstance(step.get("textOutcome"), dict):
                    named.add(step["textOutcome"]["requirement"])
            head = {"tcId": next(ids), "comment": test["comment"], "flags": test["flags"],
                    "result": test["result"], "requirement": requirement}
            numbered.append({**head, **test, **annotate(name, group, test)})
        numbered_groups.append({**group, "tests": numbered})
    document: JsonObject = {
        "algorithm": algorithm,
        "schema": name.removesuffix(".json") + ".schema.json",
        "schemaVersion": SCHEMA_VERSION,
        "generatorVersion": GENERATOR_VERSION,
        "numberOfTests": count,
        "header": header,
        "notes": {flag: _note(flag, text) for flag, text in notes.items()},
        "requirements": {key: value.as_json() for key, value in REQUIREMENTS.items()
                         if key in named},
        "testGroups": numbered_groups,
    }
    return VectorFile(name, document, schema)


def render(value: JsonObject) -> str:
    """The exact text written to disk."""
    return json.dumps(value, indent=2, ensure_ascii=True) + "\n"


# The requirement of the SPEC.md decision a test pins (the classifiers' fallback; the other
# requirement tables of verify_request.json are in verify_request_vectors.py).
_DECISION_REQUIREMENT: Final[Mapping[str, str]] = {
    "D1": "d1-reason-codes", "D2": "d2-legacy-candidates", "D3": "d3-chain-digits",
    "D4": "d4-replay-key", "D27": "d27-restart-guard", "D28": "d28-one-acceptance",
    "D29": "d29-membership-privacy",
    "D5": "d5-skew-window", "D6": "d6-always-covered", "D7": "d7-legacy-query-content",
    "D8": "d8-legacy-mode", "D9": "d9-fingerprint", "D10": "d10-empty-field",
    "D11": "d11-negative-created", "D13": "d13-legacy-alg",
    "D14": "d14-legacy-strict-signature", "D15": "d15-digest-before-coverage",
    "D16": "d16-empty-nonce", "D17": "d17-replayable-only", "D18": "d18-absent-component",
    "D19": "d19-no-control-characters", "D20": "d20-unknown-parameters",
    "D21": "d21-component-syntax",
}


def _by_flags(table: Mapping[str, str], *, valid: str, invalid: str | None = None,
              by_reason: Mapping[str, str] | None = None
              ) -> Callable[[JsonObject, JsonObject], str]:
    """A classifier: the requirement of the first flag found in ``table``, else of the test's
    SPEC.md decision, else of its reason (``by_reason``), else the file's default."""

    def classify(group: JsonObject, test: JsonObject) -> str:
        del group
        for flag in test["flags"]:
            if flag in table:
                return table[flag]
        decision = test.get("decision")
        if isinstance(decision, str) and decision in _DECISION_REQUIREMENT:
            return _DECISION_REQUIREMENT[decision]
        if test["result"] != "invalid":
            return valid
        reason = test.get("reason")
        if by_reason is not None and isinstance(reason, str) and reason in by_reason:
            return by_reason[reason]
        return invalid or valid

    return classify


# -- JSON Schemas ----------------------------------------------------------------------------

_HEX: Final = {"type": "string", "pattern": "^([0-9a-f]{2})*$"}
_ADDRESS: Final = {"type": "string", "pattern": "^0x[0-9a-f]{40}$"}
_NULLABLE_ADDRESS: Final = {"anyOf": [_ADDRESS, {"type": "null"}]}
_REQUEST: Final = {
    "type": "object",
    "additionalProperties": False,
    "required": ["method", "url", "headers", "body_hex"],
    "properties": {
        "method": {"type": "string"},
        "url": {"type": "string"},
        "headers": {
            "type": "array",
            "items": {
                "type": "array",
                "prefixItems": [{"type": "string"}, {"type": "string"}],
                "minItems": 2,
                "maxItems": 2,
            },
        },
        "body_hex": {"anyOf": [_HEX, {"type": "null"}]},
    },
}
_POLICY: Final = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "skew_sec", "max_validity_sec", "served_chains", "replay", "class_bound",
        "required_components", "content_digest", "denied_principals", "not_before",
        "invalidated_signatures", "honor_mode_eoa", "account_state",
    ],
    "properties": {
        "skew_sec": {"type": "integer", "minimum": 0},
        "max_validity_sec": {"type": "integer", "minimum": 1},
        "served_chains": {"type": "array", "items": {"type": "integer", "minimum": 0}},
        "replay": {"enum": ["non-replayable", "either"]},
        "class_bound": {"type": "boolean"},
        "required_components": {"type": "array", "items": {"type": "string"}},
        "content_digest": {"enum": ["request-body", "required"]},
        "denied_principals": {"type": "array", "items": _ADDRESS},
        "not_before": {"type": "object", "additionalProperties": {"type": "integer"}},
        "invalidated_signatures": {
            "type": "array", "items": {"type": "string", "pattern": "^0x[0-9a-f]{64}$"}
        },
        "honor_mode_eoa": {"type": "boolean"},
        "account_state": {
            "enum": [
                "no-code", "unavailable", "erc1271-accepts", "erc1271-rejects",
                "eip7702-delegated",
            ]
        },
        "profiles": {"type": "array", "items": {"enum": ["draft", "legacy"]}, "minItems": 1},
        "invalidation_endpoint": {"type": "boolean"},
        "replayable_denied_principals": {"type": "array", "items": _ADDRESS},
        "principal_private": {"type": "boolean"},
    },
}
_REASON: Final = {"type": "string", "pattern": "^[a-z0-9_]+$"}
_DECIMAL: Final = {"type": "string", "pattern": "^(0|[1-9][0-9]*)$"}
_CHAIN_IDS: Final = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "chain_id": _DECIMAL,
        "served_chains": {"type": "array", "items": _DECIMAL},
        "steps_chain_id": {"type": "array", "items": {"anyOf": [_DECIMAL, {"type": "null"}]}},
    },
}
_VERIFY_REASON: Final = {"enum": list(REASON_CODES)}
_VERIFY_OUTCOME: Final = {
    "reason": _VERIFY_REASON,
    "status": {"enum": [400, 401, 503]},
    "address": _ADDRESS,
    "chain_id": {"type": "integer"},
    "keyid": {"type": "string"},
    "label": {"type": "string"},
    "replayable": {"type": "boolean"},
    "request_bound": {"type": "boolean"},
    "covered": {"type": "array", "items": {"type": "string"}},
    "nonce_consumed": {"type": "boolean"},
    "signature_base": {"type": "string"},
    "message_hash_hex": _HEX,
    "recovered_address": _NULLABLE_ADDRESS,
    "content_digest": {"type": ["string", "null"]},
}


def _schema(title: str, group_type: str, test_properties: Mapping[str, Any],
            test_required: Sequence[str], *, group_properties: Mapping[str, Any] | None = None,
            group_types: Sequence[str] | None = None) -> JsonObject:
    """A Draft 2020-12 schema for one file: the Wycheproof frame plus this file's test fields."""
    test = {
        "type": "object",
        "additionalProperties": False,
        "required": ["tcId", "comment", "flags", "result", "requirement", "tags",
                     *test_required],
        "properties": {
            "tcId": {"type": "integer", "minimum": 1},
            "comment": {"type": "string"},
            "flags": {"type": "array", "items": {"type": "string"}},
            "result": {"enum": ["valid", "invalid", "acceptable"]},
            "reason": _REASON,
            "detail": _REASON,
            "decision": {"type": "string", "pattern": "^D[0-9]+$"},
            "draftRow": {"type": "string", "pattern": "^N[0-9]{2}$"},
            "requirement": {"type": "string", "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"},
            "explanation": {"type": "string", "minLength": 1},
            "tags": {"type": "array", "items": {"enum": sorted(TAGS)}, "uniqueItems": True},
            "chain_ids": _CHAIN_IDS,
            # acceptable: the outcome the profile's text wants instead of this project's
            # decision (both pass unless the runner is strict).
            "textOutcome": {
                "type": "object",
                "required": ["result", "requirement"],
                "properties": {"result": {"enum": ["valid", "invalid"]},
                               "requirement": {"type": "string"}},
            },
            **test_properties,
        },
        "if": {"properties": {"result": {"const": "invalid"}}},
        "then": {"required": ["reason"]},
    }
    group = {
        "type": "object",
        "additionalProperties": False,
        "required": ["type", "tests"],
        "properties": {
            "type": {"enum": list(group_types or [group_type])},
            "comment": {"type": "string"},
            "profile": {"enum": ["draft", "legacy", None]},
            **(group_properties or {}),
            "tests": {"type": "array", "items": test},
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": title,
        "type": "object",
        "additionalProperties": False,
        "required": [
            "algorithm", "schema", "schemaVersion", "generatorVersion", "numberOfTests",
            "header", "notes", "requirements", "testGroups",
        ],
        "properties": {
            "algorithm": {"type": "string"},
            "schema": {"type": "string"},
            "schemaVersion": {"const": SCHEMA_VERSION},
            "generatorVersion": {"type": "string"},
            "numberOfTests": {"type": "integer", "minimum": 1},
            "header": {"type": "array", "items": {"type": "string"}},
            "notes": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["description"],
                    "properties": {
                        "bugType": {"type": "string"},
                        "description": {"type": "string"},
                    },
                },
            },
            "requirements": {
                "type": "object",
                "propertyNames": {"pattern": "^[a-z0-9]+(-[a-z0-9]+)*$"},
                "additionalProperties": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["kind", "ref", "level", "quote"],
                    "properties": {
                        "kind": {"enum": ["profile", "rfc", "decision"]},
                        "ref": {"type": "string", "minLength": 1},
                        "level": {"enum": ["MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY",
                                           "DECISION"]},
                        "quote": {"type": "string", "minLength": 1},
                    },
                },
            },
            "testGroups": {"type": "array", "items": group},
        },
    }


# -- requests as JSON ----------------------------------------------------------------------------


def request_to_json(request: Request) -> JsonObject:
    """The adapter-protocol form of a request: method, url, headers [[name, value]], body_hex."""
    return {
        "method": request.method,
        "url": request.target_uri,
        "headers": [[name, value] for name, value in request.headers],
        "body_hex": None if request.body is None else request.body.hex(),
    }


def request_from_json(value: Mapping[str, Any]) -> Request:
    """The :class:`Request` a vector's ``request`` object describes."""
    body_hex = value["body_hex"]
    return Request(
        method=value["method"],
        target_uri=value["url"],
        headers=tuple((name, text) for name, text in value["headers"]),
        body=None if body_hex is None else bytes.fromhex(body_hex),
    )


# -- base64 ------------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# -- the draft's positive vector -------------------------------------------------------------


def _draft_cases() -> JsonObject:
    path = VECTORS_DIR / "third_party" / "erc8128-draft" / "test-cases.json"
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _draft_positive() -> JsonObject:
    return _draft_cases()["positive"]  # type: ignore[no-any-return]


def _draft_request() -> Request:
    """The draft's positive request as received over HTTPS at api.example, signed."""
    raw = _draft_positive()["request"]
    return Request(
        method=raw["method"],
        target_uri="https://api.example" + raw["target"],
        headers=tuple((name, value) for name, value in raw["headers"]),
        body=raw["body"].encode("ascii"),
    )


def _without(request: Request, *names: str) -> Request:
    lowered = {name.lower() for name in names}
    kept = tuple(h for h in request.headers if h[0].lower() not in lowered)
    return replace(request, headers=kept)


def with_field(request: Request, name: str, value: str) -> Request:
    """Replace every line of field ``name`` by one line ``value`` at the first one's place."""
    headers: list[tuple[str, str]] = []
    done = False
    for header_name, header_value in request.headers:
        if header_name.lower() == name.lower():
            if not done:
                headers.append((header_name, value))
                done = True
            continue
        headers.append((header_name, header_value))
    if not done:
        headers.append((name, value))
    return replace(request, headers=tuple(headers))


def _field(request: Request, name: str) -> str:
    return combine_field_lines(request.field_lines(name))


# -- mapping vector inputs onto the reference implementation -------------------------------------

DEFAULT_POLICY_JSON: Final[Mapping[str, Any]] = {
    "skew_sec": 30,
    "max_validity_sec": 300,
    "served_chains": [1],
    "replay": "non-replayable",
    "class_bound": False,
    "required_components": [],
    "content_digest": "request-body",
    "denied_principals": [],
    "not_before": {},
    "invalidated_signatures": [],
    "honor_mode_eoa": True,
    "account_state": "no-code",
}

# The account states a runner must emulate only for tests flagged NeedsChain: (code, ERC-1271).
def _policy(**overrides: Any) -> JsonObject:
    """A complete vector policy: the baseline with ``overrides``."""
    policy = {key: (list(value) if isinstance(value, list) else value)
              for key, value in DEFAULT_POLICY_JSON.items()}
    policy.update(overrides)
    return policy


def policy_objects(profile: ProfileName | None, policy: Mapping[str, Any]
                   ) -> tuple[VerifierPolicy, AccountState, MemoryInvalidationState]:
    """The verifier policy, account state and invalidation state a vector's policy describes
    (erc8128.cli.policy_document: the one mapping the adapter uses too)."""
    profiles: tuple[ProfileName, ...] = (
        (profile,) if profile is not None else tuple(policy["profiles"])
    )
    inputs = verifier_inputs(policy, profiles)
    return inputs.policy, inputs.accounts, inputs.invalidation


def _signature_bytes(request: Request, label: str) -> bytes | None:
    try:
        members = parse_dictionary(combine_field_lines(request.field_lines("signature")))
    except Erc8128Error:
        return None
    for member_label, member in reversed(members):
        if member_label == label and isinstance(member, Item) and isinstance(member.value, bytes):
            return member.value
    return None


def _intermediates(request: Request, label: str | None) -> JsonObject:
    """signature_base, message_hash_hex and recovered_address of the candidate ``label``."""
    values: JsonObject = {}
    if label is None:
        return values
    try:
        base = signature_base_for_label(request, label)
    except Erc8128Error:
        return values
    message_hash = personal_message_hash(base.encode("ascii"))
    values["signature_base"] = base
    values["message_hash_hex"] = message_hash.hex()
    signature = _signature_bytes(request, label)
    recovered: str | None = None
    if signature is not None:
        try:
            recovered = recover_address(message_hash, signature)
        except Erc8128Error:
            recovered = None
    values["recovered_address"] = recovered
    return values


def _content_digest_of(request: Request) -> str | None:
    return content_digest(request.body) if request.body else None


# Failures after the signature base is built: the intermediates show where a verifier diverged.
_LATE_REASONS: Final = frozenset(
    {"bad_signature", "nonce_reused", "signature_verification_unavailable"}
)


def _verify_once(profile: ProfileName | None, request: Request, now: int, *,
                 policy: Mapping[str, Any], store: MemoryReplayStore,
                 steps: VerificationSteps | None = None) -> JsonObject:
    verifier_policy, accounts, invalidation = policy_objects(profile, policy)
    try:
        verified: Verified = verify_request(
            request, now=now, nonces=store, policy=verifier_policy, accounts=accounts,
            invalidation=invalidation, steps=steps,
        )
    except VerificationError as error:
        outcome: JsonObject = {"result": "invalid", "reason": error.reason,
                               "status": error.status}
        if error.reason in _LATE_REASONS and error.label is not None:
            outcome["label"] = error.label
            outcome.update(_intermediates(request, error.label))
        outcome["content_digest"] = _content_digest_of(request)
        return outcome
    outcome = {"result": "valid", **verified_summary(verified)}
    outcome.update(_intermediates(request, verified.label))
    outcome["content_digest"] = _content_digest_of(request)
    return outcome


def run_verify_steps(profile: ProfileName | None, policy: Mapping[str, Any],
                     steps: Sequence[Mapping[str, Any]]) -> list[JsonObject]:
    """Verify each step's request at its ``now`` against ONE fresh replay state, in order."""
    store = MemoryReplayStore()
    return [
        _verify_once(profile, request_from_json(step["request"]), step["now"],
                     policy=step.get("policy", policy), store=store)
        for step in steps
    ]


def run_verify(test: Mapping[str, Any], profile: ProfileName | None,
               steps: VerificationSteps | None = None) -> JsonObject:
    """The outcome of one ``verify_request.json`` test (its ``prior`` requests run first), by
    the reference verifier's steps or by ``steps`` (vectors/ablation.py)."""
    store = MemoryReplayStore()
    for prior in test.get("prior", ()):
        _verify_once(profile, request_from_json(prior["request"]), prior["now"],
                     policy=test["policy"], store=store, steps=steps)
    return _verify_once(profile, request_from_json(test["request"]), test["now"],
                        policy=test["policy"], store=store, steps=steps)


def run_sign(test: Mapping[str, Any], profile: ProfileName) -> JsonObject:
    """The outcome of one ``sign_request.json`` test."""
    nonce = test["nonce"]
    try:
        signed = sign_request(
            request_from_json(test["request"]),
            bytes.fromhex(test["private_key_hex"]),
            created=test["created"],
            expires=test["expires"],
            profile=profile,
            chain_id=test["chain_id"],
            nonce=nonce,
            replayable=nonce is None,
            label=test["label"],
            components=test["components"],
            params=test["params"],
        )
    except Erc8128Error as error:
        return {"result": "invalid", "reason": error.reason}
    return {
        "result": "valid",
        "headers": [[name, value] for name, value in signed.request.headers],
        "keyid": signed.keyid,
        "signature_input": signed.signature_input,
        "signature_base": signed.signature_base,
        "message_hash_hex": signed.message_hash.hex(),
        "signature_hex": signed.signature.hex(),
    }


# -- signing helpers for the request vectors -----------------------------------------------------


def _unsigned_draft_request() -> Request:
    return _without(_draft_request(), "signature-input", "signature")


def _sign(request: Request, profile: ProfileName, *, key: bytes = KEY_1, created: int = CREATED,
          expires: int | None = EXPIRES, nonce: str | None = DRAFT_NONCE, label: str = "eth",
          components: Sequence[str] | None = None, chain_id: int = 1,
          params: Mapping[str, BareItem] | None = None) -> Request:
    return sign_request(
        request, key, created=created, expires=expires, profile=profile, chain_id=chain_id,
        nonce=nonce, replayable=nonce is None, label=label, components=components,
        params=params,
    ).request


def _sign_member(request: Request, label: str, member: str, key: bytes = KEY_1) -> Request:
    """Attach ``label=member`` and its ERC-191 signature by ``key``: any parameters at all."""
    with_input = request.with_header("Signature-Input", f"{label}={member}")
    base = signature_base_for_label(with_input, label)
    signature = sign_message(key, base.encode("ascii"))
    return with_input.with_header("Signature", f"{label}=:{_b64(signature)}:")


def _replace_in_field(request: Request, name: str, old: str, new: str) -> Request:
    value = _field(request, name)
    if old not in value:
        raise Erc8128Error("vector_generation", f"{old!r} not in {name}: {value!r}")
    return with_field(request, name, value.replace(old, new, 1))


def _set_signature(request: Request, label: str, signature: bytes) -> Request:
    return with_field(request, "Signature", f"{label}=:{_b64(signature)}:")


# -- the signed requests verify_request.json and replay.json mutate -------------------------


@dataclass(frozen=True)
class _Signed:
    """A profile's valid signed request and what the mutations need to know about it."""

    profile: ProfileName
    request: Request  # signed, label "eth" (draft: the draft's own vector, label "request")
    unsigned: Request
    label: str

    @property
    def member(self) -> str:
        """The Signature-Input member value (without ``label=``)."""
        return _field(self.request, "signature-input")[len(self.label) + 1 :]

    @property
    def signature(self) -> bytes:
        signature = _signature_bytes(self.request, self.label)
        assert signature is not None
        return signature

    def sign(self, request: Request | None = None, **options: Any) -> Request:
        options.setdefault("label", self.label)
        return _sign(request or self.unsigned, self.profile, **options)

    def edit_input(self, old: str, new: str) -> Request:
        return _replace_in_field(self.request, "Signature-Input", old, new)


def _signed(profile: ProfileName) -> _Signed:
    unsigned = _unsigned_draft_request()
    if profile == "draft":
        return _Signed("draft", _draft_request(), unsigned, "request")
    return _Signed("legacy", _sign(unsigned, "legacy", label="eth"), unsigned, "eth")


def _default_components(profile: ProfileName) -> list[str]:
    if profile == "draft":
        return ["@scheme", "@authority", "@method", "@path", "@query", "content-digest",
                "content-type"]
    return ["@authority", "@method", "@path", "@query", "content-digest"]
