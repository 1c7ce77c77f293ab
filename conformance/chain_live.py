"""Live-server checks that need a chain: ERC-8128 §4.1 Universal Account verification.

The draft's rows N09 (ERC-1271 accounts) and N10 (EIP-7702-delegated EOAs), and the ERC-6492
cases, depend on contract code, so the vectors carry them as ``NeedsChain``. Here they become
live checks: given the JSON-RPC URL of a dev chain (anvil ``--chain-id 1 --hardfork prague``) and
a funded key, :func:`set_up_chain` deploys the test contracts from the artifacts shipped with
this package (``chain_artifacts/``, built by ``contracts/build.mjs``) with transactions it signs
itself, and the checks send requests signed for those accounts to a server that verifies against
the same chain (``erc8128 serve --rpc eip155:1=<url>``).

ERC-8128 "Test vectors": implementations "MUST also test ERC-6492 before code lookup, ERC-1271
without ECDSA fallback for deployed and EIP-7702-delegated Accounts [...] that `mode="eoa"`
verifies a recovering signature without an account-code lookup and otherwise falls back to
Universal Account verification".

The default funder is anvil's first dev account, whose private key is public (the "test test
... junk" mnemonic): it holds dev-chain ether only and must never hold anything of value.
"""

import json
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from erc8128.chain.abi import (
    address_word,
    bytes32_word,
    encode_arguments,
    encode_erc6492_wrapper,
    uint256_word,
)
from erc8128.chain.jsonrpc import JsonRpcEndpoint, JsonValue, decode_hex_data, rpc_call
from erc8128.crypto.addresses import address_of
from erc8128.crypto.keccak import keccak256
from erc8128.crypto.personal_sign import sign_hash
from erc8128.errors import Erc8128Error
from erc8128.http.message import Request
from erc8128.protocol.keyid import Account
from erc8128.protocol.sign import new_nonce, sign_request
from erc8128_conformance.account_signing import sign_request_as
from erc8128_conformance.live_answers import expect_rejection
from erc8128_conformance.live_signing import VALIDITY_SEC
from erc8128_conformance.live_transport import HttpAnswer, LiveTarget, send
from erc8128_conformance.transactions import (
    FeeMarketTransaction,
    SetCodeTransaction,
    sign_authorization,
)

__all__ = [
    "ARTIFACTS_DIR",
    "CHAIN_CHECKS",
    "DEV_FUNDER_KEY",
    "ChainAccounts",
    "ChainSetupError",
    "artifact_bytecode",
    "set_up_chain",
]

ARTIFACTS_DIR: Final = Path(__file__).resolve().parent / "chain_artifacts"
# anvil's (and hardhat's) first default dev account: a PUBLIC key, funded on dev chains only.
DEV_FUNDER_KEY: Final = bytes.fromhex(
    "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
)
# EIP-7702: "the delegation indicator 0xef0100 || address".
DELEGATION_PREFIX: Final = bytes.fromhex("ef0100")
DEPLOYED_SALT: Final = b"\x00" * 31 + b"\x01"
COUNTERFACTUAL_SALT: Final = b"\x00" * 31 + b"\x02"
_PRIORITY_FEE: Final = 1_000_000_000  # 1 gwei
_DEPLOY_GAS: Final = 3_000_000
_CALL_GAS: Final = 1_000_000
_RECEIPT_TIMEOUT: Final = 30.0


class ChainSetupError(Erc8128Error):
    """The dev chain could not be prepared (wrong chain, failed transaction, missing artifact)."""


def _key(name: str) -> bytes:
    # Fixed, public test keys: the checks are reproducible and these keys hold nothing.
    return keccak256(b"erc8128 conformance chain key: " + name.encode("ascii"))


OWNER_KEY: Final = _key("wallet owner")
STRANGER_KEY: Final = _key("stranger")
EOA_KEY: Final = _key("code-free EOA")
DELEGATED_KEY: Final = _key("EOA delegated to an always-rejecting implementation")


