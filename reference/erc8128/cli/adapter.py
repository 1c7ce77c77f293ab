"""``erc8128 adapter``: this implementation behind the conformance adapter protocol (protocol 1).

The conformance suite (``conformance/README.md``, "Adapter protocol") starts one long-lived
process, writes one JSON request per line on its stdin and reads exactly one JSON response per
line from its stdout. This module is glue only: it decodes each request, calls the function of
this package that does the work, and encodes the answer or the typed error. It holds no logic of
its own; every verdict comes from :mod:`erc8128.protocol.verify`, :mod:`erc8128.protocol.sign` and
the modules they use.

Protocol rules kept here: "The adapter never reads the clock, never draws randomness unless
asked, and keeps no state between requests except replay state inside a named
`replay_session`." So ``verify_request`` runs against a :class:`MemoryReplayStore` per session
whose clock is the ``now`` of the request being verified, ``sign_request`` with ``nonce: null``
signs a Replayable request (no nonce is drawn), and stdout carries protocol lines only.
"""

import argparse
import json
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any, Final, TypeVar

from erc8128._version import __version__
from erc8128.cli.command import add_command
from erc8128.cli.policy_document import PolicyDocumentError, verifier_inputs
from erc8128.crypto.addresses import address_of, to_checksum_address
from erc8128.crypto.keccak import keccak256
from erc8128.crypto.personal_sign import personal_message_hash, recover_address, sign_message
from erc8128.errors import (
    ContentDigestError,
    Erc8128Error,
    VerificationError,
)
from erc8128.http.content_digest import content_digest, verify_content_digest
from erc8128.http.message import Request
from erc8128.http.sf_json import from_json_form, to_json_form
from erc8128.http.signature_base import signature_base_for_label
from erc8128.http.structured_fields import (
    BareItem,
    Dictionary,
    Item,
    SFList,
    parse_field,
    serialize_dictionary,
    serialize_item,
    serialize_list,
)
from erc8128.protocol.accounts import AccountState
from erc8128.protocol.keyid import ProfileName, parse_keyid
from erc8128.protocol.policy import VerifierPolicy
from erc8128.protocol.profiles import get_profile
from erc8128.protocol.sign import sign_request
from erc8128.protocol.verify import Verified, verify_request
from erc8128.state.invalidation import MemoryInvalidationState
from erc8128.state.nonces.memory import MemoryReplayStore

PROTOCOL_VERSION: Final = 1

_T = TypeVar("_T")

# Bound on "[" and "{" in one request line (each may open a nesting level).
_MAX_JSON_CONTAINERS: Final = 10_000

class _BadRequest(Exception):
    """A request line that does not follow the protocol (answered ``adapter_bad_request``)."""


class _Unsupported(Exception):
    """An operation or field value this implementation does not offer."""


@dataclass
class AdapterState:
    """The only state kept between requests: the replay sessions, by name."""

    sessions: dict[str, MemoryReplayStore] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Decoding request fields (protocol shapes → Python values).
# ---------------------------------------------------------------------------------------------


def _field(request: dict[str, Any], name: str) -> Any:
    if name not in request:
        raise _BadRequest(f"expected field {name!r}, got none")
    return request[name]


def _str(request: dict[str, Any], name: str) -> str:
    value = _field(request, name)
    if not isinstance(value, str):
        raise _BadRequest(f"{name}: expected a string, got {type(value).__name__}")
    return value


def _int(request: dict[str, Any], name: str) -> int:
    value = _field(request, name)
    if type(value) is not int:
        raise _BadRequest(f"{name}: expected an integer, got {type(value).__name__}")
    return value


def _hex_text(value: object, name: str) -> bytes:
    # Protocol: "Bytes are lowercase hex without `0x` in fields named `*_hex`."
    if not isinstance(value, str):
        raise _BadRequest(f"{name}: expected a hex string, got {type(value).__name__}")
    if len(value) % 2 != 0:
        raise _BadRequest(f"{name}: expected an even number of hex digits, got {len(value)}")
    if not all(char in "0123456789abcdef" for char in value):
        raise _BadRequest(f"{name}: expected lowercase hex without 0x, got {value[:40]!r}")
    return bytes.fromhex(value)


