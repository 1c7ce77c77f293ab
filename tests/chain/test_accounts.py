"""ERC-8128 §4.1 Universal Account verification against a real chain (anvil, chain id 1,
hardfork prague), through full signed requests and ``verify_request(..., accounts=provider)``.

ERC-8128 "Test vectors": implementations "MUST also test ERC-6492 before code lookup, ERC-1271
without ECDSA fallback for deployed and EIP-7702-delegated Accounts, strict EOA recovery for a
code-free Account, that `mode="eoa"` verifies a recovering signature without an account-code
lookup and otherwise falls back to Universal Account verification". Each of those is a test
below; every RPC call the provider makes is counted by method.
"""

import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from erc8128.chain.abi import (
    address_word,
    bytes32_word,
    encode_arguments,
    encode_erc6492_wrapper,
    uint256_word,
)
from erc8128.chain.jsonrpc import JsonRpcEndpoint, JsonValue, RpcConfigError, rpc_call
from erc8128.chain.rpc import RpcAccountState
from erc8128.crypto.addresses import address_of
from erc8128.crypto.keccak import keccak256
from erc8128.crypto.personal_sign import sign_hash
from erc8128.errors import VerificationError
from erc8128.http.message import Request
from erc8128.protocol.accounts import ERC6492_MAGIC_SUFFIX
from erc8128.protocol.keyid import Account
from erc8128.protocol.sign import sign_request
from erc8128.protocol.verify import Verified, verify_request
from erc8128.state.nonces.memory import MemoryReplayStore
from tests.support.anvil import ANVIL_ACCOUNT_0, Anvil
from tests.support.chain_support import (
    artifact,
    authorization_json,
    create2_address,
    deploy,
    function_selector,
    send,
    sign_authorization,
    sign_request_for,
)
from tests.support.service_process import running

NOW = 1_800_000_000


def key(name: str) -> bytes:
    return keccak256(b"erc8128 chain test key: " + name.encode())


OWNER_KEY = key("wallet owner")
STRANGER_KEY = key("stranger")
EOA_KEY = key("code-free EOA")
DELEGATED_ACCEPTING_KEY = key("EOA delegated to an accepting ERC-1271 implementation")
DELEGATED_REJECTING_KEY = key("EOA delegated to an always-rejecting implementation")
DELEGATED_NO_1271_KEY = key("EOA delegated to code without isValidSignature")
DEPLOYED_SALT = b"\x00" * 31 + b"\x01"
COUNTERFACTUAL_SALT = b"\x00" * 31 + b"\x02"


@dataclass
class Chain:
    anvil: Anvil
    factory: str
    wallet: str  # OwnedWallet(owner) deployed through the factory
    counterfactual: str  # OwnedWallet(owner) at its CREATE2 address, not deployed
    delegate_accepting: str
    delegate_rejecting: str
    unprepared: str  # PreparableWallet with no owner yet (ERC-6492 "prepare" case)


@dataclass
class CountingTransport:
    """The provider's network edge, counting every JSON-RPC method it sends."""

    methods: list[str] = field(default_factory=list)

    def __call__(self, endpoint: JsonRpcEndpoint, method: str, params: list[JsonValue]) -> object:
        self.methods.append(method)
        return rpc_call(endpoint, method, params)


def deploy_call(owner: str, salt: bytes) -> bytes:
    return function_selector("deploy(address,bytes32)") + encode_arguments(
        [address_word(bytes.fromhex(owner[2:])), bytes32_word(salt)]
    )


