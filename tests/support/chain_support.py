"""Test support for the chain tests: contract deployment on anvil, EIP-7702 authorizations in
anvil's JSON form, and ERC-8128 requests signed for an arbitrary keyid (a contract account's
address).

The signing parts are the conformance suite's own (``erc8128_conformance.transactions`` for
EIP-7702 authorizations, ``erc8128_conformance.account_signing`` for a request signed for another
account); tests/chain/test_contracts.py cross-checks the authorizations against eth-account and
tests/conformance/test_chain_live.py the RLP against pyrlp.
"""

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from erc8128.chain.abi import Word, encode_arguments
from erc8128.crypto.keccak import keccak256
from erc8128.http.message import Request
from erc8128.protocol.keyid import Account
from erc8128_conformance.account_signing import sign_request_as
from erc8128_conformance.transactions import Authorization, sign_authorization
from tests.support.anvil import ANVIL_ACCOUNT_0, Anvil

__all__ = [
    "ARTIFACTS",
    "artifact",
    "authorization_json",
    "create2_address",
    "deploy",
    "function_selector",
    "send",
    "sign_authorization",
    "sign_request_for",
]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "contracts/artifacts"


def authorization_json(authorization: Authorization) -> dict[str, str]:
    """The ``authorizationList`` entry of an anvil/alloy transaction request."""
    return {
        "chainId": hex(authorization.chain_id),
        "address": authorization.address,
        "nonce": hex(authorization.nonce),
        "yParity": hex(authorization.y_parity),
        "r": hex(authorization.r),
        "s": hex(authorization.s),
    }


def artifact(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((ARTIFACTS / f"{name}.json").read_text())
    return loaded


def function_selector(signature: str) -> bytes:
    return keccak256(signature.encode("ascii"))[:4]


def send(anvil: Anvil, transaction: dict[str, Any]) -> dict[str, Any]:
    """Send from anvil's unlocked account 0; return the mined receipt (status must be 1)."""
    transaction = {"from": ANVIL_ACCOUNT_0, **transaction}
    tx_hash = anvil.rpc("eth_sendTransaction", [transaction])
    receipt: dict[str, Any] | None = None
    deadline = time.monotonic() + 10
    while receipt is None and time.monotonic() < deadline:
        receipt = anvil.rpc("eth_getTransactionReceipt", [tx_hash])
        if receipt is None:
            time.sleep(0.02)  # anvil mines at once, but may answer the receipt a moment later
    if receipt is None or receipt["status"] != "0x1":
        raise RuntimeError(f"transaction failed: {receipt}")
    return receipt


def deploy(anvil: Anvil, name: str, arguments: Sequence[Word | bytes] = ()) -> str:
    """Deploy the committed artifact ``name`` with ABI-encoded constructor ``arguments``."""
    init_code = artifact(name)["bytecode"] + encode_arguments(arguments).hex()
    receipt = send(anvil, {"data": init_code})
    address: str = receipt["contractAddress"]
    return address.lower()


def create2_address(factory: str, salt: bytes, init_code: bytes) -> str:
    """EIP-1014: keccak256(0xff ++ address ++ salt ++ keccak256(init_code))[12:]."""
    digest = keccak256(b"\xff" + bytes.fromhex(factory[2:]) + salt + keccak256(init_code))
    return "0x" + digest[12:].hex()


def sign_request_for(
    request: Request,
    account: Account,
    signer: Callable[[bytes], bytes],
    *,
    created: int,
    nonce: str,
    mode: str | None = None,
) -> tuple[Request, bytes]:
    """Sign ``request`` for ``account`` (any address, e.g. a wallet's) with ``signer(H)``.

    A draft-profile, Request-Bound signature valid for 60 seconds, built by the conformance
    suite's ``sign_request_as``; returns the signed request and H.
    """
    signed = sign_request_as(
        request, account, signer, created=created, expires=created + 60, nonce=nonce, mode=mode
    )
    return signed.request, signed.message_hash