def _selector(signature: str) -> bytes:
    return keccak256(signature.encode("ascii"))[:4]


def _address_bytes(address: str) -> bytes:
    return bytes.fromhex(address[2:])


def artifact_bytecode(name: str) -> bytes:
    """The creation bytecode of the shipped artifact ``chain_artifacts/<name>.json``."""
    path = ARTIFACTS_DIR / f"{name}.json"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ChainSetupError("chain_artifact_missing", f"expected {path}, got {error}") from None
    bytecode = document.get("bytecode") if isinstance(document, dict) else None
    if not isinstance(bytecode, str) or not bytecode.startswith("0x"):
        raise ChainSetupError("chain_artifact_invalid", f"expected 0x bytecode in {path}")
    return bytes.fromhex(bytecode[2:])


def _quantity(value: object, what: str) -> int:
    """An Ethereum JSON-RPC QUANTITY ("0x" + hex, no leading zeros) as an int."""
    if not isinstance(value, str) or not value.startswith("0x"):
        raise ChainSetupError("chain_rpc_malformed", f"expected {what} as 0x-hex, got {value!r}")
    try:
        return int(value, 16)
    except ValueError:
        raise ChainSetupError(
            "chain_rpc_malformed", f"expected {what} as 0x-hex, got {value!r}"
        ) from None


@dataclass(frozen=True)
class _Node:
    """The dev chain's JSON-RPC endpoint and the funder that pays for the set-up."""

    endpoint: JsonRpcEndpoint
    chain_id: int
    funder_key: bytes

    def call(self, method: str, params: list[JsonValue]) -> object:
        return rpc_call(self.endpoint, method, params)

    def code(self, address: str) -> bytes:
        return decode_hex_data(self.endpoint, self.call("eth_getCode", [address, "latest"]), "code")

    def eth_call(self, to: str, data: bytes) -> bytes:
        answer = self.call("eth_call", [{"to": to, "data": "0x" + data.hex()}, "latest"])
        return decode_hex_data(self.endpoint, answer, "eth_call result")

    def _fees(self) -> tuple[int, int]:
        block = self.call("eth_getBlockByNumber", ["latest", False])
        if not isinstance(block, dict):
            raise ChainSetupError("chain_rpc_malformed", f"expected a block, got {block!r}")
        base_fee = _quantity(block.get("baseFeePerGas"), "baseFeePerGas")
        return _PRIORITY_FEE, 2 * base_fee + _PRIORITY_FEE

    def _nonce(self, address: str) -> int:
        return _quantity(self.call("eth_getTransactionCount", [address, "pending"]), "nonce")

    def _send_raw(self, raw: bytes) -> dict[str, Any]:
        tx_hash = self.call("eth_sendRawTransaction", ["0x" + raw.hex()])
        if not isinstance(tx_hash, str):
            raise ChainSetupError("chain_rpc_malformed", f"expected a tx hash, got {tx_hash!r}")
        deadline = time.monotonic() + _RECEIPT_TIMEOUT
        while time.monotonic() < deadline:
            receipt = self.call("eth_getTransactionReceipt", [tx_hash])
            if isinstance(receipt, dict):
                if receipt.get("status") != "0x1":
                    raise ChainSetupError(
                        "chain_transaction_failed", f"expected status 0x1, got {receipt!r}"
                    )
                return receipt
            time.sleep(0.05)  # a dev chain mines at once; the receipt may lag a moment
        raise ChainSetupError(
            "chain_transaction_timeout", f"no receipt for {tx_hash} in {_RECEIPT_TIMEOUT} s"
        )

    def transact(self, to: str | None, data: bytes, gas: int) -> dict[str, Any]:
        """Send an EIP-1559 transaction from the funder; the mined receipt (status 1)."""
        tip, max_fee = self._fees()
        funder = address_of(self.funder_key)
        transaction = FeeMarketTransaction(
            self.chain_id, self._nonce(funder), tip, max_fee, gas, to, 0, data
        )
        return self._send_raw(transaction.signed(self.funder_key))

    def deploy(self, name: str, constructor_arguments: bytes = b"") -> str:
        receipt = self.transact(None, artifact_bytecode(name) + constructor_arguments, _DEPLOY_GAS)
        address = receipt.get("contractAddress")
        if not isinstance(address, str):
            raise ChainSetupError("chain_rpc_malformed", f"expected contractAddress in {receipt}")
        return address.lower()

    def delegate(self, authority_key: bytes, implementation: str) -> None:
        """EIP-7702: set ``authority_key``'s account code to a delegation to ``implementation``."""
        authority = address_of(authority_key)
        authorization = sign_authorization(
            authority_key, self.chain_id, implementation, self._nonce(authority)
        )
        tip, max_fee = self._fees()
        funder = address_of(self.funder_key)
        transaction = SetCodeTransaction(
            self.chain_id, self._nonce(funder), tip, max_fee, _CALL_GAS, funder, 0, b"",
            (authorization,),
        )
        self._send_raw(transaction.signed(self.funder_key))


