"""The draft profile against the ERC's own test vectors: the positive vector byte for byte and
every row of the Negative and classification table (test-cases.json N01-N28), each its own test.

Rows N09/N10 need contract state; here an in-process fake provider plays the chain so the
order of ERC-8128 §4.1 is tested exactly (the real-chain tests use anvil)."""

import base64
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import pytest

from erc8128.crypto.accelerate import use_backend
from erc8128.crypto.personal_sign import personal_message_hash
from erc8128.errors import AccountStateUnavailable
from erc8128.http.message import Request
from erc8128.http.structured_fields import Token
from erc8128.protocol.accounts import NoCodeAccountState, UnavailableAccountState
from erc8128.protocol.keyid import Account
from erc8128.protocol.policy import Limits, VerifierPolicy
from erc8128.protocol.sign import sign_request
from erc8128.state.invalidation import MemoryInvalidationState
from erc8128.state.nonces.memory import MemoryReplayStore
from tests.support.draft_fixture import (
    ADDRESS,
    CASES,
    LABEL,
    NOW,
    POSITIVE,
    PRIVATE_KEY,
    SIGNATURE_BASE,
    positive_request,
    rejects,
    store,
    verify,
    with_field,
    without,
)
from tests.support.draft_fixture import (
    field as field_value,
)

SIGNATURE_INPUT = field_value(positive_request(), "signature-input")


@pytest.fixture(autouse=True, params=["pure", "coincurve"])
def backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """Every row runs on the pure code and on the accelerated backend: same answers."""
    use_backend(request.param)
    yield request.param
    use_backend(None)


PARAMS = POSITIVE["signature_params"]
COMPONENTS = [c.strip('"') for c in POSITIVE["covered_components"]]
NONCE = "EjRWeJCrze8BI0VniavN7w"


def resign(request: Request | None = None, **kwargs: object) -> Request:
    """Re-sign the positive request (without its signature fields) with changed parameters."""
    base = request or without(without(positive_request(), "signature-input"), "signature")
    options: dict[str, object] = {
        "created": 1700000000,
        "expires": 1700000060,
        "nonce": NONCE,
        "label": LABEL,
        "components": COMPONENTS,
    }
    options.update(kwargs)
    return sign_request(base, PRIVATE_KEY, **options).request  # type: ignore[arg-type]


@dataclass
class FakeChain:
    """An account-state provider with scripted answers that counts every call."""

    code: bytes = b""
    erc1271_result: bool = False
    calls: list[str] = field(default_factory=list)

    def get_code(self, account: Account) -> bytes:
        self.calls.append("get_code")
        return self.code

    def erc1271_is_valid(self, account: Account, message_hash: bytes, signature: bytes) -> bool:
        self.calls.append("erc1271")
        return self.erc1271_result

    def erc6492_is_valid(self, account: Account, message_hash: bytes, signature: bytes) -> bool:
        self.calls.append("erc6492")
        raise AccountStateUnavailable("account_state_unavailable", "not simulated")


# -- the positive vector -----------------------------------------------------------------------


def test_positive_vector_verifies_with_every_intermediate_value() -> None:
    nonces = store()
    result = verify(positive_request(), nonces=nonces)
    assert result.signature_base == SIGNATURE_BASE
    assert len(result.signature_base.encode()) == POSITIVE["signature_base_utf8_len"] == 449
    assert "0x" + result.message_hash.hex() == POSITIVE["erc191_hash"]
    assert result.address == ADDRESS
    assert result.keyid == CASES["fixture"]["account_id"]
    assert result.account.signer_id == POSITIVE["expected"]["signer"]
    assert result.request_bound is True
    assert result.replayable is False
    assert result.nonce_consumed is True
    assert result.label == LABEL
    assert result.verification_method == "eoa"
    assert list(result.covered_components) == POSITIVE["covered_components"]