def _hex(request: dict[str, Any], name: str) -> bytes:
    return _hex_text(_field(request, name), name)


def _profile(request: dict[str, Any]) -> ProfileName:
    name = _str(request, "profile")
    return get_profile(name).name


def _verify_profiles(request: dict[str, Any]) -> tuple[ProfileName, ...]:
    """verify_request's profile, or (extension) ``policy.profiles`` when ``profile`` is null."""
    if request.get("profile") is not None:
        return (_profile(request),)
    policy = request.get("policy")
    names = policy.get("profiles") if isinstance(policy, dict) else None
    if names is None:
        raise _BadRequest("expected a profile, or policy.profiles when profile is null")
    return tuple(get_profile(name).name for name in _string_list(names, "policy.profiles"))


def _decode_request(request: dict[str, Any]) -> Request:
    """Protocol "A request" → :class:`Request` (wire order and repeats of headers kept)."""
    message = _field(request, "request")
    if not isinstance(message, dict):
        raise _BadRequest(f"request: expected an object, got {type(message).__name__}")
    method = _str(message, "method")
    url = _str(message, "url")
    raw_headers = message.get("headers", [])
    if not isinstance(raw_headers, list):
        raise _BadRequest(f"request.headers: expected a list, got {type(raw_headers).__name__}")
    headers: list[tuple[str, str]] = []
    for line in raw_headers:
        if not isinstance(line, list) or len(line) != 2:
            raise _BadRequest(f"request.headers: expected [name, value] pairs, got {line!r}")
        name, value = line
        if not isinstance(name, str) or not isinstance(value, str):
            raise _BadRequest(f"request.headers: expected string pairs, got {line!r}")
        headers.append((name, value))
    # Protocol: "`body_hex` absent or null means no content; `""` means empty content."
    body_hex = message.get("body_hex")
    body = None if body_hex is None else _hex_text(body_hex, "request.body_hex")
    return Request(method=method, target_uri=url, headers=tuple(headers), body=body)


def _string_list(value: object, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(entry, str) for entry in value):
        raise _BadRequest(f"{name}: expected a list of strings, got {value!r}")
    return list(value)


# ---------------------------------------------------------------------------------------------
# Operations.
# ---------------------------------------------------------------------------------------------

Handler = Callable[[dict[str, Any], AdapterState], dict[str, Any]]


def _hello(request: dict[str, Any], state: AdapterState) -> dict[str, Any]:
    protocol = request.get("protocol", PROTOCOL_VERSION)
    if protocol != PROTOCOL_VERSION:
        raise _Unsupported(f"expected protocol {PROTOCOL_VERSION}, got {protocol!r}")
    return {
        "implementation": {"name": "erc8128", "version": __version__, "language": "python"},
        "operations": list(OPERATIONS),
        "profiles": ["draft", "legacy"],
        # RFC 6979 signing: signatures may be compared byte for byte.
        "capabilities": ["rfc6979"],
        "libraries": {"erc8128": __version__, "python": sys.version.split()[0]},
        # Extension (conformance/README.md, "Mapping an SDK's own options"): how `policy` maps
        # onto this implementation's options; the suite prints it in the report header.
        "posture": {
            "policy": "every protocol policy field maps 1:1 onto VerifierPolicy; "
            "nothing approximated",
            "replay_store": "MemoryReplayStore per replay_session; a fresh one per call "
            "without a session",
            "clock": "the request's now (verify) or created (sign); no wall clock",
            "account_state": "policy.account_state: no-code, unavailable, or a scripted chain",
        },
    }


def _keccak256(request: dict[str, Any], state: AdapterState) -> dict[str, Any]:
    return {"digest_hex": keccak256(_hex(request, "data_hex")).hex()}


def _personal_message_hash(request: dict[str, Any], state: AdapterState) -> dict[str, Any]:
    return {"hash_hex": personal_message_hash(_hex(request, "message_hex")).hex()}


def _sign_message(request: dict[str, Any], state: AdapterState) -> dict[str, Any]:
    private_key = _hex(request, "private_key_hex")
    message = _hex(request, "message_hex")
    return {"signature_hex": sign_message(private_key, message).hex()}


