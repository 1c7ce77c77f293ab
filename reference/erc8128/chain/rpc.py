"""ERC-8128 §4.1 account state from a real chain: an
:class:`~erc8128.protocol.accounts.AccountState` over Ethereum JSON-RPC (``eth_getCode``,
``eth_call``), one node per served chain.

What each call does:

- ``get_code``: ``eth_getCode(address, block)``. Code includes an EIP-7702 delegation indicator
  ``0xef0100 ‖ address``; ERC-8128 §4.1 step 3: "If code is present, including an EIP-7702
  delegation indicator, call ERC-1271".
- ``erc1271_is_valid``: ``eth_call`` of ``isValidSignature(H, signature)`` on the account (for a
  delegated EOA the node runs the delegate's code in the EOA's context). ERC-1271: "MUST return
  the bytes4 magic value 0x1626ba7e when function passes." Valid only for exactly that one
  32-byte return word; any other return data (empty, short, long, another value) is invalid.
- ``erc6492_is_valid``: ERC-6492 off-chain validation without deploying anything: an
  ``eth_call`` with no ``to`` whose data is the init code of our validator contract
  (:mod:`erc8128.chain.erc6492_validator`) followed by ``abi.encode(account, H, wrappedSignature)``.
  The constructor simulates the factory deployment, calls ``isValidSignature`` and returns one
  word, 1 or 0; for an account that already has code, a failed check is retried once after the
  wrapper's call (ERC-6492's "prepare" case). Nothing is deployed or changed on chain.
  ERC-8128 §4.1 step 1: "An invalid wrapper MUST NOT fall back."

Revert versus unavailable: SPEC.md D22. An EVM revert is the chain's answer, *invalid*; every
other failure raises :class:`~erc8128.errors.AccountStateUnavailable` (503
``signature_verification_unavailable``, no nonce consumed). ERC-8128 §4: "A state-provider or
RPC failure preventing classification or verification yields
`signature_verification_unavailable`, not `bad_signature`." Nothing falls back to another node
or to local recovery.

Chains: SPEC.md D24, one endpoint per chain id (ERC-8128 §3.3.1 "a verifier MUST NOT query
another chain"); :meth:`RpcAccountState.check_chain_ids` confirms at start-up that each node
reports the chain id it is configured for.

Caching: none, SPEC.md D23; every call reads the configured block (``latest`` by default). A
deployment that adds a cache in front of this provider must key it by the canonical Signer ID
(§3.3.1 "Verifiers MUST use this canonical form for cache and replay keys") and accept that a
cached answer lags the chain by its lifetime.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final, Literal, get_args

from erc8128.chain.abi import (
    ERC1271_MAGIC_VALUE,
    WORD_BYTES,
    address_word,
    bytes32_word,
    encode_arguments,
    encode_is_valid_signature,
)
from erc8128.chain.erc6492_validator import VALIDATOR_CREATION_CODE
from erc8128.chain.jsonrpc import (
    ExecutionReverted,
    JsonRpcEndpoint,
    JsonValue,
    RpcConfigError,
    RpcUnavailable,
    decode_hex_data,
    rpc_call,
)
from erc8128.crypto.addresses import parse_address
from erc8128.errors import AccountStateUnavailable
from erc8128.protocol.keyid import Account

RpcTransport = Callable[[JsonRpcEndpoint, str, list[JsonValue]], object]

# The block parameter of eth_getCode / eth_call: a tag, not a number, so every verification
# reads the chain as it is now (or as finalized, for deployments that prefer finality).
BlockTag = Literal["latest", "safe", "finalized"]
_BLOCK_TAGS: Final = frozenset(get_args(BlockTag))
# CAIP-2 for EVM chains: "eip155:" + decimal chain id, as in keyid.py (no leading zero).
_CAIP2_EIP155: Final = re.compile(r"eip155:(0|[1-9][0-9]{0,31})")
# Ethereum JSON-RPC "QUANTITY": "0x" + hex digits, no leading zeros (the chain id answer).
_QUANTITY: Final = re.compile(r"0x(?:0|[1-9a-f][0-9a-f]*)")
_VALIDATOR_TRUE: Final = (1).to_bytes(WORD_BYTES, "big")
_VALIDATOR_FALSE: Final = bytes(WORD_BYTES)


def _default_transport(endpoint: JsonRpcEndpoint, method: str, params: list[JsonValue]) -> object:
    return rpc_call(endpoint, method, params)


def erc6492_validation_call(account: Account, message_hash: bytes, signature: bytes) -> bytes:
    """The ``data`` of the ERC-6492 ``eth_call``: validator init code ‖ constructor arguments."""
    arguments = encode_arguments(
        [
            address_word(parse_address(account.address)),
            bytes32_word(message_hash),
            signature,
        ]
    )
    return VALIDATOR_CREATION_CODE + arguments


@dataclass(frozen=True)
class RpcAccountState:
    """Account state for ERC-8128 §4.1 from one JSON-RPC endpoint per chain id."""

    endpoints: tuple[tuple[int, JsonRpcEndpoint], ...]
    block: BlockTag = "latest"
    # Gas limit of each eth_call (None: the node's default cap). A wallet whose check needs
    # more runs out of gas; the node reports that as an error, not a revert: unavailable (503).
    call_gas: int | None = None
    # The network edge; a test may wrap it to count or observe calls.
    transport: RpcTransport = field(default=_default_transport, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.endpoints, tuple):
            raise RpcConfigError(f"expected a tuple of endpoints, got {type(self.endpoints)}")
        seen: set[int] = set()
        for entry in self.endpoints:
            if not isinstance(entry, tuple) or len(entry) != 2:
                raise RpcConfigError(f"expected (chain_id, JsonRpcEndpoint), got {entry!r}")
            chain_id, endpoint = entry
            if type(chain_id) is not int or chain_id < 0:
                raise RpcConfigError(f"expected a chain id >= 0, got {chain_id!r}")
            if not isinstance(endpoint, JsonRpcEndpoint):
                raise RpcConfigError(f"expected a JsonRpcEndpoint, got {endpoint!r}")
            if chain_id in seen:
                raise RpcConfigError(f"expected one endpoint per chain, got {chain_id} twice")
            seen.add(chain_id)
        if self.call_gas is not None and (type(self.call_gas) is not int or self.call_gas < 1):
            raise RpcConfigError(f"expected call_gas >= 1 or None, got {self.call_gas!r}")
        if self.block not in _BLOCK_TAGS:
            raise RpcConfigError(f"expected a tag in {sorted(_BLOCK_TAGS)}, got {self.block!r}")

    @classmethod
    def from_urls(
        cls,
        urls: Mapping[str, str],
        *,
        block: BlockTag = "latest",
        call_gas: int | None = None,
        connect_timeout: float = 3.0,
        read_timeout: float = 5.0,
        total_timeout: float = 10.0,
        max_response_bytes: int = 1024 * 1024,
    ) -> RpcAccountState:
        """From ``{"eip155:<chain-id>": url}`` (CAIP-2 chain ids), with the same bounds for all."""
        endpoints: list[tuple[int, JsonRpcEndpoint]] = []
        for chain, url in urls.items():
            match = _CAIP2_EIP155.fullmatch(chain) if isinstance(chain, str) else None
            if match is None:
                raise RpcConfigError(f"expected a CAIP-2 chain id eip155:<id>, got {chain!r}")
            endpoint = JsonRpcEndpoint(
                url,
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
                total_timeout=total_timeout,
                max_response_bytes=max_response_bytes,
            )
            endpoints.append((int(match.group(1)), endpoint))
        return cls(tuple(endpoints), block=block, call_gas=call_gas)

    @property
    def chain_ids(self) -> frozenset[int]:
        """The chains this provider can answer for (a verifier's ``served_chains``)."""
        return frozenset(chain_id for chain_id, _ in self.endpoints)

    def endpoint_for(self, account: Account) -> JsonRpcEndpoint:
        """The node of ``account.chain_id``; never another chain's."""
        parse_address(account.address)  # InvalidAddress unless 0x + 40 hex digits
        for chain_id, endpoint in self.endpoints:
            if chain_id == account.chain_id:
                return endpoint
        # ERC-8128 §3.3.1: "a verifier MUST NOT query another chain."
        raise AccountStateUnavailable(
            "chain_not_configured",
            f"expected a chain in {sorted(self.chain_ids)}, got {account.chain_id}",
        )

    def check_chain_ids(self) -> None:
        """Ask every node ``eth_chainId`` and raise unless it is the configured chain id."""
        for chain_id, endpoint in self.endpoints:
            answer = self.transport(endpoint, "eth_chainId", [])
            if not isinstance(answer, str) or _QUANTITY.fullmatch(answer) is None:
                raise RpcUnavailable(
                    "rpc_malformed", f"{endpoint.url}: expected a hex chain id, got {answer!r}"
                )
            if int(answer, 16) != chain_id:
                raise RpcConfigError(
                    f"{endpoint.url}: expected chain id {chain_id}, got {int(answer, 16)}"
                )

    def get_code(self, account: Account) -> bytes:
        endpoint = self.endpoint_for(account)
        try:
            answer = self.transport(endpoint, "eth_getCode", [account.address, self.block])
        except ExecutionReverted as error:
            # eth_getCode executes nothing; a "revert" here is a broken node.
            raise RpcUnavailable("rpc_error", f"eth_getCode: {error.message}") from None
        return decode_hex_data(endpoint, answer, "eth_getCode result")

    def _eth_call(self, account: Account, call: dict[str, JsonValue]) -> bytes | None:
        """The return data of an eth_call, or None when the EVM reverted."""
        endpoint = self.endpoint_for(account)
        if self.call_gas is not None:
            call = {**call, "gas": hex(self.call_gas)}
        try:
            answer = self.transport(endpoint, "eth_call", [call, self.block])
        except ExecutionReverted:
            return None
        return decode_hex_data(endpoint, answer, "eth_call result")

    def erc1271_is_valid(self, account: Account, message_hash: bytes, signature: bytes) -> bool:
        calldata = encode_is_valid_signature(message_hash, signature)
        call: dict[str, JsonValue] = {"to": account.address, "data": "0x" + calldata.hex()}
        returned = self._eth_call(account, call)
        # ERC-1271: "MUST return the bytes4 magic value 0x1626ba7e when function passes."
        return returned == ERC1271_MAGIC_VALUE

    def erc6492_is_valid(self, account: Account, message_hash: bytes, signature: bytes) -> bool:
        data = erc6492_validation_call(account, message_hash, signature)
        returned = self._eth_call(account, {"data": "0x" + data.hex()})
        if returned is None:
            # The validator reverts only when abi.decode of a malformed wrapper fails.
            return False
        if returned == _VALIDATOR_TRUE:
            return True
        if returned == _VALIDATOR_FALSE:
            return False
        # Our validator returns exactly one word 0 or 1; anything else is not its answer.
        endpoint = self.endpoint_for(account)
        raise RpcUnavailable(
            "rpc_malformed",
            f"{endpoint.url}: expected the validator's 32-byte 0 or 1, got {len(returned)} bytes",
        )