def test_positive_vector_is_reproduced_by_sign_request_byte_for_byte() -> None:
    signed = sign_request(
        without(without(positive_request(), "signature-input"), "signature"),
        PRIVATE_KEY,
        created=1700000000,
        expires=1700000060,
        nonce=NONCE,
        label=LABEL,
        components=COMPONENTS,
    )
    assert signed.signature_base == SIGNATURE_BASE
    assert signed.message_hash == personal_message_hash(SIGNATURE_BASE.encode())
    assert "0x" + signed.signature.hex() == POSITIVE["signature"]
    assert f"{LABEL}={signed.signature_input}" == SIGNATURE_INPUT
    assert field_value(signed.request, "signature") == field_value(positive_request(), "signature")


def test_default_signing_covers_the_same_components_as_the_vector() -> None:
    signed = sign_request(
        without(without(positive_request(), "signature-input"), "signature"),
        PRIVATE_KEY,
        created=1700000000,
        nonce=NONCE,
        label=LABEL,
    )
    assert signed.signature_input == PARAMS


# -- the Negative and classification table -----------------------------------------------------


@pytest.mark.parametrize("name", ["Signature", "Signature-Input"])
def test_N01_missing_field(name: str) -> None:
    error = rejects(without(positive_request(), name), "signature_missing")
    assert error.status == 401


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("Signature-Input", SIGNATURE_INPUT + " junk"),
        ("Signature-Input", 'request=("@scheme"'),
        ("Signature", "request=:not base64!:"),
        ("Signature", "request=:AAAA:,,"),
    ],
)
def test_N02_invalid_syntax_is_400_without_candidates(name: str, value: str) -> None:
    nonces = store()
    error = rejects(with_field(positive_request(), name, value), "signature_input_invalid",
                    nonces=nonces)
    assert error.status == 400
    assert error.candidate_failures == ()
    assert len(nonces) == 0


def test_N03_uncorrelated_first_candidate_then_positive_wins() -> None:
    request = positive_request()
    first = "first" + SIGNATURE_INPUT[len("request"):]
    request = with_field(request, "Signature-Input", first + ", " + SIGNATURE_INPUT)
    result = verify(request)
    assert result.label == "request"


def test_N03_uncorrelated_candidate_alone_is_signature_input_invalid() -> None:
    request = with_field(positive_request(), "Signature",
                         "other=" + field_value(positive_request(), "signature")[8:])
    error = rejects(request, "signature_input_invalid")
    assert error.label == "request"


def _too_large_cases() -> list[tuple[str, Request, VerifierPolicy]]:
    request = positive_request()
    big_field = with_field(request, "Signature-Input",
                           SIGNATURE_INPUT + ", pad=" + '"' + "a" * 16384 + '"')
    big_member = with_field(request, "Signature",
                            field_value(request, "signature") + ", pad=:"
                            + base64.b64encode(bytes(9000)).decode() + ":")
    big_member_sig = with_field(request, "Signature",
                                "request=:" + base64.b64encode(bytes(8193)).decode() + ":")
    many_components = with_field(
        request, "Signature-Input",
        SIGNATURE_INPUT.replace('"content-type")',
                                '"content-type" ' + " ".join(f'"x-{i}"' for i in range(26)) + ")"),
    )
    many_params = with_field(
        request, "Signature-Input",
        SIGNATURE_INPUT + "".join(f";p{i}=1" for i in range(12)),
    )
    candidates = ", ".join(f"c{i}" + SIGNATURE_INPUT[len("request"):] for i in range(9))
    many_candidates = with_field(request, "Signature-Input", candidates)
    policy = VerifierPolicy()
    return [
        ("field", big_field, policy),
        ("decoded member", big_member_sig, policy),
        ("components", many_components, policy),
        ("parameters", many_params, policy),
        ("candidates", many_candidates, policy),
        ("signature field", big_member, VerifierPolicy(limits=Limits(signature_bytes=4096))),
    ]


@pytest.mark.parametrize(("what", "request_", "policy"), _too_large_cases(),
                         ids=[c[0] for c in _too_large_cases()])
def test_N04_limits_are_400_before_cryptography(what: str, request_: Request,
                                                policy: VerifierPolicy) -> None:
    chain = FakeChain()
    error = rejects(request_, "signature_too_large", policy=policy, accounts=chain)
    assert error.status == 400
    assert chain.calls == []


def test_N05_unknown_tag_only() -> None:
    request = with_field(positive_request(), "Signature-Input",
                         SIGNATURE_INPUT.replace('tag="erc8128"', 'tag="erc8128-ext"'))
    rejects(request, "no_acceptable_signature")