@pytest.fixture(scope="module")
def chain() -> Iterator[Chain]:
    with running(Anvil()) as anvil:
        owner = address_of(OWNER_KEY)
        factory = deploy(anvil, "WalletFactory")
        send(anvil, {"to": factory, "data": "0x" + deploy_call(owner, DEPLOYED_SALT).hex()})
        init_code = bytes.fromhex(artifact("OwnedWallet")["bytecode"][2:]) + encode_arguments(
            [address_word(bytes.fromhex(owner[2:]))]
        )
        wallet = create2_address(factory, DEPLOYED_SALT, init_code)
        counterfactual = create2_address(factory, COUNTERFACTUAL_SALT, init_code)
        unprepared = deploy(anvil, "PreparableWallet")
        accepting = deploy(anvil, "Erc7702Delegate", [uint256_word(1)])
        rejecting = deploy(anvil, "Erc7702Delegate", [uint256_word(0)])
        # One EIP-7702 (type-4) transaction sets all three delegations; each authority signs
        # keccak256(0x05 ‖ rlp([chain_id, address, nonce])) with the repository's own signer.
        authorizations = [
            authorization_json(sign_authorization(DELEGATED_ACCEPTING_KEY, 1, accepting, 0)),
            authorization_json(sign_authorization(DELEGATED_REJECTING_KEY, 1, rejecting, 0)),
            authorization_json(sign_authorization(DELEGATED_NO_1271_KEY, 1, factory, 0)),
        ]
        receipt = send(anvil, {"to": ANVIL_ACCOUNT_0, "authorizationList": authorizations})
        assert receipt["type"] == "0x4"
        yield Chain(anvil, factory, wallet, counterfactual, accepting, rejecting, unprepared)


def provider(chain: Chain) -> tuple[RpcAccountState, CountingTransport]:
    counter = CountingTransport()
    state = RpcAccountState(((1, JsonRpcEndpoint(chain.anvil.url)),), transport=counter)
    return state, counter


REQUEST = Request("GET", "https://api.example/orders?id=7")


def eoa_request(private_key: bytes, nonce: str, mode: str | None = None) -> Request:
    params = {"mode": mode} if mode is not None else None
    return sign_request(REQUEST, private_key, created=NOW, nonce=nonce, params=params).request


def verify(request: Request, state: RpcAccountState) -> Verified:
    return verify_request(
        request, now=NOW, nonces=MemoryReplayStore(), accounts=state
    )


def rejected(request: Request, state: RpcAccountState) -> VerificationError:
    with pytest.raises(VerificationError) as info:
        verify(request, state)
    return info.value


def code_of(chain: Chain, address: str) -> str:
    code: str = chain.anvil.rpc("eth_getCode", [address, "latest"])
    return code


# The chain is what the tests assume.

def test_chain_setup(chain: Chain) -> None:
    state, _ = provider(chain)
    state.check_chain_ids()
    # The factory's own CREATE2 prediction equals ours (EIP-1014).
    predicted = chain.anvil.rpc(
        "eth_call",
        [
            {
                "to": chain.factory,
                "data": "0x"
                + (
                    function_selector("walletAddress(address,bytes32)")
                    + encode_arguments(
                        [address_word(bytes.fromhex(address_of(OWNER_KEY)[2:])),
                         bytes32_word(COUNTERFACTUAL_SALT)]
                    )
                ).hex(),
            },
            "latest",
        ],
    )
    assert "0x" + predicted[-40:] == chain.counterfactual
    assert len(state.get_code(Account(1, chain.wallet))) > 0
    assert state.get_code(Account(1, chain.counterfactual)) == b""
    assert state.get_code(Account(1, address_of(EOA_KEY))) == b""
    # EIP-7702: "the delegation indicator 0xef0100 || address".
    for delegated_key, delegate in (
        (DELEGATED_ACCEPTING_KEY, chain.delegate_accepting),
        (DELEGATED_REJECTING_KEY, chain.delegate_rejecting),
        (DELEGATED_NO_1271_KEY, chain.factory),
    ):
        code = state.get_code(Account(1, address_of(delegated_key)))
        assert code == bytes.fromhex("ef0100") + bytes.fromhex(delegate[2:])


# §4.1 step 4: strict EOA recovery for a code-free Account (after one code lookup).

def test_code_free_eoa_is_verified_by_strict_recovery(chain: Chain) -> None:
    state, counter = provider(chain)
    verified = verify(eoa_request(EOA_KEY, "eoa-1"), state)
    assert verified.verification_method == "eoa"
    assert verified.address == address_of(EOA_KEY)
    assert counter.methods == ["eth_getCode"]


