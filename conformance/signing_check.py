"""Semantic judging of ``sign_request`` (SPEC.md D47): a signer passes when what it signed is
right, whatever the bytes look like.

A valid ``sign_request`` case passes when the signer's header list

1. keeps every field of the request it was given (as HTTP sees fields: names case-insensitive,
   lines of one name combined in order), and adds only ``Content-Digest``, ``Signature-Input``
   and ``Signature`` (a signer does not rewrite the request it signs);
2. adds exactly one member under the requested label to each signature field and leaves the
   members already there untouched;
3. names the signer's own account in ``keyid``;
4. is accepted by the reference verifier (called directly, not through an adapter), for that
   member alone, under the case's policy (the
   profile's baseline, the case's chain served, Replayable accepted when the case asks for no
   nonce, Class-Bound accepted when the case names its own components), with the signer's
   address as the principal;
5. signs every parameter the reference signs with the same value (``created``, ``expires``,
   ``nonce``, ``keyid``, ``tag``, ``mode`` and the case's extra parameters), and covers every
   component the reference covers (default components) or the case asks for (explicit ones).

Byte equality with the reference's output is reported separately as the "canonical form":
ERC-8128 and RFC 9421 leave the component order, the parameter order and the digest algorithm to
the signer (the February text's own example orders components differently from the draft's).
Only a case whose bytes the text itself fixes (flag ``DraftVector``: the draft's positive vector,
or ``FixedBytes``) fails on a canonical-form difference.
"""

from dataclasses import dataclass
from typing import Any, Final

from erc8128.cli.policy_document import verifier_inputs
from erc8128.crypto.addresses import address_of
from erc8128.errors import Erc8128Error
from erc8128.http.message import Request
from erc8128.http.structured_fields import (
    Dictionary,
    InnerList,
    Item,
    parse_dictionary,
    serialize_bare_item,
    serialize_dictionary,
    serialize_item,
)
from erc8128.protocol.keyid import ProfileName
from erc8128.protocol.verify import Verified, verify_request
from erc8128.state.nonces.memory import MemoryReplayStore

__all__ = [
    "CHECK_RULES",
    "FIXED_BYTES_FLAGS",
    "Problem",
    "SigningCheck",
    "address_of_key",
    "check_signed_request",
]

# Flags of sign_request cases whose exact bytes the text fixes (canonical form required).
FIXED_BYTES_FLAGS: Final = frozenset({"DraftVector", "FixedBytes"})
# Fields a signer may add to the request it signs (ERC-8128 §3.1.3: "A signer sending non-empty
# content MUST generate Content-Digest"; RFC 9421 §4: Signature-Input and Signature).
_ADDED: Final = frozenset({"content-digest", "signature-input", "signature"})
_DEFAULT_MAX_VALIDITY_SEC: Final = 300


@dataclass(frozen=True)
class Problem:
    """One check that failed: ``check`` names it (a stable word, the report's root cause),
    ``message`` says expected and got; ``reason`` is the reference verifier's refusal (check
    ``verifier``)."""

    check: str
    message: str
    reason: str = ""

    @property
    def key(self) -> str:
        """The check and, for the verifier's refusal, its code (``verifier-bad_signature``)."""
        return f"{self.check}-{self.reason}" if self.reason else self.check


# The rule each check enforces, per profile (the requirement ids of vectors/requirements.py,
# carried in sign_request.json's ``requirements``): a failure is graded by the check that
# failed, not by the rule the case was written for. A check missing here falls back to the
# case's own requirement.
CHECK_RULES: Final[dict[str, dict[str, str]]] = {
    # ERC-8128 §3.3.2 / February §3.3.2: "`created` is an integer Unix timestamp (seconds)."
    "parameter-created": {"draft": "time-integers", "legacy": "legacy-time-integers"},
    # §3.3.2: "`expires` is an integer Unix timestamp (seconds) and MUST be greater than
    # `created`."
    "parameter-expires": {"draft": "expires-after-created",
                          "legacy": "legacy-expires-after-created"},
    "verifier-invalid_time": {"draft": "time-integers", "legacy": "legacy-time-integers"},
    # February §3.4.1: "Signatures that are intended to be Non-Replayable MUST include the
    # `nonce` parameter"; draft §3.1.2 likewise.
    "parameter-nonce": {"draft": "signer-parameters", "legacy": "legacy-nonce-required"},
    "verifier-nonce_required": {"draft": "signer-parameters", "legacy": "legacy-nonce-required"},
    # The keyid names another account than the key that signed (§3.3.1, February §3.3.1).
    "parameter-keyid": {"draft": "signer-keyid", "legacy": "legacy-signer-keyid"},
    "principal": {"draft": "signer-keyid", "legacy": "legacy-signer-keyid"},
    "verifier-bad_signature": {"draft": "signature-valid", "legacy": "legacy-erc191"},
    "verifier-insufficient_coverage": {"draft": "signer-request-bound",
                                       "legacy": "legacy-signer-request-bound"},
    "components": {"draft": "signer-request-bound", "legacy": "legacy-signer-request-bound"},
    "verifier-content_digest_required": {"draft": "content-digest-present",
                                         "legacy": "legacy-request-bound"},
    "verifier-bad_content_digest": {"draft": "content-digest-match",
                                    "legacy": "legacy-request-bound"},
}