@pytest.mark.parametrize(
    "keyid",
    [
        "eip155:1:0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf",  # checksummed, not canonical
        "eip155:01:0x7e5f4552091a69125d5dfcb7b8c2659029395bdf",  # leading zero
        "erc8128:1:0x7e5f4552091a69125d5dfcb7b8c2659029395bdf",  # legacy namespace
        "eip155:1:7e5f4552091a69125d5dfcb7b8c2659029395bdf",  # no 0x
        "eip155:1:0x7e5f4552091a69125d5dfcb7b8c2659029395bd",  # 39 hex
        "eip155:\u0661:0x7e5f4552091a69125d5dfcb7b8c2659029395bdf"[:0] + "eip155:+1:0x" + "7e" * 20,
    ],
)
def test_N06_non_canonical_keyid(keyid: str) -> None:
    request = with_field(positive_request(), "Signature-Input",
                         SIGNATURE_INPUT.replace(CASES["fixture"]["account_id"], keyid))
    rejects(request, "invalid_keyid")


def test_N07_unserved_chain_before_rpc() -> None:
    chain = FakeChain()
    rejects(positive_request(), "unsupported_chain",
            policy=VerifierPolicy(served_chains=frozenset({8453})), accounts=chain)
    assert chain.calls == []


def test_N08_mode_eoa_authenticates_without_account_code() -> None:
    request = resign(params={"mode": "eoa"})
    result = verify(request, accounts=UnavailableAccountState())
    assert result.verification_method == "eoa-mode"
    assert result.code_lookups == 0


def test_N09_erc1271_account_with_mode_eoa_uses_its_contract() -> None:
    request = resign(params={"mode": "eoa"})
    # A signature only the contract accepts: 65 bytes that recover to some other address.
    bogus = base64.b64encode(bytes([1] * 64 + [27])).decode()
    request = with_field(request, "Signature", f"{LABEL}=:{bogus}:")
    accepting = FakeChain(code=b"\x60\x80", erc1271_result=True)
    assert verify(request, accounts=accepting).verification_method == "erc1271"
    assert accepting.calls == ["get_code", "erc1271"]
    refusing = FakeChain(code=b"\x60\x80", erc1271_result=False)
    rejects(request, "bad_signature", accounts=refusing)
    assert refusing.calls == ["get_code", "erc1271"]


def test_N10_eip7702_delegated_eoa_with_mode_eoa_recovers_locally() -> None:
    request = resign(params={"mode": "eoa"})
    chain = FakeChain(code=bytes.fromhex("ef0100") + bytes(20), erc1271_result=False)
    result = verify(request, accounts=chain)
    assert result.verification_method == "eoa-mode"
    assert chain.calls == []


def test_N10_without_mode_the_delegated_eoa_goes_to_erc1271_with_no_fallback() -> None:
    chain = FakeChain(code=bytes.fromhex("ef0100") + bytes(20), erc1271_result=False)
    rejects(positive_request(), "bad_signature", accounts=chain)
    assert chain.calls == ["get_code", "erc1271"]


@pytest.mark.parametrize("mode", ["EOA", "sca", "eoa "])
def test_N11_other_mode_string_is_ignored(mode: str) -> None:
    request = resign(params={"mode": mode})
    rejects(request, "signature_verification_unavailable", accounts=UnavailableAccountState())
    assert verify(request, accounts=NoCodeAccountState()).verification_method == "eoa"


def test_N11_mode_token_is_ignored() -> None:
    request = resign(params={"mode": Token("eoa")})
    error = rejects(request, "signature_verification_unavailable",
                    accounts=UnavailableAccountState())
    assert error.status == 503


@pytest.mark.parametrize(
    "signature_input",
    [
        SIGNATURE_INPUT.replace("created=1700000000;", ""),
        SIGNATURE_INPUT.replace("created=1700000000", 'created="1700000000"'),
        SIGNATURE_INPUT.replace("expires=1700000060", "expires=1700000000"),
        SIGNATURE_INPUT.replace("expires=1700000060", "expires=1699999999"),
        SIGNATURE_INPUT.replace("created=1700000000", "created=?1"),
        SIGNATURE_INPUT.replace("created=1700000000", "created=1700000000.0"),
    ],
    ids=["no-created", "created-string", "expires-equal", "expires-before", "created-bool",
         "created-decimal"],
)
def test_N12_invalid_time(signature_input: str) -> None:
    rejects(with_field(positive_request(), "Signature-Input", signature_input), "invalid_time")