def test_code_free_eoa_signature_by_another_key_is_bad_signature(chain: Chain) -> None:
    state, counter = provider(chain)
    request, _ = sign_request_for(
        REQUEST, Account(1, address_of(EOA_KEY)), lambda h: sign_hash(STRANGER_KEY, h),
        created=NOW, nonce="eoa-2",
    )
    assert rejected(request, state).reason == "bad_signature"
    assert counter.methods == ["eth_getCode"]


def test_code_free_eoa_high_s_twin_is_bad_signature(chain: Chain) -> None:
    n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

    def high_s(message_hash: bytes) -> bytes:
        low = sign_hash(EOA_KEY, message_hash)
        s = int.from_bytes(low[32:64], "big")
        return low[:32] + (n - s).to_bytes(32, "big") + bytes((low[64] ^ 1,))

    state, _ = provider(chain)
    request, _ = sign_request_for(
        REQUEST, Account(1, address_of(EOA_KEY)), high_s, created=NOW, nonce="eoa-3"
    )
    assert rejected(request, state).reason == "bad_signature"


# §4.1 step 2: mode="eoa" skips the code lookup when the signature recovers.

def test_mode_eoa_recovering_signature_needs_no_rpc(chain: Chain) -> None:
    state, counter = provider(chain)
    verified = verify(eoa_request(EOA_KEY, "mode-1", mode="eoa"), state)
    assert verified.verification_method == "eoa-mode"
    assert verified.code_lookups == 0
    assert counter.methods == []


def test_mode_eoa_non_recovering_signature_falls_back_to_erc1271(chain: Chain) -> None:
    """§4.1: "A signature that does not recover, including a contract-account signature sent
    with `mode="eoa"`, is verified as if `mode` were absent.\""""
    state, counter = provider(chain)
    request, _ = sign_request_for(
        REQUEST, Account(1, chain.wallet), lambda h: sign_hash(OWNER_KEY, h),
        created=NOW, nonce="mode-2", mode="eoa",
    )
    verified = verify(request, state)
    assert verified.verification_method == "erc1271"
    assert counter.methods == ["eth_getCode", "eth_call"]


def test_mode_eoa_non_recovering_signature_on_code_free_account_is_bad_signature(
    chain: Chain,
) -> None:
    state, counter = provider(chain)
    request, _ = sign_request_for(
        REQUEST, Account(1, address_of(EOA_KEY)), lambda h: sign_hash(STRANGER_KEY, h),
        created=NOW, nonce="mode-3", mode="eoa",
    )
    assert rejected(request, state).reason == "bad_signature"
    assert counter.methods == ["eth_getCode"]


# §4.1 step 3: a deployed ERC-1271 wallet, no ECDSA fallback.

def test_erc1271_wallet_owner_signature_is_accepted(chain: Chain) -> None:
    state, counter = provider(chain)
    request, _ = sign_request_for(
        REQUEST, Account(1, chain.wallet), lambda h: sign_hash(OWNER_KEY, h),
        created=NOW, nonce="1271-1",
    )
    verified = verify(request, state)
    assert verified.verification_method == "erc1271"
    assert verified.address == chain.wallet
    assert counter.methods == ["eth_getCode", "eth_call"]


def test_erc1271_wallet_non_owner_signature_is_bad_signature(chain: Chain) -> None:
    state, counter = provider(chain)
    request, _ = sign_request_for(
        REQUEST, Account(1, chain.wallet), lambda h: sign_hash(STRANGER_KEY, h),
        created=NOW, nonce="1271-2",
    )
    assert rejected(request, state).reason == "bad_signature"
    assert counter.methods == ["eth_getCode", "eth_call"]


# §4.1 step 3 for EIP-7702-delegated EOAs.

def test_delegated_eoa_accepted_by_its_implementation(chain: Chain) -> None:
    state, counter = provider(chain)
    verified = verify(eoa_request(DELEGATED_ACCEPTING_KEY, "7702-1"), state)
    assert verified.verification_method == "erc1271"
    assert counter.methods == ["eth_getCode", "eth_call"]


