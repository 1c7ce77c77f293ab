"""The @slicekit/erc8128 conformance adapter: protocol behaviour and its recorded deviations.

Drives ``conformance/adapters/slicekit/adapter.mjs`` (adapter protocol draft 1, JSON lines) and
cross-checks its answers against independent Python libraries (eth-account, pycryptodome,
hashlib). Every entry of ``deviations.json`` is replayed: the SDK must still behave as recorded,
so an SDK upgrade that changes behaviour fails here and the file must be regenerated.
"""

import base64
import hashlib
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from Crypto.Hash import keccak
from eth_account import Account
from eth_account.messages import encode_defunct

ROOT = Path(__file__).resolve().parents[2]
ADAPTER_DIR = ROOT / "conformance" / "adapters" / "slicekit"
DEVIATIONS = json.loads((ADAPTER_DIR / "deviations.json").read_text(encoding="utf-8"))
INSTALL_HINT = "run `npm ci --prefix conformance/adapters/slicekit` (scripts/test does this)"

PRIVATE_KEY = "00" * 31 + "01"
ADDRESS = Account.from_key(bytes.fromhex(PRIVATE_KEY)).address.lower()
CREATED = 1700000000
EXPIRES = 1700000060

Json = dict[str, Any]


class Adapter:
    """One long-lived adapter process; `ask` sends one line and reads exactly one line."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            ["node", "adapter.mjs"],
            cwd=ADAPTER_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.seq = 0

    def send_line(self, line: str) -> Json:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        reply = self.process.stdout.readline()
        if not reply:
            assert self.process.stderr is not None
            raise RuntimeError(f"adapter exited: {self.process.stderr.read()}")
        response: Json = json.loads(reply)
        return response

    def ask(self, request: Json) -> Json:
        self.seq += 1
        response = self.send_line(json.dumps({"seq": self.seq, **request}))
        assert response.pop("seq") == self.seq
        return response

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def adapter() -> Iterator[Adapter]:
    if shutil.which("node") is None:
        pytest.fail(f"node (>= 20) is not on PATH; install Node.js, then {INSTALL_HINT}")
    if not (ADAPTER_DIR / "node_modules" / "@slicekit" / "erc8128").is_dir():
        pytest.fail(f"{ADAPTER_DIR / 'node_modules'} is missing: {INSTALL_HINT}")
    process = Adapter()
    yield process
    process.close()
    assert process.process.returncode == 0


def contains(actual: Any, expected: Any) -> bool:
    """`expected` is a subset of `actual`: dict keys recursively, everything else by equality."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and contains(actual[key], value) for key, value in expected.items()
        )
    return bool(actual == expected)


def personal_hash(message: bytes) -> bytes:
    prefix = b"\x19Ethereum Signed Message:\n" + str(len(message)).encode("ascii")
    return keccak.new(digest_bits=256, data=prefix + message).digest()


def sign_request(adapter: Adapter, request: Json, nonce: str | None = "n-1", **extra: Any) -> Json:
    response = adapter.ask({
        "op": "sign_request", "profile": "legacy", "request": request,
        "private_key_hex": PRIVATE_KEY, "chain_id": 1, "created": CREATED, "expires": EXPIRES,
        "nonce": nonce, "label": "eth", "components": None, "params": {}, **extra,
    })
    assert "ok" in response, response
    return {**request, "headers": response["ok"]["headers"]}


def verify(adapter: Adapter, request: Json, now: int = CREATED + 5, **extra: Any) -> Json:
    return adapter.ask({
        "op": "verify_request", "profile": "legacy", "request": request, "now": now,
        "policy": {}, **extra,
    })


POST = {
    "method": "POST",
    "url": "https://api.example/items?view=full",
    "headers": [["content-type", "application/json"]],
    "body_hex": b'{"hello": "world"}'.hex(),
}


# -- protocol basics --------------------------------------------------------------------------

def test_hello_names_the_sdk_and_its_pinned_version(adapter: Adapter) -> None:
    ok = adapter.ask({"op": "hello", "protocol": 1})["ok"]
    pinned = json.loads((ADAPTER_DIR / "package.json").read_text(encoding="utf-8"))["dependencies"]
    assert ok["implementation"] == {
        "name": "@slicekit/erc8128",
        "version": pinned["@slicekit/erc8128"],
        "language": "typescript",
    }
    assert ok["profiles"] == ["legacy"]
    assert ok["capabilities"] == ["rfc6979"]
    assert {"sign_request", "verify_request", "reset_replay_session"} <= set(ok["operations"])
    assert ok["libraries"]["viem"] == pinned["viem"]