def test_N13_not_yet_valid() -> None:
    rejects(positive_request(), "request_not_yet_valid", now=1699999969)
    assert verify(positive_request(), now=1699999970).address == ADDRESS


def test_N14_expired() -> None:
    rejects(positive_request(), "request_expired", now=1700000091)
    assert verify(positive_request(), now=1700000090).address == ADDRESS


def test_N15_validity_too_long_before_cryptography() -> None:
    request = resign(expires=1700000061)
    chain = FakeChain()
    policy = VerifierPolicy(max_validity_sec=60)
    rejects(request, "request_validity_too_long", policy=policy, accounts=chain)
    assert chain.calls == []
    assert verify(resign(expires=1700000060), policy=policy).address == ADDRESS


@pytest.mark.parametrize(
    "nonce_param", ["nonce=EjRWeJCrze8BI0VniavN7w", 'nonce="' + "a" * 129 + '"', "nonce=1",
                    "nonce=:AAAA:"],
    ids=["token", "129-bytes", "integer", "bytes"],
)
def test_N16_invalid_nonce(nonce_param: str) -> None:
    request = with_field(positive_request(), "Signature-Input",
                         SIGNATURE_INPUT.replace(f'nonce="{NONCE}"', nonce_param))
    rejects(request, "invalid_nonce")


def test_N16_nonce_of_128_bytes_is_accepted() -> None:
    assert verify(resign(nonce="a" * 128)).nonce == "a" * 128


def test_N17_query_not_covered() -> None:
    request = with_field(positive_request(), "Signature-Input",
                         SIGNATURE_INPUT.replace('"@query" ', ""))
    rejects(request, "insufficient_coverage")


def test_N18_content_without_digest() -> None:
    rejects(without(positive_request(), "Content-Digest"), "content_digest_required")


@pytest.mark.parametrize(
    "mutation",
    ["body", "malformed", "sha-512-mismatch", "not-bytes", "wrong-length"],
)
def test_N19_bad_content_digest(mutation: str) -> None:
    request = positive_request()
    digest = field_value(request, "content-digest")
    if mutation == "body":
        request = replace(request, body=b'{"hello":"World"}')
    elif mutation == "malformed":
        request = with_field(request, "Content-Digest", "sha-256=:k6I5:,")
    elif mutation == "sha-512-mismatch":
        request = with_field(request, "Content-Digest",
                             digest + ", sha-512=:" + base64.b64encode(bytes(64)).decode() + ":")
    elif mutation == "not-bytes":
        request = with_field(request, "Content-Digest", 'sha-256="k6I5cakU5erL8KjSUVTNownDwccvu5k"')
    else:
        request = with_field(request, "Content-Digest",
                             "sha-256=:" + base64.b64encode(bytes(31)).decode() + ":")
    rejects(request, "bad_content_digest")


def test_N20_nonce_required_on_non_replayable_route() -> None:
    request = with_field(positive_request(), "Signature-Input",
                         SIGNATURE_INPUT.replace(f';nonce="{NONCE}"', ""))
    rejects(request, "nonce_required")


def test_N21_invalidation_endpoint_requires_a_nonce_and_changes_nothing() -> None:
    request = resign(nonce=None, replayable=True)
    state = MemoryInvalidationState()
    policy = VerifierPolicy(replay="either", invalidation_endpoint=True)
    rejects(request, "nonce_required", policy=policy, invalidation=state)
    assert state.not_before(f"eip155:1:{ADDRESS}") is None


def test_N22_replay_is_refused() -> None:
    nonces = store()
    assert verify(positive_request(), nonces=nonces).nonce_consumed
    rejects(positive_request(), "nonce_reused", nonces=nonces)