def test_delegated_eoa_rejected_by_its_implementation_gets_no_ecdsa_fallback(
    chain: Chain,
) -> None:
    """"Without `mode="eoa"`, an EIP-7702-delegated EOA is verified through ERC-1271 [...] That
    path permits no ECDSA fallback": a valid raw-key signature is refused."""
    state, counter = provider(chain)
    request = eoa_request(DELEGATED_REJECTING_KEY, "7702-2")
    assert rejected(request, state).reason == "bad_signature"
    assert counter.methods == ["eth_getCode", "eth_call"]


def test_delegated_eoa_without_is_valid_signature_cannot_authenticate(chain: Chain) -> None:
    """"one whose implementation lacks `isValidSignature` cannot authenticate while it has code"
    (the call reverts: an answer, so bad_signature, not unavailable)."""
    state, counter = provider(chain)
    assert rejected(eoa_request(DELEGATED_NO_1271_KEY, "7702-3"), state).reason == "bad_signature"
    assert counter.methods == ["eth_getCode", "eth_call"]


def test_delegated_eoa_with_mode_eoa_authenticates_without_its_implementation(
    chain: Chain,
) -> None:
    """"With `mode="eoa"`, a raw-key signature from an EIP-7702-delegated Account authenticates
    without consulting its implementation.\""""
    state, counter = provider(chain)
    verified = verify(eoa_request(DELEGATED_REJECTING_KEY, "7702-4", mode="eoa"), state)
    assert verified.verification_method == "eoa-mode"
    assert counter.methods == []


# §4.1 step 1: ERC-6492 before code lookup; an invalid wrapper does not fall back.

def wrapped_signer(factory: str, calldata: bytes, private_key: bytes) -> Callable[[bytes], bytes]:
    def signer(message_hash: bytes) -> bytes:
        inner = sign_hash(private_key, message_hash)
        return encode_erc6492_wrapper(bytes.fromhex(factory[2:]), calldata, inner)

    return signer


def wrapped_request(
    chain: Chain, wallet: str, salt: bytes, private_key: bytes, nonce: str
) -> Request:
    """REQUEST for ``wallet``, signed by ``private_key`` inside an ERC-6492 wrapper whose
    factory call deploys the owner's wallet at ``salt``."""
    calldata = deploy_call(address_of(OWNER_KEY), salt)
    request, _ = sign_request_for(
        REQUEST, Account(1, wallet), wrapped_signer(chain.factory, calldata, private_key),
        created=NOW, nonce=nonce,
    )
    return request


def test_erc6492_counterfactual_wallet_is_accepted_without_code_lookup(chain: Chain) -> None:
    state, counter = provider(chain)
    request = wrapped_request(
        chain, chain.counterfactual, COUNTERFACTUAL_SALT, OWNER_KEY, "6492-1"
    )
    verified = verify(request, state)
    assert verified.verification_method == "erc6492"
    assert verified.code_lookups == 0
    assert counter.methods == ["eth_call"]
    # The deployment was simulated inside eth_call, never sent.
    assert code_of(chain, chain.counterfactual) == "0x"


def test_erc6492_wrapper_for_a_deployed_wallet_is_accepted(chain: Chain) -> None:
    state, counter = provider(chain)
    request = wrapped_request(chain, chain.wallet, DEPLOYED_SALT, OWNER_KEY, "6492-2")
    assert verify(request, state).verification_method == "erc6492"
    assert counter.methods == ["eth_call"]


def test_erc6492_wrapper_with_non_owner_signature_is_bad_signature(chain: Chain) -> None:
    state, counter = provider(chain)
    request = wrapped_request(
        chain, chain.counterfactual, COUNTERFACTUAL_SALT, STRANGER_KEY, "6492-3"
    )
    assert rejected(request, state).reason == "bad_signature"
    assert counter.methods == ["eth_call"]