@pytest.mark.parametrize("line", ["garbage", "{", "[1, 2]", "null", '{"seq": "7", "op": "hello"}'])
def test_bad_line_gets_an_error_and_the_process_keeps_going(adapter: Adapter, line: str) -> None:
    response = adapter.send_line(line)
    assert response["seq"] is None
    assert response["error"]["reason"] in {"adapter_bad_json", "adapter_bad_request"}
    assert adapter.ask({"op": "keccak256", "data_hex": ""})["ok"]["digest_hex"].startswith("c5d2")


def test_unknown_operation_is_unsupported(adapter: Adapter) -> None:
    assert adapter.ask({"op": "sf_parse", "header_type": "item", "raw": ["1"]})["unsupported"]


def test_draft_profile_is_unsupported(adapter: Adapter) -> None:
    keyid = f"eip155:1:{ADDRESS}"
    response = adapter.ask({"op": "parse_keyid", "profile": "draft", "keyid": keyid})
    assert response["unsupported"] is True


def test_malformed_fields_are_errors_not_crashes(adapter: Adapter) -> None:
    assert adapter.ask({"op": "keccak256", "data_hex": "xyz"})["error"]["reason"] == (
        "adapter_bad_request"
    )
    assert adapter.ask({"op": "keccak256"})["error"]["reason"] == "adapter_bad_request"
    zero_key = adapter.ask({"op": "address_of", "private_key_hex": "00" * 32})
    assert zero_key["error"]["reason"] == "invalid_key"
    short = adapter.ask({"op": "recover_address", "hash_hex": "00" * 32,
                         "signature_hex": "00" * 10, "strict": True})
    assert short["error"]["reason"] == "recovery_failed"


# -- primitives, cross-checked with independent Python libraries ------------------------------

@pytest.mark.parametrize("length", [0, 1, 135, 136, 137, 272])
def test_keccak256_matches_pycryptodome(adapter: Adapter, length: int) -> None:
    data = bytes(i % 251 for i in range(length))
    ours = adapter.ask({"op": "keccak256", "data_hex": data.hex()})["ok"]["digest_hex"]
    assert ours == keccak.new(digest_bits=256, data=data).hexdigest()


@pytest.mark.parametrize("message", [b"", b"hello", b"\x00" * 100, "I♥SF".encode()])
def test_personal_sign_matches_eth_account(adapter: Adapter, message: bytes) -> None:
    hashed = adapter.ask({"op": "personal_message_hash", "message_hex": message.hex()})["ok"]
    assert hashed["hash_hex"] == personal_hash(message).hex()
    signed = adapter.ask({"op": "sign_message", "private_key_hex": PRIVATE_KEY,
                          "message_hex": message.hex()})["ok"]
    reference = Account.sign_message(encode_defunct(primitive=message), PRIVATE_KEY)
    assert signed["signature_hex"] == bytes(reference.signature).hex()
    recovered = adapter.ask({"op": "recover_address", "hash_hex": hashed["hash_hex"],
                             "signature_hex": signed["signature_hex"], "strict": True})["ok"]
    assert recovered["address"] == ADDRESS


def test_address_of_matches_eth_account(adapter: Adapter) -> None:
    key = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
    expected = Account.from_key(bytes.fromhex(key)).address
    ok = adapter.ask({"op": "address_of", "private_key_hex": key})["ok"]
    assert ok == {"address": expected.lower(), "checksum_address": expected}


@pytest.mark.parametrize("body", [b"", b"abc", b'{"hello": "world"}'])
def test_content_digest_matches_hashlib(adapter: Adapter, body: bytes) -> None:
    value = adapter.ask({"op": "content_digest", "body_hex": body.hex(),
                         "algorithms": ["sha-256"]})["ok"]["value"]
    assert value == f"sha-256=:{base64.b64encode(hashlib.sha256(body).digest()).decode()}:"
    assert adapter.ask({"op": "verify_content_digest", "body_hex": body.hex(),
                        "value": value}) == {"ok": {}}
    wrong = adapter.ask({"op": "verify_content_digest", "body_hex": (body + b"!").hex(),
                         "value": value})
    assert wrong["error"]["reason"] == "bad_content_digest"