def _deploy_call(owner: str, salt: bytes) -> bytes:
    """``WalletFactory.deploy(owner, salt)``: CREATE2 of an OwnedWallet owned by ``owner``."""
    return _selector("deploy(address,bytes32)") + encode_arguments(
        [address_word(_address_bytes(owner)), bytes32_word(salt)]
    )


def _wallet_address(node: _Node, factory: str, owner: str, salt: bytes) -> str:
    data = _selector("walletAddress(address,bytes32)") + encode_arguments(
        [address_word(_address_bytes(owner)), bytes32_word(salt)]
    )
    word = node.eth_call(factory, data)
    if len(word) != 32:
        raise ChainSetupError("chain_rpc_malformed", f"expected one word, got {word.hex()}")
    return "0x" + word[12:].hex()


@dataclass(frozen=True)
class ChainAccounts:
    """What :func:`set_up_chain` deployed: the accounts the chain checks sign for."""

    rpc_url: str
    chain_id: int
    factory: str  # WalletFactory (CREATE2 deployer of OwnedWallet)
    wallet: str  # OwnedWallet(owner), deployed
    counterfactual: str  # OwnedWallet(owner) at its CREATE2 address, not deployed
    counterfactual_calldata: bytes  # the factory call that would deploy it
    rejecting_delegate: str  # Erc7702Delegate(false): isValidSignature rejects everything
    delegated_eoa: str  # an EOA delegated to rejecting_delegate (EIP-7702)

    def code(self, address: str) -> bytes:
        return decode_hex_data(
            JsonRpcEndpoint(self.rpc_url),
            rpc_call(JsonRpcEndpoint(self.rpc_url), "eth_getCode", [address, "latest"]),
            "code",
        )