def test_N23_replayable_supported_but_denied() -> None:
    request = resign(nonce=None, replayable=True)
    policy = VerifierPolicy(replay="either", replayable_allowed=lambda account: False)
    rejects(request, "replayable_not_allowed", policy=policy,
            invalidation=MemoryInvalidationState())
    allowed = verify(request, policy=VerifierPolicy(replay="either"),
                     invalidation=MemoryInvalidationState())
    assert allowed.replayable is True


def test_N24_alg_is_unsupported() -> None:
    request = with_field(positive_request(), "Signature-Input",
                         SIGNATURE_INPUT + ';alg="ecdsa-p256-sha256"')
    rejects(request, "unsupported_algorithm")


def test_N25_changed_query_is_bad_signature_and_consumes_nothing() -> None:
    nonces = store()
    request = replace(positive_request(), target_uri="https://api.example/items?view=summary")
    rejects(request, "bad_signature", nonces=nonces)
    assert len(nonces) == 0
    assert verify(positive_request(), nonces=nonces).nonce_consumed


def test_N26_account_state_unavailable_is_503() -> None:
    error = rejects(positive_request(), "signature_verification_unavailable",
                    accounts=UnavailableAccountState())
    assert error.status == 503


def test_N27_principal_policy_before_cryptography() -> None:
    chain = FakeChain()
    policy = VerifierPolicy(principal_allowed=lambda account: account.address != ADDRESS)
    rejects(positive_request(), "principal_not_allowed", policy=policy, accounts=chain)
    assert chain.calls == []


def test_N28_failing_candidate_before_positive_does_not_mask_it() -> None:
    request = positive_request()
    failing = "early" + SIGNATURE_INPUT[len("request"):].replace("view", "v")
    request = with_field(request, "Signature-Input", failing + ", " + SIGNATURE_INPUT)
    request = with_field(request, "Signature", "early=:" + base64.b64encode(bytes(65)).decode()
                         + ":, " + field_value(positive_request(), "signature"))
    assert verify(request).label == "request"


def test_every_row_of_the_table_has_a_test() -> None:
    rows = {row["id"] for row in CASES["negative"]}
    names = {name.split("_")[1] for name in globals() if name.startswith("test_N")}
    assert rows == names


def test_restart_floor_refuses_what_an_earlier_process_may_have_accepted() -> None:
    # Decision D61: "request_validity_too_long" (401, sign again after Retry-After), decided
    # before cryptography and before the nonce.
    store = MemoryReplayStore()
    error = rejects(positive_request(), "request_validity_too_long", nonces=store,
                    restart_floor=NOW)
    assert error.status == 401 and error.retry_after == 1
    assert "the verifier restarted" in error.detail
    assert len(store) == 0
    later = resign(created=NOW + 1, expires=NOW + 61)
    assert verify(later, nonces=store, now=NOW + 1, restart_floor=NOW).nonce_consumed


def test_replay_store_full_fails_closed() -> None:
    full = MemoryReplayStore(capacity=1)
    assert verify(resign(nonce="one"), nonces=full).nonce_consumed
    rejects(resign(nonce="two"), "signature_verification_unavailable", nonces=full)


def test_a_signer_can_deny_its_own_replayable_signature_but_not_anothers() -> None:
    request = resign(nonce=None, replayable=True)
    policy = VerifierPolicy(replay="either")
    state = MemoryInvalidationState()
    first = verify(request, policy=policy, invalidation=state)
    state.invalidate(first.fingerprint, NOW + 100, signer_id="eip155:1:0x" + "11" * 20, now=NOW)
    assert verify(request, policy=policy, invalidation=state).replayable  # someone else: no effect
    state.invalidate(first.fingerprint, NOW + 100, signer_id=first.account.signer_id, now=NOW)
    rejects(request, "replayable_not_allowed", policy=policy, invalidation=state)


def test_signer_not_before_invalidates_older_replayable_signatures() -> None:
    request = resign(nonce=None, replayable=True)
    policy = VerifierPolicy(replay="either")
    state = MemoryInvalidationState(not_before={f"eip155:1:{ADDRESS}": 1700000001})
    rejects(request, "replayable_not_allowed", policy=policy, invalidation=state)
    state = MemoryInvalidationState(not_before={f"eip155:1:{ADDRESS}": 1700000000})
    assert verify(request, policy=policy, invalidation=state).replayable