def test_sha512_content_digest_is_unsupported(adapter: Adapter) -> None:
    response = adapter.ask({"op": "content_digest", "body_hex": "",
                            "algorithms": ["sha-256", "sha-512"]})
    assert response["unsupported"] is True


# -- sign_request / verify_request -------------------------------------------------------------

def rebuild_base(request: Json) -> tuple[str, bytes]:
    """The RFC 9421 base of the signed POST above, rebuilt independently, and its signature."""
    headers = dict(request["headers"])
    member = headers["signature-input"].removeprefix("eth=")
    covered = re.findall(r'"([^"]+)"', member.split(";")[0])
    values = {
        "@authority": "api.example", "@method": "POST", "@path": "/items",
        "@query": "?view=full", "content-digest": headers["content-digest"],
    }
    lines = [f'"{name}": {values[name]}' for name in covered]
    base = "\n".join([*lines, f'"@signature-params": {member}'])
    signature = base64.b64decode(headers["signature"].removeprefix("eth=:").removesuffix(":"))
    return base, signature


def test_sign_request_is_verifiable_with_eth_account(adapter: Adapter) -> None:
    signed = sign_request(adapter, POST)
    names = [name for name, _ in signed["headers"]]
    assert names == ["content-digest", "content-type", "signature", "signature-input"]
    member = dict(signed["headers"])["signature-input"]
    assert member == (
        'eth=("@authority" "@method" "@path" "@query" "content-digest");'
        f'created={CREATED};expires={EXPIRES};nonce="n-1";keyid="erc8128:1:{ADDRESS}"'
    )
    base, signature = rebuild_base(signed)
    recovered = Account.recover_message(encode_defunct(primitive=base.encode()),
                                        signature=signature)
    assert recovered.lower() == ADDRESS
    # rfc6979: signing twice gives the same bytes
    assert sign_request(adapter, POST)["headers"] == signed["headers"]


def test_round_trip_then_replay_then_reset(adapter: Adapter) -> None:
    signed = sign_request(adapter, POST, nonce="round-trip")
    adapter.ask({"op": "reset_replay_session", "replay_session": "rt"})
    first = verify(adapter, signed, replay_session="rt")
    assert first["ok"] == {
        "address": ADDRESS, "chain_id": 1, "keyid": f"erc8128:1:{ADDRESS}", "label": "eth",
        "replayable": False, "request_bound": True,
        "covered": ["@authority", "@method", "@path", "@query", "content-digest"],
        "nonce_consumed": True, "nonce_ttl_seconds": EXPIRES - (CREATED + 5),
    }
    again = verify(adapter, signed, replay_session="rt")
    assert again["error"]["reason"] == "nonce_reused"
    assert again["error"]["status"] == 401
    assert adapter.ask({"op": "reset_replay_session", "replay_session": "rt"}) == {"ok": {}}
    assert verify(adapter, signed, replay_session="rt")["ok"]["nonce_consumed"] is True


def test_sessions_are_separate(adapter: Adapter) -> None:
    signed = sign_request(adapter, POST, nonce="separate")
    assert "ok" in verify(adapter, signed, replay_session="s-a")
    assert "ok" in verify(adapter, signed, replay_session="s-b")


def test_tampered_body_and_signature_are_rejected(adapter: Adapter) -> None:
    signed = sign_request(adapter, POST, nonce="tamper")
    body = verify(adapter, {**signed, "body_hex": b'{"hello": "World"}'.hex()})
    assert body["error"]["reason"] == "bad_content_digest"
    headers = [[n, v.replace("/items", "/other")] for n, v in signed["headers"]]
    other_path = verify(adapter, {**signed, "url": "https://api.example/other?view=full",
                                  "headers": headers})
    assert other_path["error"]["reason"] == "bad_signature"
    assert other_path["error"]["nonce_consumed"] is False