@dataclass(frozen=True)
class SigningCheck:
    """``problems``: why the signed request is wrong (empty: it is right)."""

    problems: tuple[Problem, ...]

    @property
    def messages(self) -> tuple[str, ...]:
        return tuple(problem.message for problem in self.problems)

    def rule(self, profile: str) -> str | None:
        """The requirement id of the first failed check, for ``profile`` (None: the case's)."""
        for problem in self.problems:
            rule = CHECK_RULES.get(problem.key, {}).get(profile)
            if rule is not None:
                return rule
        return None


def _lines(headers: Any) -> list[tuple[str, str]] | None:
    if not isinstance(headers, list):
        return None
    out = []
    for line in headers:
        if not (isinstance(line, list) and len(line) == 2):
            return None
        if not (isinstance(line[0], str) and isinstance(line[1], str)):
            return None
        out.append((line[0].lower(), line[1]))
    return out


def _field(lines: list[tuple[str, str]], name: str) -> str:
    return ", ".join(value for key, value in lines if key == name)


def _fields(lines: list[tuple[str, str]]) -> dict[str, str]:
    return {name: _field(lines, name) for name, _ in lines}


def _dictionary(lines: list[tuple[str, str]], name: str) -> Dictionary | str:
    try:
        return parse_dictionary(_field(lines, name))
    except Erc8128Error as error:
        return f"{name} is not a Dictionary: {error}"


def _params(member: Item | InnerList) -> dict[str, str]:
    return {key: serialize_bare_item(value) for key, value in member.params}


def _covered(member: Item | InnerList) -> list[str]:
    return [serialize_item(item) for item in member.items] if isinstance(member, InnerList) else []


def _identifier(component: str) -> str:
    """A component as the case writes it (``@path``) in serialised form (``"@path"``)."""
    return component if component.startswith('"') else f'"{component}"'


def _policy(fields: dict[str, Any]) -> dict[str, Any]:
    """The policy the signed request is verified under (the case's own, else the baseline
    opened as far as the case's signing choices need)."""
    policy: dict[str, Any] = {}
    chain_id = fields.get("chain_id")
    if type(chain_id) is int:
        policy["served_chains"] = [chain_id]
    if fields.get("nonce", "") is None:
        policy["replay"] = "either"  # the case asks for a Replayable signature
    if fields.get("components") is not None:
        policy["class_bound"] = True  # the signer's right to choose its components
    created, expires = fields.get("created"), fields.get("expires")
    if type(created) is int and type(expires) is int:
        policy["max_validity_sec"] = max(_DEFAULT_MAX_VALIDITY_SEC, expires - created)
    case_policy = fields.get("policy")
    if isinstance(case_policy, dict):
        policy.update(case_policy)
    return policy


def _verify_alone(fields: dict[str, Any], request: dict[str, Any],
                  headers: list[tuple[str, str]]) -> Verified | Erc8128Error:
    """The reference verifier on the signed request, called directly (no adapter between):
    a fresh replay store, the case's ``created`` as ``now``, the policy of :func:`_policy`."""
    profile = fields.get("profile")
    profiles: tuple[ProfileName, ...] = ("legacy",) if profile == "legacy" else ("draft",)
    body_hex = request.get("body_hex")
    try:
        message = Request(
            method=str(request.get("method")), target_uri=str(request.get("url")),
            headers=tuple(headers),
            body=None if body_hex is None else bytes.fromhex(str(body_hex)),
        )
        inputs = verifier_inputs(_policy(fields), profiles)
        now = fields.get("created")
        return verify_request(
            message, now=now if type(now) is int else 0,
            nonces=MemoryReplayStore(),
            policy=inputs.policy, accounts=inputs.accounts, invalidation=inputs.invalidation,
        )
    except Erc8128Error as error:
        return error
    except ValueError as error:
        return Erc8128Error("signature_input_invalid", str(error))


