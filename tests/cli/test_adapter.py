"""``erc8128 adapter``: every operation cross-checked against independent libraries, the error
contract (typed errors, never a crash, stdout protocol lines only), injected time and replay
sessions, and every response valid against conformance/schema/adapter-protocol.schema.json."""

import base64
import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from Crypto.Hash import keccak as pycryptodome_keccak
from eth_account import Account as EthAccount
from eth_account.messages import encode_defunct
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erc8128.cli.adapter import OPERATIONS, AdapterState, answer, answer_line

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads(
    (ROOT / "conformance" / "schema" / "adapter-protocol.schema.json").read_text("utf-8")
)
KEY_1 = "00" * 31 + "01"
ADDRESS_1 = "0x7e5f4552091a69125d5dfcb7b8c2659029395bdf"
KEY_2 = "00" * 31 + "02"


def _validator(ref: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator({**SCHEMA, "$ref": ref})


RESPONSE = _validator("#/$defs/response_line")
REQUEST = _validator("#/$defs/request_line")


def call(state: AdapterState, op: str, **fields: Any) -> dict[str, Any]:
    request = {"seq": 7, "op": op, **fields}
    REQUEST.validate(request)
    response = answer(request, state)
    # The response goes through JSON, as on the wire.
    response = dict(json.loads(json.dumps(response)))
    RESPONSE.validate(response)
    assert response["seq"] == 7
    if "ok" in response:
        _validator(f"#/$defs/ok/{op}").validate(response["ok"])
    return response


@pytest.fixture
def state() -> AdapterState:
    return AdapterState()


def test_hello_lists_every_operation_and_both_profiles(state: AdapterState) -> None:
    ok = call(state, "hello", protocol=1)["ok"]
    assert ok["operations"] == list(OPERATIONS)
    assert set(ok["operations"]) >= {
        "keccak256", "personal_message_hash", "sign_message", "recover_address", "address_of",
        "sf_parse", "sf_serialize", "content_digest", "verify_content_digest", "signature_base",
        "parse_keyid", "sign_request", "verify_request", "reset_replay_session",
    }
    assert ok["profiles"] == ["draft", "legacy"]
    assert "rfc6979" in ok["capabilities"]


def test_hello_other_protocol_is_unsupported(state: AdapterState) -> None:
    assert call(state, "hello", protocol=1)["ok"]
    response = answer({"seq": 1, "op": "hello", "protocol": 2}, state)
    assert response["unsupported"] is True


@pytest.mark.parametrize("data", [b"", b"abc", bytes(range(256)) * 3])
def test_keccak256_matches_pycryptodome(state: AdapterState, data: bytes) -> None:
    digest = pycryptodome_keccak.new(digest_bits=256, data=data).hexdigest()
    assert call(state, "keccak256", data_hex=data.hex())["ok"]["digest_hex"] == digest


@pytest.mark.parametrize("message", [b"", b"hello", "I\u2665SF".encode()])
def test_erc191_hash_sign_recover_match_eth_account(state: AdapterState, message: bytes) -> None:
    signed = EthAccount.sign_message(encode_defunct(primitive=message), bytes.fromhex(KEY_2))
    hash_hex = call(state, "personal_message_hash", message_hex=message.hex())["ok"]["hash_hex"]
    assert hash_hex == signed.message_hash.hex().removeprefix("0x")
    signature = call(state, "sign_message", private_key_hex=KEY_2, message_hex=message.hex())
    # eth-account signs RFC 6979 low-s as well: the bytes are identical.
    assert signature["ok"]["signature_hex"] == signed.signature.hex().removeprefix("0x")
    recovered = call(
        state, "recover_address", hash_hex=hash_hex,
        signature_hex=signature["ok"]["signature_hex"], strict=True,
    )
    assert recovered["ok"]["address"] == EthAccount.from_key(KEY_2).address.lower()


def test_recover_high_s_is_a_typed_error(state: AdapterState) -> None:
    n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    message_hash = hashlib.sha256(b"x").hexdigest()
    good = call(state, "sign_message", private_key_hex=KEY_1, message_hex="")["ok"]
    r, s, v = good["signature_hex"][:64], int(good["signature_hex"][64:128], 16), 27
    high = r + f"{n - s:064x}" + f"{v:02x}"
    error = call(state, "recover_address", hash_hex=message_hash, signature_hex=high,
                 strict=True)["error"]
    assert error["reason"] == "signature_high_s"


def test_recover_non_strict_is_unsupported(state: AdapterState) -> None:
    response = call(state, "recover_address", hash_hex="00" * 32, signature_hex="00" * 65,
                    strict=False)
    assert response["unsupported"] is True


def test_address_of_matches_eth_account(state: AdapterState) -> None:
    ok = call(state, "address_of", private_key_hex=KEY_2)["ok"]
    expected = EthAccount.from_key(KEY_2).address
    assert ok == {"address": expected.lower(), "checksum_address": expected}


def test_content_digest_matches_hashlib(state: AdapterState) -> None:
    body = b'{"hello": "world"}'
    value = call(state, "content_digest", body_hex=body.hex(),
                 algorithms=["sha-256", "sha-512"])["ok"]["value"]
    sha256 = base64.b64encode(hashlib.sha256(body).digest()).decode()
    sha512 = base64.b64encode(hashlib.sha512(body).digest()).decode()
    assert value == f"sha-256=:{sha256}:, sha-512=:{sha512}:"
    assert call(state, "verify_content_digest", body_hex=body.hex(), value=value)["ok"]
    error = call(state, "verify_content_digest", body_hex=(body + b" ").hex(), value=value)
    assert error["error"]["reason"] == "bad_content_digest"
    assert error["error"]["detail_reason"] == "content_digest_mismatch"


def test_sf_parse_and_serialize_round_trip_decimals_exactly(state: AdapterState) -> None:
    parsed = call(state, "sf_parse", header_type="dictionary", raw=["a=1.5, b=?0;x=:AQI=:"])
    value = parsed["ok"]["value"]
    assert value == [["a", [1.5, []]], ["b", [False, [["x", {"__type": "binary",
                                                              "value": "AEBA===="}]]]]]
    # The decimal 0.001 is sent as JSON text and must serialise exactly, not as a float.
    response = answer_line(
        b'{"seq":1,"op":"sf_serialize","header_type":"item","value":[0.001,[]]}', state
    )
    assert response["ok"]["serialized"] == "0.001"
    serialized = call(state, "sf_serialize", header_type="dictionary", value=value)
    assert serialized["ok"]["serialized"] == "a=1.5, b=?0;x=:AQI=:"
    error = call(state, "sf_parse", header_type="list", raw=["(a"])["error"]
    assert error["reason"] == "structured_field"


def _request(url: str = "https://api.example/items?view=full") -> dict[str, Any]:
    return {
        "method": "POST",
        "url": url,
        "headers": [["content-type", "application/json"]],
        "body_hex": b'{"hello":"world"}'.hex(),
    }


def _sign(state: AdapterState, profile: str, **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "profile": profile, "request": _request(), "private_key_hex": KEY_1, "chain_id": 1,
        "created": 1700000000, "expires": 1700000060, "nonce": "n-1", "label": "eth",
        "components": None, "params": {},
    }
    fields.update(overrides)
    return call(state, "sign_request", **fields)


def _verify(state: AdapterState, profile: str, headers: list[list[str]], now: int,
            **fields: Any) -> dict[str, Any]:
    request = {**_request(), "headers": headers}
    return call(state, "verify_request", profile=profile, request=request, now=now, **fields)


@pytest.mark.parametrize("profile", ["draft", "legacy"])
def test_sign_then_verify_and_the_signature_recovers_with_eth_account(
    state: AdapterState, profile: str
) -> None:
    signed = _sign(state, profile)["ok"]
    names = [name.lower() for name, _ in signed["headers"]]
    assert names == ["content-type", "content-digest", "signature-input", "signature"]
    # Independent check: eth-account recovers the signer from the signature base.
    recovered = EthAccount.recover_message(
        encode_defunct(text=signed["signature_base"]), signature=signed["signature_hex"]
    )
    assert recovered.lower() == ADDRESS_1
    ok = _verify(state, profile, signed["headers"], 1700000010)["ok"]
    assert ok["address"] == ADDRESS_1
    assert ok["chain_id"] == 1
    assert ok["keyid"] == ("eip155:1:" if profile == "draft" else "erc8128:1:") + ADDRESS_1
    assert ok["label"] == "eth"
    assert ok["replayable"] is False
    assert ok["request_bound"] is True
    assert ok["nonce_consumed"] is True
    assert '"@authority"' in ok["covered"]
    assert '"content-digest"' in ok["covered"]


def test_verify_uses_the_injected_now(state: AdapterState) -> None:
    headers = _sign(state, "draft")["ok"]["headers"]
    # ERC-8128 §3.3.2: valid exactly when created - s <= now <= expires + s (s = 30).
    assert _verify(state, "draft", headers, 1700000060 + 30)["ok"]
    error = _verify(state, "draft", headers, 1700000060 + 31)["error"]
    assert (error["reason"], error["status"]) == ("request_expired", 401)
    early = _verify(state, "draft", headers, 1700000000 - 31)["error"]
    assert early["reason"] == "request_not_yet_valid"


def test_replay_session_keeps_nonces_until_reset(state: AdapterState) -> None:
    headers = _sign(state, "draft")["ok"]["headers"]
    session = {"replay_session": "s1"}
    assert _verify(state, "draft", headers, 1700000010, **session)["ok"]["nonce_consumed"]
    error = _verify(state, "draft", headers, 1700000011, **session)["error"]
    assert (error["reason"], error["status"]) == ("nonce_reused", 401)
    # Another session, or no session at all, has its own empty replay state.
    assert _verify(state, "draft", headers, 1700000011, replay_session="s2")["ok"]
    assert _verify(state, "draft", headers, 1700000011)["ok"]
    assert call(state, "reset_replay_session", replay_session="s1")["ok"] == {}
    assert _verify(state, "draft", headers, 1700000012, **session)["ok"]


def test_replay_store_clock_is_the_request_now(state: AdapterState) -> None:
    # A mark lives while now <= expires + skew: the store must expire it by the injected
    # clock, not the wall clock (which is years after 1700000000).
    headers = _sign(state, "draft", created=1700000000, expires=1700000060)["ok"]["headers"]
    session = {"replay_session": "clock"}
    assert _verify(state, "draft", headers, 1700000089, **session)["ok"]
    error = _verify(state, "draft", headers, 1700000090, **session)["error"]
    assert error["reason"] == "nonce_reused"


def test_policy_fields_reach_the_verifier(state: AdapterState) -> None:
    headers = _sign(state, "draft")["ok"]["headers"]
    cases: list[tuple[dict[str, Any], str]] = [
        ({"served_chains": [10]}, "unsupported_chain"),
        ({"denied_principals": [ADDRESS_1]}, "principal_not_allowed"),
        ({"max_validity_sec": 59}, "request_validity_too_long"),
        ({"required_components": ["x-missing"]}, "insufficient_coverage"),
        ({"account_state": "unavailable"}, "signature_verification_unavailable"),
        ({"account_state": "erc1271-rejects"}, "bad_signature"),
    ]
    for policy, reason in cases:
        error = _verify(state, "draft", headers, 1700000010, policy=policy)["error"]
        assert error["reason"] == reason, policy
    assert _verify(state, "draft", headers, 1700000010,
                   policy={"account_state": "erc1271-accepts"})["ok"]


def test_replayable_signatures_and_early_invalidation(state: AdapterState) -> None:
    signed = _sign(state, "draft", nonce=None)["ok"]
    headers = signed["headers"]
    assert "nonce=" not in signed["signature_input"]
    assert _verify(state, "draft", headers, 1700000010)["error"]["reason"] == "nonce_required"
    either = {"replay": "either"}
    ok = _verify(state, "draft", headers, 1700000010, policy=either)["ok"]
    assert ok["replayable"] is True
    assert ok["nonce_consumed"] is False
    fingerprint = "0x" + signed["message_hash_hex"]
    for policy in (
        {**either, "not_before": {ADDRESS_1: 1700000001}},
        {**either, "invalidated_signatures": [fingerprint]},
        {**either, "replayable_denied_principals": [ADDRESS_1]},
    ):
        error = _verify(state, "draft", headers, 1700000010, policy=policy)["error"]
        assert error["reason"] == "replayable_not_allowed", policy


def test_profile_null_takes_policy_profiles(state: AdapterState) -> None:
    headers = _sign(state, "legacy")["ok"]["headers"]
    both = {"profiles": ["draft", "legacy"]}
    assert _verify(state, None, headers, 1700000010, policy=both)["ok"]  # type: ignore[arg-type]
    error = _verify(state, None, headers, 1700000010,  # type: ignore[arg-type]
                    policy={"profiles": ["draft"]})["error"]
    assert error["reason"] == "no_acceptable_signature"


def test_signature_base_and_parse_keyid(state: AdapterState) -> None:
    signed = _sign(state, "legacy")["ok"]
    request = {**_request(), "headers": signed["headers"]}
    base = call(state, "signature_base", request=request, label="eth")["ok"]["base"]
    assert base == signed["signature_base"]
    parsed = call(state, "parse_keyid", profile="legacy", keyid=signed["keyid"])["ok"]
    assert parsed == {"chain_id": 1, "address": ADDRESS_1}
    error = call(state, "parse_keyid", profile="draft", keyid=signed["keyid"])["error"]
    assert error["reason"] == "invalid_keyid"


@pytest.mark.parametrize("policy", [
    {"skew_sec": True}, {"skew_sec": "30"}, {"class_bound": 1}, {"account_state": ["x"]},
    {"served_chains": [1.0]}, {"not_before": {"0xab": "1"}}, {"denied_principals": "0xab"},
])
def test_mistyped_policy_fields_are_bad_requests(state: AdapterState, policy: Any) -> None:
    headers = _sign(state, "draft")["ok"]["headers"]
    response = answer({"seq": 1, "op": "verify_request", "profile": "draft",
                       "request": {**_request(), "headers": headers}, "now": 1700000010,
                       "policy": policy}, state)
    assert response["error"]["reason"] == "adapter_bad_request", response


def test_unknown_policy_field_and_op_are_unsupported(state: AdapterState) -> None:
    headers = _sign(state, "draft")["ok"]["headers"]
    response = _verify(state, "draft", headers, 1700000010, policy={"rate_limit": 5})
    assert response["unsupported"] is True
    assert answer({"seq": 3, "op": "teleport"}, state)["unsupported"] is True


@pytest.mark.parametrize(
    "line",
    [b"not json", b"\xff\xfe", b"[1,2]", b'{"op":"hello"}', b'{"seq":"1","op":"hello"}',
     b'{"seq":1}', b'{"seq":1,"op":"keccak256"}', b'{"seq":1,"op":"keccak256","data_hex":"0"}',
     b'{"seq":1,"op":"keccak256","data_hex":"ZZ"}', b"[" * 100_000 + b"]" * 100_000,
     b'{"seq":1,"op":"verify_request","profile":"draft","now":1,"request":{"method":"GET"}}',
     b'{"seq":1,"op":"verify_request","profile":"x","now":1,"request":{}}',
     b'{"seq":1,"op":"sign_request","profile":"draft","request":{"method":"GET",'
     b'"url":"https://a/","headers":[]},"private_key_hex":"00","chain_id":1,"created":1,'
     b'"expires":2,"nonce":"n"}'],
)
def test_bad_lines_get_typed_errors(state: AdapterState, line: bytes) -> None:
    response = answer_line(line, state)
    RESPONSE.validate(json.loads(json.dumps(response)))
    assert "error" in response
    assert response["error"]["reason"] != "adapter_internal"


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(op=st.sampled_from(sorted(OPERATIONS)), fields=st.dictionaries(
    st.sampled_from(["data_hex", "message_hex", "private_key_hex", "hash_hex", "signature_hex",
                     "request", "label", "profile", "keyid", "now", "policy", "header_type",
                     "raw", "value", "body_hex", "algorithms", "created", "expires", "nonce",
                     "chain_id", "components", "params", "replay_session", "strict"]),
    JSON_VALUES, max_size=6))
def test_arbitrary_fields_never_crash_the_adapter(op: str, fields: dict[str, Any]) -> None:
    response = answer({"seq": 5, "op": op, **fields}, AdapterState())
    RESPONSE.validate(json.loads(json.dumps(response)))
    assert response["seq"] == 5
    if "error" in response:
        assert response["error"]["reason"] != "adapter_internal", response


def test_process_answers_in_order_and_writes_only_protocol_lines() -> None:
    lines = [
        {"seq": 1, "op": "hello", "protocol": 1},
        {"seq": 2, "op": "keccak256", "data_hex": "616263"},
        "garbage",
        {"seq": 3, "op": "parse_keyid", "profile": "draft", "keyid": "nope"},
        {"seq": 4, "op": "reset_replay_session", "replay_session": "x"},
    ]
    stdin = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    completed = subprocess.run(
        [sys.executable, "-m", "erc8128", "adapter"], input=stdin + "\n", capture_output=True,
        text=True, timeout=60, check=True,
    )
    responses = [json.loads(line) for line in completed.stdout.splitlines()]
    assert [response["seq"] for response in responses] == [1, 2, None, 3, 4]
    for response in responses:
        RESPONSE.validate(response)
    assert responses[1]["ok"]["digest_hex"] == pycryptodome_keccak.new(
        digest_bits=256, data=b"abc"
    ).hexdigest()
    assert responses[3]["error"]["reason"] == "invalid_keyid"
