"""The JSON test vectors in vectors/ (erc8128_vectors): schema, frame, independent cross-checks,
and every vector run back through the reference implementation.

Independent implementations used here only: jsonschema (Draft 2020-12), pycryptodome (Keccak),
eth-account (ERC-191 hash, signing, recovery), ecdsa (RFC 6979 signatures), hashlib (digests).
A behaviour change in erc8128 makes the run-back tests fail until the vectors are regenerated
with ``python -m erc8128_vectors.generate``; ``--check`` is run here too.
"""

import base64
import functools
import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from Crypto.Hash import keccak as pycryptodome_keccak
from ecdsa import SECP256k1, SigningKey
from ecdsa.util import sigdecode_string, sigencode_string
from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_defunct
from jsonschema import Draft202012Validator

from erc8128.crypto.keccak import keccak256
from erc8128.crypto.personal_sign import recover_address, sign_message
from erc8128.errors import Erc8128Error
from erc8128.http.content_digest import content_digest, verify_content_digest
from erc8128.http.signature_base import signature_base_for_label
from erc8128.protocol.keyid import parse_keyid
from erc8128.reasons import REASON_CODES, http_status
from erc8128_vectors import VECTORS_DIR
from erc8128_vectors.generate import (
    main,
    request_from_json,
    run_sign,
    run_verify,
    run_verify_steps,
)

# The same list as conformance/adapters/slicekit/vectors.test.mjs FILES (cross-language test
# data, repeated on purpose; deliberate for the duplicate scan).
FILES = (
    "keccak256.json",
    "erc191_hash.json",
    "erc191_sign.json",
    "erc191_recover.json",
    "keyid.json",
    "content_digest.json",
    "signature_base.json",
    "sign_request.json",
    "verify_request.json",
    "replay.json",
)
# Fields of a test that are not an expected output.
_META = frozenset({"tcId", "comment", "flags", "draftRow", "decision", "requirement",
                   "explanation", "tags", "chain_ids", "textOutcome"})
_VERIFY_INPUTS = frozenset({"request", "now", "policy", "prior"})
_SIGN_INPUTS = frozenset({"request", "private_key_hex", "chain_id", "created", "expires",
                          "nonce", "label", "components", "params"})
_HALF_N = SECP256k1.order // 2


@functools.cache
def load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((VECTORS_DIR / name).read_text(encoding="utf-8"))
    return document


def cases(name: str, group_type: str | None = None) -> list[Any]:
    """pytest params (group, test) of one file, with ids naming the tcId."""
    found = []
    for group in load(name)["testGroups"]:
        if group_type is not None and group["type"] != group_type:
            continue
        for test in group["tests"]:
            found.append(pytest.param(group, test, id=f"tc{test['tcId']}"))
    return found


def all_tests(name: str) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    for group in load(name)["testGroups"]:
        for test in group["tests"]:
            yield group, test


def eth_hash(message: bytes) -> bytes:
    digest: bytes = _hash_eip191_message(encode_defunct(primitive=message))
    return digest


def eth_recover(message_hash: bytes, signature: bytes) -> str:
    address: str = Account._recover_hash(message_hash, signature=signature)
    return address.lower()


def signature_of(request_json: dict[str, Any], label: str) -> bytes:
    """The label's Signature member, parsed with a regex of this test (not our sf parser)."""
    lines = [value for name, value in request_json["headers"] if name.lower() == "signature"]
    found = re.findall(rf"(?:^|,)\s*{re.escape(label)}=:([A-Za-z0-9+/=]*):", ", ".join(lines))
    encoded: str = found[-1]
    return base64.b64decode(encoded + "=" * (-len(encoded) % 4))


# -- the frame: files, schemas, tcIds, flags ------------------------------------------------


def test_every_vector_file_is_present() -> None:
    on_disk = {path.name for path in VECTORS_DIR.glob("*.json")}
    assert on_disk == {*FILES, "published_ids.json"}