def check_signed_request(
    fields: dict[str, Any], got: dict[str, Any], reference_signature_input: str | None
) -> SigningCheck:
    """Judge a signer's ``sign_request`` output (``got``) for the request ``fields``.

    ``reference_signature_input`` is the reference signer's member value for the case (the
    vector's ``signature_input``), the measure of which parameters and components are required.
    """
    problems: list[Problem] = []
    request = fields.get("request") if isinstance(fields.get("request"), dict) else None
    given = _lines(request.get("headers", []) if request is not None else None)
    signed = _lines(got.get("headers"))
    if request is None or given is None:
        return SigningCheck((Problem("case", "the case has no request to compare with"),))
    if signed is None:
        return SigningCheck((Problem("headers", f"headers: expected [name, value] string "
                                     f"pairs, got {str(got.get('headers'))[:200]}"),))
    # 1. The request's own fields are kept (compared as HTTP sees them: names case-insensitive,
    # the lines of one name combined in order, RFC 9110 §5.3); only a digest and the signature
    # fields are added, and the signature fields are compared member by member below.
    given_fields, signed_fields = _fields(given), _fields(signed)
    changed = sorted(
        name for name, value in given_fields.items()
        if name not in ("signature-input", "signature") and signed_fields.get(name) != value
    )
    if changed:
        problems.append(Problem("fields-changed", "fields of the request were changed or "
                                "dropped: " + "; ".join(
            f"{name}: {given_fields[name]!r} became {signed_fields.get(name)!r}"
            for name in changed
        )))
    foreign = sorted(set(signed_fields) - set(given_fields) - _ADDED)
    if foreign:
        problems.append(Problem("fields-added", f"fields added beyond Content-Digest and the "
                                f"signature fields: {foreign}"))
    # 2. One new member under the label in each signature field; the others untouched.
    label = fields.get("label") or "eth"
    parsed: dict[str, Dictionary] = {}
    before: dict[str, Dictionary] = {}
    for name in ("signature-input", "signature"):
        for lines, into in ((signed, parsed), (given, before)):
            value = _dictionary(lines, name)
            if isinstance(value, str):
                return SigningCheck((*problems, Problem("signature-fields", value)))
            into[name] = value
    new_members: dict[str, Item | InnerList] = {}
    for name in ("signature-input", "signature"):
        after_members, before_members = dict(parsed[name]), dict(before[name])
        if label not in after_members or label in before_members:
            problems.append(Problem("label", f"{name}: expected one new member {label!r}, got "
                                    f"members {list(after_members)}"))
            return SigningCheck(tuple(problems))
        new_members[name] = after_members[label]
        changed = [key for key, member in before_members.items()
                   if after_members.get(key) != member]
        if changed:
            problems.append(Problem("members-changed", f"{name}: members already on the "
                                    f"request changed: {changed}"))
    member = new_members["signature-input"]
    have_params, have_covered = _params(member), _covered(member)
    # 3. The keyid names the signer's own account (§3.3.1: "`keyid` MUST identify an Ethereum
    # account"; a keyid naming another account makes the signature someone else's claim).
    signer = address_of_key(fields)
    keyid = have_params.get("keyid", "").strip('"')
    if signer is not None and keyid and keyid.rsplit(":", 1)[-1].lower() != signer.lower():
        problems.append(Problem("parameter-keyid", f"keyid {keyid} names another account "
                                f"than the signer {signer}"))
        return SigningCheck(tuple(problems))
    # 4. Every parameter and component the reference signs (or the case asks for) is signed
    # (before the verifier: a signer writing `created` in milliseconds is that, not a
    # request the verifier finds not yet valid).
    if reference_signature_input is not None:
        try:
            reference = parse_dictionary(f"{label}={reference_signature_input}")[0][1]
        except (Erc8128Error, IndexError) as error:
            return SigningCheck((*problems, Problem("case", f"the vector's signature_input: "
                                                    f"{error}")))
        for key, value in _params(reference).items():
            if have_params.get(key) != value:
                problems.append(Problem(f"parameter-{key}", f"parameter {key}: expected "
                                        f"{value}, got {have_params.get(key, 'nothing')}"))
        wanted = _covered(reference)
    else:
        wanted = []
    components = fields.get("components")
    if isinstance(components, list):
        wanted = [_identifier(str(component)) for component in components]
    uncovered = [component for component in wanted if component not in have_covered]
    if uncovered:
        problems.append(Problem("components", f"components not covered: {uncovered} "
                                f"(covered: {have_covered})"))
    # 5. The reference verifier accepts the new member alone, for the signer.
    others = [(key, value) for key, value in signed if key not in ("signature-input", "signature")]
    only_new = [
        *others,
        ("signature-input", serialize_dictionary(((label, new_members["signature-input"]),))),
        ("signature", serialize_dictionary(((label, new_members["signature"]),))),
    ]
    verified = _verify_alone(fields, request, only_new)
    if isinstance(verified, Erc8128Error):
        problems.append(Problem("verifier", (
            f"the reference verifier rejects the signed request: {verified.reason}: "
            f"{verified.message}")[:400], verified.reason))
        return SigningCheck(tuple(problems))
    if signer is not None and verified.address != signer:
        problems.append(Problem("principal", f"verified principal {verified.address}, expected "
                                f"the signer {signer}"))
    return SigningCheck(tuple(problems))


def address_of_key(fields: dict[str, Any]) -> str | None:
    """The signer's address: the account of the case's ``private_key_hex`` (None: no valid
    key)."""
    key = fields.get("private_key_hex")
    if not isinstance(key, str):
        return None
    try:
        return address_of(bytes.fromhex(key))
    except (Erc8128Error, ValueError):
        return None