def set_up_chain(rpc_url: str, funder_key: bytes = DEV_FUNDER_KEY) -> ChainAccounts:
    """Deploy the test contracts and the EIP-7702 delegation; check what the checks assume."""
    endpoint = JsonRpcEndpoint(rpc_url, read_timeout=30.0, total_timeout=60.0)
    chain_id = _quantity(rpc_call(endpoint, "eth_chainId", []), "eth_chainId")
    node = _Node(endpoint, chain_id, funder_key)
    owner = address_of(OWNER_KEY)
    factory = node.deploy("WalletFactory")
    node.transact(factory, _deploy_call(owner, DEPLOYED_SALT), _CALL_GAS)
    wallet = _wallet_address(node, factory, owner, DEPLOYED_SALT)
    counterfactual = _wallet_address(node, factory, owner, COUNTERFACTUAL_SALT)
    rejecting = node.deploy("Erc7702Delegate", encode_arguments([uint256_word(0)]))
    node.delegate(DELEGATED_KEY, rejecting)
    delegated = address_of(DELEGATED_KEY)
    if not node.code(wallet):
        raise ChainSetupError("chain_setup_failed", f"expected code at the wallet {wallet}")
    if node.code(counterfactual):
        raise ChainSetupError(
            "chain_setup_failed", f"expected no code at the counterfactual {counterfactual}"
        )
    if node.code(delegated) != DELEGATION_PREFIX + _address_bytes(rejecting):
        raise ChainSetupError(
            "chain_setup_failed",
            f"expected the delegation 0xef0100{rejecting[2:]} at {delegated}, "
            f"got 0x{node.code(delegated).hex()}",
        )
    return ChainAccounts(
        rpc_url=rpc_url,
        chain_id=chain_id,
        factory=factory,
        wallet=wallet,
        counterfactual=counterfactual,
        counterfactual_calldata=_deploy_call(owner, COUNTERFACTUAL_SALT),
        rejecting_delegate=rejecting,
        delegated_eoa=delegated,
    )


# -- the checks ----------------------------------------------------------------------------------


def _unsigned(target: LiveTarget) -> Request:
    authority = urllib.parse.urlsplit(target.base_url).netloc
    return Request("GET", target.url, (("Host", authority),), None)


def _signed_as(
    target: LiveTarget,
    chain: ChainAccounts,
    address: str,
    signer: Callable[[bytes], bytes],
    mode: str | None = None,
) -> Request:
    created = int(time.time())
    return sign_request_as(
        _unsigned(target),
        Account(chain.chain_id, address),
        signer,
        created=created,
        expires=created + VALIDITY_SEC,
        nonce=new_nonce(),
        profile=target.profile,
        mode=mode,
    ).request


def _signed_eoa(
    target: LiveTarget, chain: ChainAccounts, private_key: bytes, mode: str | None = None
) -> Request:
    created = int(time.time())
    return sign_request(
        _unsigned(target),
        private_key,
        profile=target.profile,
        chain_id=chain.chain_id,
        created=created,
        expires=created + VALIDITY_SEC,
        nonce=new_nonce(),
        params=None if mode is None else {"mode": mode},
    ).request


def _by(private_key: bytes) -> Callable[[bytes], bytes]:
    def signer(message_hash: bytes) -> bytes:
        return sign_hash(private_key, message_hash)

    return signer


def _wrapped(factory: str, calldata: bytes, private_key: bytes) -> Callable[[bytes], bytes]:
    """ERC-6492: the owner's signature wrapped with the factory call that deploys the wallet."""

    def signer(message_hash: bytes) -> bytes:
        inner = sign_hash(private_key, message_hash)
        return encode_erc6492_wrapper(_address_bytes(factory), calldata, inner)

    return signer


def _expect_ok(answer: HttpAnswer, account: str, what: str) -> list[str]:
    if answer.status != 200:
        return [f"{what}: expected 200, got {answer.summary()}"]
    # A JSON answer that names the caller must name the account (as /api/whoami does).
    try:
        document = json.loads(answer.body)
    except ValueError:
        return []
    address = document.get("address") if isinstance(document, dict) else None
    if isinstance(address, str) and address.lower() != account:
        return [f"{what}: the 200 answer names {address}, expected the account {account}"]
    return []


def _expect_bad_signature(answer: HttpAnswer) -> list[str]:
    return [f"{p} ({answer.summary()})" for p in expect_rejection(answer, 401, "bad_signature")]


def check_erc1271_owner(target: LiveTarget, chain: ChainAccounts) -> list[str]:
    # ERC-8128 §4.1 step 3: a deployed account is verified by ERC-1271 `isValidSignature(H, S)`.
    request = _signed_as(target, chain, chain.wallet, _by(OWNER_KEY))
    return _expect_ok(send(target, request), chain.wallet, "ERC-1271 wallet, owner's signature")