def test_invalid_wrapper_does_not_fall_back_to_a_valid_eoa_signature(chain: Chain) -> None:
    """The inner signature is a valid strict EOA signature by the keyid's own key, but the
    wrapper deploys nothing at that address: §4.1 step 1 "An invalid wrapper MUST NOT fall
    back.\""""
    state, counter = provider(chain)
    eoa = Account(1, address_of(EOA_KEY))
    calldata = deploy_call(address_of(OWNER_KEY), COUNTERFACTUAL_SALT)  # another address
    request, message_hash = sign_request_for(
        REQUEST, eoa, wrapped_signer(chain.factory, calldata, EOA_KEY),
        created=NOW, nonce="6492-4",
    )
    assert rejected(request, state).reason == "bad_signature"
    assert counter.methods == ["eth_call"]
    # Control: the very same inner signature, unwrapped, verifies as the EOA.
    unwrapped, same_hash = sign_request_for(
        REQUEST, eoa, lambda h: sign_hash(EOA_KEY, h), created=NOW, nonce="6492-4"
    )
    assert same_hash == message_hash
    assert verify(unwrapped, state).verification_method == "eoa"


def prepare_call(owner: str) -> bytes:
    return function_selector("prepare(address)") + encode_arguments(
        [address_word(bytes.fromhex(owner[2:]))]
    )


def owner_of(chain: Chain, wallet: str) -> str:
    data = "0x" + function_selector("owner()").hex()
    word: str = chain.anvil.rpc("eth_call", [{"to": wallet, "data": data}, "latest"])
    return "0x" + word[-40:]


def test_erc6492_prepare_call_makes_a_deployed_wallet_ready(chain: Chain) -> None:
    """ERC-6492: "if the ERC-1271 verification fails, and the deploy call to the `factory` was
    skipped due to the wallet already having code, execute the `factoryCalldata` transaction and
    try `isValidSignature` again"."""
    owner = address_of(OWNER_KEY)
    wallet = Account(1, chain.unprepared)
    state, counter = provider(chain)
    plain, _ = sign_request_for(
        REQUEST, wallet, lambda h: sign_hash(OWNER_KEY, h), created=NOW, nonce="prep-1"
    )
    assert rejected(plain, state).reason == "bad_signature"  # not ready: no owner yet
    wrapped, _ = sign_request_for(
        REQUEST, wallet, wrapped_signer(chain.unprepared, prepare_call(owner), OWNER_KEY),
        created=NOW, nonce="prep-2",
    )
    counter.methods.clear()
    assert verify(wrapped, state).verification_method == "erc6492"
    assert counter.methods == ["eth_call"]
    # The prepare call was simulated, never sent: the wallet is still unprepared.
    assert owner_of(chain, chain.unprepared) == "0x" + "00" * 20
    stranger, _ = sign_request_for(
        REQUEST, wallet, wrapped_signer(chain.unprepared, prepare_call(owner), STRANGER_KEY),
        created=NOW, nonce="prep-3",
    )
    assert rejected(stranger, state).reason == "bad_signature"


@pytest.mark.parametrize(
    "wrapper",
    [
        ERC6492_MAGIC_SUFFIX,  # nothing before the magic suffix
        b"\x01" * 31 + ERC6492_MAGIC_SUFFIX,  # not ABI data
        b"\xff" * 96 + ERC6492_MAGIC_SUFFIX,  # offsets out of range
    ],
    ids=["magic only", "not ABI data", "offsets out of range"],
)
def test_malformed_wrapper_is_bad_signature(chain: Chain, wrapper: bytes) -> None:
    state, counter = provider(chain)
    request, _ = sign_request_for(
        REQUEST, Account(1, chain.counterfactual), lambda h: wrapper, created=NOW, nonce="6492-5"
    )
    assert rejected(request, state).reason == "bad_signature"
    assert counter.methods == ["eth_call"]


def test_call_gas_cap_too_small_for_the_call_is_unavailable(chain: Chain) -> None:
    """With a gas cap below what the call costs, the node answers with an error (anvil: -32000
    "intrinsic gas too high"; out of gas is -32603), not a revert: 503, never bad_signature and
    never acceptance."""
    request, _ = sign_request_for(
        REQUEST, Account(1, chain.wallet), lambda h: sign_hash(OWNER_KEY, h),
        created=NOW, nonce="gas-1",
    )
    roomy = RpcAccountState(((1, JsonRpcEndpoint(chain.anvil.url)),), call_gas=1_000_000)
    assert verify(request, roomy).verification_method == "erc1271"
    tight = RpcAccountState(((1, JsonRpcEndpoint(chain.anvil.url)),), call_gas=22_000)
    failure = rejected(request, tight)
    assert failure.reason == "signature_verification_unavailable"
    assert failure.status == 503