@pytest.mark.parametrize("name", FILES)
def test_file_validates_against_its_schema(name: str) -> None:
    document = load(name)
    schema = json.loads((VECTORS_DIR / "schema" / document["schema"]).read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    errors = sorted(Draft202012Validator(schema).iter_errors(document), key=str)
    assert errors == [], errors[0].message if errors else ""


@pytest.mark.parametrize("name", FILES)
def test_tc_ids_counts_and_flags(name: str) -> None:
    document = load(name)
    ids = [test["tcId"] for _, test in all_tests(name)]
    assert len(set(ids)) == len(ids)
    assert min(ids) == 1
    assert document["numberOfTests"] == len(ids)
    used = {flag for _, test in all_tests(name) for flag in test["flags"]}
    assert used <= set(document["notes"]), used - set(document["notes"])
    assert document["schema"] == name.removesuffix(".json") + ".schema.json"


@pytest.mark.parametrize("name", FILES)
def test_file_is_ascii_json_with_a_trailing_newline(name: str) -> None:
    raw = (VECTORS_DIR / name).read_bytes()
    assert raw.isascii()
    assert raw.endswith(b"}\n")


def test_generator_check_finds_the_files_up_to_date(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--check"]) == 0
    assert "up to date" in capsys.readouterr().out


# -- keccak256 / ERC-191 ----------------------------------------------------------------------


@pytest.mark.parametrize(("group", "test"), cases("keccak256.json"))
def test_keccak256_matches_pycryptodome(group: dict[str, Any], test: dict[str, Any]) -> None:
    data = bytes.fromhex(test["data_hex"])
    independent = pycryptodome_keccak.new(digest_bits=256, data=data).hexdigest()
    assert test["digest_hex"] == independent
    assert keccak256(data).hex() == independent


@pytest.mark.parametrize(("group", "test"), cases("erc191_hash.json"))
def test_erc191_hash_matches_eth_account(group: dict[str, Any], test: dict[str, Any]) -> None:
    message = bytes.fromhex(test["message_hex"])
    prefixed = bytes.fromhex(test["prefixed_hex"])
    assert prefixed == b"\x19Ethereum Signed Message:\n" + str(len(message)).encode() + message
    assert pycryptodome_keccak.new(digest_bits=256, data=prefixed).hexdigest() == test["hash_hex"]
    assert eth_hash(message).hex() == test["hash_hex"]


@pytest.mark.parametrize(("group", "test"), cases("erc191_sign.json"))
def test_erc191_signature_matches_eth_account_and_ecdsa(group: dict[str, Any],
                                                        test: dict[str, Any]) -> None:
    key = bytes.fromhex(test["private_key_hex"])
    message = bytes.fromhex(test["message_hex"])
    if test["result"] == "invalid":
        with pytest.raises(Erc8128Error) as info:
            sign_message(key, message)
        assert info.value.reason == test["reason"]
        return
    signature = bytes.fromhex(test["signature_hex"])
    assert sign_message(key, message) == signature
    signed = Account.sign_message(encode_defunct(primitive=message), private_key=key)
    assert bytes(signed.signature) == signature
    assert bytes(signed.message_hash).hex() == test["hash_hex"]
    # ecdsa: RFC 6979 with HMAC-SHA256 over the hash, then the low-s form.
    signing_key = SigningKey.from_string(key, curve=SECP256k1)
    r, s = sigdecode_string(signing_key.sign_digest_deterministic(
        bytes.fromhex(test["hash_hex"]), hashfunc=hashlib.sha256, sigencode=sigencode_string),
        SECP256k1.order)
    s = s if s <= _HALF_N else SECP256k1.order - s
    assert signature[:64] == r.to_bytes(32, "big") + s.to_bytes(32, "big")
    assert eth_recover(bytes.fromhex(test["hash_hex"]), signature) == test["address"]
    assert Account.from_key(key).address.lower() == test["address"]


@pytest.mark.parametrize(("group", "test"), cases("erc191_recover.json"))
def test_strict_recovery(group: dict[str, Any], test: dict[str, Any]) -> None:
    message_hash = bytes.fromhex(test["hash_hex"])
    signature = bytes.fromhex(test["signature_hex"])
    if test["result"] == "valid":
        assert recover_address(message_hash, signature) == test["address"]
        assert eth_recover(message_hash, signature) == test["address"]
        return
    with pytest.raises(Erc8128Error) as info:
        recover_address(message_hash, signature)
    assert info.value.reason == test["reason"]
    # The strict rules, checked here independently of our decoder.
    if len(signature) == 65 and len(message_hash) == 32:
        r = int.from_bytes(signature[:32], "big")
        s = int.from_bytes(signature[32:64], "big")
        strictly_encoded = 1 <= r < SECP256k1.order and 1 <= s <= _HALF_N and signature[64] in (
            27, 28)
        assert not strictly_encoded or "NotOnCurve" in test["flags"]


def test_recover_covers_every_strict_rule() -> None:
    flags = {flag for _, test in all_tests("erc191_recover.json") for flag in test["flags"]}
    assert {"Length", "RRange", "SRange", "HighS", "V", "NotOnCurve"} <= flags


# -- keyid, content digest, signature base -----------------------------------------------------

_INDEPENDENT_KEYID = {
    "draft": re.compile(r"eip155:(0|[1-9][0-9]{0,31}):(0x[0-9a-f]{40})", re.ASCII),
    "legacy": re.compile(r"erc8128:(0|[1-9][0-9]{0,31}):(0x[0-9a-fA-F]{40})", re.ASCII),
}


@pytest.mark.parametrize(("group", "test"), cases("keyid.json"))
def test_keyid(group: dict[str, Any], test: dict[str, Any]) -> None:
    match = _INDEPENDENT_KEYID[group["profile"]].fullmatch(test["keyid"])
    if test["result"] == "invalid":
        assert match is None
        with pytest.raises(Erc8128Error) as info:
            parse_keyid(test["keyid"], group["profile"])
        assert info.value.reason == test["reason"]
        return
    assert match is not None
    assert (int(match[1]), match[2].lower()) == (test["chain_id"], test["address"])
    account = parse_keyid(test["keyid"], group["profile"])
    assert (account.chain_id, account.address) == (test["chain_id"], test["address"])


def _b64_digest(algorithm: str, body: bytes) -> str:
    function = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}[algorithm]
    return base64.b64encode(function(body).digest()).decode()


@pytest.mark.parametrize(("group", "test"), cases("content_digest.json",
                                                  "ContentDigestCreateTest"))
def test_content_digest_create(group: dict[str, Any], test: dict[str, Any]) -> None:
    body = bytes.fromhex(test["body_hex"])
    if test["result"] == "invalid":
        with pytest.raises(Erc8128Error) as info:
            content_digest(body, test["algorithms"])
        assert info.value.reason == test["reason"]
        return
    independent = ", ".join(f"{a}=:{_b64_digest(a, body)}:" for a in test["algorithms"])
    assert test["value"] == independent
    assert content_digest(body, test["algorithms"]) == independent


@pytest.mark.parametrize(("group", "test"), cases("content_digest.json",
                                                  "ContentDigestVerifyTest"))
def test_content_digest_verify(group: dict[str, Any], test: dict[str, Any]) -> None:
    body = bytes.fromhex(test["body_hex"])
    if test["result"] == "invalid":
        assert test["reason"] == "bad_content_digest"
        with pytest.raises(Erc8128Error) as info:
            verify_content_digest(body, test["value"])
        assert info.value.reason == test["detail"]
        return
    assert verify_content_digest(body, test["value"]) == tuple(test["matched"])
    for algorithm in test["matched"]:
        assert _b64_digest(algorithm, body).rstrip("=") in test["value"]


@pytest.mark.parametrize(("group", "test"), cases("signature_base.json"))
def test_signature_base(group: dict[str, Any], test: dict[str, Any]) -> None:
    if test["result"] == "invalid":
        assert test["reason"] == "signature_input_invalid"
        with pytest.raises(Erc8128Error) as info:
            signature_base_for_label(request_from_json(test["request"]), test["label"])
        assert info.value.reason == test["detail"]
        return
    base = test["base"]
    assert signature_base_for_label(request_from_json(test["request"]), test["label"]) == base
    lines = base.split("\n")
    assert lines[-1].startswith('"@signature-params": (')
    assert all(re.fullmatch(r'"[^"]+"(;[^:]*)?: [\x20-\x7e\t]*', line) for line in lines)


def test_the_draft_signature_base_is_the_drafts_own() -> None:
    draft = json.loads((VECTORS_DIR / "third_party/erc8128-draft/test-cases.json").read_text())
    bases = [t["base"] for _, t in all_tests("signature_base.json") if "DraftVector" in t["flags"]]
    assert bases == [draft["positive"]["signature_base"]]


# -- sign_request ---------------------------------------------------------------------------


def _expected(test: dict[str, Any], inputs: frozenset[str]) -> dict[str, Any]:
    return {key: value for key, value in test.items() if key not in _META | inputs}


@pytest.mark.parametrize(("group", "test"), cases("sign_request.json"))
def test_sign_request(group: dict[str, Any], test: dict[str, Any]) -> None:
    expected = _expected(test, _SIGN_INPUTS)
    if expected["result"] == "acceptable":  # ours refuses; ignoring is in textOutcome
        expected["result"] = "invalid"
    assert run_sign(test, group["profile"]) == expected
    if test["result"] != "valid":
        return
    key = bytes.fromhex(test["private_key_hex"])
    base = test["signature_base"].encode("ascii")
    signed = Account.sign_message(encode_defunct(primitive=base), private_key=key)
    assert bytes(signed.message_hash).hex() == test["message_hash_hex"]
    assert bytes(signed.signature).hex() == test["signature_hex"]
    assert test["keyid"].endswith(":" + Account.from_key(key).address.lower())
    headers = test["headers"]
    assert headers[: len(test["request"]["headers"])] == test["request"]["headers"]
    assert headers[-2] == ["Signature-Input", f"{test['label']}={test['signature_input']}"]
    assert signature_of({"headers": headers}, test["label"]).hex() == test["signature_hex"]
    if test["request"]["body_hex"]:
        body = bytes.fromhex(test["request"]["body_hex"])
        digests = [v for n, v in headers if n.lower() == "content-digest"]
        assert f"sha-256=:{_b64_digest('sha-256', body)}:" in digests[0]


def test_sign_request_reproduces_the_drafts_signature() -> None:
    draft = json.loads((VECTORS_DIR / "third_party/erc8128-draft/test-cases.json").read_text())
    signatures = ["0x" + t["signature_hex"] for _, t in all_tests("sign_request.json")
                  if "DraftVector" in t["flags"]]
    assert signatures == [draft["positive"]["signature"]]


# -- verify_request and replay --------------------------------------------------------------


def _check_intermediates(step: dict[str, Any], flags: list[str]) -> None:
    """H, the recovered address and the content digest, recomputed independently."""
    if "signature_base" in step:
        message_hash = eth_hash(step["signature_base"].encode("ascii"))
        assert message_hash.hex() == step["message_hash_hex"]
        label = step.get("label")
        if step["recovered_address"] is not None and label is not None:
            signature = signature_of(step["request"], label)
            assert eth_recover(message_hash, signature) == step["recovered_address"]
    body_hex = step["request"]["body_hex"]
    if body_hex:
        body = bytes.fromhex(body_hex)
        assert step["content_digest"] == f"sha-256=:{_b64_digest('sha-256', body)}:"
    else:
        assert step["content_digest"] is None
    if step["result"] == "invalid" or "reason" in step:  # acceptable: our outcome rejects
        assert step["status"] == http_status(step["reason"])
    elif "NeedsChain" not in flags:
        # An EOA verdict: the recovered address is the keyid address.
        assert step["recovered_address"] == step["address"]


@pytest.mark.parametrize(("group", "test"), cases("verify_request.json"))
def test_verify_request(group: dict[str, Any], test: dict[str, Any]) -> None:
    expected = _expected(test, _VERIFY_INPUTS)
    if test["result"] == "acceptable":
        # Either outcome conforms; the recorded values are the reference implementation's (our
        # decision: a reason means it rejects), the text's outcome is in textOutcome.
        expected["result"] = "invalid" if "reason" in test else "valid"
    assert run_verify(test, group["profile"]) == expected
    _check_intermediates(test, test["flags"])


@pytest.mark.parametrize(("group", "test"), cases("replay.json"))
def test_replay_sequence(group: dict[str, Any], test: dict[str, Any]) -> None:
    outcomes = run_verify_steps(group["profile"], test["policy"], test["steps"])
    for step, outcome in zip(test["steps"], outcomes, strict=True):
        expected = {k: v for k, v in step.items()
                    if k not in {"comment", "request", "now", "textOutcome"}}
        if expected["result"] == "acceptable":  # our outcome; the text's is in textOutcome
            expected["result"] = "invalid" if "reason" in step else "valid"
        assert outcome == expected
        _check_intermediates(step, test["flags"])


def test_every_reason_code_three_times_per_profile() -> None:
    for profile in ("draft", "legacy"):
        counts = Counter(test["reason"] for group, test in all_tests("verify_request.json")
                         if group["profile"] == profile and test["result"] == "invalid")
        assert {code: counts[code] for code in REASON_CODES if counts[code] < 3} == {}


def test_every_row_of_the_drafts_table() -> None:
    draft = json.loads((VECTORS_DIR / "third_party/erc8128-draft/test-cases.json").read_text())
    rows = {row["id"] for row in draft["negative"]}
    covered = {test["draftRow"] for name in ("verify_request.json", "replay.json")
               for _, test in all_tests(name) if "draftRow" in test}
    assert covered == rows
    needs_chain = {test["draftRow"] for _, test in all_tests("verify_request.json")
                   if "NeedsChain" in test["flags"] and "draftRow" in test}
    assert needs_chain == {"N09", "N10"}


def test_every_observable_spec_decision_is_pinned() -> None:
    pinned = {test["decision"] for name in FILES for _, test in all_tests(name)
              if "decision" in test}
    # D12 (a replay store that cannot answer) is not expressible as a vector policy.
    # D28, D29: vectors/one_acceptance.py.
    # D86: signature_base.json (an acceptable vector, D87).
    assert pinned == ({f"D{number}" for number in range(1, 20)} - {"D12"}) | {
        "D28", "D29", "D86"}
    for name in FILES:
        for _, test in all_tests(name):
            assert ("decision" in test) == ("SpecDecision" in test["flags"]), test["tcId"]


def test_mutations_flip_every_signature_byte_in_both_profiles() -> None:
    for profile in ("draft", "legacy"):
        flips = [test for group, test in all_tests("verify_request.json")
                 if group["profile"] == profile and "SignatureByteFlip" in test["flags"]]
        assert len(flips) == 65
        assert {test["result"] for test in flips} == {"invalid"}