def _recover_address(request: dict[str, Any], state: AdapterState) -> dict[str, Any]:
    if request.get("strict", True) is not True:
        raise _Unsupported("only strict recovery (ERC-8128 §3.4.3) is implemented")
    message_hash = _hex(request, "hash_hex")
    signature = _hex(request, "signature_hex")
    return {"address": recover_address(message_hash, signature)}


def _address_of(request: dict[str, Any], state: AdapterState) -> dict[str, Any]:
    address = address_of(_hex(request, "private_key_hex"))
    return {"address": address, "checksum_address": to_checksum_address(address)}


def _header_type(request: dict[str, Any]) -> str:
    header_type = _str(request, "header_type")
    if header_type not in ("item", "list", "dictionary"):
        raise _BadRequest(f"header_type: expected item, list or dictionary, got {header_type!r}")
    return header_type


def _sf_parse(request: dict[str, Any], state: AdapterState) -> dict[str, Any]:
    header_type = _header_type(request)
    raw = _string_list(_field(request, "raw"), "raw")
    parsed = parse_field(header_type, raw)  # type: ignore[arg-type]
    return {"value": to_json_form(parsed)}


def _sf_serialize(request: dict[str, Any], state: AdapterState) -> dict[str, Any]:
    header_type = _header_type(request)
    value = from_json_form(_field(request, "value"), header_type)  # type: ignore[arg-type]
    serialized: str
    if isinstance(value, Item):
        serialized = serialize_item(value)
    elif header_type == "list":
        members: SFList = value  # type: ignore[assignment]
        serialized = serialize_list(members)
    else:
        entries: Dictionary = value  # type: ignore[assignment]
        serialized = serialize_dictionary(entries)
    return {"serialized": serialized}


def _content_digest(request: dict[str, Any], state: AdapterState) -> dict[str, Any]:
    body = _hex(request, "body_hex")
    algorithms = _string_list(request.get("algorithms", ["sha-256"]), "algorithms")
    return {"value": content_digest(body, algorithms)}


def _verify_content_digest(request: dict[str, Any], state: AdapterState) -> dict[str, Any]:
    body = _hex(request, "body_hex")
    value = _str(request, "value")
    try:
        matched = verify_content_digest(body, value)
    except ContentDigestError as error:
        # Protocol: "`{}` or error `bad_content_digest`"; the finer code is kept.
        raise _Rejected(
            "bad_content_digest", error.message, {"detail_reason": error.reason}
        ) from None
    return {"matched": list(matched)}


def _signature_base(request: dict[str, Any], state: AdapterState) -> dict[str, Any]:
    message = _decode_request(request)
    label = _str(request, "label")
    return {"base": signature_base_for_label(message, label)}


def _parse_keyid(request: dict[str, Any], state: AdapterState) -> dict[str, Any]:
    account = parse_keyid(_str(request, "keyid"), _profile(request))
    return {"chain_id": account.chain_id, "address": account.address}


def _bare_item(value: object, name: str) -> BareItem:
    """A signature parameter value in the JSON form of httpwg/structured-field-tests."""
    return from_json_form([value, []], "item").value  # type: ignore[union-attr]


def _sign_request(request: dict[str, Any], state: AdapterState) -> dict[str, Any]:
    profile = _profile(request)
    message = _decode_request(request)
    private_key = _hex(request, "private_key_hex")
    nonce = request.get("nonce")
    if nonce is not None and not isinstance(nonce, str):
        raise _BadRequest(f"nonce: expected a string or null, got {type(nonce).__name__}")
    components = request.get("components")
    params = request.get("params") or {}
    if not isinstance(params, dict):
        raise _BadRequest(f"params: expected an object, got {type(params).__name__}")
    signed = sign_request(
        message,
        private_key,
        profile=profile,
        chain_id=_int(request, "chain_id"),
        created=_int(request, "created"),
        expires=_int(request, "expires"),
        nonce=nonce,
        # Protocol: the adapter "never draws randomness unless asked": a null nonce signs a
        # Replayable request rather than drawing a fresh nonce.
        replayable=nonce is None,
        label=request.get("label") or "eth",
        components=None if components is None else _string_list(components, "components"),
        params={key: _bare_item(value, f"params.{key}") for key, value in params.items()},
    )
    return {
        "headers": [[name, value] for name, value in signed.request.headers],
        "label": signed.label,
        "keyid": signed.keyid,
        "signature_input": signed.signature_input,
        "signature_base": signed.signature_base,
        "message_hash_hex": signed.message_hash.hex(),
        "signature_hex": signed.signature.hex(),
    }