def check_erc1271_non_owner(target: LiveTarget, chain: ChainAccounts) -> list[str]:
    # ERC-8128 §4.1 step 3: "That path permits no ECDSA fallback".
    request = _signed_as(target, chain, chain.wallet, _by(STRANGER_KEY))
    return _expect_bad_signature(send(target, request))


def check_erc1271_mode_eoa(target: LiveTarget, chain: ChainAccounts) -> list[str]:
    # ERC-8128 §4.1: "A signature that does not recover, including a contract-account signature
    # sent with `mode="eoa"`, is verified as if `mode` were absent."
    request = _signed_as(target, chain, chain.wallet, _by(OWNER_KEY), mode="eoa")
    return _expect_ok(
        send(target, request), chain.wallet, 'ERC-1271 wallet, owner\'s signature, mode="eoa"'
    )


def check_erc6492_counterfactual(target: LiveTarget, chain: ChainAccounts) -> list[str]:
    # ERC-8128 §4.1 step 1: ERC-6492 before code lookup; the deployment is simulated, not sent.
    signer = _wrapped(chain.factory, chain.counterfactual_calldata, OWNER_KEY)
    request = _signed_as(target, chain, chain.counterfactual, signer)
    problems = _expect_ok(
        send(target, request), chain.counterfactual, "ERC-6492 counterfactual wallet"
    )
    code = chain.code(chain.counterfactual)
    if code:
        problems.append(
            f"the counterfactual wallet {chain.counterfactual} was deployed by the verification "
            f"(code 0x{code[:8].hex()}...), expected it to stay undeployed"
        )
    return problems


def check_erc6492_invalid_wrapper(target: LiveTarget, chain: ChainAccounts) -> list[str]:
    # ERC-8128 §4.1 step 1: "An invalid wrapper MUST NOT fall back." The inner signature is a
    # valid EOA signature by the keyid's own key, but the factory call deploys another address.
    eoa = address_of(EOA_KEY)
    signer = _wrapped(chain.factory, chain.counterfactual_calldata, EOA_KEY)
    request = _signed_as(target, chain, eoa, signer)
    return _expect_bad_signature(send(target, request))


def check_eip7702_without_mode(target: LiveTarget, chain: ChainAccounts) -> list[str]:
    # ERC-8128 §4.1: "Without `mode="eoa"`, an EIP-7702-delegated EOA is verified through
    # ERC-1271 [...] That path permits no ECDSA fallback."
    return _expect_bad_signature(send(target, _signed_eoa(target, chain, DELEGATED_KEY)))


def check_eip7702_mode_eoa(target: LiveTarget, chain: ChainAccounts) -> list[str]:
    # ERC-8128 §4.1: "With `mode="eoa"`, a raw-key signature from an EIP-7702-delegated Account
    # authenticates without consulting its implementation."
    request = _signed_eoa(target, chain, DELEGATED_KEY, mode="eoa")
    return _expect_ok(
        send(target, request), chain.delegated_eoa, 'EIP-7702-delegated EOA, mode="eoa"'
    )


CHAIN_CHECKS: Final[dict[str, Callable[[LiveTarget, ChainAccounts], list[str]]]] = {
    "chain_N09_erc1271_owner_200": check_erc1271_owner,
    "chain_N09_erc1271_non_owner_401_bad_signature": check_erc1271_non_owner,
    "chain_N09_erc1271_mode_eoa_owner_200": check_erc1271_mode_eoa,
    "chain_erc6492_counterfactual_200_stays_undeployed": check_erc6492_counterfactual,
    "chain_erc6492_invalid_wrapper_401_bad_signature": check_erc6492_invalid_wrapper,
    "chain_N10_eip7702_rejecting_delegate_401_bad_signature": check_eip7702_without_mode,
    "chain_N10_eip7702_mode_eoa_200": check_eip7702_mode_eoa,
}