@pytest.mark.parametrize(
    ("now", "policy", "reason", "status"),
    [
        (EXPIRES + 31, {}, "request_expired", 401),
        (EXPIRES + 30, {}, None, None),
        (CREATED - 31, {}, "request_not_yet_valid", 401),
        (CREATED, {"max_validity_sec": 59}, "request_validity_too_long", 401),
        (CREATED, {"account_state": "unavailable"}, "signature_verification_unavailable", 503),
        (CREATED, {"required_components": ["content-type"]}, "insufficient_coverage", 401),
    ],
)
def test_verify_policy_mapping(
    adapter: Adapter, now: int, policy: Json, reason: str | None, status: int | None
) -> None:
    signed = sign_request(adapter, POST, nonce=f"policy-{now}-{len(policy)}")
    response = verify(adapter, signed, now=now, policy=policy)
    if reason is None:
        assert "ok" in response, response
    else:
        assert response["error"]["reason"] == reason
        assert response["error"]["status"] == status


def test_replayable_needs_policy_and_honours_not_before(adapter: Adapter) -> None:
    signed = sign_request(adapter, POST, nonce=None)
    assert verify(adapter, signed)["error"]["reason"] == "nonce_required"
    ok = verify(adapter, signed, policy={"replay": "either"})["ok"]
    assert ok["replayable"] is True
    assert ok["nonce_consumed"] is False
    cut = verify(adapter, signed, policy={"replay": "either",
                                          "not_before": {ADDRESS: CREATED + 1}})
    assert cut["error"]["sdk_reason"] == "replayable_not_before"
    signature = dict(signed["headers"])["signature"].removeprefix("eth=:").removesuffix(":")
    fingerprint = base64.b64decode(signature).hex()
    dead = verify(adapter, signed, policy={"replay": "either",
                                           "invalidated_signatures": [fingerprint]})
    assert dead["error"]["sdk_reason"] == "replayable_invalidated"


def test_class_bound_needs_policy(adapter: Adapter) -> None:
    signed = sign_request(adapter, POST, nonce="class", components=["@authority", "@method"])
    assert verify(adapter, signed)["error"]["reason"] == "insufficient_coverage"
    ok = verify(adapter, signed, policy={"class_bound": True})["ok"]
    assert ok["request_bound"] is False
    assert ok["covered"] == ["@authority", "@method"]


def test_policy_the_sdk_cannot_express_is_unsupported(adapter: Adapter) -> None:
    signed = sign_request(adapter, POST, nonce="unsupported-policy")
    for policy in ({"served_chains": [1, 10]}, {"denied_principals": [ADDRESS]},
                   {"content_digest": "required"}):
        assert verify(adapter, signed, policy=policy)["unsupported"] is True


def test_signature_base_matches_the_signed_base(adapter: Adapter) -> None:
    signed = sign_request(adapter, POST, nonce="base")
    base, _ = rebuild_base(signed)
    ours = adapter.ask({"op": "signature_base", "request": signed, "label": "eth"})
    assert ours == {"ok": {"base": base}}


def test_requests_fetch_cannot_carry_are_unsupported(adapter: Adapter) -> None:
    get_with_body = {"method": "GET", "url": "https://a.example/", "headers": [], "body_hex": "00"}
    assert verify(adapter, get_with_body)["unsupported"] is True
    newline = {"method": "GET", "url": "https://a.example/", "headers": [["x-a", "a\nb"]]}
    assert verify(adapter, newline)["unsupported"] is True


# -- deviations.json ---------------------------------------------------------------------------

FIELDS = {"id", "catalogue", "operation", "input", "expected", "observed", "reason",
          "spec_sentence"}


def test_deviation_entries_are_well_formed() -> None:
    ids = [entry["id"] for entry in DEVIATIONS]
    assert len(ids) == len(set(ids))
    for entry in DEVIATIONS:
        assert set(entry) == FIELDS, entry["id"]
        steps = entry["input"] if isinstance(entry["input"], list) else [entry["input"]]
        assert steps[-1]["op"] == entry["operation"], entry["id"]
        assert entry["spec_sentence"].count('"') >= 2, entry["id"]
        assert not contains(entry["observed"], entry["expected"]), entry["id"]


@pytest.mark.parametrize("entry", DEVIATIONS, ids=[e["id"] for e in DEVIATIONS])
def test_deviation_still_observed(adapter: Adapter, entry: Json) -> None:
    steps = entry["input"] if isinstance(entry["input"], list) else [entry["input"]]
    response: Json = {}
    for step in steps:
        response = adapter.ask(step)
    assert contains(response, entry["observed"]), (entry["id"], response)
    assert not contains(response, entry["expected"]), (entry["id"], response)