def _policy(
    raw: object, profiles: tuple[ProfileName, ...]
) -> tuple[VerifierPolicy, AccountState, MemoryInvalidationState]:
    """Protocol ``policy`` → (VerifierPolicy, account state, early-invalidation state), through
    the one mapping the vectors use too (erc8128.cli.policy_document)."""
    try:
        inputs = verifier_inputs(raw, profiles)
    except PolicyDocumentError as error:
        if error.reason == "policy_unsupported":
            raise _Unsupported(error.message) from None
        raise _BadRequest(error.message) from None
    return inputs.policy, inputs.accounts, inputs.invalidation


def verified_summary(verified: Verified) -> dict[str, Any]:
    """What an accepted verification answers in every form: the fields a ``verify_request``
    vector's ``valid`` result records (vectors/README.md) and the adapter answers first."""
    return {
        "address": verified.address,
        "chain_id": verified.chain_id,
        "keyid": verified.keyid,
        "label": verified.label,
        "replayable": verified.replayable,
        "request_bound": verified.request_bound,
        # Serialised component identifiers in signed order, e.g. "\"@authority\"".
        "covered": list(verified.covered_components),
        "nonce_consumed": verified.nonce_consumed,
    }


def verified_json(verified: Verified) -> dict[str, Any]:
    """The adapter's ``verify_request`` answer: the summary, then the verification's details."""
    return {
        **verified_summary(verified),
        "profile": verified.profile,
        "created": verified.created,
        "expires": verified.expires,
        "nonce": verified.nonce,
        "signature_base": verified.signature_base,
        "fingerprint": verified.fingerprint,
        "verification_method": verified.verification_method,
    }


def _verify_request(request: dict[str, Any], state: AdapterState) -> dict[str, Any]:
    profiles = _verify_profiles(request)
    message = _decode_request(request)
    now = _int(request, "now")
    policy, accounts, invalidation = _policy(request.get("policy"), profiles)
    session_name = request.get("replay_session")
    if session_name is None:
        nonces = MemoryReplayStore()  # no session: a fresh replay store for this call only
    elif isinstance(session_name, str):
        nonces = state.sessions.setdefault(session_name, MemoryReplayStore())
    else:
        raise _BadRequest(f"replay_session: expected a string, got {type(session_name).__name__}")
    # The store expires marks at the `now` the verifier hands it: this request's.
    verified = verify_request(
        message,
        now=now,
        nonces=nonces,
        policy=policy,
        accounts=accounts,
        invalidation=invalidation,
    )
    return verified_json(verified)


def _reset_replay_session(request: dict[str, Any], state: AdapterState) -> dict[str, Any]:
    state.sessions.pop(_str(request, "replay_session"), None)
    return {}


OPERATIONS: Final[dict[str, Handler]] = {
    "hello": _hello,
    "keccak256": _keccak256,
    "personal_message_hash": _personal_message_hash,
    "sign_message": _sign_message,
    "recover_address": _recover_address,
    "address_of": _address_of,
    "sf_parse": _sf_parse,
    "sf_serialize": _sf_serialize,
    "content_digest": _content_digest,
    "verify_content_digest": _verify_content_digest,
    "signature_base": _signature_base,
    "parse_keyid": _parse_keyid,
    "sign_request": _sign_request,
    "verify_request": _verify_request,
    "reset_replay_session": _reset_replay_session,
}


class _Rejected(Exception):
    """A rejection whose protocol reason differs from the implementation's error reason."""

    def __init__(self, reason: str, message: str, extra: dict[str, Any]) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.extra = extra


def _error_json(error: Erc8128Error) -> dict[str, Any]:
    encoded: dict[str, Any] = {"reason": error.reason, "message": error.message}
    if isinstance(error, VerificationError):
        # Protocol: "a rejection is an `error` whose reason is the profile's stable code, plus
        # `"status"` (the HTTP status the profile assigns)".
        encoded["status"] = error.status
        encoded["label"] = error.label
        encoded["nonce_consumed"] = False
        encoded["candidate_failures"] = [
            {"label": failure.label, "reason": failure.reason}
            for failure in error.candidate_failures
        ]
    return encoded


