"""Test support for the chain tests: RLP, EIP-7702 authorizations, contract deployment on anvil,
and ERC-8128 requests signed for an arbitrary keyid (a contract account's address).

Only the repository's own keccak and secp256k1 are used to build and sign; eth-account is used
in tests/test_chain_support.py to cross-check the RLP and the EIP-7702 authorization hash.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from anvil import ANVIL_ACCOUNT_0, Anvil
from erc8128.chain.abi import Word, encode_arguments
from erc8128.crypto.keccak import keccak256
from erc8128.crypto.personal_sign import personal_message_hash
from erc8128.crypto.secp256k1 import sign
from erc8128.http.message import Request
from erc8128.http.signature_base import signature_base
from erc8128.http.structured_fields import (
    BareItem,
    InnerList,
    serialize_bare_item,
    serialize_inner_list,
)
from erc8128.protocol.keyid import Account, format_keyid
from erc8128.protocol.profiles import DRAFT
from erc8128.protocol.sign import parse_component

__all__ = [
    "ARTIFACTS",
    "RlpItem",
    "SignedAuthorization",
    "artifact",
    "authorization_hash",
    "create2_address",
    "deploy",
    "function_selector",
    "rlp_encode",
    "send",
    "sign_authorization",
    "sign_request_for",
]

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "contracts/artifacts"

RlpItem = bytes | int | Sequence["RlpItem"]


def rlp_encode(item: RlpItem) -> bytes:
    """Ethereum Yellow Paper, Appendix B (RLP): integers as minimal big-endian byte strings."""
    if isinstance(item, int):
        if item < 0:
            raise ValueError("RLP encodes unsigned integers only")
        return rlp_encode(item.to_bytes((item.bit_length() + 7) // 8, "big"))
    if isinstance(item, bytes):
        if len(item) == 1 and item[0] < 0x80:
            return item
        return _length_prefix(len(item), 0x80) + item
    payload = b"".join(rlp_encode(element) for element in item)
    return _length_prefix(len(payload), 0xC0) + payload


def _length_prefix(length: int, offset: int) -> bytes:
    if length < 56:
        return bytes((offset + length,))
    length_bytes = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes((offset + 55 + len(length_bytes),)) + length_bytes


# EIP-7702: "MAGIC = 0x05"; the authority signs keccak(MAGIC || rlp([chain_id, address, nonce])).
SET_CODE_MAGIC = b"\x05"


def authorization_hash(chain_id: int, address: str, nonce: int) -> bytes:
    return keccak256(SET_CODE_MAGIC + rlp_encode([chain_id, bytes.fromhex(address[2:]), nonce]))


@dataclass(frozen=True)
class SignedAuthorization:
    chain_id: int
    address: str
    nonce: int
    y_parity: int
    r: int
    s: int

    def as_json(self) -> dict[str, str]:
        """The ``authorizationList`` entry of an anvil/alloy transaction request."""
        return {
            "chainId": hex(self.chain_id),
            "address": self.address,
            "nonce": hex(self.nonce),
            "yParity": hex(self.y_parity),
            "r": hex(self.r),
            "s": hex(self.s),
        }


def sign_authorization(
    private_key: bytes, chain_id: int, address: str, nonce: int
) -> SignedAuthorization:
    signature = sign(private_key, authorization_hash(chain_id, address, nonce))
    return SignedAuthorization(
        chain_id, address, nonce, signature.recovery_id, signature.r, signature.s
    )


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
    nonce: str | None,
    mode: str | None = None,
    label: str = "eth",
) -> tuple[Request, bytes]:
    """Sign ``request`` for ``account`` (any address, e.g. a wallet's) with ``signer(H)``.

    ``sign_request`` names the signing key's own address in keyid; a contract account signs
    with another key (its owner's) or with an ERC-6492 wrapper, so the Signature-Input is built
    here from the same parts: the profile's default (Request-Bound) components, then created,
    expires, nonce, keyid, tag and mode. Returns the signed request and H.
    """
    components = DRAFT.signing_components(
        has_query="?" in request.target_uri,
        has_content=bool(request.body),
        has_content_digest=bool(request.field_lines("content-digest")),
        has_content_type=bool(request.field_lines("content-type")),
    )
    params: list[tuple[str, BareItem]] = [("created", created), ("expires", created + 60)]
    if nonce is not None:
        params.append(("nonce", nonce))
    params.append(("keyid", format_keyid(account, "draft")))
    params.append(("tag", "erc8128"))
    if mode is not None:
        params.append(("mode", mode))
    member = InnerList(items=tuple(parse_component(c) for c in components), params=tuple(params))
    base = signature_base(request, member)
    message_hash = personal_message_hash(base.encode("ascii"))
    signature = signer(message_hash)
    signed = request.with_header("Signature-Input", f"{label}={serialize_inner_list(member)}")
    signed = signed.with_header("Signature", f"{label}={serialize_bare_item(signature)}")
    return signed, message_hash