# Chains and outages.

def test_unserved_chain_is_unsupported_with_no_rpc_call(chain: Chain) -> None:
    state, counter = provider(chain)
    request = sign_request(REQUEST, EOA_KEY, created=NOW, chain_id=10, nonce="c-1").request
    assert rejected(request, state).reason == "unsupported_chain"
    assert counter.methods == []


def test_node_on_another_chain_fails_the_start_up_check(chain: Chain) -> None:
    with pytest.raises(RpcConfigError):
        RpcAccountState.from_urls({"eip155:10": chain.anvil.url}).check_chain_ids()


def test_stopped_node_gives_503_and_consumes_no_nonce() -> None:
    with running(Anvil()) as anvil:
        state = RpcAccountState.from_urls(
            {"eip155:1": anvil.url}, connect_timeout=1.0, read_timeout=1.0, total_timeout=2.0
        )
        store = MemoryReplayStore()
        first = eoa_request(EOA_KEY, "down-1")
        assert verify_request(first, now=NOW, nonces=store, accounts=state).nonce_consumed
        anvil.stop()
        second = eoa_request(EOA_KEY, "down-2")
        with pytest.raises(VerificationError) as info:
            verify_request(second, now=NOW, nonces=store, accounts=state)
        assert info.value.reason == "signature_verification_unavailable"
        assert info.value.status == 503
        assert len(store) == 1  # only the first request's nonce


# Measurements: RPC calls per verification and median latency for each account kind.

def test_rpc_calls_and_latency_per_account_kind(
    chain: Chain, record_property: Callable[[str, object], None]
) -> None:
    owner = address_of(OWNER_KEY)
    counterfactual_call = deploy_call(owner, COUNTERFACTUAL_SALT)

    def kinds(nonce: str) -> dict[str, Request]:
        return {
            "EOA": eoa_request(EOA_KEY, nonce),
            'EOA mode="eoa"': eoa_request(EOA_KEY, nonce, mode="eoa"),
            "ERC-1271 wallet": sign_request_for(
                REQUEST, Account(1, chain.wallet), lambda h: sign_hash(OWNER_KEY, h),
                created=NOW, nonce=nonce,
            )[0],
            "ERC-6492 counterfactual": sign_request_for(
                REQUEST, Account(1, chain.counterfactual),
                wrapped_signer(chain.factory, counterfactual_call, OWNER_KEY),
                created=NOW, nonce=nonce,
            )[0],
            "EIP-7702 delegated": eoa_request(DELEGATED_ACCEPTING_KEY, nonce),
        }

    expected_calls = {
        "EOA": ["eth_getCode"],
        'EOA mode="eoa"': [],
        "ERC-1271 wallet": ["eth_getCode", "eth_call"],
        "ERC-6492 counterfactual": ["eth_call"],
        "EIP-7702 delegated": ["eth_getCode", "eth_call"],
    }
    rounds = 9
    latencies: dict[str, list[float]] = {name: [] for name in expected_calls}
    for round_number in range(rounds):
        for name, request in kinds(f"m-{round_number}").items():
            state, counter = provider(chain)
            started = time.perf_counter()
            verify(request, state)
            latencies[name].append(time.perf_counter() - started)
            assert counter.methods == expected_calls[name], name
    report: dict[str, Any] = {}
    for name, samples in latencies.items():
        median_ms = statistics.median(samples) * 1000
        report[name] = {"rpc_calls": len(expected_calls[name]), "median_ms": round(median_ms, 2)}
        print(f"{name:26} rpc_calls={len(expected_calls[name])} median={median_ms:.2f} ms")
    record_property("verification_latency", report)