def answer(request: object, state: AdapterState) -> dict[str, Any]:
    """The protocol response to one decoded request (never raises)."""
    seq = request.get("seq") if isinstance(request, dict) else None
    op = request.get("op") if isinstance(request, dict) else None
    if type(seq) is not int or not isinstance(request, dict) or not isinstance(op, str):
        return {
            "seq": seq if type(seq) is int else None,
            "error": {
                "reason": "adapter_bad_request",
                "message": "expected an object with an integer seq and a string op",
            },
        }
    handler = OPERATIONS.get(op)
    if handler is None:
        return {"seq": seq, "unsupported": True, "detail": f"unknown op {op!r}"}
    try:
        return {"seq": seq, "ok": handler(request, state)}
    except _Unsupported as unsupported:
        return {"seq": seq, "unsupported": True, "detail": str(unsupported)}
    except _BadRequest as bad:
        return {"seq": seq, "error": {"reason": "adapter_bad_request", "message": str(bad)}}
    except _Rejected as rejected:
        error = {"reason": rejected.reason, "message": rejected.message, **rejected.extra}
        return {"seq": seq, "error": error}
    except Erc8128Error as error:
        return {"seq": seq, "error": _error_json(error)}
    except RecursionError:
        message = "expected JSON values nested less deeply than the interpreter's stack allows"
        return {"seq": seq, "error": {"reason": "adapter_bad_request", "message": message}}
    except Exception as unexpected:  # a bug: reported, never a crash of the adapter
        traceback.print_exc(file=sys.stderr)
        return {
            "seq": seq,
            "error": {
                "reason": "adapter_internal",
                "message": f"{type(unexpected).__name__}: {unexpected}",
            },
        }


def answer_line(line: bytes, state: AdapterState) -> dict[str, Any]:
    """The response to one raw request line."""
    # The JSON parser recurses per nesting level: refuse absurd nesting before parsing, so a
    # hostile line cannot exhaust the stack (no protocol request comes near this bound).
    containers = line.count(b"[") + line.count(b"{")
    if containers > _MAX_JSON_CONTAINERS:
        return {
            "seq": None,
            "error": {
                "reason": "adapter_bad_json",
                "message": f"expected at most {_MAX_JSON_CONTAINERS} JSON arrays and objects "
                f"in one line, got {containers}",
            },
        }
    try:
        # Decimals stay exact for sf_serialize (RFC 9651 §3.3.2: at most 3 fraction digits).
        request = json.loads(line.decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        return {
            "seq": None,
            "error": {"reason": "adapter_bad_json", "message": f"not a JSON line: {error}"},
        }
    return answer(request, state)


def serve(stdin: IO[bytes], stdout: IO[bytes]) -> int:
    """Answer request lines from ``stdin`` until it closes, one response line each, in order."""
    state = AdapterState()
    for line in stdin:
        if not line.strip():
            continue
        response = answer_line(line, state)
        try:
            encoded = json.dumps(response, separators=(",", ":"))
        except (TypeError, ValueError) as error:  # a bug: reported, never a crash
            encoded = json.dumps({
                "seq": response.get("seq"),
                "error": {"reason": "adapter_internal", "message": f"unencodable answer: {error}"},
            })
        stdout.write(encoded.encode("ascii") + b"\n")
        stdout.flush()
    return 0


def add_parser(subparsers: Any) -> None:
    add_command(
        subparsers, "adapter", run,
        summary="speak the conformance adapter protocol (JSON lines on stdin/stdout)",
        description=(
            "Answer conformance adapter protocol requests (one JSON object per line on stdin) "
            "with this implementation, one JSON response per line on stdout."
        ),
    )


def run(args: argparse.Namespace) -> int:
    protocol_out = sys.stdout.buffer
    # Only protocol lines may reach stdout: anything else printed goes to stderr.
    sys.stdout = sys.stderr
    return serve(sys.stdin.buffer, protocol_out)
